//! Hostile paths for the files the CLI reads and writes: output files
//! (`metrics -o`, `eval --state-out`, `fmt` in place, `eval --output
//! X.parquet`) written through symlinks, into devices and FIFOs, keeping a
//! file's mode; whole-file reads (policies, `--lead`, `--state`,
//! `--token-file`, suites, `fmt`) that stop past their limit, so that
//! `/dev/zero` or a huge file is an error and not a read until memory runs
//! out; `log` over a line longer than its limit.
#![cfg(unix)]

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2025-06-01T12:00:00Z";
const INBOUND: &str = "examples/inbound/policy.handoff";
const LEADS: &str = "examples/inbound/leads.ndjson";
const LEAD: &str = "examples/inbound/lead-ready.json";

/// A folder of one test's own.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("handoff-files-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the CLI with `stdin` (a file, or nothing), killed after 60
/// seconds so that a read without end fails the test instead of hanging
/// CI; (exit code, stdout, stderr).
fn run(args: &[&str], stdin: Option<&Path>) -> (i32, String, String) {
    let input = match stdin {
        Some(p) => Stdio::from(File::open(p).unwrap()),
        None => Stdio::null(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(args)
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`handoff {}` ran for more than 60 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .unwrap()
        .file_type()
        .is_symlink()
}

/// A private character device 1,3 (what `/dev/null` is) in `dir`; `None`
/// when the process may not make one (not root).
fn private_null(dir: &Path) -> Option<PathBuf> {
    let p = dir.join("null");
    let made = Command::new("mknod")
        .arg(&p)
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status();
    if made.is_ok_and(|s| s.success()) {
        Some(p)
    } else {
        eprintln!("skipped the device: mknod needs root");
        None
    }
}

fn is_char_device(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .unwrap()
        .file_type()
        .is_char_device()
}

#[test]
fn metrics_output_follows_links_keeps_modes_and_devices() {
    let dir = temp_dir("metrics");
    let metrics = |out: &Path| {
        let (code, stdout, err) = run(
            &[
                "metrics",
                INBOUND,
                "--leads",
                LEADS,
                "--now",
                NOW,
                "-o",
                s(out),
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
        assert!(stdout.is_empty(), "{stdout}");
    };

    // a symlink: the file it names gets the report, the link stays
    let real = dir.join("real.txt");
    std::fs::write(&real, "old").unwrap();
    let link = dir.join("link.txt");
    std::os::unix::fs::symlink("real.txt", &link).unwrap();
    metrics(&link);
    assert!(is_link(&link));
    let report = std::fs::read_to_string(&real).unwrap();
    assert_ne!(report, "old");
    assert!(!report.is_empty());

    // a 0600 file stays 0600
    let private = dir.join("private.txt");
    std::fs::write(&private, "old").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    metrics(&private);
    assert_eq!(mode(&private), 0o600);
    assert_eq!(std::fs::read_to_string(&private).unwrap(), report);

    // a device is written into, not replaced by a regular file
    if let Some(null) = private_null(&dir) {
        metrics(&null);
        assert!(is_char_device(&null));
    }
}

#[test]
fn metrics_output_into_a_fifo_reaches_its_reader() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let (code, _, err) = run(
        &[
            "metrics",
            INBOUND,
            "--leads",
            LEADS,
            "--now",
            NOW,
            "-o",
            s(&fifo),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    // first: a FIFO replaced by a file leaves the reader waiting forever
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(!reader.join().unwrap().is_empty());
}

#[test]
fn state_out_through_a_link_keeps_the_link_and_the_mode() {
    let dir = temp_dir("state-out");
    let real = dir.join("state.json");
    std::fs::write(&real, "{}\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.join("current.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (code, _, err) = run(
        &[
            "eval",
            "examples/enterprise/policy.handoff",
            "--leads",
            "examples/enterprise/leads.ndjson",
            "--now",
            NOW,
            "--state",
            s(&link),
            "--state-out",
            s(&link),
        ],
        None,
    );
    assert!(code == 0 || code == 1, "{err}");
    assert!(is_link(&link));
    assert_eq!(mode(&real), 0o600);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert!(state.is_object(), "{state}");
}

#[test]
fn fmt_through_a_link_formats_the_file_it_names() {
    let dir = temp_dir("fmt-link");
    let real = dir.join("real.handoff");
    std::fs::write(&real, "signal engaged=score>=40\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.join("link.handoff");
    std::os::unix::fs::symlink("real.handoff", &link).unwrap();
    let (code, _, err) = run(&["fmt", s(&link)], None);
    assert_eq!(code, 0, "{err}");
    assert!(is_link(&link));
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "signal engaged = score >= 40\n"
    );
    assert_eq!(mode(&real), 0o640);
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_output_through_a_link_writes_the_file_it_names() {
    let dir = temp_dir("parquet-link");
    let real = dir.join("real.parquet");
    std::fs::write(&real, "old").unwrap();
    let link = dir.join("link.parquet");
    std::os::unix::fs::symlink("real.parquet", &link).unwrap();
    let (code, _, err) = run(
        &[
            "eval",
            INBOUND,
            "--leads",
            LEADS,
            "--now",
            NOW,
            "--output",
            s(&link),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(is_link(&link));
    assert!(std::fs::read(&real).unwrap().starts_with(b"PAR1"));
}

/// A symlink to `/dev/zero` named as the tests need (`x.handoff`,
/// `x.test.toml`): endless input under an ordinary name.
fn zero(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
    p
}

#[test]
fn an_endless_policy_is_h003_after_a_bounded_read() {
    let dir = temp_dir("zero-policy");
    let policy = zero(&dir, "zero.handoff");
    let (code, err, _) = run(&["check", s(&policy)], None);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("H003"), "{err}");
    assert!(
        err.contains("longer than the limit of 8388608 bytes"),
        "{err}"
    );

    // standard input
    let (code, err, _) = run(&["check", "-"], Some(Path::new("/dev/zero")));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("H003"), "{err}");
    let (code, _, err) = run(&["eval", "-", "--lead", LEAD], Some(Path::new("/dev/zero")));
    assert_ne!(code, 0);
    assert!(err.contains("H003"), "{err}");

    // an import (its link leads out of the folder: allowed here)
    let root = dir.join("root.handoff");
    std::fs::write(&root, "import \"zero.handoff\"\n").unwrap();
    let (code, err, _) = run(&["check", "--allow-outside-imports", s(&root)], None);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("H003"), "{err}");
}

#[test]
fn a_policy_one_byte_over_the_limit_is_h003_with_its_size() {
    let dir = temp_dir("big-policy");
    let big = dir.join("big.handoff");
    std::fs::write(&big, vec![b' '; 8 * 1024 * 1024 + 1]).unwrap();
    let (code, err, _) = run(&["check", s(&big)], None);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the policy file is 8388609 bytes, more than the limit of 8388608 bytes"),
        "{err}"
    );
    let (code, _, err) = run(&["fmt", s(&big)], None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("more than the limit of 8388608 bytes"),
        "{err}"
    );
    assert!(err.contains("import"), "{err}");
}

#[test]
fn endless_inputs_are_refused_after_their_limit() {
    let dir = temp_dir("zero-inputs");
    let z = zero(&dir, "zero");

    // --lead: the record's own error
    let (code, _, err) = run(&["eval", INBOUND, "--lead", s(&z), "--now", NOW], None);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("the record is longer than the limit of 8388608 bytes"),
        "{err}"
    );
    let (code, _, err) = run(
        &["eval", INBOUND, "--lead", "-", "--now", NOW],
        Some(Path::new("/dev/zero")),
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("the record is longer than the limit"), "{err}");

    // --state
    let (code, _, err) = run(
        &[
            "eval",
            INBOUND,
            "--lead",
            LEAD,
            "--now",
            NOW,
            "--state",
            s(&z),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("state file `{}`", s(&z))), "{err}");
    assert!(
        err.contains("longer than the limit of 268435456 bytes"),
        "{err}"
    );

    // fmt, a file and standard input
    let (code, _, err) = run(&["fmt", s(&z)], None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("longer than the limit of 8388608 bytes"),
        "{err}"
    );
    let (code, _, err) = run(&["fmt", "-"], Some(Path::new("/dev/zero")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("longer than the limit"), "{err}");

    // a test suite
    let suite = zero(&dir, "zero.test.toml");
    let (code, _, err) = run(&["test", s(&suite)], None);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("longer than the limit"), "{err}");
    let (code, out, err) = run(&["check", s(&suite)], None);
    let err = out + &err;
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("longer than the limit"), "{err}");
}

#[cfg(feature = "server")]
#[test]
fn an_endless_token_file_is_refused() {
    let dir = temp_dir("zero-token");
    let z = zero(&dir, "token");
    let (code, _, err) = run(&["serve", "--policy", INBOUND, "--token-file", s(&z)], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the token file"), "{err}");
    assert!(err.contains("longer than the limit of 4096 bytes"), "{err}");
}

#[test]
fn log_skips_a_line_over_its_limit_and_names_it() {
    let dir = temp_dir("log-long");
    let log = dir.join("decisions.log");
    let good = r#"{"id":"01JXAMPLE0000000000000000","logged_at":"2025-06-01T12:00:00.000Z","lead_id":"a","verdict":"hold"}"#;
    let mut text = Vec::with_capacity(17 << 20);
    text.extend_from_slice(good.as_bytes());
    text.push(b'\n');
    text.resize(text.len() + (16 << 20) + 1, b'x');
    text.push(b'\n');
    text.extend_from_slice(good.as_bytes());
    text.push(b'\n');
    std::fs::write(&log, text).unwrap();
    let (code, out, err) = run(&["log", s(&log), "--format", "json"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        err.contains(&format!(
            "{}:2: the line is longer than the limit of 16777216 bytes",
            s(&log)
        )),
        "{err}"
    );
}
