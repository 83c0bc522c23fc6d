//! One defect, one cause: failures that share a cause are grouped, so a server whose 522 lacks
//! the protocol list reads as one defect shown by seven scenarios, not as seven defects.
//!
//! Two failures share a cause when the same check (the same kind, expecting the same) failed on
//! the same reply (digits in the reply text aside: ports and counts differ from run to run)
//! after the same command. A malformed 229, 227 or 522 is a defect of the reply whichever command
//! drew it, so the command is left out there. A BLOCKED scenario whose setup failed on a command
//! joins the cause of the scenario that tests that command (`covers`) when that one failed on
//! the same command with the same reply: `TYPE I` refused is one cause for rfc1123.type.image and
//! every scenario that needed TYPE I. Other BLOCKED scenarios group among themselves, by the same
//! rule. ERROR outcomes with the same reason share a cause too.

use super::outcome::{Cause, Outcome, Verdict};
use super::stop::{CHECK_REPLY, CHECK_REPLY_CODE};
use std::collections::BTreeMap;

/// Groups the failures of `outcomes` (in ID order) into causes, sets each outcome's `cause`,
/// and returns the causes in the order of the scenario that shows each first.
pub fn group(outcomes: &mut [Outcome]) -> Vec<Cause> {
    let keys: Vec<Option<String>> = outcomes.iter().map(key).collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, outcome) in outcomes.iter().enumerate() {
        let joined = covering_key(outcome, outcomes, &keys);
        if let Some(key) = joined.or_else(|| keys[index].clone()) {
            groups.entry(key).or_default().push(index);
        }
    }
    let mut causes: Vec<(String, Vec<usize>)> = groups
        .into_values()
        .map(|mut members| {
            members.sort_by(|&a, &b| outcomes[a].id.cmp(&outcomes[b].id));
            let first = members
                .iter()
                .copied()
                .find(|&i| outcomes[i].verdict != Verdict::Blocked)
                .unwrap_or(members[0]);
            (outcomes[first].id.clone(), members)
        })
        .collect();
    causes.sort();
    causes
        .into_iter()
        .enumerate()
        .map(|(n, (first, members))| {
            let id = format!("c{}", n + 1);
            let shown = members
                .iter()
                .copied()
                .find(|&i| outcomes[i].id == first)
                .unwrap_or(members[0]);
            let summary = summary(&outcomes[shown]);
            for &i in &members {
                outcomes[i].cause = Some(id.clone());
            }
            Cause {
                id,
                summary,
                first,
                scenarios: members.iter().map(|&i| outcomes[i].id.clone()).collect(),
            }
        })
        .collect()
}

/// For a BLOCKED outcome whose setup failed on a command another scenario covers: that
/// scenario's key, when it failed on the same command with the same reply.
fn covering_key(outcome: &Outcome, all: &[Outcome], keys: &[Option<String>]) -> Option<String> {
    let blocked = outcome
        .failure
        .as_ref()
        .filter(|_| outcome.verdict == Verdict::Blocked)?;
    let id = outcome.covered_by.as_deref()?;
    let index = all.iter().position(|o| o.id == id)?;
    let theirs = all[index].failure.as_ref()?;
    let same = theirs.command == blocked.command
        && theirs.check == blocked.check
        && normalise(&theirs.actual) == normalise(&blocked.actual);
    same.then(|| keys[index].clone()).flatten()
}

/// The grouping key of an outcome, or `None` when it has nothing to group (PASS, SKIP).
fn key(outcome: &Outcome) -> Option<String> {
    match (outcome.verdict, &outcome.failure) {
        (Verdict::Pass | Verdict::Skip, _) => None,
        (Verdict::Error, _) => Some(format!(
            "error\u{0}{}",
            normalise(outcome.reason.as_deref().unwrap_or_default())
        )),
        (_, None) => None,
        (_, Some(f)) => {
            let command = match is_reply_format(&f.check) {
                true => "",
                false => f.command.as_deref().unwrap_or_default(),
            };
            let message = match f.check.as_str() {
                CHECK_REPLY_CODE => String::new(),
                _ => normalise(&f.message),
            };
            let setup = match outcome.verdict {
                Verdict::Blocked => "setup",
                _ => "",
            };
            Some(format!(
                "{setup}\u{0}{}\u{0}{command}\u{0}{}\u{0}{message}\u{0}{}",
                f.check,
                normalise(&f.expected),
                normalise(&f.actual)
            ))
        }
    }
}

/// A check on the form of a reply (`expect … as epsv`): its failures belong to the reply.
fn is_reply_format(check: &str) -> bool {
    check.starts_with("as ")
}

/// The text with every run of digits after the reply code replaced by `#`: the same defect
/// names another port, address or count in every scenario.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() && i >= 3 {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

/// One line for a cause, from the outcome that shows it first.
fn summary(outcome: &Outcome) -> String {
    let Some(f) = &outcome.failure else {
        return outcome.reason.clone().unwrap_or_default();
    };
    let verb = f.command.as_deref();
    match (f.check.as_str(), verb) {
        (CHECK_REPLY_CODE, Some(verb)) => format!("{verb} is answered \"{}\"", f.actual),
        ("as epsv", _) => format!("a 229 reply that is not (|||port|): \"{}\"", f.actual),
        ("as pasv", _) => format!("a 227 reply without h1,h2,h3,h4,p1,p2: \"{}\"", f.actual),
        ("as protocols", _) => format!(
            "a 522 reply without the protocol list (p1,…,pn): \"{}\"",
            f.actual
        ),
        (CHECK_REPLY, Some(verb)) => format!("{verb}: {}", without_citation(&f.message)),
        (_, Some(verb)) => format!("{} (after {verb}): {}", f.message, f.actual),
        (_, None) => format!("{}: {}", f.message, f.actual),
    }
}

