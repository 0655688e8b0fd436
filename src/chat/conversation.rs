//! Conversations: messages, their end states, and the edits a user makes.
//!
//! Pure and serialisable: this is what is saved, exported and imported. It never holds
//! signals or browser handles; the view mirrors it and calls its methods.

use crate::json::{read, Json};

pub use super::role::Role;

/// Where a message stands (`data-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// A reply that is arriving.
    Streaming,
    /// Complete (a user message, or a reply that ended with its end marker).
    Done,
    /// The user stopped the reply; the partial text is kept.
    Stopped,
    /// The stream ended without its end marker (dropped, page closed); partial text kept.
    Interrupted,
    /// The request failed; `error` says how. Any partial text is kept.
    Error,
}

impl MessageState {
    pub const ALL: [MessageState; 5] = [
        MessageState::Streaming,
        MessageState::Done,
        MessageState::Stopped,
        MessageState::Interrupted,
        MessageState::Error,
    ];

    /// The `data-state` value.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Streaming => "streaming",
            MessageState::Done => "done",
            MessageState::Stopped => "stopped",
            MessageState::Interrupted => "interrupted",
            MessageState::Error => "error",
        }
    }

    /// Reads a `data-state` value.
    pub fn parse(s: &str) -> Option<MessageState> {
        MessageState::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// One message.
///
/// Saved and exported as `{id, role, content, state, error?, at_ms}` and, for replies that
/// have them, `reasoning`, `thought_ms`, `tool_calls` and `usage`; `error` is left out when
/// there is none, and a missing `at_ms` reads as 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: u64,
    pub role: Role,
    pub content: String,
    pub state: MessageState,
    pub error: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub at_ms: f64,
    /// A reply's reasoning, tool calls, usage and timing (saved as `reasoning`,
    /// `thought_ms`, `tool_calls`, `usage`, each only when there is one).
    pub extras: super::extras::ReplyExtras,
}

impl Message {
    /// The saved form.
    pub fn to_json(&self) -> Json<'_> {
        let mut members = vec![
            ("id".into(), Json::from(self.id)),
            ("role".into(), self.role.as_str().into()),
            ("content".into(), self.content.as_str().into()),
            ("state".into(), self.state.as_str().into()),
        ];
        if let Some(error) = &self.error {
            members.push(("error".into(), error.as_str().into()));
        }
        members.push(("at_ms".into(), self.at_ms.into()));
        self.extras.write_members(&mut members);
        Json::Obj(members)
    }

    /// Reads the saved form; `path` names it in errors (`conversations[0].messages[2]`).
    pub fn from_json(v: &Json<'_>, path: &str) -> Result<Message, String> {
        let v = read::object(v, path)?;
        let role = read::string(v, "role", path)?;
        let state = read::string(v, "state", path)?;
        Ok(Message {
            id: read::u64(v, "id", path)?,
            role: Role::parse(&role).ok_or_else(|| {
                read::expected(&format!("{path}.role"), "system, user or assistant")
            })?,
            content: read::string(v, "content", path)?,
            state: MessageState::parse(&state).ok_or_else(|| {
                read::expected(
                    &format!("{path}.state"),
                    "streaming, done, stopped, interrupted or error",
                )
            })?,
            error: read::opt_string(v, "error", path)?,
            at_ms: read::opt_f64(v, "at_ms", path)?.unwrap_or(0.0),
            extras: super::extras::ReplyExtras::read(v, path)?,
        })
    }
}

/// Message ids stay below this: 2^53 - 1, JavaScript's largest exact integer
/// (`Number.MAX_SAFE_INTEGER`), so every id and the one after it survive the page's JSON.
pub const MAX_MESSAGE_ID: u64 = (1 << 53) - 1;

/// A conversation.
///
/// Saved and exported as `{id, title, messages, created_ms, updated_ms, next_message_id}`;
/// the last three read as 0 when missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: String,
    pub title: String,
    pub messages: Vec<Message>,
    pub created_ms: f64,
    pub updated_ms: f64,
    /// The next message id. Ids are never reused, even after messages are removed (an
    /// edit or a regenerate), so a view keyed by id never mistakes a new message for an old one.
    pub next_message_id: u64,
}

