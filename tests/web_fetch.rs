//! Browser tests (wasm-bindgen-test in headless Chromium) for the fetch transport, against
//! rill-server's `/test/…` endpoints. `./x test` passes the server URL as `RILL_TEST_SERVER`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use rill::transport::fetch::{FetchRequest, FetchStream};
use rill::transport::response::BodyFormat;
use rill::transport::{CloseReason, ErrorKind, Event, Reconnect, StreamEvent};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod web_support;
use web_support::{server, sleep};

type Log = Rc<RefCell<Vec<StreamEvent>>>;

fn open(request: FetchRequest) -> (FetchStream, Log) {
    let log: Log = Rc::default();
    let sink = log.clone();
    // `Alive` (a read that completed no event) depends on how the bytes were cut into
    // reads: liveness, not content, so these logs leave it out.
    let stream = FetchStream::open(request, move |e| {
        if e != StreamEvent::Alive {
            sink.borrow_mut().push(e);
        }
    });
    (stream, log)
}

/// Waits (at most `ms`) until the log holds an event accepted by `done`.
async fn until(log: &Log, ms: i32, done: impl Fn(&StreamEvent) -> bool) -> Vec<StreamEvent> {
    let mut waited = 0;
    while !log.borrow().iter().any(&done) {
        assert!(waited < ms, "timed out; events so far: {:#?}", log.borrow());
        sleep(20).await;
        waited += 20;
    }
    log.borrow().clone()
}

fn is_final(e: &StreamEvent) -> bool {
    matches!(
        e,
        StreamEvent::Closed(_)
            | StreamEvent::Error(rill::transport::StreamError {
                reconnect: Reconnect::Never,
                ..
            })
    )
}

fn events(log: &[StreamEvent]) -> Vec<Event> {
    log.iter()
        .filter_map(|e| match e {
            StreamEvent::Event(ev) => Some(ev.clone()),
            _ => None,
        })
        .collect()
}

fn url(path: &str) -> String {
    format!("{}{path}", server())
}

#[wasm_bindgen_test]
async fn drops_mid_event_reconnect_with_last_event_id_and_lose_nothing() {
    // Each connection sends two events, half of a third, then breaks; retry is 100 ms.
    let (_stream, log) = open(FetchRequest::get(&url(
        "/test/events?count=7&drop_after=2&retry=100",
    )));
    // Four backed-off waits: at most 1 + 2 + 4 + 8 s.
    let log = until(&log, 30_000, is_final).await;
    let got = events(&log);
    let data: Vec<&str> = got.iter().map(|e| e.data.as_str()).collect();
    assert_eq!(
        data,
        ["event 1", "event 2", "event 3", "event 4", "event 5", "event 6", "event 7"]
    );
    let ids: Vec<&str> = got.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7"]);
    // Four connections (2+2+2+1 events), then 204 ends it: no partial event, no duplicate.
    let opens = log.iter().filter(|e| **e == StreamEvent::Open).count();
    assert_eq!(opens, 4, "{log:#?}");
    let retries: Vec<_> = log
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Error(err) => Some(err.reconnect),
            _ => None,
        })
        .collect();
    // Each connection breaks within a second of its start, so the reconnect floor, not the
    // server's 100 ms, sets the wait (less the few milliseconds the attempt took), and
    // these quick drops do not reset the backoff.
    assert_eq!(retries.len(), 4, "{retries:?}");
    assert!(
        retries
            .iter()
            .all(|r| matches!(r, Reconnect::After(ms) if (500..=8_000).contains(ms))),
        "{retries:?}"
    );
    assert_eq!(
        log.last(),
        Some(&StreamEvent::Closed(CloseReason::NoContent))
    );
    assert!(log.contains(&StreamEvent::Retry(100)));
}

#[wasm_bindgen_test]
async fn http_500_is_final_and_names_status_and_message() {
    let request = FetchRequest::get(&url(
        "/test/status/500?type=application/json&body=%7B%22error%22%3A%7B%22message%22%3A%22boom%22%7D%7D",
    ));
    let (_stream, log) = open(request);
    let log = until(&log, 5_000, is_final).await;
    assert_eq!(
        log,
        [StreamEvent::error(
            ErrorKind::Http {
                status: 500,
                content_type: "application/json".into(),
                message: "boom".into(),
                retry_after_ms: None,
            },
            Reconnect::Never
        )]
    );
}

