//! What `eval` and `explain` share: the policy (from a file or standard
//! input), the time of evaluation, the state file and its update.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Map, Value};

use super::{exit, fail};
use handoff::eval::{Engine, RunState};

/// The options that say how to load a policy and its state.
#[derive(Args, Debug, Clone)]
pub(crate) struct PolicyArgs {
    /// The policy file; `-` reads it from standard input (imports are then
    /// not available).
    pub policy: PathBuf,
    /// The evaluation time (RFC 3339, e.g. 2025-06-01T12:00:00Z); default:
    /// the clock, recorded in each decision.
    #[arg(long)]
    pub now: Option<String>,
    /// State for round-robin and least-loaded teams: a JSON object file
    /// (as `--state-out` writes it).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// After the run, write the state the next run should start from:
    /// round-robin turns and least-loaded counts advanced by this run's
    /// assignments, written atomically (a temporary file, flushed to disk,
    /// renamed). May name the `--state` file to update it in place.
    #[arg(long)]
    pub state_out: Option<PathBuf>,
    /// Follow imports with absolute paths or paths that leave the policy's
    /// folder (refused by default: policies from pull requests are untrusted).
    #[arg(long)]
    pub allow_outside_imports: bool,
}

impl PolicyArgs {
    /// The policy compiled, with its state; the exit code on failure
    /// (diagnostics and messages are printed).
    pub fn engine(&self) -> Result<Engine, i32> {
        self.engine_with(&[])
    }

    /// [`PolicyArgs::engine`] with declarations checked and compiled
    /// beside the policy (a command's own signals, as `metrics` adds).
    pub fn engine_with(&self, extra: &[(&str, &str)]) -> Result<Engine, i32> {
        if self.policy.as_os_str() == "-" && self.state.as_deref() == Some(Path::new("-")) {
            return Err(fail(
                "the policy and the state cannot both come from standard input",
            ));
        }
        if self.state_out.as_deref() == Some(Path::new("-")) {
            return Err(fail(
                "`--state-out` takes a file to write the state to (it is replaced atomically), not `-`",
            ));
        }
        let engine = if self.policy.as_os_str() == "-" {
            // read no further than the size limit (H003 past it)
            let checked = handoff::Checked::from_reader("<stdin>", std::io::stdin().lock(), extra)
                .map_err(|e| fail(format!("cannot read the policy from standard input: {e}")))?;
            compiled(checked, &self.policy, extra)?
        } else {
            compile_file(&self.policy, self.allow_outside_imports, extra)?
        };
        match &self.state {
            Some(p) => with_checked_state(engine, &read_state(p)?, ""),
            None => {
                if let Some(team) = engine.stateful_teams().first() {
                    eprintln!(
                        "warning: team `{team}` distributes leads by what earlier runs assigned, and no `--state` was given: this run starts from the first member; pass `--state FILE` and `--state-out FILE` to carry the rotation from run to run"
                    );
                }
                Ok(engine)
            }
        }
    }

    /// The time of evaluation.
    pub fn now(&self) -> Result<jiff::Timestamp, i32> {
        parse_now(self.now.as_deref()).map_err(fail)
    }

    /// Writes the state after a run to `--state-out`, when given.
    pub fn save_state(&self, engine: &Engine, run: &RunState) -> Result<(), i32> {
        let Some(path) = &self.state_out else {
            return Ok(());
        };
        let state = engine.state_after(run);
        let mut text = serde_json::to_vec_pretty(&Value::Object(state)).unwrap_or_default();
        text.push(b'\n');
        handoff::files::write_replacing(path, &text)
            .map_err(|e| fail(format!("cannot write state file `{}`: {e}", path.display())))
    }
}

/// Parses `--now`: an RFC 3339 time whose offset is at most 23:59, in the
/// range the evaluator supports; the clock when absent.
pub(crate) fn parse_now(now: Option<&str>) -> Result<jiff::Timestamp, String> {
    match now {
        None => Ok(jiff::Timestamp::now()),
        Some(s) => handoff::eval::parse_now("--now ", s),
    }
}

