//! File- and header-level parse errors: line, column and what the message says was expected.
//! Bodies start on line 4 (after [`PRELUDE`]).

use super::ast::{Action, Need};
use super::testutil::*;
use super::{parse_bytes, parse_str};
use std::path::Path;

#[test]
fn unknown_step_lists_the_steps() {
    body_err(
        "login\n  sned NOOP\n",
        5,
        3,
        "unknown step \"sned\"; expected one of: login, anonymous, send,",
    );
    body_err(
        "login\n  sned NOOP\n",
        5,
        3,
        "check-varies, run-check, starttls, skip, repeat, if, else, setup, end",
    );
}

#[test]
fn headers_must_come_before_steps() {
    body_err(
        "login\n tags x\n",
        5,
        2,
        "`tags` is a header and must come before the first step",
    );
    body_err(
        "repeat 2\n send NOOP\n end\nneeds ipv4\n",
        7,
        1,
        "must come before the first step",
    );
}

#[test]
fn spec_and_requirement_are_mandatory_and_single() {
    check(
        &err("\n  scenario a.b \"T\"\n  spec RFC959 §4 MUST\n  login\n"),
        2,
        3,
        "has no `requirement` header",
    );
    check(
        &err("scenario a.b \"T\"\n"),
        1,
        1,
        "has no `spec` or `requirement` header",
    );
    check(
        &err("scenario a.b \"T\"\n requirement \"r\"\nscenario a.c \"U\"\n"),
        1,
        1,
        "no `spec`",
    );
    body_err("spec RFC1 §1 MAY\n", 4, 1, "duplicate `spec` header");
    body_err(
        "  requirement \"again\"\n",
        4,
        3,
        "duplicate `requirement` header",
    );
}

#[test]
fn spec_needs_three_tokens_and_a_known_level() {
    let src = |spec: &str| format!("scenario a.b \"T\"\nspec {spec}\nrequirement \"r\"\n");
    check(
        &err(&src("RFC2428 §2 must")),
        2,
        17,
        "expected a level (MUST, SHOULD or MAY), found \"must\"",
    );
    check(&err(&src("RFC2428 §2")), 2, 16, "expected a level");
    check(&err(&src("RFC2428")), 2, 13, "expected a section");
    check(&err(&src("")), 2, 6, "expected an RFC");
    check(
        &err(&src("RFC2428 §2 MUST extra")),
        2,
        22,
        "unexpected \"extra\"",
    );
}

#[test]
fn requirement_and_title_are_quoted_and_not_empty() {
    check(
        &err("scenario a.b \"T\"\nspec R §1 MUST\nrequirement bare\n"),
        3,
        13,
        "expected the quoted RFC sentence",
    );
    check(
        &err("scenario a.b \"T\"\nspec R §1 MUST\nrequirement \" \"\n"),
        3,
        13,
        "requirement text is empty",
    );
    check(
        &err("scenario a.b \"T\nspec R §1 MUST\n"),
        1,
        14,
        "unterminated quote",
    );
    check(
        &err("scenario a.b T\n"),
        1,
        14,
        "expected a quoted title after the ID, found \"T\"",
    );
    check(&err("scenario a.b\n"), 1, 13, "expected a quoted title");
    check(&err("scenario a.b \"\"\n"), 1, 14, "the title is empty");
    check(&err("scenario a.b \"T\" x\n"), 1, 18, "unexpected \"x\"");
    check(
        &err("scenario a.b \"T\\q\"\n"),
        1,
        16,
        r#"unknown escape "\q""#,
    );
}

#[test]
fn ids_are_dotted_lower_case_components() {
    check(
        &err("scenario single \"T\"\n"),
        1,
        10,
        "at least two dotted components",
    );
    check(
        &err("scenario a.B.c \"T\"\n"),
        1,
        12,
        "invalid ID component \"B\"",
    );
    check(
        &err("scenario a..c \"T\"\n"),
        1,
        12,
        "invalid ID component \"\"",
    );
    check(
        &err("scenario a.-c \"T\"\n"),
        1,
        12,
        "invalid ID component \"-c\"",
    );
    check(&err("scenario \n"), 1, 10, "expected a scenario ID");
}

#[test]
fn duplicate_ids_in_one_file() {
    let one = "scenario a.b \"T\"\nspec R §1 MUST\nrequirement \"r\"\n";
    check(
        &err(&format!("{one}{one}")),
        4,
        1,
        "duplicate scenario ID a.b; first defined at line 1",
    );
}

#[test]
fn tags_and_needs_are_checked() {
    body_err("tags Eprt\n", 4, 6, "invalid tag \"Eprt\"");
    body_err("tags\n", 4, 5, "expected one or more tags");
    body_err(
        "needs ipv5\n",
        4,
        7,
        "expected ipv4, ipv6, tls, auth-tls, tls-required, found \"ipv5\"",
    );
    body_err(
        "needs\n",
        4,
        6,
        "expected ipv4, ipv6, tls, auth-tls, tls-required",
    );
    body_err("needs tls ipv4 auth-tls\n", 4, 16, "exclude each other");
    body_err("needs auth-tls\nneeds tls\n", 5, 7, "exclude each other");
}

#[test]
fn starttls_needs_auth_tls() {
    body_err(
        "send AUTH TLS\nexpect 234\nstarttls\n",
        6,
        1,
        "needs auth-tls",
    );
    let s = one_with_headers(
        "needs auth-tls tls-required\n",
        "send AUTH TLS\nexpect 234\nstarttls\n",
    );
    assert_eq!(s.needs, [Need::AuthTls, Need::TlsRequired]);
    assert_eq!(s.steps[2].action, Action::StartTls);
}

#[test]
fn files_without_scenarios() {
    check(&err(""), 1, 1, "no scenario in this file");
    check(
        &err("# only a comment\n\n   \n"),
        1,
        1,
        "no scenario in this file",
    );
    check(
        &err("\n  login\n"),
        2,
        3,
        "expected `scenario <id> \"<title>\"` before \"login\"",
    );
    check(&err("\0\0\x01garbage"), 1, 1, "expected `scenario");
}

#[test]
fn invalid_utf8_is_reported_at_the_first_bad_line() {
    let bytes = b"# fine\n# ok \xc3\xa9 then \xff\xfe\n";
    let e = parse_bytes(bytes, Path::new("t.ftpspec")).unwrap_err();
    check(&e, 2, 13, "invalid UTF-8");
    assert!(parse_bytes(b"\x89PNG\r\n\x1a\n\0\0", Path::new("t.ftpspec")).is_err());
}

#[test]
fn errors_display_as_file_line_column_message() {
    let e = parse_str("\nbogus\n", Path::new("suites/x.ftpspec")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "suites/x.ftpspec:2:1: expected `scenario <id> \"<title>\"` before \"bogus\""
    );
}
