//! Entries written the way other tools write them: `version: "1"`,
//! `enum(EMEA, NA)`, `list[string]`, `string (optional)`, `name string`,
//! lists joined with `and`, names with spaces, targets without their kind,
//! route lines without `when`, `business hours (cal)`, `cap at 100`,
//! metric targets with `=>` or `=`, US dates.

use super::{word_at, Stop};
use crate::diag::{Code, Diagnostic};

/// Keywords followed by their value, never by a colon.
const VALUE_KEYWORDS: &[&str] = &[
    "version",
    "owner",
    "description",
    "applies_to",
    "timezone",
    "holidays",
    "members",
    "distribute",
    "initiated_by",
    "validated_by",
    "owned_by",
    "persona",
    "segment",
    "touches",
    "collect",
    "outcome",
    "cap",
    "weight",
    "capacity",
    "target",
    "roles",
    "stages",
];

/// The word that ends just before `at` (spaces between) and its start.
pub(super) fn word_before(src: &str, at: usize) -> Option<(usize, &str)> {
    let end = src[..at].trim_end_matches([' ', '\t']).len();
    let len = src[..end]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .count();
    (len > 0).then(|| (end - len, &src[end - len..end]))
}

/// The first word of the stop's line.
fn line_keyword<'a>(stop: &Stop<'a>) -> &'a str {
    let line = &stop.src[stop.line_start()..];
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    word_at(line, indent)
}

/// `version: "2025.07"`, `owned_by: sdr`: a keyword takes its value
/// without a colon.
pub(super) fn keyword_colon(stop: &Stop<'_>) -> Option<Diagnostic> {
    if !stop.src[stop.at..].starts_with(':') {
        return None;
    }
    let (_, kw) = word_before(stop.src, stop.at)?;
    if !VALUE_KEYWORDS.contains(&kw) {
        return None;
    }
    let after = &stop.src[stop.at + 1..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    let span = stop.span(stop.at, stop.at + 1 + gap);
    let value: String = after[gap..]
        .chars()
        .take_while(|c| *c != '\n' && *c != '\r')
        .collect();
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("`{kw}` takes its value without a colon"),
        )
        .label("remove this colon")
        .help(format!(
            "remove the colon: write `{kw} {}`",
            value.trim_end()
        ))
        .suggest(span, " "),
    )
}

