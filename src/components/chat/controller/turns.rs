//! What the user does to the open conversation: send a message, regenerate a reply, edit a
//! message of theirs, continue a cut reply. Each changes the conversation (pure,
//! `chat::conversation`) and its rows, then starts a reply (`reply_stream`).

use leptos::prelude::*;

use super::ChatCtx;
use crate::browser;
use crate::chat::conversation::{MessageState, Role};
use crate::chat::extras::ReplyExtras;

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

    /// Generates the last reply again.
    pub fn regenerate(&self) {
        let Some(conv_id) = self.current.get_untracked() else {
            return;
        };
        if self.streaming.get_untracked().is_some() {
            return;
        }
        let upto = self
            .library
            .try_update_value(|lib| lib.get_mut(&conv_id).and_then(|c| c.drop_last_reply()))
            .flatten();
        let Some(upto) = upto else { return };
        self.rows.update(|rows| {
            if rows.last().is_some_and(|r| r.role == Role::Assistant) {
                rows.pop();
            }
        });
        self.start_reply(&conv_id, upto, None);
    }

    /// Replaces a user message and answers it again.
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
        let ok = self
            .library
            .try_update_value(|lib| {
                lib.get_mut(&conv_id)
                    .is_some_and(|c| c.edit_user(user_id, text, now))
            })
            .unwrap_or(false);
        if !ok {
            return;
        }
        self.rows.update(|rows| {
            if let Some(pos) = rows.iter().position(|r| r.id == user_id) {
                rows.truncate(pos + 1);
                rows[pos].content.set(text.to_string());
            }
        });
        self.save();
        self.start_reply(&conv_id, user_id, None);
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
