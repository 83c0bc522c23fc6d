//! `ftpspec report`: reads JSON reports of `ftpspec run` after the fact.
//!
//! - `--diff OLD.json NEW.json`: what changed between two runs, and exit 1 on a regression — so
//!   a server project can gate an upgrade in CI. The comparison itself is `report::diff`.
//! - `FILE… --html OUT`: the conformance matrix of several targets as one HTML page
//!   (`report::columns` reads, `report::html` renders).
//!
//! This reads the files, writes, and maps the result to an exit code.

use super::EXIT_FAIL;
use super::args::ReportArgs;
use super::report_file;
use crate::report::columns::{self, Column};
use crate::report::diff::{self, Report};
use crate::report::html;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn report(args: ReportArgs) -> Result<u8, String> {
    match &args.html {
        Some(out) => matrix(&args.files, out),
        None => compare(&args),
    }
}

fn compare(args: &ReportArgs) -> Result<u8, String> {
    let [old, new] = &args.diff[..] else {
        // clap requires exactly two values; this is only a guard.
        return Err("--diff takes two JSON reports: OLD NEW".into());
    };
    let d = diff::diff_runs(&read(old)?, &read(new)?);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(diff::runs_to_text(&d).as_bytes())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    if let Some(path) = &args.markdown {
        let mut file = report_file::create(path)?;
        file.write_all(diff::runs_to_markdown(&d).as_bytes())
            .map_err(|e| report_file::write_error(path, e))?;
    }
    Ok(if d.regressions() > 0 { EXIT_FAIL } else { 0 })
}

/// Reads every file (in order, each a report or a matrix document), renders, writes `out` (`-`
/// is standard output), and says on stdout what it wrote.
fn matrix(files: &[PathBuf], out: &Path) -> Result<u8, String> {
    let mut all: Vec<Column> = Vec::new();
    for path in files {
        all.extend(read_columns(path)?);
    }
    if all.is_empty() {
        // Only a matrix document with an empty `targets` gets here.
        return Err("no target in the reports: nothing to lay out".into());
    }
    let page = html::render(&all).map_err(|e| e.to_string())?;
    if out == Path::new("-") {
        return std::io::stdout()
            .lock()
            .write_all(page.as_bytes())
            .map(|()| 0)
            .map_err(|e| format!("cannot write to stdout: {e}"));
    }
    report_file::create(out)?
        .write_all(page.as_bytes())
        .map_err(|e| report_file::write_error(out, e))?;
    let scenarios: BTreeSet<&str> = all
        .iter()
        .flat_map(|c| c.scenarios.iter().map(|s| s.id.as_str()))
        .collect();
    println!(
        "ftpspec report --html: {} targets, {} scenarios → {}",
        all.len(),
        scenarios.len(),
        out.display()
    );
    Ok(0)
}

/// A report file, or a several-target run's document (its reports); an unreadable one is exit
/// 2 with one line naming it (see `cli::fatal`).
fn read(path: &Path) -> Result<Vec<Report>, String> {
    Report::parse_all(&read_bytes(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// The columns of a report or matrix file; exit 2 with one line naming it otherwise.
fn read_columns(path: &Path) -> Result<Vec<Column>, String> {
    columns::parse(&read_bytes(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
