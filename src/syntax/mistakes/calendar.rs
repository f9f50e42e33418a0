//! Opening hours typed as people type them: `Mon-Fri 9am-5:30pm`,
//! `09.00-17.30`, `mon-thu 09:00-12:30 13:30-17:30`, `sun closed`.

use super::Stop;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

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
pub(super) fn calendar_hours(stop: &Stop<'_>) -> Option<Diagnostic> {
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
pub(super) fn clock(text: &str) -> Option<String> {
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

/// `holidays 2025-12-24 to 2025-12-26`: each holiday is listed.
pub(super) fn holiday_range(stop: &Stop<'_>) -> Option<Diagnostic> {
    let src = stop.src;
    let rest = &src[stop.at..];
    let sep = ["to ", "- ", "until ", "through "]
        .iter()
        .find(|s| rest.starts_with(**s))?;
    let before = src[..stop.at].trim_end();
    let d1 = before.get(before.len().checked_sub(10)?..)?;
    let d2 = rest[sep.len()..].trim_start().get(..10)?;
    let line = &src[stop.line_start()..stop.at];
    if !line.trim_start().starts_with("holidays") {
        return None;
    }
    let a: jiff::civil::Date = d1.parse().ok()?;
    let b: jiff::civil::Date = d2.parse().ok()?;
    if b < a {
        return None;
    }
    let mut days = Vec::new();
    let mut d = a;
    while d <= b && days.len() <= 62 {
        days.push(d.to_string());
        d = d.tomorrow().ok()?;
    }
    if days.len() > 62 {
        return None;
    }
    let start = before.len() - 10;
    let end =
        stop.at + sep.len() + (rest[sep.len()..].len() - rest[sep.len()..].trim_start().len()) + 10;
    let span = stop.span(start, end);
    let fixed = days.join(", ");
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            "holidays are listed one by one, not as a range",
        )
        .label(format!("write `{fixed}`"))
        .help(format!("write `{fixed}`"))
        .suggest(span, fixed),
    )
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
}
