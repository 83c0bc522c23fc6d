//! The scenario files of `suites/`, compiled into the binary by `build.rs`.

use super::{LoadError, Scenario, parse_str};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/embedded_suites.rs"));

/// Parses every embedded scenario file, in path order. Duplicate IDs are an error, as for files.
pub fn embedded() -> Result<Vec<Scenario>, LoadError> {
    let mut all: Vec<Scenario> = Vec::new();
    for (path, source) in EMBEDDED {
        for scenario in parse_str(source, Path::new(path)).map_err(LoadError::Parse)? {
            if let Some(first) = all.iter().find(|s| s.id == scenario.id) {
                return Err(LoadError::Duplicate {
                    id: scenario.id.clone(),
                    first: first.location.clone(),
                    second: scenario.location.clone(),
                });
            }
            all.push(scenario);
        }
    }
    super::load::check_covers(&all)?;
    Ok(all)
}
