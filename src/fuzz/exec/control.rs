//! The control-connection half of a network execution: sending lines and the urgent ABOR,
//! logging in, and reading what is owed through the shared [`reader`](super::reader).
//!
//! RFC 959 §4.2: "Every command must generate at least one reply" — when a reply does not
//! come, a fresh connection tells a swallowed command (the server lives), a hang (no greeting)
//! and a crash (refused) apart.

use crate::fuzz::exec::latency::{Sentinel, Waits};
use crate::fuzz::exec::reader::{self, Halt, Pace};
use crate::fuzz::exec::trace::{Act, Liveness, MAX_TEXT, NoReply, Unserved};
use crate::fuzz::exec::{Exec, ExecConfig, Flow, tls};
use crate::fuzz::input::line::Line;
use crate::proto::ReplyCode;
use crate::session::{ControlConnection, Recorder, SessionError};
use std::time::Duration;

/// Most extra replies read after one line (see [`Exec::linger`]).
const MAX_EXTRA: usize = 4;
/// How long [`Exec::linger`] gives a second reply.
const EXTRA_LOOK: std::time::Duration = std::time::Duration::from_millis(50);

impl Exec<'_> {
    /// USER, then PASS when asked (RFC 959 §4.1.1), with the target's credentials. A refused
    /// login is no reason to stop: the dialogue goes on logged out.
    pub(super) async fn login(&mut self) -> Flow {
        self.ledger.trace.act(Act::Login);
        let user = format!("USER {}\r\n", self.cfg.target.user_name());
        self.send_bytes(user.as_bytes()).await?;
        self.settle(None).await?;
        let trace = &self.ledger.trace;
        let asked = trace.commands.last().and_then(|c| c.replies.last());
        if asked.map(|s| s.code) == Some(ReplyCode::NEED_PASSWORD) {
            let pass = format!("PASS {}\r\n", self.cfg.target.password_value());
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
        let trace = &mut self.ledger.trace;
        let mut bytes = line.render(&trace.values);
        if crlf {
            bytes.extend_from_slice(b"\r\n");
        }
        let op = trace.current_op;
        trace.act(Act::Send {
            op,
            line: line.clone(),
            crlf,
        });
        self.send_bytes(&bytes).await
    }

    /// Accounts for `bytes` in the ledger and writes them.
    async fn send_bytes(&mut self, bytes: &[u8]) -> Flow {
        self.ledger.sent(bytes);
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
    ///
    /// Over TLS a plain `ABOR\r\n` instead, recorded as the line it is: the Synch is TCP
    /// urgent data, outside TLS's record layer, so it cannot be sent inside a protected control
    /// connection (RFC 4217 protects the stream, not its out-of-band byte), and the Telnet
    /// `IAC IP` alone would only be bytes in a command line. A replay over TLS sends the same.
    pub(super) async fn urgent_abort(&mut self) -> Flow {
        if self.ctrl.tls().is_some() {
            let mut abor = Line::default();
            abor.push_lit("ABOR");
            return self.command(&abor, true).await;
        }
        let op = self.ledger.trace.current_op;
        self.ledger.trace.act(Act::UrgentAbort { op });
        self.ledger.sent_urgent_abort();
        self.sent_at = tokio::time::Instant::now();
        if let Err(e) = self.ctrl.send_urgent_abort().await {
            self.lost_on_send(e).await;
            return Err(());
        }
        self.settle(None).await.map(|_| ())
    }

    /// Reads what is owed (see [`reader::settle`]) at this execution's pace; a data connection
    /// opened for a setup that a reply has since replaced is dropped.
    pub(super) async fn settle(&mut self, until: Option<usize>) -> Result<bool, ()> {
        let pace = Pace {
            reply_wait: self.cfg.reply_wait(),
            full: self.cfg.timeout,
            look: self.cfg.look(),
            serving: self.serving,
            latency: Some((&self.cfg.latency, self.sent_at)),
            cut_slow_logins: self.cfg.waits == Waits::Measured && self.cfg.latency.delays_logins(),
            sentinel: self.cfg.latency.answers_sentinel(),
            learn_1xx: self.cfg.waits == Waits::Measured,
        };
        let read = reader::settle(&mut self.ctrl, &mut self.ledger, &pace, until).await;
        if self.ledger.take_data_stale() {
            self.data = None;
        }
        match read {
            Ok(phase) => Ok(phase),
            Err(Halt::Ended) => Err(()),
            Err(Halt::Silent { cmd, how }) => {
                // The sentinel's reply came: the target is alive, no probe needed.
                let liveness = match how {
                    NoReply::Skipped => Liveness::Alive,
                    _ => self.liveness().await,
                };
                self.ledger.no_reply(cmd, how, liveness);
                Err(())
            }
        }
    }

    /// After a line a server may take as two (an over-long line whose rest it reads as another
    /// command), a second reply can follow the first a moment later: it is read now, within the
    /// short look, and kept as the line's own extra reply — taken for the next
    /// command's reply, it would shift every reply after it (pyftpdlib 2.2.0 answers an
    /// over-long line with `500 Command too long.` and then `500 Command "" not understood.`).
    ///
    /// Against a target that answers the sentinel, the sentinel follows the line instead of a
    /// timed look: every reply before its 215 is the line's, and nothing is left to chance.
    pub(super) async fn linger(&mut self) -> Flow {
        if self.ledger.owed().is_some() {
            return Ok(());
        }
        if self.cfg.latency.answers_sentinel() && self.ledger.sentinel_may_follow() {
            self.ledger.sent_sentinel();
            self.sent_at = tokio::time::Instant::now();
            if let Err(e) = self.ctrl.send(&reader::sentinel_line()).await {
                self.lost_on_send(e).await;
                return Err(());
            }
            return self.settle(None).await.map(|_| ());
        }
        if !self.cfg.latency.looks_for_extra() {
            return Ok(());
        }
        // Long enough for a second small write held back by Nagle's algorithm until our
        // delayed ACK of the first (40 ms on Linux); a target that never sends one stops being
        // looked at after a few lines.
        let look = EXTRA_LOOK.min(self.cfg.timeout);
        match self.ctrl.read_reply(look).await {
            Ok(reply) => {
                self.cfg.latency.extra_seen();
                self.ledger.unsolicited(&reply);
            }
            Err(SessionError::Malformed(e)) => {
                self.ledger.malformed_unsolicited(e);
                return Err(());
            }
            // Nothing more (or the connection went: the next command finds out).
            Err(_) => return Ok(()),
        }
        // One extra reply came: take any more that are already here, without waiting again.
        for _ in 0..MAX_EXTRA {
            match self.ctrl.try_read_reply() {
                Ok(Some(reply)) => self.ledger.unsolicited(&reply),
                Err(SessionError::Malformed(e)) => {
                    self.ledger.malformed_unsolicited(e);
                    return Err(());
                }
                Ok(None) | Err(_) => return Ok(()),
            }
        }
        Ok(())
    }

    /// Sending failed: the connection is gone.
    async fn lost_on_send(&mut self, e: SessionError) {
        if let Some((cmd, how)) = self.ledger.lost_on_send(&e) {
            let liveness = self.liveness().await;
            self.ledger.no_reply(cmd, how, liveness);
        }
    }

    /// A fresh control connection: greeting → alive, refused → down, nothing → hanging.
    pub(super) async fn liveness(&self) -> Liveness {
        probe_liveness(self.cfg).await
    }
}

/// One full session, as the health watch checks a target: a 220 greeting (RFC 959 §5.4),
/// the login when `login` (RFC 959 §4.1.1), and a reply to NOOP. `Err` says what failed.
pub async fn probe_service(cfg: &ExecConfig, login: bool) -> Result<(), Unserved> {
    let wait = cfg.timeout;
    let mut c = match tls::open(cfg, Recorder::discarding()).await {
        Ok(c) => c,
        Err(e) => return Err(Unserved::Connect(e.to_string())),
    };
    let served = serve_probe(&mut c, cfg, login, wait, "NOOP").await;
    let _ = c.send(b"QUIT\r\n").await;
    c.shutdown().await;
    served.map(|_| ())
}

/// What a campaign's first probe found: where the target answers the sentinel, and the text
/// of its 220 greeting (its last line) — what tells one server from another when a campaign
/// resumes a folder (`campaign::learnt`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probed {
    pub sentinel: Sentinel,
    pub greeting: Option<String>,
}

