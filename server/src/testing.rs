//! `/test/…`: streams with faults on purpose, for rill's own tests and for anyone
//! checking a client (or a proxy in front of it) against known-bad servers.
//!
//! - `GET /test/events?count=N&interval_ms=M&retry=R&drop_after=K` — events `id: i`,
//!   `data: event i` for i after the request's `Last-Event-ID` up to N; with `drop_after`,
//!   each connection sends K events, then half an event, then breaks. When nothing is left
//!   to send it answers 204 (the spec's "stop reconnecting").
//! - `/test/status/{code}?body=…&type=…` (any method) — that status, body and Content-Type.
//! - `GET /test/flap?key=K`, `GET /test/flap/count?key=K` — a feed that answers `retry: 0`
//!   and one event, then ends at once, and how many times it was opened ([`crate::flap`]).
//! - `GET /test/split` — a fixed stream (BOM, CRLF, CR, multi-byte UTF-8) written in pieces
//!   cut inside a UTF-8 character, between CR and LF, and inside the BOM.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;

use crate::AppState;

/// The routes, to be nested under `/test`. CORS is open (and preflights answered) so
/// browser tests on another origin can send `Last-Event-ID` and POST bodies.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events", get(events))
        .route("/status/{code}", any(status))
        .route("/split", get(split))
        .route("/flap", get(crate::flap::flap))
        .route("/flap/count", get(crate::flap::count))
        .layer(crate::cors::open())
}

/// The pieces `/test/split` writes, in order.
pub const SPLIT_PIECES: &[&[u8]] = &[
    b"\xEF\xBB",
    b"\xBF: split test\r",
    b"\nretry: 250\r\nid: a\r\ndata: caf\xC3",
    b"\xA9 \xE4\xB8",
    b"\xAD\xE6\x96\x87\r",
    b"\n\r\nevent: two\rdata: line1\r",
    b"\ndata: line2\n",
    b"\ndata: emoji \xF0\x9F",
    b"\x98\x80\r\n\r\ndata: tail-without-blank-line",
];

#[derive(Debug, Deserialize)]
struct EventsParams {
    #[serde(default = "default_count")]
    count: u64,
    #[serde(default)]
    interval_ms: u64,
    retry: Option<u64>,
    drop_after: Option<u64>,
}

fn default_count() -> u64 {
    5
}

fn sse_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<EventsParams>,
) -> Response {
    let after: u64 = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    if after >= params.count {
        return empty(StatusCode::NO_CONTENT);
    }
    let last = match params.drop_after {
        Some(k) => (after + k.max(1)).min(params.count),
        None => params.count,
    };
    let breaks = params.drop_after.is_some() && last < params.count;
    let guard = state.streams.enter();
    let interval = Duration::from_millis(params.interval_ms);
    let head = stream::iter(
        params
            .retry
            .map(|ms| Ok::<_, std::io::Error>(Bytes::from(format!("retry: {ms}\n\n")))),
    );
    let body = stream::unfold((after + 1, guard), move |(i, guard)| async move {
        if i > last {
            return None;
        }
        if !interval.is_zero() {
            tokio::time::sleep(interval).await;
        }
        let frame = rill_sse::Frame::data(format!("event {i}"))
            .id(i.to_string())
            .encode(rill_sse::LineEnd::Lf)
            .unwrap_or_default();
        Some((Ok(Bytes::from(frame)), (i + 1, guard)))
    });
    // A broken connection: half an event, then an error that makes hyper abort the
    // response instead of ending the chunked body cleanly.
    // The pause lets hyper flush what came before; an error in the same poll would abort
    // the connection before anything was written.
    let tail = stream::iter(breaks.then_some(()))
        .then(|()| async {
            tokio::time::sleep(Duration::from_millis(30)).await;
        })
        .flat_map(|()| {
            stream::iter(vec![
                Ok(Bytes::from_static(b"id: never\ndata: partial")),
                Err(std::io::Error::other("dropped on purpose")),
            ])
        })
        .then(|item| async move {
            if item.is_err() {
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            item
        });
    let mut response = Response::new(Body::from_stream(head.chain(body).chain(tail)));
    sse_headers(&mut response);
    response
}

#[derive(Debug, Deserialize)]
struct StatusParams {
    body: Option<String>,
    #[serde(rename = "type")]
    content_type: Option<String>,
}

async fn status(Path(code): Path<u16>, Query(params): Query<StatusParams>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    let content_type = params
        .content_type
        .unwrap_or_else(|| "text/plain".to_string());
    let mut response = (status, params.body.unwrap_or_default()).into_response();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

async fn split(State(state): State<AppState>) -> Response {
    let guard = state.streams.enter();
    // A short pause between pieces so each reaches the client as its own read.
    let body = stream::iter(SPLIT_PIECES.iter().enumerate()).then(move |(i, piece)| {
        let _keep = &guard;
        async move {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
            Ok::<_, Infallible>(Bytes::from_static(piece))
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    sse_headers(&mut response);
    response
}
