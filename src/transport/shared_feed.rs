//! One connection for a feed open in several tabs of one origin (browser glue).
//!
//! Each tab asks the Web Locks API for the lock named after the feed (transport and URL).
//! The tab that holds it is the leader: it opens the real [`StreamHandle`] and sends each
//! of its events to the other tabs over a `BroadcastChannel` ([`shared_wire`]). The others
//! wait for the lock and show what the leader sends; a tab that joins says hello and the
//! leader sends it the state so far ([`Replay`]); a leader that has heard no other tab sends
//! nothing (one tab is the common case and must not pay per event for sharing). When the leader's tab closes (or leaves
//! the feed) the lock passes to a waiting tab, which opens its own connection. So eight
//! tabs of the clock hold one HTTP/1.1 connection, not eight of the six a browser allows.
//!
//! A leader whose stream ends for good (204, a refusal) lets the lock go; a waiting tab
//! that has already shown that end does not reconnect when the lock reaches it (it lets it
//! go too), so an end is not turned into one new attempt per tab.
//!
//! Without Web Locks or BroadcastChannel (an insecure context, an old browser) each tab
//! opens its own connection, as before.
//!
//! Everything is owned: dropping the [`SharedFeed`] closes the stream, releases or
//! abandons (abort signal) the lock request and closes the channel. The lock request's
//! closure lives in a future that ends when the request settles, which an abort makes it
//! do at once.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, BroadcastChannel, MessageEvent};

use super::shared_wire::{decode, encode, Message, Replay};
use super::{Reconnect, StreamEvent, StreamHandle, Transport};

type Sink = Rc<RefCell<Box<dyn FnMut(StreamEvent)>>>;

/// A feed shared by the tabs of this origin, or this tab's own when they cannot share.
pub enum SharedFeed {
    Shared(Shared),
    Solo(StreamHandle),
}

impl SharedFeed {
    /// Opens the feed `url` (see [`StreamHandle::open_feed`]); its events go to `sink`,
    /// from this tab's connection or from the leader tab's.
    pub fn open(
        transport: Transport,
        url: &str,
        event_types: &[&str],
        sink: impl FnMut(StreamEvent) + 'static,
    ) -> Result<SharedFeed, StreamEvent> {
        match Shared::open(transport, url, event_types, Box::new(sink)) {
            Ok(shared) => Ok(SharedFeed::Shared(shared)),
            Err(sink) => {
                StreamHandle::open_feed(transport, url, event_types, sink).map(SharedFeed::Solo)
            }
        }
    }

    /// Whether this tab holds the connection (always, when not shared).
    pub fn is_leader(&self) -> bool {
        match self {
            SharedFeed::Shared(shared) => shared.state.borrow().handle.is_some(),
            SharedFeed::Solo(_) => true,
        }
    }
}

/// The part of a shared feed the callbacks reach.
struct State {
    transport: Transport,
    url: String,
    event_types: Vec<String>,
    /// This tab's name on the channel (for the leader's answer to its hello).
    name: String,
    channel: BroadcastChannel,
    /// Set while this tab is the leader.
    handle: Option<StreamHandle>,
    /// Resolving it releases the lock.
    release: Option<Function>,
    replay: Replay,
    /// This tab has shown the feed's end (from the leader or its own stream).
    ended: bool,
    /// The feed was dropped: a lock granted now is let go at once.
    dropped: bool,
    /// Another tab has been heard on the channel. Until then a leader posts nothing: a feed
    /// open in one tab (the common case, all day) must not copy and send every event to a
    /// channel nobody listens on. A tab that joins says hello first, so it is never missed.
    peers: bool,
}

