//! The one diagnostic model.
//!
//! Parsing and checking produce [`Diagnostic`] values: plain data with a
//! stable [`Code`], a severity, a message, a primary labelled span, optional
//! secondary spans, help text and an optional machine-applicable
//! [`Suggestion`]. Renderers in [`render`] turn them into terminal output,
//! one-line text, JSON, SARIF or GitHub annotations; nothing here formats.

mod codes;
pub mod render;

pub use codes::Code;

use crate::span::Span;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A span with a short message pointing into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A replacement the author can apply as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub span: Span,
    pub replacement: String,
}

/// One problem found in a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One sentence, lowercase, no trailing period; user input in backticks.
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    /// One sentence saying what to do.
    pub help: Option<String>,
    pub suggestion: Option<Suggestion>,
}

impl Diagnostic {
    /// A diagnostic with the code's own severity.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
            suggestion: None,
        }
    }

    /// Sets the label under the primary span.
    pub fn label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn suggest(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.suggestion = Some(Suggestion {
            span,
            replacement: replacement.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key: file, position, then code, so output is stable.
    fn key(&self) -> (u32, u32, u32, Code) {
        let s = self.primary.span;
        (s.file.0, s.start, s.end, self.code)
    }
}

/// Sorts diagnostics by position and drops exact repeats.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by_key(|d| d.key());
    diags.dedup();
}

/// Whether any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// Names close to `name` among `candidates`, best first: a case-insensitive
/// match, then the nearest by edit distance (at most a third of the length).
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<(usize, &str)> = None;
    let lower = name.to_lowercase();
    let n = name.chars().count();
    for cand in candidates {
        if cand == name {
            continue;
        }
        // the distance is at least the difference in length: skip the
        // candidates that cannot be close before comparing them
        let c = cand.chars().count();
        let limit = (n.max(c) / 3).max(1);
        if n.abs_diff(c) > limit {
            continue;
        }
        let cl = cand.to_lowercase();
        if cl == lower {
            return Some(cand.to_string());
        }
        let d = strsim::levenshtein(&lower, &cl);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_prefers_case_insensitive_then_distance() {
        let c = ["employees", "Emea", "EMEA", "region"];
        assert_eq!(did_you_mean("employes", c), Some("employees".into()));
        assert_eq!(did_you_mean("emea", ["EMEA", "NA"]), Some("EMEA".into()));
        assert_eq!(did_you_mean("zzz", c), None);
        assert_eq!(did_you_mean("x", ["y"]), Some("y".into()));
    }
}