/// `enum(EMEA, NA)` and `enum[...]` in the lead schema: the values of an
/// enum are quoted strings in parentheses.
pub(super) fn enum_shapes(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let line_start = stop.line_start();
    let head = &src[line_start..stop.at];
    let open = head.rfind("enum")? + line_start;
    let after = &src[open + 4..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    let bracket = after[gap..].chars().next()?;
    let (close_char, square) = match bracket {
        '(' => (')', false),
        '[' => (']', true),
        _ => return None,
    };
    let body_start = open + 4 + gap + 1;
    let close = src[body_start..].find([close_char, '\n'])? + body_start;
    if !src[close..].starts_with(close_char) || stop.at > close {
        return None;
    }
    let items: Vec<String> = src[body_start..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = s.trim_matches(['\'', '"']);
            format!("\"{s}\"")
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    let fixed = format!("enum({})", items.join(", "));
    let span = stop.span(open, close + 1);
    let unquoted = src[body_start..close]
        .split(',')
        .any(|s| !s.trim().starts_with('"'));
    let (code, message) = if square {
        (
            Code::Syntax,
            "the values of an enum are listed in parentheses".to_string(),
        )
    } else if unquoted {
        (
            Code::UnquotedValues,
            "the values of an enum are quoted strings".to_string(),
        )
    } else {
        return None;
    };
    Some(
        Diagnostic::new(code, span, message)
            .label(format!("write `{fixed}`"))
            .help(format!("write `{fixed}`"))
            .suggest(span, fixed),
    )
}

const TYPE_WORDS: &[&str] = &[
    "string",
    "int",
    "number",
    "bool",
    "timestamp",
    "duration",
    "email",
    "enum",
    "list",
];

/// Schema type mistakes: `name string` (no colon), `list[string]`,
/// `string[]`, `string (optional)`.
pub(super) fn schema_types(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    // inside the lead schema: a `lead` block is open above
    let lead = src[..stop.at].rfind("lead")?;
    if !src[lead..stop.at].contains('{') {
        return None;
    }
    let rest = &src[stop.at..];
    let word = word_at(src, stop.at);
    // `name string`
    if TYPE_WORDS.contains(&word) {
        let (ws, field) = word_before(src, stop.at)?;
        if src[..ws].trim_end().ends_with(':') {
            return None;
        }
        let span = stop.span(ws, stop.at + word.len());
        let fixed = format!("{field}: {word}");
        return Some(
            Diagnostic::new(
                Code::Syntax,
                span,
                format!(
                    "a schema field is written `name: type`; the colon after `{field}` is missing"
                ),
            )
            .label(format!("write `{fixed}`"))
            .help(format!("write `{fixed}`"))
            .suggest(span, fixed),
        );
    }
    // `list[string]`, `string[]`
    if rest.starts_with('[') {
        let (ws, before) = word_before(src, stop.at)?;
        let close = rest.find(']')?;
        let inner = rest[1..close].trim();
        let (start, ty) = if before == "list" && !inner.is_empty() {
            (ws, inner.to_string())
        } else if inner.is_empty() && TYPE_WORDS.contains(&before) {
            (ws, before.to_string())
        } else {
            return None;
        };
        let span = stop.span(start, stop.at + close + 1);
        let fixed = format!("list<{ty}>");
        return Some(
            Diagnostic::new(
                Code::Syntax,
                span,
                format!("a list type is written `list<{ty}>`"),
            )
            .label(format!("write `{fixed}`"))
            .help(format!("write `{fixed}`"))
            .suggest(span, fixed),
        );
    }
    // `string (optional)`
    let lower = rest.to_ascii_lowercase();
    for words in ["(optional)", "optional", "(nullable)", "nullable"] {
        if lower.starts_with(words) {
            let (_, ty) = word_before(src, stop.at)?;
            let gap_start = src[..stop.at].trim_end().len();
            let span = stop.span(gap_start, stop.at + words.len());
            return Some(
                Diagnostic::new(
                    Code::Syntax,
                    span,
                    "an optional field is marked with `?` after its type",
                )
                .label("write `?` here")
                .help(format!("write `{ty}?`"))
                .suggest(span, "?"),
            );
        }
    }
    None
}

/// `roles a, b and c`, `members "x" and "y"`: list items are separated by
/// commas, not `and`.
pub(super) fn and_for_comma(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let word = word_at(src, stop.at);
    if !matches!(word, "and" | "AND" | "&") && !src[stop.at..].starts_with('&') {
        return None;
    }
    let keyword = line_keyword(stop);
    if !matches!(
        keyword,
        "roles" | "stages" | "members" | "collect" | "holidays" | "pii" | "visible" | "touches"
    ) {
        return None;
    }
    let len = if word.is_empty() { 1 } else { word.len() };
    let before = src[..stop.at].trim_end();
    let prev_len = before
        .chars()
        .rev()
        .take_while(|c| !c.is_whitespace() && *c != ',')
        .count();
    let prev = &before[before.len() - prev_len..];
    let after = &src[stop.at + len..];
    let next = after.trim_start();
    let next_len = next
        .char_indices()
        .find(|(i, c)| c.is_whitespace() || (*c == ',' && *i > 0))
        .map_or(next.len(), |(i, _)| i);
    let next = &next[..next_len];
    let start = before.len();
    let span = stop.span(start, stop.at + len);
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!(
                "the items of `{keyword}` are separated by commas, not `{}`",
                &src[stop.at..stop.at + len]
            ),
        )
        .label("write a comma here")
        .help(format!("write `{prev}, {next}`"))
        .suggest(span, ","),
    )
}

/// `stages mql -> sal`: stages are listed, and the handoffs say which
/// way leads move.
pub(super) fn stages_with_arrows(stop: &Stop<'_>) -> Option<Diagnostic> {
    if line_keyword(stop) != "stages" || !stop.src[stop.at..].starts_with("->") {
        return None;
    }
    let ls = stop.line_start();
    let le = stop.line_end();
    let line = &stop.src[ls..le];
    let indent = line.len() - line.trim_start().len();
    let body = line.trim_start().strip_prefix("stages")?;
    let (names, tail) = match body.find(" tracked ") {
        Some(i) => (&body[..i], &body[i..]),
        None => (body, ""),
    };
    let names: Vec<&str> = names
        .split("->")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let fixed = format!("stages {}{tail}", names.join(", "));
    let span = stop.span(ls + indent, le);
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            "stages are listed with commas; `->` belongs in `handoff a -> b`",
        )
        .label("write commas between the stages")
        .help(format!(
            "write `{fixed}`, then `handoff {} -> {} {{ ... }}` says which way leads move",
            names.first().unwrap_or(&"a"),
            names.get(1).unwrap_or(&"b")
        ))
        .suggest(span, fixed),
    )
}

