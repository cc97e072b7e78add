//! Routes, the layers around them, and the accept loop.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `POST /v1alpha1/comments:analyze` (also `/comments:analyze`) | key | Perspective's analyze |
//! | `POST /v1alpha1/comments:suggestscore` | key | refused: nothing is stored |
//! | `POST /coral/moderation` | Coral signature | Coral's external moderation phase |
//! | `POST /v1/score` | key | `stance-score --format jsonl` rows |
//! | `POST /admin/reload` | key | reload models, policy, keys, secrets, stories |
//! | `GET /healthz`, `GET /metrics` | none | health, Prometheus metrics |
//!
//! Every answer is observed by one layer: the access log line (method, route, status,
//! latency, key id, peer; never the comment text unless `--log-comment-text`, and never
//! for `doNotStore` requests), the metrics, the in-flight gauge and the per-request
//! timeout. Bodies are read with the size limit and the same deadline; errors are
//! Google-shaped JSON ([`ApiError`]). Connections are served by hyper with a header
//! read timeout (slow clients), and shut down gracefully: on the shutdown signal the
//! listener closes and in-flight requests finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::auth::{key_id, request_key};
use super::engine::{InputRow, Verdict};
use super::holder::Holder;
use super::metrics::Metrics;
use super::ratelimit::Limiter;
use super::{coral, native, perspective, ApiError, ServeConfig};

/// Shared by all requests.
#[derive(Debug)]
pub struct AppState {
    /// Loaded models and settings.
    pub holder: Holder,
    /// Metrics.
    pub metrics: Metrics,
    limiter: Limiter,
    /// Scoring jobs run on blocking threads, at most this many at once (one per core),
    /// so that thread-local scratch memory stays bounded.
    scoring: Arc<Semaphore>,
}

type Shared = Arc<AppState>;

/// What the access log says about a request beyond method, route and status (put in
/// the response's extensions by the handlers).
#[derive(Debug, Clone, Default)]
struct LogNote(Vec<(&'static str, String)>);

/// The key id of an authenticated request (response extension).
#[derive(Debug, Clone)]
struct KeyId(String);

fn endpoint(path: &str) -> &'static str {
    match path {
        "/v1alpha1/comments:analyze" | "/comments:analyze" => "analyze",
        "/v1alpha1/comments:suggestscore" | "/comments:suggestscore" => "suggestscore",
        "/coral/moderation" => "coral",
        "/v1/score" => "score",
        "/admin/reload" => "reload",
        "/healthz" => "healthz",
        "/metrics" => "metrics",
        _ => "other",
    }
}

/// When a request must be answered (request extension, set by [`observe`]).
#[derive(Debug, Clone, Copy)]
struct Deadline(tokio::time::Instant);

/// Time the outer deadline leaves after the body's, so that a body that stops arriving
/// is answered 408 (the client's fault) rather than 504.
const BODY_MARGIN: Duration = Duration::from_millis(100);

/// Reads a request's body within the size limit and the request's deadline.
async fn read_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    let deadline = req
        .extensions()
        .get::<Deadline>()
        .map(|d| d.0)
        .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(10));
    let body = req.into_body();
    match tokio::time::timeout_at(deadline, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "DEADLINE_EXCEEDED",
            "the request body did not arrive before the request's deadline (--timeout-ms)",
        )),
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            if too_large {
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "INVALID_ARGUMENT",
                    format!("request body larger than {limit} bytes (--max-body-bytes)"),
                ))
            } else {
                Err(ApiError::invalid(format!(
                    "could not read the request body: {e}"
                )))
            }
        }
        Ok(Ok(b)) => Ok(b),
    }
}

