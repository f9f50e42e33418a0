//! The fast path (`Engine::evaluate_bytes`, a projecting streaming reader)
//! and the plain path (`parse_lead` into a `serde_json::Value`, then
//! `Engine::evaluate`, or `Engine::prepare` then `Engine::evaluate_prepared`)
//! must give identical decisions and identical errors.

use proptest::prelude::*;

/// The number of cases: `PROPTEST_CASES` when set (for long local runs),
/// else the default given.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
use serde_json::Value;

const NOW: &str = "2025-06-01T12:00:00Z";

fn engines() -> &'static [(String, handoff::eval::Engine)] {
    static ENGINES: std::sync::OnceLock<Vec<(String, handoff::eval::Engine)>> =
        std::sync::OnceLock::new();
    ENGINES.get_or_init(load_engines)
}

fn load_engines() -> Vec<(String, handoff::eval::Engine)> {
    let mut out = Vec::new();
    for name in ["inbound", "enterprise", "partner"] {
        let path = format!("examples/{name}/policy.handoff");
        let checked = handoff::Checked::from_file(std::path::Path::new(&path)).unwrap();
        out.push((name.to_string(), checked.compile().unwrap()));
    }
    out
}

fn both(engine: &handoff::eval::Engine, line: &[u8]) -> (String, String) {
    let now = NOW.parse().unwrap();
    let fast = match engine.evaluate_bytes(line, now) {
        Ok(d) => {
            // the hand-written writer gives serde_json's bytes exactly
            let serde = serde_json::to_string(&d).unwrap();
            let mut written = Vec::new();
            handoff::write::write_decision(&d, &mut written);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde,
                "write_decision differs from serde_json"
            );
            serde
        }
        Err(e) => format!("error {}: {}", e.kind, e.message),
    };
    let plain = match handoff::parse_lead(line) {
        Ok(obj) => {
            let plain = serde_json::to_string(&engine.evaluate(&obj, now)).unwrap();
            // a prepared lead decides the same, however often it is used
            let prepared = engine.prepare(&obj);
            for _ in 0..2 {
                let again = serde_json::to_string(&engine.evaluate_prepared(&prepared, now));
                assert_eq!(
                    again.unwrap(),
                    plain,
                    "evaluate_prepared differs from evaluate"
                );
            }
            plain
        }
        Err(e) => format!("error {}: {}", e.kind, e.message),
    };
    (fast, plain)
}

#[test]
fn explained_decisions_are_written_like_serde() {
    for name in ["inbound", "enterprise", "partner"] {
        let path = format!("examples/{name}/policy.handoff");
        let checked = handoff::Checked::from_file(std::path::Path::new(&path)).unwrap();
        let mut engine = checked.compile().unwrap();
        engine.explain = true;
        let text = std::fs::read(format!("examples/{name}/leads.ndjson")).unwrap();
        for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let (fast, plain) = both(&engine, line);
            assert_eq!(fast, plain);
        }
    }
}

/// Lists whose records sit between nulls, numbers and other values: with
/// explanations on, every element is printed in order, so a record read
/// into the wrong position would show.
#[test]
fn mixed_lists_of_records_agree_when_explained() {
    let checked =
        handoff::Checked::from_file(std::path::Path::new("examples/inbound/policy.handoff"))
            .unwrap();
    let mut engine = checked.compile().unwrap();
    engine.explain = true;
    let cases: &[&[u8]] = &[
        br#"{"id": "m1", "source": "web_form", "engagement": {"score": 50, "activities": [null, {"kind": "demo_request", "at": "2025-05-30T10:00:00Z"}, 3, {"kind": "pricing_page_view", "at": "2025-05-29T10:00:00Z"}, "x", {"kind": 7}]}}"#,
        br#"{"id": "m2", "source": "web_form", "engagement": {"activities": [{"kind": "a", "at": "2025-05-01T00:00:00Z"}, null, null, {"kind": "b"}]}}"#,
        br#"{"id": "m3", "source": "web_form", "engagement": {"activities": [[], {}, {"kind": "demo_request", "at": null, "extra": [1, {"kind": "no"}]}]}}"#,
        br#"{"id": "m4", "source": "web_form", "engagement": {"activities": [{"kind": "demo_request", "at": "2025-05-30T10:00:00Z"}, {"kind": "x", "at": "bad"}]}, "intent": [null, "pricing_research"]}"#,
    ];
    for case in cases {
        let (fast, plain) = both(&engine, case);
        assert!(fast.contains("\"reads\""), "explanations are on");
        assert_eq!(fast, plain, "{}", String::from_utf8_lossy(case));
    }
}

