//! The in-memory file tree shared by every session: one flat root directory.
//!
//! Seeded with three files the suites rely on (`/hello.txt`, `/large.bin`, `/empty.txt`), which
//! are read-only so that concurrent scenarios can trust their contents. STOR adds files, within
//! fixed bounds: nothing a client sends can make the tree grow without limit.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// The contents of `/hello.txt`.
pub const HELLO: &[u8] = b"Hello from the ftpspec reference server.\r\n";
/// The size of `/large.bin`: 4 MiB, big enough that a transfer is still running when ABOR comes.
pub const LARGE_LEN: usize = 4 * 1024 * 1024;
/// Most bytes one upload may carry (more is refused with 552).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Most bytes the whole tree may hold (an upload beyond it is refused with 552).
pub const MAX_TREE_BYTES: usize = 64 * 1024 * 1024;
/// Most files the tree may hold (empty uploads cost no bytes, so count them too).
pub const MAX_FILES: usize = 1024;

const BUILTIN: [&str; 3] = ["hello.txt", "large.bin", "empty.txt"];

/// `/large.bin`: byte i is `(i % 251) as u8` — a prime period, so a shifted or truncated copy
/// never matches by accident.
pub fn large_pattern() -> Vec<u8> {
    (0..LARGE_LEN).map(|i| (i % 251) as u8).collect()
}

/// `/large.bin`, computed once per process: the built-in files are read-only, so every tree
/// (one per server) can share the same bytes.
fn large_file() -> Arc<[u8]> {
    static LARGE: OnceLock<Arc<[u8]>> = OnceLock::new();
    LARGE.get_or_init(|| Arc::from(large_pattern())).clone()
}

/// Why an upload was not stored. All map to `552` except [`StoreError::ReadOnly`] (`550`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The upload is larger than [`MAX_FILE_BYTES`].
    #[error("file larger than {MAX_FILE_BYTES} bytes")]
    FileTooLarge,
    /// Storing it would exceed [`MAX_TREE_BYTES`] or [`MAX_FILES`].
    #[error("file tree is full")]
    TreeFull,
    /// The name is one of the seeded files.
    #[error("built-in file is read-only")]
    ReadOnly,
}

#[derive(Debug)]
struct Files {
    map: BTreeMap<String, Arc<[u8]>>,
    total: usize,
}

/// The shared file tree. Cheap to read: contents are reference-counted, so RETR clones a pointer.
#[derive(Debug)]
pub struct Tree {
    files: Mutex<Files>,
}

impl Default for Tree {
    fn default() -> Tree {
        Tree::new()
    }
}

