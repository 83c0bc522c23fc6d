//! What changed between two runs: `ftpspec report --diff OLD.json NEW.json`.
//!
//! Reads two JSON reports (schema `ftpspec-report`, see `reports/README.md`) and compares them
//! scenario by scenario, so that a server project can gate an upgrade in CI: a scenario that
//! got worse is a regression and makes the exit code 1.
//!
//! Verdicts are compared by what they say about the server, not by their names:
//!
//! | rank | verdicts |
//! |---|---|
//! | holds | PASS, XFAIL (an expected, known deviation), INFO (an observation) |
//! | warns | WARN (a SHOULD failed) |
//! | broken | FAIL, XPASS, ERROR, BLOCKED |
//! | not run | SKIP |
//!
//! A move to a worse rank is a regression; to a better one, a fix. SKIP compares as "did not
//! fail": a scenario skipped before that fails now is a regression (it ran and broke), one that
//! fails before and is skipped now is listed as no longer run, not as fixed. Scenarios only in
//! one report are listed as added or removed; they change no exit code (a newer ftpspec may
//! have more scenarios).
//!
//! Reports of several-target runs (`ftpspec-matrix` documents) are compared target by target,
//! paired by label (else target URL): see [`diff_runs`].
//!
//! Parsing is pure (`serde_json` over bytes) and the comparison has no I/O; the CLI reads the
//! files and prints.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The schema name a report must carry.
const SCHEMA_NAME: &str = "ftpspec-report";

/// The schema name of a several-target run's document, which holds a report per target.
const MATRIX_SCHEMA_NAME: &str = "ftpspec-matrix";

/// The parts of an `ftpspec-matrix` document the diff reads.
#[derive(Debug, Clone, Deserialize)]
struct Matrix {
    targets: Vec<Report>,
}

/// The parts of a JSON report the diff reads. Unknown fields are ignored, so reports of any
/// later version within the schema still read.
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    schema: String,
    pub version: u32,
    pub run: Run,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Run {
    pub target: String,
    /// The column name in a several-target run.
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub banner: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub verdict: String,
    #[serde(default)]
    pub expectation: Option<Expectation>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Expectation {
    pub status: String,
}

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "not an ftpspec report (schema {0:?}, expected {SCHEMA_NAME:?} or {MATRIX_SCHEMA_NAME:?})"
    )]
    Schema(String),
}

impl Report {
    /// Parses a JSON report.
    pub fn parse(bytes: &[u8]) -> Result<Report, ReadError> {
        let report: Report = serde_json::from_slice(bytes)?;
        if report.schema != SCHEMA_NAME {
            return Err(ReadError::Schema(report.schema));
        }
        Ok(report)
    }

    /// Parses a JSON report, or a several-target run's `ftpspec-matrix` document into its
    /// reports (in column order).
    pub fn parse_all(bytes: &[u8]) -> Result<Vec<Report>, ReadError> {
        let doc: serde_json::Value = serde_json::from_slice(bytes)?;
        match doc.get("schema").and_then(serde_json::Value::as_str) {
            Some(MATRIX_SCHEMA_NAME) => {
                let matrix: Matrix = serde_json::from_value(doc)?;
                match matrix.targets.iter().find(|r| r.schema != SCHEMA_NAME) {
                    Some(bad) => Err(ReadError::Schema(bad.schema.clone())),
                    None => Ok(matrix.targets),
                }
            }
            _ => Report::parse(bytes).map(|r| vec![r]),
        }
    }

    /// The report's column name: its label, else its target.
    pub fn column(&self) -> &str {
        self.run.label.as_deref().unwrap_or(&self.run.target)
    }
}

impl Scenario {
    /// The verdict as the run counted it: XFAIL and XPASS where an expectation file said so.
    pub fn effective(&self) -> String {
        match self.expectation.as_ref().map(|e| e.status.as_str()) {
            Some("expected") => "XFAIL".into(),
            Some("unexpected-pass") => "XPASS".into(),
            _ => self.verdict.clone(),
        }
    }
}

