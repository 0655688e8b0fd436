//! What is saved is never lost, end to end: an unreadable saved library that storage has no
//! room to copy is never overwritten (and is offered as a download), two tabs streaming at
//! once keep each other's conversations, an import with ambiguous ids is refused with the
//! reason, and a reply nested 100,000 levels deep renders through the real markdown module.

use std::time::Duration;

use rill_e2e::{poll, testid, Browser, RillServer, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
const KEY: &str = "rill.chat.v1";

fn app(rate: &str) -> RillServer {
    let dist = rill_e2e::dist_dir();
    RillServer::start(
        "127.0.0.1:0",
        &["--dist", dist.to_str().expect("utf-8 path"), "--rate", rate],
    )
}

fn chat_url(app: &RillServer, lang: &str) -> String {
    format!("{}/?view=chat&format=openai&lang={lang}", app.url)
}

/// Waits for the last reply to reach `state`; returns its text.
async fn reply_in(browser: &Browser, state: &'static str, timeout: Duration) -> String {
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == state, timeout)
        .await
        .0
}

async fn stored(browser: &Browser) -> Option<String> {
    browser
        .js(&format!("return localStorage.getItem('{KEY}')"))
        .await
        .as_str()
        .map(str::to_string)
}

async fn list_len(browser: &Browser) -> usize {
    browser.count(&testid("chat-list-item")).await
}

/// Hands `json` to the import input as a chosen file.
async fn import(browser: &Browser, json: &str) {
    browser
        .js(&format!(
            "const dt = new DataTransfer();
             dt.items.add(new File([{}], 'chats.json', {{type: 'application/json'}}));
             const input = document.querySelector('[data-testid=chat-import]');
             input.files = dt.files;
             input.dispatchEvent(new Event('change', {{bubbles: true}}));
             return true;",
            serde_json::to_string(json).expect("json string")
        ))
        .await;
}

/// A saved library cut off in the middle, as a failed write or a bad update could leave it.
fn unreadable_library() -> String {
    let body = "a precious answer that exists nowhere else. ".repeat(200);
    format!(
        r#"{{"version":1,"conversations":[{{"id":"c1","title":"Precious","messages":[{{"id":1,"role":"user","content":"{body}""#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_library_with_no_room_for_a_copy_is_never_overwritten() {
    let app = app("400");
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "en")).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    let unreadable = unreadable_library();
    // The library key holds unreadable text and junk fills storage to its quota, so no copy
    // of the text fits anywhere.
    let junk = browser
        .client
        .execute(
            "localStorage.clear();
             localStorage.setItem(arguments[0], arguments[1]);
             let n = 0, size = 1 << 20;
             while (size >= 1) {
               try { localStorage.setItem('rill.test.junk.' + n, 'x'.repeat(size)); n++; }
               catch (e) { size = Math.floor(size / 2); }
             }
             return n;",
            vec![serde_json::json!(KEY), serde_json::json!(unreadable)],
        )
        .await
        .expect("fill storage");
    assert!(junk.as_u64().unwrap_or(0) > 0, "storage took no junk");
    browser.reload().await;

    let alert = format!("{}[role=alert]", testid("chat-storage-blocked"));
    let text = browser
        .wait_text(&alert, |t| t.contains("saves nothing"), WAIT)
        .await;
    assert!(text.contains("Download"), "{text}");
    assert_eq!(stored(&browser).await.as_deref(), Some(unreadable.as_str()));

    // The download offers exactly the stored text, under its file name (the anchor's click
    // is caught, so nothing is written to disk).
    catch_downloads(&browser).await;
    browser.click(&testid("chat-storage-download")).await;
    assert_eq!(caught(&browser).await, serde_json::json!([unreadable]));
    let names = browser.js("return window.__downloads").await;
    assert_eq!(names, serde_json::json!(["rill-unreadable-library.json"]));

    // Chatting still works in this tab, and nothing it does overwrites the stored text.
    browser.send_chat("[[echo]]still here").await;
    assert_eq!(reply_in(&browser, "done", WAIT).await, "still here");
    browser.reload().await;
    assert_eq!(stored(&browser).await.as_deref(), Some(unreadable.as_str()));

    // The same in Chinese.
    browser.goto(&chat_url(&app, "zh")).await;
    let text = browser
        .wait_text(&alert, |t| t.contains("下载"), WAIT)
        .await;
    assert!(text.contains("不会保存"), "{text}");
    assert_eq!(stored(&browser).await.as_deref(), Some(unreadable.as_str()));
    browser.js("localStorage.clear(); return true").await;
    browser.close().await;
}

