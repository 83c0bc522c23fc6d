//! Small lexical helpers shared by the codecs: strict decimals and safe display of peer bytes.

/// Parses 1..=`max_digits` ASCII digits as a decimal number; `None` for anything else (empty, a
/// sign, spaces, too many digits). Callers keep `max_digits` at 9 or below, so the value always
/// fits a `u32` and no overflow handling is needed.
pub(crate) fn parse_decimal(text: &[u8], max_digits: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max_digits.min(9) || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// Parses a TCP port as written in EPRT and 229: 1–5 ASCII digits, value 1–65535.
///
/// RFC 2428 §2: "The <tcp-port> argument must be the string representation of the number of the
/// TCP port on which the host is listening for the data connection." Port 0 names no listener.
pub(crate) fn parse_port(text: &[u8]) -> Option<u16> {
    parse_decimal(text, 5)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|&p| p != 0)
}

/// True for the bytes RFC 2428 §2 allows as a delimiter: "The delimiter character MUST be one of
/// the ASCII characters in range 33-126 inclusive."
pub(crate) fn is_delimiter(b: u8) -> bool {
    (33..=126).contains(&b)
}

/// Shows peer-controlled bytes in an error message: escaped, and cut short so a hostile peer
/// cannot make an error message grow without bound.
pub(crate) fn show(bytes: &[u8]) -> String {
    const MAX_SHOWN: usize = 64;
    let shown = &bytes[..bytes.len().min(MAX_SHOWN)];
    let mut s = format!("\"{}\"", super::escape_bytes(shown));
    if bytes.len() > MAX_SHOWN {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal(b"0", 3), Some(0));
        assert_eq!(parse_decimal(b"255", 3), Some(255));
        assert_eq!(parse_decimal(b"0255", 3), None);
        assert_eq!(parse_decimal(b"", 3), None);
        assert_eq!(parse_decimal(b"+1", 3), None);
        assert_eq!(parse_decimal(b"1 ", 3), None);
        assert_eq!(parse_decimal(b"999999999", 9), Some(999_999_999));
        // Never more than nine digits, whatever the caller asks for.
        assert_eq!(parse_decimal(b"9999999999", 12), None);
    }

    #[test]
    fn ports() {
        assert_eq!(parse_port(b"1"), Some(1));
        assert_eq!(parse_port(b"65535"), Some(65535));
        assert_eq!(parse_port(b"06446"), Some(6446));
        for bad in [
            &b"0"[..],
            b"00000",
            b"65536",
            b"99999",
            b"100000",
            b"-1",
            b"+80",
            b"abc",
            b"",
        ] {
            assert_eq!(
                parse_port(bad),
                None,
                "{:?}",
                bad.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn delimiters() {
        assert!(is_delimiter(b'!'));
        assert!(is_delimiter(b'|'));
        assert!(is_delimiter(b'~'));
        for bad in [b' ', 0x7f, 0, b'\t', 0x80, 0xff] {
            assert!(!is_delimiter(bad));
        }
    }

    #[test]
    fn show_is_bounded_and_escaped() {
        assert_eq!(show(b"a\r\n"), "\"a\\r\\n\"");
        assert!(show(&[b'x'; 10_000]).len() < 100);
    }
}
