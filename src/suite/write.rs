//! The writer: a [`Scenario`] back to canonical source. The fuzzer writes its findings this way,
//! so what it writes must re-parse to the same scenario (locations aside) whatever bytes the
//! payloads hold: bytes that are not printable text are written as escapes.
//!
//! Canonical form: keywords padded to one column, two spaces of indent per block, headers in the
//! order spec, requirement, tags, needs, covers; `send` payloads bare unless they are empty or begin or
//! end with a blank (then quoted); texts after `contains`, `equals` and `write` always quoted;
//! `check` values and the `send-long` verb bare when they are one word, else quoted.

use super::ast::{Action, CodePattern, DataCheck, Expect, Scenario, Step, Template, TextCheck};
use super::escape::{Style, encode_template, encode_text};
use std::fmt::{self, Write};

/// Keywords are padded to this width (`requirement` is the longest header).
const KEYWORD_WIDTH: usize = 11;

/// Writes scenarios as one file, separated by blank lines.
pub fn write_file(scenarios: &[Scenario]) -> String {
    let texts: Vec<String> = scenarios.iter().map(Scenario::to_string).collect();
    texts.join("\n")
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenario {} \"{}\"", self.id, encode_text(&self.title))?;
        let spec = &self.spec;
        line(
            f,
            1,
            "spec",
            &format!("{} {} {}", spec.rfc, spec.section, spec.level),
        )?;
        line(
            f,
            1,
            "requirement",
            &format!("\"{}\"", encode_text(&self.requirement)),
        )?;
        if !self.tags.is_empty() {
            line(f, 1, "tags", &self.tags.join(" "))?;
        }
        if !self.needs.is_empty() {
            let needs: Vec<&str> = self.needs.iter().map(|n| n.keyword()).collect();
            line(f, 1, "needs", &needs.join(" "))?;
        }
        if !self.covers.is_empty() {
            let covers: Vec<String> = self
                .covers
                .iter()
                .map(|c| match c.contains(' ') {
                    true => format!("\"{c}\""),
                    false => c.clone(),
                })
                .collect();
            line(f, 1, "covers", &covers.join(" "))?;
        }
        steps(f, 1, &self.steps)
    }
}

/// One line: indent, keyword, padding, arguments.
fn line(f: &mut fmt::Formatter<'_>, depth: usize, keyword: &str, args: &str) -> fmt::Result {
    let indent = "  ".repeat(depth);
    match args.is_empty() {
        true => writeln!(f, "{indent}{keyword}"),
        false => writeln!(f, "{indent}{keyword:<KEYWORD_WIDTH$} {args}"),
    }
}

fn steps(f: &mut fmt::Formatter<'_>, depth: usize, steps: &[Step]) -> fmt::Result {
    for step in steps {
        match &step.action {
            Action::Repeat { count, steps: body } => {
                line(f, depth, "repeat", &count.to_string())?;
                self::steps(f, depth + 1, body)?;
                line(f, depth, "end", "")?;
            }
            Action::RepeatBurst { steps: body } => {
                line(f, depth, "repeat", super::blocks::BURST_COUNT)?;
                self::steps(f, depth + 1, body)?;
                line(f, depth, "end", "")?;
            }
            Action::Setup { steps: body } => {
                line(f, depth, "setup", "")?;
                self::steps(f, depth + 1, body)?;
                line(f, depth, "end", "")?;
            }
            Action::If {
                codes,
                then,
                otherwise,
            } => {
                line(f, depth, "if", &format!("reply {}", codes_text(codes)))?;
                self::steps(f, depth + 1, then)?;
                if !otherwise.is_empty() {
                    line(f, depth, "else", "")?;
                    self::steps(f, depth + 1, otherwise)?;
                }
                line(f, depth, "end", "")?;
            }
            action => {
                let (keyword, args) = step_words(action);
                line(f, depth, keyword, &args)?;
            }
        }
    }
    Ok(())
}

