//! A command line with holes: literal bytes and the few values that change from run to run
//! (ftpspec's own address and the port of its data listener).
//!
//! The executor renders a [`Line`] with the values of the live connection; the finding writer
//! turns the same line into a scenario [`Template`] with `${client.ip}` and `${data.port}`, so a
//! finding replays against a fresh connection whose addresses differ.

use crate::suite::{Part, Template};
use std::net::IpAddr;

/// A value known only on a live connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Var {
    /// ftpspec's address on the control connection: `${client.ip}`.
    ClientIp,
    /// The control connection's family as an RFC 2428 net-prt (`1`, `2`): `${client.netprt}`.
    ClientNetPrt,
    /// The port of ftpspec's active-mode listener: `${data.port}`.
    DataPort,
    /// ftpspec's IPv4 address as the `h1,h2,h3,h4` of PORT (RFC 959 §4.1.2):
    /// `${client.host-number}`.
    ClientIpCommas,
    /// The listener's port as the `p1,p2` of PORT: `${data.port-number}`.
    DataPortCommas,
}

impl Var {
    /// The scenario variable for this hole on a connection with `values`; `None` where the
    /// language has none (PORT's `h1,h2,h3,h4` over IPv6, where the fuzzer sends `0,0,0,0`).
    pub fn name(self, values: &Values) -> Option<&'static str> {
        match self {
            Var::ClientIp => Some("client.ip"),
            Var::ClientNetPrt => Some("client.netprt"),
            Var::DataPort => Some("data.port"),
            Var::ClientIpCommas if values.client_ip.is_ipv6() => None,
            Var::ClientIpCommas => Some("client.host-number"),
            Var::DataPortCommas => Some("data.port-number"),
        }
    }

    /// The text this hole takes on a connection.
    pub fn value(self, values: &Values) -> String {
        match self {
            Var::ClientIp => values.client_ip.to_string(),
            Var::ClientNetPrt => if values.client_ip.is_ipv6() { "2" } else { "1" }.to_string(),
            Var::DataPort => values.data_port.to_string(),
            Var::ClientIpCommas => match values.client_ip {
                IpAddr::V4(ip) => ip.octets().map(|o| o.to_string()).join(","),
                // PORT cannot name an IPv6 address; the server must refuse this.
                IpAddr::V6(_) => "0,0,0,0".to_string(),
            },
            Var::DataPortCommas => format!("{},{}", values.data_port >> 8, values.data_port & 0xff),
        }
    }
}

/// One piece of a line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Piece {
    Lit(Vec<u8>),
    Var(Var),
}

/// The values the holes take on one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Values {
    pub client_ip: IpAddr,
    /// The active-mode listener's port (0 when none is bound).
    pub data_port: u16,
}

/// Bytes with holes. Built with [`Line::lit`] and [`Line::push`]; adjacent literals merge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Line {
    pub pieces: Vec<Piece>,
}

impl Line {
    pub fn lit(bytes: impl AsRef<[u8]>) -> Line {
        let mut line = Line::default();
        line.push_lit(bytes);
        line
    }

    pub fn push_lit(&mut self, bytes: impl AsRef<[u8]>) -> &mut Line {
        let bytes = bytes.as_ref();
        if bytes.is_empty() {
            return self;
        }
        match self.pieces.last_mut() {
            Some(Piece::Lit(last)) => last.extend_from_slice(bytes),
            _ => self.pieces.push(Piece::Lit(bytes.to_vec())),
        }
        self
    }

    pub fn push_var(&mut self, var: Var) -> &mut Line {
        self.pieces.push(Piece::Var(var));
        self
    }

    pub fn push_line(&mut self, other: &Line) -> &mut Line {
        for piece in &other.pieces {
            match piece {
                Piece::Lit(b) => self.push_lit(b),
                Piece::Var(v) => self.push_var(*v),
            };
        }
        self
    }

