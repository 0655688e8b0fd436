//! `rill-bench size`: what the page actually requests, measured in headless Chromium (called by
//! `bench/size`, which also sizes the files themselves).
//!
//! `rill-server --dist DIST` serves the built app (and, beside it, a host page for the widget
//! on a second server: another origin). Each scenario starts a fresh browser (an empty cache)
//! and reads the page's own Resource Timing: `encodedBodySize` is the body as it came over the
//! network (compressed when the server sent `.gz`/`.br`), `transferSize` adds the headers.
//! Requests to the chat API and the feed are left out (they are the conversation, not the app).
//!
//! - `chat`: `?view=chat` until the chat input is usable and the page is idle;
//! - `first_reply`: then a message is sent and the reply shown (this loads the markdown module);
//! - `code_reply`: then a reply with fenced code is asked for (`[[sample:code]]`) and shown
//!   (this adds the code-and-math module; a reply without code or math never loads it);
//! - `clock`: `?view=clock` until the feed has connected;
//! - `launcher`: a host page with the widget's one script tag, until the launcher is shown;
//! - `widget_open`: then the launcher is clicked until the widget's chat input is usable (the
//!   iframe's own requests, read inside the frame).
//!
//! Each is measured twice: as Chromium asks (its `Accept-Encoding`), and with
//! `Accept-Encoding: gzip` only (through the DevTools Protocol), since the issue's budget is
//! in gzip.
//!
//! ```text
//! rill-bench size --dist DIR --json FILE
//! ```

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::elements::{Element, ElementRef};
use fantoccini::{Client, Locator};
use rill_e2e::{poll, Browser, RillServer};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);
const APP_INPUT: &str = r#"[data-testid="chat-input"]"#;
const APP_SEND: &str = r#"[data-testid="chat-send"]"#;
const APP_REPLY: &str = r#"[data-testid="message"][data-role="assistant"]"#;

/// Every request the page made (the navigation first), as `[name, encoded, transfer]`, without
/// the API and feed requests.
const ENTRIES_JS: &str = "
    const keep = (e) => !/\\/(v1|api|gpt|stream|demo|test)(\\/|\\?|$)/.test(new URL(e.name).pathname);
    const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return all.filter(keep).map(e => [new URL(e.name).pathname + new URL(e.name).search, e.encodedBodySize, e.transferSize]);
";
const SETTLE_JS: &str = "const done = arguments[0];
    requestAnimationFrame(() => requestAnimationFrame(() =>
        requestIdleCallback(() => done(true), { timeout: 2000 })));";

struct Args {
    dist: PathBuf,
    json: PathBuf,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut dist, mut json) = (None, None);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--dist" => dist = Some(PathBuf::from(value)),
            "--json" => json = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(Args {
        dist: dist.ok_or("--dist DIR is required")?,
        json: json.ok_or("--json FILE is required")?,
    })
}

