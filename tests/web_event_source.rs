//! Browser tests (wasm-bindgen-test in headless Chromium) for the EventSource glue.
//!
//! `./x test` starts rill-server and passes its URL as `RILL_TEST_SERVER` at build time.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use rill::transport::event_source::{EventSourceHandle, EventSourceOptions};
use rill::transport::guarded_event_source::GuardedEventSource;
use rill::transport::{ErrorKind, Reconnect, StreamError, StreamEvent};
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

/// Opens a feed over the guarded EventSource (the one `StreamHandle::open_feed` uses).
fn open_guarded(path: &str) -> (GuardedEventSource, Log) {
    let log: Log = Rc::default();
    let sink = log.clone();
    let handle = GuardedEventSource::open(
        &format!("{}{path}", server()),
        &EventSourceOptions::default(),
        move |e| sink.borrow_mut().push(e),
    )
    .unwrap_or_else(|_| panic!("open {path}"));
    (handle, log)
}

fn opens(log: &Log) -> usize {
    log.borrow()
        .iter()
        .filter(|e| matches!(e, StreamEvent::Open))
        .count()
}

/// A feed that answers `retry: 0` and ends at once: the browser alone would reconnect
/// thousands of times; the guard takes over on the second quick end, with a delay of at
/// least the floor, and the opens stop there until that delay has passed.
#[wasm_bindgen_test]
async fn a_flapping_feed_is_taken_over_on_rills_schedule() {
    let key = format!("wasm-{}", js_sys::Math::random().to_bits());
    let (handle, log) = open_guarded(&format!("/test/flap?key={key}"));
    let taken_over = || {
        log.borrow().iter().find_map(|e| match e {
            StreamEvent::Error(StreamError {
                reconnect: Reconnect::After(ms),
                ..
            }) => Some(*ms),
            _ => None,
        })
    };
    assert!(
        until(5_000, || taken_over().is_some()).await,
        "no takeover: {:#?}",
        log.borrow()
    );
    let delay = taken_over().unwrap_or_default();
    assert!(delay >= rill::transport::policy::FLOOR_MS, "{delay}");
    let opens_at_takeover = opens(&log);
    assert!(
        opens_at_takeover <= 3,
        "{opens_at_takeover} opens before the takeover"
    );
    // Nothing reconnects during the wait (checked for most of it, and at least 500 ms).
    sleep(500).await;
    assert_eq!(opens(&log), opens_at_takeover, "{:#?}", log.borrow());
    drop(handle);
}

/// Closing the feed from inside its own sink (as the chat does when a summary ends) stops
/// it for good: no reconnect, no further event.
#[wasm_bindgen_test]
async fn a_guarded_feed_closed_from_its_sink_stays_closed() {
    let log: Log = Rc::default();
    let slot: Rc<RefCell<Option<GuardedEventSource>>> = Rc::default();
    let sink_log = log.clone();
    let sink_slot = slot.clone();
    let key = format!("wasm-close-{}", js_sys::Math::random().to_bits());
    let handle = GuardedEventSource::open(
        &format!("{}/test/flap?key={key}", server()),
        &EventSourceOptions::default(),
        move |e| {
            let is_error = matches!(e, StreamEvent::Error(_));
            sink_log.borrow_mut().push(e);
            if is_error {
                if let Ok(slot) = sink_slot.try_borrow() {
                    if let Some(h) = slot.as_ref() {
                        h.close();
                    }
                }
            }
        },
    )
    .unwrap_or_else(|_| panic!("open"));
    *slot.borrow_mut() = Some(handle);
    assert!(
        until(5_000, || log
            .borrow()
            .iter()
            .any(|e| matches!(e, StreamEvent::Error(_))))
        .await
    );
    let seen = log.borrow().len();
    sleep(1_500).await;
    assert_eq!(log.borrow().len(), seen, "{:#?}", log.borrow());
    slot.borrow_mut().take();
}
