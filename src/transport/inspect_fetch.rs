//! The inspector's fetch transport: the raw view of a streamed request. Unlike
//! [`super::fetch`], it hands on what the network did — the response's status and headers
//! and every body read as it came — and leaves decoding to `crate::inspect`.
//!
//! It reconnects (a GET, as long as the answer was a 2xx) on the same [`ReconnectPolicy`]
//! as every rill transport (never sooner than 1 s after the previous attempt), sending
//! `Last-Event-ID` when the caller has one. [`InspectFetch`] owns the task and the
//! request's `AbortController`; dropping it aborts both and the sink is not called again.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader};

use super::fetch_task::{emit, FetchTask};
use super::policy::{Decision, Outcome, ReconnectPolicy};
use crate::browser;
use crate::inspect::recording::Step;
use crate::inspect::End;

/// What the network did, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// An attempt starts.
    Request,
    /// The response's status and headers.
    Response {
        status: u16,
        headers: Vec<(String, String)>,
    },
    /// One read of the body.
    Chunk(Vec<u8>),
    /// The attempt ended.
    Ended(End),
    /// The next attempt starts in this many ms.
    Waiting(u64),
}

impl Seen {
    /// What a recording keeps of this (a wait is not a step: the next attempt's time says it).
    pub fn into_step(self) -> Option<Step> {
        Some(match self {
            Seen::Request => Step::Request,
            Seen::Response { status, headers } => Step::Response { status, headers },
            Seen::Chunk(bytes) => Step::Read(bytes),
            Seen::Ended(end) => Step::End(end),
            Seen::Waiting(_) => return None,
        })
    }
}

/// The request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectRequest {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// `Accept` to send.
    pub accept: &'static str,
}

type Sink = super::fetch_task::Sink<Seen>;

/// A running inspection; aborted on drop.
pub struct InspectFetch(FetchTask);

impl InspectFetch {
    /// Starts `request`; `last_id` gives the `Last-Event-ID` for a reconnect (empty: none).
    pub fn open(
        request: InspectRequest,
        last_id: impl Fn() -> String + 'static,
        sink: impl FnMut(Seen) + 'static,
    ) -> InspectFetch {
        let sink: Sink = Rc::new(RefCell::new(sink));
        InspectFetch(FetchTask::spawn(|controller, alive| {
            run(request, last_id, sink, controller, alive)
        }))
    }

    /// Aborts now; the sink is not called again.
    pub fn close(&self) {
        self.0.close();
    }
}

async fn run(
    request: InspectRequest,
    last_id: impl Fn() -> String,
    sink: Sink,
    controller: Rc<RefCell<Option<AbortController>>>,
    alive: Rc<Cell<bool>>,
) {
    let mut policy = ReconnectPolicy::default();
    let repeatable =
        request.method.trim().eq_ignore_ascii_case("GET") || request.method.trim().is_empty();
    loop {
        let Ok(abort) = AbortController::new() else {
            emit(
                &sink,
                &alive,
                Seen::Ended(End::Failed {
                    message: "AbortController unavailable".into(),
                }),
            );
            return;
        };
        *controller.borrow_mut() = Some(abort.clone());
        policy.on_attempt(browser::now_ms());
        emit(&sink, &alive, Seen::Request);
        let outcome = attempt(&request, &last_id(), &mut policy, &sink, &alive, &abort).await;
        controller.borrow_mut().take();
        let Some(outcome) = outcome else { return };
        if !alive.get() || !repeatable {
            return;
        }
        match policy.decide(&outcome, browser::now_ms(), js_sys::Math::random) {
            Decision::Stop => return,
            Decision::RetryAfter(ms) => {
                emit(&sink, &alive, Seen::Waiting(ms));
                gloo_timers::future::TimeoutFuture::new(u32::try_from(ms).unwrap_or(u32::MAX))
                    .await;
            }
        }
    }
}

/// One attempt; `None` if aborted.
async fn attempt(
    request: &InspectRequest,
    last_id: &str,
    policy: &mut ReconnectPolicy,
    sink: &Sink,
    alive: &Cell<bool>,
    abort: &AbortController,
) -> Option<Outcome> {
    let signal = abort.signal();
    let method = request.method.trim().to_ascii_uppercase();
    let mut headers = vec![("Accept", request.accept)];
    headers.extend(
        request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
    );
    if !last_id.is_empty() {
        headers.push(("Last-Event-ID", last_id));
    }
    let init = browser::FetchInit {
        method: &method,
        headers,
        body: request
            .body
            .as_deref()
            .filter(|b| !b.is_empty() && method != "GET" && method != "HEAD"),
        signal: Some(&signal),
        with_credentials: false,
    };
    let fail = |message: String| {
        if signal.aborted() || !alive.get() {
            return None;
        }
        emit(sink, alive, Seen::Ended(End::Failed { message }));
        Some(Outcome::NetworkError)
    };
    let response = match browser::fetch(&request.url, init).await {
        Ok(r) => r,
        Err(browser::FetchError::Network(m)) => return fail(m),
        Err(browser::FetchError::Invalid(m)) => {
            fail(m)?;
            return Some(Outcome::HttpStatus(0));
        }
    };
    let status = response.status();
    let mut list = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&response.headers()) {
        for pair in iter.flatten() {
            let pair = js_sys::Array::from(&pair);
            if let (Some(n), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                list.push((n, v));
            }
        }
    }
    let ok_type = list.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("content-type")
            && crate::inspect::diagnose::type_fits(
                v,
                if request.accept == "text/event-stream" {
                    crate::inspect::Format::Sse
                } else {
                    crate::inspect::Format::Ndjson
                },
            )
    });
    emit(
        sink,
        alive,
        Seen::Response {
            status,
            headers: list,
        },
    );
    if (200..300).contains(&status) && ok_type {
        policy.on_open(browser::now_ms());
    }
    let Some(body) = response.body() else {
        emit(sink, alive, Seen::Ended(End::ServerClosed));
        return Some(Outcome::EndOfStream);
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().dyn_into().ok()?;
    loop {
        let result = match JsFuture::from(reader.read()).await {
            Ok(r) => r,
            Err(err) => return fail(browser::error_text(&err)),
        };
        let done = Reflect::get(&result, &JsValue::from_str("done"))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if done {
            if signal.aborted() || !alive.get() {
                return None;
            }
            emit(sink, alive, Seen::Ended(End::ServerClosed));
            return Some(if !(200..300).contains(&status) {
                Outcome::HttpStatus(status)
            } else if !ok_type {
                Outcome::WrongContentType
            } else if status == 204 {
                Outcome::NoContent
            } else {
                Outcome::EndOfStream
            });
        }
        if let Ok(value) = Reflect::get(&result, &JsValue::from_str("value")) {
            if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
                emit(sink, alive, Seen::Chunk(bytes.to_vec()));
            }
        }
    }
}
