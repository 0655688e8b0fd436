//! The markdown module's protocol: what the page asks, and the compact text form in which
//! rendered blocks come back.
//!
//! Owns the encoding of an [`Update`] as one string (one `postMessage`, no per-node JS
//! objects) and its strict decoder. The decoder is the page's side of a trust boundary only
//! in the sense that it must never fail badly: any malformed input gives `None`, never a
//! panic. Tags and attributes travel as indexes into [`Tag::ALL`] and [`Attr::ALL`], so the
//! decoded tree can only name the closed sets; text travels as length-prefixed UTF-8.
//!
//! Grammar (numbers are decimal; `len` counts UTF-8 bytes):
//! ```text
//! update := "u" closed "," flags ":" block*         (closed blocks, then the tail if flags has 1)
//! flags  := 1 (a tail follows) + 2 (wants the code-and-math module: `Update::wants_rich`)
//! block  := "b" id "," count ":" node*
//! node   := "t" len ":" text
//!         | "e" tag "," attrs "," children ":" (attr "," len ":" value){attrs} node{children}
//! ```
//!
//! Calls: the page calls the module's `handle(id, op, text)` with an [`Op`] number; it
//! answers with an encoded update for [`Op::Push`] and [`Op::Finish`]. The module's
//! `protocol()` is [`PROTOCOL`].

use crate::{Attr, Block, Node, Tag, Update};

/// Bumped whenever the encoding or the calls change; the page does not use a module that
/// says another version (a stale cached copy after a deploy) and renders plain text.
pub const PROTOCOL: u32 = 3;

/// What the page asks of the module for one message's renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Append the text (creating the renderer on first use); answered with the update.
    Push = 0,
    /// Append the text, then end the stream; answered with the final update.
    Finish = 1,
    /// Forget the renderer; not answered.
    Drop = 2,
}

impl Op {
    pub fn from_number(n: u32) -> Option<Op> {
        match n {
            0 => Some(Op::Push),
            1 => Some(Op::Finish),
            2 => Some(Op::Drop),
            _ => None,
        }
    }
}

/// Appends the encoded `update` to `out`.
pub fn encode_update(update: &Update, out: &mut String) {
    out.push('u');
    push_num(out, update.closed.len());
    out.push(',');
    let flags = u8::from(update.tail.is_some()) + 2 * u8::from(update.wants_rich);
    out.push(char::from(b'0' + flags));
    out.push(':');
    for block in update.closed.iter().chain(update.tail.iter()) {
        encode_block(block, out);
    }
}

fn encode_block(block: &Block, out: &mut String) {
    out.push('b');
    push_num(out, block.id as usize);
    out.push(',');
    push_num(out, block.nodes.len());
    out.push(':');
    for node in &block.nodes {
        encode_node(node, out);
    }
}

fn encode_node(node: &Node, out: &mut String) {
    match node {
        Node::Text(text) => {
            out.push('t');
            push_str(out, text);
        }
        Node::Element {
            tag,
            attrs,
            children,
        } => {
            out.push('e');
            push_num(out, *tag as usize);
            out.push(',');
            push_num(out, attrs.len());
            out.push(',');
            push_num(out, children.len());
            out.push(':');
            for (attr, value) in attrs {
                push_num(out, *attr as usize);
                out.push(',');
                push_str(out, value);
            }
            for child in children {
                encode_node(child, out);
            }
        }
    }
}

fn push_num(out: &mut String, n: usize) {
    // No `format!`: this runs per node, and the module is built for size.
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}

fn push_str(out: &mut String, text: &str) {
    push_num(out, text.len());
    out.push(':');
    out.push_str(text);
}

/// Decodes an encoded update; `None` if the input is not exactly one well-formed update.
pub fn decode_update(input: &str) -> Option<Update> {
    let mut cursor = Cursor { input, pos: 0 };
    cursor.expect(b'u')?;
    let closed = cursor.num(b',')?;
    let flags = cursor.num(b':')?;
    if flags > 3 {
        return None;
    }
    let has_tail = flags & 1 == 1;
    let mut update = Update {
        wants_rich: flags & 2 == 2,
        ..Update::default()
    };
    for _ in 0..closed {
        update.closed.push(cursor.block(true)?);
    }
    if has_tail {
        update.tail = Some(cursor.block(false)?);
    }
    (cursor.pos == input.len()).then_some(update)
}

/// Nesting deeper than this is refused: it bounds the decoder's recursion whatever the input.
/// The renderer never nests deeper than [`crate::MAX_NESTING`] (a reply of 100,000 `>` is
/// flattened below that), so only a corrupt or foreign answer meets this limit; the page
/// then shows that message as plain text.
pub const MAX_DEPTH: usize = 512;

