//! The parsed form of a `.ftpspec` file: scenarios made of steps. Data only; the parser builds it,
//! the runner executes it, and [`std::fmt::Display`] writes it back as source (the fuzzer writes
//! its findings this way, and `parse(display(s)) == s`).

use crate::proto::ReplyCode;
use std::path::PathBuf;

/// RFC 2119 requirement level of a scenario; it decides what a failure means (see `runner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// A failure is FAIL.
    Must,
    /// A failure is WARN (FAIL under `--strict`).
    Should,
    /// Informational: a failure is recorded as INFO and never fails the run.
    May,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        })
    }
}

/// Where a requirement comes from: `spec RFC2428 §2 MUST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `RFC2428`.
    pub rfc: String,
    /// `§2`, `§4.1.3`.
    pub section: String,
    pub level: Level,
}

/// A position in a scenario file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One scenario: a dialogue with the target and the requirement it checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Stable dotted ID, e.g. `rfc2428.eprt.delimiter-del`. Lower-case ASCII letters, digits,
    /// `-`, `_`, separated by `.`.
    pub id: String,
    pub title: String,
    pub spec: Spec,
    /// The RFC sentence this scenario enforces, quoted; printed on failure.
    pub requirement: String,
    pub tags: Vec<String>,
    /// Preconditions; when one is not met the scenario is SKIP with the reason.
    pub needs: Vec<Need>,
    /// Commands this scenario tests on its own (`covers EPSV`): a `setup` step elsewhere that
    /// fails on one of them is BLOCKED and points here. Upper case; at most one scenario of a
    /// run covers a verb.
    pub covers: Vec<String>,
    pub steps: Vec<Step>,
    /// The `scenario` line.
    pub location: Location,
}

impl Scenario {
    /// The area used to group results: the ID without its last component
    /// (`rfc2428.eprt.delimiter-del` → `rfc2428.eprt`).
    pub fn area(&self) -> &str {
        match self.id.rfind('.') {
            Some(i) => &self.id[..i],
            None => &self.id,
        }
    }

    /// True when a step uses the run's transfer command (`transfer`, or `${transfer}`), which
    /// the runner's preflight chooses.
    pub fn uses_transfer(&self) -> bool {
        any_step(&self.steps, &|a| match a {
            Action::Transfer { .. } => true,
            Action::Send { payload, .. } | Action::Note(payload) => {
                payload.vars().any(|v| v == TRANSFER_VAR)
            }
            _ => false,
        })
    }

    /// True when a step sends TCP urgent data (`abort urgent`: the Telnet Synch of RFC 959
    /// §4.1.3), which only a plain TCP control connection can carry.
    pub fn uses_urgent_data(&self) -> bool {
        any_step(&self.steps, &|a| {
            matches!(a, Action::Abort { urgent: true })
        })
    }

    /// The run-wide check this scenario declares (`run-check reply-syntax`), if it is one.
    pub fn run_check(&self) -> Option<RunCheck> {
        match self.steps.as_slice() {
            [
                Step {
                    action: Action::RunCheck(check),
                    ..
                },
            ] => Some(*check),
            _ => None,
        }
    }

    /// The scenario in a canonical form for comparison: no source positions (every line 0, the
    /// file empty) and templates with adjacent literals merged and empty ones dropped. Two
    /// parses of the same text in different places compare equal, and so do a scenario and
    /// its written-back form (the fuzz target `scenario_parser` checks exactly that).
    pub fn canonical(&self) -> Scenario {
        let mut s = self.clone();
        s.location = Location {
            file: PathBuf::new(),
            line: 0,
        };
        canonical_steps(&mut s.steps);
        s
    }
}

/// The built-in variable that holds the run's transfer command line (`LIST`, `RETR hello.txt`).
pub const TRANSFER_VAR: &str = "transfer";

