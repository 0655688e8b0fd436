//! The safe node tree that the markdown renderer produces and the view turns into DOM.
//!
//! Owns the closed sets of tags and attributes: a [`Node`] can only name a [`Tag`] and
//! [`Attr`]s listed here, so no event-handler attribute, `style`, `src` or `<script>` can
//! ever be produced, whatever the input. It must not know about markdown syntax or the DOM.

/// A safe node: the only tags and attributes that can ever appear are those of [`Tag`] and
/// [`Attr`]. The view creates elements with `document.createElement(tag.name())`, sets
/// attributes with `setAttribute(attr.name(), value)` and text with `textContent`/text nodes;
/// it never uses `innerHTML`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Text(String),
    Element {
        tag: Tag,
        attrs: Vec<(Attr, String)>,
        children: Vec<Node>,
    },
}

impl Node {
    /// An element without attributes.
    pub fn element(tag: Tag, children: Vec<Node>) -> Node {
        Node::Element {
            tag,
            attrs: Vec::new(),
            children,
        }
    }

    /// The value of `attr` if this is an element that has it.
    pub fn attr(&self, attr: Attr) -> Option<&str> {
        match self {
            Node::Element { attrs, .. } => attrs
                .iter()
                .find(|(name, _)| *name == attr)
                .map(|(_, value)| value.as_str()),
            Node::Text(_) => None,
        }
    }

    /// The concatenated text of this node and its descendants, as `textContent` would give
    /// it. The view uses it on a `pre` or `code` element to fill the clipboard of its copy
    /// button.
    pub fn text_content(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        match self {
            Node::Text(text) => out.push_str(text),
            Node::Element { children, .. } => {
                for child in children {
                    child.collect_text(out);
                }
            }
        }
    }
}

/// The closed set of element names the renderer can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    P,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    Ul,
    Ol,
    Li,
    Blockquote,
    /// A code block; its only child is a [`Tag::Code`] holding the code text.
    Pre,
    Code,
    Em,
    Strong,
    Del,
    A,
    Table,
    Thead,
    Tbody,
    Tr,
    Th,
    Td,
    Hr,
    Br,
    /// Only ever a disabled task-list checkbox: `type="checkbox" disabled [checked]`.
    Input,
    // Tokens of highlighted code: each is a `span` whose class is fixed by its tag
    // ([`Tag::class`]), inside `pre > code`.
    TokKeyword,
    TokString,
    TokNumber,
    TokComment,
    TokFunction,
    TokType,
    TokConstant,
    TokOperator,
    TokPunctuation,
    TokProperty,
    TokTag,
    TokVariable,
    TokMeta,
    // MathML (created in the MathML namespace, [`Tag::is_mathml`]).
    Math,
    Mrow,
    Mi,
    Mn,
    Mo,
    Mtext,
    Mspace,
    Mfrac,
    Msqrt,
    Mroot,
    Msup,
    Msub,
    Msubsup,
    Munder,
    Mover,
    Munderover,
    Mtable,
    Mtr,
    Mtd,
}

impl Tag {
    /// Every tag, in declaration order; a tag's index here is its number on the wire.
    pub const ALL: [Tag; 58] = [
        Tag::P,
        Tag::H1,
        Tag::H2,
        Tag::H3,
        Tag::H4,
        Tag::H5,
        Tag::H6,
        Tag::Ul,
        Tag::Ol,
        Tag::Li,
        Tag::Blockquote,
        Tag::Pre,
        Tag::Code,
        Tag::Em,
        Tag::Strong,
        Tag::Del,
        Tag::A,
        Tag::Table,
        Tag::Thead,
        Tag::Tbody,
        Tag::Tr,
        Tag::Th,
        Tag::Td,
        Tag::Hr,
        Tag::Br,
        Tag::Input,
        Tag::TokKeyword,
        Tag::TokString,
        Tag::TokNumber,
        Tag::TokComment,
        Tag::TokFunction,
        Tag::TokType,
        Tag::TokConstant,
        Tag::TokOperator,
        Tag::TokPunctuation,
        Tag::TokProperty,
        Tag::TokTag,
        Tag::TokVariable,
        Tag::TokMeta,
        Tag::Math,
        Tag::Mrow,
        Tag::Mi,
        Tag::Mn,
        Tag::Mo,
        Tag::Mtext,
        Tag::Mspace,
        Tag::Mfrac,
        Tag::Msqrt,
        Tag::Mroot,
        Tag::Msup,
        Tag::Msub,
        Tag::Msubsup,
        Tag::Munder,
        Tag::Mover,
        Tag::Munderover,
        Tag::Mtable,
        Tag::Mtr,
        Tag::Mtd,
    ];

