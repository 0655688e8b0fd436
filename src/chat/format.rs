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
//! - `anthropic`: the Messages API: `POST {model, max_tokens, system, messages, stream: true}`
//!   with `x-api-key` and `anthropic-version`; SSE events `message_start`,
//!   `content_block_start/delta/stop`, `message_delta`, `message_stop`, `ping`, `error`.
//! - `responses`: OpenAI's Responses API: `POST {model, input, instructions, stream: true}`;
//!   SSE events `response.output_text.delta`, `response.completed`, `response.failed`, `error`.
//!
//! Besides the answer's text a stream may carry the model's reasoning (OpenAI-compatible
//! `delta.reasoning_content` / `delta.reasoning`, Ollama `message.thinking`, Anthropic
//! `thinking_delta`, Responses `response.reasoning_summary_text.delta`; inline `<think>` tags
//! are split off by the reply reader), tool calls (fragments, accumulated by index) and token
//! usage: each is a [`Piece`] of its own.

use super::role::Role;
use crate::json::{Json, JsonError};

/// Which protocol a chat endpoint speaks (`?format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChatFormat {
    #[default]
    OpenAi,
    Ollama,
    Summary,
    Anthropic,
    Responses,
}

impl ChatFormat {
    pub const ALL: [ChatFormat; 5] = [
        ChatFormat::OpenAi,
        ChatFormat::Ollama,
        ChatFormat::Summary,
        ChatFormat::Anthropic,
        ChatFormat::Responses,
    ];

    /// The `format` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatFormat::OpenAi => "openai",
            ChatFormat::Ollama => "ollama",
            ChatFormat::Summary => "summary",
            ChatFormat::Anthropic => "anthropic",
            ChatFormat::Responses => "responses",
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
            ChatFormat::Anthropic => "/v1/messages",
            ChatFormat::Responses => "/v1/responses",
        }
    }

    /// Whether the reply comes as NDJSON (else as SSE).
    pub fn is_ndjson(self) -> bool {
        self == ChatFormat::Ollama
    }

    /// Where the model list lives, relative to the endpoint, if the format has one: the
    /// endpoint with its API path replaced (`…/v1/chat/completions` → `…/v1/models`).
    pub fn models_url(self, endpoint: &str) -> Option<String> {
        let (path, list) = match self {
            ChatFormat::OpenAi => ("/chat/completions", "/models"),
            ChatFormat::Anthropic => ("/messages", "/models"),
            ChatFormat::Responses => ("/responses", "/models"),
            ChatFormat::Ollama => ("/api/", "/api/tags"),
            ChatFormat::Summary => return None,
        };
        let (base, _) = endpoint.split_once(path)?;
        Some(format!("{base}{list}"))
    }
}

/// One message as sent to a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireMessage {
    pub role: Role,
    pub content: String,
}

/// The most a reply may be, in tokens, where the API needs a number (Anthropic's
/// `max_tokens` is required).
pub const MAX_TOKENS: u64 = 4096;

/// How a chat request is sent and its reply read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// A GET by the browser's EventSource, its `message` events appended (`summary`: no
    /// headers, no body, as EventSource allows).
    EventSource,
    /// A POST by fetch whose reply is an event stream.
    FetchEventStream,
    /// A POST by fetch whose reply is NDJSON (Ollama).
    FetchNdjson,
}

/// A chat request as the page sends it, built per format (pure; the transport sends it).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// Which transport carries it.
    pub carrier: Carrier,
    /// Where to send it (for `summary`, the GET URL with the prompt).
    pub url: String,
    /// Headers beyond `Content-Type` and `Accept` (which the transport sets): the format's
    /// own and the API key's, if one is given.
    pub headers: Vec<(String, String)>,
    /// The JSON body of a POST; `None` for `summary`, which is a GET (EventSource).
    pub body: Option<String>,
}