fn canonical_steps(steps: &mut [Step]) {
    for step in steps {
        step.line = 0;
        step.action.templates_mut(&mut Template::merge_literals);
        if let Some(body) = step.action.body_mut() {
            canonical_steps(body);
        }
        if let Action::If { otherwise, .. } = &mut step.action {
            canonical_steps(otherwise);
        }
    }
}

/// True when `pred` holds for any step, inside blocks too.
fn any_step(steps: &[Step], pred: &dyn Fn(&Action) -> bool) -> bool {
    steps.iter().any(|step| {
        pred(&step.action)
            || match &step.action {
                Action::If {
                    then, otherwise, ..
                } => any_step(then, pred) || any_step(otherwise, pred),
                Action::Repeat { steps, .. }
                | Action::RepeatBurst { steps }
                | Action::Setup { steps } => any_step(steps, pred),
                _ => false,
            }
    })
}

/// A check over the whole run rather than one dialogue, declared by a scenario whose only step
/// is `run-check NAME`; the runner judges it after every other scenario has finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunCheck {
    /// `run-check reply-syntax`: RFC 959 §4.2 on every reply of the run, including those read
    /// by `login`, the preflight and at goodbye, which no `expect` looks at.
    ReplySyntax,
}

impl RunCheck {
    pub const ALL: [RunCheck; 1] = [RunCheck::ReplySyntax];

    /// The word after `run-check`.
    pub fn keyword(self) -> &'static str {
        match self {
            RunCheck::ReplySyntax => "reply-syntax",
        }
    }
}

/// A precondition: `needs ipv6`, `needs tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Need {
    /// The control connection must be IPv4 (the target has an IPv4 address).
    Ipv4,
    /// The control connection must be IPv6 (the target has an IPv6 address).
    Ipv6,
    /// `needs tls`: the run is over TLS (`--tls explicit|implicit`), so the session is
    /// protected from its start, as every scenario of such a run is (RFC 4217).
    Tls,
    /// `needs auth-tls`: the target offers `AUTH TLS` (the run is `--tls explicit`), and the
    /// scenario starts on a **clear** control connection: it sends `AUTH TLS`, `starttls`,
    /// `PBSZ` and `PROT` itself, and `login` adds nothing (RFC 4217 §4, §9).
    AuthTls,
    /// `needs tls-required`: the run says the target refuses clear sessions (`--tls-required`).
    TlsRequired,
}

impl Need {
    /// Every precondition, in the order the language reference lists them.
    pub const ALL: [Need; 5] = [
        Need::Ipv4,
        Need::Ipv6,
        Need::Tls,
        Need::AuthTls,
        Need::TlsRequired,
    ];

    /// The word after `needs`.
    pub fn keyword(self) -> &'static str {
        match self {
            Need::Ipv4 => "ipv4",
            Need::Ipv6 => "ipv6",
            Need::Tls => "tls",
            Need::AuthTls => "auth-tls",
            Need::TlsRequired => "tls-required",
        }
    }
}

/// How `connect` protects a passive data connection (RFC 4217 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataProtection {
    /// As the session says: TLS resuming the control connection's session under `PROT P`,
    /// clear otherwise.
    #[default]
    Session,
    /// `connect … clear`: no TLS, whatever `PROT` says — a client (or a thief) that skips the
    /// handshake, to check that a server under `PROT P` does not serve it.
    Clear,
    /// `connect … new-session`: TLS under `PROT P`, but a fresh TLS session that does not
    /// resume the control connection's (RFC 4217 §10), to check how a server that requires
    /// reuse refuses it.
    NewSession,
}

impl DataProtection {
    /// The option word of `connect`, `None` for the default.
    pub fn keyword(self) -> Option<&'static str> {
        match self {
            DataProtection::Session => None,
            DataProtection::Clear => Some("clear"),
            DataProtection::NewSession => Some("new-session"),
        }
    }
}

/// A step and the line it is on (for `file:line` in failures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub line: usize,
    pub action: Action,
}

