//! What the lead's active handoff says beyond the verdict: the packet and
//! the missing context, the route and its member, the escalations, the
//! playbook and the debrief.

use serde_json::Value;

use crate::decision::*;
use crate::ir::*;
use crate::value::Val;

use super::calendar::add_business;
use super::decide::{result_word, Cx};
use super::distribute::least_loaded;
use super::extract;

impl<'p> Cx<'p, '_> {
    /// Fills the packet and the missing context; returns the reason text of
    /// each missing-context entry, in order.
    pub(super) fn requirements(
        &mut self,
        h: &'p HandoffIr,
        d: &mut Decision<'p>,
    ) -> Vec<&'p PText> {
        let mut reasons = Vec::new();
        let p = &self.engine.policy;
        let mut fields = Vec::with_capacity(h.require.len());
        for r in &h.require {
            let v = &self.slots[r.slot as usize];
            let problem = match v {
                Val::Missing => Some(0),
                Val::Str(s) if s.trim().is_empty() => Some(0),
                Val::List(items) => {
                    let n = items.iter().filter(|i| !i.is_missing()).count() as u32;
                    if n < r.at_least.unwrap_or(1) {
                        Some(if n == 0 { 0 } else { 1 })
                    } else {
                        None
                    }
                }
                _ => None,
            }
            .or_else(|| match (&r.format, v) {
                (Some(FormatIr::Named(re) | FormatIr::Regex(re)), Val::Str(s))
                    if !re.is_match(s) =>
                {
                    Some(2)
                }
                (Some(FormatIr::Email), Val::Str(s)) if !extract::looks_like_email(s) => Some(2),
                _ => None,
            })
            .or_else(|| match (r.within, v) {
                (Some(w), Val::Ts(t))
                    if (self.now.as_millisecond() - t.as_millisecond()) / 1000 > w =>
                {
                    Some(3)
                }
                _ => None,
            });
            if let Some(problem) = problem {
                d.missing_context.push(MissingContext {
                    field: r.path.t(),
                    label: r.label.as_ref().map(PText::t),
                    problem: ["missing", "too_few", "bad_format", "stale"][problem],
                    line: r.origin.line,
                });
                reasons.push(&r.reasons[problem]);
            }
            let info = &p.slots[r.slot as usize];
            let masked = info
                .pii_visible_to
                .as_ref()
                .is_some_and(|roles| !roles.iter().any(|r| *r == *h.head.owned_by));
            let value = if masked && !v.is_missing() {
                PacketValue::Masked
            } else if v.is_missing() {
                PacketValue::Value(Val::Missing)
            } else if let Some((_, j)) = self.json.iter().find(|(s, _)| *s == r.slot) {
                j.packet_value(self.text)
            } else {
                PacketValue::Value(v.clone())
            };
            fields.push(PacketField {
                field: r.path.t(),
                label: r.label.as_ref().map(PText::t),
                value,
                masked,
            });
        }
        d.packet = Some(Packet {
            owner_role: h.head.owned_by.t(),
            fields,
        });
        reasons
    }

    pub(super) fn route(&mut self, h: &'p HandoffIr) -> Option<RouteChoice<'p>> {
        let mut tried = Vec::new();
        for (i, r) in h.routes.iter().enumerate() {
            let matched = match &r.when {
                None => true,
                Some(w) => {
                    let v = self.truth(w);
                    if !v.is_true() {
                        tried.push(TriedRule {
                            rule: i + 1,
                            line: r.origin.line,
                            condition: r.origin.text.t(),
                            result: result_word(v),
                        });
                        false
                    } else {
                        true
                    }
                }
            };
            if matched {
                let (member, at_capacity) = match &r.target {
                    TargetIr::Team(ti) => self.pick_member(&self.engine.policy.teams[*ti as usize]),
                    TargetIr::Owner => (Some(r.target_ref.name.t()), false),
                    TargetIr::Queue => (None, false),
                };
                return Some(RouteChoice {
                    rule: i + 1,
                    line: r.origin.line,
                    condition: r.origin.text.t(),
                    target: &r.target_ref,
                    member,
                    at_capacity,
                    tried,
                });
            }
        }
        None
    }

    fn pick_member(&self, team: &'p TeamIr) -> (Option<Text<'p>>, bool) {
        if team.members.is_empty() {
            return (None, false);
        }
        match &team.strategy {
            None => (None, false),
            Some(Strategy::Weighted) => {
                let total: f64 = team.members.iter().map(|m| m.weight).sum();
                let x = (self.lead_key as f64 / u64::MAX as f64) * total;
                let mut acc = 0.0;
                for m in &team.members {
                    acc += m.weight;
                    if x < acc {
                        return (Some(m.id.t()), false);
                    }
                }
                (team.members.last().map(|m| m.id.t()), false)
            }
            Some(Strategy::RoundRobin { state }) => {
                let cursor = self
                    .engine
                    .state
                    .get(state)
                    .and_then(Value::as_u64)
                    .unwrap_or(0) as usize;
                (
                    Some(team.members[cursor % team.members.len()].id.t()),
                    false,
                )
            }
            Some(Strategy::LeastLoaded { state }) => {
                match least_loaded(
                    team,
                    self.engine.state.get(state).and_then(Value::as_object),
                    |_| 0.0,
                ) {
                    Some((_, m)) => (Some(m.id.t()), false),
                    None => (None, true),
                }
            }
        }
    }

    pub(super) fn escalations(&mut self, h: &'p HandoffIr, d: &mut Decision<'p>) {
        let p = &self.engine.policy;
        for (i, e) in h.escalations.iter().enumerate() {
            let since = &self.slots[e.since as usize];
            let cal = e.calendar.map(|c| &p.calendars[c as usize]);
            let stopped = e
                .unless
                .is_some_and(|u| !self.slots[u as usize].is_missing());
            let (status, due) = match since {
                Val::Ts(t) => {
                    let due = match cal {
                        Some(c) => add_business(c, *t, e.after),
                        None => t.checked_add(jiff::SignedDuration::from_secs(e.after)).ok(),
                    };
                    let status = if stopped {
                        "stopped"
                    } else {
                        match due {
                            Some(due) if self.now >= due => "overdue",
                            _ => "pending",
                        }
                    };
                    (status, due)
                }
                _ => ("not_started", None),
            };
            let st = EscalationStatus {
                step: i + 1,
                name: e.name.t(),
                line: e.origin.line,
                after: e.after_text.t(),
                business_hours: e.calendar_name.as_ref().map(PText::t),
                since: e.since_path.t(),
                status,
                due_at: due,
                actions: &e.action_texts,
                action_items: &e.action_items,
            };
            if status == "pending" && d.next_escalation.is_none() {
                d.next_escalation = Some(st.clone());
            }
            d.escalations.push(st);
        }
    }

    pub(super) fn playbook(&mut self, h: &'p HandoffIr, d: &mut Decision<'p>) {
        let p = &self.engine.policy;
        for (when, idx, origin) in &h.playbooks {
            let chosen = match when {
                None => true,
                Some(c) => self.cond(c).is_true(),
            };
            if !chosen {
                continue;
            }
            let pb = &p.playbooks[*idx as usize];
            let blocked = &d.consent.blocked_channels;
            d.playbook = Some(PlaybookChoice {
                name: pb.name.t(),
                persona: pb.persona.as_ref().map(PText::t),
                outcome: pb.outcome.as_ref().map(PText::t),
                touches: pb
                    .touches
                    .iter()
                    .map(|(ch, tpl, after)| Touch {
                        channel: ch.t(),
                        template: tpl.t(),
                        after: after.as_ref().map(PText::t),
                        allowed: !blocked.iter().any(|b| b.channel.as_str() == ch.as_str()),
                    })
                    .collect(),
                collect: &pb.collect,
                line: origin.line,
                rule: origin.text.t(),
            });
            return;
        }
    }

    pub(super) fn debrief(&self, db: &'p DebriefIr) -> DebriefStatus<'p> {
        let field = db.field_path.t();
        if !self.slots[db.field as usize].is_missing() {
            return DebriefStatus {
                field,
                status: "done",
                due_at: None,
            };
        }
        match &self.slots[db.since as usize] {
            Val::Ts(t) => {
                let due = t
                    .checked_add(jiff::SignedDuration::from_secs(db.within))
                    .ok();
                let status = match due {
                    Some(due) if self.now >= due => "overdue",
                    _ => "pending",
                };
                DebriefStatus {
                    field,
                    status,
                    due_at: due,
                }
            }
            _ => DebriefStatus {
                field,
                status: "not_started",
                due_at: None,
            },
        }
    }
}
