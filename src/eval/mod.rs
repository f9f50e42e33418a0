//! Evaluation: a compiled policy and a lead record -> a [`Decision`].
//!
//! [`Engine::evaluate`] reads only the fields the policy needs (the
//! projection), evaluates signals and scores once each, and builds the
//! decision. It never fails: bad field values become schema issues.

mod calendar;
mod expr;
mod extract;
mod scan;
mod text;
/// The values of leads and expressions (they live below the IR, which
/// holds constants of them).
pub use crate::value;

pub use calendar::add_business;
pub use extract::parse_timestamp;

use serde_json::Value;

use crate::ast::QualitySeverity;
use crate::decision::*;
use crate::ir::ElemFrames;
use crate::ir::*;
use expr::Tri;
use value::Val;

/// A compiled policy ready to evaluate leads, plus the explicit state
/// (round-robin cursors, member loads) given by the caller.
#[derive(Debug)]
pub struct Engine {
    pub policy: Policy,
    frames: ElemFrames,
    state: serde_json::Map<String, Value>,
    /// Include the fields each signal read (for `--explain` and `explain`).
    pub explain: bool,
    /// How many object levels the projections have (see
    /// [`Projection::level`]), and this engine's number: a thread's key
    /// order cache belongs to one engine at a time.
    levels: u32,
    id: u64,
}

/// The per-lead evaluation context.
pub(crate) struct Cx<'a, 's> {
    engine: &'a Engine,
    /// The lead's values, borrowed: from the workspace or a [`Prepared`].
    slots: &'s [Val],
    now: jiff::Timestamp,
    signals: Vec<Option<Tri>>,
    scores: Vec<Option<f64>>,
    vars: Vec<Val>,
    /// The hash of the lead id (or of nothing): the key of weighted
    /// distribution.
    lead_key: u64,
    /// Where the JSON of fields that travel whole in the packet is.
    json: &'s [(u32, extract::Kept)],
    /// The record's text, for [`extract::Kept::Text`] ("" on the `Value`
    /// path).
    text: &'s str,
    /// Emptied `unmet` vectors of earlier decisions.
    unmet: &'s mut Vec<Vec<Unmet<'a>>>,
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
    }
}

