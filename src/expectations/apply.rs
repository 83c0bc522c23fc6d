//! Expectation files applied to a finished run: a pure function from a [`RunReport`] to the
//! same report with [`Outcome::expectation`] filled in.
//!
//! For each outcome, the first deviation entry whose globs match its ID decides (files in the
//! order given, entries in file order):
//!
//! | actual verdict          | status                                          | counts as   |
//! |-------------------------|-------------------------------------------------|-------------|
//! | the expected one        | [`Expected`](ExpectationStatus::Expected) (XFAIL) | nothing   |
//! | PASS                    | [`UnexpectedPass`](ExpectationStatus::UnexpectedPass) (XPASS) | a failure |
//! | SKIP (expected another) | none: a scenario that did not run says nothing  | SKIP        |
//! | any other               | [`Mismatch`](ExpectationStatus::Mismatch)       | its verdict |
//!
//! Outcomes no entry matches are left as they are.

use super::error::ExpectationError;
use super::file::{Deviation, ExpectationFile};
use crate::runner::{Expectation, ExpectationStatus, Outcome, RunReport, Verdict};
use std::path::PathBuf;

/// Every expectation file of a run, in command-line order.
#[derive(Debug, Clone, Default)]
pub struct ExpectationSet {
    pub files: Vec<ExpectationFile>,
}

