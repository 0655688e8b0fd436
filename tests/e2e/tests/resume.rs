//! Replies that outlive their connection, end to end: a reload mid-reply reattaches the same
//! message and it completes with exactly the model's text (the demo model, and through
//! `--upstream`, which then saw one request); Stop after a reload ends the generation on the
//! server and the upstream's; a second tab attaches to the streaming reply; a server that
//! keeps no replies leaves today's behaviour (interrupted, Continue).
//!
//! The network's faults: a connection cut mid-reply (a forwarder between the browser and
//! rill-server, `rill_e2e::forward`), the browser offline (DevTools network emulation) and
//! a frozen page (DevTools lifecycle) all end with the same message complete, one
//! generation; a reattach that gave up (the server unreachable for `RESUME_FAILURES`
//! attempts) is taken up again when the page wakes. A reload between the reply's last event
//! and its saved end is done, not interrupted (`Rill-Reply-End`). The summary format
//! (EventSource) resumes through the offer event.
//!
//! The demo model echoes the prompt (`[[echo]]`), so the whole reply is known here, at a
//! slow `--rate`, so a reload lands mid-reply. Every wait polls a condition.

use std::time::Duration;

use rill_e2e::forward::Forwarder;
use rill_e2e::resume::{prompt, reattached_and_done, words, ASSISTANT, REPLY_TIMEOUT};
use rill_e2e::{poll, testid, Browser, RillServer, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn chat_url(app: &RillServer) -> String {
    format!("{}/?view=chat&format=openai&lang=en", app.url)
}

fn summary_url(app: &RillServer) -> String {
    format!("{}/?view=chat&format=summary&lang=en", app.url)
}

/// Waits until the server has generated the whole reply (nothing generating).
async fn generated(app: &RillServer) {
    poll("the server to finish generating", REPLY_TIMEOUT, || async {
        (replies(app).await.1 == 0).then_some(())
    })
    .await;
}

/// DevTools' network emulation: offline (every request fails, `navigator.onLine` is
/// false) or back to normal.
async fn set_offline(browser: &Browser, offline: bool) {
    browser
        .cdp("Network.enable", serde_json::json!({}))
        .await
        .expect("Network.enable");
    browser
        .cdp(
            "Network.emulateNetworkConditions",
            serde_json::json!({
                "offline": offline,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": -1,
            }),
        )
        .await
        .expect("Network.emulateNetworkConditions");
    poll("navigator.onLine to follow", WAIT, || async {
        (browser.js("return navigator.onLine").await == serde_json::json!(!offline)).then_some(())
    })
    .await;
}

/// The saved library's streaming reply (`rill.chat.v1`): its resume URL, if one is saved.
async fn saved_resume_url(browser: &Browser) -> Option<String> {
    let v = browser
        .js(
            "const lib = JSON.parse(localStorage.getItem('rill.chat.v1') || '{}');
             let url = null;
             const walk = (v) => {
               if (v && typeof v === 'object') {
                 if (v.resume && typeof v.resume.url === 'string') url = v.resume.url;
                 Object.values(v).forEach(walk);
               }
             };
             walk(lib);
             return url;",
        )
        .await;
    v.as_str().map(str::to_string)
}

/// `GET path` on `server` (plain HTTP/1.1): the status code and body.
async fn http_get(server: &RillServer, path: &str) -> (u16, String) {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .expect("connect to rill-server");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            server.port
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read");
        answer
    };
    let answer = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("rill-server answered in time");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// `/test/replies`: (started, generating).
async fn replies(server: &RillServer) -> (u64, u64) {
    let (status, body) = http_get(server, "/test/replies").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    (
        v["started"].as_u64().unwrap_or(0),
        v["generating"].as_u64().unwrap_or(0),
    )
}

/// Sends the prompt and waits until the reply is streaming with some text; returns it.
async fn send_and_wait_mid_reply(browser: &Browser) -> String {
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    browser.send_chat(&prompt()).await;
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && t.len() > 20,
            REPLY_TIMEOUT,
        )
        .await
        .0
}

