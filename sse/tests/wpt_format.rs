//! The web-platform-tests `eventsource/format-*` cases, ported as table rows.
//!
//! Each WPT test asks its server script for a body, then asserts on the events an
//! `EventSource` fires. A row here holds the exact body bytes the script sends (one body per
//! connection when the test relies on reconnection), the items the decoder must yield, and the
//! last event ID / reconnection time left at the end. Every row is decoded whole, cut into two
//! pieces at every byte offset, and fed byte by byte; all must agree.
//!
//! Server scripts, as in WPT `eventsource/resources/`:
//! * `message.py` (= the older `message.php`) sends `message + newline + "\n"`, where `newline`
//!   is `"\n\n"`, or `""` with `&newline=none`.
//! * `last-event-id.py` sends `"id: " + idvalue + "\nretry: 200\ndata: hello\n\n"` (idvalue
//!   defaults to `…`) to a request without `Last-Event-ID`, and `"data: " + id + "\n\n"` to one
//!   with it.
//! * `last-event-id2.py` sends one fixed body per `type`.
//!
//! A reconnection is modelled by calling `finish()` and feeding the next body to the same
//! decoder, which keeps the last event ID and reconnection time.
//!
//! Not ported (they test the `Content-Type` / charset check that the caller does before any
//! byte reaches the decoder, not body parsing):
//! * `format-mime-bogus.htm` (`Content-Type: x bogus` fails the connection),
//! * `format-mime-valid-bogus.htm` (`text/x-bogus` fails the connection),
//! * `format-mime-trailing-semicolon.htm` (`text/event-stream;` opens the connection),
//! * `format-utf-8.htm`, the older variant expecting `;charset=windows-1252` to fail the
//!   connection. Its current replacement `format-utf-8.any.js` is ported below for the body
//!   part: the charset parameter is ignored and the body is decoded as UTF-8.

use rill_sse::{Decoder, Event, Item};

struct Case {
    /// The WPT file (and sub-test) the row comes from.
    wpt: &'static str,
    /// The response body of each successive connection.
    connections: Vec<Vec<u8>>,
    expected: Vec<Item>,
    last_event_id: &'static str,
    retry: Option<u64>,
}

/// The body `resources/message.py` sends.
fn message_py(message: &[u8], newline_none: bool) -> Vec<u8> {
    let mut body = message.to_vec();
    if !newline_none {
        body.extend_from_slice(b"\n\n");
    }
    body.push(b'\n');
    body
}

/// The body `resources/last-event-id.py` sends to a first request (no `Last-Event-ID`).
fn last_event_id_py_first(idvalue: &[u8]) -> Vec<u8> {
    [
        b"id: ".as_slice(),
        idvalue,
        b"\nretry: 200\ndata: hello\n\n",
    ]
    .concat()
}

/// The body `resources/last-event-id.py` sends to a request with `Last-Event-ID: id`.
fn last_event_id_py_again(id: &str) -> Vec<u8> {
    format!("data: {id}\n\n").into_bytes()
}

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

