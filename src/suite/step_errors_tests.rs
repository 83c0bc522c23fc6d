//! Every step-level parse error, one section per construct of the language (in the order of
//! `suites/README.md`): its line, its column and what the message says was expected. Most
//! sections are a table of cases; bodies start on line 4 (after [`PRELUDE`]). File- and
//! header-level errors are in `errors_tests`.

use super::testutil::*;

/// One case: the scenario body, the line and column of the error, and part of its message.
type Case = (&'static str, usize, usize, &'static str);

fn check_all(cases: &[Case]) {
    for &(body, line, column, part) in cases {
        body_err(body, line, column, part);
    }
}

/// `send`, `send-raw` and `send-long`: payloads, escapes, counts.
#[test]
fn send() {
    check_all(&[
        ("send-raw\n", 4, 9, "send-raw needs a payload"),
        ("send-raw \"\"\n", 4, 10, "send-raw needs a payload"),
        ("send \"NOOP\n", 4, 6, "unterminated quote"),
        ("send \"a\" b\n", 4, 10, "expected the end of the line"),
        (
            "send NO\\qP\n",
            4,
            8,
            r#"unknown escape "\q"; known escapes: \r \n \t \0"#,
        ),
        ("send \tA\\x4\n", 4, 8, "expected two hex digits after \\x"),
        (
            "send A\\xZZ\n",
            4,
            7,
            "expected two hex digits after \\x, found \"ZZ\"",
        ),
        ("send A\\\n", 4, 7, "lone backslash"),
        ("send PORT $5\n", 4, 11, r"write \$ for a dollar sign"),
        ("send ${client.ip\n", 4, 6, "unterminated ${"),
        ("send-long\n", 4, 10, "expected a command verb"),
        (
            "send-long NOOP\n",
            4,
            15,
            "expected a byte count from 1 to 1000000",
        ),
        ("send-long NOOP 0\n", 4, 16, "found 0"),
        ("send-long NOOP 1000001\n", 4, 16, "found 1000001"),
        ("send-long NOOP x\n", 4, 16, "found \"x\""),
        ("send-long NOOP 5 6\n", 4, 18, "unexpected \"6\""),
    ]);
}

/// `expect`: codes, binders, text checks, `close` and `silence`; nothing to expect before a send.
#[test]
fn expect() {
    check_all(&[
        (
            "login\nexpect\n",
            5,
            7,
            "expected a reply code (like 200 or 5xx) after expect",
        ),
        (
            "login\nexpect 2oo\n",
            5,
            8,
            "expected a reply code (like 200 or 5xx), found \"2oo\"",
        ),
        ("login\nexpect 600\n", 5, 8, "found \"600\""),
        ("login\nexpect 6xx\n", 5, 8, "found \"6xx\""),
        ("login\nexpect 20\n", 5, 8, "found \"20\""),
        (
            "login\nexpect 200 2o1\n",
            5,
            12,
            "or one of: as, contains, matches, close, silence; found \"2o1\"",
        ),
        ("login\nexpect as epsv\n", 5, 8, "found \"as\""),
        (
            "login\nexpect 229 as epsv as epsv\n",
            5,
            20,
            "`as` may appear only once",
        ),
        (
            "login\nexpect 229 as eps\n",
            5,
            15,
            "expected epsv, pasv or protocols after `as`, found \"eps\"",
        ),
        (
            "login\nexpect 229 as\n",
            5,
            14,
            "expected epsv, pasv or protocols",
        ),
        (
            "login\nexpect 200 as epsv\n",
            5,
            15,
            "`as epsv` parses a 229 reply, but this expect does not accept 229",
        ),
        (
            "login\nexpect 200 contains\n",
            5,
            20,
            "expected the text to look for",
        ),
        (
            "login\nexpect 200 matches \"a(b\"\n",
            5,
            22,
            "invalid regex: unclosed group",
        ),
        (
            "login\nexpect 200 matches \"é[z-a]\"\n",
            5,
            23,
            "invalid regex: invalid character class range",
        ),
        ("login\nexpect 200 matches\n", 5, 19, "expected a regex"),
        ("expect close\n", 4, 1, "expect before send"),
        ("login\nexpect close now\n", 5, 14, "unexpected \"now\""),
    ]);
}

#[test]
fn expect_before_send() {
    body_err("  expect 220\n", 4, 3, "expect before send");
    body_err(
        "listen d\nrepeat 2\n  expect 200\n  send NOOP\nend\n",
        6,
        3,
        "expect before send",
    );
    for first in ["send NOOP", "send-raw x", "login", "anonymous", "abort"] {
        one(&format!("{first}\nexpect 2xx\n"));
    }
}

