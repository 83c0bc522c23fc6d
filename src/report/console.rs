//! The report for people: a header naming the target, results grouped by area with the details
//! of every failure under it, a recap of what did not pass, and a one-line summary.
//!
//! ```text
//! ftpspec 0.1.0 → ftp://anonymous@127.0.0.1:40123 (220 ftpspec reference server ready)
//!
//! rfc2428.eprt
//!   PASS  ipv4-accepted         EPRT with an IPv4 address is accepted with 200
//!   FAIL  delimiter-del         EPRT with DEL (0x7f) as delimiter is refused with 500/501
//!         RFC2428 §2 MUST: "The delimiter character MUST be one of the ASCII characters …"
//!         at suites/rfc2428/eprt.ftpspec:42: reply 200 is not one of 500 501
//!         expected: 500 501
//!         actual:   200 EPRT command successful
//!         transcript:
//!           +0.000s  control <  220 ftpspec reference server ready\r\n
//!   SKIP  ipv6-accepted         EPRT with an IPv6 address is accepted — control connection is IPv4
//!
//! 3 scenarios: 1 passed, 1 failed, 1 skipped in 840ms
//! ```
//!
//! With expectation files (`--expect`), an expected deviation is labelled `XFAIL` and an
//! unexpected pass `XPASS`, each with the expectation's reason under it; the summary counts
//! them apart from the verdicts (`… 1 failed, 9 expected (XFAIL), 1 unexpected pass (XPASS)`).
//!
//! Colour is decided by the caller ([`ConsoleOptions::color`]), never by whether the output is a
//! terminal: the escape sequences are built here (with `colored`'s colour codes) rather than
//! through `colored`'s global switch, which looks at stdout.

use super::text::{
    expectation_line, failure_lines, group_by_area, printable, seconds, short_name,
    transcript_lines,
};
use crate::runner::outcome::{ExpectationStatus, Outcome, RunReport, Verdict};
use colored::Color;
use std::io::{self, Write};

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsoleOptions {
    /// Emit ANSI colour sequences (the CLI decides from `--color` and `NO_COLOR`).
    pub color: bool,
    /// Show notes of every outcome, transcripts of passing scenarios, and whole transcripts.
    pub verbose: bool,
}

/// Most transcript entries shown for one scenario unless verbose: the end of a dialogue is
/// where it broke.
const TRANSCRIPT_TAIL: usize = 40;
/// Indent of the lines under an outcome line (under its short name).
const DETAIL: &str = "        ";
/// Indent of transcript lines.
const ENTRY: &str = "          ";
/// Width of the short-name column.
const NAME_WIDTH: usize = 20;

/// The whole report for people: header, results grouped by area, failure details, summary.
pub fn render(report: &RunReport, opts: &ConsoleOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", header(report, opts))?;
    for (area, outcomes) in group_by_area(&report.outcomes) {
        writeln!(out)?;
        writeln!(out, "{}", paint(&printable(area), Paint::Bold, opts))?;
        for outcome in outcomes {
            writeln!(out, "{}", outcome_line(outcome, opts))?;
            for line in details(outcome, opts) {
                writeln!(out, "{line}")?;
            }
        }
    }
    let recap = recap(report, opts);
    if !recap.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint("not passed:", Paint::Bold, opts))?;
        for line in recap {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report, opts))
}

/// One line for one outcome, for live progress as scenarios finish (same format as in `render`).
pub fn outcome_line(outcome: &Outcome, opts: &ConsoleOptions) -> String {
    let label = outcome_label(outcome, opts);
    let name = printable(short_name(outcome));
    let title = printable(&outcome.title);
    let line = format!("  {label} {name:<NAME_WIDTH$}  {title}");
    match outcome
        .reason
        .as_ref()
        .filter(|_| reason_on_line(outcome.verdict))
    {
        Some(reason) => format!("{line} — {}", printable(reason)),
        None => line,
    }
}

