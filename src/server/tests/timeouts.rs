//! Idle and data timeouts, under paused time, with the control connection over
//! `tokio::io::duplex` (the way the in-process fuzzer drives the server).

use crate::server::{Config, Shared, serve_stream};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Starts a session over an in-memory pipe and returns the client's end.
fn session(config: Config) -> BufReader<DuplexStream> {
    let (client, server) = tokio::io::duplex(4096);
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let local: SocketAddr = "127.0.0.1:21".parse().unwrap();
    tokio::spawn(serve_stream(
        server,
        peer,
        local,
        Arc::new(Shared::new(config)),
    ));
    BufReader::new(client)
}

async fn line(c: &mut BufReader<DuplexStream>) -> String {
    let mut s = String::new();
    c.read_line(&mut s).await.unwrap();
    s
}

async fn cmd(c: &mut BufReader<DuplexStream>, text: &str) -> String {
    c.get_mut()
        .write_all(format!("{text}\r\n").as_bytes())
        .await
        .unwrap();
    line(c).await
}

#[tokio::test(start_paused = true)]
async fn idle_control_connection_gets_421_and_is_closed() {
    let mut c = session(Config::default());
    assert_eq!(line(&mut c).await, "220 ftpspec reference server ready\r\n");
    assert!(cmd(&mut c, "NOOP").await.starts_with("200 "));
    let before = tokio::time::Instant::now();
    assert!(line(&mut c).await.starts_with("421 "));
    assert!(before.elapsed() >= Duration::from_secs(300));
    assert_eq!(line(&mut c).await, "", "closed after 421");
}

#[tokio::test(start_paused = true)]
async fn passive_transfer_without_a_connection_times_out_with_425() {
    let config = Config {
        data_timeout: Duration::from_secs(10),
        ..Config::default()
    };
    let mut c = session(config);
    line(&mut c).await;
    assert!(cmd(&mut c, "USER ftp").await.starts_with("331 "));
    assert!(cmd(&mut c, "PASS x").await.starts_with("230 "));
    assert!(cmd(&mut c, "EPSV").await.starts_with("229 "));
    assert!(cmd(&mut c, "RETR hello.txt").await.starts_with("425 "));
    assert!(cmd(&mut c, "NOOP").await.starts_with("200 "));
}

#[tokio::test]
async fn end_of_stream_ends_the_session() {
    let (client, server) = tokio::io::duplex(4096);
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let shared = Arc::new(Shared::new(Config::default()));
    let task = tokio::spawn(serve_stream(server, peer, peer, shared));
    drop(client);
    task.await.unwrap();
}