/// How a verdict stands, worst last (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    NotRun,
    Holds,
    Warns,
    Broken,
}

fn rank(verdict: &str) -> Rank {
    match verdict {
        "PASS" | "XFAIL" | "INFO" => Rank::Holds,
        "WARN" => Rank::Warns,
        "SKIP" => Rank::NotRun,
        // FAIL, XPASS, ERROR, BLOCKED, and anything a later version adds: not a pass.
        _ => Rank::Broken,
    }
}

/// What happened to one scenario between the runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Worse than before: the exit code is 1.
    Regression,
    /// Better than before.
    Fixed,
    /// It failed before and was not run now.
    NoLongerRun,
    /// Another verdict of the same rank (PASS → INFO, FAIL → ERROR, …).
    Other,
    /// Only in the new report.
    Added,
    /// Only in the old report.
    Removed,
}

impl Change {
    pub fn label(self) -> &'static str {
        match self {
            Change::Regression => "regression",
            Change::Fixed => "fixed",
            Change::NoLongerRun => "no longer run",
            Change::Other => "changed",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

/// One scenario whose verdict differs between the runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub change: Change,
    pub id: String,
    pub title: String,
    /// `None` when the scenario is not in that report.
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The comparison of two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// The target's column name, when the runs had several targets.
    pub label: Option<String>,
    pub old_target: String,
    pub new_target: String,
    /// Scenarios whose verdict changed, regressions first, then by ID.
    pub entries: Vec<Entry>,
    /// Scenarios in both reports with the same verdict.
    pub unchanged: usize,
}

impl Diff {
    pub fn regressions(&self) -> usize {
        self.count(Change::Regression)
    }

    pub fn count(&self, change: Change) -> usize {
        self.entries.iter().filter(|e| e.change == change).count()
    }
}

/// Compares `old` with `new`, scenario by scenario (by ID).
pub fn diff(old: &Report, new: &Report) -> Diff {
    let old_by_id: BTreeMap<&str, &Scenario> =
        old.scenarios.iter().map(|s| (s.id.as_str(), s)).collect();
    let new_by_id: BTreeMap<&str, &Scenario> =
        new.scenarios.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut entries = Vec::new();
    let mut unchanged = 0;
    for (id, n) in &new_by_id {
        let new_verdict = n.effective();
        let Some(o) = old_by_id.get(id) else {
            entries.push(entry(Change::Added, n, None, Some(new_verdict)));
            continue;
        };
        let old_verdict = o.effective();
        if old_verdict == new_verdict {
            unchanged += 1;
            continue;
        }
        let change = match (rank(&old_verdict), rank(&new_verdict)) {
            (Rank::Broken | Rank::Warns, Rank::NotRun) => Change::NoLongerRun,
            (before, now) if now > before => Change::Regression,
            (before, now) if now < before && now != Rank::NotRun => Change::Fixed,
            _ => Change::Other,
        };
        entries.push(entry(change, n, Some(old_verdict), Some(new_verdict)));
    }
    for (id, o) in &old_by_id {
        if !new_by_id.contains_key(id) {
            entries.push(entry(Change::Removed, o, Some(o.effective()), None));
        }
    }
    entries.sort_by(|a, b| (a.change, &a.id).cmp(&(b.change, &b.id)));
    Diff {
        label: None,
        old_target: old.run.target.clone(),
        new_target: new.run.target.clone(),
        entries,
        unchanged,
    }
}

/// The comparison of two runs of one target or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsDiff {
    /// A diff per target present in both runs, in the new run's column order.
    pub targets: Vec<Diff>,
    /// Column names only in the old run, or only in the new one.
    pub removed: Vec<String>,
    pub added: Vec<String>,
}

impl RunsDiff {
    pub fn regressions(&self) -> usize {
        self.targets.iter().map(Diff::regressions).sum()
    }
}

