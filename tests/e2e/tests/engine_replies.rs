//! Replies through an SSE engine, end to end: `deploy/run` starts a real nginx + Nchan or a
//! real Pushpin in front of rill-server (`--publish`, the demo model at a slow `--rate`);
//! headless Chromium opens the chat through the engine, reloads mid-reply, and the same
//! message completes with exactly the model's text, reattached through the engine: Nchan
//! answers it from the reply's channel without rill-server (which streamed no reattach
//! itself), Pushpin holds it on the channel after rill-server's answer. One generation (with
//! `--upstream`, one upstream request). Also: an NDJSON (Ollama) reply through Nchan, Stop
//! after a reload through Nchan, a reply stopped while its tab was away, and a second tab
//! through Pushpin.
//!
//! The demo model echoes the prompt (`[[echo]]`), so the whole reply is known here. Every
//! wait polls a condition.

use rill_e2e::deploy::Deployed;
use rill_e2e::resume::{prompt, reattached_and_done, words, ASSISTANT, REPLY_TIMEOUT};
use rill_e2e::{poll, testid, Browser, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET {base}{path}` (plain HTTP/1.1): the status code and body.
async fn http_get(base: &str, path: &str) -> (u16, String) {
    let authority = base
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .expect("an http url")
        .to_string();
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&authority)
            .await
            .expect("connect");
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read");
        answer
    };
    let answer = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("answered in time");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// rill-server's `/test/replies` (asked directly, not through the engine).
async fn replies(engine: &Deployed) -> serde_json::Value {
    let (status, body) = http_get(engine.get("app"), "/test/replies").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("json")
}

fn count(v: &serde_json::Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

/// The saved conversation (`localStorage`), once it satisfies `ok`.
async fn saved_when(browser: &Browser, what: &str, ok: impl Fn(&str) -> bool) -> String {
    poll(what, WAIT, || async {
        let saved = browser
            .js("return localStorage.getItem('rill.chat.v1') || ''")
            .await;
        saved.as_str().filter(|s| ok(s)).map(str::to_string)
    })
    .await
}

/// Opens the chat (in `format`) through the engine, sends the prompt and waits until the
/// reply streams with some text, saved with its resume point (at most once a second), so
/// a reload reattaches: the text then and the saved resume URL.
async fn mid_reply_through(browser: &Browser, engine: &Deployed, format: &str) -> (String, String) {
    let chat = format!(
        "{}/?view=chat&format={format}&lang=en",
        engine.get("engine")
    );
    browser.goto(&chat).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    browser.send_chat(&prompt()).await;
    let (before, _) = browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && t.len() > 20,
            REPLY_TIMEOUT,
        )
        .await;
    let saved = saved_when(browser, "the streaming reply to be saved", |s| {
        s.contains("\"resume\"") && s.contains("word1")
    })
    .await;
    let url = saved
        .split("\"resume\":{\"url\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a saved resume url")
        .to_string();
    (before, url)
}

/// Opens the chat (in `format`) through the engine, sends the prompt, reloads mid-reply
/// and checks that the same message completes with exactly the model's text, once.
/// Returns the resume URL the reply was saved with.
async fn reload_mid_reply_through(engine: &Deployed, format: &str) -> String {
    let browser = Browser::start().await;
    let (before, url) = mid_reply_through(&browser, engine, format).await;
    browser.reload().await;
    reattached_and_done(&browser, &before).await;
    // Saved done, without a resume point.
    saved_when(&browser, "the done reply to be saved", |s| {
        !s.contains("\"resume\"") && s.contains("\"state\":\"done\",\"at_ms\"")
    })
    .await;
    browser.close().await;
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_reply_through_nchan_reattaches_to_the_replys_channel() {
    let engine = Deployed::start("nchan", &["--", "--test-routes", "--rate", "12"]);
    let url = reload_mid_reply_through(&engine, "openai").await;
    assert!(
        url.starts_with(&format!("{}/sub/reply-", engine.get("engine"))),
        "the reply's Nchan channel, on the engine's origin: {url:?}"
    );
    let stats = replies(&engine).await;
    assert_eq!(count(&stats, "started"), 1, "one generation: {stats}");
    assert_eq!(
        (count(&stats, "resumed"), count(&stats, "held")),
        (0, 0),
        "rill-server answered no reattach itself: Nchan did ({stats})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_reply_through_pushpin_is_held_on_the_replys_channel() {
    let engine = Deployed::start("pushpin", &["--", "--test-routes", "--rate", "12"]);
    let url = reload_mid_reply_through(&engine, "openai").await;
    assert!(
        url.starts_with(&format!("{}/v1/replies/", engine.get("engine"))),
        "rill-server's resume path, through Pushpin: {url:?}"
    );
    let stats = replies(&engine).await;
    assert_eq!(count(&stats, "started"), 1, "one generation: {stats}");
    assert!(
        count(&stats, "held") >= 1,
        "the reattach came through Pushpin and was held: {stats}"
    );
    assert_eq!(
        count(&stats, "resumed"),
        0,
        "rill-server streamed no reattach itself: Pushpin did ({stats})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ndjson_reply_reloaded_mid_way_through_nchan_completes_from_its_channel() {
    // Ollama's NDJSON is published as a resume sends it (numbered `data:` events).
    let engine = Deployed::start("nchan", &["--", "--test-routes", "--rate", "12"]);
    let url = reload_mid_reply_through(&engine, "ollama").await;
    assert!(url.contains("/sub/reply-"), "{url:?}");
    let stats = replies(&engine).await;
    assert_eq!(count(&stats, "started"), 1, "one generation: {stats}");
    assert_eq!(count(&stats, "resumed"), 0, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_after_a_reload_through_nchan_ends_the_generation() {
    let engine = Deployed::start("nchan", &["--", "--test-routes", "--rate", "8"]);
    let browser = Browser::start().await;
    let (before, _) = mid_reply_through(&browser, &engine, "openai").await;
    browser.reload().await;
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && t.len() > before.len(),
            REPLY_TIMEOUT,
        )
        .await;
    assert_eq!(count(&replies(&engine).await, "generating"), 1);
    // Stop goes to rill-server (Rill-Stop, through nginx), not to the engine.
    browser.click(&testid("chat-stop")).await;
    let (stopped, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "stopped", WAIT)
        .await;
    assert!(
        words().starts_with(&stopped) && stopped.len() < words().len(),
        "{stopped:?}"
    );
    poll("the generation to end", WAIT, || async {
        (count(&replies(&engine).await, "generating") == 0).then_some(())
    })
    .await;
    browser.reload().await;
    let (text, state) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s != "streaming", WAIT)
        .await;
    assert_eq!((text, state), (stopped, "stopped".to_string()));
    let stats = replies(&engine).await;
    assert_eq!(
        (count(&stats, "started"), count(&stats, "resumed")),
        (1, 0),
        "{stats}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_tab_attaches_through_pushpin() {
    let engine = Deployed::start("pushpin", &["--", "--test-routes", "--rate", "12"]);
    let browser = Browser::start().await;
    let (before, _) = mid_reply_through(&browser, &engine, "openai").await;
    let tab = browser
        .client
        .new_window(true)
        .await
        .expect("new tab")
        .handle;
    browser
        .client
        .switch_to_window(tab)
        .await
        .expect("switch to the new tab");
    browser
        .goto(&format!(
            "{}/?view=chat&format=openai&lang=en",
            engine.get("engine")
        ))
        .await;
    let (done, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", REPLY_TIMEOUT)
        .await;
    assert!(
        done.starts_with(&before[..before.len().min(10)]),
        "{done:?}"
    );
    assert_eq!(done, words(), "the whole reply, once, in the second tab");
    let stats = replies(&engine).await;
    assert_eq!(count(&stats, "started"), 1, "{stats}");
    assert!(count(&stats, "held") >= 1, "{stats}");
    assert_eq!(count(&stats, "resumed"), 0, "{stats}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_reply_through_nchan_with_an_upstream_asks_the_upstream_once() {
    // rill-server in front of another rill-server as its model (`--upstream`).
    let upstream = rill_e2e::RillServer::start("127.0.0.1:0", &["--rate", "12"]);
    let engine = Deployed::start(
        "nchan",
        &["--", "--test-routes", "--upstream", &upstream.url],
    );
    let url = reload_mid_reply_through(&engine, "openai").await;
    assert!(url.contains("/sub/reply-"), "{url:?}");
    let (status, body) = http_get(&upstream.url, "/test/replies").await;
    assert_eq!(status, 200, "{body}");
    let upstream_stats: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        count(&upstream_stats, "started"),
        1,
        "the upstream saw one chat request: {upstream_stats}"
    );
    let stats = replies(&engine).await;
    assert_eq!(
        (count(&stats, "started"), count(&stats, "resumed")),
        (1, 0),
        "{stats}"
    );
}

/// `POST {base}{path}` with an empty body (plain HTTP/1.1): the status code.
async fn http_post(base: &str, path: &str) -> u16 {
    let authority = base
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .expect("an http url")
        .to_string();
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&authority)
            .await
            .expect("connect");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read");
        answer
    };
    let answer = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("answered in time");
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_stopped_while_its_tab_was_away_reattaches_through_nchan_as_interrupted() {
    let engine = Deployed::start("nchan", &["--", "--test-routes", "--rate", "8"]);
    let browser = Browser::start().await;
    let (before, url) = mid_reply_through(&browser, &engine, "openai").await;
    // The tab goes away mid-reply; meanwhile the reply is stopped (its channel then ends
    // with `rill-reply-end`): coming back, the tab reattaches through Nchan, gets the rest
    // up to the stop and ends the reply there, interrupted, with Continue.
    browser.goto("about:blank").await;
    let id = url
        .rsplit("reply-")
        .next()
        .expect("the reply id")
        .to_string();
    assert_eq!(
        http_post(engine.get("app"), &format!("/v1/replies/{id}/stop")).await,
        200
    );
    browser
        .goto(&format!(
            "{}/?view=chat&format=openai&lang=en",
            engine.get("engine")
        ))
        .await;
    let (text, _) = browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |_, s| s == "interrupted",
            REPLY_TIMEOUT,
        )
        .await;
    assert!(
        text.starts_with(before.trim_end()),
        "{text:?} after {before:?}"
    );
    poll("Continue offered", WAIT, || async {
        (browser.count(&testid("message-continue")).await == 1).then_some(())
    })
    .await;
    browser.close().await;
}
