//! The reader's state machine: where it is in the document (the arrays and
//! objects around it), the record being read and how much of it is kept,
//! the faults between records and the end of the input. How it reads an
//! object is in [`super::object`].

use super::object::{list_note, page_note, KeyKind, Obj, ObjState};
use super::scan::{is_delim, is_ws, ws_run, Gram, Pos, Purpose, Scan, Stop, Watch};
use super::{Item, BOM};

/// Of a record too large to evaluate, the start kept (for its lead id).
const KEEP: usize = 64 * 1024;

/// What was found where something else was expected, for a message.
pub(super) fn found(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!(", found `{}`", b as char)
    } else {
        String::new()
    }
}

pub(super) fn structure(line: usize, column: usize, message: String) -> Item {
    Item::Error {
        number: None,
        line,
        column,
        kind: "invalid_json",
        message,
    }
}

/// The record being read.
#[derive(Debug)]
pub(super) struct Rec {
    line: usize,
    column: usize,
    /// Longer than the limit: its text is no longer kept.
    over: bool,
    /// A top-level object (it gets the note of [`list_note`]).
    top_object: bool,
    /// Where and why it was seen not to be valid JSON.
    broken: Option<(usize, usize, String)>,
}

impl Rec {
    /// Its column, for [`Scan::checked`].
    pub(super) fn column(&self) -> usize {
        self.column
    }
}

