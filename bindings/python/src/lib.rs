//! `handoff._native`: the Rust side of the Python package. It loads and
//! compiles policies and evaluates leads given as JSON bytes or as Arrow
//! record batches, always through `handoff::batch::Sequence` (and
//! `handoff::columnar` for Arrow), so every answer is the line
//! `handoff eval --leads` writes. The Python side (`python/handoff/`)
//! turns dicts into JSON and JSON lines into dicts, and raises the
//! package's exceptions. Evaluation runs with the GIL released; a Rust
//! panic becomes a `RuntimeError`, never an abort.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow::pyarrow::{FromPyArrow, ToPyArrow};
use arrow_array::RecordBatch;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use handoff::batch::Sequence;
use handoff::columnar::{evaluate_batch, DecisionColumns, LeadShape};
use handoff::eval::Engine;

/// Runs `f`, turning a panic into a `RuntimeError`.
fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(PyRuntimeError::new_err(format!(
                "internal error in handoff (please report it): {what}"
            )))
        }
    }
}

/// The time of evaluation: RFC 3339 text, or the clock.
fn parse_now(now: Option<&str>) -> PyResult<jiff::Timestamp> {
    match now {
        None => Ok(jiff::Timestamp::now()),
        Some(s) => s.parse().map_err(|e| {
            PyValueError::new_err(format!(
                "`now` is not an RFC 3339 time with an offset, such as 2025-06-01T12:00:00Z: `{s}`: {e}"
            ))
        }),
    }
}

/// Where a policy came from, to compile it again with other options.
#[derive(Clone)]
enum Source {
    File(PathBuf, bool),
    Text(String, String),
}

impl Source {
    fn check(&self) -> std::io::Result<handoff::Checked> {
        match self {
            Source::File(path, outside) => {
                let options = handoff::load::LoadOptions {
                    allow_outside_imports: *outside,
                };
                handoff::Checked::from_file_with(path, options)
            }
            Source::Text(name, text) => Ok(handoff::Checked::from_bytes(name, text.as_bytes())),
        }
    }
}

/// A compiled policy with its options (explanations, state).
#[pyclass(frozen, module = "handoff._native")]
struct Compiled {
    source: Source,
    engine: Arc<Engine>,
}

/// Loads and checks a policy: `(compiled or None, diagnostics as a JSON
/// array, the diagnostics rendered as `handoff check` prints them)`.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, name=String::from("<text>"), allow_outside_imports=false))]
fn load(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    name: String,
    allow_outside_imports: bool,
) -> PyResult<(Option<Compiled>, String, String)> {
    let source = match (path, text) {
        (Some(p), None) => Source::File(p, allow_outside_imports),
        (None, Some(t)) => Source::Text(name, t),
        _ => return Err(PyValueError::new_err("give a path or a text")),
    };
    py.detach(|| {
        guard(|| {
            let checked = source.check().map_err(|e| match &source {
                Source::File(p, _) => {
                    PyOSError::new_err(format!("cannot read policy `{}`: {e}", p.display()))
                }
                Source::Text(..) => PyOSError::new_err(e.to_string()),
            })?;
            let diags: Vec<serde_json::Value> = checked
                .diagnostics
                .iter()
                .map(|d| handoff::diag::render::to_json_value(&checked.sources, d))
                .collect();
            let json = serde_json::Value::Array(diags).to_string();
            let human =
                handoff::diag::render::render_human(&checked.sources, &checked.diagnostics, false);
            let compiled = checked.compile().map(|engine| Compiled {
                source: source.clone(),
                engine: Arc::new(engine),
            });
            Ok((compiled, json, human))
        })
    })
}

#[pymethods]
impl Compiled {
    /// The policy compiled again with explanations on or off and a state
    /// (JSON object text); `(compiled, warnings about the state)`.
    #[pyo3(signature = (explain=false, state=None))]
    fn with_options(
        &self,
        explain: bool,
        state: Option<&str>,
    ) -> PyResult<(Compiled, Vec<String>)> {
        guard(|| {
            let checked = self
                .source
                .check()
                .map_err(|e| PyOSError::new_err(format!("cannot read the policy again: {e}")))?;
            let mut engine = checked
                .compile()
                .ok_or_else(|| PyValueError::new_err("the policy no longer checks"))?;
            let mut warnings = Vec::new();
            if let Some(state) = state {
                let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(state)
                    .map_err(|e| {
                    PyValueError::new_err(format!("`state` must be a JSON object: {e}"))
                })?;
                let (errors, w) = engine.check_state(&map);
                if !errors.is_empty() {
                    return Err(PyValueError::new_err(format!(
                        "the state does not fit the policy: {}",
                        errors.join("; ")
                    )));
                }
                warnings = w;
                engine = engine.with_state(map);
            }
            engine.explain = explain;
            Ok((
                Compiled {
                    source: self.source.clone(),
                    engine: Arc::new(engine),
                },
                warnings,
            ))
        })
    }

    #[getter]
    fn name(&self) -> String {
        self.engine.policy_ref().name().to_string()
    }

