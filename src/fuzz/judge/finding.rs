//! Findings: a confirmed, minimised violation, written as a `.ftpspec` file under
//! `DIR/findings/` the moment it is confirmed — through a temporary file, fsync and a rename,
//! so a `kill -9` loses none already reported and never leaves half a file.
//!
//! Files are named `<oracle>-<signature hash>.ftpspec`; a campaign resuming with the same
//! `--out` reads those names back and does not report the same finding twice.

use crate::fuzz::campaign::corpus::{fnv1a, write_file};
use crate::fuzz::exec::trace::Trace;
use crate::fuzz::input::dialogue::Dialogue;
use crate::fuzz::judge::oracle::{Oracle, Violation};
use crate::fuzz::judge::scenario::to_scenario_after;
use crate::session::transcript::escape_bytes;
use crate::suite::Scenario;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

/// How a finding is told apart from others: its oracle and its signature's hash.
pub type FindingKey = (Oracle, u32);

/// The key of a verdict.
pub fn key(verdict: &Violation) -> FindingKey {
    key_of(verdict.oracle, &verdict.signature)
}

/// The key of a finding with this oracle and signature.
pub fn key_of(oracle: Oracle, signature: &str) -> FindingKey {
    (oracle, fnv1a(signature.as_bytes()) as u32)
}

/// One finding, ready to write.
#[derive(Debug, Clone)]
pub struct Finding {
    pub oracle: Oracle,
    pub signature: String,
    pub detail: String,
    pub scenario: Scenario,
    /// The header comment: oracle, seed, original dialogue, how to replay.
    pub comment: Vec<String>,
    /// Where it was written.
    pub path: PathBuf,
}

/// What the comment says about where a finding came from.
#[derive(Debug, Clone)]
pub struct Provenance<'a> {
    pub seed: u64,
    pub target: &'a str,
    /// The input as first found, before minimisation.
    pub original: &'a Dialogue,
    pub original_input: &'a [u8],
    /// Dialogues run and time spent before the campaign found it.
    pub found_after: (u64, std::time::Duration),
    /// How the replay check went: `Some(true)` replayed to a failure, `None` not checked.
    pub replayed: Option<bool>,
    /// Earlier dialogues the finding needs before its own (oldest first), each a session of
    /// its own in the scenario: for a target that stopped serving after them.
    pub prelude: &'a [Trace],
}

impl Finding {
    /// Builds the finding for `verdict` on the (minimised) `trace`, to live in `dir`.
    pub fn new(trace: &Trace, verdict: &Violation, p: &Provenance<'_>, dir: &Path) -> Finding {
        let (oracle, hash) = key(verdict);
        let id = format!("fuzz.{}.{hash:08x}", oracle.name());
        let title = format!("{}: {}", oracle.name(), printable(&verdict.detail, 160));
        let scenario = to_scenario_after(p.prelude, trace, verdict, id, title);
        let mut comment = vec![
            format!("Found by ftpspec fuzz. Oracle: {}.", oracle.name()),
            format!("Signature: {}", printable(&verdict.signature, 200)),
            format!("What happened: {}", printable(&verdict.detail, 300)),
            format!("Seed: {}; target: {}", p.seed, printable(p.target, 200)),
            format!(
                "Found after {} dialogues ({:.1} s into the campaign).",
                p.found_after.0,
                p.found_after.1.as_secs_f64()
            ),
            match p.replayed {
                Some(true) => "Confirmed: this scenario replayed to a failure against the target.".into(),
                Some(false) => "Unconfirmed: this scenario did not fail when replayed with the full timeout (flaky or timing-dependent); it is kept apart, under unconfirmed/.".into(),
                None => "Not replayed (the target was down or hanging when it was found).".into(),
            },
            match trace.tls {
                true => "Replay: ftpspec run --target <URL> --tls explicit|implicit <this file>   (over TLS, as found; --strict for SHOULD-level findings)".into(),
                false => "Replay: ftpspec run --target <URL> <this file>   (--strict for SHOULD-level findings)".into(),
            },
            format!(
                "Original dialogue ({} operations, before minimisation):",
                p.original.ops.len()
            ),
        ];
        if !p.prelude.is_empty() {
            comment.insert(
                comment.len() - 1,
                format!(
                    "Sessions: the {} dialogue(s) since the last one that ended cleanly come first, one session each, then the last.",
                    p.prelude.len()
                ),
            );
        }
        comment.extend(
            p.original
                .describe()
                .into_iter()
                .map(|l| format!("  {}", printable(&l, 300))),
        );
        comment.push(format!(
            "Original input ({} bytes, hex): {}",
            p.original_input.len(),
            hex(p.original_input)
        ));
        Finding {
            oracle,
            signature: verdict.signature.clone(),
            detail: verdict.detail.clone(),
            scenario,
            comment,
            path: dir.join(format!("{}-{hash:08x}.ftpspec", oracle.name())),
        }
    }

    /// The file's text: the comment, then the scenario in canonical form.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.comment {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&self.scenario.to_string());
        out
    }

    /// Writes the file durably (temporary file, fsync, rename, fsync of the directory).
    pub fn write(&self) -> io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_file(&self.path, self.text().as_bytes(), true)
    }
}

/// The keys of findings already in `dir` (from their file names).
pub fn existing(dir: &Path) -> HashSet<FindingKey> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return HashSet::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".ftpspec")?;
            let (oracle, hash) = stem.rsplit_once('-')?;
            Some((
                Oracle::from_name(oracle)?,
                u32::from_str_radix(hash, 16).ok()?,
            ))
        })
        .collect()
}

/// One line of printable text: control bytes and non-ASCII escaped, at most `max` chars.
fn printable(text: &str, max: usize) -> String {
    escape_bytes(text.as_bytes()).chars().take(max).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
