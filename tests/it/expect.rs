//! `ftpspec run --expect FILE` as CI uses it: the built-in server with a planted fault plays a
//! real server with known deviations. An expected failure is XFAIL and exit 0; an expectation
//! whose scenarios pass is XPASS and exit 1; a stale or malformed file is exit 2 before any run.
//! An entry may name a cause instead of IDs: one defect, FAIL where it is the requirement and
//! BLOCKED where it was only the setup.

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
        // A TLS file (`vsftpd-tls.toml`) is a layer over its plain server's file
        // (scripts/interop/run gives both, the TLS one first) and holds only what TLS
        // changes, which may be nothing; any other file without an entry is a mistake.
        let layer = file
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.ends_with("-tls"));
        assert!(
            layer || !file.deviations.is_empty(),
            "{}",
            file.path.display()
        );
    }
}

/// The reference server answers `TYPE X` with 504: a FAIL in the scenario that tests TYPE, and
/// BLOCKED in two that only need it as setup — one cause, three scenarios.
const TYPE_X: &str = r#"
scenario x.type.bogus "TYPE X is accepted"
  spec        RFC959 §5.3.2 MUST
  requirement "[A test scenario: TYPE X is accepted.]"
  covers      TYPE
  login
  send        TYPE X
  expect      200

scenario x.needs.one "One scenario that needs TYPE X as setup"
  spec        RFC959 §4.1.3 MUST
  requirement "[A test scenario: NOOP after TYPE X.]"
  login
  setup
    send      TYPE X
    expect    200
  end
  send        NOOP
  expect      200

scenario x.needs.two "Another scenario that needs TYPE X as setup"
  spec        RFC959 §4.1.3 MUST
  requirement "[A test scenario: NOOP after TYPE X.]"
  login
  setup
    send      TYPE X
    expect    200
  end
  send        NOOP
  expect      200
"#;

/// The FAIL by ID and cause, then everything else that defect blocks by cause alone.
const TYPE_X_EXPECTED: &str = r#"
server = "reference server, which has no TYPE X"

[[deviation]]
ids = ["x.type.bogus"]
cause = "TYPE is answered *"
verdict = "FAIL"
reason = "TYPE X is refused with 504"

[[deviation]]
cause = "TYPE is answered *"
verdict = "BLOCKED"
reason = "TYPE X is refused with 504, so these cannot run"
"#;

fn json_of(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("the JSON report")).expect("JSON")
}

#[test]
fn blocked_scenarios_are_exit_2_and_share_the_cause_of_the_failure() {
    let dir = scratch("expect", "blocked");
    let suite = write(&dir, "type.ftpspec", TYPE_X);
    let json = dir.join("out.json");
    let run = |select: &[&str]| {
        let mut args = vec!["run", "--color", "never", "--json", json.to_str().unwrap()];
        args.push(&suite);
        args.extend(select);
        ftpspec(&args)
    };
    let all = run(&[]);
    let stdout = text(&all.stdout);
    assert_eq!(all.status.code(), Some(1), "a FAIL wins: {stdout}");
    assert!(stdout.contains("  BLOCKED one "), "{stdout}");
    assert!(
        stdout.contains("  cause c1, 3 scenarios: TYPE is answered \"504 "),
        "{stdout}"
    );
    assert!(stdout.contains("(3 not passed, from 1 cause)"), "{stdout}");
    let report = json_of(&json);
    assert_eq!(report["version"], 2);
    assert_eq!(report["summary"]["blocked"], 2);
    assert_eq!(
        report["causes"][0]["scenarios"].as_array().unwrap().len(),
        3
    );
    assert_eq!(report["causes"][0]["first"], "x.type.bogus");
    assert_eq!(report["causes"][0]["verdict"], "FAIL");
    let one = &report["scenarios"][0];
    assert_eq!(one["verdict"], "BLOCKED");
    assert_eq!(one["cause"], "c1");
    assert_eq!(one["covered_by"], "x.type.bogus");
    assert_eq!(one["failure"]["command"], "TYPE");

    let blocked = run(&["x.needs"]);
    assert_eq!(
        blocked.status.code(),
        Some(2),
        "BLOCKED alone counts like ERROR: {}",
        text(&blocked.stdout)
    );
}

