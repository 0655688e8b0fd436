//! A feed over the browser's `EventSource` that never reconnects faster than rill's floor.
//!
//! The browser reconnects an `EventSource` by itself after the server's `retry`, which may
//! be 0: against a server that answers and closes at once that is thousands of connections
//! a second. [`GuardedEventSource`] reports every event of its current [`EventSourceHandle`]
//! and asks [`FlapGuard`] about each error the browser would retry. When the guard sees
//! flapping, the handle is closed and a new `EventSource` is opened on rill's own jittered
//! schedule (reported as [`Reconnect::After`], so views show a countdown), until a
//! connection is stable again. A new `EventSource` does not send `Last-Event-ID`: the
//! browser only sends it on its own reconnects.
//!
//! **Retry-After.** An `EventSource` cannot see a response's headers: a 503 with
//! `Retry-After` just closes it for good ([`ErrorKind::Refused`]). So after a refusal, and
//! only then, the feed asks once more with `fetch` (a probe: status and headers, then the
//! body is cancelled) to learn why. An error status whose `Retry-After` rill honours
//! (`policy::retry_after_applies`) becomes a reconnect on rill's own schedule, no sooner than
//! the header says (reported as [`Reconnect::After`], so views count down); 204 becomes
//! [`CloseReason::NoContent`]; anything else stays the refusal it was.
//!
//! **A live stream closed by the browser is no refusal.** A browser fails an `EventSource`
//! (closed for good) only on a connection attempt's answer; one that ends `CLOSED` straight
//! from an open stream was cancelled by the browser itself (the page is being reloaded or
//! left). Probing then would ask the URL again — for a chat reply (the summary format) a
//! second generation — so it is reported as a network error that is not retried
//! ([`Reconnect::Never`]), without a probe.
//!
//! Owned: dropping the handle closes the current `EventSource`, removes its listeners and
//! cancels a pending reconnect. It may be closed from inside its own sink.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use futures_util::future::{AbortHandle, Abortable};
use web_sys::AbortController;

use super::event_source::{EventSourceHandle, EventSourceOptions};
use super::policy::{BrowserRetry, FlapGuard, Outcome};
use super::response::{check, with_retry_after, BodyFormat};
use super::{CloseReason, ErrorKind, Reconnect, StreamError, StreamEvent};
use crate::browser;

type Sink = Rc<RefCell<dyn FnMut(StreamEvent)>>;

/// An `EventSource` feed with a reconnect floor; closed on drop.
pub struct GuardedEventSource {
    inner: Rc<Inner>,
}

struct Inner {
    url: String,
    options: EventSourceOptions,
    sink: Sink,
    guard: RefCell<FlapGuard>,
    current: RefCell<Option<EventSourceHandle>>,
    /// A closed handle whose listener may still be on the stack; dropped on the next
    /// connect or with the feed, never inside its own callback.
    retired: RefCell<Option<EventSourceHandle>>,
    timer: RefCell<Option<AbortHandle>>,
    /// The probe after a refusal, while it runs: its task and its request.
    probe: RefCell<Option<(AbortHandle, Option<AbortController>)>>,
    alive: Cell<bool>,
    /// The current `EventSource` is open and has not failed since.
    live: Cell<bool>,
}

/// What a probe after a refusal found.
enum Verdict {
    /// Nothing more to say: the refusal stands.
    Refused,
    /// 204: the server asks not to reconnect.
    NoContent,
    /// An error status with a `Retry-After` rill honours.
    Later {
        kind: ErrorKind,
        status: u16,
        after_ms: u64,
    },
}

impl GuardedEventSource {
    /// Opens `url` and reports to `sink` until closed or dropped.
    ///
    /// Returns the error event instead of a handle if the browser rejects the URL outright.
    pub fn open(
        url: &str,
        options: &EventSourceOptions,
        sink: impl FnMut(StreamEvent) + 'static,
    ) -> Result<GuardedEventSource, StreamEvent> {
        let sink: Sink = Rc::new(RefCell::new(sink));
        let inner = Rc::new(Inner {
            url: url.to_string(),
            options: options.clone(),
            sink,
            guard: RefCell::new(FlapGuard::default()),
            current: RefCell::new(None),
            retired: RefCell::new(None),
            timer: RefCell::new(None),
            probe: RefCell::new(None),
            alive: Cell::new(true),
            live: Cell::new(false),
        });
        let handle = Inner::open_source(&inner)?;
        *inner.current.borrow_mut() = Some(handle);
        Ok(GuardedEventSource { inner })
    }

