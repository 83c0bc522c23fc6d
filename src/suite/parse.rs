//! The file parser: splits a source into scenarios and reads their headers and steps. Blocks
//! (`repeat`, `if reply`, `else`, `end`) are nested by `blocks`; line-level work is done by
//! `lexer`, `header`, `steps` and `expect`.
//!
//! ```text
//! scenario rfc2428.eprt.ipv4-accepted "EPRT with an IPv4 address is accepted with 200"
//!   spec        RFC2428 §2 MUST
//!   requirement "Upon receipt of a valid EPRT command, the server MUST return a code of 200."
//!   login
//!   listen      data
//!   send        EPRT |1|${client.ip}|${data.port}|
//!   expect      200
//! ```

use super::ast::{Location, Need, Scenario, Step};
use super::blocks::Blocks;
use super::error::{Diag, PResult, ParseError};
use super::header::{self, HEADERS, Header};
use super::lexer::{Cursor, Line, Word};
use super::scope::Scope;
use super::steps;
use std::collections::HashMap;
use std::path::Path;

/// Parses the scenarios in `source`; `file` is used for locations and error messages.
pub fn parse_str(source: &str, file: &Path) -> Result<Vec<Scenario>, ParseError> {
    let mut parser = FileParser {
        file,
        done: Vec::new(),
        current: None,
        ids: HashMap::new(),
    };
    parser.run(source).map_err(|d| d.in_file(file))?;
    Ok(parser.done)
}

/// Like [`parse_str`], for bytes read from disk: invalid UTF-8 (a binary file) is an error at the
/// first bad line and column.
pub fn parse_bytes(source: &[u8], file: &Path) -> Result<Vec<Scenario>, ParseError> {
    match std::str::from_utf8(source) {
        Ok(text) => parse_str(text, file),
        Err(e) => Err(utf8_error(source, e.valid_up_to()).in_file(file)),
    }
}

fn utf8_error(source: &[u8], valid_up_to: usize) -> Diag {
    let valid = source.get(..valid_up_to).unwrap_or_default();
    let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + String::from_utf8_lossy(valid.get(line_start..).unwrap_or_default())
        .chars()
        .count();
    Diag::new(
        line,
        column,
        "invalid UTF-8 (is this a binary file?); scenario files are UTF-8 text",
    )
}

struct FileParser<'f> {
    file: &'f Path,
    done: Vec<Scenario>,
    current: Option<Builder>,
    /// ID → the line of its `scenario`, to refuse duplicates within the file.
    ids: HashMap<String, usize>,
}

impl FileParser<'_> {
    fn run(&mut self, source: &str) -> PResult<()> {
        for (i, text) in source.lines().enumerate() {
            self.line(Line {
                text,
                number: i + 1,
            })?;
        }
        self.close_current()?;
        if self.done.is_empty() {
            let msg =
                "no scenario in this file; a scenario starts with `scenario <id> \"<title>\"`";
            return Err(Diag::new(1, 1, msg));
        }
        Ok(())
    }

    fn line(&mut self, line: Line) -> PResult<()> {
        let mut c = Cursor::new(line);
        let Some(kw) = c.word() else { return Ok(()) };
        if kw.text.starts_with('#') {
            return Ok(());
        }
        if kw.text == "scenario" {
            return self.start(&mut c);
        }
        match &mut self.current {
            Some(builder) => builder.line(kw, &mut c),
            None => Err(line.error(
                kw.pos,
                format!(
                    "expected `scenario <id> \"<title>\"` before \"{}\"",
                    kw.text
                ),
            )),
        }
    }

    fn start(&mut self, c: &mut Cursor) -> PResult<()> {
        self.close_current()?;
        let header = header::scenario_line(c)?;
        if let Some(first) = self.ids.insert(header.id.clone(), header.line) {
            let msg = format!(
                "duplicate scenario ID {}; first defined at line {first}",
                header.id
            );
            return Err(Diag::new(header.line, header.column, msg));
        }
        self.current = Some(Builder::new(header));
        Ok(())
    }

    fn close_current(&mut self) -> PResult<()> {
        if let Some(builder) = self.current.take() {
            self.done.push(builder.finish(self.file)?);
        }
        Ok(())
    }
}

