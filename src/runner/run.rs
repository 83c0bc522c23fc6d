//! Runs many scenarios concurrently (`--jobs`), each under its wall-clock limit, and turns each
//! ending into an [`Outcome`] with its verdict.

use super::config::RunConfig;
use super::exec::{ScenarioRun, pick_address};
use super::outcome::{Failure, Outcome, RunReport, Verdict};
use super::series::SeriesSet;
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
    run_until(
        scenarios,
        config,
        banner,
        on_outcome,
        std::future::pending(),
    )
    .await
}

/// The tag of a scenario that must run alone: what it checks (a port that must stop accepting)
/// could be disturbed by the target's other sessions, which may reuse that port at once.
pub const EXCLUSIVE_TAG: &str = "exclusive";

fn is_exclusive(scenario: &Scenario) -> bool {
    scenario.tags.iter().any(|t| t == EXCLUSIVE_TAG)
}

/// Reason given to scenarios that had not finished when the run was stopped.
pub const NOT_RUN: &str = "not run: the run was interrupted before this scenario finished";

/// Like [`run`], but stops early when `stop` completes (Ctrl-C): scenarios still running are
/// cancelled and reported as ERROR with [`NOT_RUN`], so reports cover every selected scenario.
pub async fn run_until(
    scenarios: Vec<Scenario>,
    config: Arc<RunConfig>,
    banner: Option<String>,
    on_outcome: impl Fn(&Outcome),
    stop: impl std::future::Future<Output = ()>,
) -> RunReport {
    let started = tokio::time::Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let permits = Arc::new(Semaphore::new(config.jobs.max(1)));
    // Scenarios share the target; an `exclusive` one holds the write side and runs alone.
    let alone = Arc::new(tokio::sync::RwLock::new(()));
    let mut tasks = JoinSet::new();
    let mut pending: Vec<Option<Scenario>> = Vec::with_capacity(scenarios.len());
    for (index, scenario) in scenarios.into_iter().enumerate() {
        let config = Arc::clone(&config);
        let permits = Arc::clone(&permits);
        let alone = Arc::clone(&alone);
        let task_scenario = scenario.clone();
        pending.push(Some(scenario));
        tasks.spawn(async move {
            let outcome = if is_exclusive(&task_scenario) {
                let _alone = alone.write().await;
                run_repeated(&task_scenario, &config).await
            } else {
                let _shared = alone.read().await;
                let _permit = permits.acquire_owned().await;
                run_repeated(&task_scenario, &config).await
            };
            (index, outcome)
        });
    }
    let mut outcomes = Vec::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                // A panicking scenario task is a bug in ftpspec; it stays in `pending` and is
                // reported as not run rather than lost.
                Some(Err(_)) => {}
                Some(Ok((index, outcome))) => {
                    pending[index] = None;
                    on_outcome(&outcome);
                    outcomes.push(outcome);
                }
            },
            () = &mut stop => {
                tasks.abort_all();
                break;
            }
        }
    }
    for scenario in pending.into_iter().flatten() {
        let outcome = outcome(
            &scenario,
            config.strict,
            Err(Stop::Error(NOT_RUN.into())),
            Vec::new(),
            Recorder::new(),
            Duration::ZERO,
        );
        on_outcome(&outcome);
        outcomes.push(outcome);
    }
    if !outcomes.is_empty() {
        outcomes.push(reply_syntax_outcome(&outcomes));
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

/// Runs a scenario `config.repeat` times. Differing verdicts are reported as flaky — the worst
/// verdict stands, with a note counting each — never hidden by a silent retry.
async fn run_repeated(scenario: &Scenario, config: &RunConfig) -> Outcome {
    let mut runs = Vec::new();
    for _ in 0..config.repeat.max(1) {
        runs.push(run_one(scenario, config).await);
    }
    combine(runs)
}

/// How bad a verdict is, to pick the one a flaky scenario is reported with.
fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 0,
        Verdict::Skip => 1,
        Verdict::Info => 2,
        Verdict::Warn => 3,
        Verdict::Error => 4,
        Verdict::Fail => 5,
    }
}

fn combine(mut runs: Vec<Outcome>) -> Outcome {
    let worst = runs.iter().map(|o| severity(o.verdict)).max().unwrap_or(0);
    let index = runs
        .iter()
        .position(|o| severity(o.verdict) == worst)
        .unwrap_or(0);
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .filter_map(|v| {
            let n = runs.iter().filter(|o| o.verdict == *v).count();
            (n > 0).then(|| format!("{n} {v}"))
        })
        .collect();
    let total = runs.len();
    let flaky = counts.len() > 1;
    let mut chosen = runs.swap_remove(index);
    if flaky {
        let note = format!("flaky: {} over {total} runs", counts.join(", "));
        chosen.reason = Some(match chosen.reason.take() {
            Some(r) => format!("{note}; {r}"),
            None => note.clone(),
        });
        chosen.notes.insert(0, note);
    } else if total > 1 {
        chosen
            .notes
            .push(format!("same verdict in all {total} runs"));
    }
    chosen
}

