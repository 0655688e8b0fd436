//! Property tests: encode/decode round trip under arbitrary chunking, chunking invariance and
//! panic-freedom of the SSE decoder on arbitrary bytes, and NDJSON round trip.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use proptest::sample::Index;
use rill_sse::{Decoder, EncodeError, Event, Frame, Item, LineEnd, NdjsonDecoder};

/// Cut `input` at the given (unsorted, arbitrary) positions.
fn cut<'a>(input: &'a [u8], points: &[Index]) -> Vec<&'a [u8]> {
    let mut offsets: Vec<usize> = points.iter().map(|i| i.index(input.len() + 1)).collect();
    offsets.sort_unstable();
    let mut pieces = Vec::with_capacity(offsets.len() + 1);
    let mut start = 0;
    for offset in offsets {
        pieces.push(&input[start..offset]);
        start = offset;
    }
    pieces.push(&input[start..]);
    pieces
}

/// What one decoder run observed: items up to the first error, whether it failed, and the
/// final last event ID and reconnection time.
#[derive(Debug, PartialEq)]
struct Run {
    items: Vec<Item>,
    failed: bool,
    last_event_id: String,
    retry: Option<u64>,
}

fn decode_pieces(pieces: &[&[u8]], max_buffer: usize) -> Run {
    let mut decoder = Decoder::with_max_buffer(max_buffer);
    let mut items = Vec::new();
    let mut failed = false;
    for piece in pieces {
        if decoder.push(piece, &mut items).is_err() {
            failed = true;
            // The failed state is sticky.
            assert!(decoder.push(b"data: x\n\n", &mut items).is_err());
            break;
        }
    }
    let (last_event_id, retry) = (decoder.last_event_id().to_owned(), decoder.retry());
    if !failed {
        decoder.finish(&mut items);
    }
    Run {
        items,
        failed,
        last_event_id,
        retry,
    }
}

/// The same run through the borrowing API, [`Decoder::push_with`], with each borrowed item
/// copied out as it is handed over.
fn decode_pieces_borrowed(pieces: &[&[u8]], max_buffer: usize) -> Run {
    let mut decoder = Decoder::with_max_buffer(max_buffer);
    let mut items = Vec::new();
    let mut failed = false;
    for piece in pieces {
        let pushed = decoder.push_with(piece, |item| items.push(item.to_item()));
        if pushed.is_err() {
            failed = true;
            assert!(decoder.push_with(b"data: x\n\n", |_| {}).is_err());
            break;
        }
    }
    Run {
        items,
        failed,
        last_event_id: decoder.last_event_id().to_owned(),
        retry: decoder.retry(),
    }
}

/// Text with plenty of line breaks, spaces, colons and non-ASCII characters.
fn text_with_breaks(max_len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<char>(),
            1 => Just('\r'),
            1 => Just('\n'),
            1 => Just(' '),
            1 => Just(':'),
            1 => Just('\u{FEFF}'),
            1 => Just('é'),
        ],
        0..max_len,
    )
    .prop_map(String::from_iter)
}

/// Text without CR, LF (and, when `no_nul`, U+0000).
fn single_line(max_len: usize, no_nul: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<char>(),
            1 => Just(' '),
            1 => Just(':'),
            1 => Just('\0'),
        ],
        0..max_len,
    )
    .prop_map(move |chars| {
        chars
            .into_iter()
            .filter(|c| !matches!(c, '\r' | '\n') && (!no_nul || *c != '\0'))
            .collect()
    })
}

fn frame() -> impl Strategy<Value = Frame> {
    (
        prop::option::of(single_line(12, false)),
        prop::option::weighted(0.8, text_with_breaks(40)),
        prop::option::of(single_line(12, true)),
        prop::option::of(any::<u64>()),
        prop::option::weighted(0.2, text_with_breaks(20)),
    )
        .prop_map(|(event, data, id, retry, comment)| Frame {
            event,
            data,
            id,
            retry,
            comment,
        })
}

/// CRLF and lone CR become LF: what the protocol can carry inside data.
fn normalise_line_breaks(data: &str) -> String {
    data.replace("\r\n", "\n").replace('\r', "\n")
}

/// The items decoding `frames` must give, following the WHATWG dispatch steps.
fn expected_items(frames: &[Frame]) -> (Vec<Item>, String, Option<u64>) {
    let mut items = Vec::new();
    let mut last_event_id = String::new();
    let mut last_retry = None;
    for frame in frames {
        if let Some(ms) = frame.retry {
            items.push(Item::Retry(ms));
            last_retry = Some(ms);
        }
        if let Some(id) = &frame.id {
            last_event_id.clone_from(id);
        }
        // A frame without data dispatches nothing (its blank line only commits the id).
        if let Some(data) = &frame.data {
            let event = match frame.event.as_deref() {
                None | Some("") => "message".to_owned(),
                Some(name) => name.to_owned(),
            };
            items.push(Item::Event(Event {
                event,
                data: normalise_line_breaks(data),
                id: last_event_id.clone(),
            }));
        }
    }
    (items, last_event_id, last_retry)
}

fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 1..4),
        1 => Just(b"data".to_vec()),
        1 => Just(b"event".to_vec()),
        1 => Just(b"id".to_vec()),
        1 => Just(b"retry".to_vec()),
        2 => Just(b":".to_vec()),
        2 => Just(b" ".to_vec()),
        2 => Just(b"\r".to_vec()),
        2 => Just(b"\n".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        1 => Just(b"\xEF\xBB\xBF".to_vec()),
        1 => Just(b"\xEF\xBB".to_vec()),
        1 => Just(b"\xC3".to_vec()),
        1 => Just(b"\xA9".to_vec()),
        1 => Just(b"\xF0\x9F\x98".to_vec()),
        1 => Just(b"\0".to_vec()),
        1 => Just(b"123".to_vec()),
        1 => Just(b"x".to_vec()),
    ];
    prop::collection::vec(token, 0..80).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (1) Frames → encode (either line end) → concatenate → cut anywhere → decode gives the
    /// frames' events back.
    #[test]
    fn encoded_frames_decode_to_their_events_under_any_chunking(
        frames in prop::collection::vec(frame(), 0..8),
        crlf in any::<bool>(),
        points in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        let end = if crlf { LineEnd::CrLf } else { LineEnd::Lf };
        let mut stream = String::new();
        let mut sent = Vec::new();
        for frame in frames {
            match frame.encode_into(end, &mut stream) {
                Ok(()) => sent.push(frame),
                Err(error) => {
                    // The generator only makes frames whose sole possible fault is emptiness.
                    prop_assert_eq!(error, EncodeError::NoData);
                    prop_assert!(frame.data.is_none() && frame.id.is_none());
                }
            }
        }
        let (items, last_event_id, retry) = expected_items(&sent);
        let run = decode_pieces(&cut(stream.as_bytes(), &points), usize::MAX);
        prop_assert!(!run.failed);
        prop_assert_eq!(run.items, items);
        prop_assert_eq!(run.last_event_id, last_event_id);
        prop_assert_eq!(run.retry, retry);
    }

    /// (2) For arbitrary bytes, decoding the whole input equals decoding any chunking of it,
    /// including one byte at a time.
    #[test]
    fn chunking_never_changes_what_is_decoded(
        input in interesting_bytes(),
        points in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let whole = decode_pieces(&[&input], usize::MAX);
        prop_assert_eq!(&decode_pieces(&cut(&input, &points), usize::MAX), &whole);
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(&decode_pieces(&bytewise, usize::MAX), &whole);
    }

    /// (2b) The same holds with a small buffer limit: where and whether the decoder fails does
    /// not depend on chunking either.
    #[test]
    fn chunking_never_changes_where_the_limit_fails(
        input in interesting_bytes(),
        points in prop::collection::vec(any::<Index>(), 0..8),
        limit in 0usize..48,
    ) {
        let whole = decode_pieces(&[&input], limit);
        prop_assert_eq!(&decode_pieces(&cut(&input, &points), limit), &whole);
    }

    /// (2c) The borrowing API hands over exactly the items `push` returns, under any chunking
    /// and limit (it shares the parser but not the event hand-over: borrowed lines, buffers).
    #[test]
    fn push_with_borrows_exactly_what_push_returns(
        input in interesting_bytes(),
        points in prop::collection::vec(any::<Index>(), 0..8),
        limit in prop_oneof![Just(usize::MAX), 0usize..64],
    ) {
        let pieces = cut(&input, &points);
        prop_assert_eq!(decode_pieces_borrowed(&pieces, limit), decode_pieces(&pieces, limit));
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(decode_pieces_borrowed(&bytewise, limit), decode_pieces(&bytewise, limit));
    }

    /// (3) The decoder never panics on arbitrary bytes and chunkings, whatever the limit.
    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(
        input in prop::collection::vec(any::<u8>(), 0..600),
        points in prop::collection::vec(any::<Index>(), 0..10),
        limit in prop_oneof![Just(usize::MAX), 0usize..300],
    ) {
        let run = decode_pieces(&cut(&input, &points), limit);
        for item in &run.items {
            if let Item::Event(event) = item {
                prop_assert!(!event.event.is_empty());
                prop_assert!(event.data.len() <= input.len() * 3);
            }
        }
    }

    /// (4) NDJSON: values serialised one per line (LF or CRLF, with blank lines), cut
    /// anywhere, decode to the same values.
    #[test]
    fn ndjson_values_survive_any_chunking(
        values in prop::collection::vec(json_value(), 0..10),
        crlf in any::<bool>(),
        blank_after in prop::collection::vec(any::<bool>(), 10),
        final_newline in any::<bool>(),
        points in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        for (i, value) in values.iter().enumerate() {
            text.push_str(&serde_json::to_string(value).expect("serialisable"));
            if i + 1 < values.len() || final_newline {
                text.push_str(nl);
            }
            if blank_after[i] && i + 1 < values.len() {
                text.push_str(nl);
            }
        }
        let mut decoder = NdjsonDecoder::new();
        let mut out = Vec::new();
        for piece in cut(text.as_bytes(), &points) {
            decoder.push(piece, &mut out);
        }
        decoder.finish(&mut out);
        let decoded: Vec<serde_json::Value> = out
            .into_iter()
            .map(|r| r.map_err(|e| TestCaseError::fail(e.to_string())))
            .collect::<Result<_, _>>()?;
        prop_assert_eq!(decoded, values);
    }

    /// The NDJSON decoder never panics either, and reports errors instead.
    #[test]
    fn ndjson_never_panics_on_arbitrary_bytes(
        input in interesting_bytes(),
        points in prop::collection::vec(any::<Index>(), 0..8),
        limit in prop_oneof![Just(usize::MAX), 0usize..64],
    ) {
        let mut decoder = NdjsonDecoder::with_max_buffer(limit);
        let mut out = Vec::new();
        for piece in cut(&input, &points) {
            decoder.push(piece, &mut out);
        }
        decoder.finish(&mut out);
        prop_assert!(out.len() <= input.len() + 1);
    }
}

/// Arbitrary JSON values. Floats are dyadic with a short decimal form, so that they survive
/// text and back exactly with serde_json's default (not `float_roundtrip`) parser.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (any::<i32>(), 0i32..5).prop_map(|(m, e)| Value::from(f64::from(m) / 2f64.powi(e))),
        any::<String>().prop_map(Value::String),
        text_with_breaks(20).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}
