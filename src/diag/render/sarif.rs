//! The SARIF 2.1.0 renderer, for code-scanning dashboards.

use serde_json::{json, Value};

use super::span_lines;
use crate::diag::{Code, Diagnostic, Severity};
use crate::span::{SourceMap, Span};

fn physical(sources: &SourceMap, span: Span) -> Value {
    let (start, end) = span_lines(sources, span);
    json!({
        "artifactLocation": { "uri": sources.get(span.file).name.replace('\\', "/") },
        "region": {
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line,
            "endColumn": end.column,
            "byteOffset": span.start,
            "byteLength": span.len(),
        }
    })
}

/// Renders a SARIF log with one run; the driver lists every rule code.
pub fn render_sarif(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.name(),
                "shortDescription": { "text": c.name().replace('-', " ") },
                "helpUri": format!("docs/diagnostics.md#{}-{}", c.as_str().to_lowercase(), c.name()),
                "defaultConfiguration": { "level": level(c.severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let mut r = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == d.code),
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{ "physicalLocation": physical(sources, d.primary.span) }],
                "relatedLocations": d.secondary.iter().enumerate().map(|(i, s)| json!({
                    "id": i,
                    "message": { "text": s.message },
                    "physicalLocation": physical(sources, s.span),
                })).collect::<Vec<_>>(),
            });
            if let Some(s) = &d.suggestion {
                r["fixes"] = json!([{
                    "description": { "text": if s.replacement.is_empty() { "delete the marked text".to_string() } else { format!("replace with `{}`", s.replacement) } },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": sources.get(s.span.file).name.replace('\\', "/") },
                        "replacements": [{
                            "deletedRegion": { "byteOffset": s.span.start, "byteLength": s.span.len() },
                            "insertedContent": { "text": s.replacement },
                        }],
                    }],
                }]);
            }
            r
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "handoff",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/handoff-lang/handoff",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).expect("JSON values always serialize");
    s.push('\n');
    s
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