/// The keyword and the argument text of a step (blocks are written by [`steps`]).
fn step_words(action: &Action) -> (&'static str, String) {
    match action {
        Action::Login => ("login", String::new()),
        Action::Anonymous => ("anonymous", String::new()),
        Action::Send {
            payload,
            crlf: true,
        } => ("send", payload_text(payload)),
        Action::Send {
            payload,
            crlf: false,
        } => ("send-raw", payload_text(payload)),
        Action::Expect(e) => ("expect", expect_args(e)),
        Action::Listen {
            channel,
            on,
            reuse,
            privileged,
        } => {
            let head = match (reuse, privileged) {
                (true, _) => format!("{channel} reuse"),
                (false, true) => format!("{channel} privileged"),
                (false, false) => channel.clone(),
            };
            ("listen", with_option(&head, "on", on.as_ref()))
        }
        Action::Accept { channel, from } => ("accept", with_option(channel, "from", from.as_ref())),
        Action::ExpectNoConnection { channel } => ("expect-no-connection", channel.clone()),
        Action::Connect {
            channel,
            port,
            from,
            protection,
        } => {
            let to = format!("{channel} to {}", token(port));
            let head = with_option(&to, "from", from.as_ref());
            match protection.keyword() {
                Some(word) => ("connect", format!("{head} {word}")),
                None => ("connect", head),
            }
        }
        Action::Read { channel, checks } => ("read", read_args(channel, checks)),
        Action::Write { channel, payload } => ("write", format!("{channel} {}", quoted(payload))),
        Action::Close { channel } => ("close", channel.clone()),
        Action::Abort { urgent: false } => ("abort", String::new()),
        Action::Abort { urgent: true } => ("abort", "urgent".to_string()),
        Action::Note(payload) => ("note", payload_text(payload)),
        Action::Repeat { count, .. } => ("repeat", count.to_string()),
        Action::RepeatBurst { .. } => ("repeat", super::blocks::BURST_COUNT.to_string()),
        Action::If { codes, .. } => ("if", format!("reply {}", codes_text(codes))),
        Action::Reconnect => ("reconnect", String::new()),
        Action::SendLong { verb, count } => ("send-long", format!("{} {count}", token(verb))),
        Action::ExpectClose => ("expect", "close".to_string()),
        Action::ConnectRefused {
            channel,
            port,
            from,
            within_ms,
        } => {
            let to = format!("{channel} to {}", token(port));
            let head = with_option(&to, "from", from.as_ref());
            let within = within_ms
                .map(|ms| format!(" within {ms}"))
                .unwrap_or_default();
            ("connect", format!("{head} refused{within}"))
        }
        Action::ExpectNoData { channel } => ("expect-no-data", channel.clone()),
        Action::Drain {
            channel,
            background: false,
        } => ("drain", channel.clone()),
        Action::Drain {
            channel,
            background: true,
        } => ("drain", format!("{channel} background")),
        Action::ReadSome { channel, count } => ("read-some", format!("{channel} {count}")),
        Action::ExpectSilence { millis } => ("expect-silence", millis.to_string()),
        Action::Collect { series, value } => {
            ("collect", format!("{series} {}", payload_text(value)))
        }
        Action::Check { left, op, right } => (
            "check",
            format!("{} {} {}", token(left), op.keyword(), token(right)),
        ),
        Action::CheckVaries { series } => ("check-varies", series.clone()),
        Action::CheckMatches { value, regex } => (
            "check",
            format!("{} matches {}", token(value), regex_arg(regex)),
        ),
        Action::Setup { .. } => ("setup", String::new()),
        Action::Transfer {
            channel,
            from,
            allow_425,
        } => {
            let head = with_option(channel, "from", from.as_ref());
            let or = match allow_425 {
                true => " or 425",
                false => "",
            };
            ("transfer", format!("{head}{or}"))
        }
        Action::Disconnect => ("disconnect", String::new()),
        Action::RunCheck(check) => ("run-check", check.keyword().to_string()),
        Action::StartTls => ("starttls", String::new()),
        Action::Skip(reason) => ("skip", payload_text(reason)),
    }
}

fn codes_text(codes: &[CodePattern]) -> String {
    let codes: Vec<String> = codes.iter().map(ToString::to_string).collect();
    codes.join(" ")
}

/// A rest-of-line payload: bare when that reads back the same, else quoted.
fn payload_text(t: &Template) -> String {
    let bare = encode_template(t, Style::Bare);
    let blank = |c: char| c == ' ' || c == '\t';
    if bare.is_empty() || bare.starts_with(blank) || bare.ends_with(blank) {
        quoted(t)
    } else {
        bare
    }
}

/// An argument in a token position: bare when it is one non-empty word, else quoted.
fn token(t: &Template) -> String {
    let bare = encode_template(t, Style::Bare);
    if bare.is_empty() || bare.contains([' ', '\t']) {
        quoted(t)
    } else {
        bare
    }
}

fn quoted(t: &Template) -> String {
    format!("\"{}\"", encode_template(t, Style::Quoted))
}

fn with_option(head: &str, keyword: &str, value: Option<&Template>) -> String {
    match value {
        Some(t) => format!("{head} {keyword} {}", token(t)),
        None => head.to_string(),
    }
}

fn expect_args(e: &Expect) -> String {
    let mut out = codes_text(&e.codes);
    if let Some(binder) = e.bind {
        let _ = write!(out, " as {}", binder.keyword());
    }
    for check in &e.text {
        let _ = match check {
            TextCheck::Contains(t) => write!(out, " contains {}", quoted(t)),
            TextCheck::Matches(re) => write!(out, " matches {}", regex_arg(re)),
        };
    }
    if e.or_close {
        out.push_str(" close");
    }
    if e.or_silence {
        out.push_str(" silence");
    }
    out
}

/// A regex is written verbatim between quotes, except that a `"` not already escaped gains a
/// backslash and a raw CR or LF becomes `\r` or `\n` (the same to the regex crate). A regex read
/// from a bare word holding a `"` is written bare again, so it re-parses to the same text.
fn regex_arg(re: &str) -> String {
    let bare_ok = !re.is_empty() && !re.starts_with('"') && !re.contains([' ', '\t', '\r', '\n']);
    if bare_ok && has_unescaped_quote(re) {
        return re.to_string();
    }
    let mut out = String::with_capacity(re.len() + 2);
    out.push('"');
    let mut escaped = false;
    for c in re.chars() {
        match c {
            '"' if !escaped => out.push_str("\\\""),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    out.push('"');
    out
}

fn has_unescaped_quote(re: &str) -> bool {
    let mut escaped = false;
    re.chars().any(|c| {
        let hit = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        hit
    })
}

fn read_args(channel: &str, checks: &[DataCheck]) -> String {
    let mut out = channel.to_string();
    for check in checks {
        let _ = match check {
            DataCheck::Equals(t) => write!(out, " equals {}", quoted(t)),
            DataCheck::Contains(t) => write!(out, " contains {}", quoted(t)),
            DataCheck::Length(n) => write!(out, " length {n}"),
            DataCheck::Save(key) => write!(out, " save {key}"),
            DataCheck::SameAs(key) => write!(out, " same-as {key}"),
        };
    }
    out
}
