//! Missed replies that full waits keep refuting. A silence found with a measured wait is
//! rerun with the full `--timeout` before it is believed (see `Campaign::confirm`); a kind of
//! miss (a finding key) that the rerun refuted [`MAX_REFUTED`] times is the target's slowness
//! at that point, not a defect, and is not rerun any more: each rerun costs a full timeout,
//! and against vsftpd such reruns took a third of a campaign's time.

use crate::fuzz::judge::finding::FindingKey;
use std::collections::HashMap;

/// How often full waits may refute one kind of missed reply before it is no longer rerun.
pub const MAX_REFUTED: u32 = 4;

/// Refutations per finding key.
#[derive(Debug, Default)]
pub struct Refuted(HashMap<FindingKey, u32>);

impl Refuted {
    /// Whether a miss of this kind is still worth a rerun with full waits.
    pub fn worth_rerun(&self, key: &FindingKey) -> bool {
        self.0.get(key).copied().unwrap_or(0) < MAX_REFUTED
    }

    /// A rerun with full waits did not show this kind of miss again.
    pub fn refute(&mut self, key: FindingKey) {
        *self.0.entry(key).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::judge::oracle::Oracle;

    #[test]
    fn a_kind_of_miss_is_rerun_until_refuted_a_few_times() {
        let mut r = Refuted::default();
        let key: FindingKey = (Oracle::Silence, 7);
        let other: FindingKey = (Oracle::Silence, 8);
        for _ in 0..MAX_REFUTED {
            assert!(r.worth_rerun(&key));
            r.refute(key);
        }
        assert!(!r.worth_rerun(&key));
        assert!(r.worth_rerun(&other));
    }
}
