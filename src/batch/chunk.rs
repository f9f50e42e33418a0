//! One chunk of NDJSON lines evaluated into output bytes, on one thread.
//! A decision whose team member depends on the leads before it is left,
//! written but for the member, for the writer to complete in input order.

use crate::decision::{Decision, Verdict};
use crate::eval::{Engine, RunState, Turn};

use super::lines::Lines;
use super::output::{write_error, write_line};
use super::summary::Counts;
use super::Options;

/// A decision of a chunk that the writer completes in input order.
pub(super) enum Pending<'p> {
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
    /// Not written: assigned, then written at `at` of the chunk's output
    /// (and its log line at `log_at` of the chunk's log lines, from input
    /// line `line`).
    Whole {
        at: usize,
        log_at: usize,
        line: usize,
        decision: Box<Decision<'p>>,
    },
}

/// The at-capacity form of a decision, written beside it.
pub(super) struct Full {
    pub(super) bytes: (usize, usize),
    pub(super) verdicts: (Verdict, Verdict),
}

/// Evaluates the lines of one chunk into `out`, and the bodies of their
/// decision-log lines into `log` when given. With `run` the members of
/// sequential teams are assigned here (one thread, in order); without,
/// those decisions are left in `pending` for the writer.
#[allow(clippy::too_many_arguments)]
pub(super) fn eval_chunk<'p>(
    engine: &'p Engine,
    chunk: &[u8],
    first_line: usize,
    opts: &Options,
    out: &mut Vec<u8>,
    counts: &mut Counts,
    mut run: Option<&mut RunState>,
    pending: &mut Vec<Pending<'p>>,
    side: &mut Vec<u8>,
    mut log: Option<&mut Vec<u8>>,
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
                            // assigned by the writer, in input order (a
                            // logged one whole: its log line has a member)
                            let whole = opts.pretty || log.is_some();
                            if let Some(turn) = engine.pending_turn(d).filter(|_| !whole) {
                                counts.decision(engine, d);
                                pending.extend(write_turn(engine, d, turn, out, side));
                            } else if let Some(d) = spare.take() {
                                // the decision leaves the spare
                                pending.push(Pending::Whole {
                                    at: out.len(),
                                    log_at: log.as_deref().map_or(0, Vec::len),
                                    line: line_no,
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
                if let Some(log) = log.as_deref_mut() {
                    log_line(d, line_no, log);
                }
            }
            Err(e) => {
                counts.errors += 1;
                write_error(bytes, line_no, None, &e, out);
                if let Some(log) = log.as_deref_mut() {
                    log_error_line(engine, opts, bytes, (line_no, None), &e, log);
                }
            }
        }
        line_no += 1;
    }
}

/// Appends the body of a decision's log line, and a newline.
pub(super) fn log_line(d: &Decision<'_>, line: usize, log: &mut Vec<u8>) {
    let at = crate::write::LogInput { line, record: None };
    crate::write::log_entry(d, at, log);
    log.push(b'\n');
}

/// Appends the body of the log line of a record that could not be
/// evaluated (at input `line`, and document `record`), and a newline.
pub(super) fn log_error_line(
    engine: &Engine,
    opts: &Options,
    bytes: &[u8],
    (line, record): (usize, Option<usize>),
    e: &crate::record::RecordError,
    log: &mut Vec<u8>,
) {
    let id = super::lead_id::lead_id_guess(bytes);
    let at = crate::write::LogInput { line, record };
    let policy = engine.policy_ref();
    crate::write::log_error(policy, opts.now, id.as_deref(), at, e.kind, &e.message, log);
    log.push(b'\n');
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
