//! `handoff diff`: two versions of the inbound example over its 300 leads.

mod common;
use common::run_cli as run;

const OLD: &str = "examples/inbound/policy.handoff";
const NEW: &str = "examples/inbound/changes/raise-threshold.handoff";
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

#[test]
fn broken_records_are_counted_and_named_and_the_rest_compared() {
    let mut input = std::fs::read_to_string(LEADS).unwrap();
    input.insert_str(0, "{not json\n[1, 2]\n");
    let (code, out, err) = run(
        &["diff", OLD, NEW, "--leads", "-", "--now", NOW],
        input.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("300 lead(s) compared, 7 decided differently"),
        "{out}"
    );
    assert!(out.contains("2 record(s) could not be read:"), "{out}");
    assert!(
        out.contains("  line 1: ") && out.contains("  line 2: "),
        "{out}"
    );
}

#[test]
fn diff_error_paths() {
    let (code, _, err) = run(&["diff", OLD, "no/such.handoff", "--leads", LEADS], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no/such.handoff"), "{err}");
    let (code, _, err) = run(&["diff", OLD, NEW, "--leads", "no/such.ndjson"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no/such.ndjson"), "{err}");
    let (code, _, err) = run(
        &[
            "diff",
            OLD,
            "tests/fixtures/err/check/H104-unknown-team.handoff",
            "--leads",
            LEADS,
        ],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("has errors"), "{err}");
    let (code, _, err) = run(
        &["diff", OLD, NEW, "--leads", LEADS, "--now", "yesterday"],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = run(&["diff", "--help"], b"");
    assert_eq!(code, 0);
    assert!(
        out.contains("--fail-on-change") && out.contains("--format"),
        "{out}"
    );
}
