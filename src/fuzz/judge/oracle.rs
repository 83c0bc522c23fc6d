//! Oracles: what counts as the server breaking, judged from a [`Trace`] alone (pure).
//!
//! The earliest violation in a dialogue wins. Each verdict carries a *signature* — the oracle's
//! coarse description of the violation, with numbers blanked — so that a campaign reports each
//! distinct way a server breaks once, however many inputs reach it.

use crate::fuzz::exec::trace::{Act, DataEvent, End, Exchange, Liveness, NoReply, Trace};
use crate::proto::{EprtArg, EprtError, HostPort, ReplyCode, ReplyErrorKind};
use crate::suite::Binder;

/// The kinds of breakage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Oracle {
    /// The connection went and the server no longer accepts connections.
    Crash,
    /// No reply within the timeout, and a fresh connection gets no greeting either.
    Hang,
    /// A command got no reply (timeout, close or reset) while the server still serves others.
    Silence,
    /// A reply that breaks RFC 959 §4.2, or a 227/229/522 whose machine-readable part does
    /// not parse.
    MalformedReply,
    /// A 2xx for a malformed EPRT or PORT argument.
    MalformedAccepted,
    /// A 2xx for an EPRT/PORT naming a third-party address (RFC 2577 §3).
    BounceAccepted,
    /// A 2xx for PORT/PASV/EPRT/LPRT/LPSV after `EPSV ALL` (RFC 2428 §3).
    LockoutBroken,
    /// The port a 229 (or 227) had just named refused the connection.
    DeadPassivePort,
    /// A data connection from 127.0.0.2 received the data (RFC 2577 §4).
    ForeignServed,
    /// The server closed the control connection after answering the command before, without
    /// the 421 that announces a close (RFC 959 §4.2): a SHOULD, not a command left unanswered.
    ClosedWithout421,
    /// After the campaign's dialogues the target served no session any more (421 greetings,
    /// refused logins) and did not recover: the campaign's health watch, not a single trace.
    Unavailable,
}

impl Oracle {
    pub const ALL: [Oracle; 11] = [
        Oracle::Crash,
        Oracle::Hang,
        Oracle::Silence,
        Oracle::MalformedReply,
        Oracle::MalformedAccepted,
        Oracle::BounceAccepted,
        Oracle::LockoutBroken,
        Oracle::DeadPassivePort,
        Oracle::ForeignServed,
        Oracle::ClosedWithout421,
        Oracle::Unavailable,
    ];

    /// The stable kebab-case name used in finding IDs and file names.
    pub fn name(self) -> &'static str {
        match self {
            Oracle::Crash => "crash",
            Oracle::Hang => "hang",
            Oracle::Silence => "silence",
            Oracle::MalformedReply => "malformed-reply",
            Oracle::MalformedAccepted => "malformed-accepted",
            Oracle::BounceAccepted => "bounce-accepted",
            Oracle::LockoutBroken => "epsv-all-lockout",
            Oracle::DeadPassivePort => "dead-passive-port",
            Oracle::ForeignServed => "port-theft",
            Oracle::ClosedWithout421 => "closed-without-421",
            Oracle::Unavailable => "unavailable",
        }
    }

    pub fn from_name(name: &str) -> Option<Oracle> {
        Oracle::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// What a replayed scenario must expect at the step where the oracle fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayCheck {
    /// Any reply at all (`expect 1xx 2xx 3xx 4xx 5xx`): fails on silence, a close or a
    /// malformed reply.
    AnyReply,
    /// Any reply, and if it carries the binder's code it must parse (`… as epsv`).
    AnyParsed(Binder),
    /// A refusal (`expect 4xx 5xx`): fails on the 2xx the server gave.
    Refusal,
    /// The step as it was (a `connect` to a dead port fails by itself).
    AsRecorded,
    /// A read of nothing (`read thief length 0`).
    NoData,
}

/// One violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub oracle: Oracle,
    /// Coarse and stable: what deduplicates findings.
    pub signature: String,
    /// The step where it showed.
    pub act: usize,
    /// One line for people.
    pub detail: String,
    pub expect: ReplayCheck,
    /// The RFC sentence the violation breaks, when the oracle knows one finer than its own (a
    /// [`crate::proto::Malformation`]'s rule); the finding quotes it.
    pub rule: Option<&'static str>,
}

/// The earliest violation in `trace`, if any.
pub fn judge(trace: &Trace) -> Option<Violation> {
    let mut found: Vec<Violation> = replies(trace);
    found.extend(trace.events.iter().map(event));
    found.extend(end(trace));
    found.into_iter().min_by_key(|v| v.act)
}

/// The argument of a line: the bytes after the first SP (RFC 959 §5.3).
fn argument(line: &[u8]) -> &[u8] {
    let stripped = line;
    match stripped.iter().position(|&b| b == b' ') {
        Some(sp) => &stripped[sp + 1..],
        None => &[],
    }
}

/// Verdicts on replies: walks the replies in the order they were read, tracking `EPSV ALL`.
fn replies(trace: &Trace) -> Vec<Violation> {
    let mut seen: Vec<(usize, &crate::fuzz::exec::trace::Seen)> = trace
        .commands
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.replies.iter().map(move |s| (i, s)))
        .collect();
    seen.sort_by_key(|(_, s)| s.act);
    let mut out = Vec::new();
    let mut epsv_all = false;
    for (i, s) in seen {
        let c = &trace.commands[i];
        if let Some(why) = &s.unparsed {
            out.push(Violation {
                oracle: Oracle::MalformedReply,
                signature: format!("{} unparseable: {}", s.code, why.kind.name()),
                act: s.act,
                detail: format!(
                    "a {} reply whose machine-readable part does not parse: {why}",
                    s.code
                ),
                expect: binder_of(s.code).map_or(ReplayCheck::AnyReply, ReplayCheck::AnyParsed),
                rule: Some(why.kind.rule()),
            });
        }
        // A reply that may belong to another command proves nothing about this one.
        if s.code.class() == 2 && !c.ambiguous {
            if let Some(v) = positive(trace, &c.verb, &c.line, s.act, epsv_all) {
                out.push(v);
            }
            if c.verb == b"EPSV" && argument(&c.line).eq_ignore_ascii_case(b"ALL") {
                epsv_all = true;
            }
        }
    }
    out
}

