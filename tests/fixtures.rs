//! Fixture tests: every file under `tests/fixtures/ok/` checks clean, every
//! file under `tests/fixtures/err/` produces the diagnostic its first line
//! names (`// expect: H001`), with its rendering snapshotted.

use std::path::Path;

use handoff::diag::render;
use handoff::Checked;

fn expected_code(text: &str) -> Option<String> {
    // `// expect:` in a policy, `# expect:` in a test suite
    let first = text.lines().next()?.trim();
    first
        .strip_prefix("// expect:")
        .or_else(|| first.strip_prefix("# expect:"))
        .map(|c| c.trim().to_string())
}

#[test]
fn ok_fixtures_check_clean() {
    insta::glob!("fixtures/ok/*.handoff", |path| {
        let checked = Checked::from_file(path).expect("fixture is readable");
        let rendered = render::render_short(&checked.sources, &checked.diagnostics);
        assert!(
            checked.diagnostics.is_empty(),
            "{} has diagnostics:\n{rendered}",
            path.display()
        );
    });
}

#[test]
fn err_fixtures_produce_their_code() {
    insta::glob!("fixtures/err/**/*.handoff", |path| {
        // glob! gives absolute paths; load relative to the crate so that
        // messages naming files read the same on every checkout
        let path = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path);
        if path.is_dir() {
            // a folder named like a policy, for H019
            return;
        }
        let bytes = std::fs::read(path).expect("fixture is readable");
        let checked = Checked::from_file(path).expect("fixture is readable");
        let text = String::from_utf8_lossy(&bytes);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let rendered = render::render_human(&checked.sources, &checked.diagnostics, false);
        let rendered = rendered.replace(&path.display().to_string(), &name);
        if let Some(code) = expected_code(&text) {
            assert!(
                checked.diagnostics.iter().any(|d| d.code.as_str() == code),
                "{} should produce {code}, got:\n{rendered}",
                path.display()
            );
        }
        for d in &checked.diagnostics {
            assert!(
                d.help.is_some(),
                "{}: diagnostic {} has no help",
                path.display(),
                d.code.as_str()
            );
        }
        insta::assert_snapshot!(format!("{text}\n---- diagnostics ----\n{rendered}"));
    });
}

#[test]
fn examples_check_clean_with_deny_warnings() {
    let mut n = 0;
    for entry in std::fs::read_dir("examples").unwrap() {
        let policy = entry.unwrap().path().join("policy.handoff");
        if !policy.exists() {
            continue;
        }
        n += 1;
        let checked = Checked::from_file(&policy).unwrap();
        let rendered = render::render_short(&checked.sources, &checked.diagnostics);
        assert!(
            checked.diagnostics.is_empty(),
            "{}:\n{rendered}",
            policy.display()
        );
    }
    assert!(
        n >= 3,
        "expected at least three example policies, found {n}"
    );
}

#[test]
fn example_asts_are_stable() {
    insta::glob!("..", "examples/*/policy.handoff", |path| {
        let loaded = handoff::load::load_file(path).unwrap();
        insta::assert_debug_snapshot!(loaded.modules[0].items);
    });
}

#[test]
fn machine_renderings_of_a_multi_error_policy() {
    let path = Path::new("tests/fixtures/multi-error.handoff");
    let checked = Checked::from_file(path).unwrap();
    assert!(checked.diagnostics.len() >= 5);
    insta::assert_snapshot!(
        "json",
        render::render_json(&checked.sources, &checked.diagnostics)
    );
    insta::assert_snapshot!(
        "sarif",
        render::render_sarif(&checked.sources, &checked.diagnostics)
    );
    insta::assert_snapshot!(
        "github",
        render::render_github(&checked.sources, &checked.diagnostics)
    );
    insta::assert_snapshot!(
        "short",
        render::render_short(&checked.sources, &checked.diagnostics)
    );
    let sarif: serde_json::Value = serde_json::from_str(&render::render_sarif(
        &checked.sources,
        &checked.diagnostics,
    ))
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        checked.diagnostics.len()
    );
}

