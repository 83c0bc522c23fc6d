//! Every named fault shows its deviation, and the clean behaviour next to it is unchanged.

use super::active::MALFORMED_EPRT;
use super::common::listener;
use crate::proto::{EpsvReply, ProtocolList};
use crate::server::testkit::{
    Client, LOCALHOST, accept, connect, faulty, read_all, retr_hello_active,
};
use crate::server::{Fault, HELLO};
use std::net::SocketAddr;
use tokio::net::TcpStream;

async fn code_of(c: &mut Client, raw: &[u8]) -> u16 {
    c.send_raw(&[raw, b"\r\n"].concat()).await;
    c.reply().await.code
}

#[tokio::test]
async fn eprt_reject() {
    let (_s, addr) = faulty(Fault::EprtReject).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("EPRT |1|127.0.0.1|5000|").await;
    assert_eq!((r.code, r.text()), (500, "Unknown command"));
    assert_eq!(c.cmd("EPSV").await.code, 229);
    assert_eq!(c.cmd("PORT 127,0,0,1,19,136").await.code, 200);
}

#[tokio::test]
async fn eprt_any_delimiter() {
    let (_s, addr) = faulty(Fault::EprtAnyDelimiter).await;
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener().await;
    // 0xff travels as the Telnet escape IAC IAC (RFC 854).
    for d in [&[b' '][..], &[0x7f], &[0x00], &[0x80], &[0xff, 0xff]] {
        let arg = format!("{port}");
        let line = [b"EPRT ", d, b"1", d, b"127.0.0.1", d, arg.as_bytes(), d];
        assert_eq!(
            code_of(&mut c, &line.concat()).await,
            200,
            "delimiter {d:x?}"
        );
    }
    c.send("NLST").await;
    let data = accept(&l).await;
    assert_eq!(c.reply().await.code, 150);
    assert_eq!(read_all(data).await.len(), 33);
    assert_eq!(c.reply().await.code, 226);
    // Legal delimiters still parse strictly.
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|0|").await.code, 501);
    assert_eq!(c.cmd("EPRT !1!127.0.0.1!5000!").await.code, 200);
}

#[tokio::test]
async fn eprt_pipe_only() {
    let (_s, addr) = faulty(Fault::EprtPipeOnly).await;
    let mut c = Client::logged_in(addr).await;
    for line in ["EPRT !1!127.0.0.1!5000!", "EPRT #1#127.0.0.1#5000#"] {
        assert_eq!(c.cmd(line).await.code, 501, "{line}");
    }
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|5000|").await.code, 200);
}

#[tokio::test]
async fn eprt_port_unchecked() {
    let (_s, addr) = faulty(Fault::EprtPortUnchecked).await;
    let mut c = Client::logged_in(addr).await;
    for port in ["0", "65536", "99999", "-1", "abc", ""] {
        let line = format!("EPRT |1|127.0.0.1|{port}|");
        assert_eq!(c.cmd(&line).await.code, 200, "{line}");
    }
    assert_eq!(
        c.cmd("EPRT |1|127.0.0.1|80|").await.code,
        504,
        "well-formed ports still checked"
    );
    assert_eq!(c.cmd("EPRT |1|256.1.1.1|5000|").await.code, 501);
    assert_eq!(
        c.cmd("EPRT |1|127.0.0.2|0|").await.code,
        501,
        "bounce still checked"
    );
}

#[tokio::test]
async fn eprt_address_unchecked() {
    let (_s, addr) = faulty(Fault::EprtAddressUnchecked).await;
    let mut c = Client::logged_in(addr).await;
    for host in ["256.1.1.1", "1.2.3", "localhost", "::1", ""] {
        let line = format!("EPRT |1|{host}|5000|");
        assert_eq!(c.cmd(&line).await.code, 200, "{line}");
    }
    assert_eq!(
        c.cmd("EPRT |1|1.2.3|0|").await.code,
        501,
        "the port is still checked"
    );
    assert_eq!(
        c.cmd("EPRT |1|127.0.0.2|5000|").await.code,
        501,
        "bounce still checked"
    );
}

#[tokio::test]
async fn eprt_empty_address_is_peer() {
    let (_s, addr) = faulty(Fault::EprtEmptyAddressIsPeer).await;
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener().await;
    let r = c.cmd(&format!("EPRT |1||{port}|")).await;
    assert_eq!((r.code, r.text()), (200, "EPRT command successful"));
    assert_eq!(retr_hello_active(&mut c, &l).await, HELLO);
    // Every other field is still checked, and so is RFC 2577 §3.
    for line in [
        "EPRT |1||0|",
        "EPRT |2||5000|",
        "EPRT ||127.0.0.1|5000|",
        "EPRT |1|256.1.1.1|5000|",
    ] {
        assert_eq!(c.cmd(line).await.code, 501, "{line}");
    }
    assert_eq!(c.cmd("EPRT |1||21|").await.code, 504);
    assert_eq!(c.cmd("NLST").await.code, 425, "nothing left set up");
}