/// The summary line: `32 scenarios: 30 passed, 1 failed, 1 skipped in 0.84s` (only non-zero
/// counts after "passed"; every verdict named when present). Expected deviations (XFAIL) and
/// unexpected passes (XPASS) are counted apart, not under their verdicts, so the counts still
/// add up to the total.
pub fn summary_line(report: &RunReport, opts: &ConsoleOptions) -> String {
    let total = report.outcomes.len();
    let noun = if total == 1 { "scenario" } else { "scenarios" };
    let xpass = report.count_expectation(ExpectationStatus::UnexpectedPass);
    let mut counts: Vec<String> = Verdict::ALL
        .into_iter()
        .map(|verdict| {
            let n = report.count_unexpected(verdict);
            (
                verdict,
                if verdict == Verdict::Pass {
                    n.saturating_sub(xpass)
                } else {
                    n
                },
            )
        })
        .filter(|&(verdict, n)| n > 0 || verdict == Verdict::Pass)
        .map(|(verdict, n)| paint(&count_phrase(verdict, n), Paint::Verdict(verdict), opts))
        .collect();
    counts.extend(
        ExpectationStatus::ALL
            .into_iter()
            .filter_map(|status| expectation_phrase(status, report.count_expectation(status)))
            .map(|(phrase, style)| paint(&phrase, style, opts)),
    );
    format!(
        "{total} {noun}: {} in {}",
        counts.join(", "),
        seconds(report.duration)
    )
}

/// `ftpspec 0.1.0 → ftp://anonymous@127.0.0.1:40123 (220 …)`, marking a strict run.
fn header(report: &RunReport, opts: &ConsoleOptions) -> String {
    let tool = paint(
        &format!("ftpspec {}", printable(&report.tool_version)),
        Paint::Bold,
        opts,
    );
    let mut line = format!("{tool} → {}", printable(&report.target));
    if let Some(banner) = &report.banner {
        line.push_str(&format!(" ({})", printable(banner)));
    }
    if report.strict {
        line.push_str(" [strict: a failed SHOULD is FAIL]");
    }
    line
}

/// `1 passed`, `2 warnings`: how the summary names a count of one verdict.
fn count_phrase(verdict: Verdict, n: usize) -> String {
    let plural = |word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match verdict {
        Verdict::Pass => format!("{n} passed"),
        Verdict::Fail => format!("{n} failed"),
        Verdict::Warn => plural("warning"),
        Verdict::Info => format!("{n} info"),
        Verdict::Skip => format!("{n} skipped"),
        Verdict::Blocked => format!("{n} blocked"),
        Verdict::Error => plural("error"),
    }
}

/// `9 expected (XFAIL)`, `1 unexpected pass (XPASS)`; nothing for none, nor for mismatches
/// (they are counted under their verdicts).
fn expectation_phrase(status: ExpectationStatus, n: usize) -> Option<(String, Paint)> {
    if n == 0 {
        return None;
    }
    match status {
        ExpectationStatus::Expected => Some((format!("{n} expected (XFAIL)"), Paint::Xfail)),
        ExpectationStatus::UnexpectedPass => {
            let passes = if n == 1 { "pass" } else { "passes" };
            Some((format!("{n} unexpected {passes} (XPASS)"), Paint::Xpass))
        }
        ExpectationStatus::Mismatch => None,
    }
}

/// SKIP and ERROR carry their reason on the outcome line; the others explain below it.
fn reason_on_line(verdict: Verdict) -> bool {
    match verdict {
        Verdict::Skip | Verdict::Blocked | Verdict::Error => true,
        Verdict::Pass | Verdict::Fail | Verdict::Warn | Verdict::Info => false,
    }
}

/// Outcomes listed again above the summary, so that they do not scroll away: failures,
/// warnings and errors, unless an expectation file expected them, and unexpected passes.
fn needs_attention(outcome: &Outcome) -> bool {
    match expectation_status(outcome) {
        Some(ExpectationStatus::Expected) => false,
        Some(ExpectationStatus::UnexpectedPass) => true,
        Some(ExpectationStatus::Mismatch) | None => match outcome.verdict {
            Verdict::Fail | Verdict::Warn | Verdict::Blocked | Verdict::Error => true,
            Verdict::Pass | Verdict::Info | Verdict::Skip => false,
        },
    }
}

fn expectation_status(outcome: &Outcome) -> Option<ExpectationStatus> {
    outcome.expectation.as_ref().map(|e| e.status)
}

