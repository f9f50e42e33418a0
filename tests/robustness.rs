//! No policy text makes the front end panic, hang or overflow the stack.

use proptest::prelude::*;

/// The number of cases: `PROPTEST_CASES` when set (for long local runs),
/// else the default given.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn examples() -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("examples").unwrap() {
        let p = entry.unwrap().path().join("policy.handoff");
        if let Ok(t) = std::fs::read_to_string(p) {
            out.push(t);
        }
    }
    out
}

/// Example policy `which` with the edits applied: 0 removes a character,
/// 1 inserts one, 2 replaces one, 3 removes up to forty.
fn mutate(which: usize, edits: Vec<(prop::sample::Index, usize, char)>) -> String {
    let ex = examples();
    let mut text: Vec<char> = ex[which % ex.len()].chars().collect();
    for (idx, op, c) in edits {
        if text.is_empty() {
            break;
        }
        let i = idx.index(text.len());
        match op {
            0 => {
                text.remove(i);
            }
            1 => text.insert(i, c),
            2 => text[i] = c,
            _ => {
                let j = (i + 40).min(text.len());
                text.drain(i..j);
            }
        }
    }
    text.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(96), .. ProptestConfig::default() })]

    #[test]
    fn mutated_examples_never_panic(which in 0usize..3, edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, any::<char>()), 1..8)) {
        let src = mutate(which, edits);
        let checked = handoff::Checked::from_bytes("mutated.handoff", src.as_bytes());
        let _ = handoff::diag::render::render_human(&checked.sources, &checked.diagnostics, false);
        let _ = checked.compile();
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let checked = handoff::Checked::from_bytes("random.handoff", &bytes);
        let loaded = handoff::load::load_bytes("random.handoff", &bytes, None);
        prop_assert!(!checked.diagnostics.is_empty() || bytes.iter().all(|b| b.is_ascii_whitespace()) || loaded.modules.iter().any(|m| !m.items.is_empty()));
    }
}

#[test]
fn hostile_inputs_get_diagnostics() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "H017"),
        (b"// only a comment\n".to_vec(), "H017"),
        (
            format!("signal x = {}a{}", "(".repeat(10_000), ")".repeat(10_000)).into_bytes(),
            "H004",
        ),
        (
            format!("signal x = a{}", " + a".repeat(20_000)).into_bytes(),
            "H004",
        ),
        (vec![0xff, 0xfe, 0x00, 0x41], "H002"),
        (vec![b' '; 9 * 1024 * 1024], "H003"),
    ];
    for (bytes, code) in cases {
        let checked = handoff::Checked::from_bytes("hostile.handoff", &bytes);
        assert!(
            checked.diagnostics.iter().any(|d| d.code.as_str() == code),
            "expected {code}, got {:?}",
            checked
                .diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_large_valid_policy_parses() {
    let mut src =
        String::from("policy \"big\" { version \"1\" }\nlead { id: string  score: number? }\n");
    for i in 0..5_000 {
        src.push_str(&format!("signal s{i} = score >= {i} \"threshold {i}\"\n"));
    }
    // signals only: unused (H111), and no handoff yet (H119)
    let checked = handoff::Checked::from_bytes("big.handoff", src.as_bytes());
    assert!(checked
        .diagnostics
        .iter()
        .all(|d| ["H111", "H119"].contains(&d.code.as_str())));
}

#[test]
fn thousands_of_errors_are_all_reported() {
    let mut src =
        String::from("policy \"many\" { version \"1\" }\nlead { id: string  score: number? }\n");
    for i in 0..2_000 {
        src.push_str(&format!("signal s{i} = scor >= {i} and unknown_{i}\n"));
    }
    let checked = handoff::Checked::from_bytes("many.handoff", src.as_bytes());
    let count = |code: &str| {
        checked
            .diagnostics
            .iter()
            .filter(|d| d.code.as_str() == code)
            .count()
    };
    // every `scor` and every `unknown_N` is reported, in source order
    assert_eq!(count("H102"), 4_000);
    assert_eq!(count("H111"), 2_000);
    let positions: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.primary.span.start)
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]));
    // the first ones carry a suggestion
    assert!(checked
        .diagnostics
        .iter()
        .any(|d| d.message.contains("did you mean `score`")));
}

#[test]
fn deeply_nested_list_types_get_a_diagnostic() {
    let src = format!(
        "lead {{ x: {}string{} }}",
        "list<".repeat(12_000),
        ">".repeat(12_000)
    );
    let checked = handoff::Checked::from_bytes("deep.handoff", src.as_bytes());
    assert!(checked
        .diagnostics
        .iter()
        .any(|d| d.code.as_str() == "H004"));
}

