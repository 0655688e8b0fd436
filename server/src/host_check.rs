//! The `Host` check against DNS rebinding, on every route.
//!
//! A page on `http://evil.example` can point its own DNS name at 127.0.0.1 and then call
//! rill-server (or the model server behind `--upstream`) as a same-origin site, reading every
//! answer. What such a request cannot change is its `Host` header: it names the attacker's
//! domain. So rill-server answers only hosts that cannot be rebound: loopback names
//! (`localhost`, `*.localhost`), IP literals (an attacker cannot make an IP address resolve
//! elsewhere, so LAN access by IP keeps working), and the names given by `--allowed-host`.
//! Anything else, or no `Host` at all, is answered `421 Misdirected Request`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Names served besides loopback names and IP literals (`--allowed-host`), lower-cased.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Arc<Vec<String>>);

impl AllowedHosts {
    /// The given names (a port or trailing dot on one is ignored).
    pub fn new(names: &[String]) -> Self {
        Self(Arc::new(names.iter().map(|n| normalize(n)).collect()))
    }

    /// True if a request with this `Host` header value is served.
    pub fn allows(&self, host_header: &str) -> bool {
        let Ok(authority) = host_header.trim().parse::<Authority>() else {
            return false;
        };
        // A `Host` is a host and a port; user info there is no host of ours.
        if authority.as_str().contains('@') {
            return false;
        }
        // `host()` keeps the brackets of an IPv6 literal and drops the port.
        let host = authority.host();
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if literal.parse::<IpAddr>().is_ok() {
            return true;
        }
        let name = normalize(host);
        name == "localhost" || name.ends_with(".localhost") || self.0.contains(&name)
    }
}

/// `name` without a port or a trailing dot, lower-cased.
fn normalize(name: &str) -> String {
    let name = name.trim();
    let host = match name.parse::<Authority>() {
        Ok(authority) => authority.host().to_string(),
        Err(_) => name.to_string(),
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Answers 421 unless the request's `Host` (and an absolute request target's authority, if
/// any) is allowed.
pub async fn check(State(allowed): State<AllowedHosts>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let target = request.uri().authority().map(Authority::as_str);
    let ok = host.as_deref().is_some_and(|h| allowed.allows(h))
        && target.is_none_or(|t| allowed.allows(t));
    if ok {
        return next.run(request).await;
    }
    let shown: String = host
        .as_deref()
        .unwrap_or("(none)")
        .chars()
        .take(100)
        .collect();
    tracing::warn!(host = %shown, path = %request.uri().path(), "refused a request for another host (DNS rebinding?)");
    (
        StatusCode::MISDIRECTED_REQUEST,
        [(header::CONTENT_TYPE, "text/plain")],
        format!(
            "rill-server does not serve the host {shown:?}: it answers loopback names \
             (localhost) and IP addresses. To serve it under a DNS name, start it with \
             --allowed-host NAME.\n"
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::AllowedHosts;

    #[test]
    fn loopback_names_ip_literals_and_allowed_names_only() {
        let none = AllowedHosts::default();
        for ok in [
            "localhost",
            "LOCALHOST:8844",
            "localhost.",
            "app.localhost:1",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:1",
            "[::1]",
            "192.168.1.5",
            "10.0.0.2:8844",
            "[fe80::1]",
        ] {
            assert!(none.allows(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "localhost.evil.example",
            "evillocalhost",
            "127.0.0.1.evil.example",
            "rill.example",
            "a b",
            "user@localhost",
        ] {
            assert!(!none.allows(bad), "{bad}");
        }
        let some = AllowedHosts::new(&["Rill.Example".into(), "other.example:8080".into()]);
        assert!(some.allows("rill.example:443"));
        assert!(some.allows("RILL.EXAMPLE"));
        assert!(some.allows("other.example"));
        assert!(!some.allows("sub.rill.example"));
    }
}
