//! The per-connection control loop: greet, read lines, dispatch, write replies, run transfers.
//!
//! While a transfer runs, the loop keeps reading the control connection (RFC 959 §4.1.3: ABOR
//! must reach the server while data flows). ABOR stops the transfer at once; any other command
//! is queued, in order, and answered when the transfer is over. The queue is bounded: when it
//! is full the loop stops reading until the transfer ends.
//!
//! Lines pass through `proto::telnet::strip_telnet` first, so the ABOR "special action"
//! (`IAC IP`, then `IAC DM` as urgent data read in-band) leaves a plain `ABOR`.
//!
//! The faults of the loop itself: how lines are framed (`one-command-per-read`,
//! `no-split-commands`), Telnet stripping, silence, closing after an over-long line
//! (`long-line-500-close`), the unsolicited 425 of `theft-extra-reply`, the ABOR variants,
//! and `active-hangs`, which leaves the session reading and never answering.

use super::commands::{self, Action};
use super::data;
use super::fault::Fault;
use super::job::{Event, Running, TransferJob};
use super::lines::{Framing, Incoming, LineReader};
use super::reply::{ServerReply, write_reply};
use super::session::{DataSetup, Session, Shared};
use super::tls::ServerStream;
use super::watch::{FOREIGN_BACKLOG, ForeignTx, Watch, rejected_text};
use crate::proto::telnet::strip_telnet;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio::time::error::Elapsed;

/// The greeting (RFC 959 §5.4: 220 on connection establishment).
pub const GREETING: &str = "ftpspec reference server ready";

/// How long `slow-failed-login` holds a 530 to PASS.
const SLOW_LOGIN: std::time::Duration = std::time::Duration::from_millis(1500);

/// `pasv-oops-close`: how long the dying session lingers after its last reply — long enough
/// that a client has sent its next line before the close, as with vsftpd.
const OOPS_CLOSE_DELAY: std::time::Duration = std::time::Duration::from_millis(50);

/// Commands received during a transfer and held for after it.
const MAX_DEFERRED: usize = 64;

/// `active-hangs`: how many active transfers of a session still work.
const HANG_AFTER: u32 = 10;

/// Whether the session goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
    /// `AUTH TLS` was answered 234; the loop hands the stream to TLS (RFC 4217 §4).
    StartTls,
}

/// What woke the loop while a transfer runs.
enum Wake {
    /// `theft-extra-reply`: a watched passive listener closed a connection from this address.
    Foreign(SocketAddr),
    Event(Option<Event>),
    Input(io::Result<Option<Incoming>>),
}

/// What woke the loop while no transfer runs.
enum Idle {
    /// `theft-extra-reply`: as [`Wake::Foreign`].
    Foreign(SocketAddr),
    /// The next line, or the idle timeout.
    Input(Result<io::Result<Option<Incoming>>, Elapsed>),
}

/// Serves one control connection over any byte stream until QUIT, end of stream, an idle
/// timeout or an I/O error. `peer`/`local` are the addresses the session believes in: they
/// decide the bounce and port-theft checks and where passive listeners are bound.
pub async fn serve_stream<S>(stream: S, peer: SocketAddr, local: SocketAddr, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    serve(ServerStream::Plain(stream), peer, local, shared).await;
}

/// [`serve_stream`] over a stream that may already be TLS (implicit FTPS), upgrading it when
/// `AUTH TLS` is accepted (RFC 4217 §4).
pub(super) async fn serve<S>(
    stream: ServerStream<S>,
    peer: SocketAddr,
    local: SocketAddr,
    shared: Arc<Shared>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let protected = matches!(stream, ServerStream::Tls(_));
    let mut control = Control::new(stream, Session::new(peer, local), shared);
    control.session.security.control = protected;
    // An I/O error on the control connection ends the session; there is nobody to tell.
    let mut ended = control.greet().await;
    while let Ok(Ended::StartTls) = ended {
        match control.start_tls().await {
            Some(upgraded) => control = upgraded,
            None => return,
        }
        ended = control.run().await;
    }
    control.end_session();
    let limit = control.shared.config.idle_timeout;
    let _ = tokio::time::timeout(limit, control.writer.shutdown()).await;
}

