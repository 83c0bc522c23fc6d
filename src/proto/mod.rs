//! Sans-IO FTP wire formats: no sockets, no async, no clock — pure functions over bytes.
//!
//! Everything a server sends is parsed here, and everything ftpspec sends is encoded here, so
//! that the codecs can be unit-tested and fuzzed in isolation (see `fuzz/`).
//!
//! - [`code`]: [`ReplyCode`], an open newtype over any three-digit code.
//! - [`reply`]: the incremental reply parser (RFC 959 §4.2), bounded in line length and count
//!   (the parser itself lives in the private `reply_parse`).
//! - [`command`]: typed commands (no CR/LF in arguments) and raw lines (any bytes, on purpose).
//! - [`hostport`]: `h1,h2,h3,h4,p1,p2` of PORT and the 227 reply (RFC 959 §4.1.2, §5.3.2).
//! - [`eprt`]: the EPRT argument `<d><net-prt><d><net-addr><d><tcp-port><d>` (RFC 2428 §2).
//! - [`epsv`]: the EPSV argument and the 229 reply `(<d><d><d><port><d>)` (RFC 2428 §3).
//! - [`netprt`]: network-protocol numbers and the 522 protocol list `(1,2)` (RFC 2428 §2).
//! - [`telnet`]: the Telnet bytes of the ABOR "special action" (RFC 959 §4.1.3).
//! - [`security`]: the TLS mode, AUTH mechanisms, PBSZ and PROT (RFC 2228, RFC 4217).
//!
//! Private helpers: `lex` (strict decimals, ports, delimiters, bounded display of peer bytes).

pub mod code;
mod codec_error;
pub mod command;
pub mod eprt;
pub mod epsv;
mod escape;
pub mod hostport;
mod lex;
pub mod netprt;
#[cfg(test)]
mod properties;
pub mod reply;
mod reply_parse;
pub mod security;
pub mod telnet;

pub use code::ReplyCode;
pub use command::{Command, CommandError, RawLine};
pub use eprt::{EprtArg, EprtError};
pub use epsv::{EpsvArg, EpsvReply};
pub use escape::escape_bytes;
pub use hostport::HostPort;
pub use netprt::{NetPrt, ProtocolList};
pub use reply::{Limits, Reply, ReplyError, ReplyErrorKind, parse_reply};
pub use security::{ProtLevel, TlsMode};

pub use codec_error::{CodecError, Malformation};
