//! The control connection: send lines, read replies, each read under a timeout.
//!
//! The connection only buffers bytes and loops "parse, else read more" (the parser in
//! [`crate::proto::reply`] is pure). Every byte both ways goes into the [`Recorder`], except that
//! the argument of `PASS` is replaced by `****` so passwords never reach a transcript.
//!
//! It runs over any [`ControlStream`]: TCP from [`ControlConnection::connect`], TLS from
//! [`ControlConnection::connect_tls`] (implicit) or [`ControlConnection::auth_tls`] (explicit,
//! RFC 4217 §4), or a stream handed to [`ControlConnection::over`] (an in-memory duplex). This is the one reply
//! reader of ftpspec: the runner, the network fuzzer, the in-process fuzz driver and the
//! reference server's test client all read replies here.

use super::stream::{ControlStream, Detached};
use super::tls::{TlsInfo, TlsSession};
use super::transcript::{Channel, Direction, escape_bytes};
use super::{Recorder, SessionError};
use crate::proto::command::verb_of;
use crate::proto::{Limits, Reply, parse_reply, telnet};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// One control connection to the target.
///
/// The stream is boxed (`Box<dyn ControlStream>`) rather than a type parameter: the runner's
/// `ScenarioRun`, its step functions, `quit` and the fuzzer's `Exec` all hold a
/// `ControlConnection`, and a parameter would have to be threaded through every one of them
/// (and through each new stream type's callers) for no gain — one indirect call per read or
/// write is nothing next to the system call behind it. TCP, TLS and in-memory streams then
/// share one type.
pub struct ControlConnection {
    stream: Box<dyn ControlStream>,
    buf: Vec<u8>,
    limits: Limits,
    peer: SocketAddr,
    local: SocketAddr,
    recorder: Recorder,
    /// The TLS session of this connection, once it is protected (RFC 4217): its data
    /// connections resume it.
    tls: Option<TlsSession>,
    /// `PROT P` is in effect: data connections are TLS too (RFC 4217 §9).
    private_data: bool,
}

impl std::fmt::Debug for ControlConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlConnection")
            .field("peer", &self.peer)
            .field("local", &self.local)
            .field("buffered", &self.buf.len())
            .field("urgent", &self.stream.urgent().is_some())
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

const READ_CHUNK: usize = 4096;

impl ControlConnection {
    /// Connects by TCP under `connect_timeout`. Does not read the greeting.
    pub async fn connect(
        addr: SocketAddr,
        connect_timeout: Duration,
        recorder: Recorder,
    ) -> Result<ControlConnection, SessionError> {
        let stream = match timeout(connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => return Err(SessionError::Connect { addr, source }),
            Err(_) => {
                return Err(SessionError::Timeout {
                    what: "TCP connection",
                    timeout: connect_timeout,
                });
            }
        };
        let _ = stream.set_nodelay(true);
        let local = stream
            .local_addr()
            .map_err(SessionError::io("reading local address"))?;
        recorder.event(
            Channel::Control,
            &format!("connected to {addr} from {local}"),
        );
        Ok(ControlConnection::over(stream, addr, local, recorder))
    }

    /// A control connection over a stream that is already open. Does not read the greeting.
    ///
    /// Only a socket knows its addresses, so the caller gives them: `peer` is where data
    /// connections go (never an address a 227 names) and `${target.*}`; `local` is
    /// `${client.*}`, what PORT and EPRT name. For an in-memory stream they are the addresses it
    /// stands for. Nothing is recorded here: the caller, who made the stream, knows how.
    pub fn over(
        stream: impl ControlStream,
        peer: SocketAddr,
        local: SocketAddr,
        recorder: Recorder,
    ) -> ControlConnection {
        ControlConnection {
            stream: Box::new(stream),
            buf: Vec::new(),
            limits: Limits::default(),
            peer,
            local,
            recorder,
            tls: None,
            private_data: false,
        }
    }

    /// Implicit FTPS: connects by TCP and negotiates TLS at once, before the greeting, each
    /// under `wait`. Does not read the greeting.
    pub async fn connect_tls(
        addr: SocketAddr,
        tls: TlsSession,
        wait: Duration,
        recorder: Recorder,
    ) -> Result<(ControlConnection, TlsInfo), SessionError> {
        let mut conn = ControlConnection::connect(addr, wait, recorder).await?;
        let info = conn.start_tls(tls, wait).await?;
        Ok((conn, info))
    }

