//! Replies as the server writes them (RFC 959 §4.2).
//!
//! > A reply is defined to contain the 3-digit code, followed by Space `<SP>`, followed by one line
//! > of text …, and terminated by the Telnet end-of-line code.
//!
//! Multi-line replies start `xyz-`, end with `xyz SP`, and every line between that begins with
//! a digit is padded with a space so no client can mistake it for the end.

use crate::proto::ReplyCode;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// One reply the reference server writes: a code and one or more lines of text (without code,
/// separator or CRLF). What the harness reads back from a server is a [`crate::proto::Reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerReply {
    code: ReplyCode,
    lines: Vec<Vec<u8>>,
    /// Exact wire bytes that replace the encoding; only faults build such replies.
    verbatim: Option<Vec<u8>>,
}

impl ServerReply {
    /// A single-line reply: `code SP text CRLF`.
    pub fn new(code: u16, text: impl AsRef<[u8]>) -> ServerReply {
        ServerReply {
            code: ReplyCode(code),
            lines: vec![text.as_ref().to_vec()],
            verbatim: None,
        }
    }

    /// A reply written exactly as `wire`, even when that breaks RFC 959 §4.2 (a bare LF, a
    /// wrong closing code). Only for the faults; `code` is what the control loop acts on.
    pub fn verbatim(code: u16, wire: impl Into<Vec<u8>>) -> ServerReply {
        ServerReply {
            code: ReplyCode(code),
            lines: Vec::new(),
            verbatim: Some(wire.into()),
        }
    }

    /// A multi-line reply: the first line gets `code-`, the last `code SP`. With one line this
    /// is a single-line reply.
    pub fn multi(code: u16, lines: Vec<Vec<u8>>) -> ServerReply {
        let lines = if lines.is_empty() {
            vec![Vec::new()]
        } else {
            lines
        };
        ServerReply {
            code: ReplyCode(code),
            lines,
            verbatim: None,
        }
    }

    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// Appends the wire form to `out`. CR and LF inside a text become spaces, so a reply is
    /// always exactly the lines it says it has.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if let Some(wire) = &self.verbatim {
            out.extend_from_slice(wire);
            return;
        }
        let code = self.code.to_string();
        let last = self.lines.len() - 1;
        for (i, line) in self.lines.iter().enumerate() {
            if i == 0 {
                out.extend_from_slice(code.as_bytes());
                out.push(if last == 0 { b' ' } else { b'-' });
            } else if i == last {
                out.extend_from_slice(code.as_bytes());
                out.push(b' ');
            } else if line.first().is_some_and(u8::is_ascii_digit) {
                // RFC 959 §4.2: an intermediate line starting with digits must be padded.
                out.push(b' ');
            }
            out.extend(
                line.iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            out.extend_from_slice(b"\r\n");
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Writes `reply` to the control connection and flushes it, giving up after `limit` (a client
/// that stops reading must not pin the session forever).
pub async fn write_reply<W: AsyncWrite + Unpin>(
    w: &mut W,
    reply: &ServerReply,
    limit: Duration,
) -> std::io::Result<()> {
    let bytes = reply.to_bytes();
    let write = async {
        w.write_all(&bytes).await?;
        w.flush().await
    };
    match tokio::time::timeout(limit, write).await {
        Ok(result) => result,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line() {
        assert_eq!(
            ServerReply::new(200, "Command okay").to_bytes(),
            b"200 Command okay\r\n"
        );
        assert_eq!(ServerReply::new(200, "a\r\nb").to_bytes(), b"200 a  b\r\n");
    }

    #[test]
    fn multi_line_with_padding() {
        let r = ServerReply::multi(
            211,
            vec![
                b"Features:".to_vec(),
                b" EPRT".to_vec(),
                b"211 x".to_vec(),
                b"End".to_vec(),
            ],
        );
        assert_eq!(
            r.to_bytes(),
            b"211-Features:\r\n EPRT\r\n 211 x\r\n211 End\r\n"
        );
        assert_eq!(ServerReply::multi(211, vec![]).to_bytes(), b"211 \r\n");
    }

    #[test]
    fn verbatim_is_written_as_is() {
        let r = ServerReply::verbatim(200, &b"200 x\n"[..]);
        assert_eq!(r.to_bytes(), b"200 x\n");
        assert_eq!(r.code(), ReplyCode(200));
    }

    #[tokio::test]
    async fn writes_to_a_stream() {
        let mut out = Vec::new();
        write_reply(
            &mut out,
            &ServerReply::new(221, "Bye"),
            Duration::from_secs(1),
        )
        .await
        .unwrap();
        assert_eq!(out, b"221 Bye\r\n");
    }
}
