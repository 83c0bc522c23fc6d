//! Readers for the arguments of steps, shared by every step parser (`steps`, `expect`,
//! `values`, `blocks`): templates with their variables checked against the scope, names,
//! channels, numbers, keywords, and the "expected …, found …" message for a stray word.

use super::ast::Template;
use super::error::PResult;
use super::escape;
use super::lexer::{Arg, Cursor, Word, is_name};
use super::scope::{RESERVED_CHANNELS, Scope};

/// "expected `a`, `b` or the end of the line, found …", for a word that is not an option (or
/// an option given twice).
pub(crate) fn unexpected(c: &Cursor, w: Word, options: &[&str]) -> super::error::Diag {
    let options: Vec<String> = options.iter().map(|o| format!("`{o}`")).collect();
    let msg = format!(
        "expected {} or the end of the line, found \"{}\"",
        options.join(", "),
        w.text
    );
    c.line.error(w.pos, msg)
}

/// The rest of the line as a template, variables checked.
pub(crate) fn payload(c: &mut Cursor, scope: &Scope) -> PResult<Template> {
    let arg = c.payload()?;
    decode(c, scope, arg)
}

/// One argument (a bare word or a quoted string) as a template, variables checked.
pub(crate) fn template_arg(c: &mut Cursor, scope: &Scope, what: &str) -> PResult<Template> {
    let arg = c.arg(what)?;
    decode(c, scope, arg)
}

fn decode(c: &Cursor, scope: &Scope, arg: Arg) -> PResult<Template> {
    let (template, uses) = escape::template(&c.line, arg.body())?;
    scope.check_vars(&c.line, &uses)?;
    Ok(template)
}

/// `<keyword> <template>` if the next word is `keyword`, else nothing.
pub(crate) fn optional(
    c: &mut Cursor,
    scope: &Scope,
    kw: &str,
    what: &str,
) -> PResult<Option<Template>> {
    match c.peek_word() {
        None => Ok(None),
        Some(_) => {
            keyword(c, kw, "or the end of the line")?;
            template_arg(c, scope, &format!("{what} after `{kw}`")).map(Some)
        }
    }
}

pub(crate) fn keyword(c: &mut Cursor, kw: &str, context: &str) -> PResult<()> {
    match c.word() {
        Some(w) if w.text == kw => Ok(()),
        Some(w) => Err(c.line.error(
            w.pos,
            format!("expected `{kw}` {context}, found \"{}\"", w.text),
        )),
        None => Err(c.error_here(format!("expected `{kw}` {context}"))),
    }
}

/// A name (a series, a saved key): `[a-z][a-z0-9_-]*`.
pub(crate) fn name(c: &mut Cursor, what: &str) -> PResult<(String, usize)> {
    let w = c.expect_word(what)?;
    if !is_name(w.text, false, b"_-") {
        let msg = format!(
            "invalid name \"{}\"; expected a lower-case letter, then letters, digits, '-' or '_'",
            w.text
        );
        return Err(c.line.error(w.pos, msg));
    }
    Ok((w.text.to_string(), w.pos))
}

/// A channel name, `[a-z][a-z0-9_-]*`, not one of the reserved variable prefixes.
pub(crate) fn channel(c: &mut Cursor) -> PResult<(String, usize)> {
    let w = c.expect_word("a channel name (like data)")?;
    let valid = is_name(w.text, false, b"_-");
    if !valid {
        let msg = format!(
            "invalid channel name \"{}\"; expected a lower-case letter, \
             then letters, digits, '-' or '_'",
            w.text
        );
        return Err(c.line.error(w.pos, msg));
    }
    if RESERVED_CHANNELS.contains(&w.text) {
        let msg = format!(
            "channel name \"{}\" is reserved for built-in variables",
            w.text
        );
        return Err(c.line.error(w.pos, msg));
    }
    Ok((w.text.to_string(), w.pos))
}

/// A decimal number (digits only).
pub(crate) fn number<T: std::str::FromStr>(c: &mut Cursor, what: &str) -> PResult<T> {
    let w = c.expect_word(what)?;
    match w.text.bytes().all(|b| b.is_ascii_digit()) {
        true => w.text.parse().map_err(|_| {
            c.line
                .error(w.pos, format!("{what}: \"{}\" is too large", w.text))
        }),
        false => Err(c
            .line
            .error(w.pos, format!("expected {what}, found \"{}\"", w.text))),
    }
}

/// A whole number from 1 to `max`; `what` names it in errors (`a byte count from 1 to 1000000`).
/// A number out of range is shown at the column it starts.
pub(crate) fn number_up_to<T>(c: &mut Cursor, max: T, what: &str) -> PResult<T>
where
    T: std::str::FromStr + PartialOrd + From<u8> + std::fmt::Display,
{
    let at = c.peek_word().map_or(c.pos(), |w| w.pos);
    let n: T = number(c, what)?;
    if n < T::from(1) || n > max {
        return Err(c.line.error(at, format!("expected {what}, found {n}")));
    }
    Ok(n)
}
