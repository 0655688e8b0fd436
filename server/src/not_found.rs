//! The 404 answer, shaped like the original Node server's: `text/plain`, body `Not Found`.

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

/// Answers 404 `Not Found`.
pub(crate) async fn handler() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain")],
        "Not Found",
    )
}
