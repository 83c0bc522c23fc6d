//! `theft-extra-reply` only: a pending passive listener accepted on from the moment it is set
//! up, the way pyftpdlib 2.2.0 runs its passive data channel.
//!
//! The clean server accepts on a passive listener only once the transfer command has come, and
//! closes a connection from a foreign host there without a word (RFC 2577 §4, [`super::data`]).
//! A watched listener accepts at once, in a task of its own. A connection from another host
//! than the control peer is closed and its source reported to the control loop, which writes
//! `425 Rejected data connection from foreign address <ip>:<port>.` on the control connection
//! at once — whether a command is pending or not — and the listener keeps listening. The peer's
//! connection ends the watch: the listener closes, and the connection waits for the transfer
//! command.
//!
//! RFC 959 §4.2: "Every command must generate at least one reply, although there may be more
//! than one; in the latter case, the multiple replies must be easily distinguished." A 425 that
//! answers no command, or precedes RETR's 150, is neither.

use super::data::DataError;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Foreign connections reported but not yet written; when that many wait, the watcher waits.
pub const FOREIGN_BACKLOG: usize = 8;

/// Where watchers report the foreign connections they closed: the source of each.
pub type ForeignTx = mpsc::Sender<SocketAddr>;

/// A watched passive listener. Dropping it ends the watch, which closes the listener and a
/// peer connection accepted but not used yet.
#[derive(Debug)]
pub struct Watch {
    task: JoinHandle<()>,
    conn: oneshot::Receiver<io::Result<TcpStream>>,
}

impl Watch {
    /// Starts accepting on `listener`: foreign connections are closed and reported on
    /// `foreign`, the first from `peer_ip` is kept for [`Watch::connection`].
    pub fn spawn(listener: TcpListener, peer_ip: IpAddr, foreign: ForeignTx) -> Watch {
        let (tx, conn) = oneshot::channel();
        let task = tokio::spawn(async move {
            let _ = tx.send(accept_peer(&listener, peer_ip, &foreign).await);
        });
        Watch { task, conn }
    }

    /// The peer's connection, waiting for it at most `limit`.
    pub async fn connection(&mut self, limit: Duration) -> Result<TcpStream, DataError> {
        match tokio::time::timeout(limit, &mut self.conn).await {
            Ok(Ok(accepted)) => Ok(accepted?),
            // The watch task ended without an answer; nothing will come.
            Ok(Err(_)) | Err(_) => Err(DataError::Timeout),
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts until the peer connects; closes and reports every other connection.
async fn accept_peer(
    listener: &TcpListener,
    peer_ip: IpAddr,
    foreign: &ForeignTx,
) -> io::Result<TcpStream> {
    loop {
        let (stream, from) = listener.accept().await?;
        let from = SocketAddr::new(from.ip().to_canonical(), from.port());
        if from.ip() == peer_ip {
            return Ok(stream);
        }
        drop(stream);
        // A send fails only once the session is over, and the watch is dropped with it.
        let _ = foreign.send(from).await;
    }
}

/// The unsolicited reply for a foreign connection, in pyftpdlib's words.
pub fn rejected_text(from: SocketAddr) -> String {
    format!(
        "Rejected data connection from foreign address {}:{}.",
        from.ip(),
        from.port()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn reports_a_thief_and_keeps_the_peer() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = mpsc::channel(FOREIGN_BACKLOG);
        // The peer is "127.0.0.9", so a connection from 127.0.0.1 is a thief.
        let mut watch = Watch::spawn(listener, "127.0.0.9".parse().unwrap(), tx);
        let mut thief = TcpStream::connect(addr).await.unwrap();
        let reported = rx.recv().await.unwrap();
        assert_eq!(reported, thief.local_addr().unwrap());
        let mut buf = Vec::new();
        assert_eq!(thief.read_to_end(&mut buf).await.unwrap_or(0), 0);
        assert_eq!(
            rejected_text("127.0.0.2:5000".parse().unwrap()),
            "Rejected data connection from foreign address 127.0.0.2:5000."
        );
        watch.task.abort();
        let got = watch.connection(Duration::from_secs(10)).await;
        assert!(matches!(got, Err(DataError::Timeout)), "{got:?}");
    }
}
