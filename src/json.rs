//! JSON for the page: a value tree, a strict parser and a writer.
//!
//! The page reads small JSON documents (one per streamed token, a model list, an error
//! body) and reads and writes its saved conversations and settings. `serde_json` did this
//! with 48 KB of generic code in the page's wasm, plus the float parsing and formatting it
//! pulls in; this module is a few KB and leaves numbers to the browser's `Number` on wasm.
//!
//! Invariants:
//! - The parser accepts exactly RFC 8259 JSON text (one value, surrounded by optional
//!   whitespace) and nothing else: no trailing commas, comments, `NaN`, leading zeros or
//!   raw control characters in strings. Nesting deeper than [`MAX_DEPTH`] is refused, so
//!   hostile input cannot overflow the stack. It never panics.
//! - A `\u` escape of an unpaired UTF-16 surrogate becomes U+FFFD (a Rust `String` cannot
//!   hold it; the browser's `JSON.parse` would keep it); the rest of the text is kept.
//! - Objects keep their keys in document order; [`Json::get`] returns the last value of a
//!   repeated key, as `JSON.parse` and `serde_json` do.
//! - Parsing allocates only for arrays, objects and strings with escapes: strings borrow
//!   from the text (a streamed token's chunk is read once per token), and integers of at
//!   most 15 digits are read in Rust; other numbers go to the browser.
//! - The writer's output parses back to an equal value. Numbers that are integers of at
//!   most 2^53 are written as integers; other finite numbers in the shortest form that
//!   reads back as the same `f64`; non-finite numbers (which JSON cannot express) as `null`.

use std::borrow::Cow;
use std::fmt;

/// Deepest nesting of arrays and objects the parser accepts (as `serde_json`'s default).
pub const MAX_DEPTH: usize = 128;

/// A JSON value. Its strings borrow from the parsed text (or from what it was built from)
/// where they can; [`Json::into_owned`] makes one that borrows nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Json<'a>>),
    /// Members in document order.
    Obj(Vec<(Cow<'a, str>, Json<'a>)>),
}

/// Why a text is not JSON: what was expected, and the byte offset where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub what: &'static str,
    pub at: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for JsonError {}

/// Largest integer an `f64` holds exactly (2^53).
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

impl<'a> Json<'a> {
    /// Parses a JSON text.
    pub fn parse(text: &'a str) -> Result<Json<'a>, JsonError> {
        let mut p = Parser {
            src: text,
            s: text.as_bytes(),
            i: 0,
        };
        let value = p.value(0)?;
        p.ws();
        if p.i < p.s.len() {
            return Err(p.err("end of text"));
        }
        Ok(value)
    }

    /// Parses a JSON text given as bytes (which must be UTF-8).
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Json<'a>, JsonError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Json::parse(text),
            Err(e) => Err(JsonError {
                what: "UTF-8 text",
                at: e.valid_up_to(),
            }),
        }
    }

    /// An object from `(key, value)` pairs.
    pub fn obj<const N: usize>(members: [(&'a str, Json<'a>); N]) -> Json<'a> {
        Json::Obj(
            members
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), v))
                .collect(),
        )
    }

    /// The same value, borrowing nothing.
    pub fn into_owned(self) -> Json<'static> {
        match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(b),
            Json::Num(n) => Json::Num(n),
            Json::Str(s) => Json::Str(Cow::Owned(s.into_owned())),
            Json::Arr(items) => Json::Arr(items.into_iter().map(Json::into_owned).collect()),
            Json::Obj(members) => Json::Obj(
                members
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }

    /// The value of member `key` of an object (the last one if repeated).
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Obj(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A non-negative integer of at most 2^53.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Num(n) if n.fract() == 0.0 && (0.0..=MAX_EXACT).contains(n) => Some(*n as u64),
            _ => None,
        }
    }

    /// The words of an error value as servers send them: the string itself, or an object's
    /// `message` string (OpenAI's `{"error": {"message": …}}`).
    pub fn message(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            other => other.get("message")?.as_str(),
        }
    }

    pub fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Appends the compact JSON text of this value to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => write_number(*n, out),
            Json::Str(s) => write_string(s, out),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl Json<'_> {
    /// Appends this value's JSON text indented by two spaces per level (a tool call's
    /// arguments, the inspector's events), at `depth` levels in.
    pub fn write_pretty(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, depth: usize| {
            out.push('\n');
            for _ in 0..depth {
                out.push_str("  ");
            }
        };
        match self {
            Json::Arr(items) if !items.is_empty() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    item.write_pretty(out, depth + 1);
                }
                indent(out, depth);
                out.push(']');
            }
            Json::Obj(members) if !members.is_empty() => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    write_string(k, out);
                    out.push_str(": ");
                    v.write_pretty(out, depth + 1);
                }
                indent(out, depth);
                out.push('}');
            }
            other => other.write(out),
        }
    }
}

