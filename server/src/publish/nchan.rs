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
    fn bad_channels_and_types_are_refused() {
        assert!(publish_request("http://h", "a/b", &ev(None)).is_err());
        assert!(publish_request("http://h", "c", &ev(Some("a\nb"))).is_err());
    }
}
