//! The shell: header with navigation, language and theme switches, and the view switch.
//!
//! It owns the app-wide signals (language, theme, current view) and keeps the page URL in
//! step with the view, so a link or a reload opens the same view.
//!
//! The app ships as two wasm bundles built from this one library (see [`Views`]): the chat,
//! and the feed views (clock and inspector). Each renders its own views in place; a link to
//! a view of the other bundle loads the page again, and the loader in `index.html` starts
//! the bundle that has the view the URL names.

use leptos::html;
use leptos::prelude::*;

use crate::browser;
use crate::components::{chat::ChatView, clock::ClockView, inspect::InspectView};
use crate::config::{with_param, Config, Theme, View};
use crate::i18n::{strings, Lang};

const LANG_KEY: &str = "rill.lang";
const THEME_KEY: &str = "rill.theme";

/// The views one bundle contains, and how it renders them.
#[derive(Clone, Copy)]
pub struct Views {
    /// Whether this bundle renders `view` (otherwise a link to it loads the page again).
    pub has: fn(View) -> bool,
    /// Renders one of this bundle's views.
    pub render: fn(View, &Config, Signal<Lang>) -> AnyView,
}

impl Views {
    /// The chat bundle (`rill-chat`): `view=chat`, and the default view.
    pub const CHAT: Views = Views {
        has: |v| v == View::Chat,
        render: |_, config, lang| view! { <ChatView config=config.clone() lang=lang /> }.into_any(),
    };

    /// The feed bundle (`rill-feed`): `view=clock` and `view=inspect`.
    pub const FEED: Views = Views {
        has: |v| v != View::Chat,
        render: |v, config, lang| {
            match v {
            View::Inspect => view! { <InspectView stream=config.stream.clone() transport=config.transport replay=config.replay.clone() replay_fast=config.replay_fast lang=lang /> }.into_any(),
            _ => view! { <ClockView stream=config.stream.clone() transport=config.transport stall_secs=config.stall_secs replay=config.replay.clone() replay_fast=config.replay_fast lang=lang /> }
                .into_any(),
        }
        },
    };
}

