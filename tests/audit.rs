//! The decision log: `eval --decision-log` writes a valid line per
//! decision and per error record, ids unique and sorted, personal data
//! never raw; concurrent writers and a writer killed mid-run leave only
//! whole lines; `handoff log` reads them back.

mod common;
#[path = "common/schema.rs"]
mod schema;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::run_cli;
use serde_json::Value;

const NOW: &str = "2025-06-01T12:00:00Z";

/// A fresh path for a log under the target's temporary folder.
fn temp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("audit");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn log_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "the log ends with a whole line");
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}: {l}", i + 1))
        })
        .collect()
}

fn schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string("docs/decision-log.schema.json").unwrap())
        .unwrap()
}

/// The string values of the lead fields the example policies declare
/// `pii`, wherever they are in a lead.
fn pii_values(v: &Value, out: &mut Vec<String>) {
    const PII: &[&str] = &[
        "email",
        "Email",
        "phone",
        "Phone",
        "MobilePhone",
        "mobile",
        "captured_ip",
        "notes",
    ];
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::String(s) if PII.contains(&k.as_str()) && s.len() >= 5 => {
                        out.push(s.clone())
                    }
                    _ => pii_values(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| pii_values(x, out)),
        _ => {}
    }
}

#[test]
fn every_example_batch_logs_valid_lines_without_raw_personal_data() {
    let schema = schema();
    let batches = [
        ("inbound", "leads.ndjson"),
        ("enterprise", "leads.ndjson"),
        ("partner", "leads.ndjson"),
        ("salesforce", "export-devorg.json"),
        ("salesforce", "export-easyspaces.json"),
    ];
    for (ex, leads) in batches {
        for jobs in ["1", "2"] {
            let log = temp(&format!("{ex}-{leads}-{jobs}"));
            let policy = format!("examples/{ex}/policy.handoff");
            let input = format!("examples/{ex}/{leads}");
            let args = [
                "eval",
                &policy,
                "--leads",
                &input,
                "--now",
                NOW,
                "--jobs",
                jobs,
                "--decision-log",
                log.to_str().unwrap(),
            ];
            let (code, out, err) = run_cli(&args, b"");
            assert!(code == 0 || code == 3, "{ex}: {err}");
            let lines = log_lines(&log);
            assert_eq!(
                lines.len(),
                out.lines().count(),
                "{ex}: a line per decision"
            );
            let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ex}: ids increase");
            assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
            for (i, (line, decision)) in lines.iter().zip(out.lines()).enumerate() {
                let errors = schema::validate(&schema, line);
                assert!(errors.is_empty(), "{ex} line {}: {errors:?}", i + 1);
                // the log says what the decision said, in input order
                let d: Value = serde_json::from_str(decision).unwrap();
                if let Some(e) = d.get("error") {
                    assert_eq!(line["error"]["kind"], e["kind"]);
                    assert_eq!(line["input"]["line"], e["line"]);
                    continue;
                }
                assert_eq!(line["lead_id"], d["lead_id"], "{ex} line {}", i + 1);
                assert_eq!(line["verdict"], d["verdict"]);
                assert_eq!(line["route"]["member"], d["route"]["member"]);
                assert_eq!(line["policy"], d["policy"]);
                if leads.ends_with(".ndjson") {
                    assert_eq!(line["input"]["line"], i + 1);
                } else {
                    assert_eq!(line["input"]["record"], i + 1);
                }
            }
            // what the policy declares pii is masked, and nothing raw of it
            let masked = lines[0]["masked"].as_array().unwrap();
            assert!(!masked.is_empty(), "{ex}: the example reads personal data");
            let text = std::fs::read_to_string(&log).unwrap();
            assert!(text.contains("\"•••\""), "{ex}");
            let mut pii = Vec::new();
            let input_text = std::fs::read_to_string(&input).unwrap();
            for v in serde_json::Deserializer::from_str(&input_text).into_iter::<Value>() {
                pii_values(&v.unwrap(), &mut pii);
            }
            assert!(!pii.is_empty(), "{ex}: the input has personal data");
            for raw in &pii {
                assert!(!text.contains(raw.as_str()), "{ex}: `{raw}` in the log");
            }
            let _ = std::fs::remove_file(&log);
        }
    }
}

