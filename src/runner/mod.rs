//! Executes scenarios against a target and turns what happened into verdicts.

pub mod outcome;

pub use outcome::{Failure, Outcome, RunReport, Verdict};
