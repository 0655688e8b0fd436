//! rill: a Leptos/WebAssembly front-end for Server-Sent Events.
//!
//! Module map (see ARCHITECTURE.md for the invariants):
//! - [`config`]: the app's settings from config.json and URL parameters (pure).
//! - [`i18n`]: every user-visible string, English and 简体中文 (pure).
//! - [`json`]: the page's JSON value, parser and writer (pure).
//! - [`chat`]: conversations, chat wire formats, reading streamed replies (pure), storage.
//! - [`clock`]: the clock/feed view's state machine (pure).
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
pub mod i18n;
pub mod json;
pub mod transport;

/// Mounts the app with one bundle's views on `<body>`, configured from the site's
/// config.json (which the loader fetched) and the page URL.
pub fn mount(views: app::Views) {
    let config = config::Config::from_sources(&loaded_config_file(), &browser::location_search());
    leptos::mount::mount_to_body(
        move || leptos::view! { <app::App config=config.clone() views=views /> },
    );
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
