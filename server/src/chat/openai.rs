//! The OpenAI-compatible API on the demo model: `POST /v1/chat/completions` (streamed as
//! `chat.completion.chunk` events ending in `data: [DONE]`, or one `chat.completion`) and
//! `GET /v1/models`.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use rill_sse::{Frame, LineEnd};
use serde::Deserialize;
use serde_json::json;

use super::demo::{self, Message, MODEL};
use super::framing::Wire;
use super::pace::{self, Chunk, Piece};
use super::replies;
use super::time::unix_now;
use super::{
    json_response, json_text_response, read_json, stream_headers, ChatState, Flavor, InMessage, Obj,
};

#[derive(Debug, Deserialize)]
struct ChatRequest {
    model: Option<String>,
    messages: Option<Vec<InMessage>>,
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// `GET /v1/models`.
pub(super) async fn models() -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "object": "list",
            "data": [{"id": MODEL, "object": "model", "created": 1_735_689_600u64, "owned_by": "rill"}],
        }),
    )
}

/// The identity of one completion, repeated in every chunk.
struct Head {
    id: String,
    created: u64,
    model: String,
}

impl Head {
    /// The fields every object starts with, in OpenAI's order.
    fn start(&self, object: &str) -> Obj {
        Obj::new()
            .str("id", &self.id)
            .str("object", object)
            .num("created", self.created)
            .str("model", &self.model)
            .str("system_fingerprint", "fp_rill_demo")
    }

    /// A `chat.completion.chunk` with this `delta` and `finish_reason` (both JSON text).
    fn chunk(&self, delta: &str, finish: &str) -> String {
        let choice = Obj::new()
            .num("index", 0)
            .raw("delta", delta)
            .raw("logprobs", "null")
            .raw("finish_reason", finish)
            .end();
        self.start("chat.completion.chunk")
            .raw("choices", &format!("[{choice}]"))
            .end()
    }
}

fn event(json: String) -> Bytes {
    Bytes::from(Frame::data(json).encode(LineEnd::Lf).unwrap_or_default())
}

