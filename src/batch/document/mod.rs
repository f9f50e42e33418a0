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
//! it does not parse a record (the evaluator does, and answers an invalid
//! one with an error record), but it follows its structure, so that a
//! record seen to be broken ends at the next line that starts a record at
//! its column or left of it, rather than taking the records after it (see
//! `scan::Scan` and docs/decision.md). What lies between records
//! is checked: a wrong separator, a stray bracket, text that is not JSON
//! or an early end gives an error item that says where and what was
//! expected, and the reader goes on from the next record it can find.
//!
//! Here: what the reader gives ([`Item`]) and the reader itself. Telling a
//! document from NDJSON is in `sniff`, the scan of a value to its end in
//! `scan`, the reader's state machine in `machine`, and how it reads a
//! top-level object (a lead, or an export) in `object`.

use std::io::{self, BufRead};

use super::Record;

mod machine;
mod object;
mod scan;
mod sniff;
use machine::Machine;
pub use sniff::{sniff, Sniff};

/// A byte-order mark some editors put at the start of a file.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

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
        /// See `line`.
        column: usize,
    },
    /// A record that cannot be given (with its `number`: too large, or the
    /// document ends inside it), or a fault in the structure between
    /// records (no number).
    Error {
        /// The record's position among the records, from 1; `None` for a
        /// fault between records.
        number: Option<usize>,
        /// Where the record starts, or where the fault is.
        line: usize,
        /// See `line`.
        column: usize,
        /// `invalid_json` or `too_large`, as [`crate::record::RecordError::kind`].
        kind: &'static str,
        /// What is wrong, for people.
        message: String,
    },
}

impl Item {
    /// The record, with its text `bytes` (the reader's buffer), as
    /// [`super::run_document`] takes it; `None` for an error.
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

/// Reads the records of a JSON document one at a time from `R`; see the
/// module's documentation for what a document is.
///
/// Memory is the current record (at most the limit: a longer record is
/// skipped to its end, and reported too large) and `R`'s buffer.
/// Nesting is counted, not recursed into.
pub struct DocumentReader<R> {
    input: R,
    machine: Box<Machine>,
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
            machine: Box::new(Machine::new(limit)),
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

#[cfg(test)]
mod tests;
