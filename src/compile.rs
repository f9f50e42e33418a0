//! Compilation: checked program -> IR.
//!
//! Every field path is given a slot once, here; the projection (the tree of
//! JSON keys the evaluator reads) is built from the same walk. Constants are
//! folded, regular expressions compiled, calendars resolved to time zones.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::ast::{self, BinOp, Expr, ExprKind, UnOp};
use crate::check::Program;
use crate::decision::{HandoffRef, OverrideRule, PText, PolicyRef, Target};
use crate::ir::*;
use crate::span::{SourceMap, Span};
use crate::types::Ty;
use crate::value::Val;

/// One slot space: the lead itself, or the elements of one list.
#[derive(Default)]
struct Frame {
    projection: Projection,
    slots: Vec<SlotInfo>,
    by_path: HashMap<String, u32>,
    /// list slot -> frame of its elements
    elems: HashMap<u32, usize>,
}

struct Compiler<'a> {
    p: &'a Program,
    sources: &'a SourceMap,
    frames: Vec<Frame>,
    /// lambda variables in scope: name, frame of the element, element type
    /// lambda variables in scope: name, element frame, element type, list path
    vars: Vec<(String, usize, Ty, String)>,
    placeholders_all: Arc<HashSet<String>>,
    placeholders_by_path: HashMap<String, Arc<HashSet<String>>>,
    pii: HashMap<String, Vec<String>>,
}

