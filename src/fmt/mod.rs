//! `handoff fmt`: one canonical layout for policy files.
//!
//! The formatter changes white space only. It reads the text a line at a
//! time, splits each line into its code and its `//` comment, and writes
//! the code again with:
//!
//! - indentation of two spaces per open `{`, and two more for a line that
//!   continues an entry (an `unless`, `->` or `when` line of an escalation
//!   or quality rule, a line inside open parentheses or brackets, a line
//!   after one that ends with an operator or a comma);
//! - single spaces between tokens, none inside `( )` and `[ ]` or before
//!   `,`, `?` and `:`, one around `==`, `!=`, `<=`, `>=`, `=` and `->` and
//!   on both sides of `{` and `}`; where spacing could change how a token
//!   reads (`-`, `<`, `>`, `+`, `(` after a word), the author's choice of
//!   space or none is kept;
//! - columns: the `->` of consecutive route rules, the parts of
//!   consecutive one-line quality rules (`name:`, severity, message,
//!   `when`), the labels of consecutive `require` items, and the trailing
//!   comments of consecutive lines (two spaces after the code), aligned;
//! - blank lines: at most one in a row, none just inside a block, one
//!   before and after a declaration that spans lines;
//! - `\n` line ends, no trailing white space, one final newline.
//!
//! Line breaks are the author's: the formatter never joins lines, and
//! splits one only when it passes 100 columns, after the last comma that
//! fits (long lists of roles, members, holidays or values wrap onto
//! continuation lines). Comments and doc comments are kept as written, in
//! place.
//!
//! It never changes meaning: [`format_source`] parses its output again and
//! compares the syntax tree (positions aside) and the comments, in order,
//! with the input's; on any difference it refuses with
//! [`FmtError::Internal`] instead of returning text.

use crate::diag::Diagnostic;
use crate::syntax::split_comment;

mod align;

use crate::span::FileId;
use align::{align_comments, align_quality, align_require, align_routes};

/// Why a text was not formatted.
#[derive(Debug)]
pub enum FmtError {
    /// The text does not parse: these are its syntax errors. Fix them
    /// first; the formatter only formats what it can read.
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not mean what the input means (a bug in
    /// the formatter: nothing is written). The message says what differs.
    Internal(String),
}

/// Formats policy text. Returns the canonical text (equal to the input
/// when it is already formatted).
///
/// ```
/// let messy = "signal  engaged=score>=40   \"Engaged\"\nsignal hot = score >= 80\n";
/// let tidy = handoff::fmt::format_source(messy).unwrap();
/// assert_eq!(tidy, "signal engaged = score >= 40 \"Engaged\"\nsignal hot = score >= 80\n");
/// // formatting is a fixpoint
/// assert_eq!(handoff::fmt::format_source(&tidy).unwrap(), tidy);
/// ```
pub fn format_source(text: &str) -> Result<String, FmtError> {
    // lines may end in a lone `\r`; the formatted text ends them in `\n`
    let text = &*crate::span::lone_cr_as_lf(text);
    let before = crate::syntax::parse_module(FileId(0), text);
    let errors: Vec<Diagnostic> = before
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    let Some(module) = before.module.filter(|_| errors.is_empty()) else {
        return Err(FmtError::Syntax(errors));
    };
    let out = layout(text);
    let after = crate::syntax::parse_module(FileId(0), &out);
    let Some(formatted) = after.module else {
        return Err(FmtError::Internal(
            "the formatted text does not parse".to_string(),
        ));
    };
    if shape(&format!("{module:?}")) != shape(&format!("{formatted:?}")) {
        return Err(FmtError::Internal(
            "the formatted text parses to a different policy".to_string(),
        ));
    }
    if comments(text) != comments(&out) {
        return Err(FmtError::Internal(
            "the formatted text lost or moved a comment".to_string(),
        ));
    }
    Ok(out)
}

/// A syntax tree's debug text without positions (`12..20`, `#0`).
fn shape(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let bytes = debug.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // a span prints as `START..END`
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if bytes[j..].starts_with(b"..") {
                let mut k = j + 2;
                while k < bytes.len() && bytes[k].is_ascii_digit() {
                    k += 1;
                }
                if k > j + 2 {
                    i = k;
                    continue;
                }
            }
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}

/// Every comment of a text, in order, without the white space around it.
fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| split_comment(l).1)
        .map(str::trim)
        .collect()
}

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A name, a number, a path, a date, a duration: anything made of
    /// letters, digits and `_ . : % + -`.
    Word,
    /// `"..."` as written.
    Str,
    /// One of `{ } ( ) [ ] , ?` or an operator.
    Punct,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    kind: Kind,
    /// White space stood before it in the input.
    spaced: bool,
}

