//! Reading the replies a [`Ledger`] says are owed, on any control connection: the one loop
//! that both the network executor and the in-process driver run.
//!
//! RFC 959 §4.2: "Every command must generate at least one reply" — so a command whose reply
//! does not come ends the dialogue here, and the ledger records how. What only the network can
//! tell (is the server still alive?) is left to the caller: [`Stop::Silent`].

use crate::fuzz::exec::latency::Latency;
use crate::fuzz::exec::ledger::{Ledger, SENTINEL};
use crate::fuzz::exec::trace::NoReply;
use crate::session::{ControlConnection, SessionError};
use std::time::Duration;
use tokio::time::Instant;

/// Most replies taken as unsolicited after an operation.
const MAX_UNSOLICITED: usize = 8;

/// The least wait for a reply to USER, PASS or ACCT, whatever `--timeout` says: servers delay
/// a refused login by seconds on purpose (pyftpdlib 2.2.0: 3 s), and RFC 959 §4.1.1 sets no
/// time.
pub const LOGIN_WAIT: Duration = Duration::from_secs(5);

/// How long to wait, and for whom.
#[derive(Debug, Clone, Copy)]
pub struct Pace<'a> {
    /// How long a command's reply is waited for before it counts as missing.
    pub reply_wait: Duration,
    /// The longest wait of all (`--timeout`): for replies that may rightly be slow
    /// ([`Ledger::may_be_slow`]).
    pub full: Duration,
    /// How long a transfer nobody serves is watched for a prompt refusal (425, 550) before it
    /// counts as waiting for its data connection (stalled).
    pub look: Duration,
    /// The transfer the driver is serving now (its data connection is set up): waited for
    /// patiently.
    pub serving: Option<usize>,
    /// Where to report the target's reply time, and when the last bytes went out.
    pub latency: Option<(&'a Latency, Instant)>,
    /// The target is known to delay its replies to refused logins (see
    /// [`Latency::delays_logins`]): a USER, PASS or ACCT that a dialogue's operations sent gets
    /// only [`Pace::reply_wait`], and when its reply is later than that the dialogue ends
    /// inconclusive instead of waiting seconds for it. The dialogue's own login (with the
    /// target's credentials) is always waited for.
    pub cut_slow_logins: bool,
    /// The target answers the sentinel (see [`crate::fuzz::exec::ledger::SENTINEL`]): a late
    /// reply is followed by one, when the ledger allows.
    pub sentinel: bool,
    /// Waits are measured: an unserved transfer that has its 1xx is looked at only while
    /// [`Latency::looks_after_1xx`] says so (the latency of [`Pace::latency`] learns it).
    pub learn_1xx: bool,
}

/// The sentinel command line, CRLF-ended.
pub fn sentinel_line() -> Vec<u8> {
    let mut line = SENTINEL.to_vec();
    line.extend_from_slice(b"\r\n");
    line
}

/// Why reading stopped the dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// The trace's end is set.
    Ended,
    /// Command `cmd` got no reply (`how`): the caller finds out whether the target lives and
    /// tells [`Ledger::no_reply`].
    Silent { cmd: usize, how: NoReply },
}

