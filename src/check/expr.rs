//! Typing expressions against the lead schema.
//!
//! [`Checker::type_of`] returns the type of an expression and reports every
//! problem inside it: unknown fields and names, operands that do not fit,
//! functions called wrongly, enum values that do not exist.

use crate::ast::*;
use crate::diag::{self, Code, Diagnostic};
use crate::types::Ty;

use super::{resolve_in, Checker, Kind};

/// Where an expression is being typed.
#[derive(Default)]
pub(crate) struct Scope {
    /// Lambda parameters in scope, innermost last.
    pub(crate) vars: Vec<(String, Ty)>,
    /// Signals and scores this expression uses by name (for cycle checks).
    pub(crate) deps: Vec<(String, crate::span::Span)>,
}

/// The functions of the language: name, and a one-line signature for help.
pub(crate) const FUNCTIONS: &[(&str, &str)] = &[
    ("present", "present(field)"),
    ("count", "count(list) or count(list, x -> condition)"),
    ("any", "any(list, x -> condition)"),
    ("all", "all(list, x -> condition)"),
    ("since", "since(timestamp)"),
    ("lower", "lower(text)"),
    ("upper", "upper(text)"),
    ("trim", "trim(text)"),
    ("matches", "matches(text, \"regex\")"),
    ("contains", "contains(text, \"part\")"),
    ("starts_with", "starts_with(text, \"prefix\")"),
    ("ends_with", "ends_with(text, \"suffix\")"),
    ("length", "length(text)"),
    ("days", "days(duration)"),
    ("hours", "hours(duration)"),
    ("minutes", "minutes(duration)"),
    ("min", "min(a, b)"),
    ("max", "max(a, b)"),
];

impl Checker {
    /// Types a condition: it must be a bool.
    pub(crate) fn condition(&mut self, e: &Expr, scope: &mut Scope, what: &str) {
        let t = self.type_of(e, scope);
        if t != Ty::Bool && t != Ty::Unknown {
            let mut d = Diagnostic::new(
                Code::NotACondition,
                e.span,
                format!("{what} must be a condition, but this is a {t}"),
            )
            .label(format!("a {t}, not true or false"));
            d = match &t {
                Ty::Timestamp | Ty::String | Ty::Email | Ty::Enum(_) | Ty::List(_) => d
                    .help("to test that the field has a value, write `present(...)`")
                    .suggest(e.span, format!("present({})", self.snippet(e))),
                Ty::Int | Ty::Number => d.help("compare it with a value, e.g. `>= 40`"),
                _ => d.help("write a comparison such as `x >= 40` or a signal name"),
            };
            self.push(d);
        }
    }

