//! TeX math to MathML nodes, which browsers draw natively.
//!
//! Owns the TeX subset rill reads: letters, numbers and operators; groups; `^` and `_`;
//! `\frac`, `\sqrt`, `\left … \right`, `\text`, `\operatorname`, math alphabets (`\mathbb`,
//! `\mathbf`, …, as Unicode math letters, since MathML Core draws no `mathvariant` but
//! `normal`), accents, spaces, and the environments `matrix`, `pmatrix`, `bmatrix`, `cases`,
//! `aligned` and their kin as `mtable`; the symbols are in `math/symbols.rs`.
//!
//! Safety: the output is only elements of the closed MathML set with attributes whose values
//! are fixed here; no attribute value comes from the input. Commands that would make links
//! or set classes, styles or ids elsewhere (`\href`, `\url`, `\class`, `\style`, `\html…`,
//! `\cssId`, `\includegraphics`) are shown as their source text. A command rill does not
//! know is shown as text too (`\foo`), never dropped. The parser is lenient (a missing `}`
//! closes at the end, a stray one is shown) and bounded: groups nest at most
//! [`MAX_DEPTH`] deep; the rest of a formula deeper than that is shown as source text.

mod symbols;

use symbols::{lookup, styled, Class, Style};

use crate::node::{Attr, Node, Tag};

/// How deep TeX groups and arguments may nest before the rest is shown as text. It keeps
/// the tree well under [`crate::MAX_NESTING`] (each level adds at most three elements).
pub const MAX_DEPTH: usize = 8;

/// The `math` element for a formula; `display` for one set apart (`$$…$$`, `\[…\]`).
pub(crate) fn render(tex: &str, display: bool) -> Node {
    let mut parser = Parser {
        src: tex,
        pos: 0,
        depth: 0,
    };
    let children = parser.expr(Stop::End);
    let attrs = if display {
        vec![(Attr::Display, "block".to_owned())]
    } else {
        Vec::new()
    };
    Node::Element {
        tag: Tag::Math,
        attrs,
        children,
    }
}

/// Where an expression ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    End,
    Brace,
    Right,
    Cell,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

fn el(tag: Tag, children: Vec<Node>) -> Node {
    Node::element(tag, children)
}

fn leaf(tag: Tag, text: &str) -> Node {
    el(tag, vec![Node::Text(text.to_owned())])
}

/// One node for several: an `mrow` unless there is exactly one.
fn row(mut nodes: Vec<Node>) -> Node {
    if nodes.len() == 1 {
        nodes.remove(0)
    } else {
        el(Tag::Mrow, nodes)
    }
}

fn space(width: &str) -> Node {
    Node::Element {
        tag: Tag::Mspace,
        attrs: vec![(Attr::Width, width.to_owned())],
        children: Vec::new(),
    }
}

/// Commands that would link or style elsewhere, with how many `{…}` arguments they take:
/// shown as their source.
const SHOWN_AS_SOURCE: &[(&str, usize)] = &[
    ("href", 2),
    ("url", 1),
    ("class", 2),
    ("style", 2),
    ("cssId", 2),
    ("htmlClass", 2),
    ("htmlId", 2),
    ("htmlStyle", 2),
    ("htmlData", 2),
    ("html", 1),
    ("data", 2),
    ("includegraphics", 1),
];

