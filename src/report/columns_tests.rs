//! Reading reports and matrix documents into columns: the writer's own output reads back,
//! both kinds of document flatten to columns, and anything else is a typed error.

use super::columns::{Column, Mark, ReadError, columns_from_value, parse};
use super::fixture::{expectation_report, sample_report};
use super::json::to_json;
use crate::runner::Verdict;
use serde_json::{Value, json};

fn one(doc: &Value) -> Column {
    let mut columns = columns_from_value(doc).unwrap();
    assert_eq!(columns.len(), 1);
    columns.remove(0)
}

fn matrix(targets: Vec<Value>) -> Value {
    json!({"schema": "ftpspec-matrix", "version": 1,
           "tool": {"name": "ftpspec", "version": "0.2.0"}, "targets": targets})
}

fn labelled(label: &str) -> Value {
    let mut doc = to_json(&sample_report());
    doc["run"]["label"] = json!(label);
    doc
}

#[test]
fn a_report_written_by_json_reads_back_as_one_column() {
    let column = one(&to_json(&sample_report()));
    // No `run.label` in this report: the target names the column.
    assert_eq!(column.label, "ftp://anonymous@127.0.0.1:40123");
    assert_eq!(column.tool_version, "0.1.0");
    assert_eq!(column.run.started_unix, Some(1_764_193_864));
    assert_eq!(
        column.run.banner.as_deref(),
        Some("220 ftpspec reference server ready")
    );
    assert!(column.run.preflight.is_some());
    assert_eq!(column.scenarios.len(), 9);
    let fail = &column.scenarios[0];
    assert_eq!(fail.id, "rfc2428.eprt.delimiter-del");
    assert_eq!(fail.area(), "rfc2428.eprt");
    assert_eq!(fail.mark(), Mark::Fail);
    assert_eq!(fail.spec.level, "MUST");
    let failure = fail.failure.as_ref().unwrap();
    assert_eq!(failure.actual, "200 ok \u{1b}[2J]]>");
    // Transcript bytes stay in the writer's escaped text form.
    assert_eq!(
        fail.transcript[3].text,
        "200 ok \\x00\\x1b[2J]]>\\xff\\r\\n"
    );
    assert_eq!(fail.transcript[3].direction, "received");
    assert_eq!(fail.transcript_dropped, 3);
}

#[test]
fn the_bytes_parse_as_the_value_does() {
    let doc = to_json(&sample_report());
    let bytes = serde_json::to_vec(&doc).unwrap();
    assert_eq!(parse(&bytes).unwrap(), columns_from_value(&doc).unwrap());
}

#[test]
fn every_verdict_the_runner_writes_has_its_mark() {
    let column = one(&to_json(&sample_report()));
    let marks: Vec<Mark> = column.scenarios.iter().map(|s| s.mark()).collect();
    // The JSON verdict strings are the schema; a new runner verdict must get a mark here.
    for verdict in Verdict::ALL {
        let s = column
            .scenarios
            .iter()
            .find(|s| s.verdict == verdict.as_str())
            .unwrap();
        assert_ne!(s.mark(), Mark::Other, "{verdict:?}");
        assert_eq!(s.word(), verdict.as_str());
        assert!(marks.contains(&s.mark()));
    }
}

#[test]
fn expectations_make_xfail_and_xpass_and_a_mismatch_keeps_its_verdict() {
    let column = one(&to_json(&expectation_report()));
    let mark = |id: &str| {
        let s = column.scenarios.iter().find(|s| s.id == id).unwrap();
        (s.mark(), s.word().to_owned())
    };
    assert_eq!(
        mark("rfc2428.eprt.delimiter-del"),
        (Mark::Xfail, "XFAIL".into())
    );
    assert_eq!(
        mark("rfc2428.eprt.ipv4-accepted"),
        (Mark::Xpass, "XPASS".into())
    );
    assert_eq!(mark("rfc959.pasv.accepted"), (Mark::Xfail, "XFAIL".into()));
    assert_eq!(mark("rfc959.abor.idle"), (Mark::Error, "ERROR".into()));
}

