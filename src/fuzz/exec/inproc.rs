//! The reference server driven in-process by a [`Dialogue`] over `tokio::io::duplex`: no control
//! socket, so the libFuzzer target `server` in `fuzz/` can run thousands of dialogues a second.
//!
//! Only the control connection is simulated. Data actions are skipped; transfers are sent as
//! plain lines, and the server's own data timeout answers them (run it on a paused clock and
//! that costs nothing). Active-mode data connections the server opens go to a listener this
//! driver binds on 127.0.0.1 — never anywhere else — which accepts and discards.
//!
//! Replies are read by the same [`ControlConnection`] as everywhere else (the same parser, the
//! same limits), over the client's end of the duplex. The result is a [`Trace`], judged by the
//! same [`crate::fuzz::judge::oracle::judge`] as a network campaign: against the clean server no oracle may
//! fire.

use crate::fuzz::exec::trace::{
    Act, Command, End, Liveness, MAX_TEXT, NoReply, Seen, Trace, verb_of,
};
use crate::fuzz::input::dialogue::{Dialogue, Op};
use crate::fuzz::input::line::{Line, Values};
use crate::proto::telnet;
use crate::server::{Config, FaultSet, Shared, serve_stream};
use crate::session::{ControlConnection, Recorder, SessionError};
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// How long the driver waits for a reply (on a paused clock, this is virtual time).
pub const REPLY_WAIT: Duration = Duration::from_secs(60);

/// Runs `dialogue` against a fresh reference server with `faults`; logs in as anonymous first
/// when the dialogue says so.
pub async fn run(dialogue: &Dialogue, faults: FaultSet) -> Trace {
    let sink = match TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await {
        Ok(l) => l,
        Err(e) => {
            let mut t = Trace::new(values(0));
            t.end = End::Harness(format!("cannot bind a data sink: {e}"));
            return t;
        }
    };
    let sink_port = sink.local_addr().map(|a| a.port()).unwrap_or(0);
    let sink_task = tokio::spawn(discard(sink));
    let (client, server) = tokio::io::duplex(64 * 1024);
    let config = Config {
        faults,
        data_timeout: Duration::from_secs(10),
        ..Config::default()
    };
    // The addresses the two ends of the duplex stand for.
    let client_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 40_000));
    let server_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 21));
    let server_task = tokio::spawn(serve_stream(
        server,
        client_addr,
        server_addr,
        Arc::new(Shared::new(config)),
    ));
    let mut d = Driver {
        // Nobody reads a transcript here: keeping one would only slow the fuzzer down.
        ctrl: ControlConnection::over(client, server_addr, client_addr, Recorder::discarding()),
        trace: Trace::new(values(sink_port)),
        queue: VecDeque::new(),
        partial: None,
    };
    d.drive(dialogue).await;
    server_task.abort();
    sink_task.abort();
    d.trace
}

fn values(data_port: u16) -> Values {
    Values {
        client_ip: Ipv4Addr::LOCALHOST.into(),
        data_port,
    }
}

/// Accepts and drops connections (bounded: a dialogue opens a few dozen at most).
async fn discard(listener: TcpListener) {
    for _ in 0..256 {
        match listener.accept().await {
            Ok((mut s, _)) => {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    for _ in 0..1024 {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                    }
                });
            }
            Err(_) => return,
        }
    }
}

struct Driver {
    ctrl: ControlConnection,
    trace: Trace,
    queue: VecDeque<usize>,
    partial: Option<usize>,
}

