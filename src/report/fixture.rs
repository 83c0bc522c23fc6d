//! Hand-built outcomes and reports for the tests of the reporters (and of whatever else reads
//! outcomes: cause grouping, expectation files): one outcome of every verdict, a transcript with
//! odd bytes (NUL, DEL, ESC, `]]>`, invalid UTF-8), notes, and control characters in the text
//! fields a server can influence; a preflight, and one cause shared by three scenarios (`TYPE I`
//! refused: a FAIL where TYPE is the requirement, two BLOCKED where it was only the setup).
//!
//! The causes are built by hand, as the runner would group them, so that these tests say what
//! the reporters do with causes whatever the grouping rules become.

use crate::runner::TransferChoice;
use crate::runner::outcome::{
    Cause, Expectation, ExpectationStatus, Failure, Outcome, RunReport, Verdict,
};
use crate::runner::preflight::{Preflight, TransferProbe};
use crate::session::transcript::{Channel, Direction, Transcript};
use crate::suite::{Level, Location, Spec};
use std::time::Duration;

/// A bare outcome with the given ID and verdict; its area is the ID without the last part.
pub(crate) fn outcome(id: &str, verdict: Verdict) -> Outcome {
    let area = id.rsplit_once('.').map_or(id, |(area, _)| area);
    Outcome {
        id: id.into(),
        title: format!("title of {id}"),
        area: area.into(),
        spec: Spec {
            rfc: "RFC2428".into(),
            section: "§2".into(),
            level: Level::Must,
        },
        requirement: String::new(),
        tags: vec!["eprt".into()],
        verdict,
        reason: None,
        failure: None,
        notes: Vec::new(),
        covered_by: None,
        cause: None,
        transcript: Transcript::default(),
        duration: Duration::from_micros(12_345),
        expectation: None,
    }
}

