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
    /// When `text` is an [`Excerpt`] of the file: it, for line numbers and
    /// columns in the file.
    excerpt: Option<&'a Excerpt<'a>>,
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
        let (lines_before, column) = match self.excerpt {
            // the header's place is read without context: the file's column
            Some(x) if before == 0 && after == 0 => (x.first_line, x.column(span.offset())),
            Some(x) => (x.first_line, inner.column()),
            None => (0, inner.column()),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            data,
            SourceSpan::new((start + data_start).into(), data.len()),
            inner.line() + first + lines_before,
            column,
            // miette's own reader counts line breaks from the start of the
            // file here, and merges snippets by it: keep that count
            inner.line_count() + first + lines_before,
        )))
    }
}

/// Lines longer than this many bytes are shown elided around the labels:
/// a snippet stays readable, and miette, which formats columns as field
/// widths, never sees a column past 65,535.
const LONG_LINE: usize = 200;
/// Bytes of an elided line kept on each side of a label.
const AROUND: usize = 40;
/// Bytes of one label kept on an elided line (its start).
const LABEL_KEEP: usize = 80;

/// The lines around a diagnostic's labels with long lines elided (`…`
/// where text was left out), for a diagnostic that touches a long line.
/// Lines far from every label are left empty, so the excerpt's lines are
/// the file's lines from `first_line` on.
struct Excerpt<'a> {
    file: &'a str,
    file_lines: &'a [usize],
    text: String,
    /// The file's line (from 0) that is the excerpt's first.
    first_line: usize,
    /// Each kept piece of the file: its start and end in the file, and
    /// where it starts in `text`; in order.
    pieces: Vec<(usize, usize, usize)>,
}

impl<'a> Excerpt<'a> {
    /// `None` when no label touches a long line.
    fn new(file: &'a str, file_lines: &'a [usize], spans: &[(usize, usize)]) -> Option<Self> {
        let line_of = |offset: usize| file_lines.partition_point(|&s| s <= offset).max(1) - 1;
        let line_span = |l: usize| {
            let start = file_lines[l];
            let end = file_lines.get(l + 1).copied().unwrap_or(file.len());
            let body = file[start..end].trim_end_matches(['\n', '\r']);
            (start, start + body.len())
        };
        let mut wanted: Vec<usize> = Vec::new();
        for &(a, b) in spans {
            let (la, lb) = (line_of(a), line_of(b));
            wanted.extend(la.saturating_sub(2)..=(lb + 2).min(file_lines.len() - 1));
        }
        wanted.sort_unstable();
        wanted.dedup();
        if !wanted.iter().any(|&l| {
            let (s, e) = line_span(l);
            e - s > LONG_LINE
        }) {
            return None;
        }
        let first_line = *wanted.first()?;
        let mut x = Excerpt {
            file,
            file_lines,
            text: String::new(),
            first_line,
            pieces: Vec::new(),
        };
        let mut next = first_line;
        for &l in &wanted {
            // lines far from every label: empty, so line numbers hold
            for _ in next..l {
                x.text.push('\n');
            }
            next = l + 1;
            let (start, end) = line_span(l);
            if end - start <= LONG_LINE {
                x.keep(start, end);
                x.text.push('\n');
                continue;
            }
            let mut keep: Vec<(usize, usize)> = spans
                .iter()
                .filter(|&&(a, b)| a <= end && b >= start)
                .map(|&(a, b)| {
                    let (a, b) = (a.max(start), b.min(end));
                    let b = b.min(a + LABEL_KEEP);
                    (a.saturating_sub(AROUND).max(start), (b + AROUND).min(end))
                })
                .collect();
            if keep.is_empty() {
                // a line of context: its start
                keep.push((start, start + LONG_LINE / 2));
            }
            keep.sort_unstable();
            let mut merged: Vec<(usize, usize)> = Vec::new();
            for (a, b) in keep {
                let (a, b) = (floor_char(file, a), floor_char(file, b));
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            let mut at = start;
            for (a, b) in merged {
                if a > at {
                    x.text.push('…');
                }
                x.keep(a, b);
                at = b;
            }
            if at < end {
                x.text.push('…');
            }
            x.text.push('\n');
        }
        Some(x)
    }

    fn keep(&mut self, start: usize, end: usize) {
        self.pieces.push((start, end, self.text.len()));
        self.text.push_str(&self.file[start..end]);
    }

    /// A place in the file as a place in the excerpt: a place that was
    /// left out moves to the nearest kept text before it.
    fn map(&self, at: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.0 <= at);
        match i.checked_sub(1).map(|i| self.pieces[i]) {
            Some((s, e, x)) => x + at.min(e) - s,
            None => self.pieces.first().map_or(0, |p| p.2),
        }
    }

