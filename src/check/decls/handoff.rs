//! Checks of a handoff: its roles, readiness, the handoff packet's
//! requirements (formats, freshness, who may see personal data), quality
//! and consent rules, routes, escalations, debrief and overrides; and of
//! the playbooks a handoff chooses.

use crate::ast::*;
use crate::check::expr::Scope;
use crate::check::{Checker, Kind};
use crate::diag::{Code, Diagnostic};
use crate::span::Span;
use crate::types::Ty;

/// Named formats for `require ... format NAME`.
pub(crate) const FORMATS: &[&str] = &["email", "phone", "url", "domain"];

impl Checker {
    pub(super) fn check_handoff(&mut self, h: &Handoff) {
        for stage in [&h.from, &h.to] {
            self.reference(Kind::Stage, stage);
        }
        let roles: [(&[Ident], &str); 3] = [
            (&h.initiated_by, "initiated_by"),
            (&h.validated_by, "validated_by"),
            (&h.owned_by, "owned_by"),
        ];
        for (list, what) in roles {
            match list {
                [] => self.push(
                    Diagnostic::new(Code::MissingRole, h.head_span, format!("the handoff `{} -> {}` does not say who it is {}", h.from.name, h.to.name, what.replace("_by", " by")))
                        .label(format!("no `{what}`"))
                        .help(format!("add `{what} <role>`: a handoff names who initiates it, who validates it and who owns the lead next")),
                ),
                [one, rest @ ..] => {
                    self.reference(Kind::Role, one);
                    if let Some(second) = rest.first() {
                        self.duplicate_entry(second.span, what);
                    }
                }
            }
        }
        if let Some((_, second)) = h.missing_context.get(1) {
            self.duplicate_entry(*second, "missing_context");
        }
        let mut scope = Scope::default();
        if h.ready.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::MissingEntry,
                    h.head_span,
                    format!(
                        "the handoff `{} -> {}` never says when a lead is ready",
                        h.from.name, h.to.name
                    ),
                )
                .label("no `ready when`")
                .help("add `ready when <condition>`, e.g. `ready when all { engaged, recent }`"),
            );
        }
        for r in &h.ready {
            self.condition(r, &mut scope, "`ready when`");
        }
        let owner = h.owned_by.first().map(|o| o.name.clone());
        for req in &h.require {
            self.check_requirement(req, owner.as_deref(), h);
        }
        for q in &h.quality {
            self.condition(&q.when, &mut scope, "a quality rule");
        }
        self.unique_names(
            h.quality.iter().filter_map(|q| q.name.as_ref()),
            "quality rule",
        );
        for steps in &h.escalations {
            self.unique_names(
                steps.iter().filter_map(|e| e.name.as_ref()),
                "escalation step",
            );
        }
        for c in &h.consent {
            self.typed_field(
                &c.field,
                |t| *t == Ty::Bool,
                Code::ConsentNotBool,
                "a yes/no consent flag",
                "consent must come from a bool field such as `consent.email`; derive it in the CRM if needed",
            );
            if let Some(w) = &c.when {
                self.condition(w, &mut scope, "the `when` of a consent rule");
            }
            self.consent_channel(c);
        }
        match h.routes.as_slice() {
            [] => self.push(
                Diagnostic::new(
                    Code::MissingEntry,
                    h.head_span,
                    format!(
                        "the handoff `{} -> {}` has no `route`",
                        h.from.name, h.to.name
                    ),
                )
                .label("leads would land nowhere")
                .help("add `route { when <condition> -> team <name>  otherwise -> queue <name> }`"),
            ),
            [route, rest @ ..] => {
                if let Some(second) = rest.first() {
                    self.duplicate_entry(
                        Span {
                            end: second.span.start + 5,
                            ..second.span
                        },
                        "route",
                    );
                }
                for rule in &route.rules {
                    if let Some(w) = &rule.when {
                        self.condition(w, &mut scope, "a route rule");
                    }
                    self.target(&rule.target);
                }
            }
        }
        if h.escalations.len() > 1 {
            let s = h.escalations[1]
                .first()
                .map(|e| e.span)
                .unwrap_or(h.head_span);
            self.duplicate_entry(s, "escalate");
        }
        for steps in h.escalations.iter().take(1) {
            self.check_escalations(steps);
        }
        let mut otherwise_seen: Option<Span> = None;
        for sel in &h.playbooks {
            self.reference(Kind::Playbook, &sel.name);
            if let Some(o) = otherwise_seen {
                self.push(
                    Diagnostic::new(
                        Code::RuleAfterOtherwise,
                        sel.span,
                        "this playbook choice comes after `otherwise`, so it is never chosen",
                    )
                    .label("never reached")
                    .with_secondary(o, "`otherwise` already chose")
                    .help("keep `playbook <name> otherwise` as the last playbook line"),
                );
            }
            match &sel.when {
                Some(w) => self.condition(w, &mut scope, "a playbook condition"),
                None => otherwise_seen = otherwise_seen.or(Some(sel.span)),
            }
        }
        for d in &h.debrief {
            if d.within.seconds <= 0 {
                self.push(
                    Diagnostic::new(
                        Code::DelayNotPositive,
                        d.within.span,
                        "a debrief deadline must be longer than zero",
                    )
                    .label("zero")
                    .help("give the time allowed for the debrief, e.g. `within 2d`"),
                );
            }
            self.timestamp_field(&d.since, "a debrief deadline");
            self.field_path(&d.field);
        }
        if h.debrief.len() > 1 {
            self.duplicate_entry(h.debrief[1].span, "debrief");
        }
        for o in &h.overrides {
            for r in &o.roles {
                self.reference(Kind::Role, r);
            }
        }
        if h.overrides.len() > 1 {
            self.duplicate_entry(h.overrides[1].span, "overrides");
        }
    }

    fn check_requirement(&mut self, req: &Requirement, owner: Option<&str>, h: &Handoff) {
        let Some(t) = self.field_path(&req.path) else {
            return;
        };
        let bad = |cx: &mut Checker, span: Span, msg: String, help: &str| {
            cx.push(
                Diagnostic::new(Code::RequireConstraint, span, msg)
                    .label("does not fit this field")
                    .help(help.to_string()),
            );
        };
        if let Some((_, span)) = req.at_least {
            if !matches!(t, Ty::List(_)) {
                bad(
                    self,
                    span,
                    format!(
                        "`at least` counts list items, but `{}` is a {t}",
                        req.path.dotted()
                    ),
                    "remove `at least`; a single field only needs to be present",
                );
            }
        }
        if let Some(f) = &req.format {
            if !t.is_stringy() {
                bad(
                    self,
                    req.path.span,
                    format!("`format` checks text, but `{}` is a {t}", req.path.dotted()),
                    "use `format` on string or email fields",
                );
            }
            match f {
                Format::Named(n) => {
                    if !FORMATS.contains(&n.name.as_str()) {
                        let mut d = Diagnostic::new(
                            Code::UnknownFormat,
                            n.span,
                            format!("unknown format `{}`", n.name),
                        )
                        .label("not a named format");
                        match crate::diag::did_you_mean(&n.name, FORMATS.iter().copied()) {
                            Some(s) => d = d.help(format!("did you mean `{s}`?")).suggest(n.span, s),
                            None => d = d.help("the named formats are email, phone, url and domain; or give a regular expression in quotes"),
                        }
                        self.push(d);
                    }
                }
                Format::Regex(s) if FORMATS.contains(&s.value.as_str()) => {
                    self.push(
                        Diagnostic::new(
                            Code::QuotedFormatName,
                            s.span,
                            format!("`\"{}\"` in quotes is a regular expression that only looks for the text `{}`", s.value, s.value),
                        )
                        .label("a pattern, not the named format")
                        .help(format!(
                            "write `format {}` without quotes for the named format; quotes are for patterns of your own",
                            s.value
                        ))
                        .suggest(s.span, s.value.to_string()),
                    );
                }
                Format::Regex(s) => {
                    if let Err(e) = regex::Regex::new(&s.value) {
                        self.push(
                            Diagnostic::new(
                                Code::InvalidRegex,
                                s.span,
                                "this regular expression is not valid",
                            )
                            .label(
                                e.to_string()
                                    .lines()
                                    .last()
                                    .unwrap_or("invalid")
                                    .trim()
                                    .to_string(),
                            )
                            .help("fix the pattern; a backslash is written `\\\\` inside a string"),
                        );
                    }
                }
            }
        }
        if let Some(w) = &req.within {
            if t != Ty::Timestamp {
                bad(
                    self,
                    w.span,
                    format!(
                        "`within` checks how recent a timestamp is, but `{}` is a {t}",
                        req.path.dotted()
                    ),
                    "use `within` on a timestamp field such as `contact.updated_at`",
                );
            } else if w.seconds <= 0 {
                self.push(
                    Diagnostic::new(
                        Code::DelayNotPositive,
                        w.span,
                        "a freshness window must be longer than zero",
                    )
                    .label("zero")
                    .help("give the maximum age, e.g. `within 180d`"),
                );
            }
        }
        // PII in the packet must be visible to the next owner
        let Some(owner) = owner else { return };
        let Some(schema) = self.p.schema_decl.clone() else {
            return;
        };
        let dotted = req.path.dotted();
        for pii in &schema.pii {
            if pii
                .paths
                .iter()
                .any(|p| crate::ast::overlaps(&p.dotted(), &dotted))
                && !pii.visible_to.iter().any(|r| r.name == owner)
            {
                let seen_by = if pii.visible_to.is_empty() {
                    "no role".to_string()
                } else {
                    pii.visible_to
                        .iter()
                        .map(|r| format!("`{}`", r.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                self.push(
                    Diagnostic::new(Code::PiiNotVisible, req.path.span, format!("`{dotted}` is personal data that `{owner}` may not see, but it is required in the handoff packet"))
                        .label(format!("sent to `{owner}`, masked"))
                        .with_secondary(pii.span, format!("visible to {seen_by}"))
                        .with_secondary(h.owned_by[0].span, "the next owner")
                        .help(format!("add `{owner}` to the `visible to` list of this `pii` line, or drop the field from `require`")),
                );
            }
        }
    }

    pub(crate) fn target(&mut self, t: &Target) {
        match t {
            Target::Team(n) => {
                self.reference(Kind::Team, n);
            }
            Target::Queue(n) => {
                self.reference(Kind::Queue, n);
            }
            Target::Owner(s) => {
                if s.value.trim().is_empty() {
                    self.push(
                        Diagnostic::new(Code::Syntax, s.span, "an owner id cannot be empty")
                            .label("empty")
                            .help("give the owner's user id or email, e.g. `owner \"ae.carla\"`"),
                    );
                }
            }
        }
    }

    fn check_escalations(&mut self, steps: &[Escalation]) {
        let mut prev: Option<&Escalation> = None;
        for e in steps {
            if e.after.seconds <= 0 {
                self.push(
                    Diagnostic::new(
                        Code::DelayNotPositive,
                        e.after.span,
                        "an escalation delay must be longer than zero",
                    )
                    .label("fires at once")
                    .help("give the time a lead may wait before escalating, e.g. `after 4h`"),
                );
            }
            if let Some(c) = &e.calendar {
                self.reference(Kind::Calendar, c);
            }
            self.timestamp_field(&e.since, "an escalation");
            if let Some(u) = &e.unless {
                self.field_path(u);
            }
            for a in &e.actions {
                match a {
                    Action::Notify { role, .. } => {
                        self.reference(Kind::Role, role);
                    }
                    Action::Reassign(t) => self.target(t),
                }
            }
            if let Some(p) = prev {
                let same_clock = p.since.dotted() == e.since.dotted();
                if same_clock && e.after.seconds <= p.after.seconds && e.after.seconds > 0 {
                    self.push(
                        Diagnostic::new(Code::DelayNotIncreasing, e.after.span, "escalation steps must wait longer than the step before")
                            .label("not longer than the previous step")
                            .with_secondary(p.after.span, "previous step")
                            .help("order the steps from the shortest delay to the longest, each longer than the last"),
                    );
                }
            }
            prev = Some(e);
        }
    }

    // ------------------------------------------------------------ playbooks, metrics

    pub(super) fn check_playbook(&mut self, pb: &Playbook) {
        for (items, what) in [
            (&pb.persona, "persona"),
            (&pb.segment, "segment"),
            (&pb.outcome, "outcome"),
        ] {
            self.at_most_one(items, what);
        }
        if pb.touches.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::MissingEntry,
                    pb.name.span,
                    format!("playbook `{}` has no touches", pb.name.name),
                )
                .label("nothing for the owner to do")
                .help("add `touches email \"template-id\", call \"script-id\" after 1d`"),
            );
        }
        let mut last = 0;
        for t in &pb.touches {
            if let Some(a) = t.after {
                if a.seconds < last {
                    self.push(
                        Diagnostic::new(
                            Code::DelayNotIncreasing,
                            a.span,
                            "touches must be listed in the order they happen",
                        )
                        .label("earlier than the touch before")
                        .help("order touches by their `after` delay"),
                    );
                }
                last = a.seconds;
            }
        }
        for c in &pb.collect {
            self.field_path(c);
        }
    }
}

