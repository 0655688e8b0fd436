//! One parse: markdown text in, safe [`Node`]s out, through pulldown-cmark's events.
//!
//! Owns the mapping from parser events to the closed node set and applies the link policy
//! ([`super::href`]) and the code-language rule on the way. Raw HTML (blocks and inline)
//! becomes text, verbatim. It must not decide where a stream is cut or keep state between
//! parses: the caller passes in the link reference definitions of earlier blocks.

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::{Alignment, BrokenLink, CowStr, Event, LinkType, Options, Parser};

use super::href::{allowed_href, allowed_image_href};
use super::lang::Lang;
use super::node::{
    push_text, Attr, Node, Tag, CLASS_ALIGN_CENTER, CLASS_ALIGN_LEFT, CLASS_ALIGN_RIGHT,
    CLASS_IMAGE_LINK, CLASS_RAW_HTML, CLASS_TASK,
};
use super::rich;

/// The markdown dialect: CommonMark with GFM tables, strikethrough and task lists, and
/// math (`$…$`, `$$…$$` by pulldown-cmark's rules; `\(…\)` and `\[…\]` found here).
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
}

/// Link reference definitions by label key ([`label_key`]): destination and title.
pub(crate) type RefMap = HashMap<String, (String, String)>;

/// A link reference definition found in a parse: label key, destination, title.
pub(crate) type RefDef = (String, String, String);

/// The result of one parse.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parsed {
    pub nodes: Vec<Node>,
    /// The definitions in the parsed text, in text order.
    pub defs: Vec<RefDef>,
}

/// The key under which a link label is matched: Unicode case folding, as pulldown-cmark
/// compares labels within a parse (it has already collapsed white space inside the label).
/// Its fold tables are in the build anyway; `str::to_lowercase` would bring core's case
/// tables (14.6 KB of the markdown module) and differ for `ß` against `SS`.
pub(crate) fn label_key(label: &str) -> String {
    unicase::UniCase::new(label).to_folded_case()
}

/// Parses `text` into nodes. A reference link whose label is not defined in `text` is
/// resolved from `refs`, the definitions of earlier blocks.
pub(crate) fn parse(text: &str, refs: &RefMap) -> Parsed {
    let resolve = |link: BrokenLink| {
        refs.get(&label_key(&link.reference))
            .map(|(dest, title)| (CowStr::from(dest.clone()), CowStr::from(title.clone())))
    };
    let mut parser =
        Parser::new_with_broken_link_callback(text, options(), Some(resolve)).into_offset_iter();
    let events: Vec<(Event, Range<usize>)> = parser.by_ref().collect();
    let mut builder = TreeBuilder::default();
    build_with_bracket_math(&mut builder, text, events);
    let mut defs: Vec<(usize, RefDef)> = parser
        .reference_definitions()
        .iter()
        .map(|(label, def)| {
            let title = def.title.as_deref().unwrap_or_default().to_owned();
            (
                def.span.start,
                (label_key(label), def.dest.as_ref().to_owned(), title),
            )
        })
        .collect();
    defs.sort_by_key(|(start, _)| *start);
    Parsed {
        nodes: builder.finish(),
        defs: defs.into_iter().map(|(_, def)| def).collect(),
    }
}

