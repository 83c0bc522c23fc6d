//! ftpspec — a conformance test harness and fuzzer for FTP servers.
//!
//! # Layout
//!
//! Data flows one way:
//!
//! ```text
//! suites/**/*.ftpspec ──parse──▶ Scenario ──run──▶ Runner ──steps──▶ Session ──bytes──▶ target
//!                                                │
//!                                                ▼
//!                                             Outcome ──▶ reporters (console · JSON · JUnit)
//! ```
//!
//! - [`proto`]: sans-IO wire formats (replies, commands, PORT/227/EPRT/229/522 codecs).
//! - [`session`]: tokio control and data connections, transcripts, ABOR with urgent data.
//! - [`suite`]: the `.ftpspec` scenario language.
//! - [`runner`]: executes scenarios and turns what happened into verdicts.
//! - [`expectations`]: known deviations of real servers (`--expect FILE`), applied to a run.
//! - [`report`]: console, JSON and JUnit reporters over finished outcomes.
//! - [`server`]: the built-in reference server and its named faults.
//! - [`fuzz`]: the network fuzz front end (`ftpspec fuzz`).
//! - [`cli`]: the command-line shell.

pub mod cli;
pub mod expectations;
pub mod fuzz;
pub mod proto;
pub mod report;
pub mod runner;
pub mod server;
pub mod session;
pub mod suite;
