//! Reading a lead: JSON -> slots, through the compiled projection.
//!
//! Only the fields the policy reads are converted. A value of the wrong
//! type, an unknown enum value, a malformed email or timestamp becomes
//! `Missing` plus a [`SchemaIssue`]; placeholders become `Missing` quietly.

mod formats;
mod pool;

pub(super) use formats::looks_like_email;
pub use formats::parse_timestamp;
pub(super) use pool::{Lists, Pool};

use serde_json::{Map, Value};

use crate::decision::{PacketValue, SchemaIssue};
use crate::ir::{ElemFrames, ElemMap};
use crate::ir::{ProjNode, Projection, SlotInfo};
use crate::types::Ty;
use crate::value::{Fields, Val};

pub(crate) struct Extractor<'a> {
    pub frames: &'a ElemFrames,
    pub issues: Vec<SchemaIssue>,
    /// The JSON of `keep_json` slots, as given.
    pub json: Vec<(u32, Kept)>,
    /// Vectors to build lists and list elements in, and the shared arrays
    /// they end in, reused from lead to lead.
    pub pool: Pool,
    /// The records of the lists being read: (item index, first cell).
    pub rows: Vec<(usize, usize)>,
    /// Lists: the items of the lead's own lists (not lists inside lists),
    /// to be shared by all of them (the fast reader only; see
    /// [`Lists::finish`]).
    pub lists: Lists,
}

