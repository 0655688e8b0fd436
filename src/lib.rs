//! rill: a Leptos/WebAssembly front-end for Server-Sent Events.
//!
//! Module map (see ARCHITECTURE.md for the invariants):
//! - [`config`]: the app's settings from URL parameters (pure).
//! - [`i18n`]: every user-visible string, English and 简体中文 (pure).
//! - [`json`]: the page's JSON value, parser and writer (pure).
//! - [`chat`]: conversations, chat wire formats, reading streamed replies (pure), storage.
//! - [`clock`]: the clock/feed view's state machine (pure).
//! - [`transport`]: stream events (pure) and the browser glue that produces them.
//! - [`browser`]: small owned handles over browser APIs (timers, location, storage).
//! - [`app`] and [`components`]: Leptos views; they render state and never parse wire data.
//!
//! Pure modules compile and are tested natively; only `transport::event_source`,
//! `browser` and the views call web-sys, and only at run time in a browser.

pub mod app;
pub mod browser;
pub mod chat;
pub mod clock;
pub mod components;
pub mod config;
pub mod i18n;
pub mod json;
pub mod transport;

/// Mounts the app with one bundle's views on `<body>`, configured from the page URL.
pub fn mount(views: app::Views) {
    let config = config::Config::from_query(&browser::location_search());
    leptos::mount::mount_to_body(
        move || leptos::view! { <app::App config=config.clone() views=views /> },
    );
}