fn binder_of(code: ReplyCode) -> Option<Binder> {
    Binder::ALL.into_iter().find(|b| b.code() == code)
}

/// A 2xx for `verb`: lockout (RFC 2428 §3), malformed argument, bounce (RFC 2577 §3).
fn positive(
    trace: &Trace,
    verb: &[u8],
    line: &[u8],
    act: usize,
    epsv_all: bool,
) -> Option<Violation> {
    let shown = String::from_utf8_lossy(verb).into_owned();
    let verdict = |oracle, signature: String, detail: String| Violation {
        oracle,
        signature,
        act,
        detail,
        expect: ReplayCheck::Refusal,
        rule: None,
    };
    let data_setup = matches!(verb, b"PORT" | b"PASV" | b"EPRT" | b"LPRT" | b"LPSV");
    if epsv_all && data_setup {
        return Some(verdict(
            Oracle::LockoutBroken,
            shown.clone(),
            format!("{shown} accepted after EPSV ALL"),
        ));
    }
    // The control connection is a Telnet stream (RFC 959 §4.1, RFC 854): a server reads the
    // line with its IAC sequences removed (a lone 0xff before CRLF is no data byte), so the
    // argument is judged as the server sees it.
    let line = crate::proto::telnet::strip_telnet(line);
    let arg = argument(&line);
    let client = trace.values.client_ip.to_canonical();
    let parsed = match verb {
        b"EPRT" => EprtArg::parse(arg)
            .map(|a| a.addr.ip())
            .map_err(|e| match e {
                EprtError::Malformed(e) => (e.kind.name(), Some(e.kind.rule()), e.detail),
                unsupported => ("unsupported-protocol", None, unsupported.to_string()),
            }),
        b"PORT" => HostPort::parse(arg)
            .map(|h| std::net::IpAddr::V4(h.ip))
            .map_err(|e| (e.kind.name(), Some(e.kind.rule()), e.detail)),
        _ => return None,
    };
    match parsed {
        Err((kind, rule, why)) => Some(Violation {
            rule,
            ..verdict(
                Oracle::MalformedAccepted,
                format!("{shown}: {kind}"),
                format!("2xx for a malformed {shown} argument ({why})"),
            )
        }),
        Ok(ip) if ip.to_canonical() != client => Some(verdict(
            Oracle::BounceAccepted,
            shown.clone(),
            format!("{shown} naming {ip}, not the client {client}, was accepted"),
        )),
        Ok(_) => None,
    }
}

fn event(e: &DataEvent) -> Violation {
    match e {
        DataEvent::DeadPassivePort { act, port, code } => Violation {
            oracle: Oracle::DeadPassivePort,
            signature: code.to_string(),
            act: *act,
            detail: format!("the {code} reply named port {port}, which refused the connection"),
            expect: ReplayCheck::AsRecorded,
            rule: None,
        },
        DataEvent::ForeignServed { act, bytes } => Violation {
            oracle: Oracle::ForeignServed,
            signature: "thief".into(),
            act: *act,
            detail: format!("a data connection from 127.0.0.2 received {bytes} bytes"),
            expect: ReplayCheck::NoData,
            rule: None,
        },
    }
}

