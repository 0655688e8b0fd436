//! Streaming rendering: a reply arrives in deltas and is shown as blocks, most of them final.
//!
//! Owns [`Incremental`]: the text so far, the closed blocks, and the open last block (the
//! tail). Complete lines go through the [`Splitter`] once; when it cuts, the finished block
//! is parsed once and never again. Only the tail is shown again on each delta, and how often
//! it is re-parsed is rationed (see [`DEFAULT_DISPLAY_BUDGET`]), so the parsing work for a
//! whole reply stays linear in its length. It must not touch the DOM.
//!
//! Two choices keep long tails cheap:
//! - A fenced code block that opened its block in column 0 and is still open is not parsed
//!   while it streams: its code text is extended with each delta (`\r\n` becomes `\n`, as the
//!   parser does) inside the `pre > code` shell parsed from its opening line. It is parsed
//!   once when it closes.
//! - When re-parsing the tail would exceed the budget, the tail shows the nodes of its last
//!   parse with the newer text appended, unformatted, to the last element. All text is
//!   always shown; only its formatting can lag, and it catches up at the next parse and
//!   always when the block closes.

use super::blocks::{Boundary, Splitter};
use super::convert::{parse, top_level_block_starts_at, Parsed, RefMap};
use super::lang::Lang;
use super::node::{push_text, Attr, Node, Tag};
use super::rich::{self, OpenCode};

/// How many bytes re-parsing the tail may cost in total, per byte of text received (plus a
/// fixed [`DISPLAY_SLACK`] so that short replies are always fully formatted). With the one
/// parse of each closed block, a reply is parsed at most about `1 + budget` times over, plus
/// at most 3 times over for blocks whose cuts the splitter leaves to the parser.
///
/// The trade-off, measured on a 20,000-token chat-like reply (paragraphs, lists, tables,
/// code; about 4 bytes per token): budget 2 parses 3.0 times the text, and the tail's
/// formatting lags behind its text on a third of the deltas, by 90 bytes on average; budget
/// 8 parses 8.8 times the text and lags on a fifth, by 25 bytes; an unlimited budget
/// re-parses the tail on every delta, 25 times the text, and never lags.
pub const DEFAULT_DISPLAY_BUDGET: usize = 2;

/// Bytes of tail re-parsing that are always allowed, on top of the per-byte budget.
pub const DISPLAY_SLACK: usize = 4096;

/// A top-level part of the reply: one or more markdown blocks that render on their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Stable and increasing: the open tail keeps its id when it closes.
    pub id: u64,
    pub nodes: Vec<Node>,
    /// A closed block never changes again.
    pub closed: bool,
}

/// What changed after a delta.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Update {
    /// Newly closed blocks, in order; they never change again.
    pub closed: Vec<Block>,
    /// The open last block, re-rendered; `None` if no text follows the closed blocks.
    pub tail: Option<Block>,
    /// Code or math was shown plain because the code-and-math module was not there (see
    /// `rich.rs`): rendered again once it is, this text would look different.
    pub wants_rich: bool,
}

/// The last parse of the tail, kept to show it when a re-parse is not allowed and to reuse
/// when the block closes at exactly that length.
#[derive(Debug, Clone)]
struct TailParse {
    block_start: usize,
    end: usize,
    parsed: Parsed,
}

/// An open fenced code block shown without parsing.
#[derive(Debug, Clone)]
struct FenceView {
    block_start: usize,
    /// The `pre > code` element parsed from the opening line, with no code text.
    shell: Node,
    /// `text[..converted]` is in `code`.
    converted: usize,
    code: String,
    /// Highlights the code as it grows, if the fence names a language rill knows.
    highlighter: Option<OpenCode>,
}

