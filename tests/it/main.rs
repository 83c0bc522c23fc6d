//! The integration tests: one binary, a module per area (STYLE.md §11).

mod cli;
mod expect;
mod fault_matrix;
mod fault_matrix_tls;
mod fuzz_replay;
mod fuzz_waits;
mod fuzzing;
mod fuzzing_tls;
mod hostile;
mod language;
mod report_html;
mod support;
mod targets;
mod tls;
mod verdicts;
