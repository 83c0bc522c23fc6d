//! The step vocabulary: one small parser per step keyword, dispatched through [`STEPS`].
//! `repeat`/`end` are structural and handled by the file parser; `expect` lives in `expect.rs`.
//!
//! Each parser reads its arguments from the cursor, checks them against the [`Scope`] (variables,
//! channels) and then records what the step makes available to later steps.

use super::args::{
    channel, keyword, name, number, number_up_to, optional, payload, template_arg, unexpected,
};
use super::ast::{Action, DataCheck, DataProtection, RunCheck};
use super::error::PResult;
use super::expect;
use super::lexer::Cursor;
use super::scope::Scope;
use super::values;

/// A step parser: arguments from the cursor (the keyword already read), scope updated.
pub(crate) type StepFn = fn(&mut Cursor, &mut Scope) -> PResult<Action>;

/// Every step keyword and its parser, in the order the language reference lists them.
pub(crate) const STEPS: &[(&str, StepFn)] = &[
    ("login", login),
    ("anonymous", anonymous),
    ("send", send),
    ("send-raw", send_raw),
    ("send-long", send_long),
    ("expect", expect::parse),
    ("listen", listen),
    ("accept", accept),
    ("expect-no-connection", expect_no_connection),
    ("connect", connect),
    ("read", read),
    ("expect-no-data", expect_no_data),
    ("drain", drain),
    ("read-some", read_some),
    ("expect-silence", expect_silence),
    ("write", write),
    ("close", close),
    ("abort", abort),
    ("transfer", transfer),
    ("reconnect", reconnect),
    ("disconnect", disconnect),
    ("note", note),
    ("collect", values::collect),
    ("check", values::check),
    ("check-varies", values::check_varies),
    ("run-check", run_check),
    ("starttls", starttls),
    ("skip", skip),
];

/// Steps that use the control connection: refused after `disconnect` until `reconnect`.
pub(crate) const NEEDS_CONTROL: &[&str] = &[
    "login",
    "anonymous",
    "send",
    "send-raw",
    "send-long",
    "expect",
    "expect-silence",
    "abort",
    "transfer",
    "starttls",
];

/// The largest `send-long` count: a megabyte is far past any line limit a server may have.
pub const MAX_SEND_LONG: u32 = 1_000_000;

/// The parser for a step keyword.
pub(crate) fn lookup(keyword: &str) -> Option<StepFn> {
    STEPS.iter().find(|(k, _)| *k == keyword).map(|&(_, f)| f)
}

/// All step keywords, for "expected one of" messages (the block keywords included).
pub(crate) fn keywords() -> String {
    let mut all: Vec<&str> = STEPS.iter().map(|(k, _)| *k).collect();
    all.extend(["repeat", "if", "else", "setup", "end"]);
    all.join(", ")
}

/// `login` sends USER/PASS and reads their replies, so `${reply.code}` is bound after it.
fn login(_: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    scope.mark_sent();
    scope.mark_replied();
    Ok(Action::Login)
}

fn anonymous(_: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    scope.mark_sent();
    scope.mark_replied();
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

/// `send-long <verb> <count>`: `<verb> `, `count` bytes of `A`, CRLF (RFC 959 §4.2: even an
/// over-long line must get a reply).
fn send_long(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let verb = template_arg(c, scope, "a command verb (like NOOP)")?;
    let what = format!("a byte count from 1 to {MAX_SEND_LONG}");
    let count = number_up_to(c, MAX_SEND_LONG, &what)?;
    scope.mark_sent();
    Ok(Action::SendLong { verb, count })
}

/// `listen <name> [reuse | privileged] [on <addr>]`: binds `${name.ip}`, `${name.port}` and
/// `${name.hostport}` for later steps.
fn listen(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, _) = channel(c)?;
    let (mut on, mut reuse, mut privileged) = (None, false, false);
    while let Some(w) = c.word() {
        match w.text {
            "reuse" if !reuse && !privileged => reuse = true,
            "privileged" if !privileged && !reuse => privileged = true,
            "on" if on.is_none() => {
                on = Some(template_arg(
                    c,
                    scope,
                    "an address to listen on after `on`",
                )?)
            }
            _ => return Err(unexpected(c, w, &["on", "reuse", "privileged"])),
        }
    }
    scope.listen(&channel);
    Ok(Action::Listen {
        channel,
        on,
        reuse,
        privileged,
    })
}

