//! The parts of a decision, in the order of [`Decision`]'s fields: the
//! policy and handoff it names, the readiness of each stage, signals,
//! missing context, quality, consent, route, escalations, playbook,
//! packet, debrief, overrides, metrics and schema issues, and what the
//! lead gave the fields the policy reads (for the decision log).

use std::fmt;

use serde::ser::Serializer;
use serde::Serialize;

use super::text::opt_timestamp;
#[cfg(doc)] // for the doc links
use super::Decision;
use super::{Named, PText, Text};
use crate::value::Val;

/// What a lead gave each field the policy reads (see [`Decision::read`]).
#[derive(Debug, Clone)]
pub struct Reads<'p> {
    /// A JSON object: field path -> value, `null` when missing, `"•••"` for
    /// a value present in a masked field.
    pub values: Vec<u8>,
    /// The fields masked as personal data, as a JSON array of paths.
    pub masked: &'p str,
}

/// The policy that made a decision (JSON `policy`): its name, version and
/// content hash. Made once per compiled policy and shared by its decisions.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRef {
    // private, and read through methods: `head` is made from them once
    name: PText,
    version: Option<PText>,
    hash: PText,
    /// The JSON every decision of this policy starts with, up to the time
    /// of evaluation: `{"policy":{"name":…,"version":…,"hash":…},"evaluated_at":`.
    #[serde(skip)]
    head: Box<str>,
}

impl PolicyRef {
    /// Makes the reference from the header's name and `version` and the
    /// hash (64 lowercase hex digits), and prepares the JSON that starts
    /// every decision.
    pub fn new(name: PText, version: Option<PText>, hash: PText) -> PolicyRef {
        let version_json = version.as_ref().map_or("null", |v| v.t().json());
        let head = format!(
            "{{\"policy\":{{\"name\":{},\"version\":{},\"hash\":{}}},\"evaluated_at\":",
            name.t().json(),
            version_json,
            hash.t().json()
        );
        PolicyRef {
            name,
            version,
            hash,
            head: head.into(),
        }
    }

    /// The name in the `policy "NAME" { }` header (JSON `name`).
    pub fn name(&self) -> &PText {
        &self.name
    }

    /// The header's `version`; `None` (JSON `null`) without one.
    pub fn version(&self) -> Option<&PText> {
        self.version.as_ref()
    }

    /// The SHA-256 of the policy's source files, in hex.
    pub fn hash(&self) -> &PText {
        &self.hash
    }

    /// The JSON a decision of this policy starts with (see the field).
    pub(crate) fn head_json(&self) -> &str {
        &self.head
    }
}

/// A handoff of the policy, as a decision names it (JSON `handoff`): its
/// stages, label and roles.
#[derive(Debug, Clone, Serialize)]
pub struct HandoffRef {
    /// The stage the lead leaves.
    pub from: PText,
    /// The stage the lead enters.
    pub to: PText,
    /// The handoff's label, such as `Marketing to SDR`; `None` (JSON
    /// `null`) without one.
    pub label: Option<PText>,
    /// The role that starts the handoff.
    pub initiated_by: PText,
    /// The role that confirms the lead is ready.
    pub validated_by: PText,
    /// The role that owns the lead in the next stage; the packet is
    /// prepared for it.
    pub owned_by: PText,
}

/// One handoff of the policy and whether the lead is ready for it (an entry
/// of `stages`).
#[derive(Debug, Clone, Serialize)]
pub struct StageReadiness<'p> {
    /// The handoff's `from` stage.
    pub from: Text<'p>,
    /// The handoff's `to` stage.
    pub to: Text<'p>,
    /// `true` when every `ready when` of the handoff is true; a condition
    /// that is missing (unknown) counts as not met.
    pub ready: bool,
    /// The parts of `ready when` that were not met (`missing` when a field they read was missing).
    pub unmet: Vec<Unmet<'p>>,
}

/// A `ready when` condition that is not true. A condition that is an
/// `all { ... }` block gives one entry per member that is not true; any
/// other condition is listed as a whole.
#[derive(Debug, Clone, Serialize)]
pub struct Unmet<'p> {
    /// The 1-based policy line where the condition (or block member) starts.
    pub line: usize,
    /// The condition as written in the policy, on one line (see
    /// `condition` in `docs/decision.md`, *Conventions*).
    pub condition: Text<'p>,
    /// `false`, or `missing` when the outcome was unknown for lack of data.
    pub result: &'static str,
}

