//! One expectation file: TOML, parsed and validated into [`ExpectationFile`].
//!
//! ```toml
//! server = "vsftpd 3.0.3"
//!
//! [[deviation]]
//! ids = ["rfc2428.eprt.unsupported-netprt-*"]   # globs over scenario IDs
//! verdict = "FAIL"                               # FAIL, WARN, INFO, SKIP, BLOCKED or ERROR
//! reason = "vsftpd answers \"500 Bad EPRT protocol.\" […] RFC 2428 §2: \"…\""
//!
//! [[deviation]]
//! cause = "TYPE is answered \"504 *\""            # a glob over the run's cause summaries
//! verdict = "BLOCKED"
//! reason = "vsftpd refuses TYPE I here; the scenarios that need it cannot run"
//! ```
//!
//! An entry names the scenarios it is about by `ids`, by `cause`, or by both:
//!
//! - `ids`: globs over scenario IDs (`*` matches any run of characters, dots included; `?`,
//!   `[…]` and `{a,b}` as in globset).
//! - `cause`: one glob, in the same syntax, over the one-line summary of a scenario's cause as
//!   the reports print it (`cause c2 (also in 6 other scenarios): EPSV is answered "522 Bad
//!   network protocol."`; `causes[].summary` in the JSON report). It is for one defect that
//!   shows in many scenarios, some as FAIL, others as BLOCKED, whatever their IDs. `*`, `?`,
//!   `[`, `{` and `\` are glob syntax: a summary quoting them matches itself only when they are
//!   escaped (`[*]`, `\\?`). A summary quotes the reply as one scenario saw it, so write `*`
//!   for what changes from run to run (the port of a 229, a count).
//! - both: an outcome must match both. Only an outcome with a cause can match a `cause`; an
//!   outcome without one (a PASS, a SKIP) is matched by `ids` alone, so that when the defect is
//!   fixed the scenarios the entry names are XPASS, as with `ids` alone. An entry with `cause`
//!   and no `ids` never matches a PASS: when its defect is fixed, nothing says so but the
//!   warning after the run ([`ExpectationSet::unmatched_causes`]) — give `ids` too when a fix
//!   should fail the run.
//!
//! Unknown keys are errors (a misspelt `verdcit` must not silently drop an entry), and so are
//! an unknown verdict word, PASS as a verdict, an entry with neither `ids` nor `cause`, an empty
//! `ids` list, an empty `cause` or reason and a bad glob. Errors name the file, the line and the
//! entry (1-based, in file order).
//!
//! [`ExpectationSet::unmatched_causes`]: super::ExpectationSet::unmatched_causes

use super::error::ExpectationError;
use crate::runner::Verdict;
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A parsed, validated expectation file.
#[derive(Debug, Clone)]
pub struct ExpectationFile {
    /// The file as named on the command line.
    pub path: PathBuf,
    /// The server and version the file describes (`server = "vsftpd 3.0.3"`), if given.
    pub server: Option<String>,
    /// The entries, in file order.
    pub deviations: Vec<Deviation>,
}

/// One `[[deviation]]` entry.
#[derive(Debug, Clone)]
pub struct Deviation {
    /// 1-based position in the file, for messages.
    pub entry: usize,
    /// The line of the entry's `verdict` key (1-based), for messages and reports.
    pub line: usize,
    /// The `ids` globs over scenario IDs; empty when the entry names only a cause.
    pub ids: Vec<Pattern>,
    /// The `cause` glob over cause summaries, when the entry names one.
    pub cause: Option<Pattern>,
    /// The expected verdict: never PASS.
    pub verdict: Verdict,
    pub reason: String,
}

/// A glob as written in the file, with its line: an element of `ids` (over scenario IDs) or
/// the `cause` (over cause summaries). `*` matches any run of characters, dots and slashes
/// included; `?`, `[…]` and `{a,b}` as in globset.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    pub line: usize,
    matcher: GlobMatcher,
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        self.matcher.is_match(text)
    }
}

