//! `handoff log`: reads decision logs back. What happened to a lead (all
//! its decisions, in time order), which decisions a policy version made;
//! torn and invalid lines reported by file and line, and skipped.

use std::io::BufReader;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Map, Value};

use super::{exit, fail};
use handoff::audit::read::{self, Query};

#[derive(Args, Debug)]
pub(crate) struct LogArgs {
    /// Decision logs written by `handoff eval --decision-log`; their lines
    /// are merged and shown in the order they were logged.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Only the decisions about this lead id.
    #[arg(long, value_name = "ID")]
    lead: Option<String>,
    /// Only the decisions of this policy version (the policy's `version`).
    #[arg(long, value_name = "V", conflicts_with = "policy_hash")]
    policy_version: Option<String>,
    /// Only the decisions of the policy with this hash (or a prefix of it,
    /// as `handoff log` shows it).
    #[arg(long, value_name = "H")]
    policy_hash: Option<String>,
    /// Only this verdict; `error` for records that could not be evaluated.
    #[arg(long, value_enum, value_name = "V")]
    verdict: Option<VerdictArg>,
    /// Only lines logged at or after this time (RFC 3339, or a date
    /// YYYY-MM-DD meaning its midnight UTC).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Only lines logged before this time (as `--since`).
    #[arg(long, value_name = "T")]
    until: Option<String>,
    /// `text`: each decision in words; `json`: the selected lines as they
    /// are in the log (NDJSON), for jq. The summary goes to stderr.
    #[arg(long, value_enum, default_value = "text")]
    format: LogFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum VerdictArg {
    Handoff,
    Hold,
    Review,
    Blocked,
    /// As decisions write it; `out-of-scope` is taken too.
    #[value(name = "out_of_scope", alias = "out-of-scope")]
    OutOfScope,
    Error,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

/// A time given as RFC 3339, or a date for its midnight UTC.
fn time(option: &str, text: &str) -> Result<jiff::Timestamp, i32> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        if let Ok(t) = format!("{d}T00:00:00Z").parse::<jiff::Timestamp>() {
            return Ok(t);
        }
    }
    Err(fail(format!(
        "`{option} {text}`: not a time; give RFC 3339 (2025-06-01T12:00:00Z) or a date (2025-06-01)"
    )))
}

pub(crate) fn run(a: LogArgs) -> i32 {
    let mut query = Query {
        lead: a.lead.clone(),
        policy_version: a.policy_version.clone(),
        policy_hash: a.policy_hash.clone(),
        verdict: a.verdict.map(|v| {
            let v = v.to_possible_value().map(|p| p.get_name().to_string());
            v.unwrap_or_default().replace('-', "_")
        }),
        ..Query::default()
    };
    for (option, given, slot) in [
        ("--since", &a.since, &mut query.since),
        ("--until", &a.until, &mut query.until),
    ] {
        if let Some(text) = given {
            match time(option, text) {
                Ok(t) => *slot = Some(t),
                Err(code) => return code,
            }
        }
    }
    let mut selected: Vec<(String, Map<String, Value>, String)> = Vec::new();
    let (mut read_lines, mut skipped) = (0usize, 0usize);
    for path in &a.files {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                return fail(format!(
                    "cannot read decision log `{}`: {e}",
                    path.display()
                ))
            }
        };
        let result = read::read_lines(
            BufReader::with_capacity(256 * 1024, file),
            |_, e, text| {
                read_lines += 1;
                if query.matches(&e) {
                    let id = e
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    let text = match a.format {
                        LogFormat::Json => text.to_string(),
                        LogFormat::Text => String::new(),
                    };
                    selected.push((id, e, text));
                }
            },
            |s| {
                skipped += 1;
                eprintln!(
                    "warning: {}:{}: {}; skipped",
                    path.display(),
                    s.line,
                    s.problem
                );
            },
        );
        if let Err(e) = result {
            return fail(format!(
                "cannot read decision log `{}`: {e}",
                path.display()
            ));
        }
    }
    // ids sort as the time they were made; a stable sort keeps a file's order
    selected.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    let mut by_verdict: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, e, text) in &selected {
        *by_verdict.entry(read::verdict(e).to_string()).or_default() += 1;
        match a.format {
            LogFormat::Text => {
                out.push_str(&read::describe(e));
                out.push('\n');
            }
            LogFormat::Json => {
                // the line as it is in the log
                out.push_str(text);
                out.push('\n');
            }
        }
    }
    if let Err(code) = super::print(out.as_bytes()) {
        return code;
    }
    let counts: Vec<String> = by_verdict.iter().map(|(k, v)| format!("{k} {v}")).collect();
    eprintln!(
        "{} of {} logged decision(s) selected from {} file(s){}{}",
        selected.len(),
        read_lines,
        a.files.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        },
        if skipped > 0 {
            format!("; {skipped} line(s) skipped (see the warnings)")
        } else {
            String::new()
        }
    );
    exit::OK
}
