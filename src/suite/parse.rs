//! The file parser: splits a source into scenarios, reads their headers and steps, and nests
//! `repeat` … `end` blocks. Line-level work is done by `lexer`, `header`, `steps` and `expect`.
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

use super::ast::{Action, Location, Scenario, Step};
use super::error::{Diag, PResult, ParseError};
use super::header::{self, HEADERS, Header};
use super::lexer::{Cursor, Line, Word};
use super::scope::Scope;
use super::steps;
use std::collections::HashMap;
use std::path::Path;

/// How deeply `repeat` blocks may nest: every loop has a bound, and so does the recursion over
/// them (parser, writer, runner).
pub const MAX_REPEAT_DEPTH: usize = 8;
/// The largest `repeat` count.
pub const MAX_REPEAT_COUNT: u32 = 10_000;

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

/// An open `repeat` block (or the scenario body, at the bottom of the stack).
struct Frame {
    line: usize,
    column: usize,
    count: u32,
    steps: Vec<Step>,
}

/// A scenario being read.
struct Builder {
    header: Header,
    scope: Scope,
    /// `frames[0]` is the scenario body; each open `repeat` pushes one.
    frames: Vec<Frame>,
}

impl Builder {
    fn new(header: Header) -> Builder {
        let body = Frame {
            line: header.line,
            column: header.column,
            count: 1,
            steps: Vec::new(),
        };
        Builder {
            header,
            scope: Scope::default(),
            frames: vec![body],
        }
    }

    fn has_steps(&self) -> bool {
        self.frames.len() > 1 || self.frames.iter().any(|f| !f.steps.is_empty())
    }

    fn line(&mut self, kw: Word, c: &mut Cursor) -> PResult<()> {
        match kw.text {
            h if HEADERS.contains(&h) => self.header_line(kw, c),
            "repeat" => self.repeat(c),
            "end" => self.end(kw, c),
            _ => self.step(kw, c),
        }
    }

    fn header_line(&mut self, kw: Word, c: &mut Cursor) -> PResult<()> {
        if self.has_steps() {
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
        let action = parse(c, &mut self.scope)?;
        c.finish()?;
        self.push(Step {
            line: c.line.number,
            action,
        });
        Ok(())
    }

    fn push(&mut self, step: Step) {
        if let Some(frame) = self.frames.last_mut() {
            frame.steps.push(step);
        }
    }

    /// `repeat <n>`: opens a block.
    fn repeat(&mut self, c: &mut Cursor) -> PResult<()> {
        let what = format!("a repeat count from 1 to {MAX_REPEAT_COUNT}");
        let at = c.peek_word().map_or(c.pos(), |w| w.pos);
        let count: u32 = steps::number(c, &what)?;
        if !(1..=MAX_REPEAT_COUNT).contains(&count) {
            return Err(c.line.error(at, format!("expected {what}, found {count}")));
        }
        c.finish()?;
        if self.frames.len() > MAX_REPEAT_DEPTH {
            let msg = format!("repeat blocks nest at most {MAX_REPEAT_DEPTH} deep");
            return Err(c.line.error(c.line.indent(), msg));
        }
        let (line, column) = (c.line.number, c.line.column(c.line.indent()));
        self.frames.push(Frame {
            line,
            column,
            count,
            steps: Vec::new(),
        });
        Ok(())
    }

    /// `end`: closes the innermost block.
    fn end(&mut self, kw: Word, c: &mut Cursor) -> PResult<()> {
        c.finish()?;
        if self.frames.len() < 2 {
            return Err(c.line.error(kw.pos, "`end` without a `repeat` to close"));
        }
        let Some(frame) = self.frames.pop() else {
            return Ok(());
        };
        if frame.steps.is_empty() {
            return Err(Diag::new(
                frame.line,
                frame.column,
                "empty repeat: add steps before its `end`",
            ));
        }
        let action = Action::Repeat {
            count: frame.count,
            steps: frame.steps,
        };
        self.push(Step {
            line: frame.line,
            action,
        });
        Ok(())
    }

    fn finish(mut self, file: &Path) -> PResult<Scenario> {
        if let Some(open) = self.frames.get(1..).and_then(|f| f.last()) {
            let msg =
                "unclosed repeat: expected `end` before the next scenario or the end of the file";
            return Err(Diag::new(open.line, open.column, msg));
        }
        let (spec, requirement) = self.header.complete()?;
        let steps = self.frames.pop().map(|f| f.steps).unwrap_or_default();
        let h = self.header;
        Ok(Scenario {
            id: h.id,
            title: h.title,
            spec,
            requirement,
            tags: h.tags,
            needs: h.needs,
            steps,
            location: Location {
                file: file.to_path_buf(),
                line: h.line,
            },
        })
    }
}
