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
//! # Rooms
//!
//! - [`input`]: what a dialogue is — the bounded, grammar-aware input language, command lines
//!   with holes, the focus of a campaign (`--only`), and the mutations.
//! - [`exec`]: running one dialogue on one control connection into a [`Trace`] (pure data),
//!   with the target's measured reply time; `exec::inproc` runs the same dialogues against the
//!   reference server over `tokio::io::duplex`, for the libFuzzer target in `fuzz/`.
//! - [`judge`]: the oracles, one defect one finding, minimisation, the replayable scenario.
//! - [`campaign`]: the loop — corpus, state feedback, stats, the target process watch
//!   (`--watch-pid`), and reporting what was found.
//!
//! The campaign's presentation (progress line, JUnit) lives with the other reporters in
//! [`crate::report`]; its options in [`crate::cli`].
//!
//! The names below are the fuzzer's public face; the rooms hold the rest.

pub mod campaign;
pub mod exec;
pub mod input;
pub mod judge;

pub use campaign::corpus::MAX_CORPUS;
pub use campaign::report::{CampaignReport, Reported};
pub use campaign::stats::{CampaignState, Stats, clock, parse_duration};
pub use campaign::watch;
pub use campaign::{Budget, CampaignConfig, StopSignal, run};
pub use exec::inproc;
pub use exec::latency::{Latency, Waits};
pub use exec::trace::Trace;
pub use exec::{ExecConfig, execute, probe_liveness};
pub use input::bytes::{Ending, IllegalByte, Small, Word};
pub use input::dialogue::{DataOp, Dialogue, MAX_INPUT, MAX_OPS, Op};
pub use input::shape::{Shape, Verb};
pub use judge::oracle::{Oracle, Violation, judge};
pub use judge::scenario::to_scenario;
