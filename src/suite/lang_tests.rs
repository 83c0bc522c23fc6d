//! The steps and blocks added for the mission suites, parsed: the AST each builds, the scope it
//! leaves, and the canonical form it is written back in (every `one`/`actions` call also checks
//! the write–parse round trip).

use super::ast::*;
use super::testutil::*;
use crate::proto::ReplyCode;

fn ch(s: &str) -> String {
    s.to_string()
}

fn step(line: usize, action: Action) -> Step {
    Step { line, action }
}

#[test]
fn if_reply_with_and_without_else() {
    let s = one(
        "abort\nexpect 426 226\nif reply 426 4xx\n  expect 226\nend\n\
         if reply 2xx\n  note ok\nelse\n  note other\n  send NOOP\nend\n",
    );
    assert_eq!(
        s.steps[2],
        step(
            6,
            Action::If {
                codes: vec![CodePattern::Exact(ReplyCode(426)), CodePattern::Class(4)],
                then: vec![step(
                    7,
                    Action::Expect(Expect {
                        codes: vec![CodePattern::Exact(ReplyCode(226))],
                        bind: None,
                        text: vec![],
                        or_close: false,
                        or_silence: false,
                    })
                )],
                otherwise: vec![],
            }
        )
    );
    let Action::If {
        codes,
        then,
        otherwise,
    } = &s.steps[3].action
    else {
        panic!("{:?}", s.steps[3]);
    };
    assert_eq!(codes, &[CodePattern::Class(2)]);
    assert_eq!(then, &[step(10, Action::Note(lit("ok")))]);
    assert_eq!(otherwise.len(), 2);
    assert_eq!(otherwise[0], step(12, Action::Note(lit("other"))));
}

#[test]
fn if_and_repeat_nest_and_are_written_indented() {
    let s = one(
        "login\nrepeat 2\nif reply 230\nrepeat 3\nsend NOOP\nexpect 200\nend\nelse\nreconnect\nend\nend\n",
    );
    let text = s.to_string();
    let expected = "  login
  repeat      2
    if          reply 230
      repeat      3
        send        NOOP
        expect      200
      end
    else
      reconnect
    end
  end
";
    assert!(text.ends_with(expected), "{text}");
}

#[test]
fn branch_bindings_are_known_after_the_block_but_not_in_the_other_branch() {
    // Union after the block: either branch's binding may be used (an ERROR at run time if the
    // other branch ran).
    one(
        "login\nif reply 230\nlisten d\nelse\nsend EPSV\nexpect 229 as epsv\nend\nnote ${d.port} ${epsv.port}\naccept d\n",
    );
    body_err(
        "login\nif reply 230\nlisten d\nelse\nnote ${d.port}\nend\n",
        8,
        6,
        "unknown variable ${d.port}",
    );
    body_err(
        "login\nif reply 230\nlisten d\nelse\naccept d\nend\n",
        8,
        8,
        "no channel \"d\" is listening",
    );
}

#[test]
fn reply_variables_are_bound_by_expect_and_login() {
    one("send NOOP\nexpect 200\nnote ${reply.code} ${reply.text}\n");
    one("login\ncheck ${reply.code} equals 230\n");
    body_err(
        "note ${reply.code}\n",
        4,
        6,
        "unknown variable ${reply.code} (it is bound by an earlier `expect` or `login`)",
    );
}

#[test]
fn reconnect_is_not_a_send() {
    assert_eq!(
        actions("login\nreconnect\nlogin\n"),
        [Action::Login, Action::Reconnect, Action::Login]
    );
    body_err("login\nreconnect\nexpect 220\n", 6, 1, "expect before send");
    body_err("reconnect\nexpect 220\n", 5, 1, "expect before send");
    // An `if` whose branch sent something leaves something sent.
    one("login\nif reply 230\nreconnect\nelse\nsend NOOP\nend\nexpect 2xx\n");
}

