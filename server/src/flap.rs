//! `/test/flap`: a feed that opens and closes at once, and the count of its connections.
//!
//! `GET /test/flap?key=K` answers 200 `text/event-stream` with `retry: 0`, one event and the
//! end of the response, the worst case for a client's reconnect policy. `GET
//! /test/flap/count?key=K` answers how many `/test/flap?key=K` connections were seen, so a
//! test can check that a client stayed above its reconnect floor. Each test picks its own
//! key, so tests sharing one server do not count each other's connections.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;

/// The body `/test/flap` sends before it ends the response.
pub const FLAP_BODY: &str = "retry: 0\n\nid: 1\ndata: flap\n\n";

/// At most this many keys are counted; the oldest is forgotten first. The routes are open to
/// any client, so the map must not grow without bound.
pub const MAX_KEYS: usize = 1000;

/// Longest key accepted, in bytes (longer: 400), for the same reason.
pub const MAX_KEY_LEN: usize = 128;

/// Connections seen per key, oldest key first.
#[derive(Debug, Clone, Default)]
pub struct FlapCounts {
    inner: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    by_key: HashMap<String, u64>,
    /// Keys in the order they were first seen, to drop the oldest.
    order: VecDeque<String>,
}

impl FlapCounts {
    /// Counts one connection for `key`.
    pub fn hit(&self, key: &str) {
        // A poisoned lock only means another handler panicked mid-update; a count is still
        // a count, so carry on with it.
        let mut counts = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = counts.by_key.get_mut(key) {
            *n += 1;
            return;
        }
        while counts.order.len() >= MAX_KEYS {
            if let Some(oldest) = counts.order.pop_front() {
                counts.by_key.remove(&oldest);
            }
        }
        counts.order.push_back(key.to_string());
        counts.by_key.insert(key.to_string(), 1);
    }

    /// Connections seen for `key` (0 for a key never seen or forgotten).
    pub fn count(&self, key: &str) -> u64 {
        let counts = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        counts.by_key.get(key).copied().unwrap_or(0)
    }

    /// How many keys are counted.
    pub fn len(&self) -> usize {
        let counts = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        counts.by_key.len()
    }

    /// True when no key is counted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyParams {
    #[serde(default)]
    key: String,
}

fn key_too_long() -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain")],
        format!("key longer than {MAX_KEY_LEN} bytes"),
    )
        .into_response()
}

/// `GET /test/flap?key=K`.
pub(crate) async fn flap(
    State(state): State<AppState>,
    Query(params): Query<KeyParams>,
) -> Response {
    if params.key.len() > MAX_KEY_LEN {
        return key_too_long();
    }
    state.flaps.hit(&params.key);
    let mut response = Response::new(Body::from(FLAP_BODY));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /test/flap/count?key=K`.
pub(crate) async fn count(
    State(state): State<AppState>,
    Query(params): Query<KeyParams>,
) -> Response {
    if params.key.len() > MAX_KEY_LEN {
        return key_too_long();
    }
    let mut response = state.flaps.count(&params.key).to_string().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    // A test polls this; a cached answer would hide new connections.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key_and_forgets_the_oldest_first() {
        let counts = FlapCounts::default();
        counts.hit("a");
        counts.hit("a");
        assert_eq!(counts.count("a"), 2);
        for i in 0..MAX_KEYS {
            counts.hit(&format!("k{i}"));
        }
        assert_eq!(counts.len(), MAX_KEYS);
        assert_eq!(counts.count("a"), 0);
        assert_eq!(counts.count("k0"), 1);
    }
}
