//! What the server tells about itself: Prometheus metrics, JSON log lines
//! on standard error (events and one access line per request, without
//! query values or anything of the lead), and the bearer-token check.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use serde_json::Value;

use super::error::ApiError;
use super::App;

/// The server's metrics.
pub struct Metrics {
    /// Where they are registered, for `/metrics`.
    pub registry: Registry,
    /// Requests by endpoint, method and status.
    pub requests: IntCounterVec,
    /// Latency to the response's start, by endpoint and status.
    pub latency: HistogramVec,
    /// Decisions by policy and verdict.
    pub decisions: IntCounterVec,
    /// Records that could not be evaluated, by policy.
    pub record_errors: IntCounterVec,
    /// Reloads by policy and outcome (`ok`, `rejected`).
    pub reloads: IntCounterVec,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("registered once");
            c
        };
        let requests = counter(
            "handoff_http_requests_total",
            "HTTP requests by endpoint, method and status",
            &["endpoint", "method", "status"],
        );
        let decisions = counter(
            "handoff_decisions_total",
            "Decisions made, by policy and verdict",
            &["policy", "verdict"],
        );
        let record_errors = counter(
            "handoff_record_errors_total",
            "Lead records that could not be evaluated (error records and 4xx of single leads), by policy",
            &["policy"],
        );
        let reloads = counter(
            "handoff_policy_reloads_total",
            "Policy reloads by policy and outcome (ok, rejected)",
            &["policy", "outcome"],
        );
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "handoff_http_request_duration_seconds",
                "Time to the response's start, by endpoint and status",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0,
            ]),
            &["endpoint", "status"],
        )
        .expect("a valid metric");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        Metrics {
            registry,
            requests,
            latency,
            decisions,
            record_errors,
            reloads,
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus::TextEncoder::new().encode_utf8(&self.registry.gather(), &mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// Writes one JSON log line on standard error: `ts`, `level` and `fields`.
pub fn event(level: &str, fields: &[(&str, Value)]) {
    let mut m = serde_json::Map::new();
    m.insert(
        "ts".into(),
        jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
            .into(),
    );
    m.insert("level".into(), level.into());
    for (k, v) in fields {
        m.insert((*k).into(), v.clone());
    }
    let line = Value::Object(m).to_string();
    eprintln!("{line}");
}

/// The header a response names the deciding policy's hash in.
pub const POLICY_HASH: &str = "x-handoff-policy-hash";

/// Counts and times every request, and logs it: method, path (without the
/// query), status, latency, response bytes when known, and the hash of
/// the policy that decided. Nothing of the body.
pub async fn observe(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let endpoint = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16().to_string();
    app.metrics
        .requests
        .with_label_values(&[&endpoint, &method, &status])
        .inc();
    app.metrics
        .latency
        .with_label_values(&[&endpoint, &status])
        .observe(elapsed.as_secs_f64());
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    // known unless streamed
    let bytes = axum::body::HttpBody::size_hint(response.body()).exact();
    if app.access_log {
        event(
            "info",
            &[
                ("event", "request".into()),
                ("method", method.into()),
                // the path alone: query values may name leads
                ("path", path.into()),
                ("status", response.status().as_u16().into()),
                ("latency_ms", (elapsed.as_secs_f64() * 1000.0).into()),
                ("bytes", bytes.into()),
                ("policy_hash", header(POLICY_HASH).into()),
            ],
        );
    }
    response
}

/// Refuses a request without the bearer token, when the server has one.
/// The comparison takes the same time whatever the token's bytes.
pub async fn authorize(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let Some(token) = &app.token else {
        return next.run(req).await;
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // the scheme is case-insensitive (RFC 9110, 11.1)
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim_start());
    let same: bool = subtle::ConstantTimeEq::ct_eq(
        sha(given.as_bytes()).as_slice(),
        sha(token.as_bytes()).as_slice(),
    )
    .into();
    if !same {
        let mut r = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server needs `Authorization: Bearer TOKEN` with its token",
        )
        .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    next.run(req).await
}

/// Hashing both sides first makes the comparison's length fixed too.
fn sha(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
