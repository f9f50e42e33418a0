//! Whole-policy lints: cycles among signals and stages, route rules that
//! can never be chosen, and conditions that can never be true.

use std::collections::HashMap;

use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

use super::expr::Scope;
use super::Checker;

pub(super) fn run(cx: &mut Checker) {
    signal_cycles(cx);
    stage_cycles(cx);
    for h in cx.p.handoffs.clone() {
        if let Some(route) = h.routes.first() {
            unreachable_routes(cx, route);
        }
        for r in &h.ready {
            never_true(
                cx,
                r,
                "this `ready when` can never be true, so no lead is ever ready",
            );
        }
        for q in &h.quality {
            never_true(cx, &q.when, "this quality rule can never fire");
        }
    }
    cx.top_names();
    let signals = std::mem::take(&mut cx.p.signals);
    for s in &signals {
        never_true(
            cx,
            &s.expr,
            &format!("signal `{}` can never be true", s.name.name),
        );
    }
    cx.p.signals = signals;
}

impl Checker {
    pub(crate) fn record_deps(&mut self, name: &str, scope: Scope) {
        self.deps.insert(name.to_string(), scope.deps);
    }
}

/// A signal or score that uses itself, directly or through others.
fn signal_cycles(cx: &mut Checker) {
    let mut names: Vec<String> = cx.deps.keys().cloned().collect();
    names.sort();
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state: HashMap<String, u8> = HashMap::new();
    let mut reported: Vec<Vec<String>> = Vec::new();
    for start in names {
        let mut stack: Vec<(String, usize)> = vec![(start.clone(), 0)];
        let mut path: Vec<String> = vec![start.clone()];
        if state.get(&start).copied().unwrap_or(0) != 0 {
            continue;
        }
        state.insert(start.clone(), 1);
        while let Some((node, i)) = stack.pop() {
            let edges = cx.deps.get(&node).cloned().unwrap_or_default();
            if i < edges.len() {
                stack.push((node.clone(), i + 1));
                let (next, span) = &edges[i];
                match state.get(next).copied().unwrap_or(0) {
                    0 => {
                        state.insert(next.clone(), 1);
                        stack.push((next.clone(), 0));
                        path.push(next.clone());
                    }
                    1 => {
                        let pos = path.iter().position(|n| n == next).unwrap_or(0);
                        let mut cycle: Vec<String> = path[pos..].to_vec();
                        let mut key = cycle.clone();
                        key.sort();
                        if !reported.contains(&key) {
                            reported.push(key);
                            cycle.push(next.clone());
                            report_cycle(cx, &node, next, *span, &cycle);
                        }
                    }
                    _ => {}
                }
            } else {
                state.insert(node.clone(), 2);
                path.pop();
            }
        }
    }
}

fn report_cycle(cx: &mut Checker, from: &str, to: &str, span: Span, cycle: &[String]) {
    if from == to && cycle.len() == 2 {
        cx.push(
            Diagnostic::new(
                Code::SelfReference,
                span,
                format!("`{from}` is defined in terms of itself"),
            )
            .label("refers to the definition it is part of")
            .help("define it from lead fields and other signals, not from itself"),
        );
        return;
    }
    cx.push(
        Diagnostic::new(
            Code::SignalCycle,
            span,
            format!("these definitions form a loop: {}", cycle.join(" -> ")),
        )
        .label(format!(
            "`{from}` uses `{to}`, which leads back to `{from}`"
        ))
        .help("break the loop: one of these must be defined from lead fields only"),
    );
}