/// `weight 70%`: a member's weight is a plain number, its share of the
/// team's leads relative to the others.
pub(super) fn weight_percent(stop: &Stop<'_>) -> Option<Diagnostic> {
    if !stop.src[stop.at..].starts_with('%') {
        return None;
    }
    let before = stop.src[..stop.at].trim_end();
    let digits = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    let number = &before[before.len() - digits..];
    let (_, kw) = word_before(stop.src, before.len() - digits)?;
    if !matches!(kw, "weight" | "capacity" | "cap" | "points") {
        return None;
    }
    let n: f64 = number.parse().ok()?;
    let fixed = super::numbers::fraction(number);
    let span = stop.span(before.len() - digits, stop.at + 1);
    let _ = n;
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("`{kw}` takes a plain number, not a percentage"),
        )
        .label(format!("write `{fixed}`"))
        .help(format!(
            "write `{kw} {fixed}` (or `{kw} {number}`: weights count relative to each other)"
        ))
        .suggest(span, fixed),
    )
}

/// `round-robin`, `least-loaded`: the strategies are written with `_`.
pub(super) fn hyphenated_strategy(stop: &Stop<'_>) -> Option<Diagnostic> {
    if !stop.src[stop.at..].starts_with('-') {
        return None;
    }
    let (ws, first) = word_before(stop.src, stop.at)?;
    let second = word_at(stop.src, stop.at + 1);
    let joined = format!("{first}_{second}").to_ascii_lowercase();
    if !matches!(joined.as_str(), "round_robin" | "least_loaded") {
        return None;
    }
    let span = stop.span(ws, stop.at + 1 + second.len());
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("the strategy is written `{joined}`"),
        )
        .label(format!("write `{joined}`"))
        .help(format!(
            "write `{joined}`; the strategies are `weighted`, `round_robin` and `least_loaded`"
        ))
        .suggest(span, joined),
    )
}

/// `signal asked for demo = ...`, `notify account executive "..."`: a name
/// is one word; `_` joins its parts.
pub(super) fn name_with_spaces(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let word = word_at(src, stop.at);
    if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let ls = stop.line_start();
    let head = &src[ls..stop.at];
    // the keyword that names: `signal`, `score`, `notify`, `team`, ...
    let keywords = [
        "signal ",
        "score ",
        "metric ",
        "notify ",
        "team ",
        "queue ",
        "playbook ",
        "calendar ",
    ];
    let (kw, name_start) = keywords
        .iter()
        .filter_map(|k| head.rfind(k).map(|i| (*k, ls + i + k.len())))
        .max_by_key(|(_, i)| *i)?;
    let written = src[name_start..stop.at].trim_end();
    if written.is_empty()
        || !written
            .split_whitespace()
            .all(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return None;
    }
    // the name runs on to `=`, a string, `{` or `of`
    let rest = &src[stop.at..];
    let mut words = vec![written.to_string()];
    let mut end = stop.at;
    for w in rest.split([' ', '\t']) {
        if w.is_empty() {
            end += 1;
            continue;
        }
        if !w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || matches!(w, "of" | "when" | "after" | "since")
        {
            break;
        }
        words.push(w.to_string());
        end += w.len() + 1;
        if rest[end - stop.at - 1..].starts_with('\n') {
            break;
        }
    }
    let end = src[..end.min(src.len())].trim_end().len();
    // a name is followed by its definition, text, a block or `of`: words
    // that run to the end of the line are a description, not a name
    let next = src[end..].trim_start_matches([' ', '\t']);
    if words.len() < 2 || !next.starts_with(['=', '"', '{']) && word_at(next, 0) != "of" {
        return None;
    }
    let fixed = words
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_");
    let span = stop.span(name_start, end);
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("a name is one word; `{}` has spaces", &src[name_start..end]),
        )
        .label(format!("write `{fixed}`"))
        .help(format!(
            "write `{fixed}`: join the words of a name with `_` (after `{}`)",
            kw.trim()
        ))
        .suggest(span, fixed),
    )
}

