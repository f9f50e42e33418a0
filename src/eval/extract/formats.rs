//! The text formats of field values that need more than a type check:
//! timestamps (with a fast path for the shape CRM exports use) and
//! emails.

/// RFC 3339 timestamps, or a plain date (midnight UTC).
pub fn parse_timestamp(s: &str) -> Option<jiff::Timestamp> {
    if let Some(t) = fast_utc(s.as_bytes()) {
        return Some(t);
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    if s.len() != 10 {
        return None;
    }
    let d: jiff::civil::Date = s.parse().ok()?;
    d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// A duration written in a lead as text: the policy's own compact form
/// (`5d`, `1w2d`, `4h30m`, as decisions write them; `w` is 7 days and `d`
/// 24 hours), or what jiff reads (ISO 8601 `PT4H`, `2h 30m`). Seconds.
pub(crate) fn parse_duration_text(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Some(secs) = compact_duration(t) {
        return Some(secs);
    }
    t.parse::<jiff::SignedDuration>()
        .ok()
        .map(|d| d.as_secs_f64())
}

/// `5d`, `1w2d`, `1d 4h`: whole numbers each followed by one of
/// `w d h m s`, white space allowed between the parts.
fn compact_duration(t: &str) -> Option<f64> {
    let mut total = 0f64;
    let mut n: Option<f64> = None;
    let mut parts = 0;
    for c in t.chars() {
        match c {
            '0'..='9' => n = Some(n.unwrap_or(0.0) * 10.0 + f64::from(c as u8 - b'0')),
            'w' | 'd' | 'h' | 'm' | 's' => {
                let unit = match c {
                    'w' => 604_800.0,
                    'd' => 86_400.0,
                    'h' => 3_600.0,
                    'm' => 60.0,
                    _ => 1.0,
                };
                total += n.take()? * unit;
                parts += 1;
            }
            ' ' if n.is_none() => {}
            _ => return None,
        }
    }
    (parts > 0 && n.is_none() && total.is_finite()).then_some(total)
}

/// One `@` with text before it, a domain after it with an inner `.`, and
/// no white space (in one pass over the bytes; non-ASCII text goes the
/// long way for Unicode white space).
pub(crate) fn looks_like_email(s: &str) -> bool {
    let b = s.as_bytes();
    let mut at = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'@' if at.is_some() => return false,
            b'@' => at = Some(i),
            b' ' | b'\t'..=b'\r' => return false,
            0x80.. => return looks_like_email_unicode(s),
            _ => {}
        }
    }
    let Some(at) = at else {
        return false;
    };
    let domain = &b[at + 1..];
    at > 0
        && domain.contains(&b'.')
        && domain.first() != Some(&b'.')
        && domain.last() != Some(&b'.')
}

