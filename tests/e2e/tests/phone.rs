//! rill on a phone (360–414 CSS px wide): every view fits its width (no sideways scrolling,
//! no element sticking out), the chat's composer stays on screen while the message list
//! scrolls, the conversation list sits behind a "Chats" button as a drawer, form fields are
//! at least 16 px (iOS zooms into smaller ones), and axe-core finds nothing with the list
//! open. Also the wide screen's settings panel, which used to squeeze the message list.

use fantoccini::key::Key;
use rill_e2e::{encode, free_port, poll, testid, Browser, RillServer, TempDir, WAIT};
use serde_json::{json, Value};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
/// A common phone (iPhone 12–15) and a small one (many Androids).
const PHONE: (u32, u32) = (390, 844);
const SMALL: (u32, u32) = (360, 740);
/// The chat's list drawer.
const TOGGLE: &str = "[data-testid=\"chat-list-toggle\"]";

fn app_in(dist: &std::path::Path) -> RillServer {
    RillServer::start(
        "127.0.0.1:0",
        &[
            "--dist",
            dist.to_str().expect("utf-8 path"),
            "--rate",
            "400",
        ],
    )
}

fn app() -> RillServer {
    app_in(&rill_e2e::dist_dir())
}

/// Opens `url` with the app's storage cleared (on a page of the same origin that is not the
/// app, so the app cannot save it back).
async fn open_fresh(browser: &Browser, app: &RillServer, url: &str) {
    browser.goto(&format!("{}/phone-no-app", app.url)).await;
    browser
        .js("localStorage.clear(); sessionStorage.clear(); return null;")
        .await;
    browser.goto(url).await;
}

async fn present(browser: &Browser, css: &str) {
    poll(&format!("{css} to exist"), WAIT, || async {
        (browser.count(css).await > 0).then_some(())
    })
    .await;
}

/// Asserts the page does not scroll sideways and no element reaches past either edge of the
/// viewport, unless an ancestor that clips or scrolls it (a code block, a table) lies inside
/// the viewport itself. Elements parked left of the page (the skip link) do not count.
async fn fits(browser: &Browser, what: &str) {
    let report = browser
        .js("const iw = window.innerWidth, root = document.documentElement;
             const name = (el) => el.tagName.toLowerCase()
               + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
               + (el.dataset && el.dataset.testid ? `[${el.dataset.testid}]` : '');
             const clipped = (el) => {
               for (let a = el.parentElement; a && a !== document.body && a !== root; a = a.parentElement) {
                 if (getComputedStyle(a).overflowX !== 'visible') {
                   const r = a.getBoundingClientRect();
                   return r.left >= -1 && r.right <= iw + 1;
                 }
               }
               return false;
             };
             const wide = [];
             for (const el of document.body.querySelectorAll('*')) {
               const r = el.getBoundingClientRect();
               if (r.width === 0 || r.height === 0 || r.right <= 0) continue;
               if ((r.right > iw + 1 || r.left < -1) && !clipped(el)) {
                 wide.push(`${name(el)} ${Math.round(r.left)}..${Math.round(r.right)}`);
               }
             }
             return { scroll: Math.max(root.scrollWidth, document.body.scrollWidth), inner: iw, wide: wide.slice(0, 8) };")
        .await;
    let scroll = report["scroll"].as_u64().unwrap_or(u64::MAX);
    let inner = report["inner"].as_u64().unwrap_or(0);
    assert!(
        scroll <= inner,
        "{what}: the page scrolls sideways ({scroll} px of content in {inner}): {report}"
    );
    assert_eq!(
        report["wide"],
        json!([]),
        "{what}: elements reach past the viewport: {report}"
    );
}

/// Asserts the chat's composer (its text field and send button) is inside the viewport and
/// the page itself does not scroll up or down (the message list does).
async fn composer_on_screen(browser: &Browser, what: &str) {
    let report = browser
        .js(
            "const box = (css) => { const r = document.querySelector(css).getBoundingClientRect();
                                    return [r.left, r.top, r.right, r.bottom]; };
             return { composer: box('.rill-composer'), input: box('[data-testid=chat-input]'),
                      page: document.scrollingElement.scrollHeight,
                      w: window.innerWidth, h: window.innerHeight };",
        )
        .await;
    let (w, h) = (
        report["w"].as_f64().unwrap_or(0.0),
        report["h"].as_f64().unwrap_or(0.0),
    );
    for part in ["composer", "input"] {
        let r: Vec<f64> = report[part]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        assert!(
            r.len() == 4 && r[0] >= -0.5 && r[1] >= -0.5 && r[2] <= w + 0.5 && r[3] <= h + 0.5,
            "{what}: the {part} is not inside the {w}x{h} viewport: {report}"
        );
    }
    let page = report["page"].as_f64().unwrap_or(f64::MAX);
    assert!(
        page <= h + 0.5,
        "{what}: the page scrolls ({page} px tall in {h}): {report}"
    );
}

