//! The control connection: send lines, read replies, each read under a timeout.
//!
//! The connection only buffers bytes and loops "parse, else read more" (the parser in
//! [`crate::proto::reply`] is pure). Every byte both ways goes into the [`Recorder`], except that
//! the argument of `PASS` is replaced by `****` so passwords never reach a transcript.

use super::transcript::{Channel, Direction, escape_bytes};
use super::{Recorder, SessionError};
use crate::proto::command::verb_of;
use crate::proto::{Limits, Reply, parse_reply, telnet};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// One control connection to the target.
#[derive(Debug)]
pub struct ControlConnection {
    stream: TcpStream,
    buf: Vec<u8>,
    limits: Limits,
    peer: SocketAddr,
    local: SocketAddr,
    recorder: Recorder,
}

const READ_CHUNK: usize = 4096;

impl ControlConnection {
    /// Connects under `connect_timeout`. Does not read the greeting.
    pub async fn connect(
        addr: SocketAddr,
        connect_timeout: Duration,
        recorder: Recorder,
    ) -> Result<ControlConnection, SessionError> {
        let stream = match timeout(connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => return Err(SessionError::Connect { addr, source }),
            Err(_) => {
                return Err(SessionError::Timeout {
                    what: "TCP connection",
                    timeout: connect_timeout,
                });
            }
        };
        let _ = stream.set_nodelay(true);
        let local = stream
            .local_addr()
            .map_err(SessionError::io("reading local address"))?;
        recorder.event(
            Channel::Control,
            &format!("connected to {addr} from {local}"),
        );
        Ok(ControlConnection {
            stream,
            buf: Vec::new(),
            limits: Limits::default(),
            peer: addr,
            local,
            recorder,
        })
    }