/// Runs one scenario to its outcome. Never fails: every ending is a verdict.
pub async fn run_one(scenario: &Scenario, config: &RunConfig) -> Outcome {
    let started = tokio::time::Instant::now();
    let recorder = Recorder::new();
    let series = SeriesSet::default();
    let mut notes = Vec::new();
    let ended = match pick_address(scenario, config) {
        Err(stop) => Err(stop),
        Ok(addr) => {
            let body = execute(
                scenario,
                config,
                addr,
                (recorder.clone(), series.clone()),
                &mut notes,
            );
            match tokio::time::timeout(config.scenario_timeout, body).await {
                Ok(result) => result,
                Err(_) => Err(Stop::Error(format!(
                    "the scenario did not finish within its limit of {:?}",
                    config.scenario_timeout
                ))),
            }
        }
    };
    // Collected series are reported whatever the verdict (a FAIL's port sequence is evidence).
    notes.extend(series.notes());
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
    (recorder, series): (Recorder, SeriesSet),
    notes: &mut Vec<String>,
) -> Result<(), Stop> {
    let mut run = ScenarioRun::open(addr, config, recorder, series).await?;
    let result = run.run_steps(&scenario.steps).await;
    notes.append(&mut run.notes);
    run.finish().await;
    result
}

/// ID of the run-wide reply-syntax check.
pub const REPLY_SYNTAX_ID: &str = "rfc959.reply.syntax-all";

/// RFC 959 §4.2 checked on every reply of every scenario, including those read by `login` and
/// at goodbye, which no `expect` looks at: one verdict for the whole run, listing where.
fn reply_syntax_outcome(outcomes: &[Outcome]) -> Outcome {
    let seen: Vec<String> = outcomes
        .iter()
        .flat_map(|o| {
            o.transcript
                .violations
                .iter()
                .map(move |v| format!("{}: {v}", o.id))
        })
        .collect();
    let spec = crate::suite::Spec {
        rfc: "RFC959".into(),
        section: "§4.2".into(),
        level: Level::Must,
    };
    let (verdict, reason, failure) = match seen.first() {
        None => (Verdict::Pass, None, None),
        Some(first) => {
            let message = format!(
                "{} malformed replies in this run; the first: {first}",
                seen.len()
            );
            let failure = Failure {
                at: Location { file: "(every reply of the run)".into(), line: 0 },
                message: message.clone(),
                expected: "three digits, SP or hyphen, text, CRLF; a multi-line reply ends with its own code and SP".into(),
                actual: seen.join("; "),
            };
            (Verdict::Fail, Some(message), Some(failure))
        }
    };
    Outcome {
        id: REPLY_SYNTAX_ID.into(),
        title: "Every reply seen in this run is well formed".into(),
        area: "rfc959.reply".into(),
        level: spec.level,
        spec,
        requirement: "A reply is defined to contain the 3-digit code, followed by Space <SP>, followed by one line of \
            text (where some maximum line length has been specified), and terminated by the Telnet end-of-line code."
            .into(),
        tags: vec!["reply".into(), "syntax".into()],
        verdict,
        reason,
        failure,
        notes: seen,
        transcript: Default::default(),
        duration: Duration::ZERO,
        expectation: None,
    }
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

    fn sample(ended: Result<(), Stop>) -> Outcome {
        let source =
            "scenario a.b \"t\"\n  spec RFC959 §4 MUST\n  requirement \"r\"\n  send NOOP\n";
        let scenario = crate::suite::parse_str(source, std::path::Path::new("x.ftpspec"))
            .unwrap()
            .remove(0);
        outcome(
            &scenario,
            false,
            ended,
            Vec::new(),
            Recorder::new(),
            Duration::ZERO,
        )
    }

    #[test]
    fn differing_runs_are_flaky_and_the_worst_verdict_stands() {
        let fail = || Err(Stop::fail(4, "no", "200", "500"));
        let combined = combine(vec![sample(Ok(())), sample(fail()), sample(Ok(()))]);
        assert_eq!(combined.verdict, Verdict::Fail);
        assert!(
            combined
                .reason
                .unwrap()
                .starts_with("flaky: 2 PASS, 1 FAIL over 3 runs")
        );
        let steady = combine(vec![sample(Ok(())), sample(Ok(()))]);
        assert_eq!(steady.verdict, Verdict::Pass);
        assert_eq!(steady.reason, None);
        assert!(steady.notes.iter().any(|n| n.contains("all 2 runs")));
    }

    #[test]
    fn levels_map_to_verdicts() {
        assert_eq!(verdict_for_failure(Level::Must, false), Verdict::Fail);
        assert_eq!(verdict_for_failure(Level::Should, false), Verdict::Warn);
        assert_eq!(verdict_for_failure(Level::Should, true), Verdict::Fail);
        assert_eq!(verdict_for_failure(Level::May, true), Verdict::Info);
    }
}
