//! `/demo/…`: live demo feeds for the stream inspector and anyone trying a client. Normal
//! routes (not test routes): they send only `text/event-stream` with JSON data.
//!
//! - `GET /demo/ticker` — `price` `{"symbol","price"}` and every fifth event a `trade`
//!   `{"symbol","price","qty"}`, two a second, integer ids.
//! - `GET /demo/scores` — `score` `{"match","home","away","minute"}`, now and then a `goal`.
//! - `GET /demo/news` — `headline` `{"title","source"}`, one every three seconds.
//! - `GET /demo/buffered` — ticker events, but held back and released in bursts every
//!   three seconds, as a buffering proxy would.
//!
//! The feeds share one clock: event `n` is due `n` periods after the server started and its
//! content is a function of `n` alone. So every client sees the same event under the same id,
//! and a reconnect with `Last-Event-ID: k` is answered with `k+1, k+2, …` (no gap, no
//! duplicate) as long as `k` is within the last [`RING`] events — the ring buffer, computed
//! rather than stored, so no memory is held per feed. An older or unknown id starts at the
//! oldest event still kept.
//!
//! Each answer starts with `retry: 2000` and sends a heartbeat comment every
//! [`HEARTBEAT`]. Query flags, for tests and demos: `rate=N` (events a second, 1..=5000),
//! `count=N` (this connection sends at most N events, then only heartbeats), `drop=N` (the
//! connection ends after N events, so the client resumes), `accel=0` (leave out
//! `X-Accel-Buffering: no`, so a proxy in front may buffer).

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use tokio::time::Instant;

use crate::AppState;

/// How many past events a reconnect can resume from.
pub const RING: u64 = 1000;
/// Time between heartbeat comments.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// The `retry:` the feeds send, in milliseconds.
pub const RETRY_MS: u64 = 2000;
/// Most events written in one chunk (fast rates are sent in batches).
const BATCH: u64 = 256;
/// Highest `rate`.
const MAX_RATE: u64 = 5000;

/// The demo routes, to be nested under `/demo`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ticker", get(|s, h, q| feed(Feed::Ticker, s, h, q)))
        .route("/scores", get(|s, h, q| feed(Feed::Scores, s, h, q)))
        .route("/news", get(|s, h, q| feed(Feed::News, s, h, q)))
        .route("/buffered", get(|s, h, q| feed(Feed::Buffered, s, h, q)))
}

/// One of the demo feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Ticker,
    Scores,
    News,
    Buffered,
}

impl Feed {
    /// Default events per second, as milliseconds between events.
    fn period_ms(self) -> u64 {
        match self {
            Feed::Ticker => 500,
            Feed::Scores => 1000,
            Feed::News => 3000,
            Feed::Buffered => 200,
        }
    }

    /// How long events are held back before a burst (0: sent when due).
    fn hold_ms(self) -> u64 {
        match self {
            Feed::Buffered => 3000,
            _ => 0,
        }
    }
}

/// Query flags of a feed.
#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    pub rate: Option<u64>,
    pub count: Option<u64>,
    pub drop: Option<u64>,
    pub accel: Option<u8>,
}

const SYMBOLS: [&str; 5] = ["RILL", "ACME", "INIT", "WASM", "LEPT"];
const TEAMS: [(&str, &str); 3] = [
    ("Rovers", "United"),
    ("Harbour", "City"),
    ("Wanderers", "Athletic"),
];
const HEADLINES: [&str; 6] = [
    "Streams found to flow downhill",
    "Local proxy learns to stop buffering",
    "Heartbeat keeps connection alive for a record 90 days",
    "Event ids: why your reconnects need them",
    "Compression and event streams: a cautionary tale",
    "New browser opens six connections, wants a seventh",
];
const SOURCES: [&str; 3] = ["Wire", "Daily Stream", "The Chunk"];

