//! PASV (RFC 959 §4.1.2), EPSV (RFC 2428 §3), LPSV (RFC 1639, not implemented).
//!
//! Every passive listener is bound on the control connection's local address. RFC 2428 §3: "The
//! network protocol used by the data connection will be the same network protocol used by the
//! control connection. In addition, the network address used to establish the data connection
//! will be the same network address used for the control connection."

use super::{Action, locked_out, lockout_applies, reply, unsupported_protocol};
use crate::proto::{EpsvArg, EpsvReply, HostPort};
use crate::server::data::dead_port;
use crate::server::fault::Fault;
use crate::server::ports::{Passive, open_passive};
use crate::server::session::{DataSetup, Session, Shared};
use std::net::{IpAddr, Ipv4Addr};

/// `passive-exhausts`: how many passive setups of a session still work.
const EXHAUSTED_AFTER: u32 = 10;

/// The address `pasv-wrong-address` names in its 227 replies.
const WRONG_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// `PASV` → `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
///
/// Over IPv6 the 227 reply cannot express the address, so PASV is refused (RFC 1123 §4.1.2.6
/// requires PASV, but refusing it where it cannot work beats a malformed 227).
pub fn pasv(s: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    if lockout_applies(s, shared, Fault::EpsvAllAllowsPasv) {
        return locked_out();
    }
    if shared.fault(Fault::PasvReject) {
        return reply(502, "Command not implemented");
    }
    let IpAddr::V4(ip) = s.local.ip() else {
        if shared.fault(Fault::PasvIpv6Malformed) {
            return pasv_ipv6_malformed(s, shared);
        }
        return reply(501, "PASV not supported over IPv6, use EPSV");
    };
    let Some(port) = prepare(s, shared) else {
        return reply(425, "Can't open passive connection");
    };
    let shown = if shared.fault(Fault::PasvWrongAddress) {
        WRONG_ADDRESS
    } else {
        ip
    };
    let mut host_port = Vec::new();
    HostPort::new(shown, port).encode(&mut host_port);
    if shared.fault(Fault::PasvNoParens) {
        return reply(227, [&b"Entering Passive Mode "[..], &host_port].concat());
    }
    reply(
        227,
        [&b"Entering Passive Mode ("[..], &host_port, b")."].concat(),
    )
}

/// `pasv-ipv6-malformed`: a listener on the IPv6 address, announced as five numbers
/// `(0,0,0,0,p1)` — no valid host-port.
fn pasv_ipv6_malformed(s: &mut Session, shared: &Shared) -> Action {
    let Some(port) = prepare(s, shared) else {
        return reply(425, "Can't open passive connection");
    };
    reply(
        227,
        format!("Entering Passive Mode (0,0,0,0,{})", port >> 8),
    )
}

/// `EPSV`, `EPSV <net-prt>`, `EPSV ALL` (RFC 2428 §3).
///
/// > If the requested protocol is supported by the server, it SHOULD use the protocol. If not,
/// > the server MUST return the 522 error messages as outlined in section 2.
///
/// > Upon receipt of an EPSV ALL command, the server MUST reject all data connection setup
/// > commands other than EPSV (i.e., EPRT, PORT, PASV, et al.).
pub fn epsv(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    if shared.fault(Fault::EpsvReject) {
        return reply(500, "Unknown command");
    }
    let arg = arg.unwrap_or_default();
    // RFC 959 §5.3: upper and lower case are to be treated identically — `EPSV all` too.
    if shared.fault(Fault::EpsvAllCaseSensitive)
        && arg.eq_ignore_ascii_case(b"ALL")
        && arg != b"ALL"
    {
        return reply(501, "Syntax error in EPSV argument");
    }
    match EpsvArg::parse(arg) {
        Err(_) if shared.fault(Fault::EpsvIgnoresProto) => open(s, shared),
        Err(_) => reply(501, "Syntax error in EPSV argument"),
        Ok(EpsvArg::All) => {
            s.epsv_all = !shared.fault(Fault::EpsvAllNoLockout);
            s.data = None;
            // RFC 2428 §3 names no reply code for EPSV ALL; an accepted command gets 200
            // (RFC 959 §4.2.1), while 220 means "Service ready for new user".
            if shared.fault(Fault::EpsvAll220) {
                return reply(220, "EPSV ALL ok.");
            }
            reply(200, "EPSV ALL ok")
        }
        Ok(_) if s.epsv_all && shared.fault(Fault::EpsvAllBlocksEpsv) => locked_out(),
        Ok(EpsvArg::Default) => open(s, shared),
        Ok(EpsvArg::Proto(p)) if p == s.family() => open(s, shared),
        Ok(EpsvArg::Proto(_)) if shared.fault(Fault::EpsvIgnoresProto) => open(s, shared),
        Ok(EpsvArg::Proto(_)) => unsupported_protocol(s, shared),
    }
}

