//! A record of every byte both ways, with timestamps, for failure reports and JSON.
//!
//! Passwords never enter a transcript: the session records `PASS ****` in place of the real line.

use std::time::Duration;

/// Which connection an entry belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Control,
    /// A data connection or listener, by its scenario name (`data`, `thief`).
    Data(String),
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Bytes ftpspec sent.
    Sent,
    /// Bytes the target sent.
    Received,
    /// Something that is not bytes: a connection opened or closed, a timeout, urgent data.
    Event,
}

/// One transcript line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Time since the scenario started.
    pub at: Duration,
    pub channel: Channel,
    pub direction: Direction,
    /// The exact bytes (for events, a description in ASCII). The JSON reporter writes them as
    /// text with escapes (`report::json`, which keeps its wire types apart from these).
    pub bytes: Vec<u8>,
}

/// Most entries kept, and most bytes of data-connection payload kept per entry: a transcript is
/// for reading, and a server that floods must not make it grow without bound.
pub const MAX_ENTRIES: usize = 2000;
pub const MAX_DATA_BYTES_PER_ENTRY: usize = 512;

/// The dialogue of one scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    pub entries: Vec<Entry>,
    /// How many entries were dropped past [`MAX_ENTRIES`].
    pub dropped: usize,
    /// Replies that broke RFC 959 §4.2, described (at most [`MAX_VIOLATIONS`]).
    pub violations: Vec<String>,
}

/// Most reply-syntax violations kept per transcript.
pub const MAX_VIOLATIONS: usize = 32;

impl Transcript {
    /// Records a reply that broke the reply syntax (RFC 959 §4.2).
    pub fn violation(&mut self, description: String) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(description);
        }
    }

    pub fn push(&mut self, at: Duration, channel: Channel, direction: Direction, bytes: &[u8]) {
        if self.entries.len() >= MAX_ENTRIES {
            self.dropped += 1;
            return;
        }
        let keep = match channel {
            Channel::Control => bytes.len(),
            Channel::Data(_) => bytes.len().min(MAX_DATA_BYTES_PER_ENTRY),
        };
        let mut kept = bytes[..keep].to_vec();
        if keep < bytes.len() {
            kept.extend_from_slice(format!("... ({} bytes in all)", bytes.len()).as_bytes());
        }
        self.entries.push(Entry {
            at,
            channel,
            direction,
            bytes: kept,
        });
    }
}

/// Re-exported: transcripts and every reporter escape bytes the one way `proto` does.
pub use crate::proto::escape_bytes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_entries_are_truncated_and_count_is_bounded() {
        let mut t = Transcript::default();
        t.push(
            Duration::ZERO,
            Channel::Data("d".into()),
            Direction::Received,
            &[b'x'; 4096],
        );
        assert!(t.entries[0].bytes.len() < 600);
        for _ in 0..MAX_ENTRIES + 5 {
            t.push(
                Duration::ZERO,
                Channel::Control,
                Direction::Sent,
                b"NOOP\r\n",
            );
        }
        assert_eq!(t.entries.len(), MAX_ENTRIES);
        assert_eq!(t.dropped, 6);
    }
}
