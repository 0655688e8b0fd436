//! `rill-bench-wasm`: [`rill_sse::Decoder`] exported to JavaScript for the in-browser half of
//! `./x bench` (see `bench/page/bench.js`, which drives it next to eventsource-parser).
//!
//! Two ways in, both counting what the decoder produced (events, and the total length in bytes
//! of their data) so that no work can be optimised away and the page can check that every
//! implementation decoded the same thing:
//!
//! * [`Session`]: one decoder fed chunk by chunk from JavaScript, the way the app's fetch
//!   transport feeds it from a body reader: each `push` copies one `Uint8Array` into a buffer
//!   in wasm memory that is reused from chunk to chunk (`Uint8Array::copy_to`) — that copy is
//!   part of what is measured.
//! * [`decode`]: the whole input copied into wasm memory once, then cut into the same chunks
//!   inside Rust: the boundary-crossing overhead of the chunked path, minus one copy per chunk.
//!
//! Events are consumed in Rust. By default through [`Decoder::push_with`]: each event is
//! handed over borrowed (`&str` type, data and id, no allocation), the Rust counterpart of
//! eventsource-parser's `onEvent` receiving strings. [`Session::owned`] uses [`Decoder::push`]
//! instead, which allocates an [`Item`] with owned `String`s per event (what the app's fetch
//! transport does, since it hands events on to the UI).

use rill_sse::{Decoder, Item, ItemRef};
use wasm_bindgen::prelude::*;

/// One decoder plus the running counts of what it has produced.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Session {
    decoder: Decoder,
    /// `Some` in owned mode: where `push` puts the items.
    items: Option<Vec<Item>>,
    /// The chunk, copied in from JavaScript (kept between chunks, as in the app).
    buf: Vec<u8>,
    events: u32,
    data_bytes: u64,
    failed: bool,
}

#[wasm_bindgen]
impl Session {
    /// A fresh decoder with rill-sse's default buffer limit, events borrowed.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Session {
        Session::default()
    }

    /// A fresh decoder whose events are owned [`Item`]s.
    pub fn owned() -> Session {
        Session {
            items: Some(Vec::new()),
            ..Session::default()
        }
    }

    /// Decode one chunk of the stream, copied into wasm memory first (as in the app).
    pub fn push(&mut self, chunk: &js_sys::Uint8Array) {
        self.buf.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut self.buf);
        let buf = std::mem::take(&mut self.buf);
        self.push_bytes(&buf);
        self.buf = buf;
    }

    fn push_bytes(&mut self, chunk: &[u8]) {
        let pushed = match &mut self.items {
            None => {
                let (events, data_bytes) = (&mut self.events, &mut self.data_bytes);
                self.decoder.push_with(chunk, |item| {
                    if let ItemRef::Event(event) = item {
                        *events = events.wrapping_add(1);
                        *data_bytes = data_bytes.wrapping_add(event.data.len() as u64);
                    }
                })
            }
            Some(items) => self.decoder.push(chunk, items),
        };
        if pushed.is_err() {
            self.failed = true;
        }
        self.count();
    }

    /// End of stream: an unfinished event is discarded, as the spec says.
    pub fn finish(&mut self) {
        if let Some(items) = &mut self.items {
            self.decoder.finish(items);
        }
        self.count();
    }

    /// Events dispatched so far.
    #[wasm_bindgen(getter)]
    pub fn events(&self) -> u32 {
        self.events
    }

    /// Total length, in bytes of UTF-8, of the dispatched events' data (exact below 2^53).
    #[wasm_bindgen(getter, js_name = dataBytes)]
    pub fn data_bytes(&self) -> f64 {
        self.data_bytes as f64
    }

    /// Whether the decoder reported an error (the buffer limit); the page treats it as a failure.
    #[wasm_bindgen(getter)]
    pub fn failed(&self) -> bool {
        self.failed
    }

    fn count(&mut self) {
        let Some(items) = &mut self.items else {
            return;
        };
        for item in items.drain(..) {
            if let Item::Event(event) = item {
                self.events = self.events.wrapping_add(1);
                self.data_bytes = self.data_bytes.wrapping_add(event.data.len() as u64);
            }
        }
    }
}

/// Decode `input` (copied into wasm memory once) in chunks of `chunk_lengths` bytes, in order;
/// bytes beyond their sum form one last chunk. Returns the finished [`Session`] with its counts.
#[wasm_bindgen]
pub fn decode(input: &[u8], chunk_lengths: &[u32]) -> Session {
    let mut session = Session::new();
    let mut rest = input;
    for &len in chunk_lengths {
        let (chunk, tail) = rest.split_at((len as usize).min(rest.len()));
        session.push_bytes(chunk);
        rest = tail;
    }
    if !rest.is_empty() {
        session.push_bytes(rest);
    }
    session.finish();
    session
}