#[test]
fn error_records_and_one_lead_are_logged() {
    let log = temp("errors");
    let l = log.to_str().unwrap();
    let p = "examples/inbound/policy.handoff";
    let input =
        b"{\"id\": \"ok\"}\n{\"id\": \"broken\", \"contact\": {\"email\": \"x@y.z\"}, \n[1]\n";
    let (code, _, _) = run_cli(
        &["eval", p, "--leads", "-", "--now", NOW, "--decision-log", l],
        input,
    );
    assert_eq!(code, 3);
    let (code, _, err) = run_cli(
        &[
            "eval",
            p,
            "--lead",
            "examples/inbound/lead-ready.json",
            "--now",
            NOW,
            "--decision-log",
            l,
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run_cli(
        &["eval", p, "--lead", "-", "--now", NOW, "--decision-log", l],
        b"{oops",
    );
    assert_eq!(code, 3);
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[1]["error"]["kind"], "invalid_json");
    assert_eq!(lines[1]["lead_id"], "broken");
    assert_eq!(lines[1]["input"]["line"], 2);
    assert_eq!(lines[2]["error"]["kind"], "not_an_object");
    assert!(
        lines[1].get("read").is_none(),
        "no lead data in an error line"
    );
    assert!(!std::fs::read_to_string(&log).unwrap().contains("x@y.z"));
    assert_eq!(lines[3]["verdict"], "handoff");
    assert_eq!(lines[3]["read"]["contact.email"], "•••");
    assert_eq!(lines[4]["error"]["kind"], "invalid_json");
    let schema = schema();
    for l in &lines {
        assert!(schema::validate(&schema, l).is_empty(), "{l}");
    }
    // the log must be a file
    let (code, _, err) = run_cli(&["eval", p, "--lead", "-", "--decision-log", "-"], b"{}");
    assert_eq!(code, 2);
    assert!(err.contains("must be a file"), "{err}");
    let dir = std::env::temp_dir();
    let (code, _, err) = run_cli(
        &[
            "eval",
            p,
            "--lead",
            "-",
            "--decision-log",
            dir.to_str().unwrap(),
        ],
        b"{}",
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot open the decision log"), "{err}");
}

/// The inbound leads `times` over, as one NDJSON file.
fn many_leads(name: &str, times: usize) -> PathBuf {
    let one = std::fs::read_to_string("examples/inbound/leads.ndjson").unwrap();
    let path = temp(name);
    std::fs::write(&path, one.repeat(times)).unwrap();
    path
}

fn eval_cmd(leads: &Path, log: &Path, jobs: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_handoff"));
    c.args([
        "eval",
        "examples/inbound/policy.handoff",
        "--now",
        NOW,
        "--jobs",
        jobs,
    ])
    .arg("--leads")
    .arg(leads)
    .arg("--decision-log")
    .arg(log)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

#[test]
fn concurrent_writers_leave_whole_lines() {
    let leads = many_leads("concurrent-leads", 20);
    let log = temp("concurrent.log");
    let mut a = eval_cmd(&leads, &log, "2").spawn().unwrap();
    let mut b = eval_cmd(&leads, &log, "1").spawn().unwrap();
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 2 * 20 * 300);
    let ids: HashSet<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), lines.len(), "ids are unique across processes");
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&leads);
}