fn cases() -> Vec<Case> {
    let long = "x".repeat(2 * 1024);
    let mut cases = vec![
        // format-bom.js: a leading BOM is stripped; a BOM later in the stream is part of the
        // field name "\u{FEFF}data", which is unknown, so "2" never arrives.
        Case {
            wpt: "eventsource/format-bom.js",
            connections: vec![message_py(
                b"\xEF\xBB\xBFdata:1\n\n\xEF\xBB\xBFdata:2\n\ndata:3",
                false,
            )],
            expected: vec![msg("1"), msg("3")],
            last_event_id: "",
            retry: None,
        },
        // format-bom-2.any.js: only one BOM is stripped.
        Case {
            wpt: "eventsource/format-bom-2.any.js",
            connections: vec![message_py(
                b"\xEF\xBB\xBF\xEF\xBB\xBFdata:1\n\ndata:2\n\ndata:3",
                false,
            )],
            expected: vec![msg("2"), msg("3")],
            last_event_id: "",
            retry: None,
        },
        // format-comments.js: comments ended by CR, LF and CRLF, with NUL and 2 KiB payloads.
        Case {
            wpt: "eventsource/format-comments.js",
            connections: vec![message_py(
                format!("data:1\r:\0\n:\r\ndata:2\n:{long}\rdata:3\n:data:fail\r:{long}\ndata:4\n")
                    .as_bytes(),
                true,
            )],
            expected: vec![msg("1\n2\n3\n4")],
            last_event_id: "",
            retry: None,
        },
        // format-data-before-final-empty-line.js: the block after the last blank line is
        // discarded at end of stream, its id included, so the reconnection (same body) again
        // starts with lastEventId "".
        Case {
            wpt: "eventsource/format-data-before-final-empty-line.js",
            connections: vec![
                message_py(b"retry:1000\ndata:test1\n\nid:test\ndata:test2", true),
                message_py(b"retry:1000\ndata:test1\n\nid:test\ndata:test2", true),
            ],
            expected: vec![
                Item::Retry(1000),
                msg("test1"),
                Item::Retry(1000),
                msg("test1"),
            ],
            last_event_id: "",
            retry: Some(1000),
        },
        // format-field-data.js: "data:" and a bare "data" both append an empty line.
        Case {
            wpt: "eventsource/format-field-data.js",
            connections: vec![message_py(b"data:\n\ndata\ndata\n\ndata:test", false)],
            expected: vec![msg(""), msg("\n"), msg("test")],
            last_event_id: "",
            retry: None,
        },
        // format-field-event.htm: the event type applies to its own block only.
        Case {
            wpt: "eventsource/format-field-event.htm",
            connections: vec![message_py(b"event:test\ndata:x\n\ndata:x", false)],
            expected: vec![ev("test", "x", ""), msg("x")],
            last_event_id: "",
            retry: None,
        },
        // format-field-event-empty.htm: "event: " (empty type) dispatches as "message".
        Case {
            wpt: "eventsource/format-field-event-empty.htm",
            connections: vec![message_py(b"event: \ndata:data", false)],
            expected: vec![msg("data")],
            last_event_id: "",
            retry: None,
        },
        // format-field-id.htm: the id is reported, sent back as Last-Event-ID on reconnect, and
        // still reported by events of the new stream that carry no id field.
        Case {
            wpt: "eventsource/format-field-id.htm",
            connections: vec![
                last_event_id_py_first("…".as_bytes()),
                last_event_id_py_again("…"),
            ],
            expected: vec![
                Item::Retry(200),
                ev("message", "hello", "…"),
                ev("message", "…", "…"),
            ],
            last_event_id: "…",
            retry: Some(200),
        },
        // format-field-id-2.any.js: the same across two reconnections.
        Case {
            wpt: "eventsource/format-field-id-2.any.js",
            connections: vec![
                last_event_id_py_first("…".as_bytes()),
                last_event_id_py_again("…"),
                last_event_id_py_again("…"),
            ],
            expected: vec![
                Item::Retry(200),
                ev("message", "hello", "…"),
                ev("message", "…", "…"),
                ev("message", "…", "…"),
            ],
            last_event_id: "…",
            retry: Some(200),
        },
        // format-field-id-3.htm, "lastEventId persists" (last-event-id2.py?type=1).
        Case {
            wpt: "eventsource/format-field-id-3.htm (persists)",
            connections: vec![b"id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\n".to_vec()],
            expected: vec![
                ev("message", "1", "1"),
                ev("message", "2", "1"),
                ev("message", "3", "2"),
                ev("message", "4", "2"),
            ],
            last_event_id: "2",
            retry: None,
        },
        // format-field-id-3.htm, older "changes and persists" variant of type=2.
        Case {
            wpt: "eventsource/format-field-id-3.htm (changes and persists)",
            connections: vec![b"id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n".to_vec()],
            expected: vec![
                ev("message", "1", "1"),
                ev("message", "2", "2"),
                ev("message", "3", "2"),
            ],
            last_event_id: "2",
            retry: None,
        },
        // format-field-id-3.htm, "lastEventId resets" (type=2): "id:" with an empty value.
        Case {
            wpt: "eventsource/format-field-id-3.htm (resets)",
            connections: vec![b"id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n".to_vec()],
            expected: vec![ev("message", "1", "1"), msg("2"), msg("3")],
            last_event_id: "",
            retry: None,
        },
        // format-field-id-3.htm, "lastEventId resets (id without colon)" (type=3).
        Case {
            wpt: "eventsource/format-field-id-3.htm (resets, id without colon)",
            connections: vec![b"id: 1\ndata: 1\n\nid\ndata:2\n\ndata:3\n\n".to_vec()],
            expected: vec![ev("message", "1", "1"), msg("2"), msg("3")],
            last_event_id: "",
            retry: None,
        },
        // format-field-parsing.htm: case-sensitive names, NUL in names and values, a leading
        // space in the name, "data_5", "da-ta", CR/LF/CRLF line ends.
        Case {
            wpt: "eventsource/format-field-parsing.htm",
            connections: vec![message_py(
                b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\n\
                  data:3\rdata:\r\n data:32\ndata:4\n",
                true,
            )],
            expected: vec![msg("\0\n 2\n1\n3\n\n4")],
            last_event_id: "",
            retry: None,
        },
        // format-field-retry.htm: "02000" is decimal 2000, not octal.
        Case {
            wpt: "eventsource/format-field-retry.htm",
            connections: vec![message_py(b"retry:02000\ndata:x", false)],
            expected: vec![Item::Retry(2000), msg("x")],
            last_event_id: "",
            retry: Some(2000),
        },
        // format-field-retry-bogus.htm: "1000x" is ignored; 2000 stays.
        Case {
            wpt: "eventsource/format-field-retry-bogus.htm",
            connections: vec![message_py(b"retry:2000\nretry:1000x\ndata:x", false)],
            expected: vec![Item::Retry(2000), msg("x")],
            last_event_id: "",
            retry: Some(2000),
        },
        // format-field-retry-empty.htm: a bare "retry" is ignored.
        Case {
            wpt: "eventsource/format-field-retry-empty.htm",
            connections: vec![message_py(b"retry\ndata:test", false)],
            expected: vec![msg("test")],
            last_event_id: "",
            retry: None,
        },
        // format-field-unknown.htm: unknown fields, " data", text without colon, comments.
        Case {
            wpt: "eventsource/format-field-unknown.htm",
            connections: vec![message_py(
                b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test",
                false,
            )],
            expected: vec![msg("test\n\ntest")],
            last_event_id: "",
            retry: None,
        },
        // format-leading-space.htm: only a space is stripped (not a tab); a CR ends a line.
        Case {
            wpt: "eventsource/format-leading-space.htm",
            connections: vec![message_py(b"data:\ttest\rdata: \ndata:test", false)],
            expected: vec![msg("\ttest\n\ntest")],
            last_event_id: "",
            retry: None,
        },
        // format-newlines.htm: CRLF, LF, and a final CR + LF pair (the LF is message.py's).
        Case {
            wpt: "eventsource/format-newlines.htm",
            connections: vec![message_py(b"data:test\r\ndata\ndata:test\r\n\r", true)],
            expected: vec![msg("test\n\ntest")],
            last_event_id: "",
            retry: None,
        },
        // format-null-character.html: U+0000 in data is delivered.
        Case {
            wpt: "eventsource/format-null-character.html",
            connections: vec![message_py(b"data:\0\n\n", false)],
            expected: vec![msg("\0")],
            last_event_id: "",
            retry: None,
        },
        // format-utf-8.any.js: always UTF-8 (served with ;charset=windows-1252, ignored).
        Case {
            wpt: "eventsource/format-utf-8.any.js",
            connections: vec![message_py("data:ok…".as_bytes(), false)],
            expected: vec![msg("ok…")],
            last_event_id: "",
            retry: None,
        },
    ];
    // format-field-id-null.htm (current version): an id containing U+0000 is ignored, so
    // lastEventId stays "" and the reconnection sends no Last-Event-ID and gets the same body.
    for idvalue in [&b"\0\0"[..], b"x\0", b"\0x", b"x\0x", b" \0"] {
        cases.push(Case {
            wpt: "eventsource/format-field-id-null.htm",
            connections: vec![
                last_event_id_py_first(idvalue),
                last_event_id_py_first(idvalue),
            ],
            expected: vec![
                Item::Retry(200),
                msg("hello"),
                Item::Retry(200),
                msg("hello"),
            ],
            last_event_id: "",
            retry: Some(200),
        });
    }
    cases
}