#[test]
fn every_code_has_a_fixture_and_a_docs_entry() {
    let mut seen = std::collections::HashSet::new();
    for dir in [
        "tests/fixtures/err/syntax",
        "tests/fixtures/err/check",
        "tests/fixtures/err/check/cycle",
        "tests/fixtures/err/suites",
    ] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if let Ok(text) = std::fs::read(&path) {
                if let Some(code) = expected_code(&String::from_utf8_lossy(&text)) {
                    seen.insert(code);
                }
            }
        }
    }
    for code in handoff::diag::Code::ALL {
        let entry = handoff::docs::diagnostic_entry(code.as_str())
            .unwrap_or_else(|| panic!("{} has no section in docs/diagnostics.md", code.as_str()));
        assert!(
            entry.contains(code.name()),
            "{}: docs heading names {}",
            code.as_str(),
            code.name()
        );
        // H003 (a file over 8 MiB) is tested in tests/robustness.rs
        if *code != handoff::diag::Code::FileTooLarge {
            assert!(
                seen.contains(code.as_str()),
                "{} ({}) has no fixture under tests/fixtures/err/",
                code.as_str(),
                code.name()
            );
        }
    }
}

/// Every `handoff` code block of the language reference parses: whole
/// declarations as they are, handoff entries inside a `handoff { }`.
#[test]
fn language_reference_snippets_parse() {
    let doc = std::fs::read_to_string("docs/language.md").unwrap();
    let mut n = 0;
    for block in doc.split("```handoff\n").skip(1) {
        let code = block.split("```").next().unwrap();
        let first = code.split_whitespace().next().unwrap_or("");
        let entry = [
            "initiated_by",
            "validated_by",
            "owned_by",
            "ready",
            "require",
            "quality",
            "consent",
            "route",
            "escalate",
            "debrief",
            "overrides",
            "missing_context",
        ]
        .contains(&first)
            || (first == "playbook" && !code.contains('{'));
        let src = if entry {
            format!("handoff a -> b {{\n{code}\n}}\n")
        } else {
            code.to_string()
        };
        let checked = Checked::from_bytes("snippet.handoff", src.as_bytes());
        let syntax: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.code.as_str().starts_with("H0"))
            .collect();
        assert!(
            syntax.is_empty(),
            "snippet does not parse:\n{src}\n{:?}",
            syntax.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
        n += 1;
    }
    assert!(
        n >= 20,
        "expected the reference to show the syntax, found {n} snippets"
    );
}

/// Every kind of white space the language documents separates tokens alike:
/// the flagship policy with its spaces and line breaks swapped for tabs,
/// vertical tabs, form feeds and CRLF checks exactly as the original.
#[test]
fn all_documented_white_space_is_white_space() {
    let original = std::fs::read_to_string("examples/inbound/policy.handoff").unwrap();
    let mut varied = String::from("\u{FEFF}");
    let mut in_string = false;
    let mut n = 0usize;
    for c in original.chars() {
        if c == '"' {
            in_string = !in_string;
        }
        if in_string {
            varied.push(c);
            continue;
        }
        match c {
            ' ' => {
                n += 1;
                varied.push(['\t', '\u{0B}', '\u{0C}', ' '][n % 4]);
            }
            '\n' => varied.push_str("\r\n"),
            c => varied.push(c),
        }
    }
    let a = Checked::from_bytes("p.handoff", original.as_bytes());
    let b = Checked::from_bytes("p.handoff", varied.as_bytes());
    assert!(a.diagnostics.is_empty());
    let codes = |c: &Checked| c.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>();
    assert_eq!(codes(&a), codes(&b), "{:?}", b.diagnostics.first());
    assert!(a.is_ok() && b.is_ok());
    // the same declarations, whatever the white space
    let items = |t: &str| {
        let parsed = handoff::syntax::parse_module(handoff::span::FileId(0), t);
        parsed.module.map(|m| m.items.len())
    };
    assert_eq!(items(&original), items(&varied));
    assert!(items(&original).is_some_and(|n| n > 5));
}

