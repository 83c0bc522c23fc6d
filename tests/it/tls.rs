//! FTPS (RFC 4217): the whole suite over explicit and implicit TLS against the built-in server,
//! and the one-line exit-2 errors of a certificate that does not verify or a server without
//! AUTH TLS.

use crate::support::{all_scenarios, config_for, ftpspec, start_server, start_tls_server, text};
use ftpspec::proto::TlsMode;
use ftpspec::runner::{self, URGENT_OVER_TLS, Verdict};
use ftpspec::server::FaultSet;
use ftpspec::session::{TlsClient, Trust};
use ftpspec::suite::Need;
use std::sync::Arc;

/// Every scenario of the default suite, by the same IDs, over a protected session: all pass,
/// except those that need TCP urgent data, which are SKIP with the reason.
async fn whole_suite_over(mode: TlsMode) {
    let handle = start_tls_server(mode).await;
    let mut config = config_for(&handle);
    let cert = handle
        .certificate()
        .expect("a TLS server has a certificate")
        .clone();
    let trust = Trust::Certificates(vec![cert]);
    config.tls = Some(TlsClient::new(mode, &trust, "localhost").unwrap());
    let scenarios = all_scenarios();
    let urgent: Vec<String> = scenarios
        .iter()
        .filter(|s| s.uses_urgent_data())
        .map(|s| s.id.clone())
        .collect();
    assert!(!urgent.is_empty(), "the suite has urgent-ABOR scenarios");
    // Without --tls-required the scenarios that need it are SKIP; under implicit TLS so are
    // those that start clear and send AUTH TLS themselves.
    let precondition: Vec<String> = scenarios
        .iter()
        .filter(|s| {
            s.needs.contains(&Need::TlsRequired)
                || (mode == TlsMode::Implicit && s.needs.contains(&Need::AuthTls))
        })
        .map(|s| s.id.clone())
        .collect();
    let mut ids: Vec<String> = scenarios.iter().map(|s| s.id.clone()).collect();
    ids.sort();
    let report = runner::run(scenarios, Arc::new(config), None, |_| {}).await;
    handle.shutdown().await;
    let got: Vec<String> = report.outcomes.iter().map(|o| o.id.clone()).collect();
    assert_eq!(got, ids, "the same scenario IDs as a plain run");
    for o in &report.outcomes {
        if precondition.contains(&o.id) {
            assert_eq!(o.verdict, Verdict::Skip, "{}", o.id);
            continue;
        }
        if urgent.contains(&o.id) {
            assert_eq!(o.verdict, Verdict::Skip, "{}", o.id);
            assert_eq!(o.reason.as_deref(), Some(URGENT_OVER_TLS), "{}", o.id);
            continue;
        }
        // Privileged-port scenarios are SKIP without root, as in a plain run.
        assert!(
            matches!(o.verdict, Verdict::Pass | Verdict::Info)
                || (o.verdict == Verdict::Skip && o.id.contains("privileged")),
            "{mode:?} {}: {} {:?} {:?}\n{:?}",
            o.id,
            o.verdict,
            o.reason,
            o.failure,
            o.transcript
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_passes_over_explicit_tls() {
    whole_suite_over(TlsMode::Explicit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_passes_over_implicit_tls() {
    whole_suite_over(TlsMode::Implicit).await;
}

/// Runs the binary without blocking the runtime that serves the target.
async fn run_binary(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ftpspec(&args)
    })
    .await
    .unwrap()
}

/// A run that could not start: exit 2 and one line on stderr containing `needle`.
fn assert_one_line_exit_2(out: &std::process::Output, needle: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_the_wrong_ca_is_exit_2_with_one_line() {
    let handle = start_tls_server(TlsMode::Explicit).await;
    let port = handle.local_addrs()[0].port();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = crate::support::scratch("tls", "wrong-ca");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, other.cert.pem()).unwrap();
    let target = format!("ftpes://localhost:{port}");
    let args = ["run", "--target", &target, "--tls-ca", ca.to_str().unwrap()];
    let out = run_binary(args.iter().map(|s| s.to_string()).collect()).await;
    assert_one_line_exit_2(&out, "certificate");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--tls-insecure"),
        "says what to do: {stderr}"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_insecure_accepts_a_self_signed_server_and_says_so() {
    let handle = start_tls_server(TlsMode::Implicit).await;
    let port = handle.local_addrs()[0].port();
    let target = format!("ftps://127.0.0.1:{port}");
    let args = ["run", "--target", &target, "--tls-insecure", "rfc959.pasv"];
    let out = run_binary(args.iter().map(|s| s.to_string()).collect()).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("tls: FTPS implicit: TLSv1."), "{stdout}");
    assert!(stdout.contains("NOT VERIFIED (--tls-insecure)"), "{stdout}");
    handle.shutdown().await;
}

/// A server that does not know AUTH (500) cannot be tested over explicit FTPS: exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_tls_against_a_server_without_auth_tls_is_exit_2() {
    let handle = start_server(FaultSet::default()).await;
    let port = handle.local_addrs()[0].port();
    let target = format!("ftp://127.0.0.1:{port}");
    let args = [
        "run",
        "--target",
        &target,
        "--tls",
        "explicit",
        "--tls-insecure",
    ];
    let out = run_binary(args.iter().map(|s| s.to_string()).collect()).await;
    assert_one_line_exit_2(&out, "does not offer AUTH TLS");
    handle.shutdown().await;
}

/// A plain client of the data port under PROT P reads a TLS record, never the file: the
/// server's side of the data connection is TLS.
#[tokio::test]
async fn under_prot_p_the_server_sends_no_clear_data() {
    use ftpspec::session::{ControlConnection, Recorder};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let handle = start_tls_server(TlsMode::Explicit).await;
    let addr = handle.local_addrs()[0];
    let wait = Duration::from_secs(10);
    let trust = Trust::Insecure;
    let client = TlsClient::new(TlsMode::Explicit, &trust, "localhost").unwrap();
    let mut ctrl = ControlConnection::connect(addr, wait, Recorder::new())
        .await
        .unwrap();
    assert_eq!(ctrl.read_reply(wait).await.unwrap().code.0, 220);
    ctrl.auth_tls(client.session(), wait).await.unwrap();
    for (line, code) in [
        ("USER anonymous", 331),
        ("PASS x", 230),
        ("PBSZ 0", 200),
        ("PROT P", 200),
        ("EPSV", 229),
    ] {
        ctrl.send(format!("{line}\r\n").as_bytes()).await.unwrap();
        assert_eq!(ctrl.read_reply(wait).await.unwrap().code.0, code, "{line}");
    }
    let text = String::from_utf8_lossy(
        ctrl.recorder()
            .snapshot()
            .entries
            .last()
            .unwrap()
            .bytes
            .as_slice(),
    )
    .into_owned();
    let port: u16 = text
        .split('|')
        .nth(3)
        .and_then(|p| p.parse().ok())
        .expect("a 229 port");
    let mut data = tokio::net::TcpStream::connect((addr.ip(), port))
        .await
        .unwrap();
    ctrl.send(b"RETR hello.txt\r\n").await.unwrap();
    assert_eq!(ctrl.read_reply(wait).await.unwrap().code.0, 150);
    // A ClientHello that is not TLS: the server must answer with an alert or close, and
    // never with the file's bytes.
    data.write_all(b"hello, I speak no TLS\r\n").await.unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(wait, data.read_to_end(&mut got)).await;
    assert!(
        !got.windows(5).any(|w| w == b"Hello"),
        "clear data under PROT P: {got:?}"
    );
    assert!(
        got.is_empty() || got[0] == 21,
        "nothing, or a TLS alert record: {got:?}"
    );
    assert_eq!(ctrl.read_reply(wait).await.unwrap().code.0, 425);
    handle.shutdown().await;
}

/// `ftpspec run --tls explicit --tls-required` starts the built-in server requiring TLS and
/// passes the RFC 4217 suite, the clear-login check included; `--tls-required` without TLS is
/// a usage error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rfc4217_suite_passes_against_the_builtin_server_requiring_tls() {
    let args = ["run", "--tls", "explicit", "--tls-required", "rfc4217"];
    let out = run_binary(args.iter().map(|s| s.to_string()).collect()).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("clear-login-refused"), "{stdout}");
    assert!(
        !stdout.contains("  SKIP "),
        "every RFC 4217 scenario runs: {stdout}"
    );
    let out = run_binary(vec!["run".into(), "--tls-required".into()]).await;
    assert_one_line_exit_2(&out, "--tls-required needs --tls");
}

/// Without --tls the RFC 4217 scenarios are SKIP with the reason, and the run stays green.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tls_the_rfc4217_suite_is_skip() {
    let out = run_binary(vec!["run".into(), "rfc4217".into()]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("needs a run over TLS"), "{stdout}");
    assert!(
        stdout.contains("needs a target that offers AUTH TLS"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("PASS "),
        "nothing runs in the clear: {stdout}"
    );
}
