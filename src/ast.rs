//! The abstract syntax tree of a policy file, as written.
//!
//! Produced by [`crate::syntax`] from pest pairs, consumed by
//! [`crate::check`]. Every node carries the [`Span`] of the text it came
//! from; names are still strings here (the compiled IR resolves them). Each
//! variant's doc comment shows the surface syntax it stands for.

use crate::span::{FileId, Span};

/// A name as written: `engaged`, `sdr_manager`.
#[derive(Clone, Debug)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal, unescaped: `"Why they raised their hand"`.
#[derive(Clone, Debug)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// A dotted field path: `company.employees`, or `a.kind` inside a lambda.
#[derive(Clone, Debug)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    /// The path as written, `company.employees`.
    pub fn dotted(&self) -> String {
        let mut s = String::new();
        for (i, seg) in self.segments.iter().enumerate() {
            if i > 0 {
                s.push('.');
            }
            s.push_str(&seg.name);
        }
        s
    }
}

/// A duration literal in whole seconds, with its span: `4h`, `2d`, `1h30m`.
#[derive(Clone, Copy, Debug)]
pub struct DurationLit {
    pub seconds: i64,
    pub span: Span,
}

/// A number literal with its span: `40`, `2.5`.
#[derive(Clone, Copy, Debug)]
pub struct NumLit {
    pub value: f64,
    pub span: Span,
}

/// One parsed file.
#[derive(Clone, Debug)]
pub struct Module {
    pub file: FileId,
    pub items: Vec<Item>,
}

/// A top-level declaration with its doc comment (`/// ...` lines above it).
#[derive(Clone, Debug)]
pub struct Item {
    pub doc: Option<String>,
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    /// `import "shared/schema.handoff"`
    Import(StrLit),
    /// `policy "Inbound demand" { version "1" owner "x" applies_to expr }`
    Policy(PolicyHeader),
    /// `lead { id: string ... }`
    Lead(Schema),
    /// `roles marketing, sdr, sdr_manager`
    Roles(Vec<Ident>),
    /// `stages mql, sal, sql tracked by lifecycle.stage`
    Stages(Stages),
    /// `team emea_sdr of sdr { members "alice" weight 2 ... }`
    Team(Team),
    /// `queue unassigned "Leads nobody owns yet"`
    Queue(Queue),
    /// `calendar emea_hours { timezone "Europe/Berlin" mon-fri 09:00-17:30 }`
    Calendar(Calendar),
    /// `signal engaged = engagement.score >= 40 "Scored 40+"`
    Signal(Signal),
    /// `score fit { points 20 when engaged  cap 100 }`
    Score(Score),
    /// `handoff mql -> sal { ... }`
    Handoff(Box<Handoff>),
    /// `playbook fast_track { persona "..." touches email "intro" }`
    Playbook(Playbook),
    /// `metric time_to_first_contact = a - b target <= 4h`
    Metric(Metric),
}

/// `policy "Name" { ... }`
#[derive(Clone, Debug)]
pub struct PolicyHeader {
    pub name: StrLit,
    pub version: Vec<StrLit>,
    pub owner: Vec<StrLit>,
    pub description: Vec<StrLit>,
    /// `applies_to source in ["web", "event"]`: the pilot scope.
    pub applies_to: Vec<Expr>,
}

/// `lead { ... }`: the record schema plus PII and placeholder declarations.
#[derive(Clone, Debug)]
pub struct Schema {
    pub fields: Vec<FieldDecl>,
    pub pii: Vec<PiiDecl>,
    pub placeholders: Vec<PlaceholderDecl>,
    pub span: Span,
}

/// `employees: int?` or `contact { ... }`
#[derive(Clone, Debug)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

/// A type as written, with `optional` set by a trailing `?`.
#[derive(Clone, Debug)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub optional: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeKind {
    /// `string`
    String,
    /// `int`
    Int,
    /// `number`
    Number,
    /// `bool`
    Bool,
    /// `timestamp`
    Timestamp,
    /// `duration`
    Duration,
    /// `email`
    Email,
    /// `enum("NA", "EMEA")`
    Enum(Vec<StrLit>),
    /// `list<string>`
    List(Box<TypeExpr>),
    /// `{ kind: string, at: timestamp }`
    Record(Vec<FieldDecl>),
}

/// `pii contact.email, contact.phone visible to account_executive`
#[derive(Clone, Debug)]
pub struct PiiDecl {
    pub paths: Vec<Path>,
    pub visible_to: Vec<Ident>,
    pub span: Span,
}

/// `treat "Select", "N/A" as missing in company.industry`
#[derive(Clone, Debug)]
pub struct PlaceholderDecl {
    pub values: Vec<StrLit>,
    /// `as missing exactly`: compared as written (by default, values are
    /// trimmed and compared ignoring case).
    pub exact: bool,
    /// Empty: applies to every string field.
    pub paths: Vec<Path>,
    pub span: Span,
}

/// `stages mql, sal, sql tracked by lifecycle.stage`
#[derive(Clone, Debug)]
pub struct Stages {
    pub names: Vec<Ident>,
    pub tracked_by: Option<Path>,
}

