//! The EPRT argument (RFC 2428 §2): `<d><net-prt><d><net-addr><d><tcp-port><d>`.
//!
//! > The EPRT command keyword MUST be followed by a single space (ASCII 32). Following the space,
//! > a delimiter character (<d>) MUST be specified. The delimiter character MUST be one of the
//! > ASCII characters in range 33-126 inclusive. The character "|" (ASCII 124) is recommended
//! > unless it coincides with a character needed to encode the network address.
//!
//! Examples: `|1|132.235.1.2|6275|`, `|2|1080::8:800:200C:417A|5282|`.

use super::{CodecError, NetPrt};
use std::net::{IpAddr, SocketAddr};

/// A well-formed EPRT argument for a supported family (1 = IPv4, 2 = IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EprtArg {
    /// The delimiter, ASCII 33–126.
    pub delimiter: u8,
    pub addr: SocketAddr,
}

/// Why an EPRT argument was refused. The distinction matters on the wire: an unsupported
/// protocol is 522 (RFC 2428 §2), anything else malformed is 500/501.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EprtError {
    /// Well-formed delimiters and a numeric net-prt that is neither 1 nor 2.
    #[error("unsupported network protocol {0}")]
    UnsupportedProtocol(NetPrt),
    /// Anything else: bad delimiter, missing fields, bad address or port, family mismatch.
    #[error("malformed EPRT argument: {0}")]
    Malformed(CodecError),
}

impl EprtArg {
    pub fn new(delimiter: u8, addr: SocketAddr) -> EprtArg {
        EprtArg { delimiter, addr }
    }

    /// The family number of the address: 1 for IPv4, 2 for IPv6.
    pub fn net_prt(&self) -> NetPrt {
        match self.addr.ip() {
            IpAddr::V4(_) => NetPrt::IPV4,
            IpAddr::V6(_) => NetPrt::IPV6,
        }
    }

    /// Parses the argument (the bytes after `EPRT `), strictly: the first byte is the delimiter
    /// and must be ASCII 33–126; exactly four delimiters split three fields; net-prt is decimal;
    /// for 1 the address is dotted-quad IPv4, for 2 IPv6 text (RFC 4291 §2.2); the port is
    /// decimal 1–65535, digits only; nothing follows the closing delimiter. A numeric net-prt
    /// other than 1 or 2 with well-formed delimiters is [`EprtError::UnsupportedProtocol`].
    pub fn parse(arg: &[u8]) -> Result<EprtArg, EprtError> {
        let _ = arg;
        todo!()
    }

    /// Appends `<d><net-prt><d><addr><d><port><d>`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }
}

impl std::fmt::Display for EprtArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = Vec::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}