    /// Explicit FTPS (RFC 4217 §4): sends `AUTH TLS`, requires 234, then negotiates TLS. Call
    /// it after the greeting.
    pub async fn auth_tls(
        &mut self,
        tls: TlsSession,
        wait: Duration,
    ) -> Result<TlsInfo, SessionError> {
        self.send(b"AUTH TLS\r\n").await?;
        let reply = self.read_reply(wait).await?;
        if reply.code.0 != 234 {
            let last = reply.lines.last().cloned().unwrap_or_default();
            let shown = escape_bytes(last.strip_suffix(b"\r\n").unwrap_or(&last));
            return Err(SessionError::AuthTlsRefused { reply: shown });
        }
        self.start_tls(tls, wait).await
    }

    /// Negotiates TLS over this connection's TCP stream, as the TLS client, under `wait`; the
    /// connection then reads and writes through TLS. Refuses, before touching the stream, when
    /// bytes are already buffered (they came in the clear after the 234) or when the stream
    /// is not plain TCP. A failed handshake leaves the connection unusable.
    pub async fn start_tls(
        &mut self,
        tls: TlsSession,
        wait: Duration,
    ) -> Result<TlsInfo, SessionError> {
        if !self.buf.is_empty() {
            return Err(SessionError::ClearBytesBeforeHandshake {
                bytes: self.buf.len(),
            });
        }
        if self.stream.urgent().is_none() {
            return Err(SessionError::NotUpgradable);
        }
        let stream = std::mem::replace(&mut self.stream, Box::new(Detached));
        let tcp = stream.into_tcp().ok_or(SessionError::NotUpgradable)?;
        let upgraded = tls
            .handshake(tcp, wait, "on the control connection")
            .await
            .inspect_err(|e| self.recorder.event(Channel::Control, &e.to_string()))?;
        let info = TlsInfo::of(upgraded.get_ref().1);
        self.recorder
            .event(Channel::Control, &format!("TLS: {}", info.summary()));
        self.stream = Box::new(upgraded);
        self.tls = Some(tls);
        Ok(info)
    }

    /// The TLS session of this connection, if it is protected.
    pub fn tls(&self) -> Option<&TlsSession> {
        self.tls.as_ref()
    }

    /// Records that `PROT P` (true) or `PROT C` (false) was accepted (RFC 4217 §9).
    pub fn set_private_data(&mut self, private: bool) {
        self.private_data = private;
    }

    /// The session data connections must negotiate: `Some` under `PROT P` on a protected
    /// connection, `None` for clear data.
    pub fn data_tls(&self) -> Option<&TlsSession> {
        self.tls.as_ref().filter(|_| self.private_data)
    }

