//! Data connections (RFC 959 §3.2, RFC 2428 §3).
//!
//! Passive: [`connect_data`] always connects to the **control connection's peer address** at the
//! port the server named, never to an address a 227 reply names (a hostile or NATed server could
//! otherwise steer ftpspec anywhere). Active: a [`DataListener`] waits for the server, and records
//! who connected from where so that scenarios can check the source. [`ListenOptions`] choose the
//! port and SO_REUSEADDR, so a scenario can bind the same client port again while the server's
//! earlier connections to it sit in TIME_WAIT.

use super::data_stream::DataStream;
use super::transcript::{Channel, Direction};
use super::{Recorder, SessionError};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::timeout;

/// Connections a [`DataListener`] queues before they are accepted.
const BACKLOG: u32 = 16;

/// Bytes of the start of unwanted data kept by [`drain`] to show in a failure.
pub const DRAIN_SAMPLE: usize = 64;

/// How to bind a [`DataListener`]. The default is a fresh port chosen by the system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenOptions {
    /// The port to bind; 0 lets the system choose.
    pub port: u16,
    /// Set SO_REUSEADDR before binding: a port whose earlier connections sit in TIME_WAIT can
    /// then be bound again (RFC 1123 §4.1.2.5 discusses the reuse of data ports).
    pub reuse_addr: bool,
}

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
        DataListener::bind_with(name, ip, ListenOptions::default(), recorder).await
    }

    /// Binds `ip` with the port and socket options in `options`.
    pub async fn bind_with(
        name: &str,
        ip: IpAddr,
        options: ListenOptions,
        recorder: &Recorder,
    ) -> Result<DataListener, SessionError> {
        let want = SocketAddr::new(ip, options.port);
        let local = |source| SessionError::Local { addr: want, source };
        let socket = match ip {
            IpAddr::V4(_) => TcpSocket::new_v4(),
            IpAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(local)?;
        if options.reuse_addr {
            socket.set_reuseaddr(true).map_err(local)?;
        }
        socket.bind(want).map_err(local)?;
        let listener = socket.listen(BACKLOG).map_err(local)?;
        let addr = listener
            .local_addr()
            .map_err(|source| SessionError::Local { addr: want, source })?;
        let reuse = match options.reuse_addr {
            true => " (SO_REUSEADDR)",
            false => "",
        };
        recorder.event(
            Channel::Data(name.to_string()),
            &format!("listening on {addr}{reuse}"),
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
        let (_socket, from) = self.take_queued()?;
        recorder.event(
            Channel::Data(self.name.clone()),
            &format!("unexpected connection from {from}"),
        );
        Some(from)
    }

    /// A connection already queued, without waiting. The listener's socket is non-blocking
    /// (tokio made it so): a plain accept(2) through socket2 answers at once, with a queued
    /// connection or WouldBlock. Deterministic, no wait.
    fn take_queued(&self) -> Option<(socket2::Socket, SocketAddr)> {
        let (socket, from) = socket2::SockRef::from(&self.listener).accept().ok()?;
        Some((socket, from.as_socket()?))
    }

    /// The server's data connection for the transfer whose 1xx just came: the newest queued
    /// connection, else the next to arrive within `wait`.
    ///
    /// Servers connect at different moments: some when the transfer command comes (RFC 959
    /// §3.2), some already when PORT/EPRT is accepted (pyftpdlib), so a connection for an
    /// earlier setup may still be queued. Either way the server's current connection is the
    /// newest; the older ones (at most `limit`) are closed.
    pub async fn accept_newest(
        &self,
        wait: Duration,
        limit: usize,
        recorder: &Recorder,
    ) -> Result<(TcpStream, SocketAddr), SessionError> {
        let mut newest: Option<(socket2::Socket, SocketAddr)> = None;
        for _ in 0..limit {
            let Some((socket, from)) = self.take_queued() else {
                break;
            };
            if let Some((_older, older_from)) = newest.replace((socket, from)) {
                recorder.event(
                    Channel::Data(self.name.clone()),
                    &format!("closed an older queued connection from {older_from}"),
                );
            }
        }
        let Some((socket, from)) = newest else {
            return self.accept(wait, recorder).await;
        };
        let stream = socket
            .set_nonblocking(true)
            .and_then(|()| TcpStream::from_std(socket.into()))
            .map_err(SessionError::io("accepting a data connection"))?;
        recorder.event(
            Channel::Data(self.name.clone()),
            &format!("accepted from {from}"),
        );
        Ok((stream, from))
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

/// Reads until EOF, at most `limit` bytes, the whole read under `wait` (a TLS handshake
/// included).
pub async fn read_to_end(
    name: &str,
    stream: &mut DataStream,
    limit: usize,
    wait: Duration,
    recorder: &Recorder,
) -> Result<Vec<u8>, SessionError> {
    read_to_end_unless_idle(name, stream, limit, wait, wait, recorder).await
}

/// What a read that [`read_to_end_unless_idle`] gave up on, idle, waited for.
pub const IDLE_DATA: &str = "more data or the end of the data transfer";

/// [`read_to_end`], giving up also when the connection stays `idle` with neither a byte nor
/// its close (a timeout whose `what` is [`IDLE_DATA`]). A data connection that carries a
/// transfer moves as fast as the server answers; one that stops for longer than that without
/// closing has stopped (the fuzzer's measured waits).
pub async fn read_to_end_unless_idle(
    name: &str,
    stream: &mut DataStream,
    limit: usize,
    wait: Duration,
    idle: Duration,
    recorder: &Recorder,
) -> Result<Vec<u8>, SessionError> {
    let channel = Channel::Data(name.to_string());
    let mut data = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let until = deadline.min(tokio::time::Instant::now() + idle);
        let n = match tokio::time::timeout_at(until, stream.read(&mut chunk)).await {
            Err(_) => {
                let waited = if until < deadline { idle } else { wait };
                let what = match stream.handshake_pending() {
                    true => "end of the TLS handshake on the data connection",
                    false if until < deadline => IDLE_DATA,
                    false => "end of the data transfer",
                };
                recorder.event(
                    channel,
                    &format!("no {what} within {waited:?} after {} bytes", data.len()),
                );
                return Err(SessionError::Timeout {
                    what,
                    timeout: waited,
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
            note_tls(name, stream, recorder);
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

/// Records what a TLS data connection negotiated, and a close without `close_notify`.
fn note_tls(name: &str, stream: &DataStream, recorder: &Recorder) {
    let channel = Channel::Data(name.to_string());
    if let Some(info) = stream.tls_info() {
        recorder.event(channel.clone(), &format!("TLS: {}", info.summary()));
    }
    if stream.truncated() {
        recorder.event(channel, "closed by the server without a TLS close_notify");
    }
}

/// Writes all of `bytes` under `wait` (a TLS handshake included).
pub async fn write_all(
    name: &str,
    stream: &mut DataStream,
    bytes: &[u8],
    wait: Duration,
    recorder: &Recorder,
) -> Result<(), SessionError> {
    recorder.record(Channel::Data(name.to_string()), Direction::Sent, bytes);
    match timeout(wait, stream.write_all(bytes)).await {
        Err(_) if stream.handshake_pending() => Err(SessionError::Timeout {
            what: "end of the TLS handshake on the data connection",
            timeout: wait,
        }),
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

/// How a stream read by [`drain`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainEnd {
    /// The peer closed the stream (EOF).
    Eof,
    /// The stream failed, typically reset by the peer.
    Reset,
    /// Neither EOF nor an error within the wait.
    Timeout,
    /// More than the limit arrived; reading stopped.
    Limit,
}

/// What [`drain`] saw: how many bytes, the first few, and how the stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drained {
    pub bytes: u64,
    /// The first [`DRAIN_SAMPLE`] bytes.
    pub sample: Vec<u8>,
    pub end: DrainEnd,
}

/// Reads a stream to its end, under `wait`, counting (not keeping) at most `limit` bytes: for
/// a connection that should get nothing at all, such as a port thief's (RFC 2577 §4).
pub async fn drain(
    name: &str,
    stream: &mut DataStream,
    limit: usize,
    wait: Duration,
    recorder: &Recorder,
) -> Drained {
    let channel = Channel::Data(name.to_string());
    let mut chunk = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + wait;
    let mut drained = Drained {
        bytes: 0,
        sample: Vec::new(),
        end: DrainEnd::Limit,
    };
    while drained.bytes <= limit as u64 {
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => {
                drained.end = DrainEnd::Timeout;
                break;
            }
            Ok(Err(_)) => {
                drained.end = DrainEnd::Reset;
                break;
            }
            Ok(Ok(0)) => {
                drained.end = DrainEnd::Eof;
                break;
            }
            Ok(Ok(n)) => n,
        };
        let room = DRAIN_SAMPLE.saturating_sub(drained.sample.len());
        drained.sample.extend_from_slice(&chunk[..n.min(room)]);
        drained.bytes += n as u64;
    }
    note_tls(name, stream, recorder);
    if !drained.sample.is_empty() {
        recorder.record(channel.clone(), Direction::Received, &drained.sample);
    }
    let how = match drained.end {
        DrainEnd::Eof => "EOF",
        DrainEnd::Reset => "reset",
        DrainEnd::Timeout => "no EOF within the step timeout",
        DrainEnd::Limit => "more than the limit",
    };
    recorder.event(channel, &format!("{how} after {} bytes", drained.bytes));
    drained
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    /// A listener on 127.0.0.1, any port.
    async fn listener() -> DataListener {
        DataListener::bind("d", LOCALHOST, &Recorder::new())
            .await
            .unwrap()
    }

    /// `drain` of the connecting end, up to `limit` bytes, waiting up to 10 s.
    async fn drain_client(client: TcpStream, limit: usize) -> Drained {
        let mut stream = DataStream::from(client);
        drain(
            "d",
            &mut stream,
            limit,
            Duration::from_secs(10),
            &Recorder::new(),
        )
        .await
    }

    /// A connected pair: (the accepted end, the connecting end).
    async fn pair(listener: &DataListener) -> (TcpStream, TcpStream) {
        let client = TcpStream::connect(listener.local_addr()).await.unwrap();
        let (accepted, _) = listener
            .accept(Duration::from_secs(10), &Recorder::new())
            .await
            .unwrap();
        (accepted, client)
    }

    #[tokio::test]
    async fn accept_newest_takes_the_last_queued_connection_and_closes_the_older() {
        let recorder = Recorder::new();
        let listener = DataListener::bind("d", LOCALHOST, &recorder).await.unwrap();
        // On loopback a connect completes (and is queued) before it returns.
        let mut older = TcpStream::connect(listener.local_addr()).await.unwrap();
        let newer = TcpStream::connect(listener.local_addr()).await.unwrap();
        let wait = Duration::from_secs(10);
        let (_stream, from) = listener.accept_newest(wait, 8, &recorder).await.unwrap();
        assert_eq!(from, newer.local_addr().unwrap());
        let mut byte = [0u8; 1];
        let eof = timeout(wait, older.read(&mut byte)).await.unwrap().unwrap();
        assert_eq!(eof, 0, "the older connection is closed");

        // Nothing queued: it waits for the next connection.
        let addr = listener.local_addr();
        let late = tokio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
        let (_stream, from) = listener.accept_newest(wait, 8, &recorder).await.unwrap();
        assert_eq!(from, late.await.unwrap().local_addr().unwrap());
    }

    #[tokio::test]
    async fn reuse_binds_a_port_whose_connection_is_in_time_wait() {
        let recorder = Recorder::new();
        let reuse = ListenOptions {
            port: 0,
            reuse_addr: true,
        };
        let first = DataListener::bind_with("d", LOCALHOST, reuse, &recorder)
            .await
            .unwrap();
        let port = first.local_addr().port();
        let (accepted, mut client) = pair(&first).await;
        // The listener's side closes first, so its end of the connection enters TIME_WAIT.
        drop(accepted);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        drop(client);
        drop(first);
        let again = ListenOptions { port, ..reuse };
        let second = DataListener::bind_with("d", LOCALHOST, again, &recorder)
            .await
            .unwrap();
        assert_eq!(second.local_addr().port(), port);
        let (_accepted, _client) = pair(&second).await;
        let events = recorder.snapshot().entries;
        assert!(
            events.iter().any(|e| e.bytes.ends_with(b"(SO_REUSEADDR)")),
            "{events:?}"
        );
    }

    #[tokio::test]
    async fn drain_counts_bytes_and_keeps_a_sample() {
        let listener = listener().await;
        let (mut accepted, client) = pair(&listener).await;
        accepted.write_all(&[b'x'; 100]).await.unwrap();
        drop(accepted);
        let got = drain_client(client, 1 << 20).await;
        assert_eq!(got.bytes, 100);
        assert_eq!(got.sample, [b'x'; DRAIN_SAMPLE]);
        assert_eq!(got.end, DrainEnd::Eof);
        let (accepted, client) = pair(&listener).await;
        drop(accepted);
        let got = drain_client(client, 1 << 20).await;
        assert_eq!((got.bytes, got.end), (0, DrainEnd::Eof));
    }

    #[tokio::test]
    async fn drain_stops_past_the_limit() {
        let listener = listener().await;
        let (mut accepted, client) = pair(&listener).await;
        accepted.write_all(&[0u8; 4096]).await.unwrap();
        let got = drain_client(client, 10).await;
        assert!(got.bytes > 10);
        assert_eq!(got.end, DrainEnd::Limit);
    }

    #[tokio::test(start_paused = true)]
    async fn drain_of_a_silent_stream_times_out_with_nothing() {
        let listener = listener().await;
        let (_accepted, client) = pair(&listener).await;
        let got = drain_client(client, 10).await;
        assert_eq!((got.bytes, got.end), (0, DrainEnd::Timeout));
    }
}
