//! `handoff explain`: a decision in words for a person.
//!
//! Walks the decision and the compiled policy and says which signals held
//! and failed (with the values read and the policy line), what context is
//! missing, why this route and not the earlier rules, what escalates when,
//! and the smallest changes that would make the lead ready.

use std::fmt::Write;

use crate::decision::{Decision, Verdict};
use crate::eval::Engine;
use crate::ir::{CmpOp, Ex};
use crate::value::Val;

/// Renders the explanation of `d` for the lead `lead`.
///
/// ```
/// let path = std::path::Path::new("examples/inbound/policy.handoff");
/// let engine = handoff::Checked::from_file(path).unwrap().compile().unwrap();
/// let now: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
/// let lead = handoff::parse_lead(br#"{"id": "lead_7"}"#).unwrap();
/// let d = engine.evaluate(&lead, now);
/// let text = handoff::explain::explain(&engine, &lead, &d, now);
/// assert!(text.starts_with("Lead lead_7 under"));
/// ```
pub fn explain(
    engine: &Engine,
    lead: &serde_json::Map<String, serde_json::Value>,
    d: &Decision,
    now: jiff::Timestamp,
) -> String {
    let p = &engine.policy;
    let mut s = String::new();
    let id = d.lead_id.as_deref().unwrap_or("(no id)");
    let _ = writeln!(
        s,
        "Lead {id} under \"{}\"{} at {now}",
        p.info.name(),
        p.info
            .version()
            .map(|v| format!(" {v}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "Verdict: {}",
        d.verdict.as_str().to_uppercase().replace('_', " ")
    );
    for r in &d.reasons {
        let _ = writeln!(s, "  - {r}");
    }
    if d.verdict == Verdict::OutOfScope {
        return s;
    }
    if let Some(h) = &d.handoff {
        let _ = writeln!(
            s,
            "\nHandoff {} -> {}{}: initiated by {}, validated by {}, owned by {}",
            h.from,
            h.to,
            h.label
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default(),
            h.initiated_by,
            h.validated_by,
            h.owned_by
        );
    }
    let _ = writeln!(s, "\nSignals:");
    for sig in &p.signals {
        let v = d.signals.get(sig.name.as_str());
        let word = match v.and_then(|v| v.value) {
            Some(true) => "holds ",
            Some(false) => "fails ",
            None => "missing",
        };
        let reads = v
            .and_then(|v| v.reads.as_ref())
            .map(|r| {
                r.iter()
                    .map(|(k, v)| {
                        format!(
                            "{k} = {}",
                            match v {
                                Val::Missing => "missing".to_string(),
                                Val::List(items)
                                    if items.iter().any(|i| matches!(i, Val::Rec(_))) =>
                                {
                                    format!("{} item(s)", items.len())
                                }
                                v => v.to_string(),
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {word} {:<20} line {:>3}  {}{}",
            sig.name,
            sig.origin.line,
            sig.description.clone().unwrap_or_default(),
            if reads.is_empty() {
                String::new()
            } else {
                format!("  [{reads}]")
            }
        );
    }
    if !d.scores.is_empty() {
        let _ = writeln!(s, "\nScores:");
        for (k, v) in d.scores.iter() {
            let _ = writeln!(s, "  {k} = {v}");
        }
    }
    for st in &d.stages {
        if st.ready {
            let _ = writeln!(s, "\nReady for {} -> {}.", st.from, st.to);
        } else {
            let _ = writeln!(s, "\nNot ready for {} -> {}; unmet:", st.from, st.to);
            for u in &st.unmet {
                let _ = writeln!(
                    s,
                    "  line {:>3}: {}  ({})",
                    u.line,
                    u.condition,
                    if u.result == "missing" {
                        "unknown: a field it needs is missing"
                    } else {
                        "not met"
                    }
                );
            }
        }
    }
    if let (Some(h), false) = (&d.handoff, d.stages.iter().all(|s| s.ready)) {
        if let Some(hir) = p.handoffs.iter().find(|x| {
            x.head.from.as_str() == h.from.as_str() && x.head.to.as_str() == h.to.as_str()
        }) {
            let mut fixes = Vec::new();
            let mut cx = Fixes {
                engine,
                lead,
                now,
                out: &mut fixes,
            };
            for c in &hir.ready {
                cx.fix(&c.expr, 0);
            }
            fixes.dedup();
            if !fixes.is_empty() {
                let _ = writeln!(s, "\nTo make it ready:");
                for f in fixes {
                    let _ = writeln!(s, "  - {f}");
                }
            }
        }
    }
    if !d.missing_context.is_empty() {
        let _ = writeln!(s, "\nMissing context:");
        for m in &d.missing_context {
            let _ = writeln!(
                s,
                "  line {:>3}: {}{} ({})",
                m.line,
                m.field,
                m.label
                    .as_ref()
                    .map(|l| format!(" \"{l}\""))
                    .unwrap_or_default(),
                m.problem.replace('_', " ")
            );
        }
    }
    if !d.quality.is_empty() {
        let _ = writeln!(s, "\nQuality flags:");
        for q in &d.quality {
            let _ = writeln!(
                s,
                "  line {:>3}: {:?} \"{}\"",
                q.line, q.severity, q.message
            );
        }
    }
    for b in &d.consent.blocked_channels {
        let _ = writeln!(
            s,
            "\nConsent: channel {} is blocked ({} is {}), line {}",
            b.channel, b.field, b.found, b.line
        );
    }
    if let Some(r) = &d.route {
        let _ = writeln!(
            s,
            "\nRoute: {} {}{} by rule {} (line {}: {})",
            r.target.kind,
            r.target.name,
            r.member
                .as_ref()
                .map(|m| format!(", member {m}"))
                .unwrap_or_default(),
            r.rule,
            r.line,
            r.condition
        );
        for t in &r.tried {
            let _ = writeln!(
                s,
                "  not rule {} (line {}: {}): {}",
                t.rule,
                t.line,
                t.condition,
                if t.result == "missing" {
                    "a field it needs is missing"
                } else {
                    "did not match"
                }
            );
        }
    }
    if !d.escalations.is_empty() {
        let _ = writeln!(s, "\nEscalations:");
        for e in &d.escalations {
            let _ = writeln!(
                s,
                "  step {} `{}` (line {}): after {}{} since {}: {}{} -> {}",
                e.step,
                e.name,
                e.line,
                e.after,
                e.business_hours
                    .as_ref()
                    .map(|c| format!(" business hours of {c}"))
                    .unwrap_or_default(),
                e.since,
                e.status.replace('_', " "),
                e.due_at
                    .as_ref()
                    .map(|t| format!(", due {t}{}", local_time(p, e.business_hours.as_ref(), t)))
                    .unwrap_or_default(),
                e.actions
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }
    if let Some(pb) = &d.playbook {
        let touches: Vec<String> = pb
            .touches
            .iter()
            .map(|t| {
                format!(
                    "{} \"{}\"{}{}",
                    t.channel,
                    t.template,
                    t.after
                        .as_ref()
                        .map(|a| format!(" after {a}"))
                        .unwrap_or_default(),
                    if t.allowed {
                        ""
                    } else {
                        " (no consent: skipped)"
                    }
                )
            })
            .collect();
        let _ = writeln!(s, "\nPlaybook {}: {}", pb.name, touches.join(", "));
    }
    if let Some(pk) = &d.packet {
        let _ = writeln!(s, "\nPacket for {}:", pk.owner_role);
        for f in &pk.fields {
            let _ = writeln!(
                s,
                "  {}: {}{}",
                f.label.unwrap_or(f.field),
                if f.value.is_null() {
                    "(missing)".to_string()
                } else {
                    f.value.to_string()
                },
                if f.masked { " (masked)" } else { "" }
            );
        }
    }
    if !d.schema_issues.is_empty() {
        let _ = writeln!(s, "\nData problems (read as missing):");
        for i in &d.schema_issues {
            let _ = writeln!(
                s,
                "  {}: expected {}, found {}",
                i.field, i.expected, i.found
            );
        }
    }
    s
}

/// Finds the smallest changes that would turn unmet parts true.
struct Fixes<'a> {
    engine: &'a Engine,
    lead: &'a serde_json::Map<String, serde_json::Value>,
    now: jiff::Timestamp,
    out: &'a mut Vec<String>,
}

impl Fixes<'_> {
    fn holds(&self, e: &Ex) -> bool {
        self.engine.check_expr(self.lead, e, self.now).is_true()
    }

    fn fix(&mut self, e: &Ex, depth: usize) {
        if depth > 8 || self.holds(e) {
            return;
        }
        let p = &self.engine.policy;
        match e {
            Ex::AllOf(items) => items.iter().for_each(|i| self.fix(i, depth + 1)),
            Ex::And(a, b) => {
                self.fix(a, depth + 1);
                self.fix(b, depth + 1);
            }
            Ex::AnyOf(items) | Ex::AtLeast(_, items) => {
                // the first alternative with a concrete fix
                let before = self.out.len();
                for i in items {
                    self.fix(i, depth + 1);
                    if self.out.len() > before {
                        if self.out.len() > before + 1 {
                            self.out.truncate(before + 1);
                        }
                        let first = self.out.pop().unwrap_or_default();
                        self.out
                            .push(format!("{first} (or another of the alternatives)"));
                        break;
                    }
                }
            }
            Ex::Signal(i) => self.fix(&p.signals[*i as usize].expr, depth + 1),
            Ex::Present(x) => {
                if let Ex::Slot(s) = &**x {
                    self.out
                        .push(format!("fill in `{}`", p.slots[*s as usize].path));
                }
            }
            Ex::Cmp(op, a, b) => match (&**a, &**b) {
                (Ex::Slot(s), Ex::Const(v)) => {
                    let path = &p.slots[*s as usize].path;
                    let now = self.engine.check_expr(self.lead, a, self.now);
                    let want = match op {
                        CmpOp::Ge => format!("at least {}", show(v)),
                        CmpOp::Gt => format!("more than {}", show(v)),
                        CmpOp::Le => format!("at most {}", show(v)),
                        CmpOp::Lt => format!("less than {}", show(v)),
                        CmpOp::Eq => show(v),
                        CmpOp::Ne => format!("anything but {}", show(v)),
                    };
                    self.out.push(format!(
                        "`{path}` must be {want} (is {})",
                        if now.is_missing() {
                            "missing".into()
                        } else {
                            show(&now)
                        }
                    ));
                }
                (Ex::Call(crate::ir::Func::Since, args), Ex::Const(v)) => {
                    if let Some(Ex::Slot(s)) = args.first() {
                        let path = &p.slots[*s as usize].path;
                        let now = self.engine.check_expr(self.lead, &args[0], self.now);
                        let want = match op {
                            CmpOp::Le | CmpOp::Lt => {
                                format!("within the last {} (needs newer activity)", show(v))
                            }
                            CmpOp::Ge | CmpOp::Gt => format!("more than {} ago", show(v)),
                            CmpOp::Eq | CmpOp::Ne => format!("{} ago", show(v)),
                        };
                        let is = if now.is_missing() {
                            "missing".to_string()
                        } else {
                            show(&now)
                        };
                        self.out.push(format!("`{path}` must be {want} (is {is})"));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

fn show(v: &Val) -> String {
    match v {
        Val::Missing => "missing".into(),
        Val::Str(s) => format!("\"{s}\""),
        other => {
            let j = other.to_json();
            match j {
                serde_json::Value::String(s) => s,
                j => j.to_string(),
            }
        }
    }
}

/// A due time in the calendar's own time zone, for people who keep its
/// hours: ` (Tue 2025-06-03 10:00 Europe/Berlin)`; empty without a
/// calendar, or when the calendar is in UTC.
fn local_time(
    p: &crate::ir::Policy,
    calendar: Option<&crate::decision::Text>,
    t: &jiff::Timestamp,
) -> String {
    let Some(cal) =
        calendar.and_then(|c| p.calendars.iter().find(|k| k.name.as_str() == c.as_str()))
    else {
        return String::new();
    };
    let zone = cal.tz.iana_name().unwrap_or("local time");
    if matches!(zone, "UTC" | "Etc/UTC") {
        return String::new();
    }
    let local = t.to_zoned_datetime(cal.tz.clone());
    format!(" ({} {zone})", local.strftime("%a %Y-%m-%d %H:%M"))
}