    /// The target's address: the only host data connections ever go to.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The address this end of the control connection is bound to.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Sends bytes exactly as given (a `RawLine`, or a rendered scenario payload).
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        if self.recorder.is_recording() {
            self.recorder
                .record(Channel::Control, Direction::Sent, &redacted(bytes));
        }
        self.stream
            .write_all(bytes)
            .await
            .map_err(SessionError::io("sending a command"))
    }

    /// Sends `bytes`, recording `shown` in their place: a line of a megabyte is kept compact
    /// in the transcript (`send-long`).
    pub async fn send_as(&mut self, bytes: &[u8], shown: &[u8]) -> Result<(), SessionError> {
        self.recorder
            .record(Channel::Control, Direction::Sent, shown);
        self.stream
            .write_all(bytes)
            .await
            .map_err(SessionError::io("sending a command"))
    }

    /// ABOR with the Telnet "special action" (RFC 959 §4.1.3): `IAC IP` and `IAC` in band, the
    /// Data Mark as TCP urgent data (the Synch), then `ABOR\r\n`.
    ///
    /// A stream without urgent data (TLS, in-memory) fails with
    /// [`SessionError::NoUrgentData`] before a byte is sent, so the server never sees half a
    /// Synch.
    pub async fn send_urgent_abort(&mut self) -> Result<(), SessionError> {
        if self.stream.urgent().is_none() {
            return Err(SessionError::NoUrgentData);
        }
        self.send(&telnet::SPECIAL_ACTION_PREFIX).await?;
        self.stream
            .flush()
            .await
            .map_err(SessionError::io("sending IAC IP"))?;
        self.send_urgent(telnet::DM)?;
        self.send(b"ABOR\r\n").await
    }

    /// Sends one byte as TCP urgent data, recorded as an event (`urgent data: DM (0xf2)`).
    /// [`SessionError::NoUrgentData`] when the stream has no urgent data.
    pub fn send_urgent(&self, byte: u8) -> Result<(), SessionError> {
        let urgent = self.stream.urgent().ok_or(SessionError::NoUrgentData)?;
        let name = if byte == telnet::DM { "DM " } else { "" };
        self.recorder.event(
            Channel::Control,
            &format!("urgent data: {name}(0x{byte:02x})"),
        );
        urgent
            .send_urgent(&[byte])
            .map_err(SessionError::io("sending the Synch as urgent data"))?;
        Ok(())
    }

    /// True when the stream can send TCP urgent data (plain TCP).
    pub fn has_urgent_data(&self) -> bool {
        self.stream.urgent().is_some()
    }

    /// Reads the next complete reply, waiting at most `wait`.
    ///
    /// A malformed reply is an error carrying the raw bytes; the bytes it covers are dropped so
    /// that a later read starts after them.
    pub async fn read_reply(&mut self, wait: Duration) -> Result<Reply, SessionError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(reply) = self.parse_buffered()? {
                return Ok(reply);
            }
            self.fill(deadline, wait).await?;
        }
    }

    /// The next complete reply if one has already arrived, without waiting: what is buffered,
    /// plus what the stream holds right now.
    ///
    /// Not `read_reply(Duration::ZERO)`: a zero timeout still arms a timer, and tokio's timer
    /// wheel rounds it up to the next millisecond tick — a millisecond per call, which was most
    /// of a fuzz dialogue's time against a fast server.
    pub fn try_read_reply(&mut self) -> Result<Option<Reply>, SessionError> {
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            if let Some(reply) = self.parse_buffered()? {
                return Ok(Some(reply));
            }
            match self.read_now(&mut chunk) {
                Poll::Pending => return Ok(None),
                Poll::Ready(Ok(0)) => return Err(self.closed()),
                Poll::Ready(Ok(n)) => self.keep(&chunk[..n]),
                Poll::Ready(Err(source)) => {
                    return Err(SessionError::Io {
                        context: "reading a reply",
                        source,
                    });
                }
            }
        }
    }

    /// What the stream holds right now, read into `chunk` without waiting: one `poll_read`
    /// with a waker that does nothing (for a TCP stream, exactly `TcpStream::try_read`: both
    /// look at the readiness tokio has seen, read, and clear it on `WouldBlock`).
    ///
    /// Outside tokio's cooperative budget: a stream's `poll_read` is `Pending` once the task
    /// has spent its budget, which here would read as "nothing has arrived" when something has.
    fn read_now(&mut self, chunk: &mut [u8]) -> Poll<std::io::Result<usize>> {
        let stream = &mut self.stream;
        let read = tokio::task::unconstrained(std::future::poll_fn(|cx| {
            let mut buf = ReadBuf::new(chunk);
            let polled = std::pin::Pin::new(&mut **stream).poll_read(cx, &mut buf);
            polled.map_ok(|()| buf.filled().len())
        }));
        pin!(read).poll(&mut Context::from_waker(Waker::noop()))
    }

    /// The next line exactly as received, up to and including its LF, not parsed: for a test
    /// that shows what a server sent that the reply syntax (RFC 959 §4.2) refuses, such as a
    /// bare LF. Bounded like a reply line: a line longer than the parser's line limit comes
    /// back in pieces of that length.
    pub async fn read_raw_line(&mut self, wait: Duration) -> Result<Vec<u8>, SessionError> {
        let deadline = tokio::time::Instant::now() + wait;
        let limit = self.limits.max_line_len;
        loop {
            let end = self.buf.iter().position(|&b| b == b'\n').map(|i| i + 1);
            let take = match end {
                Some(n) => Some(n.min(limit)),
                None => (self.buf.len() >= limit).then_some(limit),
            };
            if let Some(n) = take {
                return Ok(self.buf.drain(..n).collect());
            }
            self.fill(deadline, wait).await?;
        }
    }

    /// Bytes received and not yet part of a reply (an unfinished line, say).
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Takes one complete reply off the front of the buffer, if there is one.
    fn parse_buffered(&mut self) -> Result<Option<Reply>, SessionError> {
        match parse_reply(&self.buf, self.limits) {
            Ok(Some((reply, used))) => {
                self.buf.drain(..used);
                Ok(Some(reply))
            }
            Ok(None) => Ok(None),
            Err(err) => {
                let used = err.consumed.min(self.buf.len());
                self.buf.drain(..used);
                let shown = &err.raw[..err.raw.len().min(200)];
                self.recorder
                    .violation(format!("{}: \"{}\"", err.kind, escape_bytes(shown)));
                Err(SessionError::Malformed(err))
            }
        }
    }

    /// Reads more bytes into the buffer before `deadline`.
    async fn fill(
        &mut self,
        deadline: tokio::time::Instant,
        wait: Duration,
    ) -> Result<(), SessionError> {
        let mut chunk = [0u8; READ_CHUNK];
        let read = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await;
        match read {
            Err(_) => Err(SessionError::Timeout {
                what: "reply",
                timeout: wait,
            }),
            Ok(Err(source)) => Err(SessionError::Io {
                context: "reading a reply",
                source,
            }),
            Ok(Ok(0)) => Err(self.closed()),
            Ok(Ok(n)) => {
                self.keep(&chunk[..n]);
                Ok(())
            }
        }
    }

    /// Records received bytes and appends them to the buffer.
    fn keep(&mut self, bytes: &[u8]) {
        self.recorder
            .record(Channel::Control, Direction::Received, bytes);
        self.buf.extend_from_slice(bytes);
    }

    /// The server closed the connection: recorded, with what it left unparsed.
    fn closed(&self) -> SessionError {
        self.recorder
            .event(Channel::Control, "closed by the server");
        SessionError::Closed {
            pending: self.buf.len(),
        }
    }

    /// Closes the connection (best effort).
    pub async fn shutdown(&mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// The bytes to record for a sent line: `PASS` lines (in any case, RFC 959 §5.3) lose their
/// argument, so a password never reaches a transcript or a report.
fn redacted(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if verb_of(bytes) == b"PASS" {
        let end = bytes
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(bytes.len());
        let mut out = b"PASS ****".to_vec();
        out.extend_from_slice(&bytes[end..]);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, DuplexStream, duplex};

    const WAIT: Duration = Duration::from_secs(10);

    /// A connection over an in-memory pipe, and the server's end of it.
    fn in_memory() -> (ControlConnection, DuplexStream) {
        let (client, server) = duplex(64 * 1024);
        let peer = SocketAddr::from(([127, 0, 0, 1], 21));
        let local = SocketAddr::from(([127, 0, 0, 1], 40_000));
        (
            ControlConnection::over(client, peer, local, Recorder::new()),
            server,
        )
    }

    /// A connection over loopback TCP (which has urgent data), and the server's end of it.
    async fn over_tcp() -> (ControlConnection, tokio::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let conn = ControlConnection::connect(addr, WAIT, Recorder::new())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (conn, server)
    }

    #[tokio::test(start_paused = true)]
    async fn try_read_reply_takes_only_what_has_arrived() {
        let (mut conn, mut server) = in_memory();
        assert!(matches!(conn.try_read_reply(), Ok(None)));

        server.write_all(b"200 one\r\n211-two\r\n").await.unwrap();
        assert_eq!(conn.read_reply(WAIT).await.unwrap().code.0, 200);
        // Half of a multi-line reply is buffered: still no reply, and no wait.
        assert!(matches!(conn.try_read_reply(), Ok(None)));
        assert_eq!(conn.pending(), b"211-two\r\n");

        // A write into the pipe is readable at once: no readiness to wait for.
        server.write_all(b"211 end\r\n").await.unwrap();
        let reply = conn.try_read_reply().unwrap().expect("a complete reply");
        assert_eq!((reply.code.0, reply.lines.len()), (211, 2));

        drop(server);
        assert!(matches!(
            conn.try_read_reply(),
            Err(SessionError::Closed { pending: 0 })
        ));
    }

    /// Over TCP the stream is read only as far as tokio has seen it readable, as with
    /// `TcpStream::try_read`: a reply on the wire shows once the reactor has run (one yield).
    #[tokio::test]
    async fn try_read_reply_over_tcp_reads_what_the_reactor_has_seen() {
        let (mut conn, mut server) = over_tcp().await;
        assert!(matches!(conn.try_read_reply(), Ok(None)));
        server.write_all(b"200 one\r\n211-two\r\n").await.unwrap();
        assert_eq!(conn.read_reply(WAIT).await.unwrap().code.0, 200);
        assert!(matches!(conn.try_read_reply(), Ok(None)));

        server.write_all(b"211 end\r\n").await.unwrap();
        // Bounded: on loopback the bytes are in the socket when write_all returns, and one
        // yield lets the current-thread runtime poll its reactor.
        let mut reply = None;
        for _ in 0..100 {
            reply = conn.try_read_reply().unwrap();
            if reply.is_some() {
                break;
            }
            tokio::task::yield_now().await;
        }
        let reply = reply.expect("the reply on the wire");
        assert_eq!((reply.code.0, reply.lines.len()), (211, 2));
    }

    /// Past tokio's cooperative budget a `poll_read` says Pending; `try_read_reply` must still
    /// see what has arrived.
    #[tokio::test(start_paused = true)]
    async fn try_read_reply_ignores_the_spent_budget() {
        let (mut conn, mut server) = in_memory();
        server.write_all(b"200 ok\r\n").await.unwrap();
        while tokio::task::coop::has_budget_remaining() {
            tokio::task::coop::consume_budget().await;
        }
        let reply = conn
            .try_read_reply()
            .unwrap()
            .expect("the reply that arrived");
        assert_eq!(reply.code.0, 200);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reply_that_never_completes_times_out_with_what_came() {
        let (mut conn, mut server) = in_memory();
        server.write_all(b"200 half").await.unwrap();
        let err = conn.read_reply(Duration::from_secs(30)).await.unwrap_err();
        assert!(
            matches!(err, SessionError::Timeout { what: "reply", .. }),
            "{err}"
        );
        assert_eq!(conn.pending(), b"200 half");
        let seen = conn.recorder().snapshot();
        assert_eq!(seen.entries[0].bytes, b"200 half");
    }

    #[tokio::test(start_paused = true)]
    async fn raw_lines_keep_their_terminators_and_are_bounded() {
        let (mut conn, mut server) = in_memory();
        server.write_all(b"215 bare\n200 ok\r\n").await.unwrap();
        assert_eq!(conn.read_raw_line(WAIT).await.unwrap(), b"215 bare\n");
        assert_eq!(conn.read_raw_line(WAIT).await.unwrap(), b"200 ok\r\n");
        let limit = Limits::default().max_line_len;
        let mut long = vec![b'x'; limit + 10];
        long.push(b'\n');
        server.write_all(&long).await.unwrap();
        assert_eq!(conn.read_raw_line(WAIT).await.unwrap(), long[..limit]);
        assert_eq!(conn.read_raw_line(WAIT).await.unwrap(), long[limit..]);
    }

    /// Over a stream without urgent data the Synch is refused before any byte goes out.
    #[tokio::test(start_paused = true)]
    async fn urgent_abort_without_urgent_data_sends_nothing() {
        let (mut conn, mut server) = in_memory();
        assert!(!conn.has_urgent_data());
        let err = conn.send_urgent_abort().await.unwrap_err();
        assert!(matches!(err, SessionError::NoUrgentData), "{err}");
        assert!(matches!(
            conn.send_urgent(telnet::DM),
            Err(SessionError::NoUrgentData)
        ));
        conn.shutdown().await;
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"");
        assert!(conn.recorder().snapshot().entries.is_empty());
    }

    /// Over TCP: `IAC IP IAC` in band, DM as urgent data, `ABOR` — the bytes of RFC 959 §4.1.3.
    #[tokio::test]
    async fn urgent_abort_over_tcp_sends_the_synch() {
        let (mut conn, mut server) = over_tcp().await;
        assert!(conn.has_urgent_data());
        conn.send_urgent_abort().await.unwrap();

        // Without SO_OOBINLINE the urgent byte is not in band: had DM gone in band, it would
        // be read here between `IAC` and `ABOR`.
        let mut in_band = vec![0u8; 9];
        server.read_exact(&mut in_band).await.unwrap();
        assert_eq!(in_band, b"\xff\xf4\xffABOR\r\n");

        let shown: Vec<Vec<u8>> = conn
            .recorder()
            .snapshot()
            .entries
            .into_iter()
            .skip(1)
            .map(|e| e.bytes)
            .collect();
        assert_eq!(
            shown,
            [&b"\xff\xf4\xff"[..], b"urgent data: DM (0xf2)", b"ABOR\r\n"]
        );
    }

    #[test]
    fn pass_is_redacted_in_any_case() {
        assert_eq!(&*redacted(b"PASS s3cret\r\n"), b"PASS ****\r\n");
        assert_eq!(&*redacted(b"pass s3cret\r\n"), b"PASS ****\r\n");
        assert_eq!(&*redacted(b"USER bob\r\n"), b"USER bob\r\n");
    }
}
