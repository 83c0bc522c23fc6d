//! `ftpspec report FILE… --html OUT`: the conformance matrix from real reports, as the binary
//! writes it; the argument rules and the one-line errors (exit 2). The page itself is checked
//! in a real browser by `scripts/browser/run`.

use crate::support::{ftpspec, scratch, text};
use std::path::Path;

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Runs the EPRT scenarios against the built-in server with `faults`, writing `json`.
fn report(json: &Path, faults: &[&str]) {
    let json = path(json);
    let mut args = vec!["run", "--color", "never", "rfc2428.eprt", "--json", &json];
    for fault in faults {
        args.extend(["--fault", fault]);
    }
    let out = ftpspec(&args);
    let expected = if faults.is_empty() { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected), "{}", text(&out.stdout));
}

#[test]
fn report_html_lays_out_reports_and_matrix_documents_in_order() {
    let dir = scratch("report-html", "matrix");
    let (clean, faulted) = (dir.join("clean.json"), dir.join("faulted.json"));
    report(&clean, &[]);
    report(&faulted, &["eprt-any-delimiter"]);
    // A multi-target document, as `ftpspec run` with several targets writes it.
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let mut labelled = read(&faulted);
    labelled["run"]["label"] = serde_json::json!("faulty <server>");
    let matrix = serde_json::json!({"schema": "ftpspec-matrix", "version": 1,
        "tool": {"name": "ftpspec", "version": "0.1.0"}, "targets": [read(&clean), labelled]});
    let matrix_path = dir.join("matrix.json");
    std::fs::write(&matrix_path, serde_json::to_vec(&matrix).unwrap()).unwrap();

    let page = dir.join("out").join("m.html");
    let out = ftpspec(&[
        "report",
        &path(&clean),
        &path(&matrix_path),
        "--html",
        &path(&page),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("ftpspec report --html: 3 targets, 33 scenarios → "),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let heads: Vec<&str> = html
        .split("<th scope=\"col\" class=\"col-head\" data-column=\"")
        .skip(1)
        .map(|h| &h[h.find('>').unwrap() + 1..h.find("</th>").unwrap()])
        .collect();
    assert_eq!(heads.len(), 3);
    assert!(
        heads[0].starts_with("built-in reference server ("),
        "{heads:?}"
    );
    assert_eq!(heads[2], "faulty &#60;server&#62;");
    assert_eq!(html.matches("<tr class=\"row\"").count(), 33);
    let row = html
        .split("<tr class=\"row\" data-id=\"rfc2428.eprt.delimiter-del\"")
        .nth(1)
        .unwrap();
    let delimiter_del = &row[..row.find("\n</tr>").unwrap()];
    let cells: Vec<&str> = delimiter_del
        .split("<td class=\"cell ")
        .skip(1)
        .map(|c| &c[..c.find('"').unwrap()])
        .collect();
    assert_eq!(cells, ["v-pass", "v-pass", "v-fail"]);

    // `--html -` writes the same page to standard output, and nothing else.
    let to_stdout = ftpspec(&["report", &path(&clean), &path(&matrix_path), "--html", "-"]);
    assert_eq!(to_stdout.status.code(), Some(0));
    assert_eq!(text(&to_stdout.stdout), html);
}

#[test]
fn report_html_refuses_what_is_not_a_report_with_one_line_naming_it() {
    let dir = scratch("report-html", "errors");
    let page = path(&dir.join("m.html"));
    let one_line = |args: &[&str], needle: &str| {
        let out = ftpspec(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    };
    let bogus = dir.join("bogus.json");
    std::fs::write(&bogus, br#"{"schema": "something-else"}"#).unwrap();
    one_line(
        &["report", &path(&bogus), "--html", &page],
        "bogus.json: not an ftpspec report (schema \"something-else\"",
    );
    let missing = path(&dir.join("missing.json"));
    one_line(&["report", &missing, "--html", &page], "cannot read ");
    let empty = dir.join("empty.json");
    std::fs::write(
        &empty,
        br#"{"schema": "ftpspec-matrix", "version": 1, "targets": []}"#,
    )
    .unwrap();
    one_line(&["report", &path(&empty), "--html", &page], "no target");
    assert!(!dir.join("m.html").exists(), "no page from bad input");

    // Exactly one of --diff and --html; FILEs only with --html (clap's usage error, exit 2).
    let usage = |args: &[&str]| {
        let out = ftpspec(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}");
    };
    let b = path(&bogus);
    usage(&["report"]);
    usage(&["report", &b]);
    usage(&["report", "--html", &page]);
    usage(&["report", "--diff", &b, &b, "--html", &page, &b]);
    usage(&["report", "--diff", &b, &b, &b]);
    usage(&["report", &b, "--html", &page, "--markdown", &page]);
}
