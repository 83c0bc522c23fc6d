//! A control-connection stream that reads TCP urgent data in-band without losing wake-ups.
//!
//! RFC 959 §4.1.3 has the client send the Telnet Synch — `IAC DM` with DM as TCP urgent data —
//! before ABOR. With `SO_OOBINLINE` the DM byte stays in the byte stream, where
//! `proto::telnet::strip_telnet` removes it. But two behaviours combine badly:
//!
//! - Linux stops a `recv` at the urgent mark when it has already copied bytes, even though more
//!   bytes are queued behind the mark (`tcp_recvmsg`: "Are we at urgent data? Stop if we have
//!   read anything").
//! - tokio, on epoll, takes a read that fills less than the buffer as proof that the socket is
//!   drained and clears its readiness; as all bytes already arrived, no new edge ever comes.
//!
//! So `IAC IP IAC` read first, then `DM ABOR CRLF` sits in the socket forever and the ABOR is
//! never seen. [`UrgentInline`] closes the gap: after a short read it keeps reading directly
//! from the socket (non-blocking) until the socket reports `WouldBlock`, which re-arms the edge.

use socket2::SockRef;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Largest direct read after a short one.
const DRAIN_CHUNK: usize = 4096;

/// A TCP control connection with `SO_OOBINLINE` set and reads that continue past the urgent
/// mark. Writes pass straight through.
#[derive(Debug)]
pub struct UrgentInline {
    inner: TcpStream,
    /// A direct read found the end of the stream; report it on the next read.
    eof: bool,
}

impl UrgentInline {
    /// Sets `SO_OOBINLINE` on `stream`. Should that fail, urgent bytes are merely dropped by the
    /// kernel and a plain ABOR still works, so the connection is served regardless.
    pub fn new(stream: TcpStream) -> UrgentInline {
        let _ = SockRef::from(&stream).set_out_of_band_inline(true);
        UrgentInline {
            inner: stream,
            eof: false,
        }
    }

    /// Reads on, directly, until the socket has nothing more (`WouldBlock`), the buffer is
    /// full, or the stream ends.
    fn drain(&mut self, buf: &mut ReadBuf<'_>) {
        let socket = SockRef::from(&self.inner);
        let mut chunk = [0u8; DRAIN_CHUNK];
        while buf.remaining() > 0 {
            let want = buf.remaining().min(DRAIN_CHUNK);
            match (&*socket).read(&mut chunk[..want]) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => buf.put_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // WouldBlock: drained, the next arrival raises a new edge. Any other error
                // shows up again on the next regular read.
                Err(_) => return,
            }
        }
    }
}

impl AsyncRead for UrgentInline {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.eof {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before && buf.remaining() > 0 {
            this.drain(buf);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for UrgentInline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::telnet::{DM, IAC, IP};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A loopback TCP connection: the client's end, and the server's end read through
    /// [`UrgentInline`].
    async fn loopback() -> (TcpStream, UrgentInline) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        (client, UrgentInline::new(accepted))
    }

    /// The failure this type exists for. The reader waits first; then, before it runs again,
    /// `NOOP`, `IAC IP IAC`, the urgent `DM` and `ABOR` all arrive. Its first read stops at the
    /// urgent mark; with a plain `TcpStream` the second read never returns (verified while
    /// writing this: `[4e 4f 4f 50 0d 0a ff f4 ff]`, then nothing).
    #[tokio::test]
    async fn reads_past_the_urgent_mark() {
        let (mut client, mut server) = loopback().await;
        client.set_nodelay(true).unwrap();
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            while !got.ends_with(b"ABOR\r\n") {
                let limit = std::time::Duration::from_secs(20);
                let read = tokio::time::timeout(limit, server.read(&mut buf)).await;
                let n = read.expect("ABOR lost behind the urgent mark").unwrap();
                assert_ne!(n, 0, "early end of stream");
                got.extend_from_slice(&buf[..n]);
            }
            got
        });
        tokio::task::yield_now().await;
        client.write_all(b"NOOP\r\n").await.unwrap();
        client.write_all(&[IAC, IP, IAC]).await.unwrap();
        SockRef::from(&client).send_out_of_band(&[DM]).unwrap();
        client.write_all(b"ABOR\r\n").await.unwrap();
        assert_eq!(reader.await.unwrap(), b"NOOP\r\n\xff\xf4\xff\xf2ABOR\r\n");
    }

    #[tokio::test]
    async fn end_of_stream_after_a_drain() {
        let (mut client, mut server) = loopback().await;
        client.write_all(b"QUIT\r\n").await.unwrap();
        drop(client);
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"QUIT\r\n");
        server.write_all(b"221 Bye\r\n").await.unwrap_or(());
    }
}
