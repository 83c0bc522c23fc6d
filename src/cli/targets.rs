//! The targets of a run, as people give them: `--target [LABEL=]URL` (repeatable) and a TOML
//! target file (`--targets FILE`) with per-target credentials, files, transfer command, TLS
//! options and expectation files, for CI:
//!
//! ```toml
//! [[target]]
//! label = "pyftpdlib"                   # the column name; else made from the banner
//! url = "ftp://127.0.0.1:2121"
//! user = "ftpspec"                      # instead of the URL's
//! password-env = "PYFTPDLIB_PASSWORD"   # or password = "…" (keep secrets out of the file)
//! expect = ["expectations/pyftpdlib.toml"]   # relative to this file
//! file-small = "hello.txt"
//! transfer = "list"                     # nlst | list | retr
//! tls = "explicit"                      # explicit | implicit; tls-ca, tls-insecure, tls-required
//! ```
//!
//! What a target leaves out comes from the command line (`--file-small`, `--tls-ca`, `--expect`
//! apply to every target; a target's `expect` adds to them). Errors name the file and line.

use super::args::{TlsArg, TransferArg};
use crate::expectations::line_of;
use crate::runner::Secret;
use clap::ValueEnum;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One target before it is resolved: what the user wrote, with everything optional that the
/// command line may supply.
#[derive(Debug, Clone, Default)]
pub struct TargetSpec {
    /// The column name (`label=URL`, the file's `label`).
    pub label: Option<String>,
    pub url: String,
    /// Login name and password instead of the URL's.
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// Expectation files of this target only, on top of `--expect`.
    pub expect: Vec<PathBuf>,
    pub file_small: Option<String>,
    pub file_large: Option<String>,
    pub file_upload: Option<String>,
    pub transfer: Option<TransferArg>,
    pub tls: Option<TlsArg>,
    pub tls_ca: Option<PathBuf>,
    pub tls_insecure: Option<bool>,
    pub tls_required: Option<bool>,
    /// Where it was given, for messages: `--target #2`, `ci/targets.toml:7`.
    pub origin: String,
}

