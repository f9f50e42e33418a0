//! Lowering of the top-level declarations other than the lead schema and
//! handoffs: the policy header, stages, teams, calendars, signals, scores,
//! playbooks and metrics.

use super::{next, next_if, Lower, Rule, P};
use crate::ast::*;
use crate::diag::{Code, Diagnostic};

impl Lower<'_> {
    pub(super) fn policy_decl(&mut self, p: P<'_>) -> PolicyHeader {
        assert_eq!(p.as_rule(), Rule::policy_decl);
        let mut inner = p.into_inner();
        let name = self.string(next(&mut inner, Rule::string));
        let mut h = PolicyHeader {
            name,
            version: vec![],
            owner: vec![],
            description: vec![],
            applies_to: vec![],
        };
        for e in inner {
            let rule = e.as_rule();
            let mut ei = e.into_inner();
            match rule {
                Rule::version_entry => h.version.push(self.string(next(&mut ei, Rule::string))),
                Rule::owner_entry => h.owner.push(self.string(next(&mut ei, Rule::string))),
                Rule::description_entry => {
                    h.description.push(self.string(next(&mut ei, Rule::string)))
                }
                Rule::applies_entry => h.applies_to.push(self.expr(next(&mut ei, Rule::expr))),
                r => unreachable!("policy entry {r:?}"),
            }
        }
        h
    }

    pub(super) fn stages_decl(&mut self, p: P<'_>) -> Stages {
        assert_eq!(p.as_rule(), Rule::stages_decl);
        let mut names = Vec::new();
        let mut tracked_by = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => names.push(self.ident(c)),
                Rule::tracked_by => {
                    let mut ti = c.into_inner();
                    tracked_by = Some(self.path(next(&mut ti, Rule::path)));
                }
                r => unreachable!("stages {r:?}"),
            }
        }
        Stages { names, tracked_by }
    }

    pub(super) fn team_decl(&mut self, p: P<'_>) -> Team {
        assert_eq!(p.as_rule(), Rule::team_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let role = self.ident(next(&mut inner, Rule::ident));
        let mut team = Team {
            name,
            role,
            members: vec![],
            distribute: vec![],
        };
        if let Some(body) = next_if(&mut inner, Rule::team_body) {
            for e in body.into_inner() {
                match e.as_rule() {
                    Rule::members_entry => {
                        for m in e.into_inner() {
                            team.members.push(self.member(m));
                        }
                    }
                    Rule::distribute_entry => {
                        let span = self.span(&e);
                        let mut di = e.into_inner();
                        let strategy = self.ident(next(&mut di, Rule::strategy));
                        let state = next_if(&mut di, Rule::state_name).map(|s| {
                            let mut si = s.into_inner();
                            self.string(next(&mut si, Rule::string))
                        });
                        team.distribute.push(Distribute {
                            strategy,
                            state,
                            span,
                        });
                    }
                    r => unreachable!("team entry {r:?}"),
                }
            }
        }
        team
    }

    fn member(&mut self, p: P<'_>) -> Member {
        assert_eq!(p.as_rule(), Rule::member);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let id = self.string(next(&mut inner, Rule::string));
        let weight = next_if(&mut inner, Rule::member_weight)
            .map(|w| self.num_lit(w.into_inner().next().expect("weight value")));
        let capacity = next_if(&mut inner, Rule::member_capacity)
            .map(|c| self.num_lit(c.into_inner().next().expect("capacity value")));
        Member {
            id,
            weight,
            capacity,
            span,
        }
    }

    pub(super) fn calendar_decl(&mut self, p: P<'_>) -> Calendar {
        assert_eq!(p.as_rule(), Rule::calendar_decl);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let mut cal = Calendar {
            name,
            timezone: vec![],
            hours: vec![],
            holidays: vec![],
            span,
        };
        for e in inner {
            match e.as_rule() {
                Rule::timezone_entry => {
                    let mut ti = e.into_inner();
                    cal.timezone.push(self.string(next(&mut ti, Rule::string)));
                }
                Rule::holidays_entry => {
                    for d in e.into_inner() {
                        cal.holidays.push(self.date(d));
                    }
                }
                Rule::hours_entry => cal.hours.push(self.hours_entry(e)),
                r => unreachable!("calendar entry {r:?}"),
            }
        }
        cal
    }

    fn hours_entry(&mut self, p: P<'_>) -> Hours {
        assert_eq!(p.as_rule(), Rule::hours_entry);
        let span = self.span(&p);
        let mut days = Vec::new();
        let mut ranges = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::day_range => {
                    let mut di = c.into_inner();
                    let a = weekday_index(next(&mut di, Rule::weekday).as_str());
                    let b = next_if(&mut di, Rule::weekday).map(|w| weekday_index(w.as_str()));
                    match b {
                        None => days.push(a),
                        Some(b) if b >= a => days.extend(a..=b),
                        // a range over the weekend, `sat-mon`
                        Some(b) => days.extend((a..7).chain(0..=b)),
                    }
                }
                Rule::time_range => {
                    let rspan = self.span(&c);
                    let mut ti = c.into_inner();
                    let start = self.clock(next(&mut ti, Rule::clock));
                    let end = self.clock(next(&mut ti, Rule::clock));
                    ranges.push((start, end, rspan));
                }
                r => unreachable!("hours {r:?}"),
            }
        }
        Hours { days, ranges, span }
    }

    /// `09:30` -> minutes after midnight; `24:00` is the end of the day.
    fn clock(&mut self, p: P<'_>) -> u16 {
        let span = self.span(&p);
        let (h, m) = p.as_str().split_once(':').expect("clock has a colon");
        let h: u16 = h.parse().unwrap_or(99);
        let m: u16 = m.parse().unwrap_or(99);
        if m > 59 || h > 24 || (h == 24 && m != 0) {
            self.error(
                Diagnostic::new(
                    Code::InvalidLiteral,
                    span,
                    format!("`{}` is not a time of day", p.as_str()),
                )
                .label("no such time")
                .help("write times as HH:MM from 00:00 to 24:00, e.g. `09:00` or `17:30`"),
            );
            return 0;
        }
        h * 60 + m
    }

    pub(super) fn signal_decl(&mut self, p: P<'_>) -> Signal {
        assert_eq!(p.as_rule(), Rule::signal_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        self.define_op(next(&mut inner, Rule::define_op));
        let expr = self.expr(next(&mut inner, Rule::expr));
        let description = self.opt_string(&mut inner);
        Signal {
            name,
            expr,
            description,
        }
    }

    fn define_op(&mut self, p: P<'_>) {
        if p.as_str() == "==" {
            let span = self.span(&p);
            self.error(
                Diagnostic::new(
                    Code::DefineWithEquals,
                    span,
                    "a definition uses `=`, not `==`",
                )
                .label("`==` compares two values")
                .help("write `=` between the name and its definition")
                .suggest(span, "="),
            );
        }
    }

    pub(super) fn score_decl(&mut self, p: P<'_>) -> Score {
        assert_eq!(p.as_rule(), Rule::score_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let label = self.opt_string(&mut inner);
        let mut score = Score {
            name,
            label,
            terms: vec![],
            cap: vec![],
            decay: vec![],
        };
        for e in inner {
            let span = self.span(&e);
            match e.as_rule() {
                Rule::points_entry => {
                    let mut pi = e.into_inner();
                    let points = self.num_lit(next(&mut pi, Rule::signed_number));
                    let body = pi.next().expect("points body");
                    let per = body.as_rule() == Rule::points_per;
                    let mut bi = body.into_inner();
                    let expr = self.expr(next(&mut bi, Rule::expr));
                    score.terms.push(ScoreTerm {
                        points,
                        per,
                        expr,
                        span,
                    });
                }
                Rule::cap_entry => {
                    let mut ci = e.into_inner();
                    score
                        .cap
                        .push(self.num_lit(next(&mut ci, Rule::signed_number)));
                }
                Rule::decay_entry => {
                    let mut di = e.into_inner();
                    let half_life = self.duration_arg(di.next().expect("half life"));
                    let since = self.path(next(&mut di, Rule::path));
                    score.decay.push(Decay {
                        half_life,
                        since,
                        span,
                    });
                }
                r => unreachable!("score entry {r:?}"),
            }
        }
        score
    }

    pub(super) fn playbook_decl(&mut self, p: P<'_>) -> Playbook {
        assert_eq!(p.as_rule(), Rule::playbook_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let mut pb = Playbook {
            name,
            persona: vec![],
            segment: vec![],
            touches: vec![],
            collect: vec![],
            outcome: vec![],
        };
        for e in inner {
            let rule = e.as_rule();
            let mut ei = e.into_inner();
            match rule {
                Rule::persona_entry => pb.persona.push(self.string(next(&mut ei, Rule::string))),
                Rule::segment_entry => pb.segment.push(self.string(next(&mut ei, Rule::string))),
                Rule::outcome_entry => pb.outcome.push(self.string(next(&mut ei, Rule::string))),
                Rule::collect_entry => pb.collect.extend(self.paths(ei)),
                Rule::touches_entry => {
                    for t in ei {
                        let span = self.span(&t);
                        let mut ti = t.into_inner();
                        let channel = self.ident(next(&mut ti, Rule::channel));
                        let template = self.string(next(&mut ti, Rule::string));
                        let after = ti.next().map(|d| self.duration_arg(d));
                        pb.touches.push(Touch {
                            channel,
                            template,
                            after,
                            span,
                        });
                    }
                }
                r => unreachable!("playbook entry {r:?}"),
            }
        }
        pb
    }

    pub(super) fn metric_decl(&mut self, p: P<'_>) -> Metric {
        assert_eq!(p.as_rule(), Rule::metric_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let label = self.opt_string(&mut inner);
        self.define_op(next(&mut inner, Rule::define_op));
        let body_pair = inner.next().expect("metric body");
        let body = match body_pair.as_rule() {
            Rule::share_body => {
                let mut si = body_pair.into_inner();
                let of = self.expr(next(&mut si, Rule::expr));
                let among = si.next().map(|e| self.expr(e));
                MetricBody::Share { of, among }
            }
            _ => MetricBody::Value(self.expr(body_pair)),
        };
        let target = inner.next().map(|t| {
            let span = self.span(&t);
            let mut ti = t.into_inner();
            let op = match next(&mut ti, Rule::target_op).as_str() {
                "<=" => BinOp::Le,
                ">=" => BinOp::Ge,
                "<" => BinOp::Lt,
                _ => BinOp::Gt,
            };
            let value = self.expr(next(&mut ti, Rule::expr));
            MetricTarget { op, value, span }
        });
        Metric {
            name,
            label,
            body,
            target,
        }
    }
}

fn weekday_index(s: &str) -> u8 {
    match s {
        "mon" => 0,
        "tue" => 1,
        "wed" => 2,
        "thu" => 3,
        "fri" => 4,
        "sat" => 5,
        _ => 6,
    }
}
