//! The EPRT argument (RFC 2428 §2): `<d><net-prt><d><net-addr><d><tcp-port><d>`.
//!
//! > The EPRT command keyword MUST be followed by a single space (ASCII 32). Following the space,
//! > a delimiter character (\<d>) MUST be specified. The delimiter character MUST be one of the
//! > ASCII characters in range 33-126 inclusive. The character "|" (ASCII 124) is recommended
//! > unless it coincides with a character needed to encode the network address.
//!
//! Examples: `|1|132.235.1.2|6275|`, `|2|1080::8:800:200C:417A|5282|`.
//!
//! The argument is split strictly on its first byte. A delimiter that is legal but also occurs in
//! a field (a digit, `.` for IPv4, `:` for IPv6) therefore yields too many fields and the argument
//! is malformed: the RFC itself recommends `|` "unless it coincides with a character needed to
//! encode the network address", and no reading of such an argument would be unambiguous.

use super::lex::{is_delimiter, parse_decimal, parse_port, show};
use super::{CodecError, Malformation, NetPrt};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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
    ///
    /// An unsupported net-prt is reported only when the rest is structurally sound (a non-empty
    /// address field and an all-digit port field): `|3|1.2.3.4|5282|` → `UnsupportedProtocol(3)`,
    /// but `|3||5282|` is malformed. The address is not checked further, since its syntax depends
    /// on the unknown family.
    pub fn parse(arg: &[u8]) -> Result<EprtArg, EprtError> {
        let (delimiter, [net_prt, addr, port]) = split_fields(arg).map_err(EprtError::Malformed)?;
        let net_prt = NetPrt::parse(net_prt).map_err(|e| {
            EprtError::Malformed(CodecError::new(Malformation::EprtNetPrt, e.detail))
        })?;
        let ip = match net_prt {
            NetPrt::IPV4 => parse_ipv4(addr).map(IpAddr::V4),
            NetPrt::IPV6 => parse_ipv6(addr).map(IpAddr::V6),
            other => return Err(unsupported(other, addr, port)),
        }
        .map_err(EprtError::Malformed)?;
        let port = parse_port(port).ok_or_else(|| {
            EprtError::Malformed(CodecError::new(
                Malformation::EprtPort,
                format!("EPRT port {} is not a decimal 1-65535", show(port)),
            ))
        })?;
        Ok(EprtArg::new(delimiter, SocketAddr::new(ip, port)))
    }

    /// Appends `<d><net-prt><d><addr><d><port><d>`. IPv6 is written without brackets, as RFC 2428
    /// §2 shows: `|2|1080::8:800:200C:417A|5282|`.
    ///
    /// The delimiter is written as given: one that occurs in the address or port (a digit, `.`,
    /// `:`) makes output that [`EprtArg::parse`] refuses — which is what a scenario probing that
    /// ambiguity wants.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let d = self.delimiter;
        out.push(d);
        out.extend_from_slice(self.net_prt().to_string().as_bytes());
        out.push(d);
        out.extend_from_slice(self.addr.ip().to_string().as_bytes());
        out.push(d);
        out.extend_from_slice(self.addr.port().to_string().as_bytes());
        out.push(d);
    }
}

impl std::fmt::Display for EprtArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = Vec::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// Splits `<d>f1<d>f2<d>f3<d>` into the delimiter and its three fields: exactly four delimiters,
/// the first byte being one, the last byte being one, nothing after.
fn split_fields(arg: &[u8]) -> Result<(u8, [&[u8]; 3]), CodecError> {
    let Some(&delimiter) = arg.first() else {
        return Err(CodecError::new(
            Malformation::EprtEmpty,
            "empty EPRT argument",
        ));
    };
    // RFC 2428 §2: "The delimiter character MUST be one of the ASCII characters in range 33-126
    // inclusive."
    if !is_delimiter(delimiter) {
        return Err(CodecError::new(
            Malformation::EprtDelimiter,
            format!("EPRT delimiter 0x{delimiter:02x} is outside ASCII 33-126"),
        ));
    }
    let fields: Vec<&[u8]> = arg.split(|&b| b == delimiter).collect();
    match fields.as_slice() {
        [_, net_prt, addr, port, []] => Ok((delimiter, [net_prt, addr, port])),
        _ => Err(CodecError::new(
            Malformation::EprtFields,
            format!(
                "EPRT argument {} is not <d>net-prt<d>net-addr<d>tcp-port<d>",
                show(arg)
            ),
        )),
    }
}

