//! Executes scenarios against a target and turns what happened into verdicts.
//!
//! A failed MUST is FAIL; a failed SHOULD is WARN (FAIL under `--strict`); a MAY records INFO.
//! A scenario whose preconditions do not hold is SKIP; one the harness could not run is ERROR,
//! never a pass.

pub mod causes;
pub mod config;
mod connection;
mod control_steps;
mod data_steps;
mod exec;
mod expect;
pub mod ledger;
pub mod outcome;
pub mod preflight;
mod read_steps;
mod run;
pub mod series;
pub mod siblings;
pub mod stop;
mod tls_steps;
mod transfer_steps;
mod value_steps;
mod vars;

pub use config::{Files, Lent, RunConfig, Secret, Target, TransferChoice};
pub use outcome::{
    Cause, Expectation, ExpectationStatus, Failure, Outcome, RunReport, TlsReport, Verdict,
};
pub use run::{
    NOT_RUN, Probed, URGENT_OVER_TLS, coverage, covering, probe, probe_session, run, run_one,
    run_one_over, run_until,
};