/// Where the target answers the sentinel with 215 (see
/// [`crate::fuzz::exec::ledger::SENTINEL`]): logged in, and before login (greeted, then after
/// USER); and its greeting. Asked once, when a campaign starts, in two sessions.
pub async fn probe_sentinel(cfg: &ExecConfig) -> Probed {
    let wait = cfg.timeout;
    let sentinel = String::from_utf8_lossy(crate::fuzz::exec::ledger::SENTINEL).into_owned();
    let Ok(mut c) = tls::open(cfg, Recorder::discarding()).await else {
        return Probed::default();
    };
    let greeting = greet(&mut c, cfg, wait).await.ok().map(|r| reply_text(&r));
    let logged_in = greeting.is_some()
        && sentinel_answered(login_and_ask(&mut c, cfg, true, wait, &sentinel).await);
    let _ = c.send(b"QUIT\r\n").await;
    c.shutdown().await;
    let before_login = match logged_in {
        true => answers_before_login(cfg, &sentinel).await,
        false => None,
    };
    // No second session: nothing is known, not even the logged-in answer.
    let sentinel = match before_login {
        Some(before_login) => Sentinel {
            logged_in,
            before_login,
        },
        None => Sentinel::default(),
    };
    Probed { sentinel, greeting }
}

/// The sentinel's reply is its 215.
fn sentinel_answered(reply: Result<crate::proto::Reply, Unserved>) -> bool {
    reply.is_ok_and(|r| r.code.0 == 215)
}

