//! Loading scenario files from disk and selecting among them by ID prefix and tag.
//!
//! IDs are stable names, never positions (h2spec's renumbering test IDs are what we avoid), so
//! `ftpspec run rfc2428.eprt` means every scenario whose ID is `rfc2428.eprt` or starts with
//! `rfc2428.eprt.`.

use super::ast::{Location, Scenario};
use super::error::ParseError;
use super::parse::parse_bytes;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The extension of scenario files.
pub const EXTENSION: &str = "ftpspec";
/// Scenario files are small text; anything larger is refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Directories are walked at most this deep (a symlink loop, if one slipped past, ends here).
const MAX_DEPTH: usize = 32;

/// Why scenarios could not be loaded. Each displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A path that does not exist or cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A scenario file that does not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A directory with no `*.ftpspec` file under it.
    #[error("{}: no *.{EXTENSION} scenario files found", path.display())]
    Empty { path: PathBuf },
    /// The same ID twice: IDs name scenarios in reports and on the command line.
    #[error("duplicate scenario ID {id} at {second}; first defined at {first}")]
    Duplicate {
        id: String,
        first: Location,
        second: Location,
    },
    /// Two scenarios that both say they test a command on its own: a BLOCKED verdict must
    /// point to one.
    #[error("{command} is covered twice: by the scenario at {second}, and first at {first}")]
    DuplicateCover {
        command: String,
        first: Location,
        second: Location,
    },
}

/// Refuses a command that two scenarios `cover`.
pub(crate) fn check_covers(all: &[Scenario]) -> Result<(), LoadError> {
    let mut seen: HashMap<&str, &Location> = HashMap::new();
    for scenario in all {
        for command in &scenario.covers {
            if let Some(first) = seen.insert(command, &scenario.location) {
                return Err(LoadError::DuplicateCover {
                    command: command.clone(),
                    first: first.clone(),
                    second: scenario.location.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Loads every `*.ftpspec` under each path (a file or a directory, recursively, sorted by path).
/// A file named explicitly is loaded whatever its extension; a file reached twice is read once.
///
/// Errors: a path that does not exist, a directory with no scenario files, a parse error, a
/// duplicate ID across files (naming both locations).
pub fn load(paths: &[PathBuf]) -> Result<Vec<Scenario>, LoadError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        for file in scenario_files(path)? {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    let mut all = Vec::new();
    let mut seen: HashMap<String, Location> = HashMap::new();
    for file in files {
        for scenario in parse_bytes(&read_bounded(&file)?, &file)? {
            if let Some(first) = seen.get(&scenario.id) {
                let (id, first) = (scenario.id.clone(), first.clone());
                return Err(LoadError::Duplicate {
                    id,
                    first,
                    second: scenario.location,
                });
            }
            seen.insert(scenario.id.clone(), scenario.location.clone());
            all.push(scenario);
        }
    }
    check_covers(&all)?;
    Ok(all)
}

/// The scenario files a path names: itself if it is a file, else the `*.ftpspec` files under it.
fn scenario_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|source| io(path, source))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    walk(path, 0, &mut found)?;
    if found.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    found.sort();
    Ok(found)
}

/// Collects `*.ftpspec` files under `dir`. Symlinked directories are not followed.
fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| io(dir, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| io(dir, source))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|source| io(&path, source))?;
        if kind.is_dir() {
            walk(&path, depth + 1, found)?;
        } else if path.extension().is_some_and(|e| e == EXTENSION) {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads a file, refusing one larger than [`MAX_FILE_BYTES`].
fn read_bounded(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| io(path, source))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| io(path, source))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let msg = format!("larger than {MAX_FILE_BYTES} bytes; not a scenario file");
        return Err(io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, msg),
        ));
    }
    Ok(bytes)
}

fn io(path: &Path, source: std::io::Error) -> LoadError {
    LoadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Selects scenarios whose ID equals or starts with `prefix.` for any of `prefixes` (all when
/// empty) and that carry every tag in `tags`.
pub fn select<'a>(all: &'a [Scenario], prefixes: &[String], tags: &[String]) -> Vec<&'a Scenario> {
    all.iter()
        .filter(|s| prefixes.is_empty() || prefixes.iter().any(|p| id_matches(&s.id, p)))
        .filter(|s| tags.iter().all(|t| s.tags.contains(t)))
        .collect()
}