/// The outer layer: timeout, access log, metrics.
async fn observe(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let ep = endpoint(&path);
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    let timeout = app.holder.config().timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    req.extensions_mut().insert(Deadline(deadline));
    app.metrics.in_flight.inc();
    let mut resp = match tokio::time::timeout_at(deadline + BODY_MARGIN, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "DEADLINE_EXCEEDED",
            format!("the request took longer than {} ms", timeout.as_millis()),
        )
        .into_response(),
    };
    app.metrics.in_flight.dec();
    let secs = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    let err = resp.extensions().get::<ApiError>().cloned();
    app.metrics
        .request(ep, status, secs, err.as_ref().map(|e| e.status));
    let key = resp
        .extensions()
        .get::<KeyId>()
        .map(|k| k.0.clone())
        .unwrap_or_default();
    let note = resp
        .extensions_mut()
        .remove::<LogNote>()
        .unwrap_or_default()
        .0
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    tracing::info!(
        target: "access",
        method = %method,
        endpoint = ep,
        path = %path,
        status,
        ms = (secs * 1e6).round() / 1e3,
        key = %key,
        peer = %peer,
        error = err.as_ref().map(|e| e.message.as_str()).unwrap_or(""),
        note = %note,
    );
    resp
}

/// API key and rate limit, for the routes that need a key.
async fn require_key(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let loaded = app.holder.get();
    let key = request_key(
        req.uri().query(),
        req.headers().get("x-api-key").and_then(|v| v.to_str().ok()),
    );
    let id = match (&loaded.keys, key) {
        (None, k) => k.map(|k| key_id(&k)).unwrap_or_else(|| "-".into()),
        (Some(_), None) => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "no API key: pass it as ?key= or in an x-api-key header",
            )
            .into_response()
        }
        (Some(keys), Some(k)) => {
            if !keys.accepts(&k) {
                let mut r = ApiError::new(
                    StatusCode::FORBIDDEN,
                    "PERMISSION_DENIED",
                    "API key not valid. Please pass a valid API key.",
                )
                .into_response();
                r.extensions_mut().insert(KeyId(key_id(&k)));
                return r;
            }
            key_id(&k)
        }
    };
    drop(loaded);
    let mut resp = match app.limiter.check(&id) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                format!(
                    "rate limit of {} requests per second for this key exceeded",
                    app.holder.config().rate_limit
                ),
            )
            .into_response();
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            r
        }
    };
    resp.extensions_mut().insert(KeyId(id));
    resp
}

fn json_response(status: StatusCode, v: &serde_json::Value, note: LogNote) -> Response {
    let mut r = (status, axum::Json(v)).into_response();
    r.extensions_mut().insert(note);
    r
}

fn record_verdicts(app: &AppState, verdicts: &[Verdict]) {
    for v in verdicts {
        app.metrics.action(v.action);
        for (task, label, _) in &v.heads {
            app.metrics.decision(task, label);
        }
    }
}

async fn analyze(State(app): State<Shared>, req: Request) -> Result<Response, ApiError> {
    let cfg = app.holder.config();
    let body = read_body(req, cfg.max_body_bytes).await?;
    let parsed = perspective::parse_analyze(&body)?;
    let loaded = app.holder.get();
    // A few heads on one comment: tens of microseconds, answered on this thread.
    let (answer, decisions) = perspective::analyze(&loaded.engine, &parsed, &cfg.languages)?;
    for (task, label) in &decisions {
        app.metrics.decision(task, label);
    }
    let mut note = vec![
        (
            "attributes",
            parsed
                .attributes
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("generation", loaded.generation.to_string()),
    ];
    if cfg.log_comment_text && !parsed.do_not_store {
        note.push(("text", format!("{:?}", parsed.text)));
    }
    Ok(json_response(StatusCode::OK, &answer, LogNote(note)))
}

async fn suggest_score() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "UNIMPLEMENTED",
        "comments:suggestscore is not offered: this server stores no comments or suggestions. Turn off sending feedback in Coral's Perspective settings; retrain with stance-train --base on your moderators' labels instead.",
    )
}

/// Runs a scoring job on a blocking thread (at most one per core at once).
async fn run_scoring<T: Send + 'static>(
    app: &Shared,
    job: impl FnOnce(&AppState) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let permit = app.scoring.clone().acquire_owned().await.map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "shutting down",
        )
    })?;
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let out = job(&app);
        drop(permit);
        out
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            format!("scoring failed: {e}"),
        )
    })
}

