//! The Ollama-compatible API on the demo model: `POST /api/chat` and `POST /api/generate`
//! (`application/x-ndjson`, one object per line, the last with `done: true`; or one object
//! with `stream: false`), `GET /api/tags` and `GET /api/version`.

use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::demo::{self, Message, MODEL};
use super::pace::{self, Chunk, Piece};
use super::time::rfc3339;
use super::{
    json_response, json_text_response, marker_status, read_json, stream_headers, ChatState, Flavor,
    InMessage, Obj,
};

#[derive(Debug, Deserialize)]
struct ChatRequest {
    model: Option<String>,
    messages: Option<Vec<InMessage>>,
    stream: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct GenerateRequest {
    model: Option<String>,
    prompt: Option<String>,
    system: Option<String>,
    stream: Option<bool>,
}

/// `/api/chat` or `/api/generate`: where the text goes in each line.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Chat,
    Generate,
}

/// Builds the lines of one answer.
#[derive(Debug, Clone)]
struct Lines {
    kind: Kind,
    model: String,
}

impl Lines {
    /// `model`, `created_at` and the text (`message` or `response`), in Ollama's order.
    fn head(&self, text: &str) -> Obj {
        let obj = Obj::new()
            .str("model", &self.model)
            .str("created_at", &rfc3339(SystemTime::now()));
        match self.kind {
            Kind::Chat => {
                let message = Obj::new()
                    .str("role", "assistant")
                    .str("content", text)
                    .end();
                obj.raw("message", &message)
            }
            Kind::Generate => obj.str("response", text),
        }
    }

    /// A `done: false` line carrying `token`.
    fn token(&self, token: &str) -> Bytes {
        line(self.head(token).num("done", false).end())
    }

    /// A `done: false` line carrying a `[[think]]` reasoning token: `message.thinking` for
    /// `/api/chat`, `thinking` beside an empty `response` for `/api/generate`, as Ollama.
    fn thinking(&self, token: &str) -> Bytes {
        let obj = Obj::new()
            .str("model", &self.model)
            .str("created_at", &rfc3339(SystemTime::now()));
        let obj = match self.kind {
            Kind::Chat => {
                let message = Obj::new()
                    .str("role", "assistant")
                    .str("content", "")
                    .str("thinking", token)
                    .end();
                obj.raw("message", &message)
            }
            Kind::Generate => obj.str("response", "").str("thinking", token),
        };
        line(obj.num("done", false).end())
    }

    /// The `done: false` line of a `[[tool]]` call (`/api/chat` only: Ollama sends the
    /// whole call in one `message.tool_calls`, its arguments an object).
    fn tool(&self, tool: &demo::ToolCall) -> Option<Bytes> {
        if !matches!(self.kind, Kind::Chat) {
            return None;
        }
        let function = Obj::new()
            .str("name", &tool.name)
            .raw("arguments", &tool.arguments)
            .end();
        let call = Obj::new().raw("function", &function).end();
        let message = Obj::new()
            .str("role", "assistant")
            .str("content", "")
            .raw("tool_calls", &format!("[{call}]"))
            .end();
        let obj = Obj::new()
            .str("model", &self.model)
            .str("created_at", &rfc3339(SystemTime::now()))
            .raw("message", &message)
            .num("done", false)
            .end();
        Some(line(obj))
    }

    /// The answer to a request without a prompt: Ollama loads the model and says so.
    fn load(&self) -> String {
        self.head("")
            .str("done_reason", "load")
            .num("done", true)
            .end()
    }

    /// The `done: true` object, with `text` (empty when streamed) and the statistics.
    fn done(&self, text: &str, prompt_tokens: usize, eval_count: usize, took: Duration) -> String {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.head(text)
            .str("done_reason", "stop")
            .num("done", true)
            .num("total_duration", nanos)
            .num("load_duration", 0)
            .num("prompt_eval_count", prompt_tokens)
            .num("prompt_eval_duration", 0)
            .num("eval_count", eval_count)
            .num("eval_duration", nanos)
            .end()
    }

    /// The start of a line, cut off.
    fn partial(&self) -> Bytes {
        Bytes::from(format!(
            "{{\"model\":{},\"created_at\":\"",
            Value::String(self.model.clone())
        ))
    }
}

fn line(mut text: String) -> Bytes {
    text.push('\n');
    Bytes::from(text)
}

/// `GET /api/tags`.
pub(super) async fn tags() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"models": [{
            "name": MODEL,
            "model": MODEL,
            "modified_at": "2025-01-01T00:00:00Z",
            "size": 0,
            "digest": "0000000000000000000000000000000000000000000000000000000000000000",
            "details": {
                "parent_model": "",
                "format": "builtin",
                "family": "rill",
                "families": ["rill"],
                "parameter_size": "0",
                "quantization_level": "none",
            },
        }]}),
    )
}