impl Engine {
    pub fn new(mut policy: Policy, mut frames: ElemFrames) -> Engine {
        static ENGINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut levels = 0;
        policy.projection.number_levels(&mut levels);
        for (p, _, _) in &mut frames.frames {
            p.number_levels(&mut levels);
        }
        Engine {
            policy,
            frames,
            state: serde_json::Map::new(),
            explain: false,
            levels,
            id: ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Checks a state file's content against the strategies that read it:
    /// errors for values of the wrong shape, warnings for keys the policy
    /// names that are absent (they start from zero).
    pub fn check_state(
        &self,
        state: &serde_json::Map<String, Value>,
    ) -> (Vec<String>, Vec<String>) {
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        for t in &self.policy.teams {
            match &t.strategy {
                Some(Strategy::RoundRobin { state: key }) => match state.get(key) {
                    None => warnings.push(format!("the state has no `{key}` (round robin of team `{}`): starting with the first member", t.name)),
                    Some(v) if v.as_u64().is_some() => {}
                    Some(v) => errors.push(format!("`{key}` (round robin of team `{}`) must be a whole number of turns taken, such as 3, not {v}", t.name)),
                },
                Some(Strategy::LeastLoaded { state: key }) => match state.get(key) {
                    None => warnings.push(format!("the state has no `{key}` (loads of team `{}`): every member starts with no open leads", t.name)),
                    Some(Value::Object(m)) => {
                        for (member, load) in m {
                            if load.as_f64().is_none_or(|l| l < 0.0) {
                                errors.push(format!("`{key}.{member}` must be a number of open leads (0 or more), not {load}"));
                            } else if !t.members.iter().any(|x| x.id.as_str() == member) {
                                warnings.push(format!("`{key}` lists `{member}`, who is not a member of team `{}`", t.name));
                            }
                        }
                    }
                    Some(v) => errors.push(format!("`{key}` (loads of team `{}`) must be an object such as {{\"member\": 12}}, not {v}", t.name)),
                },
                _ => {}
            }
        }
        let keys: Vec<&str> = self.state_keys().collect();
        for key in state.keys() {
            if !keys.contains(&key.as_str()) {
                let known = if keys.is_empty() {
                    "this policy has no round-robin or least-loaded team".to_string()
                } else {
                    format!("the keys this policy reads are `{}`", keys.join("`, `"))
                };
                warnings.push(format!("the state has `{key}`, which no team of this policy reads ({known}); it is kept as it is"));
            }
        }
        (errors, warnings)
    }

    /// The state keys of the policy's round-robin and least-loaded teams.
    fn state_keys(&self) -> impl Iterator<Item = &str> {
        self.policy.teams.iter().filter_map(|t| match &t.strategy {
            Some(Strategy::RoundRobin { state } | Strategy::LeastLoaded { state }) => {
                Some(state.as_str())
            }
            _ => None,
        })
    }

    /// The names of the teams whose distribution depends on earlier leads
    /// (round robin, least loaded), which a state file carries across runs.
    pub fn stateful_teams(&self) -> Vec<&str> {
        self.policy
            .teams
            .iter()
            .filter(|t| {
                matches!(
                    t.strategy,
                    Some(Strategy::RoundRobin { .. } | Strategy::LeastLoaded { .. })
                )
            })
            .map(|t| t.name.as_str())
            .collect()
    }

    /// The state the next run starts from, after a run that assigned what
    /// `run` holds: each round robin's turns taken and each least-loaded
    /// member's open leads advanced by this run; keys the policy does not
    /// read are kept. Two runs over the halves of a batch, the second
    /// started from the first's state, assign as one run over the whole.
    pub fn state_after(&self, run: &RunState) -> serde_json::Map<String, Value> {
        let mut state = self.state.clone();
        for (i, t) in self.policy.teams.iter().enumerate() {
            match &t.strategy {
                Some(Strategy::RoundRobin { state: key }) => {
                    let before = state.get(key.as_str()).and_then(Value::as_u64).unwrap_or(0);
                    let turns = run.turns.get(&i).copied().unwrap_or(0);
                    state.insert(key.to_string(), before.saturating_add(turns).into());
                }
                Some(Strategy::LeastLoaded { state: key }) => {
                    let mut loads = state
                        .get(key.as_str())
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    for (m, member) in t.members.iter().enumerate() {
                        let given = run.given.get(&(i, m)).copied().unwrap_or(0.0);
                        if given == 0.0 {
                            continue;
                        }
                        let before = loads
                            .get(member.id.as_str())
                            .and_then(Value::as_f64)
                            .unwrap_or(0.0);
                        let after = before + given;
                        let v = if after.fract() == 0.0 && after < 9.0e15 {
                            Value::from(after as u64)
                        } else {
                            Value::from(after)
                        };
                        loads.insert(member.id.to_string(), v);
                    }
                    state.insert(key.to_string(), Value::Object(loads));
                }
                _ => {}
            }
        }
        state
    }

    /// Sets the state file's content: `{"cursor_key": 3, "load_key": {"member": 12}}`.
    pub fn with_state(mut self, state: serde_json::Map<String, Value>) -> Engine {
        self.state = state;
        self
    }

    /// Reads one lead (a JSON object) through the policy's projection: the
    /// fields the policy uses, converted and checked, ready for
    /// [`Engine::evaluate_prepared`] as often as needed (at several `now`s,
    /// say). `evaluate(lead, now)` is `evaluate_prepared(&prepare(lead), now)`.
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

fn result_word(v: Tri) -> &'static str {
    match v {
        Tri::Unknown => "missing",
        Tri::True | Tri::False => "false",
    }
}

impl<'p> Cx<'p, '_> {
    fn signal(&mut self, i: usize) -> Tri {
        if let Some(v) = self.signals[i] {
            return v;
        }
        let policy = &self.engine.policy;
        let v = self.truth(&policy.signals[i].expr);
        self.signals[i] = Some(v);
        v
    }

    fn score(&mut self, i: usize) -> f64 {
        if let Some(v) = self.scores[i] {
            return v;
        }
        let s = &self.engine.policy.scores[i];
        let mut total = 0.0;
        for t in &s.terms {
            total += if t.per {
                match self.eval(&t.expr) {
                    Val::Num(n) => t.points * n,
                    _ => 0.0,
                }
            } else if self.truth(&t.expr).is_true() {
                t.points
            } else {
                0.0
            };
        }
        if let Some(cap) = s.cap {
            total = total.min(cap);
        }
        total = total.max(0.0);
        if let Some((half_life, slot)) = s.decay {
            if let Val::Ts(t) = &self.slots[slot as usize] {
                let age = (self.now.as_millisecond() - t.as_millisecond()) as f64 / 1000.0;
                if age > 0.0 && half_life > 0.0 {
                    total *= 0.5f64.powf(age / half_life);
                }
            }
        }
        let total = (total * 100.0).round() / 100.0;
        self.scores[i] = Some(total);
        total
    }

    fn cond(&mut self, c: &Cond) -> Tri {
        self.truth(&c.expr)
    }

    /// Decides into `d`, which may hold the decision of the lead before:
    /// every field is set again (its vectors emptied and refilled).
    fn decide(&mut self, d: &mut Decision<'p>, lead_id: Option<String>, issues: Vec<SchemaIssue>) {
        let engine: &'p Engine = self.engine;
        let p = &engine.policy;
        d.policy = &p.info;
        d.evaluated_at = self.now;
        d.lead_id = lead_id;
        d.verdict = Verdict::Hold;
        d.reasons.clear();
        d.handoff = None;
        for s in d.stages.drain(..) {
            if self.unmet.len() < 8 && s.unmet.capacity() > 0 {
                let mut u = s.unmet;
                u.clear();
                self.unmet.push(u);
            }
        }
        d.signals.entries.clear();
        d.scores.entries.clear();
        d.missing_context.clear();
        d.quality.clear();
        d.consent.blocked_channels.clear();
        d.route = None;
        d.escalations.clear();
        d.next_escalation = None;
        d.playbook = None;
        d.packet = None;
        d.debrief = None;
        d.overrides = None;
        d.metrics.entries.clear();
        d.schema_issues = issues;
        if let Some(a) = &p.applies_to {
            let v = self.truth(a);
            if !v.is_true() {
                d.verdict = Verdict::OutOfScope;
                let t = if v == Tri::Unknown {
                    &p.texts.out_of_scope_missing
                } else {
                    &p.texts.out_of_scope_false
                };
                d.reasons.push(Reason::Policy(t.t()));
                return;
            }
        }
        d.signals.entries.reserve(p.signals.len());
        for (i, s) in p.signals.iter().enumerate() {
            let v = self.signal(i);
            let reads = engine.explain.then(|| Named {
                entries: s
                    .reads
                    .iter()
                    .map(|&slot| {
                        (
                            p.slots[slot as usize].path.t(),
                            self.slots[slot as usize].clone(),
                        )
                    })
                    .collect(),
            });
            d.signals.entries.push((
                s.name.t(),
                SignalValue {
                    value: v.as_bool(),
                    reads,
                },
            ));
        }
        d.scores.entries.reserve(p.scores.len());
        for (i, s) in p.scores.iter().enumerate() {
            let v = self.score(i);
            d.scores.entries.push((s.name.t(), Number(v)));
        }
        d.stages.reserve(p.handoffs.len());
        for h in &p.handoffs {
            let (ready, unmet) = self.readiness(h);
            d.stages.push(StageReadiness {
                from: h.head.from.t(),
                to: h.head.to.t(),
                ready,
                unmet,
            });
        }
        d.metrics.entries.reserve(p.metrics.len());
        for m in &p.metrics {
            let mv = self.metric(m);
            d.metrics.entries.push((m.name.t(), mv));
        }
        // which handoff applies
        let active = match p.stage_slot {
            Some(slot) => match &self.slots[slot as usize] {
                Val::Str(stage) => match p.handoffs.iter().position(|h| *h.head.from == **stage) {
                    Some(i) => Some(i),
                    None => {
                        d.reasons.push(
                            match p.texts.no_handoff_from.iter().find(|(v, _)| *v == **stage) {
                                Some((_, t)) => Reason::Policy(t.t()),
                                None => Reason::Lead(crate::decision::no_handoff_leaves(stage)),
                            },
                        );
                        None
                    }
                },
                _ => {
                    d.reasons.push(Reason::Policy(p.texts.stage_missing.t()));
                    None
                }
            },
            None if p.handoffs.is_empty() => {
                d.reasons.push(Reason::Policy(p.texts.no_handoff.t()));
                None
            }
            None => Some(0),
        };
        let Some(ai) = active else {
            d.verdict = Verdict::Hold;
            return;
        };
        let h = &p.handoffs[ai];
        d.handoff = Some(&h.head);
        let ready = d.stages[ai].ready;
        let missing_reasons = self.requirements(h, d);
        // the quality rules that fired, for the flags and the reasons
        let mut fired: Vec<&'p QualityIr> = Vec::new();
        for q in &h.quality {
            if self.cond(&q.when).is_true() {
                d.quality.push(QualityFlag {
                    severity: q.severity,
                    message: q.message.t(),
                    line: q.when.origin.line,
                });
                fired.push(q);
            }
        }
        for c in &h.consent {
            // privacy errs on the safe side: only a definitely false
            // condition lifts the requirement
            let applies = match &c.when {
                None => true,
                Some(w) => self.truth(w) != Tri::False,
            };
            if !applies {
                continue;
            }
            let v = &self.slots[c.slot as usize];
            if !v.is_true() {
                d.consent.blocked_channels.push(ConsentBlock {
                    channel: c.channel.t(),
                    field: c.path.t(),
                    found: result_word(Tri::of(v)),
                    line: c.origin.line,
                });
            }
        }
        d.route = self.route(h);
        self.escalations(h, d);
        self.playbook(h, d);
        if let Some(db) = &h.debrief {
            d.debrief = Some(self.debrief(db));
        }
        d.overrides = h.overrides.as_ref();

        // the verdict
        let fired_as = |sev: QualitySeverity| fired.iter().filter(move |q| q.severity == sev);
        let blocked = fired_as(QualitySeverity::Block).next().is_some();
        let no_channel = d
            .playbook
            .as_ref()
            .is_some_and(|pb| !pb.touches.is_empty() && pb.touches.iter().all(|t| !t.allowed));
        if blocked || no_channel {
            d.verdict = Verdict::Blocked;
            d.reasons
                .extend(fired_as(QualitySeverity::Block).map(|q| Reason::Policy(q.reason.t())));
            if no_channel {
                d.reasons
                    .push(Reason::Policy(p.texts.no_consented_channel.t()));
            }
        } else if !ready {
            d.verdict = Verdict::Hold;
            d.reasons.push(Reason::Policy(h.not_ready.t()));
        } else {
            let at_capacity = d.route.as_ref().is_some_and(|r| r.at_capacity);
            let reviews = fired_as(QualitySeverity::Review).next().is_some();
            if reviews || !missing_reasons.is_empty() || at_capacity {
                d.verdict = Verdict::Review;
                d.reasons.extend(
                    fired_as(QualitySeverity::Review).map(|q| Reason::Policy(q.reason.t())),
                );
                d.reasons
                    .extend(missing_reasons.iter().map(|r| Reason::Policy(r.t())));
                if at_capacity {
                    d.reasons.push(Reason::Policy(p.texts.at_capacity.t()));
                }
            } else {
                d.verdict = Verdict::Handoff;
                d.reasons.push(Reason::Policy(h.ready_text.t()));
            }
        }
    }

    fn readiness(&mut self, h: &'p HandoffIr) -> (bool, Vec<Unmet<'p>>) {
        let mut ready = true;
        let mut unmet = self.unmet.pop().unwrap_or_default();
        for c in &h.ready {
            let v = self.cond(c);
            if v.is_true() {
                continue;
            }
            ready = false;
            if c.parts.is_empty() {
                unmet.push(Unmet {
                    line: c.origin.line,
                    condition: c.origin.text.t(),
                    result: result_word(v),
                });
            } else {
                for (part, origin) in &c.parts {
                    let pv = self.truth(part);
                    if !pv.is_true() {
                        unmet.push(Unmet {
                            line: origin.line,
                            condition: origin.text.t(),
                            result: result_word(pv),
                        });
                    }
                }
            }
        }
        (ready, unmet)
    }

    /// Fills the packet and the missing context; returns the reason text of
    /// each missing-context entry, in order.
    fn requirements(&mut self, h: &'p HandoffIr, d: &mut Decision<'p>) -> Vec<&'p PText> {
        let mut reasons = Vec::new();
        let p = &self.engine.policy;
        let mut fields = Vec::with_capacity(h.require.len());
        for r in &h.require {
            let v = &self.slots[r.slot as usize];
            let problem = match v {
                Val::Missing => Some(0),
                Val::Str(s) if s.trim().is_empty() => Some(0),
                Val::List(items) => {
                    let n = items.iter().filter(|i| !i.is_missing()).count() as u32;
                    if n < r.at_least.unwrap_or(1) {
                        Some(if n == 0 { 0 } else { 1 })
                    } else {
                        None
                    }
                }
                _ => None,
            }
            .or_else(|| match (&r.format, v) {
                (Some(FormatIr::Named(_, re) | FormatIr::Regex(_, re)), Val::Str(s))
                    if !re.is_match(s) =>
                {
                    Some(2)
                }
                (Some(FormatIr::Email), Val::Str(s)) if !extract::looks_like_email(s) => Some(2),
                _ => None,
            })
            .or_else(|| match (r.within, v) {
                (Some(w), Val::Ts(t))
                    if (self.now.as_millisecond() - t.as_millisecond()) / 1000 > w =>
                {
                    Some(3)
                }
                _ => None,
            });
            if let Some(problem) = problem {
                d.missing_context.push(MissingContext {
                    field: r.path.t(),
                    label: r.label.as_ref().map(PText::t),
                    problem: ["missing", "too_few", "bad_format", "stale"][problem],
                    line: r.origin.line,
                });
                reasons.push(&r.reasons[problem]);
            }
            let info = &p.slots[r.slot as usize];
            let masked = info
                .pii_visible_to
                .as_ref()
                .is_some_and(|roles| !roles.iter().any(|r| *r == *h.head.owned_by));
            let value = if masked && !v.is_missing() {
                PacketValue::Masked
            } else if v.is_missing() {
                PacketValue::Value(Val::Missing)
            } else if let Some((_, j)) = self.json.iter().find(|(s, _)| *s == r.slot) {
                j.packet_value(self.text)
            } else {
                PacketValue::Value(v.clone())
            };
            fields.push(PacketField {
                field: r.path.t(),
                label: r.label.as_ref().map(PText::t),
                value,
                masked,
            });
        }
        d.packet = Some(Packet {
            owner_role: h.head.owned_by.t(),
            fields,
        });
        reasons
    }

