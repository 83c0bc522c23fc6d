//! "The server died on this odd line" is a guess: the connection closed right after the line
//! went out, and the line before had its reply. A server may also have closed for reasons of
//! its own and the odd line merely came next — vsftpd 3.0.3 answers a PASV it cannot bind
//! (its passive range held by the campaign's other sessions) `500 OOPS: vsf_sysutil_bind`,
//! the next line `500 OOPS: priv_sock_get_int`, and closes, whatever comes after. ftpspec
//! reads such a close before sending on when it can (`Trace::closed_before`); when the close
//! came too late for that, the same dialogue with the odd line's operation made a plain NOOP
//! tells: lost there too, the line had nothing to do with it, and the finding is the close.
//!
//! The same holds for "the server closed after answering this over-long line" (vsftpd does, on
//! purpose): a dying session may have answered an over-long line last by chance.

use crate::fuzz::exec::trace::{End, LOGIN_OP, Liveness, Trace};
use crate::fuzz::input::dialogue::{Dialogue, Op};
use crate::fuzz::input::ops::Cmd;
use crate::fuzz::judge::oracle::{
    LONG_CLOSE, Oracle, Violation, answered_long_line, judge, lost_line,
};
use crate::proto::ReplyCode;

/// Where the line a silence verdict says the server died on came from: its command in the
/// trace, its operation, and which of that operation's lines it was (a pipeline sends
/// several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OddLine {
    pub cmd: usize,
    pub op: usize,
    pub nth: usize,
    /// The last operation that sent a line before the connection went: the variant stops
    /// there (what came later never reached the server, and could end the variant for reasons
    /// of its own).
    pub reached: usize,
}

/// The odd line of a silence verdict at a lost connection (see `oracle::lost_line`), or the
/// over-long line a close came right after (see `oracle::answered_long_line`), the server
/// alive after it; `None` for every other verdict.
pub fn lost_on_odd_line(trace: &Trace, verdict: &Violation) -> Option<OddLine> {
    let End::NoReply {
        cmd: first_owed,
        how,
        liveness: Liveness::Alive,
        ..
    } = trace.end
    else {
        return None;
    };
    if how.is_silence() {
        return None;
    }
    let cmd = match verdict.oracle {
        Oracle::Silence => lost_line(trace, first_owed, how)?,
        Oracle::ClosedWithout421 if verdict.signature == LONG_CLOSE => {
            answered_long_line(trace, first_owed)?
        }
        _ => return None,
    };
    let op = trace.commands.get(cmd)?.op;
    let nth = trace.commands[..cmd].iter().filter(|c| c.op == op).count();
    let sent = trace.closed_before.unwrap_or(trace.commands.len());
    let reached = (trace.commands[..sent.min(trace.commands.len())].iter())
        .map(|c| c.op)
        .filter(|&o| o != LOGIN_OP)
        .max()
        .unwrap_or(op)
        .max(op);
    (op != LOGIN_OP).then_some(OddLine {
        cmd,
        op,
        nth,
        reached,
    })
}

/// The dialogue with that line made a plain NOOP: the operation's one line; the line of a
/// pipeline, the lines before it still sent; or, for raw bytes holding several lines (their
/// LFs), the raw line's own command followed by a NOOP for each later line up to the odd one
/// — which may also be an unfinished line that the next operation ended. The operations after
/// the last one the original reached are left out, and a NOOP ends the variant: a session that
/// goes on answers it 200, one that is dying closes there at the latest (the reference
/// server's `pasv-oops-close` closes 50 ms after its last words, which a variant ending at
/// once would not see).
pub fn with_noop(dialogue: &Dialogue, line: OddLine) -> Option<Dialogue> {
    let mut plain = dialogue.clone();
    plain.ops.truncate(line.reached.saturating_add(1));
    let op = plain.ops.get_mut(line.op)?;
    match op {
        Op::Pipeline(cmds) => *cmds.get_mut(line.nth)? = Cmd::Noop,
        _ if line.nth == 0 => *op = Op::Cmd(Cmd::Noop),
        Op::Raw(raw) => {
            let lines = std::iter::once(raw.verb.clone())
                .chain(std::iter::repeat_n(Cmd::Noop, line.nth))
                .collect();
            *op = Op::Pipeline(lines);
        }
        _ => return None,
    }
    plain.ops.push(Op::Cmd(Cmd::Noop));
    Some(plain)
}

