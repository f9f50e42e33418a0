//! Source files and byte-range spans.
//!
//! Every AST node carries a [`Span`]: a byte range in one source file.
//! Lines and columns are computed only when a diagnostic is rendered, from
//! the [`SourceMap`] that owns the text.

use std::fmt;
use std::sync::Arc;

/// Identifies one source file inside a [`SourceMap`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct FileId(
    /// The file's index in its [`SourceMap`], in the order files were added.
    pub u32,
);

impl fmt::Debug for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A byte range `start..end` in one source file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// The first byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl Span {
    /// The range `start..end` of `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The range as `usize`s, to slice the text with.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the range is empty (a position between two characters).
    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

/// One loaded source file.
#[derive(Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics (the path as given, or `<stdin>`).
    pub name: String,
    /// The decoded text.
    pub text: Arc<str>,
    line_starts: Vec<u32>,
    /// Per line: whether it is ASCII only, so that a column is a byte
    /// difference (thousands of diagnostics on one long line stay linear).
    ascii: Vec<bool>,
}

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1.
    pub column: usize,
}

impl SourceFile {
    /// A file named `name` (as diagnostics show it) with its text.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0u32];
        let mut ascii = vec![true];
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            // a line ends at `\n`, `\r\n` or a lone `\r`
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                line_starts.push(i as u32 + 1);
                ascii.push(true);
            } else if b >= 0x80 {
                *ascii.last_mut().unwrap_or(&mut true) = false;
            }
        }
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            ascii,
        }
    }

    /// The 0-based line of a byte offset (clamped to the text).
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.line_starts.partition_point(|&s| s as usize <= offset) - 1
    }

    /// Line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = (offset as usize).min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let column = if self.ascii[line] {
            offset - start + 1
        } else {
            let mut end = offset;
            while !self.text.is_char_boundary(end) {
                end -= 1;
            }
            self.text[start..end].chars().count() + 1
        };
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// The text of the 1-based line `line`, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line - 1] as usize;
        let end = self
            .line_starts
            .get(line)
            .map(|&e| e as usize)
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// The byte offset where the 0-based line `index` starts.
    pub fn line_start(&self, index: usize) -> Option<usize> {
        self.line_starts.get(index).map(|&s| s as usize)
    }

    /// How many lines the text has (a last line without `\n` counts).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of `span`; empty when the span is not in this file's text.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// All files of one policy (the root file and everything it imports).
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(name, text));
        id
    }

    /// The file with this id. Panics on an id from another map.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Every file with its id, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// How many files the map holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the map holds no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("t", "ab\nçd\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // byte 5 is after the two-byte `ç`
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_text(2), "çd");
        assert_eq!(f.line_col(99), LineCol { line: 3, column: 1 });
    }
}

#[cfg(test)]
mod line_col_tests {
    use super::*;

    /// Columns count characters on every line, ASCII or not, at every
    /// offset (one inside a character counts as the character's start).
    #[test]
    fn columns_count_characters() {
        let text = "ab\nçé x\r\n\nplain line\n🙂🙂z\nend";
        let f = SourceFile::new("t", text);
        for offset in 0..=text.len() + 3 {
            let o = offset.min(text.len());
            let before = &text.as_bytes()[..o];
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            let mut end = o;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let want = LineCol {
                line: before.iter().filter(|b| **b == b'\n').count() + 1,
                column: text[line_start..end].chars().count() + 1,
            };
            assert_eq!(f.line_col(offset as u32), want, "offset {offset}");
        }
    }
}

/// `text` with each lone `\r` (the line break of old Mac files, which the
/// language allows) made a `\n`, for readers that count lines by `\n`
/// only (miette's snippets, the formatter's layout). The same length, so
/// every span stays where it was.
pub(crate) fn lone_cr_as_lf(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let lone = |i: usize| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n');
    if !(0..b.len()).any(lone) {
        return std::borrow::Cow::Borrowed(text);
    }
    let out: String = text
        .char_indices()
        .map(|(i, c)| if c == '\r' && lone(i) { '\n' } else { c })
        .collect();
    std::borrow::Cow::Owned(out)
}
