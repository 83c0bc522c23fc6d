//! Small bounded byte strings and line endings: the raw material of odd command lines.
//!
//! Every generated argument is bounded here, so a decoded [`crate::fuzz::Dialogue`] is bounded in
//! bytes whatever the input: a [`Small`] holds at most [`Small::MAX`] bytes.

use arbitrary::{Arbitrary, Result, Unstructured};

/// At most [`Small::MAX`] arbitrary bytes: CR, LF, NUL, Telnet IAC and bytes ≥ 0x80 included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Small(pub Vec<u8>);

impl Small {
    pub const MAX: usize = 24;
}

impl<'a> Arbitrary<'a> for Small {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.int_in_range(0..=Small::MAX)?;
        let take = len.min(u.len());
        Ok(Small(u.bytes(take)?.to_vec()))
    }
}

/// Printable ASCII only (33–126), at most [`Small::MAX`] bytes: for arguments that must stay on
/// one line and inside one field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Word(pub Vec<u8>);

impl<'a> Arbitrary<'a> for Word {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let Small(raw) = Small::arbitrary(u)?;
        Ok(Word(raw.into_iter().map(|b| 33 + b % 94).collect()))
    }
}

/// How a raw line ends. RFC 959 §4.1: commands end with the Telnet end-of-line, CRLF; the
/// others probe what a server makes of a bare LF, a bare CR, nothing, or a NUL before CRLF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum Ending {
    CrLf,
    Lf,
    Cr,
    Nothing,
    CrCrLf,
    NulCrLf,
    LfCr,
}

impl Ending {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Ending::CrLf => b"\r\n",
            Ending::Lf => b"\n",
            Ending::Cr => b"\r",
            Ending::Nothing => b"",
            Ending::CrCrLf => b"\r\r\n",
            Ending::NulCrLf => b"\0\r\n",
            Ending::LfCr => b"\n\r",
        }
    }
}

/// A byte outside the EPRT delimiter range ASCII 33–126 (RFC 2428 §2). LF is left out: it
/// would end the line, which raw lines probe on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum IllegalByte {
    Space,
    Del,
    Nul,
    Tab,
    Cr,
    /// 0x80–0xff.
    High(u8),
    /// 0x01–0x1f except TAB, LF and CR.
    Control(u8),
}

impl IllegalByte {
    pub fn byte(self) -> u8 {
        match self {
            IllegalByte::Space => b' ',
            IllegalByte::Del => 0x7f,
            IllegalByte::Nul => 0,
            IllegalByte::Tab => b'\t',
            IllegalByte::Cr => b'\r',
            IllegalByte::High(b) => 0x80 | b,
            IllegalByte::Control(b) => match 1 + b % 31 {
                b'\t' | b'\n' | b'\r' => 0x01,
                c => c,
            },
        }
    }
}

/// Decimal text of a number, for arguments.
pub fn decimal(n: impl std::fmt::Display) -> Vec<u8> {
    n.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_word_are_bounded() {
        let data = [0xffu8; 4096];
        let mut u = Unstructured::new(&data);
        for _ in 0..20 {
            assert!(Small::arbitrary(&mut u).unwrap().0.len() <= Small::MAX);
            let w = Word::arbitrary(&mut u).unwrap();
            assert!(w.0.iter().all(|b| (33..=126).contains(b)));
        }
        // An exhausted input still decodes (to empty values).
        let mut empty = Unstructured::new(&[]);
        assert_eq!(Small::arbitrary(&mut empty).unwrap(), Small::default());
    }

    #[test]
    fn illegal_bytes_are_outside_the_delimiter_range() {
        for b in 0..=255u8 {
            for ib in [
                IllegalByte::High(b),
                IllegalByte::Control(b),
                IllegalByte::Space,
                IllegalByte::Del,
                IllegalByte::Nul,
                IllegalByte::Tab,
                IllegalByte::Cr,
            ] {
                let x = ib.byte();
                assert!(!(33..=126).contains(&x) && x != b'\n', "{ib:?} → {x}");
            }
        }
    }
}
