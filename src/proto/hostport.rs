//! `<host-port> ::= h1,h2,h3,h4,p1,p2` — the argument of PORT and the address in a 227 reply
//! (RFC 959 §4.1.2, §5.3.2).

use super::lex::{parse_decimal, show};
use super::{CodecError, Malformation};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Six numbers: four for the address, two for the port (high byte first).
const FIELDS: usize = 6;
/// Each number is a byte, so at most three decimal digits.
const MAX_DIGITS: usize = 3;

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
    ///
    /// > `<host-port> ::= <host-number>,<port-number>`, `<host-number> ::= <number>,<number>,
    /// > <number>,<number>`, `<port-number> ::= <number>,<number>`, `<number> ::= any decimal
    /// > integer 1 through 255` (RFC 959 §5.3.2; 0 is accepted too, as every server sends it).
    pub fn parse(arg: &[u8]) -> Result<HostPort, CodecError> {
        let fields: Vec<&[u8]> = arg.split(|&b| b == b',').collect();
        if fields.len() != FIELDS {
            return Err(CodecError::new(
                Malformation::HostPortFields,
                format!(
                    "host-port needs six comma-separated numbers, got {} in {}",
                    fields.len(),
                    show(arg)
                ),
            ));
        }
        let mut bytes = [0u8; FIELDS];
        for (slot, field) in bytes.iter_mut().zip(fields) {
            *slot = parse_byte(field).ok_or_else(|| {
                CodecError::new(
                    Malformation::HostPortNumber,
                    format!("bad host-port number in {}", show(arg)),
                )
            })?;
        }
        Ok(HostPort::from_bytes(bytes))
    }

    /// Finds the host-port in the text of a 227 reply. RFC 1123 §4.1.2.6: the parentheses are not
    /// guaranteed, so scan for the first digit, then read six numbers 0–255 separated by commas.
    /// Fewer than six numbers, or a number above 255, is an error.
    ///
    /// > The format of the 227 reply to a PASV command is not well standardized. In particular, a
    /// > server may not include the parentheses (RFC 1123 §4.1.2.6).
    ///
    /// Reading stops after the sixth number, so `(127,0,0,1,4,1).` and `127,0,0,1,4,1` both parse.
    pub fn from_227_text(text: &[u8]) -> Result<HostPort, CodecError> {
        let start = text.iter().position(u8::is_ascii_digit).ok_or_else(|| {
            CodecError::new(
                Malformation::PasvReplyFields,
                format!("no host-port in 227 text {}", show(text)),
            )
        })?;
        let mut rest = &text[start..];
        let mut bytes = [0u8; FIELDS];
        for (i, slot) in bytes.iter_mut().enumerate() {
            if i > 0 {
                rest = rest.strip_prefix(b",").ok_or_else(|| {
                    CodecError::new(
                        Malformation::PasvReplyFields,
                        format!("227 host-port has {i} numbers, not six: {}", show(text)),
                    )
                })?;
            }
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            *slot = parse_byte(&rest[..digits]).ok_or_else(|| {
                CodecError::new(
                    Malformation::PasvReplyNumber,
                    format!("bad number in 227 host-port {}", show(text)),
                )
            })?;
            rest = &rest[digits..];
        }
        Ok(HostPort::from_bytes(bytes))
    }

    /// Appends `h1,h2,h3,h4,p1,p2`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_string().as_bytes());
    }

    /// The six wire numbers: four address octets, then the port's high and low bytes.
    fn from_bytes([a, b, c, d, hi, lo]: [u8; FIELDS]) -> HostPort {
        HostPort::new(Ipv4Addr::new(a, b, c, d), u16::from_be_bytes([hi, lo]))
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = self.ip.octets();
        write!(f, "{a},{b},{c},{d},{},{}", self.port >> 8, self.port & 0xff)
    }
}

