//! Compilation of scores, metrics, teams and calendars; signals, queues and
//! playbooks are mapped in place by [`compile`](super::compile).

use super::Compiler;
use crate::ast::{self, BinOp};
use crate::decision::PText;
use crate::ir::*;

impl Compiler<'_> {
    pub(super) fn score(&mut self, s: &ast::Score) -> ScoreIr {
        ScoreIr {
            name: PText::new(&s.name.name),
            terms: s
                .terms
                .iter()
                .map(|t| ScoreTermIr {
                    points: t.points.value,
                    per: t.per,
                    expr: self.expr(&t.expr),
                })
                .collect(),
            cap: s.cap.first().map(|c| c.value),
            decay: s
                .decay
                .first()
                .map(|d| (d.half_life.seconds as f64, self.field_slot(&d.since))),
        }
    }

    pub(super) fn metric(&mut self, m: &ast::Metric) -> MetricIr {
        MetricIr {
            name: PText::new(&m.name.name),
            label: m.label.as_ref().map(|l| PText::new(&l.value)),
            body: match &m.body {
                ast::MetricBody::Value(e) => MetricBodyIr::Value(self.expr(e)),
                ast::MetricBody::Share { of, among } => MetricBodyIr::Share {
                    of: self.expr(of),
                    among: among.as_ref().map(|a| self.expr(a)),
                },
            },
            target: m.target.as_ref().and_then(|t| {
                let op = match t.op {
                    BinOp::Le => CmpOp::Le,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Ge => CmpOp::Ge,
                    _ => CmpOp::Gt,
                };
                match self.expr(&t.value) {
                    Ex::Const(v) => Some((op, v)),
                    _ => None,
                }
            }),
        }
    }
}

pub(super) fn team(t: &ast::Team) -> TeamIr {
    TeamIr {
        name: t.name.name.clone(),
        members: t
            .members
            .iter()
            .map(|m| MemberIr {
                id: PText::new(&m.id.value),
                weight: m.weight.map(|w| w.value).unwrap_or(1.0),
                capacity: m.capacity.map(|c| c.value as u32),
            })
            .collect(),
        strategy: t
            .distribute
            .first()
            .and_then(|d| match d.strategy.name.as_str() {
                "weighted" => Some(Strategy::Weighted),
                "round_robin" => Some(Strategy::RoundRobin {
                    state: d
                        .state
                        .as_ref()
                        .map(|s| s.value.clone())
                        .unwrap_or_default(),
                }),
                "least_loaded" => Some(Strategy::LeastLoaded {
                    state: d
                        .state
                        .as_ref()
                        .map(|s| s.value.clone())
                        .unwrap_or_default(),
                }),
                _ => None,
            }),
    }
}

pub(super) fn calendar(c: &ast::Calendar) -> Calendar {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    for h in &c.hours {
        for &d in &h.days {
            for &(s, e, _) in &h.ranges {
                week[d as usize].push((s, e));
            }
        }
    }
    for day in &mut week {
        day.sort();
    }
    Calendar {
        name: PText::new(&c.name.name),
        tz: c
            .timezone
            .first()
            .and_then(|t| jiff::tz::TimeZone::get(&t.value).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC),
        week,
        holidays: c.holidays.iter().map(|h| h.date).collect(),
    }
}