async fn send(browser: &Browser, text: &str) {
    present(browser, &testid("chat-input")).await;
    // Set through the DOM: a typed newline would be Enter, which sends.
    browser
        .client
        .execute(
            "const t = document.querySelector('[data-testid=chat-input]');
             t.value = arguments[0]; t.dispatchEvent(new Event('input', { bubbles: true })); return null;",
            vec![json!(text)],
        )
        .await
        .expect("set the draft");
    browser.click(&testid("chat-send")).await;
}

async fn reply_done(browser: &Browser, replies: usize) {
    poll(&format!("reply {replies} to be done"), WAIT, || async {
        let done = browser
            .count(&format!("{ASSISTANT}[data-state=\"done\"]"))
            .await;
        (done >= replies).then_some(())
    })
    .await;
}

/// Markdown as wide as replies get: a long URL, a long word, a wide code line, a wide table.
fn wide_reply() -> String {
    let url = format!(
        "https://example.com/{}?q={}",
        "path/".repeat(30),
        "x".repeat(80)
    );
    let word = "Donaudampfschifffahrtsgesellschaftskapitän".repeat(4);
    let code = format!("let s = \"{}\";", "0123456789".repeat(20));
    let head = (1..=12).map(|i| format!("column {i}")).collect::<Vec<_>>();
    let rule = ["---"; 12];
    let row = (1..=12).map(|_| "cell".repeat(6)).collect::<Vec<_>>();
    format!(
        "[[echo]]See {url} and <{url}> now.\n\n{word}\n\n```rust\n{code}\n```\n\n| {} |\n| {} |\n| {} |\n\n> {word}\n\n- `{}`",
        head.join(" | "),
        rule.join(" | "),
        row.join(" | "),
        "y".repeat(120)
    )
}

