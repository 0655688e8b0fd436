//! Where a streamed markdown text may be cut into top-level blocks that never change again.
//!
//! Owns the line-by-line [`Splitter`]: it sees each complete line once, keeps a few flags
//! about the open block, and says whether a new top-level block starts before a line. A cut
//! is made only where a CommonMark parser (pulldown-cmark's reading of it) has a top-level
//! block boundary that no later text can move: whatever follows, the text before the cut
//! parses to the same nodes on its own. Where the flags cannot be sure, the splitter asks
//! the caller to let the parser decide ([`Boundary::AskParser`]), or does not cut. Not
//! cutting is always correct (the block just grows); a wrong cut would not be.
//!
//! It must not parse inline markdown, build nodes or own the text; its work per line is
//! proportional to the line's length.
//!
//! The cuts, for a complete line `L` of the open block (lines end at `\n`; a `\r` before
//! it is part of the line ending):
//! 1. after blank lines, before an `L` that starts in column 0 with a non-space character,
//!    unless a top-level fenced code block or an HTML block of kinds 1–5 (`<pre>`, `<!--`,
//!    …) is open, or a list was seen in the block and `L` is a list item (the list may go on,
//!    and whether it is loose depends on it);
//! 2. before an `L` that opens a fenced code block in column 0 (it closes whatever was open),
//!    unless a line starting with `<` since the last blank line may have opened an HTML
//!    block that would swallow it;
//! 3. after the closing line of a fenced code block that opened the block in column 0, so
//!    that a long code block is a block of its own.
//!
//! Constructs whose extent the flags cannot know for sure make the block uncertain until it
//! is cut: a fence or `<pre>`-like opener indented 1–3 spaces after a list item (it may be
//! inside the item or not), an opener after a possible HTML block start, or a lone `\r`
//! (pulldown-cmark ends lines at it in some places and not others). In an uncertain block,
//! rules 1 and 2 ask the parser, at most at a geometric rate of the block's growth so that
//! asking stays linear in the block's length; a refused question means no cut.

/// What the splitter says about the line it was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// The line belongs to the open block.
    None,
    /// The open block ends before the line; the line starts a new block.
    Before,
    /// Only a parse can tell: a new top-level block starts at the line if a parse of the
    /// open block through the end of the line has a top-level block that starts there.
    AskParser,
}

/// What kind of multi-line construct is open at the top level of the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Open {
    #[default]
    Nothing,
    /// A fenced code block: its fence character and length, and whether its opening line
    /// was the first line of the block, in column 0.
    Fence {
        ch: u8,
        len: usize,
        opens_block: bool,
    },
    /// An HTML block of kinds 1–5, which ends at the line containing `end` (pulldown-cmark
    /// compares it case-sensitively).
    Html { end: &'static str },
}

/// Cuts a markdown text into top-level blocks, one complete line at a time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Splitter {
    open: Open,
    /// A non-blank line is in the block.
    has_content: bool,
    /// The previous line was blank (outside a fence or HTML block).
    prev_blank: bool,
    /// A line starting with a list marker (indented 0–3) is in the block.
    list_seen: bool,
    /// A line starting with `<` (indented 0–3) came since the last blank line: it may have
    /// opened an HTML block that only a blank line ends.
    html_maybe: bool,
    /// The flags above may be wrong for this block: only a parse can place a cut.
    uncertain: bool,
    /// The block's opening fence just closed: the next line starts a new block.
    split_after: bool,
    /// The block's length when the parser was last asked, 0 if never.
    asked_at: usize,
}

impl Splitter {
    /// Whether a new block starts before the complete line `line` (without its line ending).
    /// `block_len` is the open block's length in bytes through the end of `line`, used to
    /// ration questions to the parser.
    pub(crate) fn boundary_before(&mut self, line: &str, block_len: usize) -> Boundary {
        if !self.has_content {
            return Boundary::None;
        }
        if self.split_after {
            return Boundary::Before;
        }
        if self.uncertain {
            let trigger = (self.prev_blank && starts_in_column_zero(line))
                || opens_fence_in_column_zero(line);
            let list_goes_on = self.list_seen && list_marker(line).is_some();
            if !trigger || list_goes_on {
                return Boundary::None;
            }
            if self.asked_at == 0 || block_len >= self.asked_at + self.asked_at / 2 {
                self.asked_at = block_len.max(1);
                return Boundary::AskParser;
            }
            return Boundary::None;
        }
        if self.open != Open::Nothing {
            return Boundary::None;
        }
        if self.prev_blank && starts_in_column_zero(line) {
            if self.list_seen && list_marker(line).is_some() {
                return Boundary::None;
            }
            return Boundary::Before;
        }
        if opens_fence_in_column_zero(line) && !self.html_maybe {
            return Boundary::Before;
        }
        Boundary::None
    }

