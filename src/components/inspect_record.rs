//! The inspector's record-and-replay card: save what was recorded (a JSON Lines file, see
//! `inspect::recording`), load a recording from a file, choose the replay's pace, and the
//! replay's state in words (`inspect-replay-state`, `data-state`). It shows and asks; the
//! inspector view (`components::inspect`) records, loads and plays.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::browser::Task;
use crate::i18n::{replay_strings, Lang, ReplayStrings};
use crate::transport::replay::ReplayFailure;

/// What the replay is doing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReplayState {
    #[default]
    Idle,
    Loading,
    Playing,
    /// Finished, with the events it gave.
    Done(u64),
    Failed(ReplayFailure),
}

impl ReplayState {
    /// The `data-state` value.
    pub fn as_str(&self) -> &'static str {
        match self {
            ReplayState::Idle => "idle",
            ReplayState::Loading => "loading",
            ReplayState::Playing => "playing",
            ReplayState::Done(_) => "done",
            ReplayState::Failed(_) => "failed",
        }
    }
}

/// The replay's state in words (empty when idle).
pub fn replay_line(state: &ReplayState, source: &str, t: &ReplayStrings) -> String {
    match state {
        ReplayState::Idle => String::new(),
        ReplayState::Loading => t.loading.to_string(),
        ReplayState::Playing => format!("{} {source}", t.playing),
        ReplayState::Done(events) => format!("{} {source} ({events})", t.done),
        ReplayState::Failed(f) => format!("{} {}", t.failed, failure_text(f, t)),
    }
}

fn failure_text(f: &ReplayFailure, t: &ReplayStrings) -> String {
    match f {
        ReplayFailure::NotSameOrigin => t.not_same_origin.to_string(),
        ReplayFailure::Status(s) => format!("{} {s}", t.http_status),
        ReplayFailure::Network(m) | ReplayFailure::Bad(m) => m.clone(),
    }
}

/// What the card says about the recording held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingInfo {
    /// "12.0 KB · 30 · 9.5 s"
    pub summary: String,
    pub cut: bool,
    /// Request headers left out of it.
    pub removed: Vec<String>,
}

/// The card.
#[component]
pub fn RecordPanel(
    lang: Signal<Lang>,
    /// The recording held (live or loaded), if any.
    info: Signal<Option<RecordingInfo>>,
    /// The inspector reads by fetch (EventSource shows no bytes to record).
    fetch_mode: Signal<bool>,
    fast: RwSignal<bool>,
    state: RwSignal<ReplayState>,
    /// Where the recording being played came from (a file name or URL).
    source: Signal<String>,
    on_save: Callback<()>,
    /// A chosen file's name and text.
    on_file: Callback<(String, String)>,
) -> impl IntoView {
    let t = move || replay_strings(lang.get());
    let reading = StoredValue::new_local(None::<Task>);
    on_cleanup(move || {
        reading.try_set_value(None);
    });
    let on_change = move |ev: leptos::ev::Event| {
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
        state.set(ReplayState::Loading);
        let name = file.name();
        reading.set_value(Some(Task::spawn(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            on_file.run((name, text));
        })));
    };
    view! {
        <section class="rill-card rill-inspect-record" aria-labelledby="inspect-record-title">
            <h2 id="inspect-record-title">{move || t().title}</h2>
            <div class="rill-inspect-tools">
                <button
                    type="button"
                    class="rill-btn"
                    data-testid="inspect-record-save"
                    disabled=move || info.get().is_none()
                    on:click=move |_| on_save.run(())
                >
                    {move || t().save}
                </button>
                <label class="rill-btn rill-inspect-file">
                    {move || t().load}
                    <input
                        type="file"
                        accept=".jsonl,.json,application/x-ndjson,application/json"
                        data-testid="inspect-replay-file"
                        on:change=on_change
                    />
                </label>
                <label>
                    {move || t().speed}
                    <select
                        class="rill-select"
                        data-testid="inspect-replay-speed"
                        on:change=move |ev| fast.set(event_target_value(&ev) == "fast")
                        prop:value=move || if fast.get() { "fast" } else { "recorded" }
                    >
                        <option value="recorded">{move || t().speed_recorded}</option>
                        <option value="fast">{move || t().speed_fast}</option>
                    </select>
                </label>
            </div>
            <p class="rill-muted rill-inspect-note" data-testid="inspect-record-info">
                {move || {
                    let t = t();
                    match info.get() {
                        Some(i) => {
                            let mut line = format!("{} {}", t.recorded, i.summary);
                            if i.cut {
                                line.push_str(" — ");
                                line.push_str(t.cut);
                            }
                            line
                        }
                        None if !fetch_mode.get() => t.needs_fetch.to_string(),
                        None => t.nothing.to_string(),
                    }
                }}
            </p>
            <p class="rill-muted rill-inspect-note">
                {move || t().secrets_note}
                {move || {
                    info.get()
                        .filter(|i| !i.removed.is_empty())
                        .map(|i| {
                            view! {
                                " "
                                <strong data-testid="inspect-record-removed">
                                    {format!("{} {}", t().removed, i.removed.join(", "))}
                                </strong>
                            }
                        })
                }}
            </p>
            <p
                class="rill-inspect-replay-state"
                data-testid="inspect-replay-state"
                data-state=move || state.with(ReplayState::as_str)
                role="status"
            >
                {move || state.with(|s| replay_line(s, &source.get(), t()))}
            </p>
        </section>
    }
}
