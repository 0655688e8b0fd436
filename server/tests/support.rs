//! Helpers for the server's integration tests: an in-process server on a free port and a
//! minimal raw HTTP/1.1 client that shows the exact bytes on the wire.

#![allow(dead_code)]

use std::time::Duration;

use rill_server::{router, serve, AppState, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(10);

/// Starts rill-server in this process on 127.0.0.1:0; returns its address and state.
pub async fn start(config: Config) -> (std::net::SocketAddr, AppState) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState::default();
    let app = router(&config, state.clone());
    tokio::spawn(serve(listener, app, std::future::pending()));
    (addr, state)
}

/// A response read off a raw socket: status line, headers (names lower-cased) and the body
/// chunks as sent (chunked transfer decoded, chunk boundaries kept).
#[derive(Debug, Default)]
pub struct RawResponse {
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub chunks: Vec<Vec<u8>>,
    /// The body ended as HTTP says it should (last chunk, full length, or close without a
    /// length); false if the connection broke first or reading stopped because of `enough`.
    pub complete: bool,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }
    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body()).expect("utf-8 body")
    }
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

/// Sends `GET path` and reads until `enough` says the body read so far suffices, or the body ends.
pub async fn get(
    addr: std::net::SocketAddr,
    path: &str,
    enough: impl Fn(&[u8]) -> bool,
) -> RawResponse {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    send(addr, req.as_bytes(), enough).await
}

/// Sends `POST path` with a JSON body and reads the response like [`get`].
pub async fn post_json(
    addr: std::net::SocketAddr,
    path: &str,
    body: &str,
    enough: impl Fn(&[u8]) -> bool,
) -> RawResponse {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    send(addr, req.as_bytes(), enough).await
}

/// Opens a connection and writes `request` (raw bytes) on it.
pub async fn open(addr: std::net::SocketAddr, request: &[u8]) -> TcpStream {
    let mut sock = timeout(WAIT, TcpStream::connect(addr))
        .await
        .expect("connect in time")
        .expect("connect");
    sock.write_all(request).await.expect("write");
    sock
}

/// Sends `request` (raw bytes) and reads the response like [`get`].
pub async fn send(
    addr: std::net::SocketAddr,
    request: &[u8],
    enough: impl Fn(&[u8]) -> bool,
) -> RawResponse {
    let sock = open(addr, request).await;
    read_response(sock, enough).await
}

