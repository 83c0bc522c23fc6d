//! The words of FTP security (RFC 2228, RFC 4217): the TLS mode of a session, the AUTH
//! mechanism, the PBSZ argument and the PROT level. Sans-IO: parse and encode only.
//!
//! The wire, for an explicit session (RFC 4217 §4, §9, §12):
//!
//! ```text
//! C: AUTH TLS          S: 234 AUTH TLS successful   (then the TLS handshake)
//! C: PBSZ 0            S: 200 PBSZ=0
//! C: PROT P            S: 200 PROT now Private
//! ```

/// How a session gets TLS on its control connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// `AUTH TLS` after the greeting, then the handshake (RFC 4217 §4), usually on port 21:
    /// the `ftpes://` scheme.
    Explicit,
    /// TLS from the first byte, before the greeting, usually on port 990: the `ftps://` scheme.
    /// RFC 4217 does not define it (it describes only AUTH TLS), but servers and clients have
    /// long offered it (vsftpd `implicit_ssl`, curl's and FileZilla's `ftps://`).
    Implicit,
}

impl TlsMode {
    /// `explicit` or `implicit`, as on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Explicit => "explicit",
            TlsMode::Implicit => "implicit",
        }
    }
}

/// The AUTH mechanism names a TLS server accepts. RFC 4217 §4: "AUTH TLS"; `TLS-C` is the
/// same in drafts before it, and `SSL` is what older clients send (vsftpd, pyftpdlib and
/// MS-FTPS take it as a synonym).
pub fn is_tls_mechanism(arg: &[u8]) -> bool {
    ["TLS", "TLS-C", "SSL"]
        .iter()
        .any(|m| arg.eq_ignore_ascii_case(m.as_bytes()))
}

/// The PBSZ argument: "a decimal integer representing the maximum size, in bytes, of the
/// encoded data blocks" that fits in 32 bits (RFC 2228 §3); else `None` (501). RFC 4217 §9:
/// for TLS "the PBSZ command MUST still be issued, but must have a parameter of '0'".
pub fn parse_pbsz(arg: &[u8]) -> Option<u32> {
    if arg.is_empty() || !arg.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(arg).ok()?.parse().ok()
}

/// A data channel protection level (RFC 2228 §3, PROT). An open newtype over the letter, so
/// an unknown level stays representable (and is answered 504).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtLevel(pub u8);

impl ProtLevel {
    /// `C`: Clear, no protection — the default until PROT is given (RFC 4217 §9).
    pub const CLEAR: ProtLevel = ProtLevel(b'C');
    /// `S`: Safe (integrity only). RFC 4217 §9: not offered by TLS.
    pub const SAFE: ProtLevel = ProtLevel(b'S');
    /// `E`: Confidential. RFC 4217 §9: not offered by TLS.
    pub const CONFIDENTIAL: ProtLevel = ProtLevel(b'E');
    /// `P`: Private — the data connection is TLS (RFC 4217 §9).
    pub const PRIVATE: ProtLevel = ProtLevel(b'P');

    /// One letter, in either case (RFC 959 §5.3: arguments of this kind are case-insensitive);
    /// `None` when the argument is not a single letter.
    pub fn parse(arg: &[u8]) -> Option<ProtLevel> {
        match arg {
            [c] if c.is_ascii_alphabetic() => Some(ProtLevel(c.to_ascii_uppercase())),
            _ => None,
        }
    }

    /// True for the four levels RFC 2228 §3 defines (C, S, E, P).
    pub fn is_known(self) -> bool {
        [Self::CLEAR, Self::SAFE, Self::CONFIDENTIAL, Self::PRIVATE].contains(&self)
    }

    /// The level as on the wire: `P`.
    pub fn letter(self) -> char {
        char::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanisms() {
        assert!(is_tls_mechanism(b"TLS"));
        assert!(is_tls_mechanism(b"tls"));
        assert!(is_tls_mechanism(b"TLS-C"));
        assert!(is_tls_mechanism(b"SSL"));
        assert!(!is_tls_mechanism(b"GSSAPI"));
        assert!(!is_tls_mechanism(b"TLS "));
        assert!(!is_tls_mechanism(b""));
    }

    #[test]
    fn pbsz_is_a_32_bit_decimal() {
        assert_eq!(parse_pbsz(b"0"), Some(0));
        assert_eq!(parse_pbsz(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_pbsz(b"4294967296"), None);
        assert_eq!(parse_pbsz(b"-1"), None);
        assert_eq!(parse_pbsz(b"+1"), None);
        assert_eq!(parse_pbsz(b""), None);
        assert_eq!(parse_pbsz(b"0 "), None);
    }

    #[test]
    fn prot_levels() {
        assert_eq!(ProtLevel::parse(b"P"), Some(ProtLevel::PRIVATE));
        assert_eq!(ProtLevel::parse(b"c"), Some(ProtLevel::CLEAR));
        assert_eq!(ProtLevel::parse(b"X"), Some(ProtLevel(b'X')));
        assert!(!ProtLevel(b'X').is_known());
        assert!(ProtLevel::SAFE.is_known());
        assert_eq!(ProtLevel::parse(b"PP"), None);
        assert_eq!(ProtLevel::parse(b"1"), None);
        assert_eq!(ProtLevel::parse(b""), None);
        assert_eq!(ProtLevel::PRIVATE.letter(), 'P');
        assert_eq!(TlsMode::Implicit.name(), "implicit");
    }
}