    #[getter]
    fn version(&self) -> Option<String> {
        self.engine.policy_ref().version().map(|v| v.to_string())
    }

    #[getter]
    fn hash(&self) -> String {
        self.engine.policy_ref().hash().to_string()
    }

    /// The teams whose members depend on earlier leads.
    fn stateful_teams(&self) -> Vec<String> {
        self.engine
            .stateful_teams()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The state this engine starts from, as JSON text.
    fn state(&self) -> String {
        serde_json::Value::Object(self.engine.state().clone()).to_string()
    }
}

/// Leads evaluated in input order, across calls: line numbers of error
/// records and team members continue from one call to the next.
#[pyclass(frozen, module = "handoff._native")]
struct Run {
    engine: Arc<Engine>,
    now: jiff::Timestamp,
    seq: Mutex<Sequence>,
}

impl Run {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, Sequence>> {
        self.seq
            .lock()
            .map_err(|_| PyRuntimeError::new_err("an earlier call on this run failed part way"))
    }
}

#[pymethods]
impl Run {
    /// A run of `compiled`'s engine at time `now` (RFC 3339; the clock when
    /// `None`).
    #[new]
    #[pyo3(signature = (compiled, now=None))]
    fn new(compiled: &Compiled, now: Option<&str>) -> PyResult<Run> {
        Ok(Run {
            engine: compiled.engine.clone(),
            now: parse_now(now)?,
            seq: Mutex::new(Sequence::new(&compiled.engine)),
        })
    }

    /// The time every lead of the run is evaluated at, RFC 3339.
    #[getter]
    fn now(&self) -> String {
        self.now.to_string()
    }

    /// Evaluates leads given as JSON bytes, in order, with the GIL
    /// released: one line each (decision or error record, without the
    /// newline), and whether each is a decision.
    fn evaluate_lines<'py>(
        &self,
        py: Python<'py>,
        leads: Vec<Vec<u8>>,
    ) -> PyResult<Vec<(Bound<'py, PyBytes>, bool)>> {
        let mut guard_ = self.lock()?;
        let seq: &mut Sequence = &mut guard_;
        let out = py.detach(|| {
            guard(|| {
                let mut spare = handoff::eval::Spare::default();
                let mut out = Vec::with_capacity(leads.len());
                let mut line = Vec::with_capacity(4096);
                for lead in &leads {
                    line.clear();
                    let answer = seq.eval(&self.engine, lead, self.now, &mut spare, &mut line);
                    let ok = matches!(answer, handoff::batch::Answer::Decision(_));
                    line.pop();
                    out.push((line.clone(), ok));
                }
                Ok(out)
            })
        })?;
        Ok(out
            .into_iter()
            .map(|(b, ok)| (PyBytes::new(py, &b), ok))
            .collect())
    }

    /// The error record of a lead that has no JSON form (`lead` is what
    /// could be read of it, for its id), taking its line.
    fn error_line<'py>(
        &self,
        py: Python<'py>,
        lead: &[u8],
        message: String,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut seq = self.lock()?;
        let mut line = Vec::new();
        seq.error(
            lead,
            handoff::columnar::UNSUPPORTED_VALUE,
            message,
            &mut line,
        );
        line.pop();
        Ok(PyBytes::new(py, &line))
    }

    /// Evaluates the rows of a pyarrow `RecordBatch` in order, with the GIL
    /// released; a `RecordBatch` of decision columns.
    fn evaluate_arrow<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let batch = RecordBatch::from_pyarrow_bound(batch)?;
        let mut guard_ = self.lock()?;
        let seq: &mut Sequence = &mut guard_;
        let out = py.detach(|| {
            guard(|| {
                let shape = LeadShape::for_engine(&batch.schema(), &self.engine)
                    .map_err(PyValueError::new_err)?;
                let mut columns = DecisionColumns::new(&self.engine);
                evaluate_batch(&self.engine, &shape, &batch, self.now, seq, |a, line| {
                    columns.push(&a, line)
                });
                Ok(columns.finish())
            })
        })?;
        out.to_pyarrow(py)
    }

    /// The state the next run starts from, after the leads evaluated so
    /// far, as JSON text.
    fn state_after(&self) -> PyResult<String> {
        let seq = self.lock()?;
        let state = self.engine.state_after(seq.run());
        Ok(serde_json::Value::Object(state).to_string())
    }

    /// The number the next lead's line gets (from 1).
    fn next_line(&self) -> PyResult<usize> {
        Ok(self.lock()?.next_line())
    }
}

/// Panics inside the guard that every entry point uses: the tests check
/// that a panic comes back as a `RuntimeError` and the interpreter lives.
#[pyfunction]
fn _panic_in_guard(py: Python<'_>) -> PyResult<()> {
    py.detach(|| guard(|| -> PyResult<()> { panic!("a panic on purpose") }))
}

/// The Rust side of the `handoff` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_in_guard, m)?)?;
    m.add_class::<Compiled>()?;
    m.add_class::<Run>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
