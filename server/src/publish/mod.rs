//! Publishing into an SSE engine (`--publish nchan=URL`, `--publish pushpin=URL`): rill-server
//! hands each event to Nchan or Pushpin once, and the engine fans it out to every subscriber
//! and answers their `Last-Event-ID` resumes.
//!
//! - [`engine`]: which engine and where (`Engine`, parsed from the flag's `KIND=URL`);
//! - [`nchan`]: Nchan's HTTP publisher request (`POST {URL}/pub/{channel}`, the event type in
//!   `X-EventSource-Event`) and a channel's subscribe URL (`{URL}/sub/{channel}`);
//! - [`pushpin`]: Pushpin's GRIP: the publish request to its control API (`POST
//!   {URL}/publish/`, `http-stream` content with `id`/`prev-id`) and the hold headers an
//!   origin answers with (`Grip-Hold`, `Grip-Channel; prev-id`, `Grip-Link` for recovery);
//! - [`origin`]: rill-server as Pushpin's origin for `/stream` and `/demo/…` (a held answer
//!   with what the client missed, when the request comes through Pushpin);
//! - [`feeds`]: the publishing loops for the clock and demo feeds, and the last id each
//!   channel published ([`Published`]).
//!
//! The API is generic over channels ([`Publisher::publish`] takes any channel name and
//! [`SseEvent`]), so another producer (a reply, one channel per reply id) can publish the
//! same way. This module builds requests purely (tested without an engine) and sends them
//! with hyper's client; it must not hold per-subscriber state: that is the engine's job.

pub mod engine;
pub mod feeds;
pub mod nchan;
pub mod origin;
pub mod pushpin;

use std::fmt;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rill_sse::{Frame, LineEnd};

pub use engine::{Engine, EngineKind};
pub use feeds::Published;

/// How long one publish request may take before it counts as failed.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of an engine's acknowledgement that is read.
const ACK_LIMIT: usize = 64 * 1024;

/// One server-sent event as rill publishes it: its type (none: `message`), its id (rill's
/// own: a number for the feeds) and its data (any text; each line becomes a `data:` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub id: String,
    pub data: String,
}

impl SseEvent {
    /// The event as `text/event-stream` bytes (`event:`, `id:`, `data:` lines, a blank line).
    /// A type or id with a line break cannot be framed and yields `None`.
    pub fn wire(&self) -> Option<String> {
        let mut frame = Frame::data(self.data.clone()).id(self.id.clone());
        if let Some(kind) = &self.event {
            frame = frame.event(kind.clone());
        }
        frame.encode(LineEnd::Lf).ok()
    }
}

/// Why a publish failed, in words for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishError {
    /// The event cannot be framed (a line break in its type or id) or the URL is not valid.
    Invalid(String),
    /// The engine could not be reached or did not answer in [`PUBLISH_TIMEOUT`].
    Unreachable(String),
    /// The engine answered with a status that is not a success.
    Refused(StatusCode),
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::Invalid(why) => write!(f, "cannot publish: {why}"),
            PublishError::Unreachable(why) => write!(f, "engine unreachable: {why}"),
            PublishError::Refused(status) => write!(f, "engine answered {status}"),
        }
    }
}

impl std::error::Error for PublishError {}

type Client = hyper_util::client::legacy::Client<HttpConnector, Body>;

/// Publishes events into one engine.
#[derive(Debug, Clone)]
pub struct Publisher {
    engine: Engine,
    client: Client,
}

