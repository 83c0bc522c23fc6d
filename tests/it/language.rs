//! The scenario-language additions, run against the reference server: each step shown passing
//! and failing (or, for harness conditions, ending in ERROR).

use crate::support::{config_for, start_server};
use ftpspec::runner::{self, Outcome, RunConfig, Target, Verdict};
use ftpspec::server::{FaultSet, HELLO, LARGE_LEN};
use ftpspec::session::transcript::{Channel, Direction};
use ftpspec::suite::{Scenario, parse_str};
use std::net::SocketAddr;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

fn scenario(body: &str) -> Scenario {
    let src = format!(
        "scenario test.language \"A language test\"\n  spec RFC959 §4.2 MUST\n  requirement \"r\"\n{body}"
    );
    match parse_str(&src, Path::new("language.ftpspec")) {
        Ok(mut all) => all.remove(0),
        Err(e) => panic!("{e}\n{src}"),
    }
}

/// Runs `body` against a fresh clean reference server.
async fn run(body: &str) -> Outcome {
    let server = start_server(FaultSet::default()).await;
    let outcome = runner::run_one(&scenario(body), &config_for(&server)).await;
    server.shutdown().await;
    outcome
}

#[track_caller]
fn assert_pass(o: &Outcome) {
    assert_eq!(o.verdict, Verdict::Pass, "{:?}\n{:?}", o.failure, o.reason);
}

/// Asserts a FAIL at `line` of the scenario (the body starts on line 4) and returns its
/// message, expected and actual.
#[track_caller]
fn assert_fail(o: &Outcome, line: usize) -> (String, String, String) {
    assert_eq!(o.verdict, Verdict::Fail, "{:?}", o.reason);
    let f = o.failure.clone().expect("a FAIL has a failure");
    assert_eq!(f.at.line, line, "{f:?}");
    (f.message, f.expected, f.actual)
}

#[tokio::test]
async fn if_reply_takes_both_branches() {
    let o = run("login\nsend NOOP\nexpect 200\n\
         if reply 2xx\n  note then-1\nelse\n  note else-1\nend\n\
         if reply 5xx 426\n  note then-2\nelse\n  note else-2\nend\n\
         if reply 200\n  check ${reply.code} equals 201\nend\n")
    .await;
    assert_eq!(o.notes, ["then-1", "else-2"]);
    let (_, expected, actual) = assert_fail(&o, 18);
    assert_eq!((expected.as_str(), actual.as_str()), ("\"201\"", "\"200\""));
}

#[tokio::test]
async fn reply_variables_and_check() {
    let o = run("send NOOP\nexpect 200\ncheck ${reply.code} equals 200\n\
         check ${reply.text} equals \"NOOP ok\"\ncheck ${reply.code} differs 500\n")
    .await;
    assert_pass(&o);
    let o = run("send NOOP\nexpect 200\ncheck ${reply.code} differs 200\n").await;
    let (message, expected, actual) = assert_fail(&o, 6);
    assert_eq!(message, "both values are \"200\"");
    assert_eq!(
        (expected.as_str(), actual.as_str()),
        ("a value other than \"200\"", "\"200\"")
    );
    let o = run("login\ncheck ${reply.code} equals 530\n").await;
    assert_fail(&o, 5);
}

#[tokio::test]
async fn reconnect_starts_a_fresh_session() {
    let lockout =
        "login\nsend EPSV ALL\nexpect 200\nsend PASV\nexpect 503\ncollect cport ${client.port}\n";
    let o = run(&format!(
        "{lockout}reconnect\ncollect cport ${{client.port}}\nlogin\nsend PASV\nexpect 227\n"
    ))
    .await;
    assert_pass(&o);
    assert_eq!(o.notes.len(), 1);
    assert!(
        o.notes[0].ends_with("(2 values, 2 distinct)"),
        "{:?}",
        o.notes
    );
    // Without the new session the lockout of RFC 2428 §4 still holds.
    let o = run(&format!("{lockout}send PASV\nexpect 227\n")).await;
    assert_fail(&o, 11);
}

/// A server that greets its first connection, answers 200 to everything but QUIT, and closes
/// every later connection without a greeting.
async fn greets_once() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (first, _) = listener.accept().await.unwrap();
        tokio::spawn(async move {
            let (read, mut write) = first.into_split();
            write.write_all(b"220 hi\r\n").await.unwrap();
            let mut lines = BufReader::new(read).lines();
            for _ in 0..100 {
                let Ok(Some(line)) = lines.next_line().await else {
                    break;
                };
                let reply: &[u8] = if line == "QUIT" {
                    b"221 bye\r\n"
                } else {
                    b"200 ok\r\n"
                };
                let _ = write.write_all(reply).await;
            }
        });
        for _ in 0..10 {
            let Ok((later, _)) = listener.accept().await else {
                break;
            };
            drop(later);
        }
    });
    addr
}

