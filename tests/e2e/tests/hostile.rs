//! Hostile text, every path: the corpus in `tests/e2e/corpus/xss.txt` goes through every
//! place where the app shows text it did not write (chat markdown, code blocks, links, image
//! text, conversation titles, the sidebar and its search, imported JSON, model names, HTTP
//! error bodies, the clock's event names, ids and data over both transports, URL parameter
//! warnings and the loader's error message), in real headless Chromium.
//!
//! How a payload is caught: before any page loads, Chromium is told (CDP
//! `Page.addScriptToEvaluateOnNewDocument`, through chromedriver) to replace `alert`,
//! `confirm`, `prompt` and `print` in every new document with functions that record their
//! call in `window.__xss`; every payload that could run calls one of them. After each path
//! the page is inspected: a recorded call, an attribute named `on…`, a script URL in a URL
//! attribute, or a `<script>`, `<iframe>`, `<object>`, `<embed>`, `<base>`,
//! `<meta http-equiv>` or `<form>` that the unharmed app does not render is a finding. Each
//! path also checks that the payloads' text is on screen, so a path that shows nothing
//! cannot pass. The first test proves the detector sees what it must.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, Response, StatusCode};
use fantoccini::Locator;
use futures_util::StreamExt as _;
use rill_e2e::{encode, poll, testid, Browser, RillServer, TempDir, WAIT};
use serde_json::{json, Value};

const CORPUS: &str = include_str!("../corpus/xss.txt");
const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";
/// The app shows at most this many characters of an error body (`transport::fetch`).
const ERROR_SHOWN: usize = 300;
/// The loader shows at most this many characters of the error that stopped the app.
const LOADER_SHOWN: usize = 500;

/// The payloads, tokens replaced by the characters they stand for.
fn corpus() -> Vec<String> {
    let mut out: Vec<String> = CORPUS
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| {
            l.replace("{NL}", "\n")
                .replace("{CR}", "\r")
                .replace("{TAB}", "\t")
                .replace("{NUL}", "\0")
                .replace("{SOH}", "\u{1}")
                .replace("{FF}", "\u{c}")
                .replace("{VT}", "\u{b}")
                .replace("{ZWSP}", "\u{200b}")
                .replace("{BOM}", "\u{feff}")
        })
        .collect();
    // Long nesting is written out here rather than in the file: deep structures must neither
    // trap the markdown module nor let the payload at their bottom out.
    out.push(format!(
        "{}<img src=x onerror=alert(900)>",
        "> ".repeat(300)
    ));
    out.push(format!("{}<svg onload=alert(901)>", "<div>".repeat(400)));
    out.push(format!("{}[deep](javascript:alert(902))", "- ".repeat(200)));
    out
}

/// Payloads without line breaks (for places that hold one line: titles, names, ids).
fn one_line(p: &str) -> String {
    p.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The app's conversation title for a first message (`chat::conversation::title_from`).
fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut title: String = line.chars().take(48).collect();
    if line.chars().count() > 48 {
        title.push('…');
    }
    title
}

/// Splits `items` into groups whose texts, joined by a newline, stay within `max` characters
/// (an item longer than that is a group of its own).
fn chunks(items: &[String], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for item in items {
        let n = item.chars().count();
        if !cur.is_empty() && cur.chars().count() + 1 + n > max {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(item);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The first `n` characters of `s`.
fn head(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

// ---------------------------------------------------------------------------------------
// The hook and the detector.

/// Records a call of `alert`, `confirm`, `prompt` or `print` in `window.__xss`. Installed in
/// every new document before the page's own scripts run, and again into the current one.
const HOOK: &str = r#"(() => {
  if (Array.isArray(window.__xss)) return;
  const hits = [];
  Object.defineProperty(window, "__xss", { value: hits, writable: false, configurable: false });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    const record = function (...args) {
      hits.push(name + "(" + args.map(String).join(",") + ") in " + location.href.slice(0, 80));
      return name === "confirm" ? false : null;
    };
    try { Object.defineProperty(window, name, { value: record, writable: false, configurable: false }); }
    catch (e) { hits.push("hook could not replace " + name); }
  }
})();"#;

/// A browser whose every new document gets [`HOOK`] first.
async fn hooked_browser() -> Browser {
    let browser = Browser::start().await;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": HOOK }),
        )
        .await
        .expect("install the alert hook for new documents");
    browser.js(HOOK).await;
    browser
}

/// Inspects the whole document; returns what it found. `allowed` are the signatures of the
/// elements of the forbidden kinds that the unharmed app renders itself.
const DETECT: &str = r#"
const allowed = new Set(arguments[0]);
const out = [];
if (!Array.isArray(window.__xss)) out.push("the alert hook is missing from this document");
else for (const h of window.__xss) out.push("payload ran: " + h);
const URL_ATTRS = ["href", "src", "action", "formaction", "xlink:href", "data", "poster",
  "background", "dynsrc", "lowsrc", "srcset", "ping", "codebase", "cite", "manifest"];
const SCRIPT_URL = /^(javascript|vbscript|livescript):|^data:(text\/html|image\/svg\+xml|application\/xhtml)/;
const FORBIDDEN = new Set(["script", "iframe", "frame", "frameset", "object", "embed", "applet",
  "base", "form", "portal"]);
const sig = (el) => el.localName + " " + [...el.attributes].map((a) => a.name + "=" + a.value)
  .sort().join(" ") + (el.localName === "script" ? " #" + el.textContent.length : "");
const show = (el) => el.outerHTML.slice(0, 160);
for (const el of document.querySelectorAll("*")) {
  for (const a of el.attributes) {
    const n = a.name.toLowerCase();
    if (n.startsWith("on")) out.push("on* attribute " + n + " on " + show(el));
    if (URL_ATTRS.includes(n) || n.endsWith(":href")) {
      const v = a.value.replace(/[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028\u2029\u205f\u3000\ufeff]/g, "").toLowerCase();
      if (SCRIPT_URL.test(v)) out.push("script URL in " + n + " of " + show(el));
    }
    if (n === "srcdoc") out.push("srcdoc on " + show(el));
    if (n === "style" && /javascript:|expression\s*\(|behavior\s*:|-moz-binding/i.test(a.value))
      out.push("script in a style attribute of " + show(el));
  }
  const kind = el.localName.toLowerCase();
  const forbidden = FORBIDDEN.has(kind) || (kind === "meta" && el.hasAttribute("http-equiv"));
  if (forbidden && !allowed.has(sig(el))) out.push("element the app does not render: " + show(el));
}
return out;"#;

/// The signatures of the forbidden kinds of element on the current page (an unharmed one).
const SIGNATURES: &str = r#"
const sig = (el) => el.localName + " " + [...el.attributes].map((a) => a.name + "=" + a.value)
  .sort().join(" ") + (el.localName === "script" ? " #" + el.textContent.length : "");
return [...document.querySelectorAll("script, iframe, frame, frameset, object, embed, applet, base, form, portal, meta[http-equiv]")].map(sig);"#;

/// What the detector found on the current page, plus a changed location (a payload that
/// navigated). Empty means clean.
async fn inspect(browser: &Browser, allowed: &BTreeSet<String>, origin: &str) -> Vec<String> {
    let allowed: Vec<&String> = allowed.iter().collect();
    let found = browser
        .client
        .execute(DETECT, vec![json!(allowed)])
        .await
        .expect("run the detector");
    let mut out: Vec<String> = found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| vec![format!("the detector answered {found}")]);
    let here = browser
        .client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    if !here.starts_with(origin) {
        out.push(format!("the page navigated away to {here}"));
    }
    out
}

