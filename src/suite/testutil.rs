//! Helpers for the suite tests: parse snippets, and compare scenarios with locations ignored.

use super::ast::{Action, Part, Scenario, Template};
use super::{ParseError, parse_str};
use std::path::Path;

/// The lines put before a scenario body by [`one`]; the body starts on line 4.
pub(crate) const PRELUDE: &str =
    "scenario test.x \"A test\"\n  spec RFC2428 §2 MUST\n  requirement \"The server MUST.\"\n";

/// Parses `source`, and checks that every scenario in it survives a write–parse round trip.
pub(crate) fn parse(source: &str) -> Vec<Scenario> {
    let all = parse_quietly(source);
    all.iter().for_each(assert_round_trip);
    all
}

fn parse_quietly(source: &str) -> Vec<Scenario> {
    match parse_str(source, Path::new("t.ftpspec")) {
        Ok(s) => s,
        Err(e) => panic!("{e}\n--- source ---\n{source}"),
    }
}

/// Parses one scenario made of [`PRELUDE`] and `body`.
pub(crate) fn one(body: &str) -> Scenario {
    parse(&format!("{PRELUDE}{body}")).remove(0)
}

/// Parses one scenario made of [`PRELUDE`], more header lines, and `body`.
pub(crate) fn one_with_headers(headers: &str, body: &str) -> Scenario {
    parse(&format!("{PRELUDE}{headers}{body}")).remove(0)
}

/// The steps' actions of [`one`].
pub(crate) fn actions(body: &str) -> Vec<Action> {
    one(body).steps.into_iter().map(|s| s.action).collect()
}

pub(crate) fn err(source: &str) -> ParseError {
    match parse_str(source, Path::new("t.ftpspec")) {
        Ok(s) => panic!("expected an error, parsed {s:?}"),
        Err(e) => e,
    }
}

/// The error for [`PRELUDE`] + `body`, asserting its line, column and part of the message.
pub(crate) fn body_err(body: &str, line: usize, column: usize, part: &str) {
    check(&err(&format!("{PRELUDE}{body}")), line, column, part);
}

pub(crate) fn check(e: &ParseError, line: usize, column: usize, part: &str) {
    assert!(
        e.message.contains(part),
        "message {:?} lacks {part:?}",
        e.message
    );
    assert_eq!((e.line, e.column), (line, column), "{e}");
    assert_eq!(e.file, Path::new("t.ftpspec"));
}

pub(crate) fn lit(bytes: impl Into<Vec<u8>>) -> Template {
    Template::literal(bytes)
}

pub(crate) fn var(name: &str) -> Part {
    Part::Var(name.to_string())
}

/// A scenario with locations and step lines zeroed and templates in canonical form (adjacent
/// literals merged, empty ones dropped), for comparisons that ignore where things were written.
pub(crate) fn normalised(s: &Scenario) -> Scenario {
    s.canonical()
}

/// Writes a scenario and parses it back; asserts it is the same scenario.
pub(crate) fn assert_round_trip(s: &Scenario) {
    let text = s.to_string();
    let back = parse_quietly(&text);
    assert_eq!(back.len(), 1, "{text}");
    assert_eq!(normalised(&back[0]), normalised(s), "written as:\n{text}");
    assert_eq!(back[0].to_string(), text, "the writer is not canonical");
}

/// The crate's generator, seeded, for the generator tests.
pub(crate) use crate::rng::Rng;
