//! Reply codes as an open newtype: every three-digit code a server sends survives into the report.

/// A three-digit FTP reply code (RFC 959 §4.2). Any value 100..=999 is representable (servers send
/// codes no RFC names); the named constants are the ones ftpspec reasons about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(pub u16);

impl ReplyCode {
    pub const RESTART_MARKER: ReplyCode = ReplyCode(110);
    pub const DATA_ALREADY_OPEN: ReplyCode = ReplyCode(125);
    pub const FILE_STATUS_OK: ReplyCode = ReplyCode(150);
    pub const OK: ReplyCode = ReplyCode(200);
    pub const SYSTEM_STATUS: ReplyCode = ReplyCode(211);
    pub const SYSTEM_TYPE: ReplyCode = ReplyCode(215);
    pub const READY: ReplyCode = ReplyCode(220);
    pub const CLOSING: ReplyCode = ReplyCode(221);
    pub const DATA_OPEN_NO_TRANSFER: ReplyCode = ReplyCode(225);
    pub const CLOSING_DATA: ReplyCode = ReplyCode(226);
    pub const PASSIVE: ReplyCode = ReplyCode(227);
    /// RFC 2428 §3: "Entering Extended Passive Mode".
    pub const EXTENDED_PASSIVE: ReplyCode = ReplyCode(229);
    pub const LOGGED_IN: ReplyCode = ReplyCode(230);
    pub const FILE_ACTION_OK: ReplyCode = ReplyCode(250);
    pub const PATHNAME_CREATED: ReplyCode = ReplyCode(257);
    pub const NEED_PASSWORD: ReplyCode = ReplyCode(331);
    pub const NOT_AVAILABLE: ReplyCode = ReplyCode(421);
    pub const CANT_OPEN_DATA: ReplyCode = ReplyCode(425);
    pub const TRANSFER_ABORTED: ReplyCode = ReplyCode(426);
    pub const FILE_UNAVAILABLE_BUSY: ReplyCode = ReplyCode(450);
    pub const SYNTAX_ERROR: ReplyCode = ReplyCode(500);
    pub const SYNTAX_ERROR_ARGS: ReplyCode = ReplyCode(501);
    pub const NOT_IMPLEMENTED: ReplyCode = ReplyCode(502);
    pub const BAD_SEQUENCE: ReplyCode = ReplyCode(503);
    pub const NOT_IMPLEMENTED_FOR_PARAM: ReplyCode = ReplyCode(504);
    /// RFC 2428 §2: "Extended Port Failure - unknown network protocol".
    pub const UNKNOWN_PROTOCOL: ReplyCode = ReplyCode(522);
    pub const NOT_LOGGED_IN: ReplyCode = ReplyCode(530);
    pub const FILE_UNAVAILABLE: ReplyCode = ReplyCode(550);

    /// The first digit: 1 preliminary, 2 completion, 3 intermediate, 4 transient, 5 permanent.
    pub fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// The second digit: 0 syntax, 1 information, 2 connections, 3 authentication, 5 file system.
    pub fn category(self) -> u8 {
        ((self.0 / 10) % 10) as u8
    }

    /// Builds a code from exactly three ASCII digits. Any digits are kept (an out-of-range first
    /// digit is the reply checker's business, not a reason to lose the code).
    pub fn from_digits(digits: &[u8]) -> Option<ReplyCode> {
        match digits {
            [a @ b'0'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(ReplyCode(
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
            )),
            _ => None,
        }
    }

    pub fn is_positive_preliminary(self) -> bool {
        self.class() == 1
    }
    pub fn is_positive_completion(self) -> bool {
        self.class() == 2
    }
    pub fn is_negative(self) -> bool {
        self.class() >= 4
    }
}

impl std::fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_and_class() {
        let code = ReplyCode::from_digits(b"522").unwrap();
        assert_eq!(code, ReplyCode::UNKNOWN_PROTOCOL);
        assert_eq!(code.class(), 5);
        assert_eq!(code.category(), 2);
        assert_eq!(ReplyCode::from_digits(b"699"), Some(ReplyCode(699)));
        assert_eq!(ReplyCode::from_digits(b"20"), None);
        assert_eq!(ReplyCode::from_digits(b"2a0"), None);
        assert_eq!(ReplyCode(42).to_string(), "042");
    }
}