/// `team name of role { members ...  distribute strategy state "key" }`
#[derive(Clone, Debug)]
pub struct Team {
    pub name: Ident,
    pub role: Ident,
    pub members: Vec<Member>,
    pub distribute: Vec<Distribute>,
}

/// `"alice@example.com" weight 2 capacity 20`
#[derive(Clone, Debug)]
pub struct Member {
    pub id: StrLit,
    pub weight: Option<NumLit>,
    pub capacity: Option<NumLit>,
    pub span: Span,
}

/// `distribute round_robin state "emea_sdr"`
#[derive(Clone, Debug)]
pub struct Distribute {
    pub strategy: Ident,
    pub state: Option<StrLit>,
    pub span: Span,
}

/// `queue unassigned "description"`
#[derive(Clone, Debug)]
pub struct Queue {
    pub name: Ident,
    pub description: Option<StrLit>,
}

/// `calendar name { timezone "..."  mon-fri 09:00-17:30  holidays 2025-12-25 }`
#[derive(Clone, Debug)]
pub struct Calendar {
    pub name: Ident,
    pub timezone: Vec<StrLit>,
    pub hours: Vec<Hours>,
    pub holidays: Vec<DateLit>,
    pub span: Span,
}

/// A calendar date: `2025-12-25`.
#[derive(Clone, Copy, Debug)]
pub struct DateLit {
    pub date: jiff::civil::Date,
    pub span: Span,
}

/// `mon-fri 09:00-12:00, 13:00-17:30`
#[derive(Clone, Debug)]
pub struct Hours {
    /// Days of the week, Monday = 0.
    pub days: Vec<u8>,
    /// Opening ranges in minutes after midnight, `(start, end)`.
    pub ranges: Vec<(u16, u16, Span)>,
    pub span: Span,
}

/// `signal name = expr "description"`
#[derive(Clone, Debug)]
pub struct Signal {
    pub name: Ident,
    pub expr: Expr,
    pub description: Option<StrLit>,
}

/// `score name "label" { points ...  cap N  decay half_life D since path }`
#[derive(Clone, Debug)]
pub struct Score {
    pub name: Ident,
    pub label: Option<StrLit>,
    pub terms: Vec<ScoreTerm>,
    pub cap: Vec<NumLit>,
    pub decay: Vec<Decay>,
}

/// `points 20 when engaged` or `points 2 per count(engagement.activities)`
#[derive(Clone, Debug)]
pub struct ScoreTerm {
    pub points: NumLit,
    pub per: bool,
    pub expr: Expr,
    pub span: Span,
}

/// `decay half_life 14d since engagement.last_activity_at`
#[derive(Clone, Debug)]
pub struct Decay {
    pub half_life: DurationLit,
    pub since: Path,
    pub span: Span,
}

/// `handoff from -> to "label" { ... }`
#[derive(Clone, Debug)]
pub struct Handoff {
    pub from: Ident,
    pub to: Ident,
    pub label: Option<StrLit>,
    pub initiated_by: Vec<Ident>,
    pub validated_by: Vec<Ident>,
    pub owned_by: Vec<Ident>,
    pub ready: Vec<Expr>,
    pub require: Vec<Requirement>,
    pub quality: Vec<QualityRule>,
    pub consent: Vec<ConsentRule>,
    pub routes: Vec<Route>,
    pub escalations: Vec<Vec<Escalation>>,
    pub playbooks: Vec<PlaybookSelect>,
    pub debrief: Vec<Debrief>,
    pub overrides: Vec<Overrides>,
    /// `missing_context hold` (true) or `review` (false, the default),
    /// with where it is written; more than one is an error.
    pub missing_context: Vec<(bool, Span)>,
    /// The span of `handoff from -> to`, for messages about the whole handoff.
    pub head_span: Span,
}

/// `context.pain_points at least 1 "Pain points"` inside `require { }`
#[derive(Clone, Debug)]
pub struct Requirement {
    pub path: Path,
    pub at_least: Option<(u32, Span)>,
    pub format: Option<Format>,
    pub within: Option<DurationLit>,
    pub label: Option<StrLit>,
    pub span: Span,
}

/// `format email` or `format "^\\+[0-9 ]+$"`
#[derive(Clone, Debug)]
pub enum Format {
    Named(Ident),
    Regex(StrLit),
}

