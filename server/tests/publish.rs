//! `Publisher::publish` against a local mock engine: what reaches Nchan's publisher location
//! and Pushpin's control API (method, path, headers, body), and a refusal as an error.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::any;
use axum::Router;
use rill_server::publish::{Engine, PublishError, Publisher, SseEvent};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A mock engine on a free port that records every request and answers `status`.
async fn mock(status: StatusCode) -> (String, Log, tokio::task::JoinHandle<()>) {
    let log: Log = Arc::default();
    let app = Router::new()
        .fallback(any(
            |State((log, status)): State<(Log, StatusCode)>, request: Request| async move {
                let (parts, body) = request.into_parts();
                let body: Bytes = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                let seen = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_string(),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect(),
                    body: body.to_vec(),
                };
                log.lock().expect("log").push(seen);
                status
            },
        ))
        .with_state((log.clone(), status));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), log, task)
}

fn header<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn price() -> SseEvent {
    SseEvent {
        event: Some("price".into()),
        id: "42".into(),
        data: "{\"symbol\":\"RILL\",\"price\":101.5}".into(),
    }
}

#[tokio::test]
async fn nchan_gets_a_post_to_the_channel_with_the_type_header_and_the_data() {
    let (base, log, task) = mock(StatusCode::ACCEPTED).await;
    let publisher = Publisher::new(Engine::parse(&format!("nchan={base}")).expect("engine"));
    publisher
        .publish("demo-ticker", &price(), Some("41"))
        .await
        .expect("published");
    let seen = log.lock().expect("log").clone();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(
        (s.method.as_str(), s.path.as_str()),
        ("POST", "/pub/demo-ticker")
    );
    assert_eq!(header(s, "x-eventsource-event"), Some("price"));
    assert_eq!(s.body, price().data.as_bytes());
    assert_eq!(
        publisher.subscribe_url("demo-ticker"),
        Some(format!("{base}/sub/demo-ticker"))
    );
    task.abort();
}

#[tokio::test]
async fn pushpin_gets_one_http_stream_item_with_the_sse_bytes_and_ids() {
    let (base, log, task) = mock(StatusCode::OK).await;
    let publisher = Publisher::new(Engine::parse(&format!("pushpin={base}")).expect("engine"));
    publisher
        .publish("demo-ticker", &price(), Some("41"))
        .await
        .expect("published");
    let seen = log.lock().expect("log").clone();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!((s.method.as_str(), s.path.as_str()), ("POST", "/publish/"));
    assert_eq!(header(s, "content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&s.body).expect("json");
    let item = &body["items"][0];
    assert_eq!(item["channel"], "demo-ticker");
    assert_eq!(item["id"], "42");
    assert_eq!(item["prev-id"], "41");
    assert_eq!(
        item["formats"]["http-stream"]["content"],
        "event: price\nid: 42\ndata: {\"symbol\":\"RILL\",\"price\":101.5}\n\n"
    );
    assert_eq!(publisher.subscribe_url("demo-ticker"), None);
    task.abort();
}

#[tokio::test]
async fn a_refusal_and_an_absent_engine_are_errors() {
    let (base, _log, task) = mock(StatusCode::FORBIDDEN).await;
    let publisher = Publisher::new(Engine::parse(&format!("nchan={base}")).expect("engine"));
    assert_eq!(
        publisher.publish("clock", &price(), None).await,
        Err(PublishError::Refused(StatusCode::FORBIDDEN))
    );
    task.abort();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let gone =
        Publisher::new(Engine::parse(&format!("nchan=http://127.0.0.1:{port}")).expect("engine"));
    assert!(matches!(
        gone.publish("clock", &price(), None).await,
        Err(PublishError::Unreachable(_))
    ));
}
