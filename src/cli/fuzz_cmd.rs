//! `ftpspec fuzz`: resolve the target (or start the built-in server), check it answers, run a
//! campaign, print the final report, write JUnit, choose the exit code.

use super::args::{TlsOpts, secs_up_to};
use super::report_file::{self, write_error};
use super::serve_cmd::parse_faults;
use super::signal::interrupt_signal;
use super::tls_opts::{tls_client, tls_mode};
use super::{EXIT_FAIL, EXIT_INTERRUPTED, EXIT_USAGE, target};
use crate::fuzz::campaign;
use crate::fuzz::{
    Budget, CampaignConfig, CampaignReport, ExecConfig, MAX_CORPUS, MAX_OPS, Shape, StopSignal,
    Verb, Waits, clock, parse_duration,
};
use crate::proto::TlsMode;
use crate::report::fuzz_junit as junit;
use crate::report::fuzz_progress::Progress;
use crate::runner::{self, RunConfig, Target};
use crate::server::{self, Config, ServerHandle};
use crate::session::TlsClient;
use clap::Args;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const FUZZ_HELP: &str = "\
Output (under --out, default reports/fuzz):
  findings/<oracle>-<hash>.ftpspec  one minimised scenario per distinct finding, written (fsync,
                                    rename) the moment its replay failed; replay them with
                                    `ftpspec run --target URL DIR/findings`
  unconfirmed/                      findings whose scenario did not fail when replayed with the
                                    full --timeout: listed apart, not counted in the exit code
  corpus/                           inputs that reached new states; a later run with the same
                                    --out resumes from them (the count loaded is printed)
  stats.json                        execs, commands, rates, corpus, states, findings,
                                    inconclusive, unserved, unconfirmed, state (target-unavailable
                                    and why); rewritten every 2s

Oracles: crash (the server stops accepting), hang (no reply, and no greeting on a new
connection), silence (a command gets no reply), malformed-reply (RFC 959 §4.2, or a 227/229/522
that does not parse), malformed-accepted (2xx for a malformed EPRT/PORT), bounce-accepted
(EPRT/PORT naming 127.0.0.2 gets 2xx), epsv-all-lockout (data setup accepted after EPSV ALL),
dead-passive-port (a 229/227 port that refuses the connection), port-theft (127.0.0.2 gets data),
unavailable (the target stopped serving sessions and did not recover).

If the target dies (refuses connections), the dialogue before is reported as a crash finding.
If it stops serving sessions (8 dialogues in a row greeted with 421 or refused at login where
logins worked, or 95% of 200 dialogues ending in waits) and a session of ftpspec's own is not
served either, that is an `unavailable` finding, and the progress line and stats.json say
`target-unavailable` with the reason. Either way ftpspec waits with backoff (1s, 2s, 4s ... for
up to 60s, for servers restarted by a supervisor) and goes on; if the target does not come back,
the campaign stops with one line saying why and exit 2. Rates count only dialogues that reached
the target.

Repeatable: with --jobs 1 and the same --seed (and the same saved corpus), a campaign against
a deterministic target does the same thing again.

Exit codes:
  0  no findings
  1  findings were written
  2  usage or connection error at start, or the target stopped serving and did not come back
  130  interrupted (Ctrl-C): what was found is kept, the report covers the run so far

