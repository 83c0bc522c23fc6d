//! Every step-level parse error: its line, its column and what the message says was expected.
//! Bodies start on line 4 (after [`PRELUDE`]).

use super::testutil::*;

#[test]
fn send_errors() {
    body_err("send-raw\n", 4, 9, "send-raw needs a payload");
    body_err("send-raw \"\"\n", 4, 10, "send-raw needs a payload");
    body_err("send \"NOOP\n", 4, 6, "unterminated quote");
    body_err("send \"a\" b\n", 4, 10, "expected the end of the line");
    body_err(
        "send NO\\qP\n",
        4,
        8,
        r#"unknown escape "\q"; known escapes: \r \n \t \0"#,
    );
    body_err("send \tA\\x4\n", 4, 8, "expected two hex digits after \\x");
    body_err(
        "send A\\xZZ\n",
        4,
        7,
        "expected two hex digits after \\x, found \"ZZ\"",
    );
    body_err("send A\\\n", 4, 7, "lone backslash");
    body_err("send PORT $5\n", 4, 11, r"write \$ for a dollar sign");
    body_err("send ${client.ip\n", 4, 6, "unterminated ${");
}

#[test]
fn expect_errors() {
    body_err(
        "login\nexpect\n",
        5,
        7,
        "expected a reply code (like 200 or 5xx) after expect",
    );
    body_err(
        "login\nexpect 2oo\n",
        5,
        8,
        "expected a reply code (like 200 or 5xx), found \"2oo\"",
    );
    body_err("login\nexpect 600\n", 5, 8, "found \"600\"");
    body_err("login\nexpect 6xx\n", 5, 8, "found \"6xx\"");
    body_err("login\nexpect 20\n", 5, 8, "found \"20\"");
    body_err(
        "login\nexpect 200 2o1\n",
        5,
        12,
        "or one of: as, contains, matches, close, silence; found \"2o1\"",
    );
    body_err("login\nexpect as epsv\n", 5, 8, "found \"as\"");
    body_err(
        "login\nexpect 229 as epsv as epsv\n",
        5,
        20,
        "`as` may appear only once",
    );
    body_err(
        "login\nexpect 229 as eps\n",
        5,
        15,
        "expected epsv, pasv or protocols after `as`, found \"eps\"",
    );
    body_err(
        "login\nexpect 229 as\n",
        5,
        14,
        "expected epsv, pasv or protocols",
    );
    body_err(
        "login\nexpect 200 as epsv\n",
        5,
        15,
        "`as epsv` parses a 229 reply, but this expect does not accept 229",
    );
    body_err(
        "login\nexpect 200 contains\n",
        5,
        20,
        "expected the text to look for",
    );
    body_err(
        "login\nexpect 200 matches \"a(b\"\n",
        5,
        22,
        "invalid regex: unclosed group",
    );
    body_err(
        "login\nexpect 200 matches \"é[z-a]\"\n",
        5,
        23,
        "invalid regex: invalid character class range",
    );
    body_err("login\nexpect 200 matches\n", 5, 19, "expected a regex");
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

#[test]
fn channel_errors() {
    body_err("listen Data\n", 4, 8, "invalid channel name \"Data\"");
    body_err(
        "listen client\n",
        4,
        8,
        "channel name \"client\" is reserved",
    );
    body_err("listen\n", 4, 7, "expected a channel name");
    body_err(
        "listen d at 1.2.3.4\n",
        4,
        10,
        "expected `on`, `reuse`, `privileged` or the end of the line, found \"at\"",
    );
    body_err(
        "listen d on\n",
        4,
        12,
        "expected an address to listen on after `on`",
    );
    body_err(
        "accept d\n",
        4,
        8,
        "no channel \"d\" is listening; add `listen d`",
    );
    body_err(
        "expect-no-connection d\n",
        4,
        22,
        "no channel \"d\" is listening",
    );
    body_err(
        "listen d\nread d\n",
        5,
        6,
        "channel \"d\" is never opened; add `accept d` or `connect d to …`",
    );
    body_err("write d \"x\"\n", 4, 7, "is never opened");
    body_err("close d\n", 4, 7, "is never opened");
    body_err(
        "connect d 6446\n",
        4,
        11,
        "expected `to` after the channel name, found \"6446\"",
    );
    body_err("connect d to\n", 4, 13, "expected a port after `to`");
    body_err(
        "connect d to 1 from\n",
        4,
        20,
        "expected a local address to connect from after `from`",
    );
}

#[test]
fn read_write_and_other_argument_errors() {
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
fn repeat_errors() {
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
fn variable_errors() {
    body_err(
        "send EPSV\nexpect 229 as epsv\nsend X ${epsv.prot}\n",
        6,
        8,
        "unknown variable ${epsv.prot}; known here: client.ip, client.port, client.netprt, target.ip",
    );
    body_err(
        "send X ${epsv.port}\n",
        4,
        8,
        "bound by an earlier `expect 229 as epsv`",
    );
    body_err(
        "listen d on ${d.ip}\n",
        4,
        13,
        "unknown variable ${d.ip} (it is bound by an earlier `listen d`)",
    );
    body_err("note ${Upper}\n", 4, 8, "invalid variable name \"Upper\"");
    body_err(
        "login\nexpect 200 contains ${x}\n",
        5,
        21,
        "unknown variable ${x}",
    );
}