/// The minimal policy a construct is placed into: `{}` stands where the
/// construct goes (a signal's condition, or a field of the lead schema).
const HOST: &str = r#"policy "Deep" { version "1" }
lead { id: string  score: number?  tags: list<string>? {} }
roles marketing, sdr
stages mql, sal
queue inbox
signal deep = {}
handoff mql -> sal {
  initiated_by marketing
  validated_by sdr
  owned_by sdr
  ready when deep
  route { otherwise -> queue inbox }
}
"#;

/// Every recursive rule of the grammar, built `n` levels deep: (name,
/// where it goes, the text). `schema` places go into the lead schema.
fn recursive_constructs(n: usize) -> Vec<(&'static str, bool, String)> {
    let wrap = |open: &str, mid: &str, close: &str| {
        format!("{}{}{}", open.repeat(n), mid, close.repeat(n))
    };
    vec![
        ("not chain", false, format!("{}true", "not ".repeat(n))),
        ("minus chain", false, format!("score > {}1", "- ".repeat(n))),
        (
            "minus without spaces",
            false,
            format!("score > {}1", "-".repeat(n)),
        ),
        (
            "mixed prefix chain",
            false,
            format!("{}true", "not -".repeat(n)),
        ),
        ("parentheses", false, wrap("(", "true", ")")),
        (
            "lists",
            false,
            format!("\"a\" in {}", wrap("[", "\"a\"", "]")),
        ),
        ("all blocks", false, wrap("all { ", "true", " }")),
        ("any blocks", false, wrap("any { ", "true", " }")),
        (
            "at least blocks",
            false,
            wrap("at least 1 of { ", "true", " }"),
        ),
        ("calls", false, wrap("exists(", "score", ")")),
        (
            "lambdas",
            false,
            wrap("any(tags, t -> any(tags, ", "t == \"x\"", "))"),
        ),
        ("or chain", false, vec!["true"; n].join(" or ")),
        (
            "sum chain",
            false,
            format!("score > {}", vec!["1"; n].join(" + ")),
        ),
        (
            "records",
            true,
            format!("r {}", wrap("{ x ", ": string?", " }")),
        ),
        (
            "list types",
            true,
            format!("l: {}", wrap("list<", "string", ">")),
        ),
        (
            "list of records",
            true,
            format!("l: {}", wrap("list<{ x: ", "string", " }>")),
        ),
    ]
}

/// Each recursive construct at ten times its limit (and far beyond) gets
/// a diagnostic, never a stack overflow: on a test thread, whose stack is
/// a quarter of the main thread's.
#[test]
fn every_recursive_construct_far_past_its_limit_gets_a_diagnostic() {
    let limit = handoff::syntax::MAX_EXPR_DEPTH.max(handoff::syntax::MAX_NESTING);
    for n in [limit * 10, 12_000] {
        for (name, schema, text) in recursive_constructs(n) {
            let src = if schema {
                HOST.replacen("{}", &text, 1).replacen("{}", "true", 1)
            } else {
                HOST.replacen("{}", "", 1).replacen("{}", &text, 1)
            };
            let checked = handoff::Checked::from_bytes("deep.handoff", src.as_bytes());
            assert!(
                checked
                    .diagnostics
                    .iter()
                    .any(|d| d.is_error() && d.code.as_str() == "H004"),
                "{name} at depth {n}: expected H004, got {:?}",
                checked
                    .diagnostics
                    .iter()
                    .map(|d| (d.code.as_str(), &d.message))
                    .collect::<Vec<_>>()
            );
            for format in [
                handoff::diag::render::Format::Human,
                handoff::diag::render::Format::Short,
                handoff::diag::render::Format::Json,
                handoff::diag::render::Format::Sarif,
                handoff::diag::render::Format::Github,
            ] {
                let _ = handoff::diag::render::render(
                    format,
                    &checked.sources,
                    &checked.diagnostics,
                    false,
                );
            }
        }
    }
}

/// The same constructs just inside their limits are policies like any other.
#[test]
fn recursive_constructs_within_their_limits_check() {
    for (name, schema, text) in recursive_constructs(8) {
        let src = if schema {
            HOST.replacen("{}", &text, 1).replacen("{}", "true", 1)
        } else {
            HOST.replacen("{}", "", 1).replacen("{}", &text, 1)
        };
        let checked = handoff::Checked::from_bytes("ok.handoff", src.as_bytes());
        assert!(
            !checked
                .diagnostics
                .iter()
                .any(|d| d.code.as_str() == "H004"),
            "{name}: {:?}",
            checked
                .diagnostics
                .iter()
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        );
    }
}

