//! Incremental `text/event-stream` decoding: WHATWG HTML Standard, §9.2.6 "Interpreting an
//! event stream".
//!
//! This module owns the byte-to-[`Item`] half of the protocol: UTF-8 decoding (with the one
//! leading BOM stripped), line splitting on CRLF / LF / CR — including a CR and an LF that
//! arrive in different chunks —, field parsing, the data / event type / last event ID buffers,
//! event dispatch, the reconnection time (`retry`), and a hard cap on buffered bytes.
//!
//! It must not do I/O, keep timers, decide *when* to reconnect, or know about HTTP status
//! codes and MIME types (a caller checks `Content-Type` before feeding bytes here). It must not
//! panic on any input, must not allocate per byte, and must not buffer more than its limit:
//! exceeding it is a [`DecodeError`], never unbounded growth.
//!
//! # How the spec's text decoding is honoured without decoding the whole stream
//!
//! "Streams must be decoded using the UTF-8 decode algorithm." The decoder works on bytes and
//! converts each *field value* to text with [`String::from_utf8_lossy`] once its line is
//! complete. That is exactly equivalent to decoding the stream first and splitting afterwards,
//! because every byte the parser splits on — CR, LF, `:` and the space after it — is ASCII,
//! and a UTF-8 decoder never consumes an ASCII byte as part of a multi-byte sequence: an
//! incomplete sequence before a delimiter becomes one U+FFFD (the maximal-subpart rule that
//! `TextDecoder` and `from_utf8_lossy` share) and the delimiter stays a delimiter. Since lines
//! are only decoded once complete, a character split between two chunks decodes correctly.
//! Likewise U+0000 in a decoded value ⇔ byte `0x00` in its bytes, and "ASCII digits" are the
//! bytes `0x30..=0x39`, so the `id` and `retry` checks run on bytes.

use std::mem;

use memchr::{memchr, memchr2, memrchr2};

/// Default cap, in bytes, on the current line plus the current event's data buffer (16 MiB).
pub const DEFAULT_MAX_BUFFER: usize = 16 * 1024 * 1024;

/// The UTF-8 encoding of U+FEFF BYTE ORDER MARK.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Lines buffered across chunks keep their allocation between lines; after [`Decoder::finish`]
/// a line buffer larger than this is released rather than kept for the next connection.
const KEEP_LINE_CAPACITY: usize = 64 * 1024;

/// A dispatched event (the spec's `MessageEvent`, minus the origin, which is the caller's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event type: the `event` field's value, or `"message"` when it was absent or empty.
    pub event: String,
    /// The data buffer with its trailing LF removed; lines joined with LF.
    pub data: String,
    /// The event source's last event ID string at dispatch (persists across events).
    pub id: String,
}

/// One thing the decoder observed, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An event was dispatched (a blank line ended a block whose data buffer was not empty).
    Event(Event),
    /// A valid `retry` field set the reconnection time to this many milliseconds. It is emitted
    /// when the line is processed, so before the event of the same block.
    Retry(u64),
}

/// Why the decoder stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The current line plus the current event's data would exceed the buffer limit.
    #[error(
        "event stream too large: the current line plus the buffered event data exceed the \
         {limit}-byte limit"
    )]
    TooLarge {
        /// The limit, in bytes, that was exceeded.
        limit: usize,
    },
}

/// Where we are with respect to "strips one leading UTF-8 Byte Order Mark (BOM), if any".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bom {
    /// At stream start; this many bytes of `EF BB BF` have been seen and held back.
    Pending(u8),
    /// Past the point where a BOM could be.
    Done,
}

/// An incremental `text/event-stream` parser. Feed it body chunks of any size with
/// [`push`](Self::push); call [`finish`](Self::finish) at end of stream.
///
/// Reusable across reconnections: `finish` resets per-connection state but keeps the last
/// event ID (to send as `Last-Event-ID`) and the reconnection time.
#[derive(Debug, Clone)]
pub struct Decoder {
    max_buffer: usize,
    bom: Bom,
    /// Bytes of a line whose terminator has not arrived yet. Lines wholly inside one chunk are
    /// parsed in place and never copied here.
    line: Vec<u8>,
    /// The previous chunk ended with a CR that ended a line: an LF starting the next chunk is
    /// the second half of that CRLF, not a second line end.
    after_cr: bool,
    data: String,
    event_type: String,
    /// The spec's "last event ID buffer".
    id_buffer: String,
    /// An `id` field has set `id_buffer` since the last dispatch (which then copies it).
    id_set: bool,
    /// The spec's "last event ID string" of the event source.
    last_event_id: String,
    retry: Option<u64>,
    failed: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with the [`DEFAULT_MAX_BUFFER`] limit.
    pub fn new() -> Self {
        Self::with_max_buffer(DEFAULT_MAX_BUFFER)
    }

    /// A decoder that fails with [`DecodeError::TooLarge`] once the current line plus the
    /// current event's data buffer exceed `limit` bytes.
    pub fn with_max_buffer(limit: usize) -> Self {
        Self {
            max_buffer: limit,
            bom: Bom::Pending(0),
            line: Vec::new(),
            after_cr: false,
            data: String::new(),
            event_type: String::new(),
            id_buffer: String::new(),
            id_set: false,
            last_event_id: String::new(),
            retry: None,
            failed: false,
        }
    }

