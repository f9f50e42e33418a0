//! Checks of what a policy routes through: the field that tracks stages,
//! teams with their members and distribution, and business-hours calendars.

use std::collections::HashMap;

use crate::ast::*;
use crate::check::{Checker, Kind};
use crate::diag::{Code, Diagnostic};
use crate::span::Span;
use crate::types::Ty;

/// Distribution strategies a team may use, and whether they need state.
pub(crate) const STRATEGIES: &[(&str, bool)] = &[
    ("weighted", false),
    ("round_robin", true),
    ("least_loaded", true),
];

impl Checker {
    pub(super) fn check_stages(&mut self) {
        let Some(field) = self.p.stage_field.clone() else {
            return;
        };
        let Some(t) = self.field_path(&field) else {
            return;
        };
        match &t {
            Ty::Enum(values) => {
                for s in self.p.stages.clone() {
                    if !values.iter().any(|v| *v == s.name) {
                        let list = values
                            .iter()
                            .map(|v| format!("\"{v}\""))
                            .collect::<Vec<_>>()
                            .join(", ");
                        self.push(
                            Diagnostic::new(Code::StageNotInField, s.span, format!("stage `{}` is not a value of `{}`", s.name, field.dotted()))
                                .label("no lead can be in this stage")
                                .with_secondary(field.span, format!("takes {list}"))
                                .help("name stages after the values of the tracked field, or add the value to its enum"),
                        );
                    }
                }
            }
            Ty::String => {}
            other => {
                self.push(
                    Diagnostic::new(Code::TypeMismatch, field.span, format!("a stage field must be an enum or a string, but `{}` is a {other}", field.dotted()))
                        .label(format!("a {other}"))
                        .help("track stages with a field such as `lifecycle.stage: enum(\"mql\", \"sal\")`"),
                );
            }
        }
    }

