//! What a batch's decisions add up to: one accumulator per worker (merged
//! at the end), each with the whole batch and its groups.

use std::collections::{BTreeMap, HashMap};

use super::report::{self, MetricsReport};
use super::{By, MetricsOptions, PERIOD_SIGNAL, SEGMENT_SIGNAL};
use crate::batch::Place;
use crate::decision::{Decision, Verdict};
use crate::eval::Engine;
use crate::ir::MetricBodyIr;
use crate::value::Val;

/// What every worker reads: the engine, the options, the path of a field
/// to group by.
pub(super) struct Shared<'p> {
    pub(super) engine: &'p Engine,
    pub(super) now: jiff::Timestamp,
    pub(super) opts: &'p MetricsOptions,
    path: Vec<&'p str>,
    /// The slot of the `--by` field, when the policy reads it (the signal
    /// `--by` adds makes sure it does): its value is taken from the
    /// evaluation instead of reading the record again.
    slot: Option<usize>,
}

impl<'p> Shared<'p> {
    pub(super) fn new(engine: &'p Engine, opts: &'p MetricsOptions, path: &[&'p str]) -> Self {
        let slot = match &opts.by {
            By::Field(f) => engine.slot_of(f),
            _ => None,
        };
        Shared {
            engine,
            now: opts.now,
            opts,
            path: path.to_vec(),
            slot,
        }
    }

    /// The group a record belongs to by `--by FIELD`, after its
    /// evaluation on this thread: the value the policy read, or, when it
    /// read none, the field as the record has it (read again).
    pub(super) fn field_key(&self, bytes: &[u8]) -> Option<String> {
        if self.path.is_empty() {
            return None;
        }
        // a value the policy read as missing may still be in the record
        // (a placeholder, a value outside the schema): the group shows it
        if let Some(text) = self.slot.and_then(|s| self.engine.last_slot_text(s)) {
            return Some(text);
        }
        let text = simdutf8::basic::from_utf8(bytes).ok()?;
        crate::eval::field_text(text, &self.path)
    }
}

/// What a group is known by while leads are tallied: the policy's own
/// texts, borrowed, so that a lead costs no allocation; named at the end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Key<'p> {
    /// A route target: kind and name.
    Route(&'static str, &'p str),
    /// A handoff: from and to.
    Stage(&'p str, &'p str),
    Text(&'p str),
    Owned(String),
}

impl Key<'_> {
    pub(super) fn name(&self) -> String {
        match self {
            Key::Route(kind, name) => format!("{kind} {name}"),
            Key::Stage(from, to) => format!("{from} -> {to}"),
            Key::Text(t) => (*t).to_string(),
            Key::Owned(s) => s.clone(),
        }
    }
}

/// One group's counts.
#[derive(Default)]
pub(super) struct Counts<'p> {
    pub(super) leads: usize,
    pub(super) verdicts: [usize; 5],
    /// Route targets: (kind, name) -> leads; `("", "none")` for no route.
    pub(super) routes: BTreeMap<(&'static str, &'p str), usize>,
    /// Per metric of the policy, in order.
    pub(super) metrics: Vec<MetricCounts>,
    /// Escalation steps: (from, to, step) -> statuses.
    pub(super) steps: BTreeMap<(&'p str, &'p str, &'p str), StepCounts>,
}

#[derive(Default, Clone)]
pub(super) struct MetricCounts {
    /// Value metrics: the values (seconds for durations); shares: unused.
    pub(super) values: Vec<f64>,
    /// Leads without a value: open (value metrics), or outside `among` or
    /// unknown (shares).
    pub(super) open: usize,
    pub(super) met: usize,
    pub(super) judged: usize,
    /// Shares: leads in `among`, and in `of` too.
    pub(super) among: usize,
    pub(super) of: usize,
    /// A value was a duration.
    pub(super) duration: bool,
}

#[derive(Default, Clone, Copy)]
pub(super) struct StepCounts {
    pub(super) overdue: usize,
    pub(super) pending: usize,
    pub(super) stopped: usize,
    pub(super) not_started: usize,
}

