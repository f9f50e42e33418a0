//! Runtime values of the evaluator.

use std::sync::Arc;

use serde::Serialize;

/// A value read from a lead or computed by an expression. `Missing` is
/// also the "unknown" of three-valued logic.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Val {
    #[default]
    Missing,
    Bool(bool),
    Num(f64),
    Str(Arc<str>),
    Ts(jiff::Timestamp),
    /// A duration in seconds.
    Dur(f64),
    List(Arc<[Val]>),
    /// A list element that is an object: its projected fields by slot.
    Rec(Arc<[Val]>),
}

impl Val {
    /// Whether it is missing (JSON `null` in a decision).
    pub fn is_null(&self) -> bool {
        self.is_missing()
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Val::Missing)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// `true` only for `Bool(true)`: missing is "not met".
    pub fn is_true(&self) -> bool {
        matches!(self, Val::Bool(true))
    }

    /// The value as JSON, for decisions.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::Missing => serde_json::Value::Null,
            Val::Bool(b) => (*b).into(),
            Val::Num(n) => num_json(*n),
            Val::Str(s) => s.as_ref().into(),
            Val::Ts(t) => t.to_string().into(),
            Val::Dur(d) => format_duration(*d).into(),
            Val::List(items) | Val::Rec(items) => {
                items.iter().map(Val::to_json).collect::<Vec<_>>().into()
            }
        }
    }
}

/// Whole numbers print without a fraction.
pub fn num_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        (n as i64).into()
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Seconds as a compact duration: `1d4h`, `30m`, `-2h`, `0s`.
pub fn format_duration(secs: f64) -> String {
    let neg = secs < 0.0;
    let mut s = secs.abs().round() as i64;
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    for (unit, len) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if s >= len {
            out.push_str(&format!("{}{unit}", s / len));
            s %= len;
        }
    }
    out
}

impl Serialize for Val {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self {
            Val::Missing => s.serialize_none(),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Num(n) => crate::decision::Number(*n).serialize(s),
            Val::Str(t) => s.serialize_str(t),
            Val::Ts(t) => s.collect_str(t),
            Val::Dur(d) => s.serialize_str(&format_duration(*d)),
            Val::List(items) | Val::Rec(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items.iter() {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
        }
    }
}

impl std::fmt::Display for Val {
    /// The value as JSON text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_format_compactly() {
        assert_eq!(format_duration(0.0), "0s");
        assert_eq!(format_duration(90.0), "1m30s");
        assert_eq!(format_duration(86_400.0 + 4.0 * 3600.0), "1d4h");
        assert_eq!(format_duration(-7200.0), "-2h");
    }
}
