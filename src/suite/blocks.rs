//! Blocks: `repeat <n>` … `end`, `if reply <codes…>` … [`else` …] `end`, and `setup` … `end`.
//!
//! The file parser keeps a stack of open blocks; the scenario body is at its bottom. Both kinds
//! share one nesting bound, so the recursion over them (parser, writer, runner) is bounded too.
//!
//! ```text
//!   abort
//!   expect      426 226
//!   if          reply 426
//!     expect      226
//!   end
//! ```
//!
//! Scope: a `repeat` or `setup` body is linear (it runs at least once). Each `if` branch starts from the
//! scope before the `if`; after the `end`, the scope is the union of both branches (see `scope`).

use super::ast::{Action, CodePattern, Step};
use super::error::{Diag, PResult};
use super::expect::code_pattern;
use super::lexer::{Cursor, Word};
use super::scope::Scope;

/// How deeply blocks (`repeat`, `if` and `setup`, counted together) may nest: every loop has a bound,
/// and so does the recursion over them (parser, writer, runner).
pub const MAX_REPEAT_DEPTH: usize = 8;
/// `repeat ${burst}`: as many times as the run's burst size (`--burst`).
pub const BURST_COUNT: &str = "${burst}";

/// The largest `repeat` count.
pub const MAX_REPEAT_COUNT: u32 = 10_000;

const CODE_HINT: &str = "a reply code (like 200 or 5xx)";

/// What an open block is.
enum Kind {
    /// The scenario body (bottom of the stack, never closed by `end`).
    Body,
    /// `None`: `repeat ${burst}`, the run's burst size.
    Repeat {
        count: Option<u32>,
    },
    If(Box<IfBlock>),
    /// `setup`: steps that only set the stage; their failure is BLOCKED, not FAIL.
    Setup,
}

/// An open `if reply` block.
struct IfBlock {
    codes: Vec<CodePattern>,
    /// The scope when the `if` opened: where the `else` branch starts.
    before: Scope,
    /// Set at `else`: the finished `then` branch.
    then: Option<Then>,
}

/// The `then` branch of an `if`, finished by its `else`.
struct Then {
    steps: Vec<Step>,
    /// The scope the branch left.
    scope: Scope,
    /// Where the `else` is, for an "empty else" error.
    else_line: usize,
    else_column: usize,
}

/// An open block: where it started and the steps read so far (of its current branch).
struct Frame {
    line: usize,
    column: usize,
    kind: Kind,
    steps: Vec<Step>,
}

/// The stack of open blocks of one scenario.
pub(crate) struct Blocks {
    frames: Vec<Frame>,
}

impl Blocks {
    /// The stack for a scenario whose `scenario` line is at `line`/`column`.
    pub(crate) fn new(line: usize, column: usize) -> Blocks {
        let body = Frame {
            line,
            column,
            kind: Kind::Body,
            steps: Vec::new(),
        };
        Blocks { frames: vec![body] }
    }

    /// True once a step or a block has been read (headers must come before).
    pub(crate) fn has_steps(&self) -> bool {
        self.frames.len() > 1 || self.frames.iter().any(|f| !f.steps.is_empty())
    }

    /// Appends a step to the innermost block.
    pub(crate) fn push(&mut self, step: Step) {
        if let Some(frame) = self.frames.last_mut() {
            frame.steps.push(step);
        }
    }

    /// `repeat <n>` or `repeat ${burst}`: opens a block.
    pub(crate) fn repeat(&mut self, c: &mut Cursor) -> PResult<()> {
        if c.peek_word().is_some_and(|w| w.text == BURST_COUNT) {
            c.word();
            c.finish()?;
            return self.open(c, Kind::Repeat { count: None });
        }
        let what = format!("a repeat count from 1 to {MAX_REPEAT_COUNT}, or {BURST_COUNT}");
        let count = super::args::number_up_to(c, MAX_REPEAT_COUNT, &what)?;
        c.finish()?;
        self.open(c, Kind::Repeat { count: Some(count) })
    }

    /// `setup`: opens a block of steps that set the stage for the requirement.
    pub(crate) fn setup(&mut self, c: &mut Cursor) -> PResult<()> {
        c.finish()?;
        self.open(c, Kind::Setup)
    }

    /// `if reply <code>…`: opens a block whose branch is chosen by the last reply's code.
    pub(crate) fn if_reply(&mut self, kw: Word, c: &mut Cursor, scope: &Scope) -> PResult<()> {
        match c.word() {
            Some(w) if w.text == "reply" => {}
            Some(w) => {
                let msg = format!(
                    "expected `reply` after `if` (like `if reply 426`), found \"{}\"",
                    w.text
                );
                return Err(c.line.error(w.pos, msg));
            }
            None => return Err(c.error_here("expected `reply` after `if` (like `if reply 426`)")),
        }
        let mut codes = Vec::new();
        while let Some(w) = c.word() {
            let Some(code) = code_pattern(w.text) else {
                let msg = format!("expected {CODE_HINT}, found \"{}\"", w.text);
                return Err(c.line.error(w.pos, msg));
            };
            codes.push(code);
        }
        if codes.is_empty() {
            return Err(c.error_here(format!("expected {CODE_HINT} after `if reply`")));
        }
        scope.require_replied(&c.line, kw.pos)?;
        let block = IfBlock {
            codes,
            before: scope.clone(),
            then: None,
        };
        self.open(c, Kind::If(Box::new(block)))
    }