impl Deviation {
    /// True when the entry is about this outcome: its ID matches one of `ids` (if the entry
    /// has any), and `cause` (the summary of the outcome's cause) matches the entry's `cause`
    /// glob (if it has one). An outcome without a cause is matched by `ids` alone: a scenario
    /// the entry names that passes is an XPASS. See the module docs.
    pub fn matches(&self, id: &str, cause: Option<&str>) -> bool {
        let by_id = self.ids.iter().any(|g| g.is_match(id));
        match (&self.cause, cause) {
            (None, _) => by_id,
            (Some(glob), Some(summary)) => (self.ids.is_empty() || by_id) && glob.is_match(summary),
            (Some(_), None) => by_id,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    server: Option<String>,
    #[serde(default)]
    deviation: Vec<RawDeviation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeviation {
    ids: Option<Spanned<Vec<Spanned<String>>>>,
    cause: Option<Spanned<String>>,
    verdict: Spanned<String>,
    reason: Spanned<String>,
}

impl ExpectationFile {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<ExpectationFile, ExpectationError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExpectationError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ExpectationFile::parse(&text, path)
    }

    /// Parses and validates `text`; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<ExpectationFile, ExpectationError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| ExpectationError::Syntax {
            path: path.to_path_buf(),
            line: e.span().map_or(1, |span| line_of(text, span.start)),
            message: e.message().trim().to_owned(),
        })?;
        let deviations = raw
            .deviation
            .into_iter()
            .enumerate()
            .map(|(i, d)| validate(d, i + 1, text, path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExpectationFile {
            path: path.to_path_buf(),
            server: raw.server,
            deviations,
        })
    }
}

fn validate(
    raw: RawDeviation,
    entry: usize,
    text: &str,
    path: &Path,
) -> Result<Deviation, ExpectationError> {
    let line = line_of(text, raw.verdict.span().start);
    let verdict = parse_verdict(raw.verdict.get_ref()).map_err(|pass| {
        if pass {
            ExpectationError::PassIsNoDeviation {
                path: path.to_path_buf(),
                line,
                entry,
            }
        } else {
            ExpectationError::UnknownVerdict {
                path: path.to_path_buf(),
                line,
                entry,
                word: raw.verdict.get_ref().clone(),
            }
        }
    })?;
    let incomplete = |line, what| ExpectationError::Incomplete {
        path: path.to_path_buf(),
        line,
        entry,
        what,
    };
    match (&raw.ids, &raw.cause) {
        (None, None) => {
            return Err(incomplete(
                line,
                "neither `ids` nor `cause`: name the scenarios, the cause, or both",
            ));
        }
        (Some(ids), _) if ids.get_ref().is_empty() => {
            return Err(incomplete(
                line_of(text, ids.span().start),
                "`ids` is empty",
            ));
        }
        (_, Some(cause)) if cause.get_ref().trim().is_empty() => {
            return Err(incomplete(
                line_of(text, cause.span().start),
                "`cause` is empty",
            ));
        }
        _ => {}
    }
    if raw.reason.get_ref().trim().is_empty() {
        let reason_line = line_of(text, raw.reason.span().start);
        return Err(incomplete(reason_line, "`reason` is empty"));
    }
    let ids = raw
        .ids
        .map(Spanned::into_inner)
        .unwrap_or_default()
        .into_iter()
        .map(|g| compile(g, entry, text, path))
        .collect::<Result<Vec<_>, _>>()?;
    let cause = raw
        .cause
        .map(|g| compile(g, entry, text, path))
        .transpose()?;
    Ok(Deviation {
        entry,
        line,
        ids,
        cause,
        verdict,
        reason: raw.reason.into_inner().trim().to_owned(),
    })
}

fn compile(
    glob: Spanned<String>,
    entry: usize,
    text: &str,
    path: &Path,
) -> Result<Pattern, ExpectationError> {
    let line = line_of(text, glob.span().start);
    let text = glob.into_inner();
    let matcher = Glob::new(&text)
        .map_err(|e| ExpectationError::BadGlob {
            path: path.to_path_buf(),
            line,
            entry,
            glob: text.clone(),
            message: e.kind().to_string(),
        })?
        .compile_matcher();
    Ok(Pattern {
        text,
        line,
        matcher,
    })
}

/// The deviation verdicts by their report names; `Err(true)` for PASS, `Err(false)` for any
/// other word. Exact, upper-case words only: they are the words the reports print.
fn parse_verdict(word: &str) -> Result<Verdict, bool> {
    match Verdict::ALL.into_iter().find(|v| v.as_str() == word) {
        Some(Verdict::Pass) => Err(true),
        Some(verdict) => Ok(verdict),
        None => Err(false),
    }
}

/// The 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ExpectationFile, ExpectationError> {
        ExpectationFile::parse(text, Path::new("x.toml"))
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    const GOOD: &str = r#"server = "exampled 1.0"

[[deviation]]
ids = ["rfc2428.eprt.delimiter-*", "rfc2428.epsv.reply-229"]
verdict = "FAIL"
reason = "answers 200"

