//! The machine-readable report: one JSON document per run, schema `ftpspec-report` version
//! [`SCHEMA_VERSION`], documented field by field in `reports/README.md`.
//!
//! The wire structs here are separate from the internal types on purpose: the schema is a
//! promise to CI scripts, and renaming a field inside the crate must not break it. Within a
//! version fields may be added; removing a field or changing what one means bumps the version.
//!
//! Strings are copied as they are (JSON escapes any control character); transcript bytes are
//! written in [`escape_bytes`] form, so non-UTF-8 data survives losslessly.
//!
//! Version 2 added the BLOCKED verdict (`summary.blocked`), causes (top-level `causes`, a
//! `cause` per scenario), `covered_by`, `failure.check` and `failure.command`, and
//! `run.preflight`. Later within version 2: `run.tls`.

use crate::runner::TransferChoice;
use crate::runner::outcome::{
    Cause, Expectation, ExpectationStatus, Failure, Outcome, RunReport, Verdict,
};
use crate::runner::preflight::{Preflight, TransferProbe};
use crate::session::transcript::{Channel, Direction, Entry, escape_bytes};
use serde::Serialize;
use std::io::{self, Write};
use std::time::Duration;

/// The version of the JSON schema this module writes.
pub const SCHEMA_VERSION: u32 = 2;

/// The value of the top-level `schema` field: what kind of document this is.
const SCHEMA_NAME: &str = "ftpspec-report";

/// The report as a JSON value (object keys sorted, as `serde_json::Value` keeps them).
pub fn to_json(report: &RunReport) -> serde_json::Value {
    // The wire types hold only strings, numbers, booleans, options and sequences, which
    // serde_json always represents; `Null` is unreachable and only avoids a panic path.
    serde_json::to_value(WireReport::from_report(report)).unwrap_or(serde_json::Value::Null)
}

/// Writes the report as pretty-printed JSON (keys in schema order), with a final newline.
pub fn write(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &WireReport::from_report(report))?;
    out.write_all(b"\n")
}

/// The value of the `schema` field of a several-target run's document.
const MATRIX_SCHEMA_NAME: &str = "ftpspec-matrix";

/// The version of the `ftpspec-matrix` document.
pub const MATRIX_SCHEMA_VERSION: u32 = 1;

/// A several-target run as JSON: `{"schema": "ftpspec-matrix", "version": 1, "tool": …,
/// "summary": …, "targets": [REPORT, …]}`, each element of `targets` a whole `ftpspec-report`
/// (with `run.label`), and `summary` the sum of theirs.
pub fn to_json_matrix(reports: &[RunReport]) -> serde_json::Value {
    serde_json::to_value(WireMatrix::from_reports(reports)).unwrap_or(serde_json::Value::Null)
}

/// Writes a several-target run as pretty-printed JSON (see [`to_json_matrix`]).
pub fn write_matrix(reports: &[RunReport], out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &WireMatrix::from_reports(reports))?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct WireMatrix<'a> {
    schema: &'static str,
    version: u32,
    tool: WireTool<'a>,
    summary: WireSummary,
    targets: Vec<WireReport<'a>>,
}

impl<'a> WireMatrix<'a> {
    fn from_reports(reports: &'a [RunReport]) -> Self {
        let targets: Vec<WireReport<'a>> = reports.iter().map(WireReport::from_report).collect();
        let mut summary = WireSummary::default();
        for t in &targets {
            summary.add(&t.summary);
        }
        WireMatrix {
            schema: MATRIX_SCHEMA_NAME,
            version: MATRIX_SCHEMA_VERSION,
            tool: WireTool {
                name: "ftpspec",
                version: env!("CARGO_PKG_VERSION"),
            },
            summary,
            targets,
        }
    }
}

#[derive(Serialize)]
struct WireReport<'a> {
    schema: &'static str,
    version: u32,
    tool: WireTool<'a>,
    run: WireRun<'a>,
    summary: WireSummary,
    causes: Vec<WireCause<'a>>,
    scenarios: Vec<WireScenario<'a>>,
}

