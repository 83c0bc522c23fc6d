//! Watching the target's process (`--watch-pid`, Linux): what the wire cannot show.
//!
//! A server can answer every command of a campaign correctly and still be left burning a CPU or
//! holding descriptors once the sessions are gone: pyftpdlib 2.2.0 spins for good on a data
//! socket after one short anonymous session (interop/README.md). With `--watch-pid`, before the
//! first dialogue and after the last — no session of ftpspec's open — the campaign samples the
//! process's CPU time and open descriptors from `/proc`, and the summary says whether the
//! campaign left it busier than it found it. No reproducer comes with it (the dialogue that did
//! it is one of thousands), so it is a warning, not a finding.

use serde::Serialize;
use std::io;
use std::time::Duration;

/// CPU time in `/proc/PID/stat` counts clock ticks of `USER_HZ`, which is 100 on Linux
/// (proc(5)).
const TICKS_PER_SEC: f64 = 100.0;

/// How long a sample of idle CPU lasts.
pub const SAMPLE: Duration = Duration::from_secs(1);
/// How long the target gets to close the campaign's sessions before the last sample.
pub const SETTLE: Duration = Duration::from_secs(1);

/// Idle CPU above this (percent of one CPU) after the campaign, and this much above what it
/// was before, is a warning.
const BUSY_PERCENT: f64 = 20.0;
/// More open descriptors after the campaign than before, by this many, is a warning.
const FD_GROWTH: usize = 8;

/// The target process with no session of ours open.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Idle {
    /// Percent of one CPU used during the sample.
    pub cpu_percent: f64,
    /// Open file descriptors (sockets, files).
    pub fds: usize,
}

/// Before and after a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Watched {
    pub pid: u32,
    pub before: Idle,
    pub after: Option<Idle>,
}

impl Watched {
    /// What looks wrong, in one line each (nothing when the campaign left it as it found it).
    pub fn warnings(&self) -> Vec<String> {
        let Some(after) = self.after else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if after.cpu_percent >= BUSY_PERCENT
            && after.cpu_percent >= self.before.cpu_percent + BUSY_PERCENT
        {
            out.push(format!(
                "process {} uses {:.0}% of a CPU with no session open (before the campaign: {:.0}%): \
                 something in the campaign left it busy, e.g. spinning on a dead socket",
                self.pid, after.cpu_percent, self.before.cpu_percent
            ));
        }
        if after.fds >= self.before.fds + FD_GROWTH {
            out.push(format!(
                "process {} holds {} open descriptors with no session open (before the campaign: {}): \
                 something in the campaign leaked them",
                self.pid, after.fds, self.before.fds
            ));
        }
        out
    }
}

/// CPU ticks (user + system) from the text of `/proc/PID/stat`. The command name (field 2) is
/// in parentheses and may itself contain spaces and parentheses, so fields are counted from
/// the last `)`.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU ticks and open descriptors of `pid` now.
fn sample(pid: u32) -> io::Result<(u64, usize)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = cpu_ticks(&stat).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("/proc/{pid}/stat has no CPU times"),
        )
    })?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))?.count();
    Ok((ticks, fds))
}

/// Checks that `pid` can be watched (it exists, and this is Linux with `/proc`).
pub fn check(pid: u32) -> Result<(), String> {
    sample(pid)
        .map(|_| ())
        .map_err(|e| format!("--watch-pid {pid}: cannot read /proc/{pid} ({e}); it needs Linux and a running process this user may inspect"))
}

/// The process's CPU use over [`SAMPLE`], after waiting `settle`.
pub async fn idle(pid: u32, settle: Duration) -> io::Result<Idle> {
    tokio::time::sleep(settle).await;
    let (t0, _) = sample(pid)?;
    let start = std::time::Instant::now();
    tokio::time::sleep(SAMPLE).await;
    let (t1, fds) = sample(pid)?;
    let secs = start.elapsed().as_secs_f64().max(0.001);
    let cpu_percent = t1.saturating_sub(t0) as f64 / TICKS_PER_SEC / secs * 100.0;
    Ok(Idle { cpu_percent, fds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_counts_fields_after_the_last_parenthesis() {
        let stat = "4242 (odd (name) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 1 0";
        assert_eq!(cpu_ticks(stat), Some(281));
        assert_eq!(cpu_ticks("4242 (cut) S 1 2"), None);
        assert_eq!(cpu_ticks("no parenthesis"), None);
    }

    fn idle(cpu_percent: f64, fds: usize) -> Idle {
        Idle { cpu_percent, fds }
    }

    #[test]
    fn warnings_need_a_change_from_before() {
        let w = |before, after| Watched {
            pid: 7,
            before,
            after: Some(after),
        };
        assert!(w(idle(0.0, 9), idle(0.0, 9)).warnings().is_empty());
        assert!(w(idle(0.0, 9), idle(93.0, 9)).warnings()[0].contains("93% of a CPU"));
        // Busy before and after alike: the campaign did not do it.
        assert!(w(idle(90.0, 9), idle(93.0, 9)).warnings().is_empty());
        assert!(w(idle(0.0, 9), idle(0.0, 40)).warnings()[0].contains("40 open descriptors"));
        let unfinished = Watched {
            pid: 7,
            before: idle(0.0, 9),
            after: None,
        };
        assert!(unfinished.warnings().is_empty());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_busy_process_and_an_idle_one() {
        // A counting loop (bounded: it ends by itself) and a sleep; both killed once measured.
        let mut busy = std::process::Command::new("sh")
            .args([
                "-c",
                "i=0; while [ \"$i\" -lt 50000000 ]; do i=$((i+1)); done",
            ])
            .spawn()
            .expect("spawn a busy loop");
        let mut quiet = std::process::Command::new("sleep")
            .arg("20")
            .spawn()
            .expect("spawn sleep");
        let (b, q) = tokio::join!(
            super::idle(busy.id(), Duration::ZERO),
            super::idle(quiet.id(), Duration::ZERO)
        );
        let _ = busy.kill();
        let _ = quiet.kill();
        let _ = busy.wait();
        let _ = quiet.wait();
        // Loose bounds: the machine may be busy with other tests (a sleep uses ~0%).
        assert!(b.unwrap().cpu_percent > 15.0, "a busy loop looks idle");
        assert!(q.unwrap().cpu_percent < 5.0, "sleep looks busy");
        assert!(check(u32::MAX).is_err());
    }
}
