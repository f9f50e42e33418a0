//! The report for people (aligned tables) and for spreadsheets (CSV).

use super::report::{Group, MetricReport, MetricsReport};
use crate::value::format_duration;

/// A value in its unit, for people: `2h10m`, `12.5`.
pub(super) fn human(v: f64, unit: Option<&str>) -> String {
    if unit == Some("duration") {
        // hours past a day, minutes past an hour, seconds below
        let secs = if v.abs() >= 86_400.0 {
            (v / 3600.0).round() * 3600.0
        } else if v.abs() >= 3600.0 {
            (v / 60.0).round() * 60.0
        } else {
            v.round()
        };
        format_duration(secs)
    } else {
        trim(v)
    }
}

fn trim(n: f64) -> String {
    let s = format!("{n:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `62.5%`
pub(super) fn pct(f: f64) -> String {
    format!("{:.1}%", f * 100.0)
}

/// Rows as columns: the first left-aligned, the others right-aligned.
fn table(rows: &[Vec<String>], indent: &str) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from(indent);
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn opt(v: Option<f64>, unit: Option<&str>) -> String {
    v.map_or("-".to_string(), |v| human(v, unit))
}

/// Every group with the batch first.
fn all_groups(r: &MetricsReport) -> Vec<&Group> {
    std::iter::once(&r.all).chain(&r.groups).collect()
}

impl MetricsReport {
    /// The report as aligned tables.
    pub fn text(&self) -> String {
        let mut s = format!(
            "policy {}{} (hash {}), evaluated at {}\n",
            self.policy.name,
            self.policy
                .version
                .as_ref()
                .map_or(String::new(), |v| format!(" {v}")),
            &self.policy.hash[..self.policy.hash.len().min(12)],
            self.evaluated_at
        );
        s.push_str(&format!("{} lead(s) measured", self.all.leads));
        if let Some(by) = &self.grouped_by {
            s.push_str(&format!(", grouped by {by}"));
        }
        s.push('\n');
        if let Some(seg) = &self.segment {
            s.push_str(&format!("segment: {seg}\n"));
        }
        if let Some(p) = &self.period {
            s.push_str(&format!(
                "period: {}{}{}; left out: {} outside the period, {} without the timestamp\n",
                p.field,
                p.since
                    .as_ref()
                    .map_or(String::new(), |x| format!(" from {x}")),
                p.until
                    .as_ref()
                    .map_or(String::new(), |x| format!(" until {x}")),
                p.outside,
                p.no_timestamp
            ));
        }
        if self.bad_records.count > 0 {
            s.push_str(&format!(
                "{} record(s) could not be read and are not counted:\n",
                self.bad_records.count
            ));
            for b in self.bad_records.first.iter().take(5) {
                s.push_str(&format!("  {}: {}\n", b.place, b.message));
            }
        }
        for n in &self.notes {
            s.push_str(&format!("note: {n}\n"));
        }
        let groups = all_groups(self);
        for (i, m) in self.all.metrics.iter().enumerate() {
            s.push_str(&format!(
                "\nmetric {}{}{}\n",
                m.name,
                m.label
                    .as_ref()
                    .map_or(String::new(), |l| format!(" \"{l}\"")),
                m.target
                    .as_ref()
                    .map_or(String::new(), |t| format!(", target {t}"))
            ));
            let rows: Vec<Vec<String>> = if m.kind == "share" {
                let mut rows = vec![vec![
                    "group".into(),
                    "share".into(),
                    "of".into(),
                    "among".into(),
                    "target".into(),
                ]];
                for g in &groups {
                    let m = &g.metrics[i];
                    rows.push(vec![
                        g.name.clone(),
                        m.ratio.map_or("-".into(), pct),
                        m.numerator.unwrap_or(0).to_string(),
                        m.denominator.unwrap_or(0).to_string(),
                        match m.target_met {
                            Some(true) => "met".into(),
                            Some(false) => "not met".into(),
                            None if m.target.is_some() => "no data".into(),
                            None => String::new(),
                        },
                    ]);
                }
                rows
            } else {
                let mut head = vec![
                    "group".into(),
                    "leads".into(),
                    "with value".into(),
                    "open".into(),
                    "median".into(),
                    "p90".into(),
                    "mean".into(),
                ];
                if m.target.is_some() {
                    head.push("within target".into());
                }
                let mut rows = vec![head];
                for g in &groups {
                    rows.push(value_row(g, &g.metrics[i]));
                }
                rows
            };
            s.push_str(&table(&rows, "  "));
        }
        // verdicts by group
        s.push_str("\nverdicts\n");
        let mut rows = vec![std::iter::once("group".to_string())
            .chain(self.all.verdicts.iter().map(|(v, _)| v.clone()))
            .chain(std::iter::once("leads".to_string()))
            .collect::<Vec<_>>()];
        for g in &groups {
            rows.push(
                std::iter::once(g.name.clone())
                    .chain(g.verdicts.iter().map(|(_, n)| n.to_string()))
                    .chain(std::iter::once(g.leads.to_string()))
                    .collect(),
            );
        }
        s.push_str(&table(&rows, "  "));
        if !self.all.routes.is_empty() {
            s.push_str("\nroutes\n");
            let rows: Vec<Vec<String>> = self
                .all
                .routes
                .iter()
                .map(|(r, n)| vec![r.clone(), n.to_string()])
                .collect();
            s.push_str(&table(&rows, "  "));
        }
        if !self.all.escalations.is_empty() {
            s.push_str("\nescalation steps (overdue = due and not stopped: an SLA breach)\n");
            let mut rows = vec![vec![
                "handoff".into(),
                "step".into(),
                "overdue".into(),
                "pending".into(),
                "stopped".into(),
                "not started".into(),
            ]];
            for e in &self.all.escalations {
                rows.push(vec![
                    e.handoff.clone(),
                    e.step.clone(),
                    e.overdue.to_string(),
                    e.pending.to_string(),
                    e.stopped.to_string(),
                    e.not_started.to_string(),
                ]);
            }
            s.push_str(&table(&rows, "  "));
        }
        if !self.breaches.is_empty() {
            s.push_str("\nSLA breaches by route target\n");
            let mut rows = vec![vec![
                "target".into(),
                "handoff".into(),
                "step".into(),
                "overdue".into(),
            ]];
            for b in &self.breaches {
                rows.push(vec![
                    b.target.clone(),
                    b.handoff.clone(),
                    b.step.clone(),
                    b.overdue.to_string(),
                ]);
            }
            s.push_str(&table(&rows, "  "));
        }
        s
    }

    /// The report as CSV: one row per group and measure (`value` and
    /// `share` metrics, `verdict`, `route`, `escalation` steps, `breach`es
    /// by target), with a header.
    pub fn csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let head = [
            "group",
            "kind",
            "name",
            "leads",
            "count",
            "open",
            "median",
            "p90",
            "mean",
            "min",
            "max",
            "unit",
            "target",
            "within_target",
            "share_within_target",
            "numerator",
            "denominator",
            "ratio",
            "target_met",
            "overdue",
            "pending",
            "stopped",
            "not_started",
        ];
        let _ = w.write_record(head);
        let num = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let int = |v: Option<usize>| v.map_or(String::new(), |v| v.to_string());
        let mut row = |fields: Vec<(usize, String)>| {
            let mut r = vec![String::new(); head.len()];
            for (i, v) in fields {
                r[i] = v;
            }
            let _ = w.write_record(&r);
        };
        for g in all_groups(self) {
            let leads = (3, g.leads.to_string());
            for m in &g.metrics {
                row(vec![
                    (0, g.name.clone()),
                    (1, m.kind.to_string()),
                    (2, m.name.clone()),
                    leads.clone(),
                    (4, int(m.count)),
                    (5, m.open.to_string()),
                    (6, num(m.median)),
                    (7, num(m.p90)),
                    (8, num(m.mean)),
                    (9, num(m.min)),
                    (10, num(m.max)),
                    (
                        11,
                        m.unit.map_or(String::new(), |u| {
                            if u == "duration" { "seconds" } else { u }.to_string()
                        }),
                    ),
                    (12, m.target.clone().unwrap_or_default()),
                    (13, int(m.within_target)),
                    (14, num(m.share_within_target)),
                    (15, int(m.numerator)),
                    (16, int(m.denominator)),
                    (17, num(m.ratio)),
                    (18, m.target_met.map_or(String::new(), |b| b.to_string())),
                ]);
            }
            for (v, n) in &g.verdicts {
                row(vec![
                    (0, g.name.clone()),
                    (1, "verdict".into()),
                    (2, v.clone()),
                    leads.clone(),
                    (4, n.to_string()),
                ]);
            }
            for (r, n) in &g.routes {
                row(vec![
                    (0, g.name.clone()),
                    (1, "route".into()),
                    (2, r.clone()),
                    leads.clone(),
                    (4, n.to_string()),
                ]);
            }
            for e in &g.escalations {
                row(vec![
                    (0, g.name.clone()),
                    (1, "escalation".into()),
                    (2, format!("{}: {}", e.handoff, e.step)),
                    leads.clone(),
                    (19, e.overdue.to_string()),
                    (20, e.pending.to_string()),
                    (21, e.stopped.to_string()),
                    (22, e.not_started.to_string()),
                ]);
            }
        }
        for b in &self.breaches {
            row(vec![
                (0, b.target.clone()),
                (1, "breach".into()),
                (2, format!("{}: {}", b.handoff, b.step)),
                (19, b.overdue.to_string()),
            ]);
        }
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

fn value_row(g: &Group, m: &MetricReport) -> Vec<String> {
    let u = m.unit;
    let mut r = vec![
        g.name.clone(),
        g.leads.to_string(),
        m.count.unwrap_or(0).to_string(),
        m.open.to_string(),
        opt(m.median, u),
        opt(m.p90, u),
        opt(m.mean, u),
    ];
    if m.target.is_some() {
        r.push(match m.share_within_target {
            Some(f) => format!("{} ({})", pct(f), m.within_target.unwrap_or(0)),
            None => "-".into(),
        });
    }
    r
}