/// The whole app, with the views of one bundle.
#[component]
pub fn App(config: Config, views: Views) -> impl IntoView {
    let lang = RwSignal::new(config.lang.unwrap_or_else(|| {
        browser::storage_get(LANG_KEY)
            .and_then(|s| Lang::parse(&s))
            .unwrap_or_else(|| {
                let langs = browser::languages();
                Lang::from_browser(langs.iter().map(String::as_str))
            })
    }));
    let dark = RwSignal::new(match config.theme {
        Theme::Dark => true,
        Theme::Light => false,
        Theme::System => browser::storage_get(THEME_KEY)
            .and_then(|s| Theme::parse(&s))
            .map(|t| t == Theme::Dark)
            .unwrap_or_else(browser::prefers_dark),
    });
    let view = RwSignal::new(config.view);
    let warnings = config.warnings.clone();
    let problems = config.problems.clone();
    let title = config.title.clone();
    // Widget mode (embed.js's iframe): `.rill[data-embed]` shows the chat alone (chat.css).
    let embed = config.embed.then_some("");
    if let (Some(title), Some(doc)) = (&title, web_sys::window().and_then(|w| w.document())) {
        doc.set_title(title);
    }
    // The accent colour is a custom property on the app root, set through CSSOM: the page
    // runs under `style-src 'self'`, which refuses style attributes but not `setProperty`.
    let root = NodeRef::<html::Div>::new();
    let accent = config.accent.clone();
    Effect::new(move |_| {
        if let (Some(el), Some(accent)) = (root.get(), &accent) {
            browser::set_style_property(&el, "--rill-accent", &accent.css());
            browser::set_style_property(&el, "--rill-accent-text", accent.text_css());
        }
    });

    // Keep <html lang> and the colour scheme in step, for screen readers and form controls.
    Effect::new(move |_| {
        let tag = lang.get().as_str();
        let theme = if dark.get() { "dark" } else { "light" };
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", tag);
            let _ = root.set_attribute("data-theme", theme);
        }
    });

    // Back and forward buttons change the URL: follow them (loading the page again when the
    // view is in the other bundle).
    let site = config.clone();
    let popstate = window_event_listener(leptos::ev::popstate, move |_| {
        let next = site.view_for(&browser::location_search());
        if (views.has)(next) {
            view.set(next);
        } else {
            browser::reload();
        }
    });
    on_cleanup(move || popstate.remove());

    let switch_lang = move |_| {
        let next = lang.get_untracked().other();
        lang.set(next);
        browser::storage_set(LANG_KEY, next.as_str());
    };
    let toggle_theme = move |_| {
        let next = !dark.get_untracked();
        dark.set(next);
        browser::storage_set(THEME_KEY, if next { "dark" } else { "light" });
    };

    let nav_item = move |target: View| {
        let label = move || {
            let t = strings(lang.get());
            match target {
                View::Chat => t.view_chat,
                View::Clock => t.view_clock,
                View::Inspect => t.view_inspect,
            }
        };
        let href = with_param(&browser::location_search(), "view", target.as_str());
        let go = move |ev: leptos::ev::MouseEvent| {
            // Plain clicks switch in place; modified clicks open a tab as links should, and a
            // view of the other bundle is loaded by following the link.
            if ev.ctrl_key()
                || ev.meta_key()
                || ev.shift_key()
                || ev.button() != 0
                || !(views.has)(target)
            {
                return;
            }
            ev.prevent_default();
            let query = with_param(&browser::location_search(), "view", target.as_str());
            browser::push_query(&query);
            view.set(target);
        };
        view! {
            <a
                class="rill-nav-link"
                href=href
                data-testid=format!("nav-{}", target.as_str())
                aria-current=move || (view.get() == target).then_some("page")
                on:click=go
            >
                {label}
            </a>
        }
    };

    view! {
        <div class="rill" node_ref=root data-embed=embed data-theme=move || if dark.get() { "dark" } else { "light" }>
            <a class="rill-skip" href="#rill-main">"Skip to content"</a>
            <header class="rill-header">
                <div class="rill-brand">
                    <span class="rill-logo" aria-hidden="true">"≋"</span>
                    <span class="rill-name" data-testid="app-title">
                        {title.unwrap_or_else(|| "rill".to_string())}
                    </span>
                    <span class="rill-tagline">{move || strings(lang.get()).app_tagline}</span>
                </div>
                <nav class="rill-nav" aria-label=move || strings(lang.get()).nav_label>
                    {View::ALL.into_iter().map(nav_item).collect_view()}
                </nav>
                <div class="rill-tools">
                    <button
                        type="button"
                        class="rill-btn rill-btn-ghost"
                        data-testid="lang-switch"
                        lang=move || lang.get().other().as_str()
                        on:click=switch_lang
                    >
                        {move || strings(lang.get()).lang_switch}
                    </button>
                    <button
                        type="button"
                        class="rill-btn rill-btn-ghost rill-theme-toggle"
                        data-testid="theme-toggle"
                        // The name holds the visible theme name (a label without it fails
                        // WCAG 2.5.3, axe's label-content-name-mismatch), and it says the
                        // state, so there is no aria-pressed that would contradict it.
                        aria-label=move || {
                            let t = strings(lang.get());
                            let name = if dark.get() { t.theme_dark } else { t.theme_light };
                            let colon = if lang.get() == Lang::Zh { "：" } else { ": " };
                            format!("{}{colon}{name}", t.theme_toggle)
                        }
                        on:click=toggle_theme
                    >
                        <span aria-hidden="true">{move || if dark.get() { "☾" } else { "☀" }}</span>
                        <span class="rill-theme-name">
                            {move || {
                                let t = strings(lang.get());
                                if dark.get() { t.theme_dark } else { t.theme_light }
                            }}
                        </span>
                    </button>
                </div>
            </header>
            // A broken config.json is said out loud (the app runs on with defaults for the
            // fields it names), never a blank page.
            {(!problems.is_empty())
                .then(|| {
                    view! {
                        <div class="rill-warnings rill-config-error" role="alert" data-testid="config-error">
                            <p>{move || strings(lang.get()).config_error}</p>
                            <ul>
                                {problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}
                            </ul>
                        </div>
                    }
                })}
            {(!warnings.is_empty())
                .then(|| {
                    view! {
                        <div class="rill-warnings" role="status">
                            {warnings.iter().map(|w| view! { <p>{w.clone()}</p> }).collect_view()}
                        </div>
                    }
                })}
            <main id="rill-main" class="rill-main" tabindex="-1">
                {move || {
                    let v = view.get();
                    if (views.has)(v) {
                        (views.render)(v, &config, lang.into())
                    } else {
                        // Only if the loader and `Config` ever disagree on the view: a way on.
                        let href = with_param(&browser::location_search(), "view", v.as_str());
                        view! { <p class="rill-card"><a href=href>{v.as_str()}</a></p> }.into_any()
                    }
                }}
            </main>
        </div>
    }
}
