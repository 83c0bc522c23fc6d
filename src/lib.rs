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
//! - [`session`]: the control connection over any async stream (TCP, an in-memory duplex, TLS
//!   next), data connections, transcripts, ABOR with urgent data (TCP).
//! - [`suite`]: the `.ftpspec` scenario language.
//! - [`runner`]: the preflight, then scenarios, and what happened as verdicts and causes.
//! - [`expectations`]: known deviations of real servers (`--expect FILE`), applied to a run.
//! - [`report`]: console, JSON and JUnit reporters over finished outcomes; the fuzzer's progress
//!   line and JUnit.
//! - [`server`]: the built-in reference server and its named faults.
//! - [`fuzz`]: the network fuzz front end (`ftpspec fuzz`): `input`, `exec`, `judge`,
//!   `campaign`.
//! - [`rng`]: the one seeded PRNG.
//! - [`cli`]: the command-line shell.

// No unsafe code anywhere: sockets, parsers and the server are all safe Rust (socket2 and tokio
// carry the unsafe parts).
#![forbid(unsafe_code)]

pub mod cli;
pub mod expectations;
pub mod fuzz;
pub mod proto;
pub mod report;
pub mod rng;
pub mod runner;
pub mod server;
pub mod session;
pub mod suite;
