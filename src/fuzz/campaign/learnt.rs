//! What a campaign learnt about its target's habits, kept in the folder (`learnt.json`) for
//! the next campaign against the same server.
//!
//! Some lessons cost seconds each: that a server delays its replies to refused logins is
//! learnt by waiting for one (pyftpdlib 2.2.0: 3 s), and until it is learnt every fuzzed login
//! line is waited for up to the login wait. A campaign resumed after a restart (kill -9, a
//! reboot, tomorrow night) paid for them again — against pyftpdlib, one job, a third of its
//! first half-minute. The lessons are tied to the server by its greeting: a folder pointed at
//! another server (another greeting) starts from nothing, as a server's port may change
//! between runs while its greeting does not.

use crate::fuzz::campaign::corpus::write_file;
use crate::fuzz::exec::latency::Learnt;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The file, in the campaign folder.
pub const LEARNT_FILE: &str = "learnt.json";

/// `learnt.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LearntFile {
    version: u32,
    /// The target's greeting (the last line of its 220), as the campaign that learnt saw it.
    greeting: String,
    latency: Learnt,
}

const VERSION: u32 = 1;

/// What an earlier campaign learnt about the server that greets with `greeting`; `None` when
/// the folder holds nothing for it (no file, another server, a file that does not parse).
pub fn load(dir: &Path, greeting: &str) -> Option<Learnt> {
    let text = std::fs::read_to_string(dir.join(LEARNT_FILE)).ok()?;
    let file: LearntFile = serde_json::from_str(&text).ok()?;
    (file.version == VERSION && file.greeting == greeting).then_some(file.latency)
}

/// Keeps what was learnt about the server that greets with `greeting` (through a temporary
/// file and a rename, as `stats.json`).
pub fn save(dir: &Path, greeting: &str, latency: &Learnt) -> std::io::Result<()> {
    let file = LearntFile {
        version: VERSION,
        greeting: greeting.to_string(),
        latency: *latency,
    };
    let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    write_file(&dir.join(LEARNT_FILE), &json, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lessons_come_back_only_for_the_server_that_taught_them() {
        let dir = std::env::temp_dir().join(format!("ftpspec-learnt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pyftpdlib = "pyftpdlib 2.2.0 ready.";
        assert_eq!(load(&dir, pyftpdlib), None, "nothing learnt yet");
        let learnt = Learnt {
            srtt_us: 600,
            rttvar_us: 150,
            delays_logins: true,
            extra_replies: true,
            final_after_1xx: false,
        };
        save(&dir, pyftpdlib, &learnt).unwrap();
        assert_eq!(load(&dir, pyftpdlib), Some(learnt));
        assert_eq!(load(&dir, "(vsFTPd 3.0.3)"), None, "another server");
        std::fs::write(dir.join(LEARNT_FILE), "{\"version\": 1").unwrap();
        assert_eq!(load(&dir, pyftpdlib), None, "a torn file");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
