//! Bytes a peer sent, shown to people: one escaping for transcripts, reports and error
//! messages, lossless and printable, so the same bytes read the same everywhere.

/// Renders bytes as printable text: printable ASCII as is, `\r` `\n` `\t` `\\` escaped, anything
/// else as `\xHH`. Used by every reporter so that transcripts are unambiguous and lossless.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_lossless_and_printable() {
        assert_eq!(escape_bytes(b"EPRT |1|\x7f\r\n"), "EPRT |1|\\x7f\\r\\n");
        assert_eq!(escape_bytes(b"a\\b\0"), "a\\\\b\\x00");
    }
}
