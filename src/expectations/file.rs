//! One expectation file: TOML, parsed and validated into [`ExpectationFile`].
//!
//! ```toml
//! server = "vsftpd 3.0.3"
//!
//! [[deviation]]
//! ids = ["rfc2428.eprt.unsupported-netprt-*"]   # globs over scenario IDs
//! verdict = "FAIL"                               # FAIL, WARN, ERROR, SKIP or INFO
//! reason = "vsftpd answers \"500 Bad EPRT protocol.\" […] RFC 2428 §2: \"…\""
//! ```
//!
//! Unknown keys are errors (a misspelt `verdcit` must not silently drop an entry), and so are
//! an unknown verdict word, PASS as a verdict, an empty `ids` list, an empty reason and a bad
//! glob. Errors name the file, the line and the entry (1-based, in file order).

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
    /// The globs, as written, with their lines.
    pub globs: Vec<IdGlob>,
    /// The expected verdict: never PASS.
    pub verdict: Verdict,
    pub reason: String,
}

/// One element of `ids`: a glob over scenario IDs (`*` matches any run of characters, dots
/// included; `?`, `[…]` and `{a,b}` as in globset).
#[derive(Debug, Clone)]
pub struct IdGlob {
    pub text: String,
    pub line: usize,
    matcher: GlobMatcher,
}

impl IdGlob {
    pub fn is_match(&self, id: &str) -> bool {
        self.matcher.is_match(id)
    }
}

impl Deviation {
    /// True when any of the entry's globs matches the scenario ID.
    pub fn matches(&self, id: &str) -> bool {
        self.globs.iter().any(|g| g.is_match(id))
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
    ids: Spanned<Vec<Spanned<String>>>,
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
    let ids_line = line_of(text, raw.ids.span().start);
    if raw.ids.get_ref().is_empty() {
        return Err(incomplete(ids_line, "`ids` is empty"));
    }
    if raw.reason.get_ref().trim().is_empty() {
        let reason_line = line_of(text, raw.reason.span().start);
        return Err(incomplete(reason_line, "`reason` is empty"));
    }
    let globs = raw
        .ids
        .into_inner()
        .into_iter()
        .map(|g| compile(g, entry, text, path))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Deviation {
        entry,
        line,
        globs,
        verdict,
        reason: raw.reason.into_inner().trim().to_owned(),
    })
}

fn compile(
    glob: Spanned<String>,
    entry: usize,
    text: &str,
    path: &Path,
) -> Result<IdGlob, ExpectationError> {
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
    Ok(IdGlob {
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
fn line_of(text: &str, at: usize) -> usize {
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
        assert_eq!(first.globs[1].text, "rfc2428.epsv.reply-229");
        assert_eq!(first.globs[0].line, 4);
        let second = &file.deviations[1];
        assert_eq!((second.entry, second.line), (2, 10));
        assert_eq!(second.verdict, Verdict::Warn);
        assert_eq!(second.reason, "ports are privileged");
    }

    #[test]
    fn globs_match_across_dots_and_exact_ids_match_only_themselves() {
        let file = parse(GOOD).unwrap();
        let first = &file.deviations[0];
        assert!(first.matches("rfc2428.eprt.delimiter-del"));
        assert!(first.matches("rfc2428.epsv.reply-229"));
        assert!(!first.matches("rfc2428.epsv.reply-2290"));
        assert!(!first.matches("rfc2428.eprt.port-0"));
        let all =
            parse("[[deviation]]\nids = [\"rfc2428.*\"]\nverdict = \"INFO\"\nreason = \"r\"\n")
                .unwrap();
        assert!(all.deviations[0].matches("rfc2428.eprt.a.b"));
    }

    #[test]
    fn an_empty_file_has_no_deviations() {
        let file = parse("").unwrap();
        assert!(file.server.is_none());
        assert!(file.deviations.is_empty());
    }

    #[test]
    fn every_deviation_verdict_is_accepted_and_pass_is_not() {
        for word in ["FAIL", "WARN", "ERROR", "SKIP", "INFO"] {
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
            "x.toml:15: deviation 3: unknown verdict \"fail\" (one of FAIL, WARN, ERROR, SKIP, INFO)"
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
