//! Where a fence's highlighting and a formula's MathML come from: built in, or from the
//! code-and-math module.
//!
//! Owns that choice and what happens when neither is there. With the `rich` feature (native
//! builds and tests, and the code-and-math module `md-rich`) they are this crate's
//! `highlight` and `math`. The markdown module (`md-module`) is built without them, so a
//! reply with no code or math downloads none of their code: it installs a [`Rich`] provider
//! that forwards to the second module once the page has loaded it. Without an answer (the
//! module not loaded yet, or unavailable) code stays plain code with its text intact, a
//! formula stays its source text, and the update says so ([`crate::Update::wants_rich`]),
//! so the page can load the module and render the message again. It must not build nodes
//! of its own beyond those fallbacks.

use std::cell::{Cell, RefCell};

use crate::lang::Lang;
use crate::node::{push_text, Node};

pub(crate) use crate::limits::OPEN_HIGHLIGHT_LIMIT;

/// Highlighting and math from elsewhere (the code-and-math module, through the page).
pub trait Rich {
    /// The nodes of `code` (text and token spans; their text is `code`) in the language
    /// the fence names; `None` when unavailable.
    fn highlight(&self, lang: &str, code: &str) -> Option<Vec<Node>>;
    /// The `math` element of a formula; `None` when unavailable.
    fn math(&self, tex: &str, display: bool) -> Option<Node>;
}

thread_local! {
    static PROVIDER: RefCell<Option<Box<dyn Rich>>> = const { RefCell::new(None) };
    static WANTED: Cell<bool> = const { Cell::new(false) };
}

/// Installs (or with `None` removes) the provider; it is asked before any built-in code.
pub fn set_provider(provider: Option<Box<dyn Rich>>) {
    PROVIDER.with(|p| *p.borrow_mut() = provider);
}

/// Whether code or math was met, since the last call, that no one could render.
pub(crate) fn take_wanted() -> bool {
    WANTED.with(|w| w.replace(false))
}

fn want<T>() -> Option<T> {
    WANTED.with(|w| w.set(true));
    None
}

/// Asks the provider, if there is one: `Some(answer)`, else `None` (no provider).
fn ask<T>(f: impl FnOnce(&dyn Rich) -> Option<T>) -> Option<Option<T>> {
    PROVIDER.with(|p| p.borrow().as_deref().map(|rich| f(rich).or_else(want)))
}

/// The highlighted nodes of a closed fence's `code`, or `None` (shown plain).
pub(crate) fn highlight(lang: Lang, name: &str, code: &str) -> Option<Vec<Node>> {
    if let Some(answer) = ask(|rich| rich.highlight(name, code)) {
        return answer;
    }
    builtin_highlight(lang, code)
}

#[cfg(feature = "rich")]
fn builtin_highlight(lang: Lang, code: &str) -> Option<Vec<Node>> {
    Some(crate::highlight::highlight(lang, code))
}

#[cfg(not(feature = "rich"))]
fn builtin_highlight(_: Lang, _: &str) -> Option<Vec<Node>> {
    want()
}

/// A formula's `math` element, or `None` (shown as its source).
pub(crate) fn math(tex: &str, display: bool) -> Option<Node> {
    if let Some(answer) = ask(|rich| rich.math(tex, display)) {
        return answer;
    }
    builtin_math(tex, display)
}

#[cfg(feature = "rich")]
fn builtin_math(tex: &str, display: bool) -> Option<Node> {
    Some(crate::math::render(tex, display))
}

#[cfg(not(feature = "rich"))]
fn builtin_math(_: &str, _: bool) -> Option<Node> {
    want()
}

/// The highlighting of an open fence as it grows (see `incremental.rs`): built in, line by
/// line; from a provider, the first [`OPEN_HIGHLIGHT_LIMIT`] bytes (whole lines) asked
/// again on each update and the rest plain.
#[derive(Debug, Clone)]
pub(crate) struct OpenCode {
    lang: Lang,
    name: String,
    #[cfg(feature = "rich")]
    lines: crate::highlight::LineHighlighter,
}

impl OpenCode {
    pub(crate) fn new(lang: Lang, name: &str) -> OpenCode {
        OpenCode {
            lang,
            name: name.to_owned(),
            #[cfg(feature = "rich")]
            lines: crate::highlight::LineHighlighter::new(lang),
        }
    }

    /// The nodes of `code`, which extends the code of earlier calls.
    pub(crate) fn view(&mut self, code: &str) -> Vec<Node> {
        #[cfg(feature = "rich")]
        if PROVIDER.with(|p| p.borrow().is_none()) {
            return self.lines.view_open(code);
        }
        let cut = if code.len() <= OPEN_HIGHLIGHT_LIMIT {
            code.len()
        } else {
            code.as_bytes()[..OPEN_HIGHLIGHT_LIMIT]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
        };
        let (mut nodes, rest) = match highlight(self.lang, &self.name, &code[..cut]) {
            Some(nodes) => (nodes, &code[cut..]),
            None => (Vec::new(), code),
        };
        push_text(&mut nodes, rest);
        nodes
    }
}

/// This crate's own highlighting and math, as a [`Rich`] (what the code-and-math module
/// exports).
#[cfg(feature = "rich")]
pub struct Builtin;