Examples:
  ftpspec fuzz --duration 60s                              the built-in server, one minute
  ftpspec fuzz --fault epsv-malformed-229 --runs 300      find a planted fault
  ftpspec fuzz --only eprt,epsv --max-ops 4 --duration 10m  focus on EPRT and EPSV lines
  ftpspec fuzz --tls explicit --duration 60s              the built-in server over FTPS
  ftpspec fuzz --target ftp://127.0.0.1:2121 --duration 8h --jobs 4 --junit";

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The server to fuzz: ftp://[user[:password]@]host[:port]; ftpes://… for explicit FTPS,
    /// ftps://… for implicit FTPS. Without it, ftpspec starts its reference server on
    /// 127.0.0.1 (port 0) and fuzzes that.
    #[arg(long, short = 't', value_name = "URL", env = "FTPSPEC_TARGET")]
    pub target: Option<String>,
    /// FTPS: every dialogue runs on a protected session (see `ftpspec run --help`).
    #[command(flatten)]
    pub tls_opts: TlsOpts,
    /// How long to fuzz: 60s, 10m, 8h, 1d. Without --duration or --runs: until Ctrl-C.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, conflicts_with = "runs")]
    pub duration: Option<Duration>,
    /// How many dialogues to run (minimisation runs not counted).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: Option<u64>,
    /// Dialogues run at once, each on its own control connection.
    #[arg(long, short = 'j', default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Seed of the mutation PRNG (default: from the clock; printed, so a run can be repeated).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Directory for findings/, corpus/ and stats.json.
    #[arg(long, value_name = "DIR", default_value = "reports/fuzz")]
    pub out: PathBuf,
    /// Seconds any single wait may last (a reply, a data connection, a transfer).
    #[arg(long, default_value_t = 2.0, value_name = "SECS", value_parser = secs)]
    pub timeout: f64,
    /// Waits only a timer can end (a reply that may never come, a transfer nobody serves):
    /// `measured` scales them to the target's reply time and confirms every finding that rests
    /// on a missing reply with the full --timeout; `full` always waits --timeout.
    #[arg(long, value_enum, default_value_t = Waits::Measured, value_name = "HOW")]
    pub waits: Waits,
    /// Write JUnit XML: one failing testcase per finding, or one passing summary testcase
    /// (default file: reports/fuzz-junit.xml).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "reports/fuzz-junit.xml")]
    pub junit: Option<PathBuf>,
    /// With the built-in server only: plant a named fault (see `ftpspec serve --list-faults`).
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<String>,
    /// Focus: only command lines with these verbs (typed, raw, over-long, split), always
    /// after a login. Default: the whole grammar (transfers, data connections, urgent ABOR).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "VERB,...")]
    pub only: Vec<Verb>,
    /// Most operations in one dialogue after the login.
    #[arg(long, value_name = "N", default_value_t = MAX_OPS, value_parser = ops_bound)]
    pub max_ops: usize,
    /// Linux: the target server's process ID. Its idle CPU and open descriptors are sampled
    /// before the first dialogue and after the last; the summary warns when the campaign left
    /// it busy (a spin) or holding more descriptors (a leak) — what the wire cannot show.
    #[arg(long, value_name = "PID")]
    pub watch_pid: Option<u32>,
    /// Most inputs kept in the corpus (the least useful go first).
    #[arg(long, value_name = "N", default_value_t = MAX_CORPUS, value_parser = corpus_bound)]
    pub max_corpus: usize,
}

fn ops_bound(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_OPS).contains(&n) => Ok(n),
        _ => Err(format!("must be a number from 1 to {MAX_OPS}")),
    }
}

fn corpus_bound(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err("must be a number from 1 to 1000000".into()),
    }
}

fn secs(s: &str) -> Result<f64, String> {
    secs_up_to(s, 3600)
}

pub async fn fuzz(args: FuzzArgs) -> Result<u8, String> {
    let timeout = Duration::from_secs_f64(args.timeout);
    let junit_path = args.junit.clone();
    // Report paths are checked before the campaign: a typo must not cost a night.
    if let Some(path) = &junit_path {
        report_file::create(path)?;
    }
    if let Some(pid) = args.watch_pid {
        crate::fuzz::campaign::watch::check(pid)?;
    }
    let (target, _server, tls) = resolve(&args, timeout).await?;
    let addr = *target.addrs.first().ok_or("the target has no address")?;
    let mut probe = RunConfig::new(target.clone());
    probe.step_timeout = timeout;
    // Over TLS the probe negotiates as every dialogue will: a certificate that does not
    // verify or a server without AUTH TLS is one line and exit 2, before anything runs.
    probe.tls = tls.clone();
    runner::probe_session(&probe)
        .await
        .map_err(|e| format!("cannot reach {}: {e}", target.display))?;

    // Ctrl-C ends the campaign cleanly; the handler is installed before anything runs.
    let stop = StopSignal::default();
    let sigint = interrupt_signal()?;
    let trigger = stop.clone();
    let watcher = tokio::spawn(async move {
        sigint.await;
        trigger.trigger();
    });

    let seed = args.seed.unwrap_or_else(clock_seed);
    let config = CampaignConfig {
        exec: ExecConfig {
            waits: args.waits,
            tls,
            ..ExecConfig::new(target.clone(), addr, timeout)
        },
        shape: Shape {
            max_ops: args.max_ops,
            only: args.only.clone(),
        },
        budget: match (args.runs, args.duration) {
            (Some(n), _) => Budget::Runs(n),
            (None, Some(d)) => Budget::Time(d),
            (None, None) => Budget::Unlimited,
        },
        jobs: usize::from(args.jobs),
        seed,
        out: args.out.clone(),
        max_corpus: args.max_corpus,
        revive: Duration::from_secs(60),
        stats_every: Duration::from_secs(2),
        watch: args.watch_pid,
    };
    let report = campaign::run(config, &target.display, stop.clone(), Progress::new())
        .await
        .map_err(|e| format!("cannot write under {}: {e}", args.out.display()))?;
    watcher.abort();
    print_report(&report, &args.out).map_err(|e| format!("cannot write to stdout: {e}"))?;
    if let Some(path) = junit_path {
        write_junit(&report, &path)?;
    }
    Ok(exit_code(&report))
}

