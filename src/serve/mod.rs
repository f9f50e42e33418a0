//! `handoff serve`: the evaluator over HTTP, for programs that evaluate
//! leads without starting a process per record (docs/server.md).
//!
//! One lead (`POST /v1/evaluate`) or a streamed NDJSON batch
//! (`POST /v1/evaluate/batch`) against the policies loaded at the start;
//! policy text checked (`POST /v1/check`); the policies served
//! (`GET /v1/policies`); health, readiness, Prometheus metrics and this
//! API's OpenAPI document. Policies are reloaded when their files change
//! or on SIGHUP, only when they check clean; round-robin and least-loaded
//! teams hand out members in memory, in request order, and the state is
//! written to the state file on an interval and at shutdown.
//!
//! Built on axum and tokio; behind the default cargo feature `server`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower::ServiceBuilder;

mod error;
mod handlers;
mod registry;
mod stream;
mod telemetry;

pub use error::ApiError;
use registry::Registry;
use telemetry::{event, Metrics};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The policy files served.
    pub policies: Vec<PathBuf>,
    /// The address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// The state of round-robin and least-loaded teams: read at the start
    /// (a missing file is an empty state) and written atomically.
    pub state: Option<PathBuf>,
    /// How often the state is written (and the decision log synced).
    pub state_interval: Duration,
    /// The decision log appended to (docs/audit.md).
    pub decision_log: Option<PathBuf>,
    /// The bearer token every request but `/healthz` and `/readyz` needs.
    pub token: Option<String>,
    /// The largest body of `/v1/evaluate` and `/v1/check`.
    pub max_body: usize,
    /// The longest time to a response's start.
    pub timeout: Duration,
    /// The most requests handled at once; more are answered 503.
    pub max_concurrency: usize,
    /// Worker threads of one batch request.
    pub jobs: usize,
    /// Follow imports outside the policy's folder.
    pub allow_outside_imports: bool,
    /// How often policy files are looked at for changes; `None`: only on
    /// SIGHUP.
    pub watch: Option<Duration>,
    /// Write a JSON line per request on standard error.
    pub access_log: bool,
}

/// What every request shares.
pub struct App {
    registry: Registry,
    metrics: Metrics,
    token: Option<String>,
    max_body: usize,
    jobs: usize,
    log_path: Option<PathBuf>,
    log: Option<Mutex<crate::audit::LogWriter>>,
    access_log: bool,
    ready: AtomicBool,
    state_interval: Duration,
}

/// The OpenAPI 3 document of the server's API (`GET /v1/openapi.json`,
/// and docs/openapi.json), pretty-printed with a final newline.
pub fn openapi_json() -> String {
    use utoipa::OpenApi;
    let mut s = openapi::ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_default();
    s.push('\n');
    s
}

mod openapi {
    use super::handlers::*;

    /// The API.
    #[derive(utoipa::OpenApi)]
    #[openapi(
        info(
            title = "handoff",
            description = "Lead handoff policies over HTTP: evaluate leads, check policy text (docs/server.md)",
            license(name = "Apache-2.0")
        ),
        paths(evaluate, evaluate_batch, check, policies, healthz, readyz, metrics, openapi),
        components(schemas(ErrorBody, ErrorDetail, Health, PolicyInfo, Policies)),
        modifiers(&Bearer),
        security(("bearer" = []))
    )]
    pub struct ApiDoc;

    struct Bearer;

    impl utoipa::Modify for Bearer {
        fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
            use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
            if let Some(c) = doc.components.as_mut() {
                c.add_security_scheme(
                    "bearer",
                    SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
                );
            }
        }
    }
}

/// 503 over the concurrency limit, 504 over the time limit.
async fn overloaded(e: tower::BoxError) -> Response {
    if e.is::<tower::timeout::error::Elapsed>() {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            "the request took longer than `--timeout`",
        )
        .into_response()
    } else if e.is::<tower::load_shed::error::Overloaded>() {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the server is at `--max-concurrency` requests: try again shortly",
        )
        .into_response()
    } else {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()).into_response()
    }
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    event("error", &[("event", "panic".into())]);
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server failed on this request",
    )
    .into_response()
}

