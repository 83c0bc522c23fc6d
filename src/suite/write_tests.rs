//! The writer: canonical output, and round trips that keep every byte.

use super::ast::*;
use super::testutil::*;
use super::write_file;
use crate::proto::ReplyCode;

fn all_bytes() -> Vec<u8> {
    (0..=255).collect()
}

fn bytes_then_var(prefix: &[u8], name: &str) -> Template {
    Template {
        parts: vec![
            Part::Literal(prefix.to_vec()),
            var(name),
            Part::Literal(b" $\"\\".to_vec()),
        ],
    }
}

fn step(action: Action) -> Step {
    Step { line: 0, action }
}

/// A scenario whose every template holds every byte 0..=255.
fn every_byte_scenario() -> Scenario {
    let all = all_bytes();
    let mut reversed = all.clone();
    reversed.reverse();
    let ch = |s: &str| s.to_string();
    let expect = Expect {
        codes: vec![CodePattern::Exact(ReplyCode(229)), CodePattern::Class(2)],
        bind: Some(Binder::Epsv),
        text: vec![
            TextCheck::Contains(lit(all.clone())),
            TextCheck::Matches(r#"^229 .*\(\|\|\|\d+\|\)\"[ ]$"#.to_string()),
        ],
        or_close: true,
        or_silence: true,
    };
    let steps = vec![
        step(Action::Send {
            payload: lit(all.clone()),
            crlf: true,
        }),
        step(Action::Send {
            payload: lit(reversed.clone()),
            crlf: false,
        }),
        step(Action::Expect(expect)),
        step(Action::Listen {
            channel: ch("data"),
            on: Some(lit(all.clone())),
            reuse: true,
            privileged: false,
        }),
        step(Action::Listen {
            channel: ch("data"),
            on: None,
            reuse: true,
            privileged: false,
        }),
        step(Action::Accept {
            channel: ch("data"),
            from: Some(bytes_then_var(&all, "target.ip")),
        }),
        step(Action::Connect {
            channel: ch("p"),
            port: lit(reversed.clone()),
            from: Some(lit(all.clone())),
            protection: DataProtection::NewSession,
        }),
        step(Action::Skip(bytes_then_var(&all, "reply.code"))),
        step(Action::Read {
            channel: ch("p"),
            checks: vec![
                DataCheck::Equals(lit(all.clone())),
                DataCheck::Contains(lit(reversed.clone())),
            ],
        }),
        step(Action::Write {
            channel: ch("data"),
            payload: bytes_then_var(&reversed, "epsv.port"),
        }),
        step(Action::Repeat {
            count: 2,
            steps: vec![
                step(Action::Note(lit(all.clone()))),
                step(Action::Send {
                    payload: lit(b"  "),
                    crlf: true,
                }),
            ],
        }),
        step(Action::Read {
            channel: ch("p"),
            checks: vec![
                DataCheck::Save(ch("first")),
                DataCheck::Length(7),
                DataCheck::SameAs(ch("first")),
            ],
        }),
        step(Action::ExpectNoData { channel: ch("p") }),
        step(Action::ConnectRefused {
            channel: ch("gone"),
            port: lit(all.clone()),
            from: Some(lit(reversed.clone())),
            within_ms: None,
        }),
        step(Action::ConnectRefused {
            channel: ch("gone"),
            port: bytes_then_var(&all, "data.port"),
            from: None,
            within_ms: None,
        }),
        step(Action::SendLong {
            verb: lit(all.clone()),
            count: 1_000_000,
        }),
        step(Action::Check {
            left: lit(all.clone()),
            op: CheckOp::Equals,
            right: bytes_then_var(&reversed, "reply.code"),
        }),
        step(Action::Check {
            left: lit(b""),
            op: CheckOp::Differs,
            right: lit(b"  "),
        }),
        step(Action::Repeat {
            count: 3,
            steps: vec![step(Action::If {
                codes: vec![CodePattern::Exact(ReplyCode(426)), CodePattern::Class(2)],
                then: vec![
                    step(Action::Note(lit(all.clone()))),
                    step(Action::If {
                        codes: vec![CodePattern::Class(4)],
                        then: vec![step(Action::ExpectClose)],
                        otherwise: vec![],
                    }),
                ],
                otherwise: vec![
                    step(Action::Collect {
                        series: ch("ports"),
                        value: lit(all.clone()),
                    }),
                    step(Action::CheckVaries {
                        series: ch("ports"),
                    }),
                ],
            })],
        }),
        step(Action::Collect {
            series: ch("s_2-x"),
            value: bytes_then_var(&all, "reply.text"),
        }),
        step(Action::Reconnect),
    ];
    Scenario {
        id: "fuzz.finding.every-byte".into(),
        title: "Every byte \"survives\" \\ $ é \t\u{0}\u{7f}\u{85}\u{2028}".into(),
        spec: Spec {
            rfc: "RFC959".into(),
            section: "§4.2".into(),
            level: Level::Should,
        },
        requirement: "Quotes \" and backslashes \\ and\r\nnewlines".into(),
        tags: vec!["fuzz".into(), "bytes".into()],
        needs: vec![Need::Ipv4, Need::Ipv6],
        covers: vec!["EPSV".into()],
        steps,
        location: Location {
            file: "gen".into(),
            line: 1,
        },
    }
}

#[test]
fn every_byte_survives_a_round_trip() {
    let s = every_byte_scenario();
    let text = s.to_string();
    assert!(
        text.is_ascii() || text.chars().all(|c| !c.is_control() || c == '\n'),
        "{text:?}"
    );
    assert_round_trip(&s);
}

#[test]
fn canonical_form_is_aligned_and_readable() {
    let src = "scenario rfc2428.eprt.ipv4-accepted \"EPRT accepted\"\nspec RFC2428 §2 MUST\nrequirement \"The server MUST return 200.\"\ntags eprt\nneeds ipv4\nlogin\nlisten data\nsend EPRT |1|${client.ip}|${data.port}|\nexpect 200\nrepeat 2\nsend \" NOOP\"\nexpect 2xx contains \"ok\" matches \"^200 \"\nend\naccept data from ${target.ip}\nread data length 3\nexpect-no-connection data\nabort urgent\n";
    let expected = r#"scenario rfc2428.eprt.ipv4-accepted "EPRT accepted"
  spec        RFC2428 §2 MUST
  requirement "The server MUST return 200."
  tags        eprt
  needs       ipv4
  login
  listen      data
  send        EPRT |1|${client.ip}|${data.port}|
  expect      200
  repeat      2
    send        " NOOP"
    expect      2xx contains "ok" matches "^200 "
  end
  accept      data from ${target.ip}
  read        data length 3
  expect-no-connection data
  abort       urgent
"#;
    assert_eq!(one_from(src).to_string(), expected);
}

fn one_from(src: &str) -> Scenario {
    parse(src).remove(0)
}

#[test]
fn payload_forms() {
    let s =
        one("send\nsend-raw \"\\r\\n\"\nsend \\\"q\nsend a\\tb\\\\c \\$\nsend \" \"\nnote x  y\n");
    let text = s.to_string();
    for line in [
        "  send        \"\"\n",
        "  send-raw    \\r\\n\n",
        "  send        \\\"q\n",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
    assert!(text.contains("  send        a\\tb\\\\c \\$\n"), "{text}");
    assert!(text.contains("  send        \" \"\n"), "{text}");
    assert!(text.contains("  note        x  y\n"), "{text}");
}

#[test]
fn token_arguments_are_bare_unless_they_hold_spaces() {
    let s = one("listen d on \"a b\"\nlisten e on ${client.ip}\naccept e from \"\"\nwrite e x\n");
    let text = s.to_string();
    assert!(text.contains("listen      d on \"a b\"\n"), "{text}");
    assert!(text.contains("listen      e on ${client.ip}\n"), "{text}");
    assert!(text.contains("accept      e from \"\"\n"), "{text}");
    assert!(text.contains("write       e \"x\"\n"), "{text}");
}

#[test]
fn bare_regexes_with_quotes_stay_bare() {
    let s = one("login\nexpect 200 matches a\"b matches \"c\\\"d\"\n");
    let Action::Expect(e) = &s.steps[1].action else {
        panic!()
    };
    assert_eq!(
        e.text,
        [
            TextCheck::Matches("a\"b".into()),
            TextCheck::Matches("c\\\"d".into())
        ]
    );
    assert!(
        s.to_string().contains("matches a\"b matches \"c\\\"d\""),
        "{s}"
    );
}

#[test]
fn write_file_separates_scenarios_with_a_blank_line() {
    let src = "scenario a.one \"One\"\nspec R §1 MUST\nrequirement \"r\"\nscenario a.two \"Two\"\nspec R §1 MAY\nrequirement \"r\"\nlogin\n";
    let all = parse(src);
    let text = write_file(&all);
    assert!(text.contains("\"r\"\n\nscenario a.two"), "{text}");
    let back = parse(&text);
    assert_eq!(
        back.iter().map(normalised).collect::<Vec<_>>(),
        all.iter().map(normalised).collect::<Vec<_>>()
    );
}

/// Random lines from fragments of the language: the parser must never panic, and whatever it
/// accepts must survive a write–parse round trip (checked by `parse`).
#[test]
fn generated_sources_never_panic_and_round_trip() {
    let keywords = [
        "send",
        "send-raw",
        "expect",
        "listen",
        "accept",
        "connect",
        "read",
        "write",
        "close",
        "abort",
        "note",
        "repeat",
        "end",
        "login",
        "tags",
        "needs",
        "expect-no-connection",
        "#",
        "if reply",
        "else",
        "reconnect",
        "send-long",
        "expect close",
        "expect-no-data",
        "collect",
        "check",
        "check-varies",
        "connect d to 1",
    ];
    let args = [
        "d",
        "200",
        "5xx",
        "as",
        "epsv",
        "pasv",
        "protocols",
        "229",
        "227",
        "522",
        "contains",
        "matches",
        "\"",
        "\"a b\"",
        "${d.port}",
        "${epsv.port}",
        "${client.ip}",
        "\\x",
        "\\xff",
        "\\s",
        "\\q",
        "$",
        "\\",
        "on",
        "from",
        "to",
        "equals",
        "length",
        "3",
        "urgent",
        " ",
        "\t",
        "é",
        "\u{0}",
        "\"^2\\d\"",
        "(",
        "#",
        "\\\"",
        "${",
        "}",
        "ipv4",
        "x",
        "reuse",
        "refused",
        "save",
        "same-as",
        "k",
        "equals",
        "differs",
        "close",
        "426",
        "4xx",
        "${reply.code}",
        "${d.hostport}",
        "${d.from.ip}",
        "${protocols.first}",
        "1000000",
    ];
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    for _ in 0..3000 {
        let mut src = String::from(PRELUDE);
        src.push_str("login\nlisten d\naccept d\ncollect k 1\nread d save k\n");
        for _ in 0..(rng.next_u64() % 6) {
            src.push_str(rng.pick::<&str>(&keywords));
            for _ in 0..(rng.next_u64() % 5) {
                src.push(' ');
                src.push_str(rng.pick::<&str>(&args));
            }
            src.push('\n');
        }
        if super::parse_str(&src, std::path::Path::new("t.ftpspec")).is_ok() {
            parse(&src);
            accepted += 1;
        }
    }
    assert!(accepted > 100, "only {accepted} generated sources parsed");
}

/// Byte-level mutations of a valid file: errors are fine, panics are not, and whatever still
/// parses must round-trip.
#[test]
fn mutated_bytes_never_panic() {
    let base = include_str!("../../suites/README.md")
        .split("```ftpspec\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_default()
        .as_bytes()
        .to_vec();
    let interesting = b"\"\\$ {}#\t\n\rx.9\xff\xc3";
    let mut rng = Rng::new(7);
    for _ in 0..2000 {
        let mut bytes = base.clone();
        for _ in 0..(1 + rng.next_u64() % 4) {
            let at = (rng.next_u64() % bytes.len() as u64) as usize;
            let b = interesting[(rng.next_u64() % interesting.len() as u64) as usize];
            match rng.next_u64() % 3 {
                0 => bytes[at] = b,
                1 => bytes.insert(at, b),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        if let Ok(all) = super::parse_bytes(&bytes, std::path::Path::new("t.ftpspec")) {
            all.iter().for_each(assert_round_trip);
        }
    }
}

/// The FTPS constructs: `needs tls|auth-tls|tls-required`, `starttls`, `skip`, and `connect`
/// with `clear` or `new-session`, written canonically and read back.
#[test]
fn tls_constructs_round_trip() {
    let src = "scenario rfc4217.x.y \"t\"\nspec RFC4217 §4 MUST\nrequirement \"r\"\nneeds auth-tls tls-required\nsend AUTH TLS\nexpect 234\nstarttls\nsend EPSV\nexpect 229 as epsv\nconnect a to ${epsv.port} clear\nconnect b to ${epsv.port} from 127.0.0.1 new-session\nskip  not offered  \n";
    let parsed = crate::suite::parse_str(src, std::path::Path::new("t")).unwrap();
    let text = parsed[0].to_string();
    assert!(
        text.contains("  needs       auth-tls tls-required\n"),
        "{text}"
    );
    assert!(text.contains("  starttls\n"), "{text}");
    assert!(
        text.contains("  connect     a to ${epsv.port} clear\n"),
        "{text}"
    );
    assert!(
        text.contains("  connect     b to ${epsv.port} from 127.0.0.1 new-session\n"),
        "{text}"
    );
    assert!(text.contains("  skip        not offered\n"), "{text}");
    assert_round_trip(&parsed[0]);
}