    /// True when the line uses the data listener's port (the executor then binds one first).
    pub fn uses_listener(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Var(Var::DataPort | Var::DataPortCommas)))
    }

    /// The bytes on this connection, made safe (see [`Line::safe_pieces`]).
    pub fn render(&self, values: &Values) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in self.safe_pieces(values) {
            match piece {
                Piece::Lit(b) => out.extend_from_slice(&b),
                Piece::Var(v) => out.extend_from_slice(v.value(values).as_bytes()),
            }
        }
        out
    }

    /// The pieces as they may be sent: every command line in them (split at CR and LF, as a
    /// server may split) that would change files under a name not the fuzzer's own, or name a
    /// data address off loopback, has its first byte replaced by `X` (see [`safety`]). The
    /// same pieces render on the wire and into a finding's scenario, so a replay sends the same
    /// safe bytes.
    ///
    /// [`safety`]: crate::fuzz::input::safety
    pub fn safe_pieces(&self, values: &Values) -> Vec<Piece> {
        let mut pieces = self.pieces.clone();
        for (piece, byte) in self.unsafe_line_starts(values) {
            if let Some(Piece::Lit(b)) = pieces.get_mut(piece)
                && let Some(first) = b.get_mut(byte)
            {
                *first = b'X';
            }
        }
        pieces
    }

    /// Where each command line that [`safety::may_send`] refuses begins, as (piece, byte),
    /// judged with the holes filled. A line that begins in a hole starts with digits, never
    /// with a verb.
    ///
    /// [`safety::may_send`]: crate::fuzz::input::safety::may_send
    fn unsafe_line_starts(&self, values: &Values) -> Vec<(usize, usize)> {
        use crate::fuzz::input::safety::{is_line_end, may_send_ended};
        // The line's bytes with where each literal byte came from; a hole's value is an
        // address or a port: no line end, no verb.
        let mut flat: Vec<(u8, Option<(usize, usize)>)> = Vec::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            match piece {
                Piece::Lit(bytes) => {
                    flat.extend(bytes.iter().enumerate().map(|(j, &b)| (b, Some((i, j)))));
                }
                Piece::Var(v) => flat.extend(v.value(values).bytes().map(|b| (b, None))),
            }
        }
        let mut found = Vec::new();
        let mut segment: Vec<u8> = Vec::new();
        let mut start: Option<(usize, usize)> = None;
        for (k, &(b, at)) in flat.iter().enumerate() {
            if is_line_end(b) {
                if !segment.is_empty() {
                    // Ended by CRLF, every server ends the command here; by a bare CR or LF,
                    // a server that waits for CRLF reads on (pyftpdlib).
                    let crlf = b == b'\r' && flat.get(k + 1).is_some_and(|&(n, _)| n == b'\n');
                    if !may_send_ended(&segment, values.client_ip, crlf) {
                        found.extend(start);
                    }
                }
                segment.clear();
                start = None;
                continue;
            }
            if segment.is_empty() {
                start = at;
            }
            segment.push(b);
        }
        // The last segment is ended by the CRLF the executor appends (or by nothing).
        if !segment.is_empty() && !may_send_ended(&segment, values.client_ip, true) {
            found.extend(start);
        }
        found
    }

    /// The same line as a scenario template (`${client.ip}` for [`Var::ClientIp`], …); holes
    /// the language cannot name are filled with this run's `values`.
    pub fn to_template(&self, values: &Values) -> Template {
        let mut parts: Vec<Part> = Vec::new();
        for piece in self.safe_pieces(values) {
            let part = match piece {
                Piece::Lit(b) => Part::Literal(b),
                Piece::Var(v) => match v.name(values) {
                    Some(name) => Part::Var(name.to_string()),
                    None => Part::Literal(v.value(values).into_bytes()),
                },
            };
            match (parts.last_mut(), part) {
                (Some(Part::Literal(last)), Part::Literal(b)) => last.extend_from_slice(&b),
                (_, part) => parts.push(part),
            }
        }
        Template { parts }
    }

    /// Total literal bytes (holes count as their longest rendering), for size bounds.
    pub fn approx_len(&self) -> usize {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Lit(b) => b.len(),
                Piece::Var(_) => 39,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_templates_agree() {
        let mut line = Line::lit("EPRT |");
        line.push_var(Var::ClientNetPrt)
            .push_lit("|")
            .push_var(Var::ClientIp)
            .push_lit("|")
            .push_var(Var::DataPort)
            .push_lit("|");
        let values = Values {
            client_ip: "127.0.0.1".parse().unwrap(),
            data_port: 6446,
        };
        assert_eq!(line.render(&values), b"EPRT |1|127.0.0.1|6446|");
        let v6 = Values {
            client_ip: "::1".parse().unwrap(),
            data_port: 1,
        };
        assert_eq!(line.render(&v6), b"EPRT |2|::1|1|");
        let t = line.to_template(&values);
        assert_eq!(
            t.vars().collect::<Vec<_>>(),
            ["client.netprt", "client.ip", "data.port"]
        );
        assert!(line.uses_listener());
        let mut port = Line::lit("PORT ");
        port.push_var(Var::ClientIpCommas)
            .push_lit(",")
            .push_var(Var::DataPortCommas);
        assert_eq!(port.render(&values), b"PORT 127,0,0,1,25,46");
        // A finding replays tomorrow, from another address and listener: both are variables.
        assert_eq!(
            port.to_template(&values).vars().collect::<Vec<_>>(),
            ["client.host-number", "data.port-number"]
        );
        assert!(port.uses_listener());
        // PORT cannot name an IPv6 address: the run's placeholder is written as it was sent.
        assert_eq!(
            port.to_template(&v6).parts[0],
            Part::Literal(b"PORT 0,0,0,0,".to_vec())
        );
    }

    #[test]
    fn a_write_under_a_foreign_name_is_never_sent_nor_written_into_a_finding() {
        let values = Values {
            client_ip: "127.0.0.1".parse().unwrap(),
            data_port: 6446,
        };
        // Random bytes that happen to form a STOR after a line end, and one named by a hole.
        let mut line = Line::lit("NOOP x\r\nSTOR ../../../etc/passwd\r\n");
        line.push_lit("DELE ").push_var(Var::ClientIp);
        assert_eq!(
            line.render(&values),
            b"NOOP x\r\nXTOR ../../../etc/passwd\r\nXELE 127.0.0.1"
        );
        let written: Vec<u8> = line
            .to_template(&values)
            .parts
            .iter()
            .flat_map(|p| match p {
                Part::Literal(b) => b.clone(),
                Part::Var(v) => v.as_bytes().to_vec(),
            })
            .collect();
        assert!(written.starts_with(b"NOOP x\r\nXTOR ../../../etc/passwd\r\nXELE "));
        let ours = Line::lit(format!(
            "STOR {}",
            String::from_utf8(crate::fuzz::input::safety::upload_name(b".bin")).unwrap()
        ));
        assert_eq!(ours.render(&values), ours.pieces_bytes());
        // Our name, but a bare LF after it: a server that ends lines at CRLF only would store
        // `…\nNOOP`, a name no DELE can give; with CRLF it is sent as it is.
        let bare = Line::lit("STOR ftpspec-fuzz-1234abcd\nNOOP\r\n");
        assert_eq!(
            bare.render(&values),
            b"XTOR ftpspec-fuzz-1234abcd\nNOOP\r\n"
        );
        let proper = Line::lit("STOR ftpspec-fuzz-1234abcd\r\nNOOP\n");
        assert_eq!(proper.render(&values), proper.pieces_bytes());
    }

    impl Line {
        fn pieces_bytes(&self) -> Vec<u8> {
            self.pieces
                .iter()
                .flat_map(|p| match p {
                    Piece::Lit(b) => b.clone(),
                    Piece::Var(_) => Vec::new(),
                })
                .collect()
        }
    }

    #[test]
    fn literals_merge() {
        let mut line = Line::lit("A");
        line.push_lit("B").push_lit("");
        assert_eq!(line.pieces, vec![Piece::Lit(b"AB".to_vec())]);
    }
}