/// A message without its trailing `(RFC … )` citation, which the scenario's report shows.
fn without_citation(message: &str) -> &str {
    match message.find(" (RFC") {
        Some(i) => &message[..i],
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Failure;
    use crate::suite::Location;

    fn outcome(id: &str, verdict: Verdict, check: &str, command: &str, actual: &str) -> Outcome {
        let mut o = crate::report::fixture::outcome(id, verdict);
        o.reason = Some("r".into());
        o.failure = Some(Failure {
            at: Location {
                file: "x.ftpspec".into(),
                line: 1,
            },
            message: "m".into(),
            expected: "e".into(),
            actual: actual.into(),
            check: check.into(),
            command: (!command.is_empty()).then(|| command.to_string()),
        });
        o
    }

    #[test]
    fn one_malformed_522_is_one_cause_whatever_drew_it() {
        let reply = "522 Network protocol not supported";
        let mut outcomes = vec![
            outcome("a.eprt-0", Verdict::Fail, "as protocols", "EPRT", reply),
            outcome("a.epsv-3", Verdict::Fail, "as protocols", "EPSV", reply),
            outcome("b.flow", Verdict::Fail, "as protocols", "EPSV", reply),
            outcome("c.other", Verdict::Fail, CHECK_REPLY_CODE, "EPSV", "501 x"),
        ];
        let causes = group(&mut outcomes);
        assert_eq!(causes.len(), 2);
        assert_eq!(causes[0].scenarios, ["a.eprt-0", "a.epsv-3", "b.flow"]);
        assert_eq!(causes[0].first, "a.eprt-0");
        assert!(
            causes[0].summary.contains("protocol list"),
            "{}",
            causes[0].summary
        );
        assert_eq!(outcomes[2].cause.as_deref(), Some("c1"));
        assert_eq!(outcomes[3].cause.as_deref(), Some("c2"));
    }

    #[test]
    fn a_setup_failure_joins_the_scenario_that_tests_the_command() {
        let reply = "504 Command not implemented for that parameter.";
        let blocked = |id: &str, actual: &str| {
            let mut o = outcome(id, Verdict::Blocked, CHECK_REPLY_CODE, "TYPE", actual);
            o.covered_by = Some("z.type.image".into());
            o.failure.as_mut().unwrap().expected = "125 150".into();
            o
        };
        let mut outcomes = vec![
            blocked("a.abor-1", reply),
            blocked("a.abor-2", reply),
            blocked("a.abor-3", "500 other"),
            outcome(
                "z.type.image",
                Verdict::Fail,
                CHECK_REPLY_CODE,
                "TYPE",
                reply,
            ),
        ];
        let causes = group(&mut outcomes);
        assert_eq!(causes.len(), 2, "{causes:#?}");
        let joined = causes.iter().find(|c| c.scenarios.len() == 3).unwrap();
        assert_eq!(joined.scenarios, ["a.abor-1", "a.abor-2", "z.type.image"]);
        assert_eq!(
            joined.first, "z.type.image",
            "the checking scenario shows it first"
        );
        assert_eq!(joined.summary, format!("TYPE is answered \"{reply}\""));
        // Without the covering scenario's failure, blocked outcomes still group among themselves.
        let mut alone = outcomes[..2].to_vec();
        assert_eq!(group(&mut alone).len(), 1);
    }

    #[test]
    fn the_same_reply_to_another_command_or_check_is_another_cause_digits_do_not_split() {
        let fail = |id: &str, command: &str, actual: &str| {
            outcome(id, Verdict::Fail, CHECK_REPLY_CODE, command, actual)
        };
        let mut outcomes = vec![
            fail("a", "EPRT", "200 OK port 4001"),
            fail("b", "EPRT", "200 OK port 50212"),
            fail("c", "PORT", "200 OK port 4001"),
            fail("d", "EPRT", "500 OK port 4001"),
            fail("e", "EPRT", "200 OK port 4001"),
        ];
        // The same reply where a refusal of any kind was due: a lockout leak, not a lax parser.
        outcomes[4].failure.as_mut().unwrap().expected = "4xx 5xx".into();
        let causes = group(&mut outcomes);
        let sizes: Vec<usize> = causes.iter().map(|c| c.scenarios.len()).collect();
        assert_eq!(sizes, [2, 1, 1, 1]);
    }

    #[test]
    fn passes_and_skips_have_no_cause_errors_group_by_reason() {
        let mut pass = outcome("a", Verdict::Pass, CHECK_REPLY_CODE, "X", "200");
        pass.failure = None;
        let mut e1 = outcome("b", Verdict::Error, "", "", "");
        e1.failure = None;
        e1.reason = Some("login refused: 530 Login incorrect.".into());
        let mut e2 = e1.clone();
        e2.id = "c".into();
        let mut outcomes = vec![pass, e1, e2];
        let causes = group(&mut outcomes);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].scenarios, ["b", "c"]);
        assert_eq!(outcomes[0].cause, None);
    }

    #[test]
    fn normalise_keeps_the_code_and_blanks_numbers() {
        assert_eq!(
            normalise("229 Entering (|||40001|) 12 ms"),
            "229 Entering (|||#|) # ms"
        );
    }
}