fn looks_like_email_unicode(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the shape CRM exports use, without a general
/// parser (years 0001-9999); anything else goes to jiff.
fn fast_utc(b: &[u8]) -> Option<jiff::Timestamp> {
    let b: &[u8; 20] = b.try_into().ok()?;
    if b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    // a byte that is not a digit leaves 10 or more after subtracting '0'
    // (wrapping): one maximum checks every digit position
    let d = |i: usize| b[i].wrapping_sub(b'0');
    let top = d(8)
        .max(d(9))
        .max(d(11))
        .max(d(12))
        .max(d(14))
        .max(d(15))
        .max(d(17))
        .max(d(18));
    if top > 9 {
        return None;
    }
    let two = |i: usize| u32::from(d(i)) * 10 + u32::from(d(i + 1));
    // the month: the timestamps of a lead and of the leads around it fall
    // in a few months, so the last one's start is kept ("YYYY-MM-" as the
    // key: only a valid month is ever kept)
    let key = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let (month_start, month_len) = match LAST_MONTH.with(std::cell::Cell::get) {
        (k, start, len) if k == key => (start, len),
        _ => {
            let m = month(b)?;
            LAST_MONTH.with(|c| c.set((key, m.0, m.1)));
            m
        }
    };
    let (day, h, mi, sec) = (two(8), two(11), two(14), two(17));
    if day < 1 || day > month_len || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let days = month_start + i64::from(day - 1);
    let secs = i64::from(h * 3600 + mi * 60 + sec);
    jiff::Timestamp::from_second(days * 86_400 + secs).ok()
}

thread_local! {
    /// The month `fast_utc` read last: its "YYYY-MM-" bytes, its first
    /// day (days since 1970-01-01) and its length.
    static LAST_MONTH: std::cell::Cell<(u64, i64, u32)> = const { std::cell::Cell::new((0, 0, 0)) };
}

/// The first day (days since 1970-01-01) and the length of the month of
/// a "YYYY-MM-..." text, years 0001-9999.
fn month(b: &[u8; 20]) -> Option<(i64, u32)> {
    let d = |i: usize| b[i].wrapping_sub(b'0');
    if d(0).max(d(1)).max(d(2)).max(d(3)).max(d(5)).max(d(6)) > 9 {
        return None;
    }
    let two = |i: usize| u32::from(d(i)) * 10 + u32::from(d(i + 1));
    let y = two(0) * 100 + two(2);
    let mo = two(5);
    if y == 0 || !(1..=12).contains(&mo) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = match mo {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    /// Days of the year before each month (not counting 29 February).
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let p = y - 1;
    // days from 0001-01-01 to the start of the year, and into it
    let year_days = i64::from(p * 365 + p / 4 - p / 100 + p / 400);
    let day_of_year = BEFORE[(mo - 1) as usize] + u32::from(leap && mo > 2);
    // 0001-01-01 is 719,162 days before 1970-01-01
    Some((year_days + i64::from(day_of_year) - 719_162, month_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_decisions_write_them() {
        assert_eq!(parse_duration_text("5d"), Some(432_000.0));
        assert_eq!(parse_duration_text("1w2d"), Some(777_600.0));
        assert_eq!(parse_duration_text("1d 4h"), Some(100_800.0));
        assert_eq!(parse_duration_text("120h"), Some(432_000.0));
        assert_eq!(parse_duration_text("PT4H"), Some(14_400.0));
        assert_eq!(parse_duration_text("2h 30m"), Some(9_000.0));
        for bad in ["", "d", "5x", "5", "5d4", "soon"] {
            assert_eq!(parse_duration_text(bad), None, "{bad:?}");
        }
    }

    /// Over years of instants and every one-byte corruption of them:
    /// whenever the fast path answers, jiff parses the same instant.
    #[test]
    fn the_fast_timestamp_path_never_disagrees_with_jiff() {
        let mut secs: i64 = 0;
        while secs < 4_102_444_800 {
            let t = jiff::Timestamp::from_second(secs).unwrap();
            let text = t.to_string();
            assert_eq!(fast_utc(text.as_bytes()), Some(t), "{text}");
            if secs % 7 == 0 {
                for at in 0..text.len() {
                    for c in b"0912:-TZ /a\xff".iter().copied() {
                        let mut b = text.clone().into_bytes();
                        b[at] = c;
                        if let Some(fast) = fast_utc(&b) {
                            let s = std::str::from_utf8(&b).unwrap();
                            assert_eq!(s.parse::<jiff::Timestamp>().ok(), Some(fast), "{s}");
                        }
                    }
                }
            }
            secs += 86_400 * 5 + 4_099;
        }
    }

    /// The one-pass email check says what the general one says, over
    /// every string of up to four characters from the ones that matter.
    #[test]
    fn the_fast_email_check_agrees_with_the_general_one() {
        let alphabet = ['a', '@', '.', ' ', '\t', '\u{b}', '\u{a0}', 'é'];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        texts.sort();
        texts.dedup();
        for t in &texts {
            assert_eq!(looks_like_email(t), looks_like_email_unicode(t), "{t:?}");
        }
        assert!(looks_like_email("ana.xu@soylentlogistics.io"));
        assert!(!looks_like_email("ana xu@soylent.io"));
    }

    /// Every year the fast path takes, around the leap day and the turn
    /// of the year: the same instant as jiff, or no answer where jiff has
    /// none.
    #[test]
    fn the_fast_timestamp_path_agrees_with_jiff_in_every_year() {
        for y in 0..=9999 {
            for md in [
                "01-01T00:00:00",
                "02-28T23:59:59",
                "02-29T12:00:00",
                "03-01T00:00:01",
                "12-31T23:59:59",
            ] {
                let s = format!("{y:04}-{md}Z");
                match fast_utc(s.as_bytes()) {
                    Some(t) => assert_eq!(s.parse::<jiff::Timestamp>().ok(), Some(t), "{s}"),
                    None => assert!(y == 0 || s.parse::<jiff::Timestamp>().is_err(), "{s}"),
                }
            }
        }
    }

    #[test]
    fn the_fast_timestamp_path_agrees_with_jiff() {
        for s in [
            "2025-06-01T12:00:00Z",
            "2024-02-29T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2000-12-31T00:00:01Z",
        ] {
            assert_eq!(fast_utc(s.as_bytes()), s.parse().ok(), "{s}");
        }
        for s in [
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01 12:00:00Z",
        ] {
            assert_eq!(fast_utc(s.as_bytes()), None, "{s}");
        }
    }
}
