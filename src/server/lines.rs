//! Bounded command-line reading on the control connection.
//!
//! RFC 1123 §4.1.2.10: read boundaries need not match line ends — a command may arrive in
//! several TCP segments, and several commands in one. The [`LineSplitter`] is sans-IO: it is fed
//! bytes and hands out complete lines; [`LineReader`] only loops "next line, else read more".
//!
//! A line ends at LF; one CR before it is dropped (CRLF is the rule, a bare LF is tolerated). A
//! line longer than [`MAX_LINE`] is reported once as [`Incoming::TooLong`] and the rest of it,
//! up to its LF, is discarded without being buffered.
//!
//! Two faults break RFC 1123 §4.1.2.10 on purpose, one half each; they are the only code that
//! looks at read boundaries ([`Framing`]).

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest command line accepted, in bytes, not counting CRLF.
pub const MAX_LINE: usize = 2048;

/// How much is read from the socket at once.
const READ_CHUNK: usize = 4096;

/// What the control connection delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// One line, without its CRLF (or LF).
    Line(Vec<u8>),
    /// A line longer than [`MAX_LINE`]; answered `500`, its remainder is skipped.
    TooLong,
}

/// How read boundaries relate to command lines. Only [`Framing::Stream`] conforms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Framing {
    /// Lines end at LF, wherever reads end (RFC 1123 §4.1.2.10).
    #[default]
    Stream,
    /// `one-command-per-read`: of the lines one read completes, only the first is taken; the
    /// rest of what that read brought is dropped.
    FirstLinePerRead,
    /// `no-split-commands`: a read that ends inside a command line (after its first letter)
    /// ends the line there, as if each read were one command.
    ReadEndsLine,
    /// `crlf-only-lines`: lines end only at CRLF; a bare LF is part of the line.
    CrlfOnly,
}

/// Splits a byte stream into lines, holding at most [`MAX_LINE`] bytes of an unfinished line.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
    /// Lines end only at CRLF ([`Framing::CrlfOnly`]).
    crlf_only: bool,
    /// Inside an over-long line already reported: drop bytes up to the next LF.
    discarding: bool,
}

impl LineSplitter {
    /// Appends received bytes. Call only after [`LineSplitter::next`] returned `None`, which
    /// keeps the buffer within `MAX_LINE` plus one read.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line, if the buffer holds one.
    pub fn next(&mut self) -> Option<Incoming> {
        loop {
            let end = match self.crlf_only {
                true => self
                    .buf
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .map(|cr| cr + 1),
                false => self.buf.iter().position(|&b| b == b'\n'),
            };
            let Some(lf) = end else {
                return self.unfinished();
            };
            let mut line: Vec<u8> = self.buf.drain(..=lf).collect();
            line.pop();
            if std::mem::take(&mut self.discarding) {
                continue;
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > MAX_LINE {
                return Some(Incoming::TooLong);
            }
            return Some(Incoming::Line(line));
        }
    }

    /// Drops everything buffered (`one-command-per-read`).
    fn clear(&mut self) {
        self.buf.clear();
    }

    /// Ends an unfinished command line at the end of a read (`no-split-commands`). Only a tail
    /// that starts with a letter counts as a command: the `IAC IP IAC` that precedes an urgent
    /// ABOR stays buffered, as it would in a server that reads whole commands.
    fn end_partial_line(&mut self) {
        let tail_start = match self.buf.iter().rposition(|&b| b == b'\n') {
            Some(lf) => lf + 1,
            None if self.discarding => return,
            None => 0,
        };
        let tail = &self.buf[tail_start..];
        if tail.first().is_some_and(u8::is_ascii_alphabetic) && tail.len() <= MAX_LINE {
            self.buf.push(b'\n');
        }
    }

    /// No LF in the buffer: report an over-long line once, or wait for more.
    fn unfinished(&mut self) -> Option<Incoming> {
        if self.discarding {
            self.buf.clear();
            return None;
        }
        // One byte of slack for the CR that may precede the LF still to come.
        if self.buf.len() > MAX_LINE + 1 {
            self.buf.clear();
            self.discarding = true;
            return Some(Incoming::TooLong);
        }
        None
    }
}

/// Reads lines from the control connection.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    split: LineSplitter,
    framing: Framing,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// A reader with a faulty `framing` (or [`Framing::Stream`], the clean one).
    pub fn with_framing(inner: R, framing: Framing) -> LineReader<R> {
        LineReader {
            inner,
            split: LineSplitter {
                crlf_only: framing == Framing::CrlfOnly,
                ..LineSplitter::default()
            },
            framing,
        }
    }

    /// The stream, and whether bytes were read from it and not yet handed out as lines (what
    /// a client sent after `AUTH TLS`, before its handshake).
    pub fn into_parts(self) -> (R, bool) {
        (self.inner, !self.split.buf.is_empty())
    }

