//! What one execution did and saw: the command lines the server received, the replies each
//! got, the steps a scenario needs to do the same again, and how the dialogue ended.
//!
//! Oracles, feedback and the finding writer read a [`Trace`]; nothing here does I/O.

use crate::fuzz::input::line::{Line, Values};
use crate::proto::{ReplyCode, ReplyErrorKind};
use crate::suite::Binder;

/// The operation index used for the login at the start of a dialogue.
pub const LOGIN_OP: usize = usize::MAX;

/// Most bytes of reply text kept per reply.
pub const MAX_TEXT: usize = 256;

/// One command line as the server sees it (the bytes up to an LF, one CR before it dropped) and
/// the replies it got: one exchange of RFC 959 §4.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The operation that sent it (or [`LOGIN_OP`]).
    pub op: usize,
    /// The line without its end. Bounded by the generators.
    pub line: Vec<u8>,
    /// Upper-cased bytes up to the first SP (RFC 959 §5.3), Telnet IAC sequences removed.
    pub verb: Vec<u8>,
    /// RETR, STOR, LIST, NLST: its final reply may wait on the data connection.
    pub transfer: bool,
    /// Every reply attributed to it, in order (a 1xx, then the final one).
    pub replies: Vec<Seen>,
    /// Which replies are its cannot be known for sure (ABOR behind a transfer, see
    /// `exec::ledger`): oracles that depend on the attribution skip it.
    pub ambiguous: bool,
    /// Sent while a PORT, EPRT or LPRT before it still owed its reply (or after such a
    /// command): a server that connects before it answers may answer out of order or drop a
    /// reply (see `exec::ledger`), so a missing reply is one defect, whichever it was.
    pub behind_setup: bool,
    /// The line ended with a bare LF, not CRLF. RFC 959 §4.1.3 ends a command with CRLF; a
    /// server that waits for it rightly answers only when a CRLF comes, so the replies after it
    /// cannot be matched to lines with certainty.
    pub bare_lf: bool,
}

/// A reply, as far as oracles care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub code: ReplyCode,
    /// The text of the last line, at most [`MAX_TEXT`] bytes.
    pub text: Vec<u8>,
    /// The step ([`Trace::acts`] index) that read it.
    pub act: usize,
    /// For a 227, 229 or 522 whose machine-readable part does not parse: why.
    pub unparsed: Option<crate::proto::CodecError>,
}

/// A data channel, named as the scenario names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chan {
    /// Accepted on ftpspec's listener (after EPRT/PORT): `data`.
    Active,
    /// Connected to the port a 227/229 named: `passive`.
    Passive,
    /// Connected from 127.0.0.2: `thief`.
    Thief,
}

impl Chan {
    pub fn name(self) -> &'static str {
        match self {
            Chan::Active => "data",
            Chan::Passive => "passive",
            Chan::Thief => "thief",
        }
    }
}

/// One step, as a scenario would take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    Login,
    /// Open the active-mode listener (`listen data`).
    Listen,
    /// Bytes on the control connection: a line plus CRLF, or raw bytes.
    Send {
        op: usize,
        line: Line,
        crlf: bool,
    },
    UrgentAbort {
        op: usize,
    },
    /// The executor's sentinel went out (`SYST`, see `exec::ledger::SENTINEL`).
    Sentinel,
    /// One reply read for command `cmd`.
    Reply {
        cmd: usize,
        code: ReplyCode,
        binder: Option<Binder>,
    },
    /// A reply that never came (timeout, close, reset) or did not parse.
    Missing {
        cmd: usize,
    },
    Connect {
        chan: Chan,
        via: Binder,
        ok: bool,
    },
    Accept,
    Read {
        chan: Chan,
        len: usize,
    },
    Write {
        chan: Chan,
        bytes: Vec<u8>,
    },
    Close {
        chan: Chan,
    },
}

/// How a command went unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoReply {
    Timeout,
    /// The server answered the sentinel sent after this command (see `exec::ledger`) while
    /// this command still had no reply: it went unanswered (or was answered out of order,
    /// which breaks RFC 959 §4.2 as much), known without waiting out a timer.
    Skipped,
    Closed,
    Reset,
    /// The connection closed (or reset) when every command before this one had its final
    /// reply, and none of them was a 421: the server closed after answering, without the 421
    /// that announces a close (RFC 959 §4.2) — not a command left unanswered.
    ClosedAfterReply,
}

impl NoReply {
    /// The connection stayed open and the reply did not come: by a timer, or by the sentinel.
    pub fn is_silence(self) -> bool {
        matches!(self, NoReply::Timeout | NoReply::Skipped)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NoReply::Timeout => "timeout",
            NoReply::Skipped => "the command sent after it was answered first",
            NoReply::Closed => "closed",
            NoReply::Reset => "reset",
            NoReply::ClosedAfterReply => "closed after answering the command before",
        }
    }
}

/// What a fresh connection found after a command went unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Liveness {
    /// A new connection got a greeting: the server lives; that one command was swallowed.
    Alive,
    /// Connections are refused: the server is down.
    Refused,
    /// A new connection gets no greeting: the server hangs.
    Silent,
}

/// Something notable on a data connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataEvent {
    /// The port a 229/227 had just named refused the connection.
    DeadPassivePort {
        act: usize,
        port: u16,
        code: ReplyCode,
    },
    /// A connection from 127.0.0.2 received data.
    ForeignServed { act: usize, bytes: usize },
}

