//! `ftpspec report --diff OLD.json NEW.json`: what changed between two runs, and exit 1 on a
//! regression — so a server project can gate an upgrade in CI. The comparison itself is
//! `report::diff`; this reads the files, prints, and maps the result to an exit code.

use super::EXIT_FAIL;
use super::args::ReportArgs;
use super::report_file;
use crate::report::diff::{self, Report};
use std::io::Write;
use std::path::Path;

pub fn report(args: ReportArgs) -> Result<u8, String> {
    let [old, new] = &args.diff[..] else {
        // clap requires exactly two values; this is only a guard.
        return Err("--diff takes two JSON reports: OLD NEW".into());
    };
    let d = diff::diff(&read(old)?, &read(new)?);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(diff::to_text(&d).as_bytes())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    if let Some(path) = &args.markdown {
        let mut file = report_file::create(path)?;
        file.write_all(diff::to_markdown(&d).as_bytes())
            .map_err(|e| report_file::write_error(path, e))?;
    }
    Ok(if d.regressions() > 0 { EXIT_FAIL } else { 0 })
}

/// A report file; an unreadable one is exit 2 with one line naming it (see `cli::fatal`).
fn read(path: &Path) -> Result<Report, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Report::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}
