//! The campaign loop: generate or mutate an input, run it (up to `--jobs` at once), keep it
//! when it reached a new state, judge it, and report findings — until the run or time budget
//! is spent, Ctrl-C, or the target is gone for good.
//!
//! Beside the loop: `corpus` and `feedback` (what is kept and why), `health` (is the target
//! still serving sessions?), `report` (a violation becomes a finding file; one defect, one
//! file), `resume` (what an earlier campaign left in the folder), `learnt` (what it learnt
//! about the target's habits), `cleanup` (what the campaign stored goes again), `stats`
//! (`stats.json`), `watch` (`--watch-pid`).
//!
//! With `--jobs 1` a campaign is a pure function of its seed, its saved corpus and the target's
//! behaviour: against a deterministic target the same seed replays the same campaign.

pub mod cleanup;
pub mod corpus;
mod counterfactual;
pub mod feedback;
pub mod health;
pub mod learnt;
mod refuted;
pub mod report;
pub mod resume;
pub mod stats;
pub mod watch;

use crate::fuzz::campaign::corpus::{Corpus, write_file};
use crate::fuzz::campaign::feedback::Coverage;
use crate::fuzz::campaign::health::Health;
use crate::fuzz::campaign::report::{CampaignReport, Reported};
use crate::fuzz::campaign::stats::{CampaignState, Stats};
use crate::fuzz::exec::latency::Waits;
use crate::fuzz::exec::trace::{End, NoReply, Trace, Unserved};
use crate::fuzz::exec::{ExecConfig, execute};
use crate::fuzz::input::dialogue::{Dialogue, MAX_OPS};
use crate::fuzz::input::line::Values;
use crate::fuzz::input::mutate::{Rng, fresh, mutate, repeat_op};
use crate::fuzz::input::shape::Shape;
use crate::fuzz::judge::finding::{self, FindingKey};
use crate::fuzz::judge::oracle::{Oracle, Violation, judge};
use crate::report::fuzz_progress::Progress;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// When a campaign ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// After this many dialogues (minimisation runs not counted).
    Runs(u64),
    /// After this long.
    Time(Duration),
    /// Never: until Ctrl-C.
    Unlimited,
}

impl CampaignConfig {
    /// A campaign of `budget` against `exec`'s target, writing under `out`, with the command
    /// line's defaults otherwise: the whole grammar, one dialogue at a time, seed 0, a corpus
    /// of [`MAX_CORPUS`](corpus::MAX_CORPUS), a minute for the target to come back, stats
    /// every 2 s, no process watch.
    pub fn new(exec: ExecConfig, out: PathBuf, budget: Budget) -> CampaignConfig {
        CampaignConfig {
            exec,
            shape: Shape::default(),
            budget,
            jobs: 1,
            seed: 0,
            out,
            max_corpus: corpus::MAX_CORPUS,
            revive: Duration::from_secs(60),
            stats_every: Duration::from_secs(2),
            watch: None,
        }
    }
}

/// Most dialogues an `unavailable` finding replays before its last one.
const SINCE_CLEAN: usize = 32;

/// Everything a campaign needs.
#[derive(Debug, Clone)]
pub struct CampaignConfig {
    pub exec: ExecConfig,
    /// What the dialogues may contain (`--only`, `--max-ops`).
    pub shape: Shape,
    pub budget: Budget,
    pub jobs: usize,
    pub seed: u64,
    /// `--out`: `corpus/`, `findings/` and `stats.json` live here.
    pub out: PathBuf,
    pub max_corpus: usize,
    /// How long to wait for a target that stopped accepting connections to come back.
    pub revive: Duration,
    /// How often `stats.json` is rewritten.
    pub stats_every: Duration,
    /// `--watch-pid`: the target's process, sampled before and after (see [`crate::fuzz::campaign::watch`]).
    pub watch: Option<u32>,
}

/// A stop request (Ctrl-C) seen anywhere in the campaign.
#[derive(Debug, Clone, Default)]
pub struct StopSignal {
    flag: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl StopSignal {
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Completes once [`StopSignal::trigger`] was called (at once if it already was).
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }
}

