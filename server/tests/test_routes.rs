//! `/test/…`: off unless `--test-routes`; with it, only safe content types, sandboxed, and
//! the flapping feed the reconnect-floor tests count connections on.

mod support;

use rill_server::Config;
use support::{get, start};

/// A config with the test routes on, as `rill-server --test-routes`.
fn with_test_routes() -> Config {
    Config {
        test_routes: true,
        ..Config::default()
    }
}

#[tokio::test]
async fn flap_answers_one_event_with_retry_zero_then_ends_and_counts_per_key() {
    let (addr, _) = start(with_test_routes()).await;
    let count = |key: &'static str| async move {
        let r = get(addr, &format!("/test/flap/count?key={key}"), |_| false).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.header("content-type"), Some("text/plain"));
        r.text()
    };
    assert_eq!(count("a").await, "0");
    for _ in 0..3 {
        let r = get(addr, "/test/flap?key=a", |_| false).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.header("content-type"), Some("text/event-stream"));
        assert!(r.complete, "the response ends by itself");
        assert_eq!(r.text(), "retry: 0\n\nid: 1\ndata: flap\n\n");
    }
    get(addr, "/test/flap?key=b", |_| false).await;
    assert_eq!(count("a").await, "3");
    assert_eq!(count("b").await, "1");
    assert_eq!(count("c").await, "0");
}

#[tokio::test]
async fn flap_counts_are_bounded_and_long_keys_refused() {
    let (addr, state) = start(with_test_routes()).await;
    for i in 0..1005 {
        let r = get(addr, &format!("/test/flap?key=k{i}"), |_| false).await;
        assert_eq!(r.status(), 200);
    }
    assert!(state.flaps.len() <= 1000, "{} keys kept", state.flaps.len());
    // The oldest keys went first; the newest are kept.
    let r = get(addr, "/test/flap/count?key=k0", |_| false).await;
    assert_eq!(r.text(), "0");
    let r = get(addr, "/test/flap/count?key=k1004", |_| false).await;
    assert_eq!(r.text(), "1");
    let long = "x".repeat(200);
    let r = get(addr, &format!("/test/flap?key={long}"), |_| false).await;
    assert_eq!(r.status(), 400);
}

/// A temporary built-app folder with an `index.html`, and a `test/` folder that a fallback to
/// the app's files would find.
struct Dist(std::path::PathBuf);

impl Dist {
    fn new(name: &str) -> Dist {
        let dir = std::env::temp_dir().join(format!("rill-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("test/status/200")).expect("dist");
        std::fs::write(dir.join("index.html"), "<!doctype html><p>app").expect("write");
        std::fs::write(dir.join("test/status/200/index.html"), "<script>x</script>")
            .expect("write");
        Dist(dir)
    }
}

impl Drop for Dist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const TEST_PATHS: [&str; 7] = [
    "/test",
    "/test/",
    "/test/status/200?type=text/html&body=%3Cscript%3Ex%3C/script%3E",
    "/test/status/200/",
    "/test/events",
    "/test/flap?key=a",
    "/test/split",
];

#[tokio::test]
async fn test_routes_are_not_found_without_the_flag() {
    let (addr, state) = start(Config::default()).await;
    for path in TEST_PATHS {
        let r = get(addr, path, |_| false).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.text(), "Not Found", "{path}");
    }
    assert!(state.flaps.is_empty(), "the flap feed did not count");
}

#[tokio::test]
async fn test_routes_do_not_fall_through_to_the_app_files_without_the_flag() {
    let dist = Dist::new("no-test-routes");
    let (addr, _) = start(Config {
        dist: Some(dist.0.clone()),
        ..Config::default()
    })
    .await;
    assert_eq!(get(addr, "/", |_| false).await.status(), 200);
    for path in TEST_PATHS {
        let r = get(addr, path, |_| false).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.text(), "Not Found", "{path}");
        assert_eq!(r.header("content-type"), Some("text/plain"), "{path}");
    }
}

#[tokio::test]
async fn status_sends_only_the_four_safe_types() {
    let (addr, _) = start(with_test_routes()).await;
    for (asked, sent) in [
        ("", "text/plain"),
        ("text/plain", "text/plain"),
        ("application/json", "application/json"),
        ("text/event-stream", "text/event-stream"),
        ("application/x-ndjson", "application/x-ndjson"),
        ("Application/JSON", "application/json"),
        (
            "application/json;%20charset=utf-8",
            "application/json; charset=utf-8",
        ),
        (
            "text/event-stream;charset=windows-1252",
            "text/event-stream; charset=windows-1252",
        ),
        ("text/html", "text/plain"),
        ("TEXT/HTML;%20charset=utf-8", "text/plain"),
        ("image/svg%2Bxml", "text/plain"),
        ("application/xhtml%2Bxml", "text/plain"),
        ("text/xml", "text/plain"),
        ("application/javascript", "text/plain"),
        ("text/plain,text/html", "text/plain"),
        (
            "application/json;%20charset=%22utf-8%3Cx%3E%22",
            "application/json",
        ),
    ] {
        let path = if asked.is_empty() {
            "/test/status/200?body=hi".to_string()
        } else {
            format!("/test/status/200?type={asked}&body=hi")
        };
        let r = get(addr, &path, |_| false).await;
        assert_eq!(r.status(), 200, "{asked}");
        assert_eq!(r.header("content-type"), Some(sent), "{asked}");
        assert_eq!(r.text(), "hi", "{asked}");
    }
}

#[tokio::test]
async fn html_asked_of_a_test_route_comes_back_as_sandboxed_plain_text() {
    let (addr, _) = start(with_test_routes()).await;
    let r = get(
        addr,
        "/test/status/200?type=text/html&body=%3Cscript%3Ealert(1)%3C/script%3E",
        |_| false,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.text(), "<script>alert(1)</script>");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("content-security-policy"), Some("sandbox"));
}

#[tokio::test]
async fn every_test_route_is_sandboxed_and_unknown_ones_are_not_found() {
    let dist = Dist::new("with-test-routes");
    let (addr, _) = start(Config {
        dist: Some(dist.0.clone()),
        ..with_test_routes()
    })
    .await;
    for (path, status) in [
        ("/test/status/404", 404),
        ("/test/status/200?type=application/json&body=%7B%7D", 200),
        ("/test/events?count=1", 200),
        ("/test/flap?key=s", 200),
        ("/test/flap/count?key=s", 200),
        ("/test/split", 200),
        ("/test/status/200/", 404),
        ("/test/nothing", 404),
    ] {
        let r = get(addr, path, |_| false).await;
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            r.header("content-security-policy"),
            Some("sandbox"),
            "{path}"
        );
        assert!(!r.text().contains("<script>"), "{path}: the app's files");
    }
}

#[tokio::test]
async fn test_routes_cors_lists_what_it_allows() {
    let (addr, _) = start(with_test_routes()).await;
    let preflight = "OPTIONS /test/events HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://other.example\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: last-event-id\r\n\r\n";
    let r = support::send(addr, preflight.as_bytes(), |_| false).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let headers = r
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert_ne!(headers, "*");
    for name in [
        "last-event-id",
        "content-type",
        "authorization",
        "cache-control",
    ] {
        assert!(
            headers.split(',').any(|h| h.trim() == name),
            "{name}: {headers}"
        );
    }
    let methods = r.header("access-control-allow-methods").unwrap_or_default();
    assert_ne!(methods, "*");
    for method in ["GET", "POST", "OPTIONS"] {
        assert!(
            methods.split(',').any(|m| m.trim() == method),
            "{method}: {methods}"
        );
    }
}
