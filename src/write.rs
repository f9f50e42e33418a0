//! Writing a decision as one line of JSON, fast.
//!
//! The same bytes `serde_json::to_writer` produces for a [`Decision`]
//! (`tests/differential.rs` checks it on every example decision), written
//! directly: field names are constants, texts of the policy are copied
//! already escaped, and only text that comes from the lead is escaped.

use std::io::Write;

use crate::ast::QualitySeverity;
use crate::decision::*;
use crate::value::{DurText, Val};

mod log;
pub use log::{log_entry, log_error, LogInput};

/// Appends the decision as compact JSON (no newline) to `out`.
///
/// ```
/// let path = std::path::Path::new("examples/inbound/policy.handoff");
/// let engine = handoff::Checked::from_file(path).unwrap().compile().unwrap();
/// let now: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
/// let lead = handoff::parse_lead(br#"{"id": "a"}"#).unwrap();
/// let d = engine.evaluate(&lead, now);
/// let mut out = Vec::new();
/// handoff::write::write_decision(&d, &mut out);
/// // the bytes serde_json writes for the same decision
/// assert_eq!(out, serde_json::to_vec(&d).unwrap());
/// ```
pub fn write_decision(d: &Decision<'_>, out: &mut Vec<u8>) {
    write_decision_marked(d, out);
}

