//! The `read` step: read a data connection to EOF (bounded), then apply its checks in order:
//! `equals`, `contains`, `length`, and `save`/`same-as`, which compare a transfer with an
//! earlier one (a retried RETR after ABOR must be byte-exact, whatever the file holds).

use super::exec::{ScenarioRun, no_channel};
use super::stop::Stop;
use crate::session::data::read_to_end;
use crate::session::transcript::escape_bytes;
use crate::suite::DataCheck;

impl ScenarioRun<'_> {
    pub(super) async fn read(
        &mut self,
        line: usize,
        channel: &str,
        checks: &[DataCheck],
    ) -> Result<(), Stop> {
        let mut stream = self
            .streams
            .remove(channel)
            .ok_or_else(|| no_channel(channel))?;
        let data = self.read_all(line, channel, &mut stream).await?;
        for check in checks {
            match check {
                DataCheck::Save(key) => self.save(key, &data)?,
                DataCheck::SameAs(key) => self.same_as(line, key, &data)?,
                check => self.data_check(line, check, &data)?,
            }
        }
        Ok(())
    }

    /// Reads a data connection to EOF, at most `max_data_bytes`, under the step timeout.
    pub(super) async fn read_all(
        &self,
        line: usize,
        channel: &str,
        stream: &mut crate::session::DataStream,
    ) -> Result<Vec<u8>, Stop> {
        let (limit, wait) = (self.config.max_data_bytes, self.config.step_timeout);
        read_to_end(channel, stream, limit, wait, &self.recorder)
            .await
            .map_err(|e| {
                Stop::fail(
                    line,
                    format!("reading {channel} failed"),
                    "data, then EOF",
                    e.to_string(),
                )
                .checking("read")
            })
    }

    /// `save KEY`: keeps the bytes for a later `same-as`. All saved bytes together stay within
    /// the limit of one read (`max_data_bytes`); saving a key again replaces its bytes.
    fn save(&mut self, key: &str, data: &[u8]) -> Result<(), Stop> {
        let others: usize = self
            .saved
            .iter()
            .filter(|(k, _)| k.as_str() != key)
            .map(|(_, v)| v.len())
            .sum();
        let limit = self.config.max_data_bytes;
        if others + data.len() > limit {
            return Err(Stop::Error(format!(
                "saving {} bytes as {key} would keep more than {limit} bytes in all",
                data.len()
            )));
        }
        self.saved.insert(key.to_string(), data.to_vec());
        Ok(())
    }

    /// `same-as KEY`: the bytes must be exactly those saved (a retried transfer is byte-exact).
    fn same_as(&self, line: usize, key: &str, data: &[u8]) -> Result<(), Stop> {
        let saved = self
            .saved
            .get(key)
            .ok_or_else(|| Stop::Error(format!("nothing has been saved as {key} yet")))?;
        let Some(offset) = first_difference(saved, data) else {
            return Ok(());
        };
        Err(Stop::fail(
            line,
            format!("the data differs from the bytes saved as {key}"),
            format!("the {} bytes saved as {key}", saved.len()),
            format!(
                "{} bytes, the first difference at offset {offset}",
                data.len()
            ),
        ))
    }

    fn data_check(&self, line: usize, check: &DataCheck, data: &[u8]) -> Result<(), Stop> {
        let (ok, expected) = match check {
            DataCheck::Equals(t) => {
                let want = self.vars.render(t).map_err(Stop::Error)?;
                (
                    data == want.as_slice(),
                    format!("exactly \"{}\"", escape_bytes(&want)),
                )
            }
            DataCheck::Contains(t) => {
                let want = self.vars.render(t).map_err(Stop::Error)?;
                let found =
                    want.is_empty() || data.windows(want.len()).any(|w| w == want.as_slice());
                (
                    found,
                    format!("bytes containing \"{}\"", escape_bytes(&want)),
                )
            }
            DataCheck::Length(n) => (data.len() as u64 == *n, format!("{n} bytes")),
            DataCheck::Save(_) | DataCheck::SameAs(_) => return Ok(()),
        };
        if ok {
            return Ok(());
        }
        let shown: Vec<u8> = data.iter().copied().take(200).collect();
        Err(Stop::fail(
            line,
            "the data is not what was expected",
            expected,
            format!("{} bytes: \"{}\"", data.len(), escape_bytes(&shown)),
        ))
    }
}

/// The first offset where `a` and `b` differ (the shorter length when one is a prefix of the
/// other), or `None` when they are the same bytes.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => Some(i),
        None if a.len() == b.len() => None,
        None => Some(a.len().min(b.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_finds_the_offset() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"", b""), None);
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        assert_eq!(first_difference(b"abc", b"ab"), Some(2));
        assert_eq!(first_difference(b"", b"x"), Some(0));
        assert_eq!(first_difference(b"xbc", b"abcdef"), Some(0));
    }
}
