//! The harness's own TLS steps for a campaign over FTPS (RFC 4217): every control connection
//! of a campaign — the dialogues', the health and liveness probes', the cleanup session's —
//! is opened the same way, since a server that requires TLS refuses clear sessions.
//!
//! ```text
//! implicit: TLS handshake, then the greeting
//! explicit: the greeting, C: AUTH TLS  S: 234, TLS handshake        (RFC 4217 §4)
//! after a login that succeeded: C: PBSZ 0  S: 200, C: PROT P  S: 200 (RFC 4217 §8, §9)
//! ```
//!
//! None of these lines is part of a dialogue: they are not in its trace, and a finding's
//! scenario says `needs tls` instead, so that `ftpspec run --tls …` takes the same steps on
//! replay (its `login` step sends PBSZ and PROT P too).

use crate::fuzz::exec::ExecConfig;
use crate::proto::TlsMode;
use crate::session::{ControlConnection, Recorder, SessionError};
use std::time::Duration;

/// Why the data connections of a session could not be protected.
#[derive(Debug, thiserror::Error)]
pub enum ProtectError {
    #[error("{line}: {source}")]
    Session {
        line: &'static str,
        source: SessionError,
    },
    /// RFC 4217 §9: PBSZ 0 and PROT P are answered 200 by a server that protects data.
    #[error("{line} was refused (RFC 4217 §9 wants 200): {code}")]
    Refused { line: &'static str, code: u16 },
}

/// A control connection to the target as the campaign's TLS mode says: implicit FTPS
/// negotiates TLS before the greeting. Does not read the greeting; explicit FTPS is
/// [`secure`] after it.
pub async fn open(cfg: &ExecConfig, recorder: Recorder) -> Result<ControlConnection, SessionError> {
    let wait = cfg.timeout;
    match cfg.tls.as_ref().filter(|t| t.mode() == TlsMode::Implicit) {
        Some(tls) => Ok(
            ControlConnection::connect_tls(cfg.addr, tls.session(), wait, recorder)
                .await?
                .0,
        ),
        None => ControlConnection::connect(cfg.addr, wait, recorder).await,
    }
}

/// After the greeting: `AUTH TLS` and the handshake, for explicit FTPS (RFC 4217 §4).
pub async fn secure(ctrl: &mut ControlConnection, cfg: &ExecConfig) -> Result<(), SessionError> {
    match cfg.tls.as_ref().filter(|t| t.mode() == TlsMode::Explicit) {
        Some(tls) => ctrl.auth_tls(tls.session(), cfg.timeout).await.map(|_| ()),
        None => Ok(()),
    }
}

/// After a login on a protected connection: `PBSZ 0`, then `PROT P` (RFC 4217 §9: "the PBSZ
/// command MUST still be issued, but must have a parameter of '0'", before PROT), so that
/// data connections are TLS too, resuming the control connection's session. Nothing to do on
/// a clear connection.
pub async fn protect(ctrl: &mut ControlConnection, wait: Duration) -> Result<(), ProtectError> {
    if ctrl.tls().is_none() {
        return Ok(());
    }
    for line in ["PBSZ 0", "PROT P"] {
        let session = |source| ProtectError::Session { line, source };
        ctrl.send(format!("{line}\r\n").as_bytes())
            .await
            .map_err(session)?;
        let reply = ctrl.read_reply(wait).await.map_err(session)?;
        if reply.code.0 != 200 {
            return Err(ProtectError::Refused {
                line,
                code: reply.code.0,
            });
        }
    }
    ctrl.set_private_data(true);
    Ok(())
}
