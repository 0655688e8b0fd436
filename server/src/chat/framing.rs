//! Cutting a streamed reply's bytes into numbered events (pure: bytes in, events out).
//!
//! A resumable reply ([`super::replies`]) is kept as a list of whole events, so that a client
//! can be sent "everything after event N" with no gap and no duplicate. This module owns
//! where an event ends and how its number is written; it must not do any I/O.
//!
//! - **SSE** (`text/event-stream`): an event is a block of lines ended by a blank line
//!   ("If the line is empty (a blank line) — dispatch the event", WHATWG HTML §9.2.6). Each
//!   block gets an `id: N` line added as its last field (`id: <prefix>N` with
//!   [`Splitter::named`]: the summary format's ids name their reply), so it wins over any
//!   `id` the writer (or an upstream) put in it; the block's own line ends are kept (the summary
//!   feed's `\r\n` stay `\r\n`). Comment-only blocks (`: ping`) are numbered too: a browser
//!   takes the id without dispatching anything.
//! - **NDJSON** (`application/x-ndjson`, Ollama): an event is one non-blank line, `\n`
//!   included; its number is its position (the first line is 1). Lines carry no ids on the
//!   wire; a client counts the lines it has read.
//!
//! Numbers start at 1, so `Last-Event-ID: 0` (or none) means "from the start".

use bytes::{Bytes, BytesMut};

/// The wire format of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    /// `text/event-stream`.
    Sse,
    /// `application/x-ndjson`: one JSON value per line.
    Ndjson,
}

/// Cuts a byte stream into whole events, numbering SSE ones as they complete.
#[derive(Debug)]
pub(crate) struct Splitter {
    wire: Wire,
    /// The event being read, as received (line ends included).
    block: BytesMut,
    /// The current line has no bytes yet.
    at_line_start: bool,
    /// The last byte was a CR ending a non-blank line: an LF now belongs to it.
    after_cr: bool,
    /// A blank line ended by CR was read: the event ends, with `\r\n` if an LF follows.
    blank_cr: bool,
    /// Events completed so far (the next one's number is this plus one).
    count: u64,
    /// Written before each SSE event's number.
    prefix: String,
}

impl Splitter {
    pub(crate) fn new(wire: Wire) -> Splitter {
        Splitter {
            wire,
            block: BytesMut::new(),
            at_line_start: true,
            after_cr: false,
            blank_cr: false,
            count: 0,
            prefix: String::new(),
        }
    }

    /// Writes `prefix` before each SSE event's number (`id: <prefix>N`).
    pub(crate) fn named(mut self, prefix: String) -> Splitter {
        self.prefix = prefix;
        self
    }

    /// How many bytes of an unfinished event are held.
    pub(crate) fn pending(&self) -> usize {
        self.block.len()
    }

    /// Reads `bytes`, pushing every event they complete onto `out`.
    pub(crate) fn push(&mut self, bytes: &[u8], out: &mut Vec<Bytes>) {
        for &b in bytes {
            match self.wire {
                Wire::Ndjson => {
                    self.block.extend_from_slice(&[b]);
                    if b == b'\n' {
                        let line = self.block.split().freeze();
                        if line.iter().any(|c| !c.is_ascii_whitespace()) {
                            self.count += 1;
                            out.push(line);
                        }
                    }
                }
                Wire::Sse => self.push_sse(b, out),
            }
        }
    }

    fn push_sse(&mut self, b: u8, out: &mut Vec<Bytes>) {
        if self.blank_cr {
            self.blank_cr = false;
            if b == b'\n' {
                self.end_event(b"\r\n", out);
                return;
            }
            self.end_event(b"\r", out);
        }
        if self.after_cr {
            self.after_cr = false;
            if b == b'\n' {
                self.block.extend_from_slice(b"\n");
                return;
            }
        }
        match b {
            b'\r' if self.at_line_start => self.blank_cr = true,
            b'\n' if self.at_line_start => self.end_event(b"\n", out),
            b'\r' => {
                self.block.extend_from_slice(b"\r");
                self.at_line_start = true;
                self.after_cr = true;
            }
            b'\n' => {
                self.block.extend_from_slice(b"\n");
                self.at_line_start = true;
            }
            _ => {
                self.block.extend_from_slice(&[b]);
                self.at_line_start = false;
            }
        }
    }

    /// A blank line (ended by `end`) was read: the block so far is one event.
    fn end_event(&mut self, end: &[u8], out: &mut Vec<Bytes>) {
        self.at_line_start = true;
        if self.block.is_empty() {
            // A blank line with nothing before it dispatches nothing: not an event.
            return;
        }
        self.count += 1;
        let mut event = self.block.split();
        event.extend_from_slice(format!("id: {}{}", self.prefix, self.count).as_bytes());
        event.extend_from_slice(end);
        event.extend_from_slice(end);
        out.push(event.freeze());
    }

