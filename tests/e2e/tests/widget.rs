//! The embeddable chat widget (`embed.js`), end to end, across four origins:
//! - A: the host page (a small server in this file, so it can send any CSP),
//! - B: the widget (rill-server `--dist`, framed only by A: `--frame-ancestors`),
//! - C: the chat backend (rill-server's demo model, `--cors-origin B`),
//! - D: a foreign page framed by the host, posting messages it must not be able to use.
//!
//! Checked: the launcher, no iframe before the first open, focus into the panel and back,
//! a streamed reply in the frame and the `reply` event on the host, `window.rill.send`, Esc
//! (inside the frame and on the launcher), hostile host CSS, messages from other origins
//! ignored both ways, a strict host CSP with no violation anywhere, a phone's full-screen
//! panel; screenshots closed, open (light and dark) and at 390×844.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use fantoccini::elements::Element;
use fantoccini::Locator;
use rill_e2e::{poll, testid, Browser, RillServer, WAIT};
use serde_json::{json, Value};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
const USER: &str = "[data-testid=\"message\"][data-role=\"user\"]";
const WIDGET: &str = "rill-chat-widget";

/// Pages of a small server: path → (HTML or CSS, the CSP header if any).
type Pages = Arc<Mutex<HashMap<String, (String, Option<String>)>>>;

/// A server for `pages` on a free port; runs until the task is aborted.
async fn page_server(pages: Pages) -> (tokio::task::JoinHandle<()>, String) {
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let pages = pages.clone();
        async move {
            let path = req.uri().path().to_string();
            let found = pages.lock().ok().and_then(|p| p.get(&path).cloned());
            let Some((body, csp)) = found else {
                return Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Body::from("Not Found"))
                    .unwrap_or_default();
            };
            let kind = if path.ends_with(".css") {
                "text/css"
            } else {
                "text/html; charset=utf-8"
            };
            let mut answer = Response::builder()
                .header(header::CONTENT_TYPE, kind)
                .header(header::CACHE_CONTROL, "no-store");
            if let Some(csp) = csp {
                answer = answer.header("content-security-policy", csp);
            }
            answer.body(Body::from(body)).unwrap_or_default()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a page server");
    let addr = listener.local_addr().expect("page server address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (task, format!("http://{addr}"))
}

/// The four origins, each stopped on drop.
struct Sites {
    host: String,
    host_pages: Pages,
    widget: RillServer,
    backend: RillServer,
    foreign: String,
    foreign_pages: Pages,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Sites {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

const HOSTILE_CSS: &str = "* { all: unset } div { display: none !important } \
    html { font-size: 40px } iframe, button { display: none !important; visibility: hidden !important } \
    body > * { opacity: 0.2 !important; transform: scale(3) !important }";

/// A foreign page (origin D) that tries to drive the widget and to fool the host.
const FOREIGN_PAGE: &str = "<!doctype html><html lang=en><head><meta charset=utf-8><title>Foreign</title></head><body>foreign</body></html>";

impl Sites {
    async fn start() -> Sites {
        let host_pages: Pages = Arc::default();
        let (host_task, host) = page_server(host_pages.clone()).await;
        let foreign_pages: Pages = Arc::default();
        foreign_pages
            .lock()
            .expect("pages")
            .insert("/foreign.html".into(), (FOREIGN_PAGE.into(), None));
        let (foreign_task, foreign) = page_server(foreign_pages.clone()).await;
        let dist = rill_e2e::dist_dir();
        let widget = RillServer::start(
            "127.0.0.1:0",
            &[
                "--dist",
                dist.to_str().expect("utf-8 path"),
                "--frame-ancestors",
                &host,
            ],
        );
        let backend = RillServer::start(
            "127.0.0.1:0",
            &["--rate", "400", "--cors-origin", &widget.url],
        );
        Sites {
            host,
            host_pages,
            widget,
            backend,
            foreign,
            foreign_pages,
            tasks: vec![host_task, foreign_task],
        }
    }

    /// Adds a host page at `path` embedding the widget with `attrs` (besides the endpoint),
    /// with `extra` in its body, served with `csp`.
    fn host_page(
        &self,
        path: &str,
        attrs: &str,
        head: &str,
        extra: &str,
        csp: Option<&str>,
    ) -> String {
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Host page</title>{head}</head>\
             <body><main><h1>A host page</h1><div><p>Its own text, in its own style.</p></div></main>{extra}\
             <script src=\"{widget}/embed.js\" data-endpoint=\"{backend}/v1/chat/completions\" {attrs} async></script>\
             </body></html>",
            widget = self.widget.url,
            backend = self.backend.url,
        );
        self.host_pages
            .lock()
            .expect("pages")
            .insert(path.into(), (html, csp.map(str::to_string)));
        format!("{}{path}", self.host)
    }

    fn host_css(&self, path: &str, css: &str) {
        self.host_pages
            .lock()
            .expect("pages")
            .insert(path.into(), (css.into(), None));
    }
}

/// Records every CSP violation of every document (host and frames) in
/// `window.__cspViolations`, from before the documents' own scripts run.
const CSP_HOOK: &str = "window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
    });";

