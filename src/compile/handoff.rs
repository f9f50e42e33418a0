//! Compilation of a handoff: readiness, the packet's requirements with
//! their formats, quality and consent rules, routes and their targets,
//! escalations, playbook choice, debrief and overrides.

use std::sync::Arc;

use super::Compiler;
use crate::ast;
use crate::decision::{HandoffRef, OverrideRule, PText, Target};
use crate::ir::*;

impl Compiler<'_> {
    fn target(&self, t: &ast::Target) -> TargetIr {
        match t {
            ast::Target::Team(n) => TargetIr::Team(self.p.team_index(&n.name).unwrap_or(0) as u32),
            ast::Target::Queue(n) => {
                TargetIr::Queue(self.p.queue_index(&n.name).unwrap_or(0) as u32)
            }
            ast::Target::Owner(s) => TargetIr::Owner(s.value.clone()),
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
                        .map(|re| FormatIr::Regex(s.value.clone(), Arc::new(re))),
                }),
                within: r.within.map(|w| w.seconds),
                origin: self.origin(r.span),
            })
            .collect();
        let quality = h
            .quality
            .iter()
            .map(|q| QualityIr {
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
                        origin: self.origin(rule.span),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let escalations = h
            .escalations
            .first()
            .map(|steps| {
                steps
                    .iter()
                    .map(|e| EscalationIr {
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
                        actions: e
                            .actions
                            .iter()
                            .map(|a| match a {
                                ast::Action::Notify { role, message } => ActionIr::Notify {
                                    role: role.name.clone(),
                                    message: message.as_ref().map(|m| m.value.clone()),
                                },
                                ast::Action::Reassign(t) => ActionIr::Reassign(self.target(t)),
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
        }
    }
}

fn named_format(name: &str) -> Option<FormatIr> {
    let (n, re): (&'static str, &str) = match name {
        "email" => return Some(FormatIr::Email),
        "phone" => ("phone", r"^\+?[0-9][0-9 ()./-]{5,}$"),
        "url" => ("url", r"^https?://[^\s]+$"),
        "domain" => ("domain", r"^([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$"),
        _ => return None,
    };
    regex::Regex::new(re)
        .ok()
        .map(|r| FormatIr::Named(n, Arc::new(r)))
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
