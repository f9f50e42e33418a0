//! `handoff test`: suites run, fail readably in every format, count
//! coverage by rule, and refuse broken suites with diagnostics.

mod common;
use common::run_cli as run;

const FAILING: &str = "tests/fixtures/suites/failing.test.toml";

#[test]
fn the_example_suites_pass_with_full_coverage() {
    let (code, out, err) = run(
        &[
            "test",
            "examples",
            "--min-coverage",
            "100",
            "--fail-on-empty",
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("(100.0%)"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

#[test]
fn a_failing_suite_in_each_format() {
    let (code, human, _) = run(&["test", FAILING], b"");
    assert_eq!(code, 1);
    insta::assert_snapshot!("human", human);
    let (code, json, _) = run(&["test", FAILING, "--format", "json"], b"");
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["passed"], 3);
    assert_eq!(doc["failed"], 2);
    insta::assert_snapshot!("json", json);
    let (code, junit, _) = run(&["test", FAILING, "--format", "junit"], b"");
    assert_eq!(code, 1);
    assert!(junit.contains("<testsuite name=\"tests/fixtures/suites/failing.test.toml\" tests=\"5\" failures=\"2\">"), "{junit}");
    assert!(
        junit.contains("expects the wrong team &amp; verdict"),
        "{junit}"
    );
    insta::assert_snapshot!("junit", junit);
}

#[test]
fn coverage_lists_what_no_case_exercised() {
    let (code, out, err) = run(
        &["test", FAILING, "--coverage", "--min-coverage", "90"],
        b"",
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("never: quality gate `stale_contact` (line 153)"),
        "{out}"
    );
    assert!(err.contains("below 90%"), "{err}");
    insta::assert_snapshot!("coverage", out);
}

#[test]
fn run_selects_cases_and_fail_on_empty_catches_none() {
    let (code, out, _) = run(&["test", FAILING, "--run", "ready EMEA"], b"");
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("  ok ").count(), 1, "{out}");
    let (code, _, err) = run(
        &["test", FAILING, "--run", "no such case", "--fail-on-empty"],
        b"",
    );
    assert_eq!(code, 1);
    assert!(err.contains("no test case ran"), "{err}");
}

#[test]
fn broken_suites_are_diagnostics_with_a_place() {
    let (code, _, err) = run(
        &[
            "test",
            "tests/fixtures/err/suites/H801-invalid-suite.test.toml",
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(err.contains("H801"), "{err}");
    assert!(err.contains(":6:"), "the line of the mistake: {err}");
    let (code, _, err) = run(
        &[
            "test",
            "tests/fixtures/err/suites/H802-unknown-gate.test.toml",
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("H802") && err.contains("did you mean `stale_contact`?"),
        "{err}"
    );
    insta::assert_snapshot!("unknown_gate", err);
}

#[test]
fn missing_paths_are_usage_errors() {
    let (code, _, err) = run(&["test", "no/such/folder"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no/such/folder"), "{err}");
    let (code, out, _) = run(&["test", "--help"], b"");
    assert_eq!(code, 0);
    assert!(
        out.contains("--min-coverage") && out.contains("--run"),
        "{out}"
    );
}

#[test]
fn a_case_full_of_typos_is_refused_before_it_runs() {
    let (code, out, err) = run(
        &[
            "test",
            "tests/fixtures/err/suites/H802-typos-in-a-case.test.toml",
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(!out.contains("FAIL"), "nothing runs: {out}");
    for expected in [
        "did you mean `ready`?",
        "did you mean `company.region`?",
        "`handof` is not a verdict",
        "`Overdue` is not an escalation status",
        "did you mean `mql -> sal`?",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[test]
fn check_validates_suites_too() {
    // a folder: its policies and its suites
    let (code, out, _) = run(&["check", "examples", "--format", "short"], b"");
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, out, _) = run(
        &[
            "check",
            "tests/fixtures/err/suites/H802-unknown-gate.test.toml",
            "--format",
            "short",
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(out.contains(":10:12: error[H802]"), "{out}");
}

#[test]
fn coverage_as_json_for_tools() {
    let (code, out, _) = run(&["test", FAILING, "--coverage-format", "json"], b"");
    assert_eq!(code, 1, "the failures still fail the run");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let suite = &doc["coverage"][0];
    assert_eq!(suite["file"], FAILING);
    let items = suite["items"].as_array().unwrap();
    assert_eq!(items.len(), 34);
    assert!(items.iter().any(|i| i["kind"] == "quality gate"
        && i["name"] == "stale_contact"
        && i["covered"] == false));
}
