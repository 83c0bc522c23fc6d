//! A data connection as the harness reads and writes it: plain TCP, or TLS under `PROT P`
//! (RFC 4217 §9), with one set of read/write helpers for both (`super::data`).
//!
//! The TLS handshake of a data connection **runs in the background**: it starts when the
//! connection opens, in a task of its own, and the first read or write waits for its end. A
//! server negotiates TLS on a data connection only once it uses it — after the transfer
//! command, and after its 150 (vsftpd does so) — while a scenario opens a passive connection
//! *before* sending RETR, and an active one is accepted only after the 150: waiting for the
//! handshake at connect time would wait for a server that is waiting for the command. Nor may
//! it wait for the first read or write: a client that stalls (an ABOR scenario that stops
//! reading mid-transfer) must stall a transfer that has started, as a TLS client such as curl
//! does, which negotiates as soon as the server answers — a handshake left for the first read
//! would keep the server from sending a byte, and the scenario would test another situation
//! (pyftpdlib answers ABOR then "225 … data channel closed", no transfer having begun).
//! RFC 4217 §7: the FTP client is the TLS client either way.
//!
//! A handshake that fails comes out of the first read or write as an error that says so; one
//! that does not finish is bounded by the step timeout of that read or write, like any other
//! wait. Dropping or shutting down the stream ends the task (and so the TCP connection).

use super::TlsInfo;
use super::tls::TlsSession;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::{JoinError, JoinHandle};
use tokio_rustls::client::TlsStream;

/// One data connection.
pub enum DataStream {
    /// Clear data (no TLS, or `PROT C`).
    Tcp(TcpStream),
    /// `PROT P`: TLS, negotiated in the background from the start.
    Tls(Box<TlsData>),
}

impl std::fmt::Debug for DataStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataStream::Tcp(s) => f.debug_tuple("Tcp").field(s).finish(),
            DataStream::Tls(t) => f
                .debug_struct("Tls")
                .field("handshake_pending", &t.handshake_pending())
                .finish(),
        }
    }
}

impl From<TcpStream> for DataStream {
    fn from(tcp: TcpStream) -> DataStream {
        DataStream::Tcp(tcp)
    }
}

impl DataStream {
    /// `tcp`, protected by `tls` when given (the control connection's session, resumed).
    /// With `tls`, the handshake starts at once in a task of its own (see the module doc), so
    /// this must be called within a tokio runtime.
    pub fn new(tcp: TcpStream, tls: Option<&TlsSession>) -> DataStream {
        match tls {
            None => DataStream::Tcp(tcp),
            Some(session) => DataStream::Tls(Box::new(TlsData {
                state: State::Handshaking(tokio::spawn(session.start(tcp))),
                truncated: false,
            })),
        }
    }

    /// True for a TLS data connection.
    pub fn is_tls(&self) -> bool {
        matches!(self, DataStream::Tls(_))
    }

    /// True while a TLS handshake has not finished (the server has not answered yet), or has
    /// finished but not been seen by a read or write yet.
    pub fn handshake_pending(&self) -> bool {
        match self {
            DataStream::Tls(t) => t.handshake_pending(),
            DataStream::Tcp(_) => false,
        }
    }

    /// What the TLS handshake negotiated, once it finished.
    pub fn tls_info(&self) -> Option<TlsInfo> {
        match self {
            DataStream::Tls(t) => match &t.state {
                State::Ready(stream) => Some(TlsInfo::of(stream.get_ref().1)),
                _ => None,
            },
            DataStream::Tcp(_) => None,
        }
    }

    /// True when the server ended a TLS data connection without a `close_notify` alert (RFC
    /// 8446 §6.1: "Each party MUST send a close_notify alert before closing its write side of
    /// the connection"): the end of the data cannot be told from a cut connection. Read as an
    /// end of stream, and noted in the transcript.
    pub fn truncated(&self) -> bool {
        match self {
            DataStream::Tls(t) => t.truncated,
            DataStream::Tcp(_) => false,
        }
    }
}

/// A client TLS stream whose handshake runs in the background until the first use.
pub struct TlsData {
    state: State,
    /// The peer closed without `close_notify` (see [`DataStream::truncated`]).
    truncated: bool,
}