impl Publisher {
    pub fn new(engine: Engine) -> Publisher {
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(HttpConnector::new());
        Publisher { engine, client }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The request that publishes `event` to `channel`; `prev_id` is the id published to the
    /// channel before it (Pushpin uses it to order items and to see a gap; Nchan numbers
    /// messages itself and ignores it).
    pub fn request(
        &self,
        channel: &str,
        event: &SseEvent,
        prev_id: Option<&str>,
    ) -> Result<Request<Bytes>, PublishError> {
        match self.engine.kind {
            EngineKind::Nchan => nchan::publish_request(&self.engine.base, channel, event),
            EngineKind::Pushpin => {
                pushpin::publish_request(&self.engine.base, channel, event, prev_id)
            }
        }
    }

    /// Where a browser subscribes to `channel`, when the engine gives channels URLs of their
    /// own (Nchan: `{URL}/sub/{channel}`). Pushpin has none: its subscribers request the
    /// origin's own path through Pushpin, and the origin names the channel
    /// ([`pushpin::hold_headers`]).
    pub fn subscribe_url(&self, channel: &str) -> Option<String> {
        match self.engine.kind {
            EngineKind::Nchan => Some(nchan::subscribe_url(&self.engine.base, channel)),
            EngineKind::Pushpin => None,
        }
    }

    /// The request that publishes a reply's next events: `content` is their
    /// `text/event-stream` bytes with rill's ids, `last` the last one's number and `prev` the
    /// number before the first (Nchan writes the bytes to its raw-stream subscribers as they
    /// are; Pushpin to its held connections, as item `last` after `prev`).
    pub fn reply_request(
        &self,
        channel: &str,
        content: Bytes,
        last: u64,
        prev: u64,
    ) -> Result<Request<Bytes>, PublishError> {
        match self.engine.kind {
            EngineKind::Nchan => nchan::raw_publish_request(&self.engine.base, channel, content),
            EngineKind::Pushpin => pushpin::raw_publish_request(
                &self.engine.base,
                channel,
                &content,
                &last.to_string(),
                &prev.to_string(),
            ),
        }
    }

    /// The request that ends a reply's channel after its last event `last`: Nchan deletes it
    /// (its subscribers' responses end), Pushpin closes the connections that have it all.
    pub fn reply_end_request(
        &self,
        channel: &str,
        last: u64,
    ) -> Result<Request<Bytes>, PublishError> {
        match self.engine.kind {
            EngineKind::Nchan => nchan::delete_request(&self.engine.base, channel),
            EngineKind::Pushpin => {
                pushpin::close_after_request(&self.engine.base, channel, &last.to_string())
            }
        }
    }

    /// Sends `event` to `channel` and waits for the engine's answer.
    pub async fn publish(
        &self,
        channel: &str,
        event: &SseEvent,
        prev_id: Option<&str>,
    ) -> Result<(), PublishError> {
        self.send(self.request(channel, event, prev_id)?).await
    }

    /// Sends one request built above and waits for the engine's answer: a success, or why not.
    pub async fn send(&self, request: Request<Bytes>) -> Result<(), PublishError> {
        let request = request.map(Body::from);
        let answer = tokio::time::timeout(PUBLISH_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| PublishError::Unreachable("no answer in time".into()))?
            .map_err(|err| PublishError::Unreachable(err.to_string()))?;
        let status = answer.status();
        // The body is a short acknowledgement: read (bounded, in time too) so that the
        // connection is reused, which matters at a reply's many publishes a second.
        let ack = axum::body::to_bytes(Body::new(answer.into_body()), ACK_LIMIT);
        let _ = tokio::time::timeout(PUBLISH_TIMEOUT, ack).await;
        if status.is_success() {
            Ok(())
        } else {
            Err(PublishError::Refused(status))
        }
    }
}

/// The channel of reply `id` (32 hex digits: `reply-` and the id, within [`valid_channel`]).
pub fn reply_channel(id: &str) -> String {
    format!("reply-{id}")
}

/// A channel name as both engines accept it in a URL path and a header parameter: ASCII
/// letters, digits, `-` and `_`, 1 to 64 bytes.
pub fn valid_channel(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_framed_with_its_type_id_and_each_data_line() {
        let e = SseEvent {
            event: Some("price".into()),
            id: "7".into(),
            data: "a\nb".into(),
        };
        let wire = e.wire().expect("framed");
        assert!(wire.contains("event: price\n"), "{wire:?}");
        assert!(wire.contains("id: 7\n"), "{wire:?}");
        assert!(wire.ends_with("data: a\ndata: b\n\n"), "{wire:?}");
        let bad = SseEvent {
            event: Some("a\nb".into()),
            ..e
        };
        assert_eq!(bad.wire(), None);
    }

    #[test]
    fn a_replys_requests_go_to_its_channel_on_either_engine() {
        let id = "0123456789abcdef0123456789abcdef";
        let channel = reply_channel(id);
        assert!(valid_channel(&channel));
        let nchan = Publisher::new(Engine::parse("nchan=http://127.0.0.1:9").expect("engine"));
        let r = nchan
            .reply_request(&channel, Bytes::from_static(b"data: a\nid: 2\n\n"), 2, 1)
            .expect("request");
        assert_eq!(r.uri().path(), format!("/pub/{channel}"));
        assert_eq!(
            nchan.reply_end_request(&channel, 2).expect("end").method(),
            "DELETE"
        );
        let pushpin =
            Publisher::new(Engine::parse("pushpin=http://127.0.0.1:5561").expect("engine"));
        let r = pushpin
            .reply_request(&channel, Bytes::from_static(b"data: a\nid: 2\n\n"), 2, 1)
            .expect("request");
        assert_eq!(r.uri().path(), "/publish/");
        let body: serde_json::Value = serde_json::from_slice(r.body()).expect("json");
        assert_eq!(body["items"][0]["channel"], channel.as_str());
        assert_eq!(body["items"][0]["id"], "2");
        let end = pushpin.reply_end_request(&channel, 2).expect("end");
        let body: serde_json::Value = serde_json::from_slice(end.body()).expect("json");
        assert_eq!(body["items"][0]["prev-id"], "2");
    }

    #[test]
    fn channel_names_are_plain() {
        assert!(valid_channel("demo-ticker"));
        assert!(valid_channel("reply_0f3a"));
        assert!(!valid_channel(""));
        assert!(!valid_channel("a/b"));
        assert!(!valid_channel("a;b"));
        assert!(!valid_channel(&"x".repeat(65)));
    }
}
