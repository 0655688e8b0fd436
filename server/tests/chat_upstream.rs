//! `--upstream`: requests forwarded to another server (a second in-process rill-server on the
//! demo model, or a scripted fake), streamed back as they arrive, cancelled when the client
//! leaves, and timeouts and failures answered in each API's error shape.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use rill_server::chat::demo::{self, Message};
use rill_server::chat::Upstream;
use rill_server::{AppState, Config};
use serde_json::{json, Value};
use support::{
    fast, get, ndjson, open, post_json, send, sse_data, start, wait_until, without_ids,
    without_offer,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// A proxy in front of `upstream`.
async fn proxy(upstream: SocketAddr, tweak: impl FnOnce(&mut Config)) -> (SocketAddr, AppState) {
    let mut config = Config::default();
    config.chat.upstream = Some(Upstream::parse(&format!("http://{upstream}")).expect("url"));
    tweak(&mut config);
    start(config).await
}

/// A fake upstream for one request: sends back the raw request it received, then writes
/// `answer` piece by piece with the given pauses before each, then keeps the socket open.
async fn fake_upstream(answer: Vec<(u64, Vec<u8>)>) -> (SocketAddr, oneshot::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let mut buf = Vec::new();
        let mut tmp = [0u8; 4096];
        loop {
            let Ok(n) = sock.read(&mut tmp).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&tmp[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (n, v) = l.split_once(':')?;
                        n.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    break;
                }
            }
        }
        let _ = tx.send(buf);
        for (pause, bytes) in answer {
            tokio::time::sleep(Duration::from_millis(pause)).await;
            if sock.write_all(&bytes).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    (addr, rx)
}

fn openai(prompt: &str, stream: bool) -> String {
    json!({"model": "rill-demo", "messages": [{"role": "user", "content": prompt}], "stream": stream})
        .to_string()
}

fn openai_content(body: &[u8]) -> String {
    sse_data(body)
        .iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str::<Value>(d).expect("json"))
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

#[tokio::test]
async fn streams_pass_through_as_they_arrive_and_stop_with_the_client() {
    // The upstream sends 2 tokens a second: its whole reply would take over a minute.
    let (up, up_state) = start(Config::default()).await;
    // A reply nobody reads ends at once (`chat::replies`), so leaving cancels the upstream.
    let (addr, state) = proxy(up, |c| c.chat.replies.linger = Duration::ZERO).await;
    let body = openai("[[slow]] tell me a long story", true);
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let started = Instant::now();
    let sock = open(addr, request.as_bytes()).await;
    let resp = support::read_response(sock, |b| {
        String::from_utf8_lossy(b).contains("\"content\":")
    })
    .await;
    let first = started.elapsed();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    assert!(
        first < Duration::from_secs(3),
        "first token after {first:?}"
    );
    assert_eq!(up_state.streams.open(), 1);
    assert_eq!(state.streams.open(), 1);
    drop(resp); // `read_response` dropped the socket: the client is gone.
    wait_until("proxy stream closed", || state.streams.open() == 0).await;
    wait_until("upstream stream closed", || up_state.streams.open() == 0).await;
}

#[tokio::test]
async fn whole_replies_pass_through_unchanged() {
    let (up, _) = start(fast()).await;
    let (addr, state) = proxy(up, |_| {}).await;
    let prompt = "What is an upstream?";
    let expected = demo::reply(&[Message::user(prompt)]);

    let resp = post_json(addr, "/v1/chat/completions", &openai(prompt, true), |_| {
        false
    })
    .await;
    assert!(resp.complete);
    assert_eq!(openai_content(&resp.body()), expected);
    assert_eq!(
        sse_data(&resp.body()).last().map(String::as_str),
        Some("[DONE]")
    );

    let resp = post_json(addr, "/v1/chat/completions", &openai(prompt, false), |_| {
        false
    })
    .await;
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["choices"][0]["message"]["content"], expected);

    let body = json!({"model": "rill-demo", "messages": [{"role": "user", "content": prompt}]});
    let resp = post_json(addr, "/api/chat", &body.to_string(), |_| false).await;
    assert_eq!(resp.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = ndjson(&resp.body())
        .into_iter()
        .map(|l| l.expect("json"))
        .collect();
    let got: String = lines
        .iter()
        .filter_map(|l| l["message"]["content"].as_str())
        .collect();
    assert_eq!(got, expected);
    assert_eq!(lines.last().map(|l| &l["done"]), Some(&json!(true)));

    let resp = get(addr, "/v1/models", |_| false).await;
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["data"][0]["id"], "rill-demo");
    let resp = get(addr, "/api/tags", |_| false).await;
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["models"][0]["name"], "rill-demo");

    // Errors keep the upstream's status and body.
    let resp = post_json(
        addr,
        "/v1/chat/completions",
        &openai("[[error:503]]", true),
        |_| false,
    )
    .await;
    assert_eq!(resp.status(), 503);
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["error"]["message"], "boom");
    let resp = get(addr, "/api/nothing-here", |_| false).await;
    assert_eq!(resp.status(), 404);
    wait_until("proxy streams closed", || state.streams.open() == 0).await;
}

