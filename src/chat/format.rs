//! Chat wire formats: how a request is built and how each streamed piece is read.
//!
//! Pure: bodies are built as JSON text and stream pieces are parsed from text or JSON
//! values; the transport that carries them lives elsewhere.
//!
//! - `openai`: `POST {model, messages, stream: true}`; SSE events whose data is a
//!   `chat.completion.chunk` JSON (`choices[0].delta.content`, `finish_reason`), then
//!   `data: [DONE]`.
//! - `ollama`: `POST {model, messages, stream: true}` to `/api/chat`; NDJSON lines with
//!   `message.content` (or `response` from `/api/generate`), the last with `done: true`.
//! - `summary`: the original design: `GET endpoint?content=<prompt>`; each `message`
//!   event's data is appended; the reply ends when the server closes the stream.

use serde_json::{json, Value};

use super::conversation::Role;

/// Which protocol a chat endpoint speaks (`?format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatFormat {
    #[default]
    #[serde(rename = "openai")]
    OpenAi,
    Ollama,
    Summary,
}

impl ChatFormat {
    pub const ALL: [ChatFormat; 3] = [ChatFormat::OpenAi, ChatFormat::Ollama, ChatFormat::Summary];

    /// The `format` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatFormat::OpenAi => "openai",
            ChatFormat::Ollama => "ollama",
            ChatFormat::Summary => "summary",
        }
    }

    /// Parses a `format` parameter value.
    pub fn parse(s: &str) -> Option<ChatFormat> {
        ChatFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The endpoint of the reference backend for this format (same origin).
    pub fn default_endpoint(self) -> &'static str {
        match self {
            ChatFormat::OpenAi => "/v1/chat/completions",
            ChatFormat::Ollama => "/api/chat",
            ChatFormat::Summary => "/gpt/summary",
        }
    }

    /// Where the model list lives, relative to the endpoint, if the format has one.
    pub fn models_url(self, endpoint: &str) -> Option<String> {
        let (base, suffix) = match self {
            ChatFormat::OpenAi => (endpoint.split("/chat/completions").next()?, "/models"),
            ChatFormat::Ollama => (endpoint.split("/api/").next()?, "/api/tags"),
            ChatFormat::Summary => return None,
        };
        if base == endpoint && self == ChatFormat::OpenAi {
            return None;
        }
        Some(format!("{base}{suffix}"))
    }
}

/// One message as sent to a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireMessage {
    pub role: Role,
    pub content: String,
}

/// The JSON body for a streamed chat request (`None` for `summary`, which is a GET).
pub fn request_body(
    format: ChatFormat,
    model: &str,
    messages: &[WireMessage],
    temperature: Option<f32>,
) -> Option<String> {
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    let mut body = match format {
        ChatFormat::OpenAi | ChatFormat::Ollama => {
            json!({"model": model, "messages": messages, "stream": true})
        }
        ChatFormat::Summary => return None,
    };
    if let Some(t) = temperature {
        let t = f64::from(t);
        match format {
            ChatFormat::OpenAi => body["temperature"] = json!(t),
            ChatFormat::Ollama => body["options"] = json!({"temperature": t}),
            ChatFormat::Summary => {}
        }
    }
    Some(body.to_string())
}

/// The GET URL for the summary endpoint: the prompt as `content`, sent as typed.
pub fn summary_url(endpoint: &str, prompt: &str) -> String {
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    format!(
        "{endpoint}{sep}content={}",
        crate::config::percent_encode(prompt)
    )
}

/// What one streamed piece means for the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text to append.
    Text(String),
    /// The server's end marker (`finish_reason`, `[DONE]`, `done: true`).
    End,
    /// The server reported an error inside the stream: the reply ends in error.
    Error(String),
    /// A piece that could not be read (malformed JSON); it is skipped and reported.
    Malformed(String),
    /// Nothing for the reply (a role-only delta, keep-alive, metadata).
    Nothing,
}

