//! Browser notifications: the permission, asking for it (only ever from a click), and
//! showing one. A browser without the Notification API reads as [`Permission::Unsupported`].

use wasm_bindgen::JsValue;

/// Whether the page may show notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Not asked yet.
    Ask,
    Granted,
    Denied,
    Unsupported,
}

fn supported() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).unwrap_or(false)
    })
}

fn from_web(p: web_sys::NotificationPermission) -> Permission {
    match p {
        web_sys::NotificationPermission::Granted => Permission::Granted,
        web_sys::NotificationPermission::Denied => Permission::Denied,
        _ => Permission::Ask,
    }
}

/// The current permission (never asks).
pub fn permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    from_web(web_sys::Notification::permission())
}

/// Asks the user, when not asked yet; call only from a click. Resolves to the answer.
pub async fn request() -> Permission {
    match permission() {
        Permission::Ask => {}
        known => return known,
    }
    let Ok(promise) = web_sys::Notification::request_permission() else {
        return Permission::Denied;
    };
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(answer) => match answer.as_string().as_deref() {
            Some("granted") => Permission::Granted,
            Some("denied") => Permission::Denied,
            _ => Permission::Ask,
        },
        Err(_) => Permission::Denied,
    }
}

/// Shows a notification when permitted; one with the same `tag` replaces the previous one,
/// so a fast feed shows one notification, kept current, not a pile.
pub fn show(title: &str, body: &str, tag: &str) {
    if permission() != Permission::Granted {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag(tag);
    let _ = web_sys::Notification::new_with_options(title, &options);
}

/// Whether the page is hidden (another tab, a minimised window).
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}