fn failure(line: usize, message: &str, expected: &str, actual: &str) -> Failure {
    Failure {
        at: Location {
            file: "suites/rfc2428/eprt.ftpspec".into(),
            line,
        },
        message: message.into(),
        expected: expected.into(),
        actual: actual.into(),
        check: "reply code".into(),
        command: Some("EPRT".into()),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A dialogue with every direction, a data channel, and bytes no report may show raw.
pub(crate) fn odd_transcript() -> Transcript {
    let mut t = Transcript::default();
    t.push(
        ms(0),
        Channel::Control,
        Direction::Received,
        b"220 ready\r\n",
    );
    t.push(
        ms(1),
        Channel::Control,
        Direction::Sent,
        b"USER anonymous\r\n",
    );
    t.push(
        ms(2),
        Channel::Control,
        Direction::Sent,
        b"EPRT \x7f1\x7f127.0.0.1\x7f4000\x7f\r\n",
    );
    t.push(
        ms(3),
        Channel::Control,
        Direction::Received,
        b"200 ok \x00\x1b[2J]]>\xff\r\n",
    );
    t.push(
        ms(4),
        Channel::Data("data".into()),
        Direction::Event,
        b"connected from 127.0.0.1:40321",
    );
    t.dropped = 3;
    t
}

fn pass() -> Outcome {
    let mut o = outcome("rfc2428.eprt.ipv4-accepted", Verdict::Pass);
    o.title = "EPRT with an IPv4 address is accepted with 200".into();
    o.notes = vec!["data port 40321".into()];
    o.transcript.push(
        ms(0),
        Channel::Control,
        Direction::Sent,
        b"EPRT |1|127.0.0.1|40321|\r\n",
    );
    o
}

fn fail() -> Outcome {
    let mut o = outcome("rfc2428.eprt.delimiter-del", Verdict::Fail);
    o.title = "EPRT with DEL (0x7f) as delimiter is refused with 500/501".into();
    o.requirement = "The delimiter character MUST be one of the ASCII characters in range 33-126 \
                     inclusive."
        .into();
    o.reason = Some("reply 200 is not one of 500 501".into());
    o.failure = Some(failure(
        42,
        "reply 200 is not one of 500 501",
        "500 501",
        "200 ok \x1b[2J]]>",
    ));
    o.transcript = odd_transcript();
    o
}

fn warn() -> Outcome {
    let mut o = outcome("rfc2428.epsv.port-range", Verdict::Warn);
    o.title = "EPSV ports come from the configured range".into();
    o.spec.level = Level::Should;
    o.requirement = "The port SHOULD be in range.".into();
    o.reason = Some("port 80 is privileged".into());
    o.failure = Some(failure(
        7,
        "port 80 is privileged",
        "port >= 1024",
        "229 (|||80|)",
    ));
    o
}

fn info() -> Outcome {
    let mut o = outcome("rfc2577.ports.predictable", Verdict::Info);
    o.title = "Passive ports are not predictable".into();
    o.spec = Spec {
        rfc: "RFC2577".into(),
        section: "§8".into(),
        level: Level::May,
    };
    o.reason = Some("ports increase by one".into());
    o.notes = vec![
        "passive ports 40000 40001 40002".into(),
        "step \u{7}1".into(),
    ];
    o
}

fn skip() -> Outcome {
    let mut o = outcome("rfc2428.eprt.ipv6-accepted", Verdict::Skip);
    o.title = "EPRT with an IPv6 address is accepted with 200".into();
    o.reason = Some("control connection is IPv4".into());
    o.duration = Duration::ZERO;
    o
}

fn error() -> Outcome {
    let mut o = outcome("rfc959.abor.idle", Verdict::Error);
    o.title = "ABOR with nothing \u{1b}[31mrunning".into();
    o.spec = Spec {
        rfc: "RFC959".into(),
        section: "§4.1.3".into(),
        level: Level::Must,
    };
    o.reason = Some("connection refused ]]> \u{0}".into());
    o
}

/// The reply the fixture's server gives to `TYPE I`.
pub(crate) const TYPE_REFUSED: &str = "504 Command not implemented for that parameter.";

/// The FAIL of the scenario that tests `TYPE I` on its own.
fn type_fail() -> Outcome {
    let mut o = outcome("rfc959.type.image", Verdict::Fail);
    o.title = "TYPE I is accepted with 200".into();
    o.spec = Spec {
        rfc: "RFC959".into(),
        section: "§5.3.2".into(),
        level: Level::Must,
    };
    o.requirement =
        "The following codes are assigned for TYPE: 200, 500, 501, 504, 421, 530.".into();
    o.reason = Some("reply code 504 is not the one expected".into());
    let mut f = failure(
        5,
        "reply code 504 is not the one expected",
        "200",
        TYPE_REFUSED,
    );
    f.at.file = "suites/rfc959/type.ftpspec".into();
    f.command = Some("TYPE".into());
    o.failure = Some(f);
    o
}

/// A BLOCKED outcome: its `setup` block's `TYPE I` was refused.
fn blocked(id: &str, title: &str) -> Outcome {
    let mut o = outcome(id, Verdict::Blocked);
    o.title = title.into();
    o.spec.section = "§3".into();
    o.requirement = "The port the server listens on carries the transfer.".into();
    o.reason = Some(format!(
        "could not exercise the requirement: TYPE was refused ({TYPE_REFUSED}); \
         rfc959.type.image tests TYPE on its own"
    ));
    let mut f = failure(
        31,
        "reply code 504 is not the one expected",
        "200",
        TYPE_REFUSED,
    );
    f.at.file = "suites/rfc2428/epsv.ftpspec".into();
    f.command = Some("TYPE".into());
    o.failure = Some(f);
    o.covered_by = Some("rfc959.type.image".into());
    o.transcript
        .push(ms(0), Channel::Control, Direction::Sent, b"TYPE I\r\n");
    o.transcript.push(
        ms(1),
        Channel::Control,
        Direction::Received,
        format!("{TYPE_REFUSED}\r\n").as_bytes(),
    );
    o
}

/// What the fixture's preflight found: EPSV works, bare NLST is refused, LIST is chosen.
pub(crate) fn preflight() -> Preflight {
    Preflight {
        data_setup: Some("EPSV".into()),
        setup_failures: Vec::new(),
        transfers: vec![
            TransferProbe {
                command: "NLST".into(),
                problem: Some("500 Syntax error: NLST requires an argument".into()),
            },
            TransferProbe {
                command: "LIST".into(),
                problem: None,
            },
            TransferProbe {
                command: "RETR hello.txt".into(),
                problem: None,
            },
        ],
        choice: TransferChoice::Command("LIST".into()),
        outcomes: Vec::new(),
    }
}

/// The ID of the cause shared by three scenarios in [`sample_report`].
pub(crate) const SHARED: &str = "c5";

/// One cause per outcome with a failure or an error, as the runner numbers them (in the order of
/// the scenario that shows each first); the `TYPE I` refusal is one cause of three scenarios.
fn causes(outcomes: &mut [Outcome]) -> Vec<Cause> {
    let shared = [
        "rfc2428.epsv.transfer",
        "rfc959.pasv.accepted",
        "rfc959.type.image",
    ];
    let own = [
        (
            "c1",
            "rfc2428.eprt.delimiter-del",
            "EPRT is answered \"200 ok \x1b[2J]]>\"",
        ),
        (
            "c2",
            "rfc2428.epsv.port-range",
            "port 80 is privileged (after EPRT): 229 (|||80|)",
        ),
        ("c3", "rfc2577.ports.predictable", "ports increase by one"),
        ("c4", "rfc959.abor.idle", "connection refused ]]> \u{0}"),
    ];
    let mut causes: Vec<Cause> = own
        .iter()
        .map(|(id, scenario, summary)| Cause {
            id: (*id).into(),
            summary: (*summary).into(),
            first: (*scenario).into(),
            scenarios: vec![(*scenario).into()],
        })
        .collect();
    causes.push(Cause {
        id: SHARED.into(),
        summary: format!("TYPE is answered \"{TYPE_REFUSED}\""),
        first: "rfc959.type.image".into(),
        scenarios: shared.iter().map(|s| (*s).into()).collect(),
    });
    for o in outcomes {
        o.cause = causes
            .iter()
            .find(|c| c.scenarios.contains(&o.id))
            .map(|c| c.id.clone());
    }
    causes
}

/// The areas of [`sample_report`], in the order its outcomes come: the groups of every
/// report that groups by area.
pub(crate) const SAMPLE_AREAS: [&str; 6] = [
    "rfc2428.eprt",
    "rfc2428.epsv",
    "rfc2577.ports",
    "rfc959.abor",
    "rfc959.pasv",
    "rfc959.type",
];

/// One outcome of each verdict (BLOCKED twice, sharing a cause with a FAIL), in scenario-ID
/// order, as the runner delivers them, with the preflight that ran before them.
pub(crate) fn sample_report() -> RunReport {
    let mut outcomes = vec![
        pass(),
        fail(),
        warn(),
        info(),
        skip(),
        error(),
        type_fail(),
        blocked("rfc2428.epsv.transfer", "The EPSV port carries a transfer"),
        blocked("rfc959.pasv.accepted", "The PASV port carries a transfer"),
    ];
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    let causes = causes(&mut outcomes);
    RunReport {
        tool_version: "0.1.0".into(),
        started_unix: 1_764_193_864,
        target: "ftp://anonymous@127.0.0.1:40123".into(),
        label: None,
        banner: Some("220 ftpspec reference server ready".into()),
        strict: false,
        preflight: Some(preflight()),
        outcomes,
        causes,
        duration: Duration::from_millis(840),
        tls: None,
    }
}

/// The sample report as `--expect` leaves it: the FAILs expected (XFAIL), the PASS expected to
/// fail (XPASS), the ERROR expected to FAIL (a mismatch, counted as the ERROR it is), and one of
/// the two BLOCKED expected (XFAIL), so that only one outcome of the shared cause is left to see.
pub(crate) fn expectation_report() -> RunReport {
    let mut report = sample_report();
    for o in &mut report.outcomes {
        let (verdict, status) = match o.verdict {
            Verdict::Fail => (Verdict::Fail, ExpectationStatus::Expected),
            Verdict::Pass => (Verdict::Fail, ExpectationStatus::UnexpectedPass),
            Verdict::Error => (Verdict::Fail, ExpectationStatus::Mismatch),
            Verdict::Blocked if o.id == "rfc959.pasv.accepted" => {
                (Verdict::Blocked, ExpectationStatus::Expected)
            }
            Verdict::Warn | Verdict::Info | Verdict::Skip | Verdict::Blocked => continue,
        };
        o.expectation = Some(Expectation {
            verdict,
            reason: format!("server answers 200 \u{1b}[2J]]> ({})", o.id),
            source: "interop/expectations/x.toml:7".into(),
            status,
        });
    }
    report
}
