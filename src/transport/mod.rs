//! Streams from a server, as one sequence of [`StreamEvent`]s whatever the transport.
//!
//! The types, [`policy`] and [`response`] are pure and tested natively. [`event_source`],
//! [`guarded_event_source`] (the browser's EventSource with rill's reconnect floor) and
//! [`fetch`] are the browser glue; [`StreamHandle`] is the one handle the app holds.
//! A transport owns its browser resources and releases them on drop; it never touches the
//! DOM or application state, it only calls the sink it was given.

pub mod body;
pub mod event_source;
pub mod fetch;
pub mod fetch_task;
pub mod guarded_event_source;
pub mod inspect_fetch;
pub mod policy;
pub mod replay;
pub mod response;
pub mod shared_feed;
pub mod shared_wire;

pub use rill_sse::Event;

use event_source::EventSourceOptions;
use fetch::{FetchRequest, FetchStream};
use guarded_event_source::GuardedEventSource;

/// What a stream handle reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The connection is open and the server answered with a stream.
    Open,
    /// A dispatched SSE event.
    Event(Event),
    /// One NDJSON value (Ollama's native API).
    Json(crate::json::Json<'static>),
    /// The server set the reconnection time (`retry:` field), in milliseconds.
    Retry(u64),
    /// Something went wrong; [`StreamError::reconnect`] says what happens next.
    Error(StreamError),
    /// The stream ended and will not reconnect.
    Closed(CloseReason),
    /// The server keeps this reply and offers to resume it (`Rill-Resume`, and `Rill-Stop`
    /// when it has one): both URLs resolved against the request, so absolute. Sent right
    /// after [`StreamEvent::Open`], for POST requests only (a chat reply); whether to take
    /// the offer (same origin) is the caller's business.
    Offer {
        resume: String,
        stop: Option<String>,
    },
    /// A resume of a kept reply found nothing more to send (204) and the server said how
    /// the reply ended (`Rill-Reply-End`). Sent right before
    /// `Closed(CloseReason::NoContent)`, by the fetch transport only.
    ReplyEnd(ReplyEnd),
    /// Bytes arrived that completed no event (a comment such as a heartbeat, a blank
    /// line, a part of an event): the connection is alive. Only the fetch transport sees
    /// these; the browser's EventSource hides comments.
    Alive,
}

/// How a kept reply ended, as its server says on a resume with nothing more to send
/// (`Rill-Reply-End`, see rill-server's `chat::replies`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyEnd {
    /// The model finished its answer.
    Done,
    /// A stop request ended it.
    Stopped,
    /// It broke off (its source failed, it grew too large, nobody read it): what was
    /// received is all there is.
    Failed,
}

impl ReplyEnd {
    /// A `Rill-Reply-End` value (`done`, `stopped`, `failed`; ASCII case and surrounding
    /// spaces ignored); `None` for anything else.
    pub fn parse(value: &str) -> Option<ReplyEnd> {
        let value = value.trim();
        [
            ("done", ReplyEnd::Done),
            ("stopped", ReplyEnd::Stopped),
            ("failed", ReplyEnd::Failed),
        ]
        .into_iter()
        .find_map(|(word, end)| value.eq_ignore_ascii_case(word).then_some(end))
    }
}

/// A failure, with what the user needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub kind: ErrorKind,
    pub reconnect: Reconnect,
}

/// Why a stream failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The connection was lost or could not be made.
    Network,
    /// The browser is offline; nothing is attempted until it is back.
    Offline,
    /// The browser's EventSource refused the stream for good. Browsers do this for a
    /// non-200 status or a Content-Type other than `text/event-stream`, and do not say which.
    Refused,
    /// The server answered with an error status.
    Http {
        status: u16,
        content_type: String,
        /// The server's own message, from its body.
        message: String,
        /// How long the server asked to wait (`Retry-After`, capped), for the statuses
        /// whose header rill honours (`policy::retry_after_applies`).
        retry_after_ms: Option<u64>,
    },
    /// The server answered 2xx with something other than an event stream.
    ContentType { status: u16, received: String },
    /// The server answered 204 No Content: it asks the client not to reconnect.
    NoContent,
    /// The stream's bytes could not be decoded (too large, malformed JSON line).
    Decode(String),
    /// The URL or request could not be used at all.
    BadUrl(String),
}

