//! A batch on worker threads: a reader cuts the input into chunks, workers
//! evaluate them, and the writer (the calling thread) assigns members in
//! input order and puts the chunks out in order.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::{mpsc, Arc, Mutex};

use crate::audit::LogWriter;
use crate::eval::{Engine, RunState};

use super::chunk::{eval_chunk, log_line, Pending};
use super::lines::ChunkReader;
use super::output::{write_line, write_pieces, Piece};
use super::summary::{progress, Counts};
use super::{Options, Summary, CHUNK, FLUSH};

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
    /// The bodies of the chunk's decision-log lines, when logging.
    log: Vec<u8>,
    counts: Counts,
}

pub(super) fn parallel<R: Read + Send, W: Write>(
    engine: &Engine,
    mut reader: ChunkReader<R>,
    mut out: W,
    opts: &Options,
    mut log: Option<&mut LogWriter>,
    mut writer_run: RunState,
) -> Summary {
    let jobs = opts.jobs;
    let logging = log.is_some();
    let mut total = Counts::new(engine);
    let mut io_error: Option<io::Error> = None;
    // buffers go round: reader -> worker -> reader, worker -> writer -> worker
    let (free_in_tx, free_in_rx) = mpsc::channel::<Vec<u8>>();
    let free_out: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
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
                let mut log = Vec::new();
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
                    logging.then_some(&mut log),
                );
                let _ = free_in_tx.send(job.bytes);
                let done = Done {
                    seq: job.seq,
                    bytes,
                    pending,
                    side,
                    log,
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
        // the chunk's log lines with those of the decisions written whole
        let mut log_lines = Vec::new();
        'recv: for done in done_rx.iter() {
            waiting.insert(done.seq, done);
            while let Some(mut done) = waiting.remove(&next) {
                next += 1;
                total.add(&done.counts);
                progress(opts, &total);
                whole.clear();
                pieces.clear();
                log_lines.clear();
                let mut at = 0;
                let mut log_from = 0;
                let mut rebuilt = false;
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
                            log_at,
                            line,
                            decision: mut d,
                        } => {
                            engine.assign_in_order(&mut d, run);
                            total.decision(engine, &d);
                            if logging {
                                log_lines.extend_from_slice(&done.log[log_from..log_at]);
                                log_line(&d, line, &mut log_lines);
                                log_from = log_at;
                                rebuilt = true;
                            }
                            let start = whole.len();
                            write_line(&d, opts.pretty, &mut whole);
                            pieces.push(Piece::Out(at, offset));
                            pieces.push(Piece::Whole(start, whole.len()));
                            at = offset;
                        }
                    }
                }
                pieces.push(Piece::Out(at, done.bytes.len()));
                if let Some(log) = log.as_deref_mut() {
                    // the log line goes before the decision is put out
                    let lines = if !rebuilt {
                        &done.log[..]
                    } else {
                        log_lines.extend_from_slice(&done.log[log_from..]);
                        &log_lines[..]
                    };
                    if let Err(e) = super::add_log(log, lines, opts) {
                        io_error = Some(e);
                        break 'recv;
                    }
                }
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
