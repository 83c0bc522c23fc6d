//! The bookkeeping of one execution, without I/O: what the server has received, which reply
//! answers which command, what a reply set up, and how the dialogue ended.
//!
//! Both drivers of a dialogue — the network executor ([`super::execute`]) and the in-process
//! driver for the libFuzzer target ([`super::inproc`]) — tell the ledger the bytes they sent
//! and the replies they read, and ask it what is still owed. Neither keeps accounts of its own,
//! so the libFuzzer `server` target tests the very attribution the campaign relies on.
//!
//! - Sent bytes become commands as a server splits them: at each LF, one CR before it dropped
//!   (RFC 959 §4.1.3 ends a command with CRLF; servers end it at the LF). Bytes after the last
//!   LF begin a command that the next write continues.
//! - Replies are matched to commands in order (RFC 959 §4.2: "Every command must generate at
//!   least one reply", 1xx replies preceding the final one); ABOR's place is `enqueue`'s.
//! - A 227/229 names a passive port, a 2xx to EPRT/PORT/LPRT arms the active listener
//!   (RFC 959 §4.1.2, RFC 2428 §2–3); each new data setup replaces the one before.
//!
//! The ledger reads no clock and waits for nothing: how long to wait is the drivers' business.

use crate::fuzz::exec::trace::{
    Act, End, Exchange, Liveness, MAX_TEXT, NoReply, Seen, Trace, is_transfer_verb, verb_of,
};
use crate::fuzz::input::line::Values;
use crate::proto::{EpsvReply, HostPort, ProtocolList, Reply, ReplyCode, ReplyError};
use crate::session::SessionError;
use crate::suite::Binder;
use std::collections::VecDeque;
use std::time::Duration;

/// Most bytes kept of one command line (a generator's over-long line, continued by later
/// writes, stops growing here).
const MAX_LINE: usize = 64 * 1024;

/// A port a 227 or 229 named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassivePort {
    pub port: u16,
    pub via: Binder,
    pub code: ReplyCode,
    /// Nothing was sent since the reply named it: a refused connection to it is the server's
    /// fault (RFC 2428 §3), not a later command's closing it.
    pub fresh: bool,
}

/// The accounts of one execution. The [`Trace`] it fills is the execution's result.
#[derive(Debug)]
pub struct Ledger {
    pub trace: Trace,
    /// Commands waiting for their final reply, oldest first (indices into `trace.commands`).
    queue: VecDeque<usize>,
    /// A command whose line has no LF yet.
    partial: Option<usize>,
    /// Commands answered before their line ended (a server that replies to an over-long line
    /// at once): their line's end owes nothing more.
    answered_early: Vec<usize>,
    /// A 221 or 421 was seen: a close after it is the server's right (RFC 959 §4.2).
    saw_closing: bool,
    /// A transfer nobody serves, seen not to answer promptly.
    stalled: Option<usize>,
    /// An ABOR was sent and not yet answered: it is owed replies promptly, transfer or not.
    abort_pending: bool,
    passive: Option<PassivePort>,
    /// An EPRT/PORT/LPRT got 2xx: the next transfer's server connects to the listener.
    active_armed: bool,
    /// A new data setup was announced since the driver last asked: a data connection opened
    /// for the old one serves nothing now (RFC 959 §4.1.2 PASV).
    data_stale: bool,
    /// The sentinel sent last ([`Ledger::sent_sentinel`]), while it is owed its reply.
    sentinel: Option<usize>,
    /// The last login command's reply logged the session in (230), and no USER or REIN
    /// came since: servers may refuse SYST before login (vsftpd: 530).
    logged_in: bool,
    /// A data connection came from another address than ftpspec's (the RFC 2577 §4 thief):
    /// the server may say so on the control connection at any moment, unasked.
    foreign_seen: bool,
    /// The ABORs sent with the Telnet "special action" (IP, Synch): RFC 959 §4.1.3.
    urgent: Vec<usize>,
    /// The target answers the sentinel before login too (see [`Ledger::sentinel_before_login`]).
    sentinel_before_login: bool,
    /// A command went out while a fuzzed login command was owed its reply: from then on
    /// replies may be out of order (see [`Ledger::finish_command`]).
    login_doubt: bool,
    /// Transfers whose data phase the driver served to its end (see
    /// [`Ledger::data_phase_over`]).
    served: Vec<usize>,
    /// A PORT, EPRT or LPRT got a 2xx in this session: the server may have a data connection
    /// of its own making (pyftpdlib connects at once, into the listener's backlog).
    active_accepted: bool,
}

/// The sentinel: a command sent after a line whose reply is late or may be followed by more,
/// so that the order of replies, not a timer, tells what the line got. SYST is harmless (it
/// changes no state), every server that implements it answers 215 (RFC 959 §4.1.3, §4.2.1),
/// and no other command is answered with 215 — so its reply cannot be taken for another's.
/// It is used only against a target seen to answer it with 215.
pub const SENTINEL: &[u8] = b"SYST";

/// The sentinel's reply code (RFC 959 §4.2.1: "215 NAME system type").
const SENTINEL_REPLY: u16 = 215;

impl Ledger {
    pub fn new(values: Values) -> Ledger {
        Ledger {
            trace: Trace::new(values),
            queue: VecDeque::new(),
            partial: None,
            answered_early: Vec::new(),
            saw_closing: false,
            stalled: None,
            abort_pending: false,
            passive: None,
            active_armed: false,
            data_stale: false,
            sentinel: None,
            logged_in: false,
            foreign_seen: false,
            urgent: Vec::new(),
            sentinel_before_login: false,
            login_doubt: false,
            served: Vec::new(),
            active_accepted: false,
        }
    }

    /// The target was seen to answer the sentinel before login as well as after it (see
    /// `latency::Sentinel`): the sentinel may be used in either state.
    pub fn sentinel_before_login(&mut self, answers: bool) {
        self.sentinel_before_login = answers;
    }

    /// The session is logged in: the last login command got 230 (RFC 959 §4.1.1).
    pub fn logged_in(&self) -> bool {
        self.logged_in
    }

    // ------------------------------------------------------------------ what was sent

    /// Bytes went out on the control connection.
    pub fn sent(&mut self, bytes: &[u8]) {
        self.passive_stale();
        for segment in bytes.split_inclusive(|&b| b == b'\n') {
            let complete = segment.last() == Some(&b'\n');
            let mut body = segment.strip_suffix(b"\n").unwrap_or(segment);
            let mut bare_lf = false;
            if complete {
                match body.strip_suffix(b"\r") {
                    Some(b) => body = b,
                    None => bare_lf = true,
                }
            }
            match self.partial.take() {
                Some(i) => {
                    let line = &mut self.trace.commands[i].line;
                    let room = MAX_LINE.saturating_sub(line.len());
                    line.extend_from_slice(&body[..body.len().min(room)]);
                    self.trace.commands[i].bare_lf = bare_lf;
                    match complete {
                        true => self.finish_command(i),
                        false => self.partial = Some(i),
                    }
                }
                None => {
                    self.new_command(body.to_vec(), complete);
                    if let Some(c) = self.trace.commands.last_mut() {
                        c.bare_lf = bare_lf;
                    }
                }
            }
        }
    }