#[cfg(feature = "rich")]
impl Rich for Builtin {
    fn highlight(&self, lang: &str, code: &str) -> Option<Vec<Node>> {
        Lang::from_name(lang).map(|lang| crate::highlight::highlight(lang, code))
    }

    fn math(&self, tex: &str, display: bool) -> Option<Node> {
        Some(crate::math::render(tex, display))
    }
}

#[cfg(all(test, feature = "rich"))]
mod tests {
    use super::*;
    use crate::{render, Incremental, Tag};

    /// A provider that is not there yet (what the markdown module has before the page hands
    /// it the code-and-math module).
    struct Absent;

    impl Rich for Absent {
        fn highlight(&self, _: &str, _: &str) -> Option<Vec<Node>> {
            None
        }
        fn math(&self, _: &str, _: bool) -> Option<Node> {
            None
        }
    }

    /// Removes the provider when a test ends, even by a failed assertion.
    struct Installed;

    impl Installed {
        fn new(rich: Box<dyn Rich>) -> Installed {
            set_provider(Some(rich));
            Installed
        }
    }

    impl Drop for Installed {
        fn drop(&mut self) {
            set_provider(None);
        }
    }

    const SAMPLE: &str = "Some text.\n\n```rust\nfn main() {}\n```\n\nand $x^2$ too.\n";

    fn stream(text: &str) -> (Vec<Node>, bool) {
        let mut renderer = Incremental::new();
        let mut nodes = Vec::new();
        let mut wanted = false;
        for piece in text.as_bytes().chunks(5) {
            let update = renderer.push(std::str::from_utf8(piece).unwrap_or(""));
            wanted |= update.wants_rich;
            nodes.extend(update.closed.into_iter().flat_map(|b| b.nodes));
        }
        let update = renderer.finish();
        wanted |= update.wants_rich;
        nodes.extend(update.closed.into_iter().flat_map(|b| b.nodes));
        (nodes, wanted)
    }

    fn text(nodes: &[Node]) -> String {
        nodes.iter().map(Node::text_content).collect()
    }

    fn count(nodes: &[Node], tag: Tag) -> usize {
        nodes
            .iter()
            .map(|node| match node {
                Node::Text(_) => 0,
                Node::Element {
                    tag: t, children, ..
                } => usize::from(*t == tag) + count(children, tag),
            })
            .sum()
    }

    #[test]
    fn without_a_provider_answer_code_is_plain_math_is_source_and_the_update_says_so() {
        let _absent = Installed::new(Box::new(Absent));
        let (nodes, wanted) = stream(SAMPLE);
        assert!(wanted);
        assert_eq!(count(&nodes, Tag::Math), 0);
        assert_eq!(count(&nodes, Tag::TokKeyword), 0);
        assert_eq!(count(&nodes, Tag::Code), 1);
        let shown = text(&nodes);
        assert!(shown.contains("fn main() {}\n"), "{shown:?}");
        assert!(shown.contains("$x^2$"), "{shown:?}");
    }

    #[test]
    fn a_reply_without_code_or_math_does_not_want_the_module() {
        let _absent = Installed::new(Box::new(Absent));
        for plain in [
            "Just *words*,\n\n- a list\n\n`inline code`, costs $5 and $10.\n",
            "```\nno language\n```\n",
            "```klingon\nan unknown one\n```\n",
        ] {
            let (nodes, wanted) = stream(plain);
            assert!(!wanted, "{plain:?}");
            assert_eq!(nodes, render(plain));
        }
    }

    #[test]
    fn a_provider_gives_what_the_built_in_code_gives() {
        let built_in = stream(SAMPLE);
        assert!(!built_in.1);
        let _builtin = Installed::new(Box::new(Builtin));
        let (nodes, wanted) = stream(SAMPLE);
        assert!(!wanted);
        assert_eq!(nodes, built_in.0);
        assert!(count(&nodes, Tag::Math) == 1 && count(&nodes, Tag::TokKeyword) > 0);
    }

    #[test]
    fn an_open_fence_asks_the_provider_for_its_first_lines_only() {
        let _builtin = Installed::new(Box::new(Builtin));
        let mut renderer = Incremental::new();
        renderer.push("```js\n");
        let long = "let a = 1;\n".repeat(OPEN_HIGHLIGHT_LIMIT / 4);
        let update = renderer.push(&long);
        let tail = update.tail.map(|t| t.nodes).unwrap_or_default();
        assert_eq!(text(&tail), long);
        let keywords = count(&tail, Tag::TokKeyword);
        assert!(keywords > 0 && keywords < long.matches("let").count());
    }

    #[test]
    fn a_provider_answer_that_changes_the_text_is_not_used() {
        struct Liar;
        impl Rich for Liar {
            fn highlight(&self, _: &str, _: &str) -> Option<Vec<Node>> {
                Some(vec![Node::Text("other".into())])
            }
            fn math(&self, _: &str, _: bool) -> Option<Node> {
                None
            }
        }
        let _liar = Installed::new(Box::new(Liar));
        let nodes = render("```rust\nfn main() {}\n```\n");
        assert_eq!(text(&nodes), "fn main() {}\n");
    }
}
