//! tokio: the control connection, data connections, transcripts, ABOR with urgent data.
//!
//! The control connection runs over any [`ControlStream`] (TCP, TLS, an in-memory duplex);
//! urgent data is a capability only TCP offers ([`UrgentData`]).
//!
//! Every read is under a timeout, every buffer is bounded, and data connections go only to the
//! control connection's peer address: a 227 or 229 that names another host is never followed.

pub mod control;
pub mod data;
pub mod error;
pub mod recorder;
pub mod stream;
pub mod transcript;

pub use control::ControlConnection;
pub use data::{DataListener, connect_data};
pub use error::SessionError;
pub use recorder::Recorder;
pub use stream::{ControlStream, UrgentData};
