//! Streaming one reply: the request (`chat::format::ChatRequest::build`) sent on its
//! transport, each event read by [`ReplyReader`] into the saved conversation at once and onto
//! the screen once per animation frame, and the reply's end (state, timing, save).
//!
//! Data flows one way: transport → [`ReplyReader`] → conversation (pure) and row signals →
//! view.
//!
//! A reply whose server keeps it (an offer, `StreamEvent::Offer`, on the endpoint's own
//! origin) gets a resume point in the saved message (`chat::resume`), with the number of
//! the last event whose text is in it: after a reload, in a second tab, or when the
//! connection breaks, the same message is reattached (`GET` the offered URL with
//! `Last-Event-ID`, reconnecting on the 1 s floor at most [`RESUME_FAILURES`] times in a
//! row) and streams on until done. Stop then also asks the server to stop (the offered stop
//! URL). Switching to another conversation leaves such a reply streaming on the server.
//!
//! The offered URL may be an engine's (rill-server behind Nchan, `chat::resume`): a reattach
//! then skips the events the message has, ends at the channel's `rill-reply-end` event (the
//! engine keeps the connection open after the reply's last event) and takes a 403 (the
//! engine's channel is gone) as the end, as it takes rill-server's 404.
//! A reattach that gave up (the network gone for [`RESUME_FAILURES`] attempts) leaves the
//! reply interrupted with its resume point, and the page's wake moments
//! (`browser::PageWake` → [`ChatCtx::wake`]) reattach it. The summary format's offer comes
//! as its first event (`chat::resume::OFFER_EVENT`); a resume with nothing more to send
//! says how the reply ended (`StreamEvent::ReplyEnd`).

use std::rc::Rc;

use leptos::prelude::*;

use super::ChatCtx;
use crate::browser::url::{origin_of, resolve};
use crate::browser::{self, AnimationFrame};
use crate::chat::conversation::{MessageState, Role};
use crate::chat::extras::ReplyExtras;
use crate::chat::format::{Carrier, ChatFormat, ChatRequest, WireMessage};
use crate::chat::reply::{ReplyAction, ReplyReader};
use crate::chat::resume::{ResumePoint, OFFER_EVENT};
use crate::i18n::strings;
use crate::inspect::recording::Recording;
use crate::transport::fetch::FetchRequest;
use crate::transport::replay::ReplayStream;
use crate::transport::response::BodyFormat;
use crate::transport::{
    CloseReason, ErrorKind, Reconnect, StreamError, StreamEvent, StreamHandle, Transport,
};

/// How often a streaming reply is saved, at most.
const SAVE_EVERY_MS: f64 = 1_000.0;

/// The event with which rill-server ends a reply in an engine's channel (Nchan's raw streams
/// do not end by themselves).
const REPLY_END_EVENT: &str = "rill-reply-end";

/// Failed attempts in a row after which a reattached reply gives up (interrupted).
pub(super) const RESUME_FAILURES: u32 = 8;

/// The reply being streamed.
pub(super) struct Active {
    pub(super) conv_id: String,
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
    /// The origin the reply was asked from: an offer elsewhere is not taken.
    request_origin: Option<String>,
    /// Read through the resume URL (reconnects are the transport's; an NDJSON reply comes
    /// as SSE events whose data is the line).
    reattached: bool,
    /// When the resume URL was last opened or its last attempt failed (ms; an attempt
    /// starts before it fails): a wake reopens it no sooner than the floor after that.
    attempt_ms: f64,
    /// The reattached stream is waiting out a backoff before its next attempt.
    backing_off: bool,
}

impl Active {
    fn new(
        conv_id: &str,
        msg_id: u64,
        format: ChatFormat,
        url: String,
        lang: crate::i18n::Lang,
        now: f64,
    ) -> Active {
        Active {
            conv_id: conv_id.to_string(),
            msg_id,
            format,
            url,
            handle: None,
            reader: ReplyReader::new(format, lang),
            pending: String::new(),
            pending_reason: String::new(),
            frame: None,
            last_save: now,
            started: now,
            first_text: None,
            first_reason: None,
            answering: false,
            request_origin: None,
            reattached: false,
            attempt_ms: now,
            backing_off: false,
        }
    }
}

