//! Evaluating compiled expressions with three-valued logic.

use super::decide::Cx;
use crate::ir::{CmpOp, Ex, Func};
use crate::value::Val;

static MISSING: Val = Val::Missing;

/// A truth value of three-valued logic: what conditions evaluate to.
/// Conditions are most of a policy, and a `Tri` comes back in a register
/// where a `Val` comes back through memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    True,
    /// Missing: neither true nor false.
    Unknown,
}

impl Tri {
    /// The truth of a value: anything but a boolean is unknown.
    #[inline]
    pub fn of(v: &Val) -> Tri {
        match v {
            Val::Bool(true) => Tri::True,
            Val::Bool(false) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    #[inline]
    pub fn from_bool(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }

    #[inline]
    pub fn val(self) -> Val {
        match self {
            Tri::True => Val::Bool(true),
            Tri::False => Val::Bool(false),
            Tri::Unknown => Val::Missing,
        }
    }

    /// `true` only for true: unknown is "not met".
    #[inline]
    pub fn is_true(self) -> bool {
        self == Tri::True
    }

    #[inline]
    pub fn as_bool(self) -> Option<bool> {
        match self {
            Tri::True => Some(true),
            Tri::False => Some(false),
            Tri::Unknown => None,
        }
    }
}

impl Cx<'_, '_> {
    /// The value of a constant, a slot or a lambda variable, borrowed:
    /// comparisons read these without cloning them.
    #[inline]
    fn peek<'s>(&'s self, e: &'s Ex) -> Option<&'s Val> {
        match e {
            Ex::Const(v) => Some(v),
            Ex::Slot(s) => Some(&self.slots[*s as usize]),
            Ex::Var(depth, field) => {
                let v = &self.vars[self.vars.len() - 1 - *depth as usize];
                Some(match (v, field) {
                    (v, None) => v,
                    (Val::Rec(fields), Some(f)) => fields.get(*f as usize).unwrap_or(&MISSING),
                    _ => &MISSING,
                })
            }
            _ => None,
        }
    }

    /// Evaluates `a` and `b` and applies `f` to both, borrowing what can
    /// be borrowed.
    #[inline]
    fn both<T>(&mut self, a: &Ex, b: &Ex, f: impl FnOnce(&Val, &Val) -> T) -> T {
        match (self.peek(a).is_some(), self.peek(b).is_some()) {
            (true, true) => f(
                self.peek(a).unwrap_or(&MISSING),
                self.peek(b).unwrap_or(&MISSING),
            ),
            (true, false) => {
                let r = self.eval(b);
                f(self.peek(a).unwrap_or(&MISSING), &r)
            }
            (false, true) => {
                let l = self.eval(a);
                f(&l, self.peek(b).unwrap_or(&MISSING))
            }
            (false, false) => {
                let l = self.eval(a);
                let r = self.eval(b);
                f(&l, &r)
            }
        }
    }

    pub(crate) fn eval(&mut self, e: &Ex) -> Val {
        match e {
            Ex::Const(v) => v.clone(),
            Ex::Now => Val::Ts(self.now),
            Ex::Slot(s) => self.slots[*s as usize].clone(),
            Ex::Var(depth, field) => {
                let idx = self.vars.len() - 1 - *depth as usize;
                match (&self.vars[idx], field) {
                    (v, None) => v.clone(),
                    (Val::Rec(fields), Some(f)) => {
                        fields.get(*f as usize).cloned().unwrap_or(Val::Missing)
                    }
                    _ => Val::Missing,
                }
            }
            Ex::Signal(i) => self.signal(*i as usize).val(),
            Ex::Score(i) => Val::Num(self.score(*i as usize)),
            Ex::Not(_)
            | Ex::And(..)
            | Ex::Or(..)
            | Ex::AllOf(_)
            | Ex::AnyOf(_)
            | Ex::AtLeast(..)
            | Ex::Cmp(..)
            | Ex::In(..)
            | Ex::Present(_)
            | Ex::AnyItem(..)
            | Ex::AllItems(..)
            | Ex::Matches(..) => self.truth(e).val(),
            Ex::Neg(x) => match self.eval(x) {
                Val::Num(n) => Val::Num(-n),
                Val::Dur(d) => Val::Dur(-d),
                _ => Val::Missing,
            },
            Ex::Arith(op, a, b) => self.both(a, b, |l, r| {
                crate::ops::arith(*op, l, r).unwrap_or(Val::Missing)
            }),
            Ex::MakeList(items) => {
                let vals: Vec<Val> = items.iter().map(|i| self.eval(i)).collect();
                Val::List(vals.into())
            }
            Ex::Count(list, None) if self.peek(list).is_some() => match self.peek(list) {
                Some(Val::List(items)) => {
                    Val::Num(items.iter().filter(|i| !i.is_missing()).count() as f64)
                }
                _ => Val::Missing,
            },
            Ex::Count(list, None) => match self.eval(list) {
                Val::List(items) => {
                    Val::Num(items.iter().filter(|i| !i.is_missing()).count() as f64)
                }
                _ => Val::Missing,
            },
            Ex::Count(list, Some(p)) => match self.eval(list) {
                Val::List(items) => {
                    let mut n = 0;
                    for item in items.iter() {
                        self.vars.push(item.clone());
                        let v = self.truth(p);
                        self.vars.pop();
                        if v.is_true() {
                            n += 1;
                        }
                    }
                    Val::Num(n as f64)
                }
                _ => Val::Missing,
            },
            Ex::Call(f, args) => {
                let a = self.eval(&args[0]);
                let b = args.get(1).map(|x| self.eval(x));
                call(*f, a, b, self.now)
            }
        }
    }
    /// The truth of a condition, in three-valued logic: `eval` of a
    /// condition is `truth(..).val()`; the logic nodes never build a `Val`.
    pub(crate) fn truth(&mut self, e: &Ex) -> Tri {
        match e {
            Ex::Const(_) | Ex::Slot(_) | Ex::Var(..) => Tri::of(self.peek(e).unwrap_or(&MISSING)),
            Ex::Signal(i) => self.signal(*i as usize),
            Ex::Not(x) => match self.truth(x) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            },
            Ex::And(a, b) => {
                let l = self.truth(a);
                if l == Tri::False {
                    return l;
                }
                match (l, self.truth(b)) {
                    (_, Tri::False) => Tri::False,
                    (Tri::True, Tri::True) => Tri::True,
                    _ => Tri::Unknown,
                }
            }
            Ex::Or(a, b) => {
                let l = self.truth(a);
                if l == Tri::True {
                    return l;
                }
                match (l, self.truth(b)) {
                    (_, Tri::True) => Tri::True,
                    (Tri::False, Tri::False) => Tri::False,
                    _ => Tri::Unknown,
                }
            }
            Ex::AllOf(items) => {
                let mut missing = false;
                for i in items {
                    match self.truth(i) {
                        Tri::False => return Tri::False,
                        Tri::True => {}
                        Tri::Unknown => missing = true,
                    }
                }
                if missing {
                    Tri::Unknown
                } else {
                    Tri::True
                }
            }
            Ex::AnyOf(items) => {
                let mut missing = false;
                for i in items {
                    match self.truth(i) {
                        Tri::True => return Tri::True,
                        Tri::False => {}
                        Tri::Unknown => missing = true,
                    }
                }
                if missing {
                    Tri::Unknown
                } else {
                    Tri::False
                }
            }
            Ex::AtLeast(n, items) => {
                let (mut yes, mut unknown) = (0u32, 0u32);
                for i in items {
                    match self.truth(i) {
                        Tri::True => yes += 1,
                        Tri::False => {}
                        Tri::Unknown => unknown += 1,
                    }
                }
                if yes >= *n {
                    Tri::True
                } else if yes + unknown >= *n {
                    Tri::Unknown
                } else {
                    Tri::False
                }
            }
            Ex::Cmp(op, a, b) => self.both(a, b, |l, r| compare_tri(*op, l, r)),
            Ex::In(negated, a, b) => self.both(a, b, |l, r| match (l, r) {
                (Val::Missing, _) | (_, Val::Missing) => Tri::Unknown,
                (_, Val::List(items)) => {
                    let found = items
                        .iter()
                        .any(|i| compare_tri(CmpOp::Eq, l, i) == Tri::True);
                    Tri::from_bool(found != *negated)
                }
                _ => Tri::Unknown,
            }),
            Ex::Present(x) => Tri::from_bool(match self.peek(x) {
                Some(v) => !v.is_missing(),
                None => !self.eval(x).is_missing(),
            }),
            Ex::AnyItem(list, pred) | Ex::AllItems(list, pred) => {
                let want_any = matches!(e, Ex::AnyItem(..));
                let Val::List(items) = self.eval(list) else {
                    return Tri::Unknown;
                };
                let mut missing = false;
                for item in items.iter() {
                    self.vars.push(item.clone());
                    let v = self.truth(pred);
                    self.vars.pop();
                    match (v, want_any) {
                        (Tri::True, true) => return Tri::True,
                        (Tri::False, false) => return Tri::False,
                        (Tri::Unknown, _) => missing = true,
                        _ => {}
                    }
                }
                if missing {
                    Tri::Unknown
                } else {
                    Tri::from_bool(!want_any)
                }
            }
            Ex::Matches(x, re) => match self.peek(x) {
                Some(Val::Str(s)) => Tri::from_bool(re.is_match(s)),
                Some(_) => Tri::Unknown,
                None => match self.eval(x) {
                    Val::Str(s) => Tri::from_bool(re.is_match(&s)),
                    _ => Tri::Unknown,
                },
            },
            _ => Tri::of(&self.eval(e)),
        }
    }
}

fn call(f: Func, a: Val, b: Option<Val>, now: jiff::Timestamp) -> Val {
    match (f, a, b) {
        (_, Val::Missing, _) | (_, _, Some(Val::Missing)) => Val::Missing,
        (Func::Since, Val::Ts(t), _) => {
            Val::Dur((now.as_millisecond() - t.as_millisecond()) as f64 / 1000.0)
        }
        (Func::Lower, Val::Str(s), _) => Val::Str(s.to_lowercase().into()),
        (Func::Upper, Val::Str(s), _) => Val::Str(s.to_uppercase().into()),
        (Func::Trim, Val::Str(s), _) => Val::Str(s.trim().into()),
        (Func::Length, Val::Str(s), _) => Val::Num(s.chars().count() as f64),
        (Func::Contains, Val::Str(s), Some(Val::Str(p))) => Val::Bool(s.contains(&*p)),
        (Func::StartsWith, Val::Str(s), Some(Val::Str(p))) => Val::Bool(s.starts_with(&*p)),
        (Func::EndsWith, Val::Str(s), Some(Val::Str(p))) => Val::Bool(s.ends_with(&*p)),
        (Func::Days, Val::Dur(d), _) => Val::Num(d / 86_400.0),
        (Func::Hours, Val::Dur(d), _) => Val::Num(d / 3_600.0),
        (Func::Minutes, Val::Dur(d), _) => Val::Num(d / 60.0),
        (Func::Min | Func::Max, a, Some(b)) => match compare(CmpOp::Le, &a, &b) {
            Val::Bool(le) => {
                if le == (f == Func::Min) {
                    a
                } else {
                    b
                }
            }
            _ => Val::Missing,
        },
        _ => Val::Missing,
    }
}

/// Compares two values; `Missing` when either is missing or they do not compare.
pub(crate) fn compare(op: CmpOp, l: &Val, r: &Val) -> Val {
    compare_tri(op, l, r).val()
}

/// [`compare`] as a truth value.
pub(crate) fn compare_tri(op: CmpOp, l: &Val, r: &Val) -> Tri {
    use std::cmp::Ordering;
    if let (Val::Str(a), Val::Str(b), CmpOp::Eq | CmpOp::Ne) = (l, r, op) {
        let same = super::text::same(a.as_bytes(), b.as_bytes());
        return Tri::from_bool(same == (op == CmpOp::Eq));
    }
    let ord: Option<Ordering> = match (l, r) {
        (Val::Num(a), Val::Num(b)) | (Val::Dur(a), Val::Dur(b)) => a.partial_cmp(b),
        (Val::Ts(a), Val::Ts(b)) => Some(a.cmp(b)),
        (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        (Val::List(a), Val::List(b)) => {
            if matches!(op, CmpOp::Eq | CmpOp::Ne) {
                let eq = a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|(x, y)| compare_tri(CmpOp::Eq, x, y) == Tri::True);
                return Tri::from_bool(eq == (op == CmpOp::Eq));
            }
            None
        }
        _ => None,
    };
    let Some(o) = ord else { return Tri::Unknown };
    Tri::from_bool(match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    })
}
