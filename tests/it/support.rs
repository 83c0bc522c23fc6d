//! Shared helpers: the reference server on loopback port 0 and a runner config aimed at it.

use ftpspec::runner::{self, RunConfig, RunReport, Target};
use ftpspec::server::{self, Config, FaultSet, ServerHandle};
use ftpspec::suite::{self, Scenario};
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Starts the reference server with `faults` on 127.0.0.1:0 and, where the machine has it, [::1]:0.
pub async fn start_server(faults: FaultSet) -> ServerHandle {
    let v4: SocketAddr = ([127, 0, 0, 1], 0).into();
    let v6: SocketAddr = (Ipv6Addr::LOCALHOST, 0).into();
    let config = Config {
        faults,
        passive_ports: Some(ftpspec::server::BUILTIN_PASSIVE_RANGE),
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
    let target = Target {
        addrs: handle.local_addrs().to_vec(),
        user: None,
        password: None,
        display: "test".into(),
    };
    let mut config = RunConfig::new(target);
    config.jobs = 8;
    // Faults that answer with silence cost one step timeout each: keep it short on loopback.
    config.step_timeout = Duration::from_secs(2);
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
