//! The line lexer: a cursor over one source line that hands out words, quoted strings and the
//! rest of the line, each with the byte position it started at (for 1-based columns in errors).
//!
//! Blanks are spaces and tabs only. A line is never split on `#` here: payloads such as
//! `EPRT #1#127.0.0.1#6446#` contain it; comments are whole lines, recognised by the caller.

use super::error::{Diag, PResult};

/// One source line and its 1-based number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub text: &'a str,
    pub number: usize,
}

impl<'a> Line<'a> {
    /// The 1-based column of a byte position: characters before it, plus one (a tab is one).
    pub(crate) fn column(&self, pos: usize) -> usize {
        self.text.get(..pos).map_or(pos, |s| s.chars().count()) + 1
    }

    /// The byte position of the first non-blank character (where the keyword starts).
    pub(crate) fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches([' ', '\t']).len()
    }

    /// An error at a byte position of this line.
    pub(crate) fn error(&self, pos: usize, message: impl Into<String>) -> Diag {
        Diag::new(self.number, self.column(pos), message)
    }
}

/// True for a lower-case name: an ASCII lower-case letter (or a digit, when `digit_first`), then
/// lower-case letters, digits and the bytes in `punct`. IDs, tags, channels and variables are
/// all names of this shape, so they need no quoting and read the same everywhere.
pub(crate) fn is_name(text: &str, digit_first: bool, punct: &[u8]) -> bool {
    let mut bytes = text.bytes();
    let first = bytes.next();
    first.is_some_and(|b| b.is_ascii_lowercase() || (digit_first && b.is_ascii_digit()))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || punct.contains(&b))
}

/// A piece of a line and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    pub text: &'a str,
    pub pos: usize,
}

/// An argument: a bare word, or a `"quoted string"` whose escapes are still unresolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg<'a> {
    Bare(Word<'a>),
    /// `inner` is the text between the quotes; `open` is the position of the opening quote.
    Quoted {
        inner: Word<'a>,
        open: usize,
    },
}

impl<'a> Arg<'a> {
    /// The raw text (between the quotes when quoted) and where it starts.
    pub(crate) fn body(&self) -> Word<'a> {
        match *self {
            Arg::Bare(w) => w,
            Arg::Quoted { inner, .. } => inner,
        }
    }

    /// Where the argument starts (the opening quote when quoted).
    pub(crate) fn start(&self) -> usize {
        match *self {
            Arg::Bare(w) => w.pos,
            Arg::Quoted { open, .. } => open,
        }
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A cursor over one line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    pub line: Line<'a>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(line: Line<'a>) -> Cursor<'a> {
        Cursor { line, pos: 0 }
    }

    /// The current byte position.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    fn bytes(&self) -> &'a [u8] {
        self.line.text.as_bytes()
    }

    pub(crate) fn skip_blanks(&mut self) {
        while self.bytes().get(self.pos).is_some_and(|&b| is_blank(b)) {
            self.pos += 1;
        }
    }

    /// True when only blanks are left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_blanks();
        self.pos >= self.bytes().len()
    }

    /// The next run of non-blank characters, if any.
    pub(crate) fn word(&mut self) -> Option<Word<'a>> {
        self.skip_blanks();
        let start = self.pos;
        while self.bytes().get(self.pos).is_some_and(|&b| !is_blank(b)) {
            self.pos += 1;
        }
        let text = self.line.text.get(start..self.pos)?;
        (!text.is_empty()).then_some(Word { text, pos: start })
    }

    /// The next word without consuming it.
    pub(crate) fn peek_word(&self) -> Option<Word<'a>> {
        let mut peek = *self;
        peek.word()
    }

    /// The next word, or an error saying what was expected.
    pub(crate) fn expect_word(&mut self, what: &str) -> PResult<Word<'a>> {
        match self.word() {
            Some(w) => Ok(w),
            None => Err(self.line.error(self.pos, format!("expected {what}"))),
        }
    }

    /// The next argument: a `"quoted string"` or a bare word.
    pub(crate) fn arg(&mut self, what: &str) -> PResult<Arg<'a>> {
        self.skip_blanks();
        if self.bytes().get(self.pos) == Some(&b'"') {
            return self.quoted();
        }
        self.expect_word(what).map(Arg::Bare)
    }

    /// A quoted string starting at the cursor. It ends at the first `"` not escaped by a
    /// backslash, and must be followed by a blank or the end of the line.
    fn quoted(&mut self) -> PResult<Arg<'a>> {
        let open = self.pos;
        let close = find_closing_quote(self.bytes(), open + 1)
            .ok_or_else(|| self.line.error(open, "unterminated quote: no closing \""))?;
        self.pos = close + 1;
        if self.bytes().get(self.pos).is_some_and(|&b| !is_blank(b)) {
            return Err(self
                .line
                .error(self.pos, "expected a space after the closing quote"));
        }
        let text = self.line.text.get(open + 1..close).unwrap_or_default();
        Ok(Arg::Quoted {
            inner: Word {
                text,
                pos: open + 1,
            },
            open,
        })
    }

    /// The rest of the line, after the blanks at the cursor, with trailing blanks trimmed.
    pub(crate) fn rest(&mut self) -> Word<'a> {
        self.skip_blanks();
        let start = self.pos;
        self.pos = self.bytes().len();
        let text = self.line.text.get(start..).unwrap_or_default();
        Word {
            text: text.trim_end_matches([' ', '\t']),
            pos: start,
        }
    }

    /// The rest of the line as a payload: quoted (`"…"`, the whole rest) or bare (verbatim).
    pub(crate) fn payload(&mut self) -> PResult<Arg<'a>> {
        self.skip_blanks();
        if self.bytes().get(self.pos) != Some(&b'"') {
            return Ok(Arg::Bare(self.rest()));
        }
        let arg = self.quoted()?;
        self.finish()?;
        Ok(arg)
    }

    /// Requires the end of the line.
    pub(crate) fn finish(&mut self) -> PResult<()> {
        match self.word() {
            None => Ok(()),
            Some(w) => Err(self.line.error(
                w.pos,
                format!("unexpected \"{}\"; expected the end of the line", w.text),
            )),
        }
    }

    /// An error at the cursor.
    pub(crate) fn error_here(&self, message: impl Into<String>) -> Diag {
        self.line.error(self.pos, message)
    }
}