/// Adds `bytes` of a record to its text, within the limit.
fn keep(rec: &mut Rec, bytes: &[u8], buf: &mut Vec<u8>, limit: usize) {
    if rec.over || bytes.is_empty() {
        return;
    }
    if buf.len() + bytes.len() <= limit {
        buf.extend_from_slice(bytes);
        return;
    }
    rec.over = true;
    let kept = KEEP.min(limit);
    let room = kept.saturating_sub(buf.len()).min(bytes.len());
    buf.extend_from_slice(&bytes[..room]);
    buf.truncate(kept);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListState {
    /// After `[`.
    Open,
    /// After `,`.
    Element,
    /// After an element.
    After,
}

/// An array whose elements are records: a top-level array, or an
/// export's `records`.
#[derive(Debug)]
pub(super) struct List {
    envelope: bool,
    state: ListState,
    line: usize,
    column: usize,
}

#[derive(Debug)]
pub(super) enum Frame {
    List(List),
    Obj(Obj),
}

/// The reader's state: everything but its input.
pub(super) struct Machine {
    limit: usize,
    /// The place after the bytes accounted for.
    pos: Pos,
    /// The bytes of the current chunk accounted for in `pos`.
    acct: usize,
    /// The bytes of a byte-order mark read at the start.
    bom: usize,
    started: bool,
    /// Where the reader is: the arrays and objects around it (at most an
    /// object, the object in it and an array; none between top-level
    /// values).
    pub(super) frames: Vec<Frame>,
    pub(super) scan: Option<Scan>,
    /// Skipping to the next record after a fault, at this depth of
    /// brackets of what is skipped.
    resync: Option<usize>,
    pub(super) rec: Option<Rec>,
    /// Where the record's bytes not yet kept start in the current chunk.
    rec_from: usize,
    /// Records given.
    pub(super) count: usize,
    /// A top-level value was seen.
    seen: bool,
    pub(super) notes: Vec<String>,
    pub(super) done: bool,
}

impl Machine {
    pub(super) fn new(limit: usize) -> Machine {
        Machine {
            limit,
            pos: Pos { line: 1, col: 0 },
            acct: 0,
            bom: 0,
            started: false,
            frames: Vec::new(),
            scan: None,
            resync: None,
            rec: None,
            rec_from: 0,
            count: 0,
            seen: false,
            notes: Vec::new(),
            done: false,
        }
    }

    /// The line and column of byte `i` of `chunk`.
    pub(super) fn at(&mut self, chunk: &[u8], i: usize) -> (usize, usize) {
        self.pos.advance(&chunk[self.acct..i]);
        self.acct = i;
        (self.pos.line, self.pos.col + 1)
    }

    pub(super) fn obj_mut(&mut self) -> Option<&mut Obj> {
        match self.frames.last_mut() {
            Some(Frame::Obj(o)) => Some(o),
            _ => None,
        }
    }

    fn set_list(&mut self, state: ListState) {
        if let Some(Frame::List(l)) = self.frames.last_mut() {
            l.state = state;
        }
    }

    pub(super) fn set_obj(&mut self, state: ObjState) {
        if let Some(o) = self.obj_mut() {
            o.state = state;
        }
    }

    /// Reads from `chunk` until an item is found or the chunk is used up:
    /// the bytes used, and the item.
    pub(super) fn step(&mut self, chunk: &[u8], buf: &mut Vec<u8>) -> (usize, Option<Item>) {
        self.acct = 0;
        self.rec_from = 0;
        let mut i = 0;
        let mut item = None;
        while i < chunk.len() && item.is_none() {
            let (used, got) = self.byte(chunk, i, buf);
            i += used;
            item = got;
        }
        self.pos.advance(&chunk[self.acct..i]);
        self.acct = i;
        if let Some(rec) = self.rec.as_mut() {
            keep(rec, &chunk[self.rec_from..i], buf, self.limit);
        }
        (i, item)
    }

    /// Reads from byte `i` of `chunk`: how many bytes are used (none when
    /// the state changed and the byte is to be read again), and an item.
    fn byte(&mut self, chunk: &[u8], i: usize, buf: &mut Vec<u8>) -> (usize, Option<Item>) {
        if let Some(mut scan) = self.scan.take() {
            let rest = &chunk[i..];
            let (used, stop) = scan.run(rest);
            scan.watch(&rest[..used]);
            return match stop {
                Stop::More => {
                    self.scan = Some(scan);
                    (used, None)
                }
                Stop::End => (used, self.value_done(scan, chunk, i + used, buf)),
                Stop::Broken => {
                    let (line, column) = self.at(chunk, i + used);
                    if let Some(rec) = self.rec.as_mut() {
                        let reason = scan.reason.take().unwrap_or_default();
                        rec.broken = Some((line, column, reason));
                    }
                    self.scan = Some(scan);
                    (used, None)
                }
                Stop::Restart => (used, Some(self.cut_record(chunk, i + used, buf))),
            };
        }
        if let Some(depth) = self.resync {
            return self.resync_byte(depth, chunk, i);
        }
        let b = chunk[i];
        if !self.started {
            if b == BOM[self.bom] {
                self.bom += 1;
                self.started = self.bom == BOM.len();
                return (1, None);
            }
            self.started = true;
            if self.bom > 0 {
                self.resync = Some(0);
                return (0, Some(broken_bom()));
            }
        }
        match self.frames.last() {
            None => self.top(chunk, i, buf),
            Some(Frame::List(l)) => {
                let state = l.state;
                self.list(state, chunk, i, buf)
            }
            Some(Frame::Obj(o)) => {
                let state = o.state;
                self.obj(state, chunk, i, buf)
            }
        }
    }

    /// Starts a record at byte `i`: its line and column.
    fn start_record(
        &mut self,
        chunk: &[u8],
        i: usize,
        top_object: bool,
        buf: &mut Vec<u8>,
    ) -> (usize, usize) {
        let (line, column) = self.at(chunk, i);
        buf.clear();
        self.rec = Some(Rec {
            line,
            column,
            over: false,
            top_object,
            broken: None,
        });
        self.rec_from = i;
        (line, column)
    }

    /// Starts the record at byte `i`, an element or a top-level scalar.
    fn element(&mut self, chunk: &[u8], i: usize, buf: &mut Vec<u8>) {
        let (_, column) = self.start_record(chunk, i, false, buf);
        let bare = !matches!(chunk[i], b'{' | b'[' | b'"');
        let scan = Scan::new(bare, Purpose::Record, Watch::None);
        self.scan = Some(scan.checked(column, Gram::Value));
    }

    /// Between top-level values.
    fn top(&mut self, chunk: &[u8], i: usize, buf: &mut Vec<u8>) -> (usize, Option<Item>) {
        let b = chunk[i];
        if is_ws(b) {
            return (ws_run(&chunk[i..]), None);
        }
        let seen = std::mem::replace(&mut self.seen, true);
        match b {
            b'[' => {
                self.open_list(chunk, i, false);
                (1, None)
            }
            b'{' => {
                let (line, column) = self.start_record(chunk, i, true, buf);
                self.frames.push(Frame::Obj(Obj::new(false, line, column)));
                (1, None)
            }
            b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                self.element(chunk, i, buf);
                (0, None)
            }
            _ => {
                self.seen = seen;
                let (line, column) = self.at(chunk, i);
                self.resync = Some(0);
                let what = if seen {
                    "another JSON value or the end of the document"
                } else {
                    "a JSON value (an array of leads, an export or a lead)"
                };
                let message = format!(
                    "expected {what} at line {line}, column {column}{}",
                    found(b)
                );
                (0, Some(structure(line, column, message)))
            }
        }
    }

    pub(super) fn open_list(&mut self, chunk: &[u8], i: usize, envelope: bool) {
        let (line, column) = self.at(chunk, i);
        self.frames.push(Frame::List(List {
            envelope,
            state: ListState::Open,
            line,
            column,
        }));
    }

    fn close_list(&mut self) {
        self.frames.pop();
        self.set_obj(ObjState::After);
    }

    /// In an array of records.
    fn list(
        &mut self,
        state: ListState,
        chunk: &[u8],
        i: usize,
        buf: &mut Vec<u8>,
    ) -> (usize, Option<Item>) {
        let b = chunk[i];
        if is_ws(b) {
            return (ws_run(&chunk[i..]), None);
        }
        let element = state != ListState::After;
        match b {
            b',' if !element => {
                self.set_list(ListState::Element);
                (1, None)
            }
            b']' if state != ListState::Element => {
                self.close_list();
                (1, None)
            }
            b'{' | b'[' | b'"' if element => {
                self.element(chunk, i, buf);
                (0, None)
            }
            _ if element && !is_delim(b) => {
                self.element(chunk, i, buf);
                (0, None)
            }
            _ => {
                let (line, column) = self.at(chunk, i);
                let found = found(b);
                let message = match state {
                    ListState::After => format!(
                        "expected `,` or `]` after record {} at line {line}, column {column}{found}",
                        self.count
                    ),
                    ListState::Element => {
                        format!("expected a record after `,` at line {line}, column {column}{found}")
                    }
                    ListState::Open => {
                        format!("expected a record or `]` at line {line}, column {column}{found}")
                    }
                };
                self.resync = Some(0);
                (0, Some(structure(line, column, message)))
            }
        }
    }

    /// After a fault: skips to the next record (in an array: its next
    /// `{` at the depth of its elements, or past a `,`) or to the end of
    /// the array; between top-level values, to the next `{` or `[`.
    fn resync_byte(&mut self, depth: usize, chunk: &[u8], i: usize) -> (usize, Option<Item>) {
        if !matches!(self.frames.last(), Some(Frame::List(_))) {
            return match memchr::memchr2(b'{', b'[', &chunk[i..]) {
                Some(0) => {
                    self.resync = None;
                    (0, None)
                }
                Some(k) => (k, None),
                None => (chunk.len() - i, None),
            };
        }
        match (depth, chunk[i]) {
            (0, b'{') => {
                self.resync = None;
                self.set_list(ListState::Element);
                (0, None)
            }
            (0, b',') => {
                self.resync = None;
                self.set_list(ListState::Element);
                (1, None)
            }
            (0, b']') => {
                self.resync = None;
                self.close_list();
                (1, None)
            }
            (_, b'{' | b'[') => {
                self.resync = Some(depth + 1);
                (1, None)
            }
            (1.., b'}' | b']') => {
                self.resync = Some(depth - 1);
                (1, None)
            }
            _ => (1, None),
        }
    }

    /// A scanned value ended at byte `end` of `chunk`.
    fn value_done(
        &mut self,
        scan: Scan,
        chunk: &[u8],
        end: usize,
        buf: &mut Vec<u8>,
    ) -> Option<Item> {
        match scan.purpose {
            Purpose::Record => {
                let item = self.end_record(chunk, end, buf);
                self.record_done(ListState::After);
                Some(item)
            }
            Purpose::Value => {
                if let Some(o) = self.obj_mut() {
                    o.more |= match o.current {
                        KeyKind::Done => scan.is_token(b"false"),
                        KeyKind::NextUrl => !scan.is_token(b"null"),
                        KeyKind::Paging => scan.found_next,
                        _ => false,
                    };
                    o.state = ObjState::After;
                }
                None
            }
            Purpose::CloseObj => {
                self.pop_obj();
                None
            }
        }
    }

    /// A record (or its error) was given: the array it is in is in
    /// `state`, and an export counts it.
    fn record_done(&mut self, state: ListState) {
        let mut envelope = false;
        if let Some(Frame::List(l)) = self.frames.last_mut() {
            l.state = state;
            envelope = l.envelope;
        }
        if envelope {
            for f in &mut self.frames {
                if let Frame::Obj(o) = f {
                    o.streamed += 1;
                }
            }
        }
    }

    /// The record being read, its text up to byte `end` of `chunk` kept in
    /// `buf`.
    fn take_record(&mut self, chunk: &[u8], end: usize, buf: &mut Vec<u8>) -> Rec {
        let mut rec = self.rec.take().unwrap_or(Rec {
            line: self.pos.line,
            column: self.pos.col + 1,
            over: false,
            top_object: false,
            broken: None,
        });
        keep(&mut rec, &chunk[self.rec_from..end], buf, self.limit);
        rec
    }

    /// A broken record ends before byte `at` of `chunk`, which starts the
    /// next one (see [`Scan`]): its error, and the array (if any) expects
    /// that record.
    fn cut_record(&mut self, chunk: &[u8], at: usize, buf: &mut Vec<u8>) -> Item {
        let (next, _) = self.at(chunk, at);
        let rec = self.take_record(chunk, at, buf);
        while buf.last().is_some_and(|b| is_ws(*b)) {
            buf.pop();
        }
        self.count += 1;
        let (line, column, reason) = rec.broken.unwrap_or_default();
        self.record_done(ListState::Element);
        Item::Error {
            number: Some(self.count),
            line: rec.line,
            column: rec.column,
            kind: "invalid_json",
            message: format!(
                "the record is not valid JSON (at line {line}, column {column}: {reason}): it is taken to end before line {next}, where the next record starts, and reading goes on there"
            ),
        }
    }

    /// The record ends at byte `end` of `chunk`.
    fn end_record(&mut self, chunk: &[u8], end: usize, buf: &mut Vec<u8>) -> Item {
        let rec = self.take_record(chunk, end, buf);
        self.count += 1;
        let number = self.count;
        if rec.over {
            return Item::Error {
                number: Some(number),
                line: rec.line,
                column: rec.column,
                kind: "too_large",
                message: format!(
                    "the record is longer than the limit of {} bytes",
                    self.limit
                ),
            };
        }
        if rec.top_object {
            self.notes.extend(list_note(buf));
        }
        Item::Record {
            number,
            line: rec.line,
            column: rec.column,
        }
    }

    /// At the end of the input: what was left open, one item at a time.
    pub(super) fn finish(&mut self, buf: &mut Vec<u8>) -> Option<Item> {
        self.acct = 0;
        self.rec_from = 0;
        loop {
            if self.done {
                return None;
            }
            if !self.started && self.bom > 0 {
                self.done = true;
                return Some(broken_bom());
            }
            if let Some(scan) = self.scan.take() {
                if scan.bare {
                    // a bare value ends with the input
                    match self.value_done(scan, &[], 0, buf) {
                        Some(item) => return Some(item),
                        None => continue,
                    }
                }
            }
            self.done = true;
            if let Some(rec) = self.rec.take() {
                self.count += 1;
                let number = self.count;
                let mut message = format!(
                    "the document ends inside record {number} (it starts at line {}, column {})",
                    rec.line, rec.column
                );
                if let Some((line, column, reason)) = &rec.broken {
                    message.push_str(&format!(
                        ": the record is not valid JSON (at line {line}, column {column}: {reason}), and no line after that starts with `{{` at column {} or left of it, where a next record could be read",
                        rec.column
                    ));
                }
                return Some(Item::Error {
                    number: Some(number),
                    line: rec.line,
                    column: rec.column,
                    kind: "invalid_json",
                    message,
                });
            }
            for f in &self.frames {
                if let Frame::Obj(o) = f {
                    if o.list_key.is_some() && o.more {
                        self.notes.push(page_note(o.streamed));
                    }
                }
            }
            let (line, column) = (self.pos.line, self.pos.col + 1);
            let (what, start, expected) = match self.frames.last()? {
                Frame::List(l) => (
                    "array",
                    (l.line, l.column),
                    match (self.resync, l.state) {
                        (Some(_), _) => "`]`",
                        (None, ListState::Open) => "a record or `]`",
                        (None, ListState::Element) => "a record",
                        (None, ListState::After) => "`,` or `]`",
                    },
                ),
                Frame::Obj(o) => ("export", (o.line, o.column), "`}`"),
            };
            return Some(structure(
                line,
                column,
                format!(
                    "the document ends at line {line}, column {column} inside the {what} that starts at line {}, column {}: expected {expected}",
                    start.0, start.1
                ),
            ));
        }
    }
}

fn broken_bom() -> Item {
    structure(
        1,
        1,
        "expected a JSON value at line 1, column 1: the input starts with part of a byte-order mark"
            .to_string(),
    )
}