/// Collected findings of one test, each named by its path; the test fails at its end with
/// all of them, so one run reports every hole.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    async fn check(
        &mut self,
        browser: &Browser,
        allowed: &BTreeSet<String>,
        origin: &str,
        path: &str,
    ) {
        let found = inspect(browser, allowed, origin).await;
        println!("hostile: {path}: {} finding(s)", found.len());
        self.0
            .extend(found.into_iter().map(|f| format!("{path}: {f}")));
    }

    /// A payload's text that should be on screen and is not.
    fn missing(&mut self, path: &str, what: &str, wanted: &str) {
        self.0.push(format!(
            "{path}: not shown as text ({what}): {:?}",
            head(wanted, 120)
        ));
    }

    fn assert_none(self, what: &str) {
        assert!(
            self.0.is_empty(),
            "{what}: {} finding(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// The forbidden-kind elements the unharmed app renders on `url` once `ready_css` is on
/// screen (a test adds those of further states, such as the open settings panel).
async fn baseline(browser: &Browser, url: &str, ready_css: &str) -> BTreeSet<String> {
    browser.goto(url).await;
    wait_for(browser, ready_css).await;
    signatures(browser).await
}

async fn signatures(browser: &Browser) -> BTreeSet<String> {
    browser
        .js(SIGNATURES)
        .await
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_for(browser: &Browser, css: &str) {
    poll(&format!("{css} to appear"), WAIT, || async {
        (browser.count(css).await > 0).then_some(())
    })
    .await;
}

/// Texts of every element matching `css` (`textContent`, exact).
async fn texts(browser: &Browser, css: &str) -> Vec<String> {
    browser
        .client
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);",
            vec![json!(css)],
        )
        .await
        .ok()
        .and_then(|v| {
            v.as_array().map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Driving the chat.

/// Sends `text` as the user would (the composer's input, then Enter), in one script so that
/// long and multi-line texts need no typing.
async fn send(browser: &Browser, text: &str) {
    let script = "const ta = document.querySelector('[data-testid=chat-input]');
         ta.value = arguments[0];
         ta.dispatchEvent(new Event('input', { bubbles: true }));
         ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
         return true;";
    browser
        .client
        .execute(script, vec![json!(text)])
        .await
        .expect("send a message");
}

/// Waits until there are `n` replies and the last one reached `state`.
async fn replies(browser: &Browser, n: usize, state: &'static str, timeout: Duration) {
    poll(
        &format!("{n} replies, the last one {state}"),
        timeout,
        || async {
            let v = browser
                .js(&format!(
                    "const all = document.querySelectorAll('{}');
                     return [all.length, all.length ? all[all.length - 1].getAttribute('data-state') : ''];",
                    ASSISTANT.replace('\'', "\\'")
                ))
                .await;
            let count = v.get(0).and_then(Value::as_u64).unwrap_or(0) as usize;
            let last = v.get(1).and_then(Value::as_str).unwrap_or("");
            (count >= n && last == state).then_some(())
        },
    )
    .await;
}

/// One rendered message of the log: its role, its shown text (a user message's own text,
/// a reply's body) and its error text, if any.
struct Seen {
    role: String,
    text: String,
    error: Option<String>,
}

/// The messages the log renders now, in id order.
async fn rendered_messages(browser: &Browser) -> Vec<(u64, Seen)> {
    let v = browser
        .js(
            "return [...document.querySelectorAll('article.rill-msg')].map((a) => {
               const body = a.querySelector('[data-testid=message]');
               if (!body) return null;
               const user = a.querySelector('.rill-user-text');
               const err = a.querySelector('[data-testid=message-error]');
               return [body.getAttribute('data-id'), body.getAttribute('data-role'),
                       user ? user.textContent : body.textContent,
                       err ? err.textContent : null];
             }).filter((m) => m);",
        )
        .await;
    let mut out: Vec<(u64, Seen)> = v
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|row| {
                    let id = row.get(0)?.as_str()?.parse().ok()?;
                    Some((
                        id,
                        Seen {
                            role: row.get(1)?.as_str()?.to_string(),
                            text: row.get(2)?.as_str()?.to_string(),
                            error: row.get(3).and_then(Value::as_str).map(str::to_string),
                        },
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|(id, _)| *id);
    out
}

/// Waits until every reply on screen is in an end state (`done` or `error`).
async fn all_replies_settled(browser: &Browser, timeout: Duration) {
    poll("every reply to settle", timeout, || async {
        let v = browser
            .js(&format!(
                "return [...document.querySelectorAll('{}')].every((m) => m.getAttribute('data-state') !== 'streaming');",
                ASSISTANT.replace('\'', "\\'")
            ))
            .await;
        (v == json!(true)).then_some(())
    })
    .await;
}

/// Starts a new conversation and waits until the log is empty.
async fn new_conversation(browser: &Browser) {
    browser.click(&testid("chat-new")).await;
    poll("an empty conversation", WAIT, || async {
        (browser.count(ASSISTANT).await == 0).then_some(())
    })
    .await;
}

/// Clicks "use this endpoint" when a link's endpoint waits for confirmation.
async fn confirm_endpoint(browser: &Browser) {
    wait_for(browser, &testid("chat-settings-toggle")).await;
    if browser.count(&testid("chat-endpoint-confirm")).await > 0 {
        browser.click(&testid("chat-endpoint-confirm")).await;
    }
}

/// `⟦n⟧`: a marker paragraph before each payload of a batch, so the reply's text can be
/// split per payload. It is plain text to markdown and the demo model.
fn marker(n: usize) -> String {
    format!("⟦{n:03}⟧")
}

/// Whether a payload opens an HTML block that only its closing tag ends (`<script>`,
/// `<pre>`, `<style>`, `<textarea>`); without it the block runs to the end of the message,
/// so such a payload ends its batch and every other payload starts a block of its own.
fn swallows(p: &str) -> bool {
    let lower = p.to_ascii_lowercase();
    let t = lower.trim_start();
    ["script", "pre", "style", "textarea"].iter().any(|tag| {
        t.starts_with(&format!("<{tag}"))
            && t[tag.len() + 1..].starts_with(|c: char| c == '>' || c.is_whitespace() || c == '/')
            && !lower.contains(&format!("</{tag}>"))
    })
}

/// The batches of payloads for chat messages: payloads separated by blank lines and marker
/// paragraphs, a batch ending after a payload that swallows what follows.
fn batches(payloads: &[String]) -> Vec<Vec<(usize, String)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        cur.push((i, p.clone()));
        if swallows(p) || cur.len() >= 40 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `shown` is `full`, or (for a long text, which a view may cut to a few KB) starts
/// with its first thousand characters.
fn same_or_cut(shown: &str, full: &str) -> bool {
    shown == full || (full.chars().count() > 1000 && shown.starts_with(&head(full, 1000)))
}

/// Whether `shown` is `full`, or (for a name or id longer than the clock keeps, 256 bytes)
/// starts with its first sixty characters.
fn same_or_cut_name(shown: &str, full: &str) -> bool {
    shown == full || (full.len() > 256 && shown.starts_with(&head(full, 60)))
}

/// Alphanumeric runs of `p`, longest first.
fn runs(p: &str) -> Vec<String> {
    let mut out: Vec<String> = p
        .split(|c: char| !c.is_alphanumeric())
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.chars().count()));
    out
}

/// Whether the rendered text of a payload shows it: some of its words are there (markdown
/// turns some of the payload into structure, so the exact text is not expected).
fn shows(segment: &str, p: &str) -> bool {
    let words = runs(p);
    !segment.trim().is_empty() && (words.is_empty() || words.iter().any(|w| segment.contains(w)))
}

// ---------------------------------------------------------------------------------------
// The mock remote: model lists, error bodies, a feed and a copy of the app whose bundle throws.

struct Mock {
    payloads: Vec<String>,
    /// Error texts for `{"error":{"message":…}}` and `{"error":…}` bodies.
    error_chunks: Vec<String>,
    /// Error texts for `text/html` error pages.
    html_chunks: Vec<String>,
    /// Messages for the loader's error.
    loader_chunks: Vec<String>,
    dist: PathBuf,
}

/// The last message that asks the mock for the streamed corpus.
const STREAM_PROMPT: &str = "stream-the-corpus";
/// Characters per streamed piece: small and odd, so pieces end inside tags and entities.
const STREAM_PIECE: usize = 7;

/// The text of the streamed reply: each payload after a marker paragraph.
fn streamed_text(payloads: &[String]) -> String {
    payloads
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}\n\n{p}\n\n", marker(i)))
        .collect()
}

const HTML_HEAD: &str = "<!doctype html><html><head><title>502 Bad Gateway</title></head><body>";

impl Mock {
    fn new(payloads: Vec<String>) -> Mock {
        let error_chunks = chunks(&payloads, ERROR_SHOWN - 10);
        let html_chunks = chunks(&payloads, ERROR_SHOWN - HTML_HEAD.len() - 10);
        let loader_chunks = chunks(&payloads, LOADER_SHOWN - 20);
        Mock {
            payloads,
            error_chunks,
            html_chunks,
            loader_chunks,
            dist: rill_e2e::dist_dir(),
        }
    }

    fn html_page(chunk: &str) -> String {
        format!("{HTML_HEAD}{chunk}<script>alert('html-page')</script></body></html>")
    }

    /// The SSE feed for half `half` of the payloads: a `connecttime` event, then each payload
    /// as the data and id of an unnamed event and as the name and data of a named one.
    fn feed(&self, half: usize) -> String {
        let mid = self.payloads.len().div_ceil(2);
        let part = if half == 0 {
            &self.payloads[..mid]
        } else {
            &self.payloads[mid..]
        };
        let data = |p: &str| -> String {
            p.split('\n')
                .map(|line| format!("data: {line}\n"))
                .collect::<String>()
        };
        let mut out = String::from("retry: 3600000\n\n");
        out.push_str("event: connecttime\n");
        out.push_str(&data(&part[0]));
        out.push('\n');
        for p in part {
            out.push_str(&format!("id: {}\n{}\n", one_line(p), data(p)));
            out.push_str(&format!("event: {}\n{}\n", one_line(p).trim(), data(p)));
        }
        out
    }

    /// The whole corpus as one streamed reply (marker paragraphs between the payloads), cut
    /// into pieces of a few characters so that tags, entities and URLs arrive split, as
    /// OpenAI SSE chunks or Ollama NDJSON lines.
    fn streamed_reply(&self, openai: bool) -> String {
        let text = streamed_text(&self.payloads);
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        for (k, piece) in chars.chunks(STREAM_PIECE).enumerate() {
            let piece: String = piece.iter().collect();
            let line = if openai {
                json!({ "id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
                        "choices": [{ "index": 0, "delta": { "content": piece }, "finish_reason": null }] })
            } else {
                json!({ "model": "m", "message": { "role": "assistant", "content": piece }, "done": false })
            };
            if openai {
                out.push_str(&format!("id: {k}\ndata: {line}\n\n"));
            } else {
                out.push_str(&format!("{line}\n"));
            }
        }
        if openai {
            out.push_str("data: [DONE]\n\n");
        } else {
            out.push_str(&format!(
                "{}\n",
                json!({ "model": "m", "message": { "role": "assistant", "content": "" }, "done": true })
            ));
        }
        out
    }

    fn handle(&self, method: &Method, path: &str, query: &str, body: &str) -> Response<Body> {
        let cors = |b: axum::http::response::Builder| {
            b.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
                .header(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "authorization, content-type, accept, last-event-id, cache-control",
                )
                .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
                .header(header::CACHE_CONTROL, "no-store")
        };
        let reply = |status: StatusCode, ct: &str, body: String| {
            cors(Response::builder().status(status))
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap_or_default()
        };
        let json_ct = "application/json";
        // `err-N` in a chat request's last message picks the error body N (the request
        // carries the whole conversation, so the last one counts).
        let pick = || -> usize {
            body.rsplit("err-")
                .next()
                .map(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        if method == Method::OPTIONS {
            return reply(StatusCode::NO_CONTENT, "text/plain", String::new());
        }
        match path {
            "/v1/models" => {
                let data: Vec<Value> = self
                    .payloads
                    .iter()
                    .map(|p| json!({ "id": p, "object": "model" }))
                    .collect();
                reply(
                    StatusCode::OK,
                    json_ct,
                    json!({ "object": "list", "data": data }).to_string(),
                )
            }
            "/api/tags" => {
                let models: Vec<Value> = self
                    .payloads
                    .iter()
                    .map(|p| json!({ "name": p, "model": p }))
                    .collect();
                reply(
                    StatusCode::OK,
                    json_ct,
                    json!({ "models": models }).to_string(),
                )
            }
            "/v1/chat/completions" | "/api/chat" => {
                let n = pick();
                let openai = path == "/v1/chat/completions";
                if body.rfind(STREAM_PROMPT) > body.rfind("err-") {
                    return cors(Response::builder().status(StatusCode::OK))
                        .header(
                            header::CONTENT_TYPE,
                            if openai {
                                "text/event-stream"
                            } else {
                                "application/x-ndjson"
                            },
                        )
                        .body(Body::from(self.streamed_reply(openai)))
                        .unwrap_or_default();
                }
                match self.error_chunks.get(n) {
                    Some(chunk) if openai => reply(
                        StatusCode::BAD_REQUEST,
                        json_ct,
                        json!({ "error": { "message": chunk, "type": "invalid_request_error" } })
                            .to_string(),
                    ),
                    Some(chunk) => reply(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        json_ct,
                        json!({ "error": chunk }).to_string(),
                    ),
                    None => {
                        let i = n - self.error_chunks.len();
                        let chunk = self.html_chunks.get(i).cloned().unwrap_or_default();
                        reply(
                            StatusCode::BAD_GATEWAY,
                            "text/html; charset=utf-8",
                            Mock::html_page(&chunk),
                        )
                    }
                }
            }
            "/feed" => {
                let half = usize::from(query.contains("half=1"));
                let events = self.feed(half);
                // The events, then the stream stays open: no reconnect while the test looks.
                let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(events)])
                    .chain(futures_util::stream::pending());
                cors(Response::builder().status(StatusCode::OK))
                    .header(header::CONTENT_TYPE, "text/event-stream")
                    .body(Body::from_stream(stream))
                    .unwrap_or_default()
            }
            "/feed-error" => {
                let n: usize = query
                    .split("k=")
                    .nth(1)
                    .and_then(|k| k.split('&').next())
                    .and_then(|k| k.parse().ok())
                    .unwrap_or(0);
                let chunk = self.error_chunks.get(n).cloned().unwrap_or_default();
                reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain; charset=utf-8",
                    chunk,
                )
            }
            "/runs-on-load" => reply(
                StatusCode::OK,
                "text/html; charset=utf-8",
                "<!doctype html><p>probe</p><script>alert('probe-on-load')</script>".into(),
            ),
            _ => self.loader(path),
        }
    }

    /// `/loader/N/…`: the built app, except that its chat bundle is a module that throws an
    /// error whose message is loader chunk N.
    fn loader(&self, path: &str) -> Response<Body> {
        let not_found = || {
            Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Body::empty())
                .unwrap_or_default()
        };
        // The page's own files at the root (absolute links), the rest under `/loader/N/`.
        let (n, file) = match path
            .strip_prefix("/loader/")
            .and_then(|r| r.split_once('/'))
        {
            Some((n, file)) => match n.parse::<usize>() {
                Ok(n) => (n, file),
                Err(_) => return not_found(),
            },
            None => (0, path.trim_start_matches('/')),
        };
        let ok = |ct: &str, body: Vec<u8>| {
            Response::builder()
                .header(header::CONTENT_TYPE, ct)
                .header(header::CACHE_CONTROL, "no-store")
                .body(Body::from(body))
                .unwrap_or_default()
        };
        // The chat's glue: `rill-chat-<hash>.js` (Trunk hashes the main app's files).
        if file.starts_with("rill-chat") && file.ends_with(".js") {
            let message = self.loader_chunks.get(n).cloned().unwrap_or_default();
            let module = format!(
                "throw new Error({});\nexport default function () {{}}\n",
                serde_json::to_string(&message).unwrap_or_default()
            );
            return ok("text/javascript", module.into_bytes());
        }
        let file = if file.is_empty() { "index.html" } else { file };
        if file.contains("..") || file.contains('/') {
            return not_found();
        }
        let Ok(bytes) = std::fs::read(self.dist.join(file)) else {
            return not_found();
        };
        let ct = match file.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("wasm") => "application/wasm",
            _ => "application/octet-stream",
        };
        ok(ct, bytes)
    }
}

