//! The corpus: inputs that reached new states, kept in memory and on disk under
//! `--out DIR/corpus/`, one file per input named after its hash, so a later campaign with the
//! same `--out` resumes from them.
//!
//! Bounded: at most `max` entries (10 000 by default). When full, the least useful entry goes —
//! the one that found the fewest new transitions, and of those the one picked most often.
//!
//! With a directory, the first [`RESIDENT_BUDGET`] bytes of inputs are held in memory and the
//! rest only in their files, read when picked, as AFL reads its queue: the corpus grows with
//! the states a campaign finds, and RSS must not grow with it (held in memory, it followed the corpus
//! at ~600 bytes an entry). The budget spares small corpora — a focused campaign's handful of
//! inputs, picked thousands of times a second — a file read per pick; the page cache keeps a
//! busy corpus's files in memory anyway, outside the process.

use crate::fuzz::input::dialogue::MAX_INPUT;
use crate::fuzz::input::mutate::Rng;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

/// Default bound on entries.
pub const MAX_CORPUS: usize = 10_000;
/// Input bytes held in memory when the corpus has a directory (about 800 typical inputs).
pub const RESIDENT_BUDGET: usize = 256 * 1024;

/// FNV-1a, 64 bits: a stable name for an input (file names must not change between versions).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[derive(Debug, Clone)]
struct Entry {
    /// The input, when held in memory (always without a directory; within
    /// [`RESIDENT_BUDGET`] with one); else it lives in its file only.
    bytes: Option<Vec<u8>>,
    hash: u64,
    /// New transitions it found (+1, so every entry has a chance).
    score: u32,
    picks: u32,
}

/// Inputs worth mutating.
#[derive(Debug)]
pub struct Corpus {
    dir: Option<PathBuf>,
    entries: Vec<Entry>,
    hashes: HashSet<u64>,
    max: usize,
    /// Bytes of the entries held in memory.
    resident: usize,
}

impl Corpus {
    /// An in-memory corpus (nothing written).
    pub fn in_memory(max: usize) -> Corpus {
        Corpus {
            dir: None,
            entries: Vec::new(),
            hashes: HashSet::new(),
            max: max.max(1),
            resident: 0,
        }
    }

    /// Opens (creating) `dir` and loads the inputs saved there, in file-name order, at most
    /// `max`. Returns the corpus; [`Corpus::len`] is the count loaded.
    pub fn open(dir: &Path, max: usize) -> io::Result<Corpus> {
        std::fs::create_dir_all(dir)?;
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "bin"))
            .collect();
        names.sort();
        let mut corpus = Corpus::in_memory(max);
        corpus.dir = Some(dir.to_path_buf());
        for path in names.into_iter().take(corpus.max) {
            let mut bytes = std::fs::read(&path)?;
            bytes.truncate(MAX_INPUT);
            let hash = fnv1a(&bytes);
            // A file put here by hand gets its canonical name, so that it can be read back.
            let canonical = dir.join(file_name(hash));
            if path != canonical {
                write_atomic(&canonical, &bytes)?;
                std::fs::remove_file(&path)?;
            }
            if corpus.hashes.insert(hash) {
                let bytes = corpus.hold(bytes);
                corpus.entries.push(Entry {
                    bytes,
                    hash,
                    score: 1,
                    picks: 0,
                });
            }
        }
        Ok(corpus)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keeps `bytes` (unless already kept), evicting the least useful entry when full, and
    /// saves it. Returns whether it was new.
    pub fn add(&mut self, bytes: &[u8], new_transitions: usize) -> io::Result<bool> {
        let hash = fnv1a(bytes);
        if self.hashes.contains(&hash) {
            return Ok(false);
        }
        if self.entries.len() >= self.max {
            self.evict()?;
        }
        if let Some(dir) = &self.dir {
            write_atomic(&dir.join(file_name(hash)), bytes)?;
        }
        self.hashes.insert(hash);
        let held = self.hold(bytes.to_vec());
        self.entries.push(Entry {
            bytes: held,
            hash,
            score: 1 + u32::try_from(new_transitions).unwrap_or(u32::MAX - 1),
            picks: 0,
        });
        Ok(true)
    }

    fn evict(&mut self) -> io::Result<()> {
        let Some(worst) = self
            .entries
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| (e.score, std::cmp::Reverse(e.picks)))
            .map(|(i, _)| i)
        else {
            return Ok(());
        };
        let gone = self.entries.swap_remove(worst);
        self.forget(&gone);
        if let Some(dir) = &self.dir {
            match std::fs::remove_file(dir.join(file_name(gone.hash))) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// An entry to mutate: the better of two random picks (a small tournament, favouring
    /// inputs that found more). `None` when the corpus is empty, or when the picked entry's
    /// file is gone (removed by hand): the entry is dropped.
    pub fn pick(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        if self.entries.is_empty() {
            return None;
        }
        let a = rng.below(self.entries.len());
        let b = rng.below(self.entries.len());
        let i = if self.entries[b].score > self.entries[a].score {
            b
        } else {
            a
        };
        let e = &mut self.entries[i];
        e.picks = e.picks.saturating_add(1);
        if let Some(bytes) = &e.bytes {
            return Some(bytes.clone());
        }
        let dir = self.dir.as_ref()?;
        match std::fs::read(dir.join(file_name(e.hash))) {
            Ok(mut bytes) => {
                bytes.truncate(MAX_INPUT);
                Some(bytes)
            }
            Err(_) => {
                let gone = self.entries.swap_remove(i);
                self.forget(&gone);
                None
            }
        }
    }

    /// `bytes`, if the corpus keeps them in memory (see [`RESIDENT_BUDGET`]).
    fn hold(&mut self, bytes: Vec<u8>) -> Option<Vec<u8>> {
        let fits = self.dir.is_none() || self.resident + bytes.len() <= RESIDENT_BUDGET;
        fits.then(|| {
            self.resident += bytes.len();
            bytes
        })
    }

    /// Drops what an entry that went had in the index and in memory.
    fn forget(&mut self, gone: &Entry) {
        self.hashes.remove(&gone.hash);
        self.resident -= gone.bytes.as_ref().map_or(0, Vec::len);
    }
}