/// The error for a numeric net-prt other than 1 or 2: unsupported (→ 522) if the other fields
/// look like an EPRT argument, malformed (→ 501) otherwise.
fn unsupported(net_prt: NetPrt, addr: &[u8], port: &[u8]) -> EprtError {
    let port_numeric = !port.is_empty() && port.iter().all(u8::is_ascii_digit);
    if addr.is_empty() || !port_numeric {
        return EprtError::Malformed(CodecError::new(
            Malformation::EprtUnknownFamilyFields,
            format!("EPRT with net-prt {net_prt} has an empty address or a non-numeric port"),
        ));
    }
    EprtError::UnsupportedProtocol(net_prt)
}

/// RFC 2428 §2: "For the two address families specified above (AF Number 1 and 2), addresses
/// MUST be in the following format", and for AF 1 that format is "dotted decimal": four decimal
/// octets 0-255, digits only, at most three each (a leading zero reads as decimal: `010` is 10).
fn parse_ipv4(text: &[u8]) -> Result<Ipv4Addr, CodecError> {
    let octets: Vec<Option<u8>> = text
        .split(|&b| b == b'.')
        .map(|f| parse_decimal(f, 3).and_then(|n| u8::try_from(n).ok()))
        .collect();
    match octets.as_slice() {
        [Some(a), Some(b), Some(c), Some(d)] => Ok(Ipv4Addr::new(*a, *b, *c, *d)),
        _ if parse_ipv6(text).is_ok() => Err(CodecError::new(
            Malformation::EprtFamilyMismatch,
            format!("EPRT net-prt 1 with an IPv6 address {}", show(text)),
        )),
        _ => Err(CodecError::new(
            Malformation::EprtIpv4Address,
            format!("bad IPv4 address {} in EPRT", show(text)),
        )),
    }
}

/// RFC 2428 §2: for AF 2 the format is "IPv6 string representations defined in [HINDEN]" (now
/// RFC 4291 §2.2). The std
/// parser takes exactly those forms and refuses brackets and zone ids (`fe80::1%eth0`).
fn parse_ipv6(text: &[u8]) -> Result<Ipv6Addr, CodecError> {
    let parsed = std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<Ipv6Addr>().ok());
    match parsed {
        Some(ip) => Ok(ip),
        None if looks_like_ipv4(text) => Err(CodecError::new(
            Malformation::EprtFamilyMismatch,
            format!("EPRT net-prt 2 with an IPv4 address {}", show(text)),
        )),
        None => Err(CodecError::new(
            Malformation::EprtIpv6Address,
            format!("bad IPv6 address {} in EPRT", show(text)),
        )),
    }
}

