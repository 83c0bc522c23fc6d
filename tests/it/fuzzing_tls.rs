//! `ftpspec fuzz` over FTPS (RFC 4217): dialogues on protected sessions, explicit and
//! implicit, against the built-in server; findings that `needs tls` and replay over TLS.

use crate::support::{ftpspec, scratch, text};
use ftpspec::fuzz::exec::trace::{Act, Chan, End};
use ftpspec::fuzz::input::grammar::{EprtMut, EprtOp, EpsvOp};
use ftpspec::fuzz::input::ops::{Cmd, DataPlan, Transfer, TransferCmd};
use ftpspec::fuzz::input::security::{AuthArg, ProtArg};
use ftpspec::fuzz::{Dialogue, ExecConfig, Op, execute};
use ftpspec::proto::TlsMode;
use ftpspec::runner::Target;
use ftpspec::session::{TlsClient, Trust};
use std::time::Duration;

/// A short campaign over each mode: every dialogue reaches the target, nothing is found.
#[test]
fn a_campaign_over_explicit_and_implicit_tls_finds_nothing_on_the_reference_server() {
    for mode in ["explicit", "implicit"] {
        let dir = scratch("fuzz", &format!("tls-{mode}"));
        let o = dir.to_string_lossy().into_owned();
        let out = ftpspec(&[
            "fuzz",
            "--tls",
            mode,
            "--runs",
            "60",
            "--seed",
            "1",
            "--timeout",
            "1",
            "--out",
            &o,
        ]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        assert!(stdout.contains(&format!("over {mode} FTPS")), "{stdout}");
        let stats = std::fs::read_to_string(dir.join("stats.json")).expect("stats");
        // At least the 60 asked for (a dialogue rerun with full waits may add one).
        let execs: u64 = stats
            .split_once("\"execs\": ")
            .and_then(|(_, rest)| rest.split_once(','))
            .and_then(|(n, _)| n.trim().parse().ok())
            .unwrap_or(0);
        assert!(execs >= 60, "{stats}");
        assert!(stats.contains("\"findings\": 0"), "{stats}");
        assert!(stats.contains("\"unserved\": 0"), "{stats}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A planted fault is found over TLS; its scenario `needs tls`, replays to FAIL with `ftpspec
/// run --tls explicit`, and is SKIP in a run in the clear.
#[test]
fn a_finding_over_tls_needs_tls_and_replays_over_tls() {
    let dir = scratch("fuzz", "tls-fault");
    let o = dir.to_string_lossy().into_owned();
    let fault = "eprt-any-delimiter";
    let out = ftpspec(&[
        "fuzz",
        "--tls",
        "explicit",
        "--fault",
        fault,
        "--only",
        "eprt",
        "--max-ops",
        "2",
        "--runs",
        "300",
        "--seed",
        "2",
        "--timeout",
        "1",
        "--out",
        &o,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("replays to a failure"), "{stdout}");
    let findings = dir.join("findings");
    let name = std::fs::read_dir(&findings)
        .expect("findings/")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("malformed-accepted-"))
        .expect("a malformed-accepted finding");
    let scenario = std::fs::read_to_string(&name).expect("finding");
    assert!(
        scenario.lines().any(|l| l.trim() == "needs       tls"),
        "{scenario}"
    );
    let f = name.to_string_lossy().into_owned();
    let over_tls = ftpspec(&[
        "run", "--color", "never", "--tls", "explicit", "--fault", fault, &f,
    ]);
    let shown = text(&over_tls.stdout);
    assert_eq!(over_tls.status.code(), Some(1), "{shown}");
    assert!(shown.contains("FAIL  "), "{shown}");
    let clear = ftpspec(&["run", "--color", "never", "--fault", fault, &f]);
    let shown = text(&clear.stdout);
    assert_eq!(clear.status.code(), Some(0), "{shown}");
    assert!(shown.contains("SKIP"), "{shown}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// One dialogue with a passive and an active transfer over explicit and implicit FTPS: the
/// listings are read, through TLS data connections (after the harness's PBSZ 0 and PROT P),
/// and the urgent ABOR is sent in band.
#[tokio::test]
async fn passive_and_active_transfers_run_over_tls_data_connections() {
    use ftpspec::server::{self, Config};
    for mode in [TlsMode::Explicit, TlsMode::Implicit] {
        let config = Config {
            tls: Some(mode),
            tls_required: true,
            ..Config::default()
        };
        let server = server::start(&[([127, 0, 0, 1], 0).into()], config)
            .await
            .expect("bind");
        let addr = server.local_addrs()[0];
        let cert = server
            .certificate()
            .expect("a TLS server has a certificate");
        let trust = Trust::Certificates(vec![cert.clone()]);
        let tls = TlsClient::new(mode, &trust, "localhost").expect("TLS client");
        let cfg = ExecConfig {
            tls: Some(tls),
            ..ExecConfig::new(
                Target::anonymous(vec![addr], "tls"),
                addr,
                Duration::from_secs(2),
            )
        };
        let list = |cmd| {
            Op::Transfer(Transfer {
                kind: cmd,
                plan: DataPlan::Auto,
            })
        };
        let dialogue = Dialogue {
            login: true,
            ops: vec![
                Op::Cmd(Cmd::Epsv(EpsvOp::Plain)),
                list(TransferCmd::Nlst),
                Op::Cmd(Cmd::Eprt(EprtOp {
                    first: EprtMut::None,
                    second: None,
                })),
                list(TransferCmd::List(None)),
                Op::UrgentAbort,
            ],
        };
        let trace = execute(&dialogue, &cfg).await;
        server.shutdown().await;
        assert_eq!(trace.end, End::Completed, "{mode:?}: {trace:?}");
        assert!(trace.tls);
        let read = |want: Chan| {
            trace
                .acts
                .iter()
                .any(|a| matches!(a, Act::Read { chan, len } if *chan == want && *len > 0))
        };
        assert!(read(Chan::Passive), "{mode:?}: {:?}", trace.acts);
        assert!(read(Chan::Active), "{mode:?}: {:?}", trace.acts);
        // The harness's PBSZ/PROT are not the dialogue's.
        let sent: Vec<String> = trace
            .commands
            .iter()
            .map(|c| String::from_utf8_lossy(&c.line).into_owned())
            .collect();
        assert!(!sent.iter().any(|l| l.starts_with("PBSZ")), "{sent:?}");
        // No TCP urgent data inside TLS: the ABOR goes in band, a line like any other.
        assert_eq!(sent.last().map(String::as_str), Some("ABOR"), "{sent:?}");
        let urgent = |a: &Act| matches!(a, Act::UrgentAbort { .. });
        assert!(!trace.acts.iter().any(urgent), "{:?}", trace.acts);
    }
}

/// A target that does not offer AUTH TLS (the built-in server in the clear) is exit 2 with
/// one line, before anything runs; so is a certificate that does not verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_without_auth_tls_or_a_bad_certificate_is_exit_2() {
    use ftpspec::server::{self, Config};
    let clear = server::start(&[([127, 0, 0, 1], 0).into()], Config::default())
        .await
        .expect("bind");
    let tls = Config {
        tls: Some(TlsMode::Implicit),
        ..Config::default()
    };
    let implicit = server::start(&[([127, 0, 0, 1], 0).into()], tls)
        .await
        .expect("bind");
    let dir = scratch("fuzz", "tls-exit-2");
    let o = dir.to_string_lossy().into_owned();
    let cases = [
        (format!("ftpes://{}", clear.local_addrs()[0]), "AUTH TLS"),
        // The built-in server's certificate is self-signed: the Mozilla roots refuse it.
        (
            format!("ftps://{}", implicit.local_addrs()[0]),
            "certificate",
        ),
    ];
    for (url, needle) in cases {
        let args = ["fuzz", "--target", &url, "--runs", "5", "--out", &o];
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ftpspec(&args)
        })
        .await
        .expect("the binary ran");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains(needle), "{url}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{url}: {stderr}");
    }
    clear.shutdown().await;
    implicit.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A TLS server and an executor configuration for it (`tls`: protected sessions, or clear).
async fn tls_server(mode: TlsMode, protected: bool) -> (ftpspec::server::ServerHandle, ExecConfig) {
    use ftpspec::server::{self, Config};
    let config = Config {
        tls: Some(mode),
        ..Config::default()
    };
    let server = server::start(&[([127, 0, 0, 1], 0).into()], config)
        .await
        .expect("bind");
    let addr = server.local_addrs()[0];
    let cert = server
        .certificate()
        .expect("a TLS server has a certificate");
    let trust = Trust::Certificates(vec![cert.clone()]);
    let tls = TlsClient::new(mode, &trust, "localhost").expect("TLS client");
    let cfg = ExecConfig {
        tls: protected.then_some(tls),
        ..ExecConfig::new(
            Target::anonymous(vec![addr], "tls"),
            addr,
            Duration::from_secs(2),
        )
    };
    (server, cfg)
}

fn transfer(kind: TransferCmd) -> Op {
    Op::Transfer(Transfer {
        kind,
        plan: DataPlan::Auto,
    })
}

/// A dialogue's own `PROT C` and `PROT P` that got 200 decide the data connections after them:
/// a listing in the clear, then one over TLS (either taken the wrong way, the read fails).
#[tokio::test]
async fn a_dialogues_prot_decides_its_later_data_connections() {
    let (server, cfg) = tls_server(TlsMode::Explicit, true).await;
    let dialogue = Dialogue {
        login: true,
        ops: vec![
            Op::Cmd(Cmd::Prot(ProtArg::Clear)),
            Op::Cmd(Cmd::Epsv(EpsvOp::Plain)),
            transfer(TransferCmd::Nlst),
            Op::Cmd(Cmd::Prot(ProtArg::LowerCase(true))),
            Op::Cmd(Cmd::Epsv(EpsvOp::Plain)),
            transfer(TransferCmd::Nlst),
        ],
    };
    let trace = execute(&dialogue, &cfg).await;
    server.shutdown().await;
    assert_eq!(trace.end, End::Completed, "{trace:?}");
    let reads = trace
        .acts
        .iter()
        .filter(|a| matches!(a, Act::Read { chan: Chan::Passive, len } if *len > 0))
        .count();
    assert_eq!(reads, 2, "{:?}", trace.acts);
}

/// A 234 to a dialogue's AUTH TLS on a clear session: the server now waits for a handshake
/// the dialogue does not do, so it ends there, inconclusive, and nothing after is judged.
#[tokio::test]
async fn an_accepted_auth_ends_the_dialogue_inconclusive() {
    let (server, cfg) = tls_server(TlsMode::Explicit, false).await;
    let dialogue = Dialogue {
        login: true,
        ops: vec![
            Op::Cmd(Cmd::Noop),
            Op::Cmd(Cmd::Auth(AuthArg::Tls)),
            Op::Cmd(Cmd::Noop),
            Op::Cmd(Cmd::Ccc),
        ],
    };
    let trace = execute(&dialogue, &cfg).await;
    server.shutdown().await;
    match &trace.end {
        End::Inconclusive(why) => assert!(why.contains("AUTH was accepted"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(ftpspec::fuzz::judge(&trace).is_none(), "{trace:?}");
    let last = trace.commands.last().map(|c| c.verb.clone());
    assert_eq!(last.as_deref(), Some(&b"AUTH"[..]), "{trace:?}");
}