/// Run one case, cutting each connection's body into the pieces `cut` returns. Every case runs
/// through both APIs, `push` (owned items) and `push_with` (borrowed), which must agree.
fn run<'a>(
    case: &'a Case,
    cut: impl Fn(&'a [u8]) -> Vec<&'a [u8]>,
) -> (Vec<Item>, String, Option<u64>) {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    let mut borrowing = Decoder::new();
    let mut borrowed = Vec::new();
    for body in &case.connections {
        for piece in cut(body) {
            decoder
                .push(piece, &mut out)
                .expect("WPT bodies are far below the limit");
            borrowing
                .push_with(piece, |item| borrowed.push(item.to_item()))
                .expect("WPT bodies are far below the limit");
        }
        decoder.finish(&mut out);
        borrowing.finish(&mut borrowed);
    }
    assert_eq!(borrowed, out, "{}: push_with disagrees with push", case.wpt);
    assert_eq!(borrowing.last_event_id(), decoder.last_event_id());
    (out, decoder.last_event_id().to_owned(), decoder.retry())
}

fn check(case: &Case, got: (Vec<Item>, String, Option<u64>), how: &str) {
    let (items, last_event_id, retry) = got;
    assert_eq!(items, case.expected, "{} ({how}): items", case.wpt);
    assert_eq!(
        last_event_id, case.last_event_id,
        "{} ({how}): last event id",
        case.wpt
    );
    assert_eq!(retry, case.retry, "{} ({how}): retry", case.wpt);
}

