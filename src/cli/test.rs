//! `handoff test [PATH...]`

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{exit, fail, print, use_color};
use handoff::diag::render;
use handoff::testing::{run_suite_with, SuiteError, SuiteResult};

#[derive(Args, Debug)]
pub(crate) struct TestArgs {
    /// Suite files (`*.test.toml`), or folders to search for them; the
    /// current folder when none is given.
    paths: Vec<PathBuf>,
    /// Run only the cases whose name contains this text.
    #[arg(long, value_name = "PATTERN")]
    run: Option<String>,
    /// Fail when no case runs (a filter that matches nothing, a folder
    /// without suites).
    #[arg(long)]
    fail_on_empty: bool,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    format: TestFormat,
    /// Print the rules no case exercised, with their lines.
    #[arg(long)]
    coverage: bool,
    /// Print the coverage, and only the coverage, in this format instead of
    /// the results (`json` for tools).
    #[arg(long, value_enum, value_name = "FORMAT")]
    coverage_format: Option<CoverageFormat>,
    /// Fail when a suite exercises less than this share of its policy's
    /// rules, in percent.
    #[arg(long, value_name = "PCT")]
    min_coverage: Option<f64>,
    /// Read files a suite names outside its folder (its policy, leads and
    /// state files), follow its policy's imports out of the policy's
    /// folder, and follow links in a folder that lead out of it (refused
    /// by default: suites from pull requests are untrusted).
    #[arg(long)]
    allow_outside_imports: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum CoverageFormat {
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum TestFormat {
    Human,
    Json,
    Junit,
}

pub(crate) fn run(a: TestArgs) -> i32 {
    let roots = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let mut files = Vec::new();
    for p in &roots {
        if p.is_dir() {
            match super::walk::files_below(p, super::walk::is_suite, a.allow_outside_imports) {
                Ok(walk) => {
                    walk.warn_skipped(p, true);
                    files.extend(walk.files);
                }
                Err(e) => return fail(format!("{}: cannot read the folder: {e}", p.display())),
            }
        } else if p.exists() {
            files.push(p.clone());
        } else {
            return fail(format!("{}: no such file or folder", p.display()));
        }
    }
    files.sort();
    let mut results = Vec::new();
    let mut worst = exit::OK;
    for f in &files {
        let options = handoff::load::LoadOptions {
            allow_outside_imports: a.allow_outside_imports,
        };
        match run_suite_with(f, a.run.as_deref(), options) {
            Ok(r) => results.push(r),
            Err(SuiteError::Diagnostics(sources, diags)) => {
                let color = use_color(std::io::stderr().is_terminal());
                eprint!("{}", render::render_human(&sources, &diags, color));
                eprintln!(
                    "error: {}: the suite cannot run; fix the problems above",
                    f.display()
                );
                worst = worst.max(exit::DIAGNOSTICS);
            }
            Err(SuiteError::Io(m)) => {
                fail(m);
                worst = exit::USAGE;
            }
        }
    }
    let total: usize = results.iter().map(|r| r.cases.len()).sum();
    let failed: usize = results
        .iter()
        .map(|r| r.cases.iter().filter(|c| !c.passed).count())
        .sum();
    let text = match (a.coverage_format, a.format) {
        (Some(CoverageFormat::Json), _) => coverage_json(&results),
        (None, TestFormat::Human) => human(&results, a.coverage),
        (None, TestFormat::Json) => json(&results),
        (None, TestFormat::Junit) => junit(&results),
    };
    if let Err(code) = print(text.as_bytes()) {
        return code;
    }
    if failed > 0 {
        worst = worst.max(exit::DIAGNOSTICS);
    }
    if total == 0 && a.fail_on_empty {
        eprintln!("error: no test case ran");
        worst = worst.max(exit::DIAGNOSTICS);
    }
    if let Some(min) = a.min_coverage {
        for r in &results {
            let pct = r.coverage_percent();
            if pct < min {
                eprintln!(
                    "error: {} exercises {pct:.1}% of its policy's rules, below {min}%; run with --coverage to see what is missing",
                    r.file
                );
                worst = worst.max(exit::DIAGNOSTICS);
            }
        }
    }
    if a.format == TestFormat::Human {
        eprintln!("{} passed, {failed} failed", total - failed);
    }
    worst
}

fn human(results: &[SuiteResult], coverage: bool) -> String {
    let mut s = String::new();
    for r in results {
        s.push_str(&format!("{} ({})\n", r.file, r.policy));
        for c in &r.cases {
            if c.passed {
                s.push_str(&format!("  ok    {}\n", c.name));
                continue;
            }
            s.push_str(&format!("  FAIL  {}\n", c.name));
            if let Some(e) = &c.error {
                s.push_str(&format!("        {e}\n"));
            }
            for m in &c.mismatches {
                s.push_str(&format!(
                    "        {}: expected {}, got {}\n",
                    m.what, m.expected, m.actual
                ));
            }
            if let Some(x) = &c.explanation {
                s.push_str("        how the policy decided:\n");
                for line in x.lines() {
                    s.push_str(&format!("          {line}\n"));
                }
            }
        }
        let covered = r.coverage.iter().filter(|c| c.covered).count();
        s.push_str(&format!(
            "  coverage: {covered} of {} rules exercised ({:.1}%)\n",
            r.coverage.len(),
            r.coverage_percent()
        ));
        if coverage {
            for c in r.coverage.iter().filter(|c| !c.covered) {
                let at = if c.line > 0 {
                    format!(" (line {})", c.line)
                } else {
                    String::new()
                };
                s.push_str(&format!("    never: {} `{}`{at}\n", c.kind, c.name));
            }
        }
    }
    s
}

fn json(results: &[SuiteResult]) -> String {
    let suites: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "file": r.file,
                "policy": r.policy,
                "cases": r.cases,
                "coverage": {
                    "percent": r.coverage_percent(),
                    "items": r.coverage,
                },
            })
        })
        .collect();
    let passed: usize = results
        .iter()
        .flat_map(|r| &r.cases)
        .filter(|c| c.passed)
        .count();
    let failed: usize = results
        .iter()
        .flat_map(|r| &r.cases)
        .filter(|c| !c.passed)
        .count();
    let doc = serde_json::json!({ "suites": suites, "passed": passed, "failed": failed });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

fn coverage_json(results: &[SuiteResult]) -> String {
    let suites: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "file": r.file,
                "policy": r.policy,
                "percent": r.coverage_percent(),
                "items": r.coverage,
            })
        })
        .collect();
    format!(
        "{}\n",
        serde_json::to_string_pretty(&serde_json::json!({ "coverage": suites }))
            .unwrap_or_default()
    )
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn junit(results: &[SuiteResult]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in results {
        let failures = r.cases.iter().filter(|c| !c.passed).count();
        s.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            xml(&r.file),
            r.cases.len()
        ));
        for c in &r.cases {
            s.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\"",
                xml(&c.name),
                xml(&r.file)
            ));
            if c.passed {
                s.push_str("/>\n");
                continue;
            }
            let mut body = String::new();
            if let Some(e) = &c.error {
                body.push_str(e);
                body.push('\n');
            }
            for m in &c.mismatches {
                body.push_str(&format!(
                    "{}: expected {}, got {}\n",
                    m.what, m.expected, m.actual
                ));
            }
            let first = body.lines().next().unwrap_or("failed").to_string();
            if let Some(x) = &c.explanation {
                body.push('\n');
                body.push_str(x);
            }
            s.push_str(&format!(
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                xml(&first),
                xml(&body)
            ));
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}