    /// `IAC IP IAC`, DM as urgent data, `ABOR\r\n` went out (RFC 959 §4.1.3): the server sees
    /// one command, ABOR — or, after an unfinished line, that line ended by this one.
    pub fn sent_urgent_abort(&mut self) {
        match self.partial.take() {
            Some(i) => self.finish_command(i),
            None => self.new_command(b"ABOR".to_vec(), true),
        }
        self.urgent.push(self.trace.commands.len() - 1);
        self.passive_stale();
    }

    /// A data connection from another address (the thief of RFC 2577 §4) reached, or tried,
    /// the server's passive port. A server that defends the port may tell of it with a reply
    /// nobody asked for (pyftpdlib 2.2.0: `425 Rejected data connection from foreign address`),
    /// which would be taken for the next command's and shift every reply after it: from now
    /// on the order of replies is in doubt.
    pub fn foreign_connection(&mut self) {
        self.foreign_seen = true;
    }

    /// The sentinel went out (see [`SENTINEL`]): a command of its own, owed its 215.
    pub fn sent_sentinel(&mut self) {
        self.trace.act(Act::Sentinel);
        self.sent(&crate::fuzz::exec::reader::sentinel_line());
        self.sentinel = self.trace.commands.len().checked_sub(1);
        self.trace.sentinels.extend(self.sentinel);
    }

    /// Whether a sentinel may find out what command `cmd`, owed a reply, got. Not when the
    /// order of replies says nothing certain: an unfinished line would swallow the sentinel, a
    /// line ended by a bare LF may still wait for its CRLF, an ABOR reorders replies, a
    /// transfer may rightly wait, a login may be delayed, a close was announced; not after
    /// a SYST-like line still owed (its own 215 would look like the sentinel's); and one at a
    /// time.
    pub fn may_send_sentinel(&self, cmd: usize) -> bool {
        let c = &self.trace.commands[cmd];
        self.sentinel_allowed() && !c.transfer && !self.may_be_slow(cmd)
    }

    /// What [`Ledger::may_send_sentinel`] asks of the whole session, whatever is owed: the
    /// session is logged in (servers may refuse SYST before login: vsftpd answers 530) or the
    /// target answers it before login too, and the order of replies is certain.
    pub fn sentinel_allowed(&self) -> bool {
        let doubt = self.trace.commands.iter().any(|c| c.bare_lf || c.ambiguous);
        !doubt && self.sentinel_may_follow()
    }

    /// Whether the sentinel may follow a line once every line before it is answered (after an
    /// over-long line, to collect a second reply to it): then an earlier doubt about which
    /// reply was whose (a bare LF, replies out of order behind a data setup) changes nothing —
    /// every reply before the 215 is still the line's or an earlier one's, which the timed look
    /// it replaces could not tell apart either. Not behind a fuzzed login: a server that holds a
    /// refused login's reply reads nothing meanwhile (pyftpdlib: 3 s), and the sentinel would
    /// wait the full timeout where the look waits 50 ms.
    pub fn sentinel_may_follow(&self) -> bool {
        // A SYST-like line still owed would answer 215 itself.
        let syst_owed = self
            .queue
            .iter()
            .any(|&q| self.trace.commands[q].verb.starts_with(SENTINEL));
        self.sentinel.is_none()
            && !syst_owed
            && (self.logged_in || self.sentinel_before_login)
            && self.partial.is_none()
            && !self.abort_pending
            && !self.saw_closing
            && !self.login_doubt
            && !self.queue.iter().any(|&q| self.trace.commands[q].transfer)
    }

    /// The command at the head of the queue was still owed its reply when the sentinel behind
    /// it got its 215: it went unanswered.
    pub fn skipped(&self) -> Option<usize> {
        let s = self.sentinel?;
        let answered = self.trace.commands[s]
            .replies
            .iter()
            .any(|r| r.code.0 == SENTINEL_REPLY);
        let head = self.owed()?;
        (answered && head < s).then_some(head)
    }

    /// A sentinel is owed its reply.
    pub fn sentinel_owed(&self) -> bool {
        self.sentinel.is_some_and(|s| self.queue.contains(&s))
    }

    /// `cmd` is a sentinel (see [`SENTINEL`]).
    pub fn is_sentinel(&self, cmd: usize) -> bool {
        self.sentinel == Some(cmd)
    }

    fn new_command(&mut self, line: Vec<u8>, complete: bool) {
        let op = self.trace.current_op;
        self.trace.commands.push(Exchange {
            op,
            line,
            verb: Vec::new(),
            transfer: false,
            replies: Vec::new(),
            ambiguous: false,
            behind_setup: false,
            bare_lf: false,
        });
        let i = self.trace.commands.len() - 1;
        match complete {
            true => self.finish_command(i),
            false => self.partial = Some(i),
        }
    }

    /// The line of command `i` is complete: it now waits for its reply.
    fn finish_command(&mut self, i: usize) {
        let c = &mut self.trace.commands[i];
        c.verb = verb_of(&c.line);
        c.transfer = is_transfer_verb(&c.verb);
        if c.verb == b"ABOR" {
            self.abort_pending = true;
        }
        // Behind a PORT, EPRT or LPRT still owed its reply, replies may come out of order: a
        // server that connects before it answers may answer the commands behind first
        // (pyftpdlib 2.2.0 sends "200 Active data connection established." after them). RFC
        // 959 §4.2 wants them in order, but which reply is whose cannot be told.
        // The setup itself is in doubt too: its first reply in order may be the later
        // command's (`PORT …` then `ABOR`: pyftpdlib answers only `225` to the ABOR).
        let setups: Vec<usize> = self
            .queue
            .iter()
            .copied()
            .filter(|&q| {
                matches!(
                    &self.trace.commands[q].verb[..],
                    b"PORT" | b"EPRT" | b"LPRT"
                )
            })
            .collect();
        let after = self.trace.commands[..i].iter().any(|c| c.behind_setup);
        if !setups.is_empty() || after {
            for q in setups.into_iter().chain([i]) {
                self.trace.commands[q].ambiguous = true;
                self.trace.commands[q].behind_setup = true;
            }
        }
        if self.foreign_seen {
            self.trace.commands[i].ambiguous = true;
        }
        // Behind a fuzzed USER, PASS or ACCT still owed its reply, too: a server that holds a
        // refused login's reply answers the commands behind it first (pyftpdlib 2.2.0: `USER
        // x`, `PASS y`, `EPRT …` pipelined get 331, the EPRT's 530, and the PASS's 530 three
        // seconds later; meanwhile it reads nothing). Every reply after that is in doubt.
        let logins: Vec<usize> = (self.queue.iter().copied())
            .filter(|&q| self.is_fuzzed_login(q))
            .collect();
        self.login_doubt |= !logins.is_empty();
        if self.login_doubt {
            for q in logins.into_iter().chain([i]) {
                self.trace.commands[q].ambiguous = true;
            }
        }
        if !self.answered_early.contains(&i) {
            let in_progress = self
                .queue
                .front()
                .is_some_and(|&head| self.stalled == Some(head) || self.started(head));
            enqueue(&mut self.queue, &mut self.trace.commands, i, in_progress);
        }
    }

    fn passive_stale(&mut self) {
        if let Some(p) = self.passive.as_mut() {
            p.fresh = false;
        }
    }

