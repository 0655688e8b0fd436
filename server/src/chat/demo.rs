//! `rill-demo`, the built-in model: a pure, deterministic function from a conversation to a
//! markdown reply, cut into tokens.
//!
//! It owns what is said and how it is tokenised, never when: no clock, no I/O, no randomness.
//! The same messages always give the same [`Reply`], token for token, so tests can compare what
//! a client reassembled from a stream with [`reply`].
//!
//! # The reply
//!
//! The prompt is the last `user` message (the last message of any role if there is none). The
//! reply has a heading, a paragraph quoting the prompt (whitespace collapsed, verbatim
//! otherwise — HTML included, which makes it a fair test of a renderer's escaping), a bulleted
//! list, a small table, a fenced code block (```` ```rust ````, ```` ```python ```` or
//! ```` ```ts ````, chosen by a hash of the prompt) and a closing line. When the prompt contains
//! CJK characters (Han, kana, Hangul) the reply is in Simplified Chinese.
//!
//! # Tokens
//!
//! [`tokenize`] cuts text like a small BPE vocabulary would, about four bytes a token: a word
//! piece of at most five ASCII letters or digits, with the space before it; a run of at most
//! four newlines; a run of spaces or tabs; a run of at most three equal ASCII punctuation
//! characters (so ```` ``` ````, `**` and `##` are one token each); one or two CJK characters
//! (two, then two, then one, …); any other character alone. The tokens of a reply, joined,
//! are exactly its text.
//!
//! # Test markers
//!
//! Markers are written in the prompt as `[[name]]` or `[[name:arg]]`; they can be combined,
//! and are removed (and nothing else) from the text the reply quotes. Unknown markers, or
//! markers with a bad argument, are left in the text.
//!
//! - `[[long:N]]` — a reply of exactly N tokens (at most [`MAX_LONG`]): many sections of
//!   headings, paragraphs, lists, tables and code, cheap to make for N in the millions.
//! - `[[slow]]` — streamed at [`SLOW_RATE`] tokens per second, whatever the server's rate.
//! - `[[drop:N]]` — the connection breaks after N tokens: no final chunk, no `[DONE]`.
//! - `[[error:S]]` — the response is HTTP status S (200–999, otherwise 500) with an error body
//!   in the endpoint's own shape, message `boom`.
//! - `[[malformed]]` — after [`MALFORMED_AFTER`] tokens, one chunk whose JSON is invalid, then
//!   the stream goes on.
//! - `[[echo]]` — the reply is exactly the prompt minus its markers (wins over `long`).
//! - `[[system]]` — the reply is exactly the conversation's system prompt (its `system`
//!   messages, joined by blank lines), so a client can get a different reply to the same
//!   question by changing its settings, as a regenerated reply's versions need (`[[echo]]`
//!   wins over it).
//! - `[[think]]` or `[[think:N]]` — the reply starts with reasoning ([`Reply::thinking`],
//!   [`THINK_TOKENS`] or N tokens), which each API streams in its own reasoning field.
//! - `[[think-inline]]` — the same reasoning, inline at the start of the text as
//!   `<think>…</think>` followed by a blank line.
//! - `[[tool]]` or `[[tool:name]]` — the reply ends in a call of the tool `name` (default
//!   [`TOOL_NAME`]) with JSON arguments ([`Reply::tool`]).
//! - `[[sample:code]]`, `[[sample:math]]` — a fixed markdown reply with fenced code in several
//!   languages, or with TeX math ([`super::sample`]); wins over `echo` and `long`.
//!
//! What the streaming markers do on the wire is the endpoints' business (see [`super`]); this
//! module only parses them and hands them back in [`Reply::markers`].

use serde::{Deserialize, Serialize};

use super::sample::Sample;

