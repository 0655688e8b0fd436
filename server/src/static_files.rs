//! Caching of the built app's files: what a static host for rill should do, done here.
//!
//! Trunk names the page's own assets with a content hash (`chat-8a322210f6ba784c.css`, the chat
//! bundle `rill-chat-<hash>.js` / `rill-chat-<hash>_bg.wasm`, snippets), so they can be cached
//! for good. Everything else (`index.html`, `loader.js`, `embed.js`, the feed bundle
//! `rill-feed…`, the markdown module's `rill-md.js` / `rill-md_bg.wasm` and the code-and-math
//! module's `rill-md-rich.js` / `rill-md-rich_bg.wasm`, whose names are
//! fixed because the page imports them by name) must be revalidated on each load, or a
//! browser could pair a new page with an old bundle or module
//! (a stale module is detected and replies are shown as plain text, but still).

use axum::http::header::{HeaderValue, CACHE_CONTROL, VARY};
use axum::http::Uri;
use axum::response::Response;

/// Adds `Cache-Control` to a successful static file response, by its path, and
/// `Vary: Accept-Encoding` (a file may be sent precompressed, `FILE.br`/`FILE.gz`, to a browser
/// that accepts it: a shared cache must not hand those bytes to one that does not).
pub async fn cache_control(uri: Uri, mut response: Response) -> Response {
    if response.status().is_success() {
        let value = if is_content_hashed(uri.path()) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(value));
        if !headers.contains_key(VARY) {
            headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    response
}

/// True for a file name with a Trunk content hash: `-` then 12 to 16 hex digits, then `.`
/// or `_` (`rill-3f9c0a1b2c3d4e5f.js`, `rill-3f9c0a1b2c3d4e5f_bg.wasm`,
/// `snippets/rill-8dac4e2e110e3f5d/inline0.js` by its folder).
pub fn is_content_hashed(path: &str) -> bool {
    path.split('/').any(|segment| {
        segment.match_indices('-').any(|(i, _)| {
            let rest = &segment[i + 1..];
            let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
            (12..=16).contains(&hex)
                && matches!(rest.as_bytes().get(hex), None | Some(b'.') | Some(b'_'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised_and_fixed_names_are_not() {
        for hashed in [
            "/rill-3f9c0a1b2c3d4e5f.js",
            "/rill-3f9c0a1b2c3d4e5f_bg.wasm",
            "/chat-8a322210f6ba784c.css",
            "/rill-df5a715953326ad.js",
            "/snippets/rill-8dac4e2e110e3f5d/inline0.js",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for fixed in [
            "/",
            "/index.html",
            "/rill-md.js",
            "/rill-md_bg.wasm",
            "/rill-md-rich.js",
            "/rill-md-rich_bg.wasm",
            "/my-deadbeef.js",
            "/x-0123456789abcdef0.js",
        ] {
            assert!(!is_content_hashed(fixed), "{fixed}");
        }
    }
}
