//! What a control connection runs over: any async byte stream — TCP today, TLS (RFC 4217) next,
//! an in-memory `tokio::io::duplex` in tests — and, where the stream has it, TCP urgent data.
//!
//! The reply reader in [`super::control`] only reads and writes bytes, so it does not care which
//! stream it has. Urgent data is different: the Telnet Synch of ABOR (RFC 959 §4.1.3, RFC 854)
//! sends its Data Mark as TCP urgent data, outside the byte stream, which only a plain TCP socket
//! can do. It is a capability a stream may offer ([`ControlStream::urgent`]), not something every
//! stream pretends to have: over TLS the urgent byte would bypass the record layer, and an
//! in-memory stream has no urgent channel at all.
//!
//! A new stream type needs one line here, `impl ControlStream for ItsType {}` (no urgent data),
//! and nothing in the reader.

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
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
}

/// In-memory peers (tests, the in-process fuzz driver): no urgent data.
impl ControlStream for DuplexStream {}