/// `POST /v1/chat/completions`.
pub(super) async fn completions(State(chat): State<ChatState>, request: Request) -> Response {
    let flavor = Flavor::OpenAi;
    let req: ChatRequest = match read_json(&chat, request, flavor).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    let messages: Vec<Message> = match req.messages {
        Some(messages) if !messages.is_empty() => {
            messages.into_iter().map(InMessage::into_message).collect()
        }
        _ => {
            return flavor.error(
                StatusCode::BAD_REQUEST,
                "'messages' is required and must be a non-empty array",
            )
        }
    };
    let (model, reply) = match super::demo_reply(req.model, flavor, &messages) {
        Ok(answer) => answer,
        Err(response) => return *response,
    };
    let head = Head {
        id: super::unique_id("chatcmpl-"),
        created: unix_now(),
        model,
    };
    let prompt_tokens: usize = messages
        .iter()
        .map(|m| demo::count_tokens(&m.content))
        .sum();
    let every = pace::interval(chat.config.rate, reply.markers.slow);
    let guard = match chat.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => {
            return busy.mark(flavor.error(StatusCode::SERVICE_UNAVAILABLE, busy.message()))
        }
    };
    if req.stream.unwrap_or(false) {
        let include_usage = req.stream_options.is_some_and(|o| o.include_usage);
        let completion_tokens = reply.output_tokens();
        let first = event(head.chunk(r#"{"role":"assistant"}"#, "null"));
        // `[[think]]`: reasoning as DeepSeek-style `reasoning_content` deltas, first.
        let thoughts: Vec<Bytes> = reply
            .thinking
            .iter()
            .map(|t| {
                let delta = Obj::new().str("reasoning_content", t).end();
                event(head.chunk(&delta, "null"))
            })
            .collect();
        let thoughts = stream::iter(thoughts).then(move |chunk| async move {
            if let Some(every) = every {
                tokio::time::sleep(every).await;
            }
            Ok::<Bytes, std::io::Error>(chunk)
        });
        // `[[tool]]`: the call's id and name first, then its arguments in pieces, by index.
        let mut tool_chunks = Vec::new();
        let finish = if let Some(tool) = &reply.tool {
            let function = Obj::new()
                .str("name", &tool.name)
                .str("arguments", "")
                .end();
            let call = Obj::new()
                .num("index", 0)
                .str("id", &tool.id)
                .str("type", "function")
                .raw("function", &function)
                .end();
            let delta = Obj::new().raw("tool_calls", &format!("[{call}]")).end();
            tool_chunks.push(event(head.chunk(&delta, "null")));
            for piece in tool.argument_pieces(12) {
                let function = Obj::new().str("arguments", &piece).end();
                let call = Obj::new().num("index", 0).raw("function", &function).end();
                let delta = Obj::new().raw("tool_calls", &format!("[{call}]")).end();
                tool_chunks.push(event(head.chunk(&delta, "null")));
            }
            r#""tool_calls""#
        } else {
            r#""stop""#
        };
        let partial = Bytes::from(format!(
            "data: {{\"id\":\"{}\",\"object\":\"chat.completion.chunk\",\"cre",
            head.id
        ));
        let mut tail = tool_chunks;
        tail.push(event(head.chunk("{}", finish)));
        if include_usage {
            let usage = head
                .start("chat.completion.chunk")
                .raw("choices", "[]")
                .raw("usage", &usage_json(prompt_tokens, completion_tokens))
                .end();
            tail.push(event(usage));
        }
        tail.push(Bytes::from_static(b"data: [DONE]\n\n"));
        let tokens = pace::pieces(reply, every).map(move |piece| -> Chunk {
            match piece {
                Piece::Token(t) => {
                    let delta = Obj::new().str("content", &t).end();
                    Ok(event(head.chunk(&delta, "null")))
                }
                Piece::Malformed => Ok(Bytes::from_static(b"data: {\"choices\": [\n\n")),
                Piece::Partial => Ok(partial.clone()),
                Piece::Abort => Err(pace::abort()),
            }
        });
        let body = stream::once(async move { Ok(first) })
            .chain(thoughts)
            .chain(tokens)
            .chain(stream::iter(tail.into_iter().map(Ok)));
        return replies::respond(
            &chat,
            Wire::Sse,
            "text/event-stream; charset=utf-8",
            replies::resume_base("/v1/chat/completions"),
            replies::Offer::Headers,
            body,
            guard,
        );
    }
    // Not streamed: the answer takes as long as its tokens would, then comes whole.
    let thinking = reply.thinking_text();
    let tool = reply.tool.clone();
    let extra_tokens = reply.output_tokens() - reply.len();
    let collected = pace::collect(reply, every).await;
    drop(guard);
    let (text, completion_tokens) = match collected {
        pace::Collected::Whole { text, tokens } => (text, tokens + extra_tokens),
        pace::Collected::Malformed => return raw_json(Bytes::from_static(b"{\"choices\": [")),
        pace::Collected::Broken => return broken_json(&head.id),
    };
    let mut message = Obj::new().str("role", "assistant").str("content", &text);
    if !thinking.is_empty() {
        message = message.str("reasoning_content", &thinking);
    }
    let message = match &tool {
        Some(tool) => {
            let function = Obj::new()
                .str("name", &tool.name)
                .str("arguments", &tool.arguments)
                .end();
            let call = Obj::new()
                .str("id", &tool.id)
                .str("type", "function")
                .raw("function", &function)
                .end();
            message.raw("tool_calls", &format!("[{call}]"))
        }
        None => message,
    }
    .raw("refusal", "null")
    .end();
    let choice = Obj::new()
        .num("index", 0)
        .raw("message", &message)
        .raw("logprobs", "null")
        .str(
            "finish_reason",
            if tool.is_some() { "tool_calls" } else { "stop" },
        )
        .end();
    let completion = head
        .start("chat.completion")
        .raw("choices", &format!("[{choice}]"))
        .raw("usage", &usage_json(prompt_tokens, completion_tokens))
        .end();
    json_text_response(StatusCode::OK, completion)
}

fn usage_json(prompt: usize, completion: usize) -> String {
    Obj::new()
        .num("prompt_tokens", prompt)
        .num("completion_tokens", completion)
        .num("total_tokens", prompt + completion)
        .end()
}

/// A 200 `application/json` response with exactly these bytes.
fn raw_json(bytes: Bytes) -> Response {
    let mut response = Response::new(Body::from(bytes));
    stream_headers(&mut response, "application/json");
    response
}

/// A 200 JSON answer cut off after its first bytes by an aborted connection.
fn broken_json(id: &str) -> Response {
    let start = Bytes::from(format!("{{\"id\":\"{id}\",\"object\":\"chat.comp"));
    let mut response = Response::new(pace::broken_body(start));
    stream_headers(&mut response, "application/json");
    response
}
