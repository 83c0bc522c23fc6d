//! The console report of a several-target run: each target's header, recap and summary (the
//! whole report under `--verbose`), then one table of areas down the side and targets across.
//!
//! ```text
//! ══ [1] v4: ftp://127.0.0.1:2121
//! ftpspec 0.1.0 → ftp://anonymous@127.0.0.1:2121 (220 pyftpdlib 2.2.0 ready.)
//! …
//! 98 scenarios: 83 passed, 4 failed, 11 expected (XFAIL) in 31.2s
//!
//! by area: held/judged (held: PASS, INFO, XFAIL); F failed, X unexpected pass, B blocked, E error, W warned, S skipped
//! area                 [1] v4         [2] v6
//! rfc2428.eprt         9/11 F2        9/11 F2
//! rfc959.port          6/6            6/6
//! all                  83/96 F4 W1 S2 83/96 F4 W1 S2
//! ```
//!
//! A cell counts the scenarios of its area that held (PASS, INFO, or a deviation the expectation
//! file expected) over those judged (all but SKIP), then a letter and count for each kind that
//! did not hold. Letters carry the meaning without colour; with colour the cell takes the colour
//! of its worst verdict. Labels and areas are untrusted (a label may come from a banner) and go
//! through [`printable`].

use super::console::{ConsoleOptions, Paint, paint, render_compact, render_with};
use super::text::printable;
use crate::runner::outcome::{ExpectationStatus, Outcome, RunReport, Verdict};
use std::io::{self, Write};

/// Widest label shown in a column heading; longer ones are cut with `…`.
const MAX_LABEL: usize = 24;

/// The whole console report of a several-target run. `warnings[i]` are the run warnings of
/// `reports[i]` (see [`render_with`]).
pub fn render_many(
    reports: &[RunReport],
    warnings: &[Vec<String>],
    opts: &ConsoleOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (i, report) in reports.iter().enumerate() {
        let heading = format!("══ [{}] {}: {}", i + 1, label(report), report.target);
        writeln!(out, "{}", paint(&printable(&heading), Paint::Bold, opts))?;
        let warned = warnings.get(i).map(Vec::as_slice).unwrap_or(&[]);
        match opts.verbose {
            true => render_with(report, warned, opts, out)?,
            false => render_compact(report, warned, opts, out)?,
        }
        writeln!(out)?;
    }
    for line in area_table(reports, opts) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn label(report: &RunReport) -> &str {
    report.label.as_deref().unwrap_or(&report.target)
}

/// How the scenarios of one area fared on one target.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    held: usize,
    failed: usize,
    xpass: usize,
    blocked: usize,
    error: usize,
    warned: usize,
    skipped: usize,
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        let status = o.expectation.as_ref().map(|e| e.status);
        let slot = match (status, o.verdict) {
            (Some(ExpectationStatus::Expected), _) => &mut self.held,
            (Some(ExpectationStatus::UnexpectedPass), _) => &mut self.xpass,
            (_, Verdict::Pass | Verdict::Info) => &mut self.held,
            (_, Verdict::Fail) => &mut self.failed,
            (_, Verdict::Warn) => &mut self.warned,
            (_, Verdict::Blocked) => &mut self.blocked,
            (_, Verdict::Error) => &mut self.error,
            (_, Verdict::Skip) => &mut self.skipped,
        };
        *slot += 1;
    }

    fn judged(&self) -> usize {
        self.held + self.failed + self.xpass + self.blocked + self.error + self.warned
    }

    /// `9/11 F2`, `-/0 S3` when nothing was judged.
    fn text(&self) -> String {
        let judged = self.judged();
        let mut text = match judged {
            0 => "-".to_string(),
            n => format!("{}/{n}", self.held),
        };
        let letters = [
            ('F', self.failed),
            ('X', self.xpass),
            ('B', self.blocked),
            ('E', self.error),
            ('W', self.warned),
            ('S', self.skipped),
        ];
        for (letter, n) in letters.into_iter().filter(|&(_, n)| n > 0) {
            text.push_str(&format!(" {letter}{n}"));
        }
        text
    }

    /// The colour of the worst thing in the cell.
    fn paint(&self) -> Paint {
        if self.failed > 0 || self.xpass > 0 {
            Paint::Verdict(Verdict::Fail)
        } else if self.error > 0 {
            Paint::Verdict(Verdict::Error)
        } else if self.blocked > 0 {
            Paint::Verdict(Verdict::Blocked)
        } else if self.warned > 0 {
            Paint::Verdict(Verdict::Warn)
        } else if self.held > 0 {
            Paint::Verdict(Verdict::Pass)
        } else {
            Paint::Verdict(Verdict::Skip)
        }
    }
}

/// Every area of any report, in ID order.
fn areas(reports: &[RunReport]) -> Vec<&str> {
    let mut areas: Vec<&str> = reports
        .iter()
        .flat_map(|r| r.outcomes.iter().map(|o| o.area.as_str()))
        .collect();
    areas.sort_unstable();
    areas.dedup();
    areas
}

fn tally<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Option<Tally> {
    let mut tally = None::<Tally>;
    for o in outcomes {
        tally.get_or_insert_with(Tally::default).add(o);
    }
    tally
}

