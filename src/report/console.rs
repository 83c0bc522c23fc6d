//! The report for people: a header naming the target, what the preflight found, results
//! grouped by area with the details of every failure under it, a recap of what did not pass
//! (grouped by cause), and a one-line summary.
//!
//! ```text
//! ftpspec 0.1.0 → ftp://anonymous@127.0.0.1:40123 (220 ftpspec reference server ready)
//! preflight: data connections by EPSV; NLST refused (500 Syntax error: NLST requires an argument), LIST works → scenarios transfer with LIST
//!
//! rfc2428.epsv
//!   FAIL    reply-229             EPSV is answered 229 (|||port|)
//!           RFC2428 §3 MUST: "The response to this command includes only the TCP port number …"
//!           at suites/rfc2428/epsv.ftpspec:12: reply code 522 is not the one expected
//!           expected: 229
//!           actual:   522 Bad network protocol.
//!           cause c2 (also in 2 other scenarios): EPSV is answered "522 Bad network protocol."
//!           transcript:
//!             +0.000s  control <  220 ftpspec reference server ready\r\n
//!   BLOCKED transfer              The EPSV port carries a transfer — could not exercise the requirement: EPSV was refused (522 Bad network protocol.)
//!           not exercised: RFC2428 §3 MUST: "…"
//!           at suites/rfc2428/epsv.ftpspec:40: reply code 522 is not the one expected
//!           …
//!   SKIP    ipv6                  EPSV over IPv6 — control connection is IPv4
//!
//! not passed:
//!   cause c2, 3 scenarios: EPSV is answered "522 Bad network protocol."
//!     FAIL    rfc2428.epsv.reply-229  (RFC2428 §3 MUST)
//!     BLOCKED rfc2428.epsv.transfer   (RFC2428 §3 MUST)
//!     FAIL    rfc959.abor.flow        (RFC959 §4.1.3 MUST)
//!   FAIL    rfc2428.eprt.delimiter-del  (RFC2428 §2 MUST)
//!
//! 5 scenarios: 0 passed, 3 failed, 1 skipped, 1 blocked (4 not passed, from 2 causes) in 840ms
//! ```
//!
//! A verdict label is padded to the width of the longest, `BLOCKED`, so that names and titles
//! line up. A BLOCKED outcome carries its reason on its line like SKIP and ERROR, and below it
//! the setup step that failed, like a FAIL, under a `not exercised:` requirement line that is
//! not painted as a failure: that requirement was never tested.
//!
//! Causes: an outcome whose cause other scenarios share says so under its details (`cause c2
//! (also in 2 other scenarios): …`), and the recap lists such scenarios once under their cause.
//! The recap's entries (a shared cause, or a single outcome) come in the order of the scenario
//! that shows each first — scenario-ID order, the order of the cause IDs — so a defect is found
//! where its own scenario sorts, with the scenarios it blocked or broke gathered under it.
//!
//! With expectation files (`--expect`), an expected deviation is labelled `XFAIL` and an
//! unexpected pass `XPASS`, each with the expectation's reason under it; the summary counts
//! them apart from the verdicts (`… 1 failed, 9 expected (XFAIL), 1 unexpected pass (XPASS)`).
//! Warnings about the run itself (an expectation entry whose `cause` matched nothing) can be
//! given to [`render_with`]; they are printed above the summary.
//!
//! Colour is decided by the caller ([`ConsoleOptions::color`]), never by whether the output is a
//! terminal: the escape sequences are built here (with `colored`'s colour codes) rather than
//! through `colored`'s global switch, which looks at stdout.

use super::text::{
    cause_line, expectation_line, failure_lines, group_by_area, printable, seconds, short_name,
    transcript_lines,
};
use crate::runner::TransferChoice;
use crate::runner::outcome::{Cause, ExpectationStatus, Outcome, RunReport, Verdict};
use crate::runner::preflight::Preflight;
use colored::Color;
use std::collections::BTreeSet;
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
/// Width of the verdict label column: the longest label, `BLOCKED`.
const LABEL_WIDTH: usize = 7;
/// Indent of the lines under an outcome line (under its short name): two spaces, the label
/// and one space.
const DETAIL: &str = "          ";
/// Indent of transcript lines.
const ENTRY: &str = "            ";
/// Width of the short-name column.
const NAME_WIDTH: usize = 20;

