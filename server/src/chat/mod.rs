//! Chat endpoints: an OpenAI-compatible API, an Ollama-compatible API and the original
//! design's `/gpt/summary` feed, answered by the built-in [`demo`] model or forwarded to a real
//! server (`--upstream`).
//!
//! # Routes
//!
//! - `POST /v1/chat/completions` ([`openai`]) — `stream: true`: `text/event-stream` of
//!   `data: {chat.completion.chunk}` events (a role chunk, one chunk per token, a chunk with
//!   `finish_reason: "stop"`, a usage chunk when `stream_options.include_usage`, then
//!   `data: [DONE]`); `stream: false` (the default): one `chat.completion` object.
//! - `GET /v1/models` — the one model, `rill-demo`.
//! - `POST /v1/messages` ([`anthropic`]) — the Anthropic Messages API: `stream: true` gives
//!   named events (`message_start`, `content_block_start`/`_delta`/`_stop` with
//!   `thinking_delta`, `text_delta`, `input_json_delta`, `ping`, `message_delta` with
//!   `stop_reason` and usage, `message_stop`); otherwise one `message` object. Errors are
//!   `{"type":"error","error":{"type","message"}}`.
//! - `POST /v1/responses` ([`responses`]) — the OpenAI Responses API (`input` a string or
//!   messages, `instructions`): `stream: true` gives named events, each with its
//!   `sequence_number` (`response.created`, `response.in_progress`, `response.output_item.*`,
//!   `response.content_part.*`, `response.output_text.delta`/`.done`, reasoning summary and
//!   function-call argument deltas, `response.completed` with usage); otherwise one
//!   `response` object. Errors have OpenAI's shape.
//! - `POST /api/chat`, `POST /api/generate` ([`ollama`]) — `application/x-ndjson`, one object
//!   per line, the last with `done: true`; `stream` defaults to true as in Ollama; an empty
//!   conversation or prompt gets Ollama's one-line `done_reason: "load"` answer.
//! - `GET /api/tags`, `GET /api/version` — the model list and a version.
//! - `GET|POST /gpt/summary?content=…` ([`summary`]; POST may carry `{"content": …}`) — the
//!   original summary server's sse_starlette framing, without its bugs.
//!
//! Any model name is accepted and echoed back; the demo model answers them all (so a client
//! configured for `llama3` works unchanged). Errors have each API's own shape: OpenAI
//! `{"error":{"message","type","param","code"}}`, Ollama `{"error":"…"}`, summary
//! `{"detail":"…"}`. Bad JSON or a missing `messages` is 400, a body over `--max-body` 413, a
//! body that does not arrive within the body timeout 408, an upstream that does not answer
//! within the upstream timeout 504 (502 if it cannot be reached).
//!
//! # Test markers
//!
//! Written in the last user message (or the summary's content), parsed by
//! [`demo::parse_markers`]:
//!
//! - `[[long:N]]` — a reply of exactly N tokens;
//! - `[[slow]]` — 2 tokens per second;
//! - `[[drop:N]]` — after N tokens, half a chunk, then the connection is aborted (no final
//!   chunk, no `[DONE]`, no `done: true`; the summary feed loses the text not yet sent);
//! - `[[error:S]]` — HTTP status S with the API's error body, message `boom`;
//! - `[[malformed]]` — after 3 tokens one invalid chunk (`data: {"choices": [` for OpenAI, a
//!   `{"message": ` line for Ollama, the whole body for a non-streamed answer), then the
//!   stream goes on; the summary feed carries no JSON and ignores it;
//! - `[[echo]]` — the reply is exactly the prompt without its markers;
//! - `[[think]]` / `[[think:N]]` — reasoning before the answer: OpenAI
//!   `delta.reasoning_content` (`message.reasoning_content` whole), an Anthropic `thinking`
//!   block, Ollama `message.thinking` (`thinking` on `/api/generate`), a Responses
//!   `reasoning` item with `response.reasoning_summary_text.delta`s;
//! - `[[think-inline]]` — the reasoning inline, `<think>…</think>` at the start of the text
//!   (every endpoint, since it is part of the text);
//! - `[[tool]]` / `[[tool:name]]` — the reply ends in a tool call: OpenAI `delta.tool_calls`
//!   fragments at index 0 (id and name, then the arguments in pieces), finish reason
//!   `tool_calls`; an Anthropic `tool_use` block with `input_json_delta`s, stop reason
//!   `tool_use`; one Ollama `message.tool_calls` line before `done` (`/api/chat` only); a
//!   Responses `function_call` item with `response.function_call_arguments.delta`s.
//!   Usage counts reasoning, text and the tool's arguments.
//!
//! With `--upstream` the markers mean nothing here: everything is forwarded.
//!
//! # Pacing and cleanup
//!
//! Tokens leave at `--rate` per second (0: as fast as the socket takes them). Every response
//! that streams holds a [`StreamGuard`](crate::gauge::StreamGuard) in its body; hyper drops the
//! body when the client goes away, and with it the guard, the timers and any upstream request.

