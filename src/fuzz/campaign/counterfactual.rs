//! "The server died on this odd line" is a guess: the connection closed right after the line
//! went out, and the line before had its reply. A server may also have closed for reasons of
//! its own and the odd line merely came next — vsftpd 3.0.3 answers a PASV it cannot bind
//! (its passive range held by the campaign's other sessions) `500 OOPS: vsf_sysutil_bind`,
//! the next line `500 OOPS: priv_sock_get_int`, and closes, whatever comes after. ftpspec
//! reads such a close before sending on when it can (`Trace::closed_before`); when the close
//! came too late for that, the same dialogue with the odd line's operation made a plain NOOP
//! tells: lost there too, the line had nothing to do with it, and the finding is the close.

use crate::fuzz::exec::trace::{End, LOGIN_OP, Liveness, Trace};
use crate::fuzz::input::dialogue::{Dialogue, Op};
use crate::fuzz::input::ops::Cmd;
use crate::fuzz::judge::oracle::{Oracle, Violation, judge, lost_line};

/// Where the line a silence verdict says the server died on came from: its command in the
/// trace, its operation, and which of that operation's lines it was (a pipeline sends
/// several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OddLine {
    pub cmd: usize,
    pub op: usize,
    pub nth: usize,
}

/// The odd line of a silence verdict at a close after the line before was answered, the
/// server alive after it (see `oracle::lost_line`); `None` for every other verdict.
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
    if verdict.oracle != Oracle::Silence || how.is_silence() {
        return None;
    }
    let cmd = lost_line(trace, first_owed, how)?;
    let op = trace.commands.get(cmd)?.op;
    let nth = trace.commands[..cmd].iter().filter(|c| c.op == op).count();
    (op != LOGIN_OP).then_some(OddLine { cmd, op, nth })
}

/// The dialogue with that line made a plain NOOP: the operation's one line; the line of a
/// pipeline, the lines before it still sent; or, for raw bytes holding several lines (their
/// LFs), the raw line's own command followed by a NOOP for each later line up to the odd one
/// — which may also be an unfinished line that the next operation ended.
pub fn with_noop(dialogue: &Dialogue, line: OddLine) -> Option<Dialogue> {
    let mut plain = dialogue.clone();
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
    Some(plain)
}

/// Variants tried before a verdict that none could test is dropped.
pub const TRIES: usize = 3;

/// What a NOOP variant says about a silence verdict at an odd line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The NOOP got its 200 where the odd line got nothing: the line made the difference.
    LineToBlame,
    /// The connection was lost at the NOOP too: the finding is this close.
    CloseRegardless(Violation),
    /// The variant did not reach the NOOP as the dialogue reached the line — the line before,
    /// or any line of the operations before the odd line's, got other replies (what made the
    /// server close did not recur), or it ended earlier.
    Untested,
}

