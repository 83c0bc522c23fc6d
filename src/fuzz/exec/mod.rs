//! Runs one [`Dialogue`] against a target with the `session` module and records a [`Trace`].
//!
//! Every wait is bounded by the configured timeout and every dialogue by [`MAX_OPS`]
//! operations, so one execution takes at most a few dozen timeouts. Data connections go only to
//! the control connection's peer address (RFC 2577 §4 aside: the "thief" connects *from*
//! 127.0.0.2, to the same peer, and only when the target is on IPv4 loopback).
//!
//! Replies are matched to commands in order (RFC 959 §4.2: one reply per command, 1xx replies
//! preceding the final one), one command per line as the server splits them (at LF).
//!
//! - `ledger`: that bookkeeping, without I/O — what was sent, what is owed, what a reply set
//!   up, how the dialogue ended;
//! - `reader`: the one loop that reads what the ledger says is owed;
//! - `control` and `data`: the network executor's control and data connections;
//! - `inproc`: the reference server driven in-process for the libFuzzer target, through the
//!   same ledger and reader;
//! - `trace`: what an execution records; `latency`: the target's measured reply time.
//!
//! [`MAX_OPS`]: crate::fuzz::input::dialogue::MAX_OPS

mod control;
pub(crate) mod data;
pub mod inproc;
pub mod latency;
pub mod ledger;
pub mod reader;
mod security;
pub mod tls;
pub mod trace;

pub use control::{Probed, probe_liveness, probe_sentinel, probe_service};

use crate::fuzz::exec::latency::{Latency, Waits};
use crate::fuzz::exec::ledger::Ledger;
use crate::fuzz::exec::trace::{Chan, End, LOGIN_OP, Trace, Unserved};
use crate::fuzz::input::dialogue::{Dialogue, Op};
use crate::fuzz::input::line::{Line, Values};
use crate::fuzz::input::ops::{DataPlan, Transfer};
use crate::runner::Target;
use crate::session::{ControlConnection, DataListener, DataStream, Recorder, TlsClient};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Where and how to run dialogues.
#[derive(Debug, Clone)]
pub struct ExecConfig {
    /// The credentials used by a dialogue's login.
    pub target: Target,
    /// The address to connect to (one of the target's).
    pub addr: SocketAddr,
    /// The longest any single wait lasts: a reply, a data connection, a transfer.
    pub timeout: Duration,
    /// Whether waits that only a timer can end are measured or full (see [`Latency`]).
    pub waits: Waits,
    /// The target's reply time, shared by every dialogue of a campaign.
    pub latency: Arc<Latency>,
    /// FTPS (RFC 4217): every control connection is protected as [`tls`] says, and data
    /// connections after a login are TLS too. `None`: the clear.
    pub tls: Option<TlsClient>,
}

impl ExecConfig {
    /// Full waits, a fresh latency measure.
    pub fn new(target: Target, addr: SocketAddr, timeout: Duration) -> ExecConfig {
        ExecConfig {
            target,
            addr,
            timeout,
            waits: Waits::Full,
            latency: Arc::default(),
            tls: None,
        }
    }

    /// The same target with full waits: to confirm what a measured wait suggested.
    pub fn full(&self) -> ExecConfig {
        ExecConfig {
            waits: Waits::Full,
            ..self.clone()
        }
    }

    /// How long a command's reply is waited for before it counts as missing.
    pub fn reply_wait(&self) -> Duration {
        match self.waits {
            Waits::Full => self.timeout,
            Waits::Measured => self.latency.patience(self.timeout),
        }
    }

    /// How long a transfer nobody serves is watched for a prompt refusal (425, 550) before it
    /// counts as waiting for its data connection.
    pub fn look(&self) -> Duration {
        let cap = (self.timeout / 10).max(Duration::from_millis(100));
        match self.waits {
            Waits::Full => cap,
            Waits::Measured => self.latency.look(cap),
        }
    }

    /// The "thief" of RFC 2577 §4 connects from 127.0.0.2: only where that address is local and
    /// can reach the target, i.e. when the target is on IPv4 loopback.
    pub fn foreign_ok(&self) -> bool {
        match self.addr {
            SocketAddr::V4(a) => a.ip().is_loopback(),
            SocketAddr::V6(_) => false,
        }
    }
}

/// Whether the dialogue goes on after an operation.
pub(super) type Flow = Result<(), ()>;

/// The state of one execution: the ledger's accounts, and the sockets that only the network
/// executor has.
pub(super) struct Exec<'c> {
    pub cfg: &'c ExecConfig,
    pub ctrl: ControlConnection,
    pub recorder: Recorder,
    pub ledger: Ledger,
    pub listener: Option<DataListener>,
    pub data: Option<(Chan, DataStream)>,
    /// The transfer ftpspec is serving now (its data plan is running): wait for it patiently.
    pub serving: Option<usize>,
    /// When the last bytes went out on the control connection (for [`Latency`]).
    pub sent_at: tokio::time::Instant,
    /// Commands whose security effects were applied (see `security`).
    pub security_seen: usize,
}