/// Lists inside records, records inside lists with lists of their own,
/// lists of lists: the fast reader keeps the lead's own lists in one shared
/// array and the others apart; with explanations on, every value read is
/// printed, and the packet carries two lists whole (as given, or rewritten
/// by serde_json when the text is not in its form).
#[test]
fn nested_lists_agree_when_explained() {
    const POLICY: &str = r#"policy "Nested lists" {
  version "1"
}

lead {
  id: string
  tags: list<string>
  matrix: list<list<number>>?
  contact {
    channels: list<string>?
    stage: enum("mql", "sal")
  }
  events: list<{ kind: string, labels: list<string>?, at: timestamp? }>
}

roles marketing, sdr
queue triage "Everything"
stages mql, sal tracked by contact.stage

signal tagged = any(tags, t -> t == "hot") "Tagged hot"
signal channelled = count(contact.channels) >= 2 "Two channels"
signal labelled = any(events, e -> any(e.labels, l -> l == "vip")) "A VIP label"
signal wide = any(matrix, row -> count(row) >= 3) "A wide row"
signal many_events = count(events) >= 2 "Several events"

handoff mql -> sal "Marketing to SDR" {
  initiated_by marketing
  validated_by sdr
  owned_by sdr
  ready when all { tagged, channelled, labelled, wide, many_events }
  require {
    tags "The tags"
    events "The events"
  }
  route { otherwise -> queue triage }
}"#;
    let mut engine = handoff::Checked::from_bytes("nested.handoff", POLICY.as_bytes())
        .compile()
        .unwrap();
    engine.explain = true;
    let cases: &[&[u8]] = &[
        br#"{"id":"n1","tags":["a","hot"],"matrix":[[1,2,3],[],null,[4]],"contact":{"channels":["email","phone"],"stage":"mql"},"events":[{"kind":"x","labels":["vip","b"],"at":"2025-05-01T00:00:00Z"},null,{"kind":"y","labels":[]},{"kind":"z"}]}"#,
        br#"{"id": "n2", "events": [ {"labels": ["vip"], "kind": "x"} ], "tags": [], "contact": {"stage": "mql", "channels": []}, "matrix": [[1, 2, 3]]}"#,
        br#"{"id":"n3","tags":["hot",null,7],"matrix":[[1,"x",null],{"a":1},[[1]]],"contact":{"channels":"email","stage":"sal"},"events":{"kind":"x"}}"#,
        br#"{"id":"n4","contact":null,"events":[[],{"labels":[["vip"]]},{"labels":"vip"}],"tags":null}"#,
        br#"{"id":"n5","tags":["\u0068ot"],"events":[{"kind":"a\"b","labels":["v\u0069p"]},{"kind":"c"}],"contact":{"stage":"mql","channels":["a","b"]},"matrix":[]}"#,
        // a read that stops inside the lead's lists (invalid JSON, then a
        // projected key given twice inside a list record), each followed by
        // a good lead: nothing of the stopped read may show in the next
        br#"{"id":"n6","tags":["hot","#,
        br#"{"id":"n7","tags":["hot"],"contact":{"stage":"mql","channels":["a","b"]},"events":[{"kind":"a","labels":["vip"]},{"kind":"b"}],"matrix":[[1,2,3]]}"#,
        br#"{"id":"n8","tags":["hot"],"events":[{"kind":"a","kind":"b","labels":["x"]}],"contact":{"stage":"mql"}}"#,
        br#"{"id":"n9","tags":["cold","hot"],"contact":{"stage":"mql","channels":["a","b","c"]},"events":[{"kind":"a","labels":["vip"]},{"kind":"b"}],"matrix":[[1,2,3]]}"#,
    ];
    let mut explained = 0;
    for case in cases {
        let (fast, plain) = both(&engine, case);
        explained += usize::from(fast.contains("\"reads\""));
        assert_eq!(fast, plain, "{}", String::from_utf8_lossy(case));
    }
    // leads without a stage are not judged, so nothing is read for them
    assert!(explained >= 3, "explanations are on");
}

