//! The text change between two policies: definitions added, removed or
//! changed, matched by kind and name.

use std::collections::{BTreeMap, BTreeSet};

use super::Structure;
use crate::eval::Engine;

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
        // so is a playbook rule
        for (_, _, origin) in &h.playbooks {
            out.insert(format!("{head} `{}`", origin.text.as_str()), String::new());
        }
        for c in &h.ready {
            out.insert(format!("{head} ready when"), c.origin.text.to_string());
        }
    }
    out
}

pub(super) fn structure(old: &Engine, new: &Engine) -> Structure {
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
    // the same rules in another order decide differently, and are known by
    // their text alone: a change of order is named as one
    let (a, b) = (rule_orders(old), rule_orders(new));
    for (name, x) in &a {
        let Some(y) = b.get(name) else { continue };
        let (mut xs, mut ys) = (x.clone(), y.clone());
        xs.sort_unstable();
        ys.sort_unstable();
        if x != y && xs == ys {
            s.changed.push((name.clone(), x.join("; "), y.join("; ")));
        }
    }
    s.changed.sort();
    s
}

/// The route rules and the playbook rules of each handoff, in order.
fn rule_orders(e: &Engine) -> BTreeMap<String, Vec<&str>> {
    let mut out = BTreeMap::new();
    for h in &e.policy.handoffs {
        let head = format!("{} -> {}", h.head.from.as_str(), h.head.to.as_str());
        out.insert(
            format!("{head} route order"),
            h.routes.iter().map(|r| r.origin.text.as_str()).collect(),
        );
        out.insert(
            format!("{head} playbook order"),
            h.playbooks.iter().map(|p| p.2.text.as_str()).collect(),
        );
    }
    out
}
