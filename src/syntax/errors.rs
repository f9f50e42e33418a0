//! pest errors -> diagnostics in the author's words.
//!
//! pest reports the rules and literal tokens it tried at the furthest
//! position it reached. Those are grammar names (`duration_arg`, `"}"`);
//! this module turns them into phrases (`a duration such as 4h or 2d`) and
//! recognises the common mistakes that deserve a message of their own.

use std::collections::BTreeSet;

use pest::error::{ErrorVariant, InputLocation};

use super::Rule;
use crate::diag::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// What the author can write at a place, grouped for the message.
fn describe_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::expr | Rule::paren | Rule::call | Rule::list_lit => "an expression",
        Rule::path => "a field path such as `company.employees`",
        Rule::ident => "a name",
        Rule::field_name => "a field name",
        Rule::string | Rule::string_ok => "a quoted string",
        Rule::duration | Rule::duration_unit_err => "a duration such as `4h` or `2d`",
        Rule::number | Rule::signed_number => "a number",
        Rule::int => "a whole number",
        Rule::percent => "a percentage",
        Rule::date => "a date such as `2025-12-25`",
        Rule::timestamp => "a timestamp such as `2025-06-01T12:00:00Z`",
        Rule::clock => "a time of day such as `09:00`",
        Rule::weekday | Rule::day_range => "a weekday such as `mon` or `mon-fri`",
        Rule::time_range => "opening hours such as `09:00-17:30`",
        Rule::type_expr | Rule::scalar_type => "a type such as `string`, `int` or `timestamp`",
        Rule::target => "a target: `team <name>`, `queue <name>` or `owner \"<id>\"`",
        Rule::action => "an action: `notify <role>` or `reassign <target>`",
        Rule::severity => "`block` or `review`",
        Rule::channel => "a channel such as `email` or `phone`",
        Rule::strategy => "a strategy such as `round_robin`",
        Rule::member => "a member id in quotes",
        Rule::boolean => "`true` or `false`",
        Rule::EOI => "the end of the file",
        _ => return None,
    })
}

/// Keywords that start a top-level declaration.
pub(in crate::syntax) const ITEM_WORDS: &[&str] = &[
    "import", "policy", "lead", "roles", "stages", "team", "queue", "calendar", "signal", "score",
    "handoff", "playbook", "metric",
];
/// Keywords that start an entry inside `handoff { }`.
pub(in crate::syntax) const HANDOFF_WORDS: &[&str] = &[
    "initiated_by",
    "validated_by",
    "owned_by",
    "ready",
    "require",
    "quality",
    "consent",
    "route",
    "escalate",
    "playbook",
    "debrief",
    "overrides",
    "missing_context",
];
/// Binary operators, reported together as one phrase.
const OPERATORS: &[&str] = &[
    "or", "and", "not", "in", "==", "!=", "<", "<=", ">", ">=", "=", "+", "-", "*", "/",
];

