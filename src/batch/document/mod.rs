//! A JSON document of leads read as a stream: one record at a time, with
//! memory bounded by the largest record (and the reader's buffer), where
//! [`super::document_records`] holds the whole text.
//!
//! The document is what `document_records` reads: one or more JSON values
//! one after another, each an array of leads, a CRM export envelope (or
//! the Salesforce CLI's answer around one), one lead object, or a scalar
//! (a record that is not a lead). An object is taken for an export when
//! its `records` (or `results`) array begins and every key before it is a
//! key of an export; until then its text is kept as the lead it may be.
//!
//! The reader finds where each record ends from the structure alone
//! (strings and their escapes, bracket depth counted without recursion);
//! it does not check that a record is valid JSON: the evaluator does, and
//! answers an invalid one with an error record. What lies between records
//! is checked: a wrong separator, a stray bracket, text that is not JSON
//! or an early end gives an error item that says where and what was
//! expected, and the reader goes on from the next record it can find.

use std::io::{self, BufRead};

use super::{looks_like_a_list, RawMap, Record, ENVELOPE};

/// A byte-order mark some editors put at the start of a file.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";
/// The keys of the Salesforce CLI's answer around an export.
const WRAPPER: [&str; 3] = ["status", "result", "warnings"];
/// Of a record too large to evaluate, the start kept (for its lead id).
const KEEP: usize = 64 * 1024;
/// Keys longer than this are none of the keys the reader looks for.
const KEY_CAP: usize = 64;

/// What the reader gives for each record, or in place of what it could
/// not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A record; its text is in the buffer given to
    /// [`DocumentReader::next_item`].
    Record {
        /// Its position among the records of the input, from 1.
        number: usize,
        /// Where it starts in the document: the line from 1, the column
        /// in characters from 1.
        line: usize,
        column: usize,
    },
    /// A record that cannot be given (with its `number`: too large, or the
    /// document ends inside it), or a fault in the structure between
    /// records (no number).
    Error {
        number: Option<usize>,
        /// Where the record starts, or where the fault is.
        line: usize,
        column: usize,
        /// `invalid_json` or `too_large`, as [`crate::record::RecordError::kind`].
        kind: &'static str,
        message: String,
    },
}

impl Item {
    /// The record, with its text `bytes` (the reader's buffer), as
    /// [`super::run_records`] takes it; `None` for an error.
    pub fn record<'b>(&self, bytes: &'b [u8]) -> Option<Record<'b>> {
        match *self {
            Item::Record {
                number,
                line,
                column,
            } => Some(Record {
                number,
                line,
                column,
                bytes,
            }),
            Item::Error { .. } => None,
        }
    }
}

/// What an input given with `--leads-format auto` is, from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    /// A JSON document ([`DocumentReader`]).
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
                .and_then(super::envelope_size)
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

/// Reads the records of a JSON document one at a time from `R`; see the
/// module's documentation for what a document is.
///
/// Memory is the current record (at most the limit: a longer record is
/// skipped to its end, and reported too large) and `R`'s buffer.
/// Nesting is counted, not recursed into.
pub struct DocumentReader<R> {
    input: R,
    machine: Machine,
}

impl<R: BufRead> DocumentReader<R> {
    /// A reader with the limit of [`crate::record::MAX_RECORD_BYTES`] a record.
    pub fn new(input: R) -> Self {
        Self::with_limit(input, crate::record::MAX_RECORD_BYTES)
    }

    /// A reader that reports a record longer than `limit` bytes as too
    /// large.
    pub fn with_limit(input: R, limit: usize) -> Self {
        DocumentReader {
            input,
            machine: Machine::new(limit),
        }
    }

    /// The next record (its text in `buf`) or error, in document order;
    /// `None` at the end. For an error about a record (too large, or the
    /// document ends inside it), `buf` holds the start of its text, at
    /// most 64 KiB (to guess its lead id from); for other errors it is
    /// empty.
    ///
    /// A read error is returned as it is; calling again (with the same
    /// `buf`) goes on where the reading stopped.
    pub fn next_item(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Item>> {
        loop {
            if self.machine.done {
                return Ok(None);
            }
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let item = if chunk.is_empty() {
                self.machine.finish(buf)
            } else {
                let (used, item) = self.machine.step(chunk, buf);
                self.input.consume(used);
                item
            };
            if let Some(Item::Error { number: None, .. }) = item {
                // a fault between records: no record text
                buf.clear();
            }
            if item.is_some() || self.machine.done {
                return Ok(item);
            }
        }
    }

    /// What to tell the user about the document so far (an export that
    /// holds one page of its records; an object read as one lead that
    /// looks like a list; an export with a key after its records that an
    /// export does not have), each once: the notes are taken.
    pub fn notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.machine.notes)
    }

    /// The records given so far, errors about records included.
    pub fn records(&self) -> usize {
        self.machine.count
    }
}

