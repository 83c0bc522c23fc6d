//! The scenario language: `.ftpspec` files in `suites/`, parsed into [`Scenario`]s.
//!
//! The language reference, with an example of every step, is `suites/README.md`.

pub mod ast;

pub use ast::*;
