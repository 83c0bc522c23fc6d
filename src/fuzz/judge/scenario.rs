//! A trace and a verdict → a `.ftpspec` scenario that does the same again and fails where the
//! server broke: the steps up to the violation, then an expectation that encodes the broken
//! invariant (`expect 4xx 5xx` after a malformed EPRT that got 2xx, any code after a command
//! that got none, `as epsv` on a 229 that did not parse).

use crate::fuzz::exec::trace::{Act, Chan, LOGIN_OP, Trace};
use crate::fuzz::judge::oracle::{Oracle, ReplayCheck, Violation};
use crate::suite::{
    Action, Binder, CodePattern, DataCheck, Expect, Level, Location, Part, Scenario, Spec, Step,
    Template,
};

/// Where an oracle's requirement comes from: (RFC, section, level, requirement text).
fn requirement(
    oracle: Oracle,
    signature: &str,
) -> (&'static str, &'static str, Level, &'static str) {
    match oracle {
        Oracle::ClosedWithout421 => (
            "RFC959",
            "§4.2",
            Level::Should,
            "421 Service not available, closing control connection. This may be a reply to any command if the service knows it must shut down. [Derived SHOULD: a server that closes the control connection says 421 first, so that the client knows the next command was never read.]",
        ),
        Oracle::Unavailable => (
            "RFC959",
            "§5.4",
            Level::Must,
            "Connection Establishment: 120 → 220, 220, 421. [Derived MUST: a 421 at connection establishment is for a server that is temporarily unavailable; a server whose sessions stay refused after a campaign's dialogues, with none of them open, has stopped serving.]",
        ),
        Oracle::Crash | Oracle::Hang | Oracle::Silence => (
            "RFC959",
            "§4.2",
            Level::Must,
            "Every command must generate at least one reply. [Derived MUST: the server must answer this command, and keep serving.]",
        ),
        Oracle::MalformedReply if signature.starts_with("229") => (
            "RFC2428",
            "§3",
            Level::Must,
            "The text returned in response to the EPSV command MUST be: <text indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)",
        ),
        Oracle::MalformedReply if signature.starts_with("522") => (
            "RFC2428",
            "§2",
            Level::Must,
            "If the network protocol is unsupported, the format of the response string MUST be: <text stating that the network protocol is unsupported> (prot1,prot2,...,protn)",
        ),
        Oracle::MalformedReply if signature.starts_with("227") => (
            "RFC959",
            "§4.1.2",
            Level::Must,
            "The response to this command includes the host and port address this server is listening on. [Derived MUST: a 227 carries h1,h2,h3,h4,p1,p2, RFC 959 §5.3.2.]",
        ),
        Oracle::MalformedReply => (
            "RFC959",
            "§4.2",
            Level::Must,
            "A reply is defined to contain the 3-digit code, followed by Space <SP>, followed by one line of text (where some maximum line length has been specified), and terminated by the Telnet end-of-line code.",
        ),
        Oracle::MalformedAccepted if signature.starts_with("PORT") => (
            "RFC959",
            "§4.1.2",
            Level::Must,
            "The argument is a HOST-PORT specification for the data port to be used in data connection. [Derived MUST: a malformed host-port is a syntax error, 501, never 2xx.]",
        ),
        Oracle::MalformedAccepted => (
            "RFC2428",
            "§2",
            Level::Must,
            "The delimiter character MUST be one of the ASCII characters in range 33-126 inclusive. [Derived MUST: a malformed EPRT argument (delimiter, net-prt, address, port) is refused with 500/501, never 2xx.]",
        ),
        Oracle::BounceAccepted => (
            "RFC2577",
            "§3",
            Level::Should,
            "[RFC 2577 §3, bounce attack: servers should not open data connections to an address other than the client's; a PORT/EPRT naming a third party should be refused.]",
        ),
        Oracle::LockoutBroken => (
            "RFC2428",
            "§3",
            Level::Must,
            "Upon receipt of an EPSV ALL command, the server MUST reject all data connection setup commands other than EPSV (i.e., EPRT, PORT, PASV, et al.).",
        ),
        Oracle::DeadPassivePort => (
            "RFC2428",
            "§3",
            Level::Must,
            "The response to this command includes only the TCP port number of the listening connection. [Derived MUST: that port accepts the data connection.]",
        ),
        Oracle::ForeignServed => (
            "RFC2577",
            "§4",
            Level::Should,
            "[RFC 2577 §4, port stealing: the server should check that the data connection comes from the same host as the control connection, and must not serve data to another.]",
        ),
    }
}

