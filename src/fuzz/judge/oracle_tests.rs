//! Each oracle against a scripted peer: a tiny FTP-ish server on 127.0.0.1:0 that misbehaves in
//! exactly one way, a hand-written dialogue, and the verdict the trace must get. Also: a
//! well-behaved peer gets none, and every finding's scenario re-parses.

use crate::fuzz::exec::latency::Waits;
use crate::fuzz::exec::{ExecConfig, execute};
use crate::fuzz::input::bytes::IllegalByte;
use crate::fuzz::input::dialogue::{DataOp, Dialogue, Op};
use crate::fuzz::input::grammar::{AddrMut, EprtMut, EprtOp, EpsvOp};
use crate::fuzz::input::ops::{Cmd, DataPlan, PathArg, Transfer, TransferCmd};
use crate::fuzz::judge::oracle::{Oracle, judge};
use crate::runner::Target;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the scripted peer does with one command line.
enum Answer {
    Reply(String),
    /// Nothing, connection kept open.
    Silent,
    /// This reply, after a pause (a slow server).
    Late(Duration, String),
    /// Two replies to one line, the second after a pause (a server that reads the rest of an
    /// over-long line as another command).
    Twice(String, Duration, String),
    /// Close the connection.
    Close,
    /// This reply, then close the connection (vsftpd after an over-long line).
    ReplyAndClose(String),
}

/// How the peer treats connections after the first.
#[derive(Clone, Copy, PartialEq)]
enum Later {
    Serve,
    /// Accept, never greet.
    Mute,
    /// Stop listening.
    Refuse,
}

type Script = Arc<dyn Fn(&str) -> Answer + Send + Sync>;

/// Starts a peer; `script` answers each line of the first connection; later connections are
/// treated as `later` says (greeted, when served).
async fn peer(later: Later, script: Script) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        // Bounded: a test opens a handful of connections.
        for n in 0..16 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            match (n, later) {
                (0, _) | (_, Later::Serve) => {
                    tokio::spawn(converse(stream, script.clone()));
                }
                (_, Later::Mute) => {
                    tokio::spawn(async move {
                        let mut s = stream;
                        let mut buf = [0u8; 64];
                        let _ = s.read(&mut buf).await;
                    });
                }
                (_, Later::Refuse) => return,
            }
            if n == 0 && later == Later::Refuse {
                return;
            }
        }
    });
    addr
}

async fn converse(stream: TcpStream, script: Script) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 scripted\r\n").await.is_err() {
        return;
    }
    // Bounded: a test dialogue sends a few dozen lines.
    for _ in 0..64 {
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end().to_string();
        match script(&line) {
            Answer::Reply(text) => {
                if write.write_all(text.as_bytes()).await.is_err() {
                    return;
                }
            }
            Answer::Late(pause, text) => {
                tokio::time::sleep(pause).await;
                if write.write_all(text.as_bytes()).await.is_err() {
                    return;
                }
            }
            Answer::Twice(first, pause, second) => {
                if write.write_all(first.as_bytes()).await.is_err() {
                    return;
                }
                tokio::time::sleep(pause).await;
                if write.write_all(second.as_bytes()).await.is_err() {
                    return;
                }
            }
            Answer::Silent => {}
            Answer::Close => return,
            Answer::ReplyAndClose(text) => {
                let _ = write.write_all(text.as_bytes()).await;
                return;
            }
        }
    }
}

fn config(addr: SocketAddr) -> ExecConfig {
    let target = Target::anonymous(vec![addr], "scripted");
    ExecConfig::new(target, addr, Duration::from_millis(300))
}

fn dialogue(ops: Vec<Op>) -> Dialogue {
    Dialogue { login: false, ops }
}

fn eprt(first: EprtMut) -> Op {
    Op::Cmd(Cmd::Eprt(EprtOp {
        first,
        second: None,
    }))
}

async fn verdict_of(later: Later, script: Script, ops: Vec<Op>) -> Option<(Oracle, String)> {
    let addr = peer(later, script).await;
    let trace = execute(&dialogue(ops), &config(addr)).await;
    judge(&trace).map(|v| (v.oracle, v.signature))
}

fn ok() -> Answer {
    Answer::Reply("200 OK\r\n".into())
}

#[tokio::test]
async fn crash_when_the_server_goes_away() {
    let script: Script = Arc::new(|line| match line {
        "NOOP" => Answer::Close,
        _ => ok(),
    });
    let v = verdict_of(Later::Refuse, script, vec![Op::Cmd(Cmd::Noop)]).await;
    assert_eq!(v.map(|v| v.0), Some(Oracle::Crash));
}

