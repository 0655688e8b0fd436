//! The built app as a static site: the dist folder copied under a sub-path (`/tools/rill/`) of
//! a plain static server (`python3 -m http.server`), with the backend on another origin.
//!
//! - Without config.json, every resource the page asks for is under the sub-path or on the
//!   backend, the stylesheets apply and a reply streams.
//! - A config.json beside `index.html` sets the endpoint, title, greeting, theme, language and
//!   accent colour; a URL parameter overrides one of them; its `view` picks the feed bundle.
//! - A broken config.json is named (`data-testid="config-error"`, `role="alert"`) and the app
//!   still starts with defaults for the bad fields.
//! - The same folder served with a strict Content-Security-Policy (by a small server in this
//!   file, since rill-server serves an app at `/` only) starts and streams with no violation.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{header, Method, Request, Response, StatusCode};
use rill_e2e::{encode, free_port, poll, testid, Browser, Proc, RillServer, TempDir, WAIT};
use serde_json::json;

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
const SUB_PATH: &str = "tools/rill";
/// The policy a strict host sends (the issue's): no inline script or style at all.
const STRICT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; connect-src 'self' http: https:";

/// Copies the built app into `<tmp>/tools/rill/`; returns the temporary root.
fn site_with_dist(name: &str) -> TempDir {
    let root = TempDir(std::env::temp_dir().join(format!(
        "rill-static-{name}-{}-{}",
        std::process::id(),
        free_port()
    )));
    let target = root.0.join(SUB_PATH);
    copy_dir(&rill_e2e::dist_dir(), &target);
    root
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the site folder");
    for entry in std::fs::read_dir(from).expect("read the dist folder") {
        let entry = entry.expect("dist entry");
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy a dist file");
        }
    }
}

/// Writes (or, with `None`, removes) the site's config.json. Each write gets a later
/// modification time than the one before: the static server answers a revalidation by
/// `Last-Modified`, which has whole seconds, so two writes within a second would otherwise
/// look unchanged to the browser's `no-cache` request.
fn write_config(site: &TempDir, generation: u64, text: Option<&str>) {
    let path = site.0.join(SUB_PATH).join("config.json");
    match text {
        None => {
            let _ = std::fs::remove_file(&path);
        }
        Some(text) => {
            std::fs::write(&path, text).expect("write config.json");
            let file = std::fs::File::options()
                .write(true)
                .open(&path)
                .expect("open config.json");
            file.set_modified(SystemTime::now() + Duration::from_secs(2 * generation))
                .expect("set config.json's modification time");
        }
    }
}

/// `python3 -m http.server` serving `root` on a free port of 127.0.0.1.
async fn python_server(root: &Path) -> (Proc, String) {
    let port = free_port();
    let mut cmd = std::process::Command::new("python3");
    cmd.args([
        "-m",
        "http.server",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
    ])
    .arg("--directory")
    .arg(root)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    let proc = Proc::spawn("python3 -m http.server", cmd);
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    poll("the static server to listen", WAIT, || async move {
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
            .ok()
            .map(|_| ())
    })
    .await;
    (proc, format!("http://127.0.0.1:{port}"))
}

/// A static server that sends [`STRICT_CSP`] with every file of `root`; it runs until the
/// returned task is aborted.
async fn strict_csp_server(root: &Path) -> (tokio::task::JoinHandle<()>, String) {
    let root = Arc::new(root.to_path_buf());
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let root = root.clone();
        async move { serve_file(&root, req.method(), req.uri().path()) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the CSP server");
    let addr = listener.local_addr().expect("CSP server address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (task, format!("http://{addr}"))
}

fn serve_file(root: &Path, method: &Method, path: &str) -> Response<Body> {
    let answer = |status: StatusCode, kind: &str, body: Vec<u8>| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, kind)
            .header(header::CACHE_CONTROL, "no-store")
            .header("content-security-policy", STRICT_CSP)
            .body(Body::from(body))
            .unwrap_or_default()
    };
    let not_found = || answer(StatusCode::NOT_FOUND, "text/plain", b"Not Found".to_vec());
    if method != Method::GET || path.split('/').any(|s| s == ".." || s.contains('\\')) {
        return not_found();
    }
    let mut file = root.join(path.trim_start_matches('/'));
    if path.ends_with('/') {
        file = file.join("index.html");
    }
    let Ok(bytes) = std::fs::read(&file) else {
        return not_found();
    };
    let kind = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "json" => "application/json",
        _ => "application/octet-stream",
    };
    answer(StatusCode::OK, kind, bytes)
}