/// Whether a parse of `text` has a top-level block that starts exactly at byte `offset`
/// (the start of `text`'s last line, which starts in column 0): the question
/// [`super::blocks::Boundary::AskParser`] leaves to the parser. A top-level block starting
/// later in that line (after a `\r` the parser took for a line end) does not count.
pub(crate) fn top_level_block_starts_at(text: &str, offset: usize) -> bool {
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        if depth == 0 && range.start >= offset {
            return range.start == offset;
        }
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Feeds `events` to `builder`, with `\\(…\\)` and `\\[…\\]` as math. The parser has already
/// read `\\(` as an escaped `(`: a text event that starts at a `(` right after an odd run of
/// backslashes in the source. The formula is the source up to the matching escaped `)` (or
/// `]`) in the same run of inline content, taken raw (TeX's own backslashes intact), with
/// each line break's container prefix (`> `, indentation) left out; only inline events that
/// open and close between the two may lie between them, else the text stays as it is. One
/// pass, feeding the builder as it goes (no second list of events: the markdown module is
/// built for size).
fn build_with_bracket_math(
    builder: &mut TreeBuilder,
    src: &str,
    mut events: Vec<(Event<'_>, Range<usize>)>,
) {
    // From this index on no closing delimiter of that kind exists: openers fail at once.
    let mut no_close = [usize::MAX; 2];
    let mut i = 0;
    while i < events.len() {
        if let Some(kind) = escaped_at(src, &events[i], b"([").filter(|&k| i < no_close[k]) {
            match find_close(src, &events, i, kind) {
                Ok(j) => {
                    builder.math(&formula(src, &events[i..=j]), kind == 1);
                    // The closer: its text after the delimiter stays text.
                    if let Event::Text(text) = &events[j].0 {
                        push_text(builder.children(), text.get(1..).unwrap_or(""));
                    }
                    i = j + 1;
                    continue;
                }
                Err(true) => no_close[kind] = i,
                Err(false) => {}
            }
        }
        // Events before `i` are never read again (`find_close` looks ahead only).
        builder.event(std::mem::replace(&mut events[i].0, Event::SoftBreak));
        i += 1;
    }
}

/// Which of `chars` (0 or 1) a text event starts with, as an escaped character in the source.
fn escaped_at(
    src: &str,
    (event, range): &(Event<'_>, Range<usize>),
    chars: &[u8; 2],
) -> Option<usize> {
    let Event::Text(text) = event else {
        return None;
    };
    let first = *text.as_bytes().first()?;
    let kind = chars.iter().position(|&c| c == first)?;
    let bytes = src.as_bytes();
    if bytes.get(range.start) != Some(&first) {
        return None;
    }
    let backslashes = bytes[..range.start]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    (backslashes % 2 == 1).then_some(kind)
}

/// How far a search for a closing delimiter looks, in events: bounds the work for many
/// openers without a close.
const MATH_SEARCH: usize = 2048;

/// The index of the event that closes the formula opened at `open`; `Err(true)` if no
/// closing delimiter follows anywhere, `Err(false)` if one does but not in the same inline
/// content.
fn find_close(
    src: &str,
    events: &[(Event<'_>, Range<usize>)],
    open: usize,
    kind: usize,
) -> Result<usize, bool> {
    use pulldown_cmark::{Tag as Md, TagEnd};
    let mut depth = 0usize;
    for (j, item) in events.iter().enumerate().skip(open + 1).take(MATH_SEARCH) {
        match &item.0 {
            Event::Text(_) => {
                if depth == 0 && escaped_at(src, item, b")]") == Some(kind) {
                    return Ok(j);
                }
            }
            Event::Code(_)
            | Event::SoftBreak
            | Event::HardBreak
            | Event::InlineHtml(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_)
            | Event::FootnoteReference(_) => {}
            Event::Start(
                Md::Emphasis | Md::Strong | Md::Strikethrough | Md::Link { .. } | Md::Image { .. },
            ) => depth += 1,
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image,
            ) if depth > 0 => depth -= 1,
            _ => return Err(false),
        }
    }
    if events.len() > open + 1 + MATH_SEARCH {
        return Err(false);
    }
    Err(true)
}

/// The TeX source of a formula: `events[0]` is the opener, the last the closer.
fn formula(src: &str, events: &[(Event<'_>, Range<usize>)]) -> String {
    let (Some((_, first)), Some((_, last))) = (events.first(), events.last()) else {
        return String::new();
    };
    let end = last.start.saturating_sub(1);
    let mut pos = first.start + 1;
    let mut tex = String::new();
    for (k, (event, range)) in events.iter().enumerate() {
        if matches!(event, Event::SoftBreak | Event::HardBreak) && range.start >= pos {
            tex.push_str(src.get(pos..range.start).unwrap_or(""));
            tex.push('\n');
            pos = events
                .get(k + 1)
                .map_or(end, |(_, next)| next.start)
                .max(range.start);
        }
    }
    tex.push_str(src.get(pos..end).unwrap_or(""));
    tex
}

/// The code block language from a fence's info string: its first word, up to the first
/// character outside `[A-Za-z0-9_+.#-]`, at most 32 characters; `None` if that is empty.
pub(crate) fn code_language(info: &str) -> Option<String> {
    let word = info.split_whitespace().next()?;
    let lang: String = word
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-' | '.' | '#'))
        .take(32)
        .collect();
    (!lang.is_empty()).then_some(lang)
}

/// How an open element becomes nodes when it ends.
#[derive(Debug)]
enum FrameKind {
    /// An element of the closed set.
    Element(Tag),
    /// No element: the children take its place (a link that is not allowed, or a construct
    /// outside the dialect).
    Transparent,
    /// A raw HTML block, shown as text in a paragraph.
    RawHtml,
    /// An image, shown as a link labelled with its alt text, or as the alt text alone.
    Image { href: Option<String>, title: String },
}

#[derive(Debug)]
struct Frame {
    kind: FrameKind,
    attrs: Vec<(Attr, String)>,
    children: Vec<Node>,
    /// A block-level construct left out for depth: its content is set apart from what
    /// precedes it by a line break, so flattened paragraphs and items do not run together.
    flattened_block: bool,
}

impl Frame {
    fn new(kind: FrameKind) -> Frame {
        Frame {
            kind,
            attrs: Vec::new(),
            children: Vec::new(),
            flattened_block: false,
        }
    }

    fn element(tag: Tag, attrs: Vec<(Attr, String)>) -> Frame {
        Frame {
            kind: FrameKind::Element(tag),
            attrs,
            children: Vec::new(),
            flattened_block: false,
        }
    }

    /// How many levels of the tree this frame adds when it closes (a transparent frame
    /// adds none; an image adds its link, if it has one).
    fn levels(&self) -> usize {
        match &self.kind {
            FrameKind::Element(_) | FrameKind::RawHtml => 1,
            FrameKind::Image { href, .. } => usize::from(href.is_some()),
            FrameKind::Transparent => 0,
        }
    }
}

/// How many levels of elements `node` is (a leaf element is 1); its recursion is bounded by
/// [`math::MAX_DEPTH`], as only formulas are measured.
fn tree_depth(node: &Node) -> usize {
    match node {
        Node::Text(_) => 0,
        Node::Element { children, .. } => 1 + children.iter().map(tree_depth).max().unwrap_or(0),
    }
}

/// `n` in decimal, without `core::fmt` (the module is built for size).
fn decimal(mut n: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().map(|&d| char::from(d)).collect()
}

/// Whether `tag` is a block-level element (its flattened content starts on a new line).
fn is_block(tag: Tag) -> bool {
    !matches!(
        tag,
        Tag::Em | Tag::Strong | Tag::Del | Tag::A | Tag::Code | Tag::Br | Tag::Input
    )
}

/// The state of one open table.
#[derive(Debug)]
struct TableState {
    alignments: Vec<Alignment>,
    in_head: bool,
    body_open: bool,
    column: usize,
}

/// Builds the node tree from a stream of events.
#[derive(Debug, Default)]
struct TreeBuilder {
    /// The top-level nodes built so far.
    root: Vec<Node>,
    /// The open elements, innermost last.
    stack: Vec<Frame>,
    tables: Vec<TableState>,
    /// How many allowed links are open: an image inside one becomes its alt text, so that
    /// links never nest.
    open_links: usize,
    /// How deep the innermost open element will be in the tree: the sum of the open frames'
    /// [`Frame::levels`]. Kept as a count so that opening a frame is O(1) however deep the
    /// input nests.
    depth: usize,
    /// Indexes into `stack` of the open frames that are not transparent, innermost last.
    collectors: Vec<usize>,
}

fn link_attrs(href: String, title: &str) -> Vec<(Attr, String)> {
    let mut attrs = vec![
        (Attr::Href, href),
        (Attr::Rel, "noopener noreferrer".to_owned()),
        (Attr::Target, "_blank".to_owned()),
    ];
    if !title.is_empty() {
        attrs.push((Attr::Title, title.to_owned()));
    }
    attrs
}

impl TreeBuilder {
    /// Where the next node goes: the innermost open element, or the top level.
    /// Transparent frames collect nothing: their content goes straight to the nearest
    /// frame that does (as it would when they closed), so flattening a deep input moves no
    /// text from level to level.
    fn children(&mut self) -> &mut Vec<Node> {
        match self.collectors.last().and_then(|&i| self.stack.get_mut(i)) {
            Some(frame) => &mut frame.children,
            None => &mut self.root,
        }
    }

    /// Whether `levels` more levels fit under the innermost open element.
    fn room(&self, levels: usize) -> bool {
        self.depth + levels <= crate::MAX_NESTING
    }

    /// Opens `frame`, or, when it would nest deeper than [`crate::MAX_NESTING`], a
    /// transparent frame in its place: its content then goes to the nearest open element
    /// (text stays text; elements within the cap are kept). Markdown can nest without limit
    /// and the parser builds its tree without recursion, so the cap is applied here, where
    /// the tree that every later walk recurses over is made.
    fn open(&mut self, frame: Frame) {
        let frame = if self.room(frame.levels()) {
            frame
        } else {
            let flattened_block = match &frame.kind {
                FrameKind::Element(tag) => is_block(*tag),
                FrameKind::RawHtml => true,
                FrameKind::Image { .. } | FrameKind::Transparent => false,
            };
            Frame {
                flattened_block,
                ..Frame::new(match frame.kind {
                    // An image too deep for its link is its alt text.
                    FrameKind::Image { title, .. } => FrameKind::Image { href: None, title },
                    _ => FrameKind::Transparent,
                })
            }
        };
        if matches!(frame.kind, FrameKind::Element(Tag::A)) {
            self.open_links += 1;
        }
        if frame.flattened_block {
            self.line_break();
        }
        self.depth += frame.levels();
        if !matches!(frame.kind, FrameKind::Transparent) {
            self.collectors.push(self.stack.len());
        }
        self.stack.push(frame);
    }

    /// Starts a new line in the innermost open element, unless it is empty or already ends
    /// with white space.
    fn line_break(&mut self) {
        let children = self.children();
        let needed = match children.last() {
            None => false,
            Some(Node::Text(text)) => !text.ends_with(char::is_whitespace),
            Some(Node::Element { .. }) => true,
        };
        if needed {
            push_text(children, "\n");
        }
    }

    /// Adds a leaf element (`code`, `br`, `hr`, `input`) where there is room for it, or
    /// `fallback` as text where there is not.
    fn leaf(&mut self, node: Node, fallback: &str) {
        if self.room(1) {
            self.children().push(node);
        } else {
            push_text(self.children(), fallback);
        }
    }

    /// Closes the innermost open element into its parent. An unbalanced end event (which
    /// pulldown-cmark does not produce) is ignored.
    fn close(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        self.depth = self.depth.saturating_sub(frame.levels());
        if frame.flattened_block {
            self.line_break();
        }
        if matches!(frame.kind, FrameKind::Transparent) {
            // Its content is already where it belongs (see `children`).
            return;
        }
        self.collectors.pop();
        let Frame {
            kind,
            attrs,
            mut children,
            ..
        } = frame;
        match kind {
            FrameKind::Element(tag) => {
                if tag == Tag::A {
                    self.open_links = self.open_links.saturating_sub(1);
                }
                self.children().push(Node::Element {
                    tag,
                    attrs,
                    children,
                });
            }
            FrameKind::Transparent => {}
            FrameKind::RawHtml => {
                if let Some(Node::Text(text)) = children.last_mut() {
                    let kept = text.trim_end_matches(['\n', '\r']).len();
                    text.truncate(kept);
                }
                children.retain(|child| !matches!(child, Node::Text(text) if text.is_empty()));
                self.children().push(Node::Element {
                    tag: Tag::P,
                    attrs: vec![(Attr::Class, CLASS_RAW_HTML.to_owned())],
                    children,
                });
            }
            FrameKind::Image { href, title } => {
                let alt: String = children.iter().map(Node::text_content).collect();
                match href {
                    Some(href) => {
                        let label = if alt.is_empty() { href.clone() } else { alt };
                        let mut attrs = link_attrs(href, &title);
                        attrs.push((Attr::Class, CLASS_IMAGE_LINK.to_owned()));
                        self.children().push(Node::Element {
                            tag: Tag::A,
                            attrs,
                            children: vec![Node::Text(label)],
                        });
                    }
                    None => push_text(self.children(), &alt),
                }
            }
        }
    }

    fn event(&mut self, event: Event<'_>) {
        use pulldown_cmark::Tag as Md;
        match event {
            Event::Start(tag) => match tag {
                Md::Paragraph => self.open(Frame::element(Tag::P, Vec::new())),
                Md::Heading { level, .. } => {
                    self.open(Frame::element(Tag::heading(level as u8), Vec::new()))
                }
                Md::BlockQuote(_) => self.open(Frame::element(Tag::Blockquote, Vec::new())),
                Md::CodeBlock(kind) => {
                    let mut attrs = Vec::new();
                    if let pulldown_cmark::CodeBlockKind::Fenced(info) = kind {
                        if let Some(lang) = code_language(&info) {
                            attrs.push((Attr::DataLang, lang));
                        }
                    }
                    // `pre` and its `code` are kept together or left out together (the
                    // copy button takes the code from `pre > code`).
                    if self.room(2) {
                        self.open(Frame::element(Tag::Pre, attrs));
                        self.open(Frame::element(Tag::Code, Vec::new()));
                    } else {
                        self.open(Frame {
                            flattened_block: true,
                            ..Frame::new(FrameKind::Transparent)
                        });
                        self.open(Frame::new(FrameKind::Transparent));
                    }
                }
                Md::HtmlBlock => self.open(Frame::new(FrameKind::RawHtml)),
                Md::List(Some(start)) => {
                    let mut attrs = Vec::new();
                    if start != 1 {
                        attrs.push((Attr::Start, decimal(start)));
                    }
                    self.open(Frame::element(Tag::Ol, attrs));
                }
                Md::List(None) => self.open(Frame::element(Tag::Ul, Vec::new())),
                Md::Item => self.open(Frame::element(Tag::Li, Vec::new())),
                Md::Table(alignments) => {
                    self.tables.push(TableState {
                        alignments,
                        in_head: false,
                        body_open: false,
                        column: 0,
                    });
                    self.open(Frame::element(Tag::Table, Vec::new()));
                }
                Md::TableHead => {
                    if let Some(table) = self.tables.last_mut() {
                        table.in_head = true;
                        table.column = 0;
                    }
                    self.open(Frame::element(Tag::Thead, Vec::new()));
                    self.open(Frame::element(Tag::Tr, Vec::new()));
                }
                Md::TableRow => {
                    if let Some(table) = self.tables.last_mut() {
                        table.column = 0;
                        if !table.body_open {
                            table.body_open = true;
                            self.open(Frame::element(Tag::Tbody, Vec::new()));
                        }
                    }
                    self.open(Frame::element(Tag::Tr, Vec::new()));
                }
                Md::TableCell => {
                    let (tag, alignment) = match self.tables.last_mut() {
                        Some(table) => {
                            let alignment = table.alignments.get(table.column).copied();
                            table.column += 1;
                            let tag = if table.in_head { Tag::Th } else { Tag::Td };
                            (tag, alignment)
                        }
                        None => (Tag::Td, None),
                    };
                    let class = match alignment {
                        Some(Alignment::Left) => Some(CLASS_ALIGN_LEFT),
                        Some(Alignment::Center) => Some(CLASS_ALIGN_CENTER),
                        Some(Alignment::Right) => Some(CLASS_ALIGN_RIGHT),
                        Some(Alignment::None) | None => None,
                    };
                    let attrs = class
                        .map(|class| vec![(Attr::Class, class.to_owned())])
                        .unwrap_or_default();
                    self.open(Frame::element(tag, attrs));
                }
                Md::Emphasis => self.open(Frame::element(Tag::Em, Vec::new())),
                Md::Strong => self.open(Frame::element(Tag::Strong, Vec::new())),
                Md::Strikethrough => self.open(Frame::element(Tag::Del, Vec::new())),
                Md::Link {
                    link_type,
                    dest_url,
                    title,
                    ..
                } => {
                    let href = if link_type == LinkType::Email {
                        allowed_href(&["mailto:", &dest_url].concat())
                    } else {
                        allowed_href(&dest_url)
                    };
                    match href {
                        Some(href) => self.open(Frame::element(Tag::A, link_attrs(href, &title))),
                        None => self.open(Frame::new(FrameKind::Transparent)),
                    }
                }
                Md::Image {
                    dest_url, title, ..
                } => {
                    let href = if self.open_links > 0 {
                        None
                    } else {
                        allowed_image_href(&dest_url)
                    };
                    self.open(Frame::new(FrameKind::Image {
                        href,
                        title: title.as_ref().to_owned(),
                    }));
                }
                Md::FootnoteDefinition(_)
                | Md::DefinitionList
                | Md::DefinitionListTitle
                | Md::DefinitionListDefinition
                | Md::Superscript
                | Md::Subscript
                | Md::MetadataBlock(_) => self.open(Frame::new(FrameKind::Transparent)),
            },
            Event::End(end) => {
                use pulldown_cmark::TagEnd;
                match end {
                    TagEnd::CodeBlock => {
                        self.highlight_open_code();
                        self.close();
                        self.close();
                    }
                    TagEnd::TableHead => {
                        self.close();
                        self.close();
                        if let Some(table) = self.tables.last_mut() {
                            table.in_head = false;
                        }
                    }
                    TagEnd::Table => {
                        if self.tables.pop().is_some_and(|table| table.body_open) {
                            self.close();
                        }
                        self.close();
                    }
                    _ => self.close(),
                }
            }
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => {
                push_text(self.children(), &text)
            }
            Event::InlineMath(tex) => self.math(&tex, false),
            Event::DisplayMath(tex) => self.math(&tex, true),
            Event::Code(text) => self.leaf(
                Node::element(Tag::Code, vec![Node::Text(text.as_ref().to_owned())]),
                &text,
            ),
            Event::FootnoteReference(label) => {
                push_text(self.children(), &["[^", &label, "]"].concat())
            }
            Event::SoftBreak => push_text(self.children(), "\n"),
            Event::HardBreak => self.leaf(Node::element(Tag::Br, Vec::new()), "\n"),
            Event::Rule => self.leaf(Node::element(Tag::Hr, Vec::new()), "\n"),
            Event::TaskListMarker(checked) => {
                let mut attrs = vec![
                    (Attr::Type, "checkbox".to_owned()),
                    (Attr::Disabled, String::new()),
                ];
                if checked {
                    attrs.push((Attr::Checked, String::new()));
                }
                let input = Node::Element {
                    tag: Tag::Input,
                    attrs,
                    children: Vec::new(),
                };
                self.leaf(input, if checked { "[x] " } else { "[ ] " });
                // The item is the element that took the checkbox, or its parent (in a loose
                // list the checkbox is in the item's paragraph); looking no further keeps
                // this O(1) however deep the lists nest.
                let item = self.collectors.iter().rev().take(2).copied().find(|&i| {
                    self.stack
                        .get(i)
                        .is_some_and(|f| matches!(f.kind, FrameKind::Element(Tag::Li)))
                });
                if let Some(item) = item.and_then(|i| self.stack.get_mut(i)) {
                    if !item.attrs.iter().any(|(attr, _)| *attr == Attr::Class) {
                        item.attrs.push((Attr::Class, CLASS_TASK.to_owned()));
                    }
                }
            }
        }
    }

    /// Highlights the code of the open `pre > code` if its language is one rill knows and
    /// the token spans fit under the nesting cap.
    fn highlight_open_code(&mut self) {
        let n = self.stack.len();
        if n < 2 || !self.room(1) {
            return;
        }
        let name = match &self.stack[n - 2] {
            Frame {
                kind: FrameKind::Element(Tag::Pre),
                attrs,
                ..
            } => attrs
                .iter()
                .find(|(attr, _)| *attr == Attr::DataLang)
                .map(|(_, lang)| lang.clone()),
            _ => None,
        };
        let Some((lang, name)) = name.and_then(|name| Some((Lang::from_name(&name)?, name))) else {
            return;
        };
        let code = &mut self.stack[n - 1];
        if !matches!(code.kind, FrameKind::Element(Tag::Code)) {
            return;
        }
        let text: String = code.children.iter().map(Node::text_content).collect();
        // From the code-and-math module only what keeps the text and fits under the cap.
        if let Some(nodes) = rich::highlight(lang, &name, &text) {
            let depth = nodes.iter().map(tree_depth).max().unwrap_or(0);
            let same = nodes.iter().map(Node::text_content).collect::<String>() == text;
            if same && self.room(depth) {
                self.stack[n - 1].children = nodes;
            }
        }
    }

    /// A formula as MathML, or as its source text where the tree would nest too deep (or
    /// the code-and-math module is not there).
    fn math(&mut self, tex: &str, display: bool) {
        match rich::math(tex, display) {
            Some(node) if self.room(tree_depth(&node)) => self.children().push(node),
            _ => {
                let fence = if display { "$$" } else { "$" };
                push_text(self.children(), &[fence, tex, fence].concat());
            }
        }
    }

    fn finish(mut self) -> Vec<Node> {
        while !self.stack.is_empty() {
            self.close();
        }
        self.root
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `\\(…\\)` and `\\[…\\]` as they were found before [`build_with_bracket_math`]
    /// (2026-12-03: the formulas first, then a second list of events): the oracle.
    fn bracket_math_two_pass<'a>(
        src: &str,
        events: Vec<(Event<'a>, Range<usize>)>,
    ) -> Vec<Event<'a>> {
        // First the formulas (opener, closer, TeX, display), then the events around them.
        let mut spans: Vec<(usize, usize, String, bool)> = Vec::new();
        // From this index on no closing delimiter of that kind exists: openers fail at once.
        let mut no_close = [usize::MAX; 2];
        let mut i = 0;
        while i < events.len() {
            let Some(kind) = escaped_at(src, &events[i], b"([") else {
                i += 1;
                continue;
            };
            if i >= no_close[kind] {
                i += 1;
                continue;
            }
            match find_close(src, &events, i, kind) {
                Ok(j) => {
                    spans.push((i, j, formula(src, &events[i..=j]), kind == 1));
                    i = j + 1;
                }
                Err(none_at_all) => {
                    if none_at_all {
                        no_close[kind] = i;
                    }
                    i += 1;
                }
            }
        }
        if spans.is_empty() {
            return events.into_iter().map(|(event, _)| event).collect();
        }
        let mut out = Vec::with_capacity(events.len());
        let mut spans = spans.into_iter().peekable();
        let mut skip_until = None;
        for (k, (event, _)) in events.into_iter().enumerate() {
            if let Some(close) = skip_until {
                if k < close {
                    continue;
                }
                skip_until = None;
                // The closer: its text after the delimiter stays text.
                if let Event::Text(text) = &event {
                    if let Some(rest) = text.get(1..).filter(|rest| !rest.is_empty()) {
                        out.push(Event::Text(CowStr::from(rest.to_owned())));
                    }
                }
                continue;
            }
            if spans.peek().is_some_and(|span| span.0 == k) {
                if let Some((_, close, tex, display)) = spans.next() {
                    out.push(if display {
                        Event::DisplayMath(CowStr::from(tex))
                    } else {
                        Event::InlineMath(CowStr::from(tex))
                    });
                    skip_until = Some(close);
                }
                continue;
            }
            out.push(event);
        }
        out
    }

    fn build(text: &str, one_pass: bool) -> Vec<Node> {
        let events: Vec<(Event, Range<usize>)> = Parser::new_ext(text, options())
            .into_offset_iter()
            .collect();
        let mut builder = TreeBuilder::default();
        if one_pass {
            build_with_bracket_math(&mut builder, text, events);
        } else {
            for event in bracket_math_two_pass(text, events) {
                builder.event(event);
            }
        }
        builder.finish()
    }

    const PIECES: &[&str] = &[
        "\\(",
        "\\)",
        "\\[",
        "\\]",
        "\\\\(",
        "\\\\)",
        "\\\\\\(",
        "(",
        ")",
        "[",
        "]",
        "x",
        " ",
        "\\frac{a}{b}",
        "*",
        "**",
        "_",
        "`",
        "$",
        "$$",
        "\n",
        "\n\n",
        "\n> ",
        "> ",
        "- ",
        "  ",
        "[a](https://example.com)",
        "<b>",
        "![i](http://x.example/i.png)",
        "\\\\",
    ];

    fn math_soup() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat()),
            "[\\\\()\\[\\]$*_`> a\n-]{0,80}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn one_pass_bracket_math_builds_what_the_two_pass_one_built(text in math_soup()) {
            prop_assert_eq!(build(&text, true), build(&text, false));
        }
    }

    #[test]
    fn the_oracle_finds_formulas() {
        let nodes = build("a \\(x^2\\) b \\[y\\] \\(no close", false);
        assert_eq!(nodes, build("a \\(x^2\\) b \\[y\\] \\(no close", true));
        let text: String = nodes.iter().map(Node::text_content).collect();
        assert!(
            !text.contains("x^2") && text.contains("(no close"),
            "{text:?}"
        );
    }
}
