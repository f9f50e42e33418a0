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

use std::fmt;
use std::ops::Deref;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::value::Val;

/// A text owned by the compiled policy, with its JSON form.
#[derive(Debug, Clone)]
pub struct PText {
    text: String,
    json: Box<RawValue>,
}

impl PText {
    pub fn new(text: impl Into<String>) -> PText {
        let text = text.into();
        let json = serde_json::value::to_raw_value(&text).expect("a string always serializes");
        PText { text, json }
    }

    /// Borrows it for a decision.
    pub fn t(&self) -> Text<'_> {
        Text {
            text: &self.text,
            json: &self.json,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Deref for PText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl PartialEq<&str> for PText {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl fmt::Display for PText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

impl Serialize for PText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.t().serialize(s)
    }
}

/// A text of the policy inside a decision: reads as a `&str`, and keeps its
/// JSON string, escaped once when the policy is compiled, for the writer.
#[derive(Clone, Copy)]
pub struct Text<'p> {
    text: &'p str,
    json: &'p RawValue,
}

impl<'p> Text<'p> {
    pub fn as_str(&self) -> &'p str {
        self.text
    }

    /// The text as a JSON string literal, escaped.
    pub fn json(&self) -> &'p str {
        self.json.get()
    }
}

impl Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.text
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.text, f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.text)
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl Serialize for Text<'_> {
    // the pre-escaped form is for the hand-written writer (src/write.rs);
    // a serializer gets the text, whatever its format
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text)
    }
}

/// A moment, written as RFC 3339 in UTC without an intermediate string.
fn timestamp<S: Serializer>(t: &jiff::Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn opt_timestamp<S: Serializer>(t: &Option<jiff::Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

/// Name/value pairs in policy order, written as a JSON object.
#[derive(Debug, Clone)]
pub struct Named<'p, T> {
    pub entries: Vec<(Text<'p>, T)>,
}

impl<T> Default for Named<'_, T> {
    fn default() -> Self {
        Named {
            entries: Vec::new(),
        }
    }
}

impl<'p, T> Named<'p, T> {
    pub fn get(&self, name: &str) -> Option<&T> {
        self.entries
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }
}

impl<T> std::ops::Index<&str> for Named<'_, T> {
    type Output = T;
    /// The entry named `name`; panics when there is none, like a map.
    fn index(&self, name: &str) -> &T {
        self.get(name)
            .unwrap_or_else(|| panic!("no entry named `{name}`"))
    }
}

impl<T: Serialize> Serialize for Named<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            // map keys must be plain strings for serde_json
            m.serialize_entry(k.as_str(), v)?;
        }
        m.end()
    }
}

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
    Policy(Text<'p>),
    Lead(String),
}

impl Reason<'_> {
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

#[derive(Debug, Clone, Serialize)]
pub struct Decision<'p> {
    pub policy: &'p PolicyRef,
    #[serde(serialize_with = "timestamp")]
    pub evaluated_at: jiff::Timestamp,
    pub lead_id: Option<String>,
    pub verdict: Verdict,
    /// Why the verdict, in order of importance.
    pub reasons: Vec<Reason<'p>>,
    /// The handoff that applies to the lead's current stage.
    pub handoff: Option<&'p HandoffRef>,
    /// Every handoff of the policy and whether the lead is ready for it.
    pub stages: Vec<StageReadiness<'p>>,
    pub signals: Named<'p, SignalValue<'p>>,
    pub scores: Named<'p, Number>,
    pub missing_context: Vec<MissingContext<'p>>,
    pub quality: Vec<QualityFlag<'p>>,
    pub consent: Consent<'p>,
    pub route: Option<RouteChoice<'p>>,
    pub escalations: Vec<EscalationStatus<'p>>,
    pub next_escalation: Option<EscalationStatus<'p>>,
    pub playbook: Option<PlaybookChoice<'p>>,
    pub packet: Option<Packet<'p>>,
    pub debrief: Option<DebriefStatus<'p>>,
    pub overrides: Option<&'p OverrideRule>,
    pub metrics: Named<'p, MetricValue>,
    pub schema_issues: Vec<SchemaIssue>,
}

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

    pub fn name(&self) -> &PText {
        &self.name
    }

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