/// The pause after a dialogue that could not run for a local reason.
const LOCAL_ERROR_PAUSE: Duration = Duration::from_millis(20);

/// The campaign's numbers under `--out`, rewritten every few seconds.
pub const STATS_FILE: &str = "stats.json";
/// The coverage under `--out`, so a resumed campaign keeps its states.
pub const COVERAGE_FILE: &str = "coverage.bin";

/// One finished execution.
type Ran = (Vec<u8>, Dialogue, Trace);

pub(super) struct Campaign {
    pub cfg: CampaignConfig,
    pub stop: StopSignal,
    pub corpus: Corpus,
    pub coverage: Coverage,
    pub rng: Rng,
    pub seen: HashSet<FindingKey>,
    pub stats: Stats,
    pub started: Instant,
    pub progress: Progress,
    pub reported: Vec<Reported>,
    /// The last execution that completed, for a crash noticed only by the next one.
    pub previous: Option<Ran>,
    pub target_lost: bool,
    /// How long the dialogues ran, once they are over (the closing `--watch-pid` sample is
    /// not campaign time).
    pub ran_for: Option<Duration>,
    /// What this campaign's accepted STORs named, to delete at the end (`cleanup`).
    pub created: std::collections::BTreeSet<Vec<u8>>,
    /// Whether the target still serves sessions.
    pub health: Health,
    /// The last dialogue that reached the target (for a target that stops serving after it),
    /// when `previous` no longer holds it.
    pub last_served: Option<Ran>,
    /// The dialogues that reached the target but ended waiting (inconclusive) since the last
    /// one that ended cleanly, at most [`SINCE_CLEAN`]: what an `unavailable` finding replays
    /// before its last dialogue (a target that runs out of sessions after many that hung).
    pub since_clean: std::collections::VecDeque<Trace>,
    /// How often a rerun with full waits refuted each kind of missed reply.
    pub refuted: refuted::Refuted,
    /// Later dialogues that showed a finding already reported: one defect, one file.
    pub variants: std::collections::HashMap<FindingKey, report::Variants>,
    /// (states, sequences) when `coverage.bin` was last written.
    pub saved_states: (usize, usize),
    /// The target's greeting, which `learnt.json` is kept under (`None`: it gave none when
    /// the campaign started, and nothing is kept).
    pub greeting: Option<String>,
    /// What `learnt.json` holds now.
    pub saved_learnt: crate::fuzz::exec::latency::Learnt,
}

