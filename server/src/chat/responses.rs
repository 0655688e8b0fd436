//! The OpenAI Responses API on the demo model: `POST /v1/responses`, streamed as named SSE
//! events, each with its `sequence_number` (`response.created`, `response.in_progress`,
//! output items for reasoning, the message and a function call with their deltas,
//! `response.completed` with usage), or answered with one `response` object. The answer is
//! built here alone, from the demo reply's pieces, so a layer above can wrap it.

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
use super::pace::{self, Piece};
use super::time::unix_now;
use super::{
    content_text, json_text_response, read_json, stream_headers, ChatState, Flavor, InMessage,
};

#[derive(Debug, Deserialize)]
struct ResponsesRequest {
    model: Option<String>,
    #[serde(default)]
    input: Value,
    #[serde(default)]
    instructions: Value,
    stream: Option<bool>,
}

/// One item of the streamed body before it is numbered: an event, or raw bytes (faults).
enum Out {
    Event(Value),
    Raw(Bytes),
    Abort,
}

/// The conversation of a request: the instructions, then `input` (a string, or messages
/// whose content is a string or parts).
fn conversation(req: &ResponsesRequest) -> Vec<Message> {
    let mut messages = Vec::new();
    let instructions = content_text(&req.instructions);
    if !instructions.is_empty() {
        messages.push(Message::new("system", instructions));
    }
    match &req.input {
        Value::String(text) => messages.push(Message::user(text.clone())),
        Value::Array(items) => {
            for item in items {
                if let Ok(message) = serde_json::from_value::<InMessage>(item.clone()) {
                    messages.push(message.into_message());
                }
            }
        }
        _ => {}
    }
    messages
}

