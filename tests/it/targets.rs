//! Several targets in one run (`--target` repeated, `--targets FILE`): one report with a column
//! per target, the endpoints of one server lending each other their address family, and an exit
//! code that covers them all.

use crate::support::{ftpspec, scratch, start_server, text};
use ftpspec::server::{Fault, FaultSet, ServerHandle};
use serde_json::Value;
use std::net::SocketAddr;

/// The reference server (with `faults`) on 127.0.0.1:0 and [::1]:0, kept running on its own
/// runtime while the binary runs against it.
fn server(faults: &[Fault]) -> (tokio::runtime::Runtime, ServerHandle) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let set: FaultSet = faults.iter().copied().collect();
    let handle = rt.block_on(start_server(set));
    (rt, handle)
}

fn url(addr: SocketAddr) -> String {
    format!("ftp://{addr}")
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The done-means of the issue: the IPv4 and IPv6 endpoints of one server as two `--target`s
/// give one report with both columns and no family SKIP — each column runs the scenarios that
/// need the other family on the other endpoint, and says so.
#[test]
fn ipv4_and_ipv6_endpoints_are_two_columns_without_family_skips() {
    let (_rt, handle) = server(&[]);
    let addrs = handle.local_addrs().to_vec();
    let (Some(v4), Some(v6)) = (
        addrs.iter().copied().find(SocketAddr::is_ipv4),
        addrs.iter().copied().find(SocketAddr::is_ipv6),
    ) else {
        eprintln!("note: no ::1 on this machine; the two-family run is not tried");
        return;
    };
    let dir = scratch("targets", "families");
    let json = dir.join("m.json");
    let junit = dir.join("m.xml");
    let html = dir.join("m.html");
    let out = ftpspec(&[
        "run",
        "--html",
        html.to_str().unwrap(),
        "-t",
        &format!("v4={}", url(v4)),
        "-t",
        &format!("v6={}", url(v6)),
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "rfc2428.ipv6",
        "rfc2428.eprt.ipv4-accepted",
        "rfc2428.eprt.ipv6-accepted",
        "rfc959.pasv",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("══ [1] v4: ftp://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("══ [2] v6: ftp://[::1]:"), "{stdout}");
    assert!(stdout.contains("by area: "), "{stdout}");
    let header = stdout
        .lines()
        .find(|l| l.starts_with("area "))
        .unwrap_or_default();
    assert!(
        header.contains("[1] v4") && header.contains("[2] v6"),
        "{stdout}"
    );

    let doc = read_json(&json);
    assert_eq!(doc["schema"], "ftpspec-matrix");
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    for (target, label, other) in [
        (&targets[0], "v4", "[::1]"),
        (&targets[1], "v6", "127.0.0.1"),
    ] {
        assert_eq!(target["run"]["label"], label);
        let scenarios = target["scenarios"].as_array().unwrap();
        assert!(scenarios.len() >= 6);
        for s in scenarios {
            assert_ne!(s["verdict"], "SKIP", "{label}: {s}");
            assert_eq!(s["verdict"], "PASS", "{label}: {s}");
        }
        // The scenarios of the other family ran on the other endpoint, with a note.
        let lent: Vec<&Value> = scenarios
            .iter()
            .filter(|s| {
                s["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n.as_str().unwrap().starts_with("ran on "))
            })
            .collect();
        assert!(
            !lent.is_empty(),
            "{label}: nothing ran on the other endpoint"
        );
        for s in lent {
            let note = s["notes"].to_string();
            assert!(note.contains(other), "{label}: {note}");
        }
    }
    assert_eq!(
        doc["summary"]["total"],
        targets.len() * targets[0]["scenarios"].as_array().unwrap().len()
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    let parsed = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<&str> = parsed
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(suites, ["v4", "v6"]);

    // The matrix compares with itself target by target: no regression.
    let same = ftpspec(&[
        "report",
        "--diff",
        json.to_str().unwrap(),
        json.to_str().unwrap(),
    ]);
    let said = text(&same.stdout);
    assert_eq!(same.status.code(), Some(0), "{said}{}", text(&same.stderr));
    assert!(said.contains("ftpspec report --diff [v4]: "), "{said}");
    assert!(said.ends_with("0 regressions over 2 targets\n"), "{said}");

    // The HTML matrix of the same run has both columns (the browser test reads such pages).
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..80]);
    for label in ["v4", "v6"] {
        assert!(page.contains(&format!(">{label}<")), "no column {label}");
    }
}

/// One target that fails makes the run fail, whichever column it is; labels made from equal
/// greetings are told apart.
#[test]
fn the_exit_code_covers_every_target() {
    let (_rt, clean) = server(&[]);
    let (_rt2, faulted) = server(&[Fault::EprtAnyDelimiter]);
    let out = ftpspec(&[
        "run",
        "-t",
        &url(clean.local_addrs()[0]),
        "-t",
        &url(faulted.local_addrs()[0]),
        "rfc2428.eprt",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let faulted_url = url(faulted.local_addrs()[0]);
    assert!(
        stdout.contains(&format!(
            "══ [2] ftpspec reference server ready ({faulted_url}): {faulted_url}"
        )),
        "{stdout}"
    );
    let all = stdout.lines().last().unwrap();
    assert!(all.starts_with("all "), "{stdout}");
    assert!(
        all.contains(" F"),
        "the failing column shows its failures: {all}"
    );
}

/// A target file: labels, per-target expectation files (the faulted server's known deviation
/// is XFAIL there, and the run passes), and errors that name the file and line.
#[test]
fn a_target_file_gives_labels_and_expectations_and_names_its_errors() {
    let (_rt, clean) = server(&[]);
    let (_rt2, faulted) = server(&[Fault::EprtAnyDelimiter]);
    let dir = scratch("targets", "file");
    std::fs::write(
        dir.join("eprt.toml"),
        "[[deviation]]\nids = [\"rfc2428.eprt.delimiter-{del,high,nul,space,tab}\"]\n\
         verdict = \"FAIL\"\nreason = \"accepts any delimiter\"\n",
    )
    .unwrap();
    let file = dir.join("targets.toml");
    std::fs::write(
        &file,
        format!(
            "[[target]]\nlabel = \"clean\"\nurl = \"{}\"\n\n[[target]]\nlabel = \"faulted\"\n\
             url = \"{}\"\nexpect = [\"eprt.toml\"]\n",
            url(clean.local_addrs()[0]),
            url(faulted.local_addrs()[0])
        ),
    )
    .unwrap();
    let json = dir.join("m.json");
    let out = ftpspec(&[
        "run",
        "--targets",
        file.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "rfc2428.eprt",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let doc = read_json(&json);
    assert_eq!(doc["targets"][0]["run"]["label"], "clean");
    assert_eq!(doc["targets"][1]["run"]["label"], "faulted");
    assert_eq!(doc["targets"][0]["summary"]["expected"], 0);
    assert_eq!(doc["targets"][1]["summary"]["expected"], 5);
    assert!(stdout.contains("expected (XFAIL)"), "{stdout}");

    std::fs::write(
        &file,
        "[[target]]\nurl = \"ftp://127.0.0.1:1\"\nport = 21\n",
    )
    .unwrap();
    let bad = ftpspec(&["run", "--targets", file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = text(&bad.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("targets.toml:"), "{stderr}");
    assert!(stderr.contains("port"), "{stderr}");
}

/// A target that does not answer stops the run before anything runs: exit 2, one line naming it.
#[test]
fn an_unreachable_second_target_is_exit_2_with_one_line() {
    let (_rt, clean) = server(&[]);
    let out = ftpspec(&[
        "run",
        "-t",
        &url(clean.local_addrs()[0]),
        "-t",
        "down=ftp://127.0.0.1:1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot reach ftp://127.0.0.1:1"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty(), "nothing ran");
}
