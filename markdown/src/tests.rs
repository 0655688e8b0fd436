//! Behaviour of [`super::render`]: the dialect, the safety rules and the block cuts.

use super::*;

fn text(s: &str) -> Node {
    Node::Text(s.to_owned())
}

fn el(tag: Tag, children: Vec<Node>) -> Node {
    Node::element(tag, children)
}

fn el_with(tag: Tag, attrs: &[(Attr, &str)], children: Vec<Node>) -> Node {
    Node::Element {
        tag,
        attrs: attrs.iter().map(|(a, v)| (*a, (*v).to_owned())).collect(),
        children,
    }
}

fn link(href: &str, children: Vec<Node>) -> Node {
    el_with(
        Tag::A,
        &[
            (Attr::Href, href),
            (Attr::Rel, "noopener noreferrer"),
            (Attr::Target, "_blank"),
        ],
        children,
    )
}

/// Every `href` in the tree, depth first.
fn hrefs(nodes: &[Node]) -> Vec<String> {
    let mut out = Vec::new();
    for node in nodes {
        if let Node::Element {
            attrs, children, ..
        } = node
        {
            out.extend(
                attrs
                    .iter()
                    .filter(|(a, _)| *a == Attr::Href)
                    .map(|(_, v)| v.clone()),
            );
            out.extend(hrefs(children));
        }
    }
    out
}

fn all_text(nodes: &[Node]) -> String {
    nodes.iter().map(Node::text_content).collect()
}

#[test]
fn paragraphs_emphasis_and_breaks() {
    assert_eq!(
        render("a *b* **c** ~~d~~ `e`\nf  \ng"),
        vec![el(
            Tag::P,
            vec![
                text("a "),
                el(Tag::Em, vec![text("b")]),
                text(" "),
                el(Tag::Strong, vec![text("c")]),
                text(" "),
                el(Tag::Del, vec![text("d")]),
                text(" "),
                el(Tag::Code, vec![text("e")]),
                text("\nf"),
                el(Tag::Br, vec![]),
                text("g"),
            ]
        )]
    );
}

#[test]
fn headings_quotes_rules_and_ordered_list_start() {
    assert_eq!(
        render("## Title\n\n> quoted\n\n---\n\n3. three\n4. four"),
        vec![
            el(Tag::H2, vec![text("Title")]),
            el(Tag::Blockquote, vec![el(Tag::P, vec![text("quoted")])]),
            el(Tag::Hr, vec![]),
            el_with(
                Tag::Ol,
                &[(Attr::Start, "3")],
                vec![
                    el(Tag::Li, vec![text("three")]),
                    el(Tag::Li, vec![text("four")])
                ]
            ),
        ]
    );
}

#[test]
fn ordered_list_starts_are_written_in_decimal() {
    for (markdown, start) in [
        ("0. zero", Some("0")),
        ("1. one", None),
        ("10. ten", Some("10")),
        ("999999999. nines", Some("999999999")),
    ] {
        let nodes = render(markdown);
        assert_eq!(nodes.len(), 1, "{markdown}");
        assert_eq!(nodes[0].attr(Attr::Start), start, "{markdown}");
    }
}

#[cfg(feature = "rich")] // expects highlighting or math built in
#[test]
fn fenced_code_keeps_its_language_and_text() {
    let nodes = render("```foolang ignore\nfn main() {}\n```\n");
    assert_eq!(
        nodes,
        vec![el_with(
            Tag::Pre,
            &[(Attr::DataLang, "foolang")],
            vec![el(Tag::Code, vec![text("fn main() {}\n")])]
        )]
    );
    // A language rill knows is highlighted; the code's text is the same.
    let nodes = render("```rust ignore\nfn main() {}\n```\n");
    assert_eq!(nodes[0].attr(Attr::DataLang), Some("rust"));
    assert_eq!(nodes[0].text_content(), "fn main() {}\n");
    let Node::Element { children, .. } = &nodes[0] else {
        panic!("pre")
    };
    let Node::Element { children: code, .. } = &children[0] else {
        panic!("code")
    };
    assert_eq!(code[0], el(Tag::TokKeyword, vec![text("fn")]));
    assert_eq!(nodes[0].text_content(), "fn main() {}\n");
}

#[test]
fn code_language_is_cut_at_the_first_unsafe_character() {
    let lang = |md: &str| render(md)[0].attr(Attr::DataLang).map(str::to_owned);
    assert_eq!(lang("```c++\n```").as_deref(), Some("c++"));
    assert_eq!(lang("```c#\n```").as_deref(), Some("c#"));
    assert_eq!(lang("```rust,ignore\n```").as_deref(), Some("rust"));
    assert_eq!(lang("```\"><script>\n```"), None);
    assert_eq!(lang("```\n```"), None);
    assert_eq!(
        lang(&format!("```{}\n```", "x".repeat(100))).map(|l| l.len()),
        Some(32)
    );
}

