//! The built app's files (`--dist`): content-hashed assets are cached for good, fixed names
//! (the page, the markdown module) are revalidated, unknown paths are 404 without caching.

mod support;

use rill_server::Config;
use support::{get, start};

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