pub(super) fn convert(file: FileId, src: &str, err: &pest::error::Error<Rule>) -> Diagnostic {
    let (mut start, mut end) = match err.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    // the tokens pest names were expected at the furthest position it
    // reached; point there, where the author's text went wrong
    let mut moved = false;
    if let Some(attempts) = err.parse_attempts() {
        let mid_word = |at: usize| {
            let word =
                |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
            src.is_char_boundary(at)
                && word(src[..at].chars().next_back())
                && word(src[at..].chars().next())
        };
        // `:` alone was expected there: the parser tried to read the word
        // before as a `name:` (of a quality rule or an escalation step) and
        // the word was something else; what the author missed is at the
        // word, where pest's own position is
        let only_name_colon = {
            let tokens: Vec<String> = attempts
                .expected_tokens()
                .iter()
                .map(|t| t.to_string())
                .filter(|t| {
                    t != "BUILTIN_RULE" && !NOISE.contains(&t.as_str()) && !t.trim().is_empty()
                })
                .collect();
            !tokens.is_empty() && tokens.iter().all(|t| t == ":")
        };
        if attempts.max_position > start
            && attempts.max_position <= src.len()
            && !only_name_colon
            && !mid_word(attempts.max_position)
            && attempts.expected_tokens().iter().any(|t| {
                let t = t.to_string();
                t != "BUILTIN_RULE"
                    && !NOISE.contains(&t.as_str())
                    && !(t.len() > 2 && t.contains(".."))
            })
        {
            start = attempts.max_position;
            end = start;
            moved = true;
        }
    }
    if let ErrorVariant::CustomError { message } = &err.variant {
        // pest's own resource guards: "call limit reached", "stack limit reached"
        return Diagnostic::new(
            Code::TooDeep,
            Span::new(file, start, end),
            "the policy is too complex to parse",
        )
        .label(message.clone())
        .help("split long or deeply nested conditions into named signals");
    }

    let mut expected: BTreeSet<String> = BTreeSet::new();
    let mut words: BTreeSet<String> = BTreeSet::new();
    if let (ErrorVariant::ParsingError { positives, .. }, false) = (&err.variant, moved) {
        for r in positives {
            if let Some(d) = describe_rule(*r) {
                expected.insert(d.to_string());
            }
        }
    }
    // a word read as a `name:` that has no colon: the parser stopped after
    // it, but the mistake is the word itself; say what the block takes
    let mut name_colon = false;
    if let Some(attempts) = err.parse_attempts() {
        if only_colon(attempts.expected_tokens()) {
            let at = start.min(src.len());
            let before = src[..at].trim_end_matches([' ', '\t']);
            let len = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .count();
            if len > 0 {
                start = before.len() - len;
                name_colon = true;
                words.insert("}".to_string());
                for w in block_entry_words(src, start) {
                    words.insert(w.to_string());
                }
            }
        }
    }
    if let (Some(attempts), false) = (err.parse_attempts(), name_colon) {
        for t in attempts.expected_tokens() {
            let token = t.to_string();
            // ranges (`a..z`) and built-in rules are not words an author writes
            if token != "BUILTIN_RULE" && !(token.len() > 2 && token.contains("..")) {
                words.insert(token);
            }
        }
        if moved || (words.is_empty() && expected.is_empty()) {
            for stack in attempts.call_stacks() {
                let rule = stack.parent.or(stack.deepest.get_rule().copied());
                if let Some(d) = rule.and_then(describe_rule) {
                    expected.insert(d.to_string());
                }
            }
        }
    }

    let found = describe_found(src, start);
    let at = Span::new(file, start, next_char_end(src, start));

    // An unclosed block: the parser ran into the end looking for `}`.
    let closers = ["}", ")", "]"];
    if start >= src.trim_end().len()
        && (closers.iter().any(|c| words.contains(*c)) || words.is_empty())
    {
        if let Some(open) = unmatched_open(src) {
            let open_span = Span::new(file, open, open + 1);
            let closer = match src.as_bytes()[open] {
                b'(' => ")",
                b'[' => "]",
                _ => "}",
            };
            let last = src.trim_end().len();
            let end_span = Span::new(file, last.saturating_sub(1), last);
            return Diagnostic::new(
                Code::UnclosedBlock,
                open_span,
                format!("this `{}` is never closed", &src[open..open + 1]),
            )
            .label(format!("opened here, but no `{closer}` closes it"))
            .with_secondary(end_span, "the file ends here")
            .help(format!(
                "add the missing `{closer}`; every opening bracket needs its closing partner"
            ));
        }
    }
    if let Some(c) = src[start.min(src.len())..].chars().next() {
        if matches!(c, '\u{201C}' | '\u{201D}' | '\u{2018}' | '\u{2019}') {
            return Diagnostic::new(
                Code::SmartQuote,
                at,
                format!("`{c}` is a typographic quote"),
            )
            .label("not a string quote")
            .help(
                "use straight double quotes `\"`; word processors replace them when text is pasted",
            );
        }
        if c == '\t' {
            // tabs are white space; reaching one means the line before is off
        }
    }

    // a string left open on an earlier line swallowed what followed it
    if let Some((qs, qe)) = open_string_before(src, start) {
        return Diagnostic::new(
            Code::UnterminatedString,
            Span::new(file, qs, qe),
            "this string is never closed",
        )
        .label("the closing `\"` is missing before the end of the line")
        .with_secondary(at, "the parser got lost here")
        .help("add a `\"` where the text ends; strings cannot span several lines");
    }
    // a block left open before the next declaration
    let found_word: String = src[start.min(src.len())..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let at_line_start = src[..start.min(src.len())]
        .rsplit('\n')
        .next()
        .is_some_and(|l| l.trim().is_empty());
    // a block left open: the next declaration starts at the left margin,
    // or the next entry of the enclosing block starts a line
    let line_start = src[..start.min(src.len())].rfind('\n').map_or(0, |i| i + 1);
    let line_word: String = src[line_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if !at_line_start && ITEM_WORDS.contains(&line_word.as_str()) && line_start > 0 {
        if let Some(open) = unmatched_open(&src[..line_start]) {
            if src.as_bytes()[open] == b'{' {
                return Diagnostic::new(
                    Code::UnclosedBlock,
                    Span::new(file, open, open + 1),
                    "this `{` is never closed",
                )
                .label("opened here")
                .with_secondary(
                    Span::new(file, line_start, line_start + line_word.len()),
                    "the next declaration starts before the block is closed",
                )
                .help("add the missing `}` at the end of the block");
            }
        }
    }
    if words.contains("}")
        && at_line_start
        && (ITEM_WORDS.contains(&found_word.as_str())
            || HANDOFF_WORDS.contains(&found_word.as_str()))
    {
        if let Some(open) = unmatched_open(&src[..start]) {
            return Diagnostic::new(
                Code::UnclosedBlock,
                Span::new(file, open, open + 1),
                format!("this `{}` is never closed", &src[open..open + 1]),
            )
            .label("opened here")
            .with_secondary(
                Span::new(file, start, start + found_word.len()),
                "the next declaration starts before the block is closed",
            )
            .help("add the missing `}` at the end of the block");
        }
    }

    if let Some(d) = super::mistakes::recognise(&super::mistakes::Stop {
        file,
        src,
        at: start,
    }) {
        return d;
    }

    let mut phrases: Vec<String> = Vec::new();
    let item_count = ITEM_WORDS.iter().filter(|w| words.contains(**w)).count();
    let handoff_count = HANDOFF_WORDS.iter().filter(|w| words.contains(**w)).count();
    if item_count >= 4 {
        phrases.push("a declaration such as `signal`, `handoff` or `playbook`".into());
        for w in ITEM_WORDS {
            words.remove(*w);
        }
    }
    if handoff_count >= 4 {
        phrases
            .push("a handoff entry such as `ready when`, `require`, `route` or `escalate`".into());
        for w in HANDOFF_WORDS {
            words.remove(*w);
        }
    }
    if OPERATORS.iter().filter(|w| words.contains(**w)).count() >= 4 {
        for w in OPERATORS {
            words.remove(*w);
        }
        // an operator would continue the expression; say so only when
        // nothing more specific was expected
        if words.is_empty() && expected.is_empty() && phrases.is_empty() {
            phrases.push("an operator such as `and` or `==`".into());
        }
    }
    let expression_expected = expected.contains("an expression");
    for w in &words {
        // comment and white-space tokens, and the pieces of compound rules,
        // are noise to an author
        if NOISE.contains(&w.as_str()) || w.trim().is_empty() {
            continue;
        }
        if expression_expected && EXPRESSION_STARTS.contains(&w.as_str()) {
            continue;
        }
        phrases.push(format!("`{w}`"));
    }
    if expected.contains("an expression") {
        // literals and names are all expressions: name the category once
        expected.retain(|e| !LITERAL_PHRASES.iter().any(|l| e.starts_with(l)));
    }
    if expected.iter().any(|e| e.starts_with("a target")) {
        phrases.retain(|p| !matches!(p.as_str(), "`team`" | "`queue`" | "`owner`"));
    }
    phrases.extend(expected);
    phrases.dedup();

    let message = if phrases.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&phrases))
    };
    let mut help = help_for(src, start, &phrases);
    // a misspelt keyword: `sigal` for `signal`
    let word: String = src[start.min(src.len())..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let at = if word.is_empty() {
        at
    } else {
        Span::new(file, start, start + word.len())
    };
    let rest = &src[start.min(src.len())..];
    // an operator or keyword from another language
    let symbol: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(4)
        .collect();
    for (alias, ours) in ALIASES {
        let matches_word = *alias == word;
        let matches_symbol =
            !alias.chars().all(|c| c.is_ascii_alphabetic()) && symbol.starts_with(alias);
        // only when writing ours there lets the parser on: `then` is `->`
        // in a rule, but not between two touches
        let helps = || super::mistakes::repair::helps(src, start, start + alias.len(), ours);
        if (matches_word || matches_symbol) && helps() {
            let span = Span::new(file, start, start + alias.len());
            return Diagnostic::new(
                Code::Syntax,
                span,
                format!("{message}; this language writes `{ours}` for `{alias}`"),
            )
            .label(format!("write `{ours}`"))
            .help(format!("replace `{alias}` with `{ours}`"))
            .suggest(span, *ours);
        }
    }
    let mut d = Diagnostic::new(Code::Syntax, at, message).label(format!("unexpected {found}"));
    // a bare value where a quoted string is needed: `version 3`
    if phrases.len() == 1 && phrases[0] == "a quoted string" {
        let bare: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '}' && *c != ',')
            .collect();
        // a keyword where text belongs means the text is missing, not
        // unquoted: `block when ...` lacks its message
        let keyword = matches!(
            bare.as_str(),
            "when"
                | "and"
                | "or"
                | "not"
                | "in"
                | "otherwise"
                | "after"
                | "since"
                | "unless"
                | "requires"
                | "as"
                | "of"
        );
        if keyword {
            return d.help(format!(
                "the text is missing before `{bare}`: write it in double quotes, e.g. `\"...\" {bare}`"
            ));
        }
        if !bare.is_empty() && !bare.contains('"') {
            // 'single quoted' text keeps its content, in double quotes
            let single = rest.starts_with('\'');
            let bare = if single {
                rest[1..].split('\'').next().unwrap_or("").to_string()
            } else {
                bare
            };
            let width = if single { bare.len() + 2 } else { bare.len() };
            let span = Span::new(file, start, start + width);
            return d
                .help("text is written in double quotes `\"`, not single quotes or bare")
                .suggest(span, format!("\"{bare}\""));
        }
    }
    let keywords: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .chain(if item_count >= 4 {
            ITEM_WORDS.to_vec()
        } else {
            vec![]
        })
        .chain(if handoff_count >= 4 {
            HANDOFF_WORDS.to_vec()
        } else {
            vec![]
        })
        .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == '_'))
        .collect();
    if !word.is_empty() {
        if let Some(k) = crate::diag::did_you_mean(&word, keywords.iter().copied()) {
            help = format!("did you mean `{k}`?");
            d = d.suggest(Span::new(file, start, start + word.len()), k);
            return d.help(help);
        }
    }
    // nothing known: try small edits and show the one that reads on
    let expected: Vec<String> = words.iter().cloned().collect();
    let stop = super::mistakes::Stop {
        file,
        src,
        at: start,
    };
    if let Some(r) = super::mistakes::repair::repair(&stop, &expected) {
        help = format!("{}: write `{}`", r.what, r.line);
        if r.complete {
            let (ls, le) = r.line_span;
            let indent = src[ls..le].len() - src[ls..le].trim_start().len();
            let le = ls + src[ls..le].trim_end().len();
            d = d.suggest(Span::new(file, ls + indent, le), r.line);
        }
    }
    d.help(help)
}

