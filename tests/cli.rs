//! The CLI in pipes, scripts and CI: closed output, blank lines, bounded
//! jobs, policies on standard input, `--now`, state across runs, imports
//! that leave the policy's folder, `check` over folders and I/O failures in
//! every output format.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

mod common;

const NOW: &str = "2025-06-01T12:00:00Z";
const INBOUND: &str = "examples/inbound/policy.handoff";
const LEADS: &str = "examples/inbound/leads.ndjson";

fn handoff() -> Command {
    Command::new(env!("CARGO_BIN_EXE_handoff"))
}

use common::run_cli as run;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("handoff-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `handoff eval ... | head -1`: the reader goes away after one line; the
/// run ends quietly with success, without a summary of leads it never
/// wrote.
#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    // a batch big enough that the pipe fills before the reader leaves
    let one = std::fs::read_to_string(LEADS).unwrap();
    let big = one.repeat(40);
    for jobs in ["1", "2"] {
        let mut child = handoff()
            .args([
                "eval", INBOUND, "--leads", "-", "--now", NOW, "--jobs", jobs,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        let data = big.clone();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(data.as_bytes());
        });
        let mut first = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).unwrap();
        assert!(first.contains("\"verdict\""), "{first}");
        drop(out);
        let status = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let err = String::from_utf8_lossy(&status.stderr);
        assert_eq!(status.status.code(), Some(0), "jobs {jobs}: {err}");
        assert!(!err.contains("Broken pipe"), "{err}");
        assert!(!err.contains("lead(s):"), "no summary: {err}");
    }
    // the single-lead and text commands too
    for args in [
        &["explain-code", "H101"][..],
        &["check", INBOUND, "--format", "json"],
        &["fmt", "--diff", "tests/fixtures/fmt/messy.handoff"],
        &["test", "examples/inbound", "--format", "junit"],
        &[
            "diff",
            INBOUND,
            "examples/inbound/changes/raise-threshold.handoff",
            "--leads",
            LEADS,
            "--now",
            NOW,
        ],
    ] {
        let mut child = handoff()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
    }
}

/// Blank lines at the end of the input (an editor's trailing newlines,
/// CRLF or spaces) are no records; a blank line between leads keeps its
/// error record, so output lines still match input lines.
#[test]
fn trailing_blank_lines_are_ignored_and_inner_ones_answered() {
    let leads = std::fs::read_to_string(LEADS).unwrap();
    let n = leads.lines().count();
    for tail in ["\n", "\n\n", "\r\n  \n\t\n", "   "] {
        for jobs in ["1", "2"] {
            let input = format!("{leads}{tail}");
            let (code, out, err) = run(
                &[
                    "eval", INBOUND, "--leads", "-", "--now", NOW, "--jobs", jobs,
                ],
                input.as_bytes(),
            );
            assert_eq!(code, 0, "tail {tail:?}: {err}");
            assert_eq!(out.lines().count(), n, "tail {tail:?}");
        }
    }
    let mut lines: Vec<&str> = leads.lines().take(4).collect();
    lines.insert(2, "");
    let input = lines.join("\n") + "\n\n";
    let (code, out, _) = run(
        &["eval", INBOUND, "--leads", "-", "--now", NOW],
        input.as_bytes(),
    );
    assert_eq!(code, 3);
    let out: Vec<&str> = out.lines().collect();
    assert_eq!(out.len(), 5);
    assert!(
        out[2].contains("\"line\":3") && out[2].contains("empty_line"),
        "{}",
        out[2]
    );
    // a file of many blank lines and one lead after them: every line answered
    let input = format!("{}{}", "\n".repeat(3000), leads.lines().next().unwrap());
    let (code, out, _) = run(
        &["eval", INBOUND, "--leads", "-", "--now", NOW],
        input.as_bytes(),
    );
    assert_eq!(code, 3);
    let out: Vec<&str> = out.lines().collect();
    assert_eq!(out.len(), 3001);
    assert!(out[3000].contains("\"verdict\""));
    assert!(out[2999].contains("\"line\":3000"), "{}", out[2999]);
}

