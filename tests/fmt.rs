//! `handoff fmt`: it never changes meaning, formatting twice changes
//! nothing, and messy policies come out in the canonical layout.

use std::path::{Path, PathBuf};

use handoff::fmt::{format_source, FmtError};
use proptest::prelude::*;

fn handoff_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            handoff_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "handoff") {
            out.push(p);
        }
    }
}

fn all_policies() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["examples", "tests/fixtures", "tests/mistakes", "bench"] {
        handoff_files(Path::new(dir), &mut files);
    }
    files
}

/// Every policy the repository holds that parses formats without an
/// internal error, and formatting the result again changes nothing.
#[test]
fn formatting_is_a_fixpoint_that_keeps_meaning() {
    let mut formatted = 0;
    for path in all_policies() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match format_source(&text) {
            Ok(once) => {
                let twice = format_source(&once)
                    .unwrap_or_else(|e| panic!("{}: second pass: {e:?}", path.display()));
                assert_eq!(once, twice, "{}: not a fixpoint", path.display());
                formatted += 1;
            }
            Err(FmtError::Syntax(_)) => {}
            Err(FmtError::Internal(m)) => panic!("{}: {m}", path.display()),
        }
    }
    assert!(formatted > 100, "formatted only {formatted} files");
}

/// The shipped examples are formatted (CI runs `handoff fmt --check examples`).
#[test]
fn the_examples_are_formatted() {
    let mut files = Vec::new();
    handoff_files(Path::new("examples"), &mut files);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            format_source(&text).unwrap(),
            text,
            "{} is not formatted: run `handoff fmt examples`",
            path.display()
        );
    }
}

#[test]
fn messy_policies_in_the_canonical_layout() {
    insta::glob!("fixtures/fmt/*.handoff", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let out = format_source(&text).unwrap();
        insta::assert_snapshot!(out);
    });
}

#[test]
fn text_that_does_not_parse_is_refused_with_its_errors() {
    match format_source("signal x = \n") {
        Err(FmtError::Syntax(d)) => assert!(!d.is_empty()),
        other => panic!("{other:?}"),
    }
}

/// The examples, mutated the way authors edit them (white space added or
/// removed, lines joined or split, comments added): whatever still parses
/// formats to the same policy, and formatting is a fixpoint.
fn mutate(which: usize, edits: Vec<(prop::sample::Index, usize)>) -> String {
    let examples = [
        "examples/inbound/policy.handoff",
        "examples/salesforce/policy.handoff",
        "examples/partner/policy.handoff",
    ];
    let mut text = std::fs::read_to_string(examples[which]).unwrap();
    for (at, kind) in edits {
        let mut i = at.index(text.len().max(1));
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        let piece = match kind {
            0 => " ",
            1 => "\n",
            2 => "  // a note {\n",
            3 => "\t",
            4 => "\n\n\n",
            _ => "",
        };
        if kind == 5 {
            // drop one white space character
            if text[i..].starts_with([' ', '\n']) {
                text.remove(i);
            }
        } else {
            text.insert_str(i, piece);
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
    #[test]
    fn edited_examples_format_to_the_same_policy(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..6), 1..12),
    ) {
        let text = mutate(which, edits);
        match format_source(&text) {
            Ok(once) => prop_assert_eq!(format_source(&once).unwrap(), once),
            Err(FmtError::Syntax(_)) => {}
            Err(FmtError::Internal(m)) => prop_assert!(false, "{}", m),
        }
    }
}

/// One very long line (a list of 30,000 roles on a line) wraps in one pass
/// and reads back as the same policy.
#[test]
fn a_very_long_list_wraps_into_lines_of_at_most_100_columns() {
    let names: Vec<String> = (0..30_000).map(|i| format!("role_{i}")).collect();
    let text = format!("roles {}\n", names.join(", "));
    let out = format_source(&text).unwrap();
    assert!(out.lines().count() > 1000);
    assert!(
        out.lines().all(|l| l.chars().count() <= 100),
        "a line past 100 columns"
    );
    assert_eq!(format_source(&out).unwrap(), out);
}