/// One `<number>` of a host-port: 1–3 ASCII digits, value 0–255.
fn parse_byte(field: &[u8]) -> Option<u8> {
    parse_decimal(field, MAX_DIGITS).and_then(|n| u8::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(a: u8, b: u8, c: u8, d: u8, port: u16) -> HostPort {
        HostPort::new(Ipv4Addr::new(a, b, c, d), port)
    }

    fn encoded(h: &HostPort) -> Vec<u8> {
        let mut out = Vec::new();
        h.encode(&mut out);
        out
    }

    #[test]
    fn parses_port_argument() {
        assert_eq!(
            HostPort::parse(b"127,0,0,1,4,1"),
            Ok(hp(127, 0, 0, 1, 1025))
        );
        assert_eq!(
            HostPort::parse(b"132,235,1,2,24,131"),
            Ok(hp(132, 235, 1, 2, 6275))
        );
        assert_eq!(HostPort::parse(b"0,0,0,0,0,0"), Ok(hp(0, 0, 0, 0, 0)));
        assert_eq!(
            HostPort::parse(b"255,255,255,255,255,255"),
            Ok(hp(255, 255, 255, 255, 65535))
        );
        assert_eq!(HostPort::parse(b"010,0,0,1,0,21"), Ok(hp(10, 0, 0, 1, 21)));
        let addr = HostPort::parse(b"127,0,0,1,4,1").unwrap().socket_addr();
        assert_eq!(addr.to_string(), "127.0.0.1:1025");
    }

    #[test]
    fn parse_is_strict() {
        for bad in [
            "",
            "127,0,0,1,4",
            "127,0,0,1,4,1,9",
            "127,0,0,1,4,256",
            "256,0,0,1,4,1",
            "127,0,0,1,4,0001",
            "127,0,0,1,4,",
            ",127,0,0,1,4",
            "127,,0,0,1,4,1",
            "127, 0,0,1,4,1",
            " 127,0,0,1,4,1",
            "127,0,0,1,4,1 ",
            "(127,0,0,1,4,1)",
            "127,0,0,1,4,1\r\n",
            "127,0,0,+1,4,1",
            "127,0,0,-1,4,1",
            "127.0.0.1,4,1",
            "a,b,c,d,e,f",
        ] {
            assert!(HostPort::parse(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn finds_host_port_in_227_text() {
        let want = hp(127, 0, 0, 1, 1025);
        for text in [
            "Entering Passive Mode (127,0,0,1,4,1)",
            "Entering Passive Mode (127,0,0,1,4,1).",
            "Entering Passive Mode 127,0,0,1,4,1",
            "=127,0,0,1,4,1",
            "127,0,0,1,4,1",
            "(127,0,0,1,4,1) and more text 9,9",
        ] {
            assert_eq!(
                HostPort::from_227_text(text.as_bytes()),
                Ok(want),
                "{text:?}"
            );
        }
    }

    #[test]
    fn bad_227_text_refused() {
        for bad in [
            "Entering Passive Mode",
            "Entering Passive Mode ()",
            "Entering Passive Mode (127,0,0,1,4)",
            "Entering Passive Mode (127,0,0,1,4,)",
            "Entering Passive Mode (127,0,0,1,4,256)",
            "Entering Passive Mode (300,0,0,1,4,1)",
            "Entering Passive Mode (127,0,0,1,4,1000)",
            "Entering Passive Mode (127, 0, 0, 1, 4, 1)",
            "Entering Passive Mode (127.0.0.1:1025)",
        ] {
            assert!(
                HostPort::from_227_text(bad.as_bytes()).is_err(),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn encodes_six_numbers() {
        assert_eq!(encoded(&hp(127, 0, 0, 1, 1025)), b"127,0,0,1,4,1");
        assert_eq!(encoded(&hp(0, 0, 0, 0, 0)), b"0,0,0,0,0,0");
        assert_eq!(hp(10, 1, 2, 3, 65535).to_string(), "10,1,2,3,255,255");
    }

    #[test]
    fn round_trip_encode_parse() {
        // A deterministic spread: a multiplicative walk over the address and port spaces.
        for i in 0u32..500 {
            let ip = Ipv4Addr::from(i.wrapping_mul(2_654_435_761));
            let port = (i.wrapping_mul(40_503) & 0xffff) as u16;
            let h = HostPort::new(ip, port);
            let wire = encoded(&h);
            assert_eq!(HostPort::parse(&wire), Ok(h));
            let mut reply = b"Entering Passive Mode (".to_vec();
            reply.extend_from_slice(&wire);
            reply.extend_from_slice(b").");
            assert_eq!(HostPort::from_227_text(&reply), Ok(h));
        }
    }
}
