//! Small owned handles over browser APIs: timers, location, storage, preferences.
//!
//! Everything here fails soft: outside a browser (native tests) or when an API is missing,
//! reads return defaults and writes do nothing. Handles release what they hold on drop.

pub mod markdown_module;
pub mod notify;
pub mod url;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

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

/// `text` in lower case, by Unicode's rules (the browser's `toLowerCase` on wasm, which
/// keeps Rust's case tables out of the page). ASCII text, most of what a search scans, is
/// lowered here without the copy to JavaScript and back: its rules are ASCII's.
pub fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    #[cfg(target_arch = "wasm32")]
    return String::from(js_sys::JsString::from(text).to_lower_case());
    #[cfg(not(target_arch = "wasm32"))]
    return text.to_lowercase();
}

/// A finite decimal number typed into a form field (surrounding white space allowed), read by
/// JavaScript's `Number()`: Rust's float parser would add ~13 KB of tables to the wasm. The
/// empty string and the hex/binary/octal forms that `Number()` also reads are refused, so
/// this accepts what `str::parse::<f64>` accepts, minus infinities and NaN.
pub fn parse_number(text: &str) -> Option<f64> {
    let s = text.trim();
    let decimal = s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-'))
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-' | b'e' | b'E'));
    if !decimal {
        return None;
    }
    #[cfg(target_arch = "wasm32")]
    let n = wasm_bindgen::JsValue::from_str(s).unchecked_into_f64(); // unary +, as Number()
    #[cfg(not(target_arch = "wasm32"))]
    let n = s.parse::<f64>().unwrap_or(f64::NAN);
    n.is_finite().then_some(n)
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
/// True while `query` (a CSS media query) matches the page's viewport.
pub fn media_matches(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

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

/// Removes a value from `localStorage` (nothing happens when storage is blocked).
pub fn storage_remove(key: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item(key);
    }
}

/// Writes a value to `localStorage`; false when storage is blocked or full.
pub fn storage_try_set(key: &str, value: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .is_some_and(|storage| storage.set_item(key, value).is_ok())
}

/// A spawned task of the page's thread, aborted on drop (timers written as async loops:
/// `gloo_timers`' futures, so no closure outlives its owner).
pub struct Task(futures_util::future::AbortHandle);

impl Task {
    /// Runs `future` until it ends or the handle is dropped.
    pub fn spawn(future: impl std::future::Future<Output = ()> + 'static) -> Task {
        let (abort, registration) = futures_util::future::AbortHandle::new_pair();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = futures_util::future::Abortable::new(future, registration).await;
        });
        Task(abort)
    }

    /// Stops the task now (also from inside it: it ends at its next await).
    pub fn abort(&self) {
        self.0.abort();
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Waits `ms` milliseconds (0 for a negative or not-a-number wait).
pub async fn sleep_ms(ms: f64) {
    let ms = if ms.is_finite() && ms > 0.0 {
        ms.ceil().min(f64::from(u32::MAX)) as u32
    } else {
        0
    };
    gloo_timers::future::TimeoutFuture::new(ms).await;
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

/// What `fetch` needs besides the URL.
#[derive(Default)]
pub struct FetchInit<'a> {
    /// `GET` when empty.
    pub method: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: Option<&'a str>,
    pub signal: Option<&'a web_sys::AbortSignal>,
    /// Send cookies cross-origin (`credentials: "include"`).
    pub with_credentials: bool,
}

/// Why `fetch` gave no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The request could not be made (a malformed URL or header): retrying cannot help.
    Invalid(String),
    /// The browser got no response (offline, refused, CORS, or aborted).
    Network(String),
}