    /// Whether a new block surely starts before a line of which only the first byte is known
    /// yet. It answers `true` only where [`Splitter::boundary_before`] will answer
    /// [`Boundary::Before`] for the complete line, whatever the rest of it is, so the cut
    /// does not depend on where the stream was split into deltas.
    pub(crate) fn boundary_before_line_starting(&self, first_byte: u8) -> bool {
        if !self.has_content {
            return false;
        }
        if self.split_after {
            return true;
        }
        !self.uncertain
            && self.open == Open::Nothing
            && self.prev_blank
            && !self.list_seen
            && !is_space_byte(first_byte)
    }

    /// Takes the complete line `line` (without its line ending) into the open block.
    pub(crate) fn consume(&mut self, line: &str) {
        let blank = is_blank(line);
        if line.contains('\r') {
            self.uncertain = true;
        }
        if self.uncertain {
            if !blank {
                self.has_content = true;
                let (indent, rest) = leading_indent(line);
                if indent < 4 && list_marker(rest).is_some() {
                    self.list_seen = true;
                }
            }
            self.prev_blank = blank;
            return;
        }
        match self.open {
            Open::Fence {
                ch,
                len,
                opens_block,
            } => {
                if closes_fence(line, ch, len) {
                    self.open = Open::Nothing;
                    self.split_after = opens_block;
                }
                self.has_content = true;
                self.prev_blank = false;
            }
            Open::Html { end } => {
                if line.contains(end) {
                    self.open = Open::Nothing;
                }
                self.has_content = true;
                self.prev_blank = false;
            }
            Open::Nothing => self.consume_at_top_level(line, blank),
        }
    }

    fn consume_at_top_level(&mut self, line: &str, blank: bool) {
        if blank {
            self.prev_blank = true;
            self.html_maybe = false;
            return;
        }
        let first_line = !self.has_content;
        self.has_content = true;
        self.prev_blank = false;
        let (indent, rest) = leading_indent(line);
        if indent >= 4 {
            // Indented code, or content nested in a list item: neither opens anything that
            // survives the next line starting in column 0.
            return;
        }
        // An opener indented 1–3 after a list item may be inside the item (and then ends
        // with it) or at the top level (and then does not): the flags cannot tell.
        let surely_top_level = (indent == 0 || !self.list_seen) && !self.html_maybe;
        if list_marker(rest).is_some() {
            self.list_seen = true;
        } else if let Some((ch, len)) = fence_opener(rest) {
            if surely_top_level {
                self.open = Open::Fence {
                    ch,
                    len,
                    opens_block: first_line && indent == 0,
                };
            } else {
                self.uncertain = true;
            }
        } else if let Some(after) = rest.strip_prefix('<') {
            if let Some(end) = html_block_end(after) {
                if !surely_top_level {
                    self.uncertain = true;
                } else if !line.contains(end) {
                    self.open = Open::Html { end };
                }
            }
            self.html_maybe = true;
        }
    }

    /// Whether `line` would close the open fenced code block (a partial last line that
    /// does is a closing fence if the text ends there).
    pub(crate) fn closes_open_fence(&self, line: &str) -> bool {
        match self.open {
            Open::Fence { ch, len, .. } => closes_fence(line, ch, len),
            _ => false,
        }
    }

    /// Whether the block is a fenced code block that opened on its first line in column 0
    /// and has not closed: everything after that line is code text.
    pub(crate) fn in_opening_fence(&self) -> bool {
        !self.uncertain
            && matches!(
                self.open,
                Open::Fence {
                    opens_block: true,
                    ..
                }
            )
    }
}

/// The bytes pulldown-cmark counts as white space inside a line.
fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0b | 0x0c | b'\r')
}

