//! Lowering of expressions: operator precedence by pest's Pratt parser,
//! primaries, and the depth limit that keeps the AST shallow enough to walk.

use std::sync::OnceLock;

use pest::iterators::Pairs;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::{next, Lower, Rule, P};
use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;
use crate::syntax::MAX_EXPR_DEPTH;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or_op, Assoc::Left))
            .op(Op::infix(Rule::and_op, Assoc::Left))
            .op(Op::prefix(Rule::not_op))
            .op(Op::infix(Rule::eq_op, Assoc::Left)
                | Op::infix(Rule::ne_op, Assoc::Left)
                | Op::infix(Rule::lt_op, Assoc::Left)
                | Op::infix(Rule::le_op, Assoc::Left)
                | Op::infix(Rule::gt_op, Assoc::Left)
                | Op::infix(Rule::ge_op, Assoc::Left)
                | Op::infix(Rule::in_op, Assoc::Left)
                | Op::infix(Rule::not_in_op, Assoc::Left)
                | Op::infix(Rule::assign_err, Assoc::Left))
            .op(Op::infix(Rule::add_op, Assoc::Left) | Op::infix(Rule::sub_op, Assoc::Left))
            .op(Op::infix(Rule::mul_op, Assoc::Left) | Op::infix(Rule::div_op, Assoc::Left))
            .op(Op::prefix(Rule::neg))
    })
}

