//! The conformance matrix as one self-contained HTML page: scenarios down the side, grouped by
//! area, one column per target, a cell per verdict that opens the requirement, expected and
//! actual, and the transcript; each target's totals on top.
//!
//! # API
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ftpspec::report::{columns, html};
//! let bytes = std::fs::read("reports/ftpspec.json")?;
//! let columns = columns::parse(&bytes)?; // a report or an ftpspec-matrix document
//! // or, with a report already in memory: columns::columns_from_value(&json_value)?
//! let page: String = html::render(&columns)?;
//! # Ok(()) }
//! ```
//!
//! # The page
//!
//! One file, nothing fetched: the stylesheet and the script are inline, and a
//! Content-Security-Policy forbids every other source (`default-src 'none'`), so the page
//! works opened from disk and cannot make a request even if something in a report slipped
//! through. The script is allowed by its SHA-256 hash only, so no other inline script can run.
//!
//! A server's banner and transcripts are hostile input. Every string from a report is made
//! printable (`report::text::printable`: control characters and bidi overrides as `\x1b`,
//! `\u{202e}`) and then HTML-escaped by the template engine, askama, which escapes every
//! `{{ }}` in an `.html` template; no report string is marked safe.
//!
//! The page reads without color (each cell says its verdict in words), without a mouse (cells
//! are native `<details>`/`<summary>`: Tab to reach, Enter to open) and without JavaScript
//! (everything is shown; the script only adds the text and verdict filters, closes the other
//! open cell, and closes a cell on Escape).

use super::columns::Column;
use super::grid;
use super::html_view::{self, AreaView, LegendView, TargetView};
use askama::Template;
use base64::Engine as _;

/// The page's script, inline; the CSP names its hash.
const SCRIPT: &str = include_str!("../../templates/matrix.js");

/// Why the page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The template engine failed (a formatting error; no report content causes one).
    #[error("cannot render the HTML matrix: {0}")]
    Template(#[from] askama::Error),
}

#[derive(Template)]
#[template(path = "matrix.html")]
struct Page<'a> {
    csp: &'a str,
    script: &'static str,
    version: &'static str,
    targets: Vec<TargetView>,
    areas: Vec<AreaView>,
    legend: Vec<LegendView>,
    rows: usize,
}

/// The matrix of `columns` (in order) as one HTML document.
pub fn render(columns: &[Column]) -> Result<String, RenderError> {
    let grid = grid::grid(columns);
    let csp = csp();
    let page = Page {
        csp: &csp,
        script: SCRIPT,
        version: env!("CARGO_PKG_VERSION"),
        targets: html_view::targets(columns, &grid),
        areas: html_view::areas(&grid, columns),
        legend: html_view::legend(&grid),
        rows: grid.areas.iter().map(|a| a.rows.len()).sum(),
    };
    Ok(page.render()?)
}

/// Nothing from anywhere (no images, fonts, frames, connections, forms or base URL) but the
/// inline style and the one inline script, by its hash.
fn csp() -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, SCRIPT.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(hash.as_ref());
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; \
         base-uri 'none'; form-action 'none'"
    )
}
