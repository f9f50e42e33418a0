//! `handoff metrics POLICY --leads FILE`

use std::io::BufReader;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::policy::PolicyArgs;
use super::{exit, fail, print};
use handoff::metrics::{extra, measure, By, MetricsOptions, Period, PolicyInfo};

#[derive(Args, Debug)]
pub(crate) struct MetricsArgs {
    /// The policy file; `-` reads it from standard input.
    policy: PathBuf,
    /// Leads as NDJSON or one JSON document (an array, a CRM export); `-`
    /// reads standard input.
    #[arg(long)]
    leads: PathBuf,
    /// The evaluation time (RFC 3339); the clock when left out.
    #[arg(long)]
    now: Option<String>,
    /// State for round-robin and least-loaded teams, as `eval --state`
    /// (it only matters where a full team sends a lead to review).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Group the figures: `route` (target), `stage` (the handoff that
    /// applies), `verdict`, `segment` (in `--segment` or not), or a lead
    /// field such as `company.region`.
    #[arg(long, value_name = "route|stage|verdict|segment|FIELD")]
    by: Option<String>,
    /// A pilot segment, as a policy condition (`company.region == "EMEA"`):
    /// its leads are measured beside the rest.
    #[arg(long, value_name = "EXPR")]
    segment: Option<String>,
    /// Only leads whose `--on` timestamp is at or after this date or time
    /// (`2025-04-01`, `2025-04-01T09:00:00+01:00`).
    #[arg(long, requires = "on")]
    since: Option<String>,
    /// Only leads whose `--on` timestamp is before this date or time.
    #[arg(long, requires = "on")]
    until: Option<String>,
    /// The lead timestamp `--since` and `--until` read, such as
    /// `lifecycle.handed_off_at`.
    #[arg(long, value_name = "FIELD")]
    on: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = MetricsFormat::Table)]
    format: MetricsFormat,
    /// Write the report to this file instead of standard output (replaced
    /// atomically).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Worker threads (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    /// Follow imports that leave the policy's folder.
    #[arg(long)]
    allow_outside_imports: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum MetricsFormat {
    /// Aligned tables for people.
    Table,
    /// The whole report as JSON.
    Json,
    /// One row per group and measure, for spreadsheets.
    Csv,
    /// A self-contained page with charts.
    Html,
}

