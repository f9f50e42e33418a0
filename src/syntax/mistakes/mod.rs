//! Text typed the way people write it: `2 days`, `70 percent`, `100,000`,
//! `9am-5pm`, `# note`, `<>`, `'EMEA'`, a trailing comma, `( ... )` for a
//! list, `sun closed`, a description without quotes.
//!
//! The parser stops at the first character it cannot use. Each recogniser
//! here looks at the text around that place, and when it sees a mistake it
//! knows, it returns a diagnostic with a code of its own whose help shows
//! the corrected text (and a machine-applicable replacement when the
//! correction is certain). Nothing here guesses at the author's intent
//! beyond spelling: a recogniser that is not sure returns `None` and the
//! generic syntax error (`H001`) speaks instead.

use crate::diag::{Code, Diagnostic};
use crate::span::{FileId, Span};

mod calendar;
mod entries;
mod expressions;
mod lists;
mod numbers;
pub(crate) mod repair;

pub(crate) use numbers::duration_words;

/// The place the parser stopped: the file, its text and the byte offset.
pub(crate) struct Stop<'a> {
    pub file: FileId,
    pub src: &'a str,
    pub at: usize,
}

impl Stop<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// The text from the stop to the end of its line.
    fn rest_of_line(&self) -> &str {
        let rest = &self.src[self.at..];
        &rest[..rest.find('\n').unwrap_or(rest.len())]
    }

    /// The start of the stop's line.
    fn line_start(&self) -> usize {
        self.src[..self.at].rfind('\n').map_or(0, |i| i + 1)
    }

    /// The end of the stop's line (before its `\n` or `\r\n`).
    fn line_end(&self) -> usize {
        let end = self.at + self.rest_of_line().len();
        if self.src[..end].ends_with('\r') {
            end - 1
        } else {
            end
        }
    }
}