/// `--jobs 0` is refused; any bounded count gives the same decisions.
#[test]
fn jobs_are_bounded() {
    let (code, _, err) = run(&["eval", INBOUND, "--leads", LEADS, "--jobs", "0"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("0 is not in 1..=1024"), "{err}");
    let (code, _, err) = run(&["eval", INBOUND, "--leads", LEADS, "--jobs", "5000"], b"");
    assert_eq!(code, 2, "{err}");
    let (_, one, _) = run(
        &[
            "eval", INBOUND, "--leads", LEADS, "--now", NOW, "--jobs", "1",
        ],
        b"",
    );
    let (code, many, _) = run(
        &[
            "eval", INBOUND, "--leads", LEADS, "--now", NOW, "--jobs", "1000",
        ],
        b"",
    );
    assert_eq!(code, 0);
    assert_eq!(one, many);
}

/// `eval -` and `explain -` read the policy from standard input, as
/// `check -` does; a lead file of several leads names the way to evaluate
/// them and the line where the second lead starts.
#[test]
fn policy_on_stdin_and_lead_files_of_several_leads() {
    let policy = std::fs::read(INBOUND).unwrap();
    let lead = "examples/inbound/lead-ready.json";
    let (code, out, err) = run(&["eval", "-", "--lead", lead, "--now", NOW], &policy);
    assert_eq!(code, 0, "{err}");
    let (_, from_file, _) = run(&["eval", INBOUND, "--lead", lead, "--now", NOW], b"");
    assert_eq!(out, from_file);
    let (code, out, _) = run(&["explain", "-", "--lead", lead, "--now", NOW], &policy);
    assert_eq!(code, 0);
    assert!(out.contains("Verdict: HANDOFF"), "{out}");
    for args in [
        &["eval", "-", "--lead", "-"][..],
        &["eval", INBOUND, "--leads", "-", "--state", "-"],
        &["eval", "-", "--leads", LEADS, "--state", "-"],
    ] {
        let (code, _, err) = run(args, &policy);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains("cannot both come from standard input"),
            "{args:?}: {err}"
        );
    }
    let (code, _, err) = run(
        &["eval", INBOUND, "--leads", LEADS, "--state-out", "-"],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("not `-`"), "{err}");
    let (code, out, err) = run(&["eval", INBOUND, "--lead", LEADS, "--now", NOW], b"");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("NDJSON")
            && err.contains("line 2")
            && err.contains(&format!("--leads {LEADS}")),
        "{err}"
    );
}

/// `--now`: an offset past 23:59 is refused as such; a valid time outside
/// the supported range says so; nonsense says what is expected.
#[test]
fn now_says_what_is_wrong_with_it() {
    let lead = "examples/inbound/lead-ready.json";
    let cases = [
        (
            "2025-06-01T12:00:00+24:00",
            "offsets run from -23:59 to +23:59",
        ),
        (
            "2025-06-01T12:00:00-25:30",
            "offsets run from -23:59 to +23:59",
        ),
        ("9999-12-31T23:59:59-23:00", "outside the supported range"),
        ("2025-13-01T00:00:00Z", "not an RFC 3339 timestamp"),
        ("yesterday", "not an RFC 3339 timestamp"),
    ];
    for (now, says) in cases {
        let (code, _, err) = run(&["eval", INBOUND, "--lead", lead, "--now", now], b"");
        assert_eq!(code, 2, "{now}");
        assert!(err.contains(says), "{now}: {err}");
    }
    let (code, _, _) = run(
        &[
            "eval",
            INBOUND,
            "--lead",
            lead,
            "--now",
            "2025-06-01T12:00:00+23:59",
        ],
        b"",
    );
    assert_eq!(code, 0);
}

