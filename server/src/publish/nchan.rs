//! Nchan's HTTP publisher protocol (pure): `POST {base}/pub/{channel}` with the event's data
//! as the body and its type in `X-EventSource-Event`; subscribers open `{base}/sub/{channel}`
//! (an `nchan_subscriber eventsource` location, deploy/nchan/nginx.conf).
//!
//! Nchan numbers messages itself (`id: <time>:<tag>`) and answers a subscriber's
//! `Last-Event-ID` from its message buffer, so rill's own id is not sent: a publish carries
//! the type and the data only, and Nchan's ids are what the browser resumes with.

use axum::http::{header, Method, Request};
use bytes::Bytes;

use super::{valid_channel, PublishError, SseEvent};

/// The publisher location under the base URL.
pub const PUB_PATH: &str = "/pub/";
/// The subscriber location under the base URL.
pub const SUB_PATH: &str = "/sub/";

/// The request that publishes `event` to `channel`.
pub fn publish_request(
    base: &str,
    channel: &str,
    event: &SseEvent,
) -> Result<Request<Bytes>, PublishError> {
    if !valid_channel(channel) {
        return Err(PublishError::Invalid(format!("channel {channel:?}")));
    }
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("{base}{PUB_PATH}{channel}"))
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        // Nchan answers with the channel's counts; JSON is the shortest to ignore.
        .header(header::ACCEPT, "application/json");
    if let Some(kind) = &event.event {
        if kind.contains(['\r', '\n']) {
            return Err(PublishError::Invalid(format!("event type {kind:?}")));
        }
        request = request.header("X-EventSource-Event", kind.as_str());
    }
    request
        .body(Bytes::from(event.data.clone()))
        .map_err(|err| PublishError::Invalid(err.to_string()))
}

/// Where a browser subscribes to `channel`.
pub fn subscribe_url(base: &str, channel: &str) -> String {
    format!("{base}{SUB_PATH}{channel}")
}

/// The request that publishes `content` to `channel` as it is: bytes of `text/event-stream`
/// (a reply's events with rill's own `id: N`), which the reply location's `http-raw-stream`
/// subscribers get unchanged (deploy/nchan/nginx.conf). Empty content creates the channel
/// and writes nothing to them.
pub fn raw_publish_request(
    base: &str,
    channel: &str,
    content: Bytes,
) -> Result<Request<Bytes>, PublishError> {
    if !valid_channel(channel) {
        return Err(PublishError::Invalid(format!("channel {channel:?}")));
    }
    Request::builder()
        .method(Method::POST)
        .uri(format!("{base}{PUB_PATH}{channel}"))
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::ACCEPT, "application/json")
        .body(content)
        .map_err(|err| PublishError::Invalid(err.to_string()))
}

/// The request that deletes `channel`: its messages go, and every subscriber's response
/// ends (Nchan answers them `410 Gone`, which a raw stream already under way just ends on).
pub fn delete_request(base: &str, channel: &str) -> Result<Request<Bytes>, PublishError> {
    if !valid_channel(channel) {
        return Err(PublishError::Invalid(format!("channel {channel:?}")));
    }
    Request::builder()
        .method(Method::DELETE)
        .uri(format!("{base}{PUB_PATH}{channel}"))
        .header(header::ACCEPT, "application/json")
        .body(Bytes::new())
        .map_err(|err| PublishError::Invalid(err.to_string()))
}

/// The path (from the root, so that it resolves on whatever origin the browser reached
/// Nchan by) of `channel`'s subscriber location under `base`'s path.
pub fn subscribe_path(base: &str, channel: &str) -> String {
    let rest = base.strip_prefix("http://").unwrap_or(base);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    format!("{path}{SUB_PATH}{channel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: Option<&str>) -> SseEvent {
        SseEvent {
            event: kind.map(str::to_string),
            id: "12".into(),
            data: "{\"symbol\":\"RILL\"}".into(),
        }
    }

    #[test]
    fn a_publish_posts_the_data_with_the_type_in_a_header() {
        let r = publish_request("http://127.0.0.1:9", "demo-ticker", &ev(Some("price")))
            .expect("request");
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri(), "http://127.0.0.1:9/pub/demo-ticker");
        assert_eq!(r.headers()["x-eventsource-event"], "price");
        assert_eq!(r.body().as_ref(), b"{\"symbol\":\"RILL\"}");
        let plain = publish_request("http://h", "clock", &ev(None)).expect("request");
        assert!(plain.headers().get("x-eventsource-event").is_none());
        assert_eq!(subscribe_url("http://h:1", "clock"), "http://h:1/sub/clock");
    }

    #[test]
    fn a_raw_publish_carries_the_bytes_as_they_are_and_a_delete_ends_the_channel() {
        let content = Bytes::from_static(b"data: {\"a\":1}\nid: 7\n\n");
        let r = raw_publish_request("http://h:9", "reply-ab", content.clone()).expect("request");
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri(), "http://h:9/pub/reply-ab");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/event-stream");
        assert!(r.headers().get("x-eventsource-event").is_none());
        assert_eq!(r.body(), &content);
        let d = delete_request("http://h:9", "reply-ab").expect("request");
        assert_eq!(d.method(), Method::DELETE);
        assert_eq!(d.uri(), "http://h:9/pub/reply-ab");
        assert!(raw_publish_request("http://h", "a/b", Bytes::new()).is_err());
        assert!(delete_request("http://h", "a b").is_err());
    }

    #[test]
    fn the_subscribe_path_keeps_the_bases_path_and_drops_its_origin() {
        assert_eq!(
            subscribe_path("http://127.0.0.1:8081", "reply-ab"),
            "/sub/reply-ab"
        );
        assert_eq!(
            subscribe_path("http://h/nchan", "reply-ab"),
            "/nchan/sub/reply-ab"
        );
    }

    #[test]
    fn bad_channels_and_types_are_refused() {
        assert!(publish_request("http://h", "a/b", &ev(None)).is_err());
        assert!(publish_request("http://h", "c", &ev(Some("a\nb"))).is_err());
    }
}
