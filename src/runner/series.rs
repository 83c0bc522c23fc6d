//! Series built by `collect`: bounded lists of values that become notes at the end of the
//! scenario whatever its verdict, and the test behind `check-varies`.
//!
//! RFC 2577 §8 (Port Stealing): "Many operating systems assign dynamic port numbers in
//! increasing order. By making a legitimate transfer, an attacker can observe the current port
//! number allocated by the server and 'guess' the next one that will be used." A series of
//! passive ports that is an arithmetic progression (40001, 40002, 40003) is that guessable
//! sequence.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Most values kept per series; past it values are only counted.
pub const MAX_SERIES_VALUES: usize = 100_000;
/// Most values listed in a series' note; the rest is shown as `…`.
pub const NOTE_VALUES: usize = 50;
/// Fewest values `check-varies` can judge: two values always make a progression.
pub const MIN_VARIES_VALUES: usize = 3;

#[derive(Debug)]
struct Series {
    name: String,
    values: Vec<String>,
    /// Every value collected, kept or not.
    total: u64,
}

/// The series of one scenario. A shared handle, like the transcript's recorder, so that the
/// notes survive even when the scenario is cut off by its wall-clock limit.
#[derive(Debug, Clone, Default)]
pub struct SeriesSet(Arc<Mutex<Vec<Series>>>);

impl SeriesSet {
    /// Appends a value (counted only, once the series holds [`MAX_SERIES_VALUES`]).
    pub fn push(&self, name: &str, value: String) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let index = match all.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                all.push(Series {
                    name: name.to_string(),
                    values: Vec::new(),
                    total: 0,
                });
                all.len() - 1
            }
        };
        if let Some(series) = all.get_mut(index) {
            series.total += 1;
            if series.values.len() < MAX_SERIES_VALUES {
                series.values.push(value);
            }
        }
    }

    /// The kept values of a series, if anything was collected under that name.
    pub fn values(&self, name: &str) -> Option<Vec<String>> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .find(|s| s.name == name)
            .map(|s| s.values.clone())
    }

    /// One note per series, in the order the series were first collected.
    pub fn notes(&self) -> Vec<String> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .map(|s| note(&s.name, &s.values, s.total))
            .collect()
    }
}

/// `ports: 40001 40007 40002 (3 values, 3 distinct)`, listing at most [`NOTE_VALUES`] values.
pub fn note(name: &str, values: &[String], total: u64) -> String {
    let mut shown: Vec<&str> = values
        .iter()
        .take(NOTE_VALUES)
        .map(String::as_str)
        .collect();
    if total > shown.len() as u64 {
        shown.push("…");
    }
    let distinct = values.iter().collect::<HashSet<_>>().len();
    let kept = match total > values.len() as u64 {
        true => format!(" among the first {} kept", values.len()),
        false => String::new(),
    };
    format!(
        "{name}: {} ({total} values, {distinct} distinct{kept})",
        shown.join(" ")
    )
}

/// What `check-varies` found in a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variation {
    /// Not an arithmetic progression: the values vary unpredictably.
    Varies,
    /// Every value is the previous one plus `step` (0: always the same value).
    Progression { step: i128 },
    /// Every value is the previous one plus a small positive step (at most `max_step`): a
    /// counter shared with other clients, so the next value is easy to guess (RFC 2577 §8).
    CountsUp { max_step: i128 },
    /// Fewer than [`MIN_VARIES_VALUES`] values: nothing can be concluded.
    TooFew(usize),
    /// A value that is not an integer.
    NotANumber(String),
}

/// The largest step between successive values still taken as counting up: ports handed out
/// from one counter, with other clients taking some in between.
pub const PREDICTABLE_STEP: i128 = 16;

/// Whether `values` (integers, such as ports) are predictable: an arithmetic progression, or a
/// counter going up in small steps.
pub fn variation(values: &[String]) -> Variation {
    if values.len() < MIN_VARIES_VALUES {
        return Variation::TooFew(values.len());
    }
    let mut numbers = Vec::with_capacity(values.len());
    for v in values {
        match v.trim().parse::<i128>() {
            Ok(n) => numbers.push(n),
            Err(_) => return Variation::NotANumber(v.clone()),
        }
    }
    let step = numbers[1] - numbers[0];
    if numbers.windows(2).all(|w| w[1] - w[0] == step) {
        return Variation::Progression { step };
    }
    let steps = numbers.windows(2).map(|w| w[1] - w[0]);
    if steps.clone().all(|d| (1..=PREDICTABLE_STEP).contains(&d)) {
        return Variation::CountsUp {
            max_step: steps.max().unwrap_or(1),
        };
    }
    Variation::Varies
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn notes_list_values_and_count_distinct() {
        let set = SeriesSet::default();
        for v in ["40001", "40007", "40001"] {
            set.push("ports", v.into());
        }
        set.push("other", "x".into());
        assert_eq!(
            set.notes(),
            [
                "ports: 40001 40007 40001 (3 values, 2 distinct)",
                "other: x (1 values, 1 distinct)"
            ]
        );
    }

    #[test]
    fn long_series_are_cut_in_the_note_and_bounded_in_memory() {
        let set = SeriesSet::default();
        for i in 0..MAX_SERIES_VALUES + 5 {
            set.push("p", (i % 7).to_string());
        }
        assert_eq!(set.values("p").map(|v| v.len()), Some(MAX_SERIES_VALUES));
        let note = &set.notes()[0];
        assert!(note.starts_with("p: 0 1 2 3 4 5 6 0 1"), "{note}");
        assert!(
            note.ends_with("… (100005 values, 7 distinct among the first 100000 kept)"),
            "{note}"
        );
        assert_eq!(note.matches(' ').count(), NOTE_VALUES + 10, "{note}");
        let short = super::note("q", &strings(&["1"; 51]), 51);
        assert!(short.ends_with(" 1 … (51 values, 1 distinct)"), "{short}");
    }

    #[test]
    fn progressions_are_found() {
        let v = |values: &[&str]| variation(&strings(values));
        assert_eq!(
            v(&["40001", "40002", "40003"]),
            Variation::Progression { step: 1 }
        );
        assert_eq!(
            v(&["9", "7", "5", "3"]),
            Variation::Progression { step: -2 }
        );
        assert_eq!(v(&["21", "21", "21"]), Variation::Progression { step: 0 });
        assert_eq!(
            v(&["40001", "40002", "40005", "40006"]),
            Variation::CountsUp { max_step: 3 }
        );
        assert_eq!(v(&["40001", "40002", "40030", "40031"]), Variation::Varies);
        assert_eq!(v(&["40001", "40007", "40002"]), Variation::Varies);
        assert_eq!(
            v(&["1", "2", "3", "5"]),
            Variation::CountsUp { max_step: 2 }
        );
        assert_eq!(v(&["5", "3", "4", "9"]), Variation::Varies);
        assert_eq!(v(&["1", "2"]), Variation::TooFew(2));
        assert_eq!(v(&[]), Variation::TooFew(0));
        assert_eq!(v(&["1", "x", "3"]), Variation::NotANumber("x".into()));
    }
}
