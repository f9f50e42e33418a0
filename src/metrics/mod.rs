//! `handoff metrics`: whether the protocol works, measured over a batch.
//!
//! Every lead of a batch is evaluated (on as many threads as asked, memory
//! flat but for the values of the policy's value metrics, eight bytes a
//! lead each, kept for exact medians) and its decision tallied: the
//! policy's metrics (count, open, median, p90, mean and share within target
//! for values; numerator, denominator and ratio for shares), escalation
//! steps overdue (due and not stopped: the SLA breaches), verdicts and
//! routes, for the whole batch and per group (route target, stage, verdict,
//! a pilot segment, or any lead field).
//!
//! Here: the options and the streamed pass. The tallies are in `tally`, the
//! report and its text forms in `report`, the HTML report in `html`.

use std::io::BufRead;

use crate::batch::{sniff, ChunkReader, Lines, Place, Raw, Records, Sniff};
use crate::decision::Decision;
use crate::eval::{Engine, RunState, Spare};

mod html;
mod report;
mod tally;
mod text;
pub use report::{
    BadRecord, Bin, Breach, Distribution, Group, MetricReport, MetricsReport, PolicyInfo,
    StepReport,
};
use tally::Acc;

/// The signal `--segment EXPR` adds to the policy (see [`extra`]).
pub const SEGMENT_SIGNAL: &str = "handoff_metrics_segment";
/// The signal `--since`/`--until` add to the policy (see [`extra`]).
pub const PERIOD_SIGNAL: &str = "handoff_metrics_period";
/// The signal `--by FIELD` adds, so the checker knows the field.
pub const FIELD_SIGNAL: &str = "handoff_metrics_field";

/// How leads are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    /// The whole batch only.
    Nothing,
    /// The route target (`team emea_sdr`, `none`).
    Route,
    /// The handoff that applies (`mql -> sql`, `none`).
    Stage,
    /// The verdict.
    Verdict,
    /// In the `--segment` or not (`segment`, `rest`, `unknown`).
    Segment,
    /// A lead field, by its dotted path.
    Field(String),
}

impl By {
    /// What the groups are named by, for reports.
    pub fn name(&self) -> Option<String> {
        match self {
            By::Nothing => None,
            By::Route => Some("route".into()),
            By::Stage => Some("stage".into()),
            By::Verdict => Some("verdict".into()),
            By::Segment => Some("segment".into()),
            By::Field(f) => Some(f.clone()),
        }
    }
}

/// The period of `--since`/`--until`: which leads count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The lead timestamp field that places a lead in time.
    pub field: String,
    /// Leads at or after this time (policy literal text: a date or an RFC
    /// 3339 time).
    pub since: Option<String>,
    /// Leads before this time.
    pub until: Option<String>,
}

/// How a measurement runs.
#[derive(Debug, Clone)]
pub struct MetricsOptions {
    /// The evaluation time of every lead.
    pub now: jiff::Timestamp,
    /// Worker threads (1 evaluates on the calling thread).
    pub jobs: usize,
    /// How to group.
    pub by: By,
    /// The `--segment` expression, when given (its signal is in the
    /// policy: see [`extra`]).
    pub segment: Option<String>,
    /// The period, when given (its signal is in the policy).
    pub period: Option<Period>,
}

