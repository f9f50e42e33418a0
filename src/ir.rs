//! The compiled policy: what the evaluator runs.
//!
//! No names are looked up here at evaluation time: every field path is a
//! slot index into the projected lead, every signal, score, team and
//! calendar an index into a vector. Spans survive as line numbers, for the
//! explanations.

use std::collections::HashSet;
use std::sync::Arc;

use std::collections::HashMap;

use crate::ast::QualitySeverity;
use crate::decision::{Action, HandoffRef, OverrideRule, PText, PolicyRef, Target};
use crate::value::Val;

/// A compiled policy. Build it with [`crate::compile::compile`].
#[derive(Debug)]
pub struct Policy {
    /// Name, version and content hash (SHA-256 of the source files), as
    /// every decision shows them.
    pub info: PolicyRef,
    /// Texts of reasons that do not depend on a handoff.
    pub texts: FixedTexts,
    /// The lead fields the policy reads, as a tree of JSON keys.
    pub projection: Projection,
    /// One entry per top-level slot.
    pub slots: Vec<SlotInfo>,
    /// Per top-level slot: whether the decision log masks its value (the
    /// field is `pii`, is part of a `pii` field, or holds one).
    pub logged_masked: Vec<bool>,
    pub applies_to: Option<Ex>,
    pub signals: Vec<SignalIr>,
    pub scores: Vec<ScoreIr>,
    pub stage_slot: Option<u32>,
    pub handoffs: Vec<HandoffIr>,
    pub teams: Vec<TeamIr>,
    pub calendars: Vec<Calendar>,
    pub playbooks: Vec<PlaybookIr>,
    pub metrics: Vec<MetricIr>,
}

/// What a slot holds: the field path, its type and how to read it.
#[derive(Debug, Clone)]
pub struct SlotInfo {
    pub path: PText,
    pub ty: crate::types::Ty,
    /// Values that read as missing (lowercased, trimmed).
    pub placeholders: Arc<HashSet<String>>,
    /// Values that read as missing when the text is exactly one of them
    /// (`treat ... as missing exactly`).
    pub exact_placeholders: Arc<HashSet<String>>,
    /// Bit `n` is set when a placeholder is `n` bytes long (bit 63 for 63
    /// or more, and for any that is not ASCII): ASCII text of another
    /// length is not a placeholder, without a lookup.
    pub placeholder_lens: u64,
    /// `Some(roles)` when the field is PII, visible to those roles only.
    pub pii_visible_to: Option<Vec<String>>,
    /// Keep the field's JSON as given (a record or list that travels whole
    /// in the handoff packet).
    pub keep_json: bool,
}

/// A tree of JSON object keys to read. Leaves store into slots.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub keys: Vec<(String, ProjNode)>,
    /// This object level's number among all of the policy's projections
    /// (set by `Engine::new`): where the reader keeps the key order it last
    /// saw at this level.
    pub level: u32,
}

impl Projection {
    /// Numbers this level and the levels below it, from `*next` on.
    pub fn number_levels(&mut self, next: &mut u32) {
        self.level = *next;
        *next += 1;
        for (_, node) in &mut self.keys {
            match node {
                ProjNode::Leaf(_) => {}
                ProjNode::Record(p) | ProjNode::Both(_, p) => p.number_levels(next),
            }
        }
    }
}

#[derive(Debug, Clone)]
pub enum ProjNode {
    /// A value stored in `slot` (of the lead, or of a list element).
    Leaf(u32),
    /// A nested object: read its keys too.
    Record(Projection),
    /// A value in `slot` that is also an object some of whose keys are read
    /// (a record used whole and by field): rare, kept for `present(x)`.
    Both(u32, Projection),
}