/// The second session of [`probe_sentinel`]: does the target answer `sentinel` with 215 right
/// after its greeting, and after USER got its 331? `None`: no session.
async fn answers_before_login(cfg: &ExecConfig, sentinel: &str) -> Option<bool> {
    let wait = cfg.timeout;
    let mut c = tls::open(cfg, Recorder::discarding()).await.ok()?;
    let greeted = sentinel_answered(serve_probe(&mut c, cfg, false, wait, sentinel).await);
    let user = format!("USER {}", cfg.target.user_name());
    let before_login = greeted
        && match ask(&mut c, wait, &format!("{user}\r\n")).await {
            Ok(r) if r.code == ReplyCode::NEED_PASSWORD => {
                sentinel_answered(ask(&mut c, wait, &format!("{sentinel}\r\n")).await)
            }
            // Logged in by USER alone (or refused): the greeted answer is all there is.
            Ok(_) => true,
            Err(_) => false,
        };
    let _ = c.send(b"QUIT\r\n").await;
    c.shutdown().await;
    Some(before_login)
}

/// Greeting, AUTH TLS for explicit FTPS, the login when `login`, then `last`: its reply.
async fn serve_probe(
    c: &mut ControlConnection,
    cfg: &ExecConfig,
    login: bool,
    wait: Duration,
    last: &str,
) -> Result<crate::proto::Reply, Unserved> {
    greet(c, cfg, wait).await?;
    login_and_ask(c, cfg, login, wait, last).await
}

/// The 220 greeting (RFC 959 §5.4), then AUTH TLS for explicit FTPS.
async fn greet(
    c: &mut ControlConnection,
    cfg: &ExecConfig,
    wait: Duration,
) -> Result<crate::proto::Reply, Unserved> {
    let greeting = read_greeting(c, wait).await?;
    if greeting.code.0 != 220 {
        return Err(unserved_by(&greeting, |code, text| Unserved::Greeting {
            code,
            text,
        }));
    }
    tls::secure(c, cfg)
        .await
        .map_err(|e| Unserved::Tls(e.to_string()))?;
    Ok(greeting)
}

/// The login when `login`, then `last`: its reply.
async fn login_and_ask(
    c: &mut ControlConnection,
    cfg: &ExecConfig,
    login: bool,
    wait: Duration,
    last: &str,
) -> Result<crate::proto::Reply, Unserved> {
    if login {
        let user = ask(c, wait, &format!("USER {}\r\n", cfg.target.user_name())).await?;
        let last = match user.code == ReplyCode::NEED_PASSWORD {
            true => {
                ask(
                    c,
                    wait,
                    &format!("PASS {}\r\n", cfg.target.password_value()),
                )
                .await?
            }
            false => user,
        };
        if last.code.class() != 2 {
            return Err(unserved_by(&last, |code, text| Unserved::Login {
                code,
                text,
            }));
        }
    }
    ask(c, wait, &format!("{last}\r\n")).await
}

/// Most 120 replies read before a greeting is given up on.
const MAX_120: usize = 4;

