//! Runs many scenarios concurrently (`--jobs`), each under its wall-clock limit, and turns each
//! ending into an [`Outcome`] with its verdict.

use super::config::RunConfig;
use super::exec::{ScenarioRun, pick_address};
use super::outcome::{Failure, Outcome, RunReport, Verdict};
use super::stop::Stop;
use crate::session::{ControlConnection, Recorder};
use crate::suite::{Level, Location, Scenario};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Connects once and reads the greeting, so that an unreachable target is one clear error
/// before anything runs. Returns the greeting's text.
pub async fn probe(config: &RunConfig) -> Result<String, String> {
    let addr = *config
        .target
        .addrs
        .first()
        .ok_or("the target has no address")?;
    let mut ctrl = ControlConnection::connect(addr, config.step_timeout, Recorder::new())
        .await
        .map_err(|e| e.to_string())?;
    let reply = ctrl
        .read_reply(config.step_timeout)
        .await
        .map_err(|e| format!("no greeting from {addr}: {e}"))?;
    let _ = ctrl.send(b"QUIT\r\n").await;
    ctrl.shutdown().await;
    let first = reply.lines.first().cloned().unwrap_or_default();
    Ok(String::from_utf8_lossy(first.strip_suffix(b"\r\n").unwrap_or(&first)).into_owned())
}

/// Runs every scenario, calling `on_outcome` as each finishes, and returns the report with
/// outcomes in scenario-ID order.
pub async fn run(
    scenarios: Vec<Scenario>,
    config: Arc<RunConfig>,
    banner: Option<String>,
    on_outcome: impl Fn(&Outcome),
) -> RunReport {
    let started = tokio::time::Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let permits = Arc::new(Semaphore::new(config.jobs.max(1)));
    let mut tasks = JoinSet::new();
    for scenario in scenarios {
        let config = Arc::clone(&config);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            run_one(&scenario, &config).await
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        // A panicking scenario task is a bug in ftpspec; its outcome is lost but the run goes on.
        if let Ok(outcome) = joined {
            on_outcome(&outcome);
            outcomes.push(outcome);
        }
    }
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    RunReport {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started_unix,
        target: config.target.display.clone(),
        banner,
        strict: config.strict,
        outcomes,
        duration: started.elapsed(),
    }
}

/// Runs one scenario to its outcome. Never fails: every ending is a verdict.
pub async fn run_one(scenario: &Scenario, config: &RunConfig) -> Outcome {
    let started = tokio::time::Instant::now();
    let recorder = Recorder::new();
    let mut notes = Vec::new();
    let ended = match pick_address(scenario, config) {
        Err(stop) => Err(stop),
        Ok(addr) => {
            let body = execute(scenario, config, addr, recorder.clone(), &mut notes);
            match tokio::time::timeout(config.scenario_timeout, body).await {
                Ok(result) => result,
                Err(_) => Err(Stop::Error(format!(
                    "the scenario did not finish within its limit of {:?}",
                    config.scenario_timeout
                ))),
            }
        }
    };
    outcome(
        scenario,
        config.strict,
        ended,
        notes,
        recorder,
        started.elapsed(),
    )
}

async fn execute(
    scenario: &Scenario,
    config: &RunConfig,
    addr: std::net::SocketAddr,
    recorder: Recorder,
    notes: &mut Vec<String>,
) -> Result<(), Stop> {
    let mut run = ScenarioRun::open(addr, config, recorder).await?;
    let result = run.run_steps(&scenario.steps).await;
    notes.append(&mut run.notes);
    run.finish().await;
    result
}

/// Maps how a scenario ended to its verdict: RFC 2119 levels decide what a failure means.
fn verdict_for_failure(level: Level, strict: bool) -> Verdict {
    match level {
        Level::Must => Verdict::Fail,
        Level::Should if strict => Verdict::Fail,
        Level::Should => Verdict::Warn,
        Level::May => Verdict::Info,
    }
}

fn outcome(
    scenario: &Scenario,
    strict: bool,
    ended: Result<(), Stop>,
    notes: Vec<String>,
    recorder: Recorder,
    duration: Duration,
) -> Outcome {
    let (verdict, reason, failure) = match ended {
        Ok(()) => (Verdict::Pass, None, None),
        Err(Stop::Skip(why)) => (Verdict::Skip, Some(why), None),
        Err(Stop::Error(why)) => (Verdict::Error, Some(why), None),
        Err(Stop::Fail {
            line,
            message,
            expected,
            actual,
        }) => {
            let at = Location {
                file: scenario.location.file.clone(),
                line,
            };
            let failure = Failure {
                at,
                message: message.clone(),
                expected,
                actual,
            };
            (
                verdict_for_failure(scenario.spec.level, strict),
                Some(message),
                Some(failure),
            )
        }
    };
    Outcome {
        id: scenario.id.clone(),
        title: scenario.title.clone(),
        area: scenario.area().to_string(),
        spec: scenario.spec.clone(),
        level: scenario.spec.level,
        requirement: scenario.requirement.clone(),
        tags: scenario.tags.clone(),
        verdict,
        reason,
        failure,
        notes,
        transcript: recorder.snapshot(),
        duration,
        expectation: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_verdicts() {
        assert_eq!(verdict_for_failure(Level::Must, false), Verdict::Fail);
        assert_eq!(verdict_for_failure(Level::Should, false), Verdict::Warn);
        assert_eq!(verdict_for_failure(Level::Should, true), Verdict::Fail);
        assert_eq!(verdict_for_failure(Level::May, true), Verdict::Info);
    }
}
