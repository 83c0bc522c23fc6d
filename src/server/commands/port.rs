//! PORT (RFC 959 §4.1.2), LPRT (RFC 1639, not implemented), and the RFC 2577 §3 checks that
//! every active data setup passes.

use super::{Action, locked_out, reply};
use crate::proto::HostPort;
use crate::server::session::{DataSetup, Session, Shared};
use std::net::SocketAddr;

/// `PORT h1,h2,h3,h4,p1,p2` → 200, after a strict parse and the RFC 2577 §3 checks.
///
/// PORT can only express IPv4, so over an IPv6 control connection it is refused (501): the
/// client must use EPRT (RFC 2428 §1).
pub fn port(s: &mut Session, _: &Shared, arg: Option<&[u8]>) -> Action {
    if s.epsv_all {
        return locked_out();
    }
    if s.is_ipv6() {
        return reply(501, "PORT not supported over IPv6, use EPRT");
    }
    let Ok(hp) = HostPort::parse(arg.unwrap_or_default()) else {
        return reply(501, "Syntax error in PORT argument");
    };
    let target = SocketAddr::V4(hp.socket_addr());
    if let Some(refusal) = refuse_target(s, "PORT", target) {
        return refusal;
    }
    s.data = Some(DataSetup::Active(target));
    reply(200, "PORT command successful")
}

/// `LPRT` (RFC 1639) → 502, or 503 under the EPSV ALL lockout (RFC 2428 §3 "et al.").
pub fn lprt(s: &mut Session, _: &Shared, _: Option<&[u8]>) -> Action {
    if s.epsv_all {
        return locked_out();
    }
    reply(502, "LPRT not implemented")
}

/// The RFC 2577 §3 checks on an active data address, `None` when it may be used: a data
/// address on another host than the client is a bounce (501), and
///
/// > To avoid such bounce attacks, it is suggested that servers not open data connections to
/// > TCP ports less than 1024. If a server receives a PORT command containing a TCP port number
/// > less than 1024, the suggested response is 504.
pub(super) fn refuse_target(s: &Session, verb: &str, target: SocketAddr) -> Option<Action> {
    refuse_foreign(s, verb, target).or_else(|| refuse_privileged(target))
}

/// RFC 2577 §3, bounce attack: a data address other than the control connection's peer → 501.
pub(super) fn refuse_foreign(s: &Session, verb: &str, target: SocketAddr) -> Option<Action> {
    (target.ip() != s.peer.ip()).then(|| {
        reply(
            501,
            format!("Rejected: {verb} to a foreign address (RFC 2577 bounce)"),
        )
    })
}

/// RFC 2577 §3: a data port below 1024 → 504.
pub(super) fn refuse_privileged(target: SocketAddr) -> Option<Action> {
    (target.port() < 1024).then(|| reply(504, "Rejected: privileged port (RFC 2577)"))
}
