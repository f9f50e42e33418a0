//! Comparisons and arithmetic: which types compare and order, the help
//! for a mismatch (`== [..]` for `in`, a timestamp against a number), enum
//! values written without quotes, and the lint on negated optional fields.

use crate::ast::*;
use crate::diag::{self, Code, Diagnostic};
use crate::types::Ty;

use super::super::{Checker, Kind};
use super::Scope;

impl Checker {
    pub(super) fn binary(
        &mut self,
        e: &Expr,
        op: BinOp,
        l: &Expr,
        r: &Expr,
        scope: &mut Scope,
    ) -> Ty {
        match op {
            BinOp::And | BinOp::Or => {
                let what = format!("each side of `{}`", op.symbol());
                self.condition(l, scope, &what);
                self.condition(r, scope, &what);
                Ty::Bool
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let lt = self.type_of(l, scope);
                if matches!(op, BinOp::Eq | BinOp::Ne) && self.unquoted_values(&lt, r, scope, true)
                {
                    return Ty::Bool;
                }
                let rt = self.type_of(r, scope);
                let ok = if matches!(op, BinOp::Eq | BinOp::Ne) {
                    lt.comparable(&rt)
                } else {
                    lt.orderable(&rt)
                };
                if !ok {
                    self.mismatch(e, op, l, &lt, r, &rt);
                } else {
                    self.lint_case_compare(op, l, r);
                    self.enum_literal(&lt, l, r);
                    self.enum_literal(&rt, r, l);
                }
                Ty::Bool
            }
            BinOp::In | BinOp::NotIn => {
                let lt = self.type_of(l, scope);
                if self.unquoted_values(&lt, r, scope, false) {
                    return Ty::Bool;
                }
                let rt = self.type_of(r, scope);
                match &rt {
                    Ty::List(elem) => {
                        if !lt.comparable(elem) {
                            self.push(
                                Diagnostic::new(
                                    Code::TypeMismatch,
                                    e.span,
                                    format!("cannot look for a {lt} in a list of {elem}"),
                                )
                                .label(format!(
                                    "`{}` compares a {lt} with {elem} items",
                                    op.symbol()
                                ))
                                .help("the value and the list items must have the same type"),
                            );
                        } else if let ExprKind::List(items) = &r.kind {
                            for it in items {
                                self.enum_literal(&lt, l, it);
                            }
                        }
                    }
                    Ty::Unknown => {}
                    other => {
                        self.push(
                            Diagnostic::new(Code::NotAList, r.span, format!("`{}` needs a list on its right, but this is a {other}", op.symbol()))
                                .label("not a list")
                                .help("write a list such as `[\"web\", \"event\"]`, or use `==` to compare one value"),
                        );
                    }
                }
                Ty::Bool
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let lt = self.type_of(l, scope);
                let rt = self.type_of(r, scope);
                match arith(op, &lt, &rt) {
                    Some(t) => t,
                    None => {
                        let hint = match (op, &lt, &rt) {
                            (BinOp::Add, Ty::Timestamp, Ty::Timestamp) => "subtract timestamps to get the duration between them",
                            (_, a, b) if a.is_stringy() || b.is_stringy() => "text cannot take part in arithmetic",
                            (_, Ty::Duration, b) | (_, b, Ty::Duration) if b.is_numeric() && matches!(op, BinOp::Add | BinOp::Sub) => {
                                "give the number a unit, e.g. `2d`, to add it to a duration"
                            }
                            _ => "arithmetic works on numbers, durations and timestamps (timestamp - timestamp, timestamp + duration)",
                        };
                        self.push(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                e.span,
                                format!("cannot apply `{}` to a {lt} and a {rt}", op.symbol()),
                            )
                            .label(format!("{lt} {} {rt}", op.symbol()))
                            .help(hint),
                        );
                        Ty::Unknown
                    }
                }
            }
        }
    }

    /// Comparing mismatched types: durations with plain numbers get their own code.
    fn mismatch(&mut self, e: &Expr, op: BinOp, l: &Expr, lt: &Ty, r: &Expr, rt: &Ty) {
        let (num, dur_side) = match (lt, rt) {
            (Ty::Duration, t) if t.is_numeric() => (Some(r), true),
            (t, Ty::Duration) if t.is_numeric() => (Some(l), true),
            _ => (None, false),
        };
        if dur_side {
            if let Some(n) = num {
                if let ExprKind::Number(v) = n.kind {
                    let fixed = format!("{}d", v as i64);
                    self.push(
                        Diagnostic::new(
                            Code::NumberForDuration,
                            n.span,
                            format!(
                                "`{}` is a plain number, but it is compared with a duration",
                                v
                            ),
                        )
                        .label("no unit")
                        .help(format!(
                            "give it a unit: `{fixed}` for days, or `{}h` for hours",
                            v as i64
                        ))
                        .suggest(n.span, fixed),
                    );
                    return;
                }
            }
        }
        let chained =
            matches!(&l.kind, ExprKind::Binary(o, ..) if o.is_comparison()) && op.is_comparison();
        let member = if op == BinOp::Ne { "not in" } else { "in" };
        // a number or a date in quotes: the literal without them
        let unquoted = |e: &Expr| match &e.kind {
            ExprKind::Str(s) => {
                let t = s.trim();
                let number = t.parse::<f64>().is_ok();
                let date = t.len() >= 10
                    && t.as_bytes()[4] == b'-'
                    && t.as_bytes()[7] == b'-'
                    && t[..4].chars().all(|c| c.is_ascii_digit());
                (number || date).then(|| t.to_string())
            }
            _ => None,
        };
        let quoted_literal = unquoted(r)
            .map(|t| (r.span, t))
            .or_else(|| unquoted(l).map(|t| (l.span, t)));
        let help = match (lt, rt) {
            _ if chained => "comparisons do not chain: write `1 < n and n < 3`".to_string(),
            (a, Ty::List(elem)) if matches!(op, BinOp::Eq | BinOp::Ne) && a.comparable(elem) => format!(
                "use `{member}` to test whether the value is one of a list: `{} {member} {}`",
                short(l),
                short(r)
            ),
            (Ty::List(elem), b) if matches!(op, BinOp::Eq | BinOp::Ne) && b.comparable(elem) => format!(
                "use `{member}` to test whether a list holds a value: `{} {member} {}`",
                short(r),
                short(l)
            ),
            (Ty::Timestamp, b) if b.is_numeric() => format!(
                "to compare with a date write one such as `2025-01-01`; to compare how long ago it was, write `since({}) {} {}d`",
                short(l),
                op.symbol(),
                short(r)
            ),
            (a, b) if a.is_stringy() && b.is_stringy() => "text can only be compared with `==` and `!=`; use `in [...]` for a set of values".to_string(),
            (Ty::Timestamp, b) | (b, Ty::Timestamp) if b.is_stringy() => match &quoted_literal {
                Some((_, t)) => format!("write the date without quotes: `{t}`"),
                None => "write the date without quotes, e.g. `2025-01-01` or `2025-01-01T00:00:00Z`".to_string(),
            },
            (a, b) if (a.is_numeric() && b.is_stringy()) || (a.is_stringy() && b.is_numeric()) => match &quoted_literal {
                Some((_, t)) => format!("write the number without quotes: `{t}`"),
                None => "compare numbers with numbers: remove the quotes around a number, or compare with a text field".to_string(),
            },
            (Ty::Timestamp, _) | (_, Ty::Timestamp) => "to compare a timestamp with a duration write `since(field) > 14d`".to_string(),
            (Ty::Bool, _) | (_, Ty::Bool) => "use the condition itself, or `not` it, instead of comparing it".to_string(),
            _ => format!("both sides of `{}` must have the same type", op.symbol()),
        };
        let mut d = Diagnostic::new(
            Code::TypeMismatch,
            e.span,
            if lt.is_stringy() && rt.is_stringy() {
                format!("text cannot be ordered with `{}`", op.symbol())
            } else {
                format!("cannot compare a {lt} with a {rt}")
            },
        )
        .label(format!("{lt} {} {rt}", op.symbol()))
        .with_secondary(l.span, format!("a {lt}"))
        .with_secondary(r.span, format!("a {rt}"))
        .help(help);
        if let Some((span, t)) = quoted_literal {
            d = d.suggest(span, t);
        }
        self.push(d);
    }

    /// `lower(x) == "DE"`: text lowercased (or uppercased) and compared with
    /// a literal that has letters of the other case can never be equal.
    pub(super) fn lint_case_compare(&mut self, op: BinOp, l: &Expr, r: &Expr) {
        if !matches!(op, BinOp::Eq | BinOp::Ne | BinOp::In | BinOp::NotIn) {
            return;
        }
        let ExprKind::Call(f, _) = &l.kind else {
            return;
        };
        let lowered = match f.name.as_str() {
            "lower" => true,
            "upper" => false,
            _ => return,
        };
        let lits: Vec<&Expr> = match &r.kind {
            ExprKind::Str(_) => vec![r],
            ExprKind::List(items) => items.iter().collect(),
            _ => return,
        };
        for lit in lits {
            let ExprKind::Str(s) = &lit.kind else {
                continue;
            };
            let fixed = if lowered {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            };
            if fixed != *s {
                self.push(
                    Diagnostic::new(
                        Code::NeverReady,
                        lit.span,
                        format!(
                            "`{}(...)` never equals \"{s}\": it has no {} letters",
                            f.name,
                            if lowered { "capital" } else { "small" }
                        ),
                    )
                    .label("can never match")
                    .help(format!("write \"{fixed}\""))
                    .suggest(lit.span, format!("\"{fixed}\"")),
                );
            }
        }
    }

    /// `company.region in [EMEA, APAC]`, `segment == commercial`: bare words
    /// compared with an enum or text field, none of which is defined, are
    /// its values written without quotes. One diagnostic for the lot, with
    /// the quoted text; `true` when reported (the right side is then not
    /// typed, which would report each word as an unknown name).
    fn unquoted_values(&mut self, lt: &Ty, r: &Expr, scope: &Scope, single: bool) -> bool {
        if !matches!(lt, Ty::Enum(_)) && !lt.is_stringy() || self.p.schema_decl.is_none() {
            return false;
        }
        let bare = |c: &Self, e: &Expr| match &e.kind {
            ExprKind::Path(p) if p.segments.len() == 1 => {
                let n = &p.segments[0].name;
                !scope.vars.iter().any(|(v, _)| v == n)
                    && !c.is_defined(Kind::Signal, n)
                    && !c.is_defined(Kind::Score, n)
                    && c.p.resolve_field(p).is_err()
            }
            _ => false,
        };
        let quoted = |e: &Expr| match &e.kind {
            ExprKind::Path(p) => format!("\"{}\"", p.segments[0].name),
            _ => short(e),
        };
        let (fixed, words) = match &r.kind {
            ExprKind::List(items) if items.iter().any(|i| bare(self, i)) => {
                if items
                    .iter()
                    .any(|i| !bare(self, i) && !matches!(i.kind, ExprKind::Str(_)))
                {
                    return false;
                }
                let words: Vec<String> = items
                    .iter()
                    .filter(|i| bare(self, i))
                    .map(|i| format!("`{}`", short(i)))
                    .collect();
                let fixed: Vec<String> = items.iter().map(quoted).collect();
                (format!("[{}]", fixed.join(", ")), words)
            }
            ExprKind::Path(_) if single && bare(self, r) => {
                (quoted(r), vec![format!("`{}`", short(r))])
            }
            _ => return false,
        };
        let what = if words.len() == 1 {
            "is a value"
        } else {
            "are values"
        };
        let values = match lt {
            Ty::Enum(v) => format!(
                "; the values are {}",
                v.iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => String::new(),
        };
        self.push(
            Diagnostic::new(
                Code::UnquotedValues,
                r.span,
                format!("{} {what}, written in double quotes", words.join(", ")),
            )
            .label("not quoted")
            .help(format!("write `{fixed}`{values}"))
            .suggest(r.span, fixed),
        );
        true
    }

    /// A string literal compared with an enum must be one of its values.
    pub(crate) fn enum_literal(&mut self, ty: &Ty, field: &Expr, lit: &Expr) {
        let (Ty::Enum(values), ExprKind::Str(s)) = (ty, &lit.kind) else {
            return;
        };
        if values.iter().any(|v| v == s) {
            return;
        }
        let list = values
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let name = match &field.kind {
            ExprKind::Path(p) => format!("`{}`", p.dotted()),
            _ => "this field".to_string(),
        };
        let mut d = Diagnostic::new(
            Code::UnknownEnumValue,
            lit.span,
            format!("\"{s}\" is not a value of {name}"),
        )
        .label("not a value of the enum")
        .with_secondary(field.span, format!("takes {list}"));
        match diag::did_you_mean(s, values.iter().map(smol_str::SmolStr::as_str)) {
            Some(v) => {
                d.message = format!("{}; did you mean \"{v}\"?", d.message);
                d = d
                    .help(format!("the values are {list}"))
                    .suggest(lit.span, format!("\"{v}\""));
            }
            None => d = d.help(format!("the values are {list}")),
        }
        self.push(d);
    }

    /// `not (x > 5)` on an optional `x` is not met when `x` is missing,
    /// which authors rarely expect.
    pub(super) fn lint_negated_optional(&mut self, inner: &Expr, scope: &Scope) {
        let ExprKind::Binary(op, l, r) = &inner.kind else {
            return;
        };
        if !op.is_comparison() {
            return;
        }
        for side in [l, r] {
            let ExprKind::Path(p) = &side.kind else {
                continue;
            };
            if scope.vars.iter().any(|(n, _)| *n == p.segments[0].name) {
                continue;
            }
            if let Ok(fields) = self.p.resolve_field(p) {
                if fields.iter().any(|f| f.optional) {
                    let name = p.dotted();
                    self.push(
                        Diagnostic::new(Code::NegatedOptional, inner.span, format!("`{name}` is optional, and when it is missing this `not` is not met either"))
                            .label("missing makes the comparison unknown, and `not` keeps it unknown")
                            .help(format!("say what a missing value should mean: `not present({name}) or not (...)`, or compare the other way round")),
                    );
                    return;
                }
            }
        }
    }
}

