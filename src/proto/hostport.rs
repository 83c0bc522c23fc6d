//! `<host-port> ::= h1,h2,h3,h4,p1,p2` — the argument of PORT and the address in a 227 reply
//! (RFC 959 §4.1.2, §5.3.2).

use super::CodecError;
use std::net::{Ipv4Addr, SocketAddrV4};

/// An IPv4 address and port as six comma-separated decimal numbers 0–255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub ip: Ipv4Addr,
    pub port: u16,
}

impl HostPort {
    pub fn new(ip: Ipv4Addr, port: u16) -> HostPort {
        HostPort { ip, port }
    }

    pub fn socket_addr(self) -> SocketAddrV4 {
        SocketAddrV4::new(self.ip, self.port)
    }

    /// Parses exactly `h1,h2,h3,h4,p1,p2` (the PORT argument): six numbers 0–255, ASCII digits
    /// only, no spaces, nothing before or after. RFC 959 §5.3.2.
    pub fn parse(arg: &[u8]) -> Result<HostPort, CodecError> {
        let _ = arg;
        todo!()
    }

    /// Finds the host-port in the text of a 227 reply. RFC 1123 §4.1.2.6: the parentheses are not
    /// guaranteed, so scan for the first digit, then read six numbers 0–255 separated by commas.
    /// Fewer than six numbers, or a number above 255, is an error.
    pub fn from_227_text(text: &[u8]) -> Result<HostPort, CodecError> {
        let _ = text;
        todo!()
    }

    /// Appends `h1,h2,h3,h4,p1,p2`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = self.ip.octets();
        write!(f, "{a},{b},{c},{d},{},{}", self.port >> 8, self.port & 0xff)
    }
}
