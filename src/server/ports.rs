//! Which port a passive listener gets (PASV, EPSV).
//!
//! Without a configured range the system picks an ephemeral port (bind port 0), which Linux
//! already randomises. With a range ([`Config::passive_ports`]) the ports are tried in turn,
//! round-robin, from a start that rotates away from the last port handed out by a random step:
//!
//! - RFC 2577 §8: "the server [should] choose the port number for the data connection randomly
//!   [...] to make it harder to guess" — so the start is random, not the last port plus one;
//! - RFC 1123 §4.1.2.5 (TIME_WAIT): under a burst, the port just closed is the last one tried,
//!   and a port that cannot be bound (another session's listener) is skipped. When no port of
//!   the range can be bound the caller answers `425` at once; a port is never announced unless
//!   it listens.
//!
//! [`Config::passive_ports`]: super::Config::passive_ports

use super::data::{listen_naive, listen_on};
use super::fault::Fault;
use super::session::Shared;
use crate::rng::Rng;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::net::TcpListener;

/// Most ports tried for one passive setup, so a huge, busy range still answers promptly.
const MAX_TRIES: u32 = 4096;

/// The ports `sequential-passive-ports` walks through when no range is configured.
const SEQUENTIAL_RANGE: (u16, u16) = (1024, u16::MAX);

/// The outcome of a passive setup.
#[derive(Debug)]
pub enum Passive {
    /// A listener on this port.
    Listening(TcpListener, u16),
    /// Only with `passive-announces-busy-port`: the chosen port could not be bound and is
    /// announced anyway, though nothing listens there.
    Busy(u16),
}

/// The per-server state of port choice: a small PRNG, the last port handed out, and the
/// cursor of `sequential-passive-ports`.
#[derive(Debug)]
pub struct PortChooser {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    rng: Rng,
    /// The port handed out last, so the next setup starts elsewhere.
    last: Option<u16>,
    /// `sequential-passive-ports`: the port to try next.
    next_in_sequence: Option<u32>,
}

impl Default for PortChooser {
    fn default() -> PortChooser {
        // RandomState is seeded from the system's randomness once per thread, then stepped.
        let seed = RandomState::new().build_hasher().finish();
        PortChooser {
            state: Mutex::new(State {
                rng: Rng::new(seed),
                last: None,
                next_in_sequence: None,
            }),
        }
    }
}

