//! Parse errors: `file:line:column: message`, 1-based, saying what was expected.

use std::path::{Path, PathBuf};

/// A scenario file that does not parse. Lines and columns are 1-based; a tab counts as one
/// column and so does every other character (columns count characters, not bytes).
///
/// ```text
/// suites/rfc2428/eprt.ftpspec:12:10: expected a reply code (like 200 or 5xx), found "2oo"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ParseError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A parse error before the file name is attached: the line-level parsers do not need to know
/// which file they are reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diag {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Diag {
    pub(crate) fn new(line: usize, column: usize, message: impl Into<String>) -> Diag {
        Diag {
            line,
            column,
            message: message.into(),
        }
    }

    pub(crate) fn in_file(self, file: &Path) -> ParseError {
        ParseError {
            file: file.to_path_buf(),
            line: self.line,
            column: self.column,
            message: self.message,
        }
    }
}

/// `Result` with a [`Diag`].
pub(crate) type PResult<T> = Result<T, Diag>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_file_line_column_message() {
        let e = Diag::new(3, 7, "expected a channel name").in_file(Path::new("a/b.ftpspec"));
        assert_eq!(e.to_string(), "a/b.ftpspec:3:7: expected a channel name");
    }
}
