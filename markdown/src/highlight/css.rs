//! The scanner for CSS (and SCSS/Less, roughly): selectors, properties, values, at-rules,
//! comments. The brace depth and an open comment go on in the [`State`]; a value is read to
//! the `;` or `}` on its line.

use super::{Kind, Out, State};

/// Scans one line from `state`, leaving the state for the next line.
pub(crate) fn line(state: &mut State, text: &str, out: &mut Out) {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = match *state {
        State::Block { depth } => (depth, 0),
        State::CommentIn { depth } => match text.find("*/") {
            Some(at) => {
                out.token(Kind::Comment, &text[..at + 2]);
                (depth, at + 2)
            }
            None => {
                out.token(Kind::Comment, text);
                return;
            }
        },
        _ => (0, 0),
    };
    let mut in_value = false;
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &text[i..];
        if let Some(body) = rest.strip_prefix("/*") {
            match body.find("*/") {
                Some(at) => {
                    out.token(Kind::Comment, &rest[..at + 4]);
                    i += at + 4;
                    continue;
                }
                None => {
                    out.token(Kind::Comment, rest);
                    *state = State::CommentIn { depth };
                    return;
                }
            }
        }
        let len = match b {
            b' ' | b'\t' => {
                out.plain(&rest[..1]);
                1
            }
            b'{' => {
                depth = depth.saturating_add(1);
                in_value = false;
                out.token(Kind::Punctuation, "{");
                1
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                in_value = false;
                out.token(Kind::Punctuation, "}");
                1
            }
            b';' => {
                in_value = false;
                out.token(Kind::Punctuation, ";");
                1
            }
            b',' | b'(' | b')' => {
                out.token(Kind::Punctuation, &rest[..1]);
                1
            }
            b'"' | b'\'' => {
                let end = bytes[i + 1..]
                    .iter()
                    .position(|&c| c == b)
                    .map_or(rest.len(), |p| p + 2);
                out.token(Kind::String, &rest[..end]);
                end
            }
            b'@' | b'!' => {
                let end = 1 + word_len(&bytes[i + 1..]);
                out.token(
                    if end > 1 {
                        Kind::Keyword
                    } else {
                        Kind::Operator
                    },
                    &rest[..end],
                );
                end
            }
            b'#' if in_value => {
                let end = 1 + word_len(&bytes[i + 1..]);
                out.token(Kind::Number, &rest[..end]);
                end
            }
            b'.' | b'#' if !in_value && word_len(&bytes[i + 1..]) > 0 => {
                let end = 1 + word_len(&bytes[i + 1..]);
                out.token(Kind::Type, &rest[..end]);
                end
            }
            b':' if !in_value && (depth == 0 || next_is_selector(&bytes[i..])) => {
                let colons = if bytes.get(i + 1) == Some(&b':') {
                    2
                } else {
                    1
                };
                let end = colons + word_len(&bytes[i + colons..]);
                out.token(Kind::Keyword, &rest[..end]);
                end
            }
            b':' => {
                in_value = true;
                out.token(Kind::Operator, ":");
                1
            }
            b'0'..=b'9' => {
                let end = word_len(bytes.get(i..).unwrap_or_default()).max(1);
                out.token(Kind::Number, &rest[..end]);
                end
            }
            b'-' | b'.' if in_value && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let end = 1 + word_len(&bytes[i + 1..]);
                out.token(Kind::Number, &rest[..end]);
                end
            }
            _ if b.is_ascii_alphabetic() || b == b'-' || b == b'_' || b == b'&' || b == b'*' => {
                let end = word_len(&bytes[i..]).max(1);
                let word_end = i + end;
                let next = bytes[word_end..].iter().copied().find(|c| *c != b' ');
                let kind = if bytes.get(word_end) == Some(&b'(') {
                    Some(Kind::Function)
                } else if in_value {
                    None
                } else if depth > 0 && next == Some(b':') && !next_is_selector(&bytes[word_end..]) {
                    Some(Kind::Property)
                } else if b == b'&' || b == b'*' {
                    Some(Kind::Operator)
                } else {
                    Some(Kind::Tag)
                };
                out.emit(kind, &rest[..end]);
                end
            }
            _ => {
                let len = rest.chars().next().map_or(1, char::len_utf8);
                if matches!(b, b'>' | b'+' | b'~' | b'=' | b'/') {
                    out.token(Kind::Operator, &rest[..len]);
                } else {
                    out.plain(&rest[..len]);
                }
                len
            }
        };
        i += len;
    }
    *state = if depth == 0 {
        State::Normal
    } else {
        State::Block { depth }
    };
}

/// The length of a CSS word (letters, digits, `-`, `_`, `%`) at the start of `bytes`.
fn word_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'%') || **c >= 0x80)
        .count()
}

/// Whether the `:` at the start of `bytes` (inside a block) starts a pseudo-class of a
/// nested selector (`&:hover {`) rather than a value: the line goes on to a `{` before any
/// `;`.
fn next_is_selector(bytes: &[u8]) -> bool {
    let rest = bytes.iter().skip_while(|c| **c == b' ');
    let mut rest = rest.skip(1);
    if !rest
        .clone()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b':')
    {
        return false;
    }
    rest.find(|c| matches!(c, b'{' | b';' | b'}')) == Some(&b'{')
}
