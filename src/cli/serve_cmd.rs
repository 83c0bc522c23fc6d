//! `ftpspec serve`: the reference server on a port, until Ctrl-C.

use super::args::ServeArgs;
use crate::server::{self, Config, Fault, FaultSet};

pub async fn serve(args: ServeArgs) -> Result<u8, String> {
    if args.list_faults {
        for fault in Fault::ALL {
            println!("{:24} {}", fault.name(), fault.description());
        }
        return Ok(0);
    }
    let config = Config {
        faults: parse_faults(&args.fault)?,
        passive_ports: args.passive_ports,
        tls: args.tls.map(Into::into),
        tls_required: args.tls_required,
        ..Config::default()
    };
    let handle = server::start(&args.listen, config)
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;
    for addr in handle.local_addrs() {
        println!("ftpspec reference server listening on {addr}");
    }
    if let Some(mode) = args.tls {
        let mode = crate::proto::TlsMode::from(mode).name();
        println!(
            "FTPS: {mode}, with a throw-away self-signed certificate (clients need --tls-insecure)"
        );
        if args.tls_required {
            println!("TLS required: USER and PASS are refused on a clear control connection");
        }
    }
    if !args.fault.is_empty() {
        println!("faults: {}", args.fault.join(", "));
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    handle.shutdown().await;
    Ok(0)
}

/// Fault names → a set; an unknown name is a usage error listing the known ones.
pub fn parse_faults(names: &[String]) -> Result<FaultSet, String> {
    names
        .iter()
        .map(|n| n.parse::<Fault>().map_err(|e| e.to_string()))
        .collect::<Result<FaultSet, String>>()
}
