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
//! Colour is decided by the caller ([`ConsoleOptions::color`]), never by whether the output is a
//! terminal: the escape sequences are built here (with `colored`'s colour codes) rather than
//! through `colored`'s global switch, which looks at stdout.

use super::text::{failure_lines, group_by_area, printable, seconds, short_name, transcript_lines};
use crate::runner::outcome::{Outcome, RunReport, Verdict};
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
    let label = verdict_label(outcome.verdict, opts);
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
/// counts after "passed"; every verdict named when present).
pub fn summary_line(report: &RunReport, opts: &ConsoleOptions) -> String {
    let total = report.outcomes.len();
    let noun = if total == 1 { "scenario" } else { "scenarios" };
    let counts: Vec<String> = Verdict::ALL
        .into_iter()
        .map(|verdict| (verdict, report.count(verdict)))
        .filter(|&(verdict, n)| n > 0 || verdict == Verdict::Pass)
        .map(|(verdict, n)| paint(&count_phrase(verdict, n), Paint::Verdict(verdict), opts))
        .collect();
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
        Verdict::Error => plural("error"),
    }
}

/// SKIP and ERROR carry their reason on the outcome line; the others explain below it.
fn reason_on_line(verdict: Verdict) -> bool {
    match verdict {
        Verdict::Skip | Verdict::Error => true,
        Verdict::Pass | Verdict::Fail | Verdict::Warn | Verdict::Info => false,
    }
}

/// Verdicts listed again above the summary, so that they do not scroll away.
fn needs_attention(verdict: Verdict) -> bool {
    match verdict {
        Verdict::Fail | Verdict::Warn | Verdict::Error => true,
        Verdict::Pass | Verdict::Info | Verdict::Skip => false,
    }
}

/// `  FAIL  rfc2428.eprt.delimiter-del  (RFC2428 §2 MUST)` for each outcome that needs a look.
fn recap(report: &RunReport, opts: &ConsoleOptions) -> Vec<String> {
    let listed: Vec<&Outcome> = report
        .outcomes
        .iter()
        .filter(|o| needs_attention(o.verdict))
        .collect();
    let width = listed
        .iter()
        .map(|o| printable(&o.id).chars().count())
        .max()
        .unwrap_or(0);
    listed
        .into_iter()
        .map(|o| {
            let label = verdict_label(o.verdict, opts);
            let spec = format!("{} {} {}", o.spec.rfc, o.spec.section, o.spec.level);
            format!(
                "  {label} {:<width$}  ({})",
                printable(&o.id),
                printable(&spec)
            )
        })
        .collect()
}

/// `PASS ` / `ERROR`: the verdict in its colour, padded to one width outside the colour.
fn verdict_label(verdict: Verdict, opts: &ConsoleOptions) -> String {
    let name = verdict.as_str();
    let pad = " ".repeat(5usize.saturating_sub(name.len()));
    format!("{}{pad}", paint(name, Paint::Verdict(verdict), opts))
}

/// The indented lines under an outcome line, by verdict.
fn details(outcome: &Outcome, opts: &ConsoleOptions) -> Vec<String> {
    let verbose = opts.verbose;
    let mut lines = Vec::new();
    match outcome.verdict {
        Verdict::Pass | Verdict::Skip => {}
        Verdict::Fail | Verdict::Warn | Verdict::Error => {
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
        Verdict::Pass | Verdict::Fail | Verdict::Warn | Verdict::Skip | Verdict::Error => verbose,
    }
}

/// Whether an outcome's transcript is worth showing: always for what went wrong, for the rest
/// only when verbose.
fn shows_transcript(verdict: Verdict, verbose: bool) -> bool {
    match verdict {
        Verdict::Fail | Verdict::Warn | Verdict::Error => true,
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
        Verdict::Error => (Some(Color::Magenta), Some("1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{outcome, sample_report};
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
}
