//! Reporters: console, JSON, JUnit, and the HTML matrix (from JSON reports, through
//! `columns`). They read outcomes; they never run anything.
//!
//! Each maps every [`Verdict`](crate::runner::Verdict) with an exhaustive `match`, so that a new
//! verdict cannot be written as the wrong thing by accident, and none prints anything that is
//! not in the [`RunReport`](crate::runner::RunReport) (passwords never are). The JSON schema and
//! the JUnit mapping are documented in `reports/README.md`.

pub mod columns;
pub mod console;
pub mod diff;
pub mod fuzz_junit;
pub mod fuzz_progress;
mod grid;
pub mod html;
mod html_view;
pub mod json;
pub mod junit;
pub mod matrix;
mod text;

#[cfg(test)]
mod columns_tests;
#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod html_tests;