/// The mock on a free port of 127.0.0.1; it runs until the test's runtime ends.
async fn start_mock(mock: Mock) -> (String, Arc<Mock>) {
    let mock = Arc::new(mock);
    let state = mock.clone();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let mock = state.clone();
        async move {
            let method = req.method().clone();
            let path = req.uri().path().to_string();
            let query = req.uri().query().unwrap_or("").to_string();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            mock.handle(&method, &path, &query, &String::from_utf8_lossy(&body))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the mock");
    let addr = listener.local_addr().expect("mock address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), mock)
}

fn app(rate: &str) -> RillServer {
    let dist = rill_e2e::dist_dir();
    RillServer::start(
        "127.0.0.1:0",
        &["--dist", dist.to_str().expect("utf-8 path"), "--rate", rate],
    )
}

// ---------------------------------------------------------------------------------------
// The tests.

/// The detector is not blind: a payload that runs while a page loads is recorded (the hook
/// is in place before the page's scripts), and an `<img onerror>`, a script URL and an
/// `<iframe>` put into the app's page are each reported. The unharmed page is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detector_catches_what_it_must() {
    let server = app("0");
    let (mock_url, _mock) = start_mock(Mock::new(corpus())).await;
    let browser = hooked_browser().await;
    let chat = format!("{}/?view=chat&lang=en", server.url);
    let allowed = baseline(&browser, &chat, &testid("chat-input")).await;
    assert!(
        inspect(&browser, &allowed, &server.url).await.is_empty(),
        "the unharmed app page must be clean"
    );

    browser.goto(&format!("{mock_url}/runs-on-load")).await;
    let found = poll("the on-load probe to be caught", WAIT, || async {
        let found = inspect(&browser, &allowed, &mock_url).await;
        found
            .iter()
            .any(|f| f.contains("probe-on-load"))
            .then_some(found)
    })
    .await;
    assert!(
        found
            .iter()
            .any(|f| f.contains("element the app does not render: <script")),
        "{found:?}"
    );

    browser.goto(&chat).await;
    wait_for(&browser, &testid("chat-input")).await;
    browser
        .js(
            "const log = document.querySelector('[data-testid=chat-log]');
             const img = document.createElement('img');
             img.setAttribute('src', 'x:nothing');
             img.setAttribute('onerror', 'alert(\"probe-img\")');
             log.append(img);
             const a = document.createElement('a');
             a.setAttribute('href', ' \\u0001JaVa\\tScRiPt:alert(\"probe-a\")');
             a.textContent = 'probe';
             log.append(a);
             log.append(document.createElement('iframe'));
             // The app's Content-Security-Policy may stop the handler above from running
             // (as it should); a direct call stands for a payload that did run.
             alert('probe-direct');
             return true;",
        )
        .await;
    let found = poll("the injected probes to be caught", WAIT, || async {
        let found = inspect(&browser, &allowed, &server.url).await;
        found
            .iter()
            .any(|f| f.contains("on* attribute"))
            .then_some(found)
    })
    .await;
    for want in [
        "payload ran: alert(probe-direct)",
        "on* attribute onerror",
        "script URL in href",
        "element the app does not render: <iframe",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(want)),
            "{want:?} not in {found:?}"
        );
    }
    println!("hostile: the detector reported the probes: {found:?}");
    browser.close().await;
}