/// `GET /api/version`.
pub(super) async fn version() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"version": concat!("0.0.0-rill-", env!("CARGO_PKG_VERSION"))}),
    )
}

/// `POST /api/chat`.
pub(super) async fn chat(State(chat): State<ChatState>, request: Request) -> Response {
    let req: ChatRequest = match read_json(&chat, request, Flavor::Ollama).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    let messages: Vec<Message> = req
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(InMessage::into_message)
        .collect();
    let lines = Lines {
        kind: Kind::Chat,
        model: match super::model_name(req.model, Flavor::Ollama) {
            Ok(model) => model,
            Err(response) => return *response,
        },
    };
    let load = messages.is_empty();
    answer(chat, lines, messages, load, req.stream.unwrap_or(true)).await
}

/// `POST /api/generate`.
pub(super) async fn generate(State(chat): State<ChatState>, request: Request) -> Response {
    let req: GenerateRequest = match read_json(&chat, request, Flavor::Ollama).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    let mut messages = Vec::new();
    if let Some(system) = req.system {
        messages.push(Message::new("system", system));
    }
    let prompt = req.prompt.unwrap_or_default();
    let load = prompt.is_empty();
    messages.push(Message::user(prompt));
    let lines = Lines {
        kind: Kind::Generate,
        model: match super::model_name(req.model, Flavor::Ollama) {
            Ok(model) => model,
            Err(response) => return *response,
        },
    };
    answer(chat, lines, messages, load, req.stream.unwrap_or(true)).await
}

async fn answer(
    chat: ChatState,
    lines: Lines,
    messages: Vec<Message>,
    load: bool,
    streamed: bool,
) -> Response {
    let started = Instant::now();
    if load {
        // Ollama answers a request without a prompt by loading the model, in one object.
        return json_text_response(StatusCode::OK, lines.load());
    }
    let reply = demo::respond(&messages);
    if let Some(code) = reply.markers.error {
        return Flavor::Ollama.error(marker_status(code), "boom");
    }
    let prompt_tokens: usize = messages
        .iter()
        .map(|m| demo::count_tokens(&m.content))
        .sum();
    let every = pace::interval(chat.config.rate, reply.markers.slow);
    let guard = match chat.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => {
            return busy.mark(Flavor::Ollama.error(StatusCode::SERVICE_UNAVAILABLE, busy.message()))
        }
    };
    if streamed {
        let eval_count = reply.output_tokens();
        let last = lines.clone();
        let thoughts: Vec<Bytes> = reply.thinking.iter().map(|t| lines.thinking(t)).collect();
        let thoughts = stream::iter(thoughts).then(move |chunk| async move {
            if let Some(every) = every {
                tokio::time::sleep(every).await;
            }
            Ok::<Bytes, std::io::Error>(chunk)
        });
        let tool_line = reply.tool.as_ref().and_then(|t| lines.tool(t));
        let tokens = pace::pieces(reply, every).map(move |piece| -> Chunk {
            match piece {
                Piece::Token(t) => Ok(lines.token(&t)),
                Piece::Malformed => Ok(Bytes::from_static(b"{\"message\": \n")),
                Piece::Partial => Ok(lines.partial()),
                Piece::Abort => Err(pace::abort()),
            }
        });
        let done = stream::once(async move {
            Ok(line(last.done(
                "",
                prompt_tokens,
                eval_count,
                started.elapsed(),
            )))
        });
        let body = thoughts
            .chain(tokens)
            .chain(stream::iter(tool_line.map(Ok)))
            .chain(done);
        return super::replies::respond(
            &chat,
            super::framing::Wire::Ndjson,
            "application/x-ndjson",
            super::replies::resume_base("/api/chat"),
            super::replies::Offer::Headers,
            body,
            guard,
        );
    }
    let extra_tokens = reply.output_tokens() - reply.len();
    let collected = pace::collect(reply, every).await;
    drop(guard);
    let (text, eval_count) = match collected {
        pace::Collected::Whole { text, tokens } => (text, tokens + extra_tokens),
        pace::Collected::Malformed => {
            let mut response = Response::new(Body::from("{\"message\": "));
            stream_headers(&mut response, "application/json; charset=utf-8");
            return response;
        }
        pace::Collected::Broken => {
            let mut response = Response::new(pace::broken_body(lines.partial()));
            stream_headers(&mut response, "application/json; charset=utf-8");
            return response;
        }
    };
    let obj = lines.done(&text, prompt_tokens, eval_count, started.elapsed());
    json_text_response(StatusCode::OK, obj)
}
