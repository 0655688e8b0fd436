//! Streams from a server, as one sequence of [`StreamEvent`]s whatever the transport.
//!
//! The types here are pure and shared by every transport; [`event_source`] is the browser
//! glue over `EventSource`. A transport owns its browser resources and releases them on drop;
//! it never touches the DOM or application state, it only calls the sink it was given.

pub mod event_source;

pub use rill_sse::Event;

/// What a stream handle reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The connection is open and the server answered with an event stream.
    Open,
    /// A dispatched event.
    Event(Event),
    /// The server set the reconnection time (`retry:` field), in milliseconds.
    Retry(u64),
    /// Something went wrong; [`StreamError::reconnect`] says what happens next.
    Error(StreamError),
    /// The stream ended and will not reconnect.
    Closed(CloseReason),
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
    /// The browser's EventSource refused the stream for good. Browsers do this for a
    /// non-200 status or a Content-Type other than `text/event-stream`, and do not say which.
    Refused,
    /// The URL could not be used at all (the browser threw when opening it).
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
}

/// Why a stream ended for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The user or the app closed it.
    ByClient,
}

impl StreamEvent {
    /// Shorthand for an error event.
    pub fn error(kind: ErrorKind, reconnect: Reconnect) -> StreamEvent {
        StreamEvent::Error(StreamError { kind, reconnect })
    }
}
