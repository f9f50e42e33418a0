//! Evaluation tests: decisions for every example lead, explanations,
//! semantics of missing values and time, and the batch CLI on broken input.

use std::io::Write;
use std::process::{Command, Stdio};

use handoff::decision::Verdict;
use handoff::Checked;

mod common;
use common::run_cli;

const NOW: &str = "2025-06-01T12:00:00Z";

fn now() -> jiff::Timestamp {
    NOW.parse().unwrap()
}

fn engine(policy: &str) -> handoff::eval::Engine {
    let checked = Checked::from_file(std::path::Path::new(policy)).unwrap();
    checked
        .compile()
        .unwrap_or_else(|| panic!("{policy} does not compile: {:?}", checked.diagnostics))
}

fn engine_from(src: &str) -> handoff::eval::Engine {
    let checked = Checked::from_bytes("test.handoff", src.as_bytes());
    let rendered = handoff::diag::render::render_short(&checked.sources, &checked.diagnostics);
    checked
        .compile()
        .unwrap_or_else(|| panic!("does not compile:\n{rendered}"))
}

fn lead(json: &str) -> serde_json::Map<String, serde_json::Value> {
    handoff::parse_lead(json.as_bytes()).unwrap()
}

#[test]
fn decisions_for_example_leads() {
    insta::glob!("..", "examples/*/lead*.json", |path| {
        let policy = path.parent().unwrap().join("policy.handoff");
        let e = engine(policy.to_str().unwrap());
        let obj = handoff::parse_lead(&std::fs::read(path).unwrap()).unwrap();
        let d = e.evaluate(&obj, now());
        insta::assert_json_snapshot!(d);
    });
}

#[test]
fn explanations_for_example_leads() {
    insta::glob!("..", "examples/inbound/lead*.json", |path| {
        let mut e = engine("examples/inbound/policy.handoff");
        e.explain = true;
        let obj = handoff::parse_lead(&std::fs::read(path).unwrap()).unwrap();
        let d = e.evaluate(&obj, now());
        insta::assert_snapshot!(handoff::explain::explain(&e, &obj, &d, now()));
    });
}

#[test]
fn the_inbound_examples_reach_the_expected_verdicts() {
    let e = engine("examples/inbound/policy.handoff");
    for (file, verdict) in [
        ("lead-ready.json", Verdict::Handoff),
        ("lead-hold.json", Verdict::Hold),
        ("lead-blocked.json", Verdict::Blocked),
    ] {
        let obj = handoff::parse_lead(&std::fs::read(format!("examples/inbound/{file}")).unwrap())
            .unwrap();
        assert_eq!(e.evaluate(&obj, now()).verdict, verdict, "{file}");
    }
}

const MINI: &str = r#"
policy "mini" { version "1" }
lead {
  id: string
  stage: enum("new", "ready")
  score: number?
  region: enum("EMEA", "NA")?
  seen_at: timestamp?
  handed_at: timestamp?
  contacted_at: timestamp?
  consent_email: bool?
  notes: string?
  treat "N/A" as missing
}
roles mkt, sdr, mgr
stages new, ready tracked by stage
queue inbox
calendar office { timezone "Europe/Berlin" mon-fri 10:00-18:00 }
signal hot = score >= 50 "hot"
signal not_hot = not hot
signal emea = region == "EMEA"
handoff new -> ready {
  initiated_by mkt
  validated_by sdr
  owned_by sdr
  ready when all { hot, present(notes) }
  consent { email requires consent_email }
  route {
    when emea -> queue inbox
    when not_hot -> queue inbox
    otherwise -> owner "sdr.x"
  }
  escalate {
    after 10h business hours of office since handed_at unless contacted_at -> notify mgr "late"
    after 3d since handed_at -> notify mgr
  }
}
"#;

/// The lean policy bench/run.sh measures the reader with checks clean and
/// decides the generator's records: web forms in the first stage hand off,
/// other sources wait, leads past the first stage have no handoff.
#[test]
fn the_lean_bench_policy_decides_generated_records() {
    let e = engine("bench/lean.handoff");
    let text = std::fs::read("examples/inbound/leads.ndjson").unwrap();
    let mut verdicts = std::collections::BTreeSet::new();
    for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let d = e.evaluate_bytes(line, now()).unwrap();
        let obj = lead(std::str::from_utf8(line).unwrap());
        let source = obj.get("source").and_then(|s| s.as_str());
        let stage = obj
            .get("lifecycle")
            .and_then(|l| l.get("stage"))
            .and_then(|s| s.as_str());
        let expected = match (source, stage) {
            (Some("list_import") | None, _) => "out_of_scope",
            (Some("web_form"), Some("mql")) => "handoff",
            _ => "hold",
        };
        assert_eq!(
            d.verdict.as_str(),
            expected,
            "{}",
            d.lead_id.unwrap_or_default()
        );
        verdicts.insert(expected);
    }
    assert_eq!(
        verdicts.len(),
        3,
        "the examples reach every verdict: {verdicts:?}"
    );
}

/// bench/eight.handoff is the hand-written reference program of
/// bench/reference/src/main.rs (`ndjson-baseline eight`) written as a policy:
/// bench/run.sh compares the two, so they must decide alike. The rules are
/// recomputed here from each record the way that program does.
#[test]
fn the_eight_field_bench_policy_decides_as_the_reference_program() {
    let e = engine("bench/eight.handoff");
    let text = std::fs::read("examples/inbound/leads.ndjson").unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let d = e.evaluate_bytes(line, now()).unwrap();
        let obj = lead(std::str::from_utf8(line).unwrap());
        let at = |path: &str| {
            path.split('.')
                .try_fold(&serde_json::Value::Object(obj.clone()), |v, k| v.get(k))
                .cloned()
                .unwrap_or_default()
        };
        let engaged = at("engagement.score").as_f64().is_some_and(|s| s >= 40.0);
        let recent = at("engagement.last_activity_at")
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .is_some_and(|t| now().duration_since(t).as_secs() <= 14 * 86_400);
        let in_scope = matches!(
            at("source").as_str(),
            Some("web_form" | "webinar" | "chat" | "event" | "partner")
        );
        let expected = if !in_scope {
            "out_of_scope"
        } else if at("lifecycle.stage").as_str() != Some("mql") {
            "hold"
        } else if engaged && recent && at("consent.email") == serde_json::json!(true) {
            "handoff"
        } else {
            "hold"
        };
        let id = d.lead_id.clone().unwrap_or_default();
        assert_eq!(d.verdict.as_str(), expected, "{id}");
        let fit = 25 * u8::from(at("company.employees").as_i64().is_some_and(|n| n >= 1000))
            + 10 * u8::from(at("company.region").as_str() == Some("EMEA"))
            + 10 * u8::from(matches!(
                at("context.buying_timeline").as_str(),
                Some("immediate" | "this_quarter")
            ));
        let json = serde_json::to_value(&d).unwrap();
        // a lead out of scope is not scored
        let score = if in_scope {
            serde_json::json!(fit)
        } else {
            serde_json::Value::Null
        };
        assert_eq!(json["scores"]["fit"], score, "{id}");
        if expected == "handoff" {
            let queue = if fit >= 10 { "priority" } else { "triage" };
            assert_eq!(json["route"]["target"]["name"], queue, "{id}");
        }
        seen.insert((expected, fit >= 10));
    }
    assert_eq!(
        seen.len(),
        6,
        "the examples reach every verdict and route: {seen:?}"
    );
}

