//! Runs one scenario: opens the control connection, reads the greeting, then executes steps in
//! order until one stops it. Dispatch is one small function per step kind.

use super::config::RunConfig;
use super::expect;
use super::stop::Stop;
use super::vars::Vars;
use crate::proto::ReplyCode;
use crate::session::data::{read_to_end, write_all};
use crate::session::transcript::escape_bytes;
use crate::session::{ControlConnection, DataListener, Recorder, SessionError, connect_data};
use crate::suite::{Action, DataCheck, Expect, Need, Scenario, Step, Template};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use tokio::net::TcpStream;

/// The state of one running scenario.
pub struct ScenarioRun<'a> {
    config: &'a RunConfig,
    recorder: Recorder,
    ctrl: ControlConnection,
    vars: Vars,
    listeners: HashMap<String, DataListener>,
    streams: HashMap<String, TcpStream>,
    pub notes: Vec<String>,
}

type StepFuture<'s> = Pin<Box<dyn Future<Output = Result<(), Stop>> + Send + 's>>;

/// Picks the target address a scenario's needs allow, or the reason to skip.
pub fn pick_address(scenario: &Scenario, config: &RunConfig) -> Result<SocketAddr, Stop> {
    let addrs = &config.target.addrs;
    let wanted = |v6: bool| addrs.iter().copied().find(|a| a.is_ipv6() == v6);
    if scenario.needs.contains(&Need::Ipv6) {
        return wanted(true).ok_or_else(|| Stop::Skip("the target has no IPv6 address".into()));
    }
    if scenario.needs.contains(&Need::Ipv4) {
        return wanted(false).ok_or_else(|| Stop::Skip("the target has no IPv4 address".into()));
    }
    addrs
        .first()
        .copied()
        .ok_or_else(|| Stop::Error("the target has no address".into()))
}

