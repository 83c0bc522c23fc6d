//! tokio: the control connection, data connections, transcripts, ABOR with urgent data.

pub mod transcript;
