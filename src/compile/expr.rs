//! Compilation of expressions: constants folded, calls resolved to
//! functions, lambdas bound to the element frame of their list, names to
//! lambda variables, signals, scores or field slots.

use std::sync::Arc;

use super::{Compiler, Frame};
use crate::ast::{self, BinOp, Expr, ExprKind, UnOp};
use crate::ir::*;
use crate::types::Ty;
use crate::value::Val;

impl Compiler<'_> {
    pub(super) fn cond(&mut self, e: &Expr) -> Cond {
        let expr = self.expr(e);
        let parts = match &e.kind {
            ExprKind::All(items) => items
                .iter()
                .map(|i| (self.expr(i), self.expr_origin(i)))
                .collect(),
            _ => Vec::new(),
        };
        Cond {
            expr,
            origin: self.expr_origin(e),
            parts,
        }
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Ex {
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