/// `window.fetch(url, init)`, uncached, to the response headers.
pub async fn fetch(url: &str, init: FetchInit<'_>) -> Result<web_sys::Response, FetchError> {
    let invalid = |err: JsValue| FetchError::Invalid(error_text(&err));
    let options = web_sys::RequestInit::new();
    if !init.method.is_empty() {
        options.set_method(init.method);
    }
    options.set_cache(web_sys::RequestCache::NoStore);
    if init.with_credentials {
        options.set_credentials(web_sys::RequestCredentials::Include);
    }
    options.set_signal(init.signal);
    // A request that carries a key must not follow a redirect: the key is for this URL's
    // origin, and a redirect could lead anywhere.
    if init.headers.iter().any(|(name, _)| {
        name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("x-api-key")
    }) {
        options.set_redirect(web_sys::RequestRedirect::Error);
    }
    let headers = web_sys::Headers::new().map_err(invalid)?;
    for (name, value) in &init.headers {
        headers.append(name, value).map_err(invalid)?;
    }
    options.set_headers(&headers);
    if let Some(body) = init.body {
        options.set_body(&JsValue::from_str(body));
    }
    let request = web_sys::Request::new_with_str_and_init(url, &options).map_err(invalid)?;
    let window = web_sys::window().ok_or_else(|| FetchError::Invalid("no window".into()))?;
    let response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|err| FetchError::Network(error_text(&err)))?;
    response
        .dyn_into()
        .map_err(|_| FetchError::Network("fetch gave no response".into()))
}

