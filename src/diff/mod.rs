//! `handoff diff`: what a policy change does to real leads.
//!
//! Both versions are compiled once and every lead of a batch is evaluated
//! by both, in one streamed pass (memory flat in the number of leads). The
//! report counts the leads whose verdict, route, playbook, quality gates,
//! escalation steps due, missing context or readiness change, with a few
//! sample lead ids for each kind of change, a from -> to matrix of route
//! targets, and the records that could not be read. Beside it, a summary of
//! the text change: definitions added, removed or changed, matched by name.
//!
//! Each version keeps its own [`RunState`]: the members of round-robin and
//! least-loaded teams are assigned in input order, from the state each
//! engine was given ([`Engine::with_state`]), so a lead's member is the one
//! `handoff eval --state` gives it under that version.
//!
//! Here: the report's types and the streamed pass; the text of the
//! definitions in `structure`, the report as text and Markdown in `render`.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::Serialize;

use crate::batch::{sniff, ChunkReader, Lines, Raw, Records, Sniff};
use crate::decision::Decision;
use crate::eval::{Engine, RunState, Spare};

mod render;
mod structure;
use structure::structure;

/// How a diff runs.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The evaluation time of every lead.
    pub now: jiff::Timestamp,
    /// Sample lead ids kept per kind of change.
    pub samples: usize,
    /// Worker threads (1 evaluates on the calling thread).
    pub jobs: usize,
}

/// One kind of change and the leads it touched.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Change {
    /// How many leads changed this way.
    pub count: usize,
    /// A few of them: lead id (or `line N`), before and after.
    pub samples: Vec<Sample>,
}

/// A lead that changed, with what it was and what it becomes.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// The lead's id, or `line N` when it has none.
    pub lead: String,
    /// The line (or, in a JSON document, the first line of the record) it
    /// was read from: samples are the first leads of each kind in input
    /// order.
    #[serde(skip)]
    pub line: usize,
    /// The old policy's answer.
    pub before: String,
    /// The new policy's answer.
    pub after: String,
    /// The rule that decided under the old policy, when one did: for a
    /// route, its number, line and text (`rule 3, line 166: when emea ->
    /// team emea_sdr`); for a verdict, its first reason; for a playbook,
    /// the `playbook` rule's line and text; for a stage's readiness, the
    /// first condition not met.
    pub rule_before: Option<String>,
    /// The rule that decided under the new policy, likewise.
    pub rule_after: Option<String>,
}

/// A record that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct BadRecord {
    /// Its line in the input, from 1.
    pub line: usize,
    /// Why.
    pub message: String,
}

/// What changed in the text: definitions by name.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Structure {
    /// `signal engaged`, `quality gate stale_contact`, ... new in NEW.
    pub added: Vec<String>,
    /// Those gone from NEW.
    pub removed: Vec<String>,
    /// Those in both whose text changed: the name, the old text, the new.
    pub changed: Vec<(String, String, String)>,
}

/// The whole report.
#[derive(Debug, Default, Serialize)]
pub struct DiffReport {
    /// Leads compared.
    pub leads: usize,
    /// Leads with any change.
    pub changed: usize,
    /// Changes by kind: `verdict`, `route`, `playbook`, `quality`,
    /// `escalations`, `missing_context`, and `readiness FROM -> TO` for
    /// each stage (`readiness mql -> sal`).
    pub changes: BTreeMap<String, Change>,
    /// Route targets before -> after, for the leads whose target changed.
    pub routes: BTreeMap<String, usize>,
    /// Members before -> after within a team, for the leads that stay with
    /// the team but go to another member (`team sdr_pool: ana -> ben`).
    pub members: BTreeMap<String, usize>,
    /// Verdicts before -> after, for the leads whose verdict changed.
    pub verdicts: BTreeMap<String, usize>,
    /// Records that could not be read (each counted once, the rest still
    /// compared).
    pub bad_records: Vec<BadRecord>,
    /// How many records could not be read (the list keeps the first 100).
    pub bad_count: usize,
    /// The text change.
    pub structure: Structure,
}

/// One part of a decision a diff compares, as text, with the rule that
/// decided it.
struct Facet {
    value: String,
    rule: Option<String>,
}