/// `line` is the odd line's command: the NOOP in its place must have its reply.
///
/// The variant tests the line only if it took the server down the same path up to it: every
/// line of the operations before the odd line's (the same lines in both) got the same reply
/// codes. vsftpd 3.0.3, its four passive ports held by the campaign's other jobs, answers a
/// `PASV` with `500 OOPS: vsf_sysutil_bind` and a second `500 OOPS`, and dies; a variant run
/// when a port was free got `227` there and went on — which blamed a NUL or a control byte
/// several lines later for a close the `PASV` caused.
pub fn decide(original: &Trace, variant: &Trace, line: usize) -> Decision {
    let End::NoReply { cmd, .. } = original.end else {
        return Decision::Untested;
    };
    let codes = |c: &crate::fuzz::exec::trace::Exchange| {
        c.replies.iter().map(|r| r.code).collect::<Vec<_>>()
    };
    let line_before = |t: &Trace| {
        cmd.checked_sub(1)
            .and_then(|i| t.commands.get(i))
            .map(codes)
    };
    let Some(expected) = line_before(original) else {
        return Decision::Untested;
    };
    if line_before(variant) != Some(expected) {
        return Decision::Untested;
    }
    let Some(odd_op) = original.commands.get(line).map(|c| c.op) else {
        return Decision::Untested;
    };
    let earlier_ops = |t: &Trace| {
        t.commands
            .iter()
            .filter(|c| c.op < odd_op)
            .map(codes)
            .collect::<Vec<_>>()
    };
    if earlier_ops(original) != earlier_ops(variant) {
        return Decision::Untested;
    }
    match variant.commands.get(line) {
        // NOOP's own 200 (RFC 959 §4.2.2, NOOP: 200): the session went on. Any other reply
        // may be a dying server's last words matched to it (vsftpd's second `500 OOPS`).
        Some(noop) if noop.replies.iter().any(|r| r.code.class() == 2) => Decision::LineToBlame,
        Some(noop) if !noop.replies.is_empty() => Decision::Untested,
        Some(_) => match judge(variant) {
            Some(v) if v.oracle == Oracle::ClosedWithout421 => Decision::CloseRegardless(v),
            _ => Decision::Untested,
        },
        None => Decision::Untested,
    }
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
        let mut trace = Trace::new(Values {
            client_ip: Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        });
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
                nth: 0
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
        trace.end = End::NoReply {
            cmd: 2,
            act: 0,
            how: NoReply::ClosedAfterReply,
            liveness: Liveness::Alive,
        };
        assert_eq!(
            lost_on_odd_line(&trace, &verdict(Oracle::Silence)),
            Some(OddLine {
                cmd: 2,
                op: 0,
                nth: 2
            })
        );
    }

    #[test]
    fn the_odd_line_may_come_after_the_command_first_owed() {
        // pyftpdlib: STOR got its 150; the line after it, `LIST xABOR\0` (an unfinished line
        // ended by the next operation), ended the session before the STOR's final reply.
        let mut trace = Trace::new(Values {
            client_ip: Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        });
        let seen = |code| crate::fuzz::exec::trace::Seen {
            code: crate::proto::ReplyCode(code),
            text: Vec::new(),
            act: 0,
            unparsed: None,
        };
        let mut eprt = exchange(0, b"EPRT |1|127.0.0.1|5000|");
        eprt.replies = vec![seen(200)];
        let mut stor = exchange(1, b"STOR f");
        stor.transfer = true;
        stor.replies = vec![seen(150)];
        trace.commands = vec![eprt, stor, exchange(2, b"LIST xABOR\0")];
        trace.end = End::NoReply {
            cmd: 1,
            act: 0,
            how: NoReply::ClosedAfterReply,
            liveness: Liveness::Alive,
        };
        let line = lost_on_odd_line(&trace, &verdict(Oracle::Silence)).expect("the NUL line");
        assert_eq!(
            line,
            OddLine {
                cmd: 2,
                op: 2,
                nth: 0
            }
        );
        // A reset (more was unread when the server went) questions the NUL line too.
        let mut reset = trace.clone();
        reset.end = End::NoReply {
            cmd: 1,
            act: 0,
            how: NoReply::Reset,
            liveness: Liveness::Alive,
        };
        assert_eq!(
            lost_on_odd_line(&reset, &verdict(Oracle::Silence)),
            Some(line)
        );
        // The NOOP in its place answered: the line is to blame, though the STOR's final reply
        // (owed longer) is missing in both.
        let mut answered = trace.clone();
        answered.commands[2] = exchange(2, b"NOOP");
        answered.commands[2].replies = vec![seen(200)];
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
        let mut trace = Trace::new(Values {
            client_ip: Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        });
        let mut pasv = exchange(0, b"PASV");
        pasv.replies = codes
            .iter()
            .map(|&c| crate::fuzz::exec::trace::Seen {
                code: crate::proto::ReplyCode(c),
                text: b"OOPS".to_vec(),
                act: 0,
                unparsed: None,
            })
            .collect();
        let mut last = exchange(1, b"NOOP");
        if last_replied {
            last.replies = vec![crate::fuzz::exec::trace::Seen {
                code: crate::proto::ReplyCode(200),
                text: Vec::new(),
                act: 0,
                unparsed: None,
            }];
        }
        trace.commands = vec![pasv, last];
        trace.end = match last_replied {
            true => End::Completed,
            false => End::NoReply {
                cmd: 1,
                act: 0,
                how: NoReply::ClosedAfterReply,
                liveness: Liveness::Alive,
            },
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
        // The NOOP's "reply" was the dying server's second `500 OOPS`: no sign it went on.
        let mut oops = lost_after(&[500, 500], true);
        oops.commands[1].replies[0].code = crate::proto::ReplyCode(500);
        assert_eq!(decide(&original, &oops, 1), Decision::Untested);
    }

    #[test]
    fn a_variant_that_took_another_path_earlier_tests_nothing() {
        // vsftpd, its passive ports held by other jobs: `500 OOPS` to PASV, a second `500 OOPS`
        // matched to the garbage line after it (which earns a 500 of its own anyway), then the
        // close before the NUL line. The variant's PASV got 227: the NUL line is not to blame.
        let seen = |code| crate::fuzz::exec::trace::Seen {
            code: crate::proto::ReplyCode(code),
            text: Vec::new(),
            act: 0,
            unparsed: None,
        };
        let trace = |pasv: u16, nul_answered: bool| {
            let mut t = Trace::new(Values {
                client_ip: Ipv4Addr::LOCALHOST.into(),
                data_port: 0,
            });
            let mut p = exchange(0, b"PASV");
            p.replies = vec![seen(pasv)];
            let mut garbage = exchange(1, b"EPRT x");
            garbage.replies = vec![seen(500)];
            let mut last = exchange(2, b"NOOP x\0");
            if nul_answered {
                last = exchange(2, b"NOOP");
                last.replies = vec![seen(200)];
            }
            t.commands = vec![p, garbage, last];
            t.end = End::NoReply {
                cmd: 2,
                act: 0,
                how: NoReply::ClosedAfterReply,
                liveness: Liveness::Alive,
            };
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

    #[test]
    fn the_variant_replaces_only_the_odd_line() {
        let dialogue = Dialogue {
            login: true,
            ops: vec![Op::Cmd(Cmd::Pasv(None)), Op::UrgentAbort],
        };
        let at = |op, nth| OddLine { cmd: 0, op, nth };
        let plain = with_noop(&dialogue, at(1, 0)).expect("in range");
        assert_eq!(
            plain.ops,
            vec![Op::Cmd(Cmd::Pasv(None)), Op::Cmd(Cmd::Noop)]
        );
        assert!(with_noop(&dialogue, at(2, 0)).is_none());
        assert!(with_noop(&dialogue, at(1, 1)).is_none());
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
            vec![Op::Pipeline(vec![Cmd::Pasv(None), Cmd::Noop])]
        );
    }
}
