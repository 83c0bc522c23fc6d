//! Why a scenario stopped before its last step. These are values, not errors: a conformance
//! failure is the expected product of a conformance tool.

use crate::session::SessionError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The requirement did not hold at the step on `line`.
    Fail {
        line: usize,
        message: String,
        expected: String,
        actual: String,
    },
    /// The harness could not go on (it says nothing about conformance).
    Error(String),
    /// A precondition was not met.
    Skip(String),
}

impl Stop {
    pub fn fail(
        line: usize,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Stop {
        Stop::Fail {
            line,
            message: message.into(),
            expected: expected.into(),
            actual: actual.into(),
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
        Stop::fail(line, message, expected, actual)
    }
}
