//! Embeds the scenario files of `suites/` in the binary, so `ftpspec run` works from any
//! directory with the suites it was built with (`--suite DIR` reads files instead).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "ftpspec") {
            out.push(path);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=suites");
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("suites"), &mut files);
    files.sort();
    let mut code = String::from(
        "/// `(path relative to the crate, contents)` of every embedded scenario file.\n",
    );
    code.push_str("pub static EMBEDDED: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file.strip_prefix(&root).expect("collected under the root");
        // The path is resolved when the library compiles, relative to the crate, not baked in
        // as this checkout's absolute path: a moved or copied tree still embeds its own files.
        let rel = rel.display().to_string();
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/\", {rel:?}))),"
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_suites.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
