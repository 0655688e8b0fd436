//! Small owned handles over browser APIs: timers, location, storage, preferences.
//!
//! Everything here fails soft: outside a browser (native tests) or when an API is missing,
//! reads return defaults and writes do nothing. Handles release what they hold on drop.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The page's query string (`?view=clock…`), or empty outside a browser.
pub fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch, from the browser clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The browser's preferred languages, most preferred first.
pub fn languages() -> Vec<String> {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else {
        return Vec::new();
    };
    let mut out: Vec<String> = nav
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    if out.is_empty() {
        out.extend(nav.language());
    }
    out
}

/// True when the system asks for a dark colour scheme.
pub fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .map(|m| m.matches())
        .unwrap_or(false)
}

/// Reads a value from `localStorage` (none when storage is blocked).
pub fn storage_get(key: &str) -> Option<String> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(key).ok().flatten())
}

/// Writes a value to `localStorage`; a blocked or full storage is ignored on purpose
/// (preferences are a convenience, never a reason to fail).
pub fn storage_set(key: &str, value: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

/// A repeating timer, cleared on drop.
pub struct Interval {
    id: i32,
    _closure: Closure<dyn FnMut()>,
}

impl Interval {
    /// Calls `f` every `period_ms` milliseconds until dropped. `None` outside a browser.
    pub fn new(period_ms: i32, f: impl FnMut() + 'static) -> Option<Interval> {
        let window = web_sys::window()?;
        let closure: Closure<dyn FnMut()> = Closure::new(f);
        let id = window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                closure.as_ref().unchecked_ref(),
                period_ms,
            )
            .ok()?;
        Some(Interval {
            id,
            _closure: closure,
        })
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_interval_with_handle(self.id);
        }
    }
}

/// Replaces the page's query string with `query` as a new history entry, without a reload.
pub fn push_query(query: &str) {
    if let Some(window) = web_sys::window() {
        let path = window.location().pathname().unwrap_or_default();
        let hash = window.location().hash().unwrap_or_default();
        if let Ok(history) = window.history() {
            let url = format!("{path}{query}{hash}");
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}
