//! A conversation of 10,000 messages (issue #13): it opens by itself on load with its last
//! reply shown, the reader can scroll up all the way to its first question while only the
//! messages near the viewport are on the page, back down to the latest, and typing and
//! sending still work (the question goes with the latest messages that fit the context
//! budget). Behaviour only; how fast is `rill-bench big-chat`'s job.

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
    // Only the messages around the viewport are on the page: the latest left it.
    let on_page = browser
        .count("[data-testid=chat-log] [data-testid=message]")
        .await;
    assert!(on_page < 200, "{on_page} messages on the page");
    assert_eq!(
        shown("last", big.last.clone()).await,
        json!(false),
        "the latest reply is still on the page"
    );

    // The latest message is one click away.
    browser.click(&testid("chat-jump")).await;
    rill_e2e::poll("the last reply back on screen", WAIT, || {
        let f = shown("last", big.last.clone());
        async move { (f.await == json!(true)).then_some(()) }
    })
    .await;

    // The composer still takes typing, and a question is answered: it goes with the latest
    // messages that fit the context budget, not all 4 MB of them.
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
    browser.click(&testid("chat-send")).await;
    let (text, state) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s != "streaming", WAIT)
        .await;
    assert_eq!(
        state, "done",
        "the reply to a 10,000-message conversation: {text}"
    );
    assert!(!text.trim().is_empty());
    // The reply is on screen: the log followed it.
    rill_e2e::poll("the reply on screen", WAIT, || async {
        let on = browser
            .js("const sc = document.querySelector('.rill-chat-scroll');
                 const all = document.querySelectorAll('[data-testid=chat-log] [data-testid=message]');
                 const m = all[all.length - 1];
                 const r = m.getBoundingClientRect(), s = sc.getBoundingClientRect();
                 return m.getAttribute('data-role') === 'assistant' && r.height > 0
                   && r.bottom > s.top && r.top < s.bottom;")
            .await;
        (on == json!(true)).then_some(())
    })
    .await;
    browser.close().await;
}

/// A request the server refuses as too large (413) says so in words: what happened, and
/// that a smaller context budget or a shorter message fits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_too_large_for_the_server_says_why() {
    let app = RillServer::start(
        "127.0.0.1:0",
        &[
            "--dist",
            rill_e2e::dist_dir().to_str().expect("utf-8 path"),
            "--max-body",
            "2000",
        ],
    );
    let browser = Browser::start().await;
    browser
        .goto(&format!("{}/?view=chat&format=openai&lang=en", app.url))
        .await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    let long = "word ".repeat(1000);
    browser
        .client
        .execute(
            "const t = document.querySelector('[data-testid=chat-input]'); t.value = arguments[0];
             t.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!(long)],
        )
        .await
        .expect("set the question");
    browser.click(&testid("chat-send")).await;
    let error = browser
        .wait_text(&testid("message-error"), |t| t.contains("413"), WAIT)
        .await;
    assert!(error.contains("the limit is 2000 bytes"), "{error}");
    assert!(error.contains("context budget"), "{error}");
    browser.close().await;
}