impl PortChooser {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// The crate's one PRNG (`crate::rng`): plenty for spreading ports.
    fn random(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// The offset in `lo..lo+span` where the next round starts: random, and never the last
    /// port handed out when there is another.
    fn start(&mut self, lo: u16, span: u32) -> u32 {
        let r = self.random();
        match self.last {
            Some(last) if span > 1 && last >= lo && u32::from(last - lo) < span => {
                let step = 1 + (r % u64::from(span - 1)) as u32;
                (u32::from(last - lo) + step) % span
            }
            _ => (r % u64::from(span)) as u32,
        }
    }
}

/// Opens a passive listener on `ip` as the configuration (and the faults) of `shared` say.
pub fn open_passive(shared: &Shared, ip: IpAddr) -> std::io::Result<Passive> {
    let range = shared.config.passive_ports;
    if shared.fault(Fault::SequentialPassivePorts) {
        return sequential(&shared.ports, ip, range);
    }
    let Some((lo, hi)) = range else {
        let listener = listen_on(SocketAddr::new(ip, 0))?;
        let port = listener.local_addr()?.port();
        return Ok(Passive::Listening(listener, port));
    };
    let announce_busy = shared.fault(Fault::PassiveAnnouncesBusyPort);
    from_range(&shared.ports, ip, (lo.min(hi), lo.max(hi)), announce_busy)
}

/// Round-robin over the inclusive range from a rotating random start, skipping ports that
/// cannot be bound.
fn from_range(
    chooser: &PortChooser,
    ip: IpAddr,
    (lo, hi): (u16, u16),
    announce_busy: bool,
) -> std::io::Result<Passive> {
    let mut state = chooser.lock();
    let span = u32::from(hi - lo) + 1;
    let start = state.start(lo, span);
    if announce_busy {
        let port = (u32::from(lo) + start) as u16;
        return Ok(naive(&mut state, ip, port));
    }
    let mut last_err = std::io::Error::from(std::io::ErrorKind::AddrInUse);
    for i in 0..span.min(MAX_TRIES) {
        let port = (u32::from(lo) + (start + i) % span) as u16;
        match listen_on(SocketAddr::new(ip, port)) {
            Ok(listener) => {
                state.last = Some(port);
                return Ok(Passive::Listening(listener, port));
            }
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

/// `passive-announces-busy-port`: one try at the chosen port, bound the naive way (without
/// SO_REUSEADDR, so a TIME_WAIT connection on it blocks the bind), and the port is announced
/// whether or not it could be bound.
fn naive(state: &mut State, ip: IpAddr, port: u16) -> Passive {
    state.last = Some(port);
    match listen_naive(SocketAddr::new(ip, port)) {
        Ok(listener) => Passive::Listening(listener, port),
        Err(_) => Passive::Busy(port),
    }
}

/// `sequential-passive-ports`: base, base+1, base+2, … where base is the first port of the
/// range, or without a range the first ephemeral port the system hands out. Busy ports are
/// skipped; the sequence wraps within the range.
fn sequential(
    chooser: &PortChooser,
    ip: IpAddr,
    range: Option<(u16, u16)>,
) -> std::io::Result<Passive> {
    let mut state = chooser.lock();
    let (lo, hi) = range.map_or(SEQUENTIAL_RANGE, |(a, b)| (a.min(b), a.max(b)));
    let (lo, hi) = (u32::from(lo), u32::from(hi));
    let mut next = match (state.next_in_sequence, range) {
        (Some(next), _) => next,
        (None, Some(_)) => lo,
        (None, None) => {
            let listener = listen_on(SocketAddr::new(ip, 0))?;
            let port = listener.local_addr()?.port();
            state.next_in_sequence = Some(u32::from(port) + 1);
            return Ok(Passive::Listening(listener, port));
        }
    };
    let mut last_err = std::io::Error::from(std::io::ErrorKind::AddrInUse);
    for _ in 0..(hi - lo + 1).min(MAX_TRIES) {
        if !(lo..=hi).contains(&next) {
            next = lo;
        }
        let port = next as u16;
        next += 1;
        match listen_on(SocketAddr::new(ip, port)) {
            Ok(listener) => {
                state.next_in_sequence = Some(next);
                return Ok(Passive::Listening(listener, port));
            }
            Err(e) => last_err = e,
        }
    }
    state.next_in_sequence = Some(next);
    Err(last_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testkit::free_block;
    use crate::server::{Config, FaultSet};

    const LOCALHOST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn shared(range: Option<(u16, u16)>, faults: &[Fault]) -> Shared {
        Shared::new(Config {
            passive_ports: range,
            faults: faults.iter().copied().collect::<FaultSet>(),
            ..Config::default()
        })
    }

    fn port_of(p: std::io::Result<Passive>) -> u16 {
        match p.unwrap() {
            Passive::Listening(_, port) | Passive::Busy(port) => port,
        }
    }

    #[tokio::test]
    async fn range_of_one_port() {
        let port = free_block(1);
        let sh = shared(Some((port, port)), &[]);
        let first = open_passive(&sh, LOCALHOST).unwrap();
        assert!(matches!(first, Passive::Listening(_, p) if p == port));
        // The only port of the range is taken now: an error (425), never a dead port.
        assert!(open_passive(&sh, LOCALHOST).is_err());
        drop(first);
        assert_eq!(port_of(open_passive(&sh, LOCALHOST)), port);
    }

    #[tokio::test]
    async fn range_skips_busy_ports_and_rotates() {
        let base = free_block(4);
        let sh = shared(Some((base, base + 3)), &[]);
        let mut held = Vec::new();
        for _ in 0..4 {
            match open_passive(&sh, LOCALHOST).unwrap() {
                Passive::Listening(l, p) => held.push((l, p)),
                Passive::Busy(p) => panic!("busy port {p} announced"),
            }
        }
        let mut ports: Vec<u16> = held.iter().map(|(_, p)| *p).collect();
        ports.sort_unstable();
        assert_eq!(ports, [base, base + 1, base + 2, base + 3]);
        assert!(open_passive(&sh, LOCALHOST).is_err());
        // Released one by one: the next setup never reuses the port handed out last.
        drop(held);
        let mut last = port_of(open_passive(&sh, LOCALHOST));
        for _ in 0..20 {
            let port = port_of(open_passive(&sh, LOCALHOST));
            assert_ne!(port, last);
            assert!((base..=base + 3).contains(&port));
            last = port;
        }
    }

    #[test]
    fn start_is_random_and_avoids_the_last_port() {
        let chooser = PortChooser::default();
        let mut state = chooser.lock();
        let mut seen = std::collections::BTreeSet::new();
        state.last = Some(1005);
        for _ in 0..200 {
            let s = state.start(1000, 10);
            assert!(s < 10 && s != 5);
            seen.insert(s);
        }
        assert!(seen.len() > 5, "not spread: {seen:?}");
        state.last = None;
        assert_eq!(state.start(1000, 1), 0);
    }

    #[tokio::test]
    async fn busy_port_announced_only_with_the_fault() {
        let port = free_block(1);
        let _occupied = std::net::TcpListener::bind((LOCALHOST, port)).unwrap();
        let clean = shared(Some((port, port)), &[]);
        assert!(open_passive(&clean, LOCALHOST).is_err());
        let faulty = shared(Some((port, port)), &[Fault::PassiveAnnouncesBusyPort]);
        assert!(matches!(open_passive(&faulty, LOCALHOST), Ok(Passive::Busy(p)) if p == port));
    }

    #[tokio::test]
    async fn sequential_ports_count_up() {
        let sh = shared(None, &[Fault::SequentialPassivePorts]);
        let first = port_of(open_passive(&sh, LOCALHOST));
        let second = port_of(open_passive(&sh, LOCALHOST));
        let third = port_of(open_passive(&sh, LOCALHOST));
        // Busy ports are skipped, so +1 is the rule, not a certainty, on a shared host.
        assert!(first < second && second < third, "{first} {second} {third}");
        let base = free_block(3);
        let sh = shared(Some((base, base + 2)), &[Fault::SequentialPassivePorts]);
        let got: Vec<u16> = (0..4)
            .map(|_| port_of(open_passive(&sh, LOCALHOST)))
            .collect();
        assert_eq!(got, [base, base + 1, base + 2, base]);
    }
}
