//! Browser tests (wasm-bindgen-test in headless Chromium) for the EventSource glue.
//!
//! `./x test` starts rill-server and passes its URL as `RILL_TEST_SERVER` at build time.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use rill::transport::event_source::{EventSourceHandle, EventSourceOptions};
use rill::transport::{ErrorKind, Reconnect, StreamEvent};
use wasm_bindgen_test::*;
use web_sys::EventSource;

wasm_bindgen_test_configure!(run_in_browser);

mod web_support;
use web_support::{server, sleep};

/// Polls `cond` every 20 ms for at most `ms` milliseconds.
async fn until(ms: i32, cond: impl Fn() -> bool) -> bool {
    let mut waited = 0;
    while !cond() {
        if waited >= ms {
            return false;
        }
        sleep(20).await;
        waited += 20;
    }
    true
}

type Log = Rc<RefCell<Vec<StreamEvent>>>;

fn open(path: &str, types: &[&str]) -> (EventSourceHandle, Log) {
    let log: Log = Rc::default();
    let sink = log.clone();
    let options = EventSourceOptions {
        with_credentials: false,
        event_types: types.iter().map(|t| t.to_string()).collect(),
    };
    let handle = EventSourceHandle::open(&format!("{}{path}", server()), &options, move |e| {
        sink.borrow_mut().push(e)
    })
    .unwrap_or_else(|_| panic!("open {path}"));
    (handle, log)
}

#[wasm_bindgen_test]
async fn clock_stream_yields_open_connecttime_then_messages() {
    let (handle, log) = open("/stream", &["message", "connecttime"]);
    let got_two_messages = until(5_000, || {
        log.borrow()
            .iter()
            .filter(|e| matches!(e, StreamEvent::Event(ev) if ev.event == "message"))
            .count()
            >= 1
    })
    .await;
    assert!(got_two_messages, "events: {:?}", log.borrow());
    let events = log.borrow().clone();
    assert_eq!(events[0], StreamEvent::Open);
    match &events[1] {
        StreamEvent::Event(ev) => {
            assert_eq!(ev.event, "connecttime");
            assert!(
                ev.data.contains('/') && ev.data.contains(':'),
                "{:?}",
                ev.data
            );
        }
        other => panic!("expected connecttime, got {other:?}"),
    }
    drop(handle);
}

#[wasm_bindgen_test]
async fn drop_closes_the_source_and_silences_the_sink() {
    let (handle, log) = open("/stream", &["message", "connecttime"]);
    assert!(until(5_000, || !log.borrow().is_empty()).await);
    let raw: EventSource = handle.raw().clone();
    drop(handle);
    assert_eq!(raw.ready_state(), EventSource::CLOSED);
    let count = log.borrow().len();
    // The feed ticks every second: after 1.5 s an open source would have delivered more.
    sleep(1_500).await;
    assert_eq!(
        log.borrow().len(),
        count,
        "events after drop: {:?}",
        log.borrow()
    );
}

#[wasm_bindgen_test]
async fn not_found_is_a_final_refusal() {
    let (_handle, log) = open("/no-such-stream", &["message"]);
    assert!(until(5_000, || !log.borrow().is_empty()).await);
    assert_eq!(
        log.borrow()[0],
        StreamEvent::error(ErrorKind::Refused, Reconnect::Never)
    );
}

#[wasm_bindgen_test]
fn an_unparseable_url_is_reported_not_thrown() {
    let result = EventSourceHandle::open("http://[bad", &EventSourceOptions::default(), |_| {});
    match result {
        Err(StreamEvent::Error(err)) => {
            assert!(matches!(err.kind, ErrorKind::BadUrl(_)), "{err:?}");
            assert_eq!(err.reconnect, Reconnect::Never);
        }
        Err(other) => panic!("unexpected {other:?}"),
        Ok(_) => panic!("a bad URL must not open"),
    }
}