#[derive(Serialize)]
struct WireTool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct WireRun<'a> {
    started_unix: u64,
    duration_ms: f64,
    target: &'a str,
    /// The column name in a several-target run (added within version 2).
    label: Option<&'a str>,
    banner: Option<&'a str>,
    strict: bool,
    preflight: Option<WirePreflight<'a>>,
    tls: Option<WireTls<'a>>,
}

/// What TLS negotiated on a protected run (`null` for plain FTP). Added within version 2.
#[derive(Serialize)]
struct WireTls<'a> {
    mode: &'static str,
    version: &'a str,
    cipher_suite: &'a str,
    subject: Option<&'a str>,
    certificate_verified: bool,
}

/// What the preflight found (`null` when none ran: no scenario needed a transfer, or the
/// transfer command was pinned).
#[derive(Serialize)]
struct WirePreflight<'a> {
    summary: String,
    data_setup: Option<&'a str>,
    setup_failures: Vec<WireSetupFailure<'a>>,
    transfers: Vec<WireTransfer<'a>>,
    transfer: Option<&'a str>,
    transfer_unavailable: Option<&'a str>,
}

/// A data setup the preflight tried before the one it used, and why it did not work.
#[derive(Serialize)]
struct WireSetupFailure<'a> {
    setup: &'a str,
    reason: &'a str,
}

/// One candidate transfer command and how it fared.
#[derive(Serialize)]
struct WireTransfer<'a> {
    command: &'a str,
    works: bool,
    problem: Option<&'a str>,
}

/// One defect as the run saw it, with the scenarios that show it and the worst of their
/// verdicts.
#[derive(Serialize)]
struct WireCause<'a> {
    id: &'a str,
    summary: &'a str,
    first: &'a str,
    scenarios: &'a [String],
    verdict: &'static str,
}

/// How many scenarios got each verdict; `total` is their sum (`blocked` since version 2). The
/// expectation counts (added in version 1 with `--expect`) overlap them: an XFAIL is also
/// counted under its verdict.
#[derive(Serialize, Default, Debug, PartialEq, Eq)]
struct WireSummary {
    total: usize,
    pass: usize,
    fail: usize,
    warn: usize,
    info: usize,
    skip: usize,
    blocked: usize,
    error: usize,
    expected: usize,
    unexpected_pass: usize,
    mismatch: usize,
}

#[derive(Serialize)]
struct WireScenario<'a> {
    id: &'a str,
    title: &'a str,
    area: &'a str,
    spec: WireSpec<'a>,
    requirement: &'a str,
    tags: &'a [String],
    verdict: &'static str,
    reason: Option<&'a str>,
    failure: Option<WireFailure<'a>>,
    cause: Option<&'a str>,
    covered_by: Option<&'a str>,
    notes: &'a [String],
    duration_ms: f64,
    transcript: Vec<WireEntry>,
    transcript_dropped: usize,
    expectation: Option<WireExpectation<'a>>,
}

/// What an expectation file said about the scenario (`null` when nothing).
#[derive(Serialize)]
struct WireExpectation<'a> {
    status: &'static str,
    verdict: &'static str,
    reason: &'a str,
    source: &'a str,
}

#[derive(Serialize)]
struct WireSpec<'a> {
    rfc: &'a str,
    section: &'a str,
    level: String,
}

#[derive(Serialize)]
struct WireFailure<'a> {
    at: String,
    message: &'a str,
    expected: &'a str,
    actual: &'a str,
    check: &'a str,
    command: Option<&'a str>,
}

#[derive(Serialize)]
struct WireEntry {
    at_ms: f64,
    channel: String,
    direction: &'static str,
    text: String,
}

impl<'a> WireReport<'a> {
    fn from_report(report: &'a RunReport) -> Self {
        WireReport {
            schema: SCHEMA_NAME,
            version: SCHEMA_VERSION,
            tool: WireTool {
                name: "ftpspec",
                version: &report.tool_version,
            },
            run: WireRun {
                started_unix: report.started_unix,
                duration_ms: millis(report.duration),
                target: &report.target,
                label: report.label.as_deref(),
                banner: report.banner.as_deref(),
                strict: report.strict,
                preflight: report.preflight.as_ref().map(WirePreflight::from_preflight),
                tls: report.tls.as_ref().map(|t| WireTls {
                    mode: t.mode.name(),
                    version: &t.version,
                    cipher_suite: &t.cipher_suite,
                    subject: t.subject.as_deref(),
                    certificate_verified: t.verified,
                }),
            },
            summary: WireSummary::count(&report.outcomes),
            causes: report
                .causes
                .iter()
                .map(|c| WireCause::from_cause(c, &report.outcomes))
                .collect(),
            scenarios: report
                .outcomes
                .iter()
                .map(WireScenario::from_outcome)
                .collect(),
        }
    }
}