/// A place in the document: the line from 1, and the characters from the
/// start of the line.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: usize,
    col: usize,
}

impl Pos {
    fn advance(&mut self, bytes: &[u8]) {
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count();
                self.col = chars(&bytes[last + 1..]);
            }
            None => self.col += chars(bytes),
        }
    }
}

/// The characters of UTF-8 text: its bytes that are not continuation
/// bytes.
fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b as i8) >= -0x40).count()
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// What ends a bare value (a number, `true`, a misspelt word).
fn is_delim(b: u8) -> bool {
    is_ws(b) || matches!(b, b',' | b':' | b'[' | b']' | b'{' | b'}' | b'"')
}

/// The blank space at the start of `bytes`.
fn ws_run(bytes: &[u8]) -> usize {
    bytes.iter().position(|b| !is_ws(*b)).unwrap_or(bytes.len())
}

fn is_envelope_key(key: &[u8]) -> bool {
    ENVELOPE.iter().any(|k| k.as_bytes() == key)
}

fn is_wrapper_key(key: &[u8]) -> bool {
    WRAPPER.iter().any(|k| k.as_bytes() == key)
}

/// What was found where something else was expected, for a message.
fn found(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!(", found `{}`", b as char)
    } else {
        String::new()
    }
}

fn structure(line: usize, column: usize, message: String) -> Item {
    Item::Error {
        number: None,
        line,
        column,
        kind: "invalid_json",
        message,
    }
}

fn page_note(records: usize) -> String {
    format!(
        "the export says it holds one page of its records: the {records} here are evaluated, fetch the next pages for the rest"
    )
}

/// The note on an object read as one lead whose field looks like a list
/// of leads (see [`looks_like_a_list`]); the text is only parsed when it
/// has a key that note looks for.
fn list_note(text: &[u8]) -> Option<String> {
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

/// The record being read.
#[derive(Debug)]
struct Rec {
    line: usize,
    column: usize,
    /// Longer than the limit: its text is no longer kept.
    over: bool,
    /// A top-level object (it gets the note of [`list_note`]).
    top_object: bool,
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
struct List {
    envelope: bool,
    state: ListState,
    line: usize,
    column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjState {
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
enum KeyKind {
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
struct Obj {
    /// An export (or the answer around one) whose records are read.
    decided: bool,
    /// Every key so far is an export's (a CLI answer's).
    env: bool,
    wrap: bool,
    state: ObjState,
    key: Vec<u8>,
    key_long: bool,
    current: KeyKind,
    /// Of the export itself (not the answer around it): the name of its
    /// list.
    list_key: Option<&'static str>,
    /// The export says it holds one page.
    more: bool,
    /// Records read from it.
    streamed: usize,
    /// A key after the records that an export does not have was noted.
    noted: bool,
    line: usize,
    column: usize,
}

impl Obj {
    /// An object at the top level, or (`inner`) the `result` in one.
    fn new(inner: bool, line: usize, column: usize) -> Obj {
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

#[derive(Debug)]
enum Frame {
    List(List),
    Obj(Obj),
}

/// Why a value is scanned to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A record.
    Record,
    /// The value of a key of an export (or of an object not known yet).
    Value,
    /// The rest of an export after a fault in it.
    CloseObj,
}

/// What is looked for in a value of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    None,
    /// The bare value (`false` for `done`, `null` for `nextRecordsUrl`).
    Token,
    /// A `"next"` (in `paging`).
    Next,
}

/// The scan of a value to its end: a string, brackets counted outside
/// strings, or a bare value.
#[derive(Debug)]
struct Scan {
    depth: usize,
    in_str: bool,
    esc: bool,
    bare: bool,
    purpose: Purpose,
    watch: Watch,
    token: [u8; 8],
    token_len: usize,
    next: usize,
    found_next: bool,
}

impl Scan {
    /// The scan of a value from its first byte.
    fn new(bare: bool, purpose: Purpose, watch: Watch) -> Scan {
        Scan {
            depth: 0,
            in_str: false,
            esc: false,
            bare,
            purpose,
            watch,
            token: [0; 8],
            token_len: 0,
            next: 0,
            found_next: false,
        }
    }

    /// The scan of what is left of a value `depth` brackets deep.
    fn nested(depth: usize, purpose: Purpose) -> Scan {
        Scan {
            depth,
            ..Scan::new(false, purpose, Watch::None)
        }
    }

    /// Scans `bytes`: how many are the value's, and whether it ends there.
    fn run(&mut self, bytes: &[u8]) -> (usize, bool) {
        if self.bare {
            return match bytes.iter().position(|b| is_delim(*b)) {
                Some(end) => (end, true),
                None => (bytes.len(), false),
            };
        }
        let mut i = 0;
        while i < bytes.len() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    None => return (bytes.len(), false),
                    Some(k) => {
                        i += k + 1;
                        if bytes[i - 1] == b'\\' {
                            self.esc = true;
                        } else {
                            self.in_str = false;
                            if self.depth == 0 {
                                return (i, true);
                            }
                        }
                    }
                }
            } else {
                let b = bytes[i];
                i += 1;
                match b {
                    b'"' => self.in_str = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return (i, true);
                        }
                    }
                    _ => {}
                }
            }
        }
        (bytes.len(), false)
    }

    /// Looks at `bytes` of the value for what is watched.
    fn watch(&mut self, bytes: &[u8]) {
        const NEXT: &[u8] = b"\"next\"";
        match self.watch {
            Watch::None => {}
            Watch::Token => {
                for &b in bytes {
                    if let Some(t) = self.token.get_mut(self.token_len) {
                        *t = b;
                    }
                    self.token_len += 1;
                }
            }
            Watch::Next => {
                for &b in bytes {
                    if b == NEXT[self.next] {
                        self.next += 1;
                        if self.next == NEXT.len() {
                            self.found_next = true;
                            self.next = 1;
                        }
                    } else {
                        self.next = usize::from(b == b'"');
                    }
                }
            }
        }
    }

    fn is_token(&self, text: &[u8]) -> bool {
        self.bare && self.token_len == text.len() && self.token.get(..text.len()) == Some(text)
    }
}