    // ------------------------------------------------------------------ what is owed

    /// The command the next reply answers, if any is owed one.
    pub fn owed(&self) -> Option<usize> {
        self.queue.front().copied()
    }

    /// A transfer command still waits for its final reply.
    pub fn transfer_pending(&self) -> bool {
        self.queue.iter().any(|&i| self.trace.commands[i].transfer)
    }

    /// The next reply owed is a transfer's.
    pub fn transfer_first(&self) -> bool {
        self.owed().is_some_and(|i| self.trace.commands[i].transfer)
    }

    /// Command `cmd` is a transfer that the driver does not serve (`serving` is the one it
    /// does) and no ABOR hurries: the server may rightly hold its reply until its own data
    /// timeout.
    pub fn unserved(&self, cmd: usize, serving: Option<usize>) -> bool {
        self.trace.commands[cmd].transfer && serving != Some(cmd) && !self.hurried(cmd)
    }

    /// The driver served transfer `cmd`'s data phase to its end: its final reply is due now,
    /// whatever the target does with transfers nobody serves.
    pub fn data_phase_over(&mut self, cmd: usize) {
        self.served.push(cmd);
    }

    /// Transfer `cmd` got its 1xx, nobody served it, and no data connection can exist but one
    /// ftpspec would open: the server has started and may wait for it until its own timeout
    /// (see `Latency::looks_after_1xx`). After an accepted PORT, EPRT or LPRT the server may
    /// have connected on its own and finish at once (pyftpdlib sends 125, the data into the
    /// listener's backlog, and 226).
    pub fn started_unserved(&self, cmd: usize, serving: Option<usize>) -> bool {
        self.unserved(cmd, serving)
            && !self.is_stalled(cmd)
            && self.started(cmd)
            && !self.served.contains(&cmd)
            && !self.active_accepted
    }

    /// Command `cmd` got a preliminary reply (1xx): the server has started it.
    pub fn started(&self, cmd: usize) -> bool {
        self.trace.commands[cmd]
            .replies
            .iter()
            .any(|r| r.code.class() == 1)
    }

    pub fn is_stalled(&self, cmd: usize) -> bool {
        self.stalled == Some(cmd)
    }

    /// Transfer `cmd` did not answer promptly: from now on nothing waits on it.
    pub fn stall(&mut self, cmd: usize) {
        self.stalled = Some(cmd);
    }

    /// Transfer `cmd` has an ABOR owed a reply sent *after* it: RFC 959 §4.1.3 wants the
    /// transfer's 426/226 at once. An ABOR before it (pipelined ahead, or answered already)
    /// hurries nothing: the transfer may rightly wait for its data connection.
    fn hurried(&self, cmd: usize) -> bool {
        self.abort_pending
            && self.trace.commands[cmd + 1..]
                .iter()
                .any(|c| c.verb == b"ABOR")
    }

    /// An ABOR after transfer `cmd` that the server must have seen: sent with the Telnet
    /// "special action", or answered. A plain ABOR behind a transfer that waits for its data
    /// connection may rightly sit unread — RFC 959 §4.1.3: the abort "may require 'special
    /// action' … to force recognition by the server" (vsftpd reads nothing while it waits in
    /// accept()).
    fn abort_recognized(&self, cmd: usize) -> bool {
        self.trace
            .commands
            .iter()
            .enumerate()
            .skip(cmd + 1)
            .any(|(i, c)| c.verb == b"ABOR" && (self.urgent.contains(&i) || !c.replies.is_empty()))
    }

    /// Every owed reply came (or the dialogue is over): no ABOR is waiting any longer.
    pub fn abort_answered(&mut self) {
        self.abort_pending = false;
    }

    /// Command `cmd` may rightly take long to answer: servers delay the reply to a failed
    /// login on purpose, to slow password guessing (USER, PASS, ACCT: RFC 959 §4.1.1), so it
    /// gets the full timeout, never a measured wait.
    pub fn may_be_slow(&self, cmd: usize) -> bool {
        matches!(
            &self.trace.commands[cmd].verb[..],
            b"USER" | b"PASS" | b"ACCT"
        )
    }

    /// `cmd` is a USER, PASS or ACCT that one of the dialogue's operations sent, not its login.
    pub fn is_fuzzed_login(&self, cmd: usize) -> bool {
        self.may_be_slow(cmd) && self.trace.commands[cmd].op != crate::fuzz::exec::trace::LOGIN_OP
    }

    /// The reply to `cmd`, a fuzzed login command, was not waited for past `waited`: the
    /// target delays refused logins, and waiting seconds for each would bound the campaign.
    /// Nothing after it can be judged.
    pub fn login_not_waited_for(&mut self, cmd: usize, waited: Duration) {
        let verb = String::from_utf8_lossy(&self.trace.commands[cmd].verb).into_owned();
        self.trace.end = End::Inconclusive(format!(
            "the reply to {verb} was not waited for past {waited:?}: the target delays its \
             replies to refused logins"
        ));
    }

    /// The data connection of `cmd`, a transfer served after its 1xx, stayed idle — no
    /// byte, no close — past `waited` (see `Exec::read`): it was not read to the end, and
    /// nothing after it can be judged.
    pub fn data_not_waited_for(&mut self, cmd: usize, waited: Duration) {
        let verb = String::from_utf8_lossy(&self.trace.commands[cmd].verb).into_owned();
        self.trace.end = End::Inconclusive(format!(
            "the data connection of {verb} stayed idle for {waited:?} before its end; not \
             waited for"
        ));
    }

    /// The next reply to `cmd` would be the first to the last command sent, a plain one: its
    /// delay is one sample of the target's reply time. A login command's is not: one refused
    /// login delayed by seconds on purpose ([`Ledger::may_be_slow`]) would raise the measured
    /// reply time, and every wait scaled from it, for hundreds of dialogues.
    pub fn is_fresh_reply(&self, cmd: usize) -> bool {
        let c = &self.trace.commands[cmd];
        let last = cmd + 1 == self.trace.commands.len() && self.partial.is_none();
        last && !c.transfer
            && c.replies.is_empty()
            && !self.may_be_slow(cmd)
            && !self.is_sentinel(cmd)
    }

    // ------------------------------------------------------------------ what came

    /// A reply to the command owed one; a final reply settles it. Returns whether it was
    /// preliminary (1xx).
    pub fn reply(&mut self, cmd: usize, reply: &Reply) -> bool {
        let preliminary = reply.code.class() == 1;
        // A 4xx/5xx taken as a transfer's end while later commands are owed may end the
        // transfer (a 425 when the server gives up on its data connection) or answer the next
        // command (pyftpdlib answers commands while its 150'd RETR waits for a connection
        // nobody opens): no later reply can be matched with certainty, so nothing after it is
        // judged by its absence.
        if self.trace.commands[cmd].transfer && matches!(reply.code.class(), 4 | 5) {
            for &q in self.queue.iter().filter(|&&q| q > cmd) {
                self.trace.commands[q].ambiguous = true;
            }
        }
        self.record(cmd, reply);
        if !preliminary && let Some(at) = self.queue.iter().position(|&q| q == cmd) {
            self.queue.remove(at);
        }
        preliminary
    }

