//! Command dispatch: one line in, one [`Action`] out. No I/O happens here except binding
//! passive listeners; the control loop writes the replies and runs the transfers.
//!
//! RFC 959 §4.2: "Every command must generate at least one reply", so every path through
//! [`dispatch`] ends in a reply or in a transfer whose final reply the control loop writes.
//! RFC 959 §5.3: "The command codes themselves are alphabetic characters terminated by the
//! character `<SP>` (Space) if parameters follow and Telnet-EOL otherwise. … Upper and lower case
//! alphabetic characters are to be treated identically."

mod auth;
mod eprt;
mod info;
mod lenient;
mod passive;
mod port;
pub mod security;
mod transfer;

use super::fault::Fault;
use super::job::TransferJob;
use super::reply::ServerReply;
use super::session::{Session, Shared};
use crate::proto::ProtocolList;
use crate::proto::command::verb_of;
use std::net::SocketAddr;

pub use transfer::forget_lockout_on_abor;

/// What the control loop does with a command.
#[derive(Debug)]
pub enum Action {
    /// Write this reply; the session goes on.
    Reply(ServerReply),
    /// Write this reply, then close the control connection (QUIT).
    Close(ServerReply),
    /// Start this transfer; its 150 and final reply come from the transfer task.
    Transfer(TransferJob),
    /// Write nothing. Only the `silent-*` faults return it: RFC 959 §4.2 wants a reply.
    Silence,
    /// Connect to this address at once, close the connection if it opened, drop any pending
    /// data setup, then write `425 Can't open data connection.` whatever happened. Only
    /// `privileged-port-tries-connect` returns it, for a PORT/EPRT port below 1024: RFC 2577
    /// §3 suggests "that servers not open data connections to TCP ports less than 1024".
    ProbePrivileged(SocketAddr),
    /// Write this reply (234), then negotiate TLS on the control connection as the TLS
    /// server (RFC 4217 §4). Only `AUTH TLS` returns it.
    StartTls(ServerReply),
}

/// Whether a command takes an argument (RFC 959 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    /// `VERB CRLF` only.
    None,
    /// `VERB [SP arg] CRLF`.
    Optional,
    /// `VERB SP arg CRLF`.
    Required,
}

type Handler = fn(&mut Session, &Shared, Option<&[u8]>) -> Action;

/// One row of the command table.
struct Entry {
    verb: &'static [u8],
    /// False for the commands allowed before login.
    login: bool,
    arg: Arg,
    run: Handler,
}

const fn entry(verb: &'static [u8], login: bool, arg: Arg, run: Handler) -> Entry {
    Entry {
        verb,
        login,
        arg,
        run,
    }
}

/// Every command the server knows. Before login only USER, PASS, QUIT, AUTH, PBSZ, PROT, CCC,
/// FEAT, SYST, NOOP and HELP are allowed.
const TABLE: &[Entry] = &[
    entry(b"USER", false, Arg::Required, auth::user),
    entry(b"PASS", false, Arg::Optional, auth::pass),
    entry(b"QUIT", false, Arg::None, auth::quit),
    entry(b"AUTH", false, Arg::Required, security::auth),
    entry(b"PBSZ", false, Arg::Required, security::pbsz),
    entry(b"PROT", false, Arg::Required, security::prot),
    entry(b"CCC", false, Arg::None, security::ccc),
    entry(b"REIN", true, Arg::None, auth::rein),
    entry(b"FEAT", false, Arg::None, info::feat),
    entry(b"SYST", false, Arg::None, info::syst),
    entry(b"NOOP", false, Arg::None, info::noop),
    entry(b"HELP", false, Arg::Optional, info::help),
    entry(b"STAT", true, Arg::None, info::stat),
    entry(b"PWD", true, Arg::None, info::pwd),
    entry(b"CWD", true, Arg::Required, info::cwd),
    entry(b"TYPE", true, Arg::Required, info::type_),
    entry(b"MODE", true, Arg::Required, info::mode),
    entry(b"STRU", true, Arg::Required, info::stru),
    entry(b"SIZE", true, Arg::Required, info::size),
    entry(b"DELE", true, Arg::Required, info::dele),
    entry(b"PORT", true, Arg::Required, port::port),
    entry(b"EPRT", true, Arg::Optional, eprt::eprt),
    entry(b"LPRT", true, Arg::Optional, port::lprt),
    entry(b"PASV", true, Arg::None, passive::pasv),
    entry(b"EPSV", true, Arg::Optional, passive::epsv),
    entry(b"LPSV", true, Arg::Optional, passive::lpsv),
    entry(b"LIST", true, Arg::Optional, transfer::list),
    entry(b"NLST", true, Arg::Optional, transfer::nlst),
    entry(b"RETR", true, Arg::Required, transfer::retr),
    entry(b"STOR", true, Arg::Required, transfer::stor),
    entry(b"ABOR", true, Arg::None, transfer::abor),
];

