//! A shared, clock-stamped handle on a [`Transcript`]. The control connection and every data
//! connection of a scenario write into the same recorder; the runner keeps a clone so the
//! transcript survives even when a scenario is cut off by its wall-clock limit.
//!
//! A [`Recorder::discarding`] keeps nothing, for a driver that has no use for a transcript.

use super::transcript::{Channel, Direction, Transcript};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct Recorder {
    start: Instant,
    /// `None`: a [`Recorder::discarding`].
    inner: Option<Arc<Mutex<Transcript>>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            start: Instant::now(),
            inner: Some(Arc::new(Mutex::new(Transcript::default()))),
        }
    }

    /// A recorder that keeps nothing; its snapshot is always empty. For the in-process fuzz
    /// driver ([`crate::fuzz::inproc`]): its traces carry what its oracles judge, nobody reads
    /// a transcript there, and keeping one cost about 2% of its instructions per dialogue.
    pub fn discarding() -> Recorder {
        Recorder {
            start: Instant::now(),
            inner: None,
        }
    }

    /// False for a [`Recorder::discarding`]: what is about to be recorded need not be prepared.
    pub fn is_recording(&self) -> bool {
        self.inner.is_some()
    }

    /// The transcript, if this recorder keeps one. A poisoned lock only means another task
    /// panicked while holding it; the transcript is still the best record we have.
    fn transcript(&self) -> Option<std::sync::MutexGuard<'_, Transcript>> {
        let inner = self.inner.as_ref()?;
        Some(inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn record(&self, channel: Channel, direction: Direction, bytes: &[u8]) {
        let at = self.start.elapsed();
        if let Some(mut t) = self.transcript() {
            t.push(at, channel, direction, bytes);
        }
    }

    pub fn event(&self, channel: Channel, text: &str) {
        self.record(channel, Direction::Event, text.as_bytes());
    }

    /// Notes a reply that broke the reply syntax (RFC 959 §4.2), wherever it was read.
    pub fn violation(&self, description: String) {
        if let Some(mut t) = self.transcript() {
            t.violation(description);
        }
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> Transcript {
        self.transcript().map(|t| t.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discarding_recorder_keeps_nothing_and_clones_share_a_transcript() {
        let off = Recorder::discarding();
        off.record(Channel::Control, Direction::Sent, b"NOOP\r\n");
        off.violation("bare LF".into());
        assert!(!off.is_recording());
        assert_eq!(off.snapshot(), Transcript::default());

        let on = Recorder::new();
        on.clone()
            .record(Channel::Control, Direction::Sent, b"NOOP\r\n");
        on.violation("bare LF".into());
        let seen = on.snapshot();
        assert_eq!((seen.entries.len(), seen.violations.len()), (1, 1));
    }
}