/// 130 when interrupted, 2 when the target stopped serving and did not come back (a
/// connection error, as at the start: the campaign could not go on), 1 for findings (not
/// counting unconfirmed ones), else 0.
fn exit_code(report: &CampaignReport) -> u8 {
    if report.interrupted {
        EXIT_INTERRUPTED
    } else if report.target_lost {
        EXIT_USAGE
    } else if report.findings.iter().any(|f| !f.unconfirmed()) {
        EXIT_FAIL
    } else {
        0
    }
}

/// The target, the built-in server's handle when there is no `--target`, and the TLS
/// configuration of the campaign's sessions (parsed as `ftpspec run` parses it).
async fn resolve(
    args: &FuzzArgs,
    timeout: Duration,
) -> Result<(Target, Option<ServerHandle>, Option<TlsClient>), String> {
    match &args.target {
        Some(url) => {
            target::refuse_faults(&args.fault)?;
            let endpoint = target::resolve_endpoint(url, timeout).await?;
            let mode = tls_mode(args.tls_opts.tls, endpoint.tls, url)?;
            let tls = tls_client(&args.tls_opts, mode, None, &endpoint.host)?;
            Ok((endpoint.target, None, tls))
        }
        None => {
            let mode = args.tls_opts.tls.map(TlsMode::from);
            let config = Config {
                faults: parse_faults(&args.fault)?,
                tls: mode,
                ..Config::default()
            };
            let v4: SocketAddr = ([127, 0, 0, 1], 0).into();
            let handle = server::start(&[v4], config)
                .await
                .map_err(|e| format!("cannot start the built-in server: {e}"))?;
            // The built-in server's certificate is made for localhost, 127.0.0.1 and ::1.
            let tls = tls_client(&args.tls_opts, mode, handle.certificate(), "localhost")?;
            let addrs = handle.local_addrs().to_vec();
            let mut display = format!("built-in reference server ({})", addrs[0]);
            if let Some(mode) = mode {
                display.push_str(&format!(" over {} FTPS", mode.name()));
            }
            if !args.fault.is_empty() {
                display.push_str(&format!(" with fault {}", args.fault.join(", ")));
            }
            let target = Target::anonymous(addrs, display);
            Ok((target, Some(handle), tls))
        }
    }
}

