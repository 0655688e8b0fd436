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
/// there is none, and a missing `at_ms` reads as 0. A message with other versions (see
/// [`Versions`]) also has `versions` (the others, each a list of messages) and `version`
/// (where this one stands among them all, from 0).
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
    /// The other versions of this turn, when it has them.
    pub versions: Versions,
}

/// The versions of one turn of a conversation that are not shown.
///
/// A turn has versions when a reply was regenerated (each earlier reply is a version of it)
/// or a user message was edited (each earlier text, with everything that followed it, is a
/// branch). Both are the same thing: an alternative message at this place, followed by its
/// own messages. They are held by the message shown at the place, so
/// [`Conversation::messages`] is always the shown branch, what the view shows and what is
/// sent to a model; switching swaps the shown one for another.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Versions {
    /// The versions not shown, in their order: each is its first message (the version
    /// itself) and the messages that followed it in that branch (which may have versions
    /// of their own).
    pub others: Vec<Vec<Message>>,
    /// Where the shown version stands among all of them: `others[..index]` come before it.
    pub index: usize,
}

impl Versions {
    /// How many versions the turn has (1 when it has none besides the shown one).
    pub fn count(&self) -> usize {
        self.others.len() + 1
    }

    /// These versions with `shown` (the versions' message, and what follows it) added at
    /// the end as the newest; returns where it stands.
    fn with_newest(mut self, shown_before: Option<Vec<Message>>) -> Versions {
        if let Some(before) = shown_before {
            let at = self.index.min(self.others.len());
            self.others.insert(at, before);
        }
        Versions {
            index: self.others.len(),
            others: self.others,
        }
    }
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
        if !self.versions.others.is_empty() {
            let threads = self
                .versions
                .others
                .iter()
                .map(|thread| Json::Arr(thread.iter().map(Message::to_json).collect()));
            members.push(("versions".into(), Json::Arr(threads.collect())));
            members.push(("version".into(), (self.versions.index as u64).into()));
        }
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
            versions: read_versions(v, path)?,
        })
    }

    /// This message and every message in its other versions, depth first.
    fn each(&self, f: &mut dyn FnMut(&Message, &str), path: &str) {
        f(self, path);
        for (v, thread) in self.versions.others.iter().enumerate() {
            for (i, m) in thread.iter().enumerate() {
                m.each(f, &format!("{path}.versions[{v}][{i}]"));
            }
        }
    }

    fn each_mut(&mut self, f: &mut dyn FnMut(&mut Message)) {
        f(self);
        for thread in &mut self.versions.others {
            for m in thread {
                m.each_mut(f);
            }
        }
    }

    /// Worth keeping as a version: it has text, reasoning or tool calls (a failed attempt
    /// with nothing in it is not).
    fn has_anything(&self) -> bool {
        !self.content.is_empty() || !self.extras.is_empty()
    }
}

