//! The chat settings: format, endpoint, model (with the endpoint's list), system prompt,
//! temperature and the API key for the endpoint's origin. Changes apply to the next request
//! and are saved at once (a key in the keyring, under the origin it was typed for).

use leptos::prelude::*;

use super::controller::ChatCtx;
use crate::chat::format::ChatFormat;
use crate::i18n::strings;

/// Settings form.
#[component]
pub fn SettingsPanel(ctx: ChatCtx) -> impl IntoView {
    let t = move || strings(ctx.lang.get());
    let s = ctx.settings;
    let set = move |f: &dyn Fn(&mut crate::chat::settings::ChatSettings)| {
        s.update(|v| f(v));
        ctx.save_settings();
    };
    let key_error = RwSignal::new(None::<crate::chat::keys::KeyError>);
    Effect::new(move |_| {
        s.with(|v| (v.format, v.endpoint.clone(), v.confirmed));
        // A new key may open a list that needed one.
        let _ = ctx.current_key();
        ctx.load_models();
    });
    view! {
        <form class="rill-settings rill-card" data-testid="chat-settings" on:submit=|ev| ev.prevent_default()>
            <label>
                <span>{move || t().chat_format}</span>
                <select
                    class="rill-select"
                    data-testid="chat-format"
                    prop:value=move || s.with(|v| v.format.as_str())
                    on:change=move |ev| {
                        if let Some(format) = ChatFormat::parse(&event_target_value(&ev)) {
                            set(&|v| {
                                if v.endpoint == v.format.default_endpoint() {
                                    v.endpoint = format.default_endpoint().to_string();
                                }
                                v.format = format;
                                v.adopt();
                            });
                        }
                    }
                >
                    <option value="openai">"OpenAI-compatible (SSE)"</option>
                    <option value="ollama">"Ollama (NDJSON)"</option>
                    <option value="summary">"Summary (EventSource GET)"</option>
                    <option value="anthropic">"Anthropic Messages (SSE)"</option>
                    <option value="responses">"OpenAI Responses (SSE)"</option>
                </select>
            </label>
            <label>
                <span>{move || t().chat_model}</span>
                <input
                    class="rill-input"
                    data-testid="chat-model"
                    list="rill-models"
                    spellcheck="false"
                    prop:value=move || s.with(|v| v.model.clone())
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        set(&|v| v.model = value.trim().to_string());
                    }
                />
                <datalist id="rill-models">
                    // Rebuilt whole when the list arrives: a handful of options, and no keyed
                    // list code in the page for it.
                    {move || {
                        ctx.models
                            .get()
                            .into_iter()
                            .map(|m| view! { <option value=m></option> })
                            .collect_view()
                    }}
                </datalist>
            </label>
            <label>
                <span>{move || t().chat_temperature}</span>
                <input
                    class="rill-input"
                    type="number"
                    min="0"
                    max="2"
                    step="0.1"
                    data-testid="chat-temperature"
                    placeholder=move || t().chat_default
                    prop:value=move || s.with(|v| v.temperature.map(crate::json::number_text).unwrap_or_default())
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        let parsed = crate::browser::parse_number(&value).map(|t| t.clamp(0.0, 2.0));
                        set(&|v| v.temperature = parsed);
                    }
                />
            </label>
            // After format, model and temperature, which share a row on a wide screen (the
            // endpoint takes a row of its own there, and the open panel stays short).
            <label class="rill-settings-wide">
                <span>{move || t().chat_endpoint}</span>
                <input
                    class="rill-input"
                    data-testid="chat-endpoint"
                    spellcheck="false"
                    prop:value=move || s.with(|v| v.endpoint.clone())
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        set(&|v| {
                            v.endpoint = value.trim().to_string();
                            v.adopt();
                        });
                    }
                />
            </label>
            <label class="rill-settings-wide">
                <span>{move || t().chat_system_prompt}</span>
                <textarea
                    class="rill-textarea"
                    rows="2"
                    data-testid="chat-system"
                    prop:value=move || s.with(|v| v.system.clone())
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        set(&|v| v.system = value.clone());
                    }
                ></textarea>
            </label>
            <label class="rill-settings-wide">
                <span>{move || format!("{} {}", t().chat_api_key_for, ctx.endpoint_host())}</span>
                <input
                    class="rill-input"
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    data-testid="chat-api-key"
                    placeholder=move || {
                        if ctx.endpoint_pending() { t().chat_api_key_pending } else { t().chat_api_key_hint }
                    }
                    disabled=move || ctx.endpoint_pending()
                    aria-invalid=move || key_error.get().is_some().to_string()
                    prop:value=move || ctx.current_key()
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        key_error.set(ctx.set_key(value.trim()).err());
                    }
                />
                {move || {
                    key_error
                        .get()
                        .map(|e| {
                            let text = match e {
                                crate::chat::keys::KeyError::BadChar => t().chat_api_key_bad_char,
                                crate::chat::keys::KeyError::TooLong => t().chat_api_key_too_long,
                            };
                            view! {
                                <span class="rill-field-error" role="alert" data-testid="chat-api-key-error">
                                    {text}
                                </span>
                            }
                        })
                }}
            </label>
        </form>
    }
}
