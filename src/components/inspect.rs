//! The stream inspector view. It arrives with the SSE core; until then this says so.

use leptos::prelude::*;

use crate::i18n::{feed_strings, Lang};

/// Placeholder for the inspect view.
#[component]
pub fn InspectPlaceholder(lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="rill-card rill-placeholder" data-testid="inspect-placeholder">
            <h1>{move || feed_strings(lang.get()).placeholder_title}</h1>
            <p>{move || feed_strings(lang.get()).placeholder_body}</p>
            <p>
                <a href=crate::config::with_param(&crate::browser::location_search(), "view", "clock")>
                    {move || feed_strings(lang.get()).placeholder_try_clock}
                </a>
            </p>
        </section>
    }
}
