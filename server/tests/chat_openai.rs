//! `/v1/chat/completions` and `/v1/models`: OpenAI's wire format, the demo model's reply, and
//! the test markers.

mod support;

use rill_server::chat::demo::{self, Message};
use serde_json::{json, Value};
use support::{fast, get, post_json, sse_data, start, wait_until, without_ids};

const PATH: &str = "/v1/chat/completions";

fn request(prompt: &str, stream: bool) -> String {
    json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": prompt},
        ],
        "stream": stream,
        "temperature": 0.2,
    })
    .to_string()
}

fn conversation(prompt: &str) -> Vec<Message> {
    vec![
        Message::new("system", "You are terse."),
        Message::user(prompt),
    ]
}

/// The chunks of a streamed answer (all events but `[DONE]`), parsed.
fn chunks(data: &[String]) -> Vec<Value> {
    data.iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect()
}

fn content(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn streamed_reply_is_the_demo_reply_then_stop_then_done() {
    let (addr, state) = start(fast()).await;
    let prompt = "What are server-sent events good for?";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_eq!(
        resp.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    assert_eq!(resp.header("cache-control"), Some("no-cache"));
    assert!(resp.complete, "the body ends cleanly");
    let text = resp.text();
    // Keys in OpenAI's order, as its SDKs' users see them in logs.
    assert!(text.starts_with("data: {\"id\":\"chatcmpl-"), "{text}");
    assert!(
        text.contains("\",\"object\":\"chat.completion.chunk\",\"created\":"),
        "{text}"
    );
    assert!(
        without_ids(&text).ends_with("}\n\ndata: [DONE]\n\n"),
        "{text}"
    );
    let data = sse_data(&resp.body());
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    assert_eq!(data.iter().filter(|d| *d == "[DONE]").count(), 1);
    let chunks = chunks(&data);
    let expected = demo::respond(&conversation(prompt));
    // A role chunk, one chunk per token, the stop chunk.
    assert_eq!(chunks.len(), expected.len() + 2);
    assert_eq!(content(&chunks), expected.text());
    assert_eq!(content(&chunks), demo::reply(&conversation(prompt)));
    let id = chunks[0]["id"].as_str().expect("id");
    assert!(id.starts_with("chatcmpl-"), "{id}");
    for chunk in &chunks {
        assert_eq!(chunk["id"], id);
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "gpt-4o-mini", "any model name is echoed");
        assert!(chunk["created"].as_u64().is_some_and(|t| t > 1_700_000_000));
        assert_eq!(chunk["choices"][0]["index"], 0);
    }
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant"})
    );
    for chunk in &chunks[1..chunks.len() - 1] {
        assert_eq!(chunk["choices"][0]["finish_reason"], Value::Null);
        assert!(chunk["choices"][0]["delta"]["content"].is_string());
    }
    let last = &chunks[chunks.len() - 1];
    assert_eq!(last["choices"][0]["delta"], json!({}));
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    wait_until("the stream's guard dropped", || state.streams.open() == 0).await;
}

