//! A reply's reasoning, tool calls and usage, end to end, in every format that carries them:
//! OpenAI-compatible (`reasoning_content`, `tool_calls`, a usage chunk), inline `<think>`
//! tags, Ollama (`thinking`, `tool_calls`, eval counts), Anthropic Messages and OpenAI
//! Responses. A mock on one origin serves the built app and scripted streams, and records
//! what the app sent: the reasoning is shown apart from the answer (outside the `message`
//! element), never sent back, and saved with the conversation.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use rill_e2e::{json_str, testid, Browser, WAIT};

const ASSISTANT: &str = "[data-testid=\"message\"][data-role=\"assistant\"]";

/// What the app sent: path, headers (lowercase names) and body.
#[derive(Clone, Debug)]
struct Sent {
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Default)]
struct Mock {
    sent: Mutex<Vec<Sent>>,
}

fn sse(events: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (name, data) in events {
        if !name.is_empty() {
            out.push_str(&format!("event: {name}\n"));
        }
        out.push_str(&format!("data: {data}\n\n"));
    }
    out
}

fn openai_delta(delta: serde_json::Value, finish: Option<&str>) -> String {
    serde_json::json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string()
}

/// The scripted reply for a request to `path` whose last user message is `prompt`.
fn reply(path: &str, prompt: &str) -> (&'static str, String) {
    let es = "text/event-stream";
    match path {
        "/v1/chat/completions" if prompt.contains("inline") => (
            es,
            sse(&[
                ("", openai_delta(serde_json::json!({"content": "<thi"}), None)),
                ("", openai_delta(serde_json::json!({"content": "nk>hidden thoughts</th"}), None)),
                ("", openai_delta(serde_json::json!({"content": "ink>\n\nThe answer."}), None)),
                ("", openai_delta(serde_json::json!({}), Some("stop"))),
                ("", "[DONE]".into()),
            ]),
        ),
        "/v1/chat/completions" => (
            es,
            sse(&[
                ("", openai_delta(serde_json::json!({"role": "assistant", "reasoning_content": "Let me think "}), None)),
                ("", openai_delta(serde_json::json!({"reasoning_content": "about Paris."}), None)),
                ("", openai_delta(serde_json::json!({"content": "Checking the weather."}), None)),
                ("", openai_delta(serde_json::json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}), None)),
                ("", openai_delta(serde_json::json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}), None)),
                ("", openai_delta(serde_json::json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}), None)),
                ("", openai_delta(serde_json::json!({}), Some("tool_calls"))),
                ("", serde_json::json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}}).to_string()),
                ("", "[DONE]".into()),
            ]),
        ),
        "/api/chat" => {
            let lines = [
                serde_json::json!({"message": {"role": "assistant", "content": "", "thinking": "Ollama ponders."}, "done": false}),
                serde_json::json!({"message": {"role": "assistant", "content": "Ollama answers."}, "done": false}),
                serde_json::json!({"message": {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_time", "arguments": {"zone": "UTC"}}}]}, "done": false}),
                serde_json::json!({"message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop", "prompt_eval_count": 26, "eval_count": 50, "eval_duration": 500_000_000u64}),
            ];
            (
                "application/x-ndjson",
                lines.iter().map(|l| format!("{l}\n")).collect(),
            )
        }
        "/v1/messages" => (
            es,
            sse(&[
                ("message_start", serde_json::json!({"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 25, "output_tokens": 1}}}).to_string()),
                ("content_block_start", serde_json::json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}).to_string()),
                ("content_block_delta", serde_json::json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Claude reflects."}}).to_string()),
                ("content_block_stop", serde_json::json!({"type": "content_block_stop", "index": 0}).to_string()),
                ("ping", serde_json::json!({"type": "ping"}).to_string()),
                ("content_block_start", serde_json::json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}).to_string()),
                ("content_block_delta", serde_json::json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Claude replies."}}).to_string()),
                ("content_block_start", serde_json::json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}}).to_string()),
                ("content_block_delta", serde_json::json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"q\": \"rill\"}"}}).to_string()),
                ("message_delta", serde_json::json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 15}}).to_string()),
                ("message_stop", serde_json::json!({"type": "message_stop"}).to_string()),
            ]),
        ),
        "/v1/responses" => (
            es,
            sse(&[
                ("response.created", serde_json::json!({"type": "response.created", "response": {"id": "resp_1"}}).to_string()),
                ("response.reasoning_summary_text.delta", serde_json::json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "delta": "Responses muses."}).to_string()),
                ("response.output_text.delta", serde_json::json!({"type": "response.output_text.delta", "output_index": 1, "delta": "Responses says hi."}).to_string()),
                ("response.completed", serde_json::json!({"type": "response.completed", "response": {"id": "resp_1", "usage": {"input_tokens": 5, "output_tokens": 7}}}).to_string()),
            ]),
        ),
        _ => ("text/plain", String::new()),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

