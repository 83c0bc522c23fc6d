//! How a reference-server instance behaves: faults, passive ports, an account, timeouts.

use super::fault::FaultSet;
use crate::proto::TlsMode;
use std::time::Duration;

/// The passive range of the built-in target of `ftpspec run` (and of the project's tests):
/// below Linux's default ephemeral range (32768–60999), so no outgoing connection on the host
/// is ever given a passive port that a scenario expects to stay closed (after ABOR, RFC 2428
/// §3), and ports are chosen at random within it (RFC 2577 §8).
pub const BUILTIN_PASSIVE_RANGE: (u16, u16) = (20000, 29999);

/// The configuration of one reference server. [`Config::default`] is the clean server: no
/// faults, ephemeral passive ports, only the anonymous accounts, 10 s data timeout, 300 s idle
/// timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The deliberate violations to make (empty: a conforming server).
    pub faults: FaultSet,
    /// Inclusive passive port range (both ends), None = ephemeral ports (bind port 0).
    pub passive_ports: Option<(u16, u16)>,
    /// A named account besides anonymous/ftp (which accept any password).
    pub account: Option<(String, String)>,
    /// How long to wait for a data connection or for a peer on the data connection.
    pub data_timeout: Duration,
    /// How long an idle control connection may stay silent before 421 and close.
    pub idle_timeout: Duration,
    /// A pause after each chunk a RETR writes, as on a slow link: a 4 MiB file then takes a
    /// quarter of a second at 1 ms, so an ABOR sent while the client drains it surely finds the
    /// transfer running (RFC 959 §4.1.3's second case), even on a loaded machine. Tests that
    /// prove the ABOR faults use it; by default transfers run at full speed.
    pub send_pause: Option<Duration>,
    /// FTPS (RFC 4217): `AUTH TLS` (explicit) or TLS from the first byte (implicit), with a
    /// throw-away self-signed certificate made at start. `None`: plain FTP only.
    pub tls: Option<TlsMode>,
    /// With `tls`: USER and PASS are refused (530) until the control connection is protected,
    /// as on servers configured to require TLS (vsftpd `force_local_logins_ssl`, ProFTPD
    /// `TLSRequired on`). RFC 4217 §11 leaves the policy to the server.
    pub tls_required: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            faults: FaultSet::default(),
            passive_ports: None,
            account: None,
            data_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            send_pause: None,
            tls: None,
            tls_required: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_clean_server() {
        let c = Config::default();
        assert!(c.faults.is_empty());
        assert_eq!(c.passive_ports, None);
        assert_eq!(c.account, None);
        assert_eq!(c.data_timeout, Duration::from_secs(10));
        assert_eq!(c.idle_timeout, Duration::from_secs(300));
        assert_eq!(c.send_pause, None);
        assert_eq!(c.tls, None);
        assert!(!c.tls_required);
    }
}