/// A blank line: only spaces, tabs, vertical tabs and form feeds.
fn is_blank(line: &str) -> bool {
    line.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | 0x0b | 0x0c))
}

/// Whether the line's first character is not white space.
fn starts_in_column_zero(line: &str) -> bool {
    line.bytes().next().is_some_and(|b| !is_space_byte(b))
}

fn opens_fence_in_column_zero(line: &str) -> bool {
    fence_opener(line).is_some()
}

/// The line's indentation in columns (tabs advance to the next multiple of 4) and the rest
/// of the line after it.
fn leading_indent(line: &str) -> (usize, &str) {
    let mut columns = 0;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b' ' => columns += 1,
            b'\t' => columns += 4 - columns % 4,
            _ => return (columns, &line[i..]),
        }
    }
    (columns, "")
}

/// The list marker at the start of `rest` (already past the indentation), as pulldown-cmark
/// reads it: `-`, `+`, `*`, or 1–9 digits and `.` or `)`, followed by white space or the end
/// of the line. Thematic breaks such as `* * *` also match; that only makes the splitter
/// cut less.
pub(crate) fn list_marker(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let width = match bytes.first()? {
        b'-' | b'+' | b'*' => 1,
        b'0'..=b'9' => {
            let digits = bytes
                .iter()
                .take(9)
                .take_while(|b| b.is_ascii_digit())
                .count();
            match bytes.get(digits)? {
                b'.' | b')' => digits + 1,
                _ => return None,
            }
        }
        _ => return None,
    };
    match bytes.get(width) {
        None | Some(b' ' | b'\t' | 0x0b | 0x0c) => Some(width),
        Some(_) => None,
    }
}

/// The fence character and length if `rest` (already past the indentation) opens a fenced
/// code block: three or more backticks or tildes; a backtick fence's info string must not
/// contain a backtick.
fn fence_opener(rest: &str) -> Option<(u8, usize)> {
    let bytes = rest.as_bytes();
    let ch = *bytes.first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = bytes.iter().take_while(|&&b| b == ch).count();
    if len < 3 || (ch == b'`' && bytes[len..].contains(&b'`')) {
        return None;
    }
    Some((ch, len))
}

/// Whether `line` closes a fence of `len` × `ch`: indented at most 3 columns, at least `len`
/// fence characters, then only spaces (pulldown-cmark does not accept tabs there).
fn closes_fence(line: &str, ch: u8, len: usize) -> bool {
    let (indent, rest) = leading_indent(line);
    if indent >= 4 {
        return false;
    }
    let count = rest.bytes().take_while(|&b| b == ch).count();
    count >= len && rest.bytes().skip(count).all(|b| b == b' ')
}

