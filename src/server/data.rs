//! Data-connection setup: passive listeners with the port-theft check, and active connects.
//!
//! Port theft (RFC 2577 §4, and §8 on port stealing): a third host can connect to a passive
//! port before the client does and receive the data. So a passive connection from any address
//! but the control connection's peer is closed at once and never served, and the server keeps
//! waiting for the right one.
//!
//! Active connections are bound to the control connection's local address, so the client sees
//! the data connection come from the host it talks to.

use super::fault::Fault;
use super::session::{DataSetup, Shared};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::Instant;

/// Send buffer of data sockets. Small, so that the bytes in flight stay far below a large file
/// and ABOR during a transfer finds it still running, and a client that stops reading is noticed
/// by the data timeout rather than absorbed by kernel buffers.
pub const DATA_SEND_BUFFER: u32 = 64 * 1024;

/// Pending connections a passive listener queues (a thief's and the client's, at least).
const BACKLOG: u32 = 8;

/// `privileged-port-tries-connect`: the longest a connect at PORT/EPRT time may take.
const PROBE_LIMIT: Duration = Duration::from_secs(1);

/// Why no data connection could be opened (`425`).
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Nobody (or nobody from the control peer's address) connected in time, or the connect
    /// did not complete in time.
    #[error("timed out waiting for the data connection")]
    Timeout,
    #[error("data connection failed: {0}")]
    Io(#[from] std::io::Error),
}

fn socket_for(ip: IpAddr) -> std::io::Result<TcpSocket> {
    let socket = match ip {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_send_buffer_size(DATA_SEND_BUFFER)?;
    Ok(socket)
}

/// Binds a listener on `addr`. SO_REUSEADDR lets a port whose last connection sits in
/// TIME_WAIT be handed out again (RFC 1123 §4.1.2.5).
pub(super) fn listen_on(addr: SocketAddr) -> std::io::Result<TcpListener> {
    listen_with(addr, true)
}

/// Binds a listener on `addr` the naive way, without SO_REUSEADDR, so a port with a connection
/// in TIME_WAIT cannot be bound. Only for the `passive-announces-busy-port` fault.
pub(super) fn listen_naive(addr: SocketAddr) -> std::io::Result<TcpListener> {
    listen_with(addr, false)
}

fn listen_with(addr: SocketAddr, reuse: bool) -> std::io::Result<TcpListener> {
    let socket = socket_for(addr.ip())?;
    socket.set_reuseaddr(reuse)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// A port on `ip` on which nothing listens, held so that it stays dead: the socket is bound
/// without SO_REUSEADDR and never listens, so connections to it are refused and no other
/// socket (another session's passive listener) can take the port while it is held. Only for
/// the `epsv-dead-port` and `passive-exhausts` faults.
pub fn dead_port(ip: IpAddr) -> std::io::Result<(TcpSocket, u16)> {
    let socket = socket_for(ip)?;
    socket.set_reuseaddr(false)?;
    socket.bind(SocketAddr::new(ip, 0))?;
    let port = socket.local_addr()?.port();
    Ok((socket, port))
}

/// Opens the data connection prepared by `setup`, within the configured data timeout.
pub async fn open(
    setup: DataSetup,
    peer_ip: IpAddr,
    local_ip: IpAddr,
    shared: &Shared,
) -> Result<TcpStream, DataError> {
    let limit = shared.config.data_timeout;
    match setup {
        DataSetup::Passive(listener) => {
            // `serve-stolen-data`: no source check, the first connection wins.
            let from = (!shared.fault(Fault::ServeStolenData)).then_some(peer_ip);
            accept_from(&listener, from, limit).await
        }
        DataSetup::Watched(mut watch) => watch.connection(limit).await,
        DataSetup::Active(target) => connect_from(local_ip, target, limit).await,
    }
}

/// Accepts the first connection whose source is `peer_ip` (any source when `None`); any
/// other is closed unserved.
async fn accept_from(
    listener: &TcpListener,
    peer_ip: Option<IpAddr>,
    limit: Duration,
) -> Result<TcpStream, DataError> {
    let deadline = Instant::now() + limit;
    loop {
        let accepted = tokio::time::timeout_at(deadline, listener.accept()).await;
        let (stream, from) = accepted.map_err(|_| DataError::Timeout)??;
        if peer_ip.is_none_or(|ip| from.ip().to_canonical() == ip) {
            return Ok(stream);
        }
        // RFC 2577 §4: a connection from another host is a port thief. Dropping the stream
        // closes it before a single byte is sent.
        drop(stream);
    }
}

/// `privileged-port-tries-connect` only: connects to `target` from `local_ip` at once, within
/// [`PROBE_LIMIT`], and closes the connection if it opened. What happened is not reported: the
/// caller answers 425 either way, which hides from a refusal-only check that a connection to
/// a privileged port was made (RFC 2577 §3).
pub async fn probe(local_ip: IpAddr, target: SocketAddr) {
    let _ = connect_from(local_ip, target, PROBE_LIMIT).await;
}

/// Connects to `target` from `local_ip` (any port).
async fn connect_from(
    local_ip: IpAddr,
    target: SocketAddr,
    limit: Duration,
) -> Result<TcpStream, DataError> {
    let socket = socket_for(target.ip())?;
    if local_ip.is_ipv4() == target.is_ipv4() {
        socket.bind(SocketAddr::new(local_ip, 0))?;
    }
    match tokio::time::timeout(limit, socket.connect(target)).await {
        Ok(stream) => Ok(stream?),
        Err(_) => Err(DataError::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    const LOCALHOST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn accepts_the_peer_and_drops_a_thief() {
        let listener = listen_on(SocketAddr::new(LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let thief = TcpStream::connect(addr).await.unwrap();
        let accepted = tokio::spawn(async move {
            let peer: IpAddr = "127.0.0.9".parse().unwrap();
            accept_from(&listener, Some(peer), Duration::from_secs(10)).await
        });
        let mut thief = thief;
        let mut buf = Vec::new();
        // The server closes the thief's connection without sending anything.
        let n = thief.read_to_end(&mut buf).await.unwrap_or(0);
        assert_eq!(n, 0);
        accepted.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn accept_times_out() {
        let listener = listen_on(SocketAddr::new(LOCALHOST, 0)).unwrap();
        let got = accept_from(&listener, Some(LOCALHOST), Duration::from_secs(10)).await;
        assert!(matches!(got, Err(DataError::Timeout)));
    }

    #[tokio::test]
    async fn dead_port_refuses() {
        let (_held, port) = dead_port(LOCALHOST).unwrap();
        let target = SocketAddr::new(LOCALHOST, port);
        let got = connect_from(LOCALHOST, target, Duration::from_secs(10)).await;
        assert!(matches!(got, Err(DataError::Io(_))));
    }
}