#[tokio::test]
async fn reconnect_without_a_greeting_is_an_error() {
    let addr = greets_once().await;
    let config = RunConfig::new(Target {
        addrs: vec![addr],
        user: None,
        password: None,
        display: "fake".into(),
        lent: Vec::new(),
    });
    let o = runner::run_one(&scenario("send NOOP\nexpect 200\nreconnect\n"), &config).await;
    assert_eq!(o.verdict, Verdict::Error, "{:?}", o.failure);
    let reason = o.reason.unwrap_or_default();
    assert!(reason.starts_with("reconnect: no greeting"), "{reason}");
}

#[tokio::test]
async fn collected_series_are_noted_even_when_the_scenario_fails() {
    let o = run(
        "login\nrepeat 3\n  send EPSV\n  expect 229 as epsv\n  collect ports ${epsv.port}\n\
         send ABOR\n  expect 225 226\nend\ncheck x equals y\n",
    )
    .await;
    assert_fail(&o, 12);
    assert_eq!(o.notes.len(), 1);
    let note = &o.notes[0];
    assert!(
        note.starts_with("ports: ") && note.contains("(3 values, "),
        "{note}"
    );
}

#[tokio::test]
async fn check_varies_fails_on_a_progression() {
    let collect =
        |values: &[&str]| -> String { values.iter().map(|v| format!("collect p {v}\n")).collect() };
    let o = run(&format!(
        "{}check-varies p\n",
        collect(&["40001", "40002", "40003"])
    ))
    .await;
    let (message, _, actual) = assert_fail(&o, 7);
    assert!(message.contains("predictable"), "{message}");
    assert_eq!(actual, "40001 40002 40003");
    let o = run(&format!(
        "{}check-varies p\n",
        collect(&["40001", "40007", "40002"])
    ))
    .await;
    assert_pass(&o);
    let o = run(&format!("{}check-varies p\n", collect(&["40001", "40002"]))).await;
    assert_eq!(o.verdict, Verdict::Error);
    assert!(o.reason.unwrap_or_default().contains("not enough values"));
}

#[tokio::test]
async fn connect_refused_after_abor_closes_the_epsv_listener() {
    let epsv = "login\nsend EPSV\nexpect 229 as epsv\n";
    let o = run(&format!(
        "{epsv}send ABOR\nexpect 225 226\nconnect gone to ${{epsv.port}} refused\n"
    ))
    .await;
    assert_pass(&o);
    let o = run(&format!("{epsv}connect gone to ${{epsv.port}} refused\n")).await;
    let (message, _, actual) = assert_fail(&o, 7);
    assert!(message.ends_with("still accepts connections"), "{message}");
    assert_eq!(actual, "the connection was accepted");
}

#[tokio::test]
async fn expect_no_data_passes_for_a_thief_and_fails_for_a_served_connection() {
    let epsv = "login\nsend EPSV\nexpect 229 as epsv\n";
    let o = run(&format!(
        "{epsv}connect thief to ${{epsv.port}} from 127.0.0.2\nconnect data to ${{epsv.port}}\n\
         send RETR ${{file.small}}\nexpect 150 125\nread data\nexpect 226 250\nexpect-no-data thief\n"
    ))
    .await;
    assert_pass(&o);
    let o = run(&format!(
        "{epsv}connect data to ${{epsv.port}}\nsend RETR ${{file.small}}\nexpect 150 125\n\
         expect-no-data data\n"
    ))
    .await;
    let (_, _, actual) = assert_fail(&o, 10);
    assert!(
        actual.starts_with(&format!("{} bytes: \"Hello", HELLO.len())),
        "{actual}"
    );
}

const RETR_SMALL: &str = "send EPSV\nexpect 229 as epsv\nconnect data to ${epsv.port}\n\
                          send RETR ${file.small}\nexpect 150 125\n";

#[tokio::test]
async fn read_save_and_same_as() {
    let o = run(&format!(
        "login\n{RETR_SMALL}read data save first\nexpect 226\n{RETR_SMALL}read data same-as first\nexpect 226\n"
    ))
    .await;
    assert_pass(&o);
    let o = run(&format!(
        "login\n{RETR_SMALL}read data save first\nexpect 226\nsend EPSV\nexpect 229 as epsv\n\
         connect data to ${{epsv.port}}\nsend LIST\nexpect 150 125\nread data same-as first\n"
    ))
    .await;
    let (_, expected, actual) = assert_fail(&o, 17);
    assert_eq!(
        expected,
        format!("the {} bytes saved as first", HELLO.len())
    );
    assert!(
        actual.contains("bytes, the first difference at offset 0"),
        "{actual}"
    );
}

const PORT_RETR: &str = "send PORT ${d.hostport}\nexpect 200\nsend RETR ${file.small}\n\
                         expect 150 125\naccept d from ${target.ip}\nread d\nexpect 226\n";

