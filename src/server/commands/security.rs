//! AUTH, PBSZ, PROT (RFC 2228 §3, RFC 4217 §4 and §9), on a server started with TLS.
//!
//! ```text
//! AUTH TLS → 234, then the TLS handshake     (503 once protected, 504 another mechanism)
//! PBSZ 0   → 200 PBSZ=0                      (503 before AUTH, 501 not a 32-bit decimal)
//! PROT P   → 200, data connections are TLS  (503 before PBSZ, 536 S/E, 504 unknown level)
//! CCC      → 534, the connection stays TLS  (533 on a clear connection)
//! USER     → 530 on a clear connection of a server that requires TLS (`Config::tls_required`)
//! ```
//!
//! A server without TLS does not know these commands (500), as a server without RFC 2228
//! support would answer. All three are allowed before login: RFC 2228 only asks PBSZ to follow
//! the security exchange, and vsftpd and pyftpdlib accept them before USER.
//!
//! The FTPS faults deviate here, one check each, except the data connection's session reuse
//! (`server::job`) and the missing handshake after 234 (`Auth234NoHandshake`, in [`auth`]).

use super::{Action, reply, unknown_command};
use crate::proto::ProtLevel;
use crate::proto::security::{is_tls_mechanism, parse_pbsz};
use crate::server::fault::Fault;
use crate::server::reply::ServerReply;
use crate::server::session::{Session, Shared};
use crate::server::tls::DataTls;

/// `AUTH TLS` → 234 and a handshake. RFC 4217 §4: "If the server is willing to accept the
/// named security mechanism, and does not require any security data, it must respond with
/// reply code 234". RFC 2228 §3: 504 for an unsupported mechanism, 503 when a security
/// exchange has already happened (this server does not renegotiate).
pub fn auth(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    if shared.tls.is_none() {
        return unknown_command(shared);
    }
    if !is_tls_mechanism(arg.unwrap_or_default()) {
        if shared.fault(Fault::AuthUnknownMechanism501) {
            return reply(501, "Syntax error in parameters");
        }
        return reply(504, "Security mechanism not understood; use AUTH TLS");
    }
    if s.security.control {
        return reply(503, "Already protected by TLS");
    }
    if shared.fault(Fault::Auth234NoHandshake) {
        return reply(234, "AUTH TLS successful");
    }
    Action::StartTls(ServerReply::new(234, "AUTH TLS successful"))
}

/// `PBSZ 0` → `200 PBSZ=0`. RFC 2228 §3: "If the server has not completed a security data
/// exchange with the client, it should respond with a 503 reply code"; a size that is not a
/// 32-bit decimal is 501; RFC 4217 §9: for TLS the size is 0, and "PBSZ=0" tells a client
/// that asked for more.
pub fn pbsz(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    if shared.tls.is_none() {
        return unknown_command(shared);
    }
    if !s.security.control && !shared.fault(Fault::PbszBeforeAuthAccepted) {
        return reply(
            503,
            "PBSZ needs a protected control connection: AUTH TLS first",
        );
    }
    let size = parse_pbsz(arg.unwrap_or_default());
    if size.is_none() || (size == Some(0) && shared.fault(Fault::PbszZeroRefused)) {
        return reply(501, "PBSZ takes a decimal size, 0 for TLS");
    }
    s.security.pbsz = true;
    reply(200, "PBSZ=0")
}

/// `PROT C` / `PROT P` → 200. RFC 2228 §3: PBSZ must come first ("the client must issue a
/// PBSZ command before it can issue the first PROT command"), else 503; 536 "Requested PROT
/// level not supported by mechanism" for S and E, which TLS does not offer (RFC 4217 §9); 504
/// for a level RFC 2228 does not know.
pub fn prot(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    if shared.tls.is_none() {
        return unknown_command(shared);
    }
    if !s.security.pbsz && !shared.fault(Fault::PbszProtOrderNotEnforced) {
        return reply(503, "PROT needs PBSZ first");
    }
    let Some(level) = ProtLevel::parse(arg.unwrap_or_default()) else {
        return reply(504, "Unknown protection level; use C or P");
    };
    match level {
        ProtLevel::CLEAR if shared.fault(Fault::ProtCIgnored) => reply(200, "PROT now Clear"),
        ProtLevel::CLEAR | ProtLevel::PRIVATE => {
            s.security.prot = level;
            let what = match level == ProtLevel::PRIVATE {
                true => "PROT now Private",
                false => "PROT now Clear",
            };
            reply(200, what)
        }
        _ if shared.fault(Fault::ProtAnyLevel200) => {
            s.security.prot = ProtLevel::CLEAR;
            reply(200, "PROT ok")
        }
        level if level.is_known() => reply(536, "Only PROT C and PROT P are supported with TLS"),
        _ => reply(504, "Unknown protection level; use C or P"),
    }
}

/// `CCC` (RFC 2228 §3, RFC 4217 §5): this server keeps its control connections protected, so
/// it refuses: "If the server is not willing to turn off the integrity requirement, it should
/// respond with a 534 reply code", and "If the command is not integrity-protected, the server
/// must respond with a 533 reply code". RFC 4217 §5 makes CCC optional; a clear control
/// connection after login would expose every later command.
pub fn ccc(s: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    if shared.tls.is_none() {
        return unknown_command(shared);
    }
    if !s.security.control || shared.fault(Fault::Ccc533WhenProtected) {
        return reply(
            533,
            "Command protection level denied: CCC must come over TLS",
        );
    }
    reply(534, "CCC refused: the control connection stays protected")
}

/// True when `verb` must be refused on this session because the server requires TLS and the
/// control connection is still clear (`Config::tls_required`): USER and PASS, so that no
/// credentials and no session ever travel in the clear (RFC 4217 §11; vsftpd's
/// `force_local_logins_ssl`). Everything else needs a login anyway, or is part of the
/// security exchange (AUTH, PBSZ, PROT, CCC) or harmless (FEAT, SYST, NOOP, HELP, QUIT).
pub fn refused_in_clear(s: &Session, shared: &Shared, verb: &[u8]) -> bool {
    shared.config.tls_required
        && shared.tls.is_some()
        && !s.security.control
        && matches!(verb, b"USER" | b"PASS")
        && !shared.fault(Fault::PlainLoginWhenTlsRequired)
}

/// The reply to a command [`refused_in_clear`]: 530, as RFC 959 §4.1.1 answers a login the
/// server will not accept (vsftpd answers the same, "530 Non-anonymous sessions must use
/// encryption.").
pub fn tls_required() -> Action {
    reply(530, "TLS required: send AUTH TLS first")
}

/// The TLS acceptor the next data connection is negotiated with: under `PROT P` on a
/// protected session, the server's (RFC 4217 §9: "P - Private ... the data connection is
/// protected by TLS"); `None` for clear data.
pub fn data_acceptor(s: &Session, shared: &Shared) -> Option<DataTls> {
    let tls = shared.tls.as_ref()?;
    if shared.fault(Fault::ProtPDataInClear) {
        return None;
    }
    (s.security.control && s.security.prot == ProtLevel::PRIVATE)
        .then(|| DataTls(tls.acceptor().clone()))
}

/// FEAT lines of a TLS server (RFC 4217 §6: "AUTH TLS", "PBSZ" and "PROT").
pub fn feat_lines(shared: &Shared) -> &'static [&'static str] {
    match shared.tls {
        Some(_) if !shared.fault(Fault::FeatOmitsTls) => &[" AUTH TLS", " PBSZ", " PROT"],
        _ => &[],
    }
}
