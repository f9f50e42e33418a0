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

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use crate::decision::{Decision, Verdict};
use crate::eval::{Engine, RunState, Turn};

mod document;
mod envelope;
mod lead_id;
mod lines;
pub use document::{sniff, DocumentReader, Item, Sniff};
pub use envelope::{document_records, envelope_size, Document, DocumentError};
use envelope::{looks_like_a_list, RawMap, ENVELOPE};
use lead_id::lead_id_guess;
use lines::{ChunkReader, Lines};

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

/// What a batch did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Decisions by verdict (`handoff`, `hold`, ...).
    pub verdicts: BTreeMap<&'static str, usize>,
    /// Records that could not be evaluated (each has an error line).
    pub errors: usize,
    /// Per metric of the policy, in order: what the batch measured.
    pub metrics: Vec<MetricTally>,
    /// The first read or write failure; the batch stopped there.
    pub io_error: Option<String>,
    /// The output was closed by its reader (`| head`): the batch stopped
    /// there, quietly, as a Unix tool does. Not an `io_error`.
    pub output_closed: bool,
    /// What the reader of a JSON document should be told (see
    /// [`DocumentReader::notes`]).
    pub notes: Vec<String>,
    /// What distribution handed out, for the state of the next run
    /// ([`Engine::state_after`]).
    pub run: RunState,
}

impl Summary {
    /// Every record answered, decisions and error records.
    pub fn total(&self) -> usize {
        self.verdicts.values().sum::<usize>() + self.errors
    }
}

/// One metric over a batch.
#[derive(Debug, Default, Clone, Copy)]
pub struct MetricTally {
    /// Leads with a value (value metrics) or in the `among` set (shares).
    pub counted: usize,
    /// Leads meeting the target (value metrics) or in the `of` set (shares).
    pub hits: usize,
    /// Leads whose value could be compared with the target.
    pub judged: usize,
}

/// Adds one decision's metrics to the tallies.
pub fn tally(engine: &Engine, d: &Decision, into: &mut [MetricTally]) {
    for (i, (m, t)) in engine
        .policy
        .metrics
        .iter()
        .zip(into.iter_mut())
        .enumerate()
    {
        // the engine's decisions list the metrics in policy order, naming
        // each with the policy's own text: the same text (by address) is
        // the same metric, without comparing names
        let v = match d.metrics.entries.get(i) {
            Some((name, v)) if std::ptr::eq(name.as_str(), m.name.t().as_str()) => Some(v),
            _ => d.metrics.get(&m.name),
        };
        let Some(v) = v else {
            continue;
        };
        match &v.share {
            Some(s) => {
                let among = s.among == Some(true);
                t.counted += usize::from(among);
                t.hits += usize::from(among && s.of == Some(true));
            }
            None => {
                t.counted += usize::from(!v.value.is_null());
                t.hits += usize::from(v.meets_target == Some(true));
                t.judged += usize::from(v.meets_target.is_some());
            }
        }
    }
}

/// Evaluates every line of `input` and writes one line (or, pretty, one
/// block) per input line to `out`, in input order.
pub fn run<R: Read + Send, W: Write>(engine: &Engine, input: R, out: W, opts: &Options) -> Summary {
    let mut reader = ChunkReader::new(input, opts.streaming);
    if opts.jobs <= 1 {
        inline(engine, &mut reader, out, opts)
    } else {
        parallel(engine, reader, out, opts)
    }
}

/// Per-chunk results that are summed into the [`Summary`].
struct Counts {
    verdicts: [usize; 5],
    errors: usize,
    metrics: Vec<MetricTally>,
}

impl Counts {
    fn new(engine: &Engine) -> Counts {
        Counts {
            verdicts: [0; 5],
            errors: 0,
            metrics: vec![MetricTally::default(); engine.policy.metrics.len()],
        }
    }

    fn decision(&mut self, engine: &Engine, d: &Decision) {
        self.verdicts[d.verdict as usize] += 1;
        tally(engine, d, &mut self.metrics);
    }

    /// Records answered: decisions and error records.
    fn total(&self) -> usize {
        self.verdicts.iter().sum::<usize>() + self.errors
    }

