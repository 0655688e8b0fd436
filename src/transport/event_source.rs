//! The browser's `EventSource` as an owned stream handle.
//!
//! [`EventSourceHandle`] owns the `EventSource` and every listener closure. Dropping it
//! closes the connection and removes the listeners, so no callback can run afterwards and
//! nothing is leaked (no `Closure::forget`).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, EventSourceInit, MessageEvent};

use super::{ErrorKind, Event, Reconnect, StreamEvent};

/// Options for [`EventSourceHandle::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSourceOptions {
    /// Send cookies cross-origin (`withCredentials`).
    pub with_credentials: bool,
    /// Event types to listen for. `EventSource` only reports the types it is asked for;
    /// `message` is the type of events without an `event:` field.
    pub event_types: Vec<String>,
}

impl Default for EventSourceOptions {
    fn default() -> Self {
        EventSourceOptions {
            with_credentials: false,
            event_types: vec!["message".to_string()],
        }
    }
}

type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// An open `EventSource`; closed, with its listeners removed, on drop.
pub struct EventSourceHandle {
    source: EventSource,
    listeners: Vec<(String, Listener)>,
}

impl EventSourceHandle {
    /// Opens `url` and reports to `sink` until dropped.
    ///
    /// Returns the error event instead of a handle if the browser rejects the URL outright.
    pub fn open(
        url: &str,
        options: &EventSourceOptions,
        sink: impl FnMut(StreamEvent) + 'static,
    ) -> Result<EventSourceHandle, StreamEvent> {
        let init = EventSourceInit::new();
        init.set_with_credentials(options.with_credentials);
        let source = EventSource::new_with_event_source_init_dict(url, &init).map_err(|err| {
            StreamEvent::error(
                ErrorKind::BadUrl(crate::browser::error_text(&err)),
                Reconnect::Never,
            )
        })?;
        let sink: Rc<RefCell<dyn FnMut(StreamEvent)>> = Rc::new(RefCell::new(sink));
        let mut handle = EventSourceHandle {
            source,
            listeners: Vec::new(),
        };

        let open_sink = sink.clone();
        handle.listen("open", move |_| emit(&open_sink, StreamEvent::Open));

        let error_sink = sink.clone();
        let source = handle.source.clone();
        handle.listen("error", move |_| {
            // readyState after an error tells what the browser will do: CONNECTING means it
            // reconnects by itself, CLOSED means it gave up for good.
            let event = if source.ready_state() == EventSource::CLOSED {
                StreamEvent::error(ErrorKind::Refused, Reconnect::Never)
            } else {
                StreamEvent::error(ErrorKind::Network, Reconnect::ByBrowser)
            };
            emit(&error_sink, event);
        });

        for event_type in &options.event_types {
            let message_sink = sink.clone();
            let fallback_type = event_type.clone();
            handle.listen(event_type, move |event| {
                let Some(message) = event.dyn_ref::<MessageEvent>() else {
                    return;
                };
                let data = message.data().as_string().unwrap_or_default();
                let event = Event {
                    event: if event.type_().is_empty() {
                        fallback_type.clone()
                    } else {
                        event.type_()
                    },
                    data,
                    id: message.last_event_id(),
                };
                emit(&message_sink, StreamEvent::Event(event));
            });
        }
        Ok(handle)
    }

    /// The URL the browser resolved and connected to.
    pub fn url(&self) -> String {
        self.source.url()
    }

    /// Closes the connection now (no reconnect); listeners stay until drop, but an
    /// `EventSource` that is closed fires nothing more.
    pub fn close(&self) {
        self.source.close();
    }

    /// The underlying `EventSource`, for tests that check it is closed after drop.
    pub fn raw(&self) -> &EventSource {
        &self.source
    }

    fn listen(&mut self, event_type: &str, f: impl FnMut(web_sys::Event) + 'static) {
        let closure: Listener = Closure::new(f);
        // Adding a listener to a live EventSource cannot fail; if it ever did, the event
        // would simply not be reported, which the UI shows as silence rather than a crash.
        let _ = self
            .source
            .add_event_listener_with_callback(event_type, closure.as_ref().unchecked_ref());
        self.listeners.push((event_type.to_string(), closure));
    }
}

/// Calls the sink unless it is already running (a re-entrant browser event is dropped
/// rather than panicking on a double borrow).
fn emit(sink: &Rc<RefCell<dyn FnMut(StreamEvent)>>, event: StreamEvent) {
    if let Ok(mut f) = sink.try_borrow_mut() {
        f(event);
    }
}

impl Drop for EventSourceHandle {
    fn drop(&mut self) {
        self.source.close();
        for (event_type, closure) in &self.listeners {
            let _ = self
                .source
                .remove_event_listener_with_callback(event_type, closure.as_ref().unchecked_ref());
        }
    }
}
