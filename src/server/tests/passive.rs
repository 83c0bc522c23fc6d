//! PASV and EPSV (RFC 959 §4.1.2, RFC 2428 §3), the EPSV ALL lockout (RFC 2428 §4), port theft
//! (RFC 2577 §4), STOR.

use super::common::{at, drain, refused};
use crate::proto::EpsvReply;
use crate::server::testkit::{
    Client, LOCALHOST, can_bind, connect, connect_from, read_all, server,
};
use crate::server::tree::MAX_FILE_BYTES;
use crate::server::{Config, HELLO, large_pattern};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn epsv_then_retr_byte_exact() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let r = c.cmd("EPSV").await;
    assert_eq!(r.code, 229);
    let port = EpsvReply::from_reply_text(r.text().as_bytes())
        .unwrap()
        .port;
    assert_eq!(
        r.text(),
        format!("Entering Extended Passive Mode (|||{port}|)")
    );
    let data = connect(at(port)).await;
    assert_eq!(c.cmd("RETR /hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
    assert_eq!(
        c.cmd("RETR hello.txt").await.code,
        425,
        "the setup is used once"
    );
}

#[tokio::test]
async fn pasv_then_large_transfer() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let target = c.pasv().await;
    assert_eq!(
        target.ip(),
        LOCALHOST,
        "227 names the control connection's address"
    );
    let data = connect(target).await;
    assert_eq!(c.cmd("RETR large.bin").await.code, 150);
    assert!(read_all(data).await == large_pattern());
    assert_eq!(c.reply().await.code, 226);
}

#[tokio::test]
async fn epsv_arguments() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("EPSV 1").await.code, 229);
    assert_eq!(c.cmd("epsv 1").await.code, 229);
    for line in ["EPSV 2", "EPSV 3", "EPSV 999"] {
        let r = c.cmd(line).await;
        assert_eq!(r.code, 522, "{line}");
        assert!(r.text().ends_with("use (1)"), "{r:?}");
    }
    for line in ["EPSV foo", "EPSV -1", "EPSV  1", "EPSV 1 ", "EPSV ALLX"] {
        assert_eq!(c.cmd(line).await.code, 501, "{line}");
    }
}

#[tokio::test]
async fn epsv_all_locks_out_other_setups_for_the_session() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("epsv all").await.code, 200);
    let locked = async |c: &mut Client| {
        for line in [
            "PORT 127,0,0,1,19,136",
            "PASV",
            "EPRT |1|127.0.0.1|5000|",
            "LPRT 4,4,127,0,0,1,2,19,136",
            "LPSV",
        ] {
            assert_eq!(c.cmd(line).await.code, 503, "{line}");
        }
    };
    locked(&mut c).await;
    assert_eq!(c.fetch("RETR hello.txt").await, HELLO);
    locked(&mut c).await;
    assert_eq!(c.cmd("ABOR").await.code, 225);
    locked(&mut c).await;
    assert_eq!(c.cmd("REIN").await.code, 220);
    assert_eq!(c.cmd("USER ftp").await.code, 331);
    assert_eq!(c.cmd("PASS x").await.code, 230);
    locked(&mut c).await;
    assert_eq!(c.fetch("NLST").await.len(), 33);
}

#[tokio::test]
async fn port_theft_is_refused() {
    if !can_bind("127.0.0.2") {
        return;
    }
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    let thief = connect_from("127.0.0.2".parse().unwrap(), at(port))
        .await
        .unwrap();
    let data = connect(at(port)).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
    let stolen = drain(thief).await;
    assert!(stolen.is_empty(), "the thief got {stolen:?}");
}

#[tokio::test]
async fn a_new_setup_closes_the_pending_listener() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let first = c.epsv().await;
    let second = c.epsv().await;
    assert!(refused(first).await);
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|5000|").await.code, 200);
    assert!(refused(second).await);
    let port = c.epsv().await;
    assert_eq!(c.cmd("RETR missing.txt").await.code, 550);
    assert!(refused(port).await, "a refused RETR closes the listener");
    assert_eq!(c.cmd("RETR hello.txt").await.code, 425);
}

#[tokio::test]
async fn narrow_passive_range_is_reused() {
    let probe = std::net::TcpListener::bind(at(0)).unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let config = Config {
        passive_ports: Some((port, port)),
        ..Config::default()
    };
    let (_s, addr) = server(config).await;
    let mut c = Client::logged_in(addr).await;
    for _ in 0..3 {
        assert_eq!(c.epsv().await, port);
        let target = c.pasv().await;
        assert_eq!(target.port(), port);
        let data = connect(target).await;
        assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
        assert_eq!(read_all(data).await, HELLO);
        assert_eq!(c.reply().await.code, 226);
    }
}

#[tokio::test]
async fn oversized_upload_is_552() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let port = c.epsv().await;
    let mut data = connect(at(port)).await;
    assert_eq!(c.cmd("STOR big.bin").await.code, 150);
    let chunk = vec![7u8; 1024 * 1024];
    for _ in 0..=MAX_FILE_BYTES / chunk.len() {
        if data.write_all(&chunk).await.is_err() {
            break;
        }
    }
    drop(data);
    assert_eq!(c.reply().await.code, 552);
    assert_eq!(c.cmd("SIZE big.bin").await.code, 550);
}
