//! The names, values and fields a suite may use, checked against the
//! policy before anything runs (`H801`, `H802`).

use std::collections::BTreeSet;

use super::{to_json, Expect};
use crate::diag::{Code, Diagnostic};
use crate::eval::Engine;
use crate::span::Span;

/// The names a policy declares, to check a suite's expectations against.
pub(super) struct Names {
    /// The lead fields the policy reads, by dotted path.
    fields: BTreeSet<String>,
    /// The handoffs, `from -> to`.
    heads: BTreeSet<String>,
    gates: BTreeSet<String>,
    steps: BTreeSet<String>,
    signals: BTreeSet<String>,
    playbooks: BTreeSet<String>,
    targets: BTreeSet<String>,
}

impl Names {
    pub(super) fn of(engine: &Engine) -> Names {
        let p = &engine.policy;
        let mut gates = BTreeSet::new();
        let mut steps = BTreeSet::new();
        let mut targets = BTreeSet::new();
        for h in &p.handoffs {
            gates.extend(h.quality.iter().map(|q| q.name.to_string()));
            steps.extend(h.escalations.iter().map(|e| e.name.to_string()));
            targets.extend(
                h.routes
                    .iter()
                    .map(|r| format!("{} {}", r.target_ref.kind, r.target_ref.name)),
            );
        }
        targets.insert("none".into());
        Names {
            fields: p.slots.iter().map(|s| s.path.to_string()).collect(),
            heads: p
                .handoffs
                .iter()
                .map(|h| format!("{} -> {}", h.head.from.as_str(), h.head.to.as_str()))
                .collect(),
            gates,
            steps,
            signals: p.signals.iter().map(|s| s.name.to_string()).collect(),
            playbooks: p
                .playbooks
                .iter()
                .map(|pb| pb.name.to_string())
                .chain(["none".to_string()])
                .collect(),
            targets,
        }
    }

    /// Reports expectations that name what the policy does not declare.
    pub(super) fn check(
        &self,
        e: &Expect,
        locate: &dyn Fn(&str) -> Span,
        out: &mut Vec<Diagnostic>,
    ) {
        let mut unknown = |what: &str, name: &str, known: &BTreeSet<String>| {
            if known.contains(name) {
                return;
            }
            let mut d = Diagnostic::new(
                Code::TestUnknownName,
                locate(name),
                format!("the policy has no {what} `{name}`"),
            )
            .label(format!("no {what} of this name"));
            d = match crate::diag::near_names(name, known.iter().map(String::as_str)) {
                crate::diag::Near::One(s) => d.help(format!("did you mean `{s}`?")),
                crate::diag::Near::Several(s) => d.help(format!("close names: {}", s.join(", "))),
                crate::diag::Near::None => d.help(format!(
                    "the {what}s are: {}",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
            };
            out.push(d);
        };
        for g in e.quality.iter().flatten() {
            unknown("quality gate", g, &self.gates);
        }
        for s in e.escalations.iter().flat_map(|m| m.keys()) {
            unknown("escalation step", s, &self.steps);
        }
        for s in e.signals.iter().flat_map(|m| m.keys()) {
            unknown("signal", s, &self.signals);
        }
        if let Some(p) = &e.playbook {
            unknown("playbook", p, &self.playbooks);
        }
        if let Some(r) = &e.route {
            unknown("route target", r, &self.targets);
        }
        for step in e.ready.iter().flat_map(|m| m.keys()) {
            unknown("handoff", step, &self.heads);
        }
        // values from a fixed set: a typo would only ever fail
        let mut one_of = |what: &str, v: &str, allowed: &[&str]| {
            if !allowed.contains(&v) {
                let mut d =
                    Diagnostic::new(Code::TestFile, locate(v), format!("`{v}` is not {what}"))
                        .label("not one of the values");
                d = d.help(format!("write one of: {}", allowed.join(", ")));
                out.push(d);
            }
        };
        if let Some(v) = &e.verdict {
            one_of(
                "a verdict",
                v,
                &["handoff", "review", "hold", "blocked", "out_of_scope"],
            );
        }
        for status in e.escalations.iter().flat_map(|m| m.values()) {
            one_of(
                "an escalation status",
                status,
                &["not_started", "stopped", "pending", "overdue"],
            );
        }
        for v in e.signals.iter().flat_map(|m| m.values()) {
            if let toml::Value::String(s) = v {
                one_of("a signal value", s, &["missing"]);
            } else if !v.is_bool() {
                one_of(
                    "a signal value",
                    &to_json(v).to_string(),
                    &["true", "false", "missing"],
                );
            }
        }
    }

    /// Reports `set` and `unset` paths the policy never reads: setting
    /// them would change nothing, so the case would not test what its
    /// name says.
    pub(super) fn check_paths<'a>(
        &self,
        paths: impl Iterator<Item = &'a String>,
        locate: &dyn Fn(&str) -> Span,
        out: &mut Vec<Diagnostic>,
    ) {
        for p in paths {
            let read = self.fields.iter().any(|f| {
                f == p || f.starts_with(&format!("{p}.")) || p.starts_with(&format!("{f}."))
            });
            if read {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::TestUnknownName,
                locate(p),
                format!("the policy reads no field `{p}`, so setting it changes nothing"),
            )
            .label("not read by the policy");
            d = match crate::diag::near_names(p, self.fields.iter().map(String::as_str)) {
                crate::diag::Near::One(s) => d.help(format!("did you mean `{s}`?")),
                crate::diag::Near::Several(s) => d.help(format!("close fields: {}", s.join(", "))),
                crate::diag::Near::None => {
                    d.help("set a field the policy reads (see its `lead { }` schema)")
                }
            };
            out.push(d);
        }
    }
}