impl<'a> WirePreflight<'a> {
    fn from_preflight(p: &'a Preflight) -> Self {
        let (transfer, transfer_unavailable) = match &p.choice {
            TransferChoice::Command(command) => (Some(command.as_str()), None),
            TransferChoice::Unavailable(why) => (None, Some(why.as_str())),
        };
        WirePreflight {
            summary: p.summary(),
            data_setup: p.data_setup.as_deref(),
            setup_failures: p
                .setup_failures
                .iter()
                .map(|(setup, reason)| WireSetupFailure { setup, reason })
                .collect(),
            transfers: p.transfers.iter().map(WireTransfer::from_probe).collect(),
            transfer,
            transfer_unavailable,
        }
    }
}

impl<'a> WireTransfer<'a> {
    fn from_probe(t: &'a TransferProbe) -> Self {
        WireTransfer {
            command: &t.command,
            works: t.problem.is_none(),
            problem: t.problem.as_deref(),
        }
    }
}

impl<'a> WireCause<'a> {
    fn from_cause(c: &'a Cause, outcomes: &[Outcome]) -> Self {
        WireCause {
            id: &c.id,
            summary: &c.summary,
            first: &c.first,
            scenarios: &c.scenarios,
            verdict: worst_verdict(c, outcomes).as_str(),
        }
    }
}

/// The worst verdict among a cause's scenarios: FAIL, then ERROR, BLOCKED, WARN, INFO (a
/// cause's scenarios never PASS or SKIP; ERROR as the fallback for a cause whose scenarios are
/// missing, which the runner never produces).
fn worst_verdict(cause: &Cause, outcomes: &[Outcome]) -> Verdict {
    outcomes
        .iter()
        .filter(|o| cause.scenarios.contains(&o.id))
        .map(|o| o.verdict)
        .max_by_key(|&v| v.severity())
        .unwrap_or(Verdict::Error)
}

impl WireSummary {
    fn add(&mut self, other: &WireSummary) {
        self.total += other.total;
        self.pass += other.pass;
        self.fail += other.fail;
        self.warn += other.warn;
        self.info += other.info;
        self.skip += other.skip;
        self.blocked += other.blocked;
        self.error += other.error;
        self.expected += other.expected;
        self.unexpected_pass += other.unexpected_pass;
        self.mismatch += other.mismatch;
    }

    fn count(outcomes: &[Outcome]) -> Self {
        let mut summary = WireSummary {
            total: outcomes.len(),
            ..WireSummary::default()
        };
        for outcome in outcomes {
            let slot = match outcome.verdict {
                Verdict::Pass => &mut summary.pass,
                Verdict::Fail => &mut summary.fail,
                Verdict::Warn => &mut summary.warn,
                Verdict::Info => &mut summary.info,
                Verdict::Skip => &mut summary.skip,
                Verdict::Blocked => &mut summary.blocked,
                Verdict::Error => &mut summary.error,
            };
            *slot += 1;
            if let Some(e) = &outcome.expectation {
                let slot = match e.status {
                    ExpectationStatus::Expected => &mut summary.expected,
                    ExpectationStatus::UnexpectedPass => &mut summary.unexpected_pass,
                    ExpectationStatus::Mismatch => &mut summary.mismatch,
                };
                *slot += 1;
            }
        }
        summary
    }
}

