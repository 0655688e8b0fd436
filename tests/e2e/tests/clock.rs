//! The clock view, end to end: real rill-server (and the original Node server), real
//! headless Chromium, the built app.

use std::collections::BTreeSet;
use std::time::Duration;

use rill_e2e::{free_port, is_node_time, poll, testid, Browser, NodeClock, RillServer, WAIT};

/// Time to reconnect after a restart: the server's 10 s retry plus margin.
const RECONNECT: Duration = Duration::from_secs(40);

fn clock_url(app: &RillServer, stream: &str) -> String {
    format!(
        "{}/?view=clock&stream={}",
        app.url,
        rill_e2e::encode(stream)
    )
}

/// Waits until the clock shows at least `n` distinct times.
async fn distinct_times(browser: &Browser, n: usize) -> BTreeSet<String> {
    let seen = std::cell::RefCell::new(BTreeSet::new());
    let seen = &seen;
    poll(
        &format!("{n} distinct clock-time values"),
        WAIT,
        || async move {
            let t = browser.text(&testid("clock-time")).await;
            if is_node_time(&t) {
                seen.borrow_mut().insert(t);
            }
            let seen = seen.borrow();
            (seen.len() >= n).then(|| seen.clone())
        },
    )
    .await
}

async fn state(browser: &Browser, want: &'static str, timeout: Duration) {
    browser
        .wait_attr(
            &testid("clock-status"),
            "data-state",
            |s| s == want,
            timeout,
        )
        .await;
}