/// A scenario being read.
struct Builder {
    header: Header,
    scope: Scope,
    /// The open blocks; the scenario body is at the bottom.
    blocks: Blocks,
}

impl Builder {
    fn new(header: Header) -> Builder {
        let blocks = Blocks::new(header.line, header.column);
        Builder {
            header,
            scope: Scope::default(),
            blocks,
        }
    }

    fn line(&mut self, kw: Word, c: &mut Cursor) -> PResult<()> {
        match kw.text {
            h if HEADERS.contains(&h) => self.header_line(kw, c),
            "repeat" => self.blocks.repeat(c),
            "setup" => self.blocks.setup(c),
            "if" => self.blocks.if_reply(kw, c, &self.scope),
            "else" => self.blocks.else_(kw, c, &mut self.scope),
            "end" => self.blocks.end(kw, c, &mut self.scope),
            _ => self.step(kw, c),
        }
    }

    fn header_line(&mut self, kw: Word, c: &mut Cursor) -> PResult<()> {
        if self.blocks.has_steps() {
            let msg = format!(
                "`{}` is a header and must come before the first step",
                kw.text
            );
            return Err(c.line.error(kw.pos, msg));
        }
        header::header(&mut self.header, kw, c)
    }

    fn step(&mut self, kw: Word, c: &mut Cursor) -> PResult<()> {
        let Some(parse) = steps::lookup(kw.text) else {
            let msg = format!(
                "unknown step \"{}\"; expected one of: {}",
                kw.text,
                steps::keywords()
            );
            return Err(c.line.error(kw.pos, msg));
        };
        if kw.text == "starttls" && !self.header.needs.contains(&Need::AuthTls) {
            let msg = "`starttls` needs the header `needs auth-tls`: only such a scenario \
                       starts on a clear control connection of a target that offers AUTH TLS";
            return Err(c.line.error(kw.pos, msg));
        }
        if self.scope.is_disconnected() && steps::NEEDS_CONTROL.contains(&kw.text) {
            let msg = format!(
                "`{}` after `disconnect`: the control connection is closed; add `reconnect` first",
                kw.text
            );
            return Err(c.line.error(kw.pos, msg));
        }
        let action = parse(c, &mut self.scope)?;
        c.finish()?;
        self.blocks.push(Step {
            line: c.line.number,
            action,
        });
        Ok(())
    }

    fn finish(mut self, file: &Path) -> PResult<Scenario> {
        let steps = self.blocks.finish()?;
        let (spec, requirement) = self.header.complete()?;
        check_run_check(&steps)?;
        let h = self.header;
        Ok(Scenario {
            id: h.id,
            title: h.title,
            spec,
            requirement,
            tags: h.tags,
            needs: h.needs,
            covers: h.covers,
            steps,
            location: Location {
                file: file.to_path_buf(),
                line: h.line,
            },
        })
    }
}

/// `run-check NAME` declares a check over the whole run: it must be the scenario's only step,
/// outside any block (the runner judges it after every dialogue of the run has ended).
fn check_run_check(steps: &[Step]) -> PResult<()> {
    let found = first_run_check(steps, 0);
    match found {
        Some((line, depth)) if depth > 0 || steps.len() > 1 => Err(Diag::new(
            line,
            1,
            "`run-check` must be the only step of its scenario, outside any block",
        )),
        _ => Ok(()),
    }
}

/// The line and block depth of the first `run-check` step.
fn first_run_check(steps: &[Step], depth: usize) -> Option<(usize, usize)> {
    use super::ast::Action;
    steps.iter().find_map(|step| match &step.action {
        Action::RunCheck(_) => Some((step.line, depth)),
        Action::If {
            then, otherwise, ..
        } => first_run_check(then, depth + 1).or_else(|| first_run_check(otherwise, depth + 1)),
        Action::Repeat { steps, .. } | Action::RepeatBurst { steps } | Action::Setup { steps } => {
            first_run_check(steps, depth + 1)
        }
        _ => None,
    })
}
