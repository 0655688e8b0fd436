//! Browser tests (wasm-bindgen-test in headless Chromium) for the page's handle on the
//! markdown module, `rill::browser::markdown_module`: it loads on demand, answers reach the
//! right renderer, and every way the module can be unavailable ends in `Status::Failed`
//! (plain text), never in silence. The module here is a small ES module from a Blob URL
//! with the same exports; the real one is covered by the end-to-end chat tests.
#![cfg(target_arch = "wasm32")]

mod web_support;

use std::cell::Cell;
use std::rc::Rc;

use rill::browser::markdown_module::{MarkdownModule, Status};
use rill_markdown::wire::{Op, PROTOCOL};
use rill_markdown::Node;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_support::sleep;

wasm_bindgen_test_configure!(run_in_browser);

/// An ES module with the markdown module's exports: `protocol()` says `protocol`, `set_rich`
/// takes the code-and-math module and ignores it; `handle`
/// answers each push/finish with `<id>:<text>` as one text node, throws on the text
/// "throw", and answers garbage to "garbage".
fn fake_module(protocol: u32) -> String {
    let script = format!(
        "export default () => Promise.resolve();
         export function protocol() {{ return {protocol}; }}
         export function set_rich(module) {{}}
         export function handle(id, op, text) {{
           if (op === 2) return undefined;
           if (text === 'throw') throw new Error('trap');
           if (text === 'garbage') return 'u9,9:';
           const t = id + ':' + text;
           return 'u0,1:b1,1:t' + new TextEncoder().encode(t).length + ':' + t;
         }}"
    );
    let parts = js_sys::Array::of1(&JsValue::from_str(&script));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).expect("blob");
    web_sys::Url::create_object_url_with_blob(&blob).expect("blob url")
}

fn tail_text(update: rill_markdown::Update) -> String {
    update
        .tail
        .into_iter()
        .flat_map(|b| b.nodes)
        .map(|n| match n {
            Node::Text(t) => t,
            other => format!("{other:?}"),
        })
        .collect()
}

/// Loads `url`; returns the handle once it left `Loading`, and how often it said so.
async fn loaded(url: &str) -> (MarkdownModule, Rc<Cell<u32>>) {
    let changes = Rc::new(Cell::new(0));
    let seen = changes.clone();
    let module = MarkdownModule::new(url, move || seen.set(seen.get() + 1));
    assert_eq!(module.status(), Status::Idle);
    assert!(
        module.route().is_none(),
        "no route before the module is loaded"
    );
    module.warm();
    assert_eq!(module.status(), Status::Loading);
    for _ in 0..200 {
        if module.status() != Status::Loading {
            return (module, changes);
        }
        sleep(25).await;
    }
    panic!("module still loading after 5 s");
}

#[wasm_bindgen_test]
async fn a_loaded_module_renders_each_message_with_its_own_renderer() {
    let (module, changes) = loaded(&fake_module(PROTOCOL)).await;
    assert_eq!(module.status(), Status::Ready);
    assert_eq!(changes.get(), 1);
    let a = module.route().expect("route a");
    let b = module.route().expect("route b");
    let a_text = tail_text(a.send(Op::Push, "héllo 世界").expect("answer"));
    let b_text = tail_text(b.send(Op::Finish, "other").expect("answer"));
    let (a_id, a_rest) = a_text.split_once(':').expect("id");
    let (b_id, b_rest) = b_text.split_once(':').expect("id");
    assert_eq!(a_rest, "héllo 世界");
    assert_eq!(b_rest, "other");
    assert_ne!(a_id, b_id, "each message has its own renderer");
}

#[wasm_bindgen_test]
async fn an_answer_that_does_not_decode_fails_only_that_message() {
    let (module, _) = loaded(&fake_module(PROTOCOL)).await;
    let route = module.route().expect("route");
    assert!(route.send(Op::Push, "garbage").is_none());
    assert_eq!(module.status(), Status::Ready);
    assert!(route.send(Op::Push, "fine").is_some());
}

#[wasm_bindgen_test]
async fn a_module_that_throws_is_not_used_again() {
    let (module, changes) = loaded(&fake_module(PROTOCOL)).await;
    let route = module.route().expect("route");
    assert!(route.send(Op::Push, "throw").is_none());
    assert_eq!(module.status(), Status::Failed);
    assert_eq!(changes.get(), 2, "told of the failure");
    assert!(route.send(Op::Push, "fine").is_none());
    assert!(module.route().is_none());
}

#[wasm_bindgen_test]
async fn a_module_that_cannot_load_fails() {
    let (module, changes) = loaded("./no-such-markdown-module.js").await;
    assert_eq!(module.status(), Status::Failed);
    assert_eq!(changes.get(), 1);
    assert!(module.route().is_none());
}

#[wasm_bindgen_test]
async fn a_module_of_another_protocol_version_is_not_used() {
    let (module, _) = loaded(&fake_module(PROTOCOL + 1)).await;
    assert_eq!(module.status(), Status::Failed);
}
