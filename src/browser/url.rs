//! URLs as the browser reads them: the origin a request will go to, and the page's query.
//!
//! Origins come from the browser's own `URL` parser (the one `fetch` uses), so rill never
//! disagrees with the browser about where a request goes (`http:\\evil`, tabs inside a
//! scheme, user info and the like are the parser's business, not ours).

/// The origin (`scheme://host[:port]`) that a request to `url` goes to, resolved against the
/// page like `fetch` does; `None` for a URL that cannot be parsed or has no network origin
/// (`data:`, `blob:`, `javascript:` …), and outside a browser.
pub fn origin_of(url: &str) -> Option<String> {
    let window = web_sys::window()?;
    let base = window.location().href().ok()?;
    let parsed = web_sys::Url::new_with_base(url, &base).ok()?;
    let protocol = parsed.protocol();
    if protocol != "http:" && protocol != "https:" {
        return None;
    }
    let origin = parsed.origin();
    (origin != "null" && !origin.is_empty()).then_some(origin)
}

/// `url` resolved against `base` (itself resolved against the page), as the browser's URL
/// parser does it; `None` when either cannot be parsed, and outside a browser.
pub fn resolve(url: &str, base: &str) -> Option<String> {
    let page = web_sys::window()?.location().href().ok()?;
    let base = web_sys::Url::new_with_base(base, &page).ok()?.href();
    web_sys::Url::new_with_base(url, &base)
        .ok()
        .map(|u| u.href())
}

/// The page's query with the parameters `names` removed, written over the current history
/// entry (no reload, no new entry): a link's choice the user turned down is not taken up
/// again by a reload.
pub fn drop_query_params(names: &[&str]) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(href) = window.location().href() else {
        return;
    };
    let Ok(url) = web_sys::Url::new(&href) else {
        return;
    };
    let params = url.search_params();
    for name in names {
        params.delete(name);
    }
    let query = params.to_string().as_string().unwrap_or_default();
    url.set_search(&query);
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
}
