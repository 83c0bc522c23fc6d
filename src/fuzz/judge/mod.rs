//! Judging what an execution did: the oracles (crash, hang, silence, malformed replies, the
//! protocol invariants), a finding's signature and file, its minimisation, and the `.ftpspec`
//! scenario that replays it.
//!
//! - `oracle`: a [`crate::fuzz::exec::trace::Trace`] → the earliest [`oracle::Violation`].
//! - `minimise`: the smallest input that still shows the same violation.
//! - `scenario`: a trace and its violation as a replayable scenario.
//! - `finding`: a finding's key (one defect, one file) and its durable file.

pub mod finding;
pub mod minimise;
pub mod oracle;
pub mod scenario;

#[cfg(test)]
mod oracle_tests;
