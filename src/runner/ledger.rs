//! What the earlier scenarios of a run saw, shared by all of them: context for a later failure
//! that a single dialogue cannot give.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// The passive-mode commands whose success the ledger counts.
pub const PASSIVE_VERBS: [&str; 2] = ["EPSV", "PASV"];

/// Shared by the scenarios of one run.
#[derive(Debug, Default)]
pub struct RunLedger {
    /// Verb → how many finished scenarios got it answered with its success code (229, 227).
    passive: Mutex<BTreeMap<&'static str, usize>>,
}

impl RunLedger {
    /// A scenario has finished; these passive commands worked in it.
    pub fn record_passive(&self, worked: &BTreeSet<&'static str>) {
        if let Ok(mut counts) = self.passive.lock() {
            for verb in worked {
                *counts.entry(verb).or_default() += 1;
            }
        }
    }

    /// How many finished scenarios of this run got `verb` answered with its success code.
    pub fn passive_count(&self, verb: &str) -> usize {
        self.passive
            .lock()
            .map(|c| c.get(verb).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// The note for a scenario that failed on `verb` (EPSV, PASV) after it worked in earlier
    /// scenarios: a server with a small passive range may be out of ports (listeners kept
    /// after their sessions, TIME_WAIT), which is not what this scenario tests.
    pub fn passive_note(&self, verb: &str) -> Option<String> {
        let n = self.passive_count(verb);
        (PASSIVE_VERBS.contains(&verb) && n > 0).then(|| {
            let s = if n == 1 { "" } else { "s" };
            format!(
                "{verb} worked in {n} earlier scenario{s} of this run; the server may be out of passive ports"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_scenarios_and_notes_only_after_a_success() {
        let ledger = RunLedger::default();
        assert_eq!(ledger.passive_note("EPSV"), None);
        ledger.record_passive(&["EPSV"].into_iter().collect());
        ledger.record_passive(&["EPSV", "PASV"].into_iter().collect());
        assert_eq!(ledger.passive_count("EPSV"), 2);
        assert_eq!(
            ledger.passive_note("EPSV").as_deref(),
            Some(
                "EPSV worked in 2 earlier scenarios of this run; the server may be out of passive ports"
            )
        );
        assert!(
            ledger
                .passive_note("PASV")
                .unwrap()
                .contains("1 earlier scenario of")
        );
        assert_eq!(ledger.passive_note("EPRT"), None);
    }
}