/// Why the target did not serve a session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unserved {
    /// No control connection: refused, reset, unreachable.
    Connect(String),
    /// Connected, but no greeting came (a timeout, a close).
    NoGreeting(String),
    /// A greeting other than 220 (RFC 959 §5.4: 120 replies, then 220), such as
    /// `421 Too many users` — the server is up but refuses the session.
    Greeting { code: ReplyCode, text: String },
    /// The login was refused (RFC 959 §4.1.1), where earlier logins of the campaign worked.
    Login { code: ReplyCode, text: String },
    /// A session that logged in got no reply to NOOP (the health probe's last step).
    NoService(String),
    /// FTPS: `AUTH TLS` was refused or the TLS handshake failed (RFC 4217 §4).
    Tls(String),
}

impl std::fmt::Display for Unserved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unserved::Connect(e) => write!(f, "connections fail ({e})"),
            Unserved::NoGreeting(e) => write!(f, "no greeting ({e})"),
            Unserved::Greeting { code, text } => write!(f, "greetings are \"{code} {text}\""),
            Unserved::Login { code, text } => write!(f, "logins are refused (\"{code} {text}\")"),
            Unserved::NoService(e) => write!(f, "a logged-in session gets no reply ({e})"),
            Unserved::Tls(e) => write!(f, "TLS cannot be set up ({e})"),
        }
    }
}

/// How the dialogue ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Every operation ran and every reply came.
    Completed,
    /// A wait that may legitimately be long (a transfer outstanding) ran out: nothing to judge.
    Inconclusive(String),
    /// Command `cmd` got no reply.
    NoReply {
        cmd: usize,
        act: usize,
        how: NoReply,
        liveness: Liveness,
    },
    /// A reply broke RFC 959 §4.2.
    Malformed {
        cmd: usize,
        act: usize,
        kind: ReplyErrorKind,
        raw: Vec<u8>,
    },
    /// No session: no control connection, no greeting, or a greeting other than 220.
    Unreachable(Unserved),
    /// ftpspec itself could not go on (a local socket could not be set up).
    Harness(String),
}

/// Everything one execution produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub values: Values,
    pub commands: Vec<Exchange>,
    pub acts: Vec<Act>,
    /// The operation each step belongs to (parallel to `acts`).
    pub act_ops: Vec<usize>,
    /// The operation running now; [`Trace::act`] files steps under it.
    pub current_op: usize,
    pub events: Vec<DataEvent>,
    pub end: End,
    /// The commands that were the executor's sentinels (see `exec::ledger::SENTINEL`), not
    /// the dialogue's: a finding's scenario leaves them and their replies out, so its replay
    /// waits for the missing reply itself.
    pub sentinels: Vec<usize>,
    /// The dialogue ran on a protected session (FTPS, RFC 4217): its scenario `needs tls`.
    pub tls: bool,
    /// The server's close was read before command N was sent (`Some(N)`), with every reply
    /// owed until then read: it cannot have read command N, let alone died on it.
    pub closed_before: Option<usize>,
}

impl Trace {
    pub fn new(values: Values) -> Trace {
        Trace {
            values,
            commands: Vec::new(),
            acts: Vec::new(),
            act_ops: Vec::new(),
            current_op: LOGIN_OP,
            events: Vec::new(),
            end: End::Completed,
            sentinels: Vec::new(),
            tls: false,
            closed_before: None,
        }
    }

    /// Act `act` sent or answered a sentinel.
    pub fn is_sentinel_act(&self, act: &Act) -> bool {
        match act {
            Act::Sentinel => true,
            Act::Reply { cmd, .. } | Act::Missing { cmd } => self.sentinels.contains(cmd),
            _ => false,
        }
    }

    /// Appends a step and returns its index.
    pub fn act(&mut self, act: Act) -> usize {
        self.acts.push(act);
        self.act_ops.push(self.current_op);
        self.acts.len() - 1
    }

    /// Every reply code in the order read: the reply-code sequence of AFLNet-style feedback.
    pub fn codes(&self) -> Vec<ReplyCode> {
        let mut seen: Vec<&Seen> = self.commands.iter().flat_map(|c| &c.replies).collect();
        seen.sort_by_key(|s| s.act);
        seen.into_iter().map(|s| s.code).collect()
    }

    /// (previous reply code, verb, reply code) for every reply, in order; the previous code of
    /// the first reply is the greeting's 220.
    pub fn transitions(&self) -> Vec<(ReplyCode, &[u8], ReplyCode)> {
        let mut seen: Vec<(&Exchange, &Seen)> = self
            .commands
            .iter()
            .flat_map(|c| c.replies.iter().map(move |s| (c, s)))
            .collect();
        seen.sort_by_key(|(_, s)| s.act);
        let mut prev = ReplyCode::READY;
        let mut out = Vec::with_capacity(seen.len());
        for (c, s) in seen {
            out.push((prev, c.verb.as_slice(), s.code));
            prev = s.code;
        }
        out
    }

    /// The operation a step belongs to ([`LOGIN_OP`] for the login and unknown steps).
    pub fn op_of_act(&self, act: usize) -> usize {
        self.act_ops.get(act).copied().unwrap_or(LOGIN_OP)
    }
}

/// RETR, STOR, LIST, NLST: the commands that move data over a data connection (RFC 959 §4.1.3).
pub fn is_transfer_verb(verb: &[u8]) -> bool {
    matches!(verb, b"RETR" | b"STOR" | b"LIST" | b"NLST")
}

/// Upper-cased verb of a line as the server sees it (Telnet IAC pairs removed, RFC 959 §4.1.3).
pub fn verb_of(line: &[u8]) -> Vec<u8> {
    let stripped = crate::proto::telnet::strip_telnet(line);
    crate::proto::command::verb_of(&stripped)
}
