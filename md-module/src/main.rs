//! The markdown module: the page loads it on first use (`rill::browser::markdown_module`)
//! and calls `handle(id, op, text)`, which answers with an encoded update (see
//! `rill_markdown::wire`). All the work is `rill_markdown::service::Renderers`; this file
//! only exposes it. It runs on the page's thread, synchronously, as the renderer did when
//! it was part of the page: only its download moved out of the first load.

use std::cell::RefCell;

use rill_markdown::service::Renderers;
use rill_markdown::wire::{Op, PROTOCOL};
use wasm_bindgen::prelude::*;

thread_local! {
    static RENDERERS: RefCell<Renderers> = RefCell::new(Renderers::new());
}

/// The wire protocol this module speaks; the page refuses another one (a stale cached copy).
#[wasm_bindgen]
pub fn protocol() -> u32 {
    PROTOCOL
}

/// One request for message `id`'s renderer; `op` is a `wire::Op` number. Returns the
/// encoded update (none for `Drop` or an unknown op).
#[wasm_bindgen]
pub fn handle(id: u32, op: u32, text: &str) -> Option<String> {
    let op = Op::from_number(op)?;
    RENDERERS.with(|renderers| renderers.borrow_mut().handle(id, op, text))
}

fn main() {}