async fn score(State(app): State<Shared>, req: Request) -> Result<Response, ApiError> {
    let cfg = app.holder.config();
    let query = native::parse_query(req.uri().query())?;
    let body = read_body(req, cfg.max_body_bytes).await?;
    let rows = native::parse_rows(&body)?;
    let n = rows.len();
    let (bytes, verdicts, generation) = run_scoring(&app, move |app| {
        let loaded = app.holder.get();
        let (b, v) = loaded.engine.score(
            &app.holder.memory,
            rows,
            query.target.as_deref(),
            query.explain,
        );
        (b, v, loaded.generation)
    })
    .await?;
    record_verdicts(&app, &verdicts);
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    r.extensions_mut().insert(LogNote(vec![
        ("rows", n.to_string()),
        ("generation", generation.to_string()),
    ]));
    Ok(r)
}

/// Id under which Coral comments enter the parent cache: Coral does not send the new
/// comment's id, so they cannot be found as parents (see [`coral`]).
const CORAL_PENDING_ID: &str = "coral:pending";

async fn coral_moderation(State(app): State<Shared>, req: Request) -> Result<Response, ApiError> {
    let cfg = app.holder.config();
    let loaded = app.holder.get();
    let Some(secrets) = loaded.secrets.as_ref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "the Coral moderation endpoint is off: start stance-serve with --coral-secrets FILE",
        ));
    };
    let signature = req
        .headers()
        .get("x-coral-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = read_body(req, cfg.max_body_bytes).await?;
    let Some(signature) = signature else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "no X-Coral-Signature header",
        ));
    };
    if !secrets.verify(&body, &signature) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "X-Coral-Signature does not match the body under any configured signing secret",
        ));
    }
    let m = coral::parse_request(&body)?;
    let target = loaded.stories.target(&m.story_url).map(String::from);
    drop(loaded);
    let row = InputRow {
        id: Some(CORAL_PENDING_ID.into()),
        text: m.body.clone(),
        target: target.clone(),
        parent_id: m.parent_id.clone(),
        parent_text: None,
    };
    let (verdict, generation) = run_scoring(&app, move |app| {
        let loaded = app.holder.get();
        let (_, mut v) = loaded.engine.score(&app.holder.memory, vec![row], None, 0);
        (
            v.pop().expect("one row in, one verdict out"),
            loaded.generation,
        )
    })
    .await?;
    record_verdicts(&app, std::slice::from_ref(&verdict));
    let answer = coral::answer(&verdict, target.as_deref());
    let mut note = vec![
        ("action", verdict.action.to_string()),
        ("coral_action", m.action.clone()),
        ("story", m.story_id.clone()),
        ("target", target.unwrap_or_else(|| "-".into())),
        (
            "stance",
            verdict
                .head("stance")
                .map(|(l, p)| format!("{l}:{p:.2}"))
                .unwrap_or_else(|| "-".into()),
        ),
        (
            "source",
            verdict.stance_source.clone().unwrap_or_else(|| "-".into()),
        ),
        ("generation", generation.to_string()),
    ];
    if let Some(t) = &m.tenant_id {
        note.push(("tenant", t.clone()));
    }
    if cfg.log_comment_text {
        note.push(("text", format!("{:?}", m.body)));
    }
    Ok(json_response(StatusCode::OK, &answer, LogNote(note)))
}

async fn healthz(State(app): State<Shared>) -> Response {
    let loaded = app.holder.get();
    let v = serde_json::json!({
        "status": "ok",
        "generation": loaded.generation,
        "heads": loaded.engine.tasks(),
        "models": loaded.engine.sources,
        "coral": loaded.secrets.is_some(),
        "stories": loaded.stories.len(),
    });
    json_response(StatusCode::OK, &v, LogNote::default())
}

