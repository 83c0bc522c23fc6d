//! The escape grammar, both ways: decoding payloads and templates as written in a scenario, and
//! encoding bytes back so that any byte survives a write–parse round trip.
//!
//! Escapes: `\r` `\n` `\t` `\0` `\\` `\"` `\$` (a literal `$`), `\s` (a space), `\xHH` (any
//! byte). In templates `${name}` is a variable; a `$` not followed by `{` is an error, so that a
//! typo never silently becomes literal text.

use super::ast::{Part, Template};
use super::error::PResult;
use super::lexer::{Line, Word, is_name};

/// The escapes, as listed in error messages.
const KNOWN_ESCAPES: &str = r#"\r \n \t \0 \\ \" \$ \s \xHH"#;

/// A `${name}` in a template and where its `$` is (a byte position in the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarUse {
    pub name: String,
    pub pos: usize,
}

/// Decodes a payload or template argument: escapes resolved, `${name}` split out.
pub(crate) fn template(line: &Line, body: Word) -> PResult<(Template, Vec<VarUse>)> {
    let mut d = Decoder::new(line, body, true);
    d.run()?;
    d.flush();
    Ok((Template { parts: d.parts }, d.uses))
}

/// Decodes a text (a title or a requirement): escapes resolved, `$` literal, UTF-8 required.
pub(crate) fn text(line: &Line, body: Word) -> PResult<String> {
    let mut d = Decoder::new(line, body, false);
    d.run()?;
    String::from_utf8(d.lit)
        .map_err(|_| line.error(body.pos, "the escapes in this text do not make valid UTF-8"))
}

/// True for a valid variable name: `[a-z][a-z0-9_.-]*`.
pub(crate) fn is_var_name(name: &str) -> bool {
    is_name(name, false, b"_.-")
}

struct Decoder<'l, 'a> {
    line: &'l Line<'a>,
    text: &'a str,
    base: usize,
    vars: bool,
    i: usize,
    lit: Vec<u8>,
    parts: Vec<Part>,
    uses: Vec<VarUse>,
}

impl<'l, 'a> Decoder<'l, 'a> {
    fn new(line: &'l Line<'a>, body: Word<'a>, vars: bool) -> Self {
        let (text, base, lit) = (body.text, body.pos, Vec::with_capacity(body.text.len()));
        Decoder {
            line,
            text,
            base,
            vars,
            i: 0,
            lit,
            parts: Vec::new(),
            uses: Vec::new(),
        }
    }