#[test]
fn wpt_format_cases_decoded_whole() {
    for case in &cases() {
        check(case, run(case, |body| vec![body]), "whole");
    }
}

#[test]
fn wpt_format_cases_split_at_every_byte_offset() {
    for case in &cases() {
        let longest = case.connections.iter().map(Vec::len).max().unwrap_or(0);
        for at in 0..=longest {
            let got = run(case, |body| {
                let (a, b) = body.split_at(at.min(body.len()));
                vec![a, b]
            });
            check(case, got, &format!("split at {at}"));
        }
    }
}

#[test]
fn wpt_format_cases_fed_byte_by_byte() {
    for case in &cases() {
        check(
            case,
            run(case, |body| body.chunks(1).collect()),
            "byte by byte",
        );
    }
}

#[test]
fn wpt_table_covers_every_ported_file() {
    let cases = cases();
    for file in [
        "format-bom.js",
        "format-bom-2.any.js",
        "format-comments.js",
        "format-data-before-final-empty-line.js",
        "format-field-data.js",
        "format-field-event.htm",
        "format-field-event-empty.htm",
        "format-field-id.htm",
        "format-field-id-2.any.js",
        "format-field-id-3.htm",
        "format-field-id-null.htm",
        "format-field-parsing.htm",
        "format-field-retry.htm",
        "format-field-retry-bogus.htm",
        "format-field-retry-empty.htm",
        "format-field-unknown.htm",
        "format-leading-space.htm",
        "format-newlines.htm",
        "format-null-character.html",
        "format-utf-8.any.js",
    ] {
        let path = format!("eventsource/{file}");
        assert!(
            cases
                .iter()
                .any(|case| case.wpt == path || case.wpt.starts_with(&format!("{path} "))),
            "no row for {path}"
        );
    }
}
