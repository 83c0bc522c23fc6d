//! Minimisation: the smallest dialogue that still makes the *same* oracle fire with the *same*
//! signature — drop the operations after the violation; then delta debugging over the
//! operations (Zeller's ddmin: drop halves, then quarters, … then single operations, again
//! until nothing more can go), so that operations that only matter together go together; then
//! simpler forms of what is left (one command instead of a pipeline, a plain CRLF ending, no
//! second EPRT mutation, no login). Every candidate is run against the target, so the result is
//! what the server really does, within a budget of executions.

use crate::fuzz::exec::trace::{LOGIN_OP, Trace};
use crate::fuzz::exec::{ExecConfig, execute};
use crate::fuzz::input::bytes::{Ending, Small};
use crate::fuzz::input::dialogue::{Dialogue, Op};
use crate::fuzz::input::grammar::{EprtMut, EprtOp};
use crate::fuzz::input::ops::{ByteLine, Cmd, DataPlan, Transfer};
use crate::fuzz::judge::finding::{FindingKey, key};
use crate::fuzz::judge::oracle::{Violation, judge};

/// Most executions one minimisation may spend.
pub const BUDGET: usize = 128;

/// The result: the smallest dialogue found, its trace and its verdict.
#[derive(Debug, Clone)]
pub struct Minimised {
    pub dialogue: Dialogue,
    pub trace: Trace,
    pub verdict: Violation,
    /// Executions spent.
    pub runs: usize,
}

/// Minimises `dialogue`, whose execution gave `trace` and `verdict`.
pub async fn minimise(
    dialogue: &Dialogue,
    trace: Trace,
    verdict: Violation,
    cfg: &ExecConfig,
    budget: usize,
) -> Minimised {
    let want = key(&verdict);
    let mut best = Minimised {
        dialogue: dialogue.clone(),
        trace,
        verdict,
        runs: 0,
    };
    let op = best.trace.op_of_act(best.verdict.act);
    let keep = if op == LOGIN_OP { 0 } else { op + 1 };
    if keep < best.dialogue.ops.len() {
        let mut cut = best.dialogue.clone();
        cut.ops.truncate(keep);
        try_candidate(&mut best, cut, want, cfg).await;
    }
    ddmin(&mut best, want, cfg, budget).await;
    for i in 0..best.dialogue.ops.len() {
        for simpler in simpler_ops(&best.dialogue.ops[i]) {
            if best.runs >= budget {
                return best;
            }
            let mut candidate = best.dialogue.clone();
            candidate.ops[i] = simpler;
            if try_candidate(&mut best, candidate, want, cfg).await {
                break;
            }
        }
    }
    if best.dialogue.login && best.runs < budget {
        let mut candidate = best.dialogue.clone();
        candidate.login = false;
        try_candidate(&mut best, candidate, want, cfg).await;
    }
    best
}

/// Delta debugging over the operations: try dropping each of `n` chunks (the complement
/// keeps the rest); on success go on with the smaller dialogue at a coarser `n`, else refine
/// `n` up to single operations. Ends 1-minimal (no single operation can go) or at the budget.
async fn ddmin(best: &mut Minimised, want: FindingKey, cfg: &ExecConfig, budget: usize) {
    let mut n = 2usize;
    while best.runs < budget {
        let len = best.dialogue.ops.len();
        if len == 0 {
            return;
        }
        let n_now = n.min(len);
        let chunk = len.div_ceil(n_now);
        let mut dropped = false;
        // Later chunks first: the operations just before the violation are the likeliest to
        // matter, so they are the last to be tried.
        for start in (0..len).step_by(chunk).rev() {
            if best.runs >= budget {
                return;
            }
            let mut candidate = best.dialogue.clone();
            let end = (start + chunk).min(len);
            candidate.ops.drain(start..end);
            if try_candidate(best, candidate, want, cfg).await {
                dropped = true;
                break;
            }
        }
        if dropped {
            n = n_now.saturating_sub(1).max(2);
        } else if n_now < len {
            n = (2 * n_now).min(len);
        } else {
            return;
        }
    }
}

