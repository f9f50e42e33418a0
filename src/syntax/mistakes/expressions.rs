//! Conditions and values written as other languages write them: `x is
//! null`, SQL's `like`, `between`, `target => 70%`, US dates, and the `?`
//! of an optional field on its name.

use super::entries::{path_before, word_before};
use super::{word_at, Stop};
use crate::diag::{Code, Diagnostic};

/// `target => 70%`, `target = 4h`: a target compares with `<=`, `<`, `>=`
/// or `>`; which way is good is part of the target.
pub(super) fn metric_target_op(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let before = src[..stop.at].trim_end();
    let (start, written) = if before.ends_with("target") {
        let rest = &src[stop.at..];
        let len = rest
            .chars()
            .take_while(|c| matches!(c, '=' | '<' | '>' | '!'))
            .count();
        (stop.at, &rest[..len])
    } else {
        return None;
    };
    if written.is_empty() {
        return None;
    }
    let value = src[start + written.len()..].trim_start();
    let value: &str = value.split_whitespace().next().unwrap_or("");
    let (fixed, why) = match written {
        "=>" => (">=", "at least"),
        "=<" => ("<=", "at most"),
        _ if value.ends_with('%') => (">=", "at least"),
        _ => ("<=", "at most"),
    };
    let span = stop.span(start, start + written.len());
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("a target is written with `<=`, `<`, `>=` or `>`, not `{written}`"),
        )
        .label(format!("write `{fixed}`"))
        .help(format!(
            "write `target {fixed} {value}` ({why} {value}); a target says which side is good"
        ))
        .suggest(span, fixed),
    )
}

/// `holidays 12/24/2025`: dates are written `2025-12-24`.
pub(super) fn slash_dates(stop: &Stop<'_>) -> Option<Diagnostic> {
    let rest = stop.rest_of_line();
    let token: &str = rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap_or("");
    let parts: Vec<&str> = token.split(['/', '.']).collect();
    if parts.len() != 3 || token.len() < 6 {
        return None;
    }
    let nums: Option<Vec<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
    let nums = nums?;
    let (y, a, b) = if parts[0].len() == 4 {
        (nums[0], nums[1], nums[2])
    } else if parts[2].len() == 4 {
        (nums[2], nums[0], nums[1])
    } else {
        return None;
    };
    let span = stop.span(stop.at, stop.at + token.len());
    // month/day unless the first cannot be a month
    let (m, d, note) = if parts[0].len() == 4 {
        (a, b, "")
    } else if a > 12 && b <= 12 {
        (b, a, "")
    } else if a <= 12 && b > 12 {
        (a, b, "")
    } else {
        (
            a,
            b,
            " (read as month/day; if you meant day/month, swap them)",
        )
    };
    if m == 0 || m > 12 || d == 0 || d > 31 {
        return None;
    }
    let fixed = format!("{y:04}-{m:02}-{d:02}");
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("`{token}` is not how a date is written: dates are `YYYY-MM-DD`"),
        )
        .label(format!("write `{fixed}`"))
        .help(format!("write `{fixed}`{note}"))
        .suggest(span, fixed),
    )
}

/// `x is null`, `x is not null`, `x == null`, `x is empty`: a field that
/// is missing is tested with `present(x)`.
pub(super) fn null_tests(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let rest = &src[stop.at..];
    let lower = rest.get(..16).unwrap_or(rest).to_ascii_lowercase();
    let (negated, len) = [
        ("is not null", false),
        ("is not empty", false),
        ("is null", true),
        ("is empty", true),
        ("is blank", true),
        ("is missing", true),
        ("is present", false),
    ]
    .iter()
    .find(|(w, _)| {
        lower.starts_with(*w)
            && !rest[w.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
    .map(|(w, n)| (*n, w.len()))?;
    // the path the test is about: the word before, dotted
    let (start, path) = path_before(src, stop.at)?;
    let fixed = if negated {
        format!("not present({path})")
    } else {
        format!("present({path})")
    };
    let span = stop.span(start, stop.at + len);
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("`{}` is not a test in a policy", &src[stop.at..stop.at + len]),
        )
        .label(format!("write `{fixed}`"))
        .help(format!(
            "write `{fixed}`: `present(x)` is true when a field has a value (not missing, not null, not a placeholder)"
        ))
        .suggest(span, fixed),
    )
}

/// `x like "%@gmail.com"`: SQL's `like` is one of the text functions.
pub(super) fn sql_like(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let word = word_at(src, stop.at);
    if !word.eq_ignore_ascii_case("like") {
        return None;
    }
    let (start, path) = path_before(src, stop.at)?;
    let after = src[stop.at + word.len()..].trim_start();
    let pattern = after.strip_prefix('"')?;
    let close = pattern.find('"')?;
    let pattern = &pattern[..close];
    let inner = pattern.trim_matches('%');
    let fixed = match (pattern.starts_with('%'), pattern.ends_with('%')) {
        (true, true) => format!("contains({path}, \"{inner}\")"),
        (true, false) => format!("ends_with({path}, \"{inner}\")"),
        (false, true) => format!("starts_with({path}, \"{inner}\")"),
        (false, false) => format!("{path} == \"{inner}\""),
    };
    let end = src[..stop.at + word.len()].len()
        + (src[stop.at + word.len()..].len() - after.len())
        + close
        + 2;
    let span = stop.span(start, end);
    Some(
        Diagnostic::new(Code::Syntax, span, "`like` is SQL; text is matched with functions here")
            .label(format!("write `{fixed}`"))
            .help(format!(
                "write `{fixed}` (also `starts_with`, `contains`, or `matches` for a regular expression)"
            ))
            .suggest(span, fixed),
    )
}

/// `x between 200 and 999`: two comparisons.
pub(super) fn between(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let word = word_at(src, stop.at);
    if !word.eq_ignore_ascii_case("between") {
        return None;
    }
    let (start, path) = path_before(src, stop.at)?;
    let rest = &src[stop.at + word.len()..];
    let parts: Vec<&str> = rest.split_whitespace().take(3).collect();
    if parts.len() < 3 || !parts[1].eq_ignore_ascii_case("and") {
        return None;
    }
    let (a, b) = (parts[0], parts[2]);
    let fixed = format!("{path} >= {a} and {path} <= {b}");
    let end = stop.at + word.len() + rest.find(b)? + b.len();
    let span = stop.span(start, end);
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            "`between` is written as two comparisons",
        )
        .label(format!("write `{fixed}`"))
        .help(format!("write `{fixed}` (both ends included)"))
        .suggest(span, fixed),
    )
}

/// `email?: email`: the `?` of an optional field follows its type.
pub(super) fn optional_on_name(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    if !src[stop.at..].starts_with("?") {
        return None;
    }
    let (ws, name) = word_before(src, stop.at)?;
    let rest = src[stop.at + 1..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let ty = word_at(rest, 0);
    if ty.is_empty() {
        return None;
    }
    let end = stop.at + 1 + (src[stop.at + 1..].len() - rest.len()) + ty.len();
    let span = stop.span(ws, end);
    let fixed = format!("{name}: {ty}?");
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            "the `?` of an optional field goes after its type",
        )
        .label(format!("write `{fixed}`"))
        .help(format!("write `{fixed}`"))
        .suggest(span, fixed),
    )
}