fn tokens(code: &str) -> Vec<Token<'_>> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut spaced = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b' ' || c == b'\t' || c == b'\r' || c == 0x0b || c == 0x0c {
            spaced = true;
            i += 1;
            continue;
        }
        let start = i;
        let kind = if c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            Kind::Str
        } else if c == b':' && bytes.get(i + 1).is_some_and(|b| !b.is_ascii_digit()) {
            // a schema field's colon written apart from its name (`id :string`)
            i += 1;
            Kind::Punct
        } else if is_word_byte(c) && !(c == b'-' && bytes.get(i + 1) == Some(&b'>')) {
            while i < bytes.len()
                && is_word_byte(bytes[i])
                && !(bytes[i] == b'-' && bytes.get(i + 1) == Some(&b'>'))
            {
                // `score:number`: the colon ends the name (a clock such as
                // `09:00` has a digit after it and stays one word)
                if bytes[i] == b':' && bytes.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic()) {
                    i += 1;
                    break;
                }
                i += 1;
            }
            Kind::Word
        } else {
            let two = code.get(i..i + 2).unwrap_or("");
            i += if matches!(two, "==" | "!=" | "<=" | ">=" | "->") {
                2
            } else {
                // one character (a byte of ASCII, or a whole other one)
                code[i..].chars().next().map_or(1, char::len_utf8)
            };
            Kind::Punct
        };
        out.push(Token {
            text: &code[start..i],
            kind,
            spaced,
        });
        spaced = false;
    }
    out
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'%' | b'+' | b'-') || c >= 0x80
}

/// Whether one space goes between `prev` and `cur`.
fn space_between(prev: &Token, cur: &Token) -> bool {
    let (p, c) = (prev.text, cur.text);
    if matches!(c, "," | ")" | "]" | "?") || c == ":" {
        return false;
    }
    if matches!(p, "(" | "[") {
        return false;
    }
    if p == "," || p == ":" || (p.ends_with(':') && prev.kind == Kind::Word) {
        return true;
    }
    // a string never touches a word: `version"1"` is `version "1"`
    if (prev.kind == Kind::Str) != (cur.kind == Kind::Str)
        && (prev.kind == Kind::Word || cur.kind == Kind::Word)
    {
        return true;
    }
    // `list<{ ... }>`: a record type inside a list keeps its spacing
    if (p == "<" && c == "{") || (p == "}" && c == ">") {
        return cur.spaced;
    }
    let spaced_op = |t: &str| matches!(t, "==" | "!=" | "<=" | ">=" | "->" | "=" | "{" | "}");
    if spaced_op(c) || spaced_op(p) {
        return true;
    }
    cur.spaced
}

/// A line's code with canonical spacing.
fn respace(code: &str) -> String {
    let toks = tokens(code);
    let mut out = String::with_capacity(code.len());
    for (i, t) in toks.iter().enumerate() {
        if i > 0 && space_between(&toks[i - 1], t) {
            out.push(' ');
        }
        out.push_str(t.text);
    }
    out
}

// ---------------------------------------------------------------- lines

/// One line of output before alignment.
struct Line {
    indent: usize,
    code: String,
    comment: Option<String>,
    /// The keyword of the innermost block the line is in (`route`,
    /// `quality`, ...), empty at the top level.
    block: String,
    /// It continues the entry of the line before.
    continuation: bool,
}

impl Line {
    fn blank(&self) -> bool {
        self.code.is_empty() && self.comment.is_none()
    }
}

/// Keywords that start a top-level declaration.
const ITEMS: &[&str] = &[
    "import", "policy", "lead", "roles", "stages", "team", "queue", "calendar", "signal", "score",
    "handoff", "playbook", "metric",
];

/// Words that begin a line continuing the entry above it.
const CONTINUES: &[&str] = &[
    "unless", "->", "and", "or", "since", "requires", "+", "-", "*", "/", "==", "!=", "<", "<=",
    ">", ">=", "=", "in", "not", "target", "among", "visible",
];

/// Lines longer than this (indentation included) are broken after a comma.
const MAX_WIDTH: usize = 100;

