//! Compilation of a handoff: readiness, the packet's requirements with
//! their formats, quality and consent rules, routes and their targets,
//! escalations, playbook choice, debrief and overrides.

use std::sync::Arc;

use super::Compiler;
use crate::ast;
use crate::decision::{Action, HandoffRef, OverrideRule, PText, Target};
use crate::ir::*;

impl Compiler<'_> {
    fn target(&self, t: &ast::Target) -> TargetIr {
        match t {
            ast::Target::Team(n) => TargetIr::Team(self.p.team_index(&n.name).unwrap_or(0) as u32),
            ast::Target::Queue(_) => TargetIr::Queue,
            ast::Target::Owner(_) => TargetIr::Owner,
        }
    }

    pub(super) fn handoff(&mut self, h: &ast::Handoff) -> HandoffIr {
        let first =
            |v: &[ast::Ident]| PText::new(v.first().map(|i| i.name.clone()).unwrap_or_default());
        let ready = h.ready.iter().map(|r| self.cond(r)).collect();
        let require = h
            .require
            .iter()
            .map(|r| RequireIr {
                slot: self.packet_slot(&r.path),
                path: PText::new(r.path.dotted()),
                label: r.label.as_ref().map(|l| PText::new(&l.value)),
                reasons: ["missing", "too few", "bad format", "stale"].map(|problem| {
                    let what = r
                        .label
                        .as_ref()
                        .map(|l| l.value.clone())
                        .unwrap_or_else(|| r.path.dotted());
                    PText::new(format!("missing context: {what} ({problem})"))
                }),
                at_least: r.at_least.map(|(n, _)| n),
                format: r.format.as_ref().and_then(|f| match f {
                    ast::Format::Named(n) => named_format(&n.name),
                    ast::Format::Regex(s) => regex::Regex::new(&s.value)
                        .ok()
                        .map(|re| FormatIr::Regex(Arc::new(re))),
                }),
                within: r.within.map(|w| w.seconds),
                origin: self.origin(r.span),
            })
            .collect();
        let mut quality_names = Names::default();
        let quality = h
            .quality
            .iter()
            .map(|q| QualityIr {
                name: quality_names.name(q.name.as_ref(), || slug(&q.message.value)),
                severity: q.severity,
                message: PText::new(&q.message.value),
                reason: PText::new(format!(
                    "{}: {}",
                    if q.severity == ast::QualitySeverity::Block {
                        "blocked"
                    } else {
                        "review"
                    },
                    q.message.value
                )),
                when: self.cond(&q.when),
            })
            .collect();
        let consent = h
            .consent
            .iter()
            .map(|c| ConsentIr {
                channel: PText::new(&c.channel.name),
                slot: self.field_slot(&c.field),
                path: PText::new(c.field.dotted()),
                when: c.when.as_ref().map(|w| self.expr(w)),
                origin: self.origin(c.span),
            })
            .collect();
        let routes = h
            .routes
            .first()
            .map(|r| {
                r.rules
                    .iter()
                    .map(|rule| RouteIr {
                        when: rule.when.as_ref().map(|w| self.expr(w)),
                        target: self.target(&rule.target),
                        target_ref: target_ref(&rule.target),
                        origin: match &rule.when {
                            Some(w) => self.origin_around(rule.span, w),
                            None => self.origin(rule.span),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut step_names = Names::default();
        let escalations = h
            .escalations
            .first()
            .map(|steps| {
                steps
                    .iter()
                    .map(|e| EscalationIr {
                        name: step_names.name(e.name.as_ref(), || {
                            let after = if e.calendar.is_some() && e.after.seconds % 3600 == 0 {
                                format!("{}h", e.after.seconds / 3600)
                            } else {
                                crate::value::format_duration(e.after.seconds as f64)
                            };
                            format!("after_{after}")
                        }),
                        after: e.after.seconds,
                        calendar: e
                            .calendar
                            .as_ref()
                            .and_then(|c| self.p.calendar_index(&c.name))
                            .map(|i| i as u32),
                        since: self.field_slot(&e.since),
                        since_path: PText::new(e.since.dotted()),
                        calendar_name: e.calendar.as_ref().map(|c| PText::new(&c.name)),
                        unless: e.unless.as_ref().map(|u| self.field_slot(u)),
                        action_items: e
                            .actions
                            .iter()
                            .map(|a| match a {
                                ast::Action::Notify { role, message } => Action {
                                    kind: "notify",
                                    role: Some(PText::new(&role.name)),
                                    target: None,
                                    message: message.as_ref().map(|m| PText::new(&m.value)),
                                },
                                ast::Action::Reassign(t) => Action {
                                    kind: "reassign",
                                    role: None,
                                    target: Some(target_ref(t)),
                                    message: None,
                                },
                            })
                            .collect(),
                        after_text: PText::new(
                            if e.calendar.is_some() && e.after.seconds % 3600 == 0 {
                                format!("{}h", e.after.seconds / 3600)
                            } else {
                                crate::value::format_duration(e.after.seconds as f64)
                            },
                        ),
                        action_texts: e
                            .actions
                            .iter()
                            .map(|a| match a {
                                ast::Action::Notify {
                                    role,
                                    message: Some(m),
                                } => format!("notify {}: {}", role.name, m.value),
                                ast::Action::Notify {
                                    role,
                                    message: None,
                                } => format!("notify {}", role.name),
                                ast::Action::Reassign(ast::Target::Team(t)) => {
                                    format!("reassign to team {}", t.name)
                                }
                                ast::Action::Reassign(ast::Target::Queue(q)) => {
                                    format!("reassign to queue {}", q.name)
                                }
                                ast::Action::Reassign(ast::Target::Owner(o)) => {
                                    format!("reassign to owner {}", o.value)
                                }
                            })
                            .map(PText::new)
                            .collect(),
                        origin: self.origin(e.span),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let playbooks = h
            .playbooks
            .iter()
            .map(|s| {
                (
                    s.when.as_ref().map(|w| self.cond(w)),
                    self.p.playbook_index(&s.name.name).unwrap_or(0) as u32,
                    self.origin(s.span),
                )
            })
            .collect();
        let debrief = h.debrief.first().map(|d| DebriefIr {
            within: d.within.seconds,
            since: self.field_slot(&d.since),
            field: self.field_slot(&d.field),
            field_path: PText::new(d.field.dotted()),
        });
        HandoffIr {
            head: HandoffRef {
                from: PText::new(&h.from.name),
                to: PText::new(&h.to.name),
                label: h.label.as_ref().map(|l| PText::new(&l.value)),
                initiated_by: first(&h.initiated_by),
                validated_by: first(&h.validated_by),
                owned_by: first(&h.owned_by),
            },
            not_ready: PText::new(format!("not ready for {} -> {}", h.from.name, h.to.name)),
            ready_text: PText::new(format!("ready for {} -> {}", h.from.name, h.to.name)),
            ready,
            require,
            quality,
            consent,
            routes,
            escalations,
            playbooks,
            debrief,
            overrides: h.overrides.first().map(|o| OverrideRule {
                allowed_by: o.roles.iter().map(|r| PText::new(&r.name)).collect(),
                reason_required: o.reason_required,
            }),
            hold_missing_context: h.missing_context.first().is_some_and(|(hold, _)| *hold),
        }
    }
}

fn named_format(name: &str) -> Option<FormatIr> {
    let re = match name {
        "email" => return Some(FormatIr::Email),
        "phone" => r"^\+?[0-9][0-9 ()./-]{5,}$",
        "url" => r"^https?://[^\s]+$",
        "domain" => r"^([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$",
        _ => return None,
    };
    regex::Regex::new(re)
        .ok()
        .map(|r| FormatIr::Named(Arc::new(r)))
}

/// The names of a handoff's quality rules or escalation steps: the one
/// given, or a default, made unique with `_2`, `_3`.
#[derive(Default)]
struct Names(std::collections::HashSet<String>);

impl Names {
    fn name(&mut self, given: Option<&ast::Ident>, default: impl FnOnce() -> String) -> PText {
        let base = given.map_or_else(default, |n| n.name.clone());
        let mut name = base.clone();
        let mut n = 1;
        while !self.0.insert(name.clone()) {
            n += 1;
            name = format!("{base}_{n}");
        }
        PText::new(name)
    }
}

/// A name made from text: `Contact data is stale` -> `contact_data_is_stale`
/// (lowercase ASCII letters and digits, `_` between words, at most 48
/// characters); `rule` when nothing is left.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        if out.len() >= 48 {
            break;
        }
    }
    let out = out.trim_end_matches('_');
    if out.is_empty() {
        "rule".to_string()
    } else {
        out.to_string()
    }
}

/// A route target as decisions show it.
fn target_ref(t: &ast::Target) -> Target {
    match t {
        ast::Target::Team(n) => Target {
            kind: "team",
            name: PText::new(&n.name),
        },
        ast::Target::Queue(n) => Target {
            kind: "queue",
            name: PText::new(&n.name),
        },
        ast::Target::Owner(s) => Target {
            kind: "owner",
            name: PText::new(&s.value),
        },
    }
}