impl Checker {
    /// The names given to a handoff's quality rules (or escalation steps)
    /// are unique within it: programs key on them.
    fn unique_names<'a>(&mut self, names: impl Iterator<Item = &'a Ident>, what: &str) {
        let mut seen: Vec<&Ident> = Vec::new();
        for n in names {
            match seen.iter().find(|s| s.name == n.name) {
                Some(first) => self.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        n.span,
                        format!("two {what}s of this handoff are named `{}`", n.name),
                    )
                    .label("second use of the name")
                    .with_secondary(first.span, "first named here")
                    .help(format!(
                        "give each {what} its own name; decisions carry it for programs to key on"
                    )),
                ),
                None => seen.push(n),
            }
        }
    }

    /// A consent rule for a channel that no playbook touch uses blocks
    /// nothing: `phone requires consent.phone` while the touches say
    /// `call`.
    fn consent_channel(&mut self, c: &ConsentRule) {
        let mut used: Vec<&str> = self
            .p
            .playbooks
            .iter()
            .flat_map(|p| p.touches.iter().map(|t| t.channel.name.as_str()))
            .collect();
        used.sort_unstable();
        used.dedup();
        if used.is_empty() || used.contains(&c.channel.name.as_str()) {
            return;
        }
        const SAME: &[&[&str]] = &[
            &["phone", "call", "calls", "telephone", "voice"],
            &["email", "mail", "e-mail", "emails"],
            &["sms", "text", "texts", "whatsapp"],
            &["linkedin", "social", "inmail"],
        ];
        let written = c.channel.name.to_ascii_lowercase();
        let alias = SAME
            .iter()
            .filter(|group| group.contains(&written.as_str()))
            .flat_map(|group| group.iter())
            .find(|a| used.contains(a))
            .map(|a| a.to_string());
        let listed: Vec<String> = used.iter().map(|u| format!("`{u}`")).collect();
        let mut d = Diagnostic::new(
            Code::ConsentChannelUnused,
            c.channel.span,
            format!(
                "no playbook touch uses the channel `{}`, so this consent rule never blocks anything",
                c.channel.name
            ),
        )
        .label("no touch on this channel");
        d = match alias {
            Some(a) => d
                .help(format!(
                    "the touches say `{a}`: write `{a} requires {}` (the channels used are {})",
                    c.field.dotted(),
                    listed.join(", ")
                ))
                .suggest(c.channel.span, a),
            None => d.help(format!(
                "name a channel the touches use: {}",
                listed.join(", ")
            )),
        };
        self.push(d);
    }
}
