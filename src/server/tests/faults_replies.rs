//! Reply discipline and command handling faults (RFC 959 §4.2, §5.3; RFC 1123 §4.1.2.10;
//! RFC 2389 §3.2). Each test shows the deviation and that the neighbouring behaviour is clean.

use crate::server::testkit::{Client, faulty};
use crate::server::{Fault, MAX_LINE};

#[tokio::test]
async fn bare_lf_replies() {
    let (_s, addr) = faulty(Fault::BareLfReplies).await;
    let mut c = Client::connect(addr).await;
    c.send("SYST").await;
    assert_eq!(c.raw_line().await, b"215 UNIX Type: L8\n");
    c.send("NOOP").await;
    assert_eq!(c.raw_line().await, b"200 NOOP ok\r\n");
}

#[tokio::test]
async fn feat_bad_terminator() {
    let (_s, addr) = faulty(Fault::FeatBadTerminator).await;
    let mut c = Client::connect(addr).await;
    c.send("FEAT").await;
    let mut lines = Vec::new();
    for _ in 0..6 {
        lines.push(String::from_utf8(c.raw_line().await).unwrap());
    }
    assert_eq!(
        lines,
        [
            "211-Features:\r\n",
            " EPRT\r\n",
            " EPSV\r\n",
            " PASV\r\n",
            " SIZE\r\n",
            "210 End\r\n"
        ]
    );
    assert_eq!(c.cmd("NOOP").await.code, 200);
    assert_eq!(c.cmd("HELP").await.lines.last().unwrap(), "214 Help OK");
}

#[tokio::test]
async fn feat_omits_eprt_epsv() {
    let (_s, addr) = faulty(Fault::FeatOmitsEprtEpsv).await;
    let mut c = Client::connect(addr).await;
    let r = c.cmd("FEAT").await;
    assert_eq!(r.lines, ["211-Features:", " PASV", " SIZE", "211 End"]);
}

#[tokio::test]
async fn silent_unknown_command() {
    let (_s, addr) = faulty(Fault::SilentUnknownCommand).await;
    let mut c = Client::logged_in(addr).await;
    c.send("XYZZY").await;
    assert!(c.silent().await);
    assert_eq!(c.cmd("NOOP").await.code, 200);
    // Known verbs with bad arguments, and bad bytes, are still answered.
    assert_eq!(c.cmd("PASV now").await.code, 501);
    c.send_raw(b"NO\0OP\r\n").await;
    assert_eq!(c.reply().await.code, 500);
}

#[tokio::test]
async fn silent_long_line() {
    let (_s, addr) = faulty(Fault::SilentLongLine).await;
    let mut c = Client::connect(addr).await;
    let mut long = vec![b'A'; MAX_LINE * 4];
    long.extend_from_slice(b"\r\n");
    c.send_raw(&long).await;
    assert!(c.silent().await);
    assert_eq!(c.cmd("NOOP").await.code, 200);
    assert_eq!(c.cmd("XYZZY").await.code, 500);
}

#[tokio::test]
async fn long_line_500_close() {
    let (_s, addr) = faulty(Fault::LongLine500Close).await;
    let mut c = Client::logged_in(addr).await;
    assert_eq!(c.cmd("NOOP").await.code, 200);
    // Short enough for one read, so the server has read it all when it closes.
    let mut long = vec![b'A'; MAX_LINE + 100];
    long.extend_from_slice(b"\r\n");
    c.send_raw(&long).await;
    let r = c.reply().await;
    assert_eq!((r.code, r.text()), (500, "Input line too long."));
    let next = c.try_reply().await;
    assert!(next.is_none(), "the server closed without a 421: {next:?}");
}

#[tokio::test]
async fn silent_nul() {
    let (_s, addr) = faulty(Fault::SilentNul).await;
    let mut c = Client::connect(addr).await;
    c.send_raw(b"NOOP\0x\r\n").await;
    assert!(c.silent().await);
    assert_eq!(c.cmd("NOOP").await.code, 200);
    c.send_raw(b"NOOP\rX\r\n").await;
    assert_eq!(
        c.reply().await.code,
        500,
        "a CR inside a line is still answered"
    );
}

#[tokio::test]
async fn one_command_per_read() {
    let (_s, addr) = faulty(Fault::OneCommandPerRead).await;
    let mut c = Client::connect(addr).await;
    c.send_raw(b"SYST\r\nNOOP\r\n").await;
    assert_eq!(c.reply().await.code, 215);
    assert!(
        c.silent().await,
        "the second command of the read was answered"
    );
    // A command split across writes still works.
    c.send_raw(b"NO").await;
    assert!(c.silent().await);
    c.send_raw(b"OP\r\n").await;
    assert_eq!(c.reply().await.code, 200);
}

#[tokio::test]
async fn no_split_commands() {
    let (_s, addr) = faulty(Fault::NoSplitCommands).await;
    let mut c = Client::connect(addr).await;
    c.send_raw(b"NO").await;
    assert_eq!(c.reply().await.code, 500);
    c.send_raw(b"OP\r\n").await;
    assert_eq!(c.reply().await.code, 500);
    // Several commands in one write still work.
    c.send_raw(b"SYST\r\nNOOP\r\n").await;
    assert_eq!(c.reply().await.code, 215);
    assert_eq!(c.reply().await.code, 200);
}

#[tokio::test]
async fn case_sensitive_commands() {
    let (_s, addr) = faulty(Fault::CaseSensitiveCommands).await;
    let mut c = Client::connect(addr).await;
    for line in ["noop", "NoOp", "syst", "user ftp"] {
        let r = c.cmd(line).await;
        assert_eq!((r.code, r.text()), (500, "Unknown command"), "{line}");
    }
    assert_eq!(c.cmd("USER ftp").await.code, 331);
    assert_eq!(c.cmd("PASS x").await.code, 230);
    assert_eq!(
        c.cmd("TYPE i").await.code,
        200,
        "arguments keep their case freedom"
    );
    assert_eq!(c.cmd("epsv all").await.code, 500);
    assert_eq!(c.cmd("EPSV all").await.code, 200);
    assert_eq!(c.cmd("PASV").await.code, 503);
}
