//! One message: its text (markdown for replies, plain text for the user's), its end state,
//! and the actions that fit it (copy, edit, regenerate, continue, retry, and the switcher
//! between its versions when it has some).

use leptos::prelude::*;

use super::controller::{ChatCtx, Row};
use super::markdown_body::MarkdownBody;
use super::reply_extras::{ReasoningBlock, ReplyFooter};
use super::version_switcher::VersionSwitcher;
use crate::browser;
use crate::chat::conversation::{MessageState, Role};
use crate::i18n::strings;

/// A message in the log. `is_last` marks the conversation's last message.
#[component]
pub fn MessageView(row: Row, ctx: ChatCtx, #[prop(into)] is_last: Signal<bool>) -> impl IntoView {
    let t = move || strings(ctx.lang.get());
    let state = row.state;
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    // What the DOM shows: for replies, the state once the markdown is rendered up to it (a
    // reply from history too: its end state waits until the markdown module rendered it).
    let shown = RwSignal::new(match row.role {
        Role::Assistant => MessageState::Streaming,
        _ => state.get_untracked(),
    });
    let who = move || match row.role {
        Role::User => t().chat_you,
        Role::Assistant => t().chat_assistant,
        Role::System => t().chat_system,
    };
    let body = move || {
        match row.role {
        Role::Assistant => view! {
            <MarkdownBody content=row.content state=state shown=shown ctx=ctx copy_label=Signal::derive(move || t().chat_copy_code) />
        }
        .into_any(),
        _ => view! { <div class="rill-user-text">{move || row.content.get()}</div> }.into_any(),
    }
    };
    let state_note = move || match state.get() {
        MessageState::Stopped => Some(t().chat_state_stopped),
        MessageState::Interrupted => Some(t().chat_state_interrupted),
        _ => None,
    };
    let idle = move || ctx.streaming.get().is_none();
    // The stall notice of this reply while it streams (`reply_watch`).
    let stalled = move || {
        (ctx.streaming.get() == Some(row.id))
            .then(|| ctx.watch.stalled.get())
            .flatten()
    };
    // Seconds before this reply's Retry may ask again (the server's `Retry-After`).
    let retry_left = move || {
        ctx.watch
            .retry_left
            .get()
            .and_then(|(id, secs)| (id == row.id).then_some(secs))
    };
    let save_edit = move || {
        let text = draft.get_untracked();
        editing.set(false);
        ctx.edit(row.id, &text);
    };

    view! {
        <article class="rill-msg" data-role=row.role.as_str() aria-label=who>
            <div class="rill-msg-who" aria-hidden="true">{who}</div>
            {(row.role == Role::Assistant).then(|| view! { <ReasoningBlock row=row ctx=ctx /> })}
            <Show
                when=move || editing.get()
                fallback=move || {
                    view! {
                        <div
                            class="rill-msg-body"
                            data-testid="message"
                            data-role=row.role.as_str()
                            data-state=move || {
                                if row.role == Role::Assistant { shown.get().as_str() } else { state.get().as_str() }
                            }
                            data-id=row.id
                        >
                            {body()}
                        </div>
                    }
                }
            >
                <form
                    class="rill-edit"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        save_edit();
                    }
                >
                    <textarea
                        class="rill-textarea"
                        data-testid="message-edit-input"
                        aria-label=move || t().chat_edit
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Escape" {
                                ev.stop_propagation();
                                editing.set(false);
                            } else if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                                ev.prevent_default();
                                save_edit();
                            }
                        }
                    ></textarea>
                    <div class="rill-msg-actions">
                        <button type="submit" class="rill-btn rill-btn-primary" data-testid="message-edit-save">
                            {move || t().chat_edit_send}
                        </button>
                        <button type="button" class="rill-btn" on:click=move |_| editing.set(false)>
                            {move || t().chat_cancel}
                        </button>
                    </div>
                </form>
            </Show>
            {(row.role == Role::Assistant).then(|| view! { <ReplyFooter row=row ctx=ctx /> })}
            {move || state_note().map(|note| view! { <p class="rill-msg-note">{note}</p> })}
            {move || {
                stalled()
                    .map(|secs| {
                        view! {
                            <div class="rill-msg-stalled" role="status" data-testid="reply-stalled">
                                <p>{move || format!("{} {secs} {}", t().chat_stalled, t().chat_seconds)}</p>
                                <div class="rill-msg-actions">
                                    <button
                                        type="button"
                                        class="rill-btn rill-btn-small"
                                        data-testid="reply-keep-waiting"
                                        on:click=move |_| ctx.watch.keep_waiting()
                                    >
                                        {move || t().chat_keep_waiting}
                                    </button>
                                    <button
                                        type="button"
                                        class="rill-btn rill-btn-small"
                                        data-testid="reply-stop"
                                        on:click=move |_| ctx.stop()
                                    >
                                        {move || t().chat_stop}
                                    </button>
                                </div>
                            </div>
                        }
                    })
            }}
            {move || {
                row.error
                    .get()
                    .map(|e| view! { <p class="rill-msg-error" role="alert" data-testid="message-error">{e}</p> })
            }}
            {move || {
                row.warning
                    .get()
                    .map(|w| view! { <p class="rill-msg-warning" data-testid="message-warning">{w}</p> })
            }}
            <div class="rill-msg-actions" hidden=move || editing.get()>
                {(row.versions.1 > 1).then(|| view! { <VersionSwitcher row=row ctx=ctx /> })}
                <button
                    type="button"
                    class="rill-btn rill-btn-small rill-btn-ghost"
                    data-testid="message-copy"
                    on:click=move |_| browser::copy_text(&row.content.get_untracked())
                >
                    {move || t().chat_copy}
                </button>
                {(row.role == Role::User)
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="rill-btn rill-btn-small rill-btn-ghost"
                                data-testid="message-edit"
                                on:click=move |_| {
                                    draft.set(row.content.get_untracked());
                                    editing.set(true);
                                }
                            >
                                {move || t().chat_edit}
                            </button>
                        }
                    })}
                {(row.role == Role::Assistant)
                    .then(|| {
                        view! {
                            <Show when=move || {
                                idle() && is_last.get()
                                    && matches!(state.get(), MessageState::Interrupted | MessageState::Stopped)
                            }>
                                <button
                                    type="button"
                                    class="rill-btn rill-btn-small"
                                    data-testid="message-continue"
                                    on:click=move |_| ctx.continue_reply(row.id)
                                >
                                    {move || t().chat_continue}
                                </button>
                            </Show>
                            <Show when=move || idle() && is_last.get()>
                                <button
                                    type="button"
                                    class="rill-btn rill-btn-small"
                                    data-testid="message-regenerate"
                                    disabled=move || retry_left().is_some()
                                    on:click=move |_| ctx.regenerate()
                                >
                                    {move || {
                                        if matches!(state.get(), MessageState::Done) {
                                            t().chat_regenerate
                                        } else {
                                            t().chat_retry
                                        }
                                    }}
                                    {move || {
                                        retry_left()
                                            .map(|secs| {
                                                view! {
                                                    <span class="rill-retry-wait" data-testid="retry-countdown" data-secs=secs>
                                                        {move || format!(" {} {secs} {}", t().chat_retry_in, t().chat_seconds)}
                                                    </span>
                                                }
                                            })
                                    }}
                                </button>
                            </Show>
                        }
                    })}
            </div>
        </article>
    }
}
