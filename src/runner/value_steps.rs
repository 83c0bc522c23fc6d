//! Steps over values: `collect` (a named series, reported as a note), `check` (two rendered
//! values compared) and `check-varies` (a series must not be an arithmetic progression,
//! RFC 2577 §8).

use super::exec::ScenarioRun;
use super::series::{NOTE_VALUES, Variation, variation};
use super::stop::Stop;
use crate::session::transcript::escape_bytes;
use crate::suite::{CheckOp, Template};

impl ScenarioRun<'_> {
    /// `collect NAME VALUE`: appends the rendered value to the series.
    pub(super) fn collect(&mut self, series: &str, value: &Template) -> Result<(), Stop> {
        let text = self.vars.render_text(value).map_err(Stop::Error)?;
        self.series.push(series, text);
        Ok(())
    }

    /// `check A equals|differs B`: a failure shows both values, escaped.
    pub(super) fn check(
        &self,
        line: usize,
        left: &Template,
        op: CheckOp,
        right: &Template,
    ) -> Result<(), Stop> {
        let l = self.vars.render(left).map_err(Stop::Error)?;
        let r = self.vars.render(right).map_err(Stop::Error)?;
        let (ls, rs) = (escape_bytes(&l), escape_bytes(&r));
        match op {
            CheckOp::Equals if l != r => Err(Stop::fail(
                line,
                format!("\"{ls}\" does not equal \"{rs}\""),
                format!("\"{rs}\""),
                format!("\"{ls}\""),
            )),
            CheckOp::Differs if l == r => Err(Stop::fail(
                line,
                format!("both values are \"{ls}\""),
                format!("a value other than \"{rs}\""),
                format!("\"{ls}\""),
            )),
            _ => Ok(()),
        }
    }

    /// `check VALUE matches REGEX`: the rendered value (escaped printable, as `${reply.text}`
    /// is) must match.
    pub(super) fn check_matches(
        &self,
        line: usize,
        value: &Template,
        regex: &str,
    ) -> Result<(), Stop> {
        let text = self.vars.render_text(value).map_err(Stop::Error)?;
        let re = regex::Regex::new(regex).map_err(|e| Stop::Error(format!("bad regex: {e}")))?;
        match re.is_match(&text) {
            true => Ok(()),
            false => Err(Stop::fail(
                line,
                format!(
                    "\"{}\" does not match /{regex}/",
                    escape_bytes(text.as_bytes())
                ),
                format!("a value matching /{regex}/"),
                format!("\"{}\"", escape_bytes(text.as_bytes())),
            )),
        }
    }

    /// `check-varies NAME`: RFC 2577 §8 — "the server [should] allocate port numbers randomly"
    /// rather than in a sequence an attacker can guess. Fewer than three values is an ERROR:
    /// any two values make a progression.
    pub(super) fn check_varies(&self, line: usize, series: &str) -> Result<(), Stop> {
        let values = self.series.values(series).unwrap_or_default();
        let step = match variation(&values) {
            Variation::Varies => return Ok(()),
            Variation::TooFew(n) => {
                return Err(Stop::Error(format!(
                    "check-varies {series}: not enough values ({n}; at least 3 are needed)"
                )));
            }
            Variation::NotANumber(v) => {
                return Err(Stop::Error(format!(
                    "check-varies {series}: \"{v}\" is not a number"
                )));
            }
            Variation::Progression { step } => Some(step),
            Variation::CountsUp { max_step } => {
                let _ = max_step;
                None
            }
        };
        let message = match step {
            Some(0) => format!("the {series} series is predictable: the same value every time"),
            Some(step) => {
                format!("the {series} series is predictable: each value is the previous {step:+}")
            }
            None => format!("the {series} series is predictable: it counts up in small steps"),
        };
        let shown: Vec<&str> = values
            .iter()
            .take(NOTE_VALUES)
            .map(String::as_str)
            .collect();
        Err(Stop::fail(
            line,
            message,
            "values that are neither an arithmetic progression nor a counter (RFC 2577 §8)",
            shown.join(" "),
        ))
    }
}