/// The declarations to check and compile beside the policy for these
/// options: `(source name, text)` pairs for
/// [`crate::Checked::from_file_with_extra`]. The segment and the period
/// become signals, so the checker reads them as it reads the policy (with
/// its diagnostics and suggestions), and each decision says whether the
/// lead is in.
///
/// ```
/// use handoff::metrics::{extra, Period};
/// let period = Period { field: "lifecycle.handed_off_at".into(), since: Some("2025-04-01".into()), until: None };
/// let decls = extra(Some("company.region == \"EMEA\""), Some(&period), None);
/// assert_eq!(decls.len(), 2);
/// let refs: Vec<(&str, &str)> = decls.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
/// let checked = handoff::Checked::from_file_with_extra(
///     "examples/inbound/policy.handoff".as_ref(), Default::default(), &refs).unwrap();
/// assert!(checked.is_ok());
/// ```
pub fn extra(
    segment: Option<&str>,
    period: Option<&Period>,
    by_field: Option<&str>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(s) = segment {
        out.push((
            "--segment".to_string(),
            // in parentheses: the text is one condition, never more
            // declarations; the `)` on a line of its own, so that a text
            // ending in a `//` comment does not comment it out
            format!("signal {SEGMENT_SIGNAL} =\n  ({s}\n  )\n"),
        ));
    }
    if let Some(p) = period {
        let mut parts = Vec::new();
        if let Some(s) = &p.since {
            parts.push(format!("{} >= {s}", p.field));
        }
        if let Some(u) = &p.until {
            parts.push(format!("{} < {u}", p.field));
        }
        if parts.is_empty() {
            parts.push(format!("present({})", p.field));
        }
        out.push((
            "--since/--until".to_string(),
            format!("signal {PERIOD_SIGNAL} =\n  {}\n", parts.join("\n  and ")),
        ));
    }
    if let Some(f) = by_field {
        out.push((
            "--by".to_string(),
            format!("signal {FIELD_SIGNAL} =\n  present({f})\n"),
        ));
    }
    out
}

/// Refuses to group by a field the policy marks as personal data: the
/// report would print every value of it as a group's name, where the
/// decision log masks them.
pub fn check_by(engine: &crate::eval::Engine, by: &By) -> Result<(), String> {
    match by {
        By::Field(f) if engine.is_masked(f) => Err(format!(
            "`--by {f}`: the policy marks `{f}` as personal data (pii), and a report grouped by it would print every value: group by a field that is not pii, such as company.region"
        )),
        _ => Ok(()),
    }
}

/// Checks that each of [`extra`]'s declarations is one signal, as meant:
/// an option's text that closes the condition and adds declarations of its
/// own (`true) signal x = (true`) is refused, naming the option.
///
/// ```
/// let ok = handoff::metrics::extra(Some("company.region == \"EMEA\""), None, None);
/// assert!(handoff::metrics::check_extra(&ok).is_ok());
/// let sneaky = handoff::metrics::extra(Some("true) signal x = (true"), None, None);
/// assert!(handoff::metrics::check_extra(&sneaky).unwrap_err().contains("--segment"));
/// ```
pub fn check_extra(decls: &[(String, String)]) -> Result<(), String> {
    for (name, text) in decls {
        let loaded = crate::load::load_bytes(name, text.as_bytes(), None);
        // text that does not parse is left to the check, which says why
        let items = loaded.modules.first().map_or(1, |m| m.items.len());
        if loaded.diagnostics.is_empty() && items != 1 {
            return Err(format!(
                "`{name}` takes one condition, and this text holds more than one declaration: write a single condition such as company.region == \"EMEA\""
            ));
        }
    }
    Ok(())
}

/// Records per chunk of work in a JSON document.
const CHUNK: usize = 4096;

