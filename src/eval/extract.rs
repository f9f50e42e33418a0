//! Reading a lead: JSON -> slots, through the compiled projection.
//!
//! Only the fields the policy reads are converted. A value of the wrong
//! type, an unknown enum value, a malformed email or timestamp becomes
//! `Missing` plus a [`SchemaIssue`]; placeholders become `Missing` quietly.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::value::Val;
use crate::compile::ElemFrames;
use crate::decision::SchemaIssue;
use crate::ir::{ProjNode, Projection, SlotInfo};
use crate::types::Ty;

pub(crate) struct Extractor<'a> {
    pub frames: &'a ElemFrames,
    pub issues: Vec<SchemaIssue>,
}

impl Extractor<'_> {
    /// Fills `out` (sized to `slots`) from `obj` following `proj`.
    pub fn object(
        &mut self,
        proj: &Projection,
        slots: &[SlotInfo],
        elems: &HashMap<u32, usize>,
        obj: &Map<String, Value>,
        out: &mut [Val],
    ) {
        for (key, node) in &proj.keys {
            let v = obj.get(key);
            match node {
                ProjNode::Leaf(s) => {
                    out[*s as usize] = self.leaf(v, &slots[*s as usize], elems.get(s).copied())
                }
                ProjNode::Record(p) => match v {
                    Some(Value::Object(o)) => self.object(p, slots, elems, o, out),
                    None | Some(Value::Null) => {}
                    Some(other) => self.not_a_record(p, slots, key, other),
                },
                ProjNode::Both(s, p) => {
                    out[*s as usize] = self.leaf(v, &slots[*s as usize], elems.get(s).copied());
                    if let Some(Value::Object(o)) = v {
                        self.object(p, slots, elems, o, out);
                    }
                }
            }
        }
    }

    /// A nested record given as something else: one issue, its fields missing.
    fn not_a_record(&mut self, p: &Projection, slots: &[SlotInfo], key: &str, found: &Value) {
        let path = first_leaf_path(p, slots).map(|full| {
            let cut = full.rfind(&format!("{key}.")).map(|i| i + key.len()).unwrap_or(full.len());
            full[..cut].to_string()
        });
        let info = SlotInfo {
            path: path.unwrap_or_else(|| key.to_string()),
            ty: Ty::Unknown,
            placeholders: Default::default(),
            pii_visible_to: None,
        };
        self.issues.push(SchemaIssue {
            field: info.path,
            expected: "record".into(),
            found: describe(found),
        });
    }

    fn leaf(&mut self, v: Option<&Value>, info: &SlotInfo, elem_frame: Option<usize>) -> Val {
        match v {
            None | Some(Value::Null) => Val::Missing,
            Some(v) => self.convert(v, &info.ty, info, elem_frame),
        }
    }

    fn issue(&mut self, info: &SlotInfo, expected: &Ty, found: &Value) -> Val {
        self.issues.push(SchemaIssue {
            field: info.path.clone(),
            expected: expected.to_string(),
            found: describe(found),
        });
        Val::Missing
    }

    fn convert(&mut self, v: &Value, ty: &Ty, info: &SlotInfo, elem_frame: Option<usize>) -> Val {
        match (ty, v) {
            (Ty::String | Ty::Email | Ty::Enum(_), Value::String(s)) => {
                if !info.placeholders.is_empty()
                    && info.placeholders.contains(&s.trim().to_lowercase())
                {
                    return Val::Missing;
                }
                match ty {
                    Ty::Email if !looks_like_email(s) => self.issue(info, ty, v),
                    Ty::Enum(vals) if !vals.iter().any(|x| x == s) => self.issue(info, ty, v),
                    _ => Val::Str(s.as_str().into()),
                }
            }
            (Ty::Int, Value::Number(n)) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 => Val::Num(f),
                _ => self.issue(info, ty, v),
            },
            (Ty::Number, Value::Number(n)) => n.as_f64().map(Val::Num).unwrap_or(Val::Missing),
            (Ty::Bool, Value::Bool(b)) => Val::Bool(*b),
            (Ty::Timestamp, Value::String(s)) => match parse_timestamp(s) {
                Some(t) => Val::Ts(t),
                None => self.issue(info, ty, v),
            },
            (Ty::Duration, Value::Number(n)) => n.as_f64().map(Val::Dur).unwrap_or(Val::Missing),
            (Ty::Duration, Value::String(s)) => match s.parse::<jiff::SignedDuration>() {
                Ok(d) => Val::Dur(d.as_secs_f64()),
                Err(_) => self.issue(info, ty, v),
            },
            (Ty::List(elem), Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(match (&**elem, item, elem_frame) {
                        (Ty::Record(_), Value::Object(o), Some(f)) => {
                            let (proj, slots, elems) = &self.frames.frames[f];
                            let mut vals = vec![Val::Missing; slots.len()];
                            self.object(proj, slots, elems, o, &mut vals);
                            Val::Rec(vals.into())
                        }
                        (Ty::Record(_), Value::Object(_), None) => Val::Rec(Vec::new().into()),
                        (_, Value::Null, _) => Val::Missing,
                        (t, item, _) => self.convert(item, t, info, None),
                    });
                }
                Val::List(out.into())
            }
            (Ty::Record(_), Value::Object(_)) => Val::Rec(Vec::new().into()),
            (Ty::Unknown, _) => Val::Missing,
            _ => self.issue(info, ty, v),
        }
    }
}

/// How a JSON value that did not fit is shown in a schema issue.
pub(crate) fn describe(found: &Value) -> String {
    match found {
        Value::String(s) => format!("\"{}\"", truncate(s)),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        Value::Null => "null".into(),
    }
}

/// The full path of some leaf under `p`, to name the record in an issue.
fn first_leaf_path(p: &Projection, slots: &[SlotInfo]) -> Option<String> {
    for (_, node) in &p.keys {
        match node {
            ProjNode::Leaf(s) | ProjNode::Both(s, _) => return Some(slots[*s as usize].path.clone()),
            ProjNode::Record(inner) => {
                if let Some(x) = first_leaf_path(inner, slots) {
                    return Some(x);
                }
            }
        }
    }
    None
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// RFC 3339 timestamps, or a plain date (midnight UTC).
pub fn parse_timestamp(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    if s.len() != 10 {
        return None;
    }
    let d: jiff::civil::Date = s.parse().ok()?;
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
}
