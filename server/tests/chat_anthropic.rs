//! `/v1/messages`: the Anthropic Messages API's wire format on the demo model, with the
//! reasoning and tool-call markers.

mod support;

use rill_server::chat::demo;
use rill_server::chat::Upstream;
use serde_json::{json, Value};
use support::{
    fast, open, post_json, sse_json, start, terse_conversation, wait_until, without_ids,
};

const PATH: &str = "/v1/messages";

fn request(prompt: &str, stream: bool) -> String {
    json!({
        "model": "claude-test",
        "max_tokens": 1024,
        "system": "You are terse.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
        "stream": stream,
    })
    .to_string()
}

fn deltas(events: &[Value], kind: &str, field: &str) -> String {
    events
        .iter()
        .filter(|e| e["type"] == "content_block_delta" && e["delta"]["type"] == kind)
        .filter_map(|e| e["delta"][field].as_str())
        .collect()
}

#[tokio::test]
async fn streamed_reply_has_anthropics_events_and_the_exact_text() {
    let (addr, _state) = start(fast()).await;
    let prompt = "What are server-sent events?";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_eq!(
        resp.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let text = resp.text();
    assert!(text.starts_with("event: message_start\ndata: {"), "{text}");
    assert!(
        without_ids(&text).ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
    );
    let events = sse_json(&resp.body());
    let expected = demo::respond(&terse_conversation(prompt));
    assert_eq!(deltas(&events, "text_delta", "text"), expected.text());
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types[..3], ["message_start", "content_block_start", "ping"]);
    assert_eq!(
        types[types.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert_eq!(events[0]["message"]["model"], "claude-test");
    assert_eq!(events[0]["message"]["role"], "assistant");
    let input: usize = terse_conversation(prompt)
        .iter()
        .map(|m| demo::count_tokens(&m.content))
        .sum();
    assert_eq!(events[0]["message"]["usage"]["input_tokens"], input);
    let delta = &events[events.len() - 2];
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], expected.len());
}

#[tokio::test]
async fn think_and_tool_markers_stream_a_thinking_block_and_a_tool_use_block() {
    let (addr, _state) = start(fast()).await;
    let prompt = "Weather in Paris? [[think]] [[tool]]";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let events = sse_json(&resp.body());
    let expected = demo::respond(&terse_conversation(prompt));
    let tool = expected.tool.clone().expect("a tool call");
    assert_eq!(
        deltas(&events, "thinking_delta", "thinking"),
        expected.thinking_text()
    );
    assert_eq!(deltas(&events, "text_delta", "text"), expected.text());
    let args = deltas(&events, "input_json_delta", "partial_json");
    assert_eq!(args, tool.arguments);
    assert!(
        events
            .iter()
            .filter(|e| e["delta"]["type"] == "input_json_delta")
            .count()
            > 1,
        "the arguments come in several pieces"
    );
    let starts: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .collect();
    assert_eq!(starts.len(), 3);
    assert_eq!(starts[0]["content_block"]["type"], "thinking");
    assert_eq!(starts[1]["content_block"]["type"], "text");
    assert_eq!(starts[1]["index"], 1);
    assert_eq!(starts[2]["content_block"]["type"], "tool_use");
    assert_eq!(starts[2]["content_block"]["name"], demo::TOOL_NAME);
    assert_eq!(starts[2]["index"], 2);
    let delta = &events[events.len() - 2];
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["usage"]["output_tokens"], expected.output_tokens());
}

#[tokio::test]
async fn whole_answer_and_errors_have_anthropics_shape() {
    let (addr, _state) = start(fast()).await;
    let prompt = "Tell me [[think]] [[tool:search]]";
    let resp = post_json(addr, PATH, &request(prompt, false), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let message: Value = serde_json::from_slice(&resp.body()).expect("json");
    let expected = demo::respond(&terse_conversation(prompt));
    assert_eq!(message["type"], "message");
    assert_eq!(message["content"][0]["type"], "thinking");
    assert_eq!(message["content"][0]["thinking"], expected.thinking_text());
    assert_eq!(message["content"][1]["text"], expected.text());
    assert_eq!(message["content"][2]["name"], "search");
    assert_eq!(message["stop_reason"], "tool_use");
    assert_eq!(message["usage"]["output_tokens"], expected.output_tokens());

    let resp = post_json(addr, PATH, &request("x [[error:529]]", true), |_| false).await;
    assert_eq!(resp.status(), 529);
    let body: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(
        body,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "boom"}})
    );
    let resp = post_json(addr, PATH, "{\"messages\": []}", |_| false).await;
    assert_eq!(resp.status(), 400);
    let body: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let resp = post_json(addr, PATH, "not json", |_| false).await;
    assert_eq!(resp.status(), 400);

    let resp = post_json(addr, PATH, &request("[[long:20]][[drop:5]]", true), |_| {
        false
    })
    .await;
    assert!(!resp.complete, "the connection is aborted");
    assert!(!resp.text().contains("message_stop"));
}

#[tokio::test]
async fn upstream_forwards_messages_streamed_and_cancels_with_the_client() {
    let (up, up_state) = start(fast()).await;
    let mut config = fast();
    config.chat.upstream = Some(Upstream::parse(&format!("http://{up}")).expect("url"));
    // A reply nobody reads ends at once, so the client leaving cancels the upstream.
    config.chat.replies.linger = std::time::Duration::ZERO;
    let (addr, state) = start(config).await;
    let prompt = "Forwarded [[think]] [[tool]]";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let events = sse_json(&resp.body());
    let expected = demo::respond(&terse_conversation(prompt));
    assert_eq!(deltas(&events, "text_delta", "text"), expected.text());
    assert_eq!(
        deltas(&events, "thinking_delta", "thinking"),
        expected.thinking_text()
    );
    let resp = post_json(addr, PATH, &request("x [[error:429]]", false), |_| false).await;
    assert_eq!(resp.status(), 429);
    let body: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(body["error"]["type"], "rate_limit_error");

    // A slow reply: the client leaves after the first token, and both streams close.
    let body = request("[[slow]] a long story", true);
    let raw = format!(
        "POST {PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nx-api-key: sk-test\r\nanthropic-version: 2023-06-01\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let sock = open(addr, raw.as_bytes()).await;
    let resp =
        support::read_response(sock, |b| String::from_utf8_lossy(b).contains("text_delta")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(up_state.streams.open(), 1);
    drop(resp);
    wait_until("proxy stream closed", || state.streams.open() == 0).await;
    wait_until("upstream stream closed", || up_state.streams.open() == 0).await;
}