impl Lower<'_> {
    pub(super) fn expr(&mut self, p: P<'_>) -> Expr {
        self.expr_d(p).0
    }

    /// Lowers an expression and returns its depth (for the nesting limit).
    fn expr_d(&mut self, p: P<'_>) -> (Expr, usize) {
        assert_eq!(p.as_rule(), Rule::expr);
        let span = self.span(&p);
        // pest's Pratt parser recurses once per prefix operator: a run of
        // `not` or `-` longer than the depth limit is refused before it
        // runs (every other operator is bounded by the limit below, and
        // brackets by the pre-flight in `syntax`)
        if let Some(run) = long_prefix_run(&p) {
            let at = Span::new(self.file, self.offset + run.0, self.offset + run.1);
            self.error(
                Diagnostic::new(
                    Code::TooDeep,
                    at,
                    format!("this expression nests more than {MAX_EXPR_DEPTH} operators deep"),
                )
                .label("a long run of `not` or `-`")
                .help("`not not x` is `x`: write each `not` or `-` once, and split the condition into named signals"),
            );
            return (
                Expr {
                    kind: ExprKind::Bool(false),
                    span,
                },
                1,
            );
        }
        // The Pratt closures cannot borrow `self` mutably all at once, so
        // diagnostics go through a RefCell for the duration of the climb.
        let this = std::cell::RefCell::new(&mut *self);
        let result = pratt()
            .map_primary(|prim| this.borrow_mut().primary(prim))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = this.borrow().span(&op).to(rhs.0.span);
                let o = if op.as_rule() == Rule::not_op {
                    UnOp::Not
                } else {
                    UnOp::Neg
                };
                deeper(span, rhs.1 + 1, |_| ExprKind::Unary(o, Box::new(rhs.0)))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let depth = lhs.1.max(rhs.1) + 1;
                let span = lhs.0.span.to(rhs.0.span);
                let o = this.borrow_mut().bin_op(&op);
                deeper(span, depth, |_| {
                    ExprKind::Binary(o, Box::new(lhs.0), Box::new(rhs.0))
                })
            })
            .parse(p.into_inner());
        match result {
            Ok(r) => r,
            Err(at) => {
                self.error(
                    Diagnostic::new(
                        Code::TooDeep,
                        at,
                        format!("this expression nests more than {MAX_EXPR_DEPTH} operators deep"),
                    )
                    .label("too deep here")
                    .help(
                        "split the condition into named signals; each can use the others by name",
                    ),
                );
                (
                    Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    },
                    1,
                )
            }
        }
    }

    fn bin_op(&mut self, op: &P<'_>) -> BinOp {
        match op.as_rule() {
            Rule::or_op => BinOp::Or,
            Rule::and_op => BinOp::And,
            Rule::eq_op => BinOp::Eq,
            Rule::ne_op => BinOp::Ne,
            Rule::lt_op => BinOp::Lt,
            Rule::le_op => BinOp::Le,
            Rule::gt_op => BinOp::Gt,
            Rule::ge_op => BinOp::Ge,
            Rule::in_op => BinOp::In,
            Rule::not_in_op => BinOp::NotIn,
            Rule::add_op => BinOp::Add,
            Rule::sub_op => BinOp::Sub,
            Rule::mul_op => BinOp::Mul,
            Rule::div_op => BinOp::Div,
            Rule::assign_err => {
                let span = self.span(op);
                self.error(
                    Diagnostic::new(Code::AssignForEquals, span, "`=` cannot compare two values")
                        .label("write `==` to compare")
                        .help("conditions compare with `==`; a single `=` only defines a signal, score or metric")
                        .suggest(span, "=="),
                );
                BinOp::Eq
            }
            r => unreachable!("operator {r:?}"),
        }
    }

    /// Lowers a primary; the `usize` is the expression depth for the limit.
    fn primary(&mut self, p: P<'_>) -> Result<(Expr, usize), Span> {
        let span = self.span(&p);
        let mut depth = 1;
        let kind = match p.as_rule() {
            Rule::paren => {
                let mut inner = p.into_inner();
                let (e, d) = self.expr_d(next(&mut inner, Rule::expr));
                return deeper(span, d + 1, |_| e.kind);
            }
            Rule::list_lit => ExprKind::List(self.exprs(p.into_inner(), &mut depth)),
            Rule::all_block => ExprKind::All(self.exprs(p.into_inner(), &mut depth)),
            Rule::any_block => ExprKind::Any(self.exprs(p.into_inner(), &mut depth)),
            Rule::at_least_block => {
                let mut inner = p.into_inner();
                let (n, _) = self.int(next(&mut inner, Rule::int));
                ExprKind::AtLeast(n, self.exprs(inner, &mut depth))
            }
            Rule::call => {
                let mut inner = p.into_inner();
                let name = self.ident(next(&mut inner, Rule::fn_name));
                let mut args = Vec::new();
                for a in inner {
                    args.push(match a.as_rule() {
                        Rule::lambda => {
                            let lspan = self.span(&a);
                            let mut li = a.into_inner();
                            let param = self.ident(next(&mut li, Rule::ident));
                            let (body, d) = self.expr_d(next(&mut li, Rule::expr));
                            depth = depth.max(d + 2);
                            Expr {
                                kind: ExprKind::Lambda(param, Box::new(body)),
                                span: lspan,
                            }
                        }
                        _ => {
                            let (e, d) = self.expr_d(a);
                            depth = depth.max(d + 1);
                            e
                        }
                    });
                }
                ExprKind::Call(name, args)
            }
            Rule::timestamp => ExprKind::Timestamp(self.timestamp(&p)),
            Rule::date => {
                let d = self.date(p);
                let ts = d
                    .date
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .map(|z| z.timestamp())
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                ExprKind::Timestamp(ts)
            }
            Rule::duration => ExprKind::Duration(self.duration_seconds(p.as_str(), span)),
            Rule::percent => {
                let v: f64 = p.as_str().trim_end_matches('%').parse().unwrap_or(0.0);
                ExprKind::Number(v / 100.0)
            }
            Rule::number => ExprKind::Number(self.number_value(&p)),
            Rule::string => ExprKind::Str(self.string(p).value),
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::now_lit => ExprKind::Now,
            Rule::path => ExprKind::Path(self.path(p)),
            r => unreachable!("primary {r:?}"),
        };
        deeper(span, depth, |_| kind)
    }

    fn exprs(&mut self, inner: Pairs<'_, Rule>, depth: &mut usize) -> Vec<Expr> {
        let mut out = Vec::new();
        for p in inner.filter(|p| p.as_rule() == Rule::expr) {
            let (e, d) = self.expr_d(p);
            *depth = (*depth).max(d + 1);
            out.push(e);
        }
        out
    }
}

/// The first run of more than [`MAX_EXPR_DEPTH`] prefix operators among
/// the direct children of an `expr` pair, as byte offsets in the parsed text.
fn long_prefix_run(p: &P<'_>) -> Option<(usize, usize)> {
    let (mut run, mut start) = (0usize, 0usize);
    for c in p.clone().into_inner() {
        if matches!(c.as_rule(), Rule::not_op | Rule::neg) {
            if run == 0 {
                start = c.as_span().start();
            }
            run += 1;
            if run > MAX_EXPR_DEPTH {
                return Some((start, c.as_span().end()));
            }
        } else {
            run = 0;
        }
    }
    None
}

/// Builds a node one level deeper, or fails once the depth limit is passed
/// (the children are then dropped while still shallow).
fn deeper(
    span: Span,
    depth: usize,
    make: impl FnOnce(()) -> ExprKind,
) -> Result<(Expr, usize), Span> {
    if depth > MAX_EXPR_DEPTH {
        return Err(span);
    }
    Ok((
        Expr {
            kind: make(()),
            span,
        },
        depth,
    ))
}
