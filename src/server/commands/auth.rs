//! USER, PASS, REIN, QUIT (RFC 959 §4.1.1).
//!
//! `anonymous` and `ftp` log in with any password; the configured account needs its own. An
//! unknown user still gets 331, and the refusal comes only after PASS, so the replies do not
//! reveal which names exist.

use super::{Action, reply};
use crate::server::fault::Fault;
use crate::server::reply::ServerReply;
use crate::server::session::{Auth, Session, Shared};

/// `USER name` → 331. RFC 959 §4.1.1: "Servers may allow a new USER command to be entered at
/// any point in order to change the access control and/or accounting information." An EPSV ALL
/// lockout survives it (RFC 2428 §4).
pub fn user(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    let name = String::from_utf8_lossy(arg.unwrap_or_default()).into_owned();
    s.auth = Auth::NeedPassword(name);
    forget_lockout(s, shared);
    reply(331, "User name okay, need password")
}

/// `PASS password` → 230, or 530 for a wrong password, or 503 without a preceding USER.
pub fn pass(s: &mut Session, shared: &Shared, arg: Option<&[u8]>) -> Action {
    let Auth::NeedPassword(name) = &s.auth else {
        return reply(503, "Login with USER first");
    };
    if accepts(name, arg.unwrap_or_default(), shared) {
        s.auth = Auth::LoggedIn;
        reply(230, "User logged in, proceed")
    } else {
        s.auth = Auth::LoggedOut;
        reply(530, "Login incorrect")
    }
}

fn accepts(name: &str, password: &[u8], shared: &Shared) -> bool {
    if name.eq_ignore_ascii_case("anonymous") || name.eq_ignore_ascii_case("ftp") {
        return true;
    }
    match &shared.config.account {
        Some((user, pass)) => name == user && password == pass.as_bytes(),
        None => false,
    }
}

/// `REIN` → 220, logged out, pending data setup dropped. RFC 2428 §4: the EPSV ALL lockout is
/// not reset — a client needing other data setup "MUST" open a new control connection.
pub fn rein(s: &mut Session, shared: &Shared, _: Option<&[u8]>) -> Action {
    s.auth = Auth::LoggedOut;
    s.data = None;
    forget_lockout(s, shared);
    reply(220, "Service ready for new user")
}

/// `epsv-all-forgets-after-login`: a new login ends the lockout. RFC 2428 §4 wants it kept:
/// only a new control connection is a new session.
fn forget_lockout(s: &mut Session, shared: &Shared) {
    if shared.fault(Fault::EpsvAllForgetsAfterLogin) {
        s.epsv_all = false;
    }
}

/// `QUIT` → 221, then the control connection closes.
pub fn quit(_: &mut Session, _: &Shared, _: Option<&[u8]>) -> Action {
    Action::Close(ServerReply::new(221, "Goodbye"))
}
