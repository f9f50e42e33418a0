//! Typing expressions against the lead schema.
//!
//! [`Checker::type_of`] returns the type of an expression and reports every
//! problem inside it: unknown fields and names, operands that do not fit,
//! functions called wrongly, enum values that do not exist.

use crate::ast::*;
use crate::diag::{self, Code, Diagnostic};
use crate::types::Ty;

use super::{resolve_in, Checker, Kind};

mod calls;
mod compare;

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
            diag::Near::None if i == 0 && !self.deeper_paths(&seg.name).is_empty() => {
                // `email` for `contact.email`: the field lives in a record
                let deeper = self.deeper_paths(&seg.name);
                let rest: Vec<&str> = p.segments[1..].iter().map(|s| s.name.as_str()).collect();
                let with_rest = |d: &str| {
                    if rest.is_empty() {
                        d.to_string()
                    } else {
                        format!("{d}.{}", rest.join("."))
                    }
                };
                match deeper.as_slice() {
                    [one] => {
                        let fixed = with_rest(one);
                        d.message = format!("{}; did you mean `{fixed}`?", d.message);
                        d = d
                            .help(format!("write the whole path from the lead: `{fixed}`"))
                            .suggest(p.span, fixed);
                    }
                    several => {
                        let listed: Vec<String> = several
                            .iter()
                            .map(|d| format!("`{}`", with_rest(d)))
                            .collect();
                        d = d.help(format!(
                            "fields with this name are inside records: {}; write the whole path of the one you mean",
                            listed.join(", ")
                        ));
                    }
                }
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

impl Checker {
    /// The dotted paths of schema fields inside records whose own name is
    /// `name` (case ignored), at most five, shortest first: `contact.email`
    /// for `email`.
    fn deeper_paths(&self, name: &str) -> Vec<String> {
        fn walk(
            r: &crate::types::RecordTy,
            prefix: &str,
            name: &str,
            out: &mut Vec<String>,
            depth: usize,
        ) {
            if depth > 8 {
                return;
            }
            for f in &r.fields {
                let path = if prefix.is_empty() {
                    f.name.clone()
                } else {
                    format!("{prefix}.{}", f.name)
                };
                if !prefix.is_empty() && f.name.eq_ignore_ascii_case(name) {
                    out.push(path.clone());
                }
                if let Ty::Record(inner) = &f.ty {
                    walk(inner, &path, name, out, depth + 1);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.p.schema, "", name, &mut out, 0);
        out.sort_by_key(|p| (p.matches('.').count(), p.clone()));
        out.truncate(5);
        out
    }
}