/// The result type of arithmetic, or `None` when it is not allowed.
fn arith(op: BinOp, l: &Ty, r: &Ty) -> Option<Ty> {
    use Ty::*;
    if *l == Unknown || *r == Unknown {
        return Some(Unknown);
    }
    match (op, l, r) {
        (_, a, b) if a.is_numeric() && b.is_numeric() => {
            if *a == Int && *b == Int && op != BinOp::Div {
                Some(Int)
            } else {
                Some(Number)
            }
        }
        (BinOp::Sub, Timestamp, Timestamp) => Some(Duration),
        (BinOp::Add | BinOp::Sub, Timestamp, Duration) => Some(Timestamp),
        (BinOp::Add, Duration, Timestamp) => Some(Timestamp),
        (BinOp::Add | BinOp::Sub, Duration, Duration) => Some(Duration),
        (BinOp::Mul, Duration, b) if b.is_numeric() => Some(Duration),
        (BinOp::Mul, a, Duration) if a.is_numeric() => Some(Duration),
        (BinOp::Div, Duration, b) if b.is_numeric() => Some(Duration),
        (BinOp::Div, Duration, Duration) => Some(Number),
        _ => None,
    }
}

/// An expression as the author would write it, for help texts: paths,
/// literals and lists; anything else as `...`.
pub(super) fn short(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Path(p) => p.dotted(),
        ExprKind::Str(s) => format!("\"{s}\""),
        ExprKind::Number(n) => {
            let s = format!("{n}");
            s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
        }
        ExprKind::List(items) => {
            let inner: Vec<String> = items.iter().map(short).collect();
            format!("[{}]", inner.join(", "))
        }
        _ => "...".to_string(),
    }
}
