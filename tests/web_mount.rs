//! Browser test (wasm-bindgen-test in headless Chromium) of the library's inline mount,
//! `rill::mount_chat`: the chat in a host page's element, and nothing of the host touched.
#![cfg(target_arch = "wasm32")]

use rill::config::{Config, ConfigFile};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// Lets the reactive system and the browser run queued work (effects, microtasks).
async fn settle() {
    gloo_timers::future::TimeoutFuture::new(50).await;
}

#[wasm_bindgen_test]
async fn mount_chat_renders_in_the_element_and_unmount_removes_everything() {
    let doc = document();
    let host = doc
        .create_element("div")
        .expect("div")
        .dyn_into::<web_sys::HtmlElement>()
        .expect("an html element");
    host.set_id("host-box");
    doc.body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    let html = doc.document_element().expect("html");
    let html_before = (html.get_attribute("lang"), html.get_attribute("data-theme"));
    let title_before = doc.title();
    let url_before = web_sys::window().expect("window").location().href().ok();

    let config = Config::from_sources(
        &ConfigFile::Text(
            r##"{"endpoint": "http://127.0.0.1:9/v1/chat/completions", "format": "openai",
                "title": "Help desk", "theme": "dark", "lang": "zh", "accent": "#aa3300"}"##
                .to_string(),
        ),
        "",
    );
    assert!(config.problems.is_empty(), "{:?}", config.problems);
    let handle = rill::mount_chat(host.clone(), config);
    settle().await;

    let root = host
        .query_selector(".rill.rill-inline")
        .ok()
        .flatten()
        .expect("the chat's own root inside the host's element");
    assert_eq!(root.get_attribute("data-theme").as_deref(), Some("dark"));
    assert_eq!(root.get_attribute("lang").as_deref(), Some("zh-CN"));
    let style = root.get_attribute("style").unwrap_or_default();
    assert!(
        style.contains("--rill-accent"),
        "accent set by CSSOM: {style}"
    );
    for hook in ["chat-input", "chat-send"] {
        assert!(
            host.query_selector(&format!("[data-testid=\"{hook}\"]"))
                .ok()
                .flatten()
                .is_some(),
            "{hook} inside the host's element"
        );
    }
    // The operator's endpoint: no link banner.
    assert!(host
        .query_selector("[data-testid=\"chat-endpoint-banner\"]")
        .ok()
        .flatten()
        .is_none());
    // Nothing outside the element changed: no header, no <html> attributes, title or URL.
    assert!(doc.query_selector(".rill-header").ok().flatten().is_none());
    assert_eq!(
        (html.get_attribute("lang"), html.get_attribute("data-theme")),
        html_before
    );
    assert_eq!(doc.title(), title_before);
    assert_eq!(
        web_sys::window().expect("window").location().href().ok(),
        url_before
    );

    handle.unmount();
    settle().await;
    assert_eq!(
        host.child_element_count(),
        0,
        "unmount leaves the element empty"
    );
    host.remove();
}
