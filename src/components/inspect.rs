//! The stream inspector view (`view=inspect`): one stream read by fetch (status, headers,
//! every network read) or by the browser's EventSource, every event listed with its timing,
//! and a diagnosis in plain words with its fix.
//!
//! The model ([`Inspector`]) is pure and not reactive: it lives in a stored value and takes
//! every read at once; the view is told at most once per animation frame (a `version`
//! signal), so 10,000 events cost 10,000 model updates but only a frame's worth of renders.
//! The list shows at most [`SHOWN`] events. Pause stops the list's updates, never the
//! collecting. The connection, the frame request and the 1 s tick are owned here and
//! released when the view goes.

use std::rc::Rc;

use leptos::prelude::*;

use crate::browser::{self, now_ms, AnimationFrame, Interval, Task};
use crate::components::inspect_charts::InspectCharts;
use crate::components::inspect_record::{RecordPanel, RecordingInfo, ReplayState};
use crate::i18n::{inspect_strings, InspectStrings, Lang};
use crate::inspect::diagnose::{diagnose, Diagnosis};
use crate::inspect::recording::{summary as recording_summary, RecordedRequest, Recording};
use crate::inspect::{curl, parse_headers, End, Entry, Filter, Format, Inspector, Via, SHOWN};
use crate::transport::event_source::{EventSourceHandle, EventSourceOptions};
use crate::transport::inspect_fetch::{InspectFetch, InspectRequest, Seen};
use crate::transport::replay::{fetch_recording, parse_recording, ReplayTask};
use crate::transport::{ErrorKind, StreamEvent, Transport};

/// Most characters of an event's data the list shows (the export has all).
const SHOWN_DATA_CHARS: usize = 4096;

/// The open connection, held for its `Drop` (which closes it).
#[allow(dead_code)]
enum Connection {
    Fetch(InspectFetch),
    EventSource(EventSourceHandle),
}