/// The largest `[[long:N]]` honoured; larger N are clamped to it.
pub const MAX_LONG: usize = 100_000;
/// Tokens per second of a `[[slow]]` reply.
pub const SLOW_RATE: f64 = 2.0;
/// Tokens sent before the invalid chunk of a `[[malformed]]` reply.
pub const MALFORMED_AFTER: usize = 3;
/// The model's name, as listed by `/v1/models` and `/api/tags`.
pub const MODEL: &str = "rill-demo";
/// Reasoning tokens of a `[[think]]` reply.
pub const THINK_TOKENS: usize = 24;
/// The tool a `[[tool]]` reply calls.
pub const TOOL_NAME: &str = "get_weather";

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant`, …
    pub role: String,
    /// The message's text.
    pub content: String,
}

impl Message {
    /// A message with this role and text.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }

    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }
}

/// The test markers found in a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Markers {
    /// `[[long:N]]`: a reply of exactly N tokens.
    pub long: Option<usize>,
    /// `[[slow]]`: [`SLOW_RATE`] tokens per second.
    pub slow: bool,
    /// `[[drop:N]]`: break the connection after N tokens.
    pub drop: Option<usize>,
    /// `[[error:S]]`: answer with HTTP status S.
    pub error: Option<u16>,
    /// `[[malformed]]`: one chunk of invalid JSON after [`MALFORMED_AFTER`] tokens.
    pub malformed: bool,
    /// `[[echo]]`: the reply is the prompt.
    pub echo: bool,
    /// `[[system]]`: the reply is the system prompt.
    pub system: bool,
    /// `[[think]]` / `[[think:N]]`: N tokens of reasoning before the answer.
    pub think: Option<usize>,
    /// `[[think-inline]]`: the reasoning inline in the text, in `<think>` tags.
    pub think_inline: bool,
    /// `[[tool]]` / `[[tool:name]]`: the reply ends in a tool call.
    pub tool: bool,
    /// `[[sample:code]]` / `[[sample:math]]`: a fixed reply with code or math.
    pub sample: Option<Sample>,
}

/// Finds the markers in `text`; returns them and the text with the markers removed.
pub fn parse_markers(text: &str) -> (Markers, String) {
    let (markers, clean, _) = parse_markers_named(text);
    (markers, clean)
}

/// [`parse_markers`], with the name of a `[[tool:name]]` marker.
fn parse_markers_named(text: &str) -> (Markers, String, Option<String>) {
    let mut tool = None;
    let mut markers = Markers::default();
    let mut clean = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("[[") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("]]") else {
            break;
        };
        let inner = &after[..close];
        if apply_marker_named(inner, &mut markers, &mut tool) {
            clean.push_str(&rest[..open]);
            rest = &after[close + 2..];
        } else {
            // Not a marker: keep the `[[` and look again after it.
            clean.push_str(&rest[..open + 2]);
            rest = after;
        }
    }
    clean.push_str(rest);
    (markers, clean, tool)
}

/// A tool name: 1 to 64 ASCII letters, digits, `_` or `-`, as the APIs allow.
fn is_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Records the marker `inner` (the text between `[[` and `]]`), and a `[[tool:name]]`'s name
/// in `tool`; false if it is not a marker.
fn apply_marker_named(inner: &str, markers: &mut Markers, tool: &mut Option<String>) -> bool {
    let (name, arg) = match inner.split_once(':') {
        Some((name, arg)) => (name, Some(arg)),
        None => (inner, None),
    };
    let number = || arg.and_then(|a| a.trim().parse::<usize>().ok());
    match (name, arg) {
        ("slow", None) => markers.slow = true,
        ("malformed", None) => markers.malformed = true,
        ("echo", None) => markers.echo = true,
        ("system", None) => markers.system = true,
        ("think", None) => markers.think = Some(THINK_TOKENS),
        ("think", Some(_)) => match number() {
            Some(n) => markers.think = Some(n.min(MAX_LONG)),
            None => return false,
        },
        ("think-inline", None) => markers.think_inline = true,
        ("sample", Some(name)) => match Sample::from_name(name) {
            Some(sample) => markers.sample = Some(sample),
            None => return false,
        },
        ("tool", None) => markers.tool = true,
        ("tool", Some(name)) if is_tool_name(name) => {
            markers.tool = true;
            *tool = Some(name.to_string());
        }
        ("long", Some(_)) => match number() {
            Some(n) => markers.long = Some(n.min(MAX_LONG)),
            None => return false,
        },
        ("drop", Some(_)) => match number() {
            Some(n) => markers.drop = Some(n),
            None => return false,
        },
        ("error", Some(_)) => match number() {
            Some(s) => {
                markers.error = Some(if (200..=999).contains(&s) {
                    s as u16
                } else {
                    500
                })
            }
            None => return false,
        },
        _ => return false,
    }
    true
}

/// The prompt of a conversation: the last `user` message, else the last message, else `""`.
pub fn prompt(messages: &[Message]) -> &str {
    messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .or_else(|| messages.last())
        .map_or("", |m| m.content.as_str())
}

/// A reply: its text, its token boundaries and the prompt's markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    text: String,
    /// Byte offset of the end of each token, increasing; the last is `text.len()`.
    ends: Vec<usize>,
    /// The markers of the prompt this replies to.
    pub markers: Markers,
    /// `[[think]]`: the reasoning's tokens, streamed before the text (empty without it).
    pub thinking: Vec<String>,
    /// `[[tool]]`: the tool call the reply ends in.
    pub tool: Option<ToolCall>,
}

/// A tool call of the demo model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The call's id, the same for the same prompt (`call_` and 16 hex digits).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, compact JSON text of an object.
    pub arguments: String,
}

impl ToolCall {
    /// The arguments cut in pieces of about `size` bytes (on character boundaries), as the
    /// APIs stream them.
    pub fn argument_pieces(&self, size: usize) -> Vec<String> {
        let mut pieces = Vec::new();
        let mut current = String::new();
        for c in self.arguments.chars() {
            current.push(c);
            if current.len() >= size.max(1) {
                pieces.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            pieces.push(current);
        }
        pieces
    }
}

impl Reply {
    /// The reasoning's text (empty without `[[think]]`).
    pub fn thinking_text(&self) -> String {
        self.thinking.concat()
    }

    /// Every output token: reasoning, text and tool arguments, as the APIs' usage counts.
    pub fn output_tokens(&self) -> usize {
        self.thinking.len()
            + self.len()
            + self
                .tool
                .as_ref()
                .map_or(0, |t| count_tokens(&t.arguments) + 1)
    }
}

/// `n` tokens of reasoning about `prompt`.
fn thinking_tokens(prompt: &str, n: usize) -> Vec<String> {
    let about = shorten(&collapse(prompt), 40);
    let first = format!(
        "The user asks about \u{201c}{about}\u{201d}. I will answer with a heading, a short list, a table and a code block. "
    );
    let again = "Then I check that every part is in order and that nothing is missing. ";
    let mut text = first;
    let mut ends = tokenize(&text);
    while ends.len() < n {
        text.push_str(again);
        ends = tokenize(&text);
    }
    let mut tokens = Vec::with_capacity(n);
    let mut start = 0;
    for &end in ends.iter().take(n) {
        tokens.push(text[start..end].to_string());
        start = end;
    }
    tokens
}

/// The tool call for `prompt`.
fn tool_call(prompt: &str, name: Option<String>) -> ToolCall {
    let query = shorten(&collapse(prompt), 40);
    let arguments = serde_json::json!({"location": "Paris", "query": query, "unit": "celsius"});
    ToolCall {
        id: format!("call_{:016x}", fnv1a(prompt)),
        name: name.unwrap_or_else(|| TOOL_NAME.to_string()),
        arguments: arguments.to_string(),
    }
}

impl Reply {
    /// The whole reply.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many tokens it has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True if it has no tokens.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Token `i` (`i < len()`).
    pub fn token(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// The tokens, in order.
    pub fn tokens(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.token(i))
    }

    /// The text of the first `n` tokens.
    pub fn prefix(&self, n: usize) -> &str {
        match n.min(self.len()) {
            0 => "",
            n => &self.text[..self.ends[n - 1]],
        }
    }
}

/// The reply to `messages`, with its tokens and markers.
pub fn respond(messages: &[Message]) -> Reply {
    let (markers, clean, tool_name) = parse_markers_named(prompt(messages));
    let (text, ends) = if let Some(sample) = markers.sample {
        let text = sample.text().to_string();
        let ends = tokenize(&text);
        (text, ends)
    } else if markers.echo {
        let ends = tokenize(&clean);
        (clean.clone(), ends)
    } else if markers.system {
        let text = messages
            .iter()
            .filter(|m| m.role == "system")
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        let ends = tokenize(&text);
        (text, ends)
    } else if let Some(n) = markers.long {
        long_reply(&clean, n)
    } else {
        let text = if has_cjk(&clean) {
            chinese_reply(&clean, messages.len())
        } else {
            english_reply(&clean, messages.len())
        };
        let ends = tokenize(&text);
        (text, ends)
    };
    let reasoning = if markers.think.is_some() || markers.think_inline {
        thinking_tokens(&clean, markers.think.unwrap_or(THINK_TOKENS))
    } else {
        Vec::new()
    };
    let (text, ends, thinking) = if markers.think_inline {
        // The reasoning goes first, in tags, as models that think inline write it.
        let mut inline = format!("<think>{}</think>\n\n", reasoning.concat());
        inline.push_str(&text);
        let ends = tokenize(&inline);
        (inline, ends, Vec::new())
    } else {
        (text, ends, reasoning)
    };
    let tool = markers.tool.then(|| tool_call(&clean, tool_name));
    Reply {
        text,
        ends,
        markers,
        thinking,
        tool,
    }
}

/// The reply's text alone: what a client should reassemble from any stream of it.
pub fn reply(messages: &[Message]) -> String {
    respond(messages).text
}

/// How many tokens `text` is.
pub fn count_tokens(text: &str) -> usize {
    tokenize(text).len()
}

/// True for Han ideographs (with extensions and compatibility forms), CJK punctuation,
/// kana, Hangul and full-width forms.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F   // CJK symbols and punctuation
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // Extension A
        | 0x4E00..=0x9FFF // Unified ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // Compatibility ideographs
        | 0xFF00..=0xFFEF // Half- and full-width forms
        | 0x20000..=0x3FFFF) // Extensions B onwards
}

fn has_cjk(text: &str) -> bool {
    text.chars().any(is_cjk)
}

/// The byte offsets where the tokens of `text` end (see the module documentation).
pub fn tokenize(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut ends = Vec::with_capacity(text.len() / 3 + 1);
    let mut i = 0;
    let mut cjk_count = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        let end = if b == b' ' && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
            word_end(bytes, i + 1)
        } else if b.is_ascii_alphanumeric() {
            word_end(bytes, i)
        } else if b == b'\n' {
            run_end(bytes, i, 4, |c| c == b'\n')
        } else if b == b' ' || b == b'\t' {
            run_end(bytes, i, 8, |c| c == b' ' || c == b'\t')
        } else if b.is_ascii_punctuation() {
            run_end(bytes, i, 3, |c| c == b)
        } else if b.is_ascii() {
            i + 1
        } else {
            let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
            let mut end = i + c.len_utf8();
            if is_cjk(c) {
                let pair = cjk_count % 3 != 2;
                cjk_count += 1;
                if pair {
                    if let Some(next) = text[end..].chars().next().filter(|&n| is_cjk(n)) {
                        end += next.len_utf8();
                    }
                }
            }
            end
        };
        ends.push(end);
        i = end;
    }
    ends
}

/// End of a word piece: at most five ASCII letters or digits from `start`.
fn word_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len() && end - start < 5 && bytes[end].is_ascii_alphanumeric() {
        end += 1;
    }
    end
}

/// End of a run of at most `max` bytes matching `keep`, starting at `start` (which matches).
fn run_end(bytes: &[u8], start: usize, max: usize, keep: impl Fn(u8) -> bool) -> usize {
    let mut end = start + 1;
    while end < bytes.len() && end - start < max && keep(bytes[end]) {
        end += 1;
    }
    end
}

/// FNV-1a: a hash that is the same on every run and every platform.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `text` with runs of whitespace as single spaces, trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters of `text`, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A string literal for the code block: quotes, backslashes and control characters escaped.
fn literal(text: &str) -> String {
    format!("{:?}", shorten(text, 40))
}

const LANGS: [&str; 3] = ["rust", "python", "ts"];

fn code_block(lang: &str, prompt: &str) -> String {
    let lit = literal(prompt);
    match lang {
        "python" => format!(
            "```python\nprompt = {lit}\nwords = len(prompt.split())\nprint(f\"{{words}} words, {{len(prompt)}} chars\")\n```\n"
        ),
        "ts" => format!(
            "```ts\nconst prompt: string = {lit};\nconst words = prompt.split(/\\s+/).filter(Boolean).length;\nconsole.log(`${{words}} words, ${{prompt.length}} chars`);\n```\n"
        ),
        _ => format!(
            "```rust\nfn main() {{\n    let prompt = {lit};\n    let words = prompt.split_whitespace().count();\n    println!(\"{{words}} words, {{}} chars\", prompt.chars().count());\n}}\n```\n"
        ),
    }
}

