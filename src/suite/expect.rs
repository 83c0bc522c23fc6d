//! The `expect` step: `expect <code>… [as epsv|pasv|protocols] [contains "<text>"]…
//! [matches "<regex>"]… [close] [silence]`, and `expect close` (the server must close the control connection,
//! as it does after a 421: RFC 959 §4.2, "421 Service not available, closing control
//! connection").
//!
//! Codes follow RFC 959 §4.2: "A reply is defined to contain the 3-digit code"; the first digit
//! is 1 to 5, so `200` and `5xx` are codes and `600` or `2oo` are typos. A `matches` regex is
//! compiled here, so a bad one is a parse error at its column, not a runtime surprise. Its text is
//! taken verbatim (the regex crate's own escapes such as `\d` apply; `\"` puts in a quote).

use super::args::template_arg;
use super::ast::{Action, Binder, CodePattern, Expect, TextCheck};
use super::error::PResult;
use super::lexer::{Cursor, Word};
use super::scope::{Scope, binder_vars};
use crate::proto::ReplyCode;

const CODE_HINT: &str = "a reply code (like 200 or 5xx)";

/// The words that end the codes of an `expect`.
const OPTIONS: &[&str] = &["as", "contains", "matches", "close", "silence"];

/// Parses the arguments of `expect`.
pub(crate) fn parse(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    if !scope.has_sent() {
        let msg =
            "expect before send: nothing has been sent yet (the runner reads the greeting itself)";
        return Err(c.line.error(c.line.indent(), msg));
    }
    if c.peek_word().is_some_and(|w| w.text == "close") {
        c.word();
        return Ok(Action::ExpectClose);
    }
    let codes = codes(c)?;
    let mut expect = Expect {
        codes,
        bind: None,
        text: Vec::new(),
        or_close: false,
        or_silence: false,
    };
    while let Some(w) = c.word() {
        match w.text {
            "as" => binder(c, w, &mut expect)?,
            "close" if !expect.or_close => expect.or_close = true,
            "silence" if !expect.or_silence => expect.or_silence = true,
            "contains" => expect.text.push(TextCheck::Contains(template_arg(
                c,
                scope,
                "the text to look for",
            )?)),
            "matches" => expect.text.push(TextCheck::Matches(regex(c)?)),
            other => {
                let msg = format!(
                    "expected {CODE_HINT} or one of: as, contains, matches, close, silence; found \"{other}\""
                );
                return Err(c.line.error(w.pos, msg));
            }
        }
    }
    if let Some(binder) = expect.bind {
        binder_vars(binder).iter().for_each(|v| scope.bind(*v));
    }
    scope.mark_replied();
    Ok(Action::Expect(expect))
}

/// One or more codes, up to the first option keyword.
fn codes(c: &mut Cursor) -> PResult<Vec<CodePattern>> {
    let mut codes = Vec::new();
    while let Some(w) = c.peek_word() {
        if codes.is_empty() || !OPTIONS.contains(&w.text) {
            c.word();
            let Some(code) = code_pattern(w.text) else {
                let options = if codes.is_empty() {
                    ","
                } else {
                    " or one of: as, contains, matches, close, silence;"
                };
                let msg = format!("expected {CODE_HINT}{options} found \"{}\"", w.text);
                return Err(c.line.error(w.pos, msg));
            };
            codes.push(code);
        } else {
            break;
        }
    }
    if codes.is_empty() {
        return Err(c.error_here(format!("expected {CODE_HINT} after expect")));
    }
    Ok(codes)
}

/// `200` (exact) or `5xx` (class); the first digit 1–5.
pub(crate) fn code_pattern(text: &str) -> Option<CodePattern> {
    let bytes = text.as_bytes();
    let [first @ b'1'..=b'5', rest @ ..] = bytes else {
        return None;
    };
    match rest {
        b"xx" => Some(CodePattern::Class(first - b'0')),
        _ => ReplyCode::from_digits(bytes).map(CodePattern::Exact),
    }
}

/// `as epsv|pasv|protocols`, at most once, and only where the binder's code can match.
fn binder(c: &mut Cursor, as_word: Word, expect: &mut Expect) -> PResult<()> {
    if expect.bind.is_some() {
        return Err(c
            .line
            .error(as_word.pos, "`as` may appear only once in an expect"));
    }
    let w = c.expect_word("epsv, pasv or protocols after `as`")?;
    let Some(binder) = Binder::ALL.into_iter().find(|b| b.keyword() == w.text) else {
        let msg = format!(
            "expected epsv, pasv or protocols after `as`, found \"{}\"",
            w.text
        );
        return Err(c.line.error(w.pos, msg));
    };
    if !expect.codes.iter().any(|p| p.matches(binder.code())) {
        let msg = format!(
            "`as {}` parses a {} reply, but this expect does not accept {}",
            w.text,
            binder.code(),
            binder.code()
        );
        return Err(c.line.error(w.pos, msg));
    }
    expect.bind = Some(binder);
    Ok(())
}

/// A regex argument, compiled to check it; the error points into the regex when it can.
pub(crate) fn regex(c: &mut Cursor) -> PResult<String> {
    let arg = c.arg("a regex after `matches` (like \"^229 \")")?;
    let body = arg.body();
    match regex::Regex::new(body.text) {
        Ok(_) => Ok(body.text.to_string()),
        Err(e) => {
            let (offset, reason) = describe_regex_error(&e);
            let pos = match offset {
                Some(n) => {
                    body.pos
                        + body
                            .text
                            .char_indices()
                            .nth(n)
                            .map_or(body.text.len(), |(i, _)| i)
                }
                None => arg.start(),
            };
            Err(c.line.error(pos, format!("invalid regex: {reason}")))
        }
    }
}

/// The one-line reason and the character offset of the caret in a `regex::Error`, whose
/// `Display` is a small multi-line diagram (the pattern indented by four spaces, a caret line,
/// then `error: …`).
fn describe_regex_error(e: &regex::Error) -> (Option<usize>, String) {
    let text = e.to_string();
    let reason = text
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().last().unwrap_or("unknown error"))
        .to_string();
    let caret = text
        .lines()
        .find(|l| l.contains('^') && l.trim().chars().all(|ch| ch == '^'))
        .and_then(|l| l.find('^'))
        .and_then(|i| i.checked_sub(4));
    (caret, reason)
}