    /// The file's column (from 0, in characters) of a place in the excerpt.
    fn column(&self, at: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.2 <= at);
        let Some((s, e, x)) = i.checked_sub(1).map(|i| self.pieces[i]) else {
            return 0;
        };
        let in_file = (s + (at - x)).min(e);
        let line = self.file_lines.partition_point(|&l| l <= in_file).max(1) - 1;
        self.file[self.file_lines[line]..in_file].chars().count()
    }
}

/// The nearest character boundary at or before `at`.
fn floor_char(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
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
    // each file's text as miette is given it, with where its lines start
    let mut texts: std::collections::HashMap<
        crate::span::FileId,
        (std::borrow::Cow<'_, str>, Vec<usize>),
    > = Default::default();
    for d in diags {
        let file = sources.get(d.primary.span.file);
        let (text, lines) = &*texts.entry(d.primary.span.file).or_insert_with(|| {
            let text = crate::span::lone_cr_as_lf(&file.text);
            let lines = line_starts(&text);
            (text, lines)
        });
        let mut help_lines: Vec<String> = Vec::new();
        let spans: Vec<(usize, usize)> = std::iter::once(&d.primary)
            .chain(&d.secondary)
            .filter(|l| l.span.file == d.primary.span.file)
            .map(|l| (l.span.start as usize, l.span.end as usize))
            .collect();
        let excerpt = Excerpt::new(text, lines, &spans);
        let excerpt_lines = excerpt.as_ref().map(|x| line_starts(&x.text));
        let place = |span: crate::span::Span| match &excerpt {
            Some(x) => {
                let (a, b) = (x.map(span.start as usize), x.map(span.end as usize));
                SourceSpan::new(a.into(), b.saturating_sub(a))
            }
            None => to_miette(span),
        };
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(d.primary.message.clone()).filter(|m| !m.is_empty()),
            place(d.primary.span),
        )];
        for s in &d.secondary {
            if s.span.file == d.primary.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(s.message.clone()),
                    place(s.span),
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
            help_lines.push(if s.replacement.is_empty() {
                "suggestion: delete the marked text".to_string()
            } else {
                format!("suggestion: replace with `{}`", s.replacement)
            });
        }
        let view = View {
            diag: d,
            source: match (&excerpt, &excerpt_lines) {
                (Some(x), Some(xl)) => Window {
                    name: &file.name,
                    text: &x.text,
                    lines: xl,
                    excerpt: Some(x),
                },
                _ => Window {
                    name: &file.name,
                    text,
                    lines,
                    excerpt: None,
                },
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
            excerpt: None,
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

#[cfg(test)]
mod long_lines {
    use super::*;

    /// Any label on a text with long lines, multi-byte characters and
    /// mixed line breaks maps into its excerpt inside the kept text, and
    /// the column named is the file's.
    #[test]
    fn excerpts_keep_every_label_and_its_column() {
        let long = "é".repeat(150) + &"x".repeat(70_000) + "end";
        let text = format!("a\n{long}\r\nshort line\n{long}\rz");
        let lines = line_starts(&text);
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .step_by(997)
            .chain([text.len()])
            .collect();
        for &a in &bounds {
            for &b in bounds.iter().filter(|b| **b >= a).take(3) {
                let x = Excerpt::new(&text, &lines, &[(a, b)]);
                let Some(x) = x else {
                    continue;
                };
                let (ma, mb) = (x.map(a), x.map(b));
                assert!(ma <= mb && mb <= x.text.len(), "{a}..{b}");
                assert!(x.text.is_char_boundary(ma) && x.text.is_char_boundary(mb));
                let line = lines.partition_point(|&s| s <= a) - 1;
                let column = text[lines[line]..a].chars().count();
                assert_eq!(x.column(ma), column, "label at {a}");
                assert!(x.text.lines().all(|l| l.len() < 1000));
            }
        }
    }
}
