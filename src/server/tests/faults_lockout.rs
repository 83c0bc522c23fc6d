//! The EPSV ALL faults (RFC 2428 §3, §4): each lets exactly one thing through the lockout, or
//! ends it at one moment, and the rest of the lockout stays in force.

use super::common::listener;
use crate::server::testkit::{
    Client, LOCALHOST, accept, connect, faulty, read_all, retr_hello_active,
};
use crate::server::{Fault, HELLO};
use std::net::SocketAddr;

const SETUPS: [&str; 5] = [
    "PORT 127,0,0,1,19,136",
    "PASV",
    "EPRT |1|127.0.0.1|5000|",
    "LPRT 4,4,127,0,0,1,2,19,136",
    "LPSV",
];

/// The reply code of every data-setup command but EPSV, in the order of [`SETUPS`].
async fn setup_codes(c: &mut Client) -> Vec<u16> {
    let mut codes = Vec::new();
    for line in SETUPS {
        codes.push(c.cmd(line).await.code);
    }
    codes
}

/// A server with `fault`, logged in, after `EPSV ALL` → 200.
async fn locked(fault: Fault) -> (crate::server::ServerHandle, Client) {
    let (s, addr) = faulty(fault).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("EPSV ALL").await.code, 200);
    (s, c)
}

#[tokio::test]
async fn epsv_all_no_lockout() {
    let (_s, mut c) = locked(Fault::EpsvAllNoLockout).await;
    assert_eq!(setup_codes(&mut c).await, [200, 227, 200, 502, 502]);
    assert_eq!(c.fetch("RETR hello.txt").await, HELLO);
}

#[tokio::test]
async fn epsv_all_220() {
    let (_s, addr) = faulty(Fault::EpsvAll220).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("EPSV ALL").await;
    assert_eq!((r.code, r.text()), (220, "EPSV ALL ok."));
    assert_eq!(setup_codes(&mut c).await, [503; 5], "the lockout holds");
    assert_eq!(c.fetch("RETR hello.txt").await, HELLO, "EPSV still works");
    assert_eq!(c.cmd("epsv all").await.code, 220);
}

#[tokio::test]
async fn epsv_all_is_200_on_the_clean_server() {
    let (_s, addr) = crate::server::testkit::server(crate::server::Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("EPSV ALL").await;
    assert_eq!((r.code, r.text()), (200, "EPSV ALL ok"));
}

#[tokio::test]
async fn epsv_all_allows_port() {
    let (_s, mut c) = locked(Fault::EpsvAllAllowsPort).await;
    let (l, port) = listener().await;
    let r = c
        .cmd(&format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff))
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(retr_hello_active(&mut c, &l).await, HELLO);
    assert_eq!(setup_codes(&mut c).await, [200, 503, 503, 503, 503]);
}

#[tokio::test]
async fn epsv_all_allows_pasv() {
    let (_s, mut c) = locked(Fault::EpsvAllAllowsPasv).await;
    let target = c.pasv().await;
    let data = connect(target).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(setup_codes(&mut c).await, [503, 227, 503, 503, 503]);
}

#[tokio::test]
async fn epsv_all_allows_eprt() {
    let (_s, mut c) = locked(Fault::EpsvAllAllowsEprt).await;
    let (l, port) = listener().await;
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).await.code, 200);
    c.send("NLST").await;
    let data = accept(&l).await;
    assert_eq!(c.reply().await.code, 150);
    assert_eq!(read_all(data).await.len(), 33);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(setup_codes(&mut c).await, [503, 503, 200, 503, 503]);
}

#[tokio::test]
async fn epsv_all_allows_lprt() {
    let (_s, mut c) = locked(Fault::EpsvAllAllowsLprt).await;
    let r = c.cmd("LPRT 4,4,127,0,0,1,2,19,136").await;
    assert_eq!((r.code, r.text()), (200, "LPRT command successful"));
    assert_eq!(setup_codes(&mut c).await, [503, 503, 503, 200, 503]);
    // Without the lockout LPRT is still not implemented.
    let (_s2, addr) = faulty(Fault::EpsvAllAllowsLprt).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("LPRT 4,4,127,0,0,1,2,19,136").await.code, 502);
}