impl ChatRequest {
    /// The request for a streamed reply to `messages` (a system prompt first, if any).
    /// `key` is the API key for the endpoint's origin, already checked to belong there.
    pub fn build(
        format: ChatFormat,
        endpoint: &str,
        model: &str,
        messages: &[WireMessage],
        temperature: Option<f64>,
        key: Option<&str>,
    ) -> ChatRequest {
        if format == ChatFormat::Summary {
            let prompt = messages
                .iter()
                .rev()
                .find(|m| m.role == Role::User)
                .map_or("", |m| m.content.as_str());
            return ChatRequest {
                carrier: Carrier::EventSource,
                url: summary_url(endpoint, prompt),
                headers: Vec::new(),
                body: None,
            };
        }
        ChatRequest {
            carrier: if format.is_ndjson() {
                Carrier::FetchNdjson
            } else {
                Carrier::FetchEventStream
            },
            url: endpoint.to_string(),
            headers: request_headers(format, key),
            body: request_body(format, model, messages, temperature),
        }
    }
}

/// The headers a request to the format's API carries beyond `Content-Type` and `Accept`
/// (chat requests and the model list alike): the format's own, and the key if one is given
/// (`Authorization: Bearer`, or Anthropic's `x-api-key`).
pub fn request_headers(format: ChatFormat, key: Option<&str>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if format == ChatFormat::Summary {
        return headers;
    }
    if format == ChatFormat::Anthropic {
        headers.push(("anthropic-version".into(), "2023-06-01".into()));
        // Anthropic refuses requests from a browser unless they say they mean it.
        headers.push((
            "anthropic-dangerous-direct-browser-access".into(),
            "true".into(),
        ));
    }
    if let Some(key) = key.filter(|k| !k.is_empty()) {
        headers.push(if format == ChatFormat::Anthropic {
            ("x-api-key".into(), key.to_string())
        } else {
            ("Authorization".into(), format!("Bearer {key}"))
        });
    }
    headers
}

/// The JSON body for a streamed chat request (`None` for `summary`, which is a GET).
pub fn request_body(
    format: ChatFormat,
    model: &str,
    messages: &[WireMessage],
    temperature: Option<f64>,
) -> Option<String> {
    fn as_json(m: &WireMessage) -> Json<'_> {
        Json::obj([
            ("role", m.role.as_str().into()),
            ("content", m.content.as_str().into()),
        ])
    }
    // Anthropic and Responses take the system prompt apart from the conversation.
    let system = || {
        messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    let conversation = || {
        messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(as_json)
            .collect::<Vec<_>>()
    };
    let mut body: Vec<(std::borrow::Cow<'_, str>, Json<'_>)> =
        vec![("model".into(), Json::from(model))];
    match format {
        ChatFormat::Summary => return None,
        ChatFormat::OpenAi | ChatFormat::Ollama => {
            body.push((
                "messages".into(),
                Json::Arr(messages.iter().map(as_json).collect()),
            ));
            body.push(("stream".into(), Json::Bool(true)));
            if format == ChatFormat::OpenAi {
                // Token counts come as a last chunk only when asked for.
                body.push((
                    "stream_options".into(),
                    Json::obj([("include_usage", Json::Bool(true))]),
                ));
            }
        }
        ChatFormat::Anthropic => {
            body.push(("max_tokens".into(), Json::from(MAX_TOKENS)));
            let system = system();
            if !system.is_empty() {
                body.push(("system".into(), Json::from(system)));
            }
            body.push(("messages".into(), Json::Arr(conversation())));
            body.push(("stream".into(), Json::Bool(true)));
        }
        ChatFormat::Responses => {
            body.push(("input".into(), Json::Arr(conversation())));
            let system = system();
            if !system.is_empty() {
                body.push(("instructions".into(), Json::from(system)));
            }
            body.push(("stream".into(), Json::Bool(true)));
        }
    }
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
        crate::percent::percent_encode(prompt)
    )
}

