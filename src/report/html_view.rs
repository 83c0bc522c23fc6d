//! What the HTML matrix shows, as plain strings: the template (`templates/matrix.html`) only
//! places them. Every string that comes from a report goes through [`printable`] here, so that
//! control characters and bidi overrides a server sent become visible escapes (`\x1b`,
//! `\u{202e}`); the template then HTML-escapes it (askama escapes every `{{ }}` by default).
//! Nothing here is trusted markup.

use super::columns::{Column, Entry, Mark, Scenario};
use super::grid::{Grid, Row, Totals};
use super::text::{printable, printable_block};

/// One column's heading and run facts.
pub struct TargetView {
    pub label: String,
    pub target: String,
    pub banner: Option<String>,
    /// `2026-11-27 21:51:04 UTC`, from `run.started_unix`.
    pub started: Option<String>,
    pub tool_version: String,
    pub duration: Option<String>,
    pub strict: bool,
    pub tls: Option<String>,
    pub preflight: Option<String>,
    pub total: usize,
    pub counts: Vec<CountView>,
}

/// `FAIL 3` in a column's totals.
pub struct CountView {
    pub key: &'static str,
    pub word: &'static str,
    pub n: usize,
}

/// A mark in the legend and the verdict filter.
pub struct LegendView {
    pub key: &'static str,
    pub word: &'static str,
    pub meaning: &'static str,
}

pub struct AreaView {
    pub name: String,
    pub rows: Vec<RowView>,
}

pub struct RowView {
    pub id: String,
    /// The ID without its area: `delimiter-del`.
    pub short: String,
    pub title: String,
    /// `RFC2428 §2 MUST`.
    pub spec: String,
    /// What the text filter searches: ID and title, lower case.
    pub search: String,
    /// The keys of the row's cells (`pass fail none`), for the verdict filter.
    pub marks: String,
    pub differs: bool,
    pub cells: Vec<CellView>,
}

pub struct CellView {
    /// The mark's key (`fail`), or `none` for a scenario not in this column's run.
    pub key: &'static str,
    pub word: String,
    /// Says which scenario and target the cell is about, for a screen reader.
    pub context: String,
    pub detail: Option<DetailView>,
}