/// Renders a markdown reply as it streams in.
///
/// For any text and any way of cutting it into deltas, the nodes of all closed blocks (those
/// reported in [`Update::closed`], including by [`Incremental::finish`]) concatenate to
/// [`super::render`] of the whole text.
#[derive(Debug, Clone)]
pub struct Incremental {
    text: String,
    /// `text[..scanned]` has been cut into lines and shown to the splitter.
    scanned: usize,
    /// `text[scanned..search_from]` has no line end.
    search_from: usize,
    block_start: usize,
    splitter: Splitter,
    /// The opening line of the open block's fenced code block (start, end), if it has one.
    fence_line: Option<(usize, usize)>,
    /// The closed blocks, then the open tail if there is one.
    blocks: Vec<Block>,
    next_id: u64,
    /// Link reference definitions of the closed blocks; the first definition of a label wins.
    refs: RefMap,
    tail_parse: Option<TailParse>,
    fence_view: Option<FenceView>,
    parsed_bytes: usize,
    display_parsed: usize,
    display_budget: usize,
    finished: bool,
}

impl Default for Incremental {
    fn default() -> Self {
        Incremental::with_display_budget(DEFAULT_DISPLAY_BUDGET)
    }
}

impl Incremental {
    /// A renderer with the [`DEFAULT_DISPLAY_BUDGET`].
    pub fn new() -> Self {
        Incremental::default()
    }

    /// A renderer whose tail re-parses may cost `budget` bytes per byte of text (plus
    /// [`DISPLAY_SLACK`]); `usize::MAX` re-parses the tail on every delta. Closed blocks and
    /// the final result do not depend on it.
    pub fn with_display_budget(budget: usize) -> Self {
        Incremental {
            text: String::new(),
            scanned: 0,
            search_from: 0,
            block_start: 0,
            splitter: Splitter::default(),
            fence_line: None,
            blocks: Vec::new(),
            next_id: 0,
            refs: RefMap::new(),
            tail_parse: None,
            fence_view: None,
            parsed_bytes: 0,
            display_parsed: 0,
            display_budget: budget,
            finished: false,
        }
    }

    /// Appends streamed text. The work is proportional to the delta, plus the blocks it
    /// closes (each parsed once), plus the tail (copied, and re-parsed when the budget
    /// allows). After [`Incremental::finish`] it does nothing.
    pub fn push(&mut self, delta: &str) -> Update {
        if self.finished {
            return Update::default();
        }
        rich::take_wanted();
        self.drop_open_tail();
        let first_new = self.blocks.len();
        self.advance(delta);
        let closed = self.blocks[first_new..].to_vec();
        let tail = self.show_tail();
        if let Some(tail) = &tail {
            self.blocks.push(tail.clone());
        }
        Update {
            closed,
            tail,
            wants_rich: rich::take_wanted(),
        }
    }

    /// Ends the stream: the tail is parsed as final and reported as the last closed block.
    pub fn finish(&mut self) -> Update {
        if self.finished {
            return Update::default();
        }
        rich::take_wanted();
        self.drop_open_tail();
        let first_new = self.blocks.len();
        self.close_stream();
        Update {
            closed: self.blocks[first_new..].to_vec(),
            tail: None,
            wants_rich: rich::take_wanted(),
        }
    }

    /// All text received so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// All blocks so far: the closed ones, then the open tail if there is one.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// How many bytes have been handed to the markdown parser so far, over all parses of
    /// closed blocks, of the tail and of cut decisions: the measure of the renderer's work.
    pub fn parsed_bytes(&self) -> usize {
        self.parsed_bytes
    }

    /// Takes the whole text at once and returns the nodes of all blocks: [`super::render`].
    pub(crate) fn render_all(markdown: &str) -> Vec<Node> {
        let mut renderer = Incremental::new();
        renderer.advance(markdown);
        renderer.close_stream();
        renderer
            .blocks
            .into_iter()
            .flat_map(|block| block.nodes)
            .collect()
    }

    /// A fresh parse of the open block's text with the definitions of the closed blocks:
    /// what the tail shows when the budget allows.
    #[cfg(test)]
    pub(crate) fn reparse_open_block(&self) -> Option<Vec<Node>> {
        (self.block_start < self.text.len())
            .then(|| parse(&self.text[self.block_start..], &self.refs).nodes)
    }

    fn drop_open_tail(&mut self) {
        if self.blocks.last().is_some_and(|block| !block.closed) {
            self.blocks.pop();
        }
    }

