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

use super::conversation::Role;
use crate::json::{Json, JsonError};

/// Which protocol a chat endpoint speaks (`?format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChatFormat {
    #[default]
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
    temperature: Option<f64>,
) -> Option<String> {
    if format == ChatFormat::Summary {
        return None;
    }
    let messages = messages
        .iter()
        .map(|m| {
            Json::obj([
                ("role", m.role.as_str().into()),
                ("content", m.content.as_str().into()),
            ])
        })
        .collect();
    let mut body = vec![
        ("model".into(), Json::from(model)),
        ("messages".into(), Json::Arr(messages)),
        ("stream".into(), Json::Bool(true)),
    ];
    if let Some(t) = temperature {
        body.push(match format {
            ChatFormat::Ollama => ("options".into(), Json::obj([("temperature", t.into())])),
            _ => ("temperature".into(), t.into()),
        });
    }
    Some(Json::Obj(body).to_string())
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

/// Reads one OpenAI SSE event's data (a `chat.completion.chunk`: `choices[0].delta.content`,
/// or `message.content` from a non-streamed reply, and `finish_reason`). Malformed JSON is
/// reported, naming the bad text.
pub fn parse_openai(data: &str) -> Vec<Piece> {
    let data = data.trim();
    if data == "[DONE]" {
        return vec![Piece::End];
    }
    let chunk = match Json::parse(data) {
        Ok(v) => v,
        Err(err) => return vec![Piece::Malformed(malformed(data, &err))],
    };
    if let Some(err) = chunk.get("error").filter(|e| !e.is_null()) {
        return vec![Piece::Error(error_text(err))];
    }
    let mut out = Vec::new();
    let choice = chunk
        .get("choices")
        .and_then(Json::as_array)
        .and_then(<[Json]>::first);
    if let Some(choice) = choice {
        let content = |key: &str| {
            choice
                .get(key)
                .and_then(|d| d.get("content"))
                .and_then(Json::as_str)
        };
        if let Some(text) = content("delta").or_else(|| content("message")) {
            if !text.is_empty() {
                out.push(Piece::Text(text.to_string()));
            }
        }
        if choice.get("finish_reason").is_some_and(|f| !f.is_null()) {
            out.push(Piece::End);
        }
    }
    if out.is_empty() {
        out.push(Piece::Nothing);
    }
    out
}

/// Reads one Ollama NDJSON value (`/api/chat` or `/api/generate`).
pub fn parse_ollama(value: &Json<'_>) -> Vec<Piece> {
    if let Some(err) = value.get("error") {
        return vec![Piece::Error(error_text(err))];
    }
    let mut out = Vec::new();
    let text = value
        .get("message")
        .and_then(|m| m.get("content"))
        .or_else(|| value.get("response"))
        .and_then(Json::as_str);
    if let Some(text) = text {
        if !text.is_empty() {
            out.push(Piece::Text(text.to_string()));
        }
    }
    if value.get("done").and_then(Json::as_bool) == Some(true) {
        out.push(Piece::End);
    }
    if out.is_empty() {
        out.push(Piece::Nothing);
    }
    out
}

/// Model names from `/v1/models` (`data[].id`) or `/api/tags` (`models[].name`).
pub fn parse_models(body: &str) -> Vec<String> {
    let Ok(value) = Json::parse(body) else {
        return Vec::new();
    };
    let from = |list: &str, key: &str| -> Vec<String> {
        value
            .get(list)
            .and_then(Json::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get(key).and_then(Json::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut names = from("data", "id");
    names.extend(from("models", "name"));
    names
}

/// An error value in words: its message, or the value itself as JSON.
fn error_text(err: &Json<'_>) -> String {
    err.message()
        .map_or_else(|| err.to_string(), str::to_string)
}

fn malformed(data: &str, err: &JsonError) -> String {
    let excerpt: String = data.chars().take(60).collect();
    format!("malformed JSON in the stream ({err}): {excerpt}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json<'_> {
        Json::parse(text).expect("json")
    }

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
        let chat = json(r#"{"message": {"role": "assistant", "content": "你好"}, "done": false}"#);
        assert_eq!(parse_ollama(&chat), [Piece::Text("你好".into())]);
        let generate = json(r#"{"response": "tok", "done": false}"#);
        assert_eq!(parse_ollama(&generate), [Piece::Text("tok".into())]);
        let last = json(r#"{"message": {"role": "assistant", "content": ""}, "done": true}"#);
        assert_eq!(parse_ollama(&last), [Piece::End]);
        assert_eq!(
            parse_ollama(&json(r#"{"error": "model not found"}"#)),
            [Piece::Error("model not found".into())]
        );
        assert_eq!(
            parse_ollama(&json(r#"{"error": {"code": 7}}"#)),
            [Piece::Error(r#"{"code":7}"#.into())]
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
        let body = request_body(ChatFormat::OpenAi, "m", &msgs, Some(0.7)).expect("body");
        assert_eq!(
            body,
            r#"{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"stream":true,"temperature":0.7}"#
        );
        let text = request_body(ChatFormat::Ollama, "llama3", &msgs, Some(0.25)).expect("body");
        let body = json(&text);
        let options = body.get("options");
        assert_eq!(
            options.and_then(|o| o.get("temperature")),
            Some(&Json::Num(0.25))
        );
        assert_eq!(body.get("model").and_then(Json::as_str), Some("llama3"));
        assert!(body.get("temperature").is_none());
        let body = request_body(ChatFormat::OpenAi, "m", &msgs, None).expect("body");
        assert!(!body.contains("temperature"), "{body}");
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
