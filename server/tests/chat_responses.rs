//! `/v1/responses`: the OpenAI Responses API's wire format on the demo model, with the
//! reasoning and tool-call markers.

mod support;

use rill_server::chat::demo;
use rill_server::chat::Upstream;
use serde_json::{json, Value};
use support::{fast, post_json, sse_json, start, terse_conversation};

const PATH: &str = "/v1/responses";

fn request(prompt: &str, stream: bool) -> String {
    json!({
        "model": "gpt-test",
        "instructions": "You are terse.",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": prompt}]}],
        "stream": stream,
    })
    .to_string()
}

fn deltas(events: &[Value], kind: &str) -> String {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .filter_map(|e| e["delta"].as_str())
        .collect()
}

#[tokio::test]
async fn streamed_reply_has_named_numbered_events_and_the_exact_text() {
    let (addr, _state) = start(fast()).await;
    let prompt = "What are server-sent events?";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let text = resp.text();
    assert!(
        text.starts_with("event: response.created\ndata: {"),
        "{text}"
    );
    let events = sse_json(&resp.body());
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["sequence_number"], i, "{e}");
    }
    let expected = demo::respond(&terse_conversation(prompt));
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        expected.text()
    );
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .expect("text done");
    assert_eq!(done["text"], expected.text());
    let last = events.last().expect("events");
    assert_eq!(last["type"], "response.completed");
    assert_eq!(last["response"]["status"], "completed");
    assert_eq!(last["response"]["model"], "gpt-test");
    let input: usize = terse_conversation(prompt)
        .iter()
        .map(|m| demo::count_tokens(&m.content))
        .sum();
    assert_eq!(last["response"]["usage"]["input_tokens"], input);
    assert_eq!(last["response"]["usage"]["output_tokens"], expected.len());
    // Every event's `event:` name is its type.
    for e in &events {
        let name = format!("event: {}\ndata: ", e["type"].as_str().expect("type"));
        assert!(text.contains(&name), "{name}");
    }
}

#[tokio::test]
async fn think_and_tool_markers_stream_reasoning_summary_and_function_call() {
    let (addr, _state) = start(fast()).await;
    let prompt = "Weather in Paris? [[think]] [[tool]]";
    let resp = post_json(addr, PATH, &request(prompt, true), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let events = sse_json(&resp.body());
    let expected = demo::respond(&terse_conversation(prompt));
    let tool = expected.tool.clone().expect("tool");
    assert_eq!(
        deltas(&events, "response.reasoning_summary_text.delta"),
        expected.thinking_text()
    );
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        expected.text()
    );
    assert_eq!(
        deltas(&events, "response.function_call_arguments.delta"),
        tool.arguments
    );
    let added: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.added")
        .collect();
    let kinds: Vec<&str> = added
        .iter()
        .filter_map(|e| e["item"]["type"].as_str())
        .collect();
    assert_eq!(kinds, ["reasoning", "message", "function_call"]);
    assert_eq!(added[2]["item"]["name"], demo::TOOL_NAME);
    assert_eq!(added[2]["output_index"], 2);
    let completed = &events.last().expect("events")["response"];
    assert_eq!(
        completed["usage"]["output_tokens"],
        expected.output_tokens()
    );
    assert_eq!(
        completed["usage"]["output_tokens_details"]["reasoning_tokens"],
        expected.thinking.len()
    );
    assert_eq!(completed["output"][2]["arguments"], tool.arguments);
}

#[tokio::test]
async fn whole_answer_errors_and_upstream() {
    let (addr, _state) = start(fast()).await;
    let resp = post_json(addr, PATH, &request("hello [[think]]", false), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let whole: Value = serde_json::from_slice(&resp.body()).expect("json");
    let expected = demo::respond(&terse_conversation("hello [[think]]"));
    assert_eq!(whole["object"], "response");
    assert_eq!(whole["output"][0]["type"], "reasoning");
    assert_eq!(whole["output"][1]["content"][0]["text"], expected.text());

    let resp = post_json(addr, PATH, &request("x [[error:503]]", true), |_| false).await;
    assert_eq!(resp.status(), 503);
    let body: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(body["error"]["message"], "boom");
    let resp = post_json(addr, PATH, "{\"input\": []}", |_| false).await;
    assert_eq!(resp.status(), 400);

    let resp = post_json(addr, PATH, &request("[[long:20]][[drop:5]]", true), |_| {
        false
    })
    .await;
    assert!(!resp.complete);
    assert!(!resp.text().contains("response.completed"));

    // A plain string input works too.
    let body = json!({"model": "m", "input": "[[echo]]just this", "stream": true}).to_string();
    let resp = post_json(addr, PATH, &body, |_| false).await;
    assert_eq!(
        deltas(&sse_json(&resp.body()), "response.output_text.delta"),
        "just this"
    );

    // Forwarded by a second rill-server with --upstream.
    let mut config = fast();
    config.chat.upstream = Some(Upstream::parse(&format!("http://{addr}")).expect("url"));
    let (proxy, _proxy_state) = start(config).await;
    let prompt = "via upstream [[tool]]";
    let resp = post_json(proxy, PATH, &request(prompt, true), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let events = sse_json(&resp.body());
    let expected = demo::respond(&terse_conversation(prompt));
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        expected.text()
    );
}
