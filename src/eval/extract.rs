//! Reading a lead: JSON -> slots, through the compiled projection.
//!
//! Only the fields the policy reads are converted. A value of the wrong
//! type, an unknown enum value, a malformed email or timestamp becomes
//! `Missing` plus a [`SchemaIssue`]; placeholders become `Missing` quietly.

use std::sync::Arc;

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

/// The lists of one lead, read into one array: each becomes a window on
/// it once the whole lead is read.
#[derive(Default)]
pub(crate) struct Lists {
    /// Whether lists go here (else each list has its own array).
    pub on: bool,
    /// How many lists are being read, one inside the other.
    pub open: u32,
    pub items: Vec<Val>,
    /// The list just read: (first item, length), for its slot.
    pub last: Option<(usize, usize)>,
    /// (slot, first item, length) of every list read.
    pub slots: Vec<(u32, usize, usize)>,
}

impl Lists {
    /// Whether the list about to be read goes into the shared array.
    pub fn shared_here(&self) -> bool {
        self.on && self.open == 0
    }

    /// Stores every list read into its slot, as a window on one shared
    /// array.
    pub fn finish(&mut self, out: &mut [Val], pool: &mut Pool) {
        if !self.slots.is_empty() {
            let shared = pool.share(&mut self.items);
            for (slot, start, len) in self.slots.drain(..) {
                if let Some(v) = out.get_mut(slot as usize) {
                    *v = Val::List(shared.sub(start, len));
                }
            }
        }
    }

    /// Empties the buffers for the next lead (keeping their memory, unless
    /// a huge list made them huge).
    pub fn reset(&mut self) {
        if self.items.capacity() > SHARED_CELLS_KEPT {
            self.items = Vec::new();
        }
        self.items.clear();
        self.slots.clear();
        self.last = None;
        self.open = 0;
    }
}

/// The arrays a thread builds lists in, kept from lead to lead: vectors
/// to read items into, and the shared arrays that lists and records end
/// in as windows. Once a lead's values are dropped, its shared arrays
/// are this pool's alone again and take the next lead's items: reading a
/// lead allocates no array once the pool has grown to the leads' shape.
#[derive(Default)]
pub(crate) struct Pool {
    vecs: Vec<Vec<Val>>,
    /// Shared arrays, with how many of their cells the last use filled
    /// (the cells after those are `Missing`).
    shared: Vec<(Arc<[Val]>, usize)>,
    /// The array of empty lists.
    empty: Option<Arc<[Val]>>,
    /// Short strings met before.
    pub strings: super::text::Strings,
}

/// At most this many shared arrays are kept a thread (a lead uses two or
/// three: its lists, and the records of each list of records).
const SHARED_KEPT: usize = 16;

/// An array longer than this (cells of 32 bytes: 128 KiB) is not kept: one
/// lead with a huge list must not hold its memory for the rest of the run.
const SHARED_CELLS_KEPT: usize = 4096;

impl Pool {
    /// An empty vector.
    pub fn vec(&mut self) -> Vec<Val> {
        self.vecs.pop().unwrap_or_default()
    }

    /// Empties the shared arrays that nothing holds any more (the lead
    /// that used them is done): what their cells own is freed now, not
    /// when a later lead happens to take the same array. An outer array
    /// (records) holds windows on inner ones (their lists) and usually
    /// comes later, so the arrays are visited last first, and again only
    /// while a round frees some and finds others still held.
    pub fn release(&mut self) {
        loop {
            let (mut freed, mut held) = (false, false);
            for (cells, used) in self.shared.iter_mut().rev() {
                if *used == 0 {
                    continue;
                }
                match Arc::get_mut(cells) {
                    Some(c) => {
                        for cell in c.get_mut(..*used).unwrap_or_default() {
                            *cell = Val::Missing;
                        }
                        *used = 0;
                        freed = true;
                    }
                    None => held = true,
                }
            }
            if !(freed && held) {
                return;
            }
        }
    }

