//! Browser test (wasm-bindgen-test in headless Chromium) of the clock view's log rows,
//! `rill::components::clock_log::LogRows`: oldest first, the newest row kept in view unless
//! the reader scrolled up, and rows of dropped entries removed in batches.
#![cfg(target_arch = "wasm32")]

use rill::clock::{ClockState, LOG_CAP};
use rill::components::clock_log::{LogRows, TRIM_BATCH};
use rill::i18n::{feed_strings, Lang};
use rill::transport::{Event, StreamEvent};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// An `<ol>` as the clock view styles it: a fixed height that holds a few rows, scrolling.
fn list() -> web_sys::HtmlElement {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let ol = doc
        .create_element("ol")
        .expect("ol")
        .dyn_into::<web_sys::HtmlElement>()
        .expect("an html element");
    ol.set_attribute(
        "style",
        "height: 100px; overflow: auto; margin: 0; padding: 0; font: 16px/20px monospace",
    )
    .expect("style");
    doc.body().expect("body").append_child(&ol).expect("append");
    ol
}

/// Sends `n` message events into the model and the rows, numbered from `from`.
fn events(state: &mut ClockState, rows: &mut LogRows, from: usize, n: usize) {
    for i in from..from + n {
        let event = StreamEvent::Event(Event {
            event: "message".into(),
            data: format!("tick {i}"),
            id: String::new(),
        });
        state.apply(&event, 0.0);
        rows.sync(state, feed_strings(Lang::En));
    }
}

/// Waits for the next frame (the rows follow the newest one just before it) and one more.
async fn frames() {
    for _ in 0..2 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window()
                .expect("window")
                .request_animation_frame(&resolve);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

fn texts(ol: &web_sys::HtmlElement) -> Vec<String> {
    let items = ol.query_selector_all(".rill-log-text").expect("query");
    (0..items.length())
        .filter_map(|i| items.item(i).and_then(|n| n.text_content()))
        .collect()
}

fn bottom(ol: &web_sys::HtmlElement) -> i32 {
    ol.scroll_height() - ol.client_height()
}

#[wasm_bindgen_test]
async fn rows_read_oldest_first_and_follow_the_newest_until_the_reader_scrolls_up() {
    let ol = list();
    let mut state = ClockState::new();
    let mut rows = LogRows::new(ol.clone().into());
    events(&mut state, &mut rows, 0, 20);
    frames().await;
    let shown = texts(&ol);
    assert_eq!(shown.first().map(String::as_str), Some("tick 0"));
    assert_eq!(shown.last().map(String::as_str), Some("tick 19"));
    assert!(bottom(&ol) > 0, "20 rows overflow 100 px");
    assert_eq!(ol.scroll_top(), bottom(&ol), "the newest row is in view");

    // The reader scrolls up to read: new rows do not pull the list back down.
    ol.set_scroll_top(0);
    events(&mut state, &mut rows, 20, 3);
    frames().await;
    assert_eq!(
        ol.scroll_top(),
        0,
        "a reader who scrolled up stays where they are"
    );

    // Back at the bottom, the list follows again.
    ol.set_scroll_top(bottom(&ol));
    events(&mut state, &mut rows, 23, 1);
    frames().await;
    assert_eq!(ol.scroll_top(), bottom(&ol));
    assert_eq!(texts(&ol).last().map(String::as_str), Some("tick 23"));
    ol.remove();
}

#[wasm_bindgen_test]
async fn rows_of_dropped_entries_go_in_batches_and_the_list_stays_bounded() {
    let ol = list();
    let mut state = ClockState::new();
    let mut rows = LogRows::new(ol.clone().into());
    let total = LOG_CAP * 3 + 7;
    let mut most = 0;
    for i in 0..total {
        events(&mut state, &mut rows, i, 1);
        let now = texts(&ol).len();
        most = most.max(now);
        assert!(
            now >= state.log_len(),
            "every entry the model holds has its row"
        );
    }
    assert!(
        most < LOG_CAP + TRIM_BATCH,
        "at most {} rows, saw {most}",
        LOG_CAP + TRIM_BATCH - 1
    );
    let shown = texts(&ol);
    assert_eq!(
        shown.last().map(|s| s.as_str()),
        Some(format!("tick {}", total - 1).as_str())
    );
    // Oldest first, consecutive: nothing lost or repeated in the middle.
    let first: usize = shown[0]
        .trim_start_matches("tick ")
        .parse()
        .expect("a number");
    let want: Vec<String> = (first..total).map(|i| format!("tick {i}")).collect();
    assert_eq!(shown, want);
    ol.remove();
}