/// Tokens that never help an author: comments, white space, quote pieces,
/// and the wrong arrows the grammar accepts only to explain them.
const NOISE: &[&str] = &[
    "//", "\u{FEFF}", "\"", "\\", "\u{201C}", "\u{201D}", "\u{201E}", "_", "=>", "\u{2192}",
];
/// Words from other languages, and what this one says instead.
const ALIASES: &[(&str, &str)] = &[
    ("else", "otherwise"),
    ("default", "otherwise"),
    ("if", "when"),
    ("elif", "when"),
    ("where", "when"),
    ("then", "->"),
    ("&&", "and"),
    ("||", "or"),
    ("AND", "and"),
    ("OR", "or"),
    ("NOT", "not"),
];
/// Tokens that start an expression, covered by "an expression".
const EXPRESSION_STARTS: &[&str] = &[
    "(", "[", "-", "not", "all", "any", "at", "true", "false", "now",
];

/// Phrases for literals and names, dropped when "an expression" covers them.
const LITERAL_PHRASES: &[&str] = &[
    "`true`",
    "a date",
    "a duration",
    "a name",
    "a number",
    "a percentage",
    "a quoted string",
    "a timestamp",
    "a field path",
];

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn next_char_end(src: &str, at: usize) -> usize {
    src[at.min(src.len())..]
        .chars()
        .next()
        .map(|c| at + c.len_utf8())
        .unwrap_or(at)
}

