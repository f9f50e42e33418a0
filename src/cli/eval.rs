//! `handoff eval` and `handoff explain`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use clap::Args;
use serde_json::{json, Value};

use super::{exit, fail};
use crate::decision::{Decision, Verdict};
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

/// The outcome of one input line.
enum Outcome<'p> {
    Line(String, Option<Verdict>, Vec<MetricTally>),
    /// A decision whose round-robin member is assigned in input order.
    Pending(Box<Decision<'p>>),
    Error(String),
}

const BATCH: usize = 512;

fn batch(
    engine: &Engine,
    path: &Path,
    now: jiff::Timestamp,
    pretty: bool,
    jobs: Option<usize>,
) -> i32 {
    let input: Box<dyn BufRead + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::with_capacity(1 << 20, std::io::stdin()))
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
            Err(e) => return fail(format!("cannot read leads `{}`: {e}", path.display())),
        }
    };
    let jobs = jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut errors = 0usize;
    let mut io_error: Option<String> = None;
    let mut rr = crate::eval::RunState::default();
    let mut tallies: Vec<MetricTally> = vec![MetricTally::default(); engine.policy.metrics.len()];

    std::thread::scope(|s| {
        // reader -> workers: numbered batches of lines; bounded for flat memory
        let (line_tx, line_rx) = mpsc::sync_channel::<(usize, usize, Vec<Vec<u8>>)>(jobs * 2);
        let line_rx = std::sync::Arc::new(std::sync::Mutex::new(line_rx));
        let (out_tx, out_rx) = mpsc::sync_channel::<(usize, Vec<Outcome>)>(jobs * 2);
        let reader = s.spawn(move || read_batches(input, line_tx));
        for _ in 0..jobs {
            let rx = line_rx.clone();
            let tx = out_tx.clone();
            s.spawn(move || loop {
                let msg = rx.lock().map(|r| r.recv());
                let Ok(Ok((seq, first_line, lines))) = msg else {
                    break;
                };
                let outcomes = lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| evaluate_line(engine, l, first_line + i, now, pretty))
                    .collect();
                if tx.send((seq, outcomes)).is_err() {
                    break;
                }
            });
        }
        drop(out_tx);
        // write in input order
        let mut pending: BTreeMap<usize, Vec<Outcome>> = BTreeMap::new();
        let mut next = 0usize;
        for (seq, outcomes) in out_rx {
            pending.insert(seq, outcomes);
            while let Some(batch) = pending.remove(&next) {
                for o in batch {
                    let line = match o {
                        Outcome::Line(l, v, t) => {
                            if let Some(v) = v {
                                *counts.entry(v.as_str()).or_default() += 1;
                            }
                            add_tallies(&mut tallies, &t);
                            l
                        }
                        Outcome::Pending(mut d) => {
                            engine.assign_in_order(&mut d, &mut rr);
                            *counts.entry(d.verdict.as_str()).or_default() += 1;
                            add_tallies(&mut tallies, &tally(engine, &d));
                            to_line(&d, pretty)
                        }
                        Outcome::Error(l) => {
                            errors += 1;
                            l
                        }
                    };
                    if io_error.is_none() {
                        if let Err(e) = out
                            .write_all(line.as_bytes())
                            .and_then(|_| out.write_all(b"\n"))
                        {
                            io_error = Some(e.to_string());
                        }
                    }
                }
                next += 1;
            }
        }
        if let Ok(Err(e)) = reader.join() {
            io_error.get_or_insert(e);
        }
    });
    if let Err(e) = out.flush() {
        io_error.get_or_insert(e.to_string());
    }
    let total: usize = counts.values().sum::<usize>() + errors;
    let by_verdict: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    eprintln!(
        "{total} lead(s): {}{}",
        if by_verdict.is_empty() {
            "none evaluated".to_string()
        } else {
            by_verdict.join(", ")
        },
        if errors > 0 {
            format!("; {errors} record(s) could not be evaluated (see the error lines)")
        } else {
            String::new()
        }
    );
    for line in metric_summary(engine, &tallies) {
        eprintln!("{line}");
    }
    if let Some(e) = io_error {
        return fail(format!("reading or writing failed: {e}"));
    }
    if errors > 0 {
        exit::RECORD_ERRORS
    } else {
        exit::OK
    }
}

fn to_line(d: &Decision, pretty: bool) -> String {
    if pretty {
        return serde_json::to_string_pretty(d).unwrap_or_default();
    }
    let mut out = Vec::with_capacity(2048);
    crate::write::write_decision(d, &mut out);
    // the writer only ever appends valid UTF-8
    String::from_utf8(out).unwrap_or_default()
}

fn evaluate_line<'p>(
    engine: &'p Engine,
    bytes: &[u8],
    line_no: usize,
    now: jiff::Timestamp,
    pretty: bool,
) -> Outcome<'p> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    match engine.evaluate_bytes(bytes, now) {
        Ok(d) => {
            if engine.needs_assignment(&d) {
                Outcome::Pending(Box::new(d))
            } else {
                Outcome::Line(to_line(&d, pretty), Some(d.verdict), tally(engine, &d))
            }
        }
        Err(e) => {
            let lead_id = lead_id_guess(bytes);
            let rec = json!({ "error": { "line": line_no, "lead_id": lead_id, "kind": e.kind, "message": e.message } });
            Outcome::Error(rec.to_string())
        }
    }
}

