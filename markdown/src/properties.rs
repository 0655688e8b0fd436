//! Properties of the markdown renderer over generated input (native only: proptest).

use proptest::prelude::*;
use proptest::sample::Index;

use super::convert::{parse, RefMap};
use super::*;

/// Pieces of chat-like markdown: blocks that span lines, their openers and closers, inline
/// syntax, raw HTML, blank lines, CRLF and a lone CR.
const FRAGMENTS: &[&str] = &[
    "Some text",
    " with *em*",
    " and **bold**",
    " `code`",
    " ",
    "\n",
    "\n",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\t",
    "- item",
    "* star",
    "+ plus",
    "1. one",
    "2) two",
    "10. ten",
    "  - nested",
    "   ",
    "    indented",
    "```",
    "```rust",
    "~~~",
    "````",
    "   ```",
    "  ```py",
    "| a | b |",
    "|---|:-:|",
    "| 1 | 2 |",
    "# Heading",
    "### h3",
    "> quote",
    ">",
    "---",
    "***",
    "===",
    "<div>",
    "</div>",
    "<pre>",
    "</pre>",
    "<!--",
    "-->",
    "<?php",
    "?>",
    "<span>",
    "[link](https://example.com)",
    "![img](http://x.example/y.png)",
    "[ref]",
    " [x][ref]",
    "[ref]: https://example.com/r",
    "- [ ] task",
    "- [x] done",
    "text  ",
    "\\",
    "&amp;",
    "<b>",
    "_u_",
    "~~s~~",
    "> - a",
    "- > b",
    "1.  wide",
    "\t```",
    " - sp",
    "    ```",
    "- ```",
    "> ```",
    "<textarea>",
    "</textarea>",
    "<script>",
    "</script>",
    "<![CDATA[",
    "]]>",
    "<!X",
    "  \n",
    "```js",
    "```python",
    "```html",
    "```css",
    "```sh",
    "/* c",
    "*/",
    "\"str",
    "'''",
    "`tpl",
    "<!-- x",
    "$x$",
    "$$",
    "$",
    " $5 and $10",
    "\\(",
    "\\)",
    "\\[",
    "\\]",
    "\\frac{a}{b}",
    "x^{2}_i",
    "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
    "\\href{javascript:alert(1)}{x}",
];

/// Line endings between generated lines: mostly single, often blank lines, some CRLF.
const LINE_ENDS: &[&str] = &[
    "\n", "\n", "\n", "\n\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "",
];

fn markdown_like() -> impl Strategy<Value = String> {
    let line = (
        prop::collection::vec(prop::sample::select(FRAGMENTS), 1..4),
        prop::sample::select(LINE_ENDS),
    )
        .prop_map(|(parts, end)| parts.concat() + end);
    prop::collection::vec(line, 0..32).prop_map(|lines| lines.concat())
}

/// Markdown-like text without link reference definitions, whose scope is the one
/// documented difference from a whole-document parse.
fn markdown_like_without_definitions() -> impl Strategy<Value = String> {
    markdown_like().prop_map(|text| text.replace("[ref]: ", "[ref] "))
}

/// Strings heavy in markdown, HTML and URL syntax, plus any characters.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-*_`~#>|!()\\[\\]<>:/\\\\&;=\"' a-zA-Z0-9\t\r\n.]{0,300}",
        any::<String>(),
        prop::collection::vec(
            prop::sample::select(
                &[
                    "[x](",
                    "](",
                    ")",
                    "<",
                    ">",
                    "javascript:",
                    "JaVaScRiPt:",
                    "data:",
                    "vbscript:",
                    "http://",
                    "https:",
                    "mailto:",
                    "//",
                    "&#106;",
                    "&colon;",
                    "\\",
                    " ",
                    "\n",
                    "\t",
                    "\u{0}",
                    "![a](",
                    "[r]: ",
                    "[r]",
                    "\"t\"",
                    "<a href=x>",
                    "<script>",
                    "alert(1)",
                    "$",
                    "$$",
                    "\\(",
                    "\\)",
                    "\\[",
                    "\\]",
                    "\\href{",
                    "\\url{",
                    "{",
                    "}",
                    "^",
                    "_",
                    "\\left(",
                    "\\begin{matrix}",
                    "&",
                    "```js\n",
                    "```html\n",
                ][..]
            ),
            0..40
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// Cuts `text` into deltas at the given points (moved back to character boundaries).
fn deltas<'a>(text: &'a str, cuts: &[Index]) -> Vec<&'a str> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|cut| {
            let mut at = cut.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        })
        .collect();
    points.push(0);
    points.push(text.len());
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

