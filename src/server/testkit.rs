//! A tiny FTP client for the server's own tests: connect, send lines, read replies, open data
//! connections. Every wait is bounded by [`GUARD`] so a broken server fails a test instead of
//! hanging it (the guard is a safety net, never an assertion about time).
//!
//! Replies are read by the harness's own [`ControlConnection`] (the same parser and limits as
//! `ftpspec run`); [`Client`] only turns them into [`TestReply`] values that tests compare as
//! text, and panics where a test should fail.

use super::{Config, ServerHandle, Shared, serve_stream, start};
use crate::proto::Reply;
use crate::session::{ControlConnection, Recorder, SessionError};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// Upper bound on any single wait in a test.
pub const GUARD: Duration = Duration::from_secs(20);

/// How long a test listens for a reply that must not come. It asserts an absence, never a
/// duration: a reply that would come later is a test that passes wrongly, not one that flakes.
pub const SILENCE: Duration = Duration::from_millis(300);

pub const LOCALHOST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

async fn guard<F: std::future::Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(GUARD, f).await {
        Ok(out) => out,
        Err(_) => panic!("test guard expired waiting for {what}"),
    }
}

/// A server on 127.0.0.1:0 with `config`, and its address.
pub async fn server(config: Config) -> (ServerHandle, SocketAddr) {
    let server = start(&[SocketAddr::new(LOCALHOST, 0)], config)
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    (server, addr)
}

/// A server with exactly one fault.
pub async fn faulty(fault: super::Fault) -> (ServerHandle, SocketAddr) {
    server(with_fault(fault)).await
}

/// The default configuration plus one fault.
pub fn with_fault(fault: super::Fault) -> Config {
    Config {
        faults: [fault].into_iter().collect(),
        ..Config::default()
    }
}

/// A server on [::1]:0 with `config`, or `None` when this host has no IPv6 loopback.
pub async fn server_v6(config: Config) -> Option<(ServerHandle, SocketAddr)> {
    if !can_bind("::1") {
        return None;
    }
    let server = start(&["[::1]:0".parse().unwrap()], config).await.unwrap();
    let addr = server.local_addrs()[0];
    Some((server, addr))
}

/// True when this host can bind `ip` (127.0.0.2 works on Linux, ::1 needs IPv6).
/// A port `p` such that `p..p+n` were all free on 127.0.0.1 a moment ago. They are looked for
/// in 10000–19999, below the ephemeral range: after a busy test run, ephemeral ports left in
/// TIME_WAIT by outgoing connections cannot be bound for a minute, and an outgoing connection
/// could take one of them at any time.
pub fn free_block(n: u16) -> u16 {
    let seed = std::process::id()
        ^ std::time::UNIX_EPOCH
            .elapsed()
            .map_or(0, |d| d.subsec_nanos());
    for attempt in 0..400u32 {
        let base = 10_000 + (seed.wrapping_add(attempt.wrapping_mul(7919)) % 9_900) as u16;
        let all_free = (base..base + n)
            .map(|p| std::net::TcpListener::bind((LOCALHOST, p)))
            .collect::<Result<Vec<_>, _>>()
            .is_ok();
        if all_free {
            return base;
        }
    }
    panic!("no block of {n} free ports");
}

