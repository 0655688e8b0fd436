//! Pushpin's GRIP (pure): the publish request to its HTTP control API and the headers an
//! origin answers a subscriber with.
//!
//! - Publish: `POST {base}/publish/` with `{"items":[{"channel","id","prev-id","formats":
//!   {"http-stream":{"content": <the event's SSE bytes>}}}]}`; Pushpin writes `content` as it
//!   is to every connection held on the channel, so the browser sees rill's own ids.
//! - Hold: the origin's answer to a request that came through Pushpin (it carries
//!   `Grip-Sig`) is the stream's first bytes plus `Grip-Hold: stream`, `Grip-Channel:
//!   {channel}; prev-id={last id in those bytes}` and `Grip-Link: <{path}>; rel=next`.
//!   When Pushpin sees a published item whose `prev-id` is not the connection's last id (it
//!   was published while the connection was being set up) it requests that link with
//!   `Grip-Last: {channel}; last-id={id}` and writes the answer into the stream: no gap.
//! - A reconnecting browser's `Last-Event-ID` reaches the origin untouched, which answers it
//!   with the events after it ([`super::origin`]).

use axum::http::{header, HeaderMap, Method, Request};
use bytes::Bytes;
use serde_json::json;

use super::{valid_channel, PublishError, SseEvent};

/// Pushpin's control API path.
pub const PUBLISH_PATH: &str = "/publish/";
/// Seconds of silence after which Pushpin sends the keep-alive comment.
pub const KEEP_ALIVE_SECS: u32 = 15;