/// The value of one signal for the lead (an entry of `signals`).
#[derive(Debug, Clone, Serialize)]
pub struct SignalValue<'p> {
    /// `true`, `false` or `null` (missing).
    pub value: Option<bool>,
    /// The fields it read and their values (with `--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads: Option<Named<'p, Val>>,
}

/// A `require` line of the applicable handoff that the lead does not meet
/// (an entry of `missing_context`).
#[derive(Debug, Clone, Serialize)]
pub struct MissingContext<'p> {
    /// The dotted path of the required field, such as `contact.email`.
    pub field: Text<'p>,
    /// The label of the `require` line; `None` (JSON `null`) without one.
    pub label: Option<Text<'p>>,
    /// `missing`, `too_few`, `bad_format` or `stale`.
    pub problem: &'static str,
    /// The 1-based policy line of the `require` entry.
    pub line: usize,
}

/// A quality rule of the applicable handoff that fired (an entry of
/// `quality`).
#[derive(Debug, Clone, Serialize)]
pub struct QualityFlag<'p> {
    /// The rule's name: written `name:` before the rule, or else made from
    /// its message (`Contact data is stale` is `contact_data_is_stale`),
    /// with `_2`, `_3` added to tell equal ones apart. Stable while the
    /// policy text of the rule is.
    pub name: Text<'p>,
    /// `block` (the lead must not be handed over) or `review` (a person
    /// looks first).
    pub severity: crate::ast::QualitySeverity,
    /// The rule's message, as written in the policy.
    pub message: Text<'p>,
    /// The 1-based policy line where the rule's `when` condition starts.
    pub line: usize,
}

/// The consent of the lead for the applicable handoff's channels (JSON
/// `consent`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Consent<'p> {
    /// The channels whose consent field is not `true`. A consent rule whose
    /// `when` is false does not apply; one whose `when` is missing does.
    pub blocked_channels: Vec<ConsentBlock<'p>>,
}

/// A channel without consent (an entry of `consent.blocked_channels`).
#[derive(Debug, Clone, Serialize)]
pub struct ConsentBlock<'p> {
    /// The channel, such as `email` or `phone`; touches on it have
    /// `allowed: false`.
    pub channel: Text<'p>,
    /// The dotted path of the consent field.
    pub field: Text<'p>,
    /// `false` or `missing`.
    pub found: &'static str,
    /// The 1-based policy line of the consent rule.
    pub line: usize,
}

/// Who gets the lead: the `route` rule that matched (JSON `route`).
#[derive(Debug, Clone, Serialize)]
pub struct RouteChoice<'p> {
    /// 1-based number of the rule that matched.
    pub rule: usize,
    /// The 1-based policy line of the rule.
    pub line: usize,
    /// The rule as written in the policy, target included, on one line:
    /// `when enterprise and emea -> team emea_ae`.
    pub condition: Text<'p>,
    /// Where the lead goes: a team, a queue or an owner.
    pub target: &'p Target,
    /// The member chosen by the team's distribution, if any.
    /// For an `owner` target, the owner's ID. `None` (JSON `null`) for a
    /// queue, a team without `distribute`, and a team whose members are all
    /// at capacity.
    pub member: Option<Text<'p>>,
    /// `true` when every member of the team is at capacity.
    /// Only a `least_loaded` team can be; nobody is picked then, and a ready
    /// lead becomes `review`.
    pub at_capacity: bool,
    /// The rules tried before, and why they did not match.
    pub tried: Vec<TriedRule<'p>>,
}

/// The target of a route rule (JSON `route.target`).
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// `team`, `queue` or `owner`.
    pub kind: &'static str,
    /// The team or queue name, or the owner's ID.
    pub name: PText,
}

/// A route rule before the one that matched, and why it did not match (an
/// entry of `route.tried`).
#[derive(Debug, Clone, Serialize)]
pub struct TriedRule<'p> {
    /// The 1-based number of the rule in the handoff's `route` block.
    pub rule: usize,
    /// The 1-based policy line of the rule.
    pub line: usize,
    /// The rule as written in the policy, on one line.
    pub condition: Text<'p>,
    /// `false` or `missing`.
    pub result: &'static str,
}