// The stream is the large variant, and the one in use for a connection's life; the whole
// `TlsData` is boxed in `DataStream` already.
#[allow(clippy::large_enum_variant)]
enum State {
    /// The handshake's task: it owns the TCP connection until it hands over the TLS stream.
    Handshaking(JoinHandle<io::Result<TlsStream<TcpStream>>>),
    Ready(TlsStream<TcpStream>),
    /// The handshake failed, seen by [`DataStream::settle_handshake`]: the error the first
    /// read or write returns.
    Refused(io::Error),
    /// The handshake failed (its error was returned once) or the stream was shut down before
    /// it finished.
    Failed,
}

/// What a finished handshake task leaves.
type Handshake = Result<io::Result<TlsStream<TcpStream>>, JoinError>;

impl State {
    fn settled(handshake: Handshake) -> State {
        match handshake {
            Ok(Ok(stream)) => State::Ready(stream),
            Ok(Err(e)) => {
                let text = format!("TLS handshake on the data connection failed: {e}");
                State::Refused(io::Error::new(e.kind(), text))
            }
            Err(e) => {
                let text = format!("TLS handshake on the data connection did not end: {e}");
                State::Refused(io::Error::other(text))
            }
        }
    }
}

impl DataStream {
    /// Waits, at most `wait`, for a TLS handshake still running in the background to end,
    /// without reading or writing: true when none is pending afterwards (plain TCP, done, or
    /// failed — a failure is then the error of the first read or write).
    ///
    /// For a client that acts on a transfer under way, as ABOR does: over TLS a transfer is
    /// under way once its data connection has negotiated, and a TLS client that aborts a
    /// transfer has finished that handshake (it reads and writes the data through it).
    pub async fn settle_handshake(&mut self, wait: std::time::Duration) -> bool {
        let DataStream::Tls(t) = self else {
            return true;
        };
        let State::Handshaking(task) = &mut t.state else {
            return true;
        };
        match tokio::time::timeout(wait, task).await {
            Ok(handshake) => {
                t.state = State::settled(handshake);
                true
            }
            Err(_) => false,
        }
    }
}

impl TlsData {
    fn handshake_pending(&self) -> bool {
        matches!(self.state, State::Handshaking(_))
    }

    /// Waits for the handshake's end; the ready stream, or the handshake's error (once).
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&mut TlsStream<TcpStream>>> {
        if let State::Handshaking(task) = &mut self.state {
            let handshake = ready!(Pin::new(task).poll(cx));
            self.state = State::settled(handshake);
        }
        if let State::Refused(_) = self.state
            && let State::Refused(e) = std::mem::replace(&mut self.state, State::Failed)
        {
            return Poll::Ready(Err(e));
        }
        match &mut self.state {
            State::Ready(stream) => Poll::Ready(Ok(stream)),
            _ => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the TLS data connection failed earlier",
            ))),
        }
    }
}

impl AsyncRead for DataStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DataStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            DataStream::Tls(t) => {
                let stream = ready!(t.poll_ready(cx))?;
                match ready!(Pin::new(stream).poll_read(cx, buf)) {
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        t.truncated = true;
                        Poll::Ready(Ok(()))
                    }
                    other => Poll::Ready(other),
                }
            }
        }
    }
}

impl AsyncWrite for DataStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            DataStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            DataStream::Tls(t) => {
                let stream = ready!(t.poll_ready(cx))?;
                Pin::new(stream).poll_write(cx, buf)
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DataStream::Tcp(s) => Pin::new(s).poll_flush(cx),
            DataStream::Tls(t) => match &mut t.state {
                State::Ready(stream) => Pin::new(stream).poll_flush(cx),
                _ => Poll::Ready(Ok(())),
            },
        }
    }

    /// Sends `close_notify` and FIN. A handshake not yet finished is abandoned: the TCP
    /// connection closes without one.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DataStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            DataStream::Tls(t) => match &mut t.state {
                State::Ready(stream) => Pin::new(stream).poll_shutdown(cx),
                _ => {
                    t.abandon();
                    Poll::Ready(Ok(()))
                }
            },
        }
    }
}

impl TlsData {
    /// Ends a handshake still running (its task owns the TCP connection, which closes).
    fn abandon(&mut self) {
        if let State::Handshaking(task) = &self.state {
            task.abort();
        }
        self.state = State::Failed;
    }
}

impl Drop for TlsData {
    fn drop(&mut self) {
        self.abandon();
    }
}