#[test]
fn example_batches_agree() {
    for (name, engine) in engines() {
        let text = std::fs::read(format!("examples/{name}/leads.ndjson")).unwrap();
        for (i, line) in text.split(|b| *b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let (fast, plain) = both(engine, line);
            assert_eq!(fast, plain, "{name} line {}", i + 1);
        }
    }
}

/// A decision filled in place over the decision of the lead before
/// (`evaluate_bytes_reusing`, what a batch does) is the decision built
/// afresh: nothing of the earlier lead leaks in, whatever comes before it
/// (every policy reads every example batch, forwards and backwards, so
/// leads of other shapes and broken lines come in between), and a
/// decision taken out of the spare stays as it was.
#[test]
fn decisions_filled_in_place_are_the_fresh_ones() {
    let now = NOW.parse().unwrap();
    let texts: Vec<Vec<u8>> = ["inbound", "enterprise", "partner"]
        .iter()
        .map(|n| std::fs::read(format!("examples/{n}/leads.ndjson")).unwrap())
        .collect();
    let mut lines: Vec<&[u8]> = texts
        .iter()
        .flat_map(|t| t.split(|b| *b == b'\n'))
        .filter(|l| !l.is_empty())
        .collect();
    lines.push(b"{\"id\": \"broken\", ");
    lines.push(b"{\"id\": \"dup\", \"source\": \"web_form\", \"source\": \"event\"}");
    let forwards = lines.clone();
    lines.reverse();
    lines.extend(forwards);
    for (name, engine) in engines() {
        let mut spare = handoff::eval::Spare::default();
        let mut taken = Vec::new();
        let mut reused = 0;
        for (i, line) in lines.iter().enumerate() {
            let fresh = engine
                .evaluate_bytes(line, now)
                .map(|d| serde_json::to_string(&d).unwrap());
            match engine.evaluate_bytes_reusing(line, now, &mut spare) {
                Ok(d) => {
                    let json = serde_json::to_string(&*d).unwrap();
                    assert_eq!(Ok(&json), fresh.as_ref(), "{name} line {i}");
                    reused += 1;
                    if i % 7 == 0 {
                        taken.push((spare.take().unwrap(), json));
                    }
                }
                Err(e) => assert_eq!(fresh.map_err(|e| e.kind), Err(e.kind), "{name} line {i}"),
            }
        }
        assert!(reused > 10, "{name}: {reused}");
        for (d, json) in taken {
            assert_eq!(serde_json::to_string(&d).unwrap(), json);
        }
    }
}

