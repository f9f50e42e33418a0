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

/// serde_json refuses the 128th nested array or object.
const MAX_DEPTH: u32 = 127;

const ID_KEYS: [&str; 5] = ["id", "Id", "ID", "lead_id", "LeadId"];

/// Where [`Ids`] keeps the id a Salesforce record carries in its
/// `attributes` (see [`crate::eval::lead_id`]): `referenceId` here, the
/// record id at the end of `url` next.
const ATTRIBUTES: usize = ID_KEYS.len();

/// The lead id candidates seen at the top level, by priority: the id keys,
/// then `attributes.referenceId`, then the id in `attributes.url`.
#[derive(Default)]
pub(crate) struct Ids {
    pub found: [Option<IdText>; ID_KEYS.len() + 2],
}

/// A lead id as read: bytes of the record (a plain string), or its own
/// text (a string with escapes, a number).
pub(crate) enum IdText {
    Range(usize, usize),
    Own(String),
}

impl Ids {
    /// The id of highest priority, written into `reuse` (the id string of
    /// the decision before, so that a batch does not allocate one a lead).
    pub fn best(self, text: &str, reuse: Option<String>) -> Option<String> {
        let best = self.found.into_iter().flatten().next()?;
        Some(match best {
            IdText::Own(s) => s,
            IdText::Range(a, b) => {
                let mut s = reuse.unwrap_or_default();
                s.clear();
                s.push_str(text.get(a..b).unwrap_or_default());
                s
            }
        })
    }
}

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
    owner: u64,
    levels: Vec<Vec<KeyAt>>,
}

