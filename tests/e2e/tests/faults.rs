//! Every stream fault of issue 16, end to end: rill-server's `/test/fault/{name}` routes
//! (`server/src/faults.rs`) against the built app in headless Chromium. Each test asserts
//! the visible state (`data-state` of the reply or of `clock-status`) and the exact text
//! kept (every route sends the `?text=` it is given, a word per piece).
//!
//! The chat reads `format=openai` (SSE) or `format=ollama` (NDJSON) by fetch; the clock
//! reads `format=sse` by EventSource (the default) or fetch (`transport=fetch`). Sizes and
//! intervals are the smallest that still show each fault, to keep the file quick.

use std::time::Duration;

use rill_e2e::{encode, poll, testid, Browser, RillServer, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
/// What the routes send unless a test needs other text: non-ASCII, to catch any byte lost
/// or doubled in a character.
const TEXT: &str = "naïve café 你好 end ";
/// [`TEXT`] as a reply shows it (the last space is trimmed by `innerText`).
const SHOWN: &str = "naïve café 你好 end";

/// A fault route's URL with its query.
fn fault(server: &RillServer, name: &str, query: &str) -> String {
    format!("{}/test/fault/{name}?{query}", server.url)
}

/// Opens the chat on `endpoint` in `format` (with extra URL parameters) and sends "hi".
async fn chat(browser: &Browser, server: &RillServer, format: &str, endpoint: &str, extra: &str) {
    browser
        .goto(&format!(
            "{}/?view=chat&lang=en&format={format}&model=rill-demo&endpoint={}{extra}",
            server.url,
            encode(endpoint)
        ))
        .await;
    browser.type_into(&testid("chat-input"), "hi").await;
    // The page opens the newest saved conversation: the new reply is the one after these.
    let before = replies(browser).await;
    browser.click(&testid("chat-send")).await;
    poll("the new reply", WAIT, || async {
        (replies(browser).await > before).then_some(())
    })
    .await;
}

/// Waits for the last reply to reach `state`; returns its text.
async fn reply(browser: &Browser, state: &'static str, timeout: Duration) -> String {
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == state, timeout)
        .await
        .0
}

/// The last reply's error line (empty if none).
async fn reply_error(browser: &Browser) -> String {
    last_text(browser, "message-error").await
}

/// The text of the last element with this test id (empty if none).
async fn last_text(browser: &Browser, id: &str) -> String {
    browser
        .last(&testid(id), "data-testid")
        .await
        .map(|(text, _)| text)
        .unwrap_or_default()
}

/// Marks the last reply's element, to tell it from the one that replaces it.
async fn mark_last_reply(browser: &Browser) {
    browser
        .js(
            "const all = document.querySelectorAll('[data-testid=message][data-role=assistant]');
             all[all.length - 1].dataset.old = '1';",
        )
        .await;
}

async fn replies(browser: &Browser) -> usize {
    browser.count(ASSISTANT).await
}

/// Opens the clock on `stream` with extra URL parameters.
async fn clock(browser: &Browser, server: &RillServer, stream: &str, extra: &str) {
    browser
        .goto(&format!(
            "{}/?view=clock&lang=en&stream={}{extra}",
            server.url,
            encode(stream)
        ))
        .await;
}

async fn clock_state(browser: &Browser, want: &'static str, timeout: Duration) {
    browser
        .wait_attr(
            &testid("clock-status"),
            "data-state",
            |s| s == want,
            timeout,
        )
        .await;
}