#[derive(Debug, Clone, Serialize)]
pub struct HandoffRef {
    pub from: PText,
    pub to: PText,
    pub label: Option<PText>,
    pub initiated_by: PText,
    pub validated_by: PText,
    pub owned_by: PText,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageReadiness<'p> {
    pub from: Text<'p>,
    pub to: Text<'p>,
    pub ready: bool,
    /// The parts of `ready when` that were not met (`missing` when a field they read was missing).
    pub unmet: Vec<Unmet<'p>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unmet<'p> {
    pub line: usize,
    pub condition: Text<'p>,
    /// `false`, or `missing` when the outcome was unknown for lack of data.
    pub result: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignalValue<'p> {
    /// `true`, `false` or `null` (missing).
    pub value: Option<bool>,
    /// The fields it read and their values (with `--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads: Option<Named<'p, Val>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MissingContext<'p> {
    pub field: Text<'p>,
    pub label: Option<Text<'p>>,
    /// `missing`, `too_few`, `bad_format` or `stale`.
    pub problem: &'static str,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct QualityFlag<'p> {
    pub severity: crate::ast::QualitySeverity,
    pub message: Text<'p>,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Consent<'p> {
    pub blocked_channels: Vec<ConsentBlock<'p>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsentBlock<'p> {
    pub channel: Text<'p>,
    pub field: Text<'p>,
    /// `false` or `missing`.
    pub found: &'static str,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RouteChoice<'p> {
    /// 1-based number of the rule that matched.
    pub rule: usize,
    pub line: usize,
    pub condition: Text<'p>,
    pub target: &'p Target,
    /// The member chosen by the team's distribution, if any.
    pub member: Option<Text<'p>>,
    /// `true` when every member of the team is at capacity.
    pub at_capacity: bool,
    /// The rules tried before, and why they did not match.
    pub tried: Vec<TriedRule<'p>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// `team`, `queue` or `owner`.
    pub kind: &'static str,
    pub name: PText,
}

#[derive(Debug, Clone, Serialize)]
pub struct TriedRule<'p> {
    pub rule: usize,
    pub line: usize,
    pub condition: Text<'p>,
    /// `false` or `missing`.
    pub result: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct EscalationStatus<'p> {
    pub step: usize,
    pub line: usize,
    pub after: Text<'p>,
    pub business_hours: Option<Text<'p>>,
    pub since: Text<'p>,
    /// `not_started`, `stopped`, `pending` or `overdue`.
    pub status: &'static str,
    #[serde(serialize_with = "opt_timestamp")]
    pub due_at: Option<jiff::Timestamp>,
    pub actions: &'p [PText],
}

#[derive(Debug, Clone, Serialize)]
pub struct PlaybookChoice<'p> {
    pub name: Text<'p>,
    pub persona: Option<Text<'p>>,
    pub outcome: Option<Text<'p>>,
    pub touches: Vec<Touch<'p>>,
    pub collect: &'p [PText],
}

#[derive(Debug, Clone, Serialize)]
pub struct Touch<'p> {
    pub channel: Text<'p>,
    pub template: Text<'p>,
    pub after: Option<Text<'p>>,
    /// `false` when consent for the channel is missing.
    pub allowed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Packet<'p> {
    pub owner_role: Text<'p>,
    pub fields: Vec<PacketField<'p>>,
}

/// A value in the packet: from the lead, or masked.
#[derive(Debug, Clone)]
pub enum PacketValue {
    Value(Val),
    Json(serde_json::Value),
    /// JSON text exactly as serde_json writes the value (compact, keys in
    /// order): the fast reader keeps a field's own text when it already has
    /// that form, instead of building a `Value`.
    RawJson(Box<str>),
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

#[derive(Debug, Clone, Serialize)]
pub struct PacketField<'p> {
    pub field: Text<'p>,
    pub label: Option<Text<'p>>,
    pub value: PacketValue,
    pub masked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DebriefStatus<'p> {
    pub field: Text<'p>,
    /// `not_started`, `done`, `pending` or `overdue`.
    pub status: &'static str,
    #[serde(serialize_with = "opt_timestamp")]
    pub due_at: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverrideRule {
    pub allowed_by: Vec<PText>,
    pub reason_required: bool,
}

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

/// The reason of a lead in a stage no handoff leaves.
pub fn no_handoff_leaves(stage: &str) -> String {
    format!("no handoff leaves stage `{stage}`")
}
