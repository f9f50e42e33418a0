//! The GitHub Actions renderer: workflow commands that annotate the diff.

use super::span_lines;
use crate::diag::{Diagnostic, Severity};
use crate::span::SourceMap;

/// Escapes the message part of a workflow command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders `::error file=...,line=...::message` lines.
pub fn render_github(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let (start, end) = span_lines(sources, d.primary.span);
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        out.push_str(&format!(
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&sources.get(d.primary.span.file).name),
            start.line,
            start.column,
            end.line,
            end.column,
            escape_property(&format!("{} {}", d.code.as_str(), d.code.name())),
            escape_data(&message),
        ));
    }
    out
}
