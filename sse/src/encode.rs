//! `text/event-stream` encoding: [`Frame`] → text that [`crate::Decoder`] (and any WHATWG
//! conforming client) reads back.
//!
//! This module owns the writer's side of the framing rules: which values can be carried, how
//! multi-line data and comments are split into lines, field order, and line endings. It must
//! not do I/O, buffer across frames or know about HTTP; it writes into a `String` and refuses
//! (with an [`EncodeError`]) any frame a decoder could not read back as written.
//!
//! # Round trip
//!
//! For every frame that encodes, decoding the text gives back:
//!
//! * `data`: exactly, except that each line break inside it — CRLF, LF or a lone CR — comes back
//!   as LF. A line break is the only thing that can end a `data:` line, and the protocol joins
//!   the lines of one event with LF, so CR and CRLF are not representable inside data.
//!   A leading space survives: every field is written as `name: value`, and the decoder removes
//!   exactly that one space.
//! * `event`: exactly, except that `""` and `None` both come back as `"message"`.
//! * `id`: exactly (`Some("")` resets the last event ID to empty).
//! * `retry`: exactly, as [`crate::Item::Retry`], before the event of the same frame.
//!
//! A frame whose `data` is `None` dispatches no event (WHATWG §9.2.6 dispatch step 2: "If the
//! data buffer is an empty string, [...] return"), while `Some("")` dispatches an event with
//! empty data.

use std::fmt::Write as _;

use memchr::{memchr, memchr2};

/// The line terminator written after every line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LineEnd {
    /// `\n`, the usual choice.
    #[default]
    Lf,
    /// `\r\n`, as sse_starlette (and so many Python LLM servers) frame their streams.
    CrLf,
}

impl LineEnd {
    /// The terminator's text.
    pub const fn as_str(self) -> &'static str {
        match self {
            LineEnd::Lf => "\n",
            LineEnd::CrLf => "\r\n",
        }
    }
}

/// Why a [`Frame`] cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A CR or LF in the event name would end the `event:` line early.
    #[error("event name contains a line break (CR or LF), which the `event:` field cannot carry")]
    LineBreakInEvent,
    /// A CR or LF in the id would end the `id:` line early.
    #[error("event id contains a line break (CR or LF), which the `id:` field cannot carry")]
    LineBreakInId,
    /// Decoders ignore an `id` field whose value contains U+0000.
    #[error("event id contains U+0000 NULL; decoders ignore such an id")]
    NulInId,
    /// The frame would be a bare blank line (perhaps after an `event:` line that no decoder
    /// would act on).
    #[error("frame has no data, id, retry or comment: it would dispatch nothing")]
    NoData,
}

/// One block of an event stream: optional comment, `retry`, `event`, `id` and `data` lines,
/// then a blank line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// The event type (`event:` line). Must not contain CR or LF.
    pub event: Option<String>,
    /// The payload, one `data:` line per line of it. `None` dispatches no event.
    pub data: Option<String>,
    /// The event id (`id:` line). Must not contain CR, LF or U+0000.
    pub id: Option<String>,
    /// The reconnection time in milliseconds (`retry:` line).
    pub retry: Option<u64>,
    /// A comment, one `:` line per line of it; ignored by decoders (keep-alives, notes).
    pub comment: Option<String>,
}

impl Frame {
    /// A frame carrying `d` as its data.
    pub fn data(d: impl Into<String>) -> Self {
        Self {
            data: Some(d.into()),
            ..Self::default()
        }
    }

    /// A comment-only frame (`: c`), e.g. a keep-alive.
    pub fn comment(c: impl Into<String>) -> Self {
        Self {
            comment: Some(c.into()),
            ..Self::default()
        }
    }

    /// Set the event type.
    pub fn event(mut self, e: impl Into<String>) -> Self {
        self.event = Some(e.into());
        self
    }

    /// Set the event id.
    pub fn id(mut self, i: impl Into<String>) -> Self {
        self.id = Some(i.into());
        self
    }