/// `listen`, `accept`, `connect`, `read`, `write`, `drain` and friends: channel names, options, scope.
#[test]
fn data_channels() {
    check_all(&[
        ("listen Data\n", 4, 8, "invalid channel name \"Data\""),
        (
            "listen client\n",
            4,
            8,
            "channel name \"client\" is reserved",
        ),
        ("listen\n", 4, 7, "expected a channel name"),
        (
            "listen d at 1.2.3.4\n",
            4,
            10,
            "expected `on`, `reuse`, `privileged` or the end of the line, found \"at\"",
        ),
        (
            "listen d on\n",
            4,
            12,
            "expected an address to listen on after `on`",
        ),
        (
            "accept d\n",
            4,
            8,
            "no channel \"d\" is listening; add `listen d`",
        ),
        (
            "expect-no-connection d\n",
            4,
            22,
            "no channel \"d\" is listening",
        ),
        (
            "listen d\nread d\n",
            5,
            6,
            "channel \"d\" is never opened; add `accept d` or `connect d to …`",
        ),
        ("write d \"x\"\n", 4, 7, "is never opened"),
        ("close d\n", 4, 7, "is never opened"),
        (
            "connect d 6446\n",
            4,
            11,
            "expected `to` after the channel name, found \"6446\"",
        ),
        ("connect d to\n", 4, 13, "expected a port after `to`"),
        (
            "connect d to 1 from\n",
            4,
            20,
            "expected a local address to connect from after `from`",
        ),
        (
            "listen d reuse reuse\n",
            4,
            16,
            "expected `on`, `reuse`, `privileged` or the end of the line, found \"reuse\"",
        ),
        ("listen d on 1 on 2\n", 4, 15, "found \"on\""),
        (
            "connect d to 1 refused refused\n",
            4,
            24,
            "expected `from`, `clear`, `new-session`, `refused`, `within` or the end of the line, found \"refused\"",
        ),
        ("connect d to 1 from 1 from 2\n", 4, 23, "found \"from\""),
        ("connect d to 1 refuse\n", 4, 16, "found \"refuse\""),
        ("listen reply\n", 4, 8, "channel name \"reply\" is reserved"),
        ("expect-no-data d\n", 4, 16, "channel \"d\" is never opened"),
        ("expect-no-data\n", 4, 15, "expected a channel name"),
        ("drain d\n", 4, 7, "channel \"d\" is never opened"),
        ("expect-silence 0\n", 4, 16, "milliseconds from 1 to 60000"),
        ("expect-silence\n", 4, 15, "milliseconds"),
    ]);
}

#[test]
fn accept_binds_from_but_listen_does_not() {
    body_err(
        "listen d\nnote ${d.from.ip}\n",
        5,
        6,
        "unknown variable ${d.from.ip} (it is bound by an earlier `accept d`)",
    );
    body_err(
        "note ${d.hostport}\n",
        4,
        6,
        "(it is bound by an earlier `listen d`)",
    );
    one("listen d\nnote ${d.hostport}\naccept d\nnote ${d.from.ip} ${d.from.port}\n");
}

#[test]
fn read_write_and_other_argument() {
    let open = "listen d\naccept d\n";
    body_err(
        &format!("{open}read d equal \"x\"\n"),
        6,
        8,
        "expected equals, contains, length, save or same-as, found \"equal\"",
    );
    body_err(
        &format!("{open}read d length x\n"),
        6,
        15,
        "expected a byte count after `length`, found \"x\"",
    );
    body_err(
        &format!("{open}read d length 99999999999999999999\n"),
        6,
        15,
        "is too large",
    );
    body_err(
        &format!("{open}write d\n"),
        6,
        8,
        "expected the bytes to write",
    );
    body_err(
        &format!("{open}write d \"x\" y\n"),
        6,
        13,
        "unexpected \"y\"",
    );
    body_err(
        "abort now\n",
        4,
        7,
        "expected `urgent` or the end of the line, found \"now\"",
    );
    body_err(
        "login please\n",
        4,
        7,
        "unexpected \"please\"; expected the end of the line",
    );
}

#[test]
fn save_and_same_as() {
    let open = "listen d\naccept d\n";
    body_err(
        &format!("{open}read d same-as first\n"),
        6,
        16,
        "nothing is saved as \"first\"; add `read <channel> save first`",
    );
    body_err(
        &format!("{open}read d save\n"),
        6,
        12,
        "expected a key after `save`",
    );
    body_err(
        &format!("{open}read d save First\n"),
        6,
        13,
        "invalid name \"First\"",
    );
}

