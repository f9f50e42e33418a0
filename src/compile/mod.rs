//! Compilation: checked program -> IR.
//!
//! Every field path is given a slot once, here; the projection (the tree of
//! JSON keys the evaluator reads) is built from the same walk. Constants are
//! folded, regular expressions compiled, calendars resolved to time zones.
//!
//! This file holds the walk over the program and the assembly of the
//! [`Policy`]; beside it: `slots` (field paths to slots and the
//! projection), `expr` (expressions and conditions), `handoff` (a handoff
//! and its blocks) and `decls` (scores, metrics, teams, calendars).

mod decls;
mod expr;
mod handoff;
mod slots;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::check::Program;
use crate::decision::{PText, PolicyRef};
use crate::ir::*;
use crate::span::{SourceMap, Span};
use crate::types::Ty;

use decls::{calendar, team};
use slots::collect_slots;

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
    exact_all: Arc<HashSet<String>>,
    exact_by_path: HashMap<String, Arc<HashSet<String>>>,
    pii: HashMap<String, Vec<String>>,
}

/// Compiles a program that checked without errors. `sources` provides the
/// text for origins and the content hash.
pub fn compile(p: &Program, sources: &SourceMap) -> (Policy, ElemFrames) {
    let mut placeholders_all = HashSet::new();
    let mut placeholders_by_path: HashMap<String, HashSet<String>> = HashMap::new();
    let mut exact_all = HashSet::new();
    let mut exact_by_path: HashMap<String, HashSet<String>> = HashMap::new();
    let mut pii = HashMap::new();
    if let Some(s) = &p.schema_decl {
        for ph in s.placeholders.iter().filter(|ph| ph.exact) {
            let vals = ph.values.iter().map(|v| v.value.clone());
            if ph.paths.is_empty() {
                exact_all.extend(vals);
            } else {
                let vals: Vec<String> = vals.collect();
                for path in &ph.paths {
                    exact_by_path
                        .entry(path.dotted())
                        .or_default()
                        .extend(vals.iter().cloned());
                }
            }
        }
        for ph in s.placeholders.iter().filter(|ph| !ph.exact) {
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
    for v in exact_by_path.values_mut() {
        v.extend(exact_all.iter().cloned());
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
        exact_all: Arc::new(exact_all),
        exact_by_path: exact_by_path
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
                // the line of its name, the text of its condition
                origin: Origin {
                    line: c.origin(s.name.span).line,
                    text: c.expr_origin(&s.expr).text,
                },
            }
        })
        .collect();
    let scores = p.scores.iter().map(|s| c.score(s)).collect();
    let stage_slot = p.stage_field.as_ref().map(|f| c.field_slot(f));
    let handoffs: Vec<HandoffIr> = p.handoffs.iter().map(|h| c.handoff(h)).collect();
    let teams = p.teams.iter().map(team).collect();
    let calendars = p.calendars.iter().map(calendar).collect();
    let playbooks = p
        .playbooks
        .iter()
        .map(|pb| PlaybookIr {
            name: PText::new(&pb.name.name),
            persona: pb.persona.first().map(|s| PText::new(&s.value)),
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
    // the decision log masks a field that is personal data, part of it or
    // holds some, whoever may see it in a packet
    let logged_masked = root
        .slots
        .iter()
        .map(|s| {
            s.pii_visible_to.is_some() || c.pii.keys().any(|p| crate::ast::overlaps(p, &s.path))
        })
        .collect();
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
        logged_masked,
        applies_to,
        signals,
        scores,
        stage_slot,
        handoffs,
        teams,
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
        Origin {
            line: lc.line,
            text: PText::new(shorten(one_line(f.slice(span)))),
        }
    }

    /// [`Compiler::origin`] for a condition, written faithfully on one
    /// line: comments dropped, and the members of `all`, `any` and
    /// `at least` blocks separated by commas, so that a block written on
    /// several lines (`any {` / `a and b` / `c` / `}`) reads
    /// `any { a and b, c }`, not the ambiguous `any { a and b c }`.
    /// [`Compiler::origin`] of a construct that holds a condition (a
    /// route rule): its text, the condition in it written faithfully.
    fn origin_around(&self, span: Span, e: &crate::ast::Expr) -> Origin {
        let f = self.sources.get(span.file);
        let lc = f.line_col(span.start);
        let text = f.text.as_ref();
        let slice = |a: u32, b: u32| text.get(a as usize..b as usize).unwrap_or("");
        let whole = format!(
            "{} {} {}",
            one_line(slice(span.start, e.span.start)),
            faithful(text, e),
            one_line(slice(e.span.end, span.end))
        );
        Origin {
            line: lc.line,
            text: PText::new(shorten(one_line(&whole))),
        }
    }

    fn expr_origin(&self, e: &crate::ast::Expr) -> Origin {
        let f = self.sources.get(e.span.file);
        let lc = f.line_col(e.span.start);
        Origin {
            line: lc.line,
            text: PText::new(shorten(faithful(f.text.as_ref(), e))),
        }
    }
}

/// Text on one line: comments dropped, white space runs made one space.
fn one_line(raw: &str) -> String {
    let mut out = String::new();
    for line in raw.lines() {
        let code = crate::syntax::split_comment(line).0;
        for w in code.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    }
    out
}

/// At most 120 characters, with `...` where the text was cut.
fn shorten(text: String) -> String {
    if text.chars().count() > 120 {
        text.chars().take(117).collect::<String>() + "..."
    } else {
        text
    }
}

/// The text of `e` on one line, the members of its blocks separated by
/// commas (see [`Compiler::expr_origin`]).
fn faithful(src: &str, e: &crate::ast::Expr) -> String {
    use crate::ast::ExprKind as K;
    let slice = |a: u32, b: u32| src.get(a as usize..b as usize).unwrap_or("");
    let children: Vec<&crate::ast::Expr> = match &e.kind {
        K::All(items) | K::Any(items) | K::AtLeast(_, items) => {
            let Some(first) = items.first() else {
                return one_line(slice(e.span.start, e.span.end));
            };
            let head = one_line(slice(e.span.start, first.span.start));
            let members: Vec<String> = items.iter().map(|i| faithful(src, i)).collect();
            return format!("{head} {} }}", members.join(", "));
        }
        K::List(items) | K::Call(_, items) => items.iter().collect(),
        K::Unary(_, x) | K::Lambda(_, x) => vec![x],
        K::Binary(_, l, r) => vec![l, r],
        _ => Vec::new(),
    };
    if !children.iter().any(|c| has_block(c)) {
        return one_line(slice(e.span.start, e.span.end));
    }
    // the text between the children as written, each child faithfully
    let mut out = String::new();
    let mut at = e.span.start;
    for c in children {
        out.push_str(slice(at, c.span.start));
        out.push_str(&faithful(src, c));
        at = c.span.end;
    }
    out.push_str(slice(at, e.span.end));
    one_line(&out)
}

fn has_block(e: &crate::ast::Expr) -> bool {
    use crate::ast::ExprKind as K;
    match &e.kind {
        K::All(_) | K::Any(_) | K::AtLeast(..) => true,
        K::List(items) | K::Call(_, items) => items.iter().any(has_block),
        K::Unary(_, x) | K::Lambda(_, x) => has_block(x),
        K::Binary(_, l, r) => has_block(l) || has_block(r),
        _ => false,
    }
}