/// Why [`Control::run`] returned.
enum Ended {
    /// The session is over.
    Closed,
    /// `AUTH TLS` was answered 234: negotiate TLS, then go on.
    StartTls,
}

/// RFC 1123 §4.1.2.10: read boundaries mean nothing — unless a framing fault says otherwise.
fn framing(shared: &Shared) -> Framing {
    if shared.fault(Fault::OneCommandPerRead) {
        Framing::FirstLinePerRead
    } else if shared.fault(Fault::NoSplitCommands) {
        Framing::ReadEndsLine
    } else if shared.fault(Fault::CrlfOnlyLines) {
        Framing::CrlfOnly
    } else {
        Framing::Stream
    }
}

struct Control<S> {
    reader: LineReader<ReadHalf<S>>,
    writer: WriteHalf<S>,
    session: Session,
    shared: Arc<Shared>,
    running: Option<Running>,
    deferred: VecDeque<Incoming>,
    /// The client closed its sending side; finish what is queued, then stop.
    eof: bool,
    /// `active-hangs`: the session reads on but never answers again.
    hung: bool,
    /// `pasv-oops-close`: PASV was answered `500 OOPS`; the next line ends the session.
    dying: bool,
    /// `theft-extra-reply`: foreign connections closed by a watched passive listener. The
    /// loop holds a sender too, so the channel never closes and only a report wakes it.
    foreign: mpsc::Receiver<SocketAddr>,
    foreign_tx: ForeignTx,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Control<ServerStream<S>> {
    fn new(stream: ServerStream<S>, session: Session, shared: Arc<Shared>) -> Self {
        let (reader, writer) = tokio::io::split(stream);
        let (foreign_tx, foreign) = mpsc::channel(FOREIGN_BACKLOG);
        Control {
            reader: LineReader::with_framing(reader, framing(&shared)),
            writer,
            session,
            shared,
            running: None,
            deferred: VecDeque::new(),
            eof: false,
            hung: false,
            dying: false,
            foreign,
            foreign_tx,
        }
    }

    /// After `234`: negotiates TLS as the server within the idle timeout, and returns the
    /// session over the TLS stream — or `None`, which ends the session, when the handshake
    /// fails or when the client sent more after AUTH TLS (those bytes came in the clear; taking
    /// them into the protected session would let anyone on the path inject commands).
    ///
    /// A later fault (`234 sent but no handshake`) goes here.
    async fn start_tls(self) -> Option<Self> {
        let Control {
            reader,
            writer,
            mut session,
            shared,
            ..
        } = self;
        let (half, buffered) = reader.into_parts();
        let ServerStream::Plain(plain) = half.unsplit(writer) else {
            return None;
        };
        if buffered {
            return None;
        }
        let acceptor = shared.tls.as_ref()?.acceptor().clone();
        let limit = shared.config.idle_timeout;
        let tls = tokio::time::timeout(limit, acceptor.accept(plain))
            .await
            .ok()?
            .ok()?;
        session.security.control = true;
        Some(Control::new(
            ServerStream::Tls(Box::new(tls)),
            session,
            shared,
        ))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Control<S> {
    /// The greeting (or the 421 of `stops-serving-after-50`), then [`Control::run`].
    async fn greet(&mut self) -> io::Result<Ended> {
        let served = self.shared.sessions.fetch_add(1, Ordering::Relaxed);
        if self.shared.fault(Fault::StopsServingAfter50) && served >= 50 {
            // RFC 959 §5.4: 421 is a connection-establishment reply; pyftpdlib's wording.
            let full = ServerReply::new(421, "10 users (the maximum)");
            self.send(&full).await?;
            return Ok(Ended::Closed);
        }
        self.send(&ServerReply::new(220, GREETING)).await?;
        self.run().await
    }

    /// Commands until the session ends or `AUTH TLS` is accepted.
    async fn run(&mut self) -> io::Result<Ended> {
        loop {
            let flow = if self.hung {
                self.step_hung().await?
            } else if self.running.is_some() {
                self.step_transfer().await?
            } else if let Some(incoming) = self.deferred.pop_front() {
                self.handle(incoming).await?
            } else if self.eof {
                Flow::Stop
            } else {
                self.step_idle().await?
            };
            match flow {
                Flow::Continue => {}
                Flow::Stop => return Ok(Ended::Closed),
                Flow::StartTls => return Ok(Ended::StartTls),
            }
        }
    }

    /// The session is over (QUIT, end of stream, idle timeout, an I/O error): its data
    /// connections close before the control connection does, so a client that sees the
    /// control connection close finds the passive port closed too. RFC 959 §3.2: "The server
    /// MUST close the data connection under the following conditions: [...] 4. The control
    /// connection is closed legally or otherwise." Under `passive-listener-outlives-session`
    /// a pending passive listener is handed to the server instead, open until it shuts down.
    fn end_session(&mut self) {
        self.running = None;
        let pending = self.session.data.take();
        if self.shared.fault(Fault::PassiveListenerOutlivesSession)
            && let Some(DataSetup::Passive(listener)) = pending
        {
            self.shared.keep_orphan(listener);
        }
    }

    /// Writes a reply. Returns `Stop` when the session must end after it.
    async fn send(&mut self, reply: &ServerReply) -> io::Result<Flow> {
        write_reply(&mut self.writer, reply, self.shared.config.idle_timeout).await?;
        if reply.code().class() == 5 && self.shared.fault(Fault::CloseAfterError) {
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    }

    /// No transfer: wait for the next line, at most the idle timeout. A foreign connection
    /// reported meanwhile (`theft-extra-reply` only) is answered at once and the wait goes on,
    /// towards the same deadline.
    async fn step_idle(&mut self) -> io::Result<Flow> {
        let deadline = Instant::now() + self.shared.config.idle_timeout;
        loop {
            let woke = tokio::select! {
                biased;
                Some(from) = self.foreign.recv() => Idle::Foreign(from),
                input = tokio::time::timeout_at(deadline, self.reader.next()) => Idle::Input(input),
            };
            let input = match woke {
                Idle::Foreign(from) => {
                    if self.reject_foreign(from).await? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                    continue;
                }
                Idle::Input(input) => input,
            };
            return match input {
                Err(_) => {
                    let reply = ServerReply::new(421, "Idle timeout, closing control connection");
                    self.send(&reply).await?;
                    Ok(Flow::Stop)
                }
                Ok(Ok(Some(incoming))) => self.handle(incoming).await,
                Ok(Ok(None)) => Ok(Flow::Stop),
                Ok(Err(e)) => Err(e),
            };
        }
    }

    /// `theft-extra-reply`: pyftpdlib's unsolicited 425 for a foreign passive connection.
    async fn reject_foreign(&mut self, from: SocketAddr) -> io::Result<Flow> {
        self.send(&ServerReply::new(425, rejected_text(from))).await
    }

    /// `theft-extra-reply`: a passive listener just set up is watched from now on, so a
    /// foreign connection is answered before any transfer command. The clean server leaves it
    /// to the transfer, which closes a foreign connection unanswered (RFC 2577 §4).
    fn watch_pending_listener(&mut self) {
        if !self.shared.fault(Fault::TheftExtraReply) {
            return;
        }
        self.session.data = match self.session.data.take() {
            Some(DataSetup::Passive(listener)) => {
                let peer = self.session.peer.ip();
                let watch = Watch::spawn(listener, peer, self.foreign_tx.clone());
                Some(DataSetup::Watched(watch))
            }
            other => other,
        };
    }

    /// One command, outside a transfer.
    async fn handle(&mut self, incoming: Incoming) -> io::Result<Flow> {
        let line = match incoming {
            Incoming::TooLong if self.shared.fault(Fault::SilentLongLine) => {
                return Ok(Flow::Continue);
            }
            // `long-line-500-close`: vsftpd's answer, then the control connection closes with
            // no 421 (RFC 959 §4.2: "421 Service not available, closing control connection").
            Incoming::TooLong if self.shared.fault(Fault::LongLine500Close) => {
                self.send(&ServerReply::new(500, "Input line too long."))
                    .await?;
                return Ok(Flow::Stop);
            }
            Incoming::TooLong => return self.send(&ServerReply::new(500, "Line too long")).await,
            Incoming::Line(line) => self.command_line(&line),
        };
        if let Some(flow) = self.pasv_oops(&line).await? {
            return Ok(flow);
        }
        let action = commands::dispatch(&mut self.session, &self.shared, &line);
        self.watch_pending_listener();
        if let Action::Reply(r) = &action
            && r.code().0 == 530
            && crate::proto::command::verb_of(&line) == b"PASS"
            && self.shared.fault(Fault::SlowFailedLogin)
        {
            tokio::time::sleep(SLOW_LOGIN).await;
        }
        match action {
            Action::Reply(reply) => self.send(&reply).await,
            Action::Close(reply) => {
                self.send(&reply).await?;
                Ok(Flow::Stop)
            }
            Action::Transfer(job) => {
                self.start(job);
                Ok(Flow::Continue)
            }
            Action::Silence => Ok(Flow::Continue),
            Action::StartTls(reply) => match self.send(&reply).await? {
                Flow::Stop => Ok(Flow::Stop),
                _ => Ok(Flow::StartTls),
            },
            Action::ProbePrivileged(target) => {
                // `privileged-port-tries-connect`: the PORT/EPRT replaced the pending setup,
                // and its own connection is gone at once, so nothing is left set up.
                self.session.data = None;
                data::probe(self.session.local.ip(), target).await;
                self.send(&ServerReply::new(425, "Can't open data connection."))
                    .await
            }
        }
    }

    /// `pasv-oops-close`, vsftpd 3.0.3 with its passive range held by other sessions: PASV gets
    /// `500 OOPS: vsf_sysutil_bind` (the privileged helper could not bind, and died); the next
    /// line, whatever it is, `500 OOPS: priv_sock_get_int` (the session cannot reach the helper);
    /// and the session closes a moment later, without a 421, reading nothing more.
    async fn pasv_oops(&mut self, line: &[u8]) -> io::Result<Option<Flow>> {
        if !self.shared.fault(Fault::PasvOopsClose) {
            return Ok(None);
        }
        if self.dying {
            self.send(&ServerReply::new(500, "OOPS: priv_sock_get_int"))
                .await?;
            tokio::time::sleep(OOPS_CLOSE_DELAY).await;
            return Ok(Some(Flow::Stop));
        }
        // After EPSV ALL the server refuses PASV before it would bind (RFC 2428 §4).
        if crate::proto::command::verb_of(line) == b"PASV" && !self.session.epsv_all {
            self.dying = true;
            self.send(&ServerReply::new(500, "OOPS: vsf_sysutil_bind"))
                .await?;
            return Ok(Some(Flow::Continue));
        }
        Ok(None)
    }

    /// The command line with Telnet `IAC x` sequences removed (RFC 959 §4.1.3, RFC 854) — kept
    /// as received under `telnet-not-stripped`.
    fn command_line(&self, line: &[u8]) -> Vec<u8> {
        if self.shared.fault(Fault::TelnetNotStripped) {
            return line.to_vec();
        }
        strip_telnet(line)
    }

    /// Spawns the transfer — or, under `active-hangs`, past the 10th active transfer, stops
    /// answering for good.
    fn start(&mut self, job: TransferJob) {
        if matches!(job.setup, DataSetup::Active(_)) {
            self.session.active_transfers = self.session.active_transfers.saturating_add(1);
            if self.shared.fault(Fault::ActiveHangs) && self.session.active_transfers > HANG_AFTER {
                self.hung = true;
                return;
            }
        }
        let (peer, local) = (self.session.peer.ip(), self.session.local.ip());
        self.running = Some(Running::spawn(job, self.shared.clone(), peer, local));
    }

    /// `active-hangs`: read and ignore lines; the session ends at end of stream or after the
    /// idle timeout, still without a word.
    async fn step_hung(&mut self) -> io::Result<Flow> {
        let limit = self.shared.config.idle_timeout;
        match tokio::time::timeout(limit, self.reader.next()).await {
            Ok(Ok(Some(_))) => Ok(Flow::Continue),
            Ok(Ok(None)) | Err(_) => Ok(Flow::Stop),
            Ok(Err(e)) => Err(e),
        }
    }

    /// A transfer runs: wait for its next event or the next line, whichever comes first.
    /// Events go first, so a transfer that already finished is reported before an ABOR. A
    /// foreign connection's report (`theft-extra-reply`) goes before both: a watcher reports a
    /// thief before it hands over the peer's connection, so the 425 precedes the 150.
    async fn step_transfer(&mut self) -> io::Result<Flow> {
        let can_read = !self.eof && self.deferred.len() < MAX_DEFERRED;
        let wake = {
            let Some(running) = self.running.as_mut() else {
                return Ok(Flow::Continue);
            };
            tokio::select! {
                biased;
                Some(from) = self.foreign.recv() => Wake::Foreign(from),
                event = running.next_event() => Wake::Event(event),
                input = self.reader.next(), if can_read => Wake::Input(input),
            }
        };
        match wake {
            Wake::Foreign(from) => self.reject_foreign(from).await,
            Wake::Event(event) => self.on_event(event).await,
            Wake::Input(Ok(Some(incoming))) => self.on_input(incoming).await,
            Wake::Input(Ok(None)) => {
                self.eof = true;
                Ok(Flow::Continue)
            }
            Wake::Input(Err(e)) => Err(e),
        }
    }

    async fn on_event(&mut self, event: Option<Event>) -> io::Result<Flow> {
        match event {
            Some(Event::Opened(ack)) => {
                let flow = self
                    .send(&ServerReply::new(150, "Opening data connection"))
                    .await?;
                let _ = ack.send(());
                Ok(flow)
            }
            Some(Event::Done(reply)) => {
                self.running = None;
                // RFC 2428 §4: the EPSV ALL lockout outlives every transfer.
                if reply.code().class() == 2
                    && self.shared.fault(Fault::EpsvAllForgetsAfterTransfer)
                {
                    self.session.epsv_all = false;
                }
                self.send(&reply).await
            }
            None => {
                self.running = None;
                self.send(&ServerReply::new(451, "Local error in processing"))
                    .await
            }
        }
    }

    /// A line during a transfer: ABOR acts now, anything else waits its turn.
    async fn on_input(&mut self, incoming: Incoming) -> io::Result<Flow> {
        let is_abor = matches!(&incoming,
            Incoming::Line(l) if commands::is_abor(&self.shared, &self.command_line(l)));
        // `abor-ignored`: ABOR waits like any command (RFC 959 §4.1.3 wants it acted on now).
        if !is_abor || self.shared.fault(Fault::AborIgnored) {
            self.deferred.push_back(incoming);
            return Ok(Flow::Continue);
        }
        if let Some(mut running) = self.running.take() {
            running.abort().await;
            self.keep_offset(&running);
        }
        commands::forget_lockout_on_abor(&mut self.session, &self.shared);
        // RFC 959 §4.1.3: "the server aborts the data transfer, closes the data connection,
        // returns a 426 reply to indicate that the service request terminated abnormally. The
        // server then sends a 226 reply, indicating that the abort command was successfully
        // processed."
        let flow = self
            .send(&ServerReply::new(
                426,
                "Connection closed; transfer aborted",
            ))
            .await?;
        if flow == Flow::Stop || self.shared.fault(Fault::AborNo226) {
            return Ok(flow);
        }
        self.send(&ServerReply::new(226, "Abort successful")).await
    }

    /// `abor-keeps-offset`: remember where an aborted RETR stopped, for the next RETR of the
    /// same file. The clean server keeps nothing: an aborted transfer leaves no state.
    fn keep_offset(&mut self, running: &Running) {
        if self.shared.fault(Fault::AborKeepsOffset) {
            self.session.stale_offset = running.retr_progress();
        }
    }
}
