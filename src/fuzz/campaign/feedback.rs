//! Feedback without instrumenting the server, AFLNet-style: the server's reply codes are its
//! visible state. An input is kept when its trace shows a (previous reply code, command verb,
//! reply code) transition never seen before.
//!
//! Reply-code sequences (a trace's first codes, repeats collapsed) are counted for the stats,
//! but a new one is no reason to keep an input. It used to be one, and half of all dialogues
//! had a sequence never seen before: the corpus filled to its cap with inputs that found no
//! new transition, and mutations were spent on them. Measured against the reference server
//! (`--jobs 1`, seeds 1 and 2, 100 000 dialogues): 1608 and 1595 transitions with sequences
//! as feedback, 1955 and 1720 without, with a corpus of about 1100 entries instead of 10 000.
//! (Like AFL, which keeps edges and never whole paths for the same reason.)
//!
//! Memory stays flat: transitions are a set with a hard cap, and sequences are hashed into a
//! fixed bitmap (like AFL's coverage map), so a campaign of any length uses the same memory.

use crate::fuzz::exec::trace::Trace;
use crate::proto::ReplyCode;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Most distinct transitions remembered.
pub const MAX_TRANSITIONS: usize = 100_000;
/// Reply codes of a sequence that count (after collapsing repeats).
const MAX_SEQUENCE: usize = 12;
/// Bits in the sequence map.
const SEQUENCE_BITS: usize = 1 << 16;

/// A verb as feedback sees it: known verbs by name, anything else as `?`, so raw junk does not
/// flood the transition set.
fn verb_class(verb: &[u8]) -> [u8; 4] {
    const KNOWN: &[&[u8]] = &[
        b"USER", b"PASS", b"REIN", b"QUIT", b"PORT", b"PASV", b"EPRT", b"EPSV", b"LPRT", b"LPSV",
        b"ABOR", b"REST", b"RETR", b"STOR", b"LIST", b"NLST", b"TYPE", b"NOOP", b"FEAT", b"STAT",
        b"MODE", b"STRU", b"SIZE", b"CWD", b"PWD", b"SYST", b"HELP",
    ];
    let mut out = [b' '; 4];
    match KNOWN.iter().find(|k| **k == verb) {
        Some(k) => out[..k.len()].copy_from_slice(k),
        None => out[0] = b'?',
    }
    out
}

/// One state transition: (previous reply code, verb, reply code).
pub type Transition = (ReplyCode, [u8; 4], ReplyCode);

/// What a campaign has seen so far.
#[derive(Debug)]
pub struct Coverage {
    transitions: HashSet<Transition>,
    sequences: Vec<u64>,
    sequence_count: usize,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            transitions: HashSet::new(),
            sequences: vec![0; SEQUENCE_BITS / 64],
            sequence_count: 0,
        }
    }
}

/// What one trace added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Novelty {
    pub new_transitions: usize,
    pub new_sequence: bool,
}

impl Novelty {
    /// Worth keeping: a new transition (a new sequence alone is not; see the module docs).
    pub fn is_new(self) -> bool {
        self.new_transitions > 0
    }
}

impl Coverage {
    /// Merges a trace's transitions and sequence; says what was new.
    pub fn observe(&mut self, trace: &Trace) -> Novelty {
        let mut novelty = Novelty::default();
        for (prev, verb, code) in trace.transitions() {
            let t = (prev, verb_class(verb), code);
            if self.transitions.len() < MAX_TRANSITIONS && self.transitions.insert(t) {
                novelty.new_transitions += 1;
            }
        }
        // Coarse on purpose: repeats collapsed and only the first codes counted, or nearly
        // every dialogue would be "new" and the corpus would fill with noise.
        let mut codes = trace.codes();
        codes.dedup();
        codes.truncate(MAX_SEQUENCE);
        if !codes.is_empty() {
            let mut h = DefaultHasher::new();
            codes.hash(&mut h);
            let bit = (h.finish() as usize) % SEQUENCE_BITS;
            let (word, mask) = (bit / 64, 1u64 << (bit % 64));
            if self.sequences[word] & mask == 0 {
                self.sequences[word] |= mask;
                self.sequence_count += 1;
                novelty.new_sequence = true;
            }
        }
        novelty
    }

    /// Distinct transitions seen: the "states" of the progress line.
    pub fn states(&self) -> usize {
        self.transitions.len()
    }

    /// Distinct reply-code sequences seen (as far as the bitmap can tell them apart).
    pub fn sequences(&self) -> usize {
        self.sequence_count
    }

