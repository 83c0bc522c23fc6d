//! The conformance matrix as data: rows are the union of the scenario IDs of all columns,
//! grouped by area (areas by name, rows by ID within), one cell per column, empty where a
//! column's run did not have the scenario; and each column's totals.
//!
//! Pure and small on purpose: the HTML page (`report::html`) only lays this out, so what a cell
//! says and what the totals count is tested here without any markup.

use super::columns::{Column, Mark, Scenario};
use std::collections::BTreeMap;

/// The rows of the matrix, grouped, with each column's totals.
#[derive(Debug)]
pub struct Grid<'a> {
    pub areas: Vec<Area<'a>>,
    /// One per column, in column order.
    pub totals: Vec<Totals>,
}

/// The rows of one area (`rfc2428.eprt`), by ID.
#[derive(Debug)]
pub struct Area<'a> {
    pub name: &'a str,
    pub rows: Vec<Row<'a>>,
}

/// One scenario across the columns.
#[derive(Debug)]
pub struct Row<'a> {
    pub id: &'a str,
    /// The first column's outcome of this scenario, for its title, spec and requirement.
    pub first: &'a Scenario,
    /// One per column: `None` where the scenario is not in that column's run.
    pub cells: Vec<Option<&'a Scenario>>,
}

impl Row<'_> {
    /// Whether the targets disagree: different words, or a scenario missing somewhere.
    pub fn differs(&self) -> bool {
        let mut words = self.cells.iter().map(|c| c.map(Scenario::word));
        let first = words.next().flatten();
        words.any(|w| w != first)
    }
}

/// How many of a column's scenarios show each mark. XFAIL and XPASS are counted apart, not
/// under their verdicts, as the console's summary does, so the counts add up to `total`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    counts: BTreeMap<Mark, usize>,
    pub total: usize,
}

impl Totals {
    fn of(column: &Column) -> Self {
        let mut totals = Totals {
            total: column.scenarios.len(),
            ..Totals::default()
        };
        for scenario in &column.scenarios {
            *totals.counts.entry(scenario.mark()).or_default() += 1;
        }
        totals
    }

    pub fn count(&self, mark: Mark) -> usize {
        self.counts.get(&mark).copied().unwrap_or(0)
    }

    /// The marks that occur, in [`Mark::ALL`] order, with their counts.
    pub fn present(&self) -> impl Iterator<Item = (Mark, usize)> + '_ {
        Mark::ALL
            .into_iter()
            .map(|mark| (mark, self.count(mark)))
            .filter(|&(_, n)| n > 0)
    }
}

