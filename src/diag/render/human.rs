//! The rich terminal renderer, built on miette's graphical handler.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use crate::diag::{Diagnostic, Severity};
use crate::span::SourceMap;

/// Adapts one [`Diagnostic`] to miette's trait.
struct View<'a> {
    diag: &'a Diagnostic,
    source: Window<'a>,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "{}({})",
            self.diag.code.as_str(),
            self.diag.code.name()
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A file's text for miette that reads a span's context from the few lines
/// around it. miette's own `SourceCode` for a string counts lines from the
/// start of the file on every read, which made hundreds of diagnostics on
/// a long policy quadratic; this gives it a window of whole lines (with a
/// spare line of context on each side) and shifts the result back.
struct Window<'a> {
    name: &'a str,
    text: &'a str,
    /// Where each line starts, counting line breaks as miette does (`\n`,
    /// `\r\n`, and a lone `\r`).
    lines: &'a [usize],
}

fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                i += 1;
                starts.push(i + 1);
            }
            b'\r' | b'\n' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

impl SourceCode for Window<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let line_of = |offset: usize| self.lines.partition_point(|&s| s <= offset) - 1;
        let first = line_of(span.offset()).saturating_sub(before + 1);
        let last = line_of(span.offset() + span.len()) + after + 2;
        let start = self.lines[first];
        let end = self.lines.get(last).copied().unwrap_or(self.text.len());
        let window = &self.text[start..end];
        let shifted = SourceSpan::new((span.offset() - start).into(), span.len());
        let inner = window.read_span(&shifted, before, after)?;
        let data: &'b [u8] = inner.data();
        let data_start = data.as_ptr() as usize - window.as_ptr() as usize;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            data,
            SourceSpan::new((start + data_start).into(), data.len()),
            inner.line() + first,
            inner.column(),
            // miette's own reader counts line breaks from the start of the
            // file here, and merges snippets by it: keep that count
            inner.line_count() + first,
        )))
    }
}

/// Renders diagnostics with source snippets; colourless when `color` is false.
pub fn render_human(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    let mut starts: std::collections::HashMap<crate::span::FileId, Vec<usize>> = Default::default();
    for d in diags {
        let file = sources.get(d.primary.span.file);
        let lines = starts
            .entry(d.primary.span.file)
            .or_insert_with(|| line_starts(&file.text));
        let mut help_lines: Vec<String> = Vec::new();
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(d.primary.message.clone()).filter(|m| !m.is_empty()),
            to_miette(d.primary.span),
        )];
        for s in &d.secondary {
            if s.span.file == d.primary.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(s.message.clone()),
                    to_miette(s.span),
                ));
            } else {
                let other = sources.get(s.span.file);
                let lc = other.line_col(s.span.start);
                help_lines.push(format!(
                    "{} at {}:{}:{}",
                    s.message, other.name, lc.line, lc.column
                ));
            }
        }
        if let Some(h) = &d.help {
            help_lines.insert(0, h.clone());
        }
        if let Some(s) = &d.suggestion {
            help_lines.push(format!("suggestion: replace with `{}`", s.replacement));
        }
        let view = View {
            diag: d,
            source: Window {
                name: &file.name,
                text: &file.text,
                lines,
            },
            help: (!help_lines.is_empty()).then(|| help_lines.join("\n")),
            labels,
        };
        // writing into a String cannot fail
        let _ = handler.render_report(&mut out, &view);
    }
    out
}

fn to_miette(span: crate::span::Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window gives miette exactly what its own reader gives for the
    /// whole text, for every span and amount of context, whatever the
    /// line breaks.
    #[test]
    fn windows_read_like_the_whole_text() {
        let text = "a\nbb\r\nccc\rdddd\n\neeeee\r\n\r\nf\ng\nhh\n";
        let lines = line_starts(text);
        let w = Window {
            name: "t",
            text,
            lines: &lines,
        };
        for start in 0..text.len() {
            for len in 0..(text.len() - start).min(12) {
                let span = SourceSpan::new(start.into(), len);
                for ctx in 0..3 {
                    let whole = text.read_span(&span, ctx, ctx).unwrap();
                    let win = w.read_span(&span, ctx, ctx).unwrap();
                    let at = format!("span {start}+{len}, context {ctx}");
                    assert_eq!(whole.data(), win.data(), "{at}");
                    assert_eq!(whole.span(), win.span(), "{at}");
                    assert_eq!(whole.line(), win.line(), "{at}");
                    assert_eq!(whole.column(), win.column(), "{at}");
                    assert_eq!(whole.line_count(), win.line_count(), "{at}");
                }
            }
        }
    }
}
