//! What a reply carries besides its answer: the model's reasoning, the tool calls it ended
//! with, and its token usage and timing (pure, saved and exported with the message).
//!
//! The reasoning is never part of the answer (`Message::content`), so it is never sent
//! back to the model. Tool calls are accumulated from streamed fragments by index; rill
//! shows them and does not run tools.

use super::format::{ToolDelta, Usage};
use crate::json::{read, Json};

/// A tool call as accumulated from its fragments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolCall {
    pub index: u64,
    pub id: String,
    pub name: String,
    /// The arguments' text as the model wrote it (normally a JSON object).
    pub arguments: String,
}

/// A reply's reasoning, tool calls, usage and timing. Everything is optional: the default is
/// a reply that had none of them (and is saved with no extra keys).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplyExtras {
    pub reasoning: String,
    /// From the first reasoning text to the first answer text, ms.
    pub thought_ms: Option<f64>,
    pub tools: Vec<ToolCall>,
    pub usage: Usage,
    /// From sending the request to the first text (answer or reasoning), ms.
    pub first_token_ms: Option<f64>,
    /// From the first text to the end of the reply, ms.
    pub gen_ms: Option<f64>,
    /// While the reply streams from a server that keeps it: where to reattach (saved as
    /// `resume`, dropped when the reply ends).
    pub resume: Option<super::resume::ResumePoint>,
}

/// At most this many tool calls are kept per reply, and this many bytes of reasoning and of
/// each call's arguments: a hostile stream cannot grow a message without bound here.
pub const MAX_TOOLS: usize = 64;
pub const MAX_TEXT: usize = 1 << 20;

/// The shortest generation time (ms) the page's own clock turns into a speed.
pub const MIN_GEN_MS: f64 = 100.0;

impl ReplyExtras {
    pub fn is_empty(&self) -> bool {
        *self == ReplyExtras::default()
    }

    /// Adds reasoning text (up to [`MAX_TEXT`] bytes in all).
    pub fn add_reasoning(&mut self, text: &str) {
        push_bounded(&mut self.reasoning, text);
    }

    /// Adds a tool-call fragment: a new index starts a call, the same index adds to it.
    pub fn add_tool(&mut self, delta: &ToolDelta) {
        let call = match self.tools.iter_mut().position(|c| c.index == delta.index) {
            Some(at) => &mut self.tools[at],
            None if self.tools.len() < MAX_TOOLS => {
                self.tools.push(ToolCall {
                    index: delta.index,
                    ..ToolCall::default()
                });
                let last = self.tools.len() - 1;
                &mut self.tools[last]
            }
            None => return,
        };
        if let Some(id) = delta.id.as_ref().filter(|s| !s.is_empty()) {
            call.id = id.chars().take(256).collect();
        }
        if let Some(name) = delta.name.as_ref().filter(|s| !s.is_empty()) {
            call.name = name.chars().take(256).collect();
        }
        push_bounded(&mut call.arguments, &delta.arguments);
    }

    /// Token counts learned from the stream (later ones win, field by field).
    pub fn add_usage(&mut self, usage: Usage) {
        self.usage = self.usage.merge(usage);
    }

    /// Output tokens per second: by the server's own generation time when it says (Ollama),
    /// else over the time from the first text to the end — when that is long enough to mean
    /// something ([`MIN_GEN_MS`]: a reply that arrived in one piece has no speed to show).
    pub fn tokens_per_s(&self) -> Option<f64> {
        let output = self.usage.output? as f64;
        let secs = match self.usage.output_ns {
            Some(ns) if ns > 0 => ns as f64 / 1e9,
            _ => self.gen_ms.filter(|ms| *ms >= MIN_GEN_MS)? / 1000.0,
        };
        Some(output / secs)
    }

