//! JUnit XML for a campaign: one failing testcase per finding (its file, oracle and what
//! happened), or a single passing summary testcase when there are none — so CI shows a fuzz
//! stage that ran and found nothing as green, not as "no tests".

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
    if findings.is_empty() {
        let mut case = TestCase::success("fuzz.campaign", time);
        case.set_classname("ftpspec.fuzz");
        case.set_system_out(&clean(&stats.line()));
        suite.add_testcase(case);
    }
    for f in findings {
        let message = clean(&format!("{}: {}", f.oracle, f.detail));
        let mut case =
            TestCase::failure(&clean(&f.id), Duration::ZERO, &clean(&f.oracle), &message);
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
        let mut out = Vec::new();
        write(&Stats::default(), findings, &mut out).unwrap();
        String::from_utf8(out).unwrap()
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
    }
}
