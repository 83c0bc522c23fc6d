//! The Telnet bytes of the ABOR "special action" (RFC 959 §4.1.3, RFC 854).
//!
//! > ABORT (ABOR) … the Telnet "Interrupt Process" (IP) signal and the Telnet "Synch" signal
//! > \[are sent\] in the Telnet stream, \[then\] the ABOR command.
//!
//! The client writes `IAC IP IAC` in-band, then `DM` as TCP urgent data (the Synch), then
//! `ABOR\r\n`. A server reading with out-of-band inline sees `ff f4 ff f2 41 42 4f 52 0d 0a`.

/// Interpret As Command.
pub const IAC: u8 = 0xff;
/// Interrupt Process.
pub const IP: u8 = 0xf4;
/// Data Mark: the byte sent as TCP urgent data to form the Synch.
pub const DM: u8 = 0xf2;

/// The in-band bytes written before the urgent `DM`: `IAC IP IAC`.
pub const SPECIAL_ACTION_PREFIX: [u8; 3] = [IAC, IP, IAC];

/// Removes Telnet `IAC x` pairs (and `IAC IAC` → `IAC`) from a command line, as a server does
/// before parsing it. Pure; used by the reference server.
pub fn strip_telnet(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut bytes = line.iter().copied();
    while let Some(b) = bytes.next() {
        if b != IAC {
            out.push(b);
            continue;
        }
        // `IAC IAC` is a literal 0xff; `IAC x` is a command, dropped whole.
        if let Some(IAC) = bytes.next() {
            out.push(IAC);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_special_action() {
        let line = [IAC, IP, IAC, DM, b'A', b'B', b'O', b'R'];
        assert_eq!(strip_telnet(&line), b"ABOR");
        assert_eq!(strip_telnet(&[b'a', IAC, IAC, b'b']), [b'a', IAC, b'b']);
    }
}
