//! The scenario language: `.ftpspec` files in `suites/`, parsed into [`Scenario`]s, written back
//! by [`std::fmt::Display`], loaded from disk and selected by ID prefix and tag.
//!
//! The language reference, with an example of every step, is `suites/README.md`.
//!
//! - [`ast`]: the parsed form (data only).
//! - `lexer`: a cursor over one line (words, quoted strings, rest of line); `args`: the
//!   argument readers every step parser shares (templates, names, channels, numbers).
//! - `escape`: the escape grammar both ways (`\r`, `\xHH`, `${var}`).
//! - `header`, `steps`, `expect`, `values`: one parser per header and step keyword.
//! - `scope`: what the parser checks statically (variables bound, channels opened).
//! - `parse`: the file parser (scenarios); `blocks`: `repeat` and `if reply` blocks;
//!   `write`: the writer;
//!   `load`: files and directories, duplicate IDs, selection.

mod args;
pub mod ast;
mod blocks;
mod embedded;
mod error;
mod escape;
mod expect;
mod header;
mod lexer;
mod load;
mod parse;
mod scope;
mod steps;
mod values;
mod write;

pub use ast::*;
pub use blocks::{MAX_REPEAT_COUNT, MAX_REPEAT_DEPTH};
pub use embedded::embedded;
pub use error::ParseError;
pub use load::{EXTENSION, LoadError, MAX_FILE_BYTES, load, select};
pub use parse::{parse_bytes, parse_str};
pub use write::write_file;

#[cfg(test)]
mod errors_tests;
#[cfg(test)]
mod lang_tests;
#[cfg(test)]
mod step_errors_tests;
#[cfg(test)]
mod steps_tests;
#[cfg(test)]
mod testutil;
#[cfg(test)]
mod write_tests;
