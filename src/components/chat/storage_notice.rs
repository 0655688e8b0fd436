//! The banner shown while saving is stopped to protect an unreadable saved library: it says
//! why and offers the library's raw text as a download (see `chat::store`).

use leptos::prelude::*;

use super::controller::ChatCtx;
use crate::i18n::strings;

/// Shown while `ctx.storage_blocked` holds a reason; an alert, since until it goes nothing
/// the user does in this tab is saved.
#[component]
pub fn StorageNotice(ctx: ChatCtx) -> impl IntoView {
    let t = move || strings(ctx.lang.get());
    move || {
        ctx.storage_blocked.get().map(|reason| {
            view! {
                <div class="rill-notice rill-storage-blocked" role="alert" data-testid="chat-storage-blocked">
                    <p>
                        {move || t().chat_storage_blocked}
                        " ("
                        <span data-testid="chat-storage-reason">{reason}</span>
                        ")"
                    </p>
                    <button
                        type="button"
                        class="rill-btn rill-btn-primary"
                        data-testid="chat-storage-download"
                        on:click=move |_| ctx.download_unreadable()
                    >
                        {move || t().chat_storage_download}
                    </button>
                </div>
            }
        })
    }
}