/// `rfc2428.eprt` matches `rfc2428.eprt` and `rfc2428.eprt.x`, not `rfc2428.eprtx.y`.
fn id_matches(id: &str, prefix: &str) -> bool {
    let prefix = prefix.strip_suffix('.').unwrap_or(prefix);
    id.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A scratch directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir =
                std::env::temp_dir().join(format!("ftpspec-suite-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.0.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn scenario(id: &str, tags: &str) -> String {
        format!(
            "scenario {id} \"T\"\n  spec RFC959 §4 MUST\n  requirement \"r\"\n  tags {tags}\n  login\n"
        )
    }

    fn ids(all: &[Scenario]) -> Vec<&str> {
        all.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn loads_directories_recursively_sorted_by_path() {
        let tmp = TempDir::new("sorted");
        tmp.write("rfc959/b.ftpspec", &scenario("rfc959.b.one", "x"));
        tmp.write(
            "rfc2428/eprt.ftpspec",
            &(scenario("rfc2428.eprt.a", "x") + &scenario("rfc2428.eprt.b", "y")),
        );
        tmp.write("rfc2428/a/deep.ftpspec", &scenario("rfc2428.deep.a", "x"));
        tmp.write("rfc2428/notes.txt", "not a scenario");
        let all = load(std::slice::from_ref(&tmp.0)).unwrap();
        assert_eq!(
            ids(&all),
            [
                "rfc2428.deep.a",
                "rfc2428.eprt.a",
                "rfc2428.eprt.b",
                "rfc959.b.one"
            ]
        );
        assert_eq!(all[2].location.line, 6);
        assert!(all[2].location.file.ends_with("rfc2428/eprt.ftpspec"));
    }

    #[test]
    fn files_are_loaded_once_and_in_argument_order() {
        let tmp = TempDir::new("order");
        let b = tmp.write("b.ftpspec", &scenario("x.b", "t"));
        let a = tmp.write("a.ftpspec", &scenario("x.a", "t"));
        let all = load(&[b.clone(), tmp.0.clone(), a]).unwrap();
        assert_eq!(ids(&all), ["x.b", "x.a"]);
    }

    #[test]
    fn duplicate_ids_across_files_name_both_locations() {
        let tmp = TempDir::new("dup");
        tmp.write("one.ftpspec", &scenario("x.same", "t"));
        tmp.write(
            "two.ftpspec",
            &format!("# header\n{}", scenario("x.same", "t")),
        );
        let e = load(std::slice::from_ref(&tmp.0)).unwrap_err();
        let LoadError::Duplicate { id, first, second } = &e else {
            panic!("{e}")
        };
        assert_eq!(id, "x.same");
        assert!(
            first.file.ends_with("one.ftpspec") && first.line == 1,
            "{first}"
        );
        assert!(
            second.file.ends_with("two.ftpspec") && second.line == 2,
            "{second}"
        );
        let text = e.to_string();
        assert!(
            text.starts_with("duplicate scenario ID x.same at ") && text.contains("two.ftpspec:2")
        );
        assert!(
            text.contains("first defined at ") && text.contains("one.ftpspec:1"),
            "{text}"
        );
        assert!(!text.contains('\n'));
    }

    #[test]
    fn errors_are_one_line_each() {
        let tmp = TempDir::new("errors");
        let missing = tmp.0.join("nope");
        let e = load(std::slice::from_ref(&missing)).unwrap_err();
        assert!(matches!(e, LoadError::Io { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("{}: ", missing.display())),
            "{e}"
        );

        let empty = tmp.0.join("empty");
        fs::create_dir_all(empty.join("sub")).unwrap();
        let e = load(std::slice::from_ref(&empty)).unwrap_err();
        assert!(matches!(e, LoadError::Empty { .. }));
        assert_eq!(
            e.to_string(),
            format!("{}: no *.ftpspec scenario files found", empty.display())
        );

        let bad = tmp.write("bad/x.ftpspec", "scenario a.b \"T\"\n  sned\n");
        let e = load(&[tmp.0.join("bad")]).unwrap_err();
        assert!(matches!(e, LoadError::Parse(_)));
        assert_eq!(
            e.to_string(),
            format!(
                "{}:2:3: unknown step \"sned\"; expected one of: {}",
                bad.display(),
                super::super::steps::keywords()
            )
        );

        let binary = tmp.0.join("bin.ftpspec");
        fs::write(&binary, b"scenario \xff\n").unwrap();
        let e = load(std::slice::from_ref(&binary)).unwrap_err();
        assert!(
            e.to_string().ends_with(
                ":1:10: invalid UTF-8 (is this a binary file?); scenario files are UTF-8 text"
            ),
            "{e}"
        );
    }

    fn owned(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn selected<'a>(all: &'a [Scenario], prefixes: &[&str], tags: &[&str]) -> Vec<&'a str> {
        select(all, &owned(prefixes), &owned(tags))
            .into_iter()
            .map(|s| s.id.as_str())
            .collect()
    }

    #[test]
    fn select_by_prefix_and_tags() {
        let src = [
            scenario("rfc2428.eprt", "a"),
            scenario("rfc2428.eprt.x", "a b"),
            scenario("rfc2428.eprtx.y", "a b"),
            scenario("rfc959.abor.idle", "b"),
        ]
        .concat();
        let all = super::super::parse_str(&src, Path::new("t")).unwrap();
        assert_eq!(selected(&all, &[], &[]).len(), 4);
        assert_eq!(
            selected(&all, &["rfc2428.eprt"], &[]),
            ["rfc2428.eprt", "rfc2428.eprt.x"]
        );
        assert_eq!(
            selected(&all, &["rfc2428.eprt."], &[]),
            ["rfc2428.eprt", "rfc2428.eprt.x"]
        );
        assert_eq!(selected(&all, &["rfc2428.eprt.x"], &[]), ["rfc2428.eprt.x"]);
        assert_eq!(
            selected(&all, &["rfc2428"], &[]),
            ["rfc2428.eprt", "rfc2428.eprt.x", "rfc2428.eprtx.y"]
        );
        assert_eq!(selected(&all, &["rfc2428.ep"], &[]), Vec::<&str>::new());
        assert_eq!(
            selected(&all, &["rfc959", "rfc2428.eprtx"], &[]),
            ["rfc2428.eprtx.y", "rfc959.abor.idle"]
        );
        assert_eq!(
            selected(&all, &[], &["b"]),
            ["rfc2428.eprt.x", "rfc2428.eprtx.y", "rfc959.abor.idle"]
        );
        assert_eq!(
            selected(&all, &[], &["a", "b"]),
            ["rfc2428.eprt.x", "rfc2428.eprtx.y"]
        );
        assert_eq!(
            selected(&all, &["rfc2428.eprt"], &["b"]),
            ["rfc2428.eprt.x"]
        );
        assert_eq!(selected(&all, &[], &["zzz"]), Vec::<&str>::new());
    }
}