/// `  FAIL  rfc2428.eprt.delimiter-del  (RFC2428 §2 MUST)` for each outcome that needs a look.
fn recap(report: &RunReport, opts: &ConsoleOptions) -> Vec<String> {
    let listed: Vec<&Outcome> = report
        .outcomes
        .iter()
        .filter(|o| needs_attention(o))
        .collect();
    let width = listed
        .iter()
        .map(|o| printable(&o.id).chars().count())
        .max()
        .unwrap_or(0);
    listed
        .into_iter()
        .map(|o| {
            let label = outcome_label(o, opts);
            let spec = format!("{} {} {}", o.spec.rfc, o.spec.section, o.spec.level);
            format!(
                "  {label} {:<width$}  ({})",
                printable(&o.id),
                printable(&spec)
            )
        })
        .collect()
}

/// `PASS ` / `ERROR`: the verdict in its colour, padded to one width outside the colour;
/// `XFAIL` for an expected deviation and `XPASS` for an unexpected pass.
fn outcome_label(outcome: &Outcome, opts: &ConsoleOptions) -> String {
    let (name, style) = match expectation_status(outcome) {
        Some(ExpectationStatus::Expected) => ("XFAIL", Paint::Xfail),
        Some(ExpectationStatus::UnexpectedPass) => ("XPASS", Paint::Xpass),
        Some(ExpectationStatus::Mismatch) | None => {
            (outcome.verdict.as_str(), Paint::Verdict(outcome.verdict))
        }
    };
    let pad = " ".repeat(5usize.saturating_sub(name.len()));
    format!("{}{pad}", paint(name, style, opts))
}

/// The indented lines under an outcome line: what an expectation file says, if anything, then
/// the details of the verdict. An expected deviation shows only where and how it deviated
/// (its transcript when verbose): the expectation's reason already explains it.
fn details(outcome: &Outcome, opts: &ConsoleOptions) -> Vec<String> {
    let mut lines: Vec<String> = expectation_line(outcome)
        .map(|line| format!("{DETAIL}{line}"))
        .into_iter()
        .collect();
    match expectation_status(outcome) {
        Some(ExpectationStatus::Expected) => lines.extend(expected_details(outcome, opts)),
        Some(ExpectationStatus::UnexpectedPass | ExpectationStatus::Mismatch) | None => {
            lines.extend(verdict_details(outcome, opts))
        }
    }
    lines
}

/// Under an XFAIL: `at`, `expected:` and `actual:` (not the requirement, which the reason
/// quotes); notes and transcript only when verbose.
fn expected_details(outcome: &Outcome, opts: &ConsoleOptions) -> Vec<String> {
    let mut lines: Vec<String> = failure_lines(outcome)
        .into_iter()
        .skip(1)
        .map(|l| format!("{DETAIL}{l}"))
        .collect();
    if opts.verbose {
        lines.extend(
            outcome
                .notes
                .iter()
                .map(|n| format!("{DETAIL}note: {}", printable(n))),
        );
        lines.extend(transcript(outcome, opts));
    }
    lines
}

/// The indented lines of a verdict, when no expectation file expected it.
fn verdict_details(outcome: &Outcome, opts: &ConsoleOptions) -> Vec<String> {
    let verbose = opts.verbose;
    let mut lines = Vec::new();
    match outcome.verdict {
        Verdict::Pass | Verdict::Skip => {}
        Verdict::Fail | Verdict::Warn | Verdict::Blocked | Verdict::Error => {
            lines.extend(explanation(outcome, opts));
        }
        Verdict::Info => {
            if let Some(observed) = outcome
                .reason
                .as_ref()
                .or(outcome.failure.as_ref().map(|f| &f.message))
            {
                lines.push(format!("{DETAIL}observed: {}", printable(observed)));
            }
            if verbose {
                lines.extend(
                    failure_lines(outcome)
                        .into_iter()
                        .map(|l| format!("{DETAIL}{l}")),
                );
            }
        }
    }
    if shows_notes(outcome.verdict, verbose) {
        lines.extend(
            outcome
                .notes
                .iter()
                .map(|n| format!("{DETAIL}note: {}", printable(n))),
        );
    }
    if shows_transcript(outcome.verdict, verbose) {
        lines.extend(transcript(outcome, opts));
    }
    lines
}

/// Requirement (in the verdict's colour), location, expected and actual.
fn explanation(outcome: &Outcome, opts: &ConsoleOptions) -> Vec<String> {
    let mut lines = failure_lines(outcome).into_iter();
    let mut out = Vec::new();
    if let Some(first) = lines.next() {
        let style = Paint::Detail(outcome.verdict);
        out.push(format!("{DETAIL}{}", paint(&first, style, opts)));
    }
    out.extend(lines.map(|line| format!("{DETAIL}{line}")));
    out
}