/// The parts of a decision a diff compares, by kind.
fn facets(d: &Decision) -> BTreeMap<String, Facet> {
    let join = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut out = BTreeMap::new();
    let mut put = |kind: String, value: String, rule: Option<String>| {
        out.insert(kind, Facet { value, rule });
    };
    put(
        "verdict".into(),
        d.verdict.as_str().to_string(),
        d.reasons.first().map(|r| r.as_str().to_string()),
    );
    match &d.route {
        Some(r) => {
            let mut s = format!("{} {}", r.target.kind, r.target.name.as_str());
            if let Some(m) = &r.member {
                s.push_str(&format!(" ({})", m.as_str()));
            }
            let rule = format!("rule {}, line {}: {}", r.rule, r.line, r.condition.as_str());
            put("route".into(), s, Some(rule));
        }
        None => put("route".into(), "none".into(), None),
    }
    match &d.playbook {
        Some(p) => put(
            "playbook".into(),
            p.name.as_str().to_string(),
            Some(format!("line {}: {}", p.line, p.rule.as_str())),
        ),
        None => put("playbook".into(), "none".into(), None),
    }
    put(
        "quality".into(),
        join(
            d.quality
                .iter()
                .map(|q| q.name.as_str().to_string())
                .collect(),
        ),
        None,
    );
    put(
        "escalations".into(),
        join(
            d.escalations
                .iter()
                .filter(|e| matches!(e.status, "pending" | "overdue"))
                .map(|e| format!("{} {}", e.name.as_str(), e.status))
                .collect(),
        ),
        None,
    );
    put(
        "missing_context".into(),
        join(
            d.missing_context
                .iter()
                .map(|m| m.field.as_str().to_string())
                .collect(),
        ),
        None,
    );
    for s in &d.stages {
        put(
            format!("readiness {} -> {}", s.from.as_str(), s.to.as_str()),
            if s.ready { "ready" } else { "not ready" }.to_string(),
            s.unmet
                .first()
                .map(|u| format!("line {}: {} ({})", u.line, u.condition.as_str(), u.result)),
        );
    }
    out
}

/// Compares two policies over a batch of leads: NDJSON or a JSON document
/// (an array, a CRM export), told apart as `eval` does.
///
/// Blank lines are skipped (the lines after them keep their numbers); a
/// line longer than [`crate::MAX_RECORD_BYTES`] is read no further than
/// the limit and counted as a record that could not be read.
///
/// The input is read in chunks of whole lines, the next read while the
/// workers evaluate the last; each worker evaluates its part of a chunk
/// under both versions and compares the decisions into a report of its
/// own, merged at the end (samples and broken records are the first in
/// input order). A lead routed to a round-robin or least-loaded team under
/// either version waits for its member, assigned in input order.
///
/// ```
/// let engine = |p: &str| handoff::Checked::from_file(std::path::Path::new(p)).unwrap().compile().unwrap();
/// let old = engine("examples/inbound/policy.handoff");
/// let new = engine("examples/inbound/policy.handoff");
/// let leads = std::fs::read("examples/inbound/leads.ndjson").unwrap();
/// let opts = handoff::diff::DiffOptions { now: "2025-06-01T12:00:00Z".parse().unwrap(), samples: 3, jobs: 2 };
/// let report = handoff::diff::diff(&old, &new, &leads[..], &opts).unwrap();
/// assert_eq!(report.leads, 300);
/// assert_eq!(report.changed, 0); // a policy against itself changes nothing
/// ```
pub fn diff<R: BufRead>(
    old: &Engine,
    new: &Engine,
    mut input: R,
    opts: &DiffOptions,
) -> std::io::Result<DiffReport> {
    let jobs = opts.jobs.max(1);
    let both = Both { old, new, opts };
    let mut parts: Vec<DiffReport> = (0..jobs).map(|_| DiffReport::default()).collect();
    let mut report = DiffReport::default();
    // each version assigns the members of sequential teams in input order,
    // from its own state
    let (mut run_old, mut run_new) = (RunState::default(), RunState::default());
    let mut ordered = |report: &mut DiffReport, pending: Vec<Vec<Pending>>| {
        for (n, mut a, mut b) in pending.into_iter().flatten() {
            old.assign_in_order(&mut a, &mut run_old);
            new.assign_in_order(&mut b, &mut run_new);
            compare(report, n, &a, &b, opts.samples);
        }
    };
    match sniff(input.fill_buf()?) {
        Sniff::Ndjson => {
            let mut reader = ChunkReader::new(input, false);
            let (mut cur, mut next) = (Vec::new(), Vec::new());
            let mut first = reader.next(&mut cur)?;
            while let Some(line) = first {
                let (read, pending) = std::thread::scope(|s| {
                    let handles: Vec<_> = crate::batch::split_lines(&cur, line, jobs)
                        .into_iter()
                        .zip(parts.iter_mut())
                        .map(|((bytes, line), part)| {
                            let both = &both;
                            s.spawn(move || both.lines(bytes, line, part))
                        })
                        .collect();
                    // the next chunk is read while the workers evaluate
                    let read = reader.next(&mut next);
                    let pending: Vec<_> = handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_default())
                        .collect();
                    (read, pending)
                });
                ordered(&mut report, pending);
                first = read?;
                std::mem::swap(&mut cur, &mut next);
            }
        }
        Sniff::Document => {
            let mut records = Records::new(input)?;
            let mut chunk = Vec::new();
            loop {
                let more = records.next_chunk(2048, &mut chunk)?;
                let per = chunk.len().div_ceil(jobs).max(1);
                let pending: Vec<_> = std::thread::scope(|s| {
                    let handles: Vec<_> = chunk
                        .chunks(per)
                        .zip(parts.iter_mut())
                        .map(|(raws, part)| {
                            let both = &both;
                            s.spawn(move || both.records(raws, part))
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_default())
                        .collect()
                });
                ordered(&mut report, pending);
                if !more {
                    break;
                }
            }
        }
    }
    for p in parts {
        merge(&mut report, p, opts.samples);
    }
    report.structure = structure(old, new);
    Ok(report)
}

