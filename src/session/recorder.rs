//! A shared, clock-stamped handle on a [`Transcript`]. The control connection and every data
//! connection of a scenario write into the same recorder; the runner keeps a clone so the
//! transcript survives even when a scenario is cut off by its wall-clock limit.

use super::transcript::{Channel, Direction, Transcript};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct Recorder {
    start: Instant,
    inner: Arc<Mutex<Transcript>>,
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
            inner: Arc::new(Mutex::new(Transcript::default())),
        }
    }

    pub fn record(&self, channel: Channel, direction: Direction, bytes: &[u8]) {
        let at = self.start.elapsed();
        // A poisoned lock only means another task panicked while holding it; the transcript is
        // still the best record we have.
        let mut t = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        t.push(at, channel, direction, bytes);
    }

    pub fn event(&self, channel: Channel, text: &str) {
        self.record(channel, Direction::Event, text.as_bytes());
    }

    /// Notes a reply that broke the reply syntax (RFC 959 §4.2), wherever it was read.
    pub fn violation(&self, description: String) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .violation(description);
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> Transcript {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
