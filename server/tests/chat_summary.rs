//! `/gpt/summary`: the original summary server's sse_starlette framing (CRLF, one `data:` line
//! per line of a chunk, chunks of at least 100 characters, `: ping` comments), without its
//! duplicated last chunk or its 500 for a missing content.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rill_server::chat::demo::{self, Message};
use rill_server::Config;
use serde_json::{json, Value};
use support::{
    fast, get, post_json, send, sse_data, start, wait_until, without_ids, without_offer,
};

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn url(content: &str) -> String {
    format!("/gpt/summary?content={}", encode(content))
}

/// The chunks the original's loop would make of the demo reply: tokens gathered until at
/// least 100 characters, then the rest, each once.
fn expected_chunks(content: &str) -> Vec<String> {
    let reply = demo::respond(&[Message::user(content)]);
    let mut chunks = Vec::new();
    let mut acc = String::new();
    for token in reply.tokens() {
        acc.push_str(token);
        if acc.chars().count() >= 100 {
            chunks.push(std::mem::take(&mut acc));
        }
    }
    if !acc.is_empty() {
        chunks.push(acc);
    }
    chunks
}

/// The events of a CRLF-framed body, as their lines.
fn raw_events(body: &str) -> Vec<Vec<&str>> {
    body.split_terminator("\r\n\r\n")
        .map(|event| event.split("\r\n").collect())
        .collect()
}

#[tokio::test]
async fn missing_content_is_400() {
    let (addr, _) = start(fast()).await;
    for resp in [
        get(addr, "/gpt/summary", |_| false).await,
        get(addr, "/gpt/summary?content=", |_| false).await,
        post_json(addr, "/gpt/summary", "", |_| false).await,
        post_json(addr, "/gpt/summary", "{}", |_| false).await,
        post_json(addr, "/gpt/summary", "{\"content\": \"\"}", |_| false).await,
    ] {
        assert_eq!(resp.status(), 400);
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert_eq!(
            serde_json::from_slice::<Value>(&resp.body()).expect("json"),
            json!({"detail": "No content provided"})
        );
    }
    let resp = post_json(addr, "/gpt/summary", "{\"content\": 5}", |_| false).await;
    assert_eq!(resp.status(), 422);
    assert!(serde_json::from_slice::<Value>(&resp.body()).expect("json")["detail"].is_string());
}

#[tokio::test]
async fn summary_is_sse_starlette_framed_in_chunks_of_100() {
    let (addr, state) = start(fast()).await;
    let content = "Server-sent events: explain them with an example, please.";
    let resp = get(addr, &url(content), |_| false).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    assert!(resp.complete, "the stream ends by closing cleanly");
    // Each event carries rill-server's `id:` (a kept reply); the rest is sse_starlette's.
    let body = without_ids(&without_offer(&resp.text()));
    assert!(body.ends_with("\r\n\r\n"));
    assert!(!body.contains("[DONE]"));
    // CRLF only: no bare LF or CR anywhere.
    assert_eq!(body.matches('\n').count(), body.matches("\r\n").count());
    assert_eq!(body.matches('\r').count(), body.matches("\r\n").count());
    let events = raw_events(&body);
    let expected = expected_chunks(content);
    assert!(expected.len() > 5);
    assert_eq!(events.len(), expected.len());
    let mut multi_line = 0;
    for (lines, chunk) in events.iter().zip(&expected) {
        assert!(lines.iter().all(|l| l.starts_with("data: ")), "{lines:?}");
        let data: Vec<&str> = lines.iter().map(|l| &l["data: ".len()..]).collect();
        assert_eq!(data.join("\n"), *chunk);
        assert_eq!(lines.len(), chunk.split('\n').count());
        if lines.len() > 1 {
            multi_line += 1;
        }
    }
    assert!(multi_line > 0, "some chunk spans several lines");
    let sizes: Vec<usize> = expected.iter().map(|c| c.chars().count()).collect();
    assert!(
        sizes[..sizes.len() - 1].iter().all(|&n| n >= 100),
        "{sizes:?}"
    );
    // Decoded as any client would, the events join to the reply, the last chunk once.
    let decoded = sse_data(&resp.body());
    assert_eq!(decoded, expected);
    assert_eq!(decoded.concat(), demo::reply(&[Message::user(content)]));
    wait_until("guard dropped", || state.streams.open() == 0).await;
}

