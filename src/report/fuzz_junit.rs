//! JUnit XML for a campaign: a passing `fuzz.campaign` testcase with the campaign's time and
//! numbers (so CI shows a fuzz stage that ran and found nothing as green, not as "no tests",
//! and the suite's time is the campaign's), one failing testcase per finding (its file, oracle
//! and what happened), and a skipped one per unconfirmed finding (its replay did not fail).

use crate::fuzz::campaign::stats::Stats;
use junit_report::{Duration, Report, TestCase, TestSuite};
use std::io::Write;
use std::path::PathBuf;

/// What JUnit needs to know about a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JunitFinding {
    pub id: String,
    pub oracle: String,
    pub detail: String,
    pub path: PathBuf,
    /// Its replay did not fail: a skipped testcase, never a failure.
    pub unconfirmed: bool,
}

/// Writes the report, followed by a newline.
pub fn write(
    stats: &Stats,
    findings: &[JunitFinding],
    out: &mut dyn Write,
) -> Result<(), junit_report::Error> {
    let time = Duration::try_from(std::time::Duration::from_secs_f64(
        stats.elapsed_secs.max(0.0),
    ))
    .unwrap_or(Duration::ZERO);
    let mut suite = TestSuite::new("ftpspec.fuzz");
    // The campaign itself is a passing testcase carrying its time, so the suite's time is the
    // campaign's whatever was found.
    let mut case = TestCase::success("fuzz.campaign", time);
    case.set_classname("ftpspec.fuzz");
    case.set_system_out(&clean(&stats.line()));
    suite.add_testcase(case);
    for f in findings {
        let message = clean(&format!("{}: {}", f.oracle, f.detail));
        let mut case = match f.unconfirmed {
            true => TestCase::skipped(&clean(&f.id)),
            false => TestCase::failure(&clean(&f.id), Duration::ZERO, &clean(&f.oracle), &message),
        };
        if f.unconfirmed {
            case.set_system_err(&clean(&format!(
                "unconfirmed: the scenario did not fail when replayed with the full timeout; {message}"
            )));
        }
        case.set_classname("ftpspec.fuzz");
        case.set_system_out(&clean(&format!(
            "replay: ftpspec run --target <URL> {}",
            f.path.display()
        )));
        suite.add_testcase(case);
    }
    let mut report = Report::new();
    report.add_testsuite(suite);
    let mut xml = Vec::new();
    report.write_xml(&mut xml)?;
    xml.push(b'\n');
    out.write_all(&xml).map_err(junit_report::Error::Io)
}

/// Text safe in XML 1.0: control characters (but TAB and LF) become `?`.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' => c,
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(findings: &[JunitFinding]) -> String {
        let stats = Stats {
            elapsed_secs: 61.5,
            ..Stats::default()
        };
        let mut out = Vec::new();
        write(&stats, findings, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn count(doc: &roxmltree::Document, tag: &str) -> usize {
        doc.descendants().filter(|n| n.has_tag_name(tag)).count()
    }

    #[test]
    fn summary_testcase_when_nothing_found() {
        let text = xml(&[]);
        let doc = roxmltree::Document::parse(&text).unwrap();
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 1);
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("failure"))
                .count(),
            0
        );
    }

    #[test]
    fn one_failure_per_finding() {
        let f = JunitFinding {
            id: "fuzz.silence.0badf00d".into(),
            oracle: "silence".into(),
            detail: "no reply to \"X\"\u{1}".into(),
            path: "out/findings/silence-0badf00d.ftpspec".into(),
            unconfirmed: false,
        };
        let text = xml(&[
            f.clone(),
            JunitFinding {
                id: "fuzz.hang.1".into(),
                ..f
            },
        ]);
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("failure"))
                .count(),
            2
        );
        assert!(text.contains("silence-0badf00d.ftpspec"));
        assert_eq!(count(&doc, "testcase"), 3, "the campaign and two findings");
    }

    #[test]
    fn unconfirmed_findings_are_skipped_and_the_suite_has_the_campaigns_time() {
        let f = JunitFinding {
            id: "fuzz.silence.1".into(),
            oracle: "silence".into(),
            detail: "no reply".into(),
            path: "out/unconfirmed/silence-1.ftpspec".into(),
            unconfirmed: true,
        };
        let text = xml(&[f]);
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(count(&doc, "failure"), 0);
        assert_eq!(count(&doc, "skipped"), 1);
        assert!(
            text.contains("unconfirmed: the scenario did not fail"),
            "{text}"
        );
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .expect("a testsuite");
        let time: f64 = suite
            .attribute("time")
            .unwrap_or("0")
            .parse()
            .unwrap_or(0.0);
        assert!((time - 61.5).abs() < 0.01, "{text}");
    }
}