#[test]
fn tables_have_head_body_and_alignment_classes() {
    assert_eq!(
        render("| a | b |\n|:--|--:|\n| 1 | 2 |"),
        vec![el(
            Tag::Table,
            vec![
                el(
                    Tag::Thead,
                    vec![el(
                        Tag::Tr,
                        vec![
                            el_with(Tag::Th, &[(Attr::Class, CLASS_ALIGN_LEFT)], vec![text("a")]),
                            el_with(
                                Tag::Th,
                                &[(Attr::Class, CLASS_ALIGN_RIGHT)],
                                vec![text("b")]
                            ),
                        ]
                    )]
                ),
                el(
                    Tag::Tbody,
                    vec![el(
                        Tag::Tr,
                        vec![
                            el_with(Tag::Td, &[(Attr::Class, CLASS_ALIGN_LEFT)], vec![text("1")]),
                            el_with(
                                Tag::Td,
                                &[(Attr::Class, CLASS_ALIGN_RIGHT)],
                                vec![text("2")]
                            ),
                        ]
                    )]
                ),
            ]
        )]
    );
}

#[test]
fn task_list_items_get_a_disabled_checkbox() {
    assert_eq!(
        render("- [x] done\n- [ ] todo"),
        vec![el(
            Tag::Ul,
            vec![
                el_with(
                    Tag::Li,
                    &[(Attr::Class, CLASS_TASK)],
                    vec![
                        el_with(
                            Tag::Input,
                            &[
                                (Attr::Type, "checkbox"),
                                (Attr::Disabled, ""),
                                (Attr::Checked, "")
                            ],
                            vec![]
                        ),
                        text("done"),
                    ]
                ),
                el_with(
                    Tag::Li,
                    &[(Attr::Class, CLASS_TASK)],
                    vec![
                        el_with(
                            Tag::Input,
                            &[(Attr::Type, "checkbox"), (Attr::Disabled, "")],
                            vec![]
                        ),
                        text("todo"),
                    ]
                ),
            ]
        )]
    );
}

#[test]
fn web_and_mail_links_are_links_with_safe_attributes() {
    assert_eq!(
        render("[a](HTTPS://example.com \"T\") <mail@example.com> <http://x.example>"),
        vec![el(
            Tag::P,
            vec![
                el_with(
                    Tag::A,
                    &[
                        (Attr::Href, "https://example.com"),
                        (Attr::Rel, "noopener noreferrer"),
                        (Attr::Target, "_blank"),
                        (Attr::Title, "T"),
                    ],
                    vec![text("a")]
                ),
                text(" "),
                link("mailto:mail@example.com", vec![text("mail@example.com")]),
                text(" "),
                link("http://x.example", vec![text("http://x.example")]),
            ]
        )]
    );
}

