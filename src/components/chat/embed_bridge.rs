//! Widget mode's bridge (`embed=1`): the chat inside `embed.js`'s iframe and the host page
//! that added it, talking by `postMessage` in a small versioned shape (`{rill: 1, type, …}`).
//!
//! - From the host: `send` (the text is sent as if typed), `prefill` (the composer gets the
//!   text), `focus` (the composer gets focus).
//! - To the host: `ready` (the chat is on screen), `reply` (a reply ended: `state`, `text`),
//!   `close` (Esc that nothing in the chat took: close the panel).
//!
//! Origins: the host page's origin is the `host` parameter `embed.js` puts in the iframe's
//! URL. Only an exact `http(s)` origin counts (as the browser's URL parser writes it), and
//! when the browser tells the frame's ancestors (`location.ancestorOrigins`), it must be the
//! parent's. Messages are accepted only from `window.parent` with that origin and posted
//! only with that exact `targetOrigin` (never `"*"`): a page of another origin neither
//! drives the chat nor reads its replies. Who may frame the app at all is the app's CSP
//! (`frame-ancestors`, rill-server's `--frame-ancestors`).

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::controller::ChatCtx;
use crate::browser::url::origin_of;
use crate::browser::Listener;

/// The longest text a host may send or prefill, in characters (the rest is cut).
pub const MAX_TEXT: usize = 100_000;

/// A message from the host page, read strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMessage {
    Send(String),
    Prefill(String),
    Focus,
}

impl HostMessage {
    /// Reads a message's fields: `rill` must be 1, `type` one of ours, `text` a string where
    /// the type has one. Anything else is not a message for us (`None`).
    pub fn from_parts(
        version: Option<f64>,
        kind: Option<&str>,
        text: Option<String>,
    ) -> Option<Self> {
        if version != Some(1.0) {
            return None;
        }
        let cut = |t: String| match t.char_indices().nth(MAX_TEXT) {
            Some((at, _)) => t[..at].to_string(),
            None => t,
        };
        match kind? {
            "send" => Some(HostMessage::Send(cut(text?))),
            "prefill" => Some(HostMessage::Prefill(cut(text?))),
            "focus" => Some(HostMessage::Focus),
            _ => None,
        }
    }
}

/// The `host` parameter of a query string, if it is there (the last one wins).
pub fn host_param(query: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .rfind(|(k, _)| *k == "host")
        .map(|(_, v)| crate::percent::percent_decode(v))
}

/// The parent window and its origin, when this page is framed by a host it may talk to.
#[derive(Clone)]
struct Host {
    parent: web_sys::Window,
    origin: String,
}

impl Host {
    fn find() -> Option<Host> {
        let window = web_sys::window()?;
        let parent = window.parent().ok().flatten()?;
        if parent == window {
            return None;
        }
        let origin = host_param(&crate::browser::location_search())?;
        // Exactly an origin, as the browser writes it (no path, user info or trailing slash).
        if origin_of(&origin).as_deref() != Some(origin.as_str()) {
            return None;
        }
        // Where the browser names the frame's ancestors, the parent must be that origin.
        let ancestors =
            js_sys::Reflect::get(&window.location(), &JsValue::from_str("ancestorOrigins"))
                .ok()
                .filter(|a| !a.is_undefined() && !a.is_null());
        if let Some(ancestors) = ancestors {
            let first = js_sys::Reflect::get(&ancestors, &JsValue::from_f64(0.0))
                .ok()
                .and_then(|v| v.as_string());
            if first.as_deref() != Some(origin.as_str()) {
                return None;
            }
        }
        Some(Host { parent, origin })
    }

    /// Posts `{rill: 1, type: kind, …fields}` to the host, to its origin only.
    fn post(&self, kind: &str, fields: &[(&str, &str)]) {
        let msg = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = js_sys::Reflect::set(&msg, &JsValue::from_str(k), v);
        };
        set("rill", &JsValue::from_f64(1.0));
        set("type", &JsValue::from_str(kind));
        for (k, v) in fields {
            set(k, &JsValue::from_str(v));
        }
        let _ = self.parent.post_message(&msg, &self.origin);
    }
}

/// The bridge's listeners (`message` from the host, `keydown` for Esc), removed on drop.
struct Bridge {
    _message: Option<Listener>,
    _keydown: Option<Listener>,
}