#[tokio::test]
async fn a_broken_upstream_breaks_the_response() {
    let (up, up_state) = start(fast()).await;
    let (addr, state) = proxy(up, |_| {}).await;
    let resp = post_json(
        addr,
        "/v1/chat/completions",
        &openai("[[long:50]][[drop:5]]", true),
        |_| false,
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert!(!resp.complete, "the break reaches the client");
    assert!(!resp.text().contains("[DONE]"));
    assert_eq!(
        openai_content(&resp.body()),
        demo::respond(&[Message::user("[[long:50]][[drop:5]]")]).prefix(5)
    );
    wait_until("proxy stream closed", || state.streams.open() == 0).await;
    wait_until("upstream stream closed", || up_state.streams.open() == 0).await;
}

#[tokio::test]
async fn request_is_forwarded_with_its_headers_and_bytes_come_back_unbuffered() {
    let answer = vec![
        (
            0,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nAccess-Control-Allow-Origin: http://upstream.example\r\nSet-Cookie: a=b\r\nX-Request-Id: req-1\r\n\r\n".to_vec(),
        ),
        (0, b"b\r\ndata: one\n\n\r\n".to_vec()),
        (300, b"b\r\ndata: two\n\n\r\n".to_vec()),
        (0, b"0\r\n\r\n".to_vec()),
    ];
    let (up, seen) = fake_upstream(answer).await;
    // With an upstream, CORS is on only for the origins named.
    let (addr, _) = proxy(up, |c| {
        c.chat.cors_origins = vec!["http://app.example".into()]
    })
    .await;
    let body =
        "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";
    let request = format!(
        "POST /v1/chat/completions?api-version=1 HTTP/1.1\r\nHost: localhost\r\nOrigin: http://app.example\r\nContent-Type: application/json\r\nAuthorization: Bearer sk-test\r\nAccept: text/event-stream\r\nX-Private: secret\r\nCookie: c=d\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let resp = send(addr, request.as_bytes(), |_| false).await;
    let forwarded = String::from_utf8(seen.await.expect("request seen")).expect("utf-8");
    let (head, forwarded_body) = forwarded.split_once("\r\n\r\n").expect("head");
    let head_lower = head.to_ascii_lowercase();
    assert!(
        head.starts_with("POST /v1/chat/completions?api-version=1 HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head_lower.contains("\r\nauthorization: bearer sk-test"),
        "{head}"
    );
    assert!(
        head_lower.contains("\r\naccept: text/event-stream"),
        "{head}"
    );
    assert!(
        head_lower.contains("\r\ncontent-type: application/json"),
        "{head}"
    );
    assert!(head_lower.contains(&format!("\r\nhost: {up}")), "{head}");
    assert!(
        !head_lower.contains("x-private") && !head_lower.contains("cookie"),
        "{head}"
    );
    assert_eq!(forwarded_body, body);

    assert_eq!(resp.status(), 200);
    assert!(resp.complete);
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    assert_eq!(resp.header("x-request-id"), Some("req-1"));
    assert_eq!(resp.header("set-cookie"), None);
    // Our CORS header, not the upstream's.
    assert_eq!(
        resp.header("access-control-allow-origin"),
        Some("http://app.example")
    );
    assert_eq!(
        resp.headers
            .iter()
            .filter(|(n, _)| n == "access-control-allow-origin")
            .count(),
        1
    );
    // Each upstream write arrived as its own chunk: nothing was held back and merged (each
    // event numbered by rill-server, which keeps the reply for resuming).
    assert_eq!(
        resp.chunks,
        [
            b"data: one\nid: 1\n\n".to_vec(),
            b"data: two\nid: 2\n\n".to_vec()
        ]
    );
}

#[tokio::test]
async fn summary_streams_from_the_upstream_generate() {
    let (up, up_state) = start(fast()).await;
    let (addr, state) = proxy(up, |c| {
        c.chat.summary_model = "rill-demo".into();
        c.chat.replies.linger = Duration::ZERO;
    })
    .await;
    let content = "Summarise: streams should never be buffered by proxies.";
    let path = format!(
        "/gpt/summary?content={}",
        content.replace(' ', "%20").replace(':', "%3A")
    );
    let resp = get(addr, &path, |_| false).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    assert!(resp.complete);
    let chunks = sse_data(&resp.body());
    assert_eq!(chunks.concat(), demo::reply(&[Message::user(content)]));
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c.chars().count() >= 100));
    assert!(resp.text().contains("\r\n"));

    let resp = get(addr, "/gpt/summary?content=%5B%5Berror%3A500%5D%5D", |_| {
        false
    })
    .await;
    assert_eq!(resp.status(), 500);
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert!(
        v["detail"].as_str().is_some_and(|d| d.ends_with(": boom")),
        "{v}"
    );

    // A client that leaves cancels the upstream generation.
    let sock = open(
        addr,
        b"GET /gpt/summary?content=%5B%5Bslow%5D%5D HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    wait_until("streams open", || {
        state.streams.open() == 1 && up_state.streams.open() == 1
    })
    .await;
    drop(sock);
    wait_until("proxy stream closed", || state.streams.open() == 0).await;
    wait_until("upstream stream closed", || up_state.streams.open() == 0).await;
}

