//! How well do the diagnostics point at the mistakes people really make?
//!
//! Every file under `tests/mistakes/` is a small, otherwise valid policy
//! with one authoring mistake of the kind a rev-ops author types: `2 days`
//! for `2d`, `70 percent`, `# comments`, `lead.contact.email`, `"IST"`, a
//! team name close to two others, ... Its first line says where the mistake
//! is and what a good diagnostic must show to fix it:
//!
//! ```text
//! // mistake: line=N help="TEXT" help="MORE TEXT"
//! ```
//!
//! `N` is the 1-based line of the mistake in that file (the expectation line
//! itself is line 1). Each `help="..."` is a piece of text, usually the
//! corrected policy text, that the diagnostic must show; inside the quotes
//! `\"` is a quote and `\\` a backslash.
//!
//! The **primary** diagnostic is the first error in `checked.diagnostics`
//! (they are sorted by position), or the first warning if there is no error.
//! It points at the mistake when its primary span starts on line `N`. It
//! shows the fix when every expected piece occurs in its message, its help
//! and its suggestion, the suggestion written as the terminal shows it
//! (`` suggestion: replace with `REPLACEMENT` ``).
//!
//! The test prints one row per fixture and both percentages (run with
//! `cargo test --test mistakes -- --nocapture` to see them when it passes),
//! and fails when either is below 95%. A fixture whose first line is not a
//! well-formed expectation fails the test on its own, whatever the scores.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use handoff::diag::{Diagnostic, Severity};
use handoff::Checked;

/// The share of fixtures that must pass each measure.
const REQUIRED_PERCENT: f64 = 95.0;
/// Guards against a corpus that went missing or was emptied by accident.
const MIN_FIXTURES: usize = 70;

/// What the first line of a fixture expects.
#[derive(Debug)]
struct Expectation {
    line: usize,
    helps: Vec<String>,
}

/// Parses `// mistake: line=N help="..." ...`; any deviation is an error.
fn parse_expectation(first_line: &str) -> Result<Expectation, String> {
    let rest = first_line
        .strip_prefix("// mistake:")
        .ok_or_else(|| "the first line must start with `// mistake:`".to_string())?;
    let mut chars = rest.chars().peekable();
    let mut line: Option<usize> = None;
    let mut helps = Vec::new();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ' ' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!("expected `=` after `{key}`"));
        }
        match key.as_str() {
            "line" => {
                if line.is_some() {
                    return Err("`line=` is given twice".into());
                }
                let mut digits = String::new();
                while let Some(&c) = chars.peek() {
                    if c == ' ' {
                        break;
                    }
                    digits.push(c);
                    chars.next();
                }
                let n: usize = digits
                    .parse()
                    .map_err(|_| format!("`line={digits}` is not a line number"))?;
                line = Some(n);
            }
            "help" => {
                if chars.next() != Some('"') {
                    return Err("`help=` must be followed by a double-quoted string".into());
                }
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err("a `help=\"...` string is not closed".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('"') => text.push('"'),
                            Some('\\') => text.push('\\'),
                            other => {
                                let found = other.map(String::from).unwrap_or_default();
                                return Err(format!("unknown escape `\\{found}` in a help string"));
                            }
                        },
                        Some(c) => text.push(c),
                    }
                }
                if text.trim().is_empty() {
                    return Err("a `help=\"\"` string is empty".into());
                }
                match chars.peek() {
                    None | Some(' ') => {}
                    Some(c) => return Err(format!("unexpected `{c}` after a help string")),
                }
                helps.push(text);
            }
            other => return Err(format!("unknown key `{other}` (expected `line` or `help`)")),
        }
    }
    let line = line.ok_or_else(|| "`line=N` is missing".to_string())?;
    if helps.is_empty() {
        return Err("at least one `help=\"...\"` is needed".into());
    }
    Ok(Expectation { line, helps })
}

/// The diagnostic the author reads first: the first error, else the first warning.
fn primary(diagnostics: &[Diagnostic]) -> Option<&Diagnostic> {
    diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .or_else(|| diagnostics.iter().find(|d| d.severity == Severity::Warning))
}

/// Everything the author is told about the fix, as the terminal shows it.
fn fix_text(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push('\n');
        text.push_str(help);
    }
    if let Some(s) = &d.suggestion {
        text.push_str("\nsuggestion: replace with `");
        text.push_str(&s.replacement);
        text.push('`');
    }
    text
}

struct Row {
    name: String,
    expected_line: usize,
    /// code, line, help and suggestion of the primary diagnostic
    got: Option<(String, usize, String)>,
    line_ok: bool,
    help_ok: bool,
    missing_helps: Vec<String>,
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mistakes");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "handoff"))
        .collect();
    paths.sort();
    paths
}

fn one_line(s: &str) -> String {
    s.replace('\n', " / ")
}

