//! Accessibility: axe-core runs in the built app on every view, in both themes and both
//! languages, and once at a phone's width; any violation fails the test with its rule, impact,
//! the elements it names and axe's summary of what is wrong.
//!
//! axe-core is installed by `./x setup` (pinned, into `target/npm`); `./x test` names its
//! `axe.min.js` in `RILL_AXE_JS`. A missing file fails the test instead of skipping it, so an
//! environment without axe cannot pass for an accessible app. One browser is reused for every
//! page, which keeps the whole file to well under a minute.

use std::path::PathBuf;

use rill_e2e::{encode, testid, workspace_root, Browser, RillServer, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
const THEMES: [&str; 2] = ["light", "dark"];
const LANGS: [&str; 2] = ["en", "zh"];

/// Reads axe-core's browser build from `RILL_AXE_JS`, else from where `./x setup` puts it.
fn axe_source() -> String {
    let path = std::env::var_os("RILL_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/npm/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing: cannot read {} ({e}). Run `./x setup` (it installs the pinned \
             axe-core into target/npm) or set RILL_AXE_JS to an axe.min.js",
            path.display()
        )
    })
}

/// Injects axe (the page's CSP does not apply to WebDriver's scripts) and runs it on the
/// whole document; returns one readable line per violation, prefixed with `page`.
async fn violations(browser: &Browser, axe: &str, page: &str) -> Vec<String> {
    browser
        .client
        .execute(axe, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("{page}: injecting axe-core failed: {e}"));
    // The result is reduced in the page, so only what the report needs crosses WebDriver.
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] })
          .then((r) => done({ ok: r.violations.map((v) => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
            })) }))
          .catch((e) => done({ error: String(e) }));";
    let result = browser
        .client
        .execute_async(script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("{page}: axe.run failed: {e}"));
    if let Some(error) = result.get("error") {
        panic!("{page}: axe.run threw: {error}");
    }
    let list = result
        .get("ok")
        .and_then(|v| v.as_array())
        .unwrap_or_else(|| panic!("{page}: unexpected axe result {result}"));
    let mut lines = Vec::new();
    for v in list {
        let field = |name: &str| {
            v.get(name)
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string()
        };
        let nodes = v
            .get("nodes")
            .and_then(|n| n.as_array())
            .cloned()
            .unwrap_or_default();
        let mut line = format!(
            "{page}: {} ({}) — {}",
            field("id"),
            field("impact"),
            field("help")
        );
        for n in &nodes {
            let target = n.get("target").and_then(|x| x.as_str()).unwrap_or("");
            let summary = n.get("summary").and_then(|x| x.as_str()).unwrap_or("");
            line.push_str(&format!(
                "\n    at {target}: {}",
                summary.replace('\n', " / ")
            ));
        }
        lines.push(line);
    }
    lines
}

/// Waits until the element matching `css` exists.
async fn present(browser: &Browser, css: &str) {
    rill_e2e::poll(&format!("{css} to exist"), WAIT, || async {
        (browser.count(css).await > 0).then_some(())
    })
    .await;
}

/// Opens `url` with the app's storage cleared: saved conversations from the previous page
/// would otherwise fill the "empty" chat. Storage is cleared on a page of the same origin that
/// is not the app (a 404), after the app has been left, so the app cannot save it back.
async fn open_fresh(browser: &Browser, app: &RillServer, url: &str) {
    browser.goto(&format!("{}/a11y-no-app", app.url)).await;
    browser
        .js("localStorage.clear(); sessionStorage.clear(); return null;")
        .await;
    browser.goto(url).await;
}

