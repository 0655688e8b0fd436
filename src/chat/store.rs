//! The list of conversations, its edits (new, rename, delete, search), JSON export and
//! import, and saving it in `localStorage`.
//!
//! [`Library`] is pure and tested natively; [`load`] and [`save`] are the only browser
//! calls. Saved data is versioned; a stored value that cannot be read is kept aside under
//! a backup key rather than overwritten, so nothing a user had is lost to a bad update.

use super::conversation::Conversation;
use crate::json::{read, Json};

/// The storage key of the library.
pub const STORAGE_KEY: &str = "rill.chat.v1";
/// Where an unreadable stored library is moved.
pub const BACKUP_KEY: &str = "rill.chat.v1.unreadable";

/// All conversations, newest first.
///
/// Saved and exported as `{version, conversations}` (a missing version reads as 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Library {
    pub version: u32,
    pub conversations: Vec<Conversation>,
}

/// Why an import failed, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not a rill chat export: {0}")]
    Format(String),
    #[error("the file has no conversations")]
    Empty,
}

impl Library {
    /// An empty library.
    pub fn new() -> Library {
        Library {
            version: 1,
            conversations: Vec::new(),
        }
    }

    /// Reads a stored library; streaming replies become interrupted.
    pub fn from_json(json: &str) -> Result<Library, String> {
        let value = Json::parse(json).map_err(|e| e.to_string())?;
        let value = read::object(&value, "library")?;
        let version = read::opt_u64(value, "version", "library")?.unwrap_or(1);
        let mut lib = Library {
            version: u32::try_from(version).unwrap_or(u32::MAX),
            conversations: conversations(read::array(value, "conversations", "library")?)?,
        };
        for c in &mut lib.conversations {
            c.settle_after_reload();
        }
        Ok(lib)
    }

    /// The library as JSON (also the export format).
    pub fn to_json(&self) -> String {
        Json::obj([
            ("version", u64::from(self.version).into()),
            (
                "conversations",
                Json::Arr(
                    self.conversations
                        .iter()
                        .map(Conversation::to_json)
                        .collect(),
                ),
            ),
        ])
        .to_string()
    }

    /// The conversation with `id`.
    pub fn get(&self, id: &str) -> Option<&Conversation> {
        self.conversations.iter().find(|c| c.id == id)
    }

    /// The conversation with `id`, to change it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Conversation> {
        self.conversations.iter_mut().find(|c| c.id == id)
    }

    /// Adds a new empty conversation at the top.
    pub fn create(&mut self, id: String, now: f64) -> &mut Conversation {
        self.conversations.insert(0, Conversation::new(id, now));
        &mut self.conversations[0]
    }

    /// Renames a conversation (blank names are refused).
    pub fn rename(&mut self, id: &str, title: &str) -> bool {
        let title = title.trim();
        match self.get_mut(id) {
            Some(c) if !title.is_empty() => {
                c.title = title.to_string();
                true
            }
            _ => false,
        }
    }

    /// Deletes a conversation.
    pub fn delete(&mut self, id: &str) -> bool {
        let before = self.conversations.len();
        self.conversations.retain(|c| c.id != id);
        self.conversations.len() != before
    }

    /// Ids of conversations whose title or text contains `query` (case-insensitive).
    pub fn search(&self, query: &str) -> Vec<&Conversation> {
        let lower = crate::browser::lowercase;
        let q = lower(query.trim());
        self.conversations
            .iter()
            .filter(|c| {
                q.is_empty()
                    || lower(&c.title).contains(&q)
                    || c.messages.iter().any(|m| lower(&m.content).contains(&q))
            })
            .collect()
    }

    /// Imports an export (a library, a list of conversations, or one conversation).
    /// Conversations whose id already exists get a new id; returns how many were added.
    pub fn import(
        &mut self,
        json: &str,
        mut new_id: impl FnMut() -> String,
    ) -> Result<usize, ImportError> {
        let value = Json::parse(json).map_err(|e| ImportError::Format(e.to_string()))?;
        let list = match (value.get("conversations"), &value) {
            (Some(list), _) => list
                .as_array()
                .ok_or_else(|| ImportError::Format(read::expected("conversations", "an array")))?,
            (None, Json::Arr(list)) => list,
            (None, one) => std::slice::from_ref(one),
        };
        let mut incoming = conversations(list).map_err(ImportError::Format)?;
        if incoming.is_empty() {
            return Err(ImportError::Empty);
        }
        let added = incoming.len();
        for c in incoming.iter_mut().rev() {
            c.settle_after_reload();
            if self.get(&c.id).is_some() || c.id.is_empty() {
                c.id = new_id();
            }
        }
        let mut merged = incoming;
        merged.append(&mut self.conversations);
        self.conversations = merged;
        Ok(added)
    }
}

/// Reads a list of saved conversations, naming the first bad one.
fn conversations(list: &[Json]) -> Result<Vec<Conversation>, String> {
    list.iter()
        .enumerate()
        .map(|(i, c)| Conversation::from_json(c, &format!("conversations[{i}]")))
        .collect()
}

