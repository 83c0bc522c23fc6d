//! The built-in reference server and its named faults.
//!
//! A small, strict FTP server over an in-memory file tree, implementing what the suites
//! exercise: RFC 959 (with RFC 1123 §4.1), EPRT/EPSV and the EPSV ALL lockout of RFC 2428, and
//! the bounce and port-theft defences of RFC 2577. `ftpspec serve` runs it, and `ftpspec run`
//! without a target tests it in-process, so a new user sees the harness work with one command.
//!
//! Its [`Fault`]s are deliberate, documented violations: the harness's own tests run each
//! suite against the clean server (everything passes) and against every fault (the scenarios
//! aimed at it fail), proving each check can fail.
//!
//! # Layout
//!
//! - `config`, `fault`: what an instance does ([`Config`], [`Fault`], [`FaultSet`]).
//! - `accept`: the accept loops; `control`: one control connection ([`serve_stream`]).
//! - `lines`: bounded line reading; `reply`: reply encoding (RFC 959 §4.2).
//! - `commands`: one handler per verb, grouped by topic; sans-IO but for binding listeners.
//! - `data`: passive listeners (with the port-theft check) and active connects; `ports`: which
//!   port a passive listener gets (random rotation over a range, RFC 2577 §8).
//! - `watch`: `theft-extra-reply`'s passive listener, accepted on as soon as it is set up.
//! - `job`: a transfer running beside the control loop, so ABOR can stop it.
//! - `session`, `tree`: per-connection state, and the shared in-memory files.
//! - `tls`: FTPS (RFC 4217) — the throw-away identity, and the control stream before and after
//!   AUTH TLS; `commands::security`: AUTH, PBSZ, PROT.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use ftpspec::server::{Config, start};
//! let server = start(&["127.0.0.1:0".parse().unwrap()], Config::default()).await?;
//! println!("listening on {:?}", server.local_addrs());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod accept;
mod commands;
mod config;
mod control;
mod data;
mod fault;
mod job;
mod lines;
mod ports;
mod reply;
mod session;
pub mod tls;
mod tree;
mod urgent;
mod watch;

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

pub use config::{BUILTIN_PASSIVE_RANGE, Config};
pub use control::{GREETING, serve_stream};
pub use fault::{Fault, FaultSet, UnknownFault};
pub use lines::MAX_LINE;
pub use session::Shared;
pub use tree::{HELLO, LARGE_LEN, large_pattern};

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Binds every address (e.g. `127.0.0.1:0` and `[::1]:0`), spawns the accept loops, and returns
/// at once. Fails if any address cannot be bound.
///
/// With `config.tls` a self-signed certificate is made first ([`ServerHandle::certificate`]).
pub async fn start(listen: &[SocketAddr], config: Config) -> std::io::Result<ServerHandle> {
    let tls = match config.tls {
        Some(mode) => Some(tls::ServerTls::generate(mode).map_err(std::io::Error::other)?),
        None => None,
    };
    let certificate = tls.as_ref().map(|t| t.certificate().clone());
    let shared = match tls {
        Some(tls) => Shared::new(config).with_tls(tls),
        None => Shared::new(config),
    };
    let shared = Arc::new(shared);
    let mut listeners = Vec::with_capacity(listen.len());
    for addr in listen {
        listeners.push(TcpListener::bind(addr).await?);
    }
    let addrs = listeners
        .iter()
        .map(TcpListener::local_addr)
        .collect::<Result<Vec<_>, _>>()?;
    let tasks = listeners
        .into_iter()
        .map(|l| tokio::spawn(accept::accept_loop(l, shared.clone())))
        .collect();
    Ok(ServerHandle {
        addrs,
        tasks,
        certificate,
    })
}

/// A running server. Dropping it stops the server too.
#[derive(Debug)]
pub struct ServerHandle {
    addrs: Vec<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
    certificate: Option<rustls::pki_types::CertificateDer<'static>>,
}

impl ServerHandle {
    /// The addresses actually bound (with the ports the system picked for port 0).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The self-signed certificate of a TLS server (DER): what a client must trust.
    pub fn certificate(&self) -> Option<&rustls::pki_types::CertificateDer<'static>> {
        self.certificate.as_ref()
    }

    /// Stops accepting and ends every session (their control and data connections close).
    pub async fn shutdown(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