/// Streams `text` in the given deltas and returns the concatenated nodes of the closed
/// blocks, checking the block invariants on the way.
fn stream(text: &str, cuts: &[Index], budget: usize) -> Vec<Node> {
    let mut renderer = Incremental::with_display_budget(budget);
    let mut nodes = Vec::new();
    let mut next_id = 0;
    let mut take = |update: Update, nodes: &mut Vec<Node>| {
        for block in update.closed {
            assert!(block.closed);
            assert_eq!(block.id, next_id, "closed blocks come in order");
            next_id += 1;
            nodes.extend(block.nodes);
        }
        if let Some(tail) = update.tail {
            assert!(!tail.closed);
            assert_eq!(tail.id, next_id, "the tail has the next id");
        }
    };
    for delta in deltas(text, cuts) {
        let update = renderer.push(delta);
        take(update, &mut nodes);
    }
    let update = renderer.finish();
    assert!(update.tail.is_none());
    take(update, &mut nodes);
    assert_eq!(renderer.text(), text);
    assert!(renderer.blocks().iter().all(|block| block.closed));
    let all: Vec<Node> = renderer
        .blocks()
        .iter()
        .flat_map(|block| block.nodes.clone())
        .collect();
    assert_eq!(all, nodes, "blocks() holds what the updates reported");
    nodes
}

/// Every `href` in the tree passes the policy, every `input` is a disabled checkbox, token
/// spans have no attributes and sit in `code`, and MathML holds only MathML with its fixed
/// attribute values.
fn assert_safe(nodes: &[Node]) {
    assert_safe_in(nodes, None);
}

