//! Why an expectation file cannot be used. Every variant names the file, and where it can the
//! line and the deviation entry, so that one line on stderr says what to fix.

use std::path::PathBuf;

/// An expectation file that cannot be read, parsed or trusted. The CLI reports it as a usage
/// error (exit code 2) before anything runs.
#[derive(Debug, thiserror::Error)]
pub enum ExpectationError {
    /// The file could not be read.
    #[error("cannot read expectation file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not TOML, or not the expected shape (unknown key, wrong type, missing key).
    #[error("{}:{line}: malformed expectation file: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// `verdict` is not one of the deviation verdicts.
    #[error(
        "{}:{line}: deviation {entry}: unknown verdict {word:?} (one of FAIL, WARN, INFO, SKIP, BLOCKED, ERROR)",
        path.display()
    )]
    UnknownVerdict {
        path: PathBuf,
        line: usize,
        entry: usize,
        word: String,
    },
    /// `verdict = "PASS"`: passing is not a deviation, so such an entry could only hide XPASSes.
    #[error(
        "{}:{line}: deviation {entry}: PASS is not a deviation; remove the entry instead",
        path.display()
    )]
    PassIsNoDeviation {
        path: PathBuf,
        line: usize,
        entry: usize,
    },
    /// An entry with neither `ids` nor `cause`, an empty `ids` list or `cause`, or an empty
    /// reason: the reason is the point of the entry.
    #[error("{}:{line}: deviation {entry}: {what}", path.display())]
    Incomplete {
        path: PathBuf,
        line: usize,
        entry: usize,
        what: &'static str,
    },
    /// An `ids` element or the `cause` that is not a valid glob.
    #[error("{}:{line}: deviation {entry}: bad glob {glob:?}: {message}", path.display())]
    BadGlob {
        path: PathBuf,
        line: usize,
        entry: usize,
        glob: String,
        message: String,
    },
    /// An `ids` glob that matches no scenario of the loaded suites: the scenario was renamed or
    /// removed, or the glob has a typo. Either way the entry no longer says anything. (A
    /// `cause` glob can only be judged after the run: see
    /// [`ExpectationSet::unmatched_causes`](super::ExpectationSet::unmatched_causes).)
    #[error(
        "{}:{line}: deviation {entry}: {glob:?} matches no scenario in the loaded suites \
         (stale entry: update or remove it)",
        path.display()
    )]
    Stale {
        path: PathBuf,
        line: usize,
        entry: usize,
        glob: String,
    },
}
