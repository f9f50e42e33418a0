//! The endpoints: evaluate one lead, a streamed batch, check policy text,
//! the policies served, health, metrics and the OpenAPI document.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{record_error, ApiError};
use super::registry::{Gen, Slot};
use super::stream::{BodyReader, BodyWriter};
use super::telemetry::{event, POLICY_HASH};
use super::App;

/// The query parameters of the evaluation endpoints.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvalQuery {
    /// The policy's name (its `policy "…"` header), needed when the server
    /// runs several.
    policy: Option<String>,
    /// Include the fields each signal read, as `handoff eval --explain`.
    explain: Option<bool>,
    /// The evaluation time, RFC 3339 (as `--now`); default: the clock.
    now: Option<String>,
}

/// An error: `{"error": {"code": …, "message": …}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code, such as `malformed_json` or `unknown_policy`.
    code: String,
    /// For people.
    message: String,
}

/// `/healthz` and `/readyz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    status: String,
}

/// A policy served.
#[derive(Serialize, ToSchema)]
pub struct PolicyInfo {
    /// The name in its header; `?policy=` takes it.
    name: String,
    /// The header's `version`, or null.
    version: Option<String>,
    /// SHA-256 of its source files, as every decision names it.
    hash: String,
    /// The file as given to `--policy`.
    file: String,
    /// When this version was loaded (RFC 3339).
    loaded_at: String,
    /// Whether it has round-robin or least-loaded teams (state in memory:
    /// one writer).
    stateful: bool,
    /// Those teams.
    stateful_teams: Vec<String>,
    /// The state keys they keep.
    state_keys: Vec<String>,
    /// The last reload refused since this version was loaded, or null.
    #[schema(value_type = Option<Object>)]
    last_rejected: Option<serde_json::Value>,
}

/// `GET /v1/policies`.
#[derive(Serialize, ToSchema)]
pub struct Policies {
    /// Every policy served, in the order given.
    policies: Vec<PolicyInfo>,
    /// The state file (`--state`), or null.
    state_file: Option<String>,
    /// How often the state is written, in seconds.
    state_interval_seconds: u64,
    /// What running several replicas means for these policies.
    replicas: String,
}

fn query(q: Result<Query<EvalQuery>, QueryRejection>) -> Result<EvalQuery, ApiError> {
    q.map(|Query(q)| q).map_err(|e| {
        ApiError::bad_request(
            "bad_query",
            format!(
                "{}; the parameters are `policy`, `explain` (true or false) and `now` (RFC 3339)",
                e.body_text()
            ),
        )
    })
}

/// Refuses a body whose type is none of `accepted` (a missing type is
/// taken as the first).
fn content_type(headers: &HeaderMap, accepted: &[&str]) -> Result<(), ApiError> {
    let Some(v) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = v.to_str().unwrap_or("?");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if accepted.contains(&essence.as_str()) {
        Ok(())
    } else {
        Err(ApiError::media_type(text, &accepted.join(" or ")))
    }
}

/// The body, whole, refused past `limit` bytes.
/// Advice for a lead over the limit.
const LEAD_TOO_LARGE: &str = "send batches to /v1/evaluate/batch, which streams";
/// Advice for a policy over the limit.
const POLICY_TOO_LARGE: &str =
    "check a policy this large with `handoff check`, or start the server with a higher `--max-body`";

async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    what_to_do: &str,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit, what_to_do));
    }
    let mut out = Vec::new();
    let mut frames = body.into_data_stream();
    while let Some(frame) = frames.next().await {
        let frame = frame.map_err(|e| {
            ApiError::bad_request(
                "body_unreadable",
                format!("the request body could not be read: {e}"),
            )
        })?;
        if out.len() + frame.len() > limit {
            return Err(ApiError::too_large(limit, what_to_do));
        }
        out.extend_from_slice(&frame);
    }
    Ok(out.into())
}

impl App {
    /// The policy a request names (or the only one).
    fn pick(&self, name: Option<&str>) -> Result<&Slot, ApiError> {
        let slots = &self.registry.slots;
        let names = || {
            slots
                .iter()
                .map(|s| format!("\"{}\"", s.current().name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match name {
            None if slots.len() == 1 => Ok(&slots[0]),
            None => Err(ApiError::bad_request(
                "policy_required",
                format!(
                    "{} policies are served; name one with `?policy=NAME`: {}",
                    slots.len(),
                    names()
                ),
            )),
            Some(n) => slots.iter().find(|s| s.current().name == n).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_policy",
                    format!(
                        "no policy named \"{n}\" is served; the policies are {}",
                        names()
                    ),
                )
            }),
        }
    }
}

