//! `ftpspec run`: load and select scenarios, resolve the targets (or start the built-in server),
//! check each answers, run them one after the other, report — one target as it always was,
//! several as columns of one report (console table, `ftpspec-matrix` JSON, a JUnit suite per
//! target) — and choose the exit code, the worst of the targets'.

use super::args::{ColorChoice, RunArgs, Selection};
use super::report_file::{self, write_error};
use super::run_targets::{
    Column, base_config, load_expectations, name_columns, prepare, probed, tls_required_check,
};
use super::serve_cmd::parse_faults;
use super::signal::interrupt_signal;
use super::targets::{self, TargetSpec};
use super::tls_opts::tls_client;
use super::{EXIT_FAIL, EXIT_INTERRUPTED, EXIT_USAGE, target};
use crate::expectations::{RunStatus, run_status};
use crate::proto::TlsMode;
use crate::report::console::{self, ConsoleOptions};
use crate::report::{columns, html, json, junit, matrix};
use crate::runner::{self, RunReport, Target};
use crate::server::{self, Config, ServerHandle};
use crate::suite::{self, Scenario};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub async fn run(args: RunArgs) -> Result<u8, String> {
    let all = load_suites(&args.selection)?;
    let scenarios = choose(&all, &args.selection)?;
    // BLOCKED verdicts name the scenario that tests the failed command, selected or not.
    let coverage = runner::coverage(&all);
    // Expectation files are checked against every loaded scenario, before anything runs.
    let ids: Vec<String> = all.iter().map(|s| s.id.clone()).collect();
    drop(all);
    // Report paths are checked before anything runs: a typo must not cost a whole run.
    let json_out = args.json.as_deref().map(open_report).transpose()?;
    let junit_out = args.junit.as_deref().map(open_report).transpose()?;
    let html_out = args.html.as_deref().map(open_report).transpose()?;

    let specs = target_specs(&args)?;
    let several = specs.len() > 1;
    // The built-in server lives as long as the run.
    let mut _server = None;
    let mut columns = Vec::with_capacity(specs.len().max(1));
    if specs.is_empty() {
        let (column, handle) = builtin_column(&args, &ids).await?;
        columns.push(column);
        _server = Some(handle);
    } else {
        target::refuse_faults(&args.fault)?;
        for spec in &specs {
            columns.push(prepare(spec, &args, &args.expect, &ids, several).await?);
        }
    }
    if several {
        name_columns(&mut columns);
    }

    let color = use_color(args.color);
    colored::control::set_override(color);
    let opts = ConsoleOptions {
        color,
        verbose: args.verbose,
    };
    // Ctrl-C stops the run: what finished is reported, the rest (and every later target) is
    // marked not run.
    let interrupted = Arc::new(AtomicBool::new(false));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sigint = interrupt_signal()?;
    let flag = Arc::clone(&interrupted);
    let _signal = AbortOnDrop(tokio::spawn(async move {
        sigint.await;
        flag.store(true, Ordering::SeqCst);
        eprintln!("ftpspec: interrupted; reporting what finished");
        let _ = stop_tx.send(true);
    }));
    let mut reports = Vec::with_capacity(columns.len());
    let mut warnings = Vec::with_capacity(columns.len());
    for column in columns {
        let mut rx = stop_rx.clone();
        let stop = async move {
            if rx.wait_for(|&stopped| stopped).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let mut config = column.config;
        config.coverage = coverage.clone();
        let mut report = runner::run_until(
            scenarios.clone(),
            Arc::new(config),
            Some(column.banner),
            |_| {},
            stop,
        )
        .await;
        report.tls = column.tls;
        report.label = column.label;
        let report = column.expectations.apply(report);
        // A `cause` entry of an expectation file that matched nothing is worth a line, not an
        // error: the server may simply have fixed the defect.
        warnings.push(
            column
                .expectations
                .unmatched_causes(&report)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<String>>(),
        );
        reports.push(report);
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let shown = match &reports[..] {
        [report] => console::render_with(report, &warnings[0], &opts, &mut out),
        _ => matrix::render_many(&reports, &warnings, &opts, &mut out),
    };
    shown.map_err(|e| format!("cannot write to stdout: {e}"))?;
    if let Some((path, file)) = json_out {
        let mut w = BufWriter::new(file);
        match &reports[..] {
            [report] => json::write(report, &mut w),
            _ => json::write_matrix(&reports, &mut w),
        }
        .and_then(|_| w.flush())
        .map_err(|e| write_error(path, e))?;
    }
    if let Some((path, file)) = junit_out {
        let mut w = BufWriter::new(file);
        match &reports[..] {
            [report] => junit::write(report, &mut w),
            _ => junit::write_matrix(&reports, &mut w),
        }
        .map_err(|e| write_error(path, e))?;
        w.flush().map_err(|e| write_error(path, e))?;
    }
    if let Some((path, file)) = html_out {
        let doc = match &reports[..] {
            [report] => json::to_json(report),
            _ => json::to_json_matrix(&reports),
        };
        let page = columns::columns_from_value(&doc)
            .map_err(|e| e.to_string())
            .and_then(|columns| html::render(&columns).map_err(|e| e.to_string()))?;
        let mut w = BufWriter::new(file);
        w.write_all(page.as_bytes())
            .and_then(|_| w.flush())
            .map_err(|e| write_error(path, e))?;
    }
    if interrupted.load(Ordering::SeqCst) {
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(reports.iter().map(exit_code).fold(0, worse_exit))
}

/// Aborts a background task when dropped (the Ctrl-C watcher, once the run has ended).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The exit code of several targets: a conformance failure (1) anywhere outranks a run that
/// could not judge everything (2), which outranks a pass.
fn worse_exit(a: u8, b: u8) -> u8 {
    let rank = |code: u8| match code {
        EXIT_FAIL => 2,
        0 => 0,
        _ => 1,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The targets of the command line: `--targets FILE` entries, then each `--target`.
fn target_specs(args: &RunArgs) -> Result<Vec<TargetSpec>, String> {
    let mut specs = match &args.targets {
        Some(path) => targets::load(path)?,
        None => Vec::new(),
    };
    for (i, arg) in args.target.iter().enumerate() {
        specs.push(targets::parse_target_arg(arg, i + 1)?);
    }
    Ok(specs)
}

/// The built-in reference server on loopback (IPv4 and, where the machine has it, IPv6), as
/// the run's only column.
async fn builtin_column(args: &RunArgs, ids: &[String]) -> Result<(Column, ServerHandle), String> {
    let mode = args.tls_opts.tls.map(TlsMode::from);
    tls_required_check(args.tls_required, mode.is_some())?;
    let required = args.tls_required && mode.is_some();
    let (target, handle) = builtin_target(&args.fault, mode, required).await?;
    // The built-in server's certificate is made for localhost, 127.0.0.1 and ::1.
    let tls = tls_client(&args.tls_opts, mode, handle.certificate(), "localhost")?;
    let mut config = base_config(args, target);
    config.tls = tls;
    config.tls_required = args.tls_required;
    let expectations = load_expectations(&args.expect, ids)?;
    Ok((probed(config, expectations, None).await?, handle))
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
            lent: Vec::new(),
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
