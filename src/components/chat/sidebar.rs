//! The conversation list: new, search, select, rename, delete, and import/export.
//!
//! On a wide screen it is the chat's sidebar; on a narrow one (≤ 760 px, `chat.css`) it is a
//! drawer that `ChatView` opens from its "Chats" button (`open`). Choosing or creating a
//! conversation closes the drawer.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::controller::ChatCtx;
use crate::browser;
use crate::i18n::strings;

/// The element id of the list, for the button that opens it (`aria-controls`).
pub const LIST_ID: &str = "rill-chat-list";

/// The list of conversations; `open` is whether it is shown as a drawer (narrow screens).
#[component]
pub fn Sidebar(ctx: ChatCtx, open: RwSignal<bool>, first: NodeRef<html::Button>) -> impl IntoView {
    let t = move || strings(ctx.lang.get());
    let query = RwSignal::new(String::new());
    let renaming = RwSignal::new(None::<String>);
    let rename_text = RwSignal::new(String::new());
    let items = move || ctx.list(&query.get());

    let on_import = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                ctx.import(&text.as_string().unwrap_or_default());
            }
        });
    };

    view! {
        <aside class="rill-side" id=LIST_ID aria-label=move || t().chat_conversations>
            // Only in the drawer (narrow screens): its name and a way out for touch.
            <div class="rill-side-head">
                <span class="rill-side-heading" aria-hidden="true">{move || t().chat_conversations}</span>
                <button
                    type="button"
                    class="rill-icon-btn rill-side-close"
                    data-testid="chat-list-close"
                    title=move || t().chat_list_close
                    aria-label=move || t().chat_list_close
                    on:click=move |_| open.set(false)
                >
                    "×"
                </button>
            </div>
            <button
                type="button"
                class="rill-btn rill-btn-primary rill-side-new"
                data-testid="chat-new"
                node_ref=first
                on:click=move |_| {
                    ctx.new_conversation();
                    open.set(false);
                }
            >
                {move || t().chat_new}
            </button>
            <input
                type="search"
                class="rill-input"
                data-testid="chat-search"
                placeholder=move || t().chat_search
                aria-label=move || t().chat_search
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
            />
            <ul class="rill-side-list" data-testid="chat-list">
                // Rebuilt whole when the list changes (new, rename, delete, a search): tens
                // of items, and no keyed list code in the page for it.
                {move || items().into_iter().map(move |(id, title)| {
                        let current = {
                            let id = id.clone();
                            move || ctx.current.get().as_deref() == Some(id.as_str())
                        };
                        let is_renaming = {
                            let id = id.clone();
                            move || renaming.get().as_deref() == Some(id.as_str())
                        };
                        let (select_id, rename_id, delete_id, save_id) = (id.clone(), id.clone(), id.clone(), id.clone());
                        let label = if title.is_empty() { None } else { Some(title.clone()) };
                        let current_for_title = current.clone();
                        let start_title = title.clone();
                        view! {
                            <li class="rill-side-item" class:rill-current=current.clone() data-testid="chat-list-item">
                                <Show
                                    when=is_renaming
                                    fallback=move || {
                                        let select_id = select_id.clone();
                                        let label = label.clone();
                                        let current = current_for_title.clone();
                                        view! {
                                            <button
                                                type="button"
                                                class="rill-side-title"
                                                aria-current=move || current().then_some("true")
                                                on:click=move |_| {
                                                    ctx.select(&select_id);
                                                    open.set(false);
                                                }
                                            >
                                                {label.unwrap_or_else(|| t().chat_untitled.to_string())}
                                            </button>
                                        }
                                    }
                                >
                                    {
                                        let save_id = save_id.clone();
                                        view! {
                                            <form
                                                class="rill-side-rename"
                                                on:submit=move |ev| {
                                                    ev.prevent_default();
                                                    ctx.rename(&save_id, &rename_text.get_untracked());
                                                    renaming.set(None);
                                                }
                                            >
                                                <input
                                                    class="rill-input"
                                                    data-testid="chat-rename-input"
                                                    aria-label=move || t().chat_rename
                                                    prop:value=move || rename_text.get()
                                                    on:input=move |ev| rename_text.set(event_target_value(&ev))
                                                />
                                            </form>
                                        }
                                    }
                                </Show>
                                <button
                                    type="button"
                                    class="rill-icon-btn"
                                    data-testid="chat-rename"
                                    title=move || t().chat_rename
                                    aria-label=move || t().chat_rename
                                    on:click=move |_| {
                                        rename_text.set(start_title.clone());
                                        renaming.set(Some(rename_id.clone()));
                                    }
                                >
                                    "✎"
                                </button>
                                <button
                                    type="button"
                                    class="rill-icon-btn"
                                    data-testid="chat-delete"
                                    title=move || t().chat_delete
                                    aria-label=move || t().chat_delete
                                    on:click=move |_| ctx.delete(&delete_id)
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }).collect_view()}
            </ul>
            <div class="rill-side-tools">
                <button
                    type="button"
                    class="rill-btn rill-btn-small"
                    data-testid="chat-export-md"
                    on:click=move |_| {
                        if let Some((name, text)) = ctx.export_markdown() {
                            browser::download(&name, "text/markdown;charset=utf-8", &text);
                        }
                    }
                >
                    {move || t().chat_export_md}
                </button>
                <button
                    type="button"
                    class="rill-btn rill-btn-small"
                    data-testid="chat-export-json"
                    on:click=move |_| browser::download("rill-chats.json", "application/json", &ctx.export_json())
                >
                    {move || t().chat_export_json}
                </button>
                <label class="rill-btn rill-btn-small rill-file">
                    {move || t().chat_import}
                    <input type="file" accept="application/json,.json" data-testid="chat-import" on:change=on_import />
                </label>
            </div>
        </aside>
    }
}
