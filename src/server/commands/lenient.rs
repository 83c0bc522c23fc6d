//! Deliberately lax readings of an EPRT or PORT argument, used only by the faults that name them.
//!
//! Each EPRT reading reuses the strict `proto` parser for everything but the one field the fault
//! stops checking, so a fault never loosens more than its description says.

use crate::proto::EprtArg;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

/// `port-lax-syntax`: one to six comma-separated decimal numbers, each taken mod 256, the
/// missing ones 0. `127,0,0,1,19` → 127.0.0.1:4864, `383,0,0,1,19,136` → 127.0.0.1:5000.
/// Anything but digits and commas (spaces, signs, empty fields) is still refused.
pub fn lax_host_port(arg: &[u8]) -> Option<SocketAddrV4> {
    let fields: Vec<&[u8]> = arg.split(|&b| b == b',').collect();
    if fields.len() > 6 {
        return None;
    }
    let mut bytes = [0u8; 6];
    for (slot, field) in bytes.iter_mut().zip(&fields) {
        if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *slot = field
            .iter()
            .fold(0u32, |v, &b| (v * 10 + u32::from(b - b'0')) % 256) as u8;
    }
    let [h1, h2, h3, h4, p1, p2] = bytes;
    let ip = Ipv4Addr::new(h1, h2, h3, h4);
    Some(SocketAddrV4::new(ip, u16::from_be_bytes([p1, p2])))
}

/// The three fields of `<d>net-prt<d>net-addr<d>tcp-port<d>`, split on the first byte. `None`
/// unless there are exactly four delimiters with the last at the end.
fn fields(arg: &[u8]) -> Option<(u8, [&[u8]; 3])> {
    let (&d, rest) = arg.split_first()?;
    let parts: Vec<&[u8]> = rest.split(|&b| b == d).collect();
    match parts.as_slice() {
        [net, addr, port, []] => Some((d, [net, addr, port])),
        _ => None,
    }
}

fn join(d: u8, fields: [&[u8]; 3]) -> Vec<u8> {
    let mut out = vec![d];
    for f in fields {
        out.extend_from_slice(f);
        out.push(d);
    }
    out
}

/// `eprt-any-delimiter`: reads the argument as if its first byte were `|`.
pub fn with_pipe_delimiter(arg: &[u8]) -> Vec<u8> {
    let Some(&d) = arg.first() else {
        return Vec::new();
    };
    arg.iter().map(|&b| if b == d { b'|' } else { b }).collect()
}

/// `eprt-port-unchecked`: the argument with any port field, when everything else is valid.
pub fn any_port(arg: &[u8]) -> Option<SocketAddr> {
    let (d, [net, addr, port]) = fields(arg)?;
    let parsed = EprtArg::parse(&join(d, [net, addr, b"1"])).ok()?;
    Some(SocketAddr::new(parsed.addr.ip(), loose_port(port)))
}

/// `eprt-address-unchecked`: the argument with any address field, read as the control peer's
/// address, when everything else is valid.
pub fn any_address(arg: &[u8], peer: IpAddr) -> Option<SocketAddr> {
    let (d, [net, _, port]) = fields(arg)?;
    let peer = peer.to_string();
    EprtArg::parse(&join(d, [net, peer.as_bytes(), port]))
        .ok()
        .map(|a| a.addr)
}

/// `eprt-empty-address-is-peer`: `|1||port|` read as `|1|<peer>|port|` — only an empty
/// address field, and only when everything else is valid.
pub fn empty_address_as_peer(arg: &[u8], peer: IpAddr) -> Option<SocketAddr> {
    let (_, [_, addr, _]) = fields(arg)?;
    if !addr.is_empty() {
        return None;
    }
    any_address(arg, peer)
}

/// `eprt-family-from-address`: the argument read with the net-prt its address text implies
/// (1 for dotted decimal, 2 for IPv6 text), when the net-prt field is empty, `1` or `2`. Any
/// other net-prt keeps its strict verdict (an unsupported number is still 522).
pub fn family_from_address(arg: &[u8]) -> Option<SocketAddr> {
    let (d, [net, addr, port]) = fields(arg)?;
    if !matches!(net, b"" | b"1" | b"2") {
        return None;
    }
    [b"1", b"2"]
        .into_iter()
        .find_map(|family| EprtArg::parse(&join(d, [family, addr, port])).ok())
        .map(|a| a.addr)
}

