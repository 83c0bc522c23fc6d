//! The binary as users and CI see it: exit codes 0/1/2, one-line errors, report files.

use crate::support::{ftpspec, scratch, text};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn builtin_server_passes_with_exit_0() {
    let out = ftpspec(&["run", "--color", "never"]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("PASS"));
    assert!(
        stdout.contains("scenarios"),
        "summary line present:\n{stdout}"
    );
    assert!(
        !stdout.contains("\u{1b}["),
        "no ANSI escapes with --color never"
    );
}

#[test]
fn faulted_server_fails_with_exit_1_and_explains() {
    let out = ftpspec(&[
        "run",
        "--color",
        "never",
        "--fault",
        "eprt-any-delimiter",
        "rfc2428.eprt",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL"));
    assert!(stdout.contains("delimiter-del"));
    assert!(
        stdout.contains("33-126"),
        "the requirement sentence is printed:\n{stdout}"
    );
    assert!(stdout.contains("expected"), "expected/actual are printed");
    assert!(
        stdout.contains("EPRT \\x7f"),
        "the transcript shows the raw bytes sent:\n{stdout}"
    );
}

#[test]
fn unreachable_target_is_exit_2_with_one_line() {
    let out = ftpspec(&["run", "--target", "ftp://127.0.0.1:1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn bad_target_urls_and_flags_are_exit_2() {
    for args in [
        &["run", "--target", "http://127.0.0.1:21"][..],
        &["run", "--target", "ftp://127.0.0.1:99999"],
        &["run", "--jobs", "0"],
        &["run", "--fault", "no-such-fault"],
        &["run", "no.such.scenario"],
    ] {
        let out = ftpspec(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"));
    }
}

#[test]
fn bad_scenario_file_names_file_line_column() {
    let dir = scratch("cli", "bad-scenario");
    let file = dir.join("bad.ftpspec");
    std::fs::write(
        &file,
        "scenario a.b \"t\"\n  spec RFC959 §4 MUST\n  requirement \"r\"\n  sned NOOP\n",
    )
    .unwrap();
    let out = ftpspec(&["run", file.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.ftpspec:4:"),
        "file:line:column in {stderr}"
    );
    assert!(stderr.contains("sned"), "{stderr}");
}

#[test]
fn unwritable_report_path_is_detected_before_the_run() {
    let out = ftpspec(&["run", "--json", "/proc/ftpspec/nope.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope.json"));
    assert!(out.stdout.is_empty(), "nothing ran");
}

#[test]
fn json_and_junit_reports_are_written() {
    let dir = scratch("cli", "reports");
    let json = dir.join("out.json");
    let junit = dir.join("junit.xml");
    let out = ftpspec(&[
        "run",
        "--fault",
        "522-no-list",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(value["version"], 2);
    assert!(value["summary"]["fail"].as_u64().unwrap() > 0);
    let failing = value["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["verdict"] == "FAIL")
        .unwrap();
    assert!(failing["transcript"].as_array().unwrap().len() > 2);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<failure"));
    assert!(xml.contains("rfc2428.eprt.unsupported-netprt-3"));
}

#[test]
fn list_shows_ids_levels_titles() {
    let out = ftpspec(&["list"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("rfc2428.eprt.ipv4-accepted"));
    assert!(stdout.contains("MUST"));
    let out = ftpspec(&["list", "--json", "rfc2428.epsv"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"].as_str().unwrap().starts_with("rfc2428.epsv."))
    );
}

#[test]
fn serve_lists_faults_one_per_line() {
    let out = ftpspec(&["serve", "--list-faults"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().next() == Some("eprt-any-delimiter"))
    );
}

/// `ftpspec serve --fault X` on a port, and `ftpspec run --target` against it: the users' path.
#[test]
fn run_against_served_fault_on_a_port() {
    let mut server = Command::new(env!("CARGO_BIN_EXE_ftpspec"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--fault",
            "epsv-malformed-229",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    // Keep the pipe open while the server runs: it prints more lines after the first.
    let mut reader = BufReader::new(server.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    let addr = first.trim().rsplit(' ').next().unwrap().to_string();
    let out = ftpspec(&["run", "--target", &format!("ftp://{addr}"), "rfc2428.epsv"]);
    let _ = server.kill();
    let _ = server.wait();
    drop(reader);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("reply-229"));
}

/// Ctrl-C during a run: prompt exit 130, reports written, unfinished scenarios marked not run.
#[test]
fn sigint_stops_the_run_and_reports_what_finished() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = scratch("cli", "sigint");
    let json = dir.join("out.json");
    let scenario = dir.join("slow.ftpspec");
    std::fs::write(
        &scenario,
        "scenario slow.one \"t\"\n  spec RFC959 §4.2 MUST\n  requirement \"r\"\n  send NOOP\n  expect 200\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ftpspec"))
        .args([
            "run",
            "--timeout",
            "60",
            "--color",
            "never",
            "--json",
            json.to_str().unwrap(),
        ])
        .arg("--target")
        .arg(format!("ftp://{addr}"))
        .arg(&scenario)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // First connection: the reachability probe. Second: the scenario, which we leave unanswered.
    let (mut probe, _) = listener.accept().unwrap();
    probe.write_all(b"220 hi\r\n").unwrap();
    let (mut held, _) = listener.accept().unwrap();
    held.write_all(b"220 hi\r\n").unwrap();
    let mut buf = [0u8; 64];
    let _ = held.read(&mut buf); // the NOOP arrived: the scenario is running
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let one = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "slow.one")
        .unwrap()
        .clone();
    assert_eq!(one["verdict"], "ERROR");
    assert!(one["reason"].as_str().unwrap().contains("interrupted"));
}

/// A distinctive password never reaches console output, JSON, JUnit or transcripts.
#[test]
fn password_never_appears_in_any_output() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let secret = "Pw-7f3c9e-never-print";
    let handle = rt.block_on(async {
        let config = ftpspec::server::Config {
            account: Some(("alice".into(), secret.into())),
            ..Default::default()
        };
        ftpspec::server::start(&[([127, 0, 0, 1], 0).into()], config)
            .await
            .unwrap()
    });
    let addr = handle.local_addrs()[0];
    let dir = scratch("cli", "password");
    let json = dir.join("r.json");
    let junit = dir.join("r.xml");
    let out = ftpspec(&[
        "run",
        "-v",
        "--target",
        &format!("ftp://alice:{secret}@{addr}"),
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "rfc2428.epsv",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    for (what, bytes) in [
        ("stdout", out.stdout.clone()),
        ("stderr", out.stderr.clone()),
        ("json", std::fs::read(&json).unwrap()),
        ("junit", std::fs::read(&junit).unwrap()),
    ] {
        assert!(
            !text(&bytes).contains(secret),
            "the password leaked into {what}"
        );
    }
    assert!(
        text(&out.stdout).contains("PASS ****"),
        "the verbose transcript shows the redacted PASS"
    );
    drop(handle);
}

/// Bad scenario input: each a one-line `file:line:column` (or file) error and exit 2, nothing run.
#[test]
fn bad_scenario_inputs_are_exit_2_with_a_location() {
    let dir = scratch("cli", "bad-inputs");
    let ok = "scenario a.one \"t\"\n  spec RFC959 §4 MUST\n  requirement \"r\"\n  send NOOP\n  expect 200\n";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("escape.ftpspec", b"scenario a.b \"t\"\n  spec RFC959 S4 MUST\n  requirement \"r\"\n  send NOOP\\q\n".to_vec(), "escape.ftpspec:4:"),
        ("quote.ftpspec", b"scenario a.b \"t\n".to_vec(), "quote.ftpspec:1:"),
        ("noid.ftpspec", b"scenario \"t\"\n".to_vec(), "noid.ftpspec:1:"),
        ("var.ftpspec", b"scenario a.b \"t\"\n  spec RFC959 S4 MUST\n  requirement \"r\"\n  send PORT ${nope}\n".to_vec(), "var.ftpspec:4:"),
        ("order.ftpspec", b"scenario a.b \"t\"\n  spec RFC959 S4 MUST\n  requirement \"r\"\n  expect 200\n".to_vec(), "order.ftpspec:4:"),
        ("garbage.ftpspec", vec![0xff, 0xfe, 0x00, 0x80, b'\n'], "garbage.ftpspec:1"),
        ("empty.ftpspec", Vec::new(), "empty.ftpspec"),
    ];
    for (name, bytes, needle) in cases {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        let out = ftpspec(&["run", file.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{name}: one line: {stderr}"
        );
        assert!(stderr.contains(needle), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: nothing ran");
    }
    // The same ID in two files names both places.
    let twins = scratch("cli", "twins");
    std::fs::write(twins.join("a.ftpspec"), ok).unwrap();
    std::fs::write(twins.join("b.ftpspec"), ok).unwrap();
    let out = ftpspec(&["run", twins.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a.ftpspec") && stderr.contains("b.ftpspec"),
        "{stderr}"
    );
    // A directory without scenario files.
    let none = scratch("cli", "no-scenarios");
    std::fs::write(none.join("notes.txt"), "nothing here").unwrap();
    let out = ftpspec(&["run", none.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// Many scenarios at once against the reference server: no harness errors.
#[test]
fn jobs_64_against_the_reference_server_has_no_errors() {
    let out = ftpspec(&["run", "--jobs", "64", "--burst", "20", "--color", "never"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("ERROR"), "{stdout}");
}

/// Without the right to bind below 1024 (not root, no CAP_NET_BIND_SERVICE) the privileged-port
/// scenarios are SKIP with the reason, never a silent PASS. As root the test drops to `nobody`
/// with setpriv; where ports below 1024 are open to everyone, or setpriv is missing, it cannot
/// show anything and says so.
#[test]
fn privileged_port_scenarios_skip_where_ports_below_1024_cannot_be_bound() {
    let start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    if start.is_none_or(|p| p < 1024) {
        eprintln!("ports below 1024 are open to every user here; nothing to show");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_ftpspec");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0");
    let mut cmd = match root {
        false => Command::new(bin),
        true => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
            c
        }
    };
    let out = match cmd
        .args(["run", "--color", "never", "rfc2577.privileged-port.eprt"])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("cannot drop privileges here ({e}); nothing to show");
            return;
        }
    };
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("SKIP    eprt")
            && stdout
                .contains("cannot listen on a port below 1024 on 127.0.0.1 (permission denied"),
        "{stdout}"
    );
}

#[test]
fn report_diff_exits_1_on_a_planted_regression_and_0_otherwise() {
    let dir = scratch("cli", "diff");
    let clean = dir.join("clean.json");
    let faulted = dir.join("faulted.json");
    let markdown = dir.join("summary.md");
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let run = |json: &str, fault: &[&str]| {
        let mut args = vec!["run", "--color", "never", "rfc2428.eprt", "--json", json];
        args.extend_from_slice(fault);
        ftpspec(&args)
    };
    assert_eq!(run(&path(&clean), &[]).status.code(), Some(0));
    let fault = ["--fault", "eprt-any-delimiter"];
    assert_eq!(run(&path(&faulted), &fault).status.code(), Some(1));

    let same = ftpspec(&["report", "--diff", &path(&clean), &path(&clean)]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));
    assert!(text(&same.stdout).contains("0 regressions"));

    let worse = ftpspec(&[
        "report",
        "--diff",
        &path(&clean),
        &path(&faulted),
        "--markdown",
        &path(&markdown),
    ]);
    let stdout = text(&worse.stdout);
    assert_eq!(worse.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("regression    PASS     → FAIL     rfc2428.eprt.delimiter-del"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        md.contains("| **regression** | `rfc2428.eprt.delimiter-del` | PASS | FAIL |"),
        "{md}"
    );

    // The other way round, the fault's scenarios are fixed: no regression.
    let better = ftpspec(&["report", "--diff", &path(&faulted), &path(&clean)]);
    assert_eq!(better.status.code(), Some(0));
    assert!(text(&better.stdout).contains("fixed"));

    // Not a report: exit 2, one line naming the file.
    let bogus = dir.join("bogus.json");
    std::fs::write(&bogus, b"{}").unwrap();
    let bad = ftpspec(&["report", "--diff", &path(&bogus), &path(&clean)]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = text(&bad.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bogus.json"), "{stderr}");
}
