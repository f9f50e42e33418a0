//! CRM export envelopes and the whole-text document reader: which keys an
//! export puts beside its records, how many records an export holds (for
//! `--lead`'s message), and the reader the streaming one is tested against.

use std::collections::BTreeMap;

use super::Record;

/// Why a JSON document of leads could not be read: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// 1-based line and column in the document (0 when unknown).
    pub line: usize,
    /// See `line`.
    pub column: usize,
    /// What is wrong, for people.
    pub message: String,
}

/// Keys a CRM puts beside the list of records in an export or API answer
/// (Salesforce: `records`, `totalSize`, `done`, `nextRecordsUrl`, `size`;
/// HubSpot: `results`, `total`, `paging`, and a batch read's `status`,
/// `startedAt`, `completedAt`, `requestedAt`, `links`, `errors`,
/// `numErrors`).
pub(super) const ENVELOPE: [&str; 15] = [
    "records",
    "results",
    "totalSize",
    "done",
    "nextRecordsUrl",
    "size",
    "total",
    "paging",
    "status",
    "startedAt",
    "completedAt",
    "requestedAt",
    "links",
    "errors",
    "numErrors",
];

pub(super) type RawMap<'a> = BTreeMap<String, &'a serde_json::value::RawValue>;

/// The list of records of an export envelope, and whether the export says
/// more records exist than it holds. An envelope is an object whose keys
/// are all envelope keys, with `records` or `results` an array; the
/// Salesforce CLI's `{"status": 0, "result": {...}, "warnings": [...]}`
/// around one counts too.
fn envelope_list<'a>(map: &RawMap<'a>) -> Option<(&'a serde_json::value::RawValue, bool)> {
    let starts = |raw: &serde_json::value::RawValue, c: char| raw.get().trim_start().starts_with(c);
    if map
        .keys()
        .all(|k| ["status", "result", "warnings"].contains(&k.as_str()))
    {
        let inner = map.get("result").filter(|r| starts(r, '{'))?;
        let inner: RawMap<'a> = serde_json::from_str(inner.get()).ok()?;
        return envelope_list(&inner);
    }
    if !map.keys().all(|k| ENVELOPE.contains(&k.as_str())) {
        return None;
    }
    let list = map.get("records").or_else(|| map.get("results"))?;
    if !starts(list, '[') {
        return None;
    }
    let more = map.get("done").is_some_and(|d| d.get().trim() == "false")
        || map
            .get("nextRecordsUrl")
            .is_some_and(|u| u.get().trim() != "null")
        || map
            .get("paging")
            .is_some_and(|p| p.get().contains("\"next\""));
    Some((*list, more))
}

/// When `text` (one JSON object) is a CRM export envelope rather than a
/// lead: how many records it holds.
pub fn envelope_size(text: &str) -> Option<usize> {
    let map: RawMap<'_> = serde_json::from_str(text).ok()?;
    let (list, _) = envelope_list(&map)?;
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(list.get()).ok()?;
    Some(items.len())
}

/// The leads of a JSON document, in order, and what a reader should know
/// about it.
#[derive(Debug, Default)]
pub struct Document<'a> {
    /// The records, in the document's order.
    pub records: Vec<Record<'a>>,
    /// Things to tell the user (an export that says it holds only a page
    /// of its records; an object read as one lead that looks like a list).
    pub notes: Vec<String>,
}

/// The lead records of a JSON document: one or more JSON values one after
/// another (as `jq .` writes them), each an array of leads, a CRM export
/// envelope (Salesforce `records`, HubSpot `results`), or one lead object.
/// Each record keeps its own text and the line it starts on.
pub fn document_records(text: &str) -> Result<Document<'_>, DocumentError> {
    use serde_json::value::RawValue;
    let at = |e: serde_json::Error| {
        // serde_json's text ends with the position, given apart here
        let mut message = e.to_string();
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        DocumentError {
            line: e.line(),
            column: e.column().max(1),
            message,
        }
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut doc = Document::default();
    let mut items: Vec<&RawValue> = Vec::new();
    for value in serde_json::Deserializer::from_str(body).into_iter::<&RawValue>() {
        let value = value.map_err(at)?;
        let v = value.get();
        if v.starts_with('[') {
            let list: Vec<&RawValue> = serde_json::from_str(v).map_err(at)?;
            items.extend(list);
        } else if v.starts_with('{') {
            let map: RawMap<'_> = serde_json::from_str(v).map_err(at)?;
            match envelope_list(&map) {
                Some((list, more)) => {
                    let list: Vec<&RawValue> = serde_json::from_str(list.get()).map_err(at)?;
                    if more {
                        doc.notes.push(format!(
                            "the export says it holds one page of its records: the {} here are evaluated, fetch the next pages for the rest",
                            list.len()
                        ));
                    }
                    items.extend(list);
                }
                None => {
                    if let Some(note) = looks_like_a_list(&map) {
                        doc.notes.push(note);
                    }
                    items.push(value);
                }
            }
        } else {
            // a scalar: an error record in its place
            items.push(value);
        }
    }
    // each record's text lies inside `text`: its offset gives its line
    // (records come in order: the text between two is scanned once)
    let base = text.as_ptr() as usize;
    let (mut line, mut line_start, mut seen, mut column) = (1, 0, 0, 1);
    for (i, raw) in items.into_iter().enumerate() {
        let offset = (raw.get().as_ptr() as usize)
            .saturating_sub(base)
            .min(text.len());
        if offset >= seen {
            let between = &text.as_bytes()[seen..offset];
            let newlines = between.iter().filter(|b| **b == b'\n').count();
            if newlines > 0 {
                line += newlines;
                line_start = seen
                    + between
                        .iter()
                        .rposition(|b| *b == b'\n')
                        .map_or(0, |i| i + 1);
                column = 1;
            }
            // characters, not bytes, from the start of the line
            let from = seen.max(line_start);
            column += text.get(from..offset).map_or(0, |t| t.chars().count());
            seen = offset;
        }
        doc.records.push(Record {
            number: i + 1,
            line,
            column,
            bytes: raw.get().as_bytes(),
        });
    }
    Ok(doc)
}