    /// Set the reconnection time in milliseconds.
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }

    /// Add a comment to this frame (written first).
    pub fn with_comment(mut self, c: impl Into<String>) -> Self {
        self.comment = Some(c.into());
        self
    }

    /// Check that the frame can be written and read back as written.
    ///
    /// A frame must carry at least one of data, id, retry or comment: an `id`-only frame is
    /// meaningful (the blank line commits it as the last event ID), but an `event` with none
    /// of the others is a frame no decoder acts on, so it is refused as [`EncodeError::NoData`].
    pub fn validate(&self) -> Result<(), EncodeError> {
        if let Some(event) = &self.event {
            if memchr2(b'\r', b'\n', event.as_bytes()).is_some() {
                return Err(EncodeError::LineBreakInEvent);
            }
        }
        if let Some(id) = &self.id {
            if memchr2(b'\r', b'\n', id.as_bytes()).is_some() {
                return Err(EncodeError::LineBreakInId);
            }
            if memchr(0, id.as_bytes()).is_some() {
                return Err(EncodeError::NulInId);
            }
        }
        if self.data.is_none()
            && self.id.is_none()
            && self.retry.is_none()
            && self.comment.is_none()
        {
            return Err(EncodeError::NoData);
        }
        Ok(())
    }

    /// The frame as `text/event-stream` text.
    pub fn encode(&self, end: LineEnd) -> Result<String, EncodeError> {
        let mut out = String::new();
        self.encode_into(end, &mut out)?;
        Ok(out)
    }

    /// Append the frame to `out`. Lines are written in the order comment, `retry`, `event`,
    /// `id`, `data`, then the blank line that dispatches. On error `out` is left unchanged.
    pub fn encode_into(&self, end: LineEnd, out: &mut String) -> Result<(), EncodeError> {
        self.validate()?;
        let nl = end.as_str();
        if let Some(comment) = &self.comment {
            for_each_line(comment, |line| {
                out.push_str(": ");
                out.push_str(line);
                out.push_str(nl);
            });
        }
        if let Some(ms) = self.retry {
            // Writing to a String cannot fail.
            let _ = write!(out, "retry: {ms}{nl}");
        }
        if let Some(event) = &self.event {
            out.push_str("event: ");
            out.push_str(event);
            out.push_str(nl);
        }
        if let Some(id) = &self.id {
            out.push_str("id: ");
            out.push_str(id);
            out.push_str(nl);
        }
        if let Some(data) = &self.data {
            out.reserve(data.len() + 8);
            for_each_line(data, |line| {
                out.push_str("data: ");
                out.push_str(line);
                out.push_str(nl);
            });
        }
        out.push_str(nl);
        Ok(())
    }
}

