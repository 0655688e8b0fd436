//! rill-server's limits over real sockets: the header-read and idle timeouts, the cap on open
//! streams (total and per client address) with 503 + Retry-After and its release when clients
//! go away, the demo model's marker caps and the model name's length.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use rill_server::{AppState, Config, Limits, StreamGauge};
use support::{get, post_json, read_response, start_with, wait_until, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

fn limits(header: u64, idle: u64) -> Limits {
    Limits {
        header_timeout: Duration::from_millis(header),
        idle_timeout: Duration::from_millis(idle),
    }
}

fn state(max: usize, per_client: usize) -> AppState {
    AppState {
        streams: StreamGauge::with_limits(max, per_client, 7),
        ..AppState::default()
    }
}

/// Reads until the peer closes; true if it did within [`WAIT`].
async fn closed_by_peer(sock: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, sock.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

/// Opens `GET /stream` from `source` (a loopback address) and reads its first event.
async fn open_stream(addr: SocketAddr, source: [u8; 4]) -> (TcpStream, Vec<u8>) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("bind source");
    let mut sock = timeout(WAIT, socket.connect(addr))
        .await
        .expect("connect in time")
        .expect("connect");
    let req = format!("GET /stream HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    sock.write_all(req.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    // The head, and for a 200 its first event (`connecttime`'s data).
    while !(head.starts_with(b"HTTP/1.1 503") && head.windows(4).any(|w| w == b"\r\n\r\n")
        || head.windows(6).any(|w| w == b"data: "))
    {
        let n = timeout(WAIT, sock.read(&mut buf))
            .await
            .expect("read in time")
            .expect("read");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&head));
        head.extend_from_slice(&buf[..n]);
    }
    (sock, head)
}

#[tokio::test]
async fn slowloris_headers_byte_by_byte_are_cut_off() {
    let addr = start_with(Config::default(), AppState::default(), limits(500, 60_000)).await;
    let mut sock = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /stream HTTP/1.1\r\nHost: {addr}\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(200)
    );
    let mut cut_after = None;
    for (i, byte) in request.bytes().enumerate() {
        if sock.write_all(&[byte]).await.is_err() {
            cut_after = Some(i);
            break;
        }
        // One byte every 20 ms: the whole head would take over 4 s.
        let mut probe = [0u8; 64];
        match timeout(Duration::from_millis(20), sock.read(&mut probe)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                cut_after = Some(i);
                break;
            }
            Ok(Ok(n)) => panic!("answered a half-sent head: {:?}", &probe[..n]),
            Err(_) => {}
        }
    }
    let cut_after = cut_after.expect("the server never cut the slow client off");
    assert!(
        cut_after < request.len() - 1,
        "cut only after the whole head"
    );
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let addr = start_with(Config::default(), AppState::default(), limits(5_000, 300)).await;
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    assert!(
        closed_by_peer(&mut silent).await,
        "silent connection kept open"
    );
    // After a full answer, the kept-alive connection is closed once idle, too.
    let mut sock = TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET /nope HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    sock.write_all(req.as_bytes()).await.expect("write");
    assert!(closed_by_peer(&mut sock).await, "idle keep-alive kept open");
}

#[tokio::test]
async fn a_ticking_stream_is_not_idle() {
    // Idle timeout shorter than the tick: the stream's writes keep it alive.
    let addr = start_with(Config::default(), AppState::default(), limits(5_000, 1_500)).await;
    let resp = get(addr, "/stream", |body| {
        String::from_utf8_lossy(body).matches("\n\n").count() >= 4
    })
    .await;
    assert_eq!(resp.status(), 200);
    assert!(
        String::from_utf8_lossy(&resp.body())
            .matches("\n\n")
            .count()
            >= 4
    );
}

