//! A data connection as the harness reads and writes it: plain TCP, or TLS under `PROT P`
//! (RFC 4217 §9), with one set of read/write helpers for both (`super::data`).
//!
//! The TLS handshake of a data connection is **lazy**: it starts with the first read or write,
//! not when the connection opens. A server negotiates TLS on a data connection only once it
//! uses it — after the transfer command, and after its 150 (vsftpd does so) — while a
//! scenario opens a passive connection *before* sending RETR, and an active one is accepted
//! only after the 150. Completing the handshake at connect time would wait for a server that
//! is waiting for the command. RFC 4217 §7: the FTP client is the TLS client either way.
//!
//! A handshake that fails comes out of the read or write as an error that says so; one that
//! does not finish is bounded by the step timeout of that read or write, like any other wait.

use super::TlsInfo;
use super::tls::TlsSession;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// One data connection.
pub enum DataStream {
    /// Clear data (no TLS, or `PROT C`).
    Tcp(TcpStream),
    /// `PROT P`: TLS, negotiated on first use.
    Tls(Box<LazyTls>),
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
    pub fn new(tcp: TcpStream, tls: Option<&TlsSession>) -> DataStream {
        match tls {
            None => DataStream::Tcp(tcp),
            Some(session) => DataStream::Tls(Box::new(LazyTls {
                state: State::Handshaking(session.start(tcp)),
                truncated: false,
            })),
        }
    }

    /// True for a TLS data connection.
    pub fn is_tls(&self) -> bool {
        matches!(self, DataStream::Tls(_))
    }

    /// True while a TLS handshake has not finished (nothing was read or written yet, or the
    /// server has not answered).
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

/// A client TLS stream whose handshake finishes on first use.
pub struct LazyTls {
    state: State,
    /// The peer closed without `close_notify` (see [`DataStream::truncated`]).
    truncated: bool,
}

enum State {
    Handshaking(tokio_rustls::Connect<TcpStream>),
    Ready(TlsStream<TcpStream>),
    /// The handshake failed (its error was returned once) or the stream was shut down before
    /// it finished.
    Failed,
}

impl LazyTls {
    fn handshake_pending(&self) -> bool {
        matches!(self.state, State::Handshaking(_))
    }

    /// Drives the handshake to its end; the ready stream, or the handshake's error (once).
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&mut TlsStream<TcpStream>>> {
        if let State::Handshaking(connect) = &mut self.state {
            match ready!(Pin::new(connect).poll(cx)) {
                Ok(stream) => self.state = State::Ready(stream),
                Err(e) => {
                    self.state = State::Failed;
                    let text = format!("TLS handshake on the data connection failed: {e}");
                    return Poll::Ready(Err(io::Error::new(e.kind(), text)));
                }
            }
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
                    t.state = State::Failed;
                    Poll::Ready(Ok(()))
                }
            },
        }
    }
}
