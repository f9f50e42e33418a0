//! Function calls: the built-in functions, their arguments and lambdas.

use crate::ast::*;
use crate::diag::{self, Code, Diagnostic};
use crate::types::Ty;

use super::super::Checker;
use super::compare::short;
use super::{first_line, Scope, FUNCTIONS};

impl Checker {
    pub(super) fn call(&mut self, e: &Expr, name: &Ident, args: &[Expr], scope: &mut Scope) -> Ty {
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
            let joined = |op: &str| {
                args.iter()
                    .map(short)
                    .collect::<Vec<_>>()
                    .join(&format!(" {op} "))
            };
            let spreadsheet = match name.name.to_ascii_uppercase().as_str() {
                "AND" if args.len() > 1 => Some(joined("and")),
                "OR" if args.len() > 1 => Some(joined("or")),
                "NOT" if args.len() == 1 => Some(format!("not {}", short(&args[0]))),
                _ => None,
            };
            // a signal or score called like a function: `engaged()`
            let named = args.is_empty()
                && (self.is_defined(super::super::Kind::Signal, &name.name)
                    || self.is_defined(super::super::Kind::Score, &name.name));
            if let Some(fixed) = spreadsheet.filter(|f| !f.contains("...")) {
                d.message = format!(
                    "{}; conditions combine with `and`, `or` and `not`",
                    d.message
                );
                d = d.help(format!("write `{fixed}`")).suggest(e.span, fixed);
                self.push(d);
                return Ty::Unknown;
            }
            if named {
                d.message = format!("`{}` is a name, not a function", name.name);
                d = d
                    .help(format!("write `{}` without `()`", name.name))
                    .suggest(e.span, name.name.clone());
                self.push(d);
                return Ty::Unknown;
            }
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
}