    /// The HTML element name, for `document.createElement`.
    pub fn name(self) -> &'static str {
        match self {
            Tag::P => "p",
            Tag::H1 => "h1",
            Tag::H2 => "h2",
            Tag::H3 => "h3",
            Tag::H4 => "h4",
            Tag::H5 => "h5",
            Tag::H6 => "h6",
            Tag::Ul => "ul",
            Tag::Ol => "ol",
            Tag::Li => "li",
            Tag::Blockquote => "blockquote",
            Tag::Pre => "pre",
            Tag::Code => "code",
            Tag::Em => "em",
            Tag::Strong => "strong",
            Tag::Del => "del",
            Tag::A => "a",
            Tag::Table => "table",
            Tag::Thead => "thead",
            Tag::Tbody => "tbody",
            Tag::Tr => "tr",
            Tag::Th => "th",
            Tag::Td => "td",
            Tag::Hr => "hr",
            Tag::Br => "br",
            Tag::Input => "input",
            Tag::TokKeyword
            | Tag::TokString
            | Tag::TokNumber
            | Tag::TokComment
            | Tag::TokFunction
            | Tag::TokType
            | Tag::TokConstant
            | Tag::TokOperator
            | Tag::TokPunctuation
            | Tag::TokProperty
            | Tag::TokTag
            | Tag::TokVariable
            | Tag::TokMeta => "span",
            Tag::Math => "math",
            Tag::Mrow => "mrow",
            Tag::Mi => "mi",
            Tag::Mn => "mn",
            Tag::Mo => "mo",
            Tag::Mtext => "mtext",
            Tag::Mspace => "mspace",
            Tag::Mfrac => "mfrac",
            Tag::Msqrt => "msqrt",
            Tag::Mroot => "mroot",
            Tag::Msup => "msup",
            Tag::Msub => "msub",
            Tag::Msubsup => "msubsup",
            Tag::Munder => "munder",
            Tag::Mover => "mover",
            Tag::Munderover => "munderover",
            Tag::Mtable => "mtable",
            Tag::Mtr => "mtr",
            Tag::Mtd => "mtd",
        }
    }

    /// The class a tag always has (the token spans of highlighted code): set by the view,
    /// never carried as an attribute.
    pub fn class(self) -> Option<&'static str> {
        Some(match self {
            Tag::TokKeyword => "rill-tok-keyword",
            Tag::TokString => "rill-tok-string",
            Tag::TokNumber => "rill-tok-number",
            Tag::TokComment => "rill-tok-comment",
            Tag::TokFunction => "rill-tok-function",
            Tag::TokType => "rill-tok-type",
            Tag::TokConstant => "rill-tok-constant",
            Tag::TokOperator => "rill-tok-operator",
            Tag::TokPunctuation => "rill-tok-punctuation",
            Tag::TokProperty => "rill-tok-property",
            Tag::TokTag => "rill-tok-tag",
            Tag::TokVariable => "rill-tok-variable",
            Tag::TokMeta => "rill-tok-meta",
            _ => return None,
        })
    }

    /// Whether the element is MathML (`document.createElementNS` with [`MATHML_NS`]).
    pub fn is_mathml(self) -> bool {
        (self as usize) >= (Tag::Math as usize)
    }

    /// Whether the element never has children (`hr`, `br`, `input`, `mspace`).
    pub fn is_void(self) -> bool {
        matches!(self, Tag::Hr | Tag::Br | Tag::Input | Tag::Mspace)
    }

    /// The heading tag for a level from 1 to 6; levels outside clamp to the nearest.
    pub fn heading(level: u8) -> Tag {
        match level {
            0 | 1 => Tag::H1,
            2 => Tag::H2,
            3 => Tag::H3,
            4 => Tag::H4,
            5 => Tag::H5,
            _ => Tag::H6,
        }
    }
}

