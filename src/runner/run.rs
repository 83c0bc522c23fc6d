//! Runs many scenarios concurrently (`--jobs`), each under its wall-clock limit, and turns each
//! ending into an [`Outcome`] with its verdict.

use super::config::RunConfig;
use super::exec::{Opening, ScenarioRun, pick_address};
use super::ledger::RunLedger;
use super::outcome::TlsReport;
use super::outcome::{Failure, Outcome, RunReport, Verdict};
use super::preflight::{self, Preflight};
use super::series::SeriesSet;
use super::stop::{Broken, CHECK_REPLY_CODE, Stop};
use crate::proto::TlsMode;
use crate::session::{ControlConnection, ControlStream, Recorder, SessionError};
use crate::suite::{Level, Location, RunCheck, Scenario};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Connects once and reads the greeting, so that an unreachable target is one clear error
/// before anything runs. Returns the greeting's text.
pub async fn probe(config: &RunConfig) -> Result<String, String> {
    probe_session(config).await.map(|p| p.banner)
}

/// What [`probe_session`] found: the greeting and, on a protected session, what TLS
/// negotiated.
#[derive(Debug, Clone)]
pub struct Probed {
    pub banner: String,
    pub tls: Option<TlsReport>,
}

/// Like [`probe`], and on a protected session (`config.tls`) negotiates TLS as every scenario
/// will — implicitly before the greeting, or by `AUTH TLS` after it — so that a certificate
/// that does not verify, a failed handshake or a server without AUTH TLS is one clear error
/// before anything runs.
pub async fn probe_session(config: &RunConfig) -> Result<Probed, String> {
    let addr = *config
        .target
        .addrs
        .first()
        .ok_or("the target has no address")?;
    let wait = config.step_timeout;
    let recorder = Recorder::new();
    let tls = config.tls.as_ref();
    let mut info = None;
    let mut ctrl = match tls.filter(|t| t.mode() == TlsMode::Implicit) {
        Some(t) => {
            let (ctrl, negotiated) =
                ControlConnection::connect_tls(addr, t.session(), wait, recorder)
                    .await
                    .map_err(|e| tls_error(&e))?;
            info = Some(negotiated);
            ctrl
        }
        None => ControlConnection::connect(addr, wait, recorder)
            .await
            .map_err(|e| e.to_string())?,
    };
    let reply = ctrl
        .read_reply(wait)
        .await
        .map_err(|e| format!("no greeting from {addr}: {e}"))?;
    if let Some(t) = tls.filter(|t| t.mode() == TlsMode::Explicit) {
        let negotiated = ctrl
            .auth_tls(t.session(), wait)
            .await
            .map_err(|e| tls_error(&e))?;
        info = Some(negotiated);
    }
    let _ = ctrl.send(b"QUIT\r\n").await;
    let _ = ctrl.read_reply(wait.min(Duration::from_secs(1))).await;
    ctrl.shutdown().await;
    let first = reply.lines.first().cloned().unwrap_or_default();
    let banner =
        String::from_utf8_lossy(first.strip_suffix(b"\r\n").unwrap_or(&first)).into_owned();
    let tls = tls.zip(info).map(|(t, info)| TlsReport {
        mode: t.mode(),
        verified: !t.insecure(),
        version: info.version,
        cipher_suite: info.cipher_suite,
        subject: info.subject,
    });
    Ok(Probed { banner, tls })
}