/// Variants tried before a verdict that none could test is dropped.
pub const TRIES: usize = 3;

/// What a NOOP variant says about a silence verdict at an odd line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The variant read every reply the original read and more, and its session went on:
    /// the line made the difference.
    LineToBlame,
    /// The variant read the same replies and lost its connection there too: the finding is
    /// this close.
    CloseRegardless(Violation),
    /// The variant did not take the server down the same path — other replies (what made the
    /// server close did not recur, or recurred elsewhere), or it ended some other way.
    Untested,
}

/// The original lost its connection after it had sent the odd line (command `line`); the
/// variant is the same dialogue with that line a NOOP (up to the operation the original
/// reached).
///
/// The variant tests the line only if it took the server down the same path: it read first,
/// in the same order, every reply the original read to the lines before the odd one (the same
/// lines in both, so a server that had not died yet answers them alike). Replies are compared
/// as read, not as matched to commands: matching in order is in doubt after an ABOR, a foreign
/// data connection or a fuzzed login. vsftpd 3.0.3, its four passive ports held by the
/// campaign's other jobs, answers a `PASV` with `500 OOPS: vsf_sysutil_bind` and a second
/// `500 OOPS`, and dies; a variant run when a port was free got `227` there and went on —
/// which blamed a NUL or a control byte several lines later for a close the `PASV` caused.
/// Then: the variant went on, reading a 2xx after that path (its NOOPs' 200, RFC 959 §4.2.2)
/// → the line is to blame; it was lost too with no 2xx after that path (a dying server's last
/// words, such as vsftpd's second `500 OOPS`, may be matched to the NOOP) → the close is the
/// finding.
pub fn decide(original: &Trace, variant: &Trace, line: usize) -> Decision {
    if !lost(original) {
        return Decision::Untested;
    }
    let path = codes_read(original, |i| i < line);
    let read = codes_read(variant, |_| true);
    if !read.starts_with(&path) {
        return Decision::Untested;
    }
    let went_on = !matches!(variant.end, End::Unreachable(_) | End::Harness(_));
    let later = &read[path.len()..];
    let positive = later.iter().any(|c| c.class() == 2);
    match lost(variant) {
        false if went_on && positive => Decision::LineToBlame,
        true if !positive => match judge(variant) {
            Some(v) if v.oracle == Oracle::ClosedWithout421 => Decision::CloseRegardless(v),
            _ => Decision::Untested,
        },
        _ => Decision::Untested,
    }
}

/// The connection was lost: closed or reset, not a reply that never came on an open one.
fn lost(t: &Trace) -> bool {
    matches!(t.end, End::NoReply { how, .. } if !how.is_silence())
}

