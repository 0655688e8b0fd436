//! Incremental newline-delimited JSON decoding, for Ollama's native streaming API
//! (`application/x-ndjson`: one JSON value per line).
//!
//! This module owns line framing over arbitrary chunks (lines and UTF-8 characters split
//! between chunks, LF or CRLF line ends, blank lines), handing each line to a parser (with
//! the `json` feature, `serde_json`; a caller can bring its own through
//! [`NdjsonDecoder::push_with`]), per-line error reporting, and a cap on the bytes buffered
//! for one line.
//!
//! It must not do I/O, interpret the values (that is the chat client's job), stop at a
//! malformed line (a bad line is reported and the next one is decoded), panic on any input, or
//! buffer more than its limit.

use std::mem;

use memchr::memchr;

use crate::decode::DEFAULT_MAX_BUFFER;

/// Longest excerpt of a malformed line quoted in [`NdjsonError::Malformed`], in characters.
const EXCERPT_CHARS: usize = 80;

/// What went wrong with one line, or with the stream.
#[derive(Debug, thiserror::Error)]
pub enum NdjsonError {
    /// A line that is not one JSON value. Decoding continues with the next line.
    #[error("line {line}: malformed JSON ({reason}): {excerpt}")]
    Malformed {
        /// 1-based line number in the stream (blank lines count).
        line: usize,
        /// The start of the line, at most 80 characters, invalid UTF-8 shown as U+FFFD.
        excerpt: String,
        /// The parser's error, in words.
        reason: String,
    },
    /// A line grew beyond the buffer limit; reported once, after which the decoder ignores
    /// input until [`NdjsonDecoder::finish`].
    #[error("NDJSON line too large: it exceeds the {limit}-byte limit")]
    TooLarge {
        /// The limit, in bytes, that was exceeded.
        limit: usize,
    },
}

/// An incremental NDJSON decoder: [`push`](Self::push) chunks, [`finish`](Self::finish) at end
/// of stream.
#[derive(Debug, Clone)]
pub struct NdjsonDecoder {
    max_buffer: usize,
    /// The start of a line whose LF has not arrived yet.
    line: Vec<u8>,
    /// Lines seen so far (including blank ones).
    line_no: usize,
    failed: bool,
}

impl Default for NdjsonDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl NdjsonDecoder {
    /// A decoder with the [`DEFAULT_MAX_BUFFER`] (16 MiB) line limit.
    pub fn new() -> Self {
        Self::with_max_buffer(DEFAULT_MAX_BUFFER)
    }

    /// A decoder that reports [`NdjsonError::TooLarge`] for a line longer than `limit` bytes.
    pub fn with_max_buffer(limit: usize) -> Self {
        Self {
            max_buffer: limit,
            line: Vec::new(),
            line_no: 0,
            failed: false,
        }
    }

