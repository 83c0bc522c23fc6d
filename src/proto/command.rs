//! Commands as they go on the wire (RFC 959 §4.1, §5.3).
//!
//! [`Command`] is the typed form: a verb and an optional argument, with CR and LF refused inside
//! either, so a typed command can never smuggle a second command. [`RawLine`] is the escape hatch
//! that scenarios and the fuzzer use to send any bytes on purpose.

/// Why a typed command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("command verb is empty or contains a space, CR or LF")]
    BadVerb,
    #[error("command argument contains CR or LF")]
    LineBreakInArgument,
}

/// A typed command: `VERB` or `VERB SP argument`, encoded with a trailing CRLF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    verb: String,
    arg: Option<String>,
}

impl Command {
    /// A command without argument (`PASV`). Refuses an empty verb or one with SP, CR or LF.
    pub fn new(verb: &str) -> Result<Command, CommandError> {
        let _ = verb;
        todo!()
    }

    /// A command with an argument (`EPRT |1|127.0.0.1|6275|`). Refuses CR or LF in the argument.
    pub fn with_arg(verb: &str, arg: &str) -> Result<Command, CommandError> {
        let _ = (verb, arg);
        todo!()
    }

    pub fn verb(&self) -> &str {
        &self.verb
    }

    pub fn arg(&self) -> Option<&str> {
        self.arg.as_deref()
    }

    /// Appends the wire form, CRLF included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }

    /// The wire bytes, CRLF included.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Displays the wire form without CRLF.
impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.arg {
            Some(arg) => write!(f, "{} {}", self.verb, arg),
            None => f.write_str(&self.verb),
        }
    }
}

/// Bytes sent exactly as given: no CRLF added, nothing checked. For malformed input on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine(pub Vec<u8>);

/// The verb of a line as a server would see it: bytes up to the first SP or CR/LF, upper-cased
/// (RFC 959 §5.3: commands are case-insensitive). Used to recognise `PASS` for redaction.
pub fn verb_of(line: &[u8]) -> Vec<u8> {
    let _ = line;
    todo!()
}