impl Conversation {
    /// The saved form.
    pub fn to_json(&self) -> Json<'_> {
        Json::obj([
            ("id", self.id.as_str().into()),
            ("title", self.title.as_str().into()),
            (
                "messages",
                Json::Arr(self.messages.iter().map(Message::to_json).collect()),
            ),
            ("created_ms", self.created_ms.into()),
            ("updated_ms", self.updated_ms.into()),
            ("next_message_id", self.next_message_id.into()),
        ])
    }

    /// Reads the saved form; `path` names it in errors.
    pub fn from_json(v: &Json<'_>, path: &str) -> Result<Conversation, String> {
        let v = read::object(v, path)?;
        let messages = read::array(v, "messages", path)?
            .iter()
            .enumerate()
            .map(|(i, m)| Message::from_json(m, &format!("{path}.messages[{i}]")))
            .collect::<Result<_, _>>()?;
        Ok(Conversation {
            id: read::string(v, "id", path)?,
            title: read::string(v, "title", path)?,
            messages,
            created_ms: read::opt_f64(v, "created_ms", path)?.unwrap_or(0.0),
            updated_ms: read::opt_f64(v, "updated_ms", path)?.unwrap_or(0.0),
            next_message_id: read::opt_u64(v, "next_message_id", path)?.unwrap_or(0),
        })
    }

    /// Checks the ids an import must be able to trust (`path` names the conversation in the
    /// message): the conversation id has 1 to `max_id_chars` characters; message ids are
    /// unique, at least 1 and below [`MAX_MESSAGE_ID`] (JavaScript numbers are exact only up
    /// to 2^53, and the next id must still be one of them), and below `next_message_id` when
    /// that is given (0, its value when missing, means the oldest saved form without it).
    pub fn check_ids(&self, path: &str, max_id_chars: usize) -> Result<(), String> {
        let chars = self.id.chars().count();
        if chars == 0 || chars > max_id_chars {
            return Err(format!(
                "{path}.id: expected 1 to {max_id_chars} characters, found {chars}"
            ));
        }
        if self.next_message_id > MAX_MESSAGE_ID {
            return Err(format!(
                "{path}.next_message_id: {} is beyond the largest id, {MAX_MESSAGE_ID}",
                self.next_message_id
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(self.messages.len());
        for (i, m) in self.messages.iter().enumerate() {
            let at = format!("{path}.messages[{i}].id");
            if m.id == 0 || m.id >= MAX_MESSAGE_ID {
                return Err(format!(
                    "{at}: {} is out of range (1 to {})",
                    m.id,
                    MAX_MESSAGE_ID - 1
                ));
            }
            if self.next_message_id != 0 && m.id >= self.next_message_id {
                return Err(format!(
                    "{at}: {} is not below next_message_id ({})",
                    m.id, self.next_message_id
                ));
            }
            if !seen.insert(m.id) {
                return Err(format!(
                    "{at}: {} is used by an earlier message of the conversation",
                    m.id
                ));
            }
        }
        Ok(())
    }

    /// An empty conversation.
    pub fn new(id: impl Into<String>, now: f64) -> Conversation {
        Conversation {
            id: id.into(),
            title: String::new(),
            messages: Vec::new(),
            created_ms: now,
            updated_ms: now,
            next_message_id: 1,
        }
    }

    fn next_id(&mut self) -> u64 {
        let id = self
            .messages
            .iter()
            .map(|m| m.id + 1)
            .max()
            .unwrap_or(1)
            .max(self.next_message_id);
        self.next_message_id = id + 1;
        id
    }

    /// Adds the user's message; the first one also names the conversation.
    pub fn push_user(&mut self, text: &str, now: f64) -> u64 {
        if self.title.is_empty() {
            self.title = title_from(text);
        }
        self.push(Role::User, text.to_string(), MessageState::Done, now)
    }

    /// Starts an empty assistant reply in the streaming state.
    pub fn start_reply(&mut self, now: f64) -> u64 {
        self.push(Role::Assistant, String::new(), MessageState::Streaming, now)
    }

    fn push(&mut self, role: Role, content: String, state: MessageState, now: f64) -> u64 {
        let id = self.next_id();
        self.messages.push(Message {
            id,
            role,
            content,
            state,
            error: None,
            at_ms: now,
            extras: Default::default(),
        });
        self.updated_ms = now;
        id
    }

    /// The message with `id`.
    pub fn get(&self, id: u64) -> Option<&Message> {
        self.messages.iter().find(|m| m.id == id)
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Message> {
        self.messages.iter_mut().find(|m| m.id == id)
    }

    /// Appends streamed text to a reply.
    pub fn append(&mut self, id: u64, text: &str) {
        if let Some(m) = self.get_mut(id) {
            m.content.push_str(text);
        }
    }

    /// A reply's reasoning, tool calls and usage, to add to as they stream.
    pub fn extras_mut(&mut self, id: u64) -> Option<&mut super::extras::ReplyExtras> {
        self.get_mut(id).map(|m| &mut m.extras)
    }

    /// Ends a reply in `state`, with an error message for [`MessageState::Error`].
    /// A reply that already ended keeps its first end state.
    pub fn finish(&mut self, id: u64, state: MessageState, error: Option<String>, now: f64) {
        if let Some(m) = self.get_mut(id) {
            if m.state == MessageState::Streaming {
                m.state = state;
                m.error = error;
            }
        }
        self.updated_ms = now;
    }

    /// The messages to send for a reply that follows message `upto` (inclusive), with an
    /// optional system prompt first. Error replies without text are left out.
    pub fn history(&self, upto: u64, system: &str) -> Vec<super::format::WireMessage> {
        let mut out = Vec::new();
        if !system.trim().is_empty() {
            out.push(super::format::WireMessage {
                role: Role::System,
                content: system.to_string(),
            });
        }
        for m in &self.messages {
            if m.id > upto {
                break;
            }
            if m.role == Role::Assistant && m.content.is_empty() {
                continue;
            }
            out.push(super::format::WireMessage {
                role: m.role,
                content: m.content.clone(),
            });
        }
        out
    }

    /// Removes the last assistant reply so it can be generated again; returns the id of
    /// the user message it answered.
    pub fn drop_last_reply(&mut self) -> Option<u64> {
        let last = self.messages.last()?;
        if last.role == Role::Assistant {
            self.messages.pop();
        }
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.id)
    }

    /// Replaces the text of user message `id` and removes everything after it, so the
    /// conversation continues from the edited message.
    pub fn edit_user(&mut self, id: u64, text: &str, now: f64) -> bool {
        let Some(pos) = self
            .messages
            .iter()
            .position(|m| m.id == id && m.role == Role::User)
        else {
            return false;
        };
        self.messages.truncate(pos + 1);
        self.messages[pos].content = text.to_string();
        self.updated_ms = now;
        true
    }

    /// After a reload: a reply that was streaming when the page closed is interrupted.
    pub fn settle_after_reload(&mut self) {
        for m in &mut self.messages {
            if m.state == MessageState::Streaming {
                m.state = MessageState::Interrupted;
            }
        }
    }

    /// True while a reply is streaming.
    pub fn is_streaming(&self) -> bool {
        self.messages
            .iter()
            .any(|m| m.state == MessageState::Streaming)
    }

    /// The conversation as Markdown (title, then each message under its role).
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# {}\n",
            if self.title.is_empty() {
                "Chat"
            } else {
                &self.title
            }
        );
        for m in &self.messages {
            let who = match m.role {
                Role::User => "User",
                Role::Assistant => "Assistant",
                Role::System => "System",
            };
            out.push_str(&format!("\n## {who}\n\n{}\n", m.content.trim_end()));
            if m.state != MessageState::Done {
                out.push_str(&format!("\n_({})_\n", m.state.as_str()));
            }
        }
        out
    }
}