mod anthropic;
pub mod demo;
mod framing;
mod ollama;
mod openai;
mod pace;
pub mod replies;
mod reply_buffer;
pub mod reply_engine;
mod responses;
pub mod sample;
mod source;
mod summary;
mod time;
mod upstream;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tower_http::cors::CorsLayer;

use crate::{AppState, StreamGauge};

pub use upstream::{Forwarded, Upstream, FORWARDED};

/// The chat endpoints' settings (command-line flags of the same names).
#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// Tokens per second of the demo model; 0 (or less) sends them as fast as possible.
    pub rate: f64,
    /// Interval of the summary feed's `: ping` comments; zero sends none.
    pub ping: Duration,
    /// Forward `/v1/*` and `/api/*` (and the summary's generation) to this server.
    pub upstream: Option<Upstream>,
    /// The model the summary feed asks the upstream for.
    pub summary_model: String,
    /// Origins allowed by CORS (`*` among them: any). Empty: any origin for the demo model,
    /// but no CORS at all with an upstream, so no other site's page can reach the model
    /// server through us.
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
    /// Time allowed for receiving a request body.
    pub body_timeout: Duration,
    /// Time allowed for the upstream to answer with its headers.
    pub upstream_timeout: Duration,
    /// How many streamed replies are kept for resuming, how large and how long.
    pub replies: replies::ReplyLimits,
}

/// The summary model's default, the original server's `OLLAMA_MODEL` default.
pub const DEFAULT_SUMMARY_MODEL: &str = "llama3:latest";

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            rate: 30.0,
            ping: Duration::from_secs(15),
            upstream: None,
            summary_model: DEFAULT_SUMMARY_MODEL.to_string(),
            cors_origins: Vec::new(),
            max_body: 4 * 1024 * 1024,
            body_timeout: Duration::from_secs(30),
            upstream_timeout: Duration::from_secs(30),
            replies: replies::ReplyLimits::default(),
        }
    }
}

/// What the chat handlers share.
#[derive(Debug, Clone)]
pub(crate) struct ChatState {
    streams: StreamGauge,
    replies: replies::Replies,
    config: std::sync::Arc<ChatConfig>,
    client: Option<upstream::Client>,
}

/// The chat routes, with their own CORS layer.
pub fn routes(config: &ChatConfig, state: &AppState) -> Router<AppState> {
    state.replies.set_limits(config.replies.clone());
    // With `--publish`, each reply goes to the engines too.
    state.replies.set_on_start(reply_engine::start_publishing);
    let chat = ChatState {
        streams: state.streams.clone(),
        replies: state.replies.clone(),
        config: std::sync::Arc::new(config.clone()),
        client: config.upstream.as_ref().map(|_| upstream::client()),
    };
    let api = if config.upstream.is_some() {
        // Every path under them, so that a route not in `upstream::FORWARDED` is answered
        // 404 here (in its API's shape) instead of reaching the app's files or the upstream.
        Router::new()
            .route("/v1/{*rest}", any(upstream::forward_openai))
            .route("/api/{*rest}", any(upstream::forward_ollama))
    } else {
        Router::new()
            .route("/v1/chat/completions", post(openai::completions))
            .route("/v1/models", get(openai::models))
            .route("/v1/messages", post(anthropic::messages))
            .route("/v1/responses", post(responses::responses))
            .route("/api/chat", post(ollama::chat))
            .route("/api/generate", post(ollama::generate))
            .route("/api/tags", get(ollama::tags))
            .route("/api/version", get(ollama::version))
    };
    let api = api
        .route("/gpt/summary", get(summary::summary).post(summary::summary))
        // Resuming and stopping a reply (`replies`): the same routes with or without an
        // upstream, since rill-server keeps the reply either way.
        // Through Pushpin a reattach is held on the reply's channel (`reply_engine`).
        .route("/v1/replies/{id}", get(reply_engine::resume_openai))
        .route("/v1/replies/{id}/stop", post(replies::stop_openai))
        // Nchan's check before a reattach (`reply_engine::known`).
        .route("/v1/replies/{id}/known", get(reply_engine::known))
        .route("/api/replies/{id}", get(reply_engine::resume_ollama))
        .route("/api/replies/{id}/stop", post(replies::stop_ollama))
        .route("/gpt/replies/{id}", get(reply_engine::resume_summary))
        .route("/gpt/replies/{id}/stop", post(replies::stop_summary));
    // Through nginx + Nchan, a reply's reattach goes to its Nchan channel (`reply_engine`).
    let api = api.layer(axum::middleware::from_fn_with_state(
        chat.clone(),
        reply_engine::offer_nchan_resume,
    ));
    match cors(config) {
        Some(layer) => api.layer(layer),
        None => api,
    }
    .with_state(chat)
}