/// What a step does. The step vocabulary is documented with examples in `suites/README.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `login`: USER/PASS with the target's credentials (anonymous when the URL has none).
    Login,
    /// `anonymous`: USER anonymous / PASS with a mail-like password, whatever the target URL says.
    Anonymous,
    /// `send EPRT |1|${client.ip}|${data.port}|` (CRLF appended) or
    /// `send-raw "EPRT\r"` (exact bytes, `crlf: false`).
    Send { payload: Template, crlf: bool },
    /// `expect 500 501`, `expect 5xx`, `expect 229 as epsv`, `expect 522 as protocols contains "(1"`.
    Expect(Expect),
    /// `listen data`, `listen bounce on 127.0.0.2` or `listen data reuse`: an active-mode
    /// listener; binds `${NAME.ip}`, `${NAME.port}` and (IPv4) `${NAME.hostport}`. Default
    /// address: the control connection's local address. With `reuse`, the first bind takes port
    /// 0 and later ones in the scenario bind that same port again (SO_REUSEADDR), so that the
    /// server's connections to it meet TIME_WAIT.
    Listen {
        channel: String,
        on: Option<Template>,
        reuse: bool,
        /// `listen low privileged`: a free port below 1024 (RFC 2577 §3); a host where no such
        /// port can be bound (not root, no CAP_NET_BIND_SERVICE) makes the scenario SKIP.
        privileged: bool,
    },
    /// `accept data` or `accept data from ${target.ip}`: wait for the server to connect; binds
    /// `${NAME.from.ip}` and `${NAME.from.port}`.
    Accept {
        channel: String,
        from: Option<Template>,
    },
    /// `expect-no-connection bounce`: no connection has arrived on the listener so far.
    ExpectNoConnection { channel: String },
    /// `connect data to ${epsv.port}` or `connect thief to ${epsv.port} from 127.0.0.2`: a passive
    /// data connection, always to the control connection's peer address; `clear` or
    /// `new-session` at the end chooses its protection (see [`DataProtection`]).
    Connect {
        channel: String,
        port: Template,
        from: Option<Template>,
        protection: DataProtection,
    },
    /// `read data`, `read data equals "hello\n"`, `read data contains "x"`, `read data length 1024`,
    /// `read data save first`, `read data same-as first`: read until EOF (bounded) and check.
    Read {
        channel: String,
        checks: Vec<DataCheck>,
    },
    /// `write data "some bytes\n"`.
    Write { channel: String, payload: Template },
    /// `close data`.
    Close { channel: String },
    /// `abort` (plain `ABOR\r\n`) or `abort urgent` (IAC IP, IAC DM as urgent data, ABOR).
    Abort { urgent: bool },
    /// `repeat 20` … `end`: the body, a bounded number of times.
    Repeat { count: u32, steps: Vec<Step> },
    /// `repeat ${burst}` … `end`: the body as many times as the run's burst size (`--burst`,
    /// default 200), for the TIME_WAIT bursts whose length users choose.
    RepeatBurst { steps: Vec<Step> },
    /// `note passive port ${epsv.port}`: an observation recorded in the outcome.
    Note(Template),
    /// `if reply 426` … [`else` …] `end`: `then` when the code of the last reply read (by an
    /// `expect` or a login) matches any pattern, else `otherwise` (empty when there is no
    /// `else`).
    If {
        codes: Vec<CodePattern>,
        then: Vec<Step>,
        otherwise: Vec<Step>,
    },
    /// `reconnect`: QUIT (best effort), a new control connection to the same target address,
    /// its greeting read; listeners and data streams stay.
    Reconnect,
    /// `send-long NOOP 10000`: `NOOP `, then `count` bytes of `A`, then CRLF.
    SendLong { verb: Template, count: u32 },
    /// `expect close`: the server must close the control connection (EOF or reset).
    ExpectClose,
    /// `connect thief to ${epsv.port} refused`: the connection must not be accepted.
    /// `… refused within 2000`: the port must stop accepting within that many milliseconds
    /// (ftpspec tries again every 50 ms), for a close the server makes asynchronously.
    ConnectRefused {
        channel: String,
        port: Template,
        from: Option<Template>,
        within_ms: Option<u32>,
    },
    /// `expect-no-data thief`: reads the stream to its end; not a single byte may arrive.
    ExpectNoData { channel: String },
    /// `drain data`: read and discard until the server ends the stream (EOF or reset) within the
    /// step timeout — after ABOR the server must close the data connection (RFC 959 §4.1.3).
    /// `drain data background` starts that reading in the background and goes on at once (a
    /// client that keeps reading while it sends ABOR); a later `drain data` waits for it.
    Drain { channel: String, background: bool },
    /// `read-some data 65536`: read exactly that many bytes (the client is mid-transfer), leaving
    /// the stream open. Fewer bytes before EOF is a failure.
    ReadSome { channel: String, count: u64 },
    /// `expect-silence 300`: no reply may arrive on the control connection for that many
    /// milliseconds (a server must not answer an unfinished command line).
    ExpectSilence { millis: u32 },
    /// `collect ports ${epsv.port}`: appends a value to a named series, reported as a note.
    Collect { series: String, value: Template },
    /// `check ${reply.code} equals 226`, `check ${a.port} differs ${b.port}`.
    Check {
        left: Template,
        op: CheckOp,
        right: Template,
    },
    /// `check-varies ports`: a collected series must not be an arithmetic progression.
    CheckVaries { series: String },
    /// `check ${reply.text} matches "\(h1,…\)"`: the rendered value must match the regex
    /// (the `regex` crate's syntax, validated by the parser).
    CheckMatches { value: Template, regex: String },
    /// `setup` … `end`: steps that only set the stage for the requirement (a TYPE, a passive
    /// port, a transfer that proves the data connection works). When one of them fails the
    /// scenario is BLOCKED, not FAIL: the requirement was never exercised.
    Setup { steps: Vec<Step> },
    /// `transfer data [from ${target.ip}] [or 425]`: sends the run's transfer command (chosen
    /// by the preflight: NLST, LIST or RETR of `--file-small`) and carries it over channel
    /// `data` — accepted from a listener (active) or read from a connected stream (passive) —
    /// to its final 226/250. A refusal of the command itself (not 425/426) is BLOCKED: the
    /// command is setup, the data connection is what the step checks. With `or 425`, a 425 to
    /// the command ends the step as a pass (a prompt "can't open data connection").
    Transfer {
        channel: String,
        from: Option<Template>,
        allow_425: bool,
    },
    /// `disconnect`: closes the control connection without QUIT (a client that vanishes).
    Disconnect,
    /// `run-check reply-syntax`: the scenario is a check over the whole run (see [`RunCheck`]).
    RunCheck(RunCheck),
    /// `starttls`: negotiates TLS on the control connection as the TLS client, after a 234 to
    /// `AUTH TLS` (RFC 4217 §4). Only in a scenario with `needs auth-tls`.
    StartTls,
    /// `skip the server does not offer CCC`: ends the scenario as SKIP with that reason, for a
    /// precondition only a reply can show (a command answered 500 or 502).
    Skip(Template),
}

