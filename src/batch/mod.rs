//! Batch evaluation of NDJSON: one decision line per input line, in input
//! order, on as many worker threads as asked.
//!
//! The input is read in chunks of about a megabyte, cut after the last
//! newline; each chunk is evaluated by one worker into one output buffer,
//! and the writer puts the buffers out in input order. Buffers go back to
//! the threads that fill them, so a run allocates a handful of megabyte
//! buffers whatever its length: memory is flat in the number of leads.
//!
//! Leads routed to a round-robin or least-loaded team depend on the leads
//! before them, so the writer assigns their member in input order
//! ([`Engine::take_turn`]). The member is all that changes, unless every
//! member of a least-loaded team is at capacity ([`Engine::at_capacity`]):
//! the worker writes the decision with a `null` member, and the at-capacity
//! form beside it when the team has capacities; the writer puts the member
//! in its place or takes the other form. The writer's work stays small and
//! serial work does not grow with the decisions. (Pretty output leaves the
//! decision whole to the writer.) With one job everything runs on the
//! calling thread, in order.
//!
//! Here: the options, [`run`] and the batch on one thread. What a batch did
//! is in `summary`, the evaluation of a chunk in `chunk`, the worker threads
//! and the writer in `parallel`, what a batch writes in `output`, and the
//! run of a JSON document (read by `document`) in `document_run`.

use std::io::{Read, Write};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use crate::audit::LogWriter;
use crate::eval::{Engine, RunState};

mod chunk;
mod document;
mod document_run;
mod envelope;
mod lead_id;
mod lines;
mod output;
mod parallel;
mod records;
mod sequence;
mod summary;
use chunk::eval_chunk;
pub use document::{sniff, DocumentReader, Item, Sniff};
pub use document_run::{run_document, run_document_logged};
pub use envelope::{document_records, envelope_size, several_leads, Document, DocumentError};
use envelope::{looks_like_a_list, RawMap, ENVELOPE};
pub(crate) use lines::{split_lines, ChunkReader, Lines};
use output::finish;
pub use output::write_line;
use parallel::parallel;
pub use records::{Place, Raw, Records};
pub use sequence::{Answer, Sequence};
pub(crate) use summary::{compare_f, op_text};
pub use summary::{metric_lines, tally, MetricTally, Summary};
use summary::{progress, Counts};

/// A chunk of input holds whole lines and is about this long.
const CHUNK: usize = 1 << 20;
/// Output is handed to the writer once a buffer is about this long.
const FLUSH: usize = 1 << 20;

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct Options {
    /// The evaluation time of every lead.
    pub now: jiff::Timestamp,
    /// Pretty-printed decisions (several lines each) instead of one line.
    pub pretty: bool,
    /// Worker threads; 1 evaluates on the calling thread.
    pub jobs: usize,
    /// Read the input a piece at a time and answer each complete line as
    /// soon as it arrives (for pipes where a producer waits for answers).
    pub streaming: bool,
    /// Set to the number of records answered so far as output is written,
    /// for a caller that shows progress.
    pub progress: Option<Arc<AtomicUsize>>,
}

/// Evaluates every line of `input` and writes one line (or, pretty, one
/// block) per input line to `out`, in input order.
///
/// ```
/// let path = std::path::Path::new("examples/inbound/policy.handoff");
/// let engine = handoff::Checked::from_file(path).unwrap().compile().unwrap();
/// let now: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
/// let opts = handoff::batch::Options {
///     now,
///     pretty: false,
///     jobs: 1,
///     streaming: false,
///     progress: None,
/// };
/// // a broken record is answered with an error record; the others still run
/// let leads = b"{\"id\": \"a\"}\n{not json\n{\"id\": \"c\"}\n";
/// let mut out = Vec::new();
/// let summary = handoff::batch::run(&engine, &leads[..], &mut out, &opts);
/// assert_eq!(summary.errors, 1);
/// let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
/// assert_eq!(lines.len(), 3);
/// assert!(lines[1].contains("invalid_json"));
/// assert!(lines[2].contains("\"c\""));
/// ```
pub fn run<R: Read + Send, W: Write>(engine: &Engine, input: R, out: W, opts: &Options) -> Summary {
    run_logged(engine, input, out, opts, None)
}

/// [`run`], appending a line per decision (and per error record) to the
/// decision `log` when given, in input order, as the decisions are
/// written. Set the engine's `record_reads` for the lines to say which
/// fields each decision read. A failure to write the log stops the batch
/// like a failure to write `out` (the summary's `io_error`).
pub fn run_logged<R: Read + Send, W: Write>(
    engine: &Engine,
    input: R,
    out: W,
    opts: &Options,
    log: Option<&mut LogWriter>,
) -> Summary {
    run_continuing(engine, input, out, opts, log, RunState::default())
}