    /// Appends `delta` and closes every block that the complete lines (and the first byte
    /// of a partial line) end.
    fn advance(&mut self, delta: &str) {
        self.text.push_str(delta);
        while let Some(offset) = self.text[self.search_from..].find('\n') {
            let line_end = self.search_from + offset + 1;
            self.take_line(self.scanned, line_end);
            self.scanned = line_end;
            self.search_from = line_end;
        }
        self.search_from = self.text.len();
        if let Some(&first) = self.text.as_bytes().get(self.scanned) {
            if self.splitter.boundary_before_line_starting(first) {
                self.close_block(self.scanned);
            }
        }
    }

    /// The final partial line is a line too; then everything left is the last block.
    fn close_stream(&mut self) {
        if self.scanned < self.text.len() {
            self.take_line(self.scanned, self.text.len());
            self.scanned = self.text.len();
        }
        if self.block_start < self.text.len() {
            self.close_block(self.text.len());
        }
        self.finished = true;
    }

    /// Shows the complete line `text[start..end]` to the splitter, closing the open block
    /// before it if the splitter (or the parser it defers to) says so.
    fn take_line(&mut self, start: usize, end: usize) {
        let boundary = self
            .splitter
            .boundary_before(line_content(&self.text[start..end]), end - self.block_start);
        let cut = match boundary {
            Boundary::None => false,
            Boundary::Before => true,
            Boundary::AskParser => {
                let block = &self.text[self.block_start..end];
                self.parsed_bytes += block.len();
                top_level_block_starts_at(block, start - self.block_start)
            }
        };
        if cut {
            self.close_block(start);
        }
        let was_in_fence = self.splitter.in_opening_fence();
        self.splitter.consume(line_content(&self.text[start..end]));
        if !was_in_fence && self.splitter.in_opening_fence() {
            self.fence_line = Some((start, end));
        }
    }

    /// Closes the open block at `end`: parses it (or reuses a parse of exactly that text),
    /// keeps its reference definitions for later blocks and starts a new block at `end`.
    fn close_block(&mut self, end: usize) {
        let start = self.block_start;
        let parsed = match self.tail_parse.take() {
            Some(done) if done.block_start == start && done.end == end => done.parsed,
            _ => {
                self.parsed_bytes += end - start;
                parse(&self.text[start..end], &self.refs)
            }
        };
        for (label, dest, title) in parsed.defs {
            self.refs.entry(label).or_insert((dest, title));
        }
        self.blocks.push(Block {
            id: self.next_id,
            nodes: parsed.nodes,
            closed: true,
        });
        self.next_id += 1;
        self.block_start = end;
        self.splitter = Splitter::default();
        self.fence_line = None;
        self.fence_view = None;
    }

    /// The open tail, rendered for display.
    fn show_tail(&mut self) -> Option<Block> {
        if self.block_start >= self.text.len() {
            return None;
        }
        let nodes = match self.open_fence_nodes() {
            Some(nodes) => nodes,
            None => self.reparsed_or_provisional_nodes(),
        };
        Some(Block {
            id: self.next_id,
            nodes,
            closed: false,
        })
    }

