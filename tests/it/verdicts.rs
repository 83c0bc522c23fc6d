//! Verdicts that blame only what a requirement covers: setup steps are BLOCKED, not FAIL; the
//! transfer command is setup while the data connection is checked; one defect is one cause;
//! and a failure on EPSV after it worked earlier in the run says so.

use crate::support::{all_scenarios, config_for, run_suite, start_server};
use ftpspec::runner::{self, Outcome, RunConfig, TransferChoice, Verdict};
use ftpspec::server::{Fault, FaultSet};
use ftpspec::suite::{Scenario, parse_str};
use std::path::Path;
use std::sync::Arc;

fn scenario(id: &str, headers: &str, body: &str) -> Scenario {
    let src = format!(
        "scenario test.{id} \"A verdict test\"\n  spec RFC959 §4.2 MUST\n  requirement \"r\"\n{headers}{body}"
    );
    match parse_str(&src, Path::new("verdicts.ftpspec")) {
        Ok(mut all) => all.remove(0),
        Err(e) => panic!("{e}\n{src}"),
    }
}

fn faults(f: &[Fault]) -> FaultSet {
    f.iter().copied().collect()
}

/// Runs one scenario against the reference server with `faults`, with `tune` applied to the
/// configuration first.
async fn run_with(faults: FaultSet, body: &str, tune: impl FnOnce(&mut RunConfig)) -> Outcome {
    let server = start_server(faults).await;
    let mut config = config_for(&server);
    tune(&mut config);
    let outcome = runner::run_one(&scenario("one", "", body), &config).await;
    server.shutdown().await;
    outcome
}

#[tokio::test]
async fn a_failed_setup_step_is_blocked_and_names_the_scenario_that_tests_it() {
    let body = "login\nsetup\n  send EPSV\n  expect 229 as epsv\nend\nabort\nexpect 225 226\n";
    let o = run_with(faults(&[Fault::EpsvReject]), body, |c| {
        c.coverage = runner::coverage(&all_scenarios());
    })
    .await;
    assert_eq!(o.verdict, Verdict::Blocked, "{:?}", o.reason);
    let reason = o.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("could not exercise the requirement: EPSV was refused (500 "),
        "{reason}"
    );
    assert!(
        reason.ends_with("; rfc2428.epsv.port-listens tests EPSV on its own"),
        "{reason}"
    );
    assert_eq!(o.covered_by.as_deref(), Some("rfc2428.epsv.port-listens"));
    let f = o.failure.expect("a BLOCKED outcome says where");
    assert_eq!((f.at.line, f.command.as_deref()), (7, Some("EPSV")));
    // The same step outside `setup` is a FAIL of the requirement.
    let o = run_with(
        faults(&[Fault::EpsvReject]),
        "login\nsend EPSV\nexpect 229\n",
        |_| {},
    )
    .await;
    assert_eq!(o.verdict, Verdict::Fail);
}

#[tokio::test]
async fn covers_point_to_the_longest_matching_command() {
    let coverage = runner::coverage(&all_scenarios());
    assert_eq!(
        runner::covering(&coverage, "EPSV ALL"),
        Some(("EPSV ALL", "rfc2428.epsv-all.accepted"))
    );
    assert_eq!(
        runner::covering(&coverage, "epsv 2"),
        Some(("EPSV", "rfc2428.epsv.port-listens"))
    );
    assert_eq!(runner::covering(&coverage, "EPSVX"), None);
    assert_eq!(
        runner::covering(&coverage, "TYPE I"),
        Some(("TYPE", "rfc1123.type.image"))
    );
}

