//! The JSON renderer: one document with every diagnostic as plain data.

use serde_json::{json, Value};

use super::span_lines;
use crate::diag::Diagnostic;
use crate::span::{SourceMap, Span};

fn location(sources: &SourceMap, span: Span) -> Value {
    let (start, end) = span_lines(sources, span);
    json!({
        "file": sources.get(span.file).name,
        "start": { "line": start.line, "column": start.column, "offset": span.start },
        "end": { "line": end.line, "column": end.column, "offset": span.end },
    })
}

/// One diagnostic as a JSON value (the shape `docs/diagnostics.md` documents).
pub fn to_json_value(sources: &SourceMap, d: &Diagnostic) -> Value {
    let mut loc = location(sources, d.primary.span);
    let obj = loc.as_object_mut().expect("location is an object");
    let mut v = json!({
        "code": d.code.as_str(),
        "name": d.code.name(),
        "severity": d.severity.as_str(),
        "message": d.message,
        "label": d.primary.message,
        "help": d.help,
        "suggestion": d.suggestion.as_ref().map(|s| json!({
            "replacement": s.replacement,
            "location": location(sources, s.span),
        })),
        "related": d.secondary.iter().map(|s| json!({
            "message": s.message,
            "location": location(sources, s.span),
        })).collect::<Vec<_>>(),
    });
    let m = v.as_object_mut().expect("diagnostic is an object");
    for (k, val) in std::mem::take(obj) {
        m.insert(k, val);
    }
    v
}

/// Renders `{ "diagnostics": [...], "errors": n, "warnings": n }`.
pub fn render_json(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let doc = json!({
        "diagnostics": diags.iter().map(|d| to_json_value(sources, d)).collect::<Vec<_>>(),
        "errors": errors,
        "warnings": diags.len() - errors,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values always serialize");
    s.push('\n');
    s
}
