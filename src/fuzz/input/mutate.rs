//! A seeded PRNG and byte-level mutation of stored inputs (flip, insert, delete, splice,
//! truncate, and repeating whole operations). Decoding the mutated bytes as a
//! [`crate::fuzz::Dialogue`] turns byte mutations into structural ones.
//!
//! The PRNG is hand-written (SplitMix64, a dozen lines) rather than a dependency: runs must be
//! repeatable from `--seed` across versions, which a crate's generator does not promise.

use crate::fuzz::input::dialogue::MAX_INPUT;

pub use crate::rng::Rng;

/// A fresh random input of 16–512 bytes.
pub fn fresh(rng: &mut Rng) -> Vec<u8> {
    let len = 16 + rng.below(497);
    rng.bytes(len)
}

/// One to four stacked mutations of `input`; `other` (another corpus entry) feeds splices.
/// The result is never longer than [`MAX_INPUT`].
pub fn mutate(rng: &mut Rng, input: &[u8], other: Option<&[u8]>) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        match rng.below(6) {
            0 => flip(rng, &mut out),
            1 => insert(rng, &mut out),
            2 => delete(rng, &mut out),
            3 => splice(rng, &mut out, other),
            4 => truncate(rng, &mut out),
            _ => set_byte(rng, &mut out),
        }
    }
    out.truncate(MAX_INPUT);
    out
}

/// Repeats one to three consecutive operations of `input` 1–11 more times, right after
/// themselves; `starts` are where the operations' bytes begin
/// ([`Shape::decode_spans`](crate::fuzz::input::shape::Shape::decode_spans)).
///
/// Byte mutations almost never repeat whole operations, and some faults show only after many
/// of the same: ten passive setups on one session, ten EPRT-and-transfer pairs. Decoding reads
/// bytes in order, so a copy of operations' bytes placed where an operation starts decodes to
/// the same operations (or close ones: a few choices read a length from the input's end).
pub fn repeat_op(rng: &mut Rng, input: &[u8], starts: &[usize]) -> Vec<u8> {
    let mut out = input.to_vec();
    if starts.is_empty() {
        return out;
    }
    let i = rng.below(starts.len());
    let run = 1 + rng.below(3);
    let from = starts[i].min(out.len());
    let to = starts
        .get(i + run)
        .copied()
        .unwrap_or(out.len())
        .clamp(from, out.len());
    let ops = out[from..to].to_vec();
    let copies = 1 + rng.below(11);
    out.splice(to..to, ops.iter().copied().cycle().take(ops.len() * copies));
    out.truncate(MAX_INPUT);
    out
}

/// Flips one bit.
fn flip(rng: &mut Rng, out: &mut [u8]) {
    if out.is_empty() {
        return;
    }
    let i = rng.below(out.len());
    out[i] ^= 1 << rng.below(8);
}

/// Replaces one byte with a random one (changes a whole choice at once).
fn set_byte(rng: &mut Rng, out: &mut [u8]) {
    if out.is_empty() {
        return;
    }
    let i = rng.below(out.len());
    out[i] = rng.byte();
}

/// Inserts 1–32 random bytes.
fn insert(rng: &mut Rng, out: &mut Vec<u8>) {
    let at = rng.below(out.len() + 1);
    let n = 1 + rng.below(32);
    let bytes = rng.bytes(n);
    out.splice(at..at, bytes);
}

/// Deletes 1–32 bytes.
fn delete(rng: &mut Rng, out: &mut Vec<u8>) {
    if out.is_empty() {
        return;
    }
    let at = rng.below(out.len());
    let n = (1 + rng.below(32)).min(out.len() - at);
    out.drain(at..at + n);
}

/// Replaces the tail with the tail of another input (or of itself).
fn splice(rng: &mut Rng, out: &mut Vec<u8>, other: Option<&[u8]>) {
    let donor = other.map(<[u8]>::to_vec).unwrap_or_else(|| out.clone());
    if donor.is_empty() {
        return;
    }
    let at = rng.below(out.len() + 1);
    let from = rng.below(donor.len());
    out.truncate(at);
    out.extend_from_slice(&donor[from..]);
}

/// Cuts the input short (drops trailing operations).
fn truncate(rng: &mut Rng, out: &mut Vec<u8>) {
    if out.len() > 1 {
        let keep = 1 + rng.below(out.len() - 1);
        out.truncate(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let input = b"some stored input bytes".to_vec();
        for _ in 0..100 {
            assert_eq!(
                mutate(&mut a, &input, Some(b"other")),
                mutate(&mut b, &input, Some(b"other"))
            );
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn repeat_op_repeats_an_operation() {
        use crate::fuzz::input::dialogue::Op;
        use crate::fuzz::input::shape::Shape;
        let shape = Shape::default();
        let mut rng = Rng::new(3);
        let input = fresh(&mut rng);
        let (before, starts) = shape.decode_spans(&input);
        assert_eq!(before.ops.len(), starts.len());
        let mut repeated = false;
        for _ in 0..50 {
            let (after, _) = shape.decode_spans(&repeat_op(&mut rng, &input, &starts));
            // Some operation now appears at least twice in a row where it did not before.
            let runs = |ops: &[Op]| ops.windows(2).filter(|w| w[0] == w[1]).count();
            repeated |= runs(&after.ops) > runs(&before.ops);
        }
        assert!(repeated, "{before:?}");
        assert_eq!(repeat_op(&mut rng, b"", &[]), b"");
    }

    #[test]
    fn mutations_stay_bounded() {
        let mut rng = Rng::new(7);
        let mut input = fresh(&mut rng);
        for _ in 0..2000 {
            input = mutate(&mut rng, &input, None);
            assert!(input.len() <= MAX_INPUT);
        }
        assert_eq!(rng.below(0), 0);
    }
}
