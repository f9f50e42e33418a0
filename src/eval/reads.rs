//! The lead fields a decision read, for the decision log: every field of
//! the policy's projection with the value the reader gave it (after
//! placeholders and conversion), personal data masked.
//!
//! Every lead is read through the same projection, so these are the
//! fields the decision depends on: with `now` and the state they determine
//! it. A field that did not matter for this lead (a route rule never
//! reached, a signal that was not needed) is listed all the same; which
//! ones mattered is what `explain` tells.

use crate::ir::Policy;
use crate::value::Val;

use super::Engine;

/// What a masked value that is present is written as.
const MASK: &[u8] = "\"•••\"".as_bytes();

/// The paths of the fields the decision log masks, as a JSON array.
pub(super) fn masked_json(policy: &Policy) -> String {
    let masked: Vec<&str> = policy
        .slots
        .iter()
        .zip(&policy.logged_masked)
        .filter(|(_, m)| **m)
        .map(|(s, _)| s.path.as_str())
        .collect();
    serde_json::to_string(&masked).unwrap_or_else(|_| "[]".into())
}

impl Engine {
    /// Writes the lead's fields (`slots`) as a JSON object into `out`.
    pub(super) fn write_reads(&self, slots: &[Val], out: &mut Vec<u8>) {
        let p = &self.policy;
        out.push(b'{');
        for (i, (v, info)) in slots.iter().zip(&p.slots).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(info.path.t().json().as_bytes());
            out.push(b':');
            if v.is_missing() {
                out.extend_from_slice(b"null");
            } else if p.logged_masked.get(i).copied().unwrap_or(true) {
                out.extend_from_slice(MASK);
            } else {
                let child = self.frames.frames[0].2.get(&(i as u32)).copied();
                self.write_val(v, child, info.path.as_str(), out);
            }
        }
        out.push(b'}');
    }

    /// A value; the items of a list of records (element frame `frame`, of
    /// the list at `path`) as objects keyed by their fields' names.
    fn write_val(&self, v: &Val, frame: Option<usize>, path: &str, out: &mut Vec<u8>) {
        match (v, frame) {
            (Val::List(items), Some(_)) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write_val(item, frame, path, out);
                }
                out.push(b']');
            }
            (Val::Rec(fields), Some(f)) => {
                let (_, infos, elems) = &self.frames.frames[f];
                out.push(b'{');
                for (i, (cell, info)) in fields.iter().zip(infos).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let full = info.path.as_str();
                    let name = full
                        .strip_prefix(path)
                        .map(|n| n.strip_prefix("[]").unwrap_or(n))
                        .and_then(|n| n.strip_prefix('.'))
                        .unwrap_or(full);
                    let _ = serde_json::to_writer(&mut *out, name);
                    out.push(b':');
                    let child = elems.get(&(i as u32)).copied();
                    self.write_val(cell, child, full, out);
                }
                out.push(b'}');
            }
            _ => {
                // serializing a value into memory cannot fail
                let _ = serde_json::to_writer(&mut *out, v);
            }
        }
    }
}
