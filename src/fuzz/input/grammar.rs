//! Grammar-aware arguments of the data-setup commands: a valid argument with one or two fields
//! mutated. Most of the server's parsing code is reached by arguments that are *almost* right,
//! so the first variant of every mutation enum is "leave it valid" (and an exhausted input
//! decodes to that variant).
//!
//! - EPRT (RFC 2428 §2): `EPRT |${client.netprt}|${client.ip}|${data.port}|`.
//! - PORT (RFC 959 §4.1.2): `PORT h1,h2,h3,h4,p1,p2` naming ftpspec's listener.
//! - EPSV (RFC 2428 §3): none, `ALL`, `<net-prt>`, garbage.

use crate::fuzz::input::bytes::{IllegalByte, Small, Word, decimal};
use crate::fuzz::input::line::{Line, Var};
use arbitrary::Arbitrary;

/// The third-party address of a bounce (RFC 2577 §3), on loopback so tests stay local.
pub const FOREIGN_V4: &str = "127.0.0.2";

/// An EPRT argument: valid, then up to two mutations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub struct EprtOp {
    pub first: EprtMut,
    pub second: Option<EprtMut>,
}

/// One change to a valid EPRT argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum EprtMut {
    None,
    /// A delimiter outside ASCII 33–126 ("MUST be one of the ASCII characters in range 33-126").
    IllegalDelimiter(IllegalByte),
    /// Another legal delimiter (33–126): `!`, `#`, but also digits and `.` that clash with fields.
    LegalDelimiter(u8),
    /// The closing delimiter differs from the others.
    MismatchedDelimiter(u8),
    NetPrt(NetPrtMut),
    Address(AddrMut),
    Port(PortMut),
    /// No closing delimiter.
    Unterminated,
    /// Bytes after the closing delimiter.
    Trailing(Word),
    /// `EPRT` alone.
    NoArgument,
    /// Two spaces after the verb.
    DoubleSpace,
    /// `eprt` in lower case (RFC 959 §5.3: commands are case-insensitive, so this is valid).
    LowerCase,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum NetPrtMut {
    /// The other family (1 ↔ 2).
    OtherFamily,
    /// 3–255: unsupported (RFC 2428 §2: 522 with the list).
    Unsupported(u8),
    Empty,
    NonNumeric(Word),
    Huge,
    LeadingZero,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum AddrMut {
    /// 127.0.0.2: a third party (RFC 2577 §3).
    Foreign,
    Empty,
    OutOfRange,
    ThreeOctets,
    Hostname,
    Ipv6Loopback,
    V4Mapped,
    LeadingZeros,
    TrailingDot,
    Garbage(Word),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum PortMut {
    Zero,
    Over,
    Negative,
    Empty,
    Huge,
    NonNumeric(Word),
    /// Any number 1–65535 (a port nobody listens on, usually).
    Number(u16),
    /// 1–1023 (RFC 2577 §3: servers should refuse privileged ports).
    Privileged(u16),
    LeadingSpace,
}

/// The fields of an EPRT argument before it is rendered.
struct EprtFields {
    verb: &'static str,
    sep: &'static [u8],
    delims: [u8; 4],
    net: Line,
    addr: Line,
    port: Line,
    unterminated: bool,
    trailing: Vec<u8>,
    no_arg: bool,
}

impl EprtOp {
    pub fn render(&self) -> Line {
        let mut f = EprtFields {
            verb: "EPRT",
            sep: b" ",
            delims: [b'|'; 4],
            net: var_line(Var::ClientNetPrt),
            addr: var_line(Var::ClientIp),
            port: var_line(Var::DataPort),
            unterminated: false,
            trailing: Vec::new(),
            no_arg: false,
        };
        apply_eprt(&mut f, &self.first);
        if let Some(m) = &self.second {
            apply_eprt(&mut f, m);
        }
        let mut line = Line::lit(f.verb);
        if f.no_arg {
            return line;
        }
        line.push_lit(f.sep);
        let fields = [&f.net, &f.addr, &f.port];
        for (d, field) in f.delims.iter().zip(fields) {
            line.push_lit([*d]).push_line(field);
        }
        if !f.unterminated {
            line.push_lit([f.delims[3]]);
        }
        line.push_lit(&f.trailing);
        line
    }
}

fn var_line(v: Var) -> Line {
    let mut line = Line::default();
    line.push_var(v);
    line
}

fn apply_eprt(f: &mut EprtFields, m: &EprtMut) {
    match m {
        EprtMut::None => {}
        EprtMut::IllegalDelimiter(b) => f.delims = [b.byte(); 4],
        EprtMut::LegalDelimiter(b) => f.delims = [33 + b % 94; 4],
        EprtMut::MismatchedDelimiter(b) => f.delims[3] = 33 + (b % 93) + u8::from(b % 93 >= 91),
        EprtMut::NetPrt(n) => f.net = net_prt(n),
        EprtMut::Address(a) => {
            if *a == AddrMut::Foreign {
                f.net = Line::lit("1");
            }
            f.addr = address(a)
        }
        EprtMut::Port(p) => f.port = port(p),
        EprtMut::Unterminated => f.unterminated = true,
        EprtMut::Trailing(w) => f.trailing = w.0.clone(),
        EprtMut::NoArgument => f.no_arg = true,
        EprtMut::DoubleSpace => f.sep = b"  ",
        EprtMut::LowerCase => f.verb = "eprt",
    }
}

fn net_prt(m: &NetPrtMut) -> Line {
    match m {
        // The other family is rendered as a fixed number: which one depends on the connection,
        // and `2` on IPv4 (or `1` on IPv6) is a mismatch either way unless the address follows.
        NetPrtMut::OtherFamily => Line::lit("2"),
        NetPrtMut::Unsupported(n) => Line::lit(decimal(3 + u16::from(*n) % 253)),
        NetPrtMut::Empty => Line::default(),
        NetPrtMut::NonNumeric(w) => Line::lit(&w.0),
        NetPrtMut::Huge => Line::lit("99999999999999999999"),
        NetPrtMut::LeadingZero => {
            let mut l = Line::lit("0");
            l.push_var(Var::ClientNetPrt);
            l
        }
    }
}

fn address(m: &AddrMut) -> Line {
    match m {
        AddrMut::Foreign => Line::lit(FOREIGN_V4),
        AddrMut::Empty => Line::default(),
        AddrMut::OutOfRange => Line::lit("256.0.0.1"),
        AddrMut::ThreeOctets => Line::lit("127.0.1"),
        AddrMut::Hostname => Line::lit("localhost"),
        AddrMut::Ipv6Loopback => Line::lit("::1"),
        AddrMut::V4Mapped => Line::lit("::ffff:127.0.0.1"),
        AddrMut::LeadingZeros => Line::lit("127.000.000.001"),
        AddrMut::TrailingDot => {
            let mut l = var_line(Var::ClientIp);
            l.push_lit(".");
            l
        }
        AddrMut::Garbage(w) => Line::lit(&w.0),
    }
}

fn port(m: &PortMut) -> Line {
    match m {
        PortMut::Zero => Line::lit("0"),
        PortMut::Over => Line::lit("65536"),
        PortMut::Negative => Line::lit("-1"),
        PortMut::Empty => Line::default(),
        PortMut::Huge => Line::lit("99999999999999999999"),
        PortMut::NonNumeric(w) => Line::lit(&w.0),
        PortMut::Number(n) => Line::lit(decimal((*n).max(1))),
        PortMut::Privileged(n) => Line::lit(decimal(1 + n % 1023)),
        PortMut::LeadingSpace => {
            let mut l = Line::lit(" ");
            l.push_var(Var::DataPort);
            l
        }
    }
}

/// A PORT argument `h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2): ftpspec's address and listener, then
/// one change.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum PortOp {
    Valid,
    /// 127,0,0,2: a third party (RFC 2577 §3).
    Foreign,
    FiveNumbers,
    SevenNumbers,
    NumberOver255,
    NonNumeric(Word),
    NoArgument,
    Spaces,
    /// A port 1–1023 (RFC 2577 §3).
    Privileged(u8),
    PortZero,
    Trailing(Word),
}

impl PortOp {
    pub fn render(&self) -> Line {
        let mut line = Line::lit("PORT ");
        let own = |line: &mut Line| {
            line.push_var(Var::ClientIpCommas)
                .push_lit(",")
                .push_var(Var::DataPortCommas);
        };
        match self {
            PortOp::Valid => own(&mut line),
            PortOp::Foreign => {
                line.push_lit("127,0,0,2,").push_var(Var::DataPortCommas);
            }
            PortOp::FiveNumbers => {
                line.push_var(Var::ClientIpCommas).push_lit(",4");
            }
            PortOp::SevenNumbers => {
                own(&mut line);
                line.push_lit(",1");
            }
            PortOp::NumberOver255 => {
                line.push_lit("127,0,0,256,").push_var(Var::DataPortCommas);
            }
            PortOp::NonNumeric(w) => {
                line.push_lit(&w.0);
            }
            PortOp::NoArgument => return Line::lit("PORT"),
            PortOp::Spaces => {
                line.push_lit("127, 0, 0, 1, 4, 1");
            }
            PortOp::Privileged(p) => {
                let p = 1 + u16::from(*p) % 1023;
                line.push_var(Var::ClientIpCommas)
                    .push_lit(format!(",{},{}", p >> 8, p & 0xff));
            }
            PortOp::PortZero => {
                line.push_var(Var::ClientIpCommas).push_lit(",0,0");
            }
            PortOp::Trailing(w) => {
                own(&mut line);
                line.push_lit(&w.0);
            }
        }
        line
    }
}

/// An EPSV argument (RFC 2428 §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum EpsvOp {
    Plain,
    All,
    /// `epsv all`: RFC 959 §5.3, commands and keywords are case-insensitive.
    AllLowerCase,
    SameFamily,
    OtherFamily,
    Unsupported(u8),
    Garbage(Word),
    /// `EPSV ALL ` with a trailing space.
    AllTrailingSpace,
}

