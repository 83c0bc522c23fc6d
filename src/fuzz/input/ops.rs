//! The operations of a dialogue: command lines (typed and raw), transfers with a data plan,
//! the urgent ABOR, pipelining, and data-connection actions.
//!
//! Each command renders to one [`Line`] without its CRLF. Choices are weighted (see
//! [`Cmd::arbitrary`]): the data-setup commands the suites care most about (EPRT, EPSV, PORT,
//! PASV) come up most often.

use crate::fuzz::input::bytes::{Ending, Small, Word};
use crate::fuzz::input::grammar::{EprtOp, EpsvOp, PortOp, small_line};
use crate::fuzz::input::line::Line;
use crate::fuzz::input::security::{AuthArg, PbszArg, ProtArg, auth_line, pbsz_line, prot_line};
use arbitrary::{Arbitrary, Result, Unstructured};

/// Longest over-long line generated, in bytes (several times a typical server limit: the
/// reference server's is 2048).
pub const MAX_OVERLONG: usize = 16 * 1024;
/// Most commands in one pipelined write.
pub const MAX_PIPELINE: usize = 4;

/// One command line, sent with CRLF.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cmd {
    Eprt(EprtOp),
    Epsv(EpsvOp),
    Port(PortOp),
    /// `PASV`, or `PASV <junk>` (RFC 959: PASV takes no argument).
    Pasv(Option<Word>),
    /// `LPRT 4,4,127,0,0,1,2,p1,p2`-like (RFC 1639), refused after `EPSV ALL`.
    Lprt,
    Lpsv,
    /// Plain `ABOR` (RFC 959 §4.1.3).
    Abor,
    Rest(RestArg),
    Type(TypeArg),
    User(UserArg),
    /// `PASS` with the anonymous password, or junk.
    Pass(Option<Small>),
    Rein,
    Noop,
    Feat,
    Stat,
    /// A transfer verb sent as a plain line, without preparing a data connection.
    BareTransfer(TransferCmd),
    /// The security exchange of RFC 2228 §3 / RFC 4217 (see `input::security`).
    Auth(AuthArg),
    Pbsz(PbszArg),
    Prot(ProtArg),
    /// `CCC`: the control connection back in the clear (RFC 4217 §6).
    Ccc,
}

/// REST arguments (RFC 959 §4.1.3, RFC 3659 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum RestArg {
    Number(u32),
    Zero,
    Negative,
    Garbage(Word),
    Missing,
}

/// TYPE arguments (RFC 959 §3.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum TypeArg {
    I,
    A,
    AN,
    L8,
    E,
    Garbage(Word),
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum UserArg {
    Anonymous,
    Ftp,
    Garbage(Word),
    Missing,
}

/// What a transfer moves (RFC 959 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum TransferCmd {
    Retr(PathArg),
    Stor(PathArg),
    List(Option<PathArg>),
    Nlst,
}

impl TransferCmd {
    pub fn render(&self) -> Line {
        match self {
            TransferCmd::Retr(p) => path_line("RETR", Some(p)),
            TransferCmd::Stor(p) => path_line("STOR", Some(p)),
            TransferCmd::List(p) => path_line("LIST", p.as_ref()),
            TransferCmd::Nlst => Line::lit("NLST"),
        }
    }

    /// True for STOR: ftpspec sends, the server reads until EOF.
    pub fn uploads(&self) -> bool {
        matches!(self, TransferCmd::Stor(_))
    }
}

/// Paths: the reference server's small file, a missing one, an upload name, odd ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum PathArg {
    Hello,
    Missing,
    Upload,
    Root,
    Traversal,
    Garbage(Word),
}

