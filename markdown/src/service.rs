//! The markdown module's work: one streaming renderer per message id, driven by [`Op`]s,
//! answering with encoded updates.
//!
//! Owns the renderers' lifetimes: created by the first [`Op::Push`] or [`Op::Finish`] of an
//! id, removed by [`Op::Drop`] (a finished renderer is kept until then: a late push after
//! `Finish` gets an empty update, as [`Incremental`] gives). It is pure, so the protocol is
//! tested natively; `md-module` only exports it.

use std::collections::HashMap;

use crate::wire::{encode_update, Op};
use crate::Incremental;

/// The renderers of every message the page is showing.
#[derive(Default)]
pub struct Renderers {
    by_id: HashMap<u32, Incremental>,
}

impl Renderers {
    pub fn new() -> Renderers {
        Renderers::default()
    }

    /// Handles one request; `Some(encoded update)` is the answer to send back.
    pub fn handle(&mut self, id: u32, op: Op, text: &str) -> Option<String> {
        if op == Op::Drop {
            self.by_id.remove(&id);
            return None;
        }
        let renderer = self.by_id.entry(id).or_default();
        let mut update = renderer.push(text);
        if op == Op::Finish {
            let end = renderer.finish();
            // A tail shown by the push is closed (with the same id) by the finish.
            update.tail = None;
            update.closed.extend(end.closed);
            update.wants_rich |= end.wants_rich;
        }
        let mut out = String::new();
        encode_update(&update, &mut out);
        Some(out)
    }

    /// How many renderers are alive.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::decode_update;
    use crate::{render, Node};

    /// What the page does with the answers: closed blocks stay, the tail is replaced.
    #[derive(Default)]
    struct Page {
        closed: Vec<Node>,
        tail: Vec<Node>,
    }

    impl Page {
        fn apply(&mut self, answer: Option<String>) {
            let update = decode_update(&answer.expect("an answer")).expect("well-formed");
            for block in update.closed {
                self.closed.extend(block.nodes);
            }
            self.tail = update.tail.map(|b| b.nodes).unwrap_or_default();
        }
    }

    #[test]
    fn pushes_then_finish_show_what_render_gives() {
        let text = "# Title\n\nSome *text* and a [link](https://example.com).\n\n```rs\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
        for cut in [1, 3, 7, 64] {
            let mut renderers = Renderers::new();
            let mut page = Page::default();
            let chars: Vec<char> = text.chars().collect();
            let pieces: Vec<String> = chars.chunks(cut).map(|c| c.iter().collect()).collect();
            let (last, rest) = pieces.split_last().expect("pieces");
            for piece in rest {
                page.apply(renderers.handle(1, Op::Push, piece));
            }
            page.apply(renderers.handle(1, Op::Finish, last));
            assert!(page.tail.is_empty());
            assert_eq!(page.closed, render(text), "cut {cut}");
        }
    }

    #[test]
    fn finish_alone_closes_the_shown_tail() {
        let mut renderers = Renderers::new();
        let mut page = Page::default();
        page.apply(renderers.handle(4, Op::Push, "one *two*"));
        assert!(!page.tail.is_empty());
        page.apply(renderers.handle(4, Op::Finish, ""));
        assert!(page.tail.is_empty());
        assert_eq!(page.closed, render("one *two*"));
    }

    #[test]
    fn ids_are_independent_and_drop_forgets() {
        let mut renderers = Renderers::new();
        let mut a = Page::default();
        let mut b = Page::default();
        a.apply(renderers.handle(1, Op::Push, "alpha "));
        b.apply(renderers.handle(2, Op::Push, "# beta"));
        a.apply(renderers.handle(1, Op::Finish, "gamma"));
        b.apply(renderers.handle(2, Op::Finish, ""));
        assert_eq!(a.closed, render("alpha gamma"));
        assert_eq!(b.closed, render("# beta"));
        assert_eq!(renderers.len(), 2);
        assert_eq!(renderers.handle(1, Op::Drop, ""), None);
        assert_eq!(renderers.len(), 1);
        // A dropped id starts over.
        let mut again = Page::default();
        again.apply(renderers.handle(1, Op::Finish, "new"));
        assert_eq!(again.closed, render("new"));
    }

    #[test]
    fn a_push_after_finish_changes_nothing() {
        let mut renderers = Renderers::new();
        let mut page = Page::default();
        page.apply(renderers.handle(1, Op::Finish, "done"));
        let answer = renderers.handle(1, Op::Push, " more");
        assert_eq!(answer.as_deref(), Some("u0,0:"));
        assert_eq!(page.closed, render("done"));
    }
}
