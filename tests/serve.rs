//! `handoff serve` driven over real HTTP: the binary on an ephemeral
//! loopback port, every endpoint, errors, the streamed batch against
//! `handoff eval --leads`, reloads, the state across a restart and the
//! decision log at shutdown. No timing assertions: waits poll.
#![cfg(feature = "server")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2025-06-01T12:00:00Z";
const INBOUND: &str = "examples/inbound/policy.handoff";

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_env(args, &[])
    }

    fn start_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_handoff"));
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0", "--no-access-log"])
            .args(args)
            .env_remove("HANDOFF_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no address line: {line:?}"))
            .to_string();
        Server { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// SIGTERM, and the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        self.signal("-TERM");
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Status, body.
fn post(url: &str, ctype: &str, body: &[u8]) -> (u16, String) {
    post_auth(url, ctype, body, None)
}

fn post_auth(url: &str, ctype: &str, body: &[u8], token: Option<&str>) -> (u16, String) {
    let mut req = agent().post(url).header("Content-Type", ctype);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.send(body).unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap())
}

fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.call().unwrap();
    let status = r.status().as_u16();
    (
        status,
        r.body_mut()
            .with_config()
            .limit(100 << 20)
            .read_to_string()
            .unwrap(),
    )
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn code(body: &str) -> String {
    json(body)["error"]["code"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("serve-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cli(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap().stdout
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited too long for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The decision is what `handoff eval --lead` prints, byte for byte.
#[test]
fn evaluate_gives_the_decision_of_eval() {
    let s = Server::start(&["--policy", INBOUND]);
    let lead = std::fs::read("examples/inbound/lead-ready.json").unwrap();
    for (query, flag) in [("", None), ("&explain=true", Some("--explain"))] {
        let (status, body) = post(
            &s.url(&format!("/v1/evaluate?now={NOW}{query}")),
            "application/json",
            &lead,
        );
        assert_eq!(status, 200, "{body}");
        let mut args = vec![
            "eval",
            INBOUND,
            "--lead",
            "examples/inbound/lead-ready.json",
            "--now",
            NOW,
        ];
        args.extend(flag);
        assert_eq!(body.as_bytes(), cli(&args, b""));
    }
    // health, readiness, policies, metrics, the document
    assert_eq!(get(&s.url("/healthz"), None).0, 200);
    assert_eq!(json(&get(&s.url("/readyz"), None).1)["status"], "ready");
    let (_, body) = get(&s.url("/v1/policies"), None);
    let p = &json(&body)["policies"][0];
    assert_eq!(p["name"], "Inbound demand to sales");
    assert_eq!(p["stateful"], true);
    assert!(p["last_rejected"].is_null());
    assert!(json(&body)["replicas"]
        .as_str()
        .unwrap()
        .contains("one replica"));
    let (status, metrics) = get(&s.url("/metrics"), None);
    assert_eq!(status, 200);
    assert!(
        metrics.contains(
            "handoff_decisions_total{policy=\"Inbound demand to sales\",verdict=\"handoff\"} 2"
        ),
        "{metrics}"
    );
    assert!(metrics.contains(
        "handoff_http_request_duration_seconds_bucket{endpoint=\"/v1/evaluate\",status=\"200\""
    ));
    assert_eq!(
        get(&s.url("/v1/openapi.json"), None).1,
        handoff::serve::openapi_json()
    );
}

/// Every bad request gets its status and a JSON error.
#[test]
fn bad_requests_get_json_errors() {
    let s = Server::start(&[
        "--policy",
        INBOUND,
        "examples/partner/policy.handoff",
        "--max-body",
        "1KiB",
    ]);
    let ev =
        |q: &str, ctype: &str, body: &[u8]| post(&s.url(&format!("/v1/evaluate{q}")), ctype, body);
    let inbound = "?policy=Inbound%20demand%20to%20sales";
    let cases: Vec<(u16, &str, (u16, String))> = vec![
        (400, "policy_required", ev("", "application/json", b"{}")),
        (
            404,
            "unknown_policy",
            ev("?policy=nope", "application/json", b"{}"),
        ),
        (
            400,
            "malformed_json",
            ev(inbound, "application/json", b"{\"id\": "),
        ),
        (
            422,
            "not_an_object",
            ev(inbound, "application/json", b"[1, 2]"),
        ),
        (
            415,
            "unsupported_media_type",
            ev(inbound, "text/csv", b"{}"),
        ),
        (
            413,
            "body_too_large",
            ev(inbound, "application/json", &[b' '; 4096]),
        ),
        (
            400,
            "bad_now",
            ev(
                &format!("{inbound}&now=2025-13-01"),
                "application/json",
                b"{}",
            ),
        ),
        (
            400,
            "bad_query",
            ev(
                &format!("{inbound}&explain=maybe"),
                "application/json",
                b"{}",
            ),
        ),
        (
            400,
            "bad_query",
            ev(&format!("{inbound}&polcy=x"), "application/json", b"{}"),
        ),
        (404, "not_found", get(&s.url("/v2/nothing"), None)),
        (405, "method_not_allowed", get(&s.url("/v1/evaluate"), None)),
        (
            413,
            "body_too_large",
            post(&s.url("/v1/check"), "text/plain", &[b'#'; 2048]),
        ),
        (
            400,
            "several_leads",
            ev(
                inbound,
                "application/json",
                b"{\"id\": \"a\"}\n{\"id\": \"b\"}\n",
            ),
        ),
    ];
    for (status, c, (got, body)) in cases {
        assert_eq!((got, code(&body).as_str()), (status, c), "{body}");
        assert!(!json(&body)["error"]["message"].as_str().unwrap().is_empty());
    }
    // the error names the policies served
    let (_, body) = ev("?policy=nope", "application/json", b"{}");
    assert!(
        body.contains("Inbound demand to sales") && body.contains("Partner"),
        "{body}"
    );
    let (status, _) = ev(inbound, "application/json", b"{\"id\": \"x\"}");
    assert_eq!(status, 200);
    // each message says what to do about this request
    let (_, body) = ev(
        inbound,
        "application/json",
        b"{\"id\": \"a\"}\n{\"id\": \"b\"}",
    );
    assert!(
        body.contains("a second lead starts on line 2") && body.contains("/v1/evaluate/batch"),
        "{body}"
    );
    let (_, body) = post(&s.url("/v1/check"), "text/plain", &[b'#'; 2048]);
    assert!(
        body.contains("handoff check") && !body.contains("/v1/evaluate/batch"),
        "{body}"
    );
    let (_, body) = ev(inbound, "application/json", &[b' '; 4096]);
    assert!(body.contains("/v1/evaluate/batch"), "{body}");
}

#[test]
fn a_token_guards_all_but_health() {
    let dir = tmp("token");
    let file = dir.join("token");
    std::fs::write(&file, "s3cret-token\n").unwrap();
    let s = Server::start(&["--policy", INBOUND, "--token-file", file.to_str().unwrap()]);
    let url = s.url("/v1/evaluate");
    assert_eq!(
        code(&post(&url, "application/json", b"{}").1),
        "unauthorized"
    );
    let (status, _) = post_auth(&url, "application/json", b"{}", Some("wrong"));
    assert_eq!(status, 401);
    let (status, _) = post_auth(&url, "application/json", b"{}", Some("s3cret-token"));
    assert_eq!(status, 200);
    // the scheme in any case (RFC 9110)
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let mut r = agent()
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Authorization", &format!("{scheme} s3cret-token"))
            .send(&b"{}"[..])
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{scheme}");
        let _ = r.body_mut().read_to_string();
    }
    let r = agent()
        .post(&url)
        .header("Content-Type", "application/json")
        .header("Authorization", "Basic s3cret-token")
        .send(&b"{}"[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(get(&s.url("/v1/policies"), None).0, 401);
    assert_eq!(get(&s.url("/metrics"), None).0, 401);
    assert_eq!(get(&s.url("/healthz"), None).0, 200);
    assert_eq!(get(&s.url("/readyz"), None).0, 200);
    drop(s);
    // or from the environment
    let s = Server::start_env(&["--policy", INBOUND], &[("HANDOFF_TOKEN", "from-env")]);
    assert_eq!(get(&s.url("/v1/policies"), Some("from-env")).0, 200);
    assert_eq!(get(&s.url("/v1/policies"), None).0, 401);
}

/// The batch answers every line as `eval --leads` does, broken lines
/// included, byte for byte.
#[test]
fn the_batch_streams_the_lines_of_eval() {
    let dir = tmp("batch");
    let mut input = std::fs::read("examples/inbound/leads.ndjson").unwrap();
    input.extend_from_slice(
        b"{not json\n[1, 2]\n\n{\"id\": \"tail\", \"source\": \"webinar\"}\n{\"id\": ",
    );
    let file = dir.join("leads.ndjson");
    std::fs::write(&file, &input).unwrap();
    let want = cli(
        &[
            "eval",
            INBOUND,
            "--leads",
            file.to_str().unwrap(),
            "--now",
            NOW,
        ],
        b"",
    );
    let s = Server::start(&["--policy", INBOUND, "--max-body", "1KiB"]);
    let (status, got) = post(
        &s.url(&format!("/v1/evaluate/batch?now={NOW}")),
        "application/x-ndjson",
        &input,
    );
    assert_eq!(status, 200);
    assert_eq!(got.lines().count(), input.split(|b| *b == b'\n').count());
    assert_eq!(got.as_bytes(), want.as_slice());
    assert_eq!(
        code(&post(&s.url("/v1/evaluate/batch"), "text/csv", b"").1),
        "unsupported_media_type"
    );
}

#[test]
fn check_gives_the_diagnostics_of_check() {
    let s = Server::start(&["--policy", INBOUND]);
    let text = b"policy \"x\" { version \"1\" }\nlead { id: strng }\n";
    let (status, body) = post(&s.url("/v1/check"), "text/plain", text);
    assert_eq!(status, 200);
    let want = String::from_utf8(cli(&["check", "--format", "json", "-"], text)).unwrap();
    assert_eq!(body, want.replace("<stdin>", "<request>"));
    assert!(json(&body)["errors"].as_u64().unwrap() > 0);
}

fn hash_of(s: &Server) -> String {
    let (_, body) = post(
        &s.url("/v1/evaluate"),
        "application/json",
        b"{\"id\": \"h\"}",
    );
    json(&body)["policy"]["hash"].as_str().unwrap().to_string()
}

/// A broken version keeps the old one serving and shows its diagnostics;
/// a good one replaces it, by file change and by SIGHUP.
#[test]
fn reloads_take_only_clean_policies() {
    let dir = tmp("reload");
    let policy = dir.join("policy.handoff");
    let good = std::fs::read_to_string(INBOUND).unwrap();
    std::fs::write(&policy, &good).unwrap();
    let s = Server::start(&["--policy", policy.to_str().unwrap()]);
    let first = hash_of(&s);
    std::fs::write(
        &policy,
        good.replace("team sdr_pool", "team sdr_pool sdr_pool"),
    )
    .unwrap();
    let policies_of =
        |s: &Server| json(&get(&s.url("/v1/policies"), None).1)["policies"][0].clone();
    let policies = || policies_of(&s);
    wait_for("the rejected reload", || {
        !policies()["last_rejected"].is_null()
    });
    let rejected = &policies()["last_rejected"];
    assert!(
        rejected["diagnostics"]["errors"].as_u64().unwrap() > 0,
        "{rejected}"
    );
    assert_eq!(hash_of(&s), first);
    let (_, metrics) = get(&s.url("/metrics"), None);
    assert!(
        metrics.contains("handoff_policy_reloads_total{outcome=\"rejected\""),
        "{metrics}"
    );
    // a good version: the new hash decides
    std::fs::write(&policy, good.replace("2025.07", "2025.08")).unwrap();
    wait_for("the new version", || hash_of(&s) != first);
    assert!(policies()["last_rejected"].is_null());
    assert_eq!(policies()["version"], "2025.08");
    drop(s);
    // SIGHUP, with watching off
    let s = Server::start(&["--policy", policy.to_str().unwrap(), "--no-watch"]);
    let second = hash_of(&s);
    std::fs::write(&policy, good.replace("2025.07", "2025.09")).unwrap();
    s.signal("-HUP");
    wait_for("the reload on SIGHUP", || hash_of(&s) != second);
    assert_eq!(policies_of(&s)["version"], "2025.09");
}

/// A round-robin team continues across a restart; the decision log has a
/// line per decision once the server stopped.
#[test]
fn state_and_log_survive_a_restart() {
    let dir = tmp("state");
    let state = dir.join("state.json");
    let log = dir.join("decisions.log");
    let leads = std::fs::read_to_string("examples/inbound/leads.ndjson").unwrap();
    // a lead the policy hands to the round-robin `sdr_pool`
    let lead = leads.lines().nth(159).unwrap().as_bytes().to_vec();
    let args = [
        "--policy",
        INBOUND,
        "--state",
        state.to_str().unwrap(),
        "--decision-log",
        log.to_str().unwrap(),
    ];
    let member = |s: &Server| {
        let (_, body) = post(
            &s.url(&format!("/v1/evaluate?now={NOW}")),
            "application/json",
            &lead,
        );
        json(&body)["route"]["member"].as_str().unwrap().to_string()
    };
    let s = Server::start(&args);
    let a = member(&s);
    let b = member(&s);
    assert_ne!(a, b);
    assert!(s.stop().success());
    assert_eq!(
        json(&std::fs::read_to_string(&state).unwrap())["sdr_pool_cursor"],
        2
    );
    let s = Server::start(&args);
    let c = member(&s);
    // what `eval` gives from the same state
    let lead_file = dir.join("lead.json");
    std::fs::write(&lead_file, &lead).unwrap();
    let want = cli(
        &[
            "eval",
            INBOUND,
            "--lead",
            lead_file.to_str().unwrap(),
            "--now",
            NOW,
            "--state",
            state.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(
        json(std::str::from_utf8(&want).unwrap())["route"]["member"].as_str(),
        Some(c.as_str())
    );
    let (status, _) = post(&s.url("/v1/evaluate"), "application/json", b"[1]");
    assert_eq!(status, 422);
    assert!(s.stop().success());
    assert_eq!(
        json(&std::fs::read_to_string(&state).unwrap())["sdr_pool_cursor"],
        3
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(json).collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[2]["route"]["member"].as_str(), Some(c.as_str()));
    assert_eq!(lines[3]["error"]["kind"], "not_an_object");
}

/// docs/openapi.json is the document the code makes; regenerate with
/// `UPDATE_OPENAPI=1 cargo test --test serve openapi`.
#[test]
fn openapi_document_is_up_to_date() {
    let doc = handoff::serve::openapi_json();
    let path = Path::new("docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &doc).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == doc,
        "docs/openapi.json is not the document the code makes: run `UPDATE_OPENAPI=1 cargo test --test serve openapi`"
    );
    let v = json(&doc);
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/v1/evaluate",
        "/v1/evaluate/batch",
        "/v1/check",
        "/v1/policies",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(v["paths"][p].is_object(), "{p}");
    }
}

/// `--listen` takes a host name as well as an IP address, and says what it
/// wants when given neither.
#[test]
fn listen_takes_names_and_explains_bad_addresses() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(["serve", "--no-access-log", "--listen", "localhost:0"])
        .args(["--policy", INBOUND])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("listening on http://"), "{line}");
    for bad in [
        "nohost",
        "localhost:notaport",
        ":8080",
        "no.such.host.invalid:8080",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_handoff"))
            .args(["serve", "--listen", bad, "--policy", INBOUND])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("`--listen {bad}`")), "{bad}: {err}");
        assert!(err.contains("HOST:PORT"), "{bad}: {err}");
    }
}