    /// The message's saved keys for these (none when empty).
    pub fn write_members<'a>(&'a self, members: &mut Vec<(std::borrow::Cow<'a, str>, Json<'a>)>) {
        if !self.reasoning.is_empty() {
            members.push(("reasoning".into(), self.reasoning.as_str().into()));
        }
        if let Some(ms) = self.thought_ms {
            members.push(("thought_ms".into(), ms.into()));
        }
        if !self.tools.is_empty() {
            let calls = self
                .tools
                .iter()
                .map(|c| {
                    Json::obj([
                        ("index", c.index.into()),
                        ("id", c.id.as_str().into()),
                        ("name", c.name.as_str().into()),
                        ("arguments", c.arguments.as_str().into()),
                    ])
                })
                .collect();
            members.push(("tool_calls".into(), Json::Arr(calls)));
        }
        let mut usage = Vec::new();
        let mut count = |key: &'static str, v: Option<u64>| {
            if let Some(v) = v {
                usage.push((key.into(), Json::from(v)));
            }
        };
        count("input", self.usage.input);
        count("output", self.usage.output);
        count("output_ns", self.usage.output_ns);
        for (key, v) in [
            ("first_token_ms", self.first_token_ms),
            ("gen_ms", self.gen_ms),
        ] {
            if let Some(v) = v {
                usage.push((key.into(), Json::from(v)));
            }
        }
        if !usage.is_empty() {
            members.push(("usage".into(), Json::Obj(usage)));
        }
        if let Some(resume) = &self.resume {
            members.push(("resume".into(), resume.to_json()));
        }
    }

    /// Reads them back from a saved message (`path` names it in errors).
    pub fn read(v: &Json<'_>, path: &str) -> Result<ReplyExtras, String> {
        let mut extras = ReplyExtras {
            reasoning: read::opt_string(v, "reasoning", path)?.unwrap_or_default(),
            thought_ms: read::opt_f64(v, "thought_ms", path)?,
            ..ReplyExtras::default()
        };
        if v.get("tool_calls").is_some() {
            for (i, call) in read::array(v, "tool_calls", path)?.iter().enumerate() {
                let at = format!("{path}.tool_calls[{i}]");
                let call = read::object(call, &at)?;
                if extras.tools.len() < MAX_TOOLS {
                    extras.tools.push(ToolCall {
                        index: read::opt_u64(call, "index", &at)?.unwrap_or(i as u64),
                        id: read::opt_string(call, "id", &at)?.unwrap_or_default(),
                        name: read::opt_string(call, "name", &at)?.unwrap_or_default(),
                        arguments: read::opt_string(call, "arguments", &at)?.unwrap_or_default(),
                    });
                }
            }
        }
        if let Some(usage) = v.get("usage") {
            let at = format!("{path}.usage");
            let usage = read::object(usage, &at)?;
            extras.usage = Usage {
                input: read::opt_u64(usage, "input", &at)?,
                output: read::opt_u64(usage, "output", &at)?,
                output_ns: read::opt_u64(usage, "output_ns", &at)?,
            };
            extras.first_token_ms = read::opt_f64(usage, "first_token_ms", &at)?;
            extras.gen_ms = read::opt_f64(usage, "gen_ms", &at)?;
        }
        if let Some(resume) = v.get("resume").filter(|r| !matches!(r, Json::Null)) {
            extras.resume = Some(super::resume::ResumePoint::from_json(
                resume,
                &format!("{path}.resume"),
            )?);
        }
        Ok(extras)
    }
}

fn push_bounded(into: &mut String, text: &str) {
    let room = MAX_TEXT.saturating_sub(into.len());
    if text.len() <= room {
        into.push_str(text);
    } else {
        let mut cut = room;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        into.push_str(&text[..cut]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(index: u64, id: Option<&str>, name: Option<&str>, args: &str) -> ToolDelta {
        ToolDelta {
            index,
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            arguments: args.to_string(),
        }
    }

    #[test]
    fn tool_fragments_accumulate_by_index() {
        let mut x = ReplyExtras::default();
        x.add_tool(&delta(0, Some("call_1"), Some("get_weather"), ""));
        x.add_tool(&delta(1, Some("call_2"), Some("get_time"), "{}"));
        x.add_tool(&delta(0, None, None, "{\"city\":"));
        x.add_tool(&delta(0, None, None, "\"Paris\"}"));
        assert_eq!(x.tools.len(), 2);
        assert_eq!(x.tools[0].name, "get_weather");
        assert_eq!(x.tools[0].id, "call_1");
        assert_eq!(x.tools[0].arguments, "{\"city\":\"Paris\"}");
        assert_eq!(x.tools[1].arguments, "{}");
        for i in 0..200 {
            x.add_tool(&delta(10 + i, None, Some("f"), ""));
        }
        assert_eq!(x.tools.len(), MAX_TOOLS);
    }

    #[test]
    fn usage_merges_and_speed_prefers_the_servers_time() {
        let mut x = ReplyExtras::default();
        assert_eq!(x.tokens_per_s(), None);
        x.add_usage(Usage {
            input: Some(12),
            output: None,
            output_ns: None,
        });
        x.add_usage(Usage {
            input: None,
            output: Some(100),
            output_ns: None,
        });
        assert_eq!(x.usage.input, Some(12));
        x.gen_ms = Some(20.0);
        assert_eq!(x.tokens_per_s(), None, "too short to measure");
        x.gen_ms = Some(2000.0);
        assert_eq!(x.tokens_per_s(), Some(50.0));
        x.add_usage(Usage {
            output_ns: Some(500_000_000),
            ..Usage::default()
        });
        assert_eq!(x.tokens_per_s(), Some(200.0));
    }

    #[test]
    fn reasoning_is_bounded_on_a_char_boundary() {
        let mut x = ReplyExtras::default();
        x.add_reasoning(&"é".repeat(MAX_TEXT));
        assert!(x.reasoning.len() <= MAX_TEXT);
        assert!(x.reasoning.chars().all(|c| c == 'é'));
    }

    #[test]
    fn saved_form_round_trips_and_is_absent_when_empty() {
        let mut members = Vec::new();
        let empty = ReplyExtras::default();
        empty.write_members(&mut members);
        assert!(members.is_empty());
        let mut x = ReplyExtras {
            reasoning: "first, think".into(),
            thought_ms: Some(1500.0),
            first_token_ms: Some(320.0),
            gen_ms: Some(2000.0),
            ..ReplyExtras::default()
        };
        x.add_tool(&delta(0, Some("c"), Some("lookup"), "{\"q\":1}"));
        x.add_usage(Usage {
            input: Some(3),
            output: Some(40),
            output_ns: Some(7),
        });
        let mut members = Vec::new();
        x.write_members(&mut members);
        let text = Json::Obj(members).to_string();
        let back = ReplyExtras::read(&Json::parse(&text).expect("json"), "m").expect("read");
        assert_eq!(back, x);
        let bad = Json::parse(r#"{"usage": {"input": "many"}}"#).expect("json");
        let err = ReplyExtras::read(&bad, "m").expect_err("bad usage");
        assert!(err.contains("m.usage.input"), "{err}");
    }
}
