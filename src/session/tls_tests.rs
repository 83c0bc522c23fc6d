//! The TLS client against scripted peers on loopback: AUTH TLS, what may not precede the
//! handshake, and data connections that are TLS and resume the control connection's session.

use super::data::read_to_end;
use super::tls::{TlsClient, Trust};
use super::{ControlConnection, DataStream, Recorder, SessionError};
use crate::proto::TlsMode;
use crate::server::tls::ServerTls;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WAIT: Duration = Duration::from_secs(10);

/// A server identity and a client that trusts it.
fn pair() -> (ServerTls, TlsClient) {
    let server = ServerTls::generate(TlsMode::Explicit).unwrap();
    let trust = Trust::Certificates(vec![server.certificate().clone()]);
    let client = TlsClient::new(TlsMode::Explicit, &trust, "localhost").unwrap();
    (server, client)
}

/// A control connection to a fresh listener, and the server's end of it.
async fn connected() -> (ControlConnection, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conn = ControlConnection::connect(addr, WAIT, Recorder::new())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (conn, server)
}

/// Reads the client's line (`AUTH TLS\r\n`) from the server's end.
async fn read_line(server: &mut TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        server.read_exact(&mut byte).await.unwrap();
        line.push(byte[0]);
    }
    line
}

#[tokio::test]
async fn auth_tls_needs_234() {
    let (_server_tls, client) = pair();
    let (mut conn, mut server) = connected().await;
    let script = tokio::spawn(async move {
        assert_eq!(read_line(&mut server).await, b"AUTH TLS\r\n");
        server.write_all(b"500 Unknown command\r\n").await.unwrap();
        server
    });
    let err = conn.auth_tls(client.session(), WAIT).await.unwrap_err();
    assert!(matches!(err, SessionError::AuthTlsRefused { .. }), "{err}");
    assert!(err.to_string().contains("500 Unknown command"), "{err}");
    assert!(conn.tls().is_none());
    drop(script.await.unwrap());
}

/// Bytes after the 234 and before the handshake came in the clear: refused, and the stream is
/// not handed to TLS.
#[tokio::test]
async fn clear_bytes_after_234_are_refused() {
    let (_server_tls, client) = pair();
    let (mut conn, mut server) = connected().await;
    let script = tokio::spawn(async move {
        read_line(&mut server).await;
        server
            .write_all(b"234 AUTH TLS ok\r\n200 injected\r\n")
            .await
            .unwrap();
        server
    });
    let err = conn.auth_tls(client.session(), WAIT).await.unwrap_err();
    assert!(
        matches!(err, SessionError::ClearBytesBeforeHandshake { bytes: 14 }),
        "{err}"
    );
    drop(script.await.unwrap());
}

/// A certificate nobody vouches for does not verify, and says so.
#[tokio::test]
async fn an_untrusted_certificate_fails_the_handshake() {
    let (server_tls, _) = pair();
    let stranger = TlsClient::new(TlsMode::Implicit, &Trust::WebPki, "localhost").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = server_tls.acceptor().clone();
    let serving = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = acceptor.accept(tcp).await;
    });
    let err = ControlConnection::connect_tls(addr, stranger.session(), WAIT, Recorder::new())
        .await
        .unwrap_err();
    assert!(err.is_certificate_error(), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    serving.await.unwrap();
}

/// Under PROT P a data connection is TLS from its first byte: what a plain TCP peer reads is
/// a TLS handshake record (content type 22, RFC 8446 §5.1), a ClientHello (type 1).
#[tokio::test]
async fn a_private_data_connection_starts_with_a_client_hello() {
    let (_server_tls, client) = pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    let session = client.session();
    let mut data = DataStream::new(tcp, Some(&session));
    assert!(data.is_tls() && data.handshake_pending());
    // The handshake starts with the first read; the peer never answers, so the read times out.
    let reading = tokio::spawn(async move {
        let recorder = Recorder::new();
        read_to_end("d", &mut data, 1024, Duration::from_millis(500), &recorder).await
    });
    let mut head = [0u8; 6];
    peer.read_exact(&mut head).await.unwrap();
    assert_eq!(head[0], 22, "a TLS handshake record: {head:?}");
    assert_eq!(head[5], 1, "a ClientHello: {head:?}");
    let err = reading.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("TLS handshake"), "{err}");
}

/// A data connection resumes the TLS session of its control connection (RFC 4217 §10,
/// vsftpd's `require_ssl_reuse`), and a handshake failure on it is an error that says so.
#[tokio::test]
async fn data_connections_resume_the_control_session() {
    let (server_tls, client) = pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = server_tls.acceptor().clone();
    let serving = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut control = acceptor.accept(tcp).await.unwrap();
        control.write_all(b"220 protected\r\n").await.unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let mut data = acceptor.accept(tcp).await.unwrap();
        let resumed = data.get_ref().1.handshake_kind();
        data.write_all(b"hello").await.unwrap();
        data.shutdown().await.unwrap();
        // A plain TCP peer where TLS is expected: the client's handshake fails.
        let (mut tcp, _) = listener.accept().await.unwrap();
        tcp.write_all(b"150 not TLS\r\n").await.unwrap();
        (resumed, control)
    });
    let (mut conn, info) =
        ControlConnection::connect_tls(addr, client.session(), WAIT, Recorder::new())
            .await
            .unwrap();
    assert!(!info.resumed);
    // Reading the greeting also takes in the session tickets sent after the handshake.
    assert_eq!(conn.read_reply(WAIT).await.unwrap().code.0, 220);
    conn.set_private_data(true);
    let session = conn
        .data_tls()
        .expect("PROT P on a protected connection")
        .clone();
    let recorder = Recorder::new();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut data = DataStream::new(tcp, Some(&session));
    let got = read_to_end("d", &mut data, 1024, WAIT, &recorder)
        .await
        .unwrap();
    assert_eq!(got, b"hello");
    assert!(
        data.tls_info().is_some_and(|i| i.resumed),
        "{:?}",
        data.tls_info()
    );
    assert!(!data.truncated());
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut plain = DataStream::new(tcp, Some(&session));
    let err = read_to_end("d", &mut plain, 1024, WAIT, &recorder)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("TLS handshake on the data connection failed"),
        "{err}"
    );
    let (resumed, _control) = serving.await.unwrap();
    assert_eq!(resumed, Some(rustls::HandshakeKind::Resumed));
}
