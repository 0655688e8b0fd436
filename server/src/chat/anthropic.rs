//! The Anthropic Messages API on the demo model: `POST /v1/messages`, streamed as named SSE
//! events (`message_start`, `content_block_start`/`_delta`/`_stop`, `message_delta`,
//! `message_stop`, `ping`) or answered with one `message` object. Each answer is built here
//! alone, from the demo reply's pieces, so a layer above can wrap any format's stream.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use rill_sse::{Frame, LineEnd};
use serde::Deserialize;
use serde_json::{json, Value};

use super::demo::{self, Message};
use super::pace::{self, Chunk, Piece};
use super::{
    content_text, json_text_response, read_json, stream_headers, ChatState, Flavor, InMessage,
};

#[derive(Debug, Deserialize)]
struct MessagesRequest {
    model: Option<String>,
    messages: Option<Vec<InMessage>>,
    #[serde(default)]
    system: Value,
    stream: Option<bool>,
}

/// One named event.
fn event(name: &str, data: &Value) -> Bytes {
    Bytes::from(
        Frame::data(data.to_string())
            .event(name)
            .encode(LineEnd::Lf)
            .unwrap_or_default(),
    )
}

fn block_delta(index: usize, delta: Value) -> Bytes {
    event(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": index, "delta": delta}),
    )
}

fn block_start(index: usize, block: Value) -> Bytes {
    event(
        "content_block_start",
        &json!({"type": "content_block_start", "index": index, "content_block": block}),
    )
}

fn block_stop(index: usize) -> Bytes {
    event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": index}),
    )
}

/// The signature a thinking block ends with (the demo's is not a real one).
const SIGNATURE: &str = "cmlsbC1kZW1vLXNpZ25hdHVyZQ==";

/// `POST /v1/messages`.
pub(super) async fn messages(State(chat): State<ChatState>, request: Request) -> Response {
    let flavor = Flavor::Anthropic;
    let req: MessagesRequest = match read_json(&chat, request, flavor).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    let mut messages: Vec<Message> = Vec::new();
    let system = content_text(&req.system);
    if !system.is_empty() {
        messages.push(Message::new("system", system));
    }
    match req.messages {
        Some(list) if !list.is_empty() => {
            messages.extend(list.into_iter().map(InMessage::into_message));
        }
        _ => {
            return flavor.error(
                StatusCode::BAD_REQUEST,
                "messages: at least one message is required",
            )
        }
    }
    let (model, reply) = match super::demo_reply(req.model, flavor, &messages) {
        Ok(answer) => answer,
        Err(response) => return *response,
    };
    let input_tokens: usize = messages
        .iter()
        .map(|m| demo::count_tokens(&m.content))
        .sum();
    let output_tokens = reply.output_tokens();
    let id = super::unique_id("msg_");
    let every = pace::interval(chat.config.rate, reply.markers.slow);
    let guard = match chat.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => {
            return busy.mark(flavor.error(StatusCode::SERVICE_UNAVAILABLE, busy.message()))
        }
    };
    let thinking = reply.thinking.clone();
    let tool = reply.tool.clone();
    let stop_reason = if tool.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    if req.stream.unwrap_or(false) {
        let mut head = vec![event(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1},
            }}),
        )];
        let mut index = 0;
        let think_index = (!thinking.is_empty()).then(|| {
            index += 1;
            index - 1
        });
        let text_index = index;
        if let Some(i) = think_index {
            head.push(block_start(
                i,
                json!({"type": "thinking", "thinking": "", "signature": ""}),
            ));
        }
        // Anthropic sends its first ping right after the first block starts.
        let ping = event("ping", &json!({"type": "ping"}));
        if think_index.is_some() {
            head.push(ping.clone());
        }
        let thoughts = stream::iter(thinking).then(move |t| async move {
            if let Some(every) = every {
                tokio::time::sleep(every).await;
            }
            Ok::<Bytes, std::io::Error>(block_delta(
                think_index.unwrap_or(0),
                json!({"type": "thinking_delta", "thinking": t}),
            ))
        });
        let mut open_text = Vec::new();
        if let Some(i) = think_index {
            open_text.push(block_delta(
                i,
                json!({"type": "signature_delta", "signature": SIGNATURE}),
            ));
            open_text.push(block_stop(i));
        }
        open_text.push(block_start(text_index, json!({"type": "text", "text": ""})));
        if think_index.is_none() {
            open_text.push(ping);
        }
        let partial =
            Bytes::from_static(b"event: content_block_delta\ndata: {\"type\":\"content_bl");
        let tokens = pace::pieces(reply, every).map(move |piece| -> Chunk {
            match piece {
                Piece::Token(t) => Ok(block_delta(
                    text_index,
                    json!({"type": "text_delta", "text": t}),
                )),
                Piece::Malformed => Ok(Bytes::from_static(
                    b"event: content_block_delta\ndata: {\"type\": \n\n",
                )),
                Piece::Partial => Ok(partial.clone()),
                Piece::Abort => Err(pace::abort()),
            }
        });
        let mut tail = vec![block_stop(text_index)];
        if let Some(tool) = &tool {
            let i = text_index + 1;
            tail.push(block_start(
                i,
                json!({"type": "tool_use", "id": tool.id.replacen("call_", "toolu_", 1),
                       "name": tool.name, "input": {}}),
            ));
            for piece in tool.argument_pieces(12) {
                tail.push(block_delta(
                    i,
                    json!({"type": "input_json_delta", "partial_json": piece}),
                ));
            }
            tail.push(block_stop(i));
        }
        tail.push(event(
            "message_delta",
            &json!({"type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                    "usage": {"output_tokens": output_tokens}}),
        ));
        tail.push(event("message_stop", &json!({"type": "message_stop"})));
        let body = stream::iter(head.into_iter().map(Ok))
            .chain(thoughts)
            .chain(stream::iter(open_text.into_iter().map(Ok)))
            .chain(tokens)
            .chain(stream::iter(tail.into_iter().map(Ok)));
        return super::replies::respond(
            &chat,
            super::framing::Wire::Sse,
            "text/event-stream; charset=utf-8",
            super::replies::resume_base("/v1/messages"),
            super::replies::Offer::Headers,
            body,
            guard,
        );
    }
    // Not streamed: the answer takes as long as its tokens would, then comes whole.
    let collected = pace::collect(reply, every).await;
    drop(guard);
    let text = match collected {
        pace::Collected::Whole { text, .. } => text,
        pace::Collected::Malformed => {
            let mut response = Response::new(Body::from("{\"content\": ["));
            stream_headers(&mut response, "application/json");
            return response;
        }
        pace::Collected::Broken => {
            let start = Bytes::from(format!("{{\"id\":\"{id}\",\"type\":\"mess"));
            let mut response = Response::new(pace::broken_body(start));
            stream_headers(&mut response, "application/json");
            return response;
        }
    };
    let mut content = Vec::new();
    if !thinking.is_empty() {
        content.push(
            json!({"type": "thinking", "thinking": thinking.concat(), "signature": SIGNATURE}),
        );
    }
    content.push(json!({"type": "text", "text": text}));
    if let Some(tool) = &tool {
        let input: Value = serde_json::from_str(&tool.arguments).unwrap_or(Value::Null);
        content.push(
            json!({"type": "tool_use", "id": tool.id.replacen("call_", "toolu_", 1),
                            "name": tool.name, "input": input}),
        );
    }
    let message = json!({
        "id": id, "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    });
    json_text_response(StatusCode::OK, message.to_string())
}
