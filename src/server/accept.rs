//! The accept loop: one per listening address, each session a task it owns.

use super::control::{serve, serve_stream};
use super::session::Shared;
use super::tls::{ServerStream, TlsMode};
use super::urgent::UrgentInline;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Most control connections served at once per listening address; more get 421.
pub const MAX_SESSIONS: usize = 256;

/// Back-off after a failed accept (out of file descriptors, say), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Accepts control connections until the task is aborted; aborting it drops the [`JoinSet`],
/// which aborts every session it spawned.
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => admit(&mut sessions, stream, peer, &shared),
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

fn admit(
    sessions: &mut JoinSet<()>,
    stream: TcpStream,
    peer: std::net::SocketAddr,
    shared: &Arc<Shared>,
) {
    if sessions.len() >= MAX_SESSIONS {
        // RFC 959 §5.4: 421 may be sent on connection establishment. Best effort only: the
        // socket buffer of a fresh connection has room for one line.
        let _ = stream.try_write(b"421 Too many connections, try later\r\n");
        return;
    }
    let _ = stream.set_nodelay(true);
    let Ok(local) = stream.local_addr() else {
        return;
    };
    // RFC 959 §4.1.3: the Synch's DM byte is sent as TCP urgent data. Reading it in-band keeps
    // it in order with the bytes around it, where strip_telnet removes it before parsing.
    let stream = UrgentInline::new(stream);
    let implicit = shared
        .tls
        .as_ref()
        .filter(|t| t.mode() == TlsMode::Implicit);
    let Some(tls) = implicit else {
        sessions.spawn(serve_stream(stream, peer, local, shared.clone()));
        return;
    };
    // Implicit FTPS: TLS from the first byte, the greeting inside it.
    let (acceptor, shared) = (tls.acceptor().clone(), shared.clone());
    sessions.spawn(async move {
        let limit = shared.config.idle_timeout;
        if let Ok(Ok(tls)) = tokio::time::timeout(limit, acceptor.accept(stream)).await {
            serve(ServerStream::Tls(Box::new(tls)), peer, local, shared).await;
        }
    });
}
