//! The CI report: JUnit XML (through `junit-report`, never by hand), valid against the Jenkins
//! xUnit schema that Jenkins, GitLab and GitHub test-report actions read.
//!
//! One `<testsuite>` per area, one `<testcase>` per scenario (`name` = scenario ID, `classname`
//! = area, `time` = duration in seconds). Verdicts map as follows (see `reports/README.md`):
//!
//! | verdict | element                                   | `<system-out>`                      |
//! |---------|-------------------------------------------|-------------------------------------|
//! | PASS    | none                                      | notes, if any                       |
//! | FAIL    | `<failure type="MUST" message=…>details`  | transcript and notes                |
//! | WARN    | none (passes)                             | `WARN (SHOULD): …`, details, transcript |
//! | INFO    | none (passes)                             | `INFO (MAY): …`, notes              |
//! | SKIP    | `<skipped type="SKIP" message=reason>`    | notes, if any                       |
//! | BLOCKED | `<error type="BLOCKED" message=reason>`, the setup step | transcript and notes  |
//! | ERROR   | `<error type="ERROR" message=reason>`     | transcript and notes                |
//!
//! BLOCKED is an `<error>`: the requirement was never exercised, so the test neither passed nor
//! failed, and like ERROR it must not look green. Its message is the reason (`could not exercise
//! the requirement: TYPE was refused (504 …); rfc959.type.image tests TYPE on its own`), its
//! text the setup step that failed (`not exercised: RFC…`, `at`, `expected`, `actual`, the end
//! of the transcript).
//!
//! A FAIL, WARN, BLOCKED or ERROR whose cause other scenarios share says so at the end of its
//! message (for WARN, which has none, of the first line of `<system-out>`): `… (cause c2, shared
//! with 6 other scenarios: EPSV is answered "522 Bad network protocol.")`, so that a CI page full
//! of red reads as the few defects it is.
//!
//! The preflight's finding is the first line of every `<testsuite>`'s `<system-out>`
//! (`preflight: data connections by EPSV; … → scenarios transfer with LIST`): `junit-report`
//! 0.9 writes no `<properties>`, and every area's page then says how its transfers were made.
//! On a protected run the transport comes first, the same way (`transport: FTPS explicit (AUTH
//! TLS): TLSv1.3, …`).
//!
//! With expectation files (`--expect`): an expected deviation (XFAIL) is a passing testcase
//! whose `<system-out>` starts `XFAIL (expected FAIL, FILE:LINE): reason`; an unexpected pass
//! (XPASS) is `<failure type="XPASS" message="unexpected pass: expectation file says FAIL: …">`;
//! any other verdict maps as above, with the expectation as the first line of `<system-out>`.
//!
//! XML 1.0 cannot carry most control characters at all, and `junit-report` writes text as CDATA
//! without splitting `]]>`; so every string goes through `xml_line` or `xml_block` first.

use super::text::{
    cause_line, cause_suffix, expectation_line, failure_lines, printable, printable_block,
    requirement_line, transcript_lines,
};
use crate::runner::outcome::{ExpectationStatus, Outcome, RunReport, Verdict};
use junit_report::{Duration, OffsetDateTime, Report, TestCase, TestSuite};
use std::io::Write;

