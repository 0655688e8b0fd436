//! A stored chat library holding one long conversation, for the big-conversation benchmark
//! (`rill-bench big-chat`) and its end-to-end test: the JSON the app keeps under
//! `localStorage["rill.chat.v1"]` (see `src/chat/store.rs`), generated deterministically.
//!
//! Messages alternate user / assistant, starting with the user's. Questions are 20-200
//! characters of plain text; replies are 120-800 characters of markdown (paragraphs, bullet
//! and numbered lists, headings, bold and inline code, fenced code, now and then a table).
//! The first and the last message are plain text, so a test can compare what is shown.

use serde_json::{json, Value};

/// The localStorage key the app reads its library from.
pub const STORAGE_KEY: &str = "rill.chat.v1";
/// The conversation's id and title.
pub const ID: &str = "big-conversation";
pub const TITLE: &str = "A very long conversation";

/// The generated library and what a reader should see of it.
pub struct BigChat {
    /// The stored library, as the app saves it.
    pub json: String,
    pub messages: usize,
    /// The first message's text (a question, plain text).
    pub first: String,
    /// The last message's text (a reply, plain text).
    pub last: String,
    /// Characters of message text in all.
    pub text_chars: usize,
}

const WORDS: &[&str] = &[
    "river",
    "delta",
    "stream",
    "current",
    "bank",
    "valley",
    "water",
    "flow",
    "season",
    "rain",
    "source",
    "mouth",
    "bridge",
    "boat",
    "fish",
    "stone",
    "sand",
    "flood",
    "spring",
    "summer",
    "winter",
    "north",
    "south",
    "long",
    "wide",
    "deep",
    "slow",
    "fast",
    "old",
    "new",
    "map",
    "measure",
    "question",
    "answer",
    "reason",
    "because",
    "usually",
    "often",
    "sometimes",
    "about",
    "between",
    "through",
    "under",
    "over",
    "after",
    "before",
    "the",
    "a",
    "of",
    "and",
    "in",
    "is",
    "it",
    "that",
    "this",
    "with",
    "for",
    "on",
    "as",
    "at",
    "by",
    "from",
    "more",
];

/// A small deterministic generator (64-bit LCG), so every run shows the same text.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }
    /// A sentence of about `chars` characters, capitalised, ending in `end`.
    fn sentence(&mut self, chars: usize, end: char) -> String {
        let mut s = String::new();
        while s.len() < chars.max(8) {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(self.word());
        }
        let mut out: String = s[..1].to_uppercase();
        out.push_str(&s[1..]);
        out.push(end);
        out
    }
}

fn question(rng: &mut Lcg, i: usize) -> String {
    let len = 20 + rng.below(180);
    format!("{} (question {})", rng.sentence(len, '?'), i / 2 + 1)
}

fn reply(rng: &mut Lcg, i: usize) -> String {
    let target = 120 + rng.below(680);
    let mut out = String::new();
    match i / 2 % 7 {
        0 => {
            out.push_str(&format!("## {}\n\n", rng.sentence(20, ' ').trim_end()));
        }
        1 => {
            out.push_str(&format!(
                "The **{}** part matters, and `{}` is the word to look for. ",
                rng.word(),
                rng.word()
            ));
        }
        _ => {}
    }
    while out.len() < target {
        match rng.below(9) {
            0 => {
                for n in 1..=3 {
                    out.push_str(&format!("- {}\n", rng.sentence(30 + n * 5, '.')));
                }
                out.push('\n');
            }
            1 => {
                for n in 1..=3 {
                    out.push_str(&format!("{n}. {}\n", rng.sentence(25, '.')));
                }
                out.push('\n');
            }
            2 if i % 5 == 1 => {
                out.push_str(&format!(
                    "```rust\nfn {}(x: u32) -> u32 {{\n    x * {}\n}}\n```\n\n",
                    rng.word(),
                    rng.below(100)
                ));
            }
            3 if i % 11 == 1 => {
                out.push_str(&format!(
                    "| name | value |\n|---|---|\n| {} | {} |\n| {} | {} |\n\n",
                    rng.word(),
                    rng.below(1000),
                    rng.word(),
                    rng.below(1000)
                ));
            }
            _ => {
                let len = 60 + rng.below(160);
                out.push_str(&rng.sentence(len, '.'));
                out.push_str("\n\n");
            }
        }
    }
    out.trim_end().to_string()
}

/// A library with one conversation of `messages` messages (at least 2).
pub fn library(messages: usize) -> BigChat {
    let messages = messages.max(2);
    let mut rng = Lcg(0x0005_eed0_fb16_c4a7);
    let mut list = Vec::with_capacity(messages);
    let (mut first, mut last, mut text_chars) = (String::new(), String::new(), 0);
    for i in 0..messages {
        let user = i % 2 == 0;
        let content = if i == 0 {
            "Where does this long conversation begin? (question 1)".to_string()
        } else if i + 1 == messages && !user {
            "And this is the last reply of the long conversation.".to_string()
        } else if user {
            question(&mut rng, i)
        } else {
            reply(&mut rng, i)
        };
        text_chars += content.chars().count();
        if i == 0 {
            first = content.clone();
        }
        if i + 1 == messages {
            last = content.clone();
        }
        list.push(json!({
            "id": i + 1,
            "role": if user { "user" } else { "assistant" },
            "content": content,
            "state": "done",
            "at_ms": 1_700_000_000_000u64 + i as u64 * 30_000,
        }));
    }
    let updated = 1_700_000_000_000u64 + messages as u64 * 30_000;
    let library: Value = json!({
        "version": 1,
        "conversations": [{
            "id": ID,
            "title": TITLE,
            "messages": list,
            "created_ms": 1_700_000_000_000u64,
            "updated_ms": updated,
            "next_message_id": messages + 1,
        }],
        "deleted": [],
    });
    BigChat {
        json: library.to_string(),
        messages,
        first,
        last,
        text_chars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternates_and_is_deterministic() {
        let a = library(10_000);
        let b = library(10_000);
        assert_eq!(a.json, b.json);
        let v: Value = serde_json::from_str(&a.json).expect("json");
        let msgs = v["conversations"][0]["messages"]
            .as_array()
            .expect("messages");
        assert_eq!(msgs.len(), 10_000);
        assert_eq!(msgs[0]["role"], "user");
        assert_eq!(msgs[9_999]["role"], "assistant");
        assert_eq!(msgs[9_999]["content"], a.last.as_str());
        assert!(a.json.contains("```rust") && a.json.contains("| name |"));
        // Fits in Chromium's localStorage (about 5 M characters per origin) with room to spare.
        assert!(a.json.len() < 4_500_000, "{}", a.json.len());
    }
}
