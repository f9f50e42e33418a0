//! Evaluation: a compiled policy and a lead record -> a [`Decision`].
//!
//! [`Engine::evaluate`] reads only the fields the policy needs (the
//! projection), evaluates signals and scores once each, and builds the
//! decision. It never fails: bad field values become schema issues.

mod calendar;
mod decide;
mod distribute;
mod expr;
mod extract;
mod handoff;
mod now;
mod reads;
mod scan;
mod text;
/// The values of leads and expressions (they live below the IR, which
/// holds constants of them).
pub(crate) use crate::value;

pub use calendar::add_business;
pub use distribute::{RunState, Turn};
pub use extract::parse_timestamp;
pub use now::parse_now;

/// The largest state file read (`--state`, the server's `--state`, a test
/// case's `state`), in bytes: 256 MiB. A state holds a turn or a count per
/// team member; a file this large is not one (and is not read to its end).
pub const MAX_STATE_BYTES: u64 = 256 * 1024 * 1024;
pub(crate) use scan::field_text;

use serde_json::Value;

use crate::decision::*;
use crate::ir::ElemFrames;
use crate::ir::*;
use decide::Cx;
use expr::Tri;
use value::Val;

/// A compiled policy ready to evaluate leads, plus the explicit state
/// (round-robin cursors, member loads) given by the caller.
#[derive(Debug)]
pub struct Engine {
    pub(crate) policy: Policy,
    frames: ElemFrames,
    state: serde_json::Map<String, Value>,
    /// Include the fields each signal read (for `--explain` and `explain`).
    pub explain: bool,
    /// Fill [`Decision::read`]: every field the policy reads and the value
    /// the lead gave it, personal data masked (for the decision log).
    pub record_reads: bool,
    /// The fields the decision log masks, as a JSON array.
    masked_json: String,
    /// How many object levels the projections have (see
    /// [`Projection::level`]), and this engine's number: a thread's key
    /// order cache belongs to one engine at a time.
    levels: u32,
    id: u64,
}

/// The decision of the lead evaluated last, kept for the next one to be
/// built in: with [`Engine::evaluate_bytes_reusing`], a batch fills one
/// decision in place, lead after lead, instead of allocating a dozen
/// vectors a lead, freeing them again, and moving the whole decision
/// through every layer that returns it.
///
/// ```
/// let checked = handoff::Checked::from_file(std::path::Path::new("examples/inbound/policy.handoff")).unwrap();
/// let engine = checked.compile().unwrap();
/// let now = "2025-06-01T12:00:00Z".parse().unwrap();
/// let mut spare = handoff::eval::Spare::default();
/// for line in [&br#"{"id": "a", "source": "list_import"}"#[..], br#"{"id": "b", "source": "webinar"}"#] {
///     let d = engine.evaluate_bytes_reusing(line, now, &mut spare).unwrap();
///     println!("{}", serde_json::to_string(&*d).unwrap());
/// }
/// // a decision to keep beyond the next lead is taken out
/// let kept = spare.take();
/// assert_eq!(kept.unwrap().lead_id.as_deref(), Some("b"));
/// ```
#[derive(Default)]
pub struct Spare<'p> {
    decision: Option<Decision<'p>>,
    /// The `unmet` vectors of stages.
    unmet: Vec<Vec<Unmet<'p>>>,
}

impl<'p> Spare<'p> {
    /// Takes the decision evaluated last out (the next lead gets a new
    /// one).
    pub fn take(&mut self) -> Option<Decision<'p>> {
        self.decision.take()
    }
}

/// A decision with nothing decided yet.
fn blank<'p>(policy: &'p PolicyRef, now: jiff::Timestamp) -> Decision<'p> {
    Decision {
        policy,
        evaluated_at: now,
        lead_id: None,
        verdict: Verdict::Hold,
        reasons: Vec::new(),
        handoff: None,
        stages: Vec::new(),
        signals: Named::default(),
        scores: Named::default(),
        missing_context: Vec::new(),
        quality: Vec::new(),
        consent: Consent::default(),
        route: None,
        escalations: Vec::new(),
        next_escalation: None,
        playbook: None,
        packet: None,
        debrief: None,
        overrides: None,
        metrics: Named::default(),
        schema_issues: Vec::new(),
        read: None,
    }
}

impl Engine {
    /// How many `metric`s the policy declares (the length of
    /// [`crate::batch::Summary::metrics`]).
    pub fn metric_count(&self) -> usize {
        self.policy.metrics.len()
    }

    /// The slot of a top-level field the policy reads, by its dotted path.
    pub(crate) fn slot_of(&self, path: &str) -> Option<usize> {
        self.policy
            .slots
            .iter()
            .position(|s| s.path.as_str() == path)
    }