/// `text` pretty-printed if it is JSON, else `None`.
pub fn pretty(text: &str) -> Option<String> {
    let value = Json::parse(text).ok()?;
    let mut out = String::new();
    value.write_pretty(&mut out, 0);
    Some(out)
}

/// The compact JSON text.
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out);
        f.write_str(&out)
    }
}

impl<'a> From<&'a str> for Json<'a> {
    fn from(s: &'a str) -> Json<'a> {
        Json::Str(Cow::Borrowed(s))
    }
}

impl From<String> for Json<'_> {
    fn from(s: String) -> Self {
        Json::Str(Cow::Owned(s))
    }
}

impl From<bool> for Json<'_> {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

impl From<f64> for Json<'_> {
    fn from(n: f64) -> Self {
        Json::Num(n)
    }
}

impl From<u64> for Json<'_> {
    fn from(n: u64) -> Self {
        Json::Num(n as f64)
    }
}

impl<'a, T: Into<Json<'a>>> From<Option<T>> for Json<'a> {
    fn from(v: Option<T>) -> Json<'a> {
        v.map_or(Json::Null, Into::into)
    }
}

/// A number as JSON writes it (`""` for infinities and NaN): also how the page shows one, as
/// it has no float formatting of its own.
pub fn number_text(n: f64) -> String {
    let mut out = String::new();
    if n.is_finite() {
        write_number(n, &mut out);
    }
    out
}

fn write_number(n: f64, out: &mut String) {
    use fmt::Write;
    if !n.is_finite() {
        out.push_str("null");
    } else if n.fract() == 0.0 && n.abs() <= MAX_EXACT {
        // Integers through integer formatting (`-0.0` is written `0`).
        let _ = write!(out, "{}", n as i64);
    } else {
        out.push_str(&shortest(n));
    }
}

/// The shortest decimal that reads back as `n` (finite, not an integer of at most 2^53).
#[cfg(target_arch = "wasm32")]
fn shortest(n: f64) -> String {
    // The browser's Number-to-String: no float formatting code in the page.
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_else(|_| "null".to_string())
}