/// Handoffs whose stages lead back to where they started. Linear in the
/// handoffs: the stages are numbered, and an edge closes a loop when both
/// its ends lie in one strongly connected component (Tarjan's algorithm,
/// without recursion).
fn stage_cycles(cx: &mut Checker) {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let edges: Vec<(usize, usize, Span, String, String)> =
        cx.p.handoffs
            .iter()
            .map(|h| {
                let n = ids.len();
                let a = *ids.entry(h.from.name.as_str()).or_insert(n);
                let n = ids.len();
                let b = *ids.entry(h.to.name.as_str()).or_insert(n);
                (a, b, h.head_span, h.from.name.clone(), h.to.name.clone())
            })
            .collect();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
    for (a, b, ..) in &edges {
        next[*a].push(*b);
    }
    let component = components(&next);
    // each loop of stages is reported once, on the handoff declared last
    // among the handoffs inside it: the one that closed it
    let mut last: HashMap<usize, u32> = HashMap::new();
    for (a, b, span, ..) in &edges {
        if a != b && component[*a] == component[*b] {
            let e = last.entry(component[*a]).or_insert(span.start);
            *e = (*e).max(span.start);
        }
    }
    let mut found = Vec::new();
    for (a, b, span, from, to) in &edges {
        if a == b {
            found.push(
                Diagnostic::new(
                    Code::StageCycle,
                    *span,
                    format!("the handoff `{from} -> {to}` leads back to the stage it starts from"),
                )
                .label("a lead would never move on")
                .help("a handoff moves a lead to a later stage; name a different target stage"),
            );
        } else if component[*a] == component[*b] && last.get(&component[*a]) == Some(&span.start) {
            found.push(
                Diagnostic::new(Code::StageCycle, *span, format!("the handoff `{from} -> {to}` closes a loop of stages"))
                    .label("leads could circle forever")
                    .help("handoffs must move leads forward; model recycling as a separate stage with no handoff back"),
            );
        }
    }
    for d in found {
        cx.push(d);
    }
}

/// The strongly connected component of each node of a graph given by its
/// successors: Tarjan's algorithm with an explicit stack.
fn components(next: &[Vec<usize>]) -> Vec<usize> {
    const NONE: usize = usize::MAX;
    let n = next.len();
    let (mut index, mut low, mut comp) = (vec![NONE; n], vec![0; n], vec![NONE; n]);
    let (mut on_stack, mut stack) = (vec![false; n], Vec::new());
    let (mut counter, mut comps) = (0, 0);
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        // (node, next successor to look at)
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i == 0 && index[v] == NONE {
                index[v] = counter;
                low[v] = counter;
                counter += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = next[v].get(*i) {
                *i += 1;
                if index[w] == NONE {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = comps;
                    if w == v {
                        break;
                    }
                }
                comps += 1;
            }
        }
    }
    comp
}

/// The conjuncts of a condition: `a and b`, `all { a, b }`.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Binary(BinOp::And, l, r) => {
            let mut v = conjuncts(l);
            v.extend(conjuncts(r));
            v
        }
        ExprKind::All(items) => items.iter().flat_map(conjuncts).collect(),
        _ => vec![e],
    }
}

