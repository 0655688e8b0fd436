//! The conversation list's actions: show, create, rename and delete conversations, and save
//! the library merged with other tabs' saves (`chat::store::Saver`).
//!
//! Must not: build requests or read streams (see `reply_stream`).

use leptos::prelude::*;

use super::ChatCtx;
use crate::browser;
use crate::chat::store;
use crate::i18n::strings;

impl ChatCtx {
    /// Conversations matching `query`, as (id, title) pairs, newest first.
    pub fn list(&self, query: &str) -> Vec<(String, String)> {
        self.list_version.track();
        self.library.with_value(|lib| {
            lib.search(query)
                .into_iter()
                .map(|c| (c.id.clone(), c.title.clone()))
                .collect()
        })
    }

    /// Shows conversation `id`.
    pub fn select(&self, id: &str) {
        if self.streaming.get_untracked().is_some() {
            self.leave_reply();
        }
        let rows = self.library.with_value(|lib| {
            lib.get(id).map(|c| {
                c.messages
                    .iter()
                    .map(|m| self.row_of(m))
                    .collect::<Vec<_>>()
            })
        });
        if let Some(rows) = rows {
            self.rows.set(rows);
            self.current.set(Some(id.to_string()));
            // A reply still generating on its server (this tab left it, the page was
            // reloaded, another tab asked for it) goes on streaming into its message.
            let resumable = self
                .library
                .with_value(|lib| lib.get(id).and_then(|c| c.resumable()));
            if let Some((msg_id, point)) = resumable {
                self.reattach(id, msg_id, point);
            }
        }
    }

    /// Starts a new, empty conversation.
    pub fn new_conversation(&self) {
        if self.streaming.get_untracked().is_some() {
            self.leave_reply();
        }
        let id = store::new_id(browser::now_ms(), js_sys::Math::random());
        self.library.update_value(|lib| {
            lib.create(id.clone(), browser::now_ms());
        });
        self.rows.set(Vec::new());
        self.current.set(Some(id));
        self.changed_list();
    }

    /// Renames a conversation.
    pub fn rename(&self, id: &str, title: &str) {
        let ok = self
            .library
            .try_update_value(|lib| lib.rename(id, title))
            .unwrap_or(false);
        if ok {
            self.changed_list();
        }
    }

    /// Deletes a conversation; the newest remaining one is shown.
    pub fn delete(&self, id: &str) {
        if self.current.get_untracked().as_deref() == Some(id)
            && self.streaming.get_untracked().is_some()
        {
            self.stop();
        }
        self.library.update_value(|lib| {
            lib.delete(id);
        });
        if self.current.get_untracked().as_deref() == Some(id) {
            let next = self
                .library
                .with_value(|lib| lib.conversations.first().map(|c| c.id.clone()));
            match next {
                Some(next) => self.select(&next),
                None => {
                    self.rows.set(Vec::new());
                    self.current.set(None);
                }
            }
        }
        self.changed_list();
    }

    pub(super) fn changed_list(&self) {
        self.list_version.update(|v| *v += 1);
        self.save();
    }

    /// Saves the conversations now (also called when the page is hidden or closed), merged
    /// with what other tabs saved (see `store::Saver::save`). A conversation whose reply this
    /// tab is streaming keeps this tab's text.
    pub fn save(&self) {
        let owned = self
            .active
            .try_with_value(|a| a.as_ref().map(|a| a.conv_id.clone()))
            .flatten();
        // The view may be gone by the time a deferred save runs: then there is nothing to do.
        let outcome = self
            .library
            .try_update_value(|lib| {
                self.saver.try_update_value(|saver| {
                    saver.save(lib, &mut store::BrowserStorage, owned.as_deref())
                })
            })
            .flatten();
        let Some(outcome) = outcome else {
            return;
        };
        let t = strings(self.lang.try_get_untracked().unwrap_or_default());
        match outcome {
            store::SaveOutcome::Saved { changed } => {
                if self.storage_blocked.try_get_untracked().flatten().is_some() {
                    // There was room at last: the unreadable text was copied aside first.
                    let _ = self.storage_blocked.try_set(None);
                    let _ = self
                        .notice
                        .try_set(Some(t.chat_storage_unreadable.to_string()));
                }
                if changed {
                    self.show_merged();
                }
            }
            store::SaveOutcome::Refused => {
                let _ = self.notice.try_set(Some(t.chat_storage_full.to_string()));
            }
            store::SaveOutcome::Blocked { reason, raw } => {
                self.unreadable_raw.try_set_value(Some(raw));
                let _ = self.storage_blocked.try_set(Some(reason));
            }
        }
    }

    /// Shows what a save merged in from other tabs: the list, and the open conversation if
    /// it changed or was deleted there (not while a reply streams: that one is this tab's).
    fn show_merged(&self) {
        let _ = self.list_version.try_update(|v| *v += 1);
        if self.streaming.get_untracked().is_some() {
            return;
        }
        let Some(current) = self.current.get_untracked() else {
            return;
        };
        let rows = self.rows.get_untracked();
        let state = self.library.with_value(|lib| match lib.get(&current) {
            None => Err(lib.conversations.first().map(|c| c.id.clone())),
            Some(c) => Ok(c.messages.len() != rows.len()
                || c.messages.iter().zip(&rows).any(|(m, r)| {
                    m.id != r.id
                        || (m.versions.index + 1, m.versions.count()) != r.versions
                        || m.state != r.state.get_untracked()
                        || r.content.with_untracked(|text| *text != m.content)
                })),
        });
        match state {
            Ok(true) => self.select(&current),
            Ok(false) => {}
            Err(Some(first)) => self.select(&first),
            Err(None) => {
                self.rows.set(Vec::new());
                self.current.set(None);
            }
        }
    }

    /// Offers the unreadable stored library, which saving is keeping untouched, as a file.
    pub fn download_unreadable(&self) {
        let raw = self
            .unreadable_raw
            .try_with_value(|raw| raw.clone())
            .flatten()
            .or_else(|| browser::storage_get(store::STORAGE_KEY));
        if let Some(raw) = raw {
            browser::download(store::UNREADABLE_FILE, "application/json", &raw);
        }
    }
}