/// Runs `candidate`; keeps it when the same finding shows. Returns whether it was kept.
async fn try_candidate(
    best: &mut Minimised,
    candidate: Dialogue,
    want: FindingKey,
    cfg: &ExecConfig,
) -> bool {
    best.runs += 1;
    let trace = execute(&candidate, cfg).await;
    match judge(&trace) {
        Some(v) if key(&v) == want => {
            best.dialogue = candidate;
            best.trace = trace;
            best.verdict = v;
            true
        }
        _ => false,
    }
}

/// Simpler forms of one operation, simplest first.
pub fn simpler_ops(op: &Op) -> Vec<Op> {
    match op {
        Op::Pipeline(cmds) => {
            let mut out: Vec<Op> = cmds.iter().cloned().map(Op::Cmd).collect();
            if cmds.len() > 2 {
                out.push(Op::Pipeline(cmds[..cmds.len() - 1].to_vec()));
            }
            out
        }
        Op::Split { cmd, .. } => vec![Op::Cmd(cmd.clone())],
        Op::Overlong(o) => vec![Op::Cmd(o.verb.clone())],
        Op::Raw(raw) => {
            let mut out = vec![Op::Cmd(raw.verb.clone())];
            out.extend(simpler_raw(raw));
            out
        }
        Op::Transfer(t) if t.plan != DataPlan::Auto => vec![Op::Transfer(Transfer {
            kind: t.kind.clone(),
            plan: DataPlan::Auto,
        })],
        Op::Cmd(Cmd::Eprt(e)) if e.second.is_some() => {
            let mut one = e.clone();
            one.second = None;
            let mut other = e.clone();
            if let Some(second) = other.second.take() {
                other.first = second;
            }
            vec![Op::Cmd(Cmd::Eprt(one)), Op::Cmd(Cmd::Eprt(other))]
        }
        // A mutation the finding does not need goes too: an EPRT accepted after EPSV ALL is
        // the lockout's defect whether or not its argument was malformed.
        Op::Cmd(Cmd::Eprt(e)) if e.first != EprtMut::None => {
            vec![Op::Cmd(Cmd::Eprt(EprtOp {
                first: EprtMut::None,
                second: None,
            }))]
        }
        _ => Vec::new(),
    }
}

fn simpler_raw(raw: &ByteLine) -> Vec<Op> {
    let mut out = Vec::new();
    if raw.ending != Ending::CrLf {
        out.push(Op::Raw(ByteLine {
            ending: Ending::CrLf,
            ..raw.clone()
        }));
    }
    let body = &raw.body.0;
    if !body.is_empty() {
        out.push(Op::Raw(ByteLine {
            body: Small(Vec::new()),
            ..raw.clone()
        }));
        out.push(Op::Raw(ByteLine {
            body: Small(body[..body.len() / 2].to_vec()),
            ..raw.clone()
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simpler_forms_are_simpler() {
        let pipe = Op::Pipeline(vec![Cmd::Noop, Cmd::Feat, Cmd::Stat]);
        let s = simpler_ops(&pipe);
        assert_eq!(s[0], Op::Cmd(Cmd::Noop));
        assert_eq!(s.last(), Some(&Op::Pipeline(vec![Cmd::Noop, Cmd::Feat])));
        let eprt = Op::Cmd(Cmd::Eprt(EprtOp {
            first: EprtMut::Unterminated,
            second: Some(EprtMut::LowerCase),
        }));
        assert_eq!(simpler_ops(&eprt).len(), 2);
        let one = Op::Cmd(Cmd::Eprt(EprtOp {
            first: EprtMut::Unterminated,
            second: None,
        }));
        let plain = Op::Cmd(Cmd::Eprt(EprtOp {
            first: EprtMut::None,
            second: None,
        }));
        assert_eq!(simpler_ops(&one), vec![plain.clone()]);
        assert!(simpler_ops(&plain).is_empty());
        assert!(simpler_ops(&Op::Cmd(Cmd::Noop)).is_empty());
        let raw = Op::Raw(ByteLine {
            verb: Cmd::Noop,
            body: Small(b"abcd".to_vec()),
            ending: Ending::Cr,
        });
        assert_eq!(simpler_ops(&raw).len(), 4);
    }
}
