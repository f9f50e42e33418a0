//! Repairs found by trying them: when no recogniser knows a mistake, small
//! edits at the place the parser stopped are tried one by one (remove the
//! word there or the comma before it, put in a word the parser expected,
//! replace the word with one it expected, drop a pair of brackets, unwrap
//! a call, join a hyphenated name), and the file is parsed again after
//! each. An edit that lets the parser get past the line (or through the
//! whole file) is the fix the help shows, as the corrected line.
//!
//! Up to three edits on one line are combined (`roles a b c` needs two
//! commas), each kept only when it moves the parser forward. Large files
//! are not tried (each attempt parses the whole text again).

use pest::Parser as _;

use super::Stop;
use crate::syntax::{HandoffParser, Rule};

/// Files larger than this are not repaired by trial.
const MAX_TRIAL_BYTES: usize = 256 * 1024;
/// Edits combined on one line at most.
const MAX_EDITS: usize = 3;

/// A repair of the stop's line: the corrected line, and whether the whole
/// file then parses.
pub(crate) struct Repair {
    /// The line as it should read (without its indentation).
    pub line: String,
    /// What was done, for the message: `remove `where``, `add `by``.
    pub what: String,
    /// The file parses whole after the repair.
    pub complete: bool,
    /// The byte range of the line in the original text.
    pub line_span: (usize, usize),
}

/// Where a text stops parsing: `None` when it parses whole. The grammar
/// accepts some mistakes on purpose (to explain them when lowering), so a
/// text that parses is lowered too, and its first error counts.
fn stops_at(text: &str) -> Option<usize> {
    match HandoffParser::parse(Rule::file, text) {
        Ok(_) => {
            let parsed = crate::syntax::parse_module(crate::span::FileId(0), text);
            parsed
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.primary.span.start as usize)
                .min()
        }
        Err(e) => Some(match e.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        }),
    }
}

/// The token at `at`: a string, a word, a two-character operator or one
/// character; its end.
fn token_end(src: &str, at: usize) -> usize {
    let bytes = src.as_bytes();
    match bytes.get(at) {
        None => at,
        Some(b'"') => {
            let mut i = at + 1;
            while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                i += 1 + usize::from(bytes[i] == b'\\');
            }
            (i + 1).min(bytes.len())
        }
        Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => {
            let mut i = at;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.'))
            {
                i += 1;
            }
            i
        }
        Some(_) => {
            let two = src.get(at..at + 2).unwrap_or("");
            if matches!(two, "==" | "!=" | "<=" | ">=" | "->" | "=>") {
                at + 2
            } else {
                at + src[at..].chars().next().map_or(1, char::len_utf8)
            }
        }
    }
}

/// The start of the token that ends just before `at` (white space
/// skipped), if on the same line.
fn token_before(src: &str, at: usize) -> Option<usize> {
    let before = src[..at].trim_end_matches([' ', '\t']);
    if before.is_empty() || before.ends_with('\n') {
        return None;
    }
    let last = before.chars().next_back()?;
    if last.is_ascii_alphanumeric() || last == '_' || last == '.' {
        let len = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .count();
        Some(before.len() - len)
    } else {
        Some(before.len() - last.len_utf8())
    }
}

/// Words and symbols written for others, tried before anything else:
/// what authors type, and what the language says.
const SYNONYMS: &[(&str, &str)] = &[
    ("=>", " -> "),
    ("to", " -> "),
    (":", " = "),
    ("then", ","),
    ("for", "in"),
    ("visible_to", "visible to"),
    ("tracked_by", "tracked by"),
    ("allowed_by", "allowed by"),
    ("max", "cap"),
    ("maximum", "cap"),
    ("limit", "cap"),
    (">=", "at least"),
    ("each", ""),
];