    /// Which owed command a reply with `code` answers: the first owed — unless that is a
    /// transfer, which no 2xx but 226/250 and no 3xx can end (RFC 959 §5.4: RETR, STOR, LIST
    /// and NLST end in 226, 250, 4xx or 5xx), and a later command is owed: then the server
    /// answered that one while the transfer waits (pyftpdlib answers an EPRT while a RETR with
    /// no data setup waits for its connection), and matching the reply to the transfer would
    /// shift every reply after it.
    pub fn owner_of(&self, code: ReplyCode) -> Option<usize> {
        let head = self.owed()?;
        // With a sentinel owed, 215 is its reply, whoever is ahead of it; any other reply
        // while it is the first owed is more of what the line before it got (a server that
        // answers an over-long line twice).
        if let Some(s) = self.sentinel
            && self.queue.contains(&s)
        {
            match (code.0 == SENTINEL_REPLY, head == s) {
                (true, _) => return Some(s),
                (false, true) => return Some(s.saturating_sub(1)),
                (false, false) => {}
            }
        }
        let transfer = self.trace.commands[head].transfer;
        let ends_transfer = matches!(code.0, 226 | 250) || matches!(code.class(), 1 | 4 | 5);
        if transfer && !ends_transfer {
            let next = self
                .queue
                .iter()
                .copied()
                .find(|&q| !self.trace.commands[q].transfer);
            return Some(next.unwrap_or(head));
        }
        Some(head)
    }

    /// A reply no command is owed: attributed to an unfinished line that the server answered
    /// early, else to the last command. Nothing sent yet: dropped.
    pub fn unsolicited(&mut self, reply: &Reply) {
        let Some(last) = self.trace.commands.len().checked_sub(1) else {
            return;
        };
        let target = match self.partial {
            Some(p) if !self.answered_early.contains(&p) => {
                self.answered_early.push(p);
                p
            }
            _ => last,
        };
        self.record(target, reply);
    }

    /// Records a reply for command `cmd` and what it sets up (a passive port, an armed EPRT).
    fn record(&mut self, cmd: usize, reply: &Reply) {
        let code = reply.code;
        if self.sentinel == Some(cmd)
            && code.0 == SENTINEL_REPLY
            && self.queue.front() == Some(&cmd)
        {
            self.sentinel = None;
        }
        let text = reply.last_text();
        let binder = binder_for(code);
        let act = self.trace.act(Act::Reply { cmd, code, binder });
        let (port, unparsed) = machine_part(binder, text);
        if let (Some(port), Some(via)) = (port, binder) {
            self.data_stale = true;
            // Fresh only if nothing was sent after the command it answers: a later command
            // (pipelined, queued) may rightly have closed the port already.
            let last = self.trace.commands.len() - 1;
            self.passive = Some(PassivePort {
                port,
                via,
                code,
                fresh: cmd == last && self.partial.is_none() && !self.trace.commands[cmd].ambiguous,
            });
        }
        let verb = &self.trace.commands[cmd].verb;
        if code.class() == 2 && matches!(&verb[..], b"EPRT" | b"PORT" | b"LPRT") {
            self.active_armed = true;
            self.active_accepted = true;
            self.passive = None;
            self.data_stale = true;
        }
        if code.0 == 221 || code.0 == 421 {
            self.saw_closing = true;
        }
        match (&verb[..], code.0) {
            (b"USER" | b"PASS" | b"ACCT", 230) => self.logged_in = true,
            (b"USER" | b"REIN", _) => self.logged_in = false,
            _ => {}
        }
        self.trace.commands[cmd].replies.push(Seen {
            code,
            text: text[..text.len().min(MAX_TEXT)].to_vec(),
            act,
            unparsed,
        });
    }

    /// What should have been a reply to `cmd` broke RFC 959 §4.2: the dialogue ends there. A
    /// reply longer than ftpspec reads (bytes in a line, lines in a reply) breaks nothing —
    /// RFC 959 §4.2 sets no bound — and only ends the dialogue, inconclusive: pyftpdlib
    /// answers `STAT /` with a line per file, and a directory of a thousand uploads is more
    /// than 1024 lines.
    pub fn malformed(&mut self, cmd: usize, e: ReplyError) {
        if let crate::proto::ReplyErrorKind::LineTooLong(_)
        | crate::proto::ReplyErrorKind::TooManyLines(_) = e.kind
        {
            self.trace.end = End::Inconclusive(format!("a reply longer than ftpspec reads: {e}"));
            return;
        }
        let act = self.trace.act(Act::Missing { cmd });
        self.trace.end = End::Malformed {
            cmd,
            act,
            kind: e.kind,
            raw: e.raw,
        };
    }

    /// The server closed the connection with no reply owed: whatever is sent next, it never
    /// read (vsftpd 3.0.3 answers a PASV it cannot bind with `500 OOPS: vsf_sysutil_bind`,
    /// the next line with `500 OOPS: priv_sock_get_int`, and closes).
    /// An unfinished line counts as not sent: the server cannot act on a line before its end.
    pub fn peer_closed(&mut self) {
        let next = self.partial.unwrap_or(self.trace.commands.len());
        self.trace.closed_before.get_or_insert(next);
    }

    /// A malformed reply that no command was owed: blamed on the last command.
    pub fn malformed_unsolicited(&mut self, e: ReplyError) {
        let cmd = self.trace.commands.len().saturating_sub(1);
        self.malformed(cmd, e);
    }

    /// The reply `cmd` is owed did not come (`waited` is how long it was given). Ends the
    /// dialogue; returns how it went unanswered when only the target's liveness can finish
    /// the story (then call [`Ledger::no_reply`]).
    pub fn missing(&mut self, cmd: usize, e: SessionError, waited: Duration) -> Option<NoReply> {
        let transfer = self.trace.commands[cmd].transfer;
        match e {
            SessionError::Malformed(err) => {
                self.malformed(cmd, err);
                None
            }
            // A transfer may wait for its data connection as long as the server likes — but
            // not once an ABOR came: RFC 959 §4.1.3, it ends with 426 or 226 at once.
            // The sentinel is ftpspec's, not the dialogue's: its silence is no finding.
            SessionError::Timeout { .. } if self.is_sentinel(cmd) => {
                self.trace.end = End::Inconclusive(format!(
                    "no reply to the sentinel {} within {waited:?}",
                    String::from_utf8_lossy(SENTINEL)
                ));
                None
            }
            SessionError::Timeout { .. }
                if transfer && !(self.hurried(cmd) && self.abort_recognized(cmd)) =>
            {
                self.trace.end =
                    End::Inconclusive(format!("no final reply to a transfer within {waited:?}"));
                None
            }
            // After a 421 the server may close or go quiet: RFC 959 §4.2, "closing control
            // connection".
            SessionError::Timeout { .. }
            | SessionError::Closed { .. }
            | SessionError::Io { .. }
                if self.saw_closing =>
            {
                self.trace.end = End::Completed;
                None
            }
            SessionError::Timeout { .. } => Some(NoReply::Timeout),
            SessionError::Closed { .. } | SessionError::Io { .. } if self.answered_before(cmd) => {
                Some(NoReply::ClosedAfterReply)
            }
            SessionError::Closed { .. } => Some(NoReply::Closed),
            SessionError::Io { .. } => Some(NoReply::Reset),
            other => {
                self.trace.end = End::Harness(other.to_string());
                None
            }
        }
    }