    pub(super) fn check_team(&mut self, t: &Team) {
        self.reference(Kind::Role, &t.role);
        let mut ids: HashMap<&str, Span> = HashMap::new();
        for m in &t.members {
            if let Some(first) = ids.get(m.id.value.as_str()) {
                self.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        m.id.span,
                        format!("member \"{}\" is listed twice", m.id.value),
                    )
                    .label("second listing")
                    .with_secondary(*first, "first listed here")
                    .help("list each member once; give a larger `weight` to send more leads"),
                );
            }
            ids.insert(&m.id.value, m.id.span);
            for (what, n) in [("weight", m.weight), ("capacity", m.capacity)] {
                if let Some(n) = n {
                    if n.value <= 0.0 || (what == "capacity" && n.value.fract() != 0.0) {
                        self.push(
                            Diagnostic::new(
                                Code::NonPositive,
                                n.span,
                                format!(
                                    "a {what} must be a positive {}",
                                    if what == "capacity" {
                                        "whole number"
                                    } else {
                                        "number"
                                    }
                                ),
                            )
                            .label(format!("{what} {}", n.value))
                            .help(format!("remove the member, or give it a {what} above zero")),
                        );
                    }
                }
            }
        }
        if t.distribute.len() > 1 {
            self.duplicate_entry(t.distribute[1].span, "distribute");
        }
        if let Some(d) = t.distribute.first() {
            match STRATEGIES.iter().find(|(n, _)| *n == d.strategy.name) {
                None => {
                    let mut diag = Diagnostic::new(
                        Code::UnknownStrategy,
                        d.strategy.span,
                        format!("unknown distribution strategy `{}`", d.strategy.name),
                    )
                    .label("not a strategy");
                    match crate::diag::did_you_mean(
                        &d.strategy.name,
                        STRATEGIES.iter().map(|(n, _)| *n),
                    ) {
                        Some(s) => {
                            diag = diag
                                .help(format!("did you mean `{s}`?"))
                                .suggest(d.strategy.span, s)
                        }
                        None => {
                            diag = diag.help(
                                "the strategies are `weighted`, `round_robin` and `least_loaded`",
                            )
                        }
                    }
                    self.push(diag);
                }
                Some((name, needs_state)) => {
                    if *needs_state && d.state.is_none() {
                        self.push(
                            Diagnostic::new(
                                Code::MissingState,
                                d.span,
                                format!("`{name}` needs state that says where the rotation stands"),
                            )
                            .label("no `state` named")
                            .help(format!(
                                "add `state \"{}_{}\"` and pass the state file with `--state`",
                                t.name.name,
                                if *name == "round_robin" {
                                    "cursor"
                                } else {
                                    "load"
                                }
                            )),
                        );
                    }
                    if t.members.is_empty() {
                        self.push(
                            Diagnostic::new(
                                Code::NoMembers,
                                d.span,
                                format!(
                                    "team `{}` distributes leads but lists no members",
                                    t.name.name
                                ),
                            )
                            .label("nobody to distribute to")
                            .help("add `members \"id\", \"id\"` to the team"),
                        );
                    }
                }
            }
        }
    }

    pub(super) fn check_calendar(&mut self, c: &Calendar) {
        match c.timezone.as_slice() {
            [] => self.push(
                Diagnostic::new(
                    Code::MissingEntry,
                    c.name.span,
                    format!("calendar `{}` has no time zone", c.name.name),
                )
                .label("business hours need a time zone")
                .help("add `timezone \"Europe/Berlin\"` (an IANA time zone name)"),
            ),
            [tz, rest @ ..] => {
                if let Some(second) = rest.first() {
                    self.duplicate_entry(second.span, "timezone");
                }
                if jiff::tz::TimeZone::get(&tz.value).is_err() {
                    let mut d = Diagnostic::new(
                        Code::InvalidTimeZone,
                        tz.span,
                        format!("`{}` is not an IANA time zone", tz.value),
                    )
                    .label("unknown time zone");
                    let meant = super::super::zones::meant(&tz.value);
                    let candidates = jiff::tz::db()
                        .available()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>();
                    match meant {
                        [one] => {
                            d = d
                                .help(format!("`{}` is \"{one}\" in the IANA database: write \"{one}\"", tz.value))
                                .suggest(tz.span, format!("\"{one}\""));
                        }
                        [first, ..] => {
                            let listed: Vec<String> = meant.iter().map(|z| format!("\"{z}\"")).collect();
                            d = d.help(format!(
                                "`{}` is used for several zones: {}; write the one you mean (most often \"{first}\")",
                                tz.value,
                                listed.join(", ")
                            ));
                        }
                        [] => match crate::diag::did_you_mean(&tz.value, candidates.iter().map(String::as_str)) {
                            Some(s) => d = d.help(format!("did you mean \"{s}\"?")).suggest(tz.span, format!("\"{s}\"")),
                            None => d = d.help("use a name from the IANA database such as \"Europe/Berlin\" or \"America/New_York\": a region and its largest city"),
                        },
                    }
                    self.push(d);
                } else if let Some((instead, offset)) =
                    super::super::zones::fixed_offset_instead(&tz.value)
                {
                    self.push(
                        Diagnostic::new(
                            Code::FixedOffsetZone,
                            tz.span,
                            format!("`{}` is {offset} all year, without daylight saving", tz.value),
                        )
                        .label("a fixed offset")
                        .help(format!(
                            "write \"{instead}\": the region observes daylight saving, so business hours in `{}` are off by an hour for half the year",
                            tz.value
                        ))
                        .suggest(tz.span, format!("\"{instead}\"")),
                    );
                }
            }
        }
        if c.hours.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::NoBusinessHours,
                    c.name.span,
                    format!("calendar `{}` has no opening hours", c.name.name),
                )
                .label("no business hours to count")
                .help("add a line such as `mon-fri 09:00-17:30`"),
            );
        }
        let mut per_day: Vec<Vec<(u16, u16, Span)>> = vec![Vec::new(); 7];
        for h in &c.hours {
            for &(start, end, span) in &h.ranges {
                if start >= end {
                    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
                    let help = if end < 12 * 60 && end + 12 * 60 > start {
                        // `8:30-5:00`: the end on the 12-hour clock
                        let pm = match end % 60 {
                            0 => format!("{} pm", end / 60),
                            m => format!("{}:{m:02} pm", end / 60),
                        };
                        format!(
                            "times are on the 24-hour clock: write `{}-{}` if the day ends at {pm}",
                            hm(start),
                            hm(end + 12 * 60),
                        )
                    } else if start > end {
                        format!(
                            "a range cannot cross midnight: write `{}-24:00` for this day and `00:00-{}` on the next day's line",
                            hm(start),
                            hm(end)
                        )
                    } else {
                        "give the range a length, e.g. `09:00-17:30`".to_string()
                    };
                    self.push(
                        Diagnostic::new(
                            Code::InvalidHours,
                            span,
                            "opening hours must end after they start",
                        )
                        .label("empty or reversed range")
                        .help(help),
                    );
                    continue;
                }
                for &d in &h.days {
                    for &(s2, e2, sp2) in &per_day[d as usize] {
                        if start < e2 && s2 < end {
                            self.push(
                                Diagnostic::new(Code::InvalidHours, span, "these opening hours overlap hours already given for the same day")
                                    .label("overlaps")
                                    .with_secondary(sp2, "earlier range")
                                    .help("give each moment of the week once; merge or split the ranges"),
                            );
                        }
                    }
                    per_day[d as usize].push((start, end, span));
                }
            }
        }
    }
}
