//! A top-level object (or the `result` of the Salesforce CLI's answer in
//! one), read as the lead it may be until its keys show it is a CRM export;
//! then its records are read one at a time. And the notes about exports and
//! objects that look like lists.

use crate::batch::{looks_like_a_list, RawMap, ENVELOPE};

use super::machine::{found, structure, Frame, Machine};
use super::scan::{is_delim, is_ws, ws_run, Gram, Purpose, Scan, Watch};
use super::Item;

/// The keys of the Salesforce CLI's answer around an export.
const WRAPPER: [&str; 3] = ["status", "result", "warnings"];
/// Keys longer than this are none of the keys the reader looks for.
const KEY_CAP: usize = 64;

pub(super) fn is_envelope_key(key: &[u8]) -> bool {
    ENVELOPE.iter().any(|k| k.as_bytes() == key)
}

pub(super) fn is_wrapper_key(key: &[u8]) -> bool {
    WRAPPER.iter().any(|k| k.as_bytes() == key)
}

pub(super) fn page_note(records: usize) -> String {
    format!(
        "the export says it holds one page of its records: the {records} here are evaluated, fetch the next pages for the rest"
    )
}

/// The note on an object read as one lead whose field looks like a list
/// of leads (see [`looks_like_a_list`]); the text is only parsed when it
/// has a key that note looks for.
pub(super) fn list_note(text: &[u8]) -> Option<String> {
    const KEYS: [&[u8]; 6] = [
        b"\"records\"",
        b"\"results\"",
        b"\"Records\"",
        b"\"data\"",
        b"\"leads\"",
        b"\"items\"",
    ];
    if !KEYS.iter().any(|k| memchr::memmem::find(text, k).is_some()) {
        return None;
    }
    let map: RawMap<'_> = serde_json::from_slice(text).ok()?;
    looks_like_a_list(&map)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ObjState {
    /// After `{`.
    Open,
    /// After `,`.
    Key,
    InKey {
        esc: bool,
    },
    Colon,
    Value,
    After,
}

/// The keys whose values the reader looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    Records,
    Results,
    Result,
    Done,
    NextUrl,
    Paging,
    Other,
}

/// A top-level object (or the `result` of the Salesforce CLI's answer in
/// one): a lead until it is seen to be an export.
#[derive(Debug)]
pub(super) struct Obj {
    /// An export (or the answer around one) whose records are read.
    decided: bool,
    /// Every key so far is an export's (a CLI answer's).
    env: bool,
    wrap: bool,
    pub(super) state: ObjState,
    key: Vec<u8>,
    key_long: bool,
    pub(super) current: KeyKind,
    /// Of the export itself (not the answer around it): the name of its
    /// list.
    pub(super) list_key: Option<&'static str>,
    /// The export says it holds one page.
    pub(super) more: bool,
    /// Records read from it.
    pub(super) streamed: usize,
    /// A key after the records that an export does not have was noted.
    noted: bool,
    pub(super) line: usize,
    pub(super) column: usize,
}

impl Obj {
    /// An object at the top level, or (`inner`) the `result` in one.
    pub(super) fn new(inner: bool, line: usize, column: usize) -> Obj {
        Obj {
            decided: false,
            env: true,
            // the answer of the CLI is not inside another
            wrap: !inner,
            state: ObjState::Open,
            key: Vec::new(),
            key_long: false,
            current: KeyKind::Other,
            list_key: None,
            more: false,
            streamed: 0,
            noted: false,
            line,
            column,
        }
    }
}

impl Machine {
    /// In a top-level object (or the `result` in one).
    pub(super) fn obj(
        &mut self,
        state: ObjState,
        chunk: &[u8],
        i: usize,
        buf: &mut Vec<u8>,
    ) -> (usize, Option<Item>) {
        let b = chunk[i];
        if let ObjState::InKey { esc } = state {
            self.key_byte(esc, b);
            return (1, None);
        }
        if is_ws(b) {
            return (ws_run(&chunk[i..]), None);
        }
        match (state, b) {
            (ObjState::Open | ObjState::Key, b'"') => {
                if let Some(o) = self.obj_mut() {
                    o.key.clear();
                    o.key_long = false;
                    o.state = ObjState::InKey { esc: false };
                }
                (1, None)
            }
            (ObjState::Open | ObjState::After, b'}') => self.close_obj(),
            (ObjState::Colon, b':') => {
                self.set_obj(ObjState::Value);
                (1, None)
            }
            (ObjState::After, b',') => {
                self.set_obj(ObjState::Key);
                (1, None)
            }
            (ObjState::Value, _) => self.value_start(chunk, i, buf),
            _ => self.unexpected(state, chunk, i),
        }
    }

    fn key_byte(&mut self, esc: bool, b: u8) {
        let Some(o) = self.obj_mut() else {
            return;
        };
        if !esc && b == b'"' {
            self.key_done();
            return;
        }
        if o.key.len() < KEY_CAP {
            o.key.push(b);
        } else {
            o.key_long = true;
        }
        o.state = ObjState::InKey {
            esc: !esc && b == b'\\',
        };
    }

