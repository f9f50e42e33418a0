//! What a batch did: the summary a run returns, the tallies of the
//! policy's metrics, and the counts of each chunk that are summed into it
//! (and shown as progress).

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::Ordering;

use crate::decision::{Decision, Verdict};
use crate::eval::{Engine, RunState};

use super::Options;

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
    /// [`DocumentReader::notes`](super::DocumentReader::notes)).
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

/// Per-chunk results that are summed into the [`Summary`].
#[derive(Debug)]
pub(super) struct Counts {
    pub(super) verdicts: [usize; 5],
    pub(super) errors: usize,
    metrics: Vec<MetricTally>,
}

impl Counts {
    pub(super) fn new(engine: &Engine) -> Counts {
        Counts {
            verdicts: [0; 5],
            errors: 0,
            metrics: vec![MetricTally::default(); engine.policy.metrics.len()],
        }
    }

    pub(super) fn decision(&mut self, engine: &Engine, d: &Decision) {
        self.verdicts[d.verdict as usize] += 1;
        tally(engine, d, &mut self.metrics);
    }

    /// Records answered: decisions and error records.
    fn total(&self) -> usize {
        self.verdicts.iter().sum::<usize>() + self.errors
    }

    pub(super) fn add(&mut self, other: &Counts) {
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

    pub(super) fn into_summary(self, io_error: Option<io::Error>) -> Summary {
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

/// Tells the caller how many records were answered.
pub(super) fn progress(opts: &Options, counts: &Counts) {
    if let Some(p) = &opts.progress {
        p.store(counts.total(), Ordering::Relaxed);
    }
}

/// One line per metric, for people: the share over the batch, or how
/// many leads met a value metric's target (`eval` prints them after the
/// summary).
///
/// ```
/// let path = std::path::Path::new("examples/inbound/policy.handoff");
/// let engine = handoff::Checked::from_file(path).unwrap().compile().unwrap();
/// let tallies = vec![handoff::batch::MetricTally::default(); engine.metric_count()];
/// for line in handoff::batch::metric_lines(&engine, &tallies) {
///     assert!(line.starts_with("metric "));
/// }
/// ```
pub fn metric_lines(engine: &Engine, tallies: &[MetricTally]) -> Vec<String> {
    use crate::ir::MetricBodyIr;
    let op = op_text;
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    engine
        .policy
        .metrics
        .iter()
        .zip(tallies)
        .map(|(m, t)| match &m.body {
            MetricBodyIr::Share { .. } => {
                let share = pct(t.hits, t.counted);
                let target = m.target.as_ref().map(|(o, v)| {
                    let goal = match v {
                        crate::value::Val::Num(n) => n * 100.0,
                        _ => f64::NAN,
                    };
                    let met = if t.counted == 0 {
                        "no data"
                    } else if compare_f(*o, share, goal) {
                        "met"
                    } else {
                        "not met"
                    };
                    format!(", target {} {}%: {met}", op(*o), trim_number(goal))
                });
                format!(
                    "metric {}: {share:.1}% ({} of {}){}",
                    m.name,
                    t.hits,
                    t.counted,
                    target.unwrap_or_default()
                )
            }
            MetricBodyIr::Value(_) => match &m.target {
                Some((o, v)) => format!(
                    "metric {}: {} lead(s) with a value, {:.1}% meet target {} {}",
                    m.name,
                    t.counted,
                    pct(t.hits, t.judged),
                    op(*o),
                    match v.to_json() {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    }
                ),
                None => format!("metric {}: {} lead(s) with a value", m.name, t.counted),
            },
        })
        .collect()
}

/// A comparison as policies write it.
pub(crate) fn op_text(o: crate::ir::CmpOp) -> &'static str {
    use crate::ir::CmpOp;
    match o {
        CmpOp::Le => "<=",
        CmpOp::Lt => "<",
        CmpOp::Ge => ">=",
        CmpOp::Gt => ">",
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
    }
}

pub(crate) fn compare_f(op: crate::ir::CmpOp, a: f64, b: f64) -> bool {
    use crate::ir::CmpOp;
    match op {
        CmpOp::Le => a <= b,
        CmpOp::Lt => a < b,
        CmpOp::Ge => a >= b,
        CmpOp::Gt => a > b,
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
    }
}

/// `12.5`, `40`: a percentage without trailing zeros.
fn trim_number(n: f64) -> String {
    let s = format!("{n:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
