//! EPSV (RFC 2428 §3): its argument, and the 229 reply.
//!
//! > The response to this command includes only the TCP port number of the listening connection.
//! > The format of the response, however, is similar to the argument of the EPRT command. … The
//! > text returned in response to the EPSV command MUST be:
//! > `<text indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)`
//!
//! Example: `229 Entering Extended Passive Mode (|||6446|)`.

use super::lex::{is_delimiter, parse_port, show};
use super::{CodecError, Malformation, NetPrt};

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
    ///
    /// RFC 2428 §3: "The EPSV command takes an optional argument", either `<net-prt>` ("EPSV\<space>
    /// \<net-prt>") or `ALL` ("EPSV\<space>ALL"). Nothing else is defined, so nothing else parses:
    /// no padding spaces, no sign, no other words.
    pub fn parse(arg: &[u8]) -> Result<EpsvArg, CodecError> {
        if arg.is_empty() {
            return Ok(EpsvArg::Default);
        }
        if arg.eq_ignore_ascii_case(b"ALL") {
            return Ok(EpsvArg::All);
        }
        NetPrt::parse(arg).map(EpsvArg::Proto).map_err(|_| {
            CodecError::new(
                Malformation::EpsvArgument,
                format!("EPSV argument {} is neither ALL nor a net-prt", show(arg)),
            )
        })
    }
}

/// The machine-readable part of a 229 reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpsvReply {
    pub delimiter: u8,
    pub port: u16,
    /// True when text follows the closing `)`. Not forbidden, but it breaks strict clients: worth
    /// a WARN at most, never a FAIL.
    pub trailing_text: bool,
}

impl EpsvReply {
    pub fn new(delimiter: u8, port: u16) -> EpsvReply {
        EpsvReply {
            delimiter,
            port,
            trailing_text: false,
        }
    }

    /// Parses the text of a 229 reply: finds the first `(`, then requires exactly
    /// `<d><d><d><port><d>)` with all four delimiters equal, the delimiter in ASCII 33–126,
    /// the first two fields empty and the port decimal 1–65535.
    ///
    /// RFC 2428 §3: "The first two fields contained in the parenthesis MUST be blank. The third
    /// field MUST be the string representation of the TCP port number on which the server is
    /// listening for a data connection." The port field runs to the next delimiter, so a digit
    /// delimiter (legal, if odd) still parses as long as the port does not contain it.
    pub fn from_reply_text(text: &[u8]) -> Result<EpsvReply, CodecError> {
        let open = text.iter().position(|&b| b == b'(').ok_or_else(|| {
            CodecError::new(
                Malformation::EpsvReplyNoParen,
                format!("229 text {} has no `(`", show(text)),
            )
        })?;
        let (delimiter, rest) = leading_delimiters(&text[open + 1..])?;
        let end = rest.iter().position(|&b| b == delimiter).ok_or_else(|| {
            CodecError::new(
                Malformation::EpsvReplyPort,
                format!("229 port field in {} has no closing delimiter", show(text)),
            )
        })?;
        let port = parse_port(&rest[..end]).ok_or_else(|| {
            CodecError::new(
                Malformation::EpsvReplyPort,
                format!("229 port {} is not a decimal 1-65535", show(&rest[..end])),
            )
        })?;
        let Some((b')', trailing)) = rest[end + 1..].split_first() else {
            return Err(CodecError::new(
                Malformation::EpsvReplyNoClose,
                format!("229 text {} lacks `)` after the port", show(text)),
            ));
        };
        Ok(EpsvReply {
            delimiter,
            port,
            trailing_text: trailing.iter().any(|b| !b.is_ascii_whitespace()),
        })
    }

    /// Appends `(<d><d><d><port><d>)`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let d = self.delimiter;
        out.extend_from_slice(&[b'(', d, d, d]);
        out.extend_from_slice(self.port.to_string().as_bytes());
        out.extend_from_slice(&[d, b')']);
    }
}

