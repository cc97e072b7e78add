//! `stance-serve`: the scoring service (feature `serve`).
//!
//! Serves the same heads and policy as `stance-score` over HTTP, speaking three
//! protocols, one file each:
//!
//! - [`perspective`]: Perspective API's `POST /v1alpha1/comments:analyze`, as Coral
//!   Talk's toxicity check and other Perspective clients call it;
//! - [`coral`]: Coral Talk's external moderation phase (`POST /coral/moderation`,
//!   signed with `X-Coral-Signature`);
//! - [`native`]: `POST /v1/score`, answering the objects `stance-score --format jsonl`
//!   prints, byte for byte.
//!
//! and the operations around them: [`auth`] (API keys), [`ratelimit`] (per key),
//! [`metrics`] (Prometheus text format), [`holder`] (the loaded models and settings,
//! swapped whole on reload), [`router`] (routes, body limit, timeout, access log,
//! graceful shutdown). [`engine`] is the one file that calls the rest of the library.
//!
//! The service never prints: it logs through `tracing`, whose subscriber the binary
//! installs.

pub mod auth;
pub mod coral;
pub mod engine;
pub mod holder;
pub mod metrics;
pub mod native;
pub mod perspective;
pub mod ratelimit;
pub mod router;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use router::{serve, Server};

/// Everything `stance-serve` is started with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Model files; empty = the built-in stance, offensive, sentiment and
    /// reply-relation heads.
    pub models: Vec<PathBuf>,
    /// Policy file (TOML); `None` = the default policy.
    pub policy: Option<PathBuf>,
    /// API keys file (one key per line, `#` comments).
    pub keys: Option<PathBuf>,
    /// Serve without API keys (only allowed on a loopback address).
    pub insecure_no_auth: bool,
    /// Coral external-phase signing secrets (one per line; several during a rotation).
    pub coral_secrets: Option<PathBuf>,
    /// CSV `story_url,target[,article_path]`: the stance target of each story.
    pub stories: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Requests per second per API key (0 = unlimited); bursts of the same size.
    pub rate_limit: u32,
    /// Time a request may take, from its first byte to its answer.
    pub timeout: Duration,
    /// Time a client may take to send its request headers.
    pub header_timeout: Duration,
    /// Comments remembered for finding a reply's parent.
    pub thread_cache: usize,
    /// Memory budget of those comments, in MB.
    pub thread_cache_mb: usize,
    /// Languages accepted on the Perspective endpoint (the heads read English).
    pub languages: Vec<String>,
    /// Put comment text in the log (off by default; never for `doNotStore` requests).
    pub log_comment_text: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            models: Vec::new(),
            policy: None,
            keys: None,
            insecure_no_auth: false,
            coral_secrets: None,
            stories: None,
            max_body_bytes: 1 << 20,
            rate_limit: 20_000,
            timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            thread_cache: engine::DEFAULT_CACHE,
            thread_cache_mb: engine::DEFAULT_CACHE_MB,
            languages: vec!["en".into()],
            log_comment_text: false,
        }
    }
}

/// A request the service refuses, answered in Google's JSON error shape (Perspective's):
/// `{"error":{"code":400,"message":"...","status":"INVALID_ARGUMENT"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub code: StatusCode,
    /// Google's canonical status name (`INVALID_ARGUMENT`, `UNAUTHENTICATED`, ...).
    pub status: &'static str,
    /// What was wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// An error with this HTTP status, canonical status name and message.
    pub fn new(code: StatusCode, status: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            status,
            message: message.into(),
        }
    }

    /// 400 `INVALID_ARGUMENT`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.code.as_u16(),
                "message": self.message,
                "status": self.status,
            }
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.code.as_u16(),
            self.status,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.code, axum::Json(self.body())).into_response();
        r.extensions_mut().insert(self);
        r
    }
}