/// CORS for the chat routes: the configured origins; with none configured, any origin for
/// the demo model and no CORS at all (no headers, preflights not answered) with an upstream.
fn cors(config: &ChatConfig) -> Option<CorsLayer> {
    match (&config.upstream, config.cors_origins.is_empty()) {
        (Some(_), true) => None,
        (None, true) => Some(crate::cors::open()),
        (_, false) => Some(crate::cors::for_origins(&config.cors_origins)),
    }
}

/// Which API an error answer must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    OpenAi,
    Ollama,
    Anthropic,
    Summary,
}

impl Flavor {
    /// The path of reply `id` under this API's routes (`replies`).
    pub(crate) fn replies_path(self, id: &str) -> String {
        match self {
            Flavor::Ollama => format!("/api/replies/{id}"),
            Flavor::Summary => format!("/gpt/replies/{id}"),
            _ => format!("/v1/replies/{id}"),
        }
    }

    /// An error response in this API's shape.
    pub(crate) fn error(self, status: StatusCode, message: &str) -> Response {
        let body = match self {
            Flavor::OpenAi => {
                let kind = if status.is_server_error() {
                    "server_error"
                } else if status == StatusCode::UNAUTHORIZED {
                    "authentication_error"
                } else {
                    "invalid_request_error"
                };
                json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
            }
            Flavor::Ollama => json!({ "error": message }),
            Flavor::Anthropic => {
                let kind = match status.as_u16() {
                    400 => "invalid_request_error",
                    401 => "authentication_error",
                    403 => "permission_error",
                    404 => "not_found_error",
                    413 => "request_too_large",
                    429 => "rate_limit_error",
                    529 => "overloaded_error",
                    _ if status.is_client_error() => "invalid_request_error",
                    _ => "api_error",
                };
                json!({"type": "error", "error": {"type": kind, "message": message}})
            }
            Flavor::Summary => json!({ "detail": message }),
        };
        json_response(status, &body)
    }
}

/// `value` as an `application/json` response.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    json_text_response(status, value.to_string())
}

/// JSON text as an `application/json` response.
pub(crate) fn json_text_response(status: StatusCode, text: String) -> Response {
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A JSON object written with its keys in the order given, as the emulated servers write
/// them (`serde_json`'s own maps sort their keys).
#[derive(Debug)]
pub(crate) struct Obj(String);

impl Obj {
    pub(crate) fn new() -> Self {
        Obj(String::from("{"))
    }

    /// Adds `key` (plain ASCII, written as is) with a value that is already JSON text.
    pub(crate) fn raw(mut self, key: &str, json: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
        self.0.push_str(json);
        self
    }

    /// Adds a string value.
    pub(crate) fn str(self, key: &str, value: &str) -> Self {
        let json = Value::from(value).to_string();
        self.raw(key, &json)
    }

    /// Adds a number (or any value whose display is its JSON).
    pub(crate) fn num(self, key: &str, value: impl std::fmt::Display) -> Self {
        let json = value.to_string();
        self.raw(key, &json)
    }

    /// The object's text.
    pub(crate) fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// The status for `[[error:S]]`.
pub(crate) fn marker_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Why a request body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge(usize),
    Timeout(Duration),
    Read(String),
}

impl BodyError {
    pub(crate) fn response(&self, flavor: Flavor) -> Response {
        match self {
            BodyError::TooLarge(limit) => flavor.error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("request body too large: the limit is {limit} bytes"),
            ),
            BodyError::Timeout(after) => flavor.error(
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "request body not received within {:.1} s",
                    after.as_secs_f64()
                ),
            ),
            BodyError::Read(err) => flavor.error(
                StatusCode::BAD_REQUEST,
                &format!("could not read the request body: {err}"),
            ),
        }
    }
}

