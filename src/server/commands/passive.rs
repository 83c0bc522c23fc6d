//! PASV (RFC 959 §4.1.2), EPSV (RFC 2428 §3), LPSV (RFC 1639, not implemented).
//!
//! Every passive listener is bound on the control connection's local address. RFC 2428 §3: "The
//! network protocol used by the data connection will be the same network protocol used by the
//! control connection. In addition, the network address used to establish the data connection
//! will be the same network address used for the control connection."

use super::{Action, locked_out, reply, unsupported_protocol};
use crate::proto::{EpsvArg, EpsvReply, HostPort};
use crate::server::data::{bind_passive, dead_port};
use crate::server::fault::Fault;
use crate::server::session::{DataSetup, Session, Shared};
use std::net::IpAddr;

/// `PASV` → `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
///
/// Over IPv6 the 227 reply cannot express the address, so PASV is refused (RFC 1123 §4.1.2.6
/// requires PASV, but refusing it where it cannot work beats a malformed 227).
pub fn pasv(s: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    if s.epsv_all {
        return locked_out();
    }
    let IpAddr::V4(ip) = s.local.ip() else {
        return reply(501, "PASV not supported over IPv6, use EPSV");
    };
    s.data = None;
    let Ok((listener, port)) = listen(s, shared) else {
        return reply(425, "Can't open passive connection");
    };
    s.data = Some(DataSetup::Passive(listener));
    let mut text = b"Entering Passive Mode (".to_vec();
    HostPort::new(ip, port).encode(&mut text);
    text.extend_from_slice(b").");
    reply(227, text)
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
    match EpsvArg::parse(arg.unwrap_or_default()) {
        Err(_) if shared.fault(Fault::EpsvIgnoresProto) => open(s, shared),
        Err(_) => reply(501, "Syntax error in EPSV argument"),
        Ok(EpsvArg::All) => {
            s.epsv_all = true;
            s.data = None;
            reply(200, "EPSV ALL ok")
        }
        Ok(EpsvArg::Default) => open(s, shared),
        Ok(EpsvArg::Proto(p)) if p == s.family() => open(s, shared),
        Ok(EpsvArg::Proto(_)) if shared.fault(Fault::EpsvIgnoresProto) => open(s, shared),
        Ok(EpsvArg::Proto(_)) => unsupported_protocol(s, shared),
    }
}

/// `LPSV` (RFC 1639) → 502, or 503 under the EPSV ALL lockout (RFC 2428 §3 "et al.").
pub fn lpsv(s: &mut Session, _: &Shared, _: Option<&[u8]>) -> Action {
    if s.epsv_all {
        return locked_out();
    }
    reply(502, "LPSV not implemented")
}

/// Opens the EPSV listener and answers `229 Entering Extended Passive Mode (|||port|)`.
fn open(s: &mut Session, shared: &Shared) -> Action {
    s.data = None;
    if shared.fault(Fault::EpsvDeadPort) {
        return match dead_port(s.local.ip()) {
            Ok(port) => reply(229, epsv_text(shared, port)),
            Err(_) => reply(425, "Can't open passive connection"),
        };
    }
    let Ok((listener, port)) = listen(s, shared) else {
        return reply(425, "Can't open passive connection");
    };
    s.data = Some(DataSetup::Passive(listener));
    reply(229, epsv_text(shared, port))
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

fn listen(s: &Session, shared: &Shared) -> std::io::Result<(tokio::net::TcpListener, u16)> {
    let listener = bind_passive(s.local.ip(), shared.config.passive_ports)?;
    let port = listener.local_addr()?.port();
    Ok((listener, port))
}
