//! The fault matrix of FTPS (RFC 4217): the reference server serves explicit TLS and requires
//! it, ftpspec runs with `--tls explicit --tls-required`, and each TLS fault (and the ABOR
//! faults, which the suite's ABOR-over-TLS scenario must also catch) fails exactly the RFC 4217
//! scenarios aimed at it, blocks those whose setup it breaks, and makes ERROR only those whose
//! protected session it keeps from being set up.
//!
//! Only the RFC 4217 suite runs here. The other suites over TLS are `tests/it/tls.rs`'s
//! business (they all pass against the clean server); under a fault that breaks protected data
//! connections they would fail on every transfer, which is the fault's effect but not the
//! requirement they are aimed at.

use crate::fault_matrix::{Expected, aimed_at, assert_row, skipped};
use crate::support::{RFC4217, run_tls_suite};
use ftpspec::runner::Verdict;
use ftpspec::server::{Fault, FaultSet};

/// One FTPS fault: the scenarios it fails, blocks and makes ERROR (exact IDs).
pub struct TlsRow {
    pub fault: &'static str,
    pub fails: &'static [&'static [&'static str]],
    pub blocked: &'static [&'static [&'static str]],
    pub errors: &'static [&'static [&'static str]],
}

/// The scenarios that start protected (`needs tls`): the runner negotiates TLS, PBSZ 0 and
/// PROT P itself, so a server that breaks those keeps them from running (ERROR).
const STARTS_PROTECTED: &[&str] = &[
    "rfc4217.abor.in-band",
    "rfc4217.ccc.protected",
    "rfc4217.data.clear-connection-not-served",
    "rfc4217.data.unresumed-session-answered",
    "rfc4217.data.unresumed-session-refused",
    "rfc4217.prot.clear-data",
    "rfc4217.prot.unknown-level",
    "rfc4217.prot.unsupported-level",
];

/// The scenarios whose setup is AUTH TLS and the handshake.
const AFTER_STARTTLS: &[&str] = &[
    "rfc4217.pbsz.zero-accepted",
    "rfc4217.prot.before-pbsz",
    "rfc4217.prot.private-data-is-tls",
];

/// A data connection with a fresh TLS session.
const UNRESUMED: &[&str] = &[
    "rfc4217.data.unresumed-session-answered",
    "rfc4217.data.unresumed-session-refused",
];

const fn row(
    fault: &'static str,
    fails: &'static [&'static [&'static str]],
    blocked: &'static [&'static [&'static str]],
    errors: &'static [&'static [&'static str]],
) -> TlsRow {
    TlsRow {
        fault,
        fails,
        blocked,
        errors,
    }
}

pub const TLS_MATRIX: &[TlsRow] = &[
    row(
        "auth-unknown-mechanism-501",
        &[&["rfc4217.auth.unknown-mechanism"]],
        &[],
        &[],
    ),
    row(
        "auth-234-no-handshake",
        &[&["rfc4217.auth.tls-accepted"]],
        &[AFTER_STARTTLS],
        &[STARTS_PROTECTED],
    ),
    row(
        "pbsz-before-auth-accepted",
        &[&["rfc4217.pbsz.before-auth"]],
        &[],
        &[],
    ),
    row(
        "pbsz-zero-refused",
        &[&["rfc4217.pbsz.zero-accepted"]],
        &[&["rfc4217.prot.private-data-is-tls"]],
        &[STARTS_PROTECTED],
    ),
    row(
        "pbsz-prot-order-not-enforced",
        &[&["rfc4217.prot.before-pbsz"]],
        &[],
        &[],
    ),
    row(
        "prot-any-level-200",
        &[&[
            "rfc4217.prot.unknown-level",
            "rfc4217.prot.unsupported-level",
        ]],
        &[],
        &[],
    ),
    row("prot-c-ignored", &[&["rfc4217.prot.clear-data"]], &[], &[]),
    row(
        "prot-p-data-in-clear",
        &[&[
            "rfc4217.data.clear-connection-not-served",
            "rfc4217.prot.private-data-is-tls",
        ]],
        // Every protected transfer fails: the preflight finds no transfer command, and the
        // ABOR scenario cannot read the first bytes of its RETR.
        &[
            UNRESUMED,
            &["rfc4217.abor.in-band", "rfc4217.prot.clear-data"],
        ],
        &[],
    ),
    row(
        "tls-no-session-reuse-check",
        &[&["rfc4217.data.unresumed-session-refused"]],
        &[],
        &[],
    ),
    row("tls-reuse-refusal-silent", &[UNRESUMED], &[], &[]),
    row(
        "plain-login-when-tls-required",
        &[&["rfc4217.auth.clear-login-refused"]],
        &[],
        &[],
    ),
    row(
        "feat-omits-tls",
        &[&["rfc4217.feat.lists-security"]],
        &[],
        &[],
    ),
    row(
        "ccc-533-when-protected",
        &[&["rfc4217.ccc.protected"]],
        &[],
        &[],
    ),
    row("abor-ignored", &[&["rfc4217.abor.in-band"]], &[], &[]),
    row("abor-no-226", &[&["rfc4217.abor.in-band"]], &[], &[]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_tls_server_passes_the_rfc4217_suite() {
    let report = run_tls_suite(FaultSet::default()).await;
    assert!(report.outcomes.len() >= 16, "the RFC 4217 suite ran");
    for o in &report.outcomes {
        assert!(o.id.starts_with(RFC4217), "{}", o.id);
        assert_eq!(
            o.verdict,
            Verdict::Pass,
            "{} against the clean TLS server: {:?} {:?}\n{:?}",
            o.id,
            o.reason,
            o.failure,
            o.transcript
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tls_fault_fails_exactly_its_scenarios() {
    let clean = skipped(&run_tls_suite(FaultSet::default()).await);
    let mut reports = Vec::new();
    for batch in TLS_MATRIX.chunks(6) {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, row) in batch.iter().enumerate() {
            let name = row.fault;
            let fault: Fault = name.parse().unwrap_or_else(|_| panic!("{name} is a fault"));
            tasks.spawn(async move { (index, run_tls_suite([fault].into_iter().collect()).await) });
        }
        let mut done = tasks.join_all().await;
        done.sort_by_key(|(index, _)| *index);
        reports.extend(done.into_iter().map(|(_, report)| report));
    }
    for (row, report) in TLS_MATRIX.iter().zip(reports) {
        let expected = Expected {
            fails: aimed_at(row.fails),
            blocked: aimed_at(row.blocked),
            errors: aimed_at(row.errors),
        };
        assert_row(row.fault, &expected, &clean, &report);
    }
}
