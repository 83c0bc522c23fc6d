//! The input language of the fuzzer: bytes decoded by `arbitrary` into a bounded, grammar-aware
//! [`dialogue::Dialogue`] of operations, and the mutations that make new inputs from old ones.
//!
//! - `bytes`: the bounded byte-level pieces (words, small blobs, line endings, illegal bytes).
//! - `ops`, `grammar`: typed commands (EPRT, EPSV, PORT, … and their malformed arguments) and
//!   their grammar-aware decoding; `dialogue`: a login and a bounded list of operations.
//! - `line`: command lines with holes (`${client.ip}`, `${data.port}`) filled per execution.
//! - `shape`: the whole grammar, or a focus (`--only eprt --max-ops 1`).
//! - `mutate`: byte mutations, the operation-repeat mutation, fresh inputs.
//! - `safety`: the names the fuzzer may write, and the filter every line passes before it is
//!   sent (never a write under a name that may exist).

pub mod bytes;
pub mod dialogue;
pub mod grammar;
pub mod line;
pub mod mutate;
pub mod ops;
pub mod safety;
pub mod security;
pub mod shape;
