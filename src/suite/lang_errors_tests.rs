//! Parse errors of the steps and blocks added for the mission suites: line, column and what the
//! message says was expected. Bodies start on line 4 (after [`PRELUDE`]).

use super::testutil::*;

#[test]
fn if_errors() {
    body_err(
        "if reply 200\nsend x\nend\n",
        4,
        1,
        "`if reply` before any reply",
    );
    body_err("login\nif\n", 5, 3, "expected `reply` after `if`");
    body_err("login\nif code 200\n", 5, 4, "found \"code\"");
    body_err(
        "login\nif reply\n",
        5,
        9,
        "expected a reply code (like 200 or 5xx) after `if reply`",
    );
    body_err("login\nif reply 2oo\n", 5, 10, "found \"2oo\"");
    body_err("login\n  if reply 200\n  end\n", 5, 3, "empty if");
    body_err(
        "login\nif reply 200\nelse\nsend x\nend\n",
        5,
        1,
        "empty if branch: add steps before its `else`",
    );
    body_err(
        "login\nif reply 200\nsend x\n  else\nend\n",
        7,
        3,
        "empty else branch",
    );
    body_err(
        "login\nif reply 200\nsend x\nelse\nsend y\nelse\n",
        9,
        1,
        "a second `else`",
    );
    body_err("login\nelse\n", 5, 1, "`else` without an `if`");
    body_err(
        "login\nif reply 200\nrepeat 2\nsend x\nelse\n",
        8,
        1,
        "`else` without an `if`",
    );
    body_err(
        "login\nif reply 200\nsend x\nelse now\n",
        7,
        6,
        "unexpected \"now\"",
    );
    body_err("login\nif reply 200\nsend x\n", 5, 1, "unclosed if");
    body_err(
        "login\n  end\n",
        5,
        3,
        "`end` without a `repeat`, `if` or `setup`",
    );
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

#[test]
fn send_long_errors() {
    body_err("send-long\n", 4, 10, "expected a command verb");
    body_err(
        "send-long NOOP\n",
        4,
        15,
        "expected a byte count from 1 to 1000000",
    );
    body_err("send-long NOOP 0\n", 4, 16, "found 0");
    body_err("send-long NOOP 1000001\n", 4, 16, "found 1000001");
    body_err("send-long NOOP x\n", 4, 16, "found \"x\"");
    body_err("send-long NOOP 5 6\n", 4, 18, "unexpected \"6\"");
}

#[test]
fn expect_close_errors() {
    body_err("expect close\n", 4, 1, "expect before send");
    body_err("login\nexpect close now\n", 5, 14, "unexpected \"now\"");
}

#[test]
fn listen_and_connect_option_errors() {
    body_err(
        "listen d reuse reuse\n",
        4,
        16,
        "expected `on`, `reuse`, `privileged` or the end of the line, found \"reuse\"",
    );
    body_err("listen d on 1 on 2\n", 4, 15, "found \"on\"");
    body_err(
        "connect d to 1 refused refused\n",
        4,
        24,
        "expected `from`, `refused`, `within` or the end of the line, found \"refused\"",
    );
    body_err("connect d to 1 from 1 from 2\n", 4, 23, "found \"from\"");
    body_err("connect d to 1 refuse\n", 4, 16, "found \"refuse\"");
    body_err("listen reply\n", 4, 8, "channel name \"reply\" is reserved");
}

#[test]
fn expect_no_data_errors() {
    body_err("expect-no-data d\n", 4, 16, "channel \"d\" is never opened");
    body_err("expect-no-data\n", 4, 15, "expected a channel name");
}

#[test]
fn save_and_same_as_errors() {
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

#[test]
fn value_step_errors() {
    body_err("collect\n", 4, 8, "expected a series name");
    body_err("collect Ports 1\n", 4, 9, "invalid name \"Ports\"");
    body_err("collect ports\n", 4, 14, "expected a value to collect");
    body_err(
        "collect ports ${epsv.port}\n",
        4,
        15,
        "unknown variable ${epsv.port}",
    );
    body_err("check\n", 4, 6, "expected a value to check");
    body_err(
        "check a\n",
        4,
        8,
        "expected `equals`, `differs` or `matches` after the value",
    );
    body_err(
        "check a is b\n",
        4,
        9,
        "expected `equals`, `differs` or `matches`, found \"is\"",
    );
    body_err("check a equals\n", 4, 15, "expected a value after `equals`");
    body_err("check a differs b c\n", 4, 19, "unexpected \"c\"");
    body_err(
        "check ${reply.code} equals 1\n",
        4,
        7,
        "unknown variable ${reply.code}",
    );
    body_err(
        "check-varies ports\n",
        4,
        14,
        "no series \"ports\" is collected; add `collect ports <value>`",
    );
    body_err("check-varies\n", 4, 13, "expected a series name");
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
fn drain_read_some_and_silence_errors() {
    body_err("drain d\n", 4, 7, "channel \"d\" is never opened");
    body_err("expect-silence 0\n", 4, 16, "milliseconds from 1 to 60000");
    body_err("expect-silence\n", 4, 15, "milliseconds");
}

#[test]
fn setup_and_transfer_errors() {
    body_err("login\nsetup\nend\n", 5, 1, "empty setup");
    body_err("login\nsetup\n  send NOOP\n", 5, 1, "unclosed setup");
    body_err("login\nsetup now\n", 5, 7, "unexpected \"now\"");
    body_err(
        "login\ntransfer d\n",
        5,
        10,
        "channel \"d\" is neither listening nor open",
    );
    body_err(
        "login\nlisten d\ntransfer d or 426\n",
        6,
        15,
        "expected `425` after `or`",
    );
    body_err(
        "login\nlisten d\ntransfer d to x\n",
        6,
        12,
        "expected `from`, `or` or the end",
    );
}

#[test]
fn disconnect_run_check_and_option_errors() {
    body_err(
        "login\ndisconnect\nsend NOOP\n",
        6,
        1,
        "`send` after `disconnect`",
    );
    body_err(
        "login\ndisconnect\nexpect 200\n",
        6,
        1,
        "`expect` after `disconnect`",
    );
    body_err(
        "login\nrun-check reply-syntax\n",
        5,
        1,
        "must be the only step",
    );
    body_err(
        "run-check spelling\n",
        4,
        11,
        "expected a run check (reply-syntax)",
    );
    body_err("listen d reuse privileged\n", 4, 16, "found \"privileged\"");
    body_err(
        "login\nconnect d to 1 within 5\n",
        5,
        16,
        "found \"within\"",
    );
    body_err(
        "login\nconnect d to 1 refused within 0\n",
        5,
        31,
        "from 1 to 60000",
    );
    body_err(
        "login\nsend PASV\nexpect 227\ncheck ${reply.text} matches \"(\"\n",
        7,
        30,
        "invalid regex",
    );
    body_err(
        "login\nsend NOOP\nexpect 200 close close\n",
        6,
        18,
        "found \"close\"",
    );
}

#[test]
fn covers_errors() {
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