pub async fn main(args: impl Iterator<Item = String>) -> Result<(), String> {
    let args = parse(args)?;
    let dist = args.dist.to_str().ok_or("the dist path is not UTF-8")?;
    // The widget's host page, on another origin (a plain static server on another port: a
    // host page served by rill-server would carry the app's own CSP), which the app's server
    // lets frame it.
    let host_port = rill_e2e::free_port();
    let host_origin = format!("http://127.0.0.1:{host_port}");
    let app = RillServer::start_without_test_routes(
        "127.0.0.1:0",
        &["--dist", dist, "--frame-ancestors", &host_origin],
    );
    let host_dir = std::env::temp_dir().join(format!("rill-bench-size-{}", std::process::id()));
    std::fs::create_dir_all(&host_dir).map_err(|e| e.to_string())?;
    // Measured once the dist has a widget (its script adds the launcher).
    let has_widget = std::fs::read_to_string(args.dist.join("embed.js"))
        .is_ok_and(|js| js.contains("rill-launcher"));
    std::fs::write(
        host_dir.join("index.html"),
        format!(
            "<!doctype html><html lang=en><meta charset=utf-8><title>host</title>\
             <p>A host page.</p><script src=\"{}/embed.js\" data-endpoint=\"{}/v1/chat/completions\" \
             data-format=\"openai\" async></script>",
            app.url, app.url
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut cmd = std::process::Command::new("python3");
    cmd.args([
        "-m",
        "http.server",
        "--bind",
        "127.0.0.1",
        &host_port.to_string(),
    ])
    .current_dir(&host_dir)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    let _host_server = rill_e2e::Proc::spawn("python3 -m http.server", cmd);
    poll("the host page's server", WAIT, || async {
        std::net::TcpStream::connect(("127.0.0.1", host_port)).ok()
    })
    .await;

    let mut out = serde_json::Map::new();
    for gzip_only in [false, true] {
        let key = if gzip_only { "gzip" } else { "browser" };
        let mut runs = serde_json::Map::new();
        let (chat, reply, code) = chat_and_reply(&app, gzip_only).await?;
        runs.insert("chat".into(), chat);
        runs.insert("first_reply".into(), reply);
        runs.insert("code_reply".into(), code);
        runs.insert("clock".into(), clock(&app, gzip_only).await?);
        if has_widget {
            let (launcher, open) = widget(&host_origin, gzip_only).await?;
            runs.insert("launcher".into(), launcher);
            runs.insert("widget_open".into(), open);
        }
        out.insert(key.into(), Value::Object(runs));
    }
    let _ = std::fs::remove_dir_all(&host_dir);
    let text = serde_json::to_string_pretty(&Value::Object(out)).map_err(|e| e.to_string())?;
    std::fs::write(&args.json, text + "\n").map_err(|e| format!("{}: {e}", args.json.display()))?;
    eprintln!("rill-bench size: wrote {}", args.json.display());
    Ok(())
}

async fn fresh(gzip_only: bool) -> Result<Browser, String> {
    let browser = Browser::start().await;
    if gzip_only {
        crate::chat::cdp(&browser.client, "Network.enable", json!({})).await?;
        crate::chat::cdp(
            &browser.client,
            "Network.setExtraHTTPHeaders",
            json!({"headers": {"Accept-Encoding": "gzip"}}),
        )
        .await?;
    }
    Ok(browser)
}

async fn entries(browser: &Browser) -> Result<Value, String> {
    browser
        .client
        .execute_async(SETTLE_JS, vec![])
        .await
        .map_err(|e| format!("settle: {e}"))?;
    browser
        .client
        .execute(ENTRIES_JS, vec![])
        .await
        .map_err(|e| format!("resource timing: {e}"))
}

async fn visible(browser: &Browser, css: &str) {
    let css = css.to_string();
    poll(&format!("{css} shown"), WAIT, || {
        let c = browser.client.clone();
        let css = css.clone();
        async move {
            match c.find(Locator::Css(&css)).await {
                Ok(el) => el.is_displayed().await.ok().filter(|d| *d),
                Err(_) => None,
            }
        }
    })
    .await;
}

async fn chat_and_reply(
    app: &RillServer,
    gzip_only: bool,
) -> Result<(Value, Value, Value), String> {
    let browser = fresh(gzip_only).await?;
    browser
        .goto(&format!("{}/?view=chat&lang=en", app.url))
        .await;
    visible(&browser, APP_INPUT).await;
    let chat = entries(&browser).await?;
    browser.type_into(APP_INPUT, "hello").await;
    browser.click(APP_SEND).await;
    browser
        .wait_attr(APP_REPLY, "data-state", |s| s == "done", WAIT)
        .await;
    let reply = entries(&browser).await?;
    browser.type_into(APP_INPUT, "[[sample:code]]").await;
    browser.click(APP_SEND).await;
    let replies = format!("{APP_REPLY}[data-state=\"done\"]");
    poll("the code reply done", WAIT, || {
        let c = browser.client.clone();
        let css = replies.clone();
        async move {
            let n = c.find_all(Locator::Css(&css)).await.ok()?.len();
            (n >= 2).then_some(())
        }
    })
    .await;
    let code = entries(&browser).await?;
    browser.close().await;
    Ok((chat, reply, code))
}

async fn clock(app: &RillServer, gzip_only: bool) -> Result<Value, String> {
    let browser = fresh(gzip_only).await?;
    browser
        .goto(&format!("{}/?view=clock&lang=en&stream=/stream", app.url))
        .await;
    browser
        .wait_attr(
            r#"[data-testid="clock-status"]"#,
            "data-state",
            |s| s == "open",
            WAIT,
        )
        .await;
    let got = entries(&browser).await?;
    browser.close().await;
    Ok(got)
}

async fn widget(host: &str, gzip_only: bool) -> Result<(Value, Value), String> {
    let browser = fresh(gzip_only).await?;
    browser.goto(&format!("{host}/")).await;
    let launcher = r#"[data-testid="rill-launcher"]"#;
    // The launcher may sit in an open shadow root.
    let find_launcher = "const q = (root) => root.querySelector(arguments[0]) ||
        [...root.querySelectorAll('*')].map(e => e.shadowRoot).filter(Boolean).map(q).find(Boolean) || null;
        return q(document);";
    let el = poll("the widget's launcher", WAIT, || {
        let c = browser.client.clone();
        async move {
            let v = c.execute(find_launcher, vec![json!(launcher)]).await.ok()?;
            as_element(&c, &v)
        }
    })
    .await;
    let launched = entries(&browser).await?;
    el.click()
        .await
        .map_err(|e| format!("click the launcher: {e}"))?;
    let frame = poll("the widget's iframe", WAIT, || {
        let c = browser.client.clone();
        async move {
            let v = c
                .execute(find_launcher, vec![json!(r#"[data-testid="rill-frame"]"#)])
                .await
                .ok()?;
            as_element(&c, &v)
        }
    })
    .await;
    frame
        .enter_frame()
        .await
        .map_err(|e| format!("enter the widget's frame: {e}"))?;
    visible(&browser, APP_INPUT).await;
    let opened = entries(&browser).await?;
    browser.close().await;
    Ok((launched, opened))
}

/// A WebDriver element reference returned by a script, as an element.
fn as_element(c: &Client, v: &Value) -> Option<Element> {
    let id = v.get("element-6066-11e4-a52e-4f735466cecf")?.as_str()?;
    Some(Element::from_element_id(
        c.clone(),
        ElementRef::from(id.to_string()),
    ))
}