/// What opens under a cell.
pub struct DetailView {
    pub title: String,
    /// `RFC2428 §2 MUST: "…"`, or `not exercised: …` for BLOCKED.
    pub requirement: String,
    pub reason: Option<String>,
    pub expectation: Option<String>,
    pub failure: Vec<(&'static str, String)>,
    pub cause: Option<String>,
    pub covered_by: Option<String>,
    pub notes: Vec<String>,
    pub duration: String,
    pub transcript: Vec<LineView>,
    pub dropped: usize,
}

/// One transcript entry: `+0.004s  control <  220 ready\r\n`.
pub struct LineView {
    pub at: String,
    pub channel: String,
    /// `sent`, `received`, `event` (a CSS class), or `other`.
    pub direction: &'static str,
    pub arrow: &'static str,
    pub text: String,
}

pub fn targets(columns: &[Column], grid: &Grid<'_>) -> Vec<TargetView> {
    columns
        .iter()
        .zip(&grid.totals)
        .map(|(c, totals)| target(c, totals))
        .collect()
}

fn target(c: &Column, totals: &Totals) -> TargetView {
    let run = &c.run;
    TargetView {
        label: printable(&c.label).into_owned(),
        target: printable(&run.target).into_owned(),
        banner: run.banner.as_deref().map(|b| printable(b).into_owned()),
        started: run.started_unix.map(utc),
        tool_version: printable(&c.tool_version).into_owned(),
        duration: run.duration_ms.map(|ms| format!("{:.2}s", ms / 1000.0)),
        strict: run.strict,
        tls: run.tls.as_ref().map(|t| {
            let subject = t.subject.as_deref().unwrap_or("(no subject)");
            let checked = if t.certificate_verified {
                "verified"
            } else {
                "NOT verified (--tls-insecure)"
            };
            printable(&format!(
                "FTPS {}: {}, {}, certificate {subject} {checked}",
                t.mode, t.version, t.cipher_suite
            ))
            .into_owned()
        }),
        preflight: run
            .preflight
            .as_ref()
            .map(|p| printable(&p.summary).into_owned()),
        total: totals.total,
        counts: totals
            .present()
            .map(|(mark, n)| CountView {
                key: mark.key(),
                word: mark.word(),
                n,
            })
            .collect(),
    }
}

/// The marks to explain and filter by: every known one that occurs, and "not in this run"
/// when a cell is empty.
pub fn legend(grid: &Grid<'_>) -> Vec<LegendView> {
    let mut legend: Vec<LegendView> = Mark::ALL
        .into_iter()
        .filter(|&m| grid.totals.iter().any(|t| t.count(m) > 0))
        .map(|m| LegendView {
            key: m.key(),
            word: m.word(),
            meaning: m.meaning(),
        })
        .collect();
    let missing = grid
        .areas
        .iter()
        .flat_map(|a| &a.rows)
        .any(|r| r.cells.iter().any(Option::is_none));
    if missing {
        legend.push(LegendView {
            key: "none",
            word: "not in run",
            meaning: "(a cell shown as —) the scenario was not in this target's run",
        });
    }
    legend
}

pub fn areas(grid: &Grid<'_>, columns: &[Column]) -> Vec<AreaView> {
    grid.areas
        .iter()
        .map(|area| AreaView {
            name: printable(area.name).into_owned(),
            rows: area
                .rows
                .iter()
                .map(|r| row(r, area.name, columns))
                .collect(),
        })
        .collect()
}

fn row(r: &Row<'_>, area: &str, columns: &[Column]) -> RowView {
    let s = r.first;
    let short =
        r.id.strip_prefix(area)
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|rest| !rest.is_empty())
            .unwrap_or(r.id);
    let cells: Vec<CellView> = r
        .cells
        .iter()
        .zip(columns)
        .map(|(cell, column)| {
            let context = printable(&format!("{} on {}", r.id, column.label)).into_owned();
            match cell {
                Some(s) => CellView {
                    key: s.mark().key(),
                    word: printable(s.word()).into_owned(),
                    context,
                    detail: Some(detail(s)),
                },
                None => CellView {
                    key: "none",
                    word: "—".into(),
                    context: format!("{context}: not in this run"),
                    detail: None,
                },
            }
        })
        .collect();
    let mut marks: Vec<&str> = cells.iter().map(|c| c.key).collect();
    marks.sort_unstable();
    marks.dedup();
    RowView {
        id: printable(r.id).into_owned(),
        short: printable(short).into_owned(),
        title: printable(&s.title).into_owned(),
        spec: printable(&spec(s)).into_owned(),
        search: printable(&format!("{} {}", r.id, s.title).to_lowercase()).into_owned(),
        marks: marks.join(" "),
        differs: r.differs(),
        cells,
    }
}

