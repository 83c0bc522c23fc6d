//! The command-line shell (clap derive). Thin: parse arguments, build a validated config, call
//! the library, map the result to an exit code.

/// Entry point used by `src/main.rs`.
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