/// Reads replies until no command waits for one — or, with `until`, until that transfer
/// command has its 1xx (then `Ok(true)`: the data phase comes next).
///
/// A transfer at the head that the driver does not serve (a stalled one, a bare RETR) gets
/// [`Pace::look`]: a server may rightly hold its reply until its own data timeout. If it does,
/// the transfer is marked stalled; from then on only replies that have already arrived are
/// read, so a late refusal still moves the queue on, but nothing waits on it — unless an ABOR
/// is owed replies. Afterwards, replies nobody is owed are attributed (see
/// [`Ledger::unsolicited`]).
pub async fn settle(
    ctrl: &mut ControlConnection,
    ledger: &mut Ledger,
    pace: &Pace<'_>,
    until: Option<usize>,
) -> Result<bool, Halt> {
    while let Some(head) = ledger.owed() {
        if let Some(cmd) = ledger.skipped() {
            return Err(Halt::Silent {
                cmd,
                how: NoReply::Skipped,
            });
        }
        let unserved = ledger.unserved(head, pace.serving);
        let cut = pace.cut_slow_logins && ledger.is_fuzzed_login(head);
        // Started and unserved: looked at only while the target may still answer there at
        // once (see `Latency::looks_after_1xx`).
        let started = ledger.started_unserved(head, pace.serving);
        let look_after_1xx = match (started, pace.latency) {
            (true, Some((latency, _))) if pace.learn_1xx => latency.looks_after_1xx(),
            (started, _) => started,
        };
        if started && !look_after_1xx {
            ledger.stall(head);
        }
        let read = if unserved && ledger.is_stalled(head) {
            match ctrl.try_read_reply() {
                Ok(Some(reply)) => Ok(reply),
                Ok(None) => return Ok(false),
                Err(e) => Err(e),
            }
        } else {
            // A transfer the driver serves gets its 1xx as promptly as any reply once its
            // data connection is set up; if it does not, the data setup went elsewhere (a
            // pipelined PASV announced a new port, say) and the dialogue is inconclusive.
            let wait = match unserved {
                true => pace.look,
                false if ledger.may_be_slow(head) && !cut => {
                    pace.full.max(pace.reply_wait).max(LOGIN_WAIT)
                }
                // A sentinel is owed: a server that keeps order answers at once, the line or
                // the sentinel — only a server that answers nothing makes this wait long.
                false if ledger.sentinel_owed() => pace.full,
                false => pace.reply_wait,
            };
            ctrl.read_reply(wait).await
        };
        match read {
            Err(SessionError::Timeout { .. }) if unserved => {
                ledger.stall(head);
                return Ok(false);
            }
            Err(SessionError::Timeout { .. }) if cut => {
                ledger.login_not_waited_for(head, pace.reply_wait);
                return Err(Halt::Ended);
            }
            // The reply is late: a sentinel behind it tells a slow reply (it comes first)
            // from none (the sentinel's comes first), where a timer could only guess.
            Err(SessionError::Timeout { .. })
                if pace.sentinel && ledger.may_send_sentinel(head) =>
            {
                ledger.sent_sentinel();
                if let Err(e) = ctrl.send(&sentinel_line()).await {
                    return match ledger.missing(head, e, pace.reply_wait) {
                        Some(how) => Err(Halt::Silent { cmd: head, how }),
                        None => Err(Halt::Ended),
                    };
                }
            }
            Ok(reply) => {
                let owner = ledger.owner_of(reply.code).unwrap_or(head);
                if let Some((latency, sent_at)) = pace.latency {
                    if look_after_1xx && owner == head && reply.code.class() != 1 {
                        latency.final_after_1xx_seen();
                    }
                    if ledger.is_fresh_reply(owner) {
                        latency.observe(sent_at.elapsed());
                    } else if ledger.may_be_slow(owner) && reply.code.class() != 1 {
                        latency.observe_login(sent_at.elapsed());
                    }
                }
                if ledger.reply(owner, &reply) && until == Some(owner) {
                    return Ok(true);
                }
            }
            Err(e) => {
                return match ledger.missing(head, e, pace.reply_wait) {
                    Some(how) => Err(Halt::Silent { cmd: head, how }),
                    None => Err(Halt::Ended),
                };
            }
        }
    }
    ledger.abort_answered();
    unsolicited(ctrl, ledger)?;
    Ok(false)
}

