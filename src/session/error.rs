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

    pub(crate) fn io(context: &'static str) -> impl FnOnce(std::io::Error) -> SessionError {
        move |source| SessionError::Io { context, source }
    }
}