/// The closed set of attribute names the renderer can produce. Which values each can take
/// is fixed by the renderer:
/// - `href`: always starts with `http://`, `https://` or `mailto:` (see
///   [`super::is_allowed_href`]);
/// - `rel`: always `noopener noreferrer`; `target`: always `_blank`;
/// - `title`: text from the markdown (the view sets it as an attribute, never as HTML);
/// - `start`: decimal digits; `data-lang`: `[A-Za-z0-9_+.#-]{1,32}`;
/// - `class`: one of the `rill-md-…` names below; `type`: `checkbox`;
/// - `checked`, `disabled`: empty (boolean attributes);
/// - MathML: `display`: `block`; `mathvariant`: `normal`; `width` (of `mspace`): one of
///   the fixed TeX space widths (`0.1667em` …); `linethickness`: `0`; `accent`: `true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attr {
    Href,
    Rel,
    Target,
    Title,
    Start,
    DataLang,
    Class,
    Type,
    Checked,
    Disabled,
    Display,
    MathVariant,
    Width,
    LineThickness,
    Accent,
}

impl Attr {
    /// Every attribute, in declaration order; an attribute's index here is its number on
    /// the wire.
    pub const ALL: [Attr; 15] = [
        Attr::Href,
        Attr::Rel,
        Attr::Target,
        Attr::Title,
        Attr::Start,
        Attr::DataLang,
        Attr::Class,
        Attr::Type,
        Attr::Checked,
        Attr::Disabled,
        Attr::Display,
        Attr::MathVariant,
        Attr::Width,
        Attr::LineThickness,
        Attr::Accent,
    ];

    /// The HTML attribute name, for `setAttribute`.
    pub fn name(self) -> &'static str {
        match self {
            Attr::Href => "href",
            Attr::Rel => "rel",
            Attr::Target => "target",
            Attr::Title => "title",
            Attr::Start => "start",
            Attr::DataLang => "data-lang",
            Attr::Class => "class",
            Attr::Type => "type",
            Attr::Checked => "checked",
            Attr::Disabled => "disabled",
            Attr::Display => "display",
            Attr::MathVariant => "mathvariant",
            Attr::Width => "width",
            Attr::LineThickness => "linethickness",
            Attr::Accent => "accent",
        }
    }
}

/// The MathML namespace, in which the view creates the elements of [`Tag::is_mathml`] tags.
pub const MATHML_NS: &str = "http://www.w3.org/1998/Math/MathML";

/// `class` of the paragraph that shows a raw HTML block as text.
pub const CLASS_RAW_HTML: &str = "rill-md-raw-html";
/// `class` of a list item that starts with a task checkbox.
pub const CLASS_TASK: &str = "rill-md-task";
/// `class` of the link that stands in for an image (remote images are never loaded).
pub const CLASS_IMAGE_LINK: &str = "rill-md-image-link";
/// `class` values of table cells with an alignment (GFM `:--`, `:-:`, `--:`).
pub const CLASS_ALIGN_LEFT: &str = "rill-md-align-left";
pub const CLASS_ALIGN_CENTER: &str = "rill-md-align-center";
pub const CLASS_ALIGN_RIGHT: &str = "rill-md-align-right";

/// Appends text to `children`, merging it into a preceding text node; empty text is dropped.
/// Keeping text merged makes the tree canonical: the same markdown gives the same nodes
/// however the parser happened to split its text events.
pub(crate) fn push_text(children: &mut Vec<Node>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Node::Text(last)) = children.last_mut() {
        last.push_str(text);
    } else {
        children.push(Node::Text(text.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_text_is_merged_and_empty_text_dropped() {
        let mut children = Vec::new();
        push_text(&mut children, "a");
        push_text(&mut children, "");
        push_text(&mut children, "b");
        children.push(Node::element(Tag::Br, vec![]));
        push_text(&mut children, "c");
        assert_eq!(
            children,
            vec![
                Node::Text("ab".into()),
                Node::element(Tag::Br, vec![]),
                Node::Text("c".into())
            ]
        );
    }

    #[test]
    fn all_lists_each_variant_once_in_declaration_order() {
        for (index, tag) in Tag::ALL.iter().enumerate() {
            assert_eq!(*tag as usize, index, "{tag:?}");
        }
        for (index, attr) in Attr::ALL.iter().enumerate() {
            assert_eq!(*attr as usize, index, "{attr:?}");
        }
    }

    #[test]
    fn text_content_concatenates_descendants() {
        let node = Node::element(
            Tag::Pre,
            vec![Node::element(
                Tag::Code,
                vec![Node::Text("let a = 1;\n".into())],
            )],
        );
        assert_eq!(node.text_content(), "let a = 1;\n");
    }
}
