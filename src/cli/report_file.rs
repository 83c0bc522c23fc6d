//! Report files named on the command line (`--json`, `--junit`). They are created, with any
//! missing directory, before anything runs: a typo in a path must not cost a whole run or a
//! night of fuzzing.

use std::fmt::Display;
use std::fs::File;
use std::path::Path;

/// Creates `path` (truncating it) and its missing parent directories.
pub fn create(path: &Path) -> Result<File, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            write_error(
                path,
                format_args!("cannot create directory {}: {e}", dir.display()),
            )
        })?;
    }
    File::create(path).map_err(|e| write_error(path, e))
}

/// The one error line for a report that cannot be written: `cannot write report PATH: WHY`.
pub fn write_error(path: &Path, e: impl Display) -> String {
    format!("cannot write report {}: {e}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_report_and_the_directory() {
        let dir = std::env::temp_dir().join(format!("ftpspec-report-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let blocker = dir.join("a-file");
        std::fs::write(&blocker, b"").unwrap();
        let path = blocker.join("sub").join("report.json");
        let err = create(&path).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "cannot write report {}: cannot create directory {}: ",
                path.display(),
                blocker.join("sub").display()
            )),
            "{err}"
        );
        let made = dir.join("new").join("report.json");
        create(&made).unwrap();
        assert!(made.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