struct Theme {
    name: &'static str,
    intro: &'static str,
    bullets: [(&'static str, &'static str); 3],
}

const THEMES: [Theme; 3] = [
    Theme {
        name: "streaming",
        intro: "Streaming is the point of this demo: every token leaves the server as soon as it is ready, so the first words appear long before the last ones are written.",
        bullets: [
            ("Latency", "the first token arrives after one tick, not after the whole answer."),
            ("Order", "tokens are joined in the order they arrive; nothing is reordered."),
            ("Cancelling", "closing the stream stops the work on the server at once."),
        ],
    },
    Theme {
        name: "markdown",
        intro: "Markdown arrives in pieces: a table row or a code fence may be cut anywhere, and a good renderer shows each piece without flicker and without breaking the layout.",
        bullets: [
            ("Headings", "a `##` may arrive one token before its text."),
            ("Tables", "rows are complete only when their last `|` arrives."),
            ("Code", "a fenced block stays open until its closing fence comes in."),
        ],
    },
    Theme {
        name: "reliability",
        intro: "Networks fail in the middle of answers: a client should keep what it has, say what happened, and offer to try again.",
        bullets: [
            ("Drops", "a connection that breaks mid-stream leaves a partial answer."),
            ("Errors", "an HTTP error carries a JSON body worth showing."),
            ("Retries", "a retry starts a new answer instead of duplicating the old one."),
        ],
    },
];

