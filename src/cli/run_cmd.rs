//! `ftpspec run`: load and select scenarios, resolve the target (or start the built-in server),
//! check it answers, run, report, and choose the exit code.

use super::args::{ColorChoice, RunArgs, Selection, TransferArg};
use super::report_file::{self, write_error};
use super::serve_cmd::parse_faults;
use super::signal::interrupt_signal;
use super::tls_opts::{tls_client, tls_mode};
use super::{EXIT_FAIL, EXIT_INTERRUPTED, EXIT_USAGE, target};
use crate::expectations::{ExpectationSet, RunStatus, run_status};
use crate::proto::TlsMode;
use crate::report::console::{self, ConsoleOptions};
use crate::report::{json, junit};
use crate::runner::{self, Files, RunConfig, RunReport, Target, TransferChoice};
use crate::server::{self, Config, ServerHandle};
use crate::suite::{self, Scenario};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub async fn run(args: RunArgs) -> Result<u8, String> {
    let all = load_suites(&args.selection)?;
    let scenarios = choose(&all, &args.selection)?;
    // BLOCKED verdicts name the scenario that tests the failed command, selected or not.
    let coverage = runner::coverage(&all);
    // Expectation files are checked against every loaded scenario, before anything runs.
    let expectations = ExpectationSet::load(&args.expect).map_err(|e| e.to_string())?;
    expectations
        .check_stale(all.iter().map(|s| s.id.as_str()))
        .map_err(|e| e.to_string())?;
    drop(all);
    // Report paths are checked before anything runs: a typo must not cost a whole run.
    let json_out = args.json.as_deref().map(open_report).transpose()?;
    let junit_out = args.junit.as_deref().map(open_report).transpose()?;
    let step_timeout = Duration::from_secs_f64(args.timeout);

    let (target, _server, tls) = match &args.target {
        Some(url) => {
            target::refuse_faults(&args.fault)?;
            let endpoint = target::resolve_endpoint(url, step_timeout).await?;
            let mode = tls_mode(args.tls_opts.tls, endpoint.tls, url)?;
            let tls = tls_client(&args.tls_opts, mode, None, &endpoint.host)?;
            (endpoint.target, None, tls)
        }
        None => {
            let mode = args.tls_opts.tls.map(TlsMode::from);
            let required = args.tls_required && mode.is_some();
            let (target, handle) = builtin_target(&args.fault, mode, required).await?;
            // The built-in server's certificate is made for localhost, 127.0.0.1 and ::1.
            let tls = tls_client(&args.tls_opts, mode, handle.certificate(), "localhost")?;
            (target, Some(handle), tls)
        }
    };
    if args.tls_required && tls.is_none() {
        return Err("--tls-required needs --tls, or an ftpes:// or ftps:// target".into());
    }
    let mut config = RunConfig::new(target);
    config.tls = tls;
    config.tls_required = args.tls_required;
    config.strict = args.strict;
    config.jobs = usize::from(args.jobs);
    config.step_timeout = step_timeout;
    config.scenario_timeout = Duration::from_secs_f64(args.scenario_timeout);
    config.repeat = u32::from(args.repeat);
    config.burst = args.burst;
    config.files = Files {
        small: args.file_small.clone(),
        large: args.file_large.clone(),
        upload: args.file_upload.clone(),
    };
    config.coverage = coverage;
    config.transfer = args.transfer.map(|t| {
        TransferChoice::Command(match t {
            TransferArg::Nlst => "NLST".to_string(),
            TransferArg::List => "LIST".to_string(),
            TransferArg::Retr => format!("RETR {}", args.file_small),
        })
    });

    let probed = runner::probe_session(&config)
        .await
        .map_err(|e| format!("cannot reach {}: {e}", config.target.display))?;
    let banner = probed.banner;

    let color = use_color(args.color);
    colored::control::set_override(color);
    let opts = ConsoleOptions {
        color,
        verbose: args.verbose,
    };
    // Ctrl-C stops the run: what finished is reported, the rest is marked not run.
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    let sigint = interrupt_signal()?;
    let stop = async move {
        sigint.await;
        flag.store(true, Ordering::SeqCst);
        eprintln!("ftpspec: interrupted; reporting what finished");
    };
    let mut report =
        runner::run_until(scenarios, Arc::new(config), Some(banner), |_| {}, stop).await;
    report.tls = probed.tls;
    let report = expectations.apply(report);

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // A `cause` entry of an expectation file that matched nothing is worth a line, not an
    // error: the server may simply have fixed the defect.
    let warnings: Vec<String> = expectations
        .unmatched_causes(&report)
        .iter()
        .map(ToString::to_string)
        .collect();
    console::render_with(&report, &warnings, &opts, &mut out)
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    if let Some((path, file)) = json_out {
        let mut w = BufWriter::new(file);
        json::write(&report, &mut w)
            .and_then(|_| w.flush())
            .map_err(|e| write_error(path, e))?;
    }
    if let Some((path, file)) = junit_out {
        let mut w = BufWriter::new(file);
        junit::write(&report, &mut w).map_err(|e| write_error(path, e))?;
        w.flush().map_err(|e| write_error(path, e))?;
    }
    if interrupted.load(Ordering::SeqCst) {
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(exit_code(&report))
}

/// 1 for any unexpected FAIL or XPASS; otherwise 2 for any unexpected ERROR (the run could not
/// judge everything); else 0. Without `--expect`, that is: 1 for any FAIL, 2 for any ERROR.
pub fn exit_code(report: &RunReport) -> u8 {
    match run_status(report) {
        RunStatus::Failed => EXIT_FAIL,
        RunStatus::Errored => EXIT_USAGE,
        RunStatus::Passed => 0,
    }
}

/// Loads the built-in suites (or the given paths) and applies the ID-prefix and tag selection.
pub fn load_selection(selection: &Selection) -> Result<Vec<Scenario>, String> {
    choose(&load_suites(selection)?, selection)
}

/// Every scenario of the built-in suites, or of the paths the selection names.
fn load_suites(selection: &Selection) -> Result<Vec<Scenario>, String> {
    let paths: Vec<PathBuf> = selection
        .select
        .iter()
        .filter(|s| looks_like_path(s))
        .map(PathBuf::from)
        .chain(selection.suite.iter().cloned())
        .collect();
    if paths.is_empty() {
        suite::embedded()
    } else {
        suite::load(&paths)
    }
    .map_err(|e| e.to_string())
}

/// The scenarios of `all` that the selection's ID prefixes and tags choose; none is an error.
fn choose(all: &[Scenario], selection: &Selection) -> Result<Vec<Scenario>, String> {
    let prefixes: Vec<String> = selection
        .select
        .iter()
        .filter(|s| !looks_like_path(s))
        .cloned()
        .collect();
    let chosen: Vec<Scenario> = suite::select(all, &prefixes, &selection.tag)
        .into_iter()
        .cloned()
        .collect();
    if chosen.is_empty() {
        return Err(format!(
            "no scenario matches the selection (IDs/prefixes: {:?}, tags: {:?}); see `ftpspec list`",
            prefixes, selection.tag
        ));
    }
    Ok(chosen)
}

/// A selector is a path when it names an existing file or directory, contains a `/`, or ends
/// with `.ftpspec`; otherwise it is an ID or ID prefix.
fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.ends_with(".ftpspec") || Path::new(s).exists()
}

async fn builtin_target(
    faults: &[String],
    tls: Option<TlsMode>,
    tls_required: bool,
) -> Result<(Target, ServerHandle), String> {
    let config = Config {
        faults: parse_faults(faults)?,
        passive_ports: Some(crate::server::BUILTIN_PASSIVE_RANGE),
        tls,
        tls_required,
        ..Config::default()
    };
    let v4: SocketAddr = ([127, 0, 0, 1], 0).into();
    let v6: SocketAddr = (std::net::Ipv6Addr::LOCALHOST, 0).into();
    // IPv6 is optional: some machines have no ::1. Try both, then IPv4 alone.
    let handle = match server::start(&[v4, v6], config.clone()).await {
        Ok(h) => h,
        Err(_) => server::start(&[v4], config)
            .await
            .map_err(|e| format!("cannot start the built-in server: {e}"))?,
    };
    let addrs = handle.local_addrs().to_vec();
    let display = format!(
        "built-in reference server ({})",
        addrs
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok((
        Target {
            addrs,
            user: None,
            password: None,
            display,
        },
        handle,
    ))
}

fn open_report(path: &Path) -> Result<(&Path, File), String> {
    Ok((path, report_file::create(path)?))
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
