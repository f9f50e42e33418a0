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

    /// A mutated policy parsed in parts on threads gives what one parse
    /// gives: the same tree, spans and diagnostics, errors included.
    #[test]
    fn mutated_examples_parse_in_parts_as_whole(which in 0usize..3, edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..3, prop::sample::select(vec!['"', '{', '}', '(', ')', ',', '\n', '/', 's', ' ', '\\', '\u{201C}'])), 1..6)) {
        let src = mutate(which, edits);
        let file = handoff::span::FileId(0);
        let whole = handoff::syntax::parse_module_in(file, &src, 1);
        for parts in [2, 3] {
            let split = handoff::syntax::parse_module_in(file, &src, parts);
            prop_assert_eq!(format!("{:?}", split.module), format!("{:?}", whole.module));
            prop_assert_eq!(format!("{:?}", split.diagnostics), format!("{:?}", whole.diagnostics));
        }
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
    let checked = handoff::Checked::from_bytes("big.handoff", src.as_bytes());
    assert!(checked
        .diagnostics
        .iter()
        .all(|d| d.code.as_str() == "H111"));
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
