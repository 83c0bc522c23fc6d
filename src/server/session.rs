//! What the server remembers about one control connection, and what all sessions share.

use super::config::Config;
use super::fault::Fault;
use super::ports::PortChooser;
use super::tls::ServerTls;
use super::tree::Tree;
use super::watch::Watch;
use crate::proto::{NetPrt, ProtLevel};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use tokio::net::TcpListener;

/// `passive-listener-outlives-session`: most listeners kept from ended sessions; past it the
/// oldest is closed, so a long run (a fuzz campaign) does not run out of file descriptors.
const MAX_ORPHANS: usize = 64;

/// State shared by every session of one server: the configuration and the file tree.
#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    pub tree: Tree,
    /// Passive port choice: random rotation over the configured range.
    pub(super) ports: PortChooser,
    /// `passive-listener-outlives-session` only: the pending passive listeners of sessions that
    /// ended. Nobody accepts on them; the system completes connections into their backlog.
    /// They close when the server does, with the last reference to this state.
    orphans: Mutex<VecDeque<TcpListener>>,
    /// Sessions greeted so far (`stops-serving-after-50`).
    pub(super) sessions: std::sync::atomic::AtomicU64,
    /// The TLS identity, when the server was started with TLS (`Config::tls`).
    pub tls: Option<ServerTls>,
}

impl Shared {
    /// A fresh server state: `config` and the seeded file tree.
    pub fn new(config: Config) -> Shared {
        Shared {
            config,
            tree: Tree::new(),
            ports: PortChooser::default(),
            orphans: Mutex::default(),
            sessions: Default::default(),
            tls: None,
        }
    }

    /// The same server state, serving FTPS with `tls` (its mode is `tls.mode()`).
    pub fn with_tls(mut self, tls: ServerTls) -> Shared {
        self.tls = Some(tls);
        self
    }

    /// `passive-listener-outlives-session`: keeps `listener` open until the server shuts down
    /// (at most [`MAX_ORPHANS`] of them, the oldest closed first).
    pub(super) fn keep_orphan(&self, listener: TcpListener) {
        let mut orphans = self.orphans.lock().unwrap_or_else(PoisonError::into_inner);
        if orphans.len() >= MAX_ORPHANS {
            orphans.pop_front();
        }
        orphans.push_back(listener);
    }

    /// True when the server makes fault `f`. Each call site is the one point of deviation.
    pub fn fault(&self, f: Fault) -> bool {
        self.config.faults.has(f)
    }
}

/// Where the user stands in the USER/PASS dialogue (RFC 959 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No USER yet (or after REIN).
    LoggedOut,
    /// USER given; PASS expected.
    NeedPassword(String),
    LoggedIn,
}

/// Where a session stands in the FTPS negotiation (RFC 4217).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Security {
    /// The control connection is TLS (after AUTH TLS, or from the start when implicit).
    pub control: bool,
    /// PBSZ was accepted (RFC 2228 §3: it must precede PROT).
    pub pbsz: bool,
    /// The data protection level: Clear until `PROT P` (RFC 4217 §9).
    pub prot: ProtLevel,
}

impl Default for Security {
    fn default() -> Security {
        Security {
            control: false,
            pbsz: false,
            prot: ProtLevel::CLEAR,
        }
    }
}

/// A prepared data connection, used by the next transfer and then gone.
#[derive(Debug)]
pub enum DataSetup {
    /// PORT or EPRT: the server connects to this address.
    Active(SocketAddr),
    /// PASV or EPSV: the server listens; dropping the listener closes the port.
    Passive(TcpListener),
    /// `theft-extra-reply` only: a passive listener accepted on from the moment it was set up
    /// (see [`Watch`]); dropping it closes the port.
    Watched(Watch),
}

impl DataSetup {
    /// True for a passive setup (PASV, EPSV), watched or not.
    pub fn is_passive(&self) -> bool {
        matches!(self, DataSetup::Passive(_) | DataSetup::Watched(_))
    }
}

/// The state of one control connection.
#[derive(Debug)]
pub struct Session {
    /// The client, as seen on the control connection.
    pub peer: SocketAddr,
    /// The server's own end of the control connection.
    pub local: SocketAddr,
    pub auth: Auth,
    /// RFC 2428 §4: after `EPSV ALL`, every other data-setup command is refused for the rest
    /// of the connection — across transfers, ABOR, REIN and a new USER.
    pub epsv_all: bool,
    /// The pending data setup. A new PORT/EPRT/PASV/EPSV replaces it (closing a listener).
    pub data: Option<DataSetup>,
    /// PASV/EPSV setups so far (only the `passive-exhausts` fault reads it).
    pub passive_setups: u32,
    /// Transfers started over an active data connection (only `active-hangs` reads it).
    pub active_transfers: u32,
    /// `abor-keeps-offset` only: the file of an aborted RETR and the byte it stopped at.
    pub stale_offset: Option<(String, usize)>,
    /// `epsv-dead-port`/`passive-exhausts` only: the bound, never-listening socket that keeps
    /// the announced dead port from being taken by anyone else.
    pub dead_port: Option<tokio::net::TcpSocket>,
    /// FTPS: TLS on the control connection, PBSZ, PROT.
    pub security: Security,
}

impl Session {
    /// A new, logged-out session. IPv4-mapped IPv6 addresses are unmapped, so a dual-stack
    /// socket still compares addresses and picks the family the client actually speaks.
    pub fn new(peer: SocketAddr, local: SocketAddr) -> Session {
        Session {
            peer: canonical(peer),
            local: canonical(local),
            auth: Auth::LoggedOut,
            epsv_all: false,
            data: None,
            passive_setups: 0,
            active_transfers: 0,
            stale_offset: None,
            dead_port: None,
            security: Security::default(),
        }
    }

    pub fn logged_in(&self) -> bool {
        self.auth == Auth::LoggedIn
    }

    /// The network protocol of the control connection: 1 (IPv4) or 2 (IPv6).
    pub fn family(&self) -> NetPrt {
        match self.local.ip() {
            IpAddr::V4(_) => NetPrt::IPV4,
            IpAddr::V6(_) => NetPrt::IPV6,
        }
    }

    pub fn is_ipv6(&self) -> bool {
        self.family() == NetPrt::IPV6
    }
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_addresses_are_unmapped() {
        let peer: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        let local: SocketAddr = "[::ffff:127.0.0.1]:21".parse().unwrap();
        let s = Session::new(peer, local);
        assert_eq!(s.peer, "127.0.0.1:5000".parse().unwrap());
        assert_eq!(s.family(), NetPrt::IPV4);
        let s = Session::new("[::1]:5000".parse().unwrap(), "[::1]:21".parse().unwrap());
        assert!(s.is_ipv6());
        assert!(!s.logged_in());
    }
}
