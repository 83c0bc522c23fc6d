//! Network-protocol numbers and the 522 protocol list (RFC 2428 §2).
//!
//! > The text portion of the response MUST indicate which network protocols the server does
//! > support. If the network protocol is unsupported, the format of the response string MUST be:
//! > `<text stating that the network protocol is unsupported> (prot1,prot2,...,protn)`
//!
//! RFC examples: `Network protocol not supported, use (1)` and `… use (1,2)`.

use super::lex::{parse_decimal, show};
use super::{CodecError, Malformation};

/// At most this many digits in a `<net-prt>`: nine always fit a `u32`.
const MAX_NETPRT_DIGITS: usize = 9;

/// An address-family number as used by EPRT and EPSV (`<net-prt>`): 1 = IPv4, 2 = IPv6. Open:
/// any number a client or server writes stays representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NetPrt(pub u32);

impl NetPrt {
    pub const IPV4: NetPrt = NetPrt(1);
    pub const IPV6: NetPrt = NetPrt(2);

    /// Parses a decimal `<net-prt>`: ASCII digits only, at most 9 of them.
    ///
    /// RFC 2428 §2: "The network protocol MUST be specified as an address family number" — a
    /// plain decimal, so no sign, no spaces, no hex. Nine digits always fit a `u32`, which keeps
    /// any number a peer writes representable without overflow handling.
    pub fn parse(text: &[u8]) -> Result<NetPrt, CodecError> {
        parse_decimal(text, MAX_NETPRT_DIGITS)
            .map(NetPrt)
            .ok_or_else(|| {
                CodecError::new(
                    Malformation::NetPrtNumber,
                    format!("bad network protocol number {}", show(text)),
                )
            })
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
    ///
    /// RFC 2428 §2: "the format of the response string MUST be: \<text stating that the network
    /// protocol is unsupported> (prot1,prot2,...,protn)". The list is strict: no spaces inside
    /// (the RFC example is `(1,2)`), no empty entries.
    pub fn from_reply_text(text: &[u8]) -> Result<ProtocolList, CodecError> {
        let text = trim_trailing_blanks(text);
        let Some((&b')', before)) = text.split_last() else {
            return Err(CodecError::new(
                Malformation::ProtocolListMissing,
                "522 text does not end with a protocol list `(…)`",
            ));
        };
        let Some(open) = before.iter().rposition(|&b| b == b'(') else {
            return Err(CodecError::new(
                Malformation::ProtocolListMissing,
                "522 text has `)` but no `(` before it",
            ));
        };
        let content = &before[open + 1..];
        if content.is_empty() {
            return Err(CodecError::new(
                Malformation::ProtocolListEntries,
                "522 protocol list is empty",
            ));
        }
        content
            .split(|&b| b == b',')
            .map(NetPrt::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(ProtocolList)
            .map_err(|e| {
                CodecError::new(
                    Malformation::ProtocolListEntries,
                    format!("522 protocol list: {e}"),
                )
            })
    }

    /// Appends `(p1,…,pn)`. An empty list encodes as `()`, which [`Self::from_reply_text`]
    /// refuses on purpose: a 522 must name at least one protocol.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'(');
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(p.to_string().as_bytes());
        }
        out.push(b')');
    }

    pub fn contains(&self, p: NetPrt) -> bool {
        self.0.contains(&p)
    }
}

/// Drops trailing SP and TAB (servers sometimes pad the end of a reply line).
fn trim_trailing_blanks(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |i| i + 1);
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> Result<ProtocolList, CodecError> {
        ProtocolList::from_reply_text(text.as_bytes())
    }

    fn encoded(l: &ProtocolList) -> Vec<u8> {
        let mut out = Vec::new();
        l.encode(&mut out);
        out
    }

    #[test]
    fn netprt_parses_plain_decimals() {
        assert_eq!(NetPrt::parse(b"1"), Ok(NetPrt::IPV4));
        assert_eq!(NetPrt::parse(b"2"), Ok(NetPrt::IPV6));
        assert_eq!(NetPrt::parse(b"0"), Ok(NetPrt(0)));
        assert_eq!(NetPrt::parse(b"007"), Ok(NetPrt(7)));
        assert_eq!(NetPrt::parse(b"999999999"), Ok(NetPrt(999_999_999)));
    }

    #[test]
    fn netprt_refuses_anything_else() {
        for bad in [
            &b""[..],
            b"+1",
            b"-1",
            b" 1",
            b"1 ",
            b"0x1",
            b"a",
            b"1a",
            b"1000000000",
            b"\xff",
        ] {
            assert!(
                NetPrt::parse(bad).is_err(),
                "{:?} accepted",
                bad.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn rfc_examples() {
        let one = list("Network protocol not supported, use (1)").unwrap();
        assert_eq!(one, ProtocolList(vec![NetPrt::IPV4]));
        assert!(one.contains(NetPrt::IPV4));
        assert!(!one.contains(NetPrt::IPV6));
        let both = list("Network protocol not supported, use (1,2)").unwrap();
        assert_eq!(both, ProtocolList(vec![NetPrt::IPV4, NetPrt::IPV6]));
        assert!(both.contains(NetPrt::IPV6));
    }

    #[test]
    fn trailing_blanks_tolerated_and_last_paren_group_wins() {
        assert_eq!(list("use (1,2)  \t").unwrap().0.len(), 2);
        // Parentheses earlier in the human text do not matter: the list is the last group.
        assert_eq!(
            list("unsupported (see docs), use (2)").unwrap(),
            ProtocolList(vec![NetPrt(2)])
        );
        assert_eq!(list("(1)").unwrap(), ProtocolList(vec![NetPrt(1)]));
    }

    #[test]
    fn malformed_lists_refused() {
        for bad in [
            "Network protocol not supported",
            "use ()",
            "use (1,)",
            "use (,1)",
            "use (1,,2)",
            "use (a)",
            "use (1) trailing",
            "use (1, 2)",
            "use ( 1)",
            "use 1)",
            "use (1)2)",
            "use (-1)",
            "",
            ")",
        ] {
            assert!(list(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn encode_matches_rfc_form() {
        assert_eq!(encoded(&ProtocolList(vec![NetPrt(1)])), b"(1)");
        assert_eq!(encoded(&ProtocolList(vec![NetPrt(1), NetPrt(2)])), b"(1,2)");
        assert_eq!(encoded(&ProtocolList(vec![])), b"()");
    }

    #[test]
    fn round_trip() {
        let cases = [
            vec![NetPrt(1)],
            vec![NetPrt(2)],
            vec![NetPrt(1), NetPrt(2)],
            vec![NetPrt(0), NetPrt(999_999_999), NetPrt(42)],
        ];
        for protos in cases {
            let l = ProtocolList(protos);
            let mut text = b"Network protocol not supported, use ".to_vec();
            l.encode(&mut text);
            assert_eq!(ProtocolList::from_reply_text(&text), Ok(l));
        }
    }
}