    fn add(&mut self, other: &Counts) {
        for (a, b) in self.verdicts.iter_mut().zip(other.verdicts) {
            *a += b;
        }
        self.errors += other.errors;
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            a.counted += b.counted;
            a.hits += b.hits;
            a.judged += b.judged;
        }
    }

    fn into_summary(self, io_error: Option<io::Error>) -> Summary {
        const ALL: [Verdict; 5] = [
            Verdict::Handoff,
            Verdict::Hold,
            Verdict::Review,
            Verdict::Blocked,
            Verdict::OutOfScope,
        ];
        Summary {
            verdicts: ALL
                .iter()
                .filter(|v| self.verdicts[**v as usize] > 0)
                .map(|v| (v.as_str(), self.verdicts[*v as usize]))
                .collect(),
            errors: self.errors,
            metrics: self.metrics,
            output_closed: io_error
                .as_ref()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe),
            io_error: io_error
                .filter(|e| e.kind() != io::ErrorKind::BrokenPipe)
                .map(|e| e.to_string()),
            notes: Vec::new(),
            run: RunState::default(),
        }
    }
}

/// Writes one decision as its output line.
pub fn write_line(d: &Decision, pretty: bool, out: &mut Vec<u8>) {
    if pretty {
        // serializing a decision into memory cannot fail
        let _ = serde_json::to_writer_pretty(&mut *out, d);
    } else {
        crate::write::write_decision(d, out);
    }
    out.push(b'\n');
}

/// The error record of a line (or of a JSON document's `record`, from 1)
/// that could not be evaluated.
fn write_error(
    bytes: &[u8],
    line: usize,
    record: Option<usize>,
    e: &crate::record::RecordError,
    out: &mut Vec<u8>,
) {
    let mut rec = serde_json::json!({ "error": {
        "line": line,
        "lead_id": lead_id_guess(bytes),
        "kind": e.kind,
        "message": e.message,
    }});
    if let Some(n) = record {
        rec["error"]["record"] = n.into();
    }
    let _ = serde_json::to_writer(&mut *out, &rec);
    out.push(b'\n');
}

/// Writes what is left in `buf` and flushes, unless the batch already
/// failed; the first failure.
fn finish(out: &mut impl Write, buf: &[u8], io_error: Option<io::Error>) -> Option<io::Error> {
    io_error.or_else(|| out.write_all(buf).and_then(|_| out.flush()).err())
}

/// One record of a JSON document (see [`run_records`]).
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Its position in the document's list, from 1.
    pub number: usize,
    /// The line of the document it starts on, from 1, and the column.
    pub line: usize,
    pub column: usize,
    /// Its JSON text as given (it may span lines).
    pub bytes: &'a [u8],
}

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
/// to `out`, as [`run`] does for NDJSON lines. An error record says on
/// which line of the document the record starts and which record it is
/// (`record`, from 1); a fault between records gets an error record of its
/// own (without `record`), and the records after it are still read.
pub fn run_document<R: BufRead, W: Write>(
    engine: &Engine,
    input: R,
    mut out: W,
    opts: &Options,
) -> Summary {
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
                }
                Err(e) => {
                    counts.errors += 1;
                    let e = crate::record::RecordError {
                        kind: e.kind,
                        message: in_document(&r, e),
                    };
                    write_error(r.bytes, r.line, Some(r.number), &e, &mut buf);
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
            }
            (None, Item::Record { .. }) => {}
        }
        progress(opts, &counts);
        if buf.len() >= FLUSH || opts.streaming {
            if let Err(e) = out.write_all(&buf).and_then(|_| out.flush()) {
                io_error = Some(e);
                break;
            }
            buf.clear();
        }
    }
    let mut summary = counts.into_summary(finish(&mut out, &buf, io_error));
    summary.notes = reader.notes();
    summary.run = run;
    summary
}

/// Tells the caller how many records were answered.
fn progress(opts: &Options, counts: &Counts) {
    if let Some(p) = &opts.progress {
        p.store(counts.total(), Ordering::Relaxed);
    }
}

/// A decision of a chunk that the writer completes in input order.
enum Pending<'p> {
    /// Written to the chunk's output with a `null` member at `member`; the
    /// writer puts the member whose turn it is there. When no member has
    /// room, the decision's line (`line`) is replaced by its at-capacity
    /// form (`full`: its bytes in the chunk's side buffer, and its verdict).
    Turn {
        member: usize,
        turn: Turn<'p>,
        line: (usize, usize),
        full: Option<Full>,
    },
    /// Not written: assigned, then written at `at` of the chunk's output.
    Whole {
        at: usize,
        decision: Box<Decision<'p>>,
    },
}

/// The at-capacity form of a decision, written beside it.
struct Full {
    bytes: (usize, usize),
    verdicts: (Verdict, Verdict),
}