fn end(trace: &Trace) -> Option<Violation> {
    match &trace.end {
        End::NoReply {
            cmd,
            act,
            how,
            liveness,
        } => {
            let mut c = trace.commands.get(*cmd)?;
            let alive = *liveness == Liveness::Alive;
            // Which reply went missing is unknown once the order is (see `exec::ledger`): a
            // server may rightly have flushed the commands before an urgent ABOR unanswered.
            if c.ambiguous && how.is_silence() && alive && !c.behind_setup {
                return None;
            }
            // Silence is judged only where the server had a complete command line to answer
            // (RFC 959 §4.1.3: a command ends with CRLF). After a line ended by a bare LF, or an
            // empty line, a server may rightly wait for the CRLF or ignore the line, and then
            // every later reply is matched to the wrong line.
            if how.is_silence() && alive && framing_in_doubt(&trace.commands[..=*cmd]) {
                return None;
            }
            // A server that answers an over-long line and closes at once, with the rest of the
            // line still unread, makes its kernel reset the connection — and a reset discards
            // the reply still unread on our side. The reply may well have been sent: a close
            // or reset while an over-long line was unanswered (the command first owed, or one
            // pipelined after it) is not judged.
            if !how.is_silence() && alive && long_unanswered(trace, *cmd) {
                return None;
            }
            // The line a lost connection was most likely lost on (see `lost_line`).
            let lost = match how.is_silence() {
                true => None,
                false => lost_line(trace, *cmd, *how),
            };
            let (oracle, signature) = match liveness {
                Liveness::Refused => (Oracle::Crash, verb_class(&c.verb)),
                Liveness::Silent => (Oracle::Hang, verb_class(&c.verb)),
                // A line the server had, unanswered, held a NUL: the server most likely died
                // on it (pyftpdlib's session ends on a path with a NUL), whatever came before
                // and however the connection went (a close, or a reset when more was unread) —
                // believed only if a NOOP in its place goes on (`campaign::counterfactual`).
                Liveness::Alive
                    if let Some(k) = lost
                        && lost_kind(&trace.commands[k].line) == Some(NUL_LINE) =>
                {
                    c = &trace.commands[k];
                    (Oracle::Silence, format!("connection lost on {NUL_LINE}"))
                }
                // The last reply of the dialogue answered an over-long line and then the
                // connection went: vsftpd closes on purpose after `500 Input line too long.`,
                // and every line sent after that one (a pipeline, an urgent ABOR) went unread.
                Liveness::Alive
                    if !how.is_silence() && answered_long_line(trace, *cmd).is_some() =>
                {
                    (Oracle::ClosedWithout421, LONG_CLOSE.to_string())
                }
                // The close came after the line before was answered. If a line the server had
                // unanswered is odd (bytes above 0x7f, control bytes), the server most likely
                // read it and died on it: that line is named — also one sent after the command
                // first owed a reply (a transfer owed its final reply while the server reads
                // on; a line that a server ending commands only at CRLF takes with the one
                // before). A close read before a line went out is no answer to it at all (see
                // `lost_line`).
                Liveness::Alive
                    if *how == NoReply::ClosedAfterReply
                        && let Some(k) = lost =>
                {
                    c = &trace.commands[k];
                    let kind = lost_kind(&c.line).unwrap_or("an odd line");
                    (Oracle::Silence, format!("connection lost on {kind}"))
                }
                // Else the session ended without the 421 that announces a close — whether the
                // close came after the last answer or while a transfer still owed its final
                // reply, and whether it showed as a close or as a reset (a reset only means
                // that pipelined lines were still unread). Which line a dying session answered
                // last, and what, is chance: vsftpd's `500 OOPS` pair after a PASV it cannot
                // bind ends on whatever line came next, or on none. One defect, one finding.
                Liveness::Alive if !how.is_silence() => {
                    (Oracle::ClosedWithout421, CLOSED.to_string())
                }
                Liveness::Alive => (Oracle::Silence, silence_signature(trace, *cmd, *act)),
            };
            let verb = String::from_utf8_lossy(&c.verb).into_owned();
            // The sentinel is ftpspec's own line: name the dialogue's line it followed.
            let before = cmd.checked_sub(1).and_then(|i| trace.commands.get(i));
            let missing = if oracle == Oracle::ClosedWithout421
                && trace.sentinels.contains(cmd)
                && let Some(b) = before
            {
                format!(
                    "the connection closed, without a 421, after the reply to {:?}{}",
                    String::from_utf8_lossy(&b.verb),
                    last_words(trace, *act)
                )
            } else if oracle == Oracle::ClosedWithout421 {
                format!(
                    "the connection closed, without a 421, before a reply to {verb:?}{}",
                    last_words(trace, *act)
                )
            } else if signature == AFTER_ABOR {
                format!(
                    "a reply missing after the ABOR of a transfer that had its 1xx (the one for {verb:?} in order)"
                )
            } else if signature == BEHIND_SETUP {
                format!(
                    "a reply missing among the commands sent while a PORT/EPRT/LPRT was unanswered (the one for {verb:?} in order)"
                )
            } else {
                format!("no reply to {verb:?}")
            };
            Some(Violation {
                oracle,
                signature,
                act: *act,
                detail: format!(
                    "{missing} ({}; the server then {})",
                    how.as_str(),
                    match liveness {
                        Liveness::Alive => "still greeted a new connection",
                        Liveness::Refused => "refused new connections",
                        Liveness::Silent => "did not greet a new connection",
                    }
                ),
                expect: ReplayCheck::AnyReply,
                rule: None,
            })
        }
        End::Malformed { act, kind, raw, .. } => Some(Violation {
            oracle: Oracle::MalformedReply,
            signature: kind_name(kind).into(),
            act: *act,
            detail: format!(
                "{kind}: \"{}\"",
                crate::session::transcript::escape_bytes(&raw[..raw.len().min(120)])
            ),
            expect: ReplayCheck::AnyReply,
            rule: None,
        }),
        _ => None,
    }
}

/// Longer than the line limits of the servers the fuzzer has met (the reference server's is
/// 2 KiB, vsftpd's 4 KiB; RFC 959 sets none).
const LONG_LINE: usize = 1024;

/// An over-long line from command `cmd`, the first owed a reply, up to the last sent before
/// the close was read, had no reply.
fn long_unanswered(trace: &Trace, cmd: usize) -> bool {
    let sent = trace.closed_before.unwrap_or(trace.commands.len());
    (cmd..sent.min(trace.commands.len())).any(|k| {
        let c = &trace.commands[k];
        !trace.sentinels.contains(&k) && c.line.len() > LONG_LINE && c.replies.is_empty()
    })
}

/// A line ended by a bare LF, or an empty line (Telnet bytes aside), among `commands`.
fn framing_in_doubt(commands: &[Exchange]) -> bool {
    commands.iter().any(|c| {
        c.bare_lf
            || crate::proto::telnet::strip_telnet(&c.line)
                .iter()
                .all(|b| b.is_ascii_whitespace())
    })
}

/// The signature of a close right after an over-long line was answered. Believed only when
/// the same dialogue with that line made a NOOP goes on (`campaign::counterfactual`): a session
/// dying for another reason may have answered an over-long line last by chance.
pub const LONG_CLOSE: &str = "closed after answering an over-long line";

/// The last command before `cmd` that got a reply, if it is over-long and none after it got
/// one.
pub fn answered_long_line(trace: &Trace, cmd: usize) -> Option<usize> {
    let before = &trace.commands[..cmd.min(trace.commands.len())];
    before
        .iter()
        .rposition(|c| !c.replies.is_empty())
        .filter(|&i| before[i].line.len() > LONG_LINE && answered_up_to(trace, i, 1))
}