    /// Decode one chunk with `serde_json`, appending one result per complete non-blank line
    /// to `out`.
    #[cfg(feature = "json")]
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Result<serde_json::Value, NdjsonError>>) {
        self.push_with(chunk, &mut serde_line, out);
    }

    /// End of stream, with `serde_json`: see [`finish_with`](Self::finish_with).
    #[cfg(feature = "json")]
    pub fn finish(&mut self, out: &mut Vec<Result<serde_json::Value, NdjsonError>>) {
        self.finish_with(&mut serde_line, out);
    }

    /// Decode one chunk, appending `parse`'s result for each complete non-blank line (without
    /// its line end) to `out`. A parser's `Err` is reported as [`NdjsonError::Malformed`].
    pub fn push_with<T, E: std::fmt::Display>(
        &mut self,
        chunk: &[u8],
        parse: &mut impl FnMut(&[u8]) -> Result<T, E>,
        out: &mut Vec<Result<T, NdjsonError>>,
    ) {
        if self.failed {
            return;
        }
        let mut rest = chunk;
        while let Some(pos) = memchr(b'\n', rest) {
            let (line, lf_and_tail) = rest.split_at(pos);
            rest = lf_and_tail.get(1..).unwrap_or_default();
            if self.line.is_empty() {
                // Zero-copy path: the whole line is inside this chunk.
                if !self.check(line.len(), out) {
                    return;
                }
                self.parse_line(line, parse, out);
            } else {
                if !self.check(self.line.len().saturating_add(line.len()), out) {
                    return;
                }
                let mut assembled = mem::take(&mut self.line);
                assembled.extend_from_slice(line);
                self.parse_line(&assembled, parse, out);
                assembled.clear();
                self.line = assembled;
            }
        }
        if !rest.is_empty() {
            if !self.check(self.line.len().saturating_add(rest.len()), out) {
                return;
            }
            self.line.extend_from_slice(rest);
        }
    }

    /// End of stream: a final line without a newline is parsed. Then the decoder is reset
    /// (line numbers restart at 1, the failed state is cleared) for reuse on a new stream.
    pub fn finish_with<T, E: std::fmt::Display>(
        &mut self,
        parse: &mut impl FnMut(&[u8]) -> Result<T, E>,
        out: &mut Vec<Result<T, NdjsonError>>,
    ) {
        if !self.failed && !self.line.is_empty() {
            let line = mem::take(&mut self.line);
            self.parse_line(&line, parse, out);
        }
        self.line = Vec::new();
        self.line_no = 0;
        self.failed = false;
    }

    /// Report and enter the failed state when a line of `len` bytes exceeds the limit.
    fn check<T>(&mut self, len: usize, out: &mut Vec<Result<T, NdjsonError>>) -> bool {
        if len > self.max_buffer {
            self.failed = true;
            self.line = Vec::new();
            out.push(Err(NdjsonError::TooLarge {
                limit: self.max_buffer,
            }));
            return false;
        }
        true
    }

    fn parse_line<T, E: std::fmt::Display>(
        &mut self,
        line: &[u8],
        parse: &mut impl FnMut(&[u8]) -> Result<T, E>,
        out: &mut Vec<Result<T, NdjsonError>>,
    ) {
        self.line_no = self.line_no.saturating_add(1);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            return; // blank line
        }
        out.push(parse(line).map_err(|reason| NdjsonError::Malformed {
            line: self.line_no,
            excerpt: excerpt(line),
            reason: reason.to_string(),
        }));
    }
}

#[cfg(feature = "json")]
fn serde_line(line: &[u8]) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_slice(line)
}

