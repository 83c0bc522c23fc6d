//! The integration tests: one binary, a module per area (STYLE.md §11).

mod cli;
mod fault_matrix;
mod fuzzing;
mod hostile;
mod support;