/// The dialogue read no more final replies than there were lines up to line `k` — the lines
/// before it, plus `own` for an answer to `k` itself: nothing answered a line after it. A
/// session that lived past `k` and died later was not lost on `k`, however the replies were
/// matched (after a fuzzed `USER` every reply is in doubt: vsftpd answered a PORT with a NUL
/// `500`, then an EPSV it could not bind its `500 OOPS` pair, and closed — and the NUL line,
/// "in doubt", was blamed). A server that answers a line twice only makes this say no.
fn answered_up_to(trace: &Trace, k: usize, own: usize) -> bool {
    let own_line = |i: &usize| !trace.sentinels.contains(i);
    let finals: usize = (0..trace.commands.len())
        .filter(own_line)
        .map(|i| {
            (trace.commands[i].replies.iter())
                .filter(|r| r.code.class() != 1)
                .count()
        })
        .sum();
    finals <= (0..k).filter(own_line).count() + own
}

/// The line a lost connection (`how`) was most likely lost on, among the lines the server had
/// unanswered, up to the last sent before the close was read: the first with a NUL, after any
/// close or reset, whatever came before (a later NUL, not an earlier odd line, is what
/// pyftpdlib dies on) — from command `cmd`, the first owed a reply, on, or an earlier one whose
/// reply is missing or in doubt (a transfer that had only its 1xx, an ABOR answered out of
/// order, …: pyftpdlib's `150` for an NLST, then `RETR x`, `RETR y\0`, `ABOR` pipelined got
/// one `550` and a close, and the `ABOR` was owed first); else, for a close after answering,
/// the first odd one (see [`lost_kind`]) from `cmd` on — but not after an over-long line was
/// answered (vsftpd closes after answering one, on purpose, whatever comes next). Never a line
/// after which something was answered (see [`answered_up_to`]). Only a guess: the campaign
/// believes it only when the same dialogue with that line made a NOOP goes on
/// (`campaign::counterfactual`).
pub fn lost_line(trace: &Trace, cmd: usize, how: NoReply) -> Option<usize> {
    let sent = trace.closed_before.unwrap_or(trace.commands.len());
    let sent = sent.min(trace.commands.len());
    let kind = |k: usize| lost_kind(&trace.commands[k].line);
    let own = |k: usize| !trace.sentinels.contains(&k);
    let unsettled = |k: usize| {
        let c = &trace.commands[k];
        c.ambiguous || c.replies.last().is_none_or(|r| r.code.class() == 1)
    };
    let lost_on = |k: usize| answered_up_to(trace, k, 0);
    let nul = (0..sent)
        .find(|&k| own(k) && (k >= cmd || unsettled(k)) && kind(k) == Some(NUL_LINE) && lost_on(k));
    if nul.is_some() {
        return nul;
    }
    let after_long = cmd
        .checked_sub(1)
        .is_some_and(|i| trace.commands[i].line.len() > LONG_LINE);
    if after_long || how != NoReply::ClosedAfterReply {
        return None;
    }
    (cmd..sent).find(|&k| own(k) && kind(k).is_some() && lost_on(k))
}

/// The kind of line a server that keeps lines as C strings dies on.
const NUL_LINE: &str = "a line with a NUL";

/// What a line a session died on has that others lack: a NUL first — a server that keeps
/// lines as C strings, or that trips over one in a path (pyftpdlib 2.2.0), ends the session
/// there, and naming such lines by their other bytes split that one defect in two — else
/// what [`odd_line`] finds.
fn lost_kind(line: &[u8]) -> Option<&'static str> {
    match line.len() <= LONG_LINE && line.contains(&0) {
        true => Some(NUL_LINE),
        false => odd_line(line),
    }
}

/// What makes a line odd enough that a server may choke on the line rather than on its
/// command: its length, bytes outside NVT-ASCII, control bytes (RFC 959 §4.1: commands are
/// Telnet NVT-ASCII strings ended by CRLF).
fn odd_line(line: &[u8]) -> Option<&'static str> {
    let telnet_free = crate::proto::telnet::strip_telnet(line);
    match () {
        _ if line.len() > LONG_LINE => Some("an over-long line"),
        _ if telnet_free.iter().any(|&b| b > 0x7f) => Some("a line with bytes above 0x7f"),
        _ if telnet_free.iter().any(|&b| b < 0x20 || b == 0x7f) => {
            Some("a line with control bytes")
        }
        _ => None,
    }
}

/// The signature of a command unanswered while a passive listener waits.
const PASSIVE_WAITING: &str =
    "timeout: a command while a passive listener waits for its connection";

/// A 227 or 229 was read before step `act` and no data connection was made since.
fn listener_waiting(trace: &Trace, act: usize) -> bool {
    let before = &trace.acts[..act.min(trace.acts.len())];
    let last_passive = before
        .iter()
        .rposition(|a| matches!(a, Act::Reply { code, .. } if code.0 == 227 || code.0 == 229));
    last_passive.is_some_and(|p| {
        !before[p..]
            .iter()
            .any(|a| matches!(a, Act::Connect { ok: true, .. }))
    })
}

/// The signature of any reply missing after the ABOR of a transfer that had its 1xx.
const AFTER_ABOR: &str = "timeout: after ABOR of a transfer that had its 1xx";

/// The signature of any reply missing among commands sent while a PORT, EPRT or LPRT still
/// owed its reply: which one is missing cannot be told (the server may answer out of order),
/// that one is, can.
const BEHIND_SETUP: &str = "timeout: a reply lost behind an unanswered data setup";

