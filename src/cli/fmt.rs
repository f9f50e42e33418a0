//! `handoff fmt FILE...|DIR`

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::{exit, fail, print, use_color};
use handoff::diag::render;
use handoff::fmt::{format_source, FmtError};

#[derive(Args, Debug)]
pub(crate) struct FmtArgs {
    /// Policy files, or folders to search for `*.handoff` files; `-` reads a
    /// policy from standard input and writes it, formatted, to standard
    /// output.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted and exit with
    /// 1 if there are any (for CI).
    #[arg(long)]
    check: bool,
    /// Change nothing: print what formatting would change, as a unified
    /// diff.
    #[arg(long, conflicts_with = "check")]
    diff: bool,
}

pub(crate) fn run(a: FmtArgs) -> i32 {
    if a.files.iter().any(|f| f.as_os_str() == "-") {
        if a.files.len() > 1 {
            return fail("`-` formats standard input to standard output: give it alone");
        }
        return stdin(&a);
    }
    let mut paths = Vec::new();
    for path in &a.files {
        if path.is_dir() {
            // fmt writes: a link out of the folder is never followed
            let found = super::walk::files_below(path, super::walk::is_policy, false);
            if let Ok(walk) = &found {
                walk.warn_skipped(path, false);
            }
            match found.map(|w| w.files) {
                Ok(found) if found.is_empty() => {
                    return fail(format!(
                        "{}: the folder holds no `.handoff` file",
                        path.display()
                    ))
                }
                Ok(found) => paths.extend(found),
                Err(e) => return fail(format!("{}: cannot read the folder: {e}", path.display())),
            }
        } else {
            paths.push(path.clone());
        }
    }
    let mut worst = exit::OK;
    let mut unformatted = Vec::new();
    let mut diffs = String::new();
    let mut written = 0;
    for path in &paths {
        let name = path.display().to_string();
        let text = match read_policy(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let at = not_utf8_at(e.as_bytes(), e.utf8_error().valid_up_to());
                    eprintln!("error: {name}:{at}: not UTF-8 text; save the policy as UTF-8");
                    worst = worst.max(exit::DIAGNOSTICS);
                    continue;
                }
            },
            Err(e) => {
                fail(format!("{name}: cannot read the file: {e}{}", hint(&e)));
                worst = exit::USAGE;
                continue;
            }
        };
        let formatted = match format_one(&name, &text) {
            Ok(f) => f,
            Err(code) => {
                worst = worst.max(code);
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if a.check {
            unformatted.push(name);
        } else if a.diff {
            diffs.push_str(&unified(&name, &text, &formatted));
        } else {
            match handoff_write(path, formatted.as_bytes()) {
                Ok(()) => written += 1,
                Err(e) => {
                    fail(format!("{name}: cannot write the file: {e}"));
                    worst = exit::USAGE;
                }
            }
        }
    }
    if a.check {
        if !unformatted.is_empty() {
            let mut out = String::new();
            for f in &unformatted {
                out.push_str(f);
                out.push('\n');
            }
            if let Err(code) = print(out.as_bytes()) {
                return code;
            }
            eprintln!(
                "{} file(s) not formatted; run `handoff fmt` on them",
                unformatted.len()
            );
            worst = worst.max(exit::DIAGNOSTICS);
        }
    } else if a.diff {
        if let Err(code) = print(diffs.as_bytes()) {
            return code;
        }
    } else if written > 0 {
        eprintln!("formatted {written} file(s)");
    }
    worst
}

/// Where the first byte that is not UTF-8 is: `LINE:COLUMN (byte N)`,
/// the column counted in characters, as diagnostics count it.
fn not_utf8_at(bytes: &[u8], at: usize) -> String {
    let before = &bytes[..at];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    // the text before `at` is valid UTF-8
    let column = 1 + std::str::from_utf8(&before[line_start..]).map_or(0, |t| t.chars().count());
    format!("{line}:{column} (byte {})", at + 1)
}

/// `handoff fmt -`: standard input to standard output.
fn stdin(a: &FmtArgs) -> i32 {
    let bytes = match handoff::files::read_limited_from(std::io::stdin().lock(), LIMIT) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read standard input: {e}{}", hint(&e))),
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = not_utf8_at(e.as_bytes(), e.utf8_error().valid_up_to());
            return fail(format!(
                "<stdin>:{at}: standard input is not UTF-8 text; save the policy as UTF-8"
            ));
        }
    };
    let formatted = match format_one("<stdin>", &text) {
        Ok(f) => f,
        Err(code) => return code,
    };
    if a.check {
        if formatted != text {
            eprintln!("<stdin> is not formatted");
            return exit::DIAGNOSTICS;
        }
        return exit::OK;
    }
    let out = if a.diff {
        unified("<stdin>", &text, &formatted)
    } else {
        formatted
    };
    match print(out.as_bytes()) {
        Ok(()) => exit::OK,
        Err(code) => code,
    }
}

/// Formats one text, or reports why not on stderr and returns the exit code.
fn format_one(name: &str, text: &str) -> Result<String, i32> {
    match format_source(text) {
        Ok(f) => Ok(f),
        Err(FmtError::Syntax(diags)) => {
            let mut sources = handoff::span::SourceMap::new();
            sources.add(name, text);
            let color = use_color(std::io::stderr().is_terminal());
            eprint!("{}", render::render_human(&sources, &diags, color));
            eprintln!(
                "error: {name} does not parse, so it was not formatted; fix the errors above"
            );
            Err(exit::DIAGNOSTICS)
        }
        Err(FmtError::Internal(m)) => {
            eprintln!(
                "internal error: {name}: {m}; nothing was written. Please report this with the file."
            );
            Err(exit::USAGE)
        }
    }
}

/// The largest file formatted: a policy file's limit (H003).
const LIMIT: u64 = handoff::syntax::MAX_SOURCE_BYTES as u64;

/// A policy file, read no further than [`LIMIT`].
fn read_policy(path: &std::path::Path) -> Result<Vec<u8>, handoff::files::ReadError> {
    handoff::files::read_limited(path, LIMIT)
}

/// What to do about a file over the limit (as H003 says).
fn hint(e: &handoff::files::ReadError) -> &'static str {
    match e {
        handoff::files::ReadError::TooLarge { .. } => {
            "; split the policy into several files joined with `import`"
        }
        handoff::files::ReadError::Io(_) => "",
    }
}

fn handoff_write(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    handoff::files::write_replacing(path, bytes)
}

/// A unified diff of a file's text before and after formatting.
fn unified(name: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(name, &format!("{name} (formatted)"))
        .to_string()
}
