//! The network fuzz front end: `ftpspec fuzz`.
//!
//! Inputs are bytes decoded with `arbitrary` into a structured [`Dialogue`]; the session module
//! runs it against the target; feedback keeps inputs that reach new reply-code states; oracles
//! judge each trace; findings are minimised and written as `.ftpspec` scenarios that
//! `ftpspec run` replays.
//!
//! ```text
//! corpus ─pick─▶ bytes ─mutate─▶ bytes ─decode─▶ Dialogue ─execute─▶ Trace ─┬─▶ feedback ─▶ corpus
//!                                                                          └─▶ oracles ─▶ minimise ─▶ findings/*.ftpspec
//! ```
//!
//! # Layout
//!
//! - `bytes`, `grammar`, `ops`, [`dialogue`]: the input language (bounded, grammar-aware);
//!   [`shape`]: the whole grammar or a focus (`--only eprt --max-ops 1`).
//! - [`line`]: command lines with holes (`${client.ip}`, `${data.port}`).
//! - [`exec`] (+ `exec_control`, `exec_data`): one dialogue on one control connection;
//!   [`latency`]: the target's measured reply time, which sets the waits only a timer can end.
//! - [`trace`]: what an execution did and saw (pure data).
//! - [`oracle`]: crash, hang, silence, malformed replies, protocol invariants.
//! - [`feedback`], [`corpus`], [`mutate`]: AFLNet-style state feedback, the bounded on-disk
//!   corpus, the seeded PRNG and byte mutations.
//! - [`minimise`], `scenario`, [`finding`]: smallest reproducer, as a scenario, written durably.
//! - [`campaign`], `report`, [`stats`], [`progress`], [`junit`]: the campaign loop and its outputs.
//! - [`watch`]: the target process's idle CPU and descriptors before and after (`--watch-pid`).
//! - [`inproc`]: the same dialogues against the reference server over `tokio::io::duplex`, for
//!   the libFuzzer target in `fuzz/`.

#![forbid(unsafe_code)]

mod bytes;
pub mod campaign;
pub mod corpus;
pub mod dialogue;
pub mod exec;
mod exec_control;
mod exec_data;
pub mod feedback;
pub mod finding;
pub mod grammar;
pub mod inproc;
pub mod junit;
pub mod latency;
pub mod line;
pub mod minimise;
pub mod mutate;
pub mod ops;
pub mod oracle;
pub mod progress;
mod report;
mod scenario;
pub mod shape;
pub mod stats;
pub mod trace;
pub mod watch;

#[cfg(test)]
mod oracle_tests;

pub use bytes::{Ending, IllegalByte, Small, Word};
pub use campaign::{Budget, CampaignConfig, StopSignal, run};
pub use dialogue::{DataOp, Dialogue, MAX_INPUT, MAX_OPS, Op};
pub use exec::{ExecConfig, execute};
pub use exec_control::probe_liveness;
pub use latency::{Latency, Waits};
pub use oracle::{Oracle, Verdict, judge};
pub use report::{CampaignReport, Reported};
pub use scenario::to_scenario;
pub use shape::{Shape, Verb};
