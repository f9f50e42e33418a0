//! A JSON document evaluated record by record as it is read, on the
//! calling thread, with its faults answered as error records.

use std::io::{BufRead, Write};

use crate::audit::LogWriter;
use crate::eval::{Engine, RunState};

use super::chunk::log_error_line;
use super::output::{finish, write_error, write_line};
use super::summary::{progress, Counts};
use super::{DocumentReader, Item, Options, Record, Summary, FLUSH};

/// A record's error message with a position in the document rather than
/// in the record (whose text may span lines).
fn in_document(r: &Record<'_>, e: crate::record::RecordError) -> String {
    if e.kind != "too_deep" {
        return e.message;
    }
    let Err(at) = serde_json::from_slice::<serde_json::Value>(r.bytes) else {
        return e.message;
    };
    let line = r.line + at.line().saturating_sub(1);
    let column = if at.line() <= 1 {
        r.column + at.column().saturating_sub(1)
    } else {
        at.column()
    };
    format!(
        "the record nests more than 127 levels deep (line {line}, column {column} of the document)"
    )
}

/// Evaluates the records of a JSON document (an array of leads, a CRM
/// export's `records`, ...; see [`DocumentReader`]) as they are read, in
/// order on the calling thread, and writes one line (or block) per record
/// to `out`, as [`run`](super::run) does for NDJSON lines. An error record
/// says on which line of the document the record starts and which record
/// it is (`record`, from 1); a fault between records gets an error record
/// of its own (without `record`), and the records after it are still read.
///
/// ```
/// let path = std::path::Path::new("examples/inbound/policy.handoff");
/// let engine = handoff::Checked::from_file(path).unwrap().compile().unwrap();
/// let now: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
/// let opts = handoff::batch::Options { now, pretty: false, jobs: 1, streaming: false, progress: None };
/// let doc = br#"[{"id": "a"}, {"id": "b"}]"#;
/// let mut out = Vec::new();
/// let summary = handoff::batch::run_document(&engine, &doc[..], &mut out, &opts);
/// assert_eq!(summary.errors, 0);
/// assert_eq!(std::str::from_utf8(&out).unwrap().lines().count(), 2);
/// ```
pub fn run_document<R: BufRead, W: Write>(
    engine: &Engine,
    input: R,
    out: W,
    opts: &Options,
) -> Summary {
    run_document_logged(engine, input, out, opts, None)
}

/// [`run_document`], appending a line per record to the decision `log`
/// when given (see [`run_logged`](super::run_logged)).
pub fn run_document_logged<R: BufRead, W: Write>(
    engine: &Engine,
    input: R,
    mut out: W,
    opts: &Options,
    mut log: Option<&mut LogWriter>,
) -> Summary {
    let mut log_buf = Vec::new();
    let mut reader = DocumentReader::new(input);
    let mut counts = Counts::new(engine);
    let mut run = RunState::default();
    let mut buf = Vec::new();
    let mut text = Vec::new();
    let mut io_error = None;
    loop {
        let item = match reader.next_item(&mut text) {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(e) => {
                io_error = Some(e);
                break;
            }
        };
        match (item.record(&text), item) {
            (Some(r), _) => match engine.evaluate_bytes(r.bytes, opts.now) {
                Ok(mut d) => {
                    if engine.needs_assignment(&d) {
                        engine.assign_in_order(&mut d, &mut run);
                    }
                    counts.decision(engine, &d);
                    write_line(&d, opts.pretty, &mut buf);
                    if log.is_some() {
                        let at = crate::write::LogInput {
                            line: r.line,
                            record: Some(r.number),
                        };
                        crate::write::log_entry(&d, at, &mut log_buf);
                        log_buf.push(b'\n');
                    }
                }
                Err(e) => {
                    counts.errors += 1;
                    let e = crate::record::RecordError {
                        kind: e.kind,
                        message: in_document(&r, e),
                    };
                    write_error(r.bytes, r.line, Some(r.number), &e, &mut buf);
                    if log.is_some() {
                        let at = (r.line, Some(r.number));
                        log_error_line(engine, opts, r.bytes, at, &e, &mut log_buf);
                    }
                }
            },
            (
                None,
                Item::Error {
                    number,
                    line,
                    kind,
                    message,
                    ..
                },
            ) => {
                counts.errors += 1;
                let e = crate::record::RecordError { kind, message };
                write_error(&text, line, number, &e, &mut buf);
                if log.is_some() {
                    log_error_line(engine, opts, &text, (line, number), &e, &mut log_buf);
                }
            }
            (None, Item::Record { .. }) => {}
        }
        progress(opts, &counts);
        if let Some(log) = log.as_deref_mut() {
            // a document's records come one at a time: lines go in batches
            if log_buf.len() >= FLUSH || opts.streaming {
                if let Err(e) = super::add_log(log, &log_buf, opts) {
                    io_error = Some(e);
                    break;
                }
                log_buf.clear();
            }
        }
        if buf.len() >= FLUSH || opts.streaming {
            if let Err(e) = out.write_all(&buf).and_then(|_| out.flush()) {
                io_error = Some(e);
                break;
            }
            buf.clear();
        }
    }
    if let (Some(log), None) = (log, &io_error) {
        io_error = super::add_log(log, &log_buf, opts).err();
    }
    let mut summary = counts.into_summary(finish(&mut out, &buf, io_error));
    summary.notes = reader.notes();
    summary.run = run;
    summary
}
