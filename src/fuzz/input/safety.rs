//! What the fuzzer will and will not do to a server's files. A campaign may run overnight
//! against an account that can write, so:
//!
//! - it writes only names of its own: `ftpspec-fuzz-<token>…` and, for path-traversal probes,
//!   `../ftpspec-traversal-<token>` — `<token>` random per process, so no name can be a file
//!   that already exists (a traversal probe never names `/etc/passwd`, even to read it);
//! - every line it sends passes [`may_send`]: a command that changes files (STOR, DELE, RNTO,
//!   …, also when random bytes happen to form one after a CR or LF) whose argument is not one
//!   of those names has its first byte replaced by `X`, so the server sees an unknown verb;
//! - by the same filter, a PORT, LPRT or EPRT that could make the server connect anywhere but
//!   loopback or ftpspec's own address is never sent: fuzzing sends traffic to loopback and the
//!   target only, also through the target;
//! - what it stored is deleted when the campaign ends (`campaign::cleanup`), best effort.

use crate::proto::telnet::strip_telnet;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::OnceLock;

/// The prefix of every name the fuzzer writes.
pub const UPLOAD_PREFIX: &str = "ftpspec-fuzz-";
/// The prefix of every path-traversal probe (one level up, a name of its own).
pub const TRAVERSAL_PREFIX: &str = "../ftpspec-traversal-";

/// Commands that change the server's files (RFC 959 §4.1.3, RFC 3659 §3, RFC 775 `X…`), or
/// whose effect the fuzzer cannot bound (`SITE`). Only with one of the fuzzer's names.
const WRITE_VERBS: &[&[u8]] = &[
    b"STOR", b"APPE", b"DELE", b"RMD", b"XRMD", b"MKD", b"XMKD", b"RNFR", b"RNTO", b"SITE",
    b"MFMT", b"MFCT", b"MFF",
];
/// `STOU` stores under a name the server picks, which the fuzzer could not clean up: never.
const NEVER_VERBS: &[&[u8]] = &[b"STOU"];

/// Eight hex digits, random per process.
pub fn token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(u64::from(std::process::id()));
        format!("{:08x}", h.finish() as u32)
    })
}

/// `ftpspec-fuzz-<token><suffix>`: a name the fuzzer may write. The suffix keeps only
/// `[A-Za-z0-9._-]` (anything else becomes `_`), so it cannot leave the directory.
pub fn upload_name(suffix: &[u8]) -> Vec<u8> {
    let mut name = format!("{UPLOAD_PREFIX}{}", token()).into_bytes();
    name.extend(suffix.iter().map(|&b| match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' => b,
        _ => b'_',
    }));
    name
}

/// `../ftpspec-traversal-<token>`: a traversal probe that names no file that may exist.
pub fn traversal_name() -> Vec<u8> {
    format!("{TRAVERSAL_PREFIX}{}", token()).into_bytes()
}

/// True when `arg` is one of the fuzzer's own names (from this process or an earlier one: a
/// replayed finding carries its campaign's token), in bytes the cleanup can name again:
/// `[A-Za-z0-9._-]` after the prefix. A name with a CR, LF or byte above 0x7f in it would be
/// stored by some servers and could not be deleted by a `DELE` line.
pub fn is_ours(arg: &[u8]) -> bool {
    let rest = arg
        .strip_prefix(UPLOAD_PREFIX.as_bytes())
        .or_else(|| arg.strip_prefix(TRAVERSAL_PREFIX.as_bytes()));
    rest.is_some_and(|r| {
        r.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    })
}

/// [`may_send`], for a segment that `crlf` says was ended by CRLF or not: a command that
/// changes files is sent only when it is, because a server that ends a command only at CRLF
/// reads the bytes after a bare CR or LF as more of the name (pyftpdlib stored
/// `ftpspec-traversal-…\nNLST`, which no `DELE` can name).
pub fn may_send_ended(segment: &[u8], client: IpAddr, crlf: bool) -> bool {
    may_send(segment, client) && (crlf || !changes_files(segment))
}

