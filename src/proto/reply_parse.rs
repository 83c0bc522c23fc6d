//! The incremental reply parser behind [`parse_reply`] (RFC 959 §4.2).
//!
//! > A reply is defined to contain the 3-digit code, followed by Space \<SP>, followed by one line
//! > of text (where some maximum line length has been specified), and terminated by the Telnet
//! > end-of-line code.
//!
//! > Thus the format for multi-line replies is that the first line will begin with the exact
//! > required reply code, followed immediately by a Hyphen, "-" (also known as Minus), followed by
//! > text. The last line will begin with the same code, followed immediately by Space \<SP>,
//! > optionally some text, and the Telnet end-of-line code.
//!
//! The parser only judges complete lines (ended by LF), except for the length bound, which it
//! enforces on a line still growing. It copies no bytes until a reply is complete or refused, and
//! then at most the limits' worth of them.

use super::ReplyCode;
use super::reply::{Limits, Reply, ReplyError, ReplyErrorKind};

/// Parses one reply from the front of `buf`.
///
/// Returns `Ok(Some((reply, consumed)))` for a complete reply, `Ok(None)` when more bytes are
/// needed, and `Err` for malformed input. Never allocates more than the limits allow.
///
/// ```text
/// 220 Service ready\r\n                   → 220, one line
/// 123-First line\r\n … 123 The last line\r\n → 123, multi-line
/// ```
pub fn parse_reply(buf: &[u8], limits: Limits) -> Result<Option<(Reply, usize)>, ReplyError> {
    let Some(first_end) = next_line(buf, 0, limits)? else {
        return Ok(None);
    };
    let (code, separator) =
        first_line(&buf[..first_end]).map_err(|kind| error(buf, kind, first_end))?;
    if separator == b' ' {
        return Ok(Some((reply(buf, code, &[first_end]), first_end)));
    }
    multi_line(buf, code, first_end, limits)
}

/// The rest of a multi-line reply, after its `xyz-` first line ending at `first_end`.
fn multi_line(
    buf: &[u8],
    code: ReplyCode,
    first_end: usize,
    limits: Limits,
) -> Result<Option<(Reply, usize)>, ReplyError> {
    let mut ends = vec![first_end];
    let mut pos = first_end;
    loop {
        // The last line read did not end the reply, so it needs at least one more line.
        if ends.len() >= limits.max_lines {
            return Err(error(
                buf,
                ReplyErrorKind::TooManyLines(limits.max_lines),
                pos,
            ));
        }
        let Some(end) = next_line(buf, pos, limits)? else {
            return Ok(None);
        };
        ends.push(end);
        match terminator_code(&buf[pos..end]) {
            Some(last) if last == code => return Ok(Some((reply(buf, code, &ends), end))),
            Some(last) => {
                let kind = ReplyErrorKind::MismatchedTerminator { first: code, last };
                return Err(error(buf, kind, end));
            }
            None => pos = end,
        }
    }
}

/// Finds the end (just past the LF) of the line starting at `start`.
///
/// `Ok(None)` when the line is incomplete but still within bounds. A line longer than
/// `max_line_len` (LF included) is refused whether or not its LF has arrived. The LF is searched
/// for only within the bound, so a call scans at most `max_line_len` bytes of a line, plus one
/// scan of the rest of `buf` when refusing it.
fn next_line(buf: &[u8], start: usize, limits: Limits) -> Result<Option<usize>, ReplyError> {
    let rest = &buf[start..];
    let window = &rest[..rest.len().min(limits.max_line_len)];
    let Some(lf) = window.iter().position(|&b| b == b'\n') else {
        if rest.len() > limits.max_line_len {
            return Err(line_too_long(buf, start, limits.max_line_len));
        }
        return Ok(None);
    };
    let end = start + lf + 1;
    // RFC 959 §4.2 ends every reply line with "the Telnet end-of-line code", which is CRLF.
    if lf == 0 || rest[lf - 1] != b'\r' {
        return Err(error(buf, ReplyErrorKind::BareLf, end));
    }
    Ok(Some(end))
}