    fn run(&mut self) -> PResult<()> {
        while let Some(&b) = self.text.as_bytes().get(self.i) {
            match b {
                b'\\' => self.escape()?,
                b'$' if self.vars => self.variable()?,
                _ => {
                    self.lit.push(b);
                    self.i += 1;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            self.parts
                .push(Part::Literal(std::mem::take(&mut self.lit)));
        }
    }

    /// A backslash at `self.i`.
    fn escape(&mut self) -> PResult<()> {
        let at = self.base + self.i;
        let Some(c) = self.text.get(self.i + 1..).and_then(|s| s.chars().next()) else {
            return Err(self.line.error(
                at,
                r"a lone backslash ends the text; write \\ for a backslash",
            ));
        };
        let byte = match c {
            'r' => b'\r',
            'n' => b'\n',
            't' => b'\t',
            '0' => 0,
            '\\' => b'\\',
            '"' => b'"',
            '$' => b'$',
            's' => b' ',
            'x' => return self.hex(at),
            _ => {
                let msg = format!(r#"unknown escape "\{c}"; known escapes: {KNOWN_ESCAPES}"#);
                return Err(self.line.error(at, msg));
            }
        };
        self.lit.push(byte);
        self.i += 2;
        Ok(())
    }

    /// `\xHH` at `at`: exactly two hex digits.
    fn hex(&mut self, at: usize) -> PResult<()> {
        let digits = self
            .text
            .get(self.i + 2..self.i + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some(byte) = digits.and_then(|d| u8::from_str_radix(d, 16).ok()) else {
            let found: String = self
                .text
                .get(self.i + 2..)
                .unwrap_or("")
                .chars()
                .take(2)
                .collect();
            let msg = format!(r#"expected two hex digits after \x, found "{found}""#);
            return Err(self.line.error(at, msg));
        };
        self.lit.push(byte);
        self.i += 4;
        Ok(())
    }

    /// A `$` at `self.i`: must open `${name}`.
    fn variable(&mut self) -> PResult<()> {
        let at = self.base + self.i;
        if self.text.as_bytes().get(self.i + 1) != Some(&b'{') {
            let msg = r"a lone $; write \$ for a dollar sign, or ${name} for a variable";
            return Err(self.line.error(at, msg));
        }
        let start = self.i + 2;
        let Some(len) = self.text.get(start..).and_then(|s| s.find('}')) else {
            return Err(self
                .line
                .error(at, "unterminated ${…}: expected a closing }"));
        };
        let name = self.text.get(start..start + len).unwrap_or_default();
        if !is_var_name(name) {
            let msg = format!(
                "invalid variable name \"{name}\"; expected a lower-case letter, \
                 then letters, digits, '.', '_' or '-'"
            );
            return Err(self.line.error(self.base + start, msg));
        }
        self.flush();
        self.parts.push(Part::Var(name.to_string()));
        self.uses.push(VarUse {
            name: name.to_string(),
            pos: at,
        });
        self.i = start + len + 1;
        Ok(())
    }
}

/// How an encoded string will be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Between quotes: every `"` is escaped.
    Quoted,
    /// Bare: only a leading `"` is escaped (it would open a quoted string).
    Bare,
}

/// Encodes a template (without surrounding quotes).
pub(crate) fn encode_template(t: &Template, style: Style) -> String {
    let mut out = String::new();
    for part in &t.parts {
        match part {
            Part::Literal(bytes) => encode_bytes(&mut out, bytes, style, true),
            Part::Var(name) => {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
            }
        }
    }
    out
}

/// Encodes a text for a quoted string (without the quotes); `$` stays literal.
pub(crate) fn encode_text(s: &str) -> String {
    let mut out = String::new();
    encode_bytes(&mut out, s.as_bytes(), Style::Quoted, false);
    out
}

/// Appends `bytes` in escaped form. Printable ASCII and printable non-blank Unicode stay as they
/// are; everything else becomes a named escape or `\xHH`.
fn encode_bytes(out: &mut String, bytes: &[u8], style: Style, escape_dollar: bool) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            encode_char(out, c, style, escape_dollar);
        }
        for &b in chunk.invalid() {
            push_hex(out, b);
        }
    }
}

fn encode_char(out: &mut String, c: char, style: Style, escape_dollar: bool) {
    match c {
        '\r' => out.push_str(r"\r"),
        '\n' => out.push_str(r"\n"),
        '\t' => out.push_str(r"\t"),
        '\0' => out.push_str(r"\0"),
        '\\' => out.push_str(r"\\"),
        '"' if style == Style::Quoted || out.is_empty() => out.push_str("\\\""),
        '$' if escape_dollar => out.push_str(r"\$"),
        ' ' => out.push(' '),
        c if c.is_ascii_graphic() => out.push(c),
        c if !c.is_ascii() && !c.is_control() && !c.is_whitespace() => out.push(c),
        c => {
            let mut buf = [0u8; 4];
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                push_hex(out, b);
            }
        }
    }
}

