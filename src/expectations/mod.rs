//! Expectation files: known deviations of a real server, as data.
//!
//! A server under test rarely passes everything, and a CI job that is red for known reasons
//! stops being read. An expectation file (TOML, one per server, e.g.
//! `interop/expectations/vsftpd.toml`) lists the scenarios a server is known to fail — by
//! scenario-ID globs (`ids`), by a glob over the summary of the defect (`cause`, for one defect
//! that shows in many scenarios, as FAIL in some and BLOCKED in others), or both — with the
//! verdict and the reason (the RFC sentence and the server's reply). `ftpspec run --expect FILE`
//! then marks each matching outcome after the run:
//!
//! - the expected verdict → **XFAIL**, an expected deviation, not counted by the exit code;
//! - PASS instead → **XPASS**, an unexpected pass, counted as a failure so that the file stays
//!   current (the server was fixed, or the scenario changed);
//! - any other verdict → counted as that verdict, with the expectation shown beside it.
//!
//! A file that cannot be parsed, an unknown verdict word, or an `ids` glob that matches no
//! scenario of the loaded suites (a stale entry) is a usage error before anything runs. A
//! `cause` glob that matched nothing can only be known after the run, and is a warning then
//! ([`ExpectationSet::unmatched_causes`]), not an error: the defect may be fixed, or the run a
//! subset.
//!
//! The model is rustls's BoGo shim configuration (`bogo/config.json.in`), which maps test-name
//! globs to the reason a test is expected to fail.

mod apply;
mod error;
mod file;

pub use apply::{ExpectationSet, RunStatus, UnmatchedCause, run_status};
pub use error::ExpectationError;
/// The 1-based line of a byte offset, for messages about TOML files (spans are byte offsets).
pub(crate) use file::line_of;
pub use file::{Deviation, ExpectationFile, Pattern};
