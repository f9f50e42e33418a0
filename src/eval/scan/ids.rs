//! The lead id as the scanner reads it: the top-level id keys, and a
//! Salesforce record's `attributes` (`referenceId`, the id that ends
//! `url`), kept by priority as the `Value` path ranks them.

use super::lex::Str;
use super::{Scanner, Stop, R};

pub(crate) const ID_KEYS: [&str; 5] = ["id", "Id", "ID", "lead_id", "LeadId"];

/// Where [`Ids`] keeps the id a Salesforce record carries in its
/// `attributes` (see [`crate::eval::lead_id`]): `referenceId` here, the
/// record id at the end of `url` next.
pub(super) const ATTRIBUTES: usize = ID_KEYS.len();

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

impl Scanner<'_, '_> {
    /// A Salesforce record's `attributes`: its `referenceId` (a string or
    /// a number) and the record id that ends its REST `url`
    /// (`…/sobjects/Lead/00Q…`), when they are there; anything else is
    /// validated and skipped, as is a value that is not an object.
    #[cold]
    pub(super) fn attributes(&mut self) -> R<(Option<IdText>, Option<IdText>)> {
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
    pub(super) fn id_value(&mut self) -> R<Option<IdText>> {
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
}

#[cfg(test)]
mod tests {
    use super::ID_KEYS;

    /// The reader only compares keys starting with these letters against
    /// the id keys.
    #[test]
    fn every_id_key_starts_with_a_letter_the_reader_looks_for() {
        for k in ID_KEYS {
            assert!(matches!(k.as_bytes()[0], b'i' | b'I' | b'l' | b'L'), "{k}");
        }
    }
}
