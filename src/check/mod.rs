//! The checker: every mistake found before a single lead is evaluated.
//!
//! [`check`] merges the declarations of all loaded modules into one
//! [`Program`], resolves every name and field path, types every expression
//! against the lead schema, and runs the lints (unreachable routes, rules
//! that can never be true, cycles). It never stops at the first problem:
//! each pass pushes what it finds and goes on.

mod decls;
mod expr;
mod lints;
mod zones;

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::*;
use crate::diag::{self, Code, Diagnostic};
use crate::span::{FileId, Span};
use crate::types::{FieldTy, RecordTy, Ty};

/// The merged, checked declarations of one policy. The compiler lowers it
/// to IR; names here resolve through the `*_index` maps.
#[derive(Debug, Default)]
pub struct Program {
    pub header: Option<PolicyHeader>,
    pub schema: Arc<RecordTy>,
    pub schema_decl: Option<Schema>,
    pub roles: Vec<Ident>,
    pub stages: Vec<Ident>,
    pub stage_field: Option<Path>,
    pub teams: Vec<Team>,
    pub queues: Vec<Queue>,
    pub calendars: Vec<Calendar>,
    pub signals: Vec<Signal>,
    pub scores: Vec<Score>,
    pub handoffs: Vec<Handoff>,
    pub playbooks: Vec<Playbook>,
    pub metrics: Vec<Metric>,
}

impl Program {
    pub fn signal_index(&self, name: &str) -> Option<usize> {
        self.signals.iter().position(|s| s.name.name == name)
    }
    pub fn score_index(&self, name: &str) -> Option<usize> {
        self.scores.iter().position(|s| s.name.name == name)
    }
    pub fn team_index(&self, name: &str) -> Option<usize> {
        self.teams.iter().position(|s| s.name.name == name)
    }
    pub fn calendar_index(&self, name: &str) -> Option<usize> {
        self.calendars.iter().position(|s| s.name.name == name)
    }
    pub fn playbook_index(&self, name: &str) -> Option<usize> {
        self.playbooks.iter().position(|s| s.name.name == name)
    }

    /// Resolves a dotted path against the lead schema: the field types
    /// along the way, or the index of the first segment that does not exist.
    pub fn resolve_field(&self, path: &Path) -> Result<Vec<FieldTy>, usize> {
        resolve_in(&self.schema, &path.segments)
    }
}

/// Walks `segments` through nested records.
pub(crate) fn resolve_in(root: &RecordTy, segments: &[Ident]) -> Result<Vec<FieldTy>, usize> {
    let mut out = Vec::with_capacity(segments.len());
    let mut rec = root;
    for (i, seg) in segments.iter().enumerate() {
        let Some((_, f)) = rec.field(&seg.name) else {
            return Err(i);
        };
        out.push(f.clone());
        if i + 1 < segments.len() {
            match &f.ty {
                Ty::Record(r) => rec = r,
                _ => return Err(i + 1),
            }
        }
    }
    Ok(out)
}

/// What the checker found: the program (usable when there are no errors)
/// and every diagnostic, sorted by position.
pub struct CheckResult {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks a policy made of `modules` (the root module first).
pub fn check(modules: Vec<Module>) -> CheckResult {
    let mut cx = Checker {
        p: Program::default(),
        diags: Vec::new(),
        used: HashMap::new(),
        defined_at: HashMap::new(),
        deps: HashMap::new(),
        names_cache: HashMap::new(),
        top_cache: None,
        suggestion_budget: 2_000_000,
    };
    let root = modules.first().map(|m| m.file);
    cx.collect(modules);
    cx.check_all();
    lints::run(&mut cx);
    cx.report_unused();
    // reported once nothing else is wrong: a policy being written, or a
    // shared file checked alone, has more pressing errors first
    if let Some(root) = root.filter(|_| cx.p.handoffs.is_empty()) {
        if !cx.diags.iter().any(Diagnostic::is_error) {
            cx.push(missing_handoff(root));
        }
    }
    diag::sort(&mut cx.diags);
    CheckResult {
        program: cx.p,
        diagnostics: cx.diags,
    }
}

/// Kinds of named things, for messages and the unused lint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Role,
    Stage,
    Team,
    Queue,
    Calendar,
    Signal,
    Score,
    Playbook,
    Metric,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::Stage => "stage",
            Kind::Team => "team",
            Kind::Queue => "queue",
            Kind::Calendar => "calendar",
            Kind::Signal => "signal",
            Kind::Score => "score",
            Kind::Playbook => "playbook",
            Kind::Metric => "metric",
        }
    }

    fn unknown_code(self) -> Code {
        match self {
            Kind::Role => Code::UnknownRole,
            Kind::Stage => Code::UnknownStage,
            Kind::Team => Code::UnknownTeam,
            Kind::Queue => Code::UnknownQueue,
            Kind::Calendar => Code::UnknownCalendar,
            Kind::Playbook => Code::UnknownPlaybook,
            Kind::Signal | Kind::Score | Kind::Metric => Code::UnknownName,
        }
    }
}