/// Any reply at all.
fn any_code() -> Vec<CodePattern> {
    (1..=5).map(CodePattern::Class).collect()
}

fn expect(codes: Vec<CodePattern>, bind: Option<Binder>) -> Action {
    Action::Expect(Expect {
        codes,
        bind,
        text: Vec::new(),
        or_close: false,
        or_silence: false,
    })
}

/// The scenario for `verdict` on `trace`, with the given ID and title.
pub fn to_scenario(trace: &Trace, verdict: &Violation, id: String, title: String) -> Scenario {
    to_scenario_after(&[], trace, verdict, id, title)
}

/// The scenario for `verdict` on `trace`, after the sessions of `prelude` (oldest first), each
/// replayed in full on a session of its own (`reconnect` between them) with any reply
/// accepted: for a defect that only the sum of many dialogues shows, such as a target that
/// stops serving after them.
pub fn to_scenario_after(
    prelude: &[Trace],
    trace: &Trace,
    verdict: &Violation,
    id: String,
    title: String,
) -> Scenario {
    let (rfc, section, level, text) = requirement(verdict.oracle, &verdict.signature);
    let mut steps = Vec::new();
    for earlier in prelude {
        for act in &earlier.acts {
            if earlier.is_sentinel_act(act) {
                continue;
            }
            if let Some(action) = step(earlier, act, None) {
                steps.push(Step {
                    line: steps.len() + 1,
                    action,
                });
            }
        }
        steps.push(Step {
            line: steps.len() + 1,
            action: Action::Reconnect,
        });
    }
    for (i, act) in trace.acts.iter().enumerate().take(verdict.act + 1) {
        let last = i == verdict.act;
        if trace.is_sentinel_act(act) && !last {
            continue;
        }
        if let Some(action) = step(trace, act, last.then_some(verdict.expect)) {
            steps.push(Step {
                line: steps.len() + 1,
                action,
            });
        }
    }
    Scenario {
        id,
        title,
        spec: Spec {
            rfc: rfc.into(),
            section: section.into(),
            level,
        },
        requirement: match (verdict.oracle, verdict.rule) {
            // The rule this malformation breaks, rather than the oracle's general one: an EPRT
            // with a bad port quotes the port sentence, not the delimiter one.
            (Oracle::MalformedAccepted, Some(rule)) => format!(
                "{rule} [Derived MUST: a malformed argument is refused with 500/501, never 2xx.]"
            ),
            (_, Some(rule)) => rule.to_string(),
            (_, None) => text.into(),
        },
        tags: vec!["fuzz".into(), verdict.oracle.name().into()],
        // Over TLS the replay's session is protected as the campaign's were (`ftpspec run
        // --tls …`), and a run in the clear SKIPs it.
        needs: match trace.tls {
            true => vec![crate::suite::Need::Tls],
            false => Vec::new(),
        },
        covers: Vec::new(),
        steps,
        location: Location {
            file: "(fuzz)".into(),
            line: 1,
        },
    }
}