    fn route(&mut self, h: &'p HandoffIr) -> Option<RouteChoice<'p>> {
        let mut tried = Vec::new();
        for (i, r) in h.routes.iter().enumerate() {
            let matched = match &r.when {
                None => true,
                Some(w) => {
                    let v = self.truth(w);
                    if !v.is_true() {
                        tried.push(TriedRule {
                            rule: i + 1,
                            line: r.origin.line,
                            condition: r.origin.text.t(),
                            result: result_word(v),
                        });
                        false
                    } else {
                        true
                    }
                }
            };
            if matched {
                let (member, at_capacity) = match &r.target {
                    TargetIr::Team(ti) => self.pick_member(&self.engine.policy.teams[*ti as usize]),
                    TargetIr::Owner(_) => (Some(r.target_ref.name.t()), false),
                    TargetIr::Queue(_) => (None, false),
                };
                return Some(RouteChoice {
                    rule: i + 1,
                    line: r.origin.line,
                    condition: r.origin.text.t(),
                    target: &r.target_ref,
                    member,
                    at_capacity,
                    tried,
                });
            }
        }
        None
    }

    fn pick_member(&self, team: &'p TeamIr) -> (Option<Text<'p>>, bool) {
        if team.members.is_empty() {
            return (None, false);
        }
        match &team.strategy {
            None => (None, false),
            Some(Strategy::Weighted) => {
                let total: f64 = team.members.iter().map(|m| m.weight).sum();
                let x = (self.lead_key as f64 / u64::MAX as f64) * total;
                let mut acc = 0.0;
                for m in &team.members {
                    acc += m.weight;
                    if x < acc {
                        return (Some(m.id.t()), false);
                    }
                }
                (team.members.last().map(|m| m.id.t()), false)
            }
            Some(Strategy::RoundRobin { state }) => {
                let cursor = self
                    .engine
                    .state
                    .get(state)
                    .and_then(Value::as_u64)
                    .unwrap_or(0) as usize;
                (
                    Some(team.members[cursor % team.members.len()].id.t()),
                    false,
                )
            }
            Some(Strategy::LeastLoaded { state }) => {
                match least_loaded(
                    team,
                    self.engine.state.get(state).and_then(Value::as_object),
                    |_| 0.0,
                ) {
                    Some((_, m)) => (Some(m.id.t()), false),
                    None => (None, true),
                }
            }
        }
    }

    fn escalations(&mut self, h: &'p HandoffIr, d: &mut Decision<'p>) {
        let p = &self.engine.policy;
        for (i, e) in h.escalations.iter().enumerate() {
            let since = &self.slots[e.since as usize];
            let cal = e.calendar.map(|c| &p.calendars[c as usize]);
            let stopped = e
                .unless
                .is_some_and(|u| !self.slots[u as usize].is_missing());
            let (status, due) = match since {
                Val::Ts(t) => {
                    let due = match cal {
                        Some(c) => add_business(c, *t, e.after),
                        None => t.checked_add(jiff::SignedDuration::from_secs(e.after)).ok(),
                    };
                    let status = if stopped {
                        "stopped"
                    } else {
                        match due {
                            Some(due) if self.now >= due => "overdue",
                            _ => "pending",
                        }
                    };
                    (status, due)
                }
                _ => ("not_started", None),
            };
            let st = EscalationStatus {
                step: i + 1,
                line: e.origin.line,
                after: e.after_text.t(),
                business_hours: e.calendar_name.as_ref().map(PText::t),
                since: e.since_path.t(),
                status,
                due_at: due,
                actions: &e.action_texts,
            };
            if status == "pending" && d.next_escalation.is_none() {
                d.next_escalation = Some(st.clone());
            }
            d.escalations.push(st);
        }
    }

    fn playbook(&mut self, h: &'p HandoffIr, d: &mut Decision<'p>) {
        let p = &self.engine.policy;
        for (when, idx) in &h.playbooks {
            let chosen = match when {
                None => true,
                Some(c) => self.cond(c).is_true(),
            };
            if !chosen {
                continue;
            }
            let pb = &p.playbooks[*idx as usize];
            let blocked = &d.consent.blocked_channels;
            d.playbook = Some(PlaybookChoice {
                name: pb.name.t(),
                persona: pb.persona.as_ref().map(PText::t),
                outcome: pb.outcome.as_ref().map(PText::t),
                touches: pb
                    .touches
                    .iter()
                    .map(|(ch, tpl, after)| Touch {
                        channel: ch.t(),
                        template: tpl.t(),
                        after: after.as_ref().map(PText::t),
                        allowed: !blocked.iter().any(|b| b.channel.as_str() == ch.as_str()),
                    })
                    .collect(),
                collect: &pb.collect,
            });
            return;
        }
    }

    fn debrief(&self, db: &'p DebriefIr) -> DebriefStatus<'p> {
        let field = db.field_path.t();
        if !self.slots[db.field as usize].is_missing() {
            return DebriefStatus {
                field,
                status: "done",
                due_at: None,
            };
        }
        match &self.slots[db.since as usize] {
            Val::Ts(t) => {
                let due = t
                    .checked_add(jiff::SignedDuration::from_secs(db.within))
                    .ok();
                let status = match due {
                    Some(due) if self.now >= due => "overdue",
                    _ => "pending",
                };
                DebriefStatus {
                    field,
                    status,
                    due_at: due,
                }
            }
            _ => DebriefStatus {
                field,
                status: "not_started",
                due_at: None,
            },
        }
    }

    fn metric(&mut self, m: &MetricIr) -> MetricValue {
        match &m.body {
            MetricBodyIr::Value(e) => {
                let v = self.eval(e);
                let meets = m.target.as_ref().and_then(|(op, t)| {
                    if v.is_missing() {
                        None
                    } else {
                        expr::compare(*op, &v, t).as_bool()
                    }
                });
                MetricValue {
                    value: v,
                    meets_target: meets,
                    share: None,
                }
            }
            MetricBodyIr::Share { of, among } => {
                let o = self.truth(of).as_bool();
                let a = among
                    .as_ref()
                    .map(|a| self.truth(a).as_bool())
                    .unwrap_or(Some(true));
                MetricValue {
                    value: Val::Missing,
                    meets_target: None,
                    share: Some(ShareCounts { of: o, among: a }),
                }
            }
        }
    }
}

/// The member with the lowest share of their capacity in use, among those
/// under capacity; `extra` adds leads given during this run. A member
/// without a capacity counts by open leads alone. `None`: all are full.
fn least_loaded<'t>(
    team: &'t TeamIr,
    loads: Option<&serde_json::Map<String, Value>>,
    extra: impl Fn(usize) -> f64,
) -> Option<(usize, &'t MemberIr)> {
    let mut best: Option<(f64, usize)> = None;
    for (i, m) in team.members.iter().enumerate() {
        let load = loads
            .and_then(|l| l.get(m.id.as_str()))
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
            + extra(i);
        let cap = m.capacity.map(f64::from).unwrap_or(f64::INFINITY);
        if load >= cap {
            continue;
        }
        let ratio = if cap.is_finite() {
            load / cap
        } else {
            load / 1e9
        };
        if best.is_none_or(|(b, _)| ratio < b) {
            best = Some((ratio, i));
        }
    }
    best.map(|(_, i)| (i, &team.members[i]))
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

/// The member a decision waits for, assigned in input order (see
/// [`Engine::pending_turn`]).
#[derive(Debug, Clone, Copy)]
pub struct Turn<'p> {
    team: &'p TeamIr,
    /// The team's position in the policy.
    index: usize,
    /// Whether the lead takes the turn or adds to a load (handed over or
    /// sent to review).
    takes: bool,
}

impl Turn<'_> {
    /// Whether the team can be full: least loaded, and every member has a
    /// capacity (without one, a member always has room).
    pub fn can_fill(&self) -> bool {
        matches!(self.team.strategy, Some(Strategy::LeastLoaded { .. }))
            && self.team.members.iter().all(|m| m.capacity.is_some())
    }
}