#[tokio::test]
async fn post_body_content_wins_over_query() {
    let (addr, _) = start(fast()).await;
    let body = json!({"content": "[[echo]]from the body"}).to_string();
    let resp = post_json(addr, &url("[[echo]]from the query"), &body, |_| false).await;
    assert_eq!(sse_data(&resp.body()).concat(), "from the body");
    let resp = post_json(addr, &url("[[echo]]from the query"), "", |_| false).await;
    assert_eq!(sse_data(&resp.body()).concat(), "from the query");
}

#[tokio::test]
async fn echo_keeps_hostile_html_and_chinese() {
    let (addr, _) = start(fast()).await;
    let hostile = format!(
        "<img src=x onerror=alert(1)>\n{}\n<script>alert('x')</script>\n\n末尾",
        "服务器发送事件。".repeat(20)
    );
    let resp = get(addr, &url(&format!("[[echo]]{hostile}")), |_| false).await;
    let chunks = sse_data(&resp.body());
    assert!(chunks.len() >= 2);
    assert_eq!(chunks.concat(), hostile);
}

#[tokio::test]
async fn chinese_summary() {
    let (addr, _) = start(fast()).await;
    let content = "请总结这篇关于服务器发送事件的文章";
    let resp = get(addr, &url(content), |_| false).await;
    assert_eq!(sse_data(&resp.body()), expected_chunks(content));
    assert!(sse_data(&resp.body()).concat().contains("你问道"));
}

#[tokio::test]
async fn pings_are_sent_while_the_text_is_slow() {
    let mut config = Config::default();
    config.chat.ping = Duration::from_millis(150);
    let (addr, state) = start(config).await;
    let resp = get(addr, &url("[[slow]] hello"), |body| {
        String::from_utf8_lossy(body).matches(": ping - ").count() >= 2
    })
    .await;
    let body = without_ids(&without_offer(&resp.text()));
    for ping in body.split("\r\n\r\n").filter(|e| e.starts_with(':')) {
        // `: ping - 2025-01-05 01:03:07.123456+00:00`
        let time = ping.strip_prefix(": ping - ").expect("ping comment");
        assert!(time.ends_with("+00:00"), "{time}");
        assert_eq!(&time[4..5], "-", "{time}");
        assert_eq!(&time[10..11], " ", "{time}");
        assert!(time.len() == 25 || time.len() == 32, "{time}");
    }
    assert!(
        sse_data(&resp.body()).is_empty(),
        "pings are comments, not events"
    );
    drop(resp);
    wait_until("guard dropped", || state.streams.open() == 0).await;
}

#[tokio::test]
async fn no_pings_when_the_text_is_quick() {
    let (addr, _) = start(fast()).await;
    let resp = get(addr, &url("quick"), |_| false).await;
    assert!(!resp.text().contains(": ping"));
}

#[tokio::test]
async fn error_marker_gives_detail() {
    let (addr, state) = start(fast()).await;
    let resp = get(addr, &url("[[error:503]]"), |_| false).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(
        serde_json::from_slice::<Value>(&resp.body()).expect("json"),
        json!({"detail": "boom"})
    );
    assert_eq!(state.streams.open(), 0);
}

#[tokio::test]
async fn drop_marker_breaks_the_feed() {
    let (addr, state) = start(fast()).await;
    let content = "[[long:300]][[drop:100]]";
    let resp = get(addr, &url(content), |_| false).await;
    assert_eq!(resp.status(), 200);
    assert!(!resp.complete, "the response must break");
    let body = resp.text();
    assert!(!body.ends_with("\r\n\r\n"), "it breaks inside an event");
    let got = sse_data(&resp.body()).concat();
    let reply = demo::respond(&[Message::user(content)]);
    assert!(!got.is_empty());
    assert!(reply.prefix(100).starts_with(&got));
    assert!(
        got.len() < reply.prefix(100).len(),
        "the text not yet sent is lost"
    );
    wait_until("guard dropped", || state.streams.open() == 0).await;
}

