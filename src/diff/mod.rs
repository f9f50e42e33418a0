//! `handoff diff`: what a policy change does to real leads.
//!
//! Both versions are compiled once and every lead of a batch is evaluated
//! by both, in one streamed pass (memory flat in the number of leads). The
//! report counts the leads whose verdict, route, playbook, quality gates,
//! escalation steps due, missing context or readiness change, with a few
//! sample lead ids for each kind of change, a from -> to matrix of route
//! targets, and the records that could not be read. Beside it, a summary of
//! the text change: definitions added, removed or changed, matched by name.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;

use serde::Serialize;

use crate::decision::Decision;
use crate::eval::Engine;

/// How a diff runs.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The evaluation time of every lead.
    pub now: jiff::Timestamp,
    /// Sample lead ids kept per kind of change.
    pub samples: usize,
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
    /// The old policy's answer.
    pub before: String,
    /// The new policy's answer.
    pub after: String,
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
    /// `escalations`, `missing_context`, `readiness`.
    pub changes: BTreeMap<&'static str, Change>,
    /// Route targets before -> after, for the leads whose target changed.
    pub routes: BTreeMap<String, usize>,
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

/// The parts of a decision a diff compares, as text.
struct Facets {
    verdict: String,
    route: String,
    playbook: String,
    quality: String,
    escalations: String,
    missing: String,
    readiness: String,
}

fn facets(d: &Decision) -> Facets {
    let join = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let route = match &d.route {
        Some(r) => {
            let mut s = format!("{} {}", r.target.kind, r.target.name.as_str());
            if let Some(m) = &r.member {
                s.push_str(&format!(" ({})", m.as_str()));
            }
            s
        }
        None => "none".to_string(),
    };
    Facets {
        verdict: d.verdict.as_str().to_string(),
        route,
        playbook: d
            .playbook
            .as_ref()
            .map_or("none".to_string(), |p| p.name.as_str().to_string()),
        quality: join(
            d.quality
                .iter()
                .map(|q| q.name.as_str().to_string())
                .collect(),
        ),
        escalations: join(
            d.escalations
                .iter()
                .filter(|e| matches!(e.status, "pending" | "overdue"))
                .map(|e| format!("{} {}", e.name.as_str(), e.status))
                .collect(),
        ),
        missing: join(
            d.missing_context
                .iter()
                .map(|m| m.field.as_str().to_string())
                .collect(),
        ),
        readiness: join(
            d.stages
                .iter()
                .map(|s| {
                    format!(
                        "{} -> {}: {}",
                        s.from.as_str(),
                        s.to.as_str(),
                        if s.ready { "ready" } else { "not ready" }
                    )
                })
                .collect(),
        ),
    }
}