impl<'a> ScenarioRun<'a> {
    /// Connects and reads the greeting. Failures here are ERROR: nothing was tested yet.
    pub async fn open(
        addr: SocketAddr,
        config: &'a RunConfig,
        recorder: Recorder,
    ) -> Result<ScenarioRun<'a>, Stop> {
        let mut ctrl = ControlConnection::connect(addr, config.step_timeout, recorder.clone())
            .await
            .map_err(|e| Stop::Error(e.to_string()))?;
        read_greeting(&mut ctrl, config).await?;
        let vars = initial_vars(&ctrl, config);
        Ok(ScenarioRun {
            config,
            recorder,
            ctrl,
            vars,
            listeners: HashMap::new(),
            streams: HashMap::new(),
            notes: Vec::new(),
        })
    }

    /// Executes steps in order (recursively for `repeat`).
    pub fn run_steps<'s>(&'s mut self, steps: &'s [Step]) -> StepFuture<'s> {
        Box::pin(async move {
            for step in steps {
                self.run_step(step).await?;
            }
            Ok(())
        })
    }

    async fn run_step(&mut self, step: &Step) -> Result<(), Stop> {
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
            Action::Listen { channel, on } => self.listen(channel, on.as_ref()).await,
            Action::Accept { channel, from } => self.accept(line, channel, from.as_ref()).await,
            Action::ExpectNoConnection { channel } => self.expect_no_connection(line, channel),
            Action::Connect {
                channel,
                port,
                from,
            } => self.connect(line, channel, port, from.as_ref()).await,
            Action::Read { channel, checks } => self.read(line, channel, checks).await,
            Action::Write { channel, payload } => self.write(line, channel, payload).await,
            Action::Close { channel } => self.close(channel).await,
            Action::Abort { urgent } => self.abort(line, *urgent).await,
            Action::Repeat { count, steps } => {
                for _ in 0..*count {
                    self.run_steps(steps).await?;
                }
                Ok(())
            }
            Action::Note(template) => {
                let text = self.vars.render_text(template).map_err(Stop::Error)?;
                self.notes.push(text);
                Ok(())
            }
        }
    }

    /// USER, then PASS if asked (RFC 959 §4.1.1). A refusal is ERROR: the credentials are the
    /// user's configuration, not the requirement under test.
    async fn login(&mut self, user: &str, pass: &str) -> Result<(), Stop> {
        let wait = self.config.step_timeout;
        let harness = |e: SessionError| Stop::Error(format!("login failed: {e}"));
        self.ctrl
            .send(format!("USER {user}\r\n").as_bytes())
            .await
            .map_err(harness)?;
        let mut reply = self.ctrl.read_reply(wait).await.map_err(harness)?;
        if reply.code == ReplyCode::NEED_PASSWORD {
            self.ctrl
                .send(format!("PASS {pass}\r\n").as_bytes())
                .await
                .map_err(harness)?;
            reply = self.ctrl.read_reply(wait).await.map_err(harness)?;
        }
        match reply.code.0 {
            230 | 202 => Ok(()),
            _ => Err(Stop::Error(format!(
                "login refused: {}",
                expect::show(&reply)
            ))),
        }
    }

    async fn send(&mut self, line: usize, payload: &Template, crlf: bool) -> Result<(), Stop> {
        let mut bytes = self.vars.render(payload).map_err(Stop::Error)?;
        if crlf {
            bytes.extend_from_slice(b"\r\n");
        }
        self.ctrl.send(&bytes).await.map_err(|e| lost(line, e))
    }

    async fn expect(&mut self, line: usize, expect: &Expect) -> Result<(), Stop> {
        let reply = self
            .ctrl
            .read_reply(self.config.step_timeout)
            .await
            .map_err(|e| Stop::from_reply_error(line, &expect::describe(expect), e))?;
        expect::check(line, expect, &reply, &mut self.vars)
    }

    async fn abort(&mut self, line: usize, urgent: bool) -> Result<(), Stop> {
        let sent = if urgent {
            self.ctrl.send_urgent_abort().await
        } else {
            self.ctrl.send(b"ABOR\r\n").await
        };
        sent.map_err(|e| lost(line, e))
    }

    async fn listen(&mut self, channel: &str, on: Option<&Template>) -> Result<(), Stop> {
        let ip = match on {
            Some(t) => self.render_ip(t)?,
            None => self.ctrl.local().ip(),
        };
        let listener = DataListener::bind(channel, ip, &self.recorder)
            .await
            .map_err(|e| match on {
                Some(_) => Stop::Skip(format!("cannot listen on {ip} here: {e}")),
                None => Stop::Error(e.to_string()),
            })?;
        let addr = listener.local_addr();
        self.vars
            .set(format!("{channel}.ip"), addr.ip().to_string());
        self.vars
            .set(format!("{channel}.port"), addr.port().to_string());
        self.listeners.insert(channel.to_string(), listener);
        Ok(())
    }

    async fn accept(
        &mut self,
        line: usize,
        channel: &str,
        from: Option<&Template>,
    ) -> Result<(), Stop> {
        let want = from.map(|t| self.render_ip(t)).transpose()?;
        let listener = self
            .listeners
            .get(channel)
            .ok_or_else(|| no_channel(channel))?;
        let (stream, peer) = listener
            .accept(self.config.step_timeout, &self.recorder)
            .await
            .map_err(|e| {
                Stop::fail(
                    line,
                    "the server did not open the data connection",
                    format!("a connection to {channel}"),
                    e.to_string(),
                )
            })?;
        if let Some(want) = want.filter(|w| *w != peer.ip()) {
            return Err(Stop::fail(
                line,
                "the data connection came from an unexpected address",
                format!("from {want}"),
                format!("from {}", peer.ip()),
            ));
        }
        self.streams.insert(channel.to_string(), stream);
        Ok(())
    }

    fn expect_no_connection(&mut self, line: usize, channel: &str) -> Result<(), Stop> {
        let listener = self
            .listeners
            .get(channel)
            .ok_or_else(|| no_channel(channel))?;
        match listener.poll_arrived(&self.recorder) {
            None => Ok(()),
            Some(from) => Err(Stop::fail(
                line,
                format!("the server connected to the {channel} listener"),
                "no connection",
                format!("a connection from {from}"),
            )),
        }
    }

    async fn connect(
        &mut self,
        line: usize,
        channel: &str,
        port: &Template,
        from: Option<&Template>,
    ) -> Result<(), Stop> {
        let port_text = self.vars.render_text(port).map_err(Stop::Error)?;
        let port: u16 = port_text
            .parse()
            .map_err(|_| Stop::Error(format!("{port_text:?} is not a port")))?;
        let from_ip = from.map(|t| self.render_ip(t)).transpose()?;
        // Always the control connection's peer: never an address a reply named (DESIGN, RFC 2577).
        let peer_ip = self.ctrl.peer().ip();
        let stream = connect_data(
            channel,
            peer_ip,
            port,
            from_ip,
            self.config.step_timeout,
            &self.recorder,
        )
        .await
        .map_err(|e| match e {
            SessionError::Local { .. } => {
                Stop::Skip(format!("cannot use a local address here: {e}"))
            }
            e => Stop::fail(
                line,
                format!("nothing accepts a connection on port {port}"),
                format!("{peer_ip}:{port} listening"),
                e.to_string(),
            ),
        })?;
        self.streams.insert(channel.to_string(), stream);
        Ok(())
    }

    async fn read(&mut self, line: usize, channel: &str, checks: &[DataCheck]) -> Result<(), Stop> {
        let mut stream = self
            .streams
            .remove(channel)
            .ok_or_else(|| no_channel(channel))?;
        let data = read_to_end(
            channel,
            &mut stream,
            self.config.max_data_bytes,
            self.config.step_timeout,
            &self.recorder,
        )
        .await
        .map_err(|e| {
            Stop::fail(
                line,
                format!("reading {channel} failed"),
                "data, then EOF",
                e.to_string(),
            )
        })?;
        for check in checks {
            self.data_check(line, check, &data)?;
        }
        Ok(())
    }

    fn data_check(&self, line: usize, check: &DataCheck, data: &[u8]) -> Result<(), Stop> {
        let (ok, expected) = match check {
            DataCheck::Equals(t) => {
                let want = self.vars.render(t).map_err(Stop::Error)?;
                (
                    data == want.as_slice(),
                    format!("exactly \"{}\"", escape_bytes(&want)),
                )
            }
            DataCheck::Contains(t) => {
                let want = self.vars.render(t).map_err(Stop::Error)?;
                let found =
                    want.is_empty() || data.windows(want.len()).any(|w| w == want.as_slice());
                (
                    found,
                    format!("bytes containing \"{}\"", escape_bytes(&want)),
                )
            }
            DataCheck::Length(n) => (data.len() as u64 == *n, format!("{n} bytes")),
        };
        if ok {
            return Ok(());
        }
        let shown: Vec<u8> = data.iter().copied().take(200).collect();
        Err(Stop::fail(
            line,
            "the data is not what was expected",
            expected,
            format!("{} bytes: \"{}\"", data.len(), escape_bytes(&shown)),
        ))
    }

    async fn write(&mut self, line: usize, channel: &str, payload: &Template) -> Result<(), Stop> {
        let bytes = self.vars.render(payload).map_err(Stop::Error)?;
        let stream = self
            .streams
            .get_mut(channel)
            .ok_or_else(|| no_channel(channel))?;
        write_all(
            channel,
            stream,
            &bytes,
            self.config.step_timeout,
            &self.recorder,
        )
        .await
        .map_err(|e| {
            Stop::fail(
                line,
                format!("writing to {channel} failed"),
                "the server reads the data",
                e.to_string(),
            )
        })
    }

    async fn close(&mut self, channel: &str) -> Result<(), Stop> {
        self.listeners.remove(channel);
        if let Some(mut stream) = self.streams.remove(channel) {
            use tokio::io::AsyncWriteExt;
            let _ = stream.shutdown().await;
        }
        self.recorder.event(
            crate::session::transcript::Channel::Data(channel.into()),
            "closed by ftpspec",
        );
        Ok(())
    }

    fn render_ip(&self, template: &Template) -> Result<IpAddr, Stop> {
        let text = self.vars.render_text(template).map_err(Stop::Error)?;
        text.parse()
            .map_err(|_| Stop::Error(format!("{text:?} is not an IP address")))
    }

    /// Says goodbye politely; nothing here affects the verdict.
    pub async fn finish(mut self) {
        let wait = self
            .config
            .step_timeout
            .min(std::time::Duration::from_secs(1));
        if self.ctrl.send(b"QUIT\r\n").await.is_ok() {
            let _ = self.ctrl.read_reply(wait).await;
        }
        self.ctrl.shutdown().await;
    }
}