/// Opens the app in a new tab of the same browser (same origin, same localStorage).
async fn new_tab(browser: &Browser, url: &str) -> fantoccini::wd::WindowHandle {
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
        .expect("switch to the new tab");
    browser.goto(url).await;
    tab
}

async fn switch(browser: &Browser, tab: &fantoccini::wd::WindowHandle) {
    browser
        .client
        .switch_to_window(tab.clone())
        .await
        .expect("switch tab");
}

/// Catches downloads in the current page: blobs handed to `URL.createObjectURL` and the
/// file names of clicked download links (so nothing is written to disk).
async fn catch_downloads(browser: &Browser) {
    browser
        .js("window.__blobs = []; window.__downloads = [];
             const create = URL.createObjectURL;
             URL.createObjectURL = (b) => { window.__blobs.push(b); return create.call(URL, b); };
             HTMLAnchorElement.prototype.click = function () { window.__downloads.push(this.download); };
             return true;")
        .await;
}

/// The texts of the downloads caught so far, once there is one.
async fn caught(browser: &Browser) -> serde_json::Value {
    poll("a download", WAIT, || async {
        let v = browser
            .js("return window.__blobs.length ? Promise.all(window.__blobs.map((b) => b.text())) : null")
            .await;
        (!v.is_null()).then_some(v)
    })
    .await
}

/// What the current tab holds: its list's titles, and from its JSON export (this tab's own
/// library, not localStorage) each conversation's question and reply with the reply's state.
async fn tab_holds(browser: &Browser) -> (Vec<String>, Vec<(String, String, String)>) {
    let mut titles: Vec<String> = browser
        .js("return [...document.querySelectorAll('[data-testid=chat-list-item] .rill-side-title')].map((b) => b.innerText.trim())")
        .await
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    titles.sort();
    catch_downloads(browser).await;
    browser.click(&testid("chat-export-json")).await;
    let export = caught(browser).await;
    let export: serde_json::Value =
        serde_json::from_str(export[0].as_str().unwrap_or_default()).expect("export JSON");
    let mut held: Vec<(String, String, String)> = export["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let text = |i: usize, field: &str| {
                c["messages"][i][field]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            (text(0, "content"), text(1, "content"), text(1, "state"))
        })
        .collect();
    held.sort();
    (titles, held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_streaming_at_once_keep_each_others_conversations() {
    // 400 tokens at 100 a second: each reply streams for about 4 s, so the two overlap.
    let app = app("100");
    let browser = Browser::start().await;
    let url = chat_url(&app, "en");
    browser.goto(&url).await;
    let tab_a = browser.client.window().await.expect("tab a");
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    let tab_b = new_tab(&browser, &url).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;

    // Both tabs loaded an empty library; each starts its own conversation.
    switch(&browser, &tab_a).await;
    browser.send_chat("[[long:400]] question from tab A").await;
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && !t.is_empty(),
            WAIT,
        )
        .await;
    switch(&browser, &tab_b).await;
    browser.send_chat("[[long:400]] question from tab B").await;
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && !t.is_empty(),
            WAIT,
        )
        .await;
    // They do overlap: while B streams, the library holds A's reply as still streaming.
    let saved: serde_json::Value =
        serde_json::from_str(&stored(&browser).await.unwrap_or_default()).expect("stored JSON");
    let a_state = saved["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            c["messages"][0]["content"]
                .as_str()
                .is_some_and(|q| q.contains("tab A"))
        })
        .and_then(|c| {
            c["messages"].as_array()?.last()?["state"]
                .as_str()
                .map(str::to_string)
        });
    assert_eq!(
        a_state.as_deref(),
        Some("streaming"),
        "tab A's reply should still stream when B's starts"
    );

    let long = Duration::from_secs(30);
    let reply_b = reply_in(&browser, "done", long).await;
    switch(&browser, &tab_a).await;
    let reply_a = reply_in(&browser, "done", long).await;
    assert!(reply_a.split_whitespace().count() > 50, "{reply_a}");
    assert!(reply_b.split_whitespace().count() > 50, "{reply_b}");
    let mut expected = vec![
        ("[[long:400]] question from tab A".to_string(), reply_a),
        ("[[long:400]] question from tab B".to_string(), reply_b),
    ];
    expected.sort();

    // A first: its reload saves (on pagehide) what it has, then B's reload reads it.
    let mut seen = Vec::new();
    for tab in [&tab_a, &tab_b] {
        switch(&browser, tab).await;
        browser.reload().await;
        poll("both conversations listed after a reload", WAIT, || async {
            (list_len(&browser).await == 2).then_some(())
        })
        .await;
        // The conversation shown first has its whole reply on screen.
        let title = browser.text(".rill-current .rill-side-title").await;
        let shown = reply_in(&browser, "done", WAIT).await;
        let want = expected.iter().find(|(q, _)| *q == title.trim());
        assert_eq!(
            want.map(|(_, r)| r.as_str()),
            Some(shown.as_str()),
            "{title}"
        );
        let (titles, held) = tab_holds(&browser).await;
        let questions: Vec<String> = expected.iter().map(|(q, _)| q.clone()).collect();
        assert_eq!(titles, questions);
        assert_eq!(held.len(), 2, "{held:?}");
        for ((question, reply, state), (want_q, _)) in held.iter().zip(&expected) {
            assert_eq!(question, want_q);
            assert_eq!(state, "done", "{question}");
            assert!(reply.split_whitespace().count() > 50, "{question}: {reply}");
        }
        seen.push(held);
    }
    assert_eq!(seen[0], seen[1], "both tabs hold the same replies");
    browser.js("localStorage.clear(); return true").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_with_ambiguous_ids_are_refused_and_deep_markdown_renders() {
    let app = app("400");
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "en")).await;
    browser
        .wait_attr(&testid("chat-import"), "type", |t| t == "file", WAIT)
        .await;
    let message = |id: &str, role: &str, content: &str| {
        serde_json::json!({"id": serde_json::from_str::<serde_json::Value>(id).expect("id"),
            "role": role, "content": content, "state": "done"})
    };
    let conversation = |id: &str, messages: Vec<serde_json::Value>| serde_json::json!({"id": id, "title": "t", "messages": messages});
    let refused = [
        (
            serde_json::json!({"conversations": [
                conversation("same", vec![message("1", "user", "a")]),
                conversation("same", vec![message("1", "user", "b")]),
            ]}),
            "conversations[1].id",
        ),
        (
            serde_json::json!([conversation(
                "x",
                vec![message("1", "user", "a"), message("1", "assistant", "b")]
            )]),
            "conversations[0].messages[1].id",
        ),
        (
            serde_json::json!([conversation(
                "x",
                vec![message("9007199254740993", "user", "a")]
            )]),
            "conversations[0].messages[0].id",
        ),
        (
            serde_json::json!([conversation("x", vec![message("-1", "user", "a")])]),
            "conversations[0].messages[0].id",
        ),
        (
            serde_json::json!([conversation(&"l".repeat(129), vec![])]),
            "conversations[0].id",
        ),
    ];
    for (file, names) in refused {
        browser
            .js("document.querySelector('[data-testid=chat-notice] button')?.click(); return true")
            .await;
        import(&browser, &file.to_string()).await;
        let notice = browser
            .wait_text(
                &testid("chat-notice"),
                |t| t.contains("Import failed"),
                WAIT,
            )
            .await;
        assert!(notice.contains(names), "{names}: {notice}");
        assert_eq!(list_len(&browser).await, 0, "nothing imported: {notice}");
    }

    // A reply of 100,000 `>` renders through the real markdown module, nested no deeper than
    // its cap, with its text; the page stays usable.
    let deep = format!("{}deep", ">".repeat(100_000));
    let file = serde_json::json!([conversation(
        "deep",
        vec![
            message("1", "user", "quote me"),
            message("2", "assistant", &deep)
        ]
    )]);
    import(&browser, &file.to_string()).await;
    let text = reply_in(&browser, "done", WAIT).await;
    assert!(
        text.contains("deep"),
        "{}",
        text.chars().take(200).collect::<String>()
    );
    let shape = browser
        .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             return [m.querySelectorAll('blockquote').length, !!m.querySelector('.rill-md-plain'), !!m.querySelector('.rill-md')];")
        .await;
    let quotes = shape[0].as_u64().unwrap_or(0);
    assert!((1..=32).contains(&quotes), "{shape}");
    assert_eq!(shape[1], false, "shown plain: the module failed");
    assert_eq!(shape[2], true);
    browser.send_chat("[[echo]]**still** rendering").await;
    assert_eq!(reply_in(&browser, "done", WAIT).await, "still rendering");
    browser.close().await;
}