#[tokio::test]
async fn hang_when_nothing_answers_any_more() {
    let script: Script = Arc::new(|line| match line {
        "NOOP" => Answer::Silent,
        _ => ok(),
    });
    let v = verdict_of(Later::Mute, script, vec![Op::Cmd(Cmd::Noop)]).await;
    assert_eq!(v, Some((Oracle::Hang, "NOOP".into())));
}

#[tokio::test]
async fn silence_when_one_command_is_swallowed() {
    let script: Script = Arc::new(|line| match line {
        "STAT" => Answer::Silent,
        _ => ok(),
    });
    let ops = vec![Op::Cmd(Cmd::Noop), Op::Cmd(Cmd::Stat)];
    let v = verdict_of(Later::Serve, script, ops).await;
    assert_eq!(v, Some((Oracle::Silence, "timeout: STAT".into())));
}

#[tokio::test]
async fn a_reply_missing_after_abor_of_a_started_transfer_is_one_finding() {
    // pyftpdlib 2.2.0: a transfer with no data connection set up gets its 150 and never its
    // 226/426; ABOR then gets one reply, 225, where two are due. In order, the missing reply
    // cannot be pinned on one command: one signature, and a detail that says so.
    let script: Script = Arc::new(move |line| match line {
        "RETR hello.txt" => Answer::Reply("150 Here\r\n".into()),
        "ABOR" => Answer::Reply("225 No transfer to abort\r\n".into()),
        _ => ok(),
    });
    let ops = vec![
        Op::Transfer(Transfer {
            kind: TransferCmd::Retr(PathArg::Hello),
            plan: DataPlan::Stall,
        }),
        Op::Cmd(Cmd::Abor),
    ];
    let addr = peer(Later::Serve, script).await;
    let trace = execute(&dialogue(ops), &config(addr).full()).await;
    let v = judge(&trace).unwrap_or_else(|| panic!("a verdict: {trace:#?}"));
    assert_eq!(v.oracle, Oracle::Silence, "{trace:#?}");
    assert_eq!(
        v.signature, "timeout: after ABOR of a transfer that had its 1xx",
        "{trace:#?}"
    );
    assert!(
        v.detail.starts_with("a reply missing after the ABOR"),
        "{}",
        v.detail
    );
}

#[tokio::test]
async fn a_second_reply_to_an_over_long_line_is_not_taken_for_the_next_commands() {
    // pyftpdlib 2.2.0: "500 Command too long." and, a moment later, "500 Command "" not
    // understood." for one over-long line. Taken for NOOP's reply, it would hand NOOP's 200 to
    // the malformed EPRT after it: a false malformed-accepted.
    let script: Script = Arc::new(|line| match line {
        l if l.len() > 600 => Answer::Twice(
            "500 Command too long.\r\n".into(),
            Duration::from_millis(2),
            "500 Command \"\" not understood.\r\n".into(),
        ),
        l if l.starts_with("EPRT") => Answer::Reply("501 Bad EPRT\r\n".into()),
        _ => ok(),
    });
    let ops = vec![
        Op::Overlong(crate::fuzz::input::ops::Overlong {
            verb: Cmd::Noop,
            len: crate::fuzz::input::ops::OverlongLen::Around2048(0),
            fill: b'x',
        }),
        Op::Cmd(Cmd::Noop),
        Op::Cmd(Cmd::Eprt(EprtOp {
            first: EprtMut::Unterminated,
            second: None,
        })),
    ];
    let addr = peer(Later::Serve, script).await;
    let trace = execute(&dialogue(ops), &config(addr)).await;
    assert_eq!(judge(&trace), None, "{trace:#?}");
}

#[tokio::test]
async fn malformed_reply_syntax() {
    let script: Script = Arc::new(|_| Answer::Reply("200\r\n".into()));
    let v = verdict_of(Later::Serve, script, vec![Op::Cmd(Cmd::Noop)]).await;
    assert_eq!(v, Some((Oracle::MalformedReply, "bad-separator".into())));
}

#[tokio::test]
async fn malformed_229() {
    let script: Script = Arc::new(|_| Answer::Reply("229 Entering (|||6446)\r\n".into()));
    let v = verdict_of(
        Later::Serve,
        script,
        vec![Op::Cmd(Cmd::Epsv(EpsvOp::Plain))],
    )
    .await;
    let (oracle, signature) = v.expect("a verdict");
    assert_eq!(oracle, Oracle::MalformedReply);
    assert!(signature.starts_with("229 unparseable"), "{signature}");
}