/// The index of the first `"` at or after `from` that is not escaped by a backslash.
fn find_closing_quote(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(text: &str) -> Cursor<'_> {
        Cursor::new(Line { text, number: 4 })
    }

    #[test]
    fn words_skip_spaces_and_tabs() {
        let mut c = cursor("  send\t EPRT  |1|");
        assert_eq!(
            c.word(),
            Some(Word {
                text: "send",
                pos: 2
            })
        );
        assert_eq!(
            c.peek_word(),
            Some(Word {
                text: "EPRT",
                pos: 8
            })
        );
        assert_eq!(c.word().map(|w| w.text), Some("EPRT"));
        assert_eq!(c.word().map(|w| w.text), Some("|1|"));
        assert_eq!(c.word(), None);
        assert!(c.at_end());
    }

    #[test]
    fn rest_trims_trailing_blanks_only() {
        let mut c = cursor("send   a  #b \t ");
        c.word();
        assert_eq!(
            c.rest(),
            Word {
                text: "a  #b",
                pos: 7
            }
        );
    }

    #[test]
    fn quoted_arguments_keep_escapes_for_later() {
        let mut c = cursor(r#"write data "a \"b\" c" x"#);
        c.word();
        c.word();
        let arg = c.arg("text").unwrap();
        assert_eq!(
            arg,
            Arg::Quoted {
                inner: Word {
                    text: r#"a \"b\" c"#,
                    pos: 12
                },
                open: 11
            }
        );
        assert_eq!(arg.start(), 11);
        assert_eq!(c.arg("x").unwrap(), Arg::Bare(Word { text: "x", pos: 23 }));
    }

    #[test]
    fn unterminated_quote_is_reported_at_the_opening_quote() {
        let mut c = cursor(r#"write data "abc\""#);
        c.word();
        c.word();
        let e = c.arg("text").unwrap_err();
        assert_eq!((e.line, e.column), (4, 12));
        assert!(e.message.contains("unterminated quote"));
    }

    #[test]
    fn text_glued_to_a_closing_quote_is_an_error() {
        let mut c = cursor(r#"x "ab"cd"#);
        c.word();
        let e = c.arg("text").unwrap_err();
        assert_eq!(e.column, 7);
        assert!(e.message.contains("space after the closing quote"));
    }

    #[test]
    fn payload_quoted_must_take_the_whole_rest() {
        let mut c = cursor(r#"send " a " "#);
        c.word();
        assert!(matches!(
            c.payload().unwrap(),
            Arg::Quoted {
                inner: Word { text: " a ", .. },
                ..
            }
        ));
        let mut c = cursor(r#"send "a" b"#);
        c.word();
        let e = c.payload().unwrap_err();
        assert_eq!(e.column, 10);
        assert!(e.message.contains("expected the end of the line"));
        let mut c = cursor(r#"send MKD "a b""#);
        c.word();
        assert_eq!(c.payload().unwrap().body().text, r#"MKD "a b""#);
    }

    #[test]
    fn columns_count_characters_and_tabs_as_one() {
        let line = Line {
            text: "\t§é x",
            number: 1,
        };
        assert_eq!(line.column(0), 1);
        assert_eq!(line.column(1), 2);
        assert_eq!(line.column("\t§é".len()), 4);
    }

    #[test]
    fn finish_names_the_extra_word() {
        let mut c = cursor("login now");
        c.word();
        let e = c.finish().unwrap_err();
        assert_eq!(e.column, 7);
        assert!(e.message.contains("\"now\""));
    }
}
