//! The columns of `ftpspec run`: each target resolved, its TLS configured and its greeting
//! probed before anything runs (an unreachable target is one error line, exit 2), then — with
//! several targets — named, and the endpoints of one server made to lend each other the address
//! family the other lacks.

use super::args::{RunArgs, TlsOpts, TransferArg};
use super::target;
use super::targets::TargetSpec;
use super::tls_opts::{tls_client, tls_mode};
use crate::expectations::ExpectationSet;
use crate::proto::TlsMode;
use crate::report::matrix::cut_middle;
use crate::runner::siblings::{SameServer, lend_families};
use crate::runner::{self, Files, RunConfig, Target, TlsReport, TransferChoice};
use std::path::PathBuf;
use std::time::Duration;

/// One target, ready to run.
pub struct Column {
    pub config: RunConfig,
    pub expectations: ExpectationSet,
    /// The greeting the probe read.
    pub banner: String,
    /// What TLS negotiated in the probe.
    pub tls: Option<TlsReport>,
    /// The column name, given or (with several targets) made by [`name_columns`].
    pub label: Option<String>,
}

/// The run settings every target shares, from the command line.
pub fn base_config(args: &RunArgs, target: Target) -> RunConfig {
    let mut config = RunConfig::new(target);
    config.strict = args.strict;
    config.jobs = usize::from(args.jobs);
    config.step_timeout = Duration::from_secs_f64(args.timeout);
    config.scenario_timeout = Duration::from_secs_f64(args.scenario_timeout);
    config.repeat = u32::from(args.repeat);
    config.burst = args.burst;
    config.files = Files {
        small: args.file_small.clone(),
        large: args.file_large.clone(),
        upload: args.file_upload.clone(),
    };
    config.transfer = args
        .transfer
        .map(|t| transfer_choice(t, &config.files.small));
    config
}

fn transfer_choice(t: TransferArg, small: &str) -> TransferChoice {
    TransferChoice::Command(match t {
        TransferArg::Nlst => "NLST".to_string(),
        TransferArg::List => "LIST".to_string(),
        TransferArg::Retr => format!("RETR {small}"),
    })
}

/// Resolves, configures and probes one target given by URL (`--target`, a target file entry).
/// `expect` are the `--expect` files; the entry's own are added after them.
pub async fn prepare(
    spec: &TargetSpec,
    args: &RunArgs,
    expect: &[PathBuf],
    ids: &[String],
    several: bool,
) -> Result<Column, String> {
    let step_timeout = Duration::from_secs_f64(args.timeout);
    let mut endpoint = target::resolve_endpoint(&spec.url, step_timeout).await?;
    if let Some(user) = &spec.user {
        endpoint.set_user(user);
    }
    if let Some(password) = &spec.password {
        endpoint.target.password = Some(password.clone());
    }
    let opts = TlsOpts {
        tls: spec.tls.or(args.tls_opts.tls),
        tls_ca: spec.tls_ca.clone().or_else(|| args.tls_opts.tls_ca.clone()),
        tls_insecure: spec.tls_insecure.unwrap_or(args.tls_opts.tls_insecure),
    };
    // With several targets, a configuration error says which.
    let in_spec = |e: String| match several {
        true => format!("{}: {e}", spec.origin),
        false => e,
    };
    let mode = tls_mode(opts.tls, endpoint.tls, &spec.url).map_err(in_spec)?;
    let tls = tls_client(&opts, mode, None, &endpoint.host).map_err(in_spec)?;
    let tls_required = spec.tls_required.unwrap_or(args.tls_required);
    tls_required_check(tls_required, tls.is_some()).map_err(in_spec)?;
    let mut config = base_config(args, endpoint.target);
    config.tls = tls;
    config.tls_required = tls_required;
    if let Some(small) = &spec.file_small {
        config.files.small = small.clone();
    }
    if let Some(large) = &spec.file_large {
        config.files.large = large.clone();
    }
    if let Some(upload) = &spec.file_upload {
        config.files.upload = upload.clone();
    }
    if let Some(t) = spec.transfer.or(args.transfer) {
        config.transfer = Some(transfer_choice(t, &config.files.small));
    }
    let paths: Vec<PathBuf> = expect.iter().chain(&spec.expect).cloned().collect();
    let expectations = load_expectations(&paths, ids).map_err(in_spec)?;
    probed(config, expectations, spec.label.clone()).await
}

