//! `handoff eval` and `handoff explain`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use super::{exit, fail};
use crate::decision::Decision;
use crate::eval::Engine;

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    /// The policy file.
    policy: PathBuf,
    /// One lead as a JSON object (a file, or `-` for standard input).
    #[arg(long, conflicts_with = "leads")]
    lead: Option<PathBuf>,
    /// Leads as NDJSON, one JSON object per line (a file, or `-`).
    #[arg(long)]
    leads: Option<PathBuf>,
    /// The evaluation time (RFC 3339); default: the clock, recorded in each decision.
    #[arg(long)]
    now: Option<String>,
    /// State for distribution strategies: a JSON object file.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Pretty-print decisions (one lead only, or every line of a batch).
    #[arg(long)]
    pretty: bool,
    /// Include the fields each signal read.
    #[arg(long)]
    explain: bool,
    /// Worker threads for batches (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
}

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    /// The policy file.
    policy: PathBuf,
    /// One lead as a JSON object (a file, or `-`).
    #[arg(long)]
    lead: PathBuf,
    /// The evaluation time (RFC 3339); default: the clock.
    #[arg(long)]
    now: Option<String>,
    /// State for distribution strategies: a JSON object file.
    #[arg(long)]
    state: Option<PathBuf>,
}

/// Loads, checks and compiles the policy; prints diagnostics on failure.
pub(crate) fn load_engine(path: &Path, state: Option<&PathBuf>) -> Result<Engine, i32> {
    let checked = crate::Checked::from_file(path)
        .map_err(|e| fail(format!("cannot read policy `{}`: {e}", path.display())))?;
    let Some(engine) = checked.compile() else {
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        let text = crate::diag::render::render_short(&checked.sources, &errors);
        eprint!("{text}");
        eprintln!(
            "error: the policy has {} error(s); run `handoff check {}` for details",
            errors.len(),
            path.display()
        );
        return Err(exit::DIAGNOSTICS);
    };
    if engine.policy.handoffs.is_empty() {
        eprintln!("error: `{}` declares no handoff, so every lead would be on hold; add a `handoff from -> to {{ ... }}`", path.display());
        return Err(exit::DIAGNOSTICS);
    }
    let state_path_given = state.is_some();
    let state = match state {
        None => serde_json::Map::new(),
        Some(p) => {
            let bytes = std::fs::read(p)
                .map_err(|e| fail(format!("cannot read state file `{}`: {e}", p.display())))?;
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    return Err(fail(format!(
                        "state file `{}` must hold a JSON object",
                        p.display()
                    )))
                }
                Err(e) => {
                    return Err(fail(format!(
                        "state file `{}` is not valid JSON: {e}",
                        p.display()
                    )))
                }
            }
        }
    };
    // without a state file every strategy starts from zero, as documented;
    // with one, say what in it does not fit
    let (errors, warnings) = if state_path_given {
        engine.check_state(&state)
    } else {
        (Vec::new(), Vec::new())
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {e}");
        }
        return Err(exit::USAGE);
    }
    Ok(engine.with_state(state))
}

pub(crate) fn parse_now(now: Option<&str>) -> Result<jiff::Timestamp, i32> {
    match now {
        None => Ok(jiff::Timestamp::now()),
        Some(s) => s.parse::<jiff::Timestamp>().map_err(|e| {
            fail(format!(
                "`--now {s}` is not an RFC 3339 timestamp such as 2025-06-01T12:00:00Z: {e}"
            ))
        }),
    }
}

fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        Ok(b)
    } else {
        std::fs::read(path)
    }
}

pub(crate) fn run_eval(a: EvalArgs) -> i32 {
    let now = match parse_now(a.now.as_deref()) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let mut engine = match load_engine(&a.policy, a.state.as_ref()) {
        Ok(e) => e,
        Err(code) => return code,
    };
    engine.explain = a.explain;
    match (&a.lead, &a.leads) {
        (Some(lead), _) => {
            let bytes = match read_input(lead) {
                Ok(b) => b,
                Err(e) => return fail(format!("cannot read lead `{}`: {e}", lead.display())),
            };
            let obj = match crate::parse_lead(&bytes) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("error: {}: {}", lead.display(), e.message);
                    return exit::RECORD_ERRORS;
                }
            };
            let mut d = engine.evaluate(&obj, now);
            engine.assign_in_order(&mut d, &mut crate::eval::RunState::default());
            let text = to_line(&d, a.pretty);
            print_or_fail(&text)
        }
        (None, Some(leads)) => batch(&engine, leads, now, a.pretty, a.jobs),
        (None, None) => fail("give the leads to evaluate: `--lead FILE` for one JSON object or `--leads FILE` for NDJSON (`-` reads standard input)"),
    }
}

