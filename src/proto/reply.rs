//! The reply parser (RFC 959 §4.2), incremental and bounded.
//!
//! A reply is `xyz SP text CRLF`, or a multi-line reply `xyz-text CRLF … xyz SP text CRLF` that ends
//! at the first line starting with the same code followed by SP. The parser is a pure function
//! over the bytes received so far: [`parse_reply`] returns a complete reply and how many bytes it
//! used, `Ok(None)` when it needs more bytes, or a [`ReplyError`] for malformed input — which still
//! carries the raw bytes, so a transcript never loses what the server actually sent.

use super::ReplyCode;

pub use super::reply_parse::parse_reply;

/// Bounds that stop a hostile server from making the parser allocate without limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line accepted, in bytes, including CRLF.
    pub max_line_len: usize,
    /// Most lines accepted in one multi-line reply.
    pub max_lines: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_len: 8 * 1024,
            max_lines: 1024,
        }
    }
}

/// One complete, well-formed reply, with the exact bytes of every line beside the parsed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: ReplyCode,
    /// Raw lines exactly as received, each including its CRLF.
    pub lines: Vec<Vec<u8>>,
}

impl Reply {
    /// True for a reply of more than one line (`xyz-` … `xyz `).
    pub fn is_multiline(&self) -> bool {
        self.lines.len() > 1
    }

    /// The text of the last line: the bytes after `xyz ` and before CRLF. This is where the
    /// machine-readable parts live (the 229 port, the 522 list, the 227 host-port).
    pub fn last_text(&self) -> &[u8] {
        self.lines
            .last()
            .map_or(&[][..], |line| after_code(strip_eol(line)))
    }

    /// All text of the reply: each line without its code prefix and CRLF, joined by `\n`.
    ///
    /// Only the first and last lines carry a code prefix (`123-`, `123 `); middle lines are kept
    /// whole, padding included (RFC 959 §4.2: "If an intermediary line begins with a 3-digit
    /// number, the Server must pad the front to avoid confusion").
    pub fn text(&self) -> Vec<u8> {
        let last = self.lines.len().saturating_sub(1);
        let mut out = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            let body = strip_eol(line);
            let text = if i == 0 || i == last {
                after_code(body)
            } else {
                body
            };
            out.extend_from_slice(text);
        }
        out
    }

    /// All raw bytes, concatenated, exactly as received.
    pub fn raw(&self) -> Vec<u8> {
        self.lines.concat()
    }
}

/// What is wrong with a malformed reply (RFC 959 §4.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyErrorKind {
    /// The line does not start with three ASCII digits (`2200 ok`, `20 ok`, `abc`).
    #[error("reply line does not start with a three-digit code")]
    NotThreeDigits,
    /// The code is followed by something other than SP or `-` (`200x`, or `200` then CRLF).
    #[error("reply code not followed by a space or a hyphen")]
    BadSeparator,
    /// A multi-line reply's last line carries another code than its first (`123-` … `234 `).
    #[error("multi-line reply {first} terminated by a line with code {last}")]
    MismatchedTerminator { first: ReplyCode, last: ReplyCode },
    /// A line ends with LF not preceded by CR.
    #[error("line ends with a bare LF instead of CRLF")]
    BareLf,
    /// A line grew past [`Limits::max_line_len`] without a line end.
    #[error("line longer than {0} bytes")]
    LineTooLong(usize),
    /// A multi-line reply grew past [`Limits::max_lines`] lines.
    #[error("multi-line reply longer than {0} lines")]
    TooManyLines(usize),
}

/// A malformed reply: what is wrong, the bytes it covers, and how many bytes to drop to move on.
///
/// `raw` is every byte `consumed` accounts for — the earlier lines of a multi-line reply
/// included, so a transcript keeps them — except that an over-long line is cut to its first
/// [`Limits::max_line_len`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed reply: {kind}")]
pub struct ReplyError {
    pub kind: ReplyErrorKind,
    /// The offending bytes, exactly as received (bounded by the limits).
    pub raw: Vec<u8>,
    /// How many bytes of the input this error accounts for; the caller drops them to resynchronise.
    /// For [`ReplyErrorKind::LineTooLong`] this runs through the over-long line's LF if the
    /// buffer holds one, else it is the whole input examined — and the caller, which has not
    /// seen the line end yet, should discard further bytes up to the next LF.
    pub consumed: usize,
}

/// A line without its line end (CRLF, or a lone LF in a hand-built [`Reply`]).
fn strip_eol(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))
        .unwrap_or(line)
}

/// A line's text after the four-byte `xyz ` or `xyz-` prefix (empty if the line is shorter).
fn after_code(line: &[u8]) -> &[u8] {
    line.get(4..).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, lines: &[&[u8]]) -> Reply {
        Reply {
            code: ReplyCode(code),
            lines: lines.iter().map(|l| l.to_vec()).collect(),
        }
    }

    #[test]
    fn single_line_text() {
        let r = reply(229, &[b"229 Entering Extended Passive Mode (|||6446|)\r\n"]);
        assert!(!r.is_multiline());
        assert_eq!(r.last_text(), b"Entering Extended Passive Mode (|||6446|)");
        assert_eq!(r.text(), b"Entering Extended Passive Mode (|||6446|)");
        assert_eq!(
            r.raw(),
            b"229 Entering Extended Passive Mode (|||6446|)\r\n"
        );
    }

    #[test]
    fn multi_line_text() {
        let r = reply(
            123,
            &[
                b"123-First line\r\n",
                b"Second line\r\n",
                b"  234 A line beginning with numbers\r\n",
                b"123 The last line\r\n",
            ],
        );
        assert!(r.is_multiline());
        assert_eq!(r.last_text(), b"The last line");
        assert_eq!(
            r.text(),
            b"First line\nSecond line\n  234 A line beginning with numbers\nThe last line"
        );
        assert_eq!(r.raw().len(), r.lines.iter().map(Vec::len).sum::<usize>());
    }

    #[test]
    fn empty_texts_and_odd_lines() {
        assert_eq!(reply(200, &[b"200 \r\n"]).last_text(), b"");
        assert_eq!(reply(200, &[b"200 \r\n"]).text(), b"");
        assert_eq!(reply(200, &[b"200 \xff\xfe\r\n"]).last_text(), b"\xff\xfe");
        // Hand-built replies need not be well-formed; the accessors never panic on them.
        assert_eq!(reply(200, &[]).last_text(), b"");
        assert_eq!(reply(200, &[]).text(), b"");
        assert_eq!(reply(200, &[b"20"]).last_text(), b"");
        assert_eq!(reply(211, &[b"211-a\n", b"211 b\n"]).text(), b"a\nb");
    }

    #[test]
    fn default_limits_are_bounded() {
        let l = Limits::default();
        assert!(l.max_line_len >= 512 && l.max_line_len <= 64 * 1024);
        assert!(l.max_lines >= 2);
    }
}