    /// Whether the field at dotted `path` is personal data the decision
    /// log masks (`pii`, part of a `pii` field, or holding one); `false`
    /// when the policy does not read it.
    pub(crate) fn is_masked(&self, path: &str) -> bool {
        self.slot_of(path)
            .and_then(|s| self.policy.logged_masked.get(s).copied())
            .unwrap_or(false)
    }

    /// The value of `slot` in the lead this thread evaluated last, as text
    /// (a string as it is, other scalars as decisions write them); `None`
    /// when missing, a list or a record. The workspace keeps the slots of
    /// the last lead until the next one, so nothing is read twice.
    pub(crate) fn last_slot_text(&self, slot: usize) -> Option<String> {
        WORKSPACE.with_borrow(|ws| match ws.slots.get(slot)? {
            Val::Str(s) => Some(s.to_string()),
            Val::Missing | Val::List(_) | Val::Rec(_) => None,
            v => Some(match v.to_json() {
                Value::String(s) => s,
                other => other.to_string(),
            }),
        })
    }

    /// The policy's name, version and hash, as its decisions name it.
    pub fn policy_ref(&self) -> &PolicyRef {
        &self.policy.info
    }
}

impl Engine {
    /// An engine for a compiled policy (see [`crate::Checked::compile`]).
    pub(crate) fn new(mut policy: Policy, mut frames: ElemFrames) -> Engine {
        static ENGINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut levels = 0;
        policy.projection.number_levels(&mut levels);
        for (p, _, _) in &mut frames.frames {
            p.number_levels(&mut levels);
        }
        let masked_json = reads::masked_json(&policy);
        Engine {
            policy,
            frames,
            state: serde_json::Map::new(),
            explain: false,
            record_reads: false,
            masked_json,
            levels,
            id: ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Reads one lead (a JSON object) through the policy's projection: the
    /// fields the policy uses, converted and checked, ready for
    /// [`Engine::evaluate_prepared`] as often as needed (at several `now`s,
    /// say). `evaluate(lead, now)` is `evaluate_prepared(&prepare(lead), now)`.
    ///
    /// ```
    /// let path = std::path::Path::new("examples/inbound/policy.handoff");
    /// let engine = handoff::Checked::from_file(path).unwrap().compile().unwrap();
    /// let lead = handoff::parse_lead(br#"{"id": "a", "lifecycle": {"handed_off_at": "2025-06-01T09:00:00Z"}}"#).unwrap();
    /// let prepared = engine.prepare(&lead);
    /// // the same lead a day apart: escalations fall due as time passes
    /// let morning = engine.evaluate_prepared(&prepared, "2025-06-01T10:00:00Z".parse().unwrap());
    /// let next_day = engine.evaluate_prepared(&prepared, "2025-06-02T10:00:00Z".parse().unwrap());
    /// assert_eq!(morning.verdict, next_day.verdict);
    /// ```
    pub fn prepare(&self, lead: &serde_json::Map<String, Value>) -> Prepared {
        let mut slots = vec![Val::Missing; self.policy.slots.len()];
        let ex = self.read_map(lead, &mut slots, Default::default());
        Prepared {
            slots,
            issues: ex.issues,
            json: ex.json,
            id: lead_id(lead),
        }
    }

    /// Reads a parsed lead into `slots` (sized to the policy's slots), with
    /// `pool` for building lists; the extractor holds the issues, the kept
    /// JSON and the pool.
    fn read_map(
        &self,
        lead: &serde_json::Map<String, Value>,
        slots: &mut [Val],
        pool: extract::Pool,
    ) -> extract::Extractor<'_> {
        let mut ex = extract::Extractor {
            frames: &self.frames,
            issues: Vec::new(),
            json: Vec::new(),
            pool,
            rows: Vec::new(),
            lists: Default::default(),
        };
        ex.object(
            &self.policy.projection,
            &self.policy.slots,
            &self.frames.frames[0].2,
            lead,
            slots,
        );
        ex
    }

    /// Evaluates a lead read by [`Engine::prepare`] at `now`.
    pub fn evaluate_prepared(&self, lead: &Prepared, now: jiff::Timestamp) -> Decision<'_> {
        WORKSPACE.with_borrow_mut(|ws| {
            let mut d = blank(&self.policy.info, now);
            self.decide(
                ws,
                &lead.slots,
                lead.issues.clone(),
                (&lead.json, ""),
                lead.id.clone(),
                now,
                &mut Vec::new(),
                &mut d,
            );
            d
        })
    }