/// The inspector view.
#[component]
pub fn InspectView(
    stream: String,
    transport: Transport,
    /// A recording to play at once (`?replay=`, same origin only).
    replay: Option<String>,
    /// Play it as fast as possible (`?speed=fast`).
    replay_fast: bool,
    lang: Signal<Lang>,
) -> impl IntoView {
    let t = move || inspect_strings(lang.get());
    let search = browser::location_search();
    // `?stream=` connects at once; without it the field offers the demo ticker.
    let asked = search.contains("?stream=") || search.contains("&stream=");
    let via_param = match transport {
        Transport::EventSource if search.contains("transport=") => Via::EventSource,
        _ => Via::Fetch,
    };
    let url = RwSignal::new(if asked { stream } else { default_url() });
    let via = RwSignal::new(via_param);
    let format = RwSignal::new(Format::Sse);
    let method = RwSignal::new("GET".to_string());
    let headers = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let types = RwSignal::new("message".to_string());
    let paused = RwSignal::new(false);
    let filter_kind = RwSignal::new(String::new());
    let filter_text = RwSignal::new(String::new());
    let copied = RwSignal::new(false);
    let running = RwSignal::new(false);

    let model = StoredValue::new_local(Inspector::default());
    let version = RwSignal::new(0u64);
    let shown_version = RwSignal::new(0u64);
    let now = RwSignal::new(now_ms());
    let frame = StoredValue::new_local(None::<AnimationFrame>);
    let connection = StoredValue::new_local(None::<Connection>);
    // After an EventSource refusal on this origin: one fetch to learn the status and type
    // the browser does not tell (dropped once the answer's head is in).
    let probe = StoredValue::new_local(None::<InspectFetch>);
    // What the current connection did, kept to be saved (fetch only), or the loaded
    // recording being played.
    let recording = StoredValue::new_local(None::<Rc<Recording>>);
    let replay_task = StoredValue::new_local(None::<ReplayTask>);
    let replay_load = StoredValue::new_local(None::<Task>);
    let fast = RwSignal::new(replay_fast);
    let replay_state = RwSignal::new(ReplayState::Idle);
    let replay_source = RwSignal::new(String::new());
    let tick = StoredValue::new_local(Interval::new(1000, move || {
        let _ = now.try_set(now_ms());
    }));

    // Tell the view once per frame, however many reads came.
    let changed = move || {
        if frame.try_with_value(Option::is_some).unwrap_or(true) {
            return;
        }
        let f = AnimationFrame::request(move || {
            frame.try_set_value(None);
            let _ = version.try_update(|v| *v += 1);
            if !paused.try_get_untracked().unwrap_or(true) {
                let _ = shown_version.try_update(|v| *v += 1);
            }
        });
        frame.try_set_value(f);
    };

    let connect = move || {
        connection.set_value(None);
        probe.set_value(None);
        replay_task.set_value(None);
        replay_load.set_value(None);
        replay_state.set(ReplayState::Idle);
        recording.set_value(None);
        let target = url.get_untracked().trim().to_string();
        let page_origin = browser::url::origin_of("./");
        let cross = browser::url::origin_of(&target) != page_origin;
        let v = via.get_untracked();
        let fmt = if v == Via::EventSource {
            Format::Sse
        } else {
            format.get_untracked()
        };
        model.set_value(Inspector::new(&target, v, fmt, cross));
        running.set(true);
        changed();
        match v {
            Via::Fetch => {
                let sent_headers = parse_headers(&headers.get_untracked());
                recording.set_value(Some(Rc::new(Recording::new(RecordedRequest::new(
                    &target,
                    &method.get_untracked(),
                    &sent_headers,
                    Some(&body.get_untracked()),
                    fmt,
                    cross,
                )))));
                let request = InspectRequest {
                    url: target,
                    method: method.get_untracked(),
                    headers: sent_headers,
                    body: Some(body.get_untracked()),
                    accept: match fmt {
                        Format::Sse => "text/event-stream",
                        Format::Ndjson => "application/x-ndjson, application/json",
                    },
                };
                let last_id = move || {
                    model
                        .try_with_value(|m| m.entries().next_back().map(|e| e.id.clone()))
                        .flatten()
                        .unwrap_or_default()
                };
                // Each thing the network did goes to the model and then into the
                // recording: the same step a replay applies (`Step::apply`).
                let sink = move |seen: Seen| {
                    let at = now_ms();
                    if let Some(step) = seen.into_step() {
                        model.try_update_value(|m| step.apply(m, at));
                        recording.try_update_value(|r| {
                            if let Some(r) = r {
                                Rc::make_mut(r).push(at, step);
                            }
                        });
                    }
                    changed();
                };
                connection.set_value(Some(Connection::Fetch(InspectFetch::open(
                    request, last_id, sink,
                ))));
            }
            Via::EventSource => {
                let options = EventSourceOptions {
                    with_credentials: false,
                    event_types: types
                        .get_untracked()
                        .split([',', ' '])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                };
                model.update_value(|m| m.on_request(now_ms()));
                let probe_url = target.clone();
                let sink = move |event: StreamEvent| {
                    let at = now_ms();
                    let refused =
                        matches!(&event, StreamEvent::Error(e) if e.kind == ErrorKind::Refused);
                    model.try_update_value(|m| match event {
                        StreamEvent::Open => m.on_response(at, None, Vec::new()),
                        StreamEvent::Event(e) => m.on_event(at, e.event, e.id, e.data),
                        StreamEvent::Error(err) => {
                            m.on_end(
                                at,
                                End::Failed {
                                    message: String::new(),
                                },
                            );
                            // Still connecting: the browser tries again by itself.
                            if err.kind == ErrorKind::Network {
                                m.on_request(at);
                            }
                        }
                        _ => {}
                    });
                    let same_origin_unopened = model
                        .try_with_value(|m| {
                            !m.cross_origin && m.conn().is_some_and(|c| c.opened_ms.is_none())
                        })
                        .unwrap_or(false);
                    if refused && same_origin_unopened {
                        let request = InspectRequest {
                            url: probe_url.clone(),
                            method: "GET".into(),
                            headers: Vec::new(),
                            body: None,
                            accept: "text/event-stream",
                        };
                        let sink = move |seen: Seen| {
                            if let Seen::Response { status, headers } = seen {
                                model.try_update_value(|m| {
                                    m.on_response(now_ms(), Some(status), headers)
                                });
                                changed();
                                probe.try_with_value(|p| p.as_ref().map(InspectFetch::close));
                            }
                        };
                        probe.try_set_value(Some(InspectFetch::open(request, String::new, sink)));
                    }
                    changed();
                };
                match EventSourceHandle::open(&target, &options, sink) {
                    Ok(h) => connection.set_value(Some(Connection::EventSource(h))),
                    Err(_) => model.update_value(|m| {
                        m.on_end(
                            now_ms(),
                            End::Failed {
                                message: String::new(),
                            },
                        )
                    }),
                }
            }
        }
    };
    let stop = move || {
        connection.set_value(None);
        replay_task.set_value(None);
        replay_load.set_value(None);
        if replay_state.get_untracked() == ReplayState::Playing {
            replay_state.set(ReplayState::Idle);
        }
        model.update_value(|m| m.on_end(now_ms(), End::ByClient));
        running.set(false);
        changed();
    };
    // A recording replays through the model exactly as the network's steps did, at its
    // recorded times (offset to now), so the list and the diagnosis come out the same.
    let start_replay = move |rec: Recording| {
        connection.set_value(None);
        probe.set_value(None);
        let rec = Rc::new(rec);
        url.set(rec.request.url.clone());
        via.set(Via::Fetch);
        format.set(rec.request.format);
        model.set_value(rec.inspector());
        recording.set_value(Some(rec.clone()));
        running.set(true);
        replay_state.set(ReplayState::Playing);
        changed();
        let task = ReplayTask::start(
            rec,
            fast.get_untracked(),
            move |at, step| {
                model.try_update_value(|m| step.apply(m, at));
                changed();
            },
            move |end| {
                // A recording saved while its stream was open ends here.
                model.try_update_value(|m| m.on_end(end, End::ByClient));
                let events = model.try_with_value(Inspector::total).unwrap_or(0);
                let _ = replay_state.try_set(ReplayState::Done(events));
                let _ = running.try_set(false);
                changed();
            },
        );
        replay_task.set_value(Some(task));
    };
    let on_file = Callback::new(move |(name, text): (String, String)| {
        replay_source.set(name);
        match parse_recording(&text) {
            Ok(rec) => start_replay(rec),
            Err(failure) => replay_state.set(ReplayState::Failed(failure)),
        }
    });
    let on_save = Callback::new(move |()| {
        if let Some(text) = recording.with_value(|r| r.as_ref().map(|r| r.write())) {
            browser::download("rill-recording.jsonl", "application/x-ndjson", &text);
        }
    });
    let info = Memo::new(move |_| {
        version.track();
        recording.with_value(|r| {
            r.as_ref().map(|r| RecordingInfo {
                summary: recording_summary(r, crate::i18n::replay_strings(lang.get()).reads),
                cut: r.cut,
                removed: r.request.removed.clone(),
            })
        })
    });
    if let Some(src) = replay {
        replay_source.set(src.clone());
        replay_state.set(ReplayState::Loading);
        replay_load.set_value(Some(Task::spawn(async move {
            match fetch_recording(&src).await {
                Ok(rec) => start_replay(rec),
                Err(failure) => {
                    let _ = replay_state.try_set(ReplayState::Failed(failure));
                }
            }
        })));
    } else if asked {
        connect();
    }
    on_cleanup(move || {
        replay_task.try_set_value(None);
        replay_load.try_set_value(None);
        connection.try_set_value(None);
        probe.try_set_value(None);
        frame.try_set_value(None);
        tick.try_set_value(None);
    });

    let findings = Memo::new(move |_| {
        version.track();
        let now = now.get();
        model.with_value(|m| diagnose(m, now))
    });
    let filter = move || Filter {
        kind: filter_kind.get(),
        text: filter_text.get(),
    };
    let rows = Memo::new(move |_| {
        shown_version.track();
        let f = filter();
        model.with_value(|m| {
            let (shown, passed) = m.visible(&f);
            let rows: Vec<Entry> = shown.into_iter().cloned().collect();
            (rows, passed)
        })
    });
    let summary = move || {
        version.track();
        model.with_value(|m| {
            let c = m.conn().cloned().unwrap_or_default();
            (
                c,
                m.total(),
                m.dropped(),
                m.reads().len(),
                m.conns.len(),
                m.retry_ms,
                m.kinds(),
            )
        })
    };
    let export = move || {
        let text = model.with_value(Inspector::export_jsonl);
        browser::download("rill-inspect.jsonl", "application/x-ndjson", &text);
    };
    let copy_curl = move || {
        let cmd = if via.get_untracked() == Via::EventSource {
            curl(
                url.get_untracked().trim(),
                "GET",
                &[("Accept".into(), "text/event-stream".into())],
                None,
            )
        } else {
            curl(
                url.get_untracked().trim(),
                &method.get_untracked(),
                &parse_headers(&headers.get_untracked()),
                Some(&body.get_untracked()),
            )
        };
        browser::copy_text(&cmd);
        copied.set(true);
    };

    view! {
        <section class="rill-inspect" aria-labelledby="inspect-title">
            <div class="rill-card rill-clock-head">
                <h1 id="inspect-title">{move || t().title}</h1>
            </div>
            <form
                class="rill-card rill-url rill-inspect-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    connect();
                }
            >
                <label for="rill-inspect-url">{move || t().url_label}</label>
                <div class="rill-url-row">
                    <input
                        id="rill-inspect-url"
                        data-testid="inspect-url"
                        type="text"
                        inputmode="url"
                        spellcheck="false"
                        autocomplete="off"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                    <button type="submit" class="rill-btn rill-btn-primary" data-testid="inspect-connect">
                        {move || t().connect}
                    </button>
                    <button
                        type="button"
                        class="rill-btn"
                        data-testid="inspect-stop"
                        disabled=move || !running.get()
                        on:click=move |_| stop()
                    >
                        {move || t().stop}
                    </button>
                </div>
                <div class="rill-inspect-options">
                    <label>
                        {move || t().via}
                        <select
                            class="rill-select"
                            data-testid="inspect-via"
                            on:change=move |ev| {
                                via.set(if event_target_value(&ev) == "eventsource" { Via::EventSource } else { Via::Fetch })
                            }
                            prop:value=move || if via.get() == Via::EventSource { "eventsource" } else { "fetch" }
                        >
                            <option value="fetch">"fetch"</option>
                            <option value="eventsource">"EventSource"</option>
                        </select>
                    </label>
                    <Show when=move || via.get() == Via::Fetch>
                        <label>
                            {move || t().format}
                            <select
                                class="rill-select"
                                data-testid="inspect-format"
                                on:change=move |ev| {
                                    format.set(if event_target_value(&ev) == "ndjson" { Format::Ndjson } else { Format::Sse })
                                }
                                prop:value=move || if format.get() == Format::Ndjson { "ndjson" } else { "sse" }
                            >
                                <option value="sse">"SSE"</option>
                                <option value="ndjson">"NDJSON"</option>
                            </select>
                        </label>
                        <label>
                            {move || t().method}
                            <select
                                class="rill-select"
                                data-testid="inspect-method"
                                on:change=move |ev| method.set(event_target_value(&ev))
                                prop:value=move || method.get()
                            >
                                <option value="GET">"GET"</option>
                                <option value="POST">"POST"</option>
                                <option value="PUT">"PUT"</option>
                            </select>
                        </label>
                    </Show>
                </div>
                <Show
                    when=move || via.get() == Via::Fetch
                    fallback=move || view! {
                        <label class="rill-inspect-wide">
                            {move || t().event_types}
                            <input
                                type="text"
                                class="rill-input"
                                data-testid="inspect-types"
                                spellcheck="false"
                                prop:value=move || types.get()
                                on:input=move |ev| types.set(event_target_value(&ev))
                            />
                        </label>
                    }
                >
                    <details class="rill-inspect-request">
                        <summary>{move || t().headers}" / "{move || t().body}</summary>
                        <label class="rill-inspect-wide">
                            {move || t().headers}
                            <textarea
                                class="rill-textarea"
                                rows="3"
                                spellcheck="false"
                                placeholder=move || t().headers_hint
                                prop:value=move || headers.get()
                                on:input=move |ev| headers.set(event_target_value(&ev))
                            ></textarea>
                        </label>
                        <label class="rill-inspect-wide">
                            {move || t().body}
                            <textarea
                                class="rill-textarea"
                                rows="3"
                                spellcheck="false"
                                prop:value=move || body.get()
                                on:input=move |ev| body.set(event_target_value(&ev))
                            ></textarea>
                        </label>
                    </details>
                </Show>
            </form>

            <RecordPanel
                lang=lang
                info=Signal::from(info)
                fetch_mode=Signal::derive(move || via.get() == Via::Fetch)
                fast=fast
                state=replay_state
                source=Signal::from(replay_source)
                on_save=on_save
                on_file=on_file
            />

            <section class="rill-card rill-inspect-diagnosis" aria-labelledby="inspect-diagnosis-title">
                <h2 id="inspect-diagnosis-title">{move || t().diagnosis}</h2>
                <div aria-live="polite" data-testid="inspect-diagnoses">
                    {move || {
                        let found = findings.get();
                        let t = t();
                        if found.is_empty() {
                            view! { <p class="rill-muted">{t.no_findings}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="rill-inspect-findings">
                                    {found.into_iter().map(|d| finding(d, t)).collect_view()}
                                </ul>
                            }
                            .into_any()
                        }
                    }}
                </div>
            </section>

            {move || {
                let t = t();
                let (c, total, dropped, reads, conns, retry, _) = summary();
                let ms = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{} ms", (v - c.started_ms).max(0.0) as u64));
                let is_es = via.get_untracked() == Via::EventSource;
                view! {
                    <dl class="rill-card rill-facts rill-inspect-facts" data-testid="inspect-facts">
                        <div class="rill-fact"><dt>{t.status}</dt><dd data-testid="inspect-status">{c.status.map_or("–".to_string(), |s| s.to_string())}</dd></div>
                        <div class="rill-fact"><dt>{t.ttfb}</dt><dd data-testid="inspect-ttfb">{ms(c.first_byte_ms)}</dd></div>
                        <div class="rill-fact"><dt>{t.first_event}</dt><dd data-testid="inspect-first-event">{ms(c.first_event_ms)}</dd></div>
                        <div class="rill-fact"><dt>{t.events}</dt><dd data-testid="inspect-total">{total.to_string()}</dd></div>
                        <div class="rill-fact"><dt>{t.reads}</dt><dd>{reads.to_string()}</dd></div>
                        <div class="rill-fact"><dt>{t.connections}</dt><dd data-testid="inspect-connections">{conns.to_string()}</dd></div>
                        <div class="rill-fact"><dt>{t.retry}</dt><dd>{retry.map_or("–".to_string(), |r| format!("{r} ms"))}</dd></div>
                    </dl>
                    {(dropped > 0).then(|| view! { <p class="rill-muted">{t.bounded}" "{dropped.to_string()}</p> })}
                    {if is_es {
                        view! { <p class="rill-muted rill-inspect-note">{t.headers_hidden}</p> }.into_any()
                    } else if c.headers.is_empty() {
                        ().into_any()
                    } else {
                        view! {
                            <details class="rill-card rill-inspect-headers">
                                <summary>{t.response_headers}</summary>
                                <dl>
                                    {c.headers.into_iter().map(|(n, v)| view! { <div><dt>{n}</dt><dd>{v}</dd></div> }).collect_view()}
                                </dl>
                            </details>
                        }
                        .into_any()
                    }}
                }
            }}

            <InspectCharts model=model now=now lang=lang />

            <section class="rill-card rill-inspect-events" aria-labelledby="inspect-list-title">
                <h2 id="inspect-list-title">{move || t().list}</h2>
                <div class="rill-inspect-tools">
                    <label>
                        {move || t().filter_type}
                        <select
                            class="rill-select"
                            data-testid="inspect-filter-type"
                            on:change=move |ev| filter_kind.set(event_target_value(&ev))
                            prop:value=move || filter_kind.get()
                        >
                            <option value="">{move || t().filter_all}</option>
                            {move || summary().6.into_iter().map(|k| view! { <option value=k.clone()>{k.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>
                        {move || t().filter_text}
                        <input
                            type="search"
                            class="rill-input"
                            data-testid="inspect-filter-text"
                            prop:value=move || filter_text.get()
                            on:input=move |ev| filter_text.set(event_target_value(&ev))
                        />
                    </label>
                    <button
                        type="button"
                        class="rill-btn"
                        data-testid="inspect-pause"
                        aria-pressed=move || paused.get().to_string()
                        on:click=move |_| {
                            paused.update(|p| *p = !*p);
                            if !paused.get_untracked() {
                                shown_version.update(|v| *v += 1);
                            }
                        }
                    >
                        {move || if paused.get() { t().resume } else { t().pause }}
                    </button>
                    <button
                        type="button"
                        class="rill-btn"
                        data-testid="inspect-clear"
                        on:click=move |_| {
                            model.update_value(Inspector::clear);
                            shown_version.update(|v| *v += 1);
                            version.update(|v| *v += 1);
                        }
                    >
                        {move || t().clear}
                    </button>
                    <button type="button" class="rill-btn" data-testid="inspect-export" on:click=move |_| export()>
                        {move || t().export}
                    </button>
                    <button type="button" class="rill-btn" data-testid="inspect-curl" on:click=move |_| copy_curl()>
                        {move || if copied.get() { t().copied } else { t().copy_curl }}
                    </button>
                </div>
                {move || paused.get().then(|| view! { <p class="rill-muted" data-testid="inspect-paused">{t().paused_note}</p> })}
                {move || {
                    let (len, passed) = rows.with(|(r, p)| (r.len(), *p));
                    let t = t();
                    (passed > SHOWN).then(|| {
                        view! {
                            <p class="rill-muted" data-testid="inspect-capped" data-passed=passed.to_string()>
                                {format!("{} {} {} {} — {}", t.showing_last, len, t.of, passed, t.export_has_all)}
                            </p>
                        }
                    })
                }}
                <Show
                    when=move || rows.with(|(r, _)| !r.is_empty())
                    fallback=move || view! { <p class="rill-muted">{move || t().empty}</p> }
                >
                    <ol class="rill-inspect-list" data-testid="inspect-list" tabindex="0" aria-labelledby="inspect-list-title">
                        <For each=move || rows.get().0 key=|e| (e.seq, e.at_ms.to_bits()) let(e)>
                            {
                                let start = model.with_value(|m| m.conns.first().map_or(0.0, |c| c.started_ms));
                                event_row(e, start, inspect_strings(lang.get_untracked()))
                            }
                        </For>
                    </ol>
                </Show>
            </section>
        </section>
    }
}

/// The demo ticker on the page's own origin.
fn default_url() -> String {
    "/demo/ticker".to_string()
}

/// `12.345 s` from milliseconds, without float formatting.
fn secs(ms: f64) -> String {
    let ms = ms.max(0.0) as u64;
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

fn event_row(e: Entry, start: f64, t: &'static InspectStrings) -> impl IntoView {
    let data = crate::json::pretty(&e.data).unwrap_or_else(|| e.data.clone());
    let data = match data.char_indices().nth(SHOWN_DATA_CHARS) {
        Some((cut, _)) => format!("{}…", &data[..cut]),
        None => data,
    };
    let gap = e
        .gap_ms
        .map(|g| format!("{} +{} ms", t.gap, g.max(0.0) as u64))
        .unwrap_or_default();
    let read = e
        .read
        .map(|r| format!("{} #{r}", t.read))
        .unwrap_or_default();
    view! {
        <li class="rill-inspect-event" data-testid="inspect-event" data-type=e.kind.clone() data-id=e.id.clone()>
            <div class="rill-inspect-meta">
                <span class="rill-inspect-type">{e.kind.clone()}</span>
                {(!e.id.is_empty()).then(|| view! { <span class="rill-inspect-id">"id "{e.id.clone()}</span> })}
                <span>{secs(e.at_ms - start)}</span>
                <span>{gap}</span>
                <span>{format!("{} {}", e.size, t.bytes)}</span>
                <span>{read}</span>
            </div>
            <pre class="rill-inspect-data" data-testid="inspect-data">{data}</pre>
        </li>
    }
}

fn finding(d: Diagnosis, t: &'static InspectStrings) -> impl IntoView {
    let code = d.code.as_str();
    let (_, what, fix) = t
        .findings
        .iter()
        .copied()
        .find(|(c, _, _)| *c == code)
        .unwrap_or((code, code, ""));
    view! {
        <li class="rill-inspect-finding" data-testid="inspect-diagnosis" data-code=code>
            <p><strong>{code}</strong>" — "{what}{(!d.evidence.is_empty()).then(|| format!(" ({})", d.evidence))}</p>
            <p class="rill-inspect-fix"><strong>{t.fix}": "</strong>{fix}</p>
        </li>
    }
}
