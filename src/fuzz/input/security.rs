//! The security-exchange lines of FTPS (RFC 2228 §3, RFC 4217): `AUTH`, `PBSZ`, `PROT` and
//! `CCC`, each with its mutations. What a 2xx to one of them changes in the session (a TLS
//! handshake due, data connections clear or TLS, a control connection back in the clear) is the
//! executor's business (`exec::security`).

use crate::fuzz::input::bytes::Word;
use crate::fuzz::input::line::Line;
use arbitrary::Arbitrary;

/// `AUTH` arguments (RFC 2228 §3: "AUTH <mechanism-name>"; RFC 4217 §4: `TLS`, and the
/// historical `TLS-C`, `SSL`, `TLS-P`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum AuthArg {
    Tls,
    TlsC,
    TlsP,
    Ssl,
    /// `auth tls`: RFC 959 §5.3, commands and keywords are case-insensitive.
    LowerCase,
    /// A mechanism that is not TLS (RFC 2228 §3: 504 "Command not implemented for that
    /// parameter").
    Gssapi,
    Garbage(Word),
    Missing,
}

/// `PBSZ` arguments (RFC 2228 §3: a decimal integer up to 2^32-1; RFC 4217 §8: "must have a
/// parameter of '0'" under TLS).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum PbszArg {
    Zero,
    Number(u32),
    /// 2^32, one past the largest (RFC 2228 §3: 501 when it does not parse).
    TooLarge,
    Negative,
    Garbage(Word),
    Missing,
}

/// `PROT` arguments (RFC 2228 §3: C, S, E, P; RFC 4217 §9: only C and P make sense over TLS,
/// S and E get 536).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
pub enum ProtArg {
    Clear,
    Private,
    Safe,
    Confidential,
    /// `prot p` / `prot c`: case-insensitive (RFC 959 §5.3).
    LowerCase(bool),
    /// A letter outside the four (504 "Command not implemented for that parameter").
    Unknown(u8),
    Garbage(Word),
    Missing,
}

/// The line of `AUTH <arg>`.
pub fn auth_line(arg: &AuthArg) -> Line {
    let text: &str = match arg {
        AuthArg::Tls => "AUTH TLS",
        AuthArg::TlsC => "AUTH TLS-C",
        AuthArg::TlsP => "AUTH TLS-P",
        AuthArg::Ssl => "AUTH SSL",
        AuthArg::LowerCase => "auth tls",
        AuthArg::Gssapi => "AUTH GSSAPI",
        AuthArg::Missing => "AUTH",
        AuthArg::Garbage(w) => return with_word("AUTH ", w),
    };
    Line::lit(text)
}

/// The line of `PBSZ <arg>`.
pub fn pbsz_line(arg: &PbszArg) -> Line {
    let text = match arg {
        PbszArg::Zero => "PBSZ 0".to_string(),
        PbszArg::Number(n) => format!("PBSZ {n}"),
        PbszArg::TooLarge => "PBSZ 4294967296".to_string(),
        PbszArg::Negative => "PBSZ -1".to_string(),
        PbszArg::Missing => "PBSZ".to_string(),
        PbszArg::Garbage(w) => return with_word("PBSZ ", w),
    };
    Line::lit(text)
}

/// The line of `PROT <arg>`.
pub fn prot_line(arg: &ProtArg) -> Line {
    let text = match arg {
        ProtArg::Clear => "PROT C".to_string(),
        ProtArg::Private => "PROT P".to_string(),
        ProtArg::Safe => "PROT S".to_string(),
        ProtArg::Confidential => "PROT E".to_string(),
        ProtArg::LowerCase(private) => match private {
            true => "prot p".to_string(),
            false => "prot c".to_string(),
        },
        // Any ASCII letter but C, S, E, P.
        ProtArg::Unknown(n) => {
            let letters = b"ABDFGHIJKLMNOQRTUVWXYZ";
            let letter = letters[usize::from(*n) % letters.len()];
            format!("PROT {}", char::from(letter))
        }
        ProtArg::Missing => "PROT".to_string(),
        ProtArg::Garbage(w) => return with_word("PROT ", w),
    };
    Line::lit(text)
}

fn with_word(head: &str, w: &Word) -> Line {
    let mut line = Line::lit(head);
    line.push_lit(&w.0);
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::line::Values;

    fn text(line: &Line) -> String {
        let values = Values {
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        };
        String::from_utf8_lossy(&line.render(&values)).into_owned()
    }

    #[test]
    fn lines_render_as_rfc_2228_spells_them() {
        assert_eq!(text(&auth_line(&AuthArg::Tls)), "AUTH TLS");
        assert_eq!(text(&pbsz_line(&PbszArg::Zero)), "PBSZ 0");
        assert_eq!(text(&prot_line(&ProtArg::Private)), "PROT P");
        assert_eq!(text(&prot_line(&ProtArg::LowerCase(false))), "prot c");
        for n in 0..=255 {
            let l = text(&prot_line(&ProtArg::Unknown(n)));
            assert!(
                !["PROT C", "PROT S", "PROT E", "PROT P"].contains(&l.as_str()),
                "{l}"
            );
        }
    }
}
