//! The code-and-math module: highlighting of fenced code and TeX → MathML, which the
//! markdown module (`md-module`, built without them) asks for through the page once a reply
//! has code or math (`rill_markdown::rich`). Answers are encoded updates of the markdown
//! wire form (one closed block holding the nodes), decoded strictly by the markdown module,
//! so what crosses stays the closed node set. It keeps no state: the open fence's text is
//! asked again as it grows (bounded, see `rich::OPEN_HIGHLIGHT_LIMIT`).

// No Rust `main` in the wasm build: the page calls the exports, and std's start-up and exit
// code (`lang_start`, flushing stdout) would be 0.8 KB of the module for nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]

use rill_markdown::rich::{Builtin, Rich};
use rill_markdown::wire::{encode_update, PROTOCOL};
use rill_markdown::{Block, Node, Update};
use wasm_bindgen::prelude::*;

/// The wire protocol this module speaks; the page refuses another one (a stale cached copy).
#[wasm_bindgen]
pub fn protocol() -> u32 {
    PROTOCOL
}

/// The highlighted nodes of `code` in the language a fence names, or none for a language
/// rill does not highlight.
#[wasm_bindgen]
pub fn highlight(lang: &str, code: &str) -> Option<String> {
    Builtin.highlight(lang, code).map(encode)
}

/// The `math` element of a formula.
#[wasm_bindgen]
pub fn math(tex: &str, display: bool) -> Option<String> {
    Builtin.math(tex, display).map(|node| encode(vec![node]))
}

fn encode(nodes: Vec<Node>) -> String {
    let update = Update {
        closed: vec![Block {
            id: 0,
            nodes,
            closed: true,
        }],
        tail: None,
        wants_rich: false,
    };
    let mut out = String::new();
    encode_update(&update, &mut out);
    out
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
