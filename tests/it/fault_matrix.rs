//! The fault matrix: every named fault of the reference server makes exactly the scenarios
//! aimed at it fail (FAIL for MUST, WARN for SHOULD), and every other scenario still passes.
//! And every scenario is aimed at by at least one fault: a check that cannot fail is a defect.

use crate::support::{all_scenarios, run_suite};
use ftpspec::runner::Verdict;
use ftpspec::server::{Fault, FaultSet};
use ftpspec::suite::Level;
use std::collections::BTreeSet;

/// Fault name → ID patterns of the scenarios it must break (`*` at the end matches a prefix).
const MATRIX: &[(&str, &[&str])] = &[
    (
        "eprt-reject",
        &[
            "rfc1123.timewait.active-burst",
            "rfc1123.timewait.active-reused-port",
            "rfc2428.eprt.delimiter-bang",
            "rfc2428.eprt.delimiter-hash",
            "rfc2428.eprt.delimiter-tilde",
            "rfc2428.eprt.ipv4-accepted",
            "rfc2428.eprt.ipv6-accepted",
            "rfc2428.eprt.unsupported-netprt-0",
            "rfc2428.eprt.unsupported-netprt-3",
            "rfc2428.eprt.unsupported-netprt-99",
            "rfc2577.privileged-port.reply-504",
        ],
    ),
    (
        "eprt-any-delimiter",
        &[
            "rfc2428.eprt.delimiter-del",
            "rfc2428.eprt.delimiter-high",
            "rfc2428.eprt.delimiter-nul",
            "rfc2428.eprt.delimiter-space",
            "rfc2428.eprt.delimiter-tab",
        ],
    ),
    (
        "eprt-pipe-only",
        &[
            "rfc2428.eprt.delimiter-bang",
            "rfc2428.eprt.delimiter-hash",
            "rfc2428.eprt.delimiter-tilde",
        ],
    ),
    (
        "eprt-port-unchecked",
        &[
            "rfc2428.eprt.port-0",
            "rfc2428.eprt.port-65536",
            "rfc2428.eprt.port-99999",
            "rfc2428.eprt.port-negative",
            "rfc2428.eprt.port-non-numeric",
            "rfc2428.eprt.port-plus-sign",
        ],
    ),
    (
        "eprt-address-unchecked",
        &[
            "rfc2428.eprt.address-hostname",
            "rfc2428.eprt.address-ipv6-with-netprt-1",
            "rfc2428.eprt.address-octet-256",
            "rfc2428.eprt.address-three-octets",
        ],
    ),
    (
        "eprt-accept-all",
        &[
            "rfc2428.eprt.address-hostname",
            "rfc2428.eprt.address-ipv6-with-netprt-1",
            "rfc2428.eprt.address-octet-256",
            "rfc2428.eprt.address-three-octets",
            "rfc2428.eprt.delimiter-del",
            "rfc2428.eprt.delimiter-high",
            "rfc2428.eprt.delimiter-nul",
            "rfc2428.eprt.delimiter-space",
            "rfc2428.eprt.delimiter-tab",
            "rfc2428.eprt.empty-fields",
            "rfc2428.eprt.extra-field",
            "rfc2428.eprt.mismatched-delimiters",
            "rfc2428.eprt.missing-port",
            "rfc2428.eprt.missing-trailing-delimiter",
            "rfc2428.eprt.netprt-non-numeric",
            "rfc2428.eprt.no-argument",
            "rfc2428.eprt.port-0",
            "rfc2428.eprt.port-65536",
            "rfc2428.eprt.port-99999",
            "rfc2428.eprt.port-negative",
            "rfc2428.eprt.port-non-numeric",
            "rfc2428.eprt.port-plus-sign",
            "rfc2428.eprt.unsupported-netprt-0",
            "rfc2428.eprt.unsupported-netprt-3",
            "rfc2428.eprt.unsupported-netprt-99",
            "rfc2428.ipv6.cross-family-eprt",
        ],
    ),
    (
        "eprt-501-for-522",
        &[
            "rfc2428.abor.unsupported-protocol-flow",
            "rfc2428.eprt.unsupported-netprt-0",
            "rfc2428.eprt.unsupported-netprt-3",
            "rfc2428.eprt.unsupported-netprt-99",
            "rfc2428.epsv.unsupported-netprt-0",
            "rfc2428.epsv.unsupported-netprt-3",
            "rfc2428.epsv.unsupported-netprt-99",
        ],
    ),
    (
        "522-no-list",
        &[
            "rfc2428.abor.unsupported-protocol-flow",
            "rfc2428.eprt.unsupported-netprt-0",
            "rfc2428.eprt.unsupported-netprt-3",
            "rfc2428.eprt.unsupported-netprt-99",
            "rfc2428.epsv.unsupported-netprt-0",
            "rfc2428.epsv.unsupported-netprt-3",
            "rfc2428.epsv.unsupported-netprt-99",
        ],
    ),
    (
        "epsv-reject",
        &[
            "rfc1123.timewait.passive-burst",
            "rfc1123.timewait.passive-fresh-sessions",
            "rfc2428.abor.*",
            "rfc2428.epsv-all.*",
            "rfc2428.epsv.netprt-1",
            "rfc2428.epsv.netprt-2",
            "rfc2428.epsv.port-listens",
            "rfc2428.epsv.reply-229",
            "rfc2428.epsv.transfer",
            "rfc2428.epsv.unsupported-netprt-0",
            "rfc2428.epsv.unsupported-netprt-3",
            "rfc2428.epsv.unsupported-netprt-99",
            "rfc2428.ipv6.epsv-transfer",
            "rfc2577.passive-ports.random",
            "rfc2577.port-theft.passive",
            "rfc959.abor.retr-plain-draining",
            "rfc959.abor.retr-plain-stalled",
            "rfc959.abor.retr-urgent-draining",
            "rfc959.abor.retr-urgent-stalled",
            "rfc959.abor.retry-byte-exact",
            "rfc959.abor.stor-plain-sending",
            "rfc959.abor.stor-plain-stalled",
            "rfc959.abor.stor-urgent-sending",
            "rfc959.abor.stor-urgent-stalled",
        ],
    ),
    (
        "epsv-malformed-229",
        &[
            "rfc1123.timewait.passive-burst",
            "rfc1123.timewait.passive-fresh-sessions",
            "rfc2428.abor.*",
            "rfc2428.epsv-all.epsv-still-works",
            "rfc2428.epsv-all.persists-after-transfer",
            "rfc2428.epsv.netprt-1",
            "rfc2428.epsv.netprt-2",
            "rfc2428.epsv.port-listens",
            "rfc2428.epsv.reply-229",
            "rfc2428.epsv.transfer",
            "rfc2428.ipv6.epsv-transfer",
            "rfc2577.passive-ports.random",
            "rfc2577.port-theft.passive",
            "rfc959.abor.retr-plain-draining",
            "rfc959.abor.retr-plain-stalled",
            "rfc959.abor.retr-urgent-draining",
            "rfc959.abor.retr-urgent-stalled",
            "rfc959.abor.retry-byte-exact",
            "rfc959.abor.stor-plain-sending",
            "rfc959.abor.stor-plain-stalled",
            "rfc959.abor.stor-urgent-sending",
            "rfc959.abor.stor-urgent-stalled",
        ],
    ),
    (
        "epsv-dead-port",
        &[
            "rfc1123.timewait.passive-burst",
            "rfc1123.timewait.passive-fresh-sessions",
            "rfc2428.abor.unsupported-protocol-flow",
            "rfc2428.epsv-all.epsv-still-works",
            "rfc2428.epsv-all.persists-after-transfer",
            "rfc2428.epsv.netprt-1",
            "rfc2428.epsv.netprt-2",
            "rfc2428.epsv.port-listens",
            "rfc2428.epsv.transfer",
            "rfc2428.ipv6.epsv-transfer",
            "rfc2577.port-theft.passive",
            "rfc959.abor.retr-plain-draining",
            "rfc959.abor.retr-plain-stalled",
            "rfc959.abor.retr-urgent-draining",
            "rfc959.abor.retr-urgent-stalled",
            "rfc959.abor.retry-byte-exact",
            "rfc959.abor.stor-plain-sending",
            "rfc959.abor.stor-plain-stalled",
            "rfc959.abor.stor-urgent-sending",
            "rfc959.abor.stor-urgent-stalled",
        ],
    ),
    (
        "epsv-ignores-proto",
        &[
            "rfc2428.abor.unsupported-protocol-flow",
            "rfc2428.epsv.garbage-argument",
            "rfc2428.epsv.unsupported-netprt-0",
            "rfc2428.epsv.unsupported-netprt-3",
            "rfc2428.epsv.unsupported-netprt-99",
        ],
    ),
    (
        "close-after-error",
        &[
            "rfc1123.pasv.ipv6",
            "rfc2428.abor.unsupported-protocol-flow",
            "rfc2428.eprt.address-hostname",
            "rfc2428.eprt.address-ipv6-with-netprt-1",
            "rfc2428.eprt.address-octet-256",
            "rfc2428.eprt.address-three-octets",
            "rfc2428.eprt.delimiter-del",
            "rfc2428.eprt.delimiter-high",
            "rfc2428.eprt.delimiter-nul",
            "rfc2428.eprt.delimiter-space",
            "rfc2428.eprt.delimiter-tab",
            "rfc2428.eprt.empty-fields",
            "rfc2428.eprt.extra-field",
            "rfc2428.eprt.mismatched-delimiters",
            "rfc2428.eprt.missing-port",
            "rfc2428.eprt.missing-trailing-delimiter",
            "rfc2428.eprt.netprt-non-numeric",
            "rfc2428.eprt.no-argument",
            "rfc2428.eprt.port-0",
            "rfc2428.eprt.port-65536",
            "rfc2428.eprt.port-99999",
            "rfc2428.eprt.port-negative",
            "rfc2428.eprt.port-non-numeric",
            "rfc2428.eprt.port-plus-sign",
            "rfc2428.eprt.unsupported-netprt-0",
            "rfc2428.eprt.unsupported-netprt-3",
            "rfc2428.eprt.unsupported-netprt-99",
            "rfc2428.epsv-all.lower-case",
            "rfc2428.epsv-all.persists-after-abor",
            "rfc2428.epsv-all.persists-after-relogin",
            "rfc2428.epsv-all.persists-after-transfer",
            "rfc2428.epsv-all.refuses-eprt",
            "rfc2428.epsv-all.refuses-lprt",
            "rfc2428.epsv-all.refuses-lpsv",
            "rfc2428.epsv-all.refuses-pasv",
            "rfc2428.epsv-all.refuses-port",
            "rfc2428.epsv.garbage-argument",
            "rfc2428.epsv.unsupported-netprt-0",
            "rfc2428.epsv.unsupported-netprt-3",
            "rfc2428.epsv.unsupported-netprt-99",
            "rfc2428.ipv6.cross-family-eprt",
            "rfc2577.bounce.*",
            "rfc2577.privileged-port.eprt",
            "rfc2577.privileged-port.port",
            "rfc959.port.octet-over-255",
            "rfc959.port.too-few-numbers",
            "rfc959.reply.long-line",
            "rfc959.reply.nul-in-command",
            "rfc959.reply.unknown-command",
        ],
    ),
    (
        "epsv-all-no-lockout",
        &[
            "rfc2428.epsv-all.lower-case",
            "rfc2428.epsv-all.persists-after-abor",
            "rfc2428.epsv-all.persists-after-relogin",
            "rfc2428.epsv-all.persists-after-transfer",
            "rfc2428.epsv-all.refuses-eprt",
            "rfc2428.epsv-all.refuses-pasv",
            "rfc2428.epsv-all.refuses-port",
        ],
    ),
    ("epsv-all-allows-port", &["rfc2428.epsv-all.refuses-port"]),
    (
        "epsv-all-allows-pasv",
        &[
            "rfc2428.epsv-all.lower-case",
            "rfc2428.epsv-all.persists-after-abor",
            "rfc2428.epsv-all.persists-after-relogin",
            "rfc2428.epsv-all.persists-after-transfer",
            "rfc2428.epsv-all.refuses-pasv",
        ],
    ),
    (
        "epsv-all-allows-eprt",
        &[
            "rfc2428.epsv-all.persists-after-abor",
            "rfc2428.epsv-all.persists-after-relogin",
            "rfc2428.epsv-all.persists-after-transfer",
            "rfc2428.epsv-all.refuses-eprt",
        ],
    ),
    ("epsv-all-allows-lprt", &["rfc2428.epsv-all.refuses-lprt"]),
    ("epsv-all-allows-lpsv", &["rfc2428.epsv-all.refuses-lpsv"]),
    (
        "epsv-all-blocks-epsv",
        &[
            "rfc2428.epsv-all.epsv-still-works",
            "rfc2428.epsv-all.persists-after-transfer",
        ],
    ),
    (
        "epsv-all-forgets-after-transfer",
        &["rfc2428.epsv-all.persists-after-transfer"],
    ),
    (
        "epsv-all-forgets-after-abor",
        &["rfc2428.epsv-all.persists-after-abor"],
    ),
    (
        "epsv-all-forgets-after-login",
        &["rfc2428.epsv-all.persists-after-relogin"],
    ),
    ("epsv-all-case-sensitive", &["rfc2428.epsv-all.lower-case"]),
    (
        "abor-idle-wrong-code",
        &[
            "rfc2428.abor.*",
            "rfc2428.epsv-all.persists-after-abor",
            "rfc959.abor.idle",
        ],
    ),
    (
        "abor-no-226",
        &[
            "rfc959.abor.retr-plain-draining",
            "rfc959.abor.retr-plain-stalled",
            "rfc959.abor.retr-urgent-draining",
            "rfc959.abor.retr-urgent-stalled",
            "rfc959.abor.retry-byte-exact",
            "rfc959.abor.stor-plain-sending",
            "rfc959.abor.stor-plain-stalled",
            "rfc959.abor.stor-urgent-sending",
            "rfc959.abor.stor-urgent-stalled",
        ],
    ),
    (
        "abor-ignored",
        &[
            "rfc959.abor.retr-plain-stalled",
            "rfc959.abor.retr-urgent-stalled",
            "rfc959.abor.stor-plain-sending",
            "rfc959.abor.stor-plain-stalled",
            "rfc959.abor.stor-urgent-sending",
            "rfc959.abor.stor-urgent-stalled",
        ],
    ),
    (
        "abor-keeps-listener",
        &["rfc2428.abor.closes-pending-listener"],
    ),
    ("abor-keeps-offset", &["rfc959.abor.retry-byte-exact"]),
    (
        "telnet-not-stripped",
        &[
            "rfc959.abor.retr-urgent-draining",
            "rfc959.abor.retr-urgent-stalled",
            "rfc959.abor.stor-urgent-sending",
            "rfc959.abor.stor-urgent-stalled",
        ],
    ),
    ("passive-exhausts", &["rfc1123.timewait.passive-burst"]),
    (
        "active-hangs",
        &[
            "rfc1123.timewait.active-burst",
            "rfc1123.timewait.active-reused-port",
        ],
    ),
    ("accept-bounce", &["rfc2577.bounce.*"]),
    ("accept-privileged-port", &["rfc2577.privileged-port.*"]),
    ("serve-stolen-data", &["rfc2577.port-theft.passive"]),
    (
        "sequential-passive-ports",
        &["rfc2577.passive-ports.random"],
    ),
    (
        "pasv-wrong-address",
        &["rfc959.pasv.address-is-control-peer"],
    ),
    ("pasv-no-parens", &["rfc959.pasv.canonical-format"]),
    ("port-reject", &["rfc959.port.*"]),
    ("pasv-reject", &["rfc959.pasv.*"]),
    (
        "port-lax-syntax",
        &["rfc959.port.octet-over-255", "rfc959.port.too-few-numbers"],
    ),
    ("pasv-ipv6-malformed", &["rfc1123.pasv.ipv6"]),
    ("cross-family-eprt", &["rfc2428.ipv6.cross-family-eprt"]),
    (
        "bare-lf-replies",
        &["rfc959.reply.syntax-all", "rfc959.reply.syst-format"],
    ),
    (
        "feat-bad-terminator",
        &[
            "rfc2389.feat.lists-eprt-epsv",
            "rfc959.reply.feat-multiline",
            "rfc959.reply.syntax-all",
        ],
    ),
    ("feat-omits-eprt-epsv", &["rfc2389.feat.lists-eprt-epsv"]),
    ("silent-unknown-command", &["rfc959.reply.unknown-command"]),
    ("silent-long-line", &["rfc959.reply.long-line"]),
    (
        "silent-nul",
        &["rfc2428.eprt.delimiter-nul", "rfc959.reply.nul-in-command"],
    ),
    ("one-command-per-read", &["rfc1123.commands.pipelined"]),
    (
        "no-split-commands",
        &["rfc1123.commands.split-across-writes"],
    ),
    (
        "case-sensitive-commands",
        &[
            "rfc2428.epsv-all.lower-case",
            "rfc959.commands.case-insensitive",
        ],
    ),
];

