//! The RFC 2577 faults (bounce, privileged ports, port theft) and the PORT/PASV baseline faults
//! (RFC 959 §4.1.2, §5.3.2; RFC 1123 §4.1.2.6; RFC 2428 §2/§3 over IPv6).

use super::common::listener_on;
use crate::proto::HostPort;
use crate::server::testkit::{
    Client, LOCALHOST, can_bind, connect, connect_from, faulty, read_all, retr_hello_active,
    server_v6, with_fault,
};
use crate::server::{Fault, HELLO};
use std::net::{IpAddr, SocketAddr};
use tokio::net::TcpStream;

const OTHER_HOST: &str = "127.0.0.2";

fn other_host() -> IpAddr {
    OTHER_HOST.parse().unwrap()
}

fn host_port(ip: &str, port: u16) -> String {
    format!("{},{},{}", ip.replace('.', ","), port >> 8, port & 0xff)
}

#[tokio::test]
async fn accept_bounce() {
    if !can_bind(OTHER_HOST) {
        return;
    }
    let (_s, addr) = faulty(Fault::AcceptBounce).await;
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener_on(other_host()).await;
    let r = c.cmd(&format!("EPRT |1|{OTHER_HOST}|{port}|")).await;
    assert_eq!(r.code, 200);
    assert_eq!(
        retr_hello_active(&mut c, &l).await,
        HELLO,
        "the third party got the file"
    );
    let r = c
        .cmd(&format!("PORT {}", host_port(OTHER_HOST, port)))
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(
        c.cmd(&format!("EPRT |1|{OTHER_HOST}|80|")).await.code,
        504,
        "privileged ports are still refused"
    );
}

#[tokio::test]
async fn accept_privileged_port() {
    let (_s, addr) = faulty(Fault::AcceptPrivilegedPort).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|21|").await.code, 200);
    assert_eq!(c.cmd("PORT 127,0,0,1,0,21").await.code, 200);
    assert_eq!(
        c.cmd("EPRT |1|127.0.0.1|0|").await.code,
        501,
        "port 0 is malformed"
    );
    assert_eq!(
        c.cmd("EPRT |1|127.0.0.2|21|").await.code,
        501,
        "bounce refused"
    );
}

/// A listener on a free port below 1024 on `ip`, searched downward from 1023, non-blocking;
/// `None` when binding one needs a privilege this process lacks (it is not root).
fn privileged_listener(ip: IpAddr) -> Option<std::net::TcpListener> {
    for port in (1..1024).rev() {
        match std::net::TcpListener::bind((ip, port)) {
            Ok(l) => {
                l.set_nonblocking(true).unwrap();
                return Some(l);
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return None,
            Err(_) => {} // in use: try the next one down
        }
    }
    None
}

/// True when `l` has no connection waiting. Only meaningful once the server has replied: the
/// server connects before it writes its reply, so a connection it made is queued by then.
fn nothing_queued(l: &std::net::TcpListener) -> bool {
    matches!(l.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[tokio::test]
async fn privileged_port_tries_connect() {
    let (_s, addr) = faulty(Fault::PrivilegedPortTriesConnect).await;
    let mut c = Client::logged_in(addr).await;
    // Whatever happens on the port (here most likely a refusal), the answer is 425, and the
    // EPSV listener set up before is gone too.
    c.epsv().await;
    let r = c.cmd("EPRT |1|127.0.0.1|1|").await;
    assert_eq!((r.code, r.text()), (425, "Can't open data connection."));
    let r = c.cmd("RETR hello.txt").await;
    assert_eq!(
        (r.code, r.text()),
        (425, "Use PORT, PASV, EPRT or EPSV first")
    );
    // Ports from 1024 up are unaffected.
    let (l, port) = listener_on(LOCALHOST).await;
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).await.code, 200);
    assert_eq!(retr_hello_active(&mut c, &l).await, HELLO);

    // Binding below 1024 needs root; without it the connect itself cannot be observed.
    let Some(privileged) = privileged_listener(LOCALHOST) else {
        return;
    };
    let port = privileged.local_addr().unwrap().port();
    for line in [
        format!("EPRT |1|127.0.0.1|{port}|"),
        format!("PORT {}", host_port("127.0.0.1", port)),
    ] {
        let r = c.cmd(&line).await;
        assert_eq!(
            (r.code, r.text()),
            (425, "Can't open data connection."),
            "{line}"
        );
        let (conn, from) = privileged.accept().expect("the server connected");
        assert_eq!(from.ip(), LOCALHOST, "{line}");
        conn.set_nonblocking(true).unwrap();
        let conn = tokio::net::TcpStream::from_std(conn).unwrap();
        assert_eq!(read_all(conn).await, b"", "closed at once, nothing sent");
        assert!(nothing_queued(&privileged), "{line}: one connect only");
    }
    assert_eq!(c.cmd("NLST").await.code, 425, "nothing kept as data setup");

    // A privileged port on a third-party host is refused as a bounce, before any connect.
    if !can_bind(OTHER_HOST) {
        return;
    }
    let Some(third) = privileged_listener(other_host()) else {
        return;
    };
    let port = third.local_addr().unwrap().port();
    for line in [
        format!("EPRT |1|{OTHER_HOST}|{port}|"),
        format!("PORT {}", host_port(OTHER_HOST, port)),
    ] {
        let r = c.cmd(&line).await;
        assert!(
            r.code == 501 && r.text().contains("bounce"),
            "{line}: {r:?}"
        );
        assert!(nothing_queued(&third), "{line}: the server connected");
    }
}

#[tokio::test]
async fn serve_stolen_data() {
    if !can_bind(OTHER_HOST) {
        return;
    }
    let (_s, addr) = faulty(Fault::ServeStolenData).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    let target = SocketAddr::new(LOCALHOST, port);
    let thief = connect_from(other_host(), target).await.unwrap();
    let _late = connect(target).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(thief).await, HELLO, "the thief got the file");
    assert_eq!(c.reply().await.code, 226);
}

