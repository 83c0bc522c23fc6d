//! EPSV (RFC 2428 §3): its argument, and the 229 reply.
//!
//! > The response to this command includes only the TCP port number of the listening connection.
//! > The format of the response, however, is similar to the argument of the EPRT command. … The
//! > text returned in response to the EPSV command MUST be:
//! > `<text indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)`
//!
//! Example: `229 Entering Extended Passive Mode (|||6446|)`.

use super::{CodecError, NetPrt};

/// The argument of EPSV: none, `ALL`, or a network protocol number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpsvArg {
    /// `EPSV`: the server picks the protocol of the control connection.
    Default,
    /// `EPSV ALL` (case-insensitive, RFC 959 §5.3): lock the session to EPSV.
    All,
    /// `EPSV <net-prt>`.
    Proto(NetPrt),
}

impl EpsvArg {
    /// Parses the bytes after `EPSV` (already stripped of the single SP): empty → Default,
    /// `ALL` in any case → All, decimal → Proto; anything else is an error (→ 500/501).
    pub fn parse(arg: &[u8]) -> Result<EpsvArg, CodecError> {
        let _ = arg;
        todo!()
    }
}

/// The machine-readable part of a 229 reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpsvReply {
    pub delimiter: u8,
    pub port: u16,
    /// True when text follows the closing `)`. Not forbidden, but it breaks strict clients
    /// (REQUIREMENTS item 5: a WARN at most).
    pub trailing_text: bool,
}

impl EpsvReply {
    pub fn new(delimiter: u8, port: u16) -> EpsvReply {
        EpsvReply { delimiter, port, trailing_text: false }
    }

    /// Parses the text of a 229 reply: finds the first `(`, then requires exactly
    /// `<d><d><d><port><d>)` with all four delimiters equal, the delimiter in ASCII 33–126,
    /// the first two fields empty and the port decimal 1–65535.
    pub fn from_reply_text(text: &[u8]) -> Result<EpsvReply, CodecError> {
        let _ = text;
        todo!()
    }

    /// Appends `(<d><d><d><port><d>)`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }
}
