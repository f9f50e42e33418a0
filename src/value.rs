//! Runtime values of the evaluator.

use std::sync::Arc;

use smol_str::SmolStr;

use std::fmt;

use serde::{Serialize, Serializer};

/// A value read from a lead or computed by an expression. `Missing` is
/// also the "unknown" of three-valued logic.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Val {
    #[default]
    Missing,
    Bool(bool),
    Num(f64),
    Str(SmolStr),
    Ts(jiff::Timestamp),
    /// A duration in seconds.
    Dur(f64),
    /// A list's items: a window on an array the reader may share among
    /// the lead's lists (build one with `Val::List(vec.into())` or
    /// `Val::List(Fields::new(arc))`; it reads as a `&[Val]`).
    List(Fields),
    /// A list element that is an object: its projected fields by slot.
    Rec(Fields),
}

/// The items of a list, or the projected fields of one record: a window on
/// a shared array of cells, so that all the records of a list live in one
/// allocation, and all the lists of a lead in another (a lead with three
/// lists of strings and six activities costs two allocations, not ten).
#[derive(Clone)]
pub struct Fields {
    cells: Arc<[Val]>,
    start: u32,
    len: u32,
}

impl Fields {
    /// Fields that own all of `cells`.
    pub fn new(cells: Arc<[Val]>) -> Fields {
        let len = u32::try_from(cells.len()).unwrap_or(u32::MAX);
        Fields {
            cells,
            start: 0,
            len,
        }
    }

    /// The `len` cells of `cells` from `start` (a range past the end is
    /// cut to what exists).
    pub fn window(cells: &Arc<[Val]>, start: usize, len: usize) -> Fields {
        let start = start.min(cells.len());
        let len = len.min(cells.len() - start);
        Fields {
            cells: cells.clone(),
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(len).unwrap_or(0),
        }
    }

    /// The `len` fields of this window from its `start` (a range past its
    /// end is cut to what exists).
    pub fn sub(&self, start: usize, len: usize) -> Fields {
        let start = start.min(self.len as usize);
        let len = len.min(self.len as usize - start);
        // within this window, so within `cells` (no second clamp: this is
        // per record of a list)
        Fields {
            cells: self.cells.clone(),
            start: self.start + start as u32,
            len: len as u32,
        }
    }
}

impl From<Arc<[Val]>> for Fields {
    fn from(items: Arc<[Val]>) -> Fields {
        Fields::new(items)
    }
}

impl From<Vec<Val>> for Fields {
    fn from(items: Vec<Val>) -> Fields {
        Fields::new(items.into())
    }
}

impl std::ops::Deref for Fields {
    type Target = [Val];
    fn deref(&self) -> &[Val] {
        let start = self.start as usize;
        self.cells
            .get(start..start + self.len as usize)
            .unwrap_or_default()
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Fields) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
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
            Val::Str(s) => s.as_str().into(),
            Val::Ts(t) => t.to_string().into(),
            Val::Dur(d) => format_duration(*d).into(),
            Val::List(items) => items.iter().map(Val::to_json).collect::<Vec<_>>().into(),
            Val::Rec(fields) => fields.iter().map(Val::to_json).collect::<Vec<_>>().into(),
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
    DurText::new(secs).as_str().to_string()
}

/// A compact duration formatted on the stack (no allocation): ASCII
/// digits, unit letters and a sign, so it never needs JSON escaping.
pub struct DurText {
    buf: [u8; 64],
    len: usize,
}

impl DurText {
    pub fn new(secs: f64) -> DurText {
        let mut t = DurText {
            buf: [0; 64],
            len: 0,
        };
        // `as` saturates: a huge or NaN value cannot overflow
        let mut s = secs.abs().round() as i64 as u64;
        if s == 0 {
            t.push(b"0s");
            return t;
        }
        if secs < 0.0 {
            t.push(b"-");
        }
        for (unit, len) in [(b"d", 86_400), (b"h", 3_600), (b"m", 60), (b"s", 1)] {
            if s >= len {
                let mut n = itoa::Buffer::new();
                t.push(n.format(s / len).as_bytes());
                t.push(unit);
                s %= len;
            }
        }
        t
    }

    fn push(&mut self, b: &[u8]) {
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    pub fn as_str(&self) -> &str {
        // only ASCII is ever pushed
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Serialize for Val {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self {
            Val::Missing => s.serialize_none(),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Num(n) => Number(*n).serialize(s),
            Val::Str(t) => s.serialize_str(t),
            Val::Ts(t) => s.collect_str(t),
            Val::Dur(d) => s.serialize_str(&format_duration(*d)),
            Val::List(_) | Val::Rec(_) => {
                let items: &[Val] = match self {
                    Val::List(items) => items,
                    Val::Rec(fields) => fields,
                    _ => &[],
                };
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

/// A number that prints without a fraction when it is whole.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number(pub f64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        if n.fract() == 0.0 && n.abs() < 9.0e15 {
            s.serialize_i64(n as i64)
        } else if n.is_finite() {
            s.serialize_f64(n)
        } else {
            s.serialize_none()
        }
    }
}
