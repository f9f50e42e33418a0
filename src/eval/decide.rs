//! One lead's decision: the evaluation context, signals and scores
//! (each evaluated once), the scope, the readiness of every stage, the
//! metrics, and the verdict with its reasons.

use crate::ast::QualitySeverity;
use crate::decision::*;
use crate::ir::*;
use crate::value::Val;

use super::expr::{self, Tri};
use super::{extract, Engine};

/// The per-lead evaluation context.
pub(super) struct Cx<'a, 's> {
    pub(super) engine: &'a Engine,
    /// The lead's values, borrowed: from the workspace or a [`Prepared`].
    ///
    /// [`Prepared`]: super::Prepared
    pub(super) slots: &'s [Val],
    pub(super) now: jiff::Timestamp,
    pub(super) signals: Vec<Option<Tri>>,
    pub(super) scores: Vec<Option<f64>>,
    pub(super) vars: Vec<Val>,
    /// The hash of the lead id (or of nothing): the key of weighted
    /// distribution.
    pub(super) lead_key: u64,
    /// Where the JSON of fields that travel whole in the packet is.
    pub(super) json: &'s [(u32, extract::Kept)],
    /// The record's text, for [`extract::Kept::Text`] ("" on the `Value`
    /// path).
    pub(super) text: &'s str,
    /// Emptied `unmet` vectors of earlier decisions.
    pub(super) unmet: &'s mut Vec<Vec<Unmet<'a>>>,
}

pub(super) fn result_word(v: Tri) -> &'static str {
    match v {
        Tri::Unknown => "missing",
        Tri::True | Tri::False => "false",
    }
}

