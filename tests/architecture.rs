//! Arrows point down the pipeline: a module of `src/` uses only modules of
//! lower layers (ARCHITECTURE.md names them). A source scan, so the
//! direction holds as the code grows: a new module must be given a layer
//! here, and an import that points up (or sideways, into a module of the
//! same layer) fails with the file and line.

use std::collections::BTreeMap;
use std::path::Path;

/// Each top-level module of `src/` and its layer, lowest first. `lib.rs`
/// (the facade) and `main.rs` may use anything.
const LAYERS: &[(&str, u32)] = &[
    // vocabulary: places in text, values, raw records
    ("span", 0),
    ("value", 0),
    ("record", 0),
    // whole files in and out: read limits, safe replacement
    ("files", 0),
    // diagnostics, the syntax tree, types
    ("diag", 1),
    ("ast", 1),
    ("types", 1),
    // text -> AST; the decision's vocabulary
    ("docs", 2),
    ("syntax", 2),
    ("decision", 2),
    // files -> modules; AST -> checked program; the compiled form
    ("load", 3),
    ("check", 3),
    ("fmt", 3),
    ("ir", 3),
    ("write", 3),
    // what IR and evaluator share; the decision log's file and reader
    ("ops", 4),
    ("audit", 4),
    ("compile", 5),
    ("eval", 6),
    ("explain", 7),
    ("batch", 7),
    ("testing", 8),
    ("diff", 8),
    ("metrics", 8),
    // Arrow and Parquet leads and decisions (feature `parquet`)
    ("columnar", 8),
    // the HTTP server (feature `server`), over batch and the audit log
    ("serve", 9),
    ("cli", 10),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The modules a line of code names through `crate::`.
fn named(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        } else {
            out.push(
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn imports_point_down_the_pipeline() {
    let mut all = Vec::new();
    files(Path::new("src"), &mut all);
    let mut wrong = Vec::new();
    let mut edges: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in &all {
        let rel = f.strip_prefix("src").unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(from) = layer(&top) else {
            wrong.push(format!(
                "{}: module `{top}` has no layer in tests/architecture.rs",
                f.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for to in named(code) {
                if to == top || to.is_empty() {
                    continue;
                }
                // items of the crate root are the facade's re-exports
                let Some(at) = layer(&to) else {
                    if to.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                        wrong.push(format!(
                            "{}:{}: `crate::{to}` is not a module with a layer",
                            f.display(),
                            n + 1
                        ));
                    }
                    continue;
                };
                *edges.entry((top.clone(), to.clone())).or_default() += 1;
                if at >= from {
                    wrong.push(format!(
                        "{}:{}: `{top}` (layer {from}) uses `{to}` (layer {at}): arrows point down the pipeline",
                        f.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // the scan sees the real imports
    assert!(edges.contains_key(&("eval".into(), "ir".into())));
    assert!(edges.contains_key(&("check".into(), "ast".into())));
}

#[test]
fn the_scan_reads_grouped_and_single_imports() {
    assert_eq!(named("use crate::{ast, diag::Code};"), ["ast", "diag"]);
    assert_eq!(named("let x = crate::eval::Engine::new();"), ["eval"]);
    assert_eq!(named("a(crate::ir::X, crate::value::Val)"), ["ir", "value"]);
}

/// No module of the library grows past 800 lines: a module that long holds
/// more than one idea and is split by what its parts are (as
/// `src/decision/` was). Test files, lists of cases, are not held to it.
#[test]
fn no_source_file_passes_800_lines() {
    let mut all = Vec::new();
    for dir in ["src", "benches"] {
        files(Path::new(dir), &mut all);
    }
    let long: Vec<String> = all
        .iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(p).unwrap().lines().count();
            (n > 800).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by what their parts are: {long:?}"
    );
    assert!(all.len() > 50, "the walk found the source files");
}
