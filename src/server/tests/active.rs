//! PORT and EPRT (RFC 959 §4.1.2, RFC 2428 §2, RFC 2577 §3).

use super::common::listener;
use crate::proto::{NetPrt, ProtocolList};
use crate::server::testkit::{
    Client, LOCALHOST, accept, can_bind, connect_from, read_all, retr_hello_active, server,
};
use crate::server::{Config, HELLO};
use std::net::SocketAddr;
use tokio::net::TcpListener;

const NAMES: &[u8] = b"empty.txt\r\nhello.txt\r\nlarge.bin\r\n";

/// Sends `verb`, accepts the server's connection, returns the bytes; checks 150 and 226.
async fn active_transfer(c: &mut Client, l: &TcpListener, verb: &str) -> Vec<u8> {
    c.send(verb).await;
    let data = accept(l).await;
    assert_eq!(
        data.peer_addr().unwrap().ip(),
        LOCALHOST,
        "from the control connection's host"
    );
    assert_eq!(c.reply().await.code, 150);
    let bytes = read_all(data).await;
    assert_eq!(c.reply().await.code, 226);
    bytes
}

#[tokio::test]
async fn eprt_valid_then_nlst_byte_exact() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener().await;
    let r = c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).await;
    assert_eq!((r.code, r.text()), (200, "EPRT command successful"));
    assert_eq!(active_transfer(&mut c, &l, "NLST").await, NAMES);
    // The setup is used once.
    assert_eq!(c.cmd("NLST").await.code, 425);
}

#[tokio::test]
async fn eprt_with_other_legal_delimiters() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener().await;
    for d in ['!', '#', '~', '$'] {
        let r = c.cmd(&format!("EPRT {d}1{d}127.0.0.1{d}{port}{d}")).await;
        assert_eq!(r.code, 200, "delimiter {d}");
    }
    assert_eq!(active_transfer(&mut c, &l, "RETR hello.txt").await, HELLO);
}

#[tokio::test]
async fn port_valid_then_retr() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener().await;
    let r = c
        .cmd(&format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff))
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(active_transfer(&mut c, &l, "RETR /hello.txt").await, HELLO);
}

pub const MALFORMED_EPRT: &[&[u8]] = &[
    b"EPRT",
    b"EPRT ",
    b"EPRT  |1|127.0.0.1|5000|",
    b"EPRT |1|127.0.0.1|5000",
    b"EPRT 1|127.0.0.1|5000|",
    b"EPRT |1|127.0.0.1|0|",
    b"EPRT |1|127.0.0.1|65536|",
    b"EPRT |1|127.0.0.1|99999|",
    b"EPRT |1|127.0.0.1|-1|",
    b"EPRT |1|127.0.0.1|abc|",
    b"EPRT |1|127.0.0.1||",
    b"EPRT |1|256.1.1.1|5000|",
    b"EPRT |1|1.2.3|5000|",
    b"EPRT |1|localhost|5000|",
    b"EPRT |1|::1|5000|",
    b"EPRT |1||5000|",
    b"EPRT ||127.0.0.1|5000|",
    b"EPRT |x|127.0.0.1|5000|",
    b"EPRT |1!127.0.0.1!5000!",
    b"EPRT |1|127.0.0.1|5000|x",
    b"EPRT \x7f1\x7f127.0.0.1\x7f5000\x7f",
    b"EPRT \x801\x80127.0.0.1\x805000\x80",
];

#[tokio::test]
async fn malformed_eprt_is_501() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    for line in MALFORMED_EPRT {
        c.send_raw(&[*line, b"\r\n"].concat()).await;
        let r = c.reply().await;
        assert_eq!(r.code, 501, "{:?}: {r:?}", line.escape_ascii().to_string());
    }
    // NUL and SP delimiters: 500 (NUL in a line) or 501; never 2xx.
    c.send_raw(b"EPRT \x001\x00127.0.0.1\x005000\x00\r\n").await;
    assert_eq!(c.reply().await.code, 500);
    assert_eq!(c.cmd("EPRT  1 127.0.0.1 5000 ").await.code, 501);
}

