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
        check_verb(verb)?;
        Ok(Command {
            verb: verb.to_owned(),
            arg: None,
        })
    }

    /// A command with an argument (`EPRT |1|127.0.0.1|6275|`). Refuses CR or LF in the argument.
    ///
    /// RFC 959 §4.1.3: "The argument field consists of a variable length character string ending
    /// with the character sequence \<CRLF>" — a CR or LF inside would end the command early and
    /// start another. Spaces are allowed (pathnames may contain them), and so is an empty
    /// argument, which encodes as `VERB SP CRLF`.
    pub fn with_arg(verb: &str, arg: &str) -> Result<Command, CommandError> {
        check_verb(verb)?;
        if arg.bytes().any(is_line_break) {
            return Err(CommandError::LineBreakInArgument);
        }
        Ok(Command {
            verb: verb.to_owned(),
            arg: Some(arg.to_owned()),
        })
    }

    pub fn verb(&self) -> &str {
        &self.verb
    }

    pub fn arg(&self) -> Option<&str> {
        self.arg.as_deref()
    }

    /// Appends the wire form, CRLF included, to `out`.
    ///
    /// RFC 959 §5.3: "The command codes themselves are alphabetic characters terminated by the
    /// character \<SP> (Space) if parameters follow and the Telnet-EOL otherwise."
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.verb.as_bytes());
        if let Some(arg) = &self.arg {
            out.push(b' ');
            out.extend_from_slice(arg.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
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
///
/// Telnet IAC sequences are not stripped: this is the plain bytes, as sent.
pub fn verb_of(line: &[u8]) -> Vec<u8> {
    let end = line
        .iter()
        .position(|&b| b == b' ' || is_line_break(b))
        .unwrap_or(line.len());
    line[..end].to_ascii_uppercase()
}

fn is_line_break(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// A verb is a non-empty token with no SP, CR or LF: anything else would change where the
/// server sees the verb end.
fn check_verb(verb: &str) -> Result<(), CommandError> {
    if verb.is_empty() || verb.bytes().any(|b| b == b' ' || is_line_break(b)) {
        return Err(CommandError::BadVerb);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_verb_and_argument() {
        assert_eq!(Command::new("PASV").unwrap().to_bytes(), b"PASV\r\n");
        let eprt = Command::with_arg("EPRT", "|1|127.0.0.1|6275|").unwrap();
        assert_eq!(eprt.to_bytes(), b"EPRT |1|127.0.0.1|6275|\r\n");
        assert_eq!(eprt.verb(), "EPRT");
        assert_eq!(eprt.arg(), Some("|1|127.0.0.1|6275|"));
        assert_eq!(eprt.to_string(), "EPRT |1|127.0.0.1|6275|");
        assert_eq!(Command::new("NOOP").unwrap().arg(), None);
    }

    #[test]
    fn encode_appends() {
        let mut out = b"x".to_vec();
        Command::with_arg("RETR", "a file.txt")
            .unwrap()
            .encode(&mut out);
        assert_eq!(out, b"xRETR a file.txt\r\n");
        assert_eq!(
            Command::with_arg("EPSV", "").unwrap().to_bytes(),
            b"EPSV \r\n"
        );
    }

    #[test]
    fn refuses_bad_verbs() {
        for bad in ["", "PA SV", "PASV\r", "PASV\n", "\r\nPASV", " "] {
            assert_eq!(Command::new(bad), Err(CommandError::BadVerb), "{bad:?}");
            assert_eq!(
                Command::with_arg(bad, "x"),
                Err(CommandError::BadVerb),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn refuses_line_breaks_in_argument() {
        for bad in ["a\r\nDELE x", "a\n", "\r", "x\ry"] {
            assert_eq!(
                Command::with_arg("RETR", bad),
                Err(CommandError::LineBreakInArgument),
                "{bad:?}"
            );
        }
        assert!(Command::with_arg("STOR", "has spaces and \t tab").is_ok());
    }

    #[test]
    fn verb_of_lines() {
        assert_eq!(verb_of(b"pass secret\r\n"), b"PASS");
        assert_eq!(verb_of(b"Pass\r\n"), b"PASS");
        assert_eq!(verb_of(b"NOOP"), b"NOOP");
        assert_eq!(verb_of(b"epsv\nall"), b"EPSV");
        assert_eq!(verb_of(b" PASS x"), b"");
        assert_eq!(verb_of(b""), b"");
        assert_eq!(verb_of(b"\xffPASS x"), b"\xffPASS");
        assert_eq!(verb_of(b"x\x00y z"), b"X\x00Y");
    }

    #[test]
    fn raw_line_keeps_bytes() {
        let raw = RawLine(b"EPRT \x00|1|\r".to_vec());
        assert_eq!(raw.0, b"EPRT \x00|1|\r");
    }
}
