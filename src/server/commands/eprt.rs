//! EPRT (RFC 2428 §2): `EPRT |1|132.235.1.2|6275|`, `EPRT |2|1080::8:800:200C:417A|5282|`.
//!
//! The argument is judged by the strict `proto` codec; the result is one of four decisions, and
//! each decision has one reply:
//!
//! | decision     | reply                                                        |
//! |--------------|--------------------------------------------------------------|
//! | accept       | `200 EPRT command successful`                                |
//! | refuse       | RFC 2577 §3: `501` foreign address, `504` privileged port    |
//! | malformed    | `501` — RFC 2428 §2: "500 or 501 … sufficient to handle most errors" |
//! | unsupported  | `522 Network protocol not supported, use (1)`                |
//!
//! Malformed comes before unsupported. 522 answers a well-formed request for a protocol the
//! server does not speak here (RFC 2428 §2: "The response code 522 indicates that the server
//! does not support the requested network protocol"), such as `|2|::1|6446|` over IPv4. An
//! argument that breaks the grammar of the family it names is a syntax error, 501 ("The
//! standard negative error code 500 and 501 are sufficient to handle most errors (e.g., syntax
//! errors) involving the EPRT command"):
//!
//! - `||127.0.0.1|6446|`: an empty net-prt requests no protocol at all ("The <net-prt>
//!   argument MUST be an address family number");
//! - `|1||6446|`: an empty net-addr is no dotted decimal address;
//! - `|2|127.0.0.1|6446|`: AF 2 addresses "MUST be in the following format: [...] IPv6 string
//!   representations", and dotted decimal is not one.
//!
//! A 522 there would send the client to retry with a protocol from the list, when what it has
//! to fix is the argument.
//!
//! The EPRT faults sit where they bend a decision; see [`crate::server::Fault`].

use super::port::{refuse_foreign, refuse_privileged};
use super::{Action, lenient, locked_out, lockout_applies, reply, unsupported_protocol};
use crate::proto::{EprtArg, EprtError};
use crate::server::fault::Fault;
use crate::server::session::{DataSetup, Session, Shared};
use std::net::SocketAddr;

/// What the checks decided about an EPRT argument.
enum Decision {
    /// Connect to this address for the next transfer.
    Accept(SocketAddr),
    /// Refused by an RFC 2577 check; the reply is ready.
    Refuse(Action),
    /// Not a well-formed argument.
    Malformed,
    /// A network protocol the server does not speak on this control connection.
    Unsupported,
}

/// `EPRT <d><net-prt><d><net-addr><d><tcp-port><d>`.
pub fn eprt(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    if shared.fault(Fault::EprtReject) {
        return reply(500, "Unknown command");
    }
    if lockout_applies(s, shared, Fault::EpsvAllAllowsEprt) {
        return locked_out();
    }
    // RFC 2428 §2: "The EPRT command keyword MUST be followed by a single space" and an
    // argument; a bare `EPRT` is malformed.
    let decision = match arg {
        Some(arg) => judge(s, shared, arg),
        None => Decision::Malformed,
    };
    match decision {
        Decision::Accept(addr) => {
            s.data = Some(DataSetup::Active(addr));
            reply(200, "EPRT command successful")
        }
        Decision::Refuse(action) => action,
        Decision::Malformed | Decision::Unsupported if shared.fault(Fault::EprtAcceptAll) => {
            s.data = None;
            reply(200, "EPRT command successful")
        }
        Decision::Malformed => reply(501, "Syntax error in EPRT argument"),
        Decision::Unsupported => unsupported_protocol(s, shared),
    }
}

fn judge(s: &Session, shared: &Shared, arg: &[u8]) -> Decision {
    if shared.fault(Fault::EprtPipeOnly) && arg.first() != Some(&b'|') {
        return Decision::Malformed;
    }
    // RFC 2428 §2: "The delimiter character MUST be one of the ASCII characters in range 33-126
    // inclusive." The strict parser enforces it; this fault reads any byte as a delimiter.
    let rewritten;
    let arg = match arg.first() {
        Some(d) if !(33..=126).contains(d) && shared.fault(Fault::EprtAnyDelimiter) => {
            rewritten = lenient::with_pipe_delimiter(arg);
            rewritten.as_slice()
        }
        _ => arg,
    };
    match EprtArg::parse(arg) {
        Ok(parsed) => check(s, shared, parsed.addr),
        Err(EprtError::UnsupportedProtocol(_)) => Decision::Unsupported,
        Err(EprtError::Malformed(_)) => judge_malformed(s, shared, arg),
    }
}

/// The checks on a well-formed address: family, then RFC 2577 §3.
fn check(s: &Session, shared: &Shared, addr: SocketAddr) -> Decision {
    if let Some(decision) = check_family_and_host(s, shared, addr) {
        return decision;
    }
    match refuse_privileged(shared, addr) {
        Some(action) => Decision::Refuse(action),
        None => Decision::Accept(addr),
    }
}

/// RFC 2428 §2 with §3: the server speaks only the control connection's network protocol, so
/// a well-formed address of the other family is an unsupported protocol (522). Then the
/// bounce check of RFC 2577 §3.
fn check_family_and_host(s: &Session, shared: &Shared, addr: SocketAddr) -> Option<Decision> {
    if addr.is_ipv6() != s.is_ipv6() {
        // `cross-family-eprt`: an IPv4 address over IPv6 is taken; the bounce check cannot
        // compare it with the IPv6 peer, so it is skipped.
        let taken = s.is_ipv6() && shared.fault(Fault::CrossFamilyEprt);
        return (!taken).then_some(Decision::Unsupported);
    }
    refuse_foreign(s, shared, "EPRT", addr).map(Decision::Refuse)
}

/// A malformed argument stays malformed — unless a fault reads the bad field leniently.
fn judge_malformed(s: &Session, shared: &Shared, arg: &[u8]) -> Decision {
    if shared.fault(Fault::EprtPortUnchecked)
        && let Some(addr) = lenient::any_port(arg)
    {
        // The port is unchecked, privileged range included; the host still is.
        return check_family_and_host(s, shared, addr).unwrap_or(Decision::Accept(addr));
    }
    if shared.fault(Fault::EprtAddressUnchecked)
        && let Some(addr) = lenient::any_address(arg, s.peer.ip())
    {
        return check(s, shared, addr);
    }
    if shared.fault(Fault::EprtEmptyAddressIsPeer)
        && let Some(addr) = lenient::empty_address_as_peer(arg, s.peer.ip())
    {
        return check(s, shared, addr);
    }
    if shared.fault(Fault::EprtFamilyFromAddress)
        && let Some(addr) = lenient::family_from_address(arg)
    {
        // The family check and RFC 2577 §3 still apply: `|1|::1|p|` over IPv4 becomes 522.
        return check(s, shared, addr);
    }
    Decision::Malformed
}
