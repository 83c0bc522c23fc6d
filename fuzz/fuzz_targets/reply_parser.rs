//! The reply parser never panics, never reads past its limits, and accounts for every byte.
#![no_main]

use ftpspec::proto::{Limits, parse_reply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_line_len: 512, max_lines: 16 };
    let mut rest = data;
    // Bounded: each round consumes at least one byte or stops.
    while !rest.is_empty() {
        match parse_reply(rest, limits) {
            Ok(Some((reply, used))) => {
                assert!(used > 0 && used <= rest.len());
                // Raw bytes round-trip: the lines are exactly the bytes consumed.
                assert_eq!(reply.raw(), &rest[..used]);
                assert!(reply.lines.len() <= limits.max_lines);
                rest = &rest[used..];
            }
            Ok(None) => break,
            Err(err) => {
                assert!(err.raw.len() <= limits.max_line_len.max(rest.len()));
                if err.consumed == 0 {
                    break;
                }
                rest = &rest[err.consumed.min(rest.len())..];
            }
        }
    }
});