#[test]
fn collect_check_and_check_varies() {
    let got = actions(
        "send EPSV\nexpect 229 as epsv\ncollect ports ${epsv.port}\ncollect s_2-x \" a b \"\n\
         check ${reply.code} equals 229\ncheck \"a b\" differs ${epsv.port}\ncheck-varies ports\n",
    );
    assert_eq!(
        got[2],
        Action::Collect {
            series: ch("ports"),
            value: Template {
                parts: vec![var("epsv.port")]
            }
        }
    );
    assert_eq!(
        got[3],
        Action::Collect {
            series: ch("s_2-x"),
            value: lit(" a b ")
        }
    );
    assert_eq!(
        got[4],
        Action::Check {
            left: Template {
                parts: vec![var("reply.code")]
            },
            op: CheckOp::Equals,
            right: lit("229")
        }
    );
    assert_eq!(
        got[5],
        Action::Check {
            left: lit("a b"),
            op: CheckOp::Differs,
            right: Template {
                parts: vec![var("epsv.port")]
            }
        }
    );
    assert_eq!(
        got[6],
        Action::CheckVaries {
            series: ch("ports")
        }
    );
}

#[test]
fn data_additions() {
    let got = actions(
        "listen d reuse\nlisten e on 127.0.0.1 reuse\nlisten f reuse on ${d.ip}\n\
         send PORT ${d.hostport}\nexpect 200\naccept d\nnote ${d.from.ip}:${d.from.port}\n\
         read d save first length 3\nconnect t to 1 from 127.0.0.2\nread t same-as first\n\
         connect gone to ${d.port} refused\nconnect gone to 2 refused from 127.0.0.2\n\
         expect-no-data t\n",
    );
    assert_eq!(
        got[0],
        Action::Listen {
            channel: ch("d"),
            on: None,
            reuse: true,
            privileged: false,
        }
    );
    assert_eq!(
        got[1],
        Action::Listen {
            channel: ch("e"),
            on: Some(lit("127.0.0.1")),
            reuse: true,
            privileged: false,
        }
    );
    assert_eq!(
        got[7],
        Action::Read {
            channel: ch("d"),
            checks: vec![DataCheck::Save(ch("first")), DataCheck::Length(3)]
        }
    );
    assert_eq!(
        got[9],
        Action::Read {
            channel: ch("t"),
            checks: vec![DataCheck::SameAs(ch("first"))]
        }
    );
    assert_eq!(
        got[11],
        Action::ConnectRefused {
            channel: ch("gone"),
            port: lit("2"),
            from: Some(lit("127.0.0.2")),
            within_ms: None,
        }
    );
    assert_eq!(got[12], Action::ExpectNoData { channel: ch("t") });
    // `connect … refused` does not open the channel.
    body_err(
        "connect gone to 1 refused\nread gone\n",
        5,
        6,
        "channel \"gone\" is never opened",
    );
}

#[test]
fn send_long_expect_close_and_protocols_first() {
    let got = actions(
        "send-long NOOP 10000\nexpect 500 421\nexpect close\nsend-long \"PORT \" 1\n\
         send EPSV 9\nexpect 522 as protocols\nnote ${protocols.first}\n",
    );
    assert_eq!(
        got[0],
        Action::SendLong {
            verb: lit("NOOP"),
            count: 10_000
        }
    );
    assert_eq!(got[2], Action::ExpectClose);
    assert_eq!(
        got[3],
        Action::SendLong {
            verb: lit("PORT "),
            count: 1
        }
    );
    one("send-long NOOP 1000000\n");
}

#[test]
fn canonical_form_of_the_additions() {
    let s = one(
        "login\nlisten d reuse on 127.0.0.1\naccept d\nread d save k same-as k\n\
         connect t to 9 from 127.0.0.2 refused\nconnect u to 9\nexpect-no-data u\n\
         send-long NOOP 5\nexpect close\ncollect p  x y\ncheck a equals \"b c\"\n\
         check-varies p\nreconnect\n",
    );
    let text = s.to_string();
    let expected = "  login
  listen      d reuse on 127.0.0.1
  accept      d
  read        d save k same-as k
  connect     t to 9 from 127.0.0.2 refused
  connect     u to 9
  expect-no-data u
  send-long   NOOP 5
  expect      close
  collect     p x y
  check       a equals \"b c\"
  check-varies p
  reconnect
";
    assert!(text.ends_with(expected), "{text}");
}

