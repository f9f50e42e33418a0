//! `handoff eval`: one decision per lead, as JSON lines.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::Value;

use super::policy::PolicyArgs;
use super::progress::Progress;
use super::{exit, fail};
use handoff::batch::Sniff;
use handoff::eval::{Engine, RunState};

/// The most worker threads `--jobs` takes.
const MAX_JOBS: u16 = 1024;

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    /// One lead as a JSON object (a file, or `-` for standard input).
    #[arg(long, conflicts_with = "leads")]
    lead: Option<PathBuf>,
    /// Leads as NDJSON, one JSON object per line, or as one JSON document
    /// (an array of leads, or a CRM export with `records`); a file, or `-`.
    #[arg(long)]
    leads: Option<PathBuf>,
    /// How `--leads` is laid out [default: auto: told from the input's
    /// first lines: an array, a CRM export or a pretty-printed object is a
    /// JSON document; otherwise NDJSON].
    #[arg(long, value_enum, requires = "leads", conflicts_with = "lead")]
    pub(crate) leads_format: Option<LeadsFormat>,
    /// Pretty-print decisions (one lead only, or every line of a batch).
    #[arg(long)]
    pub(crate) pretty: bool,
    /// Include the fields each signal read.
    #[arg(long)]
    explain: bool,
    /// Worker threads for NDJSON batches, 1 to 1024 (default: the number
    /// of cores). More than the machine's cores are not started: they
    /// would only hold more input in memory.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS as i64))]
    jobs: Option<u16>,
    /// Append one JSON line per decision (and per record that could not be
    /// evaluated) to this file, the audit trail: an id, when, the policy,
    /// the lead and where it was in the input, the verdict, the route and
    /// the rule that chose it, escalations due, missing context, quality
    /// gates, and the lead fields the policy read with `pii` fields masked.
    /// Runs may share the file; read it with `handoff log` (docs/audit.md).
    #[arg(long, value_name = "FILE")]
    decision_log: Option<PathBuf>,
    /// Write the decisions to this Parquet file (`FILE.parquet`) as
    /// columns (lead_id, verdict, route, scores, missing context,
    /// escalations due, the decision's JSON, the error record) instead of
    /// NDJSON on standard output (docs/columnar.md).
    #[arg(long, value_name = "FILE.parquet", requires = "leads")]
    pub(crate) output: Option<PathBuf>,
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

pub(crate) fn run(a: EvalArgs) -> i32 {
    let now = match a.policy.now() {
        Ok(n) => n,
        Err(code) => return code,
    };
    let leads_on_stdin = [&a.lead, &a.leads]
        .iter()
        .any(|p| p.as_deref() == Some(Path::new("-")));
    if leads_on_stdin && a.policy.policy.as_os_str() == "-" {
        return fail("the policy and the leads cannot both come from standard input: give one of them as a file");
    }
    if leads_on_stdin && a.policy.state.as_deref() == Some(Path::new("-")) {
        return fail("the state and the leads cannot both come from standard input: give one of them as a file");
    }
    let mut engine = match a.policy.engine() {
        Ok(e) => e,
        Err(code) => return code,
    };
    engine.explain = a.explain;
    engine.record_reads = a.decision_log.is_some();
    let mut log = match a.decision_log.as_deref().map(open_log).transpose() {
        Ok(log) => log,
        Err(code) => return code,
    };
    let code = match (&a.lead, &a.leads) {
        (Some(lead), _) => one(&engine, &a, lead, now, log.as_mut()),
        (None, Some(leads)) => batch(&engine, &a, leads, now, log.as_mut()),
        (None, None) => fail("give the leads to evaluate: `--lead FILE` for one JSON object or `--leads FILE` for NDJSON or a JSON array or export (`-` reads standard input)"),
    };
    // what was decided is logged and synced, whatever happened after
    match log.map(handoff::audit::LogWriter::finish) {
        Some(Err(e)) => {
            let path = a.decision_log.as_deref().unwrap_or(Path::new(""));
            fail(format!(
                "cannot write the decision log `{}`: {e}",
                path.display()
            ))
            .max(code)
        }
        _ => code,
    }
}

/// Opens the decision log for appending.
fn open_log(path: &Path) -> Result<handoff::audit::LogWriter, i32> {
    if path.as_os_str() == "-" {
        return Err(fail(
            "the decision log must be a file: standard output carries the decisions",
        ));
    }
    handoff::audit::LogWriter::open(path, jiff::Timestamp::now, std::process::id()).map_err(|e| {
        fail(format!(
            "cannot open the decision log `{}`: {e}",
            path.display()
        ))
    })
}

