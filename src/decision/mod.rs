//! The decision for one lead: what the evaluator returns.
//!
//! Field names are stable: `docs/decision.md` documents each one and
//! `docs/decision.schema.json` is its JSON Schema. Add fields; never rename.
//!
//! With serde_json, texts of the policy are written as pre-escaped raw
//! JSON; any other serializer receives them as plain strings.
//!
//! A decision borrows every text that comes from the policy (names, labels,
//! conditions as written) from the compiled policy, as [`Text`]: the string
//! and its JSON form, escaped once at compile time. Building and writing a
//! decision therefore copies no policy text and escapes nothing twice.
//!
//! The files: `text` holds the texts of the policy ([`PText`], [`Text`],
//! [`Named`]) and how they are written; `parts` the parts its fields hold
//! (stages, route, escalations, packet, ...); this file the decision
//! itself, its [`Verdict`] and [`Reason`]s. Every type is used from here,
//! as `crate::decision::NAME`.

mod parts;
mod text;

use std::fmt;

use serde::ser::Serializer;
use serde::Serialize;

use text::timestamp;

pub use parts::{
    Action, Consent, ConsentBlock, DebriefStatus, EscalationStatus, HandoffRef, MetricValue,
    MissingContext, OverrideRule, Packet, PacketField, PacketValue, PlaybookChoice, PolicyRef,
    QualityFlag, Reads, RouteChoice, SchemaIssue, ShareCounts, SignalValue, StageReadiness, Target,
    Touch, TriedRule, Unmet,
};
pub use text::{Named, PText, Text};

pub use crate::value::Number;

/// The outcome of evaluating one lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Ready, complete and routed: hand it over.
    Handoff,
    /// Not ready yet.
    Hold,
    /// Ready, but a person must look first.
    Review,
    /// Must not be handed over.
    Blocked,
    /// Outside the policy's `applies_to` scope.
    OutOfScope,
}

impl Verdict {
    /// The verdict as written in JSON: `handoff`, `hold`, `review`,
    /// `blocked` or `out_of_scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Handoff => "handoff",
            Verdict::Hold => "hold",
            Verdict::Review => "review",
            Verdict::Blocked => "blocked",
            Verdict::OutOfScope => "out_of_scope",
        }
    }
}

/// One reason for the verdict: a text of the policy, or one built for this lead.
#[derive(Debug, Clone)]
pub enum Reason<'p> {
    /// A text fixed when the policy was compiled (most reasons, such as
    /// `ready for mql -> sal` or a quality rule's `blocked: MESSAGE`).
    Policy(Text<'p>),
    /// A text made for this lead: `` no handoff leaves stage `sql` `` when
    /// the stage field is not an `enum` whose values the policy knows.
    Lead(String),
}

impl Reason<'_> {
    /// The reason's text, for people; its wording may change between
    /// versions, so do not branch on it.
    pub fn as_str(&self) -> &str {
        match self {
            Reason::Policy(t) => t.as_str(),
            Reason::Lead(s) => s,
        }
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Reason<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Reason::Policy(t) => t.serialize(s),
            Reason::Lead(l) => s.serialize_str(l),
        }
    }
}

/// The decision for one lead: one JSON object (one output line of
/// `handoff eval`).
///
/// Every field is always written; a value that does not exist is `null`
/// and an empty list or map `[]` or `{}`. For an `out_of_scope` lead only
/// `policy`, `evaluated_at`, `lead_id`, `verdict`, `reasons` and
/// `schema_issues` are filled in.
#[derive(Debug, Clone, Serialize)]
pub struct Decision<'p> {
    /// The policy that made the decision (JSON `policy`).
    pub policy: &'p PolicyRef,
    /// The `now` of the evaluation: the `--now` given, or the clock.
    /// Written as RFC 3339 text in UTC (`"2025-06-02T10:00:00Z"`).
    #[serde(serialize_with = "timestamp")]
    pub evaluated_at: jiff::Timestamp,
    /// The lead's id: the first of its top-level `id`, `Id`, `ID`,
    /// `lead_id` and `LeadId` that is a string or a number (a number as its
    /// JSON text); else a Salesforce record's `attributes.referenceId` or
    /// the record id that ends `attributes.url`. `None` (JSON `null`) when
    /// there is none.
    pub lead_id: Option<String>,
    /// The outcome: see [`Verdict`] and `docs/decision.md`, *The verdict*.
    pub verdict: Verdict,
    /// Why the verdict, in order of importance.
    pub reasons: Vec<Reason<'p>>,
    /// The handoff that applies to the lead's current stage.
    /// `None` (JSON `null`) when none applies or the lead is out of scope.
    pub handoff: Option<&'p HandoffRef>,
    /// Every handoff of the policy and whether the lead is ready for it.
    pub stages: Vec<StageReadiness<'p>>,
    /// Every signal of the policy, by name, in declaration order. Empty
    /// when the lead is out of scope.
    pub signals: Named<'p, SignalValue<'p>>,
    /// Every score of the policy, by name: the points clamped to 0..`cap`,
    /// decayed, then rounded to two decimals. Empty when out of scope.
    pub scores: Named<'p, Number>,
    /// The `require` lines of the applicable handoff that the lead does not
    /// meet. Any entry makes a ready lead that nothing blocks `review`.
    pub missing_context: Vec<MissingContext<'p>>,
    /// The quality rules of the applicable handoff that fired (their
    /// condition is true), in policy order (JSON `quality`).
    pub quality: Vec<QualityFlag<'p>>,
    /// The channels without consent; its list is empty when nothing is
    /// blocked or no handoff applies.
    pub consent: Consent<'p>,
    /// Who gets the lead, worked out whatever the verdict (a lead on `hold`
    /// shows where it would go). `None` when no handoff applies, or when no
    /// rule of the handoff's `route` block matched.
    pub route: Option<RouteChoice<'p>>,
    /// Every step of the applicable handoff's `escalate` block, in order.
    pub escalations: Vec<EscalationStatus<'p>>,
    /// A copy of the first step of `escalations` whose status is `pending`
    /// (in policy order, not sorted by due time); `None` when no step is
    /// pending. Overdue steps are never here.
    pub next_escalation: Option<EscalationStatus<'p>>,
    /// The playbook the applicable handoff chose; `None` when no `playbook`
    /// line matched or no handoff applies.
    pub playbook: Option<PlaybookChoice<'p>>,
    /// The context for the next owner; `Some` whenever a handoff applies
    /// (with no fields if it has no `require`), `None` otherwise.
    pub packet: Option<Packet<'p>>,
    /// The debrief of the applicable handoff; `None` when it has no
    /// `debrief` line or no handoff applies.
    pub debrief: Option<DebriefStatus<'p>>,
    /// Who may override the decision by hand; `None` when the applicable
    /// handoff has no `overrides` line or no handoff applies.
    pub overrides: Option<&'p OverrideRule>,
    /// Every metric of the policy, by name, for this lead. Empty when out
    /// of scope.
    pub metrics: Named<'p, MetricValue>,
    /// Values of the lead that do not fit the policy's `lead { }` schema
    /// (each reads as missing). Reported for every verdict, `out_of_scope`
    /// included.
    pub schema_issues: Vec<SchemaIssue>,
    /// The lead fields the policy reads, as read, for the decision log
    /// (docs/audit.md); `None` unless the engine's `record_reads` is set.
    #[serde(skip)]
    pub read: Option<Reads<'p>>,
}

/// The reason of a lead in a stage no handoff leaves.
pub fn no_handoff_leaves(stage: &str) -> String {
    format!("no handoff leaves stage `{stage}`")
}
