//! Checks of each declaration: schema, teams, calendars, signals, scores,
//! handoffs, playbooks and metrics.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;
use crate::types::{FieldTy, RecordTy, Ty};

use super::expr::Scope;
use super::{Checker, Kind};

/// Distribution strategies a team may use, and whether they need state.
pub(crate) const STRATEGIES: &[(&str, bool)] = &[
    ("weighted", false),
    ("round_robin", true),
    ("least_loaded", true),
];
/// Named formats for `require ... format NAME`.
pub(crate) const FORMATS: &[&str] = &["email", "phone", "url", "domain"];

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

    // ------------------------------------------------------------ schema

    fn build_schema(&mut self) {
        let Some(schema) = self.p.schema_decl.clone() else {
            return;
        };
        let rec = self.record_ty(&schema.fields);
        self.p.schema = Arc::new(rec);
        for pii in &schema.pii {
            for path in &pii.paths {
                self.field_path(path);
            }
            for r in &pii.visible_to {
                self.reference(Kind::Role, r);
            }
        }
        for ph in &schema.placeholders {
            for path in &ph.paths {
                if let Some(t) = self.field_path(path) {
                    if !t.is_stringy() && !matches!(&t, Ty::List(e) if e.is_stringy()) {
                        self.push(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                path.span,
                                format!("placeholders are text, but `{}` is a {t}", path.dotted()),
                            )
                            .label("not a text field")
                            .help("list only string, email or enum fields after `in`"),
                        );
                    }
                }
            }
        }
    }

    fn record_ty(&mut self, fields: &[FieldDecl]) -> RecordTy {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut out = Vec::new();
        for f in fields {
            if let Some(first) = seen.get(f.name.name.as_str()) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateField,
                        f.name.span,
                        format!("field `{}` is declared twice in this record", f.name.name),
                    )
                    .label("second declaration")
                    .with_secondary(*first, "first declared here")
                    .help("remove one of them; a record has each field once"),
                );
                continue;
            }
            seen.insert(&f.name.name, f.name.span);
            out.push(FieldTy {
                name: f.name.name.clone(),
                ty: self.ty(&f.ty),
                optional: f.ty.optional,
                span: f.name.span,
            });
        }
        RecordTy { fields: out }
    }

    fn ty(&mut self, t: &TypeExpr) -> Ty {
        match &t.kind {
            TypeKind::String => Ty::String,
            TypeKind::Int => Ty::Int,
            TypeKind::Number => Ty::Number,
            TypeKind::Bool => Ty::Bool,
            TypeKind::Timestamp => Ty::Timestamp,
            TypeKind::Duration => Ty::Duration,
            TypeKind::Email => Ty::Email,
            TypeKind::Enum(vals) => {
                let mut seen: Vec<&str> = Vec::new();
                for v in vals {
                    if seen.contains(&v.value.as_str()) {
                        self.push(
                            Diagnostic::new(
                                Code::DuplicateField,
                                v.span,
                                format!("the value \"{}\" is listed twice", v.value),
                            )
                            .label("repeated")
                            .help("list each enum value once"),
                        );
                    }
                    seen.push(&v.value);
                }
                Ty::Enum(
                    vals.iter()
                        .map(|v| smol_str::SmolStr::new(&v.value))
                        .collect::<Vec<_>>()
                        .into(),
                )
            }
            TypeKind::List(inner) => Ty::List(Box::new(self.ty(inner))),
            TypeKind::Record(fields) => Ty::Record(Arc::new(self.record_ty(fields))),
        }
    }

    /// Resolves a field path (no signals, no lambda variables).
    pub(crate) fn field_path(&mut self, path: &Path) -> Option<Ty> {
        match self.p.resolve_field(path) {
            Ok(f) => f.last().map(|f| f.ty.clone()),
            Err(i) => {
                let schema = self.p.schema.clone();
                let mut rec: &RecordTy = &schema;
                for seg in &path.segments[..i.min(path.segments.len())] {
                    match rec.field(&seg.name).map(|(_, f)| &f.ty) {
                        Some(Ty::Record(r)) => rec = r,
                        _ => break,
                    }
                }
                let mut names: Vec<String> = rec.names().map(String::from).collect();
                names.sort();
                let saved = path.segments.len();
                // a single segment that is not a field is still a field error here
                if saved == 1 {
                    let p2 = path.clone();
                    self.unknown_field_path(&p2, i, &names);
                } else {
                    self.unknown_field(path, i, &names);
                }
                None
            }
        }
    }

    fn unknown_field_path(&mut self, path: &Path, i: usize, names: &[String]) {
        let before = self.diags.len();
        self.unknown_field(path, i, names);
        if let Some(d) = self.diags.get_mut(before) {
            d.code = Code::UnknownField;
            d.message = format!("unknown field `{}`", path.dotted());
        }
    }

    /// A field path that must have type `want` (by a predicate).
    fn typed_field(
        &mut self,
        path: &Path,
        ok: impl Fn(&Ty) -> bool,
        code: Code,
        need: &str,
        help: &str,
    ) -> Option<Ty> {
        let t = self.field_path(path)?;
        if !ok(&t) {
            self.push(
                Diagnostic::new(
                    code,
                    path.span,
                    format!("`{}` is a {t}, but {need} is needed here", path.dotted()),
                )
                .label(format!("a {t}"))
                .help(help.to_string()),
            );
        }
        Some(t)
    }

    fn timestamp_field(&mut self, path: &Path, what: &str) {
        self.typed_field(
            path,
            |t| *t == Ty::Timestamp,
            Code::NotATimestamp,
            "a timestamp",
            &format!("{what} counts from a moment: name a timestamp field such as `lifecycle.handed_off_at`"),
        );
    }

    // ------------------------------------------------------------ stages, teams, calendars

    fn check_stages(&mut self) {
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

    fn check_team(&mut self, t: &Team) {
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

    fn check_calendar(&mut self, c: &Calendar) {
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
                    let candidates = jiff::tz::db()
                        .available()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>();
                    match crate::diag::did_you_mean(&tz.value, candidates.iter().map(String::as_str)) {
                        Some(s) => d = d.help(format!("did you mean \"{s}\"?")).suggest(tz.span, format!("\"{s}\"")),
                        None => d = d.help("use a name from the IANA database such as \"Europe/Berlin\" or \"America/New_York\""),
                    }
                    self.push(d);
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
                    self.push(
                        Diagnostic::new(Code::InvalidHours, span, "opening hours must end after they start")
                            .label("empty or reversed range")
                            .help("write the earlier time first, e.g. `09:00-17:30`; a range cannot cross midnight"),
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

    // ------------------------------------------------------------ scores

    fn check_score(&mut self, s: &Score) {
        let mut scope = Scope::default();
        for t in &s.terms {
            if t.per {
                let ty = self.type_of(&t.expr, &mut scope);
                if !ty.is_numeric() {
                    self.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            t.expr.span,
                            format!("`points ... per` needs a number, but this is a {ty}"),
                        )
                        .label(format!("a {ty}"))
                        .help(
                            "use `per` with a count or a number field, and `when` with a condition",
                        ),
                    );
                }
            } else {
                self.condition(&t.expr, &mut scope, "`points ... when`");
            }
        }
        if let Some(cap) = s.cap.first() {
            if cap.value <= 0.0 {
                self.push(
                    Diagnostic::new(
                        Code::NonPositive,
                        cap.span,
                        "a score cap must be above zero",
                    )
                    .label("no score could reach it")
                    .help("set the cap to the highest score that should count, e.g. `cap 100`"),
                );
            }
        }
        if let Some(second) = s.cap.get(1) {
            self.duplicate_entry(second.span, "cap");
        }
        if let Some(second) = s.decay.get(1) {
            self.duplicate_entry(second.span, "decay");
        }
        if let Some(d) = s.decay.first() {
            if d.half_life.seconds <= 0 {
                self.push(
                    Diagnostic::new(
                        Code::DelayNotPositive,
                        d.half_life.span,
                        "a half-life must be longer than zero",
                    )
                    .label("zero")
                    .help("give the time after which the score counts half, e.g. `half_life 30d`"),
                );
            }
            self.timestamp_field(&d.since, "decay");
        }
        self.record_deps(&s.name.name, scope);
    }

    // ------------------------------------------------------------ handoffs

    fn check_handoff(&mut self, h: &Handoff) {
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

    fn check_playbook(&mut self, pb: &Playbook) {
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

    fn check_metric(&mut self, m: &Metric) {
        let mut scope = Scope::default();
        let value_ty = match &m.body {
            MetricBody::Value(e) => {
                let t = self.type_of(e, &mut scope);
                if !matches!(t, Ty::Duration | Ty::Int | Ty::Number | Ty::Unknown) {
                    self.push(
                        Diagnostic::new(Code::MetricType, e.span, format!("a metric measures a duration or a number, but this is a {t}"))
                            .label(format!("a {t}"))
                            .help("subtract two timestamps for a duration, e.g. `lifecycle.first_contact_at - lifecycle.handed_off_at`, or use `share of <condition>`"),
                    );
                    Ty::Unknown
                } else {
                    t
                }
            }
            MetricBody::Share { of, among } => {
                self.condition(of, &mut scope, "`share of`");
                if let Some(a) = among {
                    self.condition(a, &mut scope, "`among`");
                }
                Ty::Number
            }
        };
        if let Some(target) = &m.target {
            let tt = self.type_of(&target.value, &mut scope);
            let fits = match (&value_ty, &tt) {
                (Ty::Unknown, _) | (_, Ty::Unknown) => true,
                (Ty::Duration, Ty::Duration) => true,
                (a, b) if a.is_numeric() && b.is_numeric() => true,
                _ => false,
            };
            if !fits {
                let mut d = Diagnostic::new(
                    Code::MetricType,
                    target.value.span,
                    format!("the target is a {tt}, but the metric is a {value_ty}"),
                )
                .label(format!("a {tt}"));
                if value_ty == Ty::Duration {
                    if let ExprKind::Number(v) = target.value.kind {
                        d = d.suggest(target.value.span, format!("{}h", v as i64));
                    }
                    d = d.help("give the target a unit, e.g. `target <= 4h`");
                } else {
                    d = d.help("give a number or a percentage, e.g. `target >= 40%`");
                }
                self.push(d);
            }
        }
    }
}