/// Replies already waiting that no command is owed, without waiting for more. A close seen
/// here came before anything sent next (see [`Ledger::peer_closed`]).
fn unsolicited(ctrl: &mut ControlConnection, ledger: &mut Ledger) -> Result<(), Halt> {
    for _ in 0..MAX_UNSOLICITED {
        match ctrl.try_read_reply() {
            Ok(None) => return Ok(()),
            Ok(Some(reply)) => ledger.unsolicited(&reply),
            Err(SessionError::Malformed(e)) => {
                ledger.malformed_unsolicited(e);
                return Err(Halt::Ended);
            }
            Err(SessionError::Closed { .. } | SessionError::Io { .. }) => {
                ledger.peer_closed();
                return Ok(());
            }
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::line::Values;
    use crate::session::Recorder;
    use std::net::{Ipv4Addr, SocketAddr};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A peer that answers every line with `200 ok`, after `delay`.
    fn peer(delay: Duration) -> ControlConnection {
        let (client, mut server) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            let mut buf = [0u8; 256];
            for _ in 0..16 {
                match server.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        tokio::time::sleep(delay).await;
                        let _ = server.write_all(b"200 ok\r\n").await;
                    }
                }
            }
        });
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 21));
        ControlConnection::over(client, addr, addr, Recorder::discarding())
    }

    fn pace() -> Pace<'static> {
        Pace {
            reply_wait: Duration::from_millis(50),
            look: Duration::from_millis(50),
            full: Duration::from_secs(3),
            serving: None,
            latency: None,
            cut_slow_logins: false,
            sentinel: false,
            learn_1xx: false,
        }
    }

    async fn settle_after(line: &[u8], delay: Duration) -> Result<bool, Halt> {
        let mut ctrl = peer(delay);
        let mut ledger = Ledger::new(Values {
            client_ip: Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        });
        ledger.sent(line);
        ctrl.send(line).await.expect("sent");
        settle(&mut ctrl, &mut ledger, &pace(), None).await
    }

    /// A peer that answers line by line: `answer(line)` gives the delay and the reply, or
    /// `None` to swallow the line.
    fn line_peer(answer: fn(&str) -> Option<(u64, &'static str)>) -> ControlConnection {
        use tokio::io::AsyncBufReadExt;
        let (client, server) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            let (r, mut w) = tokio::io::split(server);
            let mut lines = tokio::io::BufReader::new(r).lines();
            for _ in 0..16 {
                let Ok(Some(line)) = lines.next_line().await else {
                    return;
                };
                if let Some((ms, wire)) = answer(line.trim_end()) {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    let _ = w.write_all(wire.as_bytes()).await;
                }
            }
        });
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 21));
        ControlConnection::over(client, addr, addr, Recorder::discarding())
    }

    /// Logs in on `ctrl`, then sends `line` and settles at `pace`.
    async fn after_login(
        ctrl: &mut ControlConnection,
        line: &[u8],
        at: &Pace<'_>,
    ) -> (Ledger, Result<bool, Halt>) {
        let mut ledger = Ledger::new(Values {
            client_ip: Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        });
        ledger.trace.current_op = crate::fuzz::exec::trace::LOGIN_OP;
        ledger.sent(b"USER a\r\n");
        ctrl.send(b"USER a\r\n").await.expect("sent");
        assert_eq!(settle(ctrl, &mut ledger, at, None).await, Ok(false));
        ledger.trace.current_op = 0;
        ledger.sent(line);
        ctrl.send(line).await.expect("sent");
        let halt = settle(ctrl, &mut ledger, at, None).await;
        (ledger, halt)
    }

    fn swallows_eprt(line: &str) -> Option<(u64, &'static str)> {
        match line {
            "USER a" => Some((0, "230 in\r\n")),
            "SYST" => Some((0, "215 UNIX Type: L8\r\n")),
            l if l.starts_with("EPRT") => None,
            "STAT" => Some((300, "211 late but here\r\n")),
            "PASS wrong" => Some((3000, "530 no\r\n")),
            _ => Some((0, "200 ok\r\n")),
        }
    }

    /// vsftpd's `500 OOPS`: two replies to one line, then a close. The close is read before
    /// the next line goes out, so no later line can be blamed for it.
    #[tokio::test(start_paused = true)]
    async fn a_close_read_before_the_next_line_is_remembered() {
        async fn closed_before(sent: &[u8]) -> (Ledger, Option<usize>) {
            let (client, mut server) = tokio::io::duplex(4096);
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                let _ = server.read(&mut buf).await;
                let _ = server
                    .write_all(b"500 OOPS: one\r\n500 OOPS: two\r\n")
                    .await;
            });
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 21));
            let mut ctrl = ControlConnection::over(client, addr, addr, Recorder::discarding());
            let mut ledger = Ledger::new(Values {
                client_ip: Ipv4Addr::LOCALHOST.into(),
                data_port: 0,
            });
            ledger.sent(sent);
            ctrl.send(sent).await.expect("sent");
            // Both replies and the close are there before settle looks.
            tokio::task::yield_now().await;
            let settled = settle(&mut ctrl, &mut ledger, &pace(), None).await;
            assert_eq!(settled, Ok(false));
            let at = ledger.trace.closed_before;
            (ledger, at)
        }
        let (ledger, at) = closed_before(b"PASV\r\n").await;
        assert_eq!(ledger.trace.commands[0].replies.len(), 2);
        assert_eq!(at, Some(1));
        // An unfinished line went out before the close was read: the server never had it
        // whole, so the close came before it too.
        let (ledger, at) = closed_before(b"PASV\r\n\r").await;
        assert_eq!(ledger.trace.commands.len(), 2);
        assert_eq!(at, Some(1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_sentinel_tells_a_swallowed_line_without_a_timer() {
        let with = Pace {
            sentinel: true,
            full: Duration::from_secs(600),
            ..pace()
        };
        let started = Instant::now();
        let mut ctrl = line_peer(swallows_eprt);
        let (ledger, halt) = after_login(&mut ctrl, b"EPRT |1|127.0.0.1|9|\r\n", &with).await;
        assert_eq!(
            halt,
            Err(Halt::Silent {
                cmd: 1,
                how: NoReply::Skipped
            })
        );
        assert!(started.elapsed() < Duration::from_secs(1), "no full wait");
        assert_eq!(ledger.trace.commands[2].verb, b"SYST");
        // Without the sentinel the same line costs the wait and is only a timeout.
        let mut ctrl = line_peer(swallows_eprt);
        let (_, halt) = after_login(&mut ctrl, b"EPRT |1|127.0.0.1|9|\r\n", &pace()).await;
        assert_eq!(
            halt,
            Err(Halt::Silent {
                cmd: 1,
                how: NoReply::Timeout
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_reply_overtaken_by_the_sentinel_is_still_the_line_s() {
        let with = Pace {
            sentinel: true,
            full: Duration::from_secs(600),
            ..pace()
        };
        let mut ctrl = line_peer(swallows_eprt);
        let (ledger, halt) = after_login(&mut ctrl, b"STAT\r\n", &with).await;
        assert_eq!(halt, Ok(false));
        let stat = &ledger.trace.commands[1];
        assert_eq!(stat.replies.first().map(|r| r.code.0), Some(211));
    }

    #[tokio::test(start_paused = true)]
    async fn a_delayed_refusal_of_a_fuzzed_login_is_not_waited_for_once_learnt() {
        let cut = Pace {
            cut_slow_logins: true,
            ..pace()
        };
        let started = Instant::now();
        let mut ctrl = line_peer(swallows_eprt);
        let (ledger, halt) = after_login(&mut ctrl, b"PASS wrong\r\n", &cut).await;
        assert_eq!(halt, Err(Halt::Ended));
        assert!(
            matches!(&ledger.trace.end, crate::fuzz::exec::trace::End::Inconclusive(why) if why.contains("refused logins")),
            "{:?}",
            ledger.trace.end
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        // Not learnt: the full wait, and the refusal is read.
        let mut ctrl = line_peer(swallows_eprt);
        let (ledger, halt) = after_login(&mut ctrl, b"PASS wrong\r\n", &pace()).await;
        assert_eq!(halt, Ok(false));
        assert_eq!(ledger.trace.commands[1].replies[0].code.0, 530);
    }

    /// A peer that logs in and answers LIST with 150 — then, after `refusal`, with 425 if
    /// given, else never (pyftpdlib 2.2.0 waits for a data connection nobody opens).
    fn started_transfer(refusal: Option<Duration>) -> ControlConnection {
        use tokio::io::AsyncBufReadExt;
        let (client, server) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            let (r, mut w) = tokio::io::split(server);
            let mut lines = tokio::io::BufReader::new(r).lines();
            for _ in 0..4 {
                let Ok(Some(line)) = lines.next_line().await else {
                    return;
                };
                if line != "LIST" {
                    let _ = w.write_all(b"230 in\r\n").await;
                    continue;
                }
                let _ = w.write_all(b"150 here it comes\r\n").await;
                if let Some(after) = refusal {
                    tokio::time::sleep(after).await;
                    let _ = w.write_all(b"425 no data connection\r\n").await;
                }
            }
            // Hold the connection open.
            let _ = lines.next_line().await;
        });
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 21));
        ControlConnection::over(client, addr, addr, Recorder::discarding())
    }

    #[tokio::test(start_paused = true)]
    async fn a_started_transfer_nobody_serves_is_looked_at_only_while_the_target_may_refuse_there()
    {
        use crate::fuzz::exec::latency::AFTER_1XX_TRIALS;
        // A target that waits after its 1xx: looked at for the first trials, then not at all.
        let latency = Latency::default();
        let learn = Pace {
            learn_1xx: true,
            latency: Some((&latency, Instant::now())),
            ..pace()
        };
        for n in 0..=AFTER_1XX_TRIALS {
            let mut ctrl = started_transfer(None);
            let started = Instant::now();
            let (ledger, halt) = after_login(&mut ctrl, b"LIST\r\n", &learn).await;
            assert_eq!(halt, Ok(false));
            assert!(ledger.is_stalled(1));
            let looked = started.elapsed() >= learn.look;
            assert_eq!(looked, n < AFTER_1XX_TRIALS, "transfer {n}");
        }
        // A target that refuses promptly after its 1xx: its refusal is read, and it stays
        // looked at.
        let latency = Latency::default();
        let learn = Pace {
            learn_1xx: true,
            latency: Some((&latency, Instant::now())),
            ..pace()
        };
        for _ in 0..=AFTER_1XX_TRIALS {
            let mut ctrl = started_transfer(Some(Duration::from_millis(10)));
            let (ledger, halt) = after_login(&mut ctrl, b"LIST\r\n", &learn).await;
            assert_eq!(halt, Ok(false));
            let codes: Vec<u16> = ledger.trace.commands[1]
                .replies
                .iter()
                .map(|r| r.code.0)
                .collect();
            assert_eq!(codes, [150, 425]);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_login_reply_gets_the_full_wait_and_a_slow_noop_does_not() {
        let slow = Duration::from_millis(1500);
        assert_eq!(settle_after(b"PASS secret\r\n", slow).await, Ok(false));
        assert_eq!(
            settle_after(b"NOOP\r\n", slow).await,
            Err(Halt::Silent {
                cmd: 0,
                how: NoReply::Timeout
            })
        );
    }
}