#[cfg(not(target_arch = "wasm32"))]
fn shortest(n: f64) -> String {
    format!("{n:?}")
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

struct Parser<'a> {
    src: &'a str,
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, what: &'static str) -> JsonError {
        JsonError { what, at: self.i }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &'static str, value: Json<'a>) -> Result<Json<'a>, JsonError> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(value)
        } else {
            Err(self.err("a JSON value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Json::Str),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("a JSON value")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("less deeply nested arrays and objects"));
        }
        self.i += 1; // [
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Ok(Json::Arr(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            if self.eat(b']') {
                return Ok(Json::Arr(items));
            }
            if !self.eat(b',') {
                return Err(self.err("',' or ']'"));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("less deeply nested arrays and objects"));
        }
        self.i += 1; // {
        self.ws();
        if self.eat(b'}') {
            return Ok(Json::Obj(Vec::new()));
        }
        let mut members = Vec::with_capacity(8); // one allocation for most objects
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("a member name"));
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(b':') {
                return Err(self.err("':'"));
            }
            members.push((key, self.value(depth)?));
            self.ws();
            if self.eat(b'}') {
                return Ok(Json::Obj(members));
            }
            if !self.eat(b',') {
                return Err(self.err("',' or '}'"));
            }
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.i += 1; // "
        let mut owned: Option<String> = None; // only once an escape is met
        let mut start = self.i;
        loop {
            // Skip plain characters in one scan.
            let rest = self.s.get(self.i..).unwrap_or_default();
            self.i += rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            match self.peek() {
                None => return Err(self.err("a closing '\"'")),
                Some(b'"') => {
                    let tail = self.text(start)?;
                    self.i += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut out) => {
                            out.push_str(tail);
                            Cow::Owned(out)
                        }
                    });
                }
                Some(b'\\') => {
                    let out = owned.get_or_insert_with(String::new);
                    out.push_str(self.text(start)?);
                    self.i += 1;
                    self.escape(out)?;
                    start = self.i;
                }
                // The scan stops only there: a control character.
                Some(_) => return Err(self.err("no raw control character in a string")),
            }
        }
    }

    /// The source text from `start` to the cursor (whole characters: both ends sit next to
    /// ASCII bytes of a `str`; `get` keeps even a wrong index from panicking).
    fn text(&self, start: usize) -> Result<&'a str, JsonError> {
        self.src
            .get(start..self.i)
            .ok_or_else(|| self.err("UTF-8 text"))
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let Some(b) = self.peek() else {
            return Err(self.err("an escape"));
        };
        self.i += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xd800..0xdc00).contains(&hi) && self.s[self.i..].starts_with(b"\\u") {
                    let save = self.i;
                    self.i += 2;
                    let lo = self.hex4()?;
                    if (0xdc00..0xe000).contains(&lo) {
                        let code = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                        char::from_u32(code).unwrap_or('\u{fffd}')
                    } else {
                        // Not a pair: the first is unpaired, the second is read on its own.
                        self.i = save;
                        '\u{fffd}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{fffd}')
                }
            }
            _ => {
                self.i -= 1;
                return Err(self.err("a valid escape"));
            }
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.err("four hex digits")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - from
    }

    fn number(&mut self) -> Result<Json<'a>, JsonError> {
        let start = self.i;
        self.eat(b'-');
        if self.eat(b'0') {
            if matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("no leading zero"));
            }
        } else if self.digits() == 0 {
            return Err(self.err("a digit"));
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.err("a digit after '.'"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.err("a digit in the exponent"));
            }
        }
        let text = self.text(start)?;
        let n = small_integer(text).unwrap_or_else(|| number_value(text));
        if n.is_finite() {
            Ok(Json::Num(n))
        } else {
            self.i = start;
            Err(self.err("a number within the range of f64"))
        }
    }
}

/// An integer of at most 15 digits (every one is exact in an `f64`), read here: most
/// numbers in streamed chunks are (`created`, `index`), and the browser's parser is a
/// call across the JS boundary with a string copy.
fn small_integer(text: &str) -> Option<f64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits
        .bytes()
        .fold(0u64, |n, b| n * 10 + u64::from(b - b'0')) as f64;
    Some(if negative { -n } else { n })
}

/// The value of a number already checked against JSON's grammar (NaN if it is not one).
#[cfg(target_arch = "wasm32")]
fn number_value(text: &str) -> f64 {
    // Unary plus in the browser: correctly rounded, and no float parsing code in the page.
    wasm_bindgen::JsValue::from_str(text).unchecked_into_f64()
}

