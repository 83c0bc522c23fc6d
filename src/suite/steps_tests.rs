//! Every step form, parsed: the AST each one builds.

use super::ast::*;
use super::testutil::*;
use crate::proto::ReplyCode;

fn t(parts: Vec<Part>) -> Template {
    Template { parts }
}

fn l(bytes: &[u8]) -> Part {
    Part::Literal(bytes.to_vec())
}

#[test]
fn the_reference_example_parses() {
    let src = r#"
# A comment: a line whose first non-blank character is '#'.
scenario rfc2428.eprt.ipv4-accepted "EPRT with an IPv4 address is accepted with 200"
  spec        RFC2428 §2 MUST
  requirement "Upon receipt of a valid EPRT command, the server MUST return a code of 200."
  tags        eprt ipv4 active
  needs       ipv4
  login
  listen      data
  send        EPRT |1|${client.ip}|${data.port}|
  expect      200
  send        NLST
  expect      125 150
  accept      data from ${target.ip}
  read        data
  expect      226 250
"#;
    let s = parse(src).remove(0);
    assert_eq!(s.id, "rfc2428.eprt.ipv4-accepted");
    assert_eq!(s.title, "EPRT with an IPv4 address is accepted with 200");
    assert_eq!(
        s.spec,
        Spec {
            rfc: "RFC2428".into(),
            section: "§2".into(),
            level: Level::Must
        }
    );
    assert!(s.requirement.starts_with("Upon receipt"));
    assert_eq!(s.tags, ["eprt", "ipv4", "active"]);
    assert_eq!(s.needs, [Need::Ipv4]);
    assert_eq!(
        s.location,
        Location {
            file: "t.ftpspec".into(),
            line: 3
        }
    );
    assert_eq!(s.steps.len(), 9);
    assert_eq!(
        s.steps[0],
        Step {
            line: 8,
            action: Action::Login
        }
    );
    assert_eq!(
        s.steps[2].action,
        Action::Send {
            payload: t(vec![
                l(b"EPRT |1|"),
                var("client.ip"),
                l(b"|"),
                var("data.port"),
                l(b"|")
            ]),
            crlf: true
        }
    );
    assert_eq!(s.steps[8].line, 16);
    assert_round_trip(&s);
}

#[test]
fn login_anonymous_and_abort() {
    let got = actions("login\nanonymous\nabort\nabort urgent\n");
    assert_eq!(
        got,
        [
            Action::Login,
            Action::Anonymous,
            Action::Abort { urgent: false },
            Action::Abort { urgent: true }
        ]
    );
}

#[test]
fn send_takes_the_rest_of_the_line() {
    let got = actions(
        "send   EPRT #1#127.0.0.1#6446#  \t\nsend\nsend-raw \"EPRT\\r\"\nsend \" NOOP \"\n",
    );
    assert_eq!(
        got,
        [
            Action::Send {
                payload: lit("EPRT #1#127.0.0.1#6446#"),
                crlf: true
            },
            Action::Send {
                payload: Template::default(),
                crlf: true
            },
            Action::Send {
                payload: lit("EPRT\r"),
                crlf: false
            },
            Action::Send {
                payload: lit(" NOOP "),
                crlf: true
            },
        ]
    );
}

#[test]
fn send_keeps_inner_quotes_and_hashes() {
    let got = actions("send MKD \"a b\" # not a comment\nsend-raw \\\"x\n");
    assert_eq!(
        got[0],
        Action::Send {
            payload: lit("MKD \"a b\" # not a comment"),
            crlf: true
        }
    );
    assert_eq!(
        got[1],
        Action::Send {
            payload: lit("\"x"),
            crlf: false
        }
    );
}

#[test]
fn expect_codes_classes_binders_and_checks() {
    let body = "send EPSV\nexpect 229 as epsv\nsend EPRT |3|x|1|\nexpect 522 5xx as protocols contains \"(1\" matches \"\\(1(,2)?\\)$\" contains \"x\"\nnote ${protocols}\n";
    let got = actions(body);
    let Action::Expect(e) = &got[1] else {
        panic!("{got:?}")
    };
    assert_eq!(e.codes, [CodePattern::Exact(ReplyCode(229))]);
    assert_eq!(e.bind, Some(Binder::Epsv));
    let Action::Expect(e) = &got[3] else {
        panic!("{got:?}")
    };
    assert_eq!(
        e.codes,
        [CodePattern::Exact(ReplyCode(522)), CodePattern::Class(5)]
    );
    assert_eq!(e.bind, Some(Binder::Protocols));
    assert_eq!(
        e.text,
        [
            TextCheck::Contains(lit("(1")),
            TextCheck::Matches(r"\(1(,2)?\)$".into()),
            TextCheck::Contains(lit("x")),
        ]
    );
}

#[test]
fn expect_as_pasv_binds_ip_and_port() {
    let got = actions("send PASV\nexpect 2xx as pasv\nconnect d to ${pasv.port} from ${pasv.ip}\n");
    assert_eq!(
        got[2],
        Action::Connect {
            channel: "d".into(),
            port: t(vec![var("pasv.port")]),
            from: Some(t(vec![var("pasv.ip")])),
            protection: DataProtection::Session,
        }
    );
}

