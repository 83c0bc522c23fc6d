//! Typed command-line flags (clap derive). Doc comments are the `--help` text.

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The exit codes of `ftpspec run`, in the top-level and the `run` help alike.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  every scenario passed (WARN and INFO allowed, unless --strict; with --expect, expected
     deviations allowed too)
  1  at least one conformance failure (FAIL), or with --expect an unexpected pass (XPASS)
  2  usage, scenario-file, expectation-file, configuration or connection error, or a scenario
     ERROR or BLOCKED (its requirement could not be exercised) and no FAIL
  130  interrupted (Ctrl-C): reports are written for what finished, the rest marked not run
With several targets: 1 if any target has a failure, else 2 if any could not be judged, else 0."
    };
}

const EXIT_CODES: &str = exit_codes!();

/// A conformance test harness for FTP servers: PORT/PASV, EPRT/EPSV, EPSV ALL, ABOR and the
/// RFC 2577 security rules, checked requirement by requirement.
#[derive(Debug, Parser)]
#[command(name = "ftpspec", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub mode: Mode,
}

// Parsed once per process: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Mode {
    /// Run scenarios against a target (the built-in reference server when no --target is given).
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// List scenarios: ID, level and title.
    List(ListArgs),
    /// Run the built-in reference server, optionally with named faults.
    Serve(ServeArgs),
    /// Fuzz a target (the built-in reference server when no --target is given) and write each
    /// distinct way it breaks as a minimised, replayable scenario.
    #[command(after_help = super::fuzz_cmd::FUZZ_HELP)]
    Fuzz(super::fuzz_cmd::FuzzArgs),
    /// Read JSON reports of `ftpspec run`: compare two (--diff: what changed per scenario, exit 1
    /// on a regression), or lay several out as an HTML conformance matrix (--html).
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
}

const REPORT_HELP: &str = "\
--diff: a regression is a scenario that got worse: PASS/XFAIL/INFO → WARN, or anything that did
not fail → FAIL, XPASS, ERROR or BLOCKED (SKIP before counts as not failing). Scenarios only in
one report are listed as added or removed and change no exit code. Reports of several-target
runs (ftpspec-matrix documents) are compared target by target, paired by label.

--html: one self-contained page (nothing loaded from anywhere; open it from disk): scenarios
grouped by area down the side, one column per target (`run.label`, else the target URL), a cell
per verdict that opens the requirement, expected and actual, and the transcript; each target's
totals on top; filters by text and verdict. FILE may be a report or an ftpspec-matrix document
(several targets); the columns follow the order of the files.

Exit codes:
  0  no regression (--diff); the page was written (--html)
  1  at least one regression (--diff)
  2  a report cannot be read, or is not an ftpspec JSON report; the page cannot be written

Examples:
  ftpspec run -t ftp://127.0.0.1:2121 --json before.json     (old server)
  ftpspec run -t ftp://127.0.0.1:2121 --json after.json      (new server)
  ftpspec report --diff before.json after.json
  ftpspec report --diff before.json after.json --markdown \"$GITHUB_STEP_SUMMARY\"
  ftpspec report vsftpd.json pyftpdlib.json --html matrix.html
  ftpspec report matrix.json --html - > matrix.html";

/// `report`: exactly one of `--diff OLD NEW` and `--html OUT` (the group `mode`), FILEs only with
/// --html and --markdown only with --diff; clap's usage error (exit 2) otherwise.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["diff", "html"])))]
pub struct ReportArgs {
    /// With --html: the JSON reports (`ftpspec run --json`) or ftpspec-matrix documents to lay
    /// out, one column per target, in this order.
    #[arg(value_name = "FILE", conflicts_with = "diff")]
    pub files: Vec<PathBuf>,
    /// The two JSON reports to compare (`ftpspec run --json`): the older run, then the newer.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    pub diff: Vec<PathBuf>,
    /// With --diff: also write the changes as a Markdown table to FILE (a pull-request comment,
    /// or `$GITHUB_STEP_SUMMARY` in a GitHub Actions job).
    #[arg(long, value_name = "FILE", conflicts_with = "html")]
    pub markdown: Option<PathBuf>,
    /// Write the conformance matrix of the FILEs as one self-contained HTML page to OUT (`-`:
    /// standard output).
    #[arg(long, value_name = "OUT", requires = "files")]
    pub html: Option<PathBuf>,
}

