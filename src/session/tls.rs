//! The client side of FTPS (RFC 4217): what to trust, the TLS configuration of a run, and the
//! session each control connection shares with its data connections.
//!
//! TLS is rustls with the **ring** crypto provider: it builds from crates alone with a C
//! compiler (no cmake, no Go, no OpenSSL), so a fresh machine needs nothing but cargo.
//!
//! Certificate checking is on by default (the Mozilla roots of `webpki-roots`, or the PEM
//! roots of `--tls-ca`); `--tls-insecure` turns it off for self-signed test servers and says
//! so in the run header.
//!
//! **Session resumption.** RFC 4217 §10 lets a server require that a data connection's TLS
//! session be "a continuation" of the control connection's (vsftpd's `require_ssl_reuse`, on
//! by default, refuses any other). So each control connection gets a [`TlsSession`]: its own
//! `Arc<ClientConfig>` with its own in-memory session cache, and the same server name, shared
//! by every data connection opened under it — a data connection resumes the session of *its*
//! control connection, never one of a scenario running beside it.

use super::SessionError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub use crate::proto::TlsMode;

/// TLS sessions a control connection keeps for its data connections to resume.
const SESSION_CACHE: usize = 16;

/// Which certificates a server may present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The Mozilla root program (`webpki-roots`): what a browser would trust.
    WebPki,
    /// Only the certificates of this PEM file (`--tls-ca`).
    CaFile(PathBuf),
    /// Only these certificates (the built-in server's throw-away certificate).
    Certificates(Vec<CertificateDer<'static>>),
    /// Nothing is checked (`--tls-insecure`): for self-signed test servers only.
    Insecure,
}

/// Why a TLS configuration could not be made: a usage error, before anything connects.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// `--tls-ca` names a file that cannot be read as PEM.
    #[error("cannot read the CA file {path}: {message}")]
    CaFile { path: PathBuf, message: String },
    /// `--tls-ca` names a file with no certificate in it, or none rustls accepts.
    #[error("the CA file {path} holds no usable certificate{detail}")]
    NoCertificate { path: PathBuf, detail: String },
    /// The host cannot be a TLS server name (RFC 6066 §3).
    #[error("{0:?} cannot be used as a TLS server name")]
    ServerName(String),
    /// rustls refused the configuration (no protocol version the provider supports).
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The TLS configuration of a run: the mode, what to trust, and the server name checked
/// against the certificate. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TlsClient {
    mode: TlsMode,
    insecure: bool,
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
}

impl TlsClient {
    /// A configuration for `host` (a DNS name or an IP address, as in the target URL).
    pub fn new(mode: TlsMode, trust: &Trust, host: &str) -> Result<TlsClient, TlsSetupError> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let config = match trust {
            Trust::Insecure => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoCheck(provider)))
                .with_no_client_auth(),
            trust => builder
                .with_root_certificates(roots(trust)?)
                .with_no_client_auth(),
        };
        let server_name = ServerName::try_from(host.to_string())
            .map_err(|_| TlsSetupError::ServerName(host.to_string()))?;
        Ok(TlsClient {
            mode,
            insecure: matches!(trust, Trust::Insecure),
            config: Arc::new(config),
            server_name,
        })
    }

    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// True when certificates are not checked (`--tls-insecure`).
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// A fresh session for one control connection and its data connections: the same trust,
    /// a session cache of its own (see the module doc).
    pub fn session(&self) -> TlsSession {
        let config = with_own_cache(&self.config);
        TlsSession {
            connector: TlsConnector::from(Arc::new(config)),
            server_name: self.server_name.clone(),
        }
    }
}

/// A copy of `config` with a session cache of its own, empty.
fn with_own_cache(config: &ClientConfig) -> ClientConfig {
    let mut config = config.clone();
    config.resumption = rustls::client::Resumption::in_memory_sessions(SESSION_CACHE);
    config
}

