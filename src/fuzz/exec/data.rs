//! The data-connection half of an execution (RFC 959 §3.2, RFC 2428 §3).
//!
//! Passive connections go to the control connection's peer address at the port a 227/229
//! named — never to an address a 227 names. Reads are bounded in bytes and time. A standalone
//! read or accept waits only while a transfer command is outstanding, so a dialogue that asks
//! for data nobody will send does not spend a timeout on it.

use crate::fuzz::exec::latency::Waits;
use crate::fuzz::exec::trace::{Act, Chan, DataEvent, End};
use crate::fuzz::exec::{Exec, Flow};
use crate::fuzz::input::dialogue::DataOp;
use crate::session::data::{IDLE_DATA, read_to_end_unless_idle, write_all};
use crate::session::{DataListener, DataStream, SessionError, connect_data};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// Most bytes read from one data connection.
pub const MAX_DATA: usize = 1024 * 1024;

/// The port thief's address (RFC 2577 §4).
pub const THIEF_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

impl Exec<'_> {
    pub(super) async fn data_op(&mut self, op: &DataOp) {
        let transfer_pending = self.ledger.transfer_pending();
        // A transfer nobody serves may never start: a short look is enough to see it did.
        let short = self.cfg.look();
        match op {
            DataOp::Connect { foreign } => self.connect(*foreign).await,
            DataOp::Accept if transfer_pending => self.accept(short).await,
            // The whole read is shorter than a reply's wait: it never gives up idle.
            DataOp::Read if transfer_pending => {
                let _ = self.read(short).await;
            }
            DataOp::Accept | DataOp::Read => {}
            DataOp::Write(bytes) => self.write(&bytes.0).await,
            DataOp::Close => self.close().await,
        }
    }

    /// Binds the active-mode listener on the control connection's local address, once.
    pub(super) async fn ensure_listener(&mut self) -> Flow {
        if self.listener.is_some() {
            return Ok(());
        }
        let ip = self.ctrl.local().ip();
        match DataListener::bind("data", ip, &self.recorder).await {
            Ok(l) => {
                self.ledger.trace.values.data_port = l.local_addr().port();
                self.listener = Some(l);
                self.ledger.trace.act(Act::Listen);
                Ok(())
            }
            Err(e) => {
                self.ledger.trace.end = End::Harness(e.to_string());
                Err(())
            }
        }
    }

    /// Connects to the last announced passive port, at the control peer's address.
    pub(super) async fn connect(&mut self, foreign: bool) {
        let Some(passive) = self.ledger.passive() else {
            return;
        };
        if foreign && !self.cfg.foreign_ok() {
            return;
        }
        let chan = if foreign { Chan::Thief } else { Chan::Passive };
        if foreign {
            self.ledger.foreign_connection();
        }
        let from = foreign.then_some(THIEF_IP);
        let peer = self.ctrl.peer().ip();
        let result = connect_data(
            chan.name(),
            peer,
            passive.port,
            from,
            self.cfg.timeout,
            &self.recorder,
        )
        .await;
        match result {
            Ok(stream) => {
                self.ledger.passive_connected();
                self.ledger.trace.act(Act::Connect {
                    chan,
                    via: passive.via,
                    ok: true,
                });
                self.data = Some((chan, self.data_stream(stream)));
            }
            // 127.0.0.2 is not usable here: nothing to test.
            Err(SessionError::Local { .. }) => {}
            Err(e) => {
                let act = self.ledger.trace.act(Act::Connect {
                    chan,
                    via: passive.via,
                    ok: false,
                });
                // RFC 2428 §3: the port a 229 names is the one the server listens on. Only a
                // port named by the reply just read counts: later commands may close it.
                let refused = matches!(e, SessionError::Connect { .. });
                if passive.fresh && refused && !e.is_local_port_shortage() {
                    self.ledger.trace.events.push(DataEvent::DeadPassivePort {
                        act,
                        port: passive.port,
                        code: passive.code,
                    });
                }
            }
        }
    }

    /// Waits up to `wait` for the server to connect to the listener.
    pub(super) async fn accept(&mut self, wait: Duration) {
        let Some(listener) = self.listener.as_ref() else {
            return;
        };
        if let Ok((stream, _from)) = listener.accept(wait, &self.recorder).await {
            self.ledger.trace.act(Act::Accept);
            self.data = Some((Chan::Active, self.data_stream(stream)));
        }
    }

    /// Takes the server's connection for the transfer being served (see
    /// [`DataListener::accept_newest`]). After the transfer's 1xx a server that connects at all
    /// does so at once; with measured waits it gets a reply's patience, not the full timeout,
    /// and a connection later than that is still taken by the kernel and served by nobody —
    /// the transfer then ends inconclusive, never as a finding.
    pub(super) async fn accept_newest(&mut self) {
        let Some(listener) = self.listener.as_ref() else {
            return;
        };
        let got = listener
            .accept_newest(self.cfg.reply_wait(), 8, &self.recorder)
            .await;
        if let Ok((stream, _from)) = got {
            self.ledger.trace.act(Act::Accept);
            self.data = Some((Chan::Active, self.data_stream(stream)));
        }
    }

    /// Reads the open data connection to EOF, waiting at most `wait`. A thief that receives
    /// data is an event.
    ///
    /// With measured waits, a plain data connection that stays idle — neither a byte nor its
    /// close — for a reply's wait is not read on: `Err`, and the caller ends the dialogue
    /// inconclusive. A server that serves a transfer sends as promptly as it answers;
    /// pyftpdlib 2.2.0 sent a listing and then held the connection open with no final reply
    /// (`125 Data connection already open`, in dialogues whose replies were already out of
    /// step), and reading it cost the full timeout. Full waits (confirmation, replay) read to
    /// the end; so does TLS, whose handshake comes first.
    pub(super) async fn read(&mut self, wait: Duration) -> Result<(), ()> {
        let Some((chan, mut stream)) = self.data.take() else {
            return Ok(());
        };
        let idle = match (&stream, self.cfg.waits) {
            (DataStream::Tcp(_), Waits::Measured) => self.cfg.reply_wait().min(wait),
            _ => wait,
        };
        let got = read_to_end_unless_idle(
            chan.name(),
            &mut stream,
            MAX_DATA,
            wait,
            idle,
            &self.recorder,
        )
        .await;
        if let Err(SessionError::Timeout {
            what: IDLE_DATA, ..
        }) = got
        {
            return Err(());
        }
        if let Ok(bytes) = got {
            let act = self.ledger.trace.act(Act::Read {
                chan,
                len: bytes.len(),
            });
            if chan == Chan::Thief && !bytes.is_empty() {
                self.ledger.trace.events.push(DataEvent::ForeignServed {
                    act,
                    bytes: bytes.len(),
                });
            }
        }
        Ok(())
    }

    pub(super) async fn write(&mut self, bytes: &[u8]) {
        let Some((chan, stream)) = self.data.as_mut() else {
            return;
        };
        let chan = *chan;
        let wrote = write_all(chan.name(), stream, bytes, self.cfg.timeout, &self.recorder).await;
        if wrote.is_ok() {
            self.ledger.trace.act(Act::Write {
                chan,
                bytes: bytes.to_vec(),
            });
        }
    }

    pub(super) async fn close(&mut self) {
        if let Some((chan, mut stream)) = self.data.take() {
            use tokio::io::AsyncWriteExt;
            let _ = stream.shutdown().await;
            self.ledger.trace.act(Act::Close { chan });
        }
    }
}
