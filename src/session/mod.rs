//! tokio: the control connection, data connections, transcripts, ABOR with urgent data.
//!
//! The control connection runs over any [`ControlStream`] (TCP, TLS, an in-memory duplex);
//! [`tls`] is the client side of FTPS (RFC 4217);
//! urgent data is a capability only TCP offers ([`UrgentData`]).
//!
//! Every read is under a timeout, every buffer is bounded, and data connections go only to the
//! control connection's peer address: a 227 or 229 that names another host is never followed.

pub mod control;
pub mod data;
pub mod data_stream;
pub mod error;
pub mod recorder;
pub mod stream;
pub mod tls;
#[cfg(test)]
mod tls_tests;
pub mod transcript;

pub use control::ControlConnection;
pub use data::{DataListener, connect_data};
pub use data_stream::DataStream;
pub use error::SessionError;
pub use recorder::Recorder;
pub use stream::{ControlStream, UrgentData};
pub use tls::{TlsClient, TlsInfo, TlsSession, Trust};
