//! The HTML matrix as markup: hostile report strings come out as text, every verdict has its
//! cell, rows group by area, totals count, both document kinds render, and the page asks for
//! nothing outside itself. (`scripts/browser/run` checks the same page in a real browser.)

use super::columns::{Column, columns_from_value};
use super::fixture::{expectation_report, sample_report};
use super::html::render;
use super::json::to_json;
use base64::Engine as _;
use serde_json::{Value, json};

fn page(docs: &[Value]) -> String {
    let columns: Vec<Column> = docs
        .iter()
        .flat_map(|d| columns_from_value(d).unwrap())
        .collect();
    render(&columns).unwrap()
}

/// The opening tags of the cells of the row of scenario `id`, in column order.
fn cells<'p>(html: &'p str, id: &str) -> Vec<&'p str> {
    let start = html
        .find(&format!("<tr class=\"row\" data-id=\"{id}\""))
        .unwrap();
    let row = &html[start..start + html[start..].find("\n</tr>").unwrap()];
    row.split("<td ")
        .skip(1)
        .map(|td| &td[..td.find('>').unwrap()])
        .collect()
}

fn hostile_report() -> Value {
    let mut doc = to_json(&sample_report());
    doc["run"]["label"] = json!("evil\"><script>window.label=1</script>");
    doc["run"]["banner"] = json!("220 <script>window.pwned=1</script> \"&' \u{fffd}\u{fffd}");
    let s = &mut doc["scenarios"][0];
    s["title"] = json!("<img src=x onerror=alert(1)> \u{1b}[2J \u{202e}txt");
    s["transcript"][0]["text"] = json!("220 <script>window.pwned=1</script> \"&' \\xff\\xfe\\r\\n");
    s["failure"]["actual"] = json!("500 </pre></details><script>x()</script>");
    doc
}

#[test]
fn hostile_banner_and_transcript_are_text_never_markup() {
    let html = page(&[hostile_report()]);
    // Only the page's own script element, and no element a report named.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.contains("<img"));
    assert!(!html.contains("</pre></details><script>"));
    assert!(html.contains(
        "<code class=\"banner\">220 &#60;script&#62;window.pwned=1&#60;/script&#62; \
         &#34;&#38;&#39; \u{fffd}\u{fffd}</code>"
    ));
    // Transcript bytes stay in their escaped text form, HTML-escaped once more.
    assert!(html.contains(
        "&#60;script&#62;window.pwned=1&#60;/script&#62; &#34;&#38;&#39; \\xff\\xfe\\r\\n</span>"
    ));
    assert!(html.contains("evil&#34;&#62;&#60;script&#62;window.label=1"));
    // Terminal escapes and bidi overrides become visible escapes.
    assert!(html.contains("&#60;img src=x onerror=alert(1)&#62; \\x1b[2J \\u{202e}txt"));
    assert!(!html.contains('\u{1b}') && !html.contains('\u{202e}'));
}

#[test]
fn the_page_loads_nothing_and_allows_only_its_own_script() {
    let html = page(&[to_json(&sample_report())]);
    for attribute in [" src=", " href=", " action=", "url(", "@import"] {
        assert!(!html.contains(attribute), "{attribute}");
    }
    let csp_at = html
        .find("http-equiv=\"Content-Security-Policy\" content=\"")
        .unwrap();
    let csp = &html[csp_at..];
    let csp = &csp[csp.find("content=\"").unwrap() + 9..];
    let csp = &csp[..csp.find('"').unwrap()];
    assert!(csp.starts_with("default-src &#39;none&#39;;"), "{csp}");
    let script = &html[html.find("<script>").unwrap() + 8..html.find("</script>").unwrap()];
    let hash = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(hash.as_ref());
    assert!(
        csp.contains(&format!("script-src &#39;sha256-{hash}&#39;")),
        "{csp}"
    );
}

#[test]
fn every_mark_has_its_cell_and_a_missing_scenario_an_empty_one() {
    let mut plain = to_json(&sample_report());
    plain["run"]["label"] = json!("plain");
    // The second column lacks one scenario.
    let mut expected = to_json(&expectation_report());
    expected["run"]["label"] = json!("expected");
    expected["scenarios"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["id"] != "rfc2428.epsv.port-range");
    let html = page(&[plain, expected]);
    let row = |id| cells(&html, id);
    assert_eq!(
        row("rfc2428.eprt.delimiter-del"),
        [
            "class=\"cell v-fail\" data-verdict=\"FAIL\"",
            "class=\"cell v-xfail\" data-verdict=\"XFAIL\""
        ]
    );
    assert_eq!(
        row("rfc2428.eprt.ipv4-accepted"),
        [
            "class=\"cell v-pass\" data-verdict=\"PASS\"",
            "class=\"cell v-xpass\" data-verdict=\"XPASS\""
        ]
    );
    assert_eq!(
        row("rfc2428.epsv.transfer"),
        [
            "class=\"cell v-blocked\" data-verdict=\"BLOCKED\"",
            "class=\"cell v-blocked\" data-verdict=\"BLOCKED\""
        ]
    );
    assert_eq!(
        row("rfc2428.epsv.port-range"),
        [
            "class=\"cell v-warn\" data-verdict=\"WARN\"",
            "class=\"cell v-none\" data-verdict=\"—\""
        ]
    );
    assert!(html.contains("rfc2428.epsv.port-range on expected: not in this run"));
    for word in ["INFO", "SKIP", "ERROR"] {
        assert!(html.contains(&format!("data-verdict=\"{word}\"><details>")));
    }
    // A verdict is a word in the cell, not only a colour.
    assert!(html.contains("<summary><span class=\"word\">XFAIL</span>"));
    // The rows say which verdicts they hold, for the filter.
    assert!(html.contains("data-id=\"rfc2428.epsv.port-range\" data-search=\"rfc2428.epsv.port-range epsv ports come from the configured range\" data-marks=\"none warn\" data-differs=\"1\""));
}