#[tokio::test]
async fn first_chunk_arrives_before_the_reply_is_done() {
    // Unlike the original, which read the whole answer first.
    let mut config = Config::default();
    config.chat.rate = 200.0;
    let (addr, _) = start(config).await;
    let started = tokio::time::Instant::now();
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        url("[[long:400]] go")
    );
    let resp = send(addr, request.as_bytes(), |body| {
        body.windows(4).any(|w| w == b"\r\n\r\n")
    })
    .await;
    let first = started.elapsed();
    assert!(!resp.complete);
    // 400 tokens at 200/s take 2 s; the first 100 characters take well under one.
    assert!(first < Duration::from_millis(1200), "{first:?}");
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Interop: the original FastAPI + sse_starlette server from `../shared/seed/`, fed by
/// rill-server's own `/api/generate`, frames the same chunks the same way — plus its
/// duplicated last chunk, which rill-server does not send. Skipped (and says so) when the seed
/// or its Python packages are not there.
#[tokio::test]
async fn summary_matches_original_fastapi_server() {
    let seed =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/seed/summary_server.py");
    if !seed.is_file() {
        eprintln!(
            "SKIPPED summary_matches_original_fastapi_server: {} not found",
            seed.display()
        );
        return;
    }
    let has_packages = Command::new("python3")
        .args(["-c", "import fastapi, uvicorn, sse_starlette, httpx"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_packages {
        eprintln!("SKIPPED summary_matches_original_fastapi_server: python3 with fastapi, uvicorn, sse-starlette, httpx not installed");
        return;
    }
    let (rill, _) = start(fast()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let python = Killed(
        Command::new("python3")
            .arg(&seed)
            .env("OLLAMA_URL", format!("http://{rill}/api/generate"))
            .env("OLLAMA_MODEL", "rill-demo")
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python"),
    );
    let original: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    wait_until("the original summary server listening", || {
        std::net::TcpStream::connect_timeout(&original, Duration::from_millis(100)).is_ok()
    })
    .await;
    let content = "Explain, in a few lines, why a summary arrives in chunks.";
    let path = url(content);
    let (theirs, ours) = tokio::join!(get(original, &path, |_| false), get(rill, &path, |_| false));
    let (theirs_missing, ours_missing) = tokio::join!(
        get(original, "/gpt/summary", |_| false),
        get(rill, "/gpt/summary", |_| false)
    );
    drop(python);
    assert_eq!(theirs.status(), 200);
    assert_eq!(ours.header("content-type"), theirs.header("content-type"));
    let ours_events = sse_data(&ours.body());
    let theirs_events = sse_data(&theirs.body());
    let last = ours_events.last().expect("events").clone();
    assert_eq!(
        theirs_events,
        [ours_events.clone(), vec![last.clone()]].concat()
    );
    // Byte for byte, but for the duplicate (and any ping the original slipped in), and for
    // the `id:` lines rill-server adds so a reply can be resumed (the original has none).
    let theirs_text: String = theirs
        .text()
        .split_inclusive("\r\n\r\n")
        .filter(|event| !event.starts_with(':'))
        .collect();
    assert_eq!(
        theirs_text.as_bytes(),
        [
            without_ids(&without_offer(&ours.text())).into_bytes(),
            rill_server_frame(&last)
        ]
        .concat()
    );
    // The original's own 400 turns into a 500; ours stays a 400.
    assert_eq!(theirs_missing.status(), 500);
    assert_eq!(
        serde_json::from_slice::<Value>(&theirs_missing.body()).expect("json"),
        json!({"detail": "400: No content provided"})
    );
    assert_eq!(ours_missing.status(), 400);
}

fn rill_server_frame(chunk: &str) -> Vec<u8> {
    rill_sse::Frame::data(chunk)
        .encode(rill_sse::LineEnd::CrLf)
        .expect("frame")
        .into_bytes()
}