#[tokio::test]
async fn a_refused_transfer_command_is_blocked_a_failed_data_connection_fails() {
    let passive =
        "login\nsend EPSV\nexpect 229 as epsv\nconnect data to ${epsv.port}\ntransfer data\n";
    let missing = |c: &mut RunConfig| {
        c.transfer = Some(TransferChoice::Command("RETR no-such-file".into()));
    };
    let o = run_with(FaultSet::default(), passive, missing).await;
    assert_eq!(o.verdict, Verdict::Blocked, "{:?}", o.reason);
    let reason = o.reason.unwrap_or_default();
    assert!(reason.contains("RETR was refused (550 "), "{reason}");
    // No data setup at all: the server's 425 is about the data connection, so it fails.
    let none = "login\nlisten data\ntransfer data\n";
    let o = run_with(FaultSet::default(), none, |_| {}).await;
    assert_eq!(o.verdict, Verdict::Fail, "{:?}", o.reason);
    assert!(o.failure.unwrap().actual.starts_with("425 "));
    // `or 425` accepts the prompt refusal, and `if reply` sees it.
    let o = run_with(
        FaultSet::default(),
        "login\nlisten data\ntransfer data or 425\nif reply 425\n  note refused\nend\n",
        |_| {},
    )
    .await;
    assert_eq!(
        (o.verdict, o.notes.as_slice()),
        (Verdict::Pass, ["refused".to_string()].as_slice())
    );
    // And the transfer goes through, actively and passively, with the source checked.
    let active = "login\nlisten data\nsend EPRT |${client.netprt}|${client.ip}|${data.port}|\n\
                  expect 200\ntransfer data from ${target.ip}\nnote from ${data.from.ip}\n";
    let o = run_with(FaultSet::default(), active, |_| {}).await;
    assert_eq!(o.verdict, Verdict::Pass, "{:?}", o.failure);
    assert_eq!(o.notes, ["from 127.0.0.1"]);
    let o = run_with(FaultSet::default(), passive, |_| {}).await;
    assert_eq!(o.verdict, Verdict::Pass, "{:?}", o.failure);
}

#[tokio::test]
async fn no_transfer_command_at_all_blocks_every_step_that_needs_one() {
    let o = run_with(
        FaultSet::default(),
        "login\nlisten data\nsend ${transfer}\nexpect 1xx 5xx\n",
        |c| c.transfer = Some(TransferChoice::Unavailable("NLST → 500; LIST → 500".into())),
    )
    .await;
    assert_eq!(o.verdict, Verdict::Blocked);
    assert!(
        o.reason
            .unwrap()
            .contains("no transfer command works on this target: NLST → 500")
    );
}

#[tokio::test]
async fn a_522_without_the_list_is_one_cause_in_seven_scenarios() {
    let report = run_suite(faults(&[Fault::NoList522])).await;
    assert_eq!(report.causes.len(), 1, "{:#?}", report.causes);
    let cause = &report.causes[0];
    assert_eq!(
        cause.scenarios,
        [
            "rfc2428.abor.unsupported-protocol-flow",
            "rfc2428.eprt.unsupported-netprt-0",
            "rfc2428.eprt.unsupported-netprt-3",
            "rfc2428.eprt.unsupported-netprt-99",
            "rfc2428.epsv.unsupported-netprt-0",
            "rfc2428.epsv.unsupported-netprt-3",
            "rfc2428.epsv.unsupported-netprt-99",
        ]
    );
    assert_eq!(cause.first, "rfc2428.abor.unsupported-protocol-flow");
    assert!(
        cause
            .summary
            .starts_with("a 522 reply without the protocol list"),
        "{}",
        cause.summary
    );
    for o in report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
    {
        assert_eq!(o.cause.as_deref(), Some(cause.id.as_str()), "{}", o.id);
    }
}

#[tokio::test]
async fn a_failed_epsv_after_earlier_successes_says_so() {
    // One at a time, in order: the first scenario's EPSV works (the dead-port fault still
    // answers 229), the second fails on the port it named.
    let server = start_server(faults(&[Fault::EpsvDeadPort])).await;
    let mut config = config_for(&server);
    config.jobs = 1;
    let first = scenario("a-first", "", "login\nsend EPSV\nexpect 229 as epsv\n");
    let second = scenario(
        "b-second",
        "",
        "login\nsend EPSV\nexpect 229 as epsv\nconnect data to ${epsv.port}\n",
    );
    let report = runner::run(vec![first, second], Arc::new(config), None, |_| {}).await;
    server.shutdown().await;
    let failed = &report.outcomes[1];
    assert_eq!(failed.verdict, Verdict::Fail);
    assert!(
        failed.notes.contains(
            &"EPSV worked in 1 earlier scenario of this run; the server may be out of passive ports"
                .to_string()
        ),
        "{:?}",
        failed.notes
    );
    assert!(report.outcomes[0].notes.is_empty());
}

