//! Steps over values rather than connections: `collect`, `check`, `check-varies`.
//!
//! ```text
//!   collect     ports ${epsv.port}
//!   check       ${reply.code} equals 226
//!   check       ${first.port} differs ${second.port}
//!   check       ${reply.text} matches "\([0-9,]+\)"
//!   check-varies ports
//! ```
//!
//! `collect` builds a named series that the runner reports as a note (a port sequence, the
//! server's source ports); `check-varies` fails on a series that is an arithmetic progression,
//! the predictable passive ports of RFC 2577 §8.

use super::args::{name, payload, template_arg};
use super::ast::{Action, CheckOp};
use super::error::PResult;
use super::lexer::Cursor;
use super::scope::Scope;

/// `collect <series> <value>`: the value is the rest of the line, like a `note`.
pub(crate) fn collect(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (series, _) = name(c, "a series name (like ports)")?;
    let value = payload(c, scope)?;
    if value.parts.is_empty() {
        return Err(c.error_here("expected a value to collect (like ${epsv.port})"));
    }
    scope.collect(&series);
    Ok(Action::Collect { series, value })
}

/// `check <value> equals|differs <value>`: each value one argument (a word or a quoted
/// string); `check <value> matches <regex>`: the regex as in `expect … matches`.
pub(crate) fn check(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let left = template_arg(c, scope, "a value to check (like ${reply.code})")?;
    let op = match c.word() {
        Some(w) if w.text == "equals" => CheckOp::Equals,
        Some(w) if w.text == "differs" => CheckOp::Differs,
        Some(w) if w.text == "matches" => {
            let regex = super::expect::regex(c)?;
            return Ok(Action::CheckMatches { value: left, regex });
        }
        Some(w) => {
            let msg = format!(
                "expected `equals`, `differs` or `matches`, found \"{}\"",
                w.text
            );
            return Err(c.line.error(w.pos, msg));
        }
        None => {
            return Err(c.error_here("expected `equals`, `differs` or `matches` after the value"));
        }
    };
    let right = template_arg(c, scope, &format!("a value after `{}`", op.keyword()))?;
    Ok(Action::Check { left, op, right })
}

/// `check-varies <series>`: needs an earlier `collect` of that series.
pub(crate) fn check_varies(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (series, at) = name(c, "a series name (like ports)")?;
    scope.require_series(&c.line, at, &series)?;
    Ok(Action::CheckVaries { series })
}
