//! The data-connection steps: `listen`, `accept`, `expect-no-connection`, `connect` (and
//! `connect … refused`), `expect-no-data`, `write`, `close`. `read` is in `read_steps`.
//!
//! Passive connections always go to the control connection's peer address (RFC 2577, DESIGN):
//! a port named in a reply is used, an address never.

use super::exec::{ScenarioRun, no_channel};
use super::stop::Stop;
use crate::proto::HostPort;
use crate::session::data::{DrainEnd, Drained, ListenOptions, drain, write_all};
use crate::session::transcript::{Channel, escape_bytes};
use crate::session::{DataListener, DataStream, SessionError, connect_data};
use crate::suite::{DataProtection, Template};
use std::net::IpAddr;
use std::time::Duration;

/// The first pause of `connect … refused within` between attempts; each pause doubles.
pub const REFUSED_RETRY: Duration = Duration::from_millis(50);
/// The most attempts of `connect … refused within`: fewer than a listen backlog holds.
pub const REFUSED_ATTEMPTS: u32 = 6;
/// Most older queued connections closed to find the newest.
const STALE_LIMIT: usize = 16;
/// How long one attempt of `connect … refused within` waits for an answer.
const REFUSED_ATTEMPT_WAIT: Duration = Duration::from_secs(1);

/// The ports `listen NAME privileged` tries, highest first: below 1024, where RFC 2577 §3 says
/// servers should not open data connections ("it is suggested that servers not open data
/// connections to TCP ports less than 1024").
const PRIVILEGED_PORTS: std::ops::RangeInclusive<u16> = 600..=1023;

/// A listener on a free port below 1024 of `ip`. Binding one needs root or
/// CAP_NET_BIND_SERVICE (or a lowered `net.ipv4.ip_unprivileged_port_start`); without it the
/// scenario is SKIP with the reason: a refusal of port 21 could not be told from a server that
/// tried to connect there and failed.
async fn bind_privileged(
    channel: &str,
    ip: IpAddr,
    recorder: &crate::session::Recorder,
) -> Result<DataListener, Stop> {
    use std::io::ErrorKind;
    for port in PRIVILEGED_PORTS.rev() {
        let options = ListenOptions {
            port,
            reuse_addr: true,
        };
        match DataListener::bind_with(channel, ip, options, recorder).await {
            Ok(listener) => return Ok(listener),
            Err(SessionError::Local { source, .. }) if source.kind() == ErrorKind::AddrInUse => {}
            Err(SessionError::Local { source, .. })
                if source.kind() == ErrorKind::PermissionDenied =>
            {
                return Err(Stop::Skip(privileged_skip_reason(ip)));
            }
            Err(e) => return Err(Stop::Error(e.to_string())),
        }
    }
    Err(Stop::Skip(format!(
        "every port from {} to {} on {ip} is in use, so ftpspec cannot listen below 1024",
        PRIVILEGED_PORTS.start(),
        PRIVILEGED_PORTS.end()
    )))
}

/// Why a privileged-port scenario is SKIP on a host where the harness cannot bind below 1024.
pub fn privileged_skip_reason(ip: IpAddr) -> String {
    format!(
        "cannot listen on a port below 1024 on {ip} (permission denied: run as root or grant \
         CAP_NET_BIND_SERVICE); without a listener there, a refusal cannot be told from a \
         server that tried to connect and failed"
    )
}

