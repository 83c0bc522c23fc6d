//! Setup shared by the test modules of this folder: addresses and client-side listeners on
//! 127.0.0.1, and a transfer held open for ABOR. The client itself, and the servers it talks
//! to, are in [`crate::server::testkit`].

use crate::server::testkit::{Client, LOCALHOST, connect_from};
use std::net::{IpAddr, SocketAddr};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// `127.0.0.1:port`.
pub fn at(port: u16) -> SocketAddr {
    SocketAddr::new(LOCALHOST, port)
}

/// A listener of the client's on 127.0.0.1 (any port), for PORT/EPRT, and its port.
pub async fn listener() -> (TcpListener, u16) {
    listener_on(LOCALHOST).await
}

/// A listener of the client's on `ip` (any port), and its port.
pub async fn listener_on(ip: IpAddr) -> (TcpListener, u16) {
    let l = TcpListener::bind(SocketAddr::new(ip, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// True when nothing accepts on `port` any more.
pub async fn refused(port: u16) -> bool {
    TcpStream::connect(at(port)).await.is_err()
}

/// Starts RETR of /large.bin over a data connection the client does not read (yet).
pub async fn stalled_retr(c: &mut Client) -> TcpStream {
    let port = c.epsv().await;
    let data = connect_from(LOCALHOST, at(port)).await.unwrap();
    assert_eq!(c.cmd("RETR large.bin").await.code, 150);
    data
}

/// Reads a data connection to its end, tolerating a reset (an aborted transfer).
pub async fn drain(mut data: TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = data.read_to_end(&mut got).await;
    got
}