/// What the transport does after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    /// The error is final.
    Never,
    /// The browser's EventSource reconnects by itself after the server's `retry` time,
    /// which it does not reveal.
    ByBrowser,
    /// The transport reconnects after this many milliseconds.
    After(u64),
    /// The transport reconnects when the browser is back online.
    WhenOnline,
}

/// Why a stream ended for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The user or the app closed it.
    ByClient,
    /// The server ended the body and the request is not one to repeat (a chat reply).
    EndOfStream,
    /// The server answered 204 No Content: the spec's way to say "stop reconnecting".
    NoContent,
}

impl StreamEvent {
    /// Shorthand for an error event.
    pub fn error(kind: ErrorKind, reconnect: Reconnect) -> StreamEvent {
        StreamEvent::Error(StreamError { kind, reconnect })
    }
}

/// Which browser API carries a GET feed (`?transport=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// The browser's `EventSource`: reconnection managed by the browser, unless it loops
    /// (then rill closes it and reconnects on its own schedule).
    #[default]
    EventSource,
    /// `fetch` with rill's decoder: shows `retry`, sends `Last-Event-ID`, reconnects with
    /// rill's jittered backoff, and names the status and Content-Type of a refusal.
    Fetch,
}

impl Transport {
    /// The `transport` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::EventSource => "eventsource",
            Transport::Fetch => "fetch",
        }
    }

    /// Parses a `transport` parameter value.
    pub fn parse(s: &str) -> Option<Transport> {
        match s {
            "eventsource" | "es" => Some(Transport::EventSource),
            "fetch" => Some(Transport::Fetch),
            _ => None,
        }
    }
}

/// One open stream over either transport; closed on drop.
pub enum StreamHandle {
    EventSource(GuardedEventSource),
    Fetch(FetchStream),
    /// A recording played back (`replay::ReplayStream`).
    Replay(replay::ReplayStream),
}

impl StreamHandle {
    /// Closes the stream now, without releasing the handle: safe to call from inside the
    /// handle's own sink (the handle is dropped later, outside the callback).
    pub fn close(&self) {
        match self {
            StreamHandle::EventSource(h) => h.close(),
            StreamHandle::Fetch(h) => h.close(),
            StreamHandle::Replay(h) => h.close(),
        }
    }

    /// Opens a streamed request over fetch.
    pub fn open_fetch(
        request: FetchRequest,
        sink: impl FnMut(StreamEvent) + 'static,
    ) -> StreamHandle {
        StreamHandle::Fetch(FetchStream::open(request, sink))
    }

    /// Opens a GET feed of SSE events (`event_types` matter for EventSource only: fetch
    /// reports every type).
    pub fn open_feed(
        transport: Transport,
        url: &str,
        event_types: &[&str],
        sink: impl FnMut(StreamEvent) + 'static,
    ) -> Result<StreamHandle, StreamEvent> {
        match transport {
            Transport::EventSource => {
                let options = EventSourceOptions {
                    with_credentials: false,
                    event_types: event_types.iter().map(|t| t.to_string()).collect(),
                };
                GuardedEventSource::open(url, &options, sink).map(StreamHandle::EventSource)
            }
            Transport::Fetch => Ok(StreamHandle::Fetch(FetchStream::open(
                FetchRequest::get(url),
                sink,
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_ends_are_the_three_words() {
        assert_eq!(ReplyEnd::parse("done"), Some(ReplyEnd::Done));
        assert_eq!(ReplyEnd::parse(" Stopped "), Some(ReplyEnd::Stopped));
        assert_eq!(ReplyEnd::parse("FAILED"), Some(ReplyEnd::Failed));
        for other in ["", "done,", "ok", "done stopped"] {
            assert_eq!(ReplyEnd::parse(other), None, "{other:?}");
        }
    }
}
