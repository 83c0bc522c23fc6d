//! Campaign statistics: what the progress line shows and what `DIR/stats.json` holds.
//!
//! `stats.json` is rewritten every few seconds through a temporary file and a rename, so a
//! monitoring script never reads half of it. Its fields:
//!
//! | field | meaning |
//! |---|---|
//! | `version` | schema version, 1 |
//! | `target` | the target as shown to people (never a password) |
//! | `seed` | the campaign's seed |
//! | `elapsed_secs` | seconds since the campaign started |
//! | `execs`, `execs_per_sec` | dialogues that reached the target: a session was greeted with 220 (minimisation runs included), and their rate |
//! | `unserved` | dialogues that got no session (connection refused, no greeting, a 421 greeting); not counted in `execs` |
//! | `commands`, `commands_per_sec` | command lines those dialogues sent (USER and PASS included, the closing QUIT not), and their rate |
//! | `corpus`, `corpus_loaded` | inputs kept now, and loaded at start from `DIR/corpus/` |
//! | `states`, `states_loaded` | distinct (previous reply code, verb, reply code) transitions seen, counting those an earlier campaign in the same folder saw (`coverage.bin`), and how many of them were loaded at start |
//! | `learnt_loaded` | the campaign started from what an earlier one in the same folder learnt about the same server (same greeting): its reply time, whether it delays refused logins, … (`learnt.json`) |
//! | `previous_unclean` | the campaign before this one in the same folder did not end cleanly (its `stats.json` still said `running`: it was killed) |
//! | `sequences` | distinct reply-code sequences seen |
//! | `findings` | distinct findings written to `DIR/findings/` this campaign (their replay failed, or they could not be replayed: crash, hang, unavailable) |
//! | `unconfirmed_findings` | findings whose scenario did not fail when replayed with the full timeout, written to `DIR/unconfirmed/` instead; they do not change the exit code |
//! | `inconclusive` | dialogues that ended in a wait on a transfer (not judged) |
//! | `local_errors` | dialogues that could not run for a local reason (no free local port: TIME_WAIT holds them all at thousands of dialogues a second); not counted in `execs` |
//! | `unconfirmed` | missing replies seen with a measured wait that came within the full `--timeout` on a rerun (not reported) |
//! | `state` | `running`; `target-unavailable` while the target serves no session and the campaign waits for it; `done`, `interrupted`, or `target-lost` (it did not come back) at the end |
//! | `unavailable` | while and after the target was unavailable: why (`greetings are "421 …"`, `logins are refused …`, `connections fail …`), and after how many dialogues |
//! | `watch` | with `--watch-pid`: `pid`, and `before`/`after` the campaign (`after` is null until it ends) the process's `cpu_percent` (of one CPU) and `fds` with no session open |

use crate::fuzz::campaign::corpus::write_file;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// Where a campaign stands, as `stats.json` spells it (kebab-case).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CampaignState {
    /// Dialogues are running.
    #[default]
    Running,
    /// The target serves no session (refused, 421 greetings, refused logins); the campaign
    /// waits for it to come back.
    TargetUnavailable,
    /// The campaign ended at its bound (`--duration`, `--execs`).
    Done,
    /// The campaign was stopped (Ctrl-C, SIGTERM).
    Interrupted,
    /// The target did not come back: the campaign gave up on it.
    TargetLost,
}

/// A snapshot of a campaign.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub version: u32,
    pub target: String,
    pub seed: u64,
    pub elapsed_secs: f64,
    pub execs: u64,
    pub execs_per_sec: f64,
    pub commands: u64,
    pub commands_per_sec: f64,
    pub corpus: usize,
    pub corpus_loaded: usize,
    pub states: usize,
    pub states_loaded: usize,
    pub sequences: usize,
    pub findings: usize,
    pub unconfirmed_findings: usize,
    pub inconclusive: u64,
    pub unserved: u64,
    pub unconfirmed: u64,
    pub local_errors: u64,
    pub state: CampaignState,
    /// The campaign before this one in the same folder did not end cleanly (killed).
    pub previous_unclean: bool,
    /// It started from what an earlier campaign learnt about the same server (`learnt`).
    pub learnt_loaded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<crate::fuzz::campaign::watch::Watched>,
    /// What the campaign stored and deleted again at the end, once it has ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<CleanupStats>,
}

/// `stats.json`'s account of the cleanup (`campaign::cleanup`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CleanupStats {
    /// Files deleted.
    pub deleted: usize,
    /// Files left on the target, each with the reason.
    pub left: Vec<LeftFile>,
}

/// A file the cleanup could not delete.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftFile {
    pub name: String,
    pub reason: String,
}

impl Stats {
    /// Updates the time-derived fields.
    pub fn tick(&mut self, elapsed: Duration) {
        self.elapsed_secs = elapsed.as_secs_f64();
        let rate = |n: u64| match self.elapsed_secs > 0.0 {
            true => n as f64 / self.elapsed_secs,
            false => 0.0,
        };
        self.execs_per_sec = rate(self.execs);
        self.commands_per_sec = rate(self.commands);
    }

    /// One line for logs: `[00:01:05] execs 1234 (19.0/s) · corpus 87 · states 112 · findings 1`,
    /// and while the target serves no session, why.
    pub fn line(&self) -> String {
        let line = format!(
            "[{}] execs {} ({:.1}/s) · corpus {} · states {} · findings {}",
            clock(self.elapsed_secs),
            self.execs,
            self.execs_per_sec,
            self.corpus,
            self.states,
            self.findings
        );
        match (&self.state, &self.unavailable) {
            (CampaignState::TargetUnavailable, Some(why)) => {
                format!("{line} · TARGET UNAVAILABLE: {why}")
            }
            _ => line,
        }
    }

    /// Writes `stats.json` atomically.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        json.push(b'\n');
        write_file(path, &json, false)
    }
}

/// `HH:MM:SS`.
pub fn clock(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// Parses a duration: a number followed by `s`, `m`, `h` or `d` (`60s`, `10m`, `8h`, `1d`), or a
/// bare number of seconds. Hand-written rather than the `humantime` crate: four suffixes do not
/// need a dependency.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 60s, 10m or 8h"))?;
    let scale = match unit {
        "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}; use s, m, h or d"
            ));
        }
    };
    let secs = value * scale;
    if !(secs.is_finite() && secs > 0.0 && secs <= 366.0 * 86_400.0) {
        return Err(format!("{text:?} must be more than 0 and at most a year"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_people_write_them() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("8x").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn line_and_json() {
        let mut s = Stats {
            version: 1,
            execs: 100,
            corpus: 5,
            states: 7,
            state: CampaignState::Running,
            ..Stats::default()
        };
        s.tick(Duration::from_secs(65));
        assert_eq!(
            s.line(),
            "[00:01:05] execs 100 (1.5/s) · corpus 5 · states 7 · findings 0"
        );
        let json: serde_json::Value = serde_json::to_value(&s).unwrap();
        assert_eq!(json["states"], 7);
        assert_eq!(json["state"], "running");
    }
}