/// Handles one command line (Telnet bytes already stripped, no CRLF).
pub fn dispatch(s: &mut Session, shared: &Shared, line: &[u8]) -> Action {
    let verb = verb_of(line);
    let arg = argument(line);
    // The eprt-any-delimiter and eprt-accept-all faults let a NUL or CR delimiter reach EPRT.
    let exempt = verb == b"EPRT"
        && (shared.fault(Fault::EprtAnyDelimiter) || shared.fault(Fault::EprtAcceptAll));
    if line.iter().any(|&b| b == 0 || b == b'\r') && !exempt {
        if line.contains(&0) && shared.fault(Fault::SilentNul) {
            return Action::Silence;
        }
        return reply(500, "Invalid character in command");
    }
    let Some((entry, glued)) = lookup(&verb).filter(|_| cased_verb(shared, line)) else {
        return unknown_command(shared);
    };
    if entry.login && !s.logged_in() {
        return not_logged_in();
    }
    if security::refused_in_clear(s, shared, entry.verb) {
        return security::tls_required();
    }
    if glued {
        // `EPRT|1|…`: a known verb with its argument glued on. RFC 2428 §2: "The EPRT command
        // keyword MUST be followed by a single space" — a syntax error in the argument.
        return reply(501, "A single space must separate command and argument");
    }
    match (entry.arg, arg) {
        (Arg::None, Some(_)) => reply(501, "Command takes no argument"),
        (Arg::Required, None) => reply(501, "Command needs an argument"),
        _ => (entry.run)(s, shared, arg),
    }
}

/// True when `line` (Telnet bytes stripped) is ABOR, which acts at once during a transfer.
pub fn is_abor(shared: &Shared, line: &[u8]) -> bool {
    // `abor-not-implemented`: an ABOR during a transfer waits like any command, then gets 502.
    verb_of(line) == b"ABOR" && cased_verb(shared, line) && !shared.fault(Fault::AborNotImplemented)
}

/// RFC 959 §5.3: "upper and lower case alphabetic characters are to be treated identically" —
/// so every verb passes, except a verb with lower case under `case-sensitive-commands`.
fn cased_verb(shared: &Shared, line: &[u8]) -> bool {
    let raw = line.split(|&b| b == b' ').next().unwrap_or_default();
    !(shared.fault(Fault::CaseSensitiveCommands) && raw.iter().any(u8::is_ascii_lowercase))
}

/// RFC 959 §4.2: "Every command must generate at least one reply" — an unknown one gets 500.
pub(super) fn unknown_command(shared: &Shared) -> Action {
    if shared.fault(Fault::SilentUnknownCommand) {
        return Action::Silence;
    }
    reply(500, "Unknown command")
}

/// The table entry for `verb` (upper-cased, up to the first SP). `glued` is true when only
/// the verb's leading letters are known and something other than SP follows them (RFC 959
/// §5.3: command codes are alphabetic, terminated by SP or the end of line).
fn lookup(verb: &[u8]) -> Option<(&'static Entry, bool)> {
    if let Some(entry) = TABLE.iter().find(|e| e.verb == verb) {
        return Some((entry, false));
    }
    let letters = verb.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let known = TABLE.iter().find(|e| e.verb == &verb[..letters])?;
    Some((known, true))
}

/// The bytes after the first SP, if there is one. RFC 2428 §2: "The EPRT command keyword MUST
/// be followed by a single space" — a second space becomes part of the argument (and is then
/// refused as a delimiter outside 33–126).
fn argument(line: &[u8]) -> Option<&[u8]> {
    let sp = line.iter().position(|&b| b == b' ')?;
    Some(&line[sp + 1..])
}

/// `Action::Reply` of a single-line reply.
pub(super) fn reply(code: u16, text: impl AsRef<[u8]>) -> Action {
    Action::Reply(ServerReply::new(code, text))
}

pub(super) fn not_logged_in() -> Action {
    reply(530, "Please login with USER and PASS")
}

/// RFC 2428 §3: "Upon receipt of an EPSV ALL command, the server MUST reject all data connection
/// setup commands other than EPSV (i.e., EPRT, PORT, PASV, et al.)." Per §4 this lasts for the
/// rest of the control connection.
pub(super) fn locked_out() -> Action {
    reply(503, "EPSV ALL in effect")
}

/// True when the EPSV ALL lockout refuses a command — unless `allowed`, the fault that lets
/// that one command through, is made.
pub(super) fn lockout_applies(s: &Session, shared: &Shared, allowed: Fault) -> bool {
    s.epsv_all && !shared.fault(allowed)
}

/// RFC 2428 §2: "If the network protocol is unsupported, the format of the response string
/// MUST be: `<text stating that the network protocol is unsupported> (prot1,prot2,...,protn)`".
/// The server supports exactly the protocol of the control connection (RFC 2428 §3: the data
/// connection uses the control connection's network protocol).
pub(super) fn unsupported_protocol(s: &Session, shared: &Shared) -> Action {
    if shared.fault(Fault::Eprt501For522) {
        return reply(501, "Network protocol not supported");
    }
    let mut text = b"Network protocol not supported".to_vec();
    if !shared.fault(Fault::NoList522) {
        text.extend_from_slice(b", use ");
        ProtocolList(vec![s.family()]).encode(&mut text);
    }
    reply(522, text)
}

#[cfg(test)]
mod tests;
