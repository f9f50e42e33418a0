//! Lowering of a handoff: its roles and readiness, the `require`, `quality`
//! and `consent` blocks, routes with their targets, escalations, playbook
//! choice, debrief and overrides.

use super::{next, next_if, Lower, Rule, P};
use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

impl Lower<'_> {
    pub(super) fn handoff_decl(&mut self, p: P<'_>) -> Handoff {
        assert_eq!(p.as_rule(), Rule::handoff_decl);
        let mut inner = p.into_inner();
        let from = self.ident(next(&mut inner, Rule::ident));
        let to = self.ident(next(&mut inner, Rule::ident));
        let label = self.opt_string(&mut inner);
        let mut h = Handoff {
            head_span: from.span.to(to.span),
            from,
            to,
            label,
            initiated_by: vec![],
            validated_by: vec![],
            owned_by: vec![],
            ready: vec![],
            require: vec![],
            quality: vec![],
            consent: vec![],
            routes: vec![],
            escalations: vec![],
            playbooks: vec![],
            debrief: vec![],
            overrides: vec![],
            missing_context: vec![],
        };
        for e in inner {
            let span = self.span(&e);
            let rule = e.as_rule();
            match rule {
                Rule::initiated_entry | Rule::validated_entry | Rule::owned_entry => {
                    let mut ri = e.into_inner();
                    let role = self.ident(next(&mut ri, Rule::ident));
                    match rule {
                        Rule::initiated_entry => h.initiated_by.push(role),
                        Rule::validated_entry => h.validated_by.push(role),
                        _ => h.owned_by.push(role),
                    }
                }
                Rule::ready_entry => {
                    let mut ri = e.into_inner();
                    h.ready.push(self.expr(next(&mut ri, Rule::expr)));
                }
                Rule::require_block => {
                    for r in e.into_inner() {
                        h.require.push(self.require_item(r));
                    }
                }
                Rule::quality_block => {
                    for r in e.into_inner() {
                        h.quality.push(self.quality_rule(r));
                    }
                }
                Rule::consent_block => {
                    for r in e.into_inner() {
                        h.consent.push(self.consent_rule(r));
                    }
                }
                Rule::route_block => h.routes.push(self.route_block(e)),
                Rule::escalate_block => {
                    let steps = e.into_inner().map(|s| self.escalation(s)).collect();
                    h.escalations.push(steps);
                }
                Rule::playbook_select => {
                    let mut pi = e.into_inner();
                    let name = self.ident(next(&mut pi, Rule::ident));
                    let sel = pi.next().expect("playbook selection");
                    let when = match sel.as_rule() {
                        Rule::playbook_when => {
                            let mut wi = sel.into_inner();
                            Some(self.expr(next(&mut wi, Rule::expr)))
                        }
                        _ => None,
                    };
                    h.playbooks.push(PlaybookSelect { name, when, span });
                }
                Rule::missing_context_entry => {
                    let mut mi = e.into_inner();
                    let action = next(&mut mi, Rule::missing_action);
                    h.missing_context.push((action.as_str() == "hold", span));
                }
                Rule::debrief_entry => {
                    let mut di = e.into_inner();
                    let within = self.duration_arg(di.next().expect("debrief delay"));
                    let since = self.path(next(&mut di, Rule::path));
                    let field = self.path(next(&mut di, Rule::path));
                    h.debrief.push(Debrief {
                        within,
                        since,
                        field,
                        span,
                    });
                }
                Rule::overrides_entry => {
                    let mut roles = Vec::new();
                    let mut reason_required = false;
                    for c in e.into_inner() {
                        match c.as_rule() {
                            Rule::ident => roles.push(self.ident(c)),
                            Rule::with_reason => reason_required = true,
                            r => unreachable!("overrides {r:?}"),
                        }
                    }
                    h.overrides.push(Overrides {
                        roles,
                        reason_required,
                        span,
                    });
                }
                r => unreachable!("handoff entry {r:?}"),
            }
        }
        h
    }

    fn require_item(&mut self, p: P<'_>) -> Requirement {
        assert_eq!(p.as_rule(), Rule::require_item);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let path = self.path(next(&mut inner, Rule::path));
        let mut req = Requirement {
            path,
            at_least: None,
            format: None,
            within: None,
            label: None,
            span,
        };
        for c in inner {
            match c.as_rule() {
                Rule::req_at_least => {
                    let n = c.into_inner().next().expect("a count");
                    if n.as_rule() == Rule::count_word_err {
                        let span = self.span(&n);
                        let words = [
                            "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                            "ten",
                        ];
                        let value = words.iter().position(|w| *w == n.as_str()).unwrap_or(0) + 1;
                        self.error(
                            Diagnostic::new(
                                Code::Syntax,
                                span,
                                format!("`at least {}` needs the count in digits", n.as_str()),
                            )
                            .label(format!("write `{value}`"))
                            .help(format!("write `at least {value}`"))
                            .suggest(span, value.to_string()),
                        );
                    } else {
                        req.at_least = Some(self.int(n));
                    }
                }
                Rule::req_format => {
                    let f = c.into_inner().next().expect("format value");
                    req.format = Some(match f.as_rule() {
                        Rule::string => Format::Regex(self.string(f)),
                        _ => Format::Named(self.ident(f)),
                    });
                }
                Rule::req_within => {
                    let d = c.into_inner().next().expect("within duration");
                    req.within = Some(self.duration_arg(d));
                }
                Rule::string => req.label = Some(self.string(c)),
                r => unreachable!("requirement {r:?}"),
            }
        }
        req
    }

    fn quality_rule(&mut self, p: P<'_>) -> QualityRule {
        assert_eq!(p.as_rule(), Rule::quality_rule);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.entry_name(&mut inner);
        let severity = match next(&mut inner, Rule::severity).as_str() {
            "block" => QualitySeverity::Block,
            _ => QualitySeverity::Review,
        };
        let message = self.string(next(&mut inner, Rule::string));
        let when = self.expr(next(&mut inner, Rule::expr));
        QualityRule {
            name,
            severity,
            message,
            when,
            span,
        }
    }

    fn consent_rule(&mut self, p: P<'_>) -> ConsentRule {
        assert_eq!(p.as_rule(), Rule::consent_rule);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let channel = self.ident(next(&mut inner, Rule::channel));
        let field = self.path(next(&mut inner, Rule::path));
        let when = next_if(&mut inner, Rule::expr).map(|e| self.expr(e));
        ConsentRule {
            channel,
            field,
            when,
            span,
        }
    }

    fn route_block(&mut self, p: P<'_>) -> Route {
        assert_eq!(p.as_rule(), Rule::route_block);
        let span = self.span(&p);
        let mut rules: Vec<RouteRule> = Vec::new();
        let mut otherwise: Option<Span> = None;
        for r in p.into_inner() {
            let rspan = self.span(&r);
            let is_otherwise = r.as_rule() == Rule::otherwise_rule;
            let mut inner = r.into_inner();
            let when = if is_otherwise {
                None
            } else {
                Some(self.expr(next(&mut inner, Rule::expr)))
            };
            if let Some(a) = next_if(&mut inner, Rule::arrow_err) {
                self.wrong_arrow(&a);
            }
            let target = self.target(next(&mut inner, Rule::target));
            if let Some(first) = otherwise {
                let code = if is_otherwise {
                    Code::DuplicateOtherwise
                } else {
                    Code::RuleAfterOtherwise
                };
                let message = if is_otherwise {
                    "this route has a second `otherwise`"
                } else {
                    "this rule comes after `otherwise`, so it can never be chosen"
                };
                self.error(
                    Diagnostic::new(code, rspan, message)
                        .label("never reached")
                        .with_secondary(first, "`otherwise` already catches every lead here")
                        .help("keep exactly one `otherwise`, as the last rule of the route"),
                );
            } else if is_otherwise {
                otherwise = Some(rspan);
            }
            rules.push(RouteRule {
                when,
                target,
                span: rspan,
            });
        }
        if otherwise.is_none() {
            let end = span.end as usize;
            let close = Span::new(self.file, end.saturating_sub(1), end);
            let mut d = Diagnostic::new(
                Code::MissingOtherwise,
                close,
                "this route has no `otherwise` rule",
            )
            .label("add `otherwise -> ...` before this brace")
            .with_secondary(
                Span::new(self.file, span.start as usize, span.start as usize + 5),
                "route starts here",
            )
            .help("add `otherwise -> queue <name>` as the last rule so that no lead lands nowhere");
            if let Some(last) = rules.last() {
                d = d.with_secondary(last.span, "a lead that matches no rule stops here");
            }
            self.error(d);
        }
        Route { rules, span }
    }

    fn wrong_arrow(&mut self, a: &P<'_>) {
        let span = self.span(a);
        self.error(
            Diagnostic::new(
                Code::WrongArrow,
                span,
                format!("`{}` is not an arrow here", a.as_str()),
            )
            .label("write `->`")
            .help("routes, escalations and handoffs use `->`, a hyphen and a greater-than sign")
            .suggest(span, "->"),
        );
    }

    fn target(&mut self, p: P<'_>) -> Target {
        assert_eq!(p.as_rule(), Rule::target);
        let t = p.into_inner().next().expect("target kind");
        let rule = t.as_rule();
        let mut ti = t.into_inner();
        match rule {
            Rule::target_team => Target::Team(self.ident(next(&mut ti, Rule::ident))),
            Rule::target_queue => Target::Queue(self.ident(next(&mut ti, Rule::ident))),
            Rule::target_owner => Target::Owner(self.string(next(&mut ti, Rule::string))),
            r => unreachable!("target {r:?}"),
        }
    }

    /// `name:` before a quality rule or an escalation step.
    fn entry_name(&mut self, inner: &mut pest::iterators::Pairs<'_, Rule>) -> Option<Ident> {
        next_if(inner, Rule::entry_name).map(|n| {
            // one token, `name:`, so that a failed parse after a word never
            // reports "expected `:`" in place of what the author missed
            let span = self.span(&n);
            let name = n.as_str().trim_end_matches(':').to_string();
            Ident {
                span: Span::new(
                    span.file,
                    span.start as usize,
                    span.start as usize + name.len(),
                ),
                name,
            }
        })
    }

    fn escalation(&mut self, p: P<'_>) -> Escalation {
        assert_eq!(p.as_rule(), Rule::escalation);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.entry_name(&mut inner);
        let after = self.duration_arg(inner.next().expect("escalation delay"));
        let calendar = next_if(&mut inner, Rule::business_hours).map(|b| {
            let mut bi = b.into_inner();
            self.ident(next(&mut bi, Rule::ident))
        });
        let since = self.path(next(&mut inner, Rule::path));
        let unless = next_if(&mut inner, Rule::unless_clause).map(|u| {
            let mut ui = u.into_inner();
            self.path(next(&mut ui, Rule::path))
        });
        if let Some(a) = next_if(&mut inner, Rule::arrow_err) {
            self.wrong_arrow(&a);
        }
        let mut actions = Vec::new();
        for a in inner {
            let act = a.into_inner().next().expect("action kind");
            let rule = act.as_rule();
            let mut ai = act.into_inner();
            actions.push(match rule {
                Rule::notify_action => {
                    let role = self.ident(next(&mut ai, Rule::ident));
                    let message = self.opt_string(&mut ai);
                    Action::Notify { role, message }
                }
                Rule::reassign_action => Action::Reassign(self.target(next(&mut ai, Rule::target))),
                r => unreachable!("action {r:?}"),
            });
        }
        Escalation {
            name,
            after,
            calendar,
            since,
            unless,
            actions,
            span,
        }
    }
}