/// `block "Contact data is stale" when since(contact.updated_at) > 180d`
#[derive(Clone, Debug)]
pub struct QualityRule {
    /// `stale_contact:` before the rule; decisions name it so.
    pub name: Option<Ident>,
    pub severity: QualitySeverity,
    pub message: StrLit,
    pub when: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QualitySeverity {
    /// `block`: the handoff must not happen.
    Block,
    /// `review`: a person looks first.
    Review,
}

/// `email requires consent.email when company.region == "EMEA"`
#[derive(Clone, Debug)]
pub struct ConsentRule {
    pub channel: Ident,
    pub field: Path,
    pub when: Option<Expr>,
    pub span: Span,
}

/// `route { when ... -> team x  otherwise -> queue y }`
#[derive(Clone, Debug)]
pub struct Route {
    pub rules: Vec<RouteRule>,
    pub span: Span,
}

/// `when expr -> target`; `when` is `None` for `otherwise -> target`.
#[derive(Clone, Debug)]
pub struct RouteRule {
    pub when: Option<Expr>,
    pub target: Target,
    pub span: Span,
}

/// Where a lead goes.
#[derive(Clone, Debug)]
pub enum Target {
    /// `team enterprise_ae`
    Team(Ident),
    /// `queue unassigned`
    Queue(Ident),
    /// `owner "ae.carla"`
    Owner(StrLit),
}

impl Target {
    pub fn span(&self) -> Span {
        match self {
            Target::Team(i) | Target::Queue(i) => i.span,
            Target::Owner(s) => s.span,
        }
    }
}

/// `after 4h business hours of emea since x unless y -> notify r "msg"`
#[derive(Clone, Debug)]
pub struct Escalation {
    /// `no_first_contact:` before the step; decisions name it so.
    pub name: Option<Ident>,
    pub after: DurationLit,
    pub calendar: Option<Ident>,
    pub since: Path,
    pub unless: Option<Path>,
    pub actions: Vec<Action>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Action {
    /// `notify sdr_manager "No first contact within 4 business hours"`
    Notify {
        role: Ident,
        message: Option<StrLit>,
    },
    /// `reassign team sdr_pool`
    Reassign(Target),
}

/// `playbook name when expr` or `playbook name otherwise`
#[derive(Clone, Debug)]
pub struct PlaybookSelect {
    pub name: Ident,
    pub when: Option<Expr>,
    pub span: Span,
}

/// `debrief within 2d since lifecycle.handed_off_at requires lifecycle.debrief`
#[derive(Clone, Debug)]
pub struct Debrief {
    pub within: DurationLit,
    pub since: Path,
    pub field: Path,
    pub span: Span,
}

/// `overrides allowed by sdr_manager with reason`
#[derive(Clone, Debug)]
pub struct Overrides {
    pub roles: Vec<Ident>,
    pub reason_required: bool,
    pub span: Span,
}

/// `playbook name { persona "..." segment "..." touches ... collect ... outcome "..." }`
#[derive(Clone, Debug)]
pub struct Playbook {
    pub name: Ident,
    pub persona: Vec<StrLit>,
    pub segment: Vec<StrLit>,
    pub touches: Vec<Touch>,
    pub collect: Vec<Path>,
    pub outcome: Vec<StrLit>,
}

/// `call "discovery-script" after 1d`
#[derive(Clone, Debug)]
pub struct Touch {
    pub channel: Ident,
    pub template: StrLit,
    pub after: Option<DurationLit>,
    pub span: Span,
}

/// `metric name "label" = body target <= 4h`
#[derive(Clone, Debug)]
pub struct Metric {
    pub name: Ident,
    pub label: Option<StrLit>,
    pub body: MetricBody,
    pub target: Option<MetricTarget>,
}

#[derive(Clone, Debug)]
pub enum MetricBody {
    /// `lifecycle.first_contact_at - lifecycle.handed_off_at`: a per-lead value.
    Value(Expr),
    /// `share of present(x) among present(y)`: a ratio over a batch.
    Share { of: Expr, among: Option<Expr> },
}

/// `target <= 4h`
#[derive(Clone, Debug)]
pub struct MetricTarget {
    pub op: BinOp,
    pub value: Expr,
    pub span: Span,
}

/// An expression.
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    /// `40`, `2.5`, `30%` (stored as 0.3)
    Number(f64),
    /// `"EMEA"`
    Str(String),
    /// `true`
    Bool(bool),
    /// `4h`, `2d`, `1w` in seconds
    Duration(i64),
    /// `2025-06-01T12:00:00Z`, or a date `2025-06-01` (midnight UTC)
    Timestamp(jiff::Timestamp),
    /// `now`
    Now,
    /// `company.employees`, `engaged`
    Path(Path),
    /// `["web", "event"]`
    List(Vec<Expr>),
    /// `not x`, `-x`
    Unary(UnOp, Box<Expr>),
    /// `a and b`, `x >= 3`, `x in [..]`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `count(context.pain_points)`, `any(intent, i -> i == "pricing")`
    Call(Ident, Vec<Expr>),
    /// `i -> i == "pricing"` (only as a function argument)
    Lambda(Ident, Box<Expr>),
    /// `all { a, b }`
    All(Vec<Expr>),
    /// `any { a, b }`
    Any(Vec<Expr>),
    /// `at least 2 of { a, b, c }`
    AtLeast(u32, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

/// Whether two dotted paths are the same field, or one contains the other.
pub fn overlaps(a: &str, b: &str) -> bool {
    a == b
        || (a.len() > b.len() && a.starts_with(b) && a.as_bytes()[b.len()] == b'.')
        || (b.len() > a.len() && b.starts_with(a) && b.as_bytes()[a.len()] == b'.')
}