[[deviation]]
ids = ["rfc2428.epsv.port-range"]
verdict = "WARN"
reason = "  ports are privileged  "
"#;

    #[test]
    fn a_good_file_parses_with_lines_and_entries() {
        let file = parse(GOOD).unwrap();
        assert_eq!(file.server.as_deref(), Some("exampled 1.0"));
        assert_eq!(file.deviations.len(), 2);
        let first = &file.deviations[0];
        assert_eq!((first.entry, first.line), (1, 5));
        assert_eq!(first.verdict, Verdict::Fail);
        assert_eq!(first.ids[1].text, "rfc2428.epsv.reply-229");
        assert_eq!(first.ids[0].line, 4);
        assert!(first.cause.is_none());
        let second = &file.deviations[1];
        assert_eq!((second.entry, second.line), (2, 10));
        assert_eq!(second.verdict, Verdict::Warn);
        assert_eq!(second.reason, "ports are privileged");
    }

    #[test]
    fn globs_match_across_dots_and_exact_ids_match_only_themselves() {
        let file = parse(GOOD).unwrap();
        let first = &file.deviations[0];
        assert!(first.matches("rfc2428.eprt.delimiter-del", None));
        assert!(first.matches("rfc2428.epsv.reply-229", Some("any cause")));
        assert!(!first.matches("rfc2428.epsv.reply-2290", None));
        assert!(!first.matches("rfc2428.eprt.port-0", None));
        let all =
            parse("[[deviation]]\nids = [\"rfc2428.*\"]\nverdict = \"INFO\"\nreason = \"r\"\n")
                .unwrap();
        assert!(all.deviations[0].matches("rfc2428.eprt.a.b", None));
    }

    #[test]
    fn an_empty_file_has_no_deviations() {
        let file = parse("").unwrap();
        assert!(file.server.is_none());
        assert!(file.deviations.is_empty());
    }

    #[test]
    fn every_deviation_verdict_is_accepted_and_pass_is_not() {
        for word in ["FAIL", "WARN", "ERROR", "SKIP", "INFO", "BLOCKED"] {
            let text =
                format!("[[deviation]]\nids = [\"a\"]\nverdict = \"{word}\"\nreason = \"r\"\n");
            assert_eq!(parse(&text).unwrap().deviations[0].verdict.as_str(), word);
        }
        let pass = error("[[deviation]]\nids = [\"a\"]\nverdict = \"PASS\"\nreason = \"r\"\n");
        assert_eq!(
            pass,
            "x.toml:3: deviation 1: PASS is not a deviation; remove the entry instead"
        );
    }

    #[test]
    fn an_unknown_verdict_names_file_line_entry_and_word() {
        let text =
            format!("{GOOD}\n[[deviation]]\nids = [\"a\"]\nverdict = \"fail\"\nreason = \"r\"\n");
        assert_eq!(
            error(&text),
            "x.toml:15: deviation 3: unknown verdict \"fail\" (one of FAIL, WARN, INFO, SKIP, \
             BLOCKED, ERROR)"
        );
    }

    #[test]
    fn malformed_files_are_syntax_errors_with_a_line() {
        let unknown_key =
            error("[[deviation]]\nids = [\"a\"]\nverdcit = \"FAIL\"\nreason = \"r\"\n");
        assert!(unknown_key.starts_with("x.toml:"), "{unknown_key}");
        assert!(
            unknown_key.contains("malformed expectation file"),
            "{unknown_key}"
        );
        assert!(unknown_key.contains("verdcit"), "{unknown_key}");
        let not_toml = error("server = \"x\"\n[[deviation]\n");
        assert!(not_toml.starts_with("x.toml:2: malformed"), "{not_toml}");
        let wrong_type = error("[[deviation]]\nids = \"a\"\nverdict = \"FAIL\"\nreason = \"r\"\n");
        assert!(
            wrong_type.starts_with("x.toml:2: malformed"),
            "{wrong_type}"
        );
        let missing = error("[[deviation]]\nids = [\"a\"]\nverdict = \"FAIL\"\n");
        assert!(missing.contains("reason"), "{missing}");
        assert!(error("surprise = 1\n").contains("surprise"));
    }

    #[test]
    fn empty_ids_empty_reason_and_bad_globs_are_refused() {
        assert_eq!(
            error("[[deviation]]\nids = []\nverdict = \"FAIL\"\nreason = \"r\"\n"),
            "x.toml:2: deviation 1: `ids` is empty"
        );
        assert_eq!(
            error("[[deviation]]\nids = [\"a\"]\nverdict = \"FAIL\"\nreason = \" \"\n"),
            "x.toml:4: deviation 1: `reason` is empty"
        );
        let bad =
            error("[[deviation]]\nids = [\"a\",\n  \"b[\"]\nverdict = \"FAIL\"\nreason = \"r\"\n");
        assert!(
            bad.starts_with("x.toml:3: deviation 1: bad glob \"b[\""),
            "{bad}"
        );
    }

    const CAUSES: &str = r#"