impl ChatCtx {
    /// Starts streaming a reply to the history up to `upto`. With `append_to`, the text
    /// goes on the end of that (partial, or new and empty) reply instead of a new one.
    pub(super) fn start_reply(&self, conv_id: &str, upto: u64, append_to: Option<u64>) {
        let settings = self.settings.get_untracked();
        let lang = self.lang.get_untracked();
        let now = browser::now_ms();
        let Some(mut history) = self.library.with_value(|lib| {
            lib.get(conv_id)
                .map(|c| c.history(upto, &settings.system, self.context_bytes))
        }) else {
            return;
        };
        let msg_id = match append_to {
            Some(id) => {
                let mut partial = false;
                self.library.update_value(|lib| {
                    if let Some(m) = lib
                        .get_mut(conv_id)
                        .and_then(|c| c.messages.iter_mut().find(|m| m.id == id))
                    {
                        m.state = MessageState::Streaming;
                        m.error = None;
                        // Continued by a new request: an old offer is not this reply's.
                        m.extras.resume = None;
                        partial = !m.content.is_empty();
                    }
                });
                if let Some(row) = self.row(id) {
                    row.state.set(MessageState::Streaming);
                    row.error.set(None);
                }
                // A reply with text is asked to go on; an empty one (a new version) is
                // simply answered.
                if partial {
                    history.push(WireMessage {
                        role: Role::User,
                        content: strings(lang).chat_continue_prompt.to_string(),
                    });
                }
                id
            }
            None => {
                let Some(id) = self.new_reply_row(conv_id, now) else {
                    return;
                };
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
        let request_origin = origin_of(&chat.url);
        let (url, handle) = match chat.carrier {
            Carrier::EventSource => {
                // rill-server offers to keep a summary reply in an event of its own (an
                // EventSource cannot read the headers).
                let handle = StreamHandle::open_feed(
                    Transport::EventSource,
                    &chat.url,
                    &["message", OFFER_EVENT],
                    sink,
                );
                (chat.url, handle)
            }
            carrier => {
                let body_format = if carrier == Carrier::FetchNdjson {
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
        let mut active = Active::new(conv_id, msg_id, settings.format, url, lang, now);
        active.request_origin = request_origin;
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

    /// Reattaches to reply `msg_id` of conversation `conv_id`, streaming (saved so, with a
    /// resume point) when this tab opened it: after a reload, in a second tab, or coming back
    /// to its conversation; or interrupted with its resume point kept, when an earlier
    /// reattach gave up (then it streams again). Its text so far is in the message; the
    /// rest follows.
    pub(super) fn reattach(&self, conv_id: &str, msg_id: u64, point: ResumePoint) {
        if self.streaming.get_untracked().is_some() {
            return;
        }
        let streaming = self
            .library
            .try_update_value(|lib| lib.get_mut(conv_id).map(|c| c.reattach(msg_id)))
            .flatten()
            .unwrap_or(false);
        if !streaming {
            return;
        }
        if let Some(row) = self.row(msg_id) {
            row.state.set(MessageState::Streaming);
            row.error.set(None);
        }
        let lang = self.lang.get_untracked();
        let now = browser::now_ms();
        self.streaming.set(Some(msg_id));
        self.watch.start();
        let answering = self
            .library
            .with_value(|lib| {
                lib.get(conv_id)
                    .and_then(|c| c.get(msg_id))
                    .map(|m| !m.content.is_empty())
            })
            .unwrap_or(false);
        // The text so far came before: a stream that now ends at once is cut, not empty.
        let reader = ReplyReader::reattached(point.format, lang, answering);
        let active = Active {
            conv_id: conv_id.to_string(),
            msg_id,
            format: point.format,
            url: point.url.clone(),
            handle: None,
            reader,
            pending: String::new(),
            pending_reason: String::new(),
            frame: None,
            last_save: now,
            started: now,
            first_text: None,
            first_reason: None,
            answering,
            request_origin: origin_of(&point.url),
            reattached: true,
            attempt_ms: now,
            backing_off: false,
        };
        self.active.set_value(Some(active));
        self.open_resume(&point);
    }

    /// Opens (or, from inside the old handle's callback, replaces) the active reply's stream
    /// with a GET of its resume URL from after its last event.
    fn open_resume(&self, point: &ResumePoint) {
        let ctx = *self;
        let request = FetchRequest::resume(&point.url, point.last_event_id, RESUME_FAILURES);
        let handle = StreamHandle::open_fetch(request, move |event| ctx.on_event(event));
        let now = browser::now_ms();
        let old = self.active.try_update_value(|a| {
            a.as_mut().and_then(|a| {
                a.reattached = true;
                a.attempt_ms = now;
                a.backing_off = false;
                a.handle.replace(handle)
            })
        });
        if let Some(old) = old.flatten() {
            // Maybe inside its own callback: closed now, released after it returns.
            old.close();
            wasm_bindgen_futures::spawn_local(async move { drop(old) });
        }
    }

    /// The page woke (back online, shown again, restored from the back/forward cache, or
    /// resumed after being frozen): a reply of the shown conversation whose reattaching gave
    /// up (or that waits to be reattached) is reattached now, and a reattached reply waiting
    /// out its backoff tries again now (at most once a second).
    pub fn wake(&self) {
        if self.streaming.get_untracked().is_some() {
            let now = browser::now_ms();
            let retry = self
                .active
                .with_value(|a| {
                    a.as_ref().map(|a| {
                        a.reattached
                            && a.backing_off
                            && now - a.attempt_ms >= crate::transport::policy::FLOOR_MS as f64
                    })
                })
                .unwrap_or(false);
            if let Some(point) = self.resume_point().filter(|_| retry) {
                self.open_resume(&point);
            }
            return;
        }
        let Some(conv_id) = self.current.get_untracked() else {
            return;
        };
        let resumable = self
            .library
            .with_value(|lib| lib.get(&conv_id).and_then(|c| c.resumable()));
        if let Some((msg_id, point)) = resumable {
            self.reattach(&conv_id, msg_id, point);
        }
    }

    /// The reattached reply's connection kept failing ([`RESUME_FAILURES`] in a row): it
    /// ends interrupted (Continue offered) but keeps its resume point, for
    /// [`ChatCtx::wake`] or showing its conversation again to reattach it.
    fn give_up_reply(&self) {
        let ids = self
            .active
            .with_value(|a| a.as_ref().map(|a| (a.conv_id.clone(), a.msg_id)));
        let point = self.resume_point();
        self.finish(MessageState::Interrupted, None);
        if let (Some((conv_id, msg_id)), Some(point)) = (ids, point) {
            let now = browser::now_ms();
            self.library.update_value(|lib| {
                if let Some(c) = lib.get_mut(&conv_id) {
                    c.give_up(msg_id, point, now);
                }
            });
        }
    }

    /// The active reply's resume point, as saved.
    fn resume_point(&self) -> Option<ResumePoint> {
        let (conv_id, msg_id) = self
            .active
            .with_value(|a| a.as_ref().map(|a| (a.conv_id.clone(), a.msg_id)))?;
        self.library.with_value(|lib| {
            lib.get(&conv_id)
                .and_then(|c| c.get(msg_id))
                .and_then(|m| m.extras.resume.clone())
        })
    }

    /// What resuming makes of a transport event, before the reply reads it: an offer is
    /// noted (and read no further), event numbers are noted before their text is appended
    /// (a save in between then has both), and a reattached stream's reconnects and its end
    /// are told apart from a reply that ends. `None`: nothing more to do with the event.
    fn through_resume(&self, event: StreamEvent) -> Option<StreamEvent> {
        let (reattached, origin, format, saw_end, url) = self.active.with_value(|a| {
            a.as_ref().map(|a| {
                (
                    a.reattached,
                    a.request_origin.clone(),
                    a.format,
                    a.reader.saw_end(),
                    a.url.clone(),
                )
            })
        })?;
        match event {
            // The offer as an event (EventSource): its URLs are relative to the request.
            StreamEvent::Event(ev) if ev.event == OFFER_EVENT => {
                let offered = ResumePoint::offer_in_event(&ev.data)
                    .filter(|_| !reattached)
                    .and_then(|(resume, stop)| {
                        let resume = resolve(&resume, &url)?;
                        let stop = match stop {
                            Some(stop) => Some(resolve(&stop, &url)?),
                            None => None,
                        };
                        Some((resume, stop))
                    });
                if let Some((resume, stop)) = offered {
                    self.take_offer(format, origin.as_deref(), resume, stop);
                }
                None
            }
            StreamEvent::Open if reattached => {
                self.active.update_value(|a| {
                    if let Some(a) = a {
                        a.backing_off = false;
                    }
                });
                Some(StreamEvent::Open)
            }
            StreamEvent::Offer { resume, stop } => {
                if !reattached {
                    self.take_offer(format, origin.as_deref(), resume, stop);
                }
                None
            }
            // The engine's channel says the reply ended (rill-server's `rill-reply-end`):
            // its stream would not end by itself.
            StreamEvent::Event(ev) if reattached && ev.event == REPLY_END_EVENT => {
                Some(StreamEvent::Closed(CloseReason::EndOfStream))
            }
            StreamEvent::Event(ev) => {
                let point = self.resume_point();
                if reattached && point.as_ref().is_some_and(|p| !p.is_new(&ev.id)) {
                    // Already in the message: a reattach answered from the reply's start.
                    return None;
                }
                if point.is_some() {
                    self.with_saved_resume(|p| p.saw_event_id(&ev.id));
                }
                if reattached && format == ChatFormat::Ollama {
                    // A resumed NDJSON reply: each event's data is one line.
                    return crate::json::Json::parse(&ev.data)
                        .ok()
                        .map(|v| StreamEvent::Json(v.into_owned()));
                }
                Some(StreamEvent::Event(ev))
            }
            StreamEvent::Json(value) => {
                if !reattached && self.resume_point().is_some() {
                    self.with_saved_resume(ResumePoint::saw_line);
                }
                Some(StreamEvent::Json(value))
            }
            StreamEvent::Error(err)
                if reattached
                    && matches!(err.reconnect, Reconnect::After(_) | Reconnect::WhenOnline) =>
            {
                if matches!(err.reconnect, Reconnect::After(_)) {
                    let now = browser::now_ms();
                    self.active.update_value(|a| {
                        if let Some(a) = a {
                            a.backing_off = true;
                            a.attempt_ms = now;
                        }
                    });
                }
                // The transport reconnects; a reply already complete just ended.
                saw_end.then_some(StreamEvent::Closed(CloseReason::EndOfStream))
            }
            // The transport gave up on the network (RESUME_FAILURES in a row): kept for a
            // wake, unless the reply was complete already.
            StreamEvent::Error(StreamError {
                kind: ErrorKind::Network,
                reconnect: Reconnect::Never,
            }) if reattached && !saw_end => {
                self.give_up_reply();
                None
            }
            // Nothing more after our last event (204), or the server forgot the reply (404):
            // it ended without its end marker, unless that was read.
            StreamEvent::Closed(CloseReason::NoContent) if reattached => {
                Some(StreamEvent::Closed(CloseReason::EndOfStream))
            }
            StreamEvent::Error(err)
                if reattached
                    && matches!(
                        err.kind,
                        ErrorKind::Http {
                            status: 404 | 403,
                            ..
                        }
                    ) =>
            {
                Some(StreamEvent::Closed(CloseReason::EndOfStream))
            }
            // The first connection broke before the end: reattach instead of giving up.
            StreamEvent::Error(StreamError {
                kind: ErrorKind::Network,
                ..
            })
            | StreamEvent::Closed(CloseReason::EndOfStream)
                if !reattached && !saw_end =>
            {
                match self.resume_point() {
                    Some(point) => {
                        self.open_resume(&point);
                        None
                    }
                    None => Some(event),
                }
            }
            other => Some(other),
        }
    }

    /// Takes an offer (URLs absolute) when both are on the origin the reply was asked from.
    fn take_offer(
        &self,
        format: ChatFormat,
        origin: Option<&str>,
        resume: String,
        stop: Option<String>,
    ) {
        let resume_origin = origin_of(&resume);
        let stop_origin = stop.as_deref().and_then(origin_of);
        let point = ResumePoint::offered(
            format,
            origin,
            (resume, resume_origin.as_deref()),
            stop.map(|s| (s, stop_origin.as_deref())),
        );
        if let Some(point) = point {
            self.with_extras(|x| x.resume = Some(point.clone()));
        }
    }

    /// Changes the active reply's saved resume point (not shown: no row update).
    fn with_saved_resume(&self, change: impl FnOnce(&mut ResumePoint)) {
        let Some((conv_id, msg_id)) = self
            .active
            .with_value(|a| a.as_ref().map(|a| (a.conv_id.clone(), a.msg_id)))
        else {
            return;
        };
        self.library.update_value(|lib| {
            if let Some(p) = lib
                .get_mut(&conv_id)
                .and_then(|c| c.extras_mut(msg_id))
                .and_then(|x| x.resume.as_mut())
            {
                change(p);
            }
        });
    }

    /// Starts an empty, streaming reply at the end of conversation `conv_id` and its row;
    /// the reply's id, or `None` when the conversation is gone.
    fn new_reply_row(&self, conv_id: &str, now: f64) -> Option<u64> {
        let id = self
            .library
            .try_update_value(|lib| lib.get_mut(conv_id).map(|c| c.start_reply(now)))
            .flatten()?;
        let row = self.new_row(
            id,
            Role::Assistant,
            String::new(),
            MessageState::Streaming,
            None,
            ReplyExtras::default(),
        );
        self.rows.update(|rows| rows.push(row));
        Some(id)
    }

    /// Plays a recorded reply stream (`?replay=`) as the reply of a new conversation: its
    /// reads go through the fetch transport's decoder and this format's [`ReplyReader`], as
    /// a live reply's do. Nothing is sent.
    pub fn replay_reply(&self, recording: Rc<Recording>, fast: bool) {
        self.new_conversation();
        let Some(conv_id) = self.current.get_untracked() else {
            return;
        };
        let now = browser::now_ms();
        let Some(msg_id) = self.new_reply_row(&conv_id, now) else {
            return;
        };
        self.streaming.set(Some(msg_id));
        self.watch.start();
        let format = self.settings.with_untracked(|s| s.format);
        let url = recording.request.url.clone();
        let active = Active::new(
            &conv_id,
            msg_id,
            format,
            url,
            self.lang.get_untracked(),
            now,
        );
        self.active.set_value(Some(active));
        self.save();
        let ctx = *self;
        let handle = StreamHandle::Replay(ReplayStream::open(recording, fast, move |event| {
            ctx.on_event(event)
        }));
        self.active.update_value(|a| {
            if let Some(a) = a {
                a.handle = Some(handle);
            }
        });
    }

    /// One transport event for the active reply.
    fn on_event(&self, event: StreamEvent) {
        let Some(event) = self.through_resume(event) else {
            return;
        };
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

    /// Stops the streaming reply; its partial text is kept. A reply its server keeps is
    /// stopped there too (its stop URL, as offered).
    pub fn stop(&self) {
        if self.streaming.get_untracked().is_some() {
            if let Some(url) = self.resume_point().and_then(|p| p.stop_url) {
                wasm_bindgen_futures::spawn_local(async move {
                    let init = browser::FetchInit {
                        method: "POST",
                        ..browser::FetchInit::default()
                    };
                    // Best effort: a server that cannot be reached ends the reply itself
                    // once nobody reads it (rill-server: `--reply-linger-secs`).
                    let _ = browser::fetch(&url, init).await;
                });
            }
            self.finish(MessageState::Stopped, None);
        }
    }

    /// Leaves the streaming reply without stopping it, when its server keeps it (switching
    /// conversations): it stays streaming in the saved conversation, to be reattached when
    /// shown again. Any other reply is stopped. The rows are the caller's to replace.
    pub(super) fn leave_reply(&self) {
        if self.streaming.get_untracked().is_none() {
            return;
        }
        if self.resume_point().is_none() {
            self.stop();
            return;
        }
        self.flush();
        if let Some(active) = self.active.try_update_value(|a| a.take()).flatten() {
            if let Some(handle) = &active.handle {
                handle.close();
            }
            wasm_bindgen_futures::spawn_local(async move { drop(active) });
        }
        self.watch.end();
        self.streaming.set(None);
        self.save();
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
}