/// One step; `last` carries the expectation when this is where the oracle fired.
fn step(trace: &Trace, act: &Act, last: Option<ReplayCheck>) -> Option<Action> {
    let channel = |c: Chan| c.name().to_string();
    Some(match act {
        Act::Login => Action::Login,
        Act::Listen => Action::Listen {
            channel: Chan::Active.name().into(),
            on: None,
            reuse: false,
            privileged: false,
        },
        Act::Send { line, crlf, .. } => Action::Send {
            payload: line.to_template(&trace.values),
            crlf: *crlf,
        },
        Act::UrgentAbort { .. } => Action::Abort { urgent: true },
        // The executor's own: its replay waits for the missing reply instead.
        Act::Sentinel => return None,
        Act::Reply { cmd, binder, .. } => {
            // The runner's `login` step reads the login replies itself.
            if trace.commands.get(*cmd).is_some_and(|c| c.op == LOGIN_OP) && last.is_none() {
                return None;
            }
            match last {
                Some(e) => final_expect(e, *binder),
                // Earlier 229/227 replies bind their port for a later `connect`.
                None => expect(
                    any_code(),
                    binder.filter(|b| matches!(b, Binder::Epsv | Binder::Pasv)),
                ),
            }
        }
        // A reply missing in the login: the runner's `login` step waits for it itself; an
        // `expect` after it would wait for a reply to nothing.
        Act::Missing { cmd } if trace.commands.get(*cmd).is_some_and(|c| c.op == LOGIN_OP) => {
            return None;
        }
        Act::Missing { .. } => final_expect(last?, None),
        Act::Connect { chan, via, ok } => {
            if !ok && last.is_none() {
                return None;
            }
            let var = match via {
                Binder::Pasv => "pasv.port",
                _ => "epsv.port",
            };
            Action::Connect {
                channel: channel(*chan),
                port: Template {
                    parts: vec![Part::Var(var.into())],
                },
                from: (*chan == Chan::Thief)
                    .then(|| Template::literal(crate::fuzz::exec::data::THIEF_IP.to_string())),
                protection: Default::default(),
            }
        }
        Act::Accept => Action::Accept {
            channel: channel(Chan::Active),
            from: None,
        },
        Act::Read { chan, .. } => Action::Read {
            channel: channel(*chan),
            checks: match last {
                Some(ReplayCheck::NoData) => vec![DataCheck::Length(0)],
                _ => Vec::new(),
            },
        },
        Act::Write { chan, bytes } => Action::Write {
            channel: channel(*chan),
            payload: Template::literal(bytes.clone()),
        },
        Act::Close { chan } => Action::Close {
            channel: channel(*chan),
        },
    })
}

/// A finding's scenario, run, failed (or warned, for a SHOULD) at its last step — where the
/// oracle fired. Failing at an earlier step, it took another path (it waited for a reply the
/// dialogue had and this run did not get), which says nothing about the finding.
pub fn failed_where_found(scenario: &Scenario, outcome: &crate::runner::Outcome) -> bool {
    use crate::runner::Verdict;
    let last = scenario.steps.last().map(|s| s.line);
    matches!(outcome.verdict, Verdict::Fail | Verdict::Warn)
        && outcome
            .failure
            .as_ref()
            .is_some_and(|f| Some(f.at.line) == last)
}

fn final_expect(e: ReplayCheck, binder: Option<Binder>) -> Action {
    match e {
        ReplayCheck::Refusal => expect(vec![CodePattern::Class(4), CodePattern::Class(5)], None),
        ReplayCheck::AnyParsed(b) => expect(any_code(), Some(b)),
        ReplayCheck::AnyReply | ReplayCheck::NoData => expect(any_code(), None),
        ReplayCheck::AsRecorded => expect(
            any_code(),
            binder.filter(|b| matches!(b, Binder::Epsv | Binder::Pasv)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{RunConfig, Target, run_one};
    use crate::server::testkit::server;

    /// Runs `body` against a clean reference server; whether it failed where it ends.
    async fn fails_at_the_end(body: &str) -> bool {
        let src = format!(
            "scenario fuzz.t \"t\"\n  spec RFC959 §4.2 MUST\n  requirement \"r\"\n  login\n{body}"
        );
        let scenario = crate::suite::parse_str(&src, std::path::Path::new("t.ftpspec"))
            .expect("parses")
            .remove(0);
        let (_server, addr) = server(Default::default()).await;
        let mut config = RunConfig::new(Target::anonymous(vec![addr], "reference"));
        config.step_timeout = std::time::Duration::from_millis(300);
        let outcome = run_one(&scenario, &config).await;
        failed_where_found(&scenario, &outcome)
    }

    /// vsftpd answered a PASV twice (`500 OOPS`) in the dialogue, once (`227`) on replay: the
    /// replay's second `expect` waits in vain and fails there — not where the finding is.
    #[tokio::test]
    async fn a_replay_confirms_only_by_failing_at_the_finding_s_step() {
        assert!(fails_at_the_end("  send NOOP\n  expect 2xx\n  send STAT\n  expect 5xx\n").await);
        assert!(!fails_at_the_end("  send NOOP\n  expect 2xx\n  expect 2xx\n  send STAT\n  expect 1xx 2xx 3xx 4xx 5xx\n").await);
        assert!(!fails_at_the_end("  send NOOP\n  expect 2xx\n").await);
    }
}