/// Runs a campaign. Errors are local I/O problems (the `--out` directory), never the target's.
pub async fn run(
    cfg: CampaignConfig,
    target_display: &str,
    stop: StopSignal,
    progress: Progress,
) -> std::io::Result<CampaignReport> {
    let corpus = Corpus::open(&cfg.out.join("corpus"), cfg.max_corpus)?;
    std::fs::create_dir_all(cfg.out.join("findings"))?;
    // What the last campaign in this folder left: was it stopped cleanly, how far had it got.
    let unclean = resume::unclean_stop(&cfg.out.join(STATS_FILE));
    let coverage = resume::load_coverage(&cfg.out.join(COVERAGE_FILE));
    let stats = Stats {
        version: 1,
        target: target_display.to_string(),
        seed: cfg.seed,
        corpus: corpus.len(),
        corpus_loaded: corpus.len(),
        state: CampaignState::Running,
        states_loaded: coverage.states(),
        previous_unclean: unclean.is_some(),
        ..Stats::default()
    };
    let mut c = Campaign {
        seen: finding::existing(&cfg.out.join("findings"))
            .into_iter()
            .chain(finding::existing(&cfg.out.join(report::UNCONFIRMED_DIR)))
            .collect(),
        rng: Rng::new(cfg.seed),
        cfg,
        stop,
        corpus,
        coverage,
        stats,
        started: Instant::now(),
        progress,
        reported: Vec::new(),
        previous: None,
        target_lost: false,
        ran_for: None,
        created: Default::default(),
        health: Health::default(),
        last_served: None,
        since_clean: Default::default(),
        refuted: Default::default(),
        variants: Default::default(),
        saved_states: (usize::MAX, usize::MAX),
        greeting: None,
        saved_learnt: Default::default(),
    };
    if let Some(state) = &unclean {
        c.progress.println(&format!(
            "ftpspec fuzz: the previous campaign in {} did not end cleanly (its stats.json still says {state}); its corpus, coverage and findings are kept",
            c.cfg.out.display()
        ));
    }
    // Does the target answer the sentinel? Dialogues use it only if so (see
    // `exec::ledger::SENTINEL`); a target that does not costs timers instead.
    let probed = crate::fuzz::exec::probe_sentinel(&c.cfg.exec).await;
    c.cfg.exec.latency.set_answers_sentinel(probed.sentinel);
    // What an earlier campaign in this folder learnt about the same server (see `learnt`).
    c.greeting = probed.greeting;
    if let Some(earlier) = c
        .greeting
        .as_deref()
        .and_then(|g| learnt::load(&c.cfg.out, g))
    {
        c.cfg.exec.latency.resume(&earlier);
        c.saved_learnt = earlier;
        c.stats.learnt_loaded = true;
        let habits = earlier.habits();
        c.progress.println(&format!(
            "ftpspec fuzz: starting from what an earlier campaign in {} learnt about this server{}",
            c.cfg.out.display(),
            match habits.is_empty() {
                true => " (its reply time)".to_string(),
                false => format!(": it {}", habits.join(", ")),
            }
        ));
    }
    c.progress.println(&format!(
        "ftpspec fuzz → {target_display}: {}; seed {}, {} inputs loaded from {}",
        c.cfg.shape.describe(),
        c.cfg.seed,
        c.stats.corpus_loaded,
        c.cfg.out.join("corpus").display()
    ));
    if let Some(pid) = c.cfg.watch {
        match crate::fuzz::campaign::watch::idle(pid, Duration::ZERO).await {
            Ok(before) => {
                c.stats.watch = Some(crate::fuzz::campaign::watch::Watched {
                    pid,
                    before,
                    after: None,
                })
            }
            Err(e) => c.progress.println(&format!(
                "ftpspec fuzz: cannot watch process {pid} ({e}); going on without"
            )),
        }
        // The sample is not part of the campaign's time.
        c.started = Instant::now();
    }
    c.main_loop().await?;
    c.ran_for = Some(c.started.elapsed());
    if !c.stop.is_set()
        && let Some(w) = &mut c.stats.watch
    {
        w.after = crate::fuzz::campaign::watch::idle(w.pid, crate::fuzz::campaign::watch::SETTLE)
            .await
            .ok();
    }
    c.stats.state = if c.stop.is_set() {
        CampaignState::Interrupted
    } else if c.target_lost {
        CampaignState::TargetLost
    } else {
        CampaignState::Done
    };
    // What the campaign stored goes again, also after Ctrl-C (a few bounded commands).
    let cleanup = match c.target_lost {
        true => cleanup::Cleanup {
            deleted: Vec::new(),
            left: c
                .created
                .iter()
                .map(|n| {
                    (
                        String::from_utf8_lossy(n).into_owned(),
                        "the target was gone".into(),
                    )
                })
                .collect(),
        },
        false => cleanup::cleanup(&c.cfg.exec, &c.created).await,
    };
    c.stats.cleanup = Some(cleanup.stats());
    report::note_variants(&mut c)?;
    c.refresh()?;
    c.progress.finish();
    let earlier = resume::earlier_findings(&c.cfg.out.join("findings"), &c.reported);
    Ok(CampaignReport {
        stats: c.stats,
        earlier,
        findings: c.reported,
        interrupted: c.stop.is_set(),
        target_lost: c.target_lost,
        cleanup,
    })
}