/// What distribution has handed out so far in one run: round-robin turns
/// per team, and leads given to each member of a least-loaded team (by
/// team and member position).
#[derive(Debug, Default)]
pub struct RunState {
    turns: std::collections::HashMap<usize, u64>,
    given: std::collections::HashMap<(usize, usize), f64>,
}

impl Engine {
    /// The routed team, when its distribution depends on earlier leads.
    fn sequential_team(&self, d: &Decision) -> Option<(usize, &TeamIr)> {
        let r = d.route.as_ref()?;
        if r.target.kind != "team" {
            return None;
        }
        let (i, team) = self
            .policy
            .teams
            .iter()
            .enumerate()
            .find(|(_, t)| *t.name == *r.target.name)?;
        matches!(
            team.strategy,
            Some(Strategy::RoundRobin { .. } | Strategy::LeastLoaded { .. })
        )
        .then_some((i, team))
    }

    /// Whether the decision's member must be assigned in input order, by
    /// [`Engine::assign_in_order`] (round robin and least loaded).
    pub fn needs_assignment(&self, d: &Decision) -> bool {
        self.sequential_team(d).is_some()
    }

    /// The turn a decision waits for when its member comes from a
    /// round-robin or least-loaded team. Taking it in input order
    /// ([`Engine::take_turn`]) gives the member, the only thing that
    /// changes in the decision, or `None` when every member of a
    /// least-loaded team is at capacity, and the decision becomes what
    /// [`Engine::at_capacity`] makes of it. A batch writes both forms on
    /// its workers and only chooses in order.
    pub fn pending_turn<'p>(&'p self, d: &Decision<'p>) -> Option<Turn<'p>> {
        let (index, team) = self.sequential_team(d)?;
        Some(Turn {
            team,
            index,
            takes: matches!(d.verdict, Verdict::Handoff | Verdict::Review),
        })
    }

