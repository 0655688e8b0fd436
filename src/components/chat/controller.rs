//! The chat view's state and actions: the glue between the pure chat model, the stream
//! transports and the signals the views read.
//!
//! Data flows one way: transport → [`ReplyReader`] → conversation (pure) and row signals →
//! view. The streamed text reaches the saved conversation at once (so a closed page keeps
//! it) and the DOM once per animation frame.

use leptos::prelude::*;

use super::reply_watch::ReplyWatch;
use crate::browser::markdown_module::{MarkdownModule, Route, Status, MODULE_URL};
use crate::browser::url::origin_of;
use crate::browser::{self, AnimationFrame};
use crate::chat::conversation::{MessageState, Role};
use crate::chat::extras::ReplyExtras;
use crate::chat::format::{request_headers, ChatFormat, ChatRequest, WireMessage};
use crate::chat::keys::{self, KeyError, KeyRing, KEYRING_KEY, LEGACY_KEY};
use crate::chat::reply::{ReplyAction, ReplyReader};
use crate::chat::settings::{ChatSettings, SETTINGS_KEY};
use crate::chat::store::{self, Library};
use crate::i18n::{strings, Lang};
use crate::transport::fetch::FetchRequest;
use crate::transport::response::BodyFormat;
use crate::transport::{ErrorKind, StreamEvent, StreamHandle, Transport};

/// How often a streaming reply is saved, at most.
const SAVE_EVERY_MS: f64 = 1_000.0;

/// One message as the view sees it: fixed identity, reactive content and state.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// Unique in the page: the log's key. Message ids are unique only within their
    /// conversation, so keyed by them a log switched to another conversation would keep the
    /// old conversation's rows for every id the two share.
    pub key: u64,
    pub id: u64,
    pub role: Role,
    pub content: RwSignal<String>,
    pub state: RwSignal<MessageState>,
    pub error: RwSignal<Option<String>>,
    pub warning: RwSignal<Option<String>>,
    /// A reply's reasoning, tool calls, usage and timing (shown apart from its text).
    pub extras: RwSignal<ReplyExtras>,
}

impl Row {
    fn new(
        id: u64,
        role: Role,
        content: String,
        state: MessageState,
        error: Option<String>,
        extras: ReplyExtras,
    ) -> Row {
        thread_local! {
            static NEXT_KEY: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
        }
        let key = NEXT_KEY.with(|k| {
            let key = k.get();
            k.set(key.wrapping_add(1));
            key
        });
        Row {
            key,
            id,
            role,
            content: RwSignal::new(content),
            state: RwSignal::new(state),
            error: RwSignal::new(error),
            warning: RwSignal::new(None),
            extras: RwSignal::new(extras),
        }
    }
}

/// The reply being streamed.
struct Active {
    conv_id: String,
    msg_id: u64,
    format: ChatFormat,
    url: String,
    handle: Option<StreamHandle>,
    reader: ReplyReader,
    pending: String,
    /// Reasoning text not yet on screen (moved there once per frame, as `pending`).
    pending_reason: String,
    frame: Option<AnimationFrame>,
    last_save: f64,
    /// When the request was sent, the first text (answer or reasoning) and the first
    /// reasoning arrived (ms, the page's clock): time to first token, thinking time, speed.
    started: f64,
    first_text: Option<f64>,
    first_reason: Option<f64>,
    /// The answer's text has begun (the thinking time is taken then, once).
    answering: bool,
}