/// After a restart of the backend: the stream reopens (within the server's 10 s retry) with a
/// fresh connection, i.e. a new `connecttime` different from the previous one.
async fn reopened(browser: &Browser, connected: &str) {
    state(browser, "open", RECONNECT).await;
    browser
        .wait_text(
            &testid("clock-connected-at"),
            |t| is_node_time(t) && t != connected,
            WAIT,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_streams_and_recovers_when_rill_server_restarts() {
    let app = RillServer::app();
    let mut backend = RillServer::start("127.0.0.1:0", &[]);
    let port = backend.port;
    let browser = Browser::start().await;
    browser
        .goto(&clock_url(&app, &format!("{}/stream", backend.url)))
        .await;

    state(&browser, "open", WAIT).await;
    let connected = browser
        .wait_text(&testid("clock-connected-at"), is_node_time, WAIT)
        .await;
    // At least two updates after the connecttime event.
    distinct_times(&browser, 2).await;
    assert_eq!(browser.text(&testid("clock-connected-at")).await, connected);
    browser.screenshot("clock-open").await;

    backend.kill();
    state(&browser, "reconnecting", WAIT).await;
    // While reconnecting the view says how long (or how long until the next attempt).
    browser
        .wait_text(
            &testid("clock-countdown"),
            |t| t.chars().any(|c| c.is_ascii_digit()),
            WAIT,
        )
        .await;
    browser.screenshot("clock-reconnecting").await;

    let backend = RillServer::start(&format!("127.0.0.1:{port}"), &[]);
    reopened(&browser, &connected).await;
    distinct_times(&browser, 2).await; // and keeps ticking
    drop(backend);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_transport_shows_server_retry_and_counts_down() {
    let app = RillServer::app();
    let mut backend = RillServer::start("127.0.0.1:0", &[]);
    let port = backend.port;
    let browser = Browser::start().await;
    let url = clock_url(&app, &format!("{}/stream", backend.url)) + "&transport=fetch";
    browser.goto(&url).await;
    state(&browser, "open", WAIT).await;
    // fetch reads the `retry: 10000` field that EventSource hides.
    browser
        .wait_text(&testid("clock-retry"), |t| t == "10000 ms", WAIT)
        .await;
    let connected = browser
        .wait_text(&testid("clock-connected-at"), is_node_time, WAIT)
        .await;
    distinct_times(&browser, 2).await;

    backend.kill();
    state(&browser, "reconnecting", WAIT).await;
    // The first reconnect waits exactly the server's 10 s: the countdown shows it.
    let countdown = browser
        .wait_text(
            &testid("clock-countdown"),
            |t| t.contains("next attempt in"),
            WAIT,
        )
        .await;
    let secs: u64 = countdown
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .expect("a number of seconds");
    assert!((1..=10).contains(&secs), "{countdown}");
    browser.screenshot("clock-fetch-countdown").await;

    let _backend = RillServer::start(&format!("127.0.0.1:{port}"), &[]);
    reopened(&browser, &connected).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_transport_names_status_and_content_type_of_a_refusal() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    // A wrong type the test routes can send (they send no HTML).
    let stream = format!("{}/test/status/200?type=text/plain&body=hi", app.url);
    browser
        .goto(&(clock_url(&app, &stream) + "&transport=fetch"))
        .await;
    state(&browser, "error", WAIT).await;
    let alert = browser
        .wait_text(&testid("clock-error"), |t| !t.is_empty(), WAIT)
        .await;
    assert!(
        alert.contains("HTTP 200") && alert.contains("text/plain"),
        "{alert}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_works_cross_origin_against_the_original_node_server() {
    let port = free_port();
    let Some(node) = NodeClock::start(port).await else {
        eprintln!("SKIPPED clock_works_cross_origin_against_the_original_node_server: ../shared/seed or node not found");
        return;
    };
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&clock_url(&app, &format!("http://127.0.0.1:{port}/stream")))
        .await;
    state(&browser, "open", WAIT).await;
    let connected = browser
        .wait_text(&testid("clock-connected-at"), is_node_time, WAIT)
        .await;
    distinct_times(&browser, 2).await;

    drop(node);
    state(&browser, "reconnecting", WAIT).await;
    let _node = NodeClock::start(port).await.expect("node restarts");
    reopened(&browser, &connected).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_source_at_a_time_closed_on_disconnect_and_on_leaving() {
    let app = RillServer::app();
    let backend = RillServer::start("127.0.0.1:0", &[]);
    let streams = |n: usize| {
        let backend = &backend;
        async move {
            poll(
                &format!("{n} open streams on the backend"),
                WAIT,
                || async move { (backend.open_streams() == n).then_some(()) },
            )
            .await
        }
    };
    let browser = Browser::start().await;
    browser
        .goto(&clock_url(&app, &format!("{}/stream", backend.url)))
        .await;
    state(&browser, "open", WAIT).await;
    streams(1).await;

    // Connect again: the old connection is closed first.
    browser.click(&testid("clock-connect")).await;
    state(&browser, "open", WAIT).await;
    browser
        .wait_text(&testid("clock-connected-at"), is_node_time, WAIT)
        .await;
    streams(1).await;

    browser.click(&testid("clock-disconnect")).await;
    state(&browser, "closed", WAIT).await;
    streams(0).await;
    let events = browser.text(&testid("clock-events")).await;

    browser.click(&testid("clock-connect")).await;
    state(&browser, "open", WAIT).await;
    streams(1).await;

    // Leaving the view closes its stream.
    browser.click(&testid("nav-chat")).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    streams(0).await;
    assert!(!events.is_empty());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_is_not_an_event_stream_is_a_clear_error() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    // rill-server answers 404 text/plain here: EventSource gives up for good.
    browser
        .goto(&clock_url(&app, &format!("{}/missing", app.url)))
        .await;
    state(&browser, "error", WAIT).await;
    let alert = browser
        .wait_text(&testid("clock-error"), |t| !t.is_empty(), WAIT)
        .await;
    assert!(alert.contains("text/event-stream"), "{alert}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_switches_language_and_theme() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&format!("{}/?view=clock&lang=en&theme=light", app.url))
        .await;
    browser
        .wait_text(&testid("nav-clock"), |t| t == "Clock", WAIT)
        .await;
    browser.click(&testid("lang-switch")).await;
    browser
        .wait_text(&testid("nav-clock"), |t| t == "时钟", WAIT)
        .await;
    browser
        .wait_attr("html", "lang", |l| l == "zh-CN", WAIT)
        .await;
    browser.click(&testid("theme-toggle")).await;
    browser
        .wait_attr(".rill", "data-theme", |t| t == "dark", WAIT)
        .await;
    browser.screenshot("clock-zh-dark").await;
    browser.close().await;
}

/// Which app bundles (`rill-chat`, `rill-feed`) the page has loaded.
async fn bundles(browser: &Browser) -> Vec<String> {
    let v = browser
        .js(
            "return performance.getEntriesByType('resource').map(e => e.name)\
             .map(n => (n.match(/(rill-(chat|feed))(-[0-9a-f]+)?_bg\\.wasm/) || [])[1]).filter(Boolean)",
        )
        .await;
    serde_json::from_value(v).expect("a list of names")
}

/// The chat and the feed views are two bundles: a URL loads only the bundle of its view, the
/// navigation links and the back button cross between them, and views of one bundle switch
/// in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_view_loads_only_its_bundle_and_links_cross_between_them() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    let present = |_: &str| true;
    browser
        .goto(&format!("{}/?view=clock&lang=en&stream=/stream", app.url))
        .await;
    browser
        .wait_attr(&testid("clock-connect"), "data-testid", present, WAIT)
        .await;
    assert_eq!(bundles(&browser).await, ["rill-feed"]);

    // Same bundle: in place (the page is not loaded again, so the marker stays).
    browser.js("window.rillMarker = 1; return null").await;
    browser.click(&testid("nav-inspect")).await;
    browser
        .wait_attr(&testid("inspect-url"), "data-testid", present, WAIT)
        .await;
    assert_eq!(browser.js("return window.rillMarker").await, 1);

    // The other bundle: the link is followed and the chat's bundle starts.
    browser.click(&testid("nav-chat")).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", present, WAIT)
        .await;
    assert_eq!(bundles(&browser).await, ["rill-chat"]);
    let search = browser.js("return location.search").await;
    assert!(
        search.as_str().is_some_and(|s| s.contains("view=chat")),
        "{search}"
    );

    // Back: the inspector again, from the feed bundle.
    browser.js("history.back(); return null").await;
    browser
        .wait_attr(&testid("inspect-url"), "data-testid", present, WAIT)
        .await;
    assert_eq!(bundles(&browser).await, ["rill-feed"]);

    // No `view` (and an unknown one, which is reported) is the chat.
    browser
        .goto(&format!("{}/?view=nope&lang=en", app.url))
        .await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", present, WAIT)
        .await;
    assert_eq!(bundles(&browser).await, ["rill-chat"]);
    browser.close().await;
}

/// The running animations of the page (the status dot's pulse is on its `::after`).
const ANIMATIONS: &str = "return document.getAnimations()
    .filter((a) => a.playState === 'running')
    .map((a) => a.animationName || 'unnamed');";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pulse_runs_only_without_reduced_motion() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    for (motion, pulses) in [("no-preference", true), ("reduce", false)] {
        browser
            .cdp(
                "Emulation.setEmulatedMedia",
                serde_json::json!({
                    "features": [{ "name": "prefers-reduced-motion", "value": motion }]
                }),
            )
            .await
            .expect("emulate prefers-reduced-motion");
        browser
            .goto(&clock_url(&app, &format!("{}/stream", app.url)))
            .await;
        state(&browser, "open", WAIT).await;
        let running = poll(&format!("the animations with {motion}"), WAIT, || async {
            let names = browser.js(ANIMATIONS).await;
            let names: Vec<String> = names
                .as_array()?
                .iter()
                .filter_map(|n| Some(n.as_str()?.to_string()))
                .collect();
            (names.contains(&"rill-pulse".to_string()) == pulses).then_some(names)
        })
        .await;
        if !pulses {
            assert!(running.is_empty(), "{motion}: running {running:?}");
            let ring = browser
                .js("const dot = document.querySelector('.rill-dot');
                     const s = getComputedStyle(dot, '::after');
                     return s.animationName === 'none' || s.display === 'none';")
                .await;
            assert_eq!(ring, serde_json::json!(true), "the ring does not pulse");
        }
    }
    browser.close().await;
}

/// Eight tabs of the clock on one origin over HTTP/1.1 (six connections per origin): one
/// tab holds the feed's connection and the others show what it sends, so all eight tick
/// and the server sees one stream; when that tab closes another takes the connection over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_tabs_of_the_clock_share_one_connection_and_hand_it_over() {
    let app = RillServer::app();
    let streams = |n: usize| {
        let app = &app;
        async move {
            poll(
                &format!("{n} open streams on the server"),
                WAIT,
                || async move { (app.open_streams() == n).then_some(()) },
            )
            .await
        }
    };
    let browser = Browser::start().await;
    let url = clock_url(&app, "/stream");
    let mut tabs = vec![browser.client.window().await.expect("first tab")];
    browser.goto(&url).await;
    distinct_times(&browser, 2).await;
    for _ in 1..8 {
        let tab = browser
            .client
            .new_window(true)
            .await
            .expect("new tab")
            .handle;
        browser
            .client
            .switch_to_window(tab.clone())
            .await
            .expect("switch tab");
        browser.goto(&url).await;
        tabs.push(tab);
    }
    // Every tab ticks: the last ones too, which would wait for a free connection if each
    // tab held its own.
    for tab in &tabs {
        browser
            .client
            .switch_to_window(tab.clone())
            .await
            .expect("switch tab");
        state(&browser, "open", WAIT).await;
        distinct_times(&browser, 2).await;
        browser
            .wait_text(&testid("clock-connected-at"), is_node_time, WAIT)
            .await;
    }
    streams(1).await;

    // The first tab held the connection; closing it hands the feed to another tab.
    browser
        .client
        .switch_to_window(tabs[0].clone())
        .await
        .expect("switch tab");
    browser.client.close_window().await.expect("close tab");
    for tab in &tabs[1..] {
        browser
            .client
            .switch_to_window(tab.clone())
            .await
            .expect("switch tab");
        distinct_times(&browser, 3).await;
    }
    streams(1).await;
    browser.close().await;
}