/// A compiled expression. Evaluates to a [`Val`]; conditions to a
/// three-valued bool (`Val::Missing` is "unknown").
#[derive(Debug, Clone)]
pub enum Ex {
    /// `40`, `"EMEA"`, `4h`, a timestamp
    Const(Val),
    /// `now`
    Now,
    /// `company.employees`: a slot of the lead
    Slot(u32),
    /// `a.kind` inside a lambda: variable `depth` (0 = innermost), then
    /// element slot `field` (`None` for the element itself)
    Var(u32, Option<u32>),
    /// a signal by index
    Signal(u32),
    /// a score by index
    Score(u32),
    Not(Box<Ex>),
    Neg(Box<Ex>),
    And(Box<Ex>, Box<Ex>),
    Or(Box<Ex>, Box<Ex>),
    Cmp(CmpOp, Box<Ex>, Box<Ex>),
    In(bool, Box<Ex>, Box<Ex>),
    Arith(ArithOp, Box<Ex>, Box<Ex>),
    AllOf(Vec<Ex>),
    AnyOf(Vec<Ex>),
    AtLeast(u32, Vec<Ex>),
    Present(Box<Ex>),
    /// `count(list)` / `count(list, x -> cond)`
    Count(Box<Ex>, Option<Box<Ex>>),
    /// `any(list, x -> cond)`
    AnyItem(Box<Ex>, Box<Ex>),
    /// `all(list, x -> cond)`
    AllItems(Box<Ex>, Box<Ex>),
    /// other functions of one or two arguments
    Call(Func, Vec<Ex>),
    /// `[n, 3]`: a list built from expressions for each lead
    MakeList(Vec<Ex>),
    /// `matches(s, "re")` with the regex compiled once
    Matches(Box<Ex>, Arc<regex::Regex>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Since,
    Lower,
    Upper,
    Trim,
    Contains,
    StartsWith,
    EndsWith,
    Length,
    Days,
    Hours,
    Minutes,
    Min,
    Max,
}

/// Where in the policy something was written, for explanations.
#[derive(Debug, Clone)]
pub struct Origin {
    pub line: usize,
    /// The source text, as written (one line, trimmed).
    pub text: PText,
}

/// Reason texts that do not depend on a handoff.
#[derive(Debug)]
pub struct FixedTexts {
    pub out_of_scope_false: PText,
    pub out_of_scope_missing: PText,
    pub at_capacity: PText,
    pub no_consented_channel: PText,
    /// `the stage field `x` is missing`, when stages are tracked
    pub stage_missing: PText,
    /// `the policy declares no handoff`
    pub no_handoff: PText,
    /// `no handoff leaves stage `x``, for each value of the tracked enum
    /// that no handoff leaves (other values get the text built per lead)
    pub no_handoff_from: Vec<(String, PText)>,
}

#[derive(Debug)]
pub struct SignalIr {
    pub name: PText,
    pub description: Option<String>,
    pub expr: Ex,
    /// Slots the signal reads (directly), for the explanation.
    pub reads: Vec<u32>,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct ScoreIr {
    pub name: PText,
    pub terms: Vec<ScoreTermIr>,
    pub cap: Option<f64>,
    /// half-life in seconds, and the timestamp slot it counts from
    pub decay: Option<(f64, u32)>,
}

#[derive(Debug)]
pub struct ScoreTermIr {
    pub points: f64,
    pub per: bool,
    pub expr: Ex,
}

#[derive(Debug)]
pub struct HandoffIr {
    /// From, to, label and roles, as decisions show them.
    pub head: HandoffRef,
    /// `not ready for mql -> sal`
    pub not_ready: PText,
    /// `ready for mql -> sal`
    pub ready_text: PText,
    pub ready: Vec<Cond>,
    pub require: Vec<RequireIr>,
    pub quality: Vec<QualityIr>,
    pub consent: Vec<ConsentIr>,
    pub routes: Vec<RouteIr>,
    pub escalations: Vec<EscalationIr>,
    /// `playbook NAME [when ...]`: the condition (`None` for `otherwise`),
    /// the playbook's index and where the rule is written.
    pub playbooks: Vec<(Option<Cond>, u32, Origin)>,
    pub debrief: Option<DebriefIr>,
    pub overrides: Option<OverrideRule>,
    /// `missing_context hold`: a ready lead missing required context is
    /// held instead of flagged for review.
    pub hold_missing_context: bool,
}

/// A condition with where it was written.
#[derive(Debug)]
pub struct Cond {
    pub expr: Ex,
    pub origin: Origin,
    /// Top-level conjuncts, each with its origin, for "what failed".
    pub parts: Vec<(Ex, Origin)>,
}

#[derive(Debug)]
pub struct RequireIr {
    pub slot: u32,
    pub path: PText,
    pub label: Option<PText>,
    /// Reasons for each problem: missing, too few, bad format, stale.
    pub reasons: [PText; 4],
    pub at_least: Option<u32>,
    pub format: Option<FormatIr>,
    pub within: Option<i64>,
    pub origin: Origin,
}

#[derive(Debug)]
pub enum FormatIr {
    /// `format email`: the test the `email` field type makes, so that the
    /// two never disagree.
    Email,
    /// `format phone` and the other named formats.
    Named(Arc<regex::Regex>),
    /// `format "..."`: the author's own pattern.
    Regex(Arc<regex::Regex>),
}

#[derive(Debug)]
pub struct QualityIr {
    /// Its name as decisions show it (given, or made from the message).
    pub name: PText,
    pub severity: QualitySeverity,
    pub message: PText,
    /// `blocked: ...` or `review: ...`
    pub reason: PText,
    pub when: Cond,
}

#[derive(Debug)]
pub struct ConsentIr {
    pub channel: PText,
    pub slot: u32,
    pub path: PText,
    pub when: Option<Ex>,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct RouteIr {
    /// `None` for `otherwise`
    pub when: Option<Ex>,
    pub target: TargetIr,
    /// The target as decisions show it.
    pub target_ref: Target,
    pub origin: Origin,
}

/// What routing needs of a target: a team's index (its members are
/// chosen among), or the owner or queue, named by `target_ref`.
#[derive(Debug, Clone)]
pub enum TargetIr {
    Team(u32),
    Queue,
    Owner,
}

#[derive(Debug)]
pub struct EscalationIr {
    pub after: i64,
    pub calendar: Option<u32>,
    pub since: u32,
    pub since_path: PText,
    pub calendar_name: Option<PText>,
    pub unless: Option<u32>,
    /// Its name as decisions show it (given, or `after_` and the delay).
    pub name: PText,
    /// The actions as data, as decisions show them.
    pub action_items: Vec<Action>,
    /// The delay as shown in decisions (`4h`; business time in hours).
    pub after_text: PText,
    /// The actions as shown in decisions (`notify sdr_manager: ...`).
    pub action_texts: Vec<PText>,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct DebriefIr {
    pub within: i64,
    pub since: u32,
    pub field: u32,
    pub field_path: PText,
}

#[derive(Debug)]
pub struct TeamIr {
    pub name: String,
    pub members: Vec<MemberIr>,
    pub strategy: Option<Strategy>,
}

#[derive(Debug, Clone)]
pub struct MemberIr {
    pub id: PText,
    pub weight: f64,
    pub capacity: Option<u32>,
}

#[derive(Debug, Clone)]
pub enum Strategy {
    Weighted,
    RoundRobin { state: String },
    LeastLoaded { state: String },
}

#[derive(Debug)]
pub struct PlaybookIr {
    pub name: PText,
    pub persona: Option<PText>,
    /// channel, template, delay as written
    pub touches: Vec<(PText, PText, Option<PText>)>,
    pub collect: Vec<PText>,
    pub outcome: Option<PText>,
}

#[derive(Debug)]
pub struct MetricIr {
    pub name: PText,
    /// The metric's label, for reports.
    pub label: Option<PText>,
    pub body: MetricBodyIr,
    pub target: Option<(CmpOp, Val)>,
}

#[derive(Debug)]
pub enum MetricBodyIr {
    Value(Ex),
    Share { of: Ex, among: Option<Ex> },
}

/// A business calendar: opening hours per weekday in a time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub name: PText,
    pub tz: jiff::tz::TimeZone,
    /// Opening ranges in minutes after midnight, Monday = 0, sorted.
    pub week: [Vec<(u16, u16)>; 7],
    pub holidays: HashSet<jiff::civil::Date>,
}

/// The length mask of [`SlotInfo::placeholder_lens`].
pub fn placeholder_lens(placeholders: &HashSet<String>) -> u64 {
    placeholders.iter().fold(0, |mask, p| {
        if p.is_ascii() {
            mask | 1 << p.len().min(63)
        } else {
            mask | 1 << 63
        }
    })
}

/// Element frames of the lead's list slots, exposed to the evaluator.
#[derive(Debug, Default, Clone)]
pub struct ElemFrames {
    /// frame index -> (projection, slot infos, list slot -> child frame)
    pub frames: Vec<(Projection, Vec<SlotInfo>, ElemMap)>,
}

/// List slot -> the frame of its record elements, indexed by slot.
#[derive(Debug, Clone, Default)]
pub struct ElemMap(Vec<usize>);

impl ElemMap {
    const NONE: usize = usize::MAX;

    pub fn get(&self, slot: &u32) -> Option<&usize> {
        self.0.get(*slot as usize).filter(|c| **c != Self::NONE)
    }
}

impl From<HashMap<u32, usize>> for ElemMap {
    fn from(m: HashMap<u32, usize>) -> ElemMap {
        let len = m.keys().max().map_or(0, |k| *k as usize + 1);
        let mut v = vec![Self::NONE; len];
        for (k, c) in m {
            v[k as usize] = c;
        }
        ElemMap(v)
    }
}