    /// The URL of the current `EventSource`, as the browser resolved it.
    pub fn url(&self) -> Option<String> {
        self.inner
            .current
            .try_borrow()
            .ok()?
            .as_ref()
            .map(EventSourceHandle::url)
    }

    /// Closes the feed now: the current `EventSource` and any pending reconnect. Safe to
    /// call from inside the sink (the handle is dropped later, outside the callback).
    pub fn close(&self) {
        self.inner.close();
    }
}

impl Drop for GuardedEventSource {
    fn drop(&mut self) {
        self.inner.close();
    }
}

impl Inner {
    /// A new `EventSource` whose events come back to `inner` (held weakly, so the feed's
    /// owner alone decides how long it lives).
    fn open_source(inner: &Rc<Inner>) -> Result<EventSourceHandle, StreamEvent> {
        inner.guard.borrow_mut().on_connect(browser::now_ms());
        let weak: Weak<Inner> = Rc::downgrade(inner);
        EventSourceHandle::open(&inner.url, &inner.options, move |event| {
            if let Some(inner) = weak.upgrade() {
                Inner::on_event(&inner, event);
            }
        })
    }

    fn on_event(inner: &Rc<Inner>, event: StreamEvent) {
        if !inner.alive.get() {
            return;
        }
        let event = match event {
            StreamEvent::Open => {
                inner.live.set(true);
                inner.guard.borrow_mut().on_open(browser::now_ms());
                StreamEvent::Open
            }
            StreamEvent::Error(StreamError {
                kind: ErrorKind::Refused,
                reconnect: Reconnect::Never,
            }) if inner.live.replace(false) => {
                // Cancelled by the browser while streaming: see the module's header.
                StreamEvent::error(ErrorKind::Network, Reconnect::Never)
            }
            StreamEvent::Error(StreamError {
                kind: ErrorKind::Refused,
                reconnect: Reconnect::Never,
            }) => {
                // Reported when the probe has answered.
                Inner::probe(inner);
                return;
            }
            StreamEvent::Error(StreamError {
                kind,
                reconnect: Reconnect::ByBrowser,
            }) => {
                inner.live.set(false);
                let verdict = inner
                    .guard
                    .borrow_mut()
                    .on_browser_error(browser::now_ms(), js_sys::Math::random);
                match verdict {
                    BrowserRetry::LetBrowser => StreamEvent::error(kind, Reconnect::ByBrowser),
                    BrowserRetry::TakeOver(ms) => Inner::take_over(inner, kind, ms),
                }
            }
            other => other,
        };
        inner.emit(event);
    }

    /// Opens a new `EventSource` after `ms` milliseconds (cancelled on close).
    /// rill reconnects in `ms` instead of the browser: the browser's own loop is stopped now
    /// (the handle itself is dropped on the next connect, outside this callback).
    fn take_over(inner: &Rc<Inner>, kind: ErrorKind, ms: u64) -> StreamEvent {
        if let Ok(mut current) = inner.current.try_borrow_mut() {
            if let Some(handle) = current.take() {
                handle.close();
                if let Ok(mut retired) = inner.retired.try_borrow_mut() {
                    *retired = Some(handle);
                }
            }
        }
        Inner::schedule(inner, ms);
        StreamEvent::error(kind, Reconnect::After(ms))
    }