/// A label past column 65,535 of one line (a long one-line `applies_to`
/// list with a typo at its end) renders in every format: the human form
/// elides the line around the label and still names the file's column.
#[test]
fn a_label_far_along_a_long_line_renders_in_every_format() {
    let list: Vec<String> = (0..9000).map(|i| format!("\"src{i:05}\"")).collect();
    let src = HOST
        .replacen("{}", "source: string?", 1)
        .replacen("{}", "true", 1)
        .replacen(
            "version \"1\"",
            &format!(
                "version \"1\"\n  applies_to source in [{}] or sorce == \"x\"",
                list.join(", ")
            ),
            1,
        );
    let checked = handoff::Checked::from_bytes("long.handoff", src.as_bytes());
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.message.contains("sorce"))
        .expect("the typo is reported");
    let line = src.lines().nth(1).unwrap();
    let column = line[..line.find("sorce").unwrap()].chars().count() + 1;
    assert!(column > 65_536, "the label must be past column 65,535");
    assert_eq!(d.primary.span.start as usize, src.find("sorce").unwrap());
    use handoff::diag::render::{render, Format};
    let human = render(Format::Human, &checked.sources, &checked.diagnostics, false);
    assert!(
        human.contains(&format!("long.handoff:2:{column}")),
        "{human}"
    );
    assert!(human.contains(" 2 │ …"), "the line is elided: {human}");
    assert!(human.contains("\"src08999\"] or sorce"), "{human}");
    assert!(human.lines().all(|l| l.chars().count() < 400), "{human}");
    let short = render(Format::Short, &checked.sources, &checked.diagnostics, false);
    assert!(
        short.contains(&format!("long.handoff:2:{column}:")),
        "{short}"
    );
    for f in [Format::Json, Format::Sarif] {
        let doc: serde_json::Value =
            serde_json::from_str(&render(f, &checked.sources, &checked.diagnostics, false))
                .expect("a valid JSON document");
        assert!(doc.to_string().contains(&column.to_string()));
    }
    let github = render(
        Format::Github,
        &checked.sources,
        &checked.diagnostics,
        false,
    );
    assert!(github.contains(&format!("col={column}")), "{github}");
}

/// Whole-policy lints are not quadratic: a chain of 5,000 handoffs with a
/// loop back at its end, and 20,000 route rules of which the last repeats
/// an earlier one, are checked (each finding reported once, where the
/// loop closes and where the repeated rule stands).
#[test]
fn lints_over_thousands_of_stages_and_rules() {
    let n = 5_000;
    let stages: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    let mut src = format!(
        "policy \"P\" {{ version \"1\" }}\nlead {{ id: string  score: number? }}\nroles marketing, sdr\nstages {}\nqueue inbox\nsignal hot = score >= 1\n",
        stages.join(", ")
    );
    let handoff = |from: &str, to: &str, route: &str| {
        format!("handoff {from} -> {to} {{\n initiated_by marketing\n validated_by sdr\n owned_by sdr\n ready when hot\n route {{\n{route} otherwise -> queue inbox }}\n}}\n")
    };
    for w in stages.windows(2) {
        src.push_str(&handoff(&w[0], &w[1], ""));
    }
    let mut rules: String = (0..20_000)
        .map(|i| format!(" when score >= {i} and hot -> queue inbox\n"))
        .collect();
    rules.push_str(" when hot and score >= 7 -> queue inbox\n");
    src.push_str(&handoff(&stages[n - 1], &stages[0], &rules));
    let checked = handoff::Checked::from_bytes("big.handoff", src.as_bytes());
    let codes: Vec<(&str, usize)> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let line = src[..d.primary.span.start as usize].matches('\n').count() + 1;
            (d.code.as_str(), line)
        })
        .collect();
    let last_handoff = src.rfind("handoff s").unwrap();
    let loop_line = src[..last_handoff].matches('\n').count() + 1;
    let count = |code: &str| codes.iter().filter(|c| c.0 == code).count();
    assert_eq!(count("H501"), 1, "one report for the one loop");
    assert!(
        codes.contains(&("H501", loop_line)),
        "{:?}",
        &codes[..codes.len().min(5)]
    );
    let repeated = src.matches('\n').count() - 2;
    assert_eq!(count("H301"), 1, "one repeated rule");
    assert!(
        codes.contains(&("H301", repeated)),
        "{:?}",
        &codes[..codes.len().min(5)]
    );
}