impl Campaign {
    async fn main_loop(&mut self) -> std::io::Result<()> {
        let mut running: JoinSet<Ran> = JoinSet::new();
        let mut scheduled: u64 = 0;
        let mut ticker = tokio::time::interval(self.cfg.stats_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            while running.len() < self.cfg.jobs.max(1) && self.may_schedule(scheduled) {
                scheduled += 1;
                let input = self.next_input();
                let exec = self.cfg.exec.clone();
                let dialogue = self.cfg.shape.decode(&input);
                running.spawn(async move {
                    let trace = bounded_execute(&dialogue, &exec).await;
                    (input, dialogue, trace)
                });
            }
            if running.is_empty() {
                return Ok(());
            }
            let stop = self.stop.clone();
            tokio::select! {
                biased;
                () = stop.wait() => {
                    running.abort_all();
                    return Ok(());
                }
                joined = running.join_next() => {
                    if let Some(Ok(ran)) = joined {
                        self.process(ran).await?;
                    }
                }
                _ = ticker.tick() => self.refresh()?,
            }
        }
    }

    /// Time left of a `--duration` budget (`None`: no time budget). Minimising and replaying
    /// a finding stop when it runs out, so a campaign ends when it was told to.
    pub(super) fn time_left(&self) -> Option<std::time::Duration> {
        match self.cfg.budget {
            Budget::Time(d) => Some(d.saturating_sub(self.started.elapsed())),
            Budget::Runs(_) | Budget::Unlimited => None,
        }
    }

    fn may_schedule(&self, scheduled: u64) -> bool {
        if self.stop.is_set() || self.target_lost {
            return false;
        }
        match self.cfg.budget {
            Budget::Runs(n) => scheduled < n,
            Budget::Time(d) => self.started.elapsed() < d,
            Budget::Unlimited => true,
        }
    }

    /// A fresh input now and then (and while the corpus is empty), else a mutated entry.
    fn next_input(&mut self) -> Vec<u8> {
        if self.corpus.is_empty() || self.rng.one_in(8) {
            return fresh(&mut self.rng);
        }
        let base = self.corpus.pick(&mut self.rng).unwrap_or_default();
        if self.rng.one_in(6) {
            let (_, starts) = self.cfg.shape.decode_spans(&base);
            return repeat_op(&mut self.rng, &base, &starts);
        }
        let donor = self.corpus.pick(&mut self.rng);
        mutate(&mut self.rng, &base, donor.as_deref())
    }

    /// Feedback, oracles, findings for one execution.
    async fn process(&mut self, ran: Ran) -> std::io::Result<()> {
        let (input, dialogue, trace) = ran;
        if let End::Harness(_) = trace.end {
            // Not a dialogue that ran (no local port, say: TIME_WAIT holds them all). Not
            // counted, not judged; a short pause lets ports come free instead of spinning.
            self.stats.local_errors += 1;
            tokio::time::sleep(LOCAL_ERROR_PAUSE).await;
            return Ok(());
        }
        let outcome = self.health.outcome(&trace, dialogue.login);
        match outcome {
            health::Outcome::Served => self.since_clean.clear(),
            health::Outcome::Inconclusive => {
                if self.since_clean.len() == SINCE_CLEAN {
                    self.since_clean.pop_front();
                }
                self.since_clean.push_back(trace.clone());
            }
            health::Outcome::Unserved(_) => {}
        }
        if let End::Unreachable(_) = trace.end {
            // It never reached the target: not an exec, and no rate counts it.
            self.stats.unserved += 1;
            return self.unreachable(outcome).await;
        }
        self.stats.execs += 1;
        self.stats.commands += trace.commands.len() as u64;
        if let End::Inconclusive(_) = trace.end {
            self.stats.inconclusive += 1;
        }
        cleanup::stored(&trace, &mut self.created);
        let novelty = self.coverage.observe(&trace);
        if novelty.is_new() {
            self.corpus.add(&input, novelty.new_transitions)?;
        }
        let verdict = judge(&trace);
        let served = !matches!(outcome, health::Outcome::Unserved(_));
        // The last dialogue that reached the target is `previous` while `last_served` is None;
        // it is copied only when `previous` is about to lose it.
        if self.last_served.is_none() && (verdict.is_some() || !served) {
            self.last_served = self.previous.take();
        }
        if let Some(v) = verdict {
            if served {
                self.last_served = Some((input.clone(), dialogue.clone(), trace.clone()));
            }
            let crashed = v.oracle == Oracle::Crash;
            let key = finding::key(&v);
            if self.seen.contains(&key) {
                self.variants.entry(key).or_default().add(&v.detail);
            } else if let Some((shown, trace, v)) = self.confirm(&dialogue, trace, v).await {
                report::report(self, &input, &shown, trace, v, &[]).await?;
            }
            if crashed {
                self.wait_for_target().await;
            }
            self.previous = None;
        } else {
            if served {
                self.last_served = None;
            }
            self.previous = Some((input, dialogue, trace));
        }
        if let Some(suspicion) = self.health.observe(&outcome) {
            self.check_service(suspicion).await?;
        }
        Ok(())
    }

