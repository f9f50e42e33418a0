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

mod entries;

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
        entries::metric_target_op,
        operator_spelling,
        single_quotes,
        entries::enum_shapes,
        entries::schema_types,
        entries::keyword_colon,
        calendar_hours,
        entries::slash_dates,
        duration_words,
        entries::weight_percent,
        percent_words,
        number_format,
        parentheses_for_list,
        trailing_comma,
        entries::and_for_comma,
        entries::stages_with_arrows,
        entries::hyphenated_strategy,
        entries::cap_at,
        entries::target_without_kind,
        entries::business_hours_of,
        entries::route_without_when,
        entries::name_with_spaces,
        entries::null_tests,
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
                return Some(
                    Diagnostic::new(
                        Code::OperatorSpelling,
                        span,
                        format!("`{theirs}` is not an operator in a policy; write `{shown}`"),
                    )
                    .label(format!("write `{shown}`"))
                    .help(format!(
                        "replace `{theirs}` with `{shown}`; the comparisons are `==`, `!=`, `<`, `<=`, `>`, `>=` and conditions combine with `and`, `or`, `not`"
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

// ------------------------------------------------------------ numbers

/// The number that ends just before `at` (spaces between), or starts at
/// `at`: its start and end.
fn number_near(src: &str, at: usize) -> Option<(usize, usize)> {
    let digits = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .count()
    };
    if src[at..].starts_with(|c: char| c.is_ascii_digit()) {
        // not the middle of a name such as `g2`
        if src[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        return Some((at, at + digits(&src[at..])));
    }
    let before = src[..at].trim_end_matches([' ', '\t']);
    let len = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    if len == 0 || before.len() == len && before.is_empty() {
        return None;
    }
    let start = before.len() - len;
    if src[..start].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((start, before.len()))
}

/// `2 days`, `4 hours`, `6hrs`, `6mo`, `1 week`, `30 mins`: durations are a
/// number and a unit letter.
pub(crate) fn duration_words(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let (ns, ne) = number_near(src, stop.at)?;
    let number = &src[ns..ne];
    let after = &src[ne..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    let word = word_at(after, gap);
    if word.is_empty() || ne + gap + word.len() <= stop.at {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    // (unit letter, how many of them one of the author's units is, name)
    let (unit, times, note) = match lower.as_str() {
        "w" | "wk" | "wks" | "week" | "weeks" => ("w", 1, ""),
        "d" | "day" | "days" => ("d", 1, ""),
        "h" | "hr" | "hrs" | "hour" | "hours" => ("h", 1, ""),
        "m" | "min" | "mins" | "minute" | "minutes" => ("m", 1, ""),
        "s" | "sec" | "secs" | "second" | "seconds" => ("s", 1, ""),
        "mo" | "mos" | "mon" | "month" | "months" => ("d", 30, " (a month is taken as 30 days)"),
        "y" | "yr" | "yrs" | "year" | "years" => ("d", 365, " (a year is taken as 365 days)"),
        _ => return None,
    };
    // a weekday range (`mon-fri`) is not a duration
    if lower == "mon" && after[gap + word.len()..].starts_with('-') {
        return None;
    }
    let fixed = if number.contains('.') {
        let value: f64 = number.parse().ok()?;
        let seconds = match unit {
            "w" => 604_800.0,
            "d" => 86_400.0,
            "h" => 3_600.0,
            "m" => 60.0,
            _ => 1.0,
        } * times as f64
            * value;
        whole_units(seconds.round() as u64)?
    } else {
        let n: u64 = number.parse().ok()?;
        format!("{}{unit}", n.checked_mul(times)?)
    };
    let span = stop.span(ns, ne + gap + word.len());
    let written = &src[ns..ne + gap + word.len()];
    Some(
        Diagnostic::new(
            Code::DurationWords,
            span,
            if number.contains('.') {
                format!("`{written}` is not a duration: durations count whole units")
            } else {
                format!("`{written}` is not how a duration is written")
            },
        )
        .label(format!("write `{fixed}`"))
        .help(format!(
            "write `{fixed}`{note}; a duration is a whole number and a unit letter with no space between (`w` weeks, `d` days, `h` hours, `m` minutes, `s` seconds), combined for fractions such as `1h30m`"
        ))
        .suggest(span, fixed),
    )
}

/// A number of seconds in whole units, largest first: `5400` -> `1h30m`.
fn whole_units(mut total: u64) -> Option<String> {
    if total == 0 {
        return None;
    }
    let mut out = String::new();
    for (u, len) in [
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3_600),
        ("m", 60),
        ("s", 1),
    ] {
        if total >= len {
            out.push_str(&format!("{}{u}", total / len));
            total %= len;
        }
    }
    Some(out)
}

/// `70 percent`, `70 pct`, `70 per cent`: a percentage is `70%`.
fn percent_words(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let (ns, ne) = number_near(src, stop.at)?;
    let after = &src[ne..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    let rest = &after[gap..];
    let lower = rest.get(..11).unwrap_or(rest).to_ascii_lowercase();
    let len = ["percent", "per cent", "pct", "%"]
        .iter()
        .find(|w| {
            lower.starts_with(**w)
                && !rest[w.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })?
        .len();
    let end = ne + gap + len;
    if end <= stop.at || (len == 1 && gap == 0) {
        return None;
    }
    let span = stop.span(ns, end);
    let fixed = format!("{}%", &src[ns..ne]);
    Some(
        Diagnostic::new(
            Code::PercentWords,
            span,
            format!("`{}` is not how a percentage is written", &src[ns..end]),
        )
        .label(format!("write `{fixed}`"))
        .help(format!(
            "write `{fixed}` (the same as `{}`)",
            fraction(&src[ns..ne])
        ))
        .suggest(span, fixed),
    )
}

/// `70` -> `0.7`, for the help of a percentage.
pub(super) fn fraction(number: &str) -> String {
    match number.parse::<f64>() {
        Ok(n) => {
            let s = format!("{:.6}", n / 100.0);
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        Err(_) => number.to_string(),
    }
}

/// `100,000`, `$50,000`, `100k`: numbers are plain digits.
fn number_format(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let at = stop.at;
    // a currency sign before a number
    let currency = ['$', '€', '£'];
    let (start, symbol) = if src[at..].starts_with(currency) {
        (at, src[at..].chars().next().map_or(0, char::len_utf8))
    } else {
        let (ns, _) = number_near(src, at)?;
        let before = &src[..ns];
        match before.chars().next_back() {
            Some(c) if currency.contains(&c) => (ns - c.len_utf8(), c.len_utf8()),
            _ => (ns, 0),
        }
    };
    let body = &src[start + symbol..];
    // digits with separators: 100,000 or 1,250,000.50
    let mut end = 0;
    let bytes = body.as_bytes();
    let mut groups = 0;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    if end == 0 || end > 3 && symbol == 0 && !body[end..].starts_with(['k', 'K']) {
        return None;
    }
    while bytes.get(end) == Some(&b',')
        && bytes.len() >= end + 4
        && bytes[end + 1..end + 4].iter().all(u8::is_ascii_digit)
        && !bytes.get(end + 4).is_some_and(u8::is_ascii_digit)
    {
        end += 4;
        groups += 1;
    }
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end += 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
    }
    let mut value = body[..end].replace(',', "");
    let mut thousands = false;
    if groups == 0
        && body[end..].starts_with(['k', 'K'])
        && !body[end + 1..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    {
        let n: f64 = value.parse().ok()?;
        value = format!("{}", (n * 1000.0).round() as u64);
        end += 1;
        thousands = true;
    }
    if groups == 0 && symbol == 0 && !thousands {
        return None;
    }
    let total = start + symbol + end;
    if total <= at {
        return None;
    }
    let span = stop.span(start, total);
    let written = &src[start..total];
    let why = if thousands {
        "a `k` for thousands"
    } else if symbol > 0 {
        "a currency sign"
    } else {
        "thousands separators"
    };
    Some(
        Diagnostic::new(
            Code::NumberFormat,
            span,
            format!("`{written}` has {why}: numbers are written as plain digits"),
        )
        .label(format!("write `{value}`"))
        .help(format!(
            "write `{value}`: a number has no separators, currency signs or suffixes"
        ))
        .suggest(span, value),
    )
}

// ------------------------------------------------------------ calendars

const WEEKDAYS: &[(&str, &str)] = &[
    ("monday", "mon"),
    ("tuesday", "tue"),
    ("tues", "tue"),
    ("wednesday", "wed"),
    ("weds", "wed"),
    ("thursday", "thu"),
    ("thur", "thu"),
    ("thurs", "thu"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
    ("mon", "mon"),
    ("tue", "tue"),
    ("wed", "wed"),
    ("thu", "thu"),
    ("fri", "fri"),
    ("sat", "sat"),
    ("sun", "sun"),
];

fn weekday(word: &str) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    WEEKDAYS.iter().find(|(w, _)| *w == lower).map(|(_, d)| *d)
}

/// One opening-hours line of a calendar, read loosely: `Mon-Fri 9am-5pm`,
/// `mon-fri 9:00am-5:30pm`, `monday-friday 09.00-17.30`, `sun closed`.
/// Returns the corrected line, or `None` for a line it cannot read or
/// that was already right.
fn calendar_hours(stop: &Stop<'_>) -> Option<Diagnostic> {
    let ls = stop.line_start();
    let le = stop.line_end();
    let line = &stop.src[ls..le];
    // the entry: after the last `{` or string on the line before the stop
    // (a one-line calendar), up to a `}` or a comment
    let before = &line[..stop.at - ls];
    let from = before.rfind(['{', '"']).map_or(0, |i| i + 1);
    let indent = from + (line[from..].len() - line[from..].trim_start().len());
    let mut text_end = line.len();
    for stopper in ["//", "}"] {
        if let Some(i) = line[indent..].find(stopper) {
            text_end = text_end.min(indent + i);
        }
    }
    if text_end < stop.at - ls {
        return None;
    }
    let text = line[indent..text_end].trim_end();
    let first = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    weekday(first)?;
    // inside a calendar block
    let block = stop.src[..stop.at].rfind("calendar")?;
    if stop.src[block..ls + indent].contains('}') {
        return None;
    }
    // days: words and dashes and commas, up to the first digit
    let days_end = text
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(text.len());
    let days_text = text[..days_end].trim();
    let mut days = String::new();
    let mut rest_words: Vec<&str> = Vec::new();
    for (i, part) in days_text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        let pieces: Vec<&str> = part.split(['-', '–']).collect();
        let mapped: Option<Vec<&str>> = pieces.iter().map(|p| weekday(p)).collect();
        match mapped {
            Some(m) if m.len() <= 2 && rest_words.is_empty() => {
                if i > 0 {
                    days.push_str(", ");
                }
                days.push_str(&m.join("-"));
            }
            _ => rest_words.push(part),
        }
    }
    let span = stop.span(ls + indent, ls + indent + text.len());
    if days_end == text.len() {
        // no times: `sun closed`, `sat off`
        let closed = rest_words.iter().all(|w| {
            matches!(
                w.to_ascii_lowercase().as_str(),
                "closed" | "off" | "none" | "-" | "\"closed\""
            )
        });
        if rest_words.is_empty() || !closed {
            return None;
        }
        return Some(
            Diagnostic::new(
                Code::DayWithoutHours,
                span,
                format!("`{text}` gives a day without opening hours"),
            )
            .label("a calendar lists only the hours it is open")
            .help(format!(
                "delete this line: a day that is not listed (here `{days}`) is closed; list open days with their hours, e.g. `mon-fri 09:00-17:30`"
            ))
            .suggest(Span::new(stop.file, ls, (le + 1).min(stop.src.len())), ""),
        );
    }
    if !rest_words.is_empty() {
        return None;
    }
    // times: ranges separated by commas (or, mistakenly, by spaces)
    let times = normalise_times(&text[days_end..]);
    let mut ranges = Vec::new();
    for range in times.split([',', ' ']) {
        if range.is_empty() {
            continue;
        }
        let (a, b) = split_range(range)?;
        ranges.push(format!("{}-{}", clock(a)?, clock(b)?));
    }
    let missing_comma = ranges.len() > 1 && !text[days_end..].contains(',');
    let fixed = format!("{days} {}", ranges.join(", "));
    if fixed == text {
        return None;
    }
    let problem = if missing_comma {
        "opening hours on one day are separated by commas".to_string()
    } else if text[days_end..].to_ascii_lowercase().contains(['a', 'p']) {
        format!("`{}` is on the 12-hour clock", text[days_end..].trim())
    } else if days_text.len() > days.len() {
        format!("`{days_text}` spells weekdays out")
    } else {
        format!("`{}` is not written `HH:MM`", text[days_end..].trim())
    };
    Some(
        Diagnostic::new(
            Code::CalendarHours,
            span,
            format!("{problem}: opening hours are written like `mon-fri 09:00-17:30`"),
        )
        .label(format!("write `{fixed}`"))
        .help(format!(
            "write `{fixed}`: weekdays as `mon`..`sun`, times on the 24-hour clock as `HH:MM`"
        ))
        .suggest(span, fixed),
    )
}

/// The times of an hours line with the spaces inside a range removed:
/// `9 am - 5 pm, 6pm to 8pm` -> `9am-5pm,6pm-8pm`.
fn normalise_times(text: &str) -> String {
    let mut t = text
        .to_ascii_lowercase()
        .replace(" to ", "-")
        .replace('–', "-");
    for m in ["am", "pm", "a.m.", "p.m."] {
        t = t.replace(&format!(" {m}"), m);
    }
    while t.contains(" -") || t.contains("- ") || t.contains(" ,") || t.contains(", ") {
        t = t
            .replace(" -", "-")
            .replace("- ", "-")
            .replace(" ,", ",")
            .replace(", ", ",");
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `9am-5pm`, `09:00-17:30`: the two ends of a range.
fn split_range(range: &str) -> Option<(&str, &str)> {
    if let Some((a, b)) = range.split_once(" to ") {
        return Some((a.trim(), b.trim()));
    }
    let (a, b) = range.split_once(['-', '–'])?;
    Some((a.trim(), b.trim()))
}

/// `9am`, `5:30pm`, `9`, `09.00`, `17:30`, `12 pm` -> `HH:MM`.
fn clock(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase().replace([' ', '.'], "");
    let (body, meridiem) = if let Some(b) = lower.strip_suffix("am") {
        (b.to_string(), Some(false))
    } else if let Some(b) = lower.strip_suffix("pm") {
        (b.to_string(), Some(true))
    } else {
        // `09.00` lost its dot above: put the minutes back
        let t = text.trim().replace('.', ":");
        (t, None)
    };
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h.to_string(), m.to_string()),
        None if body.len() == 4 && meridiem.is_none() => {
            (body[..2].to_string(), body[2..].to_string())
        }
        None if body.len() > 2 => {
            // `930am`
            let split = body.len() - 2;
            (body[..split].to_string(), body[split..].to_string())
        }
        None => (body.clone(), "00".to_string()),
    };
    let mut h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    if m > 59 {
        return None;
    }
    match meridiem {
        Some(pm) => {
            if h == 0 || h > 12 {
                return None;
            }
            if h == 12 {
                h = 0;
            }
            if pm {
                h += 12;
            }
        }
        None if h > 24 => return None,
        None => {}
    }
    Some(format!("{h:02}:{m:02}"))
}

// ------------------------------------------------------------ lists

/// `region in ("EMEA", "APAC")`: a list is written in square brackets.
fn parentheses_for_list(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    if !src[stop.at..].starts_with(',') {
        return None;
    }
    // the bracket this comma is inside
    let open = innermost_open(&src[..stop.at])?;
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
fn trailing_comma(stop: &Stop<'_>) -> Option<Diagnostic> {
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
            if !super::errors::ITEM_WORDS.contains(&word) && !ENTRY_WORDS.contains(&word) {
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

/// Keywords that start an entry inside a block: a comma before one of them
/// at the end of the line above makes it read as one more item.
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
    "initiated_by",
    "validated_by",
    "owned_by",
    "ready",
    "require",
    "quality",
    "consent",
    "route",
    "escalate",
    "debrief",
    "overrides",
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

/// The last bracket opened and not closed in `text` (strings skipped).
fn innermost_open(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1 + usize::from(bytes[i] == b'\\');
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

/// The word (letters, digits, `_`) that starts at `at` in `text`.
pub(super) fn word_at(text: &str, at: usize) -> &str {
    let rest = text.get(at..).unwrap_or("");
    let len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..len]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_loosely() {
        assert_eq!(clock("9am").as_deref(), Some("09:00"));
        assert_eq!(clock("5:30pm").as_deref(), Some("17:30"));
        assert_eq!(clock("12pm").as_deref(), Some("12:00"));
        assert_eq!(clock("12am").as_deref(), Some("00:00"));
        assert_eq!(clock("9").as_deref(), Some("09:00"));
        assert_eq!(clock("09.30").as_deref(), Some("09:30"));
        assert_eq!(clock("9:00").as_deref(), Some("09:00"));
        assert_eq!(clock("13pm"), None);
        assert_eq!(clock("9:75"), None);
    }

    #[test]
    fn whole_units_largest_first() {
        assert_eq!(whole_units(5400).as_deref(), Some("1h30m"));
        assert_eq!(whole_units(0), None);
    }
}