/// One line for a failed TLS negotiation; a certificate that did not verify says what to do.
fn tls_error(e: &SessionError) -> String {
    match e.is_certificate_error() {
        true => format!(
            "{e} (trust its CA with --tls-ca FILE, or for a test server skip the check with \
             --tls-insecure)"
        ),
        false => e.to_string(),
    }
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

/// Why a scenario with `abort urgent` is SKIP on a protected session.
pub const URGENT_OVER_TLS: &str = "TCP urgent data cannot be sent inside TLS (RFC 4217: the \
     control connection is a TLS stream, and the Synch's urgent byte of RFC 959 §4.1.3 would \
     travel outside its records, in the clear), so the ABOR special action is not tried over TLS";

/// Reason given to scenarios that had not finished when the run was stopped.
pub const NOT_RUN: &str = "not run: the run was interrupted before this scenario finished";

/// Like [`run`], but stops early when `stop` completes (Ctrl-C): scenarios still running are
/// cancelled and reported as ERROR with [`NOT_RUN`], so reports cover every selected scenario.
///
/// Before the scenarios, a preflight finds the transfer command (unless `config.transfer`
/// pins one, or no scenario needs it); after them, the run-wide checks (`run-check`) are
/// judged and the failures grouped by cause.
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
    tokio::pin!(stop);
    let (run_checks, scenarios): (Vec<Scenario>, Vec<Scenario>) =
        scenarios.into_iter().partition(|s| s.run_check().is_some());
    let mut config = (*config).clone();
    if config.coverage.is_empty() {
        config.coverage = coverage(&scenarios);
    }
    let mut preflight = None;
    let mut stopped = false;
    if config.transfer.is_none() && scenarios.iter().any(Scenario::uses_transfer) {
        tokio::select! {
            found = preflight::run(&config) => {
                config.transfer = Some(found.choice.clone());
                preflight = Some(found);
            }
            () = &mut stop => stopped = true,
        }
    }
    let config = Arc::new(config);
    let ledger = Arc::new(RunLedger::default());
    let permits = Arc::new(Semaphore::new(config.jobs.max(1)));
    // Scenarios share the target; an `exclusive` one holds the write side and runs alone.
    let alone = Arc::new(tokio::sync::RwLock::new(()));
    let mut tasks = JoinSet::new();
    let mut pending: Vec<Option<Scenario>> = Vec::with_capacity(scenarios.len());
    for (index, scenario) in scenarios.into_iter().enumerate() {
        let config = Arc::clone(&config);
        let ledger = Arc::clone(&ledger);
        let permits = Arc::clone(&permits);
        let alone = Arc::clone(&alone);
        let task_scenario = scenario.clone();
        pending.push(Some(scenario));
        if stopped {
            continue;
        }
        tasks.spawn(async move {
            let outcome = if is_exclusive(&task_scenario) {
                let _alone = alone.write().await;
                run_repeated(&task_scenario, &config, &ledger).await
            } else {
                let _shared = alone.read().await;
                let _permit = permits.acquire_owned().await;
                run_repeated(&task_scenario, &config, &ledger).await
            };
            (index, outcome)
        });
    }
    let mut outcomes = Vec::new();
    while !stopped {
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
                stopped = true;
            }
        }
    }
    let not_run = pending.into_iter().flatten().chain(match stopped {
        true => run_checks.clone(),
        false => Vec::new(),
    });
    for scenario in not_run {
        let outcome = not_run_outcome(&scenario, config.strict);
        on_outcome(&outcome);
        outcomes.push(outcome);
    }
    if !stopped {
        for scenario in &run_checks {
            let outcome = judge_run_check(scenario, &outcomes, preflight.as_ref());
            on_outcome(&outcome);
            outcomes.push(outcome);
        }
    }
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    let causes = super::causes::group(&mut outcomes);
    RunReport {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started_unix,
        target: config.target.display.clone(),
        label: None,
        banner,
        strict: config.strict,
        preflight,
        outcomes,
        causes,
        duration: started.elapsed(),
        tls: None,
    }
}

/// The `covers` entry that a command line falls under: the longest covered command that is
/// the line itself or its start up to a space (`EPSV ALL` before `EPSV`), compared in upper
/// case (RFC 959 §5.3: command codes are case-insensitive). Returns the entry and its scenario.
pub fn covering<'c>(
    coverage: &'c std::collections::BTreeMap<String, String>,
    sent: &str,
) -> Option<(&'c str, &'c str)> {
    let line = sent.to_ascii_uppercase();
    coverage
        .iter()
        .filter(|(covered, _)| {
            line == **covered
                || line
                    .strip_prefix(covered.as_str())
                    .is_some_and(|rest| rest.starts_with(' '))
        })
        .max_by_key(|(covered, _)| covered.len())
        .map(|(covered, id)| (covered.as_str(), id.as_str()))
}

/// Covered command → the scenario that covers it (`covers`), from the scenarios of the run.
pub fn coverage(scenarios: &[Scenario]) -> std::collections::BTreeMap<String, String> {
    let mut map = std::collections::BTreeMap::new();
    for scenario in scenarios {
        for verb in &scenario.covers {
            map.entry(verb.clone())
                .or_insert_with(|| scenario.id.clone());
        }
    }
    map
}

fn not_run_outcome(scenario: &Scenario, strict: bool) -> Outcome {
    outcome(
        scenario,
        strict,
        Err(Stop::Error(NOT_RUN.into())),
        Vec::new(),
        Recorder::new(),
        Duration::ZERO,
        None,
    )
}

/// Runs a scenario `config.repeat` times. Differing verdicts are reported as flaky — the worst
/// verdict stands, with a note counting each — never hidden by a silent retry.
async fn run_repeated(scenario: &Scenario, config: &RunConfig, ledger: &RunLedger) -> Outcome {
    let mut runs = Vec::new();
    for _ in 0..config.repeat.max(1) {
        runs.push(run_in(scenario, config, ledger, None).await);
    }
    combine(runs)
}

