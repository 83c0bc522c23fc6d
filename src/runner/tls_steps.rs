//! The steps and preconditions of FTPS scenarios (RFC 4217): `needs tls|auth-tls|tls-required`,
//! `starttls`, and the client following the scenario's own `PROT` commands.
//!
//! ```text
//! C: AUTH TLS     S: 234 …      then `starttls`: the TLS handshake, ftpspec the TLS client
//! C: PBSZ 0       S: 200 …
//! C: PROT P       S: 200 …      data connections from now on: TLS, resuming this session
//! C: PROT C       S: 200 …      data connections from now on: clear
//! ```

use super::config::RunConfig;
use super::exec::ScenarioRun;
use super::stop::Stop;
use crate::proto::{ProtLevel, Reply, TlsMode};
use crate::suite::{Need, Scenario};

/// SKIP, with the reason, for a scenario whose TLS preconditions the run does not meet: `needs
/// tls` wants a run over TLS, `needs auth-tls` one over explicit TLS (implicit FTPS has no
/// clear control connection to send AUTH TLS on), `needs tls-required` a target declared to
/// refuse clear sessions.
pub fn check_tls_needs(scenario: &Scenario, config: &RunConfig) -> Result<(), Stop> {
    let mode = config.tls.as_ref().map(|t| t.mode());
    for need in &scenario.needs {
        let why = match (need, mode) {
            (Need::Tls, None) => {
                "needs a run over TLS (ftpspec run --tls explicit|implicit, or an ftpes:// or \
                 ftps:// target): this run talks to the target in the clear"
            }
            (Need::AuthTls, None) => {
                "needs a target that offers AUTH TLS (ftpspec run --tls explicit, or an ftpes:// \
                 target): this run talks to the target in the clear"
            }
            (Need::AuthTls, Some(TlsMode::Implicit)) => {
                "needs a clear control connection to send AUTH TLS on (explicit FTPS, RFC 4217 \
                 §4); implicit FTPS is TLS from the first byte"
            }
            (Need::TlsRequired, _) if !config.tls_required => {
                "needs a target that requires TLS (declare it with ftpspec run --tls-required)"
            }
            _ => continue,
        };
        return Err(Stop::Skip(why.into()));
    }
    Ok(())
}

/// The PROT level a command line sets (`PROT P`, in any case), if it is one.
fn prot_level(sent: &str) -> Option<ProtLevel> {
    let (verb, arg) = sent.split_once(' ')?;
    match verb.eq_ignore_ascii_case("PROT") {
        true => ProtLevel::parse(arg.as_bytes()),
        false => None,
    }
}

impl ScenarioRun<'_> {
    /// `starttls`: the TLS handshake on the control connection, as the TLS client, under the
    /// step timeout. RFC 4217 §4: after a 234 to AUTH TLS the client and the server negotiate
    /// TLS. A handshake that fails or does not finish (a server that said 234 and went on in
    /// the clear) fails the step at once, with what happened; the connection is unusable after.
    pub(super) async fn start_tls(&mut self, line: usize) -> Result<(), Stop> {
        let Some(tls) = self.config.tls.as_ref() else {
            return Err(Stop::Error("`starttls` in a run without TLS".into()));
        };
        let wait = self.config.step_timeout;
        match self.ctrl.start_tls(tls.session(), wait).await {
            Ok(_) => Ok(()),
            Err(e) => Err(Stop::fail(
                line,
                "no TLS session after the 234 to AUTH TLS",
                "a TLS handshake on the control connection (RFC 4217 §4)",
                e.to_string(),
            )),
        }
    }

    /// After a 2xx to the scenario's own `PROT C` or `PROT P`, data connections follow it, as
    /// a client does (RFC 4217 §9): TLS under P, clear under C. Other levels change nothing.
    pub(super) fn follow_prot(&mut self, reply: &Reply) {
        if reply.code.class() != 2 {
            return;
        }
        match self.last_sent.as_deref().and_then(prot_level) {
            Some(ProtLevel::PRIVATE) => self.ctrl.set_private_data(true),
            Some(ProtLevel::CLEAR) => self.ctrl.set_private_data(false),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prot_lines_name_their_level() {
        assert_eq!(prot_level("PROT P"), Some(ProtLevel::PRIVATE));
        assert_eq!(prot_level("prot c"), Some(ProtLevel::CLEAR));
        assert_eq!(prot_level("PROT X"), Some(ProtLevel(b'X')));
        assert_eq!(prot_level("PBSZ 0"), None);
        assert_eq!(prot_level("PROT"), None);
        assert_eq!(prot_level("PROT PP"), None);
    }
}