/// `accept <name> [from <addr>]`: needs an earlier `listen <name>`; binds `${name.from.ip}`
/// and `${name.from.port}`.
fn accept(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_listening(&c.line, pos, &channel)?;
    let from = optional(c, scope, "from", "the address the server must connect from")?;
    scope.accepted(&channel);
    Ok(Action::Accept { channel, from })
}

fn expect_no_connection(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_listening(&c.line, pos, &channel)?;
    Ok(Action::ExpectNoConnection { channel })
}

/// The longest `connect … refused within` wait, in milliseconds.
pub const MAX_REFUSED_WITHIN_MS: u32 = 60_000;

/// `connect <name> to <port> [from <addr>] [clear | new-session | refused [within <ms>]]`.
/// There is no host: the runner always connects to the control connection's peer (RFC 2428
/// §3, and a hostile 227 must not redirect us). With `refused` the connection must fail, and
/// the channel is not opened; `within` gives the server that long to stop accepting. `clear`
/// and `new-session` choose how an open connection is protected (RFC 4217 §9, §10).
fn connect(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, _) = channel(c)?;
    keyword(c, "to", "after the channel name")?;
    let port = template_arg(c, scope, "a port after `to` (like ${epsv.port})")?;
    let (mut from, mut refused, mut within_ms) = (None, false, None);
    let mut protection = DataProtection::Session;
    let unset = |p: DataProtection| p == DataProtection::Session;
    while let Some(w) = c.word() {
        match w.text {
            "refused" if !refused && unset(protection) => refused = true,
            "within" if refused && within_ms.is_none() => {
                let what = format!("milliseconds from 1 to {MAX_REFUSED_WITHIN_MS}");
                within_ms = Some(number_up_to(c, MAX_REFUSED_WITHIN_MS, &what)?);
            }
            "from" if from.is_none() && within_ms.is_none() && unset(protection) => {
                let what = "a local address to connect from after `from`";
                from = Some(template_arg(c, scope, what)?);
            }
            "clear" if !refused && unset(protection) => protection = DataProtection::Clear,
            "new-session" if !refused && unset(protection) => {
                protection = DataProtection::NewSession
            }
            _ => {
                let words = ["from", "clear", "new-session", "refused", "within"];
                return Err(unexpected(c, w, &words));
            }
        }
    }
    if refused {
        return Ok(Action::ConnectRefused {
            channel,
            port,
            from,
            within_ms,
        });
    }
    scope.open(&channel);
    Ok(Action::Connect {
        channel,
        port,
        from,
        protection,
    })
}

/// `read <name> [equals "…" | contains "…" | length <n> | save <key> | same-as <key>]…`.
fn read(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_open(&c.line, pos, &channel)?;
    let mut checks = Vec::new();
    while let Some(w) = c.word() {
        let check = match w.text {
            "equals" => DataCheck::Equals(template_arg(c, scope, "the expected bytes")?),
            "contains" => DataCheck::Contains(template_arg(c, scope, "the bytes to look for")?),
            "length" => DataCheck::Length(number(c, "a byte count after `length`")?),
            "save" => {
                let (key, _) = name(c, "a key after `save` (like first)")?;
                scope.save(&key);
                DataCheck::Save(key)
            }
            "same-as" => {
                let (key, at) = name(c, "a key after `same-as` (like first)")?;
                scope.require_saved(&c.line, at, &key)?;
                DataCheck::SameAs(key)
            }
            other => {
                let msg = format!(
                    "expected equals, contains, length, save or same-as, found \"{other}\""
                );
                return Err(c.line.error(w.pos, msg));
            }
        };
        checks.push(check);
    }
    Ok(Action::Read { channel, checks })
}

/// `expect-no-data <name>`: the stream must end without a byte (RFC 2577 §4, the port thief).
fn expect_no_data(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_open(&c.line, pos, &channel)?;
    Ok(Action::ExpectNoData { channel })
}