const RUN_HELP: &str = concat!(
    "\
Timeouts: --timeout bounds every single wait inside a step (a reply, a data connection, a
transfer); --scenario-timeout bounds a whole scenario, whatever its steps. A server that never
answers costs one --timeout per scenario, never more than --scenario-timeout.

",
    exit_codes!(),
    "

Examples:
  ftpspec run                                   test the built-in reference server
  ftpspec run --target ftp://127.0.0.1:2121     test your server (anonymous login)
  ftpspec run --target ftpes://ftp.example.com  the same over explicit FTPS (AUTH TLS)
  ftpspec run -t v4=ftp://127.0.0.1:2121 -t v6=ftp://[::1]:2121
                                                both endpoints in one report, a column each
  ftpspec run --targets ci/targets.toml --json  every target of the file; JSON for them all
  ftpspec run --tls explicit                    the built-in server over FTPS
  ftpspec run rfc2428.eprt --junit              only EPRT scenarios; JUnit in reports/junit.xml
  ftpspec run path/to/findings/                 replay scenario files
  ftpspec run -t ftp://127.0.0.1:2121 --expect interop/expectations/vsftpd.toml
                                                known deviations are XFAIL, not failures"
);

/// Which scenarios: shared by `run` and `list`.
#[derive(Debug, Args)]
pub struct Selection {
    /// Scenario IDs or ID prefixes (`rfc2428.eprt`), or paths of `.ftpspec` files or directories
    /// to load instead of the built-in suites.
    pub select: Vec<String>,
    /// Load scenarios from this file or directory instead of the built-in suites (repeatable).
    #[arg(long, value_name = "PATH")]
    pub suite: Vec<PathBuf>,
    /// Only scenarios carrying this tag (repeatable: all given tags must be present).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
}

/// `--transfer`: the command of `transfer` steps, instead of the preflight's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransferArg {
    /// A bare NLST.
    Nlst,
    /// A bare LIST.
    List,
    /// RETR of --file-small.
    Retr,
}

/// `--tls`: FTPS (RFC 4217).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsArg {
    /// AUTH TLS after the greeting (RFC 4217 §4), usually on port 21.
    Explicit,
    /// TLS from the first byte, usually on port 990.
    Implicit,
}

impl From<TlsArg> for crate::proto::TlsMode {
    fn from(arg: TlsArg) -> Self {
        match arg {
            TlsArg::Explicit => crate::proto::TlsMode::Explicit,
            TlsArg::Implicit => crate::proto::TlsMode::Implicit,
        }
    }
}

