//! What the user does to the open conversation: send a message, regenerate a reply, edit a
//! message of theirs, continue a cut reply, switch between a turn's versions. Each changes
//! the conversation (pure, `chat::conversation`) and its rows, then, but for a switch, starts
//! a reply (`reply_stream`).

use leptos::prelude::*;

use super::ChatCtx;
use crate::browser;
use crate::chat::conversation::{MessageState, Role};
use crate::chat::extras::ReplyExtras;
use crate::i18n::version_of;

impl ChatCtx {
    /// Sends the user's message and streams the reply.
    pub fn send(&self, text: &str) -> bool {
        let text = text.trim_end();
        if text.trim().is_empty() || self.streaming.get_untracked().is_some() {
            return false;
        }
        let conv_id = match self.current.get_untracked() {
            Some(id) if self.library.with_value(|lib| lib.get(&id).is_some()) => id,
            _ => {
                self.new_conversation();
                match self.current.get_untracked() {
                    Some(id) => id,
                    None => return false,
                }
            }
        };
        let now = browser::now_ms();
        let user_id = self
            .library
            .try_update_value(|lib| lib.get_mut(&conv_id).map(|c| c.push_user(text, now)))
            .flatten();
        let Some(user_id) = user_id else {
            return false;
        };
        let row = self.new_row(
            user_id,
            Role::User,
            text.to_string(),
            MessageState::Done,
            None,
            ReplyExtras::default(),
        );
        self.rows.update(|rows| rows.push(row));
        self.changed_list();
        self.start_reply(&conv_id, user_id, None);
        true
    }

    /// Generates the last reply again, as a new version of it: the earlier reply stays
    /// one click away (`chat::conversation::Versions`).
    pub fn regenerate(&self) {
        let Some(conv_id) = self.current.get_untracked() else {
            return;
        };
        if self.streaming.get_untracked().is_some() {
            return;
        }
        let now = browser::now_ms();
        let made = self
            .library
            .try_update_value(|lib| {
                let c = lib.get_mut(&conv_id)?;
                let (upto, reply) = c.regenerate(now)?;
                c.get(reply).map(|m| (upto, self.row_of(m)))
            })
            .flatten();
        let Some((upto, row)) = made else { return };
        let reply = row.id;
        self.rows.update(|rows| {
            if rows.last().is_some_and(|r| r.role == Role::Assistant) {
                rows.pop();
            }
            rows.push(row);
        });
        self.start_reply(&conv_id, upto, Some(reply));
    }

    /// Edits a user message: the new text starts a branch at its place and is answered; the
    /// message as it was, with all that followed it, stays a version of that place.
    pub fn edit(&self, user_id: u64, text: &str) {
        let Some(conv_id) = self.current.get_untracked() else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        if self.streaming.get_untracked().is_some() {
            self.stop();
        }
        let now = browser::now_ms();
        let made = self
            .library
            .try_update_value(|lib| {
                let c = lib.get_mut(&conv_id)?;
                let id = c.edit_user(user_id, text, now)?;
                c.get(id).map(|m| self.row_of(m))
            })
            .flatten();
        let Some(row) = made else { return };
        let new_id = row.id;
        self.rows.update(|rows| {
            if let Some(pos) = rows.iter().position(|r| r.id == user_id) {
                rows.truncate(pos);
            }
            rows.push(row);
        });
        self.save();
        self.start_reply(&conv_id, new_id, None);
    }

    /// Shows the version before the shown one of message `id`'s turn.
    pub fn previous_version(&self, id: u64) {
        if let Some(row) = self.row(id) {
            if row.versions.0 > 1 {
                self.switch_version(id, row.versions.0 - 2, false);
            }
        }
    }

    /// Shows the version after the shown one of message `id`'s turn.
    pub fn next_version(&self, id: u64) {
        if let Some(row) = self.row(id) {
            if row.versions.0 < row.versions.1 {
                self.switch_version(id, row.versions.0, true);
            }
        }
    }

    /// Shows version `to` (from 0) of message `id`'s turn: the rows from there on are
    /// replaced by that branch's. Not while a reply streams (it would leave the screen).
    /// Focus goes to the same button of the new version, and the new position is announced.
    fn switch_version(&self, id: u64, to: usize, forward: bool) {
        let Some(conv_id) = self.current.get_untracked() else {
            return;
        };
        if self.streaming.get_untracked().is_some() {
            return;
        }
        let now = browser::now_ms();
        let shown = self
            .library
            .try_update_value(|lib| {
                let c = lib.get_mut(&conv_id)?;
                let pos = c.messages.iter().position(|m| m.id == id)?;
                c.switch_version(id, to, now).then(|| {
                    c.messages[pos..]
                        .iter()
                        .map(|m| self.row_of(m))
                        .collect::<Vec<_>>()
                })
            })
            .flatten();
        let Some(shown) = shown else { return };
        let Some(first) = shown.first().copied() else {
            return;
        };
        self.version_focus.set(Some((first.id, forward)));
        self.rows.update(|rows| {
            if let Some(pos) = rows.iter().position(|r| r.id == id) {
                rows.truncate(pos);
            }
            rows.extend(shown);
        });
        self.announce.set(version_of(
            self.lang.get_untracked(),
            first.versions.0,
            first.versions.1,
        ));
        self.save();
    }

    /// Asks the model to go on from an interrupted or stopped reply, appending to it.
    pub fn continue_reply(&self, msg_id: u64) {
        let Some(conv_id) = self.current.get_untracked() else {
            return;
        };
        if self.streaming.get_untracked().is_some() {
            return;
        }
        self.start_reply(&conv_id, msg_id, Some(msg_id));
    }
}
