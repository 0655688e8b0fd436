//! The chat view's state: the glue between the pure chat model, the stream transports and
//! the signals the views read. [`ChatCtx`] is one set of cheap handles shared by every chat
//! component; what it does is split by job, one file each:
//!
//! - `library`: the conversation list (show, create, rename, delete) and saving it, merged
//!   with other tabs;
//! - `turns`: what the user does to the open conversation (send, regenerate, edit,
//!   continue, switch versions);
//! - `reply_stream`: streaming one reply, from the request to its end state;
//! - `transfer`: export and import;
//! - `endpoint`: where requests go and with which key (settings, links, keys, models).
//!
//! Requests are built by the pure `chat::format::ChatRequest::build`.

mod endpoint;
mod library;
mod reply_stream;
mod transfer;
mod turns;

use leptos::prelude::*;

use super::reply_watch::ReplyWatch;
use crate::browser;
use crate::browser::markdown_module::{MarkdownModule, Route, Status, MODULE_URL};
use crate::browser::url::origin_of;
use crate::chat::conversation::{Message, MessageState, Role, DEFAULT_CONTEXT_BYTES};
use crate::chat::extras::ReplyExtras;
use crate::chat::keys::{self, KeyRing};
use crate::chat::settings::{ChatSettings, SETTINGS_KEY};
use crate::chat::store::{self, Library};
use crate::i18n::{strings, Lang};
use reply_stream::Active;

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
    /// Which version of its turn this is and how many there are (`(2, 3)`: the second of
    /// three; `(1, 1)`: it has no others). Fixed: switching makes new rows.
    pub versions: (usize, usize),
}

impl Row {
    fn new(
        id: u64,
        role: Role,
        content: String,
        state: MessageState,
        error: Option<String>,
        extras: ReplyExtras,
        versions: (usize, usize),
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
            versions,
        }
    }
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
    /// The last finished reply (or the version switched to), for the screen-reader
    /// announcer.
    pub announce: RwSignal<String>,
    /// After a version switch: the message now shown and whether "next" (else "previous")
    /// was pressed, so its switcher takes the focus the old one had.
    pub version_focus: RwSignal<Option<(u64, bool)>>,
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
    /// The context budget: at most this many bytes of message text go with a question
    /// (`Conversation::history`; the config's `context`).
    context_bytes: usize,
    /// The chat view's owner: rows' signals are created under it, not under whatever
    /// message's button was clicked (which may be removed, taking its signals with it).
    owner: StoredValue<Owner>,
}

impl ChatCtx {
    /// Loads settings and conversations and opens the newest conversation.
    pub fn new(config: &crate::config::Config, lang: Signal<Lang>) -> ChatCtx {
        let saved = browser::storage_get(SETTINGS_KEY).and_then(|j| ChatSettings::from_json(&j));
        let settings = ChatSettings::resolve(config, saved);
        let keys = endpoint::load_keys(settings.own_endpoint());
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
            version_focus: RwSignal::new(None),
            finished: RwSignal::new(None),
            models: RwSignal::new(Vec::new()),
            markdown_changed,
            markdown: StoredValue::new_local(MarkdownModule::new(MODULE_URL, move || {
                markdown_changed.try_update(|n| *n += 1);
            })),
            owner: StoredValue::new(Owner::current().unwrap_or_default()),
            watch: ReplyWatch::new(config.stall_secs),
            context_bytes: config.context_kb.map_or(DEFAULT_CONTEXT_BYTES, |kb| {
                (kb as usize).saturating_mul(1000)
            }),
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

    /// The code-and-math module's status (untracked: track [`ChatCtx::markdown_changed`]).
    pub fn rich_status(&self) -> Status {
        self.markdown
            .try_with_value(MarkdownModule::rich_status)
            .unwrap_or(Status::Failed)
    }

    /// Starts loading the code-and-math module (a reply has code or math).
    pub fn warm_rich(&self) {
        self.markdown.try_with_value(MarkdownModule::warm_rich);
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
        self.make_row(id, role, content, state, error, extras, (1, 1))
    }

    /// A row that shows message `m`, with its versions.
    fn row_of(&self, m: &Message) -> Row {
        self.make_row(
            m.id,
            m.role,
            m.content.clone(),
            m.state,
            m.error.clone(),
            m.extras.clone(),
            (m.versions.index + 1, m.versions.count()),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn make_row(
        &self,
        id: u64,
        role: Role,
        content: String,
        state: MessageState,
        error: Option<String>,
        extras: ReplyExtras,
        versions: (usize, usize),
    ) -> Row {
        let make = || {
            Row::new(
                id,
                role,
                content.clone(),
                state,
                error.clone(),
                extras.clone(),
                versions,
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
}