    /// The nodes of an open fenced code block that opened the tail, without parsing it.
    fn open_fence_nodes(&mut self) -> Option<Vec<Node>> {
        let partial = &self.text[self.scanned..];
        if !self.splitter.in_opening_fence()
            || partial.contains('\r')
            || self.splitter.closes_open_fence(partial)
        {
            // A partial last line that would close the fence closes it if the text ends
            // there, and the parser reads a `\r` in it in more than one way: the parse shows
            // what it does.
            return None;
        }
        let (line_start, line_end) = self.fence_line?;
        if self
            .fence_view
            .as_ref()
            .is_none_or(|view| view.block_start != self.block_start)
        {
            self.parsed_bytes += line_end - line_start;
            let shell = parse(&self.text[line_start..line_end], &RefMap::new()).nodes;
            let [shell] = <[Node; 1]>::try_from(shell).ok()?;
            if !is_empty_code_block(&shell) {
                return None;
            }
            let highlighter = shell
                .attr(Attr::DataLang)
                .and_then(|name| Some(OpenCode::new(Lang::from_name(name)?, name)));
            self.fence_view = Some(FenceView {
                block_start: self.block_start,
                shell,
                converted: line_end,
                code: String::new(),
                highlighter,
            });
        }
        let view = self.fence_view.as_mut()?;
        // Complete lines end in `\n` or `\r\n` (a lone `\r` would have made the block
        // uncertain) and the partial line has no `\r`, so no `\r\n` is split here.
        view.code
            .push_str(&self.text[view.converted..].replace("\r\n", "\n"));
        view.converted = self.text.len();
        let mut code = view.code.clone();
        // The parser drops a last line of one to three spaces at the end of the text (it
        // reads it as a closing fence with nothing after it), so the view does too.
        let partial = &self.text[self.scanned..];
        if (1..=3).contains(&partial.len()) && partial.bytes().all(|b| b == b' ') {
            code.truncate(code.len() - partial.len());
        }
        let mut pre = view.shell.clone();
        if let Node::Element { children, .. } = &mut pre {
            if let Some(Node::Element {
                children: code_children,
                ..
            }) = children.first_mut()
            {
                match view.highlighter.as_mut() {
                    // Finished lines are highlighted once; only the last line is new work.
                    Some(highlighter) => *code_children = highlighter.view(&code),
                    None => push_text(code_children, &code),
                }
            }
        }
        Some(vec![pre])
    }

    /// The tail parsed afresh if the budget allows, else its last parse with the newer text
    /// appended unformatted.
    fn reparsed_or_provisional_nodes(&mut self) -> Vec<Node> {
        let start = self.block_start;
        let end = self.text.len();
        if let Some(done) = &self.tail_parse {
            if done.block_start == start && done.end == end {
                return done.parsed.nodes.clone();
            }
        }
        let allowance = self
            .display_budget
            .saturating_mul(self.text.len())
            .saturating_add(DISPLAY_SLACK);
        if self.display_parsed.saturating_add(end - start) <= allowance {
            self.display_parsed += end - start;
            self.parsed_bytes += end - start;
            let parsed = parse(&self.text[start..end], &self.refs);
            let nodes = parsed.nodes.clone();
            self.tail_parse = Some(TailParse {
                block_start: start,
                end,
                parsed,
            });
            return nodes;
        }
        match &self.tail_parse {
            Some(done) if done.block_start == start => {
                let mut nodes = done.parsed.nodes.clone();
                append_unformatted(&mut nodes, &self.text[done.end..end]);
                nodes
            }
            _ => vec![Node::element(
                Tag::P,
                vec![Node::Text(self.text[start..end].to_owned())],
            )],
        }
    }
}