/// `drain <name> [background]`: the stream must end (EOF or reset) within the step timeout;
/// `background` starts reading now and lets the next steps run meanwhile.
fn drain(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_open(&c.line, pos, &channel)?;
    let background = match c.word() {
        None => false,
        Some(w) if w.text == "background" => true,
        Some(w) => {
            let msg = format!(
                "expected `background` or the end of the line, found \"{}\"",
                w.text
            );
            return Err(c.line.error(w.pos, msg));
        }
    };
    Ok(Action::Drain {
        channel,
        background,
    })
}

/// The most bytes `read-some` may ask for.
pub const MAX_READ_SOME: u64 = 64 * 1024 * 1024;

/// `read-some <name> <count>`: exactly `count` bytes, the stream left open.
fn read_some(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_open(&c.line, pos, &channel)?;
    let what = format!("a byte count from 1 to {MAX_READ_SOME}");
    let count = number_up_to(c, MAX_READ_SOME, &what)?;
    Ok(Action::ReadSome { channel, count })
}

/// The longest `expect-silence`, in milliseconds.
pub const MAX_SILENCE_MS: u32 = 60_000;

/// `expect-silence <milliseconds>`: no reply may arrive for that long.
fn expect_silence(c: &mut Cursor, _: &mut Scope) -> PResult<Action> {
    let what = format!("milliseconds from 1 to {MAX_SILENCE_MS}");
    let millis = number_up_to(c, MAX_SILENCE_MS, &what)?;
    Ok(Action::ExpectSilence { millis })
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

/// `transfer <name> [from <addr>] [or 425]`: the run's transfer command over a listening
/// (active) or connected (passive) channel. It sends, reads replies and, from a listener,
/// accepts: `${name.from.ip}`/`${name.from.port}` are bound for an active channel.
fn transfer(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    let (channel, pos) = channel(c)?;
    scope.require_data_channel(&c.line, pos, &channel)?;
    let (mut from, mut allow_425) = (None, false);
    while let Some(w) = c.word() {
        match w.text {
            "from" if from.is_none() && !allow_425 => {
                let what = "the address the server must connect from after `from`";
                from = Some(template_arg(c, scope, what)?);
            }
            "or" if !allow_425 => match c.word() {
                Some(code) if code.text == "425" => allow_425 = true,
                Some(code) => {
                    let msg = format!("expected `425` after `or`, found \"{}\"", code.text);
                    return Err(c.line.error(code.pos, msg));
                }
                None => return Err(c.error_here("expected `425` after `or`")),
            },
            _ => return Err(unexpected(c, w, &["from", "or"])),
        }
    }
    scope.mark_sent();
    scope.mark_replied();
    if scope.is_listening(&channel) {
        scope.accepted(&channel);
    }
    Ok(Action::Transfer {
        channel,
        from,
        allow_425,
    })
}

/// `disconnect`: the control connection is closed without QUIT.
fn disconnect(_: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    scope.disconnected();
    Ok(Action::Disconnect)
}

/// `run-check <name>`: the scenario is a check over the whole run.
fn run_check(c: &mut Cursor, _: &mut Scope) -> PResult<Action> {
    let names: Vec<&str> = RunCheck::ALL.iter().map(|r| r.keyword()).collect();
    let what = format!("a run check ({})", names.join(", "));
    let w = c.expect_word(&what)?;
    match RunCheck::ALL.iter().find(|r| r.keyword() == w.text) {
        Some(check) => Ok(Action::RunCheck(*check)),
        None => Err(c
            .line
            .error(w.pos, format!("expected {what}, found \"{}\"", w.text))),
    }
}

/// `reconnect`: a new control connection. Not a send: the runner reads the new greeting itself.
fn reconnect(_: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    scope.reconnected();
    Ok(Action::Reconnect)
}

/// `starttls`: the TLS handshake on the control connection, after `AUTH TLS` got 234. Whether
/// the scenario `needs auth-tls` is checked by the file parser, which sees the headers.
fn starttls(_: &mut Cursor, _: &mut Scope) -> PResult<Action> {
    Ok(Action::StartTls)
}

/// `skip <reason>`: the scenario ends as SKIP with the reason (a payload, like `note`).
fn skip(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    if c.at_end() {
        return Err(c.error_here("expected the reason to skip after `skip`"));
    }
    payload(c, scope).map(Action::Skip)
}

fn note(c: &mut Cursor, scope: &mut Scope) -> PResult<Action> {
    payload(c, scope).map(Action::Note)
}