/// Old Mac files end their lines with a lone `\r`, which the language
/// counts as a line break: a `//` comment ends there (it once ran to the
/// end of the file), doc comments are kept, and a diagnostic's header and
/// the snippet's line numbers agree.
#[test]
fn lone_carriage_returns_end_lines_everywhere() {
    let original = std::fs::read_to_string("examples/inbound/policy.handoff").unwrap();
    assert!(original.contains("//") && original.contains("///"));
    let mac = original.replace('\n', "\r");
    let a = Checked::from_bytes("p.handoff", original.as_bytes());
    let b = Checked::from_bytes("p.handoff", mac.as_bytes());
    assert!(a.is_ok() && b.is_ok(), "{:?}", b.diagnostics.first());
    let docs = |t: &str| {
        let parsed = handoff::syntax::parse_module(handoff::span::FileId(0), t);
        let m = parsed.module.unwrap();
        m.items.iter().map(|i| i.doc.clone()).collect::<Vec<_>>()
    };
    let (plain_docs, mac_docs) = (docs(&original), docs(&mac));
    assert_eq!(plain_docs, mac_docs);
    assert!(plain_docs.iter().any(Option::is_some));
    // and `fmt` gives the same text, its lines ending in `\n`
    assert_eq!(
        handoff::fmt::format_source(&mac).unwrap(),
        handoff::fmt::format_source(&original).unwrap()
    );
    // a warning about line 5 is shown on line 5, in the header and the
    // gutter
    let broken = "policy \"P\" {\r  version \"1\"\r}\r// a comment\rsignal hot = scor >= 40\r";
    let c = Checked::from_bytes("p.handoff", broken.as_bytes());
    let text = handoff::diag::render::render(
        handoff::diag::render::Format::Human,
        &c.sources,
        &c.diagnostics,
        false,
    );
    assert!(text.contains("signal `hot` is never used"), "{text}");
    assert!(text.contains("p.handoff:5:8]"), "{text}");
    assert!(text.contains(" 5 │ signal hot = scor >= 40"), "{text}");
}

/// A name defined both in the policy and in a file it imports is reported
/// at the policy's definition, the line its author is editing, with the
/// imported one as the secondary label; the imported file gets no error.
#[test]
fn a_duplicate_across_an_import_is_reported_in_the_importing_file() {
    let dir = std::env::temp_dir().join(format!("handoff-dup-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("shared.handoff"),
        "roles marketing, sdr\nsignal engaged = engagement.score >= 40\n",
    )
    .unwrap();
    let policy = r#"import "shared.handoff"

policy "Dup" { version "1" }
lead { id: string  engagement { score: number? } }
stages mql, sal
queue inbox
signal engaged = engagement.score >= 50
handoff mql -> sal {
  initiated_by marketing
  validated_by sdr
  owned_by sdr
  ready when engaged
  route { otherwise -> queue inbox }
}
"#;
    std::fs::write(dir.join("policy.handoff"), policy).unwrap();
    let checked = Checked::from_file(&dir.join("policy.handoff")).unwrap();
    let dups: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "H110")
        .collect();
    assert_eq!(dups.len(), 1, "{:?}", checked.diagnostics);
    let root = checked.sources.get(dups[0].primary.span.file);
    assert!(root.name.ends_with("policy.handoff"), "{}", root.name);
    assert_eq!(root.line_col(dups[0].primary.span.start).line, 7);
    let other = checked.sources.get(dups[0].secondary[0].span.file);
    assert!(other.name.ends_with("shared.handoff"), "{}", other.name);
    let rendered = render::render_human(&checked.sources, &checked.diagnostics, false)
        .replace(&format!("{}/", dir.display()), "");
    insta::assert_snapshot!(rendered);
    std::fs::remove_dir_all(&dir).ok();
}