/// Reads and compiles a policy file; the exit code on failure (the errors
/// are printed, briefly).
/// `extra` are declarations checked and compiled beside it (see
/// [`handoff::Checked::from_file_with_extra`]).
pub(crate) fn compile_file(
    path: &Path,
    allow_outside_imports: bool,
    extra: &[(&str, &str)],
) -> Result<Engine, i32> {
    let options = handoff::load::LoadOptions {
        allow_outside_imports,
    };
    let checked = handoff::Checked::from_file_with_extra(path, options, extra)
        .map_err(|e| fail(format!("cannot read policy `{}`: {e}", path.display())))?;
    compiled(checked, path, extra)
}

/// The engine of a checked policy, or its errors printed and the exit code.
fn compiled(checked: handoff::Checked, path: &Path, extra: &[(&str, &str)]) -> Result<Engine, i32> {
    if let Some(engine) = checked.compile() {
        return Ok(engine);
    }
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    // an option's own text (`--segment`) is shown whole: it is short, and
    // not in a file the user can open
    let in_options = |d: &handoff::diag::Diagnostic| {
        let name = &checked.sources.get(d.primary.span.file).name;
        extra.iter().any(|(n, _)| n == name)
    };
    let (ours, theirs): (Vec<_>, Vec<_>) = errors.into_iter().partition(in_options);
    if !ours.is_empty() {
        let text = handoff::diag::render::render_human(&checked.sources, &ours, false);
        eprint!("{text}");
    }
    if !theirs.is_empty() {
        let text = handoff::diag::render::render_short(&checked.sources, &theirs);
        eprint!("{text}");
        let name = if path.as_os_str() == "-" {
            "the policy".to_string()
        } else {
            format!("the policy `{}`", path.display())
        };
        eprintln!(
            "error: {name} has {} error(s); run `handoff check {}` for details",
            theirs.len(),
            path.display()
        );
    }
    Err(exit::DIAGNOSTICS)
}

/// Gives an engine the state file's content, checked against the policy:
/// wrong shapes are refused (printed, with the usage exit code) and keys
/// the policy names but the state lacks are warned of. `who` starts each
/// message (empty, or the policy's name when there are two).
pub(crate) fn with_checked_state(
    engine: Engine,
    state: &Map<String, Value>,
    who: &str,
) -> Result<Engine, i32> {
    let (errors, warnings) = engine.check_state(state);
    for w in &warnings {
        eprintln!("warning: {who}{w}");
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {who}{e}");
        }
        return Err(exit::USAGE);
    }
    Ok(engine.with_state(state.clone()))
}

/// Reads a state file (`-`: standard input): a JSON object, a byte-order
/// mark allowed.
pub(crate) fn read_state(path: &Path) -> Result<Map<String, Value>, i32> {
    const LIMIT: u64 = handoff::eval::MAX_STATE_BYTES;
    let read = if path.as_os_str() == "-" {
        handoff::files::read_limited_from(std::io::stdin().lock(), LIMIT)
    } else {
        handoff::files::read_limited(path, LIMIT)
    };
    let bytes = read.map_err(|e| {
        let what = if path.as_os_str() == "-" {
            "the state from standard input".to_string()
        } else {
            format!("state file `{}`", path.display())
        };
        match e {
            handoff::files::ReadError::TooLarge { .. } => fail(format!(
                "cannot read {what}: {e}; a state file holds the turns and counts of teams, as `--state-out` writes it"
            )),
            handoff::files::ReadError::Io(e) => fail(format!("cannot read {what}: {e}")),
        }
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(fail(format!(
            "state file `{}` must hold a JSON object such as {{\"emea_rr\": 3}}",
            path.display()
        ))),
        Err(e) => Err(fail(format!(
            "state file `{}` is not valid JSON at line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))),
    }
}
