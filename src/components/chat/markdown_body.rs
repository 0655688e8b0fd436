//! A streamed markdown reply in the DOM, built from the safe node tree of
//! [`crate::markdown`] with `createElement` and text nodes only (never `innerHTML`).
//!
//! Finished blocks are added once and never touched again; only the open tail block is
//! rebuilt when text arrives, so the cost per update is the size of the tail.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use crate::chat::conversation::MessageState;
use crate::markdown::{Block, Incremental, Node, Tag, Update};

struct Rendered {
    incremental: Incremental,
    consumed: usize,
    tail: Option<Element>,
    finished: bool,
}

impl Rendered {
    fn new() -> Rendered {
        Rendered {
            incremental: Incremental::new(),
            consumed: 0,
            tail: None,
            finished: false,
        }
    }
}

/// Renders `content` (which only grows while streaming) as markdown; an end `state` closes
/// the last block. `shown` is set to `state` once the DOM shows everything up to it, so the
/// message's `data-state` never says "done" before the text is on screen.
#[component]
pub fn MarkdownBody(
    content: RwSignal<String>,
    state: RwSignal<MessageState>,
    shown: RwSignal<MessageState>,
    #[prop(into)] copy_label: Signal<&'static str>,
) -> impl IntoView {
    let root = NodeRef::<html::Div>::new();
    let rendered = StoredValue::new_local(Rendered::new());
    Effect::new(move |_| {
        let now = state.get();
        let done = now != MessageState::Streaming;
        let label = copy_label.get();
        content.track();
        let Some(root) = root.get() else { return };
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let root: Element = root.into();
        rendered.update_value(|r| {
            content.with_untracked(|text| {
                if text.len() < r.consumed || (r.finished && text.len() > r.consumed) {
                    // The text was replaced (regenerated, or continued after an end): start over.
                    *r = Rendered::new();
                    root.set_text_content(None);
                }
                if text.len() > r.consumed {
                    let delta = text.get(r.consumed..).unwrap_or("");
                    let update = r.incremental.push(delta);
                    r.consumed = text.len();
                    apply(&document, &root, &mut r.tail, update, label);
                }
            });
            if done && !r.finished {
                let update = r.incremental.finish();
                r.finished = true;
                apply(&document, &root, &mut r.tail, update, label);
            }
        });
        shown.set(now);
    });
    view! { <div class="rill-md" node_ref=root></div> }
}

fn apply(
    document: &Document,
    root: &Element,
    tail: &mut Option<Element>,
    update: Update,
    label: &str,
) {
    for block in &update.closed {
        if let Some(el) = block_element(document, block, label) {
            let _ = root.insert_before(
                &el,
                tail.as_ref().map(|t| t.unchecked_ref::<web_sys::Node>()),
            );
        }
    }
    match update.tail {
        Some(block) => {
            if let Some(el) = block_element(document, &block, label) {
                match tail.take() {
                    Some(old) => {
                        let _ = root.replace_child(&el, &old);
                    }
                    None => {
                        let _ = root.append_child(&el);
                    }
                }
                *tail = Some(el);
            }
        }
        None => {
            if let Some(old) = tail.take() {
                old.remove();
            }
        }
    }
}

fn block_element(document: &Document, block: &Block, label: &str) -> Option<Element> {
    let el = document.create_element("div").ok()?;
    el.set_class_name("rill-block");
    build(document, &el, &block.nodes, label);
    Some(el)
}

/// Appends `nodes` under `parent`. Tags and attributes come from closed enums, text only
/// ever becomes text nodes.
pub fn build(document: &Document, parent: &Element, nodes: &[Node], label: &str) {
    for node in nodes {
        match node {
            Node::Text(text) => {
                let _ = parent.append_with_str_1(text);
            }
            Node::Element {
                tag,
                attrs,
                children,
            } => {
                let Ok(el) = document.create_element(tag.name()) else {
                    continue;
                };
                for (attr, value) in attrs {
                    let _ = el.set_attribute(attr.name(), value);
                }
                build(document, &el, children, label);
                if *tag == Tag::Pre {
                    // The label is drawn by CSS from `data-label`, so it is not part of the
                    // message's text; screen readers get `aria-label`.
                    if let Ok(button) = document.create_element("button") {
                        let _ = button.set_attribute("type", "button");
                        let _ = button.set_attribute("class", "rill-copy-code");
                        let _ = button.set_attribute("aria-label", label);
                        let _ = button.set_attribute("data-label", label);
                        let _ = el.append_child(&button);
                    }
                }
                let _ = parent.append_child(&el);
            }
        }
    }
}
