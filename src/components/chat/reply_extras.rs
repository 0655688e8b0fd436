//! What a reply shows besides its answer: the model's reasoning (a collapsible block before
//! the answer, open while the model thinks, closed once the answer starts), its tool calls
//! (cards: the function's name and its arguments, pretty-printed), and its usage line (time
//! to first token, tokens/s, input and output tokens). All of it is text nodes.

use leptos::prelude::*;

use super::controller::{ChatCtx, Row};
use crate::chat::conversation::MessageState;
use crate::i18n::{strings, thought_for, usage_summary};

/// The reasoning block, when the reply has reasoning (outside the `message` element, whose
/// text stays the answer alone).
#[component]
pub fn ReasoningBlock(row: Row, ctx: ChatCtx) -> impl IntoView {
    let t = move || strings(ctx.lang.get());
    let has = move || row.extras.with(|x| !x.reasoning.is_empty());
    let answering = move || row.content.with(|c| !c.is_empty());
    let thinking = move || row.state.get() == MessageState::Streaming && !answering();
    // Open while the model thinks; closed by itself when the answer starts. The reader's
    // own toggles win from then on.
    let open = RwSignal::new(thinking());
    Effect::new(move |was: Option<bool>| {
        let now = thinking();
        if was.is_some_and(|was| was != now) {
            open.set(now);
        }
        now
    });
    let title = move || {
        let thought = row.extras.with(|x| x.thought_ms);
        match thought {
            _ if thinking() => t().chat_thinking.to_string(),
            Some(ms) => thought_for(ctx.lang.get(), ms),
            None => t().chat_reasoning.to_string(),
        }
    };
    view! {
        <Show when=has>
            <details
                class="rill-reasoning"
                data-testid="message-reasoning"
                data-thinking=move || thinking().to_string()
                prop:open=move || open.get()
                on:toggle=move |ev| {
                    use wasm_bindgen::JsCast;
                    if let Some(el) = ev
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok())
                    {
                        if el.open() != open.get_untracked() {
                            open.set(el.open());
                        }
                    }
                }
            >
                <summary>{title}</summary>
                <div class="rill-reasoning-text">{move || row.extras.with(|x| x.reasoning.clone())}</div>
            </details>
        </Show>
    }
}

/// The reply's tool calls as cards, and its usage line once it ended.
#[component]
pub fn ReplyFooter(row: Row, ctx: ChatCtx) -> impl IntoView {
    let t = move || strings(ctx.lang.get());
    let tools = move || row.extras.with(|x| x.tools.clone());
    let usage = move || {
        if row.state.get() == MessageState::Streaming {
            return None;
        }
        row.extras.with(|x| {
            usage_summary(
                ctx.lang.get(),
                x.first_token_ms,
                x.tokens_per_s(),
                x.usage.input,
                x.usage.output,
            )
        })
    };
    view! {
        <For each=tools key=|call| call.index let:call>
            <div class="rill-tool" data-testid="message-tool-call">
                <div class="rill-tool-head">
                    <span class="rill-tool-label">{move || t().chat_tool_call}</span>
                    <code class="rill-tool-name">{call.name.clone()}</code>
                </div>
                <pre class="rill-tool-args">
                    {crate::json::pretty(&call.arguments).unwrap_or_else(|| call.arguments.clone())}
                </pre>
            </div>
        </For>
        {move || {
            usage()
                .map(|line| {
                    view! {
                        <p class="rill-msg-usage" data-testid="message-usage" aria-label=move || t().chat_usage>
                            {line}
                        </p>
                    }
                })
        }}
    }
}