    /// A new verdict that rests on a reply missed by a measured wait (see [`Waits`]) is
    /// believed only if a rerun with the full `--timeout` gives it again; the rerun's trace is
    /// the one reported. A close blamed on an odd line is believed only if the dialogue
    /// without that line goes on (see [`counterfactual`]); else the close is the finding, with
    /// that dialogue. Every other verdict stands as it is. Returns the dialogue to minimise.
    async fn confirm(
        &mut self,
        dialogue: &Dialogue,
        trace: Trace,
        verdict: Violation,
    ) -> Option<(Dialogue, Trace, Violation)> {
        // "Died on this odd line" holds only if the same dialogue without the line goes on
        // (see `counterfactual`): a variant whose line before got other replies (the close's
        // cause did not recur: a passive range that was free this time) proves nothing, and
        // is tried again; a verdict no variant could test is not reported.
        if let Some(line) = counterfactual::lost_on_odd_line(&trace, &verdict) {
            // A line no variant can stand in for (a command whose bytes hold an LF: vsftpd's
            // dying session left the second line of `PASS …\n…` unanswered) cannot be tested:
            // the guess is not reported.
            let Some(plain) = counterfactual::with_noop(dialogue, line) else {
                self.stats.unconfirmed += 1;
                return None;
            };
            let mut blamed = false;
            for _ in 0..counterfactual::TRIES {
                // With the full wait: a server that lingers before it closes must not pass for
                // one that answered nothing yet.
                let variant = bounded_execute(&plain, &self.cfg.exec.full()).await;
                self.stats.execs += 1;
                match counterfactual::decide(&trace, &variant, line.cmd) {
                    counterfactual::Decision::LineToBlame => {
                        blamed = true;
                        break;
                    }
                    counterfactual::Decision::Untested => {}
                    counterfactual::Decision::CloseRegardless(close) => {
                        let key = finding::key(&close);
                        if self.seen.contains(&key) {
                            self.variants.entry(key).or_default().add(&close.detail);
                            return None;
                        }
                        return Some((plain, variant, close));
                    }
                }
            }
            if !blamed {
                self.stats.unconfirmed += 1;
                return None;
            }
        }
        let timed_out = matches!(
            trace.end,
            End::NoReply {
                how: NoReply::Timeout,
                ..
            }
        );
        if self.cfg.exec.waits == Waits::Full || !timed_out {
            return Some((dialogue.clone(), trace, verdict));
        }
        // A kind of miss that full waits refuted again and again is the target's slowness
        // there, not a defect: it is not rerun any more (each rerun costs a full timeout).
        let key = finding::key(&verdict);
        if !self.refuted.worth_rerun(&key) {
            self.stats.unconfirmed += 1;
            return None;
        }
        let full = self.cfg.exec.full();
        let rerun = bounded_execute(dialogue, &full).await;
        self.stats.execs += 1;
        match judge(&rerun) {
            Some(again) if finding::key(&again) == key => Some((dialogue.clone(), rerun, again)),
            _ => {
                self.stats.unconfirmed += 1;
                self.refuted.refute(key);
                None
            }
        }
    }

