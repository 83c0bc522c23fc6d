//! Hostile targets: whatever a server does, every scenario ends with a verdict and a reason that
//! names what the server did, within the configured timeouts, without a panic, and without
//! ftpspec connecting anywhere but the target.
//!
//! Where the behaviour under test is the server's bytes and timing, the peer is scripted over
//! an in-memory stream (`tokio::io::duplex`, [`verdict_in_memory`]) on a paused clock: every
//! timeout is virtual, so it costs no real time and the outcome does not depend on scheduling
//! (as quinn-proto and mini-redis test). What needs real sockets stays on loopback ([`peer`]): a
//! 227 naming another host, data connections, a TCP reset, TCP urgent data, and a whole run,
//! which connects to its target.

use ftpspec::runner::{RunConfig, Target, Verdict, run_one, run_one_over};
use ftpspec::suite::{Scenario, parse_str};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::{TcpListener, TcpStream};

/// The addresses an in-memory peer stands for. No moved scenario opens a TCP connection (no
/// data connection, no `reconnect`); one that did would go to loopback.
const MEMORY_PEER: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 21);
const MEMORY_LOCAL: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 40_000);

/// A scripted peer: accepts connections on 127.0.0.1:0 and runs `script` on each.
async fn peer<F, Fut>(script: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        // Bounded: a test opens a handful of connections at most.
        for _ in 0..16 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(script(stream));
        }
    });
    addr
}

fn config(addr: SocketAddr) -> RunConfig {
    let target = Target::anonymous(vec![addr], "hostile");
    let mut config = RunConfig::new(target);
    config.step_timeout = Duration::from_millis(500);
    config.scenario_timeout = Duration::from_secs(10);
    config
}

fn scenario(steps: &str) -> Scenario {
    let source = format!(
        "scenario hostile.case \"t\"\n  spec RFC959 §4.2 MUST\n  requirement \"r\"\n{steps}"
    );
    parse_str(&source, Path::new("hostile.ftpspec"))
        .expect("parses")
        .remove(0)
}

/// Reads one line from the client (best effort, bounded).
async fn read_line(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 4096 {
        match stream.read(&mut byte).await {
            Ok(1) => {
                line.push(byte[0]);
                if byte[0] == b'\n' {
                    break;
                }
            }
            _ => break,
        }
    }
    line
}

/// Greets, answers the first command with `reply`, then stays open (silent) until the client
/// goes away.
async fn greet_then_script(mut s: impl AsyncRead + AsyncWrite + Unpin, reply: &[u8]) {
    let _ = s.write_all(b"220 hi\r\n").await;
    let _ = read_line(&mut s).await;
    let _ = s.write_all(reply).await;
    let mut sink = [0u8; 64];
    while let Ok(n) = s.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}

/// A loopback peer running [`greet_then_script`].
async fn greet_then(addr_reply: &'static [u8]) -> SocketAddr {
    peer(move |s| greet_then_script(s, addr_reply)).await
}

async fn verdict_of(addr: SocketAddr, steps: &str) -> (Verdict, String) {
    let outcome = run_one(&scenario(steps), &config(addr)).await;
    let reason = outcome.reason.clone().unwrap_or_default();
    (outcome.verdict, reason)
}

/// Runs `steps` against `script` playing the server over an in-memory stream. The script is
/// stopped when the scenario ends (a script may never end by itself).
async fn verdict_in_memory<F, Fut>(script: F, steps: &str) -> (Verdict, String)
where
    F: FnOnce(DuplexStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (client, server) = tokio::io::duplex(64 * 1024);
    let server_task = tokio::spawn(script(server));
    let outcome = run_one_over(
        &scenario(steps),
        &config(MEMORY_PEER),
        client,
        MEMORY_PEER,
        MEMORY_LOCAL,
    )
    .await;
    server_task.abort();
    let reason = outcome.reason.clone().unwrap_or_default();
    (outcome.verdict, reason)
}

/// [`verdict_in_memory`] against [`greet_then_script`].
async fn greet_then_in_memory(reply: &'static [u8], steps: &str) -> (Verdict, String) {
    verdict_in_memory(move |s| greet_then_script(s, reply), steps).await
}

