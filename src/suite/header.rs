//! The `scenario <id> "<title>"` line and the header lines that follow it: `spec`,
//! `requirement`, `tags`, `needs`, `covers`.
//!
//! `spec` and `requirement` are mandatory: every scenario names the RFC sentence it enforces, so
//! a failure can quote it. `tags` and `needs` may repeat and accumulate.

use super::ast::{Level, Need, Spec};
use super::error::{Diag, PResult};
use super::escape;
use super::lexer::{Arg, Cursor, Word, is_name};

/// The header keywords, in the order the language reference lists them.
pub(crate) const HEADERS: &[&str] = &["spec", "requirement", "tags", "needs", "covers"];

/// A scenario's identity and headers, as far as they have been read.
#[derive(Debug)]
pub(crate) struct Header {
    pub id: String,
    pub title: String,
    /// The `scenario` line, and the column of its keyword.
    pub line: usize,
    pub column: usize,
    pub spec: Option<Spec>,
    pub requirement: Option<String>,
    pub tags: Vec<String>,
    pub needs: Vec<Need>,
    pub covers: Vec<String>,
}

/// The arguments of a `scenario` line: a dotted ID and a quoted title.
pub(crate) fn scenario_line(c: &mut Cursor) -> PResult<Header> {
    let w = c.expect_word("a scenario ID (like rfc2428.eprt.ipv4-accepted)")?;
    check_id(c, w)?;
    let title = quoted_text(c, "a quoted title after the ID", "the title")?;
    c.finish()?;
    let (id, line, column) = (
        w.text.to_string(),
        c.line.number,
        c.line.column(c.line.indent()),
    );
    Ok(Header {
        id,
        title,
        line,
        column,
        spec: None,
        requirement: None,
        tags: Vec::new(),
        needs: Vec::new(),
        covers: Vec::new(),
    })
}

/// IDs are dotted, each component `[a-z0-9][a-z0-9_-]*`, at least two components.
fn check_id(c: &Cursor, w: Word) -> PResult<()> {
    let mut pos = w.pos;
    for component in w.text.split('.') {
        if !is_name(component, true, b"_-") {
            let msg = format!(
                "invalid ID component \"{component}\" in \"{}\"; expected a lower-case letter \
                 or digit, then letters, digits, '-' or '_'",
                w.text
            );
            return Err(c.line.error(pos, msg));
        }
        pos += component.len() + 1;
    }
    if !w.text.contains('.') {
        let msg = format!(
            "the ID \"{}\" needs at least two dotted components (like rfc959.abor.idle)",
            w.text
        );
        return Err(c.line.error(w.pos, msg));
    }
    Ok(())
}

/// Reads one header line into `h`. `kw` is one of [`HEADERS`].
pub(crate) fn header(h: &mut Header, kw: Word, c: &mut Cursor) -> PResult<()> {
    match kw.text {
        "spec" => once(&mut h.spec, kw, c, spec),
        "requirement" => once(&mut h.requirement, kw, c, requirement),
        "tags" => tags(h, c),
        "covers" => covers(h, c),
        _ => needs(h, c),
    }?;
    c.finish()
}

/// A header that may appear once.
fn once<T>(
    slot: &mut Option<T>,
    kw: Word,
    c: &mut Cursor,
    f: fn(&mut Cursor) -> PResult<T>,
) -> PResult<()> {
    if slot.is_some() {
        return Err(c.line.error(
            kw.pos,
            format!("duplicate `{}` header; it may appear only once", kw.text),
        ));
    }
    *slot = Some(f(c)?);
    Ok(())
}

/// `spec RFC2428 §2 MUST`. The levels are RFC 2119's, written in capitals as the RFCs write
/// them; `must` is refused so that a level is never a guess.
fn spec(c: &mut Cursor) -> PResult<Spec> {
    let rfc = c
        .expect_word("an RFC (like RFC2428) after spec")?
        .text
        .to_string();
    let section = c
        .expect_word("a section (like §2) after the RFC")?
        .text
        .to_string();
    let w = c.expect_word("a level (MUST, SHOULD or MAY) after the section")?;
    let level = match w.text {
        "MUST" => Level::Must,
        "SHOULD" => Level::Should,
        "MAY" => Level::May,
        other => {
            let msg = format!("expected a level (MUST, SHOULD or MAY), found \"{other}\"");
            return Err(c.line.error(w.pos, msg));
        }
    };
    Ok(Spec {
        rfc,
        section,
        level,
    })
}

/// `requirement "<the RFC sentence>"`.
fn requirement(c: &mut Cursor) -> PResult<String> {
    quoted_text(
        c,
        "the quoted RFC sentence after requirement",
        "the requirement text",
    )
}

