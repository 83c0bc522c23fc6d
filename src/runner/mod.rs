//! Executes scenarios against a target and turns what happened into verdicts.
//!
//! A failed MUST is FAIL; a failed SHOULD is WARN (FAIL under `--strict`); a MAY records INFO.
//! A scenario whose preconditions do not hold is SKIP; one the harness could not run is ERROR,
//! never a pass.

pub mod config;
mod control_steps;
mod data_steps;
mod exec;
mod expect;
pub mod outcome;
mod read_steps;
mod run;
pub mod series;
mod stop;
mod value_steps;
mod vars;

pub use config::{Files, RunConfig, Secret, Target};
pub use outcome::{Expectation, ExpectationStatus, Failure, Outcome, RunReport, Verdict};
pub use run::{NOT_RUN, REPLY_SYNTAX_ID, probe, run, run_one, run_until};