/// The body of `response` as text (empty if it cannot be read).
pub async fn response_text(response: &web_sys::Response) -> String {
    match response.text() {
        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The message of a thrown JavaScript value (never its `Debug` form: the release build
/// formats no `Debug`).
pub fn error_text(err: &JsValue) -> String {
    match err.dyn_ref::<js_sys::Error>() {
        Some(e) => String::from(e.message()),
        None => err.as_string().unwrap_or_else(|| "unknown error".into()),
    }
}

/// Loads the page again (its URL already names a view of the other bundle).
pub fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// False only when the browser says it has no network (`navigator.onLine`).
pub fn is_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

/// A future that completes when `window` fires `event_type` (e.g. `online`); the listener is
/// removed when the future completes or is dropped.
pub struct WindowEvent {
    fired: std::rc::Rc<std::cell::Cell<bool>>,
    waker: std::rc::Rc<std::cell::RefCell<Option<std::task::Waker>>>,
    event_type: &'static str,
    closure: Option<Closure<dyn FnMut()>>,
}

impl WindowEvent {
    /// Starts listening for `event_type` on `window`.
    pub fn new(event_type: &'static str) -> WindowEvent {
        let fired = std::rc::Rc::new(std::cell::Cell::new(false));
        let waker: std::rc::Rc<std::cell::RefCell<Option<std::task::Waker>>> = Default::default();
        let (f, w) = (fired.clone(), waker.clone());
        let closure: Closure<dyn FnMut()> = Closure::new(move || {
            f.set(true);
            if let Some(waker) = w.borrow_mut().take() {
                waker.wake();
            }
        });
        let added = web_sys::window().is_some_and(|win| {
            win.add_event_listener_with_callback(event_type, closure.as_ref().unchecked_ref())
                .is_ok()
        });
        WindowEvent {
            // Outside a browser nothing will ever fire: complete at once rather than hang.
            fired: if added {
                fired
            } else {
                std::rc::Rc::new(std::cell::Cell::new(true))
            },
            waker,
            event_type,
            closure: Some(closure),
        }
    }
}

impl std::future::Future for WindowEvent {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.fired.get() {
            std::task::Poll::Ready(())
        } else {
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            std::task::Poll::Pending
        }
    }
}

impl Drop for WindowEvent {
    fn drop(&mut self) {
        if let (Some(window), Some(closure)) = (web_sys::window(), self.closure.take()) {
            let _ = window.remove_event_listener_with_callback(
                self.event_type,
                closure.as_ref().unchecked_ref(),
            );
        }
    }
}

/// One event listener on a target, removed on drop.
pub struct Listener {
    target: web_sys::EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl Listener {
    /// Listens for `kind` on `target`; `None` if the browser refused the listener.
    pub fn new(
        target: web_sys::EventTarget,
        kind: &'static str,
        f: impl FnMut(web_sys::Event) + 'static,
    ) -> Option<Listener> {
        let closure: Closure<dyn FnMut(web_sys::Event)> = Closure::new(f);
        target
            .add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())
            .ok()?;
        Some(Listener {
            target,
            kind,
            closure,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}

/// Listeners for the moments a page wakes — back online (`online`), shown again
/// (`visibilitychange` to visible), restored from the back/forward cache (`pageshow`
/// persisted) and resumed after being frozen (`resume`) — calling `f` for each; all removed
/// on drop.
pub struct PageWake {
    _listeners: Vec<Listener>,
}

impl PageWake {
    pub fn new(f: impl Fn() + 'static) -> PageWake {
        let f = std::rc::Rc::new(f);
        let (Some(window), Some(document)) = (
            web_sys::window(),
            web_sys::window().and_then(|w| w.document()),
        ) else {
            return PageWake {
                _listeners: Vec::new(),
            };
        };
        let mut listeners = Vec::new();
        let g = f.clone();
        listeners.extend(Listener::new(window.clone().into(), "online", move |_| g()));
        let g = f.clone();
        listeners.extend(Listener::new(window.into(), "pageshow", move |ev| {
            let persisted = ev
                .dyn_ref::<web_sys::PageTransitionEvent>()
                .is_some_and(|e| e.persisted());
            if persisted {
                g();
            }
        }));
        let g = f.clone();
        let doc = document.clone();
        listeners.extend(Listener::new(
            document.clone().into(),
            "visibilitychange",
            move |_| {
                if !doc.hidden() {
                    g();
                }
            },
        ));
        let g = f;
        listeners.extend(Listener::new(document.into(), "resume", move |_| g()));
        PageWake {
            _listeners: listeners,
        }
    }
}

/// One `requestAnimationFrame` callback, cancelled on drop.
pub struct AnimationFrame {
    id: i32,
    _closure: Closure<dyn FnMut()>,
}

impl AnimationFrame {
    /// Calls `f` before the next repaint. `None` outside a browser.
    pub fn request(f: impl FnOnce() + 'static) -> Option<AnimationFrame> {
        let window = web_sys::window()?;
        let mut f = Some(f);
        let closure: Closure<dyn FnMut()> = Closure::new(move || {
            if let Some(f) = f.take() {
                f();
            }
        });
        let id = window
            .request_animation_frame(closure.as_ref().unchecked_ref())
            .ok()?;
        Some(AnimationFrame {
            id,
            _closure: closure,
        })
    }
}

impl Drop for AnimationFrame {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.cancel_animation_frame(self.id);
        }
    }
}

/// Copies text to the clipboard (best effort: the browser may refuse without a gesture).
pub fn copy_text(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// Offers `content` as a file download named `filename`.
pub fn download(filename: &str, mime: &str, content: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(content));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = document.create_element("a") {
        if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
            a.set_href(&url);
            a.set_download(filename);
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::parse_number;

    #[test]
    fn parse_number_reads_decimals_only() {
        assert_eq!(parse_number(" 0.7 "), Some(0.7));
        assert_eq!(parse_number("1e-1"), Some(0.1));
        assert_eq!(parse_number("-2"), Some(-2.0));
        for bad in [
            "", " ", "0x10", "inf", "NaN", "Infinity", "1.5abc", "e5", "1e999",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }
}

/// Sets a CSS custom property on `el` through CSSOM (`el.style.setProperty`): allowed under
/// `style-src 'self'`, which refuses `style` attributes and `<style>` elements.
pub fn set_style_property(el: &web_sys::HtmlElement, name: &str, value: &str) {
    use wasm_bindgen::{JsCast, JsValue};
    let Ok(style) = js_sys::Reflect::get(el, &JsValue::from_str("style")) else {
        return;
    };
    let Ok(set) = js_sys::Reflect::get(&style, &JsValue::from_str("setProperty")) else {
        return;
    };
    if let Some(set) = set.dyn_ref::<js_sys::Function>() {
        let _ = set.call2(&style, &JsValue::from_str(name), &JsValue::from_str(value));
    }
}
