//! What both fetch transports ([`super::fetch`], [`super::inspect_fetch`]) own: a spawned
//! loop of requests, the current request's `AbortController`, and an `alive` flag that keeps
//! the sink from being called once the owner let go. Closing (or dropping) a [`FetchTask`]
//! stops the loop, aborts the request, and the sink is not called again.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use futures_util::future::{AbortHandle, Abortable};
use web_sys::AbortController;

/// The current request's controller, set by the loop for each attempt.
pub type ControllerSlot = Rc<RefCell<Option<AbortController>>>;

/// A sink shared by the loop's steps.
pub type Sink<T> = Rc<RefCell<dyn FnMut(T)>>;

/// A running loop of requests; closed on drop.
pub struct FetchTask {
    task: AbortHandle,
    controller: ControllerSlot,
    alive: Rc<Cell<bool>>,
}

impl FetchTask {
    /// Spawns the loop `run` makes from the controller slot and the alive flag.
    pub fn spawn<F>(run: impl FnOnce(ControllerSlot, Rc<Cell<bool>>) -> F) -> FetchTask
    where
        F: Future<Output = ()> + 'static,
    {
        let controller: ControllerSlot = Rc::default();
        let alive = Rc::new(Cell::new(true));
        let (task, registration) = AbortHandle::new_pair();
        let run = run(controller.clone(), alive.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let _ = Abortable::new(run, registration).await;
        });
        FetchTask {
            task,
            controller,
            alive,
        }
    }

    /// Stops the loop and aborts the request now; the sink is not called again.
    pub fn close(&self) {
        self.alive.set(false);
        self.task.abort();
        if let Ok(mut slot) = self.controller.try_borrow_mut() {
            if let Some(controller) = slot.take() {
                controller.abort();
            }
        }
    }
}

impl Drop for FetchTask {
    fn drop(&mut self) {
        self.close();
    }
}

/// Calls the sink while the owner lives (a re-entrant call is dropped, not a panic).
pub fn emit<T>(sink: &Sink<T>, alive: &Cell<bool>, item: T) {
    if !alive.get() {
        return;
    }
    if let Ok(mut f) = sink.try_borrow_mut() {
        f(item);
    }
}
