//! rill-server: the reference backend that ships with rill.
//!
//! It owns the wire formats rill speaks, served from one axum router:
//! - [`clock`]: `GET /stream`, a byte-for-byte reproduction of the original Node clock feed;
//! - [`testing`]: `/test/…`, streams that break, fail and split on purpose (only with
//!   `--test-routes`; [`flap`] is the feed that opens and closes at once);
//! - [`chat`]: OpenAI- and Ollama-compatible chat APIs and the original `/gpt/summary` feed,
//!   answered by the built-in `rill-demo` model or forwarded to a real model server;
//! - [`publish`]: with `--publish nchan=URL` / `pushpin=URL`, the clock and demo feeds
//!   published into an SSE engine (and, for Pushpin, rill-server as its origin);
//! - static files from a built app (`--dist`), so one process is a whole static-site demo,
//!   sent with the app's Content-Security-Policy ([`csp`]).
//!
//! Every answer carries `nosniff` and `no-referrer` ([`security_headers`]); every request
//! passes the `Host` check against DNS rebinding ([`host_check`]) and has no `..` path
//! segment ([`path_check`]).
//!
//! It must not hold per-client work after a client leaves: every stream is a body that is
//! dropped by hyper when the connection closes, and [`StreamGauge`] counts the live ones so
//! tests can prove it.

pub mod chat;
pub mod clock;
pub mod cors;
pub mod csp;
pub mod demo_feeds;
pub mod faults;
pub mod flap;
pub mod gauge;
pub mod host_check;
mod idle;
mod not_found;
pub mod path_check;
pub mod publish;
pub mod security_headers;
pub mod static_files;
pub mod testing;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::HeaderValue;
use axum::routing::{any, get};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;

pub use gauge::StreamGauge;

/// What the router serves. Built from command-line flags by `main.rs`, or directly by tests.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// A built app (`trunk build --dist DIR`) to serve at `/`.
    pub dist: Option<PathBuf>,
    /// The chat endpoints: demo model pace, upstream, CORS origins, limits.
    pub chat: chat::ChatConfig,
    /// Serve `/test/…` (`--test-routes`). Off by default: those routes send any status and
    /// body a link asks for, which must never be on the origin of a deployed app.
    pub test_routes: bool,
    /// The app's `frame-ancestors` sources (`--frame-ancestors`); empty means
    /// [`csp::DEFAULT_FRAME_ANCESTORS`]. Each entry is one flag value, checked with
    /// [`csp::parse_frame_ancestors`] (an entry that fails it is left out).
    pub frame_ancestors: Vec<String>,
    /// DNS names served besides loopback names and IP literals (`--allowed-host`).
    pub allowed_hosts: Vec<String>,
}

/// State shared by all handlers.
#[derive(Debug, Clone, Default)]
pub struct AppState {
    /// Live streaming responses, for leak tests and logs.
    pub streams: StreamGauge,
    /// Connections seen by `/test/flap`, per key.
    pub flaps: flap::FlapCounts,
    /// Chat replies being generated or kept for resuming (`chat::replies`).
    pub replies: chat::replies::Replies,
    /// With `--publish pushpin=URL`: what was published, for answering Pushpin's requests
    /// ([`publish::origin`]); `None` otherwise.
    pub published: Option<publish::Published>,
}