/// `setup` blocks and the `transfer` step.
#[test]
fn setup_and_transfer() {
    check_all(&[
        ("login\nsetup\nend\n", 5, 1, "empty setup"),
        ("login\nsetup\n  send NOOP\n", 5, 1, "unclosed setup"),
        ("login\nsetup now\n", 5, 7, "unexpected \"now\""),
        (
            "login\ntransfer d\n",
            5,
            10,
            "channel \"d\" is neither listening nor open",
        ),
        (
            "login\nlisten d\ntransfer d or 426\n",
            6,
            15,
            "expected `425` after `or`",
        ),
        (
            "login\nlisten d\ntransfer d to x\n",
            6,
            12,
            "expected `from`, `or` or the end",
        ),
    ]);
}

/// `disconnect`, `reconnect`, `run-check` and the `refused within` and `privileged` options.
#[test]
fn connection() {
    check_all(&[
        (
            "login\ndisconnect\nsend NOOP\n",
            6,
            1,
            "`send` after `disconnect`",
        ),
        (
            "login\ndisconnect\nexpect 200\n",
            6,
            1,
            "`expect` after `disconnect`",
        ),
        (
            "login\nrun-check reply-syntax\n",
            5,
            1,
            "must be the only step",
        ),
        (
            "run-check spelling\n",
            4,
            11,
            "expected a run check (reply-syntax)",
        ),
        ("listen d reuse privileged\n", 4, 16, "found \"privileged\""),
        (
            "login\nconnect d to 1 within 5\n",
            5,
            16,
            "found \"within\"",
        ),
        (
            "login\nconnect d to 1 refused within 0\n",
            5,
            31,
            "from 1 to 60000",
        ),
        (
            "login\nsend PASV\nexpect 227\ncheck ${reply.text} matches \"(\"\n",
            7,
            30,
            "invalid regex",
        ),
        (
            "login\nsend NOOP\nexpect 200 close close\n",
            6,
            18,
            "found \"close\"",
        ),
    ]);
}

/// `repeat`, `if reply`, `else`, `end`: balance, emptiness, depth.
#[test]
fn blocks() {
    check_all(&[
        (
            "if reply 200\nsend x\nend\n",
            4,
            1,
            "`if reply` before any reply",
        ),
        ("login\nif\n", 5, 3, "expected `reply` after `if`"),
        ("login\nif code 200\n", 5, 4, "found \"code\""),
        (
            "login\nif reply\n",
            5,
            9,
            "expected a reply code (like 200 or 5xx) after `if reply`",
        ),
        ("login\nif reply 2oo\n", 5, 10, "found \"2oo\""),
        ("login\n  if reply 200\n  end\n", 5, 3, "empty if"),
        (
            "login\nif reply 200\nelse\nsend x\nend\n",
            5,
            1,
            "empty if branch: add steps before its `else`",
        ),
        (
            "login\nif reply 200\nsend x\n  else\nend\n",
            7,
            3,
            "empty else branch",
        ),
        (
            "login\nif reply 200\nsend x\nelse\nsend y\nelse\n",
            9,
            1,
            "a second `else`",
        ),
        ("login\nelse\n", 5, 1, "`else` without an `if`"),
        (
            "login\nif reply 200\nrepeat 2\nsend x\nelse\n",
            8,
            1,
            "`else` without an `if`",
        ),
        (
            "login\nif reply 200\nsend x\nelse now\n",
            7,
            6,
            "unexpected \"now\"",
        ),
        ("login\nif reply 200\nsend x\n", 5, 1, "unclosed if"),
        (
            "login\n  end\n",
            5,
            3,
            "`end` without a `repeat`, `if` or `setup`",
        ),
    ]);
}

#[test]
fn repeat() {
    body_err(
        "repeat 0\nsend x\nend\n",
        4,
        8,
        "expected a repeat count from 1 to 10000, or ${burst}, found 0",
    );
    body_err("repeat 10001\nsend x\nend\n", 4, 8, "found 10001");
    body_err(
        "repeat x\n",
        4,
        8,
        "expected a repeat count from 1 to 10000, or ${burst}, found \"x\"",
    );
    body_err("repeat\n", 4, 7, "expected a repeat count");
    body_err(
        "login\n  repeat 2\n    send NOOP\n",
        5,
        3,
        "unclosed repeat",
    );
    body_err(
        "repeat 2\n  repeat 2\n    send NOOP\n  end\n",
        4,
        1,
        "unclosed repeat",
    );
    body_err(
        "repeat 2\n send NOOP\nscenario a.c \"U\"\n",
        4,
        1,
        "unclosed repeat",
    );
    body_err("login\n  end\n", 5, 3, "`end` without a `repeat`");
    body_err("repeat 2\nend\n", 4, 1, "empty repeat");
    body_err("repeat 2\n send x\nend now\n", 6, 5, "unexpected \"now\"");
    let deep: String = (0..=super::MAX_REPEAT_DEPTH)
        .map(|_| "repeat 2\n")
        .collect();
    body_err(&deep, 4 + super::MAX_REPEAT_DEPTH, 1, "nest at most 8 deep");
}