impl Extractor<'_> {
    /// Fills `out` (sized to `slots`) from `obj` following `proj`.
    pub fn object(
        &mut self,
        proj: &Projection,
        slots: &[SlotInfo],
        elems: &ElemMap,
        obj: &Map<String, Value>,
        out: &mut [Val],
    ) {
        for (key, node) in &proj.keys {
            let v = obj.get(key);
            match node {
                ProjNode::Leaf(s) => {
                    let info = &slots[*s as usize];
                    if info.keep_json {
                        if let Some(v) = v.filter(|v| !v.is_null()) {
                            self.json.push((*s, Kept::Value(kept(v))));
                        }
                    }
                    out[*s as usize] = self.leaf(v, info, elems.get(s).copied())
                }
                ProjNode::Record(p) => match v {
                    Some(Value::Object(o)) => self.object(p, slots, elems, o, out),
                    None | Some(Value::Null) => {}
                    Some(other) => self.not_a_record(p, slots, key, other),
                },
                ProjNode::Both(s, p) => {
                    let info = &slots[*s as usize];
                    if info.keep_json {
                        if let Some(v) = v.filter(|v| !v.is_null()) {
                            self.json.push((*s, Kept::Value(kept(v))));
                        }
                    }
                    out[*s as usize] = self.leaf(v, info, elems.get(s).copied());
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
            let cut = full
                .rfind(&format!("{key}."))
                .map(|i| i + key.len())
                .unwrap_or(full.len());
            full[..cut].to_string()
        });
        let info = SlotInfo {
            path: crate::decision::PText::new(path.unwrap_or_else(|| key.to_string())),
            ty: Ty::Unknown,
            placeholders: Default::default(),
            exact_placeholders: Default::default(),
            placeholder_lens: 0,
            pii_visible_to: None,
            keep_json: false,
        };
        self.issues.push(SchemaIssue {
            field: info.path.to_string(),
            expected: "record".into(),
            found: describe(found),
        });
    }

    pub(crate) fn leaf(
        &mut self,
        v: Option<&Value>,
        info: &SlotInfo,
        elem_frame: Option<usize>,
    ) -> Val {
        match v {
            None | Some(Value::Null) => Val::Missing,
            Some(v) => self.convert(v, &info.ty, info, elem_frame),
        }
    }

    pub(crate) fn issue_found(&mut self, info: &SlotInfo, expected: &Ty, found: String) -> Val {
        self.issues.push(SchemaIssue {
            field: info.path.to_string(),
            expected: expected.to_string(),
            found,
        });
        Val::Missing
    }

    /// Converts a JSON scalar to a value of type `ty` (shared by the
    /// `Value` path and the streaming path, so both decide alike).
    pub(crate) fn scalar(&mut self, sc: Scalar<'_>, ty: &Ty, info: &SlotInfo) -> Val {
        let mut v = Val::Missing;
        self.scalar_into(sc, ty, info, &mut v);
        v
    }

    /// [`Extractor::scalar`] written into `out` (the reader's slots): a
    /// `Val` returned through memory and then copied costs a
    /// store-forwarding stall on every field.
    pub(crate) fn scalar_into(&mut self, sc: Scalar<'_>, ty: &Ty, info: &SlotInfo, out: &mut Val) {
        *out = match (ty, sc) {
            (Ty::String | Ty::Email | Ty::Enum(_), Scalar::Str(s)) => {
                if is_placeholder(info, s) {
                    Val::Missing
                } else {
                    match ty {
                        Ty::Email if !looks_like_email(s) => {
                            self.issue_found(info, ty, sc.describe())
                        }
                        // the schema's own string: a copy, not a new one
                        Ty::Enum(vals) => match vals
                            .iter()
                            .find(|x| super::text::same(x.as_bytes(), s.as_bytes()))
                        {
                            Some(v) => Val::Str(v.clone()),
                            None => self.issue_found(info, ty, sc.describe()),
                        },
                        _ => Val::Str(self.pool.strings.get(s)),
                    }
                }
            }
            (Ty::Int, Scalar::U64(n)) => Val::Num(n as f64),
            (Ty::Int, Scalar::I64(n)) => Val::Num(n as f64),
            (Ty::Int, Scalar::F64(f)) if f.fract() == 0.0 => Val::Num(f),
            (Ty::Number | Ty::Duration, Scalar::U64(n)) => num_or_dur(ty, n as f64),
            (Ty::Number | Ty::Duration, Scalar::I64(n)) => num_or_dur(ty, n as f64),
            (Ty::Number | Ty::Duration, Scalar::F64(f)) => num_or_dur(ty, f),
            (Ty::Bool, Scalar::Bool(b)) => Val::Bool(b),
            (Ty::Timestamp, Scalar::Str(s)) => match parse_timestamp(s) {
                Some(t) => Val::Ts(t),
                None => self.issue_found(info, ty, sc.describe()),
            },
            (Ty::Duration, Scalar::Str(s)) => match formats::parse_duration_text(s) {
                Some(secs) => Val::Dur(secs),
                None => self.issue_found(info, ty, sc.describe()),
            },
            (Ty::Unknown, _) => Val::Missing,
            _ => self.issue_found(info, ty, sc.describe()),
        };
    }

    fn convert(&mut self, v: &Value, ty: &Ty, info: &SlotInfo, elem_frame: Option<usize>) -> Val {
        match (ty, v) {
            (_, Value::String(s)) => self.scalar(Scalar::Str(s), ty, info),
            (_, Value::Bool(b)) => self.scalar(Scalar::Bool(*b), ty, info),
            (_, Value::Number(n)) => self.scalar(Scalar::number(n), ty, info),
            (Ty::List(elem), Value::Array(items)) => {
                let mut out = self.vec();
                for item in items {
                    out.push(match (&**elem, item, elem_frame) {
                        (Ty::Record(_), Value::Object(o), Some(f)) => {
                            let (proj, slots, elems) = &self.frames.frames[f];
                            let mut vals = self.vec();
                            vals.resize_with(slots.len(), || Val::Missing);
                            self.object(proj, slots, elems, o, &mut vals);
                            Val::Rec(self.share(vals))
                        }
                        (Ty::Record(_), Value::Object(_), None) => {
                            Val::Rec(Fields::new(Vec::new().into()))
                        }
                        (_, Value::Null, _) => Val::Missing,
                        (t, item, _) => self.convert(item, t, info, None),
                    });
                }
                Val::List(self.share(out))
            }
            (Ty::Record(_), Value::Object(_)) => Val::Rec(Fields::new(Vec::new().into())),
            (Ty::Unknown, _) => Val::Missing,
            _ => self.issue_found(info, ty, describe(v)),
        }
    }
}