/// The data of every event in the clock's log, oldest first.
async fn feed_events(browser: &Browser) -> Vec<String> {
    let v = browser
        .js("return [...document.querySelectorAll('[data-testid=clock-log] li[data-kind=event] .rill-log-text')]
                 .map((e) => e.textContent);")
        .await;
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the feed's log holds the events of `text` (the words of its first
/// connection), asserts they come first and in order, and returns them.
async fn feed_has_words(browser: &Browser, text: &str) -> Vec<String> {
    let words: Vec<String> = text.split_inclusive(' ').map(str::to_string).collect();
    let got = poll("the feed's words", WAIT, || async {
        let got = feed_events(browser).await;
        (got.len() >= words.len()).then_some(got)
    })
    .await;
    assert_eq!(
        &got[..words.len()],
        words.as_slice(),
        "the first connection's events"
    );
    got[..words.len()].to_vec()
}

async fn no_axe_violations(browser: &Browser, page: &str) {
    let found = browser.axe_violations(page).await;
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_mid_event_keeps_the_words_and_retry_starts_clean() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    for format in ["openai", "ollama"] {
        let endpoint = fault(
            &server,
            "drop",
            &format!("format={format}&text={}", encode(TEXT)),
        );
        chat(&browser, &server, format, &endpoint, "").await;
        assert_eq!(
            reply(&browser, "interrupted", WAIT).await,
            SHOWN,
            "{format}"
        );
        // Retry asks again: one reply, the same words, never the old ones twice.
        let before = replies(&browser).await;
        mark_last_reply(&browser).await;
        browser.click(&testid("message-regenerate")).await;
        // The replacing reply (a new element), once it is interrupted in turn.
        let text = poll("the new reply to be interrupted", WAIT, || async {
            let v = browser
                .js("const all = document.querySelectorAll('[data-testid=message][data-role=assistant]');
                     const el = all[all.length - 1];
                     return el && !el.dataset.old && el.dataset.state === 'interrupted' ? el.innerText.trim() : null;")
                .await;
            v.as_str().map(str::to_string)
        })
        .await;
        assert_eq!(text, SHOWN, "{format}");
        assert_eq!(replies(&browser).await, before, "{format}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_inside_a_utf8_character_keeps_the_whole_characters_before_it() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    for format in ["openai", "ollama"] {
        let endpoint = fault(
            &server,
            "drop-utf8",
            &format!("format={format}&text={}", encode(TEXT)),
        );
        chat(&browser, &server, format, &endpoint, "").await;
        let text = reply(&browser, "interrupted", WAIT).await;
        assert_eq!(text, SHOWN, "{format}");
        assert!(!text.contains('\u{FFFD}'), "{format}: {text}");
    }
    // The feed: the cut event is never dispatched; the words before it are.
    let stream = fault(
        &server,
        "drop-utf8",
        &format!("format=sse&text={}", encode(TEXT)),
    );
    clock(&browser, &server, &stream, "&transport=fetch").await;
    feed_has_words(&browser, TEXT).await;
    clock_state(&browser, "reconnecting", WAIT).await;
    let events = feed_events(&browser).await;
    assert!(
        events
            .iter()
            .all(|e| !e.contains('\u{FFFD}') && !e.contains("caf\u{FFFD}")),
        "{events:?}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_with_and_without_retry_after_in_the_chat() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    for code in [500, 502, 503] {
        // Without Retry-After: an error, and Retry can ask again at once.
        let endpoint = fault(&server, "status", &format!("code={code}&format=openai"));
        chat(&browser, &server, "openai", &endpoint, "").await;
        assert_eq!(reply(&browser, "error", WAIT).await, "", "{code}");
        let error = reply_error(&browser).await;
        assert!(
            error.contains(&format!("HTTP {code}"))
                && error.contains(&format!("fault: status {code}")),
            "{code}: {error}"
        );
        assert_eq!(browser.count(&testid("retry-countdown")).await, 0, "{code}");
        let enabled = browser
            .js("return !document.querySelector('[data-testid=message-regenerate]').disabled;")
            .await;
        assert_eq!(enabled, true, "{code}");

        // With Retry-After: Retry waits, counting down, never from more than the header.
        let endpoint = fault(
            &server,
            "status",
            &format!("code={code}&retry_after=2&format=openai"),
        );
        chat(&browser, &server, "openai", &endpoint, "").await;
        reply(&browser, "error", WAIT).await;
        let secs: u64 = browser
            .wait_attr(&testid("retry-countdown"), "data-secs", |_| true, WAIT)
            .await
            .parse()
            .expect("seconds");
        assert!((1..=2).contains(&secs), "{code}: {secs}");
        let disabled = browser
            .js("return document.querySelector('[data-testid=message-regenerate]').disabled;")
            .await;
        assert_eq!(
            disabled, true,
            "{code}: Retry is disabled while the countdown runs"
        );
        assert!(
            browser
                .text(&testid("message-regenerate"))
                .await
                .contains("Retry in"),
            "{code}"
        );
        poll("the Retry wait to end", WAIT, || async {
            (browser.count(&testid("retry-countdown")).await == 0).then_some(())
        })
        .await;
        if code == 503 {
            no_axe_violations(&browser, "chat after a 503").await;
            // Retry asks again and is told to wait again.
            let before = replies(&browser).await;
            browser.click(&testid("message-regenerate")).await;
            browser
                .wait_attr(&testid("retry-countdown"), "data-secs", |_| true, WAIT)
                .await;
            assert_eq!(replies(&browser).await, before);
        }
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_with_retry_after_make_the_feed_reconnect_no_sooner() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    for transport in ["eventsource", "fetch"] {
        for code in [500, 502, 503] {
            // Without the header: final, as browsers treat it.
            let stream = fault(&server, "status", &format!("code={code}"));
            clock(
                &browser,
                &server,
                &stream,
                &format!("&transport={transport}"),
            )
            .await;
            clock_state(&browser, "error", WAIT).await;

            // With it: reconnecting, counting down from at most the header's seconds.
            let stream = fault(&server, "status", &format!("code={code}&retry_after=3"));
            clock(
                &browser,
                &server,
                &stream,
                &format!("&transport={transport}"),
            )
            .await;
            clock_state(&browser, "reconnecting", WAIT).await;
            let wait = browser
                .wait_text(
                    &testid("clock-countdown"),
                    |t| t.contains("next attempt in"),
                    WAIT,
                )
                .await;
            let secs: u64 = wait
                .split_whitespace()
                .find_map(|w| w.parse().ok())
                .expect("seconds in the countdown");
            assert!((1..=3).contains(&secs), "{transport} {code}: {wait}");
            let alert_free = browser.count(&testid("clock-error")).await;
            assert_eq!(
                alert_free, 0,
                "{transport} {code}: no final error while waiting"
            );
        }
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_content_ends_the_reply_and_stops_the_feed() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(&server, "no-content", "format=openai");
    chat(&browser, &server, "openai", &endpoint, "").await;
    assert_eq!(reply(&browser, "error", WAIT).await, "");
    assert!(reply_error(&browser).await.contains("204"));
    for transport in ["eventsource", "fetch"] {
        let stream = fault(&server, "no-content", "");
        clock(
            &browser,
            &server,
            &stream,
            &format!("&transport={transport}"),
        )
        .await;
        clock_state(&browser, "closed", WAIT).await;
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_content_type_is_named() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(
        &server,
        "wrong-type",
        &format!("format=openai&text={}", encode(TEXT)),
    );
    chat(&browser, &server, "openai", &endpoint, "").await;
    assert_eq!(reply(&browser, "error", WAIT).await, "");
    assert!(reply_error(&browser).await.contains("text/plain"));
    let stream = fault(&server, "wrong-type", &format!("text={}", encode(TEXT)));
    clock(&browser, &server, &stream, "&transport=fetch").await;
    clock_state(&browser, "error", WAIT).await;
    assert!(browser
        .text(&testid("clock-error"))
        .await
        .contains("text/plain"));
    assert!(feed_events(&browser).await.is_empty());
    clock(&browser, &server, &stream, "").await;
    clock_state(&browser, "error", WAIT).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_error_page_is_shown_as_text() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(&server, "proxy-page", "format=openai");
    chat(&browser, &server, "openai", &endpoint, "").await;
    assert_eq!(reply(&browser, "error", WAIT).await, "");
    let error = reply_error(&browser).await;
    assert!(
        error.contains("HTTP 502") && error.contains("502 Bad Gateway"),
        "{error}"
    );
    // The page's markup is text: no element of it reached the DOM.
    assert_eq!(browser.count("center, hr").await, 0);
    let stream = fault(&server, "proxy-page", "");
    clock(&browser, &server, &stream, "&transport=fetch").await;
    clock_state(&browser, "error", WAIT).await;
    assert!(browser
        .text(&testid("clock-error"))
        .await
        .contains("HTTP 502"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_event_ends_the_reply_with_a_size_limit_and_is_cut_in_the_feed() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(
        &server,
        "huge",
        &format!("mb=10&format=openai&text={}", encode(TEXT)),
    );
    chat(&browser, &server, "openai", &endpoint, "").await;
    assert_eq!(reply(&browser, "interrupted", WAIT).await, SHOWN);
    let error = reply_error(&browser).await;
    assert!(error.contains("too large"), "{error}");
    // The feed keeps 2 KB of the event and says how big it was.
    let stream = fault(&server, "huge", &format!("mb=10&text={}", encode(TEXT)));
    clock(&browser, &server, &stream, "&transport=fetch").await;
    let full = browser
        .wait_attr(&testid("clock-log-size"), "data-full-bytes", |_| true, WAIT)
        .await;
    assert_eq!(full, (10 * 1024 * 1024).to_string());
    let words = feed_has_words(&browser, TEXT).await;
    assert_eq!(words.concat(), TEXT);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_line_ends_with_a_size_limit() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    for format in ["openai", "ollama"] {
        let endpoint = fault(
            &server,
            "endless-line",
            &format!("mb=20&format={format}&text={}", encode(TEXT)),
        );
        chat(&browser, &server, format, &endpoint, "").await;
        assert_eq!(
            reply(&browser, "interrupted", WAIT).await,
            SHOWN,
            "{format}"
        );
        let error = reply_error(&browser).await;
        assert!(
            error.contains("too large") || error.contains("limit"),
            "{format}: {error}"
        );
    }
    let stream = fault(
        &server,
        "endless-line",
        &format!("mb=20&text={}", encode(TEXT)),
    );
    clock(&browser, &server, &stream, "&transport=fetch").await;
    clock_state(&browser, "error", WAIT).await;
    assert!(browser
        .text(&testid("clock-error"))
        .await
        .contains("too large"));
    assert_eq!(feed_events(&browser).await.concat(), TEXT);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drip_of_single_bytes_arrives_whole() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(
        &server,
        "drip",
        &format!("interval_ms=5&format=openai&text={}", encode(TEXT)),
    );
    chat(&browser, &server, "openai", &endpoint, "").await;
    assert_eq!(
        reply(&browser, "done", Duration::from_secs(30)).await,
        SHOWN
    );
    // One byte per 100 ms into the feed (two short words: about 2 s).
    let stream = fault(&server, "drip", "interval_ms=100&text=one%20two");
    clock(&browser, &server, &stream, "&transport=fetch").await;
    poll("two dripped events", WAIT, || async {
        let got = feed_events(&browser).await;
        (got.len() >= 2).then_some(got)
    })
    .await
    .iter()
    .zip(["one ", "two"])
    .for_each(|(got, want)| assert_eq!(got, want));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_only_keep_a_feed_open_but_a_reply_is_flagged_stalled() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    // The chat: comments are not a reply progressing.
    let endpoint = fault(&server, "heartbeats", "interval_ms=200&format=openai");
    chat(&browser, &server, "openai", &endpoint, "&stall=1").await;
    browser
        .wait_text(
            &testid("reply-stalled"),
            |t| t.contains("No data for 1 s"),
            WAIT,
        )
        .await;
    browser.click(&testid("reply-stop")).await;
    assert_eq!(reply(&browser, "stopped", WAIT).await, "");
    // The feed over fetch sees each comment: open the whole time, never stalled.
    let stream = fault(&server, "heartbeats", "interval_ms=200");
    clock(&browser, &server, &stream, "&transport=fetch&stall=1").await;
    clock_state(&browser, "open", WAIT).await;
    // Watch for three stall times (a bounded observation, not a settle-sleep).
    let until = std::time::Instant::now() + Duration::from_secs(3);
    while std::time::Instant::now() < until {
        let state = browser
            .js("return document.querySelector('[data-testid=clock-status]').dataset.state;")
            .await;
        assert_eq!(state, "open");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_stream_streams_until_stopped_and_the_page_stays_responsive() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(&server, "endless", "interval_ms=50&format=openai");
    chat(&browser, &server, "openai", &endpoint, "").await;
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && t.contains("tick 5 "),
            WAIT,
        )
        .await;
    // The composer still takes typing while the reply streams.
    browser.type_into(&testid("chat-input"), "still here").await;
    let typed = browser
        .js("return document.querySelector('[data-testid=chat-input]').value;")
        .await;
    assert_eq!(typed, "still here");
    browser.click(&testid("chat-stop")).await;
    let text = reply(&browser, "stopped", WAIT).await;
    // Every tick once, in order, none missing.
    let ticks: Vec<u64> = text
        .split("tick ")
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().expect("a tick number"))
        .collect();
    assert!(ticks.len() >= 5, "{text}");
    assert_eq!(
        ticks,
        (1..=ticks.len() as u64).collect::<Vec<_>>(),
        "{text}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_is_shown_with_keep_waiting_and_stop_and_clears_when_data_comes() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(
        &server,
        "stall",
        &format!("format=openai&text={}", encode(TEXT)),
    );
    chat(&browser, &server, "openai", &endpoint, "&stall=2").await;
    browser
        .wait_text(
            &testid("reply-stalled"),
            |t| t.contains("No data for 2 s"),
            WAIT,
        )
        .await;
    assert_eq!(
        browser
            .wait_last(ASSISTANT, "data-state", |_, s| s == "streaming", WAIT)
            .await
            .0,
        SHOWN
    );
    no_axe_violations(&browser, "chat with a stalled reply").await;
    // Keep waiting: the notice goes, and comes back after another stall time.
    browser.click(&testid("reply-keep-waiting")).await;
    poll("the notice to go", WAIT, || async {
        (browser.count(&testid("reply-stalled")).await == 0).then_some(())
    })
    .await;
    browser
        .wait_text(
            &testid("reply-stalled"),
            |t| t.contains("No data for"),
            WAIT,
        )
        .await;
    // Stop keeps the partial text.
    browser.click(&testid("reply-stop")).await;
    assert_eq!(reply(&browser, "stopped", WAIT).await, SHOWN);

    // Data arriving again clears the notice: ticks 2.5 s apart, stalled after 1 s.
    let endpoint = fault(&server, "endless", "interval_ms=2500&format=openai");
    chat(&browser, &server, "openai", &endpoint, "&stall=1").await;
    browser
        .wait_last(ASSISTANT, "data-state", |t, _| t.contains("tick 1"), WAIT)
        .await;
    browser
        .wait_text(
            &testid("reply-stalled"),
            |t| t.contains("No data for 1 s"),
            WAIT,
        )
        .await;
    browser
        .wait_last(ASSISTANT, "data-state", |t, _| t.contains("tick 2"), WAIT)
        .await;
    assert_eq!(browser.count(&testid("reply-stalled")).await, 0);
    browser.click(&testid("chat-stop")).await;

    // The clock: stalled when an open stream sends nothing, open again when it does.
    let stream = fault(&server, "stall", &format!("text={}", encode(TEXT)));
    clock(&browser, &server, &stream, "&stall=1").await;
    clock_state(&browser, "stalled", WAIT).await;
    assert!(browser
        .text(&testid("clock-countdown"))
        .await
        .contains("no data for 1 s"));
    assert_eq!(feed_events(&browser).await.concat(), TEXT);
    no_axe_violations(&browser, "clock stalled").await;
    let stream = fault(&server, "endless", "interval_ms=2500");
    clock(&browser, &server, &stream, "&stall=1").await;
    clock_state(&browser, "stalled", WAIT).await;
    clock_state(&browser, "open", WAIT).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_in_an_openai_chunk_is_skipped_and_reported() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(
        &server,
        "bad-json",
        &format!("format=openai&text={}", encode(TEXT)),
    );
    chat(&browser, &server, "openai", &endpoint, "").await;
    assert_eq!(reply(&browser, "done", WAIT).await, format!("{TEXT}after"));
    assert!(!last_text(&browser, "message-warning").await.is_empty());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_with_a_partial_last_line_keeps_that_line() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    let endpoint = fault(
        &server,
        "partial-last-line",
        &format!("format=ollama&text={}", encode(TEXT)),
    );
    chat(&browser, &server, "ollama", &endpoint, "").await;
    // The last line is whole JSON without its newline: kept; no `done` came: interrupted.
    assert_eq!(
        reply(&browser, "interrupted", WAIT).await,
        format!("{TEXT}tail")
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restarting_every_few_seconds_loses_and_repeats_nothing() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    for transport in ["eventsource", "fetch"] {
        let stream = fault(&server, "restart", "after_ms=1500&interval_ms=100");
        clock(
            &browser,
            &server,
            &stream,
            &format!("&transport={transport}"),
        )
        .await;
        // Across at least two restarts (ids go on from each Last-Event-ID).
        let events = poll(
            "ticks across two restarts",
            Duration::from_secs(30),
            || async {
                let got = feed_events(&browser).await;
                (got.len() >= 40).then_some(got)
            },
        )
        .await;
        let ticks: Vec<u64> = events
            .iter()
            .map(|e| {
                e.strip_prefix("tick ")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("{transport}: {e}"))
            })
            .collect();
        assert_eq!(
            ticks,
            (1..=ticks.len() as u64).collect::<Vec<_>>(),
            "{transport}: no gap, no duplicate"
        );
        let log = browser
            .js("return [...document.querySelectorAll('[data-testid=clock-log] li[data-kind=open]')].length;")
            .await;
        assert!(
            log.as_u64().unwrap_or(0) >= 2,
            "{transport}: reconnected: {log}"
        );
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stall_notice_and_retry_countdown_in_chinese_dark_on_a_phone() {
    let server = RillServer::app();
    let browser = Browser::start().await;
    browser.set_viewport(390, 844).await;
    let endpoint = fault(
        &server,
        "stall",
        &format!("format=openai&text={}", encode(TEXT)),
    );
    browser
        .goto(&format!(
            "{}/?view=chat&lang=zh&theme=dark&format=openai&stall=1&endpoint={}",
            server.url,
            encode(&endpoint)
        ))
        .await;
    browser.type_into(&testid("chat-input"), "hi").await;
    browser.click(&testid("chat-send")).await;
    browser
        .wait_text(
            &testid("reply-stalled"),
            |t| t.contains("已无数据 1 秒"),
            WAIT,
        )
        .await;
    browser.screenshot("faults-stalled-zh-dark-390").await;
    no_axe_violations(&browser, "stalled, zh, dark, 390 px").await;
    browser.click(&testid("reply-stop")).await;

    let endpoint = fault(&server, "status", "code=503&retry_after=5&format=openai");
    browser
        .goto(&format!(
            "{}/?view=chat&lang=zh&theme=light&format=openai&endpoint={}",
            server.url,
            encode(&endpoint)
        ))
        .await;
    browser.type_into(&testid("chat-input"), "hi").await;
    browser.click(&testid("chat-send")).await;
    browser
        .wait_text(&testid("message-regenerate"), |t| t.contains("剩余"), WAIT)
        .await;
    browser.screenshot("faults-retry-countdown-zh-390").await;
    no_axe_violations(&browser, "retry countdown, zh, 390 px").await;

    browser.set_viewport(1280, 900).await;
    let stream = fault(&server, "stall", &format!("text={}", encode(TEXT)));
    browser
        .goto(&format!(
            "{}/?view=clock&lang=zh&theme=dark&stall=1&stream={}",
            server.url,
            encode(&stream)
        ))
        .await;
    clock_state(&browser, "stalled", WAIT).await;
    assert!(browser.text(&testid("clock-status")).await.contains("停滞"));
    browser.screenshot("faults-clock-stalled-zh-dark").await;
    browser.close().await;
}