/// Reads a response from `sock` until `enough` says the body read so far suffices, or the
/// body ends (or breaks).
pub async fn read_response(mut sock: TcpStream, enough: impl Fn(&[u8]) -> bool) -> RawResponse {
    let mut buf = Vec::new();
    // The body so far, kept alongside the chunks so `enough` costs no copy of it.
    let mut body = Vec::new();
    let mut resp = RawResponse::default();
    let mut head_done = false;
    let mut pos = 0;
    let mut chunked = false;
    let mut content_length: Option<usize> = None;
    loop {
        if !head_done {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let mut lines = head.split("\r\n");
                resp.status_line = lines.next().unwrap_or_default().to_string();
                for line in lines {
                    if let Some((n, v)) = line.split_once(':') {
                        resp.headers
                            .push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
                    }
                }
                chunked = resp.header("transfer-encoding") == Some("chunked");
                content_length = resp.header("content-length").and_then(|v| v.parse().ok());
                head_done = true;
                pos = end + 4;
            }
        }
        if head_done {
            if chunked {
                while let Some(line_end) = find(&buf[pos..], b"\r\n") {
                    let size_text = String::from_utf8_lossy(&buf[pos..pos + line_end]).to_string();
                    let size = usize::from_str_radix(size_text.trim(), 16).expect("chunk size");
                    let start = pos + line_end + 2;
                    if buf.len() < start + size + 2 {
                        break;
                    }
                    if size == 0 {
                        resp.complete = true;
                        return resp;
                    }
                    resp.chunks.push(buf[start..start + size].to_vec());
                    body.extend_from_slice(&buf[start..start + size]);
                    pos = start + size + 2;
                }
            } else if let Some(len) = content_length {
                if buf.len() >= pos + len {
                    resp.chunks.push(buf[pos..pos + len].to_vec());
                    resp.complete = true;
                    return resp;
                }
            }
            if enough(&body) {
                return resp;
            }
        }
        let mut tmp = [0u8; 65536];
        let n = timeout(WAIT, sock.read(&mut tmp))
            .await
            .expect("read in time")
            .unwrap_or(0);
        if n == 0 {
            if !chunked && content_length.is_none() && head_done {
                resp.chunks.push(buf[pos..].to_vec());
                resp.complete = true;
            }
            return resp;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Polls `cond` every 20 ms until it holds or [`WAIT`] passes.
pub async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `text` without the offer event a kept summary reply starts with (`event: rill-reply`,
/// `chat::replies`), for comparing a stream's framing with the original's.
pub fn without_offer(text: &str) -> String {
    match text.strip_prefix("event: rill-reply\r\n") {
        Some(rest) => rest
            .split_once("\r\n\r\n")
            .map_or_else(String::new, |(_, after)| after.to_string()),
        None => text.to_string(),
    }
}

/// `text` without the `id: N` lines rill-server adds to each event of a kept reply
/// (`chat::replies`), for comparing a stream's framing with the format's own.
pub fn without_ids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = &rest[..end];
        if !line.starts_with("id: ") {
            out.push_str(line);
        }
        rest = &rest[end..];
    }
    out
}

/// True if `s` looks like Node's zh-CN Shanghai time: `2026/1/5 09:03:07`.
pub fn is_node_time(s: &str) -> bool {
    let Some((date, time)) = s.split_once(' ') else {
        return false;
    };
    let d: Vec<&str> = date.split('/').collect();
    let t: Vec<&str> = time.split(':').collect();
    d.len() == 3
        && d[0].len() == 4
        && d[1..]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && !p.starts_with('0'))
        && d.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && t.len() == 3
        && t.iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The data of each event in an SSE body, as [`rill_sse::Decoder`] dispatches them.
pub fn sse_data(body: &[u8]) -> Vec<String> {
    let mut decoder = rill_sse::Decoder::new();
    let mut items = Vec::new();
    decoder.push(body, &mut items).expect("within limit");
    decoder.finish(&mut items);
    items
        .into_iter()
        .filter_map(|item| match item {
            // The summary's offer (`chat::replies`): not part of any reply, and a page
            // that listens with `onmessage` never sees it either.
            rill_sse::Item::Event(e) if e.event == "rill-reply" => None,
            rill_sse::Item::Event(e) => Some(e.data),
            rill_sse::Item::Retry(_) => None,
        })
        .collect()
}

/// The data of each event of an SSE body, each parsed as JSON (a test fails on one that is not).
pub fn sse_json(body: &[u8]) -> Vec<serde_json::Value> {
    sse_data(body)
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect()
}

/// The conversation the chat tests send: a terse system prompt and one user message.
pub fn terse_conversation(prompt: &str) -> Vec<rill_server::chat::demo::Message> {
    use rill_server::chat::demo::Message;
    vec![
        Message::new("system", "You are terse."),
        Message::user(prompt),
    ]
}

/// The lines of an NDJSON body, each parsed (or the line, when it is not JSON).
pub fn ndjson(body: &[u8]) -> Vec<Result<serde_json::Value, String>> {
    String::from_utf8(body.to_vec())
        .expect("utf-8 body")
        .split_inclusive('\n')
        .map(|line| serde_json::from_str(line.trim_end()).map_err(|_| line.to_string()))
        .collect()
}

/// A config whose demo model streams as fast as possible.
pub fn fast() -> Config {
    let mut config = Config::default();
    config.chat.rate = 0.0;
    config
}

/// Starts rill-server in this process like [`start`], with `state` (its stream limits) and
/// the connection `limits`.
pub async fn start_with(
    config: Config,
    state: AppState,
    limits: rill_server::Limits,
) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(&config, state);
    tokio::spawn(async move {
        rill_server::serve_with(listener, app, &limits, std::future::pending()).await
    });
    addr
}
