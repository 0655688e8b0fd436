//! The page's handle on the markdown worker (`md-worker`): markdown is parsed off the main
//! thread, and pulldown-cmark is not part of the page's first load.
//!
//! Owns the `Worker` (terminated on drop), its two listeners, the queue of requests sent
//! before the worker said it is ready, and the routing of answers to each message's
//! [`Route`]. The worker starts on the first [`MarkdownWorker::route`] (or an early
//! [`MarkdownWorker::warm`]), so a page that never shows a reply never loads it.
//!
//! Failure is normal here: a worker that cannot start (missing file, a Content Security
//! Policy without `worker-src`), that announces another protocol version (a stale cached
//! copy), that throws, or whose answer does not decode makes every affected route get
//! [`Answer::Unavailable`]; the message is then shown as plain text, never lost.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::Array;
use rill_markdown::wire::{decode_update, Op, PROTOCOL, READY_ID};
use rill_markdown::Update;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, MessageEvent, Worker};

/// Where Trunk puts the worker's loader (`index.html`, `data-type="worker"`), relative to the page.
pub const WORKER_URL: &str = "./rill-md_loader.js";

/// What a route hears back.
pub enum Answer {
    /// Blocks to show; `finished` answers the route's [`Op::Finish`].
    Update { finished: bool, update: Update },
    /// No markdown for this route, now or later: show its text as plain text.
    Unavailable,
}

type Listener = Rc<dyn Fn(Answer)>;

enum Status {
    Idle,
    Loading(Vec<Array>),
    Ready,
    Failed,
}

struct Shared {
    worker: Option<Worker>,
    status: Status,
    routes: HashMap<u32, Listener>,
    next_id: u32,
}

struct Running {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// One worker for the chat view; dropping it terminates the worker.
pub struct MarkdownWorker {
    url: String,
    shared: Rc<RefCell<Shared>>,
    running: RefCell<Option<Running>>,
}

impl MarkdownWorker {
    /// A handle that starts the worker at `url` when it is first needed.
    pub fn new(url: &str) -> MarkdownWorker {
        MarkdownWorker {
            url: url.to_owned(),
            shared: Rc::new(RefCell::new(Shared {
                worker: None,
                status: Status::Idle,
                routes: HashMap::new(),
                next_id: 1,
            })),
            running: RefCell::new(None),
        }
    }

    /// Starts loading the worker now (e.g. while the user types the first question).
    pub fn warm(&self) {
        if !matches!(self.shared.borrow().status, Status::Idle) {
            return;
        }
        let started = self.start();
        let mut shared = self.shared.borrow_mut();
        match started {
            Some(running) => {
                shared.worker = Some(running.worker.clone());
                shared.status = Status::Loading(Vec::new());
                drop(shared);
                *self.running.borrow_mut() = Some(running);
            }
            None => shared.status = Status::Failed,
        }
    }

    fn start(&self) -> Option<Running> {
        let worker = Worker::new(&self.url).ok()?;
        let weak = Rc::downgrade(&self.shared);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(shared) = weak.upgrade() {
                dispatch(&shared, &event.data());
            }
        });
        let weak = Rc::downgrade(&self.shared);
        let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            event.prevent_default();
            if let Some(shared) = weak.upgrade() {
                fail_all(&shared);
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Running {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// True once the worker listens: answers then come within a frame or two.
    pub fn is_ready(&self) -> bool {
        matches!(self.shared.borrow().status, Status::Ready)
    }

    /// A route for one message's renderer; `None` when the worker is unavailable (show
    /// plain text). `listener` gets the answers, in order, until the route is dropped.
    pub fn route(&self, listener: impl Fn(Answer) + 'static) -> Option<Route> {
        self.warm();
        let mut shared = self.shared.borrow_mut();
        if matches!(shared.status, Status::Failed) {
            return None;
        }
        let id = shared.next_id;
        shared.next_id = shared.next_id.checked_add(1).unwrap_or(1);
        shared.routes.insert(id, Rc::new(listener));
        Some(Route {
            id,
            shared: Rc::downgrade(&self.shared),
        })
    }
}

/// One message's renderer in the worker; dropping it forgets the renderer there.
pub struct Route {
    id: u32,
    shared: Weak<RefCell<Shared>>,
}

impl Route {
    /// Sends text to render; [`Op::Finish`] also ends the stream.
    pub fn send(&self, op: Op, text: &str) {
        if let Some(shared) = self.shared.upgrade() {
            post(&shared, self.id, op, text);
        }
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            let known = shared.borrow_mut().routes.remove(&self.id).is_some();
            if known {
                post(&shared, self.id, Op::Drop, "");
            }
        }
    }
}

fn post(shared: &Rc<RefCell<Shared>>, id: u32, op: Op, text: &str) {
    let message = Array::of3(&id.into(), &(op as u32).into(), &JsValue::from_str(text));
    let mut shared = shared.borrow_mut();
    match &mut shared.status {
        Status::Loading(queue) => queue.push(message),
        Status::Ready => {
            if let Some(worker) = &shared.worker {
                let _ = worker.post_message(&message);
            }
        }
        Status::Idle | Status::Failed => {}
    }
}

fn number(message: &Array, index: u32) -> Option<u32> {
    let n = message.get(index).as_f64()?;
    (n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n)).then_some(n as u32)
}

fn dispatch(shared: &Rc<RefCell<Shared>>, data: &JsValue) {
    let Some(message) = data.dyn_ref::<Array>() else {
        return;
    };
    let (Some(id), Some(op)) = (number(message, 0), number(message, 1)) else {
        return;
    };
    if id == READY_ID {
        if op != PROTOCOL {
            fail_all(shared);
            return;
        }
        let mut state = shared.borrow_mut();
        if let Status::Loading(queue) = std::mem::replace(&mut state.status, Status::Ready) {
            if let Some(worker) = &state.worker {
                for message in queue {
                    let _ = worker.post_message(&message);
                }
            }
        }
        return;
    }
    // Clone the listener and let go of the borrow: a listener may drop its own route.
    let Some(listener) = shared.borrow().routes.get(&id).cloned() else {
        return;
    };
    let answer = match message
        .get(2)
        .as_string()
        .as_deref()
        .and_then(decode_update)
    {
        Some(update) => Answer::Update {
            finished: op == Op::Finish as u32,
            update,
        },
        None => Answer::Unavailable,
    };
    listener(answer);
}

fn fail_all(shared: &Rc<RefCell<Shared>>) {
    let listeners: Vec<Listener> = {
        let mut state = shared.borrow_mut();
        state.status = Status::Failed;
        if let Some(worker) = state.worker.take() {
            worker.terminate();
        }
        state.routes.drain().map(|(_, listener)| listener).collect()
    };
    for listener in listeners {
        listener(Answer::Unavailable);
    }
}