/// What one streamed piece means for the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text to append.
    Text(String),
    /// The model's reasoning, to append to its reasoning block (never to the answer).
    Reasoning(String),
    /// A fragment of a tool call: fragments with the same `index` make one call.
    Tool(ToolDelta),
    /// Token counts (and, from Ollama, generation time), as far as the piece tells them.
    Usage(Usage),
    /// The server's end marker (`finish_reason`, `[DONE]`, `done: true`).
    End,
    /// The server reported an error inside the stream: the reply ends in error.
    Error(String),
    /// A piece that could not be read (malformed JSON); it is skipped and reported.
    Malformed(String),
    /// Nothing for the reply (a role-only delta, keep-alive, metadata).
    Nothing,
}

/// A fragment of a tool call as streamed: the first names it, the rest add argument text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolDelta {
    /// Which call of the reply (OpenAI `tool_calls[].index`, Anthropic's content block index,
    /// Responses' `output_index`, Ollama's position in the list).
    pub index: u64,
    pub id: Option<String>,
    pub name: Option<String>,
    /// More argument text (a JSON object, in pieces).
    pub arguments: String,
}

/// Token usage of a reply, as far as known; later pieces fill in or replace fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Prompt tokens.
    pub input: Option<u64>,
    /// Reply tokens.
    pub output: Option<u64>,
    /// The server's own time for generating the reply, in nanoseconds (Ollama's
    /// `eval_duration`): with `output`, the exact tokens/s.
    pub output_ns: Option<u64>,
}

impl Usage {
    /// This usage with the fields `later` knows replaced.
    pub fn merge(self, later: Usage) -> Usage {
        Usage {
            input: later.input.or(self.input),
            output: later.output.or(self.output),
            output_ns: later.output_ns.or(self.output_ns),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Usage::default()
    }
}

/// Reads one OpenAI SSE event's data (a `chat.completion.chunk`: `choices[0].delta.content`,
/// `delta.reasoning_content` or `delta.reasoning`, `delta.tool_calls`, or `message.content`
/// from a non-streamed reply; `finish_reason`; a last chunk's `usage`). Malformed JSON is
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
        let delta = choice.get("delta").or_else(|| choice.get("message"));
        let field = |key: &str| delta.and_then(|d| d.get(key)).and_then(Json::as_str);
        if let Some(thought) = field("reasoning_content").or_else(|| field("reasoning")) {
            if !thought.is_empty() {
                out.push(Piece::Reasoning(thought.to_string()));
            }
        }
        if let Some(text) = field("content") {
            if !text.is_empty() {
                out.push(Piece::Text(text.to_string()));
            }
        }
        let calls = delta
            .and_then(|d| d.get("tool_calls"))
            .and_then(Json::as_array)
            .unwrap_or_default();
        for (n, call) in calls.iter().enumerate() {
            let function = call.get("function");
            let text = |v: Option<&Json<'_>>| v.and_then(Json::as_str).map(str::to_string);
            out.push(Piece::Tool(ToolDelta {
                index: call.get("index").and_then(Json::as_u64).unwrap_or(n as u64),
                id: text(call.get("id")),
                name: text(function.and_then(|f| f.get("name"))),
                arguments: arguments_text(function.and_then(|f| f.get("arguments"))),
            }));
        }
        if choice.get("finish_reason").is_some_and(|f| !f.is_null()) {
            out.push(Piece::End);
        }
    }
    if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
        let count = |key: &str| usage.get(key).and_then(Json::as_u64);
        out.push(Piece::Usage(Usage {
            input: count("prompt_tokens"),
            output: count("completion_tokens"),
            output_ns: None,
        }));
    }
    if out.is_empty() {
        out.push(Piece::Nothing);
    }
    out
}

/// A tool call's arguments as text: a string as it is (OpenAI streams JSON text in pieces),
/// an object written as compact JSON (Ollama sends the parsed object).
fn arguments_text(value: Option<&Json<'_>>) -> String {
    match value {
        None | Some(Json::Null) => String::new(),
        Some(Json::Str(s)) => s.to_string(),
        Some(other) => other.to_string(),
    }
}

