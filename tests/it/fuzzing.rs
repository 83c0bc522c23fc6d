//! `ftpspec fuzz` as users and CI see it: short seeded campaigns against the built-in server
//! find a planted fault and write findings that `ftpspec run` replays to FAIL; the clean server
//! gets none; a second run resumes from the saved corpus; Ctrl-C ends cleanly with 130; a
//! target that dies is a crash finding and stops the campaign; one that stops serving sessions
//! is an `unavailable` finding, not thousands of inconclusive dialogues; a focused campaign (`--only`, `--max-ops`)
//! sends only its verbs; a slow reply missed by a measured wait is not reported.

use crate::support::{ftpspec, scratch, text};
use ftpspec::fuzz::campaign::{self, Budget, CampaignConfig, StopSignal};
use ftpspec::fuzz::{ExecConfig, Oracle};
use ftpspec::report::fuzz_progress::Progress;
use ftpspec::runner::Target;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn findings(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("findings"))
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".ftpspec"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A short seeded campaign against the built-in server with `fault`.
fn campaign(fault: Option<&str>, out: &Path, runs: &str) -> Output {
    campaign_with(fault, out, runs, &[])
}

/// [`campaign`] with more flags (`--only pasv`).
fn campaign_with(fault: Option<&str>, out: &Path, runs: &str, more: &[&str]) -> Output {
    let out = out.to_string_lossy().into_owned();
    let mut args = vec![
        "fuzz",
        "--runs",
        runs,
        "--seed",
        "1",
        "--timeout",
        "1",
        "--out",
        &out,
    ];
    if let Some(f) = fault {
        args.extend(["--fault", f]);
    }
    args.extend(more);
    ftpspec(&args)
}

/// Finds `fault` with the expected oracle, minimised to at most one operation more than the
/// defect `needs`; the findings replay to FAIL against the same fault (with `--strict`, so that
/// a finding at a SHOULD, which is a WARN, fails too).
fn finds_and_replays(fault: &str, oracle: &str, needs: usize) -> String {
    finds_and_replays_in(fault, oracle, needs, 150)
}