impl<'p> Counts<'p> {
    fn new(metrics: usize) -> Self {
        Counts {
            metrics: vec![MetricCounts::default(); metrics],
            ..Counts::default()
        }
    }

    fn add(&mut self, d: &Decision<'p>, engine: &'p Engine) {
        self.leads += 1;
        self.verdicts[d.verdict as usize] += 1;
        let route = match &d.route {
            Some(r) => (r.target.kind, r.target.name.as_str()),
            None => ("", "none"),
        };
        *self.routes.entry(route).or_default() += 1;
        for (i, (m, c)) in engine
            .policy
            .metrics
            .iter()
            .zip(self.metrics.iter_mut())
            .enumerate()
        {
            let v = match d.metrics.entries.get(i) {
                Some((name, v)) if name.as_str() == m.name.as_str() => Some(v),
                _ => d.metrics.get(&m.name),
            };
            match (&m.body, v) {
                (MetricBodyIr::Share { .. }, Some(v)) => {
                    let among = v.share.as_ref().is_some_and(|s| s.among == Some(true));
                    let of = v.share.as_ref().is_some_and(|s| s.of == Some(true));
                    c.among += usize::from(among);
                    c.of += usize::from(among && of);
                    c.open += usize::from(!among);
                }
                (MetricBodyIr::Value(_), Some(v)) => match v.value {
                    Val::Dur(s) => {
                        c.duration = true;
                        c.values.push(s);
                    }
                    Val::Num(n) => c.values.push(n),
                    _ => c.open += 1,
                },
                // out of scope: no metric is worked out
                (_, None) => c.open += 1,
            }
            if let Some(v) = v {
                c.met += usize::from(v.meets_target == Some(true));
                c.judged += usize::from(v.meets_target.is_some());
            }
        }
        if let Some(h) = d.handoff {
            for e in &d.escalations {
                let s = self
                    .steps
                    .entry((h.from.as_str(), h.to.as_str(), e.name.as_str()))
                    .or_default();
                match e.status {
                    "overdue" => s.overdue += 1,
                    "pending" => s.pending += 1,
                    "stopped" => s.stopped += 1,
                    _ => s.not_started += 1,
                }
            }
        }
    }

    pub(super) fn merge(&mut self, o: Counts<'p>) {
        self.leads += o.leads;
        for (a, b) in self.verdicts.iter_mut().zip(o.verdicts) {
            *a += b;
        }
        for (k, n) in o.routes {
            *self.routes.entry(k).or_default() += n;
        }
        for (a, b) in self.metrics.iter_mut().zip(o.metrics) {
            a.values.extend(b.values);
            a.open += b.open;
            a.met += b.met;
            a.judged += b.judged;
            a.among += b.among;
            a.of += b.of;
            a.duration |= b.duration;
        }
        for (k, s) in o.steps {
            let t = self.steps.entry(k).or_default();
            t.overdue += s.overdue;
            t.pending += s.pending;
            t.stopped += s.stopped;
            t.not_started += s.not_started;
        }
    }
}

/// A worker's tallies.
pub(super) struct Acc<'p> {
    pub(super) all: Counts<'p>,
    pub(super) groups: HashMap<Key<'p>, Counts<'p>>,
    /// SLA breaches by route target and step: (kind, target, from, to,
    /// step).
    #[allow(clippy::type_complexity)]
    pub(super) breaches: BTreeMap<(&'static str, &'p str, &'p str, &'p str, &'p str), usize>,
    pub(super) bad: Vec<(Place, String)>,
    pub(super) bad_count: usize,
    pub(super) outside_period: usize,
    pub(super) no_timestamp: usize,
    pub(super) records: usize,
    metrics: usize,
}

/// The most groups a report keeps apart; the leads of the others are
/// counted together in [`OTHER`].
pub(super) const MAX_GROUPS: usize = 1000;
/// The group of the leads past [`MAX_GROUPS`].
pub(super) const OTHER: &str = "(other)";

/// The most broken records a report names (all are counted).
const BAD_KEPT: usize = 100;

