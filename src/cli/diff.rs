//! `handoff diff OLD NEW --leads FILE`

use std::io::BufReader;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::policy::parse_now;
use super::{exit, fail, print};
use handoff::diff::{diff, DiffOptions};

#[derive(Args, Debug)]
pub(crate) struct DiffArgs {
    /// The policy as it is.
    old: PathBuf,
    /// The policy as it would be.
    new: PathBuf,
    /// NDJSON leads, one per line; `-` reads standard input.
    #[arg(long)]
    leads: PathBuf,
    /// The evaluation time (RFC 3339); the current time when left out.
    #[arg(long)]
    now: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit with 1 when any lead is decided differently (for CI gates).
    #[arg(long)]
    fail_on_change: bool,
    /// Sample leads shown per kind of change.
    #[arg(long, default_value_t = 3)]
    sample: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
}

pub(crate) fn run(a: DiffArgs) -> i32 {
    let now = match parse_now(a.now.as_deref()) {
        Ok(n) => n,
        Err(m) => return fail(m),
    };
    let mut engines = Vec::new();
    for path in [&a.old, &a.new] {
        let checked = match handoff::Checked::from_file(path) {
            Ok(c) => c,
            Err(e) => return fail(format!("cannot read `{}`: {e}", path.display())),
        };
        match checked.compile() {
            Some(e) => engines.push(e),
            None => {
                return fail(format!(
                    "`{}` has errors; run `handoff check {}` for details",
                    path.display(),
                    path.display()
                ))
            }
        }
    }
    let opts = DiffOptions {
        now,
        samples: a.sample,
    };
    let result = if a.leads.as_os_str() == "-" {
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