/// Starts the bridge for the chat view (widget mode only; nothing when the page is not
/// framed by a host it may talk to). It ends with the view.
pub fn attach(
    ctx: ChatCtx,
    draft: RwSignal<String>,
    input: NodeRef<html::Textarea>,
    send: impl Fn() + Copy + 'static,
) {
    let Some(host) = Host::find() else {
        return;
    };
    let Some(window) = web_sys::window() else {
        return;
    };
    let focus = move || {
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };
    let from = host.clone();
    let message = Listener::new(window.clone().into(), "message", move |ev| {
        let Some(ev) = ev.dyn_ref::<web_sys::MessageEvent>() else {
            return;
        };
        let parent: JsValue = from.parent.clone().into();
        let from_parent = ev.source().is_some_and(|s| JsValue::from(s) == parent);
        if !from_parent || ev.origin() != from.origin {
            return;
        }
        let data = ev.data();
        if !data.is_object() {
            return;
        }
        let field = |k: &str| js_sys::Reflect::get(&data, &JsValue::from_str(k)).ok();
        let kind = field("type").and_then(|v| v.as_string());
        let Some(msg) = HostMessage::from_parts(
            field("rill").and_then(|v| v.as_f64()),
            kind.as_deref(),
            field("text").and_then(|v| v.as_string()),
        ) else {
            return;
        };
        match msg {
            HostMessage::Focus => focus(),
            HostMessage::Prefill(text) => {
                ctx.warm_markdown();
                draft.set(text);
                focus();
            }
            HostMessage::Send(text) => {
                draft.set(text);
                send();
                focus();
            }
        }
    });
    // Esc that nothing in the chat took (a reply to stop, the list drawer, an edit) asks the
    // host to close the panel: with focus in the frame, the host's own keys do not see it.
    let esc = host.clone();
    let keydown = Listener::new(window.into(), "keydown", move |ev| {
        if let Some(ev) = ev.dyn_ref::<web_sys::KeyboardEvent>() {
            if ev.key() == "Escape" && !ev.default_prevented() {
                esc.post("close", &[]);
            }
        }
    });
    let bridge = StoredValue::new_local(Some(Bridge {
        _message: message,
        _keydown: keydown,
    }));
    on_cleanup(move || {
        bridge.try_set_value(None);
    });
    // After the view is on screen (effects run after mounting): ready for the host's messages.
    let ready = host.clone();
    Effect::new(move |_| ready.post("ready", &[]));
    // Each finished reply, with its end state and text.
    Effect::new(move |_| {
        if let Some((state, text)) = ctx.finished.get() {
            host.post("reply", &[("state", state.as_str()), ("text", &text)]);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_messages_are_read_strictly() {
        let read = |v, k, t: Option<&str>| HostMessage::from_parts(v, k, t.map(str::to_string));
        assert_eq!(
            read(Some(1.0), Some("send"), Some("hi")),
            Some(HostMessage::Send("hi".into()))
        );
        assert_eq!(
            read(Some(1.0), Some("prefill"), Some("")),
            Some(HostMessage::Prefill(String::new()))
        );
        assert_eq!(
            read(Some(1.0), Some("focus"), None),
            Some(HostMessage::Focus)
        );
        assert_eq!(
            read(Some(2.0), Some("send"), Some("hi")),
            None,
            "another version"
        );
        assert_eq!(read(None, Some("send"), Some("hi")), None);
        assert_eq!(read(Some(1.0), Some("send"), None), None, "no text");
        assert_eq!(read(Some(1.0), Some("eval"), Some("x")), None);
        assert_eq!(read(Some(1.0), None, None), None);
        let long = "你".repeat(MAX_TEXT + 5);
        match read(Some(1.0), Some("send"), Some(&long)) {
            Some(HostMessage::Send(t)) => assert_eq!(t.chars().count(), MAX_TEXT),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_host_parameter_is_decoded_and_the_last_wins() {
        assert_eq!(
            host_param("?embed=1&host=http%3A%2F%2F127.0.0.1%3A8081").as_deref(),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(host_param("host=a&host=b").as_deref(), Some("b"));
        assert_eq!(host_param("?embed=1"), None);
    }
}
