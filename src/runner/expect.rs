//! Checking a reply against an `expect` step and binding variables from it.

use super::stop::{CHECK_REPLY_CODE, Stop};
use super::vars::Vars;
use crate::proto::{EpsvReply, HostPort, ProtocolList, Reply};
use crate::session::transcript::escape_bytes;
use crate::suite::{Binder, Expect, TextCheck};

/// What an `expect` step waits for, as shown in a failure's "expected" line.
pub fn describe(expect: &Expect) -> String {
    let mut out: Vec<String> = expect.codes.iter().map(|c| c.to_string()).collect();
    if let Some(binder) = expect.bind {
        out.push(match binder {
            Binder::Epsv => "as epsv: (<d><d><d><port><d>)".into(),
            Binder::Pasv => "as pasv: h1,h2,h3,h4,p1,p2".into(),
            Binder::Protocols => "as protocols: text ending (p1,…,pn)".into(),
        });
    }
    for check in &expect.text {
        out.push(match check {
            TextCheck::Contains(t) => format!("contains {t:?}"),
            TextCheck::Matches(re) => format!("matches /{re}/"),
        });
    }
    if expect.or_close {
        out.push("or a close".into());
    }
    if expect.or_silence {
        out.push("or silence".into());
    }
    out.join(" ")
}

/// The reply as shown in a failure's "actual" line: its lines, escaped, CRLF dropped.
pub fn show(reply: &Reply) -> String {
    let lines: Vec<String> = reply
        .lines
        .iter()
        .map(|l| escape_bytes(l.strip_suffix(b"\r\n").unwrap_or(l)))
        .collect();
    lines.join(" | ")
}

/// Checks `reply` against `expect`, binding variables on success.
pub fn check(line: usize, expect: &Expect, reply: &Reply, vars: &mut Vars) -> Result<(), Stop> {
    let expected = describe(expect);
    let fail = |message: String| Stop::fail(line, message, expected.clone(), show(reply));
    if !expect.codes.iter().any(|c| c.matches(reply.code)) {
        return Err(
            fail(format!("reply code {} is not the one expected", reply.code))
                .checking(CHECK_REPLY_CODE),
        );
    }
    if let Some(binder) = expect.bind.filter(|b| b.code() == reply.code) {
        bind(binder, reply, vars).map_err(|m| fail(m).checking(binder_check(binder)))?;
    }
    for check in &expect.text {
        text_check(check, reply, vars).map_err(|m| fail(m).checking("reply text"))?;
    }
    Ok(())
}

/// The check a binder's parse failure is grouped under: a malformed 229, 227 or 522 is a
/// defect of the reply, whichever command drew it.
pub fn binder_check(binder: Binder) -> &'static str {
    match binder {
        Binder::Epsv => "as epsv",
        Binder::Pasv => "as pasv",
        Binder::Protocols => "as protocols",
    }
}

fn bind(binder: Binder, reply: &Reply, vars: &mut Vars) -> Result<(), String> {
    let text = reply.last_text();
    match binder {
        Binder::Epsv => {
            let epsv = EpsvReply::from_reply_text(text)
                .map_err(|e| format!("229 reply is not (<d><d><d><port><d>) (RFC 2428 §3): {e}"))?;
            vars.set("epsv.port", epsv.port.to_string());
        }
        Binder::Pasv => {
            let hp = HostPort::from_227_text(text)
                .map_err(|e| format!("227 reply has no h1,h2,h3,h4,p1,p2 (RFC 959 §4.1.2): {e}"))?;
            vars.set("pasv.ip", hp.ip.to_string());
            vars.set("pasv.port", hp.port.to_string());
        }
        Binder::Protocols => {
            let list = ProtocolList::from_reply_text(text).map_err(|e| {
                format!("522 text does not end with the protocol list (p1,…,pn) (RFC 2428 §2): {e}")
            })?;
            let joined: Vec<String> = list.0.iter().map(|p| p.to_string()).collect();
            if let Some(first) = joined.first() {
                vars.set("protocols.first", first.clone());
            }
            vars.set("protocols", joined.join(","));
        }
    }
    Ok(())
}

fn text_check(check: &TextCheck, reply: &Reply, vars: &Vars) -> Result<(), String> {
    let text = reply.text();
    match check {
        TextCheck::Contains(template) => {
            let needle = vars.render(template)?;
            if needle.is_empty() || text.windows(needle.len()).any(|w| w == needle.as_slice()) {
                Ok(())
            } else {
                Err(format!(
                    "reply text does not contain \"{}\"",
                    escape_bytes(&needle)
                ))
            }
        }
        TextCheck::Matches(pattern) => {
            let re = regex::bytes::Regex::new(pattern).map_err(|e| format!("bad regex: {e}"))?;
            if re.is_match(&text) {
                Ok(())
            } else {
                Err(format!("reply text does not match /{pattern}/"))
            }
        }
    }
}
