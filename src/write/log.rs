//! A decision as a line of the decision log (docs/audit.md): what was
//! decided, by which rule, from which fields, without the lead's personal
//! data. The writer of the log (`crate::audit`) puts the line's `id` and
//! `logged_at` before it.

use crate::ast::QualitySeverity;
use crate::decision::{Decision, PolicyRef, Reason};

use super::W;

/// Where in the input a decision's lead was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogInput {
    /// The line of the input the lead (or record) starts on, from 1.
    pub line: usize,
    /// Its position in a JSON document's list of leads, from 1; `None` for
    /// NDJSON and `--lead`.
    pub record: Option<usize>,
}

impl W<'_> {
    /// `"policy":{…},"evaluated_at":"…","lead_id":…,"input":{…}`
    fn log_head(
        &mut self,
        (policy, now): (&PolicyRef, &jiff::Timestamp),
        lead_id: Option<&str>,
        at: LogInput,
    ) {
        // the decision's own head without its opening brace
        let head = policy.head_json();
        self.raw(head.strip_prefix('{').unwrap_or(head));
        self.evaluated_at(now);
        self.raw(",\"lead_id\":");
        self.opt(lead_id, |w, s| w.string(s));
        self.raw(",\"input\":{\"line\":");
        self.usize(at.line);
        self.raw(",\"record\":");
        self.opt(at.record, |w, n| w.usize(n));
        self.raw("}");
    }
}

/// Appends the body of a decision's log line to `out`: every field after
/// `id` and `logged_at`, up to the closing brace (no newline). The lead's
/// fields come from [`Decision::read`] (masked as the engine read them);
/// without it `read` is `null`.
pub fn log_entry(d: &Decision<'_>, at: LogInput, out: &mut Vec<u8>) {
    let mut w = W {
        out,
        member_at: None,
    };
    w.log_head((d.policy, &d.evaluated_at), d.lead_id.as_deref(), at);
    w.raw(",\"verdict\":\"");
    w.raw(d.verdict.as_str());
    w.raw("\",\"reasons\":");
    w.list(&d.reasons, |w, r| match r {
        Reason::Policy(t) => w.text(t),
        Reason::Lead(s) => w.string(s),
    });
    w.raw(",\"handoff\":");
    w.opt(d.handoff, |w, h| {
        w.raw("{\"from\":");
        w.ptext(&h.from);
        w.raw(",\"to\":");
        w.ptext(&h.to);
        w.raw("}");
    });
    w.raw(",\"route\":");
    w.opt(d.route.as_ref(), |w, r| {
        w.raw("{\"target\":{\"kind\":\"");
        w.raw(r.target.kind);
        w.raw("\",\"name\":");
        w.ptext(&r.target.name);
        w.raw("},\"member\":");
        w.opt(r.member.as_ref(), |w, m| w.text(m));
        w.raw(",\"at_capacity\":");
        w.bool(r.at_capacity);
        w.raw(",\"rule\":");
        w.usize(r.rule);
        w.raw(",\"line\":");
        w.usize(r.line);
        w.raw(",\"condition\":");
        w.text(&r.condition);
        w.raw("}");
    });
    w.raw(",\"playbook\":");
    w.opt(d.playbook.as_ref(), |w, p| w.text(&p.name));
    w.raw(",\"escalations_due\":[");
    let due = d
        .escalations
        .iter()
        .filter(|e| matches!(e.status, "pending" | "overdue"));
    for (i, e) in due.enumerate() {
        if i > 0 {
            w.raw(",");
        }
        w.raw("{\"step\":");
        w.usize(e.step);
        w.raw(",\"name\":");
        w.text(&e.name);
        w.raw(",\"status\":\"");
        w.raw(e.status);
        w.raw("\",\"due_at\":");
        w.opt(e.due_at.as_ref(), |w, t| w.timestamp(t));
        w.raw("}");
    }
    w.raw("],\"missing_context\":");
    w.list(&d.missing_context, |w, m| {
        w.raw("{\"field\":");
        w.text(&m.field);
        w.raw(",\"problem\":\"");
        w.raw(m.problem);
        w.raw("\",\"line\":");
        w.usize(m.line);
        w.raw("}");
    });
    w.raw(",\"quality\":");
    w.list(&d.quality, |w, q| {
        w.raw("{\"name\":");
        w.text(&q.name);
        w.raw(match q.severity {
            QualitySeverity::Block => ",\"severity\":\"block\",\"line\":",
            QualitySeverity::Review => ",\"severity\":\"review\",\"line\":",
        });
        w.usize(q.line);
        w.raw("}");
    });
    w.raw(",\"read\":");
    match &d.read {
        Some(r) => {
            w.out.extend_from_slice(&r.values);
            w.raw(",\"masked\":");
            w.raw(r.masked);
        }
        None => w.raw("null,\"masked\":[]"),
    }
    w.raw("}");
}

/// Appends the body of the log line of a record that could not be
/// evaluated: where it was, the lead id guessed from its text, and the
/// error; nothing else of the record.
pub fn log_error(
    policy: &PolicyRef,
    now: jiff::Timestamp,
    lead_id: Option<&str>,
    at: LogInput,
    kind: &str,
    message: &str,
    out: &mut Vec<u8>,
) {
    let mut w = W {
        out,
        member_at: None,
    };
    w.log_head((policy, &now), lead_id, at);
    w.raw(",\"verdict\":null,\"error\":{\"kind\":");
    w.string(kind);
    w.raw(",\"message\":");
    w.string(message);
    w.raw("}}");
}
