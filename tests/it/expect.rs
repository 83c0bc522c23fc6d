//! `ftpspec run --expect FILE` as CI uses it: the built-in server with a planted fault plays a
//! real server with known deviations. An expected failure is XFAIL and exit 0; an expectation
//! whose scenarios pass is XPASS and exit 1; a stale or malformed file is exit 2 before any run.

use crate::support::{ftpspec, scratch, text};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write expectation file");
    path.to_str().expect("UTF-8 temp path").to_owned()
}

/// What `--fault eprt-any-delimiter` breaks, as an expectation file would say it.
const ANY_DELIMITER: &str = r#"
server = "reference server with --fault eprt-any-delimiter"

[[deviation]]
ids = ["rfc2428.eprt.delimiter-{space,tab,nul,del,high}"]
verdict = "FAIL"
reason = "accepts any delimiter: RFC 2428 §2 \"The delimiter character MUST be one of the ASCII characters in range 33-126 inclusive.\""
"#;

#[test]
fn expected_failures_are_xfail_and_exit_0() {
    let dir = scratch("expect", "xfail");
    let expect = write(&dir, "any-delimiter.toml", ANY_DELIMITER);
    let json = dir.join("out.json");
    let out = ftpspec(&[
        "run",
        "--color",
        "never",
        "--fault",
        "eprt-any-delimiter",
        "--expect",
        &expect,
        "--json",
        json.to_str().unwrap(),
        "rfc2428.eprt",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("  XFAIL   delimiter-del "), "{stdout}");
    assert!(stdout.contains("expected FAIL ("), "{stdout}");
    assert!(stdout.contains("5 expected (XFAIL)"), "{stdout}");
    assert!(
        !stdout.contains("not passed:"),
        "nothing to recap:\n{stdout}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["summary"]["fail"], 5);
    assert_eq!(report["summary"]["expected"], 5);
    let del = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "rfc2428.eprt.delimiter-del")
        .unwrap();
    assert_eq!(del["expectation"]["status"], "expected");
    assert!(
        del["expectation"]["source"]
            .as_str()
            .unwrap()
            .ends_with("any-delimiter.toml:6")
    );
}

#[test]
fn an_expected_failure_that_passes_is_xpass_and_exit_1() {
    let dir = scratch("expect", "xpass");
    let expect = write(&dir, "any-delimiter.toml", ANY_DELIMITER);
    let junit = dir.join("junit.xml");
    let out = ftpspec(&[
        "run",
        "--color",
        "never",
        "--expect",
        &expect,
        "--junit",
        junit.to_str().unwrap(),
        "rfc2428.eprt",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("  XPASS   delimiter-del "), "{stdout}");
    assert!(stdout.contains("unexpected pass: "), "{stdout}");
    assert!(stdout.contains("5 unexpected passes (XPASS)"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("type=\"XPASS\""), "{xml}");
    assert!(
        xml.contains("unexpected pass: expectation file says FAIL"),
        "{xml}"
    );
}

#[test]
fn a_stale_entry_is_exit_2_before_the_run() {
    let dir = scratch("expect", "stale");
    let stale = format!(
        "{ANY_DELIMITER}\n[[deviation]]\nids = [\"rfc2428.eprt.renamed-*\"]\nverdict = \"FAIL\"\nreason = \"r\"\n"
    );
    let expect = write(&dir, "stale.toml", &stale);
    let out = ftpspec(&["run", "--expect", &expect]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing ran");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("stale.toml:10: deviation 2:"), "{stderr}");
    assert!(stderr.contains("rfc2428.eprt.renamed-*"), "{stderr}");
    assert!(stderr.contains("stale"), "{stderr}");
}

#[test]
fn entries_for_unselected_scenarios_are_not_stale() {
    let dir = scratch("expect", "subset");
    let expect = write(&dir, "any-delimiter.toml", ANY_DELIMITER);
    let out = ftpspec(&["run", "--expect", &expect, "rfc2428.epsv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_malformed_file_or_an_unknown_verdict_is_exit_2_naming_it() {
    let dir = scratch("expect", "malformed");
    let unknown = ANY_DELIMITER.replace("verdict = \"FAIL\"", "verdict = \"FAILED\"");
    let cases = [
        (
            "verdict.toml",
            unknown.as_str(),
            "verdict.toml:6: deviation 1: unknown verdict \"FAILED\"",
        ),
        (
            "syntax.toml",
            "[[deviation]\n",
            "syntax.toml:1: malformed expectation file",
        ),
        (
            "key.toml",
            "[[deviation]]\nid = [\"a\"]\n",
            "key.toml:2: malformed expectation file",
        ),
    ];
    for (name, contents, message) in cases {
        let expect = write(&dir, name, contents);
        let out = ftpspec(&["run", "--expect", &expect]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(message), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: nothing ran");
    }
    let missing = dir.join("missing.toml");
    let out = ftpspec(&["run", "--expect", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.toml"));
}

/// The committed expectation files of `interop/` parse and name only scenarios that exist, so a
/// renamed scenario shows up here, not only in the interop CI step.
#[test]
fn committed_expectation_files_are_valid_and_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/expectations");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("interop/expectations exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 2, "{paths:?}");
    let set = ftpspec::expectations::ExpectationSet::load(&paths).unwrap_or_else(|e| panic!("{e}"));
    let scenarios = crate::support::all_scenarios();
    set.check_stale(scenarios.iter().map(|s| s.id.as_str()))
        .unwrap_or_else(|e| panic!("{e}"));
    for file in &set.files {
        assert!(
            file.server.is_some(),
            "{}: name the server",
            file.path.display()
        );
        assert!(!file.deviations.is_empty(), "{}", file.path.display());
    }
}
