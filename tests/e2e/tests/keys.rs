//! A secret goes only where the user put it: an API key typed in the settings panel for
//! endpoint A is sent to A, and a link that points the chat at endpoint B (another origin)
//! never makes the app send that key to B — not with the model list the settings panel
//! fetches, not with the next message. The link's endpoint is named on screen, is used only
//! after the user confirms it, and is never saved; the key never shows up in the page, the
//! URL, the saved settings or an export.
//!
//! A and B are small recording HTTP servers started by the test (OpenAI-compatible: a model
//! list and a streamed reply), on other origins than the app.

use std::sync::{Arc, Mutex};

use rill_e2e::{encode, poll, testid, Browser, RillServer, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "sk-rill-e2e-SECRET-4242";
const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";

/// One request a mock server received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    /// Header lines, lower-cased names, as received.
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An OpenAI-compatible server that records every request; stopped on drop.
struct Mock {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Mock {
    async fn start(name: &'static str) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    let reply = answer(name, &request);
                    if let Ok(mut l) = log.lock() {
                        l.push(request);
                    }
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Mock { url, seen, task }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Requests other than CORS preflights.
    fn real_requests(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "OPTIONS")
            .collect()
    }

    fn endpoint(&self) -> String {
        format!("{}/v1/chat/completions", self.url)
    }
}

/// Reads one HTTP/1.1 request (head, and a body of `Content-Length` bytes), bounded.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = tokio::time::timeout(WAIT, socket.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_string();
    let path = start.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length.min(1 << 20) {
        let n = tokio::time::timeout(WAIT, socket.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

/// The mock's answer: CORS that allows the key header, a model list, a streamed reply.
fn answer(name: &str, request: &Seen) -> String {
    let cors = "Access-Control-Allow-Origin: *\r\n\
                Access-Control-Allow-Headers: authorization, content-type, accept, cache-control\r\n\
                Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n";
    let (status, kind, body) = match (request.method.as_str(), request.path.as_str()) {
        ("OPTIONS", _) => ("204 No Content", "text/plain", String::new()),
        ("GET", "/v1/models") => (
            "200 OK",
            "application/json",
            format!(r#"{{"object":"list","data":[{{"id":"{name}-model","object":"model"}}]}}"#),
        ),
        ("POST", "/v1/chat/completions") => {
            let chunk = |delta: &str, finish: &str| {
                format!(
                    "data: {{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
                )
            };
            let body = format!(
                "{}{}{}data: [DONE]\n\n",
                chunk(r#"{"role":"assistant"}"#, "null"),
                chunk(&format!(r#"{{"content":"reply from {name}"}}"#), "null"),
                chunk("{}", r#""stop""#)
            );
            ("200 OK", "text/event-stream", body)
        }
        _ => ("404 Not Found", "text/plain", "Not Found".to_string()),
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{cors}Connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Sets a settings field as a person would (its value, then the change event).
async fn set_field(browser: &Browser, id: &str, value: &str) {
    browser
        .client
        .execute(
            "const el = document.querySelector(`[data-testid=${arguments[0]}]`);
             el.value = arguments[1]; el.dispatchEvent(new Event('change', {bubbles: true}));
             return null",
            vec![serde_json::json!(id), serde_json::json!(value)],
        )
        .await
        .expect("set field");
}

async fn reply_done(browser: &Browser) -> String {
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await
        .0
}

/// Everything the page shows, stores and has in its address, as one string.
async fn page_and_storage(browser: &Browser) -> String {
    let v = browser
        .js("const saved = {};
             for (let i = 0; i < localStorage.length; i++) {
               const k = localStorage.key(i);
               if (k !== 'rill.chat.keys.v1') saved[k] = localStorage.getItem(k);
             }
             return [location.href, document.body.innerText, document.documentElement.outerHTML
                       .replace(/value=\"[^\"]*\"/g, ''), JSON.stringify(saved)].join('\\n')")
        .await;
    v.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_goes_only_to_the_origin_it_was_entered_for() {
    let app = RillServer::app();
    let a = Mock::start("A").await;
    let b = Mock::start("B").await;
    let browser = Browser::start().await;

    // The user points the chat at A and saves a key for it.
    browser
        .goto(&format!("{}/?view=chat&lang=en", app.url))
        .await;
    browser.click(&testid("chat-settings-toggle")).await;
    set_field(&browser, "chat-endpoint", &a.endpoint()).await;
    // A key that is not visible ASCII is refused with a message and not saved.
    set_field(&browser, "chat-api-key", "sk bad key").await;
    browser
        .wait_text(&testid("chat-api-key-error"), |t| t.contains("ASCII"), WAIT)
        .await;
    set_field(&browser, "chat-api-key", KEY).await;
    assert_eq!(browser.count(&testid("chat-api-key-error")).await, 0);
    let host_a = a.url.trim_start_matches("http://").to_string();
    browser
        .wait_text(&testid("chat-endpoint-host"), |t| t == host_a, WAIT)
        .await;
    browser.send_chat("hello A").await;
    assert_eq!(reply_done(&browser).await, "reply from A");
    let to_a = a
        .real_requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("A got the message");
    assert_eq!(
        to_a.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    // The model list the open settings panel fetched carried the key too (same origin).
    // (The panel asks again when a key is saved: a list may need one.)
    let models_a = poll("A's model list request with the key", WAIT, || async {
        a.real_requests()
            .into_iter()
            .rev()
            .find(|r| r.path == "/v1/models" && r.header("authorization").is_some())
    })
    .await;
    assert_eq!(
        models_a.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );

    // A crafted link to B: B never sees the key, the banner names B, nothing is saved.
    let link = format!(
        "{}/?view=chat&lang=en&endpoint={}",
        app.url,
        encode(&b.endpoint())
    );
    browser.goto(&link).await;
    let host_b = b.url.trim_start_matches("http://").to_string();
    browser
        .wait_text(&testid("chat-endpoint-banner-host"), |t| t == host_b, WAIT)
        .await;
    browser
        .wait_text(&testid("chat-endpoint-host"), |t| t == host_b, WAIT)
        .await;
    browser.screenshot("keys-link-banner").await;
    browser.click(&testid("chat-settings-toggle")).await;
    poll("B's model list request", WAIT, || async {
        b.real_requests()
            .into_iter()
            .find(|r| r.path == "/v1/models")
    })
    .await;
    browser.send_chat("hello B").await;
    assert_eq!(reply_done(&browser).await, "reply from B");
    // Confirming uses B for this page: still without A's key.
    browser.click(&testid("chat-endpoint-confirm")).await;
    poll("the banner to go", WAIT, || async {
        (browser.count(&testid("chat-endpoint-banner")).await == 0).then_some(())
    })
    .await;
    browser.send_chat("hello again B").await;
    assert_eq!(reply_done(&browser).await, "reply from B");
    let to_b = b.requests();
    assert!(
        to_b.iter().filter(|r| r.method == "POST").count() >= 2,
        "{to_b:?}"
    );
    for r in &to_b {
        assert_eq!(r.header("authorization"), None, "B saw a key: {r:?}");
        assert!(!r.body.contains(KEY) && !r.path.contains(KEY), "{r:?}");
        assert!(
            r.headers.iter().all(|(_, v)| !v.contains(KEY)),
            "B saw the key in a header: {r:?}"
        );
    }
    // The link's endpoint was never saved: the user's own endpoint is A.
    let saved = browser
        .js("return localStorage.getItem('rill.chat.settings.v1')")
        .await;
    let saved = saved.as_str().unwrap_or_default();
    assert!(saved.contains(&a.endpoint()), "{saved}");
    assert!(!saved.contains(&b.url), "{saved}");

    // The key is nowhere but in the keyring: not the page, URL, other storage or an export.
    let everything = page_and_storage(&browser).await;
    assert!(
        !everything.contains(KEY),
        "the key leaked into the page or storage"
    );
    let export = browser
        .js("const c = JSON.parse(localStorage.getItem('rill.chat.v1'));
             return JSON.stringify(c)")
        .await;
    assert!(!export.to_string().contains(KEY));
    assert_eq!(app.log_count(KEY), 0, "the key is in rill-server's log");

    // "Back to A" goes back to the user's endpoint and the key is used there again.
    browser.goto(&link).await;
    browser.click(&testid("chat-endpoint-revert")).await;
    browser
        .wait_text(&testid("chat-endpoint-host"), |t| t == host_a, WAIT)
        .await;
    let url = browser.js("return location.href").await;
    assert!(
        !url.as_str().unwrap_or_default().contains("endpoint="),
        "{url}"
    );
    let before = a
        .real_requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    browser.send_chat("back to A").await;
    assert_eq!(reply_done(&browser).await, "reply from A");
    let posts: Vec<Seen> = a
        .real_requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), before + 1);
    assert_eq!(
        posts.last().and_then(|r| r.header("authorization")),
        Some(&*format!("Bearer {KEY}"))
    );
    browser.close().await;
}

/// A key saved by an earlier rill without an origin is bound to the saved endpoint's origin
/// (where it was being sent), and a link elsewhere does not get it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_key_is_bound_to_the_saved_endpoint() {
    let app = RillServer::app();
    let a = Mock::start("A").await;
    let b = Mock::start("B").await;
    let browser = Browser::start().await;
    browser
        .goto(&format!("{}/?view=chat&lang=en", app.url))
        .await;
    browser
        .client
        .execute(
            "localStorage.setItem('rill.chat.settings.v1', JSON.stringify({format: 'openai',
               endpoint: arguments[0], model: 'm', system: '', temperature: null}));
             localStorage.setItem('rill.chat.apikey', arguments[1]); return null",
            vec![serde_json::json!(a.endpoint()), serde_json::json!(KEY)],
        )
        .await
        .expect("seed storage");
    browser
        .goto(&format!(
            "{}/?view=chat&lang=en&endpoint={}",
            app.url,
            encode(&b.endpoint())
        ))
        .await;
    browser.send_chat("to B").await;
    assert_eq!(reply_done(&browser).await, "reply from B");
    assert!(b
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_none()));
    let legacy = browser
        .js("return localStorage.getItem('rill.chat.apikey')")
        .await;
    assert_eq!(legacy, serde_json::Value::Null, "the legacy key was moved");
    browser
        .goto(&format!("{}/?view=chat&lang=en", app.url))
        .await;
    browser.send_chat("to A").await;
    assert_eq!(reply_done(&browser).await, "reply from A");
    let post = a
        .real_requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("A got it");
    assert_eq!(
        post.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    browser.close().await;
}