/// Breaks each line whose code (respaced, at an indentation guessed from
/// its brackets) passes [`MAX_WIDTH`] after the last comma that fits, so
/// that long lists of roles, members, holidays or values wrap. A line
/// without such a comma stays long.
fn wrap_long_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut depth = 0usize;
    for raw in text.lines() {
        let (code, comment) = split_comment(raw);
        let whole = respace(code.trim());
        let indent = 2 * depth + 4;
        let mut pieces = Vec::new();
        // by offsets into the line: a very long line is cut in one pass
        let mut at = 0;
        while indent + whole[at..].chars().take(MAX_WIDTH + 1).count() > MAX_WIDTH {
            let rest = &whole[at..];
            let Some(cut) = last_comma_before(rest, MAX_WIDTH.saturating_sub(indent)) else {
                break;
            };
            pieces.push(&rest[..=cut]);
            let next = &rest[cut + 1..];
            at += cut + 1 + (next.len() - next.trim_start().len());
        }
        let code = &whole[at..];
        for t in tokens(&whole) {
            match t.text {
                "{" | "(" | "[" => depth += 1,
                "}" | ")" | "]" => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        for p in pieces {
            out.push_str(p);
            out.push('\n');
        }
        out.push_str(code);
        if let Some(c) = comment {
            out.push(' ');
            out.push_str(c.trim_end());
        }
        out.push('\n');
    }
    out
}

/// The byte offset of the last `,` outside strings at or before the
/// `limit`-th character, if any.
fn last_comma_before(code: &str, limit: usize) -> Option<usize> {
    let mut in_string = false;
    let mut found = None;
    let mut escaped = false;
    for (n, (i, c)) in code.char_indices().enumerate() {
        if n > limit {
            break;
        }
        match c {
            '\\' if in_string && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => in_string = !in_string,
            ',' if !in_string => found = Some(i),
            _ => {}
        }
        escaped = false;
    }
    // a comma at the very end breaks nothing
    found.filter(|&i| i + 1 < code.len())
}

fn layout(text: &str) -> String {
    let wrapped = wrap_long_lines(text);
    let text = wrapped.as_str();
    let mut lines: Vec<Line> = Vec::new();
    // open brackets: the keyword before each `{`, and `(`/`[` as such
    let mut stack: Vec<String> = Vec::new();
    let mut prev_open_end = false;
    for raw in text.lines() {
        let raw = raw.strip_prefix('\u{FEFF}').unwrap_or(raw);
        let (code, comment) = split_comment(raw);
        let code = respace(code.trim());
        let comment = comment.map(|c| c.trim_end().to_string());
        let toks = tokens(&code);
        let first = toks.first().map(|t| t.text).unwrap_or("");
        // closers at the start of the line belong to the outer level
        let mut depth_stack = stack.clone();
        for t in &toks {
            match t.text {
                "}" | ")" | "]" => {
                    depth_stack.pop();
                }
                _ => break,
            }
        }
        let braces = depth_stack.iter().filter(|s| !is_paren(s)).count();
        let parens = depth_stack.iter().filter(|s| is_paren(s)).count();
        let block = depth_stack
            .iter()
            .rev()
            .find(|s| !is_paren(s))
            .cloned()
            .unwrap_or_default();
        let continuation = !code.is_empty()
            && parens == 0
            && (prev_open_end
                || CONTINUES.contains(&first)
                || (first == "when" && block != "route")
                || toks.first().is_some_and(|t| t.kind == Kind::Str));
        let indent = 2 * braces + 2 * parens + if continuation { 2 } else { 0 };
        // the brackets this line opens and closes
        for (i, t) in toks.iter().enumerate() {
            match t.text {
                "{" => {
                    let kw = block_keyword(&toks[..i]);
                    stack.push(kw);
                }
                "(" => stack.push("(".into()),
                "[" => stack.push("[".into()),
                "}" | ")" | "]" => {
                    stack.pop();
                }
                _ => {}
            }
        }
        if !code.is_empty() {
            let last = toks.last().map(|t| t.text).unwrap_or("");
            // (`<` and `>` end `list<...>` types as often as they compare)
            prev_open_end = matches!(
                last,
                "," | "and"
                    | "or"
                    | "="
                    | "=="
                    | "!="
                    | "<="
                    | ">="
                    | "+"
                    | "-"
                    | "*"
                    | "/"
                    | "->"
                    | "not"
                    | "in"
            ) && stack.last().is_none_or(|s| !is_paren(s));
        }
        lines.push(Line {
            indent,
            code,
            comment,
            block,
            continuation,
        });
    }
    let lines = blank_lines(lines);
    let mut rendered: Vec<(usize, String, Option<String>)> = lines
        .iter()
        .map(|l| (l.indent, l.code.clone(), l.comment.clone()))
        .collect();
    align_routes(&lines, &mut rendered);
    align_quality(&lines, &mut rendered);
    align_require(&lines, &mut rendered);
    align_comments(&mut rendered);
    let mut out = String::with_capacity(text.len() + 64);
    for (indent, code, comment) in rendered {
        let mut line = String::new();
        if !code.is_empty() || comment.is_some() {
            line.push_str(&" ".repeat(indent));
        }
        line.push_str(&code);
        if let Some(c) = comment {
            if !code.is_empty() && !line.ends_with(' ') {
                line.push(' ');
            }
            line.push_str(&c);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    // no blank lines at the start or the end
    let trimmed = out.trim_matches('\n');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}\n")
    }
}

fn is_paren(s: &str) -> bool {
    s == "(" || s == "["
}

/// The word that names a block: the first word of the entry that opens it
/// (`route`, `quality`, `handoff`, `any`, a record field's name).
fn block_keyword(before: &[Token]) -> String {
    let words: Vec<&str> = before
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .map(|t| t.text)
        .collect();
    match words.as_slice() {
        [] => String::new(),
        // `stale: block ...` never opens a block; `x: { ... }` does not occur
        [.., last] if matches!(*last, "any" | "all" | "of") => "any".to_string(),
        [first, ..] => first.trim_end_matches(':').to_string(),
    }
}

/// At most one blank line in a row, none just inside a block, and one
/// around a declaration that spans lines (before its doc comments).
fn blank_lines(lines: Vec<Line>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    for line in lines {
        if line.blank() {
            let prev_blank_or_open = out
                .last()
                .is_none_or(|l: &Line| l.blank() || (l.comment.is_none() && l.code.ends_with('{')));
            if !prev_blank_or_open {
                out.push(line);
            }
            continue;
        }
        // none just before a closing brace
        if line.code.starts_with('}') {
            while out.last().is_some_and(Line::blank) {
                out.pop();
            }
        }
        // a top-level declaration after one that spanned lines, or one that
        // opens a block: a blank line first, above its comments
        let first = line.code.split([' ', '{']).next().unwrap_or("");
        if line.indent == 0 && !line.continuation && ITEMS.contains(&first) {
            let mut at = out.len();
            while at > 0 && out[at - 1].code.is_empty() && out[at - 1].comment.is_some() {
                at -= 1;
            }
            let before = at.checked_sub(1).map(|i| &out[i]);
            let opens = line.code.ends_with('{');
            let after_block = before.is_some_and(|b| b.indent == 0 && b.code.ends_with('}'));
            if let Some(b) = before {
                if !b.blank() && (opens || after_block) {
                    out.insert(
                        at,
                        Line {
                            indent: 0,
                            code: String::new(),
                            comment: None,
                            block: String::new(),
                            continuation: false,
                        },
                    );
                }
            }
        }
        out.push(line);
    }
    while out.last().is_some_and(Line::blank) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_is_canonical_where_it_cannot_change_meaning() {
        assert_eq!(respace("signal  x=a==b"), "signal x = a == b");
        assert_eq!(respace("f( a ,b )"), "f(a, b)");
        assert_eq!(respace("x in [ \"a\" , \"b\" ]"), "x in [\"a\", \"b\"]");
        assert_eq!(respace("when x->team t"), "when x -> team t");
        // kept as written: `-` and `<` could be part of a date or a type
        assert_eq!(respace("mon-fri 09:00-17:30"), "mon-fri 09:00-17:30");
        assert_eq!(respace("tags: list<string>?"), "tags: list<string>?");
        assert_eq!(respace("a: list<{ k: string }>"), "a: list<{ k: string }>");
        assert_eq!(respace("a - b"), "a - b");
        assert_eq!(respace("x  \"a  b\""), "x \"a  b\"");
    }

    #[test]
    fn shapes_ignore_positions_only() {
        assert_eq!(
            shape("Ident { name: \"x1\", span: 12..20 }"),
            "Ident { name: \"x1\", span:  }"
        );
        assert_eq!(shape("Number(2.5)"), "Number(2.5)");
    }
}