/// Compares two runs. One report each: compared as they are, whatever their targets (an old
/// and a new server on different ports). Otherwise targets are paired by column name (label,
/// else target URL); one in only one run is listed as added or removed and is no regression.
pub fn diff_runs(old: &[Report], new: &[Report]) -> RunsDiff {
    if let ([o], [n]) = (old, new) {
        return RunsDiff {
            targets: vec![diff(o, n)],
            removed: Vec::new(),
            added: Vec::new(),
        };
    }
    let targets = new
        .iter()
        .filter_map(|n| {
            let o = old.iter().find(|o| o.column() == n.column())?;
            Some(Diff {
                label: Some(n.column().to_string()),
                ..diff(o, n)
            })
        })
        .collect();
    let columns = |reports: &[Report], others: &[Report]| -> Vec<String> {
        reports
            .iter()
            .filter(|r| !others.iter().any(|o| o.column() == r.column()))
            .map(|r| r.column().to_string())
            .collect()
    };
    RunsDiff {
        targets,
        removed: columns(old, new),
        added: columns(new, old),
    }
}

/// [`to_text`] for every target, then the targets only in one run.
pub fn runs_to_text(d: &RunsDiff) -> String {
    let mut out: String = d.targets.iter().map(to_text).collect();
    for (what, columns) in [("removed", &d.removed), ("added", &d.added)] {
        for column in columns.iter() {
            let _ = writeln!(out, "target {what}: {column}");
        }
    }
    if d.targets.len() > 1 {
        let _ = writeln!(
            out,
            "{} over {} targets",
            plural(d.regressions(), "regression", "regressions"),
            d.targets.len()
        );
    }
    out
}

/// [`to_markdown`] for every target, then the targets only in one run.
pub fn runs_to_markdown(d: &RunsDiff) -> String {
    let mut out = d
        .targets
        .iter()
        .map(to_markdown)
        .collect::<Vec<_>>()
        .join("\n");
    for (what, columns) in [("removed", &d.removed), ("added", &d.added)] {
        for column in columns.iter() {
            let _ = writeln!(out, "\nTarget {what}: {}", md(column));
        }
    }
    out
}

fn entry(change: Change, s: &Scenario, old: Option<String>, new: Option<String>) -> Entry {
    Entry {
        change,
        id: s.id.clone(),
        title: s.title.clone(),
        old,
        new,
    }
}