pub(crate) struct Checker {
    pub(crate) p: Program,
    pub(crate) diags: Vec<Diagnostic>,
    /// Names referenced somewhere, for the unused lint.
    used: HashMap<(Kind, String), ()>,
    /// Where each name is defined.
    defined_at: HashMap<(Kind, String), Span>,
    /// Signals and scores each signal or score uses by name.
    pub(crate) deps: HashMap<String, Vec<(String, Span)>>,
    names_cache: HashMap<Kind, Arc<Vec<String>>>,
    top_cache: Option<Arc<Vec<String>>>,
    /// Name comparisons left for "did you mean" suggestions.
    suggestion_budget: usize,
}

impl Checker {
    pub(crate) fn push(&mut self, mut d: Diagnostic) {
        // messages say "a {type}"; types starting with a vowel need "an"
        fix_articles(&mut d.message);
        fix_articles(&mut d.primary.message);
        for l in &mut d.secondary {
            fix_articles(&mut l.message);
        }
        if let Some(h) = &mut d.help {
            fix_articles(h);
        }
        self.diags.push(d);
    }

    /// Records a definition; a second one with the same name is an error
    /// pointing at both.
    fn define(&mut self, kind: Kind, name: &Ident) -> bool {
        let key = (kind, name.name.clone());
        if let Some(first) = self.defined_at.get(&key) {
            let first = *first;
            let d = duplicate(
                first,
                name.span,
                format!("{} `{}` is defined twice", kind.word(), name.name),
                format!(
                    "rename one of them or remove the duplicate; each {} name must be unique",
                    kind.word()
                ),
            );
            self.push(d);
            return false;
        }
        self.defined_at.insert(key, name.span);
        true
    }

    pub(crate) fn is_defined(&self, kind: Kind, name: &str) -> bool {
        self.defined_at.contains_key(&(kind, name.to_string()))
    }

    /// Resolves a reference to a name of `kind`, marking it used, or
    /// reports it as unknown with a suggestion.
    pub(crate) fn reference(&mut self, kind: Kind, name: &Ident) -> bool {
        let key = (kind, name.name.clone());
        if self.defined_at.contains_key(&key) {
            self.used.insert(key, ());
            return true;
        }
        let candidates = self.names_of(kind);
        let mut d = Diagnostic::new(
            kind.unknown_code(),
            name.span,
            format!("unknown {} `{}`", kind.word(), name.name),
        )
        .label(format!("no {} has this name", kind.word()));
        // a queue named where a team is expected, a team for a role, ...
        let other = [
            Kind::Team,
            Kind::Queue,
            Kind::Role,
            Kind::Stage,
            Kind::Signal,
        ]
        .into_iter()
        .find(|k| *k != kind && self.is_defined(*k, &name.name));
        if let Some(other) = other {
            self.used.insert((other, name.name.clone()), ());
            d.message = format!(
                "`{}` is a {}, not a {}",
                name.name,
                other.word(),
                kind.word()
            );
            let help = match (kind, other) {
                (Kind::Team, Kind::Queue) => format!("write `queue {}`", name.name),
                (Kind::Queue, Kind::Team) => format!("write `team {}`", name.name),
                (Kind::Role, Kind::Team) => match self.p.teams.iter().find(|t| t.name.name == name.name) {
                    Some(t) => format!(
                        "write the role `{}`: team `{}` is made of {}s; teams are chosen in `route`",
                        t.role.name, name.name, t.role.name
                    ),
                    None => format!("name a role here; `{}` is a team", name.name),
                },
                _ => format!(
                    "name a {} here; `{}` is declared as a {}",
                    kind.word(),
                    name.name,
                    other.word()
                ),
            };
            self.push(d.help(help));
            return false;
        }
        match self.suggest(&name.name, &candidates) {
            diag::Near::One(s) => {
                // the author meant it: it is not also unused
                self.used.insert((kind, s.clone()), ());
                d.message = format!("{}; did you mean `{s}`?", d.message);
                d = d
                    .help(format!("replace it with `{s}`"))
                    .suggest(name.span, s);
            }
            diag::Near::Several(close) => {
                for c in &close {
                    self.used.insert((kind, c.clone()), ());
                }
                d = d.help(choose_among(&close, kind.word()));
            }
            diag::Near::None if candidates.is_empty() => {
                d = d.help(format!(
                    "declare it first, e.g. `{}`",
                    declare_example(kind, &name.name)
                ));
            }
            diag::Near::None => {
                let c: Vec<String> = candidates.iter().take(8).cloned().collect();
                d = d.help(format!(
                    "the {}s declared are: {}",
                    kind.word(),
                    c.join(", ")
                ));
            }
        }
        self.push(d);
        false
    }

