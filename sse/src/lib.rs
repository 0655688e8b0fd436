//! `rill-sse`: the wire formats rill streams over, as pure functions of bytes.
//!
//! This crate owns the byte-level protocols only:
//!
//! * [`decode`] — an incremental `text/event-stream` parser implementing the WHATWG HTML
//!   Standard, §9.2.6 "Interpreting an event stream", fed arbitrary chunks.
//! * [`encode`] — the inverse: [`Frame`]s written as `text/event-stream` text (used by the
//!   reference server and by tests).
//! * [`ndjson`] — an incremental newline-delimited JSON decoder (Ollama's native API).
//!
//! It must not do I/O, touch the DOM (`web-sys`), spawn tasks, or depend on anything heavier
//! than `serde_json`/`thiserror`/`memchr`: it builds unchanged for native targets and for
//! `wasm32-unknown-unknown`, and no input, however malformed, can make it panic.
//!
//! ```
//! use rill_sse::{Decoder, Event, Frame, Item, LineEnd};
//!
//! let body = Frame::data("hello\nworld").event("greet").id("1").encode(LineEnd::CrLf)?;
//! let (head, tail) = body.as_bytes().split_at(9); // chunk boundaries do not matter
//! let mut decoder = Decoder::new();
//! let mut items = Vec::new();
//! decoder.push(head, &mut items)?;
//! decoder.push(tail, &mut items)?;
//! decoder.finish(&mut items);
//! assert_eq!(
//!     items,
//!     [Item::Event(Event { event: "greet".into(), data: "hello\nworld".into(), id: "1".into() })]
//! );
//! assert_eq!(decoder.last_event_id(), "1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod decode;
pub mod encode;
pub mod ndjson;

pub use decode::{DecodeError, Decoder, Event, EventRef, Item, ItemRef, DEFAULT_MAX_BUFFER};
pub use encode::{EncodeError, Frame, LineEnd};
pub use ndjson::{NdjsonDecoder, NdjsonError};