    /// The next line; `Ok(None)` at end of stream (an unfinished last line is dropped).
    ///
    /// Cancel-safe: bytes are only taken from the socket by a `read` that completed, and what
    /// follows it up to the return is synchronous, so dropping this future inside
    /// `tokio::select!` loses nothing.
    pub async fn next(&mut self) -> std::io::Result<Option<Incoming>> {
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            if let Some(incoming) = self.split.next() {
                return Ok(Some(incoming));
            }
            let n = self.inner.read(&mut chunk).await?;
            if n == 0 {
                return Ok(None);
            }
            self.split.feed(&chunk[..n]);
            match self.framing {
                Framing::Stream | Framing::CrlfOnly => {}
                Framing::FirstLinePerRead => {
                    if let Some(first) = self.split.next() {
                        self.split.clear();
                        return Ok(Some(first));
                    }
                }
                Framing::ReadEndsLine => self.split.end_partial_line(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> Vec<Incoming> {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c);
            while let Some(i) = s.next() {
                out.push(i);
            }
        }
        out
    }

    fn line(b: &[u8]) -> Incoming {
        Incoming::Line(b.to_vec())
    }

    #[test]
    fn split_across_writes_and_several_in_one() {
        assert_eq!(lines(&[b"NO", b"OP\r", b"\n"]), [line(b"NOOP")]);
        assert_eq!(
            lines(&[b"NOOP\r\nSYST\r\nPW"]),
            [line(b"NOOP"), line(b"SYST")]
        );
        assert_eq!(lines(&[b"NOOP\nSYST\r\n"]), [line(b"NOOP"), line(b"SYST")]);
    }

    #[test]
    fn long_line_reported_once_and_skipped() {
        let long = vec![b'A'; MAX_LINE * 3];
        let got = lines(&[&long[..1000], &long[1000..], b"\r\nNOOP\r\n"]);
        assert_eq!(got, [Incoming::TooLong, line(b"NOOP")]);
        let mut one = vec![b'B'; MAX_LINE + 1];
        one.extend_from_slice(b"\r\nNOOP\r\n");
        assert_eq!(lines(&[&one]), [Incoming::TooLong, line(b"NOOP")]);
    }

    #[test]
    fn exactly_the_limit_is_fine() {
        let mut ok = vec![b'C'; MAX_LINE];
        ok.extend_from_slice(b"\r\n");
        assert_eq!(
            lines(&[&ok[..MAX_LINE], &ok[MAX_LINE..]]),
            [line(&ok[..MAX_LINE])]
        );
    }

    #[test]
    fn buffer_stays_bounded() {
        let mut s = LineSplitter::default();
        for _ in 0..100 {
            s.feed(&[b'x'; READ_CHUNK]);
            while s.next().is_some() {}
            assert!(s.buf.len() <= MAX_LINE + 1);
        }
    }

    /// A reader that hands out exactly these chunks, one per read.
    struct Reads(std::collections::VecDeque<Vec<u8>>);

    impl AsyncRead for Reads {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            if let Some(chunk) = self.0.pop_front() {
                buf.put_slice(&chunk);
            }
            std::task::Poll::Ready(Ok(()))
        }
    }

    async fn framed(framing: Framing, reads: &[&[u8]]) -> Vec<Incoming> {
        let reads = Reads(reads.iter().map(|r| r.to_vec()).collect());
        let mut r = LineReader::with_framing(reads, framing);
        let mut out = Vec::new();
        while let Some(i) = r.next().await.unwrap() {
            out.push(i);
        }
        out
    }

    #[tokio::test]
    async fn stream_framing_ignores_read_boundaries() {
        let got = framed(Framing::Stream, &[b"NO", b"OP\r\nSYST\r\nPW", b"D\r\n"]).await;
        assert_eq!(got, [line(b"NOOP"), line(b"SYST"), line(b"PWD")]);
    }

    #[tokio::test]
    async fn first_line_per_read_drops_the_rest_of_the_read() {
        let reads: &[&[u8]] = &[b"NOOP\r\nSYST\r\nPW", b"D\r\n", b"NO", b"OP\r\nX\r\n"];
        let got = framed(Framing::FirstLinePerRead, reads).await;
        assert_eq!(got, [line(b"NOOP"), line(b"D"), line(b"NOOP")]);
    }

    #[tokio::test]
    async fn read_ends_line_splits_commands_but_keeps_telnet_prefixes() {
        let got = framed(Framing::ReadEndsLine, &[b"NO", b"OP\r\n"]).await;
        assert_eq!(got, [line(b"NO"), line(b"OP")]);
        let got = framed(Framing::ReadEndsLine, &[b"NOOP\r\nSYST\r\n"]).await;
        assert_eq!(got, [line(b"NOOP"), line(b"SYST")]);
        let got = framed(Framing::ReadEndsLine, &[b"\xff\xf4\xff", b"\xf2ABOR\r\n"]).await;
        assert_eq!(got, [line(b"\xff\xf4\xff\xf2ABOR")]);
    }

    #[tokio::test]
    async fn reader_over_a_stream() {
        let data: &[u8] = b"USER a\r\nPASS b\r\nunfinished";
        let mut r = LineReader::with_framing(data, Framing::Stream);
        assert_eq!(r.next().await.unwrap(), Some(line(b"USER a")));
        assert_eq!(r.next().await.unwrap(), Some(line(b"PASS b")));
        assert_eq!(r.next().await.unwrap(), None);
    }
}
