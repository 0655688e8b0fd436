//! `fetch` as a stream transport: GET or POST with headers and a body, the response read
//! incrementally through the ReadableStream reader and decoded by `rill_sse`.
//!
//! [`FetchStream`] owns the running task, the current request's `AbortController` and any
//! pending timer or `online` listener: dropping it aborts the request and stops the task, so
//! the sink is never called afterwards. Reconnection follows [`ReconnectPolicy`], with
//! `Last-Event-ID` sent on each reconnect.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader};

use super::body::BodyDecoder;
use super::fetch_task::{emit, FetchTask};
use super::policy::{Decision, Outcome, ReconnectPolicy};
use super::response::{check, with_retry_after, BodyFormat, BodyPrefix, ERROR_MESSAGE_MAX_CHARS};
use super::{CloseReason, ErrorKind, Reconnect, ReplyEnd, StreamEvent};
use crate::browser;

/// A request to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub format: BodyFormat,
    /// Reconnect when the stream ends or breaks (feeds). A chat reply sets this to false:
    /// it must never be requested twice.
    pub reconnect: bool,
    /// Initial `Last-Event-ID` (resuming a feed).
    pub last_event_id: Option<String>,
    /// Send cookies cross-origin.
    pub with_credentials: bool,
    /// The most bytes one event (or NDJSON line) may buffer: beyond it the stream ends with
    /// a size-limit error instead of holding more.
    pub max_buffer: usize,
    /// With `reconnect`: give up (a final error) after this many failed attempts in a row;
    /// `None` retries for as long as the handle lives (feeds).
    pub max_failures: Option<u32>,
}

/// A chat reply's pieces are small; the largest real one is a Responses API summary of the
/// whole reply. Beyond this one piece ends the reply with a size-limit message, long before
/// a runaway stream fills the page's memory.
pub const CHAT_MAX_BUFFER: usize = 4 * 1024 * 1024;

impl FetchRequest {
    /// A GET feed of SSE events that reconnects.
    pub fn get(url: &str) -> FetchRequest {
        FetchRequest {
            url: url.to_string(),
            method: "GET".to_string(),
            headers: Vec::new(),
            body: None,
            format: BodyFormat::EventStream,
            reconnect: true,
            last_event_id: None,
            with_credentials: false,
            max_buffer: rill_sse::decode::DEFAULT_MAX_BUFFER,
            max_failures: None,
        }
    }

    /// A GET that reattaches to a reply its server keeps (`StreamEvent::Offer`), from
    /// after event `last_event_id`: SSE, reconnecting with `Last-Event-ID` on the policy's
    /// schedule (the 1 s floor) at most `max_failures` times in a row.
    pub fn resume(url: &str, last_event_id: u64, max_failures: u32) -> FetchRequest {
        FetchRequest {
            last_event_id: Some(last_event_id.to_string()),
            max_buffer: CHAT_MAX_BUFFER,
            max_failures: Some(max_failures),
            ..FetchRequest::get(url)
        }
    }

    /// A POST with a JSON body whose streamed answer is read once (no reconnect).
    pub fn post_json(url: &str, body: String, format: BodyFormat) -> FetchRequest {
        FetchRequest {
            url: url.to_string(),
            method: "POST".to_string(),
            headers: vec![("Content-Type".to_string(), "application/json".to_string())],
            body: Some(body),
            format,
            reconnect: false,
            last_event_id: None,
            with_credentials: false,
            max_buffer: CHAT_MAX_BUFFER,
            max_failures: None,
        }
    }
}

type Sink = super::fetch_task::Sink<StreamEvent>;

/// A running fetch stream; aborted on drop.
pub struct FetchStream(FetchTask);

impl FetchStream {
    /// Starts streaming `request`, reporting to `sink` until dropped.
    pub fn open(request: FetchRequest, sink: impl FnMut(StreamEvent) + 'static) -> FetchStream {
        let sink: Sink = Rc::new(RefCell::new(sink));
        FetchStream(FetchTask::spawn(|controller, alive| {
            run(request, sink, controller, alive)
        }))
    }

    /// Aborts the request and stops the task now; the sink is not called again.
    pub fn close(&self) {
        self.0.close();
    }
}

/// How one attempt ended.
enum Ended {
    /// The body ended or the connection broke (after or before opening).
    Outcome(Outcome, ErrorKind),
    /// The handle was dropped.
    Aborted,
}