pub fn can_bind(ip: &str) -> bool {
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    std::net::TcpListener::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// One reply as the test sees it.
#[derive(Debug, Clone)]
pub struct TestReply {
    pub code: u16,
    /// Every line, without CRLF.
    pub lines: Vec<String>,
}

impl TestReply {
    /// The text of the last line (after `xyz `).
    pub fn text(&self) -> &str {
        self.lines
            .last()
            .map(|l| l.get(4..).unwrap_or(""))
            .unwrap_or("")
    }

    /// The reply as text; the server's replies are ASCII, so anything else fails the test.
    fn of(reply: Reply) -> TestReply {
        let lines = reply
            .lines
            .into_iter()
            .map(|mut line| {
                line.truncate(line.len().saturating_sub(2));
                String::from_utf8(line).expect("ASCII reply")
            })
            .collect();
        TestReply {
            code: reply.code.0,
            lines,
        }
    }
}

/// The control connection of a test client.
pub struct Client {
    ctrl: ControlConnection,
}

impl Client {
    /// Connects and checks the 220 greeting.
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = guard("connect", TcpStream::connect(addr)).await.unwrap();
        Client::over(stream).await
    }

    /// Takes over a connected control stream and checks the 220 greeting.
    pub async fn over(stream: TcpStream) -> Client {
        let peer = stream.peer_addr().unwrap();
        let local = stream.local_addr().unwrap();
        let mut c = Client {
            ctrl: ControlConnection::over(stream, peer, local, Recorder::new()),
        };
        let greeting = c.reply().await;
        assert_eq!(greeting.code, 220, "{greeting:?}");
        c
    }

    /// Connects and logs in anonymously.
    pub async fn logged_in(addr: SocketAddr) -> Client {
        let mut c = Client::connect(addr).await;
        c.login().await;
        c
    }

    /// Logs in anonymously.
    pub async fn login(&mut self) {
        assert_eq!(self.cmd("USER anonymous").await.code, 331);
        assert_eq!(self.cmd("PASS test@").await.code, 230);
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        guard("write", self.ctrl.send(bytes)).await.unwrap();
    }

    /// Sends `line` plus CRLF.
    pub async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
    }

    /// Sends one byte as TCP urgent data (the Telnet Synch's DM).
    pub fn send_urgent(&self, byte: u8) {
        self.ctrl.send_urgent(byte).unwrap();
    }

    /// The next reply, or `None` if the server closed (or reset) the connection between
    /// replies. A malformed reply, or a close in the middle of one, fails the test.
    pub async fn try_reply(&mut self) -> Option<TestReply> {
        match self.ctrl.read_reply(GUARD).await {
            Ok(reply) => Some(TestReply::of(reply)),
            Err(SessionError::Closed { pending: 0 } | SessionError::Io { .. }) => None,
            Err(SessionError::Timeout { .. }) => panic!("test guard expired waiting for a reply"),
            Err(e) => panic!("{e}"),
        }
    }

    /// The next reply; panics if the connection closed.
    pub async fn reply(&mut self) -> TestReply {
        self.try_reply()
            .await
            .expect("server closed the control connection")
    }

    /// Sends `line` and returns the reply.
    pub async fn cmd(&mut self, line: &str) -> TestReply {
        self.send(line).await;
        self.reply().await
    }

    /// `EPSV` → the port of the 229 reply.
    pub async fn epsv(&mut self) -> u16 {
        let r = self.cmd("EPSV").await;
        assert_eq!(r.code, 229, "{r:?}");
        let reply = crate::proto::EpsvReply::from_reply_text(r.text().as_bytes()).unwrap();
        reply.port
    }

    /// `PASV` → the address of the 227 reply.
    pub async fn pasv(&mut self) -> SocketAddr {
        let r = self.cmd("PASV").await;
        assert_eq!(r.code, 227, "{r:?}");
        let hp = crate::proto::HostPort::from_227_text(r.text().as_bytes()).unwrap();
        SocketAddr::V4(hp.socket_addr())
    }

    /// EPSV, connect, `verb`, 150, read everything, 226: the bytes received.
    pub async fn fetch(&mut self, verb: &str) -> Vec<u8> {
        let port = self.epsv().await;
        let data = connect(SocketAddr::new(LOCALHOST, port)).await;
        let opened = self.cmd(verb).await;
        assert_eq!(opened.code, 150, "{opened:?}");
        let bytes = read_all(data).await;
        let done = self.reply().await;
        assert_eq!(done.code, 226, "{done:?}");
        bytes
    }

    /// The next line exactly as received, terminator included (for replies that break §4.2).
    pub async fn raw_line(&mut self) -> Vec<u8> {
        self.ctrl.read_raw_line(GUARD).await.unwrap()
    }

    /// True when nothing arrives for [`SILENCE`] and the connection is still open.
    pub async fn silent(&mut self) -> bool {
        match self.ctrl.read_reply(SILENCE).await {
            Err(SessionError::Timeout { .. }) if self.ctrl.pending().is_empty() => true,
            Err(SessionError::Closed { .. } | SessionError::Io { .. }) => {
                panic!("the server closed the control connection")
            }
            Ok(reply) => {
                eprintln!(
                    "unexpected reply: {:?}",
                    reply.raw().escape_ascii().to_string()
                );
                false
            }
            Err(e) => {
                let bytes = self.ctrl.pending().escape_ascii().to_string();
                eprintln!("unexpected bytes: {e}; unparsed: {bytes:?}");
                false
            }
        }
    }

    /// True once the server has closed the control connection (EOF or reset) with nothing
    /// sent before.
    pub async fn closed(&mut self) -> bool {
        match self.ctrl.read_reply(GUARD).await {
            Err(SessionError::Closed { .. } | SessionError::Io { .. }) => {
                self.ctrl.pending().is_empty()
            }
            Err(SessionError::Timeout { .. }) => panic!("test guard expired waiting for close"),
            Ok(_) | Err(_) => false,
        }
    }
}

