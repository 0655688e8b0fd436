//! A streamed markdown reply in the DOM, built from the safe node tree that the markdown
//! worker renders ([`crate::browser::markdown_worker`]) with `createElement` and text nodes
//! only (never `innerHTML`).
//!
//! Each message sends its new text to its own renderer in the worker; finished blocks are
//! added once and never touched again, only the open tail block is rebuilt, so the cost per
//! update is the size of the tail. Until the worker is ready (it loads on first use) the
//! text is shown plain, and it stays plain if the worker is unavailable: never lost.

use leptos::html;
use leptos::prelude::*;
use rill_markdown::wire::Op;
use rill_markdown::{Block, Node, Tag, Update};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use super::controller::ChatCtx;
use crate::browser::markdown_worker::{Answer, Route};
use crate::chat::conversation::MessageState;

/// Class of the body while it shows its text unformatted.
const PLAIN: &str = "rill-md rill-md-plain";
const FORMATTED: &str = "rill-md";

#[derive(Default)]
struct Rendered {
    route: Option<Route>,
    /// `text[..consumed]` has been sent to the worker (or shown plain).
    consumed: usize,
    /// The end state the stream was finished with, once `Op::Finish` is sent.
    finish_sent: Option<MessageState>,
    /// The worker's answer to `Op::Finish` has been applied.
    finished: bool,
    /// The body shows the text plain: `Some(true)` for good (no worker), `Some(false)` until
    /// the worker's first answer replaces it.
    plain: Option<bool>,
    /// An answer from the worker has been applied.
    received: bool,
    tail: Option<Element>,
}

/// Renders `content` (which only grows while streaming) as markdown; an end `state` closes
/// the last block. `shown` is set to `state` once the DOM shows everything up to it, so the
/// message's `data-state` never says "done" before the text is on screen.
#[component]
pub fn MarkdownBody(
    content: RwSignal<String>,
    state: RwSignal<MessageState>,
    shown: RwSignal<MessageState>,
    ctx: ChatCtx,
    #[prop(into)] copy_label: Signal<&'static str>,
) -> impl IntoView {
    let root = NodeRef::<html::Div>::new();
    let rendered = StoredValue::new_local(Rendered::default());

    // The worker's answers, for this message's current route.
    let on_answer = move |answer: Answer| {
        let Some(root) = root.get_untracked() else {
            return;
        };
        let root: Element = root.into();
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        // A new copy label (language switch) is for new code blocks; shown ones keep theirs.
        let label = copy_label.get_untracked();
        let mut end = None;
        rendered.try_update_value(|r| match answer {
            Answer::Update { finished, update } => {
                if !r.received {
                    r.received = true;
                    r.plain = None;
                    root.set_text_content(None);
                    root.set_class_name(FORMATTED);
                }
                apply(&document, &root, &mut r.tail, update, label);
                if finished {
                    r.finished = true;
                    end = r.finish_sent;
                }
            }
            Answer::Unavailable => {
                r.route = None;
                r.tail = None;
                r.plain = Some(true);
                content.with_untracked(|text| show_plain(&root, text));
                r.consumed = content.with_untracked(String::len);
                if r.finish_sent.is_some() {
                    r.finished = true;
                    end = r.finish_sent;
                }
            }
        });
        if let Some(end) = end {
            shown.set(end);
        }
        ctx.rendered.update_untracked(|n| *n += 1);
        ctx.rendered.notify();
    };

    Effect::new(move |_| {
        let now = state.get();
        let done = now != MessageState::Streaming;
        content.track();
        let Some(root) = root.get() else { return };
        let root: Element = root.into();
        let mut end = None;
        rendered.update_value(|r| {
            content.with_untracked(|text| {
                if text.len() < r.consumed || (r.finish_sent.is_some() && text.len() > r.consumed) {
                    // The text was replaced (regenerated, or continued after an end): start over.
                    let plain_for_good = r.plain == Some(true);
                    *r = Rendered::default();
                    root.set_text_content(None);
                    if plain_for_good {
                        r.plain = Some(true);
                    }
                }
                if r.plain != Some(true) && r.route.is_none() {
                    r.route = ctx.markdown_route(on_answer);
                    if r.route.is_none() {
                        r.plain = Some(true);
                    }
                }
                let delta = text.get(r.consumed..).unwrap_or("");
                match &r.route {
                    Some(route) if r.finish_sent.is_none() => {
                        if done {
                            route.send(Op::Finish, delta);
                            r.finish_sent = Some(now);
                        } else if !delta.is_empty() {
                            route.send(Op::Push, delta);
                        }
                        // While the worker loads, show the text plain until its first answer.
                        if !r.received && (r.plain.is_some() || !ctx.markdown_ready()) {
                            show_plain(&root, text);
                            r.plain = Some(false);
                        }
                    }
                    Some(_) => {}
                    None => {
                        show_plain(&root, text);
                        if done {
                            r.finish_sent = Some(now);
                            r.finished = true;
                        }
                    }
                }
                r.consumed = text.len();
            });
            if r.finished {
                // An end state that changes after the final answer (or in plain text) is shown at once.
                end = Some(now);
            }
        });
        if !done {
            shown.set(now);
        } else if let Some(end) = end {
            shown.set(end);
        }
    });
    view! { <div class=FORMATTED node_ref=root></div> }
}

fn show_plain(root: &Element, text: &str) {
    root.set_class_name(PLAIN);
    root.set_text_content(Some(text));
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