#[tokio::test]
async fn usage_chunk_comes_when_asked_for() {
    let (addr, _) = start(fast()).await;
    let body = json!({
        "model": "rill-demo",
        "messages": [{"role": "user", "content": "count me"}],
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    let resp = post_json(addr, PATH, &body.to_string(), |_| false).await;
    let data = sse_data(&resp.body());
    let chunks = chunks(&data);
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    let reply = demo::respond(&[Message::user("count me")]);
    assert_eq!(usage["usage"]["completion_tokens"], reply.len());
    assert_eq!(
        usage["usage"]["prompt_tokens"],
        demo::count_tokens("count me")
    );
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn unstreamed_reply_is_one_completion() {
    let (addr, state) = start(fast()).await;
    let prompt = "Summarise the plot of Hamlet";
    let resp = post_json(addr, PATH, &request(prompt, false), |_| false).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gpt-4o-mini");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        demo::reply(&conversation(prompt))
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let reply = demo::respond(&conversation(prompt));
    assert_eq!(v["usage"]["completion_tokens"], reply.len());
    assert_eq!(
        v["usage"]["total_tokens"].as_u64(),
        Some(v["usage"]["prompt_tokens"].as_u64().expect("n") + reply.len() as u64)
    );
    // `stream` left out means not streamed, as in OpenAI's API.
    let body = json!({"model": "x", "messages": [{"role": "user", "content": prompt}]});
    let resp = post_json(addr, PATH, &body.to_string(), |_| false).await;
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(state.streams.open(), 0);
}

#[tokio::test]
async fn models_lists_the_demo_model() {
    let (addr, _) = start(fast()).await;
    let resp = get(addr, "/v1/models", |_| false).await;
    assert_eq!(resp.status(), 200);
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["id"], "rill-demo");
    assert_eq!(v["data"][0]["object"], "model");
    assert_eq!(v["data"][0]["owned_by"], "rill");
    assert!(v["data"][0]["created"].is_u64());
}

#[tokio::test]
async fn bad_requests_get_openai_errors() {
    let (addr, _) = start(fast()).await;
    for (body, what) in [
        ("{not json", "bad JSON"),
        ("{\"model\": \"x\"}", "no messages"),
        ("{\"model\": \"x\", \"messages\": []}", "empty messages"),
        ("{\"messages\": \"hello\"}", "messages not an array"),
    ] {
        let resp = post_json(addr, PATH, body, |_| false).await;
        assert_eq!(resp.status(), 400, "{what}");
        assert_eq!(resp.header("content-type"), Some("application/json"));
        let v: Value = serde_json::from_slice(&resp.body()).expect("json");
        assert_eq!(v["error"]["type"], "invalid_request_error", "{what}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
    let resp = get(addr, PATH, |_| false).await;
    assert_eq!(resp.status(), 405, "GET is not allowed");
}

#[tokio::test]
async fn error_marker_answers_with_that_status() {
    let (addr, state) = start(fast()).await;
    for stream in [true, false] {
        let resp = post_json(addr, PATH, &request("[[error:500]] hi", stream), |_| false).await;
        assert_eq!(resp.status(), 500);
        let v: Value = serde_json::from_slice(&resp.body()).expect("json");
        assert_eq!(v["error"]["message"], "boom");
        assert_eq!(v["error"]["type"], "server_error");
        let resp = post_json(addr, PATH, &request("[[error:429]]", stream), |_| false).await;
        assert_eq!(resp.status(), 429);
        let v: Value = serde_json::from_slice(&resp.body()).expect("json");
        assert_eq!(v["error"]["message"], "boom");
    }
    assert_eq!(state.streams.open(), 0);
}

#[tokio::test]
async fn drop_marker_breaks_the_stream_after_n_tokens() {
    let (addr, state) = start(fast()).await;
    let prompt = "[[long:100]][[drop:10]]";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    assert_eq!(resp.status(), 200);
    assert!(!resp.complete, "the response must break, not end");
    let text = resp.text();
    assert!(!text.contains("[DONE]"), "{text}");
    assert!(!text.contains("\"stop\""), "{text}");
    assert!(!text.ends_with("\n\n"), "it breaks inside an event: {text}");
    let data = sse_data(&resp.body());
    let chunks = chunks(&data);
    assert_eq!(chunks.len(), 11, "role chunk + 10 tokens");
    let reply = demo::respond(&conversation(prompt));
    assert_eq!(content(&chunks), reply.prefix(10));
    wait_until("guard dropped", || state.streams.open() == 0).await;
    // Not streamed: the JSON is cut off.
    let resp = post_json(addr, PATH, &request(prompt, false), |_| false).await;
    assert!(!resp.complete);
    assert!(serde_json::from_slice::<Value>(&resp.body()).is_err());
}

#[tokio::test]
async fn malformed_marker_sends_one_invalid_chunk_and_goes_on() {
    let (addr, _) = start(fast()).await;
    let prompt = "[[long:20]][[malformed]]";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    assert!(resp.complete);
    let data = sse_data(&resp.body());
    let bad: Vec<usize> = data
        .iter()
        .enumerate()
        .filter(|(_, d)| *d != "[DONE]" && serde_json::from_str::<Value>(d).is_err())
        .map(|(i, _)| i)
        .collect();
    // Role chunk, three tokens, then the bad one.
    assert_eq!(bad, [4]);
    assert_eq!(data[4], "{\"choices\": [");
    assert!(without_ids(&resp.text()).contains("\n\ndata: {\"choices\": [\n\n"));
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let good: Vec<String> = data
        .iter()
        .filter(|d| serde_json::from_str::<Value>(d).is_ok())
        .cloned()
        .collect();
    assert_eq!(content(&chunks(&good)), demo::reply(&conversation(prompt)));
    let resp = post_json(addr, PATH, &request(prompt, false), |_| false).await;
    assert_eq!(resp.status(), 200);
    assert!(serde_json::from_slice::<Value>(&resp.body()).is_err());
}

#[tokio::test]
async fn echo_marker_returns_hostile_text_verbatim() {
    let (addr, _) = start(fast()).await;
    let hostile = "<img src=x onerror=alert(1)> <script>alert(\"x\")</script> &amp; \u{201c}q\u{201d}\n\n中文：你好，世界！ `code` **bold** \\ \t tab";
    for stream in [true, false] {
        let resp = post_json(
            addr,
            PATH,
            &request(&format!("[[echo]]{hostile}"), stream),
            |_| false,
        )
        .await;
        let got = if stream {
            content(&chunks(&sse_data(&resp.body())))
        } else {
            let v: Value = serde_json::from_slice(&resp.body()).expect("json");
            v["choices"][0]["message"]["content"]
                .as_str()
                .expect("content")
                .to_string()
        };
        assert_eq!(got, hostile, "stream: {stream}");
    }
}

#[tokio::test]
async fn chinese_prompt_gets_a_chinese_reply() {
    let (addr, _) = start(fast()).await;
    let prompt = "请用三句话解释服务器发送事件。";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    let got = content(&chunks(&sse_data(&resp.body())));
    assert_eq!(got, demo::reply(&conversation(prompt)));
    assert!(got.contains("你问道"), "{got}");
}

#[tokio::test]
async fn content_parts_are_read_as_text() {
    let (addr, _) = start(fast()).await;
    let body = json!({
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "[[echo]]par"}, {"type": "text", "text": "ts"}]}],
    });
    let resp = post_json(addr, PATH, &body.to_string(), |_| false).await;
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["choices"][0]["message"]["content"], "parts");
}