/// Evaluates the lines of one chunk into `out`. With `run` the members of
/// sequential teams are assigned here (one thread, in order); without,
/// those decisions are left in `pending` for the writer.
#[allow(clippy::too_many_arguments)]
fn eval_chunk<'p>(
    engine: &'p Engine,
    chunk: &[u8],
    first_line: usize,
    opts: &Options,
    out: &mut Vec<u8>,
    counts: &mut Counts,
    mut run: Option<&mut RunState>,
    pending: &mut Vec<Pending<'p>>,
    side: &mut Vec<u8>,
) {
    let mut line_no = first_line;
    // each decision is filled in place over the one written before it
    let mut spare = crate::eval::Spare::default();
    for line in Lines(chunk) {
        let bytes = line.strip_suffix(b"\r").unwrap_or(line);
        match engine.evaluate_bytes_reusing(bytes, opts.now, &mut spare) {
            Ok(d) => {
                if engine.needs_assignment(d) {
                    match run.as_deref_mut() {
                        Some(run) => engine.assign_in_order(d, run),
                        None => {
                            // assigned by the writer, in input order
                            if let Some(turn) = engine.pending_turn(d).filter(|_| !opts.pretty) {
                                counts.decision(engine, d);
                                pending.extend(write_turn(engine, d, turn, out, side));
                            } else if let Some(d) = spare.take() {
                                // the decision leaves the spare
                                pending.push(Pending::Whole {
                                    at: out.len(),
                                    decision: Box::new(d),
                                });
                            }
                            line_no += 1;
                            continue;
                        }
                    }
                }
                counts.decision(engine, d);
                write_line(d, opts.pretty, out);
            }
            Err(e) => {
                counts.errors += 1;
                write_error(bytes, line_no, None, &e, out);
            }
        }
        line_no += 1;
    }
}

/// Writes a decision that waits for a turn, all but its member, and its
/// at-capacity form to `side` when the team can fill up: what the writer
/// needs to complete it in input order.
fn write_turn<'p>(
    engine: &'p Engine,
    d: &mut Decision<'p>,
    turn: Turn<'p>,
    out: &mut Vec<u8>,
    side: &mut Vec<u8>,
) -> Option<Pending<'p>> {
    if let Some(r) = d.route.as_mut() {
        r.member = None;
    }
    let start = out.len();
    let member = crate::write::write_decision_marked(d, out);
    out.push(b'\n');
    let line = (start, out.len());
    let full = turn.can_fill().then(|| {
        let verdict = d.verdict;
        engine.at_capacity(d);
        let a = side.len();
        write_line(d, false, side);
        Full {
            bytes: (a, side.len()),
            verdicts: (verdict, d.verdict),
        }
    });
    Some(Pending::Turn {
        member: member?,
        turn,
        line,
        full,
    })
}

fn inline<R: Read, W: Write>(
    engine: &Engine,
    reader: &mut ChunkReader<R>,
    mut out: W,
    opts: &Options,
) -> Summary {
    let mut counts = Counts::new(engine);
    let mut run = RunState::default();
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
        );
        progress(opts, &counts);
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

/// A chunk of input lines, numbered.
struct Job {
    seq: usize,
    first_line: usize,
    bytes: Vec<u8>,
}

/// A chunk's output, for the writer.
struct Done<'p> {
    seq: usize,
    bytes: Vec<u8>,
    pending: Vec<Pending<'p>>,
    /// The at-capacity forms of pending decisions.
    side: Vec<u8>,
    counts: Counts,
}

