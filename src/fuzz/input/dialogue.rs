//! A [`Dialogue`]: what one fuzz execution does on one control connection, decoded from bytes
//! with `arbitrary` — login or not, then at most [`MAX_OPS`] operations.
//!
//! Byte-level mutation of a stored input followed by decoding gives structure-aware mutation:
//! flipping a byte changes a choice (a delimiter, a verb, a data plan), inserting bytes adds
//! operations, truncating drops them. Any byte string decodes; an exhausted input decodes to
//! the first (valid) variant of every choice.

use crate::fuzz::input::ops::{ByteLine, Cmd, MAX_PIPELINE, Overlong, Transfer, pick};
use arbitrary::{Arbitrary, Result, Unstructured};

/// Most operations in one dialogue.
pub const MAX_OPS: usize = 24;
/// Most bytes an input may have; longer inputs are cut before decoding.
pub const MAX_INPUT: usize = 4096;

/// One execution: log in (USER/PASS with the target's credentials) or not, then the operations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dialogue {
    pub login: bool,
    pub ops: Vec<Op>,
}

/// One step of a dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    /// One command line, CRLF appended.
    Cmd(Cmd),
    /// A transfer command with what to do on its data connection.
    Transfer(Transfer),
    /// ABOR with the Telnet "special action": IAC IP, IAC DM as urgent data (RFC 959 §4.1.3).
    UrgentAbort,
    /// Raw bytes, exactly as given.
    Raw(ByteLine),
    Overlong(Overlong),
    /// Several command lines in one write (RFC 1123 §4.1.2.10: read boundaries need not match
    /// line ends).
    Pipeline(Vec<Cmd>),
    /// One command line split across two writes, after `at` bytes.
    Split {
        cmd: Cmd,
        at: u8,
    },
    Data(DataOp),
}

/// A data-connection action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum DataOp {
    /// Connect to the port the last 227/229 named, at the control connection's peer address —
    /// from 127.0.0.2 when `foreign` (the port thief of RFC 2577 §4; loopback targets only).
    Connect { foreign: bool },
    /// Wait for the server to connect to ftpspec's listener (after EPRT/PORT).
    Accept,
    /// Read the open data connection to EOF (bounded).
    Read,
    /// Write bytes on the open data connection.
    Write(crate::fuzz::input::bytes::Small),
    /// Close the open data connection (or the listener's pending one).
    Close,
}

impl<'a> Arbitrary<'a> for Op {
    /// Weighted: commands 12, transfers 4, data actions 3, raw lines 2, the rest 1.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        const WEIGHTS: [u32; 8] = [12, 4, 1, 2, 1, 1, 1, 3];
        Ok(match pick(u, &WEIGHTS)? {
            0 => Op::Cmd(u.arbitrary()?),
            1 => Op::Transfer(u.arbitrary()?),
            2 => Op::UrgentAbort,
            3 => Op::Raw(u.arbitrary()?),
            4 => Op::Overlong(u.arbitrary()?),
            5 => {
                let n = u.int_in_range(2..=MAX_PIPELINE)?;
                let mut cmds = Vec::with_capacity(n);
                for _ in 0..n {
                    cmds.push(u.arbitrary()?);
                }
                Op::Pipeline(cmds)
            }
            6 => Op::Split {
                cmd: u.arbitrary()?,
                at: u.arbitrary()?,
            },
            _ => Op::Data(u.arbitrary()?),
        })
    }
}

impl Dialogue {
    /// Decodes any bytes (at most [`MAX_INPUT`] are looked at) into a bounded dialogue of the
    /// whole grammar (see [`Shape`](crate::fuzz::input::shape::Shape) for focused ones).
    pub fn decode(input: &[u8]) -> Dialogue {
        crate::fuzz::input::shape::Shape::default().decode(input)
    }

    /// A short human-readable listing, one operation per line, for finding files.
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![format!("login: {}", self.login)];
        out.extend(self.ops.iter().map(|op| format!("{op:?}")));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_bytes_decode_within_bounds() {
        let mut state = 0x1234_5678_9abc_def0u64;
        for len in [0usize, 1, 7, 64, 512, 4096, 10_000] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let d = Dialogue::decode(&bytes);
            assert!(d.ops.len() <= MAX_OPS);
            for op in &d.ops {
                if let Op::Pipeline(cmds) = op {
                    assert!((2..=MAX_PIPELINE).contains(&cmds.len()));
                }
            }
        }
    }

    #[test]
    fn empty_input_logs_in_and_does_nothing() {
        let d = Dialogue::decode(&[]);
        assert!(d.login);
        assert!(d.ops.is_empty());
    }

    #[test]
    fn decoding_is_deterministic() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(900).collect();
        let a = Dialogue::decode(&bytes);
        assert_eq!(a, Dialogue::decode(&bytes));
    }
}