/// Shared by the chat components (all fields are cheap handles).
#[derive(Clone, Copy)]
pub struct ChatCtx {
    pub lang: Signal<Lang>,
    pub settings: RwSignal<ChatSettings>,
    /// API keys by origin (see `chat::keys`): a request carries one only to its own origin.
    keys: RwSignal<KeyRing>,
    /// True while the endpoint comes from a link to another origin than the user's own and
    /// the user has not confirmed it: no request carries a key then. Derived from
    /// `settings` once per change (both origins come from the browser's URL parser).
    pending: Memo<bool>,
    library: StoredValue<Library>,
    /// Bumped whenever the conversation list changes (titles, order, membership).
    pub list_version: RwSignal<u64>,
    pub current: RwSignal<Option<String>>,
    pub rows: RwSignal<Vec<Row>>,
    /// The id of the message being streamed.
    pub streaming: RwSignal<Option<u64>>,
    active: StoredValue<Option<Active>, LocalStorage>,
    /// A notice for the user (storage trouble, import result).
    pub notice: RwSignal<Option<String>>,
    /// What this tab last read from or wrote to storage: saves merge with other tabs' saves.
    saver: StoredValue<store::Saver, LocalStorage>,
    /// Why saving is stopped, while it is: the stored library is unreadable and could not be
    /// copied aside (see `chat::store`). Its raw text is kept in `unreadable_raw` to download.
    pub storage_blocked: RwSignal<Option<String>>,
    unreadable_raw: StoredValue<Option<String>, LocalStorage>,
    /// The last finished reply, for the screen-reader announcer.
    pub announce: RwSignal<String>,
    /// The last finished reply's end state and text, set once per reply (widget mode tells
    /// the host page, `embed_bridge`).
    pub finished: RwSignal<Option<(MessageState, String)>>,
    /// Widget mode (`embed=1`): see [`ChatCtx::link_banner`].
    embed: bool,
    /// Model names offered by the endpoint.
    pub models: RwSignal<Vec<String>>,
    /// Bumped when the markdown module becomes ready or fails (reply bodies re-render).
    pub markdown_changed: RwSignal<u64>,
    /// The markdown module, loaded when a reply is first shown (or the user starts typing).
    markdown: StoredValue<MarkdownModule, LocalStorage>,
    /// The streaming reply's stall notice and an error reply's Retry countdown.
    pub watch: ReplyWatch,
    /// The chat view's owner: rows' signals are created under it, not under whatever
    /// message's button was clicked (which may be removed, taking its signals with it).
    owner: StoredValue<Owner>,
}

impl ChatCtx {
    /// Loads settings and conversations and opens the newest conversation.
    pub fn new(config: &crate::config::Config, lang: Signal<Lang>) -> ChatCtx {
        let saved = browser::storage_get(SETTINGS_KEY).and_then(|j| ChatSettings::from_json(&j));
        let settings = ChatSettings::resolve(config, saved);
        let keys = load_keys(settings.own_endpoint());
        let store::Loaded {
            library,
            saver,
            problem,
        } = store::load(&mut store::BrowserStorage);
        let (kept_aside, blocked) = match problem {
            Some(store::Unreadable::KeptAside { reason, .. }) => (Some(reason), None),
            Some(store::Unreadable::Blocked { reason, raw }) => (None, Some((reason, raw))),
            None => (None, None),
        };
        let (blocked_reason, blocked_raw) = blocked.unzip();
        let first = library.conversations.first().map(|c| c.id.clone());
        let markdown_changed = RwSignal::new(0);
        let settings = RwSignal::new(settings);
        let ctx = ChatCtx {
            embed: config.embed,
            lang,
            settings,
            keys: RwSignal::new(keys),
            pending: Memo::new(move |_| {
                settings.with(|s| {
                    keys::needs_confirmation(
                        s.linked.is_some() && !s.confirmed,
                        origin_of(&s.endpoint).as_deref(),
                        origin_of(s.own_endpoint()).as_deref(),
                    )
                })
            }),
            library: StoredValue::new(library),
            list_version: RwSignal::new(0),
            current: RwSignal::new(None),
            rows: RwSignal::new(Vec::new()),
            streaming: RwSignal::new(None),
            active: StoredValue::new_local(None),
            notice: RwSignal::new(kept_aside.map(|p| {
                format!(
                    "{} ({p})",
                    strings(lang.get_untracked()).chat_storage_unreadable
                )
            })),
            saver: StoredValue::new_local(saver),
            storage_blocked: RwSignal::new(blocked_reason),
            unreadable_raw: StoredValue::new_local(blocked_raw),
            announce: RwSignal::new(String::new()),
            finished: RwSignal::new(None),
            models: RwSignal::new(Vec::new()),
            markdown_changed,
            markdown: StoredValue::new_local(MarkdownModule::new(MODULE_URL, move || {
                markdown_changed.try_update(|n| *n += 1);
            })),
            owner: StoredValue::new(Owner::current().unwrap_or_default()),
            watch: ReplyWatch::new(config.stall_secs),
        };
        if let Some(id) = first {
            ctx.select(&id);
        }
        ctx
    }

