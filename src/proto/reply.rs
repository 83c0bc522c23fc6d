//! The reply parser (RFC 959 §4.2), incremental and bounded.
//!
//! A reply is `xyz SP text CRLF`, or a multi-line reply `xyz-text CRLF … xyz SP text CRLF` that ends
//! at the first line starting with the same code followed by SP. The parser is a pure function
//! over the bytes received so far: [`parse_reply`] returns a complete reply and how many bytes it
//! used, `Ok(None)` when it needs more bytes, or a [`ReplyError`] for malformed input — which still
//! carries the raw bytes, so a transcript never loses what the server actually sent.

use super::ReplyCode;

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
        Limits { max_line_len: 8 * 1024, max_lines: 1024 }
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
        todo!()
    }

    /// All text of the reply: each line without its code prefix and CRLF, joined by `\n`.
    pub fn text(&self) -> Vec<u8> {
        todo!()
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed reply: {kind}")]
pub struct ReplyError {
    pub kind: ReplyErrorKind,
    /// The offending bytes, exactly as received (bounded by the limits).
    pub raw: Vec<u8>,
    /// How many bytes of the input this error accounts for; the caller drops them to resynchronise.
    /// For [`ReplyErrorKind::LineTooLong`] this is the whole input examined.
    pub consumed: usize,
}

/// Parses one reply from the front of `buf`.
///
/// Returns `Ok(Some((reply, consumed)))` for a complete reply, `Ok(None)` when more bytes are
/// needed, and `Err` for malformed input. Never allocates more than the limits allow.
pub fn parse_reply(buf: &[u8], limits: Limits) -> Result<Option<(Reply, usize)>, ReplyError> {
    let _ = (buf, limits);
    todo!()
}