/// The column of a configured target, once its greeting (and TLS) has been probed: an
/// unreachable target is one error line naming it.
pub async fn probed(
    config: RunConfig,
    expectations: ExpectationSet,
    label: Option<String>,
) -> Result<Column, String> {
    let probed = runner::probe_session(&config)
        .await
        .map_err(|e| format!("cannot reach {}: {e}", config.target.display))?;
    Ok(Column {
        config,
        expectations,
        banner: probed.banner,
        tls: probed.tls,
        label,
    })
}

/// Loads expectation files and checks them against every loaded scenario, before anything runs.
pub fn load_expectations(paths: &[PathBuf], ids: &[String]) -> Result<ExpectationSet, String> {
    let set = ExpectationSet::load(paths).map_err(|e| e.to_string())?;
    set.check_stale(ids.iter().map(String::as_str))
        .map_err(|e| e.to_string())?;
    Ok(set)
}

/// Makes every column's label (a given one is kept) and lends families between the endpoints
/// of one server (see [`crate::runner::siblings`]).
pub fn name_columns(columns: &mut [Column]) {
    let keys: Vec<Option<SameServer>> = columns
        .iter()
        .map(|c| {
            Some(SameServer {
                banner: c.banner.clone(),
                user: c.config.target.user_name().to_string(),
                tls: c.config.tls.as_ref().map(|t| t.mode()),
            })
        })
        .collect();
    let mut targets: Vec<Target> = columns.iter().map(|c| c.config.target.clone()).collect();
    lend_families(&mut targets, &keys);
    for (column, target) in columns.iter_mut().zip(targets) {
        column.config.target = target;
    }
    let labels = column_labels(
        &columns
            .iter()
            .map(|c| LabelSource {
                given: c.label.clone(),
                banner: c.banner.clone(),
                display: c.config.target.display.clone(),
                ipv6: c.config.target.addrs.first().is_some_and(|a| a.is_ipv6()),
                tls: c.config.tls.as_ref().map(|t| t.mode()),
            })
            .collect::<Vec<_>>(),
    );
    for (column, label) in columns.iter_mut().zip(labels) {
        column.label = Some(label);
    }
}

/// What a column's name is made from.
#[derive(Debug, Clone)]
pub struct LabelSource {
    pub given: Option<String>,
    pub banner: String,
    pub display: String,
    pub ipv6: bool,
    pub tls: Option<TlsMode>,
}

/// Longest label made from a banner.
const MAX_BANNER_LABEL: usize = 32;

/// A given label stays; otherwise the greeting's text (`220 pyftpdlib 2.2.0 ready.` →
/// `pyftpdlib 2.2.0 ready.`), else the target URL. Made labels that clash are told apart by
/// family (`… IPv6`), transport (`… FTPS`) or, failing both, the URL.
pub fn column_labels(sources: &[LabelSource]) -> Vec<String> {
    let made: Vec<String> = sources
        .iter()
        .map(|s| match &s.given {
            Some(label) => label.clone(),
            None => banner_label(&s.banner).unwrap_or_else(|| s.display.clone()),
        })
        .collect();
    let clashes = |i: usize| {
        made.iter()
            .enumerate()
            .any(|(j, l)| j != i && *l == made[i])
    };
    made.iter()
        .enumerate()
        .map(|(i, label)| {
            let source = &sources[i];
            if source.given.is_some() || !clashes(i) {
                return label.clone();
            }
            let group: Vec<&LabelSource> = (0..sources.len())
                .filter(|&j| made[j] == *label)
                .map(|j| &sources[j])
                .collect();
            let families_differ = group.iter().any(|s| s.ipv6 != source.ipv6);
            let transports_differ = group.iter().any(|s| s.tls != source.tls);
            let distinct_by =
                |key: &dyn Fn(&LabelSource) -> bool| group.iter().filter(|s| key(s)).count() == 1;
            if families_differ && distinct_by(&|s| s.ipv6 == source.ipv6) {
                format!("{label} {}", if source.ipv6 { "IPv6" } else { "IPv4" })
            } else if transports_differ && distinct_by(&|s| s.tls == source.tls) {
                let how = match source.tls {
                    Some(mode) => format!("FTPS {}", mode.name()),
                    None => "FTP".to_string(),
                };
                format!("{label} {how}")
            } else {
                format!("{label} ({})", source.display)
            }
        })
        .collect()
}