    /// The markdown module's status (untracked: track [`ChatCtx::markdown_changed`]).
    pub fn markdown_status(&self) -> Status {
        self.markdown
            .try_with_value(MarkdownModule::status)
            .unwrap_or(Status::Failed)
    }

    /// A renderer for one message, once the markdown module is ready.
    pub fn markdown_route(&self) -> Option<Route> {
        self.markdown
            .try_with_value(MarkdownModule::route)
            .flatten()
    }

    /// Starts loading the markdown module (ahead of the first reply, or for one).
    pub fn warm_markdown(&self) {
        self.markdown.try_with_value(MarkdownModule::warm);
    }

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
            self.stop();
        }
        let rows = self.library.with_value(|lib| {
            lib.get(id).map(|c| {
                c.messages
                    .iter()
                    .map(|m| {
                        self.new_row(
                            m.id,
                            m.role,
                            m.content.clone(),
                            m.state,
                            m.error.clone(),
                            m.extras.clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        });
        if let Some(rows) = rows {
            self.rows.set(rows);
            self.current.set(Some(id.to_string()));
        }
    }

    /// Starts a new, empty conversation.
    pub fn new_conversation(&self) {
        if self.streaming.get_untracked().is_some() {
            self.stop();
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

    fn changed_list(&self) {
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

    /// Saves the settings (the user's own endpoint, never a link's; never a key).
    pub fn save_settings(&self) {
        self.settings.with_untracked(|s| {
            browser::storage_set(SETTINGS_KEY, &s.to_json());
        });
    }

    /// True while the endpoint comes from a link to another origin than the user's own and
    /// the user has not confirmed it: no request carries a key then.
    pub fn endpoint_pending(&self) -> bool {
        self.pending.get()
    }

    /// Whether the banner about a link's endpoint is shown. Always while the link waits for
    /// confirmation, except in widget mode when no key is saved for the link's origin: the
    /// endpoint is the embedding site's, the panel names its host, and there is no key to
    /// protect (a saved key for that origin brings the banner back, and is not sent until
    /// the user confirms, as everywhere).
    pub fn link_banner(&self) -> bool {
        if !self.endpoint_pending() {
            return false;
        }
        if !self.embed {
            return true;
        }
        let endpoint = self.settings.with(|s| s.endpoint.clone());
        origin_of(&endpoint).is_some_and(|origin| self.keys.with(|k| k.get(&origin).is_some()))
    }

    /// The host a chat request goes to now, for people (`api.example:8080`).
    pub fn endpoint_host(&self) -> String {
        self.settings.with(|s| host_for_people(&s.endpoint))
    }

    /// The host of the user's own endpoint while a link overrides it.
    pub fn own_host(&self) -> String {
        self.settings.with(|s| host_for_people(s.own_endpoint()))
    }

    /// Uses the link's endpoint for this page (it is still not saved).
    pub fn confirm_link(&self) {
        self.settings.update(|s| s.confirmed = true);
    }

    /// Goes back to the user's own endpoint and drops the link's choice from the URL.
    pub fn revert_link(&self) {
        self.settings.update(ChatSettings::revert_link);
        self.save_settings();
        crate::browser::url::drop_query_params(&["endpoint", "format"]);
    }

    /// The key saved for the endpoint's origin (empty while a link waits for confirmation).
    pub fn current_key(&self) -> String {
        if self.endpoint_pending() {
            return String::new();
        }
        let origin = self.settings.with(|s| origin_of(&s.endpoint));
        origin
            .and_then(|o| self.keys.with(|k| k.get(&o).map(str::to_string)))
            .unwrap_or_default()
    }

    /// Saves `key` for the endpoint's origin (empty removes it). Refused while a link waits
    /// for confirmation, and for a key that is not visible ASCII.
    pub fn set_key(&self, key: &str) -> Result<(), KeyError> {
        keys::validate_key(key)?;
        if self.endpoint_pending() {
            return Ok(());
        }
        let Some(origin) = self.settings.with_untracked(|s| origin_of(&s.endpoint)) else {
            return Ok(());
        };
        self.keys.update(|k| k.set(&origin, key));
        self.keys
            .with_untracked(|k| browser::storage_set(KEYRING_KEY, &k.to_json()));
        Ok(())
    }

    /// The key header for a request to `url`: only a key saved for `url`'s own origin, and
    /// none while a link's endpoint waits for confirmation.
    /// The key saved for `url`'s own origin, if a request there may carry one now.
    fn key_for(&self, url: &str) -> Option<String> {
        // A view already gone sends no key (fail closed).
        if self.pending.try_get_untracked().unwrap_or(true) {
            return None;
        }
        let origin = origin_of(url)?;
        self.keys
            .with_untracked(|k| k.get(&origin).map(str::to_string))
    }

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

    /// Starts streaming a reply to the history up to `upto`. With `append_to`, the text
    /// goes on the end of that (partial) reply instead of a new one.
    fn start_reply(&self, conv_id: &str, upto: u64, append_to: Option<u64>) {
        let settings = self.settings.get_untracked();
        let lang = self.lang.get_untracked();
        let now = browser::now_ms();
        let Some(mut history) = self
            .library
            .with_value(|lib| lib.get(conv_id).map(|c| c.history(upto, &settings.system)))
        else {
            return;
        };
        let msg_id = match append_to {
            Some(id) => {
                self.library.update_value(|lib| {
                    if let Some(m) = lib
                        .get_mut(conv_id)
                        .and_then(|c| c.messages.iter_mut().find(|m| m.id == id))
                    {
                        m.state = MessageState::Streaming;
                        m.error = None;
                    }
                });
                if let Some(row) = self.row(id) {
                    row.state.set(MessageState::Streaming);
                    row.error.set(None);
                }
                history.push(WireMessage {
                    role: Role::User,
                    content: strings(lang).chat_continue_prompt.to_string(),
                });
                id
            }
            None => {
                let Some(id) = self
                    .library
                    .try_update_value(|lib| lib.get_mut(conv_id).map(|c| c.start_reply(now)))
                    .flatten()
                else {
                    return;
                };
                let row = self.new_row(
                    id,
                    Role::Assistant,
                    String::new(),
                    MessageState::Streaming,
                    None,
                    ReplyExtras::default(),
                );
                self.rows.update(|rows| rows.push(row));
                id
            }
        };
        self.streaming.set(Some(msg_id));
        self.watch.start();
        let ctx = *self;
        let sink = move |event: StreamEvent| ctx.on_event(event);
        // One request per format; a summary GET carries no headers (an EventSource cannot).
        let key = self.key_for(&settings.endpoint);
        let chat = ChatRequest::build(
            settings.format,
            &settings.endpoint,
            &settings.model,
            &history,
            settings.temperature,
            key.as_deref(),
        );
        let (url, handle) = match settings.format {
            ChatFormat::Summary => {
                let handle =
                    StreamHandle::open_feed(Transport::EventSource, &chat.url, &["message"], sink);
                (chat.url, handle)
            }
            format => {
                let body_format = if format.is_ndjson() {
                    BodyFormat::Ndjson
                } else {
                    BodyFormat::EventStream
                };
                let mut request =
                    FetchRequest::post_json(&chat.url, chat.body.unwrap_or_default(), body_format);
                request.headers.extend(chat.headers);
                (
                    settings.endpoint.clone(),
                    Ok(StreamHandle::open_fetch(request, sink)),
                )
            }
        };
        let active = Active {
            conv_id: conv_id.to_string(),
            msg_id,
            format: settings.format,
            url,
            handle: None,
            reader: ReplyReader::new(settings.format, lang),
            pending: String::new(),
            pending_reason: String::new(),
            frame: None,
            last_save: now,
            started: now,
            first_text: None,
            first_reason: None,
            answering: false,
        };
        self.active.set_value(Some(active));
        self.save();
        match handle {
            Ok(handle) => {
                self.active.update_value(|a| {
                    if let Some(a) = a {
                        a.handle = Some(handle);
                    }
                });
            }
            Err(event) => self.on_event(event),
        }
    }

    /// A row whose signals live as long as the chat view.
    fn new_row(
        &self,
        id: u64,
        role: Role,
        content: String,
        state: MessageState,
        error: Option<String>,
        extras: ReplyExtras,
    ) -> Row {
        let make = || {
            Row::new(
                id,
                role,
                content.clone(),
                state,
                error.clone(),
                extras.clone(),
            )
        };
        self.owner
            .try_with_value(|owner| owner.with(make))
            .unwrap_or_else(make)
    }

    fn row(&self, id: u64) -> Option<Row> {
        self.rows
            .with_untracked(|rows| rows.iter().find(|r| r.id == id).copied())
    }

    /// One transport event for the active reply.
    fn on_event(&self, event: StreamEvent) {
        let refused = matches!(&event, StreamEvent::Error(e) if e.kind == ErrorKind::Refused);
        let Some(actions) = self
            .active
            .try_update_value(|a| a.as_mut().map(|a| a.reader.on_event(&event)))
            .flatten()
        else {
            return;
        };
        self.watch.on_event(&event);
        for action in actions {
            match action {
                ReplyAction::Append(text) => self.append(&text),
                ReplyAction::Reason(text) => self.reason(&text),
                ReplyAction::Tool(delta) => self.with_extras(|x| x.add_tool(&delta)),
                ReplyAction::Usage(usage) => self.with_extras(|x| x.add_usage(usage)),
                ReplyAction::Warn(message) => {
                    let id = self.active.with_value(|a| a.as_ref().map(|a| a.msg_id));
                    if let Some(row) = id.and_then(|id| self.row(id)) {
                        row.warning.set(Some(message));
                    }
                }
                ReplyAction::RetryAfter(ms) => {
                    let id = self.active.with_value(|a| a.as_ref().map(|a| a.msg_id));
                    if let Some(id) = id {
                        self.watch.retry_after(id, ms);
                    }
                }
                ReplyAction::Finish(state, error) => {
                    let probe = (refused && state == MessageState::Error)
                        .then(|| {
                            self.active.with_value(|a| {
                                a.as_ref().map(|a| (a.format, a.url.clone(), a.msg_id))
                            })
                        })
                        .flatten();
                    self.finish(state, error);
                    if let Some((ChatFormat::Summary, url, id)) = probe {
                        self.explain_refusal(url, id);
                    }
                }
            }
        }
    }

    /// Changes the streaming reply's extras, in the saved conversation and on screen.
    fn with_extras(&self, change: impl Fn(&mut ReplyExtras)) {
        let Some((conv_id, msg_id)) = self
            .active
            .with_value(|a| a.as_ref().map(|a| (a.conv_id.clone(), a.msg_id)))
        else {
            return;
        };
        self.library.update_value(|lib| {
            if let Some(x) = lib.get_mut(&conv_id).and_then(|c| c.extras_mut(msg_id)) {
                change(x);
            }
        });
        if let Some(row) = self.row(msg_id) {
            row.extras.update(|x| change(x));
        }
    }

    /// The time to the first token, once: the first text of either kind.
    fn first_text(&self, now: f64) {
        let first = self.active.try_update_value(|a| {
            a.as_mut().and_then(|a| {
                if a.first_text.is_some() {
                    return None;
                }
                a.first_text = Some(now);
                Some(now - a.started)
            })
        });
        if let Some(ms) = first.flatten() {
            self.with_extras(|x| {
                if x.first_token_ms.is_none() {
                    x.first_token_ms = Some(ms);
                }
            });
        }
    }

    /// Reasoning text: kept in the saved reply at once, shown once per frame.
    fn reason(&self, text: &str) {
        let ctx = *self;
        let now = browser::now_ms();
        self.first_text(now);
        let Some((conv_id, msg_id)) = self
            .active
            .try_update_value(|a| {
                a.as_mut().map(|a| {
                    a.first_reason.get_or_insert(now);
                    a.pending_reason.push_str(text);
                    if a.frame.is_none() {
                        a.frame = AnimationFrame::request(move || ctx.flush());
                    }
                    (a.conv_id.clone(), a.msg_id)
                })
            })
            .flatten()
        else {
            return;
        };
        self.library.update_value(|lib| {
            if let Some(x) = lib.get_mut(&conv_id).and_then(|c| c.extras_mut(msg_id)) {
                x.add_reasoning(text);
            }
        });
    }

    fn append(&self, text: &str) {
        let ctx = *self;
        let now = browser::now_ms();
        let mut save = false;
        self.first_text(now);
        // The answer's first text: the model thought from its first reasoning until now
        // (once per reply; a continued reply keeps the time of its first thought).
        let thought = self
            .active
            .try_update_value(|a| {
                a.as_mut().and_then(|a| {
                    if a.answering {
                        return None;
                    }
                    a.answering = true;
                    a.first_reason.map(|from| now - from)
                })
            })
            .flatten();
        if let Some(ms) = thought {
            self.with_extras(|x| {
                if x.thought_ms.is_none() {
                    x.thought_ms = Some(ms);
                }
            });
        }
        self.active.update_value(|a| {
            let Some(a) = a else { return };
            a.pending.push_str(text);
            // The saved conversation gets the text at once: a page closed mid-reply keeps it.
            let (conv_id, msg_id) = (a.conv_id.clone(), a.msg_id);
            ctx.library.update_value(|lib| {
                if let Some(c) = lib.get_mut(&conv_id) {
                    c.append(msg_id, text);
                }
            });
            if now - a.last_save > SAVE_EVERY_MS {
                a.last_save = now;
                save = true;
            }
            if a.frame.is_none() {
                a.frame = AnimationFrame::request(move || ctx.flush());
            }
        });
        if save {
            self.save();
        }
    }

    /// Moves pending text into the visible message (once per animation frame).
    fn flush(&self) {
        let taken = self
            .active
            .try_update_value(|a| {
                a.as_mut().map(|a| {
                    a.frame = None;
                    (
                        a.msg_id,
                        std::mem::take(&mut a.pending),
                        std::mem::take(&mut a.pending_reason),
                    )
                })
            })
            .flatten();
        if let Some((id, text, reason)) = taken {
            if let Some(row) = self.row(id) {
                if !reason.is_empty() {
                    row.extras.update(|x| x.add_reasoning(&reason));
                }
                if !text.is_empty() {
                    row.content.update(|c| c.push_str(&text));
                }
            }
        }
    }

    fn finish(&self, state: MessageState, error: Option<String>) {
        self.flush();
        let Some(active) = self.active.try_update_value(|a| a.take()).flatten() else {
            return;
        };
        self.watch.end();
        if let Some(handle) = &active.handle {
            // Closed now, so an EventSource cannot reconnect and ask for the reply again;
            // released after this callback returns.
            handle.close();
        }
        let now = browser::now_ms();
        let gen_ms = active.first_text.map(|first| now - first);
        self.library.update_value(|lib| {
            if let Some(c) = lib.get_mut(&active.conv_id) {
                if let Some(x) = c.extras_mut(active.msg_id) {
                    x.gen_ms = gen_ms.or(x.gen_ms);
                }
                c.finish(active.msg_id, state, error.clone(), now);
            }
        });
        let mut finished_text = None;
        if let Some(row) = self.row(active.msg_id) {
            if let Some(ms) = gen_ms {
                row.extras.update(|x| x.gen_ms = Some(ms));
            }
            row.state.set(state);
            row.error.set(error);
            finished_text = Some(row.content.get_untracked());
        }
        self.streaming.set(None);
        // The screen-reader announcement, the save (the whole library as JSON) and the
        // handle's release run in a later task, so the frame that shows the end of a long
        // reply is not held up by them. A page closed in between still saves (pagehide).
        let ctx = *self;
        wasm_bindgen_futures::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(0).await;
            drop(active);
            if let Some(text) = finished_text {
                let _ = ctx.finished.try_set(Some((state, text.clone())));
                let _ = ctx.announce.try_set(text);
            }
            ctx.save();
        });
    }

    /// Stops the streaming reply; its partial text is kept.
    pub fn stop(&self) {
        if self.streaming.get_untracked().is_some() {
            self.finish(MessageState::Stopped, None);
        }
    }

    /// EventSource hides why it refused a stream: ask once more with fetch to show the
    /// status and the server's message (only after a refusal, so nothing is generated twice).
    fn explain_refusal(&self, url: String, msg_id: u64) {
        let ctx = *self;
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(response) = browser::fetch(&url, browser::FetchInit::default()).await else {
                return;
            };
            let status = response.status();
            // At most a few KB of the body: an error page can be anything.
            let message = crate::transport::fetch::read_error_message(&response).await;
            let text = if message.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {message}")
            };
            if let Some(row) = ctx.row(msg_id) {
                let _ = row.error.try_set(Some(text.clone()));
            }
            let conv = ctx.current.get_untracked();
            ctx.library.update_value(|lib| {
                if let Some(m) = conv
                    .and_then(|id| lib.get_mut(&id))
                    .and_then(|c| c.messages.iter_mut().find(|m| m.id == msg_id))
                {
                    m.error = Some(text);
                }
            });
            ctx.save();
        });
    }

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

    /// Loads the endpoint's model list (OpenAI `/v1/models`, Ollama `/api/tags`).
    pub fn load_models(&self) {
        let settings = self.settings.get_untracked();
        let Some(url) = settings.format.models_url(&settings.endpoint) else {
            self.models.set(Vec::new());
            return;
        };
        let ctx = *self;
        let auth = request_headers(settings.format, self.key_for(&url).as_deref());
        wasm_bindgen_futures::spawn_local(async move {
            let init = browser::FetchInit {
                headers: auth.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(),
                ..browser::FetchInit::default()
            };
            let names = match browser::fetch(&url, init).await {
                Ok(r) if r.ok() => {
                    crate::chat::format::parse_models(&browser::response_text(&r).await)
                }
                _ => Vec::new(),
            };
            let _ = ctx.models.try_set(names);
        });
    }
}

/// The saved keys; a key saved by an earlier rill without an origin is moved into the keyring
/// under the origin of the user's own endpoint (where it was being sent), once.
fn load_keys(own_endpoint: &str) -> KeyRing {
    let mut ring = browser::storage_get(KEYRING_KEY)
        .map(|j| KeyRing::from_json(&j))
        .unwrap_or_default();
    if let Some(legacy) = browser::storage_get(LEGACY_KEY) {
        let legacy = legacy.trim();
        if let Some(origin) = origin_of(own_endpoint) {
            if !legacy.is_empty() && ring.get(&origin).is_none() {
                ring.set(&origin, legacy);
                browser::storage_set(KEYRING_KEY, &ring.to_json());
            }
        }
        browser::storage_remove(LEGACY_KEY);
    }
    ring
}

/// The host of an endpoint URL for people, or the text itself when it has no origin.
fn host_for_people(endpoint: &str) -> String {
    match origin_of(endpoint) {
        Some(origin) => keys::host_of(&origin).to_string(),
        None => endpoint.chars().take(80).collect(),
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
