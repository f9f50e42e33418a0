//! The decision for one lead: what the evaluator returns.
//!
//! Field names are stable: `docs/decision.md` documents each one and
//! `docs/decision.schema.json` is its JSON Schema. Add fields; never rename.

use std::collections::BTreeMap;

use serde::Serialize;

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

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub policy: PolicyRef,
    pub evaluated_at: String,
    pub lead_id: Option<String>,
    pub verdict: Verdict,
    /// Why the verdict, in order of importance.
    pub reasons: Vec<String>,
    /// The handoff that applies to the lead's current stage.
    pub handoff: Option<HandoffRef>,
    /// Every handoff of the policy and whether the lead is ready for it.
    pub stages: Vec<StageReadiness>,
    pub signals: BTreeMap<String, SignalValue>,
    pub scores: BTreeMap<String, serde_json::Value>,
    pub missing_context: Vec<MissingContext>,
    pub quality: Vec<QualityFlag>,
    pub consent: Consent,
    pub route: Option<RouteChoice>,
    pub escalations: Vec<EscalationStatus>,
    pub next_escalation: Option<EscalationStatus>,
    pub playbook: Option<PlaybookChoice>,
    pub packet: Option<Packet>,
    pub debrief: Option<DebriefStatus>,
    pub overrides: Option<OverrideRule>,
    pub metrics: BTreeMap<String, MetricValue>,
    pub schema_issues: Vec<SchemaIssue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyRef {
    pub name: String,
    pub version: Option<String>,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandoffRef {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    pub initiated_by: String,
    pub validated_by: String,
    pub owned_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageReadiness {
    pub from: String,
    pub to: String,
    pub ready: bool,
    /// The parts of `ready when` that were not met (`missing` when a field they read was missing).
    pub unmet: Vec<Unmet>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unmet {
    pub line: usize,
    pub condition: String,
    /// `false`, or `missing` when the outcome was unknown for lack of data.
    pub result: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignalValue {
    /// `true`, `false` or `null` (missing).
    pub value: Option<bool>,
    /// The fields it read and their values (with `--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MissingContext {
    pub field: String,
    pub label: Option<String>,
    /// `missing`, `too_few`, `bad_format` or `stale`.
    pub problem: &'static str,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct QualityFlag {
    pub severity: crate::ast::QualitySeverity,
    pub message: String,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Consent {
    pub blocked_channels: Vec<ConsentBlock>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsentBlock {
    pub channel: String,
    pub field: String,
    /// `false` or `missing`.
    pub found: &'static str,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RouteChoice {
    /// 1-based number of the rule that matched.
    pub rule: usize,
    pub line: usize,
    pub condition: String,
    pub target: Target,
    /// The member chosen by the team's distribution, if any.
    pub member: Option<String>,
    /// `true` when every member of the team is at capacity.
    pub at_capacity: bool,
    /// The rules tried before, and why they did not match.
    pub tried: Vec<TriedRule>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// `team`, `queue` or `owner`.
    pub kind: &'static str,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TriedRule {
    pub rule: usize,
    pub line: usize,
    pub condition: String,
    /// `false` or `missing`.
    pub result: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct EscalationStatus {
    pub step: usize,
    pub line: usize,
    pub after: String,
    pub business_hours: Option<String>,
    pub since: String,
    /// `not_started`, `stopped`, `pending` or `overdue`.
    pub status: &'static str,
    pub due_at: Option<String>,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlaybookChoice {
    pub name: String,
    pub persona: Option<String>,
    pub outcome: Option<String>,
    pub touches: Vec<Touch>,
    pub collect: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Touch {
    pub channel: String,
    pub template: String,
    pub after: Option<String>,
    /// `false` when consent for the channel is missing.
    pub allowed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Packet {
    pub owner_role: String,
    pub fields: Vec<PacketField>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PacketField {
    pub field: String,
    pub label: Option<String>,
    pub value: serde_json::Value,
    pub masked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DebriefStatus {
    pub field: String,
    /// `not_started`, `done`, `pending` or `overdue`.
    pub status: &'static str,
    pub due_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverrideRule {
    pub allowed_by: Vec<String>,
    pub reason_required: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricValue {
    /// The per-lead value (a duration like `3h20m` or a number), or null.
    pub value: serde_json::Value,
    /// Whether the value meets the target; null without a value or target.
    pub meets_target: Option<bool>,
    /// For `share of ... among ...`: whether the lead counts in each part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareCounts>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShareCounts {
    pub of: Option<bool>,
    pub among: Option<bool>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SchemaIssue {
    pub field: String,
    pub expected: String,
    pub found: String,
}
