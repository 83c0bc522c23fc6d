//! Executes scenarios against a target and turns what happened into verdicts.
//!
//! A failed MUST is FAIL; a failed SHOULD is WARN (FAIL under `--strict`); a MAY records INFO.
//! A scenario whose preconditions do not hold is SKIP; one the harness could not run is ERROR,
//! never a pass.

pub mod config;
mod exec;
mod expect;
pub mod outcome;
mod run;
mod stop;
mod vars;

pub use config::{Files, RunConfig, Secret, Target};
pub use outcome::{Expectation, ExpectationStatus, Failure, Outcome, RunReport, Verdict};
pub use run::{probe, run, run_one};