/// The parts of a `chat.completion.chunk` that a reply needs. Strings borrow from the event
/// data where they can, and everything else in the chunk is skipped without being built:
/// this runs once per token.
#[derive(serde::Deserialize)]
struct OpenAiChunk<'a> {
    #[serde(borrow, default)]
    choices: Vec<OpenAiChoice<'a>>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(serde::Deserialize)]
struct OpenAiChoice<'a> {
    #[serde(borrow, default)]
    delta: Option<OpenAiDelta<'a>>,
    #[serde(borrow, default)]
    message: Option<OpenAiDelta<'a>>,
    #[serde(borrow, default)]
    finish_reason: Option<std::borrow::Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct OpenAiDelta<'a> {
    #[serde(borrow, default)]
    content: Option<std::borrow::Cow<'a, str>>,
}

/// Reads one OpenAI SSE event's data. Malformed JSON is reported, naming the bad text.
pub fn parse_openai(data: &str) -> Vec<Piece> {
    let data = data.trim();
    if data == "[DONE]" {
        return vec![Piece::End];
    }
    let chunk: OpenAiChunk<'_> = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(err) => return vec![Piece::Malformed(malformed(data, &err))],
    };
    if let Some(err) = &chunk.error {
        return vec![Piece::Error(error_text(err))];
    }
    let mut out = Vec::new();
    if let Some(choice) = chunk.choices.into_iter().next() {
        let text = choice
            .delta
            .and_then(|d| d.content)
            .or_else(|| choice.message.and_then(|m| m.content));
        if let Some(text) = text {
            if !text.is_empty() {
                out.push(Piece::Text(text.into_owned()));
            }
        }
        if choice.finish_reason.is_some() {
            out.push(Piece::End);
        }
    }
    if out.is_empty() {
        out.push(Piece::Nothing);
    }
    out
}

/// Reads one Ollama NDJSON value (`/api/chat` or `/api/generate`).
pub fn parse_ollama(value: &Value) -> Vec<Piece> {
    if let Some(err) = value.get("error") {
        return vec![Piece::Error(error_text(err))];
    }
    let mut out = Vec::new();
    let text = value
        .get("message")
        .and_then(|m| m.get("content"))
        .or_else(|| value.get("response"))
        .and_then(Value::as_str);
    if let Some(text) = text {
        if !text.is_empty() {
            out.push(Piece::Text(text.to_string()));
        }
    }
    if value.get("done").and_then(Value::as_bool) == Some(true) {
        out.push(Piece::End);
    }
    if out.is_empty() {
        out.push(Piece::Nothing);
    }
    out
}

/// Model names from `/v1/models` (`data[].id`) or `/api/tags` (`models[].name`).
pub fn parse_models(body: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    let from = |list: &str, key: &str| -> Vec<String> {
        value
            .get(list)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get(key).and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut names = from("data", "id");
    names.extend(from("models", "name"));
    names
}

fn error_text(err: &Value) -> String {
    match err {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| err.to_string()),
        other => other.to_string(),
    }
}