fn push_hex(out: &mut String, b: u8) {
    out.push_str(&format!("\\x{b:02x}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> PResult<(Template, Vec<VarUse>)> {
        let line = Line { text, number: 2 };
        template(&line, Word { text, pos: 0 })
    }

    /// `text` over a whole line.
    fn decode_text(text: &str) -> PResult<String> {
        let line = Line { text, number: 1 };
        super::text(&line, Word { text, pos: 0 })
    }

    fn lit(bytes: &[u8]) -> Part {
        Part::Literal(bytes.to_vec())
    }

    #[test]
    fn every_escape_decodes() {
        let (t, _) = decode(r#"\r\n\t\0\\\"\$\s\x41\xfF"#).unwrap();
        assert_eq!(t.parts, vec![lit(b"\r\n\t\0\\\"$ A\xff")]);
    }

    #[test]
    fn variables_split_literals() {
        let (t, uses) = decode("EPRT |1|${client.ip}|${data.port}|").unwrap();
        assert_eq!(
            t.parts,
            vec![
                lit(b"EPRT |1|"),
                Part::Var("client.ip".into()),
                lit(b"|"),
                Part::Var("data.port".into()),
                lit(b"|"),
            ]
        );
        assert_eq!(
            uses[1],
            VarUse {
                name: "data.port".into(),
                pos: 21
            }
        );
    }

    #[test]
    fn empty_text_is_an_empty_template() {
        assert_eq!(decode("").unwrap().0, Template::default());
    }

    #[test]
    fn hash_and_non_ascii_are_literal() {
        assert_eq!(
            decode("EPRT #1#é#").unwrap().0.parts,
            vec![lit("EPRT #1#é#".as_bytes())]
        );
    }

    fn err(text: &str) -> (usize, String) {
        let e = decode(text).unwrap_err();
        (e.column, e.message)
    }

    #[test]
    fn escape_errors_name_the_column() {
        let (col, msg) = err(r"ab\q");
        assert_eq!(col, 3);
        assert!(msg.contains(r#"unknown escape "\q""#), "{msg}");
        let (col, msg) = err(r"ab\x4g");
        assert_eq!(col, 3);
        assert!(
            msg.contains("two hex digits") && msg.contains("\"4g\""),
            "{msg}"
        );
        let (col, msg) = err(r"ab\x4");
        assert_eq!(col, 3);
        assert!(msg.contains("two hex digits"), "{msg}");
        let (col, msg) = err(r"abc\");
        assert_eq!(col, 4);
        assert!(msg.contains("lone backslash"), "{msg}");
    }

    #[test]
    fn dollar_errors_name_the_column() {
        let (col, msg) = err("a$b");
        assert_eq!(col, 2);
        assert!(msg.contains(r"\$"), "{msg}");
        let (col, msg) = err("a${b");
        assert_eq!(col, 2);
        assert!(msg.contains("unterminated"), "{msg}");
        let (col, msg) = err("a${Bad}");
        assert_eq!(col, 4);
        assert!(msg.contains("invalid variable name \"Bad\""), "{msg}");
        let (col, _) = err("a${}");
        assert_eq!(col, 4);
    }

    #[test]
    fn text_keeps_dollars_and_requires_utf8() {
        assert_eq!(decode_text(r"costs $5 \x41").unwrap(), "costs $5 A");
        assert!(decode_text(r"\xff").unwrap_err().message.contains("UTF-8"));
    }

    #[test]
    fn var_names() {
        assert!(is_var_name("epsv.port"));
        assert!(is_var_name("a-b_c.9"));
        assert!(!is_var_name("9a"));
        assert!(!is_var_name(""));
        assert!(!is_var_name("a b"));
    }

    #[test]
    fn every_byte_round_trips_in_both_styles() {
        let all: Vec<u8> = (0..=255).collect();
        let t = Template {
            parts: vec![lit(&all), Part::Var("x.y".into()), lit(b"\"$")],
        };
        for style in [Style::Quoted, Style::Bare] {
            let encoded = encode_template(&t, style);
            assert!(!encoded.contains('\n') && !encoded.contains('\r'));
            assert_eq!(decode(&encoded).unwrap().0, t, "{encoded}");
        }
    }

    #[test]
    fn encoding_is_readable() {
        let t = Template {
            parts: vec![lit("\"MKD \"dir\" é\t$".as_bytes())],
        };
        assert_eq!(encode_template(&t, Style::Bare), r#"\"MKD "dir" é\t\$"#);
        assert_eq!(encode_template(&t, Style::Quoted), r#"\"MKD \"dir\" é\t\$"#);
        assert_eq!(encode_text("a \"b\" $c\\"), r#"a \"b\" $c\\"#);
        assert_eq!(encode_text("\u{a0}\u{85}"), r"\xc2\xa0\xc2\x85");
    }
}
