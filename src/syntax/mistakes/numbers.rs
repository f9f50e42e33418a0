//! Numbers typed as people type them: durations and percentages in words,
//! thousands separators, currency signs, `10k`.

use super::{word_at, Stop};
use crate::diag::{Code, Diagnostic};

/// The number that ends just before `at` (spaces between), or starts at
/// `at`: its start and end.
pub(super) fn number_near(src: &str, at: usize) -> Option<(usize, usize)> {
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
pub(super) fn whole_units(mut total: u64) -> Option<String> {
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
pub(super) fn percent_words(stop: &Stop<'_>) -> Option<Diagnostic> {
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
pub(super) fn number_format(stop: &Stop<'_>) -> Option<Diagnostic> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_units_largest_first() {
        assert_eq!(whole_units(5400).as_deref(), Some("1h30m"));
        assert_eq!(whole_units(0), None);
    }
}
