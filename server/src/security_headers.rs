//! Headers sent with everything rill-server answers, and the app's policy on its files.
//!
//! `X-Content-Type-Options: nosniff` makes a browser trust the Content-Type we send (a text
//! body is never taken for a page or a script), and `Referrer-Policy: no-referrer` keeps the
//! app's URL (which may carry an endpoint) out of requests to other servers. A handler that
//! set either itself keeps its own.

use axum::extract::State;
use axum::http::header::{
    HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::Response;

/// Adds `nosniff` and `no-referrer` to any response.
pub async fn everywhere(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(X_CONTENT_TYPE_OPTIONS) {
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    }
    if !headers.contains_key(REFERRER_POLICY) {
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}

/// Adds the app's Content-Security-Policy ([`crate::csp::app_policy`]) to a response of the
/// built app's files.
pub async fn app_policy(State(policy): State<HeaderValue>, mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CONTENT_SECURITY_POLICY, policy);
    response
}
