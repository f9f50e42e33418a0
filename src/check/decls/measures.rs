//! Checks of the numbers a policy computes: scores (points per lead, cap,
//! decay) and metrics (a value or a share across leads, and its target).

use crate::ast::*;
use crate::check::expr::Scope;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::types::Ty;

impl Checker {
    pub(super) fn check_score(&mut self, s: &Score) {
        let mut scope = Scope::default();
        for t in &s.terms {
            if t.per {
                let ty = self.type_of(&t.expr, &mut scope);
                if !ty.is_numeric() {
                    self.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            t.expr.span,
                            format!("`points ... per` needs a number, but this is a {ty}"),
                        )
                        .label(format!("a {ty}"))
                        .help(
                            "use `per` with a count or a number field, and `when` with a condition",
                        ),
                    );
                }
            } else {
                self.condition(&t.expr, &mut scope, "`points ... when`");
            }
        }
        if let Some(cap) = s.cap.first() {
            if cap.value <= 0.0 {
                self.push(
                    Diagnostic::new(
                        Code::NonPositive,
                        cap.span,
                        "a score cap must be above zero",
                    )
                    .label("no score could reach it")
                    .help("set the cap to the highest score that should count, e.g. `cap 100`"),
                );
            }
        }
        if let Some(second) = s.cap.get(1) {
            self.duplicate_entry(second.span, "cap");
        }
        if let Some(second) = s.decay.get(1) {
            self.duplicate_entry(second.span, "decay");
        }
        if let Some(d) = s.decay.first() {
            if d.half_life.seconds <= 0 {
                self.push(
                    Diagnostic::new(
                        Code::DelayNotPositive,
                        d.half_life.span,
                        "a half-life must be longer than zero",
                    )
                    .label("zero")
                    .help("give the time after which the score counts half, e.g. `half_life 30d`"),
                );
            }
            self.timestamp_field(&d.since, "decay");
        }
        self.record_deps(&s.name.name, scope);
    }

    pub(super) fn check_metric(&mut self, m: &Metric) {
        let mut scope = Scope::default();
        let value_ty = match &m.body {
            MetricBody::Value(e) => {
                let t = self.type_of(e, &mut scope);
                if !matches!(t, Ty::Duration | Ty::Int | Ty::Number | Ty::Unknown) {
                    self.push(
                        Diagnostic::new(Code::MetricType, e.span, format!("a metric measures a duration or a number, but this is a {t}"))
                            .label(format!("a {t}"))
                            .help("subtract two timestamps for a duration, e.g. `lifecycle.first_contact_at - lifecycle.handed_off_at`, or use `share of <condition>`"),
                    );
                    Ty::Unknown
                } else {
                    t
                }
            }
            MetricBody::Share { of, among } => {
                self.condition(of, &mut scope, "`share of`");
                if let Some(a) = among {
                    self.condition(a, &mut scope, "`among`");
                }
                Ty::Number
            }
        };
        if let Some(target) = &m.target {
            // `share of ... target >= 70`: a share is a fraction, so 70 is
            // 7000%; the author meant 70%
            if let (MetricBody::Share { .. }, ExprKind::Number(v)) = (&m.body, &target.value.kind) {
                if *v > 1.0 && *v <= 100.0 {
                    let fixed = format!("{}%", num(*v));
                    self.push(
                        Diagnostic::new(
                            Code::MetricType,
                            target.value.span,
                            format!(
                                "a share is between 0% and 100%, so `{}` would be {}%",
                                num(*v),
                                num(*v * 100.0)
                            ),
                        )
                        .label("a whole number")
                        .help(format!(
                            "write `{fixed}` (or the fraction `{}`)",
                            num(*v / 100.0)
                        ))
                        .suggest(target.value.span, fixed),
                    );
                    return;
                }
            }
            let tt = self.type_of(&target.value, &mut scope);
            let fits = match (&value_ty, &tt) {
                (Ty::Unknown, _) | (_, Ty::Unknown) => true,
                (Ty::Duration, Ty::Duration) => true,
                (a, b) if a.is_numeric() && b.is_numeric() => true,
                _ => false,
            };
            if !fits {
                let mut d = Diagnostic::new(
                    Code::MetricType,
                    target.value.span,
                    format!("the target is a {tt}, but the metric is a {value_ty}"),
                )
                .label(format!("a {tt}"));
                if value_ty == Ty::Duration {
                    if let ExprKind::Number(v) = target.value.kind {
                        d = d.suggest(target.value.span, format!("{}h", v as i64));
                    }
                    d = d.help("give the target a unit, e.g. `target <= 4h`");
                } else {
                    d = d.help("give a number or a percentage, e.g. `target >= 40%`");
                }
                self.push(d);
            }
        }
    }
}

/// A number as an author writes it: `70`, `0.7`, `7000`.
fn num(v: f64) -> String {
    let s = format!("{:.4}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
