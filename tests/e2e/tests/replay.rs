//! Record and replay, end to end: a stream recorded in the inspector (`view=inspect`),
//! saved as a file, and played back — into a fresh inspector (same events, same diagnosis),
//! the clock view and the chat — from a chosen file or a same-origin `?replay=` URL, at the
//! recorded pace or as fast as possible. Real rill-server, real headless Chromium.

use std::path::Path;
use std::time::Duration;

use rill_e2e::inspect::{diagnoses, events, inspect_url, wait_events};
use rill_e2e::{poll, testid, Browser, RillServer, TempDir, WAIT};

/// Long enough for a few bursts of `/demo/buffered` (one every 3 s).
const LONG: Duration = Duration::from_secs(40);

/// Clicks "Save recording" and returns the file's text (the download's Blob, caught on
/// its way to `URL.createObjectURL`).
async fn save_recording(browser: &Browser) -> String {
    browser
        .js("window.__rillSaved = null;
             if (!window.__rillHooked) {
               window.__rillHooked = true;
               const create = URL.createObjectURL.bind(URL);
               URL.createObjectURL = (blob) => {
                 blob.text().then((t) => { window.__rillSaved = t; });
                 return create(blob);
               };
             }")
        .await;
    browser.click(&testid("inspect-record-save")).await;
    poll("the saved recording", WAIT, || async {
        browser
            .js("return window.__rillSaved;")
            .await
            .as_str()
            .map(str::to_string)
    })
    .await
}

/// Chooses `text` as the file of the "Load recording" input.
async fn choose_file(browser: &Browser, name: &str, text: &str) {
    poll("the recording file input", WAIT, || async {
        (browser.count(&testid("inspect-replay-file")).await > 0).then_some(())
    })
    .await;
    browser
        .js(&format!(
            "const dt = new DataTransfer();
             dt.items.add(new File([{}], {}, {{type: 'application/x-ndjson'}}));
             const input = document.querySelector('[data-testid=inspect-replay-file]');
             input.files = dt.files;
             input.dispatchEvent(new Event('change', {{bubbles: true}}));",
            serde_json::to_string(text).unwrap_or_default(),
            serde_json::to_string(name).unwrap_or_default(),
        ))
        .await;
}

async fn set_fast(browser: &Browser) {
    browser
        .js(
            "const s = document.querySelector('[data-testid=inspect-replay-speed]');
             s.value = 'fast'; s.dispatchEvent(new Event('change'));",
        )
        .await;
}

async fn wait_replay_done(browser: &Browser, css: &str, timeout: Duration) {
    browser
        .wait_attr(css, "data-state", |s| s == "done" || s == "failed", timeout)
        .await;
    let state = browser
        .js(&format!(
            "const e = document.querySelector({}); return [e.dataset.state, e.textContent];",
            serde_json::to_string(css).unwrap_or_default()
        ))
        .await;
    assert_eq!(state[0], "done", "replay state: {state}");
}

/// A copy of the built app with `files` beside it, served by its own rill-server, so a
/// `?replay=` URL is on the page's origin.
fn app_with_files(files: &[(&str, &str)]) -> (RillServer, TempDir) {
    let dir = TempDir(std::env::temp_dir().join(format!(
        "rill-replay-www-{}-{}",
        std::process::id(),
        rill_e2e::free_port()
    )));
    copy_dir(&rill_e2e::dist_dir(), &dir.0);
    for (name, text) in files {
        std::fs::write(dir.0.join(name), text).expect("write a served file");
    }
    let app = RillServer::start(
        "127.0.0.1:0",
        &["--dist", dir.0.to_str().expect("utf-8 path")],
    );
    (app, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dist").flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy a dist file");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticker_recording_replays_to_the_same_events_in_a_fresh_page() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/demo/ticker?rate=20&count=30", app.url),
            "",
        ))
        .await;
    wait_events(&browser, 30, WAIT).await;
    let live = events(&browser).await;
    let live_found = diagnoses(&browser).await;
    let saved = save_recording(&browser).await;
    let head = saved.lines().next().unwrap_or_default();
    assert!(
        head.starts_with("{\"format\":\"rill-recording\",\"version\":1,"),
        "{head}"
    );
    assert!(
        saved.contains("\"step\":\"read\""),
        "{}",
        &saved[..300.min(saved.len())]
    );
    browser
        .wait_text(
            &testid("inspect-record-info"),
            |t| t.contains("reads"),
            WAIT,
        )
        .await;

    // A fresh page: the recording, chosen as a file, played as fast as possible.
    browser.goto(&format!("{}/?view=inspect", app.url)).await;
    browser
        .wait_text(&testid("inspect-replay-state"), |t| t.is_empty(), WAIT)
        .await;
    set_fast(&browser).await;
    choose_file(&browser, "ticker.jsonl", &saved).await;
    wait_replay_done(&browser, &testid("inspect-replay-state"), WAIT).await;
    wait_events(&browser, live.len(), WAIT).await;
    assert_eq!(events(&browser).await, live);
    assert_eq!(diagnoses(&browser).await, live_found);
    // The same file again gives the same result again.
    choose_file(&browser, "ticker.jsonl", &saved).await;
    wait_replay_done(&browser, &testid("inspect-replay-state"), WAIT).await;
    assert_eq!(events(&browser).await, live);
    // A replayed recording saves to the same file.
    assert_eq!(save_recording(&browser).await, saved);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_headers_are_left_out_of_a_recording_and_the_page_says_so() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser.goto(&format!("{}/?view=inspect", app.url)).await;
    browser
        .type_into(
            &testid("inspect-url"),
            &format!("{}/demo/ticker?rate=20&count=3", app.url),
        )
        .await;
    browser
        .js(
            "document.querySelector('.rill-inspect-request').open = true;
             const t = document.querySelector('.rill-inspect-request textarea');
             t.value = 'Authorization: Bearer sk-very-secret\\nX-Api-Key: k-secret\\nX-Trace: 7';
             t.dispatchEvent(new Event('input', {bubbles: true}));",
        )
        .await;
    browser.click(&testid("inspect-connect")).await;
    wait_events(&browser, 3, WAIT).await;
    let saved = save_recording(&browser).await;
    assert!(!saved.contains("secret"), "{saved}");
    assert!(saved.contains("[\"X-Trace\",\"7\"]"), "{saved}");
    let removed = browser.text(&testid("inspect-record-removed")).await;
    assert!(
        removed.contains("authorization") && removed.contains("x-api-key"),
        "{removed}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buffered_recording_replays_to_the_buffering_diagnosis_at_recorded_speed() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/demo/buffered", app.url),
            "",
        ))
        .await;
    poll("the buffering diagnosis", LONG, || async {
        diagnoses(&browser)
            .await
            .contains("buffering")
            .then_some(())
    })
    .await;
    browser.click(&testid("inspect-stop")).await;
    let live = events(&browser).await;
    let saved = save_recording(&browser).await;
    browser.close().await;

    let (served, _dir) = app_with_files(&[("buffered.jsonl", &saved)]);
    let browser = Browser::start().await;
    browser
        .goto(&format!(
            "{}/?view=inspect&replay=/buffered.jsonl",
            served.url
        ))
        .await;
    browser
        .wait_attr(
            &testid("inspect-replay-state"),
            "data-state",
            |s| s == "playing",
            WAIT,
        )
        .await;
    wait_replay_done(&browser, &testid("inspect-replay-state"), LONG).await;
    assert_eq!(events(&browser).await, live);
    let found = diagnoses(&browser).await;
    assert!(found.contains("buffering"), "{found:?}");
    browser.screenshot("replay-inspect-buffered-light").await;

    // Another origin is refused, in words.
    browser
        .goto(&format!(
            "{}/?view=inspect&replay={}",
            served.url,
            rill_e2e::encode(&format!("{}/buffered.jsonl", app.url))
        ))
        .await;
    browser
        .wait_attr(
            &testid("inspect-replay-state"),
            "data-state",
            |s| s == "failed",
            WAIT,
        )
        .await;
    let said = browser.text(&testid("inspect-replay-state")).await;
    assert!(said.contains("origin"), "{said}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_recording_is_refused_with_the_line_and_field() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser.goto(&format!("{}/?view=inspect", app.url)).await;
    let head = "{\"format\":\"rill-recording\",\"version\":1,\"url\":\"/x\",\"method\":\"GET\",\"headers\":[],\"body\":null,\"body_format\":\"sse\",\"cross_origin\":false,\"removed_headers\":[],\"cut\":false}";
    choose_file(
        &browser,
        "bad.jsonl",
        &format!("{head}\n{{\"t\":0,\"step\":\"read\",\"base64\":\"%%%\"}}\n"),
    )
    .await;
    browser
        .wait_attr(
            &testid("inspect-replay-state"),
            "data-state",
            |s| s == "failed",
            WAIT,
        )
        .await;
    let said = browser.text(&testid("inspect-replay-state")).await;
    assert!(said.contains("line 2: field \"base64\""), "{said}");
    choose_file(&browser, "not.jsonl", "hello").await;
    browser
        .wait_text(
            &testid("inspect-replay-state"),
            |t| t.contains("not a rill recording"),
            WAIT,
        )
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_recording_replays_into_the_clock_view() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(&app, &format!("{}/stream", app.url), ""))
        .await;
    wait_events(&browser, 3, WAIT).await;
    browser.click(&testid("inspect-stop")).await;
    let live = events(&browser).await;
    let saved = save_recording(&browser).await;
    browser.close().await;
    let last = live.last().map(|e| e.2.clone()).unwrap_or_default();

    let (served, _dir) = app_with_files(&[("clock.jsonl", &saved)]);
    let browser = Browser::start().await;
    for speed in ["fast", "recorded"] {
        browser
            .goto(&format!(
                "{}/?view=clock&replay=/clock.jsonl&speed={speed}",
                served.url
            ))
            .await;
        wait_replay_done(&browser, &testid("clock-replay"), LONG).await;
        assert_eq!(
            browser.text(&testid("clock-time")).await,
            last,
            "speed={speed}"
        );
        assert_eq!(
            browser.text(&testid("clock-events")).await,
            live.len().to_string(),
            "speed={speed}"
        );
    }
    assert_eq!(
        served.open_streams(),
        0,
        "a replay opens no stream to the feed"
    );
    browser.screenshot("replay-clock-light").await;
    browser.close().await;
}

