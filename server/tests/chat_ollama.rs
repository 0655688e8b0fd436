//! `/api/chat`, `/api/generate`, `/api/tags`: Ollama's NDJSON wire format, the demo model's
//! reply, and the test markers.

mod support;

use rill_server::chat::demo::{self, Message};
use serde_json::{json, Value};
use support::{fast, get, ndjson, post_json, start, wait_until};

fn chat_request(prompt: &str, stream: Option<bool>) -> String {
    let mut body = json!({
        "model": "llama3:latest",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": prompt},
        ],
        "options": {"temperature": 0.1},
    });
    if let Some(stream) = stream {
        body["stream"] = json!(stream);
    }
    body.to_string()
}

fn conversation(prompt: &str) -> Vec<Message> {
    vec![Message::new("system", "Be brief."), Message::user(prompt)]
}

fn lines(body: &[u8]) -> Vec<Value> {
    ndjson(body)
        .into_iter()
        .map(|l| l.unwrap_or_else(|line| panic!("not JSON: {line:?}")))
        .collect()
}

fn is_rfc3339(s: &str) -> bool {
    s.len() == 30 && s.as_bytes()[10] == b'T' && s.ends_with('Z') && s[..4].parse::<u32>().is_ok()
}

#[tokio::test]
async fn chat_streams_ndjson_ending_with_done() {
    let (addr, state) = start(fast()).await;
    let prompt = "Why is the sky blue?";
    // `stream` defaults to true, as in Ollama.
    let resp = post_json(addr, "/api/chat", &chat_request(prompt, None), |_| false).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("content-type"), Some("application/x-ndjson"));
    assert!(resp.complete);
    let text = resp.text();
    assert!(text.ends_with("}\n"), "every line ends with a newline");
    // Keys in Ollama's order.
    assert!(text
        .lines()
        .all(|l| l.starts_with("{\"model\":\"llama3:latest\",\"created_at\":\"")));
    assert!(text.contains("\"message\":{\"role\":\"assistant\",\"content\":"));
    let lines = lines(&resp.body());
    let reply = demo::respond(&conversation(prompt));
    assert_eq!(lines.len(), reply.len() + 1);
    let mut got = String::new();
    for line in &lines[..lines.len() - 1] {
        assert_eq!(line["model"], "llama3:latest");
        assert!(
            is_rfc3339(line["created_at"].as_str().expect("time")),
            "{line}"
        );
        assert_eq!(line["message"]["role"], "assistant");
        assert_eq!(line["done"], false);
        got.push_str(line["message"]["content"].as_str().expect("content"));
    }
    assert_eq!(got, demo::reply(&conversation(prompt)));
    let last = &lines[lines.len() - 1];
    assert_eq!(last["done"], true);
    assert_eq!(last["done_reason"], "stop");
    assert_eq!(last["message"], json!({"role": "assistant", "content": ""}));
    assert_eq!(last["eval_count"], reply.len());
    assert!(last["total_duration"].is_u64());
    assert!(last["prompt_eval_count"].as_u64().is_some_and(|n| n > 0));
    wait_until("guard dropped", || state.streams.open() == 0).await;
}

#[tokio::test]
async fn chat_unstreamed_is_one_object() {
    let (addr, _) = start(fast()).await;
    let prompt = "Name three rivers";
    let resp = post_json(
        addr,
        "/api/chat",
        &chat_request(prompt, Some(false)),
        |_| false,
    )
    .await;
    assert_eq!(resp.status(), 200);
    let v: Value = serde_json::from_slice(&resp.body()).expect("one JSON object");
    assert_eq!(v["message"]["content"], demo::reply(&conversation(prompt)));
    assert_eq!(v["done"], true);
    assert_eq!(v["done_reason"], "stop");
    assert_eq!(v["eval_count"], demo::respond(&conversation(prompt)).len());
}

#[tokio::test]
async fn generate_streams_responses() {
    let (addr, _) = start(fast()).await;
    let prompt = "Write a haiku about rivers";
    let body = json!({"model": "rill-demo", "prompt": prompt}).to_string();
    let resp = post_json(addr, "/api/generate", &body, |_| false).await;
    assert_eq!(resp.header("content-type"), Some("application/x-ndjson"));
    let lines = lines(&resp.body());
    let got: String = lines
        .iter()
        .map(|l| l["response"].as_str().expect("response"))
        .collect();
    assert_eq!(got, demo::reply(&[Message::user(prompt)]));
    assert!(lines[..lines.len() - 1].iter().all(|l| l["done"] == false));
    assert!(lines.iter().all(|l| l.get("message").is_none()));
    let last = &lines[lines.len() - 1];
    assert_eq!(last["done"], true);
    assert_eq!(last["response"], "");
    assert_eq!(last["done_reason"], "stop");

    let body = json!({"model": "rill-demo", "prompt": prompt, "stream": false}).to_string();
    let resp = post_json(addr, "/api/generate", &body, |_| false).await;
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["response"], demo::reply(&[Message::user(prompt)]));
    assert_eq!(v["done"], true);
}

#[tokio::test]
async fn empty_requests_load_the_model_like_ollama() {
    let (addr, _) = start(fast()).await;
    let resp = post_json(addr, "/api/generate", "{\"model\": \"rill-demo\"}", |_| {
        false
    })
    .await;
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["done"], true);
    assert_eq!(v["done_reason"], "load");
    assert_eq!(v["response"], "");
    let resp = post_json(
        addr,
        "/api/chat",
        "{\"model\": \"x\", \"messages\": []}",
        |_| false,
    )
    .await;
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["done_reason"], "load");
}

