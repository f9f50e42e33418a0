//! Renderers: diagnostics -> text for people and machines.
//!
//! One file per output format, each a pure function of the diagnostics and
//! the [`SourceMap`]; the CLI picks one with `--format`.

mod github;
mod human;
mod json;
mod sarif;
mod short;

pub use github::render_github;
pub use human::render_human;
pub use json::{render_json, to_json_value};
pub use sarif::render_sarif;
pub use short::render_short;

use crate::span::{LineCol, SourceMap, Span};

/// Line and column of both ends of a span.
pub(crate) fn span_lines(sources: &SourceMap, span: Span) -> (LineCol, LineCol) {
    let f = sources.get(span.file);
    (f.line_col(span.start), f.line_col(span.end))
}

/// Output formats for diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Rich terminal output with source snippets (miette).
    Human,
    /// `file:line:col: error[H101]: message`, one line each.
    Short,
    /// A JSON document.
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`).
    Github,
}

/// Renders `diags` in `format`. `color` only affects [`Format::Human`].
///
/// ```
/// use handoff::diag::render::{render, Format};
/// let checked = handoff::Checked::from_bytes("p.handoff", b"signal hot = score >= 2 days");
/// let short = render(Format::Short, &checked.sources, &checked.diagnostics, false);
/// assert!(short.starts_with("p.handoff:1:23: error[H020]"), "{short}");
/// let json: serde_json::Value =
///     serde_json::from_str(&render(Format::Json, &checked.sources, &checked.diagnostics, false)).unwrap();
/// assert_eq!(json["diagnostics"][0]["suggestion"]["replacement"], "2d");
/// ```
pub fn render(
    format: Format,
    sources: &SourceMap,
    diags: &[crate::diag::Diagnostic],
    color: bool,
) -> String {
    match format {
        Format::Human => render_human(sources, diags, color),
        Format::Short => render_short(sources, diags),
        Format::Json => render_json(sources, diags),
        Format::Sarif => render_sarif(sources, diags),
        Format::Github => render_github(sources, diags),
    }
}