/// `--lead`: one decision, and its log line.
fn one(
    engine: &Engine,
    a: &EvalArgs,
    lead: &Path,
    now: jiff::Timestamp,
    log: Option<&mut handoff::audit::LogWriter>,
) -> i32 {
    let obj = match read_lead(lead, log.is_some()) {
        Ok(o) => o,
        Err(Failed::Code(code)) => return code,
        Err(Failed::Record(e)) => {
            let code = exit::RECORD_ERRORS;
            let Some(log) = log else { return code };
            let mut body = Vec::new();
            let at = handoff::audit::LogInput {
                line: 1,
                record: None,
            };
            let policy = engine.policy_ref();
            handoff::audit::log_error(policy, now, None, at, e.kind, &e.message, &mut body);
            body.push(b'\n');
            return match log.add(&body) {
                Ok(()) => code,
                Err(e) => fail(format!("cannot write the decision log: {e}")),
            };
        }
    };
    let mut run = RunState::default();
    let mut d = engine.evaluate(&obj, now);
    engine.assign_in_order(&mut d, &mut run);
    if let Some(log) = log {
        let mut body = Vec::new();
        let at = handoff::audit::LogInput {
            line: 1,
            record: None,
        };
        handoff::audit::log_entry(&d, at, &mut body);
        body.push(b'\n');
        if let Err(e) = log.add(&body) {
            return fail(format!("cannot write the decision log: {e}"));
        }
    }
    let mut out = Vec::with_capacity(2048);
    handoff::batch::write_line(&d, a.pretty, &mut out);
    // a reader that went away saw no decision: no state moves on
    if let Err(code) = super::print(&out) {
        return code;
    }
    match a.policy.save_state(engine, &run) {
        Ok(()) => exit::OK,
        Err(code) => code,
    }
}

/// Why `--lead` gave no lead.
enum Failed {
    /// Said so; the exit code.
    Code(i32),
    /// The lead is not a JSON object (said so when asked to keep it).
    Record(handoff::RecordError),
}

/// Reads the one lead of `--lead` (`explain` and `eval`): a file of several
/// leads is an error that says how to evaluate them.
pub(crate) fn read_one_lead(path: &Path) -> Result<serde_json::Map<String, Value>, i32> {
    read_lead(path, false).map_err(|f| match f {
        Failed::Code(code) => code,
        Failed::Record(_) => exit::RECORD_ERRORS,
    })
}

/// [`read_one_lead`], with the record's error given back when `keep`.
fn read_lead(path: &Path, keep: bool) -> Result<serde_json::Map<String, Value>, Failed> {
    let bytes = match read_input(path) {
        Ok(b) => b,
        // read no further than the record's limit: the record's error
        Err(handoff::files::ReadError::TooLarge { .. }) => {
            let e = handoff::RecordError::too_large();
            eprintln!("error: {}: {}", path.display(), e.message);
            return Err(if keep {
                Failed::Record(e)
            } else {
                Failed::Code(exit::RECORD_ERRORS)
            });
        }
        Err(handoff::files::ReadError::Io(e)) => {
            let code = fail(format!("cannot read lead `{}`: {e}", path.display()));
            return Err(Failed::Code(code));
        }
    };
    if let Some(code) = not_one_lead(path, &bytes) {
        return Err(Failed::Code(code));
    }
    handoff::parse_lead(&bytes).map_err(|e| {
        eprintln!("error: {}: {}", path.display(), e.message);
        if keep {
            Failed::Record(e)
        } else {
            Failed::Code(exit::RECORD_ERRORS)
        }
    })
}

/// One lead's file (`-`: standard input), read no further than the
/// record limit.
fn read_input(path: &Path) -> Result<Vec<u8>, handoff::files::ReadError> {
    const LIMIT: u64 = handoff::MAX_RECORD_BYTES as u64;
    if path.as_os_str() == "-" {
        handoff::files::read_limited_from(std::io::stdin().lock(), LIMIT)
    } else {
        handoff::files::read_limited(path, LIMIT)
    }
}