/// The id of a record that did not parse, when it can be read: the first
/// of `id`, `Id`, `ID`, `lead_id`, `LeadId` (the keys decisions use) that is
/// followed by a string or a number, preferring keys at the top level.
fn lead_id_guess(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(65_536)]);
    let mut best: Option<(usize, usize, String)> = None; // (depth, key rank, id)
    for (rank, key) in ["\"id\"", "\"Id\"", "\"ID\"", "\"lead_id\"", "\"LeadId\""]
        .iter()
        .enumerate()
    {
        for (at, _) in text.match_indices(key) {
            let Some(rest) = text[at + key.len()..].trim_start().strip_prefix(':') else {
                continue;
            };
            let rest = rest.trim_start();
            let id = if let Some(r) = rest.strip_prefix('"') {
                match r.find('"') {
                    Some(end) => r[..end].to_string(),
                    None => continue,
                }
            } else {
                let n: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+'))
                    .collect();
                if n.is_empty() {
                    continue;
                }
                n
            };
            // nesting depth at the key, counting brackets outside strings
            let depth = nesting(&text[..at]);
            if best
                .as_ref()
                .is_none_or(|(d, r, _)| (depth, rank) < (*d, *r))
            {
                best = Some((depth, rank, id));
            }
        }
    }
    best.map(|(_, _, id)| id)
}

fn nesting(prefix: &str) -> usize {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for c in prefix.chars() {
        match (in_str, esc, c) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') => in_str = false,
            (true, ..) => {}
            (false, _, '"') => in_str = true,
            (false, _, '{' | '[') => depth += 1,
            (false, _, '}' | ']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth
}

/// Reads lines (without the newline) in numbered batches. Overlong lines
/// are cut to the limit plus one byte, so `parse_lead` reports them as too
/// large while memory stays bounded.
fn read_batches(
    mut input: Box<dyn BufRead + Send>,
    tx: mpsc::SyncSender<(usize, usize, Vec<Vec<u8>>)>,
) -> Result<(), String> {
    let mut seq = 0;
    let mut line_no = 1;
    let mut batch = Vec::with_capacity(BATCH);
    let mut first = 1;
    loop {
        let mut line = Vec::new();
        let mut truncated = false;
        let mut got_any = false;
        loop {
            let buf = input.fill_buf().map_err(|e| e.to_string())?;
            if buf.is_empty() {
                break;
            }
            got_any = true;
            let (chunk, done) = match memchr(buf) {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if !truncated {
                let room =
                    crate::MAX_RECORD_BYTES + 1 - line.len().min(crate::MAX_RECORD_BYTES + 1);
                line.extend_from_slice(&chunk[..chunk.len().min(room)]);
                truncated = line.len() > crate::MAX_RECORD_BYTES;
            }
            let used = done.unwrap_or(buf.len());
            input.consume(used);
            if done.is_some() {
                break;
            }
        }
        if !got_any {
            break;
        }
        batch.push(line);
        line_no += 1;
        if batch.len() == BATCH {
            if tx.send((seq, first, std::mem::take(&mut batch))).is_err() {
                return Ok(());
            }
            seq += 1;
            first = line_no;
        }
    }
    if !batch.is_empty() {
        let _ = tx.send((seq, first, batch));
    }
    Ok(())
}

fn memchr(buf: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', buf)
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

/// Counts behind one metric over a batch.
#[derive(Clone, Copy, Default)]
struct MetricTally {
    /// leads with a value (value metrics) or in the `among` set (shares)
    counted: usize,
    /// leads meeting the target (value metrics) or in the `of` set (shares)
    hits: usize,
    /// leads whose value could be compared with the target
    judged: usize,
}

fn tally(engine: &Engine, d: &Decision) -> Vec<MetricTally> {
    engine
        .policy
        .metrics
        .iter()
        .map(|m| {
            let Some(v) = d.metrics.get(&m.name) else {
                return MetricTally::default();
            };
            match &v.share {
                Some(s) => {
                    let among = s.among == Some(true);
                    MetricTally {
                        counted: usize::from(among),
                        hits: usize::from(among && s.of == Some(true)),
                        judged: 0,
                    }
                }
                None => MetricTally {
                    counted: usize::from(!v.value.is_null()),
                    hits: usize::from(v.meets_target == Some(true)),
                    judged: usize::from(v.meets_target.is_some()),
                },
            }
        })
        .collect()
}

fn add_tallies(into: &mut [MetricTally], from: &[MetricTally]) {
    for (a, b) in into.iter_mut().zip(from) {
        a.counted += b.counted;
        a.hits += b.hits;
        a.judged += b.judged;
    }
}

/// One stderr line per metric: the share over the batch, or how many
/// leads met a value metric's target.
fn metric_summary(engine: &Engine, tallies: &[MetricTally]) -> Vec<String> {
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