/// Records every CSP violation of every document in `window.__cspViolations`, from before
/// the page's own scripts run.
const CSP_HOOK: &str = "window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
    });";

/// Opens `url` and waits for the chat; if the endpoint banner asks (an endpoint on another
/// origin than the page's), confirms it.
async fn open_chat(browser: &Browser, url: &str) {
    browser.goto(url).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    if browser.count(&testid("chat-endpoint-banner")).await > 0 {
        browser.click(&testid("chat-endpoint-confirm")).await;
        poll("the endpoint banner to go", WAIT, || async {
            (browser.count(&testid("chat-endpoint-banner")).await == 0).then_some(())
        })
        .await;
    }
}

/// Sends `[[echo]]text` and waits for the reply to be done; returns its text.
async fn echo(browser: &Browser, text: &str) -> String {
    browser
        .type_into(&testid("chat-input"), &format!("[[echo]]{text}"))
        .await;
    browser.click(&testid("chat-send")).await;
    let (reply, _) = browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await;
    reply
}

/// Forgets everything `origin` saved (conversations, settings), so the next page starts
/// with an empty chat. From a page of the origin that is not the app: the app saves its
/// conversation when its page goes (`pagehide`), which would undo a clear made under it.
async fn forget(browser: &Browser, origin: &str) {
    browser.goto(&format!("{origin}/not-the-app")).await;
    browser.js("localStorage.clear(); return null").await;
}

async fn resources(browser: &Browser) -> Vec<String> {
    let v = browser
        .js("return performance.getEntriesByType('resource').map(e => e.name)")
        .await;
    serde_json::from_value(v).expect("a list of URLs")
}

