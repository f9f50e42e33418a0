//! The policies a server runs: loaded, checked and compiled at the start;
//! reloaded when a file changes (polled every second) or on SIGHUP, a
//! broken version kept out with its diagnostics; the state of round-robin
//! and least-loaded teams held in memory and written to the state file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use serde_json::{Map, Value};

use crate::eval::{Engine, RunState};

use super::telemetry::{event, Metrics};

/// One version of a policy, compiled, and the distribution it has done.
pub struct Gen {
    /// The engine for decisions.
    pub engine: Engine,
    /// The same policy with `explain` on (for `?explain=true`).
    pub explain: Engine,
    /// The policy's name, version and hash, as decisions name it.
    pub name: String,
    /// The header's `version`.
    pub version: Option<String>,
    /// SHA-256 of its sources.
    pub hash: String,
    /// When this version was loaded.
    pub loaded_at: jiff::Timestamp,
    /// Its round-robin and least-loaded teams.
    pub stateful: Vec<String>,
    /// The state keys those teams read.
    pub keys: Vec<String>,
    /// The members handed out since this version was loaded, assigned
    /// under the lock in request order.
    pub run: Arc<tokio::sync::Mutex<RunCell>>,
}

/// The distribution of one version: what it handed out, and whether a
/// newer version took over (its turns then carried into the newer one).
#[derive(Default)]
pub struct RunCell {
    /// Turns and loads given since the version was loaded.
    pub run: RunState,
    /// A reload replaced this version: take the current one instead.
    pub retired: bool,
}

/// A version that was refused, and why.
#[derive(Clone)]
pub struct Rejected {
    /// When.
    pub at: jiff::Timestamp,
    /// In one line.
    pub message: String,
    /// The diagnostics, as `handoff check --format json` gives them
    /// (`null` when the file could not be read).
    pub diagnostics: Value,
}

/// What the file system said of a policy's files when it was read.
type Stamps = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

/// A policy file served, and the version of it in use.
pub struct Slot {
    /// The file as given.
    pub path: PathBuf,
    current: ArcSwap<Gen>,
    rejected: Mutex<Option<Rejected>>,
    stamps: Mutex<Stamps>,
}

impl Slot {
    /// The version in use.
    pub fn current(&self) -> Arc<Gen> {
        self.current.load_full()
    }

    /// The last reload refused since the last good one.
    pub fn rejected(&self) -> Option<Rejected> {
        self.rejected.lock().ok().and_then(|r| r.clone())
    }
}

/// All the policies served.
pub struct Registry {
    /// In the order given.
    pub slots: Vec<Slot>,
    state_path: Option<PathBuf>,
    /// The state file's content, with the policies' keys as last saved.
    base: Mutex<Map<String, Value>>,
    allow_outside_imports: bool,
    record_reads: bool,
}

fn stamp(p: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(p).ok()?;
    Some((m.modified().ok()?, m.len()))
}

