//! "The server died on this odd line" is a guess: the connection closed right after the line
//! went out, and the line before had its reply. A server may also have closed for reasons of
//! its own and the odd line merely came next — vsftpd 3.0.3 answers a PASV it cannot bind
//! (its passive range held by the campaign's other sessions) `500 OOPS: vsf_sysutil_bind`,
//! the next line `500 OOPS: priv_sock_get_int`, and closes, whatever comes after. ftpspec
//! reads such a close before sending on when it can (`Trace::closed_before`); when the close
//! came too late for that, the same dialogue with the odd line's operation made a plain NOOP
//! tells: lost there too, the line had nothing to do with it, and the finding is the close.

use crate::fuzz::exec::trace::{End, LOGIN_OP, Liveness, NoReply, Trace};
use crate::fuzz::input::dialogue::{Dialogue, Op};
use crate::fuzz::input::ops::Cmd;
use crate::fuzz::judge::oracle::{Oracle, Violation};

/// Where the line a silence verdict says the server died on came from: its operation, and
/// which of that operation's lines it was (a pipeline sends several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OddLine {
    pub op: usize,
    pub nth: usize,
}

/// The odd line of a silence verdict at a close after the line before was answered, the
/// server alive after it; `None` for every other verdict.
pub fn lost_on_odd_line(trace: &Trace, verdict: &Violation) -> Option<OddLine> {
    let End::NoReply {
        cmd,
        how: NoReply::ClosedAfterReply,
        liveness: Liveness::Alive,
        ..
    } = trace.end
    else {
        return None;
    };
    let op = trace.commands.get(cmd)?.op;
    let nth = trace.commands[..cmd].iter().filter(|c| c.op == op).count();
    (verdict.oracle == Oracle::Silence && op != LOGIN_OP).then_some(OddLine { op, nth })
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

/// What the NOOP variant says about the verdict: the close it found instead, when the
/// connection was lost there too; `None` when the NOOP was answered (the odd line made the
/// difference) or the variant went another way.
pub fn close_without_the_line(variant: Option<Violation>) -> Option<Violation> {
    variant.filter(|v| v.oracle == Oracle::ClosedWithout421)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::exec::trace::Exchange;
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
            Some(OddLine { op: 2, nth: 0 })
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
            Some(OddLine { op: 0, nth: 2 })
        );
    }

    #[test]
    fn the_variant_replaces_one_operation_and_decides_by_its_verdict() {
        let dialogue = Dialogue {
            login: true,
            ops: vec![Op::Cmd(Cmd::Pasv(None)), Op::UrgentAbort],
        };
        let at = |op, nth| OddLine { op, nth };
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
        let close = close_without_the_line(Some(verdict(Oracle::ClosedWithout421)));
        assert_eq!(close.map(|v| v.oracle), Some(Oracle::ClosedWithout421));
        assert!(close_without_the_line(Some(verdict(Oracle::Silence))).is_none());
        assert!(close_without_the_line(None).is_none());
    }
}