/// Lays the columns out as rows. A scenario listed twice in one column (no run writes that)
/// shows its first outcome; the totals count every outcome, as the report's summary does.
pub fn grid(columns: &[Column]) -> Grid<'_> {
    let mut by_id: BTreeMap<&str, Row<'_>> = BTreeMap::new();
    for (i, column) in columns.iter().enumerate() {
        for scenario in &column.scenarios {
            let row = by_id.entry(&scenario.id).or_insert_with(|| Row {
                id: &scenario.id,
                first: scenario,
                cells: vec![None; columns.len()],
            });
            row.cells[i].get_or_insert(scenario);
        }
    }
    let mut areas: BTreeMap<&str, Vec<Row<'_>>> = BTreeMap::new();
    for row in by_id.into_values() {
        areas.entry(row.first.area()).or_default().push(row);
    }
    Grid {
        areas: areas
            .into_iter()
            .map(|(name, rows)| Area { name, rows })
            .collect(),
        totals: columns.iter().map(Totals::of).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::columns::columns_from_value;
    use serde_json::json;

    /// A column from `(id, verdict, expectation status)` triples.
    fn column(label: &str, scenarios: &[(&str, &str, Option<&str>)]) -> Column {
        let scenarios: Vec<_> = scenarios
            .iter()
            .map(|(id, verdict, status)| {
                let expectation = status.map(
                    |s| json!({"status": s, "verdict": "FAIL", "reason": "known", "source": "x:1"}),
                );
                json!({"id": id, "title": format!("title of {id}"), "verdict": verdict,
                       "expectation": expectation})
            })
            .collect();
        let doc = json!({"schema": "ftpspec-report", "version": 2,
                         "run": {"target": "ftp://h", "label": label}, "scenarios": scenarios});
        columns_from_value(&doc).unwrap().remove(0)
    }

    fn words<'a>(row: &Row<'a>) -> Vec<&'a str> {
        row.cells
            .iter()
            .map(|c| c.map_or("-", Scenario::word))
            .collect()
    }

    #[test]
    fn rows_are_the_union_grouped_by_area_and_ordered_by_id() {
        let a = column(
            "a",
            &[
                ("rfc959.port.b", "PASS", None),
                ("rfc2428.eprt.z", "FAIL", None),
                ("rfc2428.eprt.a", "PASS", None),
            ],
        );
        let b = column(
            "b",
            &[
                ("rfc2428.eprt.m", "BLOCKED", None),
                ("rfc959.port.b", "FAIL", Some("expected")),
                ("rfc2428.eprt.a", "PASS", Some("unexpected-pass")),
            ],
        );
        let columns = [a, b];
        let g = grid(&columns);
        let areas: Vec<&str> = g.areas.iter().map(|a| a.name).collect();
        assert_eq!(areas, ["rfc2428.eprt", "rfc959.port"]);
        let eprt: Vec<(&str, Vec<&str>)> =
            g.areas[0].rows.iter().map(|r| (r.id, words(r))).collect();
        assert_eq!(
            eprt,
            [
                ("rfc2428.eprt.a", vec!["PASS", "XPASS"]),
                ("rfc2428.eprt.m", vec!["-", "BLOCKED"]),
                ("rfc2428.eprt.z", vec!["FAIL", "-"]),
            ]
        );
        assert_eq!(words(&g.areas[1].rows[0]), ["PASS", "XFAIL"]);
        // The title comes from the first column that has the scenario.
        assert_eq!(g.areas[0].rows[1].first.title, "title of rfc2428.eprt.m");
    }

    #[test]
    fn rows_differ_when_words_differ_or_a_cell_is_missing() {
        let a = column("a", &[("x.a", "PASS", None), ("x.b", "PASS", None)]);
        let b = column(
            "b",
            &[
                ("x.a", "PASS", None),
                ("x.b", "PASS", Some("unexpected-pass")),
                ("x.c", "SKIP", None),
            ],
        );
        let columns = [a, b];
        let g = grid(&columns);
        let differs: Vec<bool> = g.areas[0].rows.iter().map(Row::differs).collect();
        assert_eq!(differs, [false, true, true]);
        let alone = [column("a", &[("x.a", "FAIL", None)])];
        assert!(!grid(&alone).areas[0].rows[0].differs());
    }

    #[test]
    fn totals_count_marks_with_xfail_and_xpass_apart() {
        let a = column(
            "a",
            &[
                ("x.a", "PASS", None),
                ("x.b", "PASS", Some("unexpected-pass")),
                ("x.c", "FAIL", Some("expected")),
                ("x.d", "FAIL", None),
                ("x.e", "ERROR", Some("mismatch")),
                ("x.f", "BLOCKED", None),
                ("x.g", "NEW", None),
            ],
        );
        let columns = [a, column("empty", &[])];
        let g = grid(&columns);
        let t = &g.totals[0];
        assert_eq!(t.total, 7);
        let present: Vec<(&str, usize)> = t.present().map(|(m, n)| (m.word(), n)).collect();
        assert_eq!(
            present,
            [
                ("PASS", 1),
                ("FAIL", 1),
                ("BLOCKED", 1),
                ("ERROR", 1),
                ("XFAIL", 1),
                ("XPASS", 1),
                ("OTHER", 1)
            ]
        );
        assert_eq!(t.present().map(|(_, n)| n).sum::<usize>(), t.total);
        assert_eq!(g.totals[1], Totals::default());
        assert_eq!(g.totals[1].count(Mark::Pass), 0);
    }

    #[test]
    fn no_columns_no_rows() {
        let g = grid(&[]);
        assert!(g.areas.is_empty() && g.totals.is_empty());
    }
}