/// The code and separator of a reply's first line: three ASCII digits, then SP or `-`.
fn first_line(line: &[u8]) -> Result<(ReplyCode, u8), ReplyErrorKind> {
    let code = line
        .get(..3)
        .and_then(ReplyCode::from_digits)
        .ok_or(ReplyErrorKind::NotThreeDigits)?;
    match line.get(3) {
        Some(&sep @ (b' ' | b'-')) => Ok((code, sep)),
        // `2200 ok`: a four-digit number, not a three-digit code with a bad separator.
        Some(d) if d.is_ascii_digit() => Err(ReplyErrorKind::NotThreeDigits),
        _ => Err(ReplyErrorKind::BadSeparator),
    }
}

/// The code of a line that would end a multi-line reply: three digits followed by SP.
///
/// Any other line is text, even one starting with digits (`234-x`, `1234 x`, `  234 x`); a
/// line of the terminator form with another code is a server error, since "If an intermediary
/// line begins with a 3-digit number, the Server must pad the front to avoid confusion."
fn terminator_code(line: &[u8]) -> Option<ReplyCode> {
    match line {
        [a, b, c, b' ', ..] => ReplyCode::from_digits(&[*a, *b, *c]),
        _ => None,
    }
}

/// Copies the lines ending at `ends` (the first starting at 0) into a [`Reply`].
fn reply(buf: &[u8], code: ReplyCode, ends: &[usize]) -> Reply {
    let starts = std::iter::once(0).chain(ends.iter().copied());
    let lines = starts.zip(ends).map(|(s, &e)| buf[s..e].to_vec()).collect();
    Reply { code, lines }
}

/// An error covering `buf[..consumed]`, all of it kept as raw bytes.
fn error(buf: &[u8], kind: ReplyErrorKind, consumed: usize) -> ReplyError {
    ReplyError {
        kind,
        raw: buf[..consumed].to_vec(),
        consumed,
    }
}