/// The reply, generated whole while the page could not read it, ends done with exactly
/// the model's text in the one message.
async fn done_whole(browser: &Browser) {
    let (done, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", REPLY_TIMEOUT)
        .await;
    assert_eq!(done, words(), "the same reply, whole, once");
    assert_eq!(browser.count(ASSISTANT).await, 1, "one reply message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_reply_completes_the_same_reply_from_the_demo_model() {
    let app = RillServer::app_with(&["--rate", "12"]);
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app)).await;
    let before = send_and_wait_mid_reply(&browser).await;
    assert_ne!(before, words(), "reloaded mid-reply");
    browser.reload().await;
    reattached_and_done(&browser, &before).await;
    assert_eq!(
        replies(&app).await.0,
        1,
        "one generation: nothing asked twice"
    );
    // Saved done, without a resume point: a further reload shows it done.
    poll("the done reply to be saved", WAIT, || async {
        let saved = browser
            .js("return localStorage.getItem('rill.chat.v1') || ''")
            .await;
        saved
            .as_str()
            .is_some_and(|s| {
                !s.contains("\"resume\"") && s.contains("\"state\":\"done\",\"at_ms\"")
            })
            .then_some(())
    })
    .await;
    browser.reload().await;
    // (`data-state` says "streaming" until the markdown is on screen, then the saved state.)
    let (text, state) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s != "streaming", WAIT)
        .await;
    assert_eq!((text.as_str(), state.as_str()), (&*words(), "done"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_reply_through_upstream_completes_and_the_upstream_saw_one_request() {
    let upstream = RillServer::start("127.0.0.1:0", &["--rate", "12"]);
    let app = RillServer::app_with(&["--upstream", &upstream.url]);
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app)).await;
    let before = send_and_wait_mid_reply(&browser).await;
    browser.reload().await;
    reattached_and_done(&browser, &before).await;
    assert_eq!(
        replies(&upstream).await.0,
        1,
        "the upstream saw one chat request"
    );
    assert_eq!(replies(&app).await.0, 1);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_after_a_reload_ends_the_generation_and_the_upstream_request() {
    // The upstream keeps nothing for a client that left, so its generation shows whether
    // rill-server's request to it was cancelled.
    let upstream = RillServer::start("127.0.0.1:0", &["--rate", "8", "--reply-linger-secs", "0"]);
    let app = RillServer::app_with(&["--upstream", &upstream.url]);
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app)).await;
    let before = send_and_wait_mid_reply(&browser).await;
    browser.reload().await;
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && t.len() > before.len(),
            REPLY_TIMEOUT,
        )
        .await;
    assert_eq!(replies(&app).await.1, 1, "still generating");
    browser.click(&testid("chat-stop")).await;
    let (stopped, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "stopped", WAIT)
        .await;
    assert!(
        words().starts_with(&stopped) && stopped.len() < words().len(),
        "{stopped:?}"
    );
    poll("the server's generation to end", WAIT, || async {
        (replies(&app).await.1 == 0).then_some(())
    })
    .await;
    poll("the upstream's generation to end", WAIT, || async {
        (replies(&upstream).await.1 == 0).then_some(())
    })
    .await;
    assert_eq!(replies(&upstream).await.0, 1);
    // Nothing more arrives, after another reload too.
    browser.reload().await;
    let (text, state) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s != "streaming", WAIT)
        .await;
    assert_eq!((text, state), (stopped, "stopped".to_string()));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_tab_attaches_to_the_streaming_reply() {
    let app = RillServer::app_with(&["--rate", "12"]);
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app)).await;
    let before = send_and_wait_mid_reply(&browser).await;
    // The first tab saves at most once a second: wait until the reply it saved has text.
    poll("the streaming reply to be saved", WAIT, || async {
        let saved = browser
            .js("return localStorage.getItem('rill.chat.v1') || ''")
            .await;
        saved
            .as_str()
            .is_some_and(|s| s.contains("\"resume\"") && s.contains("word1"))
            .then_some(())
    })
    .await;
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
    browser.goto(&chat_url(&app)).await;
    reattached_and_done(&browser, &before[..before.len().min(10)]).await;
    assert_eq!(
        replies(&app).await.0,
        1,
        "the second tab asked for nothing new"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_no_replies_leaves_an_interrupted_reply_with_continue() {
    // `--max-replies 0`: replies are streamed as before, with no resume headers.
    let app = RillServer::app_with(&["--rate", "12", "--max-replies", "0"]);
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app)).await;
    let before = send_and_wait_mid_reply(&browser).await;
    browser.reload().await;
    let (text, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "interrupted", WAIT)
        .await;
    assert!(text.starts_with(before.trim_end()), "{text:?}");
    poll("Continue offered", WAIT, || async {
        (browser.count(&testid("message-continue")).await == 1).then_some(())
    })
    .await;
    assert_eq!(replies(&app).await, (0, 0));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_reply_completes_the_same_reply() {
    let app = RillServer::app_with(&["--rate", "12"]);
    let forwarder = Forwarder::start(&app.url).await;
    let browser = Browser::start().await;
    browser.goto(&forwarder.via(&chat_url(&app))).await;
    let before = send_and_wait_mid_reply(&browser).await;
    forwarder.cut();
    reattached_and_done(&browser, &before).await;
    assert_ne!(before, words(), "cut mid-reply");
    assert_eq!(replies(&app).await.0, 1, "one generation");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_mid_reply_then_online_completes_the_same_reply() {
    let app = RillServer::app_with(&["--rate", "12"]);
    // DevTools' offline fails new requests but leaves a response already streaming alone,
    // where a real network going away breaks it: the forwarder breaks it.
    let forwarder = Forwarder::start(&app.url).await;
    let browser = Browser::start().await;
    browser.goto(&forwarder.via(&chat_url(&app))).await;
    let before = send_and_wait_mid_reply(&browser).await;
    set_offline(&browser, true).await;
    forwarder.cut();
    // The whole reply is generated while the browser is offline; the message waits.
    generated(&app).await;
    let (text, state) = browser.last(ASSISTANT, "data-state").await.expect("reply");
    assert_eq!(
        state, "streaming",
        "offline, the reply waits for the network"
    );
    assert_ne!(text, words());
    assert!(text.starts_with(before.trim_end()), "{text:?}");
    set_offline(&browser, false).await;
    done_whole(&browser).await;
    assert_eq!(replies(&app).await.0, 1, "one generation");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reattach_that_gave_up_is_taken_up_again_when_the_page_wakes() {
    // The server unreachable while the browser says it is online (a captive network, a
    // laptop waking before its network): the app gives up after RESUME_FAILURES attempts on
    // its backoff (about a minute and a half), then back online it reattaches.
    let app = RillServer::app_with(&["--rate", "12"]);
    let forwarder = Forwarder::start(&app.url).await;
    let browser = Browser::start().await;
    browser.goto(&forwarder.via(&chat_url(&app))).await;
    let before = send_and_wait_mid_reply(&browser).await;
    forwarder.set_down(true);
    let (text, _) = browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |_, s| s == "interrupted",
            Duration::from_secs(240),
        )
        .await;
    assert!(text.starts_with(before.trim_end()), "{text:?}");
    forwarder.set_down(false);
    // The `online` event, as a laptop's network coming back fires it.
    set_offline(&browser, true).await;
    set_offline(&browser, false).await;
    done_whole(&browser).await;
    assert_eq!(replies(&app).await.0, 1, "one generation");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_frozen_while_its_connection_broke_reattaches_when_resumed() {
    let app = RillServer::app_with(&["--rate", "12"]);
    let forwarder = Forwarder::start(&app.url).await;
    let browser = Browser::start().await;
    browser.goto(&forwarder.via(&chat_url(&app))).await;
    let before = send_and_wait_mid_reply(&browser).await;
    // The page's own view of its lifecycle: one `freeze`, then one `resume`.
    browser
        .js("window.__life = [];
             for (const e of ['freeze', 'resume'])
               document.addEventListener(e, () => window.__life.push(e));
             return true;")
        .await;
    browser
        .cdp(
            "Page.setWebLifecycleState",
            serde_json::json!({"state": "frozen"}),
        )
        .await
        .expect("freeze the page");
    forwarder.cut();
    generated(&app).await;
    browser
        .cdp(
            "Page.setWebLifecycleState",
            serde_json::json!({"state": "active"}),
        )
        .await
        .expect("resume the page");
    done_whole(&browser).await;
    assert_eq!(
        browser.js("return window.__life").await,
        serde_json::json!(["freeze", "resume"]),
        "the page was frozen and resumed"
    );
    assert_ne!(before, words(), "frozen mid-reply");
    assert_eq!(replies(&app).await.0, 1, "one generation");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_after_the_last_event_but_before_the_saved_end_is_done() {
    // The page is gone (another view of the app) after its save, the server finishes the
    // reply; the saved message is then made to hold every event but not the end — what a
    // reload between the last event and the done state's save leaves — and the chat opened.
    let app = RillServer::app_with(&["--rate", "12"]);
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app)).await;
    send_and_wait_mid_reply(&browser).await;
    browser
        .goto(&format!("{}/?view=clock&lang=en", app.url))
        .await;
    generated(&app).await;
    let url = saved_resume_url(&browser)
        .await
        .expect("a saved resume point");
    let path = url
        .strip_prefix(&app.url)
        .expect("on the app's origin")
        .to_string();
    let (status, all) = http_get(&app, &format!("{path}?last_event_id=0")).await;
    assert_eq!(status, 200, "{all}");
    let events = all.matches("\nid: ").count();
    assert!(all.contains("[DONE]") && events > 2, "{all}");
    let script = format!(
        "const lib = JSON.parse(localStorage.getItem('rill.chat.v1'));
         const walk = (v) => {{
           if (v && typeof v === 'object') {{
             if (v.resume) {{ v.resume.last = {events}; v.content = {text}; }}
             Object.values(v).forEach(walk);
           }}
         }};
         walk(lib);
         localStorage.setItem('rill.chat.v1', JSON.stringify(lib));
         return true;",
        text = serde_json::Value::from(words())
    );
    assert_eq!(browser.js(&script).await, serde_json::json!(true));
    browser.goto(&chat_url(&app)).await;
    let (text, state) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s != "streaming", WAIT)
        .await;
    assert_eq!(
        (text.as_str(), state.as_str()),
        (&*words(), "done"),
        "the server said it was done"
    );
    assert_eq!(replies(&app).await.0, 1);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_summary_reply_completes_the_same_reply() {
    let app = RillServer::app_with(&["--rate", "12"]);
    let browser = Browser::start().await;
    browser.goto(&summary_url(&app)).await;
    let before = send_and_wait_mid_reply(&browser).await;
    assert_ne!(before, words(), "reloaded mid-reply");
    poll(
        "the summary reply's resume point to be saved",
        WAIT,
        || async { saved_resume_url(&browser).await.map(|_| ()) },
    )
    .await;
    browser.reload().await;
    reattached_and_done(&browser, &before).await;
    // The old page's EventSource, cancelled by the reload, is not probed (which would ask
    // for the summary again).
    assert_eq!(replies(&app).await.0, 1, "one generation");
    assert_eq!(app.log_count("summary requested"), 1, "asked once");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_connection_cut_mid_reply_completes_the_same_reply() {
    let app = RillServer::app_with(&["--rate", "12"]);
    let forwarder = Forwarder::start(&app.url).await;
    let browser = Browser::start().await;
    browser.goto(&forwarder.via(&summary_url(&app))).await;
    let before = send_and_wait_mid_reply(&browser).await;
    forwarder.cut();
    reattached_and_done(&browser, &before).await;
    assert_ne!(before, words(), "cut mid-reply");
    assert_eq!(
        replies(&app).await.0,
        1,
        "one generation: EventSource did not ask again"
    );
    browser.close().await;
}