fn now(q: &EvalQuery) -> Result<jiff::Timestamp, ApiError> {
    match &q.now {
        None => Ok(jiff::Timestamp::now()),
        Some(s) => {
            crate::eval::parse_now("now=", s).map_err(|m| ApiError::bad_request("bad_now", m))
        }
    }
}

/// The current version of `slot` and, when it hands out members in order,
/// its distribution locked (a version retired meanwhile is skipped).
async fn generation(
    slot: &Slot,
) -> (
    Arc<Gen>,
    Option<tokio::sync::OwnedMutexGuard<super::registry::RunCell>>,
) {
    loop {
        let gen = slot.current();
        if gen.keys.is_empty() {
            return (gen, None);
        }
        let cell = gen.run.clone().lock_owned().await;
        if !cell.retired {
            return (gen, Some(cell));
        }
    }
}

fn with_hash(mut r: Response, hash: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(hash) {
        r.headers_mut().insert(POLICY_HASH, v);
    }
    r
}

/// Evaluates one lead: its decision, as `handoff eval --lead` prints it.
#[utoipa::path(
    post,
    path = "/v1/evaluate",
    tag = "evaluate",
    params(EvalQuery),
    request_body(content = Object, content_type = "application/json", description = "One lead, a JSON object"),
    responses(
        (status = 200, description = "The decision (docs/decision.schema.json), one line", body = Object, content_type = "application/json"),
        (status = 400, description = "Malformed JSON, several leads (`several_leads`: send them to /v1/evaluate/batch), a bad query parameter or `now`, or several policies and none named", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
        (status = 404, description = "No policy of that name", body = ErrorBody),
        (status = 413, description = "The body is over `--max-body`", body = ErrorBody),
        (status = 415, description = "The body is not application/json", body = ErrorBody),
        (status = 422, description = "The lead is valid JSON but not an object", body = ErrorBody),
        (status = 503, description = "Over `--max-concurrency`", body = ErrorBody),
        (status = 504, description = "Over `--timeout`", body = ErrorBody),
    )
)]
pub async fn evaluate(
    State(app): State<Arc<App>>,
    q: Result<Query<EvalQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    content_type(&headers, &["application/json"])?;
    let slot = app.pick(q.policy.as_deref())?;
    let now = now(&q)?;
    let bytes = read_limited(&headers, body, app.max_body, LEAD_TOO_LARGE).await?;
    let mut gen = slot.current();
    let engine = if q.explain == Some(true) {
        &gen.explain
    } else {
        &gen.engine
    };
    let at = crate::audit::LogInput {
        line: 1,
        record: None,
    };
    let mut log_body = Vec::new();
    let lead = match crate::record::parse_lead(&bytes) {
        Ok(lead) => lead,
        Err(e) => {
            app.metrics
                .record_errors
                .with_label_values(&[&gen.name])
                .inc();
            if app.log.is_some() {
                let id = None;
                crate::audit::log_error(
                    engine.policy_ref(),
                    now,
                    id,
                    at,
                    e.kind,
                    &e.message,
                    &mut log_body,
                );
                log_body.push(b'\n');
                app.log_lines(&log_body)?;
            }
            // objects one after another: NDJSON sent to the one-lead
            // endpoint (an array is `not_an_object`, as documented)
            let objects = bytes.trim_ascii_start().starts_with(b"{");
            if let Some(what) = crate::batch::several_leads(&bytes).filter(|_| objects) {
                return Err(ApiError::bad_request(
                    "several_leads",
                    format!("the body holds {what}, not one lead: send them to /v1/evaluate/batch (NDJSON, one decision per lead)"),
                ));
            }
            return Err(record_error(&e));
        }
    };
    let explain = q.explain == Some(true);
    let (gen, out, log_body, verdict) = loop {
        if let Some((out, log_body, verdict)) =
            decide(&gen, explain, &lead, now, app.log.is_some()).await
        {
            break (gen, out, log_body, verdict);
        }
        // a reload took over meanwhile: decide with the new version
        gen = slot.current();
    };
    app.log_lines(&log_body)?;
    app.metrics
        .decisions
        .with_label_values(&[gen.name.as_str(), verdict])
        .inc();
    let r = ([(header::CONTENT_TYPE, "application/json")], out).into_response();
    Ok(with_hash(r, &gen.hash))
}