async fn js_str(browser: &Browser, script: &str) -> String {
    browser
        .js(script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dist_runs_from_a_sub_path_of_a_plain_static_server_with_config_json() {
    let site = site_with_dist("plain");
    let (_static, origin) = python_server(&site.0).await;
    let backend = RillServer::start("127.0.0.1:0", &["--rate", "0"]);
    let base = format!("{origin}/{SUB_PATH}/");
    let endpoint = format!("{}/v1/chat/completions", backend.url);
    let browser = Browser::start().await;

    // (a) No config.json: the defaults, silently; the endpoint from the URL.
    write_config(&site, 0, None);
    open_chat(
        &browser,
        &format!("{base}?lang=en&endpoint={}", encode(&endpoint)),
    )
    .await;
    let reply = echo(&browser, "hello from a sub-path").await;
    assert!(reply.contains("hello from a sub-path"), "{reply}");
    // For people, not asserted (timings are not tested): config.json is asked for beside
    // the bundle, not after it.
    let timing = browser
        .js("return performance.getEntriesByType('resource')
               .filter(e => /config\\.json|_bg\\.wasm|rill-chat[-0-9a-f]*\\.js/.test(e.name))
               .map(e => [e.name.split('/').pop(), Math.round(e.startTime), Math.round(e.responseEnd)])")
        .await;
    eprintln!("resource [name, start ms, end ms]: {timing}");
    for url in resources(&browser).await {
        assert!(
            url.starts_with(&base) || url.starts_with(&format!("{}/", backend.url)),
            "the page asked for {url}, outside {base} and the backend"
        );
    }
    let styled = js_str(
        &browser,
        "return getComputedStyle(document.querySelector('[data-testid=chat-send]')).borderRadius",
    )
    .await;
    assert_ne!(styled, "0px", "the chat's stylesheet did not apply");
    let shell = js_str(
        &browser,
        "return getComputedStyle(document.querySelector('.rill-header')).position",
    )
    .await;
    assert_eq!(shell, "sticky", "the shell's stylesheet did not apply");
    assert_eq!(browser.count(&testid("config-error")).await, 0);

    // (b) A config.json: each of its settings applies.
    let config = json!({
        "endpoint": endpoint,
        "title": "Acme help",
        "greeting": "你好，我是 Acme 的助手",
        "theme": "dark",
        "lang": "zh",
        "accent": "#cc0055",
    });
    write_config(&site, 1, Some(&config.to_string()));
    forget(&browser, &origin).await;
    browser.goto(&base).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    // The site's own config.json names its endpoint: that is no link, so no banner asks.
    assert_eq!(
        browser.count(&testid("chat-endpoint-banner")).await,
        0,
        "config.json's endpoint was treated as a link"
    );
    assert_eq!(browser.count(&testid("config-error")).await, 0);
    assert_eq!(browser.text(&testid("app-title")).await, "Acme help");
    assert_eq!(js_str(&browser, "return document.title").await, "Acme help");
    assert_eq!(browser.text(".rill-chat-title").await, "Acme help");
    assert_eq!(
        browser.text(&testid("chat-greeting")).await,
        "你好，我是 Acme 的助手"
    );
    assert_eq!(
        js_str(
            &browser,
            "return document.documentElement.getAttribute('data-theme')"
        )
        .await,
        "dark"
    );
    assert_eq!(
        js_str(&browser, "return document.documentElement.lang").await,
        "zh-CN"
    );
    let want = json!(["#cc0055", "rgb(204, 0, 85)", "rgb(255, 255, 255)"]);
    poll("the accent colour to apply", WAIT, || async {
        let accent = browser
            .js("const root = document.querySelector('.rill');
                 const send = document.querySelector('[data-testid=chat-send]');
                 return [getComputedStyle(root).getPropertyValue('--rill-accent').trim(),
                         getComputedStyle(send).backgroundColor, getComputedStyle(send).color]")
            .await;
        (accent == want).then_some(())
    })
    .await;
    let reply = echo(&browser, "configured").await;
    assert!(reply.contains("configured"), "{reply}");
    browser.screenshot("static-config-json").await;

    // A URL parameter overrides config.json; what it does not name stays the file's.
    open_chat(&browser, &format!("{base}?lang=en&title=Overridden")).await;
    assert_eq!(
        js_str(&browser, "return document.documentElement.lang").await,
        "en"
    );
    assert_eq!(browser.text(&testid("app-title")).await, "Overridden");
    assert_eq!(
        js_str(
            &browser,
            "return document.documentElement.getAttribute('data-theme')"
        )
        .await,
        "dark"
    );

    // (c) config.json's view picks the feed bundle. (The feed is a test route: those answer
    // any origin, and the clock's feed here is on the backend's origin, not the page's.)
    let stream = format!("{}/test/events?count=3&interval_ms=50", backend.url);
    let config = json!({ "view": "clock", "stream": stream, "lang": "en" });
    write_config(&site, 2, Some(&config.to_string()));
    browser.goto(&base).await;
    browser
        .wait_text(&testid("clock-events"), |n| n.trim() == "3", WAIT)
        .await;
    assert_eq!(
        js_str(
            &browser,
            "return document.querySelector('[data-testid=clock-url]').value"
        )
        .await,
        stream
    );
    let feed_css = browser
        .js("return [...document.styleSheets].some(s => (s.href || '').endsWith('clock.css'))")
        .await;
    assert_eq!(feed_css, json!(true), "the feed's stylesheet is not there");
    // The URL's view wins over the file's.
    browser.goto(&format!("{base}?view=chat")).await;
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;

    // (d) A broken config.json: named, in an alert, and the app starts with the good fields.
    let broken = r#"{"theme": "purple", "lang": "en", "greeting": "Still here", "accent": "red"}"#;
    write_config(&site, 3, Some(broken));
    forget(&browser, &origin).await;
    browser.goto(&base).await;
    let shown = browser
        .wait_text(&testid("config-error"), |t| t.contains("accent"), WAIT)
        .await;
    assert!(
        shown.contains("config.json: theme: expected system, light or dark"),
        "{shown}"
    );
    assert!(
        shown.contains("config.json: accent: expected a colour written #rgb or #rrggbb"),
        "{shown}"
    );
    let alert = browser
        .js(
            "const e = document.querySelector('[data-testid=config-error]');
             return [e.getAttribute('role'), e.getBoundingClientRect().height > 0]",
        )
        .await;
    assert_eq!(alert, json!(["alert", true]));
    assert_eq!(browser.text(&testid("chat-greeting")).await, "Still here");
    browser.screenshot("static-config-broken").await;
    assert_eq!(
        js_str(&browser, "return document.documentElement.lang").await,
        "en"
    );
    // Not JSON at all: named too, and the chat is there with every default.
    write_config(&site, 4, Some(r#"{"lang": "en",}"#));
    browser.goto(&base).await;
    let shown = browser
        .wait_text(&testid("config-error"), |t| !t.is_empty(), WAIT)
        .await;
    assert!(shown.contains("config.json: not JSON"), "{shown}");
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sub_path_runs_under_a_strict_csp() {
    let site = site_with_dist("csp");
    let (server, origin) = strict_csp_server(&site.0).await;
    let backend = RillServer::start("127.0.0.1:0", &["--rate", "0"]);
    let base = format!("{origin}/{SUB_PATH}/");
    let config = json!({
        "endpoint": format!("{}/v1/chat/completions", backend.url),
        "lang": "en",
        "accent": "#15803d",
    });
    write_config(&site, 0, Some(&config.to_string()));
    let browser = Browser::start().await;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": CSP_HOOK }),
        )
        .await
        .expect("install the CSP violation hook");

    open_chat(&browser, &base).await;
    let reply = echo(&browser, "**strict** and `safe`").await;
    assert!(reply.contains("strict"), "{reply}");
    let rendered = browser
        .js("const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             return [m.querySelectorAll('strong').length, m.querySelectorAll('code').length]")
        .await;
    assert_eq!(rendered, json!([1, 1]), "markdown did not render");
    poll("the accent colour to apply", WAIT, || async {
        let accent = js_str(
            &browser,
            "return getComputedStyle(document.querySelector('[data-testid=chat-send]')).backgroundColor",
        )
        .await;
        (accent == "rgb(21, 128, 61)").then_some(())
    })
    .await;
    assert_eq!(
        browser.js("return window.__cspViolations").await,
        json!([]),
        "the app broke the policy"
    );
    // The policy is in force: an inline script does not run (and is recorded).
    let inline = browser
        .js("window.__inlineRan = false;
             const s = document.createElement('script');
             s.textContent = 'window.__inlineRan = true';
             document.head.append(s);
             return window.__inlineRan")
        .await;
    assert_eq!(
        inline,
        json!(false),
        "an inline script ran: no CSP in force"
    );
    // The feed bundle starts under the policy too.
    browser
        .goto(&format!(
            "{base}?view=clock&stream={}",
            encode(&format!(
                "{}/test/events?count=2&interval_ms=50",
                backend.url
            ))
        ))
        .await;
    browser
        .wait_text(&testid("clock-events"), |n| n.trim() == "2", WAIT)
        .await;
    assert_eq!(browser.js("return window.__cspViolations").await, json!([]));
    browser.close().await;
    server.abort();
}

/// The app's stylesheets style only what is inside a `.rill` root: a host page that links them
/// (for the inline chat, `rill::mount_chat`) keeps its own margins and background, even with a
/// `data-theme` of its own, and an inline root is as tall as the host makes it, not the
/// viewport. The app's own page still gets its full-page rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_css_leaves_a_host_page_alone() {
    let site = site_with_dist("host-css");
    let dir = site.0.join(SUB_PATH);
    let css: Vec<String> = std::fs::read_dir(&dir)
        .expect("dist")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".css"))
        .collect();
    assert!(css.iter().any(|n| n.starts_with("shell")), "{css:?}");
    let links: String = css
        .iter()
        .map(|n| format!("<link rel=stylesheet href=\"{n}\">"))
        .collect();
    std::fs::write(
        dir.join("host.html"),
        format!(
            "<!doctype html><html data-theme=dark><head>{links}</head><body>\
             <p id=text>Host text</p><div id=box style-free><div class=\"rill rill-inline\" data-theme=light>\
             <section class=rill-chat><div class=rill-chat-main>chat</div></section></div></div></body></html>"
        ),
    )
    .expect("host page");
    let (_server, base) = python_server(&site.0).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/{SUB_PATH}/host.html")).await;
    let got = browser
        .js("const cs = (el) => getComputedStyle(el);
             const inline = document.querySelector('.rill-inline');
             document.getElementById('box').setAttribute('data-h', '1');
             return {
               bodyMargin: cs(document.body).marginTop,
               htmlBg: cs(document.documentElement).backgroundColor,
               bodyBg: cs(document.body).backgroundColor,
               pFont: cs(document.getElementById('text')).fontFamily,
               inlineHeight: inline.getBoundingClientRect().height,
               viewport: innerHeight,
             };")
        .await;
    assert_eq!(
        got["bodyMargin"], "8px",
        "the host's body keeps its margin: {got}"
    );
    assert_eq!(got["htmlBg"], "rgba(0, 0, 0, 0)", "{got}");
    assert_eq!(got["bodyBg"], "rgba(0, 0, 0, 0)", "{got}");
    let viewport = got["viewport"].as_f64().unwrap_or(0.0);
    let inline = got["inlineHeight"].as_f64().unwrap_or(0.0);
    assert!(
        inline < viewport / 2.0,
        "the inline root is not the viewport's height: {got}"
    );

    // The app's own page: no body margin, the chat at the viewport's height.
    browser
        .goto(&format!("{base}/{SUB_PATH}/?view=chat&lang=en"))
        .await;
    open_chat_ready(&browser).await;
    let margin = js_str(&browser, "return getComputedStyle(document.body).marginTop").await;
    assert_eq!(margin, "0px");
    browser.close().await;
}

async fn open_chat_ready(browser: &Browser) {
    browser
        .wait_attr(&testid("chat-input"), "data-testid", |_| true, WAIT)
        .await;
}
