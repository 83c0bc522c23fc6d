//! The TLS options shared by `run` and `fuzz` (`--tls`, `--tls-ca`, `--tls-insecure`, and the
//! `ftpes://`/`ftps://` schemes): which mode, and what to trust (RFC 4217).

use super::args::{TlsArg, TlsOpts};
use crate::proto::TlsMode;
use crate::session::{TlsClient, Trust};
use rustls::pki_types::CertificateDer;

/// The TLS mode of a session with `url`: `--tls`, or the URL's scheme; both must agree.
pub fn tls_mode(
    flag: Option<TlsArg>,
    scheme: Option<TlsMode>,
    url: &str,
) -> Result<Option<TlsMode>, String> {
    match (flag.map(TlsMode::from), scheme) {
        (Some(f), Some(s)) if f != s => Err(format!(
            "--tls {} contradicts the target URL {url:?}, which means {} FTPS",
            f.name(),
            s.name()
        )),
        (flag, scheme) => Ok(flag.or(scheme)),
    }
}

/// The TLS configuration in `mode` (none without a mode): what `--tls-ca` and
/// `--tls-insecure` say to trust, else `builtin` (the built-in server's certificate), else the
/// Mozilla roots.
pub fn tls_client(
    opts: &TlsOpts,
    mode: Option<TlsMode>,
    builtin: Option<&CertificateDer<'static>>,
    host: &str,
) -> Result<Option<TlsClient>, String> {
    let Some(mode) = mode else {
        if opts.tls_ca.is_some() || opts.tls_insecure {
            return Err(
                "--tls-ca and --tls-insecure need --tls, or an ftpes:// or ftps:// target".into(),
            );
        }
        return Ok(None);
    };
    let trust = match (&opts.tls_ca, opts.tls_insecure, builtin) {
        (_, true, _) => Trust::Insecure,
        (Some(path), _, _) => Trust::CaFile(path.clone()),
        (None, false, Some(cert)) => Trust::Certificates(vec![cert.clone()]),
        (None, false, None) => Trust::WebPki,
    };
    TlsClient::new(mode, &trust, host)
        .map(Some)
        .map_err(|e| e.to_string())
}