/// `VERB path`. A STOR writes only the fuzzer's own names, and a traversal probe names a file
/// of its own one level up, never one that may exist (see `input::safety`): reading
/// `../../../etc/passwd` would exfiltrate, writing it would destroy.
fn path_line(verb: &str, path: Option<&PathArg>) -> Line {
    use crate::fuzz::input::safety::{traversal_name, upload_name};
    let mut line = Line::lit(verb);
    let Some(path) = path else { return line };
    line.push_lit(" ");
    let writes = verb == "STOR";
    let name: Vec<u8> = match path {
        PathArg::Traversal => traversal_name(),
        PathArg::Upload => upload_name(b".bin"),
        PathArg::Hello if writes => upload_name(b"-hello.txt"),
        PathArg::Missing if writes => upload_name(b"-missing.txt"),
        PathArg::Root if writes => upload_name(b"-root"),
        PathArg::Garbage(w) if writes => upload_name(&[b"-", &w.0[..]].concat()),
        PathArg::Hello => b"hello.txt".to_vec(),
        PathArg::Missing => b"no-such-file.txt".to_vec(),
        PathArg::Root => b"/".to_vec(),
        PathArg::Garbage(w) => w.0.clone(),
    };
    line.push_lit(name);
    line
}

/// What ftpspec does with the data connection of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataPlan {
    /// Open the data connection the last PASV/EPSV (or EPRT/PORT) set up, then read to EOF
    /// (or, for STOR, write a few bytes and close), then read the final reply.
    Auto,
    /// Send the command and go on: replies are read with the next command (ABOR during a
    /// transfer, commands queued behind one).
    Stall,
    /// Open the data connection, then close it as soon as the transfer starts.
    CloseEarly,
}

/// A transfer command and its data plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub struct Transfer {
    pub kind: TransferCmd,
    pub plan: DataPlan,
}

impl<'a> Arbitrary<'a> for DataPlan {
    /// Weighted: Auto 4, CloseEarly 1, Stall 1 — a stalled transfer often ends a dialogue in a
    /// wait that cannot be judged, so it comes up rarely.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match pick(u, &[4, 1, 1])? {
            0 => DataPlan::Auto,
            1 => DataPlan::CloseEarly,
            _ => DataPlan::Stall,
        })
    }
}

impl<'a> Arbitrary<'a> for Cmd {
    /// Weighted: EPRT 8, EPSV 4, PORT 3, PASV 2, the rest 1 each.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        const WEIGHTS: [u32; 20] = [8, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        Ok(match pick(u, &WEIGHTS)? {
            0 => Cmd::Eprt(u.arbitrary()?),
            1 => Cmd::Epsv(u.arbitrary()?),
            2 => Cmd::Port(u.arbitrary()?),
            3 => Cmd::Pasv(u.arbitrary()?),
            4 => Cmd::Lprt,
            5 => Cmd::Lpsv,
            6 => Cmd::Abor,
            7 => Cmd::Rest(u.arbitrary()?),
            8 => Cmd::Type(u.arbitrary()?),
            9 => Cmd::User(u.arbitrary()?),
            10 => Cmd::Pass(u.arbitrary()?),
            11 => Cmd::Rein,
            12 => Cmd::Noop,
            13 => Cmd::Feat,
            14 => Cmd::Stat,
            15 => Cmd::BareTransfer(u.arbitrary()?),
            16 => Cmd::Auth(u.arbitrary()?),
            17 => Cmd::Pbsz(u.arbitrary()?),
            18 => Cmd::Prot(u.arbitrary()?),
            _ => Cmd::Ccc,
        })
    }
}

/// An index into `weights`, chosen in proportion to them. An exhausted input picks 0.
pub fn pick(u: &mut Unstructured<'_>, weights: &[u32]) -> Result<usize> {
    let total: u32 = weights.iter().sum();
    let mut n = u.int_in_range(0..=total.saturating_sub(1))?;
    for (i, w) in weights.iter().enumerate() {
        if n < *w {
            return Ok(i);
        }
        n -= w;
    }
    Ok(weights.len().saturating_sub(1))
}