struct ThemeZh {
    name: &'static str,
    intro: &'static str,
    bullets: [(&'static str, &'static str); 3],
}

const THEMES_ZH: [ThemeZh; 3] = [
    ThemeZh {
        name: "流式传输",
        intro: "流式传输是这个演示的重点：每个词元一生成就立即发送，所以第一句话远在最后一句写完之前就出现了。",
        bullets: [
            ("延迟", "第一个词元在一个节拍之后到达，而不是等整个回答完成。"),
            ("顺序", "词元按到达顺序拼接，不会被重新排列。"),
            ("取消", "关闭流会立即停止服务器上的工作。"),
        ],
    },
    ThemeZh {
        name: "Markdown 渲染",
        intro: "Markdown 是一段一段到达的：表格的一行或代码围栏可能在任何位置被切开，好的渲染器应当平稳地显示每一段，不闪烁，也不破坏布局。",
        bullets: [
            ("标题", "`##` 可能比标题文字早一个词元到达。"),
            ("表格", "只有最后一个 `|` 到达时，一行才算完整。"),
            ("代码", "代码块在收到结尾的围栏之前一直保持打开。"),
        ],
    },
    ThemeZh {
        name: "可靠性",
        intro: "网络可能在回答的中途断开：客户端应当保留已经收到的内容，说明发生了什么，并允许重试。",
        bullets: [
            ("断线", "中途断开的连接会留下不完整的回答。"),
            ("错误", "HTTP 错误带有值得展示的 JSON 内容。"),
            ("重试", "重试会开始一个新的回答，而不是重复旧的回答。"),
        ],
    },
];

