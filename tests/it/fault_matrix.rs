//! The fault matrix: every named fault of the reference server makes exactly the scenarios
//! aimed at it fail (FAIL for MUST, WARN for SHOULD), and every other scenario still passes.
//! And every scenario is aimed at by at least one fault: a check that cannot fail is a defect.

use crate::support::{all_scenarios, run_suite};
use ftpspec::runner::Verdict;
use ftpspec::server::{Fault, FaultSet};
use std::collections::BTreeSet;

/// Fault name → ID patterns of the scenarios it must break (`*` at the end matches a prefix).
const MATRIX: &[(&str, &[&str])] = &[
    (
        "eprt-reject",
        &[
            "rfc2428.eprt.ipv4-accepted",
            "rfc2428.eprt.ipv6-accepted",
            "rfc2428.eprt.delimiter-bang",
            "rfc2428.eprt.delimiter-hash",
            "rfc2428.eprt.delimiter-tilde",
            "rfc2428.eprt.unsupported-netprt-*",
        ],
    ),
    (
        "eprt-any-delimiter",
        &[
            "rfc2428.eprt.delimiter-space",
            "rfc2428.eprt.delimiter-del",
            "rfc2428.eprt.delimiter-nul",
            "rfc2428.eprt.delimiter-high",
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
    ("eprt-port-unchecked", &["rfc2428.eprt.port-*"]),
    ("eprt-address-unchecked", &["rfc2428.eprt.address-*"]),
    (
        "eprt-accept-all",
        &[
            "rfc2428.eprt.delimiter-space",
            "rfc2428.eprt.delimiter-del",
            "rfc2428.eprt.delimiter-nul",
            "rfc2428.eprt.delimiter-high",
            "rfc2428.eprt.delimiter-tab",
            "rfc2428.eprt.mismatched-delimiters",
            "rfc2428.eprt.missing-port",
            "rfc2428.eprt.missing-trailing-delimiter",
            "rfc2428.eprt.empty-fields",
            "rfc2428.eprt.extra-field",
            "rfc2428.eprt.netprt-non-numeric",
            "rfc2428.eprt.no-argument",
            "rfc2428.eprt.port-*",
            "rfc2428.eprt.address-*",
            "rfc2428.eprt.unsupported-netprt-*",
        ],
    ),
    (
        "eprt-501-for-522",
        &[
            "rfc2428.eprt.unsupported-netprt-*",
            "rfc2428.epsv.unsupported-netprt-*",
        ],
    ),
    (
        "522-no-list",
        &[
            "rfc2428.eprt.unsupported-netprt-*",
            "rfc2428.epsv.unsupported-netprt-*",
        ],
    ),
    (
        "epsv-reject",
        &[
            "rfc2428.epsv.reply-229",
            "rfc2428.epsv.port-listens",
            "rfc2428.epsv.transfer",
            "rfc2428.epsv.netprt-1",
            "rfc2428.epsv.netprt-2",
            "rfc2428.epsv.unsupported-netprt-*",
        ],
    ),
    (
        "epsv-malformed-229",
        &[
            "rfc2428.epsv.reply-229",
            "rfc2428.epsv.port-listens",
            "rfc2428.epsv.transfer",
            "rfc2428.epsv.netprt-1",
            "rfc2428.epsv.netprt-2",
        ],
    ),
    (
        "epsv-dead-port",
        &[
            "rfc2428.epsv.port-listens",
            "rfc2428.epsv.transfer",
            "rfc2428.epsv.netprt-1",
            "rfc2428.epsv.netprt-2",
        ],
    ),
    (
        "epsv-ignores-proto",
        &[
            "rfc2428.epsv.unsupported-netprt-*",
            "rfc2428.epsv.garbage-argument",
        ],
    ),
    (
        "close-after-error",
        &[
            "rfc2428.eprt.delimiter-space",
            "rfc2428.eprt.delimiter-del",
            "rfc2428.eprt.delimiter-nul",
            "rfc2428.eprt.delimiter-high",
            "rfc2428.eprt.delimiter-tab",
            "rfc2428.eprt.mismatched-delimiters",
            "rfc2428.eprt.missing-port",
            "rfc2428.eprt.missing-trailing-delimiter",
            "rfc2428.eprt.empty-fields",
            "rfc2428.eprt.extra-field",
            "rfc2428.eprt.netprt-non-numeric",
            "rfc2428.eprt.no-argument",
            "rfc2428.eprt.port-*",
            "rfc2428.eprt.address-*",
            "rfc2428.eprt.unsupported-netprt-*",
            "rfc2428.epsv.unsupported-netprt-*",
            "rfc2428.epsv.garbage-argument",
        ],
    ),
];

fn matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

fn aimed_at(patterns: &[&str]) -> BTreeSet<String> {
    all_scenarios()
        .into_iter()
        .map(|s| s.id)
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
    for (name, patterns) in MATRIX {
        let fault: Fault = name.parse().unwrap_or_else(|_| panic!("{name} is a fault"));
        let report = run_suite([fault].into_iter().collect()).await;
        let expected = aimed_at(patterns);
        assert!(!expected.is_empty(), "{name} aims at no scenario");
        let mut broken = BTreeSet::new();
        for o in &report.outcomes {
            match o.verdict {
                Verdict::Pass | Verdict::Skip => {}
                Verdict::Fail | Verdict::Warn => {
                    // A SHOULD scenario warns, a MUST scenario fails; never the other way round.
                    let want = if o.level == ftpspec::suite::Level::Should {
                        Verdict::Warn
                    } else {
                        Verdict::Fail
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
    for s in all_scenarios() {
        assert!(covered.contains(&s.id), "no fault makes {} fail", s.id);
    }
}

#[test]
fn every_fault_is_in_the_matrix() {
    for fault in Fault::ALL {
        assert!(
            MATRIX.iter().any(|(n, _)| *n == fault.name()),
            "fault {} has no matrix row",
            fault.name()
        );
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
