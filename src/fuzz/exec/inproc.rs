//! The reference server driven in-process by a [`Dialogue`] over `tokio::io::duplex`: no control
//! socket, so the libFuzzer target `server` in `fuzz/` can run thousands of dialogues a second.
//!
//! Only the control connection is simulated. Data actions are skipped; transfers are sent as
//! plain lines, and the server's own data timeout answers them (run it on a paused clock and
//! that costs nothing). Active-mode data connections the server opens go to a listener this
//! driver binds on 127.0.0.1 — never anywhere else — which accepts and discards.
//!
//! Replies are read by the same [`ControlConnection`] as everywhere else (the same parser, the
//! same limits), over the client's end of the duplex, and accounted by the same [`Ledger`] and
//! reply loop (`reader::settle`) as a network campaign's. The result is a [`Trace`], judged
//! by the same [`crate::fuzz::judge::oracle::judge`]: against the clean server no oracle may
//! fire.

use crate::fuzz::exec::ledger::Ledger;
use crate::fuzz::exec::reader::{self, Halt, Pace};
use crate::fuzz::exec::trace::{End, LOGIN_OP, Liveness, Trace, Unserved};
use crate::fuzz::input::dialogue::{Dialogue, Op};
use crate::fuzz::input::line::{Line, Values};
use crate::proto::telnet;
use crate::server::{Config, FaultSet, Shared, serve_stream};
use crate::session::{ControlConnection, Recorder, SessionError};
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
        ledger: Ledger::new(values(sink_port)),
    };
    d.drive(dialogue).await;
    server_task.abort();
    sink_task.abort();
    d.ledger.trace
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
    ledger: Ledger,
}

impl Driver {
    async fn drive(&mut self, dialogue: &Dialogue) {
        // A malformed greeting is still a greeting: the dialogue goes on.
        match self.ctrl.read_reply(REPLY_WAIT).await {
            Ok(_) | Err(SessionError::Malformed(_)) => {}
            Err(_) => {
                self.ledger.trace.end =
                    End::Unreachable(Unserved::NoGreeting("no greeting".into()));
                return;
            }
        }
        if dialogue.login {
            self.ledger.trace.current_op = LOGIN_OP;
            for line in ["USER anonymous\r\n", "PASS fuzz@example.com\r\n"] {
                if self.send(line.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
        for (i, op) in dialogue.ops.iter().enumerate() {
            self.ledger.trace.current_op = i;
            let sent = match op {
                Op::UrgentAbort => self.urgent_abort().await,
                op => match self.bytes_of(op) {
                    Some(bytes) => self.send(&bytes).await,
                    None => continue,
                },
            };
            if sent.is_err() {
                return;
            }
        }
    }

    /// The bytes an operation puts on the control connection (data actions put none).
    fn bytes_of(&self, op: &Op) -> Option<Vec<u8>> {
        let v = &self.ledger.trace.values;
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
            Op::Raw(r) => line(r.render(), false),
            Op::Overlong(o) => line(o.render(), true),
            Op::Pipeline(cmds) => cmds.iter().flat_map(|c| line(c.render(), true)).collect(),
            Op::Split { cmd, .. } => line(cmd.render(), true),
            Op::UrgentAbort | Op::Data(_) => return None,
        })
    }

    /// An in-memory stream has no urgent channel: the Synch's bytes go in band, DM included,
    /// which the server's Telnet stripping sees the same way (RFC 854).
    async fn urgent_abort(&mut self) -> Result<(), ()> {
        let mut bytes = telnet::SPECIAL_ACTION_PREFIX.to_vec();
        bytes.push(telnet::DM);
        bytes.extend_from_slice(b"ABOR\r\n");
        self.ledger.sent_urgent_abort();
        if let Err(e) = self.ctrl.send(&bytes).await {
            return self.lost(e);
        }
        self.settle().await
    }

    /// Writes bytes, then reads every reply owed.
    async fn send(&mut self, bytes: &[u8]) -> Result<(), ()> {
        self.ledger.sent(bytes);
        if let Err(e) = self.ctrl.send(bytes).await {
            return self.lost(e);
        }
        self.settle().await
    }

    /// The shared reader, with every wait as long as [`REPLY_WAIT`] (virtual time): the
    /// reference server's own data timeout answers a transfer nobody serves.
    async fn settle(&mut self) -> Result<(), ()> {
        let pace = Pace {
            reply_wait: REPLY_WAIT,
            full: REPLY_WAIT,
            look: REPLY_WAIT,
            serving: None,
            latency: None,
            cut_slow_logins: false,
            sentinel: false,
            learn_1xx: false,
        };
        match reader::settle(&mut self.ctrl, &mut self.ledger, &pace, None).await {
            Ok(_) => Ok(()),
            Err(Halt::Ended) => Err(()),
            // The server runs in this process: if it stopped answering, it still "lives".
            Err(Halt::Silent { cmd, how }) => {
                self.ledger.no_reply(cmd, how, Liveness::Alive);
                Err(())
            }
        }
    }

    fn lost(&mut self, e: SessionError) -> Result<(), ()> {
        if let Some((cmd, how)) = self.ledger.lost_on_send(&e) {
            self.ledger.no_reply(cmd, how, Liveness::Alive);
        }
        Err(())
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
