//! Arithmetic on values, shared by constant folding (`compile`) and
//! evaluation (`eval`): one definition, so a folded constant is exactly
//! what the evaluator would have computed.

use crate::ir::ArithOp;
use crate::value::Val;

/// Arithmetic on values; `None` when the operation does not apply.
pub fn arith(op: ArithOp, l: &Val, r: &Val) -> Option<Val> {
    use Val::*;
    let ms = |d: f64| jiff::SignedDuration::from_millis((d * 1000.0).round() as i64);
    Some(match (op, l, r) {
        (_, Missing, _) | (_, _, Missing) => Missing,
        (ArithOp::Add, Num(a), Num(b)) => Num(a + b),
        (ArithOp::Sub, Num(a), Num(b)) => Num(a - b),
        (ArithOp::Mul, Num(a), Num(b)) => Num(a * b),
        (ArithOp::Div, Num(a), Num(b)) => {
            if *b == 0.0 {
                Missing
            } else {
                Num(a / b)
            }
        }
        (ArithOp::Sub, Ts(a), Ts(b)) => {
            Dur((a.as_millisecond() - b.as_millisecond()) as f64 / 1000.0)
        }
        (ArithOp::Add, Ts(a), Dur(d)) | (ArithOp::Add, Dur(d), Ts(a)) => {
            a.checked_add(ms(*d)).map(Ts).unwrap_or(Missing)
        }
        (ArithOp::Sub, Ts(a), Dur(d)) => a.checked_sub(ms(*d)).map(Ts).unwrap_or(Missing),
        (ArithOp::Add, Dur(a), Dur(b)) => Dur(a + b),
        (ArithOp::Sub, Dur(a), Dur(b)) => Dur(a - b),
        (ArithOp::Mul, Dur(a), Num(b)) | (ArithOp::Mul, Num(b), Dur(a)) => Dur(a * b),
        (ArithOp::Div, Dur(a), Num(b)) => {
            if *b == 0.0 {
                Missing
            } else {
                Dur(a / b)
            }
        }
        (ArithOp::Div, Dur(a), Dur(b)) => {
            if *b == 0.0 {
                Missing
            } else {
                Num(a / b)
            }
        }
        _ => return None,
    })
}