#[test]
fn a_cause_entry_expects_the_defect_wherever_it_shows() {
    let dir = scratch("expect", "cause");
    let suite = write(&dir, "type.ftpspec", TYPE_X);
    let expect = write(&dir, "type.toml", TYPE_X_EXPECTED);
    let json = dir.join("out.json");
    let junit = dir.join("junit.xml");
    let out = ftpspec(&[
        "run",
        "--color",
        "never",
        "--expect",
        &expect,
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        &suite,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("3 expected (XFAIL)"), "{stdout}");
    assert!(stdout.contains("  XFAIL   one "), "{stdout}");
    assert!(!stdout.contains("not passed:"), "{stdout}");
    let report = json_of(&json);
    let expectations: Vec<(&str, &str, &str)> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap(),
                s["expectation"]["status"].as_str().unwrap(),
                s["expectation"]["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        expectations,
        [
            ("x.needs.one", "expected", "BLOCKED"),
            ("x.needs.two", "expected", "BLOCKED"),
            ("x.type.bogus", "expected", "FAIL"),
        ]
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(!xml.contains("<error"), "every one expected: {xml}");
}

#[test]
fn a_cause_that_did_not_show_is_no_xpass_but_ids_are() {
    let dir = scratch("expect", "cause-fixed");
    // The server without the fault accepts every legal EPRT delimiter: the defect is gone.
    let by_cause = r#"
[[deviation]]
cause = "EPRT is answered \"200*"
verdict = "FAIL"
reason = "accepts any delimiter"
"#;
    let by_both = format!(
        "{by_cause}\n[[deviation]]\nids = [\"rfc2428.eprt.delimiter-del\"]\n\
         cause = \"EPRT is answered *\"\nverdict = \"FAIL\"\nreason = \"r\"\n"
    );
    let cause_only = write(&dir, "cause.toml", by_cause);
    let out = ftpspec(&["run", "--expect", &cause_only, "rfc2428.eprt"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let both = write(&dir, "both.toml", &by_both);
    let out = ftpspec(&["run", "--expect", &both, "rfc2428.eprt"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("1 unexpected pass (XPASS)"), "{stdout}");
    // With the fault, the cause shows and both entries are about it.
    let out = ftpspec(&[
        "run",
        "--fault",
        "eprt-any-delimiter",
        "--expect",
        &cause_only,
        "rfc2428.eprt",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("5 expected (XFAIL)"), "{stdout}");
}

/// After the run, a `cause` that matched no outcome is named (for a warning), with its file,
/// line and entry; one that matched is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cause_that_matched_nothing_is_named_after_a_real_run() {
    let scenarios = ftpspec::suite::parse_str(TYPE_X, Path::new("type.ftpspec")).unwrap();
    let handle = crate::support::start_server(Default::default()).await;
    let config = crate::support::config_for(&handle);
    let report = ftpspec::runner::run(scenarios, std::sync::Arc::new(config), None, |_| {}).await;
    handle.shutdown().await;
    let stale = format!(
        "{TYPE_X_EXPECTED}\n[[deviation]]\ncause = \"EPSV is answered *\"\nverdict = \"FAIL\"\n\
         reason = \"r\"\n"
    );
    let file = ftpspec::expectations::ExpectationFile::parse(&stale, Path::new("t.toml")).unwrap();
    let set = ftpspec::expectations::ExpectationSet { files: vec![file] };
    let unmatched = set.unmatched_causes(&report);
    let named: Vec<String> = unmatched.iter().map(ToString::to_string).collect();
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(
        named[0].starts_with("t.toml:16: deviation 3: cause \"EPSV is answered *\" matched no"),
        "{named:?}"
    );
}