#[tokio::test]
async fn two_hundred_for_a_malformed_eprt() {
    let script: Script = Arc::new(|_| ok());
    let ops = vec![eprt(EprtMut::IllegalDelimiter(IllegalByte::Del))];
    let v = verdict_of(Later::Serve, script, ops).await;
    assert_eq!(v.map(|v| v.0), Some(Oracle::MalformedAccepted));
}

#[tokio::test]
async fn bounce_accepted() {
    let script: Script = Arc::new(|_| ok());
    let v = verdict_of(
        Later::Serve,
        script,
        vec![eprt(EprtMut::Address(AddrMut::Foreign))],
    )
    .await;
    assert_eq!(v, Some((Oracle::BounceAccepted, "EPRT".into())));
}

#[tokio::test]
async fn epsv_all_lockout_broken() {
    let script: Script = Arc::new(|line| match line {
        "PASV" => Answer::Reply("227 Entering Passive Mode (127,0,0,1,4,1)\r\n".into()),
        _ => ok(),
    });
    let ops = vec![Op::Cmd(Cmd::Epsv(EpsvOp::All)), Op::Cmd(Cmd::Pasv(None))];
    let v = verdict_of(Later::Serve, script, ops).await;
    assert_eq!(v, Some((Oracle::LockoutBroken, "PASV".into())));
}

#[tokio::test]
async fn a_229_whose_port_does_not_listen() {
    // Bound but not listening: the port refuses connections, and no other test can take it
    // while this one holds it (a dropped listener's port could be reused at once).
    let closed = tokio::net::TcpSocket::new_v4().unwrap();
    closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = closed.local_addr().unwrap().port();
    let reply = format!("229 Entering Extended Passive Mode (|||{port}|)\r\n");
    let script: Script = Arc::new(move |_| Answer::Reply(reply.clone()));
    let ops = vec![
        Op::Cmd(Cmd::Epsv(EpsvOp::Plain)),
        Op::Data(DataOp::Connect { foreign: false }),
    ];
    let v = verdict_of(Later::Serve, script, ops).await;
    assert_eq!(v, Some((Oracle::DeadPassivePort, "229".into())));
}

#[tokio::test]
async fn port_theft_served() {
    // The peer listens for the data connection and serves whoever comes.
    let data = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = data.local_addr().unwrap().port();
    tokio::spawn(async move {
        if let Ok((mut s, _)) = data.accept().await {
            let _ = s.write_all(b"secret\n").await;
        }
    });
    let reply = format!("229 Entering Extended Passive Mode (|||{port}|)\r\n");
    let script: Script = Arc::new(move |line| match line {
        "RETR hello.txt" => Answer::Reply("150 Here\r\n226 Done\r\n".into()),
        _ => Answer::Reply(reply.clone()),
    });
    let ops = vec![
        Op::Cmd(Cmd::Epsv(EpsvOp::Plain)),
        Op::Data(DataOp::Connect { foreign: true }),
        Op::Transfer(Transfer {
            kind: TransferCmd::Retr(PathArg::Hello),
            plan: DataPlan::Auto,
        }),
    ];
    let addr = peer(Later::Serve, script).await;
    let trace = execute(&dialogue(ops), &config(addr)).await;
    let cfg = config(addr);
    if !cfg.foreign_ok() {
        return;
    }
    let v = judge(&trace).expect("a verdict");
    assert_eq!(v.oracle, Oracle::ForeignServed, "{trace:#?}");
}

