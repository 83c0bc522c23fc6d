//! Plain-text pieces shared by the console and JUnit reporters: short names, grouping by area,
//! the detail lines of a failure, transcript lines, and making untrusted strings safe to show.
//!
//! Titles, reasons, failure messages and notes can carry text that a server sent (a reply line
//! quoted in `actual`, say). A hostile server must not be able to drive the reader's terminal
//! with escape sequences or break an XML report with control bytes, so every such string goes
//! through [`printable`] (one line) or [`printable_block`] (keeps line breaks) before it is shown.

use crate::runner::outcome::{Cause, ExpectationStatus, Outcome, RunReport, Verdict};
use crate::session::transcript::{Channel, Direction, Transcript, escape_bytes};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

/// The ID without its area prefix: `rfc2428.eprt.delimiter-del` in area `rfc2428.eprt` →
/// `delimiter-del`. An ID that does not start with its area is shown whole.
pub(crate) fn short_name(outcome: &Outcome) -> &str {
    outcome
        .id
        .strip_prefix(outcome.area.as_str())
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&outcome.id)
}

/// Outcomes grouped by area, areas in order of first appearance (the runner sorts by ID, so
/// this is ID order), outcomes in their original order within an area.
pub(crate) fn group_by_area(outcomes: &[Outcome]) -> Vec<(&str, Vec<&Outcome>)> {
    let mut groups: Vec<(&str, Vec<&Outcome>)> = Vec::new();
    for outcome in outcomes {
        match groups.iter_mut().find(|(area, _)| *area == outcome.area) {
            Some((_, members)) => members.push(outcome),
            None => groups.push((outcome.area.as_str(), vec![outcome])),
        }
    }
    groups
}

/// One line of untrusted text, safe for a terminal and for XML: control characters (C0, DEL,
/// C1, including CR, LF and TAB), Unicode non-characters and bidirectional overrides become
/// visible escapes (`\x1b`, `\n`, `\u{202e}`); everything else is kept as is.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    escape_chars(text, false)
}

/// Like [`printable`] but keeps line feeds and tabs, for multi-line XML text.
pub(crate) fn printable_block(text: &str) -> Cow<'_, str> {
    escape_chars(text, true)
}