/// The JSON of a field that travels whole in the packet.
#[derive(Debug, Clone)]
pub(crate) enum Kept {
    /// Bytes `a..b` of the record's text (the fast reader): it becomes a
    /// packet value only when a packet shows it, which most leads never
    /// need.
    Text(usize, usize),
    /// What the `Value` path kept.
    Value(PacketValue),
}

impl Kept {
    /// The packet value, from `text` (the record the fast reader read;
    /// unused for [`Kept::Value`]): the field's own text when it is already
    /// what serde_json writes, else serde_json's form of it.
    pub(crate) fn packet_value(&self, text: &str) -> PacketValue {
        match self {
            Kept::Value(v) => v.clone(),
            Kept::Text(a, b) => {
                // only the fast reader keeps ranges, and it passes the text
                // they are in
                debug_assert!(text.get(*a..*b).is_some(), "a kept range outside its text");
                let raw = text.get(*a..*b).unwrap_or("null");
                if super::scan::canonical(raw.as_bytes()) {
                    PacketValue::RawJson(raw.into())
                } else {
                    // the reader validated the text: parsing cannot fail
                    serde_json::from_str(raw)
                        .map(PacketValue::Json)
                        .unwrap_or(PacketValue::Value(Val::Missing))
                }
            }
        }
    }
}

/// A field that travels whole, as the JSON text serde_json writes for it
/// (cheaper to keep and to copy than the `Value`).
fn kept(v: &Value) -> PacketValue {
    match serde_json::to_string(v) {
        Ok(text) => PacketValue::RawJson(text.into()),
        Err(_) => PacketValue::Json(v.clone()),
    }
}

fn num_or_dur(ty: &Ty, f: f64) -> Val {
    if *ty == Ty::Duration {
        Val::Dur(f)
    } else {
        Val::Num(f)
    }
}

/// A JSON scalar as either reader sees it.
#[derive(Clone, Copy)]
pub(crate) enum Scalar<'a> {
    Str(&'a str),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
}