/// `--lead` given a file of several leads (a JSON array, a CRM export with
/// `records`, or NDJSON): says so and how to evaluate them, instead of
/// reading it as one lead with odd fields or failing on its second line.
fn not_one_lead(path: &Path, bytes: &[u8]) -> Option<i32> {
    let what = handoff::batch::several_leads(bytes)?;
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

fn batch(
    engine: &Engine,
    a: &EvalArgs,
    path: &Path,
    now: jiff::Timestamp,
    log: Option<&mut handoff::audit::LogWriter>,
) -> i32 {
    match super::columnar::columnar(engine, a, path, now, log.is_some()) {
        super::columnar::Route::Done(summary) => return report(engine, a, *summary),
        super::columnar::Route::Failed(code) => return code,
        super::columnar::Route::NotColumnar => {}
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = a.jobs.map_or(cores, usize::from).min(cores).max(1);
    let stdin = path.as_os_str() == "-";
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = if stdin {
        (Box::new(std::io::stdin()), None)
    } else {
        match std::fs::File::open(path) {
            Ok(f) => {
                let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                (Box::new(f), size)
            }
            Err(e) => return fail(format!("cannot read leads `{}`: {e}", path.display())),
        }
    };
    let progress = Progress::start(size);
    let input = progress.reader(input);
    let opts = handoff::batch::Options {
        now,
        pretty: a.pretty,
        jobs,
        streaming: stdin,
        progress: Some(progress.records.clone()),
    };
    let stdout = std::io::stdout();
    let format = match a.leads_format.unwrap_or(LeadsFormat::Auto) {
        LeadsFormat::Auto => None,
        f => Some(f),
    };
    let (prefix, input) = match format {
        Some(_) => (Vec::new(), input),
        None => match prefix(input) {
            Ok(x) => x,
            Err(e) => return fail(format!("cannot read leads `{}`: {e}", path.display())),
        },
    };
    let document = match format {
        Some(f) => f == LeadsFormat::Json,
        None => handoff::batch::sniff(&prefix) == Sniff::Document,
    };
    let input = std::io::Cursor::new(prefix).chain(input);
    let summary = if document {
        let input = BufReader::with_capacity(64 * 1024, input);
        handoff::batch::run_document_logged(engine, input, stdout.lock(), &opts, log)
    } else {
        handoff::batch::run_logged(engine, input, stdout.lock(), &opts, log)
    };
    drop(progress);
    report(engine, a, summary)
}

/// Prints what a batch did on stderr, saves the state; the exit code.
fn report(engine: &Engine, a: &EvalArgs, summary: handoff::batch::Summary) -> i32 {
    if summary.output_closed {
        // the reader of the decisions went away (`| head`): done, quietly
        return exit::OK;
    }
    for note in &summary.notes {
        eprintln!("note: {note}");
    }
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
    for line in handoff::batch::metric_lines(engine, &summary.metrics) {
        eprintln!("{line}");
    }
    if let Some(e) = summary.io_error {
        return fail(format!("reading or writing failed: {e}"));
    }
    if let Err(code) = a.policy.save_state(engine, &summary.run) {
        return code;
    }
    if summary.errors > 0 {
        exit::RECORD_ERRORS
    } else {
        exit::OK
    }
}

/// The most of the input read to tell a document from NDJSON.
const SNIFF_BYTES: usize = 64 * 1024;

/// Reads the start of the input, as much as telling its layout needs and
/// at most [`SNIFF_BYTES`]: a first line that is whole JSON (or starts with
/// anything but `{`) is enough, so a producer on a pipe that waits for the
/// answer to its first lead gets it.
fn prefix<R: Read>(mut input: R) -> std::io::Result<(Vec<u8>, R)> {
    let mut head = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match input.read(&mut buf[..(SNIFF_BYTES - head.len()).min(16 * 1024)]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        head.extend_from_slice(&buf[..n]);
        if n == 0 || head.len() >= SNIFF_BYTES || enough(&head) {
            return Ok((head, input));
        }
    }
}

/// Whether `head` tells the layout without more input (see
/// [`handoff::batch::sniff`]).
fn enough(head: &[u8]) -> bool {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(start) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let body = &body[start..];
    if body[0] != b'{' {
        return true;
    }
    let Some(nl) = memchr::memchr(b'\n', body) else {
        return false;
    };
    if serde_json::from_slice::<serde::de::IgnoredAny>(&body[..nl]).is_ok() {
        return true;
    }
    // a first line that does not close its object: the next line tells
    body[nl + 1..].iter().any(|b| !b.is_ascii_whitespace())
}