/// [`run_logged`], continuing the distribution of an earlier run: the
/// members of round-robin and least-loaded teams are assigned after those
/// `run` already gave (the server's state across requests); the summary's
/// `run` holds both.
pub fn run_continuing<R: Read + Send, W: Write>(
    engine: &Engine,
    input: R,
    out: W,
    opts: &Options,
    log: Option<&mut LogWriter>,
    run: RunState,
) -> Summary {
    let mut reader = ChunkReader::new(input, opts.streaming);
    if opts.jobs <= 1 {
        inline(engine, &mut reader, out, opts, log, run)
    } else {
        parallel(engine, reader, out, opts, log, run)
    }
}

/// Adds a chunk's log lines, in streaming mode writing them at once; an
/// error names the log.
fn add_log(log: &mut LogWriter, bodies: &[u8], opts: &Options) -> std::io::Result<()> {
    log.add(bodies)
        .and_then(|_| if opts.streaming { log.flush() } else { Ok(()) })
        .map_err(log_failed)
}

/// A failure to write the decision log, said so.
pub(crate) fn log_failed(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("the decision log: {e}"))
}

fn inline<R: Read, W: Write>(
    engine: &Engine,
    reader: &mut ChunkReader<R>,
    mut out: W,
    opts: &Options,
    mut log: Option<&mut LogWriter>,
    mut run: RunState,
) -> Summary {
    let mut log_buf = Vec::new();
    let mut counts = Counts::new(engine);
    let mut chunk = Vec::with_capacity(CHUNK + (CHUNK >> 2));
    let mut buf = Vec::with_capacity(FLUSH + (FLUSH >> 1));
    let mut pending = Vec::new();
    let mut side = Vec::new();
    let mut io_error = None;
    loop {
        let first = match reader.next(&mut chunk) {
            Ok(Some(first)) => first,
            Ok(None) => break,
            Err(e) => {
                io_error = Some(e);
                break;
            }
        };
        eval_chunk(
            engine,
            &chunk,
            first,
            opts,
            &mut buf,
            &mut counts,
            Some(&mut run),
            &mut pending,
            &mut side,
            log.is_some().then_some(&mut log_buf),
        );
        progress(opts, &counts);
        if let Some(log) = log.as_deref_mut() {
            if let Err(e) = add_log(log, &log_buf, opts) {
                io_error = Some(e);
                break;
            }
            log_buf.clear();
        }
        if buf.len() >= FLUSH || opts.streaming {
            if let Err(e) = out.write_all(&buf).and_then(|_| out.flush()) {
                io_error = Some(e);
                break;
            }
            buf.clear();
        }
    }
    let mut summary = counts.into_summary(finish(&mut out, &buf, io_error));
    summary.run = run;
    summary
}

/// One record of a JSON document (see [`run_document`]).
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Its position in the document's list, from 1.
    pub number: usize,
    /// The line of the document it starts on, from 1, and the column.
    pub line: usize,
    /// The column it starts at, in characters from 1.
    pub column: usize,
    /// Its JSON text as given (it may span lines).
    pub bytes: &'a [u8],
}

#[cfg(test)]
mod tests {
    use super::lead_id::lead_id_guess;
    use super::lines::Lines;
    use super::*;

    /// Records of every document shape, with the line each starts on;
    /// what is not a list of leads is one lead (or a record error later),
    /// invalid JSON an error with a place.
    #[test]
    fn documents_give_their_records_and_lines() {
        let lines = |text: &str| -> Vec<(usize, usize, usize, String)> {
            super::document_records(text)
                .unwrap()
                .records
                .iter()
                .map(|r| {
                    (
                        r.number,
                        r.line,
                        r.column,
                        String::from_utf8_lossy(r.bytes).into_owned(),
                    )
                })
                .collect()
        };
        assert_eq!(
            lines("[\n  {\"id\": 1},\n\n  {\"id\":\n 2}\n]"),
            vec![
                (1, 2, 3, "{\"id\": 1}".to_string()),
                (2, 4, 3, "{\"id\":\n 2}".to_string())
            ]
        );
        // Salesforce tree, query answers and CLI output, HubSpot results and
        // batch reads, a BOM
        for doc in [
            "{\"records\": [{\"a\": 1}, 7]}",
            "{\"totalSize\": 2, \"done\": true, \"records\": [{\"a\": 1}, 7]}",
            "{\"status\": 0, \"result\": {\"done\": true, \"records\": [{\"a\": 1}, 7]}, \"warnings\": []}",
            "\u{feff}{\"results\": [{\"a\": 1}, 7], \"paging\": {}}",
            "{\"status\": \"COMPLETE\", \"results\": [{\"a\": 1}, 7], \"startedAt\": \"x\", \"completedAt\": \"y\"}",
        ] {
            let got = lines(doc);
            assert_eq!(got.len(), 2, "{doc}");
            assert_eq!((got[1].0, got[1].1, got[1].3.as_str()), (2, 1, "7"), "{doc}");
            assert!(super::document_records(doc).unwrap().notes.is_empty(), "{doc}");
        }
        // values one after another, as `jq .` writes them
        let stream = "{\n  \"id\": 1\n}\n{\n  \"id\": 2\n}\n[{\"id\": 3}]\n";
        let got = lines(stream);
        assert_eq!(got.iter().map(|r| r.1).collect::<Vec<_>>(), vec![1, 4, 7]);
        // an object with fields of its own is one lead, whole, with a note
        // when a field of it looks like the leads
        let one = "\n{\"Id\": \"x\",\n \"records\": [1]}\n";
        assert_eq!(lines(one), vec![(1, 2, 1, one.trim().to_string())]);
        let wrapped = "{\"ok\": true, \"data\": {\"records\": [{\"Id\": \"a\"}, {\"Id\": \"b\"}]}}";
        let doc = super::document_records(wrapped).unwrap();
        assert_eq!(doc.records.len(), 1);
        assert!(
            doc.notes[0].contains("`data.records` holds 2 objects"),
            "{:?}",
            doc.notes
        );
        // a page of a larger export says so
        let page =
            "{\"totalSize\": 9, \"done\": false, \"nextRecordsUrl\": \"/next\", \"records\": [{}]}";
        let doc = super::document_records(page).unwrap();
        assert!(doc.notes[0].contains("one page"), "{:?}", doc.notes);
        let e = super::document_records("[{\"a\": 1},\n {\"a\": }]").unwrap_err();
        assert_eq!((e.line, e.column), (2, 8), "{e:?}");
        assert!(!e.message.contains(" at line "), "{e:?}");
        assert_eq!(super::document_records("{\n").unwrap_err().column, 1);
        assert_eq!(lines("\"leads\"").len(), 1);
        assert!(lines("").is_empty());
        assert_eq!(
            super::envelope_size("{\"records\": [], \"done\": true}"),
            Some(0)
        );
        assert_eq!(super::envelope_size("{\"records\": [], \"Id\": 1}"), None);
        assert_eq!(super::envelope_size("{\"records\": {}}"), None);
    }