#[test]
fn awkward_records_agree() {
    let (_, engine) = &engines()[0];
    let cases: &[&[u8]] = &[
        br#"{"id": "dup", "company": {"employees": 5}, "company": {"employees": 5000}}"#,
        br#"{"id": "dup2", "source": "web_form", "source": "event"}"#,
        br#"{"id": 42, "company": "Acme"}"#,
        br#"{"Id": "sf", "id": null, "engagement": [1, 2]}"#,
        br#"{"id": "l\u00e9ad \"1\"", "LeadId": "x", "source": "webinar"}"#,
        br#"{"LeadId": "only-this", "lead_id": -0.5e1, "source": "webinar"}"#,
        br#"{"id": "x", "engagement": {"activities": [null, 3, {"kind": 7}, {"kind": "demo_request", "at": "yesterday"}]}}"#,
        br#"{"id": "x"} trailing"#,
        br#"{"id": "x", "ignored": {"deep": [1, 2, {"a": tru}]}}"#,
        b"{\"id\": \"x\", \"ignored\": \"\\ud800\"}",
        br#"["not", "an", "object"]"#,
        br#"  {"id": "spaces"}  "#,
        br#"{"id": "big", "company": {"employees": 1e400}}"#,
        br#"{"id": "neg", "company": {"employees": -3}, "engagement": {"score": 55.5}}"#,
    ];
    for case in cases {
        let (fast, plain) = both(engine, case);
        assert_eq!(fast, plain, "{}", String::from_utf8_lossy(case));
    }
    let tricky: &[&str] = &[
        r#"{"co\u006dpany": {"employees": 5000}, "id": "escaped-key"}"#,
        r#"{"id": "x", "company": {"employees": 01}}"#,
        r#"{"id": "x", "company": {"employees": 1.}}"#,
        r#"{"id": "x", "company": {"employees": -}}"#,
        r#"{"id": "x", "company": {"employees": 1e}}"#,
        r#"{"id": "x", "company": {"employees": 1E+2}}"#,
        r#"{"id": "x", "company": {"employees": -0}}"#,
        r#"{"id": "x", "company": {"employees": 18446744073709551616}}"#,
        r#"{"id": "x", "company": {"employees": -9223372036854775809}}"#,
        r#"{"id": "x", "other": 1e400}"#,
        r#"{"id": "x", "other": 1e-400}"#,
        "{\"id\": \"x\", \"other\": \"tab\there\"}",
        "{\"id\": \"x\", \"source\": \"tab\there\"}",
        r#"{"id": "x", "other": "\x41"}"#,
        r#"{"id": "x", "other": "\udc00"}"#,
        r#"{"id": "x", "other": "\ud83d\ude00"}"#,
        r#"{"id": "x", "other": "\ud83d\u0041"}"#,
        r#"{"id": "x", "other": "\u00e9\u12G4"}"#,
        r#"{"id": "x", "source": "web\u005fform", "lifecycle": {"stage": "mql"}}"#,
        r#"{"id": "x",}"#,
        r#"{"id": "x" "source": "web_form"}"#,
        r#"{"id": "x", "": 1, "source": nul}"#,
        "{\"id\": \"x\",\r\n\t\"source\" : \"web_form\" }",
        r#"{"id": "x", "other": [1, 2,]}"#,
        r#"{"id": "x", "other": {"a" 1}}"#,
        r#"{"id": "x", "intent": ["pricing_research", 3, null, {"x": 1}]}"#,
        r#"{"id": ["not", "an", "id"], "Id": 7}"#,
        r#"{"id": 1.5e3}"#,
        r#"{}"#,
        r#"{"id": "x"}}"#,
        r#"{"id": "x", "engagement": {"activities": [{"kind": "demo_request", "kind": "call", "at": "2025-05-30T10:00:00Z"}]}}"#,
    ];
    for case in tricky {
        let (fast, plain) = both(engine, case.as_bytes());
        assert_eq!(fast, plain, "{case}");
    }
    for depth in [120usize, 125, 126, 127, 128, 129] {
        for key in ["x", "intent"] {
            let line = format!(
                "{{\"id\": \"d\", \"{key}\": {}{}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            );
            let (fast, plain) = both(engine, line.as_bytes());
            assert_eq!(fast, plain, "{key} at depth {depth}");
        }
    }
    let deep = format!(
        "{{\"id\": \"d\", \"x\": {}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let (fast, plain) = both(engine, deep.as_bytes());
    assert_eq!(fast, plain);
    assert!(fast.starts_with("error too_deep"), "{fast}");
}

/// Values the policy does not read are skipped in one loop over their
/// bytes (no recursion): every way a skipped container can be broken, or
/// nested at the depth limit with objects and lists mixed, is judged as a
/// full parse judges it.
#[test]
fn skipped_containers_are_validated_as_a_parse_validates_them() {
    let (_, engine) = &engines()[0];
    let skipped: &[&str] = &[
        "[]",
        "{}",
        "[[], {}, [{}], {\"a\": []}, {\"a\": {\"b\": [1, \"two\", null, true, false, -0.5e3]}}]",
        " [ 1 , [ 2 , { \"a\" : { } } ] ] ",
        "{\"a\":1,\"b\":[{\"c\":\"\\\"q\\\"\"},[]]}",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{\"a\":1,}",
        "{,\"a\":1}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{1:2}",
        "{\"a\":1 \"b\":2}",
        "[1}",
        "{\"a\":1]",
        "[{\"a\":[1]]}",
        "[{\"a\":[1}]]",
        "[[[]]",
        "[[]]]",
        "[\"open",
        "{\"a\":[1,2",
        "[tru]",
        "[nul]",
        "[01]",
        "[\"bad \\x escape\"]",
        "{\"k\\u00e9y\": [\"\\ud83d\\ude00\"]}",
        "{\"\\ud800\": 1}",
    ];
    // the first five and the last but one are valid JSON (a lone
    // surrogate in a key is not)
    for (i, value) in skipped.iter().enumerate() {
        let line = format!("{{\"id\": \"s\", \"not_read\": {value}, \"source\": \"event\"}}");
        let (fast, plain) = both(engine, line.as_bytes());
        assert_eq!(fast, plain, "{line}");
        let valid = i < 5 || i == skipped.len() - 2;
        assert_eq!(!fast.starts_with("error"), valid, "{line}: {fast}");
    }
    // objects and lists taking turns down to the limit and past it
    for depth in [1usize, 2, 63, 64, 65, 126, 127, 128, 200] {
        let (mut open, mut close) = (String::new(), String::new());
        for level in 0..depth {
            if level % 2 == 0 {
                open.push_str("{\"k\": ");
                close.insert(0, '}');
            } else {
                open.push('[');
                close.insert(0, ']');
            }
        }
        let line = format!("{{\"id\": \"d\", \"not_read\": {open}1{close}}}");
        let (fast, plain) = both(engine, line.as_bytes());
        assert_eq!(fast, plain, "mixed nesting {depth} deep");
    }
}

/// How [`write_shaped`] writes a record.
#[derive(Clone, Copy)]
struct Shape {
    /// Shuffles the keys of every object (0: as they are, sorted).
    seed: u64,
    /// `"key" : value` instead of `"key":value`.
    spaced: bool,
    /// The first key of every object written with a `\u` escape.
    escaped: bool,
    /// The first key of every object given again, last, with `null`.
    repeated: bool,
}

/// Writes `v` as JSON text with its objects' keys in the order and form
/// `shape` asks for.
fn write_shaped(v: &Value, shape: Shape, rng: &mut u64, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            if shape.seed != 0 {
                for i in (1..keys.len()).rev() {
                    *rng = rng
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    keys.swap(i, (*rng >> 33) as usize % (i + 1));
                }
            }
            out.push('{');
            for (n, k) in keys.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let mut key = serde_json::to_string(k).unwrap();
                if shape.escaped && n == 0 && k.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    key = format!("\"\\u{:04x}{}", k.as_bytes()[0], &key[2..]);
                }
                out.push_str(&key);
                out.push_str(if shape.spaced { " : " } else { ":" });
                write_shaped(&map[k.as_str()], shape, rng, out);
            }
            if let (true, Some(k)) = (shape.repeated, keys.first()) {
                out.push_str(&format!(",{}:null", serde_json::to_string(k).unwrap()));
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_shaped(item, shape, rng, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The reader remembers the order keys came in at each level and checks
/// the next key against it first (`scan::Shapes`). Whatever order it has
/// learned from the records before, a record decides as the `Value` path
/// decides it: keys shuffled, absent, added, spaced, escaped, repeated,
/// near twins of a known key, and more keys than it remembers, in one
/// sequence per engine and with the engines taking turns.
#[test]
fn key_orders_learned_from_earlier_records_do_not_change_decisions() {
    let mut lines: Vec<String> = Vec::new();
    for name in ["inbound", "enterprise", "partner"] {
        let text = std::fs::read_to_string(format!("examples/{name}/leads.ndjson")).unwrap();
        for (i, line) in text.lines().take(24).enumerate() {
            lines.push(line.to_string());
            let v: Value = serde_json::from_str(line).unwrap();
            let mut rng = i as u64;
            let plain = Shape {
                seed: 0,
                spaced: false,
                escaped: false,
                repeated: false,
            };
            for shape in [
                plain,
                Shape { seed: 1, ..plain },
                Shape { seed: 2, ..plain },
                Shape {
                    spaced: true,
                    ..plain
                },
                Shape {
                    escaped: true,
                    ..plain
                },
                Shape {
                    repeated: true,
                    ..plain
                },
                Shape {
                    seed: 3,
                    repeated: true,
                    ..plain
                },
                plain,
            ] {
                let mut out = String::new();
                write_shaped(&v, shape, &mut rng, &mut out);
                lines.push(out);
            }
            // a key of the same length, first and last eight bytes as
            // `last_activity_at`, in its place; then one absent
            lines.push(line.replace("\"last_activity_at\"", "\"last_acZZZity_at\""));
            lines.push(line.replace("\"last_activity_at\"", "\"last_activity_au\""));
            lines.push(line.replacen("\"source\":", "\"unknown\":1,\"source\":", 1));
            lines.push(line.replacen("\"source\":", "\"sourcf\":", 1));
        }
    }
    // more keys than a level remembers, and keys longer than it keeps
    let many: String = (0..80).map(|k| format!("\"k{k}\":{k},")).collect();
    let long = format!("\"{}\":1,", "x".repeat(90));
    lines.push(format!(
        "{{{many}{long}\"id\":\"many\",\"source\":\"webinar\"}}"
    ));
    lines.push(format!("{{{long}\"id\":\"long\",\"source\":\"web_form\",{many}\"lifecycle\":{{\"stage\":\"mql\"}}}}"));
    lines.push(format!("{{\"source\":\"event\",{many}\"id\":\"many2\"}}"));
    let check = |engine: &handoff::eval::Engine, name: &str, i: usize, line: &str| {
        let (fast, plain) = both(engine, line.as_bytes());
        assert_eq!(fast, plain, "{name}, line {i}: {line}");
    };
    for (name, engine) in engines() {
        for (i, line) in lines.iter().enumerate() {
            check(engine, name, i, line);
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let (name, engine) = &engines()[i % 3];
        check(engine, name, i, line);
    }
}

/// Two engines on one thread: the key order one engine's reader learned
/// is not taken for the other's, whose projection numbers the same keys
/// differently.
#[test]
fn engines_taking_turns_on_one_thread_keep_their_own_key_orders() {
    let lean = std::fs::read_to_string("bench/lean.handoff").unwrap();
    // the same policy reading more fields, in another order
    let wider = lean
        .replace(
            "lead {\n",
            "lead {\n  engagement {\n    score: int?\n  }\n  company {\n    region: string?\n  }\n",
        )
        .replace(
            "ready when source == \"web_form\"",
            "ready when engagement.score >= 50 and company.region == \"EMEA\" and source == \"web_form\"",
        );
    assert_ne!(lean, wider);
    let compile = |name: &str, text: &str| {
        let checked = handoff::Checked::from_bytes(name, text.as_bytes());
        checked
            .compile()
            .unwrap_or_else(|| panic!("{name} does not compile"))
    };
    let (a, b) = (compile("lean", &lean), compile("wider", &wider));
    let text = std::fs::read_to_string("examples/inbound/leads.ndjson").unwrap();
    let mut agreed = 0;
    for (i, line) in text.lines().take(60).enumerate() {
        for (name, engine) in [("lean", &a), ("wider", &b), ("lean", &a)] {
            let (fast, plain) = both(engine, line.as_bytes());
            assert_eq!(fast, plain, "{name}, line {}", i + 1);
            agreed += 1;
        }
    }
    assert_eq!(agreed, 180);
}

/// A mutation of one field of a record.
#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Null,
    Replace(Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Remove),
        Just(Mutation::Null),
        any::<i64>().prop_map(|n| Mutation::Replace(n.into())),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Mutation::Replace(f.into())),
        any::<bool>().prop_map(|b| Mutation::Replace(b.into())),
        "[a-zA-Z0-9 @._-]{0,12}".prop_map(|s| Mutation::Replace(s.into())),
        Just(Mutation::Replace(serde_json::json!(["x", 1, null]))),
        Just(Mutation::Replace(
            serde_json::json!({"kind": "demo_request", "at": "2025-05-30T10:00:00Z"})
        )),
        Just(Mutation::Replace("N/A".into())),
        Just(Mutation::Replace("2025-05-30T10:00:00Z".into())),
    ]
}

/// Every path to a value inside `v`.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            prefix.push(k.clone());
            out.push(prefix.clone());
            paths(child, prefix, out);
            prefix.pop();
        }
    }
}