/// One step of the applicable handoff's `escalate` block and where it
/// stands (an entry of `escalations`, or `next_escalation`).
#[derive(Debug, Clone, Serialize)]
pub struct EscalationStatus<'p> {
    /// The 1-based number of the step in the `escalate` block.
    pub step: usize,
    /// The step's name: written `name:` before the step, or else
    /// `after_` and its delay (`after_4h`), with `_2`, `_3` added to tell
    /// equal ones apart.
    pub name: Text<'p>,
    /// The 1-based policy line where the step starts.
    pub line: usize,
    /// The step's delay as a compact duration (`"4h"`, `"2d"`); a delay in
    /// business hours that is a whole number of hours is written in hours
    /// (`"24h"`, not `"1d"`).
    pub after: Text<'p>,
    /// The name of the calendar the delay is counted in; `None` (JSON
    /// `null`) when it is counted in calendar time.
    pub business_hours: Option<Text<'p>>,
    /// The dotted path of the timestamp field that starts the clock.
    pub since: Text<'p>,
    /// `not_started`, `stopped`, `pending` or `overdue`.
    pub status: &'static str,
    /// When the step is (or was) due: `since` plus `after`, counted in open
    /// hours when there is a calendar; written as RFC 3339 text in UTC.
    /// `None` (JSON `null`) when `not_started`, or when no due time exists
    /// (a calendar that never opens, a date out of range).
    #[serde(serialize_with = "opt_timestamp")]
    pub due_at: Option<jiff::Timestamp>,
    /// The step's actions, in order: `notify ROLE`, `notify ROLE: MESSAGE`
    /// or `reassign to KIND NAME`.
    pub actions: &'p [PText],
    /// The same actions as data (JSON `action_items`), for programs to act
    /// on without reading the text.
    pub action_items: &'p [Action],
}

/// One action of an escalation step as data (an entry of
/// `escalations[].action_items`).
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// `notify` or `reassign`.
    pub kind: &'static str,
    /// The role to notify; `None` (JSON `null`) for `reassign`.
    pub role: Option<PText>,
    /// Where to reassign the lead; `None` (JSON `null`) for `notify`.
    pub target: Option<Target>,
    /// The message of a `notify`; `None` (JSON `null`) without one.
    pub message: Option<PText>,
}

/// The playbook the applicable handoff chose (JSON `playbook`).
#[derive(Debug, Clone, Serialize)]
pub struct PlaybookChoice<'p> {
    /// The playbook's name.
    pub name: Text<'p>,
    /// Its `persona`; `None` (JSON `null`) without one.
    pub persona: Option<Text<'p>>,
    /// Its `outcome`; `None` (JSON `null`) without one.
    pub outcome: Option<Text<'p>>,
    /// Its touches, in order, each with whether it may be used.
    pub touches: Vec<Touch<'p>>,
    /// The dotted paths of the fields the owner should fill in.
    pub collect: &'p [PText],
    /// The 1-based policy line of the `playbook` rule that chose it (not
    /// in JSON; `handoff diff` names it).
    #[serde(skip)]
    pub line: usize,
    /// That rule as written, on one line: `playbook fast_track when
    /// asked_for_demo` (not in JSON).
    #[serde(skip)]
    pub rule: Text<'p>,
}

/// One touch of the chosen playbook (an entry of `playbook.touches`).
#[derive(Debug, Clone, Serialize)]
pub struct Touch<'p> {
    /// The channel, such as `email`, `call` or `meeting`.
    pub channel: Text<'p>,
    /// The template, script or agenda to use.
    pub template: Text<'p>,
    /// The delay from the start of the playbook, as a compact duration
    /// (`"1d"`); `None` (JSON `null`) for an immediate touch.
    pub after: Option<Text<'p>>,
    /// `false` when consent for the channel is missing.
    pub allowed: bool,
}

/// The context prepared for the next owner (JSON `packet`).
#[derive(Debug, Clone, Serialize)]
pub struct Packet<'p> {
    /// The role the packet is prepared for: the handoff's `owned_by`.
    pub owner_role: Text<'p>,
    /// One entry per `require` line of the handoff, in policy order,
    /// whether or not the field is present.
    pub fields: Vec<PacketField<'p>>,
}