/// A line without its line ending (`\n` or `\r\n`; a final `\r` at the end of the text).
fn line_content(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Whether `node` is `pre > code` with no text: what a fence's opening line parses to.
fn is_empty_code_block(node: &Node) -> bool {
    match node {
        Node::Element {
            tag: Tag::Pre,
            children,
            ..
        } => matches!(
            children.as_slice(),
            [Node::Element { tag: Tag::Code, children, .. }] if children.is_empty()
        ),
        _ => false,
    }
}

/// Appends `raw` as text to the innermost last element of `nodes` (a new paragraph if the
/// last node cannot hold text).
fn append_unformatted(nodes: &mut Vec<Node>, raw: &str) {
    if raw.is_empty() {
        return;
    }
    match nodes.last_mut() {
        Some(Node::Element { tag, children, .. }) if !tag.is_void() => append_inside(children, raw),
        _ => nodes.push(Node::element(Tag::P, vec![Node::Text(raw.to_owned())])),
    }
}

fn append_inside(children: &mut Vec<Node>, raw: &str) {
    match children.last_mut() {
        Some(Node::Element {
            tag,
            children: inner,
            ..
        }) if !tag.is_void() => append_inside(inner, raw),
        _ => push_text(children, raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render;

    /// A small deterministic generator, so the cost figures are the same on every run.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, below: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % below
        }
    }

    const WORDS: &[&str] = &[
        "the",
        "stream",
        "renders",
        "each",
        "token",
        "as",
        "it",
        "arrives",
        "and",
        "a",
        "block",
        "closes",
        "when",
        "blank",
        "line",
        "follows",
        "so",
        "cost",
        "stays",
        "linear",
        "in",
        "reply",
        "length",
        "**bold**",
        "`code`",
        "*emphasis*",
        "[docs](https://example.com/x)",
    ];

    /// A chat-like reply cut into tokens of about four bytes (one word and its space, or a
    /// piece of a code line): paragraphs, lists, headings, tables and code blocks.
    fn chat_reply_tokens(tokens: usize) -> Vec<String> {
        let mut rng = Lcg(7);
        let mut out: Vec<String> = Vec::new();
        let words = |rng: &mut Lcg, n: usize, out: &mut Vec<String>| {
            for _ in 0..n {
                out.push(format!("{} ", WORDS[rng.next(WORDS.len())]));
            }
        };
        while out.len() < tokens {
            match rng.next(6) {
                0 | 1 => {
                    let n = 30 + rng.next(60);
                    words(&mut rng, n, &mut out);
                    out.push("\n\n".into());
                }
                2 => {
                    for i in 0..3 + rng.next(5) {
                        out.push(if i % 2 == 0 {
                            "- ".into()
                        } else {
                            "1. ".into()
                        });
                        let n = 5 + rng.next(10);
                        words(&mut rng, n, &mut out);
                        out.push("\n".into());
                    }
                    out.push("\n".into());
                }
                3 => {
                    out.push("```rust\n".into());
                    for _ in 0..5 + rng.next(35) {
                        let line = "    let value = compute(input, 42);\n";
                        let mut rest = line;
                        while !rest.is_empty() {
                            let cut = rest.len().min(4);
                            out.push(rest[..cut].to_owned());
                            rest = &rest[cut..];
                        }
                    }
                    out.push("```\n\n".into());
                }
                4 => {
                    out.push("## ".into());
                    words(&mut rng, 4, &mut out);
                    out.push("\n\n".into());
                }
                _ => {
                    out.push("| name | value |\n|---|--:|\n".into());
                    for _ in 0..2 + rng.next(6) {
                        out.push("| ".into());
                        words(&mut rng, 2, &mut out);
                        out.push("| 12 |\n".into());
                    }
                    out.push("\n".into());
                }
            }
        }
        out.truncate(tokens);
        out
    }

    /// Streams the tokens; returns the renderer after `finish` and all closed nodes.
    fn stream(tokens: &[String]) -> (Incremental, Vec<Node>) {
        let mut renderer = Incremental::new();
        let mut nodes = Vec::new();
        for token in tokens {
            nodes.extend(
                renderer
                    .push(token)
                    .closed
                    .into_iter()
                    .flat_map(|b| b.nodes),
            );
        }
        nodes.extend(renderer.finish().closed.into_iter().flat_map(|b| b.nodes));
        (renderer, nodes)
    }

    #[test]
    fn a_20000_token_chat_reply_is_parsed_less_than_four_times_over() {
        let tokens = chat_reply_tokens(20_000);
        let (renderer, nodes) = stream(&tokens);
        let len = renderer.text().len();
        let parsed = renderer.parsed_bytes();
        // What re-parsing the whole text on every token would cost.
        let mut whole = 0usize;
        let mut so_far = 0usize;
        for token in &tokens {
            so_far += token.len();
            whole += so_far;
        }
        eprintln!(
            "chat reply: {} tokens, {len} bytes, {} blocks, parsed {parsed} bytes = {:.2}x \
             (re-parsing everything: {:.0}x)",
            tokens.len(),
            renderer.blocks().len(),
            parsed as f64 / len as f64,
            whole as f64 / len as f64,
        );
        assert!(parsed < 4 * len, "parsed {parsed} bytes of {len}");
        assert!(whole > 1000 * len);
        assert_eq!(nodes, render(renderer.text()));
    }

    #[test]
    fn a_long_code_block_streams_without_being_re_parsed() {
        let mut tokens = vec!["Here:\n\n".to_owned(), "```python\n".to_owned()];
        while tokens.len() < 20_000 {
            tokens.push("x = ".into());
            tokens.push("1\r\n".into());
        }
        let mut renderer = Incremental::new();
        let mut last_tail = None;
        for token in &tokens {
            last_tail = renderer.push(token).tail;
        }
        let while_open = renderer.parsed_bytes();
        let len = renderer.text().len();
        eprintln!("open fence: {len} bytes, parsed {while_open} bytes while streaming");
        assert!(
            while_open < 100,
            "parsed {while_open} bytes while the fence was open"
        );
        // Past `OPEN_HIGHLIGHT_LIMIT` the open code is shown unhighlighted: the same text.
        let text = |nodes: &[Node]| nodes.iter().map(Node::text_content).collect::<String>();
        let tail = last_tail.map(|tail| text(&tail.nodes));
        assert_eq!(
            tail,
            renderer.reparse_open_block().map(|nodes| text(&nodes))
        );
        renderer.finish();
        assert!(renderer.parsed_bytes() < 2 * len);
    }

    #[test]
    fn a_single_huge_paragraph_stays_linear() {
        let tokens: Vec<String> = (0..20_000).map(|i| format!("w{} ", i % 10)).collect();
        let (renderer, _) = stream(&tokens);
        let len = renderer.text().len();
        eprintln!(
            "one paragraph: {len} bytes, parsed {} bytes",
            renderer.parsed_bytes()
        );
        assert!(renderer.parsed_bytes() < 4 * len);
    }

    #[test]
    fn closed_blocks_keep_their_ids_and_the_tail_takes_the_next_one() {
        let mut renderer = Incremental::new();
        let update = renderer.push("one\n\ntw");
        assert_eq!(update.closed.len(), 1);
        assert_eq!(update.closed[0].id, 0);
        assert_eq!(update.tail.as_ref().map(|t| t.id), Some(1));
        let update = renderer.push("o\n\n```\nco");
        assert_eq!(
            update.closed.iter().map(|b| b.id).collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(update.tail.as_ref().map(|t| t.id), Some(2));
        assert_eq!(renderer.blocks().len(), 3);
        let update = renderer.finish();
        assert_eq!(
            update.closed.iter().map(|b| b.id).collect::<Vec<_>>(),
            vec![2]
        );
        assert!(update.tail.is_none());
        assert!(renderer.blocks().iter().all(|b| b.closed));
    }

    #[test]
    fn the_tail_shows_an_open_fence_as_code_while_it_streams() {
        let mut renderer = Incremental::new();
        renderer.push("```text\nlet a");
        let update = renderer.push(" = 1;\r\nlet b");
        assert_eq!(
            update.tail.map(|t| t.nodes),
            Some(vec![Node::Element {
                tag: Tag::Pre,
                attrs: vec![(crate::Attr::DataLang, "text".to_owned())],
                children: vec![Node::element(
                    Tag::Code,
                    vec![Node::Text("let a = 1;\nlet b".to_owned())]
                )],
            }])
        );
    }

    #[test]
    fn over_budget_the_tail_appends_new_text_unformatted() {
        let mut renderer = Incremental::with_display_budget(0);
        let long = "word ".repeat(1000);
        renderer.push(&long);
        let update = renderer.push("and *more*");
        let tail = update.tail.map(|t| t.nodes).unwrap_or_default();
        let shown: String = tail.iter().map(Node::text_content).collect();
        assert!(shown.ends_with("and *more*"), "{shown:?}");
        let update = renderer.finish();
        let last = update
            .closed
            .last()
            .map(|b| b.nodes.clone())
            .unwrap_or_default();
        assert_eq!(last, render(renderer.text()));
    }

    #[test]
    fn pushing_after_finish_changes_nothing() {
        let mut renderer = Incremental::new();
        renderer.push("a");
        renderer.finish();
        assert_eq!(renderer.push("b"), Update::default());
        assert_eq!(renderer.finish(), Update::default());
        assert_eq!(renderer.text(), "a");
    }

    #[test]
    fn an_empty_stream_has_no_blocks() {
        let mut renderer = Incremental::new();
        assert_eq!(renderer.push(""), Update::default());
        assert_eq!(renderer.finish(), Update::default());
        assert!(renderer.blocks().is_empty());
    }
}
