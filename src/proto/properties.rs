//! Properties over deterministic pseudo-random inputs, a cheap stand-in for the libFuzzer targets
//! that runs with every `cargo test`:
//!
//! - [`parse_reply`] never panics, reports no more than it was given, makes progress on every
//!   verdict, and agrees with itself on every prefix of a complete reply;
//! - every argument codec never panics, and whatever parses re-encodes to something that parses
//!   to the same value.

use super::reply::{Limits, parse_reply};
use super::*;

use crate::rng::Rng;

/// Bytes biased towards the reply grammar, so that deep paths are reached.
fn reply_input(rng: &mut Rng) -> Vec<u8> {
    const ALPHABET: &[u8] = b"0123456789 -\r\n\r\nabc\xff";
    let len = rng.below(64);
    (0..len).map(|_| *rng.pick(ALPHABET)).collect()
}

#[test]
fn never_panics_and_consumes_sensibly() {
    let mut state = Rng::new(0x9e37_79b9_7f4a_7c15);
    let limits = Limits {
        max_line_len: 24,
        max_lines: 4,
    };
    for _ in 0..20_000 {
        let buf = reply_input(&mut state);
        match parse_reply(&buf, limits) {
            Ok(None) => {}
            Ok(Some((reply, used))) => {
                assert!(used > 0 && used <= buf.len());
                assert_eq!(reply.raw(), &buf[..used]);
                assert!(reply.lines.len() <= limits.max_lines);
            }
            Err(e) => {
                assert!(e.consumed > 0 && e.consumed <= buf.len());
                assert!(e.raw.len() <= e.consumed);
            }
        }
    }
}

#[test]
fn prefixes_of_a_complete_reply_agree() {
    let mut state = Rng::new(42);
    let limits = Limits::default();
    for _ in 0..5_000 {
        let buf = reply_input(&mut state);
        let Ok(Some((whole, used))) = parse_reply(&buf, limits) else {
            continue;
        };
        for n in 0..used {
            assert_eq!(parse_reply(&buf[..n], limits), Ok(None));
        }
        assert_eq!(parse_reply(&buf[..used], limits), Ok(Some((whole, used))));
    }
}

/// Bytes biased towards the argument grammars.
fn codec_input(rng: &mut Rng) -> Vec<u8> {
    const ALPHABET: &[u8] = b"0123456789|||!,,..::()ALlaf \t\xff\x00";
    let len = rng.below(32);
    (0..len).map(|_| *rng.pick(ALPHABET)).collect()
}

fn encode_with(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    f(&mut out);
    out
}

#[test]
fn codecs_never_panic_and_round_trip() {
    let mut state = Rng::new(0x2545_f491_4f6c_dd1d);
    for _ in 0..50_000 {
        let buf = codec_input(&mut state);
        if let Ok(hp) = HostPort::parse(&buf) {
            assert_eq!(HostPort::parse(&encode_with(|o| hp.encode(o))), Ok(hp));
        }
        if let Ok(hp) = HostPort::from_227_text(&buf) {
            assert_eq!(HostPort::parse(&encode_with(|o| hp.encode(o))), Ok(hp));
        }
        if let Ok(arg) = EprtArg::parse(&buf) {
            assert_eq!(EprtArg::parse(&encode_with(|o| arg.encode(o))), Ok(arg));
        }
        if let Ok(r) = EpsvReply::from_reply_text(&buf) {
            let again = EpsvReply::from_reply_text(&encode_with(|o| r.encode(o)));
            assert_eq!(
                again,
                Ok(EpsvReply {
                    trailing_text: false,
                    ..r
                })
            );
        }
        if let Ok(list) = ProtocolList::from_reply_text(&buf) {
            let again = ProtocolList::from_reply_text(&encode_with(|o| list.encode(o)));
            assert_eq!(again, Ok(list));
        }
        let _ = EpsvArg::parse(&buf);
        let _ = NetPrt::parse(&buf);
        let _ = command::verb_of(&buf);
    }
}