/// Runs `dialogue` on a fresh control connection. Never fails: every ending is in the trace.
pub async fn execute(dialogue: &Dialogue, cfg: &ExecConfig) -> Trace {
    let recorder = Recorder::new();
    let unknown = Values {
        client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
        data_port: 0,
    };
    let ctrl = match tls::open(cfg, recorder.clone()).await {
        Ok(c) => c,
        Err(e) => {
            let mut trace = Trace::new(unknown);
            trace.end = match e.is_local_port_shortage() {
                true => End::Harness(e.to_string()),
                false => End::Unreachable(Unserved::Connect(e.to_string())),
            };
            return trace;
        }
    };
    let values = Values {
        client_ip: ctrl.local().ip(),
        data_port: 0,
    };
    let mut ex = Exec {
        cfg,
        ctrl,
        recorder,
        ledger: Ledger::new(values),
        listener: None,
        data: None,
        serving: None,
        sent_at: tokio::time::Instant::now(),
        security_seen: 0,
    };
    ex.ledger.trace.tls = cfg.tls.is_some();
    ex.ledger
        .sentinel_before_login(cfg.latency.answers_sentinel_before_login());
    if ex.greet().await.is_ok() && ex.secure().await.is_ok() && ex.run(dialogue).await.is_ok() {
        ex.ledger.trace.current_op = dialogue.ops.len();
        ex.final_settle().await;
    }
    // Replies read last (or late) may hold an accepted AUTH or CCC too.
    let _ = ex.security();
    ex.goodbye().await;
    ex.ledger.trace
}