/// Any integer, reduced mod 65536: `-1` → 65535, `65536` → 0; anything non-numeric → 0.
fn loose_port(field: &[u8]) -> u16 {
    let (negative, digits) = match field.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, field),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return 0;
    }
    let value = digits
        .iter()
        .fold(0u32, |v, &b| (v * 10 + u32::from(b - b'0')) % 65536);
    let value = if negative {
        (65536 - value) % 65536
    } else {
        value
    };
    value as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_ports() {
        assert_eq!(loose_port(b"0"), 0);
        assert_eq!(loose_port(b"65536"), 0);
        assert_eq!(loose_port(b"65537"), 1);
        assert_eq!(loose_port(b"99999"), 34463);
        assert_eq!(loose_port(b"-1"), 65535);
        assert_eq!(loose_port(b"abc"), 0);
        assert_eq!(loose_port(b""), 0);
        assert_eq!(loose_port(&[b'9'; 100]), loose_port(&[b'9'; 100]));
    }

    #[test]
    fn field_splitting() {
        assert_eq!(fields(b"|1|a|2|"), Some((b'|', [&b"1"[..], b"a", b"2"])));
        assert_eq!(fields(b"|1|a|2"), None);
        assert_eq!(fields(b"|1|a|2||"), None);
        assert_eq!(fields(b""), None);
        assert_eq!(with_pipe_delimiter(b" 1 a 2 "), b"|1|a|2|");
    }

    #[test]
    fn empty_address_and_family_readings() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let at = |s: &str| Some(s.parse::<SocketAddr>().unwrap());
        assert_eq!(
            empty_address_as_peer(b"|1||5000|", peer),
            at("127.0.0.1:5000")
        );
        assert_eq!(empty_address_as_peer(b"|1|1.2.3.4|5000|", peer), None);
        assert_eq!(empty_address_as_peer(b"|2||5000|", peer), None);
        assert_eq!(empty_address_as_peer(b"|1||0|", peer), None);
        assert_eq!(
            family_from_address(b"|2|127.0.0.1|5000|"),
            at("127.0.0.1:5000")
        );
        assert_eq!(
            family_from_address(b"||127.0.0.1|5000|"),
            at("127.0.0.1:5000")
        );
        assert_eq!(family_from_address(b"!1!::1!5000!"), at("[::1]:5000"));
        for bad in [
            &b"|3|127.0.0.1|5000|"[..],
            b"|x|127.0.0.1|5000|",
            b"|2||5000|",
            b"|2|1.2.3|5000|",
            b"|2|127.0.0.1|0|",
        ] {
            let shown = bad.escape_ascii().to_string();
            assert_eq!(family_from_address(bad), None, "{shown}");
        }
    }

    #[test]
    fn lax_host_ports() {
        let at = |s: &str| Some(s.parse::<SocketAddrV4>().unwrap());
        assert_eq!(lax_host_port(b"127,0,0,1,19,136"), at("127.0.0.1:5000"));
        assert_eq!(lax_host_port(b"127,0,0,1,19"), at("127.0.0.1:4864"));
        assert_eq!(lax_host_port(b"127,0,0,1,19,256"), at("127.0.0.1:4864"));
        assert_eq!(lax_host_port(b"383,0,0,1,19,136"), at("127.0.0.1:5000"));
        assert_eq!(lax_host_port(b"127"), at("127.0.0.0:0"));
        assert_eq!(lax_host_port(&[b'9'; 50]), lax_host_port(&[b'9'; 50]));
        for bad in [
            &b""[..],
            b"127, 0,0,1,19,136",
            b"1,2,3,4,5,6,7",
            b"1,,2",
            b"-1",
        ] {
            assert_eq!(
                lax_host_port(bad),
                None,
                "{:?}",
                bad.escape_ascii().to_string()
            );
        }
    }
}