/// Reads a message's `versions` and `version` (absent: none).
fn read_versions(v: &Json<'_>, path: &str) -> Result<Versions, String> {
    let others = match v.get("versions") {
        None | Some(Json::Null) => return Ok(Versions::default()),
        Some(list) => list
            .as_array()
            .ok_or_else(|| read::expected(&format!("{path}.versions"), "an array"))?
            .iter()
            .enumerate()
            .map(|(n, thread)| {
                let at = format!("{path}.versions[{n}]");
                thread
                    .as_array()
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| read::expected(&at, "a non-empty array of messages"))?
                    .iter()
                    .enumerate()
                    .map(|(i, m)| Message::from_json(m, &format!("{at}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let index = read::opt_u64(v, "version", path)?.unwrap_or(others.len() as u64);
    if index > others.len() as u64 {
        return Err(read::expected(
            &format!("{path}.version"),
            &format!("0 to {}", others.len()),
        ));
    }
    Ok(Versions {
        index: index as usize,
        others,
    })
}

/// Message ids stay below this: 2^53 - 1, JavaScript's largest exact integer
/// (`Number.MAX_SAFE_INTEGER`), so every id and the one after it survive the page's JSON.
pub const MAX_MESSAGE_ID: u64 = (1 << 53) - 1;

/// The context budget when the site or URL sets none (`context`): 512 KB of message text,
/// about 128,000 tokens of English — a large model's whole context. rill-server's default
/// `--max-body` (4 MiB) takes a request of this much text whatever its JSON escaping.
pub const DEFAULT_CONTEXT_BYTES: usize = 512_000;

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
        // Every version's messages too: an id names one message in all the branches.
        let mut seen = std::collections::HashSet::with_capacity(self.messages.len());
        let mut problem = None;
        for (i, m) in self.messages.iter().enumerate() {
            m.each(
                &mut |m, at| {
                    if problem.is_some() {
                        return;
                    }
                    let at = format!("{at}.id");
                    problem = if m.id == 0 || m.id >= MAX_MESSAGE_ID {
                        Some(format!(
                            "{at}: {} is out of range (1 to {})",
                            m.id,
                            MAX_MESSAGE_ID - 1
                        ))
                    } else if self.next_message_id != 0 && m.id >= self.next_message_id {
                        Some(format!(
                            "{at}: {} is not below next_message_id ({})",
                            m.id, self.next_message_id
                        ))
                    } else if !seen.insert(m.id) {
                        Some(format!(
                            "{at}: {} is used by an earlier message of the conversation",
                            m.id
                        ))
                    } else {
                        None
                    };
                },
                &format!("{path}.messages[{i}]"),
            );
        }
        problem.map_or(Ok(()), Err)
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
        let mut after = 1;
        for m in &self.messages {
            m.each(&mut |m, _| after = after.max(m.id + 1), "");
        }
        let id = after.max(self.next_message_id);
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
            versions: Versions::default(),
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
            // An ended reply is not reattached: its resume point goes.
            m.extras.resume = None;
        }
        self.updated_ms = now;
    }

    /// The messages to send for a reply that follows message `upto` (inclusive), with an
    /// optional system prompt first. Error replies without text are left out. Only the shown
    /// branch is sent: other versions are never part of a model's history.
    ///
    /// At most `budget` bytes of message text go (the context budget: a model reads a
    /// bounded context, and a server a bounded request): the latest messages that fit,
    /// always at least message `upto` itself, starting at a user message (APIs such as
    /// Anthropic's want the first to be one). The system prompt is always sent.
    pub fn history(
        &self,
        upto: u64,
        system: &str,
        budget: usize,
    ) -> Vec<super::format::WireMessage> {
        let mut out = Vec::new();
        if !system.trim().is_empty() {
            out.push(super::format::WireMessage {
                role: Role::System,
                content: system.to_string(),
            });
        }
        let end = self
            .messages
            .iter()
            .position(|m| m.id == upto)
            .map_or(0, |pos| pos + 1);
        let sent = |m: &&Message| !(m.role == Role::Assistant && m.content.is_empty());
        let mut start = end;
        let mut used = 0usize;
        for (i, m) in self.messages[..end].iter().enumerate().rev() {
            if !sent(&m) {
                continue;
            }
            used = used.saturating_add(m.content.len());
            if used > budget && start < end {
                break;
            }
            start = i;
        }
        // Begin at a user message when the window has one.
        if let Some(first_user) = self.messages[start..end]
            .iter()
            .position(|m| m.role == Role::User)
        {
            start += first_user;
        }
        for m in self.messages[start..end].iter().filter(sent) {
            out.push(super::format::WireMessage {
                role: m.role,
                content: m.content.clone(),
            });
        }
        out
    }

    /// Starts a new version of the last reply, streaming and empty; the earlier reply is
    /// kept as a version of it (unless it holds nothing: a failed attempt is replaced).
    /// Returns the id of the user message it answers and the new reply's id; after a user
    /// message with no reply, just a new reply.
    pub fn regenerate(&mut self, now: f64) -> Option<(u64, u64)> {
        let last = self.messages.last()?;
        let before = if last.role == Role::Assistant {
            self.messages.pop()
        } else {
            None
        };
        let upto = self
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.id);
        let Some(upto) = upto else {
            // Nothing to answer: put it back.
            self.messages.extend(before);
            return None;
        };
        let versions = match before {
            Some(mut old) => {
                let versions = std::mem::take(&mut old.versions);
                versions.with_newest(old.has_anything().then(|| vec![old]))
            }
            None => Versions::default(),
        };
        let id = self.start_reply(now);
        if let Some(reply) = self.messages.last_mut() {
            reply.versions = versions;
        }
        Some((upto, id))
    }

    /// Edits user message `id`: the edited text starts a new branch at its place (a new
    /// message, to be answered), and the message as it was, with everything that followed
    /// it, is kept as another version of that place. Returns the new message's id.
    pub fn edit_user(&mut self, id: u64, text: &str, now: f64) -> Option<u64> {
        let pos = self
            .messages
            .iter()
            .position(|m| m.id == id && m.role == Role::User)?;
        let mut before = self.messages.split_off(pos);
        let versions = std::mem::take(&mut before[0].versions).with_newest(Some(before));
        let new = self.push(Role::User, text.to_string(), MessageState::Done, now);
        if let Some(m) = self.messages.last_mut() {
            m.versions = versions;
        }
        Some(new)
    }

    /// Shows version `to` (from 0) of the turn whose shown message is `id`: the messages
    /// from there on are replaced by that version's branch, and the shown ones are kept as
    /// a version. False when `id` is not shown or `to` is no other version.
    pub fn switch_version(&mut self, id: u64, to: usize, now: f64) -> bool {
        let Some(pos) = self.messages.iter().position(|m| m.id == id) else {
            return false;
        };
        let versions = &self.messages[pos].versions;
        if to >= versions.count() || to == versions.index {
            return false;
        }
        let mut shown = self.messages.split_off(pos);
        let Versions { mut others, index } = std::mem::take(&mut shown[0].versions);
        others.insert(index.min(others.len()), shown);
        let mut branch = others.remove(to);
        branch[0].versions = Versions { others, index: to };
        self.messages.extend(branch);
        self.updated_ms = now;
        true
    }

    /// After a reload: a reply that was streaming when the page closed is interrupted,
    /// unless its server keeps it (it has a resume point): that one stays streaming, for
    /// the view to reattach ([`Conversation::resumable`]).
    pub fn settle_after_reload(&mut self) {
        for m in &mut self.messages {
            m.each_mut(&mut |m| {
                if m.state == MessageState::Streaming && m.extras.resume.is_none() {
                    m.state = MessageState::Interrupted;
                }
            });
        }
    }

    /// For an import: nothing streams, and no resume point (a capability of the tab that
    /// asked for the reply) comes along.
    pub fn settle_imported(&mut self) {
        for m in &mut self.messages {
            m.each_mut(&mut |m| {
                m.extras.resume = None;
                if m.state == MessageState::Streaming {
                    m.state = MessageState::Interrupted;
                }
            });
        }
    }

    /// The shown reply that is streaming from a server that keeps it, or the last message
    /// when it is one that gave up reattaching ([`Conversation::give_up`]), if any: its id
    /// and where to reattach.
    pub fn resumable(&self) -> Option<(u64, super::resume::ResumePoint)> {
        let last = self.messages.last().map(|m| m.id);
        self.messages.iter().rev().find_map(|m| {
            (m.state == MessageState::Streaming
                || (m.state == MessageState::Interrupted && Some(m.id) == last))
                .then(|| m.extras.resume.clone().map(|r| (m.id, r)))
                .flatten()
        })
    }

    /// A reattached reply whose connection kept failing (the network is gone, the laptop
    /// slept): interrupted, with Continue, but its resume point is kept, so it is tried
    /// again when its conversation is shown or the page wakes (back online, shown again).
    pub fn give_up(&mut self, id: u64, point: super::resume::ResumePoint, now: f64) {
        self.finish(id, MessageState::Interrupted, None, now);
        if let Some(m) = self.get_mut(id) {
            if m.state == MessageState::Interrupted {
                m.extras.resume = Some(point);
            }
        }
    }

    /// Streams reply `id` again, when it has a resume point (reattaching to it); false when
    /// it has none.
    pub fn reattach(&mut self, id: u64) -> bool {
        match self.get_mut(id) {
            Some(m) if m.extras.resume.is_some() => {
                m.state = MessageState::Streaming;
                m.error = None;
                true
            }
            _ => false,
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

    /// A conversation of `n` questions and answers of `len` bytes each.
    fn long(n: usize, len: usize) -> (Conversation, u64) {
        let mut c = Conversation::new("c", 0.0);
        let mut last = 0;
        for i in 0..n {
            last = c.push_user(&format!("{i:0>len$}"), 1.0);
            let a = c.start_reply(2.0);
            c.append(a, &"a".repeat(len));
            c.finish(a, MessageState::Done, None, 3.0);
        }
        last = c.push_user("the question", 4.0).max(last);
        (c, last)
    }

    #[test]
    fn history_sends_the_latest_messages_within_the_budget_from_a_user_message() {
        let (c, u) = long(5_000, 400);
        let h = c.history(u, "be brief", 10_000);
        let text: usize = h.iter().skip(1).map(|m| m.content.len()).sum();
        assert!(text <= 10_000, "{text}");
        assert!(text > 9_000, "{text}");
        assert_eq!(h[0].role, Role::System);
        assert_eq!(h[1].role, Role::User, "the window starts at a question");
        assert_eq!(h.last().map(|m| m.content.as_str()), Some("the question"));
        // Everything fits a large budget.
        assert_eq!(c.history(u, "", usize::MAX).len(), 10_001);
    }

    #[test]
    fn history_always_sends_the_question_even_over_the_budget() {
        let mut c = Conversation::new("c", 0.0);
        let u = c.push_user(&"q".repeat(5_000), 1.0);
        let h = c.history(u, "", 100);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].content.len(), 5_000);
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
        let h = c.history(u, "be brief", usize::MAX);
        let roles: Vec<_> = h.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::System, Role::User, Role::Assistant, Role::User]
        );
        assert_eq!(c.history(1, "", usize::MAX).len(), 1);
    }

    /// Answers the last message with `text`, done.
    fn answer(c: &mut Conversation, id: u64, text: &str, now: f64) {
        c.append(id, text);
        c.finish(id, MessageState::Done, None, now);
    }

    fn shown(c: &Conversation) -> Vec<&str> {
        c.messages.iter().map(|m| m.content.as_str()).collect()
    }

    fn counter(c: &Conversation, id: u64) -> (usize, usize) {
        let v = &c.get(id).expect("shown").versions;
        (v.index + 1, v.count())
    }

    #[test]
    fn regenerate_keeps_each_earlier_reply_as_a_version() {
        let mut c = conv();
        let (upto, second) = c.regenerate(4.0).expect("regenerates");
        assert_eq!(upto, 1);
        assert_eq!(c.messages.len(), 2, "one reply shown");
        assert_eq!(counter(&c, second), (2, 2), "the newest is shown");
        answer(&mut c, second, "second", 5.0);
        let (_, third) = c.regenerate(6.0).expect("regenerates");
        answer(&mut c, third, "third", 7.0);
        assert_eq!(counter(&c, third), (3, 3));
        assert_eq!(shown(&c), ["Explain SSE\nplease", "third"]);
        // Back to the first, forward to the second.
        assert!(c.switch_version(third, 0, 8.0));
        assert_eq!(shown(&c), ["Explain SSE\nplease", "Server-Sent Events"]);
        assert_eq!(counter(&c, 2), (1, 3));
        assert!(c.switch_version(2, 1, 9.0));
        assert_eq!(shown(&c), ["Explain SSE\nplease", "second"]);
        assert_eq!(counter(&c, second), (2, 3));
        assert!(!c.switch_version(second, 1, 9.0), "already shown");
        assert!(!c.switch_version(second, 3, 9.0), "no such version");
        assert!(!c.switch_version(1, 0, 9.0), "the question has no versions");
        // Regenerating from version 2 adds the fourth at the end; order is kept.
        let (_, fourth) = c.regenerate(10.0).expect("regenerates");
        assert_eq!(counter(&c, fourth), (4, 4));
        let order: Vec<&str> = c.messages[1]
            .versions
            .others
            .iter()
            .map(|t| t[0].content.as_str())
            .collect();
        assert_eq!(order, ["Server-Sent Events", "second", "third"]);
    }

    #[test]
    fn a_failed_attempt_with_nothing_in_it_is_replaced_not_kept() {
        let mut c = conv();
        let (_, failed) = c.regenerate(4.0).expect("regenerates");
        c.finish(failed, MessageState::Error, Some("HTTP 500".into()), 5.0);
        let (_, retry) = c.regenerate(6.0).expect("retries");
        assert_eq!(counter(&c, retry), (2, 2), "the first reply and the retry");
        // A user message without a reply gets a reply, with no versions.
        let u = c.push_user("next", 7.0);
        let (upto, r) = c.regenerate(8.0).expect("answers");
        assert_eq!((upto, counter(&c, r)), (u, (1, 1)));
        let mut empty = Conversation::new("e", 0.0);
        assert_eq!(empty.regenerate(1.0), None);
    }

    #[test]
    fn editing_a_user_message_starts_a_branch_and_keeps_the_old_one() {
        let mut c = conv();
        let u2 = c.push_user("second question", 4.0);
        let a2 = c.start_reply(5.0);
        answer(&mut c, a2, "second answer", 6.0);
        // Edit the first question: a new branch from there.
        let edited = c.edit_user(1, "Explain SSE briefly", 7.0).expect("edits");
        assert_ne!(edited, 1, "the edit is a new message");
        assert_eq!(shown(&c), ["Explain SSE briefly"]);
        assert_eq!(counter(&c, edited), (2, 2));
        let r = c.start_reply(8.0);
        answer(&mut c, r, "brief answer", 9.0);
        // Only the shown branch is sent.
        let sent: Vec<String> = c
            .history(edited, "", usize::MAX)
            .into_iter()
            .map(|m| m.content)
            .collect();
        assert_eq!(sent, ["Explain SSE briefly"]);
        // Back to the old branch: the old question and all that followed it.
        assert!(c.switch_version(edited, 0, 10.0));
        assert_eq!(
            shown(&c),
            [
                "Explain SSE\nplease",
                "Server-Sent Events",
                "second question",
                "second answer"
            ]
        );
        assert_eq!(counter(&c, 1), (1, 2));
        let sent: Vec<String> = c
            .history(u2, "", usize::MAX)
            .into_iter()
            .map(|m| m.content)
            .collect();
        assert_eq!(
            sent,
            [
                "Explain SSE\nplease",
                "Server-Sent Events",
                "second question"
            ]
        );
        // Forward again: the new branch with its reply.
        assert!(c.switch_version(1, 1, 11.0));
        assert_eq!(shown(&c), ["Explain SSE briefly", "brief answer"]);
        assert_eq!(c.edit_user(99, "x", 12.0), None);
        assert_eq!(
            c.edit_user(r, "x", 12.0),
            None,
            "only user messages are edited"
        );
    }

    #[test]
    fn versions_nest_inside_branches() {
        let mut c = conv();
        // Regenerate in the first branch, then branch off above it.
        let (_, a2) = c.regenerate(4.0).expect("regenerates");
        answer(&mut c, a2, "v2", 5.0);
        let e = c.edit_user(1, "other", 6.0).expect("edits");
        let r = c.start_reply(7.0);
        answer(&mut c, r, "other answer", 8.0);
        assert!(c.switch_version(e, 0, 9.0));
        // The old branch kept its reply's two versions, the second shown.
        assert_eq!(shown(&c), ["Explain SSE\nplease", "v2"]);
        assert_eq!(counter(&c, a2), (2, 2));
        assert!(c.switch_version(a2, 0, 10.0));
        assert_eq!(shown(&c), ["Explain SSE\nplease", "Server-Sent Events"]);
        // Ids stay unique across every branch; next ids are past all of them.
        assert_eq!(c.check_ids("c", 128), Ok(()));
        let mut ids = Vec::new();
        for m in &c.messages {
            m.each(&mut |m, _| ids.push(m.id), "");
        }
        ids.sort_unstable();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
        assert_eq!(c.start_reply(11.0), 6);
    }

    #[test]
    fn versions_and_branches_survive_saving_and_an_import_sees_their_ids() {
        let mut c = conv();
        let (_, a2) = c.regenerate(4.0).expect("regenerates");
        answer(&mut c, a2, "v2", 5.0);
        c.extras_mut(a2).expect("reply").add_reasoning("hmm");
        let e = c.edit_user(1, "other", 6.0).expect("edits");
        let r = c.start_reply(7.0);
        c.append(r, "half");
        let json = c.to_json().to_string();
        assert!(json.contains(r#""versions":[["#), "{json}");
        let back = Conversation::from_json(&Json::parse(&json).expect("json"), "c").expect("reads");
        assert_eq!(back, c);
        // Switched, saved and read again: the same.
        let mut switched = back.clone();
        assert!(switched.switch_version(e, 0, 8.0));
        let json = switched.to_json().to_string();
        let again =
            Conversation::from_json(&Json::parse(&json).expect("json"), "c").expect("reads");
        assert_eq!(again, switched);
        // A streaming reply in a version not shown is interrupted after a reload, too.
        let mut settled = again.clone();
        settled.settle_after_reload();
        assert!(settled.to_json().to_string().contains("interrupted"));
        // A repeated id inside a version is named with its path.
        let mut bad = c.clone();
        bad.messages[0].versions.others[0][1].id = e;
        let err = bad.check_ids("conversations[0]", 128).expect_err("refused");
        assert!(
            err.starts_with("conversations[0].messages[0].versions[0][1].id: "),
            "{err}"
        );
        // A bad `version` is named too.
        let text = json.replace(r#""version":1"#, r#""version":7"#);
        let err =
            Conversation::from_json(&Json::parse(&text).expect("json"), "c").expect_err("refused");
        assert!(err.contains("version"), "{err}");
    }

    #[test]
    fn a_message_saved_before_versions_reads_with_none() {
        let saved = r#"{"id":"c1","title":"t","messages":[{"id":1,"role":"user","content":"q","state":"done","at_ms":1},{"id":2,"role":"assistant","content":"a","state":"done","at_ms":2}],"created_ms":1,"updated_ms":2,"next_message_id":3}"#;
        let c = Conversation::from_json(&Json::parse(saved).expect("json"), "c").expect("reads");
        assert!(c.messages.iter().all(|m| m.versions == Versions::default()));
        assert_eq!(
            c.to_json().to_string(),
            saved,
            "no versions, nothing new written"
        );
    }

    #[test]
    fn message_ids_are_never_reused() {
        let mut c = conv();
        let edited = c.edit_user(1, "again", 4.0).expect("edits");
        assert_eq!(edited, 3);
        let reply = c.start_reply(5.0);
        assert_eq!(reply, 4, "ids 1 and 2 are in the kept branch");
        let (_, again) = c.regenerate(6.0).expect("regenerates");
        assert_eq!(again, 5);
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
    fn a_reply_its_server_keeps_stays_streaming_after_a_reload_until_it_ends() {
        use crate::chat::format::ChatFormat;
        use crate::chat::resume::ResumePoint;
        let mut c = conv();
        let a = c.start_reply(4.0);
        c.append(a, "half");
        let o = "http://127.0.0.1:1";
        let point = ResumePoint::offered(
            ChatFormat::OpenAi,
            Some(o),
            (format!("{o}/v1/replies/x"), Some(o)),
            None,
        )
        .unwrap();
        c.extras_mut(a).unwrap().resume = Some(point.clone());
        let text = c.to_json().to_string();
        let mut back =
            Conversation::from_json(&crate::json::Json::parse(&text).unwrap(), "c").unwrap();
        back.settle_after_reload();
        assert_eq!(back.get(a).map(|m| m.state), Some(MessageState::Streaming));
        assert_eq!(back.resumable(), Some((a, point.clone())));
        let mut imported = back.clone();
        imported.settle_imported();
        assert_eq!(imported.resumable(), None);
        assert_eq!(
            imported.get(a).map(|m| m.state),
            Some(MessageState::Interrupted)
        );
        // Given up (the network is gone): interrupted, still resumable, and streaming again
        // once reattached.
        back.give_up(a, point.clone(), 8.0);
        assert_eq!(
            back.get(a).map(|m| m.state),
            Some(MessageState::Interrupted)
        );
        assert_eq!(back.resumable(), Some((a, point.clone())));
        assert!(back.reattach(a));
        assert_eq!(back.get(a).map(|m| m.state), Some(MessageState::Streaming));
        back.finish(a, MessageState::Done, None, 9.0);
        assert_eq!(back.resumable(), None);
        assert!(!back.reattach(a), "an ended reply has no resume point");
        assert_eq!(back.get(a).and_then(|m| m.extras.resume.clone()), None);
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