impl Action {
    /// Calls `f` on every template of this step (not of the steps inside a block).
    pub fn templates_mut(&mut self, f: &mut dyn FnMut(&mut Template)) {
        match self {
            Action::Send { payload: t, .. }
            | Action::Write { payload: t, .. }
            | Action::Note(t)
            | Action::Skip(t)
            | Action::Collect { value: t, .. }
            | Action::SendLong { verb: t, .. }
            | Action::CheckMatches { value: t, .. } => f(t),
            Action::Listen { on: t, .. }
            | Action::Accept { from: t, .. }
            | Action::Transfer { from: t, .. } => t.iter_mut().for_each(f),
            Action::Connect { port, from, .. } | Action::ConnectRefused { port, from, .. } => {
                f(port);
                from.iter_mut().for_each(f);
            }
            Action::Check { left, right, .. } => {
                f(left);
                f(right);
            }
            Action::Expect(e) => e.text.iter_mut().for_each(|c| {
                if let TextCheck::Contains(t) = c {
                    f(t)
                }
            }),
            Action::Read { checks, .. } => checks.iter_mut().for_each(|c| match c {
                DataCheck::Equals(t) | DataCheck::Contains(t) => f(t),
                DataCheck::Length(_) | DataCheck::Save(_) | DataCheck::SameAs(_) => {}
            }),
            Action::Login
            | Action::Anonymous
            | Action::ExpectNoConnection { .. }
            | Action::Close { .. }
            | Action::Abort { .. }
            | Action::Repeat { .. }
            | Action::RepeatBurst { .. }
            | Action::If { .. }
            | Action::Reconnect
            | Action::ExpectClose
            | Action::ExpectNoData { .. }
            | Action::Drain { .. }
            | Action::ReadSome { .. }
            | Action::ExpectSilence { .. }
            | Action::CheckVaries { .. }
            | Action::Setup { .. }
            | Action::Disconnect
            | Action::StartTls
            | Action::RunCheck(_) => {}
        }
    }

