//! Data connections (RFC 959 §3.2, RFC 2428 §3).
//!
//! Passive: [`connect_data`] always connects to the **control connection's peer address** at the
//! port the server named, never to an address a 227 reply names (a hostile or NATed server could
//! otherwise steer ftpspec anywhere). Active: a [`DataListener`] waits for the server, and records
//! who connected from where so that scenarios can check the source.

use super::transcript::{Channel, Direction};
use super::{Recorder, SessionError};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::timeout;

/// An active-mode listener, named after its scenario channel.
#[derive(Debug)]
pub struct DataListener {
    name: String,
    listener: TcpListener,
    addr: SocketAddr,
}

impl DataListener {
    /// Binds `ip`, port 0.
    pub async fn bind(
        name: &str,
        ip: IpAddr,
        recorder: &Recorder,
    ) -> Result<DataListener, SessionError> {
        let want = SocketAddr::new(ip, 0);
        let listener = TcpListener::bind(want)
            .await
            .map_err(|source| SessionError::Local { addr: want, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SessionError::Local { addr: want, source })?;
        recorder.event(
            Channel::Data(name.to_string()),
            &format!("listening on {addr}"),
        );
        Ok(DataListener {
            name: name.to_string(),
            listener,
            addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits up to `wait` for the server to connect; returns the stream and who connected.
    pub async fn accept(
        &self,
        wait: Duration,
        recorder: &Recorder,
    ) -> Result<(TcpStream, SocketAddr), SessionError> {
        match timeout(wait, self.listener.accept()).await {
            Err(_) => Err(SessionError::Timeout {
                what: "data connection from the server",
                timeout: wait,
            }),
            Ok(Err(source)) => Err(SessionError::Io {
                context: "accepting a data connection",
                source,
            }),
            Ok(Ok((stream, from))) => {
                recorder.event(
                    Channel::Data(self.name.clone()),
                    &format!("accepted from {from}"),
                );
                Ok((stream, from))
            }
        }
    }

    /// A connection that has already arrived, without waiting: used to check that a server did
    /// *not* connect (a refused bounce). Returns who connected, if anyone did.
    pub fn poll_arrived(&self, recorder: &Recorder) -> Option<SocketAddr> {
        // The listener's socket is non-blocking (tokio made it so): a plain accept(2) through
        // socket2 answers at once, with a queued connection or WouldBlock. Deterministic, no wait.
        let (_socket, from) = socket2::SockRef::from(&self.listener).accept().ok()?;
        let from = from.as_socket()?;
        recorder.event(
            Channel::Data(self.name.clone()),
            &format!("unexpected connection from {from}"),
        );
        Some(from)
    }
}

/// Connects a passive data connection to `peer_ip:port` (the control peer), optionally from a
/// chosen local address such as 127.0.0.2 (to play the port thief of RFC 2577 §4).
pub async fn connect_data(
    name: &str,
    peer_ip: IpAddr,
    port: u16,
    from: Option<IpAddr>,
    wait: Duration,
    recorder: &Recorder,
) -> Result<TcpStream, SessionError> {
    let addr = SocketAddr::new(peer_ip, port);
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(|source| SessionError::Local { addr, source })?;
    if let Some(ip) = from {
        let local = SocketAddr::new(ip, 0);
        socket.bind(local).map_err(|source| SessionError::Local {
            addr: local,
            source,
        })?;
    }
    let stream = match timeout(wait, socket.connect(addr)).await {
        Err(_) => {
            return Err(SessionError::Timeout {
                what: "data connection",
                timeout: wait,
            });
        }
        Ok(Err(source)) => return Err(SessionError::Connect { addr, source }),
        Ok(Ok(s)) => s,
    };
    let local = stream
        .local_addr()
        .map_err(SessionError::io("reading local address"))?;
    recorder.event(
        Channel::Data(name.to_string()),
        &format!("connected to {addr} from {local}"),
    );
    Ok(stream)
}

/// Reads until EOF, at most `limit` bytes, the whole read under `wait`.
pub async fn read_to_end(
    name: &str,
    stream: &mut TcpStream,
    limit: usize,
    wait: Duration,
    recorder: &Recorder,
) -> Result<Vec<u8>, SessionError> {
    let channel = Channel::Data(name.to_string());
    let mut data = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => {
                recorder.event(
                    channel,
                    &format!("no EOF within {wait:?} after {} bytes", data.len()),
                );
                return Err(SessionError::Timeout {
                    what: "end of the data transfer",
                    timeout: wait,
                });
            }
            Ok(Err(source)) => {
                return Err(SessionError::Io {
                    context: "reading data",
                    source,
                });
            }
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            recorder.record(channel.clone(), Direction::Received, &data);
            recorder.event(channel, &format!("EOF after {} bytes", data.len()));
            return Ok(data);
        }
        if data.len() + n > limit {
            return Err(SessionError::TooMuchData { limit });
        }
        data.extend_from_slice(&chunk[..n]);
    }
}

/// Writes all of `bytes` under `wait`.
pub async fn write_all(
    name: &str,
    stream: &mut TcpStream,
    bytes: &[u8],
    wait: Duration,
    recorder: &Recorder,
) -> Result<(), SessionError> {
    recorder.record(Channel::Data(name.to_string()), Direction::Sent, bytes);
    match timeout(wait, stream.write_all(bytes)).await {
        Err(_) => Err(SessionError::Timeout {
            what: "data write to complete",
            timeout: wait,
        }),
        Ok(Err(source)) => Err(SessionError::Io {
            context: "writing data",
            source,
        }),
        Ok(Ok(())) => Ok(()),
    }
}