#[tokio::test]
async fn tags_list_the_demo_model() {
    let (addr, _) = start(fast()).await;
    let resp = get(addr, "/api/tags", |_| false).await;
    assert_eq!(resp.status(), 200);
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    let model = &v["models"][0];
    assert_eq!(model["name"], "rill-demo");
    assert_eq!(model["model"], "rill-demo");
    assert_eq!(model["size"], 0);
    assert!(model["modified_at"].is_string());
    assert!(model["details"].is_object());
    let resp = get(addr, "/api/version", |_| false).await;
    assert!(serde_json::from_slice::<Value>(&resp.body()).expect("json")["version"].is_string());
}

#[tokio::test]
async fn errors_have_ollama_shape() {
    let (addr, _) = start(fast()).await;
    let resp = post_json(addr, "/api/chat", "{oops", |_| false).await;
    assert_eq!(resp.status(), 400);
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert!(v["error"].is_string());
    for path in ["/api/chat", "/api/generate"] {
        let body = if path == "/api/chat" {
            chat_request("[[error:500]]", None)
        } else {
            json!({"prompt": "[[error:503]]"}).to_string()
        };
        let resp = post_json(addr, path, &body, |_| false).await;
        assert_eq!(resp.status(), if path == "/api/chat" { 500 } else { 503 });
        assert_eq!(
            serde_json::from_slice::<Value>(&resp.body()).expect("json"),
            json!({"error": "boom"})
        );
    }
}

#[tokio::test]
async fn drop_marker_breaks_without_done() {
    let (addr, state) = start(fast()).await;
    let prompt = "[[long:50]][[drop:7]]";
    let resp = post_json(addr, "/api/chat", &chat_request(prompt, None), |_| false).await;
    assert!(!resp.complete, "the response must break");
    let parsed = ndjson(&resp.body());
    assert_eq!(parsed.len(), 8, "7 lines and a cut one");
    let good: Vec<&Value> = parsed.iter().filter_map(|l| l.as_ref().ok()).collect();
    assert_eq!(good.len(), 7);
    assert!(good.iter().all(|l| l["done"] == false));
    assert!(!resp.text().ends_with('\n'));
    let got: String = good
        .iter()
        .map(|l| l["message"]["content"].as_str().expect("content"))
        .collect();
    assert_eq!(got, demo::respond(&conversation(prompt)).prefix(7));
    wait_until("guard dropped", || state.streams.open() == 0).await;
}

#[tokio::test]
async fn malformed_marker_sends_one_bad_line() {
    let (addr, _) = start(fast()).await;
    let prompt = "[[long:12]][[malformed]]";
    let resp = post_json(addr, "/api/chat", &chat_request(prompt, None), |_| false).await;
    assert!(resp.complete);
    let parsed = ndjson(&resp.body());
    let bad: Vec<usize> = parsed
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_err())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(bad, [3]);
    assert_eq!(
        parsed[3].as_ref().err().map(String::as_str),
        Some("{\"message\": \n")
    );
    let good: Vec<&Value> = parsed.iter().filter_map(|l| l.as_ref().ok()).collect();
    assert_eq!(good.last().map(|l| &l["done"]), Some(&json!(true)));
    let got: String = good
        .iter()
        .map(|l| l["message"]["content"].as_str().expect("content"))
        .collect();
    assert_eq!(got, demo::reply(&conversation(prompt)));
}

#[tokio::test]
async fn echo_marker_returns_hostile_text_verbatim() {
    let (addr, _) = start(fast()).await;
    let hostile =
        "<img src=x onerror=alert(1)>\n</textarea><svg onload=alert(2)> 你好，世界 \"\\u0000\" 🎉";
    let resp = post_json(
        addr,
        "/api/chat",
        &chat_request(&format!("[[echo]]{hostile}"), None),
        |_| false,
    )
    .await;
    let got: String = lines(&resp.body())
        .iter()
        .map(|l| l["message"]["content"].as_str().expect("content"))
        .collect();
    assert_eq!(got, hostile);
    let body = json!({"prompt": format!("{hostile}[[echo]]"), "stream": false}).to_string();
    let resp = post_json(addr, "/api/generate", &body, |_| false).await;
    let v: Value = serde_json::from_slice(&resp.body()).expect("json");
    assert_eq!(v["response"], hostile);
}

#[tokio::test]
async fn think_and_tool_markers_stream_thinking_and_tool_calls() {
    let (addr, _state) = start(fast()).await;
    let prompt = "Weather in Paris? [[think]] [[tool]]";
    let resp = post_json(addr, "/api/chat", &chat_request(prompt, None), |_| false).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let lines = lines(&resp.body());
    let expected = demo::respond(&conversation(prompt));
    let tool = expected.tool.clone().expect("a tool call");
    let thinking: String = lines
        .iter()
        .filter_map(|l| l["message"]["thinking"].as_str())
        .collect();
    assert_eq!(thinking, expected.thinking_text());
    let text: String = lines
        .iter()
        .filter_map(|l| l["message"]["content"].as_str())
        .collect();
    assert_eq!(text, expected.text());
    let calls: Vec<&Value> = lines
        .iter()
        .filter_map(|l| l["message"]["tool_calls"].get(0))
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["function"]["name"], demo::TOOL_NAME);
    let args: Value = serde_json::from_str(&tool.arguments).expect("json");
    assert_eq!(calls[0]["function"]["arguments"], args);
    let done = lines.last().expect("done line");
    assert_eq!(done["done"], true);
    assert_eq!(done["eval_count"], expected.output_tokens());
}