impl ScenarioRun<'_> {
    /// `listen NAME [reuse] [on ADDR]`. With `reuse`, the first bind takes a fresh port and
    /// later ones bind that same port again with SO_REUSEADDR, after closing the channel's
    /// earlier listener (a socket still listening on the port would make the bind fail).
    pub(super) async fn listen(
        &mut self,
        channel: &str,
        on: Option<&Template>,
        reuse: bool,
        privileged: bool,
    ) -> Result<(), Stop> {
        let ip = match on {
            Some(t) => self.render_ip(t)?,
            None => self.ctrl.local().ip(),
        };
        if privileged {
            let listener = bind_privileged(channel, ip, &self.recorder).await?;
            self.bind_listener_vars(channel, listener.local_addr());
            self.listeners.insert(channel.to_string(), listener);
            return Ok(());
        }
        // `listen NAME reuse` again while the listener is still open: keep it. The client port
        // stays the same without ever being free, so no other socket on this host (an
        // outgoing connection's ephemeral port) can take it between transfers.
        if reuse && self.reuse_ports.contains_key(channel) && self.listeners.contains_key(channel) {
            return Ok(());
        }
        let mut options = ListenOptions::default();
        if reuse {
            options.reuse_addr = true;
            if let Some(&port) = self.reuse_ports.get(channel) {
                options.port = port;
            }
        }
        let listener = DataListener::bind_with(channel, ip, options, &self.recorder)
            .await
            .map_err(|e| match on {
                Some(_) => Stop::Skip(format!("cannot listen on {ip} here: {e}")),
                None => Stop::Error(e.to_string()),
            })?;
        let addr = listener.local_addr();
        if reuse {
            self.reuse_ports.insert(channel.to_string(), addr.port());
        }
        self.bind_listener_vars(channel, addr);
        self.listeners.insert(channel.to_string(), listener);
        Ok(())
    }

    /// `${NAME.ip}`, `${NAME.port}`, `${NAME.port-number}` and, for IPv4, `${NAME.hostport}`
    /// of a listener.
    fn bind_listener_vars(&mut self, channel: &str, addr: std::net::SocketAddr) {
        self.vars
            .set(format!("{channel}.ip"), addr.ip().to_string());
        self.vars
            .set(format!("{channel}.port"), addr.port().to_string());
        // `${NAME.port-number}`: the p1,p2 of PORT (RFC 959 §4.1.2).
        let port = addr.port();
        self.vars.set(
            format!("{channel}.port-number"),
            format!("{},{}", port >> 8, port & 0xff),
        );
        // `${NAME.hostport}`: the PORT argument h1,h2,h3,h4,p1,p2 (RFC 959 §4.1.2), IPv4 only.
        if let IpAddr::V4(v4) = addr.ip() {
            let hostport = HostPort::new(v4, addr.port());
            self.vars
                .set(format!("{channel}.hostport"), hostport.to_string());
        }
    }

    pub(super) async fn accept(
        &mut self,
        line: usize,
        channel: &str,
        from: Option<&Template>,
    ) -> Result<(), Stop> {
        let want = from.map(|t| self.render_ip(t)).transpose()?;
        let stream = self.take_connection(line, channel, want, false).await?;
        self.streams.insert(channel.to_string(), stream);
        Ok(())
    }

    /// The server's connection to listener `channel`, under the step timeout: the next one, or
    /// with `newest` the newest queued (a server that connects at PORT/EPRT time may have left
    /// an older one for an earlier setup). Binds `${NAME.from.ip}`/`${NAME.from.port}`; with
    /// `want`, the connection must come from that address.
    pub(super) async fn take_connection(
        &mut self,
        line: usize,
        channel: &str,
        want: Option<IpAddr>,
        newest: bool,
    ) -> Result<DataStream, Stop> {
        let listener = self
            .listeners
            .get(channel)
            .ok_or_else(|| no_channel(channel))?;
        let wait = self.config.step_timeout;
        let accepted = match newest {
            true => {
                listener
                    .accept_newest(wait, STALE_LIMIT, &self.recorder)
                    .await
            }
            false => listener.accept(wait, &self.recorder).await,
        };
        let (stream, peer) = accepted.map_err(|e| {
            Stop::fail(
                line,
                "the server did not open the data connection",
                format!("a connection to {channel}"),
                e.to_string(),
            )
            .checking("accept")
        })?;
        self.vars
            .set(format!("{channel}.from.ip"), peer.ip().to_string());
        self.vars
            .set(format!("{channel}.from.port"), peer.port().to_string());
        if let Some(want) = want.filter(|w| *w != peer.ip()) {
            return Err(Stop::fail(
                line,
                "the data connection came from an unexpected address",
                format!("from {want}"),
                format!("from {}", peer.ip()),
            )
            .checking("accept"));
        }
        // RFC 4217 §7: under PROT P ftpspec is the TLS client on an accepted connection too.
        Ok(DataStream::new(stream, self.ctrl.data_tls()))
    }

    pub(super) fn expect_no_connection(&mut self, line: usize, channel: &str) -> Result<(), Stop> {
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

    pub(super) async fn connect(
        &mut self,
        line: usize,
        channel: &str,
        port: &Template,
        from: Option<&Template>,
        protection: DataProtection,
    ) -> Result<(), Stop> {
        let (port, from_ip) = self.data_target(port, from)?;
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
        // RFC 4217 §9: TLS under PROT P; `clear` skips it, `new-session` resumes nothing (§10).
        let stream = match (protection, self.ctrl.data_tls()) {
            (DataProtection::Clear, _) | (_, None) => DataStream::new(stream, None),
            (DataProtection::Session, tls) => DataStream::new(stream, tls),
            (DataProtection::NewSession, Some(tls)) => DataStream::new(stream, Some(&tls.fresh())),
        };
        self.streams.insert(channel.to_string(), stream);
        Ok(())
    }

    /// `connect NAME to PORT [from ADDR] refused [within MS]`: the port must not accept a
    /// connection. Refused, reset or no answer within the step timeout all count as "not
    /// accepting". RFC 2428 §3: after EPSV "the client MUST issue an ABOR (abort) command to
    /// allow the server to close down the listening connection", so after ABOR the port stops
    /// accepting.
    ///
    /// With `within`, a server that closes the port a moment later (after noticing that the
    /// control connection closed) passes: ftpspec tries again with growing pauses
    /// ([`REFUSED_RETRY`], doubled each time, at most [`REFUSED_ATTEMPTS`] tries, the last at
    /// the deadline). Few tries matter: a listener nobody accepts on takes only its backlog's
    /// worth of connections and then leaves new ones unanswered, and an attempt that goes
    /// unanswered after one was accepted is that full backlog, so it counts as accepting.
    pub(super) async fn connect_refused(
        &mut self,
        line: usize,
        channel: &str,
        port: &Template,
        from: Option<&Template>,
        within_ms: Option<u32>,
    ) -> Result<(), Stop> {
        let (port, from_ip) = self.data_target(port, from)?;
        let peer_ip = self.ctrl.peer().ip();
        let started = tokio::time::Instant::now();
        let deadline = started + Duration::from_millis(within_ms.map_or(0, u64::from));
        let (mut accepted, mut unanswered) = (0u32, false);
        let mut pause = REFUSED_RETRY;
        for attempt in 1..=REFUSED_ATTEMPTS {
            let wait = match within_ms {
                None => self.config.step_timeout,
                Some(_) => self.config.step_timeout.min(REFUSED_ATTEMPT_WAIT),
            };
            match connect_data(channel, peer_ip, port, from_ip, wait, &self.recorder).await {
                Ok(stream) => {
                    drop(stream);
                    accepted += 1;
                    self.recorder
                        .event(Channel::Data(channel.into()), "closed by ftpspec");
                }
                Err(e @ SessionError::Local { .. }) => {
                    return Err(Stop::Skip(format!("cannot use a local address here: {e}")));
                }
                Err(SessionError::Timeout { .. }) if accepted > 0 => {
                    self.recorder.event(
                        Channel::Data(channel.into()),
                        "no answer after an accepted connection: the listener's backlog is full",
                    );
                    unanswered = true;
                }
                Err(e) => {
                    self.recorder
                        .event(Channel::Data(channel.into()), &format!("not accepted: {e}"));
                    return Ok(());
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline || attempt == REFUSED_ATTEMPTS {
                break;
            }
            let next = (now + pause).min(deadline);
            // The last try is at the deadline, however the pauses fall.
            let next = match attempt + 1 == REFUSED_ATTEMPTS {
                true => deadline,
                false => next,
            };
            tokio::time::sleep_until(next).await;
            pause *= 2;
        }
        let (message, expected) = match within_ms {
            None => (
                format!("port {port} still accepts connections"),
                format!("{peer_ip}:{port} not accepting (refused, reset or silent)"),
            ),
            Some(ms) => (
                format!("port {port} still accepts connections {ms} ms later"),
                format!("{peer_ip}:{port} not accepting within {ms} ms"),
            ),
        };
        let mut actual = match accepted {
            1 => "the connection was accepted".to_string(),
            n => format!("{n} connections were accepted"),
        };
        if unanswered {
            actual.push_str(", then one went unanswered (a listener whose backlog is full)");
        }
        Err(Stop::fail(line, message, expected, actual))
    }

    /// The port and local address of a passive connection, rendered.
    fn data_target(
        &self,
        port: &Template,
        from: Option<&Template>,
    ) -> Result<(u16, Option<IpAddr>), Stop> {
        let port_text = self.vars.render_text(port).map_err(Stop::Error)?;
        let port: u16 = port_text
            .parse()
            .map_err(|_| Stop::Error(format!("{port_text:?} is not a port")))?;
        let from_ip = from.map(|t| self.render_ip(t)).transpose()?;
        Ok((port, from_ip))
    }

    /// `expect-no-data NAME`: reads the stream to its end under the step timeout; not a byte
    /// may arrive. RFC 2577 §4: a port thief that connects first must not get the data. EOF,
    /// reset, and silence until the timeout all pass when nothing arrived: each means the
    /// thief got nothing.
    pub(super) async fn expect_no_data(&mut self, line: usize, channel: &str) -> Result<(), Stop> {
        let mut stream = self
            .streams
            .remove(channel)
            .ok_or_else(|| no_channel(channel))?;
        let wait = self.config.step_timeout;
        let limit = self.config.max_data_bytes;
        let drained = drain(channel, &mut stream, limit, wait, &self.recorder).await;
        if drained.bytes == 0 {
            return Ok(());
        }
        let more = match drained.bytes > drained.sample.len() as u64 {
            true => "…",
            false => "",
        };
        Err(Stop::fail(
            line,
            format!("{channel} received data it must not get"),
            "no data (EOF, reset or silence)",
            format!(
                "{} bytes: \"{}\"{more}",
                drained.bytes,
                escape_bytes(&drained.sample)
            ),
        ))
    }

    /// `drain NAME`: read and discard until the server ends the stream. After ABOR the server
    /// "closes the data connection" (RFC 959 §4.1.3): EOF or reset passes, a stream still open
    /// at the step timeout fails.
    pub(super) async fn drain_channel(
        &mut self,
        line: usize,
        channel: &str,
        background: bool,
    ) -> Result<(), Stop> {
        let wait = self.config.step_timeout;
        // Drained bytes are discarded, so the bound is only what a runaway server could send.
        let limit = self.config.max_data_bytes;
        if let Some(mut reader) = self.background.remove(channel) {
            let drained = match tokio::time::timeout(wait, &mut reader.0).await {
                Ok(Ok(drained)) => drained,
                _ => Drained {
                    bytes: 0,
                    sample: Vec::new(),
                    end: DrainEnd::Timeout,
                },
            };
            return judge_drain(line, channel, wait, drained);
        }
        let mut stream = self
            .streams
            .remove(channel)
            .ok_or_else(|| no_channel(channel))?;
        if background {
            // Long enough to outlast the replies the scenario waits for meanwhile.
            let patience = wait.saturating_mul(4);
            let (name, recorder) = (channel.to_string(), self.recorder.clone());
            let task =
                tokio::spawn(
                    async move { drain(&name, &mut stream, limit, patience, &recorder).await },
                );
            self.background
                .insert(channel.to_string(), super::exec::Background(task));
            return Ok(());
        }
        let drained = drain(channel, &mut stream, limit, wait, &self.recorder).await;
        judge_drain(line, channel, wait, drained)
    }

    /// `read-some NAME N`: exactly N bytes, under the step timeout; the stream stays open (the
    /// client is in the middle of a transfer, e.g. just before ABOR).
    pub(super) async fn read_some(
        &mut self,
        line: usize,
        channel: &str,
        count: u64,
    ) -> Result<(), Stop> {
        use tokio::io::AsyncReadExt;
        let wait = self.config.step_timeout;
        let stream = self
            .streams
            .get_mut(channel)
            .ok_or_else(|| no_channel(channel))?;
        let deadline = tokio::time::Instant::now() + wait;
        let mut got: u64 = 0;
        let mut chunk = vec![0u8; 64 * 1024];
        let mut sample = Vec::new();
        let ended = loop {
            if got >= count {
                break None;
            }
            let want = usize::try_from(count - got)
                .unwrap_or(usize::MAX)
                .min(chunk.len());
            match tokio::time::timeout_at(deadline, stream.read(&mut chunk[..want])).await {
                Err(_) => break Some(format!("only {got} bytes within {wait:?}")),
                Ok(Err(e)) => break Some(format!("error after {got} bytes: {e}")),
                Ok(Ok(0)) => break Some(format!("EOF after {got} bytes")),
                Ok(Ok(n)) => {
                    let room = 64usize.saturating_sub(sample.len());
                    sample.extend_from_slice(&chunk[..n.min(room)]);
                    got += n as u64;
                }
            }
        };
        let name = Channel::Data(channel.to_string());
        self.recorder.record(
            name.clone(),
            crate::session::transcript::Direction::Received,
            &sample,
        );
        self.recorder.event(
            name,
            &format!("read {got} of {count} bytes, stream left open"),
        );
        match ended {
            None => Ok(()),
            Some(actual) => Err(Stop::fail(
                line,
                format!("{channel} ended early"),
                format!("{count} bytes"),
                actual,
            )),
        }
    }

    pub(super) async fn write(
        &mut self,
        line: usize,
        channel: &str,
        payload: &Template,
    ) -> Result<(), Stop> {
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

    pub(super) async fn close(&mut self, channel: &str) -> Result<(), Stop> {
        self.listeners.remove(channel);
        if let Some(mut stream) = self.streams.remove(channel) {
            use tokio::io::AsyncWriteExt;
            let _ = stream.shutdown().await;
        }
        self.recorder
            .event(Channel::Data(channel.into()), "closed by ftpspec");
        Ok(())
    }
}

/// After ABOR the data connection must end (RFC 959 §4.1.3): EOF or reset passes.
fn judge_drain(
    line: usize,
    channel: &str,
    wait: std::time::Duration,
    drained: Drained,
) -> Result<(), Stop> {
    match drained.end {
        DrainEnd::Eof | DrainEnd::Reset => Ok(()),
        DrainEnd::Timeout | DrainEnd::Limit => Err(Stop::fail(
            line,
            format!("the server did not close {channel}"),
            "EOF or reset on the data connection",
            format!("still open after {} bytes and {wait:?}", drained.bytes),
        )),
    }
}