impl EpsvOp {
    pub fn render(&self) -> Line {
        let mut line = Line::lit("EPSV");
        match self {
            EpsvOp::Plain => {}
            EpsvOp::All => {
                line.push_lit(" ALL");
            }
            EpsvOp::AllLowerCase => return Line::lit("epsv all"),
            EpsvOp::SameFamily => {
                line.push_lit(" ").push_var(Var::ClientNetPrt);
            }
            EpsvOp::OtherFamily => {
                line.push_lit(" 2");
            }
            EpsvOp::Unsupported(n) => {
                line.push_lit(" ")
                    .push_lit(decimal(3 + u16::from(*n) % 253));
            }
            EpsvOp::Garbage(w) => {
                line.push_lit(" ").push_lit(&w.0);
            }
            EpsvOp::AllTrailingSpace => {
                line.push_lit(" ALL ");
            }
        }
        line
    }
}

/// Bytes for a few generic arguments (REST, TYPE, USER, paths).
pub fn small_line(verb: &str, arg: Option<&Small>) -> Line {
    let mut line = Line::lit(verb);
    if let Some(a) = arg {
        line.push_lit(" ").push_lit(&a.0);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::line::Values;
    use crate::proto::EprtArg;

    fn values() -> Values {
        Values {
            client_ip: "127.0.0.1".parse().unwrap(),
            data_port: 6446,
        }
    }

    #[test]
    fn unmutated_eprt_is_valid() {
        let op = EprtOp {
            first: EprtMut::None,
            second: None,
        };
        let bytes = op.render().render(&values());
        assert_eq!(bytes, b"EPRT |1|127.0.0.1|6446|");
        assert!(EprtArg::parse(&bytes[5..]).is_ok());
    }

    #[test]
    fn mutations_break_the_argument() {
        let op = EprtOp {
            first: EprtMut::IllegalDelimiter(IllegalByte::Del),
            second: None,
        };
        let bytes = op.render().render(&values());
        assert_eq!(bytes, b"EPRT \x7f1\x7f127.0.0.1\x7f6446\x7f");
        assert!(EprtArg::parse(&bytes[5..]).is_err());
        let foreign = EprtOp {
            first: EprtMut::Address(AddrMut::Foreign),
            second: None,
        };
        let parsed = EprtArg::parse(&foreign.render().render(&values())[5..]).unwrap();
        assert_eq!(parsed.addr.ip().to_string(), FOREIGN_V4);
    }

    #[test]
    fn port_and_epsv_render() {
        assert_eq!(
            PortOp::Valid.render().render(&values()),
            b"PORT 127,0,0,1,25,46"
        );
        assert_eq!(EpsvOp::All.render().render(&values()), b"EPSV ALL");
        assert_eq!(EpsvOp::SameFamily.render().render(&values()), b"EPSV 1");
    }
}