#[test]
fn a_killed_writer_leaves_whole_lines_and_the_next_appends_cleanly() {
    let leads = many_leads("kill-leads", 400);
    let log = temp("killed.log");
    let mut child = eval_cmd(&leads, &log, "1").spawn().unwrap();
    // wait for a few batches, then kill it without warning (SIGKILL)
    let start = std::time::Instant::now();
    while std::fs::metadata(&log).map_or(0, |m| m.len()) < 600_000 {
        if child.try_wait().unwrap().is_some() || start.elapsed().as_secs() > 120 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let bytes = std::fs::read(&log).unwrap();
    let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let text = std::str::from_utf8(&bytes[..whole]).unwrap();
    let before = text.lines().count();
    assert!(before > 0, "the run logged before it was killed");
    for (i, l) in text.lines().enumerate() {
        let v: Result<Value, _> = serde_json::from_str(l);
        assert!(v.is_ok(), "line {} is whole: {l}", i + 1);
    }
    // at most a torn tail; force one to show the next writer copes
    let mut torn = bytes[..whole].to_vec();
    torn.extend_from_slice(b"{\"id\":\"01J");
    std::fs::write(&log, &torn).unwrap();
    let small = many_leads("kill-small", 1);
    assert!(eval_cmd(&small, &log, "2").status().unwrap().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.ends_with('\n'));
    let bad: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| serde_json::from_str::<Value>(l).is_err())
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        bad,
        vec![before + 1],
        "only the torn line, ended by the next writer"
    );
    assert_eq!(text.lines().count(), before + 1 + 300);
    // the reader reports it by number and reads the rest
    let (code, out, err) = run_cli(&["log", log.to_str().unwrap(), "--format", "json"], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), before + 300);
    assert!(
        err.contains(&format!(
            "killed.log-{}:{}:",
            std::process::id(),
            before + 1
        )),
        "{err}"
    );
    for p in [&log, &leads, &small] {
        let _ = std::fs::remove_file(p);
    }
}

const SMALL: &str = "tests/fixtures/audit/small.log";

#[test]
fn log_answers_by_lead_policy_and_verdict() {
    let json = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["log", SMALL, "--format", "json"];
        all.extend_from_slice(args);
        let (code, out, err) = run_cli(&all, b"");
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("small.log:8: torn line"), "{err}");
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let lead = json(&["--lead", "lead_00000000"]);
    assert_eq!(lead.len(), 2);
    assert!(
        lead[0]["id"].as_str() < lead[1]["id"].as_str(),
        "in time order"
    );
    assert_eq!(lead[1]["policy"]["version"], "2025.08");
    assert_eq!(json(&["--policy-version", "2025.07"]).len(), 6);
    assert_eq!(json(&["--policy-hash", "d2e565"]).len(), 1);
    assert_eq!(json(&["--verdict", "error"])[0]["lead_id"], "broken");
    assert_eq!(json(&["--verdict", "out-of-scope"]).len(), 0);
    assert_eq!(json(&["--verdict", "out_of_scope"]).len(), 0);
    assert_eq!(json(&["--since", "2025-06-01T12:05:00Z"]).len(), 2);
    assert_eq!(json(&["--until", "2025-06-01T12:01:00Z"]).len(), 1);
    assert_eq!(json(&["--since", "2025-06-02"]).len(), 0);
    // the lines as they are in the log
    let text = std::fs::read_to_string(SMALL).unwrap();
    let (_, out, _) = run_cli(&["log", SMALL, "--format", "json"], b"");
    assert!(text.starts_with(&out));
}

#[test]
fn log_text_output() {
    let (code, out, err) = run_cli(&["log", SMALL], b"");
    assert_eq!(code, 0);
    insta::assert_snapshot!(format!("{out}--- stderr\n{err}"));
}

#[test]
fn log_usage_errors() {
    let (code, _, err) = run_cli(&["log", "no/such.log"], b"");
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read decision log `no/such.log`"),
        "{err}"
    );
    let (code, _, err) = run_cli(&["log"], b"");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run_cli(
        &["log", SMALL, "--policy-version", "1", "--policy-hash", "ab"],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");
    let (code, _, err) = run_cli(&["log", SMALL, "--since", "yesterday"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("`--since yesterday`: not a time"), "{err}");
    let (code, _, err) = run_cli(&["log", SMALL, "--verdict", "maybe"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("invalid value"), "{err}");
    let (code, out, _) = run_cli(&["log", "--help"], b"");
    assert_eq!(code, 0);
    for option in [
        "--lead",
        "--policy-version",
        "--policy-hash",
        "--verdict",
        "--since",
        "--until",
        "--format",
    ] {
        assert!(out.contains(option), "{option} in --help");
    }
    let (_, out, _) = run_cli(&["eval", "--help"], b"");
    assert!(out.contains("--decision-log"));
}
