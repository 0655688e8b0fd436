//! The clock view: one live SSE feed, its connection state, and an event log.
//!
//! It holds exactly one [`SharedFeed`] (an EventSource, or a fetch stream, shared with the
//! other tabs of this origin showing the same feed) at a time in a local stored value;
//! replacing or clearing that value closes the previous connection, and so does leaving the
//! view.
//!
//! An open stream that sends nothing for the stall time (`?stall=` seconds, default 20) is
//! shown as stalled until data comes again. With fetch every byte counts (a heartbeat
//! comment too); the browser's EventSource hides comments, so there only events count.
//! The watch is one timer that wakes at the deadline (at most once per stall time), not a
//! ticking interval.
//!
//! A feed view stays open all day, so an event must cost little: the model is updated, each
//! shown field is a memo that touches the DOM only when its own text changed, and the log
//! gets one new row ([`LogRows`]) instead of being rendered again.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use std::rc::Rc;

use crate::browser::{now_ms, sleep_ms, Interval, Task};
use crate::clock::{ClockState, ConnState, RetrySource};
use crate::components::clock_log::LogRows;
use crate::components::feeds::{load_pins, refusal_text, save_pins, PinnedFeeds};
use crate::components::inspect_record::{replay_line, ReplayState};
use crate::i18n::replay_strings;
use crate::i18n::{describe_error, feed_card_strings, feed_strings, FeedStrings, Lang};
use crate::transport::replay::{fetch_recording, ReplayStream};
use crate::transport::shared_feed::SharedFeed;
use crate::transport::StreamEvent;
use crate::transport::Transport;