impl Tree {
    /// A tree holding the three seeded files.
    pub fn new() -> Tree {
        let mut map: BTreeMap<String, Arc<[u8]>> = BTreeMap::new();
        map.insert("hello.txt".into(), Arc::from(HELLO));
        map.insert("large.bin".into(), large_file());
        map.insert("empty.txt".into(), Arc::from(&b""[..]));
        let total = map.values().map(|v| v.len()).sum();
        Tree {
            files: Mutex::new(Files { map, total }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Files> {
        // A panic while holding the lock cannot leave `Files` half-updated (every update is a
        // single insert plus an addition), so a poisoned lock is still safe to use.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The contents of `name` (a key from [`file_name`]).
    pub fn get(&self, name: &str) -> Option<Arc<[u8]>> {
        self.lock().map.get(name).cloned()
    }

    /// Every file with its size, sorted by name.
    pub fn list(&self) -> Vec<(String, usize)> {
        self.lock()
            .map
            .iter()
            .map(|(k, v)| (k.clone(), v.len()))
            .collect()
    }

    /// True for the seeded, read-only files.
    pub fn is_builtin(name: &str) -> bool {
        BUILTIN.contains(&name)
    }

    /// Removes an uploaded file (DELE). The built-in files stay: `Err(ReadOnly)`; `Ok(false)`
    /// when there was no such file.
    pub fn delete(&self, name: &str) -> Result<bool, StoreError> {
        if Tree::is_builtin(name) {
            return Err(StoreError::ReadOnly);
        }
        let mut files = self.lock();
        match files.map.remove(name) {
            Some(data) => {
                files.total -= data.len();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Stores (or replaces) `name`, enforcing the bounds.
    pub fn store(&self, name: &str, data: Vec<u8>) -> Result<(), StoreError> {
        if Tree::is_builtin(name) {
            return Err(StoreError::ReadOnly);
        }
        if data.len() > MAX_FILE_BYTES {
            return Err(StoreError::FileTooLarge);
        }
        let mut files = self.lock();
        let old = files.map.get(name).map(|v| v.len());
        let total = files.total - old.unwrap_or(0) + data.len();
        let count = files.map.len() + usize::from(old.is_none());
        if total > MAX_TREE_BYTES || count > MAX_FILES {
            return Err(StoreError::TreeFull);
        }
        files.total = total;
        files.map.insert(name.to_string(), Arc::from(data));
        Ok(())
    }
}

/// The tree key for a path argument: `name` or `/name`. Refuses empty names, `.`/`..`, further
/// slashes, non-UTF-8 and control characters (the tree is one flat directory).
pub fn file_name(arg: &[u8]) -> Option<String> {
    let name = arg.strip_prefix(b"/").unwrap_or(arg);
    let name = std::str::from_utf8(name).ok()?;
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.chars().any(char::is_control);
    (!bad).then(|| name.to_string())
}

/// True when a LIST/NLST argument names the root directory (`/`, `.`, or nothing).
pub fn is_root(arg: &[u8]) -> bool {
    matches!(arg, b"" | b"/" | b"." | b"./")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_files() {
        let tree = Tree::new();
        assert_eq!(&*tree.get("hello.txt").unwrap(), HELLO);
        let large = tree.get("large.bin").unwrap();
        assert_eq!(large.len(), LARGE_LEN);
        assert_eq!(large[250], 250);
        assert_eq!(large[251], 0);
        assert_eq!(tree.get("empty.txt").unwrap().len(), 0);
        let names: Vec<String> = tree.list().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["empty.txt", "hello.txt", "large.bin"]);
    }

    #[test]
    fn store_and_replace() {
        let tree = Tree::new();
        tree.store("up.bin", vec![1, 2, 3]).unwrap();
        tree.store("up.bin", vec![4]).unwrap();
        assert_eq!(&*tree.get("up.bin").unwrap(), &[4]);
        assert_eq!(tree.store("hello.txt", vec![]), Err(StoreError::ReadOnly));
    }

    #[test]
    fn bounds() {
        let tree = Tree::new();
        let big = vec![0u8; MAX_FILE_BYTES + 1];
        assert_eq!(tree.store("big", big), Err(StoreError::FileTooLarge));
        for i in 0..3 {
            tree.store(&format!("f{i}"), vec![0u8; MAX_FILE_BYTES])
                .unwrap();
        }
        // 4 MiB seeded + 48 MiB stored: another 16 MiB would pass 64 MiB.
        let more = vec![0u8; MAX_FILE_BYTES];
        assert_eq!(tree.store("f3", more.clone()), Err(StoreError::TreeFull));
        // Replacing a file only counts the difference.
        tree.store("f0", more).unwrap();
        for i in 0..MAX_FILES {
            if tree.store(&format!("e{i}"), vec![]).is_err() {
                assert_eq!(tree.list().len(), MAX_FILES);
                return;
            }
        }
        panic!("file count not bounded");
    }

    #[test]
    fn names() {
        assert_eq!(file_name(b"hello.txt").as_deref(), Some("hello.txt"));
        assert_eq!(file_name(b"/hello.txt").as_deref(), Some("hello.txt"));
        for bad in [
            &b""[..],
            b"/",
            b"..",
            b"/.",
            b"a/b",
            b"//x",
            b"a\x01",
            b"\xff",
        ] {
            assert_eq!(file_name(bad), None, "{bad:?}");
        }
        assert!(is_root(b"/") && is_root(b"") && !is_root(b"x"));
    }
}
