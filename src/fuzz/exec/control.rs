//! The control-connection half of an execution: sending lines, splitting them into the
//! commands the server sees, matching replies to commands, and classifying a missing reply.
//!
//! RFC 959 §4.2: "Every command must generate at least one reply" — so a command whose reply
//! does not come is judged here: a timeout, a close or a reset, then a fresh connection tells a
//! swallowed command (the server lives), a hang (no greeting) and a crash (refused) apart.

use crate::fuzz::exec::trace::{
    Act, Command, End, Liveness, MAX_TEXT, NoReply, Seen, enqueue, verb_of,
};
use crate::fuzz::exec::{Exec, Flow, Passive};
use crate::fuzz::input::line::Line;
use crate::proto::{EpsvReply, HostPort, ProtocolList, Reply, ReplyCode};
use crate::session::{ControlConnection, Recorder, SessionError};
use crate::suite::Binder;
use std::time::Duration;

/// Most replies taken as unsolicited after an operation.
const MAX_UNSOLICITED: usize = 8;

impl Exec<'_> {
    /// USER, then PASS when asked (RFC 959 §4.1.1), with the target's credentials. A refused
    /// login is no reason to stop: the dialogue goes on logged out.
    pub(super) async fn login(&mut self) -> Flow {
        self.trace.act(crate::fuzz::exec::trace::Act::Login);
        let user = format!("USER {}", self.cfg.target.user_name());
        let user = format!("{user}\r\n");
        self.account(user.as_bytes());
        self.send_bytes(user.as_bytes()).await?;
        self.settle(None).await?;
        let asked = self.trace.commands.last().and_then(|c| c.replies.last());
        if asked.map(|s| s.code) == Some(ReplyCode::NEED_PASSWORD) {
            let pass = format!("PASS {}\r\n", self.cfg.target.password_value());
            self.account(pass.as_bytes());
            self.send_bytes(pass.as_bytes()).await?;
            self.settle(None).await?;
        }
        Ok(())
    }

    /// Sends a line (plus CRLF when `crlf`), binding the listener first if the line names it.
    pub(super) async fn send_line(&mut self, line: &Line, crlf: bool) -> Flow {
        if line.uses_listener() {
            self.ensure_listener().await?;
        }
        let mut bytes = line.render(&self.trace.values);
        if crlf {
            bytes.extend_from_slice(b"\r\n");
        }
        let op = self.trace.current_op;
        self.trace.act(Act::Send {
            op,
            line: line.clone(),
            crlf,
        });
        self.account(&bytes);
        self.send_bytes(&bytes).await
    }

    async fn send_bytes(&mut self, bytes: &[u8]) -> Flow {
        self.sent_at = tokio::time::Instant::now();
        match self.ctrl.send(bytes).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.lost_on_send(e).await;
                Err(())
            }
        }
    }

    /// `IAC IP IAC`, DM as urgent data, `ABOR\r\n` (RFC 959 §4.1.3): one command, ABOR.
    pub(super) async fn urgent_abort(&mut self) -> Flow {
        let op = self.trace.current_op;
        self.trace.act(Act::UrgentAbort { op });
        match self.partial.take() {
            // The server sees the unfinished line, the Telnet bytes, then ABOR: one line.
            Some(i) => self.finish_command(i),
            None => self.new_command(b"ABOR".to_vec(), true),
        }
        self.passive_stale();
        self.sent_at = tokio::time::Instant::now();
        if let Err(e) = self.ctrl.send_urgent_abort().await {
            self.lost_on_send(e).await;
            return Err(());
        }
        self.settle(None).await.map(|_| ())
    }

    /// Splits sent bytes into commands at each LF, as a server does; bytes after the last LF
    /// begin a command that the next write continues.
    pub(super) fn account(&mut self, bytes: &[u8]) {
        self.passive_stale();
        for segment in bytes.split_inclusive(|&b| b == b'\n') {
            let complete = segment.last() == Some(&b'\n');
            let mut body = segment.strip_suffix(b"\n").unwrap_or(segment);
            if complete {
                body = body.strip_suffix(b"\r").unwrap_or(body);
            }
            match self.partial.take() {
                Some(i) => {
                    let line = &mut self.trace.commands[i].line;
                    if line.len() < 64 * 1024 {
                        line.extend_from_slice(body);
                    }
                    match complete {
                        true => self.finish_command(i),
                        false => self.partial = Some(i),
                    }
                }
                None => self.new_command(body.to_vec(), complete),
            }
        }
    }

    fn new_command(&mut self, line: Vec<u8>, complete: bool) {
        let op = self.trace.current_op;
        self.trace.commands.push(Command {
            op,
            line,
            verb: Vec::new(),
            transfer: false,
            replies: Vec::new(),
            ambiguous: false,
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
        c.transfer = crate::fuzz::exec::trace::is_transfer_verb(&c.verb);
        if c.verb == b"ABOR" {
            self.abort_pending = true;
        }
        if !self.answered_early.contains(&i) {
            let in_progress = self.queue.front().is_some_and(|&head| {
                self.stalled == Some(head)
                    || self.trace.commands[head]
                        .replies
                        .iter()
                        .any(|r| r.code.class() == 1)
            });
            enqueue(&mut self.queue, &mut self.trace.commands, i, in_progress);
        }
    }

    fn passive_stale(&mut self) {
        if let Some(p) = self.passive.as_mut() {
            p.fresh = false;
        }
    }

    /// Reads replies until no command waits for one — or, with `until`, until that transfer
    /// command has its 1xx (then returns `Ok(true)`: the data phase comes next).
    ///
    /// A transfer at the head that ftpspec does not serve (a stalled one, a bare RETR) gets a
    /// short look (see [`ExecConfig::look`]): a server may rightly hold its reply until its
    /// own data timeout. If it does, the transfer is marked stalled; from then on only replies
    /// that have already arrived are read, so a late refusal still moves the queue on, but
    /// nothing waits on it — unless an ABOR is owed replies.
    ///
    /// [`ExecConfig::look`]: crate::fuzz::exec::ExecConfig::look
    pub(super) async fn settle(&mut self, until: Option<usize>) -> Result<bool, ()> {
        while let Some(&head) = self.queue.front() {
            let unserved = self.trace.commands[head].transfer
                && self.serving != Some(head)
                && !self.abort_pending;
            let read = if unserved && self.stalled == Some(head) {
                match self.ctrl.try_read_reply() {
                    Ok(Some(reply)) => Ok(reply),
                    Ok(None) => return Ok(false),
                    Err(e) => Err(e),
                }
            } else {
                // A transfer ftpspec serves gets its 1xx as promptly as any reply once its
                // data connection is set up; if it does not, the data setup went elsewhere
                // (a pipelined PASV announced a new port, say) and the dialogue is inconclusive.
                let wait = match unserved {
                    true => self.cfg.look(),
                    false => self.cfg.reply_wait(),
                };
                self.ctrl.read_reply(wait).await
            };
            match read {
                Err(SessionError::Timeout { .. }) if unserved => {
                    self.stalled = Some(head);
                    return Ok(false);
                }
                Ok(reply) => {
                    self.measure(head);
                    let preliminary = reply.code.class() == 1;
                    self.record(head, &reply);
                    if !preliminary {
                        self.queue.pop_front();
                    } else if until == Some(head) {
                        return Ok(true);
                    }
                }
                Err(e) => {
                    self.missing(head, e).await;
                    return Err(());
                }
            }
        }
        self.abort_pending = false;
        self.unsolicited()?;
        Ok(false)
    }

    /// The first reply to the last command sent, a plain command, came now: one sample of the
    /// target's reply time.
    fn measure(&self, cmd: usize) {
        let c = &self.trace.commands[cmd];
        let last = cmd + 1 == self.trace.commands.len() && self.partial.is_none();
        if last && !c.transfer && c.replies.is_empty() {
            self.cfg.latency.observe(self.sent_at.elapsed());
        }
    }

    /// Replies already waiting that no command is owed: attributed to an unfinished line that
    /// the server answered early, else to the last command.
    fn unsolicited(&mut self) -> Flow {
        for _ in 0..MAX_UNSOLICITED {
            match self.ctrl.try_read_reply() {
                Ok(None) => return Ok(()),
                Ok(Some(reply)) => {
                    let Some(last) = self.trace.commands.len().checked_sub(1) else {
                        return Ok(());
                    };
                    let target = match self.partial {
                        Some(p) if !self.answered_early.contains(&p) => {
                            self.answered_early.push(p);
                            p
                        }
                        _ => last,
                    };
                    self.record(target, &reply);
                }
                Err(SessionError::Malformed(e)) => {
                    let cmd = self.trace.commands.len().saturating_sub(1);
                    let act = self.trace.act(Act::Missing { cmd });
                    self.trace.end = End::Malformed {
                        cmd,
                        act,
                        kind: e.kind,
                        raw: e.raw,
                    };
                    return Err(());
                }
                Err(_) => return Ok(()),
            }
        }
        Ok(())
    }

    /// Records a reply for command `cmd` and what it sets up (a passive port, an armed EPRT).
    fn record(&mut self, cmd: usize, reply: &Reply) {
        let code = reply.code;
        let text = reply.last_text();
        let binder = binder_for(code);
        let act = self.trace.act(Act::Reply { cmd, code, binder });
        let (port, unparsed) = machine_part(binder, text);
        if let (Some(port), Some(via)) = (port, binder) {
            // A new passive port replaces the old data setup (RFC 959 §4.1.2 PASV): a data
            // connection opened for the old one serves nothing now.
            self.data = None;
            // Fresh only if nothing was sent after the command it answers: a later command
            // (pipelined, queued) may rightly have closed the port already.
            let last = self.trace.commands.len() - 1;
            self.passive = Some(Passive {
                port,
                via,
                code,
                fresh: cmd == last && self.partial.is_none() && !self.trace.commands[cmd].ambiguous,
            });
        }
        let verb = &self.trace.commands[cmd].verb;
        if code.class() == 2 && matches!(&verb[..], b"EPRT" | b"PORT" | b"LPRT") {
            self.active_armed = true;
            self.passive = None;
            self.data = None;
        }
        if code.0 == 221 || code.0 == 421 {
            self.saw_closing = true;
        }
        self.trace.commands[cmd].replies.push(Seen {
            code,
            text: text[..text.len().min(MAX_TEXT)].to_vec(),
            act,
            unparsed,
        });
    }

    /// Command `cmd` got no usable reply: classify why and end the dialogue.
    async fn missing(&mut self, cmd: usize, e: SessionError) {
        let transfer = self.trace.commands[cmd].transfer;
        let how = match e {
            SessionError::Malformed(err) => {
                let act = self.trace.act(Act::Missing { cmd });
                self.trace.end = End::Malformed {
                    cmd,
                    act,
                    kind: err.kind,
                    raw: err.raw,
                };
                return;
            }
            SessionError::Timeout { .. } if transfer => {
                self.trace.end = End::Inconclusive(format!(
                    "no final reply to a transfer within {:?}",
                    self.cfg.reply_wait()
                ));
                return;
            }
            SessionError::Timeout { .. } => NoReply::Timeout,
            SessionError::Closed { .. } if self.saw_closing => {
                self.trace.end = End::Completed;
                return;
            }
            SessionError::Closed { .. } => NoReply::Closed,
            SessionError::Io { .. } => NoReply::Reset,
            other => {
                self.trace.end = End::Harness(other.to_string());
                return;
            }
        };
        let act = self.trace.act(Act::Missing { cmd });
        let liveness = self.liveness().await;
        self.trace.end = End::NoReply {
            cmd,
            act,
            how,
            liveness,
        };
    }

    /// Sending failed: the connection is gone. The command being sent is the one unanswered.
    async fn lost_on_send(&mut self, e: SessionError) {
        if self.saw_closing {
            self.trace.end = End::Completed;
            return;
        }
        let cmd = self.trace.commands.len().saturating_sub(1);
        let act = self.trace.act(Act::Missing { cmd });
        let how = match e {
            SessionError::Io { .. } => NoReply::Reset,
            _ => NoReply::Closed,
        };
        let liveness = self.liveness().await;
        self.trace.end = End::NoReply {
            cmd,
            act,
            how,
            liveness,
        };
    }

    /// A fresh control connection: greeting → alive, refused → down, nothing → hanging.
    pub(super) async fn liveness(&self) -> Liveness {
        probe_liveness(self.cfg.addr, self.cfg.timeout).await
    }
}

/// The binder that parses replies with this code (227, 229, 522).
fn binder_for(code: ReplyCode) -> Option<Binder> {
    Binder::ALL.into_iter().find(|b| b.code() == code)
}

/// Why the machine-readable part of a 227, 229 or 522 does not parse, if it does not.
pub(super) fn machine_check(code: ReplyCode, text: &[u8]) -> Option<crate::proto::CodecError> {
    machine_part(binder_for(code), text).1
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

/// Connects once and waits for a greeting (RFC 959 §5.4).
pub async fn probe_liveness(addr: std::net::SocketAddr, wait: Duration) -> Liveness {
    match ControlConnection::connect(addr, wait, Recorder::new()).await {
        // No local port to connect from says nothing about the target: never a crash.
        Err(e) if e.is_local_port_shortage() => Liveness::Alive,
        Err(SessionError::Connect { .. }) => Liveness::Refused,
        Err(_) => Liveness::Silent,
        Ok(mut c) => {
            let liveness = match c.read_reply(wait).await {
                Ok(_) | Err(SessionError::Malformed(_)) => Liveness::Alive,
                Err(SessionError::Timeout { .. }) => Liveness::Silent,
                Err(_) => Liveness::Refused,
            };
            let _ = c.send(b"QUIT\r\n").await;
            c.shutdown().await;
            liveness
        }
    }
}
