//! Outcomes are data: what happened to one scenario, and the run as a whole. Reporters only read
//! these; nothing here runs anything.

use crate::session::transcript::Transcript;
use crate::suite::{Location, Spec};
use std::time::Duration;

/// The verdict of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// A step that only sets the stage for the requirement failed (a `setup` step, the
    /// transfer command of `transfer`): the requirement was never exercised. Never counted as
    /// a pass; the reason names what failed and the scenario that tests it on its own.
    Blocked,
    /// The harness could not run the scenario (connection refused, login failed, timeout before
    /// the first reply). Never counted as a pass.
    Error,
}

impl Verdict {
    pub const ALL: [Verdict; 7] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Warn,
        Verdict::Info,
        Verdict::Skip,
        Verdict::Blocked,
        Verdict::Error,
    ];

    /// How bad a verdict is, least first: PASS, SKIP, INFO, WARN, BLOCKED, ERROR, FAIL. A
    /// broken MUST is worst; then what kept the run from judging everything (ERROR, then
    /// BLOCKED, both exit code 2); then a SHOULD and an observation. It picks the verdict a
    /// flaky scenario is reported with, and a cause's verdict.
    pub fn severity(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Skip => 1,
            Verdict::Info => 2,
            Verdict::Warn => 3,
            Verdict::Blocked => 4,
            Verdict::Error => 5,
            Verdict::Fail => 6,
        }
    }

    /// The one spelling of a verdict (`PASS`, `BLOCKED`): the console, JUnit, the JSON report's
    /// `verdict` fields (part of its schema) and the `verdict` of expectation files.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::Info => "INFO",
            Verdict::Skip => "SKIP",
            Verdict::Blocked => "BLOCKED",
            Verdict::Error => "ERROR",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where and how a scenario's requirement was found broken (FAIL, WARN, INFO), or where the
/// stage for it could not be set (BLOCKED).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The step that failed.
    pub at: Location,
    /// One line: what went wrong.
    pub message: String,
    pub expected: String,
    pub actual: String,
    /// What the step checked, as a stable word (`reply code`, `as protocols`, `accept`).
    pub check: String,
    /// The verb of the last command sent before the step (`EPRT`), when there was one.
    pub command: Option<String>,
}

/// The result of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub id: String,
    pub title: String,
    pub area: String,
    /// The requirement's RFC, section and level (`spec.level` decides what a failure means).
    pub spec: Spec,
    pub requirement: String,
    pub tags: Vec<String>,
    pub verdict: Verdict,
    /// For SKIP and ERROR: why. For FAIL/WARN/INFO: the failure message.
    pub reason: Option<String>,
    /// For FAIL/WARN/INFO: where the requirement broke, with expected and actual.
    pub failure: Option<Failure>,
    /// Observations recorded with `note` (port sequences, codes seen).
    pub notes: Vec<String>,
    /// For BLOCKED: the scenario that tests the failed setup command on its own (`covers`).
    pub covered_by: Option<String>,
    /// The ID of the cause this outcome shares with others (see [`Cause`]), for every outcome
    /// with a failure.
    pub cause: Option<String>,
    pub transcript: Transcript,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// One defect as the run saw it: the same check failing on the same reply after the same
/// command, or the same setup step failing, in one or more scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `c1`, `c2`, … in the order of the scenario that shows each first.
    pub id: String,
    /// One line a server author recognises: `EPSV is answered "522 Bad network protocol."`.
    /// Expectation files may match it (`cause = "…"`).
    pub summary: String,
    /// The scenario that shows it first: one that checks it as its requirement if any does,
    /// else the first by ID.
    pub first: String,
    /// Every scenario with this cause, in ID order (the first among them).
    pub scenarios: Vec<String>,
}

/// A whole run: metadata and every outcome, in scenario-ID order.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub tool_version: String,
    /// Seconds since the Unix epoch when the run started.
    pub started_unix: u64,
    /// The target as shown to people: `ftp://anonymous@127.0.0.1:2121` (never a password).
    pub target: String,
    /// The target's column name in a several-target run (`label=URL`, a target file's
    /// `label`, else made from the banner); `None` for a run's only target unless one was given.
    pub label: Option<String>,
    /// The greeting (220) text, if one was read.
    pub banner: Option<String>,
    pub strict: bool,
    /// What the preflight found out about the target before the scenarios ran, if one ran.
    pub preflight: Option<super::preflight::Preflight>,
    pub outcomes: Vec<Outcome>,
    /// The failures grouped by cause (one entry per distinct defect).
    pub causes: Vec<Cause>,
    pub duration: Duration,
    /// On a protected session (FTPS, RFC 4217): what TLS negotiated, as the probe saw it.
    pub tls: Option<TlsReport>,
}

/// What a run's TLS negotiated with the target (the probe's connection stands for all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsReport {
    /// Explicit (`AUTH TLS`) or implicit.
    pub mode: crate::proto::TlsMode,
    /// False under `--tls-insecure`: the certificate was not checked.
    pub verified: bool,
    /// `TLSv1.3`.
    pub version: String,
    /// `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// The server certificate's subject (`CN=…`), if it parsed.
    pub subject: Option<String>,
}

impl TlsReport {
    /// `FTPS explicit (AUTH TLS): TLSv1.3, TLS13_AES_256_GCM_SHA384, certificate CN=…`, and
    /// under `--tls-insecure` a warning that the certificate was not checked.
    pub fn summary(&self) -> String {
        let how = match self.mode {
            crate::proto::TlsMode::Explicit => "explicit (AUTH TLS)",
            crate::proto::TlsMode::Implicit => "implicit",
        };
        let subject = self.subject.as_deref().unwrap_or("(no subject)");
        let mut line = format!(
            "FTPS {how}: {}, {}, certificate {subject}",
            self.version, self.cipher_suite
        );
        if !self.verified {
            line.push_str(" — NOT VERIFIED (--tls-insecure): anyone could be on the other end");
        }
        line
    }
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

    /// True when a scenario could not be run, or its requirement could not be exercised
    /// (BLOCKED), and no expectation file predicted it (exit code 2 unless the run also failed):
    /// the run could not judge everything it was asked to.
    pub fn errored(&self) -> bool {
        self.count_unexpected(Verdict::Error) > 0 || self.count_unexpected(Verdict::Blocked) > 0
    }

    /// The cause with this ID.
    pub fn cause(&self, id: &str) -> Option<&Cause> {
        self.causes.iter().find(|c| c.id == id)
    }
}