    /// The keyword that starts the step in a scenario file (`expect` for `expect close`,
    /// `connect` for `connect … refused`).
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Anonymous => "anonymous",
            Action::Send { crlf: true, .. } => "send",
            Action::Send { crlf: false, .. } => "send-raw",
            Action::Expect(_) | Action::ExpectClose => "expect",
            Action::Listen { .. } => "listen",
            Action::Accept { .. } => "accept",
            Action::ExpectNoConnection { .. } => "expect-no-connection",
            Action::Connect { .. } | Action::ConnectRefused { .. } => "connect",
            Action::Read { .. } => "read",
            Action::Write { .. } => "write",
            Action::Close { .. } => "close",
            Action::Abort { .. } => "abort",
            Action::Repeat { .. } | Action::RepeatBurst { .. } => "repeat",
            Action::Note(_) => "note",
            Action::If { .. } => "if",
            Action::Reconnect => "reconnect",
            Action::SendLong { .. } => "send-long",
            Action::ExpectNoData { .. } => "expect-no-data",
            Action::Drain { .. } => "drain",
            Action::ReadSome { .. } => "read-some",
            Action::ExpectSilence { .. } => "expect-silence",
            Action::Collect { .. } => "collect",
            Action::Check { .. } => "check",
            Action::CheckVaries { .. } => "check-varies",
            Action::CheckMatches { .. } => "check",
            Action::Setup { .. } => "setup",
            Action::Transfer { .. } => "transfer",
            Action::Disconnect => "disconnect",
            Action::RunCheck(_) => "run-check",
            Action::StartTls => "starttls",
            Action::Skip(_) => "skip",
        }
    }

    /// The steps of a block whose body runs as a sequence (`repeat`, `setup`, the `then` of an
    /// `if`); `None` for other steps.
    pub fn body_mut(&mut self) -> Option<&mut Vec<Step>> {
        match self {
            Action::Repeat { steps, .. }
            | Action::RepeatBurst { steps }
            | Action::Setup { steps } => Some(steps),
            Action::If { then, .. } => Some(then),
            _ => None,
        }
    }
}

/// How `check` compares its two rendered values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOp {
    /// The two values are the same bytes.
    Equals,
    /// The two values are different bytes.
    Differs,
}

impl CheckOp {
    /// The word between the two values: `equals`, `differs`.
    pub fn keyword(self) -> &'static str {
        match self {
            CheckOp::Equals => "equals",
            CheckOp::Differs => "differs",
        }
    }
}

