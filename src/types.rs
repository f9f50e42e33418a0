//! The types of lead fields and expressions.
//!
//! The checker builds a [`RecordTy`] from the `lead { }` schema and types
//! every expression against it; the compiler uses the same tree to lay out
//! the slots a lead is parsed into.

use std::fmt;
use std::sync::Arc;

use crate::span::Span;

/// A type of a field or an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    String,
    Int,
    Number,
    Bool,
    Timestamp,
    Duration,
    /// A string that must look like an email address.
    Email,
    /// A string from a fixed set of values.
    Enum(Arc<[smol_str::SmolStr]>),
    List(Box<Ty>),
    Record(Arc<RecordTy>),
    /// The type of an expression that already has an error: accepted
    /// everywhere so that one mistake is reported once.
    Unknown,
}

impl Ty {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Number | Ty::Unknown)
    }

    /// Strings, emails and enums compare with each other.
    pub fn is_stringy(&self) -> bool {
        matches!(self, Ty::String | Ty::Email | Ty::Enum(_) | Ty::Unknown)
    }

    /// Whether values of the two types can be compared with `==`.
    pub fn comparable(&self, other: &Ty) -> bool {
        use Ty::*;
        match (self, other) {
            (Unknown, _) | (_, Unknown) => true,
            (a, b) if a.is_numeric() && b.is_numeric() => true,
            (a, b) if a.is_stringy() && b.is_stringy() => true,
            (Bool, Bool) | (Timestamp, Timestamp) | (Duration, Duration) => true,
            (List(a), List(b)) => a.comparable(b),
            _ => false,
        }
    }

    /// Whether values of the two types can be ordered with `<`.
    pub fn orderable(&self, other: &Ty) -> bool {
        use Ty::*;
        match (self, other) {
            (Unknown, _) | (_, Unknown) => true,
            (a, b) if a.is_numeric() && b.is_numeric() => true,
            (Timestamp, Timestamp) | (Duration, Duration) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::String => f.write_str("string"),
            Ty::Int => f.write_str("int"),
            Ty::Number => f.write_str("number"),
            Ty::Bool => f.write_str("bool"),
            Ty::Timestamp => f.write_str("timestamp"),
            Ty::Duration => f.write_str("duration"),
            Ty::Email => f.write_str("email"),
            Ty::Enum(vals) => {
                f.write_str("enum(")?;
                for (i, v) in vals.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v:?}")?;
                }
                f.write_str(")")
            }
            Ty::List(t) => write!(f, "list<{t}>"),
            Ty::Record(_) => f.write_str("record"),
            Ty::Unknown => f.write_str("unknown"),
        }
    }
}

/// One field of a record type.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldTy {
    pub name: String,
    pub ty: Ty,
    pub optional: bool,
    pub span: Span,
}

/// A record: the lead itself, a nested object, or a list element.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RecordTy {
    pub fields: Vec<FieldTy>,
}

impl RecordTy {
    pub fn field(&self, name: &str) -> Option<(usize, &FieldTy)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }
}
