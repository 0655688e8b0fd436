//! rill-server as Pushpin's origin: a request for `/stream` or a published demo feed that
//! came through Pushpin (`Grip-Sig`) is answered with the stream's first bytes and GRIP hold
//! headers instead of a stream of its own; Pushpin keeps the connection and writes what
//! [`super::feeds`] publishes into it. Every other request passes through unchanged.
//!
//! What the first bytes hold:
//! - a new subscriber: the stream's head as direct clients get it (the clock's `retry:
//!   10000`, `connecttime` event; a feed's `retry: 2000` and its newest event);
//! - a browser reconnecting with `Last-Event-ID: k`: the head, then every event after `k`
//!   published so far (at most [`RING`]), so the browser resumes with no gap;
//! - Pushpin recovering a gap (`Grip-Last: {channel}; last-id=k`): the events after `k`
//!   only.
//!
//! Then `Grip-Channel: {channel}; prev-id={last published}`: what is published after it
//! follows in the stream. A CORS preflight for those paths (a fetch that sends
//! `Last-Event-ID` from another origin) is answered here too. This module holds no
//! per-subscriber state.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::feeds::{self, Published};
use super::pushpin;
use crate::demo_feeds::{Feed, RING};
use crate::AppState;

/// The stream a path serves through Pushpin, if it is one.
fn source(path: &str) -> Option<Option<Feed>> {
    match path {
        "/stream" => Some(None),
        "/demo/ticker" => Some(Some(Feed::Ticker)),
        "/demo/scores" => Some(Some(Feed::Scores)),
        "/demo/news" => Some(Some(Feed::News)),
        _ => None,
    }
}

/// Middleware: answers Pushpin's requests for published streams with a hold.
pub async fn hold_through_pushpin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(published) = &state.published else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_string();
    if request.method() == axum::http::Method::OPTIONS && source(&path).is_some() {
        return preflight();
    }
    match source(&path) {
        Some(feed) if pushpin::through_pushpin(request.headers()) => {
            hold(published, feed, &path, request.headers())
        }
        _ => next.run(request).await,
    }
}

/// The answer to a CORS preflight for a published stream: a page on another origin that
/// resumes by fetch sends `Last-Event-ID` itself (an EventSource's own reconnects need none).
fn preflight() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Last-Event-ID, Cache-Control, Accept"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// The ids after `after` that a resume sends, up to `last` (at most [`RING`] of them);
/// `None` when there are none.
pub fn missed(after: &str, last: u64) -> Option<std::ops::RangeInclusive<u64>> {
    match after.trim().parse::<u64>() {
        Ok(k) if k < last => Some((k + 1).max(last.saturating_sub(RING - 1)).max(1)..=last),
        // Up to date, from the future or not a number: nothing to add.
        _ => None,
    }
}

/// The held answer for `feed` (`None`: the clock).
fn hold(published: &Published, feed: Option<Feed>, path: &str, headers: &HeaderMap) -> Response {
    let channel = match feed {
        Some(f) => feeds::feed_channel(f),
        None => feeds::CLOCK,
    };
    let last = published.last(channel);
    let event = |id: u64| match feed {
        Some(f) => feeds::feed_event(f, id),
        None => feeds::clock_event(id),
    };
    let mut body = String::new();
    let push = |body: &mut String, ids: Option<std::ops::RangeInclusive<u64>>| {
        for id in ids.into_iter().flatten() {
            if let Some(wire) = event(id).wire() {
                body.push_str(&wire);
            }
        }
    };
    if let Some(after) = pushpin::grip_last(headers, channel) {
        push(&mut body, missed(&after, last.unwrap_or(0)));
    } else {
        let head = match feed {
            Some(_) => format!("retry: {}\n\n", crate::demo_feeds::RETRY_MS),
            None => format!(
                "retry: {}\nevent: connecttime\ndata: {}\n\n",
                crate::clock::RETRY_MS,
                feeds::clock_event(now_secs()).data
            ),
        };
        body.push_str(&head);
        let resume = headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .filter(|s| !s.trim().is_empty());
        match (resume, last, feed) {
            (Some(after), Some(last), _) => push(&mut body, missed(after, last)),
            // A new feed subscriber gets the newest event at once, as direct clients do.
            (None, Some(last), Some(_)) => push(&mut body, Some(last..=last)),
            _ => {}
        }
    }
    let prev = last.map(|n| n.to_string());
    let mut response = Response::new(Body::from(body));
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
    for (name, value) in pushpin::hold_headers(channel, prev.as_deref(), path) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_sends_what_came_after_up_to_the_last_published() {
        assert_eq!(missed("7", 10), Some(8..=10));
        assert_eq!(missed("10", 10), None);
        assert_eq!(missed("11", 10), None, "from the future");
        assert_eq!(missed("x", 10), None);
        assert_eq!(missed("1", 5000), Some(5000 - RING + 1..=5000));
    }
}