/// RFC 2428 §2 over IPv4, with a real listener on the named port: an empty address, an empty
/// net-prt and an IPv4 address under net-prt 2 are malformed (501, not 522: see the EPRT
/// handler's notes), and none of them sets anything up.
#[tokio::test]
async fn empty_fields_and_a_family_mismatch_are_501() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let (_l, port) = listener().await;
    for line in [
        format!("EPRT |1||{port}|"),
        format!("EPRT ||127.0.0.1|{port}|"),
        format!("EPRT |2|127.0.0.1|{port}|"),
    ] {
        let r = c.cmd(&line).await;
        assert_eq!(r.code, 501, "{line}: {r:?}");
    }
    assert_eq!(c.cmd("RETR hello.txt").await.code, 425, "nothing set up");
}

#[tokio::test]
async fn unsupported_protocol_is_522_with_the_list() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    for line in [
        "EPRT |3|1.2.3.4|5000|",
        "EPRT |2|::1|5000|",
        "EPRT |200|x|5000|",
    ] {
        let r = c.cmd(line).await;
        assert_eq!(r.code, 522, "{line}");
        assert!(r.text().ends_with("use (1)"), "{r:?}");
        let list = ProtocolList::from_reply_text(r.text().as_bytes()).unwrap();
        assert_eq!(list.0, [NetPrt::IPV4]);
    }
}

#[tokio::test]
async fn bounce_and_privileged_ports_are_refused() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("EPRT |1|127.0.0.2|5000|").await;
    assert_eq!(r.code, 501);
    assert!(r.text().contains("bounce"), "{r:?}");
    assert_eq!(c.cmd("PORT 127,0,0,2,19,136").await.code, 501);
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|80|").await.code, 504);
    assert_eq!(c.cmd("PORT 127,0,0,1,0,21").await.code, 504);
    for bad in [
        "PORT 127,0,0,1,19",
        "PORT 127,0,0,1,19,256",
        "PORT 127, 0,0,1,19,136",
    ] {
        assert_eq!(c.cmd(bad).await.code, 501, "{bad}");
    }
    // None of that left a data setup behind.
    assert_eq!(c.cmd("NLST").await.code, 425);
}

#[tokio::test]
async fn bounce_check_uses_the_real_peer_on_127_0_0_2() {
    if !can_bind("127.0.0.2") {
        return;
    }
    // A client on 127.0.0.2 may name itself, but not 127.0.0.1.
    let (_s, addr) = server(Config::default()).await;
    let control = connect_from("127.0.0.2".parse().unwrap(), addr)
        .await
        .unwrap();
    let mut c = Client::over(control).await;
    assert_eq!(c.cmd("USER ftp").await.code, 331);
    assert_eq!(c.cmd("PASS x").await.code, 230);
    assert_eq!(c.cmd("EPRT |1|127.0.0.2|5000|").await.code, 200);
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|5000|").await.code, 501);
    assert_eq!(c.cmd("PORT 127,0,0,2,19,136").await.code, 200);
}

#[tokio::test]
async fn active_connect_failure_is_425() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener().await;
    drop(l);
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).await.code, 200);
    assert_eq!(c.cmd("RETR hello.txt").await.code, 425);
    assert_eq!(c.cmd("NOOP").await.code, 200);
}

#[tokio::test]
async fn over_ipv6() {
    if !can_bind("::1") {
        return;
    }
    let any6: SocketAddr = "[::1]:0".parse().unwrap();
    let s = crate::server::start(&[any6], Config::default())
        .await
        .unwrap();
    let mut c = Client::logged_in(s.local_addrs()[0]).await;
    let l = TcpListener::bind(any6).await.unwrap();
    let port = l.local_addr().unwrap().port();
    assert_eq!(c.cmd(&format!("EPRT |2|::1|{port}|")).await.code, 200);
    assert_eq!(retr_hello_active(&mut c, &l).await, HELLO);

    let r = c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).await;
    assert_eq!(r.code, 522);
    assert!(r.text().ends_with("(2)"), "{r:?}");
    assert_eq!(c.cmd("PORT 127,0,0,1,19,136").await.code, 501);
    assert_eq!(c.cmd("PASV").await.code, 501);
    assert_eq!(c.cmd("EPSV 1").await.code, 522);
    let port = c.epsv().await;
    let data = tokio::net::TcpStream::connect(SocketAddr::new(any6.ip(), port))
        .await
        .unwrap();
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
}
