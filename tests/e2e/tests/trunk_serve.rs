//! `trunk serve` from the repository root (`./x serve`, which `./x run` uses): the page built
//! from the top-level `index.html` starts, and Trunk's live reload works — a change to a
//! watched file rebuilds the app and the open page reloads by itself. (Minified, Trunk's
//! reload script kept its address placeholder and its socket never connected: no reload.)
//!
//! The test watches a scratch folder of its own (`--watch`), so it never touches the sources,
//! and serves into a scratch dist. The release build is the one `./x test` just made for the
//! other e2e tests (same flags, same target directory), so only wasm-bindgen and wasm-opt run.

use std::process::{Command, Stdio};
use std::time::Duration;

use rill_e2e::{free_port, poll, testid, workspace_root, Browser, Proc, TempDir};

/// A cold build of the app can take minutes on a small machine; a warm one seconds.
const BUILD: Duration = Duration::from_secs(600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trunk_serve_starts_the_app_and_live_reload_reloads_the_page() {
    let root = workspace_root();
    let scratch =
        TempDir(std::env::temp_dir().join(format!("rill-trunk-serve-{}", std::process::id())));
    let watched = scratch.0.join("watched");
    let dist = scratch.0.join("dist");
    std::fs::create_dir_all(&watched).expect("watched folder");
    std::fs::write(watched.join("touch.txt"), "0").expect("watched file");
    let port = free_port();
    let mut cmd = Command::new(root.join("x"));
    cmd.current_dir(&root)
        .arg("serve")
        .args(["--address", "127.0.0.1", "--port", &port.to_string()])
        .arg("--dist")
        .arg(&dist)
        .arg("--watch")
        .arg(&watched)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _trunk = Proc::spawn("trunk serve", cmd);
    let url = format!("http://127.0.0.1:{port}/?lang=en");

    poll("trunk serve to answer", BUILD, || async {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    })
    .await;
    let browser = Browser::start().await;
    browser.goto(&url).await;
    let input = testid("chat-input");
    poll("the chat from trunk serve", BUILD, || async {
        (browser.count(&input).await > 0).then_some(())
    })
    .await;
    // A mark on this page: gone once the page has loaded again.
    browser
        .js("window.__beforeReload = true; return true")
        .await;

    std::fs::write(watched.join("touch.txt"), "1").expect("change the watched file");
    poll("the page to reload after the rebuild", BUILD, || async {
        // While the page reloads a script may fail: ask again.
        let still = browser
            .client
            .execute("return window.__beforeReload === true", Vec::new())
            .await
            .ok()
            .and_then(|v| v.as_bool());
        (still == Some(false)).then_some(())
    })
    .await;
    poll("the chat after the reload", BUILD, || async {
        (browser.count(&input).await > 0).then_some(())
    })
    .await;
    browser.close().await;
}