/// A small deterministic mix of `n`, so an event's content depends on its id only.
fn mix(n: u64) -> u64 {
    let mut x = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Escapes `s` as a JSON string (the demo texts are plain, but keep it correct).
fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The event with id `n` of `feed`: its type and JSON data.
pub fn event(feed: Feed, n: u64) -> (&'static str, String) {
    let r = mix(n);
    match feed {
        Feed::Ticker | Feed::Buffered => {
            let symbol = SYMBOLS[(n % SYMBOLS.len() as u64) as usize];
            let cents = 10_000 + (r % 5_000);
            let price = format!("{}.{:02}", cents / 100, cents % 100);
            if n.is_multiple_of(5) {
                let qty = 1 + (r >> 20) % 500;
                (
                    "trade",
                    format!(
                        "{{\"symbol\":{},\"price\":{price},\"qty\":{qty}}}",
                        json_str(symbol)
                    ),
                )
            } else {
                (
                    "price",
                    format!("{{\"symbol\":{},\"price\":{price}}}", json_str(symbol)),
                )
            }
        }
        Feed::Scores => {
            let game = (n % TEAMS.len() as u64) as usize;
            let (home, away) = TEAMS[game];
            let minute = (n / TEAMS.len() as u64) % 90 + 1;
            let kind = if r.is_multiple_of(7) { "goal" } else { "score" };
            let home_goals = (mix(n / 30) % 4) + u64::from(kind == "goal");
            let away_goals = mix(n / 30 + 7) % 3;
            (
                kind,
                format!(
                    "{{\"match\":{},\"home\":{home_goals},\"away\":{away_goals},\"minute\":{minute}}}",
                    json_str(&format!("{home} v {away}"))
                ),
            )
        }
        Feed::News => {
            let title = HEADLINES[(r % HEADLINES.len() as u64) as usize];
            let source = SOURCES[((r >> 8) % SOURCES.len() as u64) as usize];
            (
                "headline",
                format!(
                    "{{\"title\":{},\"source\":{}}}",
                    json_str(title),
                    json_str(source)
                ),
            )
        }
    }
}

/// The wire form of event `n`.
pub fn encode(feed: Feed, n: u64) -> String {
    let (kind, data) = event(feed, n);
    format!("id: {n}\nevent: {kind}\ndata: {data}\n\n")
}

/// The shared clock of every feed: when the server (this process) started.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// The id of `feed`'s newest event due now, at its default rate (what a publisher sends).
pub fn newest_now(feed: Feed) -> u64 {
    let elapsed = u64::try_from((Instant::now() - epoch()).as_millis()).unwrap_or(u64::MAX);
    newest_due(elapsed, feed.period_ms())
}

/// When `feed`'s event `n` is due at its default rate.
pub fn due_at(feed: Feed, n: u64) -> Instant {
    epoch() + Duration::from_millis(n.saturating_sub(1).saturating_mul(feed.period_ms()))
}

/// The id of the newest event due at `elapsed_ms` since the epoch, one every `period_ms`
/// (ids start at 1).
pub fn newest_due(elapsed_ms: u64, period_ms: u64) -> u64 {
    elapsed_ms / period_ms.max(1) + 1
}

/// The first id a connection sends: after `last_event_id` if it is within the ring buffer of
/// `newest`, else the oldest kept (a new client starts at `newest`).
pub fn first_id(last_event_id: Option<&str>, newest: u64) -> u64 {
    let oldest = newest.saturating_sub(RING - 1).max(1);
    match last_event_id.map(|s| s.trim().parse::<u64>()) {
        None => newest,
        Some(Ok(k)) if k >= oldest.saturating_sub(1) && k <= newest => k + 1,
        // From the future (another server's id) or long gone: the oldest still kept.
        Some(_) => oldest,
    }
}

struct Conn {
    feed: Feed,
    next: u64,
    sent: u64,
    count: Option<u64>,
    drop: Option<u64>,
    last_write: Instant,
    held_since: Option<Instant>,
    _guard: crate::gauge::StreamGuard,
}

/// Streams `feed` until the client goes away.
async fn feed(
    feed: Feed,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<FeedQuery>,
) -> Response {
    let guard = match state.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => return busy.into_response(),
    };
    // At rates above 1000/s several events share a millisecond: count in microseconds.
    let period_us = match query.rate {
        Some(rate) => 1_000_000 / rate.clamp(1, MAX_RATE),
        None => feed.period_ms() * 1000,
    };
    let elapsed_us = |now: Instant| u64::try_from((now - epoch()).as_micros()).unwrap_or(u64::MAX);
    let newest = elapsed_us(Instant::now()) / period_us.max(1) + 1;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty());
    let next = first_id(last, newest);
    let conn = Conn {
        feed,
        next,
        sent: 0,
        count: query.count,
        drop: query.drop.filter(|&d| d > 0),
        last_write: Instant::now(),
        held_since: None,
        _guard: guard,
    };
    let head = stream::iter([Bytes::from(format!("retry: {RETRY_MS}\n\n"))]);
    let body = stream::unfold(Some(conn), move |conn| async move {
        let mut c = conn?;
        loop {
            if c.drop.is_some_and(|d| c.sent >= d) {
                return None;
            }
            let exhausted = c.count.is_some_and(|n| c.sent >= n);
            let now = Instant::now();
            let newest = elapsed_us(now) / period_us.max(1) + 1;
            let hold = c.feed.hold_ms();
            let due = !exhausted && c.next <= newest;
            let release = due
                && (hold == 0
                    || c.held_since
                        .is_some_and(|t| now - t >= Duration::from_millis(hold)));
            if due && hold > 0 && c.held_since.is_none() {
                c.held_since = Some(now);
            }
            if release {
                let mut limit = newest.min(c.next + BATCH - 1);
                if let Some(n) = c.count {
                    limit = limit.min(c.next + (n - c.sent) - 1);
                }
                if let Some(d) = c.drop {
                    limit = limit.min(c.next + (d - c.sent) - 1);
                }
                let mut chunk = String::new();
                for n in c.next..=limit {
                    chunk.push_str(&encode(c.feed, n));
                }
                c.sent += limit + 1 - c.next;
                c.next = limit + 1;
                c.last_write = now;
                c.held_since = None;
                return Some((Bytes::from(chunk), Some(c)));
            }
            if now - c.last_write >= HEARTBEAT {
                c.last_write = now;
                return Some((Bytes::from_static(b": heartbeat\n\n"), Some(c)));
            }
            // Sleep until the next thing to do: the next event due, the end of a hold,
            // or the next heartbeat.
            let mut wake = c.last_write + HEARTBEAT;
            if !exhausted {
                let due_at = epoch() + Duration::from_micros((c.next - 1) * period_us);
                let due_at = match c.held_since {
                    Some(t) => t + Duration::from_millis(hold),
                    None => due_at,
                };
                wake = wake.min(due_at.max(now));
            }
            tokio::time::sleep_until(wake.max(now + Duration::from_micros(200))).await;
        }
    });
    let body = Body::from_stream(head.chain(body).map(Ok::<_, Infallible>));
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if query.accel != Some(0) {
        h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_id_resumes_within_the_ring() {
        assert_eq!(first_id(None, 50), 50);
        assert_eq!(first_id(Some("49"), 50), 50);
        assert_eq!(first_id(Some("10"), 50), 11);
        assert_eq!(first_id(Some("50"), 50), 51);
        assert_eq!(first_id(Some("0"), 50), 1);
        assert_eq!(first_id(Some("51"), 50), 1, "an id from the future");
        assert_eq!(first_id(Some("x"), 50), 1);
        assert_eq!(first_id(Some("1"), 5000), 5000 - RING + 1);
    }

    #[test]
    fn events_depend_on_their_id_only() {
        assert_eq!(encode(Feed::Ticker, 7), encode(Feed::Ticker, 7));
        assert_eq!(event(Feed::Ticker, 5).0, "trade");
        assert_eq!(event(Feed::Ticker, 6).0, "price");
        for feed in [Feed::Ticker, Feed::Scores, Feed::News] {
            for n in 1..200 {
                let (_, data) = event(feed, n);
                assert!(
                    serde_json::from_str::<serde_json::Value>(&data).is_ok(),
                    "{data}"
                );
            }
        }
        assert_eq!(newest_due(0, 500), 1);
        assert_eq!(newest_due(1000, 500), 3);
    }
}
