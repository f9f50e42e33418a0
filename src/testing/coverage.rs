//! Coverage by rule across a suite: signals seen true and false, route
//! rules taken, steps fallen due, gates tripped, playbooks chosen, consent
//! rules blocking.

use serde_json::Value;

use super::CoverageItem;
use crate::eval::Engine;

/// Coverage by rule across a suite.
pub(super) struct Coverage {
    pub(super) items: Vec<CoverageItem>,
}

impl Coverage {
    pub(super) fn new(engine: &Engine) -> Coverage {
        let p = &engine.policy;
        let mut items = Vec::new();
        for s in &p.signals {
            for kind in ["signal true", "signal false"] {
                items.push(CoverageItem {
                    kind,
                    handoff: String::new(),
                    name: s.name.to_string(),
                    line: s.origin.line,
                    covered: false,
                });
            }
        }
        for h in &p.handoffs {
            let head = format!("{} -> {}", h.head.from.as_str(), h.head.to.as_str());
            for (i, r) in h.routes.iter().enumerate() {
                items.push(CoverageItem {
                    kind: "route rule",
                    handoff: head.clone(),
                    name: format!("{head} rule {}", i + 1),
                    line: r.origin.line,
                    covered: false,
                });
            }
            for e in &h.escalations {
                items.push(CoverageItem {
                    kind: "escalation step",
                    handoff: head.clone(),
                    name: e.name.to_string(),
                    line: e.origin.line,
                    covered: false,
                });
            }
            for q in &h.quality {
                items.push(CoverageItem {
                    kind: "quality gate",
                    handoff: head.clone(),
                    name: q.name.to_string(),
                    line: q.when.origin.line,
                    covered: false,
                });
            }
            for c in &h.consent {
                items.push(CoverageItem {
                    kind: "consent rule",
                    handoff: head.clone(),
                    name: c.channel.to_string(),
                    line: c.origin.line,
                    covered: false,
                });
            }
            for (cond, pb, _) in &h.playbooks {
                let name = p
                    .playbooks
                    .get(*pb as usize)
                    .map_or(String::new(), |pb| pb.name.to_string());
                if !items.iter().any(|i| i.kind == "playbook" && i.name == name) {
                    items.push(CoverageItem {
                        kind: "playbook",
                        handoff: String::new(),
                        name,
                        line: cond.as_ref().map_or(0, |c| c.origin.line),
                        covered: false,
                    });
                }
            }
        }
        Coverage { items }
    }

    pub(super) fn record(&mut self, d: &Value) {
        // gates and steps are named per handoff: only the applicable one's
        let applied = match d["handoff"].as_object() {
            Some(h) => format!(
                "{} -> {}",
                h.get("from").and_then(Value::as_str).unwrap_or(""),
                h.get("to").and_then(Value::as_str).unwrap_or("")
            ),
            None => String::new(),
        };
        let mark = |items: &mut Vec<CoverageItem>, kind: &str, name: &str| {
            for i in items.iter_mut().filter(|i| {
                i.kind == kind && i.name == name && (i.handoff.is_empty() || i.handoff == applied)
            }) {
                i.covered = true;
            }
        };
        if let Some(signals) = d["signals"].as_object() {
            for (name, s) in signals {
                match s["value"] {
                    Value::Bool(true) => mark(&mut self.items, "signal true", name),
                    Value::Bool(false) => mark(&mut self.items, "signal false", name),
                    _ => {}
                }
            }
        }
        if let (Some(h), Some(rule)) = (d["handoff"].as_object(), d["route"]["rule"].as_u64()) {
            let head = format!(
                "{} -> {}",
                h.get("from").and_then(Value::as_str).unwrap_or(""),
                h.get("to").and_then(Value::as_str).unwrap_or("")
            );
            mark(
                &mut self.items,
                "route rule",
                &format!("{head} rule {rule}"),
            );
        }
        for s in d["escalations"].as_array().into_iter().flatten() {
            if matches!(s["status"].as_str(), Some("pending" | "overdue")) {
                if let Some(n) = s["name"].as_str() {
                    mark(&mut self.items, "escalation step", n);
                }
            }
        }
        for q in d["quality"].as_array().into_iter().flatten() {
            if let Some(n) = q["name"].as_str() {
                mark(&mut self.items, "quality gate", n);
            }
        }
        // a consent rule is known by its line: two rules may share a channel
        for c in d["consent"]["blocked_channels"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(line) = c["line"].as_u64() {
                for i in self
                    .items
                    .iter_mut()
                    .filter(|i| i.kind == "consent rule" && i.line == line as usize)
                {
                    i.covered = true;
                }
            }
        }
        if let Some(n) = d["playbook"]["name"].as_str() {
            mark(&mut self.items, "playbook", n);
        }
    }
}