/// Describes what stands at `at`: a word, a symbol, or the end of the file.
fn describe_found(src: &str, at: usize) -> String {
    let rest = &src[at.min(src.len())..];
    let Some(c) = rest.chars().next() else {
        return "the end of the file".into();
    };
    if c.is_alphanumeric() || c == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            .take(40)
            .collect();
        return format!("`{word}`");
    }
    match c {
        '\n' | '\r' => "the end of the line".into(),
        '\t' => "a tab".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("`{c}`"),
    }
}

/// A hint matched to the situation.
fn help_for(src: &str, at: usize, phrases: &[String]) -> String {
    let rest = &src[at.min(src.len())..];
    let in_expression = phrases
        .iter()
        .any(|p| p == "an expression" || p.starts_with("an operator"));
    if rest.starts_with('=') && !rest.starts_with("==") && (in_expression || phrases.is_empty()) {
        return "to compare two values write `==`; a single `=` only defines a name".into();
    }
    if phrases.iter().any(|p| p == "`:`") && rest.starts_with('=') {
        return "a schema field is written `name: type`, e.g. `employees: int?`".into();
    }
    if phrases.iter().any(|p| p == "`,`")
        && rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '"')
    {
        return "separate the items of a list with commas".into();
    }
    if phrases.iter().any(|p| p.contains("duration"))
        && !phrases.iter().any(|p| p == "an expression")
    {
        return "durations need a unit: `w` weeks, `d` days, `h` hours, `m` minutes, `s` seconds"
            .into();
    }
    if phrases.iter().any(|p| p.contains("declaration")) {
        return "each top-level declaration starts with a keyword such as `signal`, `handoff` or `playbook`; see docs/language.md".into();
    }
    if phrases.iter().any(|p| p.contains("handoff entry")) {
        return "inside `handoff { }` each entry starts with a keyword such as `owned_by`, `ready when` or `route`".into();
    }
    if rest.starts_with('\'') {
        return "strings use double quotes `\"`, not single quotes".into();
    }
    "check the line against the syntax in docs/language.md".into()
}