    /// The coverage as bytes, for `DIR/coverage.bin`, so that a resumed campaign goes on
    /// counting states where the last one stopped: a magic, the transitions (2 + 4 + 2 bytes
    /// each, sorted, so equal coverage gives equal bytes), then the sequence bitmap.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut t: Vec<&Transition> = self.transitions.iter().collect();
        t.sort();
        let mut out = Vec::with_capacity(16 + t.len() * 8 + self.sequences.len() * 8);
        out.extend_from_slice(COVERAGE_MAGIC);
        out.extend_from_slice(&(t.len() as u32).to_le_bytes());
        for (prev, verb, code) in t {
            out.extend_from_slice(&prev.0.to_le_bytes());
            out.extend_from_slice(verb);
            out.extend_from_slice(&code.0.to_le_bytes());
        }
        for word in &self.sequences {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Coverage saved by [`Coverage::to_bytes`]; `None` for anything else (a file from another
    /// version, a torn write), which the campaign then ignores.
    pub fn from_bytes(bytes: &[u8]) -> Option<Coverage> {
        let rest = bytes.strip_prefix(COVERAGE_MAGIC)?;
        let (count, mut rest) = rest.split_first_chunk::<4>()?;
        let count = u32::from_le_bytes(*count) as usize;
        if count > MAX_TRANSITIONS || rest.len() != count * 8 + SEQUENCE_BITS / 8 {
            return None;
        }
        let mut c = Coverage::default();
        for _ in 0..count {
            let (t, tail) = rest.split_first_chunk::<8>()?;
            let prev = ReplyCode(u16::from_le_bytes([t[0], t[1]]));
            let verb = [t[2], t[3], t[4], t[5]];
            let code = ReplyCode(u16::from_le_bytes([t[6], t[7]]));
            c.transitions.insert((prev, verb, code));
            rest = tail;
        }
        for word in c.sequences.iter_mut() {
            let (w, tail) = rest.split_first_chunk::<8>()?;
            *word = u64::from_le_bytes(*w);
            c.sequence_count += word.count_ones() as usize;
            rest = tail;
        }
        Some(c)
    }
}

/// The first bytes of `DIR/coverage.bin`.
const COVERAGE_MAGIC: &[u8; 8] = b"FTPSCOV1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_survives_a_round_trip_and_rejects_other_bytes() {
        let mut c = Coverage::default();
        c.observe(&trace(&[(b"NOOP", 200), (b"EPSV", 229), (b"XXXX", 500)]));
        let bytes = c.to_bytes();
        let back = Coverage::from_bytes(&bytes).expect("parses");
        assert_eq!(back.states(), c.states());
        assert_eq!(back.sequences(), c.sequences());
        assert_eq!(back.to_bytes(), bytes);
        assert!(Coverage::from_bytes(&bytes[..bytes.len() - 1]).is_none());
        assert!(Coverage::from_bytes(b"something else").is_none());
    }
    use crate::fuzz::exec::trace::{Exchange, Seen};
    use crate::fuzz::input::line::Values;

    fn trace(replies: &[(&[u8], u16)]) -> Trace {
        let mut t = Trace::new(Values {
            client_ip: "127.0.0.1".parse().unwrap(),
            data_port: 0,
        });
        for (i, (verb, code)) in replies.iter().enumerate() {
            t.commands.push(Exchange {
                op: i,
                line: verb.to_vec(),
                verb: verb.to_vec(),
                transfer: false,
                replies: vec![Seen {
                    code: ReplyCode(*code),
                    text: Vec::new(),
                    act: i,
                    unparsed: None,
                }],
                ambiguous: false,
                behind_setup: false,
                bare_lf: false,
            });
        }
        t
    }

    #[test]
    fn new_transitions_and_sequences_count_once() {
        let mut cov = Coverage::default();
        let a = trace(&[(b"USER", 331), (b"PASS", 230), (b"EPSV", 229)]);
        let n = cov.observe(&a);
        assert_eq!(n.new_transitions, 3);
        assert!(n.new_sequence);
        assert!(!cov.observe(&a).is_new());
        // A repeat: a new transition.
        let b = trace(&[
            (b"USER", 331),
            (b"PASS", 230),
            (b"EPSV", 229),
            (b"EPSV", 229),
        ]);
        let n = cov.observe(&b);
        assert_eq!(n.new_transitions, 1, "229 → EPSV → 229 is new");
        assert!(
            !n.new_sequence,
            "the same sequence once repeats are collapsed"
        );
        // Only known transitions, a sequence not seen before: counted, not worth keeping.
        let c = trace(&[(b"USER", 331), (b"PASS", 230)]);
        let n = cov.observe(&c);
        assert!(n.new_sequence);
        assert!(!n.is_new(), "{n:?}");
        assert_eq!(cov.sequences(), 2);
    }

    #[test]
    fn unknown_verbs_share_one_class() {
        assert_eq!(verb_class(b"XYZZY"), verb_class(b"\x00\xff"));
        assert_eq!(&verb_class(b"CWD"), b"CWD ");
    }
}