#[tokio::test]
async fn a_well_behaved_peer_gets_no_verdict_and_scenarios_reparse() {
    let script: Script = Arc::new(|line| match line {
        l if l.starts_with("EPRT \u{7f}") => Answer::Reply("501 Bad delimiter\r\n".into()),
        _ => ok(),
    });
    let ops = vec![
        Op::Cmd(Cmd::Noop),
        eprt(EprtMut::None),
        eprt(EprtMut::IllegalDelimiter(IllegalByte::Del)),
    ];
    let addr = peer(Later::Serve, script).await;
    let trace = execute(&dialogue(ops), &config(addr)).await;
    assert_eq!(judge(&trace), None, "{trace:#?}");
    // Every step written for a (pretend) verdict at the last reply re-parses.
    let verdict = crate::fuzz::judge::oracle::Violation {
        oracle: Oracle::Silence,
        signature: "x".into(),
        act: trace.acts.len() - 1,
        detail: "pretend".into(),
        expect: crate::fuzz::judge::oracle::ReplayCheck::AnyReply,
        rule: None,
    };
    let scenario = crate::fuzz::to_scenario(&trace, &verdict, "fuzz.test.x".into(), "t".into());
    let text = scenario.to_string();
    let parsed = crate::suite::parse_str(&text, std::path::Path::new("x.ftpspec"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(parsed[0].steps.len(), scenario.steps.len());
    assert!(text.contains("send        EPRT \\x7f"), "{text}");
}

#[tokio::test]
async fn a_late_reply_is_missed_by_a_measured_wait_and_not_by_a_full_one() {
    let script: Script = Arc::new(|line| match line {
        "NOOP" => Answer::Late(Duration::from_millis(1000), "200 late\r\n".into()),
        _ => ok(),
    });
    let addr = peer(Later::Serve, script).await;
    let ops = vec![Op::Cmd(Cmd::Stat), Op::Cmd(Cmd::Noop), Op::Cmd(Cmd::Stat)];
    let full = ExecConfig {
        timeout: Duration::from_secs(5),
        ..config(addr)
    };
    let trace = execute(&dialogue(ops.clone()), &full).await;
    assert_eq!(judge(&trace).map(|v| v.oracle), None, "{:?}", trace.end);

    // The same server, measured: STAT answers at once, so NOOP's 1 s is far beyond the
    // patience the measured reply time allows. (The campaign confirms such a verdict with a
    // full rerun before it reports anything.)
    let measured = ExecConfig {
        waits: Waits::Measured,
        // A fresh measure: the full run's 1 s sample would rightly raise the patience.
        latency: Arc::default(),
        ..full.clone()
    };
    let trace = execute(&dialogue(ops), &measured).await;
    assert!(measured.reply_wait() < Duration::from_millis(1000));
    assert_eq!(
        judge(&trace).map(|v| v.oracle),
        Some(Oracle::Silence),
        "{:?}",
        trace.end
    );
}

/// A peer that logs anyone in, answers SYST with 215, and treats STAT as `stat` says.
fn sentinel_peer(stat: fn() -> Answer) -> Script {
    Arc::new(move |line| match line {
        l if l.starts_with("USER") => Answer::Reply("230 in\r\n".into()),
        "SYST" => Answer::Reply("215 UNIX Type: L8\r\n".into()),
        "STAT" => stat(),
        _ => ok(),
    })
}

#[tokio::test]
async fn the_sentinel_proves_a_swallowed_line_and_its_replay_waits_for_that_line() {
    let addr = peer(Later::Serve, sentinel_peer(|| Answer::Silent)).await;
    let cfg = config(addr);
    cfg.latency
        .set_answers_sentinel(crate::fuzz::exec::latency::Sentinel::ALWAYS);
    let ops = vec![Op::Cmd(Cmd::Noop), Op::Cmd(Cmd::Stat)];
    let trace = execute(&Dialogue { login: true, ops }, &cfg).await;
    assert!(
        matches!(
            trace.end,
            crate::fuzz::exec::trace::End::NoReply {
                how: crate::fuzz::exec::trace::NoReply::Skipped,
                ..
            }
        ),
        "{:?}",
        trace.end
    );
    let v = judge(&trace).expect("a verdict");
    assert_eq!(
        (v.oracle, v.signature.as_str()),
        (Oracle::Silence, "timeout: STAT")
    );
    // The replay leaves the sentinel out and ends waiting for STAT's reply.
    let scenario = crate::fuzz::to_scenario(&trace, &v, "fuzz.test.s".into(), "t".into());
    let text = scenario.to_string();
    assert!(!text.contains("SYST"), "{text}");
    let steps: Vec<&str> = text.lines().map(str::trim).collect();
    let stat = steps.iter().position(|l| *l == "send        STAT");
    assert_eq!(stat.map(|i| steps[i + 1..].len()), Some(1), "{text}");
    assert!(
        steps.last().is_some_and(|l| l.starts_with("expect")),
        "{text}"
    );
}

#[tokio::test]
async fn a_slow_reply_overtaken_by_nothing_is_no_finding_with_the_sentinel() {
    let late = || Answer::Late(Duration::from_millis(150), "211 late\r\n".into());
    let addr = peer(Later::Serve, sentinel_peer(late)).await;
    let cfg = ExecConfig {
        waits: Waits::Measured,
        ..config(addr)
    };
    cfg.latency
        .set_answers_sentinel(crate::fuzz::exec::latency::Sentinel::ALWAYS);
    for _ in 0..8 {
        cfg.latency.observe(Duration::from_micros(200));
    }
    let ops = vec![Op::Cmd(Cmd::Stat), Op::Cmd(Cmd::Noop)];
    let trace = execute(&Dialogue { login: true, ops }, &cfg).await;
    assert_eq!(judge(&trace), None, "{trace:#?}");
    let stat = trace.commands.iter().find(|c| c.verb == b"STAT");
    assert_eq!(stat.map(|c| c.replies[0].code.0), Some(211), "{trace:#?}");
    assert!(
        trace.sentinels.len() == 1,
        "the late reply was waited for past the measured wait"
    );
}

#[tokio::test]
async fn earlier_sessions_come_first_in_a_series_scenario_and_it_reparses() {
    let addr = peer(Later::Serve, Arc::new(|_| ok())).await;
    let cfg = config(addr);
    let first = execute(&dialogue(vec![Op::Cmd(Cmd::Stat)]), &cfg).await;
    let last = execute(&dialogue(vec![Op::Cmd(Cmd::Noop)]), &cfg).await;
    let verdict = crate::fuzz::judge::oracle::Violation {
        oracle: Oracle::Unavailable,
        signature: "target stopped serving: greeting 421".into(),
        act: last.acts.len() - 1,
        detail: "pretend".into(),
        expect: crate::fuzz::judge::oracle::ReplayCheck::AnyReply,
        rule: None,
    };
    let scenario = crate::fuzz::judge::scenario::to_scenario_after(
        std::slice::from_ref(&first),
        &last,
        &verdict,
        "fuzz.test.u".into(),
        "t".into(),
    );
    let text = scenario.to_string();
    let steps: Vec<&str> = text.lines().map(str::trim).collect();
    let at = |s: &str| steps.iter().position(|l| *l == s);
    assert!(at("send        STAT") < at("reconnect"), "{text}");
    assert!(at("reconnect") < at("send        NOOP"), "{text}");
    crate::suite::parse_str(&text, std::path::Path::new("u.ftpspec"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
}

#[tokio::test]
async fn a_reply_lost_behind_an_unanswered_data_setup_is_one_defect_whichever_it_was() {
    // pyftpdlib 2.2.0 connects before it answers EPRT, answers what came behind first, and
    // loses the EPRT's reply when a later command cancels the connection.
    let script: Script = Arc::new(|line| match line {
        l if l.starts_with("EPRT") => Answer::Silent,
        _ => ok(),
    });
    let ops = vec![Op::Pipeline(vec![
        Cmd::Eprt(EprtOp {
            first: EprtMut::None,
            second: None,
        }),
        Cmd::Noop,
        Cmd::Stat,
    ])];
    let v = verdict_of(Later::Serve, script, ops).await;
    assert_eq!(
        v,
        Some((
            Oracle::Silence,
            "timeout: a reply lost behind an unanswered data setup".into()
        ))
    );
}

#[tokio::test]
async fn a_close_after_an_over_long_line_names_that_line_not_the_sentinel() {
    let script: Script = Arc::new(|line| match line {
        l if l.starts_with("USER") => Answer::Reply("230 in\r\n".into()),
        "SYST" => Answer::Reply("215 UNIX Type: L8\r\n".into()),
        l if l.len() > 1024 => Answer::ReplyAndClose("500 too long\r\n".into()),
        _ => ok(),
    });
    let addr = peer(Later::Serve, script).await;
    let cfg = config(addr);
    cfg.latency
        .set_answers_sentinel(crate::fuzz::exec::latency::Sentinel::ALWAYS);
    let long = Op::Overlong(crate::fuzz::input::ops::Overlong {
        verb: Cmd::Noop,
        len: crate::fuzz::input::ops::OverlongLen::Any(3000),
        fill: b'J',
    });
    let trace = execute(
        &Dialogue {
            login: true,
            ops: vec![long],
        },
        &cfg,
    )
    .await;
    let v = judge(&trace).expect("a verdict");
    assert_eq!(v.oracle, Oracle::ClosedWithout421, "{trace:#?}");
    assert_eq!(v.signature, "closed after answering an over-long line");
    assert!(
        v.detail.contains("after the reply to \"NOOP\""),
        "{}",
        v.detail
    );
    assert!(!v.detail.contains("SYST"), "{}", v.detail);
}