#[test]
fn script_links_and_relative_links_are_plain_text() {
    for md in [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x]( javascript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\\script:alert(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "[x](vbscript:msgbox(1))",
        "[x](/path)",
        "[x](#x)",
        "[x](//evil.example)",
        "[x]",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ] {
        let nodes = render(md);
        assert!(hrefs(&nodes).is_empty(), "{md:?} gave {nodes:?}");
        assert!(
            all_text(&nodes).starts_with('x') || all_text(&nodes).starts_with("[x]"),
            "{md:?}"
        );
    }
    let nodes = render("<javascript:alert(1)>");
    assert_eq!(nodes, vec![el(Tag::P, vec![text("javascript:alert(1)")])]);
}

#[test]
fn raw_html_is_shown_verbatim_as_text() {
    assert_eq!(
        render("<script>alert(1)</script>"),
        vec![el_with(
            Tag::P,
            &[(Attr::Class, CLASS_RAW_HTML)],
            vec![text("<script>alert(1)</script>")]
        )]
    );
    assert_eq!(
        render("a <img src=x onerror=alert(1)> b <svg onload=alert(1)>"),
        vec![el(
            Tag::P,
            vec![text(
                "a <img src=x onerror=alert(1)> b <svg onload=alert(1)>"
            )]
        )]
    );
    assert_eq!(
        render("<div onclick=\"x()\">\n*not emphasis*\n</div>"),
        vec![el_with(
            Tag::P,
            &[(Attr::Class, CLASS_RAW_HTML)],
            vec![text("<div onclick=\"x()\">\n*not emphasis*\n</div>")]
        )]
    );
}

#[test]
fn entities_become_text_not_markup() {
    assert_eq!(
        render("&lt;script&gt; &amp; &#60;b&#62; &copy;"),
        vec![el(Tag::P, vec![text("<script> & <b> ©")])]
    );
}

#[test]
fn images_become_links_labelled_with_their_alt_text() {
    assert_eq!(
        render("![a *cat*](https://example.com/cat.png \"T\")"),
        vec![el(
            Tag::P,
            vec![el_with(
                Tag::A,
                &[
                    (Attr::Href, "https://example.com/cat.png"),
                    (Attr::Rel, "noopener noreferrer"),
                    (Attr::Target, "_blank"),
                    (Attr::Title, "T"),
                    (Attr::Class, CLASS_IMAGE_LINK),
                ],
                vec![text("a cat")]
            )]
        )]
    );
    assert_eq!(
        render("![](http://x.example/i.png)"),
        vec![el(
            Tag::P,
            vec![el_with(
                Tag::A,
                &[
                    (Attr::Href, "http://x.example/i.png"),
                    (Attr::Rel, "noopener noreferrer"),
                    (Attr::Target, "_blank"),
                    (Attr::Class, CLASS_IMAGE_LINK),
                ],
                vec![text("http://x.example/i.png")]
            )]
        )]
    );
}

#[test]
fn images_with_other_urls_or_inside_links_are_alt_text() {
    assert_eq!(
        render("![alt](data:image/png;base64,AAAA)"),
        vec![el(Tag::P, vec![text("alt")])]
    );
    assert_eq!(
        render("![alt](/local.png)"),
        vec![el(Tag::P, vec![text("alt")])]
    );
    assert_eq!(
        render("[![alt](https://x.example/i.png)](https://y.example)"),
        vec![el(
            Tag::P,
            vec![link("https://y.example", vec![text("alt")])]
        )]
    );
}

#[test]
fn a_reference_defined_in_an_earlier_block_resolves() {
    assert_eq!(
        render("[docs]: https://example.com/docs\n\nSee [the docs][DOCS] and [docs]."),
        vec![el(
            Tag::P,
            vec![
                text("See "),
                link("https://example.com/docs", vec![text("the docs")]),
                text(" and "),
                link("https://example.com/docs", vec![text("docs")]),
                text("."),
            ]
        )]
    );
}

#[test]
fn a_label_from_an_earlier_block_matches_by_case_folding_as_the_parser_does() {
    // Unicode case folding (CommonMark's rule, and pulldown-cmark's within a block): `ß`
    // folds to `ss`, so `STRASSE` names `straße`, in one block and across blocks alike.
    let one_block = render(
        "[straße]: https://example.com/s
[x][STRASSE]",
    );
    let two_blocks = render(
        "[straße]: https://example.com/s

[x][STRASSE]",
    );
    assert_eq!(hrefs(&one_block), vec!["https://example.com/s".to_owned()]);
    assert_eq!(hrefs(&two_blocks), hrefs(&one_block));
    // Final sigma: lower-casing gives `ς` at a word's end, folding `σ` everywhere.
    let sigma = render(
        "[ΟΔΟΣ]: https://example.com/o

[x][οδοσ]",
    );
    assert_eq!(hrefs(&sigma), vec!["https://example.com/o".to_owned()]);
}

#[test]
fn a_reference_defined_in_a_later_block_stays_literal() {
    // The documented exception: the first block is final before the definition arrives.
    assert_eq!(
        render("See [docs].\n\n[docs]: https://example.com/docs"),
        vec![el(Tag::P, vec![text("See [docs].")])]
    );
    // Within one block the definition may follow its use, as in CommonMark.
    assert_eq!(
        render("- See [docs].\n\n- [docs]: https://example.com/docs"),
        render("- See [docs].\n\n- [docs]: https://example.com/docs\n")
    );
    assert_eq!(
        hrefs(&render(
            "- See [docs].\n\n- [docs]: https://example.com/docs"
        )),
        vec!["https://example.com/docs".to_owned()]
    );
}

#[test]
fn the_first_definition_of_a_label_wins_across_blocks() {
    let nodes = render("[a]: https://one.example\n\n[a]: https://two.example\n\n[a]");
    assert_eq!(hrefs(&nodes), vec!["https://one.example".to_owned()]);
}

#[test]
fn a_definition_in_the_same_block_wins_over_an_earlier_blocks() {
    // The documented exception: a whole-document parse would use the first definition.
    let nodes = render("[a]: https://one.example\n\n[a]: https://two.example\n[a]");
    assert_eq!(hrefs(&nodes), vec!["https://two.example".to_owned()]);
}

#[test]
fn crlf_line_endings_render_like_lf() {
    let lf = "# T\n\npara\nline\n\n- a\n- b\n\n```py\nx = 1\n```\n\n| a |\n|---|\n| 1 |\n";
    assert_eq!(render(&lf.replace('\n', "\r\n")), render(lf));
}

#[test]
fn empty_and_blank_input_render_nothing() {
    assert_eq!(render(""), vec![]);
    assert_eq!(render("\n\n  \n"), vec![]);
}

/// The tags in the tree, depth first.
fn tags(nodes: &[Node]) -> Vec<Tag> {
    let mut out = Vec::new();
    for node in nodes {
        if let Node::Element { tag, children, .. } = node {
            out.push(*tag);
            out.extend(tags(children));
        }
    }
    out
}

#[cfg(feature = "rich")] // expects highlighting or math built in
#[test]
fn dollar_math_follows_pulldown_cmark_and_prices_stay_text() {
    let nodes = render("costs $5 and $10.");
    assert!(!tags(&nodes).contains(&Tag::Math));
    assert_eq!(all_text(&nodes), "costs $5 and $10.");
    let nodes = render("area $\\pi r^2$ and\n\n$$\\sum_i x_i$$");
    let math: Vec<&Node> = nodes
        .iter()
        .flat_map(|p| match p {
            Node::Element { children, .. } => children
                .iter()
                .filter(|c| matches!(c, Node::Element { tag: Tag::Math, .. }))
                .collect(),
            Node::Text(_) => vec![],
        })
        .collect();
    assert_eq!(math.len(), 2);
    assert_eq!(math[0].attr(Attr::Display), None);
    assert_eq!(math[1].attr(Attr::Display), Some("block"));
    assert!(!tags(&render("a \\$5 b $")).contains(&Tag::Math));
}

#[cfg(feature = "rich")] // expects highlighting or math built in
#[test]
fn backslash_delimiters_are_math_though_markdown_reads_them_as_escapes() {
    let nodes = render("so \\(x^2\\) and \\[\\frac{a}{b}\\] done");
    let t = tags(&nodes);
    assert_eq!(t.iter().filter(|t| **t == Tag::Math).count(), 2);
    assert!(t.contains(&Tag::Msup) && t.contains(&Tag::Mfrac));
    assert_eq!(all_text(&nodes), "so x2 and ab done");
    // The TeX is taken raw: emphasis markers and escapes inside stay TeX.
    let nodes = render("\\(a*b*c \\{x\\}\\)");
    assert!(!tags(&nodes).contains(&Tag::Em));
    assert_eq!(all_text(&nodes), "a∗b∗c{x}");
    // A line break's container prefix is not part of the formula.
    let nodes = render("> \\[ a\n> = b \\]");
    assert_eq!(all_text(&nodes), "a=b");
    // An escaped backslash before `(` is no delimiter, nor is an unclosed opener.
    assert!(!tags(&render("x \\\\(y\\\\)")).contains(&Tag::Math));
    assert_eq!(all_text(&render("\\(open")), "(open");
    // Code keeps its backslashes.
    assert_eq!(all_text(&render("`\\(x\\)`")), "\\(x\\)");
}

#[test]
fn math_never_links_and_shows_unknown_commands() {
    let nodes = render("$\\href{javascript:alert(1)}{x}$ \\(\\url{javascript:x}\\) $\\foo$");
    assert!(hrefs(&nodes).is_empty());
    assert!(!tags(&nodes).contains(&Tag::A));
    let text = all_text(&nodes);
    assert!(text.contains("\\href{javascript:alert(1)}{x}"), "{text}");
    assert!(text.contains("\\foo"), "{text}");
}

#[cfg(feature = "rich")] // expects highlighting or math built in
#[test]
fn an_unclosed_display_formula_streams_as_source() {
    let mut renderer = Incremental::new();
    let update = renderer.push("$$\\frac{a}{b}");
    let tail = update.tail.map(|t| t.nodes).unwrap_or_default();
    assert!(!tags(&tail).contains(&Tag::Math));
    assert_eq!(all_text(&tail), "$$\\frac{a}{b}");
    let update = renderer.push("$$");
    let tail = update.tail.map(|t| t.nodes).unwrap_or_default();
    assert!(tags(&tail).contains(&Tag::Mfrac));
}

#[cfg(feature = "rich")] // expects highlighting or math built in
#[test]
fn an_open_code_block_is_highlighted_as_it_grows() {
    let mut renderer = Incremental::new();
    renderer.push("```python\ndef f");
    let update = renderer.push("():\n    return 1\n");
    let tail = update.tail.map(|t| t.nodes).unwrap_or_default();
    let t = tags(&tail);
    assert!(
        t.contains(&Tag::TokKeyword)
            && t.contains(&Tag::TokFunction)
            && t.contains(&Tag::TokNumber)
    );
    assert_eq!(Some(tail), renderer.reparse_open_block());
}