/// Notes are the point of an INFO scenario; for the others they are shown when verbose.
fn shows_notes(verdict: Verdict, verbose: bool) -> bool {
    match verdict {
        Verdict::Info => true,
        Verdict::Pass
        | Verdict::Fail
        | Verdict::Warn
        | Verdict::Skip
        | Verdict::Blocked
        | Verdict::Error => verbose,
    }
}

/// Whether an outcome's transcript is worth showing: always for what went wrong, for the rest
/// only when verbose.
fn shows_transcript(verdict: Verdict, verbose: bool) -> bool {
    match verdict {
        Verdict::Fail | Verdict::Warn | Verdict::Blocked | Verdict::Error => true,
        Verdict::Pass | Verdict::Info | Verdict::Skip => verbose,
    }
}

fn transcript(outcome: &Outcome, opts: &ConsoleOptions) -> Vec<String> {
    let t = &outcome.transcript;
    if t.entries.is_empty() && t.dropped == 0 {
        return Vec::new();
    }
    let limit = if opts.verbose {
        None
    } else {
        Some(TRANSCRIPT_TAIL)
    };
    let mut lines = vec![format!(
        "{DETAIL}{}",
        paint("transcript:", Paint::Dim, opts)
    )];
    lines.extend(
        transcript_lines(t, limit)
            .into_iter()
            .map(|l| format!("{ENTRY}{l}")),
    );
    lines
}

/// What a piece of text should look like when colour is on.
#[derive(Debug, Clone, Copy)]
enum Paint {
    /// A verdict label or count: PASS green, FAIL red bold, WARN yellow, INFO cyan, SKIP blue
    /// and dim, ERROR magenta bold.
    Verdict(Verdict),
    /// A detail line of a verdict: its colour without emphasis.
    Detail(Verdict),
    /// The `XFAIL` label and count: an expected deviation, dim cyan.
    Xfail,
    /// The `XPASS` label and count: an unexpected pass fails the run, red bold.
    Xpass,
    Bold,
    Dim,
}

/// `text` as is when colour is off, else wrapped in an SGR sequence and a reset.
fn paint(text: &str, style: Paint, opts: &ConsoleOptions) -> String {
    if !opts.color || text.is_empty() {
        return text.to_owned();
    }
    let (color, emphasis) = match style {
        Paint::Verdict(verdict) => verdict_style(verdict),
        Paint::Detail(verdict) => (verdict_style(verdict).0, None),
        Paint::Xfail => (Some(Color::Cyan), Some("2")),
        Paint::Xpass => (Some(Color::Red), Some("1")),
        Paint::Bold => (None, Some("1")),
        Paint::Dim => (None, Some("2")),
    };
    let mut codes: Vec<String> = emphasis.into_iter().map(str::to_owned).collect();
    codes.extend(color.map(|c| c.to_fg_str().into_owned()));
    format!("\x1b[{}m{text}\x1b[0m", codes.join(";"))
}

