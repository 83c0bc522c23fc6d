//! `ftpspec list`: the scenario tree, from the same IDs that `run` selects by.

use super::args::ListArgs;
use super::run_cmd::load_selection;
use std::io::Write;

pub fn list(args: ListArgs) -> Result<u8, String> {
    let scenarios = load_selection(&args.selection)?;
    if args.json {
        let rows: Vec<serde_json::Value> = scenarios
            .iter()
            .map(|s| {
                serde_json::json!({
                    "id": s.id, "title": s.title, "level": s.spec.level.to_string(), "rfc": s.spec.rfc,
                    "section": s.spec.section, "tags": s.tags, "location": s.location.to_string(),
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        return print(&format!("{text}\n"));
    }
    let width = scenarios.iter().map(|s| s.id.len()).max().unwrap_or(0);
    let mut text = String::new();
    for s in &scenarios {
        text.push_str(&format!(
            "{:width$}  {:6}  {}\n",
            s.id,
            s.spec.level.to_string(),
            s.title
        ));
    }
    print(&text)
}

/// Writes to stdout; a closed pipe (`ftpspec list | head`) is a normal end, not an error.
fn print(text: &str) -> Result<u8, String> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(0),
    }
}