/// `LABEL=URL` or `URL`. A label is what comes before the first `=` when that contains no `:`
/// or `/` (a URL always has `://` before any `=` of its password or path), and is not empty.
pub fn parse_target_arg(arg: &str, index: usize) -> Result<TargetSpec, String> {
    let origin = format!("--target #{index}");
    let (label, url) = match arg.split_once('=') {
        Some((label, url)) if !label.contains([':', '/']) => {
            let label = label.trim();
            if label.is_empty() {
                return Err(format!("{origin}: empty label before '=' in {arg:?}"));
            }
            (Some(label.to_string()), url)
        }
        _ => (None, arg),
    };
    Ok(TargetSpec {
        label,
        url: url.to_string(),
        origin,
        ..TargetSpec::default()
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    target: Vec<Spanned<RawTarget>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTarget {
    label: Option<String>,
    url: String,
    user: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    #[serde(default)]
    expect: Vec<PathBuf>,
    file_small: Option<String>,
    file_large: Option<String>,
    file_upload: Option<String>,
    transfer: Option<String>,
    tls: Option<String>,
    tls_ca: Option<PathBuf>,
    tls_insecure: Option<bool>,
    tls_required: Option<bool>,
}

/// Reads a target file; every error is one line naming the file (and the line when known).
pub fn load(path: &Path) -> Result<Vec<TargetSpec>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read target file {}: {e}", path.display()))?;
    parse(&text, path, |name| std::env::var(name).ok())
}

/// Parses a target file's text; `env` looks up `password-env` variables. Relative paths
/// (`expect`, `tls-ca`) are taken from the file's directory.
pub fn parse(
    text: &str,
    path: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<TargetSpec>, String> {
    let at = |offset: usize| format!("{}:{}", path.display(), line_of(text, offset));
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let place = e.span().map_or_else(|| at(0), |s| at(s.start));
        format!(
            "{place}: malformed target file: {}",
            e.message().trim().replace('\n', " ")
        )
    })?;
    if raw.target.is_empty() {
        return Err(format!(
            "{}: no [[target]] entry: a target file lists targets as [[target]] tables with a url",
            path.display()
        ));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    raw.target
        .into_iter()
        .map(|entry| {
            let origin = at(entry.span().start);
            let raw = entry.into_inner();
            spec(raw, origin, base, &env)
        })
        .collect()
}

fn spec(
    raw: RawTarget,
    origin: String,
    base: &Path,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<TargetSpec, String> {
    let password = match (raw.password, raw.password_env) {
        (Some(_), Some(_)) => {
            return Err(format!("{origin}: give password or password-env, not both"));
        }
        (Some(p), None) => Some(Secret::new(p)),
        (None, Some(name)) => Some(Secret::new(env(&name).ok_or_else(|| {
            format!("{origin}: password-env names {name:?}, which is not set")
        })?)),
        (None, None) => None,
    };
    let transfer = raw
        .transfer
        .map(|t| {
            TransferArg::from_str(&t, true)
                .map_err(|_| format!("{origin}: transfer {t:?}: expected nlst, list or retr"))
        })
        .transpose()?;
    let tls = raw
        .tls
        .map(|t| {
            TlsArg::from_str(&t, true)
                .map_err(|_| format!("{origin}: tls {t:?}: expected explicit or implicit"))
        })
        .transpose()?;
    if raw.label.as_deref().is_some_and(|l| l.trim().is_empty()) {
        return Err(format!("{origin}: empty label"));
    }
    Ok(TargetSpec {
        label: raw.label.map(|l| l.trim().to_string()),
        url: raw.url,
        user: raw.user,
        password,
        expect: raw.expect.into_iter().map(|p| base.join(p)).collect(),
        file_small: raw.file_small,
        file_large: raw.file_large,
        file_upload: raw.file_upload,
        transfer,
        tls,
        tls_ca: raw.tls_ca.map(|p| base.join(p)),
        tls_insecure: raw.tls_insecure,
        tls_required: raw.tls_required,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Vec<TargetSpec>, String> {
        parse(text, Path::new("ci/targets.toml"), |name| {
            (name == "SET").then(|| "from-env".to_string())
        })
    }

    #[test]
    fn target_args_take_an_optional_label() {
        let t = parse_target_arg("v6=ftp://[::1]:2121", 2).unwrap();
        assert_eq!(
            (t.label.as_deref(), t.url.as_str()),
            (Some("v6"), "ftp://[::1]:2121")
        );
        assert_eq!(t.origin, "--target #2");
        // A '=' inside the URL (a password, a path) is not a label.
        let t = parse_target_arg("ftp://bob:a=b@127.0.0.1", 1).unwrap();
        assert_eq!((t.label, t.url.as_str()), (None, "ftp://bob:a=b@127.0.0.1"));
        let t = parse_target_arg("pyftpdlib 2.2=ftp://127.0.0.1:21", 1).unwrap();
        assert_eq!(t.label.as_deref(), Some("pyftpdlib 2.2"));
        assert!(
            parse_target_arg(" =ftp://127.0.0.1", 1)
                .unwrap_err()
                .contains("empty label")
        );
    }

    #[test]
    fn a_target_file_gives_every_field_with_paths_beside_it() {
        let specs = parse_text(
            r#"
[[target]]
url = "ftp://127.0.0.1:2121"

[[target]]
label = "vsftpd v6"
url = "ftpes://[::1]:21"
user = "ftpspec"
password-env = "SET"
expect = ["exp/vsftpd.toml"]
file-small = "a.txt"
file-large = "b.bin"
file-upload = "c.bin"
transfer = "LIST"
tls = "explicit"
tls-ca = "ca.pem"
tls-insecure = false
tls-required = true
"#,
        )
        .unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].origin, "ci/targets.toml:2");
        assert_eq!(specs[0].label, None);
        let v = &specs[1];
        assert_eq!(v.origin, "ci/targets.toml:5");
        assert_eq!(v.label.as_deref(), Some("vsftpd v6"));
        assert_eq!(v.user.as_deref(), Some("ftpspec"));
        assert_eq!(v.password.as_ref().map(Secret::expose), Some("from-env"));
        assert_eq!(v.expect, vec![PathBuf::from("ci/exp/vsftpd.toml")]);
        assert_eq!(v.tls_ca, Some(PathBuf::from("ci/ca.pem")));
        assert_eq!(v.transfer, Some(TransferArg::List));
        assert_eq!(v.tls, Some(TlsArg::Explicit));
        assert_eq!((v.tls_insecure, v.tls_required), (Some(false), Some(true)));
        assert_eq!(v.file_upload.as_deref(), Some("c.bin"));
        assert!(!format!("{v:?}").contains("from-env"));
    }

    #[test]
    fn target_file_errors_name_file_and_line() {
        let unknown = parse_text("[[target]]\nurl = \"ftp://h\"\nport = 21\n").unwrap_err();
        assert!(unknown.starts_with("ci/targets.toml:"), "{unknown}");
        assert!(unknown.contains("port"), "{unknown}");
        assert!(!unknown.contains('\n'), "{unknown}");

        let missing = parse_text("\n\n[[target]]\nlabel = \"x\"\n").unwrap_err();
        assert!(missing.contains("url"), "{missing}");

        let env =
            parse_text("[[target]]\nurl = \"ftp://h\"\npassword-env = \"UNSET\"\n").unwrap_err();
        assert_eq!(
            env,
            "ci/targets.toml:1: password-env names \"UNSET\", which is not set"
        );
        let both =
            parse_text("[[target]]\nurl = \"ftp://h\"\npassword = \"a\"\npassword-env = \"SET\"\n")
                .unwrap_err();
        assert!(both.contains("not both"), "{both}");
        let transfer =
            parse_text("[[target]]\nurl = \"ftp://h\"\ntransfer = \"mget\"\n").unwrap_err();
        assert!(transfer.contains("nlst, list or retr"), "{transfer}");
        let tls = parse_text("[[target]]\nurl = \"ftp://h\"\ntls = \"starttls\"\n").unwrap_err();
        assert!(tls.contains("explicit or implicit"), "{tls}");
        assert!(parse_text("").unwrap_err().contains("no [[target]]"));
        assert!(
            parse_text("[[target]]\nurl = \"ftp://h\"\nlabel = \" \"\n")
                .unwrap_err()
                .contains("empty label")
        );
    }
}