fn english_reply(prompt: &str, messages: usize) -> String {
    let flat = collapse(prompt);
    let hash = fnv1a(&flat);
    let theme = &THEMES[(hash % 3) as usize];
    let lang = LANGS[((hash >> 8) % 3) as usize];
    let (title, quote) = if flat.is_empty() {
        (
            "Hello from rill-demo".to_string(),
            "You sent an empty message, so here is a sample reply.".to_string(),
        )
    } else {
        (
            format!("Re: {}", shorten(&flat, 48)),
            format!("You asked: \u{201c}{}\u{201d}.", shorten(&flat, 300)),
        )
    };
    let words = flat.split(' ').filter(|w| !w.is_empty()).count();
    let chars = flat.chars().count();
    let mut out = String::with_capacity(1400);
    out.push_str(&format!("## {title}\n\n"));
    out.push_str(&format!(
        "{quote} This is **rill-demo**, the built-in model of rill-server: it answers every prompt with the same kind of markdown, deterministically, and streams it token by token so you can watch it render.\n\n"
    ));
    out.push_str(theme.intro);
    out.push_str("\n\n");
    for (head, text) in theme.bullets {
        out.push_str(&format!("- **{head}**: {text}\n"));
    }
    out.push('\n');
    out.push_str("| Item | Value |\n| --- | --- |\n| Model | `rill-demo` |\n");
    out.push_str(&format!(
        "| Prompt | {chars} characters, {words} words |\n| Messages | {messages} in this conversation |\n| Theme | {} |\n\n",
        theme.name
    ));
    out.push_str(&code_block(lang, &flat));
    out.push_str(
        "\nThat is all for now. Ask again and you will get the same answer, token for token.",
    );
    out
}

fn chinese_reply(prompt: &str, messages: usize) -> String {
    let flat = collapse(prompt);
    let hash = fnv1a(&flat);
    let theme = &THEMES_ZH[(hash % 3) as usize];
    let lang = LANGS[((hash >> 8) % 3) as usize];
    let chars = flat.chars().count();
    let mut out = String::with_capacity(1400);
    out.push_str(&format!("## 关于：{}\n\n", shorten(&flat, 24)));
    out.push_str(&format!(
        "你问道：\u{201c}{}\u{201d}。这是 rill-server 内置的 **rill-demo** 模型：它对每个提示都给出同样结构的 Markdown 回答，结果是确定的，并且逐个词元流式发送，方便你观察渲染的过程。\n\n",
        shorten(&flat, 200)
    ));
    out.push_str(theme.intro);
    out.push_str("\n\n");
    for (head, text) in theme.bullets {
        out.push_str(&format!("- **{head}**：{text}\n"));
    }
    out.push('\n');
    out.push_str("| 项目 | 值 |\n| --- | --- |\n| 模型 | `rill-demo` |\n");
    out.push_str(&format!(
        "| 提示 | {chars} 个字符 |\n| 消息 | 本次对话共 {messages} 条 |\n| 主题 | {} |\n\n",
        theme.name
    ));
    out.push_str(&code_block(lang, &flat));
    out.push_str("\n以上就是全部内容。再问一次，你会逐字得到同样的回答。");
    out
}

