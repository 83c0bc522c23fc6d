//! What can go wrong on a connection. Conditions a scenario expects (a refusal, a timeout that is
//! the point of the test) are values the runner interprets; these are the raw I/O facts.

use crate::proto::ReplyError;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The TCP connection could not be opened.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// Nothing (or not enough) arrived within the timeout.
    #[error("no {what} within {timeout:?}")]
    Timeout {
        what: &'static str,
        timeout: Duration,
    },
    /// The peer closed the connection.
    #[error("connection closed by the server{}", partial_note(*.pending))]
    Closed { pending: usize },
    /// Any other I/O error (reset, broken pipe).
    #[error("{context}: {source}")]
    Io {
        context: &'static str,
        source: std::io::Error,
    },
    /// The server sent a reply that breaks RFC 959 §4.2.
    #[error("{0}")]
    Malformed(#[from] ReplyError),
    /// A local socket could not be set up (binding a listener or a source address).
    #[error("cannot set up a local socket on {addr}: {source}")]
    Local {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// More data than the configured bound arrived on a data connection.
    #[error("data connection sent more than {limit} bytes")]
    TooMuchData { limit: usize },
    /// The control stream cannot send TCP urgent data (TLS, in-memory), which the Telnet
    /// Synch of an urgent ABOR needs (RFC 959 §4.1.3). Nothing was sent: a scenario that needs
    /// the Synch cannot be run over this stream, which says nothing about the server.
    #[error("this control connection cannot send TCP urgent data (the Synch of RFC 959 §4.1.3)")]
    NoUrgentData,
    /// A TLS handshake failed: the server's certificate did not verify, no common protocol
    /// version or cipher suite, or the server closed or spoke something else than TLS.
    #[error("TLS handshake {what} failed: {source}")]
    Tls {
        what: &'static str,
        source: std::io::Error,
    },
    /// `AUTH TLS` was not answered 234 (RFC 4217 §4: "If the server is willing to accept the
    /// named security mechanism [...] it must respond with reply code 234").
    #[error("the server does not offer AUTH TLS: it answered {reply} (RFC 4217 §4 wants 234)")]
    AuthTlsRefused { reply: String },
    /// Bytes arrived after the 234 and before the handshake: they are neither protected nor a
    /// reply to anything, and reading them as part of the TLS stream would let a third party
    /// inject plain text into the protected session.
    #[error("{bytes} bytes arrived in the clear after 234 and before the TLS handshake")]
    ClearBytesBeforeHandshake { bytes: usize },
    /// `AUTH TLS` on a stream that is not plain TCP (already TLS, or in-memory).
    #[error("this control connection cannot be upgraded to TLS (it is not plain TCP)")]
    NotUpgradable,
}

fn partial_note(pending: usize) -> String {
    if pending == 0 {
        String::new()
    } else {
        format!(" after {pending} bytes of an incomplete reply")
    }
}

impl SessionError {
    /// This end ran out of local ports (every one held, e.g. in TIME_WAIT): the target is not
    /// to blame, and whether it is up cannot be told from this error.
    pub fn is_local_port_shortage(&self) -> bool {
        use std::io::ErrorKind::{AddrInUse, AddrNotAvailable};
        match self {
            SessionError::Connect { source, .. } | SessionError::Local { source, .. } => {
                matches!(source.kind(), AddrNotAvailable | AddrInUse)
            }
            _ => false,
        }
    }

    /// True for a handshake that failed because the server's certificate did not verify.
    pub fn is_certificate_error(&self) -> bool {
        match self {
            SessionError::Tls { source, .. } => super::tls::is_certificate_error(source),
            _ => false,
        }
    }

    pub(crate) fn io(context: &'static str) -> impl FnOnce(std::io::Error) -> SessionError {
        move |source| SessionError::Io { context, source }
    }
}