/// The whole report for people: header, preflight, results grouped by area, failure details,
/// recap, summary.
pub fn render(report: &RunReport, opts: &ConsoleOptions, out: &mut dyn Write) -> io::Result<()> {
    render_with(report, &[], opts, out)
}

/// Like [`render`], with `warnings` about the run (one line each, e.g. what
/// [`ExpectationSet::unmatched_causes`](crate::expectations::ExpectationSet::unmatched_causes)
/// finds) printed as `warning: …` above the summary.
pub fn render_with(
    report: &RunReport,
    warnings: &[String],
    opts: &ConsoleOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_head(report, opts, out)?;
    for (area, outcomes) in group_by_area(&report.outcomes) {
        writeln!(out)?;
        writeln!(out, "{}", paint(&printable(area), Paint::Bold, opts))?;
        for outcome in outcomes {
            writeln!(out, "{}", outcome_line(outcome, opts))?;
            let cause = cause_line(report, outcome);
            for line in details(outcome, cause.as_deref(), opts) {
                writeln!(out, "{line}")?;
            }
        }
    }
    write_tail(report, warnings, opts, out)
}

/// The report of one target among several: header, preflight, the recap of what did not pass
/// and the summary, without the per-scenario lines (the matrix table that follows has them by
/// area; `--verbose` gives every target the whole [`render_with`]).
pub fn render_compact(
    report: &RunReport,
    warnings: &[String],
    opts: &ConsoleOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_head(report, opts, out)?;
    write_tail(report, warnings, opts, out)
}

/// Header, transport and preflight lines.
fn write_head(report: &RunReport, opts: &ConsoleOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", header(report, opts))?;
    if let Some(tls) = &report.tls {
        writeln!(out, "{}", tls_line(tls, opts))?;
    }
    if let Some(preflight) = &report.preflight {
        writeln!(out, "{}", preflight_line(preflight, opts))?;
    }
    Ok(())
}