/// A long error body is read only up to the limit and its message ends in "…".
#[wasm_bindgen_test]
async fn a_long_error_body_is_cut_with_an_ellipsis() {
    let body = "e".repeat(6_000);
    let request = FetchRequest::get(&url(&format!(
        "/test/status/502?type=text/plain&body={body}"
    )));
    let (_stream, log) = open(request);
    let log = until(&log, 5_000, is_final).await;
    let Some(StreamEvent::Error(rill::transport::StreamError {
        kind: ErrorKind::Http {
            status, message, ..
        },
        ..
    })) = log.last()
    else {
        panic!("an HTTP error, got {log:#?}");
    };
    assert_eq!(*status, 502);
    assert!(message.ends_with('…'), "{message}");
    assert!(
        message.chars().count() <= rill::transport::response::ERROR_MESSAGE_MAX_CHARS + 1,
        "{} characters",
        message.chars().count()
    );
}

// The test routes send no HTML (rill-server sends any other type asked for as text/plain),
// so the wrong type here is plain text.
#[wasm_bindgen_test]
async fn plain_text_instead_of_an_event_stream_is_final() {
    let (_stream, log) = open(FetchRequest::get(&url(
        "/test/status/200?type=text/plain&body=hi",
    )));
    let log = until(&log, 5_000, is_final).await;
    assert_eq!(
        log,
        [StreamEvent::error(
            ErrorKind::ContentType {
                status: 200,
                received: "text/plain".into()
            },
            Reconnect::Never
        )]
    );
}

#[wasm_bindgen_test]
async fn no_content_stops_without_reconnecting() {
    let (_stream, log) = open(FetchRequest::get(&url("/test/status/204")));
    let log = until(&log, 5_000, is_final).await;
    assert_eq!(log, [StreamEvent::Closed(CloseReason::NoContent)]);
}

#[wasm_bindgen_test]
async fn odd_byte_boundaries_decode_exactly() {
    // Pieces cut inside the BOM, inside UTF-8 characters and between CR and LF.
    let mut request = FetchRequest::get(&url("/test/split"));
    request.reconnect = false;
    let (_stream, log) = open(request);
    let log = until(&log, 5_000, is_final).await;
    let got = events(&log);
    let want = [
        Event {
            event: "message".into(),
            data: "café 中文".into(),
            id: "a".into(),
        },
        Event {
            event: "two".into(),
            data: "line1\nline2".into(),
            id: "a".into(),
        },
        Event {
            event: "message".into(),
            data: "emoji 😀".into(),
            id: "a".into(),
        },
    ];
    assert_eq!(got, want, "{log:#?}");
    assert!(log.contains(&StreamEvent::Retry(250)));
    // The unterminated last event is discarded at end of stream.
    assert_eq!(
        log.last(),
        Some(&StreamEvent::Closed(CloseReason::EndOfStream))
    );
}

#[wasm_bindgen_test]
async fn dropping_the_handle_aborts_and_silences_it() {
    let (stream, log) = open(FetchRequest::get(&url(
        "/test/events?count=1000&interval_ms=50",
    )));
    until(&log, 5_000, |e| matches!(e, StreamEvent::Event(_))).await;
    drop(stream);
    let count = log.borrow().len();
    sleep(500).await;
    assert_eq!(log.borrow().len(), count, "events after drop");
}

#[wasm_bindgen_test]
async fn network_errors_retry_with_backoff() {
    // Nothing listens on port 9 (discard) on loopback: connection refused.
    let (stream, log) = open(FetchRequest::get("http://127.0.0.1:9/stream"));
    let log = until(&log, 5_000, |e| matches!(e, StreamEvent::Error(_))).await;
    assert_eq!(
        log[0],
        StreamEvent::error(ErrorKind::Network, Reconnect::After(3_000)),
        "the first retry waits the default 3 s"
    );
    drop(stream);
}

