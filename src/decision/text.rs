//! The texts of the policy inside a decision and how they are written:
//! [`PText`] (owned by the compiled policy, with its JSON form escaped
//! once), [`Text`] (a decision's borrow of one), [`Named`] (name/value
//! pairs in policy order, written as a JSON object), and the serializers
//! of timestamps as RFC 3339 text.

use std::fmt;
use std::ops::Deref;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;

/// A text owned by the compiled policy, with its JSON form.
#[derive(Debug, Clone)]
pub struct PText {
    text: String,
    json: Box<RawValue>,
}

impl PText {
    /// Makes a policy text from `text`, escaping its JSON form once, now.
    pub fn new(text: impl Into<String>) -> PText {
        let text = text.into();
        let json = serde_json::value::to_raw_value(&text).expect("a string always serializes");
        PText { text, json }
    }

    /// Borrows it for a decision.
    pub fn t(&self) -> Text<'_> {
        Text {
            text: &self.text,
            json: &self.json,
        }
    }

    /// The text itself, unescaped.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Deref for PText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl PartialEq<&str> for PText {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl fmt::Display for PText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

impl Serialize for PText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.t().serialize(s)
    }
}

/// A text of the policy inside a decision: reads as a `&str`, and keeps its
/// JSON string, escaped once when the policy is compiled, for the writer.
#[derive(Clone, Copy)]
pub struct Text<'p> {
    text: &'p str,
    json: &'p RawValue,
}

impl<'p> Text<'p> {
    /// The text itself, unescaped, borrowed from the policy (it outlives
    /// this `Text`).
    pub fn as_str(&self) -> &'p str {
        self.text
    }

    /// The text as a JSON string literal, escaped.
    pub fn json(&self) -> &'p str {
        self.json.get()
    }
}

impl Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.text
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.text, f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.text)
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl Serialize for Text<'_> {
    // the pre-escaped form is for the hand-written writer (src/write.rs);
    // a serializer gets the text, whatever its format
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text)
    }
}

/// A moment, written as RFC 3339 in UTC without an intermediate string.
pub(super) fn timestamp<S: Serializer>(t: &jiff::Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

pub(super) fn opt_timestamp<S: Serializer>(
    t: &Option<jiff::Timestamp>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

/// Name/value pairs in policy order, written as a JSON object.
#[derive(Debug, Clone)]
pub struct Named<'p, T> {
    /// The pairs, in the order the policy declares the names; each name
    /// occurs once.
    pub entries: Vec<(Text<'p>, T)>,
}

impl<T> Default for Named<'_, T> {
    fn default() -> Self {
        Named {
            entries: Vec::new(),
        }
    }
}

impl<'p, T> Named<'p, T> {
    /// The value named `name`; `None` when there is no such entry.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.entries
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }

    /// Whether there are no entries (written as `{}`).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The names and values, in policy order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }
}

impl<T> std::ops::Index<&str> for Named<'_, T> {
    type Output = T;
    /// The entry named `name`; panics when there is none, like a map.
    fn index(&self, name: &str) -> &T {
        self.get(name)
            .unwrap_or_else(|| panic!("no entry named `{name}`"))
    }
}

impl<T: Serialize> Serialize for Named<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            // map keys must be plain strings for serde_json
            m.serialize_entry(k.as_str(), v)?;
        }
        m.end()
    }
}
