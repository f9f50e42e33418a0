//! The report of `handoff metrics` as data (JSON is its serde form), and
//! its forms for people: a table, and CSV for spreadsheets.

use serde::Serialize;

use super::tally::{Acc, Counts, MetricCounts, Shared, MAX_GROUPS, OTHER, VERDICTS};
use crate::batch::op_text;
use crate::ir::{CmpOp, MetricBodyIr, MetricIr};
use crate::value::{format_duration, Val};

/// The whole report.
#[derive(Debug, Serialize)]
pub struct MetricsReport {
    /// The policy measured.
    pub policy: PolicyInfo,
    /// The evaluation time of every lead.
    pub evaluated_at: String,
    /// What the groups are named by (`route`, `company.region`, ...).
    pub grouped_by: Option<String>,
    /// The `--segment` expression.
    pub segment: Option<String>,
    /// The period: the field and its bounds.
    pub period: Option<PeriodInfo>,
    /// Records read, broken ones included.
    pub records: usize,
    /// Every lead measured.
    pub all: Group,
    /// The groups, the largest first.
    pub groups: Vec<Group>,
    /// Escalation steps overdue, by route target and step, the most first.
    pub breaches: Vec<Breach>,
    /// For each value metric, how its values spread (the whole batch).
    pub distributions: Vec<Distribution>,
    /// Records that could not be read: how many, and the first 100.
    pub bad_records: BadRecords,
    /// What the reader of a JSON document said (one page of an export...).
    pub notes: Vec<String>,
}

/// The policy a report measured.
#[derive(Debug, Serialize)]
pub struct PolicyInfo {
    /// Its name.
    pub name: String,
    /// Its version, when it declares one.
    pub version: Option<String>,
    /// The hash of its text.
    pub hash: String,
}

/// The period leads were taken from, and those left out.
#[derive(Debug, Serialize)]
pub struct PeriodInfo {
    /// The lead timestamp that places a lead.
    pub field: String,
    /// Leads at or after.
    pub since: Option<String>,
    /// Leads before.
    pub until: Option<String>,
    /// Leads whose timestamp is outside the period.
    pub outside: usize,
    /// Leads without the timestamp (or out of scope): not placed.
    pub no_timestamp: usize,
}

/// Records that could not be read.
#[derive(Debug, Serialize)]
pub struct BadRecords {
    /// How many.
    pub count: usize,
    /// The first 100, in input order.
    pub first: Vec<BadRecord>,
}

/// A record that could not be read.
#[derive(Debug, Serialize)]
pub struct BadRecord {
    /// Where it starts: `line 7`, `record 3 (line 12)`.
    pub place: String,
    /// Its line, from 1.
    pub line: usize,
    /// Why.
    pub message: String,
}

/// The measures of a set of leads.
#[derive(Debug, Serialize)]
pub struct Group {
    /// The group's name (`all` for the batch).
    pub name: String,
    /// Leads in it.
    pub leads: usize,
    /// Leads by verdict, every verdict named (JSON: an object in this
    /// order).
    #[serde(serialize_with = "pairs")]
    pub verdicts: Vec<(String, usize)>,
    /// Leads by route target (`team emea_sdr`, `none`), the most first.
    #[serde(serialize_with = "pairs")]
    pub routes: Vec<(String, usize)>,
    /// The policy's metrics, in policy order.
    pub metrics: Vec<MetricReport>,
    /// Escalation steps of the handoffs that applied.
    pub escalations: Vec<StepReport>,
}