/// The error for a line starting at `start` that outgrew `max`: consumed runs through its LF if
/// one is in `buf` (so the caller can resynchronise), else through all of `buf`; raw keeps the
/// earlier lines and at most `max` bytes of the long one.
fn line_too_long(buf: &[u8], start: usize, max: usize) -> ReplyError {
    let consumed = buf[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(buf.len(), |lf| start + lf + 1);
    let kept = (start + max).min(consumed);
    ReplyError {
        kind: ReplyErrorKind::LineTooLong(max),
        raw: buf[..kept].to_vec(),
        consumed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC959_EXAMPLE: &[u8] = b"123-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n123 The last line\r\n";

    fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
        parse_reply(buf, Limits::default())
    }

    fn complete(buf: &[u8]) -> (Reply, usize) {
        parse(buf).expect("well-formed").expect("complete")
    }

    fn kind(buf: &[u8], limits: Limits) -> ReplyErrorKind {
        parse_reply(buf, limits).expect_err("malformed").kind
    }

    fn small(max_line_len: usize, max_lines: usize) -> Limits {
        Limits {
            max_line_len,
            max_lines,
        }
    }

    #[test]
    fn single_line() {
        let (r, used) = complete(b"220 Service ready\r\n");
        assert_eq!(r.code, ReplyCode::READY);
        assert_eq!(used, 19);
        assert_eq!(r.lines, vec![b"220 Service ready\r\n".to_vec()]);
        assert_eq!(r.last_text(), b"Service ready");
        assert!(!r.is_multiline());
        // Text is optional after the SP.
        assert_eq!(complete(b"200 \r\n").0.last_text(), b"");
    }

    #[test]
    fn rfc959_multi_line_example() {
        let (r, used) = complete(RFC959_EXAMPLE);
        assert_eq!(used, RFC959_EXAMPLE.len());
        assert_eq!(r.code, ReplyCode(123));
        assert_eq!(r.lines.len(), 4);
        assert_eq!(r.lines[2], b"  234 A line beginning with numbers\r\n");
        assert_eq!(r.last_text(), b"The last line");
        assert_eq!(r.raw(), RFC959_EXAMPLE);
    }

    #[test]
    fn multi_line_middle_lines_may_start_with_digits() {
        let buf = b"211-Features:\r\n EPRT\r\n234text\r\n211-still going\r\n2110 four digits\r\n211\r\n211 End\r\n";
        let (r, used) = complete(buf);
        assert_eq!(used, buf.len());
        assert_eq!(r.code, ReplyCode::SYSTEM_STATUS);
        assert_eq!(r.lines.len(), 7);
        assert_eq!(
            r.text(),
            b"Features:\n EPRT\n234text\n211-still going\n2110 four digits\n211\nEnd"
        );
    }

    #[test]
    fn byte_at_a_time() {
        for whole in [&b"220 Service ready\r\n"[..], RFC959_EXAMPLE] {
            for n in 0..whole.len() {
                assert_eq!(parse(&whole[..n]), Ok(None), "prefix of {n} bytes");
            }
            assert_eq!(complete(whole).1, whole.len());
        }
    }

    #[test]
    fn two_replies_in_one_buffer() {
        let buf = b"150 Opening\r\n226-Transfer\r\n226 complete\r\n229 (|||6446|)\r\n";
        let (first, a) = complete(buf);
        assert_eq!((first.code, a), (ReplyCode::FILE_STATUS_OK, 13));
        let (second, b) = complete(&buf[a..]);
        assert_eq!(second.code, ReplyCode::CLOSING_DATA);
        assert_eq!(second.lines.len(), 2);
        let (third, c) = complete(&buf[a + b..]);
        assert_eq!(third.code, ReplyCode::EXTENDED_PASSIVE);
        assert_eq!(a + b + c, buf.len());
        // A partial second reply does not disturb the first.
        assert_eq!(complete(b"200 ok\r\n331 Pass").1, 8);
    }

    #[test]
    fn not_three_digits() {
        for bad in [
            &b"2200 x\r\n"[..],
            b"20 x\r\n",
            b"abc\r\n",
            b"\r\n",
            b"20\r\n",
            b" 200 x\r\n",
            b"2a0 x\r\n",
        ] {
            let err = parse(bad).expect_err("malformed");
            assert_eq!(
                err.kind,
                ReplyErrorKind::NotThreeDigits,
                "{:?}",
                bad.escape_ascii().to_string()
            );
            assert_eq!(err.consumed, bad.len());
            assert_eq!(err.raw, bad);
        }
    }

    #[test]
    fn bad_separator() {
        for bad in [&b"200x\r\n"[..], b"200\r\n", b"200\tok\r\n", b"200_ok\r\n"] {
            assert_eq!(kind(bad, Limits::default()), ReplyErrorKind::BadSeparator);
        }
    }

    #[test]
    fn mismatched_terminator() {
        let buf = b"123-First\r\nmiddle\r\n234 Last\r\n200 next\r\n";
        let err = parse(buf).expect_err("malformed");
        let want = ReplyErrorKind::MismatchedTerminator {
            first: ReplyCode(123),
            last: ReplyCode(234),
        };
        assert_eq!(err.kind, want);
        assert_eq!(err.consumed, 29);
        assert_eq!(err.raw, &buf[..29]);
        assert_eq!(complete(&buf[err.consumed..]).0.code, ReplyCode::OK);
    }

    #[test]
    fn bare_lf() {
        let err = parse(b"200 ok\n220 next\r\n").expect_err("malformed");
        assert_eq!((err.kind, err.consumed), (ReplyErrorKind::BareLf, 7));
        assert_eq!(err.raw, b"200 ok\n");
        assert_eq!(kind(b"\n", Limits::default()), ReplyErrorKind::BareLf);
        // Inside a multi-line reply, the earlier lines stay in raw.
        let err = parse(b"211-a\r\nb\n211 c\r\n").expect_err("malformed");
        assert_eq!((err.kind, err.consumed), (ReplyErrorKind::BareLf, 9));
        assert_eq!(err.raw, b"211-a\r\nb\n");
        // A CR alone is not a line end: still incomplete.
        assert_eq!(parse(b"200 ok\r"), Ok(None));
    }

    #[test]
    fn megabyte_line_without_lf() {
        let limits = small(1024, 16);
        let mut buf = b"200 ".to_vec();
        buf.resize(1 << 20, b'a');
        let err = parse_reply(&buf, limits).expect_err("too long");
        assert_eq!(err.kind, ReplyErrorKind::LineTooLong(1024));
        assert_eq!(err.consumed, buf.len());
        assert!(err.raw.len() <= limits.max_line_len);
        assert_eq!(err.raw, &buf[..1024]);
        // The default limits bound it too.
        let err = parse(&buf).expect_err("too long");
        assert!(err.raw.len() <= Limits::default().max_line_len);
    }

    #[test]
    fn long_line_with_lf_resynchronises() {
        let limits = small(16, 16);
        let mut buf = b"200 ".to_vec();
        buf.extend_from_slice(&[b'x'; 40]);
        buf.extend_from_slice(b"\r\n226 ok\r\n");
        let err = parse_reply(&buf, limits).expect_err("too long");
        assert_eq!(err.kind, ReplyErrorKind::LineTooLong(16));
        assert_eq!(err.consumed, 46);
        assert_eq!(err.raw.len(), 16);
        let (next, _) = parse_reply(&buf[err.consumed..], limits).unwrap().unwrap();
        assert_eq!(next.code, ReplyCode::CLOSING_DATA);
    }

    #[test]
    fn line_length_bound_is_inclusive_of_crlf() {
        let limits = small(8, 4);
        assert!(parse_reply(b"200 abc\r\n", limits).is_err());
        assert!(parse_reply(b"200 ab\r\n", limits).unwrap().is_some());
        // Incomplete but within the bound: wait for more.
        assert_eq!(parse_reply(b"200 abcd", limits), Ok(None));
        assert_eq!(kind(b"200 abcde", limits), ReplyErrorKind::LineTooLong(8));
    }

    #[test]
    fn long_line_inside_multi_line_reply() {
        let limits = small(10, 8);
        let buf = b"211-a\r\n0123456789abc";
        let err = parse_reply(buf, limits).expect_err("too long");
        assert_eq!(err.kind, ReplyErrorKind::LineTooLong(10));
        assert_eq!(err.consumed, buf.len());
        assert_eq!(err.raw, &buf[..17]);
    }

    #[test]
    fn too_many_lines() {
        let limits = small(64, 3);
        // Exactly three lines is fine.
        assert!(
            parse_reply(b"211-a\r\nb\r\n211 c\r\n", limits)
                .unwrap()
                .is_some()
        );
        // A third line that does not terminate means a fourth must follow: refused at once.
        let buf = b"211-a\r\nb\r\nc\r\n";
        let err = parse_reply(buf, limits).expect_err("too many");
        assert_eq!(err.kind, ReplyErrorKind::TooManyLines(3));
        assert_eq!(err.consumed, buf.len());
        assert_eq!(err.raw, buf);
        // An endless multi-line reply stops at the bound, whatever follows.
        let endless = b"211-x\r\n".repeat(10_000);
        let err = parse_reply(&endless, limits).expect_err("too many");
        assert_eq!(err.consumed, 21);
        // A single-line reply is never affected by max_lines.
        assert!(parse_reply(b"200 ok\r\n", small(64, 1)).unwrap().is_some());
        assert_eq!(
            kind(b"211-a\r\n", small(64, 1)),
            ReplyErrorKind::TooManyLines(1)
        );
    }

    #[test]
    fn invalid_utf8_kept_as_bytes() {
        let buf = b"550 \xff\xfe na\xefve \x00\r\n";
        let (r, used) = complete(buf);
        assert_eq!(used, buf.len());
        assert_eq!(r.last_text(), b"\xff\xfe na\xefve \x00");
        assert_eq!(r.raw(), buf);
    }

    #[test]
    fn incomplete_input_needs_more() {
        for partial in [
            &b""[..],
            b"2",
            b"220",
            b"220 ",
            b"123-a\r\n",
            b"123-a\r\n123",
            b"123-a\r\n123\r\n",
        ] {
            assert_eq!(
                parse(partial),
                Ok(None),
                "{:?}",
                partial.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn errors_only_on_complete_lines() {
        // Garbage without a line end is not judged until the line ends or grows too long.
        assert_eq!(parse(b"garbage"), Ok(None));
        assert_eq!(
            kind(b"garbage\r\n", Limits::default()),
            ReplyErrorKind::NotThreeDigits
        );
    }
}
