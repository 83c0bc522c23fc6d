//! Expectation files applied to a finished run: a pure function from a [`RunReport`] to the
//! same report with [`Outcome::expectation`] filled in.
//!
//! For each outcome, the first deviation entry that matches it decides — by its ID (`ids`), the
//! summary of its cause (`cause`), or both (see [`Deviation::matches`]) — files in the order
//! given, entries in file order:
//!
//! | actual verdict          | status                                          | counts as   |
//! |-------------------------|-------------------------------------------------|-------------|
//! | the expected one        | [`Expected`](ExpectationStatus::Expected) (XFAIL) | nothing   |
//! | PASS                    | [`UnexpectedPass`](ExpectationStatus::UnexpectedPass) (XPASS) | a failure |
//! | SKIP (expected another) | none: a scenario that did not run says nothing  | SKIP        |
//! | any other               | [`Mismatch`](ExpectationStatus::Mismatch)       | its verdict |
//!
//! Outcomes no entry matches are left as they are.
//!
//! First match means order matters when one defect shows with two verdicts: for a cause that is
//! FAIL in the scenario testing the command and BLOCKED where the command was only the setup,
//! write the narrower entry first (`ids` and `cause`, `verdict = "FAIL"`), then the `cause`
//! entry with `verdict = "BLOCKED"`; the other way round the FAIL would be a mismatch.
//!
//! `ids` are checked against the loaded scenarios before the run ([`ExpectationSet::check_stale`]);
//! a `cause` can only be judged after it. One that matched no outcome of the run is not an
//! error — the server may have fixed the defect, or this run may not have selected the
//! scenarios that show it — but [`ExpectationSet::unmatched_causes`] names it, for a warning.

use super::error::ExpectationError;
use super::file::{Deviation, ExpectationFile};
use crate::runner::{Expectation, ExpectationStatus, Outcome, RunReport, Verdict};
use std::collections::BTreeMap;
use std::fmt;
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

    /// Checks that every `ids` glob matches at least one of `ids` (the IDs of every loaded
    /// scenario, before selection by prefix or tag, so that running a subset never makes an
    /// entry stale). `cause` globs are not checked here: no cause exists before the run.
    pub fn check_stale<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<(), ExpectationError> {
        for file in &self.files {
            for deviation in &file.deviations {
                for glob in &deviation.ids {
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
        let summaries = summaries(&report);
        let decided: Vec<Option<Expectation>> = report
            .outcomes
            .iter()
            .map(|o| self.judge(o, cause_summary(&summaries, o)))
            .collect();
        for (outcome, expectation) in report.outcomes.iter_mut().zip(decided) {
            outcome.expectation = expectation;
        }
        report
    }

    /// The entries with a `cause` that no outcome of `report` matched, in file order: for each,
    /// its defect did not show (fixed, or worded differently now), or the run did not select
    /// the scenarios that show it. An entry whose `ids` match no outcome of the run is left out:
    /// its scenarios were not run, so their causes say nothing.
    ///
    /// Not an error, since a subset run legitimately misses causes; the CLI shows these as
    /// warnings. A scenario an entry names by `ids` that now passes is an XPASS all the same.
    pub fn unmatched_causes(&self, report: &RunReport) -> Vec<UnmatchedCause> {
        let summaries = summaries(report);
        let mut unmatched = Vec::new();
        for file in &self.files {
            for deviation in &file.deviations {
                let Some(glob) = &deviation.cause else {
                    continue;
                };
                let candidates: Vec<&Outcome> = report
                    .outcomes
                    .iter()
                    .filter(|o| {
                        deviation.ids.is_empty() || deviation.ids.iter().any(|g| g.is_match(&o.id))
                    })
                    .collect();
                let matched = candidates.iter().any(|o| {
                    cause_summary(&summaries, o)
                        .is_some_and(|summary| deviation.matches(&o.id, Some(summary)))
                });
                if !candidates.is_empty() && !matched {
                    unmatched.push(UnmatchedCause {
                        path: file.path.clone(),
                        line: glob.line,
                        entry: deviation.entry,
                        glob: glob.text.clone(),
                    });
                }
            }
        }
        unmatched
    }

    fn judge(&self, outcome: &Outcome, cause: Option<&str>) -> Option<Expectation> {
        let (file, deviation) = self.first_match(&outcome.id, cause)?;
        let status = status(deviation.verdict, outcome.verdict)?;
        Some(Expectation {
            verdict: deviation.verdict,
            reason: deviation.reason.clone(),
            source: format!("{}:{}", file.path.display(), deviation.line),
            status,
        })
    }

    fn first_match(&self, id: &str, cause: Option<&str>) -> Option<(&ExpectationFile, &Deviation)> {
        self.files.iter().find_map(|file| {
            file.deviations
                .iter()
                .find(|d| d.matches(id, cause))
                .map(|d| (file, d))
        })
    }
}

/// Cause ID → its summary.
fn summaries(report: &RunReport) -> BTreeMap<&str, &str> {
    report
        .causes
        .iter()
        .map(|c| (c.id.as_str(), c.summary.as_str()))
        .collect()
}

/// The summary of the outcome's cause, if it has one.
fn cause_summary<'r>(summaries: &BTreeMap<&str, &'r str>, outcome: &Outcome) -> Option<&'r str> {
    summaries.get(outcome.cause.as_deref()?).copied()
}