/// One metric over a group.
#[derive(Debug, Serialize)]
pub struct MetricReport {
    /// Its name.
    pub name: String,
    /// Its label.
    pub label: Option<String>,
    /// `value` or `share`.
    pub kind: &'static str,
    /// Value metrics: `duration` (figures in seconds) or `number`.
    pub unit: Option<&'static str>,
    /// The target as written (`<= 4h`, `>= 40%`).
    pub target: Option<String>,
    /// Value metrics: leads with a value.
    pub count: Option<usize>,
    /// Value metrics: leads without one (not contacted yet, say): open,
    /// not dropped. Shares: leads outside `among`.
    pub open: usize,
    /// The median value (linear interpolation between the middle two).
    pub median: Option<f64>,
    /// The 90th percentile (linear interpolation, as spreadsheets do).
    pub p90: Option<f64>,
    /// The mean value.
    pub mean: Option<f64>,
    /// The smallest value.
    pub min: Option<f64>,
    /// The largest value.
    pub max: Option<f64>,
    /// Value metrics with a target: leads within it.
    pub within_target: Option<usize>,
    /// ... as a fraction of the leads with a value.
    pub share_within_target: Option<f64>,
    /// Shares: leads in both `of` and `among`.
    pub numerator: Option<usize>,
    /// Shares: leads in `among`.
    pub denominator: Option<usize>,
    /// Shares: numerator over denominator.
    pub ratio: Option<f64>,
    /// Shares with a target: whether the ratio meets it.
    pub target_met: Option<bool>,
}

/// One escalation step over a group.
#[derive(Debug, Serialize)]
pub struct StepReport {
    /// The handoff: `mql -> sql`.
    pub handoff: String,
    /// The step's name.
    pub step: String,
    /// Due and not stopped: SLA breaches.
    pub overdue: usize,
    /// Started, not yet due.
    pub pending: usize,
    /// Stopped by the event it waits for.
    pub stopped: usize,
    /// Its clock has not started.
    pub not_started: usize,
}

/// Overdue escalations of one step for one route target.
#[derive(Debug, Serialize)]
pub struct Breach {
    /// The route target: `team emea_sdr`.
    pub target: String,
    /// The handoff.
    pub handoff: String,
    /// The step.
    pub step: String,
    /// Leads overdue.
    pub overdue: usize,
}

/// How a value metric's values spread over the batch.
#[derive(Debug, Serialize)]
pub struct Distribution {
    /// The metric.
    pub metric: String,
    /// Its label.
    pub label: Option<String>,
    /// `duration` (seconds) or `number`.
    pub unit: &'static str,
    /// The target's value, in the unit, for the target line.
    pub target: Option<f64>,
    /// The target as written.
    pub target_text: Option<String>,
    /// Equal-width bins from the smallest value to about the 95th
    /// percentile (or past the target); values past the last bin are in
    /// `above`.
    pub bins: Vec<Bin>,
    /// Values past the last bin.
    pub above: usize,
}

/// A bin of a distribution: values from `from` (inclusive) to `to`.
#[derive(Debug, Serialize)]
pub struct Bin {
    /// Lower bound.
    pub from: f64,
    /// Upper bound.
    pub to: f64,
    /// Values in it.
    pub count: usize,
}

/// Pairs as a JSON object, in their order.
fn pairs<S: serde::Serializer>(v: &[(String, usize)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, n) in v {
        m.serialize_entry(k, n)?;
    }
    m.end()
}

/// A figure to a thousandth (seconds, numbers) ...
fn r3(v: Option<f64>) -> Option<f64> {
    v.map(|x| (x * 1e3).round() / 1e3)
}

/// ... and a ratio to a millionth.
fn r6(v: Option<f64>) -> Option<f64> {
    v.map(|x| (x * 1e6).round() / 1e6)
}

/// The target as written, and its value as a number (seconds, a ratio).
fn target(m: &MetricIr) -> Option<(String, f64, CmpOp)> {
    let (o, v) = m.target.as_ref()?;
    let (text, n) = match (v, &m.body) {
        (Val::Dur(s), _) => (format_duration(*s), *s),
        (Val::Num(n), MetricBodyIr::Share { .. }) => (format!("{}%", trim(n * 100.0, 2)), *n),
        (Val::Num(n), _) => (trim(*n, 4), *n),
        _ => return None,
    };
    Some((format!("{} {text}", op_text(*o)), n, *o))
}