/// A reply expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The reply passes when its code matches any pattern.
    pub codes: Vec<CodePattern>,
    /// Parse the reply and bind variables (only when its code is the binder's code).
    pub bind: Option<Binder>,
    /// Extra checks on the reply text (all must hold).
    pub text: Vec<TextCheck>,
    /// `expect 200 close`: the server closing the control connection (EOF or reset) instead of
    /// replying passes too — for a check whose requirement a close does not break.
    pub or_close: bool,
    /// `expect 2xx 5xx silence`: no reply within the step timeout passes too (recorded as a
    /// note) — for a wait whose outcome the scenario's requirement does not judge, such as the
    /// final reply of a transfer command that is only there to give a server time to (wrongly)
    /// connect.
    pub or_silence: bool,
}

/// `200` (exact) or `5xx` (class).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePattern {
    Exact(ReplyCode),
    Class(u8),
}

impl CodePattern {
    pub fn matches(self, code: ReplyCode) -> bool {
        match self {
            CodePattern::Exact(c) => c == code,
            CodePattern::Class(class) => code.class() == class,
        }
    }
}

impl std::fmt::Display for CodePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodePattern::Exact(c) => write!(f, "{c}"),
            CodePattern::Class(class) => write!(f, "{class}xx"),
        }
    }
}

/// `as epsv` | `as pasv` | `as protocols`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binder {
    /// A 229 reply: must parse as `(<d><d><d><port><d>)`; binds `${epsv.port}`.
    Epsv,
    /// A 227 reply: must carry `h1,h2,h3,h4,p1,p2`; binds `${pasv.ip}` and `${pasv.port}`.
    Pasv,
    /// A 522 reply: must end with `(p1,…,pn)`; binds `${protocols}` (e.g. `1,2`) and
    /// `${protocols.first}` (e.g. `1`).
    Protocols,
}

impl Binder {
    /// Every binder, in the order the language reference lists them.
    pub const ALL: [Binder; 3] = [Binder::Epsv, Binder::Pasv, Binder::Protocols];

    /// The word after `as` in a scenario: `epsv`, `pasv`, `protocols`.
    pub fn keyword(self) -> &'static str {
        match self {
            Binder::Epsv => "epsv",
            Binder::Pasv => "pasv",
            Binder::Protocols => "protocols",
        }
    }

    /// The reply code this binder parses.
    pub fn code(self) -> ReplyCode {
        match self {
            Binder::Epsv => ReplyCode::EXTENDED_PASSIVE,
            Binder::Pasv => ReplyCode::PASSIVE,
            Binder::Protocols => ReplyCode::UNKNOWN_PROTOCOL,
        }
    }
}

/// A check on reply text: `contains "…"` (bytes) or `matches "regex"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextCheck {
    Contains(Template),
    /// A regex (the `regex` crate's syntax), validated by the parser.
    Matches(String),
}

/// A check on bytes read from a data connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataCheck {
    Equals(Template),
    Contains(Template),
    Length(u64),
    /// `save first`: keep the bytes under a key for a later `same-as`.
    Save(String),
    /// `same-as first`: the bytes must be exactly those saved under the key.
    SameAs(String),
}

/// Bytes with `${variable}` holes, filled in by the runner. Escapes (`\r`, `\n`, `\0`, `\t`,
/// `\\`, `\"`, `\$`, `\s` for a space, `\xHH`) are resolved by the parser into literal bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(Vec<u8>),
    /// A variable name such as `epsv.port`.
    Var(String),
}

impl Template {
    /// Merges adjacent literals and drops empty ones: the same bytes and variables, in the form
    /// the writer's output parses back to.
    pub fn merge_literals(&mut self) {
        let mut parts: Vec<Part> = Vec::new();
        for part in std::mem::take(&mut self.parts) {
            match (parts.last_mut(), part) {
                (_, Part::Literal(b)) if b.is_empty() => {}
                (Some(Part::Literal(prev)), Part::Literal(b)) => prev.extend(b),
                (_, part) => parts.push(part),
            }
        }
        self.parts = parts;
    }

    pub fn literal(bytes: impl Into<Vec<u8>>) -> Template {
        Template {
            parts: vec![Part::Literal(bytes.into())],
        }
    }

    /// The variable names used, in order.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Literal(_) => None,
        })
    }
}
