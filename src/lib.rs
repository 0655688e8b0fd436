//! rill: a Leptos/WebAssembly front-end for Server-Sent Events.
//!
//! Module map (see ARCHITECTURE.md for the invariants):
//! - [`config`]: the app's settings from config.json and URL parameters (pure).
//! - [`i18n`]: every user-visible string, English and 简体中文 (pure).
//! - [`json`]: the page's JSON value, parser and writer (pure).
//! - [`percent`]: percent-encoding of URL components (pure, a leaf).
//! - [`chat`]: conversations, chat wire formats, reading streamed replies (pure), storage.
//! - [`clock`]: the clock/feed view's state machine (pure).
//! - [`feeds`]: pinned feeds as cards: latest value per event type, gaps, duplicates (pure).
//! - [`transport`]: stream events (pure) and the browser glue that produces them.
//! - [`browser`]: small owned handles over browser APIs (timers, location, storage).
//! - [`app`] and [`components`]: Leptos views; they render state and never parse wire data.
//!
//! Pure modules compile and are tested natively; only `transport::event_source`,
//! `browser` and the views call web-sys, and only at run time in a browser.

pub mod app;
pub mod browser;
pub mod chat;
pub mod clock;
pub mod components;
pub mod config;
pub mod feeds;
pub mod i18n;
pub mod inspect;
pub mod json;
pub mod percent;
pub mod transport;

/// Mounts the app with one bundle's views on `<body>`, configured from the site's
/// config.json (which the loader fetched) and the page URL.
pub fn mount(views: app::Views) {
    let config = config::Config::from_sources(&loaded_config_file(), &browser::location_search());
    leptos::mount::mount_to_body(
        move || leptos::view! { <app::App config=config.clone() views=views /> },
    );
}

/// A chat mounted by [`mount_chat`]. Dropping it, or [`ChatHandle::unmount`], removes the
/// chat from its element and ends everything it started (streams, timers, listeners).
#[must_use = "dropping the handle unmounts the chat"]
pub struct ChatHandle {
    // `UnmountHandle<…>` of the mounted view: its drop unmounts it and disposes its owner.
    mounted: Box<dyn std::any::Any>,
}

impl ChatHandle {
    /// Removes the chat (the same as dropping the handle).
    pub fn unmount(self) {
        drop(self.mounted);
    }
}

/// Mounts the chat inline into `parent`, an element of a host page (a Rust/Leptos host
/// linking this library), for hosts that want the chat in their own page rather than the
/// widget's iframe. `config` is the operator's choice, as config.json would be
/// (`config::Config::from_sources(&config::ConfigFile::Text(json), "")`, or built in code):
/// its endpoint is used with no link banner. The chat adds one `.rill` root inside `parent`;
/// its CSS (the app's `shell.css` and `chat.css`, which the host serves) is scoped to that
/// root: classes prefixed `rill-`, design tokens as custom properties on it, no rules for
/// the host's own elements. The host page's URL, title and `<html>` are left alone.
pub fn mount_chat(parent: web_sys::HtmlElement, config: config::Config) -> ChatHandle {
    let handle = leptos::mount::mount_to(
        parent,
        move || leptos::view! { <components::inline::InlineChat config=config /> },
    );
    ChatHandle {
        mounted: Box::new(handle),
    }
}

/// What the loader (`web/loader.js`) found as `config.json`, which it leaves in
/// `globalThis.__rillConfig` as `{status, type, text}` (or `{error}` when the fetch failed).
/// Read once and removed: the loader fetched it in parallel with the bundle, so the app does
/// not ask again. No such global (the app started by other means): no config.json.
fn loaded_config_file() -> config::ConfigFile {
    use wasm_bindgen::JsValue;
    let global = js_sys::global();
    let key = JsValue::from_str("__rillConfig");
    let Ok(found) = js_sys::Reflect::get(&global, &key) else {
        return config::ConfigFile::Absent;
    };
    if !found.is_object() {
        return config::ConfigFile::Absent;
    }
    let _ = js_sys::Reflect::delete_property(&global, &key);
    let field = |name: &str| {
        js_sys::Reflect::get(&found, &JsValue::from_str(name))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    if let Some(error) = field("error") {
        let why = error.as_string().unwrap_or_default();
        return config::ConfigFile::Unavailable(if why.is_empty() {
            "the request failed".to_string()
        } else {
            why.chars().take(300).collect()
        });
    }
    let status = field("status")
        .and_then(|v| v.as_f64())
        .filter(|s| (0.0..1000.0).contains(s))
        .map_or(0, |s| s as u16);
    let kind = field("type")
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let text = field("text")
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    config::ConfigFile::from_response(status, &kind, text)
}