/// Compares two policies over a batch of NDJSON leads.
///
/// ```
/// let engine = |p: &str| handoff::Checked::from_file(std::path::Path::new(p)).unwrap().compile().unwrap();
/// let old = engine("examples/inbound/policy.handoff");
/// let new = engine("examples/inbound/policy.handoff");
/// let leads = std::fs::read("examples/inbound/leads.ndjson").unwrap();
/// let opts = handoff::diff::DiffOptions { now: "2025-06-01T12:00:00Z".parse().unwrap(), samples: 3 };
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
    let mut report = DiffReport {
        structure: structure(old, new),
        ..DiffReport::default()
    };
    // chunks of lines; the two versions evaluate a chunk at the same time,
    // one on a thread of its own, and the decisions are compared in order
    const CHUNK: usize = 2048;
    let mut n = 0;
    let mut eof = false;
    while !eof {
        let mut lines: Vec<(usize, Vec<u8>)> = Vec::with_capacity(CHUNK);
        while lines.len() < CHUNK {
            let mut line = Vec::new();
            if input.read_until(b'\n', &mut line)? == 0 {
                eof = true;
                break;
            }
            n += 1;
            let len = trim_line(&line).len();
            line.truncate(len);
            if !line.iter().all(u8::is_ascii_whitespace) {
                lines.push((n, line));
            }
        }
        let (olds, news) = std::thread::scope(|scope| {
            let other = scope.spawn(|| evaluate_all(old, &lines, opts.now));
            let news = evaluate_all(new, &lines, opts.now);
            (other.join(), news)
        });
        let Ok(olds) = olds else {
            return Err(std::io::Error::other("the evaluation thread failed"));
        };
        for (((n, _), a), b) in lines.iter().zip(olds).zip(news) {
            let n = *n;
            let (a, b) = match (a, b) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(message), _) | (_, Err(message)) => {
                    report.bad_count += 1;
                    if report.bad_records.len() < 100 {
                        report.bad_records.push(BadRecord { line: n, message });
                    }
                    continue;
                }
            };
            let (a, b) = (&a, &b);
            report.leads += 1;
            // most leads are decided alike: a cheap look first, text only for
            // the leads that differ
            if same(a, b) {
                continue;
            }
            let lead = a.lead_id.clone().unwrap_or_else(|| format!("line {n}"));
            let (fa, fb) = (facets(a), facets(b));
            let mut any = false;
            let pairs: [(&'static str, &String, &String); 7] = [
                ("verdict", &fa.verdict, &fb.verdict),
                ("route", &fa.route, &fb.route),
                ("playbook", &fa.playbook, &fb.playbook),
                ("quality", &fa.quality, &fb.quality),
                ("escalations", &fa.escalations, &fb.escalations),
                ("missing_context", &fa.missing, &fb.missing),
                ("readiness", &fa.readiness, &fb.readiness),
            ];
            for (kind, before, after) in pairs {
                if before == after {
                    continue;
                }
                any = true;
                let c = report.changes.entry(kind).or_default();
                c.count += 1;
                if c.samples.len() < opts.samples {
                    c.samples.push(Sample {
                        lead: lead.clone(),
                        before: before.clone(),
                        after: after.clone(),
                    });
                }
            }
            if fa.verdict != fb.verdict {
                *report
                    .verdicts
                    .entry(format!("{} -> {}", fa.verdict, fb.verdict))
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
            }
            if any {
                report.changed += 1;
            }
        }
    }
    Ok(report)
}

/// Every line of a chunk evaluated by one engine, in order.
fn evaluate_all<'p>(
    e: &'p Engine,
    lines: &[(usize, Vec<u8>)],
    now: jiff::Timestamp,
) -> Vec<Result<Decision<'p>, String>> {
    lines
        .iter()
        .map(|(_, l)| e.evaluate_bytes(l, now).map_err(|err| err.message))
        .collect()
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

fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// The definitions of a policy by kind and name, with their text.
fn definitions(e: &Engine) -> BTreeMap<String, String> {
    let p = &e.policy;
    let mut out = BTreeMap::new();
    for s in &p.signals {
        out.insert(
            format!("signal {}", s.name.as_str()),
            s.origin.text.to_string(),
        );
    }
    for s in &p.scores {
        out.insert(format!("score {}", s.name.as_str()), String::new());
    }
    for pb in &p.playbooks {
        let touches: Vec<String> = pb
            .touches
            .iter()
            .map(|(c, t, a)| {
                format!(
                    "{} {}{}",
                    c.as_str(),
                    t.as_str(),
                    a.as_ref()
                        .map_or(String::new(), |a| format!(" after {}", a.as_str()))
                )
            })
            .collect();
        out.insert(format!("playbook {}", pb.name.as_str()), touches.join(", "));
    }
    for h in &p.handoffs {
        let head = format!("{} -> {}", h.head.from.as_str(), h.head.to.as_str());
        for q in &h.quality {
            out.insert(
                format!("{head} quality gate {}", q.name.as_str()),
                q.when.origin.text.to_string(),
            );
        }
        for s in &h.escalations {
            out.insert(
                format!("{head} escalation step {}", s.name.as_str()),
                format!(
                    "after {} since {}",
                    s.after_text.as_str(),
                    s.since_path.as_str()
                ),
            );
        }
        // route rules have no names: a rule is known by its whole text, so
        // a changed rule reads as one removed and one added
        for r in &h.routes {
            out.insert(
                format!("{head} route `{}`", r.origin.text.as_str()),
                String::new(),
            );
        }
        for c in &h.ready {
            out.insert(format!("{head} ready when"), c.origin.text.to_string());
        }
    }
    out
}