    /// No fields (the value of a record the policy reads no field of),
    /// without an allocation.
    pub fn empty(&mut self) -> Fields {
        let empty = self.empty.get_or_insert_with(|| Arc::from(Vec::new()));
        Fields::window(empty, 0, 0)
    }

    /// Moves `items` (left empty) into a shared array and returns the
    /// window on them: an array of the pool that nothing else holds, or a
    /// new one, kept when there is room.
    pub fn share(&mut self, items: &mut Vec<Val>) -> Fields {
        let n = items.len();
        if n == 0 {
            return self.empty();
        }
        for (cells, used) in &mut self.shared {
            if cells.len() < n {
                continue;
            }
            if let Some(c) = Arc::get_mut(cells) {
                // a block swap (moving item by item copies each through
                // the stack); the last use's values leave with `items`
                c[..n].swap_with_slice(items);
                items.clear();
                for cell in c.get_mut(n..*used).unwrap_or_default() {
                    *cell = Val::Missing;
                }
                *used = n;
                return Fields::window(cells, 0, n);
            }
        }
        // a new array, kept when there is room and it is not huge, with
        // room for a few more items, so that the next lead's slightly
        // longer list fits
        let keep = self.shared.len() < SHARED_KEPT && n <= SHARED_CELLS_KEPT;
        let mut v = std::mem::take(items);
        if keep {
            v.resize_with(n.max(16).next_power_of_two(), || Val::Missing);
        }
        let cells: Arc<[Val]> = Arc::from(v);
        let fields = Fields::window(&cells, 0, n);
        if keep {
            self.shared.push((cells, n));
        }
        fields
    }
}

