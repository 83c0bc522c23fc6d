//! The command-line shell (clap derive). Thin: parse arguments, build a validated config, call
//! the library, map the result to an exit code. The only place that prints errors or exits.

mod args;
mod fuzz_cmd;
mod list_cmd;
mod report_cmd;
mod report_file;
mod run_cmd;
mod run_targets;
mod serve_cmd;
mod signal;
mod target;
mod targets;
mod tls_opts;

pub use args::Cli;
use args::Mode;
use clap::Parser;
use std::process::ExitCode;

/// Exit code 2: usage, scenario-file, configuration or connection error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code 1: a conformance failure.
pub const EXIT_FAIL: u8 = 1;
/// Exit code 130 (128 + SIGINT): the run was interrupted; reports cover what finished.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Entry point used by `src/main.rs`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fatal(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        match cli.mode {
            Mode::Run(args) => run_cmd::run(args).await,
            Mode::List(args) => list_cmd::list(args),
            Mode::Serve(args) => serve_cmd::serve(args).await,
            Mode::Fuzz(args) => fuzz_cmd::fuzz(args).await,
            Mode::Report(args) => report_cmd::report(args),
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => fatal(&message),
    }
}

/// Prints one clean error line and returns exit code 2.
fn fatal(message: &str) -> ExitCode {
    eprintln!("ftpspec: error: {message}");
    ExitCode::from(EXIT_USAGE)
}