/// Reads a request's body with [`read_body`] and parses it as JSON; on failure, the error
/// response in `flavor`'s shape (OpenAI's wording for a body that is not JSON, Ollama's
/// plain parser message).
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    chat: &ChatState,
    request: axum::extract::Request,
    flavor: Flavor,
) -> Result<T, Response> {
    let (parts, body) = request.into_parts();
    let bytes = read_body(body, &parts.headers, &chat.config)
        .await
        .map_err(|err| err.response(flavor))?;
    serde_json::from_slice(&bytes).map_err(|err| {
        let message = match flavor {
            Flavor::OpenAi => format!("We could not parse the JSON body of your request: {err}"),
            Flavor::Ollama | Flavor::Anthropic | Flavor::Summary => err.to_string(),
        };
        flavor.error(StatusCode::BAD_REQUEST, &message)
    })
}

/// Reads a whole request body, refusing more than `max_body` bytes or taking longer than
/// `body_timeout`.
pub(crate) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    config: &ChatConfig,
) -> Result<Bytes, BodyError> {
    let limit = config.max_body;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let read = async {
        let mut data = body.into_data_stream();
        let mut buf = BytesMut::new();
        while let Some(chunk) = data.next().await {
            let chunk = chunk.map_err(|e| BodyError::Read(e.to_string()))?;
            if buf.len() + chunk.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    };
    match tokio::time::timeout(config.body_timeout, read).await {
        Ok(result) => result,
        Err(_) => Err(BodyError::Timeout(config.body_timeout)),
    }
}

/// Headers of a streamed response: its content type, no caching, no proxy buffering.
pub(crate) fn stream_headers(response: &mut Response, content_type: &'static str) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
}

/// A message of a chat request, as OpenAI and Ollama both send it.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct InMessage {
    #[serde(default)]
    role: String,
    #[serde(default)]
    content: Value,
}

impl InMessage {
    /// The demo model's message: role and the content's text.
    pub(crate) fn into_message(self) -> demo::Message {
        demo::Message::new(self.role, content_text(&self.content))
    }
}

/// The text of an OpenAI message `content`: a string, or the `text` parts of an array.
pub(crate) fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.as_str()),
                _ => p.get("text").and_then(Value::as_str),
            })
            .collect(),
        other => other.to_string(),
    }
}

/// The longest model name the demo model echoes (in every streamed chunk or line); a longer
/// one is refused with 400 rather than cut, so a client never sees a name it did not send.
pub const MAX_MODEL_NAME: usize = 256;

/// The model name to echo: `asked`, or the demo model's own; a 400 in `flavor`'s shape if it
/// is longer than [`MAX_MODEL_NAME`] bytes.
pub(crate) fn model_name(asked: Option<String>, flavor: Flavor) -> Result<String, Box<Response>> {
    match asked {
        Some(name) if name.len() > MAX_MODEL_NAME => Err(Box::new(flavor.error(
            StatusCode::BAD_REQUEST,
            &format!("'model' is longer than {MAX_MODEL_NAME} bytes"),
        ))),
        Some(name) => Ok(name),
        None => Ok(demo::MODEL.to_string()),
    }
}

/// The demo model's answer to `messages` and the model name to echo; the response to send
/// instead when the name is too long or the prompt asks for an error (`[[error:CODE]]`).
pub(crate) fn demo_reply(
    asked: Option<String>,
    flavor: Flavor,
    messages: &[demo::Message],
) -> Result<(String, demo::Reply), Box<Response>> {
    let model = model_name(asked, flavor)?;
    let reply = demo::respond(messages);
    match reply.markers.error {
        Some(code) => Err(Box::new(flavor.error(marker_status(code), "boom"))),
        None => Ok((model, reply)),
    }
}

/// `PREFIX` + a suffix unique within this process and across restarts (response and
/// message ids).
pub(crate) fn unique_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!("{prefix}rill{nanos:x}{n:04x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_text_reads_strings_and_parts() {
        assert_eq!(content_text(&json!("hi")), "hi");
        assert_eq!(content_text(&Value::Null), "");
        assert_eq!(
            content_text(
                &json!([{"type": "text", "text": "a"}, {"type": "image_url"}, {"type": "text", "text": "b"}])
            ),
            "ab"
        );
    }

    #[test]
    fn objects_keep_their_key_order() {
        let inner = Obj::new().str("role", "assistant").end();
        let text = Obj::new()
            .str("z", "a\"b\n")
            .num("a", 5)
            .raw("m", &inner)
            .raw("n", "null")
            .end();
        assert_eq!(
            text,
            r#"{"z":"a\"b\n","a":5,"m":{"role":"assistant"},"n":null}"#
        );
        assert!(serde_json::from_str::<Value>(&text).is_ok());
        assert_eq!(Obj::new().end(), "{}");
    }

    #[test]
    fn error_shapes() {
        let r = Flavor::Ollama.error(StatusCode::NOT_FOUND, "x");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            r.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );
    }
}