/// Random scenarios built from well-formed lines of the additions, in random block structures
/// (`if`/`else`/`repeat`/`end` in any order), some lines mutated: the parser must never panic,
/// and whatever it accepts must round-trip (checked by `parse`). Many must be accepted, with
/// blocks, so that the round trip is exercised on them.
#[test]
fn generated_blocks_and_new_steps_round_trip() {
    let lines = [
        "if reply 426 2xx",
        "if reply 5xx",
        "else",
        "end",
        "repeat 2",
        "send EPSV",
        "expect 229 as epsv",
        "expect 2xx",
        "expect close",
        "reconnect",
        "login",
        "send-long NOOP 10000",
        "send-long \"A B\" 3",
        "collect ports ${epsv.port}",
        "collect p \" x\\t\"",
        "check ${reply.code} equals 226",
        "check \"\" differs ${reply.text}",
        "check-varies ports",
        "listen d reuse",
        "listen d reuse on ${client.ip}",
        "accept d from ${target.ip}",
        "note ${d.from.port} ${d.hostport}",
        "read d save k same-as k",
        "connect t to ${epsv.port} from 127.0.0.2 refused",
        "connect t to ${epsv.port}",
        "expect-no-data t",
        "abort urgent",
    ];
    let mutations = ["", " x", " refused", " \"", " reuse", " 1", " $", " else"];
    let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
    let (mut accepted, mut with_blocks) = (0, 0);
    for _ in 0..3000 {
        let mut src = String::from(PRELUDE);
        src.push_str("login\nlisten d\naccept d\nread d save k\ncollect ports 1\n");
        src.push_str("send EPSV\nexpect 229 as epsv\nconnect t to 1\n");
        let mut open = 0usize;
        for _ in 0..(2 + rng.next_u64() % 12) {
            let line = *rng.pick(&lines);
            match line.split(' ').next() {
                Some("if" | "repeat") => open += 1,
                Some("end") => open = open.saturating_sub(1),
                _ => {}
            }
            src.push_str(line);
            if rng.next_u64().is_multiple_of(8) {
                src.push_str(rng.pick::<&str>(&mutations));
            }
            src.push('\n');
        }
        src.push_str(&"end\n".repeat(open));
        if super::parse_str(&src, std::path::Path::new("t.ftpspec")).is_ok() {
            parse(&src);
            accepted += 1;
            with_blocks += usize::from(src.contains("if reply") && src.contains("end"));
        }
    }
    assert!(accepted > 500, "only {accepted} generated sources parsed");
    assert!(
        with_blocks > 150,
        "only {with_blocks} accepted sources had an if block"
    );
}

#[test]
fn drain_read_some_and_silence() {
    let s = one(
        "send EPSV\nexpect 229 as epsv\nconnect data to ${epsv.port}\nread-some data 65536\n\
         abort\nexpect 426 226\ndrain data\nsend-raw NO\nexpect-silence 300\n",
    );
    assert_eq!(
        s.steps[3].action,
        Action::ReadSome {
            channel: ch("data"),
            count: 65536
        }
    );
    assert_eq!(
        s.steps[6].action,
        Action::Drain {
            channel: ch("data"),
            background: false
        }
    );
    assert_eq!(s.steps[8].action, Action::ExpectSilence { millis: 300 });
}

#[test]
fn repeat_burst_takes_the_runs_burst_size() {
    let s = one("repeat ${burst}\n  send NOOP\n  expect 200\nend\n");
    let Action::RepeatBurst { steps } = &s.steps[0].action else {
        panic!("{:?}", s.steps)
    };
    assert_eq!(steps.len(), 2);
    assert!(s.to_string().contains(" ${burst}\n"), "{s}");
    assert_round_trip(&s);
}

// The language of truthful verdicts: `setup` blocks, `transfer`, `covers`, `run-check`,
// privileged listeners, `refused within`, `disconnect`, `check … matches`, `expect … close`.

