//! Findings replay on another day: every value that came from the session —
//! ftpspec's address, its listener's port, also in PORT's `h1,h2,h3,h4,p1,p2` form — is written
//! as a variable, so `ftpspec run` reproduces the finding from a fresh connection.

use crate::support::{ftpspec, scratch, text};

#[test]
fn a_port_finding_names_its_address_and_port_by_variable_and_replays() {
    let dir = scratch("fuzz", "port-vars");
    let o = dir.to_string_lossy().into_owned();
    let out = ftpspec(&[
        "fuzz",
        "--runs",
        "2000",
        "--seed",
        "2",
        "--timeout",
        "1",
        "--out",
        &o,
        "--only",
        "port",
        "--max-ops",
        "1",
        "--fault",
        "port-lax-syntax",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let findings = dir.join("findings");
    let scenarios: Vec<String> = std::fs::read_dir(&findings)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".ftpspec"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let sends: Vec<&str> = scenarios
        .iter()
        .flat_map(|s| s.lines())
        .map(str::trim_start)
        .filter(|l| l.starts_with("send") && l.contains("PORT"))
        .collect();
    assert!(
        sends.iter().any(|l| l.contains("${client.host-number}")),
        "{sends:#?}"
    );
    // The run's own address never appears as a literal: only a variable carries it.
    for line in &sends {
        assert!(!line.contains("127,0,0,1,"), "{line}");
    }
    let replay = ftpspec(&[
        "run",
        "--fault",
        "port-lax-syntax",
        &findings.to_string_lossy(),
    ]);
    assert_eq!(replay.status.code(), Some(1), "{}", text(&replay.stdout));
    let fixed = ftpspec(&["run", &findings.to_string_lossy()]);
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}