fn matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// Every scenario ID of the built-in suites (run-wide checks are scenarios too).
fn all_ids() -> Vec<String> {
    all_scenarios().into_iter().map(|s| s.id).collect()
}

fn aimed_at(patterns: &[&str]) -> BTreeSet<String> {
    all_ids()
        .into_iter()
        .filter(|id| patterns.iter().any(|p| matches(p, id)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_server_passes_everything() {
    let report = run_suite(FaultSet::default()).await;
    for o in &report.outcomes {
        assert!(
            matches!(o.verdict, Verdict::Pass | Verdict::Skip),
            "{} is {} against the clean server: {:?} {:?}",
            o.id,
            o.verdict,
            o.reason,
            o.failure
        );
    }
    assert!(
        report.count(Verdict::Pass) > 30,
        "most scenarios must run, not skip"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_scenarios() {
    // Faults run a few at a time, each against its own server: the silent ones cost a step
    // timeout apiece, and waiting for them one after the other would make the test slow.
    let mut reports = Vec::new();
    for batch in MATRIX.chunks(6) {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, (name, _)) in batch.iter().enumerate() {
            let fault: Fault = name.parse().unwrap_or_else(|_| panic!("{name} is a fault"));
            tasks.spawn(async move { (index, run_suite([fault].into_iter().collect()).await) });
        }
        let mut done = tasks.join_all().await;
        done.sort_by_key(|(index, _)| *index);
        reports.extend(done.into_iter().map(|(_, report)| report));
    }
    for ((name, patterns), report) in MATRIX.iter().zip(reports) {
        let expected = aimed_at(patterns);
        assert!(!expected.is_empty(), "{name} aims at no scenario");
        let mut broken = BTreeSet::new();
        for o in &report.outcomes {
            match o.verdict {
                Verdict::Pass | Verdict::Skip => {}
                Verdict::Fail | Verdict::Warn | Verdict::Info => {
                    // A MUST fails, a SHOULD warns, a MAY records INFO; never another way round.
                    let want = match o.level {
                        Level::Must => Verdict::Fail,
                        Level::Should => Verdict::Warn,
                        Level::May => Verdict::Info,
                    };
                    assert_eq!(o.verdict, want, "{name}: {} has the wrong verdict", o.id);
                    broken.insert(o.id.clone());
                }
                other => panic!("{name}: {} is {other}: {:?}", o.id, o.reason),
            }
        }
        let skipped: BTreeSet<String> = report
            .outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Skip)
            .map(|o| o.id.clone())
            .collect();
        let expected: BTreeSet<String> = expected.difference(&skipped).cloned().collect();
        assert_eq!(
            broken, expected,
            "fault {name}: scenarios broken (left) vs aimed at (right)"
        );
    }
}

#[test]
fn every_scenario_is_aimed_at_by_a_fault() {
    let covered: BTreeSet<String> = MATRIX.iter().flat_map(|(_, p)| aimed_at(p)).collect();
    for id in all_ids() {
        assert!(covered.contains(&id), "no fault makes {id} fail");
    }
}

#[test]
fn every_fault_is_in_the_matrix() {
    for fault in Fault::ALL {
        let covered = MATRIX.iter().any(|(n, _)| *n == fault.name())
            || NARROW_RANGE_FAULTS.contains(&fault.name());
        assert!(covered, "fault {} has no matrix row", fault.name());
    }
}

/// Prints what each fault breaks today, to review when adding scenarios or faults:
/// `cargo test --test it print_fault_effects -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a review aid, not a check"]
async fn print_fault_effects() {
    for fault in Fault::ALL {
        let report = run_suite([*fault].into_iter().collect()).await;
        let broken: Vec<String> = report
            .outcomes
            .iter()
            .filter(|o| !matches!(o.verdict, Verdict::Pass | Verdict::Skip))
            .map(|o| format!("{} {}", o.verdict, o.id))
            .collect();
        println!("{}:\n    {}", fault.name(), broken.join("\n    "));
    }
}

/// Faults that only show with a narrow passive port range, where ports sit in TIME-WAIT.
const NARROW_RANGE_FAULTS: &[&str] = &["passive-announces-busy-port"];

/// TIME_WAIT suite against a server with only three passive ports: the clean server keeps
/// handing out working ports (or a prompt 425), the faulty one announces a port stuck in
/// TIME-WAIT that does not listen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narrow_passive_range_survives_time_wait_but_not_the_fault() {
    use ftpspec::runner::run;
    use ftpspec::server::{Config, start};
    use std::sync::Arc;
    let chosen: Vec<_> = all_scenarios()
        .into_iter()
        .filter(|s| s.id == "rfc1123.timewait.passive-burst")
        .collect();
    assert_eq!(chosen.len(), 1);
    for (faults, must_fail) in [
        (FaultSet::default(), false),
        (
            [Fault::PassiveAnnouncesBusyPort]
                .into_iter()
                .collect::<FaultSet>(),
            true,
        ),
    ] {
        let base = crate::support::free_block(3);
        let config = Config {
            faults,
            passive_ports: Some((base, base + 2)),
            ..Config::default()
        };
        let handle = start(&[([127, 0, 0, 1], 0).into()], config)
            .await
            .expect("server");
        let report = run(
            chosen.clone(),
            Arc::new(crate::support::config_for(&handle)),
            None,
            |_| {},
        )
        .await;
        handle.shutdown().await;
        let outcome = report
            .outcomes
            .iter()
            .find(|o| o.id == chosen[0].id)
            .expect("ran");
        let want = if must_fail {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        assert_eq!(
            outcome.verdict, want,
            "{:?} {:?}",
            outcome.reason, outcome.notes
        );
    }
}