fn escape_chars(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let keep = |c: char| (keep_layout && (c == '\n' || c == '\t')) || !needs_escape(c);
    if text.chars().all(keep) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else {
            push_escape(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// Characters that are invalid in XML 1.0 (`Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] |
/// [#xE000-#xFFFD] | [#x10000-#x10FFFF]`), discouraged there (DEL, C1), or able to reorder or
/// hide text on screen (bidi embeddings, overrides and isolates).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{fffe}' | '\u{ffff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escape(out: &mut String, c: char) {
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `RFC2428 §2 MUST: "The delimiter character MUST be …"`: where the requirement comes from
/// and its sentence (quoted here unless the suite already quoted it).
pub(crate) fn requirement_line(outcome: &Outcome) -> String {
    let spec = &outcome.spec;
    let source = format!("{} {} {}", spec.rfc, spec.section, spec.level);
    let sentence = printable(outcome.requirement.trim());
    if sentence.is_empty() {
        source
    } else if sentence.starts_with('"') {
        format!("{source}: {sentence}")
    } else {
        format!("{source}: \"{sentence}\"")
    }
}

/// The lines that explain why a requirement broke: the requirement, then `at FILE:LINE:
/// message`, `expected:` and `actual:` when the outcome has a failure. For a BLOCKED outcome
/// the requirement was never tested, so its line reads `not exercised: RFC959 §4.1.3 MUST: "…"`
/// and the location is the setup step that failed.
pub(crate) fn failure_lines(outcome: &Outcome) -> Vec<String> {
    let requirement = match outcome.verdict {
        Verdict::Blocked => format!("not exercised: {}", requirement_line(outcome)),
        Verdict::Pass
        | Verdict::Fail
        | Verdict::Warn
        | Verdict::Info
        | Verdict::Skip
        | Verdict::Error => requirement_line(outcome),
    };
    let mut lines = vec![requirement];
    if let Some(failure) = &outcome.failure {
        lines.push(format!(
            "at {}: {}",
            printable(&failure.at.to_string()),
            printable(&failure.message)
        ));
        lines.push(format!("expected: {}", printable(&failure.expected)));
        lines.push(format!("actual:   {}", printable(&failure.actual)));
    }
    lines
}

/// The outcome's cause when other scenarios share it, with how many others do: what makes one
/// red scenario read as one of many.
pub(crate) fn shared_cause<'r>(
    report: &'r RunReport,
    outcome: &Outcome,
) -> Option<(&'r Cause, usize)> {
    let cause = report.cause(outcome.cause.as_deref()?)?;
    let others = cause
        .scenarios
        .iter()
        .filter(|id| **id != outcome.id)
        .count();
    (others > 0).then_some((cause, others))
}

/// `1 other scenario`, `6 other scenarios`.
fn others(n: usize) -> String {
    match n {
        1 => "1 other scenario".to_owned(),
        n => format!("{n} other scenarios"),
    }
}

/// `cause c2 (also in 6 other scenarios): EPSV is answered "522 Bad network protocol."`, for an
/// outcome whose cause is shared; `None` for one whose cause is its own.
pub(crate) fn cause_line(report: &RunReport, outcome: &Outcome) -> Option<String> {
    let (cause, n) = shared_cause(report, outcome)?;
    Some(format!(
        "cause {} (also in {}): {}",
        printable(&cause.id),
        others(n),
        printable(&cause.summary)
    ))
}

/// ` (cause c2, shared with 6 other scenarios: EPSV is answered "…")`, to end a one-line
/// message (JUnit `message`); empty for an outcome whose cause is its own.
pub(crate) fn cause_suffix(report: &RunReport, outcome: &Outcome) -> String {
    match shared_cause(report, outcome) {
        Some((cause, n)) => format!(
            " (cause {}, shared with {}: {})",
            printable(&cause.id),
            others(n),
            printable(&cause.summary)
        ),
        None => String::new(),
    }
}

/// What an expectation file says about the outcome, as one line (none without an expectation):
/// `expected FAIL (interop/expectations/vsftpd.toml:12): reason` for an XFAIL,
/// `unexpected pass: … expects FAIL: reason` for an XPASS, and
/// `… expects FAIL, not ERROR: reason` for another verdict.
pub(crate) fn expectation_line(outcome: &Outcome) -> Option<String> {
    let e = outcome.expectation.as_ref()?;
    let source = printable(&e.source);
    let reason = printable(&e.reason);
    Some(match e.status {
        ExpectationStatus::Expected => format!("expected {} ({source}): {reason}", e.verdict),
        ExpectationStatus::UnexpectedPass => {
            format!("unexpected pass: {source} expects {}: {reason}", e.verdict)
        }
        ExpectationStatus::Mismatch => format!(
            "{source} expects {}, not {}: {reason}",
            e.verdict, outcome.verdict
        ),
    })
}

/// `+0.004s`: an offset from the start of a scenario, to the millisecond.
pub(crate) fn offset(at: Duration) -> String {
    format!("+{}.{:03}s", at.as_secs(), at.subsec_millis())
}

/// `0.84s`: a run or scenario duration, to the hundredth of a second.
pub(crate) fn seconds(d: Duration) -> String {
    // Runs against loopback often take milliseconds: `0.00s` would say nothing.
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// `>` for bytes ftpspec sent, `<` for bytes the target sent, `*` for an event.
pub(crate) fn direction_marker(direction: Direction) -> char {
    match direction {
        Direction::Sent => '>',
        Direction::Received => '<',
        Direction::Event => '*',
    }
}

/// The transcript as lines `+0.001s  control >  USER anonymous\r\n`, at most `limit` of the
/// last entries (with a line saying how many earlier ones are hidden), and a line saying how
/// many entries the transcript itself dropped. Bytes go through [`escape_bytes`], so every
/// line is printable ASCII plus the channel name.
pub(crate) fn transcript_lines(transcript: &Transcript, limit: Option<usize>) -> Vec<String> {
    let entries = &transcript.entries;
    let hidden = limit.map_or(0, |limit| entries.len().saturating_sub(limit));
    let mut lines = Vec::with_capacity(entries.len() - hidden + 2);
    if hidden > 0 {
        lines.push(format!("… {hidden} earlier entries"));
    }
    for entry in &entries[hidden..] {
        lines.push(format!(
            "{}  {:<7} {}  {}",
            offset(entry.at),
            printable(channel_name(&entry.channel)),
            direction_marker(entry.direction),
            escape_bytes(&entry.bytes)
        ));
    }
    if transcript.dropped > 0 {
        lines.push(format!(
            "… {} later entries were not recorded (transcript limit)",
            transcript.dropped
        ));
    }
    lines
}

/// `control`, or a data channel's scenario name (`data`, `thief`).
fn channel_name(channel: &Channel) -> &str {
    match channel {
        Channel::Control => "control",
        Channel::Data(name) => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{SAMPLE_AREAS, outcome, sample_report};
    use crate::runner::outcome::Verdict;

    #[test]
    fn short_name_strips_the_area() {
        let o = outcome("rfc2428.eprt.delimiter-del", Verdict::Pass);
        assert_eq!(short_name(&o), "delimiter-del");
        let mut odd = outcome("lonely", Verdict::Pass);
        odd.area = "elsewhere".into();
        assert_eq!(short_name(&odd), "lonely");
    }

    #[test]
    fn groups_keep_first_appearance_order() {
        let report = sample_report();
        let groups = group_by_area(&report.outcomes);
        let areas: Vec<&str> = groups.iter().map(|(a, _)| *a).collect();
        assert_eq!(areas, SAMPLE_AREAS);
        assert_eq!(
            groups.iter().map(|(_, m)| m.len()).sum::<usize>(),
            report.outcomes.len()
        );
    }

    #[test]
    fn printable_escapes_controls_and_bidi() {
        assert_eq!(printable("plain §2 → ok"), "plain §2 → ok");
        assert_eq!(printable("a\x1b[31mb\r\n"), "a\\x1b[31mb\\r\\n");
        assert_eq!(
            printable("\u{85}\u{202e}\u{ffff}\x7f"),
            "\\u{85}\\u{202e}\\u{ffff}\\x7f"
        );
        assert_eq!(printable_block("a\n\tb\x00"), "a\n\tb\\x00");
    }

    #[test]
    fn requirement_is_quoted_once() {
        let mut o = outcome("a.b", Verdict::Fail);
        o.requirement = "It MUST.".into();
        assert_eq!(requirement_line(&o), "RFC2428 §2 MUST: \"It MUST.\"");
        o.requirement = "\"It MUST.\"".into();
        assert_eq!(requirement_line(&o), "RFC2428 §2 MUST: \"It MUST.\"");
        o.requirement = String::new();
        assert_eq!(requirement_line(&o), "RFC2428 §2 MUST");
    }

    #[test]
    fn transcript_is_limited_and_reports_drops() {
        let mut t = Transcript::default();
        for i in 0..5u64 {
            t.push(
                Duration::from_millis(i),
                Channel::Control,
                Direction::Sent,
                b"NOOP\r\n",
            );
        }
        t.dropped = 2;
        let lines = transcript_lines(&t, Some(3));
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0], "… 2 earlier entries");
        assert_eq!(lines[1], "+0.002s  control >  NOOP\\r\\n");
        assert!(lines[4].contains("2 later entries were not recorded"));
        assert_eq!(transcript_lines(&t, None).len(), 6);
    }

    #[test]
    fn a_blocked_requirement_reads_not_exercised() {
        let report = sample_report();
        let find = |id: &str| report.outcomes.iter().find(|o| o.id == id).unwrap();
        let blocked = failure_lines(find("rfc2428.epsv.transfer"));
        assert_eq!(
            blocked[0],
            "not exercised: RFC2428 §3 MUST: \"The port the server listens on carries the transfer.\""
        );
        assert_eq!(
            blocked[1],
            "at suites/rfc2428/epsv.ftpspec:31: reply code 504 is not the one expected"
        );
        let fail = failure_lines(find("rfc959.type.image"));
        assert!(fail[0].starts_with("RFC959 §5.3.2 MUST: "), "{}", fail[0]);
    }

    #[test]
    fn only_a_shared_cause_is_named() {
        let report = sample_report();
        let find = |id: &str| report.outcomes.iter().find(|o| o.id == id).unwrap();
        let shared = find("rfc959.pasv.accepted");
        let summary = "TYPE is answered \"504 Command not implemented for that parameter.\"";
        assert_eq!(
            cause_line(&report, shared).unwrap(),
            format!("cause c5 (also in 2 other scenarios): {summary}")
        );
        assert_eq!(
            cause_suffix(&report, shared),
            format!(" (cause c5, shared with 2 other scenarios: {summary})")
        );
        let own = find("rfc2428.eprt.delimiter-del");
        assert_eq!(own.cause.as_deref(), Some("c1"));
        assert_eq!(cause_line(&report, own), None);
        assert_eq!(cause_suffix(&report, own), "");
        assert_eq!(
            cause_line(&report, find("rfc2428.eprt.ipv4-accepted")),
            None
        );
        // A server's bytes in a summary are escaped like any other text.
        assert_eq!(
            report.causes[0].summary,
            "EPRT is answered \"200 ok \u{1b}[2J]]>\""
        );
        let mut odd = report.clone();
        odd.causes[0].scenarios.push("rfc959.type.image".into());
        let line = cause_line(&odd, own).unwrap();
        assert!(line.ends_with("\"200 ok \\x1b[2J]]>\""), "{line}");
    }
}