impl Exec<'_> {
    async fn run(&mut self, dialogue: &Dialogue) -> Flow {
        if dialogue.login {
            self.ledger.trace.current_op = LOGIN_OP;
            self.login().await?;
            self.protect().await?;
        }
        for (index, op) in dialogue.ops.iter().enumerate() {
            self.ledger.trace.current_op = index;
            self.op(op).await?;
            self.security()?;
        }
        Ok(())
    }

    async fn op(&mut self, op: &Op) -> Flow {
        match op {
            Op::Cmd(cmd) => self.command(&cmd.render(), true).await,
            Op::Transfer(t) => self.transfer(t).await,
            Op::UrgentAbort => self.urgent_abort().await,
            Op::Raw(raw) => self.command(&raw.render(), false).await,
            Op::Overlong(o) => {
                self.command(&o.render(), true).await?;
                self.linger().await
            }
            Op::Pipeline(cmds) => {
                let mut line = Line::default();
                for cmd in cmds {
                    line.push_line(&cmd.render()).push_lit("\r\n");
                }
                self.command(&line, false).await
            }
            Op::Split { cmd, at } => self.split(&cmd.render(), *at).await,
            Op::Data(d) => {
                self.data_op(d).await;
                Ok(())
            }
        }
    }

    /// Sends a line and reads every reply it is owed.
    async fn command(&mut self, line: &Line, crlf: bool) -> Flow {
        self.send_line(line, crlf).await?;
        self.settle(None).await.map(|_| ())
    }

    /// One line in two writes, cut inside its first literal piece (RFC 1123 §4.1.2.10).
    async fn split(&mut self, line: &Line, at: u8) -> Flow {
        let mut first = Line::default();
        let mut rest = line.clone();
        if let Some(crate::fuzz::input::line::Piece::Lit(head)) = rest.pieces.first_mut() {
            let cut = usize::from(at) % head.len().max(1);
            first.push_lit(&head[..cut]);
            head.drain(..cut);
        }
        rest.push_lit("\r\n");
        if !first.pieces.is_empty() {
            self.send_line(&first, false).await?;
        }
        self.command(&rest, false).await
    }

    /// A transfer with its data plan (see [`DataPlan`]). The data setup is used once.
    async fn transfer(&mut self, t: &Transfer) -> Flow {
        if t.plan != DataPlan::Stall && self.data.is_none() && self.ledger.passive().is_some() {
            self.connect(false).await;
        }
        self.send_line(&t.kind.render(), true).await?;
        let cmd = self.ledger.trace.commands.len().saturating_sub(1);
        let armed = self.ledger.setup_used();
        // Nothing can serve a transfer with no data connection open and no listener armed: a
        // server waiting for one would only be waited on until the timeout.
        let legit = matches!(self.data, Some((Chan::Passive | Chan::Active, _)))
            || (armed && self.listener.is_some());
        if t.plan == DataPlan::Stall || !(legit || self.data.is_some()) {
            // A short look: a refusal (425, 550) comes at once; a transfer waiting for its data
            // connection is marked stalled and not waited for.
            return self.settle(None).await.map(|_| ());
        }
        // Only the thief's connection is open (RFC 2577 §4): a server that keeps the rule
        // waits for its rightful client, so its 1xx gets only the short look; a server that
        // serves the thief does so at once.
        self.serving = legit.then_some(cmd);
        let flow = self.serve(t, cmd, armed).await;
        self.serving = None;
        flow
    }

    /// The data phase of a transfer ftpspec serves: after its 1xx, open, move and close the
    /// data connection as the plan says, then read the final reply.
    async fn serve(&mut self, t: &Transfer, cmd: usize, armed: bool) -> Flow {
        if self.settle(Some(cmd)).await? {
            // An EPRT/PORT answered only now (pipelined before the transfer) arms it too.
            let armed = self.ledger.take_armed() || armed;
            if self.data.is_none() && armed {
                self.accept_newest().await;
            }
            match t.plan {
                DataPlan::CloseEarly => self.close().await,
                _ if t.kind.uploads() => {
                    self.write(b"ftpspec fuzz upload\r\n").await;
                    self.close().await;
                }
                _ => {
                    if self.read(self.cfg.timeout).await.is_err() {
                        self.ledger.data_not_waited_for(cmd, self.cfg.reply_wait());
                        return Err(());
                    }
                }
            }
            // The data phase is over; the final reply (226, 426) is due at once. With measured
            // waits it gets the look of an unserved transfer: late, it is read when it comes.
            self.ledger.data_phase_over(cmd);
            if self.cfg.waits == Waits::Measured {
                self.serving = None;
            }
            self.settle(None).await?;
        }
        Ok(())
    }

    /// Reads what is still owed at the end. A transfer at the head gets no more than its look:
    /// the server may rightly wait for its data connection until its own timeout, so nothing
    /// behind it can be judged, and waiting would only cost time.
    async fn final_settle(&mut self) {
        self.ledger.abort_answered();
        let _ = self.settle(None).await;
        if self.ledger.transfer_first() && self.ledger.trace.end == End::Completed {
            self.ledger.trace.end =
                End::Inconclusive("a transfer was still outstanding at the end".into());
        }
    }

    /// Reads the greeting (RFC 959 §5.4: 120 replies, then 220).
    async fn greet(&mut self) -> Flow {
        let unserved = match control::read_greeting(&mut self.ctrl, self.cfg.timeout).await {
            Ok(r) if r.code.0 == 220 => return Ok(()),
            Ok(r) => control::unserved_by(&r, |code, text| Unserved::Greeting { code, text }),
            Err(unserved) => unserved,
        };
        self.ledger.trace.end = End::Unreachable(unserved);
        Err(())
    }

    /// Explicit FTPS: `AUTH TLS` and the handshake after the greeting (see [`tls`]). A failure
    /// leaves the dialogue unserved: the health watch decides whether the target still serves.
    async fn secure(&mut self) -> Flow {
        tls::secure(&mut self.ctrl, self.cfg).await.map_err(|e| {
            self.ledger.trace.end = End::Unreachable(Unserved::Tls(e.to_string()));
        })
    }

    /// On a protected connection, after a login that succeeded: PBSZ 0 and PROT P (see
    /// [`tls::protect`]), the harness's own lines, not the dialogue's. A login that failed, or
    /// replies still owed, leave the data connections clear, as the server then expects.
    async fn protect(&mut self) -> Flow {
        if self.ctrl.tls().is_none() || self.ledger.owed().is_some() || !self.ledger.logged_in() {
            return Ok(());
        }
        tls::protect(&mut self.ctrl, self.cfg.timeout)
            .await
            .map_err(|e| {
                self.ledger.trace.end =
                    End::Inconclusive(format!("the data connections were not protected: {e}"));
            })
    }

    /// A data connection's stream: TLS, resuming the control connection's session, under an
    /// accepted `PROT P` (RFC 4217 §9); else the clear.
    fn data_stream(&self, tcp: tokio::net::TcpStream) -> DataStream {
        DataStream::new(tcp, self.ctrl.data_tls())
    }

    /// Says goodbye, best effort and briefly: nothing here is judged.
    async fn goodbye(&mut self) {
        self.data = None;
        if self.ledger.trace.end == End::Completed
            && self.ledger.owed().is_none()
            && self.ctrl.send(b"QUIT\r\n").await.is_ok()
        {
            let wait = self.cfg.timeout.min(Duration::from_millis(500));
            let _ = self.ctrl.read_reply(wait).await;
        } else if self.ledger.transfer_pending() {
            // A transfer still waits for its data connection: ABOR and QUIT, unread, so that
            // a server that serves a half-closed client to the end (the reference server does)
            // does not hold the session until its own data timeout. At thousands of dialogues
            // a second such sessions pile up until the server answers 421.
            let _ = self.ctrl.send(b"ABOR\r\nQUIT\r\n").await;
        }
        self.ctrl.shutdown().await;
    }
}
