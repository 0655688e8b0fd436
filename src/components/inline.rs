//! The chat mounted inline in a host page's element ([`crate::mount_chat`]): the chat view
//! alone, in its own `.rill` root (the design tokens and every rule are scoped to it), with
//! none of the page shell's work — no header or navigation, no `<html>` attributes, no page
//! title, no history entries, no reading or rewriting of the host page's URL.

use leptos::html;
use leptos::prelude::*;

use crate::browser;
use crate::components::chat::ChatView;
use crate::config::{Config, Theme};
use crate::i18n::Lang;

/// The chat view in a root of its own, themed and in the language the host asked for
/// (`theme` and `lang` of its config; else the reader's system theme and browser language).
#[component]
pub fn InlineChat(config: Config) -> impl IntoView {
    let lang = config.lang.unwrap_or_else(|| {
        let langs = browser::languages();
        Lang::from_browser(langs.iter().map(String::as_str))
    });
    let dark = match config.theme {
        Theme::Dark => true,
        Theme::Light => false,
        Theme::System => browser::prefers_dark(),
    };
    let root = NodeRef::<html::Div>::new();
    let accent = config.accent.clone();
    Effect::new(move |_| {
        if let (Some(el), Some(accent)) = (root.get(), &accent) {
            browser::set_style_property(&el, "--rill-accent", &accent.css());
            browser::set_style_property(&el, "--rill-accent-text", accent.text_css());
        }
    });
    view! {
        <div class="rill rill-inline" node_ref=root lang=lang.as_str()
            data-theme=if dark { "dark" } else { "light" } data-testid="rill-inline">
            <ChatView config=config lang=Signal::stored(lang) />
        </div>
    }
}
