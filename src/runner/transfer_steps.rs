//! The `transfer` step: the run's transfer command (NLST, LIST or RETR of `--file-small`, as
//! the preflight chose) carried over a data channel to its final reply.
//!
//! What it blames is split along the requirement a scenario checks with it — that a data
//! connection set up by EPRT, PORT, EPSV or PASV works:
//!
//! - the transfer command itself refused (any code but 1xx, 425 and 426: a 550 for a missing
//!   file, a 500 for a bare NLST) is **BLOCKED**: the command is only the means, and the
//!   preflight or `--transfer` said it works;
//! - 425 ("Can't open data connection") and 426 ("Connection closed; transfer aborted"), no
//!   connection from the server, a stream that never ends, silence and malformed replies are
//!   **FAIL**: they are what the data setup promised (RFC 959 §4.2 and §5.4).

use super::exec::{ScenarioRun, no_channel};
use super::expect;
use super::stop::{Broken, CHECK_REPLY_CODE, Stop};
use crate::proto::Reply;
use crate::suite::Template;

/// What a transfer's first reply allows: 125 or 150 before the data (RFC 959 §5.4).
const PRELIMINARY: &str = "125 150";
/// What a transfer's final reply must be: 226 or 250.
const FINAL: &str = "226 250";

impl ScenarioRun<'_> {
    pub(super) async fn transfer(
        &mut self,
        line: usize,
        channel: &str,
        from: Option<&Template>,
        allow_425: bool,
    ) -> Result<(), Stop> {
        let want_from = from.map(|t| self.render_ip(t)).transpose()?;
        let command = self.transfer_command(line)?;
        let stream_open = self.streams.contains_key(channel);
        if !stream_open && !self.listeners.contains_key(channel) {
            return Err(no_channel(channel));
        }
        self.send_line(format!("{command}\r\n").as_bytes()).await;
        let first = self.reply(line, PRELIMINARY).await?;
        match first.code.0 {
            100..=199 => {}
            425 if allow_425 => return Ok(()),
            425 | 426 => return Err(data_failure(line, &first, PRELIMINARY)),
            _ => return Err(refused(line, &command, &first, PRELIMINARY)),
        }
        let mut stream = match self.streams.remove(channel) {
            Some(stream) => stream,
            // The newest connection is this transfer's: a server that connects at PORT/EPRT
            // time (pyftpdlib) may have left one queued for an earlier setup on the listener.
            None => self.take_connection(line, channel, want_from, true).await?,
        };
        self.read_all(line, channel, &mut stream).await?;
        drop(stream);
        let last = self.reply(line, FINAL).await?;
        match last.code.0 {
            226 | 250 => Ok(()),
            425 | 426 => Err(data_failure(line, &last, FINAL)),
            _ => Err(refused(line, &command, &last, FINAL)),
        }
    }

    /// The next reply, remembered for `if reply` and `${reply.*}`; silence, a close or a
    /// malformed reply fail (RFC 959 §4.2).
    async fn reply(&mut self, line: usize, expected: &str) -> Result<Reply, Stop> {
        let reply = self
            .ctrl
            .read_reply(self.config.step_timeout)
            .await
            .map_err(|e| Stop::from_reply_error(line, expected, e))?;
        self.remember(&reply);
        Ok(reply)
    }
}

/// 425 or 426: the data connection the scenario set up did not work.
fn data_failure(line: usize, reply: &Reply, expected: &str) -> Stop {
    Stop::fail(
        line,
        format!("the data connection failed: {}", reply.code),
        expected,
        expect::show(reply),
    )
    .checking(CHECK_REPLY_CODE)
}

/// The transfer command itself was refused: BLOCKED, the data setup was not exercised.
fn refused(line: usize, command: &str, reply: &Reply, expected: &str) -> Stop {
    Stop::Blocked(Box::new(Broken {
        line,
        message: format!("{command} was answered {}", reply.code),
        expected: expected.to_string(),
        actual: expect::show(reply),
        check: Some(CHECK_REPLY_CODE),
        command: None,
        sent: None,
    }))
}