#[test]
fn data_channel_steps() {
    let body = "listen data\nlisten bounce on 127.0.0.2\naccept data\naccept bounce from ${target.ip}\n\
        expect-no-connection bounce\nconnect p to 6446\nread data\n\
        read p equals \"hello\\n\" contains x length 1024\nwrite p \"bytes\\0\"\nwrite data ${file.small}\nclose p\n";
    let got = actions(body);
    let ch = |s: &str| s.to_string();
    assert_eq!(
        got,
        [
            Action::Listen {
                channel: ch("data"),
                on: None,
                reuse: false,
                privileged: false,
            },
            Action::Listen {
                channel: ch("bounce"),
                on: Some(lit("127.0.0.2")),
                reuse: false,
                privileged: false,
            },
            Action::Accept {
                channel: ch("data"),
                from: None
            },
            Action::Accept {
                channel: ch("bounce"),
                from: Some(t(vec![var("target.ip")]))
            },
            Action::ExpectNoConnection {
                channel: ch("bounce")
            },
            Action::Connect {
                channel: ch("p"),
                port: lit("6446"),
                from: None,
                protection: DataProtection::Session,
            },
            Action::Read {
                channel: ch("data"),
                checks: vec![]
            },
            Action::Read {
                channel: ch("p"),
                checks: vec![
                    DataCheck::Equals(lit("hello\n")),
                    DataCheck::Contains(lit("x")),
                    DataCheck::Length(1024)
                ],
            },
            Action::Write {
                channel: ch("p"),
                payload: lit("bytes\0")
            },
            Action::Write {
                channel: ch("data"),
                payload: t(vec![var("file.small")])
            },
            Action::Close { channel: ch("p") },
        ]
    );
}

#[test]
fn note_takes_the_rest_of_the_line() {
    let got = actions("send EPSV\nexpect 229 as epsv\nnote passive port ${epsv.port}\nnote\n");
    assert_eq!(
        got[2],
        Action::Note(t(vec![l(b"passive port "), var("epsv.port")]))
    );
    assert_eq!(got[3], Action::Note(Template::default()));
}

#[test]
fn repeat_blocks_nest() {
    let body = "login\nrepeat 3\n  send PASV\n  repeat 2\n    send NOOP\n    expect 200\n  end\n  expect 227\nend\nsend QUIT\n";
    let s = one(body);
    assert_eq!(s.steps.len(), 3);
    let Action::Repeat { count: 3, steps } = &s.steps[1].action else {
        panic!("{:?}", s.steps)
    };
    assert_eq!(s.steps[1].line, 5);
    assert_eq!(steps.len(), 3);
    let Action::Repeat {
        count: 2,
        steps: inner,
    } = &steps[1].action
    else {
        panic!("{steps:?}")
    };
    assert_eq!(steps[1].line, 7);
    assert_eq!(inner.iter().map(|s| s.line).collect::<Vec<_>>(), [8, 9]);
    assert_eq!(s.steps[2].line, 13);
    assert_round_trip(&s);
}

#[test]
fn bindings_inside_a_repeat_stay_visible_after_it() {
    let got = actions(
        "repeat 2\n  send EPSV\n  expect 229 as epsv\n  listen d\nend\nnote ${epsv.port} ${d.port}\n",
    );
    assert_eq!(got.len(), 2);
}

#[test]
fn headers_accumulate_and_comments_are_skipped() {
    let src = "scenario a.b \"T\"\n  # comment\n\n  tags x\n  needs ipv6\n  spec RFC959 §4.1.3 SHOULD\n  tags y z\n  needs ipv4\n  requirement \"R \\\"q\\\" $1\"\n";
    let s = parse(src).remove(0);
    assert_eq!(s.tags, ["x", "y", "z"]);
    assert_eq!(s.needs, [Need::Ipv6, Need::Ipv4]);
    assert_eq!(s.spec.level, Level::Should);
    assert_eq!(s.requirement, "R \"q\" $1");
    assert!(s.steps.is_empty());
}

#[test]
fn several_scenarios_per_file_and_crlf_lines() {
    let src = "scenario a.one \"One\"\r\n spec RFC959 §5.4 MAY\r\n requirement \"r\"\r\n login\r\n\r\nscenario a.two \"Two\"\r\n\tspec RFC959 §5.4 MUST\r\n\trequirement \"r\"\r\n";
    let all = parse(src);
    assert_eq!(
        all.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["a.one", "a.two"]
    );
    assert_eq!(all[0].spec.level, Level::May);
    assert_eq!(all[1].location.line, 6);
}

#[test]
fn ids_may_use_digits_dashes_and_underscores() {
    let s = parse("scenario rfc2428.eprt.delim_33-0 \"T\"\n spec R §1 MUST\n requirement \"r\"\n")
        .remove(0);
    assert_eq!(s.id, "rfc2428.eprt.delim_33-0");
    assert_eq!(s.area(), "rfc2428.eprt");
}

#[test]
fn the_language_reference_examples_parse() {
    let readme = include_str!("../../suites/README.md");
    let blocks: Vec<&str> = readme
        .split("```ftpspec\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    assert!(blocks.len() >= 2, "no ```ftpspec blocks found");
    for block in blocks {
        assert!(!parse(block).is_empty());
    }
}