fn print_report(report: &CampaignReport, out: &std::path::Path) -> std::io::Result<()> {
    let s = &report.stats;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "ftpspec fuzz → {}: {} dialogues in {} ({:.1}/s), seed {}",
        s.target,
        s.execs,
        clock(s.elapsed_secs),
        s.execs_per_sec,
        s.seed
    )?;
    writeln!(
        w,
        "corpus {} ({} loaded from {}), {} states ({} loaded), {} reply-code sequences, {} inconclusive",
        s.corpus,
        s.corpus_loaded,
        out.join("corpus").display(),
        s.states,
        s.states_loaded,
        s.sequences,
        s.inconclusive
    )?;
    // Confirmed findings first, then the unconfirmed ones apart.
    let (unconfirmed, confirmed): (Vec<_>, Vec<_>) =
        report.findings.iter().partition(|f| f.unconfirmed());
    for f in confirmed.iter().chain(&unconfirmed) {
        let (label, replay) = match f.replayed {
            Some(true) => ("FINDING", "replays to a failure"),
            Some(false) => (
                "UNCONFIRMED",
                "did not fail when replayed with the full timeout",
            ),
            None => (
                "FINDING",
                "not replayed: the target was down or not serving",
            ),
        };
        writeln!(w, "  {label:<11} {:<20} {}", f.oracle.name(), f.detail)?;
        let ops = match f.ops {
            1 => "1 operation".to_string(),
            n => format!("{n} operations"),
        };
        let variants = match f.variants {
            0 => String::new(),
            1 => ", seen in 1 more dialogue".to_string(),
            n => format!(", seen in {n} more dialogues"),
        };
        writeln!(
            w,
            "              {} ({ops}, found after {} dialogues{variants}, {replay})",
            f.path.display(),
            f.found_after
        )?;
    }
    for e in &report.earlier {
        writeln!(w, "  {:<11} {:<20} {}", "EARLIER", "", e.detail)?;
        writeln!(
            w,
            "              {} (written by an earlier campaign in this folder)",
            e.path.display()
        )?;
    }
    if s.previous_unclean {
        writeln!(
            w,
            "note: the previous campaign in {} did not end cleanly (killed); its corpus, coverage ({} states) and findings were kept",
            out.display(),
            s.states_loaded
        )?;
    }
    if let Some(watched) = &s.watch {
        let idle = |i: &crate::fuzz::campaign::watch::Idle| {
            format!("{:.0}% CPU, {} descriptors", i.cpu_percent, i.fds)
        };
        let after = watched.after.as_ref().map_or("not sampled".into(), idle);
        writeln!(
            w,
            "process {} with no session open: before {}; after {}",
            watched.pid,
            idle(&watched.before),
            after
        )?;
        for warning in watched.warnings() {
            writeln!(w, "  WARNING  {warning}")?;
        }
    }
    let cleanup = &report.cleanup;
    match (cleanup.deleted.len(), cleanup.left.len()) {
        (0, 0) => {}
        (n, 0) => writeln!(w, "cleanup: deleted the {n} file(s) the campaign stored")?,
        (n, _) => {
            writeln!(w, "cleanup: deleted {n} file(s); left on the target:")?;
            for (name, reason) in &cleanup.left {
                writeln!(w, "  LEFT     {name}: {reason}")?;
            }
        }
    }
    let verdict = match (confirmed.len(), report.interrupted, report.target_lost) {
        (_, true, _) => "interrupted".to_string(),
        (_, _, true) => format!(
            "the target stopped serving and did not come back: {}",
            report.stats.unavailable.as_deref().unwrap_or("no session")
        ),
        (0, _, _) => "no findings".to_string(),
        (1, _, _) => format!("1 finding in {}", out.join("findings").display()),
        (n, _, _) => format!("{n} findings in {}", out.join("findings").display()),
    };
    match unconfirmed.len() {
        0 => writeln!(w, "{verdict}")?,
        n => writeln!(
            w,
            "{verdict}; {n} unconfirmed in {} (they do not change the exit code)",
            out.join(crate::fuzz::campaign::report::UNCONFIRMED_DIR)
                .display()
        )?,
    }
    w.flush()
}

fn write_junit(report: &CampaignReport, path: &std::path::Path) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| write_error(path, e))?;
    let mut w = BufWriter::new(file);
    let findings: Vec<_> = report.findings.iter().map(|f| f.junit()).collect();
    junit::write(&report.stats, &findings, &mut w).map_err(|e| write_error(path, e))?;
    w.flush().map_err(|e| write_error(path, e))
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed)
}

// The fuzzer's option values, spelled for clap here so that the library needs no clap.
impl clap::ValueEnum for Verb {
    fn value_variants<'a>() -> &'a [Self] {
        &Verb::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

impl clap::ValueEnum for Waits {
    fn value_variants<'a>() -> &'a [Self] {
        &Waits::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::Stats;
    use crate::fuzz::campaign::cleanup::Cleanup;

    fn report(findings: usize, interrupted: bool, target_lost: bool) -> CampaignReport {
        let found = crate::fuzz::Reported {
            id: "fuzz.x".into(),
            oracle: crate::fuzz::Oracle::Silence,
            signature: String::new(),
            detail: String::new(),
            path: PathBuf::new(),
            ops: 1,
            replayed: None,
            found_after: 1,
            variants: 0,
        };
        CampaignReport {
            stats: Stats::default(),
            earlier: Vec::new(),
            findings: vec![found; findings],
            interrupted,
            target_lost,
            cleanup: Cleanup::default(),
        }
    }

    #[test]
    fn a_lost_target_is_exit_2_even_with_findings() {
        assert_eq!(exit_code(&report(0, false, false)), 0);
        assert_eq!(exit_code(&report(1, false, false)), EXIT_FAIL);
        assert_eq!(exit_code(&report(1, false, true)), EXIT_USAGE);
        assert_eq!(exit_code(&report(1, true, true)), EXIT_INTERRUPTED);
    }

    #[test]
    fn unconfirmed_findings_do_not_make_exit_1() {
        let mut r = report(2, false, false);
        for f in &mut r.findings {
            f.replayed = Some(false);
        }
        assert_eq!(exit_code(&r), 0);
        r.findings[0].replayed = Some(true);
        assert_eq!(exit_code(&r), EXIT_FAIL);
    }
}