#[tokio::test]
async fn summary_asks_for_the_configured_model() {
    let lines = "{\"response\":\"Hello\",\"done\":false}\nnot json\n{\"response\":\" world\",\"done\":false}\n{\"response\":\"\",\"done\":true}\n{\"response\":\"after done\"}\n";
    let answer = vec![(
        0,
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n{lines}",
            lines.len()
        )
        .into_bytes(),
    )];
    let (up, seen) = fake_upstream(answer).await;
    let (addr, _) = proxy(up, |_| {}).await;
    let resp = get(addr, "/gpt/summary?content=abc", |_| false).await;
    let forwarded = String::from_utf8(seen.await.expect("seen")).expect("utf-8");
    let (head, body) = forwarded.split_once("\r\n\r\n").expect("head");
    assert!(
        head.starts_with("POST /api/generate HTTP/1.1\r\n"),
        "{head}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(body).expect("json"),
        json!({"model": "llama3:latest", "prompt": "abc", "stream": true})
    );
    assert_eq!(
        without_ids(&without_offer(&resp.text())),
        "data: Hello world\r\n\r\n"
    );
}

#[tokio::test]
async fn silent_upstreams_time_out_with_504() {
    for (path, body, pointer) in [
        ("/v1/chat/completions", openai("hi", true), "/error/message"),
        (
            "/api/chat",
            json!({"messages": [{"role": "user", "content": "hi"}]}).to_string(),
            "/error",
        ),
        (
            "/gpt/summary",
            json!({"content": "hi"}).to_string(),
            "/detail",
        ),
    ] {
        let (up, _seen) = fake_upstream(Vec::new()).await;
        let (addr, state) =
            proxy(up, |c| c.chat.upstream_timeout = Duration::from_millis(300)).await;
        let started = Instant::now();
        let resp = post_json(addr, path, &body, |_| false).await;
        assert_eq!(resp.status(), 504, "{path}");
        assert!(started.elapsed() >= Duration::from_millis(300));
        let v: Value = serde_json::from_slice(&resp.body()).expect("json");
        assert!(
            v.pointer(pointer)
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains("did not answer")),
            "{path}: {v}"
        );
        assert_eq!(state.streams.open(), 0);
    }
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("addr")
    };
    let (addr, _) = proxy(closed, |_| {}).await;
    let resp = post_json(addr, "/v1/chat/completions", &openai("hi", false), |_| {
        false
    })
    .await;
    assert_eq!(resp.status(), 502);
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["error"]["type"], "server_error");
    let resp = get(addr, "/api/tags", |_| false).await;
    assert_eq!(resp.status(), 502);
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert!(v["error"].is_string());
}