/// Whether `text` looks like IPv4 at all, only to word the family-mismatch error.
fn looks_like_ipv4(text: &[u8]) -> bool {
    std::str::from_utf8(text).is_ok_and(|t| t.parse::<Ipv4Addr>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<EprtArg, EprtError> {
        EprtArg::parse(s.as_bytes())
    }

    fn encoded(a: &EprtArg) -> Vec<u8> {
        let mut out = Vec::new();
        a.encode(&mut out);
        out
    }

    fn is_malformed(r: Result<EprtArg, EprtError>) -> bool {
        matches!(r, Err(EprtError::Malformed(_)))
    }

    #[test]
    fn rfc_examples() {
        let v4 = parse("|1|132.235.1.2|6275|").unwrap();
        assert_eq!(v4.delimiter, b'|');
        assert_eq!(v4.addr, "132.235.1.2:6275".parse().unwrap());
        assert_eq!(v4.net_prt(), NetPrt::IPV4);
        let v6 = parse("|2|1080::8:800:200C:417A|5282|").unwrap();
        assert_eq!(v6.addr, "[1080::8:800:200c:417a]:5282".parse().unwrap());
        assert_eq!(v6.net_prt(), NetPrt::IPV6);
    }

    #[test]
    fn unusual_legal_delimiters() {
        for d in ["!", "#", "~", "$", "/"] {
            let arg = format!("{d}1{d}127.0.0.1{d}6446{d}");
            let parsed = parse(&arg).unwrap_or_else(|e| panic!("{arg:?}: {e}"));
            assert_eq!(parsed.delimiter, d.as_bytes()[0]);
            assert_eq!(parsed.addr, "127.0.0.1:6446".parse().unwrap());
        }
        assert!(parse("!2!::1!6446!").is_ok());
    }

    #[test]
    fn delimiter_outside_33_126_is_malformed() {
        for d in [b' ', 0x7f, 0x00, 0x80, 0xff, b'\t'] {
            let mut arg = vec![d];
            arg.extend_from_slice(b"1");
            arg.push(d);
            arg.extend_from_slice(b"127.0.0.1");
            arg.push(d);
            arg.extend_from_slice(b"6446");
            arg.push(d);
            assert!(
                is_malformed(EprtArg::parse(&arg)),
                "delimiter 0x{d:02x} accepted"
            );
        }
    }

    #[test]
    fn structural_errors_are_malformed() {
        for bad in [
            "",
            "|",
            "|1|132.235.1.2|6275",
            "|1|132.235.1.2|6275|x",
            "|1|132.235.1.2|6275||",
            "|1|132.235.1.2|6275|1|",
            "|1|1.2.3.4!5282|",
            "!1|1.2.3.4|5282!",
            "|1|132.235.1.2|",
            "||132.235.1.2|6275|",
            "|x|132.235.1.2|6275|",
            "|+1|132.235.1.2|6275|",
            "| 1|132.235.1.2|6275|",
            "|1||6275|",
            " |1|132.235.1.2|6275|",
            ".1.1.2.3.4.5282.",
        ] {
            assert!(is_malformed(parse(bad)), "{bad:?} accepted");
        }
    }

    #[test]
    fn bad_ipv4_addresses_are_malformed() {
        for addr in [
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "host.example",
            "+1.2.3.4",
            "1.2.3.0004",
            "1..3.4",
            "1.2.3.4 ",
            "::1",
            "1080::8:800:200C:417A",
        ] {
            let arg = format!("|1|{addr}|6275|");
            assert!(is_malformed(parse(&arg)), "{arg:?} accepted");
        }
        assert_eq!(
            parse("|1|010.0.0.1|21|").unwrap().addr,
            "10.0.0.1:21".parse().unwrap()
        );
    }

    #[test]
    fn bad_ipv6_addresses_are_malformed() {
        for addr in [
            "127.0.0.1",
            "[::1]",
            "fe80::1%eth0",
            "fe80::1%1",
            "1:2:3",
            "::g",
            "",
        ] {
            let arg = format!("|2|{addr}|6275|");
            assert!(is_malformed(parse(&arg)), "{arg:?} accepted");
        }
        // Non-UTF-8 bytes in the address are malformed, not a panic.
        assert!(is_malformed(EprtArg::parse(b"|2|::\xff|6275|")));
    }

    #[test]
    fn family_mismatch_is_reported_as_such() {
        let Err(EprtError::Malformed(e)) = parse("|1|::1|6275|") else {
            panic!()
        };
        assert!(e.detail.contains("IPv6"), "{e}");
        assert_eq!(e.kind, Malformation::EprtFamilyMismatch);
        let Err(EprtError::Malformed(e)) = parse("|2|127.0.0.1|6275|") else {
            panic!()
        };
        assert!(e.detail.contains("IPv4"), "{e}");
        assert_eq!(e.kind, Malformation::EprtFamilyMismatch);
    }

    #[test]
    fn each_malformation_has_its_kind() {
        let kind = |arg: &str| match parse(arg) {
            Err(EprtError::Malformed(e)) => Some(e.kind),
            _ => None,
        };
        assert_eq!(kind(""), Some(Malformation::EprtEmpty));
        assert_eq!(
            kind("\x7f1\x7f127.0.0.1\x7f5\x7f"),
            Some(Malformation::EprtDelimiter)
        );
        assert_eq!(kind("|1|127.0.0.1!5|"), Some(Malformation::EprtFields));
        assert_eq!(kind(" 1 127.0.0.1 5 "), Some(Malformation::EprtDelimiter));
        assert_eq!(kind("|1|127.0.0.1|5"), Some(Malformation::EprtFields));
        assert_eq!(kind("|x|127.0.0.1|5|"), Some(Malformation::EprtNetPrt));
        assert_eq!(kind("|3||5|"), Some(Malformation::EprtUnknownFamilyFields));
        assert_eq!(kind("|1|256.1.1.1|5|"), Some(Malformation::EprtIpv4Address));
        assert_eq!(kind("|2|::g|5|"), Some(Malformation::EprtIpv6Address));
        assert_eq!(kind("|1|127.0.0.1|0|"), Some(Malformation::EprtPort));
        assert_eq!(kind("|1|127.0.0.1|5|"), None);
        // Every kind quotes the RFC it comes from.
        for k in [Malformation::EprtDelimiter, Malformation::EprtPort] {
            assert!(k.rule().starts_with("RFC 2428 §2"), "{}", k.rule());
        }
    }

    #[test]
    fn bad_ports_are_malformed() {
        for port in [
            "0", "65536", "99999", "-1", "+80", "abc", "", "100000", "80 ", "0x50",
        ] {
            let arg = format!("|1|127.0.0.1|{port}|");
            assert!(is_malformed(parse(&arg)), "{arg:?} accepted");
        }
        assert_eq!(parse("|1|127.0.0.1|65535|").unwrap().addr.port(), 65535);
        assert_eq!(parse("|1|127.0.0.1|1|").unwrap().addr.port(), 1);
    }

    #[test]
    fn unsupported_protocol_only_when_well_formed() {
        assert_eq!(
            parse("|3|1.2.3.4|5282|"),
            Err(EprtError::UnsupportedProtocol(NetPrt(3)))
        );
        assert_eq!(
            parse("|0|x|1|"),
            Err(EprtError::UnsupportedProtocol(NetPrt(0)))
        );
        assert_eq!(
            parse("#99#anything#80#"),
            Err(EprtError::UnsupportedProtocol(NetPrt(99)))
        );
        assert!(is_malformed(parse("|3||5282|")));
        assert!(is_malformed(parse("|3|1.2.3.4|abc|")));
        assert!(is_malformed(parse("|3|1.2.3.4||")));
        assert!(is_malformed(parse("|3|1.2.3.4|5282")));
        assert!(is_malformed(parse("|3|1.2.3.4|5282|x")));
    }

    #[test]
    fn encodes_wire_form() {
        let v4 = EprtArg::new(b'|', "132.235.1.2:6275".parse().unwrap());
        assert_eq!(encoded(&v4), b"|1|132.235.1.2|6275|");
        assert_eq!(v4.to_string(), "|1|132.235.1.2|6275|");
        let v6 = EprtArg::new(b'!', "[::1]:6446".parse().unwrap());
        assert_eq!(encoded(&v6), b"!2!::1!6446!");
    }

    #[test]
    fn round_trip_encode_parse() {
        let addrs = [
            "127.0.0.1:1",
            "132.235.1.2:6275",
            "255.255.255.255:65535",
            "0.0.0.0:21",
            "[::1]:6446",
            "[1080::8:800:200c:417a]:5282",
            "[::ffff:1.2.3.4]:80",
            "[2001:db8:0:0:1:0:0:1]:65535",
        ];
        for d in [b'|', b'!', b'#', b'~', b'$'] {
            for a in addrs {
                let arg = EprtArg::new(d, a.parse().unwrap());
                assert_eq!(
                    EprtArg::parse(&encoded(&arg)),
                    Ok(arg),
                    "{a} with {}",
                    d as char
                );
            }
        }
    }
}