fn structure(old: &Engine, new: &Engine) -> Structure {
    let (a, b) = (definitions(old), definitions(new));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut s = Structure::default();
    for n in names {
        match (a.get(n), b.get(n)) {
            (Some(_), None) => s.removed.push(n.clone()),
            (None, Some(_)) => s.added.push(n.clone()),
            (Some(x), Some(y)) if x != y => s.changed.push((n.clone(), x.clone(), y.clone())),
            _ => {}
        }
    }
    s
}

impl DiffReport {
    /// The report for people, as plain text.
    pub fn text(&self) -> String {
        let mut s = format!(
            "{} lead(s) compared, {} decided differently\n",
            self.leads, self.changed
        );
        if self.bad_count > 0 {
            s.push_str(&format!(
                "{} record(s) could not be read:\n",
                self.bad_count
            ));
            for b in self.bad_records.iter().take(10) {
                s.push_str(&format!("  line {}: {}\n", b.line, b.message));
            }
        }
        for (kind, c) in &self.changes {
            s.push_str(&format!("\n{kind}: {} lead(s)\n", c.count));
            for x in &c.samples {
                s.push_str(&format!("  {}: {} -> {}\n", x.lead, x.before, x.after));
            }
        }
        if !self.verdicts.is_empty() {
            s.push_str("\nverdicts:\n");
            for (k, n) in &self.verdicts {
                s.push_str(&format!("  {k}: {n}\n"));
            }
        }
        if !self.routes.is_empty() {
            s.push_str("\nroutes:\n");
            for (k, n) in &self.routes {
                s.push_str(&format!("  {k}: {n}\n"));
            }
        }
        s.push_str("\npolicy text:\n");
        let st = &self.structure;
        if st.added.is_empty() && st.removed.is_empty() && st.changed.is_empty() {
            s.push_str("  no definition added, removed or changed\n");
        }
        for a in &st.added {
            s.push_str(&format!("  + {a}\n"));
        }
        for r in &st.removed {
            s.push_str(&format!("  - {r}\n"));
        }
        for (n, x, y) in &st.changed {
            s.push_str(&format!("  ~ {n}: {x}  =>  {y}\n"));
        }
        s
    }

    /// The report as Markdown, fit to paste into a pull-request comment.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "### Policy change: {} of {} leads decided differently\n\n",
            self.changed, self.leads
        );
        if self.bad_count > 0 {
            s.push_str(&format!(
                "{} record(s) could not be read (first: line {}).\n\n",
                self.bad_count,
                self.bad_records.first().map_or(0, |b| b.line)
            ));
        }
        if !self.changes.is_empty() {
            s.push_str("| what | leads | examples |\n|---|---:|---|\n");
            for (kind, c) in &self.changes {
                let ex: Vec<String> = c
                    .samples
                    .iter()
                    .map(|x| format!("`{}`: {} → {}", md(&x.lead), md(&x.before), md(&x.after)))
                    .collect();
                s.push_str(&format!("| {kind} | {} | {} |\n", c.count, ex.join("<br>")));
            }
            s.push('\n');
        }
        if !self.routes.is_empty() {
            s.push_str("| route before → after | leads |\n|---|---:|\n");
            for (k, n) in &self.routes {
                s.push_str(&format!("| {} | {n} |\n", md(&k.replace(" -> ", " → "))));
            }
            s.push('\n');
        }
        let st = &self.structure;
        if !(st.added.is_empty() && st.removed.is_empty() && st.changed.is_empty()) {
            s.push_str("<details><summary>Policy text</summary>\n\n");
            for a in &st.added {
                s.push_str(&format!("- added {}\n", md(a)));
            }
            for r in &st.removed {
                s.push_str(&format!("- removed {}\n", md(r)));
            }
            for (n, x, y) in &st.changed {
                s.push_str(&format!("- changed {}: `{}` → `{}`\n", md(n), x, y));
            }
            s.push_str("\n</details>\n");
        }
        s
    }
}

/// Text safe in a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
}
