//! Hostile nesting is bounded: a reply of 100,000 openers of any nestable kind renders
//! without overflowing the stack, its tree is at most a fixed depth deep, and it survives the
//! wire (whose decoder refuses trees deeper than `wire::MAX_DEPTH`).
//!
//! Every walk over a tree here is iterative, so the test itself cannot overflow on a tree
//! that the renderer failed to bound.

use rill_markdown::service::Renderers;
use rill_markdown::wire::{decode_update, Op};
use rill_markdown::{render, Incremental, Node, MAX_NESTING};

/// The depth of the deepest element in `nodes` (a top-level element is depth 1).
fn depth(nodes: &[Node]) -> usize {
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

/// All text in `nodes`, in document order.
fn text(nodes: &[Node]) -> String {
    let mut out = String::new();
    let mut stack: Vec<&Node> = nodes.iter().rev().collect();
    while let Some(node) = stack.pop() {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Element { children, .. } => stack.extend(children.iter().rev()),
        }
    }
    out
}

/// Frees a tree without recursion (the derived drop of a deep `Node` recurses).
fn free(nodes: Vec<Node>) {
    let mut stack = nodes;
    while let Some(node) = stack.pop() {
        if let Node::Element { children, .. } = node {
            stack.extend(children);
        }
    }
}

const N: usize = 100_000;

/// Each hostile reply: an opener repeated `N` times, then a word that must stay visible.
fn hostile() -> Vec<(&'static str, String)> {
    vec![
        ("block quotes", format!("{}deep", ">".repeat(N))),
        ("spaced block quotes", format!("{}deep", "> ".repeat(N))),
        ("nested list markers", format!("{}deep", "- ".repeat(N))),
        ("ordered list markers", format!("{}deep", "1. ".repeat(N))),
        (
            "indented lists",
            (0..2_000)
                .map(|i| format!("{}- deep\n", "  ".repeat(i)))
                .collect(),
        ),
        ("emphasis openers", format!("{}deep", "*".repeat(N))),
        ("underscore openers", format!("{}deep", "_".repeat(N))),
        (
            "closed emphasis",
            format!("{}deep{}", "*a ".repeat(N / 4), " a*".repeat(N / 4)),
        ),
        ("brackets", format!("{}deep", "[".repeat(N))),
        (
            "nested links",
            format!(
                "{}deep{}",
                "[".repeat(N / 4),
                "](https://e.x)".repeat(N / 4)
            ),
        ),
        ("backticks", format!("a {}deep", "`".repeat(N))),
        ("mixed", format!("{}deep", "> - *[_`".repeat(N / 8))),
    ]
}

#[test]
fn deep_nesting_is_capped_and_keeps_its_text() {
    for (what, input) in hostile() {
        let nodes = render(&input);
        let d = depth(&nodes);
        assert!(d <= MAX_NESTING, "{what}: depth {d} > {MAX_NESTING}");
        assert!(text(&nodes).contains("deep"), "{what}: the text was lost");
        free(nodes);
    }
}

#[test]
fn deep_nesting_streams_through_the_module_and_decodes() {
    for (what, input) in hostile() {
        let mut renderers = Renderers::new();
        // Streamed in a few large pieces, then finished, as the page sends a long reply.
        let cut = input.len() / 2;
        let (a, b) = input.split_at(cut);
        for (op, piece) in [(Op::Push, a), (Op::Finish, b)] {
            let answer = renderers.handle(1, op, piece).expect("an answer");
            let update = decode_update(&answer)
                .unwrap_or_else(|| panic!("{what}: the answer does not decode"));
            for block in update.closed.into_iter().chain(update.tail) {
                let d = depth(&block.nodes);
                assert!(d <= MAX_NESTING, "{what}: depth {d}");
                free(block.nodes);
            }
        }
        renderers.handle(1, Op::Drop, "");
    }
}

#[test]
fn an_incremental_renderer_of_deep_text_can_be_dropped() {
    let mut r = Incremental::new();
    let input = format!("{}deep", ">".repeat(N));
    for chunk in input.as_bytes().chunks(4096) {
        let update = r.push(std::str::from_utf8(chunk).expect("ascii"));
        free(update.closed.into_iter().flat_map(|b| b.nodes).collect());
        free(update.tail.map(|b| b.nodes).unwrap_or_default());
    }
    let end = r.finish();
    free(end.closed.into_iter().flat_map(|b| b.nodes).collect());
    drop(r);
}

#[test]
fn nesting_up_to_the_cap_is_kept_as_structure() {
    let input = format!("{}deep", "> ".repeat(MAX_NESTING - 1));
    let nodes = render(&input);
    // MAX_NESTING - 1 block quotes and the paragraph inside the innermost.
    assert_eq!(depth(&nodes), MAX_NESTING);
}
