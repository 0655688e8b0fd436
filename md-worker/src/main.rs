//! The markdown worker: the page posts `[id, op, text]`, this answers `[id, op, update]`
//! (see `rill_markdown::wire`). All the work is `rill_markdown::service::Renderers`; this
//! file only moves messages.
//!
//! The message handler lives as long as the worker, in a thread-local slot (not leaked with
//! `Closure::forget`); the page ends the worker with `terminate()`.

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::RefCell;

    use js_sys::Array;
    use rill_markdown::service::Renderers;
    use rill_markdown::wire::{Op, PROTOCOL, READY_ID};
    use wasm_bindgen::prelude::*;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    type Handler = Closure<dyn FnMut(MessageEvent)>;

    thread_local! {
        static HANDLER: RefCell<Option<Handler>> = const { RefCell::new(None) };
    }

    fn answer(scope: &DedicatedWorkerGlobalScope, id: u32, op: u32, payload: &str) {
        let message = Array::of3(&id.into(), &op.into(), &payload.into());
        // Posting a plain array cannot fail (nothing to clone that is not cloneable).
        let _ = scope.post_message(&message);
    }

    pub fn start() {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let renderers = RefCell::new(Renderers::new());
        let reply_scope = scope.clone();
        let handler = Handler::new(move |event: MessageEvent| {
            let data = event.data();
            let Some(message) = data.dyn_ref::<Array>() else {
                return;
            };
            let number = |i: u32| {
                message
                    .get(i)
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64)
            };
            let (Some(id), Some(op)) = (number(0), number(1)) else {
                return;
            };
            let Some(op) = Op::from_number(op as u32) else {
                return;
            };
            let text = message.get(2).as_string().unwrap_or_default();
            if let Some(update) = renderers.borrow_mut().handle(id as u32, op, &text) {
                answer(&reply_scope, id as u32, op as u32, &update);
            }
        });
        scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        HANDLER.with(|slot| *slot.borrow_mut() = Some(handler));
        answer(&scope, READY_ID, PROTOCOL, "");
    }
}

fn main() {
    #[cfg(target_arch = "wasm32")]
    worker::start();
}
