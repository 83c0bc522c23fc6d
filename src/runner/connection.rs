//! The control connection a scenario runs on: opening it and reading the greeting, the
//! variables it defines (`${client.*}`, `${target.*}`), and closing it politely. Both the
//! scenario's start (`exec`) and its `reconnect`/`disconnect` steps (`control_steps`) use it.

use super::config::RunConfig;
use super::expect;
use super::stop::Stop;
use super::vars::Vars;
use crate::proto::TlsMode;
use crate::session::{ControlConnection, Recorder, SessionError};
use crate::suite::TRANSFER_VAR;
use std::net::SocketAddr;
use std::time::Duration;

/// Opens a control connection and reads its greeting, protected as `config.tls` says: TLS
/// before the greeting (implicit), or `AUTH TLS` after it (explicit, RFC 4217 §4) — unless
/// `own_tls` (a scenario that `needs auth-tls`), which sends AUTH TLS itself. Failures are
/// ERROR: the harness could not get a session, which says nothing about the requirement under
/// test.
pub(super) async fn connect_control(
    addr: SocketAddr,
    config: &RunConfig,
    recorder: &Recorder,
    own_tls: bool,
) -> Result<ControlConnection, Stop> {
    let wait = config.step_timeout;
    let error = |e: SessionError| Stop::Error(e.to_string());
    let tls = config.tls.as_ref();
    let mut ctrl = match tls.filter(|t| t.mode() == TlsMode::Implicit) {
        Some(tls) => {
            ControlConnection::connect_tls(addr, tls.session(), wait, recorder.clone())
                .await
                .map_err(error)?
                .0
        }
        None => ControlConnection::connect(addr, wait, recorder.clone())
            .await
            .map_err(error)?,
    };
    read_greeting(&mut ctrl, config).await?;
    if let Some(tls) = tls.filter(|t| t.mode() == TlsMode::Explicit && !own_tls) {
        ctrl.auth_tls(tls.session(), wait).await.map_err(error)?;
    }
    Ok(ctrl)
}

/// After a login on a protected connection: `PBSZ 0`, then `PROT P`, each answered 200, so
/// that data connections are TLS too (RFC 4217 §9: "the PBSZ command MUST still be issued, but
/// must have a parameter of '0'", and it must come before PROT).
///
/// After the login, not before USER: RFC 2228 only asks PBSZ to follow the security exchange,
/// and vsftpd (prelogin) and pyftpdlib accept both before login, but after the login is where
/// curl and FileZilla send them, so it is the order every FTPS server meets. A refusal is
/// ERROR: the scenario could not be run over a protected session. Nothing here touches
/// `${reply.*}` or `if reply`, which still see the login's reply.
pub(super) async fn protect_data(ctrl: &mut ControlConnection, wait: Duration) -> Result<(), Stop> {
    if ctrl.tls().is_none() {
        return Ok(());
    }
    for line in ["PBSZ 0", "PROT P"] {
        let error = |e: SessionError| Stop::Error(format!("{line}: {e}"));
        ctrl.send(format!("{line}\r\n").as_bytes())
            .await
            .map_err(error)?;
        let reply = ctrl.read_reply(wait).await.map_err(error)?;
        if reply.code.0 != 200 {
            return Err(Stop::Error(format!(
                "{line} was refused (RFC 4217 §9 wants 200): {}",
                expect::show(&reply)
            )));
        }
    }
    ctrl.set_private_data(true);
    Ok(())
}

/// The greeting: optional 120 replies, then 220 (RFC 959 §5.4, "Connection Establishment").
pub(super) async fn read_greeting(
    ctrl: &mut ControlConnection,
    config: &RunConfig,
) -> Result<(), Stop> {
    for _ in 0..4 {
        let reply = ctrl
            .read_reply(config.step_timeout)
            .await
            .map_err(|e| Stop::Error(format!("no greeting: {e}")))?;
        match reply.code.0 {
            220 => return Ok(()),
            120 => continue,
            _ => {
                return Err(Stop::Error(format!(
                    "the server refused the session: {}",
                    expect::show(&reply)
                )));
            }
        }
    }
    Err(Stop::Error(
        "no 220 greeting after repeated 120 replies".into(),
    ))
}

pub(super) fn initial_vars(ctrl: &ControlConnection, config: &RunConfig) -> Vars {
    let mut vars = Vars::default();
    set_client_vars(&mut vars, ctrl);
    vars.set("target.ip", ctrl.peer().ip().to_string());
    vars.set("target.port", ctrl.peer().port().to_string());
    vars.set("target.netprt", netprt(ctrl.peer()));
    vars.set("target.user", config.target.user_name().to_string());
    vars.set("file.small", config.files.small.clone());
    vars.set("file.large", config.files.large.clone());
    vars.set("file.upload", config.files.upload.clone());
    if let Ok(command) = config.transfer_command() {
        vars.set(TRANSFER_VAR, command.to_string());
    }
    vars
}

/// An RFC 2428 net-prt: `1` for IPv4, `2` for IPv6.
fn netprt(addr: SocketAddr) -> &'static str {
    if addr.is_ipv6() { "2" } else { "1" }
}

/// `${client.*}`: this end of the control connection (set again by `reconnect`).
pub(super) fn set_client_vars(vars: &mut Vars, ctrl: &ControlConnection) {
    vars.set("client.ip", ctrl.local().ip().to_string());
    vars.set("client.port", ctrl.local().port().to_string());
    vars.set("client.netprt", netprt(ctrl.local()));
    // `${client.host-number}`: the h1,h2,h3,h4 of PORT (RFC 959 §4.1.2), IPv4 only; over IPv6
    // using it is an ERROR that names it.
    match ctrl.local().ip() {
        std::net::IpAddr::V4(v4) => {
            let octets = v4.octets().map(|o| o.to_string());
            vars.set("client.host-number", octets.join(","));
        }
        std::net::IpAddr::V6(_) => vars.unset("client.host-number"),
    }
}

/// Says QUIT and closes, best effort: nothing here affects the verdict. The wait for the 221
/// is short and within the step timeout.
pub(super) async fn quit(ctrl: &mut ControlConnection, step_timeout: Duration) {
    let wait = step_timeout.min(Duration::from_secs(1));
    if ctrl.send(b"QUIT\r\n").await.is_ok() {
        let _ = ctrl.read_reply(wait).await;
    }
    ctrl.shutdown().await;
}
