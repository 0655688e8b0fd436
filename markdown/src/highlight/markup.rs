//! The scanner for HTML and XML: tags, attribute names and values, comments, entities.
//! Text between tags is plain (the contents of `<script>` and `<style>` too). One line at a
//! time: an open comment or tag goes on in the [`State`].

use super::{Kind, Out, State};

/// Scans one line from `state`, leaving the state for the next line.
pub(crate) fn line(state: &mut State, text: &str, out: &mut Out) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match *state {
            State::Comment => match text[i..].find("-->") {
                Some(at) => {
                    out.token(Kind::Comment, &text[i..i + at + 3]);
                    i += at + 3;
                    *state = State::Normal;
                }
                None => {
                    out.token(Kind::Comment, &text[i..]);
                    return;
                }
            },
            State::InTag => i = in_tag(state, text, i, out),
            State::Str { quote, .. } => match bytes[i..].iter().position(|&b| b == quote) {
                Some(at) => {
                    out.token(Kind::String, &text[i..i + at + 1]);
                    i += at + 1;
                    *state = State::InTag;
                }
                None => {
                    out.token(Kind::String, &text[i..]);
                    return;
                }
            },
            _ => i = in_text(state, text, i, out),
        }
    }
}

/// Text up to the next tag, comment or entity.
fn in_text(state: &mut State, text: &str, i: usize, out: &mut Out) -> usize {
    let bytes = text.as_bytes();
    let rest = &text[i..];
    if rest.starts_with("<!--") {
        *state = State::Comment;
        out.token(Kind::Comment, "<!--");
        return i + 4;
    }
    if bytes[i] == b'<' {
        let after = bytes.get(i + 1).copied();
        let close = after == Some(b'/');
        let name_at = i + 1 + usize::from(close) + usize::from(matches!(after, Some(b'!' | b'?')));
        let name_len = bytes[name_at.min(bytes.len())..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_' | b'.'))
            .count();
        if name_len > 0 {
            out.token(Kind::Punctuation, &text[i..name_at]);
            out.token(Kind::Tag, &text[name_at..name_at + name_len]);
            *state = State::InTag;
            return name_at + name_len;
        }
        out.plain("<");
        return i + 1;
    }
    if bytes[i] == b'&' {
        let len = bytes[i + 1..]
            .iter()
            .take(32)
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'#')
            .count();
        if len > 0 && bytes.get(i + 1 + len) == Some(&b';') {
            out.token(Kind::Constant, &text[i..i + len + 2]);
            return i + len + 2;
        }
    }
    let end = i
        + 1
        + bytes[i + 1..]
            .iter()
            .position(|&b| b == b'<' || b == b'&')
            .unwrap_or(bytes.len() - i - 1);
    out.plain(&text[i..end]);
    end
}

/// Inside a tag: attributes until `>`.
fn in_tag(state: &mut State, text: &str, i: usize, out: &mut Out) -> usize {
    let bytes = text.as_bytes();
    let b = bytes[i];
    if b.is_ascii_whitespace() {
        let end = i + bytes[i..]
            .iter()
            .take_while(|c| c.is_ascii_whitespace())
            .count();
        out.plain(&text[i..end]);
        return end;
    }
    if b == b'>' || (b == b'/' || b == b'?') && bytes.get(i + 1) == Some(&b'>') {
        let end = if b == b'>' { i + 1 } else { i + 2 };
        out.token(Kind::Punctuation, &text[i..end]);
        *state = State::Normal;
        return end;
    }
    if b == b'=' {
        out.token(Kind::Operator, "=");
        return i + 1;
    }
    if b == b'"' || b == b'\'' {
        return match bytes[i + 1..].iter().position(|&c| c == b) {
            Some(at) => {
                out.token(Kind::String, &text[i..i + at + 2]);
                i + at + 2
            }
            None => {
                out.token(Kind::String, &text[i..]);
                *state = State::Str {
                    quote: b,
                    triple: false,
                    raw: true,
                    hashes: 0,
                };
                bytes.len()
            }
        };
    }
    let value = i > 0 && bytes[..i].iter().rev().find(|c| !c.is_ascii_whitespace()) == Some(&b'=');
    let end = i + bytes[i..]
        .iter()
        .take_while(|c| !c.is_ascii_whitespace() && !matches!(c, b'>' | b'=' | b'"' | b'\''))
        .count()
        .max(1);
    // Keep whole characters when a stray byte was the first.
    let end = (end..=text.len())
        .find(|&e| text.is_char_boundary(e))
        .unwrap_or(text.len());
    out.token(
        if value { Kind::String } else { Kind::Property },
        &text[i..end],
    );
    end
}