    /// The target's address: the only host data connections ever go to.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The address this end of the control connection is bound to.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Sends bytes exactly as given (a `RawLine`, or a rendered scenario payload).
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        self.recorder
            .record(Channel::Control, Direction::Sent, &redacted(bytes));
        self.stream
            .write_all(bytes)
            .await
            .map_err(SessionError::io("sending a command"))
    }

    /// Sends `bytes`, recording `shown` in their place: a line of a megabyte is kept compact
    /// in the transcript (`send-long`).
    pub async fn send_as(&mut self, bytes: &[u8], shown: &[u8]) -> Result<(), SessionError> {
        self.recorder
            .record(Channel::Control, Direction::Sent, shown);
        self.stream
            .write_all(bytes)
            .await
            .map_err(SessionError::io("sending a command"))
    }

    /// ABOR with the Telnet "special action" (RFC 959 §4.1.3): `IAC IP` and `IAC` in band, the
    /// Data Mark as TCP urgent data (the Synch), then `ABOR\r\n`.
    pub async fn send_urgent_abort(&mut self) -> Result<(), SessionError> {
        self.send(&telnet::SPECIAL_ACTION_PREFIX).await?;
        self.stream
            .flush()
            .await
            .map_err(SessionError::io("sending IAC IP"))?;
        self.recorder
            .event(Channel::Control, "urgent data: DM (0xf2)");
        socket2::SockRef::from(&self.stream)
            .send_out_of_band(&[telnet::DM])
            .map_err(SessionError::io("sending the Synch as urgent data"))?;
        self.send(b"ABOR\r\n").await
    }

    /// Reads the next complete reply, waiting at most `wait`.
    ///
    /// A malformed reply is an error carrying the raw bytes; the bytes it covers are dropped so
    /// that a later read starts after them.
    pub async fn read_reply(&mut self, wait: Duration) -> Result<Reply, SessionError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(reply) = self.parse_buffered()? {
                return Ok(reply);
            }
            self.fill(deadline, wait).await?;
        }
    }

    /// The next complete reply if one has already arrived, without waiting: what is buffered,
    /// plus what the socket holds right now.
    ///
    /// Not `read_reply(Duration::ZERO)`: a zero timeout still arms a timer, and tokio's timer
    /// wheel rounds it up to the next millisecond tick — a millisecond per call, which was most
    /// of a fuzz dialogue's time against a fast server.
    pub fn try_read_reply(&mut self) -> Result<Option<Reply>, SessionError> {
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            if let Some(reply) = self.parse_buffered()? {
                return Ok(Some(reply));
            }
            match self.stream.try_read(&mut chunk) {
                Ok(0) => return Err(self.closed()),
                Ok(n) => self.keep(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(None),
                Err(source) => {
                    return Err(SessionError::Io {
                        context: "reading a reply",
                        source,
                    });
                }
            }
        }
    }

    /// Takes one complete reply off the front of the buffer, if there is one.
    fn parse_buffered(&mut self) -> Result<Option<Reply>, SessionError> {
        match parse_reply(&self.buf, self.limits) {
            Ok(Some((reply, used))) => {
                self.buf.drain(..used);
                Ok(Some(reply))
            }
            Ok(None) => Ok(None),
            Err(err) => {
                let used = err.consumed.min(self.buf.len());
                self.buf.drain(..used);
                let shown = &err.raw[..err.raw.len().min(200)];
                self.recorder
                    .violation(format!("{}: \"{}\"", err.kind, escape_bytes(shown)));
                Err(SessionError::Malformed(err))
            }
        }
    }

    /// Reads more bytes into the buffer before `deadline`.
    async fn fill(
        &mut self,
        deadline: tokio::time::Instant,
        wait: Duration,
    ) -> Result<(), SessionError> {
        let mut chunk = [0u8; READ_CHUNK];
        let read = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await;
        match read {
            Err(_) => Err(SessionError::Timeout {
                what: "reply",
                timeout: wait,
            }),
            Ok(Err(source)) => Err(SessionError::Io {
                context: "reading a reply",
                source,
            }),
            Ok(Ok(0)) => Err(self.closed()),
            Ok(Ok(n)) => {
                self.keep(&chunk[..n]);
                Ok(())
            }
        }
    }

    /// Records received bytes and appends them to the buffer.
    fn keep(&mut self, bytes: &[u8]) {
        self.recorder
            .record(Channel::Control, Direction::Received, bytes);
        self.buf.extend_from_slice(bytes);
    }

    /// The server closed the connection: recorded, with what it left unparsed.
    fn closed(&self) -> SessionError {
        self.recorder
            .event(Channel::Control, "closed by the server");
        SessionError::Closed {
            pending: self.buf.len(),
        }
    }

    /// Closes the connection (best effort).
    pub async fn shutdown(&mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// The bytes to record for a sent line: `PASS` lines (in any case, RFC 959 §5.3) lose their
/// argument, so a password never reaches a transcript or a report.
fn redacted(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if verb_of(bytes) == b"PASS" {
        let end = bytes
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(bytes.len());
        let mut out = b"PASS ****".to_vec();
        out.extend_from_slice(&bytes[end..]);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn try_read_reply_takes_only_what_has_arrived() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let wait = Duration::from_secs(10);
        let mut conn = ControlConnection::connect(addr, wait, Recorder::new())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        assert!(matches!(conn.try_read_reply(), Ok(None)));

        server.write_all(b"200 one\r\n211-two\r\n").await.unwrap();
        assert_eq!(conn.read_reply(wait).await.unwrap().code.0, 200);
        // Half of a multi-line reply is buffered: still no reply, and no wait.
        assert!(matches!(conn.try_read_reply(), Ok(None)));

        server.write_all(b"211 end\r\n").await.unwrap();
        conn.stream.readable().await.unwrap();
        let reply = conn.try_read_reply().unwrap().expect("a complete reply");
        assert_eq!((reply.code.0, reply.lines.len()), (211, 2));

        drop(server);
        conn.stream.readable().await.unwrap();
        assert!(matches!(
            conn.try_read_reply(),
            Err(SessionError::Closed { pending: 0 })
        ));
    }

    #[test]
    fn pass_is_redacted_in_any_case() {
        assert_eq!(&*redacted(b"PASS s3cret\r\n"), b"PASS ****\r\n");
        assert_eq!(&*redacted(b"pass s3cret\r\n"), b"PASS ****\r\n");
        assert_eq!(&*redacted(b"USER bob\r\n"), b"USER bob\r\n");
    }
}
