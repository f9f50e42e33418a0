//! The fast reader: raw NDJSON bytes -> slots, without building a
//! `serde_json::Value` and without serde's visitor machinery.
//!
//! A small validating scanner walks the record once. Keys the compiled
//! projection names are converted in place through the same [`Scalar`]
//! conversion as the `Value` path; everything else is skipped, but still
//! validated exactly as serde_json validates it when it parses a `Value`:
//! the JSON grammar, control characters and escapes in strings (a lone
//! surrogate `\ud800` is an error), numbers out of `f64` range, nesting
//! deeper than serde_json's limit, trailing characters. Invalid UTF-8 is
//! rejected before scanning. So a record is rejected exactly when a full
//! parse would reject it; the caller then re-parses it with serde_json to
//! report the same error a full parse gives.
//!
//! Keys are first compared with the key that came next at the same level
//! of the record before ([`Shapes`]): equal bytes parse equally, so this
//! only saves scanning and looking the key up.
//!
//! Rare shapes this reader leaves to the `Value` path (a projected key given
//! twice, whose "last one wins" rule needs the whole object; a top level
//! that is not an object; a nested record given as another kind of value)
//! return [`Stop::Fallback`], so both paths always agree.
//!
//! [`Scalar`]: super::extract::Scalar

mod ids;
mod lex;

pub(super) use ids::Ids;
pub(super) use lex::canonical;

use ids::ATTRIBUTES;
pub(crate) use ids::ID_KEYS;
use lex::Str;

use super::extract::{Extractor, Kept, Scalar};
use super::text::{same, words};
use crate::ir::ElemMap;
use crate::ir::{ProjNode, Projection, SlotInfo};
use crate::types::Ty;
use crate::value::Val;

/// Why the reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The JSON is invalid (a full parse reports the exact error).
    Invalid,
    /// A shape the `Value` path handles: evaluate through it.
    Fallback,
}

type R<T> = Result<T, Stop>;

/// The most keys a level's key order remembers.
const SHAPE_KEYS: usize = 48;
/// The longest key it remembers, in bytes.
const SHAPE_KEY_LEN: usize = 61;

/// A thread's memory of the order keys came in at each object level of
/// one engine's projections (records of one producer nearly always give
/// their keys in one order).
///
/// At each key the reader first compares the input with the key that came
/// next the last time, as the exact bytes `"name":`. When they are equal,
/// the key is known without scanning the string or looking it up: such a
/// byte sequence is a plain string followed by its colon, so nothing is
/// skipped that validation would have looked at. When they differ, the key
/// is read as usual, and the order learns it.
#[derive(Default)]
pub(crate) struct Shapes {
    /// The levels of the engines that used this thread last, by engine
    /// number: a few, so that two engines taking turns on one thread
    /// (`diff` evaluates each lead under both versions) keep what each
    /// learned.
    engines: Vec<(u64, Vec<Vec<KeyAt>>)>,
    /// The entry to give up next when a new engine comes.
    evict: usize,
}

/// How many engines a thread remembers key orders for.
const ENGINES: usize = 4;

impl Shapes {
    /// The levels of engine `owner`, which has `n`; a new engine takes the
    /// place of the one that came longest ago.
    pub fn of(&mut self, owner: u64, n: u32) -> &mut [Vec<KeyAt>] {
        let i = match self.engines.iter().position(|(o, _)| *o == owner) {
            Some(i) => i,
            None => {
                let mut levels = Vec::new();
                levels.resize_with(n as usize, Vec::new);
                if self.engines.len() < ENGINES {
                    self.engines.push((owner, levels));
                    self.engines.len() - 1
                } else {
                    let i = self.evict;
                    self.evict = (self.evict + 1) % ENGINES;
                    self.engines[i] = (owner, levels);
                    i
                }
            }
        };
        &mut self.engines[i].1
    }
}

/// A key as it came: its bytes with quotes and colon, and what it is.
pub(crate) struct KeyAt {
    text: Box<[u8]>,
    /// The first and the last eight bytes of `text` (four when it is
    /// shorter than eight), as words: most keys are compared with two loads.
    first: u64,
    last: u64,
    /// Its position in the level's projection.
    pi: Option<usize>,
    /// Its position among the lead id keys (top level only).
    id: Option<usize>,
}

impl KeyAt {
    /// Whether `b` has this key's bytes at `i`.
    #[inline(always)]
    fn is_at(&self, b: &[u8], i: usize) -> bool {
        let n = self.text.len();
        let Some(s) = b.get(i..i + n) else {
            return false;
        };
        let (first, last) = words(s);
        first == self.first && last == self.last && (n <= 16 || s[8..n - 8] == self.text[8..n - 8])
    }
}