#[tokio::test]
async fn stream_beyond_max_gets_503_with_retry_after_and_drops_release_the_count() {
    let st = state(3, 0);
    let gauge = st.streams.clone();
    let addr = start_with(Config::default(), st, Limits::default()).await;
    for round in 0..2 {
        let mut open = Vec::new();
        for _ in 0..3 {
            let (sock, head) = open_stream(addr, [127, 0, 0, 1]).await;
            assert!(head.starts_with(b"HTTP/1.1 200"), "round {round}");
            open.push(sock);
        }
        let (_refused, head) = open_stream(addr, [127, 0, 0, 1]).await;
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 503"), "{head}");
        assert!(head.contains("\r\nretry-after: 7\r\n"), "{head}");
        assert_eq!(gauge.open(), 3);
        drop(open);
        wait_until("the streams to be released", || gauge.open() == 0).await;
    }
}

#[tokio::test]
async fn per_client_cap_counts_each_address() {
    let st = state(100, 2);
    let gauge = st.streams.clone();
    let addr = start_with(Config::default(), st, Limits::default()).await;
    let a = [
        open_stream(addr, [127, 0, 0, 1]).await,
        open_stream(addr, [127, 0, 0, 1]).await,
    ];
    let (_, head) = open_stream(addr, [127, 0, 0, 1]).await;
    assert!(
        head.starts_with(b"HTTP/1.1 503"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let (_b, head) = open_stream(addr, [127, 0, 0, 2]).await;
    assert!(
        head.starts_with(b"HTTP/1.1 200"),
        "another address is its own count"
    );
    assert_eq!(gauge.open_from([127, 0, 0, 1].into()), 2);
    drop(a);
    wait_until("127.0.0.1's streams to be released", || {
        gauge.open_from([127, 0, 0, 1].into()) == 0
    })
    .await;
    let (_c, head) = open_stream(addr, [127, 0, 0, 1]).await;
    assert!(head.starts_with(b"HTTP/1.1 200"));
}

#[tokio::test]
async fn a_streamed_chat_beyond_max_gets_the_apis_503() {
    let addr = start_with(Config::default(), state(1, 0), Limits::default()).await;
    let (_clock, _) = open_stream(addr, [127, 0, 0, 1]).await;
    let body = r#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let resp = post_json(addr, "/v1/chat/completions", body, |_| false).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.header("retry-after"), Some("7"));
    let json: serde_json::Value = serde_json::from_slice(&resp.body()).expect("json error");
    assert!(json["error"]["message"].as_str().is_some(), "{json}");
}

#[tokio::test]
async fn a_too_long_model_name_is_refused_with_400() {
    let addr = start_with(support::fast(), AppState::default(), Limits::default()).await;
    let long = "m".repeat(257);
    for (path, body) in [
        (
            "/v1/chat/completions",
            format!(r#"{{"model":"{long}","messages":[{{"role":"user","content":"hi"}}]}}"#),
        ),
        (
            "/api/chat",
            format!(
                r#"{{"model":"{long}","stream":false,"messages":[{{"role":"user","content":"hi"}}]}}"#
            ),
        ),
        (
            "/api/generate",
            format!(r#"{{"model":"{long}","stream":false,"prompt":"hi"}}"#),
        ),
    ] {
        let resp = post_json(addr, path, &body, |_| false).await;
        assert_eq!(resp.status(), 400, "{path}");
        assert!(
            resp.text().contains("longer than 256 bytes"),
            "{path}: {}",
            resp.text()
        );
    }
    let ok = "m".repeat(256);
    let body = format!(r#"{{"model":"{ok}","stream":false,"prompt":"hi"}}"#);
    let resp = post_json(addr, "/api/generate", &body, |_| false).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().contains(&ok));
}

#[tokio::test]
async fn long_marker_is_capped() {
    let config = Config {
        chat: rill_server::chat::ChatConfig {
            rate: 0.0,
            ..Default::default()
        },
        ..Config::default()
    };
    let addr = start_with(config, AppState::default(), Limits::default()).await;
    let body = r#"{"messages":[{"role":"user","content":"[[long:99999999]]"}]}"#;
    let req = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let sock = support::open(addr, req.as_bytes()).await;
    let resp = read_response(sock, |_| false).await;
    assert_eq!(resp.status(), 200);
    let json: serde_json::Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(
        json["usage"]["completion_tokens"].as_u64(),
        Some(rill_server::chat::demo::MAX_LONG as u64),
        "{}",
        &json["usage"]
    );
}
