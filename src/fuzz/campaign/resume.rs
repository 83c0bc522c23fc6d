//! Resuming a campaign in a folder an earlier one used: was that one stopped cleanly, what
//! coverage had it reached, and which findings does the folder hold already.
//!
//! A campaign killed with `kill -9` leaves `stats.json` saying `running`: the next one says so
//! instead of silently overwriting it. Its coverage (`coverage.bin`) is loaded, so the states
//! count goes on from where it was; its findings are listed in the final summary beside the
//! new ones.

use crate::fuzz::campaign::feedback::Coverage;
use crate::fuzz::campaign::report::Reported;
use std::path::{Path, PathBuf};

/// The state an earlier campaign's `stats.json` was left in, if that campaign did not end
/// (`running`, `target-unavailable`): it was killed.
pub fn unclean_stop(stats: &Path) -> Option<String> {
    let text = std::fs::read_to_string(stats).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let state = json.get("state")?.as_str()?;
    matches!(state, "running" | "target-unavailable").then(|| state.to_string())
}

/// The coverage an earlier campaign saved; empty when there is none or it does not parse.
pub fn load_coverage(path: &Path) -> Coverage {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| Coverage::from_bytes(&bytes))
        .unwrap_or_default()
}

/// A finding an earlier campaign wrote into this folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    pub path: PathBuf,
    /// Its "What happened" line.
    pub detail: String,
}

/// The findings in `dir` that this campaign did not write, sorted by file name.
pub fn earlier_findings(dir: &Path, reported: &[Reported]) -> Vec<Earlier> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<Earlier> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ftpspec"))
        .filter(|p| !reported.iter().any(|r| &r.path == p))
        .map(|path| {
            let detail = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| {
                    t.lines()
                        .find_map(|l| l.strip_prefix("# What happened: ").map(str::to_string))
                })
                .unwrap_or_default();
            Earlier { path, detail }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_campaign_is_told_from_one_that_ended() {
        let dir = std::env::temp_dir().join(format!("ftpspec-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let stats = dir.join("stats.json");
        assert_eq!(unclean_stop(&stats), None, "no earlier campaign");
        std::fs::write(&stats, r#"{"state": "running"}"#).unwrap();
        assert_eq!(unclean_stop(&stats).as_deref(), Some("running"));
        std::fs::write(&stats, r#"{"state": "done"}"#).unwrap();
        assert_eq!(unclean_stop(&stats), None);
        std::fs::write(dir.join("silence-1.ftpspec"), "# What happened: no reply\n").unwrap();
        let earlier = earlier_findings(&dir, &[]);
        assert_eq!(earlier.len(), 1);
        assert_eq!(earlier[0].detail, "no reply");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