/// The crypto provider of every TLS connection of ftpspec, client and reference server: ring.
///
/// rustls 0.23.48 deprecates ring's provider because it has no post-quantum key exchange
/// (X25519MLKEM768); the alternative, aws-lc-rs, needs cmake (and on some targets Go or NASM)
/// to build. A conformance harness must build on a fresh machine from crates alone, and what
/// it tests is FTP over TLS, not the key exchange, so ring it is.
#[allow(deprecated)]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// The roots a [`Trust`] other than `Insecure` stands for.
fn roots(trust: &Trust) -> Result<RootCertStore, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    match trust {
        Trust::WebPki | Trust::Insecure => {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        Trust::Certificates(certs) => {
            roots.add_parsable_certificates(certs.iter().cloned());
        }
        Trust::CaFile(path) => {
            let certs = read_pem(path)?;
            let found = certs.len();
            let (added, _ignored) = roots.add_parsable_certificates(certs);
            if added == 0 {
                let detail = match found {
                    0 => String::new(),
                    n => format!(" ({n} found, none parsable)"),
                };
                return Err(TlsSetupError::NoCertificate {
                    path: path.clone(),
                    detail,
                });
            }
        }
    }
    Ok(roots)
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let error = |e: rustls_pki_types::pem::Error| TlsSetupError::CaFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    CertificateDer::pem_file_iter(path)
        .map_err(error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(error)
}

/// The TLS side of one control connection, shared with its data connections (which resume
/// its session). Cheap to clone.
#[derive(Clone)]
pub struct TlsSession {
    connector: TlsConnector,
    server_name: ServerName<'static>,
}

impl std::fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSession")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl TlsSession {
    /// Negotiates TLS as the client over `tcp`, within `wait`. `what` names the connection
    /// in errors ("on the control connection").
    pub async fn handshake(
        &self,
        tcp: TcpStream,
        wait: Duration,
        what: &'static str,
    ) -> Result<TlsStream<TcpStream>, SessionError> {
        let connect = self.start(tcp);
        match tokio::time::timeout(wait, connect).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(source)) => Err(SessionError::Tls { what, source }),
            Err(_) => Err(SessionError::Timeout {
                what: "TLS handshake",
                timeout: wait,
            }),
        }
    }

    /// The same trust and server name with an empty session cache: a data connection made with
    /// it negotiates a full handshake that resumes nothing (RFC 4217 §10), as a client that
    /// does not reuse the control connection's session would (`connect … new-session`).
    pub fn fresh(&self) -> TlsSession {
        let config = with_own_cache(self.connector.config());
        TlsSession {
            connector: TlsConnector::from(Arc::new(config)),
            server_name: self.server_name.clone(),
        }
    }

    /// Starts a handshake over `tcp`; the future completes it. RFC 4217 §7: the FTP client is
    /// the TLS client on every connection, control or data, whoever opened the TCP connection.
    pub fn start(&self, tcp: TcpStream) -> tokio_rustls::Connect<TcpStream> {
        self.connector.connect(self.server_name.clone(), tcp)
    }
}

/// What was negotiated on a connection, for the run header, the JSON report and transcripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.3`.
    pub version: String,
    /// `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// The subject of the server's certificate, RFC 4514 form (`CN=ftpspec reference
    /// server`), if it sent one that parses.
    pub subject: Option<String>,
    /// True when the handshake resumed an earlier session (RFC 4217 §10).
    pub resumed: bool,
}

impl TlsInfo {
    /// What a finished client connection negotiated.
    pub fn of(conn: &rustls::ClientConnection) -> TlsInfo {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
            Some(other) => format!("{other:?}"),
            None => "none".to_string(),
        };
        let cipher_suite = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_else(|| "none".to_string());
        let subject = conn
            .peer_certificates()
            .and_then(|certs| certs.first())
            .and_then(|cert| subject_of(cert));
        let resumed = conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
        TlsInfo {
            version,
            cipher_suite,
            subject,
            resumed,
        }
    }

    /// `TLSv1.3, TLS13_AES_256_GCM_SHA384, certificate CN=…`: one line for a transcript.
    pub fn summary(&self) -> String {
        let subject = self.subject.as_deref().unwrap_or("(no subject)");
        let resumed = if self.resumed {
            ", session resumed"
        } else {
            ""
        };
        format!(
            "{}, {}, certificate {subject}{resumed}",
            self.version, self.cipher_suite
        )
    }
}

/// The subject of a DER certificate, RFC 4514 form.
pub fn subject_of(cert: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    Some(parsed.subject().to_string())
}

/// True when `err` (from a handshake) is a certificate that did not verify: the user's trust
/// settings, not the server's TLS stack, decide what to do about it.
pub fn is_certificate_error(err: &std::io::Error) -> bool {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)))
}

/// `--tls-insecure`: accepts any certificate, but still checks that the server holds the key
/// it signs the handshake with, so a broken TLS stack is still noticed.
#[derive(Debug)]
struct NoCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_a_setup_error() {
        let missing = Trust::CaFile("/nonexistent/ca.pem".into());
        let err = TlsClient::new(TlsMode::Explicit, &missing, "localhost").unwrap_err();
        assert!(matches!(err, TlsSetupError::CaFile { .. }), "{err}");
        let dir = std::env::temp_dir().join(format!("ftpspec-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let err = TlsClient::new(TlsMode::Explicit, &Trust::CaFile(empty), "localhost");
        assert!(
            matches!(err, Err(TlsSetupError::NoCertificate { .. })),
            "{err:?}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn hosts_become_server_names() {
        for host in ["localhost", "127.0.0.1", "::1", "ftp.example.com"] {
            let client = TlsClient::new(TlsMode::Implicit, &Trust::WebPki, host).unwrap();
            assert_eq!(client.mode(), TlsMode::Implicit);
            assert!(!client.insecure());
        }
        assert!(
            TlsClient::new(TlsMode::Explicit, &Trust::Insecure, "x").is_ok_and(|c| c.insecure())
        );
        assert!(TlsClient::new(TlsMode::Explicit, &Trust::WebPki, "bad name!").is_err());
    }
}
