//! Export and import: the open conversation as Markdown, every conversation as JSON (the
//! export format, `chat::store::Library::to_json`), and an import of such a file.

use leptos::prelude::*;

use super::ChatCtx;
use crate::browser;
use crate::chat::store::{self, Library};
use crate::i18n::strings;

impl ChatCtx {
    /// The current conversation as Markdown, with a file name.
    pub fn export_markdown(&self) -> Option<(String, String)> {
        let id = self.current.get_untracked()?;
        self.library.with_value(|lib| {
            lib.get(&id)
                .map(|c| (format!("{}.md", file_stem(&c.title)), c.to_markdown()))
        })
    }

    /// Every conversation as JSON.
    pub fn export_json(&self) -> String {
        self.library.with_value(Library::to_json)
    }

    /// Imports conversations from an export; the first imported one is shown.
    pub fn import(&self, json: &str) {
        let t = strings(self.lang.get_untracked());
        let result = self.library.try_update_value(|lib| {
            lib.import(json, || {
                store::new_id(browser::now_ms(), js_sys::Math::random())
            })
        });
        match result {
            Some(Ok(n)) => {
                self.notice.set(Some(format!("{} {n}", t.chat_imported)));
                let first = self
                    .library
                    .with_value(|lib| lib.conversations.first().map(|c| c.id.clone()));
                if let Some(id) = first {
                    self.select(&id);
                }
                self.changed_list();
            }
            Some(Err(err)) => self
                .notice
                .set(Some(format!("{}: {err}", t.chat_import_failed))),
            None => {}
        }
    }
}

/// A file name from a title: letters, digits, CJK, dashes.
fn file_stem(title: &str) -> String {
    let stem: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if stem.is_empty() {
        "chat".to_string()
    } else {
        stem.chars().take(60).collect()
    }
}
