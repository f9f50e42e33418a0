//! The streaming reader: raw NDJSON bytes -> slots, without building a
//! `serde_json::Value`.
//!
//! serde_json's deserializer is driven by the compiled projection: keys the
//! policy reads are converted in place (through the same [`Scalar`]
//! conversion as the `Value` path), everything else is skipped with
//! [`Skip`], which still validates it (string escapes included). So a record is rejected exactly
//! when a full parse would reject it: invalid JSON anywhere, trailing
//! garbage, nesting past serde_json's limit of 128. Invalid UTF-8 is
//! rejected before parsing. Rare shapes that this reader does not handle
//! itself (a projected key given twice, a top level that is not an object)
//! fall back to the `Value` path, so both paths always agree.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::extract::{Extractor, Scalar};
use super::value::Val;
use crate::ir::{ProjNode, Projection, SlotInfo};
use crate::types::Ty;

/// Why the streaming reader stopped.
pub(crate) enum Stop {
    /// The JSON is invalid (the `Value` path reports the exact error).
    Invalid,
    /// A shape the `Value` path handles: evaluate through it.
    Fallback,
}

const ID_KEYS: [&str; 5] = ["id", "Id", "ID", "lead_id", "LeadId"];

/// The lead id candidates seen at the top level, by priority.
#[derive(Default)]
pub(crate) struct Ids {
    pub found: [Option<String>; 5],
}

impl Ids {
    pub fn best(self) -> Option<String> {
        self.found.into_iter().flatten().next()
    }
}

/// Reads one record. On success the slots are filled and the ids captured.
pub(crate) fn read(
    ex: &mut Extractor<'_>,
    proj: &Projection,
    slots: &[SlotInfo],
    elems: &HashMap<u32, usize>,
    text: &str,
    out: &mut [Val],
    ids: &mut Ids,
) -> Result<(), Stop> {
    if !text.trim_start().starts_with('{') {
        return Err(Stop::Fallback);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut fallback = false;
    let seed = Obj {
        ex,
        proj,
        slots,
        elems,
        out,
        ids: Some(ids),
        fallback: &mut fallback,
    };
    let r = seed.deserialize(&mut de).and_then(|_| de.end());
    match r {
        Ok(()) if fallback => Err(Stop::Fallback),
        Ok(()) => Ok(()),
        Err(_) if fallback => Err(Stop::Fallback),
        Err(_) => Err(Stop::Invalid),
    }
}

/// An object read through a projection.
struct Obj<'a, 'e, 'f> {
    ex: &'a mut Extractor<'e>,
    proj: &'a Projection,
    slots: &'a [SlotInfo],
    elems: &'a HashMap<u32, usize>,
    out: &'a mut [Val],
    /// `Some` at the top level of the lead.
    ids: Option<&'a mut Ids>,
    fallback: &'f mut bool,
}

impl<'de> DeserializeSeed<'de> for Obj<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// Matches a key against the projection (and the id keys) without allocating.
struct Key<'a> {
    proj: &'a Projection,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = (Option<usize>, Option<usize>);
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = (Option<usize>, Option<usize>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, k: &str) -> Result<Self::Value, E> {
        let proj = self.proj.keys.iter().position(|(name, _)| name == k);
        let id = if self.top {
            ID_KEYS.iter().position(|i| *i == k)
        } else {
            None
        };
        Ok((proj, id))
    }
}

