//! Leads one record at a time, from NDJSON or a JSON document, for the
//! commands that read a batch without writing a decision per line
//! (`metrics`, `diff`): each record with the place it starts, or what could
//! not be read there.

use std::io::{self, BufRead, Read};

use super::{sniff, DocumentReader, Item, Sniff};

/// A record of the input, or what stood in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    /// A record's text (not yet checked: the evaluator does that).
    Record {
        /// Where it starts.
        place: Place,
        /// Its bytes, without the line's end.
        bytes: Vec<u8>,
    },
    /// A record that could not be given, or a fault between records.
    Error {
        /// Where.
        place: Place,
        /// What is wrong.
        message: String,
    },
}

/// Where a record starts: its line (from 1) and, in a JSON document, its
/// position among the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The line it starts on, from 1.
    pub line: usize,
    /// In a JSON document, its position among the records, from 1.
    pub record: Option<usize>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.record {
            Some(n) => write!(f, "record {n} (line {})", self.line),
            None => write!(f, "line {}", self.line),
        }
    }
}

enum Inner<R> {
    Lines { input: R, line: usize },
    Document(DocumentReader<R>),
}

/// Reads the records of NDJSON or of a JSON document (told apart as `eval`
/// does, from the first bytes), in chunks. Blank lines are skipped.
///
/// ```
/// use handoff::batch::{Raw, Records};
/// let mut r = Records::new(&b"{\"id\": 1}\n\n{\"id\": 2}\n"[..]).unwrap();
/// let mut chunk = Vec::new();
/// r.next_chunk(10, &mut chunk).unwrap();
/// assert_eq!(chunk.len(), 2);
/// assert!(matches!(&chunk[1], Raw::Record { place, .. } if place.line == 3));
/// let mut r = Records::new(&b"[{\"id\": 1},\n {\"id\": 2}]"[..]).unwrap();
/// r.next_chunk(10, &mut chunk).unwrap();
/// assert!(matches!(&chunk[1], Raw::Record { place, .. } if place.record == Some(2)));
/// ```
pub struct Records<R> {
    inner: Inner<R>,
    /// Notes of the document reader, such as "one page of a larger export".
    notes: Vec<String>,
}

impl<R: BufRead> Records<R> {
    /// A reader; the first bytes tell NDJSON from a document.
    pub fn new(mut input: R) -> io::Result<Records<R>> {
        let kind = sniff(input.fill_buf()?);
        let inner = match kind {
            Sniff::Ndjson => Inner::Lines { input, line: 0 },
            Sniff::Document => Inner::Document(DocumentReader::new(input)),
        };
        Ok(Records {
            inner,
            notes: Vec::new(),
        })
    }

    /// What the reader of a document should be told.
    pub fn notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// Fills `out` (cleared first) with up to `max` records; `false` when
    /// the input is at its end and `out` holds the last of it.
    pub fn next_chunk(&mut self, max: usize, out: &mut Vec<Raw>) -> io::Result<bool> {
        out.clear();
        while out.len() < max {
            let more = match &mut self.inner {
                Inner::Lines { input, line } => {
                    let mut bytes = Vec::new();
                    let read = Read::by_ref(input)
                        .take(crate::record::MAX_RECORD_BYTES as u64 + 2)
                        .read_until(b'\n', &mut bytes)?;
                    if read == 0 {
                        false
                    } else {
                        *line += 1;
                        let place = Place {
                            line: *line,
                            record: None,
                        };
                        if bytes.last() != Some(&b'\n')
                            && bytes.len() > crate::record::MAX_RECORD_BYTES
                        {
                            // an overlong line: skip to its end, one error
                            let mut skipped = Vec::new();
                            loop {
                                skipped.clear();
                                let n = Read::by_ref(input)
                                    .take(1 << 20)
                                    .read_until(b'\n', &mut skipped)?;
                                if n == 0 || skipped.last() == Some(&b'\n') {
                                    break;
                                }
                            }
                            out.push(Raw::Error {
                                place,
                                message: format!(
                                    "the record is longer than {} bytes",
                                    crate::record::MAX_RECORD_BYTES
                                ),
                            });
                        } else {
                            while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                                bytes.pop();
                            }
                            if !bytes.iter().all(u8::is_ascii_whitespace) {
                                out.push(Raw::Record { place, bytes });
                            }
                        }
                        true
                    }
                }
                Inner::Document(doc) => {
                    let mut bytes = Vec::new();
                    let item = doc.next_item(&mut bytes)?;
                    self.notes.extend(doc.notes());
                    match item {
                        None => false,
                        Some(Item::Record { number, line, .. }) => {
                            out.push(Raw::Record {
                                place: Place {
                                    line,
                                    record: Some(number),
                                },
                                bytes,
                            });
                            true
                        }
                        Some(Item::Error {
                            number,
                            line,
                            column,
                            message,
                            ..
                        }) => {
                            out.push(Raw::Error {
                                place: Place {
                                    line,
                                    record: number,
                                },
                                message: format!("column {column}: {message}"),
                            });
                            true
                        }
                    }
                }
            };
            if !more {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