impl<'a> WireScenario<'a> {
    fn from_outcome(o: &'a Outcome) -> Self {
        WireScenario {
            id: &o.id,
            title: &o.title,
            area: &o.area,
            spec: WireSpec {
                rfc: &o.spec.rfc,
                section: &o.spec.section,
                level: o.spec.level.to_string(),
            },
            requirement: &o.requirement,
            tags: &o.tags,
            verdict: o.verdict.as_str(),
            reason: o.reason.as_deref(),
            failure: o.failure.as_ref().map(WireFailure::from_failure),
            cause: o.cause.as_deref(),
            covered_by: o.covered_by.as_deref(),
            notes: &o.notes,
            duration_ms: millis(o.duration),
            transcript: o
                .transcript
                .entries
                .iter()
                .map(WireEntry::from_entry)
                .collect(),
            transcript_dropped: o.transcript.dropped,
            expectation: o
                .expectation
                .as_ref()
                .map(WireExpectation::from_expectation),
        }
    }
}

impl<'a> WireExpectation<'a> {
    fn from_expectation(e: &'a Expectation) -> Self {
        WireExpectation {
            status: status_name(e.status),
            verdict: e.verdict.as_str(),
            reason: &e.reason,
            source: &e.source,
        }
    }
}

impl<'a> WireFailure<'a> {
    fn from_failure(f: &'a Failure) -> Self {
        WireFailure {
            at: f.at.to_string(),
            message: &f.message,
            expected: &f.expected,
            actual: &f.actual,
            check: &f.check,
            command: f.command.as_deref(),
        }
    }
}

impl WireEntry {
    fn from_entry(e: &Entry) -> Self {
        WireEntry {
            at_ms: millis(e.at),
            channel: channel_name(&e.channel),
            direction: direction_name(e.direction),
            text: escape_bytes(&e.bytes),
        }
    }
}

/// The expectation `status` string; part of the schema.
fn status_name(status: ExpectationStatus) -> &'static str {
    match status {
        ExpectationStatus::Expected => "expected",
        ExpectationStatus::UnexpectedPass => "unexpected-pass",
        ExpectationStatus::Mismatch => "mismatch",
    }
}

/// `control` or `data:NAME`.
fn channel_name(channel: &Channel) -> String {
    match channel {
        Channel::Control => "control".to_owned(),
        Channel::Data(name) => format!("data:{name}"),
    }
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Sent => "sent",
        Direction::Received => "received",
        Direction::Event => "event",
    }
}