/// An expectation entry whose `cause` matched no outcome of the run (see
/// [`ExpectationSet::unmatched_causes`]); its `Display` is one line for a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedCause {
    pub path: PathBuf,
    /// The line of the `cause` key.
    pub line: usize,
    /// The entry, 1-based in file order.
    pub entry: usize,
    pub glob: String,
}

impl fmt::Display for UnmatchedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: deviation {}: cause {:?} matched no scenario of this run: the defect may be \
             fixed, or reads differently now (update or remove the entry), or this run did not \
             select the scenarios that show it",
            self.path.display(),
            self.line,
            self.entry,
            self.glob
        )
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
    /// No failure, but a scenario could not be run (ERROR) or its requirement could not be
    /// exercised (BLOCKED), and no file expected it: exit code 2.
    Errored,
}

/// The run's status: FAIL and XPASS first, then ERROR and BLOCKED.
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
    use crate::report::fixture::outcome;
    use std::path::Path;
    use std::time::Duration;

    fn report(outcomes: Vec<Outcome>) -> RunReport {
        RunReport {
            tool_version: "0".into(),
            started_unix: 0,
            target: "t".into(),
            label: None,
            banner: None,
            strict: false,
            preflight: None,
            outcomes,
            causes: Vec::new(),
            duration: Duration::ZERO,
            tls: None,
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

    /// One defect in three scenarios: the scenario testing TYPE fails, two that needed it as
    /// setup are BLOCKED; and a passing scenario, and an unrelated failure.
    fn type_refused() -> RunReport {
        let mut outcomes = vec![
            outcome("a.epsv.transfer", Verdict::Blocked),
            outcome("a.pasv.accepted", Verdict::Blocked),
            outcome("a.type.image", Verdict::Fail),
            outcome("a.type.ascii", Verdict::Pass),
            outcome("b.eprt.del", Verdict::Fail),
        ];
        for o in &mut outcomes[..3] {
            o.cause = Some("c1".into());
        }
        outcomes[4].cause = Some("c2".into());
        let mut report = report(outcomes);
        report.causes = vec![
            crate::runner::Cause {
                id: "c1".into(),
                summary: "TYPE is answered \"504 Command not implemented for that parameter.\""
                    .into(),
                first: "a.type.image".into(),
                scenarios: vec![
                    "a.epsv.transfer".into(),
                    "a.pasv.accepted".into(),
                    "a.type.image".into(),
                ],
            },
            crate::runner::Cause {
                id: "c2".into(),
                summary: "EPRT is answered \"200 OK\"".into(),
                first: "b.eprt.del".into(),
                scenarios: vec!["b.eprt.del".into()],
            },
        ];
        report
    }

    /// The FAIL where TYPE is the requirement first (ids and cause), then every other scenario
    /// the defect blocks (cause alone).
    const BY_CAUSE: &str = r#"
[[deviation]]
ids = ["a.type.image"]
cause = "TYPE is answered \"504 *\""
verdict = "FAIL"
reason = "TYPE I is refused"

[[deviation]]
cause = "TYPE is answered \"504 *\""
verdict = "BLOCKED"
reason = "TYPE I is refused, so these cannot run"
"#;

    #[test]
    fn a_cause_entry_expects_every_scenario_of_that_defect() {
        use ExpectationStatus::*;
        let applied = set(&[("c.toml", BY_CAUSE)]).apply(type_refused());
        let expected = [
            ("a.epsv.transfer", Some(Expected)),
            ("a.pasv.accepted", Some(Expected)),
            ("a.type.image", Some(Expected)),
            ("a.type.ascii", None),
            ("b.eprt.del", None),
        ];
        let expected: Vec<_> = expected.iter().map(|(i, s)| (i.to_string(), *s)).collect();
        assert_eq!(statuses(&applied), expected);
        // `ids` name scenarios that deviate: a broader glob makes a passing one an XPASS.
        let broad = BY_CAUSE.replace("a.type.image", "a.type.*");
        let broad = set(&[("b.toml", &broad)]).apply(type_refused());
        assert_eq!(
            statuses(&broad)[3],
            ("a.type.ascii".into(), Some(UnexpectedPass))
        );
        let blocked = applied.outcomes[0].expectation.as_ref().unwrap();
        assert_eq!(blocked.verdict, Verdict::Blocked);
        assert_eq!(blocked.source, "c.toml:10");
        assert_eq!(
            applied.outcomes[2].expectation.as_ref().unwrap().source,
            "c.toml:5"
        );
        // Only the unrelated FAIL counts.
        assert_eq!(run_status(&applied), RunStatus::Failed);
        let mut fixed = applied.clone();
        fixed.outcomes.pop();
        assert_eq!(
            run_status(&set(&[("c.toml", BY_CAUSE)]).apply(fixed)),
            RunStatus::Passed
        );
    }

    #[test]
    fn first_match_makes_the_order_of_cause_entries_matter() {
        use ExpectationStatus::*;
        // The broad BLOCKED entry first: the FAIL that tests TYPE is a mismatch.
        let reversed = "[[deviation]]\ncause = \"TYPE is answered *\"\nverdict = \"BLOCKED\"\n\
                        reason = \"r\"\n";
        let applied = set(&[("r.toml", reversed), ("c.toml", BY_CAUSE)]).apply(type_refused());
        assert_eq!(
            applied.outcomes[2].expectation.as_ref().map(|e| e.status),
            Some(Mismatch)
        );
        assert_eq!(run_status(&applied), RunStatus::Failed);
    }

    #[test]
    fn a_fixed_defect_is_xpass_by_ids_and_silent_by_cause_alone() {
        use ExpectationStatus::*;
        let mut fixed = type_refused();
        for o in &mut fixed.outcomes {
            o.verdict = Verdict::Pass;
            o.cause = None;
        }
        fixed.causes.clear();
        let applied = set(&[("c.toml", BY_CAUSE)]).apply(fixed);
        let expected = [
            ("a.epsv.transfer", None),
            ("a.pasv.accepted", None),
            ("a.type.image", Some(UnexpectedPass)),
            ("a.type.ascii", None),
            ("b.eprt.del", None),
        ];
        let expected: Vec<_> = expected.iter().map(|(i, s)| (i.to_string(), *s)).collect();
        assert_eq!(statuses(&applied), expected);
        assert_eq!(run_status(&applied), RunStatus::Failed);
    }

    #[test]
    fn another_cause_is_not_the_expected_deviation() {
        let entry = "[[deviation]]\nids = [\"b.*\"]\ncause = \"EPRT is answered \\\"500*\"\n\
                     verdict = \"FAIL\"\nreason = \"r\"\n";
        let applied = set(&[("e.toml", entry)]).apply(type_refused());
        assert_eq!(
            applied.outcomes[4].expectation, None,
            "fails, but for another reason"
        );
        assert_eq!(run_status(&applied), RunStatus::Failed);
    }

    #[test]
    fn blocked_is_a_deviation_and_counts_like_error_when_not_expected() {
        let mut report = type_refused();
        report.outcomes.retain(|o| o.verdict != Verdict::Fail);
        assert_eq!(run_status(&report), RunStatus::Errored);
        let entry = "[[deviation]]\nids = [\"a.*\"]\nverdict = \"BLOCKED\"\nreason = \"r\"\n";
        let applied = set(&[("e.toml", entry)]).apply(report);
        assert_eq!(
            applied.outcomes[0].expectation.as_ref().map(|e| e.status),
            Some(ExpectationStatus::Expected)
        );
        assert_eq!(
            applied.outcomes[2].expectation.as_ref().map(|e| e.status),
            Some(ExpectationStatus::UnexpectedPass)
        );
        let mut no_pass = applied.clone();
        no_pass.outcomes.retain(|o| o.verdict == Verdict::Blocked);
        assert_eq!(
            run_status(&set(&[("e.toml", entry)]).apply(no_pass)),
            RunStatus::Passed
        );
    }

    #[test]
    fn a_cause_that_matched_nothing_is_named_after_the_run() {
        let text = format!(
            "{BY_CAUSE}\n[[deviation]]\ncause = \"EPSV is answered *\"\nverdict = \"FAIL\"\n\
             reason = \"r\"\n\n[[deviation]]\nids = [\"z.*\"]\ncause = \"EPSV*\"\n\
             verdict = \"FAIL\"\nreason = \"r\"\n\n[[deviation]]\nids = [\"b.*\"]\n\
             cause = \"EPSV*\"\nverdict = \"FAIL\"\nreason = \"r\"\n"
        );
        let expectations = set(&[("c.toml", &text)]);
        let unmatched = expectations.unmatched_causes(&type_refused());
        // Entry 3 (cause alone) and entry 5 (its ID ran, its cause did not show); not entry 4,
        // whose scenarios were not run; not 1 and 2, which matched.
        assert_eq!(
            unmatched,
            [
                UnmatchedCause {
                    path: "c.toml".into(),
                    line: 14,
                    entry: 3,
                    glob: "EPSV is answered *".into(),
                },
                UnmatchedCause {
                    path: "c.toml".into(),
                    line: 26,
                    entry: 5,
                    glob: "EPSV*".into(),
                },
            ]
        );
        assert_eq!(
            unmatched[0].to_string(),
            "c.toml:14: deviation 3: cause \"EPSV is answered *\" matched no scenario of this \
             run: the defect may be fixed, or reads differently now (update or remove the \
             entry), or this run did not select the scenarios that show it"
        );
        // When the defect is fixed, the cause entries of BY_CAUSE are named too.
        let mut fixed = type_refused();
        fixed.outcomes.iter_mut().for_each(|o| o.cause = None);
        fixed.causes.clear();
        let lines: Vec<usize> = expectations
            .unmatched_causes(&fixed)
            .iter()
            .map(|u| u.entry)
            .collect();
        assert_eq!(lines, [1, 2, 3, 5]);
        // `ids` alone are never named here (check_stale is for them), nor anything on no run.
        assert!(set(&[("e.toml", FILE)]).unmatched_causes(&fixed).is_empty());
        assert!(
            expectations
                .unmatched_causes(&report(Vec::new()))
                .is_empty()
        );
    }

    #[test]
    fn check_stale_ignores_an_entry_without_ids() {
        let expectations = set(&[("c.toml", BY_CAUSE)]);
        assert!(expectations.check_stale(["a.type.image"]).is_ok());
        let err = expectations.check_stale(["a.epsv.transfer"]).unwrap_err();
        assert!(
            err.to_string().starts_with("c.toml:3: deviation 1:"),
            "{err}"
        );
    }
}