impl Cmd {
    pub fn render(&self) -> Line {
        match self {
            Cmd::Eprt(op) => op.render(),
            Cmd::Epsv(op) => op.render(),
            Cmd::Port(op) => op.render(),
            Cmd::Pasv(None) => Line::lit("PASV"),
            Cmd::Pasv(Some(w)) => {
                let mut l = Line::lit("PASV ");
                l.push_lit(&w.0);
                l
            }
            Cmd::Lprt => {
                let mut l = Line::lit("LPRT 4,4,");
                l.push_var(crate::fuzz::input::line::Var::ClientIpCommas)
                    .push_lit(",2,")
                    .push_var(crate::fuzz::input::line::Var::DataPortCommas);
                l
            }
            Cmd::Lpsv => Line::lit("LPSV"),
            Cmd::Abor => Line::lit("ABOR"),
            Cmd::Rest(arg) => rest_line(arg),
            Cmd::Type(arg) => type_line(arg),
            Cmd::User(arg) => user_line(arg),
            Cmd::Pass(None) => Line::lit("PASS ftpspec@example.com"),
            Cmd::Pass(Some(s)) => small_line("PASS", Some(s)),
            Cmd::Rein => Line::lit("REIN"),
            Cmd::Noop => Line::lit("NOOP"),
            Cmd::Feat => Line::lit("FEAT"),
            Cmd::Stat => Line::lit("STAT"),
            Cmd::BareTransfer(kind) => kind.render(),
            Cmd::Auth(arg) => auth_line(arg),
            Cmd::Pbsz(arg) => pbsz_line(arg),
            Cmd::Prot(arg) => prot_line(arg),
            Cmd::Ccc => Line::lit("CCC"),
        }
    }
}

fn rest_line(arg: &RestArg) -> Line {
    let mut l = Line::lit("REST");
    match arg {
        RestArg::Number(n) => l.push_lit(format!(" {}", n % 100_000)),
        RestArg::Zero => l.push_lit(" 0"),
        RestArg::Negative => l.push_lit(" -1"),
        RestArg::Garbage(w) => l.push_lit(" ").push_lit(&w.0),
        RestArg::Missing => &mut l,
    };
    l
}

fn type_line(arg: &TypeArg) -> Line {
    let text: &[u8] = match arg {
        TypeArg::I => b"TYPE I",
        TypeArg::A => b"TYPE A",
        TypeArg::AN => b"TYPE A N",
        TypeArg::L8 => b"TYPE L 8",
        TypeArg::E => b"TYPE E",
        TypeArg::Missing => b"TYPE",
        TypeArg::Garbage(w) => {
            let mut l = Line::lit("TYPE ");
            l.push_lit(&w.0);
            return l;
        }
    };
    Line::lit(text)
}

fn user_line(arg: &UserArg) -> Line {
    match arg {
        UserArg::Anonymous => Line::lit("USER anonymous"),
        UserArg::Ftp => Line::lit("USER ftp"),
        UserArg::Garbage(w) => {
            let mut l = Line::lit("USER ");
            l.push_lit(&w.0);
            l
        }
        UserArg::Missing => Line::lit("USER"),
    }
}

/// A line of raw bytes: a verb, a separator, any bytes, an ending — CR, LF and NUL may appear
/// anywhere, and the ending may be missing (the next write then continues the line).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub struct ByteLine {
    pub verb: Cmd,
    pub body: Small,
    pub ending: Ending,
}

impl ByteLine {
    /// The bytes: the verb of a typed command, then `body`, then the ending.
    pub fn render(&self) -> Line {
        let mut line = self.verb.render();
        line.push_lit(&self.body.0).push_lit(self.ending.bytes());
        line
    }
}

/// An over-long line: a verb and `len` filler bytes, then CRLF (RFC 959 §4.2 still wants a
/// reply: 500, or 421 and a close).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub struct Overlong {
    pub verb: Cmd,
    pub len: OverlongLen,
    pub fill: u8,
}

/// Lengths around common limits, or any length up to [`MAX_OVERLONG`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum OverlongLen {
    Around512(u8),
    Around2048(u8),
    Around4096(u8),
    Any(u16),
}

impl Overlong {
    pub fn render(&self) -> Line {
        let len = match self.len {
            OverlongLen::Around512(d) => 500 + usize::from(d % 24),
            OverlongLen::Around2048(d) => 2040 + usize::from(d % 16),
            OverlongLen::Around4096(d) => 4088 + usize::from(d % 16),
            OverlongLen::Any(n) => usize::from(n) % MAX_OVERLONG,
        };
        // Filler stays printable and off the line end, so the length is what the server sees.
        let fill = 33 + self.fill % 94;
        let mut line = self.verb.render();
        line.push_lit(" ").push_lit(vec![fill; len]);
        line
    }
}