    /// A close name among `candidates`, within a budget: a policy with
    /// thousands of unknown names gets suggestions for the first ones and
    /// stays linear in time for the rest.
    pub(crate) fn suggest(&mut self, name: &str, candidates: &[String]) -> diag::Near {
        if self.suggestion_budget < candidates.len() {
            return diag::Near::None;
        }
        self.suggestion_budget -= candidates.len();
        diag::near_names(name, candidates.iter().map(String::as_str))
    }

    /// The names defined of one kind, computed once (definitions are all
    /// collected before any reference is checked), so that a policy with
    /// thousands of unknown names stays linear.
    pub(crate) fn names_of(&mut self, kind: Kind) -> Arc<Vec<String>> {
        if let Some(names) = self.names_cache.get(&kind) {
            return names.clone();
        }
        let mut names: Vec<String> = self
            .defined_at
            .keys()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.clone())
            .collect();
        names.sort();
        let names = Arc::new(names);
        self.names_cache.insert(kind, names.clone());
        names
    }

    /// Top-level names a bare word may mean: lead fields, signals, scores.
    pub(crate) fn top_names(&mut self) -> Arc<Vec<String>> {
        if let Some(n) = &self.top_cache {
            return n.clone();
        }
        let mut names: Vec<String> = self.p.schema.names().map(String::from).collect();
        names.extend(self.p.signals.iter().map(|s| s.name.name.clone()));
        names.extend(self.p.scores.iter().map(|s| s.name.name.clone()));
        names.sort();
        let names = Arc::new(names);
        self.top_cache = Some(names.clone());
        names
    }

    pub(crate) fn mark_used(&mut self, kind: Kind, name: &str) {
        self.used.insert((kind, name.to_string()), ());
    }

    /// Merges all modules' declarations into the program.
    fn collect(&mut self, modules: Vec<Module>) {
        let mut header_span: Option<Span> = None;
        let mut schema_span: Option<Span> = None;
        let mut handoff_heads: HashMap<(String, String), Span> = HashMap::new();
        let root = modules.first().map(|m| m.file).unwrap_or_default();
        let no_modules = modules.is_empty();
        // the items move into the program: the syntax tree is not kept twice
        for m in modules {
            for item in m.items {
                match item.kind {
                    ItemKind::Import(_) => {}
                    ItemKind::Policy(h) => {
                        if let Some(first) = header_span {
                            self.push(
                                Diagnostic::new(Code::Duplicate, h.name.span, "the policy header is declared twice")
                                    .label("second header")
                                    .with_secondary(first, "first header")
                                    .help("keep one `policy` header, in the root file; imported files hold only shared declarations"),
                            );
                        } else {
                            header_span = Some(h.name.span);
                            self.p.header = Some(h);
                        }
                    }
                    ItemKind::Lead(s) => {
                        if let Some(first) = schema_span {
                            self.push(
                                Diagnostic::new(Code::Duplicate, Span { end: s.span.start + 4, ..s.span }, "the lead schema is declared twice")
                                    .label("second schema")
                                    .with_secondary(first, "first schema")
                                    .help("keep one `lead { }` block; put it in a shared file and import it"),
                            );
                        } else {
                            schema_span = Some(Span {
                                end: s.span.start + 4,
                                ..s.span
                            });
                            self.p.schema_decl = Some(s);
                        }
                    }
                    ItemKind::Roles(rs) => {
                        for r in rs {
                            if self.define(Kind::Role, &r) {
                                self.p.roles.push(r);
                            }
                        }
                    }
                    ItemKind::Stages(st) => {
                        for s in st.names {
                            if self.define(Kind::Stage, &s) {
                                self.p.stages.push(s);
                            }
                        }
                        if let Some(t) = st.tracked_by {
                            if self.p.stage_field.is_some() {
                                self.push(
                                    Diagnostic::new(
                                        Code::DuplicateEntry,
                                        t.span,
                                        "the stage field is named twice",
                                    )
                                    .label("second `tracked by`")
                                    .help("name the field that holds a lead's stage once"),
                                );
                            } else {
                                self.p.stage_field = Some(t);
                            }
                        }
                    }
                    ItemKind::Team(t) => {
                        if self.define(Kind::Team, &t.name) {
                            self.p.teams.push(t);
                        }
                    }
                    ItemKind::Queue(q) => {
                        if self.define(Kind::Queue, &q.name) {
                            self.p.queues.push(q);
                        }
                    }
                    ItemKind::Calendar(c) => {
                        if self.define(Kind::Calendar, &c.name) {
                            self.p.calendars.push(c);
                        }
                    }
                    ItemKind::Signal(mut s) => {
                        if self.clashes(&s.name) && self.define(Kind::Signal, &s.name) {
                            if s.description.is_none() {
                                if let Some(doc) = &item.doc {
                                    s.description = Some(StrLit {
                                        value: doc.clone(),
                                        span: s.name.span,
                                    });
                                }
                            }
                            self.p.signals.push(s);
                        }
                    }
                    ItemKind::Score(s) => {
                        if self.clashes(&s.name) && self.define(Kind::Score, &s.name) {
                            self.p.scores.push(s);
                        }
                    }
                    ItemKind::Handoff(h) => {
                        let key = (h.from.name.clone(), h.to.name.clone());
                        if let Some(first) = handoff_heads.get(&key) {
                            self.push(
                                Diagnostic::new(
                                    Code::Duplicate,
                                    h.head_span,
                                    format!(
                                        "the handoff `{} -> {}` is defined twice",
                                        key.0, key.1
                                    ),
                                )
                                .label("second definition")
                                .with_secondary(*first, "first defined here")
                                .help("merge the two blocks into one"),
                            );
                        } else {
                            handoff_heads.insert(key, h.head_span);
                            self.p.handoffs.push(*h);
                        }
                    }
                    ItemKind::Playbook(pb) => {
                        if self.define(Kind::Playbook, &pb.name) {
                            self.p.playbooks.push(pb);
                        }
                    }
                    ItemKind::Metric(m) => {
                        if self.define(Kind::Metric, &m.name) {
                            self.p.metrics.push(m);
                        }
                    }
                }
            }
        }
        if self.p.header.is_none() && !no_modules {
            self.push(
                Diagnostic::new(
                    Code::MissingHeader,
                    Span::new(root, 0, 0),
                    "the policy has no `policy` header",
                )
                .label("expected `policy \"Name\" { ... }` in this file")
                .help(
                    "add `policy \"Name\" { version \"1\" owner \"team@example.com\" }` at the top",
                ),
            );
        }
        if self.p.schema_decl.is_none() && !no_modules {
            self.push(
                Diagnostic::new(Code::MissingSchema, Span::new(root, 0, 0), "the policy has no `lead { }` schema")
                    .label("expected a `lead` block in this file or an imported one")
                    .help("declare the fields of a lead record, e.g. `lead { id: string  company { employees: int? } }`"),
            );
        }
    }

    /// Signals and scores share one namespace with each other.
    fn clashes(&mut self, name: &Ident) -> bool {
        for kind in [Kind::Signal, Kind::Score] {
            if let Some(first) = self.defined_at.get(&(kind, name.name.clone())) {
                let first = *first;
                self.push(duplicate(
                    first,
                    name.span,
                    format!("`{}` is already defined as a {}", name.name, kind.word()),
                    "signals and scores share one set of names; rename one of them".to_string(),
                ));
                return false;
            }
        }
        true
    }

    fn report_unused(&mut self) {
        let mut unused: Vec<(Kind, String, Span)> = self
            .defined_at
            .iter()
            .filter(|(k, _)| !self.used.contains_key(k) && k.0 != Kind::Metric)
            .map(|((k, n), s)| (*k, n.clone(), *s))
            .collect();
        unused.sort_by_key(|u| u.2);
        for (kind, name, span) in unused {
            self.push(
                Diagnostic::new(
                    Code::Unused,
                    span,
                    format!("{} `{}` is never used", kind.word(), name),
                )
                .label("defined here, referenced nowhere")
                .help(format!(
                    "use it, or remove it so readers do not wonder what this {} does",
                    kind.word()
                )),
            );
        }
    }
}

