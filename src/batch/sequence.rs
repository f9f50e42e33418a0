//! Leads evaluated one after another on the calling thread, in input
//! order, each answered as `handoff eval --leads` answers it: for callers
//! that hold their leads one at a time (columnar input, the Python
//! binding) and must agree with the command byte for byte.

use crate::decision::Decision;
use crate::eval::{Engine, RunState, Spare};

use super::lead_id::lead_id_guess;
use super::output::{write_error, write_line};
use super::summary::{Counts, Summary};

/// A run of leads in input order: the line numbers of error records, the
/// members of round-robin and least-loaded teams assigned so far, and the
/// tallies of the summary.
///
/// ```
/// let path = std::path::Path::new("examples/inbound/policy.handoff");
/// let engine = handoff::Checked::from_file(path).unwrap().compile().unwrap();
/// let now: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
/// let mut seq = handoff::batch::Sequence::new(&engine);
/// let mut spare = handoff::eval::Spare::default();
/// let mut out = Vec::new();
/// seq.eval(&engine, br#"{"id": "a"}"#, now, &mut spare, &mut out);
/// let answer = seq.eval(&engine, b"{not json", now, &mut spare, &mut out);
/// assert!(matches!(answer, handoff::batch::Answer::Error { .. }));
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.lines().nth(1).unwrap().contains("\"line\":2"));
/// assert_eq!(seq.into_summary().errors, 1);
/// ```
#[derive(Debug)]
pub struct Sequence {
    counts: Counts,
    run: RunState,
    line: usize,
}

/// What [`Sequence::eval`] appended: a decision's line, or an error record.
#[derive(Debug)]
pub enum Answer<'s, 'p> {
    /// The decision, whose JSON line was appended.
    Decision(&'s Decision<'p>),
    /// The record could not be evaluated; its error record was appended.
    Error {
        /// The lead id read from the broken record, when there is one.
        lead_id: Option<String>,
    },
}

impl Sequence {
    /// A run that starts at line 1 with no member assigned yet.
    pub fn new(engine: &Engine) -> Sequence {
        Sequence {
            counts: Counts::new(engine),
            run: RunState::default(),
            line: 1,
        }
    }

    /// The line number the next record gets (from 1).
    pub fn next_line(&self) -> usize {
        self.line
    }

    /// Evaluates one record (a JSON object's bytes) and appends its line to
    /// `out`: the decision, its team member assigned in input order, or
    /// the error record naming the line, as `handoff eval --leads` writes
    /// them (one line each, with its newline).
    pub fn eval<'p, 's>(
        &mut self,
        engine: &'p Engine,
        bytes: &[u8],
        now: jiff::Timestamp,
        spare: &'s mut Spare<'p>,
        out: &mut Vec<u8>,
    ) -> Answer<'s, 'p> {
        let line = self.line;
        self.line += 1;
        match engine.evaluate_bytes_reusing(bytes, now, spare) {
            Ok(d) => {
                engine.assign_in_order(d, &mut self.run);
                self.counts.decision(engine, d);
                write_line(d, false, out);
                Answer::Decision(d)
            }
            Err(e) => {
                self.counts.errors += 1;
                write_error(bytes, line, None, &e, out);
                Answer::Error {
                    lead_id: lead_id_guess(bytes),
                }
            }
        }
    }

    /// Appends the error record of a record that could not be made into a
    /// lead at all (a value with no JSON form, say): `kind` and `message`
    /// as the reason, `bytes` the lead as far as it could be read (for its
    /// id). Takes the record's line.
    pub fn error(
        &mut self,
        bytes: &[u8],
        kind: &'static str,
        message: String,
        out: &mut Vec<u8>,
    ) -> Answer<'static, 'static> {
        let line = self.line;
        self.line += 1;
        self.counts.errors += 1;
        let e = crate::record::RecordError { kind, message };
        write_error(bytes, line, None, &e, out);
        Answer::Error {
            lead_id: lead_id_guess(bytes),
        }
    }

    /// The members assigned so far (for [`Engine::state_after`]).
    pub fn run(&self) -> &RunState {
        &self.run
    }

    /// What the run did, as a batch's summary.
    pub fn into_summary(self) -> Summary {
        let mut s = self.counts.into_summary(None);
        s.run = self.run;
        s
    }
}