/// The segment's verb is one of [`WRITE_VERBS`] or [`NEVER_VERBS`].
fn changes_files(segment: &[u8]) -> bool {
    let (verb, _) = verb_and_arg(segment);
    WRITE_VERBS.contains(&verb.as_slice()) || NEVER_VERBS.contains(&verb.as_slice())
}

/// The upper-cased verb and the argument of a command line, as a server may read them:
/// Telnet commands removed, leading blanks (and NULs) skipped, the argument without its
/// leading spaces.
fn verb_and_arg(segment: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let line = strip_telnet(segment);
    let start = line
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | 0))
        .unwrap_or(line.len());
    let line = &line[start..];
    let verb_end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    let verb = line[..verb_end].to_ascii_uppercase();
    let arg = line.get(verb_end + 1..).unwrap_or_default();
    let arg = arg[arg.iter().position(|&b| b != b' ').unwrap_or(arg.len())..].to_vec();
    (verb, arg)
}

/// True when the command line `segment` (one line as a server reads it, without its line end)
/// may be sent: it changes files only under one of the fuzzer's names, and it names no data
/// address but loopback or `client` (ftpspec's own). Telnet commands are removed first and
/// leading blanks skipped, as a server may do before it reads the verb.
pub fn may_send(segment: &[u8], client: IpAddr) -> bool {
    let (verb, arg) = verb_and_arg(segment);
    let arg = arg.as_slice();
    match verb.as_slice() {
        v if NEVER_VERBS.contains(&v) => false,
        v if WRITE_VERBS.contains(&v) => is_ours(arg),
        b"PORT" => numbers_are_local(&numbers(arg), client),
        b"LPRT" => lprt_is_local(&numbers(arg), client),
        b"EPRT" => eprt_is_local(arg, client),
        _ => true,
    }
}