/// Commands with nothing to draw: sizes and styles that MathML picks itself.
const IGNORED: &[&str] = &[
    "displaystyle",
    "textstyle",
    "scriptstyle",
    "scriptscriptstyle",
    "limits",
    "nolimits",
    "!",
    "nonumber",
    "notag",
    "\\",
    "newline",
    "cr",
];

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// The command at the position (after its `\`), without consuming it.
    fn peek_command(&self) -> Option<&str> {
        let rest = self.src[self.pos..].strip_prefix('\\')?;
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        if letters > 0 {
            return Some(&rest[..letters]);
        }
        let c = rest.chars().next()?;
        Some(&rest[..c.len_utf8()])
    }

    fn take_command(&mut self) -> Option<String> {
        let name = self.peek_command()?.to_owned();
        self.pos += 1 + name.len();
        Some(name)
    }

    /// The rest of the formula as text, when it nests too deep.
    fn rest_as_text(&mut self) -> Node {
        let rest = &self.src[self.pos..];
        self.pos = self.src.len();
        leaf(Tag::Mtext, rest)
    }

    fn expr(&mut self, stop: Stop) -> Vec<Node> {
        let mut nodes = Vec::new();
        loop {
            self.skip_space();
            let Some(c) = self.peek() else { break };
            match (stop, c) {
                (Stop::Brace, '}') => {
                    self.pos += 1;
                    break;
                }
                (Stop::Cell, '&') => break,
                _ => {}
            }
            if c == '\\' {
                match (stop, self.peek_command()) {
                    (Stop::Right, Some("right")) => break,
                    (Stop::Cell, Some("\\" | "end" | "cr")) => break,
                    _ => {}
                }
            }
            if let Some(node) = self.atom() {
                nodes.push(node);
            }
        }
        nodes
    }

    /// A primary with its scripts.
    fn atom(&mut self) -> Option<Node> {
        let (base, mut limits) = self.primary()?;
        let mut sub = None;
        let mut sup: Option<Vec<Node>> = None;
        loop {
            self.skip_space();
            match self.peek() {
                Some('^') => {
                    self.pos += 1;
                    let arg = self.arg();
                    sup.get_or_insert_with(Vec::new).push(arg);
                }
                Some('_') if sub.is_none() => {
                    self.pos += 1;
                    sub = Some(self.arg());
                }
                Some('\'') => {
                    self.pos += 1;
                    sup.get_or_insert_with(Vec::new).push(leaf(Tag::Mo, "′"));
                }
                Some('\\') => match self.peek_command() {
                    Some("limits") => {
                        self.pos += 7;
                        limits = true;
                    }
                    Some("nolimits") => {
                        self.pos += 9;
                        limits = false;
                    }
                    _ => break,
                },
                _ => break,
            }
        }
        let sup = sup.map(row);
        Some(match (sub, sup, limits) {
            (None, None, _) => base,
            (Some(sub), None, false) => el(Tag::Msub, vec![base, sub]),
            (None, Some(sup), false) => el(Tag::Msup, vec![base, sup]),
            (Some(sub), Some(sup), false) => el(Tag::Msubsup, vec![base, sub, sup]),
            (Some(sub), None, true) => el(Tag::Munder, vec![base, sub]),
            (None, Some(sup), true) => el(Tag::Mover, vec![base, sup]),
            (Some(sub), Some(sup), true) => el(Tag::Munderover, vec![base, sub, sup]),
        })
    }

    /// An argument: a group, a command with its arguments, or one character.
    fn arg(&mut self) -> Node {
        self.skip_space();
        match self.peek() {
            None => el(Tag::Mrow, Vec::new()),
            Some('{') => self.group(),
            Some(c) if c.is_ascii_digit() => {
                self.pos += 1;
                leaf(Tag::Mn, &c.to_string())
            }
            Some(_) => match self.primary() {
                Some((node, _)) => node,
                None => el(Tag::Mrow, Vec::new()),
            },
        }
    }

    /// `{…}` (the position is at `{`).
    fn group(&mut self) -> Node {
        if self.depth >= MAX_DEPTH {
            return self.rest_as_text();
        }
        self.pos += 1;
        self.depth += 1;
        let nodes = self.expr(Stop::Brace);
        self.depth -= 1;
        row(nodes)
    }

    /// `{…}` as raw text (for `\text`, environment names, shown-as-source arguments); the
    /// position is at `{`, or the argument is one character.
    fn raw_arg(&mut self) -> String {
        self.skip_space();
        if self.peek() != Some('{') {
            let Some(c) = self.peek() else {
                return String::new();
            };
            self.pos += c.len_utf8();
            return c.to_string();
        }
        let start = self.pos + 1;
        let mut depth = 0usize;
        let mut escaped = false;
        for (i, c) in self.src[self.pos..].char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let end = self.pos + i;
                        self.pos = end + 1;
                        return self.src[start..end].to_owned();
                    }
                }
                _ => {}
            }
        }
        self.pos = self.src.len();
        self.src[start..].to_owned()
    }

    /// A base: a group, a command, or a character; and whether its scripts go under and
    /// over it. `None` for what draws nothing.
    fn primary(&mut self) -> Option<(Node, bool)> {
        let c = self.peek()?;
        match c {
            '{' => Some((self.group(), false)),
            '\\' => self.command(),
            _ if c.is_ascii_digit() || c == '.' => {
                let bytes = self.src.as_bytes();
                let mut end = self.pos;
                while end < bytes.len()
                    && (bytes[end].is_ascii_digit()
                        || (bytes[end] == b'.'
                            && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)))
                {
                    end += 1;
                }
                if end == self.pos {
                    self.pos += 1;
                    return Some((leaf(Tag::Mo, "."), false));
                }
                let node = leaf(Tag::Mn, &self.src[self.pos..end]);
                self.pos = end;
                Some((node, false))
            }
            '~' => {
                self.pos += 1;
                Some((space("0.2778em"), false))
            }
            '^' | '_' => {
                // A script with no base: on an empty one.
                Some((el(Tag::Mrow, Vec::new()), false))
            }
            _ => {
                self.pos += c.len_utf8();
                let node = if c.is_alphabetic() {
                    leaf(Tag::Mi, &c.to_string())
                } else {
                    let text = match c {
                        '-' => "−".to_owned(),
                        '*' => "∗".to_owned(),
                        '\'' => "′".to_owned(),
                        _ => c.to_string(),
                    };
                    leaf(Tag::Mo, &text)
                };
                Some((node, false))
            }
        }
    }

    /// A command (the position is at its `\`).
    fn command(&mut self) -> Option<(Node, bool)> {
        let Some(name) = self.take_command() else {
            // A lone `\` at the end.
            self.pos = self.src.len();
            return Some((leaf(Tag::Mtext, "\\"), false));
        };
        let name = name.as_str();
        if let Some((text, class)) = lookup(name) {
            return Some(match class {
                Class::Ident => (leaf(Tag::Mi, text), false),
                Class::Op => (leaf(Tag::Mo, text), false),
                Class::Limits => (leaf(Tag::Mo, text), true),
                Class::Side => (leaf(Tag::Mo, text), false),
                Class::Func => (leaf(Tag::Mi, text), false),
            });
        }
        if IGNORED.contains(&name) {
            return None;
        }
        if let Some((_, args)) = SHOWN_AS_SOURCE.iter().find(|(n, _)| *n == name) {
            let mut source = ["\\", name].concat();
            for _ in 0..*args {
                source.push('{');
                source.push_str(&self.raw_arg());
                source.push('}');
            }
            return Some((leaf(Tag::Mtext, &source), false));
        }
        let node = match name {
            "frac" | "dfrac" | "tfrac" | "cfrac" => {
                let num = self.arg();
                let den = self.arg();
                el(Tag::Mfrac, vec![num, den])
            }
            "binom" | "dbinom" | "tbinom" => {
                let n = self.arg();
                let k = self.arg();
                let frac = Node::Element {
                    tag: Tag::Mfrac,
                    attrs: vec![(Attr::LineThickness, "0".to_owned())],
                    children: vec![n, k],
                };
                el(
                    Tag::Mrow,
                    vec![leaf(Tag::Mo, "("), frac, leaf(Tag::Mo, ")")],
                )
            }
            "sqrt" => {
                self.skip_space();
                let index = if self.peek() == Some('[') {
                    let end = self.src[self.pos..].find(']');
                    match end {
                        Some(end) => {
                            let inner = &self.src[self.pos + 1..self.pos + end];
                            self.pos += end + 1;
                            let mut sub = Parser {
                                src: inner,
                                pos: 0,
                                depth: self.depth + 1,
                            };
                            Some(row(sub.expr(Stop::End)))
                        }
                        None => None,
                    }
                } else {
                    None
                };
                let radicand = self.arg();
                match index {
                    Some(index) => el(Tag::Mroot, vec![radicand, index]),
                    None => el(Tag::Msqrt, vec![radicand]),
                }
            }
            "left" => {
                if self.depth >= MAX_DEPTH {
                    return Some((self.rest_as_text(), false));
                }
                let mut nodes = Vec::new();
                nodes.extend(self.delimiter());
                self.depth += 1;
                nodes.extend(self.expr(Stop::Right));
                self.depth -= 1;
                if self.peek_command() == Some("right") {
                    self.pos += 6;
                    nodes.extend(self.delimiter());
                }
                el(Tag::Mrow, nodes)
            }
            "right" | "middle" | "big" | "Big" | "bigg" | "Bigg" | "bigl" | "bigr" | "Bigl"
            | "Bigr" | "biggl" | "biggr" | "Biggl" | "Biggr" | "bigm" | "Bigm" => {
                return self.delimiter().map(|node| (node, false));
            }
            "text" | "textrm" | "textnormal" | "mbox" | "textit" | "textbf" | "texttt"
            | "textsf" | "hbox" => leaf(Tag::Mtext, &unescape_text(&self.raw_arg())),
            "operatorname" => {
                let star = self.peek() == Some('*');
                if star {
                    self.pos += 1;
                }
                let name = unescape_text(&self.raw_arg());
                return Some((leaf(if star { Tag::Mo } else { Tag::Mi }, &name), star));
            }
            "mathrm" | "mathit" | "mathbf" | "mathbb" | "mathcal" | "mathscr" | "mathfrak"
            | "mathsf" | "mathtt" | "boldsymbol" | "bm" | "mathbfit" | "pmb" => {
                let style = match name {
                    "mathrm" => Style::Upright,
                    "mathit" => Style::Italic,
                    "mathbb" => Style::DoubleStruck,
                    "mathcal" | "mathscr" => Style::Script,
                    "mathfrak" => Style::Fraktur,
                    "mathsf" => Style::SansSerif,
                    "mathtt" => Style::Monospace,
                    _ => Style::Bold,
                };
                let mut node = self.arg();
                restyle(&mut node, style);
                node
            }
            "hat" | "widehat" | "bar" | "overline" | "vec" | "overrightarrow" | "tilde"
            | "widetilde" | "dot" | "ddot" | "check" | "breve" | "acute" | "grave"
            | "overleftarrow" => {
                let mark = match name {
                    "hat" | "widehat" => "^",
                    "bar" => "¯",
                    "overline" => "‾",
                    "vec" | "overrightarrow" => "→",
                    "overleftarrow" => "←",
                    "tilde" | "widetilde" => "˜",
                    "dot" => "˙",
                    "ddot" => "¨",
                    "check" => "ˇ",
                    "breve" => "˘",
                    "acute" => "´",
                    _ => "`",
                };
                let base = self.arg();
                Node::Element {
                    tag: Tag::Mover,
                    attrs: vec![(Attr::Accent, "true".to_owned())],
                    children: vec![base, leaf(Tag::Mo, mark)],
                }
            }
            "underline" => {
                let base = self.arg();
                el(Tag::Munder, vec![base, leaf(Tag::Mo, "_")])
            }
            "overbrace" | "underbrace" => {
                let base = self.arg();
                let (tag, mark) = if name == "overbrace" {
                    (Tag::Mover, "⏞")
                } else {
                    (Tag::Munder, "⏟")
                };
                return Some((el(tag, vec![base, leaf(Tag::Mo, mark)]), true));
            }
            "overset" | "stackrel" | "underset" => {
                let script = self.arg();
                let base = self.arg();
                let tag = if name == "underset" {
                    Tag::Munder
                } else {
                    Tag::Mover
                };
                el(tag, vec![base, script])
            }
            "," | "thinspace" => space("0.1667em"),
            ":" | ">" | "medspace" => space("0.2222em"),
            ";" | " " | "thickspace" | "enspace" => space("0.2778em"),
            "quad" => space("1em"),
            "qquad" => space("2em"),
            "begin" => return Some((self.environment(), false)),
            _ => leaf(Tag::Mtext, &["\\", name].concat()),
        };
        Some((node, false))
    }

    /// A delimiter after `\left`, `\right`, `\big`…: a character or a symbol command; `.`
    /// is none.
    fn delimiter(&mut self) -> Option<Node> {
        self.skip_space();
        match self.peek()? {
            '.' => {
                self.pos += 1;
                None
            }
            '\\' => {
                let name = self.take_command()?;
                let text =
                    lookup(&name).map_or_else(|| ["\\", &name].concat(), |(t, _)| t.to_owned());
                Some(leaf(Tag::Mo, &text))
            }
            c => {
                self.pos += c.len_utf8();
                Some(leaf(Tag::Mo, &c.to_string()))
            }
        }
    }

    /// `\begin{name} … \end{name}` (the position is after `\begin`), as a table with the
    /// fences its name implies.
    fn environment(&mut self) -> Node {
        let name = self.raw_arg();
        if self.depth + 2 > MAX_DEPTH {
            return self.rest_as_text();
        }
        if name == "array" || name == "alignedat" {
            // The column spec (or count) says nothing MathML draws here.
            self.raw_arg();
        }
        self.depth += 2;
        let mut rows = Vec::new();
        let mut cells = Vec::new();
        loop {
            let cell = self.expr(Stop::Cell);
            cells.push(el(Tag::Mtd, vec![row(cell)]));
            self.skip_space();
            if self.peek() == Some('&') {
                self.pos += 1;
                continue;
            }
            rows.push(el(Tag::Mtr, std::mem::take(&mut cells)));
            match self.peek_command() {
                Some("\\") | Some("cr") => {
                    self.take_command();
                    self.skip_space();
                    if self.peek() == Some('[') {
                        // Row spacing (`\\[2pt]`).
                        if let Some(end) = self.src[self.pos..].find(']') {
                            self.pos += end + 1;
                        }
                    }
                }
                Some("end") => {
                    self.take_command();
                    self.raw_arg();
                    break;
                }
                _ => break,
            }
        }
        self.depth -= 2;
        // A last row left empty by a trailing `\\` is not drawn.
        if rows.len() > 1 && rows.last().is_some_and(is_empty_row) {
            rows.pop();
        }
        let table = el(Tag::Mtable, rows);
        let (open, close) = match name.as_str() {
            "pmatrix" => ("(", ")"),
            "bmatrix" => ("[", "]"),
            "Bmatrix" => ("{", "}"),
            "vmatrix" => ("|", "|"),
            "Vmatrix" => ("‖", "‖"),
            "cases" | "dcases" => ("{", ""),
            "rcases" => ("", "}"),
            _ => ("", ""),
        };
        if open.is_empty() && close.is_empty() {
            return table;
        }
        let mut nodes = Vec::new();
        if !open.is_empty() {
            nodes.push(leaf(Tag::Mo, open));
        }
        nodes.push(table);
        if !close.is_empty() {
            nodes.push(leaf(Tag::Mo, close));
        }
        el(Tag::Mrow, nodes)
    }
}