async fn metrics(State(app): State<Shared>) -> Response {
    app.metrics.thread_cache.set(app.holder.memory.len() as i64);
    let mut r = Response::new(Body::from(app.metrics.render()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

/// Reloads on a blocking thread; logs and counts the result.
async fn do_reload(app: &Shared, by: &str) -> Result<u64, String> {
    let a = app.clone();
    let r = tokio::task::spawn_blocking(move || a.holder.reload())
        .await
        .unwrap_or_else(|e| Err(format!("reload failed: {e}")));
    app.metrics.reload(r.is_ok());
    match &r {
        Ok(g) => {
            app.metrics.generation.set(*g as i64);
            tracing::info!(target: "reload", by, generation = *g, "reloaded models and settings");
        }
        Err(e) => {
            tracing::warn!(target: "reload", by, error = %e, "reload refused; the previous models keep serving")
        }
    }
    r
}

async fn admin_reload(State(app): State<Shared>) -> Result<Response, ApiError> {
    match do_reload(&app, "http").await {
        Ok(g) => Ok(json_response(
            StatusCode::OK,
            &serde_json::json!({"reloaded": true, "generation": g}),
            LogNote(vec![("generation", g.to_string())]),
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "FAILED_PRECONDITION",
            format!("reload refused, the previous models and settings keep serving: {e}"),
        )),
    }
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("no such endpoint: {}", req.uri().path()),
    )
}

async fn wrong_method(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "INVALID_ARGUMENT",
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error while answering this request",
    )
    .into_response()
}

/// The application's routes and layers.
pub fn app(state: Shared) -> Router {
    let keyed = Router::new()
        .route("/v1alpha1/comments:analyze", post(analyze))
        .route("/comments:analyze", post(analyze))
        .route("/v1alpha1/comments:suggestscore", post(suggest_score))
        .route("/comments:suggestscore", post(suggest_score))
        .route("/v1/score", post(score))
        .route("/admin/reload", post(admin_reload))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key));
    Router::new()
        .route("/coral/moderation", post(coral_moderation))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(keyed)
        .fallback(not_found)
        .method_not_allowed_fallback(wrong_method)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// A running service's address.
#[derive(Debug, Clone, Copy)]
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Loads everything, binds, calls `ready` with the bound address, and serves until
/// `shutdown` resolves; then stops accepting and lets in-flight requests finish. SIGHUP
/// reloads. Errors (a file that does not load, an address that cannot be bound,
/// `--insecure-no-auth` off loopback) are returned before anything is served.
pub async fn serve(
    config: ServeConfig,
    ready: impl FnOnce(Server),
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    if config.insecure_no_auth && !config.listen.ip().is_loopback() {
        return Err(format!(
            "--insecure-no-auth only binds a loopback address, not {}",
            config.listen
        ));
    }
    let limiter = Limiter::new(config.rate_limit);
    let header_timeout = config.header_timeout;
    // In-flight requests end by their deadline; connections still open after that
    // (a client that does not read its answer) are not waited for.
    let grace = config.timeout + Duration::from_secs(2);
    let listen = config.listen;
    let holder = tokio::task::spawn_blocking(move || Holder::new(config))
        .await
        .map_err(|e| e.to_string())??;
    let state = Arc::new(AppState {
        holder,
        metrics: Metrics::default(),
        limiter,
        scoring: Arc::new(Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
    });
    state.metrics.generation.set(1);
    let router = app(state.clone());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| format!("cannot watch SIGHUP: {e}"))?;
    let hup_state = state.clone();
    let reloader = tokio::spawn(async move {
        while hup.recv().await.is_some() {
            let _ = do_reload(&hup_state, "SIGHUP").await;
        }
    });
    ready(Server { addr });
    tracing::info!(target: "serve", %addr, "listening");
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            conn = listener.accept() => {
                let (stream, peer) = match conn {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not spin.
                        tracing::warn!(target: "serve", error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    router.clone().oneshot(req.map(Body::new))
                });
                let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), svc));
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(target: "serve", error = %e, %peer, "connection ended with an error");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    reloader.abort();
    tracing::info!(target: "serve", "shutting down: finishing in-flight requests");
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(target: "serve", "connections still open after the grace period; stopping anyway");
    }
    tracing::info!(target: "serve", "stopped");
    Ok(())
}
