//! `handoff eval` and `handoff explain`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
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
    /// Leads as NDJSON, one JSON object per line, or as one JSON document
    /// (an array of leads, or a CRM export with `records`); a file, or `-`.
    #[arg(long)]
    leads: Option<PathBuf>,
    /// How `--leads` is laid out [default: auto: a first line that opens an
    /// array, opens an object it does not close, or is a whole export object
    /// means a JSON document; otherwise NDJSON].
    #[arg(long, value_enum, requires = "leads", conflicts_with = "lead")]
    leads_format: Option<LeadsFormat>,
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

/// The layout of `--leads`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum LeadsFormat {
    /// A JSON document when the input starts like one, else NDJSON.
    Auto,
    /// One lead object per line.
    Ndjson,
    /// JSON documents: an array of leads, an export object whose `records`
    /// (Salesforce) or `results` (HubSpot) list the leads, or a lead object;
    /// one, or several one after another (as `jq .` prints them).
    Json,
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
            if let Some(code) = not_one_lead(lead, &bytes) {
                return code;
            }
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
        (None, Some(leads)) => batch(
            &engine,
            leads,
            a.leads_format.unwrap_or(LeadsFormat::Auto),
            now,
            a.pretty,
            a.jobs,
        ),
        (None, None) => fail("give the leads to evaluate: `--lead FILE` for one JSON object or `--leads FILE` for NDJSON or a JSON array or export (`-` reads standard input)"),
    }
}

fn batch(
    engine: &Engine,
    path: &Path,
    format: LeadsFormat,
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
    let input: Box<dyn Read + Send> = if stdin {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => return fail(format!("cannot read leads `{}`: {e}", path.display())),
        }
    };
    let cannot_read =
        |e: std::io::Error| fail(format!("cannot read leads `{}`: {e}", path.display()));
    let summary = match format {
        LeadsFormat::Ndjson => crate::batch::run(engine, input, stdout.lock(), &opts),
        LeadsFormat::Json => match read_all(input) {
            Ok(bytes) => match document(engine, path, &bytes, stdout.lock(), &opts) {
                Ok(summary) => summary,
                Err(e) => {
                    return fail(format!(
                        "{e}; to read one lead per line instead, use `--leads-format ndjson`"
                    ))
                }
            },
            Err(e) => return cannot_read(e),
        },
        LeadsFormat::Auto => {
            // the first line tells; what was read to see it is read again
            let (head, input) = match first_line(input) {
                Ok(x) => x,
                Err(e) => return cannot_read(e),
            };
            if looks_like_document(&head) {
                let mut bytes = head;
                if let Err(e) = { input }.read_to_end(&mut bytes) {
                    return cannot_read(e);
                }
                match document(engine, path, &bytes, stdout.lock(), &opts) {
                    Ok(summary) => summary,
                    Err(e) => {
                        // it only started like a document: lines it is, so
                        // that every good line still gets its decision
                        eprintln!("note: {e}; reading it as NDJSON, one lead per line");
                        let bytes = std::io::Cursor::new(bytes);
                        crate::batch::run(engine, bytes, stdout.lock(), &opts)
                    }
                }
            } else {
                let input = std::io::Cursor::new(head).chain(input);
                crate::batch::run(engine, input, stdout.lock(), &opts)
            }
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

/// `--lead` given a file of several leads (a JSON array, or a CRM export
/// with `records`): says so and how to evaluate them, instead of reading it
/// as one lead with odd fields.
fn not_one_lead(path: &Path, bytes: &[u8]) -> Option<i32> {
    let text = std::str::from_utf8(bytes).ok()?;
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let what = if body.starts_with('[') {
        // an array that is not valid JSON is left to the usual message
        let n = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(body).ok()?;
        format!("a JSON array of {} value(s)", n.len())
    } else {
        let n = crate::batch::envelope_size(body)?;
        format!("a CRM export with {n} lead record(s)")
    };
    let file = if path.as_os_str() == "-" {
        "-".to_string()
    } else {
        path.display().to_string()
    };
    Some(fail(format!(
        "`{}` holds {what}, not one lead: evaluate them with `handoff eval POLICY --leads {file}` (one decision per lead)",
        path.display()
    )))
}

fn read_all(mut input: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads until the first line is complete (or the input ends): enough to
/// tell a JSON document from NDJSON, without waiting for more of a pipe
/// than the first lead.
fn first_line<R: Read>(mut input: R) -> std::io::Result<(Vec<u8>, R)> {
    let mut head = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok((head, input));
        }
        // only the new bytes can hold the first newline
        let done = buf[..n].contains(&b'\n');
        head.extend_from_slice(&buf[..n]);
        if done {
            return Ok((head, input));
        }
    }
}

/// Whether input whose first line is in `head` is a JSON document: the line
/// opens an array, opens an object it does not close (a pretty-printed
/// export), or is a whole CRM export object. A blank first line means
/// NDJSON (answered at once, as an empty line).
fn looks_like_document(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let Ok(line) = std::str::from_utf8(line) else {
        return false;
    };
    let line = line.trim();
    if line.starts_with('[') {
        return true;
    }
    if !line.starts_with('{') {
        return false;
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(line) {
        Ok(_) => crate::batch::envelope_size(line).is_some(),
        Err(e) => e.is_eof(),
    }
}

/// Evaluates the leads of a JSON document (see `--leads-format json`); the
/// message when it is not one.
fn document(
    engine: &Engine,
    path: &Path,
    bytes: &[u8],
    out: impl Write,
    opts: &crate::batch::Options,
) -> Result<crate::batch::Summary, String> {
    let name = path.display();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count();
            let column = 1 + at
                - bytes[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
            return Err(format!(
                "`{name}` is not UTF-8 at line {line}, column {column}: save the export as UTF-8"
            ));
        }
    };
    match crate::batch::document_records(text) {
        Ok(doc) => {
            for note in &doc.notes {
                eprintln!("note: {note}");
            }
            Ok(crate::batch::run_records(engine, doc.records, out, opts))
        }
        Err(e) => Err(format!(
            "`{name}` is not one JSON document (or several one after another): at line {}, column {}: {}",
            e.line, e.column, e.message
        )),
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
    if let Some(code) = not_one_lead(&a.lead, &bytes) {
        return code;
    }
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