    /// A key was read: an object not known yet may be seen to be a lead;
    /// an export may have a key it should not.
    fn key_done(&mut self) {
        let Some(o) = self.obj_mut() else {
            return;
        };
        let key = (!o.key_long).then_some(o.key.as_slice());
        let env_key = key.is_some_and(is_envelope_key);
        let wrap_key = key.is_some_and(is_wrapper_key);
        o.current = match key {
            Some(b"records") => KeyKind::Records,
            Some(b"results") => KeyKind::Results,
            Some(b"result") => KeyKind::Result,
            Some(b"done") => KeyKind::Done,
            Some(b"nextRecordsUrl") => KeyKind::NextUrl,
            Some(b"paging") => KeyKind::Paging,
            _ => KeyKind::Other,
        };
        o.state = ObjState::Colon;
        if !o.decided {
            o.env &= env_key;
            o.wrap &= wrap_key;
            if !o.env && !o.wrap {
                self.decide_record();
            }
            return;
        }
        let foreign = if o.list_key.is_some() {
            !env_key
        } else {
            !wrap_key
        };
        if foreign && !o.noted {
            o.noted = true;
            let mut name = String::from_utf8_lossy(&o.key).into_owned();
            if o.key_long {
                name.push('…');
            }
            let note = format!(
                "the object that starts at line {}, column {} was read as a CRM export, but after its records it has `{name}`, which an export does not have: the {} records before it were read as leads",
                o.line, o.column, o.streamed
            );
            self.notes.push(note);
        }
    }

    /// The first byte of the value of a key.
    fn value_start(&mut self, chunk: &[u8], i: usize, buf: &mut Vec<u8>) -> (usize, Option<Item>) {
        let b = chunk[i];
        let Some(o) = self.obj_mut() else {
            return (1, None);
        };
        let kind = o.current;
        let list = matches!(kind, KeyKind::Records | KeyKind::Results);
        if !o.decided {
            if o.env && list && b == b'[' {
                // an export: its records are read one at a time, and the
                // text kept in case the object was a lead is dropped
                o.list_key = Some(if kind == KeyKind::Records {
                    "records"
                } else {
                    "results"
                });
                for f in &mut self.frames {
                    if let Frame::Obj(o) = f {
                        o.decided = true;
                    }
                }
                self.rec = None;
                buf.clear();
                self.open_list(chunk, i, true);
                return (1, None);
            }
            let result = o.wrap && kind == KeyKind::Result;
            if result && b == b'{' {
                let (line, column) = self.at(chunk, i);
                self.frames.push(Frame::Obj(Obj::new(true, line, column)));
                return (1, None);
            }
            // `records` that is not an array, `result` not an object: a lead
            if result || (o.env && kind == KeyKind::Records) {
                self.decide_record();
                return (0, None);
            }
        } else if list && o.list_key.is_some() && b == b'[' {
            self.open_list(chunk, i, true);
            return (1, None);
        }
        let watch = match kind {
            KeyKind::Done | KeyKind::NextUrl => Watch::Token,
            KeyKind::Paging => Watch::Next,
            _ => Watch::None,
        };
        match b {
            b'{' | b'[' | b'"' => {
                self.scan = Some(Scan::new(false, Purpose::Value, watch));
                (0, None)
            }
            _ if !is_delim(b) => {
                self.scan = Some(Scan::new(true, Purpose::Value, watch));
                (0, None)
            }
            _ => self.unexpected(ObjState::Value, chunk, i),
        }
    }

    /// A byte an object should not have there. In an object not known
    /// yet, the object is a lead (the evaluator says what is wrong with
    /// it); in an export, a fault: the rest of the export is skipped.
    fn unexpected(&mut self, state: ObjState, chunk: &[u8], i: usize) -> (usize, Option<Item>) {
        let Some(o) = self.obj_mut() else {
            return (1, None);
        };
        if !o.decided {
            self.decide_record();
            return (0, None);
        }
        let (start_line, start_column) = (o.line, o.column);
        let b = chunk[i];
        let (line, column) = self.at(chunk, i);
        let what = match state {
            ObjState::Open => "a key or `}`",
            ObjState::Key | ObjState::InKey { .. } => "a key",
            ObjState::Colon => "`:` after the key",
            ObjState::Value => "a value",
            ObjState::After => "`,` or `}`",
        };
        self.scan = Some(Scan::nested(1, Purpose::CloseObj));
        let message = format!(
            "expected {what} at line {line}, column {column}{} in the export that starts at line {start_line}, column {start_column}",
            found(b)
        );
        (0, Some(structure(line, column, message)))
    }

    /// At the `}` of an object.
    fn close_obj(&mut self) -> (usize, Option<Item>) {
        if !self.obj_mut().is_some_and(|o| o.decided) {
            // a lead: read to its end
            self.decide_record();
            return (0, None);
        }
        self.pop_obj();
        (1, None)
    }

    /// The end of an export (or the answer around one).
    pub(super) fn pop_obj(&mut self) {
        if let Some(Frame::Obj(o)) = self.frames.pop() {
            if o.list_key.is_some() && o.more {
                self.notes.push(page_note(o.streamed));
            }
        }
        self.set_obj(ObjState::After);
    }

    /// The top-level object is a lead: the rest of it is read as one
    /// record.
    fn decide_record(&mut self) {
        let depth = self.frames.len();
        // where the object's structure is: the scan follows it from there
        let gram = match self.obj_mut().map(|o| o.state) {
            Some(ObjState::Open) => Gram::KeyOrClose,
            Some(ObjState::Key) => Gram::Key,
            Some(ObjState::Value) => Gram::Value,
            Some(ObjState::After) => Gram::After,
            Some(ObjState::Colon | ObjState::InKey { .. }) | None => Gram::Colon,
        };
        self.frames.clear();
        let column = self.rec.as_ref().map_or(1, |r| r.column());
        self.scan = Some(Scan::nested(depth, Purpose::Record).checked(column, gram));
    }
}