impl Shapes {
    /// The levels of engine `owner`, which has `n`; forgets what another
    /// engine's levels taught.
    pub fn of(&mut self, owner: u64, n: u32) -> &mut [Vec<KeyAt>] {
        if self.owner != owner {
            self.owner = owner;
            self.levels.clear();
            self.levels.resize_with(n as usize, Vec::new);
        }
        &mut self.levels
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

/// A string as read: borrowed from the input, or decoded into scratch.
enum Str {
    Raw(usize, usize),
    Decoded,
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
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline]
    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(Stop::Invalid)
        }
    }

    /// After a value inside `[...]` or `{...}`: `true` past a `,` (more
    /// follows), `false` past the closing `close`.
    #[inline(always)]
    fn more(&mut self, close: u8) -> R<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(Stop::Invalid),
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Stop::Invalid);
        }
        Ok(())
    }

    fn text(&self, s: &Str) -> &str {
        match s {
            // strings start and end at ASCII quotes: always char boundaries
            Str::Raw(a, b) => self.s.get(*a..*b).unwrap_or(""),
            Str::Decoded => self.scratch,
        }
    }

    /// Reads a string (the opening quote is next); decodes escapes only
    /// when `decode` is set, but always validates them.
    #[inline(always)]
    fn string(&mut self, decode: bool) -> R<Str> {
        self.expect(b'"')?;
        let start = self.i;
        // fast path: the first quote, backslash or control character
        let end = special(self.b, start);
        if self.b.get(end) == Some(&b'"') {
            self.i = end + 1;
            return Ok(Str::Raw(start, end));
        }
        self.string_escaped(start, end, decode)
    }

    /// The rest of a string whose first special byte at `end` is not its
    /// closing quote: escapes (decoded into scratch when `decode`), or an
    /// error.
    #[cold]
    #[inline(never)]
    fn string_escaped(&mut self, start: usize, end: usize, decode: bool) -> R<Str> {
        match self.b.get(end) {
            Some(b'\\') => self.i = end,
            _ => return Err(Stop::Invalid),
        }
        if decode {
            self.scratch.clear();
            let prefix = self.s.get(start..self.i).ok_or(Stop::Invalid)?;
            self.scratch.push_str(prefix);
        }
        loop {
            match self.b.get(self.i) {
                None => return Err(Stop::Invalid),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Str::Decoded);
                }
                Some(b'\\') => {
                    self.i += 1;
                    self.escape(decode)?;
                }
                Some(c) if *c < 0x20 => return Err(Stop::Invalid),
                Some(_) => {
                    // copy one UTF-8 character
                    let len = utf8_len(self.b[self.i]);
                    let end = (self.i + len).min(self.b.len());
                    if decode {
                        let ch = self.s.get(self.i..end).ok_or(Stop::Invalid)?;
                        self.scratch.push_str(ch);
                    }
                    self.i = end;
                }
            }
        }
    }

    /// One escape after its backslash, with serde_json's surrogate rules.
    fn escape(&mut self, decode: bool) -> R<()> {
        let c = self.peek().ok_or(Stop::Invalid)?;
        self.i += 1;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let n = self.hex4()?;
                if (0xDC00..=0xDFFF).contains(&n) {
                    return Err(Stop::Invalid);
                }
                if (0xD800..=0xDBFF).contains(&n) {
                    if self.peek() != Some(b'\\') {
                        return Err(Stop::Invalid);
                    }
                    self.i += 1;
                    if self.peek() != Some(b'u') {
                        return Err(Stop::Invalid);
                    }
                    self.i += 1;
                    let n2 = self.hex4()?;
                    if !(0xDC00..=0xDFFF).contains(&n2) {
                        return Err(Stop::Invalid);
                    }
                    let cp = (((n - 0xD800) << 10) | (n2 - 0xDC00)) + 0x1_0000;
                    char::from_u32(cp).ok_or(Stop::Invalid)?
                } else {
                    char::from_u32(n).ok_or(Stop::Invalid)?
                }
            }
            _ => return Err(Stop::Invalid),
        };
        if decode {
            self.scratch.push(ch);
        }
        Ok(())
    }

    fn hex4(&mut self) -> R<u32> {
        let mut n = 0u32;
        for _ in 0..4 {
            let c = self.peek().ok_or(Stop::Invalid)?;
            let d = (c as char).to_digit(16).ok_or(Stop::Invalid)?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    /// Scans a number token and returns its text; checks its grammar, and
    /// its range where it could overflow, as serde_json does.
    fn number_token(&mut self) -> R<&'a str> {
        let text: &'a str = self.s;
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(Stop::Invalid);
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.i += 1;
                }
            }
            _ => return Err(Stop::Invalid),
        }
        let mut exp = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(Stop::Invalid);
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            exp = true;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(Stop::Invalid);
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
        }
        let tok = text.get(start..self.i).ok_or(Stop::Invalid)?;
        if (exp || tok.len() > 300) && serde_json::from_str::<serde_json::Number>(tok).is_err() {
            return Err(Stop::Invalid);
        }
        Ok(tok)
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Stop::Invalid)
        }
    }

    /// Skips any value, validating it.
    fn skip(&mut self) -> R<()> {
        self.ws();
        match self.peek().ok_or(Stop::Invalid)? {
            b'"' => self.string(false).map(|_| ()),
            b'{' => {
                self.enter()?;
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        self.string(false)?;
                        self.ws();
                        self.expect(b':')?;
                        self.skip()?;
                        if !self.more(b'}')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
                Ok(())
            }
            b'[' => {
                self.enter()?;
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.skip()?;
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
                Ok(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number_token().map(|_| ()),
            _ => Err(Stop::Invalid),
        }
    }

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

    /// A Salesforce record's `attributes`: its `referenceId` (a string or
    /// a number) and the record id that ends its REST `url`
    /// (`…/sobjects/Lead/00Q…`), when they are there; anything else is
    /// validated and skipped, as is a value that is not an object.
    #[cold]
    fn attributes(&mut self) -> R<(Option<IdText>, Option<IdText>)> {
        if self.peek() != Some(b'{') {
            self.skip()?;
            return Ok((None, None));
        }
        self.enter()?;
        self.i += 1;
        let (mut reference, mut url) = (None, None);
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok((None, None));
        }
        enum Key {
            Reference,
            Url,
            Other,
        }
        loop {
            self.ws();
            let key = self.string(true)?;
            let key = match self.text(&key) {
                "referenceId" => Key::Reference,
                "url" => Key::Url,
                _ => Key::Other,
            };
            self.ws();
            self.expect(b':')?;
            self.ws();
            match key {
                Key::Reference => reference = self.id_value()?,
                Key::Url if self.peek() == Some(b'"') => {
                    let s = self.string(true)?;
                    let id = crate::eval::record_id_in_url(self.text(&s));
                    url = match (&s, id) {
                        (_, None) => None,
                        // the id is the end of the string
                        (Str::Raw(_, b), Some(id)) => Some(IdText::Range(b - id.len(), *b)),
                        (Str::Decoded, Some(id)) => Some(IdText::Own(id.to_string())),
                    };
                }
                Key::Url => {
                    self.skip()?;
                    url = None;
                }
                Key::Other => self.skip()?,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        self.depth -= 1;
        Ok((reference, url))
    }

    /// A lead id: a string or a number; anything else is no id.
    fn id_value(&mut self) -> R<Option<IdText>> {
        match self.peek() {
            Some(b'"') => Ok(Some(match self.string(true)? {
                Str::Raw(a, b) => IdText::Range(a, b),
                Str::Decoded => IdText::Own(self.scratch.clone()),
            })),
            Some(b'-' | b'0'..=b'9') => {
                let tok = self.number_token()?;
                let n: serde_json::Number = serde_json::from_str(tok).map_err(|_| Stop::Invalid)?;
                Ok(Some(IdText::Own(n.to_string())))
            }
            _ => {
                self.skip()?;
                Ok(None)
            }
        }
    }

    /// A scalar as the `Value` path would see it.
    fn scalar(&mut self) -> R<Option<Scalar<'_>>> {
        Ok(match self.peek().ok_or(Stop::Invalid)? {
            b'"' => {
                let s = self.string(true)?;
                Some(Scalar::Str(self.text(&s)))
            }
            b't' => {
                self.literal(b"true")?;
                Some(Scalar::Bool(true))
            }
            b'f' => {
                self.literal(b"false")?;
                Some(Scalar::Bool(false))
            }
            b'n' => {
                self.literal(b"null")?;
                None
            }
            b'-' | b'0'..=b'9' => Some(number(self.number_token()?)?),
            _ => return Err(Stop::Invalid),
        })
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

/// The index of the first `"`, `\\` or control character at or after
/// `i`, or `b.len()`: eight bytes at a time (SWAR), then byte by byte.
#[inline]
fn special(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let q = w ^ (LO * u64::from(b'"'));
        let bs = w ^ (LO * u64::from(b'\\'));
        // a byte is flagged when it is zero (q, bs) or below 0x20 (w);
        // a borrow can only flag bytes above a truly flagged one, so the
        // lowest flag is exact
        let m = (q.wrapping_sub(LO) & !q)
            | (bs.wrapping_sub(LO) & !bs)
            | (w.wrapping_sub(LO * 0x20) & !w);
        let m = m & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// A number token as serde_json reads it: whole numbers of up to 18
/// digits directly (`-0` is a float there, so it goes the long way);
/// anything else through serde_json itself.
fn number(tok: &str) -> R<Scalar<'static>> {
    let (neg, digits) = match tok.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        let v = digits
            .iter()
            .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
        match (neg, v) {
            (false, v) => return Ok(Scalar::U64(v)),
            (true, v) if v > 0 => return Ok(Scalar::I64(-(v as i64))),
            _ => {}
        }
    }
    let n: serde_json::Number = serde_json::from_str(tok).map_err(|_| Stop::Invalid)?;
    Ok(Scalar::number(&n))
}

/// Whether valid JSON `text` is exactly what serde_json writes for the
/// `Value` it parses to: no whitespace, no escapes, whole numbers of up to
/// 18 digits (never `-0`), object keys in strictly ascending byte order (a
/// `Map` sorts them and keeps the last of duplicates). Anything else is
/// parsed and written by serde_json.
pub(crate) fn canonical(text: &[u8]) -> bool {
    fn value(b: &[u8], i: &mut usize) -> bool {
        match b.get(*i) {
            Some(b'"') => string(b, i).is_some(),
            Some(b'{') => {
                *i += 1;
                if b.get(*i) == Some(&b'}') {
                    *i += 1;
                    return true;
                }
                let mut prev: Option<&[u8]> = None;
                loop {
                    let Some(key) = string(b, i) else {
                        return false;
                    };
                    if prev.is_some_and(|p| p >= key) || b.get(*i) != Some(&b':') {
                        return false;
                    }
                    prev = Some(key);
                    *i += 1;
                    if !value(b, i) {
                        return false;
                    }
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b'}') => {
                            *i += 1;
                            return true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b'[') => {
                *i += 1;
                if b.get(*i) == Some(&b']') {
                    *i += 1;
                    return true;
                }
                loop {
                    if !value(b, i) {
                        return false;
                    }
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b']') => {
                            *i += 1;
                            return true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b't') => word(b, i, b"true"),
            Some(b'f') => word(b, i, b"false"),
            Some(b'n') => word(b, i, b"null"),
            Some(b'-' | b'0'..=b'9') => {
                let start = *i;
                if b[*i] == b'-' {
                    *i += 1;
                }
                let digits = *i;
                while b.get(*i).is_some_and(u8::is_ascii_digit) {
                    *i += 1;
                }
                let n = &b[digits..*i];
                !n.is_empty()
                    && n.len() <= 18
                    && (n[0] != b'0' || n.len() == 1)
                    && !(b[start] == b'-' && n == b"0")
                    && !matches!(b.get(*i), Some(b'.' | b'e' | b'E'))
            }
            _ => false,
        }
    }
    /// A string without escapes: its content.
    fn string<'t>(b: &'t [u8], i: &mut usize) -> Option<&'t [u8]> {
        if b.get(*i) != Some(&b'"') {
            return None;
        }
        let start = *i + 1;
        let end = special(b, start);
        if b.get(end) != Some(&b'"') {
            return None;
        }
        *i = end + 1;
        Some(&b[start..end])
    }
    fn word(b: &[u8], i: &mut usize, w: &[u8]) -> bool {
        let ok = b[*i..].starts_with(w);
        *i += w.len();
        ok
    }
    let mut i = 0;
    value(text, &mut i) && i == text.len()
}

/// The length of the UTF-8 sequence a lead byte starts.
fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::{canonical, ID_KEYS};

    /// The reader only compares keys starting with these letters against
    /// the id keys.
    #[test]
    fn every_id_key_starts_with_a_letter_the_reader_looks_for() {
        for k in ID_KEYS {
            assert!(matches!(k.as_bytes()[0], b'i' | b'I' | b'l' | b'L'), "{k}");
        }
    }

    /// The canonical check agrees with serde_json: whenever it says yes,
    /// writing the parsed value gives the same text back.
    #[test]
    fn canonical_text_is_what_serde_json_writes() {
        let yes = [
            r#"{"amount":25000,"currency":"EUR"}"#,
            r#"["a","b",[],{}]"#,
            r#"{"a":{"b":[1,-2,0,true,false,null]},"b":"é"}"#,
            "123456789012345678",
        ];
        let no = [
            r#"{"currency":"EUR","amount":25000}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a": 1}"#,
            r#"["a\/b"]"#,
            "1.0",
            "1e3",
            "-0",
            "1234567890123456789",
            "[1 ]",
        ];
        for t in yes {
            assert!(canonical(t.as_bytes()), "{t}");
            let v: serde_json::Value = serde_json::from_str(t).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), t);
        }
        for t in no {
            assert!(!canonical(t.as_bytes()), "{t}");
        }
    }
}