    fn snippet(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Path(p) => p.dotted(),
            _ => "...".into(),
        }
    }

    pub(crate) fn type_of(&mut self, e: &Expr, scope: &mut Scope) -> Ty {
        match &e.kind {
            ExprKind::Number(n) => {
                if n.fract() == 0.0 {
                    Ty::Int
                } else {
                    Ty::Number
                }
            }
            ExprKind::Str(_) => Ty::String,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Duration(_) => Ty::Duration,
            ExprKind::Timestamp(_) | ExprKind::Now => Ty::Timestamp,
            ExprKind::Path(p) => self.path_type(p, scope),
            ExprKind::List(items) => {
                let mut elem = Ty::Unknown;
                for it in items {
                    let t = self.type_of(it, scope);
                    if elem == Ty::Unknown {
                        elem = t;
                    } else if !elem.comparable(&t) {
                        self.push(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                it.span,
                                format!("this list mixes {elem} and {t} values"),
                            )
                            .label(format!("a {t}"))
                            .help("put values of one type in a list"),
                        );
                    }
                }
                Ty::List(Box::new(elem))
            }
            ExprKind::Unary(UnOp::Not, inner) => {
                self.condition(inner, scope, "the operand of `not`");
                self.lint_negated_optional(inner, scope);
                Ty::Bool
            }
            ExprKind::Unary(UnOp::Neg, inner) => {
                let t = self.type_of(inner, scope);
                if !t.is_numeric() && t != Ty::Duration {
                    self.push(
                        Diagnostic::new(Code::TypeMismatch, e.span, format!("cannot negate a {t}"))
                            .label("`-` needs a number or a duration")
                            .help("only numbers and durations have a sign"),
                    );
                    return Ty::Unknown;
                }
                t
            }
            ExprKind::Binary(op, l, r) => self.binary(e, *op, l, r, scope),
            ExprKind::Call(name, args) => self.call(e, name, args, scope),
            ExprKind::Lambda(param, _) => {
                self.push(
                    Diagnostic::new(
                        Code::MisplacedLambda,
                        e.span,
                        format!(
                            "`{} -> ...` can only be an argument of count, any or all",
                            param.name
                        ),
                    )
                    .label("a condition over list items, outside a list function")
                    .help("write it inside `any(list, x -> ...)`, `all(...)` or `count(...)`"),
                );
                Ty::Unknown
            }
            ExprKind::All(items) | ExprKind::Any(items) => {
                for it in items {
                    self.condition(it, scope, "each entry of `all { }` and `any { }`");
                }
                Ty::Bool
            }
            ExprKind::AtLeast(n, items) => {
                for it in items {
                    self.condition(it, scope, "each entry of `at least N of { }`");
                }
                if *n as usize > items.len() {
                    self.push(
                        Diagnostic::new(Code::NeverReady, e.span, format!("`at least {n} of` lists only {} conditions, so it can never be true", items.len()))
                            .label("not enough conditions")
                            .help(format!("lower the number to at most {}, or add conditions", items.len())),
                    );
                }
                Ty::Bool
            }
        }
    }

    /// The type of a path: a lambda variable, a signal or score, or a field.
    pub(crate) fn path_type(&mut self, p: &Path, scope: &mut Scope) -> Ty {
        let first = &p.segments[0];
        if let Some((_, ty)) = scope.vars.iter().rev().find(|(n, _)| *n == first.name) {
            let ty = ty.clone();
            if p.segments.len() == 1 {
                return ty;
            }
            return match &ty {
                Ty::Record(r) => match resolve_in(r, &p.segments[1..]) {
                    Ok(fields) => fields.last().map(|f| f.ty.clone()).unwrap_or(Ty::Unknown),
                    Err(i) => {
                        let rec_names: Vec<String> = record_at(r, &p.segments[1..], i)
                            .map(|r| r.names().map(String::from).collect())
                            .unwrap_or_default();
                        self.unknown_field(p, i + 1, &rec_names);
                        Ty::Unknown
                    }
                },
                other => {
                    self.push(
                        Diagnostic::new(
                            Code::UnknownField,
                            p.span,
                            format!("`{}` is a {other}, which has no fields", first.name),
                        )
                        .label("no fields here")
                        .help(format!("use `{}` itself", first.name)),
                    );
                    Ty::Unknown
                }
            };
        }
        if p.segments.len() == 1 {
            if self.is_defined(Kind::Signal, &first.name) {
                self.mark_used(Kind::Signal, &first.name);
                scope.deps.push((first.name.clone(), first.span));
                return Ty::Bool;
            }
            if self.is_defined(Kind::Score, &first.name) {
                self.mark_used(Kind::Score, &first.name);
                scope.deps.push((first.name.clone(), first.span));
                return Ty::Number;
            }
        }
        match self.p.resolve_field(p) {
            Ok(fields) => fields.last().map(|f| f.ty.clone()).unwrap_or(Ty::Unknown),
            Err(i) => {
                if i == 0 {
                    let top = self.top_names();
                    if scope.vars.is_empty() {
                        self.unknown_field(p, i, &top);
                    } else {
                        let mut names: Vec<String> = top.to_vec();
                        names.extend(scope.vars.iter().map(|(n, _)| n.clone()));
                        names.sort();
                        self.unknown_field(p, i, &names);
                    }
                } else {
                    let schema = self.p.schema.clone();
                    let mut names: Vec<String> = record_at(&schema, &p.segments, i)
                        .map(|r| r.names().map(String::from).collect())
                        .unwrap_or_default();
                    names.sort();
                    self.unknown_field(p, i, &names);
                }
                Ty::Unknown
            }
        }
    }

    /// Reports segment `i` of `p` as unknown, suggesting a close name.
    pub(crate) fn unknown_field(&mut self, p: &Path, i: usize, candidates: &[String]) {
        let seg = &p.segments[i.min(p.segments.len() - 1)];
        let written = p.dotted();
        if self.p.schema_decl.is_none() {
            // no schema: one diagnostic says so; do not repeat it per path
            return;
        }
        let (code, what) = if p.segments.len() == 1 {
            (Code::UnknownName, "name")
        } else {
            (Code::UnknownField, "field")
        };
        let mut d = Diagnostic::new(code, p.span, format!("unknown {what} `{written}`"));
        if i >= p.segments.len() {
            d = d.label("not a record, so it has no fields");
        } else {
            d = d.label(format!("`{}` is not defined here", seg.name));
        }
        // `== yes`: the truth values are `true` and `false`
        if p.segments.len() == 1 && i == 0 {
            let truth = match seg.name.to_ascii_lowercase().as_str() {
                "yes" | "y" | "true" | "on" => Some("true"),
                "no" | "n" | "false" | "off" => Some("false"),
                _ => None,
            };
            if let Some(t) = truth {
                d.message = format!("{}; yes and no are written `true` and `false`", d.message);
                d = d.help(format!("write `{t}`")).suggest(p.span, t);
                self.push(d);
                return;
            }
        }
        // `lead.contact.email`: paths start below the lead
        if i == 0
            && matches!(seg.name.as_str(), "lead" | "Lead" | "leads")
            && p.segments
                .get(1)
                .is_some_and(|n| candidates.contains(&n.name))
        {
            let fixed: Vec<&str> = p.segments[1..].iter().map(|s| s.name.as_str()).collect();
            let fixed = fixed.join(".");
            d.message = format!("{}; paths start below the lead", d.message);
            d = d
                .help(format!(
                    "drop `{}.`: write `{fixed}`; a path names a field of the lead, so it never starts with `lead`",
                    seg.name
                ))
                .suggest(p.span, fixed);
            self.push(d);
            return;
        }
        match self.suggest(&seg.name, candidates) {
            diag::Near::One(s) => {
                let mut fixed: Vec<String> = p.segments.iter().map(|s| s.name.clone()).collect();
                if i < fixed.len() {
                    fixed[i] = s;
                }
                let fixed = fixed.join(".");
                d.message = format!("{}; did you mean `{fixed}`?", d.message);
                d = d
                    .help(format!("replace it with `{fixed}`"))
                    .suggest(p.span, fixed);
            }
            diag::Near::Several(close) => {
                let close: Vec<String> = close
                    .into_iter()
                    .map(|s| {
                        let mut fixed: Vec<String> =
                            p.segments.iter().map(|s| s.name.clone()).collect();
                        if i < fixed.len() {
                            fixed[i] = s;
                        }
                        fixed.join(".")
                    })
                    .collect();
                d = d.help(super::choose_among(&close, what));
            }
            diag::Near::None => {
                // candidates come sorted: the first few, without sorting
                // thousands of names for each of thousands of errors
                let c: Vec<&str> = candidates.iter().take(10).map(String::as_str).collect();
                let more = match candidates.len().saturating_sub(c.len()) {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                let declare = if i == 0 || p.segments.len() == 1 {
                    format!(
                        "declare it in the `lead {{ }}` schema, e.g. `{}: string?`",
                        seg.name
                    )
                } else {
                    format!(
                        "declare it in the `lead {{ }}` schema inside `{}`, e.g. `{}: string?`",
                        p.segments[..i.min(p.segments.len())]
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(" { "),
                        seg.name
                    )
                };
                d = if c.is_empty() {
                    d.help(declare)
                } else {
                    d.help(format!(
                        "nothing declared is close: {declare}; the names here are {}{more}",
                        c.join(", ")
                    ))
                };
            }
        }
        self.push(d);
    }

    fn binary(&mut self, e: &Expr, op: BinOp, l: &Expr, r: &Expr, scope: &mut Scope) -> Ty {
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
            (Ty::Timestamp, b) | (b, Ty::Timestamp) if b.is_stringy() => "write the date without quotes, e.g. `2025-01-01` or `2025-01-01T00:00:00Z`".to_string(),
            (a, b) if (a.is_numeric() && b.is_stringy()) || (a.is_stringy() && b.is_numeric()) => {
                "compare numbers with numbers: remove the quotes around a number, or compare with a text field".to_string()
            }
            (Ty::Timestamp, _) | (_, Ty::Timestamp) => "to compare a timestamp with a duration write `since(field) > 14d`".to_string(),
            (Ty::Bool, _) | (_, Ty::Bool) => "use the condition itself, or `not` it, instead of comparing it".to_string(),
            _ => format!("both sides of `{}` must have the same type", op.symbol()),
        };
        self.push(
            Diagnostic::new(
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
            .help(help),
        );
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

    fn call(&mut self, e: &Expr, name: &Ident, args: &[Expr], scope: &mut Scope) -> Ty {
        let Some((_, sig)) = FUNCTIONS.iter().find(|(n, _)| *n == name.name) else {
            for a in args {
                if !matches!(a.kind, ExprKind::Lambda(..)) {
                    self.type_of(a, scope);
                }
            }
            let mut d = Diagnostic::new(
                Code::UnknownFunction,
                name.span,
                format!("unknown function `{}`", name.name),
            )
            .label("not a function of the language");
            match diag::did_you_mean(&name.name, FUNCTIONS.iter().map(|(n, _)| *n)) {
                Some(s) => d = d.help(format!("did you mean `{s}`?")).suggest(name.span, s),
                None => {
                    let all: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
                    d = d.help(format!("the functions are: {}", all.join(", ")));
                }
            }
            self.push(d);
            return Ty::Unknown;
        };
        let fname = name.name.as_str();
        let bad = |cx: &mut Checker, span, msg: String| {
            cx.push(
                Diagnostic::new(Code::BadArguments, span, msg)
                    .label("wrong arguments")
                    .help(format!("write `{sig}`")),
            );
        };
        let arity: &[usize] = match fname {
            "count" => &[1, 2],
            "any" | "all" | "matches" | "contains" | "starts_with" | "ends_with" | "min"
            | "max" => &[2],
            _ => &[1],
        };
        if !arity.contains(&args.len()) {
            bad(
                self,
                e.span,
                format!(
                    "`{fname}` takes {} argument{}, not {}",
                    arity[arity.len() - 1],
                    if arity[arity.len() - 1] == 1 { "" } else { "s" },
                    args.len()
                ),
            );
            return Ty::Unknown;
        }
        match fname {
            "present" => {
                if !matches!(args[0].kind, ExprKind::Path(_)) {
                    bad(
                        self,
                        args[0].span,
                        "`present` tests a field, so its argument must be a field path".into(),
                    );
                }
                self.value(&args[0], scope);
                Ty::Bool
            }
            "count" | "any" | "all" => {
                let lt = self.value(&args[0], scope);
                let elem = match &lt {
                    Ty::List(e) => (**e).clone(),
                    Ty::Unknown => Ty::Unknown,
                    other => {
                        self.push(
                            Diagnostic::new(
                                Code::NotAList,
                                args[0].span,
                                format!("`{fname}` needs a list, but this is a {other}"),
                            )
                            .label("not a list")
                            .help(if fname == "count" {
                                "to test that a single field has a value, use `present(...)`"
                            } else {
                                "these functions look at the items of a list field"
                            }),
                        );
                        Ty::Unknown
                    }
                };
                if let Some(pred) = args.get(1) {
                    match &pred.kind {
                        ExprKind::Lambda(param, body) => {
                            scope.vars.push((param.name.clone(), elem));
                            self.condition(body, scope, "the body of a list condition");
                            scope.vars.pop();
                        }
                        _ => bad(self, pred.span, format!("the second argument of `{fname}` is a condition on each item, like `x -> x.kind == \"demo_request\"`")),
                    }
                } else if fname != "count" {
                    bad(
                        self,
                        e.span,
                        format!("`{fname}` needs a condition on each item"),
                    );
                }
                if fname == "count" {
                    Ty::Int
                } else {
                    Ty::Bool
                }
            }
            "since" => {
                let t = self.value(&args[0], scope);
                if t != Ty::Timestamp && t != Ty::Unknown {
                    self.push(
                        Diagnostic::new(
                            Code::NotATimestamp,
                            args[0].span,
                            format!("`since` needs a timestamp, but this is a {t}"),
                        )
                        .label(format!("a {t}"))
                        .help("`since(x)` is the time elapsed from the timestamp `x` until now"),
                    );
                }
                Ty::Duration
            }
            "lower" | "upper" | "trim" | "length" => {
                self.stringy(fname, &args[0], scope);
                if fname == "length" {
                    Ty::Int
                } else {
                    Ty::String
                }
            }
            "matches" | "contains" | "starts_with" | "ends_with" => {
                if fname == "contains" && short(&args[1]) != "..." {
                    if let Ty::List(_) = self.type_of(&args[0], scope) {
                        let written = format!("{} in {}", short(&args[1]), short(&args[0]));
                        self.push(
                            Diagnostic::new(
                                Code::BadArguments,
                                args[0].span,
                                "`contains` looks for text in text; this is a list",
                            )
                            .label("a list")
                            .help(format!(
                                "to test whether a list holds a value write `{written}`"
                            ))
                            .suggest(e.span, written),
                        );
                        return Ty::Bool;
                    }
                }
                self.stringy(fname, &args[0], scope);
                self.stringy(fname, &args[1], scope);
                if fname == "matches" {
                    match &args[1].kind {
                        ExprKind::Str(re) => {
                            if let Err(err) = regex::Regex::new(re) {
                                self.push(
                                    Diagnostic::new(Code::InvalidRegex, args[1].span, "this regular expression is not valid")
                                        .label(first_line(&err.to_string()))
                                        .help("fix the pattern; remember that a backslash is written `\\\\` inside a string"),
                                );
                            }
                        }
                        _ => bad(
                            self,
                            args[1].span,
                            "the pattern of `matches` must be a string literal".into(),
                        ),
                    }
                }
                Ty::Bool
            }
            "days" | "hours" | "minutes" => {
                let t = self.value(&args[0], scope);
                if t != Ty::Duration && t != Ty::Unknown {
                    bad(
                        self,
                        args[0].span,
                        format!("`{fname}` converts a duration to a number, but this is a {t}"),
                    );
                }
                Ty::Number
            }
            "min" | "max" => {
                let a = self.value(&args[0], scope);
                let b = self.value(&args[1], scope);
                if !a.orderable(&b) {
                    bad(self, e.span, format!("`{fname}` needs two numbers, durations or timestamps, not a {a} and a {b}"));
                    return Ty::Unknown;
                }
                if a == Ty::Unknown || (a == Ty::Int && b == Ty::Number) {
                    b
                } else {
                    a
                }
            }
            _ => unreachable!("function table and match agree"),
        }
    }

    /// Types an argument that must be a value, not a lambda.
    fn value(&mut self, e: &Expr, scope: &mut Scope) -> Ty {
        self.type_of(e, scope)
    }

    fn stringy(&mut self, fname: &str, e: &Expr, scope: &mut Scope) {
        let t = self.value(e, scope);
        if !t.is_stringy() {
            self.push(
                Diagnostic::new(
                    Code::BadArguments,
                    e.span,
                    format!("`{fname}` works on text, but this is a {t}"),
                )
                .label(format!("a {t}"))
                .help("pass a string, email or enum field"),
            );
        }
    }

    /// `not (x > 5)` on an optional `x` is not met when `x` is missing,
    /// which authors rarely expect.
    fn lint_negated_optional(&mut self, inner: &Expr, scope: &Scope) {
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

/// The record reached after `segments[..i]`, to suggest names from it.
fn record_at<'a>(
    root: &'a crate::types::RecordTy,
    segments: &[Ident],
    i: usize,
) -> Option<&'a crate::types::RecordTy> {
    let mut rec = root;
    for seg in &segments[..i.min(segments.len())] {
        match rec.field(&seg.name).map(|(_, f)| &f.ty) {
            Some(Ty::Record(r)) => rec = r,
            _ => return None,
        }
    }
    Some(rec)
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
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
fn short(e: &Expr) -> String {
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