/// Milliseconds with microsecond resolution (`12.345`), without float noise such as
/// `12.345000000000001`.
fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{expectation_report, sample_report};
    use serde_json::{Value, json};

    fn scenario<'v>(doc: &'v Value, id: &str) -> &'v Value {
        let all = doc["scenarios"].as_array().unwrap();
        all.iter().find(|s| s["id"] == id).unwrap()
    }

    /// The object's keys, sorted (whatever map serde_json was built with).
    fn keys(object: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = object
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn top_level_shape() {
        let doc = to_json(&sample_report());
        assert_eq!(doc["schema"], "ftpspec-report");
        assert_eq!(doc["version"], SCHEMA_VERSION);
        assert_eq!(doc["tool"], json!({"name": "ftpspec", "version": "0.1.0"}));
        let mut run = doc["run"].clone();
        run.as_object_mut().unwrap().remove("preflight");
        assert_eq!(
            run,
            json!({"started_unix": 1_764_193_864u64, "duration_ms": 840.0,
                   "target": "ftp://anonymous@127.0.0.1:40123",
                   "label": null,
                   "banner": "220 ftpspec reference server ready", "strict": false,
                   "tls": null})
        );
        assert_eq!(
            doc["summary"],
            json!({"total": 9, "pass": 1, "fail": 2, "warn": 1, "info": 1, "skip": 1,
                   "blocked": 2, "error": 1, "expected": 0, "unexpected_pass": 0, "mismatch": 0})
        );
        let expected = [
            "causes",
            "run",
            "scenarios",
            "schema",
            "summary",
            "tool",
            "version",
        ];
        assert_eq!(keys(&doc), expected);
    }

    /// A several-target run: each target a whole report with its label, the summary their sum.
    #[test]
    fn matrix_holds_each_target_as_a_whole_report() {
        let mut v4 = sample_report();
        v4.label = Some("v4".into());
        let mut v6 = sample_report();
        v6.label = Some("v6".into());
        v6.target = "ftp://anonymous@[::1]:40123".into();
        let doc = to_json_matrix(&[v4.clone(), v6]);
        assert_eq!(doc["schema"], "ftpspec-matrix");
        assert_eq!(doc["version"], MATRIX_SCHEMA_VERSION);
        assert_eq!(
            keys(&doc),
            ["schema", "summary", "targets", "tool", "version"]
        );
        let targets = doc["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 2);
        let mut first = targets[0].clone();
        assert_eq!(first["run"]["label"], "v4");
        first["run"]["label"] = serde_json::Value::Null;
        assert_eq!(first, to_json(&sample_report()));
        assert_eq!(targets[1]["run"]["target"], "ftp://anonymous@[::1]:40123");
        assert_eq!(doc["summary"]["total"], 18);
        assert_eq!(doc["summary"]["fail"], 4);
        let mut written = Vec::new();
        write_matrix(&[v4], &mut written).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(parsed["targets"][0]["run"]["label"], "v4");
    }

    #[test]
    fn failing_scenario_has_every_key() {
        let doc = to_json(&sample_report());
        let s = scenario(&doc, "rfc2428.eprt.delimiter-del");
        let expected = [
            "area",
            "cause",
            "covered_by",
            "duration_ms",
            "expectation",
            "failure",
            "id",
            "notes",
            "reason",
            "requirement",
            "spec",
            "tags",
            "title",
            "transcript",
            "transcript_dropped",
            "verdict",
        ];
        assert_eq!(keys(s), expected);
        assert_eq!(s["area"], "rfc2428.eprt");
        assert_eq!(
            s["spec"],
            json!({"rfc": "RFC2428", "section": "§2", "level": "MUST"})
        );
        assert_eq!(s["verdict"], "FAIL");
        assert_eq!(s["duration_ms"], 12.345);
        assert_eq!(s["failure"]["at"], "suites/rfc2428/eprt.ftpspec:42");
        assert_eq!(s["failure"]["expected"], "500 501");
        assert_eq!(s["failure"]["actual"], "200 ok \u{1b}[2J]]>");
        assert_eq!(s["failure"]["check"], "reply code");
        assert_eq!(s["failure"]["command"], "EPRT");
        let failure = ["actual", "at", "check", "command", "expected", "message"];
        assert_eq!(keys(&s["failure"]), failure);
        assert_eq!(s["cause"], "c1");
        assert_eq!(s["covered_by"], Value::Null);
        assert_eq!(s["transcript_dropped"], 3);
        let t = s["transcript"].as_array().unwrap();
        assert_eq!(
            t[3],
            json!({"at_ms": 3.0, "channel": "control", "direction": "received",
                   "text": "200 ok \\x00\\x1b[2J]]>\\xff\\r\\n"})
        );
        assert_eq!(t[4]["channel"], "data:data");
        assert_eq!(t[4]["direction"], "event");
        assert_eq!(t[1]["direction"], "sent");
    }

    #[test]
    fn absent_values_are_null_and_lists_are_arrays() {
        let doc = to_json(&sample_report());
        let skip = scenario(&doc, "rfc2428.eprt.ipv6-accepted");
        assert_eq!(skip["verdict"], "SKIP");
        assert_eq!(skip["reason"], "control connection is IPv4");
        assert_eq!(skip["failure"], Value::Null);
        assert_eq!(skip["transcript"], json!([]));
        assert_eq!(skip["cause"], Value::Null);
        let info = scenario(&doc, "rfc2577.ports.predictable");
        assert_eq!(info["notes"][0], "passive ports 40000 40001 40002");
        assert_eq!(info["tags"], json!(["eprt"]));
        let pass = scenario(&doc, "rfc2428.eprt.ipv4-accepted");
        assert_eq!(pass["reason"], Value::Null);
        let mut report = sample_report();
        report.banner = None;
        assert_eq!(to_json(&report)["run"]["banner"], Value::Null);
    }

    #[test]
    fn every_verdict_has_its_name() {
        let doc = to_json(&sample_report());
        let names: Vec<&str> = doc["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["verdict"].as_str())
            .collect();
        // The `verdict` strings are part of the schema: spelled out here, so that renaming a
        // verdict in the console cannot change the JSON unnoticed.
        let schema = ["PASS", "FAIL", "WARN", "INFO", "SKIP", "BLOCKED", "ERROR"];
        for (verdict, name) in Verdict::ALL.into_iter().zip(schema) {
            assert!(names.contains(&verdict.as_str()));
            assert_eq!(verdict.as_str(), name);
        }
    }

    #[test]
    fn written_document_parses_back_to_the_value() {
        let report = sample_report();
        let mut out = Vec::new();
        write(&report, &mut out).unwrap();
        assert!(out.ends_with(b"}\n"));
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("{\n  \"schema\": \"ftpspec-report\",\n  \"version\": 2,"));
        // Causes come before the scenarios, for someone reading the document from the top.
        let causes = text.find("\n  \"causes\": [").unwrap();
        assert!(causes < text.find("\n  \"scenarios\": [").unwrap());
        assert!(causes > text.find("\n  \"summary\": {").unwrap());
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, to_json(&report));
    }

    #[test]
    fn expectations_are_a_field_per_scenario_and_summary_counts() {
        let doc = to_json(&expectation_report());
        assert_eq!(
            doc["summary"],
            json!({"total": 9, "pass": 1, "fail": 2, "warn": 1, "info": 1, "skip": 1,
                   "blocked": 2, "error": 1, "expected": 3, "unexpected_pass": 1, "mismatch": 1})
        );
        let xfail = scenario(&doc, "rfc2428.eprt.delimiter-del");
        assert_eq!(xfail["verdict"], "FAIL");
        assert_eq!(
            xfail["expectation"],
            json!({"status": "expected", "verdict": "FAIL",
                   "reason": "server answers 200 \u{1b}[2J]]> (rfc2428.eprt.delimiter-del)",
                   "source": "interop/expectations/x.toml:7"})
        );
        let xpass = scenario(&doc, "rfc2428.eprt.ipv4-accepted");
        assert_eq!(xpass["verdict"], "PASS");
        assert_eq!(xpass["expectation"]["status"], "unexpected-pass");
        let mismatch = scenario(&doc, "rfc959.abor.idle");
        assert_eq!(mismatch["expectation"]["status"], "mismatch");
        assert_eq!(mismatch["expectation"]["verdict"], "FAIL");
        assert_eq!(
            scenario(&doc, "rfc2428.epsv.port-range")["expectation"],
            Value::Null
        );
        for status in ExpectationStatus::ALL {
            assert!(!status_name(status).is_empty());
        }
    }

    #[test]
    fn a_blocked_scenario_names_its_setup_failure_cause_and_cover() {
        let doc = to_json(&sample_report());
        let s = scenario(&doc, "rfc2428.epsv.transfer");
        assert_eq!(s["verdict"], "BLOCKED");
        assert_eq!(
            s["reason"],
            "could not exercise the requirement: TYPE was refused (504 Command not implemented \
             for that parameter.); rfc959.type.image tests TYPE on its own"
        );
        assert_eq!(
            s["failure"],
            json!({"at": "suites/rfc2428/epsv.ftpspec:31",
                   "message": "reply code 504 is not the one expected",
                   "expected": "200",
                   "actual": "504 Command not implemented for that parameter.",
                   "check": "reply code", "command": "TYPE"})
        );
        assert_eq!(s["cause"], "c5");
        assert_eq!(s["covered_by"], "rfc959.type.image");
    }

    #[test]
    fn causes_list_every_defect_with_its_scenarios_and_worst_verdict() {
        let doc = to_json(&sample_report());
        let causes = doc["causes"].as_array().unwrap();
        let ids: Vec<&str> = causes.iter().filter_map(|c| c["id"].as_str()).collect();
        assert_eq!(ids, ["c1", "c2", "c3", "c4", "c5"]);
        assert_eq!(
            causes[4],
            json!({"id": "c5",
                   "summary": "TYPE is answered \"504 Command not implemented for that parameter.\"",
                   "first": "rfc959.type.image",
                   "scenarios": ["rfc2428.epsv.transfer", "rfc959.pasv.accepted",
                                 "rfc959.type.image"],
                   "verdict": "FAIL"})
        );
        let verdicts: Vec<&str> = causes
            .iter()
            .filter_map(|c| c["verdict"].as_str())
            .collect();
        assert_eq!(verdicts, ["FAIL", "WARN", "INFO", "ERROR", "FAIL"]);
        // Every scenario's cause is listed, and lists the scenario.
        for s in doc["scenarios"].as_array().unwrap() {
            if let Some(id) = s["cause"].as_str() {
                let cause = causes.iter().find(|c| c["id"] == id).unwrap();
                assert!(cause["scenarios"].as_array().unwrap().contains(&s["id"]));
            }
        }
    }

    #[test]
    fn a_cause_takes_the_worst_verdict_of_its_scenarios() {
        use Verdict::*;
        let mut report = sample_report();
        let worst = |report: &RunReport| worst_verdict(&report.causes[4], &report.outcomes);
        assert_eq!(worst(&report), Fail);
        let rank = [Info, Warn, Blocked, Error, Fail];
        for pair in rank.windows(2) {
            assert!(pair[0].severity() < pair[1].severity(), "{pair:?}");
        }
        for o in &mut report.outcomes {
            if o.id == "rfc959.type.image" {
                o.verdict = Warn;
            }
        }
        assert_eq!(worst(&report), Blocked, "BLOCKED outranks WARN");
        report.outcomes.retain(|o| o.verdict != Blocked);
        assert_eq!(worst(&report), Warn);
        report.outcomes.clear();
        assert_eq!(worst(&report), Error, "no scenario found");
    }

    #[test]
    fn tls_is_in_run() {
        let mut report = sample_report();
        assert_eq!(to_json(&report)["run"]["tls"], Value::Null);
        report.tls = Some(crate::runner::TlsReport {
            mode: crate::proto::TlsMode::Implicit,
            verified: false,
            version: "TLSv1.3".into(),
            cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
            subject: Some("CN=x".into()),
        });
        assert_eq!(
            to_json(&report)["run"]["tls"],
            json!({"mode": "implicit", "version": "TLSv1.3",
                   "cipher_suite": "TLS13_AES_128_GCM_SHA256", "subject": "CN=x",
                   "certificate_verified": false})
        );
    }

    #[test]
    fn the_preflight_is_in_run() {
        let doc = to_json(&sample_report());
        assert_eq!(
            doc["run"]["preflight"],
            json!({
                "summary": crate::report::fixture::preflight().summary(),
                "data_setup": "EPSV",
                "setup_failures": [],
                "transfers": [
                    {"command": "NLST", "works": false,
                     "problem": "500 Syntax error: NLST requires an argument"},
                    {"command": "LIST", "works": true, "problem": null},
                    {"command": "RETR hello.txt", "works": true, "problem": null}
                ],
                "transfer": "LIST",
                "transfer_unavailable": null
            })
        );
        let mut report = sample_report();
        report.preflight = None;
        assert_eq!(to_json(&report)["run"]["preflight"], Value::Null);
    }

    #[test]
    fn a_preflight_that_found_nothing_says_why() {
        let mut report = sample_report();
        let preflight = report.preflight.as_mut().unwrap();
        preflight.data_setup = None;
        preflight.setup_failures = vec![
            ("EPSV".into(), "500 Unknown command".into()),
            ("PASV".into(), "502 Not implemented".into()),
        ];
        preflight.transfers.clear();
        preflight.choice = TransferChoice::Unavailable("nothing opened a data connection".into());
        let p = &to_json(&report)["run"]["preflight"];
        assert_eq!(p["data_setup"], Value::Null);
        assert_eq!(
            p["setup_failures"],
            json!([{"setup": "EPSV", "reason": "500 Unknown command"},
                   {"setup": "PASV", "reason": "502 Not implemented"}])
        );
        assert_eq!(p["transfers"], json!([]));
        assert_eq!(p["transfer"], Value::Null);
        assert_eq!(
            p["transfer_unavailable"],
            "nothing opened a data connection"
        );
        let summary = report.preflight.as_ref().unwrap().summary();
        assert_eq!(p["summary"], summary.as_str());
    }
}
