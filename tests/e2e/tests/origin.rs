//! Nothing remote runs on rill's origin.
//!
//! - A link to a test route that asks for an HTML page with a script gets no runnable HTML on
//!   the app's origin: 404 as deployed (without `--test-routes`), and with the flag plain text
//!   under `Content-Security-Policy: sandbox`.
//! - The app itself runs under the Content-Security-Policy rill-server sends (no
//!   `unsafe-inline`, no `unsafe-eval`): every view starts, styles apply, the markdown module
//!   loads, and an inline script injected into the page is refused.

use rill_e2e::{encode, testid, Browser, RillServer, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";

/// Opens `path` on `server` and reports whether a script it carried ran, and what the
/// browser took the document for.
async fn visit(browser: &Browser, server: &RillServer, path: &str) -> (bool, String, String) {
    browser.goto(&format!("{}{path}", server.url)).await;
    let v = browser
        .js(
            "return [window.__rillPwned === 1 || document.title === 'pwned',
                     document.contentType, document.body ? document.body.innerText : '']",
        )
        .await;
    (
        v[0].as_bool().unwrap_or(true),
        v[1].as_str().unwrap_or_default().to_string(),
        v[2].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_a_test_route_runs_nothing_on_the_apps_origin() {
    let payload = "<script>window.__rillPwned=1;document.title='pwned'</script><img src=x onerror=\"window.__rillPwned=1\">";
    let path = format!("/test/status/200?type=text/html&body={}", encode(payload));
    let browser = Browser::start().await;

    // As deployed: the route does not exist, and the app's page is not served in its place.
    let deployed = RillServer::app_without_test_routes();
    let (ran, kind, text) = visit(&browser, &deployed, &path).await;
    assert!(!ran, "a script ran on the app's origin (deployed)");
    assert_eq!(kind, "text/plain", "{text}");
    assert_eq!(text.trim(), "Not Found");

    // With --test-routes: plain text, sandboxed.
    let testing = RillServer::app();
    let (ran, kind, text) = visit(&browser, &testing, &path).await;
    assert!(!ran, "a script ran on the app's origin (--test-routes)");
    assert_eq!(kind, "text/plain");
    assert!(
        text.contains("<script>"),
        "the body is shown as text: {text}"
    );
    for other in [
        "image/svg+xml",
        "text/xml",
        "application/xhtml+xml",
        "TEXT/HTML; charset=utf-8",
    ] {
        let path = format!(
            "/test/status/200?type={}&body={}",
            encode(other),
            encode("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"window.__rillPwned=1\"/>")
        );
        let (ran, kind, _) = visit(&browser, &testing, &path).await;
        assert!(!ran, "{other}: a script ran");
        assert_eq!(kind, "text/plain", "{other}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_runs_under_its_content_security_policy() {
    let app = RillServer::start(
        "127.0.0.1:0",
        &[
            "--dist",
            rill_e2e::dist_dir().to_str().expect("utf-8 path"),
            "--rate",
            "0",
        ],
    );
    let browser = Browser::start().await;
    browser
        .goto(&format!("{}/?view=chat&lang=en", app.url))
        .await;
    // The loader (a file) and the chat bundle ran: the composer is there, styled.
    browser
        .wait_attr(
            &testid("chat-input"),
            "placeholder",
            |p| !p.is_empty(),
            WAIT,
        )
        .await;
    let styled = browser
        .js("return getComputedStyle(document.querySelector('[data-testid=chat-send]')).borderRadius")
        .await;
    assert_ne!(styled.as_str(), Some("0px"), "the stylesheet did not apply");
    // The markdown module loads (a dynamic import and a second wasm instance) and renders.
    browser
        .type_into(&testid("chat-input"), "[[echo]]**bold** and `code`")
        .await;
    browser.click(&testid("chat-send")).await;
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await;
    let rendered = browser
        .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             return [m.querySelectorAll('code').length, m.querySelectorAll('strong').length]")
        .await;
    assert_eq!(
        rendered,
        serde_json::json!([1, 1]),
        "markdown did not render under the CSP"
    );
    // The policy is in force: an inline script put into the page does not run.
    let inline = browser
        .js("window.__inlineRan = false;
             const s = document.createElement('script');
             s.textContent = 'window.__inlineRan = true';
             document.head.append(s);
             return window.__inlineRan")
        .await;
    assert_eq!(
        inline,
        serde_json::json!(false),
        "an inline script ran: no CSP in force"
    );
    // The feed bundle (and its separately loaded stylesheet) starts too.
    browser
        .goto(&format!("{}/?view=clock&lang=en", app.url))
        .await;
    browser
        .wait_text(&testid("clock-time"), |t| !t.trim().is_empty(), WAIT)
        .await;
    let feed_css = browser
        .js("return [...document.styleSheets].some(s => (s.href || '').endsWith('clock.css'))")
        .await;
    assert_eq!(feed_css, serde_json::json!(true));
    browser.close().await;
}
