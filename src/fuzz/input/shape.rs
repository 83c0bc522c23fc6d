//! The shape of the dialogues a campaign generates: the whole grammar (the default), or a
//! focus — only some verbs, at most a few operations.
//!
//! A focus is what a server author fixing one command wants (`--only eprt`: every operation is
//! an EPRT line — typed, raw, over-long or split across writes), and what makes a campaign
//! comparable with a tool that fuzzes one fixed dialogue shape (`--only eprt --max-ops 1`:
//! connect, log in, one EPRT, QUIT — the shape of boofuzz's FTP session and of a login flood).

use crate::fuzz::input::bytes::{Ending, Small};
use crate::fuzz::input::dialogue::{Dialogue, MAX_INPUT, MAX_OPS, Op};
use crate::fuzz::input::ops::{ByteLine, Cmd, Overlong, pick};
use arbitrary::{Arbitrary, Result, Unstructured};

/// A verb a focused campaign may send (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Eprt,
    Epsv,
    Port,
    Pasv,
    Lprt,
    Lpsv,
    Abor,
    Rest,
    Type,
    User,
    Pass,
    Rein,
    Noop,
    Feat,
    Stat,
    Auth,
    Pbsz,
    Prot,
    Ccc,
}

impl Verb {
    /// Every verb, in the order `--help` lists them.
    pub const ALL: [Verb; 19] = [
        Verb::Eprt,
        Verb::Epsv,
        Verb::Port,
        Verb::Pasv,
        Verb::Lprt,
        Verb::Lpsv,
        Verb::Abor,
        Verb::Rest,
        Verb::Type,
        Verb::User,
        Verb::Pass,
        Verb::Rein,
        Verb::Noop,
        Verb::Feat,
        Verb::Stat,
        Verb::Auth,
        Verb::Pbsz,
        Verb::Prot,
        Verb::Ccc,
    ];

    /// The name on the command line: the verb in lower case (`eprt`).
    pub fn name(self) -> &'static str {
        match self {
            Verb::Eprt => "eprt",
            Verb::Epsv => "epsv",
            Verb::Port => "port",
            Verb::Pasv => "pasv",
            Verb::Lprt => "lprt",
            Verb::Lpsv => "lpsv",
            Verb::Abor => "abor",
            Verb::Rest => "rest",
            Verb::Type => "type",
            Verb::User => "user",
            Verb::Pass => "pass",
            Verb::Rein => "rein",
            Verb::Noop => "noop",
            Verb::Feat => "feat",
            Verb::Stat => "stat",
            Verb::Auth => "auth",
            Verb::Pbsz => "pbsz",
            Verb::Prot => "prot",
            Verb::Ccc => "ccc",
        }
    }
}

/// What a campaign's dialogues may contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Most operations after the login, 1 to [`MAX_OPS`].
    pub max_ops: usize,
    /// Only command lines with these verbs; empty: the whole grammar (transfers, data
    /// actions, the urgent ABOR, every verb). A focused dialogue always logs in.
    pub only: Vec<Verb>,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            max_ops: MAX_OPS,
            only: Vec::new(),
        }
    }
}

impl Shape {
    /// Decodes any bytes (at most [`MAX_INPUT`] are looked at) into a dialogue of this shape.
    pub fn decode(&self, input: &[u8]) -> Dialogue {
        self.decode_spans(input).0
    }

    /// Decodes `input` and says where each operation's bytes start (see
    /// [`repeat_op`](crate::fuzz::input::mutate::repeat_op)).
    pub fn decode_spans(&self, input: &[u8]) -> (Dialogue, Vec<usize>) {
        let input = &input[..input.len().min(MAX_INPUT)];
        let mut u = Unstructured::new(input);
        // Mostly logged in: almost everything interesting needs it. The first byte's low bits
        // choose, so an empty input logs in.
        let login = u.int_in_range(0u8..=7).map(|n| n != 7).unwrap_or(true);
        let max = self.max_ops.clamp(1, MAX_OPS);
        let mut ops = Vec::new();
        let mut starts = Vec::new();
        while ops.len() < max && !u.is_empty() {
            let start = input.len() - u.len();
            let op = match self.only.is_empty() {
                true => Op::arbitrary(&mut u),
                false => focused_op(&mut u, &self.only),
            };
            match op {
                Ok(op) => {
                    ops.push(op);
                    starts.push(start);
                }
                Err(_) => break,
            }
        }
        let dialogue = Dialogue {
            login: login || !self.only.is_empty(),
            ops,
        };
        (dialogue, starts)
    }

    /// A one-line description for the campaign banner.
    pub fn describe(&self) -> String {
        let verbs = match self.only.is_empty() {
            true => "the whole grammar".to_string(),
            false => {
                let names: Vec<String> = self.only.iter().map(|v| v.command().into()).collect();
                format!("only {}", names.join(", "))
            }
        };
        format!(
            "{verbs}, at most {} operations",
            self.max_ops.clamp(1, MAX_OPS)
        )
    }
}