/// The greeting: optional 120 replies, then 220 (RFC 959 §5.4, "Connection Establishment").
async fn read_greeting(ctrl: &mut ControlConnection, config: &RunConfig) -> Result<(), Stop> {
    for _ in 0..4 {
        let reply = ctrl
            .read_reply(config.step_timeout)
            .await
            .map_err(|e| Stop::Error(format!("no greeting: {e}")))?;
        match reply.code.0 {
            220 => return Ok(()),
            120 => continue,
            _ => {
                return Err(Stop::Error(format!(
                    "the server refused the session: {}",
                    expect::show(&reply)
                )));
            }
        }
    }
    Err(Stop::Error(
        "no 220 greeting after repeated 120 replies".into(),
    ))
}

fn initial_vars(ctrl: &ControlConnection, config: &RunConfig) -> Vars {
    let mut vars = Vars::default();
    let netprt = |a: SocketAddr| if a.is_ipv6() { "2" } else { "1" };
    vars.set("client.ip", ctrl.local().ip().to_string());
    vars.set("client.port", ctrl.local().port().to_string());
    vars.set("client.netprt", netprt(ctrl.local()));
    vars.set("target.ip", ctrl.peer().ip().to_string());
    vars.set("target.port", ctrl.peer().port().to_string());
    vars.set("target.netprt", netprt(ctrl.peer()));
    vars.set("file.small", config.files.small.clone());
    vars.set("file.large", config.files.large.clone());
    vars.set("file.upload", config.files.upload.clone());
    vars
}

fn lost(line: usize, e: SessionError) -> Stop {
    Stop::fail(
        line,
        format!("the control connection is gone: {e}"),
        "a usable control connection",
        e.to_string(),
    )
}

fn no_channel(channel: &str) -> Stop {
    Stop::Error(format!("no open data channel named {channel}"))
}