    fn schedule(inner: &Rc<Inner>, ms: u64) {
        let weak = Rc::downgrade(inner);
        let (abort, registration) = AbortHandle::new_pair();
        let wait = async move {
            gloo_timers::future::TimeoutFuture::new(u32::try_from(ms).unwrap_or(u32::MAX)).await;
            if let Some(inner) = weak.upgrade() {
                Inner::reconnect(&inner);
            }
        };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = Abortable::new(wait, registration).await;
        });
        if let Ok(mut timer) = inner.timer.try_borrow_mut() {
            if let Some(previous) = timer.replace(abort) {
                previous.abort();
            }
        }
    }

    /// Asks the refused URL once more with fetch, to learn why (see the module comment).
    fn probe(inner: &Rc<Inner>) {
        let weak = Rc::downgrade(inner);
        let url = inner.url.clone();
        let with_credentials = inner.options.with_credentials;
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map(AbortController::signal);
        let (abort, registration) = AbortHandle::new_pair();
        let task = async move {
            let verdict = probe_refusal(&url, signal.as_ref(), with_credentials).await;
            if let Some(inner) = weak.upgrade() {
                Inner::after_probe(&inner, verdict);
            }
        };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = Abortable::new(task, registration).await;
        });
        if let Ok(mut probe) = inner.probe.try_borrow_mut() {
            if let Some((previous, request)) = probe.replace((abort, controller)) {
                previous.abort();
                if let Some(request) = request {
                    request.abort();
                }
            }
        }
    }

    fn after_probe(inner: &Rc<Inner>, verdict: Verdict) {
        if let Ok(mut probe) = inner.probe.try_borrow_mut() {
            probe.take();
        }
        if !inner.alive.get() {
            return;
        }
        let event = match verdict {
            Verdict::Refused => StreamEvent::error(ErrorKind::Refused, Reconnect::Never),
            Verdict::NoContent => StreamEvent::Closed(CloseReason::NoContent),
            Verdict::Later {
                kind,
                status,
                after_ms,
            } => {
                let ms = inner.guard.borrow_mut().on_retry_later(
                    browser::now_ms(),
                    status,
                    after_ms,
                    js_sys::Math::random,
                );
                Inner::take_over(inner, kind, ms)
            }
        };
        inner.emit(event);
    }

    fn reconnect(inner: &Rc<Inner>) {
        if !inner.alive.get() {
            return;
        }
        if let Ok(mut timer) = inner.timer.try_borrow_mut() {
            timer.take();
        }
        if let Ok(mut retired) = inner.retired.try_borrow_mut() {
            retired.take();
        }
        match Inner::open_source(inner) {
            Ok(handle) => {
                if let Ok(mut current) = inner.current.try_borrow_mut() {
                    *current = Some(handle);
                }
            }
            Err(event) => inner.emit(event),
        }
    }

    fn close(&self) {
        self.alive.set(false);
        if let Ok(mut probe) = self.probe.try_borrow_mut() {
            if let Some((task, request)) = probe.take() {
                task.abort();
                if let Some(request) = request {
                    request.abort();
                }
            }
        }
        if let Ok(mut timer) = self.timer.try_borrow_mut() {
            if let Some(abort) = timer.take() {
                abort.abort();
            }
        }
        if let Ok(current) = self.current.try_borrow() {
            if let Some(handle) = current.as_ref() {
                handle.close();
            }
        }
    }

    /// Calls the sink while the feed lives (a re-entrant call is dropped, not a panic).
    fn emit(&self, event: StreamEvent) {
        if !self.alive.get() {
            return;
        }
        if let Ok(mut f) = self.sink.try_borrow_mut() {
            f(event);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close();
    }
}

/// One GET of a refused feed's URL: its status and `Retry-After` (the body is cancelled
/// after at most an error message's few KB).
async fn probe_refusal(
    url: &str,
    signal: Option<&web_sys::AbortSignal>,
    with_credentials: bool,
) -> Verdict {
    let init = browser::FetchInit {
        headers: vec![("Accept", "text/event-stream")],
        signal,
        with_credentials,
        ..browser::FetchInit::default()
    };
    let Ok(response) = browser::fetch(url, init).await else {
        return Verdict::Refused;
    };
    let status = response.status();
    if status == 204 {
        return Verdict::NoContent;
    }
    if (200..300).contains(&status) {
        // A stream after all, or the wrong type: not this probe's to read.
        if let Some(body) = response.body() {
            let _ = body.cancel();
        }
        return Verdict::Refused;
    }
    let retry_after = response.headers().get("retry-after").ok().flatten();
    let content_type = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let message = super::fetch::read_error_message(&response).await;
    let Err(rejection) = check(status, &content_type, BodyFormat::EventStream, || message) else {
        return Verdict::Refused;
    };
    let rejection = with_retry_after(rejection, retry_after.as_deref(), browser::now_ms());
    match rejection.outcome {
        Outcome::RetryLater { status, after_ms } => Verdict::Later {
            kind: rejection.kind,
            status,
            after_ms,
        },
        _ => Verdict::Refused,
    }
}