/// A string opened on a line before `limit` and not closed on that line.
fn open_string_before(src: &str, limit: usize) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in src[..limit.min(src.len())].split_inclusive('\n') {
        let line_end = offset + line.len();
        if line_end > limit {
            break;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        let mut open: Option<usize> = None;
        while i < bytes.len() {
            match bytes[i] {
                b'/' if open.is_none() && bytes.get(i + 1) == Some(&b'/') => break,
                b'\\' if open.is_some() => i += 1,
                b'"' => open = if open.is_some() { None } else { Some(i) },
                _ => {}
            }
            i += 1;
        }
        if let Some(o) = open {
            return Some((offset + o, offset + line.trim_end().len()));
        }
        offset = line_end;
    }
    None
}

/// The last bracket that is never closed, skipping strings and comments.
pub(in crate::syntax) fn unmatched_open(src: &str) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => stack.push(i),
            b')' | b']' | b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack.pop()
}

/// The words that start an entry of the block open at `at`: `block` and
/// `review` in `quality { }`, `after` in `escalate { }`.
fn block_entry_words(src: &str, at: usize) -> &'static [&'static str] {
    let Some(open) = unmatched_open(&src[..at]) else {
        return &[];
    };
    let head = src[..open].trim_end();
    let keyword: String = head
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    match keyword.as_str() {
        "quality" => &["block", "review"],
        "escalate" => &["after"],
        _ => &[],
    }
}

/// Whether `:` is the one token an author could have written where the
/// parser stopped: it read the word before as a `name:` (of a quality
/// rule or an escalation step).
fn only_colon<T: std::fmt::Display>(expected: Vec<T>) -> bool {
    let mut tokens = expected
        .into_iter()
        .map(|t| t.to_string())
        .filter(|t| {
            t != "BUILTIN_RULE"
                && !NOISE.contains(&t.as_str())
                && (t.len() <= 2 || !t.contains(".."))
                && !t.trim().is_empty()
        })
        .peekable();
    tokens.peek().is_some() && tokens.all(|t| t == ":")
}
