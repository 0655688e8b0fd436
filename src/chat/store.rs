//! The list of conversations, its edits (new, rename, delete, search), JSON export and
//! import, and saving it in `localStorage`, shared by every tab of the app.
//!
//! [`Library`] and [`Saver`] are pure and tested natively: storage is reached through the
//! [`Storage`] trait, which [`BrowserStorage`] implements over the browser's. Rules:
//! - **Nothing saved is lost.** A stored library that cannot be read is copied aside (to
//!   [`BACKUP_KEY`], or a numbered key when that already holds something else) before
//!   anything may replace it. When the copy cannot be written (storage full or blocked),
//!   nothing is saved over it: every save says [`SaveOutcome::Blocked`] with the raw text,
//!   which the view offers as a download, until a copy succeeds.
//! - **Tabs merge, never overwrite.** Each save reads what is stored and merges it per
//!   conversation with this tab's library (see [`Saver::save`]). A deleted conversation
//!   leaves a tombstone (its id, [`MAX_TOMBSTONES`] kept), so another tab's copy never
//!   brings it back.

use std::collections::{HashMap, HashSet};

use super::conversation::Conversation;
use crate::json::{read, Json};

/// The storage key of the library.
pub const STORAGE_KEY: &str = "rill.chat.v1";
/// Where an unreadable stored library is copied; if it already holds another text, the
/// copy goes to `BACKUP_KEY.2`, `.3`, … up to [`MAX_BACKUPS`].
pub const BACKUP_KEY: &str = "rill.chat.v1.unreadable";
/// How many backup keys may be used before a further unreadable library is refused.
pub const MAX_BACKUPS: usize = 9;
/// How many deleted conversation ids are remembered (the oldest are forgotten first). A tab
/// left open longer than this many deletions could bring a deleted conversation back; ids are
/// random, so no other conversation ever takes one.
pub const MAX_TOMBSTONES: usize = 1000;
/// The longest conversation id an import accepts (rill's own ids have 15 characters or so).
pub const MAX_ID_CHARS: usize = 128;
/// The file name under which an unreadable stored library is offered for download.
pub const UNREADABLE_FILE: &str = "rill-unreadable-library.json";

/// All conversations, newest first.
///
/// Exported as `{version, conversations}` (a missing version reads as 1); stored with
/// `deleted` too, the ids of deleted conversations (absent in what earlier versions stored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Library {
    pub version: u32,
    pub conversations: Vec<Conversation>,
    /// Ids of deleted conversations, oldest first (see [`MAX_TOMBSTONES`]).
    pub deleted: Vec<String>,
}

/// Why an import failed, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not a rill chat export: {0}")]
    Format(String),
    #[error("the file has no conversations")]
    Empty,
    /// Ids that would make conversations or messages ambiguous (see
    /// [`Conversation::check_ids`]), or a conversation id given twice.
    #[error("the file's ids cannot be used: {0}")]
    Ids(String),
}

impl Library {
    /// An empty library.
    pub fn new() -> Library {
        Library {
            version: 1,
            conversations: Vec::new(),
            deleted: Vec::new(),
        }
    }

    /// Reads a stored library; streaming replies become interrupted.
    pub fn from_json(json: &str) -> Result<Library, String> {
        let mut lib = Library::from_stored(json)?;
        for c in &mut lib.conversations {
            c.settle_after_reload();
        }
        Ok(lib)
    }

