//! `/demo/…`: the demo feeds' events and their resume on `Last-Event-ID` (no gap, no
//! duplicate).

mod support;

use support::{open, read_response, start};

fn ids(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .filter_map(|v| v.parse().ok())
        .collect()
}

async fn get_with(addr: std::net::SocketAddr, path: &str, last_id: Option<u64>) -> String {
    let extra = last_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{extra}\r\n");
    let sock = open(addr, req.as_bytes()).await;
    let resp = read_response(sock, |_| false).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    assert_eq!(resp.header("x-accel-buffering"), Some("no"));
    resp.text()
}

#[tokio::test]
async fn ticker_sends_typed_json_events_and_retry() {
    let (addr, _) = start(Default::default()).await;
    let text = get_with(addr, "/demo/ticker?rate=200&drop=20", None).await;
    assert!(text.starts_with("retry: 2000\n"), "{text}");
    let got = ids(&text);
    assert_eq!(got.len(), 20);
    assert!(got.windows(2).all(|w| w[1] == w[0] + 1), "{got:?}");
    assert!(text.contains("event: price\ndata: {\"symbol\":"));
    assert!(text.contains("event: trade\n"));
    for line in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON data");
        assert!(v["symbol"].is_string() && v["price"].is_number(), "{line}");
    }
}

#[tokio::test]
async fn resume_on_last_event_id_has_no_gap_and_no_duplicate() {
    let (addr, _) = start(Default::default()).await;
    let mut all = Vec::new();
    let mut last = None;
    for _ in 0..4 {
        let text = get_with(addr, "/demo/ticker?rate=100&drop=7", last).await;
        let got = ids(&text);
        assert_eq!(got.len(), 7);
        last = got.last().copied();
        all.extend(got);
    }
    assert!(
        all.windows(2).all(|w| w[1] == w[0] + 1),
        "ids across reconnects: {all:?}"
    );
}

#[tokio::test]
async fn every_feed_answers_events() {
    let (addr, _) = start(Default::default()).await;
    for (path, kind) in [
        ("/demo/scores?rate=100&drop=3", "data: {\"match\":"),
        ("/demo/news?rate=100&drop=3", "event: headline\n"),
        ("/demo/buffered?rate=100&drop=3", "data: {\"symbol\":"),
    ] {
        let text = get_with(addr, path, None).await;
        assert_eq!(ids(&text).len(), 3, "{path}: {text}");
        assert!(text.contains(kind), "{path}: {text}");
    }
}

#[tokio::test]
async fn buffered_releases_events_in_bursts() {
    let (addr, _) = start(Default::default()).await;
    let req = format!("GET /demo/buffered?rate=20&drop=10 HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let sock = open(addr, req.as_bytes()).await;
    let resp = read_response(sock, |_| false).await;
    // 10 events at 20/s held for 3 s: they come in one or two chunks, not ten.
    let event_chunks = resp
        .chunks
        .iter()
        .filter(|c| String::from_utf8_lossy(c).contains("id: "))
        .count();
    assert!(event_chunks <= 2, "{event_chunks} chunks");
}