impl Driver {
    async fn drive(&mut self, dialogue: &Dialogue) {
        // A malformed greeting is still a greeting: the dialogue goes on.
        match self.ctrl.read_reply(REPLY_WAIT).await {
            Ok(_) | Err(SessionError::Malformed(_)) => {}
            Err(_) => {
                self.trace.end = End::Unreachable("no greeting".into());
                return;
            }
        }
        if dialogue.login {
            for line in ["USER anonymous\r\n", "PASS fuzz@example.com\r\n"] {
                if self.send(line.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
        for (i, op) in dialogue.ops.iter().enumerate() {
            self.trace.current_op = i;
            let Some(bytes) = self.bytes_of(op) else {
                continue;
            };
            if self.send(&bytes).await.is_err() {
                return;
            }
        }
    }

    /// The bytes an operation puts on the control connection (data actions put none).
    fn bytes_of(&self, op: &Op) -> Option<Vec<u8>> {
        let v = &self.trace.values;
        let line = |l: Line, crlf: bool| {
            let mut b = l.render(v);
            if crlf {
                b.extend_from_slice(b"\r\n");
            }
            b
        };
        Some(match op {
            Op::Cmd(c) => line(c.render(), true),
            Op::Transfer(t) => line(t.kind.render(), true),
            Op::UrgentAbort => {
                let mut b = telnet::SPECIAL_ACTION_PREFIX.to_vec();
                b.push(telnet::DM);
                b.extend_from_slice(b"ABOR\r\n");
                b
            }
            Op::Raw(r) => line(r.render(), false),
            Op::Overlong(o) => line(o.render(), true),
            Op::Pipeline(cmds) => cmds.iter().flat_map(|c| line(c.render(), true)).collect(),
            Op::Split { cmd, .. } => line(cmd.render(), true),
            Op::Data(_) => return None,
        })
    }

    /// Writes bytes, then reads every reply owed. `Err` ends the dialogue (the end is set).
    async fn send(&mut self, bytes: &[u8]) -> Result<(), ()> {
        self.account(bytes);
        if self.ctrl.send(bytes).await.is_err() {
            return self.silence(NoReply::Closed);
        }
        while let Some(&head) = self.queue.front() {
            match self.ctrl.read_reply(REPLY_WAIT).await {
                Ok(reply) => {
                    let code = reply.code;
                    let text = reply.last_text();
                    let act = self.trace.act(Act::Reply {
                        cmd: head,
                        code,
                        binder: None,
                    });
                    let unparsed = crate::fuzz::exec::control::machine_check(code, text);
                    self.trace.commands[head].replies.push(Seen {
                        code,
                        text: text[..text.len().min(MAX_TEXT)].to_vec(),
                        act,
                        unparsed,
                    });
                    if code.class() != 1 {
                        self.queue.pop_front();
                    }
                }
                Err(SessionError::Malformed(e)) => {
                    let act = self.trace.act(Act::Missing { cmd: head });
                    self.trace.end = End::Malformed {
                        cmd: head,
                        act,
                        kind: e.kind,
                        raw: e.raw,
                    };
                    return Err(());
                }
                Err(SessionError::Timeout { .. }) => return self.silence(NoReply::Timeout),
                Err(_) => return self.silence(NoReply::Closed),
            }
        }
        Ok(())
    }

    fn silence(&mut self, how: NoReply) -> Result<(), ()> {
        let cmd = self.queue.front().copied().unwrap_or(0);
        let act = self.trace.act(Act::Missing { cmd });
        let answered_closing = self
            .trace
            .commands
            .iter()
            .flat_map(|c| &c.replies)
            .any(|s| s.code.0 == 221 || s.code.0 == 421);
        if !answered_closing && !self.trace.commands.is_empty() {
            self.trace.end = End::NoReply {
                cmd,
                act,
                how,
                liveness: Liveness::Alive,
            };
        }
        Err(())
    }

    /// Splits sent bytes into commands at each LF, as the server does.
    fn account(&mut self, bytes: &[u8]) {
        for segment in bytes.split_inclusive(|&b| b == b'\n') {
            let complete = segment.last() == Some(&b'\n');
            let mut body = segment.strip_suffix(b"\n").unwrap_or(segment);
            if complete {
                body = body.strip_suffix(b"\r").unwrap_or(body);
            }
            let i = match self.partial.take() {
                Some(i) => {
                    self.trace.commands[i].line.extend_from_slice(body);
                    i
                }
                None => {
                    self.trace.commands.push(Command {
                        op: self.trace.current_op,
                        line: body.to_vec(),
                        verb: Vec::new(),
                        transfer: false,
                        replies: Vec::new(),
                        ambiguous: false,
                    });
                    self.trace.commands.len() - 1
                }
            };
            if complete {
                let c = &mut self.trace.commands[i];
                c.verb = verb_of(&c.line);
                c.transfer = crate::fuzz::exec::trace::is_transfer_verb(&c.verb);
                crate::fuzz::exec::trace::enqueue(
                    &mut self.queue,
                    &mut self.trace.commands,
                    i,
                    false,
                );
            } else {
                self.partial = Some(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::grammar::EpsvOp;
    use crate::fuzz::input::mutate::{Rng, fresh};
    use crate::fuzz::input::ops::Cmd;
    use crate::fuzz::judge::oracle::{Oracle, judge};
    use crate::server::Fault;

    #[tokio::test(start_paused = true)]
    async fn clean_server_breaks_no_oracle() {
        let mut rng = Rng::new(3);
        for _ in 0..40 {
            let d = Dialogue::decode(&fresh(&mut rng));
            let trace = run(&d, FaultSet::default()).await;
            assert_eq!(judge(&trace), None, "{d:?}\n{trace:#?}");
            assert!(!matches!(trace.end, End::Unreachable(_) | End::Harness(_)));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_planted_fault_shows() {
        let d = Dialogue {
            login: true,
            ops: vec![Op::Cmd(Cmd::Epsv(EpsvOp::Plain))],
        };
        let faults: FaultSet = [Fault::EpsvMalformed229].into_iter().collect();
        let v = judge(&run(&d, faults).await).expect("a verdict");
        assert_eq!(v.oracle, Oracle::MalformedReply);
    }
}
