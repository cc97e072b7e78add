//! `stance-serve`: the scoring service (Perspective-compatible analyze, Coral Talk's
//! external moderation phase, `stance-score`'s JSONL over HTTP). See `docs/serve.md`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use comment_stance::serve::{self, ServeConfig};

/// Serve the stance, moderation and sentiment heads over HTTP.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port. The first stdout line is
    /// `listening on ADDR`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Model file; repeat to add heads. Default: the built-in stance, offensive,
    /// sentiment and reply-relation models (as stance-score).
    #[arg(long)]
    model: Vec<PathBuf>,
    /// Decision policy (TOML), as stance-score's --policy.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// API keys, one per line (`#` comments). Required unless --insecure-no-auth.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// Serve without API keys; only allowed when listening on a loopback address.
    #[arg(long)]
    insecure_no_auth: bool,
    /// Signing secrets of Coral's external moderation phase, one per line (list the
    /// old and the new one during a rotation). Turns on POST /coral/moderation.
    #[arg(long)]
    coral_secrets: Option<PathBuf>,
    /// CSV `story_url,target[,article_path]`: each story's stance target.
    #[arg(long)]
    stories: Option<PathBuf>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Requests per second per API key (bursts of as many); 0 = unlimited.
    #[arg(long, default_value_t = 20_000)]
    rate_limit: u32,
    /// Time a request may take, from its first byte to its answer, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Time a client may take to send its request headers, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Comments remembered for finding a reply's parent (as stance-score).
    #[arg(long, default_value_t = serve::engine::DEFAULT_CACHE)]
    thread_cache: usize,
    /// Memory budget of those comments, in MB.
    #[arg(long, default_value_t = serve::engine::DEFAULT_CACHE_MB)]
    thread_cache_mb: usize,
    /// Languages accepted on the Perspective endpoint, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "en")]
    languages: Vec<String>,
    /// Write comment text into the access log (never for doNotStore requests).
    #[arg(long)]
    log_comment_text: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("watching SIGTERM");
    let mut int = signal(SignalKind::interrupt()).expect("watching SIGINT");
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}

fn main() -> ExitCode {
    let a = Args::parse();
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STANCE_SERVE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = ServeConfig {
        listen: a.listen,
        models: a.model,
        policy: a.policy,
        keys: a.keys,
        insecure_no_auth: a.insecure_no_auth,
        coral_secrets: a.coral_secrets,
        stories: a.stories,
        max_body_bytes: a.max_body_bytes,
        rate_limit: a.rate_limit,
        timeout: Duration::from_millis(a.timeout_ms),
        header_timeout: Duration::from_millis(a.header_timeout_ms),
        thread_cache: a.thread_cache,
        thread_cache_mb: a.thread_cache_mb,
        languages: a
            .languages
            .iter()
            .map(|l| l.trim().to_lowercase())
            .collect(),
        log_comment_text: a.log_comment_text,
    };
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = a.workers {
        rt.worker_threads(n.max(1));
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("stance-serve: error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = rt.block_on(serve::serve(
        config,
        |s| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on {}", s.addr);
            let _ = out.flush();
        },
        shutdown_signal(),
    ));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stance-serve: error: {e}");
            ExitCode::from(2)
        }
    }
}