    /// Evaluates one lead (a JSON object) at `now`.
    pub fn evaluate(
        &self,
        lead: &serde_json::Map<String, Value>,
        now: jiff::Timestamp,
    ) -> Decision<'_> {
        WORKSPACE.with_borrow_mut(|ws| {
            let mut slots = ws.slots(self.policy.slots.len());
            let ex = self.read_map(lead, &mut slots, std::mem::take(&mut ws.pool));
            ws.pool = ex.pool;
            let mut d = blank(&self.policy.info, now);
            self.decide(
                ws,
                &slots,
                ex.issues,
                (&ex.json, ""),
                lead_id(lead),
                now,
                &mut Vec::new(),
                &mut d,
            );
            ws.slots = slots;
            d
        })
    }

    /// Evaluates one lead given as raw JSON bytes (one NDJSON line): the
    /// fast path. Only the fields the policy reads are converted; the rest
    /// is validated and skipped. The decision is the same as
    /// [`Engine::evaluate`] on the parsed object, and the error the same as
    /// [`crate::parse_lead`]'s.
    ///
    /// ```
    /// let checked = handoff::Checked::from_file(std::path::Path::new("examples/inbound/policy.handoff")).unwrap();
    /// let engine = checked.compile().unwrap();
    /// let now = "2025-06-01T12:00:00Z".parse().unwrap();
    /// let d = engine.evaluate_bytes(br#"{"id": "l1", "source": "list_import"}"#, now).unwrap();
    /// assert_eq!(d.verdict, handoff::decision::Verdict::OutOfScope);
    /// assert_eq!(engine.evaluate_bytes(b"{\"id\": ", now).unwrap_err().kind, "invalid_json");
    /// ```
    pub fn evaluate_bytes(
        &self,
        bytes: &[u8],
        now: jiff::Timestamp,
    ) -> Result<Decision<'_>, crate::record::RecordError> {
        let mut spare = Spare::default();
        self.evaluate_bytes_reusing(bytes, now, &mut spare)?;
        Ok(spare.take().expect("a decision was just made"))
    }

    /// [`Engine::evaluate_bytes`], filling the decision that `spare` holds
    /// from the lead before (see [`Spare`]).
    pub fn evaluate_bytes_reusing<'p, 's>(
        &'p self,
        bytes: &[u8],
        now: jiff::Timestamp,
        spare: &'s mut Spare<'p>,
    ) -> Result<&'s mut Decision<'p>, crate::record::RecordError> {
        let text = crate::record::check_record(bytes)?;
        let Spare { decision, unmet } = spare;
        let d = decision.get_or_insert_with(|| blank(&self.policy.info, now));
        let read = WORKSPACE.with_borrow_mut(|ws| {
            let mut slots = ws.slots(self.policy.slots.len());
            let mut ex = extract::Extractor {
                frames: &self.frames,
                issues: {
                    let mut v = std::mem::take(&mut d.schema_issues);
                    v.clear();
                    v
                },
                json: std::mem::take(&mut ws.json),
                pool: std::mem::take(&mut ws.pool),
                rows: std::mem::take(&mut ws.rows),
                lists: std::mem::take(&mut ws.lists),
            };
            ex.lists.on = true;
            let mut ids = scan::Ids::default();
            let elems = &self.frames.frames[0].2;
            let read = scan::read(
                &mut ex,
                &self.policy.projection,
                &self.policy.slots,
                elems,
                text,
                &mut slots,
                &mut ids,
                &mut ws.scratch,
                ws.shapes.of(self.id, self.levels),
            );
            if read.is_ok() {
                ex.lists.finish(&mut slots, &mut ex.pool);
            }
            ex.lists.reset();
            ws.lists = std::mem::take(&mut ex.lists);
            ws.pool = ex.pool;
            ex.rows.clear();
            ws.rows = ex.rows;
            let decided = match read {
                Ok(()) => {
                    let json = (&ex.json[..], text);
                    let id = ids.best(text, d.lead_id.take());
                    self.decide(ws, &slots, ex.issues, json, id, now, unmet, d);
                    true
                }
                Err(_) => false,
            };
            ex.json.clear();
            ws.json = ex.json;
            ws.slots = slots;
            decided
        });
        if !read {
            *d = crate::record::parse_lead(bytes).map(|obj| self.evaluate(&obj, now))?;
        }
        Ok(d)
    }

    #[allow(clippy::too_many_arguments)]
    fn decide<'p>(
        &'p self,
        ws: &mut Workspace,
        slots: &[Val],
        mut issues: Vec<SchemaIssue>,
        (json, text): (&[(u32, extract::Kept)], &str),
        id: Option<String>,
        now: jiff::Timestamp,
        unmet: &mut Vec<Vec<Unmet<'p>>>,
        d: &mut Decision<'p>,
    ) {
        // the two readers meet fields in different orders; report by field
        issues.sort_by(|a, b| a.field.cmp(&b.field));
        let mut signals = std::mem::take(&mut ws.signals);
        signals.clear();
        signals.resize_with(self.policy.signals.len(), || None);
        let mut scores = std::mem::take(&mut ws.scores);
        scores.clear();
        scores.resize(self.policy.scores.len(), None);
        let mut cx = Cx {
            engine: self,
            slots,
            now,
            signals,
            scores,
            vars: std::mem::take(&mut ws.vars),
            lead_key: fnv1a(id.as_deref().unwrap_or("").as_bytes()),
            json,
            text,
            unmet,
        };
        cx.decide(d, id, issues);
        if self.record_reads {
            let mut values = d.read.take().map(|r| r.values).unwrap_or_default();
            values.clear();
            self.write_reads(slots, &mut values);
            d.read = Some(Reads {
                values,
                masked: &self.masked_json,
            });
        } else {
            d.read = None;
        }
        ws.signals = cx.signals;
        ws.scores = cx.scores;
        cx.vars.clear();
        ws.vars = cx.vars;
    }
}

