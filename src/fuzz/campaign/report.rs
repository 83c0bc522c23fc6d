//! Reporting a finding: minimise it, replay the scenario once through the runner, write it —
//! and what a finished campaign hands back to the CLI.
//!
//! A finding is written as soon as it is confirmed, before the campaign goes on. Ctrl-C during
//! minimisation writes the finding as it stands (unminimised), so nothing found is lost.

use crate::fuzz::campaign::Campaign;
use crate::fuzz::campaign::stats::Stats;
use crate::fuzz::exec::trace::Trace;
use crate::fuzz::input::dialogue::Dialogue;
use crate::fuzz::judge::finding::{self, Finding, Provenance};
use crate::fuzz::judge::minimise::{BUDGET, minimise};
use crate::fuzz::judge::oracle::{Oracle, Violation};
use crate::report::fuzz_junit::JunitFinding;
use crate::runner::{self, RunConfig};
use std::path::PathBuf;

/// Where findings whose replay did not fail are written, under `--out`.
pub const UNCONFIRMED_DIR: &str = "unconfirmed";

/// A finding as the final report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub id: String,
    pub oracle: Oracle,
    pub signature: String,
    pub detail: String,
    pub path: PathBuf,
    /// Operations in the written scenario's dialogue (after minimisation).
    pub ops: usize,
    /// The replay check: `Some(true)` failed as it should, `None` not replayed.
    pub replayed: Option<bool>,
    /// Dialogues the campaign had run when it found it.
    pub found_after: u64,
    /// Later dialogues of this campaign that showed the same defect.
    pub variants: u64,
}

/// Later sightings of a finding already reported: how many, and a few of their details.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variants {
    pub count: u64,
    /// Up to [`MAX_EXAMPLES`] details that differ from each other.
    pub examples: Vec<String>,
}

/// Most variant details a finding keeps.
pub const MAX_EXAMPLES: usize = 3;

impl Variants {
    pub fn add(&mut self, detail: &str) {
        self.count += 1;
        if self.examples.len() < MAX_EXAMPLES && !self.examples.iter().any(|e| e == detail) {
            self.examples.push(detail.to_string());
        }
    }
}

/// At the end of a campaign: each finding's file says how many later dialogues showed the same
/// defect, with a few examples, and the report carries the count.
pub(super) fn note_variants(c: &mut Campaign) -> std::io::Result<()> {
    for r in &mut c.reported {
        let key = finding::key_of(r.oracle, &r.signature);
        let Some(v) = c.variants.get(&key) else {
            continue;
        };
        r.variants = v.count;
        let Ok(text) = std::fs::read_to_string(&r.path) else {
            continue;
        };
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("# What happened:"))
            .map_or(0, |i| i + 1);
        let mut note = vec![format!(
            "# Variants: {} later dialogue(s) of this campaign showed the same defect, for example:",
            v.count
        )];
        let others = v.examples.iter().filter(|e| **e != r.detail);
        note.extend(others.map(|e| {
            format!(
                "#   {}",
                crate::session::transcript::escape_bytes(e.as_bytes())
                    .chars()
                    .take(300)
                    .collect::<String>()
            )
        }));
        lines.splice(at..at, note);
        let mut out = lines.join("\n");
        out.push('\n');
        crate::fuzz::campaign::corpus::write_file(&r.path, out.as_bytes(), true)?;
    }
    Ok(())
}

impl Reported {
    /// A finding whose scenario, replayed with the full timeout, did not fail: listed apart
    /// (under `DIR/unconfirmed/`), never counted towards the exit code.
    pub fn unconfirmed(&self) -> bool {
        self.replayed == Some(false)
    }

    pub fn junit(&self) -> JunitFinding {
        JunitFinding {
            id: self.id.clone(),
            oracle: self.oracle.name().into(),
            detail: self.detail.clone(),
            path: self.path.clone(),
            unconfirmed: self.unconfirmed(),
        }
    }
}

/// What a campaign hands back.
#[derive(Debug, Clone)]
pub struct CampaignReport {
    pub stats: Stats,
    /// Findings earlier campaigns wrote into the same folder (a resumed campaign).
    pub earlier: Vec<crate::fuzz::campaign::resume::Earlier>,
    /// Findings written by this campaign, in the order found.
    pub findings: Vec<Reported>,
    pub interrupted: bool,
    /// The target stopped accepting connections and did not come back.
    pub target_lost: bool,
    /// What the campaign stored on the target and deleted again, or could not.
    pub cleanup: crate::fuzz::campaign::cleanup::Cleanup,
}

