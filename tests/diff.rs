//! `handoff diff`: two versions of the inbound example over its 300 leads,
//! state files for round-robin and least-loaded teams, broken records and
//! the CLI's failures.

mod common;
use common::run_cli as run;

use serde_json::Value;

const OLD: &str = "examples/inbound/policy.handoff";
const NEW: &str = "examples/inbound/changes/raise-threshold.handoff";
const EMEA: &str = "examples/inbound/changes/emea-route.handoff";
const LEADS: &str = "examples/inbound/leads.ndjson";
const NOW: &str = "2025-06-01T12:00:00Z";

#[test]
fn a_raised_threshold_and_a_new_route_in_each_format() {
    let args = |format: &'static str| {
        vec![
            "diff", OLD, NEW, "--leads", LEADS, "--now", NOW, "--format", format,
        ]
    };
    let (code, text, err) = run(&args("text"), b"");
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with("300 lead(s) compared, 7 decided differently"),
        "{text}"
    );
    assert!(
        text.contains("~ signal engaged: engagement.score >= 40  =>  engagement.score >= 50"),
        "{text}"
    );
    assert!(text.contains("team emea_sdr -> team emea_ae: 3"), "{text}");
    insta::assert_snapshot!("text", text);
    let (_, markdown, _) = run(&args("markdown"), b"");
    assert!(markdown.starts_with("### Policy change: 7 of 300 leads decided differently"));
    insta::assert_snapshot!("markdown", markdown);
    let (_, json, _) = run(&args("json"), b"");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["leads"], 300);
    assert_eq!(doc["changes"]["route"]["count"], 3);
    insta::assert_snapshot!("json", json);
}

#[test]
fn fail_on_change_gates_ci() {
    let (code, _, _) = run(
        &[
            "diff",
            OLD,
            NEW,
            "--leads",
            LEADS,
            "--now",
            NOW,
            "--fail-on-change",
        ],
        b"",
    );
    assert_eq!(code, 1);
    // a policy against itself changes nothing
    let (code, out, _) = run(
        &[
            "diff",
            OLD,
            OLD,
            "--leads",
            LEADS,
            "--now",
            NOW,
            "--fail-on-change",
        ],
        b"",
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with("300 lead(s) compared, 0 decided differently"),
        "{out}"
    );
    assert!(
        out.contains("no definition added, removed or changed"),
        "{out}"
    );
}

/// The second worked example: a new EMEA route and a raised fit threshold
/// for the round-robin SDR pool; a lead leaving the pool moves the turn of
/// the pool's next lead, and every sample names the rule before and after.
#[test]
fn a_new_emea_route_and_a_raised_fit_threshold_in_each_format() {
    let args = |format: &'static str| {
        vec![
            "diff", OLD, EMEA, "--leads", LEADS, "--now", NOW, "--format", format, "--sample", "6",
        ]
    };
    let (code, text, err) = run(&args("text"), b"");
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with("300 lead(s) compared, 6 decided differently"),
        "{text}"
    );
    assert!(
        text.contains("team sdr_pool (sdr.bob) -> team sdr_pool (sdr.alice)"),
        "{text}"
    );
    assert!(
        text.contains("    before: rule 3, line 166: when emea -> team emea_sdr\n    after:  rule 3, line 173: when emea and near_term -> team emea_ae\n"),
        "{text}"
    );
    // without a state file the round robin starts from its first member
    assert!(err.contains("no `--state` was given"), "{err}");
    insta::assert_snapshot!("emea_route_text", text);
    let (_, markdown, _) = run(&args("markdown"), b"");
    assert!(markdown.starts_with("### Policy change: 6 of 300 leads decided differently"));
    insta::assert_snapshot!("emea_route_markdown", markdown);
    let (_, json, _) = run(&args("json"), b"");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let route = &doc["changes"]["route"];
    assert_eq!(route["count"], 6);
    assert_eq!(
        route["samples"][0]["rule_after"],
        "rule 3, line 173: when emea and near_term -> team emea_ae"
    );
    insta::assert_snapshot!("emea_route_json", json);
}

