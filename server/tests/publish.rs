//! `Publisher::publish` against a local mock engine: what reaches Nchan's publisher location
//! and Pushpin's control API (method, path, headers, body), and a refusal as an error; and
//! a streamed reply as the mock receives it (`chat::reply_engine`).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::any;
use axum::Router;
use rill_server::publish::{Engine, PublishError, Publisher, SseEvent};
use rill_server::Config;
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

// Replies through an engine (`chat::reply_engine`): what a mock engine receives for one
// streamed reply, and that a reply still streams when its engine is unreachable.

/// The demo model at 200 tokens a second (a reply of 40 tokens), replies lingering `linger`.
fn config(linger: Duration) -> Config {
    let mut config = Config::default();
    config.chat.rate = 200.0;
    config.chat.replies.linger = linger;
    config
}

/// A streamed OpenAI chat request, with `extra` header lines.
fn chat_request(addr: std::net::SocketAddr, extra: &str) -> String {
    let body = serde_json::json!({
        "messages": [{"role": "user", "content": "[[long:40]] through an engine"}],
        "stream": true,
    })
    .to_string();
    format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_reply_goes_to_its_nchan_channel_whole_and_in_order_with_its_end_then_the_channel_is_deleted(
) {
    let (base, log, task) = mock(StatusCode::ACCEPTED).await;
    let (addr, state) = support::start(config(Duration::from_millis(200))).await;
    state.replies.set_engines(vec![Publisher::new(
        Engine::parse(&format!("nchan={base}")).expect("engine"),
    )]);
    let answer = support::send(
        addr,
        chat_request(addr, "Rill-Via: nchan\r\n").as_bytes(),
        |_| false,
    )
    .await;
    assert_eq!(answer.status(), 200);
    let id = answer
        .header("rill-reply-id")
        .expect("a reply id")
        .to_string();
    // Through nginx the reattach is the reply's Nchan channel; Stop stays rill-server's.
    assert_eq!(
        answer.header("rill-resume"),
        Some(&*format!("/sub/reply-{id}"))
    );
    assert_eq!(
        answer.header("rill-stop"),
        Some(&*format!("../replies/{id}/stop"))
    );
    support::wait_until("the channel's deletion", || {
        log.lock()
            .expect("log")
            .iter()
            .any(|s| s.method == "DELETE")
    })
    .await;
    let seen = log.lock().expect("log").clone();
    let path = format!("/pub/reply-{id}");
    assert!(seen.iter().all(|s| s.path == path), "{seen:?}");
    assert_eq!(seen[0].method, "POST");
    assert!(
        seen[0].body.is_empty(),
        "the channel is created empty first"
    );
    assert_eq!(seen.last().map(|s| s.method.as_str()), Some("DELETE"));
    let published: Vec<u8> = seen[1..seen.len() - 1]
        .iter()
        .inspect(|s| assert_eq!(header(s, "content-type"), Some("text/event-stream")))
        .flat_map(|s| s.body.clone())
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&published),
        format!("{}event: rill-reply-end\ndata: done\n\n", answer.text()),
        "the events as the first reader got them, ids included, each once, then the end"
    );
    task.abort();
}

#[tokio::test]
async fn a_reply_goes_to_pushpin_as_chained_items_then_a_close_after_the_last() {
    let (base, log, task) = mock(StatusCode::OK).await;
    let (addr, state) = support::start(config(Duration::from_secs(5))).await;
    state.replies.set_engines(vec![Publisher::new(
        Engine::parse(&format!("pushpin={base}")).expect("engine"),
    )]);
    let answer = support::send(addr, chat_request(addr, "").as_bytes(), |_| false).await;
    let id = answer
        .header("rill-reply-id")
        .expect("a reply id")
        .to_string();
    assert_eq!(
        answer.header("rill-resume"),
        Some(&*format!("../replies/{id}"))
    );
    let closed = |seen: &[Seen]| {
        seen.iter()
            .any(|s| String::from_utf8_lossy(&s.body).contains("\"close\""))
    };
    support::wait_until("the close", || closed(&log.lock().expect("log"))).await;
    let items: Vec<serde_json::Value> = log
        .lock()
        .expect("log")
        .iter()
        .map(|s| {
            serde_json::from_slice::<serde_json::Value>(&s.body).expect("json")["items"][0].clone()
        })
        .collect();
    let channel = format!("reply-{id}");
    assert!(
        items.iter().all(|i| i["channel"] == channel.as_str()),
        "{items:?}"
    );
    let (close, sends) = items.split_last().expect("items");
    let mut prev = "0".to_string();
    let mut content = String::new();
    for item in sends {
        assert_eq!(item["prev-id"], prev.as_str(), "chained: {items:?}");
        prev = item["id"].as_str().expect("an id").to_string();
        content.push_str(
            item["formats"]["http-stream"]["content"]
                .as_str()
                .expect("content"),
        );
    }
    assert_eq!(content, answer.text(), "every event once, in order");
    assert_eq!(
        close["prev-id"],
        prev.as_str(),
        "the close follows the last item"
    );
    assert_eq!(close["formats"]["http-stream"]["action"], "close");
    task.abort();
}

#[tokio::test]
async fn a_summary_reply_through_nginx_is_offered_its_nchan_channel_too() {
    let (base, _log, task) = mock(StatusCode::ACCEPTED).await;
    let (addr, state) = support::start(config(Duration::from_secs(5))).await;
    state.replies.set_engines(vec![Publisher::new(
        Engine::parse(&format!("nchan={base}")).expect("engine"),
    )]);
    let request = format!(
        "GET /gpt/summary?content=hello HTTP/1.1\r\nHost: {addr}\r\nRill-Via: nchan\r\nConnection: close\r\n\r\n"
    );
    let answer = support::send(addr, request.as_bytes(), |_| false).await;
    let id = answer
        .header("rill-reply-id")
        .expect("a reply id")
        .to_string();
    // Its end is the channel's `rill-reply-end`, as for the formats with an end marker.
    assert_eq!(
        answer.header("rill-resume"),
        Some(&*format!("/sub/reply-{id}"))
    );
    assert_eq!(
        answer.header("rill-stop"),
        Some(&*format!("replies/{id}/stop"))
    );
    task.abort();
}

#[tokio::test]
async fn a_reply_streams_whole_when_its_engine_is_unreachable() {
    let (addr, state) = support::start(config(Duration::from_secs(5))).await;
    // Nothing listens on port 1.
    state.replies.set_engines(vec![Publisher::new(
        Engine::parse("nchan=http://127.0.0.1:1").expect("engine"),
    )]);
    let answer = support::send(
        addr,
        chat_request(addr, "Rill-Via: nchan\r\n").as_bytes(),
        |_| false,
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert!(answer.complete, "the direct reply is not broken");
    assert!(answer.text().contains("data: [DONE]"), "{}", answer.text());
}