/// "a int" -> "an int", for the type names that start with a vowel.
fn fix_articles(s: &mut String) {
    const FIXES: [(&str, &str); 8] = [
        ("a int", "an int"),
        ("A int", "An int"),
        ("a email", "an email"),
        ("A email", "An email"),
        ("a enum(", "an enum("),
        ("A enum(", "An enum("),
        ("a unknown", "an unknown"),
        ("A unknown", "An unknown"),
    ];
    // most messages name no such type: look before building anything
    if !["int", "email", "enum(", "unknown"]
        .iter()
        .any(|ty| s.contains(ty))
    {
        return;
    }
    for (wrong, right) in FIXES {
        if s.starts_with(wrong) {
            s.replace_range(..wrong.len(), right);
        }
        let mut from = 0;
        while let Some(i) = s[from..].find(wrong).map(|i| i + from) {
            if i > 0 && s.as_bytes()[i - 1] == b' ' {
                s.replace_range(i..i + wrong.len(), right);
                from = i + right.len();
            } else {
                from = i + wrong.len();
            }
        }
    }
}

fn declare_example(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Role => format!("roles {name}"),
        Kind::Stage => format!("stages {name}"),
        Kind::Team => format!("team {name} of <role>"),
        Kind::Queue => format!("queue {name}"),
        Kind::Calendar => {
            format!("calendar {name} {{ timezone \"Europe/Berlin\" mon-fri 09:00-17:00 }}")
        }
        Kind::Playbook => format!("playbook {name} {{ ... }}"),
        Kind::Signal => format!("signal {name} = <condition>"),
        Kind::Score => format!("score {name} {{ ... }}"),
        Kind::Metric => format!("metric {name} = <expression>"),
    }
}