fn assert_safe_in(nodes: &[Node], parent: Option<Tag>) {
    for node in nodes {
        if let Node::Element { tag, attrs, .. } = node {
            if tag.class().is_some() {
                assert!(attrs.is_empty(), "{tag:?} with attributes");
                assert_eq!(parent, Some(Tag::Code), "{tag:?} outside code");
            }
            if parent.is_some_and(Tag::is_mathml) {
                assert!(tag.is_mathml(), "{tag:?} inside math");
            }
            if tag.is_mathml() {
                assert!(*tag == Tag::Math || parent.is_some_and(Tag::is_mathml));
                for (attr, value) in attrs {
                    let allowed: &[&str] = match attr {
                        Attr::Display => &["block"],
                        Attr::MathVariant => &["normal"],
                        Attr::Width => &["0.1667em", "0.2222em", "0.2778em", "1em", "2em"],
                        Attr::LineThickness => &["0"],
                        Attr::Accent => &["true"],
                        _ => &[],
                    };
                    assert!(
                        allowed.contains(&value.as_str()),
                        "{tag:?} {attr:?}={value:?}"
                    );
                }
            }
        }
        if let Node::Element {
            tag,
            attrs,
            children,
        } = node
        {
            for (attr, value) in attrs {
                if *attr == Attr::Href {
                    assert!(is_allowed_href(value), "unsafe href {value:?}");
                    assert_eq!(*tag, Tag::A);
                }
            }
            if *tag == Tag::A {
                assert_eq!(node.attr(Attr::Rel), Some("noopener noreferrer"));
                assert_eq!(node.attr(Attr::Target), Some("_blank"));
            }
            if *tag == Tag::Input {
                assert_eq!(node.attr(Attr::Type), Some("checkbox"));
                assert_eq!(node.attr(Attr::Disabled), Some(""));
                assert!(children.is_empty());
            }
            if let Some(lang) = node.attr(Attr::DataLang) {
                assert!(!lang.is_empty() && lang.len() <= 32);
                assert!(lang
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+-.#".contains(c)));
            }
            assert_safe_in(children, Some(*tag));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn streamed_blocks_concatenate_to_render_for_markdown_like_text(
        text in markdown_like(),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
        budget in prop::sample::select(&[0usize, 2, usize::MAX][..]),
    ) {
        prop_assert_eq!(stream(&text, &cuts, budget), render(&text));
    }

    #[test]
    fn byte_by_byte_streaming_agrees_with_render(text in markdown_like()) {
        let cuts: Vec<Index> = Vec::new();
        let mut renderer = Incremental::new();
        let mut nodes = Vec::new();
        let mut start = 0;
        for (i, _) in text.char_indices().skip(1) {
            nodes.extend(renderer.push(&text[start..i]).closed.into_iter().flat_map(|b| b.nodes));
            start = i;
        }
        nodes.extend(renderer.push(&text[start..]).closed.into_iter().flat_map(|b| b.nodes));
        nodes.extend(renderer.finish().closed.into_iter().flat_map(|b| b.nodes));
        prop_assert_eq!(&nodes, &render(&text));
        prop_assert_eq!(stream(&text, &cuts, 2), nodes);
    }

    #[test]
    fn render_by_blocks_equals_a_whole_document_parse(text in markdown_like_without_definitions()) {
        prop_assert_eq!(render(&text), parse(&text, &RefMap::new()).nodes);
    }

    #[test]
    fn with_an_unlimited_budget_every_tail_is_a_fresh_parse_of_the_open_block(
        text in markdown_like(),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
    ) {
        let mut renderer = Incremental::with_display_budget(usize::MAX);
        for delta in deltas(&text, &cuts) {
            let update = renderer.push(delta);
            let expected = renderer.reparse_open_block();
            prop_assert_eq!(update.tail.map(|tail| tail.nodes), expected);
        }
    }

    #[test]
    fn a_provisional_tail_still_shows_all_of_the_open_text(
        text in markdown_like(),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
    ) {
        // With no budget beyond the slack, long tails are shown from an older parse plus the
        // newer text; no text may go missing from the view.
        let mut renderer = Incremental::with_display_budget(0);
        for delta in deltas(&text, &cuts) {
            let update = renderer.push(delta);
            let shown: String = update.tail.iter().flat_map(|t| &t.nodes).map(Node::text_content).collect();
            let parsed: String = renderer.reparse_open_block().iter().flatten().map(Node::text_content).collect();
            let words = |s: &str| s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect::<Vec<_>>();
            for word in words(&parsed) {
                prop_assert!(shown.contains(&word), "{:?} missing from {:?}", word, shown);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_input_renders_without_panic_and_only_safe_links(text in hostile()) {
        assert_safe(&render(&text));
    }

    #[test]
    fn any_input_streams_to_the_same_nodes_as_render(
        text in hostile(),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
    ) {
        let nodes = stream(&text, &cuts, 2);
        assert_safe(&nodes);
        prop_assert_eq!(nodes, render(&text));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The module's answers decode to exactly the updates the renderer produced, for any
    /// input and any cutting into deltas: the page shows what `render` gives.
    #[test]
    fn every_update_survives_the_wire(
        text in prop_oneof![markdown_like(), hostile()],
        cuts in prop::collection::vec(any::<Index>(), 0..12),
    ) {
        let mut renderer = Incremental::new();
        let mut updates: Vec<Update> = deltas(&text, &cuts).into_iter().map(|d| renderer.push(d)).collect();
        updates.push(renderer.finish());
        for update in updates {
            let mut encoded = String::new();
            wire::encode_update(&update, &mut encoded);
            prop_assert_eq!(wire::decode_update(&encoded), Some(update));
        }
    }
}

/// Openers of every construct that nests, repeated deeply and mixed: block quotes, list
/// markers (bullets, ordered, indented), emphasis, strikethrough, brackets and link
/// openers, code spans, fences and table pipes, with words in between.
fn deeply_nested() -> impl Strategy<Value = String> {
    const OPENERS: &[&str] = &[
        ">",
        "> ",
        "- ",
        "* ",
        "+ ",
        "1. ",
        "2) ",
        "  ",
        "*",
        "**",
        "_",
        "__",
        "~~",
        "[",
        "](",
        "](https://e.x)",
        "![",
        "`",
        "```",
        "|",
        "word",
        " word ",
        "\n",
        "- [ ] ",
        "<div>",
    ];
    prop::collection::vec((prop::sample::select(OPENERS), 1usize..400), 1..6).prop_map(|runs| {
        let mut text = String::new();
        for (opener, n) in runs {
            text.push_str(&opener.repeat(n));
        }
        text.push_str("deep");
        text
    })
}

/// The depth of the deepest element (a top-level element is depth 1), without recursion.
fn tree_depth(nodes: &[Node]) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&Node, usize)> = nodes.iter().map(|n| (n, 1)).collect();
    while let Some((node, d)) = stack.pop() {
        if let Node::Element { children, .. } = node {
            deepest = deepest.max(d);
            stack.extend(children.iter().map(|c| (c, d + 1)));
        }
    }
    deepest
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// However deep the input nests, the tree is at most `MAX_NESTING` deep, stays safe,
    /// survives the wire, and streaming it agrees with rendering it whole.
    #[test]
    fn nesting_is_capped_for_any_input(
        text in deeply_nested(),
        cuts in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        let nodes = render(&text);
        prop_assert!(tree_depth(&nodes) <= MAX_NESTING, "depth {}", tree_depth(&nodes));
        assert_safe(&nodes);
        prop_assert_eq!(stream(&text, &cuts, 2), nodes.clone());
        let mut encoded = String::new();
        let update = Update {
            closed: vec![],
            tail: Some(Block { id: 1, nodes, closed: false }),
            wants_rich: false,
        };
        wire::encode_update(&update, &mut encoded);
        prop_assert_eq!(wire::decode_update(&encoded), Some(update));
    }
}