    /// Sending failed: the connection is gone, and the first command owed a reply is the one
    /// unanswered — unless a 221/421 announced the close. Returns the command and how, when
    /// only the target's liveness can finish the story.
    pub fn lost_on_send(&mut self, e: &SessionError) -> Option<(usize, NoReply)> {
        if self.saw_closing || self.trace.commands.is_empty() {
            self.trace.end = End::Completed;
            return None;
        }
        // The first command still owed a reply is the one left unanswered: the write that
        // failed may have carried several (a pipeline).
        let cmd = self.owed().unwrap_or(self.trace.commands.len() - 1);
        let how = match e {
            _ if self.answered_before(cmd) => NoReply::ClosedAfterReply,
            SessionError::Io { .. } => NoReply::Reset,
            _ => NoReply::Closed,
        };
        Some((cmd, how))
    }

    /// Every command before `cmd` had its final reply: a close now came after answering them,
    /// not instead of an answer (the server may never have read `cmd`).
    fn answered_before(&self, cmd: usize) -> bool {
        cmd > 0
            && self.trace.commands[..cmd]
                .iter()
                .all(|c| c.replies.last().is_some_and(|r| r.code.class() != 1))
    }

    /// Command `cmd` got no reply (`how`), and a fresh connection found `liveness`.
    pub fn no_reply(&mut self, cmd: usize, how: NoReply, liveness: Liveness) {
        let act = self.trace.act(Act::Missing { cmd });
        self.trace.end = End::NoReply {
            cmd,
            act,
            how,
            liveness,
        };
    }

    // ------------------------------------------------------------------ the data setup

    /// The passive port the last 227/229 named, if no later setup replaced it.
    pub fn passive(&self) -> Option<PassivePort> {
        self.passive
    }

    /// A data connection to the announced passive port was made: a server may stop listening
    /// once it has its one connection (RFC 959 §4.1.2 PASV: "listen on a data port … and to
    /// wait for a connection"), so a later refusal there is no dead port.
    pub fn passive_connected(&mut self) {
        if let Some(p) = self.passive.as_mut() {
            p.fresh = false;
        }
    }

    /// A transfer command went out: it uses the data setup, once. Returns whether an
    /// EPRT/PORT had armed the listener for it.
    pub fn setup_used(&mut self) -> bool {
        self.passive = None;
        std::mem::take(&mut self.active_armed)
    }

    /// An EPRT/PORT answered late (pipelined before the transfer) arms the transfer too.
    pub fn take_armed(&mut self) -> bool {
        std::mem::take(&mut self.active_armed)
    }

    /// A new data setup was announced since the last call: drop any data connection opened
    /// for an older one.
    pub fn take_data_stale(&mut self) -> bool {
        std::mem::take(&mut self.data_stale)
    }
}

/// Queues command `i` for its reply.
///
/// ABOR during a transfer jumps ahead of the commands queued behind that transfer: RFC 959
/// §4.1.3 has the server act on it at once ("the server aborts the data transfer … returns a
/// 426 reply … then sends a 226 reply"), while other commands wait for the transfer to end.
/// Whether the server sees a transfer running (`in_progress`: it sent a 1xx, or has not
/// answered for a while) is the best guess for the order; but when commands sit between the
/// transfer and the ABOR, their replies and the ABOR's are marked ambiguous.
fn enqueue(queue: &mut VecDeque<usize>, commands: &mut [Exchange], i: usize, in_progress: bool) {
    // Once the order is uncertain it stays so: a server that honours the Synch flushes the
    // commands before the Data Mark unanswered (RFC 854, RFC 959 §4.1.3), which shifts every
    // later reply by as many.
    if commands[..i].iter().any(|c| c.ambiguous) {
        commands[i].ambiguous = true;
    }
    let transfer = queue.iter().position(|&q| commands[q].transfer);
    match transfer {
        Some(p) if commands[i].verb == b"ABOR" => {
            let between: Vec<usize> = queue.iter().skip(p + 1).copied().collect();
            // Even a transfer that looked stalled may have ended since (a data connection
            // opened meanwhile): with commands in between, the order is never certain.
            if !between.is_empty() {
                for q in between {
                    commands[q].ambiguous = true;
                }
                commands[i].ambiguous = true;
            }
            match p == 0 && in_progress {
                true => queue.insert(1, i),
                false => queue.push_back(i),
            }
        }
        _ => queue.push_back(i),
    }
}

/// The binder that parses replies with this code (227, 229, 522).
fn binder_for(code: ReplyCode) -> Option<Binder> {
    Binder::ALL.into_iter().find(|b| b.code() == code)
}