/// The recap of what did not pass, warnings and the summary line.
fn write_tail(
    report: &RunReport,
    warnings: &[String],
    opts: &ConsoleOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let recap = recap(report, opts);
    if !recap.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint("not passed:", Paint::Bold, opts))?;
        for line in recap {
            writeln!(out, "{line}")?;
        }
    }
    if !warnings.is_empty() {
        writeln!(out)?;
        for warning in warnings {
            let line = format!("warning: {}", printable(warning));
            writeln!(out, "{}", paint(&line, Paint::Warning, opts))?;
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
///
/// When scenarios that did not pass share causes, the line says how many distinct causes they
/// come from: `41 scenarios: 30 passed, 8 failed, 3 blocked (11 not passed, from 4 causes) in
/// 2.10s`. It counts the outcomes of the recap that have a cause (all but XPASS), and is left
/// out when each has its own.
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
    let causes = causes_phrase(report)
        .map(|phrase| format!(" ({phrase})"))
        .unwrap_or_default();
    format!(
        "{total} {noun}: {}{causes} in {}",
        counts.join(", "),
        seconds(report.duration)
    )
}

/// `11 not passed, from 4 causes`, when the recap's outcomes with a cause number more than their
/// distinct causes.
fn causes_phrase(report: &RunReport) -> Option<String> {
    let caused: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| needs_attention(o))
        .filter_map(|o| o.cause.as_deref())
        .collect();
    let distinct = caused.iter().collect::<BTreeSet<_>>().len();
    let noun = if distinct == 1 { "cause" } else { "causes" };
    (distinct < caused.len())
        .then(|| format!("{} not passed, from {distinct} {noun}", caused.len()))
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

/// `tls: FTPS explicit (AUTH TLS): TLSv1.3, …, certificate CN=…`; an unchecked certificate
/// (`--tls-insecure`) is painted like a failure, so nobody mistakes the run for a verified one.
fn tls_line(tls: &crate::runner::TlsReport, opts: &ConsoleOptions) -> String {
    let summary = printable(&tls.summary()).into_owned();
    let summary = match tls.verified {
        true => summary,
        false => paint(&summary, Paint::Verdict(Verdict::Fail), opts),
    };
    format!("{} {summary}", paint("tls:", Paint::Dim, opts))
}

/// `preflight: data connections by EPSV; NLST refused (…), LIST works → scenarios transfer with
/// LIST`. When no data connection or no transfer command worked, the finding is painted like
/// BLOCKED: the scenarios that need a transfer will be.
fn preflight_line(preflight: &Preflight, opts: &ConsoleOptions) -> String {
    let summary = printable(&preflight.summary()).into_owned();
    let crippled = preflight.data_setup.is_none()
        || matches!(preflight.choice, TransferChoice::Unavailable(_));
    let summary = match crippled {
        true => paint(&summary, Paint::Verdict(Verdict::Blocked), opts),
        false => summary,
    };
    format!("{} {summary}", paint("preflight:", Paint::Dim, opts))
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

/// SKIP, BLOCKED and ERROR carry their reason on the outcome line; the others explain below it.
fn reason_on_line(verdict: Verdict) -> bool {
    match verdict {
        Verdict::Skip | Verdict::Blocked | Verdict::Error => true,
        Verdict::Pass | Verdict::Fail | Verdict::Warn | Verdict::Info => false,
    }
}

/// Outcomes listed again above the summary, so that they do not scroll away: failures,
/// warnings, blocked and errors, unless an expectation file expected them, and unexpected
/// passes.
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

/// One entry of the recap: a cause that two or more listed outcomes share, or one outcome.
enum RecapEntry<'r> {
    Shared(&'r Cause, Vec<&'r Outcome>),
    Single(&'r Outcome),
}

impl RecapEntry<'_> {
    /// The scenario that shows the entry first, which places it.
    fn first(&self) -> &str {
        match self {
            RecapEntry::Shared(cause, _) => &cause.first,
            RecapEntry::Single(outcome) => &outcome.id,
        }
    }
}

/// Indent of the recap's single outcomes and cause lines; the outcomes under a cause get two
/// more spaces.
const RECAP: &str = "  ";

/// The recap, each outcome that needs a look as `  FAIL    rfc2428.eprt.delimiter-del  (RFC2428
/// §2 MUST)`; outcomes sharing a cause once under `  cause c2, 3 scenarios: summary` (see the
/// module docs for the order).
fn recap(report: &RunReport, opts: &ConsoleOptions) -> Vec<String> {
    let listed: Vec<&Outcome> = report
        .outcomes
        .iter()
        .filter(|o| needs_attention(o))
        .collect();
    let mut entries: Vec<RecapEntry> = report
        .causes
        .iter()
        .filter_map(|cause| {
            let members: Vec<&Outcome> = listed
                .iter()
                .copied()
                .filter(|o| o.cause.as_deref() == Some(cause.id.as_str()))
                .collect();
            (members.len() > 1).then_some(RecapEntry::Shared(cause, members))
        })
        .collect();
    let grouped: BTreeSet<&str> = entries
        .iter()
        .flat_map(|e| match e {
            RecapEntry::Shared(_, members) => members.iter().map(|o| o.id.as_str()).collect(),
            RecapEntry::Single(_) => Vec::new(),
        })
        .collect();
    entries.extend(
        listed
            .iter()
            .filter(|o| !grouped.contains(o.id.as_str()))
            .map(|o| RecapEntry::Single(o)),
    );
    entries.sort_by(|a, b| a.first().cmp(b.first()));
    // Columns line up: a grouped ID is indented two more spaces and padded two less.
    let width = listed
        .iter()
        .map(|o| {
            printable(&o.id).chars().count() + 2 * usize::from(grouped.contains(o.id.as_str()))
        })
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for entry in entries {
        match entry {
            RecapEntry::Single(o) => lines.push(recap_line(o, RECAP, width, opts)),
            RecapEntry::Shared(cause, members) => {
                let head = format!(
                    "cause {}, {} scenarios:",
                    printable(&cause.id),
                    members.len()
                );
                lines.push(format!(
                    "{RECAP}{} {}",
                    paint(&head, Paint::Bold, opts),
                    printable(&cause.summary)
                ));
                let indent = format!("{RECAP}  ");
                lines.extend(
                    members
                        .into_iter()
                        .map(|o| recap_line(o, &indent, width.saturating_sub(2), opts)),
                );
            }
        }
    }
    lines
}

/// `FAIL    rfc2428.eprt.delimiter-del  (RFC2428 §2 MUST)`, after `indent`, the ID padded to
/// `width`.
fn recap_line(o: &Outcome, indent: &str, width: usize, opts: &ConsoleOptions) -> String {
    let label = outcome_label(o, opts);
    let spec = format!("{} {} {}", o.spec.rfc, o.spec.section, o.spec.level);
    format!(
        "{indent}{label} {:<width$}  ({})",
        printable(&o.id),
        printable(&spec)
    )
}

/// `PASS   ` / `BLOCKED`: the verdict in its colour, padded to [`LABEL_WIDTH`] outside the
/// colour; `XFAIL` for an expected deviation and `XPASS` for an unexpected pass.
fn outcome_label(outcome: &Outcome, opts: &ConsoleOptions) -> String {
    let (name, style) = match expectation_status(outcome) {
        Some(ExpectationStatus::Expected) => ("XFAIL", Paint::Xfail),
        Some(ExpectationStatus::UnexpectedPass) => ("XPASS", Paint::Xpass),
        Some(ExpectationStatus::Mismatch) | None => {
            (outcome.verdict.as_str(), Paint::Verdict(outcome.verdict))
        }
    };
    let pad = " ".repeat(LABEL_WIDTH.saturating_sub(name.len()));
    format!("{}{pad}", paint(name, style, opts))
}

/// The indented lines under an outcome line: what an expectation file says, if anything, then
/// the details of the verdict, with `cause` (the line naming a shared cause, if the outcome's is
/// shared) after where and how it broke. An expected deviation shows only where and how it
/// deviated (its transcript when verbose): the expectation's reason already explains it.
fn details(outcome: &Outcome, cause: Option<&str>, opts: &ConsoleOptions) -> Vec<String> {
    let mut lines: Vec<String> = expectation_line(outcome)
        .map(|line| format!("{DETAIL}{line}"))
        .into_iter()
        .collect();
    match expectation_status(outcome) {
        Some(ExpectationStatus::Expected) => lines.extend(expected_details(outcome, cause, opts)),
        Some(ExpectationStatus::UnexpectedPass | ExpectationStatus::Mismatch) | None => {
            lines.extend(verdict_details(outcome, cause, opts))
        }
    }
    lines
}

/// Under an XFAIL: `at`, `expected:` and `actual:` (not the requirement, which the reason
/// quotes), the shared cause; notes and transcript only when verbose.
fn expected_details(outcome: &Outcome, cause: Option<&str>, opts: &ConsoleOptions) -> Vec<String> {
    let mut lines: Vec<String> = failure_lines(outcome)
        .into_iter()
        .skip(1)
        .chain(cause.map(str::to_owned))
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
fn verdict_details(outcome: &Outcome, cause: Option<&str>, opts: &ConsoleOptions) -> Vec<String> {
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
    lines.extend(cause.map(|line| format!("{DETAIL}{line}")));
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

/// Requirement (in the verdict's colour; dim for BLOCKED, whose requirement was not tested),
/// location, expected and actual.
fn explanation(outcome: &Outcome, opts: &ConsoleOptions) -> Vec<String> {
    let mut lines = failure_lines(outcome).into_iter();
    let mut out = Vec::new();
    if let Some(first) = lines.next() {
        let style = match outcome.verdict {
            Verdict::Blocked => Paint::Dim,
            verdict => Paint::Detail(verdict),
        };
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
pub(crate) enum Paint {
    /// A verdict label or count: PASS green, FAIL red bold, WARN yellow, INFO cyan, SKIP blue
    /// and dim, BLOCKED orange bold (256-colour 208), ERROR magenta bold. BLOCKED gets a colour
    /// of its own because it is neither a pass nor a failure of the requirement (which was never
    /// exercised), not a precondition the target may lack (SKIP), and not the harness failing to
    /// run (ERROR): orange, a barrier across the road, reads "stopped short, look here".
    Verdict(Verdict),
    /// A detail line of a verdict: its colour without emphasis.
    Detail(Verdict),
    /// The `XFAIL` label and count: an expected deviation, dim cyan.
    Xfail,
    /// The `XPASS` label and count: an unexpected pass fails the run, red bold.
    Xpass,
    /// A warning about the run itself (an expectation entry that matched nothing): yellow bold.
    Warning,
    Bold,
    Dim,
}

/// `text` as is when colour is off, else wrapped in an SGR sequence and a reset.
pub(crate) fn paint(text: &str, style: Paint, opts: &ConsoleOptions) -> String {
    if !opts.color || text.is_empty() {
        return text.to_owned();
    }
    let (color, emphasis) = match style {
        Paint::Verdict(verdict) => verdict_style(verdict),
        Paint::Detail(verdict) => (verdict_style(verdict).0, None),
        Paint::Xfail => (Some(Color::Cyan), Some("2")),
        Paint::Xpass => (Some(Color::Red), Some("1")),
        Paint::Warning => (Some(Color::Yellow), Some("1")),
        Paint::Bold => (None, Some("1")),
        Paint::Dim => (None, Some("2")),
    };
    let mut codes: Vec<String> = emphasis.into_iter().map(str::to_owned).collect();
    codes.extend(color.map(|c| c.to_fg_str().into_owned()));
    format!("\x1b[{}m{text}\x1b[0m", codes.join(";"))
}

/// The orange of BLOCKED, from the 256-colour palette (`38;5;208`), which terminals without
/// true colour show too.
const ORANGE: Color = Color::AnsiColor(208);

/// Colour and emphasis (`1` bold, `2` dim) of a verdict.
fn verdict_style(verdict: Verdict) -> (Option<Color>, Option<&'static str>) {
    match verdict {
        Verdict::Pass => (Some(Color::Green), None),
        Verdict::Fail => (Some(Color::Red), Some("1")),
        Verdict::Warn => (Some(Color::Yellow), None),
        Verdict::Info => (Some(Color::Cyan), None),
        Verdict::Skip => (Some(Color::Blue), Some("2")),
        Verdict::Blocked => (Some(ORANGE), Some("1")),
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
            "  PASS    ipv4-accepted         EPRT with an IPv4 address is accepted with 200",
            "  FAIL    delimiter-del         EPRT with DEL (0x7f) as delimiter is refused with 500/501",
            "          RFC2428 §2 MUST: \"The delimiter character MUST be one of the ASCII characters \
             in range 33-126 inclusive.\"",
            "          at suites/rfc2428/eprt.ftpspec:42: reply 200 is not one of 500 501",
            "          expected: 500 501",
            "          actual:   200 ok \\x1b[2J]]>",
            "          transcript:",
            "            +0.000s  control <  220 ready\\r\\n",
            "            +0.002s  control >  EPRT \\x7f1\\x7f127.0.0.1\\x7f4000\\x7f\\r\\n",
            "            +0.004s  data    *  connected from 127.0.0.1:40321",
            "            … 3 later entries were not recorded (transcript limit)",
            "  SKIP    ipv6-accepted         EPRT with an IPv6 address is accepted with 200 — \
             control connection is IPv4",
            "  WARN    port-range            EPSV ports come from the configured range",
            "          RFC2428 §2 SHOULD: \"The port SHOULD be in range.\"",
            "  INFO    predictable           Passive ports are not predictable",
            "          observed: ports increase by one",
            "          note: passive ports 40000 40001 40002",
            "          note: step \\x071",
            "  ERROR   idle                  ABOR with nothing \\x1b[31mrunning — connection refused ]]> \\x00",
            "9 scenarios: 1 passed, 2 failed, 1 warning, 1 info, 1 skipped, 2 blocked, 1 error \
             (6 not passed, from 4 causes) in 840ms",
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
        assert!(recap.contains("  FAIL    rfc2428.eprt.delimiter-del  (RFC2428 §2 MUST)"));
        assert!(recap.contains("  WARN    rfc2428.epsv.port-range     (RFC2428 §2 SHOULD)"));
        assert!(recap.contains("  ERROR   rfc959.abor.idle            (RFC959 §4.1.3 MUST)"));
        assert!(!recap.contains("ipv4-accepted"));
    }

    #[test]
    fn color_output_has_escapes_only_from_us() {
        let text = rendered(&COLOR);
        assert!(
            text.contains("  \x1b[32mPASS\x1b[0m    ipv4-accepted"),
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
        assert!(text.contains("          note: data port 40321"));
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
        let lines = details(&o, None, &PLAIN);
        assert!(lines.contains(&format!("{ENTRY}… 10 earlier entries")));
        assert!(lines.iter().any(|l| l.ends_with("NOOP 49\\r\\n")));
        assert!(!lines.iter().any(|l| l.ends_with("NOOP 9\\r\\n")));
        let all = details(&o, None, &VERBOSE);
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
        report
            .outcomes
            .retain(|o| o.id == "rfc2428.eprt.delimiter-del");
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
            "  XFAIL   delimiter-del         EPRT with DEL (0x7f) as delimiter is refused with 500/501",
            "          expected FAIL (interop/expectations/x.toml:7): server answers 200 \\x1b[2J]]> \
             (rfc2428.eprt.delimiter-del)",
            "          at suites/rfc2428/eprt.ftpspec:42: reply 200 is not one of 500 501",
            "          actual:   200 ok \\x1b[2J]]>",
            "  XPASS   ipv4-accepted         EPRT with an IPv4 address is accepted with 200",
            "          unexpected pass: interop/expectations/x.toml:7 expects FAIL: server answers \
             200 \\x1b[2J]]> (rfc2428.eprt.ipv4-accepted)",
            "          interop/expectations/x.toml:7 expects FAIL, not ERROR: server answers 200 \
             \\x1b[2J]]> (rfc959.abor.idle)",
            "9 scenarios: 0 passed, 1 warning, 1 info, 1 skipped, 1 blocked, 1 error, 3 expected \
             (XFAIL), 1 unexpected pass (XPASS) in 840ms",
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
            recap.contains("  XPASS   rfc2428.eprt.ipv4-accepted"),
            "{recap}"
        );
        assert!(recap.contains("  ERROR   rfc959.abor.idle"), "{recap}");
        assert!(!recap.contains("delimiter-del"), "{recap}");
    }

    #[test]
    fn xfail_and_xpass_labels_have_their_colours() {
        let text = rendered_with_expectations(&COLOR);
        assert!(
            text.contains("  \x1b[2;36mXFAIL\x1b[0m   delimiter-del"),
            "{text}"
        );
        assert!(
            text.contains("  \x1b[1;31mXPASS\x1b[0m   ipv4-accepted"),
            "{text}"
        );
        assert!(
            text.contains("\x1b[2;36m3 expected (XFAIL)\x1b[0m"),
            "{text}"
        );
    }

    #[test]
    fn every_label_is_padded_to_the_width_of_blocked() {
        let text = rendered(&PLAIN);
        let report = sample_report();
        for o in &report.outcomes {
            let line = outcome_line(o, &PLAIN);
            let name = short_name(o);
            assert_eq!(line.find(name), Some(10), "{line}");
            assert!(text.lines().any(|l| l == line), "{line}");
        }
        let recap = text.split("not passed:\n").nth(1).unwrap();
        assert!(recap.contains("\n  ERROR   rfc959.abor.idle "), "{recap}");
        assert!(
            recap.contains("\n    BLOCKED rfc959.pasv.accepted "),
            "{recap}"
        );
    }

    #[test]
    fn blocked_has_its_reason_on_the_line_and_the_setup_step_below() {
        let text = rendered(&PLAIN);
        let expected = [
            "  BLOCKED transfer              The EPSV port carries a transfer — could not exercise \
             the requirement: TYPE was refused (504 Command not implemented for that parameter.); \
             rfc959.type.image tests TYPE on its own",
            "          not exercised: RFC2428 §3 MUST: \"The port the server listens on carries the \
             transfer.\"",
            "          at suites/rfc2428/epsv.ftpspec:31: reply code 504 is not the one expected",
            "          expected: 200",
            "          actual:   504 Command not implemented for that parameter.",
            "          cause c5 (also in 2 other scenarios): TYPE is answered \"504 Command not \
             implemented for that parameter.\"",
            "          transcript:",
            "            +0.000s  control >  TYPE I\\r\\n",
            "            +0.001s  control <  504 Command not implemented for that parameter.\\r\\n",
        ];
        assert_eq!(block(&text, "  BLOCKED transfer"), expected);
    }

    #[test]
    fn blocked_is_painted_apart_and_its_requirement_not_as_a_failure() {
        let text = rendered(&COLOR);
        assert!(
            text.contains("  \x1b[1;38;5;208mBLOCKED\x1b[0m transfer"),
            "{text}"
        );
        assert!(
            text.contains("          \x1b[2mnot exercised: RFC2428 §3 MUST:"),
            "{text}"
        );
        assert!(text.contains("\x1b[1;38;5;208m2 blocked\x1b[0m"), "{text}");
        // A FAIL's requirement is red; BLOCKED's own colour is never that of another verdict.
        assert!(
            text.contains("          \x1b[31mRFC959 §5.3.2 MUST:"),
            "{text}"
        );
        for a in Verdict::ALL {
            for b in Verdict::ALL {
                assert!(
                    a == b || verdict_style(a) != verdict_style(b),
                    "{a} and {b}"
                );
            }
        }
    }

    #[test]
    fn the_tls_line_follows_the_header_and_an_unchecked_certificate_is_loud() {
        let mut report = sample_report();
        report.tls = Some(crate::runner::TlsReport {
            mode: crate::proto::TlsMode::Explicit,
            verified: true,
            version: "TLSv1.3".into(),
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
            subject: Some("CN=ftpspec reference server".into()),
        });
        let text = |report: &RunReport| {
            let mut out = Vec::new();
            render(report, &PLAIN, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let shown = text(&report);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines[1],
            "tls: FTPS explicit (AUTH TLS): TLSv1.3, TLS13_AES_256_GCM_SHA384, certificate \
             CN=ftpspec reference server"
        );
        report.tls.as_mut().unwrap().verified = false;
        assert!(text(&report).contains("NOT VERIFIED (--tls-insecure)"));
    }

    #[test]
    fn the_preflight_is_one_line_under_the_header() {
        let text = rendered(&PLAIN);
        let lines: Vec<&str> = text.lines().take(3).collect();
        // The runner words the finding; the console puts it on the line after the header.
        let summary = crate::report::fixture::preflight().summary();
        assert!(
            summary.starts_with("data connections by EPSV;"),
            "{summary}"
        );
        assert_eq!(lines[1], format!("preflight: {summary}"));
        assert_eq!(lines[2], "", "a blank line before the first area");
        let mut report = sample_report();
        report.preflight = None;
        let mut out = Vec::new();
        render(&report, &PLAIN, &mut out).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("preflight:"));
    }

    #[test]
    fn a_preflight_without_a_transfer_is_painted_like_blocked() {
        let mut preflight = crate::report::fixture::preflight();
        let fine = preflight_line(&preflight, &COLOR);
        assert!(
            fine.starts_with("\x1b[2mpreflight:\x1b[0m data connections"),
            "{fine}"
        );
        preflight.choice = TransferChoice::Unavailable("none works".into());
        let line = preflight_line(&preflight, &COLOR);
        assert!(
            line.starts_with("\x1b[2mpreflight:\x1b[0m \x1b[1;38;5;208mdata connections"),
            "{line}"
        );
        assert!(
            line.ends_with("scenarios that need one are BLOCKED\x1b[0m"),
            "{line}"
        );
    }

    #[test]
    fn the_recap_shows_a_shared_cause_once_with_its_scenarios_under_it() {
        let text = rendered(&PLAIN);
        let recap: Vec<&str> = text
            .split("not passed:\n")
            .nth(1)
            .unwrap()
            .lines()
            .take_while(|l| !l.is_empty())
            .collect();
        let expected = [
            "  FAIL    rfc2428.eprt.delimiter-del  (RFC2428 §2 MUST)",
            "  WARN    rfc2428.epsv.port-range     (RFC2428 §2 SHOULD)",
            "  ERROR   rfc959.abor.idle            (RFC959 §4.1.3 MUST)",
            "  cause c5, 3 scenarios: TYPE is answered \"504 Command not implemented for that \
             parameter.\"",
            "    BLOCKED rfc2428.epsv.transfer     (RFC2428 §3 MUST)",
            "    BLOCKED rfc959.pasv.accepted      (RFC2428 §3 MUST)",
            "    FAIL    rfc959.type.image         (RFC959 §5.3.2 MUST)",
        ];
        assert_eq!(recap, expected);
        let color = rendered(&COLOR);
        assert!(
            color.contains("  \x1b[1mcause c5, 3 scenarios:\x1b[0m TYPE is answered"),
            "{color}"
        );
    }

    #[test]
    fn a_cause_is_a_group_in_the_recap_only_when_two_of_its_outcomes_are_listed() {
        let text = rendered_with_expectations(&PLAIN);
        let recap = text.split("not passed:\n").nth(1).unwrap();
        assert!(!recap.contains("cause c5"), "{recap}");
        assert!(
            recap.contains("\n  BLOCKED rfc2428.epsv.transfer       (RFC2428 §3 MUST)\n"),
            "{recap}"
        );
        assert!(!recap.contains("rfc959.pasv.accepted"), "XFAIL: {recap}");
    }

    #[test]
    fn a_shared_cause_is_named_under_each_of_its_scenarios_only() {
        let text = rendered(&PLAIN);
        for start in [
            "  BLOCKED transfer",
            "  BLOCKED accepted",
            "  FAIL    image",
        ] {
            let lines = block(&text, start);
            assert!(
                lines.iter().any(|l| l.starts_with(
                    "          cause c5 (also in 2 other scenarios): \
                                                    TYPE is answered \"504"
                )),
                "{lines:?}"
            );
        }
        assert!(
            !block(&text, "  FAIL    delimiter-del")
                .iter()
                .any(|l| l.contains("cause"))
        );
        assert!(
            !block(&text, "  ERROR   idle")
                .iter()
                .any(|l| l.contains("cause"))
        );
        // One other scenario is singular; an XFAIL says it too.
        let mut report = sample_report();
        report.outcomes.retain(|o| o.id != "rfc959.pasv.accepted");
        report.causes[4]
            .scenarios
            .retain(|id| id != "rfc959.pasv.accepted");
        let o = report
            .outcomes
            .iter()
            .find(|o| o.id == "rfc959.type.image")
            .unwrap();
        assert_eq!(
            cause_line(&report, o).unwrap(),
            "cause c5 (also in 1 other scenario): TYPE is answered \"504 Command not implemented \
             for that parameter.\""
        );
        let expected = rendered_with_expectations(&PLAIN);
        let xfail = block(&expected, "  XFAIL   image");
        assert!(
            xfail.iter().any(|l| l.contains("cause c5 (also in 2")),
            "{xfail:?}"
        );
    }

    #[test]
    fn the_summary_counts_blocked_and_how_many_causes_when_they_are_shared() {
        let report = sample_report();
        assert_eq!(
            summary_line(&report, &PLAIN),
            "9 scenarios: 1 passed, 2 failed, 1 warning, 1 info, 1 skipped, 2 blocked, 1 error \
             (6 not passed, from 4 causes) in 840ms"
        );
        // Each outcome its own cause: nothing to say.
        let mut own = sample_report();
        own.outcomes
            .retain(|o| o.cause.as_deref() != Some("c5") || o.verdict == Verdict::Fail);
        assert_eq!(
            summary_line(&own, &PLAIN),
            "7 scenarios: 1 passed, 2 failed, 1 warning, 1 info, 1 skipped, 1 error in 840ms"
        );
        // One cause for everything listed.
        let mut one = sample_report();
        one.outcomes.retain(|o| o.cause.as_deref() == Some("c5"));
        assert_eq!(
            summary_line(&one, &PLAIN),
            "3 scenarios: 0 passed, 1 failed, 2 blocked (3 not passed, from 1 cause) in 840ms"
        );
        // Expected outcomes are not counted: one BLOCKED left of the shared cause.
        assert!(
            !summary_line(&expectation_report(), &PLAIN).contains("not passed"),
            "{}",
            summary_line(&expectation_report(), &PLAIN)
        );
    }

    #[test]
    fn warnings_come_above_the_summary() {
        let mut out = Vec::new();
        let warnings = ["x.toml:9: deviation 2: cause \"EPSV*\" matched \x1b[2J".to_string()];
        render_with(&sample_report(), &warnings, &PLAIN, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let tail: Vec<&str> = text.lines().rev().take(3).collect();
        assert_eq!(
            tail[2],
            "warning: x.toml:9: deviation 2: cause \"EPSV*\" matched \\x1b[2J"
        );
        assert_eq!(tail[1], "");
        assert!(tail[0].starts_with("9 scenarios:"), "{text}");
        let mut out = Vec::new();
        render_with(&sample_report(), &warnings, &COLOR, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\x1b[1;33mwarning: x.toml:9:"), "{text}");
        let mut out = Vec::new();
        render(&sample_report(), &PLAIN, &mut out).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("warning:"));
    }
}