fn batch(
    engine: &Engine,
    path: &Path,
    now: jiff::Timestamp,
    pretty: bool,
    jobs: Option<usize>,
) -> i32 {
    let jobs = jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    let stdin = path.as_os_str() == "-";
    let opts = crate::batch::Options {
        now,
        pretty,
        jobs,
        streaming: stdin,
    };
    let stdout = std::io::stdout();
    let out = stdout.lock();
    let summary = if stdin {
        crate::batch::run(engine, std::io::stdin(), out, &opts)
    } else {
        match std::fs::File::open(path) {
            Ok(f) => crate::batch::run(engine, f, out, &opts),
            Err(e) => return fail(format!("cannot read leads `{}`: {e}", path.display())),
        }
    };
    let by_verdict: Vec<String> = summary
        .verdicts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    eprintln!(
        "{} lead(s): {}{}",
        summary.total(),
        if by_verdict.is_empty() {
            "none evaluated".to_string()
        } else {
            by_verdict.join(", ")
        },
        if summary.errors > 0 {
            format!(
                "; {} record(s) could not be evaluated (see the error lines)",
                summary.errors
            )
        } else {
            String::new()
        }
    );
    for line in metric_summary(engine, &summary.metrics) {
        eprintln!("{line}");
    }
    if let Some(e) = summary.io_error {
        return fail(format!("reading or writing failed: {e}"));
    }
    if summary.errors > 0 {
        exit::RECORD_ERRORS
    } else {
        exit::OK
    }
}

fn to_line(d: &Decision, pretty: bool) -> String {
    let mut out = Vec::with_capacity(2048);
    crate::batch::write_line(d, pretty, &mut out);
    out.pop();
    // both writers only ever append valid UTF-8
    String::from_utf8(out).unwrap_or_default()
}

pub(crate) fn run_explain(a: ExplainArgs) -> i32 {
    let now = match parse_now(a.now.as_deref()) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let mut engine = match load_engine(&a.policy, a.state.as_ref()) {
        Ok(e) => e,
        Err(code) => return code,
    };
    engine.explain = true;
    let bytes = match read_input(&a.lead) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read lead `{}`: {e}", a.lead.display())),
    };
    let obj = match crate::parse_lead(&bytes) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {}: {}", a.lead.display(), e.message);
            return exit::RECORD_ERRORS;
        }
    };
    let mut d = engine.evaluate(&obj, now);
    engine.assign_in_order(&mut d, &mut crate::eval::RunState::default());
    let text = crate::explain::explain(&engine, &obj, &d, now);
    print_or_fail(text.trim_end_matches('\n'))
}

/// One stderr line per metric: the share over the batch, or how many
/// leads met a value metric's target.
fn metric_summary(engine: &Engine, tallies: &[crate::batch::MetricTally]) -> Vec<String> {
    use crate::ir::{CmpOp, MetricBodyIr};
    let op = |o: CmpOp| match o {
        CmpOp::Le => "<=",
        CmpOp::Lt => "<",
        CmpOp::Ge => ">=",
        CmpOp::Gt => ">",
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
    };
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    engine
        .policy
        .metrics
        .iter()
        .zip(tallies)
        .map(|(m, t)| match &m.body {
            MetricBodyIr::Share { .. } => {
                let share = pct(t.hits, t.counted);
                let target = m.target.as_ref().map(|(o, v)| {
                    let goal = match v {
                        crate::eval::value::Val::Num(n) => n * 100.0,
                        _ => f64::NAN,
                    };
                    let met = if t.counted == 0 {
                        "no data"
                    } else if compare_f(*o, share, goal) {
                        "met"
                    } else {
                        "not met"
                    };
                    format!(", target {} {}%: {met}", op(*o), trim_number(goal))
                });
                format!(
                    "metric {}: {share:.1}% ({} of {}){}",
                    m.name,
                    t.hits,
                    t.counted,
                    target.unwrap_or_default()
                )
            }
            MetricBodyIr::Value(_) => match &m.target {
                Some((o, v)) => format!(
                    "metric {}: {} lead(s) with a value, {:.1}% meet target {} {}",
                    m.name,
                    t.counted,
                    pct(t.hits, t.judged),
                    op(*o),
                    match v.to_json() {
                        Value::String(s) => s,
                        other => other.to_string(),
                    }
                ),
                None => format!("metric {}: {} lead(s) with a value", m.name, t.counted),
            },
        })
        .collect()
}

fn compare_f(op: crate::ir::CmpOp, a: f64, b: f64) -> bool {
    use crate::ir::CmpOp;
    match op {
        CmpOp::Le => a <= b,
        CmpOp::Lt => a < b,
        CmpOp::Ge => a >= b,
        CmpOp::Gt => a > b,
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
    }
}

/// Prints `text` and a newline; a closed or full stdout is an I/O error.
fn print_or_fail(text: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(text.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
    {
        Ok(()) => exit::OK,
        Err(e) => fail(format!("cannot write the output: {e}")),
    }
}

/// `12.5`, `40`: a percentage without trailing zeros.
fn trim_number(n: f64) -> String {
    let s = format!("{n:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