/// Reads one record into `out`, capturing the id candidates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read(
    ex: &mut Extractor<'_>,
    proj: &Projection,
    slots: &[SlotInfo],
    elems: &ElemMap,
    text: &str,
    out: &mut [Val],
    ids: &mut Ids,
    scratch: &mut String,
    shapes: &mut [Vec<KeyAt>],
) -> R<()> {
    let mut s = Scanner {
        s: text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
        scratch,
        shapes,
    };
    s.ws();
    if s.peek() != Some(b'{') {
        return Err(Stop::Fallback);
    }
    s.object(ex, proj, slots, elems, out, Some(ids))?;
    s.ws();
    if s.i != s.b.len() {
        return Err(Stop::Invalid);
    }
    Ok(())
}

struct Scanner<'a, 'w> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    depth: u32,
    /// Decoded text of the last string that had escapes.
    scratch: &'w mut String,
    /// The key order of each level, by [`Projection::level`].
    shapes: &'w mut [Vec<KeyAt>],
}

impl<'a> Scanner<'a, '_> {
    /// Reads an object through a projection (the `{` is next).
    fn object(
        &mut self,
        ex: &mut Extractor<'_>,
        proj: &Projection,
        slots: &[SlotInfo],
        elems: &ElemMap,
        out: &mut [Val],
        mut ids: Option<&mut Ids>,
    ) -> R<()> {
        self.enter()?;
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        let many = proj.keys.len() > 64;
        let mut seen: u64 = 0;
        let level = proj.level as usize;
        let mut next = 0;
        loop {
            self.ws();
            let known = self
                .shapes
                .get(level)
                .and_then(|s| s.get(next))
                .filter(|k| k.is_at(self.b, self.i))
                .map(|k| (k.text.len(), k.pi, k.id));
            let (pi, id) = if let Some((len, pi, id)) = known {
                self.i += len;
                next += 1;
                (pi, id)
            } else {
                let start = self.i;
                let key = self.string(true)?;
                let k: &[u8] = match key {
                    Str::Raw(a, b) => self.b.get(a..b).unwrap_or_default(),
                    Str::Decoded => self.scratch.as_bytes(),
                };
                let pi = proj
                    .keys
                    .iter()
                    .position(|(name, _)| name.len() == k.len() && name.as_bytes() == k);
                // every id key starts with `i`, `I`, `l` or `L`
                let id = match (&ids, k.first()) {
                    (Some(_), Some(b'i' | b'I' | b'l' | b'L')) => {
                        ID_KEYS.iter().position(|i| same(i.as_bytes(), k))
                    }
                    (Some(_), Some(b'a')) if k == b"attributes" => Some(ATTRIBUTES),
                    _ => None,
                };
                let plain = matches!(key, Str::Raw(..));
                self.ws();
                self.expect(b':')?;
                let b = self.b;
                if let (Some(shape), true) = (self.shapes.get_mut(level), plain) {
                    learn(shape, &mut next, &b[start..self.i], pi, id);
                }
                (pi, id)
            };
            self.ws();
            if let Some(i) = pi {
                if many || seen & (1 << i) != 0 {
                    // a projected key given twice: "last one wins" needs the
                    // whole object, which the Value path has
                    return Err(Stop::Fallback);
                }
                seen |= 1 << i;
            }
            match (pi, id) {
                (None, None) => self.skip()?,
                (None, Some(ATTRIBUTES)) => {
                    let (reference, url) = self.attributes()?;
                    if let Some(ids) = ids.as_deref_mut() {
                        ids.found[ATTRIBUTES] = reference;
                        ids.found[ATTRIBUTES + 1] = url;
                    }
                }
                (None, Some(idx)) => {
                    let v = self.id_value()?;
                    if let Some(ids) = ids.as_deref_mut() {
                        ids.found[idx] = v;
                    }
                }
                (Some(i), None) => match &proj.keys[i].1 {
                    ProjNode::Leaf(s) => {
                        let info = &slots[*s as usize];
                        let start = self.i;
                        // written in place: a `Val` returned through memory
                        // and copied costs a store-forwarding stall a field
                        let slot = &mut out[*s as usize];
                        self.leaf(ex, &info.ty, info, elems.get(s).copied(), slot)?;
                        // a list of the lead's own: its slot, for `Lists::finish`
                        if let Some((first, len)) = ex.lists.last.take() {
                            ex.lists.slots.push((*s, first, len));
                        }
                        // a field that travels whole: where its JSON is,
                        // for the packet
                        if info.keep_json && self.b.get(start..self.i) != Some(b"null") {
                            ex.json.push((*s, Kept::Text(start, self.i)));
                        }
                    }
                    ProjNode::Record(p) => match self.peek() {
                        Some(b'{') => self.object(ex, p, slots, elems, out, None)?,
                        Some(b'n') => self.literal(b"null")?,
                        // a record given as another kind of value: the
                        // Value path names it in a schema issue
                        _ => return Err(Stop::Fallback),
                    },
                    ProjNode::Both(..) => return Err(Stop::Fallback),
                },
                // a key that is both read and the lead id
                (Some(_), Some(_)) => return Err(Stop::Fallback),
            }
            if !self.more(b'}')? {
                break;
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// One field value of type `ty`, into `out`.
    fn leaf(
        &mut self,
        ex: &mut Extractor<'_>,
        ty: &Ty,
        info: &SlotInfo,
        elem: Option<usize>,
        out: &mut Val,
    ) -> R<()> {
        match self.peek().ok_or(Stop::Invalid)? {
            b'[' => self.list(ex, ty, info, elem, out),
            b'{' => {
                self.skip()?;
                *out = match ty {
                    Ty::Record(_) => Val::Rec(ex.pool.empty()),
                    Ty::Unknown => Val::Missing,
                    _ => ex.issue_found(info, ty, "an object".into()),
                };
                Ok(())
            }
            _ => {
                match self.scalar()? {
                    None => *out = Val::Missing,
                    Some(sc) => ex.scalar_into(sc, ty, info, out),
                }
                Ok(())
            }
        }
    }

    /// A list value (the `[` is next), into `out`.
    #[inline(never)]
    fn list(
        &mut self,
        ex: &mut Extractor<'_>,
        ty: &Ty,
        info: &SlotInfo,
        elem: Option<usize>,
        out: &mut Val,
    ) -> R<()> {
        let Ty::List(elem_ty) = ty else {
            self.skip()?;
            *out = match ty {
                Ty::Unknown => Val::Missing,
                _ => ex.issue_found(info, ty, "a list".into()),
            };
            return Ok(());
        };
        self.enter()?;
        self.i += 1;
        // a list of the lead's own goes into the array all its lists share
        let shared_here = ex.lists.shared_here();
        let mut items = if shared_here {
            std::mem::take(&mut ex.lists.items)
        } else {
            ex.vec()
        };
        let first = items.len();
        ex.lists.open += 1;
        // the records of the list are read into one array of cells; `rows`
        // (a stack shared with nested lists) remembers which items they are
        let mut cells: Option<Vec<Val>> = None;
        let mark = ex.rows.len();
        let frames = ex.frames;
        let read = self.items(ex, elem_ty, info, elem, &mut items, &mut cells);
        if let Err(stop) = read {
            // the read is over; keep the shared buffer's memory for the
            // next lead (`Lists::reset` empties it)
            if shared_here {
                ex.lists.items = items;
            }
            return Err(stop);
        }
        self.depth -= 1;
        ex.lists.open -= 1;
        if let (Some(c), Some(f)) = (cells, elem) {
            let width = frames.frames[f].1.len();
            let shared = ex.share(c);
            for (item, start) in ex.rows.drain(mark..) {
                items[item] = Val::Rec(shared.sub(start, width));
            }
        }
        if shared_here {
            ex.lists.last = Some((first, items.len() - first));
            ex.lists.items = items;
            // stored by `Lists::finish` once the lead is read
            *out = Val::Missing;
            return Ok(());
        }
        *out = Val::List(ex.share(items));
        Ok(())
    }

    /// The items of a list after its `[`, up to and with its `]`: into
    /// `items`, the fields of its records into `cells`.
    fn items(
        &mut self,
        ex: &mut Extractor<'_>,
        elem_ty: &Ty,
        info: &SlotInfo,
        elem: Option<usize>,
        items: &mut Vec<Val>,
        cells: &mut Option<Vec<Val>>,
    ) -> R<()> {
        let frames = ex.frames;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                match (elem_ty, elem, self.peek()) {
                    (Ty::Record(_), Some(f), Some(b'{')) => {
                        let (proj, slots, elems) = &frames.frames[f];
                        let mut c = cells.take().unwrap_or_else(|| ex.vec());
                        let base = c.len();
                        c.resize_with(base + slots.len(), || Val::Missing);
                        let read = self.object(ex, proj, slots, elems, &mut c[base..], None);
                        *cells = Some(c);
                        read?;
                        ex.rows.push((items.len(), base));
                        items.push(Val::Missing);
                    }
                    _ => {
                        items.push(Val::Missing);
                        let last = items.len() - 1;
                        self.leaf(ex, elem_ty, info, None, &mut items[last])?;
                    }
                }
                if !self.more(b']')? {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Teaches a level's key order the key `text` (`"name":`, no escapes),
/// read where `*next` was expected: moves on past it when it comes later in
/// the order (the keys between were absent this time), otherwise puts it
/// in at `*next`.
#[cold]
#[inline(never)]
fn learn(
    shape: &mut Vec<KeyAt>,
    next: &mut usize,
    text: &[u8],
    pi: Option<usize>,
    id: Option<usize>,
) {
    if let Some(j) = shape[*next..].iter().position(|k| *k.text == *text) {
        *next += j + 1;
    } else if shape.len() < SHAPE_KEYS && text.len() <= SHAPE_KEY_LEN {
        let (first, last) = words(text);
        shape.insert(
            *next,
            KeyAt {
                text: text.into(),
                first,
                last,
                pi,
                id,
            },
        );
        *next += 1;
    }
}

/// The scalar at a dotted `path` of a record, as text: a string as it is,
/// a number or boolean as JSON writes it; `None` when the path leads to
/// nothing, `null`, a list or an object, or the record is not valid JSON
/// up to it. Of duplicate keys the last counts, as in a parsed lead. The
/// record is read once with this scanner (nothing is built for what is
/// skipped); `metrics --by FIELD` groups by it.
pub(crate) fn field_text(text: &str, path: &[&str]) -> Option<String> {
    let mut scratch = String::new();
    let mut s = Scanner {
        s: text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
        scratch: &mut scratch,
        shapes: &mut [],
    };
    s.walk(path).ok().flatten()
}

impl Scanner<'_, '_> {
    fn walk(&mut self, path: &[&str]) -> R<Option<String>> {
        self.ws();
        let Some((head, rest)) = path.split_first() else {
            return match self.peek() {
                Some(b'{' | b'[') => self.skip().map(|_| None),
                _ => Ok(self.scalar()?.map(|s| match s {
                    Scalar::Str(t) => t.to_string(),
                    Scalar::U64(n) => n.to_string(),
                    Scalar::I64(n) => n.to_string(),
                    Scalar::F64(n) => crate::value::num_json(n).to_string(),
                    Scalar::Bool(b) => b.to_string(),
                })),
            };
        };
        if self.peek() != Some(b'{') {
            return self.skip().map(|_| None);
        }
        self.enter()?;
        self.i += 1;
        self.ws();
        let mut found = None;
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                let key = self.string(true)?;
                let hit = self.text(&key) == *head;
                self.ws();
                self.expect(b':')?;
                if hit {
                    found = self.walk(rest)?;
                } else {
                    self.skip()?;
                }
                if !self.more(b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(found)
    }
}

#[cfg(test)]
mod field_tests {
    use super::field_text;

    #[test]
    fn paths_find_scalars_and_nothing_else() {
        let rec = r#"{"a": {"x": [1, {"b": 2}], "b": "EMEA", "n": 12.50, "t": true}, "a2": null}"#;
        assert_eq!(field_text(rec, &["a", "b"]).as_deref(), Some("EMEA"));
        assert_eq!(field_text(rec, &["a", "n"]).as_deref(), Some("12.5"));
        assert_eq!(field_text(rec, &["a", "t"]).as_deref(), Some("true"));
        assert_eq!(field_text(rec, &["a", "x"]), None);
        assert_eq!(field_text(rec, &["a2"]), None);
        assert_eq!(field_text(rec, &["a", "x", "b"]), None);
        assert_eq!(field_text(rec, &["missing"]), None);
        // the last of duplicate keys counts, as in a parsed lead
        let dup = r#"{"a": {"b": "first"}, "a": {"b": "second"}, "c": 1, "c": -2}"#;
        assert_eq!(field_text(dup, &["a", "b"]).as_deref(), Some("second"));
        assert_eq!(field_text(dup, &["c"]).as_deref(), Some("-2"));
        let dup = r#"{"a": {"b": "first"}, "a": 3}"#;
        assert_eq!(field_text(dup, &["a", "b"]), None);
        assert_eq!(
            field_text(r#"{"k\u0065y": "esc\u0061ped"}"#, &["key"]).as_deref(),
            Some("escaped")
        );
        assert_eq!(field_text("{\"a\": ", &["a"]), None);
        assert_eq!(field_text("[1]", &["a"]), None);
        // deep nesting is refused at serde_json's depth, not a crash
        let deep = format!("{{\"b\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(field_text(&deep, &["a"]), None);
        let deep = format!("{}{}", "{\"a\": ".repeat(100_000), "}".repeat(100_000));
        assert_eq!(field_text(&deep, &["a", "a"]), None);
    }
}
