//! Refuses request paths with a `..` segment, written plainly or percent-encoded (`%2e%2e`,
//! `.%2e`, any case, also behind an encoded `/` or `\`), on every route.
//!
//! rill-server's own routes never need one, and a proxy or file server behind it might
//! resolve one: `/v1/../api/pull` must not become a route that was never allowed.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Answers 400 for a path with a `..` segment; passes every other request on.
pub async fn refuse_dot_segments(request: Request, next: Next) -> Response {
    if has_dot_dot(request.uri().path()) {
        tracing::warn!(path = %request.uri().path(), "refused a path with a `..` segment");
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain")],
            "Bad Request: a path segment `..` is refused",
        )
            .into_response();
    }
    next.run(request).await
}

/// True if `path`, once percent-decoded, has a `..` segment (split at `/` and `\`).
pub fn has_dot_dot(path: &str) -> bool {
    let decoded = percent_decode(path.as_bytes());
    decoded
        .split(|b| *b == b'/' || *b == b'\\')
        .any(|segment| segment == b"..")
}

/// `bytes` with every `%XX` replaced by its byte (a `%` not followed by two hex digits is
/// kept as it is). Decoded repeatedly would be stricter still, but one pass is what a server
/// behind us does.
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                // Two hex digits are below 256 by construction.
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::has_dot_dot;

    #[test]
    fn dot_dot_segments_are_found_however_written() {
        for bad in [
            "/..",
            "/v1/../api/pull",
            "/api/%2e%2e/x",
            "/api/%2E%2e",
            "/api/.%2e/x",
            "/api/%2e./x",
            "/api/chat%2f..%2fpull",
            "/api/chat%5c..",
            "/a\\..\\b",
        ] {
            assert!(has_dot_dot(bad), "{bad}");
        }
        for good in [
            "/",
            "/v1/chat/completions",
            "/a..b",
            "/.../x",
            "/.hidden",
            "/%2e",
            "/100%",
        ] {
            assert!(!has_dot_dot(good), "{good}");
        }
    }
}