pub struct Shared {
    state: Rc<RefCell<State>>,
    abort: AbortController,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

fn is_final(event: &StreamEvent) -> bool {
    matches!(event, StreamEvent::Closed(_))
        || matches!(event, StreamEvent::Error(e) if e.reconnect == Reconnect::Never)
}

fn post(channel: &BroadcastChannel, message: &Message) {
    let _ = channel.post_message(&JsValue::from_str(&encode(message)));
}

impl Shared {
    /// The shared feed, or the sink back when this browser cannot share.
    fn open(
        transport: Transport,
        url: &str,
        event_types: &[&str],
        sink: Box<dyn FnMut(StreamEvent)>,
    ) -> Result<Shared, Box<dyn FnMut(StreamEvent)>> {
        let Some(locks) = web_sys::window()
            .and_then(|w| Reflect::get(&w.navigator(), &"locks".into()).ok())
            .filter(|l| l.is_object())
        else {
            return Err(sink);
        };
        let Ok(request) = Reflect::get(&locks, &"request".into()) else {
            return Err(sink);
        };
        let Some(request) = request.dyn_ref::<Function>().cloned() else {
            return Err(sink);
        };
        let key = format!("rill-feed {} {url}", transport.as_str());
        let (Ok(channel), Ok(abort)) = (BroadcastChannel::new(&key), AbortController::new()) else {
            return Err(sink);
        };
        let sink: Sink = Rc::new(RefCell::new(sink));
        let name = format!("{:x}", (js_sys::Math::random() * 1e15) as u64);
        let state = Rc::new(RefCell::new(State {
            transport,
            url: url.to_string(),
            event_types: event_types.iter().map(|t| t.to_string()).collect(),
            name: name.clone(),
            channel: channel.clone(),
            handle: None,
            release: None,
            replay: Replay::default(),
            ended: false,
            dropped: false,
            peers: false,
        }));

        let on_message = {
            let state = Rc::clone(&state);
            let sink = Rc::clone(&sink);
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let Some(message) = e.data().as_string().and_then(|t| decode(&t)) else {
                    return;
                };
                state.borrow_mut().peers = true;
                let event = {
                    let s = state.borrow();
                    match message {
                        Message::Hello(from) => {
                            if s.handle.is_some() {
                                for event in s.replay.events() {
                                    post(&s.channel, &Message::To(from.clone(), event));
                                }
                            }
                            return;
                        }
                        // Only a waiting tab shows the leader's events.
                        Message::Event(event) if s.handle.is_none() => event,
                        Message::To(to, event) if s.handle.is_none() && to == s.name => event,
                        _ => return,
                    }
                };
                if is_final(&event) {
                    state.borrow_mut().ended = true;
                }
                (sink.borrow_mut())(event);
            })
        };
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        let granted = {
            let state = Rc::clone(&state);
            let sink = Rc::clone(&sink);
            Closure::<dyn FnMut(JsValue) -> Promise>::new(move |_lock: JsValue| {
                if state.borrow().dropped || state.borrow().ended {
                    return Promise::resolve(&JsValue::UNDEFINED);
                }
                let held = Promise::new(&mut |resolve, _reject| {
                    state.borrow_mut().release = Some(resolve);
                });
                lead(&state, &sink);
                held
            })
        };
        let options = Object::new();
        let _ = Reflect::set(&options, &"signal".into(), &abort.signal());
        let asked = request.call3(&locks, &JsValue::from_str(&key), &options, granted.as_ref());
        match asked.ok().and_then(|p| p.dyn_into::<Promise>().ok()) {
            Some(promise) => {
                // The closure lives until the request settles: after this tab let the lock
                // go, or at once when its drop aborts a request still waiting.
                wasm_bindgen_futures::spawn_local(async move {
                    let _granted = granted;
                    let _ = JsFuture::from(promise).await;
                });
            }
            // Locks said no at once (it should not): lead without the lock rather than show
            // nothing.
            None => lead(&state, &sink),
        }
        post(&channel, &Message::Hello(name));
        Ok(Shared {
            state,
            abort,
            _on_message: on_message,
        })
    }
}

/// This tab got the lock: it opens the stream and tells the others what it reports.
fn lead(state: &Rc<RefCell<State>>, sink: &Sink) {
    let (transport, url, types) = {
        let s = state.borrow();
        (s.transport, s.url.clone(), s.event_types.clone())
    };
    let types: Vec<&str> = types.iter().map(String::as_str).collect();
    let on_event = {
        let state = Rc::clone(state);
        let sink = Rc::clone(sink);
        move |event: StreamEvent| {
            if state.borrow().dropped {
                return;
            }
            {
                let mut s = state.borrow_mut();
                s.replay.note(&event);
                if s.peers {
                    post(&s.channel, &Message::Event(event.clone()));
                }
            }
            let last = is_final(&event);
            (sink.borrow_mut())(event);
            if last {
                // Let the lock go after this callback; a waiting tab that saw the end
                // lets it go too.
                let mut s = state.borrow_mut();
                s.ended = true;
                if let Some(release) = s.release.take() {
                    let _ = release.call0(&JsValue::UNDEFINED);
                }
            }
        }
    };
    match StreamHandle::open_feed(transport, &url, &types, on_event) {
        Ok(handle) => state.borrow_mut().handle = Some(handle),
        Err(event) => {
            {
                let s = state.borrow();
                if s.peers {
                    post(&s.channel, &Message::Event(event.clone()));
                }
            }
            (sink.borrow_mut())(event);
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let (handle, release) = {
            let mut s = self.state.borrow_mut();
            s.dropped = true;
            s.channel.set_onmessage(None);
            s.channel.close();
            (s.handle.take(), s.release.take())
        };
        drop(handle);
        if let Some(release) = release {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        self.abort.abort();
    }
}