/// [`write_decision`], returning where in `out` the route's member was
/// written (`null` when there is none yet): a batch's writer fills in the
/// member of a round-robin team there, in input order, without the rest of
/// the decision.
pub fn write_decision_marked(d: &Decision<'_>, out: &mut Vec<u8>) -> Option<usize> {
    let mut w = W {
        out,
        member_at: None,
    };
    // what every decision of a batch starts with: the policy's part made
    // once, the time of evaluation formatted once a thread
    w.raw(d.policy.head_json());
    w.evaluated_at(&d.evaluated_at);
    w.raw(",\"lead_id\":");
    w.opt(d.lead_id.as_ref(), |w, s| w.string(s));
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
        w.raw(",\"label\":");
        w.opt(h.label.as_ref(), |w, l| w.ptext(l));
        w.raw(",\"initiated_by\":");
        w.ptext(&h.initiated_by);
        w.raw(",\"validated_by\":");
        w.ptext(&h.validated_by);
        w.raw(",\"owned_by\":");
        w.ptext(&h.owned_by);
        w.raw("}");
    });
    w.raw(",\"stages\":");
    w.list(&d.stages, |w, s| {
        w.raw("{\"from\":");
        w.text(&s.from);
        w.raw(",\"to\":");
        w.text(&s.to);
        w.raw(",\"ready\":");
        w.bool(s.ready);
        w.raw(",\"unmet\":");
        w.list(&s.unmet, |w, u| {
            w.raw("{\"line\":");
            w.usize(u.line);
            w.raw(",\"condition\":");
            w.text(&u.condition);
            w.raw(",\"result\":\"");
            w.raw(u.result);
            w.raw("\"}");
        });
        w.raw("}");
    });
    w.raw(",\"signals\":");
    w.named(&d.signals, |w, s| {
        w.raw("{\"value\":");
        w.opt(s.value.as_ref(), |w, b| w.bool(*b));
        if let Some(reads) = &s.reads {
            w.raw(",\"reads\":");
            w.named(reads, |w, v| w.val(v));
        }
        w.raw("}");
    });
    w.raw(",\"scores\":");
    w.named(&d.scores, |w, n| w.number(n.0));
    w.raw(",\"missing_context\":");
    w.list(&d.missing_context, |w, m| {
        w.raw("{\"field\":");
        w.text(&m.field);
        w.raw(",\"label\":");
        w.opt(m.label.as_ref(), |w, l| w.text(l));
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
            QualitySeverity::Block => ",\"severity\":\"block\",\"message\":",
            QualitySeverity::Review => ",\"severity\":\"review\",\"message\":",
        });
        w.text(&q.message);
        w.raw(",\"line\":");
        w.usize(q.line);
        w.raw("}");
    });
    w.raw(",\"consent\":{\"blocked_channels\":");
    w.list(&d.consent.blocked_channels, |w, b| {
        w.raw("{\"channel\":");
        w.text(&b.channel);
        w.raw(",\"field\":");
        w.text(&b.field);
        w.raw(",\"found\":\"");
        w.raw(b.found);
        w.raw("\",\"line\":");
        w.usize(b.line);
        w.raw("}");
    });
    w.raw("},\"route\":");
    w.opt(d.route.as_ref(), |w, r| {
        w.raw("{\"rule\":");
        w.usize(r.rule);
        w.raw(",\"line\":");
        w.usize(r.line);
        w.raw(",\"condition\":");
        w.text(&r.condition);
        w.raw(",\"target\":{\"kind\":\"");
        w.raw(r.target.kind);
        w.raw("\",\"name\":");
        w.ptext(&r.target.name);
        w.raw("},\"member\":");
        w.member_at = Some(w.out.len());
        w.opt(r.member.as_ref(), |w, m| w.text(m));
        w.raw(",\"at_capacity\":");
        w.bool(r.at_capacity);
        w.raw(",\"tried\":");
        w.list(&r.tried, |w, t| {
            w.raw("{\"rule\":");
            w.usize(t.rule);
            w.raw(",\"line\":");
            w.usize(t.line);
            w.raw(",\"condition\":");
            w.text(&t.condition);
            w.raw(",\"result\":\"");
            w.raw(t.result);
            w.raw("\"}");
        });
        w.raw("}");
    });
    w.raw(",\"escalations\":");
    w.list(&d.escalations, W::escalation);
    w.raw(",\"next_escalation\":");
    w.opt(d.next_escalation.as_ref(), W::escalation);
    w.raw(",\"playbook\":");
    w.opt(d.playbook.as_ref(), |w, p| {
        w.raw("{\"name\":");
        w.text(&p.name);
        w.raw(",\"persona\":");
        w.opt(p.persona.as_ref(), |w, t| w.text(t));
        w.raw(",\"outcome\":");
        w.opt(p.outcome.as_ref(), |w, t| w.text(t));
        w.raw(",\"touches\":");
        w.list(&p.touches, |w, t| {
            w.raw("{\"channel\":");
            w.text(&t.channel);
            w.raw(",\"template\":");
            w.text(&t.template);
            w.raw(",\"after\":");
            w.opt(t.after.as_ref(), |w, a| w.text(a));
            w.raw(",\"allowed\":");
            w.bool(t.allowed);
            w.raw("}");
        });
        w.raw(",\"collect\":");
        w.list(p.collect, |w, c| w.ptext(c));
        w.raw("}");
    });
    w.raw(",\"packet\":");
    w.opt(d.packet.as_ref(), |w, p| {
        w.raw("{\"owner_role\":");
        w.text(&p.owner_role);
        w.raw(",\"fields\":");
        w.list(&p.fields, |w, f| {
            w.raw("{\"field\":");
            w.text(&f.field);
            w.raw(",\"label\":");
            w.opt(f.label.as_ref(), |w, l| w.text(l));
            w.raw(",\"value\":");
            match &f.value {
                PacketValue::Value(v) => w.val(v),
                PacketValue::Json(j) => w.serde(j),
                PacketValue::RawJson(t) => w.raw(t),
                PacketValue::Masked => w.raw("\"•••\""),
            }
            w.raw(",\"masked\":");
            w.bool(f.masked);
            w.raw("}");
        });
        w.raw("}");
    });
    w.raw(",\"debrief\":");
    w.opt(d.debrief.as_ref(), |w, b| {
        w.raw("{\"field\":");
        w.text(&b.field);
        w.raw(",\"status\":\"");
        w.raw(b.status);
        w.raw("\",\"due_at\":");
        w.opt(b.due_at.as_ref(), |w, t| w.timestamp(t));
        w.raw("}");
    });
    w.raw(",\"overrides\":");
    w.opt(d.overrides, |w, o| {
        w.raw("{\"allowed_by\":");
        w.list(&o.allowed_by, |w, r| w.ptext(r));
        w.raw(",\"reason_required\":");
        w.bool(o.reason_required);
        w.raw("}");
    });
    w.raw(",\"metrics\":");
    w.named(&d.metrics, |w, m| {
        w.raw("{\"value\":");
        w.val(&m.value);
        w.raw(",\"meets_target\":");
        w.opt(m.meets_target.as_ref(), |w, b| w.bool(*b));
        if let Some(s) = &m.share {
            w.raw(",\"share\":{\"of\":");
            w.opt(s.of.as_ref(), |w, b| w.bool(*b));
            w.raw(",\"among\":");
            w.opt(s.among.as_ref(), |w, b| w.bool(*b));
            w.raw("}");
        }
        w.raw("}");
    });
    w.raw(",\"schema_issues\":");
    w.list(&d.schema_issues, |w, i| {
        w.raw("{\"field\":");
        w.string(&i.field);
        w.raw(",\"expected\":");
        w.string(&i.expected);
        w.raw(",\"found\":");
        w.string(&i.found);
        w.raw("}");
    });
    w.raw("}");
    w.member_at
}