impl<'p> Cx<'p, '_> {
    pub(super) fn signal(&mut self, i: usize) -> Tri {
        if let Some(v) = self.signals[i] {
            return v;
        }
        let policy = &self.engine.policy;
        let v = self.truth(&policy.signals[i].expr);
        self.signals[i] = Some(v);
        v
    }

    pub(super) fn score(&mut self, i: usize) -> f64 {
        if let Some(v) = self.scores[i] {
            return v;
        }
        let s = &self.engine.policy.scores[i];
        let mut total = 0.0;
        for t in &s.terms {
            total += if t.per {
                match self.eval(&t.expr) {
                    Val::Num(n) => t.points * n,
                    _ => 0.0,
                }
            } else if self.truth(&t.expr).is_true() {
                t.points
            } else {
                0.0
            };
        }
        if let Some(cap) = s.cap {
            total = total.min(cap);
        }
        total = total.max(0.0);
        if let Some((half_life, slot)) = s.decay {
            if let Val::Ts(t) = &self.slots[slot as usize] {
                let age = (self.now.as_millisecond() - t.as_millisecond()) as f64 / 1000.0;
                if age > 0.0 && half_life > 0.0 {
                    total *= 0.5f64.powf(age / half_life);
                }
            }
        }
        let total = (total * 100.0).round() / 100.0;
        self.scores[i] = Some(total);
        total
    }

    pub(super) fn cond(&mut self, c: &Cond) -> Tri {
        self.truth(&c.expr)
    }

    /// Decides into `d`, which may hold the decision of the lead before:
    /// every field is set again (its vectors emptied and refilled).
    pub(super) fn decide(
        &mut self,
        d: &mut Decision<'p>,
        lead_id: Option<String>,
        issues: Vec<SchemaIssue>,
    ) {
        let engine: &'p Engine = self.engine;
        let p = &engine.policy;
        d.policy = &p.info;
        d.evaluated_at = self.now;
        d.lead_id = lead_id;
        d.verdict = Verdict::Hold;
        d.reasons.clear();
        d.handoff = None;
        for s in d.stages.drain(..) {
            if self.unmet.len() < 8 && s.unmet.capacity() > 0 {
                let mut u = s.unmet;
                u.clear();
                self.unmet.push(u);
            }
        }
        d.signals.entries.clear();
        d.scores.entries.clear();
        d.missing_context.clear();
        d.quality.clear();
        d.consent.blocked_channels.clear();
        d.route = None;
        d.escalations.clear();
        d.next_escalation = None;
        d.playbook = None;
        d.packet = None;
        d.debrief = None;
        d.overrides = None;
        d.metrics.entries.clear();
        d.schema_issues = issues;
        if let Some(a) = &p.applies_to {
            let v = self.truth(a);
            if !v.is_true() {
                d.verdict = Verdict::OutOfScope;
                let t = if v == Tri::Unknown {
                    &p.texts.out_of_scope_missing
                } else {
                    &p.texts.out_of_scope_false
                };
                d.reasons.push(Reason::Policy(t.t()));
                return;
            }
        }
        d.signals.entries.reserve(p.signals.len());
        for (i, s) in p.signals.iter().enumerate() {
            let v = self.signal(i);
            let reads = engine.explain.then(|| Named {
                entries: s
                    .reads
                    .iter()
                    .map(|&slot| {
                        (
                            p.slots[slot as usize].path.t(),
                            self.slots[slot as usize].clone(),
                        )
                    })
                    .collect(),
            });
            d.signals.entries.push((
                s.name.t(),
                SignalValue {
                    value: v.as_bool(),
                    reads,
                },
            ));
        }
        d.scores.entries.reserve(p.scores.len());
        for (i, s) in p.scores.iter().enumerate() {
            let v = self.score(i);
            d.scores.entries.push((s.name.t(), Number(v)));
        }
        d.stages.reserve(p.handoffs.len());
        for h in &p.handoffs {
            let (ready, unmet) = self.readiness(h);
            d.stages.push(StageReadiness {
                from: h.head.from.t(),
                to: h.head.to.t(),
                ready,
                unmet,
            });
        }
        d.metrics.entries.reserve(p.metrics.len());
        for m in &p.metrics {
            let mv = self.metric(m);
            d.metrics.entries.push((m.name.t(), mv));
        }
        // which handoff applies
        let active = match p.stage_slot {
            Some(slot) => match &self.slots[slot as usize] {
                Val::Str(stage) => match p.handoffs.iter().position(|h| *h.head.from == **stage) {
                    Some(i) => Some(i),
                    None => {
                        d.reasons.push(
                            match p.texts.no_handoff_from.iter().find(|(v, _)| *v == **stage) {
                                Some((_, t)) => Reason::Policy(t.t()),
                                None => Reason::Lead(crate::decision::no_handoff_leaves(stage)),
                            },
                        );
                        None
                    }
                },
                _ => {
                    d.reasons.push(Reason::Policy(p.texts.stage_missing.t()));
                    None
                }
            },
            None if p.handoffs.is_empty() => {
                d.reasons.push(Reason::Policy(p.texts.no_handoff.t()));
                None
            }
            None => Some(0),
        };
        let Some(ai) = active else {
            d.verdict = Verdict::Hold;
            return;
        };
        let h = &p.handoffs[ai];
        d.handoff = Some(&h.head);
        let ready = d.stages[ai].ready;
        let missing_reasons = self.requirements(h, d);
        // the quality rules that fired, for the flags and the reasons
        let mut fired: Vec<&'p QualityIr> = Vec::new();
        for q in &h.quality {
            if self.cond(&q.when).is_true() {
                d.quality.push(QualityFlag {
                    name: q.name.t(),
                    severity: q.severity,
                    message: q.message.t(),
                    line: q.when.origin.line,
                });
                fired.push(q);
            }
        }
        for c in &h.consent {
            // privacy errs on the safe side: only a definitely false
            // condition lifts the requirement
            let applies = match &c.when {
                None => true,
                Some(w) => self.truth(w) != Tri::False,
            };
            if !applies {
                continue;
            }
            let v = &self.slots[c.slot as usize];
            if !v.is_true() {
                d.consent.blocked_channels.push(ConsentBlock {
                    channel: c.channel.t(),
                    field: c.path.t(),
                    found: result_word(Tri::of(v)),
                    line: c.origin.line,
                });
            }
        }
        d.route = self.route(h);
        self.escalations(h, d);
        self.playbook(h, d);
        if let Some(db) = &h.debrief {
            d.debrief = Some(self.debrief(db));
        }
        d.overrides = h.overrides.as_ref();

        // the verdict
        let fired_as = |sev: QualitySeverity| fired.iter().filter(move |q| q.severity == sev);
        let blocked = fired_as(QualitySeverity::Block).next().is_some();
        let no_channel = d
            .playbook
            .as_ref()
            .is_some_and(|pb| !pb.touches.is_empty() && pb.touches.iter().all(|t| !t.allowed));
        if blocked || no_channel {
            d.verdict = Verdict::Blocked;
            d.reasons
                .extend(fired_as(QualitySeverity::Block).map(|q| Reason::Policy(q.reason.t())));
            if no_channel {
                d.reasons
                    .push(Reason::Policy(p.texts.no_consented_channel.t()));
            }
        } else if !ready {
            d.verdict = Verdict::Hold;
            d.reasons.push(Reason::Policy(h.not_ready.t()));
        } else if h.hold_missing_context && !missing_reasons.is_empty() {
            // the handoff holds leads that miss context rather than
            // passing them on for a person to complete
            d.verdict = Verdict::Hold;
            d.reasons
                .extend(missing_reasons.iter().map(|r| Reason::Policy(r.t())));
        } else {
            let at_capacity = d.route.as_ref().is_some_and(|r| r.at_capacity);
            let reviews = fired_as(QualitySeverity::Review).next().is_some();
            if reviews || !missing_reasons.is_empty() || at_capacity {
                d.verdict = Verdict::Review;
                d.reasons.extend(
                    fired_as(QualitySeverity::Review).map(|q| Reason::Policy(q.reason.t())),
                );
                d.reasons
                    .extend(missing_reasons.iter().map(|r| Reason::Policy(r.t())));
                if at_capacity {
                    d.reasons.push(Reason::Policy(p.texts.at_capacity.t()));
                }
            } else {
                d.verdict = Verdict::Handoff;
                d.reasons.push(Reason::Policy(h.ready_text.t()));
            }
        }
    }

    fn readiness(&mut self, h: &'p HandoffIr) -> (bool, Vec<Unmet<'p>>) {
        let mut ready = true;
        let mut unmet = self.unmet.pop().unwrap_or_default();
        for c in &h.ready {
            let v = self.cond(c);
            if v.is_true() {
                continue;
            }
            ready = false;
            if c.parts.is_empty() {
                unmet.push(Unmet {
                    line: c.origin.line,
                    condition: c.origin.text.t(),
                    result: result_word(v),
                });
            } else {
                for (part, origin) in &c.parts {
                    let pv = self.truth(part);
                    if !pv.is_true() {
                        unmet.push(Unmet {
                            line: origin.line,
                            condition: origin.text.t(),
                            result: result_word(pv),
                        });
                    }
                }
            }
        }
        (ready, unmet)
    }

    fn metric(&mut self, m: &MetricIr) -> MetricValue {
        match &m.body {
            MetricBodyIr::Value(e) => {
                let v = self.eval(e);
                let meets = m.target.as_ref().and_then(|(op, t)| {
                    if v.is_missing() {
                        None
                    } else {
                        expr::compare(*op, &v, t).as_bool()
                    }
                });
                MetricValue {
                    value: v,
                    meets_target: meets,
                    share: None,
                }
            }
            MetricBodyIr::Share { of, among } => {
                let o = self.truth(of).as_bool();
                let a = among
                    .as_ref()
                    .map(|a| self.truth(a).as_bool())
                    .unwrap_or(Some(true));
                MetricValue {
                    value: Val::Missing,
                    meets_target: None,
                    share: Some(ShareCounts { of: o, among: a }),
                }
            }
        }
    }
}
