//! Greeting, login, informational commands, line handling.

use crate::server::testkit::{Client, server};
use crate::server::{Config, MAX_LINE};

#[tokio::test]
async fn greeting_and_anonymous_login() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::connect(addr).await;
    assert_eq!(c.cmd("USER ftp").await.code, 331);
    assert_eq!(c.cmd("PASS").await.code, 230);
    assert_eq!(c.cmd("PWD").await.text(), "\"/\" is the current directory");
}

#[tokio::test]
async fn named_account() {
    let account = Some(("alice".to_string(), "secret".to_string()));
    let (_s, addr) = server(Config {
        account,
        ..Config::default()
    })
    .await;
    let mut c = Client::connect(addr).await;
    assert_eq!(c.cmd("USER alice").await.code, 331);
    assert_eq!(c.cmd("PASS wrong").await.code, 530);
    assert_eq!(
        c.cmd("PASS secret").await.code,
        503,
        "USER must come first again"
    );
    assert_eq!(c.cmd("USER alice").await.code, 331);
    assert_eq!(c.cmd("PASS secret").await.code, 230);
    assert_eq!(c.cmd("USER bob").await.code, 331);
    assert_eq!(c.cmd("PASS secret").await.code, 530);
}

#[tokio::test]
async fn login_required() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::connect(addr).await;
    for line in [
        "PWD",
        "EPSV",
        "EPRT |1|127.0.0.1|5000|",
        "RETR hello.txt",
        "ABOR",
        "PASV",
    ] {
        let r = c.cmd(line).await;
        assert_eq!(
            (r.code, r.text()),
            (530, "Please login with USER and PASS"),
            "{line}"
        );
    }
    for (line, code) in [("SYST", 215), ("NOOP", 200), ("HELP", 214), ("FEAT", 211)] {
        assert_eq!(c.cmd(line).await.code, code, "{line}");
    }
    assert_eq!(c.cmd("QUIT").await.code, 221);
    assert!(c.closed().await);
}

#[tokio::test]
async fn feat_is_multi_line() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::connect(addr).await;
    let r = c.cmd("FEAT").await;
    assert_eq!(r.code, 211);
    assert!(r.lines[0].starts_with("211-"));
    assert_eq!(
        &r.lines[1..],
        [" EPRT", " EPSV", " PASV", " SIZE", "211 End"]
    );
}

#[tokio::test]
async fn informational_commands() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let expected = [
        ("SYST", 215),
        ("syst", 215),
        ("CWD /", 250),
        ("CWD /nowhere", 550),
        ("TYPE I", 200),
        ("type a", 200),
        ("TYPE E", 504),
        ("MODE S", 200),
        ("MODE B", 504),
        ("STRU F", 200),
        ("STRU R", 504),
        ("SIZE /hello.txt", 213),
        ("SIZE nothing", 550),
        ("STAT", 211),
        ("LPRT 4,4,127,0,0,1,2,19,136", 502),
        ("LPSV", 502),
        ("XYZZY", 500),
        ("PASV now", 501),
        ("RETR", 501),
    ];
    for (line, code) in expected {
        assert_eq!(c.cmd(line).await.code, code, "{line}");
    }
    assert_eq!(c.cmd("SIZE hello.txt").await.text(), "42");
    assert_eq!(c.cmd("SYST").await.text(), "UNIX Type: L8");
}

#[tokio::test]
async fn long_line_then_next_command_works() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::connect(addr).await;
    let mut long = vec![b'A'; MAX_LINE * 4];
    long.extend_from_slice(b"\r\n");
    c.send_raw(&long).await;
    let r = c.reply().await;
    assert_eq!((r.code, r.text()), (500, "Line too long"));
    assert_eq!(c.cmd("NOOP").await.code, 200);
}

#[tokio::test]
async fn nul_and_cr_inside_a_line_are_refused() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::connect(addr).await;
    c.send_raw(b"NO\0OP\r\n").await;
    assert_eq!(c.reply().await.code, 500);
    c.send_raw(b"NOOP\rX\r\n").await;
    assert_eq!(c.reply().await.code, 500);
    c.send_raw(b"\r\n").await;
    assert_eq!(c.reply().await.code, 500);
    assert_eq!(c.cmd("NOOP").await.code, 200);
}

#[tokio::test]
async fn command_split_across_writes_and_two_in_one() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::connect(addr).await;
    c.send_raw(b"NO").await;
    c.send_raw(b"OP\r").await;
    c.send_raw(b"\n").await;
    assert_eq!(c.reply().await.code, 200);
    c.send_raw(b"SYST\r\nNOOP\r\nUSER ftp\nPASS x\r\n").await;
    assert_eq!(c.reply().await.code, 215);
    assert_eq!(c.reply().await.code, 200);
    assert_eq!(c.reply().await.code, 331);
    assert_eq!(c.reply().await.code, 230);
}

#[tokio::test]
async fn rein_logs_out() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("REIN").await.code, 220);
    assert_eq!(c.cmd("PWD").await.code, 530);
}

#[tokio::test]
async fn listings_and_upload() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(
        c.fetch("NLST").await,
        b"empty.txt\r\nhello.txt\r\nlarge.bin\r\n"
    );
    let list = String::from_utf8(c.fetch("LIST -l /").await).unwrap();
    assert_eq!(list.lines().count(), 3);
    assert!(list.contains(" 42 Jan 01 00:00 hello.txt\r\n"), "{list}");
    assert_eq!(c.fetch("NLST hello.txt").await, b"hello.txt\r\n");
    assert_eq!(c.cmd("NLST nothing").await.code, 550);

    let port = c.epsv().await;
    let mut data = crate::server::testkit::connect(([127, 0, 0, 1], port).into()).await;
    assert_eq!(c.cmd("STOR /up.txt").await.code, 150);
    tokio::io::AsyncWriteExt::write_all(&mut data, b"uploaded\r\n")
        .await
        .unwrap();
    drop(data);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(c.fetch("RETR up.txt").await, b"uploaded\r\n");
    assert_eq!(
        c.cmd("STOR hello.txt").await.code,
        550,
        "built-in files are read-only"
    );
    assert_eq!(c.cmd("STOR a/b").await.code, 553);
}

#[tokio::test]
async fn shutdown_ends_sessions() {
    let (s, addr) = server(Config::default()).await;
    let mut c = Client::connect(addr).await;
    s.shutdown().await;
    assert!(c.closed().await);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