/// The codes of the replies a trace read to the dialogue's lines (those `lines` keeps), in
/// the order it read them (the executor's sentinels left out: the variant runs with full waits
/// and sends none).
fn codes_read(t: &Trace, lines: impl Fn(usize) -> bool) -> Vec<ReplyCode> {
    let mut read: Vec<(usize, ReplyCode)> = (t.commands.iter().enumerate())
        .filter(|&(i, _)| lines(i) && !t.sentinels.contains(&i))
        .flat_map(|(_, c)| c.replies.iter().map(|r| (r.act, r.code)))
        .collect();
    read.sort_by_key(|&(act, _)| act);
    read.into_iter().map(|(_, code)| code).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::exec::trace::{Exchange, NoReply};
    use crate::fuzz::input::bytes::{Ending, Small};
    use crate::fuzz::input::grammar::EpsvOp;
    use crate::fuzz::input::line::Values;
    use crate::fuzz::input::ops::ByteLine;
    use crate::fuzz::judge::oracle::ReplayCheck;
    use std::net::Ipv4Addr;

    fn exchange(op: usize, line: &[u8]) -> Exchange {
        Exchange {
            op,
            line: line.to_vec(),
            verb: line.split(|&b| b == b' ').next().unwrap_or(b"").to_vec(),
            transfer: false,
            replies: Vec::new(),
            ambiguous: false,
            behind_setup: false,
            bare_lf: false,
        }
    }

    fn empty_trace() -> Trace {
        Trace::new(Values {
            client_ip: Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        })
    }

    /// The connection went (`how`) while command `cmd` was owed a reply; the server lives.
    fn end_lost(cmd: usize, act: usize, how: NoReply) -> End {
        End::NoReply {
            cmd,
            act,
            how,
            liveness: Liveness::Alive,
        }
    }

    /// A reply with `code`, read at step `act`.
    fn seen(code: u16, act: usize) -> crate::fuzz::exec::trace::Seen {
        crate::fuzz::exec::trace::Seen {
            code: crate::proto::ReplyCode(code),
            text: Vec::new(),
            act,
            unparsed: None,
        }
    }

    fn verdict(oracle: Oracle) -> Violation {
        Violation {
            oracle,
            signature: "connection lost on a line with control bytes".into(),
            act: 0,
            detail: String::new(),
            expect: ReplayCheck::AnyReply,
            rule: None,
        }
    }

    #[test]
    fn only_a_silence_at_a_close_after_a_reply_is_questioned() {
        let mut trace = empty_trace();
        trace.commands = vec![exchange(0, b"PASV"), exchange(2, b"EPRT \r1\r")];
        let end = |how| End::NoReply {
            cmd: 1,
            act: 0,
            how,
            liveness: Liveness::Alive,
        };
        trace.end = end(NoReply::ClosedAfterReply);
        assert_eq!(
            lost_on_odd_line(&trace, &verdict(Oracle::Silence)),
            Some(OddLine {
                cmd: 1,
                op: 2,
                nth: 0,
                reached: 2
            })
        );
        assert_eq!(
            lost_on_odd_line(&trace, &verdict(Oracle::ClosedWithout421)),
            None
        );
        trace.end = end(NoReply::Timeout);
        assert_eq!(lost_on_odd_line(&trace, &verdict(Oracle::Silence)), None);
        // The third line of a pipeline: its place in the operation is kept.
        trace.commands = vec![
            exchange(0, b"PASV x"),
            exchange(0, b"EPSV 1"),
            exchange(0, b"PASS \xc0"),
        ];
        trace.end = end_lost(2, 0, NoReply::ClosedAfterReply);
        assert_eq!(
            lost_on_odd_line(&trace, &verdict(Oracle::Silence)),
            Some(OddLine {
                cmd: 2,
                op: 0,
                nth: 2,
                reached: 0
            })
        );
    }

    #[test]
    fn the_odd_line_may_come_after_the_command_first_owed() {
        // pyftpdlib: STOR got its 150; the line after it, `LIST xABOR\0` (an unfinished line
        // ended by the next operation), ended the session before the STOR's final reply.
        let mut trace = empty_trace();
        let mut eprt = exchange(0, b"EPRT |1|127.0.0.1|5000|");
        eprt.replies = vec![seen(200, 0)];
        let mut stor = exchange(1, b"STOR f");
        stor.transfer = true;
        stor.replies = vec![seen(150, 0)];
        trace.commands = vec![eprt, stor, exchange(2, b"LIST xABOR\0")];
        trace.end = end_lost(1, 0, NoReply::ClosedAfterReply);
        let line = lost_on_odd_line(&trace, &verdict(Oracle::Silence)).expect("the NUL line");
        assert_eq!(
            line,
            OddLine {
                cmd: 2,
                op: 2,
                nth: 0,
                reached: 2
            }
        );
        // A reset (more was unread when the server went) questions the NUL line too.
        let mut reset = trace.clone();
        reset.end = end_lost(1, 0, NoReply::Reset);
        assert_eq!(
            lost_on_odd_line(&reset, &verdict(Oracle::Silence)),
            Some(line)
        );
        // The NOOP in its place answered: the line is to blame, though the STOR's final reply
        // (owed longer) is missing in both.
        let mut answered = trace.clone();
        answered.commands[2] = exchange(2, b"NOOP");
        answered.commands[2].replies = vec![seen(200, 0)];
        answered.end = End::Inconclusive("no final reply to a transfer".into());
        assert_eq!(decide(&trace, &answered, line.cmd), Decision::LineToBlame);
        let mut lost = trace.clone();
        lost.commands[2] = exchange(2, b"NOOP");
        match decide(&trace, &lost, line.cmd) {
            Decision::CloseRegardless(v) => assert_eq!(v.oracle, Oracle::ClosedWithout421),
            other => panic!("{other:?}"),
        }
    }

    /// The original: PASV answered 500 twice, then the odd line lost at a close.
    fn lost_after(codes: &[u16], last_replied: bool) -> Trace {
        let mut trace = empty_trace();
        let mut pasv = exchange(0, b"PASV");
        pasv.replies = codes.iter().map(|&c| seen(c, 0)).collect();
        let mut last = exchange(1, b"NOOP");
        if last_replied {
            last.replies = vec![seen(200, 0)];
        }
        trace.commands = vec![pasv, last];
        trace.end = match last_replied {
            true => End::Completed,
            false => end_lost(1, 0, NoReply::ClosedAfterReply),
        };
        trace
    }

    #[test]
    fn a_variant_decides_only_where_it_met_the_same_replies() {
        let original = lost_after(&[500, 500], false);
        // The NOOP answered after the same replies: the odd line is to blame.
        assert_eq!(
            decide(&original, &lost_after(&[500, 500], true), 1),
            Decision::LineToBlame
        );
        // Lost there too: the close is the finding.
        match decide(&original, &lost_after(&[500, 500], false), 1) {
            Decision::CloseRegardless(v) => assert_eq!(v.oracle, Oracle::ClosedWithout421),
            other => panic!("{other:?}"),
        }
        // PASV worked this time (the passive range was free): the variant tests nothing.
        assert_eq!(
            decide(&original, &lost_after(&[227], true), 1),
            Decision::Untested
        );
        // The NOOP's "reply" was the dying server's second `500 OOPS`, and then it closed: no
        // sign it went on, the close is the finding.
        let mut oops = lost_after(&[500], false);
        oops.commands[1].replies = vec![oops.commands[0].replies[0].clone()];
        match decide(&lost_after(&[500], false), &oops, 1) {
            Decision::CloseRegardless(v) => assert_eq!(v.oracle, Oracle::ClosedWithout421),
            other => panic!("{other:?}"),
        }
        // The variant got as far, and then no session at all: it tests nothing.
        let mut gone = lost_after(&[500, 500], true);
        gone.end = End::Harness("no local port".into());
        assert_eq!(decide(&original, &gone, 1), Decision::Untested);
    }

    #[test]
    fn a_variant_that_took_another_path_earlier_tests_nothing() {
        // vsftpd, its passive ports held by other jobs: `500 OOPS` to PASV, a second `500 OOPS`
        // matched to the garbage line after it (which earns a 500 of its own anyway), then the
        // close before the NUL line. The variant's PASV got 227: the NUL line is not to blame.
        let trace = |pasv: u16, nul_answered: bool| {
            let mut t = empty_trace();
            let mut p = exchange(0, b"PASV");
            p.replies = vec![seen(pasv, 0)];
            let mut garbage = exchange(1, b"EPRT x");
            garbage.replies = vec![seen(500, 0)];
            let mut last = exchange(2, b"NOOP x\0");
            t.end = end_lost(2, 0, NoReply::ClosedAfterReply);
            if nul_answered {
                last = exchange(2, b"NOOP");
                last.replies = vec![seen(200, 0)];
                t.end = End::Completed;
            }
            t.commands = vec![p, garbage, last];
            t
        };
        let original = trace(500, false);
        let line = lost_on_odd_line(&original, &verdict(Oracle::Silence)).expect("the NUL line");
        assert_eq!(line.cmd, 2);
        assert_eq!(
            decide(&original, &trace(227, true), line.cmd),
            Decision::Untested
        );
        assert_eq!(
            decide(&original, &trace(500, true), line.cmd),
            Decision::LineToBlame
        );
    }

    /// pyftpdlib 2.2.0: `NLST` (150, then waits), `RETR x`, `RETR y\0`, `ABOR` pipelined got
    /// one `550` and a close. With the NUL line a NOOP the same replies come first and then
    /// more, matched to other commands (the ABOR is queued behind the transfer): compared as
    /// read, the variant went on where the original died.
    #[test]
    fn replies_are_compared_as_read_not_as_matched() {
        let mut original = empty_trace();
        let mut nlst = exchange(0, b"NLST");
        nlst.transfer = true;
        nlst.replies = vec![seen(150, 1), seen(550, 2)];
        original.commands = vec![
            nlst,
            exchange(1, b"RETR x"),
            exchange(1, b"RETR y\0"),
            exchange(1, b"ABOR"),
        ];
        original.end = end_lost(3, 3, NoReply::Closed);
        let mut variant = original.clone();
        variant.commands[2] = exchange(1, b"NOOP");
        variant.commands[1].replies = vec![seen(200, 4)];
        variant.commands[3].replies = vec![seen(225, 3)];
        variant.end = End::Completed;
        assert_eq!(decide(&original, &variant, 2), Decision::LineToBlame);
        // A sentinel's reply in the original (measured waits) is not part of the path.
        let mut measured = original.clone();
        measured.commands.push(exchange(1, b"SYST"));
        measured.commands[4].replies = vec![seen(215, 0)];
        measured.sentinels = vec![4];
        assert_eq!(decide(&measured, &variant, 2), Decision::LineToBlame);
        // The variant went on but read a reply the original did not read first: untested.
        variant.commands[0].replies[1].code = crate::proto::ReplyCode(226);
        assert_eq!(decide(&original, &variant, 2), Decision::Untested);
    }

    /// A close right after an over-long line was answered is vsftpd's own (it closes after
    /// `500 Input line too long.`) only if the NOOP in its place goes on; a session dying for
    /// another reason (the `pasv-oops-close` fault: the over-long line got the second `500
    /// OOPS`) is a close like any other.
    #[test]
    fn a_close_after_an_answered_over_long_line_is_questioned_too() {
        let long = [b"PASV ".as_slice(), &[b'd'; 3000]].concat();
        let mut original = empty_trace();
        let mut pasv = exchange(0, b"PASV x");
        pasv.replies = vec![seen(500, 1)];
        let mut over = exchange(1, &long);
        over.replies = vec![seen(500, 2)];
        original.commands = vec![pasv, over, exchange(1, b"NOOP")];
        original.end = end_lost(2, 3, NoReply::ClosedAfterReply);
        let close = Violation {
            signature: LONG_CLOSE.into(),
            ..verdict(Oracle::ClosedWithout421)
        };
        let line = lost_on_odd_line(&original, &close).expect("the over-long line");
        assert_eq!((line.cmd, line.op, line.nth), (1, 1, 0));
        let mut variant = original.clone();
        variant.commands[1] = exchange(1, b"NOOP");
        variant.commands[1].replies = vec![seen(200, 2)];
        variant.commands[2].replies = vec![seen(200, 3)];
        variant.end = End::Completed;
        assert_eq!(decide(&original, &variant, 1), Decision::LineToBlame);
        variant.commands[1].replies = vec![seen(500, 2)];
        variant.commands[2].replies.clear();
        variant.end = original.end.clone();
        match decide(&original, &variant, 1) {
            Decision::CloseRegardless(v) => assert_eq!(v.signature, "closed without a 421"),
            other => panic!("{other:?}"),
        }
        // Any other close is not questioned.
        assert_eq!(
            lost_on_odd_line(&original, &verdict(Oracle::ClosedWithout421)),
            None
        );
    }

    #[test]
    fn the_variant_replaces_only_the_odd_line() {
        let dialogue = Dialogue {
            login: true,
            ops: vec![Op::Cmd(Cmd::Pasv(None)), Op::UrgentAbort],
        };
        let at = |op, nth| OddLine {
            cmd: 0,
            op,
            nth,
            reached: 9,
        };
        let plain = with_noop(&dialogue, at(1, 0)).expect("in range");
        assert_eq!(
            plain.ops,
            vec![
                Op::Cmd(Cmd::Pasv(None)),
                Op::Cmd(Cmd::Noop),
                Op::Cmd(Cmd::Noop)
            ]
        );
        assert!(with_noop(&dialogue, at(2, 0)).is_none());
        assert!(with_noop(&dialogue, at(1, 1)).is_none());
        // The second line of a command whose bytes hold an LF (`PASS x\ny`): no variant can
        // replace it alone, and the campaign reports nothing.
        let pass = Dialogue {
            login: true,
            ops: vec![Op::Cmd(Cmd::Pass(Some(Small(b"x\ny".to_vec()))))],
        };
        assert!(with_noop(&pass, at(0, 1)).is_none());
        // What came after the last operation the original reached is left out.
        let longer = Dialogue {
            login: true,
            ops: vec![Op::Cmd(Cmd::Pasv(None)), Op::UrgentAbort, Op::UrgentAbort],
        };
        let cut = OddLine {
            reached: 0,
            ..at(0, 0)
        };
        assert_eq!(
            with_noop(&longer, cut).map(|d| d.ops),
            Some(vec![Op::Cmd(Cmd::Noop), Op::Cmd(Cmd::Noop)])
        );
        // Raw bytes of several lines (`PASV x\n4\n\r`, the third line ended by the next
        // operation): the raw line's command still goes first, NOOPs stand for the others.
        let raw = Dialogue {
            login: true,
            ops: vec![
                Op::Raw(ByteLine {
                    verb: Cmd::Pasv(None),
                    body: Small(b" x\n4".to_vec()),
                    ending: Ending::LfCr,
                }),
                Op::Cmd(Cmd::Pasv(None)),
            ],
        };
        let plain = with_noop(&raw, at(0, 2)).expect("raw lines");
        assert_eq!(
            plain.ops,
            vec![
                Op::Pipeline(vec![Cmd::Pasv(None), Cmd::Noop, Cmd::Noop]),
                Op::Cmd(Cmd::Pasv(None)),
                Op::Cmd(Cmd::Noop),
            ]
        );
        // In a pipeline only the line is replaced: the PASV before it is still sent.
        let piped = Dialogue {
            login: true,
            ops: vec![Op::Pipeline(vec![
                Cmd::Pasv(None),
                Cmd::Epsv(EpsvOp::Plain),
            ])],
        };
        let plain = with_noop(&piped, at(0, 1)).expect("in range");
        assert_eq!(
            plain.ops,
            vec![
                Op::Pipeline(vec![Cmd::Pasv(None), Cmd::Noop]),
                Op::Cmd(Cmd::Noop)
            ]
        );
    }
}
