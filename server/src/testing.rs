//! `/test/…`: streams with faults on purpose, for rill's own tests and for anyone
//! checking a client (or a proxy in front of it) against known-bad servers.
//!
//! - `GET /test/events?count=N&interval_ms=M&retry=R&drop_after=K` — events `id: i`,
//!   `data: event i` for i after the request's `Last-Event-ID` up to N (N at most [`MAX_EVENTS`], M at most [`MAX_INTERVAL_MS`]); with `drop_after`,
//!   each connection sends K events, then half an event, then breaks. When nothing is left
//!   to send it answers 204 (the spec's "stop reconnecting").
//! - `/test/status/{code}?body=…&type=…` (any method) — that status and body, with the
//!   Content-Type asked for if it is one of [`SAFE_TYPES`] (any other is sent as
//!   `text/plain`), so a link can never make this origin serve HTML, SVG or script.
//! - `GET /test/flap?key=K`, `GET /test/flap/count?key=K` — a feed that answers `retry: 0`
//!   and one event, then ends at once, and how many times it was opened ([`crate::flap`]).
//! - `/test/fault/{name}?format=…` (any method) — one stream fault each, in the feed,
//!   OpenAI or Ollama format ([`crate::faults`]).
//! - `GET /test/split` — a fixed stream (BOM, CRLF, CR, multi-byte UTF-8) written in pieces
//!   cut inside a UTF-8 character, between CR and LF, and inside the BOM.
//!
//! These routes exist only with `--test-routes`. Every answer carries
//! `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`: even a body a
//! browser took for a page would run no script and have no origin of its own.

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
        .route("/replies", get(replies))
        .route("/fault/{name}", any(crate::faults::fault))
        // Unknown `/test/…` paths end here, never in the app's files (`--dist`).
        .fallback(crate::not_found::handler)
        .layer(crate::cors::open())
        .layer(axum::middleware::map_response(sandbox))
}

/// The Content-Types `/test/status` may send; anything else asked for becomes `text/plain`.
pub const SAFE_TYPES: [&str; 4] = [
    "text/plain",
    "application/json",
    "text/event-stream",
    "application/x-ndjson",
];

/// Marks a test route's answer as never to be run: no type sniffing, and a sandbox (no
/// script, an opaque origin) should a browser render it anyway.
async fn sandbox(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::csp::TEST_ROUTES_POLICY),
    );
    response
}

/// The Content-Type `/test/status` sends when `asked` is asked for: its media type,
/// lower-cased, if it is one of [`SAFE_TYPES`] (with its `charset`, if that is a plain
/// token, so tests can still ask for a wrong charset), else `text/plain`.
pub fn safe_content_type(asked: Option<&str>) -> String {
    let Some(asked) = asked else {
        return "text/plain".to_string();
    };
    let mut parts = asked.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let Some(kind) = SAFE_TYPES.iter().find(|t| **t == essence) else {
        return "text/plain".to_string();
    };
    let charset = parts.find_map(|param| {
        let (name, value) = param.split_once('=')?;
        let value = value.trim();
        let token = !value.is_empty()
            && value.len() <= 40
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        (name.trim().eq_ignore_ascii_case("charset") && token).then_some(value)
    });
    match charset {
        Some(charset) => format!("{kind}; charset={charset}"),
        None => (*kind).to_string(),
    }
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

/// The most events `/test/events` sends (`count` is cut to it).
pub const MAX_EVENTS: u64 = 1_000_000;
/// The longest `interval_ms` of `/test/events` (cut to it).
pub const MAX_INTERVAL_MS: u64 = 60_000;

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
    let params = EventsParams {
        count: params.count.min(MAX_EVENTS),
        interval_ms: params.interval_ms.min(MAX_INTERVAL_MS),
        ..params
    };
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
    let guard = match state.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => return busy.into_response(),
    };
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
    let content_type = safe_content_type(params.content_type.as_deref());
    let mut response = (status, params.body.unwrap_or_default()).into_response();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// `GET /test/replies`: how many chat replies were started, are kept and are generating
/// (`chat::replies::ReplyStats`), so a test can see that an upstream got one request and
/// that a stopped reply's generation ended.
async fn replies(State(state): State<AppState>) -> Response {
    axum::Json(state.replies.stats()).into_response()
}

async fn split(State(state): State<AppState>) -> Response {
    let guard = match state.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => return busy.into_response(),
    };
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

#[cfg(test)]
mod tests {
    use super::safe_content_type;

    #[test]
    fn only_safe_types_pass_and_a_plain_charset_is_kept() {
        assert_eq!(safe_content_type(None), "text/plain");
        assert_eq!(safe_content_type(Some("text/html")), "text/plain");
        assert_eq!(
            safe_content_type(Some(" Text/Event-Stream ")),
            "text/event-stream"
        );
        assert_eq!(
            safe_content_type(Some("application/json; foo=bar; CHARSET=utf-8")),
            "application/json; charset=utf-8"
        );
        assert_eq!(
            safe_content_type(Some("text/html; charset=utf-8")),
            "text/plain"
        );
        assert_eq!(
            safe_content_type(Some("text/plain; charset=\"x\"")),
            "text/plain"
        );
    }
}