fn is_empty_row(node: &Node) -> bool {
    match node {
        Node::Element { children, .. } => {
            children.len() == 1
                && matches!(&children[0], Node::Element { children, .. }
                    if matches!(children.as_slice(), [Node::Element { children, .. }] if children.is_empty()))
        }
        Node::Text(_) => false,
    }
}

/// `\text` content: TeX's escapes of special characters undone.
fn unescape_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(e @ ('{' | '}' | '$' | '%' | '&' | '_' | '#' | ' ' | '\\')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Draws the identifiers and numbers in `node` in a math alphabet.
fn restyle(node: &mut Node, style: Style) {
    if let Node::Element {
        tag,
        attrs,
        children,
    } = node
    {
        match tag {
            Tag::Mi | Tag::Mn => {
                if style == Style::Upright {
                    if *tag == Tag::Mi && !attrs.iter().any(|(a, _)| *a == Attr::MathVariant) {
                        attrs.push((Attr::MathVariant, "normal".to_owned()));
                    }
                    return;
                }
                for child in children.iter_mut() {
                    if let Node::Text(text) = child {
                        *text = text.chars().map(|c| styled(c, style)).collect();
                    }
                }
            }
            _ => {
                for child in children {
                    restyle(child, style);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact view of a tree: `tag(children)` and text in quotes.
    fn show(node: &Node) -> String {
        match node {
            Node::Text(t) => format!("{t:?}"),
            Node::Element {
                tag,
                attrs,
                children,
            } => {
                let mut s = tag.name().to_owned();
                for (a, v) in attrs {
                    s.push_str(&format!("[{}={v}]", a.name()));
                }
                s.push('(');
                s.push_str(&children.iter().map(show).collect::<Vec<_>>().join(" "));
                s.push(')');
                s
            }
        }
    }

    fn tex(src: &str) -> String {
        show(&render(src, false))
    }

    #[test]
    fn letters_numbers_and_operators() {
        assert_eq!(
            tex("x+12.5=y-1"),
            "math(mi(\"x\") mo(\"+\") mn(\"12.5\") mo(\"=\") mi(\"y\") mo(\"−\") mn(\"1\"))"
        );
    }

    #[test]
    fn scripts_fractions_and_roots() {
        assert_eq!(tex("x^2"), "math(msup(mi(\"x\") mn(\"2\")))");
        assert_eq!(
            tex("x_i^{n+1}"),
            "math(msubsup(mi(\"x\") mi(\"i\") mrow(mi(\"n\") mo(\"+\") mn(\"1\"))))"
        );
        assert_eq!(tex("\\frac{a}{b}"), "math(mfrac(mi(\"a\") mi(\"b\")))");
        assert_eq!(tex("\\frac12"), "math(mfrac(mn(\"1\") mn(\"2\")))");
        assert_eq!(tex("\\sqrt{x}"), "math(msqrt(mi(\"x\")))");
        assert_eq!(tex("\\sqrt[3]{x}"), "math(mroot(mi(\"x\") mn(\"3\")))");
        assert_eq!(tex("f'"), "math(msup(mi(\"f\") mo(\"′\")))");
    }

    #[test]
    fn big_operators_take_limits_and_integrals_do_not() {
        assert_eq!(
            tex("\\sum_{i=1}^n i"),
            "math(munderover(mo(\"∑\") mrow(mi(\"i\") mo(\"=\") mn(\"1\")) mi(\"n\")) mi(\"i\"))"
        );
        assert_eq!(
            tex("\\int_0^1"),
            "math(msubsup(mo(\"∫\") mn(\"0\") mn(\"1\")))"
        );
        assert_eq!(
            tex("\\lim_{x\\to 0}"),
            "math(munder(mo(\"lim\") mrow(mi(\"x\") mo(\"→\") mn(\"0\"))))"
        );
    }

    #[test]
    fn greek_fences_text_and_alphabets() {
        assert_eq!(
            tex("\\left(\\alpha\\right]"),
            "math(mrow(mo(\"(\") mi(\"α\") mo(\"]\")))"
        );
        assert_eq!(tex("\\text{if } x"), "math(mtext(\"if \") mi(\"x\"))");
        assert_eq!(tex("\\mathbb{R}\\mathbf{v}"), "math(mi(\"ℝ\") mi(\"𝐯\"))");
        assert_eq!(tex("\\mathrm{d}"), "math(mi[mathvariant=normal](\"d\"))");
        assert_eq!(tex("\\operatorname{rank}"), "math(mi(\"rank\"))");
        assert_eq!(
            tex("\\hat x"),
            "math(mover[accent=true](mi(\"x\") mo(\"^\")))"
        );
        assert_eq!(
            tex("a\\,b"),
            "math(mi(\"a\") mspace[width=0.1667em]() mi(\"b\"))"
        );
    }

    #[test]
    fn environments_become_tables() {
        assert_eq!(
            tex("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}"),
            "math(mrow(mo(\"(\") mtable(mtr(mtd(mn(\"1\")) mtd(mn(\"2\"))) mtr(mtd(mn(\"3\")) mtd(mn(\"4\")))) mo(\")\")))"
        );
        assert_eq!(
            tex("\\begin{cases}1 & x>0\\\\0\\end{cases}"),
            "math(mrow(mo(\"{\") mtable(mtr(mtd(mn(\"1\")) mtd(mrow(mi(\"x\") mo(\">\") mn(\"0\")))) mtr(mtd(mn(\"0\"))))))"
        );
    }

    #[test]
    fn display_math_is_a_block() {
        assert_eq!(show(&render("x", true)), "math[display=block](mi(\"x\"))");
    }

    #[test]
    fn unknown_and_linking_commands_are_text() {
        assert_eq!(tex("\\foo x"), "math(mtext(\"\\\\foo\") mi(\"x\"))");
        assert_eq!(
            tex("\\href{javascript:alert(1)}{x}"),
            "math(mtext(\"\\\\href{javascript:alert(1)}{x}\"))"
        );
        assert_eq!(
            tex("\\url{http://e.x}"),
            "math(mtext(\"\\\\url{http://e.x}\"))"
        );
        assert_eq!(
            tex("\\class{a}{b}\\style{color:red}{c}"),
            "math(mtext(\"\\\\class{a}{b}\") mtext(\"\\\\style{color:red}{c}\"))"
        );
    }

    #[test]
    fn broken_input_keeps_its_text() {
        assert_eq!(tex("{x"), "math(mi(\"x\"))");
        assert_eq!(tex("x}"), "math(mi(\"x\") mo(\"}\"))");
        assert_eq!(tex("\\"), "math(mtext(\"\\\\\"))");
        assert_eq!(tex("^"), "math(msup(mrow() mrow()))");
    }

    #[test]
    fn deep_nesting_is_cut_to_text() {
        let deep = "{".repeat(100) + "x" + &"}".repeat(100);
        let out = tex(&deep);
        assert!(out.contains("mtext"), "{out}");
        let fracs = "\\frac{".repeat(50) + "1";
        let node = render(&fracs, true);
        assert!(depth(&node) <= 3 * MAX_DEPTH + 2, "{}", depth(&node));
    }

    fn depth(node: &Node) -> usize {
        match node {
            Node::Text(_) => 0,
            Node::Element { children, .. } => 1 + children.iter().map(depth).max().unwrap_or(0),
        }
    }
}