/// The text of a greeting without its code, cut to [`MAX_BANNER_LABEL`] characters in the
/// middle; `None`
/// when nothing is left.
fn banner_label(banner: &str) -> Option<String> {
    let text = banner
        .get(..3)
        .filter(|code| code.bytes().all(|b| b.is_ascii_digit()))
        .map_or(banner, |_| &banner[3..]);
    let text = text.trim_start_matches(['-', ' ']).trim();
    if text.is_empty() {
        return None;
    }
    Some(cut_middle(text, MAX_BANNER_LABEL))
}

/// `--tls-required` (or `tls-required` in a target file) asks that TLS be required; without
/// TLS there is nothing to require.
pub(super) fn tls_required_check(required: bool, tls: bool) -> Result<(), String> {
    match required && !tls {
        true => Err("--tls-required needs --tls, or an ftpes:// or ftps:// target".into()),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(given: Option<&str>, banner: &str, display: &str, ipv6: bool) -> LabelSource {
        LabelSource {
            given: given.map(str::to_string),
            banner: banner.into(),
            display: display.into(),
            ipv6,
            tls: None,
        }
    }

    #[test]
    fn labels_come_from_the_flag_else_the_banner_else_the_url() {
        let labels = column_labels(&[
            source(Some("mine"), "220 x", "ftp://a", false),
            source(None, "220 pyftpdlib 2.2.0 ready.", "ftp://b", false),
            source(None, "220 ", "ftp://c:21", false),
            source(
                None,
                "220-a very long greeting that goes on and on",
                "ftp://d",
                false,
            ),
        ]);
        assert_eq!(labels[0], "mine");
        assert_eq!(labels[1], "pyftpdlib 2.2.0 ready.");
        assert_eq!(labels[2], "ftp://c:21");
        assert_eq!(labels[3].chars().count(), MAX_BANNER_LABEL);
        assert!(labels[3].contains('…') && labels[3].ends_with("on and on"));
    }

    #[test]
    fn clashing_labels_are_told_apart_by_family_transport_or_url() {
        let labels = column_labels(&[
            source(None, "220 vsFTPd", "ftp://127.0.0.1:21", false),
            source(None, "220 vsFTPd", "ftp://[::1]:21", true),
        ]);
        assert_eq!(labels, ["vsFTPd IPv4", "vsFTPd IPv6"]);

        let mut tls = source(None, "220 vsFTPd", "ftpes://127.0.0.1:21", false);
        tls.tls = Some(TlsMode::Explicit);
        let labels = column_labels(&[source(None, "220 vsFTPd", "ftp://127.0.0.1:21", false), tls]);
        assert_eq!(labels, ["vsFTPd FTP", "vsFTPd FTPS explicit"]);

        let labels = column_labels(&[
            source(None, "220 x", "ftp://127.0.0.1:21", false),
            source(None, "220 x", "ftp://127.0.0.2:21", false),
        ]);
        assert_eq!(labels, ["x (ftp://127.0.0.1:21)", "x (ftp://127.0.0.2:21)"]);
    }
}