    /// A dialogue got no session. If the target is really down (connections refused, or no
    /// greeting), the dialogue before is the suspect: report it as a crash, then wait for the
    /// target to come back. If it is up but refusing (a 421 greeting), the health watch
    /// decides.
    async fn unreachable(&mut self, outcome: health::Outcome) -> std::io::Result<()> {
        let liveness = crate::fuzz::exec::probe_liveness(&self.cfg.exec).await;
        if liveness == crate::fuzz::exec::trace::Liveness::Alive {
            if let Some(suspicion) = self.health.observe(&outcome) {
                self.check_service(suspicion).await?;
            }
            return Ok(());
        }
        if self.last_served.is_none() {
            self.last_served = self.previous.clone();
        }
        if let Some((input, dialogue, trace)) = self.previous.take() {
            let verdict = crate::fuzz::judge::oracle::Violation {
                oracle: Oracle::Crash,
                signature: "target down after a dialogue".into(),
                act: trace.acts.len().saturating_sub(1),
                detail: "the target stopped accepting connections after this dialogue".into(),
                expect: crate::fuzz::judge::oracle::ReplayCheck::AnyReply,
                rule: None,
            };
            if !self.seen.contains(&finding::key(&verdict)) {
                report::report(self, &input, &dialogue, trace, verdict, &[]).await?;
            }
        }
        self.wait_for_target().await;
        Ok(())
    }

    /// The health watch grew suspicious: one full session of our own (greeting, login if
    /// logins work, NOOP) decides. A target that serves it goes on being fuzzed; one that does
    /// not is unavailable — reported once as a finding, then waited for with backoff.
    async fn check_service(&mut self, suspicion: health::Suspicion) -> std::io::Result<()> {
        let login = self.health.logins_work();
        match crate::fuzz::exec::probe_service(&self.cfg.exec, login).await {
            Ok(()) => {
                self.health.reset();
                Ok(())
            }
            Err(why) => {
                let reason = format!("{why} (after {} dialogues; {suspicion})", self.stats.execs);
                self.stats.unavailable = Some(reason.clone());
                self.report_unavailable(&why, &reason).await?;
                self.wait_for_service(login).await;
                Ok(())
            }
        }
    }

    /// One finding for a target that stopped serving sessions: the last dialogue that reached
    /// it, with what the sessions get now. Not minimised or replayed (the target is not
    /// serving); the kind of refusal is the signature, so a second episode adds no file.
    async fn report_unavailable(&mut self, why: &Unserved, reason: &str) -> std::io::Result<()> {
        let Some((input, dialogue, trace)) = self.last_served.clone().or(self.previous.clone())
        else {
            return Ok(());
        };
        let kind = match why {
            Unserved::Connect(_) => "connections fail".to_string(),
            Unserved::NoGreeting(_) => "no greeting".to_string(),
            Unserved::Greeting { code, .. } => format!("greeting {code}"),
            Unserved::Login { code, .. } => format!("login {code}"),
            Unserved::NoService(_) => "no reply after login".to_string(),
            Unserved::Tls(_) => "no TLS".to_string(),
        };
        let verdict = crate::fuzz::judge::oracle::Violation {
            oracle: Oracle::Unavailable,
            signature: format!("target stopped serving: {kind}"),
            act: trace.acts.len().saturating_sub(1),
            detail: format!(
                "the target serves no session any more: {reason}; this is the last dialogue that reached it"
            ),
            expect: crate::fuzz::judge::oracle::ReplayCheck::AnyReply,
            rule: None,
        };
        if self.seen.contains(&finding::key(&verdict)) {
            return Ok(());
        }
        let mut prelude: Vec<Trace> = std::mem::take(&mut self.since_clean).into();
        if prelude.last() == Some(&trace) {
            prelude.pop();
        }
        report::report(self, &input, &dialogue, trace, verdict, &prelude).await
    }

