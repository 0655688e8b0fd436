//! The page's handle on the markdown module (`md-module`, `rill-md.js` + `rill-md_bg.wasm`):
//! pulldown-cmark and rill's block renderer are a second wasm module that the page imports
//! when a reply is first shown (or the user starts typing), so they are not part of the
//! first load. Once loaded it is called synchronously, on this thread, as the renderer was
//! when it was part of the page.
//!
//! Owns the loading (a dynamic `import()` and the module's init), the module's status, and
//! message ids: each reply body holds a [`Route`], and dropping it frees the renderer in the
//! module. Failure is normal here: a module that cannot load (missing file, blocked), that
//! speaks another `wire::PROTOCOL` (a stale cached copy), that throws (a trapped wasm
//! instance is not used again) or whose answer does not decode leaves [`Status::Failed`]
//! (or, for one bad answer, that message) to be shown as plain text, never lost.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise, Reflect};
use rill_markdown::wire::{decode_update, Op, PROTOCOL};
use rill_markdown::Update;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Where Trunk puts the module's JS (index.html, `data-type="worker"`), relative to the page.
pub const MODULE_URL: &str = "rill-md.js";

/// The code-and-math module (`md-rich`: highlighting and TeX math), loaded only when the
/// markdown module first says a reply has code or math ([`Update::wants_rich`]) and handed
/// to it; a reply without them never loads it.
pub const RICH_URL: &str = "rill-md-rich.js";

#[wasm_bindgen(
    inline_js = "export function rill_import(path) { return import(new URL(path, document.baseURI).href); }"
)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn rill_import(path: &str) -> Result<Promise, JsValue>;
}

/// Where the module is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not asked for yet.
    Idle,
    Loading,
    Ready,
    /// Will not be used: show text plain.
    Failed,
}

struct Shared {
    status: Status,
    handle: Option<Function>,
    /// The markdown module's `set_rich`, kept to hand over the code-and-math module.
    set_rich: Option<Function>,
    rich: Status,
    on_change: Box<dyn Fn()>,
}

thread_local! {
    /// Message ids, unique for the page's life (the module outlives a chat view).
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// The chat view's handle on the module.
pub struct MarkdownModule {
    url: String,
    shared: Rc<RefCell<Shared>>,
}

impl MarkdownModule {
    /// A handle that loads the module at `url` when first needed; `on_change` is called when
    /// the status becomes [`Status::Ready`] or [`Status::Failed`], and when the
    /// code-and-math module's does ([`MarkdownModule::rich_status`]).
    pub fn new(url: &str, on_change: impl Fn() + 'static) -> MarkdownModule {
        MarkdownModule {
            url: url.to_owned(),
            shared: Rc::new(RefCell::new(Shared {
                status: Status::Idle,
                handle: None,
                set_rich: None,
                rich: Status::Idle,
                on_change: Box::new(on_change),
            })),
        }
    }

    pub fn status(&self) -> Status {
        self.shared.borrow().status
    }

    /// Starts loading the module (once).
    pub fn warm(&self) {
        if self.status() != Status::Idle {
            return;
        }
        self.shared.borrow_mut().status = Status::Loading;
        let weak = Rc::downgrade(&self.shared);
        let url = self.url.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let exports = load(&url).await;
            if let Some(shared) = weak.upgrade() {
                let mut state = shared.borrow_mut();
                state.status = if exports.is_some() {
                    Status::Ready
                } else {
                    Status::Failed
                };
                (state.handle, state.set_rich) = exports.unzip();
                drop(state);
                (shared.borrow().on_change)();
            }
        });
    }

    /// Where the code-and-math module is (untracked, like [`MarkdownModule::status`]).
    pub fn rich_status(&self) -> Status {
        self.shared.borrow().rich
    }

    /// Starts loading the code-and-math module (once; only with the markdown module
    /// ready). When it is loaded and speaks this page's protocol it is handed to the
    /// markdown module, which from then on highlights and renders math; anything else
    /// leaves [`Status::Failed`]: code plain, math as its source.
    pub fn warm_rich(&self) {
        if self.rich_status() != Status::Idle || self.status() != Status::Ready {
            return;
        }
        self.shared.borrow_mut().rich = Status::Loading;
        let weak = Rc::downgrade(&self.shared);
        wasm_bindgen_futures::spawn_local(async move {
            let module = load_rich(RICH_URL).await;
            if let Some(shared) = weak.upgrade() {
                let set_rich = shared.borrow().set_rich.clone();
                let handed = match (module, set_rich) {
                    (Some(module), Some(set_rich)) => {
                        set_rich.call1(&JsValue::UNDEFINED, &module).is_ok()
                    }
                    _ => false,
                };
                shared.borrow_mut().rich = if handed {
                    Status::Ready
                } else {
                    Status::Failed
                };
                (shared.borrow().on_change)();
            }
        });
    }

    /// A renderer for one message, when the module is ready.
    pub fn route(&self) -> Option<Route> {
        (self.status() == Status::Ready).then(|| Route {
            id: NEXT_ID.with(|next| {
                let id = next.get();
                next.set(id.checked_add(1).unwrap_or(1));
                id
            }),
            shared: Rc::downgrade(&self.shared),
        })
    }
}

/// Imports and starts a module at `url` and checks its protocol; its exports.
async fn start(url: &str) -> Option<JsValue> {
    let module = JsFuture::from(rill_import(url).ok()?).await.ok()?;
    let init = export(&module, "default")?;
    let started: Promise = init.call0(&JsValue::UNDEFINED).ok()?.dyn_into().ok()?;
    JsFuture::from(started).await.ok()?;
    let protocol = export(&module, "protocol")?
        .call0(&JsValue::UNDEFINED)
        .ok()?
        .as_f64()?;
    (protocol == f64::from(PROTOCOL)).then_some(module)
}

fn export(module: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(module, &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
}

/// The markdown module's `handle` and `set_rich`.
async fn load(url: &str) -> Option<(Function, Function)> {
    let module = start(url).await?;
    Some((export(&module, "handle")?, export(&module, "set_rich")?))
}

/// The code-and-math module's exports, once it has both functions the markdown module asks.
async fn load_rich(url: &str) -> Option<JsValue> {
    let module = start(url).await?;
    export(&module, "highlight")?;
    export(&module, "math")?;
    Some(module)
}

/// One message's renderer in the module; dropping it frees the renderer there.
pub struct Route {
    id: u32,
    shared: Weak<RefCell<Shared>>,
}

impl Route {
    /// Sends text (and with [`Op::Finish`] the end); the update to show, or `None` if the
    /// module failed (then it is [`Status::Failed`] for every message) or its answer did
    /// not decode (show this message plain).
    pub fn send(&self, op: Op, text: &str) -> Option<Update> {
        let shared = self.shared.upgrade()?;
        let answer = call(&shared, self.id, op, text)?;
        decode_update(&answer.as_string()?)
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            let _ = call(&shared, self.id, Op::Drop, "");
        }
    }
}

fn call(shared: &Rc<RefCell<Shared>>, id: u32, op: Op, text: &str) -> Option<JsValue> {
    let handle = shared.borrow().handle.clone()?;
    let result = handle.call3(
        &JsValue::UNDEFINED,
        &id.into(),
        &(op as u32).into(),
        &JsValue::from_str(text),
    );
    match result {
        Ok(answer) => Some(answer),
        Err(_) => {
            // The module threw (a trap leaves its instance unusable): plain text from now on.
            {
                let mut state = shared.borrow_mut();
                state.status = Status::Failed;
                state.handle = None;
                state.set_rich = None;
            }
            (shared.borrow().on_change)();
            None
        }
    }
}
