//! Runs one scenario: opens the control connection, reads the greeting, then executes steps in
//! order until one stops it. Dispatch is one small function per step kind; the data-connection
//! steps live in `data_steps`, the control-connection and block steps in `control_steps`, and
//! the steps over values in `value_steps`.

use super::config::RunConfig;
use super::connection::{connect_control, initial_vars, protect_data, quit, read_greeting};
use super::expect;
use super::ledger::PASSIVE_VERBS;
use super::series::SeriesSet;
use super::stop::Stop;
use super::vars::Vars;
use crate::proto::command::verb_of;
use crate::proto::{Reply, ReplyCode};
use crate::session::transcript::{Channel, escape_bytes};
use crate::session::{ControlConnection, DataListener, DataStream, Recorder, SessionError};
use crate::suite::{Action, Expect, Need, Scenario, Step, TRANSFER_VAR, Template};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;

/// The state of one running scenario.
pub struct ScenarioRun<'a> {
    pub(super) config: &'a RunConfig,
    pub(super) recorder: Recorder,
    pub(super) ctrl: ControlConnection,
    pub(super) vars: Vars,
    pub(super) listeners: HashMap<String, DataListener>,
    /// Open data connections, TLS under `PROT P` (RFC 4217 §9).
    pub(super) streams: HashMap<String, DataStream>,
    /// The code of the last reply read by an `expect` or a login, for `if reply`.
    pub(super) last_code: Option<ReplyCode>,
    /// `collect` series (a shared handle: the caller renders them whatever happens).
    pub(super) series: SeriesSet,
    /// `read … save KEY` bytes, at most `max_data_bytes` in all.
    pub(super) saved: HashMap<String, Vec<u8>>,
    /// The port of each `listen NAME reuse` channel, bound again by later ones.
    pub(super) reuse_ports: HashMap<String, u16>,
    /// `drain NAME background` readers; aborted if the scenario ends before they finish.
    pub(super) background: HashMap<String, Background>,
    /// The verb of the last command line sent (`EPRT`), upper-cased: what a failing reply
    /// answered, for causes and BLOCKED reasons.
    pub(super) last_verb: Option<String>,
    /// That command line, escaped, without its CRLF, at most [`MAX_SENT_SHOWN`] characters.
    pub(super) last_sent: Option<String>,
    /// The passive commands (EPSV, PASV) that got their success code in this scenario.
    pub passive_worked: BTreeSet<&'static str>,
    /// The scenario `needs auth-tls`: it negotiates TLS, PBSZ and PROT itself, so neither
    /// the connection (`reconnect`) nor `login` does (RFC 4217 §4, §9).
    pub(super) own_tls: bool,
    pub notes: Vec<String>,
}

/// A data connection being drained in the background. Dropping it stops the reading.
pub(super) struct Background(pub(super) tokio::task::JoinHandle<crate::session::data::Drained>);

impl Drop for Background {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The longest verb kept for causes and reasons (a verb may be any bytes a scenario sent).
const MAX_VERB_SHOWN: usize = 16;
/// The longest command line kept for the `covers` lookup.
const MAX_SENT_SHOWN: usize = 64;

type StepFuture<'s> = Pin<Box<dyn Future<Output = Result<(), Stop>> + Send + 's>>;

/// The address a scenario's control connection goes to, and a note when it is another
/// endpoint's (a [`Lent`](super::config::Lent) address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub addr: SocketAddr,
    pub note: Option<String>,
}

/// Picks the target address a scenario's needs allow, or the reason to skip. A family the
/// target lacks is taken from a lent address of the same server, if another target lent one.
pub fn pick_address(scenario: &Scenario, config: &RunConfig) -> Result<Picked, Stop> {
    super::tls_steps::check_tls_needs(scenario, config)?;
    let target = &config.target;
    let own = |v6: bool| target.addrs.iter().copied().find(|a| a.is_ipv6() == v6);
    let family = if scenario.needs.contains(&Need::Ipv6) {
        Some(true)
    } else if scenario.needs.contains(&Need::Ipv4) {
        Some(false)
    } else {
        None
    };
    let Some(v6) = family else {
        return target
            .addrs
            .first()
            .map(|&addr| Picked { addr, note: None })
            .ok_or_else(|| Stop::Error("the target has no address".into()));
    };
    let name = if v6 { "IPv6" } else { "IPv4" };
    if let Some(addr) = own(v6) {
        return Ok(Picked { addr, note: None });
    }
    match target.lent.iter().find(|l| l.addr.is_ipv6() == v6) {
        Some(lent) => Ok(Picked {
            addr: lent.addr,
            note: Some(format!(
                "ran on {}, the {name} endpoint of the same server: {} has no {name} address",
                lent.from, target.display
            )),
        }),
        None => Err(Stop::Skip(format!("the target has no {name} address"))),
    }
}

