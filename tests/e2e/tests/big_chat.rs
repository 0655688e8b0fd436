//! A conversation of 10,000 messages (issue #13): it opens by itself on load with its last
//! reply shown, the reader can scroll up all the way to its first question, and typing still
//! works. Behaviour only; how fast is `rill-bench big-chat`'s job.

use std::time::Duration;

use fantoccini::wd::TimeoutConfiguration;
use rill_e2e::{big_chat, testid, Browser, RillServer, WAIT};
use serde_json::json;

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";

/// Whether the first or the last `message` element in the log has `text` and lies inside
/// the scroll viewport.
const SHOWN_JS: &str = "const [which, text] = arguments;
    const sc = document.querySelector('.rill-chat-scroll');
    const all = document.querySelectorAll('[data-testid=chat-log] [data-testid=message]');
    const m = which === 'first' ? all[0] : all[all.length - 1];
    if (!sc || !m || m.textContent.trim() !== text) return false;
    const r = m.getBoundingClientRect(), s = sc.getBoundingClientRect();
    return r.height > 0 && r.bottom > s.top && r.top < s.bottom;";

/// Scrolls the log to its top, frame after frame (earlier messages come in as the top is
/// reached), until the first message has `arguments[0]` and is on screen in three frames in
/// a row (the log keeps the reader's place when earlier messages come in, one frame later);
/// resolves true then, false after `arguments[1]` ms.
const SCROLL_UP_JS: &str = "const [text, limit] = arguments;
    return new Promise((resolve) => {
      const t0 = performance.now();
      const sc = document.querySelector('.rill-chat-scroll');
      let seen = 0;
      const step = () => {
        const m = document.querySelector('[data-testid=chat-log] [data-testid=message]');
        const r = m && m.getBoundingClientRect(), s = sc.getBoundingClientRect();
        const shown = m && m.textContent.trim() === text && r.bottom > s.top && r.top < s.bottom;
        seen = shown ? seen + 1 : 0;
        if (seen >= 3) resolve(true);
        else if (performance.now() - t0 > limit) resolve(false);
        else { if (!shown) sc.scrollTop = 0; requestAnimationFrame(step); }
      };
      step();
    });";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_thousand_message_conversation_opens_and_scrolls_to_its_first_message() {
    let app = RillServer::start(
        "127.0.0.1:0",
        &[
            "--dist",
            rill_e2e::dist_dir().to_str().expect("utf-8 path"),
            "--rate",
            "400",
        ],
    );
    let browser = Browser::start().await;
    browser
        .client
        .update_timeouts(TimeoutConfiguration::new(
            Some(Duration::from_secs(150)),
            None,
            None,
        ))
        .await
        .expect("script timeout");
    let url = format!("{}/?view=chat&format=openai&lang=en", app.url);
    browser.goto(&url).await;
    let big = big_chat::library(10_000);
    let stored = browser
        .client
        .execute(
            "localStorage.clear(); localStorage.setItem(arguments[0], arguments[1]);
             return localStorage.getItem(arguments[0]).length;",
            vec![json!(big_chat::STORAGE_KEY), json!(big.json)],
        )
        .await
        .expect("store the library");
    assert_eq!(stored, json!(big.json.len()));
    browser.reload().await;

    // It opens by itself, at its last reply, finished and on screen.
    let last = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await;
    assert_eq!(last.0.trim(), big.last);
    let shown = |which: &'static str, text: String| {
        let client = browser.client.clone();
        async move {
            client
                .execute(SHOWN_JS, vec![json!(which), json!(text)])
                .await
                .expect("shown")
        }
    };
    rill_e2e::poll("the last reply on screen", WAIT, || {
        let f = shown("last", big.last.clone());
        async move { (f.await == json!(true)).then_some(()) }
    })
    .await;
    assert!(browser
        .text(&testid("chat-list"))
        .await
        .contains(big_chat::TITLE));

    // Scrolling up reaches the first question.
    let reached = browser
        .client
        .execute(SCROLL_UP_JS, vec![json!(big.first), json!(120_000)])
        .await
        .expect("scroll up");
    assert_eq!(reached, json!(true), "the first message was not reached");
    assert_eq!(
        shown("first", big.first.clone()).await,
        json!(true),
        "the first message is not on screen"
    );
    assert_eq!(
        browser
            .count("[data-testid=chat-log] [data-testid=message]")
            .await,
        10_000
    );

    // The composer still takes typing (a reply to all 10,000 messages would be a request
    // larger than rill-server accepts, so none is sent here).
    browser
        .type_into(&testid("chat-input"), "still quick")
        .await;
    let typed = browser
        .js("return document.querySelector('[data-testid=chat-input]').value;")
        .await;
    assert_eq!(typed, json!("still quick"));
    let enabled = browser
        .js("return document.querySelector('[data-testid=chat-send]').disabled === false;")
        .await;
    assert_eq!(enabled, json!(true), "Send is not enabled");
    browser.close().await;
}
