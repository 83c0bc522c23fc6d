//! The read side of the JSON reports, for the conformance matrix: one [`Column`] per target.
//!
//! A column comes from a single-target report (schema `ftpspec-report`, written by
//! `ftpspec run --json`) or from one element of a multi-target document:
//!
//! ```json
//! {"schema": "ftpspec-matrix", "version": 1, "tool": {"name": "ftpspec", "version": "0.1.0"},
//!  "targets": [ {"schema": "ftpspec-report", "version": 2, "run": {"label": "vsftpd", …}, …}, … ]}
//! ```
//!
//! Both read through [`parse`] (bytes) or [`columns_from_value`] (an already built
//! `serde_json::Value`, as `ftpspec run --html` has one in memory). Only what the matrix shows
//! is read; unknown fields are ignored, as the schema's version policy asks of consumers, so a
//! report of a later release within the same version still reads. Sans-IO: no files here.
//!
//! These structs are kept apart from the writer's (`report::json`) and from the runner's types
//! on purpose: the JSON schema is the contract between them, so a report written by another
//! build of ftpspec reads as long as it keeps the schema.

use serde::Deserialize;
use serde_json::Value;

/// The `schema` of a single-target report.
const REPORT_SCHEMA: &str = "ftpspec-report";
/// The `schema` of a multi-target document.
const MATRIX_SCHEMA: &str = "ftpspec-matrix";
/// The newest report version read here (version 1 lacks BLOCKED and causes, which is fine).
const REPORT_VERSION: u64 = 2;
/// The only matrix version read here.
const MATRIX_VERSION: u64 = 1;

/// Why a document could not be read as reports.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The bytes are not JSON at all (or not UTF-8).
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON without a string `schema` field: some other document.
    #[error("not an ftpspec report: no \"schema\" field")]
    NoSchema,
    /// JSON of another kind.
    #[error(
        "not an ftpspec report (schema {0:?}, expected {REPORT_SCHEMA:?} or {MATRIX_SCHEMA:?})"
    )]
    Schema(String),
    /// A version this build does not know: reading on could show wrong verdicts.
    #[error("{schema} version {version} is newer than this ftpspec reads (up to {supported})")]
    Version {
        schema: &'static str,
        version: u64,
        supported: u64,
    },
    /// The document has the right schema but a field is missing or of the wrong type.
    #[error("{at}: {source}")]
    Shape {
        /// Where: `report` or `targets[2]`.
        at: String,
        source: serde_json::Error,
    },
}

/// One target's results: a column of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column heading: `run.label`, or the target when a report has none.
    pub label: String,
    /// The ftpspec version that wrote the report.
    pub tool_version: String,
    pub run: Run,
    /// In the order of the report (scenario-ID order).
    pub scenarios: Vec<Scenario>,
}

/// The parts of `run` the matrix shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Run {
    #[serde(default)]
    pub label: Option<String>,
    pub target: String,
    /// The server's greeting, lossily decoded: text a server chose, hostile until escaped.
    #[serde(default)]
    pub banner: Option<String>,
    #[serde(default)]
    pub started_unix: Option<u64>,
    #[serde(default)]
    pub duration_ms: Option<f64>,
    #[serde(default)]
    pub strict: bool,
    #[serde(default)]
    pub tls: Option<Tls>,
    #[serde(default)]
    pub preflight: Option<Preflight>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tls {
    pub mode: String,
    pub version: String,
    pub cipher_suite: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub certificate_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Preflight {
    pub summary: String,
}

/// One scenario's outcome on one target.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Scenario {
    pub id: String,
    #[serde(default)]
    pub title: String,
    /// Empty in a report that lacks it; [`Scenario::area`] then derives it from the ID.
    #[serde(default, rename = "area")]
    area_field: String,
    #[serde(default)]
    pub spec: Spec,
    #[serde(default)]
    pub requirement: String,
    /// As written: `PASS` … `ERROR`; see [`Scenario::mark`].
    pub verdict: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub failure: Option<Failure>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub covered_by: Option<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub duration_ms: f64,
    #[serde(default)]
    pub transcript: Vec<Entry>,
    #[serde(default)]
    pub transcript_dropped: usize,
    #[serde(default)]
    pub expectation: Option<Expectation>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Spec {
    #[serde(default)]
    pub rfc: String,
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub level: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Failure {
    pub at: String,
    pub message: String,
    pub expected: String,
    pub actual: String,
    #[serde(default)]
    pub check: String,
    #[serde(default)]
    pub command: Option<String>,
}

/// A transcript entry; `text` is the writer's escaped form (`\r\n`, `\xff`), so it is ASCII
/// for bytes and printable, but still a server's bytes: escape it for HTML like any text.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Entry {
    pub at_ms: f64,
    pub channel: String,
    pub direction: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Expectation {
    pub status: String,
    pub verdict: String,
    pub reason: String,
    pub source: String,
}

/// What a matrix cell shows: the verdict, or XFAIL/XPASS where an expectation file said so
/// (the names the console and JUnit reports use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mark {
    Pass,
    Fail,
    Warn,
    Info,
    Skip,
    /// The stage for the requirement could not be set (a setup step failed).
    Blocked,
    Error,
    /// An expected deviation: the verdict an expectation file predicted.
    Xfail,
    /// An unexpected pass: an expectation file predicted a deviation.
    Xpass,
    /// A verdict this build does not know (a report of a later version); shown as written.
    Other,
}

impl Mark {
    /// Every mark, in the order totals and filters list them.
    pub const ALL: [Mark; 10] = [
        Mark::Pass,
        Mark::Fail,
        Mark::Warn,
        Mark::Info,
        Mark::Skip,
        Mark::Blocked,
        Mark::Error,
        Mark::Xfail,
        Mark::Xpass,
        Mark::Other,
    ];

    /// The word in the cell (for [`Mark::Other`], the cell shows the verdict as written).
    pub fn word(self) -> &'static str {
        match self {
            Mark::Pass => "PASS",
            Mark::Fail => "FAIL",
            Mark::Warn => "WARN",
            Mark::Info => "INFO",
            Mark::Skip => "SKIP",
            Mark::Blocked => "BLOCKED",
            Mark::Error => "ERROR",
            Mark::Xfail => "XFAIL",
            Mark::Xpass => "XPASS",
            Mark::Other => "OTHER",
        }
    }

    /// The CSS class and filter key: the word in lower case.
    pub fn key(self) -> &'static str {
        match self {
            Mark::Pass => "pass",
            Mark::Fail => "fail",
            Mark::Warn => "warn",
            Mark::Info => "info",
            Mark::Skip => "skip",
            Mark::Blocked => "blocked",
            Mark::Error => "error",
            Mark::Xfail => "xfail",
            Mark::Xpass => "xpass",
            Mark::Other => "other",
        }
    }

    /// What the mark means, for the legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Mark::Pass => "the requirement held",
            Mark::Fail => "a MUST failed (or a SHOULD under --strict)",
            Mark::Warn => "a SHOULD failed",
            Mark::Info => "an observation (MAY)",
            Mark::Skip => "a precondition was not met",
            Mark::Blocked => "setup failed: the requirement was not exercised",
            Mark::Error => "the harness could not run the scenario",
            Mark::Xfail => "an expected, known deviation",
            Mark::Xpass => "passed where a deviation was expected",
            Mark::Other => "a verdict this ftpspec does not know",
        }
    }
}

