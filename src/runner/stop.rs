//! Why a scenario stopped before its last step. These are values, not errors: a conformance
//! failure is the expected product of a conformance tool.

use crate::session::SessionError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The requirement did not hold at a step that checks it.
    Fail(Box<Broken>),
    /// A step that only sets the stage (a `setup` block, the transfer command of `transfer`)
    /// failed: the requirement was never exercised, so this says nothing about it.
    Blocked(Box<Broken>),
    /// The harness could not go on (it says nothing about conformance).
    Error(String),
    /// A precondition was not met.
    Skip(String),
}

/// What broke at one step: where, what was expected and seen, and what kind of check it was
/// (failures with the same check, command and reply are one cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The step's line in its scenario file.
    pub line: usize,
    pub message: String,
    pub expected: String,
    pub actual: String,
    /// What was checked, as a stable word: `reply code`, `as protocols`, `reply`, `accept`…
    /// `None` until the runner fills in the step's keyword.
    pub check: Option<&'static str>,
    /// The verb of the last command sent before the step (`EPRT`), when there was one.
    pub command: Option<String>,
    /// That command line as sent (escaped, without CRLF, shortened), for the `covers` lookup:
    /// `EPSV ALL` is covered by another scenario than `EPSV`.
    pub sent: Option<String>,
}

/// The check of a failed reply-code comparison; setup failures of this kind read "X was
/// answered …".
pub const CHECK_REPLY_CODE: &str = "reply code";

/// The check of a reply that never came, came malformed, or a connection that closed instead.
pub const CHECK_REPLY: &str = "reply";

impl Stop {
    pub fn fail(
        line: usize,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Stop {
        Stop::Fail(Box::new(Broken {
            line,
            message: message.into(),
            expected: expected.into(),
            actual: actual.into(),
            check: None,
            command: None,
            sent: None,
        }))
    }

    /// The same stop with its check named (for a `Fail` or `Blocked`).
    pub fn checking(mut self, check: &'static str) -> Stop {
        if let Some(b) = self.broken_mut() {
            b.check = Some(check);
        }
        self
    }

    /// A `Fail` becomes `Blocked`: it happened in a step that only sets the stage.
    pub fn into_blocked(self) -> Stop {
        match self {
            Stop::Fail(b) => Stop::Blocked(b),
            other => other,
        }
    }

    /// Fills in what the runner knows about the step that stopped: its keyword (when the step
    /// named no finer check) and the last command sent (its verb, and the line).
    pub fn at_step(
        mut self,
        keyword: &'static str,
        command: Option<&str>,
        sent: Option<&str>,
    ) -> Stop {
        if let Some(b) = self.broken_mut() {
            b.check.get_or_insert(keyword);
            if b.command.is_none() {
                b.command = command.map(str::to_string);
            }
            if b.sent.is_none() {
                b.sent = sent.map(str::to_string);
            }
        }
        self
    }

    fn broken_mut(&mut self) -> Option<&mut Broken> {
        match self {
            Stop::Fail(b) | Stop::Blocked(b) => Some(b),
            Stop::Error(_) | Stop::Skip(_) => None,
        }
    }

    /// A control-connection failure while waiting for a reply the scenario expects. Each case is
    /// a conformance failure: RFC 959 §4.2 — "Every command must generate at least one reply",
    /// and a reply must be well formed.
    pub fn from_reply_error(line: usize, expected: &str, err: SessionError) -> Stop {
        let (message, actual) = match &err {
            SessionError::Timeout { timeout, .. } => (
                format!(
                    "no reply within {timeout:?} (RFC 959 §4.2: every command must generate at least one reply)"
                ),
                "silence".to_string(),
            ),
            SessionError::Closed { .. } => (
                "the server closed the control connection instead of replying".to_string(),
                "connection closed".to_string(),
            ),
            SessionError::Malformed(e) => (
                format!(
                    "{e} (RFC 959 §4.2: a reply is a three-digit code, SP or hyphen, text, CRLF)"
                ),
                crate::session::transcript::escape_bytes(&e.raw),
            ),
            other => (
                format!("control connection failed: {other}"),
                other.to_string(),
            ),
        };
        Stop::fail(line, message, expected, actual).checking(CHECK_REPLY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_fills_in_only_what_is_missing() {
        let named = Stop::fail(3, "m", "e", "a")
            .checking(CHECK_REPLY_CODE)
            .at_step("expect", Some("EPRT"), Some("EPRT |1|x|"));
        let Stop::Fail(b) = named else { panic!() };
        assert_eq!(b.check, Some(CHECK_REPLY_CODE));
        assert_eq!(b.command.as_deref(), Some("EPRT"));
        assert_eq!(b.sent.as_deref(), Some("EPRT |1|x|"));
        let Stop::Fail(b) = Stop::fail(3, "m", "e", "a").at_step("accept", None, None) else {
            panic!()
        };
        assert_eq!((b.check, b.command), (Some("accept"), None));
    }

    #[test]
    fn only_failures_become_blocked() {
        assert!(matches!(
            Stop::fail(1, "m", "e", "a").into_blocked(),
            Stop::Blocked(_)
        ));
        assert_eq!(
            Stop::Skip("s".into()).into_blocked(),
            Stop::Skip("s".into())
        );
    }
}