/// The trimmed start of `line`, at most [`EXCERPT_CHARS`] characters (cut on a char boundary,
/// ending in `…` when cut).
fn excerpt(line: &[u8]) -> String {
    // Decode only a bounded head of a possibly huge line: 4 bytes per character at most, so
    // a cut head still holds more than EXCERPT_CHARS characters and gets the `…`.
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let line = line.get(start..).unwrap_or_default();
    let head = line.get(..(EXCERPT_CHARS + 1) * 4).unwrap_or(line);
    let text = String::from_utf8_lossy(head);
    let text = text.trim();
    if text.chars().count() <= EXCERPT_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode_chunks(chunks: &[&[u8]]) -> Vec<Result<serde_json::Value, NdjsonError>> {
        let mut decoder = NdjsonDecoder::new();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.push(chunk, &mut out);
        }
        decoder.finish(&mut out);
        out
    }

    fn values(results: Vec<Result<serde_json::Value, NdjsonError>>) -> Vec<serde_json::Value> {
        results
            .into_iter()
            .map(|r| r.expect("valid line"))
            .collect()
    }

    #[test]
    fn one_value_per_line() {
        assert_eq!(
            values(decode_chunks(&[b"{\"a\":1}\n[2]\n\"three\"\n"])),
            vec![json!({"a": 1}), json!([2]), json!("three")]
        );
    }

    #[test]
    fn line_split_across_chunks() {
        assert_eq!(
            values(decode_chunks(&[
                b"{\"resp",
                b"onse\":\"hi\",",
                b"\"done\":false}\n"
            ])),
            vec![json!({"response": "hi", "done": false})]
        );
    }

    #[test]
    fn utf8_char_split_across_chunks() {
        assert_eq!(
            values(decode_chunks(&[b"{\"t\":\"\xE2\x82", b"\xAC\"}\n"])),
            vec![json!({"t": "€"})]
        );
    }

    #[test]
    fn crlf_line_ends_accepted() {
        assert_eq!(
            values(decode_chunks(&[b"1\r", b"\n2\r\n"])),
            vec![json!(1), json!(2)]
        );
    }

    #[test]
    fn blank_lines_skipped() {
        assert_eq!(
            values(decode_chunks(&[b"\n1\n\r\n  \n\t\n2\n\n"])),
            vec![json!(1), json!(2)]
        );
    }

    #[test]
    fn final_line_without_newline_is_parsed() {
        assert_eq!(
            values(decode_chunks(&[b"1\n{\"done\":", b"true}"])),
            vec![json!(1), json!({"done": true})]
        );
    }

    #[test]
    fn malformed_line_reports_line_number_and_decoding_continues() {
        let out = decode_chunks(&[b"1\n\n{oops}\n3\n"]);
        assert_eq!(out.len(), 3);
        match &out[1] {
            Err(NdjsonError::Malformed { line, excerpt, .. }) => {
                assert_eq!(*line, 3, "blank line 2 counts");
                assert_eq!(excerpt, "{oops}");
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
        assert_eq!(out[2].as_ref().ok(), Some(&json!(3)));
        let message = out[1]
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(message.starts_with("line 3: malformed JSON ("), "{message}");
        assert!(message.ends_with("): {oops}"), "{message}");
    }

    #[test]
    fn two_values_on_one_line_are_malformed() {
        let out = decode_chunks(&[b"1 2\n"]);
        assert!(matches!(
            out[..],
            [Err(NdjsonError::Malformed { line: 1, .. })]
        ));
    }

    #[test]
    fn invalid_utf8_line_is_malformed_not_a_panic() {
        let out = decode_chunks(&[b"\"\xFF\"\n"]);
        match &out[..] {
            [Err(NdjsonError::Malformed { excerpt, .. })] => assert_eq!(excerpt, "\"\u{FFFD}\""),
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn excerpt_is_at_most_80_chars_and_char_boundary_safe() {
        let line = format!("{{{}\n", "é".repeat(200));
        let out = decode_chunks(&[line.as_bytes()]);
        match &out[..] {
            [Err(NdjsonError::Malformed { excerpt, .. })] => {
                assert_eq!(excerpt.chars().count(), 80);
                assert!(excerpt.ends_with('…'));
                assert!(excerpt.starts_with("{éé"));
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn too_large_reported_once_then_failed() {
        let mut decoder = NdjsonDecoder::with_max_buffer(16);
        let mut out = Vec::new();
        decoder.push(b"[1]\n[\"0123456789", &mut out);
        decoder.push(b"0123456789\"]\n[2]\n", &mut out);
        decoder.push(b"[3]\n", &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].as_ref().ok(), Some(&json!([1])));
        assert!(matches!(out[1], Err(NdjsonError::TooLarge { limit: 16 })));
        assert!(decoder.line.capacity() == 0);
        // finish() resets for a new stream.
        decoder.finish(&mut out);
        decoder.push(b"[4]\n", &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[2].as_ref().ok(), Some(&json!([4])));
    }

    #[test]
    fn too_large_line_inside_one_chunk_is_reported() {
        let mut decoder = NdjsonDecoder::with_max_buffer(4);
        let mut out = Vec::new();
        decoder.push(b"[1]\n[1234]\n[2]\n", &mut out);
        assert_eq!(out.len(), 2);
        assert!(matches!(out[1], Err(NdjsonError::TooLarge { limit: 4 })));
    }

    #[test]
    fn push_with_hands_each_line_to_the_callers_parser() {
        let mut d = NdjsonDecoder::new();
        let mut out = Vec::new();
        let mut parse = |line: &[u8]| -> Result<usize, &'static str> {
            if line.starts_with(b"{") {
                Ok(line.len())
            } else {
                Err("no object")
            }
        };
        d.push_with(b"{\"a\":1}\r\n\nxx\n{\"b\"", &mut parse, &mut out);
        d.finish_with(&mut parse, &mut out);
        match out.as_slice() {
            [Ok(7), Err(NdjsonError::Malformed {
                line: 3,
                excerpt,
                reason,
            }), Ok(4)] => {
                assert_eq!((excerpt.as_str(), reason.as_str()), ("xx", "no object"));
            }
            other => panic!("{other:?}"),
        }
    }
}