/// A lead whose member waits for input order: its line, and its decision
/// under each version.
type Pending<'p> = (usize, Decision<'p>, Decision<'p>);

/// The two versions and the options, shared by the workers.
struct Both<'p> {
    old: &'p Engine,
    new: &'p Engine,
    opts: &'p DiffOptions,
}

impl<'p> Both<'p> {
    /// Evaluates the lines of a part of a chunk under both versions.
    fn lines(&self, bytes: &[u8], first: usize, part: &mut DiffReport) -> Vec<Pending<'p>> {
        let mut pending = Vec::new();
        let mut spares = (Spare::default(), Spare::default());
        for (i, line) in Lines(bytes).enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.one(line, first + i, &mut spares, part, &mut pending);
        }
        pending
    }

    /// [`Both::lines`] for the records of a JSON document.
    fn records(&self, raws: &[Raw], part: &mut DiffReport) -> Vec<Pending<'p>> {
        let mut pending = Vec::new();
        let mut spares = (Spare::default(), Spare::default());
        for raw in raws {
            match raw {
                Raw::Error { place, message } => bad(part, place.line, message.clone()),
                Raw::Record { place, bytes } => {
                    self.one(bytes, place.line, &mut spares, part, &mut pending)
                }
            }
        }
        pending
    }

    /// One lead under both versions: compared at once, or kept for its
    /// member.
    fn one(
        &self,
        bytes: &[u8],
        n: usize,
        (sa, sb): &mut (Spare<'p>, Spare<'p>),
        part: &mut DiffReport,
        pending: &mut Vec<Pending<'p>>,
    ) {
        let now = self.opts.now;
        let a = match self.old.evaluate_bytes_reusing(bytes, now, sa) {
            Ok(a) => a,
            Err(e) => return bad(part, n, e.message),
        };
        let b = match self.new.evaluate_bytes_reusing(bytes, now, sb) {
            Ok(b) => b,
            Err(e) => return bad(part, n, e.message),
        };
        if self.old.needs_assignment(a) || self.new.needs_assignment(b) {
            if let (Some(a), Some(b)) = (sa.take(), sb.take()) {
                pending.push((n, a, b));
            }
        } else {
            compare(part, n, a, b, self.opts.samples);
        }
    }
}

/// A record that could not be read, on line `n`.
fn bad(report: &mut DiffReport, n: usize, message: String) {
    report.bad_count += 1;
    if report.bad_records.len() < 100 {
        report.bad_records.push(BadRecord { line: n, message });
    }
}