    /// The stream ended: a CR-ended blank line still pending ends its event; what is left
    /// is an unfinished event (a broken connection's last bytes), returned as it was read.
    pub(crate) fn finish(&mut self, out: &mut Vec<Bytes>) -> Bytes {
        if self.blank_cr {
            self.blank_cr = false;
            self.end_event(b"\r", out);
        }
        self.block.split().freeze()
    }
}

/// NDJSON line `number` (`\n` included) as an SSE event for a resumed reply: the line's
/// JSON as `data`, its number as `id`.
pub(crate) fn ndjson_line_as_sse(line: &[u8], number: u64) -> Bytes {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\n', '\r']);
    Bytes::from(format!("data: {text}\nid: {number}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split_all(wire: Wire, chunks: &[&[u8]]) -> (Vec<Bytes>, Bytes) {
        let mut s = Splitter::new(wire);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        let rest = s.finish(&mut out);
        (out, rest)
    }

    #[test]
    fn each_sse_block_gets_the_next_id_last() {
        let (events, rest) = split_all(
            Wire::Sse,
            &[b"data: a\n\nevent: x\ndata: b\nid: up-7\n\n: ping\n\n"],
        );
        assert_eq!(
            events,
            [
                &b"data: a\nid: 1\n\n"[..],
                b"event: x\ndata: b\nid: up-7\nid: 2\n\n",
                b": ping\nid: 3\n\n",
            ]
        );
        assert!(rest.is_empty());
    }

    #[test]
    fn named_ids_carry_their_prefix() {
        let mut s = Splitter::new(Wire::Sse).named("ab-".into());
        let mut out = Vec::new();
        s.push(b"data: x\r\n\r\ndata: y\n\n", &mut out);
        assert_eq!(
            out,
            [
                Bytes::from_static(b"data: x\r\nid: ab-1\r\n\r\n"),
                Bytes::from_static(b"data: y\nid: ab-2\n\n")
            ]
        );
    }

    #[test]
    fn crlf_and_cr_line_ends_are_kept() {
        let (events, _) = split_all(Wire::Sse, &[b"data: a\r\n\r\ndata: b\r\rdata: c\r"]);
        assert_eq!(
            events,
            [&b"data: a\r\nid: 1\r\n\r\n"[..], b"data: b\rid: 2\r\r"]
        );
        let (events, rest) = split_all(Wire::Sse, &[b"data: c\r", b"\r"]);
        assert_eq!(events, [&b"data: c\rid: 1\r\r"[..]]);
        assert!(rest.is_empty());
    }

    #[test]
    fn a_cut_event_is_returned_unfinished() {
        let (events, rest) = split_all(Wire::Sse, &[b"data: a\n\ndata: {\"id\":\"x\",\"cre"]);
        assert_eq!(events.len(), 1);
        assert_eq!(&rest[..], b"data: {\"id\":\"x\",\"cre");
    }

    #[test]
    fn leading_blank_lines_are_not_events() {
        let (events, _) = split_all(Wire::Sse, &[b"\n\r\n\ndata: a\n\n"]);
        assert_eq!(events, [&b"data: a\nid: 1\n\n"[..]]);
    }

    #[test]
    fn ndjson_lines_are_events_and_blank_lines_are_not() {
        let (events, rest) = split_all(Wire::Ndjson, &[b"{\"a\":1}\n\n{\"b\"", b":2}\n{\"c"]);
        assert_eq!(events, [&b"{\"a\":1}\n"[..], b"{\"b\":2}\n"]);
        assert_eq!(&rest[..], b"{\"c");
        assert_eq!(
            &ndjson_line_as_sse(b"{\"a\":1}\n", 4)[..],
            b"data: {\"a\":1}\nid: 4\n\n"
        );
    }

    proptest! {
        /// However the bytes are chunked, the same events come out, and each decodes to
        /// the original event with its number as the id.
        #[test]
        fn chunking_does_not_change_events(
            texts in proptest::collection::vec("[a-z {}\":]{0,12}", 1..8),
            crlf in any::<bool>(),
            cuts in proptest::collection::vec(0usize..200, 0..6),
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let wire: String = texts.iter().map(|t| format!("data: {t}{end}{end}")).collect();
            let bytes = wire.as_bytes();
            let whole = split_all(Wire::Sse, &[bytes]).0;
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut from = 0;
            for c in cuts {
                chunks.push(&bytes[from..c]);
                from = c;
            }
            chunks.push(&bytes[from..]);
            let (pieces, rest) = split_all(Wire::Sse, &chunks);
            prop_assert!(rest.is_empty());
            prop_assert_eq!(&pieces, &whole);
            prop_assert_eq!(pieces.len(), texts.len());
            let mut decoder = rill_sse::Decoder::new();
            let mut items = Vec::new();
            for p in &pieces {
                let _ = decoder.push(p, &mut items);
            }
            for (i, (item, text)) in items.iter().zip(&texts).enumerate() {
                match item {
                    rill_sse::Item::Event(ev) => {
                        prop_assert_eq!(&ev.data, text);
                        prop_assert_eq!(&ev.id, &(i + 1).to_string());
                    }
                    other => prop_assert!(false, "not an event: {:?}", other),
                }
            }
        }
    }
}
