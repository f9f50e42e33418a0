//! The rich terminal renderer, built on miette's graphical handler.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::diag::{Diagnostic, Severity};
use crate::span::SourceMap;

/// Adapts one [`Diagnostic`] to miette's trait.
struct View<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
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
    for d in diags {
        let file = sources.get(d.primary.span.file);
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
            source: NamedSource::new(file.name.clone(), file.text.to_string()),
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