#[tokio::test]
async fn epsv_all_allows_lpsv() {
    let (_s, mut c) = locked(Fault::EpsvAllAllowsLpsv).await;
    let r = c.cmd("LPSV").await;
    assert_eq!(r.code, 228);
    let inner = r
        .text()
        .strip_prefix("Entering Long Passive Mode (4,4,127,0,0,1,2,")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{r:?}"));
    let (p1, p2) = inner.split_once(',').unwrap();
    let port = p1.parse::<u16>().unwrap() * 256 + p2.parse::<u16>().unwrap();
    let data = connect(SocketAddr::new(LOCALHOST, port)).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(setup_codes(&mut c).await[..4], [503, 503, 503, 503]);
}

#[tokio::test]
async fn epsv_all_blocks_epsv() {
    let (_s, addr) = faulty(Fault::EpsvAllBlocksEpsv).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("EPSV").await.code, 229, "no lockout yet");
    assert_eq!(c.cmd("EPSV ALL").await.code, 200);
    for line in ["EPSV", "EPSV 1", "epsv"] {
        assert_eq!(c.cmd(line).await.code, 503, "{line}");
    }
    assert_eq!(c.cmd("EPSV ALL").await.code, 200);
    assert_eq!(setup_codes(&mut c).await, [503; 5]);
}

#[tokio::test]
async fn epsv_all_forgets_after_transfer() {
    let (_s, mut c) = locked(Fault::EpsvAllForgetsAfterTransfer).await;
    assert_eq!(c.cmd("ABOR").await.code, 225);
    assert_eq!(setup_codes(&mut c).await, [503; 5], "ABOR keeps it");
    assert_eq!(c.fetch("RETR hello.txt").await, HELLO);
    assert_eq!(setup_codes(&mut c).await, [200, 227, 200, 502, 502]);
}

#[tokio::test]
async fn epsv_all_forgets_after_abor() {
    let (_s, mut c) = locked(Fault::EpsvAllForgetsAfterAbor).await;
    assert_eq!(c.fetch("RETR hello.txt").await, HELLO);
    assert_eq!(setup_codes(&mut c).await, [503; 5], "a transfer keeps it");
    assert_eq!(c.cmd("ABOR").await.code, 225);
    assert_eq!(setup_codes(&mut c).await, [200, 227, 200, 502, 502]);
}

#[tokio::test]
async fn epsv_all_forgets_after_abor_during_a_transfer() {
    let (_s, mut c) = locked(Fault::EpsvAllForgetsAfterAbor).await;
    let port = c.epsv().await;
    let _data = crate::server::testkit::connect_from(LOCALHOST, SocketAddr::new(LOCALHOST, port))
        .await
        .unwrap();
    assert_eq!(c.cmd("RETR large.bin").await.code, 150);
    c.send("ABOR").await;
    assert_eq!(c.reply().await.code, 426);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(c.cmd("PASV").await.code, 227);
}

#[tokio::test]
async fn epsv_all_forgets_after_login() {
    let (_s, mut c) = locked(Fault::EpsvAllForgetsAfterLogin).await;
    assert_eq!(c.fetch("RETR hello.txt").await, HELLO);
    assert_eq!(c.cmd("ABOR").await.code, 225);
    assert_eq!(setup_codes(&mut c).await, [503; 5]);
    assert_eq!(c.cmd("USER ftp").await.code, 331);
    assert_eq!(c.cmd("PASS x").await.code, 230);
    assert_eq!(setup_codes(&mut c).await, [200, 227, 200, 502, 502]);
    assert_eq!(c.cmd("EPSV ALL").await.code, 200);
    assert_eq!(c.cmd("REIN").await.code, 220);
    assert_eq!(c.cmd("USER ftp").await.code, 331);
    assert_eq!(c.cmd("PASS x").await.code, 230);
    assert_eq!(c.cmd("PASV").await.code, 227);
}

#[tokio::test]
async fn epsv_all_case_sensitive() {
    let (_s, addr) = faulty(Fault::EpsvAllCaseSensitive).await;
    let mut c = Client::logged_in(addr).await;
    for line in ["EPSV all", "epsv all", "EPSV All"] {
        assert_eq!(c.cmd(line).await.code, 501, "{line}");
    }
    assert_eq!(c.cmd("PASV").await.code, 227, "nothing was locked");
    assert_eq!(
        c.cmd("epsv ALL").await.code,
        200,
        "the verb's case is still free"
    );
    assert_eq!(setup_codes(&mut c).await, [503; 5]);
}