/// Why a JUnit report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    /// The destination refused the bytes (closed pipe, full disk, permissions).
    #[error("cannot write the JUnit report: {0}")]
    Io(#[source] std::io::Error),
    /// The XML writer failed while encoding the document.
    #[error("cannot encode the JUnit report: {0}")]
    Xml(#[source] junit_report::Error),
}

impl From<junit_report::Error> for JunitError {
    fn from(error: junit_report::Error) -> Self {
        match error {
            junit_report::Error::Io(io) => JunitError::Io(io),
            xml @ junit_report::Error::Xml(_) => JunitError::Xml(xml),
        }
    }
}

/// Most transcript entries quoted in a `<failure>` body; the whole transcript is in
/// `<system-out>`.
const FAILURE_TRANSCRIPT_TAIL: usize = 40;

/// Writes the report as JUnit XML, followed by a newline.
pub fn write(report: &RunReport, out: &mut dyn Write) -> Result<(), JunitError> {
    let mut xml = Vec::new();
    build(report).write_xml(&mut xml)?;
    xml.push(b'\n');
    out.write_all(&xml).map_err(JunitError::Io)
}

/// Writes a several-target run as JUnit XML: one `<testsuite>` per target, named by its label,
/// whose `<system-out>` starts with the target and its greeting; testcases as in [`write`], with
/// `classname` = `LABEL.AREA` (dots of the label made `_`, so CI pages that read classnames
/// as packages group by target, then area).
pub fn write_matrix(reports: &[RunReport], out: &mut dyn Write) -> Result<(), JunitError> {
    let mut junit = Report::new();
    for report in reports {
        let label = report.label.as_deref().unwrap_or(&report.target);
        let mut suite = TestSuite::new(&xml_line(label));
        suite.set_timestamp(timestamp(report));
        let package = label.replace('.', "_");
        suite.add_testcases(report.outcomes.iter().map(|o| {
            let classname = xml_line(&format!("{package}.{}", o.area));
            testcase(report, o, &classname)
        }));
        let mut head = vec![match &report.banner {
            Some(banner) => format!("target: {} ({})", report.target, banner),
            None => format!("target: {}", report.target),
        }];
        head.extend(run_head(report));
        suite.set_system_out(&xml_block(&head.join("\n")));
        junit.add_testsuite(suite);
    }
    let mut xml = Vec::new();
    junit.write_xml(&mut xml)?;
    xml.push(b'\n');
    out.write_all(&xml).map_err(JunitError::Io)
}

/// The run's start, as the suites' timestamp.
fn timestamp(report: &RunReport) -> OffsetDateTime {
    i64::try_from(report.started_unix)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The transport and preflight lines that head every suite's `<system-out>`.
fn run_head(report: &RunReport) -> Vec<String> {
    report
        .tls
        .iter()
        .map(|t| format!("transport: {}", printable(&t.summary())))
        .chain(
            report
                .preflight
                .iter()
                .map(|p| format!("preflight: {}", printable(&p.summary()))),
        )
        .collect()
}

fn build(report: &RunReport) -> Report {
    let timestamp = timestamp(report);
    let head = run_head(report);
    let preflight = (!head.is_empty()).then(|| xml_block(&head.join("\n")));
    let mut junit = Report::new();
    for (area, outcomes) in super::text::group_by_area(&report.outcomes) {
        let mut suite = TestSuite::new(&xml_line(area));
        suite.set_timestamp(timestamp);
        suite.add_testcases(
            outcomes
                .into_iter()
                .map(|o| testcase(report, o, &xml_line(&o.area))),
        );
        if let Some(preflight) = &preflight {
            suite.set_system_out(preflight);
        }
        junit.add_testsuite(suite);
    }
    junit
}

/// The testcase of one outcome; the expectation, else the verdict, decides its element.
fn testcase(report: &RunReport, o: &Outcome, classname: &str) -> TestCase {
    let name = xml_line(&o.id);
    let time = Duration::try_from(o.duration).unwrap_or(Duration::MAX);
    let status = o.expectation.as_ref().map(|e| e.status);
    // ` (cause c2, shared with 6 other scenarios: …)`, or nothing.
    let shared = cause_suffix(report, o);
    let mut case = match status {
        Some(ExpectationStatus::Expected) => TestCase::success(&name, time),
        Some(ExpectationStatus::UnexpectedPass) => unexpected_pass(o, &name, time),
        Some(ExpectationStatus::Mismatch) | None => match o.verdict {
            Verdict::Pass | Verdict::Warn | Verdict::Info => TestCase::success(&name, time),
            Verdict::Fail => failed(o, &name, time, &shared),
            Verdict::Skip => skipped(o, &name),
            Verdict::Blocked => blocked(o, &name, time, &shared),
            Verdict::Error => errored(o, &name, time, &shared),
        },
    };
    case.time = time;
    case.set_classname(classname);
    let out = match status {
        Some(ExpectationStatus::Expected) => expected_out(report, o),
        Some(ExpectationStatus::UnexpectedPass | ExpectationStatus::Mismatch) | None => {
            let mut lines: Vec<String> = expectation_line(o).into_iter().collect();
            lines.push(system_out(o, &shared));
            lines.retain(|l| !l.is_empty());
            lines.join("\n")
        }
    };
    if !out.is_empty() {
        case.set_system_out(&xml_block(&out));
    }
    case
}

/// FAIL: `<failure type="MUST" message="…">` with requirement, location, expected, actual and
/// the end of the transcript.
fn failed(o: &Outcome, name: &str, time: Duration, shared: &str) -> TestCase {
    let message = format!("{}{shared}", message(o));
    let mut case = TestCase::failure(name, time, &o.spec.level.to_string(), &xml_line(&message));
    let mut text = failure_lines(o);
    text.extend(transcript_section(o, Some(FAILURE_TRANSCRIPT_TAIL)));
    if let junit_report::TestResult::Failure { cause, .. } = &mut case.result {
        *cause = Some(xml_block(&text.join("\n")));
    }
    case
}

/// XPASS: `<failure type="XPASS" message="unexpected pass: expectation file says FAIL: …">`:
/// the scenario passed, so the expectation file is out of date (or the scenario changed).
fn unexpected_pass(o: &Outcome, name: &str, time: Duration) -> TestCase {
    let (verdict, reason) = o
        .expectation
        .as_ref()
        .map(|e| (e.verdict.as_str(), e.reason.as_str()))
        .unwrap_or(("a deviation", ""));
    let message = format!("unexpected pass: expectation file says {verdict}: {reason}");
    let mut case = TestCase::failure(name, time, "XPASS", &xml_line(&message));
    let mut text: Vec<String> = expectation_line(o).into_iter().collect();
    text.push(requirement_line(o));
    if let junit_report::TestResult::Failure { cause, .. } = &mut case.result {
        *cause = Some(xml_block(&text.join("\n")));
    }
    case
}

/// `<system-out>` of an XFAIL: the expectation, then the same details, the shared cause,
/// transcript and notes as the verdict would show.
fn expected_out(report: &RunReport, o: &Outcome) -> String {
    let verdict = o.verdict;
    let source = o.expectation.as_ref().map_or("", |e| e.source.as_str());
    let reason = o.expectation.as_ref().map_or("", |e| e.reason.as_str());
    let mut lines = vec![format!(
        "XFAIL (expected {verdict}, {}): {}",
        printable(source),
        printable(reason)
    )];
    let reason = o
        .reason
        .as_deref()
        .map(|r| format!("reason: {}", printable(r)));
    match verdict {
        Verdict::Fail | Verdict::Warn | Verdict::Info => lines.extend(failure_lines(o)),
        Verdict::Blocked => {
            lines.extend(reason);
            lines.extend(failure_lines(o));
        }
        Verdict::Skip | Verdict::Error => lines.extend(reason),
        Verdict::Pass => {}
    }
    lines.extend(cause_line(report, o));
    lines.extend(transcript_section(o, None));
    lines.extend(o.notes.iter().map(|n| format!("note: {}", printable(n))));
    lines.join("\n")
}

/// SKIP: `<skipped type="SKIP" message="reason">`.
fn skipped(o: &Outcome, name: &str) -> TestCase {
    match &o.reason {
        Some(reason) => TestCase::skipped_with_cause(name, "SKIP", &xml_line(reason)),
        None => TestCase::skipped(name),
    }
}

/// BLOCKED: `<error type="BLOCKED" message="could not exercise the requirement: …">` whose
/// text is the setup step that failed and the end of the transcript.
fn blocked(o: &Outcome, name: &str, time: Duration, shared: &str) -> TestCase {
    let reason = o
        .reason
        .as_deref()
        .unwrap_or("could not exercise the requirement");
    let message = format!("{reason}{shared}");
    let mut case = TestCase::error(name, time, "BLOCKED", &xml_line(&message));
    let mut text = failure_lines(o);
    text.extend(transcript_section(o, Some(FAILURE_TRANSCRIPT_TAIL)));
    if let junit_report::TestResult::Error { cause, .. } = &mut case.result {
        *cause = Some(xml_block(&text.join("\n")));
    }
    case
}

/// ERROR: `<error type="ERROR" message="reason">`: the harness could not run the scenario.
fn errored(o: &Outcome, name: &str, time: Duration, shared: &str) -> TestCase {
    let message = format!("{}{shared}", message(o));
    TestCase::error(name, time, "ERROR", &xml_line(&message))
}

/// One line saying what went wrong: the failure message, else the reason, else the title.
fn message(o: &Outcome) -> String {
    let from_failure = o.failure.as_ref().map(|f| f.message.as_str());
    from_failure
        .or(o.reason.as_deref())
        .unwrap_or(&o.title)
        .to_owned()
}

/// What goes in `<system-out>`, by verdict; empty for nothing. `shared` ends the WARN line.
fn system_out(o: &Outcome, shared: &str) -> String {
    let mut lines = Vec::new();
    match o.verdict {
        Verdict::Pass | Verdict::Skip => {}
        Verdict::Fail | Verdict::Blocked | Verdict::Error => {
            lines.extend(transcript_section(o, None))
        }
        Verdict::Warn => {
            lines.push(format!(
                "WARN ({}): {}{shared}",
                o.spec.level,
                printable(&message(o))
            ));
            lines.extend(failure_lines(o));
            lines.extend(transcript_section(o, None));
        }
        Verdict::Info => {
            lines.push(format!(
                "INFO ({}): {}",
                o.spec.level,
                printable(&message(o))
            ));
            lines.push(requirement_line(o));
        }
    }
    lines.extend(o.notes.iter().map(|n| format!("note: {}", printable(n))));
    lines.join("\n")
}

/// `transcript:` and its lines, or nothing when the transcript is empty.
fn transcript_section(o: &Outcome, limit: Option<usize>) -> Vec<String> {
    let t = &o.transcript;
    if t.entries.is_empty() && t.dropped == 0 {
        return Vec::new();
    }
    let mut lines = vec!["transcript:".to_owned()];
    lines.extend(
        transcript_lines(t, limit)
            .into_iter()
            .map(|l| format!("  {l}")),
    );
    lines
}

/// An attribute value: one line, no character XML 1.0 forbids (quick-xml escapes `<&>"'`).
fn xml_line(text: &str) -> String {
    printable(text).into_owned()
}

/// Element text (written as CDATA by `junit-report`): line breaks kept, no forbidden character,
/// and no `]]>`, which would end the CDATA section early.
fn xml_block(text: &str) -> String {
    split_cdata_end(&printable_block(text))
}

/// `]]>` → `]]\x3e`, in the escape notation of the rest of the report (a literal backslash
/// in a transcript is written `\\`, so this cannot be mistaken for sent bytes).
fn split_cdata_end(text: &str) -> String {
    text.replace("]]>", "]]\\x3e")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{SAMPLE_AREAS, expectation_report, outcome, sample_report};
    use std::process::Command;

    const SCHEMA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/jenkins-junit-10.xsd"
    );

    fn xml_of(report: &RunReport) -> String {
        let mut out = Vec::new();
        write(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The testcase named `id` in `doc`.
    fn case_of<'d>(doc: &'d roxmltree::Document<'d>, id: &str) -> roxmltree::Node<'d, 'd> {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(id))
            .unwrap()
    }

    /// The testsuite named `name` in `doc`.
    fn suite_of<'d>(doc: &'d roxmltree::Document<'d>, name: &str) -> roxmltree::Node<'d, 'd> {
        doc.descendants()
            .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(name))
            .unwrap()
    }

    /// The tag names of a node's child elements, in order (`["failure", "system-out"]`).
    fn elements_of(node: roxmltree::Node) -> Vec<String> {
        node.children()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name().to_owned())
            .collect()
    }

    /// The text of a testcase's (or testsuite's) own `<system-out>`.
    fn system_out_of(node: roxmltree::Node) -> String {
        let so = node.children().find(|n| n.has_tag_name("system-out"));
        so.and_then(|n| n.text()).unwrap_or("").to_owned()
    }

    /// Validates with `xmllint` against the Jenkins schema when it is installed; in CI (`CI`
    /// set) a missing xmllint is a failure, since CI installs libxml2-utils.
    fn assert_valid(xml: &str, tag: &str) {
        let available = Command::new("xmllint").arg("--version").output().is_ok();
        if !available {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but xmllint is not installed"
            );
            eprintln!("note: xmllint not found; JUnit schema validation skipped");
            return;
        }
        let path =
            std::env::temp_dir().join(format!("ftpspec-junit-{tag}-{}.xml", std::process::id()));
        std::fs::write(&path, xml).unwrap();
        let run = Command::new("xmllint")
            .args(["--noout", "--schema", SCHEMA])
            .arg(&path)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(
            run.status.success(),
            "xmllint rejected the report:\n{}\n{xml}",
            String::from_utf8_lossy(&run.stderr)
        );
    }

    #[test]
    fn report_with_every_verdict_validates_against_the_jenkins_schema() {
        assert_valid(&xml_of(&sample_report()), "sample");
    }

    /// A several-target run: one suite per target named by its label, classnames under it, the
    /// target and a hostile greeting in its `<system-out>` as text; valid for Jenkins.
    #[test]
    fn matrix_has_one_suite_per_target() {
        let mut v4 = sample_report();
        v4.label = Some("pyftpdlib 2.2 v4".into());
        v4.banner = Some("220 <b>]]>\u{1b}[31m".into());
        let mut v6 = sample_report();
        v6.label = Some("v6".into());
        let mut out = Vec::new();
        write_matrix(&[v4, v6], &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert_valid(&xml, "matrix");
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suites: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .filter_map(|n| n.attribute("name"))
            .collect();
        assert_eq!(suites, ["pyftpdlib 2.2 v4", "v6"]);
        let v4_suite = suite_of(&doc, "pyftpdlib 2.2 v4");
        let cases = v4_suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .count();
        assert_eq!(cases, sample_report().outcomes.len());
        let fail = v4_suite
            .children()
            .find(|n| n.attribute("name") == Some("rfc2428.eprt.delimiter-del"))
            .unwrap();
        assert_eq!(
            fail.attribute("classname"),
            Some("pyftpdlib 2_2 v4.rfc2428.eprt")
        );
        assert_eq!(elements_of(fail)[0], "failure");
        let head = system_out_of(v4_suite);
        assert!(
            head.starts_with("target: ftp://anonymous@127.0.0.1:40123 (220 <b>]]\\x3e\\x1b[31m)"),
            "{head}"
        );
    }

    #[test]
    fn empty_report_validates() {
        let mut report = sample_report();
        report.outcomes.clear();
        let xml = xml_of(&report);
        assert!(roxmltree::Document::parse(&xml).is_ok());
        assert_valid(&xml, "empty");
    }

    #[test]
    fn hostile_text_cannot_break_the_xml() {
        let mut report = sample_report();
        let nasty: String = (0u8..0x20)
            .map(char::from)
            .chain("]]>\u{7f}\u{fffe}<&\"".chars())
            .collect();
        let mut o = outcome("rfc959.hostile.everything", Verdict::Fail);
        o.title = nasty.clone();
        o.reason = Some(nasty.clone());
        o.notes = vec![nasty.clone()];
        o.requirement = nasty.clone();
        report.outcomes.push(o);
        let mut skip = outcome("rfc959.hostile.skip", Verdict::Skip);
        skip.reason = Some(nasty);
        report.outcomes.push(skip);
        let xml = xml_of(&report);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let skipped = doc.descendants().find(|n| {
            n.has_tag_name("skipped") && n.attribute("message").is_some_and(|m| m.contains("]]"))
        });
        assert!(
            skipped
                .unwrap()
                .attribute("message")
                .unwrap()
                .contains("\\x00\\x01")
        );
        assert_valid(&xml, "hostile");
    }

    #[test]
    fn each_verdict_becomes_the_right_element() {
        let xml = xml_of(&sample_report());
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let suites: Vec<&str> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .filter_map(|n| n.attribute("name"))
            .collect();
        assert_eq!(suites, SAMPLE_AREAS);

        let case = |id: &str| case_of(&doc, id);
        let results = |id: &str| elements_of(case(id));
        let out = |id: &str| system_out_of(case(id));

        for o in sample_report().outcomes {
            assert_eq!(
                case(&o.id).attribute("classname"),
                Some(o.area.as_str()),
                "{}",
                o.id
            );
        }
        assert_eq!(
            case("rfc2428.eprt.ipv4-accepted").attribute("time"),
            Some("0.012345")
        );

        assert_eq!(results("rfc2428.eprt.ipv4-accepted"), ["system-out"]);
        assert_eq!(out("rfc2428.eprt.ipv4-accepted"), "note: data port 40321");

        assert_eq!(
            results("rfc2428.eprt.delimiter-del"),
            ["failure", "system-out"]
        );
        let failure = case("rfc2428.eprt.delimiter-del")
            .first_element_child()
            .unwrap();
        assert_eq!(failure.attribute("type"), Some("MUST"));
        assert_eq!(
            failure.attribute("message"),
            Some("reply 200 is not one of 500 501")
        );
        let body = failure.text().unwrap();
        assert!(body.starts_with("RFC2428 §2 MUST: \"The delimiter character MUST"));
        assert!(body.contains("at suites/rfc2428/eprt.ftpspec:42: reply 200"));
        assert!(body.contains("expected: 500 501"));
        assert!(body.contains("actual:   200 ok \\x1b[2J]]\\x3e"));
        assert!(body.contains("control <  200 ok \\x00\\x1b[2J]]\\x3e\\xff\\r\\n"));
        assert!(
            out("rfc2428.eprt.delimiter-del")
                .starts_with("transcript:\n  +0.000s  control <  220 ready")
        );
        assert!(!body.contains("cause"), "its cause is its own: {body}");

        assert_eq!(results("rfc2428.epsv.port-range"), ["system-out"]);
        let warn = out("rfc2428.epsv.port-range");
        assert!(
            warn.starts_with("WARN (SHOULD): port 80 is privileged\nRFC2428 §2 SHOULD:"),
            "{warn}"
        );
        assert!(warn.contains("actual:   229 (|||80|)"));

        assert_eq!(results("rfc2577.ports.predictable"), ["system-out"]);
        let info = out("rfc2577.ports.predictable");
        assert!(info.starts_with("INFO (MAY): ports increase by one"));
        assert!(info.contains("note: passive ports 40000 40001 40002"));

        assert_eq!(results("rfc2428.eprt.ipv6-accepted"), ["skipped"]);
        let skip = case("rfc2428.eprt.ipv6-accepted")
            .first_element_child()
            .unwrap();
        assert_eq!(
            skip.attribute("message"),
            Some("control connection is IPv4")
        );

        assert_eq!(results("rfc959.abor.idle"), ["error"]);
        let error = case("rfc959.abor.idle").first_element_child().unwrap();
        assert_eq!(error.attribute("type"), Some("ERROR"));
        assert_eq!(
            error.attribute("message"),
            Some("connection refused ]]> \\x00")
        );

        assert_eq!(results("rfc2428.epsv.transfer"), ["error", "system-out"]);
        assert_eq!(
            case("rfc2428.epsv.transfer")
                .first_element_child()
                .unwrap()
                .attribute("type"),
            Some("BLOCKED")
        );
    }

    #[test]
    fn suite_counts_match_the_verdicts() {
        let xml = xml_of(&sample_report());
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let eprt = suite_of(&doc, "rfc2428.eprt");
        assert_eq!(eprt.attribute("tests"), Some("3"));
        assert_eq!(eprt.attribute("failures"), Some("1"));
        assert_eq!(eprt.attribute("errors"), Some("0"));
        assert_eq!(eprt.attribute("timestamp"), Some("2025-11-26T21:51:04Z"));
    }

    #[test]
    fn xfail_passes_and_xpass_fails_with_the_expectation() {
        let xml = xml_of(&expectation_report());
        assert_valid(&xml, "expectations");
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let case = |id: &str| case_of(&doc, id);
        let children = |id: &str| elements_of(case(id));
        let out = |id: &str| system_out_of(case(id));

        assert_eq!(children("rfc2428.eprt.delimiter-del"), ["system-out"]);
        let xfail = out("rfc2428.eprt.delimiter-del");
        assert!(
            xfail.starts_with(
                "XFAIL (expected FAIL, interop/expectations/x.toml:7): server answers 200 \\x1b[2J]]\\x3e"
            ),
            "{xfail}"
        );
        assert!(xfail.contains("actual:   200 ok"), "{xfail}");
        assert!(xfail.contains("transcript:"), "{xfail}");

        assert_eq!(
            children("rfc2428.eprt.ipv4-accepted"),
            ["failure", "system-out"]
        );
        let failure = case("rfc2428.eprt.ipv4-accepted")
            .first_element_child()
            .unwrap();
        assert_eq!(failure.attribute("type"), Some("XPASS"));
        let message = failure.attribute("message").unwrap();
        assert!(
            message.starts_with("unexpected pass: expectation file says FAIL: server answers 200"),
            "{message}"
        );
        assert!(
            failure
                .text()
                .unwrap()
                .contains("interop/expectations/x.toml:7")
        );

        assert_eq!(children("rfc959.abor.idle"), ["error", "system-out"]);
        assert!(
            out("rfc959.abor.idle")
                .starts_with("interop/expectations/x.toml:7 expects FAIL, not ERROR:")
        );
        let suite = suite_of(&doc, "rfc2428.eprt");
        assert_eq!(
            suite.attribute("failures"),
            Some("1"),
            "only the XPASS fails"
        );
    }

    const SHARED: &str = " (cause c5, shared with 2 other scenarios: TYPE is answered \"504 \
                          Command not implemented for that parameter.\")";

    #[test]
    fn blocked_is_an_error_whose_text_is_the_setup_step() {
        let xml = xml_of(&sample_report());
        assert_valid(&xml, "blocked");
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let error = case_of(&doc, "rfc2428.epsv.transfer")
            .first_element_child()
            .unwrap();
        assert_eq!(error.tag_name().name(), "error");
        assert_eq!(error.attribute("type"), Some("BLOCKED"));
        assert_eq!(
            error.attribute("message").unwrap(),
            format!(
                "could not exercise the requirement: TYPE was refused (504 Command not \
                 implemented for that parameter.); rfc959.type.image tests TYPE on its own{SHARED}"
            )
        );
        let body: Vec<&str> = error.text().unwrap().lines().collect();
        assert_eq!(
            body,
            [
                "not exercised: RFC2428 §3 MUST: \"The port the server listens on carries the \
                 transfer.\"",
                "at suites/rfc2428/epsv.ftpspec:31: reply code 504 is not the one expected",
                "expected: 200",
                "actual:   504 Command not implemented for that parameter.",
                "transcript:",
                "  +0.000s  control >  TYPE I\\r\\n",
                "  +0.001s  control <  504 Command not implemented for that parameter.\\r\\n",
            ]
        );
        assert!(
            system_out_of(case_of(&doc, "rfc2428.epsv.transfer")).starts_with("transcript:\n"),
            "the whole transcript"
        );
        let suite = suite_of(&doc, "rfc959.pasv");
        assert_eq!(suite.attribute("errors"), Some("1"));
        assert_eq!(suite.attribute("failures"), Some("0"));
    }

    #[test]
    fn a_shared_cause_is_named_in_the_message() {
        let mut report = sample_report();
        // The FAIL of the cause, and a WARN and an ERROR joined to it.
        for o in &mut report.outcomes {
            if o.id == "rfc959.abor.idle" || o.id == "rfc2428.epsv.port-range" {
                o.cause = Some("c5".into());
                report.causes[4].scenarios.push(o.id.clone());
            }
        }
        let others = "shared with 4 other scenarios";
        let xml = xml_of(&report);
        assert_valid(&xml, "causes");
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let message = |id: &str| {
            case_of(&doc, id)
                .first_element_child()
                .and_then(|n| n.attribute("message"))
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            message("rfc959.type.image"),
            format!(
                "reply code 504 is not the one expected (cause c5, {others}: TYPE is answered \
                 \"504 Command not implemented for that parameter.\")"
            )
        );
        assert!(
            message("rfc959.abor.idle").starts_with("connection refused ]]> \\x00 (cause c5, ")
        );
        let warn = system_out_of(case_of(&doc, "rfc2428.epsv.port-range"));
        assert!(
            warn.starts_with(&format!(
                "WARN (SHOULD): port 80 is privileged (cause c5, {others}:"
            )),
            "{warn}"
        );
        // A cause of its own is not named.
        assert_eq!(
            message("rfc2428.eprt.delimiter-del"),
            "reply 200 is not one of 500 501"
        );
    }

    #[test]
    fn an_expected_blocked_passes_with_its_setup_step_and_cause() {
        let xml = xml_of(&expectation_report());
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let case = case_of(&doc, "rfc959.pasv.accepted");
        assert_eq!(
            case.children().filter(|n| n.is_element()).count(),
            1,
            "only system-out"
        );
        let out = system_out_of(case);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("XFAIL (expected BLOCKED, interop/expectations/x.toml:7): "));
        assert!(lines[1].starts_with("reason: could not exercise the requirement: TYPE"));
        assert!(lines[2].starts_with("not exercised: RFC2428 §3 MUST"));
        assert!(lines.contains(&"actual:   504 Command not implemented for that parameter."));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("cause c5 (also in 2 other scenarios): ")),
            "{out}"
        );
    }

    #[test]
    fn every_suite_says_what_the_preflight_found() {
        let report = sample_report();
        let xml = xml_of(&report);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suites: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        assert_eq!(suites.len(), 6);
        let summary = report.preflight.as_ref().unwrap().summary();
        for suite in suites {
            assert_eq!(system_out_of(suite), format!("preflight: {summary}"));
        }
        let mut none = sample_report();
        none.preflight = None;
        let xml = xml_of(&none);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert!(
            !doc.descendants()
                .filter(|n| n.has_tag_name("testsuite"))
                .any(|s| s.children().any(|c| c.has_tag_name("system-out"))),
            "{xml}"
        );
        // A hostile reply quoted in the preflight cannot break the XML.
        let mut hostile = sample_report();
        hostile.preflight.as_mut().unwrap().transfers[0].problem =
            Some("500 ]]> \u{0}\u{1b}[2J".into());
        let xml = xml_of(&hostile);
        assert!(xml.contains("500 ]]\\x3e \\x00\\x1b[2J"), "{xml}");
        assert_valid(&xml, "preflight");
    }
}