fn diag_json(checked: &crate::Checked) -> Value {
    let text = crate::diag::render::render(
        crate::diag::render::Format::Json,
        &checked.sources,
        &checked.diagnostics,
        false,
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

impl Registry {
    /// Loads every policy and the state; an error says what is wrong.
    pub fn load(
        paths: &[PathBuf],
        state_path: Option<&Path>,
        allow_outside_imports: bool,
        record_reads: bool,
    ) -> Result<Registry, String> {
        let base = match state_path {
            Some(p) if p.exists() => read_state(p)?,
            _ => Map::new(),
        };
        let mut r = Registry {
            slots: Vec::new(),
            state_path: state_path.map(Path::to_path_buf),
            base: Mutex::new(base.clone()),
            allow_outside_imports,
            record_reads,
        };
        for p in paths {
            let (gen, stamps) = r
                .compile(p, &base)
                .map_err(|e| format!("cannot serve `{}`: {}", p.display(), e.message))?;
            if let Some(other) = r.slots.iter().find(|s| s.current().name == gen.name) {
                return Err(format!(
                    "`{}` and `{}` are both the policy \"{}\": requests choose a policy by name (`?policy=`), so names must differ",
                    other.path.display(),
                    p.display(),
                    gen.name
                ));
            }
            for k in &gen.keys {
                if let Some(other) = r.slots.iter().find(|s| s.current().keys.contains(k)) {
                    return Err(format!(
                        "`{}` and `{}` both keep state under `{k}`: one state key has one writer",
                        other.path.display(),
                        p.display()
                    ));
                }
            }
            r.slots.push(Slot {
                path: p.clone(),
                current: ArcSwap::from_pointee(gen),
                rejected: Mutex::new(None),
                stamps: Mutex::new(stamps),
            });
        }
        Ok(r)
    }

    /// Reads, checks and compiles `path` with `state`.
    fn compile(&self, path: &Path, state: &Map<String, Value>) -> Result<(Gen, Stamps), Rejected> {
        let rejected = |message: String, diagnostics: Value| Rejected {
            at: jiff::Timestamp::now(),
            message,
            diagnostics,
        };
        let options = crate::load::LoadOptions {
            allow_outside_imports: self.allow_outside_imports,
        };
        let checked = crate::Checked::from_file_with(path, options)
            .map_err(|e| rejected(format!("cannot read it: {e}"), Value::Null))?;
        let stamps: Stamps = checked
            .sources
            .files()
            .map(|(_, f)| (PathBuf::from(&f.name), stamp(Path::new(&f.name))))
            .collect();
        let (Some(mut engine), Some(mut explain)) = (checked.compile(), checked.compile()) else {
            let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
            let short = crate::diag::render::render_short(&checked.sources, &checked.diagnostics);
            return Err(rejected(
                format!("{errors} error(s): {}", short.lines().next().unwrap_or("")),
                diag_json(&checked),
            ));
        };
        let (errors, warnings) = engine.check_state(state);
        if !errors.is_empty() {
            return Err(rejected(
                format!("the state does not fit it: {}", errors.join("; ")),
                Value::Null,
            ));
        }
        for w in warnings {
            event(
                "warning",
                &[
                    ("policy", path.display().to_string().into()),
                    ("message", w.into()),
                ],
            );
        }
        engine.record_reads = self.record_reads;
        explain.record_reads = self.record_reads;
        explain.explain = true;
        let info = engine.policy_ref();
        let gen = Gen {
            name: info.name().as_str().to_string(),
            version: info.version().map(|v| v.as_str().to_string()),
            hash: info.hash().as_str().to_string(),
            loaded_at: jiff::Timestamp::now(),
            stateful: engine
                .stateful_teams()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            keys: engine.state_keys().map(str::to_string).collect(),
            engine: engine.with_state(state.clone()),
            explain: explain.with_state(state.clone()),
            run: Arc::new(tokio::sync::Mutex::new(RunCell::default())),
        };
        Ok((gen, stamps))
    }

    /// Reloads the policies whose files changed since they were read (or
    /// all, `force`: SIGHUP). Blocks: run it off the async threads.
    pub fn reload(&self, force: bool, metrics: &Metrics) {
        for slot in &self.slots {
            let changed = {
                let Ok(stamps) = slot.stamps.lock() else {
                    continue;
                };
                force || stamps.iter().any(|(p, s)| stamp(p) != *s)
            };
            if changed {
                self.reload_slot(slot, metrics);
            }
        }
    }

    fn reload_slot(&self, slot: &Slot, metrics: &Metrics) {
        let old = slot.current();
        // the turns taken so far carry into the new version: hold them
        // still while it takes over
        let mut cell = old.run.blocking_lock();
        let state = old.engine.state_after(&cell.run);
        let name = old.name.clone();
        match self.compile(&slot.path, &state) {
            Ok((gen, stamps)) => {
                let hash = gen.hash.clone();
                cell.retired = true;
                slot.current.store(Arc::new(gen));
                drop(cell);
                if let Ok(mut s) = slot.stamps.lock() {
                    *s = stamps;
                }
                if let Ok(mut r) = slot.rejected.lock() {
                    *r = None;
                }
                metrics.reloads.with_label_values(&[&name, "ok"]).inc();
                event(
                    "info",
                    &[
                        ("event", "reload".into()),
                        ("policy", name.into()),
                        ("outcome", "ok".into()),
                        ("hash", hash.into()),
                    ],
                );
            }
            Err(rejected) => {
                drop(cell);
                // tried again when a file changes again (or on SIGHUP)
                if let Ok(mut s) = slot.stamps.lock() {
                    for (p, st) in s.iter_mut() {
                        *st = stamp(p);
                    }
                }
                metrics
                    .reloads
                    .with_label_values(&[&name, "rejected"])
                    .inc();
                event(
                    "error",
                    &[
                        ("event", "reload".into()),
                        ("policy", name.into()),
                        ("outcome", "rejected".into()),
                        ("file", slot.path.display().to_string().into()),
                        ("message", rejected.message.clone().into()),
                        ("diagnostics", rejected.diagnostics.clone()),
                    ],
                );
                if let Ok(mut r) = slot.rejected.lock() {
                    *r = Some(rejected);
                }
            }
        }
    }

    /// Whether any policy has round-robin or least-loaded teams.
    pub fn stateful(&self) -> bool {
        self.slots.iter().any(|s| !s.current().keys.is_empty())
    }

    /// The state file, when given.
    pub fn state_path(&self) -> Option<&Path> {
        self.state_path.as_deref()
    }

    /// Writes the state every policy has reached to the state file,
    /// atomically. Blocks: run it off the async threads.
    pub fn save_state(&self) -> std::io::Result<()> {
        let Some(path) = &self.state_path else {
            return Ok(());
        };
        if !self.stateful() {
            return Ok(());
        }
        let Ok(mut base) = self.base.lock() else {
            return Ok(());
        };
        for slot in &self.slots {
            let gen = slot.current();
            let cell = gen.run.blocking_lock();
            let state = gen.engine.state_after(&cell.run);
            drop(cell);
            for k in &gen.keys {
                if let Some(v) = state.get(k) {
                    base.insert(k.clone(), v.clone());
                }
            }
        }
        let mut text = serde_json::to_vec_pretty(&Value::Object(base.clone())).unwrap_or_default();
        text.push(b'\n');
        crate::files::write_replacing(path, &text)
    }
}

/// Reads a state file: a JSON object, a byte-order mark allowed.
fn read_state(path: &Path) -> Result<Map<String, Value>, String> {
    let bytes = crate::files::read_limited(path, crate::eval::MAX_STATE_BYTES)
        .map_err(|e| format!("cannot read state file `{}`: {e}", path.display()))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!(
            "state file `{}` must hold a JSON object such as {{\"emea_rr\": 3}}",
            path.display()
        )),
        Err(e) => Err(format!(
            "state file `{}` is not valid JSON: {e}",
            path.display()
        )),
    }
}