/// A lead read through a policy's projection (see [`Engine::prepare`]).
#[derive(Debug, Clone)]
pub struct Prepared {
    slots: Vec<Val>,
    issues: Vec<SchemaIssue>,
    json: Vec<(u32, extract::Kept)>,
    id: Option<String>,
}

/// Buffers one thread reuses from lead to lead, so the hot path does not
/// allocate them again for every lead.
#[derive(Default)]
struct Workspace {
    slots: Vec<Val>,
    /// Vectors and shared arrays for building lists and list elements.
    pool: extract::Pool,
    /// The record stack of the scanner's lists.
    rows: Vec<(usize, usize)>,
    signals: Vec<Option<Tri>>,
    scores: Vec<Option<f64>>,
    vars: Vec<Val>,
    /// The scanner's decoded text of strings with escapes.
    scratch: String,
    /// Where the kept JSON of the lead being read is.
    json: Vec<(u32, extract::Kept)>,
    /// The lists of the lead being read.
    lists: extract::Lists,
    /// The key order last seen at each object level.
    shapes: scan::Shapes,
}

impl Workspace {
    /// The slot vector, all missing.
    fn slots(&mut self, n: usize) -> Vec<Val> {
        let mut s = std::mem::take(&mut self.slots);
        s.clear();
        // the lead before is done with its lists
        self.pool.release();
        s.resize_with(n, || Val::Missing);
        s
    }
}

thread_local! {
    static WORKSPACE: std::cell::RefCell<Workspace> = std::cell::RefCell::default();
}

/// The lead's id: the first of `id`, `Id`, `ID`, `lead_id` and `LeadId`
/// that is a string or a number; else, for a Salesforce record,
/// `attributes.referenceId` or the record id at the end of
/// `attributes.url`.
pub fn lead_id(lead: &serde_json::Map<String, Value>) -> Option<String> {
    let id = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    for k in ["id", "Id", "ID", "lead_id", "LeadId"] {
        if let Some(id) = id(lead.get(k)) {
            return Some(id);
        }
    }
    // a Salesforce export that did not select `Id`: the sObject Tree
    // format's `referenceId`, or the record id that ends the REST `url`
    let attributes = lead.get("attributes")?.as_object()?;
    id(attributes.get("referenceId")).or_else(|| match attributes.get("url") {
        Some(Value::String(url)) => record_id_in_url(url).map(str::to_string),
        _ => None,
    })
}

/// The record id that ends a Salesforce REST `url`
/// (`/services/data/v59.0/sobjects/Lead/00Q…`): the text after the last
/// `/` of a URL that names `/sobjects/`, when there is some.
pub(crate) fn record_id_in_url(url: &str) -> Option<&str> {
    if !url.contains("/sobjects/") {
        return None;
    }
    url.rsplit('/').next().filter(|id| !id.is_empty())
}

/// FNV-1a: a stable hash for weighted distribution (same on every machine).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Engine {
    /// Evaluates one compiled expression against a lead (used by `explain`
    /// to test parts of conditions; not on the per-lead hot path).
    pub fn check_expr(
        &self,
        lead: &serde_json::Map<String, Value>,
        e: &Ex,
        now: jiff::Timestamp,
    ) -> Val {
        let slots = self.prepare(lead).slots;
        let mut cx = Cx {
            engine: self,
            slots: &slots,
            now,
            signals: vec![None; self.policy.signals.len()],
            scores: vec![None; self.policy.scores.len()],
            vars: Vec::new(),
            lead_key: fnv1a(b""),
            json: &[],
            text: "",
            unmet: &mut Vec::new(),
        };
        cx.eval(e)
    }
}
