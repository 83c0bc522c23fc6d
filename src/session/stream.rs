//! What a control connection runs over: any async byte stream — TCP, TLS (RFC 4217), an
//! in-memory `tokio::io::duplex` in tests — and, where the stream has it, TCP urgent data.
//!
//! The reply reader in [`super::control`] only reads and writes bytes, so it does not care which
//! stream it has. Urgent data is different: the Telnet Synch of ABOR (RFC 959 §4.1.3, RFC 854)
//! sends its Data Mark as TCP urgent data, outside the byte stream, which only a plain TCP socket
//! can do. It is a capability a stream may offer ([`ControlStream::urgent`]), not something every
//! stream pretends to have: over TLS the urgent byte would bypass the record layer, and an
//! in-memory stream has no urgent channel at all.
//!
//! A new stream type needs one line here, `impl ControlStream for ItsType {}` (no urgent data),
//! and nothing in the reader. Only plain TCP can be upgraded by `AUTH TLS` ([`ControlStream::into_tcp`]).

use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::net::TcpStream;

/// A byte stream that can carry a control connection.
///
/// `Send + Sync + 'static` because a [`super::ControlConnection`] lives in scenario tasks that
/// tokio may move between threads, and a `&ScenarioRun` (or the fuzzer's `&Exec`) holding one
/// is kept across awaits.
pub trait ControlStream: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static {
    /// The stream's way to send TCP urgent data, if it has one. `None` (the default) makes
    /// [`super::ControlConnection::send_urgent_abort`] fail with
    /// [`super::SessionError::NoUrgentData`] before it sends anything.
    fn urgent(&self) -> Option<&dyn UrgentData> {
        None
    }

    /// The plain TCP stream inside, for `AUTH TLS` to negotiate TLS over it
    /// ([`super::ControlConnection::start_tls`]); `None` (the default) for any other stream,
    /// which cannot be upgraded.
    fn into_tcp(self: Box<Self>) -> Option<TcpStream> {
        None
    }
}

/// Sending bytes as TCP urgent data (RFC 793 §3.7 "urgent", RFC 1122 §4.2.2.4): the Synch's DM.
pub trait UrgentData {
    /// Sends `bytes` with the urgent pointer set (`send(2)` with `MSG_OOB`); the number sent.
    fn send_urgent(&self, bytes: &[u8]) -> std::io::Result<usize>;
}

impl UrgentData for TcpStream {
    fn send_urgent(&self, bytes: &[u8]) -> std::io::Result<usize> {
        socket2::SockRef::from(self).send_out_of_band(bytes)
    }
}

impl ControlStream for TcpStream {
    fn urgent(&self) -> Option<&dyn UrgentData> {
        Some(self)
    }

    fn into_tcp(self: Box<Self>) -> Option<TcpStream> {
        Some(*self)
    }
}

/// TLS (RFC 4217): no urgent data. The Synch's urgent byte would travel outside the TLS
/// records, in the clear and unauthenticated, so a protected control connection cannot carry it.
impl ControlStream for tokio_rustls::client::TlsStream<TcpStream> {}

/// In-memory peers (tests, the in-process fuzz driver): no urgent data.
impl ControlStream for DuplexStream {}

/// What a control connection holds while its TCP stream is away being upgraded to TLS, and
/// after an upgrade failed: every read and write fails.
pub(super) struct Detached;

impl ControlStream for Detached {}

fn detached() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "the control connection was lost in a failed TLS negotiation",
    )
}

impl AsyncRead for Detached {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Err(detached()))
    }
}

impl AsyncWrite for Detached {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Err(detached()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