#[test]
fn a_matrix_flattens_to_its_targets_in_order_with_their_labels() {
    let mut unlabelled = to_json(&sample_report());
    unlabelled["run"]["target"] = json!("ftp://127.0.0.1:2121");
    let columns =
        columns_from_value(&matrix(vec![labelled("vsftpd"), unlabelled, labelled("")])).unwrap();
    let labels: Vec<&str> = columns.iter().map(|c| c.label.as_str()).collect();
    // An empty label is no label: the target names the column.
    assert_eq!(
        labels,
        [
            "vsftpd",
            "ftp://127.0.0.1:2121",
            "ftp://anonymous@127.0.0.1:40123"
        ]
    );
    assert_eq!(columns[0].run.label.as_deref(), Some("vsftpd"));
    let empty = columns_from_value(&matrix(vec![])).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn unknown_fields_and_missing_optional_ones_are_fine() {
    let doc = json!({
        "schema": "ftpspec-report", "version": 2, "something_new": [1, 2],
        "run": {"target": "ftp://h:21", "later": true},
        "scenarios": [{"id": "rfc959.port.accepted", "verdict": "PASS", "new": {}},
                      {"id": "x.y.z", "verdict": "MAYBE", "area": "x.y"}]
    });
    let column = one(&doc);
    assert_eq!(column.tool_version, "");
    assert_eq!(column.run.banner, None);
    assert_eq!(column.scenarios[0].area(), "rfc959.port");
    assert_eq!(column.scenarios[0].title, "");
    // A verdict of a later version is shown as written, never taken for another.
    assert_eq!(column.scenarios[1].mark(), Mark::Other);
    assert_eq!(column.scenarios[1].word(), "MAYBE");
}

#[test]
fn other_documents_are_typed_errors() {
    let err = |bytes: &[u8]| parse(bytes).unwrap_err();
    assert!(matches!(err(b"not json"), ReadError::Json(_)));
    assert!(matches!(err(b"\"\xff\""), ReadError::Json(_)));
    assert!(matches!(err(b"{}"), ReadError::NoSchema));
    assert!(matches!(err(b"[1]"), ReadError::NoSchema));
    assert_eq!(
        err(br#"{"schema": "ftpspec-fuzz-stats"}"#).to_string(),
        "not an ftpspec report (schema \"ftpspec-fuzz-stats\", expected \"ftpspec-report\" or \
         \"ftpspec-matrix\")"
    );
    assert_eq!(
        err(br#"{"schema": "ftpspec-report", "version": 3}"#).to_string(),
        "ftpspec-report version 3 is newer than this ftpspec reads (up to 2)"
    );
    assert_eq!(
        err(br#"{"schema": "ftpspec-matrix", "version": 2, "targets": []}"#).to_string(),
        "ftpspec-matrix version 2 is newer than this ftpspec reads (up to 1)"
    );
    assert_eq!(
        err(br#"{"schema": "ftpspec-report", "version": 2, "run": {"target": "t"}}"#).to_string(),
        "report: missing field `scenarios`"
    );
    assert_eq!(
        err(br#"{"schema": "ftpspec-matrix", "version": 1}"#).to_string(),
        "matrix: missing field `targets`"
    );
}

#[test]
fn a_bad_target_in_a_matrix_is_named_by_its_index() {
    let mut broken = labelled("b");
    broken["scenarios"][0]["verdict"] = json!(7);
    let e = columns_from_value(&matrix(vec![labelled("a"), broken])).unwrap_err();
    assert!(
        matches!(e, ReadError::Shape { ref at, .. } if at == "targets[1]"),
        "{e}"
    );
    let nested = matrix(vec![matrix(vec![])]);
    let e = columns_from_value(&nested).unwrap_err().to_string();
    assert_eq!(
        e,
        "targets[0]: schema \"ftpspec-matrix\", expected \"ftpspec-report\""
    );
    let e = columns_from_value(&matrix(vec![json!(1)])).unwrap_err();
    assert!(matches!(e, ReadError::NoSchema), "{e}");
}

#[test]
fn marks_have_distinct_words_and_keys() {
    for (i, a) in Mark::ALL.iter().enumerate() {
        assert_eq!(a.key(), a.word().to_lowercase());
        assert!(!a.meaning().is_empty());
        for b in &Mark::ALL[i + 1..] {
            assert_ne!(a.word(), b.word());
        }
    }
}