    /// Backoff (1 s, 2 s, 4 s …) until a full session is served again or `revive` has passed;
    /// then the campaign goes on, or stops with the target lost.
    async fn wait_for_service(&mut self, login: bool) {
        let why = self.stats.unavailable.clone().unwrap_or_default();
        self.wait(
            &format!("the target serves no session: {why}"),
            async |c: &Campaign| {
                crate::fuzz::exec::probe_service(&c.cfg.exec, login)
                    .await
                    .is_ok()
            },
        )
        .await;
    }

    /// Backoff until the target greets again (it refused connections or stopped greeting).
    async fn wait_for_target(&mut self) {
        self.stats.unavailable = Some("the target does not answer".into());
        self.wait("the target does not answer", async |c: &Campaign| {
            crate::fuzz::exec::probe_liveness(&c.cfg.exec).await
                == crate::fuzz::exec::trace::Liveness::Alive
        })
        .await;
    }

    /// Says `what`, then backs off (1 s, 2 s, 4 s … up to 16 s) until `back` holds or `revive`
    /// has passed; then the campaign goes on, or stops with the target lost.
    async fn wait(&mut self, what: &str, back: impl AsyncFn(&Campaign) -> bool) {
        self.stats.state = CampaignState::TargetUnavailable;
        let _ = self.refresh();
        self.progress.println(&format!(
            "ftpspec fuzz: {what}; waiting up to {:?} for it to come back",
            self.cfg.revive
        ));
        let deadline = Instant::now() + self.cfg.revive;
        let mut delay = Duration::from_secs(1);
        loop {
            if back(self).await {
                self.stats.state = CampaignState::Running;
                self.health.reset();
                self.progress.println("ftpspec fuzz: the target is back");
                return;
            }
            let now = Instant::now();
            if now >= deadline || self.stop.is_set() {
                break;
            }
            let pause = delay.min(deadline - now);
            let stop = self.stop.clone();
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = stop.wait() => break,
            }
            delay = (delay * 2).min(Duration::from_secs(16));
        }
        if !self.stop.is_set() {
            self.target_lost = true;
            self.progress
                .println("ftpspec fuzz: the target did not come back; stopping");
        }
    }

    /// Updates the stats, the progress line and `stats.json`.
    pub(super) fn refresh(&mut self) -> std::io::Result<()> {
        self.stats.corpus = self.corpus.len();
        self.stats.states = self.coverage.states();
        self.stats.sequences = self.coverage.sequences();
        self.stats.findings = self.reported.iter().filter(|f| !f.unconfirmed()).count();
        self.stats.unconfirmed_findings = self.reported.iter().filter(|f| f.unconfirmed()).count();
        self.stats
            .tick(self.ran_for.unwrap_or_else(|| self.started.elapsed()));
        self.progress.update(&self.stats);
        let now = (self.stats.states, self.stats.sequences);
        if now != self.saved_states {
            let bytes = self.coverage.to_bytes();
            write_file(&self.cfg.out.join(COVERAGE_FILE), &bytes, false)?;
            self.saved_states = now;
        }
        if let Some(greeting) = &self.greeting {
            let now = self.cfg.exec.latency.learnt();
            if now != self.saved_learnt {
                learnt::save(&self.cfg.out, greeting, &now)?;
                self.saved_learnt = now;
            }
        }
        self.stats.write(&self.cfg.out.join(STATS_FILE))
    }
}

/// One execution under an overall limit, in case a server finds a way to make every wait
/// count: at most a few timeouts per operation.
async fn bounded_execute(dialogue: &Dialogue, cfg: &ExecConfig) -> Trace {
    let limit = cfg.timeout * (4 * MAX_OPS as u32 + 8);
    match tokio::time::timeout(limit, execute(dialogue, cfg)).await {
        Ok(trace) => trace,
        Err(_) => {
            let mut t = Trace::new(Values {
                client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
                data_port: 0,
            });
            t.end = End::Inconclusive(format!("the dialogue took longer than {limit:?}"));
            t
        }
    }
}