/// `LPSV` (RFC 1639) → 502, or 503 under the EPSV ALL lockout (RFC 2428 §3 "et al.").
pub fn lpsv(s: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    if s.epsv_all && shared.fault(Fault::EpsvAllAllowsLpsv) {
        return lpsv_accepted(s, shared);
    }
    if s.epsv_all {
        return locked_out();
    }
    reply(502, "LPSV not implemented")
}

/// `epsv-all-allows-lpsv`: the RFC 1639 §2 long-address reply, `228 Entering Long Passive Mode
/// (af,hal,h1,…,hn,pal,p1,p2)` with af 4 (IPv4) or 6 (IPv6), for a real listener.
fn lpsv_accepted(s: &mut Session, shared: &Shared) -> Action {
    let Some(port) = prepare(s, shared) else {
        return reply(425, "Can't open passive connection");
    };
    let (af, octets) = match s.local.ip() {
        IpAddr::V4(ip) => (4, ip.octets().to_vec()),
        IpAddr::V6(ip) => (6, ip.octets().to_vec()),
    };
    let host: Vec<String> = octets.iter().map(u8::to_string).collect();
    let text = format!(
        "Entering Long Passive Mode ({af},{},{},2,{},{})",
        octets.len(),
        host.join(","),
        port >> 8,
        port & 0xff
    );
    reply(228, text)
}

/// Opens the EPSV listener and answers `229 Entering Extended Passive Mode (|||port|)`.
fn open(s: &mut Session, shared: &Shared) -> Action {
    s.data = None;
    if shared.fault(Fault::EpsvDeadPort) {
        return match dead_port(s.local.ip()) {
            Ok((held, port)) => {
                s.dead_port = Some(held);
                reply(229, epsv_text(shared, port))
            }
            Err(_) => reply(425, "Can't open passive connection"),
        };
    }
    match prepare(s, shared) {
        Some(port) => reply(229, epsv_text(shared, port)),
        None => reply(425, "Can't open passive connection"),
    }
}

/// RFC 2428 §3: "The text returned in response to the EPSV command MUST be:
/// `<text indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)`".
fn epsv_text(shared: &Shared, port: u16) -> Vec<u8> {
    let mut text = b"Entering Extended Passive Mode ".to_vec();
    if shared.fault(Fault::EpsvMalformed229) {
        text.extend_from_slice(format!("(|||{port})").as_bytes());
    } else {
        EpsvReply::new(b'|', port).encode(&mut text);
    }
    text
}

/// A passive setup: replaces any pending one, opens a listener on the control connection's
/// local address and returns the port to announce; `None` means 425. RFC 959 §4.1.2: the reply
/// gives "the host and port address this server is listening on" — the port is only announced
/// once it listens (the faults aside).
fn prepare(s: &mut Session, shared: &Shared) -> Option<u16> {
    s.data = None;
    s.passive_setups = s.passive_setups.saturating_add(1);
    if shared.fault(Fault::PassiveExhausts) && s.passive_setups > EXHAUSTED_AFTER {
        let (held, port) = dead_port(s.local.ip()).ok()?;
        s.dead_port = Some(held);
        return Some(port);
    }
    match open_passive(shared, s.local.ip()) {
        Ok(Passive::Listening(listener, port)) => {
            s.data = Some(DataSetup::Passive(listener));
            Some(port)
        }
        Ok(Passive::Busy(port)) => Some(port),
        Err(_) => None,
    }
}