#[test]
fn a_cell_opens_the_requirement_failure_expectation_and_transcript() {
    let html = page(&[to_json(&expectation_report())]);
    let start = html
        .find("<tr class=\"row\" data-id=\"rfc2428.eprt.delimiter-del\"")
        .unwrap();
    let row = &html[start..start + html[start..].find("\n</tr>").unwrap()];
    for part in [
        "<p class=\"requirement\">RFC2428 §2 MUST",
        "<p class=\"expectation\"><b>expectation:</b> expected FAIL (interop/expectations/x.toml:7): server answers 200 \\x1b[2J]]&#62;",
        "<dt>expected</dt><dd><code>500 501</code></dd>",
        "<dt>actual</dt><dd><code>200 ok \\x1b[2J]]&#62;</code></dd>",
        "<p class=\"cause\"><b>cause:</b> c1</p>",
        "<pre class=\"transcript\"><span class=\"t-received\">+0.000s  control &#60;  220 ready\\r\\n</span>",
        "… 3 later entries were not recorded (transcript limit)",
    ] {
        assert!(row.contains(part), "{part}\n{row}");
    }
    let blocked = html
        .find("<tr class=\"row\" data-id=\"rfc2428.epsv.transfer\"")
        .unwrap();
    let blocked = &html[blocked..];
    assert!(blocked.contains("<p class=\"requirement\">not exercised: RFC2428 §3 MUST"));
    assert!(blocked.contains("<b>tested on its own by:</b> <code>rfc959.type.image</code>"));
}

#[test]
fn rows_group_by_area_in_order() {
    let html = page(&[to_json(&sample_report())]);
    let areas: Vec<&str> = html
        .split("<tbody class=\"area\" data-area=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(
        areas,
        [
            "rfc2428.eprt",
            "rfc2428.epsv",
            "rfc2577.ports",
            "rfc959.abor",
            "rfc959.pasv",
            "rfc959.type"
        ]
    );
    let eprt = html.split("<tbody").nth(1).unwrap();
    let ids: Vec<&str> = eprt
        .split("data-id=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(
        ids,
        [
            "rfc2428.eprt.delimiter-del",
            "rfc2428.eprt.ipv4-accepted",
            "rfc2428.eprt.ipv6-accepted"
        ]
    );
    assert!(html.contains("<code title=\"rfc2428.eprt.delimiter-del\">delimiter-del</code>"));
}

#[test]
fn totals_and_run_facts_head_each_column() {
    let mut matrix = json!({"schema": "ftpspec-matrix", "version": 1,
                            "tool": {"name": "ftpspec", "version": "0.1.0"},
                            "targets": [to_json(&sample_report()), to_json(&expectation_report())]});
    matrix["targets"][1]["run"]["label"] = json!("with expectations");
    let html = page(&[matrix, to_json(&sample_report())]);
    let totals = &html[html.find("<tr class=\"totals\">").unwrap()..html.find("</thead>").unwrap()];
    let columns: Vec<&str> = totals.split("<td ").skip(1).collect();
    assert_eq!(columns.len(), 3);
    assert!(columns[0].starts_with("data-column=\"1\" data-total=\"9\""));
    let count = |column: &str, word: &str| {
        let pattern = format!("data-verdict=\"{word}\" data-count=\"");
        let at = column.find(&pattern).map(|i| &column[i + pattern.len()..]);
        at.map(|rest| rest[..rest.find('"').unwrap()].parse::<usize>().unwrap())
    };
    assert_eq!(count(columns[0], "FAIL"), Some(2));
    assert_eq!(count(columns[0], "BLOCKED"), Some(2));
    assert_eq!(count(columns[0], "XFAIL"), None);
    // XFAIL and XPASS are counted apart from their verdicts.
    assert_eq!(count(columns[1], "FAIL"), None);
    assert_eq!(count(columns[1], "XFAIL"), Some(3));
    assert_eq!(count(columns[1], "XPASS"), Some(1));
    assert_eq!(count(columns[1], "BLOCKED"), Some(1));
    assert!(
        html.contains(
            "<th scope=\"col\" class=\"col-head\" data-column=\"2\">with expectations</th>"
        )
    );
    assert!(html.contains("<dt>started</dt><dd>2025-11-26 21:51:04 UTC</dd>"));
    assert!(html.contains("<dt>preflight</dt><dd>data connections by EPSV;"));
    assert!(html.contains("9 scenarios on 3 targets"));
}

#[test]
fn no_columns_is_an_empty_matrix() {
    let html = render(&[]).unwrap();
    assert!(html.contains("0 scenarios on 0 targets"));
    assert!(!html.contains("<tr class=\"row\""));
}