#[cfg(not(target_arch = "wasm32"))]
fn number_value(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// Reading typed values out of a [`Json`] tree, with errors that name the path.
pub mod read {
    use super::Json;

    /// A missing or mistyped field: the path to it and what was expected.
    pub fn expected(path: &str, what: &str) -> String {
        format!("{path}: expected {what}")
    }

    /// A required string member.
    pub fn string(v: &Json<'_>, key: &str, path: &str) -> Result<String, String> {
        v.get(key)
            .and_then(Json::as_str)
            .map(str::to_string)
            .ok_or_else(|| expected(&format!("{path}.{key}"), "a string"))
    }

    /// An optional string member (absent or `null` → `None`).
    pub fn opt_string(v: &Json<'_>, key: &str, path: &str) -> Result<Option<String>, String> {
        match v.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Str(s)) => Ok(Some(s.to_string())),
            Some(_) => Err(expected(&format!("{path}.{key}"), "a string")),
        }
    }

    /// An optional number member (absent or `null` → `None`).
    pub fn opt_f64(v: &Json<'_>, key: &str, path: &str) -> Result<Option<f64>, String> {
        match v.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Num(n)) => Ok(Some(*n)),
            Some(_) => Err(expected(&format!("{path}.{key}"), "a number")),
        }
    }

    /// A required non-negative integer member.
    pub fn u64(v: &Json<'_>, key: &str, path: &str) -> Result<u64, String> {
        v.get(key)
            .and_then(Json::as_u64)
            .ok_or_else(|| expected(&format!("{path}.{key}"), "a whole number"))
    }

    /// An optional non-negative integer member (absent or `null` → `None`).
    pub fn opt_u64(v: &Json<'_>, key: &str, path: &str) -> Result<Option<u64>, String> {
        match v.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(n) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| expected(&format!("{path}.{key}"), "a whole number")),
        }
    }

    /// A required array member.
    pub fn array<'v, 'a>(v: &'v Json<'a>, key: &str, path: &str) -> Result<&'v [Json<'a>], String> {
        v.get(key)
            .and_then(Json::as_array)
            .ok_or_else(|| expected(&format!("{path}.{key}"), "an array"))
    }

    /// An object (or the error naming `path`).
    pub fn object<'v, 'a>(v: &'v Json<'a>, path: &str) -> Result<&'v Json<'a>, String> {
        match v {
            Json::Obj(_) => Ok(v),
            _ => Err(expected(path, "an object")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Json<'_> {
        match Json::parse(text) {
            Ok(v) => v,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn parses_every_kind_of_value() {
        assert_eq!(ok(" null "), Json::Null);
        assert_eq!(ok("true"), Json::Bool(true));
        assert_eq!(ok("-0.5e1"), Json::Num(-5.0));
        assert_eq!(
            ok("12345678901234567890"),
            Json::Num(12345678901234567890.0)
        );
        assert_eq!(
            ok(r#""a\"b\\c\/\b\f\n\r\t\u00e9\u4e2d""#),
            Json::Str("a\"b\\c/\u{8}\u{c}\n\r\té中".into())
        );
        assert_eq!(ok(r#""\ud83d\ude00""#), Json::Str("😀".into()));
        assert_eq!(
            ok("[1, [], {}]"),
            Json::Arr(vec![Json::Num(1.0), Json::Arr(vec![]), Json::Obj(vec![])])
        );
        let v = ok(r#"{"a": 1, "b": {"c": [true]}, "a": 2}"#);
        assert_eq!(v.get("a"), Some(&Json::Num(2.0)));
        assert_eq!(
            v.get("b")
                .and_then(|b| b.get("c"))
                .and_then(Json::as_array)
                .map(<[Json]>::len),
            Some(1)
        );
    }

    #[test]
    fn strings_borrow_from_the_text_unless_escaped_and_small_integers_are_read_here() {
        let v = ok(
            r#"{"plain": "tok", "escaped": "a\nb", "n": -123456789012345, "big": 1234567890123456}"#,
        );
        assert!(matches!(
            v.get("plain"),
            Some(Json::Str(Cow::Borrowed("tok")))
        ));
        assert!(matches!(v.get("escaped"), Some(Json::Str(Cow::Owned(s))) if s == "a\nb"));
        assert!(matches!(&v, Json::Obj(m) if m.iter().all(|(k, _)| matches!(k, Cow::Borrowed(_)))));
        assert_eq!(v.get("n"), Some(&Json::Num(-123456789012345.0)));
        assert_eq!(v.get("big"), Some(&Json::Num(1234567890123456.0)));
        for text in ["0", "-0", "7", "999999999999999", "-999999999999999"] {
            assert_eq!(small_integer(text), text.parse().ok(), "{text}");
        }
        for text in ["1.5", "1e3", "1234567890123456", "", "-"] {
            assert_eq!(small_integer(text), None, "{text}");
        }
        let owned = Json::parse(r#"["x"]"#).map(Json::into_owned);
        assert_eq!(
            owned,
            Ok(Json::Arr(vec![Json::Str(Cow::Owned("x".into()))]))
        );
    }

    #[test]
    fn unpaired_surrogates_become_replacement_characters() {
        assert_eq!(ok(r#""\ud800x""#), Json::Str("\u{fffd}x".into()));
        assert_eq!(ok(r#""\udc00""#), Json::Str("\u{fffd}".into()));
        assert_eq!(ok(r#""\ud800\u0041""#), Json::Str("\u{fffd}A".into()));
        assert_eq!(
            ok(r#""\ud800\ud800\udc00""#),
            Json::Str("\u{fffd}\u{10000}".into())
        );
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            " ",
            "nul",
            "tru",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "NaN",
            "Infinity",
            "1e999",
            "\"abc",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"a\nb\"",
            "[1 2]",
            "{\"a\" 1}",
            "1 2",
            "// c\n1",
            "[",
            "{",
            "'a'",
            "\u{feff}1",
        ] {
            assert!(Json::parse(bad).is_err(), "accepted {bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(Json::parse(&deep).is_err());
        let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Json::parse(&fine).is_ok());
        assert!(Json::parse_bytes(b"\"\xff\"").is_err());
        let e = Json::parse("[1,]").expect_err("bad");
        assert_eq!(e.to_string(), "a JSON value at byte 3");
    }

    #[test]
    fn writes_compact_text_that_reads_back() {
        let v = Json::obj([
            ("s", "q\"\\\n\u{1}é".into()),
            ("n", Json::Num(0.7)),
            ("i", Json::Num(-3.0)),
            ("big", Json::Num(1e300)),
            ("inf", Json::Num(f64::INFINITY)),
            ("a", Json::Arr(vec![Json::Null, true.into()])),
        ]);
        let text = v.to_string();
        assert_eq!(
            text,
            r#"{"s":"q\"\\\n\u0001é","n":0.7,"i":-3,"big":1e300,"inf":null,"a":[null,true]}"#
        );
        let back = ok(&text);
        assert_eq!(back.get("big"), Some(&Json::Num(1e300)));
        assert_eq!(back.get("inf"), Some(&Json::Null));
    }

    #[test]
    fn typed_reads_name_the_path() {
        let v = ok(r#"{"id": 3, "name": "x", "bad": -1, "f": 1.5}"#);
        assert_eq!(read::u64(&v, "id", "m"), Ok(3));
        assert_eq!(
            read::u64(&v, "bad", "m"),
            Err("m.bad: expected a whole number".into())
        );
        assert_eq!(
            read::u64(&v, "f", "m"),
            Err("m.f: expected a whole number".into())
        );
        assert_eq!(read::string(&v, "name", "m"), Ok("x".into()));
        assert_eq!(
            read::string(&v, "id", "m"),
            Err("m.id: expected a string".into())
        );
        assert_eq!(read::opt_string(&v, "none", "m"), Ok(None));
        assert_eq!(read::opt_f64(&v, "f", "m"), Ok(Some(1.5)));
        assert!(read::array(&v, "id", "m").is_err());
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// `serde_json`'s reading as a [`Json`] (objects collapse repeated keys, last wins).
        fn from_serde(v: &serde_json::Value) -> Json<'static> {
            match v {
                serde_json::Value::Null => Json::Null,
                serde_json::Value::Bool(b) => Json::Bool(*b),
                serde_json::Value::Number(n) => Json::Num(n.as_f64().unwrap_or(f64::NAN)),
                serde_json::Value::String(s) => Json::Str(s.clone().into()),
                serde_json::Value::Array(a) => Json::Arr(a.iter().map(from_serde).collect()),
                serde_json::Value::Object(m) => Json::Obj(
                    m.iter()
                        .map(|(k, v)| (k.clone().into(), from_serde(v)))
                        .collect(),
                ),
            }
        }

        /// The same value with repeated keys collapsed (last wins) and members sorted.
        fn canonical(v: &Json<'_>) -> Json<'static> {
            match v {
                Json::Arr(a) => Json::Arr(a.iter().map(canonical).collect()),
                Json::Obj(m) => {
                    let map: std::collections::BTreeMap<_, _> = m
                        .iter()
                        .map(|(k, v)| (k.to_string(), canonical(v)))
                        .collect();
                    Json::Obj(map.into_iter().map(|(k, v)| (k.into(), v)).collect())
                }
                other => other.clone().into_owned(),
            }
        }

        const TOKENS: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            " ",
            "\n",
            "\"a\"",
            "\"\"",
            "\"\\u00e9\"",
            "\"\\ud83d\\ude00\"",
            "\"\\x\"",
            "\"\\/\"",
            "\"\t\"",
            "\"中\"",
            "\"",
            "0",
            "01",
            "-0",
            "-",
            "7",
            "1.5",
            "1.",
            ".5",
            "1e5",
            "1E+2",
            "2e-3",
            "e",
            "1e400",
            "true",
            "false",
            "null",
            "nul",
            "NaN",
            "\u{feff}",
        ];

        fn value() -> impl Strategy<Value = Json<'static>> {
            let leaf = prop_oneof![
                Just(Json::Null),
                any::<bool>().prop_map(Json::Bool),
                any::<f64>()
                    .prop_filter("finite", |n| n.is_finite())
                    .prop_map(Json::Num),
                (-1000i64..1000).prop_map(|n| Json::Num(n as f64)),
                any::<String>().prop_map(Json::from),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Arr),
                    prop::collection::vec(("[a-c\"\\\\é]{0,3}", inner), 0..6).prop_map(|m| {
                        Json::Obj(m.into_iter().map(|(k, v)| (k.into(), v)).collect())
                    }),
                ]
            })
        }

        proptest! {
            /// What the writer writes, the parser reads back equal, and `serde_json` reads it
            /// as the same value.
            #[test]
            fn written_text_reads_back(v in value()) {
                let text = v.to_string();
                prop_assert_eq!(Json::parse(&text), Ok(v.clone()));
                let theirs: serde_json::Value = serde_json::from_str(&text).expect("serde_json reads it");
                prop_assert_eq!(canonical(&from_serde(&theirs)), canonical(&v));
            }

            /// Any text `serde_json` accepts, the parser accepts with the same value; any
            /// text it refuses, the parser refuses. Never a panic. The texts are runs of
            /// JSON tokens, right and wrong, so most are nearly JSON.
            #[test]
            fn agrees_with_serde_json(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..12)) {
                let text = tokens.concat();
                let mine = Json::parse(&text);
                let theirs = serde_json::from_str::<serde_json::Value>(&text);
                match (&mine, &theirs) {
                    (Ok(m), Ok(t)) => prop_assert_eq!(canonical(m), canonical(&from_serde(t))),
                    (Err(_), Err(_)) => {}
                    _ => prop_assert!(false, "{text:?}: mine {mine:?}, serde_json {theirs:?}"),
                }
            }
        }
    }

    #[test]
    fn pretty_printing_indents_and_round_trips() {
        assert_eq!(
            pretty(r#"{"city":"Paris","days":[1,2],"opts":{},"none":[]}"#).as_deref(),
            Some("{\n  \"city\": \"Paris\",\n  \"days\": [\n    1,\n    2\n  ],\n  \"opts\": {},\n  \"none\": []\n}")
        );
        assert_eq!(pretty("{"), None);
        let text = pretty(r#"[{"a":"\u00e9\n"}]"#).expect("json");
        assert_eq!(
            Json::parse(&text).expect("reads back").to_string(),
            r#"[{"a":"é\n"}]"#
        );
    }
}