#[test]
fn setup_blocks_hold_steps_and_keep_their_scope() {
    let s =
        one("login\nsetup\n  send EPSV\n  expect 229 as epsv\nend\nconnect data to ${epsv.port}\n");
    let Action::Setup { steps } = &s.steps[1].action else {
        panic!("{:?}", s.steps[1]);
    };
    assert_eq!(s.steps[1].line, 5);
    assert_eq!(steps.len(), 2);
    assert!(matches!(s.steps[2].action, Action::Connect { .. }));
    let written = s.to_string();
    assert!(
        written.contains("\n  setup\n    send        EPSV\n"),
        "{written}"
    );
    assert!(written.contains("\n  end\n  connect"), "{written}");
}

#[test]
fn transfer_works_on_listening_and_open_channels() {
    let active = actions(
        "login\nlisten data\nsend PORT ${data.hostport}\nexpect 200\ntransfer data from ${target.ip}\nnote ${data.from.port}\n",
    );
    assert_eq!(
        active[4],
        Action::Transfer {
            channel: ch("data"),
            from: Some(Template {
                parts: vec![var("target.ip")]
            }),
            allow_425: false,
        }
    );
    let passive = actions(
        "login\nsend EPSV\nexpect 229 as epsv\nconnect d to ${epsv.port}\ntransfer d or 425\nif reply 425\n  note none\nend\n",
    );
    assert_eq!(
        passive[4],
        Action::Transfer {
            channel: ch("d"),
            from: None,
            allow_425: true,
        }
    );
    // `transfer` is a send: an `expect` may follow it; `${transfer}` is a built-in variable.
    actions("login\nlisten d\ntransfer d\nsend ${transfer}\nexpect 1xx\n");
}

#[test]
fn covers_takes_verbs_and_quoted_commands() {
    let s = one_with_headers("  covers EPSV \"EPSV ALL\"\n  covers TYPE\n", "login\n");
    assert_eq!(s.covers, ["EPSV", "EPSV ALL", "TYPE"]);
    assert!(
        s.to_string()
            .contains("  covers      EPSV \"EPSV ALL\" TYPE\n")
    );
}

#[test]
fn run_check_is_a_scenario_of_its_own() {
    let s = one("run-check reply-syntax\n");
    assert_eq!(s.run_check(), Some(RunCheck::ReplySyntax));
    assert!(!s.uses_transfer());
    assert_eq!(one("login\n").run_check(), None);
}

#[test]
fn uses_transfer_looks_inside_blocks() {
    assert!(one("login\nsetup\n  listen d\n  transfer d\nend\n").uses_transfer());
    assert!(one("login\nif reply 230\n  send ${transfer}\nend\n").uses_transfer());
    assert!(!one("login\nsend NLST\nexpect 1xx\n").uses_transfer());
}

#[test]
fn privileged_listeners_refused_within_disconnect_and_close_options() {
    let a = actions(
        "login\nlisten low privileged on ${client.ip}\nsend EPSV\nexpect 229 as epsv\n\
         disconnect\nconnect gone to ${epsv.port} refused within 2000\n",
    );
    assert!(matches!(
        &a[1],
        Action::Listen {
            privileged: true,
            reuse: false,
            on: Some(_),
            ..
        }
    ));
    assert_eq!(a[4], Action::Disconnect);
    assert!(matches!(
        &a[5],
        Action::ConnectRefused {
            within_ms: Some(2000),
            ..
        }
    ));
    let e = actions("login\nsend NOOP\nexpect 200 close\n");
    let Action::Expect(expect) = &e[2] else {
        panic!("{:?}", e[2]);
    };
    assert!(expect.or_close);
    let c =
        actions("login\nsend PASV\nexpect 227\ncheck ${reply.text} matches \"\\([0-9,]+\\)\"\n");
    assert_eq!(
        c[3],
        Action::CheckMatches {
            value: Template {
                parts: vec![var("reply.text")]
            },
            regex: r"\([0-9,]+\)".into(),
        }
    );
}

#[test]
fn reconnect_after_disconnect_allows_sending_again() {
    actions("login\ndisconnect\nreconnect\nlogin\nsend NOOP\nexpect 200\n");
}