/// H119: the policy declares no handoff.
fn missing_handoff(root: FileId) -> Diagnostic {
    Diagnostic::new(
        Code::MissingHandoff,
        Span::new(root, 0, 0),
        "the policy declares no handoff, so every lead would be on hold",
    )
    .label("expected a `handoff FROM -> TO { ... }` in this file or an imported one")
    .help("add one, e.g. `handoff mql -> sal { initiated_by marketing  validated_by sdr  owned_by sdr  ready when engaged  route { otherwise -> queue inbox } }`")
}

/// The help for a name close to several others, or to one that may mean
/// something else: list them and let the author choose.
pub(crate) fn choose_among(close: &[String], what: &str) -> String {
    let listed: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
    match listed.as_slice() {
        [one] => format!(
            "the closest {what} is {one}, but it may mean something else: write it only if you meant it"
        ),
        _ => format!(
            "close {what}s: {}; each means something different, so choose the one you meant",
            listed.join(", ")
        ),
    }
}

/// A name defined twice. In one file, the error is at the second
/// definition. When one of them comes from an imported file, the error is
/// at the definition in the importing file (loaded first, so its file id
/// is the lower), which its author is editing, and the imported file is
/// left alone.
fn duplicate(first: Span, second: Span, message: String, help: String) -> Diagnostic {
    if first.file == second.file {
        return Diagnostic::new(Code::Duplicate, second, message)
            .label("second definition")
            .with_secondary(first, "first defined here")
            .help(help);
    }
    let (here, there) = if first.file < second.file {
        (first, second)
    } else {
        (second, first)
    };
    Diagnostic::new(
        Code::Duplicate,
        here,
        format!("{message}: once here and once in an imported file"),
    )
    .label("defined again here")
    .with_secondary(there, "the imported definition")
    .help(format!(
        "{help}; to use the imported definition, remove this one"
    ))
}
