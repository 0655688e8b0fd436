//! A streamed body's bytes as [`StreamEvent`]s (pure): the SSE decoder or the NDJSON line
//! reader, fed one network read at a time. The fetch transport and a replayed recording
//! (`super::replay`) both decode through this, so a replay yields exactly the live events.
//!
//! Must not: touch the browser. SSE keeps its last event id across attempts (the next
//! request resumes from it); NDJSON starts over with each attempt ([`BodyDecoder::restart`]).

use rill_sse::{Decoder, Item, NdjsonDecoder, NdjsonError};

use super::response::BodyFormat;
use super::StreamEvent;
use crate::json::Json;

/// Decodes one stream's body, read by read.
pub struct BodyDecoder {
    format: BodyFormat,
    max_buffer: usize,
    sse: Decoder,
    ndjson: NdjsonDecoder,
    items: Vec<Item>,
    values: Vec<Result<Json<'static>, NdjsonError>>,
}

impl BodyDecoder {
    /// A decoder for `format` holding at most `max_buffer` bytes of one event or line,
    /// resuming after `last_event_id` (SSE).
    pub fn new(format: BodyFormat, max_buffer: usize, last_event_id: Option<String>) -> Self {
        let mut sse = Decoder::with_max_buffer(max_buffer);
        if let Some(id) = last_event_id {
            sse = sse.with_last_event_id(id);
        }
        BodyDecoder {
            format,
            max_buffer,
            sse,
            ndjson: NdjsonDecoder::with_max_buffer(max_buffer),
            items: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The SSE last event id (sent as `Last-Event-ID` on a reconnect).
    pub fn last_event_id(&self) -> &str {
        self.sse.last_event_id()
    }

    /// A new attempt's body begins.
    pub fn restart(&mut self) {
        self.ndjson = NdjsonDecoder::with_max_buffer(self.max_buffer);
    }

    /// One read: each event, retry or value it completes, or [`StreamEvent::Alive`] when it
    /// completed none. An error (the stream cannot be decoded further) is its message; the
    /// events before it were emitted.
    pub fn push(&mut self, bytes: &[u8], emit: &mut impl FnMut(StreamEvent)) -> Result<(), String> {
        match self.format {
            BodyFormat::EventStream => {
                let pushed = self.sse.push(bytes, &mut self.items);
                if self.items.is_empty() {
                    emit(StreamEvent::Alive);
                }
                for item in self.items.drain(..) {
                    emit(match item {
                        Item::Event(ev) => StreamEvent::Event(ev),
                        Item::Retry(ms) => StreamEvent::Retry(ms),
                    });
                }
                pushed.map_err(|err| {
                    self.abandon();
                    err.to_string()
                })
            }
            BodyFormat::Ndjson => {
                self.ndjson
                    .push_with(bytes, &mut owned_json, &mut self.values);
                if self.values.is_empty() {
                    emit(StreamEvent::Alive);
                }
                emit_values(&mut self.values, emit)
            }
        }
    }

    /// The body ended: an unterminated SSE event is dropped (as the spec says); a last
    /// NDJSON line without its newline is a value.
    pub fn finish(&mut self, emit: &mut impl FnMut(StreamEvent)) -> Result<(), String> {
        match self.format {
            BodyFormat::EventStream => {
                self.abandon();
                Ok(())
            }
            BodyFormat::Ndjson => {
                self.ndjson.finish_with(&mut owned_json, &mut self.values);
                emit_values(&mut self.values, emit)
            }
        }
    }

    /// The body broke off: what was half read is dropped.
    pub fn abandon(&mut self) {
        self.sse.finish(&mut self.items);
        self.items.clear();
    }
}

/// One NDJSON line as a value that outlives the line's buffer.
fn owned_json(line: &[u8]) -> Result<Json<'static>, crate::json::JsonError> {
    Json::parse_bytes(line).map(Json::into_owned)
}

/// Emits decoded NDJSON values; the first error's message stops it (values before it are
/// emitted, the rest dropped).
fn emit_values(
    values: &mut Vec<Result<Json<'static>, NdjsonError>>,
    emit: &mut impl FnMut(StreamEvent),
) -> Result<(), String> {
    let mut result = Ok(());
    for value in values.drain(..) {
        match value {
            Ok(v) if result.is_ok() => emit(StreamEvent::Json(v)),
            Ok(_) => {}
            Err(err) => {
                if result.is_ok() {
                    result = Err(err.to_string());
                }
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(format: BodyFormat, reads: &[&[u8]]) -> Vec<String> {
        let mut d = BodyDecoder::new(format, 1 << 20, None);
        let out = std::cell::RefCell::new(Vec::new());
        let mut emit = |e: StreamEvent| {
            out.borrow_mut().push(match e {
                StreamEvent::Event(ev) => format!("event {} {}", ev.id, ev.data),
                StreamEvent::Json(v) => {
                    let mut s = String::from("json ");
                    v.write(&mut s);
                    s
                }
                StreamEvent::Retry(ms) => format!("retry {ms}"),
                StreamEvent::Alive => "alive".into(),
                _ => "other".into(),
            })
        };
        for r in reads {
            if let Err(e) = d.push(r, &mut emit) {
                out.borrow_mut().push(format!("error {e}"));
            }
        }
        if let Err(e) = d.finish(&mut emit) {
            out.borrow_mut().push(format!("error {e}"));
        }
        out.into_inner()
    }

    #[test]
    fn sse_reads_become_events_and_alives() {
        assert_eq!(
            run(
                BodyFormat::EventStream,
                &[
                    b": hi\n\n",
                    b"retry: 5\nid: 1\ndata: \xc3",
                    b"\xa9\n\n",
                    b"data: cut"
                ]
            ),
            vec!["alive", "retry 5", "event 1 é", "alive"]
        );
    }

    #[test]
    fn ndjson_last_line_counts_and_a_bad_line_stops() {
        assert_eq!(
            run(BodyFormat::Ndjson, &[b"{\"a\":1}\n{\"b\"", b":2}"]),
            vec!["json {\"a\":1}", "alive", "json {\"b\":2}"]
        );
        let out = run(BodyFormat::Ndjson, &[b"{\"a\":1}\nnope\n{\"c\":3}\n"]);
        assert_eq!(out[0], "json {\"a\":1}");
        assert!(out[1].starts_with("error"), "{out:?}");
        assert_eq!(out.len(), 2);
    }
}
