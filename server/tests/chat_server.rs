//! What the chat routes share: CORS (and none on `/stream`), the body limit and timeout,
//! pacing, long replies, and nothing left behind when clients leave.

mod support;

use std::time::Duration;

use rill_server::chat::demo::{self, Message};
use rill_server::Config;
use serde_json::{json, Value};
use support::{fast, open, post_json, read_response, send, sse_data, start, wait_until};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

fn preflight(path: &str, origin: &str) -> String {
    format!(
        "OPTIONS {path} HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, authorization\r\n\r\n"
    )
}

#[tokio::test]
async fn preflights_are_answered_on_chat_routes() {
    let (addr, _) = start(fast()).await;
    for path in [
        "/v1/chat/completions",
        "/v1/models",
        "/api/chat",
        "/api/generate",
        "/api/tags",
        "/gpt/summary",
    ] {
        let resp = send(
            addr,
            preflight(path, "http://app.example").as_bytes(),
            |_| false,
        )
        .await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(
            resp.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
        let methods = resp
            .header("access-control-allow-methods")
            .unwrap_or_default();
        assert!(
            methods == "*" || methods.contains("POST"),
            "{path}: {methods}"
        );
        let headers = resp
            .header("access-control-allow-headers")
            .unwrap_or_default();
        assert!(
            headers == "*" || headers.contains("authorization"),
            "{path}: {headers}"
        );
    }
    // Simple requests carry the header too, errors included.
    let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nOrigin: http://app.example\r\nContent-Length: 2\r\n\r\n{}";
    let resp = send(addr, request.as_bytes(), |_| false).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn configured_origins_only() {
    let mut config = fast();
    config.chat.cors_origins = vec!["http://app.example".into(), "http://localhost:8080".into()];
    let (addr, _) = start(config).await;
    for origin in ["http://app.example", "http://localhost:8080"] {
        let resp = send(addr, preflight("/api/chat", origin).as_bytes(), |_| false).await;
        assert_eq!(resp.header("access-control-allow-origin"), Some(origin));
    }
    let resp = send(
        addr,
        preflight("/api/chat", "http://evil.example").as_bytes(),
        |_| false,
    )
    .await;
    assert_eq!(resp.header("access-control-allow-origin"), None);
    let body = json!({"messages": [{"role": "user", "content": "[[echo]]ok"}], "stream": false})
        .to_string();
    let request = format!(
        "POST /api/chat HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let resp = send(addr, request.as_bytes(), |_| false).await;
    assert_eq!(
        resp.status(),
        200,
        "CORS is for browsers; the server still answers"
    );
    assert_eq!(resp.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn clock_stream_keeps_its_own_headers_and_no_cors_layer() {
    let (addr, _) = start(fast()).await;
    let request = "GET /stream HTTP/1.1\r\nHost: localhost\r\nOrigin: http://app.example\r\n\r\n";
    let resp = send(addr, request.as_bytes(), |body| !body.is_empty()).await;
    let acao: Vec<&(String, String)> = resp
        .headers
        .iter()
        .filter(|(n, _)| n.starts_with("access-control-"))
        .collect();
    assert_eq!(
        acao,
        [&("access-control-allow-origin".to_string(), "*".to_string())]
    );
    assert_eq!(resp.header("vary"), None);
    let resp = send(
        addr,
        preflight("/stream", "http://app.example").as_bytes(),
        |_| false,
    )
    .await;
    assert_eq!(resp.status(), 405, "no preflight answered on /stream");
    assert_eq!(resp.header("access-control-allow-methods"), None);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let mut config = fast();
    config.chat.max_body = 1000;
    let (addr, state) = start(config).await;
    // Declared too large: refused before it is read.
    for (path, shape) in [
        ("/v1/chat/completions", "/error/message"),
        ("/api/chat", "/error"),
        ("/api/generate", "/error"),
        ("/gpt/summary", "/detail"),
    ] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
        );
        let resp = send(addr, request.as_bytes(), |_| false).await;
        assert_eq!(resp.status(), 413, "{path}");
        let v: Value = serde_json::from_slice(&resp.body()).expect("json");
        assert!(
            v.pointer(shape)
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains("1000")),
            "{path}: {v}"
        );
    }
    // Chunked, no length: refused once it is over.
    let big = format!(
        "{{\"messages\": [{{\"role\": \"user\", \"content\": \"{}\"}}]}}",
        "x".repeat(1500)
    );
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    let resp = send(addr, request.as_bytes(), |_| false).await;
    assert_eq!(resp.status(), 413);
    // Just under the limit is fine.
    let ok =
        json!({"messages": [{"role": "user", "content": format!("[[echo]]{}", "y".repeat(900))}]})
            .to_string();
    assert!(ok.len() <= 1000);
    let resp = post_json(addr, "/v1/chat/completions", &ok, |_| false).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(state.streams.open(), 0);
}

#[tokio::test]
async fn slow_bodies_get_408() {
    let mut config = fast();
    config.chat.body_timeout = Duration::from_millis(300);
    let (addr, _) = start(config).await;
    let started = Instant::now();
    let sock = open(
        addr,
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"messages\"",
    )
    .await;
    let resp = read_response(sock, |_| false).await;
    assert_eq!(resp.status(), 408);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(5));
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn tokens_are_paced_at_the_rate() {
    let mut config = Config::default();
    config.chat.rate = 40.0;
    let (addr, _) = start(config).await;
    let body = json!({"messages": [{"role": "user", "content": "[[long:20]]"}], "stream": true})
        .to_string();
    let started = Instant::now();
    let resp = post_json(addr, "/v1/chat/completions", &body, |_| false).await;
    let took = started.elapsed();
    // 20 tokens at 40 per second: half a second.
    assert!(took >= Duration::from_millis(480), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(resp.chunks.len() >= 20, "tokens arrive as separate writes");
}

#[tokio::test]
async fn long_reply_at_full_speed_is_quick() {
    let (addr, _) = start(fast()).await;
    let prompt = "[[long:20000]]";
    let expected = demo::respond(&[Message::user(prompt)]);
    assert_eq!(expected.len(), 20_000);
    let body =
        json!({"messages": [{"role": "user", "content": prompt}], "stream": true}).to_string();
    let started = Instant::now();
    let resp = post_json(addr, "/v1/chat/completions", &body, |_| false).await;
    let took = started.elapsed();
    assert!(resp.complete);
    let data = sse_data(&resp.body());
    assert_eq!(data.len(), 20_000 + 3, "role, tokens, stop, [DONE]");
    let text: String = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str::<Value>(d).expect("json"))
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(text, expected.text());
    assert!(took < Duration::from_secs(8), "{took:?}");

    let body = json!({"prompt": prompt}).to_string();
    let started = Instant::now();
    let resp = post_json(addr, "/api/generate", &body, |_| false).await;
    assert!(resp.complete);
    assert_eq!(resp.text().lines().count(), 20_001);
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn streams_stop_when_clients_leave() {
    let (addr, state) = start(Config::default()).await;
    let mut clients = Vec::new();
    for i in 0..100 {
        let (path, body) = match i % 4 {
            0 => (
                "/v1/chat/completions",
                json!({"messages": [{"role": "user", "content": "[[long:100000]]"}], "stream": true}).to_string(),
            ),
            1 => (
                "/api/chat",
                json!({"messages": [{"role": "user", "content": "[[slow]] hi"}]}).to_string(),
            ),
            2 => ("/api/generate", json!({"prompt": "[[long:100000]]"}).to_string()),
            _ => ("/gpt/summary", json!({"content": "[[long:100000]]"}).to_string()),
        };
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        clients.push(open(addr, request.as_bytes()).await);
    }
    wait_until("100 open streams", || state.streams.open() == 100).await;
    for mut client in clients {
        let _ = client.shutdown().await;
        drop(client);
    }
    wait_until("all streams closed", || state.streams.open() == 0).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(state.streams.open(), 0);
}

#[tokio::test]
async fn unstreamed_answers_stop_when_clients_leave() {
    let (addr, state) = start(Config::default()).await;
    let body = json!({"messages": [{"role": "user", "content": "[[slow]] wait"}], "stream": false})
        .to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let client = open(addr, request.as_bytes()).await;
    wait_until("the answer is being made", || state.streams.open() == 1).await;
    drop(client);
    wait_until("the answer is abandoned", || state.streams.open() == 0).await;
}
