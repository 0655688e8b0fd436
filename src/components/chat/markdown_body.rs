//! A streamed markdown reply in the DOM, built from the safe node tree that the markdown
//! module renders ([`crate::browser::markdown_module`]) with `createElement` and text nodes
//! only (never `innerHTML`).
//!
//! Each message has its own renderer in the module; finished blocks are added once and
//! never touched again, only the open tail block is rebuilt, so the cost per update is the
//! size of the tail. Until the module is loaded (on first use) the text is shown plain, and
//! it stays plain if the module is unavailable: never lost.
//!
//! Code and math come from a third module, loaded when a reply first has them (the
//! markdown module's update says `wants_rich`). Until it is there, such a body keeps what it
//! showed (the text before the code or formula, or the plain text) rather than showing code
//! unhighlighted and TeX as source for a moment; when it is loaded (or fails to load) the
//! body is rendered again from its whole text in one go, replacing what it showed in the
//! same frame. Unavailable, code stays plain code and math its source text.

use leptos::html;
use leptos::prelude::*;
use rill_markdown::wire::Op;
use rill_markdown::{Block, Node, Tag, Update, MATHML_NS};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use super::controller::ChatCtx;
use crate::browser::markdown_module::{Route, Status};
use crate::chat::conversation::MessageState;

/// Class of the body while it shows its text unformatted.
const PLAIN: &str = "rill-md rill-md-plain";
const FORMATTED: &str = "rill-md";

#[derive(Default)]
struct Rendered {
    route: Option<Route>,
    /// `text[..consumed]` has been rendered.
    consumed: usize,
    /// The stream has been finished (with an end state).
    finished: bool,
    /// The body shows the text plain: `Some(true)` for good (no markdown for this message),
    /// `Some(false)` while the module loads.
    plain: Option<bool>,
    tail: Option<Element>,
    /// An update wanted the code-and-math module while it loaded: nothing new is shown
    /// until it is there (or failed), then the body is rendered again from the start.
    waiting: bool,
}

/// Renders `content` (which only grows while streaming) as markdown; an end `state` closes
/// the last block. `shown` is set to `state` once the DOM shows everything up to it, so the
/// message's `data-state` never says "done" before the text is on screen (formatted, or
/// plain when markdown is unavailable).
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
    Effect::new(move |_| {
        let now = state.get();
        let done = now != MessageState::Streaming;
        let label = copy_label.get();
        ctx.markdown_changed.track();
        content.track();
        let Some(root) = root.get() else { return };
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let root: Element = root.into();
        let module = ctx.markdown_status();
        let rich = ctx.rich_status();
        let rich_pending = matches!(rich, Status::Idle | Status::Loading);
        let mut shows_all = false;
        rendered.update_value(|r| {
            content.with_untracked(|text| {
                if r.waiting && !rich_pending {
                    // The code-and-math module is there (or will not be): render it all
                    // again; what is shown stays until the new blocks replace it.
                    r.waiting = false;
                    r.route = None;
                    r.consumed = 0;
                    r.finished = false;
                    r.tail = None;
                    if r.plain.is_none() {
                        r.plain = Some(false);
                    }
                }
                if text.len() < r.consumed || (r.finished && text.len() > r.consumed) {
                    // The text was replaced (regenerated, or continued after an end): start over.
                    let plain_for_good = r.plain == Some(true);
                    *r = Rendered::default();
                    root.set_text_content(None);
                    if plain_for_good {
                        r.plain = Some(true);
                    }
                }
                if module == Status::Failed {
                    r.plain = Some(true);
                    r.route = None;
                }
                if r.plain != Some(true) && r.route.is_none() {
                    r.route = ctx.markdown_route();
                }
                let Some(route) = &r.route else {
                    if r.plain == Some(true) {
                        shows_all = true;
                    } else {
                        // The module is loading: show the text plain meanwhile.
                        ctx.warm_markdown();
                        r.plain = Some(false);
                    }
                    show_plain(&root, text);
                    return;
                };
                if r.finished {
                    shows_all = !r.waiting;
                    return;
                }
                let delta = text.get(r.consumed..).unwrap_or("");
                if !done && delta.is_empty() {
                    return;
                }
                let update = route.send(if done { Op::Finish } else { Op::Push }, delta);
                match update {
                    Some(update) if r.waiting || (update.wants_rich && rich_pending) => {
                        // Held until the code-and-math module is loaded (see the top).
                        r.waiting = true;
                        r.consumed = text.len();
                        r.finished = done;
                        ctx.warm_rich();
                    }
                    Some(update) => {
                        if r.plain.take().is_some() {
                            root.set_text_content(None);
                            root.set_class_name(FORMATTED);
                        }
                        apply(&document, &root, &mut r.tail, update, label);
                        r.consumed = text.len();
                        r.finished = done;
                        shows_all = done;
                    }
                    None => {
                        // This answer (or the module) failed: plain text, complete.
                        r.route = None;
                        r.tail = None;
                        r.plain = Some(true);
                        show_plain(&root, text);
                        shows_all = true;
                    }
                }
            });
        });
        if !done || shows_all {
            shown.set(now);
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
                // MathML is drawn only in its own namespace; token spans get the class
                // their tag fixes (never one from the text).
                let created = if tag.is_mathml() {
                    document.create_element_ns(Some(MATHML_NS), tag.name())
                } else {
                    document.create_element(tag.name())
                };
                let Ok(el) = created else {
                    continue;
                };
                if let Some(class) = tag.class() {
                    el.set_class_name(class);
                }
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