    /// Start from a known last event ID, e.g. when resuming after a reconnect with a fresh
    /// decoder: events dispatched before any `id` field carry this ID.
    pub fn with_last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self.id_buffer.clone_from(&self.last_event_id);
        self
    }

    /// The event source's last event ID string: the value to send as `Last-Event-ID` when
    /// reconnecting. Only dispatch (a blank line) updates it, never a bare `id` field.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time in milliseconds set by the latest valid `retry` field, if any.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// The buffer limit in bytes.
    pub fn max_buffer(&self) -> usize {
        self.max_buffer
    }

    /// Whether a [`DecodeError`] has put this connection's decoding in the failed state.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Decode one chunk of the response body, appending what it completes to `out`.
    ///
    /// Chunk boundaries are invisible in the result: any way of cutting a stream into chunks
    /// yields the same items. Items completed before an error in the same chunk are still
    /// appended. After an error every further `push` returns the same error (until
    /// [`finish`](Self::finish) starts a new connection).
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Item>) -> Result<(), DecodeError> {
        self.push_into(chunk, out)
    }

    /// Like [`push`](Self::push), but hands each item to `on_item` borrowed, in stream order,
    /// without allocating per event: an event's type, data and id are `&str`s that borrow the
    /// decoder's buffers or, when the event's one `data` line lies inside `chunk` (the usual
    /// case for chat tokens and feeds), `chunk` itself.
    ///
    /// ```
    /// use rill_sse::{Decoder, ItemRef};
    ///
    /// let mut decoder = Decoder::new();
    /// let mut seen = Vec::new();
    /// decoder.push_with(b"retry: 50\ndata: a\n\nevent: x\ndata: b\n", |item| match item {
    ///     ItemRef::Event(event) => seen.push(format!("{}={}", event.event, event.data)),
    ///     ItemRef::Retry(ms) => seen.push(format!("retry {ms}")),
    /// })?;
    /// decoder.push_with(b"\n", |item| if let ItemRef::Event(event) = item {
    ///     seen.push(format!("{}={}", event.event, event.data));
    /// })?;
    /// assert_eq!(seen, ["retry 50", "message=a", "x=b"]);
    /// # Ok::<(), rill_sse::DecodeError>(())
    /// ```
    pub fn push_with<F>(&mut self, chunk: &[u8], on_item: F) -> Result<(), DecodeError>
    where
        F: FnMut(ItemRef<'_>),
    {
        self.push_into(chunk, &mut FnSink(on_item))
    }

    /// The decoding proper, behind `dyn Sink` so that it is compiled once, in this crate, with
    /// this crate's optimisation settings (`opt-level = 3` in the workspace), rather than
    /// instantiated in each caller's crate — the app's is size-optimised.
    fn push_into(&mut self, chunk: &[u8], out: &mut dyn Sink) -> Result<(), DecodeError> {
        if self.failed {
            return Err(self.too_large());
        }
        let mut rest = chunk;
        // "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any."
        // Only at stream start, and its three bytes may arrive in separate chunks.
        if let Bom::Pending(held) = self.bom {
            let mut held = usize::from(held);
            while held < BOM.len() {
                let Some((&byte, tail)) = rest.split_first() else {
                    // Chunk exhausted while the start still looks like a BOM: keep waiting.
                    // `held` < 3, so the cast is lossless.
                    self.bom = Bom::Pending(held as u8);
                    return Ok(());
                };
                if BOM.get(held) != Some(&byte) {
                    // Not a BOM after all: the bytes held back are ordinary stream bytes.
                    self.bom = Bom::Done;
                    self.feed(&BOM[..held], out)?;
                    return self.feed(rest, out);
                }
                held += 1;
                rest = tail;
            }
            // All three bytes matched: the BOM is dropped.
            self.bom = Bom::Done;
        }
        self.feed(rest, out)
    }

    /// End of stream.
    ///
    /// "Once the end of the file is reached, any pending data must be discarded. (If the file
    /// ends in the middle of an event, before the final empty line, the incomplete event is not
    /// dispatched.)" A trailing line without a line end is discarded too: every line end is acted
    /// on as soon as it is seen, so nothing complete is ever pending here and `out` never
    /// receives an item. It is part of the signature so that callers can treat end of stream
    /// like any other input.
    ///
    /// Resets the per-connection state — BOM detection, partial line, data and event type
    /// buffers, failed state — but keeps [`last_event_id`](Self::last_event_id) and
    /// [`retry`](Self::retry), so the same decoder can parse the stream of a reconnection.
    /// The new stream's last event ID buffer starts as the last event ID string, which is what
    /// browsers do (WPT `format-field-id.htm`: events on the reconnected stream that carry no
    /// `id` field still report the previous ID).
    pub fn finish(&mut self, out: &mut Vec<Item>) {
        let _ = out;
        self.bom = Bom::Pending(0);
        if self.line.capacity() > KEEP_LINE_CAPACITY {
            self.line = Vec::new();
        } else {
            self.line.clear();
        }
        self.after_cr = false;
        self.data.clear();
        self.event_type.clear();
        self.id_buffer.clone_from(&self.last_event_id);
        self.id_set = false;
        self.failed = false;
    }

    fn too_large(&self) -> DecodeError {
        DecodeError::TooLarge {
            limit: self.max_buffer,
        }
    }

    /// Enforce the limit for a line of `line_len` bytes (so far) on top of the data buffer
    /// (`self.data` plus the `pending` data line not copied into it yet, with its LF).
    ///
    /// Checking every line — whether it arrived whole in one chunk or was assembled from
    /// several — makes failure independent of chunking: the decoder fails exactly when some
    /// line's length plus the data buffered before it exceeds the limit. Because a `data` line
    /// adds at most its own length minus 4 (`data` and the LF it appends replace the line's
    /// `data:`), the data buffer itself never exceeds the limit either.
    // `always`: the app's release build is size-optimised (opt-level "z", fat LTO), and at
    // that level LTO declines to inline even these few instructions on the per-line path.
    #[inline(always)]
    fn check(&mut self, line_len: usize, pending: Option<&str>) -> Result<(), DecodeError> {
        let pending = pending.map_or(0, |data| data.len().saturating_add(1));
        let buffered = self.data.len().saturating_add(pending);
        if line_len.saturating_add(buffered) > self.max_buffer {
            return Err(self.fail());
        }
        Ok(())
    }

    /// Enter the failed state, releasing what the failed connection buffered.
    #[cold]
    fn fail(&mut self) -> DecodeError {
        self.failed = true;
        self.line = Vec::new();
        self.data = String::new();
        self.event_type.clear();
        self.too_large()
    }

    /// Split stream bytes (BOM already handled) into lines and process them.
    ///
    /// "The stream must then be parsed by reading everything line by line, with a U+000D
    /// CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF)
    /// character not preceded by a U+000D CARRIAGE RETURN (CR) character, and a single U+000D
    /// CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF) character being
    /// the ways in which a line can end."
    ///
    /// A CR ends its line at once; an LF right after it (in this chunk or the next) is skipped.
    ///
    /// Three parts of a chunk take three paths: the end of a line begun in an earlier chunk is
    /// appended to [`line`](Self::line) and that line is decoded on its own; the complete lines
    /// after it are UTF-8-validated in one pass and parsed as borrowed `&str`s (no copy unless
    /// an event has several `data` lines or ends in a later chunk); the bytes after the last
    /// line end are kept for the next chunk.
    fn feed(&mut self, mut rest: &[u8], out: &mut dyn Sink) -> Result<(), DecodeError> {
        if rest.is_empty() {
            return Ok(());
        }
        if mem::take(&mut self.after_cr) {
            if let Some((b'\n', tail)) = rest.split_first() {
                rest = tail;
            }
        }
        if !self.line.is_empty() {
            let Some(pos) = memchr2(b'\n', b'\r', rest) else {
                self.check(self.line.len().saturating_add(rest.len()), None)?;
                self.line.extend_from_slice(rest);
                return Ok(());
            };
            let (head, terminator_and_tail) = rest.split_at(pos);
            self.check(self.line.len().saturating_add(head.len()), None)?;
            let mut assembled = mem::take(&mut self.line);
            assembled.extend_from_slice(head);
            let text = decode_lossy(&assembled);
            let mut held = None;
            self.process_line(&text, Some(&mut held), out);
            // A long `data` line (the one that spanned chunks) followed by a blank line is
            // dispatched from `assembled` without first being copied into the data buffer.
            let blank = blank_line_end(terminator_and_tail).unwrap_or(0);
            if held.is_some() && blank > 0 {
                self.dispatch(Some(&mut held), out);
                // Leave `rest` at the blank line's own last line-end byte (LF), which the match
                // below steps over like any terminator.
                rest = terminator_and_tail.get(blank - 1..).unwrap_or_default();
            } else {
                self.materialize(&mut held);
                rest = terminator_and_tail;
            }
            drop(text);
            assembled.clear();
            self.line = assembled; // keep the allocation for the next split line
            rest = match rest {
                [b'\r', b'\n', tail @ ..] => tail,
                [b'\r'] => {
                    self.after_cr = true;
                    return Ok(());
                }
                [_terminator, tail @ ..] => tail,
                [] => &[], // unreachable: memchr2 found a byte at `pos`
            };
        }
        // Everything up to the last line end is complete lines. Since that line end is the
        // last one, a CR there is not followed by an LF in this chunk.
        let complete_len = memrchr2(b'\n', b'\r', rest).map_or(0, |pos| pos.saturating_add(1));
        let (complete, tail) = rest.split_at(complete_len);
        let mut pending = None;
        // One validation pass for all complete lines (SIMD; the per-line alternative, `from_utf8`
        // on each value, costs a call and a setup per short line).
        match simdutf8::basic::from_utf8(complete) {
            Ok(text) => self.lines(text, &mut pending, out)?,
            Err(_) => self.lines_lossy(complete, &mut pending, out)?,
        }
        self.materialize(&mut pending);
        if tail.is_empty() {
            self.after_cr = complete.last() == Some(&b'\r');
        } else {
            self.check(tail.len(), None)?;
            self.line.extend_from_slice(tail);
        }
        Ok(())
    }

    /// Process complete lines that are valid UTF-8 (every line end included).
    fn lines<'c>(
        &mut self,
        text: &'c str,
        pending: &mut Option<&'c str>,
        out: &mut dyn Sink,
    ) -> Result<(), DecodeError> {
        let bytes = text.as_bytes();
        // Most streams end lines with LF only: one quick scan for CR lets them use the cheaper
        // one-byte search.
        let any_cr = memchr(b'\r', bytes).is_some();
        let mut start = 0;
        while let Some(rest) = bytes.get(start..) {
            let found = if any_cr {
                memchr2(b'\n', b'\r', rest)
            } else {
                memchr(b'\n', rest)
            };
            let Some(len) = found else {
                break;
            };
            let end = start + len;
            // Line ends are ASCII, so both ends of the slice are character boundaries.
            let line = text.get(start..end).unwrap_or_default();
            let ending = bytes.get(end..).unwrap_or_default();
            // The commonest event of all, a `data` line and a blank line, with nothing buffered
            // before it: dispatched at once. It is what processing the two lines one by one
            // does (the limit check cannot fail on the blank line when it passed on the `data`
            // line, which is longer than its value plus LF).
            if pending.is_none() && self.data.is_empty() {
                if let (Some(value), Some(skip)) = (data_value(line), blank_line_end(ending)) {
                    self.check(line.len(), None)?;
                    self.dispatch(Some(&mut Some(value)), out);
                    start = end + skip;
                    continue;
                }
            }
            self.check(line.len(), *pending)?;
            self.process_line(line, Some(pending), out);
            start = end + line_end_len(ending);
        }
        Ok(())
    }

    /// Process complete lines of which some are not valid UTF-8: each line is decoded on its
    /// own, invalid sequences replaced by U+FFFD.
    fn lines_lossy<'c>(
        &mut self,
        bytes: &'c [u8],
        pending: &mut Option<&'c str>,
        out: &mut dyn Sink,
    ) -> Result<(), DecodeError> {
        let mut start = 0;
        while let Some(end) = bytes
            .get(start..)
            .and_then(|rest| memchr2(b'\n', b'\r', rest))
            .map(|pos| start + pos)
        {
            let line = bytes.get(start..end).unwrap_or_default();
            self.check(line.len(), *pending)?;
            match std::str::from_utf8(line) {
                Ok(text) => self.process_line(text, Some(pending), out),
                Err(_) => {
                    self.materialize(pending);
                    self.process_line(&String::from_utf8_lossy(line), None, out);
                }
            }
            start = end + line_end_len(bytes.get(end..).unwrap_or_default());
        }
        Ok(())
    }

    /// Copy a `data` line still borrowed from the chunk into the data buffer.
    fn materialize(&mut self, pending: &mut Option<&str>) {
        if let Some(data) = pending.take() {
            self.data.reserve(data.len().saturating_add(1));
            self.data.push_str(data);
            self.data.push('\n');
        }
    }

    /// "Lines must be processed, in the order they are received, as follows:"
    ///
    /// `pending` is where the current event's data may stay borrowed from the chunk (`None`
    /// when `line` does not live as long as the chunk: its data is copied).
    fn process_line<'c>(
        &mut self,
        line: &'c str,
        pending: Option<&mut Option<&'c str>>,
        out: &mut dyn Sink,
    ) {
        let bytes = line.as_bytes();
        // The common line first: a `data` field, as the general rule below would find it.
        if let Some(value) = data_value(line) {
            return self.process_data(value, pending);
        }
        match bytes.first() {
            // "If the line is empty (a blank line) → Dispatch the event, as defined below."
            None => self.dispatch(pending, out),
            // "If the line starts with a U+003A COLON character (:) → Ignore the line."
            Some(b':') => {}
            _ => match memchr(b':', bytes) {
                // "If the line contains a U+003A COLON character (:) → Collect the characters
                // on the line before the first U+003A COLON character (:), and let field be
                // that string. Collect the characters on the line after the first U+003A COLON
                // character (:), and let value be that string. If value starts with a U+0020
                // SPACE character, remove it from value. Process the field using the steps
                // described below, using field as the field name and value as the field value."
                Some(colon) => {
                    let value_start = match bytes.get(colon + 1) {
                        Some(b' ') => colon + 2,
                        _ => colon + 1,
                    };
                    // `:` and the space are ASCII: these are character boundaries.
                    let field = bytes.get(..colon).unwrap_or_default();
                    let value = line.get(value_start..).unwrap_or_default();
                    self.process_field(field, value, pending, out);
                }
                // "Otherwise, the string is not empty but does not contain a U+003A COLON
                // character (:) → Process the field using the steps described below, using the
                // whole line as the field name, and the empty string as the field value."
                None => self.process_field(bytes, "", pending, out),
            },
        }
    }

    /// "The steps to process the field given a field name and a field value depend on the
    /// field name, as given in the following list. Field names must be compared literally,
    /// with no case folding performed."
    fn process_field<'c>(
        &mut self,
        field: &[u8],
        value: &'c str,
        pending: Option<&mut Option<&'c str>>,
        out: &mut dyn Sink,
    ) {
        match field {
            // "If the field name is "data" → [see `process_data`]."
            b"data" => self.process_data(value, pending),
            // "If the field name is "event" → Set the event type buffer to the field value."
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(value);
            }
            // "If the field name is "id" → If the field value does not contain U+0000 NULL, then
            // set the last event ID buffer to the field value. Otherwise, ignore the field."
            // (A guard failing falls through to the final arm: the field is ignored.)
            b"id" if memchr(0, value.as_bytes()).is_none() => {
                self.id_buffer.clear();
                self.id_buffer.push_str(value);
                self.id_set = true;
            }
            // "If the field name is "retry" → If the field value consists of only ASCII digits,
            // then interpret the field value as an integer in base ten, and set the event
            // stream's reconnection time to that integer. Otherwise, ignore the field."
            //
            // An empty value is ignored (there is no integer to interpret). A value too large
            // for u64 saturates to u64::MAX milliseconds ("effectively never") instead of
            // panicking or wrapping.
            b"retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = value.bytes().fold(0u64, |acc, digit| {
                    acc.saturating_mul(10)
                        .saturating_add(u64::from(digit - b'0'))
                });
                self.retry = Some(ms);
                out.retry(ms);
            }
            // "Otherwise → The field is ignored." (Also: an `id` with NUL, an invalid `retry`.)
            _ => {}
        }
    }

    /// "If the field name is "data" → Append the field value to the data buffer, then append a
    /// single U+000A LINE FEED (LF) character to the data buffer."
    ///
    /// The first `data` line of an event inside the chunk is only remembered in `pending`; it
    /// is copied into the buffer when a second one arrives or the chunk ends undispatched.
    #[inline(always)]
    fn process_data<'c>(&mut self, value: &'c str, pending: Option<&mut Option<&'c str>>) {
        match pending {
            Some(slot) if slot.is_none() && self.data.is_empty() => *slot = Some(value),
            slot => {
                if let Some(slot) = slot {
                    self.materialize(slot);
                }
                self.data.reserve(value.len().saturating_add(1));
                self.data.push_str(value);
                self.data.push('\n');
            }
        }
    }

    /// "When the user agent is required to dispatch the event, the user agent must process the
    /// data buffer, the event type buffer, and the last event ID buffer using steps appropriate
    /// for the user agent." (The web-browser steps, minus queuing a task.)
    ///
    /// The data buffer is `self.data`, or the one `data` line still borrowed in `pending`
    /// (then `self.data` is empty, and the line's LF was never appended, so step 3 is done).
    fn dispatch(&mut self, pending: Option<&mut Option<&str>>, out: &mut dyn Sink) {
        // "1. Set the last event ID string of the event source to the value of the last event
        // ID buffer. The buffer does not get reset, so the last event ID string of the event
        // source remains set to this value until the next time it is set by the server."
        if mem::take(&mut self.id_set) {
            self.last_event_id.clone_from(&self.id_buffer);
        }
        let data = match pending.and_then(Option::take) {
            Some(line) => Data::Chunk(line),
            // "2. If the data buffer is an empty string, set the data buffer and the event type
            // buffer to the empty string and return."
            None if self.data.is_empty() => {
                self.event_type.clear();
                return;
            }
            // "3. If the data buffer's last character is a U+000A LINE FEED (LF) character,
            // then remove the last character from the data buffer."
            None => {
                if self.data.ends_with('\n') {
                    self.data.pop();
                }
                Data::Buffer(&mut self.data)
            }
        };
        // "5. Initialize event's type attribute to "message", its data attribute to data, [...]
        // and its lastEventId attribute to the last event ID string of the event source.
        // 6. If the event type buffer has a value other than the empty string, change the type
        // of the newly created event to equal the value of the event type buffer.
        // 7. Set the data buffer and the event type buffer to the empty string."
        out.event(&mut self.event_type, data, &self.last_event_id);
        self.data.clear();
        self.event_type.clear();
    }
}

