//! Markdown for chat replies: streamed text in, a tree of safe nodes out.
//!
//! The page does not link this crate's renderer: it is a second wasm module (`md-module`,
//! loaded on first use), which answers with the [`wire`] form that the page decodes with
//! [`wire::decode_update`] into these same [`Node`]s. [`service::Renderers`] is the module's
//! request handling, pure and tested here.
//!
//! Owns the whole path from markdown text to [`Node`]s: the closed sets of tags and
//! attributes (`node.rs`), the link policy (`href.rs`), one parse with pulldown-cmark
//! (`convert.rs`), where a stream may be cut into final blocks (`blocks.rs`) and the
//! streaming renderer ([`Incremental`], `incremental.rs`). It is pure: it must not use web-sys or Leptos, and it never
//! produces HTML text. The view creates each node with `document.createElement(tag.name())`,
//! `setAttribute` and text nodes, so remote text never reaches `innerHTML`.
//!
//! Safety rules, whatever the input:
//! - Raw HTML, as a block or inline, is shown as text, verbatim (a block as a paragraph with
//!   class `rill-md-raw-html`). Entities are decoded into text, never into markup.
//! - Links become `a` elements only for `http:`, `https:` and `mailto:` destinations, with
//!   the scheme in lower case, `rel="noopener noreferrer"` and `target="_blank"`. Any other
//!   destination, relative ones included (they would resolve against the host page), leaves
//!   the link text as plain text.
//! - Images are never loaded: `![alt](url)` becomes a link labelled with the alt text (the
//!   URL if the alt text is empty) when the URL is `http:`/`https:`, with class
//!   `rill-md-image-link`; otherwise just the alt text. Inside a link, an image is its alt
//!   text, so links never nest.
//! - A fenced code block is `pre > code`; the first word of its info string, cut at the first
//!   character outside `[A-Za-z0-9_+.#-]` and to 32 characters, is `pre`'s `data-lang`. The
//!   view adds the copy button and takes the code from [`Node::text_content`].
//!
//! Dialect: CommonMark with GFM tables (`thead`/`tbody`, cell alignment as a `rill-md-align-…`
//! class), strikethrough (`del`) and task lists (a disabled checkbox `input` in an `li` with
//! class `rill-md-task`). A soft line break is a `"\n"` in the text; a hard break is `br`.
//!
//! Streaming: the text is cut into top-level blocks at boundaries that no later text can
//! move (the rules are in `blocks.rs`: after blank lines before a line in column 0 unless a
//! fence, an HTML block or a list goes on; around fenced code blocks in column 0). Closed
//! blocks are parsed once; only the open tail is shown again on each delta, an open fence
//! without parsing, other tails re-parsed within a budget ([`DEFAULT_DISPLAY_BUDGET`]).
//!
//! [`render`] and [`Incremental`] agree exactly, by construction: `render` is the streaming
//! renderer fed the whole text at once, and where the stream is cut into blocks depends only
//! on the text, never on how it was split into deltas. Against a parse of the whole document
//! in one go (pulldown-cmark's), rendering by blocks differs only in the scope of link
//! reference definitions, because a streamed block that is final cannot change when a
//! definition arrives later:
//! - a definition applies to its own block and to later blocks, not to earlier ones:
//!   `[text][label]` used in a block before the one holding `[label]: url` stays literal
//!   text, as an undefined reference does;
//! - across blocks the first definition of a label wins, but inside a block its own
//!   definition of a label wins over an earlier block's.
//!
//! Labels from earlier blocks are matched by Unicode case folding, as the parser matches
//! them within a block (`STRASSE` names `straße`).

mod blocks;
mod convert;
#[cfg(feature = "rich")]
mod highlight;
mod href;
mod incremental;
mod lang;
mod limits;
#[cfg(feature = "rich")]
mod math;
mod node;
pub mod rich;
pub mod service;
pub mod wire;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties;
#[cfg(test)]
mod tests;

pub use href::is_allowed_href;
pub use incremental::{Block, Incremental, Update, DEFAULT_DISPLAY_BUDGET, DISPLAY_SLACK};
pub use node::{
    Attr, Node, Tag, CLASS_ALIGN_CENTER, CLASS_ALIGN_LEFT, CLASS_ALIGN_RIGHT, CLASS_IMAGE_LINK,
    CLASS_RAW_HTML, CLASS_TASK, MATHML_NS,
};

/// How deep a rendered tree may nest: an element opened deeper than this is left out and its
/// content (text, and any elements within the cap) goes to the nearest element that was kept.
/// Markdown itself has no limit (a reply of 100,000 `>` is 100,000 nested block quotes); a
/// tree that deep would overflow the stack of every recursive walk over it (the wire
/// encoder, `Drop`, the page's DOM builder) and is unreadable anyway.
pub const MAX_NESTING: usize = 32;

/// Renders a whole markdown document into safe nodes.
pub fn render(markdown: &str) -> Vec<Node> {
    Incremental::render_all(markdown)
}
