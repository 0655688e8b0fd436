//! The markdown module: the page loads it on first use (`rill::browser::markdown_module`)
//! and calls `handle(id, op, text)`, which answers with an encoded update (see
//! `rill_markdown::wire`). All the work is `rill_markdown::service::Renderers`; this file
//! only exposes it. It runs on the page's thread, synchronously, as the renderer did when
//! it was part of the page: only its download moved out of the first load.
//!
//! Highlighting and math are not in it (`rill-markdown` without its `rich` feature): once a
//! reply has code or math (an update with `wants_rich`), the page loads the code-and-math
//! module and hands it over with `set_rich`; its answers are decoded strictly here, so
//! they can only be the closed node set, and one that does not decode is plain text.

// No Rust `main` in the wasm build: the page calls the exports, and std's start-up and exit
// code (`lang_start`, flushing stdout) would be 0.8 KB of the module for nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]

use std::cell::RefCell;

use rill_markdown::rich::{set_provider, Rich};
use rill_markdown::service::Renderers;
use rill_markdown::wire::{decode_update, Op, PROTOCOL};
use rill_markdown::Node;
use wasm_bindgen::prelude::*;

thread_local! {
    static RENDERERS: RefCell<Renderers> = RefCell::new(Renderers::new());
}

#[wasm_bindgen]
extern "C" {
    /// The code-and-math module's exports (`md-rich`), as the page imported them.
    pub type RichModule;

    #[wasm_bindgen(method, catch)]
    fn highlight(this: &RichModule, lang: &str, code: &str) -> Result<Option<String>, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn math(this: &RichModule, tex: &str, display: bool) -> Result<Option<String>, JsValue>;
}

/// The code-and-math module behind `rill_markdown::rich::Rich`. A throw (a trapped
/// instance) or an answer that does not decode is `None`: plain code, math as source.
struct Bridge(RichModule);

fn nodes(answer: Result<Option<String>, JsValue>) -> Option<Vec<Node>> {
    let update = decode_update(&answer.ok()??)?;
    let [block] = <[_; 1]>::try_from(update.closed).ok()?;
    Some(block.nodes)
}

impl Rich for Bridge {
    fn highlight(&self, lang: &str, code: &str) -> Option<Vec<Node>> {
        nodes(self.0.highlight(lang, code))
    }

    fn math(&self, tex: &str, display: bool) -> Option<Node> {
        let [node] = <[_; 1]>::try_from(nodes(self.0.math(tex, display))?).ok()?;
        Some(node)
    }
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

/// Hands over the code-and-math module (loaded by the page, its protocol checked there).
#[wasm_bindgen]
pub fn set_rich(module: RichModule) {
    set_provider(Some(Box::new(Bridge(module))));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