/// Visits every view in one theme and language, collecting violations into `found`.
async fn check_views(
    browser: &Browser,
    app: &RillServer,
    axe: &str,
    theme: &str,
    lang: &str,
    tag: &str,
    found: &mut Vec<String>,
) {
    let q = format!("theme={theme}&lang={lang}");
    let name = |view: &str| format!("a11y-{view}-{theme}-{lang}{tag}");

    // The empty chat.
    let chat = format!("{}/?view=chat&{q}", app.url);
    open_fresh(browser, app, &chat).await;
    present(browser, &testid("chat-input")).await;
    assert_eq!(browser.count(ASSISTANT).await, 0, "the chat is not empty");
    found.extend(violations(browser, axe, &name("chat-empty")).await);
    browser.screenshot(&name("chat-empty")).await;

    // One finished reply with markdown, and the settings panel open.
    browser
        .type_into(&testid("chat-input"), "[[echo]]hello **world**")
        .await;
    browser.click(&testid("chat-send")).await;
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await;
    browser.click(&testid("chat-settings-toggle")).await;
    present(browser, &testid("chat-api-key")).await;
    found.extend(violations(browser, axe, &name("chat-reply-settings")).await);
    browser.screenshot(&name("chat-reply-settings")).await;

    // A new chat beside the saved one: the sidebar then lists a conversation that is not the
    // current one, with its rename and delete buttons in their resting style.
    // At a phone's width the page has scrolled to the reply, and the sticky header would take
    // the click.
    browser
        .js("document.querySelector('[data-testid=\"chat-new\"]').scrollIntoView({ block: 'center' }); return null;")
        .await;
    // At a phone's width the list is a drawer behind the chat bar's "Chats" button: open it,
    // and open it again after "New chat" closed it, so axe sees the list.
    let drawer = browser
        .js(
            "const b = document.querySelector('[data-testid=\"chat-list-toggle\"]');
             return !!b && b.getBoundingClientRect().width > 0;",
        )
        .await
        .as_bool()
        == Some(true);
    if drawer {
        browser.click(&testid("chat-list-toggle")).await;
    }
    browser.click(&testid("chat-new")).await;
    if drawer {
        browser
            .wait_attr(
                &testid("chat-list-toggle"),
                "aria-expanded",
                |v| v == "false",
                WAIT,
            )
            .await;
        browser.click(&testid("chat-list-toggle")).await;
    }
    present(
        browser,
        "[data-testid=\"chat-list-item\"]:not(.rill-current) [data-testid=\"chat-delete\"]",
    )
    .await;
    found.extend(violations(browser, axe, &name("chat-new-beside-saved")).await);
    browser.screenshot(&name("chat-new-beside-saved")).await;

    // A link that points the chat at another endpoint shows its banner.
    let linked = format!(
        "{}/?view=chat&{q}&endpoint={}",
        app.url,
        encode("http://127.0.0.1:9/v1/chat/completions")
    );
    browser.goto(&linked).await;
    present(browser, &testid("chat-endpoint-banner")).await;
    found.extend(violations(browser, axe, &name("chat-endpoint-banner")).await);
    browser.screenshot(&name("chat-endpoint-banner")).await;

    // The clock, connected to the app's own feed.
    browser
        .goto(&format!("{}/?view=clock&{q}&stream=/stream", app.url))
        .await;
    browser
        .wait_attr(&testid("clock-status"), "data-state", |s| s == "open", WAIT)
        .await;
    browser
        .wait_text(&testid("clock-time"), rill_e2e::is_node_time, WAIT)
        .await;
    found.extend(violations(browser, axe, &name("clock")).await);
    browser.screenshot(&name("clock")).await;

    // The inspector.
    browser
        .goto(&format!("{}/?view=inspect&{q}", app.url))
        .await;
    present(browser, &testid("inspect-url")).await;
    found.extend(violations(browser, axe, &name("inspect")).await);
    browser.screenshot(&name("inspect")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_theme_and_language_has_no_axe_violations() {
    let axe = axe_source();
    let app = RillServer::app();
    let browser = Browser::start().await;
    let mut found = Vec::new();
    for theme in THEMES {
        for lang in LANGS {
            check_views(&browser, &app, &axe, theme, lang, "", &mut found).await;
        }
    }
    // A phone: the header and the chat's bar wrap, and the sidebar stacks above the chat.
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("set window size");
    check_views(&browser, &app, &axe, "dark", "zh", "-phone", &mut found).await;
    browser.close().await;
    assert!(
        found.is_empty(),
        "{} axe-core violations:\n{}",
        found.len(),
        found.join("\n")
    );
}