fn router(app: Arc<App>, config: &Config) -> Router {
    let limits = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(overloaded))
        .load_shed()
        .concurrency_limit(config.max_concurrency.max(1))
        .timeout(config.timeout);
    let guarded = Router::new()
        .route("/v1/evaluate", post(handlers::evaluate))
        .route("/v1/evaluate/batch", post(handlers::evaluate_batch))
        .route("/v1/check", post(handlers::check))
        .route("/v1/policies", get(handlers::policies))
        .route("/v1/openapi.json", get(handlers::openapi))
        .route("/metrics", get(handlers::metrics))
        .layer(limits)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            telemetry::authorize,
        ));
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .merge(guarded)
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint; see GET /v1/openapi.json",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method; see GET /v1/openapi.json",
            )
        })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            telemetry::observe,
        ))
        .with_state(app)
}

/// Runs the server until SIGTERM or SIGINT: loads the policies, binds,
/// calls `bound` with the address, serves, and at the end finishes the
/// requests in flight, writes the state and syncs the decision log.
pub fn run(config: Config, bound: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let registry = Registry::load(
        &config.policies,
        config.state.as_deref(),
        config.allow_outside_imports,
        config.decision_log.is_some(),
    )?;
    let log = match &config.decision_log {
        Some(p) => Some(Mutex::new(
            crate::audit::LogWriter::open(p, jiff::Timestamp::now, std::process::id())
                .map_err(|e| format!("cannot open the decision log `{}`: {e}", p.display()))?,
        )),
        None => None,
    };
    let app = Arc::new(App {
        registry,
        metrics: Metrics::new(),
        token: config.token.clone(),
        max_body: config.max_body,
        jobs: config.jobs.max(1),
        log_path: config.decision_log.clone(),
        log,
        access_log: config.access_log,
        ready: AtomicBool::new(true),
        state_interval: config.state_interval,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(serve(app, config, bound))
}

async fn serve(
    app: Arc<App>,
    config: Config,
    bound: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    // reloads: on SIGHUP, and when a file changed
    let reloader = app.clone();
    let watch = config.watch;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(watch.unwrap_or(Duration::from_secs(3600)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tick.tick().await;
        loop {
            let force = tokio::select! {
                _ = hup.recv() => true,
                _ = tick.tick(), if watch.is_some() => false,
            };
            let app = reloader.clone();
            let _ =
                tokio::task::spawn_blocking(move || app.registry.reload(force, &app.metrics)).await;
        }
    });
    // the state and the decision log reach the disk on an interval
    let saver = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(saver.state_interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tick.tick().await;
        loop {
            tick.tick().await;
            let app = saver.clone();
            let _ = tokio::task::spawn_blocking(move || app.persist()).await;
        }
    });
    let stopping = app.clone();
    let shutdown = async move {
        let which = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        stopping.ready.store(false, Ordering::Relaxed);
        event(
            "info",
            &[("event", "shutdown".into()), ("signal", which.into())],
        );
    };
    bound(addr);
    event(
        "info",
        &[
            ("event", "listening".into()),
            ("address", addr.to_string().into()),
            (
                "policies",
                app.registry
                    .slots
                    .iter()
                    .map(|s| s.current().name.clone())
                    .collect::<Vec<_>>()
                    .into(),
            ),
        ],
    );
    axum::serve(listener, router(app.clone(), &config))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| format!("the server failed: {e}"))?;
    // every request has finished: what they did reaches the disk
    let app2 = app.clone();
    tokio::task::spawn_blocking(move || app2.finish())
        .await
        .map_err(|e| e.to_string())?
}

impl App {
    /// Writes the state and the decision log's lines, and syncs the log.
    fn persist(&self) {
        if let Err(e) = self.registry.save_state() {
            event(
                "error",
                &[("event", "state".into()), ("message", e.to_string().into())],
            );
        }
        if let Some(log) = &self.log {
            let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = log.flush() {
                event(
                    "error",
                    &[
                        ("event", "decision_log".into()),
                        ("message", e.to_string().into()),
                    ],
                );
            }
        }
    }

    /// The last writes, at shutdown.
    fn finish(&self) -> Result<(), String> {
        self.registry
            .save_state()
            .map_err(|e| format!("cannot write the state: {e}"))?;
        if let Some(log) = &self.log {
            let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
            log.flush()
                .map_err(|e| format!("cannot write the decision log: {e}"))?;
        }
        event("info", &[("event", "stopped".into())]);
        Ok(())
    }
}