/// The 425 `theft-extra-reply` writes for the connection `thief`.
fn rejected(thief: &TcpStream) -> String {
    let port = thief.local_addr().unwrap().port();
    format!("Rejected data connection from foreign address {OTHER_HOST}:{port}.")
}

#[tokio::test]
async fn theft_extra_reply() {
    if !can_bind(OTHER_HOST) {
        return;
    }
    let (_s, addr) = faulty(Fault::TheftExtraReply).await;
    let mut c = Client::logged_in(addr).await;

    // A thief, then the client, then RETR: the first reply the client reads is the 425.
    let target = SocketAddr::new(LOCALHOST, c.epsv().await);
    let thief = connect_from(other_host(), target).await.unwrap();
    let data = connect(target).await;
    c.send("RETR hello.txt").await;
    let r = c.reply().await;
    assert_eq!((r.code, r.text()), (425, rejected(&thief).as_str()));
    assert_eq!(c.reply().await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(read_all(thief).await, b"", "the thief got nothing");

    // With no command pending the 425 comes all the same, and the listener keeps listening.
    let target = SocketAddr::new(LOCALHOST, c.epsv().await);
    let thief = connect_from(other_host(), target).await.unwrap();
    let r = c.reply().await;
    assert_eq!((r.code, r.text()), (425, rejected(&thief).as_str()));
    let data = connect(target).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);

    // A thief while RETR waits for its data connection: 425, then the transfer.
    let target = SocketAddr::new(LOCALHOST, c.epsv().await);
    c.send("RETR hello.txt").await;
    let thief = connect_from(other_host(), target).await.unwrap();
    let r = c.reply().await;
    assert_eq!((r.code, r.text()), (425, rejected(&thief).as_str()));
    let data = connect(target).await;
    assert_eq!(c.reply().await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(c.cmd("NOOP").await.code, 200, "nothing else was written");
}

#[tokio::test]
async fn a_thief_gets_no_reply_on_the_clean_server() {
    if !can_bind(OTHER_HOST) {
        return;
    }
    let (_s, addr) = crate::server::testkit::server(crate::server::Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let target = SocketAddr::new(LOCALHOST, c.epsv().await);
    let _thief = connect_from(other_host(), target).await.unwrap();
    assert!(c.silent().await, "a reply to no command");
    let data = connect(target).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
}

#[tokio::test]
async fn pasv_wrong_address() {
    let (_s, addr) = faulty(Fault::PasvWrongAddress).await;
    let mut c = Client::logged_in(addr).await;
    let named = c.pasv().await;
    assert_eq!(named.ip().to_string(), "127.0.0.3");
    // The listener is on the real address.
    let data = connect(SocketAddr::new(LOCALHOST, named.port())).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
}

#[tokio::test]
async fn pasv_no_parens() {
    let (_s, addr) = faulty(Fault::PasvNoParens).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("PASV").await;
    assert_eq!(r.code, 227);
    let hp = HostPort::from_227_text(r.text().as_bytes()).unwrap();
    assert_eq!(
        r.text(),
        format!(
            "Entering Passive Mode {}",
            host_port("127.0.0.1", hp.socket_addr().port())
        )
    );
    assert!(!r.text().contains(['(', ')']));
    let data = connect(SocketAddr::V4(hp.socket_addr())).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
}

#[tokio::test]
async fn port_lax_syntax() {
    let (_s, addr) = faulty(Fault::PortLaxSyntax).await;
    let mut c = Client::logged_in(addr).await;
    for line in [
        "PORT 127,0,0,1,19",
        "PORT 127,0,0,1,19,256",
        "PORT 127,0,0,256,4,1",
        "PORT 383,0,0,1,275,136",
        "PORT 127,0,0",
    ] {
        assert_eq!(c.cmd(line).await.code, 200, "{line}");
    }
    // Still refused: not digits; and a well-formed argument is checked as before.
    assert_eq!(c.cmd("PORT 127, 0,0,1,19,136").await.code, 501);
    assert_eq!(c.cmd("PORT 127,0,0,2,19,136").await.code, 501);
    assert_eq!(c.cmd("PORT 127,0,0,1,0,21").await.code, 504);
    // 383 is read as 127, and the server connects there.
    let (l, port) = listener_on(LOCALHOST).await;
    let r = c
        .cmd(&format!("PORT 383,0,0,1,{},{}", port >> 8, port & 0xff))
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(retr_hello_active(&mut c, &l).await, HELLO);
}

#[tokio::test]
async fn pasv_ipv6_malformed() {
    let Some((_s, addr)) = server_v6(with_fault(Fault::PasvIpv6Malformed)).await else {
        return;
    };
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("PASV").await;
    assert_eq!(r.code, 227);
    let p1 = r
        .text()
        .strip_prefix("Entering Passive Mode (0,0,0,0,")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{r:?}"));
    assert!(p1.parse::<u8>().is_ok(), "{r:?}");
    assert!(HostPort::from_227_text(r.text().as_bytes()).is_err());
    assert_eq!(
        c.cmd("PORT 127,0,0,1,19,136").await.code,
        501,
        "PORT unchanged"
    );
}

#[tokio::test]
async fn cross_family_eprt() {
    let Some((_s, addr)) = server_v6(with_fault(Fault::CrossFamilyEprt)).await else {
        return;
    };
    let mut c = Client::logged_in(addr).await;
    let (l, port) = listener_on(LOCALHOST).await;
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).await.code, 200);
    assert_eq!(retr_hello_active(&mut c, &l).await, HELLO);
    let r = c.cmd("EPRT |3|1.2.3.4|5000|").await;
    assert_eq!(r.code, 522, "other protocols still 522");
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|21|").await.code, 504);
}

#[tokio::test]
async fn cross_family_eprt_changes_nothing_over_ipv4() {
    let (_s, addr) = faulty(Fault::CrossFamilyEprt).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("EPRT |2|::1|5000|").await.code, 522);
}

#[tokio::test]
async fn port_and_pasv_reject() {
    let (_s, addr) = faulty(Fault::PortReject).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("PORT 127,0,0,1,4,1").await.code, 502);
    assert_eq!(c.cmd("PASV").await.code, 227, "PASV is unaffected");
    let (_s, addr) = faulty(Fault::PasvReject).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("PASV").await.code, 502);
    assert_eq!(c.cmd("EPSV").await.code, 229, "EPSV is unaffected");
}