/// The runs of ASCII digits in `arg`, as written (`"127,000,0,1"` → `127`, `000`, `0`, `1`).
fn numbers(arg: &[u8]) -> Vec<&[u8]> {
    arg.split(|b| !b.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect()
}

/// Whether the first four digit runs of a host-port name loopback or `client`. Fewer than four
/// name no address. Judged on the digits as written, so that no server's reading of them
/// (octal for a leading zero, a byte kept modulo 256) can reach further: the first must be
/// exactly `127` — then any reading is in 127/8 — or all four must be `client`'s octets.
fn numbers_are_local(runs: &[&[u8]], client: IpAddr) -> bool {
    if runs.len() < 4 {
        return true;
    }
    // 0.0.0.0 reaches this host, where it reaches anything (the IPv6 placeholder of PORT).
    if runs[0] == b"127" || runs[..4].iter().all(|r| *r == b"0") {
        return true;
    }
    match client {
        IpAddr::V4(c) => c
            .octets()
            .iter()
            .zip(&runs[..4])
            .all(|(o, r)| r == &o.to_string().as_bytes()),
        IpAddr::V6(_) => false,
    }
}

/// `LPRT af,hal,h1,…,pal,p1,…` (RFC 1639 §2): family 4 as PORT; family 6 only `::1` written as
/// fifteen `0` and a `1`; any other family names nothing a server could reach.
fn lprt_is_local(runs: &[&[u8]], client: IpAddr) -> bool {
    match runs.first().copied() {
        Some(b"4") => numbers_are_local(runs.get(2..).unwrap_or_default(), client),
        Some(b"6") if runs.len() >= 18 => {
            runs[2..17].iter().all(|r| *r == b"0") && runs[17] == b"1"
        }
        Some(b"6") => true,
        _ => true,
    }
}

/// `EPRT |af|addr|port|` (RFC 2428 §2): the address field, whatever the delimiter and family,
/// must be loopback or `client` when it reads as an address, and must not hold four digit
/// runs that could (a lenient server may read `10.0.0.1x`).
fn eprt_is_local(arg: &[u8], client: IpAddr) -> bool {
    let Some(&delimiter) = arg.first() else {
        return true;
    };
    let field = arg[1..]
        .split(|&b| b == delimiter)
        .nth(1)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(field);
    match text.trim().parse::<IpAddr>() {
        Ok(ip) => is_local(ip, client),
        Err(_) => numbers_are_local(&numbers(field), client),
    }
}

/// Loopback (127/8, `::1`, `::ffff:127.x.y.z`), unspecified (this host), or ftpspec's own
/// address.
fn is_local(ip: IpAddr, client: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    ip.is_loopback() || ip.is_unspecified() || ip == client
}

/// True for the bytes that end a command line for some server (RFC 959 §4.1 says CRLF; some
/// servers end a line at a bare LF or CR, so both count here).
pub fn is_line_end(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn writes_are_ours(line: &[u8]) -> bool {
        may_send(line, CLIENT)
    }

    #[test]
    fn data_addresses_stay_on_loopback_or_the_client() {
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        for ok in [
            &b"PORT 127,0,0,1,4,1"[..],
            b"PORT 127,000,0,1,4,1",
            b"PORT 1,2",
            b"PORT 0,0,0,0,4,1",
            b"PORT garbage",
            b"EPRT |1|127.0.0.2|6446|",
            b"EPRT |2|::1|6446|",
            b"EPRT |2|::ffff:127.0.0.1|6446|",
            b"EPRT #1#127.0.0.1#6446#",
            b"EPRT |1||6446|",
            b"EPRT |1|localhost|6446|",
            b"EPRT",
            b"LPRT 4,4,127,0,0,1,2,4,1",
            b"LPRT 6,16,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,4,1",
        ] {
            assert!(may_send(ok, CLIENT), "{:?}", String::from_utf8_lossy(ok));
        }
        for bad in [
            &b"PORT 10,0,0,1,4,1"[..],
            b"PORT 0127,0,0,1,4,1",
            b"PORT 383,0,0,1,4,1",
            b"PORT 00,0,0,0,4,1",
            b"port 8,8,8,8,0,53",
            b"EPRT |1|10.0.0.1|6446|",
            b"EPRT |1|10.0.0.1x|6446|",
            b"EPRT |2|2001:db8::1|6446|",
            b"EPRT #1#8.8.8.8#53#",
            b"LPRT 4,4,10,0,0,1,2,4,1",
            b"LPRT 6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,4,1",
        ] {
            assert!(!may_send(bad, CLIENT), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(may_send(b"PORT 192,168,1,20,4,1", lan));
        assert!(may_send(b"EPRT |1|192.168.1.20|6446|", lan));
        assert!(!may_send(b"PORT 192,168,1,21,4,1", lan));
    }

    #[test]
    fn only_the_fuzzers_names_may_be_written() {
        let ours = String::from_utf8(upload_name(b".bin")).unwrap();
        assert!(ours.starts_with("ftpspec-fuzz-") && ours.ends_with(".bin"));
        assert!(writes_are_ours(format!("STOR {ours}").as_bytes()));
        assert!(writes_are_ours(b"STOR ../ftpspec-traversal-1234abcd"));
        assert!(
            writes_are_ours(b"RETR ../../../etc/passwd"),
            "reading is not writing"
        );
        assert!(writes_are_ours(b"NOOP"));
        for bad in [
            &b"STOR ../../../etc/passwd"[..],
            b"stor hello.txt",
            b"  DELE hello.txt",
            b"ST\xff\xf1OR x",
            b"RNTO x",
            b"STOU",
            b"STOU ftpspec-fuzz-x",
            b"SITE CHMOD 777 x",
            b"STOR",
            b"STOR ftpspec-fuzz-1234abcd\xfb\0",
            b"STOR ../ftpspec-traversal-1234abcd/../../x",
        ] {
            assert!(!writes_are_ours(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn a_write_is_sent_only_when_crlf_ends_it() {
        let stor = b"STOR ftpspec-fuzz-1234abcd";
        assert!(may_send_ended(stor, CLIENT, true));
        assert!(
            !may_send_ended(stor, CLIENT, false),
            "a server ending lines at CRLF only would store more than the name"
        );
        assert!(may_send_ended(b"NOOP", CLIENT, false));
    }

    #[test]
    fn suffixes_cannot_leave_the_directory() {
        let name = upload_name(b"/../x y");
        assert!(!name.contains(&b'/') && !name.contains(&b' '));
        assert!(traversal_name().starts_with(b"../ftpspec-traversal-"));
        assert_eq!(token().len(), 8);
        assert_eq!(token(), token());
    }
}
