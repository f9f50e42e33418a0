//! `handoff diff OLD NEW --leads FILE [--state FILE]`

use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::policy::{compile_file, parse_now, read_state, with_checked_state};
use super::{exit, fail, print};
use handoff::diff::{diff, DiffOptions};

#[derive(Args, Debug)]
pub(crate) struct DiffArgs {
    /// The policy as it is.
    old: PathBuf,
    /// The policy as it would be.
    new: PathBuf,
    /// NDJSON leads, one per line; `-` reads standard input. Blank lines
    /// are skipped; a line that is not a lead is counted and named.
    #[arg(long)]
    leads: PathBuf,
    /// The evaluation time (RFC 3339); the current time when left out.
    #[arg(long)]
    now: Option<String>,
    /// State for round-robin and least-loaded teams, as `eval --state`
    /// reads it: both versions start from it and assign members in input
    /// order, so each lead's member is the one `eval --state` gives it.
    /// `-` reads standard input (then `--leads` must name a file).
    #[arg(long)]
    state: Option<PathBuf>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit with 1 when any lead is decided differently (for CI gates).
    #[arg(long)]
    fail_on_change: bool,
    /// Sample leads shown per kind of change, each with the rule that
    /// decided before and after.
    #[arg(long, default_value_t = 3)]
    sample: usize,
    /// Worker threads, each evaluating its share of the leads under both
    /// versions (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    /// Follow imports with absolute paths or paths that leave a policy's
    /// folder (refused by default: policies from pull requests are untrusted).
    #[arg(long)]
    allow_outside_imports: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
}

pub(crate) fn run(a: DiffArgs) -> i32 {
    let stdin = Path::new("-");
    if a.old == stdin || a.new == stdin {
        return fail("`diff` reads both versions of the policy from files: save the one you have elsewhere first, e.g. `git show main:policy.handoff > /tmp/old.handoff`");
    }
    if a.leads == stdin && a.state.as_deref() == Some(stdin) {
        return fail("the leads and the state cannot both come from standard input");
    }
    let now = match parse_now(a.now.as_deref()) {
        Ok(n) => n,
        Err(m) => return fail(m),
    };
    let state = match a.state.as_deref().map(read_state).transpose() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut engines = Vec::new();
    for path in [&a.old, &a.new] {
        // a policy with errors exits with 2, as any failure to run: 1 is
        // what `--fail-on-change` says of changed leads
        let engine = compile_file(path, a.allow_outside_imports, &[])
            .map_err(|_| exit::USAGE)
            .and_then(|e| match &state {
                Some(s) => with_checked_state(e, s, &format!("`{}`: ", path.display())),
                None => Ok(e),
            });
        match engine {
            Ok(e) => engines.push(e),
            Err(code) => return code,
        }
    }
    if state.is_none() {
        if let Some(team) = engines[1].stateful_teams().first() {
            eprintln!(
                "warning: team `{team}` distributes leads by what earlier runs assigned, and no `--state` was given: both versions start from its first member; pass the `--state` file `eval` runs with to compare the members it would give"
            );
        }
    }
    let opts = DiffOptions {
        now,
        samples: a.sample,
        jobs: {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            a.jobs.map_or(cores, usize::from).min(cores).max(1)
        },
    };
    let result = if a.leads == stdin {
        diff(&engines[0], &engines[1], std::io::stdin().lock(), &opts)
    } else {
        match std::fs::File::open(&a.leads) {
            Ok(f) => diff(&engines[0], &engines[1], BufReader::new(f), &opts),
            Err(e) => return fail(format!("cannot read `{}`: {e}", a.leads.display())),
        }
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot read the leads: {e}")),
    };
    let text = match a.format {
        DiffFormat::Text => report.text(),
        DiffFormat::Markdown => report.markdown(),
        DiffFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
    };
    if let Err(code) = print(text.as_bytes()) {
        return code;
    }
    if a.fail_on_change && report.changed > 0 {
        exit::DIAGNOSTICS
    } else {
        exit::OK
    }
}
