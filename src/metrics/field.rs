//! One field of a raw lead record, by its dotted path, for `--by FIELD`:
//! the record is walked once, each object looked up for the next part of
//! the path and everything else skipped without being built.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The text a group is named by: a string as it is, a number or boolean as
/// JSON writes it, anything else (missing, `null`, a list or an object)
/// `None`.
pub(crate) fn field_text(record: &[u8], path: &[&str]) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(record);
    Walk { path }.deserialize(&mut de).ok().flatten()
}

struct Walk<'a> {
    path: &'a [&'a str],
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.path.is_empty() {
            d.deserialize_any(Leaf)
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (head, rest) = (self.path[0], &self.path[1..]);
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            // the first of duplicate keys wins, as the evaluator reads them
            if found.is_none() && key == head {
                found = Some(map.next_value_seed(Walk { path: rest })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found.flatten())
    }

    // a path through anything but an object finds nothing
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

struct Leaf;

impl<'de> Visitor<'de> for Leaf {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(crate::value::num_json(v).to_string()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::field_text;

    #[test]
    fn paths_find_scalars_and_nothing_else() {
        let rec = br#"{"a": {"x": [1, {"b": 2}], "b": "EMEA", "n": 12.50, "t": true}, "a2": null, "a": {"b": "second"}}"#;
        assert_eq!(field_text(rec, &["a", "b"]).as_deref(), Some("EMEA"));
        assert_eq!(field_text(rec, &["a", "n"]).as_deref(), Some("12.5"));
        assert_eq!(field_text(rec, &["a", "t"]).as_deref(), Some("true"));
        assert_eq!(field_text(rec, &["a", "x"]), None);
        assert_eq!(field_text(rec, &["a2"]), None);
        assert_eq!(field_text(rec, &["a", "x", "b"]), None);
        assert_eq!(field_text(rec, &["missing"]), None);
        assert_eq!(
            field_text(br#"{"k\u0065y": "escaped"}"#, &["key"]).as_deref(),
            Some("escaped")
        );
        assert_eq!(field_text(b"{\"a\": ", &["a"]), None);
        // deep nesting is refused by serde_json's own limit, not a crash
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(field_text(deep.as_bytes(), &["a"]), None);
    }
}
