//! Browser tests (wasm-bindgen-test in headless Chromium) for the page's markdown worker
//! handle, `rill::browser::markdown_worker`: requests sent before the worker is ready are
//! queued and delivered, answers reach their own route in order, and every way the worker
//! can be unavailable ends in `Answer::Unavailable`, never in silence. The worker here is a
//! small script from a Blob URL that speaks the same protocol; the real worker is covered
//! by the end-to-end chat tests.
#![cfg(target_arch = "wasm32")]

mod web_support;

use std::cell::RefCell;
use std::rc::Rc;

use rill::browser::markdown_worker::{Answer, MarkdownWorker};
use rill_markdown::wire::{Op, PROTOCOL};
use rill_markdown::Node;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_support::sleep;

wasm_bindgen_test_configure!(run_in_browser);

/// A worker script: says ready with `protocol`, then answers each push/finish with the text
/// it got as one text node (`u0,1:b1,1:t<len>:<text>`), the length counted in UTF-8 bytes.
fn fake_worker(protocol: u32) -> String {
    let script = format!(
        "postMessage([0, {protocol}, '']);
         onmessage = (e) => {{
           const [id, op, text] = e.data;
           if (op === 2) return;
           const len = new TextEncoder().encode(text).length;
           postMessage([id, op, 'u0,1:b1,1:t' + len + ':' + text]);
         }};"
    );
    let parts = js_sys::Array::of1(&JsValue::from_str(&script));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).expect("blob");
    web_sys::Url::create_object_url_with_blob(&blob).expect("blob url")
}

#[derive(Debug, PartialEq)]
enum Heard {
    Text { finished: bool, text: String },
    Unavailable,
}

fn recorder() -> (Rc<RefCell<Vec<Heard>>>, impl Fn(Answer) + 'static) {
    let heard = Rc::new(RefCell::new(Vec::new()));
    let sink = heard.clone();
    let listener = move |answer: Answer| {
        sink.borrow_mut().push(match answer {
            Answer::Update { finished, update } => Heard::Text {
                finished,
                text: update
                    .tail
                    .into_iter()
                    .flat_map(|b| b.nodes)
                    .map(|n| match n {
                        Node::Text(t) => t,
                        other => format!("{other:?}"),
                    })
                    .collect(),
            },
            Answer::Unavailable => Heard::Unavailable,
        })
    };
    (heard, listener)
}

async fn wait_for(heard: &Rc<RefCell<Vec<Heard>>>, count: usize) {
    for _ in 0..200 {
        if heard.borrow().len() >= count {
            return;
        }
        sleep(25).await;
    }
    panic!(
        "heard {:?}, expected {count} answers within 5 s",
        heard.borrow()
    );
}

#[wasm_bindgen_test]
async fn requests_before_ready_are_queued_and_answers_reach_their_route_in_order() {
    let worker = MarkdownWorker::new(&fake_worker(PROTOCOL));
    assert!(!worker.is_ready());
    let (a_heard, a_listener) = recorder();
    let (b_heard, b_listener) = recorder();
    let a = worker.route(a_listener).expect("route a");
    let b = worker.route(b_listener).expect("route b");
    // Sent before the worker has even loaded its script.
    a.send(Op::Push, "héllo");
    b.send(Op::Push, "other");
    a.send(Op::Finish, " 世界");
    wait_for(&a_heard, 2).await;
    wait_for(&b_heard, 1).await;
    assert!(worker.is_ready());
    assert_eq!(
        *a_heard.borrow(),
        vec![
            Heard::Text {
                finished: false,
                text: "héllo".into()
            },
            Heard::Text {
                finished: true,
                text: " 世界".into()
            },
        ]
    );
    assert_eq!(
        *b_heard.borrow(),
        vec![Heard::Text {
            finished: false,
            text: "other".into()
        }]
    );
    // A dropped route hears nothing more, and the others are unaffected.
    drop(b);
    a.send(Op::Push, "again");
    wait_for(&a_heard, 3).await;
    assert_eq!(b_heard.borrow().len(), 1);
}

#[wasm_bindgen_test]
async fn a_worker_that_cannot_load_makes_routes_unavailable() {
    let worker = MarkdownWorker::new("./no-such-markdown-worker.js");
    let (heard, listener) = recorder();
    let route = worker.route(listener).expect("a route while loading");
    route.send(Op::Finish, "text");
    wait_for(&heard, 1).await;
    assert_eq!(*heard.borrow(), vec![Heard::Unavailable]);
    // Later messages are told at once: no route.
    assert!(worker.route(|_| {}).is_none());
}

#[wasm_bindgen_test]
async fn a_worker_of_another_protocol_version_is_not_used() {
    let worker = MarkdownWorker::new(&fake_worker(PROTOCOL + 1));
    let (heard, listener) = recorder();
    let route = worker.route(listener).expect("a route while loading");
    route.send(Op::Push, "text");
    wait_for(&heard, 1).await;
    assert_eq!(*heard.borrow(), vec![Heard::Unavailable]);
    assert!(!worker.is_ready());
}
