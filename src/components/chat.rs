//! The chat view. Streaming chat arrives with its own issue; until then this says so.

use leptos::prelude::*;

use crate::config::with_param;
use crate::i18n::{strings, Lang};

/// Placeholder for the chat view.
#[component]
pub fn ChatPlaceholder(lang: Signal<Lang>) -> impl IntoView {
    let clock_href = with_param(&crate::browser::location_search(), "view", "clock");
    view! {
        <section class="rill-card rill-placeholder" data-testid="chat-placeholder">
            <h1>{move || strings(lang.get()).placeholder_title}</h1>
            <p>{move || strings(lang.get()).placeholder_body}</p>
            <p>
                <a href=clock_href>{move || strings(lang.get()).placeholder_try_clock}</a>
            </p>
        </section>
    }
}