#[test]
fn missing_values_are_not_met_and_say_so() {
    let e = engine_from(MINI);
    let d = e.evaluate(&lead(r#"{"id":"a","stage":"new","notes":"N/A"}"#), now());
    assert_eq!(d.verdict, Verdict::Hold);
    assert_eq!(
        d.signals["hot"].value, None,
        "a comparison on a missing field is unknown"
    );
    assert_eq!(
        d.signals["not_hot"].value, None,
        "`not` keeps unknown unknown"
    );
    let unmet = &d.stages[0].unmet;
    assert!(unmet.iter().any(|u| u.result == "missing"), "{unmet:?}");
    // the route explains the missing field rather than treating it as false
    let r = d.route.unwrap();
    assert_eq!(r.target.name, "sdr.x");
    assert_eq!(r.tried[0].result, "missing");
    assert_eq!(r.tried[1].result, "missing");
}

#[test]
fn wrong_types_become_schema_issues_not_failures() {
    let e = engine_from(MINI);
    let d = e.evaluate(
        &lead(r#"{"id":"a","stage":"new","score":"80","region":"Emea","seen_at":"yesterday"}"#),
        now(),
    );
    let fields: Vec<&str> = d.schema_issues.iter().map(|i| i.field.as_str()).collect();
    assert!(
        fields.contains(&"score") && fields.contains(&"region"),
        "{fields:?}"
    );
    assert_eq!(d.signals["hot"].value, None);
}

#[test]
fn ready_leads_hand_off_and_consent_is_reported() {
    let e = engine_from(MINI);
    let d = e.evaluate(&lead(r#"{"id":"a","stage":"new","score":80,"notes":"asked for pricing","region":"NA","consent_email":false}"#), now());
    assert_eq!(d.verdict, Verdict::Handoff, "{:?}", d.reasons);
    assert_eq!(d.consent.blocked_channels[0].channel, "email");
    assert_eq!(d.consent.blocked_channels[0].found, "false");
}

#[test]
fn business_hours_escalations_follow_the_worked_example() {
    let e = engine_from(MINI);
    // Wednesday 15:00 Berlin (13:00 UTC) + 10 business hours of 10:00-18:00 -> Thursday 17:00 Berlin
    let d = e.evaluate(
        &lead(r#"{"id":"a","stage":"new","handed_at":"2025-06-04T13:00:00Z"}"#),
        "2025-06-04T14:00:00Z".parse().unwrap(),
    );
    assert_eq!(
        d.escalations[0].due_at.map(|t| t.to_string()).as_deref(),
        Some("2025-06-05T15:00:00Z")
    );
    assert_eq!(d.escalations[0].status, "pending");
    assert_eq!(d.next_escalation.as_ref().unwrap().step, 1);
    // Wednesday 20:00 Berlin -> Friday 12:00 Berlin
    let d = e.evaluate(
        &lead(r#"{"id":"a","stage":"new","handed_at":"2025-06-04T18:00:00Z"}"#),
        "2025-06-09T00:00:00Z".parse().unwrap(),
    );
    assert_eq!(
        d.escalations[0].due_at.map(|t| t.to_string()).as_deref(),
        Some("2025-06-06T10:00:00Z")
    );
    assert_eq!(d.escalations[0].status, "overdue");
    // first contact stops the step; a missing clock has not started
    let d = e.evaluate(&lead(r#"{"id":"a","stage":"new","handed_at":"2025-06-04T18:00:00Z","contacted_at":"2025-06-05T09:00:00Z"}"#), now());
    assert_eq!(d.escalations[0].status, "stopped");
    let d = e.evaluate(&lead(r#"{"id":"a","stage":"new"}"#), now());
    assert_eq!(d.escalations[0].status, "not_started");
}

#[test]
fn out_of_scope_and_unknown_stage() {
    let e = engine("examples/inbound/policy.handoff");
    let d = e.evaluate(
        &lead(r#"{"id":"x","source":"list_import","lifecycle":{"stage":"mql"}}"#),
        now(),
    );
    assert_eq!(d.verdict, Verdict::OutOfScope);
    let d = e.evaluate(
        &lead(r#"{"id":"x","source":"web_form","lifecycle":{"stage":"recycled"}}"#),
        now(),
    );
    assert_eq!(d.verdict, Verdict::Hold);
    assert!(d.reasons[0].as_str().contains("recycled"));
}

#[test]
fn a_broken_batch_answers_for_every_line_in_order() {
    let good = std::fs::read_to_string("examples/inbound/lead-ready.json").unwrap();
    let good: serde_json::Value = serde_json::from_str(&good).unwrap();
    let good = good.to_string();
    let mut input: Vec<u8> = Vec::new();
    let mut push = |line: &[u8]| {
        input.extend_from_slice(line);
        input.push(b'\n');
    };
    push(good.as_bytes());
    push(br#"{"id": "broken", "source": "web_form", "#);
    push(b"[1, 2, 3]");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    push(deep.as_bytes());
    let big = format!(
        r#"{{"id":"big","notes":"{}"}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    push(big.as_bytes());
    push(b"{\"id\": \"bad\xff\xfeutf8\"}");
    push(b"");
    push(good.as_bytes());
    let (code, out, err) = run_cli(
        &[
            "eval",
            "examples/inbound/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
            "--jobs",
            "2",
        ],
        &input,
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        8,
        "one output line per input line; stderr: {err}"
    );
    assert_eq!(code, 3, "records with errors give exit code 3");
    assert_eq!(lines[0]["verdict"], "handoff");
    assert_eq!(lines[7]["verdict"], "handoff");
    let kinds: Vec<&str> = lines[1..7]
        .iter()
        .map(|l| l["error"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "invalid_json",
            "not_an_object",
            "too_deep",
            "too_large",
            "invalid_utf8",
            "empty_line"
        ]
    );
    assert_eq!(lines[1]["error"]["line"], 2);
    assert_eq!(lines[1]["error"]["lead_id"], "broken");
    assert!(err.contains("6 record(s) could not be evaluated"), "{err}");
}

/// The decisions for a JSON document's records are those of the same
/// records given as NDJSON, in order; a record that is not a lead becomes
/// an error record naming the line it starts on and its position.
#[test]
fn a_crm_export_document_is_read_record_by_record() {
    const POLICY: &str = "examples/enterprise/policy.handoff";
    const DOC: &str = "tests/fixtures/leads/enterprise-export.json";
    let text = std::fs::read_to_string(DOC).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let records = doc["records"].as_array().unwrap();
    let ndjson: String = records
        .iter()
        .map(|r| format!("{}\n", serde_json::to_string(r).unwrap()))
        .collect();
    let (code, from_lines, _) = run_cli(
        &["eval", POLICY, "--leads", "-", "--now", NOW],
        ndjson.as_bytes(),
    );
    assert_eq!(code, 3, "one record is a string");
    let (code, from_doc, err) = run_cli(&["eval", POLICY, "--leads", DOC, "--now", NOW], b"");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("5 lead(s)"), "{err}");
    let from_lines: Vec<&str> = from_lines.lines().collect();
    let from_doc: Vec<&str> = from_doc.lines().collect();
    assert_eq!(from_doc.len(), records.len());
    for (i, (a, b)) in from_lines.iter().zip(&from_doc).enumerate() {
        if records[i].is_string() {
            let e: serde_json::Value = serde_json::from_str(b).unwrap();
            let line = text
                .lines()
                .position(|l| l.trim() == "\"not a lead\",")
                .unwrap()
                + 1;
            assert_eq!(e["error"]["line"], line, "{b}");
            assert_eq!(e["error"]["record"], i + 1, "{b}");
            assert_eq!(e["error"]["kind"], "not_an_object", "{b}");
        } else {
            assert_eq!(a, b, "record {}", i + 1);
        }
    }
    // the same from standard input, and as a bare array on one line
    let (code, piped, _) = run_cli(
        &["eval", POLICY, "--leads", "-", "--now", NOW],
        text.as_bytes(),
    );
    assert_eq!(
        (code, piped.lines().collect::<Vec<_>>()),
        (3, from_doc.clone())
    );
    let array = serde_json::to_string(records).unwrap();
    let (code, arrayed, _) = run_cli(
        &["eval", POLICY, "--leads", "-", "--now", NOW],
        array.as_bytes(),
    );
    assert_eq!(code, 3);
    let arrayed: Vec<&str> = arrayed.lines().collect();
    assert_eq!(arrayed.len(), records.len());
    assert_eq!(arrayed[0], from_doc[0]);
    let e: serde_json::Value = serde_json::from_str(arrayed[2]).unwrap();
    assert_eq!(
        (&e["error"]["line"], &e["error"]["record"]),
        (&1.into(), &3.into()),
        "{e}"
    );
}

/// A document that is not valid JSON: forced, one message with the line
/// and column and exit 2; guessed, a note with the place, then every line
/// answered as NDJSON (nothing lost). Several leads given to `--lead` are
/// pointed to `handoff eval --leads`.
#[test]
fn broken_documents_and_misplaced_exports_say_where_and_what_to_do() {
    const POLICY: &str = "examples/enterprise/policy.handoff";
    let eval = |extra: &[&str], input: &str| {
        let mut args = vec!["eval", POLICY, "--leads", "-", "--now", NOW];
        args.extend_from_slice(extra);
        run_cli(&args, input.as_bytes())
    };
    // a broken record inside a document is an error record in its place,
    // with its line and number; the records around it are decided
    let broken = "{\n  \"records\": [\n    {\"Id\": \"a\"},\n    {\"Id\": \"b\",},\n    {\"Id\": \"c\"}\n  ]\n}\n";
    for extra in [&["--leads-format", "json"][..], &[]] {
        let (code, out, err) = eval(extra, broken);
        assert_eq!(code, 3, "{err}");
        let answers: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(answers.len(), 3, "{out}");
        assert_eq!(answers[0]["lead_id"], "a");
        assert_eq!(answers[1]["error"]["line"], 4, "{out}");
        assert_eq!(answers[1]["error"]["record"], 2, "{out}");
        assert_eq!(answers[1]["error"]["lead_id"], "b", "{out}");
        assert_eq!(answers[2]["lead_id"], "c");
    }
    // broken structure between records: said where, and what was expected;
    // the records after it are still decided
    let (code, out, _) = eval(&[], "[{\"Id\": \"a\"}\n  oops {\"Id\": \"b\"}]\n");
    assert_eq!(code, 3);
    let answers: Vec<&str> = out.lines().collect();
    assert_eq!(answers.len(), 3, "{out}");
    assert!(
        answers[1].contains("\"line\":2") && answers[1].contains("expected `,` or `]`"),
        "{out}"
    );
    assert!(answers[2].contains("\"lead_id\":\"b\""), "{out}");
    // NDJSON whose first line looks like the start of a document: every
    // good line still gets its decision
    let lead = "{\"Id\": \"L1\", \"LastName\": \"A\", \"Company\": \"C\", \"Status\": \"Open - Not Contacted\"}";
    for first in ["[1,2]", "{", "[broken", "{\"records\": []}", ""] {
        let input = format!("{first}\n{lead}\n{lead}\n");
        let (_, out, err) = eval(&[], &input);
        let answers: Vec<&str> = out.lines().collect();
        let decided = answers
            .iter()
            .filter(|l| l.contains("\"lead_id\":\"L1\""))
            .count();
        assert_eq!(decided, 2, "first line {first:?}: {out}\n{err}");
    }
    let tree =
        "{\"records\": [{\"Id\": \"a\"}, {\"Id\": \"b\"}], \"totalSize\": 2, \"done\": true}";
    for cmd in ["eval", "explain"] {
        let (code, out, err) =
            run_cli(&[cmd, POLICY, "--lead", "-", "--now", NOW], tree.as_bytes());
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(out.is_empty());
        assert!(err.contains("a CRM export with 2 lead record(s)"), "{err}");
        assert!(err.contains("handoff eval POLICY --leads -"), "{err}");
    }
    let (code, _, err) = run_cli(
        &["eval", POLICY, "--lead", "-", "--now", NOW],
        b"[{}, {}, 3]",
    );
    assert_eq!(code, 2);
    assert!(err.contains("a JSON array of 3 value(s)"), "{err}");
    // a truncated array is an invalid lead, not "several leads"
    let (code, _, err) = run_cli(&["eval", POLICY, "--lead", "-", "--now", NOW], b"[1, 2");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("invalid JSON"), "{err}");
    // a one-line export object is a document too; a lead that merely has
    // a `records` field beside its own fields is a lead
    let (code, out, _) = eval(&[], tree);
    assert_eq!((code, out.lines().count()), (0, 2), "{out}");
    let one = "{\"Id\": \"x\", \"records\": [{\"Id\": \"a\"}]}\n";
    let (code, out, _) = eval(&[], one);
    assert_eq!((code, out.lines().count()), (0, 1), "{out}");
    assert!(out.contains("\"lead_id\":\"x\""), "{out}");
    // `--leads-format` only goes with `--leads`
    let (code, _, err) = run_cli(
        &[
            "eval",
            POLICY,
            "--lead",
            "-",
            "--leads-format",
            "json",
            "--now",
            NOW,
        ],
        b"{}",
    );
    assert_eq!(code, 2, "{err}");
}

/// Documents as tools write them: `jq .` (objects one after another), the
/// Salesforce CLI (`{"status": 0, "result": {...}}`), a page of a longer
/// export (a note says so), a wrapper this reader does not know (one lead,
/// and a note on how to give the list).
#[test]
fn documents_as_tools_write_them() {
    const POLICY: &str = "examples/enterprise/policy.handoff";
    let text = std::fs::read_to_string("examples/enterprise/leads.ndjson").unwrap();
    let lines: Vec<&str> = text.lines().take(3).collect();
    let values: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (_, expected, _) = run_cli(
        &["eval", POLICY, "--leads", "-", "--now", NOW],
        (lines.join("\n") + "\n").as_bytes(),
    );
    let pretty_stream: String = values
        .iter()
        .map(|v| serde_json::to_string_pretty(v).unwrap() + "\n")
        .collect();
    let sf_cli = serde_json::to_string_pretty(&serde_json::json!({
        "status": 0,
        "result": {"records": values, "totalSize": 3, "done": true},
        "warnings": []
    }))
    .unwrap();
    for doc in [&pretty_stream, &sf_cli] {
        let (code, out, err) = run_cli(
            &["eval", POLICY, "--leads", "-", "--now", NOW],
            doc.as_bytes(),
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, expected);
        assert!(!err.contains("note:"), "{err}");
    }
    let page = serde_json::to_string(&serde_json::json!({
        "totalSize": 300, "done": false, "nextRecordsUrl": "/services/data/v60.0/query/01g-2000",
        "records": values
    }))
    .unwrap();
    let (code, out, err) = run_cli(
        &["eval", POLICY, "--leads", "-", "--now", NOW],
        page.as_bytes(),
    );
    assert_eq!((code, out.clone()), (0, expected.clone()), "{err}");
    assert!(
        err.contains("note: the export says it holds one page"),
        "{err}"
    );
    let unknown =
        serde_json::to_string_pretty(&serde_json::json!({"ok": true, "data": {"records": values}}))
            .unwrap();
    let (code, out, err) = run_cli(
        &["eval", POLICY, "--leads", "-", "--now", NOW],
        unknown.as_bytes(),
    );
    assert_eq!((code, out.lines().count()), (0, 1), "{err}");
    assert!(err.contains("`data.records` holds 3 objects"), "{err}");
    assert!(err.contains("jq -c '.data.records[]'"), "{err}");
    // a record too deep says where in the document, not in the record
    let deep = format!(
        "[\n  {{\"Id\": \"d\",\n   \"x\": {}{}}}\n]\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    let (code, out, _) = run_cli(
        &["eval", POLICY, "--leads", "-", "--now", NOW],
        deep.as_bytes(),
    );
    assert_eq!(code, 3);
    let e: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(e["error"]["kind"], "too_deep", "{e}");
    assert_eq!(e["error"]["line"], 2, "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("(line 3, column"), "{message}");
}

#[test]
fn batch_output_is_the_same_with_one_or_two_jobs() {
    let input = std::fs::read("examples/inbound/leads.ndjson").unwrap();
    let (c1, one, _) = run_cli(
        &[
            "eval",
            "examples/inbound/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
            "--jobs",
            "1",
        ],
        &input,
    );
    let (c2, two, _) = run_cli(
        &[
            "eval",
            "examples/inbound/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
            "--jobs",
            "2",
        ],
        &input,
    );
    assert_eq!(c1, c2);
    assert_eq!(one, two);
    assert_eq!(
        one.lines().count(),
        input
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count()
    );
}

/// Several megabytes, so the batch spans many chunks: the same bytes out
/// from a file and from a pipe, with one, two or three jobs, and error
/// records that name their own line.
#[test]
fn batch_output_is_the_same_across_chunks_jobs_and_inputs() {
    let leads = std::fs::read("examples/inbound/leads.ndjson").unwrap();
    let mut input = Vec::new();
    let mut broken_lines = Vec::new();
    let mut line = 0;
    while input.len() < 3 << 20 {
        for l in leads.split_inclusive(|b| *b == b'\n') {
            input.extend_from_slice(l);
            line += 1;
            if line % 997 == 0 {
                input.extend_from_slice(b"{\"id\": \"cut\", \"source\":\n");
                line += 1;
                broken_lines.push(line);
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("handoff-chunks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("leads.ndjson");
    std::fs::write(&file, &input).unwrap();
    let run = |source: &str, jobs: &str| {
        let stdin: &[u8] = if source == "-" { &input } else { b"" };
        run_cli(
            &[
                "eval",
                "examples/inbound/policy.handoff",
                "--leads",
                source,
                "--now",
                NOW,
                "--jobs",
                jobs,
            ],
            stdin,
        )
    };
    let (code, reference, _) = run(file.to_str().unwrap(), "1");
    assert_eq!(code, 3, "the cut lines are record errors");
    assert_eq!(reference.lines().count(), line);
    let errors: Vec<u64> = reference
        .lines()
        .filter(|l| l.starts_with("{\"error\""))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["error"]["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let expected: Vec<u64> = broken_lines.iter().map(|l| *l as u64).collect();
    assert_eq!(errors, expected, "each error record names its input line");
    for (source, jobs) in [
        (file.to_str().unwrap(), "2"),
        (file.to_str().unwrap(), "3"),
        ("-", "1"),
        ("-", "2"),
    ] {
        let (c, out, _) = run(source, jobs);
        assert_eq!(c, 3);
        assert!(
            out == reference,
            "--leads {source} --jobs {jobs} differs from one job over the file"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A program that writes a lead and waits for its decision gets it while
/// the pipe is still open.
#[test]
fn a_pipe_gets_each_answer_before_the_input_ends() {
    for jobs in ["1", "2"] {
        answers_while_open(jobs);
    }
}

fn answers_while_open(jobs: &str) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args([
            "eval",
            "examples/inbound/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
            "--jobs",
            jobs,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let timeout = std::time::Duration::from_secs(20);
    for id in ["first", "second"] {
        writeln!(stdin, r#"{{"id": "{id}", "source": "list_import"}}"#).unwrap();
        stdin.flush().unwrap();
        let answer = rx
            .recv_timeout(timeout)
            .expect("an answer while the input is open");
        let d: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(d["lead_id"], id);
        assert_eq!(d["verdict"], "out_of_scope");
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
}

#[test]
fn check_exit_codes() {
    assert_eq!(
        run_cli(&["check", "examples/inbound/policy.handoff"], b"").0,
        0
    );
    assert_eq!(
        run_cli(&["check", "tests/fixtures/multi-error.handoff"], b"").0,
        1
    );
    let (code, _, err) = run_cli(&["check", "no/such/file.handoff"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no/such/file.handoff"), "{err}");
    assert_eq!(run_cli(&["check", "-"], b"signal x = ").0, 1);
    let (code, out, _) = run_cli(&["explain-code", "H101"], b"");
    assert_eq!(code, 0);
    assert!(out.contains("unknown-field"));
}

#[test]
fn a_consent_condition_that_is_missing_still_requires_consent() {
    let src = MINI.replace(
        "consent { email requires consent_email }",
        "consent { email requires consent_email when region == \"EMEA\" }",
    );
    let e = engine_from(&src);
    let blocked = |json: &str| {
        let d = e.evaluate(&lead(json), now());
        d.consent
            .blocked_channels
            .iter()
            .map(|b| b.channel.as_str().to_string())
            .collect::<Vec<_>>()
    };
    // region unknown: err on the side of privacy
    assert_eq!(blocked(r#"{"id":"a","stage":"new"}"#), ["email"]);
    assert_eq!(
        blocked(r#"{"id":"a","stage":"new","region":"EMEA"}"#),
        ["email"]
    );
    // definitely not EMEA: the requirement is lifted
    assert!(blocked(r#"{"id":"a","stage":"new","region":"NA"}"#).is_empty());
    assert!(blocked(r#"{"id":"a","stage":"new","region":"EMEA","consent_email":true}"#).is_empty());
}

const PRIVATE: &str = r#"
policy "private" { version "1" }
lead {
  id: string
  stage: enum("new", "ready")
  industry: string?
  contact { email: email?, name: string? }
  budget { amount: number, currency: string }?
  tags: list<string>?
  treat "", "N/A" as missing
  treat "Other" as missing in industry
  pii contact.email visible to ae
}
roles mkt, sdr, ae
stages new, ready tracked by stage
queue inbox
signal tagged = any(["vip", "partner"], t -> t in tags) "Tagged VIP or partner"
signal small = budget.amount < 10000
handoff new -> ready {
  initiated_by mkt
  validated_by sdr
  owned_by ae
  ready when all { present(industry), tagged }
  require { contact "Who", budget "Budget" }
  route {
    when small -> queue inbox
    otherwise -> queue inbox
  }
}
"#;

#[test]
fn placeholders_of_a_field_add_to_the_global_ones() {
    let e = engine_from(PRIVATE);
    for industry in ["N/A", "Other", " n/a "] {
        let d = e.evaluate(
            &lead(&format!(
                r#"{{"id":"a","stage":"new","industry":"{industry}","tags":["vip"]}}"#
            )),
            now(),
        );
        assert!(!d.stages[0].ready, "{industry} must read as missing");
    }
    let d = e.evaluate(
        &lead(r#"{"id":"a","stage":"new","industry":"Retail","tags":["vip"]}"#),
        now(),
    );
    assert!(d.stages[0].ready, "{:?}", d.stages[0].unmet);
}

#[test]
fn lambdas_over_list_literals_and_built_lists_evaluate() {
    let e = engine_from(PRIVATE);
    let d = e.evaluate(
        &lead(r#"{"id":"a","stage":"new","tags":["partner"]}"#),
        now(),
    );
    assert_eq!(d.signals["tagged"].value, Some(true));
    let d = e.evaluate(&lead(r#"{"id":"a","stage":"new","tags":["other"]}"#), now());
    assert_eq!(d.signals["tagged"].value, Some(false));
}

#[test]
fn personal_data_inside_a_required_record_is_masked_and_records_travel_whole() {
    // the owner `ae` may see contact.email: the record travels whole
    let e = engine_from(PRIVATE);
    let d = e.evaluate(&lead(r#"{"id":"a","stage":"new","contact":{"email":"x@y.com","name":"X"},"budget":{"amount":5000,"currency":"EUR"}}"#), now());
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["packet"]["fields"][0]["value"]["email"], "x@y.com");
    assert_eq!(
        json["packet"]["fields"][1]["value"],
        serde_json::json!({"amount": 5000, "currency": "EUR"})
    );
    // owned by `sdr`, who may not see the email: the checker refuses to send the record
    let checked = Checked::from_bytes(
        "p.handoff",
        PRIVATE.replace("owned_by ae", "owned_by sdr").as_bytes(),
    );
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "H601"),
        "{:?}",
        checked.diagnostics
    );
}

#[test]
fn distribution_follows_input_order_and_capacity() {
    let dir = std::env::temp_dir().join(format!("handoff-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    std::fs::write(&state, r#"{"pool_cursor": 1, "ae_load": {"x": 9, "y": 8}}"#).unwrap();
    let mut input = String::new();
    // five small ready leads, one small lead on hold, then four big ones
    for i in 0..5 {
        input.push_str(&format!(
            "{{\"id\":\"s{i}\",\"stage\":\"new\",\"size\":\"small\",\"ready\":true}}\n"
        ));
    }
    input.push_str("{\"id\":\"h\",\"stage\":\"new\",\"size\":\"small\",\"ready\":false}\n");
    for i in 0..4 {
        input.push_str(&format!(
            "{{\"id\":\"b{i}\",\"stage\":\"new\",\"size\":\"big\",\"ready\":true}}\n"
        ));
    }
    let args = [
        "eval",
        "tests/fixtures/eval/distribution.handoff",
        "--leads",
        "-",
        "--now",
        NOW,
        "--state",
        state.to_str().unwrap(),
        "--jobs",
        "2",
    ];
    let (code, out, err) = run_cli(&args, input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let members: Vec<&str> = lines
        .iter()
        .map(|l| l["route"]["member"].as_str().unwrap_or("-"))
        .collect();
    // round robin from cursor 1: b c a b c; the lead on hold shows who is next (a) without taking a turn
    assert_eq!(&members[..6], ["b", "c", "a", "b", "c", "a"]);
    // least loaded: y (8/10), then x and y at 9/10 (x first), y, then both full
    assert_eq!(&members[6..], ["y", "x", "y", "-"]);
    assert_eq!(lines[9]["route"]["at_capacity"], true);
    assert_eq!(lines[9]["verdict"], "review");
    // a cursor at the end of the whole numbers goes on in the rotation:
    // from 2^64 - 2 (c, as 2^64 - 2 = 2 mod 3) five turns lead to b
    std::fs::write(&state, r#"{"pool_cursor": 18446744073709551614}"#).unwrap();
    let after = dir.join("after.json");
    let mut with_out = args.to_vec();
    with_out.extend(["--state-out", after.to_str().unwrap()]);
    let five: String = input.lines().take(5).map(|l| format!("{l}\n")).collect();
    let (code, out, err) = run_cli(&with_out, five.as_bytes());
    assert_eq!(code, 0, "{err}");
    let members = |out: &str| -> Vec<String> {
        out.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|l| l["route"]["member"].as_str().unwrap_or("-").to_string())
            .collect()
    };
    assert_eq!(members(&out), ["c", "a", "b", "c", "a"]);
    std::fs::copy(&after, &state).unwrap();
    let (code, out, err) = run_cli(&args, five.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert_eq!(members(&out), ["b", "c", "a", "b", "c"]);
    // a state value of the wrong shape is refused with a message
    std::fs::write(&state, r#"{"pool_cursor": "1"}"#).unwrap();
    let (code, _, err) = run_cli(&args, input.as_bytes());
    assert_eq!(code, 2);
    assert!(err.contains("pool_cursor"), "{err}");
}

#[test]
fn io_problems_and_odd_files_are_reported_not_lost() {
    // a byte-order mark before the first record is fine
    let good = std::fs::read_to_string("examples/inbound/lead-ready.json").unwrap();
    let good: serde_json::Value = serde_json::from_str(&good).unwrap();
    let line = format!("\u{feff}{good}\n");
    let (code, out, _) = run_cli(
        &[
            "eval",
            "examples/inbound/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
        ],
        line.as_bytes(),
    );
    assert_eq!(code, 0);
    assert!(out.contains("\"verdict\":\"handoff\""));
    // `check` reports an unreadable file and still checks the others
    let (code, out, err) = run_cli(
        &[
            "check",
            "no/such.handoff",
            "tests/fixtures/multi-error.handoff",
            "--format",
            "short",
        ],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    // the short form carries the failure in its own stream, as a line
    assert!(out.contains("no/such.handoff: error: cannot read"), "{out}");
    assert!(out.contains("multi-error.handoff"), "{out}");
    // output that cannot be written is an I/O error (exit 2), not a success
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let status = Command::new(env!("CARGO_BIN_EXE_handoff"))
            .args([
                "eval",
                "examples/inbound/policy.handoff",
                "--leads",
                "examples/inbound/leads.ndjson",
                "--now",
                NOW,
            ])
            .stdout(full)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2));
    }
}

/// Conditions follow Kleene's three-valued logic: every connective, on
/// every combination of true, false and missing, through both readers;
/// and a score point or a quality flag needs a condition that is true.
#[test]
fn conditions_follow_three_valued_logic_on_every_combination() {
    let src = r#"
policy "Logic" {}
lead {
  id: string
  a: bool?
  b: bool?
  n: int?
  tags: list<string>?
  items: list<{ ok: bool? }>?
}
signal s_not = not a
signal s_and = a and b
signal s_or = a or b
signal s_all = all { a, b }
signal s_any = any { a, b }
signal s_two = at least 2 of { a, b, n >= 1 }
signal s_cmp = n >= 1
signal s_in = "x" in tags
signal s_present = present(a)
signal s_some = any(items, i -> i.ok)
signal s_every = all(items, i -> i.ok)
signal s_nested = not (a and not b) or (n > 5)
score points "Points" {
  points 10 when a and b
  points 1 per count(items, i -> i.ok)
}
roles marketing, sdr
stages mql, sal
queue inbox
handoff mql -> sal {
  initiated_by marketing
  validated_by sdr
  owned_by sdr
  ready when s_and
  route { otherwise -> queue inbox }
}
"#;
    let e = engine_from(src);
    type T = Option<bool>;
    let not = |x: T| x.map(|v| !v);
    let and = |x: T, y: T| match (x, y) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    };
    let or = |x: T, y: T| match (x, y) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    };
    let json = |x: T| match x {
        Some(v) => v.to_string(),
        None => "null".into(),
    };
    let values = [Some(true), Some(false), None];
    let mut checked = 0;
    for a in values {
        for b in values {
            for n in [Some(0), Some(3), Some(9), None] {
                let c: T = n.map(|n| n >= 1);
                let line = format!(
                    r#"{{"id":"l","a":{},"b":{},"n":{},"tags":["y","x"],"items":[{{"ok":{}}},{{"ok":{}}}]}}"#,
                    json(a),
                    json(b),
                    n.map_or("null".into(), |n| n.to_string()),
                    json(a),
                    json(b),
                );
                let count = |x: T, y: T| [x, y].iter().filter(|v| **v == Some(true)).count() as f64;
                let yes = [a, b, c].iter().filter(|v| **v == Some(true)).count();
                let unknown = [a, b, c].iter().filter(|v| v.is_none()).count();
                let two = if yes >= 2 {
                    Some(true)
                } else if yes + unknown >= 2 {
                    None
                } else {
                    Some(false)
                };
                let expected: [(&str, T); 12] = [
                    ("s_not", not(a)),
                    ("s_and", and(a, b)),
                    ("s_or", or(a, b)),
                    ("s_all", and(a, b)),
                    ("s_any", or(a, b)),
                    ("s_two", two),
                    ("s_cmp", c),
                    ("s_in", Some(true)),
                    ("s_present", Some(a.is_some())),
                    ("s_some", or(a, b)),
                    ("s_every", and(a, b)),
                    ("s_nested", or(not(and(a, not(b))), n.map(|n| n > 5))),
                ];
                let fast = e.evaluate_bytes(line.as_bytes(), now()).unwrap();
                let plain = e.evaluate(&lead(&line), now());
                for d in [&fast, &plain] {
                    for (name, want) in expected {
                        assert_eq!(d.signals[name].value, want, "{name} on {line}");
                        checked += 1;
                    }
                    let points = 10.0 * f64::from(u8::from(and(a, b) == Some(true))) + count(a, b);
                    assert_eq!(d.scores["points"].0, points, "points on {line}");
                }
            }
        }
    }
    assert_eq!(checked, 3 * 3 * 4 * 12 * 2);
}

/// Members of round-robin and least-loaded teams are given in input order
/// whatever the number of jobs: with several, the writer fills in the
/// member each worker left open, or takes the at-capacity form the worker
/// wrote beside it. The same bytes and the same summary as one job, compact,
/// pretty and explained, for every example policy with a state file, and for a
/// least-loaded team one of whose members has no capacity (never full).
#[test]
fn distribution_is_in_input_order_on_any_number_of_jobs() {
    let dir = std::env::temp_dir().join(format!("handoff-turns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    std::fs::write(
        &state,
        r#"{"sdr_pool_cursor": 2, "ae_open_opportunities": {"ae.carla": 12, "ae.dan": 3},
            "strategic_ae_open_accounts": {"ae.rachel.moss": 4},
            "enterprise_emea_open_accounts": {}, "enterprise_na_open_accounts": {"ae.ben.schmidt": 15}}"#,
    )
    .unwrap();
    let inbound = std::fs::read_to_string("examples/inbound/policy.handoff").unwrap();
    let roomy = inbound.replace(
        r#""ae.carla" capacity 30, "ae.dan" capacity 30"#,
        r#""ae.carla" capacity 30, "ae.dan""#,
    );
    assert_ne!(
        roomy, inbound,
        "the example's team changed: update this test"
    );
    let roomy_policy = dir.join("roomy.handoff");
    std::fs::write(&roomy_policy, roomy).unwrap();
    let roomy_policy = roomy_policy.to_str().unwrap().to_string();
    let cases = [
        ("examples/inbound/policy.handoff", "inbound", true),
        ("examples/enterprise/policy.handoff", "enterprise", true),
        ("examples/partner/policy.handoff", "partner", false),
        (roomy_policy.as_str(), "inbound", false),
    ];
    for (policy, example, fills) in cases {
        // several chunks of the example's leads
        let leads = std::fs::read(format!("examples/{example}/leads.ndjson")).unwrap();
        let mut input = Vec::new();
        while input.len() < 5 << 19 {
            input.extend_from_slice(&leads);
        }
        let file = dir.join(format!("{example}.ndjson"));
        std::fs::write(&file, &input).unwrap();
        for mode in ["compact", "--pretty", "--explain"] {
            let run = |jobs: &str| {
                let mut args = vec![
                    "eval",
                    policy,
                    "--leads",
                    file.to_str().unwrap(),
                    "--now",
                    NOW,
                    "--state",
                    state.to_str().unwrap(),
                    "--jobs",
                    jobs,
                ];
                if mode != "compact" {
                    args.push(mode);
                }
                run_cli(&args, b"")
            };
            let (code, reference, summary) = run("1");
            assert!(code == 0 || code == 2, "{policy}: exit {code}: {summary}");
            let compact = reference.replace([' ', '\n'], "");
            assert!(
                compact.contains("\"member\":\""),
                "{policy}: no member was assigned"
            );
            assert_eq!(
                compact.contains("\"at_capacity\":true"),
                fills,
                "{policy}: a team that can fill up should, over this many leads"
            );
            for jobs in ["2", "3"] {
                let (c, out, s) = run(jobs);
                assert_eq!(c, code, "{policy} --jobs {jobs}");
                assert!(
                    out == reference,
                    "{policy} --jobs {jobs} ({mode}) differs from one job"
                );
                assert_eq!(s, summary, "{policy} --jobs {jobs}: the summary differs");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Real Salesforce exports, evaluated as they come out of the org: sObject
/// Tree documents whose records have no `Id`, so each decision is named by
/// the record's `attributes.referenceId`, in order, with one answer per
/// record; a broken record in a batch is named the same way.
#[test]
fn salesforce_exports_are_evaluated_whole_and_named_by_their_references() {
    for (file, records, handoffs) in [
        ("examples/salesforce/export-devorg.json", 22, 10),
        ("examples/salesforce/export-easyspaces.json", 11, 2),
    ] {
        let (code, out, err) = run_cli(
            &[
                "eval",
                "examples/salesforce/policy.handoff",
                "--leads",
                file,
                "--now",
                NOW,
            ],
            b"",
        );
        assert_eq!(code, 0, "{file}: {err}");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), records, "{file}");
        for (i, d) in lines.iter().enumerate() {
            assert_eq!(d["lead_id"], format!("LeadRef{}", i + 1), "{file}");
            assert_eq!(d["schema_issues"], serde_json::json!([]), "{file}: {d}");
        }
        let n = lines.iter().filter(|d| d["verdict"] == "handoff").count();
        assert_eq!(n, handoffs, "{file}");
    }
    let input = b"{\"attributes\":{\"type\":\"Lead\",\"referenceId\":\"LeadRef9\"},\"Company\":\n";
    let (code, out, _) = run_cli(
        &[
            "eval",
            "examples/salesforce/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
        ],
        input,
    );
    assert_eq!(code, 3);
    let e: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(e["error"]["lead_id"], "LeadRef9", "{out}");
}

/// `format email` and the `email` field type make one test: a string the
/// type refuses (a schema issue) is exactly one the format calls
/// `bad_format`.
#[test]
fn format_email_and_the_email_type_agree() {
    let src = r#"
policy "Emails" { version "1" }
lead { id: string  typed: email?  plain: string? }
roles marketing, sdr
stages mql, sal
queue inbox
signal has_typed = present(typed)
handoff mql -> sal {
  initiated_by marketing
  validated_by sdr
  owned_by sdr
  ready when has_typed or not has_typed
  require { plain format email "An email" }
  route { otherwise -> queue inbox }
}
"#;
    let e = engine_from(src);
    let samples = [
        "ana@acme.com",
        "a@b.c",
        "ana@acme",
        "@acme.com",
        "ana@.acme.com",
        "ana@acme.com.",
        "ana@@acme.com",
        "an a@acme.com",
        "ana@ac me.com",
        "ana\u{a0}x@acme.com",
        "é@ü.de",
        "ana@acme..com",
        "a@b.c\n",
        ".@a.b",
    ];
    // (a blank string is `missing` to a requirement before any format)
    for s in samples {
        let lead = serde_json::json!({ "id": "l", "typed": s, "plain": s }).to_string();
        let d = e.evaluate_bytes(lead.as_bytes(), now()).unwrap();
        let json = serde_json::to_value(&d).unwrap();
        let type_refuses = json["schema_issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["field"] == "typed");
        let format_refuses = json["missing_context"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["field"] == "plain" && m["problem"] == "bad_format");
        assert_eq!(type_refuses, format_refuses, "{s:?}: {json}");
    }
}

/// A small policy whose handoff names its gates and steps, says how
/// missing context is treated, and declares an exact placeholder.
fn authoring_policy(missing_context: &str) -> String {
    format!(
        r#"
policy "Names" {{ version "1" }}
lead {{
  id: string
  score: number?
  title: string?
  reason: string?
  handed_off_at: timestamp?
  contacted_at: timestamp?
  updated_at: timestamp?
  treat "TBD" as missing exactly in title
  treat "n/a" as missing in reason
}}
roles marketing, sdr, sdr_manager
stages mql, sal
queue inbox
signal engaged = score >= 40
handoff mql -> sal {{
  initiated_by marketing
  validated_by sdr
  owned_by sdr
  ready when engaged and any {{
    present(title)
    score >= 90
  }}
  require {{ reason "Why they raised their hand" }}
  {missing_context}
  quality {{
    stale: review "Contact data is stale" when since(updated_at) > 30d
    review "Contact data is stale" when since(updated_at) > 60d
  }}
  escalate {{
    first_call: after 4h since handed_off_at unless contacted_at
      -> notify sdr_manager "No first call", reassign queue inbox
    after 1d since handed_off_at -> notify sdr_manager
  }}
  route {{ otherwise -> queue inbox }}
}}
"#
    )
}

#[test]
fn gates_and_steps_have_names_and_actions_are_data() {
    let e = engine_from(&authoring_policy(""));
    let d = e.evaluate(
        &lead(
            r#"{"id": "a", "score": 50, "title": "CFO", "reason": "pricing",
                  "handed_off_at": "2025-06-01T06:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}"#,
        ),
        now(),
    );
    let json = serde_json::to_value(&d).unwrap();
    // a given name, then one made from the message
    let names: Vec<&str> = json["quality"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stale", "contact_data_is_stale"]);
    let steps = json["escalations"].as_array().unwrap();
    assert_eq!(steps[0]["name"], "first_call");
    assert_eq!(steps[1]["name"], "after_1d");
    assert_eq!(steps[0]["status"], "overdue");
    assert_eq!(
        steps[0]["action_items"],
        serde_json::json!([
            {"kind": "notify", "role": "sdr_manager", "target": null, "message": "No first call"},
            {"kind": "reassign", "role": null, "target": {"kind": "queue", "name": "inbox"}, "message": null}
        ])
    );
    // the hand-written writer says the same
    let mut written = Vec::new();
    handoff::write::write_decision(&d, &mut written);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&written).unwrap(),
        json
    );
}

#[test]
fn unmet_block_conditions_keep_their_members_apart() {
    let e = engine_from(&authoring_policy(""));
    let d = e.evaluate(&lead(r#"{"id": "a", "score": 50}"#), now());
    let unmet = &d.stages[0].unmet;
    let texts: Vec<String> = unmet.iter().map(|u| u.condition.to_string()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t == "engaged and any { present(title), score >= 90 }"),
        "{texts:?}"
    );
}

#[test]
fn missing_context_is_reviewed_unless_the_handoff_holds_it() {
    let ready = r#"{"id": "a", "score": 50, "title": "CFO", "reason": " N/A "}"#;
    let review = engine_from(&authoring_policy(""));
    assert_eq!(
        review.evaluate(&lead(ready), now()).verdict,
        Verdict::Review
    );
    let said = engine_from(&authoring_policy("missing_context review"));
    assert_eq!(said.evaluate(&lead(ready), now()).verdict, Verdict::Review);
    let hold = engine_from(&authoring_policy("missing_context hold"));
    let d = hold.evaluate(&lead(ready), now());
    assert_eq!(d.verdict, Verdict::Hold);
    assert!(d
        .reasons
        .iter()
        .any(|r| r.to_string().starts_with("missing context")));
    // with the context there, the hold lifts
    let complete = r#"{"id": "a", "score": 50, "title": "CFO", "reason": "pricing page"}"#;
    assert_eq!(
        hold.evaluate(&lead(complete), now()).verdict,
        Verdict::Handoff
    );
}

#[test]
fn exact_placeholders_match_only_as_written() {
    let e = engine_from(&authoring_policy(""));
    // `TBD` is missing exactly as written: the title no longer makes the
    // lead ready; `tbd` is a title like any other
    let tbd = e.evaluate(&lead(r#"{"id": "a", "score": 50, "title": "TBD"}"#), now());
    assert_eq!(tbd.verdict, Verdict::Hold);
    let lower = e.evaluate(
        &lead(r#"{"id": "a", "score": 50, "title": "tbd", "reason": "x"}"#),
        now(),
    );
    assert_eq!(lower.verdict, Verdict::Handoff);
}

#[test]
fn explain_shows_business_hours_due_times_in_the_calendars_zone() {
    let mut e = engine("examples/inbound/policy.handoff");
    e.explain = true;
    let obj =
        handoff::parse_lead(&std::fs::read("examples/inbound/lead-ready.json").unwrap()).unwrap();
    let mut obj = obj;
    obj["lifecycle"]["handed_off_at"] = serde_json::json!("2025-05-30T08:00:00Z");
    if let Some(l) = obj["lifecycle"].as_object_mut() {
        l.remove("first_contact_at");
    }
    let d = e.evaluate(&obj, now());
    let text = handoff::explain::explain(&e, &obj, &d, now());
    // Friday 08:00 UTC is 10:00 in Berlin; four open hours later is 14:00
    // there, 12:00 UTC
    assert!(
        text.contains("due 2025-05-30T12:00:00Z (Fri 2025-05-30 14:00 Europe/Berlin)"),
        "{text}"
    );
}

#[test]
fn route_rule_texts_keep_block_members_apart() {
    let src = authoring_policy("").replace(
        "route { otherwise -> queue inbox }",
        "route {\n    when any {\n      score >= 95 // hot\n      engaged\n    } -> queue inbox\n    otherwise -> queue inbox\n  }",
    );
    let e = engine_from(&src);
    let d = e.evaluate(
        &lead(r#"{"id": "a", "score": 50, "title": "CFO", "reason": "x"}"#),
        now(),
    );
    let route = d.route.expect("routed");
    assert_eq!(
        route.condition.to_string(),
        "when any { score >= 95, engaged } -> queue inbox"
    );
}

/// A record broken in the middle of a JSON document, its records one a
/// line: an error record for it, and every other record answered, by
/// `eval`, `metrics` and `diff` alike (they read documents alike).
#[test]
fn a_broken_record_in_a_document_loses_no_other_record() {
    const POLICY: &str = "examples/inbound/policy.handoff";
    for bad in [
        "{\"id\": \"bad\", \"name\": \"x}",
        "{\"id\": \"bad\", \"tags\": [\"x\"}",
        "{\"id\": \"bad\", \"x\": 1",
    ] {
        let doc = format!(
            "[\n{{\"id\": \"a1\"}},\n{bad},\n{{\"id\": \"a2\"}},\n{{\"id\": \"a3\"}},\n{{\"id\": \"a4\"}}\n]\n"
        );
        let (code, out, err) = run_cli(
            &["eval", POLICY, "--leads", "-", "--now", NOW],
            doc.as_bytes(),
        );
        assert_eq!(code, 3, "{bad}: {err}");
        let answers: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(answers.len(), 5, "{bad}: {out}");
        for (i, id) in [(0, "a1"), (2, "a2"), (3, "a3"), (4, "a4")] {
            assert_eq!(answers[i]["lead_id"], id, "{bad}: {out}");
        }
        let e = &answers[1]["error"];
        assert_eq!(e["lead_id"], "bad", "{out}");
        assert_eq!(e["line"], 3, "{out}");
        assert_eq!(e["record"], 2, "{out}");
        assert_eq!(e["kind"], "invalid_json", "{out}");
        let (code, out, err) = run_cli(
            &[
                "metrics", POLICY, "--leads", "-", "--now", NOW, "--format", "json",
            ],
            doc.as_bytes(),
        );
        assert_eq!(code, 3, "{err}");
        let m: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(m["all"]["leads"], 4, "{out}");
        assert_eq!(m["bad_records"]["first"][0]["place"], "record 2 (line 3)");
        let (code, out, err) = run_cli(
            &[
                "diff", POLICY, POLICY, "--leads", "-", "--now", NOW, "--format", "json",
            ],
            doc.as_bytes(),
        );
        assert_eq!(code, 0, "{err}");
        let d: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (d["leads"].as_u64(), d["bad_count"].as_u64()),
            (Some(4), Some(1)),
            "{out}"
        );
    }
}