/// One lead's decision by `gen`: its line, its log line (when `logging`)
/// and its verdict; `None` when a reload retired `gen` before the member
/// could be assigned. Only the member waits for the lock, in request
/// order.
async fn decide(
    gen: &Gen,
    explain: bool,
    lead: &serde_json::Map<String, serde_json::Value>,
    now: jiff::Timestamp,
    logging: bool,
) -> Option<(Vec<u8>, Vec<u8>, &'static str)> {
    let engine = if explain { &gen.explain } else { &gen.engine };
    let mut d = engine.evaluate(lead, now);
    if engine.needs_assignment(&d) {
        let mut cell = gen.run.lock().await;
        if cell.retired {
            return None;
        }
        engine.assign_in_order(&mut d, &mut cell.run);
    }
    let mut log_body = Vec::new();
    if logging {
        let at = crate::audit::LogInput {
            line: 1,
            record: None,
        };
        crate::audit::log_entry(&d, at, &mut log_body);
        log_body.push(b'\n');
    }
    let mut out = Vec::with_capacity(2048);
    crate::batch::write_line(&d, false, &mut out);
    Some((out, log_body, d.verdict.as_str()))
}

impl App {
    /// Appends lines to the decision log and writes them out.
    fn log_lines(&self, bodies: &[u8]) -> Result<(), ApiError> {
        let Some(log) = &self.log.as_ref().filter(|_| !bodies.is_empty()) else {
            return Ok(());
        };
        let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
        log.add(bodies).and_then(|_| log.flush()).map_err(|e| {
            event(
                "error",
                &[
                    ("event", "decision_log".into()),
                    ("message", e.to_string().into()),
                ],
            );
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "decision_log_failed",
                "the decision could not be written to the decision log, so it is not given",
            )
        })
    }
}