fn apply(v: &mut Value, path: &[String], m: &Mutation) {
    let (last, init) = path.split_last().unwrap();
    let mut cur = v;
    for k in init {
        cur = match cur.get_mut(k) {
            Some(c) => c,
            None => return,
        };
    }
    if let Value::Object(obj) = cur {
        match m {
            Mutation::Remove => {
                obj.remove(last);
            }
            Mutation::Null => {
                obj.insert(last.clone(), Value::Null);
            }
            Mutation::Replace(x) => {
                obj.insert(last.clone(), x.clone());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), .. ProptestConfig::default() })]

    #[test]
    fn corrupted_bytes_agree(
        pick in any::<prop::sample::Index>(),
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..3, prop::sample::select(b"\"\\{}[]:,0123456789-+.eEtfnu \t\x01a\xc3\xa9".to_vec())), 1..4),
    ) {
        let (name, engine) = &engines()[which];
        let text = std::fs::read(format!("examples/{name}/leads.ndjson")).unwrap();
        let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
        let mut line = lines[pick.index(lines.len())].to_vec();
        for (at, op, byte) in edits {
            let i = at.index(line.len());
            match op {
                0 => { line.remove(i); }
                1 => line.insert(i, byte),
                _ => line[i] = byte,
            }
        }
        let (fast, plain) = both(engine, &line);
        prop_assert_eq!(fast, plain);
    }

    #[test]
    fn mutated_leads_agree(
        pick in any::<prop::sample::Index>(),
        which in 0usize..3,
        muts in proptest::collection::vec((any::<prop::sample::Index>(), mutation()), 1..6),
        cut in proptest::option::weighted(0.15, any::<prop::sample::Index>()),
    ) {
        let (name, engine) = &engines()[which];
        let text = std::fs::read_to_string(format!("examples/{name}/leads.ndjson")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut lead: Value = serde_json::from_str(lines[pick.index(lines.len())]).unwrap();
        for (at, m) in &muts {
            let mut all = Vec::new();
            paths(&lead, &mut Vec::new(), &mut all);
            if all.is_empty() { break; }
            let path = all[at.index(all.len())].clone();
            apply(&mut lead, &path, m);
        }
        let mut line = serde_json::to_string(&lead).unwrap().into_bytes();
        if let Some(c) = cut {
            // a malformed record: cut it somewhere
            line.truncate(c.index(line.len()));
        }
        let (fast, plain) = both(engine, &line);
        prop_assert_eq!(fast, plain);
    }
}