/// The TLS options of `run` and `fuzz` (see `tls_opts`).
#[derive(Debug, Clone, Args)]
pub struct TlsOpts {
    /// FTPS (RFC 4217): explicit sends AUTH TLS after the greeting, implicit speaks TLS from
    /// the first byte; after login, PBSZ 0 and PROT P make data connections TLS too. With no
    /// --target the built-in server serves TLS and its certificate is trusted.
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsArg>,
    /// Trust only the CA certificates in this PEM file (instead of the Mozilla roots).
    #[arg(long, value_name = "FILE", conflicts_with = "tls_insecure")]
    pub tls_ca: Option<PathBuf>,
    /// Do not check the server's certificate (self-signed test servers only); the run header
    /// says so.
    #[arg(long)]
    pub tls_insecure: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// The server to test: [LABEL=]ftp://[user[:password]@]host[:port]; ftpes://… for
    /// explicit FTPS (AUTH TLS, port 21), ftps://… for implicit FTPS (port 990), as in curl and
    /// FileZilla. Repeatable: each target is a column of one report (LABEL names it; else its
    /// greeting does). Without it, ftpspec starts its reference server on loopback and tests that.
    #[arg(long, short = 't', value_name = "URL", env = "FTPSPEC_TARGET")]
    pub target: Vec<String>,
    /// A TOML file listing targets ([[target]] tables: url, label, user, password-env, expect,
    /// file-small, transfer, tls, …), run after any --target. See the README.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    #[command(flatten)]
    pub tls_opts: TlsOpts,
    /// The target refuses clear sessions (RFC 4217 §11): run the scenarios that check how
    /// (`needs tls-required`). With no --target the built-in server requires TLS. Needs --tls.
    #[arg(long)]
    pub tls_required: bool,
    /// Failed SHOULD requirements count as FAIL, not WARN.
    #[arg(long)]
    pub strict: bool,
    /// Scenarios run at once, each on its own control connection.
    #[arg(long, short = 'j', default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Seconds for each wait inside a step (reply, data connection, transfer).
    #[arg(long, default_value_t = 5.0, value_name = "SECS", value_parser = positive_secs)]
    pub timeout: f64,
    /// Transfers in each TIME_WAIT burst (`repeat ${burst}` in the suites).
    #[arg(long, default_value_t = 200, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub burst: u32,
    /// Run each scenario N times; scenarios whose verdicts differ are reported as flaky.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub repeat: u16,
    /// Seconds a whole scenario may take.
    #[arg(long, default_value_t = 120.0, value_name = "SECS", value_parser = positive_secs)]
    pub scenario_timeout: f64,
    /// Write the JSON report (default file: reports/ftpspec.json).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "reports/ftpspec.json")]
    pub json: Option<PathBuf>,
    /// Write the conformance matrix as one self-contained HTML page (default file:
    /// reports/ftpspec.html): areas down the side, a column per target, a cell per verdict that
    /// opens the requirement, expected/actual and the transcript.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "reports/ftpspec.html")]
    pub html: Option<PathBuf>,
    /// Write the JUnit XML report (default file: reports/junit.xml).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "reports/junit.xml")]
    pub junit: Option<PathBuf>,
    /// Colored output: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Show notes and transcripts of every scenario, not only of failures.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// With the built-in server only: plant a named fault (see `ftpspec serve --list-faults`).
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<String>,
    /// A file the target serves for small transfers.
    #[arg(long, default_value = "hello.txt", value_name = "NAME")]
    pub file_small: String,
    /// A file of several MiB the target serves, for ABOR during a transfer.
    #[arg(long, default_value = "large.bin", value_name = "NAME")]
    pub file_large: String,
    /// A file name STOR may write on the target.
    #[arg(long, default_value = "ftpspec-upload.bin", value_name = "NAME")]
    pub file_upload: String,
    /// The transfer command scenarios use to show a data connection works (`transfer` steps,
    /// `${transfer}`). Without it a preflight finds one the target serves: NLST, else LIST,
    /// else RETR of --file-small.
    #[arg(long, value_enum, value_name = "COMMAND")]
    pub transfer: Option<TransferArg>,
    /// An expectation file (TOML) listing the target's known deviations (repeatable): a
    /// matching scenario with the expected verdict is XFAIL and does not fail the run; one that
    /// passes instead is XPASS and does. See interop/README.md.
    #[arg(long, value_name = "FILE")]
    pub expect: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (repeatable, e.g. 127.0.0.1:2121 and [::1]:2121).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2121")]
    pub listen: Vec<SocketAddr>,
    /// Plant a named fault (repeatable).
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<String>,
    /// Print the fault names, one per line (first word the name), and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Passive ports to use, as FIRST-LAST (default: any free port).
    #[arg(long, value_name = "FIRST-LAST", value_parser = port_range)]
    pub passive_ports: Option<(u16, u16)>,
    /// Serve FTPS (RFC 4217) with a throw-away self-signed certificate for localhost,
    /// 127.0.0.1 and ::1: explicit (AUTH TLS) or implicit (TLS from the first byte).
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsArg>,
    /// With --tls: refuse USER and PASS (530) until the control connection is protected, as
    /// servers configured to require TLS do.
    #[arg(long, requires = "tls")]
    pub tls_required: bool,
}

fn positive_secs(s: &str) -> Result<f64, String> {
    secs_up_to(s, 86_400)
}

/// A number of seconds, more than 0 and at most `max`.
pub(super) fn secs_up_to(s: &str, max: u32) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= f64::from(max) {
        Ok(v)
    } else {
        Err(format!("must be more than 0 and at most {max} seconds"))
    }
}

fn port_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or("expected FIRST-LAST, e.g. 30000-30003")?;
    let a: u16 = a
        .trim()
        .parse()
        .map_err(|_| format!("{a:?} is not a port"))?;
    let b: u16 = b
        .trim()
        .parse()
        .map_err(|_| format!("{b:?} is not a port"))?;
    if a == 0 || a > b {
        return Err("FIRST must be at least 1 and not above LAST".into());
    }
    Ok((a, b))
}