impl<'p> Acc<'p> {
    pub(super) fn new(shared: &Shared<'p>) -> Self {
        let metrics = shared.engine.policy.metrics.len();
        Acc {
            all: Counts::new(metrics),
            groups: HashMap::new(),
            breaches: BTreeMap::new(),
            bad: Vec::new(),
            bad_count: 0,
            outside_period: 0,
            no_timestamp: 0,
            records: 0,
            metrics,
        }
    }

    pub(super) fn bad(&mut self, place: Place, message: String) {
        self.records += 1;
        self.bad_count += 1;
        if self.bad.len() < BAD_KEPT {
            self.bad.push((place, message));
        }
    }

    pub(super) fn decision(&mut self, shared: &Shared<'p>, d: &Decision<'p>, key: Option<String>) {
        self.records += 1;
        let signal = |name: &str| d.signals.get(name).map(|s| s.value);
        if shared.opts.period.is_some() {
            match signal(PERIOD_SIGNAL) {
                Some(Some(true)) => {}
                Some(Some(false)) => {
                    self.outside_period += 1;
                    return;
                }
                // an out-of-scope lead has no signals; and a lead without
                // the timestamp cannot be placed in the period
                _ => {
                    self.no_timestamp += 1;
                    return;
                }
            }
        }
        let engine = shared.engine;
        self.all.add(d, engine);
        let group = match &shared.opts.by {
            By::Nothing => None,
            By::Verdict => Some(Key::Text(d.verdict.as_str())),
            By::Route => Some(match &d.route {
                Some(r) => Key::Route(r.target.kind, r.target.name.as_str()),
                None => Key::Text("none"),
            }),
            By::Stage => Some(match d.handoff {
                Some(h) => Key::Stage(h.from.as_str(), h.to.as_str()),
                None => Key::Text("none"),
            }),
            By::Segment => Some(Key::Text(match signal(SEGMENT_SIGNAL) {
                Some(Some(true)) => "segment",
                Some(Some(false)) => "rest",
                _ => "unknown",
            })),
            By::Field(_) => Some(match key {
                Some(k) => Key::Owned(k),
                None => Key::Text("(missing)"),
            }),
        };
        if let Some(g) = group {
            // a field of many values (an id, say) folds past the limit
            let g = if self.groups.len() >= MAX_GROUPS && !self.groups.contains_key(&g) {
                Key::Text(OTHER)
            } else {
                g
            };
            match self.groups.get_mut(&g) {
                Some(c) => c.add(d, engine),
                None => {
                    let mut c = Counts::new(self.metrics);
                    c.add(d, engine);
                    self.groups.insert(g, c);
                }
            }
        }
        if let (Some(h), Some(r)) = (d.handoff, &d.route) {
            for e in d.escalations.iter().filter(|e| e.status == "overdue") {
                *self
                    .breaches
                    .entry((
                        r.target.kind,
                        r.target.name.as_str(),
                        h.from.as_str(),
                        h.to.as_str(),
                        e.name.as_str(),
                    ))
                    .or_default() += 1;
            }
        }
    }

    pub(super) fn merge(&mut self, o: Acc<'p>) {
        self.all.merge(o.all);
        for (k, c) in o.groups {
            match self.groups.get_mut(&k) {
                Some(g) => g.merge(c),
                None => {
                    self.groups.insert(k, c);
                }
            }
        }
        for (k, n) in o.breaches {
            *self.breaches.entry(k).or_default() += n;
        }
        for b in o.bad {
            if self.bad.len() < BAD_KEPT {
                self.bad.push(b);
            }
        }
        self.bad_count += o.bad_count;
        self.outside_period += o.outside_period;
        self.no_timestamp += o.no_timestamp;
        self.records += o.records;
    }

    pub(super) fn report(mut self, shared: &Shared<'p>, notes: Vec<String>) -> MetricsReport {
        self.bad.sort_by_key(|(p, _)| (p.line, p.record));
        self.bad.truncate(BAD_KEPT);
        report::build(self, shared, notes)
    }
}

/// The verdicts in the order reports show them.
pub(super) const VERDICTS: [Verdict; 5] = [
    Verdict::Handoff,
    Verdict::Review,
    Verdict::Hold,
    Verdict::Blocked,
    Verdict::OutOfScope,
];