/// Candidate edits at `at`, most likely first: (start, end, replacement,
/// what was done).
fn candidates(src: &str, at: usize, expected: &[String]) -> Vec<(usize, usize, String, String)> {
    let mut out = Vec::new();
    let end = token_end(src, at);
    let tok = &src[at..end];
    let line_end = src[at..].find('\n').map_or(src.len(), |i| at + i);
    let on_line = end > at && end <= line_end;
    let plain_word =
        on_line && tok.chars().all(|c| c.is_ascii_alphabetic() || c == '_') && !tok.is_empty();
    // the word or symbol there, as the language writes it
    let prev_tok = token_before(src, at).map(|b| (b, token_end(src, b)));
    for (s0, e0) in [(at, end)].into_iter().chain(prev_tok) {
        if e0 <= s0 || e0 > line_end {
            continue;
        }
        let t = &src[s0..e0];
        for (theirs, ours) in SYNONYMS {
            if t == *theirs {
                let what = if ours.is_empty() {
                    format!("remove `{t}`")
                } else {
                    format!("write `{}` for `{t}`", ours.trim())
                };
                out.push((s0, e0, ours.to_string(), what));
            }
        }
    }
    // `ready when 2 of { ... }`: a count of conditions is `at least 2 of`
    if tok == "of" {
        if let Some((b, e)) = prev_tok {
            if src[b..e].chars().all(|c| c.is_ascii_digit()) {
                out.push((b, b, "at least ".to_string(), "add `at least`".to_string()));
            }
        }
    }
    if on_line {
        // `x == true` where a yes/no field is named: the field alone
        if matches!(tok, "==" | "!=") {
            let next = end + src[end..].len() - src[end..].trim_start_matches([' ', '\t']).len();
            let next_end = token_end(src, next);
            if matches!(&src[next..next_end], "true" | "false") {
                out.push((
                    at,
                    next_end,
                    String::new(),
                    format!("remove `{}`", &src[at..next_end]),
                ));
            }
        }
    }
    // a comma, colon or `=` too many just before, or a comma one word before
    if let Some(b) = token_before(src, at) {
        let prev = &src[b..token_end(src, b)];
        if matches!(prev, "," | ":" | "=") {
            out.push((
                b,
                b + prev.len(),
                String::new(),
                format!("remove the `{prev}`"),
            ));
        } else if let Some(bb) = token_before(src, b) {
            if &src[bb..token_end(src, bb)] == "," {
                out.push((bb, bb + 1, String::new(), "remove the `,`".to_string()));
            }
        }
    }
    // a word the parser expected, put in before the one there: only words
    // that join the parts of an entry, never one that starts an entry
    let keywords: Vec<&String> = expected
        .iter()
        .filter(|w| {
            (w.len() > 1 && w.chars().all(|c| c.is_ascii_alphabetic() || c == '_'))
                || matches!(w.as_str(), "," | "->" | "Z")
        })
        .take(12)
        .collect();
    for k in keywords.iter().filter(|k| CONNECTORS.contains(&k.as_str())) {
        let glued = matches!(k.as_str(), "," | "Z");
        let insert_at = if glued {
            src[..at].trim_end_matches([' ', '\t']).len()
        } else {
            at
        };
        let text = if glued {
            k.to_string()
        } else {
            format!("{k} ")
        };
        out.push((insert_at, insert_at, text, format!("add `{k}`")));
    }
    // `emea-sdr`: a name is joined with `_`
    if tok == "-" {
        if let Some(b) = token_before(src, at) {
            let after_end = token_end(src, at + 1);
            let first = &src[b..at];
            let second = &src[at + 1..after_end];
            let name =
                |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if name(first) && name(second) {
                // `e-mail` is the format `email`; other names join with `_`
                let joined = if format!("{first}{second}").eq_ignore_ascii_case("email") {
                    "email".to_string()
                } else {
                    format!("{first}_{second}")
                };
                out.push((b, after_end, joined.clone(), format!("write `{joined}`")));
            }
        }
    }
    // a pair of brackets that does not belong: `members ["a"]`, `now()`,
    // or a call around what should stand alone: `unless present(x)`
    if matches!(tok, "[" | "(") {
        if let Some(close) = matching(src, at, line_end) {
            let inner = src[at + 1..close].to_string();
            if tok == "(" {
                if let Some(b) = token_before(src, at) {
                    let word = &src[b..at];
                    if !word.is_empty()
                        && !inner.trim().is_empty()
                        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        out.push((
                            b,
                            close + 1,
                            inner.clone(),
                            format!("write `{inner}` without `{word}(...)`"),
                        ));
                    }
                }
            }
            let glued = src[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
            let with = if glued && !inner.is_empty() {
                format!(" {inner}")
            } else {
                inner
            };
            out.push((
                at,
                close + 1,
                with,
                format!("remove the `{tok}` and its partner"),
            ));
        }
    }
    // a word the parser expected, instead of the one there
    if plain_word {
        for k in &keywords {
            if k.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                out.push((at, end, k.to_string(), format!("write `{k}` for `{tok}`")));
            }
        }
        // a word too many
        let gap = src[end..].len() - src[end..].trim_start_matches([' ', '\t']).len();
        out.push((
            at,
            (end + gap).min(line_end),
            String::new(),
            format!("remove `{tok}`"),
        ));
    }
    // a word too many before: `applies_to where source ...`
    if let Some(b) = token_before(src, at) {
        let prev = &src[b..token_end(src, b)];
        if !prev.is_empty() && prev.chars().all(|c| c.is_ascii_alphabetic()) {
            let gap = src[b + prev.len()..].len()
                - src[b + prev.len()..].trim_start_matches([' ', '\t']).len();
            out.push((
                b,
                b + prev.len() + gap,
                String::new(),
                format!("remove `{prev}`"),
            ));
        }
    }
    out
}