#[tokio::test]
async fn think_and_tool_markers_stream_reasoning_content_and_tool_call_fragments() {
    let (addr, _state) = start(fast()).await;
    let prompt = "Weather in Paris? [[think]] [[tool]]";
    let mut body: Value = serde_json::from_str(&request(prompt, true)).expect("json");
    body["stream_options"] = json!({"include_usage": true});
    let resp = post_json(addr, PATH, &body.to_string(), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let chunks = chunks(&sse_data(&resp.body()));
    let expected = demo::respond(&conversation(prompt));
    let tool = expected.tool.clone().expect("a tool call");
    let reasoning: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["reasoning_content"].as_str())
        .collect();
    assert_eq!(reasoning, expected.thinking_text());
    assert_eq!(content(&chunks), expected.text());
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert!(calls.len() > 2, "the arguments come in several pieces");
    assert!(calls.iter().all(|c| c["index"] == 0));
    assert_eq!(calls[0]["id"], tool.id.as_str());
    assert_eq!(calls[0]["function"]["name"], demo::TOOL_NAME);
    let args: String = calls
        .iter()
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    assert_eq!(args, tool.arguments);
    let finish: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finish, [&json!("tool_calls")]);
    let usage = &chunks.last().expect("usage chunk")["usage"];
    assert_eq!(usage["completion_tokens"], expected.output_tokens());

    let resp = post_json(addr, PATH, &request(prompt, false), |_| false).await;
    let whole: Value = serde_json::from_slice(&resp.body()).expect("json");
    let message = &whole["choices"][0]["message"];
    assert_eq!(message["reasoning_content"], expected.thinking_text());
    assert_eq!(
        message["tool_calls"][0]["function"]["arguments"],
        tool.arguments
    );
    assert_eq!(whole["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        whole["usage"]["completion_tokens"],
        expected.output_tokens()
    );
}