/// A fresh conversation id.
pub fn new_id(now_ms: f64, random: f64) -> String {
    format!(
        "c{:x}{:06x}",
        now_ms.max(0.0) as u64,
        (random.clamp(0.0, 1.0) * 16_777_215.0) as u64
    )
}

/// Loads the stored library. An unreadable one is moved to [`BACKUP_KEY`] and an empty
/// library is returned with the reason.
pub fn load() -> (Library, Option<String>) {
    match crate::browser::storage_get(STORAGE_KEY) {
        None => (Library::new(), None),
        Some(json) => match Library::from_json(&json) {
            Ok(lib) => (lib, None),
            Err(err) => {
                crate::browser::storage_set(BACKUP_KEY, &json);
                (Library::new(), Some(err))
            }
        },
    }
}

/// Saves the library; returns false when storage refused (full or blocked).
pub fn save(library: &Library) -> bool {
    crate::browser::storage_try_set(STORAGE_KEY, &library.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::conversation::MessageState;

    fn lib() -> Library {
        let mut lib = Library::new();
        let c = lib.create("a".into(), 1.0);
        c.push_user("Tell me about rivers", 1.0);
        let c = lib.create("b".into(), 2.0);
        c.push_user("你好", 2.0);
        let r = c.start_reply(3.0);
        c.append(r, "partial");
        lib
    }

    #[test]
    fn newest_first_search_rename_delete() {
        let mut lib = lib();
        assert_eq!(lib.conversations[0].id, "b");
        assert_eq!(lib.search("RIVERS").len(), 1);
        assert_eq!(lib.search("partial").len(), 1);
        assert_eq!(lib.search("").len(), 2);
        assert!(lib.rename("a", "  Rivers  "));
        assert_eq!(lib.get("a").map(|c| c.title.as_str()), Some("Rivers"));
        assert!(!lib.rename("a", "   "));
        assert!(lib.delete("a"));
        assert!(!lib.delete("a"));
        assert_eq!(lib.conversations.len(), 1);
    }

    #[test]
    fn stored_json_round_trips_and_settles_streaming() {
        let json = lib().to_json();
        let back = Library::from_json(&json).expect("parse");
        let reply = &back.get("b").expect("b").messages[1];
        assert_eq!(reply.state, MessageState::Interrupted);
        assert_eq!(reply.content, "partial");
        assert!(Library::from_json("{").is_err());
    }

    #[test]
    fn import_accepts_library_list_or_one_and_renames_clashes() {
        let mut lib = lib();
        let export = lib.to_json();
        let mut n = 0;
        let added = lib.import(&export, || {
            n += 1;
            format!("new{n}")
        });
        assert_eq!(added, Ok(2));
        assert_eq!(lib.conversations.len(), 4);
        let ids: Vec<_> = lib.conversations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["new2", "new1", "b", "a"]);
        let one = lib.conversations[3].to_json().to_string();
        let mut fresh = Library::new();
        assert_eq!(fresh.import(&one, || "x".into()), Ok(1));
        assert_eq!(fresh.conversations[0].id, "a");
        assert!(matches!(
            fresh.import("[]", || "y".into()),
            Err(ImportError::Empty)
        ));
        assert!(matches!(
            fresh.import("{\"nope\":1}", || "y".into()),
            Err(ImportError::Format(_))
        ));
        assert!(matches!(
            fresh.import("<html>", || "y".into()),
            Err(ImportError::Format(_))
        ));
    }

    #[test]
    fn reads_what_earlier_versions_saved() {
        // Written by rill before its own JSON module (serde_json): floats as `1.0`, no
        // `error` member when there is none, no `next_message_id` in the oldest form.
        let saved = r#"{"version":1,"conversations":[{"id":"c1","title":"Rivers","messages":[{"id":1,"role":"user","content":"Tell me \u00e9","state":"done","at_ms":1.0},{"id":2,"role":"assistant","content":"par","state":"error","error":"HTTP 500: boom","at_ms":2.5}],"created_ms":1.0,"updated_ms":2.5}]}"#;
        let lib = Library::from_json(saved).expect("reads");
        let c = lib.get("c1").expect("c1");
        assert_eq!(c.messages[0].content, "Tell me é");
        assert_eq!(c.messages[1].error.as_deref(), Some("HTTP 500: boom"));
        assert_eq!((c.updated_ms, c.next_message_id), (2.5, 0));
        assert_eq!(Library::from_json(&lib.to_json()), Ok(lib));
    }

    #[test]
    fn unreadable_libraries_say_where() {
        assert_eq!(
            Library::from_json(
                r#"{"conversations":[{"id":"a","title":"t","messages":[{"id":1,"role":"robot","content":"","state":"done"}]}]}"#
            ),
            Err("conversations[0].messages[0].role: expected system, user or assistant".into())
        );
        assert_eq!(
            Library::from_json("[]"),
            Err("library: expected an object".into())
        );
        assert!(Library::from_json(r#"{"conversations":{}}"#).is_err());
    }

    #[test]
    fn ids_are_hex_and_distinct() {
        assert_ne!(new_id(1.0, 0.1), new_id(1.0, 0.2));
        assert!(new_id(1_700_000_000_000.0, 0.5).starts_with('c'));
    }
}