/// A value in the packet: from the lead, or masked.
#[derive(Debug, Clone)]
pub enum PacketValue {
    /// A value as the policy reads it: timestamps in UTC, durations in
    /// compact form; a missing value is written as `null`.
    Value(Val),
    /// A field that travels whole (a list or record), as the JSON given.
    Json(serde_json::Value),
    /// JSON text exactly as serde_json writes the value (compact, keys in
    /// order): the fast reader keeps a field's own text when it already has
    /// that form, instead of building a `Value`.
    RawJson(Box<str>),
    /// A present `pii` field the owner role may not see, written as `"•••"`.
    Masked,
}

impl Serialize for PacketValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PacketValue::Value(v) => v.serialize(s),
            PacketValue::Json(j) => j.serialize(s),
            PacketValue::RawJson(t) => serde_json::from_str::<serde_json::Value>(t)
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
            PacketValue::Masked => s.serialize_str("•••"),
        }
    }
}

impl PacketValue {
    /// Whether it is written as `null` (the field is missing): a missing
    /// `Val` or a JSON `null` (a [`PacketValue::RawJson`] never counts).
    pub fn is_null(&self) -> bool {
        matches!(self, PacketValue::Value(Val::Missing))
            || matches!(self, PacketValue::Json(serde_json::Value::Null))
    }
}

impl fmt::Display for PacketValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

/// One required field in the packet (an entry of `packet.fields`).
#[derive(Debug, Clone, Serialize)]
pub struct PacketField<'p> {
    /// The dotted path of the field.
    pub field: Text<'p>,
    /// The label of the `require` line, the field's name in the owner's
    /// words; `None` (JSON `null`) without one.
    pub label: Option<Text<'p>>,
    /// The value as read from the lead; `null` when the field is missing
    /// (including placeholders and values of the wrong type), `"•••"` when
    /// it is masked and present.
    pub value: PacketValue,
    /// `true` when the field is declared `pii` and the owner role is not in
    /// its `visible to` list (a policy that checks clean never has one).
    pub masked: bool,
}

/// The debrief of the applicable handoff (JSON `debrief`).
#[derive(Debug, Clone, Serialize)]
pub struct DebriefStatus<'p> {
    /// The dotted path of the debrief field (`requires PATH`).
    pub field: Text<'p>,
    /// `not_started`, `done`, `pending` or `overdue`.
    pub status: &'static str,
    /// The `since` timestamp plus `within`, in calendar time, written as
    /// RFC 3339 text in UTC; `None` (JSON `null`) when `done` or
    /// `not_started`.
    #[serde(serialize_with = "opt_timestamp")]
    pub due_at: Option<jiff::Timestamp>,
}

/// Who may override the decision by hand (JSON `overrides`).
#[derive(Debug, Clone, Serialize)]
pub struct OverrideRule {
    /// The roles that may override the decision.
    pub allowed_by: Vec<PText>,
    /// `true` when an override must state a reason (`with reason`).
    pub reason_required: bool,
}

/// The value of one metric for the lead (an entry of `metrics`).
#[derive(Debug, Clone, Serialize)]
pub struct MetricValue {
    /// The per-lead value (a duration like `3h20m` or a number), or null.
    pub value: Val,
    /// Whether the value meets the target; null without a value or target.
    pub meets_target: Option<bool>,
    /// For `share of ... among ...`: whether the lead counts in each part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareCounts>,
}

/// Whether the lead counts in each part of a share metric (JSON
/// `metrics.NAME.share`). The share over a set of decisions is the number
/// with `among` and `of` both `true` over the number with `among` `true`.
#[derive(Debug, Clone, Serialize)]
pub struct ShareCounts {
    /// The `share of` condition for this lead; `None` (JSON `null`) when
    /// missing.
    pub of: Option<bool>,
    /// The `among` condition for this lead; `Some(true)` when the metric
    /// has no `among`, `None` (JSON `null`) when missing.
    pub among: Option<bool>,
}

/// A value of the lead that does not fit the schema declared in the
/// policy's `lead { }` block (an entry of `schema_issues`). The value reads
/// as missing.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SchemaIssue {
    /// The dotted path of the field (the list's path for a bad element).
    pub field: String,
    /// The type declared in the policy, such as `int`, `timestamp` or
    /// `enum("EMEA", "NA")`.
    pub expected: String,
    /// The value found: a string in double quotes (cut after 40 characters,
    /// ending with `…`), a number, `true` or `false`, `a list` or
    /// `an object`.
    pub found: String,
}
