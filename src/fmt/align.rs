//! Columns: the `->` of route rules, the parts of quality rules, the
//! labels of `require` items and trailing comments, aligned over runs of
//! consecutive lines.

use super::{tokens, Kind, Line};

/// The index of the token `->` in a line's code outside brackets, as a
/// byte offset.
fn arrow_at(code: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_string = false;
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'(' | b'[' | b'{' if !in_string => depth += 1,
            b')' | b']' | b'}' if !in_string => depth -= 1,
            b'-' if !in_string && depth == 0 && bytes.get(i + 1) == Some(&b'>') => {
                return Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Runs of consecutive lines (no blank line, same indentation) that
/// `member` accepts.
fn groups(lines: &[Line], member: impl Fn(&Line) -> bool) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let joins = member(l)
            && cur
                .last()
                .is_none_or(|&p| p + 1 == i && lines[p].indent == l.indent);
        if joins {
            cur.push(i);
        } else {
            if cur.len() > 1 {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
            if member(l) {
                cur.push(i);
            }
        }
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

/// A code column past which nothing is aligned.
const MAX_ALIGN: usize = 48;

/// The `->` of consecutive route rules in one column.
pub(super) fn align_routes(lines: &[Line], out: &mut [(usize, String, Option<String>)]) {
    let member = |l: &Line| {
        l.block == "route"
            && !l.continuation
            && (l.code.starts_with("when ") || l.code.starts_with("otherwise"))
            && arrow_at(&l.code).is_some()
    };
    // a rule far longer than the others keeps one space before its arrow
    // rather than pushing every arrow of the block to the right
    align_column(lines, out, member, arrow_at);
}

/// Puts the column that `at` finds (a byte offset in a line's code) of
/// the consecutive lines `member` accepts in one place, one space after
/// the longest code before it; a line whose code before the column passes
/// [`MAX_ALIGN`] keeps one space and is left out.
fn align_column(
    lines: &[Line],
    out: &mut [(usize, String, Option<String>)],
    member: impl Fn(&Line) -> bool,
    at: fn(&str) -> Option<usize>,
) {
    let head = |code: &str| at(code).map(|a| code[..a].trim_end().chars().count());
    let member = |l: &Line| member(l) && head(&l.code).is_some_and(|w| w <= MAX_ALIGN);
    for group in groups(lines, member) {
        let width = group
            .iter()
            .filter_map(|&i| head(&out[i].1))
            .max()
            .unwrap_or(0)
            + 1;
        for &i in &group {
            let code = &out[i].1;
            if let Some(a) = at(code) {
                let h = code[..a].trim_end();
                let pad = width.saturating_sub(h.chars().count()).max(1);
                out[i].1 = format!("{h}{}{}", " ".repeat(pad), &code[a..]);
            }
        }
    }
}

/// Consecutive one-line quality rules in columns: `name:`, severity,
/// message, `when ...`.
pub(super) fn align_quality(lines: &[Line], out: &mut [(usize, String, Option<String>)]) {
    // (name, severity, message, rest)
    fn parts(code: &str) -> Option<(&str, &str, &str, &str)> {
        let toks = tokens(code);
        let mut i = 0;
        let name = match toks.first() {
            Some(t) if t.kind == Kind::Word && t.text.ends_with(':') && t.text.len() > 1 => {
                i = 1;
                t.text
            }
            _ => "",
        };
        let sev = toks
            .get(i)
            .filter(|t| matches!(t.text, "block" | "review"))?;
        let msg = toks.get(i + 1).filter(|t| t.kind == Kind::Str)?;
        let when = toks.get(i + 2).filter(|t| t.text == "when")?;
        let rest_at = when.text.as_ptr() as usize - code.as_ptr() as usize;
        Some((name, sev.text, msg.text, &code[rest_at..]))
    }
    let member = |l: &Line| l.block == "quality" && !l.continuation && parts(&l.code).is_some();
    for group in groups(lines, member) {
        let rows: Vec<(String, String, String, String)> = group
            .iter()
            .filter_map(|&i| parts(&out[i].1))
            .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
            .collect();
        if rows.len() != group.len() {
            continue;
        }
        // a name column only when every rule has a name; otherwise a name
        // goes with its severity
        let rows: Vec<(String, String, String, String)> = if rows.iter().all(|r| !r.0.is_empty()) {
            rows
        } else {
            rows.into_iter()
                .map(|(n, s, m, r)| {
                    let sev = if n.is_empty() { s } else { format!("{n} {s}") };
                    (String::new(), sev, m, r)
                })
                .collect()
        };
        let w = |f: fn(&(String, String, String, String)) -> &String| {
            rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0)
        };
        let (wn, ws, wm) = (w(|r| &r.0), w(|r| &r.1), w(|r| &r.2));
        for (&i, (n, s, m, rest)) in group.iter().zip(&rows) {
            let mut line = String::new();
            if wn > 0 {
                line.push_str(n);
                line.push_str(&" ".repeat(wn - n.chars().count() + 1));
            }
            line.push_str(s);
            line.push_str(&" ".repeat(ws - s.chars().count() + 1));
            line.push_str(m);
            line.push_str(&" ".repeat(wm - m.chars().count() + 1));
            line.push_str(rest);
            out[i].1 = line;
        }
    }
}

/// The labels of consecutive one-line `require` items in one column.
pub(super) fn align_require(lines: &[Line], out: &mut [(usize, String, Option<String>)]) {
    fn label_at(code: &str) -> Option<usize> {
        let toks = tokens(code);
        let last = toks.last().filter(|t| t.kind == Kind::Str)?;
        // the last string is a label unless it is a `format` pattern
        let before = toks.len().checked_sub(2).map(|i| toks[i].text)?;
        if before == "format" || toks.iter().any(|t| t.text == "{") {
            return None;
        }
        Some(last.text.as_ptr() as usize - code.as_ptr() as usize)
    }
    let member = |l: &Line| l.block == "require" && !l.continuation;
    align_column(lines, out, member, label_at);
}

/// Trailing comments of consecutive lines (same indentation, no blank
/// line between) in one column, two spaces after the longest code.
pub(super) fn align_comments(out: &mut [(usize, String, Option<String>)]) {
    let mut i = 0;
    while i < out.len() {
        let trailing = |r: &(usize, String, Option<String>)| !r.1.is_empty() && r.2.is_some();
        if !trailing(&out[i]) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < out.len() && trailing(&out[j]) && out[j].0 == out[i].0 {
            j += 1;
        }
        let width = out[i..j]
            .iter()
            .map(|r| r.0 + r.1.chars().count())
            .max()
            .unwrap_or(0);
        for r in &mut out[i..j] {
            let len = r.0 + r.1.chars().count();
            r.1.push_str(&" ".repeat(width - len + 2));
        }
        i = j;
    }
}
