//! PORT (RFC 959 §4.1.2), LPRT (RFC 1639, not implemented), and the RFC 2577 §3 checks that
//! every active data setup passes.

use super::{Action, lenient, locked_out, lockout_applies, reply};
use crate::proto::HostPort;
use crate::server::fault::Fault;
use crate::server::session::{DataSetup, Session, Shared};
use std::net::SocketAddr;

/// `PORT h1,h2,h3,h4,p1,p2` → 200, after a strict parse and the RFC 2577 §3 checks.
///
/// PORT can only express IPv4, so over an IPv6 control connection it is refused (501): the
/// client must use EPRT (RFC 2428 §1).
pub fn port(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    if lockout_applies(s, shared, Fault::EpsvAllAllowsPort) {
        return locked_out();
    }
    if shared.fault(Fault::PortReject) {
        return reply(502, "Command not implemented");
    }
    if s.is_ipv6() {
        return reply(501, "PORT not supported over IPv6, use EPRT");
    }
    let arg = arg.unwrap_or_default();
    let target = match HostPort::parse(arg) {
        Ok(hp) => SocketAddr::V4(hp.socket_addr()),
        Err(_) => return lax_port(s, shared, arg),
    };
    if let Some(refusal) = refuse_target(s, shared, "PORT", target) {
        return refusal;
    }
    s.data = Some(DataSetup::Active(target));
    reply(200, "PORT command successful")
}

/// RFC 959 §5.3.2: `<host-port> ::= <host-number>,<port-number>`, six numbers 0–255, so
/// anything else is 501 — unless `port-lax-syntax` reads fewer and larger numbers, and takes
/// what it read as it is, unchecked (a mangled address would only ever fail the bounce check).
fn lax_port(s: &mut Session, shared: &Shared, arg: &[u8]) -> Action {
    let lax = shared
        .fault(Fault::PortLaxSyntax)
        .then(|| lenient::lax_host_port(arg))
        .flatten();
    let Some(target) = lax else {
        return reply(501, "Syntax error in PORT argument");
    };
    s.data = Some(DataSetup::Active(SocketAddr::V4(target)));
    reply(200, "PORT command successful")
}

/// `LPRT` (RFC 1639) → 502, or 503 under the EPSV ALL lockout (RFC 2428 §3 "et al.").
pub fn lprt(s: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    if s.epsv_all && shared.fault(Fault::EpsvAllAllowsLprt) {
        return reply(200, "LPRT command successful");
    }
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
pub(super) fn refuse_target(
    s: &Session,
    shared: &Shared,
    verb: &str,
    target: SocketAddr,
) -> Option<Action> {
    refuse_foreign(s, shared, verb, target).or_else(|| refuse_privileged(shared, target))
}

/// RFC 2577 §3, bounce attack: a data address other than the control connection's peer → 501.
pub(super) fn refuse_foreign(
    s: &Session,
    shared: &Shared,
    verb: &str,
    target: SocketAddr,
) -> Option<Action> {
    let foreign = target.ip() != s.peer.ip() && !shared.fault(Fault::AcceptBounce);
    foreign.then(|| {
        reply(
            501,
            format!("Rejected: {verb} to a foreign address (RFC 2577 bounce)"),
        )
    })
}

/// RFC 2577 §3: a data port below 1024 → 504. Called only once the address passed the bounce
/// check, so `privileged-port-tries-connect` connects to nothing but the client's own host
/// (unless `accept-bounce` is made too).
pub(super) fn refuse_privileged(shared: &Shared, target: SocketAddr) -> Option<Action> {
    let privileged = target.port() < 1024 && !shared.fault(Fault::AcceptPrivilegedPort);
    if privileged && shared.fault(Fault::PrivilegedPortTriesConnect) {
        return Some(Action::ProbePrivileged(target));
    }
    privileged.then(|| reply(504, "Rejected: privileged port (RFC 2577)"))
}