/// Colour and emphasis (`1` bold, `2` dim) of a verdict.
fn verdict_style(verdict: Verdict) -> (Option<Color>, Option<&'static str>) {
    match verdict {
        Verdict::Pass => (Some(Color::Green), None),
        Verdict::Fail => (Some(Color::Red), Some("1")),
        Verdict::Warn => (Some(Color::Yellow), None),
        Verdict::Info => (Some(Color::Cyan), None),
        Verdict::Skip => (Some(Color::Blue), Some("2")),
        Verdict::Blocked => (Some(Color::Blue), Some("1")),
        Verdict::Error => (Some(Color::Magenta), Some("1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{expectation_report, outcome, sample_report};
    use crate::session::transcript::{Channel, Direction};
    use std::time::Duration;

    const PLAIN: ConsoleOptions = ConsoleOptions {
        color: false,
        verbose: false,
    };
    const COLOR: ConsoleOptions = ConsoleOptions {
        color: true,
        verbose: false,
    };
    const VERBOSE: ConsoleOptions = ConsoleOptions {
        color: false,
        verbose: true,
    };

    fn rendered(opts: &ConsoleOptions) -> String {
        let mut out = Vec::new();
        render(&sample_report(), opts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_output_has_the_expected_lines_and_no_escapes() {
        let text = rendered(&PLAIN);
        assert!(!text.contains('\x1b'), "{text}");
        let expected = [
            "ftpspec 0.1.0 → ftp://anonymous@127.0.0.1:40123 (220 ftpspec reference server ready)",
            "rfc2428.eprt",
            "  PASS  ipv4-accepted         EPRT with an IPv4 address is accepted with 200",
            "  FAIL  delimiter-del         EPRT with DEL (0x7f) as delimiter is refused with 500/501",
            "        RFC2428 §2 MUST: \"The delimiter character MUST be one of the ASCII characters \
             in range 33-126 inclusive.\"",
            "        at suites/rfc2428/eprt.ftpspec:42: reply 200 is not one of 500 501",
            "        expected: 500 501",
            "        actual:   200 ok \\x1b[2J]]>",
            "        transcript:",
            "          +0.000s  control <  220 ready\\r\\n",
            "          +0.002s  control >  EPRT \\x7f1\\x7f127.0.0.1\\x7f4000\\x7f\\r\\n",
            "          +0.004s  data    *  connected from 127.0.0.1:40321",
            "          … 3 later entries were not recorded (transcript limit)",
            "  SKIP  ipv6-accepted         EPRT with an IPv6 address is accepted with 200 — \
             control connection is IPv4",
            "  WARN  port-range            EPSV ports come from the configured range",
            "        RFC2428 §2 SHOULD: \"The port SHOULD be in range.\"",
            "  INFO  predictable           Passive ports are not predictable",
            "        observed: ports increase by one",
            "        note: passive ports 40000 40001 40002",
            "        note: step \\x071",
            "  ERROR idle                  ABOR with nothing \\x1b[31mrunning — connection refused ]]> \\x00",
            "6 scenarios: 1 passed, 1 failed, 1 warning, 1 info, 1 skipped, 1 error in 840ms",
        ];
        let lines: Vec<&str> = text.lines().collect();
        for line in expected {
            assert!(lines.contains(&line), "missing line {line:?} in\n{text}");
        }
        assert!(
            !text.contains("note: data port"),
            "PASS notes only when verbose"
        );
        assert!(
            !text.contains("EPRT |1|"),
            "PASS transcript only when verbose"
        );
    }

    #[test]
    fn recap_lists_what_needs_a_look() {
        let text = rendered(&PLAIN);
        let recap = text.split("not passed:\n").nth(1).unwrap();
        assert!(recap.contains("  FAIL  rfc2428.eprt.delimiter-del  (RFC2428 §2 MUST)"));
        assert!(recap.contains("  WARN  rfc2428.epsv.port-range     (RFC2428 §2 SHOULD)"));
        assert!(recap.contains("  ERROR rfc959.abor.idle            (RFC959 §4.1.3 MUST)"));
        assert!(!recap.contains("ipv4-accepted"));
    }

    #[test]
    fn color_output_has_escapes_only_from_us() {
        let text = rendered(&COLOR);
        assert!(
            text.contains("  \x1b[32mPASS\x1b[0m  ipv4-accepted"),
            "{text}"
        );
        assert!(text.contains("\x1b[1;31mFAIL\x1b[0m"));
        assert!(text.contains("\x1b[1;35mERROR\x1b[0m"));
        // The ESC a server put in a reply is still shown escaped, never raw.
        assert!(text.contains("200 ok \\x1b[2J"));
        assert!(!text.contains("\x1b[2J"));
    }

    #[test]
    fn verbose_shows_notes_and_passing_transcripts() {
        let text = rendered(&VERBOSE);
        assert!(text.contains("        note: data port 40321"));
        assert!(text.contains("control >  EPRT |1|127.0.0.1|40321|\\r\\n"));
    }

    #[test]
    fn long_transcripts_show_their_tail() {
        let mut o = outcome("a.b.c", Verdict::Fail);
        for i in 0..50u64 {
            let line = format!("NOOP {i}\r\n");
            o.transcript.push(
                Duration::from_millis(i),
                Channel::Control,
                Direction::Sent,
                line.as_bytes(),
            );
        }
        let lines = details(&o, &PLAIN);
        assert!(lines.contains(&format!("{ENTRY}… 10 earlier entries")));
        assert!(lines.iter().any(|l| l.ends_with("NOOP 49\\r\\n")));
        assert!(!lines.iter().any(|l| l.ends_with("NOOP 9\\r\\n")));
        let all = details(&o, &VERBOSE);
        assert!(all.iter().any(|l| l.ends_with("NOOP 0\\r\\n")));
    }

    #[test]
    fn outcome_line_matches_render() {
        let report = sample_report();
        let text = rendered(&PLAIN);
        for o in &report.outcomes {
            assert!(text.lines().any(|l| l == outcome_line(o, &PLAIN)));
        }
    }

    #[test]
    fn summary_names_only_present_verdicts_after_passed() {
        let mut report = sample_report();
        report.outcomes.retain(|o| o.verdict == Verdict::Fail);
        assert_eq!(
            summary_line(&report, &PLAIN),
            "1 scenario: 0 passed, 1 failed in 840ms"
        );
        report.outcomes.clear();
        assert_eq!(
            summary_line(&report, &PLAIN),
            "0 scenarios: 0 passed in 840ms"
        );
    }

    fn rendered_with_expectations(opts: &ConsoleOptions) -> String {
        let mut out = Vec::new();
        render(&expectation_report(), opts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn expectations_show_xfail_and_xpass_with_their_reasons() {
        let text = rendered_with_expectations(&PLAIN);
        let expected = [
            "  XFAIL delimiter-del         EPRT with DEL (0x7f) as delimiter is refused with 500/501",
            "        expected FAIL (interop/expectations/x.toml:7): server answers 200 \\x1b[2J]]> \
             (rfc2428.eprt.delimiter-del)",
            "        at suites/rfc2428/eprt.ftpspec:42: reply 200 is not one of 500 501",
            "        actual:   200 ok \\x1b[2J]]>",
            "  XPASS ipv4-accepted         EPRT with an IPv4 address is accepted with 200",
            "        unexpected pass: interop/expectations/x.toml:7 expects FAIL: server answers \
             200 \\x1b[2J]]> (rfc2428.eprt.ipv4-accepted)",
            "        interop/expectations/x.toml:7 expects FAIL, not ERROR: server answers 200 \
             \\x1b[2J]]> (rfc959.abor.idle)",
            "6 scenarios: 0 passed, 1 warning, 1 info, 1 skipped, 1 error, 1 expected (XFAIL), \
             1 unexpected pass (XPASS) in 840ms",
        ];
        let lines: Vec<&str> = text.lines().collect();
        for line in expected {
            assert!(lines.contains(&line), "missing line {line:?} in\n{text}");
        }
        // An XFAIL shows no transcript and no requirement unless verbose: the reason explains.
        let xfail = block(&text, "  XFAIL");
        assert!(xfail.len() > 3, "{xfail:?}");
        assert!(
            !xfail.iter().any(|l| l.contains("transcript:")),
            "{xfail:?}"
        );
        assert!(
            !xfail.iter().any(|l| l.contains("RFC2428 §2 MUST")),
            "{xfail:?}"
        );
        let verbose = rendered_with_expectations(&VERBOSE);
        let xfail = block(&verbose, "  XFAIL");
        assert!(xfail.iter().any(|l| l.contains("transcript:")), "{xfail:?}");
    }

    /// The outcome line starting with `start` and the detail lines under it.
    fn block<'t>(text: &'t str, start: &str) -> Vec<&'t str> {
        let mut lines = text.lines().skip_while(|l| !l.starts_with(start));
        let first = lines.next().into_iter();
        first
            .chain(lines.take_while(|l| l.starts_with(DETAIL)))
            .collect()
    }

    #[test]
    fn recap_lists_xpass_but_not_xfail() {
        let text = rendered_with_expectations(&PLAIN);
        let recap = text.split("not passed:\n").nth(1).unwrap();
        assert!(
            recap.contains("  XPASS rfc2428.eprt.ipv4-accepted"),
            "{recap}"
        );
        assert!(recap.contains("  ERROR rfc959.abor.idle"), "{recap}");
        assert!(!recap.contains("delimiter-del"), "{recap}");
    }

    #[test]
    fn xfail_and_xpass_labels_have_their_colours() {
        let text = rendered_with_expectations(&COLOR);
        assert!(
            text.contains("  \x1b[2;36mXFAIL\x1b[0m delimiter-del"),
            "{text}"
        );
        assert!(
            text.contains("  \x1b[1;31mXPASS\x1b[0m ipv4-accepted"),
            "{text}"
        );
        assert!(
            text.contains("\x1b[2;36m1 expected (XFAIL)\x1b[0m"),
            "{text}"
        );
    }
}