#[tokio::test]
async fn eprt_family_from_address() {
    let (_s, addr) = faulty(Fault::EprtFamilyFromAddress).await;
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener().await;
    for line in [
        format!("EPRT |2|127.0.0.1|{port}|"),
        format!("EPRT ||127.0.0.1|{port}|"),
    ] {
        assert_eq!(c.cmd(&line).await.code, 200, "{line}");
        assert_eq!(retr_hello_active(&mut c, &l).await, HELLO, "{line}");
    }
    // Read as IPv6, `|1|::1|…|` is a family this IPv4 connection does not speak.
    assert_eq!(c.cmd("EPRT |1|::1|5000|").await.code, 522);
    assert_eq!(c.cmd("EPRT |3|127.0.0.1|5000|").await.code, 522);
    for line in [
        "EPRT |x|127.0.0.1|5000|",
        "EPRT |1||5000|",
        "EPRT |2|127.0.0.1|0|",
    ] {
        assert_eq!(c.cmd(line).await.code, 501, "{line}");
    }
    let r = c.cmd("EPRT |2|127.0.0.2|5000|").await;
    assert!(r.code == 501 && r.text().contains("bounce"), "{r:?}");
    assert_eq!(c.cmd("EPRT |2|127.0.0.1|21|").await.code, 504);
}

#[tokio::test]
async fn eprt_accept_all() {
    let (_s, addr) = faulty(Fault::EprtAcceptAll).await;
    let mut c = Client::logged_in(addr).await;
    for line in MALFORMED_EPRT {
        let code = code_of(&mut c, line).await;
        assert_eq!(code, 200, "{:?}", line.escape_ascii().to_string());
    }
    assert_eq!(c.cmd("EPRT |3|1.2.3.4|5000|").await.code, 200);
    assert_eq!(c.cmd("NLST").await.code, 425, "nothing was set up");
    assert_eq!(
        c.cmd("EPRT |1|127.0.0.2|5000|").await.code,
        501,
        "bounce still checked"
    );
}

#[tokio::test]
async fn eprt_501_for_522() {
    let (_s, addr) = faulty(Fault::Eprt501For522).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("EPRT |3|1.2.3.4|5000|").await.code, 501);
    assert_eq!(c.cmd("EPRT |2|::1|5000|").await.code, 501);
    assert_eq!(c.cmd("EPSV 2").await.code, 501);
    assert_eq!(c.cmd("EPSV 1").await.code, 229);
}

#[tokio::test]
async fn no_list_522() {
    let (_s, addr) = faulty(Fault::NoList522).await;
    let mut c = Client::logged_in(addr).await;
    for line in ["EPRT |3|1.2.3.4|5000|", "EPSV 2"] {
        let r = c.cmd(line).await;
        assert_eq!(
            (r.code, r.text()),
            (522, "Network protocol not supported"),
            "{line}"
        );
        assert!(ProtocolList::from_reply_text(r.text().as_bytes()).is_err());
    }
}

#[tokio::test]
async fn epsv_reject() {
    let (_s, addr) = faulty(Fault::EpsvReject).await;
    let mut c = Client::logged_in(addr).await;
    for line in ["EPSV", "EPSV ALL", "EPSV 1"] {
        assert_eq!(c.cmd(line).await.code, 500, "{line}");
    }
    assert_eq!(c.cmd("PASV").await.code, 227, "no lockout was set");
}

#[tokio::test]
async fn epsv_malformed_229() {
    let (_s, addr) = faulty(Fault::EpsvMalformed229).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("EPSV").await;
    assert_eq!(r.code, 229);
    assert!(
        EpsvReply::from_reply_text(r.text().as_bytes()).is_err(),
        "{r:?}"
    );
    let port: u16 = r
        .text()
        .trim_end_matches(')')
        .rsplit('|')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(r.text().ends_with(&format!("(|||{port})")));
    let data = connect(SocketAddr::new(LOCALHOST, port)).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
}

#[tokio::test]
async fn epsv_dead_port() {
    let (_s, addr) = faulty(Fault::EpsvDeadPort).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    assert!(
        TcpStream::connect(SocketAddr::new(LOCALHOST, port))
            .await
            .is_err()
    );
    assert_eq!(c.cmd("RETR hello.txt").await.code, 425);
    assert_eq!(c.cmd("PASV").await.code, 227);
}

#[tokio::test]
async fn epsv_ignores_proto() {
    let (_s, addr) = faulty(Fault::EpsvIgnoresProto).await;
    let mut c = Client::logged_in(addr).await;
    for line in ["EPSV 2", "EPSV 3", "EPSV x"] {
        assert_eq!(c.cmd(line).await.code, 229, "{line}");
    }
    assert_eq!(
        c.cmd("EPRT |3|1.2.3.4|5000|").await.code,
        522,
        "EPRT is unaffected"
    );
}

#[tokio::test]
async fn close_after_error() {
    let (_s, addr) = faulty(Fault::CloseAfterError).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("NOOP").await.code, 200);
    assert_eq!(c.cmd("XYZZY").await.code, 500);
    c.send("NOOP").await;
    assert!(
        c.try_reply().await.is_none(),
        "the next command gets no reply"
    );

    let mut c = Client::connect(addr).await;
    assert_eq!(c.cmd("PWD").await.code, 530);
    assert!(c.closed().await);
}

#[tokio::test]
async fn clean_server_has_no_fault() {
    let (s, _) = crate::server::testkit::server(crate::server::Config::default()).await;
    drop(s);
    let set = crate::server::FaultSet::default();
    assert!(Fault::ALL.iter().all(|&f| !set.has(f)));
}
