//! Shared helpers: the reference server on loopback port 0 and a runner config aimed at it.

use ftpspec::runner::{self, RunConfig, RunReport, Target};
use ftpspec::server::{self, Config, FaultSet, ServerHandle};
use ftpspec::suite::{self, Scenario};
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

/// How many blocks the built-in passive range is cut into, one per server this process starts.
const PASSIVE_BLOCKS: u16 = 40;

/// A passive range of its own for each server, cycling through [`PASSIVE_BLOCKS`] blocks of
/// the built-in range: the fault matrix runs several servers at once, and a scenario that
/// checks a closed passive port is refused (`connect … refused`) must not find another
/// server's listener there. Scenarios tagged `exclusive` already keep the server's own
/// sessions away.
fn passive_block() -> (u16, u16) {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let (lo, hi) = ftpspec::server::BUILTIN_PASSIVE_RANGE;
    let size = (hi - lo + 1) / PASSIVE_BLOCKS;
    let block = NEXT.fetch_add(1, Ordering::Relaxed) % PASSIVE_BLOCKS;
    let start = lo + block * size;
    (start, start + size - 1)
}

/// Starts the reference server with `faults` on 127.0.0.1:0 and, where the machine has it, [::1]:0.
pub async fn start_server(faults: FaultSet) -> ServerHandle {
    let v4: SocketAddr = ([127, 0, 0, 1], 0).into();
    let v6: SocketAddr = (Ipv6Addr::LOCALHOST, 0).into();
    let config = Config {
        faults,
        passive_ports: Some(passive_block()),
        // The ABOR scenarios that drain the data connection in the background must find the
        // transfer still running for an ABOR fault to show, also when the fault matrix loads
        // both CPUs.
        send_pause: Some(Duration::from_millis(1)),
        ..Config::default()
    };
    match server::start(&[v4, v6], config.clone()).await {
        Ok(h) => h,
        Err(_) => server::start(&[v4], config)
            .await
            .expect("bind 127.0.0.1:0"),
    }
}

/// Starts the reference server serving FTPS in `mode`, as [`start_server`] does otherwise.
pub async fn start_tls_server(mode: ftpspec::proto::TlsMode) -> ServerHandle {
    let v4: SocketAddr = ([127, 0, 0, 1], 0).into();
    let v6: SocketAddr = (Ipv6Addr::LOCALHOST, 0).into();
    let config = Config {
        passive_ports: Some(passive_block()),
        send_pause: Some(Duration::from_millis(1)),
        tls: Some(mode),
        ..Config::default()
    };
    match server::start(&[v4, v6], config.clone()).await {
        Ok(h) => h,
        Err(_) => server::start(&[v4], config)
            .await
            .expect("bind 127.0.0.1:0"),
    }
}

pub fn config_for(handle: &ServerHandle) -> RunConfig {
    let target = Target::anonymous(handle.local_addrs().to_vec(), "test");
    let mut config = RunConfig::new(target);
    config.jobs = 8;
    // Faults that answer with silence cost one step timeout each: keep it short on loopback.
    config.step_timeout = Duration::from_secs(2);
    // Short bursts: the matrix runs the whole suite ~55 times, and 200-transfer bursts each time
    // would exhaust the ephemeral ports with TIME_WAIT. 12 is past the burst faults' threshold.
    config.burst = 12;
    config
}

pub fn all_scenarios() -> Vec<Scenario> {
    suite::embedded().expect("the built-in suites parse")
}

/// Runs every built-in scenario against the server with `faults`.
pub async fn run_suite(faults: FaultSet) -> RunReport {
    let handle = start_server(faults).await;
    let config = config_for(&handle);
    let report = runner::run(all_scenarios(), Arc::new(config), None, |_| {}).await;
    handle.shutdown().await;
    report
}

/// A port `p` such that `p..p+n` were all free on 127.0.0.1 a moment ago, looked for in
/// 10000–19999: below the ephemeral range, where outgoing connections never take a port and
/// none sits in TIME_WAIT after a busy test run.
pub fn free_block(n: u16) -> u16 {
    let seed = std::process::id()
        ^ std::time::UNIX_EPOCH
            .elapsed()
            .map_or(0, |d| d.subsec_nanos());
    for attempt in 0..400u32 {
        let base = 10_000 + (seed.wrapping_add(attempt.wrapping_mul(7919)) % 9_900) as u16;
        let all_free = (base..base + n)
            .map(|p| std::net::TcpListener::bind(("127.0.0.1", p)))
            .collect::<Result<Vec<_>, _>>()
            .is_ok();
        if all_free {
            return base;
        }
    }
    panic!("no block of {n} free ports");
}

/// Runs the `ftpspec` binary with `args`, without colour and without an inherited target.
pub fn ftpspec(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ftpspec"))
        .args(args)
        .env_remove("FTPSPEC_TARGET")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh, empty scratch directory for one test (`area` keeps test modules apart).
pub fn scratch(area: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ftpspec-it-{}-{area}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The ID prefix of the RFC 4217 suite.
pub const RFC4217: &str = "rfc4217.";

/// Runs the RFC 4217 suite against the reference server with `faults`, serving explicit FTPS
/// and requiring TLS, with ftpspec told so (`--tls explicit --tls-required`).
pub async fn run_tls_suite(faults: FaultSet) -> RunReport {
    use ftpspec::proto::TlsMode;
    use ftpspec::session::{TlsClient, Trust};
    let v4: SocketAddr = ([127, 0, 0, 1], 0).into();
    let config = Config {
        faults,
        passive_ports: Some(passive_block()),
        send_pause: Some(Duration::from_millis(1)),
        tls: Some(TlsMode::Explicit),
        tls_required: true,
        ..Config::default()
    };
    let handle = server::start(&[v4], config)
        .await
        .expect("bind 127.0.0.1:0");
    let mut run = config_for(&handle);
    let cert = handle.certificate().expect("a TLS server").clone();
    let trust = Trust::Certificates(vec![cert]);
    run.tls = Some(TlsClient::new(TlsMode::Explicit, &trust, "localhost").expect("TLS client"));
    run.tls_required = true;
    let scenarios: Vec<Scenario> = all_scenarios()
        .into_iter()
        .filter(|s| s.id.starts_with(RFC4217))
        .collect();
    let report = runner::run(scenarios, Arc::new(run), None, |_| {}).await;
    handle.shutdown().await;
    report
}
