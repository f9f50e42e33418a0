//! Whether an input given with `--leads-format auto` is a JSON document or
//! NDJSON, from a prefix of it.

use crate::batch::envelope_size;

use super::object::{is_envelope_key, is_wrapper_key};
use super::scan::is_ws;
use super::BOM;

/// What an input given with `--leads-format auto` is, from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    /// A JSON document ([`DocumentReader`](super::DocumentReader)).
    Document,
    /// One lead per line.
    Ndjson,
}

/// Whether an input is a JSON document or NDJSON, from a prefix of it (at
/// most some 64 KiB, cut anywhere).
///
/// After a byte-order mark and blank space: `[` is a document. `{` whose
/// first line holds a whole object is NDJSON, unless that object is a
/// whole export. Otherwise (the first line does not close its object) a
/// first key that an export (or the Salesforce CLI's answer) has makes a
/// document; so does a next non-blank line that does not start with `{`
/// (a pretty-printed document). A next line that starts with `{` makes
/// NDJSON (a broken first lead, then more), and so does a lone first line
/// that cannot start JSON, and a lone first line (a lead longer than the
/// prefix, or a broken one). Anything else is NDJSON.
pub fn sniff(prefix: &[u8]) -> Sniff {
    let text = prefix.strip_prefix(BOM).unwrap_or(prefix);
    let Some(start) = text.iter().position(|b| !is_ws(*b)) else {
        return Sniff::Ndjson;
    };
    let text = &text[start..];
    match text[0] {
        b'[' => return Sniff::Document,
        b'{' => {}
        _ => return Sniff::Ndjson,
    }
    let (first, rest) = match memchr::memchr(b'\n', text) {
        Some(end) => (&text[..end], Some(&text[end + 1..])),
        None => (text, None),
    };
    let first = trim_end(first);
    // a line that holds a whole object is a lead, or a whole export
    let can_start = match serde_json::from_slice::<serde::de::IgnoredAny>(first) {
        Ok(_) => {
            let export = std::str::from_utf8(first)
                .ok()
                .and_then(envelope_size)
                .is_some();
            return if export {
                Sniff::Document
            } else {
                Sniff::Ndjson
            };
        }
        Err(e) => e.is_eof(),
    };
    if first_key(text).is_some_and(|k| is_envelope_key(k) || is_wrapper_key(k)) {
        return Sniff::Document;
    }
    let next = rest.and_then(|r| {
        r.split(|b| *b == b'\n')
            .map(|l| &l[l.iter().position(|b| !is_ws(*b)).unwrap_or(l.len())..])
            .find(|l| !l.is_empty())
    });
    // a lone first line that is not an export's goes on past the prefix
    // (a lead of more than 64 KiB) or ends there broken: a line either way
    match next {
        Some(line) if line[0] == b'{' => Sniff::Ndjson,
        Some(_) if can_start => Sniff::Document,
        _ => Sniff::Ndjson,
    }
}

/// The raw text of the first key of an object that starts `text`.
fn first_key(text: &[u8]) -> Option<&[u8]> {
    let rest = text.strip_prefix(b"{")?;
    let start = rest.iter().position(|b| !is_ws(*b))?;
    let rest = rest[start..].strip_prefix(b"\"")?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

fn trim_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., last] = line {
        if !is_ws(*last) {
            break;
        }
        line = rest;
    }
    line
}
