//! The chat view, end to end: the built app and rill-server's chat endpoints (the built-in
//! demo model) in real headless Chromium, for each wire format; and the original FastAPI
//! summary server in front of rill-server's Ollama endpoint.

use std::time::Duration;

use rill_e2e::{free_port, poll, seed_dir, testid, Browser, Proc, RillServer, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
const USER: &str = "[data-testid=\"message\"][data-role=\"user\"]";
const FORMATS: [&str; 3] = ["openai", "ollama", "summary"];

/// The built app, with demo replies at 400 tokens/s.
fn app() -> RillServer {
    RillServer::app_with(&["--rate", "400"])
}

fn chat_url(app: &RillServer, format: &str) -> String {
    format!("{}/?view=chat&format={format}&lang=en", app.url)
}

/// Waits for the last reply to reach `state`; returns its text.
async fn reply_in(browser: &Browser, state: &'static str, timeout: Duration) -> String {
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == state, timeout)
        .await
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_format_streams_the_exact_reply() {
    let app = app();
    let browser = Browser::start().await;
    for format in FORMATS {
        browser.goto(&chat_url(&app, format)).await;
        let text = "Exact text: 你好, café — 1 < 2 & 3 > 2.";
        browser.send_chat(&format!("[[echo]]{text}")).await;
        let got = reply_in(&browser, "done", WAIT).await;
        if got != text {
            let html = browser
                .js("return [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop().outerHTML")
                .await;
            panic!("format {format}: {got:?} != {text:?}; DOM: {html}");
        }
        // A markdown reply from the demo model renders as markdown, not as source.
        browser.send_chat("Explain server-sent events").await;
        reply_in(&browser, "done", WAIT).await;
        let parts = browser
            .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
                 return [m.querySelectorAll('h1,h2,h3').length, m.querySelectorAll('table').length,
                         m.querySelectorAll('pre code').length, m.querySelectorAll('li').length,
                         m.textContent.includes('```'), m.textContent.includes('| ---')];")
            .await;
        assert!(parts[0].as_u64() > Some(0), "{format}: no heading: {parts}");
        assert!(parts[1].as_u64() > Some(0), "{format}: no table: {parts}");
        assert!(
            parts[2].as_u64() > Some(0),
            "{format}: no code block: {parts}"
        );
        assert!(parts[3].as_u64() > Some(0), "{format}: no list: {parts}");
        assert_eq!(parts[4], false, "{format}: fences shown as text");
        assert_eq!(parts[5], false, "{format}: table source shown as text");
        if format == "openai" {
            browser.screenshot("chat-openai-light").await;
        }
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_keeps_the_partial_reply() {
    let app = app();
    let browser = Browser::start().await;
    for format in FORMATS {
        browser.goto(&chat_url(&app, format)).await;
        browser.send_chat("[[slow]] Tell me a long story").await;
        let streaming = browser
            .wait_last(
                ASSISTANT,
                "data-state",
                |t, s| s == "streaming" && t.len() > 3,
                Duration::from_secs(20),
            )
            .await;
        assert!(
            browser.count(&testid("chat-stop")).await == 1,
            "Stop is offered while streaming"
        );
        browser.click(&testid("chat-stop")).await;
        let stopped = reply_in(&browser, "stopped", WAIT).await;
        assert!(
            stopped.starts_with(streaming.0.trim_end()),
            "{format}: partial lost: {stopped:?}"
        );
        assert_eq!(browser.count(&testid("chat-stop")).await, 0);
        // Nothing more arrives after Stop.
        let again = browser.last(ASSISTANT, "data-state").await.expect("reply");
        assert_eq!(again, (stopped.clone(), "stopped".to_string()), "{format}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_stops_and_enter_sends() {
    let app = app();
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "openai")).await;
    browser
        .type_into(&testid("chat-input"), "[[slow]] keyboard only\u{E007}")
        .await;
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && !t.is_empty(),
            Duration::from_secs(20),
        )
        .await;
    browser.type_into(&testid("chat-input"), "\u{E00C}").await;
    reply_in(&browser, "stopped", WAIT).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_stream_is_interrupted_with_partial_kept() {
    let app = app();
    let browser = Browser::start().await;
    for format in ["openai", "ollama"] {
        browser.goto(&chat_url(&app, format)).await;
        browser.click(&testid("chat-new")).await;
        browser.send_chat("[[drop:12]] Explain rivers").await;
        let text = reply_in(&browser, "interrupted", WAIT).await;
        assert!(!text.trim().is_empty(), "{format}: partial text lost");
        assert_eq!(
            browser.count(&testid("message-continue")).await,
            1,
            "{format}: Continue offered"
        );
        assert_eq!(
            browser.count(&testid("message-regenerate")).await,
            1,
            "{format}: Retry offered"
        );
        // Retry asks again and completes.
        browser.click(&testid("message-regenerate")).await;
        // (The retried prompt still carries the drop marker, so it breaks the same way.)
        reply_in(&browser, "interrupted", WAIT).await;
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_shows_status_and_message_and_input_stays_usable() {
    let app = app();
    let browser = Browser::start().await;
    for format in FORMATS {
        browser.goto(&chat_url(&app, format)).await;
        browser.send_chat("[[error:500]] fail please").await;
        reply_in(&browser, "error", WAIT).await;
        let error = browser
            .wait_text(&testid("message-error"), |t| t.contains("500"), WAIT)
            .await;
        assert!(
            error.contains("HTTP 500") && error.contains("boom"),
            "{format}: {error}"
        );
        browser.send_chat("[[echo]]still here").await;
        assert_eq!(
            reply_in(&browser, "done", WAIT).await,
            "still here",
            "{format}"
        );
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_conversations_and_interrupts_a_live_reply() {
    // A server that keeps no replies (`--max-replies 0`: no resume offer), so the reload
    // interrupts the reply; one that keeps them is reattached (`tests/resume.rs`).
    let app = RillServer::app_with(&["--rate", "400", "--max-replies", "0"]);
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "openai")).await;
    browser.send_chat("[[echo]]remember me").await;
    assert_eq!(reply_in(&browser, "done", WAIT).await, "remember me");
    browser.send_chat("[[slow]] a reply cut by a reload").await;
    let partial = browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "streaming" && t.len() > 5,
            Duration::from_secs(20),
        )
        .await
        .0;
    browser.reload().await;
    let (text, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "interrupted", WAIT)
        .await;
    assert!(
        text.starts_with(partial.trim_end()),
        "partial {partial:?} not kept: {text:?}"
    );
    assert_eq!(browser.count(USER).await, 2);
    let first = browser
        .js("return document.querySelectorAll('[data-testid=message][data-role=assistant]')[0].textContent")
        .await;
    assert_eq!(first, "remember me");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_replies_render_as_text_and_never_run() {
    let app = app();
    let browser = Browser::start().await;
    let payloads = [
        "<img src=x onerror=\"window.__xss=1\">",
        "<script>window.__xss=2</script>",
        "[click me](javascript:window.__xss=3)",
        "<svg onload=\"window.__xss=4\"><circle r=1></svg>",
        "<a href=\"javascript:window.__xss=5\">link</a>",
        "<iframe src=\"javascript:window.__xss=6\"></iframe>",
    ];
    for format in FORMATS {
        browser.goto(&chat_url(&app, format)).await;
        for payload in payloads {
            browser.send_chat(&format!("[[echo]]{payload}")).await;
            let text = reply_in(&browser, "done", WAIT).await;
            if payload.starts_with('[') {
                assert!(text.contains("click me"), "{format}: {text}");
            } else {
                assert!(
                    text.contains(payload.split('>').next().unwrap_or(payload)),
                    "{format}: {payload} → {text}"
                );
            }
        }
        // Give any injected handler every chance to run, then look.
        let check = browser
            .js("return [window.__xss === undefined,
                 document.querySelectorAll('.rill-messages img, .rill-messages script, .rill-messages svg, .rill-messages iframe').length,
                 document.querySelectorAll('.rill-messages a[href^=\"javascript\" i]').length]")
            .await;
        assert_eq!(check, serde_json::json!([true, 0, 0]), "{format}");
    }
    browser.screenshot("chat-xss").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_reply_is_never_requested_twice() {
    let app = app();
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "summary")).await;
    browser.send_chat("[[echo]]once only").await;
    assert_eq!(reply_in(&browser, "done", WAIT).await, "once only");
    let opened = |app: &RillServer| app.log_count("stream opened");
    let before = opened(&app);
    // EventSource would reconnect after its default 3 s; wait past that, then count.
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    assert_eq!(
        opened(&app),
        before,
        "the summary stream was requested again"
    );
    assert_eq!(
        browser.last(ASSISTANT, "data-state").await.map(|l| l.0),
        Some("once only".to_string())
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn original_fastapi_summary_server_through_rill_server_ollama() {
    let Some(seed) = seed_dir() else {
        eprintln!("SKIPPED original_fastapi_summary_server_through_rill_server_ollama: ../shared/seed not found");
        return;
    };
    let python = std::env::var("RILL_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_deps = std::process::Command::new(&python)
        .args(["-c", "import fastapi, uvicorn, sse_starlette, httpx"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_deps {
        eprintln!("SKIPPED original_fastapi_summary_server_through_rill_server_ollama: fastapi/uvicorn/sse-starlette/httpx not installed (./x test installs them)");
        return;
    }
    let app = app();
    let port = free_port();
    let mut cmd = std::process::Command::new(&python);
    cmd.arg(seed.join("summary_server.py"))
        .env("OLLAMA_URL", format!("{}/api/generate", app.url))
        .env("OLLAMA_MODEL", "rill-demo")
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let _summary = Proc::spawn("summary_server.py", cmd);
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    poll(
        "summary server to listen",
        Duration::from_secs(30),
        || async move {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .ok()
                .map(|_| ())
        },
    )
    .await;
    let endpoint = format!("http://127.0.0.1:{port}/gpt/summary");
    let browser = Browser::start().await;
    browser
        .goto(&format!(
            "{}&endpoint={}",
            chat_url(&app, "summary"),
            rill_e2e::encode(&endpoint)
        ))
        .await;
    // A short reply is one chunk; the original sends its last chunk twice, and rill shows
    // exactly what the server sent.
    browser.send_chat("[[echo]]short summary").await;
    let text = reply_in(&browser, "done", Duration::from_secs(30)).await;
    assert_eq!(text, "short summaryshort summary");
    // A markdown reply arrives in 100-character chunks and renders.
    browser.send_chat("Summarise server-sent events").await;
    let text = reply_in(&browser, "done", Duration::from_secs(30)).await;
    assert!(text.len() > 200, "{text}");
    // When its upstream fails, the original has already answered 200 and just closes the
    // stream: rill says no reply came instead of showing an empty "done" message.
    browser.send_chat("[[error:500]]").await;
    reply_in(&browser, "error", Duration::from_secs(30)).await;
    let error = browser
        .wait_text(&testid("message-error"), |t| !t.is_empty(), WAIT)
        .await;
    assert!(error.contains("without"), "{error}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerate_edit_and_conversation_list() {
    let app = app();
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "openai")).await;
    browser.send_chat("[[echo]]first question").await;
    assert_eq!(reply_in(&browser, "done", WAIT).await, "first question");

    // Regenerate replaces the last reply (still one reply, asked again).
    browser.click(&testid("message-regenerate")).await;

    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await;
    assert_eq!(browser.count(ASSISTANT).await, 1);

    // Editing the question truncates after it and answers the new text.
    browser.click(&testid("message-edit")).await;
    browser
        .type_into(&testid("message-edit-input"), "[[echo]]edited question")
        .await;
    browser.click(&testid("message-edit-save")).await;
    let (text, _) = browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "done" && t == "edited question",
            WAIT,
        )
        .await;
    assert_eq!(text, "edited question");
    assert_eq!(browser.count(USER).await, 1);
    assert_eq!(
        browser.last(USER, "data-role").await.map(|l| l.0),
        Some("[[echo]]edited question".to_string())
    );

    // A second conversation; the list holds both, search filters, rename and delete work.
    browser.click(&testid("chat-new")).await;
    browser.send_chat("[[echo]]about rivers").await;
    reply_in(&browser, "done", WAIT).await;
    poll("two conversations listed", WAIT, || async {
        (browser.count(&testid("chat-list-item")).await == 2).then_some(())
    })
    .await;
    browser.type_into(&testid("chat-search"), "rivers").await;
    poll("search keeps one", WAIT, || async {
        (browser.count(&testid("chat-list-item")).await == 1).then_some(())
    })
    .await;
    browser.click(&testid("chat-rename")).await;
    browser
        .type_into(&testid("chat-rename-input"), "River notes\u{E007}")
        .await;
    browser
        .wait_text(".rill-chat-title", |t| t == "River notes", WAIT)
        .await;
    // Empty the search box as a user would (WebDriver's clear sends no input event).
    browser
        .js(
            "const s = document.querySelector('[data-testid=chat-search]');
             s.value = ''; s.dispatchEvent(new Event('input', {bubbles: true})); return true;",
        )
        .await;
    poll("both listed again", WAIT, || async {
        (browser.count(&testid("chat-list-item")).await == 2).then_some(())
    })
    .await;
    // The export holds both conversations and never the API key.
    let export = browser
        .js("return localStorage.getItem('rill.chat.v1')")
        .await;
    let export = export.as_str().unwrap_or_default().to_string();
    assert!(
        export.contains("River notes") && export.contains("edited question"),
        "{export}"
    );
    // Import it back: two more conversations (ids renamed, nothing lost).
    browser
        .js(&format!(
            "const dt = new DataTransfer();
             dt.items.add(new File([{}], 'chats.json', {{type: 'application/json'}}));
             const input = document.querySelector('[data-testid=chat-import]');
             input.files = dt.files;
             input.dispatchEvent(new Event('change', {{bubbles: true}}));
             return true;",
            serde_json::to_string(&export).unwrap_or_default()
        ))
        .await;
    poll("four conversations after import", WAIT, || async {
        (browser.count(&testid("chat-list-item")).await == 4).then_some(())
    })
    .await;
    browser
        .wait_text(&testid("chat-notice"), |t| t.contains('2'), WAIT)
        .await;
    // Delete the current one.
    browser
        .click(&format!(".rill-current {}", testid("chat-delete")))
        .await;
    poll("three conversations after delete", WAIT, || async {
        (browser.count(&testid("chat-list-item")).await == 3).then_some(())
    })
    .await;
    browser.screenshot("chat-list").await;
    browser.close().await;
}

/// The markdown renderer is a module outside the page's first load: an empty chat does not
/// fetch it; typing the first question loads it, and the reply is rendered by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_module_loads_on_first_use_not_with_the_page() {
    let app = app();
    let browser = Browser::start().await;
    browser
        .goto(&format!("{}&theme=dark", chat_url(&app, "openai")))
        .await;
    let loaded =
        "return performance.getEntriesByType('resource').some(e => e.name.includes('rill-md'))";
    // Absence cannot be polled for: give a module that would load with the page 300 ms to
    // show up in the resource timings.
    browser
        .js("return new Promise(r => setTimeout(() => r(true), 300))")
        .await;
    assert_eq!(
        browser.js(loaded).await,
        false,
        "module fetched with the page"
    );
    browser.send_chat("Explain server-sent events").await;
    reply_in(&browser, "done", WAIT).await;
    assert_eq!(browser.js(loaded).await, true, "module never fetched");
    let headings = browser
        .js("return [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop().querySelectorAll('h1,h2,h3').length")
        .await;
    assert!(headings.as_u64() > Some(0), "not rendered: {headings}");
    browser.screenshot("chat-markdown-dark").await;
    browser.close().await;
}

/// Without the markdown module (a missing file, a blocked request), replies are shown in
/// full as plain text and still reach their end state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_markdown_module_replies_are_plain_text_and_complete() {
    let dist = rill_e2e::dist_dir();
    let copy = std::env::temp_dir().join(format!("rill-dist-no-markdown-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).expect("temp dist");
    copy_dir(&dist, &copy, &|name| !name.starts_with("rill-md"));
    let app = RillServer::start(
        "127.0.0.1:0",
        &[
            "--dist",
            copy.to_str().expect("utf-8 path"),
            "--rate",
            "400",
        ],
    );
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "openai")).await;
    browser
        .send_chat("[[echo]]**bold** and <img src=x onerror=alert(1)>")
        .await;
    let text = reply_in(&browser, "done", WAIT).await;
    assert_eq!(text, "**bold** and <img src=x onerror=alert(1)>");
    let images = browser
        .js("return document.querySelectorAll('img').length")
        .await;
    assert_eq!(images, 0);
    browser.close().await;
    let _ = std::fs::remove_dir_all(&copy);
}

/// Copies `from` into `to` recursively, the top-level entries whose name `keep` accepts.
fn copy_dir(from: &std::path::Path, to: &std::path::Path, keep: &dyn Fn(&str) -> bool) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name();
        if !keep(&name.to_string_lossy()) {
            continue;
        }
        let target = to.join(&name);
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("create dir");
            copy_dir(&entry.path(), &target, &|_| true);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The settings reach the request: a temperature typed in the panel is sent as a JSON number
/// (written by the browser's number formatting: the page has none of its own) in each
/// format's place for it, and the reply still streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temperature_from_the_settings_is_sent_as_a_number() {
    let app = app();
    let browser = Browser::start().await;
    for (format, expected) in [
        ("openai", r#","temperature":0.7}"#),
        ("ollama", r#""options":{"temperature":0.7}"#),
    ] {
        browser.goto(&chat_url(&app, format)).await;
        browser.click(&testid("chat-settings-toggle")).await;
        browser
            .js("const f = window.fetch; window.rillBodies = [];
                 window.fetch = (r, i) => { if (r instanceof Request && r.method === 'POST')
                   r.clone().text().then(t => window.rillBodies.push(t)); return f.call(window, r, i); };
                 const t = document.querySelector('[data-testid=chat-temperature]');
                 t.value = '0.7'; t.dispatchEvent(new Event('change', {bubbles: true})); return null")
            .await;
        browser.send_chat("[[echo]]warm").await;
        assert_eq!(reply_in(&browser, "done", WAIT).await, "warm", "{format}");
        let bodies = poll("the request body", WAIT, || async {
            let v = browser.js("return window.rillBodies").await;
            v.as_array().filter(|a| !a.is_empty()).cloned()
        })
        .await;
        let body = bodies[0].as_str().unwrap_or_default();
        assert!(body.contains(expected), "{format}: {body}");
        assert!(
            body.contains(r#""content":"[[echo]]warm""#),
            "{format}: {body}"
        );
    }
    browser.close().await;
}

/// Switching conversations shows the chosen conversation's messages only: message ids are
/// per conversation (both start at 1), so a log keyed by them alone kept the previous
/// conversation's rows for every id the two shared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_conversations_shows_only_the_chosen_ones_messages() {
    let app = app();
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "openai")).await;
    browser.send_chat("[[echo]]alpha question").await;
    assert_eq!(reply_in(&browser, "done", WAIT).await, "alpha question");
    browser.click(&testid("chat-new")).await;
    browser.send_chat("[[echo]]beta question").await;
    assert_eq!(reply_in(&browser, "done", WAIT).await, "beta question");
    for (title, shown, hidden) in [
        ("alpha", "alpha question", "beta"),
        ("beta", "beta question", "alpha"),
        ("alpha", "alpha question", "beta"),
    ] {
        browser
            .js(&format!(
                "[...document.querySelectorAll('[data-testid=chat-list-item] .rill-side-title')]
                   .find(b => b.textContent.includes('{title}')).click(); return null"
            ))
            .await;
        let text = poll(&format!("the {title} conversation shown"), WAIT, || async {
            let t = browser.text(&testid("chat-log")).await;
            (t.contains(shown) && !t.contains(hidden)).then_some(t)
        })
        .await;
        assert_eq!(browser.count(ASSISTANT).await, 1, "{text}");
    }
    browser.close().await;
}

/// Esc in the open settings closes them and gives focus back to their button (in the widget
/// it so closes the settings, not the whole panel: the bridge sees the key taken).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_closes_the_settings_and_focus_returns_to_their_button() {
    let app = app();
    let browser = Browser::start().await;
    browser.goto(&chat_url(&app, "openai")).await;
    browser.click(&testid("chat-settings-toggle")).await;
    assert_eq!(browser.count(&testid("chat-settings")).await, 1);
    browser
        .client
        .find(fantoccini::Locator::Css(&testid("chat-temperature")))
        .await
        .expect("the temperature field")
        .send_keys("\u{E00C}")
        .await
        .expect("press Esc");
    poll("the settings to close", WAIT, || async {
        (browser.count(&testid("chat-settings")).await == 0).then_some(())
    })
    .await;
    let focused = browser
        .js("return document.activeElement && document.activeElement.dataset.testid")
        .await;
    assert_eq!(focused, "chat-settings-toggle");
    browser.close().await;
}