/// `POST /v1/responses`.
pub(super) async fn responses(State(chat): State<ChatState>, request: Request) -> Response {
    let flavor = Flavor::OpenAi;
    let req: ResponsesRequest = match read_json(&chat, request, flavor).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    let messages = conversation(&req);
    if !messages.iter().any(|m| m.role != "system") {
        return flavor.error(
            StatusCode::BAD_REQUEST,
            "'input' is required: a string or a non-empty array of messages",
        );
    }
    let (model, reply) = match super::demo_reply(req.model.clone(), flavor, &messages) {
        Ok(answer) => answer,
        Err(response) => return *response,
    };
    let input_tokens: usize = messages
        .iter()
        .map(|m| demo::count_tokens(&m.content))
        .sum();
    let output_tokens = reply.output_tokens();
    let reasoning_tokens = reply.thinking.len();
    let tag = super::unique_id("");
    let id = format!("resp_{tag}");
    let created = unix_now();
    let every = pace::interval(chat.config.rate, reply.markers.slow);
    let guard = match chat.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => {
            return busy.mark(flavor.error(StatusCode::SERVICE_UNAVAILABLE, busy.message()))
        }
    };
    let thinking = reply.thinking.clone();
    let thinking_text = reply.thinking_text();
    let tool = reply.tool.clone();
    let usage = json!({
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    });
    let response_obj = move |status: &str, output: Vec<Value>, usage: Value| {
        json!({
            "id": id, "object": "response", "created_at": created, "status": status,
            "error": null, "incomplete_details": null, "model": model,
            "output": output, "usage": usage,
        })
    };
    let reasoning_id = format!("rs_{tag}");
    let message_id = format!("msg_{tag}");
    let call_item_id = format!("fc_{tag}");
    let reasoning_item = |text: &str| {
        json!({"id": reasoning_id, "type": "reasoning",
               "summary": [{"type": "summary_text", "text": text}]})
    };
    let message_item = |text: &str, status: &str| {
        json!({"id": message_id, "type": "message", "status": status, "role": "assistant",
               "content": [{"type": "output_text", "text": text, "annotations": []}]})
    };
    let call_item = |tool: &demo::ToolCall, arguments: &str, status: &str| {
        json!({"id": call_item_id, "type": "function_call", "status": status,
               "call_id": tool.id, "name": tool.name, "arguments": arguments})
    };
    let reasoning_index = 0;
    let message_index = usize::from(!thinking.is_empty());
    let call_index = message_index + 1;

    // The finished output, for `response.completed` and the whole answer.
    let finished = |text: &str| {
        let mut output = Vec::new();
        if !thinking.is_empty() {
            output.push(reasoning_item(&thinking_text));
        }
        output.push(message_item(text, "completed"));
        if let Some(tool) = &tool {
            output.push(call_item(tool, &tool.arguments, "completed"));
        }
        output
    };

    if !req.stream.unwrap_or(false) {
        let collected = pace::collect(reply, every).await;
        drop(guard);
        return match collected {
            pace::Collected::Whole { text, .. } => json_text_response(
                StatusCode::OK,
                response_obj("completed", finished(&text), usage).to_string(),
            ),
            pace::Collected::Malformed => {
                let mut response = Response::new(Body::from("{\"output\": ["));
                stream_headers(&mut response, "application/json");
                response
            }
            pace::Collected::Broken => {
                let start = Bytes::from(format!("{{\"id\":\"resp_{tag}\",\"object\":\"resp"));
                let mut response = Response::new(pace::broken_body(start));
                stream_headers(&mut response, "application/json");
                response
            }
        };
    }

    let mut head = vec![
        Out::Event(json!({"type": "response.created",
            "response": response_obj("in_progress", Vec::new(), Value::Null)})),
        Out::Event(json!({"type": "response.in_progress",
            "response": response_obj("in_progress", Vec::new(), Value::Null)})),
    ];
    if !thinking.is_empty() {
        head.push(Out::Event(json!({"type": "response.output_item.added",
            "output_index": reasoning_index,
            "item": {"id": reasoning_id, "type": "reasoning", "summary": []}})));
        head.push(Out::Event(
            json!({"type": "response.reasoning_summary_part.added",
            "item_id": reasoning_id, "output_index": reasoning_index, "summary_index": 0,
            "part": {"type": "summary_text", "text": ""}}),
        ));
    }
    let rid = reasoning_id.clone();
    let thoughts = stream::iter(thinking.clone()).then(move |t| {
        let rid = rid.clone();
        async move {
            if let Some(every) = every {
                tokio::time::sleep(every).await;
            }
            Out::Event(json!({"type": "response.reasoning_summary_text.delta",
                "item_id": rid, "output_index": reasoning_index, "summary_index": 0,
                "delta": t}))
        }
    });
    let mut open = Vec::new();
    if !thinking.is_empty() {
        open.push(Out::Event(
            json!({"type": "response.reasoning_summary_text.done",
            "item_id": reasoning_id, "output_index": reasoning_index, "summary_index": 0,
            "text": thinking_text}),
        ));
        open.push(Out::Event(
            json!({"type": "response.reasoning_summary_part.done",
            "item_id": reasoning_id, "output_index": reasoning_index, "summary_index": 0,
            "part": {"type": "summary_text", "text": thinking_text}}),
        ));
        open.push(Out::Event(json!({"type": "response.output_item.done",
            "output_index": reasoning_index, "item": reasoning_item(&thinking_text)})));
    }
    open.push(Out::Event(json!({"type": "response.output_item.added",
        "output_index": message_index,
        "item": {"id": message_id, "type": "message", "status": "in_progress",
                 "role": "assistant", "content": []}})));
    open.push(Out::Event(json!({"type": "response.content_part.added",
        "item_id": message_id, "output_index": message_index, "content_index": 0,
        "part": {"type": "output_text", "text": "", "annotations": []}})));
    let text = reply.text().to_string();
    let mid = message_id.clone();
    let tokens = pace::pieces(reply, every).map(move |piece| match piece {
        Piece::Token(t) => Out::Event(json!({"type": "response.output_text.delta",
            "item_id": mid, "output_index": message_index, "content_index": 0, "delta": t})),
        Piece::Malformed => Out::Raw(Bytes::from_static(
            b"event: response.output_text.delta\ndata: {\"type\": \n\n",
        )),
        Piece::Partial => Out::Raw(Bytes::from_static(
            b"event: response.output_text.delta\ndata: {\"type\":\"respo",
        )),
        Piece::Abort => Out::Abort,
    });
    let mut tail = vec![
        Out::Event(
            json!({"type": "response.output_text.done", "item_id": message_id,
            "output_index": message_index, "content_index": 0, "text": text}),
        ),
        Out::Event(
            json!({"type": "response.content_part.done", "item_id": message_id,
            "output_index": message_index, "content_index": 0,
            "part": {"type": "output_text", "text": text, "annotations": []}}),
        ),
        Out::Event(json!({"type": "response.output_item.done",
            "output_index": message_index, "item": message_item(&text, "completed")})),
    ];
    if let Some(tool) = &tool {
        tail.push(Out::Event(json!({"type": "response.output_item.added",
            "output_index": call_index, "item": call_item(tool, "", "in_progress")})));
        for piece in tool.argument_pieces(12) {
            tail.push(Out::Event(
                json!({"type": "response.function_call_arguments.delta",
                "item_id": call_item_id, "output_index": call_index, "delta": piece}),
            ));
        }
        tail.push(Out::Event(
            json!({"type": "response.function_call_arguments.done",
            "item_id": call_item_id, "output_index": call_index,
            "arguments": tool.arguments}),
        ));
        tail.push(Out::Event(json!({"type": "response.output_item.done",
            "output_index": call_index, "item": call_item(tool, &tool.arguments, "completed")})));
    }
    tail.push(Out::Event(json!({"type": "response.completed",
        "response": response_obj("completed", finished(&text), usage)})));
    let mut sequence = 0u64;
    let body = stream::iter(head)
        .chain(thoughts)
        .chain(stream::iter(open))
        .chain(tokens)
        .chain(stream::iter(tail))
        .map(move |out| match out {
            Out::Event(mut value) => {
                let name = value["type"].as_str().unwrap_or("message").to_string();
                if let Value::Object(map) = &mut value {
                    map.insert("sequence_number".into(), sequence.into());
                }
                sequence += 1;
                Ok(Bytes::from(
                    Frame::data(value.to_string())
                        .event(name)
                        .encode(LineEnd::Lf)
                        .unwrap_or_default(),
                ))
            }
            Out::Raw(bytes) => Ok(bytes),
            Out::Abort => Err(pace::abort()),
        });
    super::replies::respond(
        &chat,
        super::framing::Wire::Sse,
        "text/event-stream; charset=utf-8",
        super::replies::resume_base("/v1/responses"),
        super::replies::Offer::Headers,
        body,
        guard,
    )
}