async fn start_mock() -> (String, Arc<Mock>) {
    let mock = Arc::new(Mock::default());
    let state = mock.clone();
    let dist = rill_e2e::dist_dir();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let mock = state.clone();
        let dist = dist.clone();
        async move {
            let path = req.uri().path().to_string();
            let headers = req
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        v.to_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let post = req.method() == axum::http::Method::POST;
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let body = String::from_utf8_lossy(&body).to_string();
            if post {
                let prompt = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| {
                        let list = v.get("messages").or_else(|| v.get("input"))?.clone();
                        list.as_array()?
                            .iter()
                            .rev()
                            .find(|m| m["role"] == "user")
                            .and_then(|m| m["content"].as_str().map(str::to_string))
                    })
                    .unwrap_or_default();
                if let Ok(mut sent) = mock.sent.lock() {
                    sent.push(Sent {
                        path: path.clone(),
                        headers,
                        body,
                    });
                }
                let (kind, text) = reply(&path, &prompt);
                return Response::builder()
                    .header(header::CONTENT_TYPE, kind)
                    .body(Body::from(text))
                    .unwrap_or_default();
            }
            let file = path.trim_start_matches('/');
            let file = if file.is_empty() { "index.html" } else { file };
            match (file.contains(".."), std::fs::read(dist.join(file))) {
                (false, Ok(bytes)) => Response::builder()
                    .header(header::CONTENT_TYPE, content_type(file))
                    .body(Body::from(bytes))
                    .unwrap_or_default(),
                _ => Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Body::empty())
                    .unwrap_or_default(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the mock");
    let addr = listener.local_addr().expect("mock address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), mock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_tool_calls_and_usage_in_every_format() {
    let (url, mock) = start_mock().await;
    let browser = Browser::start().await;

    // OpenAI-compatible: reasoning_content, a tool call in fragments, a usage chunk.
    browser
        .goto(&format!("{url}/?view=chat&format=openai&lang=en"))
        .await;
    browser.send_chat("weather in Paris?").await;
    let got = browser.last_reply_parts().await;
    assert_eq!(json_str(&got, "answer"), "Checking the weather.", "{got}");
    assert!(
        json_str(&got, "reasoning").contains("Let me think about Paris."),
        "{got}"
    );
    assert_eq!(got["reasoningInsideMessage"], false, "{got}");
    assert_eq!(
        got["reasoningOpen"], false,
        "closed once the answer started: {got}"
    );
    let tools = got["tools"].as_array().cloned().unwrap_or_default();
    assert_eq!(tools.len(), 1, "{got}");
    let card = tools[0].as_str().unwrap_or_default();
    assert!(
        card.contains("get_weather") && card.contains("\"city\": \"Paris\""),
        "{card}"
    );
    let usage = json_str(&got, "usage");
    assert!(
        usage.contains("12 in") && usage.contains("30 out"),
        "{usage}"
    );
    // The mock sends the whole reply at once: no speed to show, but the time to first token.
    assert!(
        !usage.contains("tokens/s") && usage.contains("to first token"),
        "{usage}"
    );
    browser.screenshot("reply-extras-openai").await;
    // The reasoning block open as well as closed: no accessibility violations.
    browser
        .click(&testid("message-reasoning").replace("]", "] > summary"))
        .await;
    let violations = browser.axe_violations("reply extras, light").await;
    assert!(violations.is_empty(), "{violations:#?}");

    // The reasoning is never sent back: the next request has the answer only.
    browser.send_chat("inline please").await;
    let got = browser.last_reply_parts().await;
    assert_eq!(json_str(&got, "answer"), "The answer.", "{got}");
    assert!(
        json_str(&got, "reasoning").contains("hidden thoughts"),
        "{got}"
    );
    let sent = mock.sent.lock().map(|s| s.clone()).unwrap_or_default();
    let second = sent.last().expect("a second request");
    assert!(
        second.body.contains("Checking the weather."),
        "{}",
        second.body
    );
    assert!(!second.body.contains("Let me think"), "{}", second.body);
    assert!(
        second.body.contains("\"include_usage\":true"),
        "{}",
        second.body
    );
    // Saved with the conversation (and so in exports).
    let saved = browser
        .js("return localStorage.getItem('rill.chat.v1') || ''")
        .await;
    let saved = saved.as_str().unwrap_or_default();
    for key in [
        "\"reasoning\"",
        "\"tool_calls\"",
        "\"usage\"",
        "hidden thoughts",
    ] {
        assert!(saved.contains(key), "{key} in the saved library");
    }
    // After a reload, from storage: the same blocks.
    browser.reload().await;
    browser
        .wait_last(ASSISTANT, "data-state", |_, s| s == "done", WAIT)
        .await;
    assert_eq!(
        browser.count(&testid("message-reasoning")).await,
        2,
        "both replies' reasoning after a reload"
    );
    assert_eq!(browser.count(&testid("message-tool-call")).await, 1);

    // Ollama: thinking, tool_calls with an object, the server's counts and time.
    browser
        .goto(&format!("{url}/?view=chat&format=ollama&lang=en"))
        .await;
    browser.send_chat("what time is it?").await;
    let got = browser.last_reply_parts().await;
    assert_eq!(json_str(&got, "answer"), "Ollama answers.", "{got}");
    assert!(
        json_str(&got, "reasoning").contains("Ollama ponders."),
        "{got}"
    );
    assert!(
        got["tools"][0]
            .as_str()
            .unwrap_or_default()
            .contains("\"zone\": \"UTC\""),
        "{got}"
    );
    let usage = json_str(&got, "usage");
    // 50 tokens in 0.5 s by the server's own clock.
    assert!(
        usage.contains("100.0 tokens/s") && usage.contains("26 in") && usage.contains("50 out"),
        "{usage}"
    );

    // Anthropic Messages: its body and headers, thinking, text and a tool_use block.
    browser
        .goto(&format!(
            "{url}/?view=chat&format=anthropic&endpoint=/v1/messages&lang=zh"
        ))
        .await;
    browser.send_chat("look it up").await;
    let got = browser.last_reply_parts().await;
    assert_eq!(json_str(&got, "answer"), "Claude replies.", "{got}");
    assert!(
        json_str(&got, "reasoning").contains("Claude reflects."),
        "{got}"
    );
    assert!(
        json_str(&got, "reasoning").contains("思考了"),
        "thought for, in Chinese: {got}"
    );
    assert!(
        got["tools"][0]
            .as_str()
            .unwrap_or_default()
            .contains("lookup"),
        "{got}"
    );
    let usage = json_str(&got, "usage");
    assert!(
        usage.contains("输入 25") && usage.contains("输出 15"),
        "{usage}"
    );
    let sent = mock.sent.lock().map(|s| s.clone()).unwrap_or_default();
    let req = sent.last().expect("the anthropic request");
    assert_eq!(req.path, "/v1/messages");
    let body: serde_json::Value = serde_json::from_str(&req.body).expect("json body");
    assert_eq!(body["max_tokens"], 4096, "{body}");
    assert_eq!(body["stream"], true, "{body}");
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("anthropic-version").as_deref(), Some("2023-06-01"));
    browser.screenshot("reply-extras-anthropic-zh").await;

    // OpenAI Responses.
    browser
        .goto(&format!(
            "{url}/?view=chat&format=responses&endpoint=/v1/responses&lang=en&theme=dark"
        ))
        .await;
    browser.send_chat("hello").await;
    let got = browser.last_reply_parts().await;
    assert_eq!(json_str(&got, "answer"), "Responses says hi.", "{got}");
    assert!(
        json_str(&got, "reasoning").contains("Responses muses."),
        "{got}"
    );
    let usage = json_str(&got, "usage");
    assert!(usage.contains("5 in") && usage.contains("7 out"), "{usage}");
    let sent = mock.sent.lock().map(|s| s.clone()).unwrap_or_default();
    let body: serde_json::Value =
        serde_json::from_str(&sent.last().expect("the responses request").body).expect("json");
    let input = body["input"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        input.last().map(|m| m["content"].clone()),
        Some("hello".into()),
        "{body}"
    );
    assert!(
        !body.to_string().contains("muses"),
        "no reasoning sent back: {body}"
    );
    browser.screenshot("reply-extras-responses-dark").await;
    let violations = browser.axe_violations("reply extras, dark").await;
    assert!(violations.is_empty(), "{violations:#?}");
    browser.close().await;
}
