//! `handoff check FILE...`

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{exit, fail, use_color, DiagFormat};
use crate::diag::render;
use crate::diag::Severity;

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// Policy files to check; `-` reads one policy from standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    format: DiagFormat,
    /// Treat warnings as errors for the exit code.
    #[arg(long, value_enum)]
    deny: Vec<Deny>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Deny {
    Warnings,
}

pub(crate) fn run(args: CheckArgs) -> i32 {
    let mut worst = exit::OK;
    let mut io_failed = false;
    let mut all = Vec::new();
    for path in &args.files {
        let checked = if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
                return fail(format!("cannot read standard input: {e}"));
            }
            crate::Checked::from_bytes("<stdin>", &bytes)
        } else {
            match crate::Checked::from_file(path) {
                Ok(c) => c,
                Err(e) => {
                    // report it, and still check the other files
                    fail(format!("cannot read `{}`: {e}", path.display()));
                    io_failed = true;
                    continue;
                }
            }
        };
        let deny_warnings = args.deny.contains(&Deny::Warnings);
        let failing = checked
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error || deny_warnings);
        if failing {
            worst = exit::DIAGNOSTICS;
        }
        all.push(checked);
    }
    let format = render::Format::from(args.format);
    let mut out = std::io::stdout().lock();
    let text = match format {
        // machine formats: one document for all files
        render::Format::Json | render::Format::Sarif if all.len() > 1 => {
            let docs: Vec<serde_json::Value> = all
                .iter()
                .map(|c| {
                    serde_json::from_str(&render::render(format, &c.sources, &c.diagnostics, false))
                        .unwrap_or_default()
                })
                .collect();
            merge_documents(format, docs)
        }
        _ => {
            let color =
                format == render::Format::Human && use_color(std::io::stdout().is_terminal());
            let mut s = String::new();
            for c in &all {
                s.push_str(&render::render(format, &c.sources, &c.diagnostics, color));
            }
            if format == render::Format::Human {
                s.push_str(&summary(&all));
            }
            s
        }
    };
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return exit::USAGE;
    }
    // the process ends next: freeing every syntax tree node by node would
    // only add to the wall time a CI step waits for
    std::mem::forget(all);
    if io_failed {
        exit::USAGE
    } else {
        worst
    }
}

fn summary(all: &[crate::Checked]) -> String {
    let files = all.len();
    let errors: usize = all
        .iter()
        .map(|c| c.diagnostics.iter().filter(|d| d.is_error()).count())
        .sum();
    let warnings: usize = all.iter().map(|c| c.diagnostics.len()).sum::<usize>() - errors;
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    if errors == 0 && warnings == 0 {
        format!("{}: no problems found\n", plural(files, "file"))
    } else {
        format!(
            "{}: {}, {}\n",
            plural(files, "file"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

/// Merges per-file JSON or SARIF documents into one.
fn merge_documents(format: render::Format, docs: Vec<serde_json::Value>) -> String {
    let mut iter = docs.into_iter();
    let mut first = iter.next().unwrap_or_default();
    for doc in iter {
        if format == render::Format::Sarif {
            let results = doc["runs"][0]["results"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if let Some(arr) = first["runs"][0]["results"].as_array_mut() {
                arr.extend(results);
            }
        } else {
            let diags = doc["diagnostics"].as_array().cloned().unwrap_or_default();
            if let Some(arr) = first["diagnostics"].as_array_mut() {
                arr.extend(diags);
            }
            for k in ["errors", "warnings"] {
                let sum = first[k].as_u64().unwrap_or(0) + doc[k].as_u64().unwrap_or(0);
                first[k] = sum.into();
            }
        }
    }
    let mut s = serde_json::to_string_pretty(&first).unwrap_or_default();
    s.push('\n');
    s
}