fn spec(s: &Scenario) -> String {
    [&s.spec.rfc, &s.spec.section, &s.spec.level]
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn detail(s: &Scenario) -> DetailView {
    let sentence = printable_block(s.requirement.trim());
    let mut requirement = spec(s);
    if sentence.starts_with('"') {
        // The suite quoted it already.
        requirement = format!("{requirement}: {sentence}");
    } else if !sentence.is_empty() {
        requirement = format!("{requirement}: “{sentence}”");
    }
    if s.verdict == "BLOCKED" {
        requirement = format!("not exercised: {requirement}");
    }
    let text = |t: &str| printable(t).into_owned();
    DetailView {
        title: text(&s.title),
        requirement: printable_block(&requirement).into_owned(),
        reason: s.reason.as_deref().map(text),
        expectation: s.expectation.as_ref().map(|e| {
            let (source, reason) = (&e.source, &e.reason);
            text(&match s.mark() {
                Mark::Xfail => format!("expected {} ({source}): {reason}", e.verdict),
                Mark::Xpass => format!("unexpected pass: {source} expects {}: {reason}", e.verdict),
                _ => format!(
                    "{source} expects {}, not {}: {reason}",
                    e.verdict, s.verdict
                ),
            })
        }),
        failure: s.failure.as_ref().map_or_else(Vec::new, |f| {
            let mut lines = vec![
                ("at", text(&f.at)),
                ("message", text(&f.message)),
                ("expected", text(&f.expected)),
                ("actual", text(&f.actual)),
            ];
            if !f.check.is_empty() {
                lines.push(("check", text(&f.check)));
            }
            if let Some(command) = &f.command {
                lines.push(("after", text(command)));
            }
            lines
        }),
        cause: s.cause.as_deref().map(text),
        covered_by: s.covered_by.as_deref().map(text),
        notes: s.notes.iter().map(|n| text(n)).collect(),
        duration: format!("{:.3}s", s.duration_ms / 1000.0),
        transcript: transcript(&s.transcript),
        dropped: s.transcript_dropped,
    }
}

/// Transcript entries shown from the start and from the end of a long transcript.
const TRANSCRIPT_HEAD: usize = 40;
const TRANSCRIPT_TAIL: usize = 160;

/// A cell's transcript: all of it when short; else its start and its end with one line saying
/// how many entries between were left out. A TIME_WAIT burst records thousands of entries, and
/// ten columns of them made a page of 9 MB that a browser opens slowly; the JSON report keeps
/// every entry.
fn transcript(entries: &[Entry]) -> Vec<LineView> {
    if entries.len() <= TRANSCRIPT_HEAD + TRANSCRIPT_TAIL + 1 {
        return entries.iter().map(line).collect();
    }
    let left_out = entries.len() - TRANSCRIPT_HEAD - TRANSCRIPT_TAIL;
    let gap = LineView {
        at: String::new(),
        channel: String::new(),
        direction: "other",
        arrow: "…",
        text: format!("{left_out} entries left out here (the JSON report has them all)"),
    };
    entries[..TRANSCRIPT_HEAD]
        .iter()
        .map(line)
        .chain(std::iter::once(gap))
        .chain(entries[entries.len() - TRANSCRIPT_TAIL..].iter().map(line))
        .collect()
}

fn line(e: &Entry) -> LineView {
    let (direction, arrow) = match e.direction.as_str() {
        "sent" => ("sent", ">"),
        "received" => ("received", "<"),
        "event" => ("event", "*"),
        _ => ("other", "?"),
    };
    LineView {
        at: format!("+{:.3}s", e.at_ms / 1000.0),
        channel: printable(e.channel.strip_prefix("data:").unwrap_or(&e.channel)).into_owned(),
        direction,
        arrow,
        // Already escaped by the writer (`\r\n`, `\xff`); escaped again only if a report was
        // made by hand with raw control characters.
        text: printable(&e.text).into_owned(),
    }
}

/// `2026-11-27 21:51:04 UTC` for seconds since the Unix epoch (proleptic Gregorian calendar;
/// Howard Hinnant's days-to-civil algorithm), without a time-zone database.
pub fn utc(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Shifted so that years start in March: the leap day is the last day of a "year".
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_become_a_utc_date() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_764_193_864), "2025-11-26 21:51:04 UTC");
        assert_eq!(utc(4_107_542_399), "2100-02-28 23:59:59 UTC");
        assert_eq!(utc(4_107_542_400), "2100-03-01 00:00:00 UTC");
    }

    #[test]
    fn long_transcripts_keep_their_start_and_end_and_say_what_was_left_out() {
        let entry = |i: usize| Entry {
            at_ms: i as f64,
            channel: "control".into(),
            direction: "sent".into(),
            text: format!("NOOP {i}\\r\\n"),
        };
        let short: Vec<Entry> = (0..TRANSCRIPT_HEAD + TRANSCRIPT_TAIL + 1)
            .map(entry)
            .collect();
        assert_eq!(transcript(&short).len(), short.len());
        let long: Vec<Entry> = (0..2000).map(entry).collect();
        let shown = transcript(&long);
        assert_eq!(shown.len(), TRANSCRIPT_HEAD + 1 + TRANSCRIPT_TAIL);
        assert_eq!(shown[0].text, "NOOP 0\\r\\n");
        assert_eq!(
            shown[TRANSCRIPT_HEAD].text,
            "1800 entries left out here (the JSON report has them all)"
        );
        assert_eq!(
            shown.last().map(|l| l.text.as_str()),
            Some("NOOP 1999\\r\\n")
        );
    }

    #[test]
    fn transcript_lines_keep_the_escaped_form_and_escape_raw_controls() {
        let e = |direction: &str, text: &str| Entry {
            at_ms: 4.25,
            channel: "data:thief".into(),
            direction: direction.into(),
            text: text.into(),
        };
        let l = line(&e("received", "220 \\xff\\r\\n"));
        assert_eq!(
            (l.at.as_str(), l.channel.as_str(), l.arrow, l.text.as_str()),
            ("+0.004s", "thief", "<", "220 \\xff\\r\\n")
        );
        let l = line(&e("sideways", "raw \u{1b}[2J\u{202e}"));
        assert_eq!((l.direction, l.arrow), ("other", "?"));
        assert_eq!(l.text, "raw \\x1b[2J\\u{202e}");
    }
}