impl ExpectationSet {
    /// Loads every file; the first one that cannot be used is the error.
    pub fn load(paths: &[PathBuf]) -> Result<ExpectationSet, ExpectationError> {
        let files = paths
            .iter()
            .map(|p| ExpectationFile::load(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExpectationSet { files })
    }

    pub fn is_empty(&self) -> bool {
        self.files.iter().all(|f| f.deviations.is_empty())
    }

    /// Checks that every glob matches at least one of `ids` (the IDs of every loaded scenario,
    /// before selection by prefix or tag, so that running a subset never makes an entry stale).
    pub fn check_stale<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<(), ExpectationError> {
        for file in &self.files {
            for deviation in &file.deviations {
                for glob in &deviation.globs {
                    if !ids.clone().into_iter().any(|id| glob.is_match(id)) {
                        return Err(ExpectationError::Stale {
                            path: file.path.clone(),
                            line: glob.line,
                            entry: deviation.entry,
                            glob: glob.text.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The report with each outcome's expectation decided (see the module docs).
    pub fn apply(&self, mut report: RunReport) -> RunReport {
        for outcome in &mut report.outcomes {
            outcome.expectation = self.judge(outcome);
        }
        report
    }

    fn judge(&self, outcome: &Outcome) -> Option<Expectation> {
        let (file, deviation) = self.first_match(&outcome.id)?;
        let status = status(deviation.verdict, outcome.verdict)?;
        Some(Expectation {
            verdict: deviation.verdict,
            reason: deviation.reason.clone(),
            source: format!("{}:{}", file.path.display(), deviation.line),
            status,
        })
    }

    fn first_match(&self, id: &str) -> Option<(&ExpectationFile, &Deviation)> {
        self.files.iter().find_map(|file| {
            file.deviations
                .iter()
                .find(|d| d.matches(id))
                .map(|d| (file, d))
        })
    }
}

/// How `actual` compares with `expected`; `None` for a SKIP where something else was expected.
fn status(expected: Verdict, actual: Verdict) -> Option<ExpectationStatus> {
    if actual == expected {
        return Some(ExpectationStatus::Expected);
    }
    match actual {
        Verdict::Pass => Some(ExpectationStatus::UnexpectedPass),
        Verdict::Skip => None,
        Verdict::Fail | Verdict::Warn | Verdict::Info | Verdict::Blocked | Verdict::Error => {
            Some(ExpectationStatus::Mismatch)
        }
    }
}

/// How a run ends once expectations are applied; the CLI maps it to exit codes 0, 1 and 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Nothing unexpected went wrong (WARN, INFO, SKIP and expected deviations allowed).
    Passed,
    /// An unexpected FAIL, or an unexpected pass (XPASS): exit code 1.
    Failed,
    /// No failure, but a scenario could not be run and no file expected it: exit code 2.
    Errored,
}

/// The run's status: FAIL and XPASS first, then ERROR.
pub fn run_status(report: &RunReport) -> RunStatus {
    if report.failed() {
        RunStatus::Failed
    } else if report.errored() {
        RunStatus::Errored
    } else {
        RunStatus::Passed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{Level, Spec};
    use std::path::Path;
    use std::time::Duration;

    fn outcome(id: &str, verdict: Verdict) -> Outcome {
        Outcome {
            id: id.into(),
            title: String::new(),
            area: id.rsplit_once('.').map_or(id, |(a, _)| a).into(),
            spec: Spec {
                rfc: "RFC2428".into(),
                section: "§2".into(),
                level: Level::Must,
            },
            level: Level::Must,
            requirement: String::new(),
            tags: Vec::new(),
            verdict,
            reason: None,
            failure: None,
            notes: Vec::new(),
            covered_by: None,
            cause: None,
            transcript: Default::default(),
            duration: Duration::ZERO,
            expectation: None,
        }
    }

    fn report(outcomes: Vec<Outcome>) -> RunReport {
        RunReport {
            tool_version: "0".into(),
            started_unix: 0,
            target: "t".into(),
            banner: None,
            strict: false,
            preflight: None,
            outcomes,
            causes: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    fn set(texts: &[(&str, &str)]) -> ExpectationSet {
        ExpectationSet {
            files: texts
                .iter()
                .map(|(name, text)| ExpectationFile::parse(text, Path::new(name)).unwrap())
                .collect(),
        }
    }

    const FILE: &str = r#"
[[deviation]]
ids = ["a.b.fail-*"]
verdict = "FAIL"
reason = "known to fail"

[[deviation]]
ids = ["a.b.warn"]
verdict = "WARN"
reason = "known to warn"

[[deviation]]
ids = ["a.b.*"]
verdict = "ERROR"
reason = "everything else errors"
"#;

    fn statuses(report: &RunReport) -> Vec<(String, Option<ExpectationStatus>)> {
        report
            .outcomes
            .iter()
            .map(|o| (o.id.clone(), o.expectation.as_ref().map(|e| e.status)))
            .collect()
    }

    #[test]
    fn statuses_follow_the_actual_verdict() {
        use ExpectationStatus::*;
        let applied = set(&[("e.toml", FILE)]).apply(report(vec![
            outcome("a.b.fail-1", Verdict::Fail),
            outcome("a.b.fail-2", Verdict::Pass),
            outcome("a.b.fail-3", Verdict::Error),
            outcome("a.b.fail-4", Verdict::Skip),
            outcome("a.b.warn", Verdict::Warn),
            outcome("a.b.other", Verdict::Error),
            outcome("x.y.z", Verdict::Fail),
        ]));
        let expected = [
            ("a.b.fail-1", Some(Expected)),
            ("a.b.fail-2", Some(UnexpectedPass)),
            ("a.b.fail-3", Some(Mismatch)),
            ("a.b.fail-4", None),
            ("a.b.warn", Some(Expected)),
            ("a.b.other", Some(Expected)),
            ("x.y.z", None),
        ];
        let expected: Vec<_> = expected.iter().map(|(i, s)| (i.to_string(), *s)).collect();
        assert_eq!(statuses(&applied), expected);
        let first = applied.outcomes[0].expectation.as_ref().unwrap();
        assert_eq!(first.verdict, Verdict::Fail);
        assert_eq!(first.reason, "known to fail");
        assert_eq!(first.source, "e.toml:4");
    }

    #[test]
    fn the_first_matching_entry_decides_across_files() {
        let other = "[[deviation]]\nids = [\"a.b.warn\"]\nverdict = \"INFO\"\nreason = \"r\"\n";
        let applied = set(&[("first.toml", other), ("second.toml", FILE)])
            .apply(report(vec![outcome("a.b.warn", Verdict::Warn)]));
        let e = applied.outcomes[0].expectation.as_ref().unwrap();
        assert_eq!(e.status, ExpectationStatus::Mismatch);
        assert_eq!(e.source, "first.toml:3");
    }

    #[test]
    fn exit_status_counts_only_what_was_not_expected() {
        let expectations = set(&[("e.toml", FILE)]);
        let status = |outcomes| run_status(&expectations.apply(report(outcomes)));
        assert_eq!(
            status(vec![outcome("a.b.fail-1", Verdict::Fail)]),
            RunStatus::Passed
        );
        assert_eq!(
            status(vec![outcome("a.b.other", Verdict::Error)]),
            RunStatus::Passed
        );
        assert_eq!(
            status(vec![outcome("a.b.fail-1", Verdict::Pass)]),
            RunStatus::Failed
        );
        assert_eq!(
            status(vec![outcome("x.y.z", Verdict::Fail)]),
            RunStatus::Failed
        );
        assert_eq!(
            status(vec![outcome("a.b.fail-1", Verdict::Error)]),
            RunStatus::Errored
        );
        assert_eq!(
            status(vec![outcome("a.b.warn", Verdict::Fail)]),
            RunStatus::Failed
        );
        assert_eq!(
            status(vec![
                outcome("a.b.fail-1", Verdict::Error),
                outcome("a.b.fail-2", Verdict::Pass),
            ]),
            RunStatus::Failed
        );
        assert_eq!(
            status(vec![
                outcome("x.y.z", Verdict::Warn),
                outcome("x.y.w", Verdict::Skip)
            ]),
            RunStatus::Passed
        );
    }

    #[test]
    fn without_expectations_nothing_changes() {
        let outcomes = vec![
            outcome("a.b.c", Verdict::Fail),
            outcome("a.b.d", Verdict::Error),
        ];
        let applied = ExpectationSet::default().apply(report(outcomes.clone()));
        assert_eq!(applied.outcomes, outcomes);
        assert_eq!(run_status(&applied), RunStatus::Failed);
        let errors = report(vec![outcome("a.b.d", Verdict::Error)]);
        assert_eq!(run_status(&errors), RunStatus::Errored);
        assert_eq!(run_status(&report(Vec::new())), RunStatus::Passed);
    }

    #[test]
    fn stale_globs_are_named_with_file_line_and_entry() {
        let expectations = set(&[("e.toml", FILE)]);
        let ids = ["a.b.fail-1", "a.b.warn"];
        assert!(expectations.check_stale(ids).is_ok());
        let err = expectations.check_stale(["a.b.warn"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "e.toml:3: deviation 1: \"a.b.fail-*\" matches no scenario in the loaded suites \
             (stale entry: update or remove it)"
        );
        let err = expectations.check_stale(["a.b.fail-1"]).unwrap_err();
        assert!(
            err.to_string().starts_with("e.toml:8: deviation 2:"),
            "{err}"
        );
    }
}