/// The whole HTTP surface of rill-server.
pub fn router(config: &Config, state: AppState) -> Router {
    let api = Router::new()
        .route("/stream", get(clock::stream))
        .nest("/demo", demo_feeds::routes());
    let api = if config.test_routes {
        api.nest("/test", testing::routes())
    } else {
        // Answered here rather than left to the fallback, so that with `--dist` a `/test/…`
        // path can never reach the app's files (or a `test/` folder among them).
        api.route("/test", any(not_found::handler))
            .route("/test/{*rest}", any(not_found::handler))
    };
    let api = api
        // Through Pushpin, `/stream` and the published demo feeds are held, not streamed.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            publish::origin::hold_through_pushpin,
        ))
        // The chat routes carry their own CORS layer; `/stream` stays without one.
        .merge(chat::routes(&config.chat, &state));
    let app = match &config.dist {
        Some(dir) => api.fallback_service(
            Router::new()
                .fallback_service(
                    // `FILE.br` / `FILE.gz` written by `./x dist` (rill-precompress) are sent
                    // to browsers that accept them, with `Content-Encoding` and `Vary`.
                    ServeDir::new(dir)
                        .precompressed_br()
                        .precompressed_gzip()
                        .not_found_service(axum::routing::any(not_found::handler)),
                )
                .layer(axum::middleware::map_response(static_files::cache_control))
                .layer(axum::middleware::map_response_with_state(
                    app_policy(config),
                    security_headers::app_policy,
                )),
        ),
        None => api.fallback(not_found::handler),
    };
    // Outermost first: every answer (refusals too) gets the security headers; the Host is
    // checked before anything else runs.
    app.layer(axum::middleware::from_fn(path_check::refuse_dot_segments))
        .layer(axum::middleware::from_fn_with_state(
            host_check::AllowedHosts::new(&config.allowed_hosts),
            host_check::check,
        ))
        .layer(axum::middleware::map_response(security_headers::everywhere))
        .with_state(state)
}

/// The app's Content-Security-Policy header for `config`.
fn app_policy(config: &Config) -> HeaderValue {
    let ancestors: Vec<String> = config
        .frame_ancestors
        .iter()
        .flat_map(|value| csp::parse_frame_ancestors(value).unwrap_or_default())
        .collect();
    let policy = csp::app_policy(&ancestors);
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        // Cannot happen: the sources were checked for what a header value cannot hold.
        // Should it, the app is refused everything rather than allowed anything.
        tracing::error!(%policy, "the app's policy is not a header value");
        HeaderValue::from_static("default-src 'none'")
    })
}

/// Connection limits of [`serve_with`] (`--header-timeout`, `--idle-timeout`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time allowed for a request's headers to arrive, from its first byte (slowloris);
    /// slower: the connection is closed without an answer.
    pub header_timeout: Duration,
    /// A connection on which nothing was read or written for this long is closed: an idle
    /// keep-alive connection, a client that stopped reading a stream, a half-sent request.
    pub idle_timeout: Duration,
}

/// Default `--header-timeout`.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `--idle-timeout`.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// Serves `router` on `listener` with the default [`Limits`] until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, router, &Limits::default(), shutdown).await
}

/// Serves `router` on `listener` until `shutdown` completes: one task per connection, HTTP/1.1
/// with hyper's header-read timeout and an idle watchdog ([`Limits`]); each request's handlers
/// see the peer address in [`gauge::CLIENT`].
///
/// Shutdown is immediate rather than graceful: open event streams never end by themselves,
/// so waiting for them would wait forever.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let idle = limits.idle_timeout;
    let accept = async {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors, mostly: wait for some to be released rather
                    // than spin on the error.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let http = http.clone();
            let router = router.clone();
            tokio::spawn(async move {
                let activity = idle::Activity::new();
                let io = hyper_util::rt::TokioIo::new(idle::Watched::new(tcp, activity.clone()));
                let service = hyper::service::service_fn(move |request| {
                    let router = router.clone();
                    // Boxed: hyper keeps the box of a request's future for the connection's
                    // life, so an unboxed router future would stay allocated (and dirty) for
                    // every open stream; this way it is only a pointer.
                    Box::pin(gauge::CLIENT.scope(peer.ip(), async move {
                        tower::ServiceExt::oneshot(router, request).await
                    }))
                });
                tokio::select! {
                    result = http.serve_connection(io, service) => {
                        if let Err(err) = result {
                            tracing::debug!(%peer, %err, "connection ended");
                        }
                    }
                    () = activity.idle_for(idle) => {
                        tracing::debug!(%peer, "idle connection closed");
                    }
                }
            });
        }
    };
    tokio::select! {
        () = accept => Ok(()),
        () = shutdown => Ok(()),
    }
}
