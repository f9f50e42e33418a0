//! Distribution that depends on earlier leads (round-robin and
//! least-loaded teams): the state file that carries it from run to run,
//! and the assignment of members in input order.

use serde_json::Value;

use crate::decision::*;
use crate::ir::*;

use super::Engine;

impl Engine {
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
    pub fn state_keys(&self) -> impl Iterator<Item = &str> {
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

    /// The names of the policy's scores, in the order decisions list them.
    pub fn score_names(&self) -> Vec<&str> {
        self.policy.scores.iter().map(|s| s.name.as_str()).collect()
    }

    /// The top-level fields of a lead that can change its decision: those
    /// the policy reads, and those a lead id is read from (`id`, `Id`,
    /// `ID`, `lead_id`, `LeadId`, `attributes`). A lead cut down to them is
    /// decided alike, so columnar input reads no other column.
    pub fn top_level_fields(&self) -> Vec<&str> {
        let mut fields: Vec<&str> = self
            .policy
            .projection
            .keys
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        fields.extend(super::scan::ID_KEYS);
        fields.push("attributes");
        fields.sort_unstable();
        fields.dedup();
        fields
    }

    /// The state file's content this engine starts from.
    pub fn state(&self) -> &serde_json::Map<String, Value> {
        &self.state
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
                    // past u64::MAX turns, the count starts again at the
                    // same place in the rotation (it stuck there before)
                    let len = t.members.len().max(1) as u64;
                    let after = before
                        .checked_add(turns)
                        .unwrap_or_else(|| (before % len + turns % len) % len);
                    state.insert(key.to_string(), after.into());
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
}

/// The member with the lowest share of their capacity in use, among those
/// under capacity; `extra` adds leads given during this run. A member
/// without a capacity counts by open leads alone. `None`: all are full.
pub(super) fn least_loaded<'t>(
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