    /// Reads a stored library as it is: a reply another tab is streaming stays streaming.
    fn from_stored(json: &str) -> Result<Library, String> {
        let value = Json::parse(json).map_err(|e| e.to_string())?;
        let value = read::object(&value, "library")?;
        let version = read::opt_u64(value, "version", "library")?.unwrap_or(1);
        let deleted = match value.get("deleted") {
            None | Some(Json::Null) => Vec::new(),
            Some(list) => list
                .as_array()
                .ok_or_else(|| read::expected("library.deleted", "an array"))?
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    id.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| read::expected(&format!("library.deleted[{i}]"), "a string"))
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Library {
            version: u32::try_from(version).unwrap_or(u32::MAX),
            conversations: conversations(read::array(value, "conversations", "library")?)?,
            deleted,
        })
    }

    /// The library as JSON, the export format (no tombstones: they mean nothing elsewhere).
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

    /// Deletes a conversation and remembers its id, so no other tab's copy brings it back.
    pub fn delete(&mut self, id: &str) -> bool {
        let before = self.conversations.len();
        self.conversations.retain(|c| c.id != id);
        let deleted = self.conversations.len() != before;
        if deleted && !self.deleted.iter().any(|d| d == id) {
            self.deleted.push(id.to_string());
            let excess = self.deleted.len().saturating_sub(MAX_TOMBSTONES);
            self.deleted.drain(..excess);
        }
        deleted
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
    /// Conversations whose id already exists (or was deleted here) get a new id; returns how
    /// many were added. A file whose ids are ambiguous (a conversation id twice, an empty
    /// or over-long one, message ids repeated or out of range) is refused whole.
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
        let mut seen = HashSet::new();
        for (i, c) in incoming.iter().enumerate() {
            let path = format!("conversations[{i}]");
            c.check_ids(&path, MAX_ID_CHARS).map_err(ImportError::Ids)?;
            if !seen.insert(c.id.as_str()) {
                return Err(ImportError::Ids(format!(
                    "{path}.id: {:?} is used by an earlier conversation in the file",
                    c.id
                )));
            }
        }
        let added = incoming.len();
        for c in incoming.iter_mut().rev() {
            c.settle_imported();
            if self.get(&c.id).is_some() || self.deleted.contains(&c.id) {
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

/// Where the library is kept: `localStorage` in the browser, a map in tests.
pub trait Storage {
    /// The value under `key` (none when absent or storage is blocked).
    fn get(&self, key: &str) -> Option<String>;
    /// Writes `value` under `key`; false when storage refused (full or blocked).
    fn set(&mut self, key: &str, value: &str) -> bool;
}

/// The browser's `localStorage` (outside a browser: always empty, every write refused).
pub struct BrowserStorage;

impl Storage for BrowserStorage {
    fn get(&self, key: &str) -> Option<String> {
        crate::browser::storage_get(key)
    }

    fn set(&mut self, key: &str, value: &str) -> bool {
        crate::browser::storage_try_set(key, value)
    }
}

/// What a stored library that could not be read led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Copied to `key`; saving goes on.
    KeptAside { reason: String, key: String },
    /// Could not be copied anywhere: nothing is saved over it. `raw` is its text, for the
    /// user to download.
    Blocked { reason: String, raw: String },
}

/// What loading found.
#[derive(Debug)]
pub struct Loaded {
    pub library: Library,
    /// Remembers what was read, for the merges of later saves.
    pub saver: Saver,
    pub problem: Option<Unreadable>,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Written. `changed` when the merge took something from another tab (the list or a
    /// conversation in it changed).
    Saved { changed: bool },
    /// Storage refused the write (full or blocked); the library stays in memory.
    Refused,
    /// The stored library is unreadable and could not be copied aside: nothing was written.
    Blocked { reason: String, raw: String },
}

/// Copies an unreadable stored text aside: to [`BACKUP_KEY`], or the first of `BACKUP_KEY.2`
/// … `.MAX_BACKUPS` that is free or already holds the same text. Never overwrites a
/// different backup. Returns the key that holds the copy, or `None` if none could.
pub fn keep_aside(storage: &mut dyn Storage, raw: &str) -> Option<String> {
    for n in 1..=MAX_BACKUPS {
        let key = if n == 1 {
            BACKUP_KEY.to_string()
        } else {
            format!("{BACKUP_KEY}.{n}")
        };
        match storage.get(&key) {
            Some(existing) if existing == raw => return Some(key),
            Some(_) => continue,
            None => {
                // A write that storage accepted is checked by reading it back: only a copy
                // that is there makes it safe to replace the original.
                let written = storage.set(&key, raw) && storage.get(&key).as_deref() == Some(raw);
                return written.then_some(key);
            }
        }
    }
    None
}

/// Loads the stored library. An unreadable one is copied aside ([`keep_aside`]) and an
/// empty library is returned with the reason; if it cannot be copied, saves are refused
/// until it can (see [`Saver::save`]).
pub fn load(storage: &mut dyn Storage) -> Loaded {
    let mut saver = Saver::default();
    let Some(raw) = storage.get(STORAGE_KEY) else {
        return Loaded {
            library: Library::new(),
            saver,
            problem: None,
        };
    };
    match Library::from_stored(&raw) {
        Ok(mut library) => {
            saver.remember(&library, &raw);
            for c in &mut library.conversations {
                c.settle_after_reload();
            }
            Loaded {
                library,
                saver,
                problem: None,
            }
        }
        Err(reason) => {
            let problem = match keep_aside(storage, &raw) {
                Some(key) => Unreadable::KeptAside { reason, key },
                None => Unreadable::Blocked { reason, raw },
            };
            Loaded {
                library: Library::new(),
                saver,
                problem: Some(problem),
            }
        }
    }
}

/// A 64-bit FNV-1a hash: cheap, dependency-free, good enough to tell whether a text changed.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What this tab last read from or wrote to storage, for three-way merges: per conversation
/// the fingerprint of its stored form, and the fingerprint of the whole stored text.
#[derive(Debug, Default)]
pub struct Saver {
    base: HashMap<String, u64>,
    /// The fingerprint of the stored text as this tab last read or wrote it.
    stored: Option<u64>,
}

impl Saver {
    fn remember(&mut self, library: &Library, raw: &str) {
        self.base = library
            .conversations
            .iter()
            .map(|c| (c.id.clone(), fingerprint(&c.to_json().to_string())))
            .collect();
        self.stored = Some(fingerprint(raw));
    }

    /// Saves `library`, merged with what other tabs stored since this tab last read or wrote.
    /// `owned` is the conversation whose reply this tab is streaming: this tab's copy of it
    /// always wins, since only this tab has its latest text.
    ///
    /// The merge, per conversation id (tombstones first: an id deleted in either library is
    /// dropped from both):
    /// - only here: kept (new in this tab); only stored: added (new in another tab);
    /// - in both: the side that changed since the last read or write wins; if both changed,
    ///   the newer `updated_ms` (this tab's on a tie); `owned` is always this tab's.
    ///
    /// Conversations new from storage are listed above the others in their stored order;
    /// conversations new in this tab go first. `library` becomes the merged library.
    pub fn save(
        &mut self,
        library: &mut Library,
        storage: &mut dyn Storage,
        owned: Option<&str>,
    ) -> SaveOutcome {
        let raw = storage.get(STORAGE_KEY);
        let mut changed = false;
        match &raw {
            None => {}
            Some(raw) if Some(fingerprint(raw)) == self.stored => {}
            Some(raw) => match Library::from_stored(raw) {
                Ok(stored) => changed = self.merge(library, stored, owned),
                Err(reason) => {
                    if keep_aside(storage, raw).is_none() {
                        return SaveOutcome::Blocked {
                            reason,
                            raw: raw.clone(),
                        };
                    }
                }
            },
        }
        let (json, base) = stored_json(library);
        if !storage.set(STORAGE_KEY, &json) {
            return SaveOutcome::Refused;
        }
        self.base = base;
        self.stored = Some(fingerprint(&json));
        SaveOutcome::Saved { changed }
    }

    /// Merges `stored` into `library` (see [`Saver::save`]); true if `library` changed.
    fn merge(&self, library: &mut Library, stored: Library, owned: Option<&str>) -> bool {
        let mut deleted = stored.deleted;
        for id in &library.deleted {
            if !deleted.contains(id) {
                deleted.push(id.clone());
            }
        }
        let excess = deleted.len().saturating_sub(MAX_TOMBSTONES);
        deleted.drain(..excess);
        let gone: HashSet<&str> = deleted.iter().map(String::as_str).collect();

        let before: Vec<String> = library.conversations.iter().map(|c| c.id.clone()).collect();
        let mut changed = false;
        let mut stored_order = Vec::new();
        let mut theirs: HashMap<String, Conversation> = HashMap::new();
        for c in stored.conversations {
            if !gone.contains(c.id.as_str()) {
                stored_order.push(c.id.clone());
                theirs.insert(c.id.clone(), c);
            }
        }
        // This tab's conversations: new here (never stored), in both (one side chosen), or
        // stored once and since lost without a tombstone (a library written by an earlier
        // rill): those are kept, nothing is dropped.
        let mut fresh = Vec::new();
        let mut chosen: HashMap<String, Conversation> = HashMap::new();
        let mut orphans = Vec::new();
        for c in std::mem::take(&mut library.conversations) {
            if gone.contains(c.id.as_str()) {
                continue;
            }
            let Some(other) = theirs.remove(&c.id) else {
                if self.base.contains_key(&c.id) {
                    orphans.push(c);
                } else {
                    fresh.push(c);
                }
                continue;
            };
            let take_theirs = owned != Some(c.id.as_str()) && {
                let base = self.base.get(&c.id).copied();
                let mine_print = fingerprint(&c.to_json().to_string());
                let theirs_print = fingerprint(&other.to_json().to_string());
                mine_print != theirs_print
                    && match (base != Some(mine_print), base != Some(theirs_print)) {
                        (false, true) => true,
                        (true, true) => other.updated_ms > c.updated_ms,
                        _ => false,
                    }
            };
            changed |= take_theirs;
            let pick = if take_theirs { other } else { c };
            chosen.insert(pick.id.clone(), pick);
        }
        // New here first, then the stored order (with what only storage had in its place),
        // then the orphans.
        let mut ordered = fresh;
        for id in &stored_order {
            if let Some(c) = chosen.remove(id).or_else(|| theirs.remove(id)) {
                ordered.push(c);
            }
        }
        ordered.extend(orphans);
        changed |=
            ordered.len() != before.len() || ordered.iter().zip(&before).any(|(c, id)| c.id != *id);
        library.conversations = ordered;
        library.deleted = deleted;
        changed
    }
}

/// The stored form of `library` (its export form plus `deleted`), and the fingerprints of
/// its conversations.
fn stored_json(library: &Library) -> (String, HashMap<String, u64>) {
    let mut base = HashMap::with_capacity(library.conversations.len());
    let mut json = String::from("{\"version\":");
    json.push_str(&Json::from(u64::from(library.version)).to_string());
    json.push_str(",\"conversations\":[");
    for (i, c) in library.conversations.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        let one = c.to_json().to_string();
        base.insert(c.id.clone(), fingerprint(&one));
        json.push_str(&one);
    }
    json.push_str("],\"deleted\":");
    json.push_str(
        &Json::Arr(library.deleted.iter().map(|d| d.as_str().into()).collect()).to_string(),
    );
    json.push('}');
    (json, base)
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
    fn reads_what_versions_save_and_imports_it() {
        // A reply regenerated once (its first version kept) under a question edited once
        // (the first question, with its reply, kept as a branch), as this version saves it.
        let saved = r#"{"version":1,"conversations":[{"id":"c1","title":"Rivers","messages":[{"id":3,"role":"user","content":"edited","state":"done","at_ms":3,"versions":[[{"id":1,"role":"user","content":"first","state":"done","at_ms":1},{"id":2,"role":"assistant","content":"old answer","state":"done","at_ms":2}]],"version":1},{"id":5,"role":"assistant","content":"new answer","state":"done","at_ms":5,"versions":[[{"id":4,"role":"assistant","content":"first answer","state":"stopped","at_ms":4,"reasoning":"hmm"}]],"version":1}],"created_ms":1,"updated_ms":5,"next_message_id":6}],"deleted":[]}"#;
        let lib = Library::from_json(saved).expect("reads");
        let c = lib.get("c1").expect("c1");
        let shown: Vec<&str> = c.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(shown, ["edited", "new answer"]);
        let first = &c.messages[1].versions.others[0][0];
        assert_eq!(
            (
                first.content.as_str(),
                first.state,
                first.extras.reasoning.as_str()
            ),
            ("first answer", MessageState::Stopped, "hmm")
        );
        assert_eq!(c.messages[0].versions.others[0][1].content, "old answer");
        // Stored again exactly as read, and exported and imported with every version.
        let (json, _) = stored_json(&lib);
        assert_eq!(json, saved);
        let mut other = Library::new();
        assert_eq!(other.import(&lib.to_json(), || "x".into()), Ok(1));
        assert_eq!(other.get("c1"), Some(c));
        // Ids repeated across versions make an import ambiguous: refused, with the path.
        let clash = saved.replace(r#""id":4,"#, r#""id":1,"#);
        let err = other.import(&clash, || "y".into()).expect_err("refused");
        assert!(
            err.to_string()
                .contains("conversations[0].messages[1].versions[0][0].id: 1 is used"),
            "{err}"
        );
    }

    #[test]
    fn tabs_merge_versions_with_their_conversation() {
        let mut storage = Mem::new(BIG);
        let mut a = Tab::open(&mut storage);
        let c = a.library.create("c".into(), 1.0);
        c.push_user("q", 1.0);
        let r = c.start_reply(2.0);
        c.append(r, "one");
        c.finish(r, MessageState::Done, None, 3.0);
        a.save(&mut storage, None);
        let mut b = Tab::open(&mut storage);
        // B regenerates: the stored conversation has both versions, and A takes them.
        let c = b.library.get_mut("c").expect("c");
        let (_, r2) = c.regenerate(4.0).expect("regenerates");
        c.append(r2, "two");
        c.finish(r2, MessageState::Done, None, 5.0);
        b.save(&mut storage, None);
        assert_eq!(
            a.save(&mut storage, None),
            SaveOutcome::Saved { changed: true }
        );
        assert_eq!(a.text("c"), "qtwo");
        let kept = &a.library.get("c").expect("c").messages[1].versions;
        assert_eq!((kept.index, kept.others[0][0].content.as_str()), (1, "one"));
        // A switches back to the first: B takes the switch.
        assert!(a
            .library
            .get_mut("c")
            .expect("c")
            .switch_version(r2, 0, 6.0));
        a.save(&mut storage, None);
        b.save(&mut storage, None);
        assert_eq!(b.text("c"), "qone");
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

    /// A `localStorage` stand-in with a quota in bytes (keys and values, as browsers count).
    struct Mem {
        map: HashMap<String, String>,
        quota: usize,
    }

    impl Mem {
        fn new(quota: usize) -> Mem {
            Mem {
                map: HashMap::new(),
                quota,
            }
        }
        fn with(mut self, key: &str, value: &str) -> Mem {
            self.map.insert(key.into(), value.into());
            self
        }
        fn used_without(&self, key: &str) -> usize {
            self.map
                .iter()
                .filter(|(k, _)| k.as_str() != key)
                .map(|(k, v)| k.len() + v.len())
                .sum()
        }
    }

    impl Storage for Mem {
        fn get(&self, key: &str) -> Option<String> {
            self.map.get(key).cloned()
        }
        fn set(&mut self, key: &str, value: &str) -> bool {
            if self.used_without(key) + key.len() + value.len() > self.quota {
                return false;
            }
            self.map.insert(key.into(), value.into());
            true
        }
    }

    const BIG: usize = 1 << 20;
    const UNREADABLE: &str = "{\"conversations\": [oops";

    fn saved(outcome: SaveOutcome) -> bool {
        matches!(outcome, SaveOutcome::Saved { .. })
    }

    #[test]
    fn an_unreadable_library_is_kept_aside_before_anything_replaces_it() {
        let mut storage = Mem::new(BIG).with(STORAGE_KEY, UNREADABLE);
        let Loaded {
            mut library,
            mut saver,
            problem,
        } = load(&mut storage);
        assert!(
            matches!(&problem, Some(Unreadable::KeptAside { key, .. }) if key == BACKUP_KEY),
            "{problem:?}"
        );
        assert_eq!(storage.get(BACKUP_KEY).as_deref(), Some(UNREADABLE));
        library.create("a".into(), 1.0).push_user("hi", 1.0);
        assert!(saved(saver.save(&mut library, &mut storage, None)));
        assert_eq!(storage.get(BACKUP_KEY).as_deref(), Some(UNREADABLE));
        let back = Library::from_json(&storage.get(STORAGE_KEY).expect("saved")).expect("reads");
        assert_eq!(back.conversations.len(), 1);
    }

    #[test]
    fn a_backup_that_cannot_be_written_stops_every_save_until_it_can() {
        // Full: the unreadable text fits, a copy of it does not.
        let quota = STORAGE_KEY.len() + UNREADABLE.len() + 10;
        let mut storage = Mem::new(quota).with(STORAGE_KEY, UNREADABLE);
        let Loaded {
            mut library,
            mut saver,
            problem,
        } = load(&mut storage);
        assert!(
            matches!(&problem, Some(Unreadable::Blocked { raw, reason }) if raw == UNREADABLE && !reason.is_empty()),
            "{problem:?}"
        );
        library.create("a".into(), 1.0).push_user("hi", 1.0);
        for _ in 0..3 {
            assert!(matches!(
                saver.save(&mut library, &mut storage, None),
                SaveOutcome::Blocked { raw, .. } if raw == UNREADABLE
            ));
            assert_eq!(storage.get(STORAGE_KEY).as_deref(), Some(UNREADABLE));
        }
        // Space freed: the next save copies it aside first, then saves.
        storage.quota = BIG;
        assert!(saved(saver.save(&mut library, &mut storage, None)));
        assert_eq!(storage.get(BACKUP_KEY).as_deref(), Some(UNREADABLE));
    }

    #[test]
    fn a_storage_that_says_yes_but_keeps_nothing_is_no_backup() {
        struct Liar(Mem);
        impl Storage for Liar {
            fn get(&self, key: &str) -> Option<String> {
                self.0.get(key)
            }
            fn set(&mut self, key: &str, value: &str) -> bool {
                // The backup write "succeeds" without keeping anything.
                key == BACKUP_KEY || self.0.set(key, value)
            }
        }
        let mut storage = Liar(Mem::new(BIG).with(STORAGE_KEY, UNREADABLE));
        assert!(matches!(
            load(&mut storage).problem,
            Some(Unreadable::Blocked { .. })
        ));
    }

    #[test]
    fn an_existing_different_backup_is_never_overwritten() {
        let mut storage = Mem::new(BIG)
            .with(STORAGE_KEY, UNREADABLE)
            .with(BACKUP_KEY, "an older unreadable library");
        let problem = load(&mut storage).problem;
        let second = format!("{BACKUP_KEY}.2");
        assert!(
            matches!(&problem, Some(Unreadable::KeptAside { key, .. }) if *key == second),
            "{problem:?}"
        );
        assert_eq!(
            storage.get(BACKUP_KEY).as_deref(),
            Some("an older unreadable library")
        );
        assert_eq!(storage.get(&second).as_deref(), Some(UNREADABLE));
        // Loading the same text again finds its copy rather than making another.
        assert!(matches!(
            load(&mut storage).problem,
            Some(Unreadable::KeptAside { key, .. }) if key == second
        ));
        // Every backup key taken by other texts: refused, not overwritten.
        let mut full = Mem::new(BIG).with(STORAGE_KEY, UNREADABLE);
        for n in 1..=MAX_BACKUPS {
            let key = if n == 1 {
                BACKUP_KEY.to_string()
            } else {
                format!("{BACKUP_KEY}.{n}")
            };
            full = full.with(&key, &format!("other {n}"));
        }
        assert!(matches!(
            load(&mut full).problem,
            Some(Unreadable::Blocked { .. })
        ));
        assert_eq!(full.get(BACKUP_KEY).as_deref(), Some("other 1"));
    }

    #[test]
    fn a_library_made_unreadable_after_loading_is_kept_aside_at_the_next_save() {
        let mut storage = Mem::new(BIG);
        let Loaded {
            mut library,
            mut saver,
            ..
        } = load(&mut storage);
        library.create("a".into(), 1.0);
        assert!(saved(saver.save(&mut library, &mut storage, None)));
        storage.map.insert(STORAGE_KEY.into(), UNREADABLE.into());
        assert!(saved(saver.save(&mut library, &mut storage, None)));
        assert_eq!(storage.get(BACKUP_KEY).as_deref(), Some(UNREADABLE));
    }

    /// A tab: its library and what it last synced.
    struct Tab {
        library: Library,
        saver: Saver,
    }

    impl Tab {
        fn open(storage: &mut Mem) -> Tab {
            let Loaded { library, saver, .. } = load(storage);
            Tab { library, saver }
        }
        fn save(&mut self, storage: &mut Mem, owned: Option<&str>) -> SaveOutcome {
            self.saver.save(&mut self.library, storage, owned)
        }
        fn ids(&self) -> Vec<&str> {
            self.library
                .conversations
                .iter()
                .map(|c| c.id.as_str())
                .collect()
        }
        fn text(&self, id: &str) -> String {
            self.library
                .get(id)
                .map(|c| c.messages.iter().map(|m| m.content.as_str()).collect())
                .unwrap_or_default()
        }
    }

    fn stored(storage: &Mem) -> Library {
        Library::from_stored(&storage.get(STORAGE_KEY).expect("stored")).expect("readable")
    }

    #[test]
    fn two_tabs_creating_conversations_in_turn_keep_them_all() {
        let mut storage = Mem::new(BIG);
        let mut a = Tab::open(&mut storage);
        let mut b = Tab::open(&mut storage);
        a.library.create("a1".into(), 1.0).push_user("from a", 1.0);
        assert_eq!(
            a.save(&mut storage, None),
            SaveOutcome::Saved { changed: false }
        );
        b.library.create("b1".into(), 2.0).push_user("from b", 2.0);
        assert_eq!(
            b.save(&mut storage, None),
            SaveOutcome::Saved { changed: true }
        );
        assert_eq!(b.ids(), ["b1", "a1"]);
        a.library.create("a2".into(), 3.0);
        assert!(saved(a.save(&mut storage, None)));
        assert_eq!(a.ids(), ["a2", "b1", "a1"]);
        b.save(&mut storage, None);
        assert_eq!(b.ids(), ["a2", "b1", "a1"]);
        assert_eq!(stored(&storage).conversations.len(), 3);
        // A reload of either tab reads them all.
        assert_eq!(Tab::open(&mut storage).ids(), ["a2", "b1", "a1"]);
    }

    #[test]
    fn two_tabs_streaming_at_once_keep_both_replies_whole() {
        let mut storage = Mem::new(BIG);
        let mut a = Tab::open(&mut storage);
        let mut b = Tab::open(&mut storage);
        let ra = {
            let c = a.library.create("ca".into(), 1.0);
            c.push_user("question a", 1.0);
            c.start_reply(1.0)
        };
        a.save(&mut storage, Some("ca"));
        let rb = {
            let c = b.library.create("cb".into(), 2.0);
            c.push_user("question b", 2.0);
            c.start_reply(2.0)
        };
        b.save(&mut storage, Some("cb"));
        // Both stream, saving now and then; each tab's saves carry the other's old copy.
        for i in 0..5 {
            a.library
                .get_mut("ca")
                .expect("ca")
                .append(ra, &format!("a{i} "));
            a.save(&mut storage, Some("ca"));
            b.library
                .get_mut("cb")
                .expect("cb")
                .append(rb, &format!("b{i} "));
            b.save(&mut storage, Some("cb"));
        }
        let done = crate::chat::conversation::MessageState::Done;
        a.library
            .get_mut("ca")
            .expect("ca")
            .finish(ra, done, None, 10.0);
        a.save(&mut storage, None);
        b.library.get_mut("cb").expect("cb").append(rb, "end");
        b.save(&mut storage, Some("cb"));
        b.library
            .get_mut("cb")
            .expect("cb")
            .finish(rb, done, None, 11.0);
        b.save(&mut storage, None);
        a.save(&mut storage, None);
        let whole_a = "question aa0 a1 a2 a3 a4 ";
        let whole_b = "question bb0 b1 b2 b3 b4 end";
        for tab in [&a, &b, &Tab::open(&mut storage)] {
            assert_eq!(tab.text("ca"), whole_a);
            assert_eq!(tab.text("cb"), whole_b);
        }
        let reloaded = Tab::open(&mut storage);
        for (id, reply) in [("ca", ra), ("cb", rb)] {
            let state = reloaded
                .library
                .get(id)
                .and_then(|c| c.get(reply))
                .map(|m| m.state);
            assert_eq!(state, Some(done), "{id}");
        }
    }

    #[test]
    fn a_tab_opened_while_another_streams_does_not_cut_its_reply() {
        let mut storage = Mem::new(BIG);
        let mut a = Tab::open(&mut storage);
        let reply = {
            let c = a.library.create("ca".into(), 1.0);
            c.push_user("q", 1.0);
            c.start_reply(1.0)
        };
        a.library.get_mut("ca").expect("ca").append(reply, "par");
        a.save(&mut storage, Some("ca"));
        // B loads now: to B the reply is interrupted (it cannot know another tab owns it),
        // and B saves that.
        let mut b = Tab::open(&mut storage);
        let state = |tab: &Tab| {
            tab.library
                .get("ca")
                .and_then(|c| c.get(reply))
                .map(|m| m.state)
        };
        assert_eq!(
            state(&b),
            Some(crate::chat::conversation::MessageState::Interrupted)
        );
        b.library.create("cb".into(), 2.0);
        b.save(&mut storage, None);
        // A goes on and finishes; its text wins, and B takes it.
        a.library.get_mut("ca").expect("ca").append(reply, "tial");
        a.save(&mut storage, Some("ca"));
        let done = crate::chat::conversation::MessageState::Done;
        a.library
            .get_mut("ca")
            .expect("ca")
            .finish(reply, done, None, 5.0);
        a.save(&mut storage, None);
        b.save(&mut storage, None);
        for tab in [&a, &b, &Tab::open(&mut storage)] {
            assert_eq!(tab.text("ca"), "qpartial");
            assert_eq!(state(tab), Some(done));
            assert_eq!(tab.library.conversations.len(), 2);
        }
    }

    #[test]
    fn an_edit_in_one_tab_is_not_undone_by_the_other() {
        let mut storage = Mem::new(BIG);
        let mut a = Tab::open(&mut storage);
        a.library.create("c".into(), 1.0).push_user("first", 1.0);
        a.save(&mut storage, None);
        let mut b = Tab::open(&mut storage);
        assert!(b.library.rename("c", "Renamed in B"));
        b.save(&mut storage, None);
        // A did not touch "c": its next save takes B's title rather than writing its own.
        a.library.create("d".into(), 2.0);
        assert_eq!(
            a.save(&mut storage, None),
            SaveOutcome::Saved { changed: true }
        );
        assert_eq!(
            a.library.get("c").map(|c| c.title.as_str()),
            Some("Renamed in B")
        );
        assert_eq!(
            stored(&storage).get("c").map(|c| c.title.as_str()),
            Some("Renamed in B")
        );
        // Both changed it: the newer change wins.
        a.library
            .get_mut("c")
            .expect("c")
            .push_user("late from a", 5.0);
        b.library
            .get_mut("c")
            .expect("c")
            .push_user("early from b", 4.0);
        b.save(&mut storage, None);
        a.save(&mut storage, None);
        assert!(a.text("c").ends_with("late from a"));
        b.save(&mut storage, None);
        assert!(b.text("c").ends_with("late from a"));
    }

    #[test]
    fn a_conversation_deleted_in_one_tab_never_comes_back_from_another() {
        let mut storage = Mem::new(BIG);
        let mut a = Tab::open(&mut storage);
        a.library
            .create("gone".into(), 1.0)
            .push_user("delete me", 1.0);
        a.library.create("kept".into(), 2.0);
        a.save(&mut storage, None);
        let mut b = Tab::open(&mut storage);
        assert!(a.library.delete("gone"));
        a.save(&mut storage, None);
        // B still has it, and even changes it: the deletion wins.
        b.library
            .get_mut("gone")
            .expect("b's copy")
            .push_user("edit", 3.0);
        assert_eq!(
            b.save(&mut storage, None),
            SaveOutcome::Saved { changed: true }
        );
        assert_eq!(b.ids(), ["kept"]);
        assert_eq!(stored(&storage).deleted, ["gone"]);
        a.save(&mut storage, None);
        assert_eq!(a.ids(), ["kept"]);
        assert_eq!(Tab::open(&mut storage).ids(), ["kept"]);
        // An import of it comes back under a new id: its old one stays deleted.
        let export = r#"{"id":"gone","title":"t","messages":[]}"#;
        assert_eq!(a.library.import(export, || "fresh".into()), Ok(1));
        assert_eq!(a.ids(), ["fresh", "kept"]);
    }

    #[test]
    fn tombstones_are_bounded() {
        let mut lib = Library::new();
        for i in 0..MAX_TOMBSTONES + 5 {
            lib.create(format!("c{i}"), 0.0);
            assert!(lib.delete(&format!("c{i}")));
        }
        assert_eq!(lib.deleted.len(), MAX_TOMBSTONES);
        assert_eq!(lib.deleted[0], "c5", "the oldest are forgotten first");
    }

    #[test]
    fn the_stored_form_adds_tombstones_and_reads_the_old_form() {
        let mut lib = lib();
        lib.delete("a");
        let (json, _) = stored_json(&lib);
        assert!(json.ends_with(r#"],"deleted":["a"]}"#), "{json}");
        assert_eq!(Library::from_stored(&json), Ok(lib.clone()));
        assert!(
            !lib.to_json().contains("deleted"),
            "exports carry no tombstones"
        );
        assert_eq!(
            Library::from_json(&lib.to_json()).map(|l| l.deleted.len()),
            Ok(0)
        );
        assert!(Library::from_json(r#"{"conversations":[],"deleted":[1]}"#).is_err());
    }

    #[test]
    fn an_import_with_ambiguous_ids_is_refused_and_says_why() {
        let conv = |id: &str, ids: &str| {
            let messages: Vec<String> = ids
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|id| format!(r#"{{"id":{id},"role":"user","content":"x","state":"done"}}"#))
                .collect();
            format!(
                r#"{{"id":{id:?},"title":"t","messages":[{}]}}"#,
                messages.join(",")
            )
        };
        let file = |convs: &[String]| format!(r#"{{"conversations":[{}]}}"#, convs.join(","));
        let refused = |json: String| {
            let mut lib = lib();
            let before = lib.clone();
            let err = lib.import(&json, || "new".into()).expect_err("refused");
            assert_eq!(lib, before, "nothing imported");
            err.to_string()
        };
        let msg = refused(file(&[conv("x", "1"), conv("y", "1"), conv("x", "2")]));
        assert!(
            msg.contains("conversations[2].id") && msg.contains("\"x\""),
            "{msg}"
        );
        let msg = refused(file(&[conv("x", "1,2,1")]));
        assert!(msg.contains("conversations[0].messages[2].id: 1"), "{msg}");
        let msg = refused(file(&[conv("", "1")]));
        assert!(
            msg.contains("conversations[0].id: expected 1 to 128"),
            "{msg}"
        );
        let msg = refused(file(&[conv(&"l".repeat(129), "1")]));
        assert!(msg.contains("found 129"), "{msg}");
        for bad in ["-1", "1.5", "9007199254740993", "1e300"] {
            let msg = refused(file(&[conv("x", bad)]));
            assert!(
                msg.contains("conversations[0].messages[0].id"),
                "{bad}: {msg}"
            );
        }
        let msg = refused(
            r#"{"id":"x","title":"t","next_message_id":2,"messages":[{"id":5,"role":"user","content":"","state":"done"}]}"#
                .to_string(),
        );
        assert!(msg.contains("not below next_message_id"), "{msg}");
        // The same ids are fine in different conversations.
        let mut lib = Library::new();
        assert_eq!(
            lib.import(&file(&[conv("x", "1,2"), conv("y", "1,2")]), || "n".into()),
            Ok(2)
        );
    }

    #[test]
    fn ids_are_hex_and_distinct() {
        assert_ne!(new_id(1.0, 0.1), new_id(1.0, 0.2));
        assert!(new_id(1_700_000_000_000.0, 0.5).starts_with('c'));
    }
}