/// For a line that starts with `<` (`after` is the rest), the text that ends the HTML block
/// of kinds 1–5 it opens, mirroring pulldown-cmark's `get_html_end_tag`.
fn html_block_end(after: &str) -> Option<&'static str> {
    let bytes = after.as_bytes();
    const TAGS: [(&str, &str); 4] = [
        ("pre", "</pre>"),
        ("style", "</style>"),
        ("script", "</script>"),
        ("textarea", "</textarea>"),
    ];
    for (tag, end) in TAGS {
        let Some(head) = bytes.get(..tag.len()) else {
            continue;
        };
        if head.eq_ignore_ascii_case(tag.as_bytes()) {
            match bytes.get(tag.len()) {
                None => return Some(end),
                Some(&b) if b == b'>' || b.is_ascii_whitespace() || b == 0x0b => return Some(end),
                Some(_) => {}
            }
        }
    }
    for (start, end) in [("!--", "-->"), ("?", "?>"), ("![CDATA[", "]]>")] {
        if after.starts_with(start) {
            return Some(end);
        }
    }
    if bytes.len() > 1 && bytes[0] == b'!' && bytes[1].is_ascii_alphabetic() {
        return Some(">");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines before which the splitter cuts, with every question answered "no".
    fn cuts(text: &str) -> Vec<usize> {
        let mut splitter = Splitter::default();
        let mut out = Vec::new();
        let mut len = 0;
        for (i, line) in text.split('\n').enumerate() {
            len += line.len() + 1;
            if splitter.boundary_before(line, len) == Boundary::Before {
                splitter = Splitter::default();
                out.push(i);
            }
            splitter.consume(line);
        }
        out
    }

    #[test]
    fn paragraphs_separated_by_blank_lines_are_cut() {
        assert_eq!(cuts("a\nb\n\nc\n\n\nd"), vec![3, 6]);
    }

    #[test]
    fn leading_blank_lines_stay_with_the_first_block() {
        assert_eq!(cuts("\n\na\n\nb"), vec![4]);
    }

    #[test]
    fn a_list_is_not_cut_between_items_even_after_blank_lines() {
        assert_eq!(cuts("- a\n\n- b\n\n1. c\n\nafter"), vec![6]);
    }

    #[test]
    fn indented_continuations_are_not_cut() {
        assert_eq!(cuts("- a\n\n  more\n\n    code\nz\n\nx"), vec![7]);
    }

    #[test]
    fn blank_lines_inside_a_fence_are_not_cut() {
        assert_eq!(cuts("```\na\n\nb\n```\nafter"), vec![5]);
        assert_eq!(cuts("````\n```\n\nx\n````\n\ny"), vec![5]);
    }

    #[test]
    fn a_fence_in_column_zero_starts_a_block_and_its_close_ends_it() {
        assert_eq!(
            cuts("intro:\n```rust\nfn main() {}\n```\nafter"),
            vec![1, 4]
        );
    }

    #[test]
    fn an_html_block_that_spans_blank_lines_is_not_cut() {
        assert_eq!(cuts("<pre>\n\nx\n</pre>\n\ny"), vec![5]);
        assert_eq!(cuts("<!--\n\nx\n\n-->\n\ny"), vec![6]);
        assert_eq!(cuts("<!-- one line -->\n\ny"), vec![2]);
    }

    #[test]
    fn a_fence_after_a_possible_html_block_is_left_to_the_parser() {
        let mut splitter = Splitter::default();
        splitter.consume("<div>");
        splitter.consume("```");
        splitter.consume("");
        assert_eq!(splitter.boundary_before("after", 16), Boundary::AskParser);
    }

    #[test]
    fn an_indented_fence_after_a_list_item_is_left_to_the_parser() {
        let mut splitter = Splitter::default();
        for line in ["1. step", "   ```sh", "   make", "   ```", "2. next", ""] {
            splitter.consume(line);
        }
        assert_eq!(splitter.boundary_before("3. more", 40), Boundary::None);
        assert_eq!(splitter.boundary_before("after", 40), Boundary::AskParser);
        // A second question is refused until the block has grown by half.
        assert_eq!(splitter.boundary_before("after", 50), Boundary::None);
        assert_eq!(splitter.boundary_before("after", 60), Boundary::AskParser);
    }

    #[test]
    fn an_early_cut_is_only_promised_where_the_line_will_be_cut() {
        let mut splitter = Splitter::default();
        splitter.consume("para");
        splitter.consume("");
        assert!(splitter.boundary_before_line_starting(b'x'));
        assert!(!splitter.boundary_before_line_starting(b' '));
        splitter.consume("- item");
        splitter.consume("");
        assert!(!splitter.boundary_before_line_starting(b'x'));
    }

    #[test]
    fn list_markers_follow_pulldown_cmark() {
        assert_eq!(list_marker("- a"), Some(1));
        assert_eq!(list_marker("-"), Some(1));
        assert_eq!(list_marker("-a"), None);
        assert_eq!(list_marker("12. a"), Some(3));
        assert_eq!(list_marker("3) a"), Some(2));
        assert_eq!(list_marker("1234567890. a"), None);
        assert_eq!(list_marker("---"), None);
    }

    #[test]
    fn fences_follow_pulldown_cmark() {
        assert_eq!(fence_opener("```rust"), Some((b'`', 3)));
        assert_eq!(fence_opener("~~~~ a`b"), Some((b'~', 4)));
        assert_eq!(fence_opener("``` a`b"), None);
        assert_eq!(fence_opener("``"), None);
        assert!(closes_fence("   ````  ", b'`', 3));
        assert!(!closes_fence("```\t", b'`', 3));
        assert!(!closes_fence("    ```", b'`', 3));
        assert!(!closes_fence("``", b'`', 3));
        assert!(!closes_fence("``` x", b'`', 3));
    }
}
