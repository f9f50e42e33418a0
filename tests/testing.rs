//! `handoff test`: suites run, fail readably in every format, count
//! coverage by rule, and refuse broken suites with diagnostics.

mod common;
use common::run_cli as run;

const FAILING: &str = "tests/fixtures/suites/failing.test.toml";
/// The fixture suites share the example policy and leads, outside their
/// own folder: a trusted setup, so they run with the flag that allows it.
const OUTSIDE: &str = "--allow-outside-imports";

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
    let (code, human, _) = run(&["test", FAILING, OUTSIDE], b"");
    assert_eq!(code, 1);
    insta::assert_snapshot!("human", human);
    let (code, json, _) = run(&["test", FAILING, OUTSIDE, "--format", "json"], b"");
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["passed"], 3);
    assert_eq!(doc["failed"], 2);
    insta::assert_snapshot!("json", json);
    let (code, junit, _) = run(&["test", FAILING, OUTSIDE, "--format", "junit"], b"");
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
        &[
            "test",
            FAILING,
            OUTSIDE,
            "--coverage",
            "--min-coverage",
            "90",
        ],
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
    let (code, out, _) = run(&["test", FAILING, OUTSIDE, "--run", "ready EMEA"], b"");
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("  ok ").count(), 1, "{out}");
    let (code, _, err) = run(
        &[
            "test",
            FAILING,
            OUTSIDE,
            "--run",
            "no such case",
            "--fail-on-empty",
        ],
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
            OUTSIDE,
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
            OUTSIDE,
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
            OUTSIDE,
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
    let (code, out, _) = run(
        &["test", FAILING, OUTSIDE, "--coverage-format", "json"],
        b"",
    );
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

/// The rendering of `H803`: every file a suite names outside its folder,
/// pointed at, none of them read.
#[test]
fn paths_outside_the_suite_folder_are_refused() {
    let fixture = "tests/fixtures/err/suites/H803-path-outside-suite.test.toml";
    let (code, out, err) = run(&["check", fixture], b"");
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out.matches("H803(test-path-outside-suite)").count(), 3);
    assert!(
        !out.contains("root:") && !out.contains("[package]"),
        "{out}"
    );
    insta::assert_snapshot!("path_outside", out);
    let (code, _, err) = run(&["test", fixture], b"");
    assert_eq!(code, 1);
    assert!(err.contains("H803"), "{err}");
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("handoff-testing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A suite from a pull request cannot read a file outside its folder: not
/// by `..`, not by an absolute path, not by a link inside the folder, not
/// as its policy, a lead or a state file; and `check DIR`, `test DIR` and
/// `fmt DIR` do not follow links out of the folder. The secret never shows
/// in any output. `--allow-outside-imports` lets a trusted setup through.
#[test]
fn suites_and_folder_walks_do_not_leave_the_folder() {
    const SECRET: &str = "supersecret123";
    let dir = temp_dir("outside");
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let secret = dir.join("outside.txt");
    std::fs::write(&secret, format!("API_TOKEN={SECRET}\n")).unwrap();
    std::fs::write(
        dir.join("outside.json"),
        format!("{{\"id\": \"{SECRET}\"}}\n"),
    )
    .unwrap();
    std::fs::copy(
        "examples/inbound/policy.handoff",
        repo.join("policy.handoff"),
    )
    .unwrap();
    std::fs::copy(
        "examples/inbound/policy.handoff",
        dir.join("policy.handoff"),
    )
    .unwrap();
    std::fs::copy("examples/inbound/lead-ready.json", repo.join("lead.json")).unwrap();
    std::fs::copy("examples/inbound/lead-ready.json", dir.join("lead.json")).unwrap();
    let suite = |name: &str, body: &str| {
        let p = repo.join(name);
        std::fs::write(&p, format!("now = \"2025-06-01T12:00:00Z\"\n{body}")).unwrap();
        p.to_str().unwrap().to_string()
    };
    let case = "[[case]]\nname = \"x\"\n";
    let mut refused = vec![
        suite(
            "up.test.toml",
            &format!("policy = \"../outside.txt\"\n{case}lead = \"lead.json\"\n"),
        ),
        suite(
            "abs.test.toml",
            &format!(
                "policy = \"policy.handoff\"\n{case}lead = \"{}\"\n",
                secret.display()
            ),
        ),
        suite(
            "lead-up.test.toml",
            &format!("policy = \"policy.handoff\"\n[leads]\nout = \"../outside.json\"\n{case}lead = \"out\"\n"),
        ),
        suite(
            "state-up.test.toml",
            &format!("policy = \"policy.handoff\"\n{case}lead = \"lead.json\"\nstate = \"../outside.txt\"\n"),
        ),
    ];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, repo.join("leak.json")).unwrap();
        std::os::unix::fs::symlink(&dir, repo.join("up")).unwrap();
        std::os::unix::fs::symlink(&secret, repo.join("leak.handoff")).unwrap();
        std::os::unix::fs::symlink(dir.join("outside.json"), repo.join("far.test.toml")).unwrap();
        refused.push(suite(
            "link.test.toml",
            &format!("policy = \"policy.handoff\"\n{case}lead = \"leak.json\"\n"),
        ));
        refused.push(suite(
            "link-folder.test.toml",
            &format!("policy = \"up/policy.handoff\"\n{case}lead = \"lead.json\"\n"),
        ));
    }
    let leaks = |out: &str, err: &str| out.contains(SECRET) || err.contains(SECRET);
    for s in &refused {
        for cmd in ["check", "test"] {
            let (code, out, err) = run(&[cmd, s], b"");
            assert_eq!(code, 1, "{cmd} {s}: {out}{err}");
            assert!(
                out.contains("H803") || err.contains("H803"),
                "{cmd} {s}: {out}{err}"
            );
            assert!(!leaks(&out, &err), "{cmd} {s} leaks: {out}{err}");
        }
    }
    // inside the folder, a file that is no policy is not read as one
    std::fs::write(repo.join(".env"), format!("API_TOKEN={SECRET}\n")).unwrap();
    let env = suite(
        "env.test.toml",
        &format!("policy = \".env\"\n{case}lead = \"lead.json\"\n"),
    );
    for cmd in ["check", "test"] {
        let (code, out, err) = run(&[cmd, &env], b"");
        assert_eq!(code, 1, "{cmd}: {out}{err}");
        assert!(out.contains("H801") || err.contains("H801"), "{out}{err}");
        assert!(!leaks(&out, &err), "{cmd} {env} leaks: {out}{err}");
    }
    // the folder walks: every suite above refused, no link out followed
    let folder = repo.to_str().unwrap();
    for args in [
        vec!["check", folder],
        vec!["check", folder, "--format", "json"],
        vec!["test", folder],
        vec!["fmt", "--check", folder],
    ] {
        let (code, out, err) = run(&args, b"");
        assert!(!leaks(&out, &err), "{args:?} leaks: {out}{err}");
        // the suites are refused; fmt finds the one policy in the folder
        // formatted
        assert_eq!(code, i32::from(args[0] != "fmt"), "{args:?}: {out}{err}");
        // each walk tells of the links out it left, of the kinds it looks for
        #[cfg(unix)]
        {
            let policies = args[0] != "test";
            let suites = args[0] != "fmt";
            assert!(err.contains("is not followed"), "{args:?}: {err}");
            assert!(err.contains("repo/up:"), "{args:?}: {err}");
            assert_eq!(err.contains("leak.handoff"), policies, "{args:?}: {err}");
            assert_eq!(err.contains("far.test.toml"), suites, "{args:?}: {err}");
        }
        assert!(!out.contains("far.test.toml"), "{args:?}: {out}");
    }
    // a trusted setup keeps its shared files one folder up, on purpose
    let shared = suite(
        "shared.test.toml",
        &format!("policy = \"../policy.handoff\"\n{case}lead = \"../lead.json\"\n[case.expect]\nverdict = \"handoff\"\n"),
    );
    let (code, out, err) = run(&["test", &shared], b"");
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("H803") && err.contains(OUTSIDE), "{err}");
    let (code, out, err) = run(&["test", &shared, OUTSIDE], b"");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok    x"), "{out}");
    let (code, out, err) = run(&["check", &shared, OUTSIDE], b"");
    assert_eq!(code, 0, "{out}{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Links inside the folder that stay inside it are followed by the walk
/// (a folder reached twice is walked once).
#[cfg(unix)]
#[test]
fn links_inside_the_folder_are_followed() {
    let dir = temp_dir("inside");
    // a folder the walk skips (its name starts with a dot), reached by a link
    let real = dir.join(".shared");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::copy(
        "examples/inbound/policy.handoff",
        real.join("policy.handoff"),
    )
    .unwrap();
    std::fs::copy("examples/inbound/lead-ready.json", real.join("lead.json")).unwrap();
    std::fs::write(
        real.join("p.test.toml"),
        "policy = \"policy.handoff\"\nnow = \"2025-06-01T12:00:00Z\"\n[[case]]\nname = \"x\"\nlead = \"lead.json\"\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&real, dir.join("suites")).unwrap();
    let (code, out, err) = run(&["test", dir.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("  ok    x").count(), 1, "{out}");
    assert!(out.contains("suites/p.test.toml"), "{out}");
    assert!(!err.contains("not followed"), "{err}");
    let (code, out, err) = run(&["check", dir.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 files: no problems found"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Cases are told apart by name (reports, `--run`, JUnit): a name given to
/// two cases is refused, at the second `name = ...`, not at a lead that
/// happens to have the same text.
#[test]
fn two_cases_of_one_name_are_refused_where_the_second_is() {
    let dir = temp_dir("duplicate-names");
    for f in ["policy.handoff", "lead-ready.json"] {
        std::fs::copy(format!("examples/inbound/{f}"), dir.join(f)).unwrap();
    }
    let case =
        "[[case]]\nname = \"ready\"\nlead = \"ready\"\n[case.expect]\nverdict = \"handoff\"\n";
    let suite = format!(
        "policy = \"policy.handoff\"\nnow = \"2025-06-01T12:00:00Z\"\n\n[leads]\nready = \"lead-ready.json\"\n\n{case}\n{case}"
    );
    let path = dir.join("p.test.toml");
    std::fs::write(&path, &suite).unwrap();
    let (code, out, err) = run(&["test", path.to_str().unwrap()], b"");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("H801") && err.contains("two cases are named `ready`"),
        "{err}"
    );
    // line 14 is the second case's `name = "ready"`
    assert!(err.contains("p.test.toml:14:8]"), "{err}");
    let (code, out, _) = run(&["check", path.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(out.contains("two cases are named `ready`"), "{out}");
    // named apart, the suite runs
    std::fs::write(
        &path,
        suite.replacen("name = \"ready\"", "name = \"first\"", 1),
    )
    .unwrap();
    let (code, out, err) = run(&["test", path.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{out}{err}");
}