/// Where a scenario's control connection comes from.
pub enum Opening {
    /// A TCP connection to this address of the target (every real run).
    Connect(SocketAddr),
    /// A connection over a stream the caller opened (`run_one_over`: an in-memory peer in
    /// tests), its greeting not yet read.
    Over(ControlConnection),
}

impl<'a> ScenarioRun<'a> {
    /// Connects (or takes the given connection) and reads the greeting. Failures here are
    /// ERROR: nothing was tested yet.
    pub async fn open(
        opening: Opening,
        config: &'a RunConfig,
        recorder: Recorder,
        series: SeriesSet,
        own_tls: bool,
    ) -> Result<ScenarioRun<'a>, Stop> {
        let ctrl = match opening {
            Opening::Connect(addr) => connect_control(addr, config, &recorder, own_tls).await?,
            Opening::Over(mut ctrl) => {
                read_greeting(&mut ctrl, config).await?;
                ctrl
            }
        };
        let vars = initial_vars(&ctrl, config);
        Ok(ScenarioRun {
            config,
            recorder,
            ctrl,
            vars,
            listeners: HashMap::new(),
            streams: HashMap::new(),
            background: HashMap::new(),
            last_code: None,
            series,
            saved: HashMap::new(),
            reuse_ports: HashMap::new(),
            last_verb: None,
            last_sent: None,
            passive_worked: BTreeSet::new(),
            own_tls,
            notes: Vec::new(),
        })
    }

    /// Executes steps in order (recursively for `repeat` and `if`, whose nesting the parser
    /// bounds).
    pub fn run_steps<'s>(&'s mut self, steps: &'s [Step]) -> StepFuture<'s> {
        Box::pin(async move {
            for step in steps {
                self.run_step(step).await?;
            }
            Ok(())
        })
    }

    async fn run_step(&mut self, step: &Step) -> Result<(), Stop> {
        let keyword = step.action.keyword();
        let result = self.dispatch(step).await;
        let (verb, sent) = (self.last_verb.clone(), self.last_sent.clone());
        result.map_err(|stop| stop.at_step(keyword, verb.as_deref(), sent.as_deref()))
    }

    async fn dispatch(&mut self, step: &Step) -> Result<(), Stop> {
        let line = step.line;
        match &step.action {
            Action::Login => {
                let user = self.config.target.user_name().to_string();
                let pass = self.config.target.password_value().to_string();
                self.login(&user, &pass).await
            }
            Action::Anonymous => self.login("anonymous", "ftpspec@example.com").await,
            Action::Send { payload, crlf } => self.send(line, payload, *crlf).await,
            Action::Expect(expect) => self.expect(line, expect).await,
            Action::Listen {
                channel,
                on,
                reuse,
                privileged,
            } => self.listen(channel, on.as_ref(), *reuse, *privileged).await,
            Action::Accept { channel, from } => self.accept(line, channel, from.as_ref()).await,
            Action::ExpectNoConnection { channel } => self.expect_no_connection(line, channel),
            Action::Connect {
                channel,
                port,
                from,
                protection,
            } => {
                self.connect(line, channel, port, from.as_ref(), *protection)
                    .await
            }
            Action::ConnectRefused {
                channel,
                port,
                from,
                within_ms,
            } => {
                self.connect_refused(line, channel, port, from.as_ref(), *within_ms)
                    .await
            }
            Action::Read { channel, checks } => self.read(line, channel, checks).await,
            Action::ExpectNoData { channel } => self.expect_no_data(line, channel).await,
            Action::Drain {
                channel,
                background,
            } => self.drain_channel(line, channel, *background).await,
            Action::ReadSome { channel, count } => self.read_some(line, channel, *count).await,
            Action::ExpectSilence { millis } => self.expect_silence(line, *millis).await,
            Action::Write { channel, payload } => self.write(line, channel, payload).await,
            Action::Close { channel } => self.close(channel).await,
            Action::Abort { urgent } => self.abort(*urgent).await,
            Action::Repeat { count, steps } => {
                for _ in 0..*count {
                    self.run_steps(steps).await?;
                }
                Ok(())
            }
            Action::RepeatBurst { steps } => {
                for _ in 0..self.config.burst {
                    self.run_steps(steps).await?;
                }
                Ok(())
            }
            Action::Note(template) => {
                let text = self.vars.render_text(template).map_err(Stop::Error)?;
                self.notes.push(text);
                Ok(())
            }
            Action::If {
                codes,
                then,
                otherwise,
            } => self.if_reply(codes, then, otherwise).await,
            Action::Reconnect => self.reconnect().await,
            Action::SendLong { verb, count } => self.send_long(verb, *count).await,
            Action::ExpectClose => self.expect_close(line).await,
            Action::Collect { series, value } => self.collect(series, value),
            Action::Check { left, op, right } => self.check(line, left, *op, right),
            Action::CheckVaries { series } => self.check_varies(line, series),
            Action::CheckMatches { value, regex } => self.check_matches(line, value, regex),
            // A failure inside is not the requirement's: the stage could not be set.
            Action::Setup { steps } => self.run_steps(steps).await.map_err(Stop::into_blocked),
            Action::Transfer {
                channel,
                from,
                allow_425,
            } => {
                self.transfer(line, channel, from.as_ref(), *allow_425)
                    .await
            }
            Action::Disconnect => {
                self.ctrl.shutdown().await;
                Ok(())
            }
            Action::StartTls => self.start_tls(line).await,
            Action::Skip(reason) => {
                let text = self.vars.render_text(reason).map_err(Stop::Error)?;
                Err(Stop::Skip(text))
            }
            Action::RunCheck(check) => Err(Stop::Skip(format!(
                "run-check {} is judged over a whole run (`ftpspec run`), not one dialogue",
                check.keyword()
            ))),
        }
    }

    /// USER, then PASS if asked (RFC 959 §4.1.1); on a protected connection then PBSZ 0 and
    /// PROT P ([`protect_data`]). A refusal is ERROR: the credentials are the user's
    /// configuration, not the requirement under test.
    async fn login(&mut self, user: &str, pass: &str) -> Result<(), Stop> {
        let wait = self.config.step_timeout;
        let harness = |e: SessionError| Stop::Error(format!("login failed: {e}"));
        self.remember_sent(format!("USER {user}").as_bytes());
        self.ctrl
            .send(format!("USER {user}\r\n").as_bytes())
            .await
            .map_err(harness)?;
        let mut reply = self.ctrl.read_reply(wait).await.map_err(harness)?;
        self.remember(&reply);
        if reply.code == ReplyCode::NEED_PASSWORD {
            self.remember_sent(b"PASS");
            self.ctrl
                .send(format!("PASS {pass}\r\n").as_bytes())
                .await
                .map_err(harness)?;
            reply = self.ctrl.read_reply(wait).await.map_err(harness)?;
            self.remember(&reply);
        }
        match reply.code.0 {
            230 | 202 if self.own_tls => Ok(()),
            230 | 202 => protect_data(&mut self.ctrl, wait).await,
            _ => Err(Stop::Error(format!(
                "login refused: {}",
                expect::show(&reply)
            ))),
        }
    }

    async fn send(&mut self, line: usize, payload: &Template, crlf: bool) -> Result<(), Stop> {
        if payload.vars().any(|v| v == TRANSFER_VAR) {
            self.transfer_command(line)?;
        }
        let mut bytes = self.vars.render(payload).map_err(Stop::Error)?;
        if crlf {
            bytes.extend_from_slice(b"\r\n");
        }
        self.send_line(&bytes).await;
        Ok(())
    }

    /// Sends one command line and remembers its verb. A write that fails (the server closed or
    /// reset the connection) is recorded, not judged: the step that reads the reply judges what
    /// the server did — a close may be what its requirement allows (`expect 200 close`), as
    /// after `send-long`.
    pub(super) async fn send_line(&mut self, bytes: &[u8]) {
        self.remember_sent(bytes);
        if let Err(e) = self.ctrl.send(bytes).await {
            self.note_unsent(&e);
        }
    }

    fn note_unsent(&self, e: &SessionError) {
        self.recorder
            .event(Channel::Control, &format!("not sent: {e}"));
    }

    /// Keeps the verb and the line of a command about to be sent.
    pub(super) fn remember_sent(&mut self, bytes: &[u8]) {
        let verb = verb_of(bytes);
        let shown: String = escape_bytes(&verb).chars().take(MAX_VERB_SHOWN).collect();
        self.last_verb = (!shown.is_empty()).then_some(shown);
        let line = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
        self.last_sent = Some(escape_bytes(line).chars().take(MAX_SENT_SHOWN).collect());
    }

    /// The run's transfer command line, or BLOCKED when the preflight found none.
    pub(super) fn transfer_command(&self, line: usize) -> Result<String, Stop> {
        self.config
            .transfer_command()
            .map(str::to_string)
            .map_err(|why| {
                Stop::Blocked(Box::new(super::stop::Broken {
                    line,
                    message: format!("no transfer command works on this target: {why}"),
                    expected: "a transfer command the target serves (NLST, LIST or RETR)".into(),
                    actual: why.to_string(),
                    check: Some("transfer"),
                    command: None,
                    sent: None,
                }))
            })
    }

    async fn expect(&mut self, line: usize, expect: &Expect) -> Result<(), Stop> {
        let reply = match self.ctrl.read_reply(self.config.step_timeout).await {
            Ok(reply) => reply,
            Err(SessionError::Closed { .. } | SessionError::Io { .. }) if expect.or_close => {
                return Ok(());
            }
            Err(SessionError::Timeout { timeout, .. }) if expect.or_silence => {
                let after = self.last_sent.as_deref().unwrap_or("the last command");
                self.notes
                    .push(format!("no reply within {timeout:?} after {after}"));
                return Ok(());
            }
            Err(e) => return Err(Stop::from_reply_error(line, &expect::describe(expect), e)),
        };
        self.remember(&reply);
        self.follow_prot(&reply);
        expect::check(line, expect, &reply, &mut self.vars)
    }

    /// The last reply read: its code for `if reply`, `${reply.code}` and `${reply.text}` (the
    /// last line's text, escaped printable).
    pub(super) fn remember(&mut self, reply: &Reply) {
        let passive = match reply.code.0 {
            229 => Some("EPSV"),
            227 => Some("PASV"),
            _ => None,
        };
        if let Some(verb) = passive.filter(|v| self.last_verb.as_deref() == Some(*v))
            && let Some(known) = PASSIVE_VERBS.iter().find(|k| **k == verb)
        {
            self.passive_worked.insert(known);
        }
        self.last_code = Some(reply.code);
        self.vars.set("reply.code", reply.code.to_string());
        self.vars.set("reply.text", escape_bytes(reply.last_text()));
    }

    async fn abort(&mut self, urgent: bool) -> Result<(), Stop> {
        self.settle_data_handshakes().await;
        self.remember_sent(b"ABOR");
        let sent = if urgent {
            self.ctrl.send_urgent_abort().await
        } else {
            self.ctrl.send(b"ABOR\r\n").await
        };
        if let Err(e) = sent {
            self.note_unsent(&e);
        }
        Ok(())
    }

    /// Before ABOR: lets the TLS handshakes of open data connections end, all within one
    /// step timeout. ABOR interrupts a transfer under way (RFC 959 §4.1.3), and over TLS a
    /// transfer is under way once its data connection has negotiated (under PROT P the data
    /// travel inside TLS, RFC 4217 §9); a TLS client that aborts, even one that stopped reading,
    /// has finished that handshake. Without the wait, ABOR sent right after the 150 races the
    /// handshake, and the server may see it before it has sent a byte. A handshake that does
    /// not end (the server never took the connection) is noted, and ABOR goes anyway.
    async fn settle_data_handshakes(&mut self) {
        let deadline = tokio::time::Instant::now() + self.config.step_timeout;
        for (name, stream) in self.streams.iter_mut() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if !stream.settle_handshake(left).await {
                self.recorder.event(
                    Channel::Data(name.clone()),
                    "TLS handshake not finished before ABOR; ABOR sent anyway",
                );
            }
        }
    }

    pub(super) fn render_ip(&self, template: &Template) -> Result<IpAddr, Stop> {
        let text = self.vars.render_text(template).map_err(Stop::Error)?;
        text.parse()
            .map_err(|_| Stop::Error(format!("{text:?} is not an IP address")))
    }

    /// Says goodbye politely; nothing here affects the verdict.
    pub async fn finish(mut self) {
        quit(&mut self.ctrl, self.config.step_timeout).await;
    }
}

pub(super) fn no_channel(channel: &str) -> Stop {
    Stop::Error(format!("no open data channel named {channel}"))
}
