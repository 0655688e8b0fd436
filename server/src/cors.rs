//! CORS for rill-server's routes: what a browser page on another origin may send.
//!
//! Headers and methods are listed rather than `*`: a `*` in `Access-Control-Allow-Headers`
//! does not cover `Authorization`, so the chat routes would refuse the app's own key, and a
//! list says exactly what a page may send. The clock feed (`/stream`) does not use this: it
//! sets the original's single `Access-Control-Allow-Origin: *` header itself, byte for byte.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// The request headers a page may send: the ones rill's chat formats (OpenAI, Ollama,
/// Anthropic's browser access) and its feeds (`Last-Event-ID`) use.
pub const ALLOWED_HEADERS: [&str; 8] = [
    "authorization",
    "content-type",
    "accept",
    "last-event-id",
    "cache-control",
    "x-api-key",
    "anthropic-version",
    "anthropic-dangerous-direct-browser-access",
];

/// The methods a page may use.
pub const ALLOWED_METHODS: [Method; 3] = [Method::GET, Method::POST, Method::OPTIONS];

/// The listed headers and methods, for `origin`.
fn layer(origin: AllowOrigin) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods(ALLOWED_METHODS.to_vec())
        .allow_headers(ALLOWED_HEADERS.map(HeaderName::from_static).to_vec())
        .expose_headers(Any)
        .max_age(Duration::from_secs(3600))
}

/// A layer that lets any page call the routes it wraps (no credentials).
pub fn open() -> CorsLayer {
    layer(AllowOrigin::any())
}

/// A layer for the given origins (`*` among them allows any); a trailing `/` is ignored.
pub fn for_origins(origins: &[String]) -> CorsLayer {
    if origins.iter().any(|o| o == "*") {
        return open();
    }
    layer(AllowOrigin::list(origins.iter().filter_map(|o| {
        HeaderValue::from_str(o.trim_end_matches('/')).ok()
    })))
}