/// Minimises (unless the target is down or hanging), replays, writes, announces — the part of
/// the campaign loop that turns a violation into a finding.
pub(super) async fn report(
    c: &mut Campaign,
    input: &[u8],
    dialogue: &Dialogue,
    trace: Trace,
    verdict: Violation,
    prelude: &[Trace],
) -> std::io::Result<()> {
    c.seen.insert(finding::key(&verdict));
    let found_after = (c.stats.execs, c.started.elapsed());
    let target_ok = !matches!(
        verdict.oracle,
        Oracle::Crash | Oracle::Hang | Oracle::Unavailable
    );
    // Past the end of `--duration`, the finding is written as found: unminimised, unreplayed.
    let time_left = c.time_left();
    let out_of_time = async move {
        match time_left {
            Some(left) => tokio::time::sleep(left).await,
            None => std::future::pending().await,
        }
    };
    let (small, trace, verdict) = if target_ok {
        let stop = c.stop.clone();
        let cfg = c.cfg.exec.clone();
        tokio::select! {
            m = minimise(dialogue, trace.clone(), verdict.clone(), &cfg, BUDGET) => {
                c.stats.execs += m.runs as u64;
                (m.dialogue, m.trace, m.verdict)
            }
            () = stop.wait() => (dialogue.clone(), trace, verdict),
            () = out_of_time => (dialogue.clone(), trace, verdict),
        }
    } else {
        (dialogue.clone(), trace, verdict)
    };
    let dir = c.cfg.out.join("findings");
    let mut provenance = Provenance {
        seed: c.cfg.seed,
        target: &c.stats.target,
        original: dialogue,
        original_input: input,
        replayed: None,
        found_after,
        prelude,
    };
    let mut found = Finding::new(&trace, &verdict, &provenance, &dir);
    let time_remains = c.time_left().is_none_or(|left| !left.is_zero());
    if target_ok && !c.stop.is_set() && time_remains {
        let replayed = replays(c, &found).await;
        provenance.replayed = Some(replayed);
        // A scenario that does not fail when replayed with the full timeout is no finding a
        // server author should be sent to: it goes apart, where `ftpspec run DIR/findings`
        // does not pick it up.
        let dir = match replayed {
            true => dir,
            false => c.cfg.out.join(UNCONFIRMED_DIR),
        };
        std::fs::create_dir_all(&dir)?;
        found = Finding::new(&trace, &verdict, &provenance, &dir);
    }
    found.write()?;
    let label = match provenance.replayed {
        Some(false) => "unconfirmed finding (did not fail on replay)",
        _ => "finding",
    };
    c.progress.println(&format!(
        "{label}: {} — {} → {} (after {} dialogues)",
        verdict.oracle.name(),
        verdict.detail,
        found.path.display(),
        found_after.0
    ));
    c.reported.push(Reported {
        id: found.scenario.id.clone(),
        oracle: verdict.oracle,
        signature: verdict.signature,
        detail: verdict.detail,
        path: found.path,
        ops: small.ops.len(),
        replayed: provenance.replayed,
        found_after: found_after.0,
        variants: 0,
    });
    c.refresh()
}

/// Runs the finding's scenario once through the runner: does it fail (or warn, for a
/// SHOULD) as `ftpspec run` will show it — at its last step, where the oracle fired? A replay
/// that fails earlier took another path: it waited for a reply the dialogue had and this run
/// did not get (vsftpd's second `500 OOPS` after a PASV, when this time a passive port was
/// free and PASV got one `227`), which says nothing about the finding.
async fn replays(c: &Campaign, found: &Finding) -> bool {
    let mut target = c.cfg.exec.target.clone();
    target.addrs = vec![c.cfg.exec.addr];
    let mut config = RunConfig::new(target);
    // Over TLS as the campaign: the scenario `needs tls`.
    config.tls = c.cfg.exec.tls.clone();
    // A refused login may be answered seconds late on purpose: the replay gives it as long as
    // the campaign did.
    config.step_timeout = c
        .cfg
        .exec
        .timeout
        .max(crate::fuzz::exec::reader::LOGIN_WAIT);
    config.scenario_timeout = c.cfg.exec.timeout * 64;
    let outcome = runner::run_one(&found.scenario, &config).await;
    crate::fuzz::judge::scenario::failed_where_found(&found.scenario, &outcome)
}
