//! Checks of each declaration: schema, teams, calendars, signals, scores,
//! handoffs, playbooks and metrics.
//!
//! [`check_all`](Checker::check_all) visits the declarations family by
//! family, the schema first since every other check resolves field paths
//! against it; the checks of each family live beside it: [`schema`] (the
//! lead schema and field paths), [`org`] (stages, teams, calendars),
//! [`measures`] (scores, metrics) and [`handoff`] (handoffs and the
//! playbooks they choose).

mod handoff;
mod measures;
mod org;
mod schema;

use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

use super::expr::Scope;
use super::Checker;

impl Checker {
    pub(super) fn check_all(&mut self) {
        self.build_schema();
        let header = self.p.header.clone();
        if let Some(h) = &header {
            for e in &h.applies_to {
                self.condition(e, &mut Scope::default(), "`applies_to`");
            }
            self.at_most_one(&h.version, "version");
            self.at_most_one(&h.owner, "owner");
            self.at_most_one(&h.description, "description");
            if h.applies_to.len() > 1 {
                self.duplicate_entry(h.applies_to[1].span, "applies_to");
            }
        }
        self.check_stages();
        let teams = std::mem::take(&mut self.p.teams);
        for t in &teams {
            self.check_team(t);
        }
        self.p.teams = teams;
        let calendars = std::mem::take(&mut self.p.calendars);
        for c in &calendars {
            self.check_calendar(c);
        }
        self.p.calendars = calendars;
        // signals and scores are lent out while they are checked (instead
        // of cloning every expression); the names suggestions need are
        // cached first
        self.top_names();
        let signals = std::mem::take(&mut self.p.signals);
        for s in &signals {
            let mut scope = Scope::default();
            self.condition(&s.expr, &mut scope, &format!("signal `{}`", s.name.name));
            self.record_deps(&s.name.name, scope);
        }
        self.p.signals = signals;
        let scores = std::mem::take(&mut self.p.scores);
        for s in &scores {
            self.check_score(s);
        }
        self.p.scores = scores;
        let handoffs = std::mem::take(&mut self.p.handoffs);
        for h in &handoffs {
            self.check_handoff(h);
        }
        self.p.handoffs = handoffs;
        let playbooks = std::mem::take(&mut self.p.playbooks);
        for pb in &playbooks {
            self.check_playbook(pb);
        }
        self.p.playbooks = playbooks;
        let metrics = std::mem::take(&mut self.p.metrics);
        for m in &metrics {
            self.check_metric(m);
        }
        self.p.metrics = metrics;
    }

    fn at_most_one(&mut self, items: &[StrLit], what: &str) {
        if let Some(second) = items.get(1) {
            self.duplicate_entry(second.span, what);
        }
    }

    pub(crate) fn duplicate_entry(&mut self, span: Span, what: &str) {
        self.push(
            Diagnostic::new(
                Code::DuplicateEntry,
                span,
                format!("`{what}` is given more than once"),
            )
            .label("second one")
            .help(format!("keep a single `{what}`")),
        );
    }
}
