//! A transfer running beside the control loop (RFC 959 §4.1.3).
//!
//! The transfer is a task of its own so that the control connection stays readable while data
//! flows: that is what lets ABOR stop it. The task reports two events — the data connection is
//! open (the control loop writes 150 and acknowledges, so 150 precedes the first data byte),
//! and the final reply. Aborting the task drops the data connection, which closes it.

use super::data::{self, DataError};
use super::fault::Fault;
use super::reply::ServerReply;
use super::session::{DataSetup, Shared};
use super::tls::DataTls;
use super::tree::{MAX_FILE_BYTES, StoreError};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How many bytes go into one write on the data connection.
const WRITE_CHUNK: usize = 16 * 1024;
/// How many bytes one read from the data connection takes.
const READ_CHUNK: usize = 64 * 1024;

/// A transfer ready to run: the data setup it consumes and what to move.
#[derive(Debug)]
pub struct TransferJob {
    pub setup: DataSetup,
    pub kind: TransferKind,
    /// The file a RETR reads and the byte it starts at; an aborted RETR's stopping point is
    /// kept for `abor-keeps-offset`.
    pub retr: Option<(String, usize)>,
    /// `PROT P`: the data connection is negotiated as the TLS server with this acceptor
    /// (RFC 4217 §9), after the 150. `None`: clear data.
    pub tls: Option<DataTls>,
}

/// The direction and payload of a transfer.
#[derive(Debug)]
pub enum TransferKind {
    /// RETR, LIST, NLST: send these bytes.
    Send(Arc<[u8]>),
    /// STOR: receive into the tree under this name.
    Receive(String),
}

/// What the transfer task tells the control loop.
#[derive(Debug)]
pub enum Event {
    /// The data connection is open. Write 150, then acknowledge to let the data flow.
    Opened(oneshot::Sender<()>),
    /// The transfer is over; this is the command's final reply.
    Done(ServerReply),
}

/// A running transfer. Dropping it aborts the task (and closes the data connection).
#[derive(Debug)]
pub struct Running {
    handle: JoinHandle<()>,
    events: mpsc::Receiver<Event>,
    /// Bytes handed to the data connection so far.
    sent: Arc<AtomicUsize>,
    retr: Option<(String, usize)>,
}

impl Running {
    /// Spawns the transfer. `peer_ip` is the control peer (the only host a passive data
    /// connection is accepted from); `local_ip` is where active connections come from.
    pub fn spawn(job: TransferJob, shared: Arc<Shared>, peer_ip: IpAddr, local_ip: IpAddr) -> Self {
        let (tx, events) = mpsc::channel(2);
        let sent = Arc::new(AtomicUsize::new(0));
        let retr = job.retr.clone();
        let ctx = Context {
            shared,
            peer_ip,
            local_ip,
            tx,
            sent: sent.clone(),
        };
        let handle = tokio::spawn(run(job, ctx));
        Running {
            handle,
            events,
            sent,
            retr,
        }
    }

    /// For a RETR: the file and the offset in it up to which bytes were handed to the data
    /// connection.
    pub fn retr_progress(&self) -> Option<(String, usize)> {
        let (name, start) = self.retr.clone()?;
        Some((name, start + self.sent.load(Ordering::Relaxed)))
    }