/// [`finds_and_replays`] with `runs` dialogues.
fn finds_and_replays_in(fault: &str, oracle: &str, needs: usize, runs: u32) -> String {
    let dir = scratch("fuzz", fault);
    let junit = dir.join("junit.xml");
    let out = {
        let o = dir.to_string_lossy().into_owned();
        let j = junit.to_string_lossy().into_owned();
        ftpspec(&[
            "fuzz",
            "--runs",
            &runs.to_string(),
            "--seed",
            "1",
            "--timeout",
            "1",
            "--out",
            &o,
            "--fault",
            fault,
            "--junit",
            &j,
        ])
    };
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let names = findings(&dir);
    assert!(
        names.iter().any(|n| n.starts_with(&format!("{oracle}-"))),
        "{fault}: expected a {oracle} finding, got {names:?}\n{stdout}"
    );
    assert!(stdout.contains("replays to a failure"), "{stdout}");
    // "(N operations, found after …": every finding of this fault is minimised to the defect.
    for line in stdout.lines().filter(|l| l.contains(" operation")) {
        let ops: usize = line
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(" operation"))
            .and_then(|(n, _)| n.trim().parse().ok())
            .unwrap_or(usize::MAX);
        assert!(ops <= needs + 1, "{fault}: {line}\n{stdout}");
    }
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<failure"), "{xml}");

    let findings_dir = dir.join("findings").to_string_lossy().into_owned();
    let replay = ftpspec(&[
        "run",
        "--color",
        "never",
        "--strict",
        "--fault",
        fault,
        &findings_dir,
    ]);
    let replayed = text(&replay.stdout);
    assert_eq!(replay.status.code(), Some(1), "{replayed}");
    assert!(replayed.contains("FAIL  "), "{replayed}");
    // Each finding file is a minimised scenario with its provenance in a comment.
    let first = std::fs::read_to_string(dir.join("findings").join(&names[0])).unwrap();
    assert!(
        first.contains("# Found by ftpspec fuzz. Oracle:"),
        "{first}"
    );
    assert!(first.contains("Seed: 1"), "{first}");
    assert!(first.contains("# Found after "), "{first}");
    assert!(
        stdout.contains(", found after "),
        "the summary says when: {stdout}"
    );
    assert!(first.contains("Original dialogue"), "{first}");
    // One defect, one file: later sightings are counted in it, not written as new files.
    if stdout.contains(" more dialogue") {
        assert!(first.contains("# Variants: "), "{first}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    stdout
}

#[test]
fn finds_eprt_any_delimiter() {
    // Enough dialogues for a bad delimiter to come up more than once.
    let stdout = finds_and_replays_in("eprt-any-delimiter", "malformed-accepted", 1, 400);
    // Every bad delimiter is the same defect: one file, the others counted in it.
    assert_eq!(stdout.matches("FINDING").count(), 1, "{stdout}");
    assert!(stdout.contains(" more dialogues"), "{stdout}");
}

#[test]
fn finds_epsv_malformed_229() {
    finds_and_replays("epsv-malformed-229", "malformed-reply", 1);
}

#[test]
fn finds_close_after_error() {
    // The 5xx was the reply; the close after it, with no 421, is the deviation (a SHOULD).
    let stdout = finds_and_replays("close-after-error", "closed-without-421", 2);
    // The close comes after the reply, whatever line is sent next: a next line with odd
    // bytes did not kill the session (vsftpd's `500 OOPS` pair and close looked like that).
    assert!(!stdout.contains("FINDING     silence"), "{stdout}");
}

/// Conforming quirks of real servers are never findings, and a server that closes after
/// answering an over-long line is no silence: lines that end only at CRLF (a bare LF is part of
/// the line, RFC 959 §4.1.3), a failed login answered only after 1.5 s (RFC 959 §4.1.1 sets no
/// time), and vsftpd's `500 Input line too long.` followed by a close (a missing 421, found as
/// such, not as a command left unanswered).
#[test]
fn quirks_of_real_servers_are_not_silence() {
    for (fault, focus, timeout, runs) in [
        // One dialogue at a time (a seeded campaign is then repeatable) and timeouts with
        // room: this runs beside the fault matrix, which loads both CPUs.
        ("crlf-only-lines", None, "3", "150"),
        ("slow-failed-login", Some("user,pass"), "3", "20"),
        ("long-line-500-close", None, "3", "150"),
    ] {
        let dir = scratch("fuzz", fault);
        let o = dir.to_string_lossy().into_owned();
        let mut args = vec![
            "fuzz",
            "--runs",
            runs,
            "--seed",
            "5",
            "--jobs",
            "1",
            "--timeout",
            timeout,
            "--out",
            &o,
            "--fault",
            fault,
        ];
        if let Some(verbs) = focus {
            args.extend(["--only", verbs, "--max-ops", "4"]);
        }
        let out = ftpspec(&args);
        let stdout = text(&out.stdout);
        let silent: Vec<String> = findings(&dir)
            .into_iter()
            .filter(|n| n.starts_with("silence-") || n.starts_with("hang-"))
            .collect();
        let first = silent.first().map(|name| {
            std::fs::read_to_string(dir.join("findings").join(name)).unwrap_or_default()
        });
        assert!(
            silent.is_empty(),
            "{fault}: {silent:?}\n{stdout}\n{}",
            first.unwrap_or_default()
        );
        if fault != "long-line-500-close" {
            assert_eq!(out.status.code(), Some(0), "{fault}: {stdout}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A lesson that costs seconds — the target delays refused logins — is kept in the folder
/// (`learnt.json`, under the target's greeting) and a resumed campaign starts from it.
#[test]
fn what_a_campaign_learnt_about_its_target_is_kept_for_the_next() {
    let dir = scratch("fuzz", "learnt");
    let focus = ["--only", "user,pass", "--max-ops", "4"];
    let run = |runs: &str| campaign_with(Some("slow-failed-login"), &dir, runs, &focus);
    let first = run("20");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let learnt = read("learnt.json");
    assert_eq!(learnt["latency"]["delays_logins"], true, "{learnt}");
    assert!(learnt["latency"]["srtt_us"].as_u64() > Some(0), "{learnt}");
    assert!(learnt["greeting"].as_str().is_some_and(|g| !g.is_empty()));
    assert_eq!(read("stats.json")["learnt_loaded"], false);

    let second = run("3");
    let stderr = text(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("learnt about this server: it delays its replies to refused logins"),
        "{stderr}"
    );
    assert_eq!(read("stats.json")["learnt_loaded"], true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clean_server_has_no_findings_and_a_second_run_resumes() {
    let dir = scratch("fuzz", "clean");
    let out = campaign(None, &dir, "150");
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("no findings"), "{stdout}");
    assert!(findings(&dir).is_empty());
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    // A missed reply on a loaded machine is run again with the full timeout before it could be a
    // finding; against the clean server each such rerun is unconfirmed and counts as an exec.
    let (execs, reruns) = (stats["execs"].as_u64(), stats["unconfirmed"].as_u64());
    assert_eq!(execs.zip(reruns).map(|(e, r)| e - r), Some(150), "{stats}");
    assert_eq!(stats["findings"], 0);
    assert_eq!(stats["state"], "done");
    assert!(stats["states"].as_u64().unwrap() > 10, "{stats}");
    let saved = std::fs::read_dir(dir.join("corpus")).unwrap().count();
    assert!(saved > 0);

    let again = campaign(None, &dir, "20");
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stderr.contains(&format!("{saved} inputs loaded")),
        "resume reports the corpus loaded ({saved}):\n{stderr}"
    );
    let stdout = text(&again.stdout);
    assert!(
        stdout.contains(&format!("({saved} loaded from")),
        "{stdout}"
    );
    // The states count goes on from where the first campaign left it.
    let states = stats["states"].as_u64().unwrap();
    let read_stats = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap()
    };
    let resumed = read_stats();
    assert_eq!(resumed["states_loaded"].as_u64(), Some(states), "{resumed}");
    assert!(resumed["states"].as_u64().unwrap() >= states, "{resumed}");
    assert_eq!(resumed["previous_unclean"], false);

    // As after kill -9: stats.json still says running, and the folder holds a finding.
    std::fs::write(dir.join("stats.json"), r#"{"state": "running"}"#).unwrap();
    std::fs::write(
        dir.join("findings").join("silence-0badf00d.ftpspec"),
        "# What happened: no reply to \"STAT\" (an earlier night)\n",
    )
    .unwrap();
    let third = campaign(None, &dir, "10");
    let (stdout, stderr) = (text(&third.stdout), text(&third.stderr));
    assert!(stderr.contains("did not end cleanly"), "{stderr}");
    assert!(stdout.contains("EARLIER"), "{stdout}");
    assert!(stdout.contains("an earlier night"), "{stdout}");
    assert_eq!(read_stats()["previous_unclean"], true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_and_connection_errors_are_exit_2() {
    let out = ftpspec(&["fuzz", "--target", "ftp://127.0.0.1:1", "--runs", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot reach"));
    let out = ftpspec(&[
        "fuzz",
        "--target",
        "ftp://127.0.0.1:1",
        "--fault",
        "close-after-error",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = ftpspec(&["fuzz", "--runs", "5", "--duration", "1m"]);
    assert_eq!(out.status.code(), Some(2), "--runs and --duration conflict");
    let out = ftpspec(&["fuzz", "--duration", "8x"]);
    assert_eq!(out.status.code(), Some(2));
    for bad in [
        ["--max-ops", "0"],
        ["--max-ops", "25"],
        ["--only", "eprt,bogus"],
    ] {
        let out = ftpspec(&["fuzz", "--runs", "1", bad[0], bad[1]]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let out = ftpspec(&["fuzz", "--runs", "1", "--watch-pid", "4294967295"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--watch-pid 4294967295"));
    let help = text(&ftpspec(&["fuzz", "--help"]).stdout);
    assert!(help.contains("ftpspec waits with backoff"), "{help}");
    assert!(
        help.contains("stopped serving and did not come back"),
        "{help}"
    );
    assert!(help.contains("130"), "{help}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_ends_with_130_and_keeps_the_stats() {
    let dir = scratch("fuzz", "sigint");
    let out_dir = dir.to_string_lossy().into_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ftpspec"))
        .args([
            "fuzz",
            "--duration",
            "10m",
            "--timeout",
            "1",
            "--out",
            &out_dir,
        ])
        .env_remove("FTPSPEC_TARGET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The first stderr line comes after the Ctrl-C handler is installed.
    let stderr = child.stderr.take().expect("stderr");
    let mut first = String::new();
    BufReader::new(stderr)
        .read_line(&mut first)
        .expect("a line");
    assert!(first.contains("inputs loaded"), "{first}");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("exits");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("interrupted"));
    let stats = std::fs::read_to_string(dir.join("stats.json")).expect("stats written");
    assert!(stats.contains("\"interrupted\""), "{stats}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A target that serves `n` connections, then stops listening: the campaign reports a crash
/// with the dialogue before, waits (briefly here), and stops with the target lost.
#[tokio::test]
async fn a_dying_target_is_a_crash_finding_and_stops_the_campaign() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // Two connections, the campaign's sentinel probe and its first dialogue; then it is
        // gone.
        for _ in 0..2 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = tokio::io::BufReader::new(r).lines();
                let _ = w.write_all(b"220 dying\r\n").await;
                for _ in 0..10_000 {
                    match lines.next_line().await {
                        Ok(Some(_)) => {
                            let _ = w.write_all(b"500 No\r\n").await;
                        }
                        _ => return,
                    }
                }
            });
        }
    });
    let dir = scratch("fuzz", "dying");
    let target = Target::anonymous(vec![addr], "dying");
    let exec = ExecConfig::new(target, addr, Duration::from_millis(500));
    let config = CampaignConfig {
        jobs: 1,
        seed: 7,
        max_corpus: 100,
        revive: Duration::from_secs(1),
        ..CampaignConfig::new(exec, dir.clone(), Budget::Runs(50))
    };
    let report = campaign::run(config, "dying", StopSignal::default(), Progress::new())
        .await
        .expect("campaign runs");
    assert!(report.target_lost, "{report:?}");
    assert!(!report.interrupted);
    assert!(
        report.findings.iter().any(|f| f.oracle == Oracle::Crash),
        "{report:?}"
    );
    assert_eq!(findings(&dir).len(), report.findings.len());
    assert_eq!(report.stats.state, ftpspec::fuzz::CampaignState::TargetLost);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A target that stops serving — every session after the 50th greeted `421 10 users (the
/// maximum)`, as a server whose session slots leak — is noticed: one `unavailable` finding with
/// the last dialogue that reached it, `stats.json` says why, the campaign stops after its revive
/// bound with the target lost, and no dialogue that got a 421 counts as an exec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_stops_serving_is_unavailable_not_inconclusive() {
    use ftpspec::server::{self, Config, Fault};
    let faults = [Fault::StopsServingAfter50].into_iter().collect();
    let config = Config {
        faults,
        ..Config::default()
    };
    let server = server::start(&[([127, 0, 0, 1], 0).into()], config)
        .await
        .expect("bind");
    let addr = server.local_addrs()[0];
    let dir = scratch("fuzz", "stops-serving");
    let target = Target::anonymous(vec![addr], "stops serving");
    let exec = ExecConfig::new(target, addr, Duration::from_millis(500));
    let config = CampaignConfig {
        jobs: 2,
        seed: 3,
        max_corpus: 100,
        revive: Duration::from_secs(1),
        ..CampaignConfig::new(exec, dir.clone(), Budget::Runs(5_000))
    };
    let report = campaign::run(
        config,
        "stops serving",
        StopSignal::default(),
        Progress::new(),
    )
    .await
    .expect("campaign runs");
    server.shutdown().await;
    assert!(report.target_lost, "{report:?}");
    assert_eq!(report.stats.state, ftpspec::fuzz::CampaignState::TargetLost);
    let why = report.stats.unavailable.clone().unwrap_or_default();
    assert!(why.contains("421 10 users (the maximum)"), "{why}");
    assert!(report.stats.execs <= 50, "{:?}", report.stats);
    assert!(report.stats.unserved >= 8, "{:?}", report.stats);
    let unavailable: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.oracle == Oracle::Unavailable)
        .collect();
    assert_eq!(unavailable.len(), 1, "{:?}", report.findings);
    assert!(
        unavailable[0].detail.contains("serves no session"),
        "{}",
        unavailable[0].detail
    );
    let stats = std::fs::read_to_string(dir.join("stats.json")).expect("stats.json");
    assert!(stats.contains("\"target-lost\""), "{stats}");
    assert!(stats.contains("421 10 users"), "{stats}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression, from the in-process `server` fuzz target (crash-a0ff1695): an EPRT line ending
/// with a lone 0xff before CRLF. The control connection is a Telnet stream (RFC 854): the server
/// drops the lone IAC and sees a valid EPRT, so its 200 is right and no oracle may fire.
#[tokio::test(start_paused = true)]
async fn regression_lone_iac_before_crlf_is_not_a_malformed_eprt() {
    let data = include_bytes!("../../fuzz/corpus/server/regression-lone-iac-before-crlf");
    let dialogue = ftpspec::fuzz::Dialogue::decode(data);
    let trace =
        ftpspec::fuzz::exec::inproc::run(&dialogue, ftpspec::server::FaultSet::default()).await;
    let verdict = ftpspec::fuzz::judge(&trace);
    assert!(verdict.is_none(), "{:?}", verdict.map(|v| v.detail));
}

/// A session that dies after answering (`pasv-oops-close`: vsftpd 3.0.3 with its passive range
/// exhausted answers PASV and the next line `500 OOPS` and closes 50 ms later) is a close
/// without 421, never "silence" on whatever odd line came next: the same dialogue with that
/// line made a NOOP loses its connection there too. Before, two of four findings were such.
#[test]
fn a_session_that_dies_after_answering_is_a_close_not_silence_on_the_next_line() {
    let dir = scratch("fuzz", "oops");
    let out = campaign_with(Some("pasv-oops-close"), &dir, "100", &["--only", "pasv"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let names = findings(&dir);
    // One defect, one file: however the dying session showed (after the `500 OOPS` pair,
    // with pipelined lines unread, while a transfer owed its final reply).
    let closes = names
        .iter()
        .filter(|n| n.starts_with("closed-without-421-"));
    assert_eq!(closes.count(), 1, "{names:?}\n{stdout}");
    assert!(
        !names.iter().any(|n| n.starts_with("silence-")),
        "{names:?}\n{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_focused_campaign_finds_its_fault_with_only_its_verb() {
    let dir = scratch("fuzz", "focused");
    let o = dir.to_string_lossy().into_owned();
    let args = [
        "fuzz",
        "--runs",
        "3000",
        "--seed",
        "2",
        "--timeout",
        "1",
        "--out",
        &o,
    ];
    let focus = [
        "--only",
        "eprt",
        "--max-ops",
        "1",
        "--fault",
        "eprt-any-delimiter",
    ];
    let out = ftpspec(&[&args[..], &focus[..]].concat());
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let banner = text(&out.stderr);
    assert!(
        banner.contains("only EPRT, at most 1 operations"),
        "{banner}"
    );
    let names = findings(&dir);
    assert!(
        names.iter().any(|n| n.starts_with("malformed-accepted-")),
        "{names:?}"
    );
    // Every written scenario sends USER, PASS and EPRT lines, nothing else.
    for name in &names {
        let scenario = std::fs::read_to_string(dir.join("findings").join(name)).unwrap();
        let sent = scenario
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.trim_start().strip_prefix("send"))
            .map(|rest| rest.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '-'));
        for line in sent {
            let verb = line
                .trim_start()
                .get(..4)
                .unwrap_or("")
                .to_ascii_uppercase();
            assert_eq!(verb, "EPRT", "{name}: {line}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server that answers every line correctly (331, 230, 221, else 502) but every third line
/// of a connection only after 400 ms: slow, never silent. Bounded: 200 connections of 64
/// lines each.
async fn slow_server() -> std::net::SocketAddr {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for _ in 0..200 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = tokio::io::BufReader::new(read);
                write.write_all(b"220 slow\r\n").await.ok()?;
                for n in 1..=64 {
                    let mut line = Vec::new();
                    if lines.read_until(b'\n', &mut line).await.ok()? == 0 {
                        return None;
                    }
                    let verb = line.get(..4).unwrap_or(&line[..]).to_ascii_uppercase();
                    let reply: &[u8] = match &verb[..] {
                        b"USER" => b"331 password\r\n",
                        b"PASS" => b"230 in\r\n",
                        b"QUIT" => b"221 bye\r\n",
                        _ => b"502 not implemented\r\n",
                    };
                    if n % 3 == 0 {
                        tokio::time::sleep(Duration::from_millis(400)).await;
                    }
                    write.write_all(reply).await.ok()?;
                }
                Some(())
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reply_missed_by_a_measured_wait_is_rerun_and_not_reported() {
    let addr = slow_server().await;
    let campaign = |waits: &'static str| {
        let dir = scratch("fuzz", &format!("slow-{waits}"));
        let url = format!("ftp://{addr}");
        tokio::task::spawn_blocking(move || {
            let o = dir.to_string_lossy().into_owned();
            let out = ftpspec(&[
                "fuzz",
                "-t",
                &url,
                "--runs",
                "6",
                "--seed",
                "3",
                "--timeout",
                "2",
                "--only",
                "noop",
                "--max-ops",
                "4",
                "--waits",
                waits,
                "--out",
                &o,
            ]);
            let stats = std::fs::read_to_string(dir.join("stats.json")).unwrap_or_default();
            let _ = std::fs::remove_dir_all(&dir);
            (out, stats)
        })
    };
    let (out, stats) = campaign("measured").await.unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("stats.json");
    assert!(stats["unconfirmed"].as_u64() >= Some(1), "{stats}");
    assert_eq!(stats["findings"], 0, "{stats}");

    let (out, stats) = campaign("full").await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("stats.json");
    assert_eq!(stats["unconfirmed"], 0, "{stats}");
}

/// A campaign watching a process (`--watch-pid`) warns when the process is busier after it
/// than before, and only then. The "server" here is a stand-in whose behaviour is the point:
/// one that starts burning a CPU a moment after the campaign starts (a counting loop, bounded),
/// and one that stays asleep.
#[cfg(target_os = "linux")]
#[test]
fn watching_the_target_process_warns_when_it_is_left_busy() {
    let run = |name: &str, script: &str| {
        let dir = scratch("fuzz", name);
        let mut child = Command::new("sh")
            .args(["-c", script])
            .spawn()
            .expect("spawn the watched process");
        let pid = child.id().to_string();
        let o = dir.to_string_lossy().into_owned();
        let out = ftpspec(&[
            "fuzz",
            "--runs",
            "20",
            "--seed",
            "1",
            "--out",
            &o,
            "--watch-pid",
            &pid,
        ]);
        let _ = child.kill();
        let _ = child.wait();
        let stats = std::fs::read_to_string(dir.join("stats.json")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        (out, stats, pid)
    };
    let (busy, quiet) = std::thread::scope(|s| {
        let busy = s.spawn(|| {
            run(
                "watch-busy",
                "sleep 1.5; i=0; while [ \"$i\" -lt 50000000 ]; do i=$((i+1)); done",
            )
        });
        let quiet = s.spawn(|| run("watch-quiet", "sleep 20"));
        (
            busy.join().expect("busy run"),
            quiet.join().expect("quiet run"),
        )
    });
    let (out, stats, pid) = busy;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning is not a finding: {stdout}"
    );
    assert!(
        stdout.contains(&format!("process {pid} with no session open: before")),
        "{stdout}"
    );
    assert!(
        stdout.contains("WARNING") && stdout.contains("of a CPU with no session open"),
        "{stdout}"
    );
    assert!(stats.contains("\"watch\""), "{stats}");

    let (out, _, _) = quiet;
    let stdout = text(&out.stdout);
    assert!(stdout.contains("with no session open: before"), "{stdout}");
    assert!(!stdout.contains("WARNING"), "{stdout}");
}
