//! CORS for rill-server's API routes: any origin, method and header, preflights answered.
//!
//! The clock feed (`/stream`) does not use this: it sets the original's single
//! `Access-Control-Allow-Origin: *` header itself, byte for byte.

use std::time::Duration;

use tower_http::cors::{Any, CorsLayer};

/// A layer that lets any page call the routes it wraps (no credentials).
pub fn open() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .expose_headers(Any)
        .max_age(Duration::from_secs(3600))
}