    fn chunks(input: &[u8], streaming: bool) -> Vec<(usize, Vec<u8>)> {
        let mut r = ChunkReader::new(input, streaming);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(first) = r.next(&mut buf).unwrap() {
            out.push((first, buf.clone()));
        }
        out
    }

    #[test]
    fn chunks_hold_whole_lines_and_number_them() {
        let mut input = Vec::new();
        for i in 0..100_000 {
            input.extend_from_slice(format!("{{\"id\": {i}}}\n").as_bytes());
        }
        input.extend_from_slice(b"{\"last\": true}");
        for streaming in [false, true] {
            let cs = chunks(&input, streaming);
            assert!(cs.len() > 1, "a 1.5 MB input takes more than one chunk");
            let mut next_line = 1;
            let mut all = Vec::new();
            for (first, bytes) in &cs {
                assert_eq!(*first, next_line);
                let n = Lines(bytes).count();
                next_line += n;
                all.extend_from_slice(bytes);
            }
            assert_eq!(all, input);
            assert_eq!(next_line, 100_002);
        }
    }

    #[test]
    fn an_overlong_line_is_cut_to_the_limit_plus_one() {
        let mut input = b"{\"a\":1}\n".to_vec();
        input.extend(std::iter::repeat_n(
            b'x',
            crate::record::MAX_RECORD_BYTES + 3 * CHUNK,
        ));
        input.extend_from_slice(b"\n{\"b\":2}\n");
        let cs = chunks(&input, false);
        let lines: Vec<&[u8]> = cs.iter().flat_map(|(_, b)| Lines(b)).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], b"{\"a\":1}");
        assert_eq!(lines[1].len(), crate::record::MAX_RECORD_BYTES + 1);
        assert_eq!(lines[2], b"{\"b\":2}");
        assert_eq!(cs.last().unwrap().0, 3);
    }

    #[test]
    fn lead_ids_are_guessed_in_one_pass_preferring_the_top_level() {
        // thousands of nested id keys (one pass, not one scan each), a key
        // inside a string, and the top-level id last
        let mut rec = String::from("{\"note\": \"\\\"id\\\": \\\"fake\\\"\", \"items\": [");
        for i in 0..2_500 {
            rec.push_str(&format!("{{\"id\": \"inner{i}\"}},"));
        }
        rec.push_str("], \"Id\": \"top\", \"broken\": ");
        assert_eq!(lead_id_guess(rec.as_bytes()).as_deref(), Some("top"));
        assert_eq!(
            lead_id_guess(b"{\"attributes\": {\"referenceId\": \"R\"}, \"x\": ").as_deref(),
            Some("R")
        );
        assert_eq!(lead_id_guess(b"{\"id\": 42, ").as_deref(), Some("42"));
        assert_eq!(
            lead_id_guess(b"{\"note\": \"\\\"id\\\": 1\"").as_deref(),
            None
        );
    }

    #[test]
    fn blank_lines_are_lines() {
        let lines: Vec<&[u8]> = Lines(b"a\n\nb\n").collect();
        assert_eq!(lines, vec![&b"a"[..], b"", b"b"]);
    }
}
