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
    /// Worth fixing; the policy still checks and runs (unless `--deny warnings`).
    Warning,
    /// The policy cannot be compiled or evaluated until it is fixed.
    Error,
}

impl Severity {
    /// `"warning"` or `"error"`, as written in every output format.
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
    /// The text the label points at.
    pub span: Span,
    /// What is wrong there, in a few words (may be empty).
    pub message: String,
}

/// A replacement the author can apply as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The text to replace.
    pub span: Span,
    /// What to write instead; empty to delete the text.
    pub replacement: String,
}

/// One problem found in a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code (`H101`), documented in docs/diagnostics.md.
    pub code: Code,
    /// Usually the code's own severity ([`Code::severity`]).
    pub severity: Severity,
    /// One sentence, lowercase, no trailing period; user input in backticks.
    pub message: String,
    /// Where the problem is.
    pub primary: Label,
    /// Other places that explain it (the first definition of a duplicate).
    pub secondary: Vec<Label>,
    /// One sentence saying what to do.
    pub help: Option<String>,
    /// A fix that can be applied as is; only when it is sure to be right.
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

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the machine-applicable fix.
    pub fn suggest(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.suggestion = Some(Suggestion {
            span,
            replacement: replacement.into(),
        });
        self
    }

    /// Whether its severity is [`Severity::Error`].
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

/// Names close to `name` among `candidates`: the one it surely means, or
/// the few it may mean. See [`near_names`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Near {
    /// Nothing close.
    None,
    /// A misspelling of this name, safe to replace automatically.
    One(String),
    /// These names are close, best first, but choosing among them (or
    /// taking the only one) could change what the policy means: list them
    /// and offer no automatic fix.
    Several(Vec<String>),
}

impl Near {
    /// The name to suggest as a fix, when there is one sure name.
    pub fn sure(&self) -> Option<&str> {
        match self {
            Near::One(s) => Some(s),
            _ => None,
        }
    }
}

/// The lowercase parts of a name: `enterprise_ae_emea` -> `enterprise`,
/// `ae`, `emea`; `firstContactAt` -> `first`, `contact`, `at`.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '.' | '-' | ' ' | '/') {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

/// Whether `a` is a misspelling of `b` rather than another word: few edits
/// for the length, and not a short code (`eu`, `na`, `sql`), where one
/// letter is a different meaning.
fn is_typo(a: &str, b: &str) -> bool {
    let len = a.chars().count().max(b.chars().count());
    let d = strsim::osa_distance(a, b);
    len >= 4 && d * 3 <= len
}

/// Names close to `name` among `candidates`, ranked by meaning before
/// spelling: a name that differs only in case wins; then names sharing
/// more of its parts (`enterprise_ae_emea` shares `enterprise` and `ae`
/// with `enterprise_ae_eu`), then fewer edits. A name is offered as a sure
/// fix only when it is a misspelling (every part that differs is a typo of
/// the other, never a different short code such as `eu` for `na`) and no
/// other candidate is about as close; otherwise the close names are
/// listed, best first, with no fix.
pub fn near_names<'a, I>(name: &str, candidates: I) -> Near
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = name.to_lowercase();
    let parts = name_parts(name);
    let n = name.chars().count();
    // (shared parts, distance, sure, candidate)
    let mut close: Vec<(usize, usize, bool, &str)> = Vec::new();
    for cand in candidates {
        if cand == name {
            continue;
        }
        let c = cand.chars().count();
        let limit = (n.max(c) / 3).max(1);
        let cl = cand.to_lowercase();
        if cl == lower {
            return Near::One(cand.to_string());
        }
        let cparts = name_parts(cand);
        // `roundrobin` for `round_robin`, `first-contact` for `first_contact`
        if parts.concat() == cparts.concat() {
            return Near::One(cand.to_string());
        }
        let shared = parts.iter().filter(|p| cparts.contains(p)).count();
        // a name with a part missing or added: `enterprise_ae` for
        // `enterprise_ae_emea`
        let extends =
            shared > 0 && shared == parts.len().min(cparts.len()) && parts.len() != cparts.len();
        if n.abs_diff(c) > limit && !extends {
            continue;
        }
        let d = strsim::osa_distance(&lower, &cl);
        if d > limit && !extends {
            continue;
        }
        // sure only when the parts line up and each that differs is a typo
        let sure = parts.len() == cparts.len()
            && parts
                .iter()
                .zip(&cparts)
                .all(|(a, b)| a == b || is_typo(a, b))
            && (parts.len() > 1 || is_typo(&lower, &cl));
        close.push((shared, d, sure, cand));
    }
    if close.is_empty() {
        return Near::None;
    }
    close.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.3.cmp(b.3)));
    let (shared, d, sure, best) = close[0];
    let rival = close
        .get(1)
        .is_some_and(|&(s2, d2, _, _)| s2 == shared && d2 <= d + 1);
    if sure && !rival {
        return Near::One(best.to_string());
    }
    Near::Several(close.iter().take(4).map(|c| c.3.to_string()).collect())
}

/// The one name `name` surely means among `candidates` (see
/// [`near_names`]); `None` when nothing is close or the choice is not sure.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    match near_names(name, candidates) {
        Near::One(s) => Some(s),
        _ => None,
    }
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
        // one letter apart, but a one-letter name is no typo of another
        assert_eq!(did_you_mean("x", ["y"]), None);
        assert_eq!(near_names("x", ["y"]), Near::Several(vec!["y".into()]));
    }

    #[test]
    fn suggestions_keep_meaning() {
        let teams = ["enterprise_ae_emea", "enterprise_ae_na", "smb_sdr"];
        // two letters from `_na`, but Europe is not North America
        assert_eq!(
            near_names("enterprise_ae_eu", teams),
            Near::Several(vec!["enterprise_ae_na".into(), "enterprise_ae_emea".into()])
        );
        // a part missing: both are candidates, neither is sure
        assert_eq!(
            near_names("enterprise_ae", teams),
            Near::Several(vec!["enterprise_ae_na".into(), "enterprise_ae_emea".into()])
        );
        // a real misspelling is a sure fix
        assert_eq!(
            near_names("enterprize_ae_emea", teams),
            Near::One("enterprise_ae_emea".into())
        );
        assert_eq!(near_names("smb_sdrs", teams), Near::One("smb_sdr".into()));
        // short codes one letter apart are different things
        assert_eq!(did_you_mean("sql", ["mql", "sal"]), None);
        // camelCase and snake_case parts line up
        assert_eq!(
            near_names("first_contact_at", ["firstContactAt", "handed_off_at"]),
            Near::One("firstContactAt".into())
        );
        assert_eq!(name_parts("firstContactAt"), ["first", "contact", "at"]);
        assert_eq!(
            did_you_mean("roundrobin", ["round_robin", "weighted"]),
            Some("round_robin".into())
        );
    }
}