/// Compiles a program that checked without errors. `sources` provides the
/// text for origins and the content hash.
pub fn compile(p: &Program, sources: &SourceMap) -> (Policy, ElemFrames) {
    let mut placeholders_all = HashSet::new();
    let mut placeholders_by_path: HashMap<String, HashSet<String>> = HashMap::new();
    let mut pii = HashMap::new();
    if let Some(s) = &p.schema_decl {
        for ph in &s.placeholders {
            let vals: Vec<String> = ph
                .values
                .iter()
                .map(|v| v.value.trim().to_lowercase())
                .collect();
            if ph.paths.is_empty() {
                placeholders_all.extend(vals);
            } else {
                for path in &ph.paths {
                    placeholders_by_path
                        .entry(path.dotted())
                        .or_default()
                        .extend(vals.iter().cloned());
                }
            }
        }
        for d in &s.pii {
            for path in &d.paths {
                pii.insert(
                    path.dotted(),
                    d.visible_to.iter().map(|r| r.name.clone()).collect(),
                );
            }
        }
    }
    // a field's own placeholders add to the ones for every field
    for v in placeholders_by_path.values_mut() {
        v.extend(placeholders_all.iter().cloned());
    }
    let mut c = Compiler {
        p,
        sources,
        frames: vec![Frame::default()],
        vars: Vec::new(),
        placeholders_all: Arc::new(placeholders_all),
        placeholders_by_path: placeholders_by_path
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect(),
        pii,
    };
    let header = p.header.as_ref();
    let applies_to = header.and_then(|h| h.applies_to.first()).map(|e| c.expr(e));
    let signals = p
        .signals
        .iter()
        .map(|s| {
            let expr = c.expr(&s.expr);
            let mut reads = Vec::new();
            collect_slots(&expr, &mut reads);
            SignalIr {
                name: PText::new(&s.name.name),
                description: s.description.as_ref().map(|d| d.value.clone()),
                expr,
                reads,
                origin: c.origin(s.name.span),
            }
        })
        .collect();
    let scores = p.scores.iter().map(|s| c.score(s)).collect();
    let stage_slot = p.stage_field.as_ref().map(|f| c.field_slot(f));
    let handoffs: Vec<HandoffIr> = p.handoffs.iter().map(|h| c.handoff(h)).collect();
    let teams = p.teams.iter().map(team).collect();
    let queues = p
        .queues
        .iter()
        .map(|q| Target {
            kind: "queue",
            name: PText::new(&q.name.name),
        })
        .collect();
    let calendars = p.calendars.iter().map(calendar).collect();
    let playbooks = p
        .playbooks
        .iter()
        .map(|pb| PlaybookIr {
            name: PText::new(&pb.name.name),
            persona: pb.persona.first().map(|s| PText::new(&s.value)),
            segment: pb.segment.first().map(|s| s.value.clone()),
            touches: pb
                .touches
                .iter()
                .map(|t| {
                    let after = t
                        .after
                        .map(|a| PText::new(crate::value::format_duration(a.seconds as f64)));
                    (
                        PText::new(&t.channel.name),
                        PText::new(&t.template.value),
                        after,
                    )
                })
                .collect(),
            collect: pb.collect.iter().map(|c| PText::new(c.dotted())).collect(),
            outcome: pb.outcome.first().map(|s| PText::new(&s.value)),
        })
        .collect();
    let metrics = p.metrics.iter().map(|m| c.metric(m)).collect();

    let mut hasher = Sha256::new();
    for (_, f) in sources.files() {
        hasher.update(f.text.as_bytes());
        hasher.update([0u8]);
    }
    let hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();

    let mut frames: Vec<Frame> = std::mem::take(&mut c.frames);
    let root = frames.remove(0);
    let elem_frames = ElemFrames {
        frames: std::iter::once((Projection::default(), Vec::new(), ElemMap::default()))
            .chain(
                frames
                    .into_iter()
                    .map(|f| (f.projection, f.slots, f.elems.into())),
            )
            .collect(),
    };
    let no_handoff_from = match stage_slot.map(|s| &root.slots[s as usize].ty) {
        Some(crate::types::Ty::Enum(values)) => values
            .iter()
            .filter(|v| !handoffs.iter().any(|h: &HandoffIr| *h.head.from == ***v))
            .map(|v| {
                (
                    v.to_string(),
                    PText::new(crate::decision::no_handoff_leaves(v)),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    let stage_missing = match &p.stage_field {
        Some(f) => format!("the stage field `{}` is missing", f.dotted()),
        None => String::new(),
    };
    let policy = Policy {
        info: PolicyRef::new(
            PText::new(header.map(|h| h.name.value.clone()).unwrap_or_default()),
            header
                .and_then(|h| h.version.first())
                .map(|v| PText::new(&v.value)),
            PText::new(hash),
        ),
        owner: header
            .and_then(|h| h.owner.first())
            .map(|v| v.value.clone()),
        texts: FixedTexts {
            out_of_scope_false: PText::new("outside the policy's scope (`applies_to` is false)"),
            out_of_scope_missing: PText::new(
                "outside the policy's scope (`applies_to` is missing)",
            ),
            at_capacity: PText::new("every member of the routed team is at capacity"),
            no_consented_channel: PText::new("blocked: no channel of the playbook has consent"),
            stage_missing: PText::new(stage_missing),
            no_handoff: PText::new("the policy declares no handoff"),
            no_handoff_from,
        },
        projection: root.projection,
        slots: root.slots,
        applies_to,
        signals,
        scores,
        stage_slot,
        handoffs,
        teams,
        queues,
        calendars,
        playbooks,
        metrics,
    };
    // the root frame's element map is carried in frame 0 of ElemFrames
    let mut elem_frames = elem_frames;
    elem_frames.frames[0].2 = root.elems.into();
    (policy, elem_frames)
}

impl Compiler<'_> {
    fn origin(&self, span: Span) -> Origin {
        let f = self.sources.get(span.file);
        let lc = f.line_col(span.start);
        // the construct's own text, on one line: a rule of a one-line
        // route block names that rule, not the whole line
        let raw = f.slice(span);
        let mut text: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > 120 {
            text = text.chars().take(117).collect::<String>() + "...";
        }
        Origin {
            line: lc.line,
            text: PText::new(text),
        }
    }

    /// The slot of a field path in frame `frame` (allocating it), where
    /// `segments` are relative to that frame and `types` are their types.
    fn slot_in(&mut self, frame: usize, segments: &[String], ty: Ty, full_path: &str) -> u32 {
        let key = segments.join(".");
        if let Some(&s) = self.frames[frame].by_path.get(&key) {
            return s;
        }
        let slot = self.frames[frame].slots.len() as u32;
        let placeholders = self
            .placeholders_by_path
            .get(full_path)
            .cloned()
            .unwrap_or_else(|| {
                if ty.is_stringy() {
                    self.placeholders_all.clone()
                } else {
                    Arc::new(HashSet::new())
                }
            });
        self.frames[frame].slots.push(SlotInfo {
            path: PText::new(full_path),
            ty,
            placeholder_lens: crate::ir::placeholder_lens(&placeholders),
            placeholders,
            pii_visible_to: self.pii.get(full_path).cloned(),
            keep_json: false,
        });
        self.frames[frame].by_path.insert(key, slot);
        insert_projection(&mut self.frames[frame].projection, segments, slot);
        slot
    }

    /// The slot of a lead field path.
    fn field_slot(&mut self, path: &ast::Path) -> u32 {
        let ty = self
            .p
            .resolve_field(path)
            .ok()
            .and_then(|f| f.last().map(|f| f.ty.clone()))
            .unwrap_or(Ty::Unknown);
        let segs: Vec<String> = path.segments.iter().map(|s| s.name.clone()).collect();
        self.slot_in(0, &segs, ty, &path.dotted())
    }

    /// The slot of a field that travels in the handoff packet: records and
    /// lists keep their JSON so the next owner sees them whole.
    fn packet_slot(&mut self, path: &ast::Path) -> u32 {
        let slot = self.field_slot(path);
        let dotted = path.dotted();
        // personal data anywhere in what travels: the field itself, a
        // record it is part of, or a field inside it
        let mut visible: Option<Vec<String>> = None;
        for (pii_path, roles) in &self.pii {
            if crate::ast::overlaps(pii_path, &dotted) {
                visible = Some(match visible {
                    None => roles.clone(),
                    Some(v) => v.into_iter().filter(|r| roles.contains(r)).collect(),
                });
            }
        }
        let info = &mut self.frames[0].slots[slot as usize];
        if matches!(info.ty, Ty::Record(_) | Ty::List(_)) {
            info.keep_json = true;
        }
        if visible.is_some() {
            info.pii_visible_to = visible;
        }
        slot
    }

    fn cond(&mut self, e: &Expr) -> Cond {
        let expr = self.expr(e);
        let parts = match &e.kind {
            ExprKind::All(items) => items
                .iter()
                .map(|i| (self.expr(i), self.origin(i.span)))
                .collect(),
            _ => Vec::new(),
        };
        Cond {
            expr,
            origin: self.origin(e.span),
            parts,
        }
    }

    fn expr(&mut self, e: &Expr) -> Ex {
        match &e.kind {
            ExprKind::Number(n) => Ex::Const(Val::Num(*n)),
            ExprKind::Str(s) => Ex::Const(Val::Str(s.as_str().into())),
            ExprKind::Bool(b) => Ex::Const(Val::Bool(*b)),
            ExprKind::Duration(d) => Ex::Const(Val::Dur(*d as f64)),
            ExprKind::Timestamp(t) => Ex::Const(Val::Ts(*t)),
            ExprKind::Now => Ex::Now,
            ExprKind::Path(p) => self.path(p),
            ExprKind::List(items) => {
                let items: Vec<Ex> = items.iter().map(|i| self.expr(i)).collect();
                if items.iter().all(|i| matches!(i, Ex::Const(_))) {
                    let vals: Vec<Val> = items
                        .into_iter()
                        .map(|i| match i {
                            Ex::Const(v) => v,
                            _ => unreachable!("checked all constant"),
                        })
                        .collect();
                    Ex::Const(Val::List(vals.into()))
                } else {
                    // `[n, 3]`: built for each lead
                    Ex::MakeList(items)
                }
            }
            ExprKind::Unary(UnOp::Not, x) => Ex::Not(Box::new(self.expr(x))),
            ExprKind::Unary(UnOp::Neg, x) => match self.expr(x) {
                Ex::Const(Val::Num(n)) => Ex::Const(Val::Num(-n)),
                Ex::Const(Val::Dur(n)) => Ex::Const(Val::Dur(-n)),
                other => Ex::Neg(Box::new(other)),
            },
            ExprKind::Binary(op, l, r) => {
                let (l, r) = (Box::new(self.expr(l)), Box::new(self.expr(r)));
                match op {
                    BinOp::And => Ex::And(l, r),
                    BinOp::Or => Ex::Or(l, r),
                    BinOp::Eq => Ex::Cmp(CmpOp::Eq, l, r),
                    BinOp::Ne => Ex::Cmp(CmpOp::Ne, l, r),
                    BinOp::Lt => Ex::Cmp(CmpOp::Lt, l, r),
                    BinOp::Le => Ex::Cmp(CmpOp::Le, l, r),
                    BinOp::Gt => Ex::Cmp(CmpOp::Gt, l, r),
                    BinOp::Ge => Ex::Cmp(CmpOp::Ge, l, r),
                    BinOp::In => Ex::In(false, l, r),
                    BinOp::NotIn => Ex::In(true, l, r),
                    BinOp::Add => fold(ArithOp::Add, l, r),
                    BinOp::Sub => fold(ArithOp::Sub, l, r),
                    BinOp::Mul => fold(ArithOp::Mul, l, r),
                    BinOp::Div => fold(ArithOp::Div, l, r),
                }
            }
            ExprKind::All(items) => Ex::AllOf(items.iter().map(|i| self.expr(i)).collect()),
            ExprKind::Any(items) => Ex::AnyOf(items.iter().map(|i| self.expr(i)).collect()),
            ExprKind::AtLeast(n, items) => {
                Ex::AtLeast(*n, items.iter().map(|i| self.expr(i)).collect())
            }
            ExprKind::Lambda(..) => Ex::Const(Val::Missing),
            ExprKind::Call(name, args) => self.call(&name.name, args),
        }
    }

    fn call(&mut self, name: &str, args: &[Expr]) -> Ex {
        match name {
            "present" => Ex::Present(Box::new(self.expr(&args[0]))),
            "count" | "any" | "all" => {
                let list = self.expr(&args[0]);
                let body = args.get(1).map(|lam| self.lambda(&list, lam));
                match (name, body) {
                    ("count", b) => Ex::Count(Box::new(list), b.map(Box::new)),
                    ("any", Some(b)) => Ex::AnyItem(Box::new(list), Box::new(b)),
                    (_, Some(b)) => Ex::AllItems(Box::new(list), Box::new(b)),
                    _ => Ex::Const(Val::Missing),
                }
            }
            "matches" => {
                let s = self.expr(&args[0]);
                let re = match &args[1].kind {
                    ExprKind::Str(p) => regex::Regex::new(p).ok(),
                    _ => None,
                };
                match re {
                    Some(re) => Ex::Matches(Box::new(s), Arc::new(re)),
                    None => Ex::Const(Val::Missing),
                }
            }
            other => {
                let f = match other {
                    "since" => Func::Since,
                    "lower" => Func::Lower,
                    "upper" => Func::Upper,
                    "trim" => Func::Trim,
                    "contains" => Func::Contains,
                    "starts_with" => Func::StartsWith,
                    "ends_with" => Func::EndsWith,
                    "length" => Func::Length,
                    "days" => Func::Days,
                    "hours" => Func::Hours,
                    "minutes" => Func::Minutes,
                    "min" => Func::Min,
                    _ => Func::Max,
                };
                Ex::Call(f, args.iter().map(|a| self.expr(a)).collect())
            }
        }
    }

    /// Compiles `x -> body` over the list `list`: `x` is bound to the
    /// element frame of the list's slot.
    fn lambda(&mut self, list: &Ex, lam: &Expr) -> Ex {
        let ExprKind::Lambda(param, body) = &lam.kind else {
            return Ex::Const(Val::Missing);
        };
        // the frame and slot the list lives in
        let (frame, slot) = match list {
            Ex::Slot(s) => (0usize, *s),
            Ex::Var(depth, Some(s)) => {
                let idx = self.vars.len() - 1 - *depth as usize;
                (self.vars[idx].1, *s)
            }
            other => {
                // a list that is not a field (a literal, or an item that is
                // itself a list): its items are values, bound as they are
                let elem_ty = match other {
                    Ex::Var(depth, None) => {
                        let idx = self.vars.len() - 1 - *depth as usize;
                        match &self.vars[idx].2 {
                            Ty::List(t) => (**t).clone(),
                            _ => Ty::Unknown,
                        }
                    }
                    _ => Ty::Unknown,
                };
                self.frames.push(Frame::default());
                let detached = self.frames.len() - 1;
                self.vars
                    .push((param.name.clone(), detached, elem_ty, String::new()));
                let out = self.expr(body);
                self.vars.pop();
                return out;
            }
        };
        let elem_ty = match &self.frames[frame].slots[slot as usize].ty {
            Ty::List(t) => (**t).clone(),
            _ => Ty::Unknown,
        };
        let child = match self.frames[frame].elems.get(&slot) {
            Some(&c) => c,
            None => {
                self.frames.push(Frame::default());
                let c = self.frames.len() - 1;
                self.frames[frame].elems.insert(slot, c);
                c
            }
        };
        let list_path = self.frames[frame].slots[slot as usize].path.to_string();
        self.vars
            .push((param.name.clone(), child, elem_ty, list_path));
        let out = self.expr(body);
        self.vars.pop();
        out
    }

    fn path(&mut self, p: &ast::Path) -> Ex {
        let first = &p.segments[0].name;
        if let Some(pos) = self.vars.iter().rposition(|(n, _, _, _)| n == first) {
            let depth = (self.vars.len() - 1 - pos) as u32;
            if p.segments.len() == 1 {
                return Ex::Var(depth, None);
            }
            let (frame, ty) = (self.vars[pos].1, self.vars[pos].2.clone());
            let rest: Vec<String> = p.segments[1..].iter().map(|s| s.name.clone()).collect();
            let field_ty = match &ty {
                Ty::Record(r) => crate::check::resolve_in(r, &p.segments[1..])
                    .ok()
                    .and_then(|f| f.last().map(|f| f.ty.clone()))
                    .unwrap_or(Ty::Unknown),
                _ => Ty::Unknown,
            };
            let full = format!("{}[].{}", self.vars[pos].3, rest.join("."));
            let slot = self.slot_in(frame, &rest, field_ty, &full);
            return Ex::Var(depth, Some(slot));
        }
        if p.segments.len() == 1 {
            if let Some(i) = self.p.signal_index(first) {
                return Ex::Signal(i as u32);
            }
            if let Some(i) = self.p.score_index(first) {
                return Ex::Score(i as u32);
            }
        }
        Ex::Slot(self.field_slot(p))
    }

    fn score(&mut self, s: &ast::Score) -> ScoreIr {
        ScoreIr {
            name: PText::new(&s.name.name),
            label: s.label.as_ref().map(|l| l.value.clone()),
            terms: s
                .terms
                .iter()
                .map(|t| ScoreTermIr {
                    points: t.points.value,
                    per: t.per,
                    expr: self.expr(&t.expr),
                    origin: self.origin(t.span),
                })
                .collect(),
            cap: s.cap.first().map(|c| c.value),
            decay: s
                .decay
                .first()
                .map(|d| (d.half_life.seconds as f64, self.field_slot(&d.since))),
        }
    }

    fn target(&self, t: &ast::Target) -> TargetIr {
        match t {
            ast::Target::Team(n) => TargetIr::Team(self.p.team_index(&n.name).unwrap_or(0) as u32),
            ast::Target::Queue(n) => {
                TargetIr::Queue(self.p.queue_index(&n.name).unwrap_or(0) as u32)
            }
            ast::Target::Owner(s) => TargetIr::Owner(s.value.clone()),
        }
    }

    fn handoff(&mut self, h: &ast::Handoff) -> HandoffIr {
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

    fn metric(&mut self, m: &ast::Metric) -> MetricIr {
        MetricIr {
            name: PText::new(&m.name.name),
            label: m.label.as_ref().map(|l| l.value.clone()),
            body: match &m.body {
                ast::MetricBody::Value(e) => MetricBodyIr::Value(self.expr(e)),
                ast::MetricBody::Share { of, among } => MetricBodyIr::Share {
                    of: self.expr(of),
                    among: among.as_ref().map(|a| self.expr(a)),
                },
            },
            target: m.target.as_ref().and_then(|t| {
                let op = match t.op {
                    BinOp::Le => CmpOp::Le,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Ge => CmpOp::Ge,
                    _ => CmpOp::Gt,
                };
                match self.expr(&t.value) {
                    Ex::Const(v) => Some((op, v)),
                    _ => None,
                }
            }),
        }
    }
}

fn insert_projection(proj: &mut Projection, segments: &[String], slot: u32) {
    let (head, rest) = match segments.split_first() {
        Some(x) => x,
        None => return,
    };
    let pos = proj.keys.iter().position(|(k, _)| k == head);
    if rest.is_empty() {
        match pos {
            None => proj.keys.push((head.clone(), ProjNode::Leaf(slot))),
            Some(i) => {
                let node = std::mem::replace(&mut proj.keys[i].1, ProjNode::Leaf(slot));
                proj.keys[i].1 = match node {
                    ProjNode::Record(p) => ProjNode::Both(slot, p),
                    other => other,
                };
            }
        }
        return;
    }
    let i = match pos {
        Some(i) => i,
        None => {
            proj.keys
                .push((head.clone(), ProjNode::Record(Projection::default())));
            proj.keys.len() - 1
        }
    };
    let node = std::mem::replace(&mut proj.keys[i].1, ProjNode::Record(Projection::default()));
    proj.keys[i].1 = match node {
        ProjNode::Leaf(s) => {
            let mut p = Projection::default();
            insert_projection(&mut p, rest, slot);
            ProjNode::Both(s, p)
        }
        ProjNode::Record(mut p) => {
            insert_projection(&mut p, rest, slot);
            ProjNode::Record(p)
        }
        ProjNode::Both(s, mut p) => {
            insert_projection(&mut p, rest, slot);
            ProjNode::Both(s, p)
        }
    };
}

/// Folds arithmetic on two constants.
fn fold(op: ArithOp, l: Box<Ex>, r: Box<Ex>) -> Ex {
    if let (Ex::Const(a), Ex::Const(b)) = (&*l, &*r) {
        if let Some(v) = crate::ops::arith(op, a, b) {
            return Ex::Const(v);
        }
    }
    Ex::Arith(op, l, r)
}

fn collect_slots(e: &Ex, out: &mut Vec<u32>) {
    let mut push = |s: u32| {
        if !out.contains(&s) {
            out.push(s)
        }
    };
    match e {
        Ex::Slot(s) => push(*s),
        Ex::Not(x) | Ex::Neg(x) | Ex::Present(x) | Ex::Matches(x, _) => collect_slots(x, out),
        Ex::And(a, b)
        | Ex::Or(a, b)
        | Ex::Cmp(_, a, b)
        | Ex::In(_, a, b)
        | Ex::Arith(_, a, b)
        | Ex::AnyItem(a, b)
        | Ex::AllItems(a, b) => {
            collect_slots(a, out);
            collect_slots(b, out);
        }
        Ex::Count(a, b) => {
            collect_slots(a, out);
            if let Some(b) = b {
                collect_slots(b, out);
            }
        }
        Ex::AllOf(v) | Ex::AnyOf(v) | Ex::AtLeast(_, v) | Ex::Call(_, v) | Ex::MakeList(v) => {
            v.iter().for_each(|x| collect_slots(x, out))
        }
        Ex::Const(_) | Ex::Now | Ex::Var(..) | Ex::Signal(_) | Ex::Score(_) => {}
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

fn team(t: &ast::Team) -> TeamIr {
    TeamIr {
        name: t.name.name.clone(),
        role: t.role.name.clone(),
        members: t
            .members
            .iter()
            .map(|m| MemberIr {
                id: PText::new(&m.id.value),
                weight: m.weight.map(|w| w.value).unwrap_or(1.0),
                capacity: m.capacity.map(|c| c.value as u32),
            })
            .collect(),
        strategy: t
            .distribute
            .first()
            .and_then(|d| match d.strategy.name.as_str() {
                "weighted" => Some(Strategy::Weighted),
                "round_robin" => Some(Strategy::RoundRobin {
                    state: d
                        .state
                        .as_ref()
                        .map(|s| s.value.clone())
                        .unwrap_or_default(),
                }),
                "least_loaded" => Some(Strategy::LeastLoaded {
                    state: d
                        .state
                        .as_ref()
                        .map(|s| s.value.clone())
                        .unwrap_or_default(),
                }),
                _ => None,
            }),
    }
}

fn calendar(c: &ast::Calendar) -> Calendar {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    for h in &c.hours {
        for &d in &h.days {
            for &(s, e, _) in &h.ranges {
                week[d as usize].push((s, e));
            }
        }
    }
    for day in &mut week {
        day.sort();
    }
    Calendar {
        name: PText::new(&c.name.name),
        tz: c
            .timezone
            .first()
            .and_then(|t| jiff::tz::TimeZone::get(&t.value).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC),
        week,
        holidays: c.holidays.iter().map(|h| h.date).collect(),
    }
}