/// The writer starts each decision with text it made once: the policy's
/// name, version and hash when the policy is compiled, the time of
/// evaluation when it last wrote it. A policy without a version, a name
/// that needs escaping and times that change from one decision to the next
/// on one thread still give serde_json's bytes.
#[test]
fn the_text_every_decision_starts_with_follows_the_policy_and_the_time() {
    let bare = handoff::Checked::from_bytes(
        "bare.handoff",
        "policy \"Quotes \\\"here\\\" and ünïcode\" {\n  owner \"ops@example.com\"\n}\n\
         lead {\n  id: string\n  score: number?\n}\n\
         signal hot = score >= 50 \"Hot\"\n\
         roles marketing, sdr\nstages mql, sal\nqueue inbox\n\
         handoff mql -> sal {\n  initiated_by marketing\n  validated_by sdr\n  owned_by sdr\n  \
         ready when hot\n  route { otherwise -> queue inbox }\n}\n"
            .as_bytes(),
    )
    .compile()
    .expect("the policy compiles");
    let engines = engines();
    let times = [
        "2025-06-01T12:00:00Z",
        "2025-06-01T12:00:00Z",
        "2025-06-01T12:00:01Z",
        "2025-06-01T12:00:00.5Z",
        "1969-12-31T23:59:59Z",
        "2025-06-01T12:00:00Z",
    ];
    let mut seen = std::collections::HashSet::new();
    for (i, t) in times.iter().enumerate() {
        let now: jiff::Timestamp = t.parse().unwrap();
        let engine = if i % 2 == 0 { &bare } else { &engines[0].1 };
        let d = engine
            .evaluate_bytes(br#"{"id":"l1","score":70}"#, now)
            .unwrap();
        let mut written = Vec::new();
        handoff::write::write_decision(&d, &mut written);
        let written = String::from_utf8(written).unwrap();
        assert_eq!(written, serde_json::to_string(&d).unwrap(), "at {t}");
        let v: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(v["evaluated_at"], Value::String(now.to_string()), "at {t}");
        seen.insert(v["policy"]["version"].clone());
    }
    assert!(
        seen.contains(&Value::Null),
        "the bare policy has no version"
    );
    assert_eq!(seen.len(), 2);
}

/// A Salesforce export that did not select `Id` still names its leads:
/// `attributes.referenceId` (sObject Tree files), else the record id that
/// ends `attributes.url` (REST API results). Both readers agree on every
/// form: escapes, duplicates (the last wins), values of the wrong kind,
/// URLs that are not Salesforce's, and an id key, which comes first.
#[test]
fn salesforce_records_without_an_id_key_are_named_by_their_attributes() {
    let cases: &[(&str, Option<&str>)] = &[
        (
            r#"{"attributes":{"type":"Lead","referenceId":"LeadRef1"},"Company":"A"}"#,
            Some("LeadRef1"),
        ),
        (
            r#"{"Company":"A","attributes":{"referenceId":12}}"#,
            Some("12"),
        ),
        (
            r#"{"attributes":{"type":"Lead","url":"/services/data/v59.0/sobjects/Lead/00Q8c00001XyZab"}}"#,
            Some("00Q8c00001XyZab"),
        ),
        (
            r#"{"attributes":{"url":"/services/data/v59.0/sobjects/Lead/00Q\u0031"}}"#,
            Some("00Q1"),
        ),
        (r#"{"attributes":{"refer\u0065nceId":"Esc"}}"#, Some("Esc")),
        (
            r#"{"attributes":{"referenceId":"R","url":"/x/sobjects/Lead/U"}}"#,
            Some("R"),
        ),
        (
            r#"{"attributes":{"referenceId":null,"url":"/x/sobjects/Lead/U"}}"#,
            Some("U"),
        ),
        (
            r#"{"attributes":{"referenceId":"R","referenceId":null}}"#,
            None,
        ),
        (
            r#"{"attributes":{"referenceId":"A"},"attributes":{"type":"Lead"}}"#,
            None,
        ),
        (
            r#"{"attributes":{"type":"Lead"},"attributes":{"referenceId":"B"}}"#,
            Some("B"),
        ),
        (r#"{"attributes":{"url":"https://example.com/page"}}"#, None),
        (r#"{"attributes":{"url":"/x/sobjects/Lead/"}}"#, None),
        (
            r#"{"attributes":{"url":["/x/sobjects/Lead/L"],"referenceId":{"a":1}}}"#,
            None,
        ),
        (r#"{"attributes":"LeadRef1"}"#, None),
        (r#"{"attributes":{}}"#, None),
        (r#"{"nested":{"attributes":{"referenceId":"deep"}}}"#, None),
        (
            r#"{"attributes":{"referenceId":"R"},"Id":"00QREAL"}"#,
            Some("00QREAL"),
        ),
        (r#"{"Id":null,"attributes":{"referenceId":"R"}}"#, Some("R")),
    ];
    // a policy that reads `attributes` itself (the fast reader hands such a
    // record to the Value path) names the leads the same way
    let reads_attributes = handoff::Checked::from_bytes(
        "attributes.handoff",
        b"policy \"Reads attributes\" {\n  owner \"ops@example.com\"\n}\n\
          lead {\n  attributes { type: string?, referenceId: string? }?\n  Company: string?\n}\n\
          signal is_lead = attributes.type == \"Lead\" \"A Lead record\"\n\
          roles marketing, sdr\nstages mql, sal\nqueue inbox\n\
          handoff mql -> sal {\n  initiated_by marketing\n  validated_by sdr\n  owned_by sdr\n  \
          ready when is_lead\n  route { otherwise -> queue inbox }\n}\n",
    )
    .compile()
    .expect("the policy compiles");
    let all = engines()
        .iter()
        .map(|(_, e)| e)
        .chain(std::iter::once(&reads_attributes));
    for engine in all {
        for (line, want) in cases {
            let (fast, plain) = both(engine, line.as_bytes());
            assert_eq!(fast, plain, "{line}");
            let d: Value = serde_json::from_str(&fast).unwrap_or_else(|_| panic!("{fast}"));
            assert_eq!(d["lead_id"].as_str(), *want, "{line}");
        }
    }
    // the real exports, record by record, with the policy written for them
    let checked =
        handoff::Checked::from_file(std::path::Path::new("examples/salesforce/policy.handoff"))
            .unwrap();
    let engine = checked.compile().unwrap();
    for file in ["export-devorg.json", "export-easyspaces.json"] {
        let doc: Value =
            serde_json::from_slice(&std::fs::read(format!("examples/salesforce/{file}")).unwrap())
                .unwrap();
        for (i, record) in doc["records"].as_array().unwrap().iter().enumerate() {
            let (fast, plain) = both(&engine, serde_json::to_string(record).unwrap().as_bytes());
            assert_eq!(fast, plain, "{file} record {i}");
            let d: Value = serde_json::from_str(&fast).unwrap();
            assert_eq!(d["lead_id"], format!("LeadRef{}", i + 1));
        }
    }
}
