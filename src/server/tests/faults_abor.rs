//! The ABOR faults (RFC 959 §4.1.3, §5.4; RFC 2428 §3), and the clean behaviour they bend:
//! an aborted transfer leaves no state behind.

use super::common::{at, drain, stalled_retr};
use crate::proto::telnet::{DM, IAC, IP};
use crate::server::testkit::{Client, connect, faulty, read_all, server, with_fault};
use crate::server::{Config, Fault, HELLO, LARGE_LEN, large_pattern};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// RETR large.bin, read `before` bytes, ABOR (426, 226), drain; then RETR it again in full.
async fn abort_then_retry(c: &mut Client, before: usize) -> Vec<u8> {
    let mut data = stalled_retr(c).await;
    let mut head = vec![0u8; before];
    data.read_exact(&mut head).await.unwrap();
    c.send("ABOR").await;
    assert_eq!(c.reply().await.code, 426);
    assert_eq!(c.reply().await.code, 226);
    drain(data).await;
    c.fetch("RETR large.bin").await
}

#[tokio::test]
async fn an_aborted_retr_leaves_no_offset_behind() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    assert!(abort_then_retry(&mut c, 1000).await == large_pattern());
}

#[tokio::test]
async fn abor_idle_wrong_code() {
    let (_s, addr) = faulty(Fault::AborIdleWrongCode).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("ABOR").await;
    assert_eq!((r.code, r.text()), (200, "OK"));
    let port = c.epsv().await;
    assert_eq!(c.cmd("ABOR").await.code, 200);
    assert!(
        TcpStream::connect(at(port)).await.is_err(),
        "listener closed"
    );
    // During a transfer ABOR is unchanged.
    let data = stalled_retr(&mut c).await;
    c.send("ABOR").await;
    assert_eq!(c.reply().await.code, 426);
    assert_eq!(c.reply().await.code, 226);
    drain(data).await;
}

#[tokio::test]
async fn abor_not_implemented() {
    let (_s, addr) = faulty(Fault::AborNotImplemented).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    assert_eq!(c.cmd("ABOR").await.code, 502);
    assert!(
        TcpStream::connect(at(port)).await.is_ok(),
        "a 502 ABOR does nothing: the listener stays"
    );
    // During a transfer ABOR waits its turn: the whole file, 226, then the 502.
    let data = stalled_retr(&mut c).await;
    c.send("ABOR").await;
    assert_eq!(drain(data).await.len(), LARGE_LEN);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(c.reply().await.code, 502);
}

#[tokio::test]
async fn abor_no_226() {
    let (_s, addr) = faulty(Fault::AborNo226).await;
    let mut c = Client::logged_in(addr).await;
    let data = stalled_retr(&mut c).await;
    c.send("ABOR").await;
    assert_eq!(c.reply().await.code, 426);
    assert!(c.silent().await, "no 226 after the 426");
    assert!(drain(data).await.len() < LARGE_LEN);
    assert_eq!(c.cmd("NOOP").await.code, 200);
    assert_eq!(c.cmd("ABOR").await.code, 225, "idle ABOR unchanged");
}

#[tokio::test]
async fn abor_ignored() {
    let config = Config {
        data_timeout: Duration::from_secs(1),
        ..with_fault(Fault::AborIgnored)
    };
    let (_s, addr) = server(config).await;
    let mut c = Client::logged_in(addr).await;
    let data = stalled_retr(&mut c).await;
    c.send("ABOR").await;
    assert!(c.silent().await, "ABOR is not acted on");
    // The client never reads: the transfer ends only by the data timeout, then ABOR's turn.
    assert_eq!(c.reply().await.code, 426);
    assert_eq!(c.reply().await.code, 225);
    drop(data);
    // Reading along, the transfer completes in full and ABOR comes after it.
    let data = stalled_retr(&mut c).await;
    c.send("ABOR").await;
    assert_eq!(read_all(data).await.len(), LARGE_LEN);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(c.reply().await.code, 225);
}

#[tokio::test]
async fn abor_keeps_listener() {
    let (_s, addr) = faulty(Fault::AborKeepsListener).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    assert_eq!(c.cmd("ABOR").await.code, 225);
    let data = connect(at(port)).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
    // A pending active setup is still dropped.
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|5000|").await.code, 200);
    assert_eq!(c.cmd("ABOR").await.code, 225);
    assert_eq!(c.cmd("RETR hello.txt").await.code, 425);
}

#[tokio::test]
async fn abor_keeps_offset() {
    let (_s, addr) = faulty(Fault::AborKeepsOffset).await;
    let mut c = Client::logged_in(addr).await;
    let retry = abort_then_retry(&mut c, 1000).await;
    let stopped = LARGE_LEN - retry.len();
    assert!(stopped >= 1000, "resumed at {stopped}");
    assert!(
        retry == large_pattern()[stopped..],
        "the tail from the stale offset"
    );
    // The stale offset is used once; the next RETR is whole again.
    assert!(c.fetch("RETR large.bin").await == large_pattern());
    // It belongs to its file: another file's RETR neither uses nor consumes it.
    let data = stalled_retr(&mut c).await;
    c.send("ABOR").await;
    assert_eq!(c.reply().await.code, 426);
    assert_eq!(c.reply().await.code, 226);
    drain(data).await;
    assert_eq!(c.fetch("RETR hello.txt").await, HELLO);
    assert!(c.fetch("RETR large.bin").await.len() < LARGE_LEN);
}

#[tokio::test]
async fn telnet_not_stripped() {
    let (_s, addr) = faulty(Fault::TelnetNotStripped).await;
    let mut c = Client::logged_in(addr).await;
    let data = stalled_retr(&mut c).await;
    c.send_raw(&[IAC, IP, IAC]).await;
    c.send_urgent(DM);
    c.send("ABOR").await;
    // The transfer goes on to its end; the urgent ABOR is answered after it, as unknown.
    assert_eq!(read_all(data).await.len(), LARGE_LEN);
    assert_eq!(c.reply().await.code, 226);
    let r = c.reply().await;
    assert_eq!((r.code, r.text()), (500, "Unknown command"));
    // Plain ABOR still works.
    let data = stalled_retr(&mut c).await;
    c.send("ABOR").await;
    assert_eq!(c.reply().await.code, 426);
    assert_eq!(c.reply().await.code, 226);
    drain(data).await;
}