const SENTENCES: [&str; 8] = [
    "Each section of this long reply is built from a handful of fixed sentences, so it costs almost nothing to make.",
    "A client that renders markdown incrementally should keep up with thousands of tokens a second.",
    "Scrolling should follow the newest text unless the reader has scrolled up to read something older.",
    "Long answers are where quadratic work hides: re-parsing everything on every token soon shows.",
    "Lists, tables and code blocks appear in turn, to exercise every part of the renderer.",
    "Nothing here depends on the time of day, so two runs produce the same bytes.",
    "A break in the connection at any point must leave what arrived readable.",
    "The reply stops after exactly the number of tokens that was asked for, even in the middle of a word.",
];

const SENTENCES_ZH: [&str; 6] = [
    "这个长回答的每一节都由几句固定的句子组成，所以生成它几乎没有成本。",
    "逐步渲染 Markdown 的客户端应当能跟上每秒数千个词元的速度。",
    "除非读者向上滚动去看旧的内容，否则页面应当跟随最新的文字滚动。",
    "长回答最容易暴露平方级的开销：每来一个词元就重新解析全部内容，很快就会变慢。",
    "列表、表格和代码块依次出现，以便测试渲染器的每个部分。",
    "回答在恰好达到要求的词元数量时停止，哪怕是在一句话的中间。",
];

/// Section `k` of a long reply.
fn long_section(k: usize, zh: bool, out: &mut String) {
    use std::fmt::Write as _;
    let part = k + 1;
    let pick = |j: usize, len: usize| (k * 7 + j * 3) % len;
    // Writing to a String cannot fail.
    if zh {
        let _ = write!(out, "### 第 {part} 节\n\n");
        for j in 0..3 {
            out.push_str(SENTENCES_ZH[pick(j, SENTENCES_ZH.len())]);
        }
        out.push_str("\n\n");
        for j in 0..3 {
            let _ = writeln!(
                out,
                "- 第 {part}.{} 项：{}",
                j + 1,
                SENTENCES_ZH[pick(j + 3, SENTENCES_ZH.len())]
            );
        }
    } else {
        let _ = write!(out, "### Part {part}\n\n");
        for j in 0..3 {
            if j > 0 {
                out.push(' ');
            }
            out.push_str(SENTENCES[pick(j, SENTENCES.len())]);
        }
        out.push_str("\n\n");
        for j in 0..3 {
            let _ = writeln!(
                out,
                "- Item {part}.{}: {}",
                j + 1,
                SENTENCES[pick(j + 3, SENTENCES.len())]
            );
        }
    }
    out.push('\n');
    if k % 3 == 2 {
        let _ = write!(
            out,
            "```rust\nfn part_{part}(tokens: &[&str]) -> usize {{\n    tokens.iter().map(|t| t.len()).sum::<usize>() * {part}\n}}\n```\n\n"
        );
    }
    if k % 4 == 3 {
        let _ = write!(
            out,
            "| Part | Tokens so far | Note |\n| --- | ---: | --- |\n| {part} | ~{} | `long` |\n| {} | ~{} | next |\n\n",
            part * 120,
            part + 1,
            (part + 1) * 120
        );
    }
}

