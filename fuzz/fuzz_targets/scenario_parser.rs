//! The scenario parser never panics, and what it parses writes back as source that re-parses
//! to the same scenarios — compared as parsed trees, not as printed text, so a writer and a
//! parser that agree on a wrong reading are still caught (the fuzzer's findings depend on it).
#![no_main]

use ftpspec::suite::{Scenario, parse_bytes, parse_str};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

/// Scenarios without their source positions, which the writer cannot preserve.
fn trees(scenarios: &[Scenario]) -> Vec<Scenario> {
    scenarios.iter().map(Scenario::canonical).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(scenarios) = parse_bytes(data, Path::new("fuzz.ftpspec")) else {
        return;
    };
    let written: String = scenarios.iter().map(|s| format!("{s}\n")).collect();
    let reparsed = parse_str(&written, Path::new("fuzz.ftpspec"))
        .unwrap_or_else(|e| panic!("written source does not parse: {e}\n{written}"));
    assert_eq!(
        trees(&scenarios),
        trees(&reparsed),
        "the written form reads back differently:\n{written}"
    );
});