/// One line with a focused verb: typed 8, raw 2, over-long 1, split across writes 1.
fn focused_op(u: &mut Unstructured<'_>, verbs: &[Verb]) -> Result<Op> {
    let cmd = focused_cmd(u, verbs)?;
    Ok(match pick(u, &[8, 2, 1, 1])? {
        0 => Op::Cmd(cmd),
        1 => Op::Raw(ByteLine {
            verb: cmd,
            body: Small::arbitrary(u)?,
            ending: Ending::arbitrary(u)?,
        }),
        2 => Op::Overlong(Overlong {
            verb: cmd,
            len: u.arbitrary()?,
            fill: u.arbitrary()?,
        }),
        _ => Op::Split {
            cmd,
            at: u.arbitrary()?,
        },
    })
}

fn focused_cmd(u: &mut Unstructured<'_>, verbs: &[Verb]) -> Result<Cmd> {
    let verb = verbs[u.choose_index(verbs.len())?];
    Ok(match verb {
        Verb::Eprt => Cmd::Eprt(u.arbitrary()?),
        Verb::Epsv => Cmd::Epsv(u.arbitrary()?),
        Verb::Port => Cmd::Port(u.arbitrary()?),
        Verb::Pasv => Cmd::Pasv(u.arbitrary()?),
        Verb::Lprt => Cmd::Lprt,
        Verb::Lpsv => Cmd::Lpsv,
        Verb::Abor => Cmd::Abor,
        Verb::Rest => Cmd::Rest(u.arbitrary()?),
        Verb::Type => Cmd::Type(u.arbitrary()?),
        Verb::User => Cmd::User(u.arbitrary()?),
        Verb::Pass => Cmd::Pass(u.arbitrary()?),
        Verb::Rein => Cmd::Rein,
        Verb::Noop => Cmd::Noop,
        Verb::Feat => Cmd::Feat,
        Verb::Stat => Cmd::Stat,
        Verb::Auth => Cmd::Auth(u.arbitrary()?),
        Verb::Pbsz => Cmd::Pbsz(u.arbitrary()?),
        Verb::Prot => Cmd::Prot(u.arbitrary()?),
        Verb::Ccc => Cmd::Ccc,
    })
}

impl Verb {
    /// The command as sent.
    pub fn command(self) -> &'static str {
        match self {
            Verb::Eprt => "EPRT",
            Verb::Epsv => "EPSV",
            Verb::Port => "PORT",
            Verb::Pasv => "PASV",
            Verb::Lprt => "LPRT",
            Verb::Lpsv => "LPSV",
            Verb::Abor => "ABOR",
            Verb::Rest => "REST",
            Verb::Type => "TYPE",
            Verb::User => "USER",
            Verb::Pass => "PASS",
            Verb::Rein => "REIN",
            Verb::Noop => "NOOP",
            Verb::Feat => "FEAT",
            Verb::Stat => "STAT",
            Verb::Auth => "AUTH",
            Verb::Pbsz => "PBSZ",
            Verb::Prot => "PROT",
            Verb::Ccc => "CCC",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::mutate::{Rng, fresh};

    fn inputs() -> impl Iterator<Item = Vec<u8>> {
        let mut rng = Rng::new(11);
        (0..300).map(move |_| fresh(&mut rng))
    }

    #[test]
    fn the_default_shape_is_the_whole_grammar() {
        for input in inputs() {
            assert_eq!(Shape::default().decode(&input), Dialogue::decode(&input));
        }
    }

    #[test]
    fn a_focus_sends_only_its_verbs_after_a_login() {
        let shape = Shape {
            max_ops: 3,
            only: vec![Verb::Eprt],
        };
        let mut forms = std::collections::HashSet::new();
        for input in inputs() {
            let d = shape.decode(&input);
            assert!(d.login);
            assert!(d.ops.len() <= 3);
            for op in &d.ops {
                let cmd = match op {
                    Op::Cmd(c) | Op::Split { cmd: c, .. } => c,
                    Op::Raw(r) => &r.verb,
                    Op::Overlong(o) => &o.verb,
                    other => panic!("{other:?} is not an EPRT line"),
                };
                assert!(matches!(cmd, Cmd::Eprt(_)), "{cmd:?}");
                forms.insert(std::mem::discriminant(op));
            }
        }
        assert_eq!(
            forms.len(),
            4,
            "typed, raw, over-long and split lines all occur"
        );
    }

    #[test]
    fn max_ops_bounds_every_dialogue() {
        let shape = Shape {
            max_ops: 1,
            only: Vec::new(),
        };
        let longest = inputs().map(|i| shape.decode(&i).ops.len()).max();
        assert_eq!(longest, Some(1));
    }
}