#[wasm_bindgen_test]
async fn ndjson_post_streams_values_then_ends() {
    let body =
        "/test/status/200?type=application/x-ndjson&body=%7B%22a%22%3A1%7D%0D%0A%7B%22a%22%3A2%7D";
    let request = FetchRequest::post_json(&url(body), "{}".into(), BodyFormat::Ndjson);
    let (_stream, log) = open(request);
    let log = until(&log, 5_000, is_final).await;
    assert_eq!(
        log,
        [
            StreamEvent::Open,
            StreamEvent::Json(rill::json::Json::obj([("a", 1u64.into())])),
            StreamEvent::Json(rill::json::Json::obj([("a", 2u64.into())])),
            StreamEvent::Closed(CloseReason::EndOfStream),
        ]
    );
}

#[wasm_bindgen_test]
async fn malformed_ndjson_keeps_what_came_before_and_names_the_line() {
    let body = "/test/status/200?type=application/x-ndjson&body=%7B%22a%22%3A1%7D%0Anot%20json%0A";
    let request = FetchRequest::post_json(&url(body), "{}".into(), BodyFormat::Ndjson);
    let (_stream, log) = open(request);
    let log = until(&log, 5_000, is_final).await;
    assert_eq!(
        log[1],
        StreamEvent::Json(rill::json::Json::obj([("a", 1u64.into())]))
    );
    match &log[2] {
        StreamEvent::Error(e) => {
            assert_eq!(e.reconnect, Reconnect::Never);
            assert!(
                matches!(&e.kind, ErrorKind::Decode(m) if m.contains("line 2") && m.contains("not json")),
                "{e:?}"
            );
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// Makes `navigator.onLine` report `online` (an own property shadowing the prototype's).
fn set_online(online: bool) {
    let script = format!(
        "Object.defineProperty(navigator, 'onLine', {{ configurable: true, get: () => {online} }});"
    );
    let _ = js_sys::eval(&script);
}

#[wasm_bindgen_test]
async fn offline_pauses_and_online_resumes() {
    set_online(false);
    let mut request = FetchRequest::get(&url("/test/events?count=2"));
    request.reconnect = false;
    let (_stream, log) = open(request);
    let first = until(&log, 5_000, |e| matches!(e, StreamEvent::Error(_))).await;
    assert_eq!(
        first,
        [StreamEvent::error(
            ErrorKind::Offline,
            Reconnect::WhenOnline
        )]
    );
    // Nothing is attempted while offline.
    sleep(300).await;
    assert_eq!(log.borrow().len(), 1);
    set_online(true);
    if let Some(w) = web_sys::window() {
        let _ = w.dispatch_event(&web_sys::Event::new("online").expect("event"));
    }
    let log = until(&log, 5_000, is_final).await;
    assert_eq!(events(&log).len(), 2, "{log:#?}");
    assert_eq!(
        log.last(),
        Some(&StreamEvent::Closed(CloseReason::EndOfStream))
    );
}

/// A request the browser cannot even make (a malformed URL, a header name with a space) is a
/// clear `BadUrl` error that is never retried; a server that does not answer is a network
/// error that is.
#[wasm_bindgen_test]
async fn requests_that_cannot_be_made_fail_for_good_with_the_reason() {
    let (_stream, log) = open(FetchRequest::get("http://[bad"));
    let log = until(&log, 5_000, is_final).await;
    match &log[0] {
        StreamEvent::Error(e) => {
            assert_eq!(e.reconnect, Reconnect::Never);
            assert!(
                matches!(&e.kind, ErrorKind::BadUrl(m) if m.contains("URL")),
                "{e:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let mut request = FetchRequest::get(&url("/test/status/200"));
    request.headers.push(("bad name".into(), "x".into()));
    let (_stream, log) = open(request);
    let log = until(&log, 5_000, is_final).await;
    assert!(
        matches!(&log[0], StreamEvent::Error(e) if matches!(e.kind, ErrorKind::BadUrl(_)) && e.reconnect == Reconnect::Never),
        "{log:?}"
    );
    // Port 9 (discard) on this machine: refused, a network error with a retry.
    let (stream, log) = open(FetchRequest::get("http://127.0.0.1:9/"));
    let log = until(&log, 5_000, |e| matches!(e, StreamEvent::Error(_))).await;
    assert!(
        matches!(&log[0], StreamEvent::Error(e) if e.kind == ErrorKind::Network && matches!(e.reconnect, Reconnect::After(_))),
        "{log:?}"
    );
    drop(stream);
}