impl Scenario {
    /// The scenario's area: the `area` field, or the ID without its last component.
    pub fn area(&self) -> &str {
        if !self.area_field.is_empty() {
            return &self.area_field;
        }
        self.id.rsplit_once('.').map_or(&self.id, |(area, _)| area)
    }

    /// What the cell shows.
    pub fn mark(&self) -> Mark {
        match self.expectation.as_ref().map(|e| e.status.as_str()) {
            Some("expected") => return Mark::Xfail,
            Some("unexpected-pass") => return Mark::Xpass,
            _ => {}
        }
        match self.verdict.as_str() {
            "PASS" => Mark::Pass,
            "FAIL" => Mark::Fail,
            "WARN" => Mark::Warn,
            "INFO" => Mark::Info,
            "SKIP" => Mark::Skip,
            "BLOCKED" => Mark::Blocked,
            "ERROR" => Mark::Error,
            _ => Mark::Other,
        }
    }

    /// The word in the cell: the mark's, or the verdict as written for one not known here.
    pub fn word(&self) -> &str {
        match self.mark() {
            Mark::Other => &self.verdict,
            mark => mark.word(),
        }
    }
}

/// Reads a report or a matrix document: its columns, in order.
pub fn parse(bytes: &[u8]) -> Result<Vec<Column>, ReadError> {
    columns_from_value(&serde_json::from_slice(bytes)?)
}

/// The columns of a report (one) or a matrix document (one per target, in order).
pub fn columns_from_value(doc: &Value) -> Result<Vec<Column>, ReadError> {
    match schema(doc)? {
        REPORT_SCHEMA => Ok(vec![column(doc, "report")?]),
        MATRIX_SCHEMA => {
            check_version(doc, MATRIX_SCHEMA, MATRIX_VERSION)?;
            let targets = doc
                .get("targets")
                .and_then(Value::as_array)
                .ok_or_else(|| ReadError::Shape {
                    at: "matrix".into(),
                    source: serde::de::Error::missing_field("targets"),
                })?;
            targets
                .iter()
                .enumerate()
                .map(|(i, target)| {
                    let at = format!("targets[{i}]");
                    match schema(target)? {
                        REPORT_SCHEMA => column(target, &at),
                        other => Err(ReadError::Shape {
                            at,
                            source: serde::de::Error::custom(format!(
                                "schema {other:?}, expected {REPORT_SCHEMA:?}"
                            )),
                        }),
                    }
                })
                .collect()
        }
        other => Err(ReadError::Schema(other.to_owned())),
    }
}

fn schema(doc: &Value) -> Result<&str, ReadError> {
    doc.get("schema")
        .and_then(Value::as_str)
        .ok_or(ReadError::NoSchema)
}

/// Refuses a version newer than `supported` (an absent or odd version is left to the shape).
fn check_version(doc: &Value, schema: &'static str, supported: u64) -> Result<(), ReadError> {
    match doc.get("version").and_then(Value::as_u64) {
        Some(version) if version > supported => Err(ReadError::Version {
            schema,
            version,
            supported,
        }),
        _ => Ok(()),
    }
}

/// The parts of a report object the matrix reads.
#[derive(Deserialize)]
struct WireReport {
    #[serde(default)]
    tool: WireTool,
    run: Run,
    scenarios: Vec<Scenario>,
}

#[derive(Default, Deserialize)]
struct WireTool {
    #[serde(default)]
    version: String,
}

fn column(report: &Value, at: &str) -> Result<Column, ReadError> {
    check_version(report, REPORT_SCHEMA, REPORT_VERSION)?;
    let wire = WireReport::deserialize(report).map_err(|source| ReadError::Shape {
        at: at.to_owned(),
        source,
    })?;
    let label = match &wire.run.label {
        Some(label) if !label.is_empty() => label.clone(),
        _ => wire.run.target.clone(),
    };
    Ok(Column {
        label,
        tool_version: wire.tool.version,
        run: wire.run,
        scenarios: wire.scenarios,
    })
}