/// Live feed view.
#[component]
pub fn ClockView(
    stream: String,
    transport: Transport,
    stall_secs: Option<u64>,
    /// A recording to play instead of connecting (`?replay=`, same origin only).
    replay: Option<String>,
    /// Play it as fast as possible (`?speed=fast`).
    replay_fast: bool,
    lang: Signal<Lang>,
) -> impl IntoView {
    let t = move || feed_strings(lang.get());
    let url = RwSignal::new(stream);
    let transport = RwSignal::new(transport);
    let mut initial = ClockState::new();
    if let Some(secs) = stall_secs {
        initial.stall_ms = secs.saturating_mul(1000);
    }
    let state = RwSignal::new(initial);
    // Wakes at the stall deadline while the stream is open (see the module comment).
    let stall_watch = StoredValue::new_local(None::<Task>);
    let now = RwSignal::new(now_ms());
    let connection = StoredValue::new_local(None::<SharedFeed>);
    // Drives the countdown. It runs only while a countdown can be shown (see the effect after
    // `conn`): a view waiting for its next event must not wake up four times a second.
    let ticker = StoredValue::new_local(None::<Interval>);
    let log_list = NodeRef::<html::Ol>::new();
    let rows = StoredValue::new_local(None::<LogRows>);
    // The log's rows follow the model directly, outside the reactive graph: one new row
    // per entry (see `LogRows`).
    let sync_rows = move || {
        rows.try_update_value(|rows| {
            if let Some(rows) = rows {
                state.with_untracked(|s| rows.sync(s, feed_strings(lang.get_untracked())));
            }
        });
    };
    let pins = RwSignal::new(load_pins());
    let pin_refusal = RwSignal::new(None::<crate::feeds::pins::PinRefusal>);

    // A recording played as the feed (`?replay=`): its events go through the same decoder
    // and the same `ClockState::apply` as a live fetch stream's.
    let replaying = StoredValue::new_local(None::<ReplayStream>);
    let replay_load = StoredValue::new_local(None::<Task>);
    let replay_state = RwSignal::new(ReplayState::Idle);
    let replay_source = RwSignal::new(String::new());
    let connect = move || {
        // Close the previous connection first: exactly one stream at a time.
        connection.set_value(None);
        replaying.set_value(None);
        replay_load.set_value(None);
        replay_state.set(ReplayState::Idle);
        let target = url.get_untracked().trim().to_string();
        state.update(|s| s.connecting(&target, now_ms()));
        sync_rows();
        let sink = move |event| {
            if state.try_update(|s| s.apply(&event, now_ms())).is_some() {
                sync_rows();
            }
        };
        let types = ["message", "connecttime"];
        match SharedFeed::open(transport.get_untracked(), &target, &types, sink) {
            Ok(handle) => connection.set_value(Some(handle)),
            Err(event) => {
                state.update(|s| s.apply(&event, now_ms()));
                sync_rows();
            }
        }
    };
    let disconnect = move || {
        connection.set_value(None);
        replaying.set_value(None);
        state.update(|s| s.disconnected(now_ms()));
        sync_rows();
    };
    let pin = move || {
        let target = url.get_untracked();
        let outcome = pins.try_update(|p| p.add(&target));
        match outcome {
            Some(Ok(())) => {
                pins.with_untracked(save_pins);
                pin_refusal.set(None);
            }
            Some(Err(refusal)) => pin_refusal.set(Some(refusal)),
            None => {}
        }
    };
    match replay {
        Some(src) => {
            replay_source.set(src.clone());
            replay_state.set(ReplayState::Loading);
            replay_load.set_value(Some(Task::spawn(async move {
                match fetch_recording(&src).await {
                    Ok(rec) => {
                        let rec = Rc::new(rec);
                        url.set(rec.request.url.clone());
                        state.update(|s| s.connecting(&rec.request.url, now_ms()));
                        sync_rows();
                        replay_state.set(ReplayState::Playing);
                        let sink = move |event: StreamEvent| {
                            let end = matches!(event, StreamEvent::Closed(_));
                            if state.try_update(|s| s.apply(&event, now_ms())).is_some() {
                                sync_rows();
                            }
                            if end {
                                let events = state.try_with_untracked(|s| s.events).unwrap_or(0);
                                let _ = replay_state.try_set(ReplayState::Done(events));
                            }
                        };
                        replaying.try_set_value(Some(ReplayStream::open(rec, replay_fast, sink)));
                    }
                    Err(failure) => {
                        let _ = replay_state.try_set(ReplayState::Failed(failure));
                    }
                }
            })));
        }
        None => connect(),
    }
    // Leaving the page closes the stream, also when the browser keeps the page in its
    // back/forward cache (it would stay open there); coming back from that cache opens it again.
    let resume = StoredValue::new_local(false);
    let pagehide = window_event_listener_untyped("pagehide", move |_| {
        resume.set_value(connection.with_value(Option::is_some));
        connection.set_value(None);
    });
    let pageshow = window_event_listener_untyped("pageshow", move |ev| {
        let restored = ev
            .dyn_ref::<web_sys::PageTransitionEvent>()
            .is_some_and(web_sys::PageTransitionEvent::persisted);
        if restored && resume.get_value() {
            connect();
        }
    });
    on_cleanup(move || {
        replaying.try_set_value(None);
        replay_load.try_set_value(None);
        pagehide.remove();
        pageshow.remove();
        connection.try_set_value(None);
        ticker.try_set_value(None);
        stall_watch.try_set_value(None);
    });

    // The rows are built once the list is on the page, and again when the language changes.
    Effect::new(move |_| {
        let t = feed_strings(lang.get());
        if let Some(list) = log_list.get() {
            let list: web_sys::Element = list.into();
            rows.update_value(|rows| {
                let rows = rows.get_or_insert_with(|| LogRows::new(list));
                state.with_untracked(|s| rows.rebuild(s, t));
            });
        }
    });

    let conn = Memo::new(move |_| state.with(|s| s.conn));
    Effect::new(move |_| {
        let counting = conn.get() == ConnState::Reconnecting;
        let next = if counting {
            now.set(now_ms());
            Interval::new(250, move || {
                let _ = now.try_set(now_ms());
            })
        } else {
            None
        };
        ticker.set_value(next);
    });
    Effect::new(move |_| {
        let watch = (conn.get() == ConnState::Open).then(|| {
            Task::spawn(async move {
                // Data moves the deadline on; the loop sleeps until the latest one.
                while let Some(deadline) =
                    state.try_with_untracked(|s| s.stall_deadline()).flatten()
                {
                    let now = now_ms();
                    if now >= deadline {
                        let _ = state.try_update(|s| s.check_stall(now));
                        break;
                    }
                    sleep_ms(deadline - now).await;
                }
            })
        });
        stall_watch.set_value(watch);
    });
    let status_label = move || {
        let t = t();
        match conn.get() {
            ConnState::Connecting => t.state_connecting,
            ConnState::Open => t.state_open,
            ConnState::Reconnecting => t.state_reconnecting,
            ConnState::Closed => t.state_closed,
            ConnState::Error => t.state_error,
            ConnState::Stalled => t.state_stalled,
        }
    };
    // Each shown field is a memo: an event recomputes them (cheap), but only a field whose
    // value changed reaches the DOM.
    let wait_text = Memo::new(move |_| {
        let now = now.get();
        state.with(|s| wait_line(s, t(), now))
    });
    let retry_text = Memo::new(move |_| state.with(|s| retry_line(s, t())));
    let error = Memo::new(move |_| state.with(|s| s.error.clone()));
    let error_text = move || error.get().map(|k| describe_error(&k, lang.get()));
    let time = Memo::new(move |_| state.with(|s| s.time.clone().unwrap_or_default()));
    let connected_at =
        Memo::new(move |_| state.with(|s| s.connected_at.clone().unwrap_or_default()));
    let last_id = Memo::new(move |_| state.with(|s| s.last_event_id.clone()));
    let events = Memo::new(move |_| state.with(|s| s.events));
    let has_log = Memo::new(move |_| state.with(|s| s.log_len() > 0));
    let c = move || feed_card_strings(lang.get());

    view! {
        <section class="rill-clock" aria-labelledby="clock-title">
            <div class="rill-card rill-clock-head">
                <h1 id="clock-title">{move || t().clock_title}</h1>
                <div
                    class="rill-status"
                    data-testid="clock-status"
                    data-state=move || conn.get().as_str()
                    role="status"
                    aria-live="polite"
                >
                    <span class="rill-dot" aria-hidden="true"></span>
                    <span class="rill-status-label">{status_label}</span>
                    <span class="rill-status-wait" data-testid="clock-countdown">{wait_text}</span>
                </div>
            </div>

            <form
                class="rill-card rill-url"
                on:submit=move |ev| {
                    ev.prevent_default();
                    connect();
                }
            >
                <label for="rill-clock-url">{move || t().clock_url_label}</label>
                <div class="rill-url-row">
                    <input
                        id="rill-clock-url"
                        data-testid="clock-url"
                        type="text"
                        inputmode="url"
                        spellcheck="false"
                        autocomplete="off"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                    <select
                        class="rill-select"
                        data-testid="clock-transport"
                        aria-label=move || t().clock_transport
                        title=move || t().clock_transport
                        on:change=move |ev| {
                            if let Some(next) = Transport::parse(&event_target_value(&ev)) {
                                transport.set(next);
                            }
                        }
                        prop:value=move || transport.get().as_str()
                    >
                        <option value="eventsource">"EventSource"</option>
                        <option value="fetch">"fetch"</option>
                    </select>
                    <button type="submit" class="rill-btn rill-btn-primary" data-testid="clock-connect">
                        {move || t().clock_connect}
                    </button>
                    <button
                        type="button"
                        class="rill-btn"
                        data-testid="feed-pin"
                        title=move || c().pin_title
                        on:click=move |_| pin()
                    >
                        {move || c().pin}
                    </button>
                    <button
                        type="button"
                        class="rill-btn"
                        data-testid="clock-disconnect"
                        disabled=move || matches!(conn.get(), ConnState::Closed | ConnState::Error)
                        on:click=move |_| disconnect()
                    >
                        {move || t().clock_disconnect}
                    </button>
                </div>
                {move || {
                    pin_refusal
                        .get()
                        .map(|r| {
                            view! {
                                <p class="rill-feed-note" role="status" data-testid="feed-pin-refused">
                                    {move || refusal_text(r, c())}
                                </p>
                            }
                        })
                }}
            </form>

            {move || {
                let t = replay_strings(lang.get());
                replay_state.with(|s| *s != ReplayState::Idle).then(|| {
                    view! {
                        <p
                            class="rill-card rill-clock-replay"
                            data-testid="clock-replay"
                            data-state=move || replay_state.with(ReplayState::as_str)
                            role="status"
                        >
                            {move || replay_state.with(|s| replay_line(s, &replay_source.get(), t))}
                        </p>
                    }
                })
            }}

            <PinnedFeeds pins=pins lang=lang />

            {move || {
                error_text()
                    .map(|text| {
                        view! {
                            <div class="rill-card rill-alert" role="alert" data-testid="clock-error">
                                {text}
                            </div>
                        }
                    })
            }}

            <dl class="rill-card rill-facts">
                <div class="rill-fact rill-fact-time">
                    <dt>{move || t().clock_time}</dt>
                    <dd class="rill-time" data-testid="clock-time">
                        {move || time.get()}
                    </dd>
                </div>
                <div class="rill-fact">
                    <dt>{move || t().clock_connected_at}</dt>
                    <dd data-testid="clock-connected-at">
                        {move || connected_at.get()}
                    </dd>
                </div>
                <div class="rill-fact">
                    <dt>{move || t().clock_last_id}</dt>
                    <dd data-testid="clock-last-id">{move || last_id.get()}</dd>
                </div>
                <div class="rill-fact">
                    <dt>{move || t().clock_retry}</dt>
                    <dd data-testid="clock-retry">{retry_text}</dd>
                </div>
                <div class="rill-fact">
                    <dt>{move || t().clock_events}</dt>
                    <dd data-testid="clock-events">{move || events.get().to_string()}</dd>
                </div>
            </dl>

            <div class="rill-card rill-log">
                <h2>{move || t().clock_log}</h2>
                <p class="rill-muted" hidden=move || has_log.get()>{move || t().clock_log_empty}</p>
                <ol class="rill-log-list" data-testid="clock-log" hidden=move || !has_log.get() node_ref=log_list></ol>
            </div>
        </section>
    }
}

/// "next attempt in 7 s", or how long the browser has been retrying when the delay is unknown.
fn wait_line(s: &ClockState, t: &FeedStrings, now: f64) -> String {
    if s.conn == ConnState::Stalled {
        return format!(
            "{} {} {}",
            t.clock_no_data_for,
            s.stall_ms / 1000,
            t.seconds
        );
    }
    if s.conn != ConnState::Reconnecting {
        return String::new();
    }
    match (s.countdown_secs(now), s.waiting_secs(now)) {
        (Some(left), _) => format!("{} {left} {}", t.clock_next_attempt, t.seconds),
        (None, Some(waited)) => format!("{} {waited} {}", t.clock_reconnecting_for, t.seconds),
        (None, None) => String::new(),
    }
}

/// The reconnect delay and where it is known from.
fn retry_line(s: &ClockState, t: &FeedStrings) -> String {
    match s.retry {
        Some(r) if r.source == RetrySource::Server => format!("{} ms", r.ms),
        Some(r) => format!("≈ {} ms ({})", r.ms, t.clock_retry_observed),
        None => t.clock_retry_hidden.to_string(),
    }
}