/// Evaluates NDJSON, streamed both ways: one output line per input line,
/// in order, error records as `handoff eval --leads` writes them.
#[utoipa::path(
    post,
    path = "/v1/evaluate/batch",
    tag = "evaluate",
    params(EvalQuery),
    request_body(content = String, content_type = "application/x-ndjson", description = "Leads, one JSON object per line; streamed"),
    responses(
        (status = 200, description = "One line per input line: a decision or an error record", body = String, content_type = "application/x-ndjson"),
        (status = 400, description = "A bad query parameter or `now`, or several policies and none named", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
        (status = 404, description = "No policy of that name", body = ErrorBody),
        (status = 415, description = "The body is not NDJSON", body = ErrorBody),
        (status = 503, description = "Over `--max-concurrency`", body = ErrorBody),
    )
)]
pub async fn evaluate_batch(
    State(app): State<Arc<App>>,
    q: Result<Query<EvalQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    content_type(
        &headers,
        &[
            "application/x-ndjson",
            "application/ndjson",
            "application/jsonl",
            "application/json",
            "text/plain",
        ],
    )?;
    let slot = app.pick(q.policy.as_deref())?;
    let now = now(&q)?;
    let log = match &app.log_path {
        Some(p) => Some(
            crate::audit::LogWriter::open(p, jiff::Timestamp::now, std::process::id()).map_err(
                |e| {
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "decision_log_failed",
                        format!("cannot open the decision log: {e}"),
                    )
                },
            )?,
        ),
        None => None,
    };
    let (gen, cell) = generation(slot).await;
    let (in_tx, in_rx) = tokio::sync::mpsc::channel(8);
    let (out_tx, mut out_rx) = tokio::sync::mpsc::channel(4);
    // the first frame is awaited here, before the response starts: that
    // is when a client that sent `Expect: 100-continue` (curl does for
    // large uploads) is told to send the body, instead of waiting a second
    let mut frames = body.into_data_stream();
    let first = frames.next().await;
    tokio::spawn(async move {
        let mut frames = futures_util::stream::iter(first).chain(frames);
        while let Some(frame) = frames.next().await {
            let frame = frame.map_err(std::io::Error::other);
            let failed = frame.is_err();
            if in_tx.send(frame).await.is_err() || failed {
                break;
            }
        }
    });
    let explain = q.explain == Some(true);
    let hash = gen.hash.clone();
    let app2 = app.clone();
    tokio::task::spawn_blocking(move || {
        let engine = if explain { &gen.explain } else { &gen.engine };
        let opts = crate::batch::Options {
            now,
            pretty: false,
            jobs: app2.jobs,
            streaming: false,
            progress: None,
        };
        let mut cell = cell;
        let run = cell
            .as_mut()
            .map(|c| std::mem::take(&mut c.run))
            .unwrap_or_default();
        let failed = out_tx.clone();
        let mut log = log;
        let mut summary = crate::batch::run_continuing(
            engine,
            BodyReader::new(in_rx),
            BodyWriter::new(out_tx),
            &opts,
            log.as_mut(),
            run,
        );
        if let Some(c) = cell.as_mut() {
            c.run = std::mem::take(&mut summary.run);
        }
        drop(cell);
        for (verdict, n) in &summary.verdicts {
            app2.metrics
                .decisions
                .with_label_values(&[gen.name.as_str(), verdict])
                .inc_by(*n as u64);
        }
        app2.metrics
            .record_errors
            .with_label_values(&[&gen.name])
            .inc_by(summary.errors as u64);
        if let Some(Err(e)) = log.map(crate::audit::LogWriter::finish) {
            event(
                "error",
                &[
                    ("event", "decision_log".into()),
                    ("message", e.to_string().into()),
                ],
            );
        }
        if let Some(e) = summary.io_error {
            event(
                "warning",
                &[("event", "batch".into()), ("message", e.clone().into())],
            );
            // the response ends broken, so the client knows it is short
            let _ = failed.blocking_send(Err(std::io::Error::other(e)));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| out_rx.poll_recv(cx));
    let r = (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response();
    Ok(with_hash(r, &hash))
}

/// Checks policy text: the diagnostics, as `handoff check --format json`.
#[utoipa::path(
    post,
    path = "/v1/check",
    tag = "check",
    request_body(content = String, content_type = "text/plain", description = "Policy text (imports are not available)"),
    responses(
        (status = 200, description = "The diagnostics document of `handoff check --format json`", body = Object, content_type = "application/json"),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
        (status = 413, description = "The body is over `--max-body`", body = ErrorBody),
        (status = 415, description = "The body is not text", body = ErrorBody),
    )
)]
pub async fn check(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    content_type(
        &headers,
        &["text/plain", "text/x-handoff", "application/octet-stream"],
    )?;
    let bytes = read_limited(&headers, body, app.max_body, POLICY_TOO_LARGE).await?;
    let text = tokio::task::spawn_blocking(move || {
        let checked = crate::Checked::from_bytes("<request>", &bytes);
        let doc = crate::diag::render::render(
            crate::diag::render::Format::Json,
            &checked.sources,
            &checked.diagnostics,
            false,
        );
        let value: serde_json::Value = serde_json::from_str(&doc).unwrap_or_default();
        let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
        s.push('\n');
        s
    })
    .await
    .map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "checking the policy failed",
        )
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// The policies served.
#[utoipa::path(
    get,
    path = "/v1/policies",
    tag = "policies",
    responses(
        (status = 200, description = "The policies served and the last rejected reload of each", body = Policies),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
    )
)]
pub async fn policies(State(app): State<Arc<App>>) -> Response {
    let policies = app
        .registry
        .slots
        .iter()
        .map(|s| {
            let g = s.current();
            PolicyInfo {
                name: g.name.clone(),
                version: g.version.clone(),
                hash: g.hash.clone(),
                file: s.path.display().to_string(),
                loaded_at: g.loaded_at.to_string(),
                stateful: !g.keys.is_empty(),
                stateful_teams: g.stateful.clone(),
                state_keys: g.keys.clone(),
                last_rejected: s.rejected().map(|r| {
                    serde_json::json!({
                        "at": r.at.to_string(),
                        "message": r.message,
                        "diagnostics": r.diagnostics,
                    })
                }),
            }
        })
        .collect();
    let replicas = if app.registry.stateful() {
        "a policy with round-robin or least-loaded teams (stateful) hands out members from this process's memory: run one replica of it (one writer of its state); stateless policies scale by replicas behind any load balancer"
    } else {
        "every policy served is stateless: run as many replicas as needed behind any load balancer"
    };
    axum::Json(Policies {
        policies,
        state_file: app.registry.state_path().map(|p| p.display().to_string()),
        state_interval_seconds: app.state_interval.as_secs(),
        replicas: replicas.into(),
    })
    .into_response()
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Response {
    axum::Json(Health {
        status: "ok".into(),
    })
    .into_response()
}

/// Readiness: the policies are loaded and the server is not stopping.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Stopping", body = ErrorBody),
    )
)]
pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.ready.load(std::sync::atomic::Ordering::Relaxed) {
        axum::Json(Health {
            status: "ready".into(),
        })
        .into_response()
    } else {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the server is stopping",
        )
        .into_response()
    }
}

/// Prometheus metrics, text exposition.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
    )
)]
pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

/// This API, as OpenAPI 3.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI document", body = Object))
)]
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi_json(),
    )
        .into_response()
}