/// The per-area table, with a legend line above it and an `all` row below.
pub fn area_table(reports: &[RunReport], opts: &ConsoleOptions) -> Vec<String> {
    let areas = areas(reports);
    let headings: Vec<String> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "[{}] {}",
                i + 1,
                cut_middle(&printable(label(r)), MAX_LABEL)
            )
        })
        .collect();
    let rows: Vec<(String, Vec<Option<Tally>>)> = areas
        .iter()
        .map(|area| {
            let cells = reports
                .iter()
                .map(|r| tally(r.outcomes.iter().filter(|o| o.area == *area)))
                .collect();
            (printable(area).into_owned(), cells)
        })
        .chain(std::iter::once((
            "all".to_string(),
            reports.iter().map(|r| tally(r.outcomes.iter())).collect(),
        )))
        .collect();
    let area_width = rows.iter().map(|(a, _)| width(a)).max().unwrap_or(0).max(4);
    let widths: Vec<usize> = headings
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .filter_map(|(_, cells)| cells[i].map(|t| width(&t.text())))
                .chain([width(h)])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut lines = vec![
        paint(
            "by area: held/judged (held: PASS, INFO, XFAIL); F failed, X unexpected pass, \
             B blocked, E error, W warned, S skipped",
            Paint::Bold,
            opts,
        ),
        {
            let mut line = pad("area", area_width);
            for (h, w) in headings.iter().zip(&widths) {
                line.push_str("  ");
                line.push_str(&pad(h, *w));
            }
            paint(line.trim_end(), Paint::Bold, opts)
        },
    ];
    for (area, cells) in rows {
        let mut line = pad(&area, area_width);
        for (cell, w) in cells.iter().zip(&widths) {
            line.push_str("  ");
            let text = match cell {
                Some(t) => paint(&pad(&t.text(), *w), t.paint(), opts),
                None => pad("—", *w),
            };
            line.push_str(&text);
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

fn width(text: &str) -> usize {
    text.chars().count()
}

fn pad(text: &str, to: usize) -> String {
    format!("{text}{}", " ".repeat(to.saturating_sub(width(text))))
}

/// At most `max` characters: a longer text keeps its start and its end with `…` between, since
/// labels that differ often differ at the end (`… IPv4`, `… IPv6`).
pub(crate) fn cut_middle(text: &str, max: usize) -> String {
    let n = width(text);
    if n <= max {
        return text.to_string();
    }
    let tail = (max - 1) / 2;
    let head = max - 1 - tail;
    let chars: Vec<char> = text.chars().collect();
    chars[..head]
        .iter()
        .chain(['…'].iter())
        .chain(&chars[n - tail..])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{expectation_report, sample_report};

    const PLAIN: ConsoleOptions = ConsoleOptions {
        color: false,
        verbose: false,
    };

    fn labelled(label: &str) -> RunReport {
        let mut r = sample_report();
        r.label = Some(label.into());
        r
    }

    #[test]
    fn the_table_has_a_row_per_area_and_a_cell_per_target() {
        let mut v6 = labelled("v6 \x1b[31mred");
        v6.outcomes.retain(|o| o.area != "rfc959.abor");
        let table = area_table(&[labelled("v4"), v6], &PLAIN);
        let text = table.join("\n");
        assert!(!text.contains('\x1b'), "{text}");
        assert!(table[1].starts_with("area "), "{text}");
        assert!(table[1].contains("[1] v4"), "{text}");
        assert!(table[1].contains("[2] v6 \\x1b[31mred"), "{text}");
        let row = |area: &str| {
            table
                .iter()
                .find(|l| l.starts_with(&format!("{area} ")))
                .unwrap_or_else(|| panic!("no row {area}: {text}"))
                .clone()
        };
        let all = row("all");
        assert!(all.split_whitespace().count() >= 3, "{all}");
        // A target without the area shows a dash, not a count.
        assert!(row("rfc959.abor").ends_with('—'), "{text}");
        assert_eq!(
            table.len(),
            2 + areas(&[sample_report()]).len() + 1,
            "{text}"
        );
    }

    #[test]
    fn cells_count_held_over_judged_and_letter_the_rest() {
        let mut t = Tally::default();
        for o in &sample_report().outcomes {
            t.add(o);
        }
        // The sample: 1 pass, 2 fail, 1 warn, 1 info, 1 skip, 2 blocked, 1 error.
        assert_eq!(t.text(), "2/8 F2 B2 E1 W1 S1");
        assert!(matches!(t.paint(), Paint::Verdict(Verdict::Fail)));
        let skipped = Tally {
            skipped: 3,
            ..Tally::default()
        };
        assert_eq!(skipped.text(), "- S3");
        let mut x = Tally::default();
        for o in &expectation_report().outcomes {
            x.add(o);
        }
        // Expected FAILs and an expected BLOCKED hold; the PASS the file expected to fail is X.
        assert_eq!(x.text(), "4/8 X1 B1 E1 W1 S1");
    }

    #[test]
    fn render_many_shows_each_target_compactly_then_the_table() {
        let mut out = Vec::new();
        let warnings = vec![vec!["stale cause".to_string()], Vec::new()];
        render_many(
            &[labelled("v4"), labelled("v6")],
            &warnings,
            &PLAIN,
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("══ [1] v4: ftp://anonymous@127.0.0.1:40123\n"),
            "{text}"
        );
        assert!(text.contains("══ [2] v6: "), "{text}");
        assert!(text.contains("warning: stale cause"), "{text}");
        assert_eq!(text.matches("not passed:").count(), 2, "{text}");
        // Compact: no per-scenario lines with transcripts.
        assert!(!text.contains("transcript:"), "{text}");
        assert!(text.contains("\nby area: "), "{text}");
        assert!(text.trim_end().lines().last().unwrap().starts_with("all "));
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(cut_middle("abcdefg", 5), "ab…fg");
        assert_eq!(cut_middle("abcdef", 4), "ab…f");
        assert_eq!(cut_middle("abc", 4), "abc");
        assert_eq!(
            cut_middle("ftpspec reference server ready IPv4", 24),
            "ftpspec refe… ready IPv4"
        );
    }
}
