//! How long the target takes to answer, measured as a campaign runs, and the waits derived
//! from it.
//!
//! A fuzz dialogue waits in two places where no event can end the wait early: a transfer
//! nobody serves (did the refusal come, or does the server wait for a data connection?) and a
//! command whose reply does not come (RFC 959 §4.2: every command gets one). Waiting a fixed
//! `--timeout` there made a dialogue cost seconds against a server that answers in
//! microseconds. With measured waits, both waits scale with the replies already seen: the
//! smoothed reply time times a generous factor, plus a floor for scheduling noise, never more
//! than the configured timeout. A reply missed by a measured wait is not lost — it is read
//! when it comes — and a finding that rests on a missing reply is confirmed with the full
//! timeout before it is reported (see `campaign`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How a dialogue waits where only a timer can end the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Waits {
    /// Scaled to the measured reply time (exploration; the default).
    Measured,
    /// The full `--timeout` every time (confirmation, minimisation checks, `--waits full`).
    Full,
}

/// Smoothed reply time of the target (shared by every job of a campaign).
#[derive(Debug, Default)]
pub struct Latency {
    /// Exponentially weighted moving average, in microseconds; 0 until the first sample.
    ewma_us: AtomicU64,
}

/// The wait for a reply that may never come: this many smoothed reply times...
const PATIENCE_FACTOR: u32 = 50;
/// ... plus this much.
const PATIENCE_FLOOR: Duration = Duration::from_millis(20);
/// The look at an unserved transfer: this many smoothed reply times...
const LOOK_FACTOR: u32 = 10;
/// ... plus this much.
const LOOK_FLOOR: Duration = Duration::from_millis(2);
/// Before the first sample: assume a slow server.
const UNMEASURED: Duration = Duration::from_millis(20);

impl Latency {
    /// A reply came `elapsed` after its command was sent. Weight 1/8, as TCP's SRTT
    /// (RFC 6298 §2).
    pub fn observe(&self, elapsed: Duration) {
        let sample = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // A lost update between jobs only loses one sample of a moving average.
        let old = self.ewma_us.load(Ordering::Relaxed);
        let new = match old {
            0 => sample,
            _ => old - old / 8 + sample / 8,
        };
        self.ewma_us.store(new.max(1), Ordering::Relaxed);
    }

    /// The smoothed reply time (a slow guess before any reply was measured).
    pub fn smoothed(&self) -> Duration {
        match self.ewma_us.load(Ordering::Relaxed) {
            0 => UNMEASURED,
            us => Duration::from_micros(us),
        }
    }

    /// How long to wait for a reply before judging it missing, at most `timeout`.
    pub fn patience(&self, timeout: Duration) -> Duration {
        (PATIENCE_FLOOR + self.smoothed().saturating_mul(PATIENCE_FACTOR)).min(timeout)
    }

    /// How long to look for a prompt refusal of a transfer nobody serves, at most `cap`.
    pub fn look(&self, cap: Duration) -> Duration {
        (LOOK_FLOOR + self.smoothed().saturating_mul(LOOK_FACTOR)).min(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_any_sample_the_waits_assume_a_slow_server() {
        let l = Latency::default();
        assert_eq!(l.smoothed(), UNMEASURED);
        assert_eq!(
            l.patience(Duration::from_secs(2)),
            PATIENCE_FLOOR + UNMEASURED * PATIENCE_FACTOR
        );
    }

    #[test]
    fn the_first_sample_sets_the_average_and_later_ones_move_it_by_an_eighth() {
        let l = Latency::default();
        l.observe(Duration::from_micros(800));
        assert_eq!(l.smoothed(), Duration::from_micros(800));
        l.observe(Duration::from_micros(1600));
        assert_eq!(l.smoothed(), Duration::from_micros(900));
    }

    #[test]
    fn waits_scale_with_the_server_and_never_exceed_the_timeout() {
        let fast = Latency::default();
        fast.observe(Duration::from_micros(100));
        assert_eq!(
            fast.patience(Duration::from_secs(2)),
            Duration::from_millis(25)
        );
        assert_eq!(
            fast.look(Duration::from_millis(200)),
            Duration::from_millis(3)
        );
        let slow = Latency::default();
        slow.observe(Duration::from_millis(500));
        assert_eq!(
            slow.patience(Duration::from_secs(2)),
            Duration::from_secs(2)
        );
        assert_eq!(
            slow.look(Duration::from_millis(200)),
            Duration::from_millis(200)
        );
    }

    #[test]
    fn a_zero_sample_still_counts_as_measured() {
        let l = Latency::default();
        l.observe(Duration::ZERO);
        assert_eq!(l.smoothed(), Duration::from_micros(1));
    }
}