/// `timeout: ABOR` or `timeout: a line with bytes above 0x7f`: the signature of a command left
/// unanswered on a connection that stayed open. Any command unanswered while a passive listener
/// waits for its connection is one finding. A command left unanswered is one finding per verb —
/// or one for every over-long line, every line with non-ASCII bytes, every line with control
/// bytes, whatever its verb, since what such a server chokes on is the line (RFC 959 §4.1:
/// commands are Telnet NVT-ASCII), or one for any reply missing after the ABOR of a transfer
/// that had its 1xx (RFC 959 §4.1.3).
fn silence_signature(trace: &Trace, index: usize, act: usize) -> String {
    let cmd = &trace.commands[index];
    // After an ABOR of a transfer that had its 1xx, replies matched in order cannot tell whose
    // reply is missing (the transfer's 226/426, ABOR's 225/226, a later command's): one
    // finding, whichever command it was matched to.
    let aborted = trace.commands.iter().enumerate().any(|(i, c)| {
        c.transfer
            && c.replies.iter().any(|r| r.code.class() == 1)
            && trace.commands[i + 1..]
                .iter()
                .any(|later| later.verb == b"ABOR")
    });
    match () {
        _ if cmd.behind_setup => BEHIND_SETUP.into(),
        _ if aborted => AFTER_ABOR.into(),
        // A server that holds every command while a passive listener waits for its data
        // connection: one defect, whatever command it held.
        _ if listener_waiting(trace, act) => PASSIVE_WAITING.into(),
        // What such a server chokes on is the line's length or its bytes, not its verb: one
        // finding for each kind of line, whatever the command.
        _ => match odd_line(&cmd.line) {
            Some(kind) => format!("timeout: {kind}"),
            None => format!("timeout: {}", verb_class(&cmd.verb)),
        },
    }
}

/// The signature of every session that ended without a 421, not on a line of its own, and not
/// right after answering an over-long line.
pub const CLOSED: &str = "closed without a 421";

/// `; the last reply: "500 OOPS: priv_sock_get_int" to "PBSZ"` — what the server said last
/// before step `act`, which is often why it closed; empty when nothing but the greeting came.
fn last_words(trace: &Trace, act: usize) -> String {
    let last = trace.acts[..act.min(trace.acts.len())]
        .iter()
        .rev()
        .find_map(|a| match a {
            Act::Reply { cmd, code, .. } => Some((*cmd, *code)),
            _ => None,
        });
    let Some((cmd, code)) = last else {
        return String::new();
    };
    let Some(c) = trace.commands.get(cmd) else {
        return String::new();
    };
    let text = c
        .replies
        .iter()
        .rev()
        .find(|r| r.code == code)
        .map(|r| {
            String::from_utf8_lossy(&r.text)
                .chars()
                .take(80)
                .collect::<String>()
        })
        .unwrap_or_default();
    format!(
        "; the last reply: \"{code} {text}\" to {:?}",
        String::from_utf8_lossy(&c.verb)
    )
}

/// Commands of RFC 959, 2228, 2389, 2428, 2640, 3659 and 1639: the verbs a signature names.
const KNOWN_VERBS: [&[u8]; 50] = [
    b"USER", b"PASS", b"ACCT", b"CWD", b"CDUP", b"SMNT", b"REIN", b"QUIT", b"PORT", b"PASV",
    b"TYPE", b"STRU", b"MODE", b"RETR", b"STOR", b"STOU", b"APPE", b"ALLO", b"REST", b"RNFR",
    b"RNTO", b"ABOR", b"DELE", b"RMD", b"MKD", b"PWD", b"LIST", b"NLST", b"SITE", b"SYST", b"STAT",
    b"HELP", b"NOOP", b"EPRT", b"EPSV", b"LPRT", b"LPSV", b"FEAT", b"OPTS", b"SIZE", b"MDTM",
    b"MLSD", b"MLST", b"AUTH", b"PBSZ", b"PROT", b"CCC", b"LANG", b"ADAT", b"MIC",
];

/// A verb as a signature names it: a known command as is, anything else (`NOOPX`, random
/// bytes, a Telnet sequence, an empty line) as one class, so garbage lines are one finding.
fn verb_class(verb: &[u8]) -> String {
    match KNOWN_VERBS.contains(&verb) {
        true => String::from_utf8_lossy(verb).into_owned(),
        false => "(not a known command)".into(),
    }
}