/// Structural equality, ignoring spans.
pub(crate) fn same(a: &Expr, b: &Expr) -> bool {
    use ExprKind::*;
    match (&a.kind, &b.kind) {
        (Number(x), Number(y)) => x == y,
        (Str(x), Str(y)) => x == y,
        (Bool(x), Bool(y)) => x == y,
        (Duration(x), Duration(y)) => x == y,
        (Timestamp(x), Timestamp(y)) => x == y,
        (Now, Now) => true,
        (Path(x), Path(y)) => x.dotted() == y.dotted(),
        (List(x), List(y)) | (All(x), All(y)) | (Any(x), Any(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (AtLeast(n, x), AtLeast(m, y)) => {
            n == m && x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Unary(o, x), Unary(p, y)) => o == p && same(x, y),
        (Binary(o, a1, b1), Binary(p, a2, b2)) => o == p && same(a1, a2) && same(b1, b2),
        (Call(f, x), Call(g, y)) => {
            f.name == g.name && x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Lambda(p, x), Lambda(q, y)) => p.name == q.name && same(x, y),
        _ => false,
    }
}

/// A rule is unreachable when an earlier rule matches every lead it would:
/// the earlier rule's conditions are a subset of this rule's conditions.
/// Earlier rules are found through the shape of their first condition, so
/// thousands of rules are not compared pair by pair; the comparisons of one
/// route are capped, beyond which the lint says nothing more.
fn unreachable_routes(cx: &mut Checker, route: &Route) {
    const BUDGET: usize = 2_000_000;
    let mut budget = BUDGET;
    let conds: Vec<Option<Vec<&Expr>>> = route
        .rules
        .iter()
        .map(|r| r.when.as_ref().map(conjuncts))
        .collect();
    // earlier rules by the shape of their first condition; rules that
    // always match apart
    let mut by_first: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut always: Option<usize> = None;
    let mut found = Vec::new();
    for (i, rule) in route.rules.iter().enumerate() {
        let Some(mine) = &conds[i] else { continue };
        let mut earliest: Option<usize> = always;
        for m in mine {
            for &j in by_first.get(&shape(m)).map_or(&[][..], Vec::as_slice) {
                if earliest.is_some_and(|e| e <= j) {
                    break;
                }
                if budget == 0 {
                    break;
                }
                budget -= 1;
                let theirs = conds[j].as_deref().unwrap_or_default();
                if theirs.iter().all(|t| mine.iter().any(|m| same(t, m))) {
                    earliest = Some(j);
                    break;
                }
            }
        }
        if let Some(j) = earliest {
            found.push(
                Diagnostic::new(
                    Code::UnreachableRoute,
                    rule.span,
                    format!(
                        "route rule {} can never be chosen: rule {} matches every lead it would",
                        i + 1,
                        j + 1
                    ),
                )
                .label("never reached")
                .with_secondary(
                    route.rules[j].span,
                    format!("rule {} comes first and already matches", j + 1),
                )
                .help("put the more specific rule first; the first rule that matches wins"),
            );
        }
        if mine.len() == 1 && matches!(mine[0].kind, ExprKind::Bool(true)) {
            always.get_or_insert(i);
        }
        if let Some(first) = mine.first() {
            by_first.entry(shape(first)).or_default().push(i);
        }
    }
    for d in found {
        cx.push(d);
    }
}

/// A hash of an expression's shape that agrees with [`same`]: expressions
/// that are the same have the same shape.
fn shape(e: &Expr) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(e: &Expr, h: &mut std::collections::hash_map::DefaultHasher) {
        use ExprKind::*;
        std::mem::discriminant(&e.kind).hash(h);
        match &e.kind {
            Number(x) => x.to_bits().hash(h),
            Str(x) => x.hash(h),
            Bool(x) => x.hash(h),
            Duration(x) => x.hash(h),
            Timestamp(x) => x.as_nanosecond().hash(h),
            Now => {}
            Path(p) => {
                for s in &p.segments {
                    s.name.hash(h);
                }
            }
            List(x) | All(x) | Any(x) => {
                x.len().hash(h);
                x.iter().for_each(|e| walk(e, h));
            }
            AtLeast(n, x) => {
                n.hash(h);
                x.iter().for_each(|e| walk(e, h));
            }
            Unary(o, x) => {
                std::mem::discriminant(o).hash(h);
                walk(x, h);
            }
            Binary(o, a, b) => {
                std::mem::discriminant(o).hash(h);
                walk(a, h);
                walk(b, h);
            }
            Call(f, x) => {
                f.name.hash(h);
                x.iter().for_each(|e| walk(e, h));
            }
            Lambda(p, x) => {
                p.name.hash(h);
                walk(x, h);
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    walk(e, &mut h);
    h.finish()
}

/// A numeric interval `lo..hi` with open or closed ends.
#[derive(Clone, Copy)]
struct Bound {
    lo: f64,
    lo_open: bool,
    hi: f64,
    hi_open: bool,
}

impl Bound {
    fn all() -> Bound {
        Bound {
            lo: f64::NEG_INFINITY,
            lo_open: true,
            hi: f64::INFINITY,
            hi_open: true,
        }
    }
    fn empty(&self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && (self.lo_open || self.hi_open))
    }
}

/// The constant a comparison compares with, as a number.
fn constant(e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Number(n) => Some(*n),
        ExprKind::Duration(d) => Some(*d as f64),
        _ => None,
    }
}

fn key_of(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Path(p) => Some(p.dotted()),
        ExprKind::Call(f, args) if args.len() == 1 => {
            key_of(&args[0]).map(|k| format!("{}({k})", f.name))
        }
        _ => None,
    }
}

/// Conditions whose conjuncts contradict each other: `x > 5 and x < 3`,
/// `region == "EMEA" and region == "NA"`, `not present(x) and x > 3`.
fn never_true(cx: &mut Checker, e: &Expr, message: &str) {
    let parts = conjuncts(e);
    let mut bounds: HashMap<String, (Bound, Vec<Span>)> = HashMap::new();
    let mut equals: HashMap<String, (String, Span)> = HashMap::new();
    let mut absent: HashMap<String, Span> = HashMap::new();
    let mut used: HashMap<String, Span> = HashMap::new();
    let mut contradiction: Option<(Span, Span)> = None;
    for c in &parts {
        match &c.kind {
            ExprKind::Unary(UnOp::Not, inner) => {
                if let ExprKind::Call(f, args) = &inner.kind {
                    if f.name == "present" && args.len() == 1 {
                        if let Some(k) = key_of(&args[0]) {
                            absent.insert(k, c.span);
                        }
                    }
                }
            }
            ExprKind::Binary(op, l, r) if op.is_comparison() => {
                let (key, val, op) = match (key_of(l), constant(r), key_of(r), constant(l)) {
                    (Some(k), Some(v), _, _) => (k, v, *op),
                    (_, _, Some(k), Some(v)) => (k, v, flip(*op)),
                    _ => {
                        if let (Some(k), ExprKind::Str(s)) = (key_of(l), &r.kind) {
                            used.insert(k.clone(), c.span);
                            if *op == BinOp::Eq {
                                if let Some((prev, ps)) = equals.get(&k) {
                                    if prev != s {
                                        contradiction = Some((*ps, c.span));
                                    }
                                }
                                equals.insert(k, (s.clone(), c.span));
                            }
                        }
                        continue;
                    }
                };
                used.insert(key.clone(), c.span);
                let entry = bounds.entry(key).or_insert((Bound::all(), Vec::new()));
                let b = &mut entry.0;
                match op {
                    BinOp::Gt | BinOp::Ge => {
                        let open = op == BinOp::Gt;
                        if val > b.lo || (val == b.lo && open) {
                            b.lo = val;
                            b.lo_open = open;
                        }
                    }
                    BinOp::Lt | BinOp::Le => {
                        let open = op == BinOp::Lt;
                        if val < b.hi || (val == b.hi && open) {
                            b.hi = val;
                            b.hi_open = open;
                        }
                    }
                    BinOp::Eq => {
                        if val > b.lo || (val == b.lo && !b.lo_open) {
                            b.lo = val;
                            b.lo_open = false;
                        }
                        if val < b.hi || (val == b.hi && !b.hi_open) {
                            b.hi = val;
                            b.hi_open = false;
                        }
                        if val < b.lo || val > b.hi {
                            b.lo = 1.0;
                            b.hi = 0.0;
                        }
                    }
                    _ => {}
                }
                entry.1.push(c.span);
                if entry.0.empty() && contradiction.is_none() {
                    let spans = &entry.1;
                    contradiction = Some((spans[0], *spans.last().unwrap_or(&spans[0])));
                }
            }
            _ => {}
        }
    }
    if contradiction.is_none() {
        for (k, s) in &absent {
            let hit = used
                .iter()
                .find(|(u, _)| u == &k || u.contains(&format!("({k})")));
            if let Some((_, us)) = hit {
                contradiction = Some((*s, *us));
            }
        }
    }
    if let Some((a, b)) = contradiction {
        cx.push(
            Diagnostic::new(Code::NeverReady, b, message.to_string())
                .label("contradicts an earlier part of the same condition")
                .with_secondary(a, "this part")
                .help("no lead can meet both parts; check the comparison operators and values"),
        );
    }
}

fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        o => o,
    }
}