/// A quoted, non-blank text (escapes resolved, `$` literal).
fn quoted_text(c: &mut Cursor, what: &str, name: &str) -> PResult<String> {
    let (inner, open) = match c.arg(what)? {
        Arg::Quoted { inner, open } => (inner, open),
        Arg::Bare(w) => {
            return Err(c
                .line
                .error(w.pos, format!("expected {what}, found \"{}\"", w.text)));
        }
    };
    let text = escape::text(&c.line, inner)?;
    if text.trim().is_empty() {
        return Err(c.line.error(open, format!("{name} is empty")));
    }
    Ok(text)
}

/// `tags <word>…`: words like IDs' components (`[a-z0-9][a-z0-9_.-]*`), so `--tag` can name them.
fn tags(h: &mut Header, c: &mut Cursor) -> PResult<()> {
    if c.at_end() {
        return Err(c.error_here("expected one or more tags after tags"));
    }
    while let Some(w) = c.word() {
        let ok = is_name(w.text, true, b"_.-");
        if !ok {
            let msg = format!(
                "invalid tag \"{}\"; expected lower-case letters, digits, '.', '-' or '_'",
                w.text
            );
            return Err(c.line.error(w.pos, msg));
        }
        h.tags.push(w.text.to_string());
    }
    Ok(())
}

/// `covers EPSV TYPE "EPSV ALL"…`: commands this scenario tests on its own, each a verb (RFC
/// 959 §5.3.1: "four or fewer alphabetic characters") in upper case, or a quoted verb and
/// argument (`"EPSV ALL"`, a command distinct from `EPSV`). A setup step that fails after the
/// longest matching one points here.
fn covers(h: &mut Header, c: &mut Cursor) -> PResult<()> {
    if c.at_end() {
        return Err(c.error_here("expected one or more commands (like EPSV) after covers"));
    }
    while !c.at_end() {
        let arg = c.arg("a command (like EPSV or \"EPSV ALL\")")?;
        let body = arg.body();
        let command = body.text;
        let verb = command.split(' ').next().unwrap_or_default();
        let valid_verb =
            (1..=4).contains(&verb.len()) && verb.bytes().all(|b| b.is_ascii_uppercase());
        let valid_rest = command.bytes().all(|b| {
            b == b' '
                || (b.is_ascii_graphic() && !b.is_ascii_lowercase() && b != b'"' && b != b'\\')
        });
        if !valid_verb || !valid_rest || command.ends_with(' ') || command.contains("  ") {
            let msg = format!(
                "expected a command in upper case (a verb of one to four letters, like EPSV, \
                 or a quoted command like \"EPSV ALL\"), found \"{command}\""
            );
            return Err(c.line.error(body.pos, msg));
        }
        if h.covers.iter().any(|v| v == command) {
            return Err(c
                .line
                .error(body.pos, format!("{command} is already covered")));
        }
        h.covers.push(command.to_string());
    }
    Ok(())
}

/// `needs ipv4|ipv6|tls|auth-tls|tls-required…`. `tls` (protected from the start) and
/// `auth-tls` (clear until the scenario's own `AUTH TLS`) exclude each other.
fn needs(h: &mut Header, c: &mut Cursor) -> PResult<()> {
    let words: Vec<&str> = Need::ALL.iter().map(|n| n.keyword()).collect();
    let expected = format!("expected {}", words.join(", "));
    if c.at_end() {
        return Err(c.error_here(format!("{expected} after needs")));
    }
    while let Some(w) = c.word() {
        let Some(need) = Need::ALL.iter().copied().find(|n| n.keyword() == w.text) else {
            let msg = format!("{expected}, found \"{}\"", w.text);
            return Err(c.line.error(w.pos, msg));
        };
        let clash = match need {
            Need::Tls => Some(Need::AuthTls),
            Need::AuthTls => Some(Need::Tls),
            _ => None,
        };
        if let Some(other) = clash.filter(|o| h.needs.contains(o)) {
            let msg = format!(
                "`needs {}` and `needs {}` exclude each other: a session is protected from its \
                 start, or clear until the scenario's own AUTH TLS",
                need.keyword(),
                other.keyword()
            );
            return Err(c.line.error(w.pos, msg));
        }
        h.needs.push(need);
    }
    Ok(())
}

impl Header {
    /// The mandatory headers, or an error at the `scenario` line naming what is missing.
    pub(crate) fn complete(&mut self) -> PResult<(Spec, String)> {
        let missing: Vec<&str> = [
            ("spec", self.spec.is_none()),
            ("requirement", self.requirement.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        match (self.spec.take(), self.requirement.take()) {
            (Some(spec), Some(req)) => Ok((spec, req)),
            _ => Err(Diag::new(
                self.line,
                self.column,
                format!(
                    "scenario {} has no `{}` header",
                    self.id,
                    missing.join("` or `")
                ),
            )),
        }
    }
}
