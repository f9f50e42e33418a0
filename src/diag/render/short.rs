//! The one-line renderer: `file:line:col: error[H101]: message`.
//!
//! Built on codespan-reporting's short display style, so editors and
//! `grep` can jump to the place.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor::NoColor, Config, DisplayStyle};

use crate::diag::{Diagnostic, Severity};
use crate::span::SourceMap;

impl<'a> Files<'a> for SourceMap {
    type FileId = crate::span::FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: Self::FileId) -> Result<&'a str, FilesError> {
        Ok(&self.get(id).name)
    }

    fn source(&'a self, id: Self::FileId) -> Result<&'a str, FilesError> {
        Ok(&self.get(id).text)
    }

    fn line_index(&'a self, id: Self::FileId, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.get(id).line_index(byte_index))
    }

    // the file's own count: a byte difference on an ASCII line, where
    // codespan would count the characters from the line's start each time
    fn column_number(
        &'a self,
        id: Self::FileId,
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        Ok(self.get(id).line_col(byte_index as u32).column)
    }

    fn line_range(
        &'a self,
        id: Self::FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, FilesError> {
        let f = self.get(id);
        let start = f.line_start(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: f.line_count(),
        })?;
        let end = f.line_start(line_index + 1).unwrap_or(f.text.len());
        Ok(start..end)
    }
}

/// Renders one line per diagnostic.
pub fn render_short(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let config = Config {
        display_style: DisplayStyle::Short,
        ..Config::default()
    };
    let mut out = NoColor::new(Vec::new());
    for d in diags {
        let sev = match d.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let diag = cs::Diagnostic::new(sev)
            .with_code(d.code.as_str())
            .with_message(&d.message)
            .with_labels(vec![cs::Label::primary(
                d.primary.span.file,
                d.primary.span.range(),
            )]);
        // writing into a Vec cannot fail
        let _ = term::emit(&mut out, &config, sources, &diag);
    }
    String::from_utf8_lossy(&out.into_inner()).into_owned()
}
