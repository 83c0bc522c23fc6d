//! Outcomes are data: what happened to one scenario, and the run as a whole. Reporters only read
//! these; nothing here runs anything.

use crate::session::transcript::Transcript;
use crate::suite::{Level, Location, Spec};
use std::time::Duration;

/// The verdict of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// The requirement held.
    Pass,
    /// A MUST failed (or a SHOULD under `--strict`).
    Fail,
    /// A SHOULD failed.
    Warn,
    /// A MAY/informational scenario recorded an observation; never a failure.
    Info,
    /// A precondition was not met; see the reason.
    Skip,
    /// The harness could not run the scenario (connection refused, login failed, timeout before
    /// the first reply). Never counted as a pass.
    Error,
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Warn,
        Verdict::Info,
        Verdict::Skip,
        Verdict::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::Info => "INFO",
            Verdict::Skip => "SKIP",
            Verdict::Error => "ERROR",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where and how a scenario's requirement was found broken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// The step that failed.
    pub at: Location,
    /// One line: what went wrong.
    pub message: String,
    pub expected: String,
    pub actual: String,
}

/// The result of one scenario.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Outcome {
    pub id: String,
    pub title: String,
    pub area: String,
    pub spec: Spec,
    pub level: Level,
    pub requirement: String,
    pub tags: Vec<String>,
    pub verdict: Verdict,
    /// For SKIP and ERROR: why. For FAIL/WARN/INFO: the failure message.
    pub reason: Option<String>,
    /// For FAIL/WARN/INFO: where the requirement broke, with expected and actual.
    pub failure: Option<Failure>,
    /// Observations recorded with `note` (port sequences, codes seen).
    pub notes: Vec<String>,
    #[serde(skip)]
    pub transcript: Transcript,
    #[serde(serialize_with = "as_millis", rename = "duration_ms")]
    pub duration: Duration,
    /// What an expectation file (`ftpspec run --expect`) says about this scenario, once applied
    /// after the run; `None` when no deviation entry names it.
    pub expectation: Option<Expectation>,
}

impl Outcome {
    /// An expected deviation (XFAIL): an expectation file predicted exactly this verdict, so it
    /// does not count against the run.
    pub fn is_expected(&self) -> bool {
        self.expectation
            .as_ref()
            .is_some_and(|e| e.status == ExpectationStatus::Expected)
    }

    /// An unexpected pass (XPASS): an expectation file predicted a deviation, but the scenario
    /// passed. Counts as a failure, so that expectation files stay current.
    pub fn is_unexpected_pass(&self) -> bool {
        self.expectation
            .as_ref()
            .is_some_and(|e| e.status == ExpectationStatus::UnexpectedPass)
    }
}

/// A known deviation of the target, as an expectation file states it, matched to one outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expectation {
    /// The verdict the file expects (never PASS: a deviation is a verdict other than PASS).
    pub verdict: Verdict,
    /// Why the target deviates, usually quoting the RFC sentence and the target's reply.
    pub reason: String,
    /// Where the entry is: `interop/expectations/vsftpd.toml:12`.
    pub source: String,
    /// How the actual verdict compares with the expected one.
    pub status: ExpectationStatus,
}

/// How an outcome's actual verdict compares with the one its expectation entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectationStatus {
    /// The verdict is the expected one (XFAIL): not counted by the exit code.
    Expected,
    /// The scenario passed where a deviation was expected (XPASS): counted as a failure.
    UnexpectedPass,
    /// Another verdict than the expected one, and not PASS: counted as that verdict.
    Mismatch,
}

impl ExpectationStatus {
    pub const ALL: [ExpectationStatus; 3] = [
        ExpectationStatus::Expected,
        ExpectationStatus::UnexpectedPass,
        ExpectationStatus::Mismatch,
    ];
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// A whole run: metadata and every outcome, in scenario-ID order.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub tool_version: String,
    /// Seconds since the Unix epoch when the run started.
    pub started_unix: u64,
    /// The target as shown to people: `ftp://anonymous@127.0.0.1:2121` (never a password).
    pub target: String,
    /// The greeting (220) text, if one was read.
    pub banner: Option<String>,
    pub strict: bool,
    pub outcomes: Vec<Outcome>,
    pub duration: Duration,
}

impl RunReport {
    /// How many outcomes have this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == verdict)
            .count()
    }

    /// How many outcomes have this verdict and were not expected by an expectation file: the
    /// ones that count for the exit code.
    pub fn count_unexpected(&self, verdict: Verdict) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == verdict && !o.is_expected())
            .count()
    }

    /// How many outcomes have an expectation with this status.
    pub fn count_expectation(&self, status: ExpectationStatus) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.expectation.as_ref().is_some_and(|e| e.status == status))
            .count()
    }

    /// True when the run has a conformance failure (exit code 1): a FAIL no expectation file
    /// predicted, or an unexpected pass (XPASS).
    pub fn failed(&self) -> bool {
        self.count_unexpected(Verdict::Fail) > 0
            || self.count_expectation(ExpectationStatus::UnexpectedPass) > 0
    }

    /// True when a scenario could not be run and no expectation file predicted it (exit code 2
    /// unless the run also failed).
    pub fn errored(&self) -> bool {
        self.count_unexpected(Verdict::Error) > 0
    }
}