/// Chat markdown (paragraphs, code blocks fenced and indented, inline code, links, image
/// text, long nesting), conversation titles, the sidebar and its search, URL parameter
/// warnings and imported JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_chat_text_stays_text() {
    let started = std::time::Instant::now();
    let payloads = corpus();
    println!("hostile: corpus of {} payloads", payloads.len());
    let server = app("0");
    let browser = hooked_browser().await;
    let origin = server.url.clone();
    let chat = format!("{}/?view=chat&lang=en", server.url);
    let mut allowed = baseline(&browser, &chat, &testid("chat-input")).await;
    browser.click(&testid("chat-settings-toggle")).await;
    wait_for(&browser, &testid("chat-settings")).await;
    allowed.extend(signatures(&browser).await);
    browser.click(&testid("chat-settings-toggle")).await;
    let mut findings = Findings::default();

    // URL parameters the app does not understand are shown as warnings.
    let warn_url = payloads
        .iter()
        .take(60)
        .fold(chat.clone(), |url, p| format!("{url}&theme={}", encode(p)));
    browser.goto(&warn_url).await;
    wait_for(&browser, ".rill-warnings").await;
    findings
        .check(&browser, &allowed, &origin, "URL warnings")
        .await;
    let warnings = texts(&browser, ".rill-warnings").await.concat();
    for p in payloads.iter().take(60) {
        if !warnings.contains(p.trim()) {
            findings.missing("URL warnings", "theme value", p);
        }
    }

    // Single-payload messages, each the first of its own conversation (its title).
    browser.goto(&chat).await;
    wait_for(&browser, &testid("chat-input")).await;
    let singles: Vec<&String> = payloads
        .iter()
        .filter(|p| {
            let l = p.to_ascii_lowercase();
            [
                "<script>",
                "<img src=x onerror=alert(8)",
                "<svg onload",
                "<iframe src",
                "<details open",
                "<math><mtext>",
                "<base href",
                "<meta http-equiv=\"refresh",
                "<form action",
                "<a href=\"java\n",
                "<!--><img",
                "<noscript>",
                "<img src=x onerror=`",
                "[click](jav&#x09;",
                "<javascript:",
                "![<img",
                "```html",
                "    <script>",
                "+adw-",
            ]
            .iter()
            .any(|s| l.starts_with(s))
        })
        .collect();
    assert!(singles.len() >= 15, "single payloads: {}", singles.len());
    for p in &singles {
        new_conversation(&browser).await;
        send(&browser, &format!("[[echo]]{p}")).await;
        replies(&browser, 1, "done", WAIT).await;
        let shown = texts(&browser, ASSISTANT).await.concat();
        if !shows(&shown, p) {
            findings.missing("chat markdown (single)", "reply", p);
        }
    }
    findings
        .check(
            &browser,
            &allowed,
            &origin,
            "chat markdown, single payloads",
        )
        .await;
    // A conversation is titled from its first message as the user wrote it (with the demo
    // model's marker).
    let titles = texts(&browser, ".rill-side-title").await;
    for p in &singles {
        let want = title_from(&format!("[[echo]]{p}"));
        if !titles.contains(&want) {
            findings.missing("conversation titles", "sidebar", &want);
        }
    }
    let heading = texts(&browser, ".rill-chat-title").await.concat();
    let last_title = title_from(&format!("[[echo]]{}", singles[singles.len() - 1]));
    if heading != last_title {
        findings.missing("conversation title", "chat header", &last_title);
    }

    // Batches: many payloads a message, each the start of its own block.
    new_conversation(&browser).await;
    let mut sent: Vec<Vec<(usize, String)>> = Vec::new();
    for batch in batches(&payloads) {
        let text: String = batch
            .iter()
            .map(|(i, p)| format!("{}\n\n{p}\n\n", marker(*i)))
            .collect();
        send(&browser, &format!("[[echo]]{text}")).await;
        sent.push(batch);
        let n = sent.len();
        replies(&browser, n, "done", Duration::from_secs(30)).await;
    }
    // The same payloads as code: one fenced block, one indented block, inline code; then as
    // link text and image text.
    let fenced = format!("`````\n{}\n`````", payloads.join("\n"));
    let indented: String = payloads
        .iter()
        .flat_map(|p| p.split('\n'))
        .map(|line| format!("    {line}\n"))
        .collect();
    let inline: String = payloads
        .iter()
        .filter(|p| !p.contains('\n') && !p.contains("``"))
        .map(|p| format!("`` {p} ``\n\n"))
        .collect();
    let links: String = payloads
        .iter()
        .filter(|p| !p.contains('\n'))
        .map(|p| {
            let t = p.replace(['[', ']'], "");
            format!("[{t}](https://example.com/a) ![{t}](https://example.com/i.png) ![{t}](javascript:alert(999))\n\n")
        })
        .collect();
    let code_messages = [fenced.clone(), indented.clone(), inline, links];
    for (k, text) in code_messages.iter().enumerate() {
        send(&browser, &format!("[[echo]]{text}")).await;
        replies(
            &browser,
            sent.len() + k + 1,
            "done",
            Duration::from_secs(30),
        )
        .await;
    }
    all_replies_settled(&browser, WAIT).await;
    findings
        .check(
            &browser,
            &allowed,
            &origin,
            "chat markdown, batches, code, links, images",
        )
        .await;
    let shown = texts(&browser, ASSISTANT).await;
    for (k, batch) in sent.iter().enumerate() {
        let text = shown.get(k).cloned().unwrap_or_default();
        for (j, (i, p)) in batch.iter().enumerate() {
            let from = text.find(&marker(*i)).map(|at| at + marker(*i).len());
            let to = batch
                .get(j + 1)
                .and_then(|(next, _)| text.find(&marker(*next)))
                .unwrap_or(text.len());
            match from {
                Some(from) if from <= to && shows(&text[from..to], p) => {}
                _ => findings.missing("chat markdown (batch)", &marker(*i), p),
            }
        }
    }
    for part in ["table", "pre code", "a[href]", "blockquote", "h1"] {
        if browser.count(&format!("{ASSISTANT} {part}")).await == 0 {
            findings.missing("chat markdown", "markdown structure", part);
        }
    }
    let code_texts = texts(&browser, &format!("{ASSISTANT} pre code")).await;
    let fenced_code = code_texts
        .iter()
        .any(|c| c.trim_end() == payloads.join("\n"));
    if !fenced_code {
        findings.missing("fenced code block", "pre code", &payloads.join("\n"));
    }
    let indented_code = code_texts
        .iter()
        .any(|c| c.contains(&payloads[0]) && c.contains(&payloads[payloads.len() / 2]));
    if !indented_code {
        findings.missing("indented code block", "pre code", &payloads[0]);
    }
    let inline_code = texts(&browser, &format!("{ASSISTANT} p > code")).await;
    for p in payloads
        .iter()
        .filter(|p| !p.contains('\n') && !p.contains("``"))
    {
        if !inline_code.iter().any(|c| c.trim() == p.trim()) {
            findings.missing("inline code", "code", p);
        }
    }
    let link_texts = texts(&browser, &format!("{ASSISTANT} a")).await;
    for p in payloads.iter().filter(|p| !p.contains('\n')).take(40) {
        let t = p.replace(['[', ']'], "");
        if !link_texts.iter().any(|l| shows(l, &t)) {
            findings.missing("link text", "a", &t);
        }
    }
    // Links that were rendered go only where the link policy allows, with the app's `rel`.
    let hrefs = browser
        .js(&format!(
            "return [...document.querySelectorAll('{} a')].map((a) => [a.getAttribute('href') || '', a.rel]);",
            ASSISTANT.replace('\'', "\\'")
        ))
        .await;
    let hrefs = hrefs.as_array().cloned().unwrap_or_default();
    if hrefs.is_empty() {
        findings.missing("links", "a[href]", "https://example.com/a");
    }
    for pair in &hrefs {
        let href = pair.get(0).and_then(Value::as_str).unwrap_or("");
        let rel = pair.get(1).and_then(Value::as_str).unwrap_or("");
        let allowed_scheme = ["http://", "https://", "mailto:"]
            .iter()
            .any(|s| href.starts_with(s));
        if !allowed_scheme || !rel.contains("noopener") || href.chars().any(char::is_control) {
            findings.0.push(format!(
                "chat links: a link outside the policy: {href:?} rel={rel:?}"
            ));
        }
    }

    // The sidebar's search: matching titles are listed, as text.
    browser
        .client
        .execute(
            "const s = document.querySelector('[data-testid=chat-search]');
             s.value = arguments[0];
             s.dispatchEvent(new Event('input', { bubbles: true }));
             return true;",
            vec![json!("onerror")],
        )
        .await
        .expect("search");
    poll("search results", WAIT, || async {
        let t = texts(&browser, ".rill-side-title").await;
        (!t.is_empty() && t.len() < singles.len() + 1).then_some(())
    })
    .await;
    findings
        .check(&browser, &allowed, &origin, "sidebar search")
        .await;
    let found = texts(&browser, ".rill-side-title").await;
    if !found.iter().any(|t| t.contains("onerror")) {
        findings.missing("sidebar search", "results", "onerror");
    }

    // Imported JSON: payloads in titles, ids, contents and error texts.
    let dir = TempDir(std::env::temp_dir().join(format!("rill-hostile-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let mut messages = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        messages.push(json!({ "id": 2 * i + 1, "role": "user", "content": p, "state": "done" }));
        messages.push(json!({ "id": 2 * i + 2, "role": "assistant", "content": p, "state": "error", "error": p }));
    }
    let mut conversations = vec![json!({
        "id": "hostile-0", "title": payloads[0], "messages": messages,
        "created_ms": 1, "updated_ms": 2, "next_message_id": 2 * payloads.len() + 1,
    })];
    for (i, p) in payloads.iter().enumerate().skip(1) {
        conversations.push(json!({
            "id": format!("{i}:{}", head(&one_line(p), 100)), "title": p,
            "messages": [{ "id": 1, "role": "user", "content": p, "state": "done" }],
            "created_ms": 1, "updated_ms": 2, "next_message_id": 2,
        }));
    }
    let export = dir.0.join("hostile-export.json");
    std::fs::write(
        &export,
        json!({ "conversations": conversations }).to_string(),
    )
    .expect("write the export");
    browser.goto(&chat).await;
    wait_for(&browser, &testid("chat-import")).await;
    // From an empty conversation: the message list is keyed by message id, which restarts
    // in every conversation, so switching straight from the batch conversation would show
    // its rows again (reported; not this test's subject).
    new_conversation(&browser).await;
    let input = browser
        .client
        .find(Locator::Css(&testid("chat-import")))
        .await
        .expect("import input");
    input
        .send_keys(export.to_str().expect("utf-8 path"))
        .await
        .expect("choose the export file");
    let notice = browser
        .wait_text(
            &testid("chat-notice"),
            |t| !t.is_empty(),
            Duration::from_secs(30),
        )
        .await;
    let listed = browser.count(&testid("chat-list-item")).await;
    assert!(
        listed >= payloads.len() + singles.len(),
        "the import was not taken ({listed} conversations listed): {notice}"
    );
    // The log renders only a window of a long conversation around the viewport: walk it
    // from the first message to the last, checking each window on the way and collecting
    // every message as it is rendered (keyed by its id).
    let mut seen: BTreeMap<u64, Seen> = BTreeMap::new();
    poll(
        "the first imported message",
        Duration::from_secs(30),
        || async {
            let first = browser
            .js("const sc = document.querySelector('.rill-chat-scroll'); if (sc) sc.scrollTop = 0;
                 const m = document.querySelector('[data-testid=message]');
                 return sc && sc.scrollTop === 0 && m ? m.getAttribute('data-id') : null;")
            .await;
            (first == json!("1")).then_some(())
        },
    )
    .await;
    for step in 0.. {
        assert!(
            step < 2_000,
            "the walk through the imported messages did not end"
        );
        all_replies_settled(&browser, Duration::from_secs(30)).await;
        findings
            .check(&browser, &allowed, &origin, "imported JSON")
            .await;
        for (id, shown) in rendered_messages(&browser).await {
            seen.insert(id, shown);
        }
        let at_end = browser
            .js("const sc = document.querySelector('.rill-chat-scroll');
                 if (!sc || sc.scrollTop + sc.clientHeight >= sc.scrollHeight - 2) return true;
                 sc.scrollTop += Math.max(200, sc.clientHeight * 0.8); return false;")
            .await;
        if at_end == json!(true) {
            break;
        }
        // The log moves its window in the frames after a scroll: let two frames pass (the
        // window reaches a viewport past the one shown, so a step of 0.8 of it skips none).
        browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                Vec::new(),
            )
            .await
            .expect("two animation frames");
    }
    let titles = texts(&browser, ".rill-side-title").await;
    let users: Vec<&Seen> = seen.values().filter(|m| m.role == "user").collect();
    let replies: Vec<&Seen> = seen.values().filter(|m| m.role == "assistant").collect();
    assert!(
        replies.len() >= payloads.len(),
        "only {} of {} imported replies were rendered on the way through",
        replies.len(),
        payloads.len()
    );
    for (i, p) in payloads.iter().enumerate() {
        if !titles.iter().any(|t| t == p) {
            findings.missing("imported title", "sidebar", p);
        }
        if users.get(i).map(|m| m.text.as_str()) != Some(p.as_str()) {
            findings.missing("imported user message", "message", p);
        }
        if !replies
            .iter()
            .any(|m| m.error.as_deref() == Some(p.as_str()))
        {
            findings.missing("imported error text", "message-error", p);
        }
        if !replies.get(i).is_some_and(|r| shows(&r.text, p)) {
            findings.missing("imported reply (markdown)", "message", p);
        }
    }
    // An import that is refused says why, as text; the payload in its role is not echoed
    // as markup either.
    let bad = dir.0.join("hostile-bad.json");
    std::fs::write(
        &bad,
        json!([{ "id": "x", "title": "t", "messages": [
            { "id": 1, "role": payloads[8], "content": payloads[9], "state": "done" }
        ] }])
        .to_string(),
    )
    .expect("write the bad export");
    let input = browser
        .client
        .find(Locator::Css(&testid("chat-import")))
        .await
        .expect("import input");
    input
        .send_keys(bad.to_str().expect("utf-8 path"))
        .await
        .expect("choose the bad file");
    browser
        .wait_text(&testid("chat-notice"), |t| t.contains("role"), WAIT)
        .await;
    findings
        .check(&browser, &allowed, &origin, "refused import")
        .await;

    println!(
        "hostile: chat paths done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    browser.close().await;
    findings.assert_none("hostile chat text");
}

/// Text from a remote endpoint: model names (`/v1/models`, `/api/tags`) in the settings
/// panel's list and a chosen model's name in the header, a streamed reply cut into small
/// pieces, and error bodies (OpenAI's and
/// Ollama's JSON shapes, a `text/html` error page) shown as the reply's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_endpoint_text_stays_text() {
    let started = std::time::Instant::now();
    let payloads = corpus();
    let server = app("0");
    let (mock_url, mock) = start_mock(Mock::new(payloads.clone())).await;
    let browser = hooked_browser().await;
    let origin = server.url.clone();
    let mut allowed = baseline(
        &browser,
        &format!("{}/?view=chat&lang=en", server.url),
        &testid("chat-input"),
    )
    .await;
    browser.click(&testid("chat-settings-toggle")).await;
    wait_for(&browser, &testid("chat-settings")).await;
    allowed.extend(signatures(&browser).await);
    let mut findings = Findings::default();

    for (format, endpoint, html_pages) in [
        ("openai", "/v1/chat/completions", 6),
        ("ollama", "/api/chat", 2),
    ] {
        let path = |what: &str| format!("{format} {what}");
        let url = format!(
            "{}/?view=chat&lang=en&format={format}&endpoint={}&model={}",
            server.url,
            encode(&format!("{mock_url}{endpoint}")),
            encode(&payloads[8])
        );
        browser.goto(&url).await;
        confirm_endpoint(&browser).await;
        browser.click(&testid("chat-settings-toggle")).await;
        let values = poll("the model list", WAIT, || async {
            let v = browser
                .js("return [...document.querySelectorAll('#rill-models option')].map((o) => o.value);")
                .await;
            let v: Vec<String> = v
                .as_array()
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            (v.len() >= payloads.len()).then_some(v)
        })
        .await;
        findings
            .check(&browser, &allowed, &origin, &path("model names"))
            .await;
        for p in &payloads {
            if !values.iter().any(|v| v == p) {
                findings.missing(&path("model names"), "option value", p);
            }
        }
        let backend = texts(&browser, &testid("chat-backend")).await.concat();
        if !backend.contains(payloads[8].trim()) {
            findings.missing(&path("model name"), "chat header", &payloads[8]);
        }

        // A remote model's reply: the corpus streamed in small pieces.
        new_conversation(&browser).await;
        send(&browser, STREAM_PROMPT).await;
        replies(&browser, 1, "done", Duration::from_secs(30)).await;
        findings
            .check(&browser, &allowed, &origin, &path("streamed reply"))
            .await;
        let shown = texts(&browser, ASSISTANT).await.concat();
        for (i, p) in payloads.iter().enumerate() {
            let from = shown.find(&marker(i)).map(|at| at + marker(i).len());
            let to = shown.find(&marker(i + 1)).unwrap_or(shown.len());
            match from {
                Some(from) if from <= to && shows(&shown[from..to], p) => {}
                _ => findings.missing(&path("streamed reply"), &marker(i), p),
            }
        }
        // Rendered as markdown, not shown plain (a module that failed would show plain text).
        for part in ["table", "pre code", "a[href]", "blockquote"] {
            if browser.count(&format!("{ASSISTANT} {part}")).await == 0 {
                findings.missing(&path("streamed reply"), "markdown structure", part);
            }
        }

        new_conversation(&browser).await;
        let json_count = mock.error_chunks.len();
        let total = json_count + html_pages.min(mock.html_chunks.len());
        for n in 0..total {
            send(&browser, &format!("err-{n}")).await;
            poll(&format!("{format} error {n}"), WAIT, || async {
                (browser.count(&testid("message-error")).await > n).then_some(())
            })
            .await;
        }
        findings
            .check(&browser, &allowed, &origin, &path("error bodies"))
            .await;
        let errors = texts(&browser, &testid("message-error")).await;
        for n in 0..total {
            let (want, what) = match mock.error_chunks.get(n) {
                Some(chunk) => (head(chunk.trim(), ERROR_SHOWN - 5), "JSON error"),
                None => (
                    head(
                        &Mock::html_page(&mock.html_chunks[n - json_count]),
                        ERROR_SHOWN - 5,
                    ),
                    "text/html error page",
                ),
            };
            if !errors.get(n).is_some_and(|e| e.contains(&want)) {
                findings.missing(&path("error bodies"), what, &want);
            }
        }
    }
    println!(
        "hostile: endpoint paths done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    browser.close().await;
    findings.assert_none("hostile endpoint text");
}

/// A hostile feed in the clock view: event names, ids and data in its log and facts, with
/// the browser's EventSource and with fetch; the feed's URL itself; an error body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_feed_stays_text() {
    let started = std::time::Instant::now();
    let payloads = corpus();
    let server = app("0");
    let (mock_url, mock) = start_mock(Mock::new(payloads.clone())).await;
    let browser = hooked_browser().await;
    let origin = server.url.clone();
    let allowed = baseline(
        &browser,
        &format!(
            "{}/?view=clock&lang=en&stream={}",
            server.url,
            encode(&format!("{}/stream", server.url))
        ),
        &testid("clock-url"),
    )
    .await;
    let mut findings = Findings::default();
    let mid = payloads.len().div_ceil(2);

    for transport in ["eventsource", "fetch"] {
        for half in 0..2 {
            let part = if half == 0 {
                &payloads[..mid]
            } else {
                &payloads[mid..]
            };
            let path = format!("clock {transport} half {half}");
            let stream = format!("{mock_url}/feed?half={half}&x={}", payloads[half * 9]);
            let url = format!(
                "{}/?view=clock&lang=en&transport={transport}&stream={}",
                server.url,
                encode(&stream)
            );
            browser.goto(&url).await;
            // EventSource reports only the types it listens for (`message`, `connecttime`);
            // fetch reports every event, the named ones too.
            let want = if transport == "fetch" {
                1 + 2 * part.len()
            } else {
                1 + part.len()
            };
            poll(&format!("{path}: {want} events"), WAIT, || async {
                let n: usize = browser
                    .text(&testid("clock-events"))
                    .await
                    .trim()
                    .parse()
                    .ok()?;
                (n >= want).then_some(())
            })
            .await;
            findings.check(&browser, &allowed, &origin, &path).await;
            let log = texts(&browser, ".rill-log-text").await;
            let labels = texts(&browser, ".rill-log-label").await;
            for p in part {
                if !log.iter().any(|t| same_or_cut(t, p)) {
                    findings.missing(&path, "event data in the log", p);
                }
                let name = one_line(p).trim().to_string();
                if transport == "fetch" && !labels.iter().any(|l| same_or_cut_name(l.trim(), &name))
                {
                    findings.missing(&path, "event name in the log", &one_line(p));
                }
            }
            let last = part.last().map(|p| one_line(p)).unwrap_or_default();
            if browser.text(&testid("clock-last-id")).await.trim() != last.trim() {
                let shown = texts(&browser, &testid("clock-last-id")).await.concat();
                if !same_or_cut_name(shown.trim(), last.trim()) {
                    findings.missing(&path, "last event id", &last);
                }
            }
            let connected = texts(&browser, &testid("clock-connected-at"))
                .await
                .concat();
            if connected != part[0] {
                findings.missing(&path, "connecttime data", &part[0]);
            }
            if !log.iter().any(|t| t.contains(payloads[half * 9].trim())) {
                findings.missing(&path, "the feed URL in the log", &payloads[half * 9]);
            }
        }
    }
    // An error body, shown by the fetch transport (EventSource does not reveal it).
    for k in 0..3.min(mock.error_chunks.len()) {
        let path = format!("clock fetch error body {k}");
        let url = format!(
            "{}/?view=clock&lang=en&transport=fetch&stream={}",
            server.url,
            encode(&format!("{mock_url}/feed-error?k={k}"))
        );
        browser.goto(&url).await;
        let chunk = mock.error_chunks[k].clone();
        let first = head(chunk.trim().lines().next().unwrap_or(""), 100);
        let shown = poll(&format!("{path} shown"), WAIT, || async {
            let t = texts(&browser, ".rill-clock").await.concat();
            t.contains(&first).then_some(t)
        })
        .await;
        findings.check(&browser, &allowed, &origin, &path).await;
        let want = head(chunk.trim(), ERROR_SHOWN - 5);
        if !shown.contains(&want) {
            findings.missing(&path, "error message", &want);
        }
    }
    println!(
        "hostile: feed paths done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    browser.close().await;
    findings.assert_none("hostile feed text");
}

/// The loader's message when the app cannot start carries the thrown error's text: a bundle
/// that throws payloads must show them as text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_loader_error_stays_text() {
    let started = std::time::Instant::now();
    let payloads = corpus();
    let (mock_url, mock) = start_mock(Mock::new(payloads)).await;
    let browser = hooked_browser().await;
    // The unharmed page's own elements of the forbidden kinds (its loader script): the
    // same dist served by the mock, before its bundle runs.
    let server = RillServer::app();
    let allowed = baseline(
        &browser,
        &format!("{}/?view=chat&lang=en", server.url),
        &testid("chat-input"),
    )
    .await;
    let mut findings = Findings::default();
    for (n, chunk) in mock.loader_chunks.iter().enumerate() {
        let path = format!("loader error {n}");
        browser
            .goto(&format!("{mock_url}/loader/{n}/?view=chat&lang=en"))
            .await;
        let shown = poll(&format!("{path} shown"), WAIT, || async {
            let t = texts(&browser, "[role=alert]").await.concat();
            t.contains("rill could not start").then_some(t)
        })
        .await;
        findings.check(&browser, &allowed, &mock_url, &path).await;
        let want = head(chunk.trim(), LOADER_SHOWN - 20);
        if !shown.contains(&want) {
            findings.missing(&path, "loader message", &want);
        }
    }
    println!(
        "hostile: {} loader pages done in {:.1} s",
        mock.loader_chunks.len(),
        started.elapsed().as_secs_f64()
    );
    browser.close().await;
    findings.assert_none("hostile loader text");
}