fn kind_name(kind: &ReplyErrorKind) -> &'static str {
    match kind {
        ReplyErrorKind::NotThreeDigits => "not-three-digits",
        ReplyErrorKind::BadSeparator => "bad-separator",
        ReplyErrorKind::MismatchedTerminator { .. } => "mismatched-terminator",
        ReplyErrorKind::BareLf => "bare-lf",
        ReplyErrorKind::LineTooLong(_) => "line-too-long",
        ReplyErrorKind::TooManyLines(_) => "too-many-lines",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verb_classes_and_oracle_names() {
        assert_eq!(verb_class(b"ABOR"), "ABOR");
        assert_eq!(verb_class(b"\xe6\xda"), verb_class(b"\xff\xf4"));
        assert_eq!(verb_class(b""), verb_class(b"12"));
        assert_eq!(verb_class(b"NOOPA"), verb_class(b"NOOPF"));
        assert_eq!(Oracle::from_name("port-theft"), Some(Oracle::ForeignServed));
        for o in Oracle::ALL {
            assert_eq!(Oracle::from_name(o.name()), Some(o));
        }
    }

    /// Signatures come from the kind of malformation, not from its message: two delimiters
    /// outside 33–126 are one finding, a bad delimiter and a bad port are two, and each quotes
    /// its own rule.
    #[test]
    fn malformed_accepted_signatures_are_kinds_with_their_rules() {
        let accepted = |line: &[u8]| {
            let t = trace_of(vec![command(line, &[200])]);
            judge(&t).expect("a 2xx for a malformed EPRT is a finding")
        };
        let del = accepted(b"EPRT \x7f1\x7f127.0.0.1\x7f5\x7f");
        let tab = accepted(b"EPRT \t1\t127.0.0.1\t5\t");
        let port = accepted(b"EPRT |1|127.0.0.1|99999|");
        assert_eq!(del.signature, "EPRT: eprt-delimiter");
        assert_eq!(del.signature, tab.signature);
        assert_eq!(port.signature, "EPRT: eprt-port");
        assert!(del.rule.unwrap().contains("33-126"));
        assert!(port.rule.unwrap().contains("<tcp-port>"));
        let hostport = accepted(b"PORT 127,0,0,1,4");
        assert_eq!(hostport.signature, "PORT: host-port-fields");
    }

    fn command(line: &[u8], codes: &[u16]) -> Exchange {
        let verb = crate::fuzz::exec::trace::verb_of(line);
        Exchange {
            op: 0,
            line: line.to_vec(),
            transfer: crate::fuzz::exec::trace::is_transfer_verb(&verb),
            verb,
            replies: codes
                .iter()
                .map(|&c| crate::fuzz::exec::trace::Seen {
                    code: ReplyCode(c),
                    text: Vec::new(),
                    act: 0,
                    unparsed: None,
                })
                .collect(),
            ambiguous: false,
            behind_setup: false,
            bare_lf: false,
        }
    }

    fn trace_of(commands: Vec<Exchange>) -> Trace {
        let mut trace = Trace::new(crate::fuzz::input::line::Values {
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        });
        trace.commands = commands;
        trace
    }

    /// The signature of a timeout on the last of `commands`.
    fn timeout_signature(commands: Vec<Exchange>) -> String {
        let trace = trace_of(commands);
        silence_signature(&trace, trace.commands.len() - 1, 0)
    }

    /// The verdict of the last command left without a reply (`how`).
    fn no_reply(commands: Vec<Exchange>, how: NoReply) -> Option<Violation> {
        let cmd = commands.len() - 1;
        lost_at(commands, cmd, how)
    }

    #[test]
    fn commands_held_while_a_passive_listener_waits_are_one_defect() {
        let signature = |verb: &[u8], connected: bool| {
            let mut trace = trace_of(vec![command(b"EPSV", &[229]), command(verb, &[])]);
            trace.acts.push(Act::Reply {
                cmd: 0,
                code: ReplyCode(229),
                binder: Some(Binder::Epsv),
            });
            if connected {
                trace.acts.push(Act::Connect {
                    chan: crate::fuzz::exec::trace::Chan::Passive,
                    via: Binder::Epsv,
                    ok: true,
                });
            }
            silence_signature(&trace, 1, trace.acts.len())
        };
        assert_eq!(signature(b"NOOP", false), PASSIVE_WAITING);
        assert_eq!(signature(b"STAT", false), PASSIVE_WAITING);
        assert_eq!(signature(b"NOOP", true), "timeout: NOOP");
    }

    /// The verdict of a connection lost (`how`) while command `cmd` was the first owed a reply.
    fn lost_at(commands: Vec<Exchange>, cmd: usize, how: NoReply) -> Option<Violation> {
        let mut trace = trace_of(commands);
        trace.end = End::NoReply {
            cmd,
            act: 0,
            how,
            liveness: Liveness::Alive,
        };
        judge(&trace)
    }

    #[test]
    fn a_session_lost_on_a_nul_is_one_defect_wherever_the_line_stood() {
        // pyftpdlib 2.2.0 ends the session on a line with a NUL. It was three findings:
        // silence named by the line's other bytes, and two closes without 421 named by the
        // reply before — the NUL line came after a bare LF (a server ending commands only at
        // CRLF reads both as one), or while a STOR waited for its final reply.
        let expected = (
            Oracle::Silence,
            "connection lost on a line with a NUL".to_string(),
        );
        let of = |v: Option<Violation>| v.map(|v| (v.oracle, v.signature));
        let high = command(b"RETR \xfe\xff\0", &[]);
        let v = no_reply(
            vec![command(b"NOOP", &[200]), high],
            NoReply::ClosedAfterReply,
        );
        assert_eq!(of(v), Some(expected.clone()));
        let mut list = command(b"LIST /", &[]);
        list.bare_lf = true;
        let lines = vec![command(b"CCC", &[500]), list, command(b"\x01\x8fU\0", &[])];
        let v = lost_at(lines, 1, NoReply::ClosedAfterReply);
        assert_eq!(of(v.clone()), Some(expected.clone()));
        assert!(
            v.is_some_and(|v| v.detail.contains("\"\\u{1}")),
            "names the NUL line"
        );
        let mut stor = command(b"STOR f", &[150]);
        stor.transfer = true;
        let eprt = command(b"EPRT |1|127.0.0.1|5000|", &[200]);
        let lines = vec![eprt, stor, command(b"LIST xABOR\0", &[])];
        let v = lost_at(lines, 1, NoReply::ClosedAfterReply);
        assert_eq!(of(v.clone()), Some(expected.clone()));
        assert!(
            v.is_some_and(|v| v.detail.contains("\"LIST\"")),
            "names the LIST line"
        );
        // The NUL line after an earlier odd one (an EPRT with CR delimiters), after an
        // answered over-long line, or at a reset: still that line, and one defect.
        for (lines, how) in [
            (
                vec![command(b"EPRT \r1\r", &[]), command(b"RETR a\0", &[])],
                NoReply::ClosedAfterReply,
            ),
            (
                vec![command(b"EPSV 1", &[]), command(b"RETR /\0", &[])],
                NoReply::Closed,
            ),
            (
                vec![command(b"PASS \xf9", &[]), command(b"RETR x\0\t", &[])],
                NoReply::Reset,
            ),
        ] {
            let long = [b"REST ".as_slice(), &[b'J'; 3000]].concat();
            let mut commands = vec![command(&long, &[500, 500])];
            commands.extend(lines);
            let v = lost_at(commands, 1, how);
            assert_eq!(of(v.clone()), Some(expected.clone()), "{how:?}");
            assert!(v.is_some_and(|v| v.detail.contains("\"RETR\"")));
        }
        // A line read after the close was seen is never blamed.
        let mut trace = trace_of(vec![
            command(b"EPRT |1|127.0.0.1|5000|", &[200]),
            command(b"NOOP", &[]),
            command(b"LIST \0", &[]),
        ]);
        trace.closed_before = Some(2);
        trace.end = End::NoReply {
            cmd: 1,
            act: 0,
            how: NoReply::ClosedAfterReply,
            liveness: Liveness::Alive,
        };
        assert_eq!(
            judge(&trace).map(|v| v.oracle),
            Some(Oracle::ClosedWithout421)
        );
    }

    #[test]
    fn silence_is_judged_only_after_complete_lines() {
        let noop = || command(b"NOOP", &[200]);
        let stat = || command(b"STAT", &[]);
        let found = no_reply(vec![noop(), stat()], NoReply::Timeout).map(|v| v.oracle);
        assert_eq!(found, Some(Oracle::Silence));
        // A bare LF before: a server that ends lines only at CRLF is right to wait.
        let mut bare = noop();
        bare.bare_lf = true;
        assert_eq!(no_reply(vec![bare, stat()], NoReply::Timeout), None);
        // An empty line before: a server may ignore it, and the replies shift.
        let empty = command(b"", &[]);
        assert_eq!(no_reply(vec![empty, stat()], NoReply::Timeout), None);
        // A close on an odd line (a NUL in a path) after the line before was answered: the
        // server died on the line, a MUST; on an ordinary one, a close without 421.
        let nul = command(b"LIST a\0b", &[]);
        let v = no_reply(
            vec![command(b"NOOP", &[200]), nul],
            NoReply::ClosedAfterReply,
        )
        .expect("a violation");
        assert_eq!(v.oracle, Oracle::Silence);
        assert_eq!(v.signature, "connection lost on a line with a NUL");
        // The same, but the close was read before the odd line went out: the server never
        // read it, and closed after answering the line before, without 421.
        let mut trace = trace_of(vec![command(b"NOOP", &[200]), command(b"\rPASV", &[])]);
        trace.closed_before = Some(1);
        trace.end = End::NoReply {
            cmd: 1,
            act: 0,
            how: NoReply::ClosedAfterReply,
            liveness: Liveness::Alive,
        };
        let v = judge(&trace).expect("a violation");
        assert_eq!(v.oracle, Oracle::ClosedWithout421);
        assert_eq!(v.signature, CLOSED);
        let long = [b"NOOP ".as_slice(), &[b'x'; 3000]].concat();
        let v = no_reply(
            vec![command(&long, &[500]), stat()],
            NoReply::ClosedAfterReply,
        )
        .expect("a violation");
        assert_eq!(v.oracle, Oracle::ClosedWithout421);
        assert_eq!(v.signature, "closed after answering an over-long line");
        // A close after the line before was answered, without 421: a SHOULD of its own.
        let v = no_reply(
            vec![command(b"NOOP x", &[501]), stat()],
            NoReply::ClosedAfterReply,
        )
        .expect("a violation");
        assert_eq!(v.oracle, Oracle::ClosedWithout421);
        assert_eq!(v.signature, CLOSED);
        // Lines pipelined after an over-long one that was answered, then a close: that line's
        // close (vsftpd), not silence on whichever line came last.
        let v = no_reply(
            vec![
                command(&long, &[500]),
                command(b"EPSV 202", &[]),
                command(b"ABOR", &[]),
            ],
            NoReply::Closed,
        )
        .expect("a violation");
        assert_eq!(v.oracle, Oracle::ClosedWithout421);
        assert_eq!(v.signature, "closed after answering an over-long line");
        // vsftpd closes after answering an over-long line; pipelined behind the command first
        // owed, its answer may be lost in the reset: no verdict, and never "lost on an
        // over-long line".
        for how in [NoReply::ClosedAfterReply, NoReply::Reset] {
            let lines = vec![
                command(b"NOOP", &[200]),
                command(b"NLST", &[]),
                command(&long, &[]),
                command(b"CCC", &[]),
            ];
            assert_eq!(lost_at(lines, 1, how), None, "{how:?}");
        }
        // One dying session, whatever kind of line it answered last: one signature.
        let after = |line: &[u8]| {
            no_reply(
                vec![command(b"PASV", &[500]), command(line, &[500]), stat()],
                NoReply::ClosedAfterReply,
            )
            .expect("a violation")
            .signature
        };
        let plain = after(b"RETR /");
        assert_eq!(plain, CLOSED);
        assert_eq!(after(b"PORTC\xde\x1b"), plain);
        assert_eq!(after(b"EPRT \x11x\x11"), plain);
    }

    /// vsftpd 3.0.3 dying on a PASV it cannot bind showed as four findings in one campaign:
    /// closed after its `500 OOPS` pair, closed after a 2xx (it died without a word), and
    /// "connection lost" after either (a reset, or a transfer still owed its final reply). A
    /// session that ends without a 421 is one defect whatever it answered last and however the
    /// connection went; the detail says what it answered last.
    #[test]
    fn a_session_lost_without_421_is_one_defect_however_it_went() {
        let mut verdicts = Vec::new();
        for (last, how) in [
            (500, NoReply::ClosedAfterReply),
            (211, NoReply::ClosedAfterReply),
            (500, NoReply::Reset),
            (200, NoReply::Closed),
        ] {
            let mut retr = command(b"RETR hello.txt", &[150]);
            retr.transfer = true;
            let mut before = command(b"PBSZ 0", &[]);
            before.replies.push(crate::fuzz::exec::trace::Seen {
                code: ReplyCode(last),
                text: b"OOPS: priv_sock_get_int".to_vec(),
                act: 1,
                unparsed: None,
            });
            let mut commands = vec![command(b"PASV", &[500]), before, command(b"STAT", &[])];
            if how != NoReply::ClosedAfterReply {
                commands.insert(0, retr);
            }
            let cmd = commands.len() - 1;
            let mut trace = trace_of(commands);
            trace.acts = vec![
                Act::Reply {
                    cmd: cmd - 2,
                    code: ReplyCode(500),
                    binder: None,
                },
                Act::Reply {
                    cmd: cmd - 1,
                    code: ReplyCode(last),
                    binder: None,
                },
            ];
            trace.end = End::NoReply {
                cmd,
                act: 2,
                how,
                liveness: Liveness::Alive,
            };
            let v = judge(&trace).expect("a violation");
            assert!(
                v.detail.contains(&format!(
                    "the last reply: \"{last} OOPS: priv_sock_get_int\" to \"PBSZ\""
                )),
                "{}",
                v.detail
            );
            verdicts.push((v.oracle, v.signature));
        }
        for v in &verdicts {
            assert_eq!(*v, (Oracle::ClosedWithout421, CLOSED.to_string()));
        }
        // Not when the server is gone or hangs: a crash, a hang.
        let mut trace = trace_of(vec![command(b"PASV", &[500]), command(b"STAT", &[])]);
        trace.end = End::NoReply {
            cmd: 1,
            act: 0,
            how: NoReply::Reset,
            liveness: Liveness::Refused,
        };
        assert_eq!(judge(&trace).map(|v| v.oracle), Some(Oracle::Crash));
    }

    /// pyftpdlib 2.2.0: `NLST` got its `150` (no data connection to wait for), then `RETR x`,
    /// `RETR y\0` and `ABOR` pipelined got one `550` and a close. The ABOR was owed first (it
    /// is queued behind the transfer), but the line the session died on came before it,
    /// unanswered: that line is named, not "a close after 5xx".
    #[test]
    fn a_nul_line_before_the_command_first_owed_is_questioned_when_its_reply_is_missing() {
        let mut nlst = command(b"NLST", &[150, 550]);
        nlst.transfer = true;
        let mut retr = command(b"RETR no-such-file.txt", &[]);
        retr.ambiguous = true;
        let mut nul = command(b"RETR hello.txt\0", &[]);
        nul.ambiguous = true;
        let abor = command(b"ABOR", &[]);
        let v = lost_at(vec![nlst, retr, nul, abor], 3, NoReply::Closed).expect("a violation");
        assert_eq!(v.oracle, Oracle::Silence);
        assert_eq!(v.signature, "connection lost on a line with a NUL");
        // vsftpd after a fuzzed `USER` (every reply after it in doubt): the NUL line got a 500,
        // then an EPSV it could not bind its `500 OOPS` pair, and the session closed. More was
        // answered than there were lines up to the NUL one: it lived past it.
        let mut lines = vec![command(b"USER ftp", &[530])];
        lines.push(command(b"PORT 127,0,0\xa1\0", &[500]));
        lines.push(command(b"EPSV", &[500, 500]));
        lines.push(command(b"eprt |1|x|", &[]));
        for c in &mut lines {
            c.ambiguous = true;
        }
        let v = lost_at(lines, 3, NoReply::ClosedAfterReply).expect("a violation");
        assert_eq!(
            (v.oracle, v.signature.as_str()),
            (Oracle::ClosedWithout421, CLOSED)
        );
        // The same line, answered for sure: the server lived past it; the close is the finding.
        let nlst = command(b"NLST", &[150, 226]);
        let nul = command(b"RETR hello.txt\0", &[550]);
        let v = lost_at(
            vec![nlst, nul, command(b"ABOR", &[])],
            2,
            NoReply::ClosedAfterReply,
        )
        .expect("a violation");
        assert_eq!(v.oracle, Oracle::ClosedWithout421);
    }

    #[test]
    fn silence_signatures_name_the_kind_of_line_not_the_line() {
        let plain = timeout_signature(vec![command(b"NOOP", &[200]), command(b"STAT", &[])]);
        assert_eq!(plain, "timeout: STAT");
        let high_a = timeout_signature(vec![command(b"PORT 1,2\xa4", &[])]);
        let high_b = timeout_signature(vec![command(b"EPRT |1|\xe6\xda|", &[])]);
        assert_eq!(high_a, high_b);
        assert_eq!(high_a, "timeout: a line with bytes above 0x7f");
        let control_a = timeout_signature(vec![command(b"NOOP a\x01b", &[])]);
        let control_b = timeout_signature(vec![command(b"EPRT \x7f1\x7f", &[])]);
        assert_eq!(control_a, control_b);
        assert_eq!(control_a, "timeout: a line with control bytes");
        let long_noop = [b"NOOP ".as_slice(), &[b'x'; 3000]].concat();
        let long_eprt = [b"EPRT ".as_slice(), &[b'|'; 5000]].concat();
        assert_eq!(
            timeout_signature(vec![command(&long_noop, &[])]),
            timeout_signature(vec![command(&long_eprt, &[])])
        );
        // After ABOR of a transfer that had its 1xx, whichever command the missing reply was
        // matched to, it is one finding.
        let abor = |last: &[u8]| {
            timeout_signature(vec![
                command(b"NLST", &[150, 225]),
                command(b"ABOR", &[]),
                command(last, &[]),
            ])
        };
        assert_eq!(abor(b"NOOP"), abor(b"PASV"));
        assert_ne!(abor(b"NOOP"), plain);
    }
}