struct W<'o> {
    out: &'o mut Vec<u8>,
    /// Where the route's member starts.
    member_at: Option<usize>,
}

impl W<'_> {
    #[inline]
    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn text(&mut self, t: &Text<'_>) {
        self.raw(t.json());
    }

    fn ptext(&mut self, t: &PText) {
        self.raw(t.t().json());
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    fn usize(&mut self, n: usize) {
        let mut buf = itoa::Buffer::new();
        self.raw(buf.format(n));
    }

    /// A number as [`Number`] serializes it.
    fn number(&mut self, n: f64) {
        if n.fract() == 0.0 && n.abs() < 9.0e15 {
            let mut buf = itoa::Buffer::new();
            self.raw(buf.format(n as i64));
        } else if n.is_finite() {
            self.serde(&n);
        } else {
            self.raw("null");
        }
    }

    /// A string from the lead, escaped as serde_json escapes it.
    fn string(&mut self, s: &str) {
        if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            self.serde(s);
        } else {
            self.out.push(b'"');
            self.raw(s);
            self.out.push(b'"');
        }
    }

    fn timestamp(&mut self, t: &jiff::Timestamp) {
        // RFC 3339 text has nothing to escape
        match utc_seconds(t) {
            Some(text) => {
                self.out.push(b'"');
                self.out.extend_from_slice(&text);
                self.out.push(b'"');
            }
            None => {
                let _ = write!(self.out, "\"{t}\"");
            }
        }
    }

    /// [`W::timestamp`] for the time of evaluation, which is the same for
    /// every decision of a batch: its text is kept from the last decision.
    fn evaluated_at(&mut self, t: &jiff::Timestamp) {
        thread_local! {
            static LAST: std::cell::Cell<Option<(jiff::Timestamp, [u8; 20])>> =
                const { std::cell::Cell::new(None) };
        }
        match LAST.get() {
            Some((last, text)) if last == *t => {
                self.out.push(b'"');
                self.out.extend_from_slice(&text);
                self.out.push(b'"');
            }
            _ => {
                if let Some(text) = utc_seconds(t) {
                    LAST.set(Some((*t, text)));
                }
                self.timestamp(t);
            }
        }
    }

    fn serde<T: serde::Serialize + ?Sized>(&mut self, v: &T) {
        let _ = serde_json::to_writer(&mut *self.out, v);
    }

    fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match v {
            Some(v) => f(self, v),
            None => self.raw("null"),
        }
    }

    fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            f(self, item);
        }
        self.out.push(b']');
    }

    fn named<T>(&mut self, n: &Named<'_, T>, mut f: impl FnMut(&mut Self, &T)) {
        self.out.push(b'{');
        for (i, (k, v)) in n.entries.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.text(k);
            self.out.push(b':');
            f(self, v);
        }
        self.out.push(b'}');
    }

    /// A value as [`Val`] serializes it.
    fn val(&mut self, v: &Val) {
        match v {
            Val::Missing => self.raw("null"),
            Val::Bool(b) => self.bool(*b),
            Val::Num(n) => self.number(*n),
            Val::Str(s) => self.string(s),
            Val::Ts(t) => self.timestamp(t),
            Val::Dur(d) => self.string(DurText::new(*d).as_str()),
            Val::List(items) => self.list(items, |w, i| w.val(i)),
            Val::Rec(fields) => self.list(fields, |w, i| w.val(i)),
        }
    }

    fn escalation(&mut self, e: &EscalationStatus<'_>) {
        self.raw("{\"step\":");
        self.usize(e.step);
        self.raw(",\"name\":");
        self.text(&e.name);
        self.raw(",\"line\":");
        self.usize(e.line);
        self.raw(",\"after\":");
        self.text(&e.after);
        self.raw(",\"business_hours\":");
        self.opt(e.business_hours.as_ref(), |w, t| w.text(t));
        self.raw(",\"since\":");
        self.text(&e.since);
        self.raw(",\"status\":\"");
        self.raw(e.status);
        self.raw("\",\"due_at\":");
        self.opt(e.due_at.as_ref(), |w, t| w.timestamp(t));
        self.raw(",\"actions\":");
        self.list(e.actions, |w, a| w.ptext(a));
        self.raw(",\"action_items\":");
        self.list(e.action_items, |w, a| {
            w.raw("{\"kind\":\"");
            w.raw(a.kind);
            w.raw("\",\"role\":");
            w.opt(a.role.as_ref(), |w, r| w.ptext(r));
            w.raw(",\"target\":");
            w.opt(a.target.as_ref(), |w, t| {
                w.raw("{\"kind\":\"");
                w.raw(t.kind);
                w.raw("\",\"name\":");
                w.ptext(&t.name);
                w.raw("}");
            });
            w.raw(",\"message\":");
            w.opt(a.message.as_ref(), |w, m| w.ptext(m));
            w.raw("}");
        });
        self.raw("}");
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a whole-second instant from 1970 to 9999,
/// exactly as jiff displays it, without the formatting machinery (every
/// decision carries at least one timestamp); `None` for anything else.
fn utc_seconds(t: &jiff::Timestamp) -> Option<[u8; 20]> {
    let secs = t.as_second();
    if t.subsec_nanosecond() != 0 || !(0..253_402_300_800).contains(&secs) {
        return None;
    }
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // civil date from days since 1970-01-01 (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut b = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, rem / 3600);
    put(14, 2, rem / 60 % 60);
    put(17, 2, rem % 60);
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::utc_seconds;

    /// The fast form is byte for byte what jiff displays, across leap
    /// years, month ends and the ends of the range.
    #[test]
    fn whole_second_timestamps_read_as_jiff_writes_them() {
        let mut s: i64 = 0;
        while s <= 253_402_207_200 {
            let t = jiff::Timestamp::from_second(s).unwrap();
            let fast = utc_seconds(&t).expect("in range");
            assert_eq!(std::str::from_utf8(&fast).unwrap(), t.to_string(), "{s}");
            // a prime step visits every day of the year and time of day
            s += 86_400 * 3 + 3_607;
        }
        for s in [
            0,
            951_782_400,
            1_709_164_800,
            4_107_542_399,
            253_402_207_200,
        ] {
            let t = jiff::Timestamp::from_second(s).unwrap();
            assert_eq!(
                std::str::from_utf8(&utc_seconds(&t).unwrap()).unwrap(),
                t.to_string()
            );
        }
        let frac = jiff::Timestamp::new(5, 1).unwrap();
        assert!(utc_seconds(&frac).is_none());
        assert!(utc_seconds(&jiff::Timestamp::from_second(-1).unwrap()).is_none());
    }
}