/// Call `f` with each line of `text`, splitting on CRLF, LF and lone CR (the same line ends a
/// decoder recognises). `""` is one empty line; a trailing line break yields a final empty line.
fn for_each_line(text: &str, mut f: impl FnMut(&str)) {
    let mut rest = text;
    while let Some(pos) = memchr2(b'\r', b'\n', rest.as_bytes()) {
        // `pos` indexes an ASCII byte, so both slices fall on char boundaries.
        let (line, tail) = rest.split_at(pos);
        f(line);
        rest = tail
            .strip_prefix("\r\n")
            .or_else(|| tail.strip_prefix('\r'))
            .or_else(|| tail.strip_prefix('\n'))
            .unwrap_or(tail);
    }
    f(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decoder, Event, Item};

    fn decode(text: &str) -> Vec<Item> {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder
            .push(text.as_bytes(), &mut out)
            .expect("within limit");
        decoder.finish(&mut out);
        out
    }

    #[test]
    fn data_only_frame() {
        assert_eq!(
            Frame::data("hello").encode(LineEnd::Lf).as_deref(),
            Ok("data: hello\n\n")
        );
    }

    #[test]
    fn field_order_is_comment_retry_event_id_data() {
        let frame = Frame::data("x")
            .event("tick")
            .id("7")
            .retry(1000)
            .with_comment("note");
        assert_eq!(
            frame.encode(LineEnd::Lf).as_deref(),
            Ok(": note\nretry: 1000\nevent: tick\nid: 7\ndata: x\n\n")
        );
    }

    #[test]
    fn crlf_framing_like_sse_starlette() {
        assert_eq!(
            Frame::data("a\nb")
                .event("e")
                .encode(LineEnd::CrLf)
                .as_deref(),
            Ok("event: e\r\ndata: a\r\ndata: b\r\n\r\n")
        );
    }

    #[test]
    fn every_line_break_in_data_becomes_a_data_line() {
        assert_eq!(
            Frame::data("a\r\nb\rc\nd\n").encode(LineEnd::Lf).as_deref(),
            Ok("data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n")
        );
    }

    #[test]
    fn cr_and_crlf_in_data_decode_as_lf() {
        let text = Frame::data("a\r\nb\rc\r\r\nd")
            .encode(LineEnd::CrLf)
            .expect("valid");
        assert_eq!(
            decode(&text),
            vec![Item::Event(Event {
                event: "message".into(),
                data: "a\nb\nc\n\nd".into(),
                id: String::new(),
            })]
        );
    }

    #[test]
    fn leading_space_in_values_round_trips() {
        let text = Frame::data("  two spaces")
            .event(" spaced")
            .id(" 1")
            .encode(LineEnd::Lf)
            .expect("valid");
        assert_eq!(
            decode(&text),
            vec![Item::Event(Event {
                event: " spaced".into(),
                data: "  two spaces".into(),
                id: " 1".into(),
            })]
        );
    }

    #[test]
    fn empty_data_dispatches_an_empty_event() {
        let text = Frame::data("").encode(LineEnd::Lf).expect("valid");
        assert_eq!(text, "data: \n\n");
        assert_eq!(decode(&text).len(), 1);
    }

    #[test]
    fn comment_lines_each_get_a_colon() {
        assert_eq!(
            Frame::comment("a\r\nb\rc").encode(LineEnd::Lf).as_deref(),
            Ok(": a\n: b\n: c\n\n")
        );
        assert_eq!(decode(": a\n: b\n: c\n\n"), vec![]);
    }

    #[test]
    fn line_break_in_event_or_id_is_an_error() {
        assert_eq!(
            Frame::data("x").event("a\nb").encode(LineEnd::Lf),
            Err(EncodeError::LineBreakInEvent)
        );
        assert_eq!(
            Frame::data("x").event("a\rb").encode(LineEnd::Lf),
            Err(EncodeError::LineBreakInEvent)
        );
        assert_eq!(
            Frame::data("x").id("1\r\n").encode(LineEnd::Lf),
            Err(EncodeError::LineBreakInId)
        );
    }

    #[test]
    fn nul_in_id_is_an_error() {
        assert_eq!(
            Frame::data("x").id("a\0").encode(LineEnd::Lf),
            Err(EncodeError::NulInId)
        );
    }

    #[test]
    fn frame_without_data_id_retry_or_comment_is_an_error() {
        assert_eq!(
            Frame::default().encode(LineEnd::Lf),
            Err(EncodeError::NoData)
        );
        assert_eq!(
            Frame::default().event("lonely").encode(LineEnd::Lf),
            Err(EncodeError::NoData)
        );
        assert_eq!(
            Frame::default().retry(5).encode(LineEnd::Lf).as_deref(),
            Ok("retry: 5\n\n")
        );
        assert_eq!(
            Frame::default().id("9").encode(LineEnd::Lf).as_deref(),
            Ok("id: 9\n\n")
        );
    }

    #[test]
    fn encode_into_leaves_output_unchanged_on_error() {
        let mut out = String::from("before");
        assert!(Frame::data("x")
            .id("\n")
            .encode_into(LineEnd::Lf, &mut out)
            .is_err());
        assert_eq!(out, "before");
    }

    #[test]
    fn id_only_frame_sets_last_event_id() {
        let text = Frame::default()
            .id("42")
            .encode(LineEnd::Lf)
            .expect("valid");
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        decoder.push(text.as_bytes(), &mut out).expect("ok");
        assert_eq!(out, vec![]);
        assert_eq!(decoder.last_event_id(), "42");
    }
}