fn combine(mut runs: Vec<Outcome>) -> Outcome {
    let worst = runs.iter().map(|o| o.verdict.severity()).max().unwrap_or(0);
    let index = runs
        .iter()
        .position(|o| o.verdict.severity() == worst)
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

/// Runs one scenario to its outcome. Never fails: every ending is a verdict. Without a run
/// around it there is no preflight: `transfer` uses `config.transfer`, else NLST.
pub async fn run_one(scenario: &Scenario, config: &RunConfig) -> Outcome {
    run_in(scenario, config, &RunLedger::default(), None).await
}

/// Like [`run_one`], but over a control stream the caller opened instead of a TCP connection
/// to `config.target`: an in-memory peer (`tokio::io::duplex`) in tests, so that timeouts run
/// on a paused clock and nothing depends on the TCP stack or on scheduling. `peer` stands for
/// the target (`${target.*}`), `local` for this end (`${client.*}`).
///
/// The stream is the target, so the scenario's `needs ipv4/ipv6` are not checked against
/// `config.target`. Steps that open TCP connections still do, to loopback in tests: data
/// connections go to `peer`'s IP, and `reconnect` connects to `peer` by TCP.
pub async fn run_one_over(
    scenario: &Scenario,
    config: &RunConfig,
    stream: impl ControlStream,
    peer: SocketAddr,
    local: SocketAddr,
) -> Outcome {
    let ctrl = ControlConnection::over(stream, peer, local, Recorder::new());
    run_in(scenario, config, &RunLedger::default(), Some(ctrl)).await
}

/// Runs a scenario over `given`, or over a TCP connection to the address its needs pick.
async fn run_in(
    scenario: &Scenario,
    config: &RunConfig,
    ledger: &RunLedger,
    given: Option<ControlConnection>,
) -> Outcome {
    let started = tokio::time::Instant::now();
    let recorder = match &given {
        Some(ctrl) => ctrl.recorder().clone(),
        None => Recorder::new(),
    };
    let series = SeriesSet::default();
    let mut notes = Vec::new();
    let mut passive_worked = Default::default();
    let opening = match given {
        _ if config.tls.is_some() && scenario.uses_urgent_data() => {
            Err(Stop::Skip(URGENT_OVER_TLS.into()))
        }
        Some(ctrl) => Ok(Opening::Over(ctrl)),
        None => pick_address(scenario, config).map(|picked| {
            notes.extend(picked.note);
            Opening::Connect(picked.addr)
        }),
    };
    let ended = match opening {
        Err(stop) => Err(stop),
        Ok(opening) => {
            let body = execute(
                scenario,
                config,
                opening,
                (recorder.clone(), series.clone()),
                (&mut notes, &mut passive_worked),
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
    if let Err(Stop::Fail(b) | Stop::Blocked(b)) = &ended
        && passive_setup_failed(b)
        && let Some(note) = b.command.as_deref().and_then(|v| ledger.passive_note(v))
    {
        notes.push(note);
    }
    ledger.record_passive(&passive_worked);
    // Collected series are reported whatever the verdict (a FAIL's port sequence is evidence).
    notes.extend(series.notes());
    let covered_by = match &ended {
        Err(Stop::Blocked(b)) => b
            .sent
            .as_deref()
            .and_then(|sent| covering(&config.coverage, sent))
            .filter(|(_, id)| *id != scenario.id)
            .map(|(covered, id)| (covered.to_string(), id.to_string())),
        _ => None,
    };
    outcome(
        scenario,
        config.strict,
        ended,
        notes,
        recorder,
        started.elapsed(),
        covered_by,
    )
}

/// True when a stop is EPSV or PASV failing to give a working port: refused, silent, a reply
/// that does not parse, or a port that does not accept (not `EPSV ALL`, not a later check).
fn passive_setup_failed(b: &Broken) -> bool {
    let is_all = b
        .sent
        .as_deref()
        .is_some_and(|s| s.to_ascii_uppercase().starts_with("EPSV ALL"));
    let check = b.check.unwrap_or_default();
    !is_all
        && [
            CHECK_REPLY_CODE,
            super::stop::CHECK_REPLY,
            "as epsv",
            "as pasv",
            "connect",
        ]
        .contains(&check)
}

async fn execute(
    scenario: &Scenario,
    config: &RunConfig,
    opening: Opening,
    (recorder, series): (Recorder, SeriesSet),
    (notes, passive_worked): (
        &mut Vec<String>,
        &mut std::collections::BTreeSet<&'static str>,
    ),
) -> Result<(), Stop> {
    let own_tls = scenario.needs.contains(&crate::suite::Need::AuthTls);
    let mut run = ScenarioRun::open(opening, config, recorder, series, own_tls).await?;
    let result = run.run_steps(&scenario.steps).await;
    notes.append(&mut run.notes);
    passive_worked.append(&mut run.passive_worked);
    run.finish().await;
    result
}

/// Judges a run-wide check over the outcomes of every other scenario of the run (and the
/// preflight's dialogues).
fn judge_run_check(
    scenario: &Scenario,
    outcomes: &[Outcome],
    preflight: Option<&Preflight>,
) -> Outcome {
    let ended = match scenario.run_check() {
        Some(RunCheck::ReplySyntax) => reply_syntax(outcomes, preflight),
        None => Err((Stop::Error("not a run check".into()), Vec::new())),
    };
    let (ended, notes) = match ended {
        Ok(()) => (Ok(()), Vec::new()),
        Err((stop, seen)) => (Err(stop), seen),
    };
    outcome(
        scenario,
        false,
        ended,
        notes,
        Recorder::new(),
        Duration::ZERO,
        None,
    )
}

/// RFC 959 §4.2 checked on every reply of every scenario, including those read by `login`,
/// the preflight and at goodbye, which no `expect` looks at: one verdict for the whole run,
/// listing where (as notes).
fn reply_syntax(
    outcomes: &[Outcome],
    preflight: Option<&Preflight>,
) -> Result<(), (Stop, Vec<String>)> {
    let dialogues: Vec<&Outcome> = outcomes
        .iter()
        .chain(preflight.into_iter().flat_map(|p| p.outcomes.iter()))
        .collect();
    if dialogues.iter().all(|o| o.transcript.entries.is_empty()) {
        let why = "no other scenario of this run talked to the target";
        return Err((Stop::Skip(why.into()), Vec::new()));
    }
    let seen: Vec<String> = dialogues
        .iter()
        .flat_map(|o| {
            o.transcript
                .violations
                .iter()
                .map(move |v| format!("{}: {v}", o.id))
        })
        .collect();
    let Some(first) = seen.first() else {
        return Ok(());
    };
    let broken = Broken {
        line: 0,
        message: format!(
            "{} malformed replies in this run; the first: {first}",
            seen.len()
        ),
        expected:
            "three digits, SP or hyphen, text, CRLF; a multi-line reply ends with its own code and SP"
                .into(),
        actual: seen.join("; "),
        check: Some("reply syntax"),
        command: None,
        sent: None,
    };
    Err((Stop::Fail(Box::new(broken)), seen))
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
    covered_by: Option<(String, String)>,
) -> Outcome {
    let failure_of = |b: Box<Broken>| Failure {
        at: Location {
            file: scenario.location.file.clone(),
            line: b.line,
        },
        message: b.message,
        expected: b.expected,
        actual: b.actual,
        check: b.check.unwrap_or("step").to_string(),
        command: b.command,
    };
    let (verdict, reason, failure) = match ended {
        Ok(()) => (Verdict::Pass, None, None),
        Err(Stop::Skip(why)) => (Verdict::Skip, Some(why), None),
        Err(Stop::Error(why)) => (Verdict::Error, Some(why), None),
        Err(Stop::Fail(b)) => (
            verdict_for_failure(scenario.spec.level, strict),
            Some(b.message.clone()),
            Some(failure_of(b)),
        ),
        Err(Stop::Blocked(b)) => {
            let reason = blocked_reason(&b, covered_by.as_ref());
            (Verdict::Blocked, Some(reason), Some(failure_of(b)))
        }
    };
    Outcome {
        id: scenario.id.clone(),
        title: scenario.title.clone(),
        area: scenario.area().to_string(),
        spec: scenario.spec.clone(),
        requirement: scenario.requirement.clone(),
        tags: scenario.tags.clone(),
        verdict,
        reason,
        failure,
        notes,
        covered_by: covered_by.map(|(_, id)| id),
        cause: None,
        transcript: recorder.snapshot(),
        duration,
        expectation: None,
    }
}

/// The reason of a BLOCKED verdict: "could not exercise the requirement: NLST was refused
/// (500 …); rfc959.transfer.nlst-bare tests NLST on its own".
fn blocked_reason(b: &Broken, covered_by: Option<&(String, String)>) -> String {
    let what = match (b.check, b.command.as_deref()) {
        (Some(CHECK_REPLY_CODE), Some(verb)) => {
            let refused = matches!(b.actual.as_bytes().first(), Some(b'4' | b'5'));
            let how = if refused { "refused" } else { "answered" };
            format!("{verb} was {how} ({})", b.actual)
        }
        (_, Some(verb)) => format!("{} (after {verb}): {}", b.message, b.actual),
        (_, None) => format!("{}: {}", b.message, b.actual),
    };
    let mut reason = format!("could not exercise the requirement: {what}");
    if let Some((covered, id)) = covered_by {
        reason.push_str(&format!("; {id} tests {covered} on its own"));
    }
    reason
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
            None,
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