/// A title from the first line of the first message, at most 48 characters.
pub fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut title: String = line.chars().take(48).collect();
    if line.chars().count() > 48 {
        title.push('…');
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv() -> Conversation {
        let mut c = Conversation::new("c1", 0.0);
        let u = c.push_user("Explain SSE\nplease", 1.0);
        let a = c.start_reply(2.0);
        c.append(a, "Server-Sent ");
        c.append(a, "Events");
        c.finish(a, MessageState::Done, None, 3.0);
        assert_eq!((u, a), (1, 2));
        c
    }

    #[test]
    fn first_user_message_names_the_conversation() {
        assert_eq!(conv().title, "Explain SSE");
        assert_eq!(title_from(&"x".repeat(60)).chars().count(), 49);
    }

    #[test]
    fn finish_keeps_the_first_end_state_and_the_text() {
        let mut c = conv();
        let a = c.start_reply(4.0);
        c.append(a, "partial");
        c.finish(a, MessageState::Stopped, None, 5.0);
        c.finish(a, MessageState::Done, None, 6.0);
        let m = c.get(a).expect("reply");
        assert_eq!(m.state, MessageState::Stopped);
        assert_eq!(m.content, "partial");
    }

    #[test]
    fn history_has_system_prompt_and_skips_empty_replies() {
        let mut c = conv();
        let u = c.push_user("again", 4.0);
        let a = c.start_reply(5.0);
        c.finish(a, MessageState::Error, Some("HTTP 500: boom".into()), 6.0);
        let h = c.history(u, "be brief");
        let roles: Vec<_> = h.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::System, Role::User, Role::Assistant, Role::User]
        );
        assert_eq!(c.history(1, "").len(), 1);
    }

    #[test]
    fn regenerate_drops_the_last_reply_only() {
        let mut c = conv();
        assert_eq!(c.drop_last_reply(), Some(1));
        assert_eq!(c.messages.len(), 1);
        assert_eq!(
            c.drop_last_reply(),
            Some(1),
            "no reply left: nothing more is removed"
        );
        assert_eq!(c.messages.len(), 1);
    }

    #[test]
    fn editing_a_user_message_truncates_after_it() {
        let mut c = conv();
        c.push_user("second", 4.0);
        assert!(c.edit_user(1, "Explain SSE briefly", 5.0));
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.messages[0].content, "Explain SSE briefly");
        assert!(!c.edit_user(99, "x", 6.0));
    }

    #[test]
    fn message_ids_are_never_reused() {
        let mut c = conv();
        assert!(c.edit_user(1, "again", 4.0));
        let reply = c.start_reply(5.0);
        assert_eq!(reply, 3, "id 2 belonged to the removed reply");
        c.drop_last_reply();
        assert_eq!(c.start_reply(6.0), 4);
    }

    #[test]
    fn reload_turns_streaming_into_interrupted() {
        let mut c = conv();
        let a = c.start_reply(4.0);
        c.append(a, "half");
        assert!(c.is_streaming());
        let json = c.to_json().to_string();
        let mut back =
            Conversation::from_json(&Json::parse(&json).expect("json"), "c").expect("parse");
        back.settle_after_reload();
        assert!(!back.is_streaming());
        assert_eq!(
            back.get(a).map(|m| (m.state, m.content.as_str())),
            Some((MessageState::Interrupted, "half"))
        );
    }

    #[test]
    fn markdown_export_lists_roles_and_unfinished_states() {
        let mut c = conv();
        let a = c.start_reply(4.0);
        c.append(a, "cut");
        c.finish(a, MessageState::Interrupted, None, 5.0);
        let md = c.to_markdown();
        assert!(md.starts_with("# Explain SSE\n"), "{md}");
        assert!(md.contains("## User\n\nExplain SSE\nplease\n"), "{md}");
        assert!(md.contains("## Assistant\n\nServer-Sent Events\n"), "{md}");
        assert!(md.contains("cut\n\n_(interrupted)_"), "{md}");
    }

    #[test]
    fn ids_an_import_cannot_trust_are_named() {
        assert_eq!(conv().check_ids("c", 128), Ok(()));
        let check = |edit: &dyn Fn(&mut Conversation)| {
            let mut c = conv();
            edit(&mut c);
            c.check_ids("conversations[3]", 128)
        };
        let err = |edit: &dyn Fn(&mut Conversation)| check(edit).expect_err("refused");
        assert_eq!(
            err(&|c| c.id.clear()),
            "conversations[3].id: expected 1 to 128 characters, found 0"
        );
        assert!(err(&|c| c.id = "x".repeat(129)).contains("found 129"));
        assert_eq!(check(&|c| c.id = "例".repeat(128)), Ok(()));
        assert_eq!(
            err(&|c| c.messages[1].id = 1),
            "conversations[3].messages[1].id: 1 is used by an earlier message of the conversation"
        );
        assert_eq!(
            err(&|c| c.messages[1].id = 7),
            "conversations[3].messages[1].id: 7 is not below next_message_id (3)"
        );
        assert!(err(&|c| c.messages[0].id = 0).contains("out of range"));
        assert!(err(&|c| {
            c.next_message_id = 0;
            c.messages[0].id = MAX_MESSAGE_ID;
        })
        .contains("out of range"));
        assert!(err(&|c| c.next_message_id = MAX_MESSAGE_ID + 1).contains("next_message_id"));
        // The oldest saved form has no next_message_id (0): any ids in range are fine.
        assert_eq!(
            check(&|c| {
                c.next_message_id = 0;
                c.messages[1].id = 40;
            }),
            Ok(())
        );
    }

    #[test]
    fn state_names_match_the_contract() {
        let names: Vec<_> = [
            MessageState::Streaming,
            MessageState::Done,
            MessageState::Stopped,
            MessageState::Interrupted,
            MessageState::Error,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect();
        assert_eq!(
            names,
            ["streaming", "done", "stopped", "interrupted", "error"]
        );
        assert_eq!(
            MessageState::parse("interrupted"),
            Some(MessageState::Interrupted)
        );
        assert_eq!(MessageState::parse("Interrupted"), None);
    }
}