fn malformed(data: &str, err: &serde_json::Error) -> String {
    let excerpt: String = data.chars().take(60).collect();
    format!("malformed JSON in the stream ({err}): {excerpt}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_chunks_text_finish_and_done() {
        let chunk = r#"{"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#;
        assert_eq!(parse_openai(chunk), [Piece::Text("Hel".into())]);
        let role = r#"{"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}"#;
        assert_eq!(parse_openai(role), [Piece::Nothing]);
        let fin = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
        assert_eq!(parse_openai(fin), [Piece::End]);
        assert_eq!(parse_openai("[DONE]"), [Piece::End]);
        let err = r#"{"error":{"message":"boom","type":"server_error"}}"#;
        assert_eq!(parse_openai(err), [Piece::Error("boom".into())]);
        let full = r#"{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a\"b\n"},"logprobs":null,"finish_reason":null}],"usage":null}"#;
        assert_eq!(parse_openai(full), [Piece::Text("a\"b\n".into())]);
        let whole = r#"{"choices":[{"message":{"role":"assistant","content":"all"},"finish_reason":"stop"}]}"#;
        assert_eq!(parse_openai(whole), [Piece::Text("all".into()), Piece::End]);
        assert_eq!(parse_openai(r#"{"choices":[]}"#), [Piece::Nothing]);
        match parse_openai(r#"{"choices": ["#).as_slice() {
            [Piece::Malformed(m)] => {
                assert!(m.contains("malformed JSON") && m.contains("choices"), "{m}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ollama_lines_chat_generate_done_error() {
        let chat = json!({"message": {"role": "assistant", "content": "你好"}, "done": false});
        assert_eq!(parse_ollama(&chat), [Piece::Text("你好".into())]);
        let generate = json!({"response": "tok", "done": false});
        assert_eq!(parse_ollama(&generate), [Piece::Text("tok".into())]);
        let last = json!({"message": {"role": "assistant", "content": ""}, "done": true});
        assert_eq!(parse_ollama(&last), [Piece::End]);
        assert_eq!(
            parse_ollama(&json!({"error": "model not found"})),
            [Piece::Error("model not found".into())]
        );
    }

    #[test]
    fn bodies_carry_model_messages_stream_and_temperature() {
        let msgs = [
            WireMessage {
                role: Role::System,
                content: "be brief".into(),
            },
            WireMessage {
                role: Role::User,
                content: "hi".into(),
            },
        ];
        let body: Value = serde_json::from_str(
            &request_body(ChatFormat::OpenAi, "m", &msgs, Some(0.5)).expect("body"),
        )
        .expect("json");
        assert_eq!(body["model"], "m");
        assert_eq!(body["stream"], true);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["content"], "hi");
        assert_eq!(body["temperature"], 0.5);
        let body: Value = serde_json::from_str(
            &request_body(ChatFormat::Ollama, "llama3", &msgs, Some(0.25)).expect("body"),
        )
        .expect("json");
        assert_eq!(body["options"]["temperature"], 0.25);
        assert!(body.get("temperature").is_none());
        assert_eq!(request_body(ChatFormat::Summary, "m", &msgs, None), None);
    }

    #[test]
    fn summary_url_encodes_the_prompt_as_typed() {
        assert_eq!(
            summary_url("/gpt/summary", "a b&c=d 中"),
            "/gpt/summary?content=a%20b%26c%3Dd%20%E4%B8%AD"
        );
        assert_eq!(
            summary_url("http://h/s?x=1", "q"),
            "http://h/s?x=1&content=q"
        );
    }

    #[test]
    fn model_lists_from_both_shapes() {
        assert_eq!(
            parse_models(r#"{"object":"list","data":[{"id":"a"},{"id":"b"}]}"#),
            ["a", "b"]
        );
        assert_eq!(
            parse_models(r#"{"models":[{"name":"llama3:latest"}]}"#),
            ["llama3:latest"]
        );
        assert!(parse_models("not json").is_empty());
    }

    #[test]
    fn models_url_per_format() {
        assert_eq!(
            ChatFormat::OpenAi
                .models_url("/v1/chat/completions")
                .as_deref(),
            Some("/v1/models")
        );
        assert_eq!(
            ChatFormat::OpenAi
                .models_url("http://h:1/v1/chat/completions")
                .as_deref(),
            Some("http://h:1/v1/models")
        );
        assert_eq!(
            ChatFormat::Ollama
                .models_url("http://h:11434/api/chat")
                .as_deref(),
            Some("http://h:11434/api/tags")
        );
        assert_eq!(ChatFormat::Summary.models_url("/gpt/summary"), None);
        assert_eq!(ChatFormat::OpenAi.models_url("/custom"), None);
    }
}
