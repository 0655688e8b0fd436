//! The built app's files (`--dist`): content-hashed assets are cached for good, fixed names
//! (the page, the markdown module) are revalidated, unknown paths are 404 without caching.

mod support;

use rill_server::Config;
use support::{get, send, start};

#[tokio::test]
async fn hashed_assets_are_immutable_and_fixed_names_are_revalidated() {
    let dist = std::env::temp_dir().join(format!("rill-static-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(dist.join("snippets/rill-8dac4e2e110e3f5d")).expect("dist");
    for (name, body) in [
        ("index.html", "<!doctype html>"),
        ("rill-3f9c0a1b2c3d4e5f.js", "export {}"),
        ("rill-3f9c0a1b2c3d4e5f_bg.wasm", "\0asm"),
        ("rill-md.js", "export {}"),
        ("rill-md_bg.wasm", "\0asm"),
        ("snippets/rill-8dac4e2e110e3f5d/inline0.js", "export {}"),
    ] {
        std::fs::write(dist.join(name), body).expect("write");
    }
    let (addr, _) = start(Config {
        dist: Some(dist.clone()),
        ..Config::default()
    })
    .await;
    let cache = |path: &'static str| async move {
        let response = get(addr, path, |_| false).await;
        (
            response.status(),
            response.header("cache-control").map(str::to_owned),
        )
    };
    let immutable = Some("public, max-age=31536000, immutable".to_owned());
    let no_cache = Some("no-cache".to_owned());
    assert_eq!(
        cache("/rill-3f9c0a1b2c3d4e5f.js").await,
        (200, immutable.clone())
    );
    assert_eq!(
        cache("/rill-3f9c0a1b2c3d4e5f_bg.wasm").await,
        (200, immutable.clone())
    );
    assert_eq!(
        cache("/snippets/rill-8dac4e2e110e3f5d/inline0.js").await,
        (200, immutable)
    );
    assert_eq!(cache("/").await, (200, no_cache.clone()));
    assert_eq!(cache("/index.html").await, (200, no_cache.clone()));
    assert_eq!(cache("/rill-md.js").await, (200, no_cache.clone()));
    assert_eq!(cache("/rill-md_bg.wasm").await, (200, no_cache));
    assert_eq!(cache("/missing-0123456789abcdef.js").await, (404, None));
    let _ = std::fs::remove_dir_all(&dist);
}

/// `./x dist` writes `FILE.gz` and `FILE.br` beside the app's files: a browser that accepts
/// them gets the compressed bytes with `Content-Encoding` (and `Vary`, for caches), keeping
/// the file's own type and cache policy; one that does not gets the file.
#[tokio::test]
async fn precompressed_files_are_sent_to_browsers_that_accept_them() {
    let dist = std::env::temp_dir().join(format!("rill-static-gz-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist).expect("dist");
    for (name, body) in [
        ("index.html", "<!doctype html>"),
        ("rill-chat_bg.wasm", "\0asm plain"),
        ("rill-chat_bg.wasm.gz", "gzip bytes"),
        ("rill-chat_bg.wasm.br", "brotli bytes"),
    ] {
        std::fs::write(dist.join(name), body).expect("write");
    }
    let (addr, _) = start(Config {
        dist: Some(dist.clone()),
        ..Config::default()
    })
    .await;
    let fetch = |accept: &'static str| async move {
        let req = format!(
            "GET /rill-chat_bg.wasm HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: {accept}\r\nConnection: close\r\n\r\n"
        );
        let r = send(addr, req.as_bytes(), |_| false).await;
        let header = |n: &str| r.header(n).unwrap_or_default().to_owned();
        (
            r.text(),
            header("content-encoding"),
            header("content-type"),
            header("cache-control"),
            header("vary"),
        )
    };
    let (body, encoding, kind, cache, vary) = fetch("gzip, deflate, br, zstd").await;
    assert_eq!((body.as_str(), encoding.as_str()), ("brotli bytes", "br"));
    assert_eq!(
        (kind.as_str(), cache.as_str()),
        ("application/wasm", "no-cache")
    );
    assert!(
        vary.to_ascii_lowercase().contains("accept-encoding"),
        "{vary}"
    );
    let (body, encoding, ..) = fetch("gzip").await;
    assert_eq!((body.as_str(), encoding.as_str()), ("gzip bytes", "gzip"));
    let (body, encoding, ..) = fetch("identity").await;
    assert_eq!((body.as_str(), encoding.as_str()), ("\0asm plain", ""));
    let _ = std::fs::remove_dir_all(&dist);
}