    /// The next event; `None` if the task ended without a final reply (it panicked).
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Stops the transfer and waits until the task, and with it the data connection, is gone.
    pub async fn abort(&mut self) {
        self.handle.abort();
        let _ = (&mut self.handle).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// What the transfer task works with besides the job.
struct Context {
    shared: Arc<Shared>,
    peer_ip: IpAddr,
    local_ip: IpAddr,
    tx: mpsc::Sender<Event>,
    sent: Arc<AtomicUsize>,
}

async fn run(job: TransferJob, ctx: Context) {
    let Context {
        shared,
        peer_ip,
        local_ip,
        tx,
        sent,
    } = ctx;
    let limit = shared.config.data_timeout;
    let stream = match data::open(job.setup, peer_ip, local_ip, &shared).await {
        Ok(stream) => stream,
        Err(DataError::Timeout | DataError::Io(_)) => {
            let _ = tx
                .send(Event::Done(ServerReply::new(
                    425,
                    "Can't open data connection",
                )))
                .await;
            return;
        }
    };
    let (ack, acked) = oneshot::channel();
    if tx.send(Event::Opened(ack)).await.is_err() || acked.await.is_err() {
        return;
    }
    // The TLS handshake comes after the 150, as vsftpd does it: an active-mode client accepts
    // the connection only once it has read the 150, and only then starts its handshake.
    let reply = match job.tls {
        None => transfer(stream, job.kind, &sent, &shared).await,
        Some(DataTls(acceptor)) => match tokio::time::timeout(limit, acceptor.accept(stream)).await
        {
            Ok(Ok(tls)) if reuses_session(&tls, &shared) => {
                transfer(tls, job.kind, &sent, &shared).await
            }
            Ok(Ok(tls)) => refuse_new_session(tls, &shared).await,
            Ok(Err(_)) | Err(_) => {
                ServerReply::new(425, "Can't open data connection: TLS negotiation failed")
            }
        },
    };
    let _ = tx.send(Event::Done(reply)).await;
}

/// True when a TLS data connection resumed a session (RFC 4217 §10 lets a server require that a
/// data connection's TLS session be "a continuation" of the control connection's, as vsftpd's
/// `require_ssl_reuse` does), or when the
/// `tls-no-session-reuse-check` fault takes any. rustls does not say which session was resumed,
/// so this is weaker than vsftpd's check: a ticket from any session of this server passes, not
/// only one of this control connection's. A data connection that resumes nothing, the case the
/// suite tests (`connect … new-session`), is refused all the same.
fn reuses_session<S>(tls: &tokio_rustls::server::TlsStream<S>, shared: &Shared) -> bool {
    let resumed = tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    resumed || shared.fault(Fault::TlsNoSessionReuseCheck)
}

/// A TLS data connection that resumed nothing: closed, and the transfer refused with 425 —
/// promptly, never silence (RFC 959 §4.2) — unless the `tls-reuse-refusal-silent` fault keeps
/// the final reply back for good.
async fn refuse_new_session<S>(
    tls: tokio_rustls::server::TlsStream<S>,
    shared: &Shared,
) -> ServerReply {
    drop(tls);
    if shared.fault(Fault::TlsReuseRefusalSilent) {
        return std::future::pending().await;
    }
    ServerReply::new(
        425,
        "Can't open data connection: the TLS session of the control connection must be reused",
    )
}

/// Moves the job's bytes over `stream`, clear or TLS.
async fn transfer<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    kind: TransferKind,
    sent: &AtomicUsize,
    shared: &Shared,
) -> ServerReply {
    let limit = shared.config.data_timeout;
    match kind {
        TransferKind::Send(bytes) => {
            send(stream, &bytes, sent, limit, shared.config.send_pause).await
        }
        TransferKind::Receive(name) => receive(stream, &name, shared, limit).await,
    }
}

fn complete() -> ServerReply {
    ServerReply::new(226, "Transfer complete")
}

/// RFC 959 §4.2.2: 426 "Connection closed; transfer aborted" when the data connection fails.
fn broken() -> ServerReply {
    ServerReply::new(426, "Connection closed; transfer aborted")
}

/// Writes `bytes`, counting them into `sent`, and closes the connection (with a TLS
/// `close_notify` first on a TLS data connection); every write must
/// progress within `limit`, and `pause` follows each (see [`super::Config::send_pause`]).
async fn send<S: AsyncWrite + Unpin>(
    mut stream: S,
    bytes: &[u8],
    sent: &AtomicUsize,
    limit: Duration,
    pause: Option<Duration>,
) -> ServerReply {
    let mut rest = bytes;
    while !rest.is_empty() {
        let chunk = &rest[..rest.len().min(WRITE_CHUNK)];
        match tokio::time::timeout(limit, stream.write(chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                sent.fetch_add(n, Ordering::Relaxed);
                rest = &rest[n..];
                if let Some(pause) = pause.filter(|_| !rest.is_empty()) {
                    tokio::time::sleep(pause).await;
                }
            }
            Ok(Ok(_)) | Ok(Err(_)) | Err(_) => return broken(),
        }
    }
    match tokio::time::timeout(limit, stream.shutdown()).await {
        Ok(Ok(())) => complete(),
        Ok(Err(_)) | Err(_) => broken(),
    }
}

/// Reads an upload to its end (at most [`MAX_FILE_BYTES`]) and stores it.
async fn receive<S: AsyncRead + Unpin>(
    mut stream: S,
    name: &str,
    shared: &Shared,
    limit: Duration,
) -> ServerReply {
    let mut data = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = match tokio::time::timeout(limit, stream.read(&mut chunk)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) | Err(_) => return broken(),
        };
        if n == 0 {
            break;
        }
        if data.len() + n > MAX_FILE_BYTES {
            return store_refused(StoreError::FileTooLarge);
        }
        data.extend_from_slice(&chunk[..n]);
    }
    match shared.tree.store(name, data) {
        Ok(()) => complete(),
        Err(e) => store_refused(e),
    }
}

/// RFC 959 §4.2.2: 552 "Requested file action aborted. Exceeded storage allocation".
fn store_refused(e: StoreError) -> ServerReply {
    match e {
        StoreError::ReadOnly => {
            ServerReply::new(550, "Permission denied: built-in file is read-only")
        }
        StoreError::FileTooLarge | StoreError::TreeFull => {
            ServerReply::new(552, "Exceeded storage allocation")
        }
    }
}