/// A field path as the policy writes it: names joined by dots.
fn is_path(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|p| {
            let mut c = p.chars();
            c.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && c.all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// A date (`2025-04-01`) or an RFC 3339 time, as policies write them.
fn is_time(s: &str) -> bool {
    s.parse::<jiff::Timestamp>().is_ok()
        || (s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok())
}

pub(crate) fn run(a: MetricsArgs) -> i32 {
    let by = match a.by.as_deref() {
        None if a.segment.is_some() => By::Segment,
        None => By::Nothing,
        Some("route") => By::Route,
        Some("stage") => By::Stage,
        Some("verdict") => By::Verdict,
        Some("segment") if a.segment.is_none() => {
            return fail("`--by segment` compares the leads of `--segment EXPR` with the rest: give the segment, e.g. --segment 'company.region == \"EMEA\"'")
        }
        Some("segment") => By::Segment,
        Some(f) if is_path(f) => By::Field(f.to_string()),
        Some(f) => {
            return fail(format!(
                "`--by {f}` is neither route, stage, verdict, segment nor a lead field such as company.region"
            ))
        }
    };
    if a.segment.is_some() && by != By::Segment {
        return fail("`--segment` compares a segment with the rest and is the grouping itself: leave out `--by`, or drop `--segment` to group by another measure");
    }
    if a.on.is_some() && a.since.is_none() && a.until.is_none() {
        return fail(
            "`--on FIELD` names the timestamp `--since` and `--until` read: give one of them too",
        );
    }
    if let Some(f) = a.on.as_deref().filter(|f| !is_path(f)) {
        return fail(format!(
            "`--on {f}` is not a lead field: give a timestamp field such as lifecycle.handed_off_at"
        ));
    }
    for (flag, value) in [("--since", &a.since), ("--until", &a.until)] {
        if let Some(v) = value.as_deref().filter(|v| !is_time(v)) {
            return fail(format!(
                "`{flag} {v}` is neither a date such as 2025-04-01 nor an RFC 3339 time such as 2025-04-01T09:00:00+01:00"
            ));
        }
    }
    if a.policy.as_os_str() == "-" && a.leads.as_os_str() == "-" {
        return fail("the policy and the leads cannot both come from standard input: give one of them as a file");
    }
    let period = a.on.as_ref().map(|field| Period {
        field: field.clone(),
        since: a.since.clone(),
        until: a.until.clone(),
    });
    let by_field = match &by {
        By::Field(f) => Some(f.as_str()),
        _ => None,
    };
    let decls = extra(a.segment.as_deref(), period.as_ref(), by_field);
    if let Err(m) = handoff::metrics::check_extra(&decls) {
        return fail(m);
    }
    let refs: Vec<(&str, &str)> = decls
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let policy = PolicyArgs {
        policy: a.policy.clone(),
        now: a.now.clone(),
        state: a.state.clone(),
        state_out: None,
        allow_outside_imports: a.allow_outside_imports,
    };
    let now = match policy.now() {
        Ok(n) => n,
        Err(code) => return code,
    };
    let engine = match policy.engine_with(&refs) {
        Ok(e) => e,
        Err(code) => return code,
    };
    if let Err(m) = handoff::metrics::check_by(&engine, &by) {
        return fail(m);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let opts = MetricsOptions {
        now,
        jobs: a.jobs.map_or(cores, usize::from).min(cores).max(1),
        by,
        segment: a.segment.clone(),
        period,
    };
    let result = if a.leads.as_os_str() == "-" {
        measure(&engine, std::io::stdin().lock(), &opts)
    } else {
        match std::fs::File::open(&a.leads) {
            Ok(f) => measure(&engine, BufReader::with_capacity(1 << 16, f), &opts),
            Err(e) => return fail(format!("cannot read leads `{}`: {e}", a.leads.display())),
        }
    };
    let mut report = match result {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot read leads `{}`: {e}", a.leads.display())),
    };
    if !refs.is_empty() && a.policy.as_os_str() != "-" {
        // the added signals change the text's hash: name the policy as its
        // own decisions do
        let options = handoff::load::LoadOptions {
            allow_outside_imports: a.allow_outside_imports,
        };
        let plain = handoff::Checked::from_file_with(&a.policy, options)
            .ok()
            .and_then(|c| c.compile());
        if let Some(plain) = plain {
            let p = plain.policy_ref();
            report.policy = PolicyInfo {
                name: p.name().as_str().to_string(),
                version: p.version().map(|v| v.as_str().to_string()),
                hash: p.hash().as_str().to_string(),
            };
        }
    }
    let text = match a.format {
        MetricsFormat::Table => report.text(),
        MetricsFormat::Csv => report.csv(),
        MetricsFormat::Html => report.html(),
        MetricsFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
    };
    let written = match &a.output {
        Some(path) => handoff::files::write_replacing(path, text.as_bytes())
            .map_err(|e| fail(format!("cannot write `{}`: {e}", path.display()))),
        None => print(text.as_bytes()),
    };
    if let Err(code) = written {
        return code;
    }
    if report.records == 0 {
        eprintln!(
            "warning: `{}` holds no leads: every figure is empty",
            a.leads.display()
        );
    }
    if report.bad_records.count > 0 {
        eprintln!(
            "warning: {} record(s) could not be read and are not counted (first: {}: {})",
            report.bad_records.count,
            report.bad_records.first[0].place,
            report.bad_records.first[0].message
        );
        exit::RECORD_ERRORS
    } else {
        exit::OK
    }
}
