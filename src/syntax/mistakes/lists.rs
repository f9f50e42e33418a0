//! Lists typed as people type them: a trailing comma that swallows the
//! next keyword, parentheses where a list needs square brackets.

use super::Stop;
use crate::diag::{Code, Diagnostic};

/// `region in ("EMEA", "APAC")`: a list is written in square brackets.
pub(super) fn parentheses_for_list(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    if !src[stop.at..].starts_with(',') {
        return None;
    }
    // the bracket this comma is inside
    let open = crate::syntax::errors::unmatched_open(&src[..stop.at])?;
    if src.as_bytes()[open] != b'(' {
        return None;
    }
    // a call's parentheses: `count(x, y)` takes commas
    if src[..open].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let close = matching_close(src, open)?;
    let inner = &src[open + 1..close];
    let span = stop.span(open, close + 1);
    let fixed = format!("[{inner}]");
    Some(
        Diagnostic::new(
            Code::ParenthesesForList,
            span,
            "a list is written in square brackets `[ ... ]`",
        )
        .label("parentheses group one condition; they cannot hold a list")
        .with_secondary(
            stop.span(stop.at, stop.at + 1),
            "a comma inside parentheses",
        )
        .help(format!("write `{fixed}`"))
        .suggest(span, fixed),
    )
}

/// A comma left after the last item of a list: `roles a, b,` then the next
/// declaration, `holidays 2025-12-25,` then `}`.
pub(super) fn trailing_comma(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    // the comma directly before the stop, or before the word the parser
    // took as one more item (`roles a, b,` then `stages mql`: `stages` was
    // read as a role)
    let (comma, swallowed) = match comma_before(src, stop.at) {
        Some(c) => (c, None),
        None => {
            let word_end = src[..stop.at].trim_end().len();
            let before = &src[..word_end];
            let len = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .count();
            let word_start = word_end - len;
            let word = &src[word_start..word_end];
            let starts_entry = crate::syntax::errors::ITEM_WORDS.contains(&word)
                || crate::syntax::errors::HANDOFF_WORDS.contains(&word)
                || ENTRY_WORDS.contains(&word);
            if !starts_entry {
                return None;
            }
            (comma_before(src, word_start)?, Some((word_start, word)))
        }
    };
    // the comma ends its line (or the list ends right after it)
    let after = &src[comma + 1..];
    let line_rest = after[..after.find('\n').unwrap_or(after.len())].trim();
    let next = src[stop.at..].trim_start();
    let ends_list = next.starts_with(['}', ']', ')']) || next.is_empty();
    if swallowed.is_none() && !ends_list && !line_rest.is_empty() && !line_rest.starts_with("//") {
        return None;
    }
    let span = stop.span(comma, comma + 1);
    let before_word = {
        let b = src[..comma].trim_end();
        let len = b
            .chars()
            .rev()
            .take_while(|c| !c.is_whitespace() && *c != ',')
            .count();
        &b[b.len() - len..]
    };
    let mut d = Diagnostic::new(
        Code::TrailingComma,
        span,
        format!("the comma after `{before_word}` starts an item that never comes"),
    )
    .label("remove this comma");
    if let Some((start, w)) = swallowed {
        d = d.with_secondary(
            stop.span(start, start + w.len()),
            format!("so `{w}` was read as one more item of the list"),
        );
    }
    Some(
        d.help(format!(
            "remove the comma after `{before_word}`: it is the last item"
        ))
        .suggest(span, ""),
    )
}

/// Keywords that start an entry inside a block other than a handoff (whose
/// entry words errors.rs keeps): a comma before one of them at the end of
/// the line above makes it read as one more item.
const ENTRY_WORDS: &[&str] = &[
    "persona",
    "segment",
    "touches",
    "collect",
    "outcome",
    "members",
    "distribute",
    "timezone",
    "holidays",
    "version",
    "owner",
    "description",
    "applies_to",
    "pii",
    "treat",
];

/// The offset of a `,` that is the last character before `at`, skipping
/// white space and comments.
fn comma_before(src: &str, at: usize) -> Option<usize> {
    let mut end = at;
    loop {
        let trimmed = src[..end].trim_end();
        // a `//` comment on the last line: skip it
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        let line = &trimmed[line_start..];
        match line.find("//") {
            Some(c) if !line[..c].contains('"') => end = line_start + c,
            _ => {
                return trimmed.ends_with(',').then(|| trimmed.len() - 1);
            }
        }
    }
}

/// The bracket that closes the one at `open`, on the same line.
fn matching_close(src: &str, open: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() && bytes[i] != b'\n' {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1 + usize::from(bytes[i] == b'\\');
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return (bytes[i] == b')').then_some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
