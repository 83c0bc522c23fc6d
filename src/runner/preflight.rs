//! The preflight: before the scenarios, find out once which transfer commands the target
//! serves, so that a scenario that needs *a* transfer (to show that a data connection works)
//! does not depend on one verb. Some servers refuse a bare `NLST` ("500 Syntax error: NLST
//! requires an argument", though RFC 959 §5.3.1 makes the pathname optional); others have no
//! `--file-small`. The scenario `rfc959.transfer.nlst-bare` judges a bare NLST on its own.
//!
//! The preflight is itself written in the scenario language: a login, a data setup inside
//! `setup` (EPSV, else PASV, EPRT, PORT: the first that works), then the candidate command as
//! `${transfer}` with its 1xx, data and 226. A BLOCKED outcome means the data setup did not
//! work; FAIL means the command did not.

use super::config::{RunConfig, TransferChoice};
use super::outcome::{Outcome, Verdict};
use super::run::run_one;
use crate::suite::{Scenario, parse_str};
use std::path::Path;

/// What the preflight found.
#[derive(Debug, Clone, PartialEq)]
pub struct Preflight {
    /// The data setup the preflight used (`EPSV`), or `None` when none worked.
    pub data_setup: Option<String>,
    /// Data setups tried before it, and why each did not work.
    pub setup_failures: Vec<(String, String)>,
    /// Every candidate transfer command and how it fared (empty when no data setup worked).
    pub transfers: Vec<TransferProbe>,
    /// What the run's scenarios use.
    pub choice: TransferChoice,
    /// The preflight's own dialogues: their replies count for `run-check reply-syntax`.
    pub outcomes: Vec<Outcome>,
}

/// One candidate transfer command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferProbe {
    /// The command line, `NLST` or `RETR hello.txt`.
    pub command: String,
    /// `None` when it worked; else what went wrong (the reply, or the failed step).
    pub problem: Option<String>,
}

/// The ways to open a data connection, in the order tried, each as the steps of a `setup`
/// block and the step that follows the transfer command's 1xx (`accept` for active mode).
const SETUPS: &[(&str, &str, &str)] = &[
    (
        "EPSV",
        "send EPSV\n    expect 229 as epsv\n    connect data to ${epsv.port}",
        "",
    ),
    (
        "PASV",
        "send PASV\n    expect 227 as pasv\n    connect data to ${pasv.port}",
        "",
    ),
    (
        "EPRT",
        "listen data\n    send EPRT |${client.netprt}|${client.ip}|${data.port}|\n    expect 200",
        "accept data\n  ",
    ),
    (
        "PORT",
        "listen data\n    send PORT ${data.hostport}\n    expect 200",
        "accept data\n  ",
    ),
];

/// The scenario that tries one transfer command (`${transfer}`) over one data setup.
fn probe_scenario(setup: &str, steps: &str, after: &str) -> Option<Scenario> {
    let source = format!(
        "scenario ftpspec.preflight.{id} \"Preflight: a transfer over {setup}\"\n  \
         spec RFC959 §4.1.3 MUST\n  \
         requirement \"[The preflight: which transfer command the target serves.]\"\n  \
         login\n  setup\n    {steps}\n  end\n  \
         send ${{transfer}}\n  expect 125 150\n  {after}read data\n  expect 226 250\n",
        id = setup.to_ascii_lowercase()
    );
    parse_str(&source, Path::new("(preflight)")).ok()?.pop()
}

/// Runs the preflight against `config`'s target.
pub async fn run(config: &RunConfig) -> Preflight {
    let small = format!("RETR {}", config.files.small);
    let candidates = ["NLST".to_string(), "LIST".to_string(), small];
    let mut outcomes = Vec::new();
    let mut setup_failures = Vec::new();
    let mut found = None;
    for (setup, steps, after) in SETUPS {
        let Some(scenario) = probe_scenario(setup, steps, after) else {
            continue;
        };
        let outcome = try_command(&scenario, config, &candidates[0]).await;
        let verdict = outcome.verdict;
        let why = outcome.reason.clone().unwrap_or_default();
        outcomes.push(outcome);
        match verdict {
            Verdict::Pass | Verdict::Fail => {
                found = Some((setup.to_string(), scenario));
                break;
            }
            _ => setup_failures.push((setup.to_string(), why)),
        }
    }
    let Some((data_setup, scenario)) = found else {
        return Preflight {
            data_setup: None,
            setup_failures,
            transfers: Vec::new(),
            choice: TransferChoice::Command(super::config::DEFAULT_TRANSFER.into()),
            outcomes,
        };
    };
    for candidate in &candidates[1..] {
        outcomes.push(try_command(&scenario, config, candidate).await);
    }
    let transfers: Vec<TransferProbe> = candidates
        .iter()
        .zip(outcomes.iter().skip(setup_failures.len()))
        .map(|(command, outcome)| TransferProbe {
            command: command.clone(),
            problem: problem(outcome),
        })
        .collect();
    let choice = match transfers.iter().find(|t| t.problem.is_none()) {
        Some(t) => TransferChoice::Command(t.command.clone()),
        None => TransferChoice::Unavailable(unavailable(&data_setup, &transfers)),
    };
    Preflight {
        data_setup: Some(data_setup),
        setup_failures,
        transfers,
        choice,
        outcomes,
    }
}

async fn try_command(scenario: &Scenario, config: &RunConfig, command: &str) -> Outcome {
    let mut config = config.clone();
    config.transfer = Some(TransferChoice::Command(command.to_string()));
    config.repeat = 1;
    run_one(scenario, &config).await
}

/// What went wrong with a candidate: the reply that refused it, or the step that failed.
fn problem(outcome: &Outcome) -> Option<String> {
    match (outcome.verdict, &outcome.failure) {
        (Verdict::Pass, _) => None,
        (_, Some(f)) => Some(f.actual.clone()),
        (_, None) => Some(outcome.reason.clone().unwrap_or_default()),
    }
}

/// Why the run has no transfer command: each candidate and its problem.
fn unavailable(data_setup: &str, transfers: &[TransferProbe]) -> String {
    let tried: Vec<String> = transfers
        .iter()
        .map(|t| format!("{} → {}", t.command, t.problem.as_deref().unwrap_or("ok")))
        .collect();
    format!(
        "the preflight tried each over {data_setup}: {}",
        tried.join("; ")
    )
}

impl Preflight {
    /// One line for the top of a report: how data connections were opened, which commands
    /// work, and which one the scenarios use.
    pub fn summary(&self) -> String {
        let Some(setup) = &self.data_setup else {
            let tried: Vec<String> = self
                .setup_failures
                .iter()
                .map(|(s, why)| format!("{s}: {why}"))
                .collect();
            return format!(
                "no data connection could be opened ({}); transfers use {}",
                tried.join("; "),
                super::config::DEFAULT_TRANSFER
            );
        };
        let each: Vec<String> = self
            .transfers
            .iter()
            .map(|t| match &t.problem {
                None => format!("{} works", t.command),
                Some(p) => format!("{} refused ({p})", t.command),
            })
            .collect();
        let chosen = match &self.choice {
            TransferChoice::Command(c) => format!("scenarios transfer with {c}"),
            TransferChoice::Unavailable(_) => {
                "no transfer command works: scenarios that need one are BLOCKED".to_string()
            }
        };
        format!(
            "data connections by {setup}; {} → {chosen}",
            each.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_scenario_parses() {
        for (setup, steps, after) in SETUPS {
            let s = probe_scenario(setup, steps, after).expect(setup);
            assert!(s.uses_transfer(), "{setup}");
        }
    }
}