/// Two runs over the halves of a batch, the second started from the
/// first's `--state-out`, assign exactly as one run over the whole batch:
/// round robin and least loaded, on one job and on two.
#[test]
fn state_carries_distribution_across_runs() {
    let dir = temp_dir("state");
    let leads = std::fs::read_to_string(LEADS).unwrap();
    let lines: Vec<&str> = leads.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    let first = dir.join("a.ndjson");
    let second = dir.join("b.ndjson");
    std::fs::write(&first, a.join("\n") + "\n").unwrap();
    std::fs::write(&second, b.join("\n") + "\n").unwrap();
    // a state file with a byte-order mark, a cursor and loads
    let start = dir.join("start.json");
    std::fs::write(
        &start,
        "\u{feff}{\"sdr_pool_cursor\": 4, \"ae_open_opportunities\": {\"ae.carla\": 3}}",
    )
    .unwrap();
    let members = |out: &str| -> Vec<String> {
        out.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                format!("{}:{}", v["route"]["target"]["name"], v["route"]["member"])
            })
            .collect()
    };
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    for jobs in ["1", "2"] {
        let mid = dir.join(format!("mid-{jobs}.json"));
        let end = dir.join(format!("end-{jobs}.json"));
        let (code, whole, err) = run(
            &[
                "eval",
                INBOUND,
                "--leads",
                LEADS,
                "--now",
                NOW,
                "--jobs",
                jobs,
                "--state",
                &s(&start),
            ],
            b"",
        );
        assert_eq!(code, 0, "{err}");
        let (_, half1, _) = run(
            &[
                "eval",
                INBOUND,
                "--leads",
                &s(&first),
                "--now",
                NOW,
                "--jobs",
                jobs,
                "--state",
                &s(&start),
                "--state-out",
                &s(&mid),
            ],
            b"",
        );
        // the second half updates the state in place
        std::fs::copy(&mid, &end).unwrap();
        let (_, half2, err) = run(
            &[
                "eval",
                INBOUND,
                "--leads",
                &s(&second),
                "--now",
                NOW,
                "--jobs",
                jobs,
                "--state",
                &s(&end),
                "--state-out",
                &s(&end),
            ],
            b"",
        );
        assert!(!err.contains("warning"), "{err}");
        let halves: Vec<String> = members(&half1).into_iter().chain(members(&half2)).collect();
        assert_eq!(members(&whole), halves, "jobs {jobs}");
        assert!(members(&whole)
            .iter()
            .any(|m| m.starts_with("\"sdr_pool\":\"")));
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&mid).unwrap()).unwrap();
        // the loads advanced by the leads handed over; the cursor at least kept
        assert!(state["sdr_pool_cursor"].as_u64().unwrap() >= 4, "{state}");
        let loads = &state["ae_open_opportunities"];
        let given = loads["ae.carla"].as_u64().unwrap() + loads["ae.dan"].as_u64().unwrap_or(0);
        assert!(given > 3, "{state}");
    }
    // no state: a warning that names the team and the flags
    let (_, _, err) = run(&["eval", INBOUND, "--leads", LEADS, "--now", NOW], b"");
    assert!(
        err.contains("sdr_pool") && err.contains("--state-out"),
        "{err}"
    );
    // a key no team reads is flagged
    let odd = dir.join("odd.json");
    std::fs::write(&odd, "{\"sdr_pool_cursr\": 2}").unwrap();
    let (code, _, err) = run(
        &[
            "eval",
            INBOUND,
            "--leads",
            LEADS,
            "--now",
            NOW,
            "--state",
            &s(&odd),
        ],
        b"",
    );
    assert_eq!(code, 0);
    assert!(
        err.contains("`sdr_pool_cursr`, which no team of this policy reads"),
        "{err}"
    );
    // a reader that went away saw no decision: no state is written
    let unseen = dir.join("unseen.json");
    for cmd in ["eval", "explain"] {
        // a pipe whose reader is gone before the command starts
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = handoff()
            .args([
                cmd,
                INBOUND,
                "--lead",
                "examples/inbound/lead-ready.json",
                "--now",
                NOW,
                "--state-out",
                &s(&unseen),
            ])
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd}");
        assert!(!unseen.exists(), "{cmd} wrote state for output nobody read");
    }
    // a state file that cannot be written is an I/O error
    let (code, _, err) = run(
        &[
            "eval",
            INBOUND,
            "--leads",
            LEADS,
            "--now",
            NOW,
            "--state-out",
            "/no/such/dir/s.json",
        ],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot write state file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Imports stay in the policy's folder: an absolute path, a way out with
/// `..` (existing or not) and a link out of the folder are refused unless
/// `--allow-outside-imports`; a file that is not a policy is never read.
#[test]
fn imports_do_not_leave_the_policy_folder() {
    let dir = temp_dir("imports");
    let inner = dir.join("repo");
    std::fs::create_dir_all(inner.join("shared")).unwrap();
    let schema = "lead { id: string  score: number? }\n";
    std::fs::write(dir.join("outside.handoff"), schema).unwrap();
    std::fs::write(inner.join("shared/schema.handoff"), schema).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("outside.handoff"), inner.join("link.handoff")).unwrap();
    let body = "policy \"P\" { version \"1\" }\nroles marketing, sdr\nstages mql, sal\nqueue inbox\n\
                signal hot = score >= 1\nhandoff mql -> sal {\n initiated_by marketing\n validated_by sdr\n\
                owned_by sdr\n ready when hot\n route { otherwise -> queue inbox }\n}\n";
    let write = |name: &str, import: &str| {
        let p = inner.join(name);
        std::fs::write(&p, format!("import \"{import}\"\n{body}")).unwrap();
        p.to_str().unwrap().to_string()
    };
    let ok = write("ok.handoff", "shared/schema.handoff");
    assert_eq!(run(&["check", &ok], b"").0, 0);
    let absolute = dir.join("outside.handoff");
    let cases = [
        (write("abs.handoff", absolute.to_str().unwrap()), "H120"),
        (write("up.handoff", "../outside.handoff"), "H120"),
        (write("up-missing.handoff", "../nowhere.handoff"), "H120"),
        (write("passwd.handoff", "/etc/passwd"), "H121"),
        #[cfg(unix)]
        (write("link-out.handoff", "link.handoff"), "H120"),
    ];
    for (policy, code) in &cases {
        let (exit, out, _) = run(&["check", policy, "--format", "short"], b"");
        assert_eq!(exit, 1, "{policy}: {out}");
        assert!(out.contains(code), "{policy}: {out}");
        assert!(!out.contains("root:"), "never quotes the file: {out}");
        let (exit, _, err) = run(
            &["eval", policy, "--lead", "examples/inbound/lead-ready.json"],
            b"",
        );
        assert_eq!(exit, 1, "{err}");
    }
    // allowed on purpose: the ones that are policies load
    for (policy, code) in &cases[..2] {
        let (exit, out, _) = run(
            &[
                "check",
                policy,
                "--allow-outside-imports",
                "--format",
                "short",
            ],
            b"",
        );
        assert_eq!(exit, 0, "{policy} ({code}): {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `check DIR` finds every policy below it; a file another one imports is
/// checked with its importer, so the shipped examples pass both ways.
#[test]
fn check_walks_folders_and_checks_imported_files_with_their_importer() {
    let (code, out, err) = run(&["check", "examples"], b"");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no problems found"), "{out}");
    let mut files: Vec<String> = std::fs::read_dir("examples")
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path().to_str().unwrap().to_string())
        .filter(|f| f.ends_with(".handoff"))
        .collect();
    files.sort();
    assert!(files.iter().any(|f| f.ends_with("partner/shared.handoff")));
    let mut args = vec!["check", "--deny", "warnings"];
    args.extend(files.iter().map(String::as_str));
    let (code, out, err) = run(&args, b"");
    assert_eq!(code, 0, "{out}{err}");
    // alone, the shared file is not a policy
    let (code, _, _) = run(&["check", "examples/partner/shared.handoff"], b"");
    assert_eq!(code, 1);
    // a folder without policies is said, not passed
    let dir = temp_dir("empty");
    let (code, _, err) = run(&["check", dir.to_str().unwrap()], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no `.handoff` file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file that cannot be read: every format gives a complete document
/// that carries the failure, exit 2, and the other files are still checked.
#[test]
fn unreadable_files_are_in_every_format() {
    let args = |format: &'static str| ["check", "no/such.handoff", INBOUND, "--format", format];
    let (code, out, err) = run(&args("human"), b"");
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `no/such.handoff`"), "{err}");
    assert!(out.contains("1 file could not be read"), "{out}");
    assert!(!out.contains("no problems found"), "{out}");
    let (code, out, _) = run(&args("json"), b"");
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(doc["io_errors"][0]["file"], "no/such.handoff");
    assert_eq!(doc["errors"], 0);
    let (code, out, _) = run(&args("sarif"), b"");
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one SARIF document");
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(
        inv["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]
            ["artifactLocation"]["uri"],
        "no/such.handoff"
    );
    let (code, out, _) = run(&args("github"), b"");
    assert_eq!(code, 2);
    assert!(out.contains("::error file=no/such.handoff::"), "{out}");
    let (code, out, _) = run(&args("short"), b"");
    assert_eq!(code, 2);
    assert!(out.contains("no/such.handoff: error: cannot read"), "{out}");
    // nothing readable at all: still a whole document
    let (code, out, _) = run(&["check", "no/such.handoff", "--format", "sarif"], b"");
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one SARIF document");
    assert_eq!(doc["runs"][0]["results"].as_array().map(Vec::len), Some(0));
}

/// A policy that declares no handoff is refused by `check` as by `eval`.
#[test]
fn check_accepts_what_eval_accepts() {
    let policy = b"policy \"x\" { version \"1\" }\nlead { id: string }\n";
    let (code, out, _) = run(&["check", "-", "--format", "short"], policy);
    assert_eq!(code, 1);
    assert!(out.contains("H119"), "{out}");
    let (code, _, err) = run(
        &["eval", "-", "--lead", "examples/inbound/lead-ready.json"],
        policy,
    );
    assert_eq!(code, 1);
    assert!(err.contains("H119"), "{err}");
}

/// Progress goes to a terminal only: a batch with stderr on a pipe writes
/// the summary there and nothing of a progress bar.
#[test]
fn no_progress_bar_off_a_terminal() {
    let (code, out, err) = run(&["eval", INBOUND, "--leads", LEADS, "--now", NOW], b"");
    assert_eq!(code, 0);
    assert!(!err.contains('\r') && !err.contains("\x1b["), "{err:?}");
    assert!(out.lines().all(|l| l.starts_with('{')));
}

#[test]
fn fmt_rewrites_checks_and_diffs() {
    let dir = temp_dir("fmt");
    let messy = "signal engaged=score>=40\nsignal hot = score >= 80\n";
    let tidy = "signal engaged = score >= 40\nsignal hot = score >= 80\n";
    let file = dir.join("p.handoff");
    std::fs::write(&file, messy).unwrap();
    let path = file.to_str().unwrap();

    // --check: lists the file, exit 1, changes nothing
    let (code, out, err) = run(&["fmt", "--check", path], b"");
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.trim(), path);
    assert!(err.contains("not formatted"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy);

    // --diff: a unified diff, nothing changed
    let (code, out, _) = run(&["fmt", "--diff", path], b"");
    assert_eq!(code, 0);
    assert!(out.contains("-signal engaged=score>=40"), "{out}");
    assert!(out.contains("+signal engaged = score >= 40"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy);

    // a folder: rewritten in place, then clean
    let (code, _, err) = run(&["fmt", dir.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), tidy);
    let (code, out, _) = run(&["fmt", "--check", path], b"");
    assert_eq!((code, out.as_str()), (0, ""));

    // standard input to standard output
    let (code, out, _) = run(&["fmt", "-"], messy.as_bytes());
    assert_eq!((code, out.as_str()), (0, tidy));
}

#[test]
fn fmt_error_paths() {
    let dir = temp_dir("fmt-errors");
    // a file that does not parse: its errors, exit 1, left alone
    let broken = dir.join("broken.handoff");
    std::fs::write(&broken, "signal x = \n").unwrap();
    let (code, _, err) = run(&["fmt", broken.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(err.contains("does not parse"), "{err}");
    assert!(err.contains("H001"), "{err}");
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), "signal x = \n");
    // a file that does not exist: exit 2, named
    let (code, _, err) = run(&["fmt", "no/such.handoff"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no/such.handoff"), "{err}");
    // `-` with other files, and --check with --diff: usage errors
    let (code, _, err) = run(&["fmt", "-", broken.to_str().unwrap()], b"");
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run(&["fmt", "--check", "--diff", "-"], b"");
    assert_eq!(code, 2);
    // text that is not UTF-8: where, from a file and from standard input
    let latin1 = b"policy \"x\" {\n  version \"caf\xe9\"\n}\n";
    let not_utf8 = dir.join("latin1.handoff");
    std::fs::write(&not_utf8, latin1).unwrap();
    let (code, _, err) = run(&["fmt", not_utf8.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        err.contains("latin1.handoff:2:15 (byte 28): not UTF-8"),
        "{err}"
    );
    assert_eq!(std::fs::read(&not_utf8).unwrap(), latin1);
    let (code, _, err) = run(&["fmt", "-"], latin1);
    assert_eq!(code, 2);
    assert!(err.contains("<stdin>:2:15 (byte 28)"), "{err}");
    // an empty folder
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, _, err) = run(&["fmt", empty.to_str().unwrap()], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no `.handoff` file"), "{err}");
    // --help
    let (code, out, _) = run(&["fmt", "--help"], b"");
    assert_eq!(code, 0);
    assert!(out.contains("--check") && out.contains("--diff"), "{out}");
}