struct Cursor<'a> {
    input: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.input.as_bytes().get(self.pos) == Some(&byte)).then(|| self.pos += 1)
    }

    /// Decimal digits up to `end`, which is consumed.
    fn num(&mut self, end: u8) -> Option<usize> {
        let bytes = self.input.as_bytes();
        let start = self.pos;
        let mut n: usize = 0;
        while let Some(&b) = bytes.get(self.pos) {
            if b == end {
                break;
            }
            if !b.is_ascii_digit() {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(usize::from(b - b'0'))?;
            self.pos += 1;
        }
        if self.pos == start || self.pos - start > 19 {
            return None;
        }
        self.expect(end)?;
        Some(n)
    }

    fn text(&mut self) -> Option<String> {
        let len = self.num(b':')?;
        let end = self.pos.checked_add(len)?;
        let text = self.input.get(self.pos..end)?;
        self.pos = end;
        Some(text.to_owned())
    }

    fn block(&mut self, closed: bool) -> Option<Block> {
        self.expect(b'b')?;
        let id = self.num(b',')? as u64;
        let count = self.num(b':')?;
        let nodes = self.nodes(count, 0)?;
        Some(Block { id, nodes, closed })
    }

    fn nodes(&mut self, count: usize, depth: usize) -> Option<Vec<Node>> {
        // Every node takes at least 3 bytes: a count larger than what is left is a lie.
        if count > self.input.len() - self.pos {
            return None;
        }
        let mut nodes = Vec::with_capacity(count);
        for _ in 0..count {
            nodes.push(self.node(depth)?);
        }
        Some(nodes)
    }

    fn node(&mut self, depth: usize) -> Option<Node> {
        match self.input.as_bytes().get(self.pos)? {
            b't' => {
                self.pos += 1;
                Some(Node::Text(self.text()?))
            }
            b'e' if depth < MAX_DEPTH => {
                self.pos += 1;
                let tag = *Tag::ALL.get(self.num(b',')?)?;
                let attr_count = self.num(b',')?;
                let child_count = self.num(b':')?;
                if attr_count > Attr::ALL.len() {
                    return None;
                }
                let mut attrs = Vec::with_capacity(attr_count);
                for _ in 0..attr_count {
                    let attr = *Attr::ALL.get(self.num(b',')?)?;
                    attrs.push((attr, self.text()?));
                }
                let children = self.nodes(child_count, depth + 1)?;
                Some(Node::Element {
                    tag,
                    attrs,
                    children,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(update: &Update) -> String {
        let mut out = String::new();
        encode_update(update, &mut out);
        out
    }

    fn link() -> Node {
        Node::Element {
            tag: Tag::A,
            attrs: vec![
                (Attr::Href, "https://example.com/?a=1,b:2".into()),
                (Attr::Rel, "noopener noreferrer".into()),
            ],
            children: vec![Node::Text("例 <b>".into())],
        }
    }

    #[test]
    fn an_update_round_trips() {
        let update = Update {
            closed: vec![Block {
                id: 7,
                nodes: vec![Node::element(
                    Tag::P,
                    vec![Node::Text("a:b,c".into()), link()],
                )],
                closed: true,
            }],
            tail: Some(Block {
                id: 8,
                nodes: vec![Node::element(Tag::Hr, vec![])],
                closed: false,
            }),
            wants_rich: true,
        };
        let encoded = encode(&update);
        assert_eq!(decode_update(&encoded), Some(update));
    }

    #[test]
    fn the_encoding_is_the_documented_grammar() {
        let update = Update {
            closed: vec![],
            tail: Some(Block {
                id: 3,
                nodes: vec![Node::element(Tag::Em, vec![Node::Text("é".into())])],
                closed: false,
            }),
            wants_rich: false,
        };
        assert_eq!(encode(&update), "u0,1:b3,1:e13,0,1:t2:é");
        assert_eq!(encode(&Update::default()), "u0,0:");
        let wanting = Update {
            wants_rich: true,
            ..Update::default()
        };
        assert_eq!(encode(&wanting), "u0,2:");
        assert_eq!(decode_update("u0,4:"), None);
    }

    #[test]
    fn malformed_input_is_refused_without_panicking() {
        let good = encode(&Update {
            closed: vec![Block {
                id: 1,
                nodes: vec![link()],
                closed: true,
            }],
            tail: None,
            wants_rich: false,
        });
        // Every strict prefix and every one-byte corruption is either refused or decodes to
        // something; none panics.
        for end in 0..good.len() {
            if let Some(prefix) = good.get(..end) {
                assert_eq!(decode_update(prefix), None, "{prefix:?}");
            }
        }
        for (i, _) in good.char_indices() {
            for replacement in ["x", "9", ":", ",", "", "99999999999999999999"] {
                let mut bad = good.clone();
                let len = bad[i..].chars().next().map_or(0, char::len_utf8);
                bad.replace_range(i..i + len, replacement);
                let _ = decode_update(&bad);
            }
        }
        for bad in [
            "",
            "u",
            "u0,4:",
            "u1,0:",
            "u0,0:x",
            // Unknown tags and attributes: one past the last of each.
            "u0,1:b1,1:e58,0,0:",
            "u0,1:b1,1:e0,1,0:15,0:",
            "u0,1:b1,1:t5:ab",
            "u0,1:b1,1:t1:\u{e9}",
            "u0,1:b1,99999999999:",
        ] {
            assert_eq!(decode_update(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut node = Node::Text("x".into());
        for _ in 0..=MAX_DEPTH {
            node = Node::element(Tag::Blockquote, vec![node]);
        }
        let update = Update {
            closed: vec![],
            tail: Some(Block {
                id: 1,
                nodes: vec![node],
                closed: false,
            }),
            wants_rich: false,
        };
        assert_eq!(decode_update(&encode(&update)), None);
    }

    #[test]
    fn op_numbers_round_trip() {
        for op in [Op::Push, Op::Finish, Op::Drop] {
            assert_eq!(Op::from_number(op as u32), Some(op));
        }
        assert_eq!(Op::from_number(3), None);
    }
}