/// The first reply after any 120s (RFC 959 §5.4: 120, then 220) — at most [`MAX_120`] of
/// them: a server that only ever says "ready in nnn minutes" gives no greeting.
pub(super) async fn read_greeting(
    c: &mut ControlConnection,
    wait: Duration,
) -> Result<crate::proto::Reply, Unserved> {
    for _ in 0..MAX_120 {
        match c.read_reply(wait).await {
            Ok(r) if r.code.0 == 120 => continue,
            Ok(r) => return Ok(r),
            Err(e) => return Err(Unserved::NoGreeting(e.to_string())),
        }
    }
    Err(Unserved::NoGreeting(
        "no 220 after repeated 120 replies".into(),
    ))
}

/// Sends `line` and reads its reply, past any 1xx.
async fn ask(
    c: &mut ControlConnection,
    wait: Duration,
    line: &str,
) -> Result<crate::proto::Reply, Unserved> {
    c.send(line.as_bytes())
        .await
        .map_err(|e| Unserved::NoService(e.to_string()))?;
    loop {
        match c.read_reply(wait).await {
            Ok(r) if r.code.class() == 1 => continue,
            Ok(r) => return Ok(r),
            Err(e) => return Err(Unserved::NoService(e.to_string())),
        }
    }
}

pub(super) fn unserved_by(
    reply: &crate::proto::Reply,
    make: impl FnOnce(ReplyCode, String) -> Unserved,
) -> Unserved {
    make(reply.code, reply_text(reply))
}

/// A reply's last line as a trace keeps it: text, at most [`MAX_TEXT`] characters.
fn reply_text(reply: &crate::proto::Reply) -> String {
    let text = String::from_utf8_lossy(reply.last_text());
    text.chars().take(MAX_TEXT).collect()
}

/// Connects once and waits for a greeting (RFC 959 §5.4) — for implicit FTPS after the TLS
/// handshake, which a server that hangs does not finish either.
pub async fn probe_liveness(cfg: &ExecConfig) -> Liveness {
    let wait = cfg.timeout;
    match tls::open(cfg, Recorder::new()).await {
        // No local port to connect from says nothing about the target: never a crash.
        Err(e) if e.is_local_port_shortage() => Liveness::Alive,
        Err(SessionError::Connect { .. }) => Liveness::Refused,
        Err(SessionError::Timeout { .. }) => Liveness::Silent,
        // Connected, and the TLS handshake failed (implicit FTPS): the server is there.
        Err(SessionError::Tls { .. }) => Liveness::Alive,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Target;
    use std::net::SocketAddr;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// A peer that logs `anonymous` in with USER then PASS, and answers SYST with 215 when
    /// logged in — before login with 215 only if `syst_before_login`, else 530 (vsftpd 3.0.3).
    async fn peer(syst_before_login: bool) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            for _ in 0..4 {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 hi\r\n").await;
                    let mut logged_in = false;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let reply: &[u8] = match line.trim_end() {
                            l if l.starts_with("USER") => b"331 password\r\n",
                            l if l.starts_with("PASS") => {
                                logged_in = true;
                                b"230 in\r\n"
                            }
                            "SYST" if logged_in || syst_before_login => b"215 UNIX Type: L8\r\n",
                            "SYST" => b"530 Please login with USER and PASS.\r\n",
                            "QUIT" => b"221 bye\r\n",
                            _ => b"200 ok\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn probed(syst_before_login: bool) -> Sentinel {
        let addr = peer(syst_before_login).await;
        let target = Target::anonymous(vec![addr], "scripted");
        let probed = probe_sentinel(&ExecConfig::new(target, addr, Duration::from_secs(2))).await;
        assert!(
            probed.greeting.is_some_and(|g| !g.is_empty()),
            "the greeting's text"
        );
        probed.sentinel
    }

    #[tokio::test]
    async fn the_sentinel_probe_tells_a_target_that_refuses_syst_before_login() {
        assert_eq!(
            probed(false).await,
            Sentinel {
                logged_in: true,
                before_login: false
            }
        );
        assert_eq!(probed(true).await, Sentinel::ALWAYS);
    }

    #[tokio::test]
    async fn a_server_that_only_ever_says_120_gives_no_greeting() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            for _ in 0..1000 {
                if stream
                    .write_all(b"120 ready in 5 minutes\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        let target = Target::anonymous(vec![addr], "scripted");
        let cfg = ExecConfig::new(target, addr, Duration::from_secs(2));
        let mut c = tls::open(&cfg, Recorder::discarding())
            .await
            .expect("connect");
        match read_greeting(&mut c, cfg.timeout).await {
            Err(Unserved::NoGreeting(why)) => assert!(why.contains("repeated 120"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
