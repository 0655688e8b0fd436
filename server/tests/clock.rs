//! `GET /stream` keeps the original Node server's wire format, and leaves nothing behind.

mod support;

use std::time::Duration;

use rill_server::Config;
use support::{get, is_node_time, start, wait_until};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn stream_sends_original_headers_and_framing() {
    let (addr, _) = start(Config::default()).await;
    let resp = get(addr, "/stream", |body| {
        String::from_utf8_lossy(body).matches("\n\n").count() >= 2
    })
    .await;
    assert_eq!(resp.status_line, "HTTP/1.1 200 OK");
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    assert_eq!(resp.header("cache-control"), Some("no-cache"));
    assert_eq!(resp.header("connection"), Some("keep-alive"));
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    // The first three writes of the original, as three chunks.
    assert_eq!(resp.chunks[0], b"retry: 10000\n");
    assert_eq!(resp.chunks[1], b"event: connecttime\n");
    let first = String::from_utf8(resp.chunks[2].clone()).expect("utf-8");
    let time = first
        .strip_prefix("data: ")
        .and_then(|s| s.strip_suffix("\n\n"))
        .expect("data line");
    assert!(is_node_time(time), "{time:?}");
    let tick = String::from_utf8(resp.chunks[3].clone()).expect("utf-8");
    let time = tick
        .strip_prefix("data: ")
        .and_then(|s| s.strip_suffix("\n\n"))
        .expect("tick");
    assert!(is_node_time(time), "{time:?}");
}

#[tokio::test]
async fn other_paths_are_plain_text_404() {
    let (addr, _) = start(Config::default()).await;
    let resp = get(addr, "/nope", |_| false).await;
    assert_eq!(resp.status_line, "HTTP/1.1 404 Not Found");
    assert_eq!(resp.header("content-type"), Some("text/plain"));
    assert_eq!(resp.body(), b"Not Found");
}

#[tokio::test]
async fn tickers_stop_when_clients_leave() {
    let (addr, state) = start(Config::default()).await;
    let mut clients = Vec::new();
    for _ in 0..100 {
        let mut sock = TcpStream::connect(addr).await.expect("connect");
        sock.write_all(b"GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .expect("write");
        clients.push(sock);
    }
    wait_until("100 open streams", || state.streams.open() == 100).await;
    drop(clients);
    // hyper notices a closed socket on its next write, at the latest at the next tick.
    wait_until("all streams closed", || state.streams.open() == 0).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(state.streams.open(), 0);
}
