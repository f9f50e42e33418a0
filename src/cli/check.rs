//! `handoff check FILE...`

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{exit, use_color, DiagFormat};
use handoff::diag::render;
use handoff::diag::Severity;

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// Policy files, or folders to search for `*.handoff` files; `-` reads
    /// one policy from standard input. A file that another given file
    /// imports is checked as part of its importer.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    format: DiagFormat,
    /// Treat warnings as errors for the exit code.
    #[arg(long, value_enum)]
    deny: Vec<Deny>,
    /// Follow imports with absolute paths or paths that leave the policy's
    /// folder, suites' paths that leave the suite's folder, and links in a
    /// folder that lead out of it (refused by default: policies and suites
    /// from pull requests are untrusted).
    #[arg(long)]
    allow_outside_imports: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Deny {
    Warnings,
}

/// A file that could not be read, and why.
struct Unread {
    file: String,
    message: String,
}

pub(crate) fn run(args: CheckArgs) -> i32 {
    let options = handoff::load::LoadOptions {
        allow_outside_imports: args.allow_outside_imports,
    };
    let mut unread = Vec::new();
    let mut paths = Vec::new();
    for path in &args.files {
        if path.is_dir() {
            let found = super::walk::files_below(
                path,
                super::walk::is_policy_or_suite,
                args.allow_outside_imports,
            );
            if let Ok(walk) = &found {
                walk.warn_skipped(path, true);
            }
            match found.map(|w| w.files) {
                Ok(found) if found.is_empty() => unread.push(Unread {
                    file: path.display().to_string(),
                    message: "the folder holds no `.handoff` file".into(),
                }),
                Ok(found) => paths.extend(found),
                Err(e) => unread.push(Unread {
                    file: path.display().to_string(),
                    message: format!("cannot read the folder: {e}"),
                }),
            }
        } else {
            paths.push(path.clone());
        }
    }
    let mut all = Vec::new();
    for path in &paths {
        let checked = if path.as_os_str() == "-" {
            // read no further than the size limit (H003 past it)
            match handoff::Checked::from_reader("<stdin>", std::io::stdin().lock(), &[]) {
                Ok(c) => c,
                Err(e) => {
                    unread.push(Unread {
                        file: "<stdin>".into(),
                        message: format!("cannot read standard input: {e}"),
                    });
                    continue;
                }
            }
        } else if path.to_string_lossy().ends_with(".test.toml") {
            // a test suite: its TOML, its policy, and the names it expects
            match handoff::testing::check_suite_with(path, options) {
                Ok(c) => c,
                Err(e) => {
                    unread.push(Unread {
                        file: path.display().to_string(),
                        message: format!("cannot check the suite `{}`: {e}", path.display()),
                    });
                    continue;
                }
            }
        } else {
            match handoff::Checked::from_file_with(path, options) {
                Ok(c) => c,
                Err(e) => {
                    // report it, and still check the other files
                    unread.push(Unread {
                        file: path.display().to_string(),
                        message: format!("cannot read `{}`: {e}", path.display()),
                    });
                    continue;
                }
            }
        };
        all.push((path, checked));
    }
    // a file another given file imports is checked with its importer
    let imported: HashSet<PathBuf> = all
        .iter()
        .flat_map(|(_, c)| c.sources.files().skip(1))
        .filter_map(|(_, f)| std::fs::canonicalize(&f.name).ok())
        .collect();
    let all: Vec<handoff::Checked> = all
        .into_iter()
        .filter(|(p, _)| std::fs::canonicalize(p).map_or(true, |c| !imported.contains(&c)))
        .map(|(_, c)| c)
        .collect();
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let failing = all.iter().any(|c| {
        c.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error || deny_warnings)
    });
    let format = render::Format::from(args.format);
    let text = match format {
        // machine formats: one document for all files
        render::Format::Json | render::Format::Sarif => {
            let mut docs: Vec<serde_json::Value> = all
                .iter()
                .map(|c| {
                    serde_json::from_str(&render::render(format, &c.sources, &c.diagnostics, false))
                        .unwrap_or_default()
                })
                .collect();
            if docs.is_empty() {
                let empty = handoff::span::SourceMap::new();
                docs.push(
                    serde_json::from_str(&render::render(format, &empty, &[], false))
                        .unwrap_or_default(),
                );
            }
            let mut doc = merge_documents(format, docs);
            add_unread(format, &mut doc, &unread);
            let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
            s.push('\n');
            s
        }
        _ => {
            let color =
                format == render::Format::Human && use_color(std::io::stdout().is_terminal());
            let mut s = String::new();
            for c in &all {
                s.push_str(&render::render(format, &c.sources, &c.diagnostics, color));
            }
            for u in &unread {
                s.push_str(&match format {
                    render::Format::Github => {
                        format!("::error file={}::{}\n", u.file, u.message)
                    }
                    render::Format::Short => format!("{}: error: {}\n", u.file, u.message),
                    _ => {
                        // people read I/O problems where other tools put them
                        super::fail(&u.message);
                        continue;
                    }
                });
            }
            if format == render::Format::Human {
                s.push_str(&summary(&all, unread.len()));
            }
            s
        }
    };
    let code = super::print_or_fail(text.as_bytes());
    // the process ends next: freeing every syntax tree node by node would
    // only add to the wall time a CI step waits for
    std::mem::forget(all);
    if code != exit::OK || !unread.is_empty() {
        exit::USAGE
    } else if failing {
        exit::DIAGNOSTICS
    } else {
        exit::OK
    }
}

/// Puts the files that could not be read into a JSON or SARIF document.
fn add_unread(format: render::Format, doc: &mut serde_json::Value, unread: &[Unread]) {
    if unread.is_empty() {
        return;
    }
    if format == render::Format::Sarif {
        let notes: Vec<serde_json::Value> = unread
            .iter()
            .map(|u| {
                serde_json::json!({
                    "level": "error",
                    "message": { "text": u.message },
                    "locations": [{ "physicalLocation": { "artifactLocation": { "uri": u.file } } }],
                })
            })
            .collect();
        doc["runs"][0]["invocations"] = serde_json::json!([{
            "executionSuccessful": false,
            "toolExecutionNotifications": notes,
        }]);
    } else {
        doc["io_errors"] = unread
            .iter()
            .map(|u| serde_json::json!({ "file": u.file, "message": u.message }))
            .collect();
    }
}

fn summary(all: &[handoff::Checked], unread: usize) -> String {
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
    let unread = if unread > 0 {
        format!("; {} could not be read", plural(unread, "file"))
    } else {
        String::new()
    };
    if errors == 0 && warnings == 0 && unread.is_empty() {
        format!("{}: no problems found\n", plural(files, "file"))
    } else {
        format!(
            "{}: {}, {}{unread}\n",
            plural(files, "file"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

/// Merges per-file JSON or SARIF documents into one.
fn merge_documents(format: render::Format, docs: Vec<serde_json::Value>) -> serde_json::Value {
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
    first
}