    fn open(&mut self, c: &Cursor, kind: Kind) -> PResult<()> {
        if self.frames.len() > MAX_REPEAT_DEPTH {
            let msg = format!("blocks (repeat, if, setup) nest at most {MAX_REPEAT_DEPTH} deep");
            return Err(c.line.error(c.line.indent(), msg));
        }
        let (line, column) = (c.line.number, c.line.column(c.line.indent()));
        self.frames.push(Frame {
            line,
            column,
            kind,
            steps: Vec::new(),
        });
        Ok(())
    }

    /// `else`: ends the `then` branch of the innermost `if`; the `else` branch starts from the
    /// scope before the `if`.
    pub(crate) fn else_(&mut self, kw: Word, c: &mut Cursor, scope: &mut Scope) -> PResult<()> {
        c.finish()?;
        let Some(frame) = self.frames.last_mut() else {
            return Ok(());
        };
        let (line, column) = (frame.line, frame.column);
        let Kind::If(block) = &mut frame.kind else {
            return Err(c.line.error(kw.pos, "`else` without an `if` to belong to"));
        };
        if block.then.is_some() {
            return Err(c.line.error(kw.pos, "a second `else` in the same `if`"));
        }
        if frame.steps.is_empty() {
            return Err(Diag::new(
                line,
                column,
                "empty if branch: add steps before its `else`",
            ));
        }
        block.then = Some(Then {
            steps: std::mem::take(&mut frame.steps),
            scope: std::mem::replace(scope, block.before.clone()),
            else_line: c.line.number,
            else_column: c.line.column(kw.pos),
        });
        Ok(())
    }

    /// `end`: closes the innermost block and appends it, as one step, to the block around it.
    pub(crate) fn end(&mut self, kw: Word, c: &mut Cursor, scope: &mut Scope) -> PResult<()> {
        c.finish()?;
        if self.frames.len() < 2 {
            return Err(c
                .line
                .error(kw.pos, "`end` without a `repeat`, `if` or `setup` to close"));
        }
        let Some(frame) = self.frames.pop() else {
            return Ok(());
        };
        let action = close(frame.line, frame.column, frame.kind, frame.steps, scope)?;
        self.push(Step {
            line: frame.line,
            action,
        });
        Ok(())
    }

    /// The scenario's steps; an open block is an error at its first line.
    pub(crate) fn finish(mut self) -> PResult<Vec<Step>> {
        if let Some(open) = self.frames.get(1..).and_then(|f| f.last()) {
            let what = match open.kind {
                Kind::If(_) => "if",
                Kind::Setup => "setup",
                _ => "repeat",
            };
            let msg = format!(
                "unclosed {what}: expected `end` before the next scenario or the end of the file"
            );
            return Err(Diag::new(open.line, open.column, msg));
        }
        Ok(self.frames.pop().map(|f| f.steps).unwrap_or_default())
    }
}

/// The action of a closed block; for an `if`, the scope becomes the union of its branches.
fn close(
    line: usize,
    column: usize,
    kind: Kind,
    steps: Vec<Step>,
    scope: &mut Scope,
) -> PResult<Action> {
    match kind {
        Kind::Body => Err(Diag::new(line, column, "`end` without a block to close")),
        Kind::Repeat { count } => {
            if steps.is_empty() {
                return Err(Diag::new(
                    line,
                    column,
                    "empty repeat: add steps before its `end`",
                ));
            }
            Ok(match count {
                Some(count) => Action::Repeat { count, steps },
                None => Action::RepeatBurst { steps },
            })
        }
        Kind::Setup => {
            if steps.is_empty() {
                return Err(Diag::new(
                    line,
                    column,
                    "empty setup: add steps before its `end`",
                ));
            }
            Ok(Action::Setup { steps })
        }
        Kind::If(block) => {
            let IfBlock {
                codes,
                before,
                then,
            } = *block;
            let (then, otherwise) = match then {
                None if steps.is_empty() => {
                    return Err(Diag::new(
                        line,
                        column,
                        "empty if: add steps before its `end`",
                    ));
                }
                None => {
                    scope.merge(before);
                    (steps, Vec::new())
                }
                Some(then) if steps.is_empty() => {
                    let msg = "empty else branch: add steps before its `end`, or drop the `else`";
                    return Err(Diag::new(then.else_line, then.else_column, msg));
                }
                Some(then) => {
                    scope.merge(then.scope);
                    (then.steps, steps)
                }
            };
            Ok(Action::If {
                codes,
                then,
                otherwise,
            })
        }
    }
}