/// A reply of exactly `n` tokens, made section by section.
fn long_reply(prompt: &str, n: usize) -> (String, Vec<usize>) {
    let zh = has_cjk(prompt);
    let mut text = if zh {
        format!("## 长回答（{n} 个词元）\n\n")
    } else {
        format!("## A long reply ({n} tokens)\n\n")
    };
    let mut ends = tokenize(&text);
    let mut section = String::new();
    let mut k = 0;
    while ends.len() < n {
        section.clear();
        long_section(k, zh, &mut section);
        let base = text.len();
        ends.extend(tokenize(&section).into_iter().map(|e| e + base));
        text.push_str(&section);
        k += 1;
    }
    ends.truncate(n);
    text.truncate(ends.last().copied().unwrap_or(0));
    (text, ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Vec<Message> {
        vec![Message::user(text)]
    }

    #[test]
    fn same_input_same_reply() {
        let a = respond(&user("How do rivers form?"));
        let b = respond(&user("How do rivers form?"));
        assert_eq!(a, b);
        assert_ne!(a.text(), reply(&user("How do glaciers form?")));
    }

    #[test]
    fn english_reply_has_every_markdown_block() {
        let text = reply(&user("Explain   server-sent\nevents"));
        assert!(
            text.starts_with("## Re: Explain server-sent events\n\n"),
            "{text}"
        );
        assert!(text.contains("You asked: \u{201c}Explain server-sent events\u{201d}."));
        assert!(text.contains("\n- **"), "list: {text}");
        assert!(
            text.contains("| Item | Value |\n| --- | --- |\n"),
            "table: {text}"
        );
        assert!(
            text.contains("| Prompt | 26 characters, 3 words |"),
            "{text}"
        );
        assert!(
            ["```rust\n", "```python\n", "```ts\n"]
                .iter()
                .any(|fence| text.contains(fence)),
            "code: {text}"
        );
        assert_eq!(text.matches("```").count(), 2, "one closed fence: {text}");
        assert!(text.ends_with("token for token."));
        assert!(!has_cjk(&text));
    }

    #[test]
    fn themes_and_languages_vary_with_the_prompt() {
        let replies: Vec<String> = (0..30).map(|i| reply(&user(&format!("q{i}")))).collect();
        for fence in ["```rust\n", "```python\n", "```ts\n"] {
            assert!(replies.iter().any(|r| r.contains(fence)), "{fence}");
        }
        for theme in THEMES.iter().map(|t| t.name) {
            assert!(
                replies
                    .iter()
                    .any(|r| r.contains(&format!("| Theme | {theme} |"))),
                "{theme}"
            );
        }
    }

    #[test]
    fn cjk_prompt_gets_a_chinese_reply() {
        let text = reply(&user("什么是服务器发送事件？"));
        assert!(
            text.starts_with("## 关于：什么是服务器发送事件？\n\n"),
            "{text}"
        );
        assert!(text.contains("你问道"));
        assert!(text.contains("| 项目 | 值 |"));
        assert!(text.contains("```"));
        assert!(reply(&user("こんにちは")).contains("你问道"));
    }

    #[test]
    fn prompt_is_the_last_user_message() {
        let messages = vec![
            Message::new("system", "be brief"),
            Message::user("first question"),
            Message::new("assistant", "an answer"),
            Message::user("second question"),
            Message::new("assistant", "x"),
        ];
        assert_eq!(prompt(&messages), "second question");
        assert!(reply(&messages).contains("\u{201c}second question\u{201d}"));
        assert!(reply(&messages).contains("| Messages | 5 in this conversation |"));
        assert_eq!(prompt(&[Message::new("system", "only")]), "only");
        assert_eq!(prompt(&[]), "");
        assert!(reply(&[]).starts_with("## Hello from rill-demo"));
    }

    #[test]
    fn tokens_join_to_the_text() {
        for prompt in [
            "Hello, world!",
            "中文和English混合",
            "[[long:500]]",
            "",
            "a\r\n\tb 🎉",
        ] {
            let r = respond(&user(prompt));
            assert_eq!(r.tokens().collect::<String>(), r.text(), "{prompt}");
            assert!(r.tokens().all(|t| !t.is_empty()));
        }
    }

    #[test]
    fn tokens_are_small() {
        let r = respond(&user("Tell me about streaming markdown renderers"));
        let avg = r.text().len() as f64 / r.len() as f64;
        assert!((2.5..=6.0).contains(&avg), "average {avg} bytes a token");
        assert!(
            r.tokens().all(|t| t.chars().count() <= 8),
            "{:?}",
            r.tokens().max_by_key(|t| t.len())
        );
        assert!(r.len() > 100, "{}", r.len());
    }

    #[test]
    fn tokenizer_cuts_like_documented() {
        let text = "Hello streaming world!! ```rust\n\n\n\n\nx";
        let ends = tokenize(text);
        let mut start = 0;
        let tokens: Vec<&str> = ends
            .iter()
            .map(|&e| {
                let t = &text[start..e];
                start = e;
                t
            })
            .collect();
        assert_eq!(
            tokens,
            [
                "Hello", " strea", "ming", " world", "!!", " ", "```", "rust", "\n\n\n\n", "\n",
                "x"
            ]
        );
    }

    #[test]
    fn cjk_tokens_are_one_or_two_characters() {
        let r = respond(&user("请解释一下流式传输"));
        let cjk: Vec<&str> = r.tokens().filter(|t| t.chars().all(is_cjk)).collect();
        assert!(cjk.len() > 50);
        assert!(cjk.iter().all(|t| (1..=2).contains(&t.chars().count())));
        assert!(cjk.iter().any(|t| t.chars().count() == 1));
        assert!(cjk.iter().any(|t| t.chars().count() == 2));
    }

    #[test]
    fn markers_are_parsed_and_removed() {
        let (m, clean) =
            parse_markers("a[[long:12]] b [[slow]][[drop:3]][[error:503]][[malformed]][[echo]]c");
        assert_eq!(
            m,
            Markers {
                long: Some(12),
                slow: true,
                drop: Some(3),
                error: Some(503),
                malformed: true,
                echo: true,
                ..Markers::default()
            }
        );
        assert_eq!(clean, "a b c");
        let (m, clean) = parse_markers("[[long:x]] [[nope]] [[error:142]] [[ [[echo]]");
        assert_eq!(clean, "[[long:x]] [[nope]]  [[ ");
        assert_eq!(m.error, Some(500));
        assert!(m.echo);
        assert_eq!(parse_markers("[[long:99999999999]]").0.long, Some(MAX_LONG));
        assert_eq!(parse_markers("no markers ]] [[").1, "no markers ]] [[");
    }

    #[test]
    fn system_marker_replies_with_the_system_prompt() {
        let convo = |system: &str| {
            vec![
                Message::new("system", system),
                Message::user("[[system]]same question"),
            ]
        };
        assert_eq!(reply(&convo("first")), "first");
        assert_eq!(reply(&convo("second 你好")), "second 你好");
        assert_eq!(reply(&user("[[system]]q")), "", "no system prompt");
        assert_eq!(reply(&user("[[system]][[echo]]q")), "q", "echo wins");
        let r = respond(&convo("a b c"));
        assert_eq!(r.tokens().collect::<String>(), "a b c");
    }

    #[test]
    fn sample_markers_give_their_fixed_text() {
        let r = respond(&user("show me [[sample:code]]"));
        assert_eq!(r.text(), Sample::Code.text());
        assert_eq!(r.markers.sample, Some(Sample::Code));
        assert_eq!(r.tokens().collect::<String>(), Sample::Code.text());
        assert_eq!(reply(&user("[[sample:math]][[echo]]")), Sample::Math.text());
        let (m, clean) = parse_markers("[[sample:nope]]");
        assert_eq!((m.sample, clean.as_str()), (None, "[[sample:nope]]"));
    }

    #[test]
    fn echo_is_the_prompt_verbatim() {
        let hostile =
            "[[echo]]<img src=x onerror=alert(1)> & <script>\"'</script>\n  中文 **bold**";
        let r = respond(&user(hostile));
        assert_eq!(
            r.text(),
            "<img src=x onerror=alert(1)> & <script>\"'</script>\n  中文 **bold**"
        );
        assert!(r.markers.echo);
        assert_eq!(reply(&user("[[echo]]")), "");
    }

    #[test]
    fn long_reply_has_exactly_n_tokens_and_is_cheap() {
        for n in [0, 1, 7, 20_000] {
            let r = respond(&user(&format!("[[long:{n}]]")));
            assert_eq!(r.len(), n);
            assert_eq!(r.tokens().collect::<String>(), r.text());
        }
        let started = std::time::Instant::now();
        let r = respond(&user("[[long:200000]]"));
        assert_eq!(r.len(), MAX_LONG);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let text = r.text();
        assert!(text.matches("### Part").count() > 100);
        assert!(
            text.contains("```rust\n") && text.contains("| Part |") && text.contains("\n- Item")
        );
        let zh = respond(&user("长[[long:3000]]"));
        assert_eq!(zh.len(), 3000);
        assert!(zh.text().contains("### 第 1 节"));
    }

    #[test]
    fn think_and_tool_markers() {
        let r = respond(&user("Weather? [[think]] [[tool]]"));
        assert_eq!(r.thinking.len(), THINK_TOKENS);
        assert!(r
            .thinking_text()
            .starts_with("The user asks about \u{201c}Weather?\u{201d}."));
        assert!(!r.text().contains("<think>"));
        let tool = r.tool.clone().expect("tool");
        assert_eq!(tool.name, TOOL_NAME);
        assert_eq!(tool.argument_pieces(7).concat(), tool.arguments);
        let args: serde_json::Value = serde_json::from_str(&tool.arguments).expect("json");
        assert_eq!(args["query"], "Weather?");
        assert_eq!(
            r.output_tokens(),
            THINK_TOKENS + r.len() + count_tokens(&tool.arguments) + 1
        );
        assert_eq!(respond(&user("[[think:5]]")).thinking.len(), 5);
        assert_eq!(respond(&user("[[think:500]]")).thinking.len(), 500);
        let named = respond(&user("[[tool:search_web]]"));
        assert_eq!(named.tool.map(|t| t.name).as_deref(), Some("search_web"));
        assert_eq!(parse_markers("[[tool:bad name]]").1, "[[tool:bad name]]");
        let inline = respond(&user("hi [[think-inline]]"));
        assert!(inline.thinking.is_empty());
        assert!(inline.text().starts_with("<think>The user asks about"));
        assert!(inline.text().contains("</think>\n\n## "));
        assert_eq!(inline.tokens().collect::<String>(), inline.text());
        let plain = respond(&user("hi"));
        assert!(plain.thinking.is_empty() && plain.tool.is_none());
        assert_eq!(plain.output_tokens(), plain.len());
    }

    #[test]
    fn prefix_is_the_first_tokens() {
        let r = respond(&user("prefix test"));
        assert_eq!(r.prefix(0), "");
        assert_eq!(r.prefix(3), r.tokens().take(3).collect::<String>());
        assert_eq!(r.prefix(usize::MAX), r.text());
    }
}