#[test]
fn blocks_share_one_depth_limit() {
    let mut deep = String::from("login\n");
    for i in 0..=super::MAX_REPEAT_DEPTH {
        deep.push_str(if i % 2 == 0 {
            "if reply 2xx\n"
        } else {
            "repeat 2\n"
        });
    }
    body_err(&deep, 5 + super::MAX_REPEAT_DEPTH, 1, "nest at most 8 deep");
    let mut ok = String::from("login\n");
    for i in 0..super::MAX_REPEAT_DEPTH {
        ok.push_str(if i % 2 == 0 {
            "repeat 2\n"
        } else {
            "if reply 2xx\n"
        });
    }
    ok.push_str("send NOOP\n");
    ok.push_str(&"end\n".repeat(super::MAX_REPEAT_DEPTH));
    one(&ok);
}

/// `collect`, `check` (`equals`, `differs`, `matches`) and `check-varies`.
#[test]
fn values() {
    check_all(&[
        ("collect\n", 4, 8, "expected a series name"),
        ("collect Ports 1\n", 4, 9, "invalid name \"Ports\""),
        ("collect ports\n", 4, 14, "expected a value to collect"),
        (
            "collect ports ${epsv.port}\n",
            4,
            15,
            "unknown variable ${epsv.port}",
        ),
        ("check\n", 4, 6, "expected a value to check"),
        (
            "check a\n",
            4,
            8,
            "expected `equals`, `differs` or `matches` after the value",
        ),
        (
            "check a is b\n",
            4,
            9,
            "expected `equals`, `differs` or `matches`, found \"is\"",
        ),
        ("check a equals\n", 4, 15, "expected a value after `equals`"),
        ("check a differs b c\n", 4, 19, "unexpected \"c\""),
        (
            "check ${reply.code} equals 1\n",
            4,
            7,
            "unknown variable ${reply.code}",
        ),
        (
            "check-varies ports\n",
            4,
            14,
            "no series \"ports\" is collected; add `collect ports <value>`",
        ),
        ("check-varies\n", 4, 13, "expected a series name"),
    ]);
}

/// `${variables}`: known, bound before use, reserved names.
#[test]
fn variables() {
    check_all(&[
        (
            "send EPSV\nexpect 229 as epsv\nsend X ${epsv.prot}\n",
            6,
            8,
            "unknown variable ${epsv.prot}; known here: client.ip, client.port, client.netprt, client.host-number, target.ip",
        ),
        (
            "send X ${epsv.port}\n",
            4,
            8,
            "bound by an earlier `expect 229 as epsv`",
        ),
        (
            "listen d on ${d.ip}\n",
            4,
            13,
            "unknown variable ${d.ip} (it is bound by an earlier `listen d`)",
        ),
        ("note ${Upper}\n", 4, 8, "invalid variable name \"Upper\""),
        (
            "login\nexpect 200 contains ${x}\n",
            5,
            21,
            "unknown variable ${x}",
        ),
    ]);
}

#[test]
fn covers() {
    let source = |covers: &str| format!("{PRELUDE}  covers {covers}\n  login\n");
    check(&err(&source("epsv")), 4, 10, "a command in upper case");
    check(&err(&source("EPSVX")), 4, 10, "a command in upper case");
    check(
        &err(&source("\"EPSV  ALL\"")),
        4,
        11,
        "a command in upper case",
    );
    check(&err(&source("EPSV EPSV")), 4, 15, "EPSV is already covered");
    check(
        &err(&format!("{PRELUDE}  covers\n")),
        4,
        9,
        "expected one or more commands",
    );
}

/// `connect … clear | new-session` and `skip`.
#[test]
fn tls_steps() {
    check_all(&[
        (
            "connect d to 1 clear new-session\n",
            4,
            22,
            "or the end of the line",
        ),
        (
            "connect d to 1 clear refused\n",
            4,
            22,
            "or the end of the line",
        ),
        (
            "connect d to 1 refused clear\n",
            4,
            24,
            "or the end of the line",
        ),
        (
            "connect d to 1 clear from 127.0.0.2\n",
            4,
            22,
            "or the end of the line",
        ),
        ("skip\n", 4, 5, "expected the reason to skip"),
    ]);
}
