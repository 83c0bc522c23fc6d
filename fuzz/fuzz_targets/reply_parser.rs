//! The reply parser never panics, keeps within its limits, and accounts for every byte: each
//! assertion below is a property of the parser's output that a wrong parser would break.
#![no_main]

use ftpspec::proto::{Limits, ReplyErrorKind, parse_reply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_line_len: 512,
        max_lines: 16,
    };
    let mut rest = data;
    // Bounded: each round consumes at least one byte (asserted) or stops.
    while !rest.is_empty() {
        match parse_reply(rest, limits) {
            Ok(Some((reply, used))) => {
                assert!(used > 0 && used <= rest.len());
                // Raw bytes round-trip: the lines are exactly the bytes consumed.
                assert_eq!(reply.raw(), &rest[..used]);
                assert!(!reply.lines.is_empty() && reply.lines.len() <= limits.max_lines);
                for line in &reply.lines {
                    // RFC 959 §4.2: every line within the limit and ended by CRLF.
                    assert!(line.len() <= limits.max_line_len, "line over the limit");
                    assert!(line.ends_with(b"\r\n"), "line without CRLF: {line:?}");
                }
                // The code is the first line's three digits; a multi-line reply ends with the
                // same code and SP.
                let first = &reply.lines[0];
                assert_eq!(&first[..3], reply.code.to_string().as_bytes());
                let last = &reply.lines[reply.lines.len() - 1];
                assert_eq!(&last[..3], &first[..3]);
                assert_eq!(last[3], b' ');
                rest = &rest[used..];
            }
            Ok(None) => {
                // More bytes are needed: then no line is over the limit yet, or it would have
                // been refused.
                let last_line = rest.rsplit(|&b| b == b'\n').next().unwrap_or(rest);
                assert!(last_line.len() <= limits.max_line_len);
                break;
            }
            Err(err) => {
                // What an error keeps is a prefix of the input, bounded by the limits however
                // long the input (a hostile server cannot make ftpspec hold more), and the parser
                // always moves on.
                assert!(
                    rest.starts_with(&err.raw),
                    "raw is not the start of the input"
                );
                assert!(err.raw.len() <= err.consumed && err.consumed <= rest.len());
                assert!(err.raw.len() <= limits.max_line_len * limits.max_lines);
                assert!(
                    err.consumed > 0,
                    "an error that consumes nothing would loop"
                );
                // Of a line over the limit, at most the limit's worth is kept.
                if err.kind == ReplyErrorKind::LineTooLong(limits.max_line_len) {
                    let kept = err.raw.rsplit(|&b| b == b'\n').next().unwrap_or(&err.raw);
                    assert!(
                        kept.len() <= limits.max_line_len,
                        "kept {} bytes of a long line",
                        kept.len()
                    );
                }
                rest = &rest[err.consumed..];
            }
        }
    }
});