/// Adds a worker's report: counts add up; samples and broken records are
/// the first in input order (each worker kept its own first, in order, so
/// the first overall are among them).
fn merge(into: &mut DiffReport, part: DiffReport, samples: usize) {
    into.leads += part.leads;
    into.changed += part.changed;
    for (kind, c) in part.changes {
        let to = into.changes.entry(kind).or_default();
        to.count += c.count;
        to.samples.extend(c.samples);
        to.samples.sort_by_key(|s| s.line);
        to.samples.truncate(samples);
    }
    for (k, n) in part.routes {
        *into.routes.entry(k).or_default() += n;
    }
    for (k, n) in part.members {
        *into.members.entry(k).or_default() += n;
    }
    for (k, n) in part.verdicts {
        *into.verdicts.entry(k).or_default() += n;
    }
    into.bad_count += part.bad_count;
    into.bad_records.extend(part.bad_records);
    into.bad_records.sort_by_key(|b| b.line);
    into.bad_records.truncate(100);
}

/// Counts what differs between the two decisions of the lead on line `n`.
fn compare(report: &mut DiffReport, n: usize, a: &Decision, b: &Decision, samples: usize) {
    report.leads += 1;
    // most leads are decided alike: a cheap look first, text only for the
    // leads that differ
    if same(a, b) {
        return;
    }
    let lead = a.lead_id.clone().unwrap_or_else(|| format!("line {n}"));
    let (mut fa, mut fb) = (facets(a), facets(b));
    let kinds: Vec<String> = fa.keys().chain(fb.keys()).cloned().collect();
    let mut any = false;
    for kind in kinds {
        let none = || Facet {
            value: "none".to_string(),
            rule: None,
        };
        let x = fa.remove(&kind).unwrap_or_else(none);
        let y = fb.remove(&kind).unwrap_or_else(none);
        if x.value == y.value {
            continue;
        }
        any = true;
        let c = report.changes.entry(kind).or_default();
        c.count += 1;
        if c.samples.len() < samples {
            c.samples.push(Sample {
                lead: lead.clone(),
                line: n,
                before: x.value,
                after: y.value,
                rule_before: x.rule,
                rule_after: y.rule,
            });
        }
    }
    if a.verdict != b.verdict {
        *report
            .verdicts
            .entry(format!("{} -> {}", a.verdict.as_str(), b.verdict.as_str()))
            .or_default() += 1;
    }
    let target = |d: &Decision| {
        d.route.as_ref().map_or("none".to_string(), |r| {
            format!("{} {}", r.target.kind, r.target.name.as_str())
        })
    };
    let (ta, tb) = (target(a), target(b));
    if ta != tb {
        *report.routes.entry(format!("{ta} -> {tb}")).or_default() += 1;
    } else {
        let member = |d: &Decision| {
            d.route
                .as_ref()
                .and_then(|r| r.member.as_ref())
                .map_or("none".to_string(), |m| m.as_str().to_string())
        };
        let (ma, mb) = (member(a), member(b));
        if ma != mb {
            *report
                .members
                .entry(format!("{ta}: {ma} -> {mb}"))
                .or_default() += 1;
        }
    }
    if any {
        report.changed += 1;
    }
}

/// Whether two decisions agree on everything a diff compares, without
/// building any text.
fn same(a: &Decision, b: &Decision) -> bool {
    fn route<'a>(d: &'a Decision) -> Option<(&'static str, &'a str, Option<&'a str>)> {
        d.route.as_ref().map(|r| {
            (
                r.target.kind,
                r.target.name.as_str(),
                r.member.as_ref().map(|m| m.as_str()),
            )
        })
    }
    a.verdict == b.verdict
        && route(a) == route(b)
        && a.playbook.as_ref().map(|p| p.name.as_str())
            == b.playbook.as_ref().map(|p| p.name.as_str())
        && a.quality
            .iter()
            .map(|q| q.name.as_str())
            .eq(b.quality.iter().map(|q| q.name.as_str()))
        && a.escalations
            .iter()
            .map(|e| (e.name.as_str(), e.status))
            .eq(b.escalations.iter().map(|e| (e.name.as_str(), e.status)))
        && a.missing_context
            .iter()
            .map(|m| m.field.as_str())
            .eq(b.missing_context.iter().map(|m| m.field.as_str()))
        && a.stages
            .iter()
            .map(|s| (s.from.as_str(), s.to.as_str(), s.ready))
            .eq(b
                .stages
                .iter()
                .map(|s| (s.from.as_str(), s.to.as_str(), s.ready)))
}