/// The request that publishes `event` to `channel`, after `prev_id`.
pub fn publish_request(
    base: &str,
    channel: &str,
    event: &SseEvent,
    prev_id: Option<&str>,
) -> Result<Request<Bytes>, PublishError> {
    if !valid_channel(channel) {
        return Err(PublishError::Invalid(format!("channel {channel:?}")));
    }
    let content = event
        .wire()
        .ok_or_else(|| PublishError::Invalid(format!("event {:?}", event.id)))?;
    let mut item = json!({
        "channel": channel,
        "id": event.id,
        "formats": { "http-stream": { "content": content } },
    });
    if let Some(prev) = prev_id {
        item["prev-id"] = json!(prev);
    }
    let body = json!({ "items": [item] }).to_string();
    Request::builder()
        .method(Method::POST)
        .uri(format!("{base}{PUBLISH_PATH}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body))
        .map_err(|err| PublishError::Invalid(err.to_string()))
}

/// The request that closes every connection held on `channel` (an `http-stream` `close`
/// action): the browsers reconnect with `Last-Event-ID`.
pub fn close_request(base: &str, channel: &str) -> Result<Request<Bytes>, PublishError> {
    items_request(
        base,
        channel,
        json!({
            "channel": channel,
            "formats": { "http-stream": { "action": "close" } },
        }),
    )
}

/// The request that publishes `content` (bytes of `text/event-stream`: a reply's events with
/// their `id: N`) to `channel` as one item with id `id` after `prev_id`.
pub fn raw_publish_request(
    base: &str,
    channel: &str,
    content: &[u8],
    id: &str,
    prev_id: &str,
) -> Result<Request<Bytes>, PublishError> {
    let content = std::str::from_utf8(content)
        .map_err(|_| PublishError::Invalid(format!("item {id:?}: not UTF-8")))?;
    items_request(
        base,
        channel,
        json!({
            "channel": channel,
            "id": id,
            "prev-id": prev_id,
            "formats": { "http-stream": { "content": content } },
        }),
    )
}

/// The request that closes the connections held on `channel` that have everything up to
/// `prev_id` (a connection that does not asks the origin for the rest first: [`hold_headers`]'
/// link), after the reply's last item.
pub fn close_after_request(
    base: &str,
    channel: &str,
    prev_id: &str,
) -> Result<Request<Bytes>, PublishError> {
    items_request(
        base,
        channel,
        json!({
            "channel": channel,
            "id": format!("{prev_id}-end"),
            "prev-id": prev_id,
            "formats": { "http-stream": { "action": "close" } },
        }),
    )
}

fn items_request(
    base: &str,
    channel: &str,
    item: serde_json::Value,
) -> Result<Request<Bytes>, PublishError> {
    if !valid_channel(channel) {
        return Err(PublishError::Invalid(format!("channel {channel:?}")));
    }
    let body = json!({ "items": [item] }).to_string();
    Request::builder()
        .method(Method::POST)
        .uri(format!("{base}{PUBLISH_PATH}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body))
        .map_err(|err| PublishError::Invalid(err.to_string()))
}

/// The GRIP headers (names in lower case) that hold a stream on `channel`: `prev_id` is the last id the answer's
/// body holds (none: nothing published yet), `next` the origin path Pushpin asks to recover
/// what it missed.
pub fn hold_headers(
    channel: &str,
    prev_id: Option<&str>,
    next: &str,
) -> Vec<(&'static str, String)> {
    let channel_value = match prev_id {
        Some(id) => format!("{channel}; prev-id={id}"),
        None => channel.to_string(),
    };
    vec![
        ("grip-hold", "stream".to_string()),
        ("grip-channel", channel_value),
        ("grip-link", format!("<{next}>; rel=next")),
        // `cstring`: the value's `\n` are escapes for the comment's line ends.
        (
            "grip-keep-alive",
            format!(": heartbeat\\n\\n; format=cstring; timeout={KEEP_ALIVE_SECS}"),
        ),
    ]
}

/// [`hold_headers`] for a reply: Pushpin asks `next` again after `timeout_secs` without an
/// item (rather than its default two minutes), so a connection held just after the reply's
/// last item and its close were published learns from the origin that the reply ended.
pub fn reply_hold_headers(
    channel: &str,
    prev_id: &str,
    next: &str,
    timeout_secs: u32,
) -> Vec<(&'static str, String)> {
    hold_headers(channel, Some(prev_id), next)
        .into_iter()
        .map(|(name, value)| match name {
            "grip-link" => (name, format!("<{next}>; rel=next; timeout={timeout_secs}")),
            _ => (name, value),
        })
        .collect()
}

/// True when `headers` are those of a request Pushpin forwarded (it signs each with
/// `Grip-Sig`). A direct client that forges it only gets the hold headers in its answer.
pub fn through_pushpin(headers: &HeaderMap) -> bool {
    headers.contains_key("grip-sig")
}

/// The `last-id` Pushpin gives for `channel` in a recovery request's `Grip-Last` header
/// (`Grip-Last: {channel}; last-id={id}`, channels separated by commas).
pub fn grip_last(headers: &HeaderMap, channel: &str) -> Option<String> {
    headers
        .get_all("grip-last")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            if parts.next()? != channel {
                return None;
            }
            parts.find_map(|p| p.strip_prefix("last-id=").map(str::to_string))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_publish_is_one_http_stream_item_with_the_events_bytes_and_ids() {
        let e = SseEvent {
            event: Some("trade".into()),
            id: "15".into(),
            data: "{\"qty\":3}".into(),
        };
        let r = publish_request("http://127.0.0.1:5561", "demo-ticker", &e, Some("14"))
            .expect("request");
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri(), "http://127.0.0.1:5561/publish/");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let body: serde_json::Value = serde_json::from_slice(r.body()).expect("json");
        let item = &body["items"][0];
        assert_eq!(item["channel"], "demo-ticker");
        assert_eq!(item["id"], "15");
        assert_eq!(item["prev-id"], "14");
        assert_eq!(
            item["formats"]["http-stream"]["content"],
            "event: trade\nid: 15\ndata: {\"qty\":3}\n\n"
        );
        let first = publish_request("http://h", "clock", &e, None).expect("request");
        let body: serde_json::Value = serde_json::from_slice(first.body()).expect("json");
        assert!(body["items"][0].get("prev-id").is_none());
    }

    #[test]
    fn a_close_is_an_http_stream_action() {
        let r = close_request("http://h", "clock").expect("request");
        let body: serde_json::Value = serde_json::from_slice(r.body()).expect("json");
        assert_eq!(
            body["items"][0]["formats"]["http-stream"]["action"],
            "close"
        );
    }

    #[test]
    fn a_reply_item_carries_its_bytes_and_ids_and_its_close_follows_the_last() {
        let r = raw_publish_request("http://h", "reply-ab", b"data: x\nid: 3\n\n", "3", "1")
            .expect("request");
        let body: serde_json::Value = serde_json::from_slice(r.body()).expect("json");
        let item = &body["items"][0];
        assert_eq!(item["channel"], "reply-ab");
        assert_eq!(item["id"], "3");
        assert_eq!(item["prev-id"], "1");
        assert_eq!(
            item["formats"]["http-stream"]["content"],
            "data: x\nid: 3\n\n"
        );
        assert!(raw_publish_request("http://h", "reply-ab", &[0xff], "1", "0").is_err());
        let c = close_after_request("http://h", "reply-ab", "9").expect("request");
        let body: serde_json::Value = serde_json::from_slice(c.body()).expect("json");
        let item = &body["items"][0];
        assert_eq!(item["prev-id"], "9");
        assert_eq!(item["id"], "9-end");
        assert_eq!(item["formats"]["http-stream"]["action"], "close");
    }

    #[test]
    fn hold_headers_name_the_channel_its_last_id_and_the_recovery_link() {
        let h = hold_headers("clock", Some("1796302038"), "/stream");
        assert!(h.contains(&("grip-hold", "stream".into())));
        assert!(h.contains(&("grip-channel", "clock; prev-id=1796302038".into())));
        assert!(h.contains(&("grip-link", "</stream>; rel=next".into())));
        let first = hold_headers("clock", None, "/stream");
        assert!(first.contains(&("grip-channel", "clock".into())));
        for (name, value) in h {
            assert!(HeaderValue::from_str(&value).is_ok(), "{name}: {value}");
        }
    }

    #[test]
    fn a_replys_hold_asks_again_soon() {
        let h = reply_hold_headers("reply-ab", "4", "/v1/replies/ab", 10);
        assert!(h.contains(&("grip-channel", "reply-ab; prev-id=4".into())));
        assert!(h.contains(&("grip-link", "</v1/replies/ab>; rel=next; timeout=10".into())));
        assert!(h.contains(&("grip-hold", "stream".into())));
    }

    #[test]
    fn grip_last_is_read_per_channel() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "grip-last",
            HeaderValue::from_static("other; last-id=3, demo-news; last-id=41"),
        );
        assert_eq!(grip_last(&headers, "demo-news").as_deref(), Some("41"));
        assert_eq!(grip_last(&headers, "other").as_deref(), Some("3"));
        assert_eq!(grip_last(&headers, "clock"), None);
        assert!(!through_pushpin(&headers));
        headers.insert("grip-sig", HeaderValue::from_static("x"));
        assert!(through_pushpin(&headers));
    }
}