/// `cap at 100`, `cap: 100`: a cap is `cap 100`.
pub(super) fn cap_at(stop: &Stop<'_>) -> Option<Diagnostic> {
    let word = word_at(stop.src, stop.at);
    if !matches!(word, "at" | "of" | "is") {
        return None;
    }
    let (ws, kw) = word_before(stop.src, stop.at)?;
    if !matches!(kw, "cap" | "weight" | "capacity") {
        return None;
    }
    let after = &stop.src[stop.at + word.len()..];
    let value: String = after
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if value.is_empty() {
        return None;
    }
    let end = stop.at + word.len() + (after.len() - after.trim_start().len()) + value.len();
    let span = stop.span(ws, end);
    let fixed = format!("{kw} {value}");
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("`{kw}` takes the number directly"),
        )
        .label(format!("write `{fixed}`"))
        .help(format!("write `{fixed}`"))
        .suggest(span, fixed),
    )
}

/// `-> emea_sdr`, `reassign unassigned`: a target says what it is. The
/// declarations are looked up in the text, so the help names the right
/// kind when the name is declared.
pub(super) fn target_without_kind(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let word = word_at(src, stop.at);
    if word.is_empty() || matches!(word, "team" | "queue" | "owner" | "notify" | "reassign") {
        return None;
    }
    let before = src[..stop.at].trim_end();
    if !(before.ends_with("->") || before.ends_with("reassign")) {
        return None;
    }
    let declared = |kind: &str| {
        src.lines().any(|l| {
            let l = l.trim_start();
            l.strip_prefix(kind)
                .and_then(|r| r.strip_prefix([' ', '\t']))
                .is_some_and(|r| word_at(r.trim_start(), 0) == word)
        })
    };
    let span = stop.span(stop.at, stop.at + word.len());
    let (help, fix) = if declared("team") {
        (format!("write `team {word}`"), Some(format!("team {word}")))
    } else if declared("queue") {
        (
            format!("write `queue {word}`"),
            Some(format!("queue {word}")),
        )
    } else {
        (
            format!("write `team {word}` or `queue {word}` (or `owner \"id\"` for one person)"),
            None,
        )
    };
    let mut d = Diagnostic::new(
        Code::Syntax,
        span,
        format!("a target says what `{word}` is: a team, a queue or an owner"),
    )
    .label("add `team` or `queue` before the name")
    .help(help);
    if let Some(f) = fix {
        d = d.suggest(span, f);
    }
    Some(d)
}

/// `emea -> team emea_sdr` inside `route { }`: a rule starts with `when`.
pub(super) fn route_without_when(stop: &Stop<'_>) -> Option<Diagnostic> {
    let word = word_at(stop.src, stop.at);
    // words from other languages (`if`, `else`) have messages of their own
    if word.is_empty()
        || matches!(
            word,
            "when" | "otherwise" | "if" | "elif" | "else" | "default" | "where" | "then"
        )
    {
        return None;
    }
    let block = stop.src[..stop.at].rfind("route")?;
    if stop.src[block..stop.at].contains('}') || !stop.src[block..stop.at].contains('{') {
        return None;
    }
    let rest = stop.rest_of_line();
    let arrow = rest.find("->")?;
    let condition = rest[..arrow].trim();
    let span = stop.span(stop.at, stop.at + word.len());
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            "a route rule starts with `when` (or is the `otherwise` rule)",
        )
        .label("write `when` before the condition")
        .help(format!("write `when {condition} -> ...`"))
        .suggest(stop.span(stop.at, stop.at), "when "),
    )
}

/// `business hours (emea_hours)`, `business hours emea_hours`: the
/// calendar follows `of`.
pub(super) fn business_hours_of(stop: &Stop<'_>) -> Option<Diagnostic> {
    let before = stop.src[..stop.at].trim_end();
    if !before.ends_with("hours") || !before[..before.len() - 5].trim_end().ends_with("business") {
        return None;
    }
    let rest = &stop.src[stop.at..];
    let inner = rest.trim_start_matches('(');
    let name = word_at(inner, 0);
    if name.is_empty() {
        return None;
    }
    let consumed = rest.len() - inner.len() + name.len();
    let close = usize::from(inner[name.len()..].starts_with(')'));
    let span = stop.span(stop.at, stop.at + consumed + close);
    let fixed = format!("of {name}");
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            "the calendar of `business hours` follows `of`",
        )
        .label(format!("write `{fixed}`"))
        .help(format!("write `business hours {fixed}`"))
        .suggest(span, fixed),
    )
}

/// The dotted path that ends just before `at` (spaces between): its start
/// and text.
pub(super) fn path_before(src: &str, at: usize) -> Option<(usize, &str)> {
    let before = src[..at].trim_end();
    let len = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .count();
    (len > 0).then(|| (before.len() - len, &before[before.len() - len..]))
}