/// Evaluates every record of `input` (NDJSON or a JSON document) and
/// measures the batch.
///
/// ```
/// let engine = handoff::Checked::from_file("examples/inbound/policy.handoff".as_ref())
///     .unwrap().compile().unwrap();
/// let leads = std::fs::read("examples/inbound/leads.ndjson").unwrap();
/// let opts = handoff::metrics::MetricsOptions {
///     now: "2025-06-01T12:00:00Z".parse().unwrap(),
///     jobs: 2,
///     by: handoff::metrics::By::Route,
///     segment: None,
///     period: None,
/// };
/// let report = handoff::metrics::measure(&engine, &leads[..], &opts).unwrap();
/// assert_eq!(report.all.leads, 300);
/// assert!(report.groups.iter().map(|g| g.leads).sum::<usize>() == 300);
/// ```
pub fn measure<R: BufRead>(
    engine: &Engine,
    mut input: R,
    opts: &MetricsOptions,
) -> std::io::Result<MetricsReport> {
    let path: Vec<&str> = match &opts.by {
        By::Field(f) => f.split('.').collect(),
        _ => Vec::new(),
    };
    let shared = tally::Shared::new(engine, opts, &path);
    let jobs = opts.jobs.max(1);
    let mut accs: Vec<Acc> = (0..jobs).map(|_| Acc::new(&shared)).collect();
    let mut ordered = Acc::new(&shared);
    let mut run = RunState::default();
    let notes = match sniff(input.fill_buf()?) {
        Sniff::Ndjson => {
            let mut reader = ChunkReader::new(input, false);
            let (mut cur, mut next) = (Vec::new(), Vec::new());
            let mut first = reader.next(&mut cur)?;
            while let Some(line) = first {
                // the workers evaluate this chunk while the next is read
                let (read, pending) = std::thread::scope(|s| {
                    let handles: Vec<_> = crate::batch::split_lines(&cur, line, jobs)
                        .into_iter()
                        .zip(accs.iter_mut())
                        .map(|((bytes, line), acc)| {
                            let shared = &shared;
                            s.spawn(move || work_lines(shared, bytes, line, acc))
                        })
                        .collect();
                    let read = reader.next(&mut next);
                    let pending: Vec<_> = handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_default())
                        .collect();
                    (read, pending)
                });
                for (mut d, key) in pending.into_iter().flatten() {
                    engine.assign_in_order(&mut d, &mut run);
                    ordered.decision(&shared, &d, key);
                }
                first = read?;
                std::mem::swap(&mut cur, &mut next);
            }
            Vec::new()
        }
        Sniff::Document => {
            let mut records = Records::new(input)?;
            let mut chunk = Vec::with_capacity(CHUNK);
            loop {
                let more = records.next_chunk(CHUNK, &mut chunk)?;
                let per = chunk.len().div_ceil(jobs).max(1);
                let pending: Vec<Vec<_>> = std::thread::scope(|s| {
                    let handles: Vec<_> = chunk
                        .chunks(per)
                        .zip(accs.iter_mut())
                        .map(|(part, acc)| {
                            let shared = &shared;
                            s.spawn(move || work_records(shared, part, acc))
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_default())
                        .collect()
                });
                for (mut d, key) in pending.into_iter().flatten() {
                    engine.assign_in_order(&mut d, &mut run);
                    ordered.decision(&shared, &d, key);
                }
                if !more {
                    break;
                }
            }
            records.notes()
        }
    };
    let mut total = ordered;
    for a in accs {
        total.merge(a);
    }
    Ok(total.report(&shared, notes))
}

/// What a worker does with one lead: tallies it, or keeps it for its
/// member in input order.
fn one<'p>(
    shared: &tally::Shared<'p>,
    bytes: &[u8],
    place: Place,
    spare: &mut Spare<'p>,
    acc: &mut Acc<'p>,
    pending: &mut Vec<(Decision<'p>, Option<String>)>,
) {
    match shared
        .engine
        .evaluate_bytes_reusing(bytes, shared.now, spare)
    {
        Err(e) => acc.bad(place, e.message),
        Ok(d) => {
            let key = shared.field_key(bytes);
            if shared.engine.needs_assignment(d) {
                if let Some(d) = spare.take() {
                    pending.push((d, key));
                }
            } else {
                acc.decision(shared, d, key);
            }
        }
    }
}

/// Evaluates the lines of a part of a chunk: tallies what it can, returns
/// the decisions that wait for their member. Blank lines are skipped.
fn work_lines<'p>(
    shared: &tally::Shared<'p>,
    bytes: &[u8],
    first: usize,
    acc: &mut Acc<'p>,
) -> Vec<(Decision<'p>, Option<String>)> {
    let mut pending = Vec::new();
    let mut spare = Spare::default();
    for (i, line) in Lines(bytes).enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let place = Place {
            line: first + i,
            record: None,
        };
        one(shared, line, place, &mut spare, acc, &mut pending);
    }
    pending
}

/// [`work_lines`] for the records of a JSON document.
fn work_records<'p>(
    shared: &tally::Shared<'p>,
    part: &[Raw],
    acc: &mut Acc<'p>,
) -> Vec<(Decision<'p>, Option<String>)> {
    let mut pending = Vec::new();
    let mut spare = Spare::default();
    for raw in part {
        match raw {
            Raw::Error { place, message } => acc.bad(*place, message.clone()),
            Raw::Record { place, bytes } => {
                one(shared, bytes, *place, &mut spare, acc, &mut pending);
            }
        }
    }
    pending
}
