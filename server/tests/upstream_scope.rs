//! `--upstream` is scoped: only the app's own routes reach the model server, `..` paths are
//! refused, CORS is off unless `--cors-origin` names origins, and errors do not tell a page
//! what is behind us.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rill_server::chat::Upstream;
use rill_server::{AppState, Config};
use support::{send, start, RawResponse};
use tokio::net::TcpListener;

/// Every request a recording upstream received, as `METHOD PATH?QUERY`.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn all(&self) -> Vec<String> {
        self.0.lock().expect("lock").clone()
    }
}

/// A model server that records every request and answers each of the app's routes in its
/// format (anything else with a 200 that would show it was reached).
async fn recording_upstream() -> (SocketAddr, Seen) {
    let seen = Seen::default();
    let record = seen.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let record = record.clone();
        async move {
            let target = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            record
                .0
                .lock()
                .expect("lock")
                .push(format!("{} {target}", request.method()));
            answer(request.uri().path())
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

fn answer(path: &str) -> Response {
    let (kind, body) = match path {
        "/v1/chat/completions" => (
            "text/event-stream",
            "data: {\"choices\":[{\"delta\":{\"content\":\"up\"}}]}\n\ndata: [DONE]\n\n",
        ),
        "/api/chat" => (
            "application/x-ndjson",
            "{\"message\":{\"content\":\"up\"},\"done\":false}\n{\"done\":true}\n",
        ),
        _ => ("text/plain", "reached the upstream"),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn proxy(upstream: SocketAddr, tweak: impl FnOnce(&mut Config)) -> (SocketAddr, AppState) {
    let mut config = support::fast();
    config.chat.upstream = Some(Upstream::parse(&format!("http://{upstream}")).expect("url"));
    tweak(&mut config);
    start(config).await
}

async fn request(addr: SocketAddr, method: &str, path: &str, extra: &str) -> RawResponse {
    let body = if method == "POST" {
        "{\"model\":\"m\",\"messages\":[]}"
    } else {
        ""
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    send(addr, request.as_bytes(), |_| false).await
}

fn cors_headers(r: &RawResponse) -> Vec<(String, String)> {
    r.headers
        .iter()
        .filter(|(n, _)| n.starts_with("access-control-"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn foreign_routes_and_methods_are_404_and_never_reach_the_upstream() {
    let (up, seen) = recording_upstream().await;
    let (addr, _) = proxy(up, |_| {}).await;
    for (method, path) in [
        ("POST", "/api/pull"),
        ("POST", "/api/create"),
        ("POST", "/api/copy"),
        ("POST", "/api/push"),
        ("DELETE", "/api/delete"),
        ("POST", "/api/embed"),
        ("GET", "/api/ps"),
        ("POST", "/api/show"),
        ("GET", "/api/chat"),
        ("DELETE", "/api/chat"),
        ("POST", "/api/tags"),
        ("GET", "/v1/files"),
        ("POST", "/v1/files"),
        ("GET", "/v1/chat/completions"),
        ("PUT", "/v1/chat/completions"),
        ("POST", "/v1/models"),
        ("POST", "/v1/chat/completions/"),
        ("POST", "/v1//chat/completions"),
        ("GET", "/v1/models/rill-demo"),
        ("OPTIONS", "/v1/chat/completions"),
    ] {
        let r = request(addr, method, path, "").await;
        assert_eq!(r.status(), 404, "{method} {path}");
        assert!(
            !r.text().contains("reached the upstream"),
            "{method} {path}"
        );
    }
    assert_eq!(seen.all(), Vec::<String>::new());
}

#[tokio::test]
async fn the_app_routes_are_forwarded_and_stream_through() {
    let (up, seen) = recording_upstream().await;
    let (addr, _) = proxy(up, |_| {}).await;
    let r = request(addr, "POST", "/v1/chat/completions", "").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        support::sse_data(&r.body()),
        ["{\"choices\":[{\"delta\":{\"content\":\"up\"}}]}", "[DONE]"]
    );
    let r = request(addr, "POST", "/api/chat", "").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(
        r.text(),
        "{\"message\":{\"content\":\"up\"},\"done\":false}\n{\"done\":true}\n"
    );
    for (method, path) in [
        ("POST", "/api/generate"),
        ("GET", "/v1/models"),
        ("GET", "/api/tags"),
        ("GET", "/api/version"),
    ] {
        let r = request(addr, method, path, "").await;
        assert_eq!(r.status(), 200, "{method} {path}");
    }
    assert_eq!(
        seen.all(),
        [
            "POST /v1/chat/completions",
            "POST /api/chat",
            "POST /api/generate",
            "GET /v1/models",
            "GET /api/tags",
            "GET /api/version",
        ]
    );
}

#[tokio::test]
async fn dot_dot_segments_are_refused_on_every_route() {
    let (up, seen) = recording_upstream().await;
    let (addr, _) = proxy(up, |_| {}).await;
    for (method, path) in [
        ("POST", "/v1/../api/pull"),
        ("POST", "/api/chat/../pull"),
        ("POST", "/api/%2e%2e/api/pull"),
        ("POST", "/api/%2E%2E/api/pull"),
        ("POST", "/api/chat/.%2e/pull"),
        ("POST", "/api/chat/%2E./pull"),
        ("GET", "/v1/%2e%2e"),
        ("GET", "/%2e%2e/etc/passwd"),
        ("GET", "/stream/.."),
        ("GET", "/gpt/summary/..?content=x"),
    ] {
        let r = request(addr, method, path, "").await;
        assert_eq!(r.status(), 400, "{method} {path}");
    }
    assert_eq!(seen.all(), Vec::<String>::new());
}

#[tokio::test]
async fn no_cors_with_an_upstream_unless_origins_are_named() {
    let (up, seen) = recording_upstream().await;
    let (addr, _) = proxy(up, |_| {}).await;
    let preflight = "Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, authorization\r\n";
    for path in [
        "/v1/chat/completions",
        "/api/chat",
        "/api/pull",
        "/gpt/summary",
    ] {
        let r = request(addr, "OPTIONS", path, preflight).await;
        assert_eq!(cors_headers(&r), Vec::new(), "preflight of {path}");
        assert_ne!(r.status(), 200, "preflight of {path} is not answered");
    }
    let r = request(
        addr,
        "POST",
        "/v1/chat/completions",
        "Origin: http://evil.example\r\n",
    )
    .await;
    assert_eq!(
        r.status(),
        200,
        "CORS is for browsers; the server still answers"
    );
    assert_eq!(cors_headers(&r), Vec::new());
    assert_eq!(seen.all(), ["POST /v1/chat/completions"]);
}

#[tokio::test]
async fn named_origins_get_cors_with_the_headers_listed() {
    let (up, seen) = recording_upstream().await;
    let (addr, _) = proxy(up, |c| {
        c.chat.cors_origins = vec!["http://a.example".into()]
    })
    .await;
    let preflight = |origin: &str| {
        format!(
            "Origin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, authorization\r\n"
        )
    };
    let r = request(
        addr,
        "OPTIONS",
        "/v1/chat/completions",
        &preflight("http://a.example"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://a.example")
    );
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in [
        "authorization",
        "content-type",
        "accept",
        "last-event-id",
        "x-api-key",
    ] {
        assert!(
            allowed.split(',').any(|h| h.trim() == name),
            "{name}: {allowed}"
        );
    }
    let methods = r.header("access-control-allow-methods").unwrap_or_default();
    assert!(
        !methods.contains('*') && methods.contains("POST"),
        "{methods}"
    );
    let r = request(
        addr,
        "OPTIONS",
        "/v1/chat/completions",
        &preflight("http://evil.example"),
    )
    .await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(
        seen.all(),
        Vec::<String>::new(),
        "preflights are ours to answer"
    );
}

#[tokio::test]
async fn upstream_errors_do_not_name_the_upstream() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("addr")
    };
    let (addr, _) = proxy(closed, |_| {}).await;
    for (method, path) in [
        ("POST", "/v1/chat/completions"),
        ("GET", "/api/tags"),
        ("GET", "/gpt/summary?content=hi"),
    ] {
        let r = request(addr, method, path, "").await;
        assert_eq!(r.status(), 502, "{path}");
        let text = r.text();
        assert!(
            !text.contains(&closed.to_string())
                && !text.contains("127.0.0.1")
                && !text.contains(&closed.port().to_string()),
            "{path}: {text}"
        );
    }
}