async fn csp_hook(browser: &Browser) {
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": CSP_HOOK }),
        )
        .await
        .expect("install the CSP violation hook");
}

/// `el` in the widget's shadow root, from JavaScript.
fn shadow(css: &str) -> String {
    format!("document.querySelector('{WIDGET}')?.shadowRoot?.querySelector('{css}')")
}

/// Waits for the launcher; records the host API's events in `window.__events`.
async fn load_host(browser: &Browser, url: &str) {
    browser.goto(url).await;
    let launcher = shadow("[data-testid=rill-launcher]");
    poll("the launcher", WAIT, || async {
        (browser.js(&format!("return !!{launcher}")).await == json!(true)).then_some(())
    })
    .await;
    browser
        .js("window.__events = [];
             for (const t of ['ready', 'open', 'close', 'reply'])
               window.rill.on(t, (d) => window.__events.push([t, d]));
             return null")
        .await;
}

async fn shadow_el(browser: &Browser, css: &str) -> Element {
    let host = browser
        .client
        .find(Locator::Css(WIDGET))
        .await
        .expect("the widget element");
    let root = host.shadow_root().await.expect("an open shadow root");
    poll(&format!("{css} in the widget"), WAIT, || async {
        root.find(Locator::Css(css)).await.ok()
    })
    .await
}

async fn events(browser: &Browser, kind: &str) -> Vec<Value> {
    let all = browser.js("return window.__events").await;
    all.as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e[0] == kind)
                .map(|e| e[1].clone())
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_event(browser: &Browser, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
    poll(&format!("a {kind} event"), WAIT, || async {
        events(browser, kind).await.into_iter().find(|e| pred(e))
    })
    .await
}

async fn expanded(browser: &Browser) -> String {
    browser
        .js(&format!(
            "return {}.getAttribute('aria-expanded')",
            shadow("[data-testid=rill-launcher]")
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Clicks the launcher as a user would (WebDriver's pointer, at its place on screen).
async fn click_launcher(browser: &Browser) {
    shadow_el(browser, "[data-testid=rill-launcher]")
        .await
        .click()
        .await
        .expect("click the launcher");
}

/// Runs `f` inside the widget's frame, then returns to the host page.
async fn in_frame<T>(browser: &Browser, f: impl AsyncFnOnce() -> T) -> T {
    shadow_el(browser, "[data-testid=rill-frame]")
        .await
        .enter_frame()
        .await
        .expect("enter the widget's frame");
    let out = f().await;
    browser
        .client
        .enter_parent_frame()
        .await
        .expect("back to the host page");
    out
}

/// Waits in the frame for the last reply to be done with `text`.
async fn reply_done(browser: &Browser, text: &str) {
    browser
        .wait_last(
            ASSISTANT,
            "data-state",
            |t, s| s == "done" && t == text,
            WAIT,
        )
        .await;
}

/// The host opens the panel: the frame is there, the host hears `ready` and `open`, focus is
/// on the frame and, inside it, on the composer.
async fn open_and_check_focus(browser: &Browser) {
    click_launcher(browser).await;
    assert_eq!(expanded(browser).await, "true");
    wait_event(browser, "ready", |_| true).await;
    assert!(!events(browser, "open").await.is_empty());
    let focused = browser
        .js(&format!(
            "return [document.activeElement.localName, document.querySelector('{WIDGET}').shadowRoot.activeElement?.dataset.testid]"
        ))
        .await;
    assert_eq!(
        focused,
        json!([WIDGET, "rill-frame"]),
        "focus is not in the panel"
    );
    in_frame(browser, async || {
        poll("the composer to have focus", WAIT, || async {
            (browser
                .js("return document.activeElement?.dataset.testid")
                .await
                == json!("chat-input"))
            .then_some(())
        })
        .await;
    })
    .await;
}

/// axe-core on the host page (the widget's shadow root included), not descending into the
/// frame (it is another origin, checked from inside).
async fn host_axe(browser: &Browser) -> Vec<String> {
    let path = std::env::var_os("RILL_AXE_JS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            rill_e2e::workspace_root().join("target/npm/node_modules/axe-core/axe.min.js")
        });
    let axe = std::fs::read_to_string(&path).expect("axe-core (RILL_AXE_JS)");
    browser
        .client
        .execute(&axe, Vec::new())
        .await
        .expect("inject axe");
    let result = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { iframes: false, resultTypes: ['violations'] })
               .then((r) => done(r.violations.map((v) => v.id + ': ' + v.help + ' at ' +
                  v.nodes.map((n) => JSON.stringify(n.target)).join(', '))))
               .catch((e) => done(['axe threw: ' + e]));",
            Vec::new(),
        )
        .await
        .expect("axe.run");
    serde_json::from_value(result).expect("a list of violations")
}

async fn panel_rect(browser: &Browser) -> Value {
    browser
        .js(&format!(
            "const r = {}.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]",
            shadow(".panel")
        ))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_opens_streams_a_reply_tells_the_host_and_closes_on_esc() {
    let sites = Sites::start().await;
    let url = sites.host_page(
        "/plain.html",
        "data-title=\"Acme help\" data-lang=\"en\" data-theme=\"light\" data-unknown=\"nope\" data-greeting=\"Ask us anything\"",
        "",
        "",
        None,
    );
    let browser = Browser::start().await;
    load_host(&browser, &url).await;

    // Lazy: nothing of the app before the first open.
    let before = browser
        .js(&format!(
            "return [document.querySelectorAll('iframe').length, {}.querySelectorAll('iframe').length,
                     performance.getEntriesByType('resource').map(e => e.name)
                       .filter(n => n.startsWith('{}') && !n.endsWith('/embed.js'))]",
            format_args!("document.querySelector('{WIDGET}').shadowRoot"),
            sites.widget.url
        ))
        .await;
    assert_eq!(
        before,
        json!([0, 0, []]),
        "the app loaded before the first open"
    );
    let launcher = shadow_el(&browser, "[data-testid=rill-launcher]").await;
    assert_eq!(
        launcher.attr("aria-label").await.ok().flatten().as_deref(),
        Some("Chat: Acme help")
    );
    assert_eq!(expanded(&browser).await, "false");
    browser.screenshot("widget-closed").await;

    open_and_check_focus(&browser).await;
    // The frame's URL: widget mode, the host's origin, the known keys only.
    let src = shadow_el(&browser, "[data-testid=rill-frame]")
        .await
        .attr("src")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let src = url::Url::parse(&src).expect("the frame's URL");
    assert_eq!(src.origin().ascii_serialization(), sites.widget.url);
    let params: HashMap<String, String> = src.query_pairs().into_owned().collect();
    assert_eq!(params.get("embed").map(String::as_str), Some("1"));
    assert_eq!(params.get("host"), Some(&sites.host));
    assert_eq!(params.get("title").map(String::as_str), Some("Acme help"));
    assert_eq!(
        params.get("endpoint"),
        Some(&format!("{}/v1/chat/completions", sites.backend.url))
    );
    assert!(!params.contains_key("unknown"), "{params:?}");

    // A reply typed in the frame streams there, and the host hears of it.
    in_frame(&browser, async || {
        assert_eq!(
            browser.text(&testid("chat-greeting")).await,
            "Ask us anything"
        );
        assert_eq!(browser.count(".rill-header").await, 1);
        assert_eq!(
            browser
                .js("return getComputedStyle(document.querySelector('.rill-header')).display")
                .await,
            json!("none"),
            "widget mode shows no app header"
        );
        browser
            .type_into(&testid("chat-input"), "[[echo]]Hello from the widget")
            .await;
        browser.click(&testid("chat-send")).await;
        reply_done(&browser, "Hello from the widget").await;
        // The site's endpoint, and no key saved for it: no link banner in the panel.
        assert_eq!(browser.count(&testid("chat-endpoint-banner")).await, 0);
    })
    .await;
    // The chat in widget mode, inside its frame, and the host page with the open widget
    // (its shadow root; the frame itself was checked from inside) have no axe violations.
    let in_widget = in_frame(&browser, async || {
        browser.axe_violations("widget frame").await
    })
    .await;
    assert!(in_widget.is_empty(), "{}", in_widget.join("\n"));
    let on_host = host_axe(&browser).await;
    assert!(on_host.is_empty(), "{}", on_host.join("\n"));
    let reply = wait_event(&browser, "reply", |_| true).await;
    assert_eq!(
        reply,
        json!({"state": "done", "text": "Hello from the widget"})
    );
    browser.screenshot("widget-open-light").await;

    // The host API sends; the reply comes back as an event.
    browser
        .js("window.rill.send('[[echo]]Sent by the host page'); return null")
        .await;
    wait_event(&browser, "reply", |e| e["text"] == "Sent by the host page").await;
    in_frame(&browser, async || {
        reply_done(&browser, "Sent by the host page").await;
        assert_eq!(browser.count(USER).await, 2);
    })
    .await;
    // A reply that fails reaches the host with its end state, as the frame shows it.
    browser
        .js("window.rill.send('[[error:500]] fail on purpose'); return null")
        .await;
    wait_event(&browser, "reply", |e| e["state"] == "error").await;
    in_frame(&browser, async || {
        browser
            .wait_last(ASSISTANT, "data-state", |_, s| s == "error", WAIT)
            .await;
    })
    .await;
    browser
        .js("window.rill.prefill('A question to finish'); return null")
        .await;
    in_frame(&browser, async || {
        poll("the prefilled composer", WAIT, || async {
            (browser
                .js("return document.querySelector('[data-testid=chat-input]').value")
                .await
                == json!("A question to finish"))
            .then_some(())
        })
        .await;
        // Prefill fills the composer and sends nothing.
        assert_eq!(browser.count(USER).await, 3);
        // Esc inside the frame (nothing streaming, nothing open there) closes the panel.
        browser
            .client
            .find(Locator::Css(&testid("chat-input")))
            .await
            .expect("the composer")
            .send_keys("\u{E00C}")
            .await
            .expect("press Esc");
    })
    .await;
    poll("the panel to close", WAIT, || async {
        (expanded(&browser).await == "false").then_some(())
    })
    .await;
    wait_event(&browser, "close", |_| true).await;
    let state = browser
        .js(&format!(
            "return [{}.hidden, document.querySelector('{WIDGET}').shadowRoot.activeElement?.dataset.testid]",
            shadow(".panel")
        ))
        .await;
    assert_eq!(
        state,
        json!([true, "rill-launcher"]),
        "focus did not return to the launcher"
    );

    // Keyboard only: Enter on the launcher opens, Esc on the host side closes.
    let launcher = shadow_el(&browser, "[data-testid=rill-launcher]").await;
    launcher.send_keys("\u{E007}").await.expect("press Enter");
    poll("the panel to open", WAIT, || async {
        (expanded(&browser).await == "true").then_some(())
    })
    .await;
    browser
        .js(&format!(
            "{}.focus(); return null",
            shadow("[data-testid=rill-close]")
        ))
        .await;
    shadow_el(&browser, "[data-testid=rill-close]")
        .await
        .send_keys("\u{E00C}")
        .await
        .expect("press Esc");
    poll("the panel to close again", WAIT, || async {
        (expanded(&browser).await == "false").then_some(())
    })
    .await;
    // Only one frame, ever: it is kept (the conversation with it) while closed.
    assert_eq!(browser.js(&format!("return document.querySelector('{WIDGET}').shadowRoot.querySelectorAll('iframe').length")).await, json!(1));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_host_css_and_other_origins_do_not_break_or_drive_it() {
    let sites = Sites::start().await;
    sites.host_css("/hostile.css", HOSTILE_CSS);
    let foreign = format!(
        "<iframe src=\"{}/foreign.html\" title=\"Foreign\" id=\"foreign\"></iframe>",
        sites.foreign
    );
    let url = sites.host_page(
        "/hostile.html",
        "data-lang=\"zh\" data-theme=\"dark\" data-position=\"bottom-left\"",
        "<link rel=\"stylesheet\" href=\"/hostile.css\">",
        &foreign,
        None,
    );
    let browser = Browser::start().await;
    load_host(&browser, &url).await;
    // The host's CSS is in force (its own div is hidden), the launcher is not touched.
    assert_eq!(
        browser
            .js("return getComputedStyle(document.querySelector('main div')).display")
            .await,
        json!("none")
    );
    let launcher = shadow_el(&browser, "[data-testid=rill-launcher]").await;
    assert!(
        launcher.is_displayed().await.expect("displayed"),
        "the launcher is hidden"
    );
    assert_eq!(
        launcher.attr("aria-label").await.ok().flatten().as_deref(),
        Some("聊天")
    );
    let rect = launcher.rectangle().await.expect("the launcher's box");
    assert!(
        (rect.2 - 56.0).abs() < 1.0 && rect.0 < 40.0,
        "the launcher's box {rect:?}: not 56 px at the bottom left"
    );
    open_and_check_focus(&browser).await;
    let panel = panel_rect(&browser).await;
    assert_eq!(panel[2], json!(380), "panel {panel}");
    assert!(panel[3].as_f64() > Some(300.0), "panel {panel}");
    in_frame(&browser, async || {
        assert_eq!(
            browser
                .js("return document.documentElement.dataset.theme")
                .await,
            json!("dark")
        );
        assert_eq!(
            browser.js("return document.documentElement.lang").await,
            json!("zh-CN")
        );
        browser
            .type_into(&testid("chat-input"), "[[echo]]敌意的样式")
            .await;
        browser.click(&testid("chat-send")).await;
        reply_done(&browser, "敌意的样式").await;
    })
    .await;
    wait_event(&browser, "reply", |e| e["text"] == "敌意的样式").await;
    browser.screenshot("widget-open-dark-hostile").await;

    // Origin D, framed by the host, posts to the host as if it were the widget: ignored.
    browser
        .client
        .enter_frame(0)
        .await
        .expect("enter the foreign frame");
    let origin = browser
        .js("parent.postMessage({rill: 1, type: 'reply', state: 'done', text: 'forged reply'}, '*');
             parent.postMessage({rill: 1, type: 'close'}, '*');
             parent.postMessage({rill: 1, type: 'ready'}, '*');
             return location.origin")
        .await;
    browser
        .client
        .enter_parent_frame()
        .await
        .expect("back to the host");
    assert_eq!(origin, json!(sites.foreign));
    // The host itself, on its own origin but not from the frame's window: ignored too.
    browser
        .js("window.postMessage({rill: 1, type: 'reply', state: 'done', text: 'forged by the host'}, '*'); return null")
        .await;
    // A real message after the forged ones: once its reply is in, the forged ones had
    // their turn.
    browser
        .js("window.rill.send('[[echo]]after the forgeries'); return null")
        .await;
    wait_event(&browser, "reply", |e| e["text"] == "after the forgeries").await;
    let texts: Vec<Value> = events(&browser, "reply")
        .await
        .iter()
        .map(|e| e["text"].clone())
        .collect();
    assert_eq!(
        texts,
        [json!("敌意的样式"), json!("after the forgeries")],
        "a forged reply got through"
    );
    assert_eq!(
        expanded(&browser).await,
        "true",
        "a forged close got through"
    );
    assert_eq!(
        events(&browser, "ready").await.len(),
        1,
        "a forged ready got through"
    );

    // A phone: the panel is the whole screen, the reply still arrives.
    browser.set_viewport(390, 844).await;
    poll("a full-screen panel", WAIT, || async {
        let r = panel_rect(&browser).await;
        (r == json!([0, 0, 390, 844])).then_some(())
    })
    .await;
    let close = shadow_el(&browser, "[data-testid=rill-close]").await;
    assert!(close.is_displayed().await.expect("displayed"));
    browser
        .js("window.rill.send('[[echo]]on a phone'); return null")
        .await;
    wait_event(&browser, "reply", |e| e["text"] == "on a phone").await;
    browser.screenshot("widget-phone-390").await;
    close.click().await.expect("close on a phone");
    poll("the panel to close", WAIT, || async {
        (expanded(&browser).await == "false").then_some(())
    })
    .await;
    browser.screenshot("widget-phone-390-closed").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_runs_on_a_host_page_with_a_strict_csp() {
    let sites = Sites::start().await;
    let csp = format!(
        "default-src 'none'; script-src {w}; frame-src {w}; style-src 'self'; img-src 'self'",
        w = sites.widget.url
    );
    let url = sites.host_page(
        "/strict.html",
        "data-title=\"Strict\" data-lang=\"en\" data-theme=\"light\" data-accent=\"#15803d\"",
        "",
        "",
        Some(&csp),
    );
    let browser = Browser::start().await;
    csp_hook(&browser).await;
    load_host(&browser, &url).await;
    // The first thing the host does is send: the frame is made, the message waits for the
    // app's `ready` and goes then.
    assert_eq!(
        browser.js(&format!("return {}", shadow("iframe"))).await,
        Value::Null
    );
    browser
        .js("window.rill.send('[[echo]]**strict** host'); return null")
        .await;
    wait_event(&browser, "reply", |e| e["text"] == "**strict** host").await;
    assert_eq!(expanded(&browser).await, "true");
    assert_eq!(events(&browser, "ready").await.len(), 1);
    // The launcher has the accent colour: the constructed stylesheet applied under the policy.
    assert_eq!(
        browser
            .js(&format!(
                "return getComputedStyle({}).backgroundColor",
                shadow("[data-testid=rill-launcher]")
            ))
            .await,
        json!("rgb(21, 128, 61)")
    );
    in_frame(&browser, async || {
        reply_done(&browser, "strict host").await;
        assert_eq!(
            browser.js("return window.__cspViolations").await,
            json!([]),
            "the app broke its policy"
        );
    })
    .await;
    assert_eq!(
        browser.js("return window.__cspViolations").await,
        json!([]),
        "the widget broke the host's policy"
    );
    // The host's policy is in force: an inline style does not apply (and is recorded).
    let inline = browser
        .js("const s = document.createElement('style');
             s.textContent = 'h1 { color: rgb(1, 2, 3) }';
             document.head.append(s);
             return getComputedStyle(document.querySelector('h1')).color")
        .await;
    assert_ne!(
        inline,
        json!("rgb(1, 2, 3)"),
        "no CSP in force on the host page"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_takes_messages_only_from_the_host_origin_it_was_given() {
    // A widget server that origin D may frame; D frames it twice: once naming D as the host
    // (it may drive that one), once naming A (it must not drive that one, nor hear from it).
    let sites = Sites::start().await;
    let dist = rill_e2e::dist_dir();
    let open = RillServer::start(
        "127.0.0.1:0",
        &[
            "--dist",
            dist.to_str().expect("utf-8 path"),
            "--frame-ancestors",
            &sites.foreign,
        ],
    );
    let frame = |host: &str| {
        format!(
            "{}/?embed=1&lang=en&host={}&endpoint={}",
            open.url,
            rill_e2e::encode(host),
            rill_e2e::encode(&format!("{}/v1/chat/completions", open.url))
        )
    };
    let page = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Foreign</title></head><body>\
         <iframe id=mine title=mine src=\"{}\"></iframe><iframe id=theirs title=theirs src=\"{}\"></iframe></body></html>",
        frame(&sites.foreign),
        frame(&sites.host)
    );
    sites
        .foreign_pages
        .lock()
        .expect("pages")
        .insert("/two.html".into(), (page, None));
    let browser = Browser::start().await;
    browser.goto(&format!("{}/two.html", sites.foreign)).await;
    browser
        .js("window.__got = [];
             window.addEventListener('message', (e) => window.__got.push(
               [e.source === document.getElementById('mine').contentWindow ? 'mine' : 'theirs', e.data.type]));
             return null")
        .await;
    // Both frames' chats are up.
    for id in ["mine", "theirs"] {
        browser
            .client
            .find(Locator::Id(id))
            .await
            .expect("frame")
            .enter_frame()
            .await
            .expect("enter");
        browser
            .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
            .await;
        browser.client.enter_parent_frame().await.expect("back");
    }
    browser
        .js("for (const id of ['theirs', 'mine'])
               document.getElementById(id).contentWindow.postMessage(
                 {rill: 1, type: 'send', text: '[[echo]]from D to ' + id}, '*');
             return null")
        .await;
    // The frame that names D as its host answers D...
    poll("the reply from the frame D may drive", WAIT, || async {
        let got = browser.js("return window.__got").await;
        got.as_array()?
            .iter()
            .any(|m| m == &json!(["mine", "reply"]))
            .then_some(())
    })
    .await;
    // ...the one that names A took nothing from D and told D nothing.
    let got = browser.js("return window.__got").await;
    assert!(
        got.as_array()
            .is_some_and(|a| a.iter().all(|m| m[0] == "mine")),
        "the frame for host A posted to D: {got}"
    );
    browser
        .client
        .find(Locator::Id("theirs"))
        .await
        .expect("frame")
        .enter_frame()
        .await
        .expect("enter");
    assert_eq!(
        browser.count(USER).await,
        0,
        "D drove the frame made for host A"
    );
    browser.client.enter_parent_frame().await.expect("back");
    browser
        .client
        .find(Locator::Id("mine"))
        .await
        .expect("frame")
        .enter_frame()
        .await
        .expect("enter");
    reply_done(&browser, "from D to mine").await;
    browser.client.enter_parent_frame().await.expect("back");
    browser.close().await;
}

/// In widget mode a link's endpoint needs no banner while nothing is at stake, but a key
/// saved for its origin brings the banner back (and is not sent until confirmed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_mode_asks_before_using_a_saved_key_for_the_tags_endpoint() {
    let sites = Sites::start().await;
    let browser = Browser::start().await;
    let endpoint = format!("{}/v1/chat/completions", sites.backend.url);
    let app = format!(
        "{}/?embed=1&lang=en&endpoint={}",
        sites.widget.url,
        rill_e2e::encode(&endpoint)
    );
    browser.goto(&app).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    assert_eq!(browser.count(&testid("chat-endpoint-banner")).await, 0);
    browser
        .js(&format!(
            "localStorage.setItem('rill.chat.keys.v1', JSON.stringify({{keys: [{{origin: '{}', key: 'sk-widget'}}]}})); return true",
            sites.backend.url
        ))
        .await;
    browser.goto(&app).await;
    browser
        .wait_attr(
            &testid("chat-endpoint-banner"),
            "data-testid",
            |_| true,
            WAIT,
        )
        .await;
    browser.close().await;
}
