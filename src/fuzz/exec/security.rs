//! What an accepted security command of a dialogue changes in its session (RFC 2228 §3, RFC
//! 4217), checked after every operation, in the order the final replies came:
//!
//! ```text
//! PROT P  → 2xx   data connections from now on: TLS, resuming the control session (§9)
//! PROT C  → 2xx   data connections from now on: clear
//! AUTH …  → 234   the server now waits for a TLS handshake (§4)      } the dialogue ends,
//! CCC     → 2xx   the control connection goes on in the clear (§6)   } inconclusive
//! ```
//!
//! The executor follows neither AUTH nor CCC: a dialogue's lines after them would reach a
//! server that reads TLS records where the client writes clear text, or the other way round,
//! and what it then does (a close, silence) is no defect. Such a dialogue ends there,
//! inconclusive, and nothing after the accepted command is judged.

use crate::fuzz::exec::trace::{End, Exchange};
use crate::fuzz::exec::{Exec, Flow};
use crate::proto::ProtLevel;

/// What an answered command did to the session.
enum Effect {
    None,
    /// `PROT P` (true) or `PROT C` (false) was accepted.
    Data(bool),
    /// The session switched to what the executor does not follow; why.
    Switched(&'static str),
}

fn effect(c: &Exchange) -> Effect {
    let Some(code) = c.replies.last().map(|s| s.code.0) else {
        return Effect::None;
    };
    match (c.verb.as_slice(), code) {
        // RFC 2228 §3: 234 "security data exchange complete", 334 "ADAT must follow": either
        // way the server has left the plain exchange.
        (b"AUTH", 234 | 334) => Effect::Switched(
            "AUTH was accepted: the server now waits for a security exchange (RFC 4217 §4), which \
             the dialogue does not do",
        ),
        (b"CCC", 200..=299) => Effect::Switched(
            "CCC was accepted: the control connection goes on in the clear (RFC 4217 §6), which \
             the executor does not follow",
        ),
        (b"PROT", 200..=299) => {
            let arg = c.line.splitn(2, |&b| b == b' ').nth(1).unwrap_or_default();
            match ProtLevel::parse(arg) {
                Some(ProtLevel::PRIVATE) => Effect::Data(true),
                Some(ProtLevel::CLEAR) => Effect::Data(false),
                _ => Effect::None,
            }
        }
        _ => Effect::None,
    }
}

impl Exec<'_> {
    /// Applies the effects of the commands answered since the last call (see the module doc).
    /// `Err` when the dialogue cannot go on: its end is then inconclusive.
    pub(super) fn security(&mut self) -> Flow {
        loop {
            let i = self.security_seen;
            let Some(c) = self.ledger.trace.commands.get(i) else {
                return Ok(());
            };
            // A command still owed its final reply, and everything after it, waits.
            match c.replies.last() {
                Some(last) if last.code.class() != 1 => {}
                _ => return Ok(()),
            }
            self.security_seen += 1;
            match effect(c) {
                Effect::None => {}
                Effect::Data(private) => self.ctrl.set_private_data(private),
                Effect::Switched(why) => {
                    self.switched(i, why);
                    return Err(());
                }
            }
        }
    }

    /// The session switched at command `cmd`: an ending about an earlier command stands; any
    /// other is replaced by an inconclusive one.
    fn switched(&mut self, cmd: usize, why: &str) {
        let end = &mut self.ledger.trace.end;
        let earlier = match end {
            End::NoReply { cmd: c, .. } | End::Malformed { cmd: c, .. } => *c < cmd,
            End::Unreachable(_) | End::Harness(_) => true,
            End::Completed | End::Inconclusive(_) => false,
        };
        if !earlier {
            *end = End::Inconclusive(why.into());
        }
    }
}
