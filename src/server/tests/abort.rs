//! ABOR (RFC 959 §4.1.3), plain and with the Telnet special action, and the RFC 2428 §3 flow.

use super::common::{at, drain, stalled_retr};
use crate::proto::telnet::{DM, IAC, IP};
use crate::server::testkit::{Client, connect, read_all, server};
use crate::server::{Config, HELLO, LARGE_LEN};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// 426 then 226, the data connection closed early, and the session still works.
async fn expect_aborted(c: &mut Client, data: TcpStream) {
    let r = c.reply().await;
    assert_eq!(
        (r.code, r.text()),
        (426, "Connection closed; transfer aborted")
    );
    assert_eq!(c.reply().await.code, 226);
    let got = drain(data).await;
    assert!(got.len() < LARGE_LEN, "the whole file arrived despite ABOR");
    assert_eq!(c.cmd("NOOP").await.code, 200);
    assert_eq!(c.fetch("RETR hello.txt").await, HELLO);
}

#[tokio::test]
async fn abor_with_nothing_running() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("ABOR").await.code, 225);
    assert_eq!(c.cmd("NOOP").await.code, 200);
}

#[tokio::test]
async fn abor_closes_a_pending_listener() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    assert_eq!(c.cmd("ABOR").await.code, 225);
    assert!(TcpStream::connect(at(port)).await.is_err());
}

#[tokio::test]
async fn abor_during_retr() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let data = stalled_retr(&mut c).await;
    c.send("ABOR").await;
    expect_aborted(&mut c, data).await;
}

#[tokio::test]
async fn abor_with_the_urgent_special_action() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let data = stalled_retr(&mut c).await;
    c.send_raw(&[IAC, IP, IAC]).await;
    c.send_urgent(DM);
    c.send("ABOR").await;
    expect_aborted(&mut c, data).await;
}

#[tokio::test]
async fn abor_while_waiting_for_the_data_connection() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    c.epsv().await;
    c.send("RETR hello.txt").await;
    c.send("ABOR").await;
    assert_eq!(c.reply().await.code, 426);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(c.cmd("NOOP").await.code, 200);
}

#[tokio::test]
async fn abor_during_stor_stores_nothing() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    let mut data = connect(at(port)).await;
    assert_eq!(c.cmd("STOR partial.bin").await.code, 150);
    data.write_all(b"some bytes").await.unwrap();
    c.send("ABOR").await;
    assert_eq!(c.reply().await.code, 426);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(c.cmd("SIZE partial.bin").await.code, 550);
}

#[tokio::test]
async fn commands_during_a_transfer_are_answered_after_it() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let data = stalled_retr(&mut c).await;
    c.send("NOOP").await;
    c.send("SYST").await;
    assert_eq!(read_all(data).await.len(), LARGE_LEN);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(c.reply().await.code, 200);
    assert_eq!(c.reply().await.code, 215);
}

#[tokio::test]
async fn rfc2428_unusable_protocol_then_abor_then_retry() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("EPSV 2").await.code, 522);
    assert_eq!(c.cmd("ABOR").await.code, 225);
    let r = c.cmd("EPSV 1").await;
    assert_eq!(r.code, 229);
    let port = crate::proto::EpsvReply::from_reply_text(r.text().as_bytes())
        .unwrap()
        .port;
    let data = connect(at(port)).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
}