/// An object read as one lead whose list field looks like the leads of
/// an export this reader does not know: a note on how to give them.
pub(super) fn looks_like_a_list(map: &RawMap<'_>) -> Option<String> {
    for (key, value) in map {
        let v = value.get().trim_start();
        let inner = v
            .starts_with('{')
            .then(|| serde_json::from_str::<RawMap<'_>>(v).ok())
            .flatten();
        let (path, list) = match inner.as_ref().and_then(|m| {
            ["records", "results", "Records", "data"]
                .iter()
                .find_map(|k| m.get(*k).map(|l| (*k, *l)))
        }) {
            Some((k, l)) => (format!("{key}.{k}"), l.get()),
            None if ["records", "results", "Records", "data", "leads", "items"]
                .contains(&key.as_str()) =>
            {
                (key.clone(), v)
            }
            None => continue,
        };
        let Some(objects) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(list)
            .ok()
            .filter(|l| !l.is_empty() && l.iter().all(|x| x.get().starts_with('{')))
        else {
            continue;
        };
        return Some(format!(
            "the document is read as one lead, but its `{path}` holds {} objects; if those are the leads, give them as an array or one per line, e.g. `jq -c '.{path}[]' FILE | handoff eval POLICY --leads -`",
            objects.len()
        ));
    }
    None
}

/// When `bytes`, given where one lead was expected, hold several (a JSON
/// array, a CRM export with its records, or NDJSON): what they are, as the
/// end of a sentence ("a JSON array of 3 value(s)"). `None` for one lead,
/// and for text that is not JSON, which the usual error describes.
pub fn several_leads(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('[') {
        // an array that is not valid JSON is left to the usual message
        let n = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(body).ok()?;
        return Some(format!("a JSON array of {} value(s)", n.len()));
    }
    if let Some(n) = envelope_size(body) {
        return Some(format!("a CRM export with {n} lead record(s)"));
    }
    // NDJSON: a whole object first, and more after it
    let mut values = serde_json::Deserializer::from_str(body).into_iter::<serde_json::Value>();
    let first = values.next()?.ok()?;
    let at = values.byte_offset();
    if !first.is_object() || body[at..].trim().is_empty() {
        return None;
    }
    let start = at + (body[at..].len() - body[at..].trim_start().len());
    let offset = text.len() - body.len() + start;
    let line = 1 + text[..offset].matches('\n').count();
    let column = 1 + text[..offset]
        .rfind('\n')
        .map_or(offset, |nl| offset - nl - 1);
    Some(if line > 1 {
        format!("one lead per line (NDJSON): a second lead starts on line {line}")
    } else {
        format!("leads one after another (the second starts on line {line}, column {column})")
    })
}

#[cfg(test)]
mod several_tests {
    use super::several_leads;

    #[test]
    fn several_leads_are_named_with_where_the_second_starts() {
        assert_eq!(several_leads(br#"{"id": "a"}"#), None);
        assert_eq!(several_leads(b"{\"id\": \"a\"}\n\n"), None);
        assert_eq!(several_leads(b"not json"), None);
        assert_eq!(
            several_leads(b"{\"id\": \"a\"}\n{\"id\": \"b\"}\n").as_deref(),
            Some("one lead per line (NDJSON): a second lead starts on line 2")
        );
        assert_eq!(
            several_leads(br#"{"id":"x"} {"id":"y"}"#).as_deref(),
            Some("leads one after another (the second starts on line 1, column 12)")
        );
        assert_eq!(
            several_leads(br#"[{"id": "a"}, {"id": "b"}]"#).as_deref(),
            Some("a JSON array of 2 value(s)")
        );
    }
}