impl Extractor<'_> {
    /// An empty vector from the pool.
    pub fn vec(&mut self) -> Vec<Val> {
        self.pool.vec()
    }

    /// Moves the items into a shared array of the pool and returns the
    /// vector to the pool.
    pub fn share(&mut self, mut items: Vec<Val>) -> Fields {
        let shared = self.pool.share(&mut items);
        if items.capacity() <= SHARED_CELLS_KEPT {
            self.pool.vecs.push(items);
        }
        shared
    }
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
            (Ty::Duration, Scalar::Str(s)) => match s.parse::<jiff::SignedDuration>() {
                Ok(d) => Val::Dur(d.as_secs_f64()),
                Err(_) => self.issue_found(info, ty, sc.describe()),
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

/// RFC 3339 timestamps, or a plain date (midnight UTC).
pub fn parse_timestamp(s: &str) -> Option<jiff::Timestamp> {
    if let Some(t) = fast_utc(s.as_bytes()) {
        return Some(t);
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    if s.len() != 10 {
        return None;
    }
    let d: jiff::civil::Date = s.parse().ok()?;
    d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// One `@` with text before it, a domain after it with an inner `.`, and
/// no white space (in one pass over the bytes; non-ASCII text goes the
/// long way for Unicode white space).
pub(crate) fn looks_like_email(s: &str) -> bool {
    let b = s.as_bytes();
    let mut at = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'@' if at.is_some() => return false,
            b'@' => at = Some(i),
            b' ' | b'\t'..=b'\r' => return false,
            0x80.. => return looks_like_email_unicode(s),
            _ => {}
        }
    }
    let Some(at) = at else {
        return false;
    };
    let domain = &b[at + 1..];
    at > 0
        && domain.contains(&b'.')
        && domain.first() != Some(&b'.')
        && domain.last() != Some(&b'.')
}

fn looks_like_email_unicode(s: &str) -> bool {
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

/// `YYYY-MM-DDTHH:MM:SSZ`, the shape CRM exports use, without a general
/// parser (years 0001-9999); anything else goes to jiff.
fn fast_utc(b: &[u8]) -> Option<jiff::Timestamp> {
    let b: &[u8; 20] = b.try_into().ok()?;
    if b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    // a byte that is not a digit leaves 10 or more after subtracting '0'
    // (wrapping): one maximum checks every digit position
    let d = |i: usize| b[i].wrapping_sub(b'0');
    let top = d(8)
        .max(d(9))
        .max(d(11))
        .max(d(12))
        .max(d(14))
        .max(d(15))
        .max(d(17))
        .max(d(18));
    if top > 9 {
        return None;
    }
    let two = |i: usize| u32::from(d(i)) * 10 + u32::from(d(i + 1));
    // the month: the timestamps of a lead and of the leads around it fall
    // in a few months, so the last one's start is kept ("YYYY-MM-" as the
    // key: only a valid month is ever kept)
    let key = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let (month_start, month_len) = match LAST_MONTH.with(std::cell::Cell::get) {
        (k, start, len) if k == key => (start, len),
        _ => {
            let m = month(b)?;
            LAST_MONTH.with(|c| c.set((key, m.0, m.1)));
            m
        }
    };
    let (day, h, mi, sec) = (two(8), two(11), two(14), two(17));
    if day < 1 || day > month_len || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let days = month_start + i64::from(day - 1);
    let secs = i64::from(h * 3600 + mi * 60 + sec);
    jiff::Timestamp::from_second(days * 86_400 + secs).ok()
}

thread_local! {
    /// The month `fast_utc` read last: its "YYYY-MM-" bytes, its first
    /// day (days since 1970-01-01) and its length.
    static LAST_MONTH: std::cell::Cell<(u64, i64, u32)> = const { std::cell::Cell::new((0, 0, 0)) };
}

/// The first day (days since 1970-01-01) and the length of the month of
/// a "YYYY-MM-..." text, years 0001-9999.
fn month(b: &[u8; 20]) -> Option<(i64, u32)> {
    let d = |i: usize| b[i].wrapping_sub(b'0');
    if d(0).max(d(1)).max(d(2)).max(d(3)).max(d(5)).max(d(6)) > 9 {
        return None;
    }
    let two = |i: usize| u32::from(d(i)) * 10 + u32::from(d(i + 1));
    let y = two(0) * 100 + two(2);
    let mo = two(5);
    if y == 0 || !(1..=12).contains(&mo) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = match mo {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    /// Days of the year before each month (not counting 29 February).
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let p = y - 1;
    // days from 0001-01-01 to the start of the year, and into it
    let year_days = i64::from(p * 365 + p / 4 - p / 100 + p / 400);
    let day_of_year = BEFORE[(mo - 1) as usize] + u32::from(leap && mo > 2);
    // 0001-01-01 is 719,162 days before 1970-01-01
    Some((year_days + i64::from(day_of_year) - 719_162, month_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pool keeps the arrays of ordinary lists for the next lead, and
    /// gives them back only once nothing holds them; a huge list's array is
    /// not kept.
    #[test]
    fn the_pool_reuses_free_arrays_and_keeps_no_huge_one() {
        let mut pool = Pool::default();
        let strs =
            |n: usize| -> Vec<Val> { (0..n).map(|i| Val::Str(i.to_string().into())).collect() };
        let a = pool.share(&mut strs(5));
        assert_eq!(a.len(), 5);
        assert_eq!(pool.shared.len(), 1);
        // still held: a second list gets an array of its own
        let b = pool.share(&mut strs(3));
        assert_eq!(pool.shared.len(), 2);
        assert_eq!(&b[..], &strs(3)[..]);
        drop(a);
        drop(b);
        // free again: taken, its old cells after the new ones emptied
        let c = pool.share(&mut strs(2));
        assert_eq!(pool.shared.len(), 2);
        assert_eq!(&c[..], &strs(2)[..]);
        let (cells, used) = &pool.shared[0];
        assert_eq!(*used, 2);
        assert!(cells[2..].iter().all(Val::is_missing));
        // an array whose cells hold a window on another frees both
        let inner = pool.share(&mut strs(4));
        let mut outer = vec![Val::List(inner)];
        let outer = pool.share(&mut outer);
        drop(outer);
        pool.release();
        assert!(pool.shared.iter().skip(1).all(|(_, used)| *used == 0));
        // released once nothing holds it: its values are freed at once
        drop(c);
        pool.release();
        assert!(pool
            .shared
            .iter()
            .all(|(cells, used)| *used == 0 && cells.iter().all(Val::is_missing)));
        let kept = pool.shared.len();
        let huge = pool.share(&mut strs(SHARED_CELLS_KEPT + 1));
        assert_eq!(huge.len(), SHARED_CELLS_KEPT + 1);
        assert_eq!(pool.shared.len(), kept, "a huge list's array is not kept");
        assert_eq!(pool.share(&mut Vec::new()).len(), 0);
    }

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

    /// Over years of instants and every one-byte corruption of them:
    /// whenever the fast path answers, jiff parses the same instant.
    #[test]
    fn the_fast_timestamp_path_never_disagrees_with_jiff() {
        let mut secs: i64 = 0;
        while secs < 4_102_444_800 {
            let t = jiff::Timestamp::from_second(secs).unwrap();
            let text = t.to_string();
            assert_eq!(fast_utc(text.as_bytes()), Some(t), "{text}");
            if secs % 7 == 0 {
                for at in 0..text.len() {
                    for c in b"0912:-TZ /a\xff".iter().copied() {
                        let mut b = text.clone().into_bytes();
                        b[at] = c;
                        if let Some(fast) = fast_utc(&b) {
                            let s = std::str::from_utf8(&b).unwrap();
                            assert_eq!(s.parse::<jiff::Timestamp>().ok(), Some(fast), "{s}");
                        }
                    }
                }
            }
            secs += 86_400 * 5 + 4_099;
        }
    }

    /// The one-pass email check says what the general one says, over
    /// every string of up to four characters from the ones that matter.
    #[test]
    fn the_fast_email_check_agrees_with_the_general_one() {
        let alphabet = ['a', '@', '.', ' ', '\t', '\u{b}', '\u{a0}', 'é'];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        texts.sort();
        texts.dedup();
        for t in &texts {
            assert_eq!(looks_like_email(t), looks_like_email_unicode(t), "{t:?}");
        }
        assert!(looks_like_email("ana.xu@soylentlogistics.io"));
        assert!(!looks_like_email("ana xu@soylent.io"));
    }

    /// Every year the fast path takes, around the leap day and the turn
    /// of the year: the same instant as jiff, or no answer where jiff has
    /// none.
    #[test]
    fn the_fast_timestamp_path_agrees_with_jiff_in_every_year() {
        for y in 0..=9999 {
            for md in [
                "01-01T00:00:00",
                "02-28T23:59:59",
                "02-29T12:00:00",
                "03-01T00:00:01",
                "12-31T23:59:59",
            ] {
                let s = format!("{y:04}-{md}Z");
                match fast_utc(s.as_bytes()) {
                    Some(t) => assert_eq!(s.parse::<jiff::Timestamp>().ok(), Some(t), "{s}"),
                    None => assert!(y == 0 || s.parse::<jiff::Timestamp>().is_err(), "{s}"),
                }
            }
        }
    }

    #[test]
    fn the_fast_timestamp_path_agrees_with_jiff() {
        for s in [
            "2025-06-01T12:00:00Z",
            "2024-02-29T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2000-12-31T00:00:01Z",
        ] {
            assert_eq!(fast_utc(s.as_bytes()), s.parse().ok(), "{s}");
        }
        for s in [
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01 12:00:00Z",
        ] {
            assert_eq!(fast_utc(s.as_bytes()), None, "{s}");
        }
    }
}
