//! Network-protocol numbers and the 522 protocol list (RFC 2428 §2).
//!
//! > The text portion of the response MUST indicate which network protocols the server does
//! > support. If the network protocol is unsupported, the format of the response string MUST be:
//! > `<text stating that the network protocol is unsupported> (prot1,prot2,...,protn)`
//!
//! RFC examples: `Network protocol not supported, use (1)` and `… use (1,2)`.

use super::CodecError;

/// An address-family number as used by EPRT and EPSV (`<net-prt>`): 1 = IPv4, 2 = IPv6. Open:
/// any number a client or server writes stays representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct NetPrt(pub u32);

impl NetPrt {
    pub const IPV4: NetPrt = NetPrt(1);
    pub const IPV6: NetPrt = NetPrt(2);

    /// Parses a decimal `<net-prt>`: ASCII digits only, at most 9 of them.
    pub fn parse(text: &[u8]) -> Result<NetPrt, CodecError> {
        let _ = text;
        todo!()
    }
}

impl std::fmt::Display for NetPrt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The machine-readable protocol list at the end of a 522 reply: `(1)`, `(2)`, `(1,2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolList(pub Vec<NetPrt>);

impl ProtocolList {
    /// Parses the list from the end of a 522 reply's text. The text must end with `(p1,…,pn)`
    /// (trailing spaces tolerated), the numbers comma-separated decimals, at least one, and no
    /// `(` or `)` may occur inside the list.
    pub fn from_reply_text(text: &[u8]) -> Result<ProtocolList, CodecError> {
        let _ = text;
        todo!()
    }

    /// Appends `(p1,…,pn)`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }

    pub fn contains(&self, p: NetPrt) -> bool {
        self.0.contains(&p)
    }
}
