//! The reference server's side of FTPS (RFC 4217): a throw-away identity made at start, and
//! the stream a control connection runs over before and after `AUTH TLS`.
//!
//! The certificate is self-signed, made with rcgen when the server starts, for `localhost`,
//! `127.0.0.1` and `::1`, and never written anywhere: `ftpspec run --tls …` without a target
//! trusts exactly this certificate ([`ServerTls::certificate`]), and anyone else needs
//! `--tls-insecure`. Crypto is ring, as on the client side ([`crate::session::tls::provider`]).

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

pub use crate::proto::TlsMode;

/// TLS 1.2 sessions the server remembers for resumption (TLS 1.3 uses stateless tickets).
const SESSION_CACHE: usize = 4096;

/// The session-ticket key of the ring provider, as [`crate::session::tls::provider`] chooses it.
#[allow(deprecated)]
fn ring_ticketer() -> Result<std::sync::Arc<dyn rustls::server::ProducesTickets>, rustls::Error> {
    rustls::crypto::ring::Ticketer::new()
}

/// The subject of the throw-away certificate.
pub const SUBJECT_CN: &str = "ftpspec reference server";

/// The names the certificate is made for: the loopback addresses the server listens on.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why the server's TLS identity could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsIdentityError {
    #[error("cannot make the self-signed certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The server's TLS identity and mode, shared by every session.
#[derive(Clone)]
pub struct ServerTls {
    mode: TlsMode,
    acceptor: TlsAcceptor,
    certificate: CertificateDer<'static>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// A fresh self-signed identity (ECDSA P-256) for [`NAMES`]. The one `ServerConfig` hands
    /// out session tickets (and keeps a TLS 1.2 session cache), so data connections can resume
    /// the control connection's session (RFC 4217 §10), which the server requires.
    pub fn generate(mode: TlsMode) -> Result<ServerTls, TlsIdentityError> {
        let mut params = rcgen::CertificateParams::new(NAMES.map(String::from).to_vec())?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, SUBJECT_CN);
        let key = rcgen::KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        let certificate = cert.der().clone();
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config = ServerConfig::builder_with_provider(crate::session::tls::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![certificate.clone()], private)?;
        // Stateless tickets: resumption does not depend on a cache that sessions running side
        // by side could evict, now that data connections must resume (RFC 4217 §10).
        config.ticketer = ring_ticketer()?;
        config.session_storage = rustls::server::ServerSessionMemoryCache::new(SESSION_CACHE);
        Ok(ServerTls {
            mode,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate,
        })
    }

    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// The certificate a client must trust (DER).
    pub fn certificate(&self) -> &CertificateDer<'static> {
        &self.certificate
    }

    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

/// The TLS acceptor of one data connection under `PROT P` (RFC 4217 §9).
#[derive(Clone)]
pub struct DataTls(pub TlsAcceptor);

impl std::fmt::Debug for DataTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataTls")
    }
}

/// A control connection's stream: plain until `AUTH TLS` (or from the start, under implicit
/// TLS), then TLS. One type for both, so the control loop is the same before and after.
pub enum ServerStream<S> {
    Plain(S),
    Tls(Box<TlsStream<S>>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for ServerStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ServerStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ServerStream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ServerStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ServerStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ServerStream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ServerStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ServerStream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ServerStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ServerStream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tls::{TlsClient, Trust, subject_of};

    /// A client that trusts the generated certificate completes a handshake with the server
    /// for each name it was made for, and sees its subject.
    #[tokio::test]
    async fn the_generated_identity_verifies_for_loopback_names() {
        let server = ServerTls::generate(TlsMode::Explicit).unwrap();
        let subject = subject_of(server.certificate()).unwrap();
        assert_eq!(subject, format!("CN={SUBJECT_CN}"));
        let trust = Trust::Certificates(vec![server.certificate().clone()]);
        for name in NAMES {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let acceptor = server.acceptor().clone();
            let serving = tokio::spawn(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                acceptor.accept(tcp).await.map(|_| ())
            });
            let client = TlsClient::new(TlsMode::Explicit, &trust, name).unwrap();
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let wait = std::time::Duration::from_secs(10);
            let tls = client.session().handshake(tcp, wait, "in a test").await;
            let tls = tls.unwrap_or_else(|e| panic!("{name}: {e}"));
            let info = crate::session::TlsInfo::of(tls.get_ref().1);
            assert_eq!(info.subject.as_deref(), Some(subject.as_str()));
            serving.await.unwrap().unwrap();
        }
    }
}