#[test]
fn diagnostics_point_at_the_mistake_and_show_the_fix() {
    let paths = fixtures();
    assert!(
        paths.len() >= MIN_FIXTURES,
        "expected at least {MIN_FIXTURES} fixtures in tests/mistakes, found {}",
        paths.len()
    );

    let mut malformed = Vec::new();
    let mut rows = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
        let text = String::from_utf8_lossy(&bytes);
        let first = text.lines().next().unwrap_or("");
        let expect = match parse_expectation(first.trim_end()) {
            Ok(e) => e,
            Err(why) => {
                malformed.push(format!("{name}: {why}\n    first line: {first}"));
                continue;
            }
        };
        let line_count = text.lines().count();
        if expect.line < 2 || expect.line > line_count {
            malformed.push(format!(
                "{name}: line={} is outside the policy (lines 2 to {line_count})",
                expect.line
            ));
            continue;
        }

        let checked = Checked::from_bytes(&name, &bytes);
        let row = match primary(&checked.diagnostics) {
            None => Row {
                name,
                expected_line: expect.line,
                got: None,
                line_ok: false,
                help_ok: false,
                missing_helps: expect.helps,
            },
            Some(d) => {
                let span = d.primary.span;
                let line = checked.sources.get(span.file).line_col(span.start).line;
                let fix = fix_text(d);
                let missing: Vec<String> = expect
                    .helps
                    .iter()
                    .filter(|h| !fix.contains(h.as_str()))
                    .cloned()
                    .collect();
                let mut given = String::new();
                if let Some(h) = &d.help {
                    given.push_str(h);
                }
                if let Some(s) = &d.suggestion {
                    let _ = write!(given, " [suggestion: `{}`]", s.replacement);
                }
                Row {
                    name,
                    expected_line: expect.line,
                    got: Some((
                        d.code.as_str().to_string(),
                        line,
                        format!("{} | {given}", d.message),
                    )),
                    line_ok: line == expect.line,
                    help_ok: missing.is_empty(),
                    missing_helps: missing,
                }
            }
        };
        rows.push(row);
    }

    assert!(
        malformed.is_empty(),
        "malformed expectation lines (want `// mistake: line=N help=\"...\"`):\n  {}",
        malformed.join("\n  ")
    );

    let mut table = String::new();
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(10);
    let _ = writeln!(
        table,
        "{:<width$}  line       help  code  message | help given",
        "fixture"
    );
    for r in &rows {
        let (code, got_line, given) = match &r.got {
            Some((code, line, given)) => (code.as_str(), line.to_string(), one_line(given)),
            None => ("-", "-".to_string(), "no diagnostic".to_string()),
        };
        let line_col = if r.line_ok {
            format!("ok {}", r.expected_line)
        } else {
            format!("{}!={}", got_line, r.expected_line)
        };
        let _ = writeln!(
            table,
            "{:<width$}  {:<9}  {:<4}  {:<4}  {}{}",
            r.name,
            line_col,
            if r.help_ok { "ok" } else { "MISS" },
            code,
            given,
            if r.missing_helps.is_empty() {
                String::new()
            } else {
                format!(
                    "  <- should show: {}",
                    r.missing_helps
                        .iter()
                        .map(|h| format!("{h:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
    }
    let n = rows.len();
    let line_hits = rows.iter().filter(|r| r.line_ok).count();
    let help_hits = rows.iter().filter(|r| r.help_ok).count();
    let line_pct = 100.0 * line_hits as f64 / n as f64;
    let help_pct = 100.0 * help_hits as f64 / n as f64;
    let _ = writeln!(
        table,
        "\n{n} fixtures: points at the mistake {line_hits}/{n} ({line_pct:.1}%), \
         help shows the fix {help_hits}/{n} ({help_pct:.1}%); {REQUIRED_PERCENT}% needed for each"
    );
    println!("{table}");

    assert!(
        line_pct >= REQUIRED_PERCENT && help_pct >= REQUIRED_PERCENT,
        "diagnostics point at the mistake in {line_pct:.1}% and show the fix in {help_pct:.1}% \
         of {n} fixtures; both must be at least {REQUIRED_PERCENT}% (table above)"
    );
}

#[test]
fn expectation_lines_are_parsed_strictly() {
    let ok =
        parse_expectation(r#"// mistake: line=12 help="2d" help="say \"hi\" \\ there""#).unwrap();
    assert_eq!(ok.line, 12);
    assert_eq!(
        ok.helps,
        vec!["2d".to_string(), r#"say "hi" \ there"#.to_string()]
    );
    for bad in [
        r#"// expect: H001"#,
        r#"// mistake: help="2d""#,
        r#"// mistake: line=12"#,
        r#"// mistake: line=x help="2d""#,
        r#"// mistake: line=3 line=4 help="2d""#,
        r#"// mistake: line=3 help=2d"#,
        r#"// mistake: line=3 help="2d"#,
        r#"// mistake: line=3 help="2d"x"#,
        r#"// mistake: line=3 help="""#,
        r#"// mistake: line=3 help="\d""#,
        r#"// mistake: line=3 hint="2d""#,
    ] {
        assert!(parse_expectation(bad).is_err(), "should be rejected: {bad}");
    }
}