/// Reads one Ollama NDJSON value (`/api/chat` or `/api/generate`): `message.content` (or
/// `response`), `message.thinking` (or `thinking`), `message.tool_calls`, and on the last
/// line `done: true` with `prompt_eval_count`, `eval_count` and `eval_duration`.
pub fn parse_ollama(value: &Json<'_>) -> Vec<Piece> {
    if let Some(err) = value.get("error") {
        return vec![Piece::Error(error_text(err))];
    }
    let mut out = Vec::new();
    let message = value.get("message");
    let field = |key: &str| {
        message
            .and_then(|m| m.get(key))
            .or_else(|| value.get(if key == "content" { "response" } else { key }))
            .and_then(Json::as_str)
    };
    if let Some(thought) = field("thinking") {
        if !thought.is_empty() {
            out.push(Piece::Reasoning(thought.to_string()));
        }
    }
    if let Some(text) = field("content") {
        if !text.is_empty() {
            out.push(Piece::Text(text.to_string()));
        }
    }
    let calls = message
        .and_then(|m| m.get("tool_calls"))
        .and_then(Json::as_array)
        .unwrap_or_default();
    for (n, call) in calls.iter().enumerate() {
        let function = call.get("function");
        out.push(Piece::Tool(ToolDelta {
            index: function
                .and_then(|f| f.get("index"))
                .and_then(Json::as_u64)
                .unwrap_or(n as u64),
            id: call.get("id").and_then(Json::as_str).map(str::to_string),
            name: function
                .and_then(|f| f.get("name"))
                .and_then(Json::as_str)
                .map(str::to_string),
            arguments: arguments_text(function.and_then(|f| f.get("arguments"))),
        }));
    }
    if value.get("done").and_then(Json::as_bool) == Some(true) {
        let count = |key: &str| value.get(key).and_then(Json::as_u64);
        let usage = Usage {
            input: count("prompt_eval_count"),
            output: count("eval_count"),
            output_ns: count("eval_duration"),
        };
        if !usage.is_empty() {
            out.push(Piece::Usage(usage));
        }
        out.push(Piece::End);
    }
    if out.is_empty() {
        out.push(Piece::Nothing);
    }
    out
}

/// Reads one Anthropic Messages SSE event: its type (the SSE `event` field, else the data's
/// `type`) and its JSON data.
pub fn parse_anthropic(event: &str, data: &str) -> Vec<Piece> {
    let value = match Json::parse(data.trim()) {
        Ok(v) => v,
        Err(err) => return vec![Piece::Malformed(malformed(data, &err))],
    };
    let str_at = |v: Option<&Json<'_>>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Json::as_str)
            .map(str::to_string)
    };
    let kind = match event {
        "" | "message" => value.get("type").and_then(Json::as_str).unwrap_or(""),
        other => other,
    };
    let index = value.get("index").and_then(Json::as_u64).unwrap_or(0);
    let usage_of = |u: Option<&Json<'_>>| {
        let count = |key: &str| u.and_then(|u| u.get(key)).and_then(Json::as_u64);
        Usage {
            input: count("input_tokens"),
            output: count("output_tokens"),
            output_ns: None,
        }
    };
    let piece = match kind {
        "message_start" => {
            let usage = usage_of(value.get("message").and_then(|m| m.get("usage")));
            // The output count here is a placeholder (1); message_delta gives the real one.
            Piece::Usage(Usage {
                output: None,
                ..usage
            })
        }
        "content_block_start" => {
            let block = value.get("content_block");
            match block.and_then(|b| b.get("type")).and_then(Json::as_str) {
                Some("tool_use") => Piece::Tool(ToolDelta {
                    index,
                    id: str_at(block, "id"),
                    name: str_at(block, "name"),
                    arguments: String::new(),
                }),
                Some("text") => match str_at(block, "text") {
                    Some(text) if !text.is_empty() => Piece::Text(text),
                    _ => Piece::Nothing,
                },
                _ => Piece::Nothing,
            }
        }
        "content_block_delta" => {
            let delta = value.get("delta");
            match delta.and_then(|d| d.get("type")).and_then(Json::as_str) {
                Some("text_delta") => str_at(delta, "text").map_or(Piece::Nothing, Piece::Text),
                Some("thinking_delta") => {
                    str_at(delta, "thinking").map_or(Piece::Nothing, Piece::Reasoning)
                }
                Some("input_json_delta") => Piece::Tool(ToolDelta {
                    index,
                    arguments: str_at(delta, "partial_json").unwrap_or_default(),
                    ..ToolDelta::default()
                }),
                _ => Piece::Nothing,
            }
        }
        "message_delta" => {
            let usage = usage_of(value.get("usage"));
            if usage.is_empty() {
                Piece::Nothing
            } else {
                Piece::Usage(usage)
            }
        }
        "message_stop" => Piece::End,
        "error" => Piece::Error(
            value
                .get("error")
                .map_or_else(|| value.to_string(), error_text),
        ),
        _ => Piece::Nothing,
    };
    vec![piece]
}