async fn run(
    request: FetchRequest,
    sink: Sink,
    controller: Rc<RefCell<Option<AbortController>>>,
    alive: Rc<Cell<bool>>,
) {
    let mut policy = ReconnectPolicy::default();
    let mut decoder = BodyDecoder::new(
        request.format,
        request.max_buffer,
        request.last_event_id.clone(),
    );
    loop {
        if !browser::is_online() {
            emit(
                &sink,
                &alive,
                StreamEvent::error(ErrorKind::Offline, Reconnect::WhenOnline),
            );
            browser::WindowEvent::new("online").await;
        }
        let abort = match AbortController::new() {
            Ok(c) => c,
            Err(_) => {
                emit(
                    &sink,
                    &alive,
                    StreamEvent::error(
                        ErrorKind::BadUrl("AbortController unavailable".into()),
                        Reconnect::Never,
                    ),
                );
                return;
            }
        };
        *controller.borrow_mut() = Some(abort.clone());
        policy.on_attempt(browser::now_ms());
        let ended = attempt(&request, &mut decoder, &mut policy, &sink, &alive, &abort).await;
        controller.borrow_mut().take();
        let (outcome, kind) = match ended {
            Ended::Aborted => return,
            Ended::Outcome(outcome, kind) => (outcome, kind),
        };
        if !request.reconnect {
            let event = match outcome {
                Outcome::EndOfStream => StreamEvent::Closed(CloseReason::EndOfStream),
                Outcome::NoContent => StreamEvent::Closed(CloseReason::NoContent),
                _ => StreamEvent::error(kind, Reconnect::Never),
            };
            emit(&sink, &alive, event);
            return;
        }
        match policy.decide(&outcome, browser::now_ms(), js_sys::Math::random) {
            Decision::Stop => {
                let event = match outcome {
                    Outcome::NoContent => StreamEvent::Closed(CloseReason::NoContent),
                    _ => StreamEvent::error(kind, Reconnect::Never),
                };
                emit(&sink, &alive, event);
                return;
            }
            Decision::RetryAfter(_)
                if request
                    .max_failures
                    .is_some_and(|max| policy.consecutive_failures() >= max) =>
            {
                emit(&sink, &alive, StreamEvent::error(kind, Reconnect::Never));
                return;
            }
            Decision::RetryAfter(ms) => {
                emit(
                    &sink,
                    &alive,
                    StreamEvent::error(kind, Reconnect::After(ms)),
                );
                gloo_timers::future::TimeoutFuture::new(u32::try_from(ms).unwrap_or(u32::MAX))
                    .await;
            }
        }
    }
}