impl<'de> Visitor<'de> for Obj<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let many = self.proj.keys.len() > 64;
        let mut seen: u64 = 0;
        let top = self.ids.is_some();
        while let Some((pi, id)) = map.next_key_seed(Key {
            proj: self.proj,
            top,
        })? {
            if let Some(i) = pi {
                if many || seen & (1 << i) != 0 {
                    // a projected key given twice: the Value path decides
                    *self.fallback = true;
                    map.next_value::<Skip>()?;
                    continue;
                }
                seen |= 1 << i;
            }
            match (pi, id) {
                (None, None) => {
                    map.next_value::<Skip>()?;
                }
                (None, Some(idx)) => {
                    let v: IdValue = map.next_value()?;
                    if let Some(ids) = self.ids.as_deref_mut() {
                        ids.found[idx] = v.0;
                    }
                }
                (Some(i), id) => {
                    let node = &self.proj.keys[i].1;
                    match (node, id) {
                        (ProjNode::Leaf(s), None) if self.slots[*s as usize].keep_json => {
                            // a field that travels whole: read it as a Value
                            let info = &self.slots[*s as usize];
                            let v: serde_json::Value = map.next_value()?;
                            self.out[*s as usize] =
                                self.ex.leaf(Some(&v), info, self.elems.get(s).copied());
                            if !v.is_null() {
                                self.ex.json.push((*s, v));
                            }
                        }
                        (ProjNode::Leaf(s), None) => {
                            let info = &self.slots[*s as usize];
                            let v = map.next_value_seed(Leaf {
                                ex: self.ex,
                                ty: &info.ty,
                                info,
                                elem: self.elems.get(s).copied(),
                                fallback: self.fallback,
                            })?;
                            self.out[*s as usize] = v;
                        }
                        (ProjNode::Record(p), None) => {
                            map.next_value_seed(Nested {
                                inner: Obj {
                                    ex: self.ex,
                                    proj: p,
                                    slots: self.slots,
                                    elems: self.elems,
                                    out: self.out,
                                    ids: None,
                                    fallback: self.fallback,
                                },
                            })?;
                        }
                        _ => {
                            // a key both read whole and by field, or both a
                            // field and the lead id: rare, the Value path decides
                            *self.fallback = true;
                            map.next_value::<Skip>()?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// A nested object that may also be null or the wrong kind of value.
struct Nested<'a, 'e, 'f> {
    inner: Obj<'a, 'e, 'f>,
}

impl<'de> DeserializeSeed<'de> for Nested<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Nested<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.inner.visit_map(map)
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    // any other kind of value: the Value path names it in a schema issue
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        *self.inner.fallback = true;
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        *self.inner.fallback = true;
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        *self.inner.fallback = true;
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        *self.inner.fallback = true;
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        *self.inner.fallback = true;
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        *self.inner.fallback = true;
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(())
    }
}

/// A lead id: a string or a number, anything else is no id.
struct IdValue(Option<String>);

impl<'de> de::Deserialize<'de> for IdValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<IdValue, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id")
            }
            fn visit_str<E>(self, s: &str) -> Result<IdValue, E> {
                Ok(IdValue(Some(s.to_string())))
            }
            fn visit_u64<E>(self, n: u64) -> Result<IdValue, E> {
                Ok(IdValue(Some(n.to_string())))
            }
            fn visit_i64<E>(self, n: i64) -> Result<IdValue, E> {
                Ok(IdValue(Some(n.to_string())))
            }
            fn visit_f64<E>(self, n: f64) -> Result<IdValue, E> {
                Ok(IdValue(
                    serde_json::Number::from_f64(n).map(|n| n.to_string()),
                ))
            }
            fn visit_bool<E>(self, _: bool) -> Result<IdValue, E> {
                Ok(IdValue(None))
            }
            fn visit_unit<E>(self) -> Result<IdValue, E> {
                Ok(IdValue(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IdValue, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(IdValue(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdValue, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(IdValue(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// One field value of type `ty`.
struct Leaf<'a, 'e, 'f> {
    ex: &'a mut Extractor<'e>,
    ty: &'a Ty,
    info: &'a SlotInfo,
    /// the element frame, for a list of records
    elem: Option<usize>,
    fallback: &'f mut bool,
}

impl<'de> DeserializeSeed<'de> for Leaf<'_, '_, '_> {
    type Value = Val;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Leaf<'_, '_, '_> {
    type Value = Val;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_str<E>(self, s: &str) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::Str(s), self.ty, self.info))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::U64(n), self.ty, self.info))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::I64(n), self.ty, self.info))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::F64(n), self.ty, self.info))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::Bool(b), self.ty, self.info))
    }
    fn visit_unit<E>(self) -> Result<Val, E> {
        Ok(Val::Missing)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let Ty::List(elem_ty) = self.ty else {
            while seq.next_element::<Skip>()?.is_some() {}
            if *self.ty == Ty::Unknown {
                return Ok(Val::Missing);
            }
            return Ok(self.ex.issue_found(self.info, self.ty, "a list".into()));
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        loop {
            let item = match (&**elem_ty, self.elem) {
                (Ty::Record(_), Some(f)) => {
                    let frames = self.ex.frames;
                    let (proj, slots, elems) = &frames.frames[f];
                    seq.next_element_seed(Elem {
                        ex: self.ex,
                        proj,
                        slots,
                        elems,
                        ty: elem_ty,
                        info: self.info,
                        fallback: self.fallback,
                    })?
                }
                _ => seq.next_element_seed(Leaf {
                    ex: self.ex,
                    ty: elem_ty,
                    info: self.info,
                    elem: None,
                    fallback: self.fallback,
                })?,
            };
            match item {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Val::List(items.into()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        match self.ty {
            Ty::Record(_) => Ok(Val::Rec(Vec::new().into())),
            Ty::Unknown => Ok(Val::Missing),
            _ => Ok(self.ex.issue_found(self.info, self.ty, "an object".into())),
        }
    }
}

/// A list element that should be a record read through its own projection.
struct Elem<'a, 'e, 'f> {
    ex: &'a mut Extractor<'e>,
    proj: &'a Projection,
    slots: &'a [SlotInfo],
    elems: &'a HashMap<u32, usize>,
    ty: &'a Ty,
    info: &'a SlotInfo,
    fallback: &'f mut bool,
}

impl<'de> DeserializeSeed<'de> for Elem<'_, '_, '_> {
    type Value = Val;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Elem<'_, '_, '_> {
    type Value = Val;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Val, A::Error> {
        let mut vals = vec![Val::Missing; self.slots.len()];
        Obj {
            ex: self.ex,
            proj: self.proj,
            slots: self.slots,
            elems: self.elems,
            out: &mut vals,
            ids: None,
            fallback: self.fallback,
        }
        .visit_map(map)?;
        Ok(Val::Rec(vals.into()))
    }
    fn visit_unit<E>(self) -> Result<Val, E> {
        Ok(Val::Missing)
    }
    fn visit_str<E>(self, s: &str) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::Str(s), self.ty, self.info))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::U64(n), self.ty, self.info))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::I64(n), self.ty, self.info))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::F64(n), self.ty, self.info))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Val, E> {
        Ok(self.ex.scalar(Scalar::Bool(b), self.ty, self.info))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(self.ex.issue_found(self.info, self.ty, "a list".into()))
    }
}

/// Skips any JSON value while validating it as a full parse would:
/// strings are decoded (so a lone surrogate escape is an error), numbers
/// parsed, nesting counted against serde_json's limit.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}