/// Whether the element matching `css` is rendered (has a box).
async fn shown(browser: &Browser, css: &str) -> bool {
    browser
        .client
        .execute(
            "const el = document.querySelector(arguments[0]);
             if (!el) return false; const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0;",
            vec![json!(css)],
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// The focused element's `data-testid`, and whether it is inside the element with `id`.
async fn focus(browser: &Browser, id: &str) -> (String, bool) {
    let v = browser
        .client
        .execute(
            "const a = document.activeElement; const box = document.getElementById(arguments[0]);
             return [a && a.dataset ? (a.dataset.testid || a.tagName) : '', !!(a && box && box.contains(a))];",
            vec![json!(id)],
        )
        .await
        .unwrap_or(Value::Null);
    (
        v[0].as_str().unwrap_or_default().to_string(),
        v[1].as_bool().unwrap_or(false),
    )
}

async fn press_escape(browser: &Browser) {
    let el = browser
        .client
        .active_element()
        .await
        .expect("focused element");
    el.send_keys(&Key::Escape.to_string())
        .await
        .expect("press Esc");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_fits_a_phone_and_keeps_its_composer_on_screen() {
    let app = app();
    let browser = Browser::start().await;
    for (w, h) in [PHONE, SMALL] {
        browser.set_viewport(w, h).await;
        let at = |what: &str| format!("{w}x{h} {what}");
        open_fresh(&browser, &app, &format!("{}/?view=chat&lang=en", app.url)).await;
        present(&browser, &testid("chat-input")).await;
        fits(&browser, &at("empty chat")).await;
        composer_on_screen(&browser, &at("empty chat")).await;

        // A long reply: the message list scrolls, the page does not.
        send(&browser, "[[long:400]] go").await;
        reply_done(&browser, 1).await;
        fits(&browser, &at("long reply")).await;
        composer_on_screen(&browser, &at("long reply")).await;
        let scrolls = browser
            .js("const s = document.querySelector('.rill-chat-scroll'); return s.scrollHeight > s.clientHeight + 100;")
            .await;
        assert_eq!(
            scrolls,
            json!(true),
            "{}: the message list does not scroll",
            at("long reply")
        );

        // Long URLs and words, a wide code line and a wide table.
        send(&browser, &wide_reply()).await;
        reply_done(&browser, 2).await;
        fits(&browser, &at("wide reply")).await;
        composer_on_screen(&browser, &at("wide reply")).await;
        browser
            .screenshot(&format!("phone-{w}-wide-reply-end"))
            .await;
        browser
            .js("[...document.querySelectorAll('[data-role=assistant]')].pop().scrollIntoView(); return null;")
            .await;
        fits(&browser, &at("wide reply, its start")).await;
        browser.screenshot(&format!("phone-{w}-wide-reply")).await;

        // The settings panel open.
        browser.click(&testid("chat-settings-toggle")).await;
        present(&browser, &testid("chat-api-key")).await;
        fits(&browser, &at("settings open")).await;
        composer_on_screen(&browser, &at("settings open")).await;
        let list = browser
            .js("return document.querySelector('.rill-chat-scroll').getBoundingClientRect().height;")
            .await;
        assert!(
            list.as_f64().unwrap_or(0.0) >= 120.0,
            "{}: the message list is squeezed to {list} px",
            at("settings open")
        );

        // A link to another endpoint (a long host and path), with a long site title and a
        // URL warning that holds a long word.
        let link = format!(
            "{}/?view=chat&lang=en&title={}&accent={}&endpoint={}",
            app.url,
            "T".repeat(100),
            "z".repeat(150),
            encode(&format!(
                "http://a-rather-long-host-name-for-a-phone-screen.other.example/{}/v1/chat/completions",
                "segment".repeat(20)
            ))
        );
        browser.goto(&link).await;
        present(&browser, &testid("chat-endpoint-banner")).await;
        fits(&browser, &at("link banner")).await;
        composer_on_screen(&browser, &at("link banner")).await;
        browser.screenshot(&format!("phone-{w}-link-banner")).await;
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conversation_list_is_a_drawer_behind_a_button_on_a_phone() {
    let app = app();
    let browser = Browser::start().await;
    browser.set_viewport(PHONE.0, PHONE.1).await;
    open_fresh(&browser, &app, &format!("{}/?view=chat&lang=en", app.url)).await;
    present(&browser, TOGGLE).await;
    // Two conversations, so there is one to choose.
    send(&browser, "[[echo]]first").await;
    reply_done(&browser, 1).await;

    let id = browser
        .wait_attr(TOGGLE, "aria-controls", |v| !v.is_empty(), WAIT)
        .await;
    let list = format!("#{id}");
    assert_eq!(
        browser
            .wait_attr(TOGGLE, "aria-expanded", |_| true, WAIT)
            .await,
        "false"
    );
    assert!(shown(&browser, TOGGLE).await, "no Chats button on a phone");
    assert!(
        !shown(&browser, &list).await,
        "the list is open before it is asked for"
    );
    assert!(
        browser.text(TOGGLE).await.contains("Chats"),
        "the button says {:?}",
        browser.text(TOGGLE).await
    );

    // Open: the list is on screen, focus is in it; Esc closes it and focus comes back.
    browser.click(TOGGLE).await;
    browser
        .wait_attr(TOGGLE, "aria-expanded", |v| v == "true", WAIT)
        .await;
    poll("focus to move into the list", WAIT, || async {
        focus(&browser, &id).await.1.then_some(())
    })
    .await;
    assert!(shown(&browser, &list).await, "the open list has no box");
    fits(&browser, "list open").await;
    // The chat behind the open drawer is inert: Tab and screen readers stay in the drawer.
    let inert = "return document.querySelector('.rill-chat-main').inert";
    assert_eq!(
        browser.js(inert).await,
        true,
        "the chat behind the drawer is inert"
    );
    press_escape(&browser).await;
    browser
        .wait_attr(TOGGLE, "aria-expanded", |v| v == "false", WAIT)
        .await;
    poll("focus to return to the Chats button", WAIT, || async {
        (focus(&browser, &id).await.0 == "chat-list-toggle").then_some(())
    })
    .await;
    assert!(!shown(&browser, &list).await, "Esc left the list on screen");
    assert_eq!(browser.js(inert).await, false, "the chat is usable again");

    // Creating a conversation closes it.
    browser.click(TOGGLE).await;
    browser
        .wait_attr(TOGGLE, "aria-expanded", |v| v == "true", WAIT)
        .await;
    browser.click(&testid("chat-new")).await;
    browser
        .wait_attr(TOGGLE, "aria-expanded", |v| v == "false", WAIT)
        .await;
    poll("focus to return after a new chat", WAIT, || async {
        (focus(&browser, &id).await.0 == "chat-list-toggle").then_some(())
    })
    .await;
    assert_eq!(browser.count(ASSISTANT).await, 0, "not a new chat");

    // Choosing one closes it and shows that conversation.
    browser.click(TOGGLE).await;
    browser
        .wait_attr(TOGGLE, "aria-expanded", |v| v == "true", WAIT)
        .await;
    browser
        .click("[data-testid=\"chat-list-item\"]:not(.rill-current) .rill-side-title")
        .await;
    browser
        .wait_attr(TOGGLE, "aria-expanded", |v| v == "false", WAIT)
        .await;
    reply_done(&browser, 1).await;
    assert!(
        !shown(&browser, &list).await,
        "choosing left the list on screen"
    );

    // A click beside the open list (on the dimmed chat) closes it too.
    browser.click(TOGGLE).await;
    browser
        .wait_attr(TOGGLE, "aria-expanded", |v| v == "true", WAIT)
        .await;
    let beside = browser
        .js(
            "const el = document.elementFromPoint(window.innerWidth - 8, window.innerHeight / 2);
             const testid = el.dataset.testid; el.click(); return testid;",
        )
        .await;
    assert_eq!(
        beside,
        json!("chat-list-backdrop"),
        "beside the open list is not the dimmed chat"
    );
    browser
        .wait_attr(TOGGLE, "aria-expanded", |v| v == "false", WAIT)
        .await;

    // On a wide screen the list is a sidebar again, and there is no button.
    browser.set_viewport(1280, 900).await;
    poll("the sidebar on a wide screen", WAIT, || async {
        (shown(&browser, &list).await && !shown(&browser, TOGGLE).await).then_some(())
    })
    .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_fields_are_at_least_16px() {
    let app = app();
    let browser = Browser::start().await;
    browser.set_viewport(PHONE.0, PHONE.1).await;
    open_fresh(&browser, &app, &format!("{}/?view=chat&lang=en", app.url)).await;
    present(&browser, &testid("chat-input")).await;
    browser.click(&testid("chat-settings-toggle")).await;
    present(&browser, &testid("chat-api-key")).await;
    browser.click(TOGGLE).await;
    present(&browser, &testid("chat-search")).await;
    let sizes = || async {
        browser
            .js("return [...document.querySelectorAll('input:not([type=file]), textarea, select')]
                   .map((el) => [el.dataset.testid || el.tagName, parseFloat(getComputedStyle(el).fontSize)]);")
            .await
    };
    let chat = sizes().await;
    let clock_url = format!("{}/?view=clock&lang=en&stream=/stream", app.url);
    browser.goto(&clock_url).await;
    present(&browser, "input").await;
    let clock = sizes().await;
    for (view, list) in [("chat", &chat), ("clock", &clock)] {
        let list = list.as_array().cloned().unwrap_or_default();
        assert!(!list.is_empty(), "{view}: no fields found");
        for field in list {
            assert!(
                field[1].as_f64().unwrap_or(0.0) >= 16.0,
                "{view}: {} is {} px",
                field[0],
                field[1]
            );
        }
    }
    for id in [
        "chat-input",
        "chat-format",
        "chat-api-key",
        "chat-system",
        "chat-search",
    ] {
        assert!(
            chat.to_string().contains(id),
            "{id} was not measured: {chat}"
        );
    }
    browser.close().await;
}

/// Copies the built app into a temporary folder with a broken config.json beside it.
fn dist_with_broken_config() -> TempDir {
    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).expect("create the folder");
        for entry in std::fs::read_dir(from).expect("read the dist") {
            let entry = entry.expect("dist entry");
            let path = entry.path();
            if path.is_dir() {
                copy_dir(&path, &to.join(entry.file_name()));
            } else {
                std::fs::copy(&path, to.join(entry.file_name())).expect("copy");
            }
        }
    }
    let root = TempDir(std::env::temp_dir().join(format!(
        "rill-phone-{}-{}",
        std::process::id(),
        free_port()
    )));
    copy_dir(&rill_e2e::dist_dir(), &root.0);
    let key = "an_unknown_setting_with_a_name_longer_than_any_phone_is_wide".repeat(2);
    std::fs::write(
        root.0.join("config.json"),
        format!(
            r##"{{"{key}": 1, "theme": "plaid", "accent": "#{}"}}"##,
            "f".repeat(90)
        ),
    )
    .expect("write config.json");
    // The precompressed copies of index.html are fine; config.json has none, so it is sent
    // as written.
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_inspector_and_config_errors_fit_a_phone() {
    let app = app();
    let browser = Browser::start().await;
    for (w, h) in [PHONE, SMALL] {
        browser.set_viewport(w, h).await;
        let at = |what: &str| format!("{w}x{h} {what}");
        // A feed whose one event has a long type, id and data (long words, a long URL).
        let body = format!(
            "event: {}\nid: {}\ndata: {} https://example.com/{}\n\n",
            "type".repeat(40),
            "id".repeat(60),
            "word".repeat(200),
            "p/".repeat(100)
        );
        let stream = format!(
            "{}/test/status/200?type=text/event-stream&body={}",
            app.url,
            encode(&body)
        );
        browser
            .goto(&format!(
                "{}/?view=clock&lang=en&stream={}",
                app.url,
                encode(&stream)
            ))
            .await;
        poll("the long event in the log", WAIT, || async {
            (browser.text(".rill-log-list").await.contains("wordword")).then_some(())
        })
        .await;
        fits(&browser, &at("clock with a long event")).await;
        if (w, h) == PHONE {
            browser.screenshot("phone-clock-long-event").await;
        }

        browser
            .goto(&format!("{}/?view=inspect&lang=zh", app.url))
            .await;
        present(&browser, &testid("inspect-url")).await;
        fits(&browser, &at("inspector")).await;
    }

    let dist = dist_with_broken_config();
    let broken = app_in(&dist.0);
    browser.set_viewport(PHONE.0, PHONE.1).await;
    for view in ["chat", "clock"] {
        browser
            .goto(&format!("{}/?view={view}&lang=en", broken.url))
            .await;
        present(&browser, &testid("config-error")).await;
        fits(&browser, &format!("config error, {view}")).await;
        if view == "chat" {
            composer_on_screen(&browser, "config error, chat").await;
            browser.screenshot("phone-config-error").await;
        }
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_chat_with_its_list_open_has_no_axe_violations() {
    let app = app();
    let browser = Browser::start().await;
    browser.set_viewport(PHONE.0, PHONE.1).await;
    let mut found = Vec::new();
    for theme in ["light", "dark"] {
        for lang in ["en", "zh"] {
            let name = |what: &str| format!("phone-{what}-{theme}-{lang}");
            let url = format!("{}/?view=chat&theme={theme}&lang={lang}", app.url);
            open_fresh(&browser, &app, &url).await;
            present(&browser, TOGGLE).await;
            let shots = lang == "en" || theme == "light";
            if shots {
                browser.screenshot(&name("chat-empty")).await;
            }
            send(&browser, "Explain server-sent events").await;
            reply_done(&browser, 1).await;
            if shots {
                browser.screenshot(&name("chat-reply")).await;
            }
            browser.click(TOGGLE).await;
            browser
                .wait_attr(TOGGLE, "aria-expanded", |v| v == "true", WAIT)
                .await;
            present(&browser, "[data-testid=\"chat-list-item\"]").await;
            found.extend(browser.axe_violations(&name("list-open")).await);
            if shots {
                browser.screenshot(&name("list-open")).await;
            }
            press_escape(&browser).await;
            browser
                .wait_attr(TOGGLE, "aria-expanded", |v| v == "false", WAIT)
                .await;
            browser.click(&testid("chat-settings-toggle")).await;
            present(&browser, &testid("chat-api-key")).await;
            found.extend(browser.axe_violations(&name("settings-open")).await);
            if shots {
                browser.screenshot(&name("settings-open")).await;
            }
            if lang == "en" {
                browser
                    .goto(&format!(
                        "{}/?view=clock&theme={theme}&lang={lang}&stream=/stream",
                        app.url
                    ))
                    .await;
                browser
                    .wait_text(&testid("clock-time"), rill_e2e::is_node_time, WAIT)
                    .await;
                browser.screenshot(&name("clock")).await;
            }
        }
    }
    browser.close().await;
    assert!(
        found.is_empty(),
        "{} axe-core violations:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wide_settings_panel_leaves_the_message_list_usable() {
    let app = app();
    let browser = Browser::start().await;
    browser.set_viewport(1280, 900).await;
    open_fresh(&browser, &app, &format!("{}/?view=chat&lang=en", app.url)).await;
    send(&browser, "[[long:300]] go").await;
    reply_done(&browser, 1).await;
    browser.click(&testid("chat-settings-toggle")).await;
    present(&browser, &testid("chat-api-key")).await;
    // A reader at the latest message stays there when the panel takes its height.
    poll("the message list to stay at its end", WAIT, || async {
        let gap = browser
            .js("const s = document.querySelector('.rill-chat-scroll');
                 return s.scrollHeight - s.scrollTop - s.clientHeight;")
            .await;
        (gap.as_f64()? <= 48.0).then_some(())
    })
    .await;
    assert_eq!(
        browser.count(&testid("chat-jump")).await,
        0,
        "opening the settings offered a jump to the latest"
    );
    let sizes = browser
        .js("const h = (css) => document.querySelector(css).getBoundingClientRect().height;
             return [h('.rill-chat-scroll'), h('[data-testid=chat-settings]'), window.innerHeight];")
        .await;
    let list = sizes[0].as_f64().unwrap_or(0.0);
    let vh = sizes[2].as_f64().unwrap_or(0.0);
    assert!(
        list >= vh * 0.4,
        "the open settings leave the message list {list} px of {vh}: {sizes}"
    );
    composer_on_screen(&browser, "1280x900 settings open").await;
    fits(&browser, "1280x900 settings open").await;
    browser.screenshot("wide-settings-open").await;
    browser.close().await;
}
