//! Replies that outlive their connection (`chat::replies`), over real HTTP: the resume
//! headers, resuming from any event with no gap and no duplicate, NDJSON resumed as SSE,
//! stop, 404 for an unknown id, 204 after the end, and CORS exposing the headers.

mod support;

use rill_server::chat::demo::{self, Message};
use rill_server::Config;
use serde_json::{json, Value};
use support::{get, post_json, send, sse_data, start, wait_until};

fn openai(prompt: &str) -> String {
    json!({"messages": [{"role": "user", "content": prompt}], "stream": true}).to_string()
}

fn content(data: &[String]) -> String {
    data.iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

fn paced(rate: f64) -> Config {
    let mut config = Config::default();
    config.chat.rate = rate;
    config
}

async fn resume(addr: std::net::SocketAddr, url: &str, last: &str) -> support::RawResponse {
    let req = format!(
        "GET {url} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nLast-Event-ID: {last}\r\nConnection: close\r\n\r\n"
    );
    send(addr, req.as_bytes(), |_| false).await
}

#[tokio::test]
async fn a_reply_resumed_from_any_event_is_the_whole_reply_once() {
    let (addr, state) = start(paced(200.0)).await;
    let prompt = "[[long:60]] resume me";
    let first = post_json(addr, "/v1/chat/completions", &openai(prompt), |b| {
        String::from_utf8_lossy(b).matches("\nid: ").count() >= 10
    })
    .await;
    assert_eq!(first.status(), 200);
    let id = first.header("rill-reply-id").expect("reply id").to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(
        first.header("rill-resume"),
        Some(&*format!("../replies/{id}"))
    );
    assert_eq!(
        first.header("rill-stop"),
        Some(&*format!("../replies/{id}/stop"))
    );
    // The client left mid-reply; the generation goes on.
    let text = first.text();
    let complete = &text[..text.rfind("\n\n").expect("an event") + 2];
    let seen: u64 = complete
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .next_back()
        .and_then(|n| n.parse().ok())
        .expect("numbered");
    let rest = resume(addr, &format!("/v1/replies/{id}"), &seen.to_string()).await;
    assert_eq!(rest.status(), 200);
    assert!(rest.complete);
    assert!(rest.text().starts_with("retry: 1000\n\n"));
    let mut data = sse_data(complete.as_bytes());
    data.extend(sse_data(&rest.body()));
    let expected = demo::reply(&[Message::user(prompt)]);
    assert_eq!(content(&data), expected, "no gap, no duplicate");
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    // From the start (a second tab) it is the same; after the end, 204.
    let all = resume(addr, &format!("/v1/replies/{id}"), "0").await;
    assert_eq!(content(&sse_data(&all.body())), expected);
    let ids: Vec<u64> = all
        .text()
        .lines()
        .filter_map(|l| l.strip_prefix("id: ")?.parse().ok())
        .collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    let last = ids.len().to_string();
    let after_the_end = resume(addr, &format!("/v1/replies/{id}"), &last).await;
    assert_eq!(after_the_end.status(), 204);
    assert_eq!(
        after_the_end.header("rill-reply-end"),
        Some("done"),
        "how it ended, for a client that has every event but not the end"
    );
    // The query form (EventSource cannot set headers) and a bad id.
    let req = format!(
        "GET /v1/replies/{id}?last_event_id={last} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let by_query = send(addr, req.as_bytes(), |_| false).await;
    assert_eq!(by_query.status(), 204);
    assert_eq!(
        resume(addr, &format!("/v1/replies/{id}"), "x")
            .await
            .status(),
        400
    );
    assert_eq!(state.replies.stats().started, 1);
}

#[tokio::test]
async fn an_unknown_reply_is_404_in_the_apis_shape() {
    let (addr, _) = start(paced(0.0)).await;
    let r = get(addr, "/v1/replies/0123456789abcdef0123456789abcdef", |_| {
        false
    })
    .await;
    assert_eq!(r.status(), 404);
    let v: Value = serde_json::from_slice(&r.body()).expect("json");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("no such reply")));
    let r = get(addr, "/api/replies/nope", |_| false).await;
    assert_eq!(r.status(), 404);
    let v: Value = serde_json::from_slice(&r.body()).expect("json");
    assert!(v["error"].is_string());
    let stop =
        format!("POST /v1/replies/nope/stop HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(send(addr, stop.as_bytes(), |_| false).await.status(), 404);
}

#[tokio::test]
async fn stop_ends_the_generation_and_a_resume_then_ends_with_the_partial_text() {
    let (addr, state) = start(paced(20.0)).await;
    let first = post_json(addr, "/v1/chat/completions", &openai("[[long:400]]"), |b| {
        String::from_utf8_lossy(b).contains("\"content\":")
    })
    .await;
    let id = first.header("rill-reply-id").expect("id").to_string();
    wait_until("generating", || state.replies.stats().generating == 1).await;
    let stop =
        format!("POST /v1/replies/{id}/stop HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n");
    let r = send(addr, stop.as_bytes(), |_| false).await;
    assert_eq!(r.status(), 200);
    let v: Value = serde_json::from_slice(&r.body()).expect("json");
    assert_eq!(v["stopped"], true);
    assert_eq!(state.replies.stats().generating, 0);
    let rest = resume(addr, &format!("/v1/replies/{id}"), "0").await;
    assert!(rest.complete, "ends cleanly");
    let data = sse_data(&rest.body());
    assert!(!data.iter().any(|d| d == "[DONE]"), "stopped, not done");
    let text = content(&data);
    let full = demo::reply(&[Message::user("[[long:400]]")]);
    assert!(!text.is_empty() && text.len() < full.len() && full.starts_with(&text));
    let events = v["events"].as_u64().expect("events").to_string();
    let after = resume(addr, &format!("/v1/replies/{id}"), &events).await;
    assert_eq!(after.status(), 204);
    assert_eq!(after.header("rill-reply-end"), Some("stopped"));
}

#[tokio::test]
async fn a_reply_that_broke_ends_failed() {
    let (addr, _) = start(paced(200.0)).await;
    let first = post_json(
        addr,
        "/v1/chat/completions",
        &openai("[[long:40]][[drop:10]]"),
        |_| false,
    )
    .await;
    assert!(!first.complete, "the source broke");
    let id = first.header("rill-reply-id").expect("id").to_string();
    let seen = first.text().matches("\nid: ").count().to_string();
    let after = resume(addr, &format!("/v1/replies/{id}"), &seen).await;
    assert_eq!(after.status(), 204);
    assert_eq!(after.header("rill-reply-end"), Some("failed"));
}

#[tokio::test]
async fn a_summary_reply_offers_itself_in_its_first_event_for_eventsource() {
    let (addr, state) = start(paced(200.0)).await;
    let content = "[[long:200]] summary";
    let path = format!("/gpt/summary?content={}", content.replace(' ', "%20"));
    let first = get(addr, &path, |_| false).await;
    assert_eq!(first.status(), 200);
    let id = first.header("rill-reply-id").expect("id").to_string();
    assert_eq!(first.header("rill-resume"), Some(&*format!("replies/{id}")));
    let text = first.text();
    let (offer, rest) = text.split_once("\r\n\r\n").expect("a first event");
    let data = offer
        .strip_prefix("event: rill-reply\r\ndata: ")
        .expect("the offer, a named event without an id");
    let v: Value = serde_json::from_str(data).expect("json");
    assert_eq!(
        v,
        json!({"id": id, "resume": format!("replies/{id}"), "stop": format!("replies/{id}/stop")})
    );
    // The reply's own events follow, numbered from 1; an `onmessage` client sees only them.
    assert!(rest.starts_with("data: "), "{rest:?}");
    assert_eq!(
        sse_data(text.as_bytes()).concat(),
        demo::reply(&[Message::user(content)])
    );
    let last = rest.matches("\r\nid: ").count();
    assert!(last > 1, "several chunks");
    let resumed = resume(addr, &format!("/gpt/replies/{id}"), "1").await;
    assert_eq!(resumed.status(), 200);
    assert!(
        !resumed.text().contains("rill-reply"),
        "a resume has no offer"
    );
    let end = resume(addr, &format!("/gpt/replies/{id}"), &last.to_string()).await;
    assert_eq!(end.status(), 204);
    assert_eq!(end.header("rill-reply-end"), Some("done"));
    // Its ids name the reply: EventSource's own reconnect (the same URL, `Last-Event-ID:
    // ID-N`) resumes it; the resume route takes that form too.
    assert!(rest.contains(&format!("\r\nid: {id}-1\r\n")), "{rest:?}");
    let again = resume(addr, &path, &format!("{id}-1")).await;
    assert_eq!(again.status(), 200);
    assert!(again.text().starts_with("retry: 1000\n\n"));
    let mut whole = sse_data(
        rest.split_inclusive("\r\n\r\n")
            .next()
            .unwrap_or("")
            .as_bytes(),
    );
    whole.extend(sse_data(&again.body()));
    assert_eq!(whole.concat(), demo::reply(&[Message::user(content)]));
    let named = resume(addr, &format!("/gpt/replies/{id}"), &format!("{id}-{last}")).await;
    assert_eq!(named.status(), 204);
    // Another reply's id, or none kept under it: a new request, as the original answers.
    let other = resume(addr, &path, "0123456789abcdef0123456789abcdef-1").await;
    assert_eq!(other.status(), 200);
    assert_eq!(
        sse_data(&other.body()).concat(),
        demo::reply(&[Message::user(content)])
    );
    assert_eq!(
        state.replies.stats().started,
        2,
        "the reconnect generated nothing"
    );
}

#[tokio::test]
async fn an_ollama_reply_is_resumed_as_numbered_sse_lines() {
    let (addr, _) = start(paced(200.0)).await;
    let body =
        json!({"model": "m", "messages": [{"role": "user", "content": "[[long:30]]"}]}).to_string();
    let first = post_json(addr, "/api/chat", &body, |b| {
        String::from_utf8_lossy(b).matches('\n').count() >= 5
    })
    .await;
    assert_eq!(first.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(
        first
            .header("rill-resume")
            .map(|u| u.starts_with("replies/")),
        Some(true)
    );
    let id = first.header("rill-reply-id").expect("id").to_string();
    let text = first.text();
    let lines: Vec<&str> = text[..text.rfind('\n').expect("a line") + 1]
        .lines()
        .collect();
    let rest = resume(
        addr,
        &format!("/api/replies/{id}"),
        &lines.len().to_string(),
    )
    .await;
    assert_eq!(
        rest.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let mut all: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    all.extend(sse_data(&rest.body()));
    let reply: String = all
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).expect("each line is json"))
        .filter_map(|v| v["message"]["content"].as_str().map(str::to_string))
        .collect();
    assert_eq!(reply, demo::reply(&[Message::user("[[long:30]]")]));
    assert!(rest
        .text()
        .contains(&format!("\nid: {}\n\n", lines.len() + 1)));
}

#[tokio::test]
async fn cors_exposes_the_resume_headers_to_other_origins() {
    let (addr, _) = start(paced(0.0)).await;
    let body = openai("hi");
    let req = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://page.example\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let r = send(addr, req.as_bytes(), |_| false).await;
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in ["rill-reply-id", "rill-resume", "rill-stop"] {
        assert!(exposed == "*" || exposed.contains(name), "{exposed}");
    }
}

#[tokio::test]
async fn with_an_upstream_the_reply_routes_are_answered_here_not_forwarded() {
    let mut config = paced(0.0);
    // Nothing listens there: a forwarded request would be a 502.
    config.chat.upstream =
        Some(rill_server::chat::Upstream::parse("http://127.0.0.1:9").expect("url"));
    let (addr, _) = start(config).await;
    for path in [
        "/v1/replies/0123456789abcdef0123456789abcdef",
        "/api/replies/0123456789abcdef0123456789abcdef",
    ] {
        let r = get(addr, path, |_| false).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(r.text().contains("no such reply"), "{path}: {}", r.text());
    }
}
