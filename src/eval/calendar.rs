//! Business-hours arithmetic on IANA calendars.
//!
//! [`add_business`] counts a duration only while a calendar is open: in its
//! time zone, on its weekly hours, skipping its holidays. A start outside
//! the hours begins counting at the next opening. Wall-clock times are
//! resolved through jiff, so days that change to or from daylight saving
//! time have the hours their clocks show.

use jiff::civil::{Date, Time};
use jiff::{Timestamp, ZonedDateTime};

use crate::ir::Calendar;

/// How far ahead an addition may look before giving up (forty years).
const MAX_DAYS: usize = 14_610;

/// `start` plus `seconds` of open business time, or `None` when the
/// calendar has no opening hours within forty years.
pub fn add_business(cal: &Calendar, start: Timestamp, seconds: i64) -> Option<Timestamp> {
    let mut remaining = seconds.max(0);
    let zoned = start.to_zoned_datetime(cal.tz.clone());
    let mut date = zoned.date();
    let mut from: Option<Timestamp> = Some(start);
    for _ in 0..MAX_DAYS {
        let weekday = date.weekday().to_monday_zero_offset() as usize;
        if !cal.holidays.contains(&date) && !cal.week[weekday].is_empty() {
            // on a day without a clock change, opening times are minutes
            // after local midnight: one time-zone conversion for the day
            let midnight = at(cal, date, 0);
            let plain_day = match (midnight, at(cal, date, 24 * 60)) {
                (Some(m), Some(n)) => n.as_second() - m.as_second() == 86_400,
                _ => false,
            };
            let instant = |minutes: u16| match (plain_day, midnight) {
                (true, Some(m)) => m
                    .checked_add(jiff::SignedDuration::from_secs(i64::from(minutes) * 60))
                    .ok(),
                _ => at(cal, date, minutes),
            };
            for &(open, close) in &cal.week[weekday] {
                let (Some(o), Some(c)) = (instant(open), instant(close)) else {
                    continue;
                };
                let begin = match from {
                    Some(f) if f > o => f,
                    _ => o,
                };
                if begin >= c {
                    continue;
                }
                let available = c.as_second() - begin.as_second();
                if remaining <= available {
                    return begin
                        .checked_add(jiff::SignedDuration::from_secs(remaining))
                        .ok();
                }
                remaining -= available;
            }
        }
        from = None;
        date = date.tomorrow().ok()?;
    }
    None
}

/// The instant at `minutes` after midnight on `date` in the calendar's
/// zone; a time skipped by a DST change resolves to the later instant.
fn at(cal: &Calendar, date: Date, minutes: u16) -> Option<Timestamp> {
    if minutes >= 24 * 60 {
        let next = date.tomorrow().ok()?;
        return next
            .to_zoned_datetime(cal.tz.clone())
            .ok()
            .map(|z: ZonedDateTime| z.timestamp());
    }
    let t = Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0).ok()?;
    let dt = date.to_datetime(t);
    cal.tz
        .to_ambiguous_zoned_datetime(dt)
        .later()
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn cal(tz: &str, open: u16, close: u16) -> Calendar {
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for d in week.iter_mut().take(5) {
            d.push((open, close));
        }
        Calendar {
            name: crate::decision::PText::new("c"),
            tz: jiff::tz::TimeZone::get(tz).unwrap(),
            week,
            holidays: HashSet::new(),
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn ten_business_hours_from_wednesday_afternoon() {
        // 10:00-18:00; Wednesday 2025-06-04 15:00 UTC + 10h -> Thursday 17:00
        let c = cal("UTC", 600, 1080);
        assert_eq!(
            add_business(&c, ts("2025-06-04T15:00:00Z"), 36_000),
            Some(ts("2025-06-05T17:00:00Z"))
        );
    }

    #[test]
    fn a_start_after_hours_waits_for_the_next_opening() {
        let c = cal("UTC", 600, 1080);
        assert_eq!(
            add_business(&c, ts("2025-06-04T20:00:00Z"), 36_000),
            Some(ts("2025-06-06T12:00:00Z"))
        );
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        let mut c = cal("UTC", 600, 1080);
        // Friday 17:00 + 2h -> Monday 11:00; with Monday a holiday -> Tuesday 11:00
        assert_eq!(
            add_business(&c, ts("2025-06-06T17:00:00Z"), 7_200),
            Some(ts("2025-06-09T11:00:00Z"))
        );
        c.holidays.insert(jiff::civil::date(2025, 6, 9));
        assert_eq!(
            add_business(&c, ts("2025-06-06T17:00:00Z"), 7_200),
            Some(ts("2025-06-10T11:00:00Z"))
        );
    }

    #[test]
    fn hours_follow_local_time_across_dst() {
        // Berlin 09:00-17:00. Friday 2025-03-28 16:00 local (15:00 UTC) + 2h:
        // 1h on Friday, then Monday 2025-03-31 09:00 local, now UTC+2 (07:00 UTC) + 1h
        let c = cal("Europe/Berlin", 540, 1020);
        assert_eq!(
            add_business(&c, ts("2025-03-28T15:00:00Z"), 7_200),
            Some(ts("2025-03-31T08:00:00Z"))
        );
    }

    #[test]
    fn a_day_with_a_clock_change_has_the_hours_its_clock_shows() {
        // Berlin springs forward on Sunday 2025-03-30: open all day, that
        // day has 23 hours
        let mut c = cal("Europe/Berlin", 0, 1440);
        c.week[6] = vec![(0, 1440)];
        let midnight = ts("2025-03-29T23:00:00Z");
        assert_eq!(
            add_business(&c, midnight, 23 * 3600),
            Some(ts("2025-03-30T22:00:00Z"))
        );
        // one more hour runs into Monday
        assert_eq!(
            add_business(&c, midnight, 24 * 3600),
            Some(ts("2025-03-30T23:00:00Z"))
        );
    }

    #[test]
    fn long_delays_are_counted_over_decades() {
        // one hour a weekday: 3,000 business hours take about twelve years
        let c = cal("UTC", 540, 600);
        let due = add_business(&c, ts("1990-01-01T00:00:00Z"), 3000 * 3600).unwrap();
        assert!(
            due > ts("2001-01-01T00:00:00Z") && due < ts("2002-12-31T00:00:00Z"),
            "{due}"
        );
    }

    #[test]
    fn a_calendar_without_hours_gives_up() {
        let mut c = cal("UTC", 600, 1080);
        c.week = Default::default();
        assert_eq!(add_business(&c, ts("2025-06-04T15:00:00Z"), 60), None);
    }
}