/// Words that join the parts of an entry: the only ones put in by trial.
const CONNECTORS: &[&str] = &[
    ",", "->", "Z", "by", "of", "state", "in", "when", "as", "missing", "requires", "since",
    "unless", "per", "with", "reason", "allowed", "to", "least", "at", "team", "queue", "owner",
    "business", "hours", "and", "or", "not",
];

/// The bracket closing the one at `open`, before `limit`.
fn matching(src: &str, open: usize, limit: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < limit {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < limit && bytes[i] != b'"' {
                    i += 1 + usize::from(bytes[i] == b'\\');
                }
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether replacing `src[start..end]` with `with` lets the parser past
/// the end of the line it is on (or through the whole file).
pub(crate) fn helps(src: &str, start: usize, end: usize, with: &str) -> bool {
    if src.len() > MAX_TRIAL_BYTES {
        return true;
    }
    let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
    let mut trial = String::with_capacity(src.len() + with.len());
    trial.push_str(&src[..start]);
    trial.push_str(with);
    trial.push_str(&src[end..]);
    match stops_at(&trial) {
        None => true,
        Some(p) => p > (line_end + with.len()).saturating_sub(end - start),
    }
}

/// Finds the smallest run of edits (up to three) on the stop's line that
/// lets the parser past it, trying `expected` words among the edits.
pub(crate) fn repair(stop: &Stop<'_>, expected: &[String]) -> Option<Repair> {
    let src = stop.src;
    if src.len() > MAX_TRIAL_BYTES {
        return None;
    }
    let ls = stop.line_start();
    let le = stop.line_end();
    let mut text = src.to_string();
    let mut at = stop.at;
    // the line's end in the edited text moves with the edits
    let mut line_end = le;
    let mut done: Vec<String> = Vec::new();
    for _round in 0..MAX_EDITS {
        let mut progressed = None;
        // edits combine only with more of the same (`roles a b c` takes
        // two commas): a chain of different guesses drifts from the meaning
        let same_kind = |what: &str| done.first().is_none_or(|f: &String| f == what);
        for (s, e, with, what) in candidates(&text, at, expected)
            .into_iter()
            .filter(|c| same_kind(&c.3))
        {
            let mut trial = String::with_capacity(text.len() + with.len());
            trial.push_str(&text[..s]);
            trial.push_str(&with);
            trial.push_str(&text[e..]);
            let new_line_end = (line_end + with.len()).saturating_sub(e - s);
            match stops_at(&trial) {
                None => {
                    done.push(what);
                    return Some(finish(&trial, ls, new_line_end, done, true, (ls, le)));
                }
                Some(p) if p > new_line_end => {
                    done.push(what);
                    return Some(finish(&trial, ls, new_line_end, done, false, (ls, le)));
                }
                // forward on the same line: keep it, and try another edit
                Some(p) if p > at + with.len() && p >= s + with.len() && progressed.is_none() => {
                    progressed = Some((trial, p, new_line_end, what));
                }
                _ => {}
            }
        }
        let (trial, p, new_line_end, what) = progressed?;
        text = trial;
        at = p;
        line_end = new_line_end;
        done.push(what);
    }
    None
}

fn finish(
    text: &str,
    ls: usize,
    le: usize,
    done: Vec<String>,
    complete: bool,
    line_span: (usize, usize),
) -> Repair {
    let line = tidy(text.get(ls..le).unwrap_or("").trim());
    Repair {
        line,
        what: done.join(", "),
        complete,
        line_span,
    }
}

/// The corrected line as the author would write it: single spaces, none
/// before a comma, one after it.
fn tidy(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut prev_space = false;
    for c in line.chars() {
        if c == '"' {
            in_string = !in_string;
        }
        if !in_string && c == ' ' {
            prev_space = true;
            continue;
        }
        if !in_string && c == ',' {
            out.push(',');
            prev_space = true;
            continue;
        }
        if prev_space && !out.is_empty() {
            out.push(' ');
        }
        prev_space = false;
        out.push(c);
    }
    out
}
