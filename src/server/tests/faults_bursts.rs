//! Bursts of passive and active transfers (RFC 1123 §4.1.2.5, RFC 959 §4.2), passive port
//! choice over a range (RFC 2577 §8), and the faults that break them.

use super::common::{at, listener, refused};
use crate::server::testkit::{Client, accept, connect, faulty, free_block, read_all, server};
use crate::server::{Config, Fault, HELLO};

/// `count` free ports in a row: see [`free_block`].
fn free_range(count: u16) -> (u16, u16) {
    let base = free_block(count);
    (base, base + count - 1)
}

fn ranged(range: (u16, u16), faults: &[Fault]) -> Config {
    Config {
        passive_ports: Some(range),
        faults: faults.iter().copied().collect(),
        ..Config::default()
    }
}

/// EPSV, connect, RETR hello.txt byte-exact; the server closes first, so the server's end of
/// the data connection is left in TIME_WAIT on the passive port. Returns that port.
async fn passive_transfer(c: &mut Client) -> u16 {
    let port = c.epsv().await;
    let data = connect(at(port)).await;
    assert_eq!(c.cmd("RETR hello.txt").await.code, 150);
    assert_eq!(read_all(data).await, HELLO);
    assert_eq!(c.reply().await.code, 226);
    port
}

/// EPRT to a fresh client port, NLST, byte count checked.
async fn active_transfer(c: &mut Client) {
    let (l, port) = listener().await;
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).await.code, 200);
    c.send("NLST").await;
    let data = accept(&l).await;
    assert_eq!(c.reply().await.code, 150);
    assert_eq!(read_all(data).await.len(), 33);
    assert_eq!(c.reply().await.code, 226);
}

#[tokio::test]
async fn passive_burst_over_a_two_port_range_with_time_wait() {
    let range = free_range(2);
    let (_s, addr) = server(ranged(range, &[])).await;
    let mut c = Client::logged_in(addr).await;
    let mut seen = Vec::new();
    for _ in 0..12 {
        seen.push(passive_transfer(&mut c).await);
    }
    assert!(seen.iter().all(|p| (range.0..=range.1).contains(p)));
    // The start rotates away from the last port, so a two-port range alternates.
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "{seen:?}");
}

#[tokio::test]
async fn passive_range_all_busy_is_a_prompt_425() {
    let range = free_range(2);
    let _held: Vec<_> = (range.0..=range.1)
        .map(|p| std::net::TcpListener::bind(at(p)).unwrap())
        .collect();
    let (_s, addr) = server(ranged(range, &[])).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("EPSV").await.code, 425);
    assert_eq!(c.cmd("PASV").await.code, 425);
    assert_eq!(c.cmd("NOOP").await.code, 200);
}

#[tokio::test]
async fn passive_exhausts() {
    let (_s, addr) = faulty(Fault::PassiveExhausts).await;
    let mut c = Client::logged_in(addr).await;
    for i in 0..10 {
        let port = if i % 2 == 0 {
            c.epsv().await
        } else {
            c.pasv().await.port()
        };
        assert!(!refused(port).await, "setup {} does not listen", i + 1);
    }
    for _ in 0..3 {
        assert!(refused(c.epsv().await).await, "229 names a listening port");
        assert!(
            refused(c.pasv().await.port()).await,
            "227 names a listening port"
        );
    }
    assert_eq!(c.cmd("RETR hello.txt").await.code, 425);
    // A new control connection starts counting afresh.
    let mut c = Client::logged_in(addr).await;
    passive_transfer(&mut c).await;
}

#[tokio::test]
async fn active_hangs() {
    let (_s, addr) = faulty(Fault::ActiveHangs).await;
    let mut c = Client::logged_in(addr).await;
    for _ in 0..10 {
        active_transfer(&mut c).await;
    }
    passive_transfer(&mut c).await;
    let (_l, port) = listener().await;
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).await.code, 200);
    c.send("NLST").await;
    assert!(c.silent().await, "the 11th active transfer got a reply");
    c.send("NOOP").await;
    assert!(c.silent().await, "the session answers nothing any more");
}

