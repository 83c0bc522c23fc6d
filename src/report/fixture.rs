//! Hand-built reports for the reporters' tests: one outcome of every verdict, a transcript with
//! odd bytes (NUL, DEL, ESC, `]]>`, invalid UTF-8), notes, and control characters in the text
//! fields a server can influence.

use crate::runner::outcome::{
    Expectation, ExpectationStatus, Failure, Outcome, RunReport, Verdict,
};
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
        level: Level::Must,
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
    o.level = Level::Should;
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
    o.level = Level::May;
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

/// One outcome of each verdict, in scenario-ID order, as the runner delivers them.
pub(crate) fn sample_report() -> RunReport {
    let mut outcomes = vec![pass(), fail(), warn(), info(), skip(), error()];
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    RunReport {
        tool_version: "0.1.0".into(),
        started_unix: 1_764_193_864,
        target: "ftp://anonymous@127.0.0.1:40123".into(),
        banner: Some("220 ftpspec reference server ready".into()),
        strict: false,
        preflight: None,
        outcomes,
        causes: Vec::new(),
        duration: Duration::from_millis(840),
    }
}

/// The sample report as `--expect` leaves it: the FAIL expected (XFAIL), the PASS expected to
/// fail (XPASS), and the ERROR expected to FAIL (a mismatch, counted as the ERROR it is).
pub(crate) fn expectation_report() -> RunReport {
    let mut report = sample_report();
    for o in &mut report.outcomes {
        let (verdict, status) = match o.verdict {
            Verdict::Fail => (Verdict::Fail, ExpectationStatus::Expected),
            Verdict::Pass => (Verdict::Fail, ExpectationStatus::UnexpectedPass),
            Verdict::Error => (Verdict::Fail, ExpectationStatus::Mismatch),
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