/// Readiness is counted per stage, with the first condition not met; a
/// verdict names its first reason, a playbook the rule that chose it.
#[test]
fn readiness_per_stage_and_the_rules_that_decided() {
    let dir = scratch("rules");
    // the sal -> sql handoff needs one condition more, and enterprise
    // leads no longer get a playbook of their own at mql -> sal
    let policy = std::fs::read_to_string(OLD).unwrap();
    let changed = policy
        .replace("ready when at least 2 of {", "ready when at least 3 of {")
        .replace("  playbook enterprise_discovery when enterprise\n", "");
    assert_ne!(changed, policy, "the example changed: update this test");
    let new = dir.join("stricter.handoff");
    std::fs::write(&new, changed).unwrap();
    let (code, json, err) = run(
        &[
            "diff",
            OLD,
            new.to_str().unwrap(),
            "--leads",
            LEADS,
            "--now",
            NOW,
            "--format",
            "json",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let changes = doc["changes"].as_object().unwrap();
    let stage = &changes["readiness sal -> sql"];
    assert!(stage["count"].as_u64().unwrap() > 0, "{json}");
    assert!(!changes.contains_key("readiness mql -> sal"), "{json}");
    assert_eq!(stage["samples"][0]["before"], "ready");
    assert_eq!(stage["samples"][0]["rule_before"], Value::Null);
    assert!(
        stage["samples"][0]["rule_after"]
            .as_str()
            .unwrap()
            .starts_with("line 191: at least 3 of"),
        "{json}"
    );
    let playbook = &changes["playbook"]["samples"][0];
    assert_eq!(
        playbook["rule_before"],
        "line 179: playbook enterprise_discovery when enterprise"
    );
    assert_eq!(
        playbook["rule_after"],
        "line 180: playbook nurture_to_call otherwise"
    );
    let verdict = &changes["verdict"]["samples"][0];
    assert!(verdict["rule_before"].is_string() && verdict["rule_after"].is_string());
    assert!(doc["structure"]["removed"]
        .as_array()
        .unwrap()
        .contains(&Value::from(
            "mql -> sal `playbook enterprise_discovery when enterprise`"
        )));
}

/// A folder of its own for a test's files.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("handoff-diff-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A policy against itself with a state file changes nothing, for every
/// example that ships one.
#[test]
fn a_policy_against_itself_with_its_state_changes_nothing() {
    for (example, state, leads) in [
        (
            "partner",
            "state-emea.json",
            "examples/partner/leads.ndjson",
        ),
        (
            "enterprise",
            "state-strategic.json",
            "examples/enterprise/leads.ndjson",
        ),
    ] {
        let policy = format!("examples/{example}/policy.handoff");
        let state = format!("examples/{example}/{state}");
        let (code, out, err) = run(
            &[
                "diff",
                &policy,
                &policy,
                "--leads",
                leads,
                "--now",
                NOW,
                "--state",
                &state,
                "--fail-on-change",
            ],
            b"",
        );
        assert_eq!(code, 0, "{example}: {err}");
        assert!(out.contains(" decided differently\n"), "{out}");
        assert!(out.contains(", 0 decided differently"), "{example}: {out}");
        assert!(!err.contains("no `--state` was given"), "{err}");
    }
}

/// Each lead's route, member included, as the diff writes it, from
/// `handoff eval` output: one per input line.
fn eval_routes(policy: &str, leads: &str, state: &str) -> Vec<(String, String)> {
    let (code, out, err) = run(
        &[
            "eval", policy, "--leads", leads, "--now", NOW, "--state", state,
        ],
        b"",
    );
    assert!(code == 0 || code == 3, "{policy}: {err}");
    out.lines()
        .map(|l| {
            let d: Value = serde_json::from_str(l).unwrap();
            let route = match &d["route"] {
                Value::Null => "none".to_string(),
                r => {
                    let mut s = format!(
                        "{} {}",
                        r["target"]["kind"].as_str().unwrap(),
                        r["target"]["name"].as_str().unwrap()
                    );
                    if let Some(m) = r["member"].as_str() {
                        s.push_str(&format!(" ({m})"));
                    }
                    s
                }
            };
            (d["lead_id"].as_str().unwrap_or_default().to_string(), route)
        })
        .collect()
}

/// With `--state`, each version gives members as `eval --state` does, in
/// input order: the route changes the diff reports are exactly the leads
/// whose route or member differs between two `eval --state` runs. The
/// strategic team is put before the open-deal queue, so the least-loaded
/// strategic team (which fills up over three rounds of the leads) takes
/// more leads, and the leads after them meet other loads.
#[test]
fn members_are_those_two_eval_runs_with_the_state_give() {
    let dir = scratch("state");
    let policy = "examples/enterprise/policy.handoff";
    let state = "examples/enterprise/state-strategic.json";
    let text = std::fs::read_to_string(policy).unwrap();
    let changed = text.replace(
        "    when open_deal -> queue account_owner_match\n    when strategic -> team strategic_ae\n",
        "    when strategic -> team strategic_ae\n    when open_deal -> queue account_owner_match\n",
    );
    assert_ne!(changed, text, "the example changed: update this test");
    let new = dir.join("strategic-first.handoff");
    std::fs::write(&new, changed).unwrap();
    let new = new.to_str().unwrap();
    let one = std::fs::read_to_string("examples/enterprise/leads.ndjson").unwrap();
    let leads = dir.join("leads.ndjson");
    std::fs::write(&leads, one.repeat(3)).unwrap();
    let leads = leads.to_str().unwrap();

    let (before, after) = (
        eval_routes(policy, leads, state),
        eval_routes(new, leads, state),
    );
    assert_eq!(before.len(), after.len());
    let expected: Vec<(String, String, String)> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, b)| (a.0.clone(), a.1.clone(), b.1.clone()))
        .collect();
    // the state matters: without it, eval gives other members
    let (_, stateless, _) = run(&["eval", policy, "--leads", leads, "--now", NOW], b"");
    let (_, stateful, _) = run(
        &[
            "eval", policy, "--leads", leads, "--now", NOW, "--state", state,
        ],
        b"",
    );
    assert_ne!(stateless, stateful);

    let (code, json, err) = run(
        &[
            "diff", policy, new, "--leads", leads, "--now", NOW, "--state", state, "--format",
            "json", "--sample", "100000",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let route = &doc["changes"]["route"];
    let got: Vec<(String, String, String)> = route["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["lead"].as_str().unwrap().to_string(),
                x["before"].as_str().unwrap().to_string(),
                x["after"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(expected.len() > 10, "{expected:?}");
    assert!(
        expected.iter().any(|(_, a, b)| {
            a.starts_with("team strategic_ae (") && b.starts_with("team strategic_ae (")
        }),
        "a lead should keep its team and change member: {expected:?}"
    );
    assert_eq!(route["count"], expected.len());
    assert_eq!(got, expected);
    // a full team turns a handoff into a review, in both the diff and eval
    assert!(
        doc["verdicts"]["handoff -> review"].as_u64().unwrap() >= 1,
        "{json}"
    );
    // the rules moved: the text change says so
    assert!(
        doc["structure"]["changed"][0][0]
            .as_str()
            .unwrap()
            .ends_with("route order"),
        "{json}"
    );
}

#[test]
fn broken_records_are_counted_and_named_and_the_rest_compared() {
    let leads = std::fs::read(LEADS).unwrap();
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice(b"{not json\n"); // line 1
    input.extend_from_slice(b"[1, 2]\n"); // line 2
    input.extend_from_slice(b"\n   \n"); // lines 3 and 4: skipped
    input.extend_from_slice(b"{\"id\": \"caf\xe9\"}\n"); // line 5: not UTF-8
    let mut long = b"{\"id\": \"".to_vec(); // line 6: over the limit
    long.resize(handoff::MAX_RECORD_BYTES + 10, b'x');
    long.extend_from_slice(b"\"}\r\n");
    input.extend_from_slice(&long);
    input.extend_from_slice(&leads); // lines 7 to 306, with CRLF below
    input.extend_from_slice(b"\r\n\n");
    let (code, out, err) = run(&["diff", OLD, NEW, "--leads", "-", "--now", NOW], &input);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("300 lead(s) compared, 7 decided differently"),
        "{out}"
    );
    assert!(out.contains("4 record(s) could not be read:"), "{out}");
    for n in [1, 2, 5, 6] {
        assert!(out.contains(&format!("  line {n}: ")), "{out}");
    }
    assert!(
        !out.contains("  line 3: ") && !out.contains("  line 4: "),
        "{out}"
    );
    assert!(out.contains("longer than the limit"), "{out}");
    assert!(out.contains("UTF-8"), "{out}");
    let (_, json, _) = run(
        &[
            "diff", OLD, NEW, "--leads", "-", "--now", NOW, "--format", "json",
        ],
        &input,
    );
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["bad_count"], 4);
    let lines: Vec<u64> = doc["bad_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![1, 2, 5, 6]);
    assert_eq!(doc["changes"]["route"]["count"], 3);
    let (_, markdown, _) = run(
        &[
            "diff", OLD, NEW, "--leads", "-", "--now", NOW, "--format", "markdown",
        ],
        &input,
    );
    assert!(
        markdown.contains("4 record(s) could not be read (first: line 1)"),
        "{markdown}"
    );
}

#[test]
fn diff_error_paths() {
    let diff = |extra: &[&str], stdin: &[u8]| {
        let mut args = vec!["diff", OLD, NEW, "--leads", LEADS, "--now", NOW];
        args.extend_from_slice(extra);
        run(&args, stdin)
    };
    // a policy file that is not there, either side
    for args in [
        ["diff", OLD, "no/such.handoff", "--leads", LEADS],
        ["diff", "no/such.handoff", NEW, "--leads", LEADS],
    ] {
        let (code, out, err) = run(&args, b"");
        assert_eq!(code, 2);
        assert!(out.is_empty());
        assert!(
            err.contains("cannot read policy `no/such.handoff`"),
            "{err}"
        );
    }
    // a policy from standard input: said, with what to do instead
    for args in [
        ["diff", "-", NEW, "--leads", LEADS],
        ["diff", OLD, "-", "--leads", LEADS],
    ] {
        let (code, out, err) = run(&args, b"policy \"x\" {}\n");
        assert_eq!(code, 2);
        assert!(out.is_empty());
        assert!(
            err.contains("reads both versions of the policy from files"),
            "{err}"
        );
    }
    // a policy with errors: its diagnostics, briefly, and exit 2 (1 is for
    // changed leads under --fail-on-change)
    let broken = "tests/fixtures/err/check/H104-unknown-team.handoff";
    let (code, _, err) = run(
        &["diff", OLD, broken, "--leads", LEADS, "--fail-on-change"],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("H104"), "{err}");
    assert!(
        err.contains(&format!(
            "the policy `{broken}` has 1 error(s); run `handoff check {broken}`"
        )),
        "{err}"
    );
    // leads that are not there
    let (code, _, err) = run(&["diff", OLD, NEW, "--leads", "no/such.ndjson"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `no/such.ndjson`"), "{err}");
    // a time that is not one
    let (code, _, err) = run(
        &["diff", OLD, NEW, "--leads", LEADS, "--now", "yesterday"],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`--now yesterday` is not an RFC 3339 timestamp"),
        "{err}"
    );

    // state files: missing, not JSON, not an object, a value of the wrong
    // shape for a team that reads it
    let dir = scratch("errors");
    let state = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let (code, _, err) = diff(&["--state", "no/such.json"], b"");
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read state file `no/such.json`"),
        "{err}"
    );
    let bad = state("bad.json", "{\"sdr_pool_cursor\": ");
    let (code, _, err) = diff(&["--state", &bad], b"");
    assert_eq!(code, 2);
    assert!(err.contains("is not valid JSON at line 1"), "{err}");
    let list = state("list.json", "[1, 2]");
    let (code, _, err) = diff(&["--state", &list], b"");
    assert_eq!(code, 2);
    assert!(err.contains("must hold a JSON object"), "{err}");
    let shape = state("shape.json", "{\"sdr_pool_cursor\": \"two\"}");
    let (code, out, err) = diff(&["--state", &shape], b"");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains(&format!(
            "error: `{OLD}`: `sdr_pool_cursor` (round robin of team `sdr_pool`) must be a whole number"
        )),
        "{err}"
    );
    // a key no team reads is kept and warned of, once per version
    let unknown = state(
        "unknown.json",
        "{\"sdr_pool_cursor\": 1, \"ae_open_opportunities\": {}, \"emea_rr\": 3}",
    );
    let (code, _, err) = diff(&["--state", &unknown], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches("the state has `emea_rr`").count(), 2, "{err}");
    assert!(
        err.contains(&format!("warning: `{NEW}`: the state has `emea_rr`")),
        "{err}"
    );
    // the state from standard input, and the leads too
    let (code, _, err) = run(&["diff", OLD, NEW, "--leads", "-", "--state", "-"], b"{}");
    assert_eq!(code, 2);
    assert!(
        err.contains("the leads and the state cannot both come from standard input"),
        "{err}"
    );
    // the state alone from standard input is fine
    let (code, out, err) = diff(&["--state", "-"], b"{\"sdr_pool_cursor\": 1}");
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("300 lead(s) compared"), "{out}");

    let (code, out, _) = run(&["diff", "--help"], b"");
    assert_eq!(code, 0);
    for option in [
        "--fail-on-change",
        "--format",
        "--state",
        "--sample",
        "--leads",
    ] {
        assert!(out.contains(option), "{out}");
    }
}

/// A JSON document (a Salesforce export) is read record by record, as
/// `eval` reads it, on one thread or several alike.
#[test]
fn a_crm_export_is_compared_record_by_record() {
    let policy = "examples/salesforce/policy.handoff";
    let leads = "examples/salesforce/export-devorg.json";
    let state = "examples/salesforce/state-sdr-desk.json";
    let mut reports = Vec::new();
    for jobs in ["1", "2"] {
        let (code, out, err) = run(
            &[
                "diff", policy, policy, "--leads", leads, "--now", NOW, "--state", state,
                "--format", "json", "--jobs", jobs,
            ],
            b"",
        );
        assert_eq!(code, 0, "{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["leads"], 22);
        assert_eq!(doc["changed"], 0);
        reports.push(out);
    }
    assert_eq!(reports[0], reports[1]);
    // a broken record inside the document is named by its line
    let text = std::fs::read_to_string(leads).unwrap();
    let broken = text.replacen("\"Company\":", "\"Company\" ::", 1);
    let (code, out, _) = run(
        &[
            "diff", policy, policy, "--leads", "-", "--now", NOW, "--state", state, "--format",
            "json",
        ],
        broken.as_bytes(),
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["bad_count"], 1);
    assert_eq!(doc["leads"], 21);
}

/// Samples are the first leads of each kind in input order, however many
/// workers share the batch.
#[test]
fn samples_do_not_depend_on_the_number_of_workers() {
    let new = "examples/inbound/changes/emea-route.handoff";
    let outs: Vec<String> = ["1", "2", "7"]
        .iter()
        .map(|jobs| {
            run(
                &[
                    "diff", OLD, new, "--leads", LEADS, "--now", NOW, "--format", "json", "--jobs",
                    jobs,
                ],
                b"",
            )
            .1
        })
        .collect();
    assert!(outs[0].contains("\"changed\""));
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0], outs[2]);
}