impl Scalar<'_> {
    pub(crate) fn number(n: &serde_json::Number) -> Scalar<'static> {
        if let Some(u) = n.as_u64() {
            Scalar::U64(u)
        } else if let Some(i) = n.as_i64() {
            Scalar::I64(i)
        } else {
            Scalar::F64(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    /// The same text [`describe`] gives for the equivalent `Value`.
    pub(crate) fn describe(self) -> String {
        match self {
            Scalar::Str(s) => format!("\"{}\"", truncate(s)),
            Scalar::U64(n) => n.to_string(),
            Scalar::I64(n) => n.to_string(),
            Scalar::F64(f) => serde_json::Number::from_f64(f)
                .map(|n| n.to_string())
                .unwrap_or_else(|| f.to_string()),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// Whether `s` is one of the slot's placeholders (trimmed,
/// case-insensitive), without allocating for ASCII text and, for most
/// values, without a lookup: the length says it cannot be one.
fn is_placeholder(info: &SlotInfo, s: &str) -> bool {
    if !info.exact_placeholders.is_empty() && info.exact_placeholders.contains(s) {
        return true;
    }
    if info.placeholder_lens == 0 {
        return false;
    }
    // text that starts and ends with a visible ASCII character needs no
    // trimming (the common case, without the Unicode white space tables)
    let visible = |c: Option<&u8>| c.is_some_and(|c| (b'!'..=b'~').contains(c));
    let t = if visible(s.as_bytes().first()) && visible(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    };
    if t.is_ascii() {
        if info.placeholder_lens & 1 << t.len().min(63) == 0 {
            return false;
        }
        info.placeholders
            .iter()
            .any(|p| p.len() == t.len() && p.eq_ignore_ascii_case(t))
    } else if info.placeholder_lens & 1 << 63 == 0
        && t.chars().any(|c| !c.is_ascii() && c != '\u{212A}')
    {
        // every placeholder is ASCII (and shorter than 63 bytes), and so
        // must be the lowercase text; the Kelvin sign is the one character
        // beyond ASCII whose lowercase is ASCII (`k`): text with any other
        // is no placeholder, without lowercasing it
        false
    } else {
        info.placeholders.contains(&t.to_lowercase())
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
            ProjNode::Leaf(s) | ProjNode::Both(s, _) => {
                return Some(slots[*s as usize].path.to_string())
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Placeholders match trimmed and case-insensitively, ASCII or not;
    /// the length mask never hides one.
    #[test]
    fn placeholders_match_whatever_their_length() {
        let set: std::collections::HashSet<String> = ["", "n/a", "unknown", "select", "ñ/a"]
            .iter()
            .map(|s| s.to_string())
            .chain(std::iter::once("x".repeat(70)))
            .collect();
        let info = SlotInfo {
            path: crate::decision::PText::new("f"),
            ty: Ty::String,
            placeholder_lens: crate::ir::placeholder_lens(&set),
            placeholders: std::sync::Arc::new(set),
            exact_placeholders: Default::default(),
            pii_visible_to: None,
            keep_json: false,
        };
        for yes in [
            "",
            "  ",
            "N/A",
            " n/a ",
            "UNKNOWN",
            "Select",
            "Ñ/A",
            &"X".repeat(70),
        ] {
            assert!(is_placeholder(&info, yes), "{yes:?}");
        }
        for no in ["NA", "unknowns", "sel", "Ünknown", "n/a/", &"x".repeat(69)] {
            assert!(!is_placeholder(&info, no), "{no:?}");
        }
        let none = SlotInfo {
            placeholder_lens: 0,
            placeholders: Default::default(),
            ..info
        };
        assert!(!is_placeholder(&none, ""));
        // `as missing exactly`: as written, nothing trimmed or lowercased
        let exact = SlotInfo {
            exact_placeholders: std::sync::Arc::new(["N/A".to_string()].into_iter().collect()),
            ..none.clone()
        };
        assert!(is_placeholder(&exact, "N/A"));
        for no in ["n/a", " N/A", "N/A "] {
            assert!(!is_placeholder(&exact, no), "{no:?}");
        }
        // ASCII placeholders only: text beyond ASCII is ruled out without
        // lowercasing, except by the Kelvin sign, which lowercases to `k`
        let ascii: std::collections::HashSet<String> =
            ["n/a", "unknown"].iter().map(|s| s.to_string()).collect();
        let ascii = SlotInfo {
            placeholder_lens: crate::ir::placeholder_lens(&ascii),
            placeholders: std::sync::Arc::new(ascii),
            ..none
        };
        for yes in ["UN\u{212A}NOWN", " un\u{212A}nown ", "N/A"] {
            assert!(is_placeholder(&ascii, yes), "{yes:?}");
        }
        for no in ["Zoë", "ünknown", "unknöwn", "n/ä", "\u{212A}"] {
            assert!(!is_placeholder(&ascii, no), "{no:?}");
        }
    }

    /// Lowercasing any character but the Kelvin sign gives text beyond
    /// ASCII: what lets [`is_placeholder`] skip lowercasing such text.
    #[test]
    fn only_the_kelvin_sign_lowercases_into_ascii() {
        let into_ascii: Vec<char> = (0x80..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| c.to_lowercase().all(|l| l.is_ascii()))
            .collect();
        assert_eq!(into_ascii, ['\u{212A}']);
    }
}