[[deviation]]
cause = "TYPE is answered \"504 *\""
verdict = "BLOCKED"
reason = "TYPE I refused"

[[deviation]]
ids = ["rfc959.type.*"]
cause = "TYPE is answered *"
verdict = "FAIL"
reason = "TYPE I refused, where it is the requirement"
"#;

    const TYPE_504: &str = "TYPE is answered \"504 Command not implemented for that parameter.\"";

    #[test]
    fn a_cause_parses_with_its_line_and_without_ids() {
        let file = parse(CAUSES).unwrap();
        let only = &file.deviations[0];
        assert!(only.ids.is_empty());
        let cause = only.cause.as_ref().unwrap();
        assert_eq!(cause.text, "TYPE is answered \"504 *\"");
        assert_eq!((cause.line, only.line), (3, 4));
        assert_eq!(only.verdict, Verdict::Blocked);
        let both = &file.deviations[1];
        assert_eq!(both.ids.len(), 1);
        assert_eq!(both.cause.as_ref().unwrap().line, 9);
    }

    #[test]
    fn a_cause_entry_matches_by_the_summary_and_both_keys_must_match() {
        let file = parse(CAUSES).unwrap();
        let (only, both) = (&file.deviations[0], &file.deviations[1]);
        // `cause` alone: any ID, the summary decides; never an outcome without a cause.
        assert!(only.matches("rfc2428.epsv.transfer", Some(TYPE_504)));
        assert!(only.matches("x", Some(TYPE_504)));
        assert!(!only.matches("x", Some("TYPE is answered \"500 Unknown command\"")));
        assert!(!only.matches("x", Some("EPSV is answered \"504 x\"")));
        assert!(
            !only.matches("rfc2428.epsv.transfer", None),
            "a PASS is not its business"
        );
        // Both: the ID and the summary; without a cause (a PASS) the ID alone, for XPASS.
        assert!(both.matches("rfc959.type.image", Some(TYPE_504)));
        assert!(!both.matches("rfc2428.epsv.transfer", Some(TYPE_504)));
        assert!(!both.matches("rfc959.type.image", Some("EPSV is answered \"522\"")));
        assert!(both.matches("rfc959.type.image", None));
        assert!(!both.matches("rfc2428.epsv.transfer", None));
        // The summary is matched whole, case and all.
        assert!(!only.matches("x", Some(&TYPE_504.to_lowercase())));
        assert!(!only.matches("x", Some(&format!("{TYPE_504}!"))));
    }

    #[test]
    fn an_entry_needs_ids_or_a_cause_and_a_cause_must_be_a_glob() {
        assert_eq!(
            error("[[deviation]]\nverdict = \"FAIL\"\nreason = \"r\"\n"),
            "x.toml:2: deviation 1: neither `ids` nor `cause`: name the scenarios, the cause, or both"
        );
        assert_eq!(
            error("[[deviation]]\ncause = \" \"\nverdict = \"FAIL\"\nreason = \"r\"\n"),
            "x.toml:2: deviation 1: `cause` is empty"
        );
        let bad = error("[[deviation]]\ncause = \"EPSV [\"\nverdict = \"FAIL\"\nreason = \"r\"\n");
        assert!(
            bad.starts_with("x.toml:2: deviation 1: bad glob \"EPSV [\""),
            "{bad}"
        );
        let wrong_type =
            error("[[deviation]]\ncause = [\"a\"]\nverdict = \"FAIL\"\nreason = \"r\"\n");
        assert!(
            wrong_type.starts_with("x.toml:2: malformed"),
            "{wrong_type}"
        );
        // Glob characters in a quoted reply are escaped to match themselves.
        let escaped = parse("[[deviation]]\ncause = \"EPSV is answered \\\"500 what[?]\\\"\"\nverdict = \"FAIL\"\nreason = \"r\"\n")
            .unwrap();
        let d = &escaped.deviations[0];
        assert!(d.matches("x", Some("EPSV is answered \"500 what?\"")));
        assert!(!d.matches("x", Some("EPSV is answered \"500 whatX\"")));
    }

    #[test]
    fn a_missing_file_is_a_read_error_naming_it() {
        let e = ExpectationFile::load(Path::new("/nonexistent/ftpspec/e.toml")).unwrap_err();
        assert!(matches!(e, ExpectationError::Read { .. }));
        assert!(e.to_string().contains("/nonexistent/ftpspec/e.toml"));
    }

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