fn file_name(hash: u64) -> String {
    format!("{hash:016x}.bin")
}

/// Writes `path` through a temporary file and a rename, so a reader (or a crash) never sees
/// half a file. With `sync`, the data and the directory entry reach the disk first.
pub fn write_file(path: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
    }
    std::fs::rename(&tmp, path)?;
    if sync && let Some(dir) = path.parent() {
        // The rename itself is durable once the directory is synced (POSIX); best effort
        // elsewhere.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_file(path, bytes, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ftpspec-corpus-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn saves_and_resumes() {
        let dir = scratch("resume");
        let mut c = Corpus::open(&dir, 10).unwrap();
        assert!(c.add(b"one", 3).unwrap());
        assert!(!c.add(b"one", 3).unwrap(), "duplicates are kept once");
        assert!(c.add(b"two", 0).unwrap());
        let again = Corpus::open(&dir, 10).unwrap();
        assert_eq!(again.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bounded_by_evicting_the_least_useful() {
        let dir = scratch("evict");
        let mut c = Corpus::open(&dir, 3).unwrap();
        c.add(b"a", 5).unwrap();
        c.add(b"b", 0).unwrap();
        c.add(b"c", 5).unwrap();
        c.add(b"d", 5).unwrap();
        assert_eq!(c.len(), 3);
        assert!(
            !c.hashes.contains(&fnv1a(b"b")),
            "the entry that found least went"
        );
        let files = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(files, 3, "its file went too");
        let mut rng = Rng::new(1);
        assert!(c.pick(&mut rng).is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn with_a_directory_the_bytes_live_in_the_files() {
        let dir = scratch("ondisk");
        std::fs::create_dir_all(&dir).unwrap();
        // A seed dropped in by hand, under a name of its own.
        std::fs::write(dir.join("seed.bin"), b"seed").unwrap();
        let mut c = Corpus::open(&dir, 10).unwrap();
        assert!(dir.join(file_name(fnv1a(b"seed"))).exists(), "renamed");
        assert_eq!(c.resident, 4, "within the budget: held");
        // Past the budget, inputs live in their files only.
        c.resident = RESIDENT_BUDGET;
        c.add(b"kept", 1).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.resident, RESIDENT_BUDGET, "not held");
        let mut rng = Rng::new(3);
        let mut seen: Vec<Vec<u8>> = (0..32).filter_map(|_| c.pick(&mut rng)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen, vec![b"kept".to_vec(), b"seed".to_vec()]);
        // A file removed behind the campaign's back: that entry is dropped when picked.
        std::fs::remove_file(dir.join(file_name(fnv1a(b"kept")))).unwrap();
        for _ in 0..32 {
            if let Some(bytes) = c.pick(&mut rng) {
                assert_eq!(bytes, b"seed");
            }
        }
        assert_eq!(c.len(), 1);
        assert_eq!(c.resident, RESIDENT_BUDGET);
        let mut mem = Corpus::in_memory(10);
        mem.add(b"held", 1).unwrap();
        assert_eq!(mem.resident, 4);
        assert_eq!(mem.pick(&mut rng).as_deref(), Some(&b"held"[..]));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
