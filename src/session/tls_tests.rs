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
    // The peer never answers the ClientHello, so the first read times out on the handshake.
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

/// The handshake of a data connection does not wait for the client's first read: a server
/// that negotiates and then sends finds its handshake done and its data going out while the
/// client reads nothing, as with a TLS client that stalls mid-transfer (the ABOR scenarios of
/// RFC 959 §4.1.3 "with the client stalled"). A handshake left for the first read kept
/// pyftpdlib from sending a byte, and it answered ABOR with 225 instead of 426 and 226.
#[tokio::test]
async fn a_data_handshake_completes_before_the_first_read() {
    let (server_tls, client) = pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (peer, _) = listener.accept().await.unwrap();
    let session = client.session();
    let mut data = DataStream::new(tcp, Some(&session));
    // The server's side finishes its handshake and sends, the client touching nothing.
    let mut served = tokio::time::timeout(WAIT, server_tls.acceptor().accept(peer))
        .await
        .expect("the handshake ends without a read on the client's side")
        .unwrap();
    served.write_all(b"sent before any read").await.unwrap();
    served.shutdown().await.unwrap();
    let got = read_to_end("d", &mut data, 1024, WAIT, &Recorder::new())
        .await
        .unwrap();
    assert_eq!(got, b"sent before any read");
    assert!(!data.handshake_pending() && data.tls_info().is_some());
}

/// A data connection dropped while its handshake runs in the background ends that handshake:
/// the server sees the TCP connection close, not a client that lingers.
#[tokio::test]
async fn dropping_a_data_connection_ends_its_handshake() {
    let (_server_tls, client) = pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    let session = client.session();
    let data = DataStream::new(tcp, Some(&session));
    drop(data);
    let mut rest = Vec::new();
    // The ClientHello (sent before the drop, or not) and then EOF: never a hang.
    tokio::time::timeout(WAIT, peer.read_to_end(&mut rest))
        .await
        .expect("the connection closes")
        .unwrap();
}

/// `settle_handshake` (what ABOR waits for): true once the server has negotiated, without a
/// read; false, within its bound, while the server has not answered (the handshake then goes
/// on); and a failed handshake is still the error of the first read.
#[tokio::test]
async fn settling_a_data_handshake_waits_for_the_server_and_keeps_failures() {
    let (server_tls, client) = pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let session = client.session();

    // A server that does not answer yet: not settled within the bound, still pending.
    let mut data = DataStream::new(TcpStream::connect(addr).await.unwrap(), Some(&session));
    let (peer, _) = listener.accept().await.unwrap();
    assert!(!data.settle_handshake(Duration::from_millis(100)).await);
    assert!(data.handshake_pending());
    // Then it negotiates: settled, and the data are there to read.
    let acceptor = server_tls.acceptor().clone();
    let serving = tokio::spawn(async move {
        let mut served = acceptor.accept(peer).await.unwrap();
        served.write_all(b"after the handshake").await.unwrap();
        served.shutdown().await.unwrap();
    });
    assert!(data.settle_handshake(WAIT).await);
    assert!(!data.handshake_pending() && data.tls_info().is_some());
    let got = read_to_end("d", &mut data, 1024, WAIT, &Recorder::new())
        .await
        .unwrap();
    assert_eq!(got, b"after the handshake");
    serving.await.unwrap();

    // A plain peer: the handshake fails; settled, and the first read says why.
    let mut plain = DataStream::new(TcpStream::connect(addr).await.unwrap(), Some(&session));
    let (mut peer, _) = listener.accept().await.unwrap();
    peer.write_all(b"150 not TLS\r\n").await.unwrap();
    assert!(plain.settle_handshake(WAIT).await);
    let err = read_to_end("d", &mut plain, 1024, WAIT, &Recorder::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("TLS handshake on the data connection failed"),
        "{err}"
    );

    // Plain TCP has nothing to settle.
    let mut tcp = DataStream::new(TcpStream::connect(addr).await.unwrap(), None);
    assert!(tcp.settle_handshake(Duration::ZERO).await);
}