async fn attempt(
    request: &FetchRequest,
    decoder: &mut BodyDecoder,
    policy: &mut ReconnectPolicy,
    sink: &Sink,
    alive: &Cell<bool>,
    abort: &AbortController,
) -> Ended {
    let signal = abort.signal();
    let aborted_or = |outcome: Outcome, kind: ErrorKind| {
        if signal.aborted() || !alive.get() {
            Ended::Aborted
        } else {
            Ended::Outcome(outcome, kind)
        }
    };
    let method = match request.method.to_ascii_uppercase().as_str() {
        "POST" => "POST",
        _ => "GET",
    };
    let accept = match request.format {
        BodyFormat::EventStream => "text/event-stream",
        BodyFormat::Ndjson => "application/x-ndjson, application/json",
    };
    let mut headers = vec![("Accept", accept)];
    headers.extend(
        request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
    );
    if request.format == BodyFormat::EventStream && !decoder.last_event_id().is_empty() {
        headers.push(("Last-Event-ID", decoder.last_event_id()));
    }
    let init = browser::FetchInit {
        method,
        headers,
        body: request.body.as_deref(),
        signal: Some(&signal),
        with_credentials: request.with_credentials,
    };
    let response = match browser::fetch(&request.url, init).await {
        Ok(r) => r,
        Err(browser::FetchError::Network(_)) => {
            return aborted_or(Outcome::NetworkError, ErrorKind::Network)
        }
        // A malformed URL or header is not a network error: retrying cannot help.
        Err(browser::FetchError::Invalid(message)) => {
            return aborted_or(Outcome::HttpStatus(0), ErrorKind::BadUrl(message))
        }
    };
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let excerpt = if (200..300).contains(&status) {
        String::new()
    } else {
        read_error_message(&response).await
    };
    if let Err(rejection) = check(status, &content_type, request.format, || excerpt) {
        if status == 204 {
            // A kept reply with nothing more to send says how it ended.
            let told = response.headers().get("rill-reply-end").ok().flatten();
            if let Some(end) = told.as_deref().and_then(ReplyEnd::parse) {
                emit(sink, alive, StreamEvent::ReplyEnd(end));
            }
        }
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let rejection = with_retry_after(rejection, retry_after.as_deref(), browser::now_ms());
        return aborted_or(rejection.outcome, rejection.kind);
    }
    policy.on_open(browser::now_ms());
    emit(sink, alive, StreamEvent::Open);
    if method == "POST" {
        if let Some(offer) = offer(&request.url, &response.headers()) {
            emit(sink, alive, offer);
        }
    }

    decoder.restart();
    let Some(body) = response.body() else {
        decoder.abandon();
        return aborted_or(Outcome::EndOfStream, ErrorKind::Network);
    };
    let reader: ReadableStreamDefaultReader = match body.get_reader().dyn_into() {
        Ok(r) => r,
        Err(_) => return aborted_or(Outcome::NetworkError, ErrorKind::Network),
    };
    let mut buf = Vec::new();
    loop {
        let read = JsFuture::from(reader.read()).await;
        let result = match read {
            Ok(r) => r,
            Err(_) => {
                decoder.abandon();
                return aborted_or(Outcome::NetworkError, ErrorKind::Network);
            }
        };
        let done = Reflect::get(&result, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let Ok(value) = Reflect::get(&result, &JsValue::from_str("value")) else {
            continue;
        };
        let Some(chunk) = value.dyn_ref::<Uint8Array>() else {
            continue;
        };
        buf.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut buf);
        let pushed = decoder.push(&buf, &mut |event| {
            if let StreamEvent::Retry(ms) = event {
                policy.set_server_retry(ms);
            }
            emit(sink, alive, event);
        });
        if let Err(message) = pushed {
            let _ = reader.cancel();
            // Not a network fault: reconnecting would fail the same way.
            return aborted_or(Outcome::HttpStatus(0), ErrorKind::Decode(message));
        }
    }
    if let Err(message) = decoder.finish(&mut |event| emit(sink, alive, event)) {
        return aborted_or(Outcome::HttpStatus(0), ErrorKind::Decode(message));
    }
    aborted_or(Outcome::EndOfStream, ErrorKind::Network)
}

/// A kept reply's `Rill-Resume` / `Rill-Stop` headers as an offer, resolved against the
/// request's URL (itself resolved against the page, as `fetch` does).
fn offer(request_url: &str, headers: &web_sys::Headers) -> Option<StreamEvent> {
    let resume = headers.get("rill-resume").ok().flatten()?;
    let base = web_sys::window()?.location().href().ok()?;
    let request = web_sys::Url::new_with_base(request_url, &base).ok()?.href();
    let absolute = |url: &str| {
        web_sys::Url::new_with_base(url, &request)
            .ok()
            .map(|u| u.href())
    };
    let stop = headers.get("rill-stop").ok().flatten();
    Some(StreamEvent::Offer {
        resume: absolute(&resume)?,
        stop: match stop {
            Some(url) => Some(absolute(&url)?),
            None => None,
        },
    })
}

/// The server's message from an error response, reading at most
/// [`ERROR_BODY_MAX_BYTES`](super::response::ERROR_BODY_MAX_BYTES) of its body (then the
/// rest is cancelled, not downloaded): "…" marks a cut. Empty if the body cannot be read.
pub async fn read_error_message(response: &web_sys::Response) -> String {
    let mut prefix = BodyPrefix::default();
    let Some(body) = response.body() else {
        return String::new();
    };
    let Ok(reader) = body.get_reader().dyn_into::<ReadableStreamDefaultReader>() else {
        return String::new();
    };
    let mut buf = Vec::new();
    loop {
        let Ok(result) = JsFuture::from(reader.read()).await else {
            break;
        };
        let done = Reflect::get(&result, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let Some(chunk) = Reflect::get(&result, &JsValue::from_str("value"))
            .ok()
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
        else {
            continue;
        };
        let total = chunk.length() as usize;
        // Copy only what is kept: a huge chunk is never copied whole into wasm memory.
        let take = total.min(prefix.wanted());
        buf.resize(take, 0);
        chunk.subarray(0, take as u32).copy_to(&mut buf);
        if !prefix.push(&buf, total) {
            let _ = reader.cancel();
            break;
        }
    }
    prefix.message(ERROR_MESSAGE_MAX_CHARS)
}