/// A dispatched event, borrowed (see [`Decoder::push_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The event type: the `event` field's value, or `"message"` when it was absent or empty.
    pub event: &'a str,
    /// The data buffer with its trailing LF removed; lines joined with LF.
    pub data: &'a str,
    /// The event source's last event ID string at dispatch.
    pub id: &'a str,
}

impl EventRef<'_> {
    /// An owned copy.
    pub fn to_event(&self) -> Event {
        Event {
            event: self.event.to_owned(),
            data: self.data.to_owned(),
            id: self.id.to_owned(),
        }
    }
}

/// One thing the decoder observed, borrowed (see [`Decoder::push_with`]); [`Item`] owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRef<'a> {
    /// An event was dispatched.
    Event(EventRef<'a>),
    /// A valid `retry` field set the reconnection time to this many milliseconds.
    Retry(u64),
}

impl ItemRef<'_> {
    /// An owned copy.
    pub fn to_item(&self) -> Item {
        match self {
            ItemRef::Event(event) => Item::Event(event.to_event()),
            ItemRef::Retry(ms) => Item::Retry(*ms),
        }
    }
}

/// An event's data at dispatch: a line of the chunk being decoded, or the decoder's buffer
/// (which an owning sink may take instead of copying).
enum Data<'a> {
    Chunk(&'a str),
    Buffer(&'a mut String),
}

/// Where decoded items go: a `Vec<Item>` (owned) or a callback (borrowed).
trait Sink {
    /// `event_type` is empty for the default type; the sink may take both buffers.
    fn event(&mut self, event_type: &mut String, data: Data<'_>, id: &str);
    fn retry(&mut self, ms: u64);
}

impl Sink for Vec<Item> {
    fn event(&mut self, event_type: &mut String, data: Data<'_>, id: &str) {
        let event = if event_type.is_empty() {
            String::from("message")
        } else {
            mem::take(event_type)
        };
        let data = match data {
            Data::Chunk(line) => line.to_owned(),
            Data::Buffer(buffer) => mem::take(buffer),
        };
        self.push(Item::Event(Event {
            event,
            data,
            id: id.to_owned(),
        }));
    }

    fn retry(&mut self, ms: u64) {
        self.push(Item::Retry(ms));
    }
}

struct FnSink<F>(F);

impl<F: FnMut(ItemRef<'_>)> Sink for FnSink<F> {
    fn event(&mut self, event_type: &mut String, data: Data<'_>, id: &str) {
        let event = if event_type.is_empty() {
            "message"
        } else {
            event_type.as_str()
        };
        let data = match data {
            Data::Chunk(line) => line,
            Data::Buffer(buffer) => buffer.as_str(),
        };
        (self.0)(ItemRef::Event(EventRef { event, data, id }));
    }

    fn retry(&mut self, ms: u64) {
        (self.0)(ItemRef::Retry(ms));
    }
}

/// The value of a `data` field line (`data:`, then one optional space, removed), as the
/// general field rule would find it; `None` for any other line. Byte patterns rather than
/// `starts_with`, which is a `memcmp` call in a size-optimised build.
fn data_value(line: &str) -> Option<&str> {
    match line.as_bytes() {
        // `data:` and the space are ASCII: character boundaries.
        [b'd', b'a', b't', b'a', b':', b' ', ..] => line.get(6..),
        [b'd', b'a', b't', b'a', b':', ..] => line.get(5..),
        _ => None,
    }
}

/// The length of the line end that starts `ending` (a CRLF pair counts as one line end).
fn line_end_len(ending: &[u8]) -> usize {
    match ending {
        [b'\r', b'\n', ..] => 2,
        _ => 1,
    }
}

/// When `ending` — a line end and what follows it — is a line end then an empty line (LF LF
/// or CRLF CRLF), the length of both; the forms with lone CRs take the general path.
fn blank_line_end(ending: &[u8]) -> Option<usize> {
    match ending {
        [b'\n', b'\n', ..] => Some(2),
        [b'\r', b'\n', b'\r', b'\n', ..] => Some(4),
        _ => None,
    }
}

/// `bytes` decoded as UTF-8, each maximal invalid subpart replaced by U+FFFD.
///
/// Valid input (the common case) goes through `str::from_utf8`, whose ASCII fast path is
/// several times quicker than the byte-at-a-time `Utf8Chunks` scan behind
/// `String::from_utf8_lossy`.
fn decode_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str, id: &str) -> Item {
        Item::Event(Event {
            event: event.into(),
            data: data.into(),
            id: id.into(),
        })
    }

    fn msg(data: &str) -> Item {
        ev("message", data, "")
    }

    fn decode_chunks(chunks: &[&[u8]]) -> Vec<Item> {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.push(chunk, &mut out).expect("within limit");
        }
        decoder.finish(&mut out);
        out
    }

    fn decode(input: &[u8]) -> Vec<Item> {
        decode_chunks(&[input])
    }

    fn decode_bytewise(input: &[u8]) -> Vec<Item> {
        let chunks: Vec<&[u8]> = input.chunks(1).collect();
        decode_chunks(&chunks)
    }

    #[test]
    fn lf_crlf_and_cr_all_end_lines() {
        let expected = vec![msg("a\nb\nc")];
        assert_eq!(decode(b"data: a\ndata: b\ndata: c\n\n"), expected);
        assert_eq!(decode(b"data: a\r\ndata: b\r\ndata: c\r\n\r\n"), expected);
        assert_eq!(decode(b"data: a\rdata: b\rdata: c\r\r"), expected);
        assert_eq!(decode(b"data: a\rdata: b\r\ndata: c\n\r"), expected);
    }

    #[test]
    fn cr_at_chunk_end_then_lf_is_one_line_end() {
        // Were the split CRLF two line ends, the empty "line" between them would dispatch "a".
        assert_eq!(
            decode_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]),
            vec![msg("a\nb")]
        );
    }

    #[test]
    fn cr_then_empty_chunk_then_lf_is_one_line_end() {
        assert_eq!(
            decode_chunks(&[b"data: a\r", b"", b"\ndata: b\r\n", b"\r\n"]),
            vec![msg("a\nb")]
        );
    }

    #[test]
    fn a_data_line_split_across_chunks_then_a_blank_line_dispatches_once() {
        for end in ["\n\n", "\r\n\r\n", "\r\r", "\n\r\n", "\r\n\n"] {
            let body = format!("data: long line{end}data: next{end}");
            let bytes = body.as_bytes();
            for cut in 1..bytes.len() {
                let (head, tail) = bytes.split_at(cut);
                assert_eq!(
                    decode_chunks(&[head, tail]),
                    vec![msg("long line"), msg("next")],
                    "line end {end:?}, cut at {cut}"
                );
            }
        }
        // Nothing buffered may be skipped: a second data line, then the blank line.
        assert_eq!(
            decode_chunks(&[b"data: a", b"\ndata: b\n\n"]),
            vec![msg("a\nb")]
        );
        assert_eq!(
            decode_chunks(&[b"data: a\ndata: b", b"\n\nevent: x\ndata: c\n\n"]),
            vec![msg("a\nb"), ev("x", "c", "")]
        );
    }

    #[test]
    fn cr_cr_is_two_line_ends() {
        assert_eq!(decode(b"data: a\r\rdata: b\n\n"), vec![msg("a"), msg("b")]);
        assert_eq!(
            decode_chunks(&[b"data: a\r", b"\r", b"data: b\n\n"]),
            vec![msg("a"), msg("b")]
        );
    }

    #[test]
    fn bom_is_stripped_at_stream_start() {
        assert_eq!(decode(b"\xEF\xBB\xBFdata: x\n\n"), vec![msg("x")]);
    }

    #[test]
    fn bom_split_across_chunks_is_stripped() {
        assert_eq!(
            decode_chunks(&[b"\xEF", b"\xBB", b"\xBFdata: x\n\n"]),
            vec![msg("x")]
        );
        assert_eq!(
            decode_chunks(&[b"\xEF\xBB", b"", b"\xBF", b"data: y\n\n"]),
            vec![msg("y")]
        );
    }

    #[test]
    fn second_bom_is_kept() {
        // The second BOM is U+FEFF in the field name "\u{FEFF}data", which is ignored.
        assert_eq!(decode(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n"), vec![]);
        assert_eq!(
            decode(b"data: a\n\n\xEF\xBB\xBFdata: b\n\ndata: c\n\n"),
            vec![msg("a"), msg("c")]
        );
        assert_eq!(decode(b"data: \xEF\xBB\xBFx\n\n"), vec![msg("\u{FEFF}x")]);
    }

    #[test]
    fn bom_prefix_that_is_not_a_bom_is_kept_as_input() {
        // "\xEF" + "data" is U+FFFD + "data": an unknown field, so nothing is dispatched. Had
        // the held-back byte been dropped, "data: a" would dispatch.
        assert_eq!(decode_chunks(&[b"\xEF", b"data: a\n\n"]), vec![]);
        assert_eq!(decode_chunks(&[b"\xEF\xBB", b"data: a\n\n"]), vec![]);
        assert_eq!(decode(b"\xEF\xBB\n\ndata: b\n\n"), vec![msg("b")]);
    }

    #[test]
    fn utf8_char_split_across_chunks() {
        assert_eq!(
            decode_chunks(&[b"data: h\xC3", b"\xA9\n\n"]),
            vec![msg("hé")]
        );
        // U+1F600 in four chunks.
        assert_eq!(
            decode_chunks(&[b"data: \xF0", b"\x9F", b"\x98", b"\x80!\n\n"]),
            vec![msg("\u{1F600}!")]
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_char() {
        // 0xFF is never valid; "\xC3(" is a truncated 2-byte sequence; "\xE2\x82" before the
        // line end is one maximal subpart → one U+FFFD each.
        let input = b"data: a\xFFb\xC3(\xE2\x82\n\n";
        assert_eq!(decode(input), vec![msg("a\u{FFFD}b\u{FFFD}(\u{FFFD}")]);
        assert_eq!(decode_bytewise(input), decode(input));
        // Surrogates encoded in UTF-8 (ED A0 80) are three maximal subparts.
        assert_eq!(
            decode(b"data: \xED\xA0\x80\n\n"),
            vec![msg("\u{FFFD}\u{FFFD}\u{FFFD}")]
        );
    }

    #[test]
    fn truncated_sequence_before_line_end_does_not_eat_the_line_end() {
        assert_eq!(
            decode_chunks(&[b"data: \xE2\x82", b"\n\n"]),
            vec![msg("\u{FFFD}")]
        );
    }

    #[test]
    fn comment_lines_are_ignored() {
        assert_eq!(decode(b": hello\ndata: a\n:data: b\n\n"), vec![msg("a")]);
    }

    #[test]
    fn only_one_leading_space_is_removed() {
        assert_eq!(decode(b"data:  two\n\n"), vec![msg(" two")]);
        assert_eq!(decode(b"data:none\n\n"), vec![msg("none")]);
        assert_eq!(decode(b"data:\ttab\n\n"), vec![msg("\ttab")]);
    }

    #[test]
    fn value_is_split_at_first_colon_only() {
        assert_eq!(decode(b"data: a:b: c\n\n"), vec![msg("a:b: c")]);
    }

    #[test]
    fn line_without_colon_is_field_with_empty_value() {
        assert_eq!(decode(b"data\n\n"), vec![msg("")]);
        assert_eq!(decode(b"data\ndata\n\n"), vec![msg("\n")]);
    }

    #[test]
    fn field_names_are_case_sensitive() {
        assert_eq!(
            decode(b"Data: a\nDATA: b\nEvent: x\nID: 1\nRetry: 5\n\n"),
            vec![]
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert_eq!(decode(b"foo: bar\ndata: a\n data: b\n\n"), vec![msg("a")]);
    }

    #[test]
    fn event_field_sets_type_and_empty_type_means_message() {
        assert_eq!(
            decode(b"event: add\ndata: 1\n\nevent:\ndata: 2\n\ndata: 3\n\n"),
            vec![ev("add", "1", ""), msg("2"), msg("3")]
        );
    }

    #[test]
    fn event_type_is_reset_after_dispatch_even_without_data() {
        assert_eq!(decode(b"event: x\n\ndata: 1\n\n"), vec![msg("1")]);
    }

    #[test]
    fn id_persists_until_changed_and_empty_id_resets() {
        assert_eq!(
            decode(b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"),
            vec![ev("message", "a", "1"), ev("message", "b", "1"), msg("c")]
        );
    }

    #[test]
    fn id_with_nul_is_ignored() {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder
            .push(b"id: 7\ndata: a\n\nid: x\x00y\ndata: b\n\n", &mut out)
            .expect("within limit");
        assert_eq!(out, vec![ev("message", "a", "7"), ev("message", "b", "7")]);
        assert_eq!(decoder.last_event_id(), "7");
    }

    #[test]
    fn nul_in_data_is_kept() {
        assert_eq!(decode(b"data: \x00\n\n"), vec![msg("\0")]);
    }

    #[test]
    fn retry_sets_reconnection_time_and_is_emitted_before_the_event() {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder
            .push(b"data: x\nretry: 1500\n\n", &mut out)
            .expect("within limit");
        assert_eq!(out, vec![Item::Retry(1500), msg("x")]);
        assert_eq!(decoder.retry(), Some(1500));
    }

    #[test]
    fn retry_leading_zeros_are_decimal() {
        assert_eq!(decode(b"retry: 02000\n"), vec![Item::Retry(2000)]);
    }

    #[test]
    fn retry_non_digits_ignored() {
        for line in [
            &b"retry: 12a\n"[..],
            b"retry: -1\n",
            b"retry: +1\n",
            b"retry: 1.5\n",
            b"retry:  100\n",
            b"retry: 100 \n",
            b"retry: \xD9\xA1\n", // ARABIC-INDIC DIGIT ONE is not an ASCII digit
        ] {
            let mut decoder = Decoder::new();
            let mut out = Vec::new();
            decoder.push(line, &mut out).expect("within limit");
            assert_eq!(out, vec![], "{line:?}");
            assert_eq!(decoder.retry(), None, "{line:?}");
        }
    }

    #[test]
    fn empty_retry_ignored() {
        for line in [&b"retry:\n"[..], b"retry: \n", b"retry\n"] {
            let mut decoder = Decoder::new();
            let mut out = Vec::new();
            decoder.push(line, &mut out).expect("within limit");
            assert_eq!(out, vec![]);
            assert_eq!(decoder.retry(), None);
        }
    }

    #[test]
    fn invalid_retry_keeps_previous_value() {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder
            .push(b"retry: 2000\nretry: 1000x\n", &mut out)
            .expect("within limit");
        assert_eq!(out, vec![Item::Retry(2000)]);
        assert_eq!(decoder.retry(), Some(2000));
    }

    #[test]
    fn retry_overflow_saturates() {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder
            .push(
                b"retry: 18446744073709551615\nretry: 18446744073709551616\n",
                &mut out,
            )
            .expect("within limit");
        let huge = [b"retry: ".as_slice(), &[b'9'; 1000], b"\n"].concat();
        decoder.push(&huge, &mut out).expect("within limit");
        assert_eq!(
            out,
            vec![
                Item::Retry(u64::MAX),
                Item::Retry(u64::MAX),
                Item::Retry(u64::MAX)
            ]
        );
        decoder
            .push(b"retry: 18446744073709551614\n", &mut out)
            .expect("ok");
        assert_eq!(decoder.retry(), Some(u64::MAX - 1));
    }

    #[test]
    fn event_without_data_not_dispatched_but_sets_id() {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder
            .push(b"event: ping\nid: 42\n\n", &mut out)
            .expect("within limit");
        assert_eq!(out, vec![]);
        assert_eq!(decoder.last_event_id(), "42");
        // The event type did not leak into the next block.
        decoder
            .push(b"data: x\n\n", &mut out)
            .expect("within limit");
        assert_eq!(out, vec![ev("message", "x", "42")]);
    }

    #[test]
    fn id_only_takes_effect_at_dispatch() {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder.push(b"id: 1\ndata: a\n", &mut out).expect("ok");
        assert_eq!(decoder.last_event_id(), "");
        decoder.push(b"\n", &mut out).expect("ok");
        assert_eq!(decoder.last_event_id(), "1");
    }

    #[test]
    fn empty_data_line_dispatches_empty_event() {
        assert_eq!(decode(b"data:\n\n"), vec![msg("")]);
        assert_eq!(decode(b"data:\ndata:\n\n"), vec![msg("\n")]);
    }

    #[test]
    fn incomplete_final_event_discarded() {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder
            .push(b"data: a\n\nid: 9\ndata: b\n", &mut out)
            .expect("within limit");
        decoder.finish(&mut out);
        assert_eq!(out, vec![msg("a")]);
        // The unfinished block's id never reached the last event ID string.
        assert_eq!(decoder.last_event_id(), "");
        // A final line without any line end is discarded as well.
        assert_eq!(decode(b"data: a\n\ndata: b"), vec![msg("a")]);
    }

    #[test]
    fn finish_keeps_last_event_id_and_retry_and_resets_connection_state() {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder
            .push(
                b"\xEF\xBB\xBFretry: 300\nid: 5\ndata: a\n\nevent: x\ndata: partial\r",
                &mut out,
            )
            .expect("within limit");
        decoder.finish(&mut out);
        assert_eq!(decoder.last_event_id(), "5");
        assert_eq!(decoder.retry(), Some(300));
        out.clear();
        // The new connection: a BOM is stripped again, the LF is not paired with the old CR,
        // and neither the partial data nor the event type survived.
        decoder
            .push(b"\xEF\xBB\xBF\ndata: b\n\n", &mut out)
            .expect("within limit");
        decoder.finish(&mut out);
        assert_eq!(out, vec![ev("message", "b", "5")]);
    }

    #[test]
    fn with_last_event_id_resumes() {
        let mut decoder = Decoder::new().with_last_event_id("abc");
        assert_eq!(decoder.last_event_id(), "abc");
        let mut out = Vec::new();
        decoder
            .push(b"data: 1\n\nid: def\ndata: 2\n\n", &mut out)
            .expect("within limit");
        assert_eq!(
            out,
            vec![ev("message", "1", "abc"), ev("message", "2", "def")]
        );
    }

    #[test]
    fn limit_exceeded_is_error_not_growth() {
        let mut decoder = Decoder::with_max_buffer(64);
        let mut out = Vec::new();
        let mut result = Ok(());
        for _ in 0..100 {
            result = decoder.push(b"data: xxxx", &mut out);
            assert!(decoder.line.len() <= 64);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(DecodeError::TooLarge { limit: 64 }));
        assert!(decoder.is_failed());
        assert_eq!(decoder.line.capacity(), 0, "buffer released");
        // Failed state: everything after returns the same error, even harmless input.
        assert_eq!(
            decoder.push(b"\n\n", &mut out),
            Err(DecodeError::TooLarge { limit: 64 })
        );
        assert_eq!(out, vec![]);
        // finish() starts a fresh connection.
        decoder.finish(&mut out);
        decoder
            .push(b"data: ok\n\n", &mut out)
            .expect("within limit");
        assert_eq!(out, vec![msg("ok")]);
    }

    #[test]
    fn limit_counts_line_plus_event_data() {
        // The line is 12 bytes; each one adds "123456\n" (7 bytes) to the data buffer.
        let line = b"data: 123456\n";
        let mut decoder = Decoder::with_max_buffer(30);
        let mut out = Vec::new();
        decoder.push(line, &mut out).expect("12 + 0 <= 30");
        decoder.push(line, &mut out).expect("12 + 7 <= 30");
        decoder.push(line, &mut out).expect("12 + 14 <= 30");
        assert_eq!(
            decoder.push(line, &mut out),
            Err(DecodeError::TooLarge { limit: 30 }),
            "12 + 21 > 30"
        );
    }

    #[test]
    fn limit_is_per_event_not_per_stream() {
        let mut decoder = Decoder::with_max_buffer(32);
        let mut out = Vec::new();
        for _ in 0..1000 {
            decoder
                .push(b"data: 0123456789\n\n", &mut out)
                .expect("each event fits");
        }
        assert_eq!(out.len(), 1000);
    }

    #[test]
    fn limit_applies_to_a_long_line_inside_one_chunk() {
        let mut input = b"data: ".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100));
        input.extend_from_slice(b"\n\n");
        let mut decoder = Decoder::with_max_buffer(50);
        let mut out = Vec::new();
        assert_eq!(
            decoder.push(&input, &mut out),
            Err(DecodeError::TooLarge { limit: 50 })
        );
        assert_eq!(out, vec![]);
    }

    #[test]
    fn error_message_names_the_limit() {
        let text = DecodeError::TooLarge { limit: 1234 }.to_string();
        assert!(text.contains("1234-byte"), "{text}");
    }

    #[test]
    fn chunking_never_changes_the_result() {
        let input: &[u8] =
            b"\xEF\xBB\xBF: c\r\nevent: a\r\nid: 1\r\ndata: h\xC3\xA9\r\nretry: 5\r\n\r\n\
              data: x\rdata: y\r\rid: \x00\ndata: \xF0\x9F\x98\x80\n\ndata: tail";
        let whole = decode(input);
        assert_eq!(decode_bytewise(input), whole);
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            assert_eq!(decode_chunks(&[a, b]), whole, "cut at {cut}");
        }
        assert_eq!(
            whole,
            vec![
                Item::Retry(5),
                ev("a", "hé", "1"),
                ev("message", "x\ny", "1"),
                ev("message", "\u{1F600}", "1"),
            ]
        );
    }
}