#[tokio::test]
async fn the_preflight_finds_a_transfer_the_target_serves() {
    let server = start_server(faults(&[Fault::NlstRequiresArgument])).await;
    let preflight = runner::preflight::run(&config_for(&server)).await;
    server.shutdown().await;
    assert_eq!(
        preflight.summary(),
        "data connections by EPSV; NLST refused (500 Syntax error: NLST requires an argument), \
         LIST works, RETR hello.txt works → scenarios transfer with LIST"
    );
    assert_eq!(preflight.choice, TransferChoice::Command("LIST".into()));
    // Without EPSV it opens data connections another way.
    let server = start_server(faults(&[Fault::EpsvReject])).await;
    let preflight = runner::preflight::run(&config_for(&server)).await;
    server.shutdown().await;
    assert_eq!(preflight.data_setup.as_deref(), Some("PASV"));
    assert_eq!(preflight.choice, TransferChoice::Command("NLST".into()));
}

#[tokio::test]
async fn with_no_transfer_command_the_scenarios_that_need_one_are_blocked() {
    let server = start_server(faults(&[
        Fault::NlstRequiresArgument,
        Fault::ListRequiresArgument,
    ]))
    .await;
    let mut config = config_for(&server);
    config.files.small = "no-such-file".into();
    let chosen: Vec<Scenario> = all_scenarios()
        .into_iter()
        .filter(|s| s.id == "rfc959.port.accepted" || s.id == "rfc959.port.too-few-numbers")
        .collect();
    let report = runner::run(chosen, Arc::new(config), None, |_| {}).await;
    server.shutdown().await;
    let preflight = report.preflight.expect("a preflight ran");
    assert!(matches!(preflight.choice, TransferChoice::Unavailable(_)));
    assert!(
        preflight
            .summary()
            .ends_with("no transfer command works: scenarios that need one are BLOCKED")
    );
    let accepted = &report.outcomes[0];
    assert_eq!(accepted.verdict, Verdict::Blocked);
    let reason = accepted.reason.as_deref().unwrap_or_default();
    assert!(reason.contains("RETR no-such-file → 550"), "{reason}");
    assert_eq!(
        report.outcomes[1].verdict,
        Verdict::Pass,
        "a scenario without a transfer runs"
    );
}

#[tokio::test]
async fn a_pinned_bare_nlst_blocks_the_transfer_scenarios_and_only_nlst_bare_fails() {
    let server = start_server(faults(&[Fault::NlstRequiresArgument])).await;
    let mut config = config_for(&server);
    config.transfer = Some(TransferChoice::Command("NLST".into()));
    let report = runner::run(all_scenarios(), Arc::new(config), None, |_| {}).await;
    server.shutdown().await;
    assert!(report.preflight.is_none(), "--transfer skips the preflight");
    let failed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| {
            matches!(
                o.verdict,
                Verdict::Fail | Verdict::Warn | Verdict::Info | Verdict::Error
            )
        })
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(failed, ["rfc959.transfer.nlst-bare"]);
    let blocked: Vec<&Outcome> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Blocked)
        .collect();
    assert!(blocked.len() >= 10, "{}", blocked.len());
    for o in &blocked {
        assert_eq!(
            o.covered_by.as_deref(),
            Some("rfc959.transfer.nlst-bare"),
            "{}",
            o.id
        );
    }
    // One cause: the scenario that tests NLST shows it first, the blocked ones share it.
    let cause = report
        .cause(
            report
                .outcomes
                .iter()
                .find(|o| o.id == "rfc959.transfer.nlst-bare")
                .and_then(|o| o.cause.as_deref())
                .unwrap(),
        )
        .unwrap();
    assert_eq!(cause.first, "rfc959.transfer.nlst-bare");
    assert_eq!(cause.scenarios.len(), blocked.len() + 1);
    assert_eq!(
        cause.summary,
        "NLST is answered \"500 Syntax error: NLST requires an argument\""
    );
}