/// Reads one OpenAI Responses SSE event: its type (the SSE `event` field, else the data's
/// `type`) and its JSON data.
pub fn parse_responses(event: &str, data: &str) -> Vec<Piece> {
    let value = match Json::parse(data.trim()) {
        Ok(v) => v,
        Err(err) => return vec![Piece::Malformed(malformed(data, &err))],
    };
    let kind = match event {
        "" | "message" => value.get("type").and_then(Json::as_str).unwrap_or(""),
        other => other,
    };
    let text = |key: &str| value.get(key).and_then(Json::as_str).map(str::to_string);
    let index = value
        .get("output_index")
        .and_then(Json::as_u64)
        .unwrap_or(0);
    let piece = match kind {
        "response.output_text.delta" => text("delta").map_or(Piece::Nothing, Piece::Text),
        "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
            text("delta").map_or(Piece::Nothing, Piece::Reasoning)
        }
        "response.output_item.added" => {
            let item = value.get("item");
            let field = |key: &str| {
                item.and_then(|i| i.get(key))
                    .and_then(Json::as_str)
                    .map(str::to_string)
            };
            if field("type").as_deref() == Some("function_call") {
                Piece::Tool(ToolDelta {
                    index,
                    id: field("call_id").or_else(|| field("id")),
                    name: field("name"),
                    arguments: field("arguments").unwrap_or_default(),
                })
            } else {
                Piece::Nothing
            }
        }
        "response.function_call_arguments.delta" => Piece::Tool(ToolDelta {
            index,
            arguments: text("delta").unwrap_or_default(),
            ..ToolDelta::default()
        }),
        "response.completed" | "response.incomplete" => {
            let usage = value.get("response").and_then(|r| r.get("usage"));
            let count = |key: &str| usage.and_then(|u| u.get(key)).and_then(Json::as_u64);
            let usage = Usage {
                input: count("input_tokens"),
                output: count("output_tokens"),
                output_ns: None,
            };
            let mut out = Vec::new();
            if !usage.is_empty() {
                out.push(Piece::Usage(usage));
            }
            out.push(Piece::End);
            return out;
        }
        "response.failed" => Piece::Error(
            value
                .get("response")
                .and_then(|r| r.get("error"))
                .map_or_else(|| "the response failed".to_string(), error_text),
        ),
        "error" => Piece::Error(
            value
                .get("error")
                .map_or_else(|| error_text(&value), error_text),
        ),
        _ => Piece::Nothing,
    };
    vec![piece]
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
            r#"{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"temperature":0.7}"#
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

    fn convo() -> Vec<WireMessage> {
        vec![
            WireMessage {
                role: Role::System,
                content: "be brief".into(),
            },
            WireMessage {
                role: Role::User,
                content: "hi".into(),
            },
            WireMessage {
                role: Role::Assistant,
                content: "hello".into(),
            },
            WireMessage {
                role: Role::User,
                content: "more".into(),
            },
        ]
    }

    #[test]
    fn anthropic_and_responses_bodies_take_the_system_prompt_apart() {
        let text = request_body(ChatFormat::Anthropic, "claude", &convo(), None).expect("body");
        assert_eq!(
            text,
            r#"{"model":"claude","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"more"}],"stream":true}"#
        );
        let text = request_body(ChatFormat::Responses, "gpt", &convo(), Some(0.5)).expect("body");
        assert_eq!(
            text,
            r#"{"model":"gpt","input":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"more"}],"instructions":"be brief","stream":true,"temperature":0.5}"#
        );
        // No system prompt: no empty `system` / `instructions`.
        let text = request_body(ChatFormat::Anthropic, "c", &convo()[1..], None).expect("body");
        assert!(!text.contains("system"), "{text}");
        let text = request_body(ChatFormat::Responses, "c", &convo()[1..], None).expect("body");
        assert!(!text.contains("instructions"), "{text}");
    }

    #[test]
    fn chat_request_build_per_format() {
        let header = |r: &ChatRequest, name: &str| {
            r.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let r = ChatRequest::build(
            ChatFormat::OpenAi,
            "/v1/chat/completions",
            "m",
            &convo(),
            None,
            Some("sk-1"),
        );
        assert_eq!(r.url, "/v1/chat/completions");
        assert_eq!(header(&r, "Authorization").as_deref(), Some("Bearer sk-1"));
        assert!(r
            .body
            .as_deref()
            .is_some_and(|b| b.contains("include_usage")));
        let r = ChatRequest::build(
            ChatFormat::Anthropic,
            "https://api.anthropic.com/v1/messages",
            "c",
            &convo(),
            None,
            Some("ak"),
        );
        assert_eq!(header(&r, "x-api-key").as_deref(), Some("ak"));
        assert_eq!(header(&r, "Authorization"), None);
        assert_eq!(
            header(&r, "anthropic-version").as_deref(),
            Some("2023-06-01")
        );
        assert_eq!(
            header(&r, "anthropic-dangerous-direct-browser-access").as_deref(),
            Some("true")
        );
        let r = ChatRequest::build(
            ChatFormat::Responses,
            "/v1/responses",
            "m",
            &convo(),
            None,
            None,
        );
        assert!(r.headers.is_empty());
        let r = ChatRequest::build(
            ChatFormat::Summary,
            "/gpt/summary",
            "",
            &convo(),
            None,
            Some("k"),
        );
        assert_eq!(r.url, "/gpt/summary?content=more");
        assert_eq!(r.body, None);
        assert!(
            r.headers.is_empty(),
            "an EventSource GET carries no headers"
        );
        let r = ChatRequest::build(
            ChatFormat::Ollama,
            "/api/chat",
            "m",
            &convo(),
            None,
            Some(""),
        );
        assert!(r.headers.is_empty(), "an empty key sends nothing");
        assert_eq!(ChatFormat::parse("anthropic"), Some(ChatFormat::Anthropic));
        assert_eq!(ChatFormat::parse("responses"), Some(ChatFormat::Responses));
        assert_eq!(
            ChatFormat::Anthropic
                .models_url("https://h/v1/messages")
                .as_deref(),
            Some("https://h/v1/models")
        );
        assert_eq!(
            ChatFormat::Responses.models_url("/v1/responses").as_deref(),
            Some("/v1/models")
        );
    }

    /// Every format's whole request, exactly: the match has no catch-all, so a new format
    /// cannot be added without its expected request here.
    #[test]
    fn chat_request_build_is_exact_for_every_format() {
        let all = r#"[{"role":"system","content":"be brief"},{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"more"}]"#;
        let turns = r#"[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"more"}]"#;
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        for format in ChatFormat::ALL {
            let endpoint = format.default_endpoint();
            let got = ChatRequest::build(format, endpoint, "m", &convo(), Some(0.5), Some("k1"));
            let want = match format {
                ChatFormat::OpenAi => ChatRequest {
                    carrier: Carrier::FetchEventStream,
                    url: "/v1/chat/completions".into(),
                    headers: pairs(&[("Authorization", "Bearer k1")]),
                    body: Some(format!(
                        r#"{{"model":"m","messages":{all},"stream":true,"stream_options":{{"include_usage":true}},"temperature":0.5}}"#
                    )),
                },
                ChatFormat::Ollama => ChatRequest {
                    carrier: Carrier::FetchNdjson,
                    url: "/api/chat".into(),
                    headers: pairs(&[("Authorization", "Bearer k1")]),
                    body: Some(format!(
                        r#"{{"model":"m","messages":{all},"stream":true,"options":{{"temperature":0.5}}}}"#
                    )),
                },
                ChatFormat::Summary => ChatRequest {
                    carrier: Carrier::EventSource,
                    url: "/gpt/summary?content=more".into(),
                    headers: Vec::new(),
                    body: None,
                },
                ChatFormat::Anthropic => ChatRequest {
                    carrier: Carrier::FetchEventStream,
                    url: "/v1/messages".into(),
                    headers: pairs(&[
                        ("anthropic-version", "2023-06-01"),
                        ("anthropic-dangerous-direct-browser-access", "true"),
                        ("x-api-key", "k1"),
                    ]),
                    body: Some(format!(
                        r#"{{"model":"m","max_tokens":4096,"system":"be brief","messages":{turns},"stream":true,"temperature":0.5}}"#
                    )),
                },
                ChatFormat::Responses => ChatRequest {
                    carrier: Carrier::FetchEventStream,
                    url: "/v1/responses".into(),
                    headers: pairs(&[("Authorization", "Bearer k1")]),
                    body: Some(format!(
                        r#"{{"model":"m","input":{turns},"instructions":"be brief","stream":true,"temperature":0.5}}"#
                    )),
                },
            };
            assert_eq!(got, want, "{}", format.as_str());
            // Without a key: no key header, nothing else changes.
            let keyless = ChatRequest::build(format, endpoint, "m", &convo(), Some(0.5), None);
            let mut want_keyless = want.clone();
            want_keyless
                .headers
                .retain(|(n, _)| n != "Authorization" && n != "x-api-key");
            assert_eq!(keyless, want_keyless, "{} without a key", format.as_str());
        }
    }

    #[test]
    fn openai_reasoning_tool_calls_and_usage() {
        let r = r#"{"choices":[{"delta":{"reasoning_content":"hmm"},"finish_reason":null}]}"#;
        assert_eq!(parse_openai(r), [Piece::Reasoning("hmm".into())]);
        let r = r#"{"choices":[{"delta":{"reasoning":"so","content":""},"finish_reason":null}]}"#;
        assert_eq!(parse_openai(r), [Piece::Reasoning("so".into())]);
        let start = r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#;
        assert_eq!(
            parse_openai(start),
            [Piece::Tool(ToolDelta {
                index: 0,
                id: Some("call_a".into()),
                name: Some("get_weather".into()),
                arguments: String::new(),
            })]
        );
        let more = r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}"#;
        assert_eq!(
            parse_openai(more),
            [Piece::Tool(ToolDelta {
                index: 0,
                arguments: "{\"city\":".into(),
                ..ToolDelta::default()
            })]
        );
        let end = r#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}]}"#;
        assert_eq!(parse_openai(end), [Piece::End]);
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}"#;
        assert_eq!(
            parse_openai(usage),
            [Piece::Usage(Usage {
                input: Some(9),
                output: Some(12),
                output_ns: None,
            })]
        );
        let null_usage =
            r#"{"choices":[{"delta":{"content":"x"},"finish_reason":null}],"usage":null}"#;
        assert_eq!(parse_openai(null_usage), [Piece::Text("x".into())]);
    }

    #[test]
    fn ollama_thinking_tool_calls_and_counts() {
        let v = json(
            r#"{"message":{"role":"assistant","content":"","thinking":"let me see"},"done":false}"#,
        );
        assert_eq!(parse_ollama(&v), [Piece::Reasoning("let me see".into())]);
        let v = json(
            r#"{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_time","arguments":{"zone":"UTC"}}}]},"done":false}"#,
        );
        assert_eq!(
            parse_ollama(&v),
            [Piece::Tool(ToolDelta {
                index: 0,
                id: None,
                name: Some("get_time".into()),
                arguments: r#"{"zone":"UTC"}"#.into(),
            })]
        );
        let v = json(
            r#"{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":290,"eval_duration":4709213000}"#,
        );
        assert_eq!(
            parse_ollama(&v),
            [
                Piece::Usage(Usage {
                    input: Some(26),
                    output: Some(290),
                    output_ns: Some(4709213000),
                }),
                Piece::End
            ]
        );
    }

    #[test]
    fn anthropic_event_sequence() {
        let events = [
            (
                "message_start",
                r#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":25,"output_tokens":1}}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think."}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}"#,
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
            ),
            ("ping", r#"{"type":"ping"}"#),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello"}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Paris\"}"}}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":15}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ];
        let pieces: Vec<Piece> = events
            .iter()
            .flat_map(|(e, d)| parse_anthropic(e, d))
            .filter(|p| *p != Piece::Nothing)
            .collect();
        assert_eq!(
            pieces,
            [
                Piece::Usage(Usage {
                    input: Some(25),
                    output: None,
                    output_ns: None,
                }),
                Piece::Reasoning("Let me think.".into()),
                Piece::Text("Hello".into()),
                Piece::Tool(ToolDelta {
                    index: 2,
                    id: Some("toolu_1".into()),
                    name: Some("get_weather".into()),
                    arguments: String::new(),
                }),
                Piece::Tool(ToolDelta {
                    index: 2,
                    arguments: "{\"city\": \"Paris\"}".into(),
                    ..ToolDelta::default()
                }),
                Piece::Usage(Usage {
                    input: None,
                    output: Some(15),
                    output_ns: None,
                }),
                Piece::End,
            ]
        );
        // The type from the data when the SSE event has no name.
        assert_eq!(
            parse_anthropic("", r#"{"type":"message_stop"}"#),
            [Piece::End]
        );
        let err = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            parse_anthropic("error", err),
            [Piece::Error("Overloaded".into())]
        );
        assert!(matches!(
            parse_anthropic("content_block_delta", "{")[..],
            [Piece::Malformed(_)]
        ));
    }

    #[test]
    fn responses_event_sequence() {
        let events = [
            (
                "response.created",
                r#"{"type":"response.created","response":{"id":"resp_1","status":"in_progress"}}"#,
            ),
            (
                "response.reasoning_summary_text.delta",
                r#"{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Thinking about it."}"#,
            ),
            (
                "response.output_text.delta",
                r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":"Hi"}"#,
            ),
            (
                "response.output_item.added",
                r#"{"type":"response.output_item.added","output_index":2,"item":{"type":"function_call","id":"fc_1","call_id":"call_9","name":"lookup","arguments":""}}"#,
            ),
            (
                "response.function_call_arguments.delta",
                r#"{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":2,"delta":"{\"q\":1}"}"#,
            ),
            (
                "response.completed",
                r#"{"type":"response.completed","response":{"id":"resp_1","status":"completed","usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}}"#,
            ),
        ];
        let pieces: Vec<Piece> = events
            .iter()
            .flat_map(|(e, d)| parse_responses(e, d))
            .filter(|p| *p != Piece::Nothing)
            .collect();
        assert_eq!(
            pieces,
            [
                Piece::Reasoning("Thinking about it.".into()),
                Piece::Text("Hi".into()),
                Piece::Tool(ToolDelta {
                    index: 2,
                    id: Some("call_9".into()),
                    name: Some("lookup".into()),
                    arguments: String::new(),
                }),
                Piece::Tool(ToolDelta {
                    index: 2,
                    arguments: "{\"q\":1}".into(),
                    ..ToolDelta::default()
                }),
                Piece::Usage(Usage {
                    input: Some(5),
                    output: Some(7),
                    output_ns: None,
                }),
                Piece::End,
            ]
        );
        let failed = r#"{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"went wrong"}}}"#;
        assert_eq!(
            parse_responses("response.failed", failed),
            [Piece::Error("went wrong".into())]
        );
        let err = r#"{"type":"error","code":"rate_limit","message":"slow down"}"#;
        assert_eq!(
            parse_responses("error", err),
            [Piece::Error("slow down".into())]
        );
    }
}