/// A number without trailing zeros, to `places` decimals.
fn trim(n: f64, places: usize) -> String {
    let s = format!("{n:.places$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The value at fraction `p` of sorted values, interpolated linearly.
fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let pos = p * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

fn metric(m: &MetricIr, c: &mut MetricCounts) -> MetricReport {
    let t = target(m);
    let mut r = MetricReport {
        name: m.name.as_str().to_string(),
        label: m.label.as_ref().map(|l| l.as_str().to_string()),
        kind: "value",
        unit: None,
        target: t.as_ref().map(|t| t.0.clone()),
        count: None,
        open: c.open,
        median: None,
        p90: None,
        mean: None,
        min: None,
        max: None,
        within_target: None,
        share_within_target: None,
        numerator: None,
        denominator: None,
        ratio: None,
        target_met: None,
    };
    match &m.body {
        MetricBodyIr::Share { .. } => {
            r.kind = "share";
            r.numerator = Some(c.of);
            r.denominator = Some(c.among);
            r.ratio = r6((c.among > 0).then(|| c.of as f64 / c.among as f64));
            r.target_met = match (&t, r.ratio) {
                (Some((_, goal, o)), Some(ratio)) => {
                    Some(crate::batch::compare_f(*o, ratio, *goal))
                }
                _ => None,
            };
        }
        MetricBodyIr::Value(_) => {
            let duration = c.duration || matches!(m.target, Some((_, Val::Dur(_))));
            r.unit = Some(if duration { "duration" } else { "number" });
            c.values.sort_by(f64::total_cmp);
            let v = &c.values;
            r.count = Some(v.len());
            r.median = r3(quantile(v, 0.5));
            r.p90 = r3(quantile(v, 0.9));
            r.mean = r3((!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64));
            r.min = r3(v.first().copied());
            r.max = r3(v.last().copied());
            if t.is_some() {
                r.within_target = Some(c.met);
                r.share_within_target = r6((c.judged > 0).then(|| c.met as f64 / c.judged as f64));
            }
        }
    }
    r
}

fn group(name: String, mut c: Counts, shared: &Shared) -> Group {
    let mut routes: Vec<(String, usize)> = c
        .routes
        .iter()
        .map(|((kind, n), count)| {
            let name = if kind.is_empty() {
                (*n).to_string()
            } else {
                format!("{kind} {n}")
            };
            (name, *count)
        })
        .collect();
    routes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let metrics = shared
        .engine
        .policy
        .metrics
        .iter()
        .zip(c.metrics.iter_mut())
        .map(|(m, c)| metric(m, c))
        .collect();
    Group {
        name,
        leads: c.leads,
        verdicts: VERDICTS
            .iter()
            .map(|v| (v.as_str().to_string(), c.verdicts[*v as usize]))
            .collect(),
        routes,
        metrics,
        escalations: c
            .steps
            .iter()
            .map(|((from, to, step), s)| StepReport {
                handoff: format!("{from} -> {to}"),
                step: (*step).to_string(),
                overdue: s.overdue,
                pending: s.pending,
                stopped: s.stopped,
                not_started: s.not_started,
            })
            .collect(),
    }
}

/// How the values of one metric spread, in 20 bins.
fn distribution(m: &MetricIr, c: &MetricCounts) -> Distribution {
    let t = target(m);
    let v = &c.values; // sorted
    let duration = c.duration || matches!(m.target, Some((_, Val::Dur(_))));
    let mut bins = Vec::new();
    let mut above = 0;
    if let (Some(min), Some(p95)) = (v.first().copied(), quantile(v, 0.95)) {
        // from zero unless values fall below it
        let lo = min.min(0.0);
        let mut hi = p95.max(t.as_ref().map_or(f64::MIN, |t| t.1 * 1.25));
        if hi <= lo {
            hi = lo + 1.0;
        }
        const N: usize = 20;
        let width = (hi - lo) / N as f64;
        let mut counts = [0usize; N];
        for x in v {
            let i = ((x - lo) / width).floor();
            if i >= N as f64 {
                // the top edge itself belongs to the last bin
                if *x <= hi {
                    counts[N - 1] += 1;
                } else {
                    above += 1;
                }
            } else {
                counts[(i.max(0.0)) as usize] += 1;
            }
        }
        bins = counts
            .iter()
            .enumerate()
            .map(|(i, n)| Bin {
                from: r3(Some(lo + width * i as f64)).unwrap_or(0.0),
                to: r3(Some(lo + width * (i + 1) as f64)).unwrap_or(0.0),
                count: *n,
            })
            .collect();
    }
    Distribution {
        metric: m.name.as_str().to_string(),
        label: m.label.as_ref().map(|l| l.as_str().to_string()),
        unit: if duration { "duration" } else { "number" },
        target: t.as_ref().map(|t| t.1),
        target_text: t.map(|t| t.0),
        bins,
        above,
    }
}

pub(super) fn build(mut acc: Acc, shared: &Shared, notes: Vec<String>) -> MetricsReport {
    let info = &shared.engine.policy.info;
    // a field's value may read like a group of ours (`(missing)`): one
    // group per name
    let mut named: std::collections::HashMap<String, Counts> = std::collections::HashMap::new();
    for (k, c) in acc.groups.drain() {
        match named.get_mut(&k.name()) {
            Some(g) => g.merge(c),
            None => {
                named.insert(k.name(), c);
            }
        }
    }
    let mut groups: Vec<(String, Counts)> = named.into_iter().collect();
    groups.sort_by(|a, b| b.1.leads.cmp(&a.1.leads).then_with(|| a.0.cmp(&b.0)));
    let mut notes = notes;
    // workers each keep up to the limit: fold the smallest past it
    let folded = groups.iter().any(|(n, _)| n == OTHER) || groups.len() > MAX_GROUPS;
    if folded {
        let mut other: Option<Counts> = None;
        let mut kept = Vec::new();
        for (n, c) in groups {
            if n == OTHER || kept.len() >= MAX_GROUPS - 1 {
                match &mut other {
                    Some(o) => o.merge(c),
                    None => other = Some(c),
                }
            } else {
                kept.push((n, c));
            }
        }
        if let Some(o) = other {
            kept.push((OTHER.to_string(), o));
        }
        groups = kept;
        notes.push(format!(
            "the leads fall into more than {} groups: the smallest are counted together as `{OTHER}`",
            MAX_GROUPS - 1
        ));
    }
    let groups = groups
        .into_iter()
        .map(|(n, c)| group(n, c, shared))
        .collect();
    let mut all_counts = std::mem::take(&mut acc.all);
    let mut distributions = Vec::new();
    for (m, c) in shared
        .engine
        .policy
        .metrics
        .iter()
        .zip(all_counts.metrics.iter_mut())
    {
        if let MetricBodyIr::Value(_) = m.body {
            c.values.sort_by(f64::total_cmp);
            distributions.push(distribution(m, c));
        }
    }
    let all = group("all".to_string(), all_counts, shared);
    let mut breaches: Vec<Breach> = acc
        .breaches
        .iter()
        .map(|((kind, target, from, to, step), n)| Breach {
            target: format!("{kind} {target}"),
            handoff: format!("{from} -> {to}"),
            step: (*step).to_string(),
            overdue: *n,
        })
        .collect();
    breaches.sort_by_key(|b| std::cmp::Reverse(b.overdue));
    let opts = shared.opts;
    MetricsReport {
        policy: PolicyInfo {
            name: info.name().as_str().to_string(),
            version: info.version().map(|v| v.as_str().to_string()),
            hash: info.hash().as_str().to_string(),
        },
        evaluated_at: shared.now.to_string(),
        grouped_by: opts.by.name(),
        segment: opts.segment.clone(),
        period: opts.period.as_ref().map(|p| PeriodInfo {
            field: p.field.clone(),
            since: p.since.clone(),
            until: p.until.clone(),
            outside: acc.outside_period,
            no_timestamp: acc.no_timestamp,
        }),
        records: acc.records,
        distributions,
        all,
        groups,
        breaches,
        bad_records: BadRecords {
            count: acc.bad_count,
            first: acc
                .bad
                .into_iter()
                .map(|(place, message)| BadRecord {
                    place: place.to_string(),
                    line: place.line,
                    message,
                })
                .collect(),
        },
        notes,
    }
}