/// One session of [`serve_stream`] over a loopback connection, without an accept loop: the
/// client's end of the control connection (greeting not yet read), and the session's task, so
/// a test can wait for the session to end ([`ended`]).
pub async fn lone_session(shared: Arc<Shared>) -> (TcpStream, JoinHandle<()>) {
    let listener = TcpListener::bind(SocketAddr::new(LOCALHOST, 0))
        .await
        .unwrap();
    let client = connect(listener.local_addr().unwrap()).await;
    let (server_end, peer) = guard("accept", listener.accept()).await.unwrap();
    let local = server_end.local_addr().unwrap();
    let task = tokio::spawn(serve_stream(server_end, peer, local, shared));
    (client, task)
}

/// Waits until the session task of [`lone_session`] has ended.
pub async fn ended(task: JoinHandle<()>) {
    guard("end of session", task).await.unwrap();
}

/// True when a connect to `addr` succeeds (the connection is dropped at once).
pub async fn accepts(addr: SocketAddr) -> bool {
    guard("connect", TcpStream::connect(addr)).await.is_ok()
}

/// True once a connect to `addr` is refused, trying for up to 2 s, 20 ms apart. A bounded poll,
/// not a synchronisation: a listener closed by the server may be closed a moment after what
/// the test can observe, and the port freed may be taken again by the system (another test's
/// listener), so "refused at some point within the bound" is what a test can assert.
pub async fn refused_soon(addr: SocketAddr) -> bool {
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// Connects to `addr` from the system's choice of address.
pub async fn connect(addr: SocketAddr) -> TcpStream {
    guard("data connect", TcpStream::connect(addr))
        .await
        .unwrap()
}

/// Connects to `addr` from `from` (e.g. 127.0.0.2), with a small receive buffer so that a
/// client that does not read really holds the sender back.
pub async fn connect_from(from: IpAddr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    socket.bind(SocketAddr::new(from, 0))?;
    guard("data connect", socket.connect(addr)).await
}

/// Reads a data connection to its end.
pub async fn read_all(mut stream: TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    guard("data", stream.read_to_end(&mut out)).await.unwrap();
    out
}

/// Accepts one active data connection on `listener`.
pub async fn accept(listener: &tokio::net::TcpListener) -> TcpStream {
    guard("active data connection", listener.accept())
        .await
        .unwrap()
        .0
}

/// `RETR hello.txt` over the active-mode listener `l` that PORT/EPRT has just named: the server
/// connects, `150`, the bytes (returned), `226`.
pub async fn retr_hello_active(c: &mut Client, l: &tokio::net::TcpListener) -> Vec<u8> {
    c.send("RETR hello.txt").await;
    let data = accept(l).await;
    assert_eq!(c.reply().await.code, 150);
    let bytes = read_all(data).await;
    assert_eq!(c.reply().await.code, 226);
    bytes
}