fn parallel<R: Read + Send, W: Write>(
    engine: &Engine,
    mut reader: ChunkReader<R>,
    mut out: W,
    opts: &Options,
) -> Summary {
    let jobs = opts.jobs;
    let mut total = Counts::new(engine);
    let mut io_error: Option<io::Error> = None;
    // buffers go round: reader -> worker -> reader, worker -> writer -> worker
    let (free_in_tx, free_in_rx) = mpsc::channel::<Vec<u8>>();
    let free_out: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let mut writer_run = RunState::default();
    std::thread::scope(|s| {
        // bounded queues keep memory flat
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(jobs);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::sync_channel::<Done>(jobs * 2);
        let read = s.spawn(move || -> io::Result<()> {
            let mut seq = 0;
            loop {
                let mut bytes = free_in_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(CHUNK + (CHUNK >> 2)));
                let first_line = match reader.next(&mut bytes) {
                    Ok(Some(first)) => first,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(e),
                };
                let job = Job {
                    seq,
                    first_line,
                    bytes,
                };
                if job_tx.send(job).is_err() {
                    return Ok(());
                }
                seq += 1;
            }
        });
        for _ in 0..jobs {
            let job_rx = job_rx.clone();
            let done_tx = done_tx.clone();
            let free_in_tx = free_in_tx.clone();
            let free_out = free_out.clone();
            s.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => break,
                };
                let Ok(job) = job else { break };
                let mut bytes = free_out
                    .lock()
                    .ok()
                    .and_then(|mut f| f.pop())
                    .unwrap_or_else(|| Vec::with_capacity(FLUSH + (FLUSH >> 1)));
                bytes.clear();
                let mut counts = Counts::new(engine);
                let mut pending = Vec::new();
                let mut side = Vec::new();
                eval_chunk(
                    engine,
                    &job.bytes,
                    job.first_line,
                    opts,
                    &mut bytes,
                    &mut counts,
                    None,
                    &mut pending,
                    &mut side,
                );
                let _ = free_in_tx.send(job.bytes);
                let done = Done {
                    seq: job.seq,
                    bytes,
                    pending,
                    side,
                    counts,
                };
                if done_tx.send(done).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        drop(free_in_tx);
        // the writer: this thread, in input order
        let run = &mut writer_run;
        let mut waiting: BTreeMap<usize, Done> = BTreeMap::new();
        let mut next = 0usize;
        // the decisions the writer writes whole, and the pieces of a
        // chunk's output: put out with one vectored write
        let mut whole = Vec::new();
        let mut pieces: Vec<Piece> = Vec::new();
        'recv: for done in done_rx.iter() {
            waiting.insert(done.seq, done);
            while let Some(mut done) = waiting.remove(&next) {
                next += 1;
                total.add(&done.counts);
                progress(opts, &total);
                whole.clear();
                pieces.clear();
                let mut at = 0;
                for p in done.pending.drain(..) {
                    match p {
                        Pending::Turn {
                            member,
                            turn,
                            line,
                            full,
                        } => match (engine.take_turn(&turn, run), full) {
                            (Some(m), _) => {
                                pieces.push(Piece::Out(at, member));
                                pieces.push(Piece::Member(m.json()));
                                at = member + b"null".len();
                            }
                            (None, Some(full)) => {
                                total.verdicts[full.verdicts.0 as usize] -= 1;
                                total.verdicts[full.verdicts.1 as usize] += 1;
                                pieces.push(Piece::Out(at, line.0));
                                pieces.push(Piece::Side(full.bytes.0, full.bytes.1));
                                at = line.1;
                            }
                            // a team that cannot be full always has a member
                            (None, None) => {}
                        },
                        Pending::Whole {
                            at: offset,
                            decision: mut d,
                        } => {
                            engine.assign_in_order(&mut d, run);
                            total.decision(engine, &d);
                            let start = whole.len();
                            write_line(&d, opts.pretty, &mut whole);
                            pieces.push(Piece::Out(at, offset));
                            pieces.push(Piece::Whole(start, whole.len()));
                            at = offset;
                        }
                    }
                }
                pieces.push(Piece::Out(at, done.bytes.len()));
                let flushed = write_pieces(&mut out, &pieces, [&done.bytes, &done.side, &whole]);
                let flushed = match flushed {
                    Ok(()) if opts.streaming => out.flush(),
                    other => other,
                };
                if let Err(e) = flushed {
                    io_error = Some(e);
                    break 'recv;
                }
                if let Ok(mut f) = free_out.lock() {
                    f.push(done.bytes);
                }
            }
        }
        // stop the reader and the workers if the writer gave up
        drop(done_rx);
        drop(job_rx);
        if let Ok(Err(e)) = read.join() {
            io_error.get_or_insert(e);
        }
    });
    if io_error.is_none() {
        if let Err(e) = out.flush() {
            io_error = Some(e);
        }
    }
    let mut summary = total.into_summary(io_error);
    summary.run = writer_run;
    summary
}

/// A piece of a chunk's output, for the writer.
enum Piece<'p> {
    /// Bytes `a..b` of the chunk's output.
    Out(usize, usize),
    /// A member's name, as JSON.
    Member(&'p str),
    /// Bytes `a..b` of the chunk's at-capacity forms.
    Side(usize, usize),
    /// Bytes `a..b` of the decisions the writer wrote whole.
    Whole(usize, usize),
}

/// Writes `pieces` in order with as few calls as `out` allows (one
/// `writev` each thousand pieces for a file or a pipe); `bufs` are the
/// chunk's output, its side buffer and the writer's own.
fn write_pieces(out: &mut impl Write, pieces: &[Piece<'_>], bufs: [&[u8]; 3]) -> io::Result<()> {
    let [bytes, side, whole] = bufs;
    let mut slices: Vec<io::IoSlice<'_>> = pieces
        .iter()
        .map(|p| match *p {
            Piece::Out(a, b) => &bytes[a..b],
            Piece::Member(m) => m.as_bytes(),
            Piece::Side(a, b) => &side[a..b],
            Piece::Whole(a, b) => &whole[a..b],
        })
        .filter(|s| !s.is_empty())
        .map(io::IoSlice::new)
        .collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match out.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