/// The port a 227/229 names, or why its machine-readable part (or a 522's protocol list) does
/// not parse (RFC 959 §5.3.2, RFC 2428 §2 and §3).
fn machine_part(
    binder: Option<Binder>,
    text: &[u8],
) -> (Option<u16>, Option<crate::proto::CodecError>) {
    match binder {
        Some(Binder::Epsv) => match EpsvReply::from_reply_text(text) {
            Ok(r) => (Some(r.port), None),
            Err(e) => (None, Some(e)),
        },
        Some(Binder::Pasv) => match HostPort::from_227_text(text) {
            Ok(h) => (Some(h.port), None),
            Err(e) => (None, Some(e)),
        },
        Some(Binder::Protocols) => match ProtocolList::from_reply_text(text) {
            Ok(_) => (None, None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::parse_reply;
    use std::net::Ipv4Addr;

    fn ledger() -> Ledger {
        Ledger::new(Values {
            client_ip: Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        })
    }

    fn reply(wire: &str) -> Reply {
        parse_reply(wire.as_bytes(), Default::default())
            .ok()
            .flatten()
            .expect("a reply")
            .0
    }

    fn cmd(verb: &[u8], transfer: bool) -> Exchange {
        Exchange {
            op: 0,
            line: verb.to_vec(),
            verb: verb.to_vec(),
            transfer,
            replies: Vec::new(),
            ambiguous: false,
            behind_setup: false,
            bare_lf: false,
        }
    }

    #[test]
    fn abor_jumps_a_running_transfer_and_doubt_is_marked() {
        let mut commands = vec![cmd(b"RETR", true), cmd(b"NOOP", false), cmd(b"ABOR", false)];
        let mut q = VecDeque::from([0, 1]);
        enqueue(&mut q, &mut commands, 2, true);
        assert_eq!(q, [0, 2, 1], "RFC 959 §4.1.3: ABOR is answered at once");
        assert!(commands[1].ambiguous && commands[2].ambiguous);
        let mut q = VecDeque::from([0, 1]);
        enqueue(&mut q, &mut commands, 2, false);
        assert_eq!(q, [0, 1, 2]);
        assert!(commands[1].ambiguous && commands[2].ambiguous);
        // Nothing between: no doubt either way.
        let mut commands = vec![cmd(b"RETR", true), cmd(b"ABOR", false)];
        let mut q = VecDeque::from([0]);
        enqueue(&mut q, &mut commands, 1, false);
        assert_eq!(q, [0, 1]);
        assert!(!commands[1].ambiguous);
    }

    #[test]
    fn after_doubt_every_later_command_is_in_doubt() {
        let mut commands = vec![
            cmd(b"RETR", true),
            cmd(b"NOOP", false),
            cmd(b"ABOR", false),
            cmd(b"PASV", false),
        ];
        let mut q = VecDeque::from([0, 1]);
        enqueue(&mut q, &mut commands, 2, true);
        enqueue(&mut q, &mut commands, 3, true);
        assert!(commands[3].ambiguous, "a Synch may have shifted its reply");
        assert!(!commands[0].ambiguous);
    }

    /// RFC 959 §4.2 bounds neither a reply's lines nor their length: a reply past ftpspec's
    /// limits ends the dialogue inconclusive (pyftpdlib's `STAT /` over a thousand uploads),
    /// while a reply that breaks the syntax is malformed.
    #[test]
    fn a_reply_longer_than_ftpspec_reads_is_no_malformed_reply() {
        let limits = crate::proto::Limits {
            max_lines: 3,
            ..Default::default()
        };
        let wire = b"213-Status of /:\r\n a\r\n b\r\n c\r\n213 End\r\n";
        let too_long = parse_reply(wire, limits).expect_err("past the limit");
        let mut l = ledger();
        l.sent(b"STAT /\r\n");
        l.malformed(0, too_long);
        assert!(
            matches!(l.trace.end, End::Inconclusive(_)),
            "{:?}",
            l.trace.end
        );
        let bare = parse_reply(b"200 ok\n", Default::default()).expect_err("a bare LF");
        let mut l = ledger();
        l.sent(b"NOOP\r\n");
        l.malformed(0, bare);
        assert!(
            matches!(l.trace.end, End::Malformed { .. }),
            "{:?}",
            l.trace.end
        );
    }

    #[test]
    fn lines_are_split_at_lf_as_a_server_splits_them() {
        let mut l = ledger();
        l.sent(b"NOOP\r\nsyst\nST");
        l.sent(b"AT\r\n");
        let lines: Vec<&[u8]> = l.trace.commands.iter().map(|c| &c.line[..]).collect();
        assert_eq!(lines, [&b"NOOP"[..], b"syst", b"STAT"]);
        assert_eq!(l.trace.commands[1].verb, b"SYST");
        assert_eq!(l.owed(), Some(0));
        assert!(!l.reply(0, &reply("200 ok\r\n")));
        assert_eq!(l.owed(), Some(1));
    }

    #[test]
    fn a_preliminary_reply_keeps_the_command_owed() {
        let mut l = ledger();
        l.sent(b"RETR f\r\n");
        assert!(l.transfer_first() && l.transfer_pending());
        assert!(l.reply(0, &reply("150 here it comes\r\n")));
        assert_eq!(l.owed(), Some(0));
        assert!(!l.reply(0, &reply("226 done\r\n")));
        assert_eq!(l.owed(), None);
        assert!(!l.transfer_pending());
    }

    #[test]
    fn an_early_answer_to_an_unfinished_line_settles_it() {
        let mut l = ledger();
        l.sent(b"NOOP xxxxxxxx");
        l.unsolicited(&reply("500 line too long\r\n"));
        l.sent(b"\r\n");
        assert_eq!(l.owed(), None, "the line's end owes nothing more");
        assert_eq!(l.trace.commands[0].replies.len(), 1);
    }

    #[test]
    fn data_setups_replace_each_other() {
        let mut l = ledger();
        l.sent(b"EPSV\r\n");
        l.reply(
            0,
            &reply("229 Entering Extended Passive Mode (|||4000|)\r\n"),
        );
        let p = l.passive().expect("a passive port");
        assert_eq!((p.port, p.fresh), (4000, true));
        assert!(l.take_data_stale() && !l.take_data_stale());
        l.sent(b"EPRT |1|127.0.0.1|5000|\r\n");
        assert!(
            !l.passive().expect("still named").fresh,
            "a command went out since"
        );
        l.reply(1, &reply("200 ok\r\n"));
        assert_eq!(l.passive(), None);
        assert!(l.take_data_stale());
        l.sent(b"RETR f\r\n");
        assert!(l.setup_used(), "the EPRT armed the transfer");
        assert!(!l.setup_used(), "once");
    }

    #[test]
    fn a_close_after_421_is_no_silence() {
        let mut l = ledger();
        l.sent(b"NOOP\r\n");
        l.reply(0, &reply("421 bye\r\n"));
        l.sent(b"NOOP\r\n");
        let closed = SessionError::Closed { pending: 0 };
        assert_eq!(l.missing(1, closed, Duration::from_secs(1)), None);
        assert_eq!(l.trace.end, End::Completed);
        let mut l = ledger();
        l.sent(b"NOOP\r\n");
        let closed = SessionError::Closed { pending: 0 };
        assert_eq!(
            l.missing(0, closed, Duration::from_secs(1)),
            Some(NoReply::Closed)
        );
        l.no_reply(0, NoReply::Closed, Liveness::Alive);
        assert!(matches!(l.trace.end, End::NoReply { cmd: 0, .. }));
    }

    #[test]
    fn a_transfer_that_times_out_is_inconclusive() {
        let mut l = ledger();
        l.sent(b"LIST\r\n");
        let timeout = SessionError::Timeout {
            what: "reply",
            timeout: Duration::from_secs(1),
        };
        assert_eq!(l.missing(0, timeout, Duration::from_secs(1)), None);
        assert!(matches!(l.trace.end, End::Inconclusive(_)));
    }

    #[test]
    fn a_close_after_everything_was_answered_is_not_a_missing_reply() {
        let closed = || SessionError::Closed { pending: 0 };
        let mut l = ledger();
        l.sent(b"NOOP x\r\n");
        l.reply(0, &reply("501 bad\r\n"));
        l.sent(b"NOOP\r\n");
        let wait = Duration::from_secs(1);
        assert_eq!(
            l.missing(1, closed(), wait),
            Some(NoReply::ClosedAfterReply)
        );
        // The first command after the greeting, or one behind an unanswered one, is silence.
        let mut l = ledger();
        l.sent(b"NOOP\r\n");
        assert_eq!(l.missing(0, closed(), wait), Some(NoReply::Closed));
        let mut l = ledger();
        l.sent(b"NOOP\r\nNOOP\r\n");
        assert_eq!(l.missing(0, closed(), wait), Some(NoReply::Closed));
        // After a 421 even a timeout is the server's right.
        let mut l = ledger();
        l.sent(b"NOOP\r\n");
        l.reply(0, &reply("421 going away\r\n"));
        l.sent(b"NOOP\r\n");
        let timeout = SessionError::Timeout {
            what: "reply",
            timeout: wait,
        };
        assert_eq!(l.missing(1, timeout, wait), None);
        assert_eq!(l.trace.end, End::Completed);
    }

    #[test]
    fn logins_may_be_slow_and_bare_lf_lines_are_marked() {
        let mut l = ledger();
        l.sent(b"USER a\r\nPASS b\r\nNOOP\nSYST\r\n");
        assert!(l.may_be_slow(0) && l.may_be_slow(1) && !l.may_be_slow(2));
        let bare: Vec<bool> = l.trace.commands.iter().map(|c| c.bare_lf).collect();
        assert_eq!(bare, [false, false, true, false]);
    }

    /// A ledger whose session logged in.
    fn logged_in() -> Ledger {
        let mut l = ledger();
        l.sent(b"USER a\r\n");
        l.reply(0, &reply("230 in\r\n"));
        l
    }

    #[test]
    fn replies_behind_a_fuzzed_login_owed_its_reply_are_in_doubt() {
        // pyftpdlib 2.2.0 answers an EPRT pipelined behind a refused PASS before the PASS,
        // whose 530 it holds for three seconds: the first 530 is the EPRT's.
        let mut l = logged_in();
        l.trace.current_op = 0;
        l.sent(b"USER x\r\nPASS y\r\nEPRT |1|127.0.0.1|5000\r\n");
        take(&mut l, "331 password\r\n");
        let doubt: Vec<bool> = l.trace.commands.iter().map(|c| c.ambiguous).collect();
        assert_eq!(doubt, [false, true, true, true]);
        assert!(!l.may_send_sentinel(3));
        l.sent(b"NOOP\r\n");
        assert!(l.trace.commands[4].ambiguous, "and everything after");
        // A login sent alone and answered leaves nothing in doubt.
        let mut l = logged_in();
        l.trace.current_op = 0;
        l.sent(b"PASS y\r\n");
        take(&mut l, "503 already logged in\r\n");
        l.sent(b"NOOP\r\n");
        assert!(!l.trace.commands[2].ambiguous);
    }

    #[test]
    fn once_all_is_answered_the_sentinel_may_follow_despite_an_earlier_doubt() {
        // A bare-LF line, answered: which reply was whose is in doubt, so no sentinel asks
        // after a late reply — but once nothing is owed, one may follow an over-long line.
        let mut l = logged_in();
        l.sent(b"NOOP\nNOOP\r\n");
        take(&mut l, "200 ok\r\n");
        take(&mut l, "200 ok\r\n");
        assert_eq!(l.owed(), None);
        assert!(!l.sentinel_allowed());
        assert!(l.sentinel_may_follow());
        // Not behind a fuzzed login: the server may be holding its reply, reading nothing.
        let mut l = logged_in();
        l.trace.current_op = 0;
        l.sent(b"PASS y\r\nNOOP\r\n");
        take(&mut l, "530 no\r\n");
        take(&mut l, "200 ok\r\n");
        assert_eq!(l.owed(), None);
        assert!(!l.sentinel_may_follow());
    }

    #[test]
    fn a_served_transfer_s_final_reply_is_no_sign_of_what_unserved_ones_get() {
        // The final reply after a data phase ftpspec served says nothing about a server
        // that waits after its 1xx when nobody connects (pyftpdlib).
        let mut l = logged_in();
        l.sent(b"LIST\r\n");
        take(&mut l, "150 here\r\n");
        assert!(l.started_unserved(1, None));
        assert!(!l.started_unserved(1, Some(1)), "being served");
        l.data_phase_over(1);
        assert!(!l.started_unserved(1, None));
        // After an accepted EPRT the server may have connected by itself and finish at once.
        let mut l = logged_in();
        l.sent(b"EPRT |1|127.0.0.1|5000|\r\nLIST\r\n");
        take(&mut l, "200 ok\r\n");
        take(&mut l, "125 here\r\n");
        assert!(!l.started_unserved(2, None));
    }

    #[test]
    fn before_login_the_sentinel_is_used_only_against_a_target_seen_to_answer_it_there() {
        // vsftpd 3.0.3 answers SYST before login with 530, which a line could have got too.
        let mut l = ledger();
        l.sent(b"NOOP\r\n");
        assert!(!l.may_send_sentinel(0));
        let mut l = ledger();
        l.sentinel_before_login(true);
        l.sent(b"NOOP\r\n");
        assert!(l.may_send_sentinel(0));
        // Still never behind a login line, which a server may rightly answer late.
        l.sent(b"PASS x\r\n");
        assert!(!l.may_send_sentinel(1));
    }

    /// The owner of `wire` by [`Ledger::owner_of`], as the reader does.
    fn take(l: &mut Ledger, wire: &str) {
        let r = reply(wire);
        let owner = l.owner_of(r.code).expect("someone is owed");
        l.reply(owner, &r);
    }

    #[test]
    fn a_transfer_s_refusal_leaves_the_commands_behind_it_in_doubt() {
        // pyftpdlib: RETR gets 150 and waits for a data connection nobody opens; the 501 of
        // the REST behind it could be either's.
        let mut l = logged_in();
        l.sent(b"RETR f\r\nREST 822\r\n");
        take(&mut l, "150 opening\r\n");
        take(&mut l, "501 not in ASCII mode\r\n");
        assert_eq!(l.owed(), Some(2));
        assert!(l.trace.commands[2].ambiguous);
        assert!(!l.may_send_sentinel(2));
    }

    #[test]
    fn commands_behind_an_unanswered_data_setup_may_be_answered_first() {
        // pyftpdlib: EPRT, EPSV ALL, EPRT pipelined → 220, 501, then the first EPRT's 200.
        let mut l = logged_in();
        l.sent(b"EPRT |1|127.0.0.1|9|\r\nEPSV ALL\r\nEPRT\r\n");
        let ambiguous: Vec<bool> = l.trace.commands.iter().map(|c| c.ambiguous).collect();
        assert_eq!(
            ambiguous,
            [false, true, true, true],
            "the EPRT too: its first reply in order may be a later command's"
        );
        assert!(l.trace.commands[2].behind_setup && l.trace.commands[3].behind_setup);
        // Sent after the setup was answered: in order.
        let mut after = logged_in();
        after.sent(b"PORT 127,0,0,1,0,9\r\n");
        take(&mut after, "200 ok\r\n");
        after.sent(b"NOOP\r\n");
        assert!(!after.trace.commands[2].ambiguous);
    }

    #[test]
    fn after_a_foreign_data_connection_replies_are_matched_with_doubt() {
        let mut l = logged_in();
        l.sent(b"PASV\r\n");
        take(&mut l, "227 Entering passive mode (127,0,0,1,4,1)\r\n");
        l.foreign_connection();
        l.sent(b"PASV\r\nEPRT |1|127.0.0.1|9|\r\n");
        assert!(l.trace.commands[2].ambiguous && l.trace.commands[3].ambiguous);
        assert!(
            !l.trace.commands[2].behind_setup,
            "a silence there is not judged"
        );
    }

    #[test]
    fn a_passive_port_that_had_its_connection_is_no_longer_fresh() {
        let mut l = logged_in();
        l.sent(b"EPSV\r\n");
        take(&mut l, "229 Entering Extended Passive Mode (|||4001|)\r\n");
        assert!(l.passive().is_some_and(|p| p.fresh));
        l.passive_connected();
        assert!(!l.passive().expect("still named").fresh);
    }

    #[test]
    fn only_an_abor_the_server_must_have_seen_makes_a_transfer_s_silence_a_finding() {
        let timeout = || SessionError::Timeout {
            what: "reply",
            timeout: Duration::from_secs(2),
        };
        // vsftpd: LIST waits in accept(); a plain ABOR behind it sits unread.
        let mut plain = logged_in();
        plain.sent(b"LIST\r\nABOR\r\n");
        assert_eq!(plain.missing(1, timeout(), Duration::from_secs(2)), None);
        assert!(matches!(plain.trace.end, End::Inconclusive(_)));
        // The same ABOR answered (pyftpdlib: 225): the LIST owes its 426/226.
        let mut answered = logged_in();
        answered.sent(b"LIST\r\nABOR\r\n");
        take(&mut answered, "225 ABOR command successful\r\n");
        assert_eq!(
            answered.missing(1, timeout(), Duration::from_secs(2)),
            Some(NoReply::Timeout)
        );
        // An urgent ABOR (Telnet IP and Synch) must be seen.
        let mut urgent = logged_in();
        urgent.sent(b"LIST\r\n");
        urgent.sent_urgent_abort();
        assert_eq!(
            urgent.missing(1, timeout(), Duration::from_secs(2)),
            Some(NoReply::Timeout)
        );
    }

    #[test]
    fn an_abor_before_a_transfer_does_not_hurry_it() {
        // pyftpdlib: `ABOR`, `LIST` pipelined → 225, then 150 and a wait for a data
        // connection nobody opens: no reply is missing.
        let mut l = logged_in();
        l.sent(b"ABOR\r\nLIST\r\n");
        take(&mut l, "225 No transfer to abort\r\n");
        take(&mut l, "150 Here it comes\r\n");
        assert!(l.unserved(2, None), "the LIST may wait");
        let timeout = SessionError::Timeout {
            what: "reply",
            timeout: Duration::from_secs(2),
        };
        assert_eq!(l.missing(2, timeout, Duration::from_secs(2)), None);
        assert!(matches!(l.trace.end, End::Inconclusive(_)));
        // An ABOR after it does hurry it.
        let mut after = logged_in();
        after.sent(b"LIST\r\nABOR\r\n");
        assert!(!after.unserved(1, None));
    }

    #[test]
    fn a_sentinel_answered_first_proves_the_line_before_it_unanswered() {
        let mut l = logged_in();
        l.sent(b"EPRT |1|127.0.0.1|9|\r\n");
        assert!(l.may_send_sentinel(1));
        l.sent_sentinel();
        assert!(!l.may_send_sentinel(1), "one sentinel at a time");
        take(&mut l, "215 UNIX Type: L8\r\n");
        assert_eq!(l.skipped(), Some(1));
        assert_eq!(l.trace.commands[2].verb, b"SYST");
        assert_eq!(l.trace.commands[2].replies.len(), 1);
    }

    #[test]
    fn a_late_reply_before_the_sentinel_is_the_line_s_own() {
        let mut l = logged_in();
        l.sent(b"STAT\r\n");
        l.sent_sentinel();
        take(&mut l, "211 status\r\n");
        take(&mut l, "215 UNIX Type: L8\r\n");
        assert_eq!(l.skipped(), None);
        assert_eq!(l.owed(), None);
        let codes: Vec<Vec<u16>> = l.trace.commands[1..]
            .iter()
            .map(|c| c.replies.iter().map(|r| r.code.0).collect())
            .collect();
        assert_eq!(codes, [vec![211], vec![215]]);
        assert!(l.sentinel_allowed(), "a new sentinel is allowed");
    }

    #[test]
    fn replies_before_the_sentinel_s_215_are_more_of_the_line_before() {
        // pyftpdlib answers an over-long line twice.
        let mut l = logged_in();
        l.sent(&[b"NOOP ".as_slice(), &[b'J'; 3000], b"\r\n"].concat());
        take(&mut l, "500 Command too long.\r\n");
        assert!(l.sentinel_allowed());
        l.sent_sentinel();
        take(&mut l, "500 Command \"\" not understood.\r\n");
        take(&mut l, "215 UNIX Type: L8\r\n");
        assert_eq!((l.owed(), l.skipped()), (None, None));
        assert_eq!(l.trace.commands[1].replies.len(), 2);
        assert_eq!(l.trace.commands[2].replies.len(), 1);
    }

    #[test]
    fn no_sentinel_where_the_order_of_replies_is_in_doubt() {
        let mut out = ledger();
        out.sent(b"NOOP\r\n");
        assert!(
            !out.may_send_sentinel(0),
            "not logged in: SYST may be refused"
        );
        let mut bare = logged_in();
        bare.sent(b"NOOP\n");
        assert!(
            !bare.may_send_sentinel(1),
            "a bare LF may still wait for its CRLF"
        );
        let mut syst = logged_in();
        syst.sent(b"syst\r\n");
        assert!(
            !syst.may_send_sentinel(1),
            "its own 215 would pass for the sentinel's"
        );
        let mut transfer = logged_in();
        transfer.sent(b"RETR x\r\nNOOP\r\n");
        assert!(
            !transfer.may_send_sentinel(2),
            "a transfer owed may rightly wait"
        );
        let mut login = logged_in();
        login.sent(b"PASS x\r\n");
        assert!(
            !login.may_send_sentinel(1),
            "a refused login may be delayed"
        );
        let mut rein = logged_in();
        rein.sent(b"REIN\r\n");
        rein.reply(1, &reply("220 again\r\n"));
        rein.sent(b"NOOP\r\n");
        assert!(!rein.may_send_sentinel(2), "REIN logs out");
    }

    #[test]
    fn the_sentinel_s_own_silence_is_inconclusive_not_a_finding() {
        let mut l = logged_in();
        l.sent(b"NOOP x\r\n");
        take(&mut l, "200 ok\r\n");
        l.sent_sentinel();
        let timeout = SessionError::Timeout {
            what: "reply",
            timeout: Duration::from_secs(2),
        };
        assert_eq!(l.missing(2, timeout, Duration::from_secs(2)), None);
        assert!(
            matches!(l.trace.end, End::Inconclusive(_)),
            "{:?}",
            l.trace.end
        );
    }

    #[test]
    fn a_login_reply_is_no_sample_of_the_reply_time() {
        let mut l = ledger();
        l.sent(b"PASS wrong\r\n");
        assert!(
            !l.is_fresh_reply(0),
            "a refused login may be delayed on purpose"
        );
        l.reply(0, &reply("530 no\r\n"));
        l.sent(b"NOOP\r\n");
        assert!(l.is_fresh_reply(1));
    }

    #[test]
    fn a_failed_pipelined_write_blames_the_first_command_it_carried() {
        let mut l = ledger();
        l.sent(b"NOOP x\r\n");
        l.reply(0, &reply("500 too long\r\n"));
        l.sent(b"LIST\r\nEPRT |1|127.0.0.1|5000|\r\n");
        let reset = SessionError::Io {
            context: "write",
            source: std::io::ErrorKind::ConnectionReset.into(),
        };
        assert_eq!(l.lost_on_send(&reset), Some((1, NoReply::ClosedAfterReply)));
    }

    #[test]
    fn a_reply_no_transfer_can_end_goes_to_the_command_behind_it() {
        let mut l = ledger();
        l.sent(b"RETR f\r\n");
        l.reply(0, &reply("150 opening\r\n"));
        l.sent(b"EPRT |1|127.0.0.1|5000|\r\n");
        let ok = reply("200 EPRT command successful.\r\n");
        assert_eq!(l.owner_of(ok.code), Some(1));
        l.reply(1, &ok);
        assert_eq!(l.owed(), Some(0), "the transfer still waits");
        assert!(l.transfer_first());
        assert_eq!(l.owner_of(reply("226 done\r\n").code), Some(0));
    }
}