/// Reads the `<d><d><d>` that open the parenthesis — a legal delimiter, three times, i.e. two
/// blank fields — and returns the delimiter and what follows.
fn leading_delimiters(after_paren: &[u8]) -> Result<(u8, &[u8]), CodecError> {
    let [d, d2, d3, rest @ ..] = after_paren else {
        return Err(CodecError::new(
            Malformation::EpsvReplyDelimiters,
            "229 parenthesis too short for (<d><d><d><port><d>)",
        ));
    };
    if !is_delimiter(*d) {
        return Err(CodecError::new(
            Malformation::EpsvReplyDelimiters,
            format!("229 delimiter 0x{d:02x} is outside ASCII 33-126"),
        ));
    }
    if d2 != d || d3 != d {
        return Err(CodecError::new(
            Malformation::EpsvReplyDelimiters,
            format!(
                "229 must start ({0}{0}{0}: two blank fields with one delimiter",
                *d as char
            ),
        ));
    }
    Ok((*d, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(s: &str) -> Result<EpsvReply, CodecError> {
        EpsvReply::from_reply_text(s.as_bytes())
    }

    fn encoded(r: &EpsvReply) -> Vec<u8> {
        let mut out = Vec::new();
        r.encode(&mut out);
        out
    }

    #[test]
    fn argument_forms() {
        assert_eq!(EpsvArg::parse(b""), Ok(EpsvArg::Default));
        assert_eq!(EpsvArg::parse(b"ALL"), Ok(EpsvArg::All));
        assert_eq!(EpsvArg::parse(b"all"), Ok(EpsvArg::All));
        assert_eq!(EpsvArg::parse(b"aLl"), Ok(EpsvArg::All));
        assert_eq!(EpsvArg::parse(b"1"), Ok(EpsvArg::Proto(NetPrt::IPV4)));
        assert_eq!(EpsvArg::parse(b"2"), Ok(EpsvArg::Proto(NetPrt::IPV6)));
        assert_eq!(EpsvArg::parse(b"99"), Ok(EpsvArg::Proto(NetPrt(99))));
    }

    #[test]
    fn garbage_arguments_refused() {
        for bad in [
            &b" "[..],
            b"ALL ",
            b" ALL",
            b"ALLL",
            b"AL",
            b"-1",
            b"+1",
            b"1 ",
            b"1,2",
            b"|1|",
            b"1000000000",
            b"\xff",
        ] {
            assert!(
                EpsvArg::parse(bad).is_err(),
                "{:?} accepted",
                bad.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn rfc_example_reply() {
        let r = reply("Entering Extended Passive Mode (|||6446|)").unwrap();
        assert_eq!(r, EpsvReply::new(b'|', 6446));
        assert!(!r.trailing_text);
    }

    #[test]
    fn other_delimiters_and_bounds() {
        assert_eq!(reply("ok (!!!1!)").unwrap(), EpsvReply::new(b'!', 1));
        assert_eq!(
            reply("ok (~~~65535~)").unwrap(),
            EpsvReply::new(b'~', 65535)
        );
        assert_eq!(reply("(###21#)").unwrap(), EpsvReply::new(b'#', 21));
        // A digit delimiter is legal; the port field runs to the next delimiter.
        assert_eq!(reply("(9991239)").unwrap(), EpsvReply::new(b'9', 123));
        assert!(reply("(99912939)").is_err());
    }

    #[test]
    fn trailing_text_detected() {
        assert!(reply("Entering (|||6446|).").unwrap().trailing_text);
        assert!(reply("Entering (|||6446|) now").unwrap().trailing_text);
        assert!(!reply("Entering (|||6446|)  \t").unwrap().trailing_text);
        assert!(!reply("Entering (|||6446|)\r\n").unwrap().trailing_text);
    }

    #[test]
    fn malformed_replies_refused() {
        for bad in [
            "Entering Extended Passive Mode (|1|127.0.0.1|6446|)",
            "Entering Extended Passive Mode (||6446|)",
            "Entering Extended Passive Mode (|||6446)",
            "Entering Extended Passive Mode (|||0|)",
            "Entering Extended Passive Mode (|||65536|)",
            "Entering Extended Passive Mode (|||abc|)",
            "Entering Extended Passive Mode (|||6446!)",
            "Entering Extended Passive Mode |||6446|",
            "Entering Extended Passive Mode",
            "Entering Extended Passive Mode (|||6446|",
            "Entering Extended Passive Mode (|||6446||)",
            "Entering Extended Passive Mode (|||-1|)",
            "Entering Extended Passive Mode (|||+80|)",
            "Entering Extended Passive Mode (||||)",
            "Entering Extended Passive Mode (|!|6446|)",
            "Entering Extended Passive Mode (   6446 )",
            "Entering Extended Passive Mode (|||100000|)",
            "(",
            "(||",
        ] {
            assert!(reply(bad).is_err(), "{bad:?} accepted");
        }
        assert!(EpsvReply::from_reply_text(b"(\x7f\x7f\x7f6446\x7f)").is_err());
        assert!(EpsvReply::from_reply_text(b"(\x80\x80\x806446\x80)").is_err());
    }

    #[test]
    fn first_paren_is_the_one_read() {
        assert!(reply("Entering (fast) mode (|||6446|)").is_err());
    }

    #[test]
    fn encodes_wire_form() {
        assert_eq!(encoded(&EpsvReply::new(b'|', 6446)), b"(|||6446|)");
        assert_eq!(encoded(&EpsvReply::new(b'!', 1)), b"(!!!1!)");
    }

    #[test]
    fn round_trip() {
        for d in [b'|', b'!', b'#', b'~', b'$', b'('] {
            for port in [1u16, 21, 1023, 1024, 6446, 49152, 65535] {
                let r = EpsvReply::new(d, port);
                let mut text = b"Entering Extended Passive Mode ".to_vec();
                r.encode(&mut text);
                assert_eq!(
                    EpsvReply::from_reply_text(&text),
                    Ok(r),
                    "{} {port}",
                    d as char
                );
            }
        }
    }
}