#[tokio::test]
async fn active_burst_on_the_clean_server() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    for _ in 0..45 {
        active_transfer(&mut c).await;
    }
    assert_eq!(c.cmd("NOOP").await.code, 200);
}

#[tokio::test]
async fn passive_announces_busy_port_in_time_wait() {
    let range = free_range(1);
    let (_s, addr) = server(ranged(range, &[])).await;
    let mut c = Client::logged_in(addr).await;
    for _ in 0..3 {
        assert_eq!(
            passive_transfer(&mut c).await,
            range.0,
            "clean: TIME_WAIT is no obstacle"
        );
    }

    // A TIME_WAIT left by a socket without SO_REUSEADDR blocks even a later SO_REUSEADDR
    // bind (Linux wants the flag on both), so the faulty server gets a range of its own.
    let range = free_range(1);
    let port = range.0;
    let (_s, addr) = server(ranged(range, &[Fault::PassiveAnnouncesBusyPort])).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(passive_transfer(&mut c).await, port);
    // Bound without SO_REUSEADDR, the port in TIME_WAIT cannot be bound — and is announced.
    assert_eq!(c.epsv().await, port);
    assert!(refused(port).await);
    assert_eq!(c.cmd("RETR hello.txt").await.code, 425);
}

#[tokio::test]
async fn passive_announces_busy_port_in_use() {
    let range = free_range(1);
    let _held = std::net::TcpListener::bind(at(range.0)).unwrap();
    let (_s, addr) = server(ranged(range, &[Fault::PassiveAnnouncesBusyPort])).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.epsv().await, range.0);
    assert_eq!(c.pasv().await.port(), range.0);
    assert_eq!(
        c.cmd("RETR hello.txt").await.code,
        425,
        "nothing was set up"
    );
    // Without a range the fault has nothing to choose from.
    let (_s, addr) = faulty(Fault::PassiveAnnouncesBusyPort).await;
    let mut c = Client::logged_in(addr).await;
    passive_transfer(&mut c).await;
}

/// Eight EPSV ports in a row, each listening.
async fn eight_ports(c: &mut Client) -> Vec<u16> {
    let mut ports = Vec::new();
    for _ in 0..8 {
        let port = c.epsv().await;
        assert!(!refused(port).await);
        ports.push(port);
    }
    ports
}

fn plus_one(ports: &[u16]) -> bool {
    ports.windows(2).all(|w| w[1] == w[0].wrapping_add(1))
}

#[tokio::test]
async fn sequential_passive_ports() {
    let (_s, addr) = faulty(Fault::SequentialPassivePorts).await;
    let mut c = Client::logged_in(addr).await;
    let ports = eight_ports(&mut c).await;
    // Busy ports are skipped, so other tests' sockets may cause a gap, never a step back.
    assert!(ports.windows(2).all(|w| w[0] < w[1]), "{ports:?}");
    assert!(ports[7] - ports[0] < 64, "{ports:?}");

    let range = free_range(8);
    let (_s, addr) = server(ranged(range, &[Fault::SequentialPassivePorts])).await;
    let mut c = Client::logged_in(addr).await;
    let ports = eight_ports(&mut c).await;
    assert_eq!(ports, (range.0..=range.1).collect::<Vec<_>>());
}

#[tokio::test]
async fn clean_passive_ports_are_not_sequential() {
    let (_s, addr) = server(Config::default()).await;
    let mut c = Client::logged_in(addr).await;
    let ports = eight_ports(&mut c).await;
    assert!(!plus_one(&ports), "{ports:?}");

    let range = free_range(16);
    let (_s, addr) = server(ranged(range, &[])).await;
    let mut c = Client::logged_in(addr).await;
    let ports = eight_ports(&mut c).await;
    assert!(!plus_one(&ports), "{ports:?}");
    assert!(ports.iter().all(|p| (range.0..=range.1).contains(p)));
}