/// A recorded OpenAI chat reply: its reads cut inside "é" and "ö", as a network may.
fn chat_recording() -> String {
    let reads: [&[u8]; 4] = [
        b"data: {\"choices\":[{\"delta\":{\"content\":\"H\xc3",
        b"\xa9llo w\xc3",
        b"\xb6rld\"}}]}\n\n",
        b"data: [DONE]\n\n",
    ];
    let mut out = String::from(
        "{\"format\":\"rill-recording\",\"version\":1,\"url\":\"/v1/chat/completions\",\"method\":\"POST\",\"headers\":[[\"Content-Type\",\"application/json\"]],\"body\":\"{}\",\"body_format\":\"sse\",\"cross_origin\":false,\"removed_headers\":[\"authorization\"],\"cut\":false}\n{\"t\":0,\"step\":\"request\"}\n{\"t\":3,\"step\":\"response\",\"status\":200,\"headers\":[[\"content-type\",\"text/event-stream\"]]}\n",
    );
    for (n, bytes) in reads.iter().enumerate() {
        out.push_str(&format!(
            "{{\"t\":{},\"step\":\"read\",\"base64\":\"{}\"}}\n",
            10 + n * 200,
            base64(bytes)
        ));
    }
    out.push_str("{\"t\":900,\"step\":\"end\",\"end\":\"server-closed\"}\n");
    out
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_chat_reply_replays_as_a_reply() {
    let (served, _dir) = app_with_files(&[("reply.jsonl", &chat_recording())]);
    let browser = Browser::start().await;
    for speed in ["recorded", "fast"] {
        browser
            .goto(&format!(
                "{}/?view=chat&format=openai&replay=/reply.jsonl&speed={speed}",
                served.url
            ))
            .await;
        let parts = browser.last_reply_parts().await;
        assert_eq!(parts["answer"], "Héllo wörld", "speed={speed}: {parts}");
    }
    browser.screenshot("replay-chat-light").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_record_panel_has_no_axe_violations_and_takes_the_keyboard() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    let mut found = Vec::new();
    for (theme, lang, width) in [
        ("light", "en", None),
        ("dark", "en", None),
        ("light", "zh", None),
        ("dark", "zh", Some(390)),
    ] {
        if let Some(w) = width {
            browser.set_viewport(w, 844).await;
        }
        browser
            .goto(&inspect_url(
                &app,
                &format!("{}/demo/ticker?rate=20&count=5", app.url),
                &format!("&theme={theme}&lang={lang}"),
            ))
            .await;
        wait_events(&browser, 5, WAIT).await;
        let saved = save_recording(&browser).await;
        set_fast(&browser).await;
        choose_file(&browser, "ticker.jsonl", &saved).await;
        wait_replay_done(&browser, &testid("inspect-replay-state"), WAIT).await;
        browser
            .js("document.querySelector('.rill-inspect-record').scrollIntoView();")
            .await;
        let name = format!(
            "replay-panel-{theme}-{lang}{}",
            if width.is_some() { "-390" } else { "" }
        );
        browser.screenshot(&name).await;
        found.extend(browser.axe_violations(&name).await);
    }
    assert!(found.is_empty(), "{found:#?}");
    // The file chooser and the speed are reachable by keyboard.
    let focusable = browser
        .js(
            "const f = document.querySelector('[data-testid=inspect-replay-file]');
             f.focus(); const a = document.activeElement === f;
             const s = document.querySelector('[data-testid=inspect-replay-speed]');
             s.focus(); return a && document.activeElement === s;",
        )
        .await;
    assert_eq!(focusable, true);
    browser.close().await;
}
