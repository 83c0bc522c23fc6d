//! The step vocabulary: one small parser per step keyword, dispatched through [`STEPS`].
//! `repeat`/`end` are structural and handled by the file parser; `expect` lives in `expect.rs`.
//!
//! Each parser reads its arguments from the cursor, checks them against the [`Scope`] (variables,
//! channels) and then records what the step makes available to later steps.

use super::ast::{Action, DataCheck, Template};
use super::error::PResult;
use super::escape;
use super::expect;
use super::lexer::{Arg, Cursor, is_name};
use super::scope::{RESERVED_CHANNELS, Scope};

/// A step parser: arguments from the cursor (the keyword already read), scope updated.
pub(crate) type StepFn = fn(&mut Cursor, &mut Scope) -> PResult<Action>;

/// Every step keyword and its parser, in the order the language reference lists them.
pub(crate) const STEPS: &[(&str, StepFn)] = &[
    ("login", login),
    ("anonymous", anonymous),
    ("send", send),
    ("send-raw", send_raw),
    ("expect", expect::parse),
    ("listen", listen),
    ("accept", accept),
    ("expect-no-connection", expect_no_connection),
    ("connect", connect),
    ("read", read),
    ("write", write),
    ("close", close),
    ("abort", abort),
    ("note", note),
];

/// The parser for a step keyword.
pub(crate) fn lookup(keyword: &str) -> Option<StepFn> {
    STEPS.iter().find(|(k, _)| *k == keyword).map(|&(_, f)| f)
}

/// All step keywords, for "expected one of" messages (`repeat` and `end` included).
pub(crate) fn keywords() -> String {
    let mut all: Vec<&str> = STEPS.iter().map(|(k, _)| *k).collect();
    all.extend(["repeat", "end"]);
    all.join(", ")
}

fn login(_: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    scope.mark_sent();
    Ok(Action::Login)
}

fn anonymous(_: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    scope.mark_sent();
    Ok(Action::Anonymous)
}

/// `send <payload>`: CRLF appended; an empty payload sends just CRLF.
fn send(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let payload = payload(c, scope)?;
    scope.mark_sent();
    Ok(Action::Send {
        payload,
        crlf: true,
    })
}

/// `send-raw <payload>`: the exact bytes, so there must be some.
fn send_raw(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    c.skip_blanks();
    let pos = c.pos();
    let payload = payload(c, scope)?;
    if payload.parts.is_empty() {
        let msg = "send-raw needs a payload (the exact bytes to send, e.g. \"NOOP\\r\")";
        return Err(c.line.error(pos, msg));
    }
    scope.mark_sent();
    Ok(Action::Send {
        payload,
        crlf: false,
    })
}

/// `listen <name> [on <addr>]`: binds `${name.ip}` and `${name.port}` for later steps.
fn listen(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, _) = channel(c)?;
    let on = optional(c, scope, "on", "an address to listen on")?;
    scope.listen(&channel);
    Ok(Action::Listen { channel, on })
}

/// `accept <name> [from <addr>]`: needs an earlier `listen <name>`.
fn accept(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_listening(&c.line, pos, &channel)?;
    let from = optional(c, scope, "from", "the address the server must connect from")?;
    scope.open(&channel);
    Ok(Action::Accept { channel, from })
}

fn expect_no_connection(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_listening(&c.line, pos, &channel)?;
    Ok(Action::ExpectNoConnection { channel })
}

/// `connect <name> to <port> [from <addr>]`. There is no host: the runner always connects to
/// the control connection's peer (RFC 2428 §3, and a hostile 227 must not redirect us).
fn connect(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, _) = channel(c)?;
    keyword(c, "to", "after the channel name")?;
    let port = template_arg(c, scope, "a port after `to` (like ${epsv.port})")?;
    let from = optional(c, scope, "from", "a local address to connect from")?;
    scope.open(&channel);
    Ok(Action::Connect {
        channel,
        port,
        from,
    })
}

/// `read <name> [equals "…" | contains "…" | length <n>]…`.
fn read(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_open(&c.line, pos, &channel)?;
    let mut checks = Vec::new();
    while let Some(w) = c.word() {
        let check = match w.text {
            "equals" => DataCheck::Equals(template_arg(c, scope, "the expected bytes")?),
            "contains" => DataCheck::Contains(template_arg(c, scope, "the bytes to look for")?),
            "length" => DataCheck::Length(number(c, "a byte count after `length`")?),
            other => {
                let msg = format!("expected equals, contains or length, found \"{other}\"");
                return Err(c.line.error(w.pos, msg));
            }
        };
        checks.push(check);
    }
    Ok(Action::Read { channel, checks })
}

/// `write <name> "<bytes>"`.
fn write(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_open(&c.line, pos, &channel)?;
    let payload = template_arg(c, scope, "the bytes to write (like \"hello\\n\")")?;
    Ok(Action::Write { channel, payload })
}

fn close(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_open(&c.line, pos, &channel)?;
    Ok(Action::Close { channel })
}

/// `abort` or `abort urgent`. The urgent form is the "special action" of RFC 959 §4.1.3
/// (Telnet IP, then Synch as urgent data, then `ABOR`); the runner sends the bytes.
fn abort(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let urgent = match c.word() {
        None => false,
        Some(w) if w.text == "urgent" => true,
        Some(w) => {
            let msg = format!(
                "expected `urgent` or the end of the line, found \"{}\"",
                w.text
            );
            return Err(c.line.error(w.pos, msg));
        }
    };
    scope.mark_sent();
    Ok(Action::Abort { urgent })
}

fn note(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    payload(c, scope).map(Action::Note)
}

/// The rest of the line as a template, variables checked.
fn payload(c: &mut Cursor, scope: &Scope) -> PResult<Template> {
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
fn optional(c: &mut Cursor, scope: &Scope, kw: &str, what: &str) -> PResult<Option<Template>> {
    match c.peek_word() {
        None => Ok(None),
        Some(_) => {
            keyword(c, kw, "or the end of the line")?;
            template_arg(c, scope, &format!("{what} after `{kw}`")).map(Some)
        }
    }
}

fn keyword(c: &mut Cursor, kw: &str, context: &str) -> PResult<()> {
    match c.word() {
        Some(w) if w.text == kw => Ok(()),
        Some(w) => Err(c.line.error(
            w.pos,
            format!("expected `{kw}` {context}, found \"{}\"", w.text),
        )),
        None => Err(c.error_here(format!("expected `{kw}` {context}"))),
    }
}

/// A channel name, `[a-z][a-z0-9_-]*`, not one of the reserved variable prefixes.
fn channel(c: &mut Cursor) -> PResult<(String, usize)> {
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
