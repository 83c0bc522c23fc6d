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
//! Parsing is pure (`serde_json` over bytes) and the comparison has no I/O; the CLI reads the
//! files and prints.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The schema name a report must carry.
const SCHEMA_NAME: &str = "ftpspec-report";

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
    #[error("not an ftpspec report (schema {0:?}, expected {SCHEMA_NAME:?})")]
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
        old_target: old.run.target.clone(),
        new_target: new.run.target.clone(),
        entries,
        unchanged,
    }
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
    let _ = writeln!(
        out,
        "ftpspec report --diff: {} → {}",
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
    let _ = writeln!(
        out,
        "### ftpspec: {} → {}\n",
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