    /// Takes a turn in input order: the member whose turn it is in a
    /// round-robin team (the state file's cursor plus the turns this run
    /// gave), or the least-loaded member with room (the state file's loads
    /// plus the leads this run gave); `None` when every member is at
    /// capacity. A lead that is not handed over (or sent to review) takes
    /// no turn and adds to no load: it shows who would be next.
    pub fn take_turn<'p>(&'p self, turn: &Turn<'p>, run: &mut RunState) -> Option<Text<'p>> {
        let team = turn.team;
        match &team.strategy {
            Some(Strategy::RoundRobin { state }) => {
                let len = team.members.len() as u64;
                let start = self.state.get(state).and_then(Value::as_u64).unwrap_or(0) % len;
                let turns = run.turns.entry(turn.index).or_insert(0);
                let member = team.members[((start + *turns % len) % len) as usize].id.t();
                if turn.takes {
                    *turns += 1;
                }
                Some(member)
            }
            Some(Strategy::LeastLoaded { state }) => {
                let loads = self.state.get(state).and_then(Value::as_object);
                let (m, best) = least_loaded(team, loads, |m| {
                    run.given.get(&(turn.index, m)).copied().unwrap_or(0.0)
                })?;
                if turn.takes {
                    *run.given.entry((turn.index, m)).or_insert(0.0) += 1.0;
                }
                Some(best.id.t())
            }
            _ => None,
        }
    }

    /// What a routed decision becomes when every member of its team is at
    /// capacity: no member, and a handoff goes to review instead.
    pub fn at_capacity<'p>(&'p self, d: &mut Decision<'p>) {
        let Some(r) = d.route.as_mut() else { return };
        r.member = None;
        if !r.at_capacity {
            r.at_capacity = true;
            if d.verdict == Verdict::Handoff {
                d.verdict = Verdict::Review;
                d.reasons.clear();
                d.reasons
                    .push(Reason::Policy(self.policy.texts.at_capacity.t()));
            }
        }
    }

    /// Assigns the member of a round-robin or least-loaded team, in input
    /// order (see [`Engine::take_turn`]).
    pub fn assign_in_order<'p>(&'p self, d: &mut Decision<'p>, run: &mut RunState) {
        let Some(turn) = self.pending_turn(d) else {
            return;
        };
        match self.take_turn(&turn, run) {
            Some(member) => {
                if let Some(r) = d.route.as_mut() {
                    r.member = Some(member);
                }
            }
            None => self.at_capacity(d),
        }
    }
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
