//! The fault matrix: every named fault of the reference server makes exactly the scenarios
//! aimed at it fail (FAIL for MUST, WARN for SHOULD, INFO for MAY), blocks exactly the scenarios
//! whose setup it breaks (BLOCKED: a setup failure is never blamed on the requirement), and every
//! other scenario still passes. Every scenario is aimed at by at least one fault: a check that
//! cannot fail is a defect. A SKIP or a BLOCKED never counts as catching a fault.

use crate::fault_matrix_tls::TLS_MATRIX;
use crate::support::{all_scenarios, run_suite};
use ftpspec::runner::{RunReport, Verdict};
use ftpspec::server::{Fault, FaultSet};
use ftpspec::suite::Level;
use std::collections::BTreeSet;

/// What one named fault must do to the suites: the scenarios whose requirement it breaks
/// (`fails`: FAIL for a MUST, WARN for a SHOULD, INFO for a MAY) and the scenarios it only keeps
/// from being exercised (`blocked`: a setup step fails, BLOCKED). Every other scenario passes.
/// Each is a list of groups of exact IDs (the groups below name the sets several faults share).
struct Row {
    fault: &'static str,
    fails: &'static [&'static [&'static str]],
    blocked: &'static [&'static [&'static str]],
}

/// Every ABOR during a transfer (RETR and STOR, plain and urgent, reading or stalled) and the retry after it.
const ABOR_DURING_TRANSFER: &[&str] = &[
    "rfc959.abor.retr-plain-draining",
    "rfc959.abor.retr-plain-stalled",
    "rfc959.abor.retr-urgent-draining",
    "rfc959.abor.retr-urgent-stalled",
    "rfc959.abor.retry-byte-exact",
    "rfc959.abor.stor-plain-sending",
    "rfc959.abor.stor-plain-stalled",
    "rfc959.abor.stor-urgent-sending",
    "rfc959.abor.stor-urgent-stalled",
];

/// ABOR while the transfer does not move: the client stalled, or sending.
const ABOR_STALLED: &[&str] = &[
    "rfc959.abor.retr-plain-stalled",
    "rfc959.abor.retr-urgent-stalled",
    "rfc959.abor.stor-plain-sending",
    "rfc959.abor.stor-plain-stalled",
    "rfc959.abor.stor-urgent-sending",
    "rfc959.abor.stor-urgent-stalled",
];

/// ABOR with the Telnet special action during a transfer.
const ABOR_URGENT: &[&str] = &[
    "rfc959.abor.retr-urgent-draining",
    "rfc959.abor.retr-urgent-stalled",
    "rfc959.abor.stor-urgent-sending",
    "rfc959.abor.stor-urgent-stalled",
];

/// EPRT naming an unknown network protocol: 522 with the list.
const EPRT_522: &[&str] = &[
    "rfc2428.eprt.unsupported-netprt-0",
    "rfc2428.eprt.unsupported-netprt-3",
    "rfc2428.eprt.unsupported-netprt-99",
];

/// EPSV naming an unknown network protocol: 522 with the list.
const EPSV_522: &[&str] = &[
    "rfc2428.epsv.unsupported-netprt-0",
    "rfc2428.epsv.unsupported-netprt-3",
    "rfc2428.epsv.unsupported-netprt-99",
];

/// EPRT delimiters outside ASCII 33-126.
const EPRT_BAD_DELIMITERS: &[&str] = &[
    "rfc2428.eprt.delimiter-del",
    "rfc2428.eprt.delimiter-high",
    "rfc2428.eprt.delimiter-nul",
    "rfc2428.eprt.delimiter-space",
    "rfc2428.eprt.delimiter-tab",
];

/// EPRT with legal delimiters other than `|`.
const EPRT_LEGAL_DELIMITERS: &[&str] = &[
    "rfc2428.eprt.delimiter-bang",
    "rfc2428.eprt.delimiter-hash",
    "rfc2428.eprt.delimiter-tilde",
];

/// EPRT ports that are no TCP port.
const EPRT_BAD_PORTS: &[&str] = &[
    "rfc2428.eprt.port-0",
    "rfc2428.eprt.port-65536",
    "rfc2428.eprt.port-99999",
    "rfc2428.eprt.port-negative",
    "rfc2428.eprt.port-non-numeric",
];

/// EPRT addresses that are not of their family's form.
const EPRT_BAD_ADDRESSES: &[&str] = &[
    "rfc2428.eprt.address-hostname",
    "rfc2428.eprt.address-ipv6-with-netprt-1",
    "rfc2428.eprt.address-octet-256",
    "rfc2428.eprt.address-three-octets",
];

/// EPRT arguments that break the <d>net-prt<d>net-addr<d>tcp-port<d> grammar.
const EPRT_BAD_FIELDS: &[&str] = &[
    "rfc2428.eprt.empty-fields",
    "rfc2428.eprt.extra-field",
    "rfc2428.eprt.mismatched-delimiters",
    "rfc2428.eprt.missing-port",
    "rfc2428.eprt.missing-trailing-delimiter",
    "rfc2428.eprt.netprt-non-numeric",
    "rfc2428.eprt.no-argument",
];

/// After EPSV ALL, each other data setup command is refused.
const EPSV_ALL_REFUSALS: &[&str] = &[
    "rfc2428.epsv-all.refuses-eprt",
    "rfc2428.epsv-all.refuses-lprt",
    "rfc2428.epsv-all.refuses-lpsv",
    "rfc2428.epsv-all.refuses-pasv",
    "rfc2428.epsv-all.refuses-port",
];

/// The EPSV ALL lockout lasts: after a transfer, ABOR, a new login.
const EPSV_ALL_PERSISTS: &[&str] = &[
    "rfc2428.epsv-all.persists-after-abor",
    "rfc2428.epsv-all.persists-after-relogin",
    "rfc2428.epsv-all.persists-after-transfer",
];

/// The passive TIME_WAIT bursts.
const PASSIVE_TIMEWAIT: &[&str] = &[
    "rfc1123.timewait.passive-burst",
    "rfc1123.timewait.passive-fresh-sessions",
];

/// The active TIME_WAIT bursts.
const ACTIVE_TIMEWAIT: &[&str] = &[
    "rfc1123.timewait.active-burst",
    "rfc1123.timewait.active-reused-port",
];

/// An EPSV port that listens and carries a transfer, on either family.
const EPSV_WORKS: &[&str] = &[
    "rfc2428.epsv.netprt-1",
    "rfc2428.epsv.netprt-2",
    "rfc2428.epsv.port-listens",
    "rfc2428.epsv.transfer",
    "rfc2428.ipv6.epsv-transfer",
];

/// Scenarios that need a working EPSV only to set the stage.
const NEEDS_EPSV: &[&str] = &[
    "rfc2577.port-theft.session-in-step",
    "rfc959.transfer.list-bare",
    "rfc959.transfer.nlst-bare",
];

/// A pending passive port closes when the session ends.
const PENDING_LISTENERS: &[&str] = &[
    "rfc959.data.pending-listener-after-disconnect",
    "rfc959.data.pending-listener-after-quit",
];

/// Port theft from 127.0.0.2.
const PORT_THEFT: &[&str] = &[
    "rfc2577.port-theft.passive",
    "rfc2577.port-theft.session-in-step",
];

/// Bounce via EPRT and PORT.
const BOUNCE: &[&str] = &["rfc2577.bounce.eprt", "rfc2577.bounce.port"];

/// Privileged ports named by EPRT and PORT.
const PRIVILEGED: &[&str] = &[
    "rfc2577.privileged-port.eprt",
    "rfc2577.privileged-port.port",
];

const MATRIX: &[Row] = &[
    Row {
        fault: "eprt-reject",
        fails: &[&["rfc2428.eprt.ipv4-accepted", "rfc2428.eprt.ipv6-accepted"]],
        blocked: &[
            EPRT_522,
            EPRT_LEGAL_DELIMITERS,
            ACTIVE_TIMEWAIT,
            &["rfc2577.privileged-port.reply-504"],
        ],
    },
    Row {
        fault: "eprt-any-delimiter",
        fails: &[EPRT_BAD_DELIMITERS],
        blocked: &[],
    },
    Row {
        fault: "eprt-pipe-only",
        fails: &[EPRT_LEGAL_DELIMITERS],
        blocked: &[],
    },
    Row {
        fault: "eprt-port-unchecked",
        fails: &[EPRT_BAD_PORTS, &["rfc2428.eprt.port-plus-sign"]],
        blocked: &[],
    },
    Row {
        fault: "eprt-address-unchecked",
        fails: &[EPRT_BAD_ADDRESSES, &["rfc2428.eprt.empty-address"]],
        blocked: &[],
    },
    Row {
        fault: "eprt-empty-address-is-peer",
        fails: &[&["rfc2428.eprt.empty-address"]],
        blocked: &[],
    },
    Row {
        fault: "eprt-family-from-address",
        fails: &[&[
            "rfc2428.eprt.address-ipv6-with-netprt-1",
            "rfc2428.eprt.empty-netprt",
            "rfc2428.eprt.netprt-2-with-ipv4-address",
        ]],
        blocked: &[],
    },
    Row {
        fault: "eprt-accept-all",
        fails: &[
            EPRT_522,
            EPRT_BAD_DELIMITERS,
            EPRT_BAD_PORTS,
            EPRT_BAD_ADDRESSES,
            EPRT_BAD_FIELDS,
            &[
                "rfc2428.eprt.empty-address",
                "rfc2428.eprt.empty-netprt",
                "rfc2428.eprt.netprt-2-with-ipv4-address",
                "rfc2428.eprt.port-plus-sign",
                "rfc2428.ipv6.cross-family-eprt",
            ],
        ],
        blocked: &[],
    },
    Row {
        fault: "eprt-501-for-522",
        fails: &[
            EPRT_522,
            EPSV_522,
            &["rfc2428.abor.unsupported-protocol-flow"],
        ],
        blocked: &[],
    },
    Row {
        fault: "522-no-list",
        fails: &[
            EPRT_522,
            EPSV_522,
            &["rfc2428.abor.unsupported-protocol-flow"],
        ],
        blocked: &[],
    },
    Row {
        fault: "epsv-reject",
        fails: &[
            EPSV_WORKS,
            &[
                "rfc2428.abor.unsupported-protocol-flow",
                "rfc2428.epsv-all.accepted",
                "rfc2428.epsv.reply-229",
            ],
        ],
        blocked: &[
            ABOR_DURING_TRANSFER,
            EPSV_522,
            EPSV_ALL_REFUSALS,
            EPSV_ALL_PERSISTS,
            PASSIVE_TIMEWAIT,
            NEEDS_EPSV,
            PENDING_LISTENERS,
            &[
                "rfc2428.abor.closes-pending-listener",
                "rfc2428.epsv-all.epsv-still-works",
                "rfc2428.epsv-all.lower-case",
                "rfc2428.epsv-all.reply-200",
                "rfc2577.passive-ports.random",
                "rfc2577.port-theft.passive",
            ],
        ],
    },
    Row {
        fault: "epsv-malformed-229",
        fails: &[
            EPSV_WORKS,
            &[
                "rfc2428.abor.unsupported-protocol-flow",
                "rfc2428.epsv-all.epsv-still-works",
                "rfc2428.epsv.reply-229",
            ],
        ],
        blocked: &[
            ABOR_DURING_TRANSFER,
            EPSV_522,
            PASSIVE_TIMEWAIT,
            NEEDS_EPSV,
            PENDING_LISTENERS,
            &[
                "rfc2428.abor.closes-pending-listener",
                "rfc2428.epsv-all.persists-after-transfer",
                "rfc2577.passive-ports.random",
                "rfc2577.port-theft.passive",
            ],
        ],
    },
    Row {
        fault: "epsv-dead-port",
        fails: &[
            PASSIVE_TIMEWAIT,
            EPSV_WORKS,
            &[
                "rfc2428.abor.unsupported-protocol-flow",
                "rfc2428.epsv-all.epsv-still-works",
            ],
        ],
        blocked: &[
            ABOR_DURING_TRANSFER,
            NEEDS_EPSV,
            &[
                "rfc2428.epsv-all.persists-after-transfer",
                "rfc2577.port-theft.passive",
            ],
        ],
    },
    Row {
        fault: "epsv-ignores-proto",
        fails: &[
            EPSV_522,
            &[
                "rfc2428.abor.unsupported-protocol-flow",
                "rfc2428.epsv.garbage-argument",
            ],
        ],
        blocked: &[],
    },
    Row {
        fault: "close-after-error",
        fails: &[
            EPRT_522,
            EPSV_522,
            EPRT_BAD_DELIMITERS,
            EPRT_BAD_PORTS,
            EPRT_BAD_ADDRESSES,
            EPRT_BAD_FIELDS,
            EPSV_ALL_REFUSALS,
            EPSV_ALL_PERSISTS,
            BOUNCE,
            PRIVILEGED,
            &[
                "rfc1123.pasv.ipv6",
                "rfc2428.abor.unsupported-protocol-flow",
                "rfc2428.eprt.empty-address",
                "rfc2428.eprt.empty-netprt",
                "rfc2428.eprt.netprt-2-with-ipv4-address",
                "rfc2428.eprt.port-plus-sign",
                "rfc2428.epsv-all.lower-case",
                "rfc2428.epsv.garbage-argument",
                "rfc2428.ipv6.cross-family-eprt",
                "rfc959.port.octet-over-255",
                "rfc959.port.too-few-numbers",
                "rfc959.reply.long-line-close-421",
                "rfc959.reply.nul-in-command",
                "rfc959.reply.unknown-command",
            ],
        ],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-no-lockout",
        fails: &[
            EPSV_ALL_PERSISTS,
            &[
                "rfc2428.epsv-all.lower-case",
                "rfc2428.epsv-all.refuses-eprt",
                "rfc2428.epsv-all.refuses-pasv",
                "rfc2428.epsv-all.refuses-port",
            ],
        ],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-220",
        fails: &[&["rfc2428.epsv-all.reply-200"]],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-allows-port",
        fails: &[&["rfc2428.epsv-all.refuses-port"]],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-allows-pasv",
        fails: &[
            EPSV_ALL_PERSISTS,
            &[
                "rfc2428.epsv-all.lower-case",
                "rfc2428.epsv-all.refuses-pasv",
            ],
        ],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-allows-eprt",
        fails: &[EPSV_ALL_PERSISTS, &["rfc2428.epsv-all.refuses-eprt"]],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-allows-lprt",
        fails: &[&["rfc2428.epsv-all.refuses-lprt"]],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-allows-lpsv",
        fails: &[&["rfc2428.epsv-all.refuses-lpsv"]],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-blocks-epsv",
        fails: &[&["rfc2428.epsv-all.epsv-still-works"]],
        blocked: &[&["rfc2428.epsv-all.persists-after-transfer"]],
    },
    Row {
        fault: "epsv-all-forgets-after-transfer",
        fails: &[&["rfc2428.epsv-all.persists-after-transfer"]],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-forgets-after-abor",
        fails: &[&["rfc2428.epsv-all.persists-after-abor"]],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-forgets-after-login",
        fails: &[&["rfc2428.epsv-all.persists-after-relogin"]],
        blocked: &[],
    },
    Row {
        fault: "epsv-all-case-sensitive",
        fails: &[&["rfc2428.epsv-all.lower-case"]],
        blocked: &[],
    },
    Row {
        fault: "abor-not-implemented",
        fails: &[
            ABOR_DURING_TRANSFER,
            &[
                "rfc2428.abor.closes-pending-listener",
                "rfc2428.abor.unsupported-protocol-flow",
                "rfc959.abor.implemented",
            ],
        ],
        blocked: &[&["rfc2428.epsv-all.persists-after-abor"]],
    },
    Row {
        fault: "abor-idle-wrong-code",
        fails: &[&[
            "rfc2428.abor.closes-pending-listener",
            "rfc2428.abor.unsupported-protocol-flow",
            "rfc959.abor.idle",
            "rfc959.abor.implemented",
        ]],
        blocked: &[&["rfc2428.epsv-all.persists-after-abor"]],
    },
    Row {
        fault: "abor-no-226",
        fails: &[ABOR_DURING_TRANSFER],
        blocked: &[],
    },
    Row {
        fault: "abor-ignored",
        fails: &[ABOR_STALLED],
        blocked: &[],
    },
    Row {
        fault: "abor-keeps-listener",
        fails: &[&["rfc2428.abor.closes-pending-listener"]],
        blocked: &[],
    },
    Row {
        fault: "abor-keeps-offset",
        fails: &[&["rfc959.abor.retry-byte-exact"]],
        blocked: &[],
    },
    Row {
        fault: "telnet-not-stripped",
        fails: &[ABOR_URGENT],
        blocked: &[],
    },
    Row {
        fault: "passive-exhausts",
        fails: &[&["rfc1123.timewait.passive-burst"]],
        blocked: &[],
    },
    Row {
        fault: "active-hangs",
        fails: &[ACTIVE_TIMEWAIT],
        blocked: &[],
    },
    Row {
        fault: "accept-bounce",
        fails: &[BOUNCE],
        blocked: &[],
    },
    Row {
        fault: "accept-privileged-port",
        fails: &[PRIVILEGED, &["rfc2577.privileged-port.reply-504"]],
        blocked: &[],
    },
    Row {
        fault: "privileged-port-tries-connect",
        fails: &[PRIVILEGED, &["rfc2577.privileged-port.reply-504"]],
        blocked: &[],
    },
    Row {
        fault: "serve-stolen-data",
        fails: &[PORT_THEFT],
        blocked: &[],
    },
    Row {
        fault: "theft-extra-reply",
        fails: &[&["rfc2577.port-theft.session-in-step"]],
        blocked: &[],
    },
    Row {
        fault: "passive-listener-outlives-session",
        fails: &[PENDING_LISTENERS],
        blocked: &[],
    },
    Row {
        fault: "sequential-passive-ports",
        fails: &[&["rfc2577.passive-ports.random"]],
        blocked: &[],
    },
    Row {
        fault: "pasv-wrong-address",
        fails: &[&["rfc959.pasv.address-is-control-peer"]],
        blocked: &[],
    },
    Row {
        fault: "pasv-no-parens",
        fails: &[&["rfc959.pasv.canonical-format"]],
        blocked: &[],
    },
    Row {
        fault: "port-reject",
        fails: &[&[
            "rfc959.port.accepted",
            "rfc959.port.octet-over-255",
            "rfc959.port.too-few-numbers",
        ]],
        blocked: &[],
    },
    Row {
        fault: "pasv-reject",
        fails: &[&["rfc959.pasv.accepted"]],
        blocked: &[&[
            "rfc959.pasv.address-is-control-peer",
            "rfc959.pasv.canonical-format",
        ]],
    },
    Row {
        fault: "port-lax-syntax",
        fails: &[&["rfc959.port.octet-over-255", "rfc959.port.too-few-numbers"]],
        blocked: &[],
    },
    Row {
        fault: "pasv-ipv6-malformed",
        fails: &[&["rfc1123.pasv.ipv6"]],
        blocked: &[],
    },
    Row {
        fault: "cross-family-eprt",
        fails: &[&["rfc2428.ipv6.cross-family-eprt"]],
        blocked: &[],
    },
    Row {
        fault: "nlst-requires-argument",
        fails: &[&["rfc959.transfer.nlst-bare"]],
        blocked: &[],
    },
    Row {
        fault: "list-requires-argument",
        fails: &[&["rfc959.transfer.list-bare"]],
        blocked: &[],
    },
    Row {
        fault: "type-i-refused",
        fails: &[&["rfc1123.type.image"]],
        blocked: &[ABOR_DURING_TRANSFER, PORT_THEFT],
    },
    Row {
        fault: "bare-lf-replies",
        fails: &[&["rfc959.reply.syntax-all", "rfc959.reply.syst-format"]],
        blocked: &[],
    },
    Row {
        fault: "feat-bad-terminator",
        fails: &[&[
            "rfc2389.feat.lists-eprt-epsv",
            "rfc959.reply.feat-multiline",
            "rfc959.reply.syntax-all",
        ]],
        blocked: &[],
    },
    Row {
        fault: "feat-omits-eprt-epsv",
        fails: &[&["rfc2389.feat.lists-eprt-epsv"]],
        blocked: &[],
    },
    Row {
        fault: "silent-unknown-command",
        fails: &[&["rfc959.reply.unknown-command"]],
        blocked: &[],
    },
    Row {
        fault: "silent-long-line",
        fails: &[&["rfc959.reply.long-line"]],
        blocked: &[&["rfc959.reply.long-line-close-421"]],
    },
    Row {
        fault: "long-line-500-close",
        fails: &[&["rfc959.reply.long-line-close-421"]],
        blocked: &[],
    },
    Row {
        fault: "pasv-oops-close",
        fails: &[&["rfc1123.pasv.ipv6", "rfc959.pasv.accepted"]],
        blocked: &[&[
            "rfc959.pasv.address-is-control-peer",
            "rfc959.pasv.canonical-format",
        ]],
    },
    Row {
        fault: "silent-nul",
        fails: &[&["rfc2428.eprt.delimiter-nul", "rfc959.reply.nul-in-command"]],
        blocked: &[],
    },
    Row {
        fault: "one-command-per-read",
        fails: &[&["rfc1123.commands.pipelined"]],
        blocked: &[],
    },
    Row {
        fault: "no-split-commands",
        fails: &[&["rfc1123.commands.split-across-writes"]],
        blocked: &[],
    },
    Row {
        fault: "case-sensitive-commands",
        fails: &[&[
            "rfc2428.epsv-all.lower-case",
            "rfc959.commands.case-insensitive",
        ]],
        blocked: &[],
    },
];

pub(crate) fn matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// Every scenario ID of the built-in suites (run-wide checks are scenarios too).
fn all_ids() -> Vec<String> {
    all_scenarios().into_iter().map(|s| s.id).collect()
}

pub(crate) fn aimed_at(groups: &[&[&str]]) -> BTreeSet<String> {
    all_ids()
        .into_iter()
        .filter(|id| groups.iter().flat_map(|g| g.iter()).any(|p| matches(p, id)))
        .collect()
}

/// The scenarios the clean server SKIPs here: a precondition this machine does not meet (no
/// IPv6, no 127.0.0.2, no port below 1024). They can be neither caught nor blocked by a fault.
pub(crate) fn skipped(report: &RunReport) -> BTreeSet<String> {
    report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Skip)
        .map(|o| o.id.clone())
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
    assert!(report.causes.is_empty(), "{:?}", report.causes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_scenarios() {
    let clean = skipped(&run_suite(FaultSet::default()).await);
    // Faults run a few at a time, each against its own server: the silent ones cost a step
    // timeout apiece, and waiting for them one after the other would make the test slow.
    let mut reports = Vec::new();
    for batch in MATRIX.chunks(6) {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, row) in batch.iter().enumerate() {
            let name = row.fault;
            let fault: Fault = name.parse().unwrap_or_else(|_| panic!("{name} is a fault"));
            tasks.spawn(async move { (index, run_suite([fault].into_iter().collect()).await) });
        }
        let mut done = tasks.join_all().await;
        done.sort_by_key(|(index, _)| *index);
        reports.extend(done.into_iter().map(|(_, report)| report));
    }
    for (row, report) in MATRIX.iter().zip(reports) {
        let expected = Expected {
            fails: aimed_at(row.fails),
            blocked: aimed_at(row.blocked),
            errors: BTreeSet::new(),
        };
        assert_row(row.fault, &expected, &clean, &report);
    }
}

/// What a fault must do to the scenarios of a run: which fail (FAIL, WARN or INFO by level),
/// which are BLOCKED, which are ERROR (the harness could not get a session at all); every other
/// scenario passes.
pub(crate) struct Expected {
    pub fails: BTreeSet<String>,
    pub blocked: BTreeSet<String>,
    pub errors: BTreeSet<String>,
}

/// Checks one fault's report against what it must do. `clean` holds the scenarios the clean
/// server SKIPs here: they are left out (this machine cannot run them).
pub(crate) fn assert_row(
    name: &str,
    expected: &Expected,
    clean: &BTreeSet<String>,
    report: &RunReport,
) {
    // Only a FAIL, WARN or INFO catches a fault: a scenario that SKIPs or is BLOCKED under it
    // has not shown the violation. Scenarios this machine cannot run at all are left out.
    let fails: BTreeSet<String> = expected.fails.difference(clean).cloned().collect();
    let blocked: BTreeSet<String> = expected.blocked.difference(clean).cloned().collect();
    let errors: BTreeSet<String> = expected.errors.difference(clean).cloned().collect();
    assert!(!expected.fails.is_empty(), "{name} makes no scenario fail");
    let (mut broken, mut stopped, mut errored) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for o in &report.outcomes {
        match o.verdict {
            Verdict::Pass => {}
            Verdict::Skip => assert!(
                clean.contains(&o.id),
                "{name}: {} is SKIP under the fault but runs on the clean server: {:?}",
                o.id,
                o.reason
            ),
            Verdict::Fail | Verdict::Warn | Verdict::Info => {
                // A MUST fails, a SHOULD warns, a MAY records INFO; never another way round.
                let want = match o.spec.level {
                    Level::Must => Verdict::Fail,
                    Level::Should => Verdict::Warn,
                    Level::May => Verdict::Info,
                };
                assert_eq!(o.verdict, want, "{name}: {} has the wrong verdict", o.id);
                broken.insert(o.id.clone());
            }
            Verdict::Blocked => {
                let reason = o.reason.as_deref().unwrap_or_default();
                assert!(
                    reason.starts_with("could not exercise the requirement: "),
                    "{name}: {} is BLOCKED without saying why: {reason}",
                    o.id
                );
                stopped.insert(o.id.clone());
            }
            Verdict::Error => {
                let reason = o.reason.as_deref().unwrap_or_default();
                assert!(
                    errors.contains(&o.id),
                    "{name}: {} is ERROR: {reason}",
                    o.id
                );
                // Prompt and clear: the harness says what went wrong, it did not hang.
                assert!(
                    !reason.is_empty() && !reason.contains("did not finish within its limit"),
                    "{name}: {} is ERROR without a prompt reason: {reason}",
                    o.id
                );
                errored.insert(o.id.clone());
            }
        }
    }
    assert_eq!(
        broken, fails,
        "fault {name}: scenarios failed (left) vs aimed at (right)"
    );
    assert_eq!(
        stopped, blocked,
        "fault {name}: scenarios blocked (left) vs expected blocked (right)"
    );
    assert_eq!(
        errored, errors,
        "fault {name}: scenarios in ERROR (left) vs expected in ERROR (right)"
    );
}

#[test]
fn every_scenario_is_aimed_at_by_a_fault() {
    let plain = MATRIX.iter().flat_map(|r| aimed_at(r.fails));
    let tls = TLS_MATRIX.iter().flat_map(|r| aimed_at(r.fails));
    let covered: BTreeSet<String> = plain.chain(tls).collect();
    for id in all_ids() {
        assert!(covered.contains(&id), "no fault makes {id} fail");
    }
}

#[test]
fn every_fault_is_in_the_matrix() {
    for fault in Fault::ALL {
        let covered = MATRIX.iter().any(|r| r.fault == fault.name())
            || TLS_MATRIX.iter().any(|r| r.fault == fault.name())
            || NARROW_RANGE_FAULTS.contains(&fault.name())
            || FUZZ_ONLY_FAULTS.contains(&fault.name());
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

/// Faults that a fuzz campaign meets, not a scenario: each is proven in `tests/it/fuzzing.rs`.
const FUZZ_ONLY_FAULTS: &[&str] = &[
    "crlf-only-lines",
    "slow-failed-login",
    "stops-serving-after-50",
];

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