/// The reader's state: everything but its input.
struct Machine {
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
    frames: Vec<Frame>,
    scan: Option<Scan>,
    /// Skipping to the next record after a fault, at this depth of
    /// brackets of what is skipped.
    resync: Option<usize>,
    rec: Option<Rec>,
    /// Where the record's bytes not yet kept start in the current chunk.
    rec_from: usize,
    /// Records given.
    count: usize,
    /// A top-level value was seen.
    seen: bool,
    notes: Vec<String>,
    done: bool,
}

impl Machine {
    fn new(limit: usize) -> Machine {
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
    fn at(&mut self, chunk: &[u8], i: usize) -> (usize, usize) {
        self.pos.advance(&chunk[self.acct..i]);
        self.acct = i;
        (self.pos.line, self.pos.col + 1)
    }

    fn obj_mut(&mut self) -> Option<&mut Obj> {
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

    fn set_obj(&mut self, state: ObjState) {
        if let Some(o) = self.obj_mut() {
            o.state = state;
        }
    }

    /// Reads from `chunk` until an item is found or the chunk is used up:
    /// the bytes used, and the item.
    fn step(&mut self, chunk: &[u8], buf: &mut Vec<u8>) -> (usize, Option<Item>) {
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
            let (used, end) = scan.run(rest);
            scan.watch(&rest[..used]);
            if !end {
                self.scan = Some(scan);
                return (used, None);
            }
            return (used, self.value_done(scan, chunk, i + used, buf));
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
        });
        self.rec_from = i;
        (line, column)
    }

    /// Starts the record at byte `i`, an element or a top-level scalar.
    fn element(&mut self, chunk: &[u8], i: usize, buf: &mut Vec<u8>) {
        self.start_record(chunk, i, false, buf);
        let bare = !matches!(chunk[i], b'{' | b'[' | b'"');
        self.scan = Some(Scan::new(bare, Purpose::Record, Watch::None));
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

    fn open_list(&mut self, chunk: &[u8], i: usize, envelope: bool) {
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

    /// In a top-level object (or the `result` in one).
    fn obj(
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
    fn pop_obj(&mut self) {
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
        self.frames.clear();
        self.scan = Some(Scan::nested(depth, Purpose::Record));
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
                let mut envelope = false;
                if let Some(Frame::List(l)) = self.frames.last_mut() {
                    l.state = ListState::After;
                    envelope = l.envelope;
                }
                if envelope {
                    for f in &mut self.frames {
                        if let Frame::Obj(o) = f {
                            o.streamed += 1;
                        }
                    }
                }
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

    /// The record ends at byte `end` of `chunk`.
    fn end_record(&mut self, chunk: &[u8], end: usize, buf: &mut Vec<u8>) -> Item {
        let mut rec = self.rec.take().unwrap_or(Rec {
            line: self.pos.line,
            column: self.pos.col + 1,
            over: false,
            top_object: false,
        });
        keep(&mut rec, &chunk[self.rec_from..end], buf, self.limit);
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
    fn finish(&mut self, buf: &mut Vec<u8>) -> Option<Item> {
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
                return Some(Item::Error {
                    number: Some(number),
                    line: rec.line,
                    column: rec.column,
                    kind: "invalid_json",
                    message: format!(
                        "the document ends inside record {number} (it starts at line {}, column {})",
                        rec.line, rec.column
                    ),
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

#[cfg(test)]
mod tests;