/// One line of totals: `2 regressions, 1 fixed, 3 other changes, 97 unchanged`.
pub fn totals(d: &Diff) -> String {
    let mut parts = vec![
        plural(d.regressions(), "regression", "regressions"),
        format!("{} fixed", d.count(Change::Fixed)),
    ];
    for (change, what) in [
        (Change::NoLongerRun, "no longer run"),
        (Change::Other, "changed within their rank"),
        (Change::Added, "added"),
        (Change::Removed, "removed"),
    ] {
        let n = d.count(change);
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.push(format!("{} unchanged", d.unchanged));
    parts.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The diff as plain text, one changed scenario a line.
pub fn to_text(d: &Diff) -> String {
    let mut out = String::new();
    let label = d
        .label
        .as_deref()
        .map(|l| format!(" [{l}]"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "ftpspec report --diff{label}: {} → {}",
        d.old_target, d.new_target
    );
    for e in &d.entries {
        let _ = writeln!(
            out,
            "  {:<13} {:<8} → {:<8} {}  {}",
            e.change.label(),
            e.old.as_deref().unwrap_or("—"),
            e.new.as_deref().unwrap_or("—"),
            e.id,
            e.title
        );
    }
    let _ = writeln!(out, "{}", totals(d));
    out
}

/// The diff as a Markdown table, for a pull-request comment or `$GITHUB_STEP_SUMMARY`. Every
/// string from a report is escaped: a title or target is data, never markup.
pub fn to_markdown(d: &Diff) -> String {
    let mut out = String::new();
    let label = d
        .label
        .as_deref()
        .map(|l| format!(" [{}]", md(l)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "### ftpspec{label}: {} → {}\n",
        md(&d.old_target),
        md(&d.new_target)
    );
    let _ = writeln!(out, "**{}**\n", md(&totals(d)));
    if d.entries.is_empty() {
        let _ = writeln!(out, "No scenario changed its verdict.");
        return out;
    }
    let _ = writeln!(out, "| change | scenario | before | after | title |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for e in &d.entries {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            match e.change {
                Change::Regression => "**regression**",
                other => other.label(),
            },
            e.id.replace('`', "'"),
            e.old.as_deref().map_or("—".into(), md),
            e.new.as_deref().map_or("—".into(), md),
            md(&e.title)
        );
    }
    out
}

/// Escapes Markdown and HTML syntax, and flattens line breaks, so that a string from a report
/// reads as text inside a table cell.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(target: &str, scenarios: &[(&str, &str, Option<&str>)]) -> Report {
        let scenarios: Vec<serde_json::Value> = scenarios
            .iter()
            .map(|(id, verdict, status)| {
                serde_json::json!({
                    "id": id,
                    "title": format!("title of {id}"),
                    "verdict": verdict,
                    "expectation": status.map(|s| serde_json::json!({"status": s})),
                    "unknown_field": 1,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "schema": "ftpspec-report",
            "version": 2,
            "run": {"target": target},
            "scenarios": scenarios,
        });
        Report::parse(doc.to_string().as_bytes()).expect("parses")
    }

    /// A several-target run's document: targets paired by label, regressions counted over all,
    /// a target in one run only listed and no regression.
    #[test]
    fn matrices_are_compared_target_by_target() {
        let target = |label: &str, verdict: &str| {
            serde_json::json!({
                "schema": "ftpspec-report", "version": 2,
                "run": {"target": format!("ftp://{label}"), "label": label},
                "scenarios": [{"id": "a.x", "title": "t", "verdict": verdict}],
            })
        };
        let matrix = |targets: Vec<serde_json::Value>| {
            let doc = serde_json::json!({"schema": "ftpspec-matrix", "version": 1,
                                         "targets": targets});
            Report::parse_all(doc.to_string().as_bytes()).expect("parses")
        };
        let old = matrix(vec![
            target("v4", "PASS"),
            target("v6", "PASS"),
            target("gone", "PASS"),
        ]);
        let new = matrix(vec![
            target("v6", "FAIL"),
            target("v4", "PASS"),
            target("new", "FAIL"),
        ]);
        assert_eq!(old.len(), 3);
        let d = diff_runs(&old, &new);
        assert_eq!(d.regressions(), 1);
        assert_eq!(d.targets.len(), 2);
        assert_eq!(d.targets[0].label.as_deref(), Some("v6"));
        assert_eq!(
            (d.removed.as_slice(), d.added.as_slice()),
            (&["gone".to_string()][..], &["new".to_string()][..])
        );
        let text = runs_to_text(&d);
        assert!(
            text.starts_with("ftpspec report --diff [v6]: ftp://v6 → ftp://v6\n"),
            "{text}"
        );
        assert!(
            text.contains("target removed: gone\ntarget added: new\n"),
            "{text}"
        );
        assert!(text.ends_with("1 regression over 2 targets\n"), "{text}");
        let md = runs_to_markdown(&d);
        assert!(md.starts_with("### ftpspec [v6]: "), "{md}");
        assert!(md.contains("Target added: new"), "{md}");

        // One report each: compared as they are, whatever the targets are called.
        let one = |t: &str| Report::parse_all(target(t, "PASS").to_string().as_bytes()).unwrap();
        let d = diff_runs(&one("old"), &one("new"));
        assert_eq!((d.targets.len(), d.targets[0].label.clone()), (1, None));
        assert!(!runs_to_text(&d).contains("over"));

        // A matrix that holds something else is not a report.
        let bad = serde_json::json!({"schema": "ftpspec-matrix", "version": 1,
                                     "targets": [{"schema": "x", "version": 1,
                                                  "run": {"target": "t"}, "scenarios": []}]});
        assert!(matches!(
            Report::parse_all(bad.to_string().as_bytes()),
            Err(ReadError::Schema(s)) if s == "x"
        ));
    }

    #[test]
    fn verdicts_are_compared_by_what_they_say_about_the_server() {
        let old = report(
            "old",
            &[
                ("a.pass-fail", "PASS", None),
                ("b.fail-pass", "FAIL", None),
                ("c.pass-warn", "PASS", None),
                ("d.skip-fail", "SKIP", None),
                ("e.fail-skip", "FAIL", None),
                ("f.xfail-xpass", "FAIL", Some("expected")),
                ("g.fail-error", "FAIL", None),
                ("h.same", "PASS", None),
                ("i.gone", "PASS", None),
                ("j.pass-xfail", "PASS", None),
            ],
        );
        let new = report(
            "new",
            &[
                ("a.pass-fail", "FAIL", None),
                ("b.fail-pass", "PASS", None),
                ("c.pass-warn", "WARN", None),
                ("d.skip-fail", "FAIL", None),
                ("e.fail-skip", "SKIP", None),
                ("f.xfail-xpass", "PASS", Some("unexpected-pass")),
                ("g.fail-error", "ERROR", None),
                ("h.same", "PASS", None),
                ("k.new", "FAIL", None),
                ("j.pass-xfail", "FAIL", Some("expected")),
            ],
        );
        let d = diff(&old, &new);
        let changes: Vec<(&str, Change)> = d
            .entries
            .iter()
            .map(|e| (e.id.as_str(), e.change))
            .collect();
        assert_eq!(
            changes,
            [
                ("a.pass-fail", Change::Regression),
                ("c.pass-warn", Change::Regression),
                ("d.skip-fail", Change::Regression),
                ("f.xfail-xpass", Change::Regression),
                ("b.fail-pass", Change::Fixed),
                ("e.fail-skip", Change::NoLongerRun),
                ("g.fail-error", Change::Other),
                ("j.pass-xfail", Change::Other),
                ("k.new", Change::Added),
                ("i.gone", Change::Removed),
            ]
        );
        assert_eq!(d.unchanged, 1);
        assert_eq!(d.regressions(), 4);
    }

    #[test]
    fn the_same_run_twice_has_no_change() {
        let r = report("t", &[("a", "PASS", None), ("b", "FAIL", None)]);
        let d = diff(&r, &r);
        assert!(d.entries.is_empty());
        assert_eq!(totals(&d), "0 regressions, 0 fixed, 2 unchanged");
        assert!(to_markdown(&d).contains("No scenario changed its verdict."));
    }

    #[test]
    fn markdown_escapes_what_a_report_holds() {
        let old = report("ftp://old", &[("a", "PASS", None)]);
        let mut new = report("ftp://new|<b>", &[("a", "FAIL", None)]);
        new.scenarios[0].title = "pipes | and <script>alert(1)</script>\nnext".into();
        let md = to_markdown(&diff(&old, &new));
        assert!(
            md.contains("| **regression** | `a` | PASS | FAIL |"),
            "{md}"
        );
        assert!(md.contains("pipes \\| and &lt;script&gt;"), "{md}");
        assert!(!md.contains("<script>"), "{md}");
        assert!(md.contains("ftp://new\\|&lt;b&gt;"), "{md}");
        assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 2);
    }

    #[test]
    fn a_file_that_is_not_a_report_is_refused() {
        assert!(matches!(
            Report::parse(b"{\"schema\": \"ftpspec-fuzz-stats\", \"version\": 1, \"run\": {\"target\": \"x\"}, \"scenarios\": []}"),
            Err(ReadError::Schema(_))
        ));
        assert!(matches!(
            Report::parse(b"not json"),
            Err(ReadError::Json(_))
        ));
    }
}