#[tokio::test]
async fn listen_reuse_binds_the_same_port_again() {
    let round = format!("collect port ${{d.port}}\n{PORT_RETR}");
    let o = run(&format!(
        "login\nlisten d reuse\n{round}listen d reuse\n{round}"
    ))
    .await;
    assert_pass(&o);
    assert!(
        o.notes[0].ends_with("(2 values, 1 distinct)"),
        "{:?}",
        o.notes
    );
    let o = run(&format!("login\nlisten d\n{round}listen d\n{round}")).await;
    assert_pass(&o);
    assert!(
        o.notes[0].ends_with("(2 values, 2 distinct)"),
        "{:?}",
        o.notes
    );
}

#[tokio::test]
async fn listeners_survive_a_reconnect() {
    let o = run(&format!("login\nlisten d\nreconnect\nlogin\n{PORT_RETR}")).await;
    assert_pass(&o);
}

#[tokio::test]
async fn accept_binds_who_connected() {
    let o = run(&format!(
        "login\nlisten d\n{PORT_RETR}check ${{d.from.ip}} equals ${{target.ip}}\n\
         check ${{d.from.port}} differs ${{d.port}}\ncheck ${{d.from.port}} equals 0\n"
    ))
    .await;
    let (message, _, _) = assert_fail(&o, 15);
    assert!(message.ends_with("does not equal \"0\""), "{message}");
}

#[tokio::test]
async fn send_long_gets_a_reply_and_stays_compact_in_the_transcript() {
    let o = run("login\nsend-long NOOP 1000000\nexpect 500\nsend NOOP\nexpect 200\n").await;
    assert_pass(&o);
    let sent: Vec<&[u8]> = o
        .transcript
        .entries
        .iter()
        .filter(|e| e.channel == Channel::Control && e.direction == Direction::Sent)
        .map(|e| e.bytes.as_slice())
        .collect();
    assert!(
        sent.iter().all(|b| b.len() < 200),
        "a sent entry is not compact"
    );
    assert!(
        sent.iter()
            .any(|b| b.ends_with(b"AAA... (1000007 bytes in all)")),
        "{sent:?}"
    );
    let o = run("login\nsend-long NOOP 10000\nexpect 421\n").await;
    let (message, _, _) = assert_fail(&o, 6);
    assert!(message.contains("500"), "{message}");
}

#[tokio::test]
async fn expect_close_after_quit() {
    assert_pass(&run("send QUIT\nexpect 221\nexpect close\n").await);
    // The second NOOP's reply arrives where the close was expected.
    let o = run("send NOOP\nsend NOOP\nexpect 200\nexpect close\n").await;
    let (message, _, actual) = assert_fail(&o, 7);
    assert_eq!(
        message,
        "the server replied instead of closing the control connection"
    );
    assert!(actual.starts_with("200 "), "{actual}");
}

#[tokio::test]
async fn protocols_first_is_bound() {
    let body = "login\nsend EPSV 9\nexpect 522 as protocols\ncheck ${protocols.first} equals ";
    assert_pass(&run(&format!("{body}${{client.netprt}}\n")).await);
    assert_fail(&run(&format!("{body}7\n")).await, 7);
}

/// ABOR with the urgent special action during RETR (RFC 959 §4.1.3), then a retried transfer
/// on the same control connection that is byte-exact with a full one.
#[tokio::test]
async fn abort_urgent_then_a_byte_exact_retry() {
    let retr_large = "send EPSV\nexpect 229 as epsv\nconnect data to ${epsv.port}\n\
                      send RETR ${file.large}\nexpect 150 125\n";
    let o = run(&format!(
        "login\nsend TYPE I\nexpect 200\n{retr_large}abort urgent\nexpect 426 226 225\n\
         if reply 426\n  expect 226\n  note 426 then 226\nelse\n  note {{no 426}}\nend\n\
         {retr_large}read data save full length {LARGE_LEN}\nexpect 226\n\
         {retr_large}read data same-as full\nexpect 226\n"
    ))
    .await;
    assert_pass(&o);
    assert_eq!(o.notes.len(), 1, "{:?}", o.notes);
}

#[tokio::test]
async fn repeat_burst_runs_the_configured_number_of_times() {
    let server = start_server(FaultSet::default()).await;
    let mut config = config_for(&server);
    config.burst = 3;
    let body =
        "login\nrepeat ${burst}\n  send NOOP\n  expect 200\n  collect codes ${reply.code}\nend\n";
    let outcome = runner::run_one(&scenario(body), &config).await;
    server.shutdown().await;
    assert_pass(&outcome);
    assert!(
        outcome.notes.iter().any(|n| n.contains("(3 values")),
        "{:?}",
        outcome.notes
    );
}
