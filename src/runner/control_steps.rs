//! Steps about the control connection itself and the block that looks at its replies:
//! `if reply`, `reconnect`, `send-long`, `expect close`.

use super::connection::{connect_control, quit, set_client_vars};
use super::exec::ScenarioRun;
use super::expect;
use super::stop::Stop;
use crate::session::SessionError;
use crate::session::transcript::Channel;
use crate::suite::{CodePattern, Step, Template};
use std::time::Duration;

/// Bytes of a `send-long` line kept in the transcript.
pub const SEND_LONG_SHOWN: usize = 64;

impl ScenarioRun<'_> {
    /// `if reply <codes>`: runs `then` when the last reply's code matches, else `otherwise`.
    pub(super) async fn if_reply(
        &mut self,
        codes: &[CodePattern],
        then: &[Step],
        otherwise: &[Step],
    ) -> Result<(), Stop> {
        let code = self
            .last_code
            .ok_or_else(|| Stop::Error("`if reply` before any reply was read".into()))?;
        let branch = match codes.iter().any(|c| c.matches(code)) {
            true => then,
            false => otherwise,
        };
        self.run_steps(branch).await
    }

    /// `reconnect`: QUIT (best effort), then a new control connection to the same address and
    /// its greeting. RFC 2428 §4: EPSV ALL holds for the rest of a session, so a new session is
    /// how a scenario starts afresh. Listeners and data streams stay; `${client.*}` follow the
    /// new connection. No greeting is an ERROR.
    pub(super) async fn reconnect(&mut self) -> Result<(), Stop> {
        quit(&mut self.ctrl, self.config.step_timeout).await;
        let addr = self.ctrl.peer();
        let ctrl = connect_control(addr, self.config, &self.recorder, self.own_tls)
            .await
            .map_err(|stop| match stop {
                Stop::Error(why) => Stop::Error(format!("reconnect: {why}")),
                other => other,
            })?;
        self.ctrl = ctrl;
        set_client_vars(&mut self.vars, &self.ctrl);
        Ok(())
    }

    /// `send-long VERB N`: `VERB `, N bytes of `A`, CRLF; the transcript keeps the first bytes.
    ///
    /// A server may stop reading or close part-way (a 421 after a line limit is fine: RFC 959
    /// §4.2 only asks for a reply), so a write that fails or stalls past the step timeout is
    /// recorded, not judged: the `expect` that follows judges what the server did.
    pub(super) async fn send_long(&mut self, verb: &Template, count: u32) -> Result<(), Stop> {
        let mut bytes = self.vars.render(verb).map_err(Stop::Error)?;
        bytes.push(b' ');
        bytes.resize(bytes.len() + count as usize, b'A');
        bytes.extend_from_slice(b"\r\n");
        let shown = compact(&bytes);
        let wait = self.config.step_timeout;
        let sent = tokio::time::timeout(wait, self.ctrl.send_as(&bytes, &shown)).await;
        let trouble = match sent {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => format!("the long line was not sent in full: {e}"),
            Err(_) => format!("the server stopped reading the long line (waited {wait:?})"),
        };
        self.recorder.event(Channel::Control, &trouble);
        Ok(())
    }

    /// `expect close`: the server must close the control connection, as after `421` ("Service
    /// not available, closing control connection", RFC 959 §4.2). EOF or a reset within the
    /// step timeout passes; a reply, other bytes or silence fails.
    /// `expect-silence MS`: no reply within MS milliseconds. A server that answers an unfinished
    /// line (no CRLF yet) has taken a TCP segment for a command (RFC 1123 §4.1.2.10).
    pub(super) async fn expect_silence(&mut self, line: usize, millis: u32) -> Result<(), Stop> {
        let window = Duration::from_millis(u64::from(millis));
        let expected = format!("no reply for {millis} ms");
        match self.ctrl.read_reply(window).await {
            Err(SessionError::Timeout { .. }) => Ok(()),
            Ok(reply) => Err(Stop::fail(
                line,
                "the server replied before the command line was complete",
                expected,
                expect::show(&reply),
            )),
            Err(e) => Err(Stop::from_reply_error(line, &expected, e)),
        }
    }

    pub(super) async fn expect_close(&mut self, line: usize) -> Result<(), Stop> {
        let expected = "the server closes the control connection";
        match self.ctrl.read_reply(self.config.step_timeout).await {
            Err(SessionError::Closed { .. } | SessionError::Io { .. }) => Ok(()),
            Ok(reply) => Err(Stop::fail(
                line,
                "the server replied instead of closing the control connection",
                expected,
                expect::show(&reply),
            )),
            Err(SessionError::Timeout { timeout, .. }) => Err(Stop::fail(
                line,
                format!("the control connection is still open after {timeout:?}"),
                expected,
                "still open",
            )),
            Err(e) => Err(Stop::fail(
                line,
                "the server sent bytes instead of closing the control connection",
                expected,
                e.to_string(),
            )),
        }
    }
}

/// A long line as the transcript keeps it: its first bytes, then `... (N bytes in all)`.
fn compact(bytes: &[u8]) -> Vec<u8> {
    if bytes.len() <= SEND_LONG_SHOWN {
        return bytes.to_vec();
    }
    let mut shown = bytes[..SEND_LONG_SHOWN].to_vec();
    shown.extend_from_slice(format!("... ({} bytes in all)", bytes.len()).as_bytes());
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_shown_compactly() {
        let mut line = b"NOOP ".to_vec();
        line.resize(10_005, b'A');
        line.extend_from_slice(b"\r\n");
        let shown = compact(&line);
        assert!(shown.starts_with(b"NOOP AAAA"));
        assert!(shown.ends_with(b"AAA... (10007 bytes in all)"));
        assert_eq!(
            shown.len(),
            SEND_LONG_SHOWN + b"... (10007 bytes in all)".len()
        );
        assert_eq!(compact(b"NOOP A\r\n"), b"NOOP A\r\n");
    }
}