#[tokio::test(start_paused = true)]
async fn no_greeting_is_error() {
    let script = |s| async move {
        let _keep = s;
        std::future::pending::<()>().await;
    };
    let (v, why) = verdict_in_memory(script, "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Error);
    assert!(why.contains("greeting"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn closing_at_once_is_error() {
    let script = |s| async move { drop(s) };
    let (v, why) = verdict_in_memory(script, "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Error);
    assert!(why.contains("closed") || why.contains("greeting"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn endless_line_is_a_bounded_failure() {
    let script = |mut s: DuplexStream| async move {
        let _ = s.write_all(b"220 hi\r\n").await;
        let _ = read_line(&mut s).await;
        let chunk = vec![b'x'; 64 * 1024];
        // 4 MiB without a line end: far past the parser's line limit.
        for _ in 0..64 {
            if s.write_all(&chunk).await.is_err() {
                break;
            }
        }
    };
    let (v, why) = verdict_in_memory(script, "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Fail);
    assert!(why.contains("longer than"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn endless_multiline_reply_is_a_bounded_failure() {
    let script = |mut s: DuplexStream| async move {
        let _ = s.write_all(b"220 hi\r\n").await;
        let _ = read_line(&mut s).await;
        let _ = s.write_all(b"200-start\r\n").await;
        for _ in 0..5000 {
            if s.write_all(b" more\r\n").await.is_err() {
                break;
            }
        }
    };
    let (v, why) = verdict_in_memory(script, "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Fail);
    assert!(why.contains("lines"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn bad_codes_and_terminators_name_what_the_server_did() {
    for (reply, needle) in [
        (&b"2200 ok\r\n"[..], "three-digit"),
        (b"20 ok\r\n", "three-digit"),
        (b"abc\r\n", "three-digit"),
        (b"200-a\r\n210 b\r\n", "terminated"),
        (b"200 bare lf\n", "bare LF"),
    ] {
        let (v, why) = greet_then_in_memory(reply, "  send NOOP\n  expect 200\n").await;
        assert_eq!(v, Verdict::Fail, "{reply:?}");
        assert!(why.contains(needle), "{reply:?}: {why}");
    }
}

#[tokio::test(start_paused = true)]
async fn silence_after_a_command_is_a_failure_not_a_hang() {
    let (v, why) = greet_then_in_memory(b"", "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Fail);
    assert!(why.contains("no reply"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn dripping_reply_times_out() {
    let script = |mut s: DuplexStream| async move {
        let _ = s.write_all(b"220 hi\r\n").await;
        let _ = read_line(&mut s).await;
        for b in b"200 slow reply\r\n" {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let (v, why) = verdict_in_memory(script, "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Fail);
    assert!(why.contains("no reply"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn invalid_utf8_text_is_kept_and_judged() {
    let (v, _) = greet_then_in_memory(b"200 \xff\xfe ok\r\n", "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Pass);
}

/// A 227 naming 127.0.0.3: ftpspec connects to the control peer (127.0.0.1), never there.
#[tokio::test]
async fn foreign_227_address_is_never_followed() {
    let decoy = match TcpListener::bind("127.0.0.3:0").await {
        Ok(l) => l,
        Err(_) => return, // no 127.0.0.3 on this machine: nothing to prove here
    };
    let port = decoy.local_addr().expect("addr").port();
    let reply: &'static [u8] = Box::leak(
        format!(
            "227 Entering Passive Mode (127,0,0,3,{},{})\r\n",
            port >> 8,
            port & 0xff
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let addr = greet_then(reply).await;
    let (v, _) = verdict_of(
        addr,
        "  send PASV\n  expect 227 as pasv\n  connect data to ${pasv.port}\n",
    )
    .await;
    assert!(matches!(v, Verdict::Fail | Verdict::Pass), "{v}");
    let stolen = tokio::time::timeout(Duration::from_millis(50), decoy.accept()).await;
    assert!(
        stolen.is_err(),
        "ftpspec connected to the address the 227 named"
    );
}

#[tokio::test(start_paused = true)]
async fn malformed_229_is_a_failure_with_the_reason() {
    for reply in [
        &b"229 Entering Extended Passive Mode (|1|127.0.0.1|6446|)\r\n"[..],
        b"229 Entering Extended Passive Mode (|||0|)\r\n",
        b"229 Entering Extended Passive Mode (|||99999999999999999999999999999999999|)\r\n",
    ] {
        let (v, why) = greet_then_in_memory(reply, "  send EPSV\n  expect 229 as epsv\n").await;
        assert_eq!(v, Verdict::Fail, "{reply:?}");
        assert!(why.contains("229"), "{why}");
    }
}

#[tokio::test]
async fn reset_mid_reply_is_a_failure() {
    let addr = peer(|mut s| async move {
        let _ = s.write_all(b"220 hi\r\n").await;
        let _ = read_line(&mut s).await;
        let _ = s.write_all(b"200 half a rep").await;
        // SO_LINGER 0: close with a reset, not a FIN.
        let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
        drop(s);
    })
    .await;
    let (v, why) = verdict_of(addr, "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Fail);
    assert!(
        why.contains("closed") || why.contains("reset") || why.contains("failed"),
        "{why}"
    );
}

/// Replies nobody asked for: each `expect` reads one reply, so the flood shows up as wrong
/// codes, never as unbounded buffering.
#[tokio::test(start_paused = true)]
async fn unsolicited_reply_flood_is_judged_reply_by_reply() {
    let script = |mut s: DuplexStream| async move {
        let _ = s.write_all(b"220 hi\r\n").await;
        let _ = read_line(&mut s).await;
        for _ in 0..20_000 {
            if s.write_all(b"211 spam\r\n").await.is_err() {
                break;
            }
        }
    };
    let (v, why) = verdict_in_memory(script, "  send NOOP\n  expect 200\n").await;
    assert_eq!(v, Verdict::Fail);
    assert!(why.contains("211") || why.contains("code"), "{why}");
}

/// A data connection that is accepted but never sends nor closes: `read` ends at the step
/// timeout with a failure that says so.
#[tokio::test]
async fn data_connection_that_never_ends_is_a_failure() {
    let data = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = data.local_addr().expect("addr").port();
    tokio::spawn(async move {
        if let Ok((held, _)) = data.accept().await {
            let _keep = held;
            std::future::pending::<()>().await;
        }
    });
    let reply: &'static [u8] = Box::leak(
        format!("229 Entering Extended Passive Mode (|||{port}|)\r\n")
            .into_bytes()
            .into_boxed_slice(),
    );
    let addr = greet_then(reply).await;
    let steps = "  send EPSV\n  expect 229 as epsv\n  connect data to ${epsv.port}\n  read data\n";
    let (v, why) = verdict_of(addr, steps).await;
    assert_eq!(v, Verdict::Fail);
    assert!(why.contains("reading data"), "{why}");
}

/// ABOR never answered: the scenario fails at the step timeout, the run goes on.
#[tokio::test]
async fn abor_never_answered_is_a_failure() {
    let addr = greet_then(b"").await;
    let (v, why) = verdict_of(addr, "  abort urgent\n  expect 225 226\n").await;
    assert_eq!(v, Verdict::Fail);
    assert!(why.contains("no reply"), "{why}");
}

/// The whole built-in suite against a server that greets and then stays silent: every
/// scenario ends (FAIL or ERROR), and the run ends, bounded by the step timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_suite_against_a_silent_server_ends_with_verdicts() {
    use ftpspec::runner::run;
    use std::sync::Arc;
    let addr = peer(|mut s| async move {
        let _ = s.write_all(b"220 hi\r\n").await;
        let mut sink = [0u8; 256];
        while let Ok(n) = s.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    let mut cfg = config(addr);
    cfg.jobs = 16;
    let scenarios = crate::support::all_scenarios();
    let count = scenarios.len();
    let report = run(scenarios, Arc::new(cfg), None, |_| {}).await;
    assert_eq!(
        report.outcomes.len(),
        count,
        "every scenario has an outcome"
    );
    for o in &report.outcomes {
        // The run-wide syntax check passes: a silent server sends no malformed reply.
        let passes = o.verdict == Verdict::Pass && o.id != "rfc959.reply.syntax-all";
        assert!(!passes, "{} passed against a silent server", o.id);
        if o.verdict != Verdict::Pass && o.verdict != Verdict::Skip {
            assert!(
                o.reason.as_deref().is_some_and(|r| !r.is_empty()),
                "{} has no reason",
                o.id
            );
        }
    }
}