/// The first recogniser that knows the mistake at `stop`, if any.
pub(super) fn recognise(stop: &Stop<'_>) -> Option<Diagnostic> {
    let recognisers: &[fn(&Stop<'_>) -> Option<Diagnostic>] = &[
        hash_comment,
        expressions::metric_target_op,
        operator_spelling,
        single_quotes,
        entries::enum_shapes,
        entries::schema_types,
        entries::keyword_colon,
        calendar::holiday_range,
        calendar::calendar_hours,
        expressions::slash_dates,
        numbers::duration_words,
        entries::weight_percent,
        numbers::percent_words,
        numbers::number_format,
        lists::parentheses_for_list,
        lists::trailing_comma,
        entries::and_for_comma,
        entries::stages_with_arrows,
        entries::hyphenated_strategy,
        entries::cap_at,
        entries::target_without_kind,
        entries::business_hours_of,
        entries::route_without_when,
        entries::name_with_spaces,
        expressions::null_tests,
        expressions::sql_like,
        expressions::between,
        expressions::optional_on_name,
        unquoted_text,
    ];
    recognisers.iter().find_map(|r| r(stop))
}

// ------------------------------------------------------------ comments

/// `# note`: comments start with `//`.
fn hash_comment(stop: &Stop<'_>) -> Option<Diagnostic> {
    if !stop.src[stop.at..].starts_with('#') {
        return None;
    }
    let hashes = stop.src[stop.at..].len() - stop.src[stop.at..].trim_start_matches('#').len();
    let span = stop.span(stop.at, stop.at + hashes);
    Some(
        Diagnostic::new(
            Code::HashComment,
            span,
            "`#` does not start a comment in a policy",
        )
        .label("write `//` here")
        .help("comments start with `//` and run to the end of the line: `// your note`")
        .suggest(span, "//"),
    )
}

// ------------------------------------------------------------ operators

/// Operators written as other languages and spreadsheets write them, and
/// what this language writes.
const OPERATORS: &[(&str, &str)] = &[
    ("!==", "!="),
    ("===", "=="),
    ("<>", "!="),
    ("=/=", "!="),
    ("=!", "!="),
    ("=<", "<="),
    ("≠", "!="),
    ("≤", "<="),
    ("≥", ">="),
    ("&&", "and"),
    ("||", "or"),
    ("&", "and"),
    ("|", "or"),
    ("!", "not "),
];

/// Operators written in capitals or as words from other languages.
const OPERATOR_WORDS: &[(&str, &str)] = &[("AND", "and"), ("OR", "or"), ("NOT", "not")];

fn operator_spelling(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    // the parser may have taken the first character of a two-character
    // operator (`<` of `<>`, `==` of `===`) before it stopped: look back
    // up to two characters for an operator that covers the stop
    for back in 0..=2 {
        let Some(start) = stop.at.checked_sub(back) else {
            break;
        };
        if !src.is_char_boundary(start) {
            continue;
        }
        for (theirs, ours) in OPERATORS {
            let end = start + theirs.len();
            if src[start..].starts_with(theirs) && end > stop.at {
                // `!=` itself, or `!` that starts `!=`, is ours
                if *theirs == "!" && src[start..].starts_with("!=") {
                    continue;
                }
                let span = stop.span(start, end);
                let shown = ours.trim_end();
                // `!present(x)`: show the whole negated operand
                let operand = if *theirs == "!" {
                    let rest = &src[end..];
                    let word = word_at(rest, 0);
                    let mut len = word.len();
                    if rest[len..].starts_with('(') {
                        let mut depth = 0;
                        for (i, c) in rest[len..].char_indices() {
                            match c {
                                '(' => depth += 1,
                                ')' => {
                                    depth -= 1;
                                    if depth == 0 {
                                        len += i + 1;
                                        break;
                                    }
                                }
                                '\n' => break,
                                _ => {}
                            }
                        }
                    }
                    (len > 0).then(|| format!(": `not {}`", &rest[..len]))
                } else {
                    None
                };
                return Some(
                    Diagnostic::new(
                        Code::OperatorSpelling,
                        span,
                        format!("`{theirs}` is not an operator in a policy; write `{shown}`"),
                    )
                    .label(format!("write `{shown}`"))
                    .help(format!(
                        "replace `{theirs}` with `{shown}`{}; the comparisons are `==`, `!=`, `<`, `<=`, `>`, `>=` and conditions combine with `and`, `or`, `not`",
                        operand.unwrap_or_default()
                    ))
                    .suggest(span, *ours),
                );
            }
        }
    }
    let word = word_at(src, stop.at);
    for (theirs, ours) in OPERATOR_WORDS {
        if word == *theirs {
            let span = stop.span(stop.at, stop.at + word.len());
            return Some(
                Diagnostic::new(
                    Code::OperatorSpelling,
                    span,
                    format!("`{theirs}` is written in lower case: `{ours}`"),
                )
                .label(format!("write `{ours}`"))
                .help(format!(
                    "replace `{theirs}` with `{ours}`; keywords are lower case"
                ))
                .suggest(span, *ours),
            );
        }
    }
    None
}

// ------------------------------------------------------------ strings

/// `'EMEA'`: text is written in double quotes.
fn single_quotes(stop: &Stop<'_>) -> Option<Diagnostic> {
    let rest = stop.rest_of_line();
    let inner = rest.strip_prefix('\'')?;
    let close = inner.find('\'')?;
    let text = &inner[..close];
    if text.contains('"') {
        return None;
    }
    let span = stop.span(stop.at, stop.at + close + 2);
    let fixed = format!("\"{text}\"");
    Some(
        Diagnostic::new(
            Code::SingleQuotes,
            span,
            "text is written in double quotes, not single quotes",
        )
        .label(format!("write {fixed}"))
        .help(format!(
            "write {fixed}: strings use straight double quotes `\"`"
        ))
        .suggest(span, fixed),
    )
}

/// A description or label written without quotes: `description Leads from
/// the web form`, `signal hot = x >= 80 Very engaged`. Only on lines whose
/// keyword takes text at the end, and only for two words or more (one bare
/// word is often a misspelt keyword or name, which H001 handles).
fn unquoted_text(stop: &Stop<'_>) -> Option<Diagnostic> {
    const TEXT_KEYWORDS: &[&str] = &[
        "description",
        "version",
        "owner",
        "persona",
        "segment",
        "outcome",
        "signal",
        "queue",
        "score",
        "metric",
        "notify",
        "block",
        "review",
        "handoff",
    ];
    let line = &stop.src[stop.line_start()..stop.at];
    let head = line.trim_start();
    let keyword = word_at(head, 0);
    if !TEXT_KEYWORDS.contains(&keyword) {
        // `-> notify sdr_manager No contact yet` and `block Stale contact when`
        let after_notify = line.contains("notify ");
        if !after_notify {
            return None;
        }
    }
    let rest = stop.rest_of_line();
    // the text runs to the end of the line, a `//` comment, a closing
    // brace, or (in a quality rule) the `when` that follows it
    let mut end = rest.len();
    for stopper in ["//", "}"] {
        if let Some(i) = rest.find(stopper) {
            end = end.min(i);
        }
    }
    // `handoff mql -> sal Marketing to SDR {`: the label ends at the block
    if matches!(keyword, "handoff" | "score") {
        end = end.min(rest.find('{').unwrap_or(end));
    }
    let is_quality = matches!(keyword, "block" | "review");
    if is_quality {
        end = end.min(rest.find(" when ").unwrap_or(end));
    }
    let text = rest[..end].trim_end();
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() < 2
        || !words[0].starts_with(|c: char| c.is_alphabetic())
        || text.contains('"')
        || text.contains(['=', '<', '>', '(', '[', '{'])
        || words.iter().any(|w| matches!(*w, "when" | "->"))
    {
        return None;
    }
    let span = stop.span(stop.at, stop.at + text.len());
    let fixed = format!("\"{text}\"");
    Some(
        Diagnostic::new(
            Code::UnquotedText,
            span,
            "text must be written in double quotes",
        )
        .label("this text has no quotes")
        .help(format!(
            "write {fixed}: descriptions, labels and messages are quoted strings"
        ))
        .suggest(span, fixed),
    )
}

/// The word (letters, digits, `_`) that starts at `at` in `text`.
pub(super) fn word_at(text: &str, at: usize) -> &str {
    let rest = text.get(at..).unwrap_or("");
    let len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..len]
}
