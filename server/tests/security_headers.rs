//! Security headers: `nosniff` and `no-referrer` on everything, the app's
//! Content-Security-Policy (no inline script, no eval) on the built app's files, its
//! `frame-ancestors` from `--frame-ancestors`.

mod support;

use rill_server::{csp, Config};
use support::{get, start};

/// A temporary built-app folder.
struct Dist(std::path::PathBuf);

impl Dist {
    fn new(name: &str) -> Dist {
        let dir = std::env::temp_dir().join(format!("rill-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dist");
        for (file, body) in [
            ("index.html", "<!doctype html><p>app"),
            ("rill-chat.js", "export {}"),
            ("rill-chat_bg.wasm", "\0asm"),
            ("chat-8a322210f6ba784c.css", "p{}"),
        ] {
            std::fs::write(dir.join(file), body).expect("write");
        }
        Dist(dir)
    }
}

impl Drop for Dist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn every_answer_has_nosniff_and_no_referrer() {
    let dist = Dist::new("headers-everywhere");
    let (addr, _) = start(Config {
        dist: Some(dist.0.clone()),
        ..support::fast()
    })
    .await;
    for path in [
        "/",
        "/index.html",
        "/rill-chat.js",
        "/missing",
        "/stream",
        "/v1/models",
        "/api/tags",
        "/api/version",
        "/test/status/200",
    ] {
        let r = get(addr, path, |body| !body.is_empty()).await;
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
    }
}

#[tokio::test]
async fn the_app_files_carry_the_app_policy() {
    let dist = Dist::new("app-policy");
    let (addr, _) = start(Config {
        dist: Some(dist.0.clone()),
        ..Config::default()
    })
    .await;
    let policy = csp::app_policy(&[]);
    assert_eq!(
        policy,
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self' http: https:; \
         object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    );
    for path in [
        "/",
        "/index.html",
        "/rill-chat.js",
        "/rill-chat_bg.wasm",
        "/chat-8a322210f6ba784c.css",
    ] {
        let r = get(addr, path, |_| false).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.header("content-security-policy"),
            Some(policy.as_str()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn frame_ancestors_come_from_the_flag() {
    let dist = Dist::new("frame-ancestors");
    let (addr, _) = start(Config {
        dist: Some(dist.0.clone()),
        frame_ancestors: vec![
            "'self' https://host.example".into(),
            "https://other.example".into(),
        ],
        ..Config::default()
    })
    .await;
    let r = get(addr, "/", |_| false).await;
    let policy = r.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.ends_with("; frame-ancestors 'self' https://host.example https://other.example"),
        "{policy}"
    );
    assert!(!policy.contains("'unsafe-inline'") && !policy.contains("'unsafe-eval'"));
}

#[tokio::test]
async fn the_clock_feed_keeps_the_original_headers_and_gains_only_the_security_ones() {
    let (addr, _) = start(Config::default()).await;
    let r = get(addr, "/stream", |body| !body.is_empty()).await;
    let mut names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "access-control-allow-origin",
            "cache-control",
            "connection",
            "content-type",
            "date",
            "referrer-policy",
            "transfer-encoding",
            "x-content-type-options",
        ]
    );
    assert_eq!(r.header("content-security-policy"), None);
}
